//! The shared reader's tests: every reader sees every record, at the blocks' edges and
//! whatever the readers' paces; a reader that waits, leaves or panics holds nobody back.
//! The files are dealt by decode's `Shards`, as the analyzer deals them (a test's import only).

use super::fill::{record_len, RECORD_HEADER};
use super::*;
use crate::decode::Shards;

fn pcap(records: &[usize]) -> Vec<u8> {
    pcap_filled(records, |i| i as u8)
}

/// [`pcap`], record `i`'s payload all bytes `fill(i)`.
fn pcap_filled(records: &[usize], fill: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    for (i, &len) in records.iter().enumerate() {
        f.extend_from_slice(&(i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(len as u32).to_le_bytes());
        f.extend_from_slice(&(len as u32).to_le_bytes());
        f.extend(std::iter::repeat_n(fill(i), len));
    }
    f
}

fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("wsclose-shared-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Every reader sees every record once, in order, whatever the two threads' pace.
fn records_seen(shared: &SharedFile, reader: usize) -> (Vec<(u64, usize)>, Option<End>) {
    let mut seen = Vec::new();
    let mut end = None;
    let mut prev = None;
    while let Some(c) = shared.next(reader, prev.take(), &mut || false) {
        let data = c.records();
        let mut pos = 0;
        let mut n = c.number;
        while let Some(len) = record_len(data, pos, false) {
            n += 1;
            seen.push((n, len - RECORD_HEADER));
            pos += len;
        }
        assert_eq!(pos, data.len());
        end = c.end;
        prev = Some(c);
    }
    (seen, end)
}

#[test]
fn two_readers_see_every_record() {
    let lens: Vec<usize> = (0..5000).map(|i| (i * 7919) % 3000 + 1).collect();
    let p = temp("two", &pcap(&lens));
    let shared = SharedFile::open(&p, Shards::even(2), None).unwrap();
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| records_seen(&shared, 1));
        (records_seen(&shared, 0), h.join().unwrap())
    });
    let want: Vec<(u64, usize)> = lens
        .iter()
        .enumerate()
        .map(|(i, &l)| (i as u64 + 1, l))
        .collect();
    assert_eq!(a.0, want);
    assert_eq!(b.0, want);
    assert_eq!(a.1, Some(End::Clean));
    std::fs::remove_file(p).unwrap();
}

#[test]
fn a_cut_or_huge_record_ends_sharing_where_it_starts() {
    let mut bytes = pcap(&[100, 200]);
    let whole = bytes.len() as u64;
    bytes.extend_from_slice(&pcap(&[50])[HEADER..HEADER + 30]);
    let p = temp("cut", &bytes);
    let shared = SharedFile::open(&p, Shards::even(1), None).unwrap();
    let (seen, end) = records_seen(&shared, 0);
    assert_eq!(seen.len(), 2);
    assert_eq!(
        end,
        Some(End::Resume {
            offset: whole,
            number: 2
        })
    );

    let bytes = pcap(&[10, CHUNK, 10]);
    let p2 = temp("huge", &bytes);
    let shared = SharedFile::open(&p2, Shards::even(1), None).unwrap();
    let (seen, end) = records_seen(&shared, 0);
    assert_eq!(seen, vec![(1, 10)]);
    assert_eq!(
        end,
        Some(End::Resume {
            offset: (HEADER + RECORD_HEADER + 10) as u64,
            number: 1
        })
    );
    std::fs::remove_file(p).unwrap();
    std::fs::remove_file(p2).unwrap();
}

/// The records and the end a reader should see: the file's whole records in turn, up
/// to the first one larger than a chunk of `size` or cut by the end of the file.
fn expected(bytes: &[u8], size: usize) -> (Vec<(u64, usize)>, End) {
    let mut seen = Vec::new();
    let mut pos = HEADER;
    loop {
        if pos == bytes.len() {
            return (seen, End::Clean);
        }
        match record_len(bytes, pos, false).filter(|&len| len <= size) {
            Some(len) => {
                seen.push((seen.len() as u64 + 1, len - RECORD_HEADER));
                pos += len;
            }
            None => {
                let (offset, number) = (pos as u64, seen.len() as u64);
                return (seen, End::Resume { offset, number });
            }
        }
    }
}

