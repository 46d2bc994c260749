//! A key-log file read by several threads at once: the analysis's one serial step before
//! the capture otherwise (22 MB: 50 ms on one thread).
//!
//! In: a regular file of at least two [`PART_MIN`], its length, and how many threads may read
//! it. Out: the `KeyLog` of its lines, the same as reading it in order gives; or nothing
//! when that reading is needed for its warnings (a bad line, a conflict between parts) or the
//! file cannot be read whole. The NSS key-log format is `stack::tls::keylog`'s.

use crate::capture::shared::read_full;
use crate::stack::tls::keylog::{KeyLog, MAX_LINE};

/// How much of a part is read at a time.
const READ_CHUNK: usize = super::READ_CHUNK;

/// A key log is read by several threads from twice this size ([`read_in_parts`]).
pub(super) const PART_MIN: u64 = 1 << 20;

/// The size of the parts a key log read by several threads is cut into. The threads take
/// parts in turn, so that a thread slowed down holds up one small part; and a part's table
/// (about 1 000 connections) is not a memory map of its own, whose freeing raises glibc's
/// threshold for those for the rest of the run (a 22 MB key log in two parts instead:
/// 0.6 MiB more peak RSS in the TLS analysis that followed, on two threads).
const PART_BYTES: u64 = 512 << 10;

/// A regular key-log file of `len` bytes (at least two [`PART_MIN`]) read by up to
/// `threads` threads at once: a key log read before the capture is otherwise the
/// analysis's one serial step. The file is cut into parts of about [`PART_BYTES`] at line
/// starts; each thread parses the parts it takes, [`READ_CHUNK`] at a time by positioned
/// reads, and the parts' tables are joined in the file's order. `None`, and the file is
/// read in order, which names the line at fault, when any line is bad or too long, a
/// connection's secret differs between parts, a read fails or comes short (the file
/// changed), or no thread can be made. What a key log gives is the same either way.
pub(super) fn read_in_parts(file: &std::fs::File, len: u64, threads: usize) -> Option<KeyLog> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if threads < 2 || len < 2 * PART_MIN {
        return None;
    }
    let parts = usize::try_from(len.div_ceil(PART_BYTES)).ok()?;
    // A part starts where a line does: after the first line end at or after the byte
    // before its share of the file. A line too long to hold its end in the window is
    // one the reading in order warns of.
    let mut starts = vec![0u64];
    let mut window = vec![0u8; MAX_LINE + 2];
    for k in 1..parts {
        let at = len / parts as u64 * k as u64 - 1;
        let (n, _) = read_full(file, &mut window, at);
        let end = memchr::memchr(b'\n', window.get(..n)?)?;
        let start = (at + end as u64 + 1).max(*starts.last()?);
        starts.push(start);
    }
    window.fill(0);
    std::hint::black_box(&window);
    starts.push(len);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let (Some(&from), Some(&to)) = (starts.get(k), starts.get(k + 1)) else {
                break;
            };
            let part = read_part(file, from, to, &mut buf);
            let failed = part.is_none();
            done.push((k, part));
            if failed {
                // The others stop at their next part: the file is read in order.
                next.store(parts, Ordering::Relaxed);
                break;
            }
        }
        // Best effort not to leave the log's text in freed memory.
        buf.fill(0);
        std::hint::black_box(&buf);
        done
    };
    let mut read: Vec<Option<KeyLog>> = (0..parts).map(|_| None).collect();
    std::thread::scope(|scope| {
        let spawned: Vec<_> = (0..threads.min(parts))
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        for (k, part) in spawned.into_iter().filter_map(|h| h.join().ok()).flatten() {
            if let Some(slot) = read.get_mut(k) {
                *slot = part;
            }
        }
    });
    // One table the size of the whole log, made once.
    let mut all = KeyLog::new();
    all.reserve_for(len);
    for part in read {
        if !all.absorb(part?) {
            return None;
        }
    }
    Some(all)
}

