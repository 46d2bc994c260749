//! Adversarial traffic (issue 8): inputs built to exhaust time or memory or to fool the
//! report, each run through the whole pipeline and sized to finish in a few seconds in a
//! debug build. What must hold: every frame counted, every close still exact, each cap hit
//! said in the report, nothing invented, and no allocation near the size an attacker
//! declared (measured per thread by a counting allocator).
//!
//! Already covered elsewhere, so not repeated here: a 64-bit length with the top bit set
//! (`websocket::synthetic::length_with_top_bit_set_is_reported_not_allocated`); the
//! far-ahead flood at the range cap and at a byte cap, with its gap, `buffer-cap-hit` and
//! the exact close after it (`stack::reassembly::s25_*`); single conflicting
//! retransmissions over delivered and over queued bytes, first bytes winning
//! (`stack::reassembly::s05_*`, `s06_*`); a close reason with ESC, pipes, backticks, HTML
//! and a newline in every output format (`render::formats::hostile_reason_*`); a close
//! reason that is not UTF-8 (`websocket::synthetic::close_reason_not_utf8`).

use crate::common;

use common::*;
use etherparse::PacketBuilder;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::report::{ConnectionReport, Report};
use wsclose::vocab::Problem;
use wsclose::vocab::{
    Kind, LinkType,
    Role::{Client, Server},
    Timestamp,
};

// ---------------------------------------------------------------------------------------
// Counting allocator: bytes live on this thread, and their peak
// ---------------------------------------------------------------------------------------

/// The system allocator, counting what each thread has live. The analysis of a small
/// capture runs on the calling thread (one shard), so a test's own thread sees every
/// allocation the library makes for it, whatever other tests do meanwhile. It is the
/// allocator of the whole `it` test binary: every test's allocations pass through it, each
/// counted on its own thread, which changes nothing for them.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: the allocator is also called while thread-locals are torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result with the most bytes it had allocated at once (on this
/// thread, beyond what was live before).
fn peak_heap<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, (peak - base).max(0) as usize)
}

const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn kinds(c: &ConnectionReport) -> Vec<Kind> {
    c.findings.iter().map(|f| f.kind).collect()
}

/// `pkts` analyzed as a pcap file (on one thread), timed, with the peak heap of the
/// analysis alone (the file is written before, and read memory-mapped).
fn analyze_measured(pkts: &[Pkt], opts: Options) -> (Report, Duration, usize) {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adversarial.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    let opts = Options { threads: 1, ..opts };
    let started = Instant::now();
    let (r, peak) = peak_heap(|| wsclose::analyze_files(&[path], opts).unwrap());
    let took = started.elapsed();
    eprintln!("took {took:?}, peak heap {peak} bytes");
    (r, took, peak)
}

// ---------------------------------------------------------------------------------------
// Millions of 1-byte frames
// ---------------------------------------------------------------------------------------

/// 1-byte binary frames sent by the server before its close (3 bytes each on the wire).
const ONE_BYTE_FRAMES: usize = 1_000_000;

#[test]
fn a_million_one_byte_frames_are_all_counted_and_the_close_after_them_is_exact() {
    let mut s = Session::new(42001, 8080);
    s.open();
    let mut flight = Vec::with_capacity(ONE_BYTE_FRAMES * 3 + 16);
    for i in 0..ONE_BYTE_FRAMES {
        flight.extend_from_slice(&[0x82, 0x01, i as u8]);
    }
    flight.extend_from_slice(&close(Server, 1000, "after a million"));
    let pkts = s.send_chunks(Server, &flight, 1448);
    let last = *pkts.last().unwrap();
    // The client's frames: a text message in 1-byte fragments, "é" (C3 A9) split across
    // two of them, then its close.
    let word = "aé€z".as_bytes();
    for (i, b) in word.iter().enumerate() {
        let op = if i == 0 { OP_TEXT } else { OP_CONT };
        s.send(
            Client,
            &frame(i == word.len() - 1, 0, op, Some(MASK), &[*b]),
        );
    }
    let reply = s.send(Client, &close(Client, 1000, "after a million"));
    s.fins(Server);

    let (r, took, peak) = analyze_measured(&s.pkts, Options::default());
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "after a million", last),
            cl(Client, 1000, "after a million", reply)
        ]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(findings(c), vec![]);
    let f = c.frames.server;
    assert_eq!(f.frames, ONE_BYTE_FRAMES as u64 + 1);
    assert_eq!(
        (f.messages, f.binary_messages),
        (ONE_BYTE_FRAMES as u64, ONE_BYTE_FRAMES as u64)
    );
    assert_eq!(
        f.payload_bytes,
        ONE_BYTE_FRAMES as u64 + close_payload(1000, "after a million").len() as u64
    );
    let cf = c.frames.client;
    assert_eq!((cf.frames, cf.text_messages), (word.len() as u64 + 1, 1));
    assert_eq!(
        c.tcp.server.bytes as usize,
        response(false).len() + flight.len()
    );
    // Nothing is kept per frame (about 14 KB at the peak; the capture is memory-mapped).
    assert!(peak < MIB, "peak heap {peak} bytes");
    // About 0.5 s in a debug build; a step quadratic in the frames would take hours.
    assert!(took < Duration::from_secs(60), "{took:?}");
}