/// Each of `readers` readers of `shared`, on a thread of its own, sees the records and the
/// end `want` says.
fn all_see(shared: &SharedFile, readers: usize, want: (&[(u64, usize)], End), what: &str) {
    let seen: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..readers)
            .map(|r| s.spawn(move || records_seen(shared, r)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (r, (records, end)) in seen.into_iter().enumerate() {
        assert_eq!(records, want.0, "{what}: reader {r} of {readers}");
        assert_eq!(end, Some(want.1), "{what}: reader {r} of {readers}");
    }
}

/// Records that meet the edges of the file's blocks every way: ending on one, their
/// header cut by one, as long as a chunk (shared) or a byte longer (not), the file
/// ending on an edge or inside a record that runs past one. Each reader, one or three
/// of them, sees each whole record once and stops where the streaming reader must go
/// on; with the largest chunks and with chunks of another size.
#[test]
fn records_cut_at_the_edges_of_blocks() {
    for size in [CHUNK, MIN_CHUNK + 4096] {
        let quarter = size / 4 - RECORD_HEADER;
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("ends on an edge", pcap(&[quarter; 8])),
            (
                "header across an edge",
                pcap(&[
                    size / 2 - RECORD_HEADER,
                    size / 2 - 2 * RECORD_HEADER - 8,
                    500,
                    7,
                ]),
            ),
            (
                "a chunk long, from mid-block",
                pcap(&[1000, size - RECORD_HEADER, 3, size - RECORD_HEADER, 10]),
            ),
            (
                "a byte too long",
                pcap(&[1000, 2000, size - RECORD_HEADER + 1, 10]),
            ),
            ("empty", pcap(&[])),
        ];
        let long = pcap(&[size - 100, 5000, 40, 3000]);
        // Cut inside the record that runs past the first block, and inside its header.
        for cut in [HEADER + size + 100, HEADER + size - 100 + 8, long.len() - 1] {
            cases.push(("cut", long[..cut].to_vec()));
        }
        for (k, (what, bytes)) in cases.iter().enumerate() {
            let p = temp(&format!("edges-{size}-{k}"), bytes);
            let (want, want_end) = expected(bytes, size);
            for readers in [1, 3] {
                let shards = Shards::even(readers as u64);
                let shared = SharedFile::open_sized(&p, shards, None, size).unwrap();
                let at = format!("{what}, chunks of {size}");
                all_see(&shared, readers, (&want, want_end), &at);
            }
            std::fs::remove_file(p).unwrap();
        }
    }
}

/// A ring buffer keeps the bytes of the chunks it held before (it is not zeroed for the
/// next block): each chunk here ends with a record that runs far past its block, so every
/// buffer holds such bytes past its block; the file is cut inside its last record, and the
/// readers, one or two, still stop where that record starts, whichever the buffer's old
/// bytes beyond the end of the file.
#[test]
fn bytes_left_in_a_reused_buffer_are_never_read() {
    let size = MIN_CHUNK;
    let lens = vec![size - 200; 40];
    let whole = pcap(&lens);
    for cut in [whole.len() - 100, whole.len() - (size - 200) - 8] {
        let bytes = &whole[..cut];
        let p = temp(&format!("reused-{cut}"), bytes);
        let (want, want_end) = expected(bytes, size);
        assert!(matches!(want_end, End::Resume { .. }), "cut at {cut}");
        for readers in [1, 2] {
            let shared =
                SharedFile::open_sized(&p, Shards::even(readers as u64), None, size).unwrap();
            assert!(ring_len(readers) < 40, "every slot is used more than once");
            all_see(
                &shared,
                readers,
                (&want, want_end),
                &format!("cut at {cut}"),
            );
        }
        std::fs::remove_file(p).unwrap();
    }
}

/// The reader of a classic pcap block cuts it from where its first record probably starts,
/// and the cut in order keeps it only if the chunk before ends there. A payload of zeros
/// looks like a chain of empty records from any of its bytes, so a block that starts
/// inside one is guessed wrong (and cut again); one that starts inside a payload of 0xAA
/// (no sub-second below a million) is guessed right. Each reader, one or three, sees each
/// record once, and both happen.
#[test]
fn a_wrong_guess_of_a_blocks_first_record_is_cut_again() {
    let size = MIN_CHUNK;
    let lens: Vec<usize> = (0..3000).map(|i| (i * 7919) % 2500 + 1).collect();
    let bytes = pcap_filled(&lens, |i| if i % 2 == 0 { 0 } else { 0xAA });
    let p = temp("guess", &bytes);
    let (want, want_end) = expected(&bytes, size);
    for readers in [1, 3] {
        let shared = SharedFile::open_sized(&p, Shards::even(readers as u64), None, size).unwrap();
        all_see(&shared, readers, (&want, want_end), "guesses");
        let [kept, again] = shared.guesses.each_ref().map(|g| g.load(Ordering::Relaxed));
        assert!(
            kept > 0 && again > 0,
            "{readers} readers: {kept} kept, {again} cut again"
        );
    }
    std::fs::remove_file(p).unwrap();
}