/// The lines of bytes `from..to` of a key-log file, `from` at a line's start, read
/// through `buf`: `None` when any is bad or the bytes cannot all be read.
fn read_part(file: &std::fs::File, from: u64, to: u64, buf: &mut [u8]) -> Option<KeyLog> {
    let mut log = KeyLog::new();
    log.reserve_for(to - from);
    let mut at = from;
    while at < to {
        let room = usize::try_from(to - at).map_or(buf.len(), |r| r.min(buf.len()));
        let chunk = buf.get_mut(..room)?;
        if read_full(file, chunk, at).0 != room || !log.append("", chunk).is_empty() {
            return None;
        }
        at += room as u64;
    }
    log.finish("").is_empty().then_some(log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{load, KeySources, Loaded};
    use crate::memory::DEFAULT_MAX_MEMORY;
    use crate::stack::tls::keylog::ClientRandom;
    use std::path::Path;

    /// A key log of `connections` connections of a few kinds, 5 MiB for 9 000: TLS 1.2
    /// lines, TLS 1.3 ones (five labels, some with CRLF), comments and blank lines; its
    /// randoms come with it. Connection `i`'s random starts with `i` and `tag`.
    fn mixed_log(connections: u32, tag: u8) -> (String, Vec<ClientRandom>) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut text = String::from("# a key log\n\n");
        let mut randoms = Vec::new();
        for i in 0..connections {
            let mut random = [tag; 32];
            random[..4].copy_from_slice(&i.to_be_bytes());
            let secret = |label: u8, len: usize| {
                hex(&(0..len)
                    .map(|k| (i as usize * 7 + k * 13 + usize::from(label)) as u8)
                    .collect::<Vec<_>>())
            };
            let r = hex(&random);
            if i % 3 == 0 {
                text += &format!("CLIENT_RANDOM {r} {}\n", secret(0, 48));
            } else {
                let end = if i % 5 == 0 { "\r\n" } else { "\n" };
                for (k, label) in [
                    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                    "CLIENT_TRAFFIC_SECRET_0",
                    "SERVER_TRAFFIC_SECRET_0",
                    "EXPORTER_SECRET",
                ]
                .iter()
                .enumerate()
                {
                    text += &format!("{label} {r} {}{end}", secret(k as u8 + 1, 32));
                }
            }
            if i % 1000 == 999 {
                text += "# a comment\n\n";
            }
            randoms.push(random);
        }
        (text, randoms)
    }

    fn load_file(path: &Path, threads: usize) -> Loaded {
        let sources = KeySources {
            files: vec![path.to_path_buf()],
            env: None,
        };
        load(&sources, &[], threads, DEFAULT_MAX_MEMORY)
    }

    /// Read in parts by 2, 3 and 7 threads, a key log gives what it gives read in order:
    /// the same secrets for every connection, the same counts, no warning; also with
    /// lines logged twice in different parts and no line end at the end of the file.
    #[test]
    fn a_key_log_read_in_parts_gives_what_it_gives_read_in_order() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (mut text, randoms) = mixed_log(9_000, 0xa5);
        // The first lines again at the end (the same secrets: not a conflict), the last
        // without its line end.
        let again: String = text.lines().take(40).map(|l| format!("{l}\n")).collect();
        text += &again;
        text.pop();
        let path = dir.path().join("keys.log");
        std::fs::write(&path, &text).expect("written");
        let len = text.len() as u64;
        assert!(len > 3 * PART_MIN, "{len}");
        let in_order = load_file(&path, 1);
        assert_eq!(in_order.keys.len(), randoms.len());
        assert!(in_order.warnings.is_empty(), "{:?}", in_order.warnings);
        let file = std::fs::File::open(&path).expect("opened");
        for threads in [2, 3, 7] {
            let parts = read_in_parts(&file, len, threads).expect("read in parts");
            assert_eq!(parts.len(), randoms.len(), "{threads}");
            assert_eq!(
                parts.usable_lines(),
                in_order.keys.usable_lines(),
                "{threads}"
            );
            for r in &randoms {
                assert_eq!(parts.get(r), in_order.keys.get(r), "{threads}");
                assert!(parts.get(r).is_some());
            }
            let loaded = load_file(&path, threads);
            assert_eq!(loaded.keys.len(), randoms.len());
            assert_eq!(loaded.sources, in_order.sources);
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        }
        // One thread, or a file under two megabytes: read in order.
        assert!(read_in_parts(&file, len, 1).is_none());
        let small = dir.path().join("small.log");
        std::fs::write(&small, &text[..(PART_MIN as usize * 2 - 10)]).expect("written");
        let file = std::fs::File::open(&small).expect("opened");
        assert!(read_in_parts(&file, PART_MIN * 2 - 10, 4).is_none());
    }

    /// A bad line, or a secret that differs from the one logged before in another part:
    /// the file is read in order, and the warnings name the same lines as with one thread.
    #[test]
    fn a_key_log_with_a_bad_line_or_a_conflict_is_read_in_order() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (text, _) = mixed_log(9_000, 0x5a);
        let lines: Vec<&str> = text.lines().collect();
        let mid = lines.len() / 2;
        let mut bad = lines.clone();
        bad[mid] = "CLIENT_RANDOM 00ff not-hex";
        // The first connection's secret again near the end, but different.
        let first = lines
            .iter()
            .find(|l| l.starts_with("CLIENT_RANDOM"))
            .expect("a TLS 1.2 line");
        let changed = format!("{}00", &first[..first.len() - 2]);
        let mut conflict = lines.clone();
        conflict.insert(lines.len() - 3, &changed);
        for (what, lines) in [("bad line", bad), ("conflict", conflict)] {
            let path = dir.path().join(format!("{what}.log"));
            std::fs::write(&path, lines.join("\n")).expect("written");
            let len = std::fs::metadata(&path).expect("there").len();
            let file = std::fs::File::open(&path).expect("opened");
            assert!(read_in_parts(&file, len, 4).is_none(), "{what}");
            let in_order = load_file(&path, 1);
            assert_eq!(
                in_order.warnings.len(),
                1,
                "{what}: {:?}",
                in_order.warnings
            );
            let parts = load_file(&path, 4);
            assert_eq!(parts.warnings, in_order.warnings, "{what}");
            assert_eq!(parts.sources, in_order.sources, "{what}");
            assert_eq!(parts.keys.len(), in_order.keys.len(), "{what}");
        }
    }

    /// Parts that start exactly at a line's start (12 500 lines of 176 bytes in 5 parts of
    /// 2 500 lines), and a file with no line end at all, which is read in order and warned
    /// of as before.
    #[test]
    fn parts_on_line_starts_and_a_file_without_line_ends() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let text: String = (0..12_500u32)
            .map(|i| {
                let random: String = i.to_be_bytes().iter().map(|b| format!("{b:02x}")).collect();
                format!(
                    "CLIENT_RANDOM {random}{} {}\n",
                    "ab".repeat(28),
                    "cd".repeat(48)
                )
            })
            .collect();
        assert_eq!(text.len(), 12_500 * 176);
        let len = text.len() as u64;
        assert_eq!(len.div_ceil(PART_BYTES), 5);
        assert_eq!(len / 5 % 176, 0, "each part's share ends at a line end");
        let path = dir.path().join("even.log");
        std::fs::write(&path, &text).expect("written");
        let file = std::fs::File::open(&path).expect("opened");
        let parts = read_in_parts(&file, len, 3).expect("read in parts");
        assert_eq!((parts.len(), parts.usable_lines()), (12_500, 12_500));
        let endless = dir.path().join("endless.log");
        std::fs::write(&endless, "ab".repeat(1_500_000)).expect("written");
        let file = std::fs::File::open(&endless).expect("opened");
        assert!(read_in_parts(&file, 3_000_000, 4).is_none());
        let in_order = load_file(&endless, 1);
        assert!(!in_order.warnings.is_empty());
        let parts = load_file(&endless, 4);
        assert_eq!(parts.warnings, in_order.warnings);
        assert_eq!(parts.keys.len(), 0);
    }
}