// ---------------------------------------------------------------------------------------
// A hundred thousand short-lived flows
// ---------------------------------------------------------------------------------------

/// Flows that are not WebSocket: a SYN and a FIN from the client, and for every other one
/// a FIN from the server too (closed on both sides, so it leaves at once).
const SHORT_FLOWS: u32 = 100_000;
/// Every this many short flows, one WebSocket connection: upgrade, a close each way, no
/// TCP ending (so only the flow cap or the end of input can finish it).
const WS_EVERY: u32 = 1_000;
const MAX_FLOWS: usize = 1_000;

/// A bare TCP segment of a short flow: ((address, port) from, to, seq, ack, flags).
fn bare(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    seq: u32,
    ack: Option<u32>,
    flags: u8,
) -> Vec<u8> {
    let mut b = PacketBuilder::ipv4(from.0, to.0, 64).tcp(from.1, to.1, seq, 65535);
    if flags & SYN != 0 {
        b = b.syn();
    }
    if flags & FIN != 0 {
        b = b.fin();
    }
    if let Some(ack) = ack {
        b = b.ack(ack);
    }
    let mut out = Vec::with_capacity(b.size(0));
    b.write(&mut out, &[]).unwrap();
    out
}

/// Appends a packet 1 ms after the previous one.
fn push(pkts: &mut Vec<Pkt>, data: Vec<u8>, from: wsclose::vocab::Role) {
    let id = pkts.len() as u64 + 1;
    pkts.push(Pkt {
        id,
        orig_len: data.len() as u32,
        data,
        from,
        ts: Timestamp(T0.0 + id as i64 * 1_000_000),
    });
}