/// Files of records of random lengths whose payloads are zeros, random bytes or copies of
/// record headers (from this file or shifted by a few bytes), cut into chunks of sizes
/// that fall anywhere in them: every reader, one or three, sees every record once, as the
/// sequential walk does, whatever the guesses.
#[test]
fn random_records_and_payloads_that_look_like_headers() {
    let mut rng = crate::Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..12 {
        let mut bytes = pcap(&[]);
        let mut headers: Vec<[u8; RECORD_HEADER]> = Vec::new();
        for i in 0..1500u32 {
            let len = rng.below(3000);
            let mut head = [0u8; RECORD_HEADER];
            let sub = if rng.below(2) == 0 {
                0
            } else {
                rng.below(1_000_000) as u32
            };
            for (k, w) in [1_700_000_000 + i, sub, len as u32, len as u32]
                .iter()
                .enumerate()
            {
                head[4 * k..4 * k + 4].copy_from_slice(&w.to_le_bytes());
            }
            bytes.extend_from_slice(&head);
            headers.push(head);
            let kind = rng.below(3);
            let start = bytes.len();
            while bytes.len() < start + len {
                match kind {
                    0 => bytes.push(0),
                    1 => bytes.push(rng.next() as u8),
                    _ => {
                        let h = headers[rng.below(headers.len())];
                        let skip = rng.below(5);
                        bytes.extend_from_slice(&h[skip..]);
                    }
                }
            }
            bytes.truncate(start + len);
        }
        let size = MIN_CHUNK + 4096 * rng.below(8);
        let p = temp(&format!("random-{round}"), &bytes);
        let (want, want_end) = expected(&bytes, size);
        assert_eq!(want.len(), 1500);
        for readers in [1, 3] {
            let shared =
                SharedFile::open_sized(&p, Shards::even(readers as u64), None, size).unwrap();
            all_see(
                &shared,
                readers,
                (&want, want_end),
                &format!("round {round}"),
            );
        }
        std::fs::remove_file(p).unwrap();
    }
}

/// Where a block's first record probably starts: found in records with real times
/// whatever the block's start, and not in bytes where no record looks like one. (With
/// every sub-second 0 a header read 4 bytes late looks right too; such a guess is cut
/// again, see above.)
#[test]
fn a_blocks_first_record_is_found() {
    let header = Header {
        ng: false,
        link: LinkType(1),
        nanos: false,
        big_endian: false,
    };
    let mut bytes = pcap(&[]);
    let mut starts = Vec::new();
    for i in 0..400u32 {
        let len = (i * 7919) % 1500 + 1;
        starts.push(bytes.len());
        for word in [1_700_000_000 + i / 7, (i * 7919 * 13) % 1_000_000, len, len] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        bytes.extend(std::iter::repeat_n(0xAA, len as usize));
    }
    for block in (HEADER..bytes.len()).step_by(997) {
        // Blocks with a full chain of records after their first.
        let k = starts
            .iter()
            .position(|&s| s >= block)
            .unwrap_or(starts.len());
        if k + 4 < starts.len() {
            let found = fill::guess_first(&bytes[block..], 1 << 20, &header);
            assert_eq!(found, Some(starts[k] - block), "block at {block}");
        }
    }
    assert_eq!(fill::guess_first(&[0xAA; 5000], 1 << 20, &header), None);
    // A record larger than the chunk is no record to guess from.
    let long = pcap_filled(&[3000], |_| 0xAA);
    assert_eq!(fill::guess_first(&long[HEADER..], 2000, &header), None);
}

/// Runs `each` for every reader of `shared` on a thread of its own, and returns what each
/// returned (a panic as `None`), in the order they ended; fails if one has not ended
/// within `secs` seconds (a reader that waits for ever fails the test instead of hanging
/// it).
fn on_threads<T: Send + 'static>(
    shared: &Arc<SharedFile>,
    readers: usize,
    secs: u64,
    each: fn(&SharedFile, usize) -> T,
) -> Vec<Option<T>> {
    let (tx, rx) = std::sync::mpsc::channel();
    for r in 0..readers {
        let (s, tx) = (Arc::clone(shared), tx.clone());
        std::thread::spawn(move || {
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| each(&s, r)));
            let _ = tx.send(got.ok());
        });
    }
    drop(tx);
    (0..readers)
        .map(|_| {
            rx.recv_timeout(std::time::Duration::from_secs(secs))
                .expect("every reader ends")
        })
        .collect()
}