#[test]
fn a_hundred_thousand_short_flows_stay_under_the_flow_cap_and_every_close_is_reported() {
    let server = ([10, 9, 9, 9], 80);
    let mut pkts: Vec<Pkt> = Vec::new();
    // (client port, code, packet of the server's close, packet of the client's).
    let mut expected: Vec<(u16, u16, u64, u64)> = Vec::new();
    let mut half_open = 0u64;
    for i in 0..SHORT_FLOWS {
        if i % WS_EVERY == 0 {
            let k = (i / WS_EVERY) as u16;
            let mut s = Session::new(20_000 + k, 8080);
            s.open();
            s.send(Server, &close(Server, 4000 + k, "bye"));
            s.send(Client, &close(Client, 4000 + k, "bye"));
            let at = pkts.len() as u64;
            expected.push((20_000 + k, 4000 + k, at + 6, at + 7));
            for p in s.pkts {
                push(&mut pkts, p.data, p.from);
            }
        }
        let client = ([10, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8], 40_000);
        let isn = i.wrapping_mul(2_654_435_761);
        let fin = isn.wrapping_add(1);
        push(&mut pkts, bare(client, server, isn, None, SYN), Client);
        push(&mut pkts, bare(client, server, fin, None, FIN), Client);
        if i % 2 == 0 {
            let ack = Some(fin.wrapping_add(1));
            push(&mut pkts, bare(server, client, 7, ack, FIN), Server);
        } else {
            half_open += 1;
        }
    }
    let ws = expected.len() as u64;
    let opts = Options {
        max_flows: MAX_FLOWS,
        // Capture time here is 1 ms a packet: only the flow cap evicts.
        idle_timeout_s: 1 << 30,
        threads: 1,
        ..Options::default()
    };
    // About 250 000 packets: 1.5 s in a debug build.
    let (r, took, peak) = analyze_measured(&pkts, opts);

    assert_eq!(r.seen.packets, pkts.len() as u64);
    assert_eq!(r.seen.tcp_connections, u64::from(SHORT_FLOWS) + ws);
    assert_eq!(r.seen.other_tcp_connections, u64::from(SHORT_FLOWS));
    // Flows closed on both sides leave at once and are never evicted; every other flow
    // stays until the cap pushes it out. Whatever the end of input found still tracked
    // (not evicted) fits under the cap.
    let open = half_open + ws;
    let evicted = r.seen.evicted_flows;
    assert!(evicted <= open, "{evicted} evicted of {open} open");
    assert!(
        open - evicted <= MAX_FLOWS as u64,
        "{} flows were still tracked at the end, over the cap of {MAX_FLOWS}",
        open - evicted
    );
    // Every WebSocket connection, evicted or not, reported with both closes exact.
    assert_eq!(r.connections.len() as u64, ws);
    for (port, code, server_close, client_close) in &expected {
        let c = r
            .connections
            .iter()
            .find(|c| c.client == format!("10.0.0.1:{port}"))
            .unwrap_or_else(|| panic!("connection from port {port} not reported"));
        assert_eq!(
            closes(c),
            vec![
                cl(Server, *code, "bye", *server_close),
                cl(Client, *code, "bye", *client_close)
            ]
        );
        assert_eq!(c.status.code, Some(*code));
        assert_eq!(findings(c), vec![]);
    }
    // What the cap bounds: about 10 MB at the peak here (the flows under the cap, 65 536
    // tombstones of closed flows, the reports); over 200 MB with the default cap of 200 000,
    // where all 50 000 half-open flows stay tracked.
    assert!(peak < 32 * MIB, "peak heap {peak} bytes");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

// ---------------------------------------------------------------------------------------
// Far-ahead segments that never fill a hole
// ---------------------------------------------------------------------------------------

#[test]
fn held_forged_closes_past_a_hole_over_a_header_are_never_decoded() {
    // The server's frame header is lost; behind the hole, 5 000 segments each holding a
    // whole close frame 4001, with holes between them. The range cap (1024) forces the
    // gaps: the decoder, which lost a header, cannot know where frames start and must not
    // read the forged closes as real ones.
    let mut s = Session::new(42003, 8080);
    s.open();
    let reply = s.send(Client, &close(Client, 1000, "real"));
    let frame = binary(Server, &pattern(100));
    s.lose(Server, &frame[..2]);
    let forged = close(Server, 4001, "forged");
    let base = s.next[1].wrapping_add(98);
    let flood: Vec<u64> = (0..5_000u32)
        .map(|i| s.emit(Server, 0, base.wrapping_add(i * 64), &forged, None))
        .collect();
    let (r, took, peak) = analyze_measured(&s.pkts, Options::default());
    let c = only(&r);
    assert_eq!(closes(c), vec![cl(Client, 1000, "real", reply)]);
    assert!(
        c.close_frames.iter().all(|f| f.code != Some(4001)),
        "a forged close was decoded"
    );
    // The 1025th held segment is over the range cap: the hole over the header becomes a
    // gap there, the decoder says it lost the frame boundaries, and the report names the cap.
    let over = flood[1024];
    assert_eq!(
        findings(c)[..3],
        [
            (Kind::Gap, Some(Server), Some(over)),
            (Kind::OutOfSync, Some(Server), Some(over)),
            (Kind::BufferCapHit, None, Some(over))
        ]
    );
    // Each later hole is a gap too; the findings past the per-connection cap are counted.
    let t = c.tcp.server;
    assert_eq!((t.out_of_order, t.gaps), (5_000, 5_000));
    assert!(c.findings_dropped > 0);
    assert_eq!(c.findings.len() as u64 + c.findings_dropped, t.gaps + 2);
    assert!(kinds(c)[3..].iter().all(|k| *k == Kind::Gap));
    // Nothing from the forged frames counted as frames of the server.
    assert_eq!(c.frames.server.frames, 0);
    // At most 1024 small ranges held (about 200 KB at the peak).
    assert!(peak < 4 * MIB, "peak heap {peak} bytes");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn segments_implausibly_far_ahead_are_not_held_and_leave_no_gap() {
    // 100 000 segments 1.5 GiB past the server's frontier (beyond the 1 GiB a segment may
    // lead by): none is held, none forces a gap, the real close is exact, and the report
    // says how many were ignored and where the first was.
    let mut s = Session::new(42004, 8080);
    s.open();
    let far = s.next[1].wrapping_add(3 << 29);
    let mut first = None;
    for i in 0..100_000u32 {
        let n = s.emit(
            Server,
            0,
            far.wrapping_add(i * 16),
            &close(Server, 4001, "far"),
            None,
        );
        first.get_or_insert(n);
    }
    let real = s.send(Server, &close(Server, 1000, "real"));
    let reply = s.send(Client, &close(Client, 1000, "real"));
    s.fins(Server);
    let (r, _, peak) = analyze_measured(&s.pkts, Options::default());
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "real", real),
            cl(Client, 1000, "real", reply)
        ]
    );
    assert_eq!(
        findings(c),
        vec![(Kind::ImplausibleSegment, Some(Server), first)]
    );
    assert_eq!(
        (
            c.tcp.server.gaps,
            c.tcp.server.out_of_order,
            c.tcp.server.implausible
        ),
        (0, 0, 100_000)
    );
    assert!(peak < MIB, "peak heap {peak} bytes");
}

// ---------------------------------------------------------------------------------------
// Declared sizes: 2^63-1 bytes, and a decompression bomb
// ---------------------------------------------------------------------------------------

#[test]
fn a_frame_declaring_2_pow_63_minus_1_bytes_is_skipped_not_allocated() {
    // 82 7F 7F FF.. FF: a binary frame of 2^63-1 bytes, a legal length (top bit clear).
    let mut s = Session::new(42005, 8080);
    s.open();
    let mut bytes = vec![0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    bytes.extend_from_slice(&pattern(4000));
    s.send(Server, &bytes);
    // Another 200 KB of the payload, and a "close frame" inside it that is payload.
    for _ in 0..100 {
        s.send(Server, &pattern(2000));
    }
    s.send(Server, &close(Server, 4001, "inside the payload"));
    let reply = s.send(Client, &close(Client, 1001, "going"));
    let fin = s.fin(Server);
    s.fin(Client);
    let (r, took, peak) = analyze_measured(&s.pkts, Options::default());
    let c = only(&r);
    assert_eq!(closes(c), vec![cl(Client, 1001, "going", reply)]);
    assert_eq!(
        findings(c),
        vec![(Kind::TruncatedMessage, Some(Server), Some(fin))]
    );
    let f = c.frames.server;
    assert_eq!(f.frames, 0, "the frame never ended");
    assert_eq!(
        f.payload_bytes,
        4000 + 100 * 2000 + close(Server, 4001, "inside the payload").len() as u64
    );
    // Skipped as it streams by: about 10 KB at the peak.
    assert!(peak < MIB, "peak heap {peak} bytes");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A raw deflate stream (RFC 7692 §7.2.1, trailing 00 00 FF FF removed) that inflates to
/// `mib` MiB of zeros, built from two compressed MiB: the second, compressed against a
/// window of zeros and ending on a byte boundary (sync flush), inflates to the same MiB
/// wherever it is repeated after the first.
fn zeros_bomb(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; MIB];
    let mut c = Compress::new(Compression::best(), false);
    let block = |c: &mut Compress| {
        let mut out = Vec::with_capacity(MIB);
        let before = c.total_in();
        while c.total_in() - before < MIB as u64 {
            let at = (c.total_in() - before) as usize;
            c.compress_vec(&zeros[at..], &mut out, FlushCompress::None)
                .unwrap();
            out.reserve(64 << 10);
        }
        out.reserve(64 << 10);
        c.compress_vec(&[], &mut out, FlushCompress::Sync).unwrap();
        assert!(
            out.ends_with(&[0, 0, 0xFF, 0xFF]),
            "sync flush not complete"
        );
        out
    };
    let first = block(&mut c);
    let again = block(&mut c);
    let mut bomb = first;
    for _ in 1..mib {
        bomb.extend_from_slice(&again);
    }
    bomb.truncate(bomb.len() - 4);
    bomb
}

#[test]
fn a_decompression_bomb_hits_the_inflate_cap_without_a_large_allocation() {
    // permessage-deflate negotiated; one compressed binary message of 66 MiB of zeros,
    // past the 64 MiB cap, then a close each way.
    let bomb = zeros_bomb(66);
    assert!(bomb.len() < 200 << 10, "{} bytes compressed", bomb.len());
    let mut s = Session::new(42006, 8080);
    s.open_with(true);
    let pkts = s.send_chunks(Server, &frame(true, RSV1, OP_BINARY, None, &bomb), 1448);
    let closing = s.send(Server, &close(Server, 1000, "after the bomb"));
    let reply = s.send(Client, &close(Client, 1000, "after the bomb"));
    s.fins(Server);
    let (r, took, peak) = analyze_measured(&s.pkts, Options::default());
    let c = only(&r);
    assert!(c.handshake.deflate);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "after the bomb", closing),
            cl(Client, 1000, "after the bomb", reply)
        ]
    );
    // Found in the packet whose bytes took the message past 64 MiB, not before it.
    let hit: Vec<_> = findings(c)
        .into_iter()
        .filter(|f| f.0 == Kind::InflateCapHit)
        .collect();
    assert_eq!(hit.len(), 1, "{:?}", findings(c));
    assert_eq!(hit[0].1, Some(Server));
    let at = hit[0].2.unwrap();
    assert!(pkts.contains(&at) && at != pkts[0], "{at}");
    assert_eq!(kinds(c), vec![Kind::InflateCapHit]);
    let f = c.frames.server;
    assert_eq!((f.frames, f.binary_messages), (2, 1));
    // Inflated bytes are checked as they come and dropped: about 100 KB at the peak (the
    // inflater's window), nothing near 64 MiB.
    assert!(peak < MIB, "peak heap {peak} bytes");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