/// A thread that panics while making a chunk leaves the others to stop where the
/// published chunks end, instead of waiting for ever for the chunk it lost.
#[test]
fn a_panic_while_making_a_chunk_hangs_nobody() {
    let lens: Vec<usize> = (0..4000).map(|i| i % 900 + 100).collect();
    let p = temp("panic", &pcap(&lens));
    let shared = Arc::new(SharedFile::open(&p, Shards::even(3), None).unwrap());
    shared.panic_at.store(5, Ordering::Relaxed);
    let ended = on_threads(&shared, 3, 20, |s, r| records_seen(s, r).0.len());
    assert!(ended.iter().any(Option::is_none), "{ended:?}: one panicked");
    assert!(
        ended.iter().flatten().all(|&n| n > 0 && n < lens.len()),
        "{ended:?}: the others stopped at the chunks published"
    );
    std::fs::remove_file(p).unwrap();
}

/// The ring's chunks share the room given them, within their bounds.
#[test]
fn chunks_share_their_room() {
    assert_eq!(chunk_for(64, 64 << 20), CHUNK);
    assert_eq!(chunk_for(64, 0), MIN_CHUNK);
    let c = chunk_for(8, ring_len(8) * (MIN_CHUNK + 10_000));
    assert!(c > MIN_CHUNK && c < CHUNK && c.is_multiple_of(4096), "{c}");
    assert!(c * ring_len(8) <= ring_len(8) * (MIN_CHUNK + 10_000));
}

/// With room to spare, a chunk takes [`PER_READER`] bytes a reader: the least chunks for
/// two readers (the default on two cores), the largest from eight.
#[test]
fn chunks_grow_with_their_readers() {
    let room = 64 << 20;
    assert_eq!(chunk_for(1, room), MIN_CHUNK);
    assert_eq!(chunk_for(2, room), MIN_CHUNK);
    assert_eq!(chunk_for(4, room), CHUNK / 2);
    assert_eq!(chunk_for(8, room), CHUNK);
    assert_eq!(chunk_for(16, room), CHUNK);
}

/// Readers at uneven paces (0 to 280 µs of work per chunk, longer than a waiting reader
/// looks before it sleeps), two of them and more than there are cores, all finish and
/// each sees every record: no change is missed between a reader's look without the lock
/// and its sleep. (A change made while a reader that had stopped looking waited for the
/// lock was missed, and every reader slept for ever: `--threads 4` hung on a 2-core
/// machine, and this test with them.)
#[test]
fn uneven_readers_all_finish() {
    let lens: Vec<usize> = (0..8000).map(|i| (i * 131) % 1500 + 40).collect();
    let p = temp("uneven", &pcap(&lens));
    for readers in [2, 3, 8] {
        let shared = Arc::new(SharedFile::open(&p, Shards::even(readers as u64), None).unwrap());
        let seen = on_threads(&shared, readers, 30, |s, r| {
            let mut seen = 0;
            let mut prev = None;
            let mut k = r as u64;
            while let Some(c) = s.next(r, prev.take(), &mut || false) {
                seen += c.count;
                // Work (not sleep) for 0 to 280 µs: more busy readers than cores contend
                // for the lock and are preempted between a look and a lock.
                k = k * 37 % 101 + 1;
                let t = std::time::Instant::now();
                while t.elapsed() < std::time::Duration::from_micros(k % 8 * 40) {
                    std::hint::spin_loop();
                }
                prev = Some(c);
            }
            seen
        });
        for n in seen {
            assert_eq!(n, Some(lens.len() as u64), "{readers} readers");
        }
    }
    std::fs::remove_file(p).unwrap();
}

/// A reader that must wait for another does the work it has that can wait, before it
/// spins or sleeps, until it has none left or the wait is over.
#[test]
fn a_reader_that_waits_does_its_idle_work_first() {
    let lens: Vec<usize> = (0..3000).map(|i| i % 900 + 100).collect();
    let p = temp("idle", &pcap(&lens));
    let shared = Arc::new(SharedFile::open(&p, Shards::even(2), None).unwrap());
    // Reader 0 takes nothing for a while: reader 1 fills the ring, then waits for the
    // slot reader 0 holds, with three pieces of work to do.
    let s = Arc::clone(&shared);
    let slow = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        records_seen(&s, 0)
    });
    let (mut work, mut calls, mut chunks) = (3, 0, 0);
    let mut prev = None;
    while let Some(c) = shared.next(1, prev.take(), &mut || {
        calls += 1;
        work > 0 && {
            work -= 1;
            true
        }
    }) {
        chunks += 1;
        prev = Some(c);
    }
    assert_eq!(work, 0, "the work was done while waiting");
    assert!(
        calls >= 4,
        "{calls} calls: asked again until there was none"
    );
    assert!(chunks > RING, "{chunks} chunks");
    assert_eq!(slow.join().unwrap().0.len(), lens.len());
    std::fs::remove_file(p).unwrap();
}