// ---------------------------------------------------------------------------------------
// Many conflicting retransmissions
// ---------------------------------------------------------------------------------------

#[test]
fn a_thousand_conflicting_retransmissions_of_a_close_keep_the_first_bytes() {
    // The server's close 1000, then 1 000 copies of its bytes each saying another code,
    // starting up to 3 bytes before or after the original (so over the text before it).
    let mut s = Session::new(42007, 8080);
    s.open();
    let hello = text(Server, "hello");
    s.send(Server, &hello);
    let at = s.next[1];
    let first = s.send(Server, &close(Server, 1000, "first"));
    for i in 0..1_000u32 {
        let mut fake = [hello.clone(), close(Server, 4000 + i as u16, "first")].concat();
        let shift = (i % 7) as usize;
        // Start `shift` bytes into `fake`, which puts it at `at - hello.len() + shift`.
        let seq = at
            .wrapping_sub(hello.len() as u32)
            .wrapping_add(shift as u32);
        s.emit(Server, 0, seq, &fake.split_off(shift), None);
    }
    let reply = s.send(Client, &close(Client, 1000, "first"));
    s.fins(Server);
    let (r, took, _) = analyze_measured(&s.pkts, Options::default());
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "first", first),
            cl(Client, 1000, "first", reply)
        ]
    );
    assert_eq!(kinds(c), vec![Kind::InconsistentRetransmission]);
    let t = c.tcp.server;
    assert_eq!((t.retransmissions, t.inconsistencies), (1_000, 1_000));
    assert!(took < Duration::from_secs(10), "{took:?}");
}

// ---------------------------------------------------------------------------------------
// More frames than --timeline keeps
// ---------------------------------------------------------------------------------------

/// `--timeline` keeps the last 100 000 frames each way: past that, JSON says how many fell
/// out (`timeline_frames_left_out`) and the CSV, whose rows are all frames, says it on
/// standard error; neither lists them.
#[test]
fn the_timeline_cap_is_said_in_json_and_csv() {
    const FRAMES: usize = 100_010;
    let mut s = Session::new(42010, 8080);
    s.open();
    let mut flight = Vec::with_capacity(FRAMES * 3 + 16);
    for i in 0..FRAMES {
        flight.extend_from_slice(&[0x82, 0x01, i as u8]);
    }
    flight.extend_from_slice(&close(Server, 1000, "done"));
    s.send_chunks(Server, &flight, 1448);
    s.send(Client, &close(Client, 1000, "done"));
    s.fins(Server);
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &s.pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timeline.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    let run = |format: &str| {
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .args(["analyze", "--timeline", "--format", format])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // The server's frames and close, less the 100 000 kept.
    let lost = FRAMES as u64 + 1 - 100_000;
    let (json, _) = run("json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c = &v["connections"][0];
    assert_eq!(c["timeline_frames_left_out"], lost);
    assert_eq!(c["timeline"].as_array().unwrap().len(), 100_000 + 1);
    let (csv, err) = run("csv");
    assert_eq!(
        csv.lines().count(),
        1 + 100_000 + 1,
        "a header and a row per frame"
    );
    assert!(
        err.contains(&format!(
            "wsclose: warning: --timeline: {lost} earlier frames of connection 1 fell out of the frame log"
        )),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// A close reason made to attack the terminal
// ---------------------------------------------------------------------------------------

/// ESC sequences (colour, clear screen, OSC title with BEL), C1 CSI as a character
/// (U+009B), a bidi override, and bytes that are not UTF-8: a lone 0x9B (CSI on 8-bit
/// terminals), 0xFF, and a character cut short.
const HOSTILE_REASON: &[u8] =
    b"\x1b[31mred\x1b[2J\x1b]0;owned\x07 \xc2\x9b1;1H \xe2\x80\xae evil \x9b2J \xff \xe2\x82";

/// Characters that must never reach a terminal raw.
fn raw_control(c: char) -> bool {
    c.is_control() && c != '\n' || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn a_close_reason_of_escape_sequences_and_invalid_utf8_is_flagged_and_shown_inert() {
    let mut s = Session::new(42008, 8080);
    s.open();
    let mut payload = 4000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(HOSTILE_REASON);
    let bad = s.send(Server, &close_raw(Server, &payload));
    s.send(Client, &close(Client, 1007, "bad reason"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!((f.from, f.code, f.packet), (Server, Some(4000), bad));
    assert!(
        f.problems.contains(&Problem::ReasonNotUtf8),
        "{:?}",
        f.problems
    );
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Server), Some(bad))]
    );
    // The bytes that are not UTF-8 are replaced, never passed on.
    assert_eq!(
        f.reason,
        String::from_utf8_lossy(HOSTILE_REASON),
        "the reason in the model"
    );

    let outputs = [
        (
            "table",
            wsclose::render::table::render(&r, Some(100), false),
        ),
        (
            "table, colour",
            wsclose::render::table::render(&r, Some(100), true),
        ),
        ("markdown", wsclose::render::markdown::render(&r, &[None])),
    ];
    for (name, out) in &outputs {
        // The colour table styles itself with SGR sequences: anything else is an ESC that
        // came from the reason.
        let text = if *name == "table, colour" {
            strip_sgr(out)
        } else {
            out.clone()
        };
        let raw: Vec<char> = text.chars().filter(|&c| raw_control(c)).collect();
        assert!(raw.is_empty(), "{name}: raw {raw:?} in\n{out}");
        // Shown as visible escapes instead (the table may wrap the reason over lines).
        for shown in ["x1b", "x07", "x9b", "202e"] {
            assert!(text.contains(shown), "{name}: no {shown} in\n{out}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Invisible characters in a close reason, headers and an SNI
// ---------------------------------------------------------------------------------------

/// Characters a reader does not see: zero-width space and word joiner, soft hyphen, byte
/// order mark, line and paragraph separators, interlinear annotation anchor, Hangul
/// fillers, and tag characters (U+E0000 block: ASCII smuggled as invisible text).
const INVISIBLE: [char; 11] = [
    '\u{200b}',
    '\u{2060}',
    '\u{ad}',
    '\u{feff}',
    '\u{2028}',
    '\u{2029}',
    '\u{fff9}',
    '\u{115f}',
    '\u{3164}',
    '\u{e0041}',
    '\u{e007f}',
];

/// A close reason, a Host header, a path and a subprotocol carrying [`INVISIBLE`], and an
/// SNI carrying them too: no format (table, Markdown, JSON, CSV, the live lines and their
/// JSON) lets one through raw; each is shown as an escape; the model keeps them as sent.
#[test]
fn invisible_characters_reach_no_format_raw() {
    let hidden: String = INVISIBLE.iter().flat_map(|c| [*c, 'x']).collect();
    let mut s = Session::new(42009, 8080);
    s.handshake();
    let request = format!(
        "GET /chat{hidden} HTTP/1.1\r\nHost: example{hidden}.test\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat{hidden}\r\n\r\n"
    );
    s.send(Client, request.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         Sec-WebSocket-Protocol: chat{hidden}\r\n\r\n"
    );
    s.send(Server, response.as_bytes());
    s.send(Server, &close(Server, 4000, &hidden));
    s.send(Client, &close(Client, 4000, &hidden));
    s.fins(Server);

    let mut r = s.analyze();
    let c = only(&r);
    assert_eq!(
        c.close_frames[0].reason, hidden,
        "the model keeps the reason"
    );
    assert_eq!(
        c.handshake.host.as_deref(),
        Some(format!("example{hidden}.test").as_str())
    );
    assert_eq!(
        c.handshake.path.as_deref(),
        Some(format!("/chat{hidden}").as_str())
    );
    // An encrypted connection whose SNI hides the same characters.
    let tls = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls/python-tls13-aes128gcm-close-1000.pcap");
    let mut encrypted = wsclose::analyze_files(&[tls], Options::default()).unwrap();
    let mut e = encrypted.seen.encrypted.remove(0);
    e.tls.sni = Some(format!("sni{hidden}.test"));
    r.seen.encrypted.push(e);
    r.summary.encrypted_connections = 1;

    // The live lines of the same capture.
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut a = wsclose::__internals::analyzer::Analyzer::new(Options::default());
    let sink = std::sync::Arc::clone(&lines);
    a.on_event(Box::new(move |ev| {
        let mut sink = sink.lock().unwrap();
        sink.push(wsclose::render::events::line(ev));
        sink.push(wsclose::render::events::json_line(
            ev,
            &wsclose::render::events::Stream::default(),
        ));
    }));
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &s.pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invisible.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    wsclose::__internals::capture::file::read(&path, &mut |p| a.packet(p)).unwrap();
    let live = lines.lock().unwrap().join("\n");

    let outputs = [
        (
            "table",
            wsclose::render::table::render(&r, Some(200), false),
        ),
        ("markdown", wsclose::render::markdown::render(&r, &[None])),
        ("json", wsclose::render::json::render(&r)),
        ("csv", wsclose::render::csv::render(&r)),
        ("live", live),
    ];
    for (name, out) in &outputs {
        let raw: Vec<char> = out.chars().filter(|c| INVISIBLE.contains(c)).collect();
        assert!(raw.is_empty(), "{name}: raw {raw:?} in\n{out}");
        // Shown as escapes instead: `\u{200b}` (JSON: `\u200b`, a tag as a surrogate pair).
        let shown: &[&str] = match *name {
            "json" => &[
                "200b",
                "2060",
                "00ad",
                "feff",
                "2028",
                "3164",
                "\\udb40\\udc41",
            ],
            "csv" => &["200b", "2060", "u{ad}", "feff", "2028", "3164", "e0041"],
            _ => &["200b", "2060", "xad", "feff", "2028", "3164", "e0041"],
        };
        for s in shown {
            assert!(out.contains(s), "{name}: no {s} in\n{out}");
        }
    }
    // JSON reads back as the text that was sent.
    let v: serde_json::Value = serde_json::from_str(&outputs[2].1).unwrap();
    assert_eq!(
        v["connections"][0]["close_frames"][0]["reason"],
        hidden.as_str()
    );
    assert_eq!(
        v["seen"]["encrypted"][0]["tls"]["sni"],
        format!("sni{hidden}.test")
    );
}

/// The colour table without its own SGR sequences (ESC [ digits/; m); any other ESC fails.
fn strip_sgr(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
                assert!(
                    d.is_ascii_digit() || d == ';',
                    "not an SGR sequence: {line:?}"
                );
            }
            continue;
        }
        out.push(c);
    }
    out
}