/// A reader that waits for the slot a slower reader holds sleeps at once: the slot comes
/// free only when that reader is done with a whole chunk, and looking for it first only
/// burnt the core (on the 1 GB capture nearly every wait was this one). Reader 1 runs
/// ahead until the ring is full of chunks reader 0 has not taken.
#[test]
fn a_reader_that_waits_for_a_slower_one_sleeps_at_once() {
    let lens: Vec<usize> = (0..3000).map(|i| i % 900 + 100).collect();
    let p = temp("asleep", &pcap(&lens));
    let mut shared = SharedFile::open(&p, Shards::even(2), None).unwrap();
    // As on two cores and more (on one, no reader ever looks).
    shared.spin = SPIN;
    let shared = Arc::new(shared);
    let s = Arc::clone(&shared);
    let fast = std::thread::spawn(move || records_seen(&s, 1));
    let t = std::time::Instant::now();
    while shared.lock().waiting == 0 {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "reader 1 never waited"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(
        shared.lock().next[1] > RING as u64,
        "reader 1 filled the ring first"
    );
    assert_eq!(
        shared.looks.load(Ordering::Relaxed),
        0,
        "it slept without looking"
    );
    assert_eq!(records_seen(&shared, 0).0.len(), lens.len());
    assert_eq!(fast.join().unwrap().0.len(), lens.len());
    std::fs::remove_file(p).unwrap();
}

/// A reader that stops (its thread failed) does not hold the others back once it has
/// left: the ring's slots it would have released are free.
#[test]
fn a_reader_that_leaves_holds_nobody_back() {
    let lens: Vec<usize> = (0..3000).map(|i| i % 900 + 100).collect();
    let p = temp("leave", &pcap(&lens));
    let shared = Arc::new(SharedFile::open(&p, Shards::even(2), None).unwrap());
    let first = shared.next(1, None, &mut || false).unwrap();
    drop(first);
    shared.leave(1);
    // On a thread, so that a reader blocked for ever fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let s = Arc::clone(&shared);
    std::thread::spawn(move || tx.send(records_seen(&s, 0)));
    let (seen, end) = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the reader went on alone");
    assert_eq!(seen.len(), lens.len());
    assert_eq!(end, Some(End::Clean));
    std::fs::remove_file(p).unwrap();
}

/// Records smaller than an entry of the index (empty ones, 16 bytes with their header) are
/// read past it: no chunk's index takes more bytes than the records it covers (on
/// `e4bb769` a chunk of empty records had an entry of 56 bytes for each 16), the indexed
/// records are the chunk's first ones, and each reader still sees every record.
#[test]
fn the_index_takes_no_more_bytes_than_its_records() {
    use super::fill::INDEX_ENTRY;
    // Runs of empty records, and records of a packet's size among them.
    let lens: Vec<usize> = (0..30_000)
        .map(|i| if i % 50 < 45 { 0 } else { 60 + i % 7 })
        .collect();
    let bytes = pcap(&lens);
    let p = temp("tiny", &bytes);
    let (want, want_end) = expected(&bytes, CHUNK);
    let shared = SharedFile::open(&p, Shards::even(2), None).unwrap();
    // Reader 1 takes none: reader 0 must not wait for it.
    shared.leave(1);
    let (mut short, mut chunks) = (0, 0);
    let mut prev = None;
    while let Some(c) = shared.next(0, prev.take(), &mut || false) {
        let (records, index) = (c.records(), c.index());
        assert!(index.len() * INDEX_ENTRY <= records.len(), "chunk {chunks}");
        assert_eq!(
            (c.owners().len(), c.times().len()),
            (index.len(), index.len())
        );
        // The index covers the chunk's first records, in order.
        let mut pos = 0;
        for rec in index {
            pos += record_len(records, pos, false).unwrap();
            assert_eq!(rec.end as usize, pos, "chunk {chunks}");
        }
        short += usize::from(pos < records.len());
        chunks += 1;
        prev = Some(c);
    }
    drop(prev);
    shared.leave(0);
    assert!(
        chunks > 3 && short > 0,
        "{chunks} chunks, {short} read past the index"
    );
    let shared = SharedFile::open(&p, Shards::even(2), None).unwrap();
    all_see(&shared, 2, (&want, want_end), "tiny records");
    std::fs::remove_file(p).unwrap();
}
