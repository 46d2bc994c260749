//! REASSEMBLY.md's 32 test scenarios and two more from issue 32 (33: an ACK captured before
//! the data it acknowledges waits for it; 34: such a hole never filled is still a gap), one
//! test per scenario, named `sNN_<subject>` after its number (a scenario whose rule the library does not meet yet has a second, ignored
//! test holding the failing assertion), plus the assembler against a bitmap model.
//!
//! Every scenario is built in code (tests/common) and run through the whole pipeline: a
//! pcap written to a temporary directory and `wsclose::analyze_files`, or, for the stream
//! longer than 4 GiB, packets built on the fly and fed to the `Analyzer`. Each asserts what
//! the report says: close frames with code, reason and packet, status, how TCP ended,
//! findings and the `tcp` counters. Scenarios about raw byte delivery also drive a
//! `HalfStream` directly and compare the exact bytes. Scenarios about sequence numbers run
//! at ISNs 0, 1, 2^32-1 and 2^32-10, and at ISNs that put the wrap inside the data.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wsclose::analyzer::{Analyzer, Options};
use wsclose::capture::{LinkType, Packet, Timestamp};
use wsclose::finding::Kind;
use wsclose::flow::Role::{self, Client, Server};
use wsclose::report::{ConnectionReport, Report};
use wsclose::stack::tcp::assembler::{HalfStream, Limits};
use wsclose::stack::tcp::{Counters, Event};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The ISNs every sequence-number scenario runs at (REASSEMBLY.md, "Test scenarios").
const ISNS: [u32; 4] = [0, 1, u32::MAX, u32::MAX - 9];

/// (client ISN, server ISN) pairs: each of [`ISNS`] on both sides, then the pair that puts
/// the 2^32 wrap 3 bytes after the first `client_before` bytes of the client's stream and
/// the first `server_before` bytes of the server's.
fn isn_pairs(client_before: usize, server_before: usize) -> Vec<(u32, u32)> {
    let wrap_after = |n: usize| 0u32.wrapping_sub(1 + n as u32 + 3);
    let mut v: Vec<(u32, u32)> = ISNS.iter().map(|&i| (i, i)).collect();
    v.push((wrap_after(client_before), wrap_after(server_before)));
    v
}

/// The counters without `segments` (how segments are counted is not a rule of the spec).
fn tcp(c: Counters) -> Counters {
    Counters { segments: 0, ..c }
}

/// Counters of a direction that delivered `bytes` with nothing unusual.
fn clean(bytes: usize) -> Counters {
    Counters {
        bytes: bytes as u64,
        ..Counters::default()
    }
}

/// The kinds of the findings, in order.
fn kinds(c: &ConnectionReport) -> Vec<Kind> {
    c.findings.iter().map(|f| f.kind).collect()
}

/// `bytes` from `from` at sequence number `seq` (a retransmission, or a segment sent out of
/// order). The side's next sequence number moves only if this segment ends past it.
fn send_at(s: &mut Session, from: Role, seq: u32, bytes: &[u8]) -> u64 {
    let n = s.emit(from, 0, seq, bytes, None);
    let end = seq.wrapping_add(bytes.len() as u32);
    let i = side(from);
    if end.wrapping_sub(s.next[i]) as i32 > 0 {
        s.next[i] = end;
    }
    n
}

/// Where the pieces of `len` bytes cut at `cuts` start, and `len`.
fn bounds(cuts: &[usize], len: usize) -> Vec<usize> {
    [0].iter().chain(cuts).chain(&[len]).copied().collect()
}

/// `bytes` from `from` cut at `cuts` into pieces, the pieces captured in the order `order`
/// (indices of pieces). Returns the packet number of each piece, by piece index.
fn send_pieces(
    s: &mut Session,
    from: Role,
    bytes: &[u8],
    cuts: &[usize],
    order: &[usize],
) -> Vec<u64> {
    let bounds = bounds(cuts, bytes.len());
    assert_eq!(order.len(), bounds.len() - 1);
    let base = s.next[side(from)];
    let mut pkts = vec![0; order.len()];
    for &i in order {
        let (a, b) = (bounds[i], bounds[i + 1]);
        pkts[i] = s.emit(from, 0, base.wrapping_add(a as u32), &bytes[a..b], None);
    }
    s.next[side(from)] = base.wrapping_add(bytes.len() as u32);
    pkts
}

/// Captures packet `n` again, byte for byte (a duplicate or a retransmission).
fn resend(s: &mut Session, n: u64) -> u64 {
    let mut p = s.pkts[n as usize - 1].clone();
    p.id = s.pkts.len() as u64 + 1;
    p.ts = s.clock;
    s.clock = Timestamp(s.clock.0 + 1_000_000);
    s.pkts.push(p);
    s.pkts.len() as u64
}

/// How many of the contiguous pieces of a stream, arriving in `order` (piece indices), come
/// ahead of a hole and so have to wait.
fn held_count(order: &[usize]) -> u64 {
    let mut have = vec![false; order.len()];
    let mut frontier = 0;
    let mut held = 0;
    for &i in order {
        if i > frontier {
            held += 1;
        }
        have[i] = true;
        while frontier < have.len() && have[frontier] {
            frontier += 1;
        }
    }
    held
}

/// `n` distinct indices in a random order.
fn shuffled(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut v);
    v
}

/// One direction's stream as the assembler hands it out: bytes, `None` for gap bytes.
#[derive(Default)]
struct Stream {
    bytes: Vec<Option<u8>>,
    gaps: Vec<(u64, u64)>,
    /// (offset, length, packet) of each `Data` event.
    data: Vec<(u64, usize, u64)>,
}

impl Stream {
    fn push(&mut self, e: Event<'_>) {
        match e {
            Event::Data {
                offset,
                bytes,
                packet,
                ..
            } => {
                assert_eq!(offset, self.bytes.len() as u64, "data out of order");
                assert!(!bytes.is_empty(), "empty data event");
                self.data.push((offset, bytes.len(), packet));
                self.bytes.extend(bytes.iter().map(|&b| Some(b)));
            }
            Event::Gap { offset, len, .. } => {
                assert_eq!(offset, self.bytes.len() as u64, "gap out of order");
                assert!(len > 0, "empty gap");
                self.gaps.push((offset, len));
                self.bytes.extend(std::iter::repeat_n(None, len as usize));
            }
        }
    }
}

/// A `HalfStream` and what it delivered. Offsets passed to its methods are relative to the
/// first data byte's sequence number (`ISN + 1`), wrapping.
struct Half {
    h: HalfStream,
    out: Stream,
    /// Sequence number of offset 0.
    base: u32,
    limits: Limits,
}

impl Half {
    /// A direction whose SYN was seen.
    fn syn(isn: u32) -> Half {
        let mut half = Half::midstream(isn.wrapping_add(1));
        half.h.syn(isn);
        half
    }

    /// A direction picked up mid-stream; `base` is the sequence number offsets count from.
    fn midstream(base: u32) -> Half {
        Half {
            h: HalfStream::new(),
            out: Stream::default(),
            base,
            limits: Limits::default(),
        }
    }

    fn seg(&mut self, off: u64, data: &[u8]) {
        self.segment(off, data, 0, false, 1);
    }

    fn segment(&mut self, off: u64, data: &[u8], missing: u32, fin: bool, packet: u64) {
        let Half {
            h,
            out,
            base,
            limits,
        } = self;
        h.segment(
            base.wrapping_add(off as u32),
            data,
            missing,
            fin,
            packet,
            Timestamp(0),
            limits,
            &mut |e| out.push(e),
        );
    }

    fn ack(&mut self, off: u64) {
        let Half { h, out, base, .. } = self;
        h.peer_ack(base.wrapping_add(off as u32), 0, Timestamp(0));
        // The window a connection gives a reordered segment is over at once here.
        h.give_up(&Limits::default(), &mut |e| out.push(e));
    }

    fn flush(&mut self) {
        let Half { h, out, .. } = self;
        h.flush(&mut |e| out.push(e));
    }

    /// The stream so far, `_` for gap bytes.
    fn text(&self) -> String {
        self.out
            .bytes
            .iter()
            .map(|b| b.map_or('_', char::from))
            .collect()
    }

    fn bytes(&self) -> Vec<u8> {
        self.out.bytes.iter().map(|b| b.expect("no gap")).collect()
    }
}

/// A UTF-8 text of 1-, 2-, 3- and 4-byte characters: a byte lost, doubled or moved breaks
/// the decoder's UTF-8 check or its frame boundaries.
fn utf8_text(n: usize) -> String {
    "añ€𝄞 ".repeat(n)
}

// ---------------------------------------------------------------------------------------
// 1-7: delivery of bytes
// ---------------------------------------------------------------------------------------

#[test]
fn s01_handshake_data_both_ways_fin_both_ways() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(0, b"hello ");
        assert!(!h.h.fin_reached());
        h.segment(6, b"world", 0, true, 2);
        assert_eq!(h.text(), "hello world", "isn {isn}");
        assert!(h.h.fin_reached());
        assert_eq!(h.out.data, vec![(0, 6, 1), (6, 5, 2)]);

        let mut s = Session::new(41001, 8080).isns(isn, isn);
        s.open();
        let c_text = text(Client, "hello from the client");
        let s_bin = binary(Server, &pattern(3000));
        let c_close = close(Client, 1000, "done");
        let s_close = close(Server, 1000, "done");
        assert_eq!(s.send(Client, &c_text), 6);
        assert_eq!(s.send(Server, &s_bin), 7);
        assert_eq!(s.send(Client, &c_close), 8);
        assert_eq!(s.send(Server, &s_close), 9);
        assert_eq!(s.fin(Server), 10);
        assert_eq!(s.fin(Client), 11);
        s.ack(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "done", 8), cl(Server, 1000, "done", 9)],
            "isn {isn}"
        );
        assert_eq!((c.status.code, c.status.inferred), (Some(1000), false));
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Server), Some(10))
        );
        assert_eq!(findings(c), vec![]);
        assert_eq!(
            tcp(c.tcp.client),
            clean(request().len() + c_text.len() + c_close.len())
        );
        assert_eq!(
            tcp(c.tcp.server),
            clean(response(false).len() + s_bin.len() + s_close.len())
        );
        let (fc, fs) = (c.frames.client, c.frames.server);
        assert_eq!((fc.frames, fc.messages, fc.text_messages), (2, 1, 1));
        assert_eq!((fs.frames, fs.messages, fs.binary_messages), (2, 1, 1));
        assert_eq!(fs.largest_message, Some((3000, 7)));
    }
}

#[test]
fn s02_segment_3_before_2_reversed_and_random_permutation_of_50() {
    let msg = utf8_text(100);
    let mut rng = Rng(0x5EED_0002);
    for (ci, si) in isn_pairs(0, response(false).len() + 500) {
        let flight = [text(Server, &msg), close(Server, 1000, "in order")].concat();
        let text_end = flight.len() - close(Server, 1000, "in order").len();
        let cuts: Vec<usize> = (1..50).map(|i| i * flight.len() / 50).collect();
        let three_before_two: Vec<usize> = [0, 2, 1].into_iter().chain(3..50).collect();
        let reversed: Vec<usize> = (0..50).rev().collect();
        for order in [three_before_two, reversed, shuffled(50, &mut rng)] {
            // The assembler alone.
            let mut h = Half::syn(si);
            let b = bounds(&cuts, flight.len());
            for &i in &order {
                h.seg(b[i] as u64, &flight[b[i]..b[i + 1]]);
            }
            assert_eq!(h.bytes(), flight, "isn {si} order {order:?}");

            // The pipeline.
            let mut s = Session::new(41002, 8080).isns(ci, si);
            s.open();
            let pkts = send_pieces(&mut s, Server, &flight, &cuts, &order);
            let reply = s.send(Client, &close(Client, 1000, "in order"));
            s.fins(Server);
            let r = s.analyze();
            let c = only(&r);
            let ctx = format!("isns {ci}/{si} order {order:?}");
            assert_eq!(
                closes(c),
                vec![
                    cl(Server, 1000, "in order", pkts[49]),
                    cl(Client, 1000, "in order", reply)
                ],
                "{ctx}"
            );
            assert_eq!(c.status.code, Some(1000));
            assert_eq!(findings(c), vec![], "{ctx}");
            let text_last = cuts.iter().filter(|&&cut| cut < text_end).count();
            let f = c.frames.server;
            assert_eq!((f.frames, f.text_messages), (2, 1), "{ctx}");
            assert_eq!(
                f.largest_message,
                Some((msg.len() as u64, pkts[text_last])),
                "{ctx}"
            );
            assert_eq!(
                tcp(c.tcp.server),
                Counters {
                    out_of_order: held_count(&order),
                    ..clean(response(false).len() + flight.len())
                },
                "{ctx}"
            );
        }
    }
}

#[test]
fn s03_exact_duplicate_after_delivery_is_counted_not_redelivered() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(0, b"abc");
        h.seg(0, b"abc");
        h.seg(1, b"b");
        assert_eq!(h.text(), "abc");
        assert_eq!(h.out.data.len(), 1, "nothing re-delivered");
        assert_eq!(h.h.counters.retransmissions, 2);

        let mut s = Session::new(41003, 8080).isns(isn, isn);
        s.open();
        let t = s.send(Server, &text(Server, "once"));
        assert_eq!(resend(&mut s, t), 7);
        let sc = s.send(Server, &close(Server, 1000, "once"));
        assert_eq!(resend(&mut s, sc), 9);
        let reply = s.send(Client, &close(Client, 1000, "once"));
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        // A re-delivered close would be a second close frame and a frame after close.
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "once", 8), cl(Client, 1000, "once", reply)],
            "isn {isn}"
        );
        assert_eq!(findings(c), vec![]);
        assert_eq!(
            (c.frames.server.frames, c.frames.server.text_messages),
            (2, 1)
        );
        let bytes =
            response(false).len() + text(Server, "once").len() + close(Server, 1000, "once").len();
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                retransmissions: 2,
                ..clean(bytes)
            }
        );
    }
}

#[test]
fn s04_retransmission_extending_past_the_frontier_delivers_only_the_tail() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.segment(0, b"abc", 0, false, 1);
        h.segment(0, b"abcdef", 0, false, 2);
        h.segment(2, b"cdefgh", 0, false, 3);
        assert_eq!(h.text(), "abcdefgh");
        assert_eq!(h.out.data, vec![(0, 3, 1), (3, 3, 2), (6, 2, 3)]);
        assert_eq!(h.h.counters.retransmissions, 2);

        let mut s = Session::new(41004, 8080).isns(isn, isn);
        s.open();
        let flight = [text(Server, "head and tail"), close(Server, 1000, "tail")].concat();
        let x = s.next[1];
        assert_eq!(send_at(&mut s, Server, x, &flight[..5]), 6);
        assert_eq!(send_at(&mut s, Server, x, &flight), 7);
        let reply = s.send(Client, &close(Client, 1000, "tail"));
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "tail", 7), cl(Client, 1000, "tail", reply)],
            "isn {isn}"
        );
        assert_eq!(findings(c), vec![]);
        assert_eq!(
            (c.frames.server.frames, c.frames.server.text_messages),
            (2, 1)
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                retransmissions: 1,
                ..clean(response(false).len() + flight.len())
            }
        );
    }
}

/// The server's close 1000 "kept" (packet 6), then a retransmission of the same bytes
/// range saying 4000 (packet 7); the client answers 1000 (packet 8).
fn conflicting_close_after_delivery(isn: u32) -> Report {
    let mut s = Session::new(41005, 8080).isns(isn, isn);
    s.open();
    let x = s.next[1];
    assert_eq!(send_at(&mut s, Server, x, &close(Server, 1000, "kept")), 6);
    assert_eq!(send_at(&mut s, Server, x, &close(Server, 4000, "kept")), 7);
    assert_eq!(s.send(Client, &close(Client, 1000, "kept")), 8);
    s.fins(Server);
    s.analyze()
}

#[test]
fn s05_different_bytes_over_delivered_data_keep_the_original() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(0, b"abc");
        h.seg(0, b"aXc");
        assert_eq!(h.text(), "abc");

        let r = conflicting_close_after_delivery(isn);
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "kept", 6), cl(Client, 1000, "kept", 8)],
            "isn {isn}"
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(c.tcp.server.retransmissions, 1);
        assert!(!kinds(c).contains(&Kind::FrameAfterClose));
    }
}

#[test]
fn s05_different_bytes_over_delivered_data_are_an_inconsistency() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(0, b"abc");
        h.seg(0, b"aXc");
        assert_eq!(h.h.counters.inconsistencies, 1, "isn {isn}");

        let r = conflicting_close_after_delivery(isn);
        let c = only(&r);
        assert_eq!(c.tcp.server.inconsistencies, 1, "isn {isn}");
        assert_eq!(kinds(c), vec![Kind::InconsistentRetransmission]);
    }
}

#[test]
fn s06_conflicting_overlaps_among_queued_segments_first_wins() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(4, b"efgh");
        h.seg(2, b"CDEFGHIJ");
        h.seg(0, b"ab");
        assert_eq!(h.text(), "abCDefghIJ", "isn {isn}");
        assert_eq!(h.h.counters.inconsistencies, 1);

        // The text frame's first 4 bytes come last; queued first: the rest with close 1000;
        // queued second, overlapping it: the same range from byte 2 with close 4000.
        let mut s = Session::new(41006, 8080).isns(isn, isn);
        s.open();
        let good = [text(Server, "queued"), close(Server, 1000, "first wins")].concat();
        let bad = [text(Server, "queued"), close(Server, 4000, "first wins")].concat();
        let x = s.next[1];
        let first = send_at(&mut s, Server, x.wrapping_add(4), &good[4..]);
        send_at(&mut s, Server, x.wrapping_add(2), &bad[2..]);
        send_at(&mut s, Server, x, &good[..4]);
        let reply = s.send(Client, &close(Client, 1000, "first wins"));
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "first wins", first),
                cl(Client, 1000, "first wins", reply)
            ],
            "isn {isn}"
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(kinds(c), vec![Kind::InconsistentRetransmission]);
        // Two retransmissions: the second queued segment over the first, and the in-order
        // segment over the queued bytes 2-3.
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                retransmissions: 2,
                out_of_order: 2,
                inconsistencies: 1,
                ..clean(response(false).len() + good.len())
            }
        );
    }
}

#[test]
fn s06_in_order_segment_over_queued_bytes_keeps_the_queued_ones() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(4, b"efgh");
        h.seg(0, b"abcdEFGHij");
        assert_eq!(h.text(), "abcdefghij", "isn {isn}");
        assert_eq!(h.h.counters.inconsistencies, 1);

        // Queued: the close 1000; then, in order, one segment with all of it saying 4000.
        let mut s = Session::new(41006, 8080).isns(isn, isn);
        s.open();
        let good = [text(Server, "queued"), close(Server, 1000, "first wins")].concat();
        let bad = [text(Server, "queued"), close(Server, 4000, "first wins")].concat();
        let x = s.next[1];
        let first = send_at(&mut s, Server, x.wrapping_add(4), &good[4..]);
        send_at(&mut s, Server, x, &bad);
        let reply = s.send(Client, &close(Client, 1000, "first wins"));
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "first wins", first),
                cl(Client, 1000, "first wins", reply)
            ],
            "isn {isn}"
        );
        assert_eq!(kinds(c), vec![Kind::InconsistentRetransmission]);
        assert_eq!(c.tcp.server.inconsistencies, 1);
    }
}

#[test]
fn s07_one_segment_covering_several_queued_and_a_longer_retransmission() {
    // (start, end) of each piece of the flight, in capture order: three small queued
    // pieces, one covering all three, a short one, the same start longer, the hole last.
    const PIECES: [(usize, usize); 7] = [
        (10, 15),
        (20, 25),
        (30, 35),
        (12, 45),
        (45, 48),
        (45, 53),
        (0, 10),
    ];
    for isn in ISNS {
        let flight = [
            text(Server, &"x".repeat(40)),
            close(Server, 1000, "covered"),
        ]
        .concat();
        assert_eq!(flight.len(), 53);

        let mut h = Half::syn(isn);
        for (i, &(a, b)) in PIECES.iter().enumerate() {
            h.segment(a as u64, &flight[a..b], 0, false, i as u64 + 1);
        }
        assert_eq!(h.bytes(), flight, "isn {isn}");
        assert_eq!(h.h.counters.retransmissions, 2);
        assert_eq!(h.h.counters.out_of_order, 6);

        let mut s = Session::new(41007, 8080).isns(isn, isn);
        s.open();
        let x = s.next[1];
        let pkts: Vec<u64> = PIECES
            .iter()
            .map(|&(a, b)| send_at(&mut s, Server, x.wrapping_add(a as u32), &flight[a..b]))
            .collect();
        let reply = s.send(Client, &close(Client, 1000, "covered"));
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        // The close ends in the longer retransmission, the text in the covering segment.
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "covered", pkts[5]),
                cl(Client, 1000, "covered", reply)
            ],
            "isn {isn}"
        );
        assert_eq!(c.frames.server.largest_message, Some((40, pkts[3])));
        assert_eq!(findings(c), vec![]);
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                retransmissions: 2,
                out_of_order: 6,
                ..clean(response(false).len() + flight.len())
            }
        );
    }
}

// ---------------------------------------------------------------------------------------
// 8-12: where streams start, roles, the wrap, 4 GiB
// ---------------------------------------------------------------------------------------

#[test]
fn s08_capture_starting_mid_stream_is_partial_and_found_by_probe() {
    let before = [request().len(), response(false).len()];
    for (ci, si) in isn_pairs(before[0], before[1]) {
        let mut h = Half::midstream(si.wrapping_add(1000));
        h.seg(0, b"mid");
        h.seg(3, b"stream");
        assert!(h.h.partial);
        assert_eq!(h.text(), "midstream");
        assert!(h.out.gaps.is_empty());

        let mut s = Session::new(41008, 8080).isns(ci, si);
        s.open();
        let st = text(Server, "mid");
        let ct = text(Client, "stream");
        let cc = close(Client, 1001, "away");
        let sc = close(Server, 1001, "away");
        for (from, bytes) in [(Server, &st), (Client, &ct), (Client, &cc), (Server, &sc)] {
            s.send(from, bytes);
        }
        s.fins(Server);
        // The capture starts after the upgrade: no SYN, no handshake.
        let r = analyze(LinkType::RAW, &s.pkts[5..]);
        let c = only(&r);
        let ctx = format!("isns {ci}/{si}");
        assert_eq!(c.client, "10.0.0.1:41008", "{ctx}");
        assert!(!c.handshake.seen);
        assert_eq!(
            findings(c),
            vec![(Kind::HandshakeNotCaptured, None, Some(1))],
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1001, "away", 3), cl(Server, 1001, "away", 4)],
            "{ctx}"
        );
        assert_eq!(c.status.code, Some(1001));
        assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Server)));
        assert_eq!(tcp(c.tcp.client), clean(ct.len() + cc.len()), "{ctx}");
        assert_eq!(tcp(c.tcp.server), clean(st.len() + sc.len()), "{ctx}");
        assert_eq!(
            (c.frames.client.text_messages, c.frames.server.text_messages),
            (1, 1)
        );
    }
}

#[test]
fn s08_capture_starting_mid_stream_with_its_first_segments_reordered_loses_nothing() {
    let before = [request().len(), response(false).len()];
    for (ci, si) in isn_pairs(before[0], before[1]) {
        let mut s = Session::new(41008, 8080).isns(ci, si);
        s.open();
        let st = text(Server, "mid");
        let ct = text(Client, "stream");
        let cc = close(Client, 1001, "away");
        let sc = close(Server, 1001, "away");
        for (from, bytes) in [(Server, &st), (Client, &ct), (Client, &cc), (Server, &sc)] {
            s.send(from, bytes);
        }
        s.fins(Server);
        // No SYN, no handshake, and the client's close is captured before its text: the
        // close may not fix the start of the client's stream, or the text is lost.
        let order = [6, 8, 7, 9, 10, 11, 12];
        let ctx = format!("isns {ci}/{si}");
        let r = reordered(&s, &order);
        let c = only(&r);
        assert_eq!(c.client, "10.0.0.1:41008", "{ctx}");
        assert!(!c.handshake.seen);
        assert_eq!(
            findings(c),
            vec![(Kind::HandshakeNotCaptured, None, Some(1))],
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1001, "away", 2), cl(Server, 1001, "away", 4)],
            "{ctx}"
        );
        assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Server)));
        assert_eq!(
            tcp(c.tcp.client),
            Counters {
                out_of_order: 1,
                ..clean(ct.len() + cc.len())
            },
            "{ctx}"
        );
        assert_eq!(tcp(c.tcp.server), clean(st.len() + sc.len()), "{ctx}");
        assert_eq!(
            (c.frames.client.text_messages, c.frames.server.text_messages),
            (1, 1),
            "{ctx}"
        );
    }
}

/// A session whose client uses the lower port (so "the higher port is the client" would be
/// wrong): the upgrade, a close 1000 from each side, FINs.
fn low_port_client(ci: u32, si: u32) -> Session {
    let mut s = Session::new(1025, 40009).isns(ci, si);
    s.open();
    s.send(Client, &close(Client, 1000, "roles"));
    s.send(Server, &close(Server, 1000, "roles"));
    s.fins(Client);
    s
}

#[test]
fn s09_syn_lost_or_syn_ack_before_syn_gives_the_right_roles() {
    for (ci, si) in isn_pairs(0, 0) {
        let ctx = format!("isns {ci}/{si}");
        // The SYN is not in the capture.
        let s = low_port_client(ci, si);
        let r = analyze(LinkType::RAW, &s.pkts[1..]);
        let c = only(&r);
        assert_eq!(
            (c.client.to_string(), c.server.to_string()),
            ("10.0.0.1:1025".to_string(), "10.0.0.2:40009".to_string()),
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "roles", 5), cl(Server, 1000, "roles", 6)],
            "{ctx}"
        );
        assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Client)));
        assert_eq!(findings(c), vec![], "{ctx}");
        assert!(c.handshake.seen);

        // The SYN/ACK is captured before the SYN.
        let mut pkts = s.pkts.clone();
        pkts.swap(0, 1);
        let r = analyze(LinkType::RAW, &pkts);
        assert_eq!(r.seen.tcp_connections, 1, "{ctx}: no port reuse");
        let c = only(&r);
        assert_eq!(c.first_packet, 1);
        assert_eq!(
            (c.client.to_string(), c.server.to_string()),
            ("10.0.0.1:1025".to_string(), "10.0.0.2:40009".to_string()),
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "roles", 6), cl(Server, 1000, "roles", 7)],
            "{ctx}"
        );
        assert_eq!(findings(c), vec![], "{ctx}");
        assert_eq!((tcp(c.tcp.client).gaps, tcp(c.tcp.server).gaps), (0, 0));
    }
}

/// A session whose request is sent in two segments (packets 4 and 5); the 101 is packet 6,
/// the closes 7 (client, 4000) and 8.
fn split_request_session(ci: u32, si: u32) -> Session {
    let mut s = Session::new(41010, 8080).isns(ci, si);
    s.handshake();
    s.send_split(Client, &request(), &[30]);
    s.send(Server, &response(false));
    s.send(Client, &close(Client, 4000, "early data"));
    s.send(Server, &close(Server, 4000, "early data"));
    s.fins(Client);
    s
}

/// The report of `s`'s packets, captured in the order `order` (packet numbers, 1-based).
fn reordered(s: &Session, order: &[u64]) -> Report {
    let pkts: Vec<Pkt> = order
        .iter()
        .map(|&n| s.pkts[n as usize - 1].clone())
        .collect();
    analyze(s.link, &pkts)
}

/// What a reordered [`split_request_session`] must still report: the handshake, both
/// closes (at `closes_at`, their packet numbers in the reordered capture), nothing missing.
fn check_early_data(r: &Report, request_packet: u64, closes_at: [u64; 2], ctx: &str) {
    assert_eq!(r.seen.tcp_connections, 1, "{ctx}");
    let c = only(r);
    assert!(c.handshake.seen, "{ctx}");
    assert_eq!(c.handshake.request_packet, Some(request_packet), "{ctx}");
    assert_eq!(c.handshake.status, Some(101));
    assert_eq!(
        closes(c),
        vec![
            cl(Client, 4000, "early data", closes_at[0]),
            cl(Server, 4000, "early data", closes_at[1])
        ],
        "{ctx}"
    );
    assert_eq!(findings(c), vec![], "{ctx}");
    assert_eq!(tcp(c.tcp.client).gaps, 0);
    assert_eq!(
        c.tcp.client.bytes as usize,
        request().len() + close(Client, 4000, "early data").len()
    );
}

#[test]
fn s10_whole_request_before_the_syn_is_kept() {
    for (ci, si) in isn_pairs(0, 0) {
        let s = split_request_session(ci, si);
        // Both request segments first, then SYN, SYN/ACK, ACK, the rest.
        let order = [4, 5, 1, 2, 3, 6, 7, 8, 9, 10, 11];
        let r = reordered(&s, &order);
        check_early_data(&r, 2, [7, 8], &format!("isns {ci}/{si}"));
    }
}

#[test]
fn s10_data_before_the_syn_is_buffered_and_released() {
    for (ci, si) in isn_pairs(0, 0) {
        let ctx = format!("isns {ci}/{si}");
        let mut h = Half::midstream(ci.wrapping_add(4));
        h.seg(0, b"defg");
        h.h.syn(ci);
        h.base = ci.wrapping_add(1);
        h.seg(0, b"abc");
        assert_eq!(h.text(), "abcdefg", "{ctx}");

        let s = split_request_session(ci, si);
        // The request's second segment first, then SYN, SYN/ACK, ACK, its first segment.
        let order = [5, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11];
        let r = reordered(&s, &order);
        check_early_data(&r, 1, [7, 8], &ctx);
    }
}

#[test]
fn s11_isn_near_wrap_with_out_of_order_segment_past_it() {
    let before = response(false).len();
    for (ci, si) in isn_pairs(0, before + 700) {
        // Offset of the server's flight at which its sequence numbers wrap, if inside it.
        let flight = [
            binary(Server, &pattern(2000)),
            close(Server, 1000, "wrapped"),
        ]
        .concat();
        let first = si.wrapping_add(1 + before as u32);
        let w = 0u32.wrapping_sub(first) as usize;
        let w = if (300..flight.len() - 300).contains(&w) {
            w
        } else {
            1000
        };
        // A segment ending at the wrap, then one crossing it; the piece after each first.
        for cuts in [[w - 200, w, w + 200], [w - 200, w + 100, w + 250]] {
            let order = [0, 2, 1, 3];
            let ctx = format!("isns {ci}/{si} cuts {cuts:?}");

            let mut h = Half::syn(si);
            h.seg(0, &flight[..cuts[0]]);
            h.seg(cuts[1] as u64, &flight[cuts[1]..cuts[2]]);
            assert_eq!(h.out.bytes.len(), cuts[0], "{ctx}");
            h.seg(cuts[0] as u64, &flight[cuts[0]..cuts[1]]);
            h.seg(cuts[2] as u64, &flight[cuts[2]..]);
            assert_eq!(h.bytes(), flight, "{ctx}");

            let mut s = Session::new(41011, 8080).isns(ci, si);
            s.open();
            let pkts = send_pieces(&mut s, Server, &flight, &cuts, &order);
            let reply = s.send(Client, &close(Client, 1000, "wrapped"));
            s.fins(Server);
            let r = s.analyze();
            let c = only(&r);
            assert_eq!(
                closes(c),
                vec![
                    cl(Server, 1000, "wrapped", pkts[3]),
                    cl(Client, 1000, "wrapped", reply)
                ],
                "{ctx}"
            );
            assert_eq!(c.frames.server.largest_message, Some((2000, pkts[3])));
            assert_eq!(findings(c), vec![], "{ctx}");
            assert_eq!(
                tcp(c.tcp.server),
                Counters {
                    out_of_order: 1,
                    ..clean(before + flight.len())
                },
                "{ctx}"
            );
        }
    }
}

#[test]
fn s12_stream_longer_than_4_gib_keeps_offsets_growing() {
    // 66 080 segments of 65 000 bytes: 4 295 200 000 bytes, past 2^32. One payload buffer
    // is reused for every segment; nothing is written to disk.
    const CHUNK: usize = 65_000;
    const N: u64 = 66_080;
    const LEN: u64 = N * CHUNK as u64;
    const _: () = assert!(LEN > 1 << 32);
    let payload = pattern(CHUNK);

    // The assembler alone, the last two segments swapped (held and released past 4 GiB).
    for isn in ISNS {
        let mut h = HalfStream::new();
        h.syn(isn);
        let base = isn.wrapping_add(1);
        let limits = Limits::default();
        let (mut delivered, mut gaps, mut tail_checked) = (0u64, 0u64, 0);
        let mut out = |e: Event<'_>| match e {
            Event::Data { offset, bytes, .. } => {
                assert_eq!(offset, delivered, "isn {isn}");
                assert_eq!(offset % CHUNK as u64, 0);
                if offset >= LEN - 3 * CHUNK as u64 {
                    assert_eq!(bytes, &payload[..]);
                    tail_checked += 1;
                }
                delivered += bytes.len() as u64;
            }
            Event::Gap { .. } => gaps += 1,
        };
        for k in 0..N {
            let piece = match k {
                k if k == N - 2 => N - 1,
                k if k == N - 1 => N - 2,
                k => k,
            };
            let seq = base.wrapping_add((piece * CHUNK as u64) as u32);
            h.segment(
                seq,
                &payload,
                0,
                false,
                k + 1,
                Timestamp(0),
                &limits,
                &mut out,
            );
            if k == N - 2 {
                assert_eq!(h.frontier(), (N - 2) * CHUNK as u64, "isn {isn}: held");
            }
        }
        assert_eq!((delivered, gaps, tail_checked), (LEN, 0, 3), "isn {isn}");
        assert_eq!(h.frontier(), LEN);
        assert_eq!(h.counters.out_of_order, 1);
    }

    // The pipeline: one binary frame of LEN bytes, then a close frame, from the server.
    let mut s = Session::new(41012, 8080).isns(1, u32::MAX - 9);
    s.open();
    let mut header = vec![0x82, 127];
    header.extend_from_slice(&LEN.to_be_bytes());
    assert_eq!(s.send(Server, &header), 6);
    let seq0 = s.next[1];
    let mut tpl = Vec::new();
    etherparse::PacketBuilder::ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64)
        .tcp(8080, 41012, seq0, 65535)
        .ack(s.next[0])
        .write(&mut tpl, &payload)
        .unwrap();
    // Raw IPv4 without options: the TCP sequence number is at bytes 24..28.
    assert_eq!(tpl[24..28], seq0.to_be_bytes());

    let mut a = Analyzer::new(Options::default());
    let mut number = 0u64;
    let mut feed = |a: &mut Analyzer, data: &[u8], ts: Timestamp| {
        number += 1;
        a.packet(&Packet {
            number,
            ts,
            link: LinkType::RAW,
            data,
            orig_len: data.len() as u32,
        });
        number
    };
    for p in &s.pkts {
        feed(&mut a, &p.data, p.ts);
    }
    let mut last_payload = 0;
    for k in 0..N {
        let seq = seq0.wrapping_add((k * CHUNK as u64) as u32);
        tpl[24..28].copy_from_slice(&seq.to_be_bytes());
        last_payload = feed(&mut a, &tpl, Timestamp(s.clock.0 + k as i64 * 10_000));
    }
    s.clock = Timestamp(s.clock.0 + N as i64 * 10_000);
    s.next[1] = seq0.wrapping_add(LEN as u32);
    let after = s.pkts.len();
    let sc = close(Server, 1000, "after 4 GiB");
    s.send(Server, &sc);
    s.send(Client, &close(Client, 1000, "after 4 GiB"));
    s.fins(Server);
    for p in &s.pkts[after..] {
        feed(&mut a, &p.data, p.ts);
    }
    let (conns, seen) = a.finish_input().unwrap();
    let r = Report::new(Vec::new(), conns, seen);
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "after 4 GiB", last_payload + 1),
            cl(Client, 1000, "after 4 GiB", last_payload + 2)
        ]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(findings(c), vec![]);
    let f = c.frames.server;
    assert_eq!(f.largest_message, Some((LEN, last_payload)));
    assert_eq!(f.payload_bytes, LEN + 2 + "after 4 GiB".len() as u64);
    assert_eq!(
        tcp(c.tcp.server),
        clean(response(false).len() + header.len() + LEN as usize + sc.len())
    );
}

// ---------------------------------------------------------------------------------------
// 13-18: holes, WebSocket after a hole, RST
// ---------------------------------------------------------------------------------------

#[test]
fn s13_hole_never_filled_without_acks_is_a_gap_at_capture_end() {
    let before = response(false).len();
    for (ci, si) in isn_pairs(0, before + 1500) {
        let ctx = format!("isns {ci}/{si}");
        let mut h = Half::syn(si);
        h.seg(0, b"ab");
        h.seg(5, b"fg");
        h.seg(9, b"j");
        assert_eq!(
            h.text(),
            "ab",
            "{ctx}: nothing spliced while the hole is open"
        );
        h.flush();
        assert_eq!(h.text(), "ab___fg__j", "{ctx}");
        assert_eq!(h.out.gaps, vec![(2, 3), (7, 2)]);
        assert_eq!(h.h.counters.missing_bytes, 5);

        let mut s = Session::new(41013, 8080).isns(ci, si);
        s.open();
        let big = binary(Server, &pattern(3000));
        let sc = close(Server, 1001, "going");
        assert_eq!(s.send(Server, &big[..1004]), 6);
        s.lose(Server, &big[1004..2004]);
        assert_eq!(s.send(Server, &big[2004..]), 7);
        assert_eq!(s.send(Server, &sc), 8);
        // The capture ends here: no packet of the client acknowledges the hole.
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(closes(c), vec![cl(Server, 1001, "going", 8)], "{ctx}");
        assert_eq!(c.status.code, Some(1001));
        assert_eq!(c.tcp_end, "open");
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), None),
                (Kind::TruncatedMessage, Some(Server), None)
            ],
            "{ctx}"
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 1,
                missing_bytes: 1000,
                ..clean(before + big.len() - 1000 + sc.len())
            },
            "{ctx}"
        );
    }
}

#[test]
fn s14_hole_acked_by_the_peer_is_a_gap_once_the_peer_moves_on() {
    let before = response(false).len();
    for (ci, si) in isn_pairs(0, before + 1500) {
        let ctx = format!("isns {ci}/{si}");
        let mut h = Half::syn(si);
        h.seg(0, b"ab");
        h.ack(5);
        assert_eq!(h.text(), "ab___", "{ctx}");
        h.seg(5, b"fg");
        h.seg(9, b"j");
        h.ack(10);
        assert_eq!(h.text(), "ab___fg__j", "{ctx}");
        assert_eq!(h.h.counters.out_of_order, 1);

        // The client acknowledges the lost bytes before the next server segment arrives.
        // A pure ACK does not end the wait (the segment may come a few packets later in a
        // capture written out of order): the next server segments wait, and the client's
        // close (packet 10, the client moving on) makes the hole a gap, marked with the
        // ACK's packet, before its own bytes.
        let mut s = Session::new(41014, 8080).isns(ci, si);
        s.open();
        let big = binary(Server, &pattern(3000));
        let sc = close(Server, 1000, "acked");
        assert_eq!(s.send(Server, &big[..1004]), 6);
        s.lose(Server, &big[1004..2004]);
        assert_eq!(s.ack(Client), 7);
        assert_eq!(s.send(Server, &big[2004..]), 8);
        assert_eq!(s.send(Server, &sc), 9);
        assert_eq!(s.send(Client, &close(Client, 1000, "acked")), 10);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "acked", 9), cl(Client, 1000, "acked", 10)],
            "{ctx}"
        );
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(7)),
                (Kind::TruncatedMessage, Some(Server), Some(7))
            ]
        );
        let server_bytes = before + big.len() - 1000 + sc.len();
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 1,
                missing_bytes: 1000,
                ..clean(server_bytes)
            },
            "{ctx}"
        );

        // The rest, with the close, already waits when the ACK comes; then the client
        // resets. The close was released by the ACK, so it came before the RST.
        let mut s = Session::new(41014, 8080).isns(ci, si);
        s.open();
        assert_eq!(s.send(Server, &big[..1004]), 6);
        s.lose(Server, &big[1004..2004]);
        assert_eq!(s.send(Server, &big[2004..]), 7);
        assert_eq!(s.send(Server, &sc), 8);
        assert_eq!(s.ack(Client), 9);
        assert_eq!(s.rst(Client), 10);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(closes(c), vec![cl(Server, 1000, "acked", 8)], "{ctx}");
        assert_eq!(
            (c.status.code, c.status.inferred),
            (Some(1000), false),
            "{ctx}"
        );
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("rst", Some(Client), Some(10))
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 1,
                missing_bytes: 1000,
                ..clean(server_bytes)
            },
            "{ctx}"
        );
    }
}

#[test]
fn s15_gap_inside_a_websocket_payload_truncates_and_stays_in_sync() {
    let msg = utf8_text(300);
    let big = text(Client, &msg);
    assert_eq!(&big[1..4], &[0x80 | 126, 0x0C, 0xE4]);
    let after = text(Client, "valid after the gap");
    let cc = close(Client, 4001, "still in sync");
    let mut s = Session::new(41015, 8080);
    s.open();
    assert_eq!(s.send(Client, &big[..1008]), 6);
    // 1001 bytes: the mask position after the gap moves by 1001 % 4 = 1.
    s.lose(Client, &big[1008..2009]);
    assert_eq!(s.send(Client, &big[2009..]), 7);
    assert_eq!(s.send(Client, &after), 8);
    assert_eq!(s.send(Client, &cc), 9);
    assert_eq!(s.send(Server, &close(Server, 4001, "still in sync")), 10);
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Client, 4001, "still in sync", 9),
            cl(Server, 4001, "still in sync", 10)
        ]
    );
    assert_eq!(c.status.code, Some(4001));
    // No invalid-UTF-8 finding: the truncated message is not judged, the next one is valid.
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Client), Some(10)),
            (Kind::TruncatedMessage, Some(Client), Some(10))
        ]
    );
    assert_eq!(
        (c.frames.client.frames, c.frames.client.text_messages),
        (3, 2)
    );
    assert_eq!(
        tcp(c.tcp.client),
        Counters {
            out_of_order: 3,
            gaps: 1,
            missing_bytes: 1001,
            ..clean(request().len() + big.len() - 1001 + after.len() + cc.len())
        }
    );
}

#[test]
fn s16_gap_over_a_websocket_header_puts_the_direction_out_of_sync() {
    let mut s = Session::new(41016, 8080);
    s.open();
    assert_eq!(s.send(Client, &text(Client, "before")), 6);
    // A binary frame whose payload, as masked on the wire, reads as an (unmasked) close
    // frame 4000; its 6-byte header is not in the capture. A decoder that guessed would
    // report 4000 and an unmasked client frame.
    let decoy = frame(true, 0, OP_CLOSE, None, &close_payload(4000, "decoy"));
    let payload: Vec<u8> = decoy
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ MASK[i % 4])
        .collect();
    let f = binary(Client, &payload);
    assert_eq!(&f[6..], &decoy[..]);
    s.lose(Client, &f[..6]);
    assert_eq!(s.send(Client, &f[6..]), 7);
    assert_eq!(s.send(Client, &close(Client, 1000, "real")), 8);
    assert_eq!(s.send(Server, &close(Server, 1000, "real")), 9);
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Client), Some(9)),
            (Kind::OutOfSync, Some(Client), Some(9))
        ]
    );
    // Nothing guessed: the server's close, and at most the client's real one (a strict
    // resync may find it at the start of its segment), never 4000.
    let cls = closes(c);
    assert_eq!(cls[0], cl(Server, 1000, "real", 9), "{cls:?}");
    assert!(
        cls[1..].is_empty() || cls[1..] == [cl(Client, 1000, "real", 8)],
        "{cls:?}"
    );
    assert_ne!(c.status.code, Some(4000));
    assert_eq!(c.frames.client.text_messages, 1);
    assert_eq!((c.tcp.client.gaps, c.tcp.client.missing_bytes), (1, 6));
    // The client's direction stops at the gap: that it did not reply to the server's close,
    // and that the server saw 1006, are not claimed.
    assert!(!c.decoded_to_end.client && c.decoded_to_end.server);
    if cls.len() == 1 {
        assert_eq!(c.seen_by.server, None);
        assert!(c.close_handshake.as_ref().unwrap().reply_may_be_missing);
        assert!(
            !c.status.cause().contains("sent no close frame"),
            "{}",
            c.status.cause()
        );
    }
}

/// The upgrade request cut by the snaplen (the client's direction has a gap before its end):
/// the client's frames after it are found by the strict probe (issue 32), so its reply is
/// decoded. When the reply itself was cut before any of its bytes, the server's close sets
/// the status, and the client's reply, which is on the wire, is neither reported nor said
/// to be absent.
#[test]
fn gap_in_the_upgrade_request_leaves_the_reply_unknown() {
    let mut s = Session::new(41031, 8080);
    s.handshake();
    assert_eq!(s.send_cut(Client, &request(), 40), 4);
    assert_eq!(s.send(Server, &response(false)), 5);
    assert_eq!(s.send(Server, &close(Server, 1008, "token expired")), 6);
    assert_eq!(s.send(Client, &close(Client, 1008, "token expired")), 7);
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1008, "token expired", 6),
            cl(Client, 1008, "token expired", 7)
        ]
    );
    assert_eq!(c.handshake.cut.as_deref(), Some("snaplen"));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1008), Some(1008))
    );
    assert!(c.decoded_to_end.client && c.decoded_to_end.server);

    // The reply's segment kept no payload byte: nothing of it is decoded or guessed.
    let mut s = Session::new(41031, 8080);
    s.handshake();
    assert_eq!(s.send_cut(Client, &request(), 40), 4);
    assert_eq!(s.send(Server, &response(false)), 5);
    assert_eq!(s.send(Server, &close(Server, 1008, "token expired")), 6);
    assert_eq!(
        s.send_cut(Client, &close(Client, 1008, "token expired"), 0),
        7
    );
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![cl(Server, 1008, "token expired", 6)]);
    assert_eq!((c.status.code, c.status.inferred), (Some(1008), false));
    let cause = c.status.cause();
    assert!(
        cause.contains("Whether the client replied is not in the capture")
            && !cause.contains("sent no close frame"),
        "{cause}"
    );
    assert_eq!((c.seen_by.client, c.seen_by.server), (Some(1008), None));
    let h = c.close_handshake.as_ref().unwrap();
    assert!(!h.reply && h.reply_may_be_missing);
    assert_eq!(
        (c.decoded_to_end.client, c.decoded_to_end.server),
        (false, true)
    );
    assert!(kinds(c).contains(&Kind::Gap), "{:?}", kinds(c));
    // Without the cut, the reply is decoded and the server saw the client's 1008.
    let mut s = Session::new(41031, 8080);
    s.open();
    s.send(Server, &close(Server, 1008, "token expired"));
    s.send(Client, &close(Client, 1008, "token expired"));
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1008), Some(1008))
    );
    assert!(c.decoded_to_end.client && c.decoded_to_end.server);
}

/// A binary frame whose payload lost 1000 bytes, a ping, and the first 2000 bytes of a
/// second binary frame (held behind the hole, packet 7), then an RST from the server
/// (packet 8).
fn rst_mid_message(isn: u32) -> Session {
    let mut s = Session::new(41017, 8080).isns(isn, isn);
    s.open();
    let first = binary(Server, &pattern(3000));
    let flight = [
        first.clone(),
        ping(Server, b"held"),
        binary(Server, &pattern(5000)),
    ]
    .concat();
    assert_eq!(s.send(Server, &flight[..1004]), 6);
    s.lose(Server, &flight[1004..2004]);
    assert_eq!(s.send(Server, &flight[2004..first.len() + 6 + 2000]), 7);
    assert_eq!(s.rst(Server), 8);
    s
}

#[test]
fn s17_rst_mid_message_flushes_and_ends_by_the_right_side() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.seg(0, b"ab");
        h.seg(5, b"fg");
        h.flush();
        assert_eq!(h.text(), "ab___fg");

        let r = rst_mid_message(isn).analyze();
        let c = only(&r);
        assert_eq!(closes(c), vec![]);
        assert_eq!((c.status.code, c.status.inferred), (Some(1006), true));
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("rst", Some(Server), Some(8)),
            "isn {isn}"
        );
        // The held bytes were delivered before the end: the ping in them was decoded.
        assert_eq!(c.frames.server.pings, 1, "isn {isn}");
        assert_eq!(
            &kinds(c)[..2],
            &[Kind::Gap, Kind::TruncatedMessage],
            "isn {isn}"
        );
        let t = tcp(c.tcp.server);
        assert_eq!((t.gaps, t.missing_bytes, t.out_of_order), (1, 1000, 1));
    }
}

#[test]
fn s17_rst_mid_message_flags_the_partial_message() {
    let mut s = Session::new(41017, 8080);
    s.open();
    let big = binary(Server, &pattern(5000));
    assert_eq!(s.send(Server, &big[..2004]), 6);
    assert_eq!(s.rst(Server), 7);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!((c.tcp_end, c.tcp_end_by), ("rst", Some(Server)));
    assert_eq!(c.tcp.server.gaps, 0);
    assert!(
        c.findings
            .iter()
            .any(|f| f.kind == Kind::TruncatedMessage && f.from == Some(Server)),
        "{:#?}",
        c.findings
    );
}

#[test]
fn s18_rst_out_of_window_is_ignored() {
    for isn in ISNS {
        let mut s = Session::new(41018, 8080).isns(isn, isn);
        s.open();
        assert_eq!(s.send(Server, &text(Server, "hi")), 6);
        // 1 MiB past what the server expects, with a 64 KiB window: not acceptable.
        let seq = s.next[0].wrapping_add(1 << 20);
        assert_eq!(s.emit(Client, RST, seq, &[], None), 7);
        assert_eq!(s.send(Client, &close(Client, 1000, "after rst")), 8);
        assert_eq!(s.send(Server, &close(Server, 1000, "after rst")), 9);
        s.fins(Client);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Client, 1000, "after rst", 8),
                cl(Server, 1000, "after rst", 9)
            ]
        );
        assert_eq!(
            (c.status.code, c.status.inferred),
            (Some(1000), false),
            "isn {isn}"
        );
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Client), Some(10)),
            "isn {isn}"
        );
        assert_eq!(findings(c), vec![]);
    }
}

#[test]
fn s18_rst_arriving_before_missing_data_closes_after_the_flush() {
    for isn in ISNS {
        let mut s = Session::new(41018, 8080).isns(isn, isn);
        s.open();
        let flight = [
            binary(Server, &pattern(2000)),
            close(Server, 1000, "before rst"),
        ]
        .concat();
        assert_eq!(s.send(Server, &flight[..1004]), 6);
        s.lose(Server, &flight[1004..2004]);
        assert_eq!(s.send(Server, &flight[2004..]), 7);
        assert_eq!(s.rst(Server), 8);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "before rst", 7)],
            "isn {isn}"
        );
        assert_eq!((c.status.code, c.status.inferred), (Some(1000), false));
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("rst", Some(Server), Some(8))
        );
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(8)),
                (Kind::TruncatedMessage, Some(Server), Some(8))
            ]
        );
        let t = tcp(c.tcp.server);
        assert_eq!((t.gaps, t.missing_bytes, t.out_of_order), (1, 1000, 1));
    }
}

// ---------------------------------------------------------------------------------------
// 19-24: FIN, half-close, keep-alives, Fast Open, port reuse, one side
// ---------------------------------------------------------------------------------------

#[test]
fn s19_fin_with_data_and_fin_retransmitted() {
    for isn in ISNS {
        let mut h = Half::syn(isn);
        h.segment(0, b"ab", 0, true, 1);
        assert!(h.h.fin_reached());
        h.segment(0, b"ab", 0, true, 2);
        h.segment(2, b"", 0, true, 3);
        assert_eq!(h.out.data, vec![(0, 2, 1)]);

        let sc = close(Server, 1000, "fin+data");
        let mut s = Session::new(41019, 8080).isns(isn, isn);
        s.open();
        assert_eq!(s.send_fin(Server, &sc), 6);
        assert_eq!(resend(&mut s, 6), 7);
        assert_eq!(s.send(Client, &close(Client, 1000, "fin+data")), 8);
        s.fin(Client);
        s.ack(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "fin+data", 6),
                cl(Client, 1000, "fin+data", 8)
            ],
            "isn {isn}"
        );
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Server), Some(6))
        );
        assert_eq!(findings(c), vec![]);
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                retransmissions: 1,
                ..clean(response(false).len() + sc.len())
            }
        );

        // The FIN with the close arrives before the text frame in front of it.
        let t = text(Server, "before the fin");
        let mut s = Session::new(41019, 8080).isns(isn, isn);
        s.open();
        let x = s.next[1];
        let fin_at = x.wrapping_add(t.len() as u32);
        assert_eq!(s.emit(Server, FIN, fin_at, &sc, None), 6);
        assert_eq!(send_at(&mut s, Server, x, &t), 7);
        s.next[1] = fin_at.wrapping_add(sc.len() as u32 + 1);
        assert_eq!(s.send(Client, &close(Client, 1000, "fin+data")), 8);
        s.fin(Client);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "fin+data", 6),
                cl(Client, 1000, "fin+data", 8)
            ],
            "isn {isn}"
        );
        assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Server)));
        assert_eq!(findings(c), vec![]);
        assert_eq!(c.frames.server.text_messages, 1);
        assert_eq!(c.tcp.server.out_of_order, 1);
    }
}

#[test]
fn s19_bytes_after_fin_are_flagged_not_decoded() {
    for isn in ISNS {
        let mut s = Session::new(41019, 8080).isns(isn, isn);
        s.open();
        assert_eq!(s.send_fin(Server, &close(Server, 1000, "fin")), 6);
        // Sent after the FIN, at the next sequence number.
        let after = s.send(Server, &close(Server, 4000, "after fin"));
        assert_eq!(after, 7);
        assert_eq!(s.send(Client, &close(Client, 1000, "fin")), 8);
        s.fin(Client);
        s.ack(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "fin", 6), cl(Client, 1000, "fin", 8)],
            "isn {isn}"
        );
        // Nothing is missing from the capture: no gap, nothing out of sync.
        assert_eq!((c.tcp.server.gaps, c.tcp.server.missing_bytes), (0, 0));
        assert!(!kinds(c).contains(&Kind::Gap) && !kinds(c).contains(&Kind::OutOfSync));
        assert!(
            c.findings
                .iter()
                .any(|f| f.from == Some(Server) && f.packet == Some(after)),
            "{:#?}",
            c.findings
        );
    }
}

#[test]
fn s20_half_close_keeps_the_other_direction_decoded() {
    for isn in ISNS {
        let mut s = Session::new(41020, 8080).isns(isn, isn);
        s.open();
        assert_eq!(s.send_fin(Client, &close(Client, 1000, "client done")), 6);
        s.send(Server, &text(Server, "still talking"));
        s.send(Server, &binary(Server, &pattern(500)));
        assert_eq!(s.send(Server, &close(Server, 1000, "server done")), 9);
        assert_eq!(s.fin(Server), 10);
        s.ack(Client);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Client, 1000, "client done", 6),
                cl(Server, 1000, "server done", 9)
            ],
            "isn {isn}"
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Client), Some(6))
        );
        let f = c.frames.server;
        assert_eq!((f.frames, f.text_messages, f.binary_messages), (3, 1, 1));
        assert_eq!(f.largest_message, Some((500, 8)));
        assert_eq!(findings(c), vec![]);
    }
}

#[test]
fn s21_keepalive_and_zero_window_probe_make_no_data_gap_or_finding() {
    for isn in ISNS {
        let mut s = Session::new(41021, 8080).isns(isn, isn);
        s.open();
        let texts = [text(Server, "a"), text(Server, "b"), text(Server, "probed")];
        s.send(Server, &texts[0]);
        // Keep-alive: one old byte, not the original one (0x00 instead of the request's
        // last '\n'), and a duplicate ACK.
        let old = s.next[0].wrapping_sub(1);
        assert_eq!(s.emit(Client, 0, old, &[0], None), 7);
        s.ack(Client);
        s.send(Server, &texts[1]);
        // The client's window closes; the server probes with the next byte, which the
        // client does not take; the window reopens and the byte is sent again in a
        // larger segment.
        s.window[0] = 0;
        s.ack(Client);
        let probe = s.emit(Server, 0, s.next[1], &texts[2][..1], None);
        assert_eq!(probe, 11);
        s.ack(Client);
        s.window[0] = 65535;
        s.ack(Client);
        s.send(Server, &texts[2]);
        let cc = close(Client, 1000, "probed");
        let sc = close(Server, 1000, "probed");
        let p = s.send(Client, &cc);
        s.send(Server, &sc);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Client, 1000, "probed", p),
                cl(Server, 1000, "probed", p + 1)
            ],
            "isn {isn}"
        );
        assert_eq!(findings(c), vec![], "isn {isn}");
        assert_eq!(c.frames.server.text_messages, 3);
        let (tc, ts) = (c.tcp.client, c.tcp.server);
        assert_eq!(
            tc.bytes as usize,
            request().len() + cc.len(),
            "no keep-alive byte"
        );
        assert_eq!(
            ts.bytes as usize,
            response(false).len() + texts.concat().len() + sc.len(),
            "the probe byte once"
        );
        for t in [tc, ts] {
            assert_eq!((t.gaps, t.missing_bytes, t.inconsistencies), (0, 0, 0));
        }
    }
}

#[test]
fn s21_keepalive_first_in_a_midstream_capture_makes_no_data() {
    for isn in ISNS {
        let mut s = Session::new(41021, 8080).isns(isn, isn);
        s.open();
        s.send(Server, &text(Server, "before the capture"));
        let from = s.pkts.len();
        let old = s.next[0].wrapping_sub(1);
        s.emit(Client, 0, old, &[0], None);
        let ct = text(Client, "after the keep-alive");
        let cc = close(Client, 1000, "mid");
        s.send(Client, &ct);
        s.send(Client, &cc);
        s.send(Server, &close(Server, 1000, "mid"));
        s.fins(Server);
        let r = analyze(LinkType::RAW, &s.pkts[from..]);
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "mid", 3), cl(Server, 1000, "mid", 4)]
        );
        assert_eq!(kinds(c), vec![Kind::HandshakeNotCaptured]);
        assert_eq!(
            c.tcp.client.bytes as usize,
            ct.len() + cc.len(),
            "isn {isn}"
        );
    }
}

#[test]
fn s22_tcp_fast_open_data_in_the_syn() {
    for (ci, si) in isn_pairs(0, 0) {
        let ctx = format!("isns {ci}/{si}");
        let req = request();
        let cc = close(Client, 4000, "tfo");
        // The server takes the data in the SYN.
        let mut s = Session::new(41022, 8080).isns(ci, si);
        assert_eq!(s.emit(Client, SYN | NO_ACK, ci, &req, None), 1);
        s.next[0] = ci.wrapping_add(1 + req.len() as u32);
        s.syn_ack();
        s.ack(Client);
        assert_eq!(s.send(Server, &response(false)), 4);
        assert_eq!(s.send(Client, &cc), 5);
        assert_eq!(s.send(Server, &close(Server, 4000, "tfo")), 6);
        s.fins(Client);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            (c.handshake.request_packet, c.handshake.response_packet),
            (Some(1), Some(4)),
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 4000, "tfo", 5), cl(Server, 4000, "tfo", 6)],
            "{ctx}"
        );
        assert_eq!(findings(c), vec![], "{ctx}");
        assert_eq!(tcp(c.tcp.client), clean(req.len() + cc.len()), "{ctx}");

        // The server refuses the data (its SYN/ACK acknowledges the SYN only); the client
        // sends the request again after the handshake.
        let mut s = Session::new(41022, 8080).isns(ci, si);
        s.emit(Client, SYN | NO_ACK, ci, &req, None);
        s.syn_ack();
        s.ack(Client);
        assert_eq!(s.send(Client, &req), 4);
        s.send(Server, &response(false));
        assert_eq!(s.send(Client, &cc), 6);
        s.send(Server, &close(Server, 4000, "tfo"));
        s.fins(Client);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(c.handshake.status, Some(101), "{ctx}");
        assert_eq!(
            closes(c),
            vec![cl(Client, 4000, "tfo", 6), cl(Server, 4000, "tfo", 7)],
            "{ctx}"
        );
        assert_eq!(findings(c), vec![], "{ctx}");
        assert_eq!(
            tcp(c.tcp.client),
            Counters {
                retransmissions: 1,
                ..clean(req.len() + cc.len())
            },
            "{ctx}"
        );
    }
}

#[test]
fn s23_syn_retransmission_vs_port_reuse_with_a_new_isn() {
    for isn in ISNS {
        let mut s = Session::new(41023, 8080).isns(isn, isn.wrapping_add(7));
        s.syn();
        s.syn();
        s.syn_ack();
        s.ack(Client);
        s.send(Client, &request());
        s.send(Server, &response(false));
        assert_eq!(s.send(Client, &close(Client, 1000, "first")), 7);
        s.send(Server, &close(Server, 1000, "first"));
        s.fins(Client);
        assert_eq!(s.pkts.len(), 11);
        s.reconnect(isn.wrapping_add(100_000), isn.wrapping_sub(100_000));
        assert_eq!(s.syn(), 12);
        s.syn();
        s.syn_ack();
        s.syn_ack();
        s.ack(Client);
        s.send(Client, &request());
        s.send(Server, &response(false));
        assert_eq!(s.send(Server, &close(Server, 4000, "second")), 19);
        s.send(Client, &close(Client, 4000, "second"));
        assert_eq!(s.rst(Client), 21);
        let r = s.analyze();
        assert_eq!(r.connections.len(), 2, "isn {isn}: {:#?}", r.connections);
        assert_eq!(r.seen.tcp_connections, 2);
        let (a, b) = (&r.connections[0], &r.connections[1]);
        assert_eq!((a.first_packet, a.last_packet), (1, 11), "isn {isn}");
        assert_eq!(
            closes(a),
            vec![cl(Client, 1000, "first", 7), cl(Server, 1000, "first", 8)]
        );
        assert_eq!(
            (a.status.code, a.tcp_end, a.tcp_end_by),
            (Some(1000), "fin", Some(Client))
        );
        assert_eq!(b.first_packet, 12, "isn {isn}");
        assert_eq!(
            closes(b),
            vec![
                cl(Server, 4000, "second", 19),
                cl(Client, 4000, "second", 20)
            ]
        );
        assert_eq!(
            (b.status.code, b.tcp_end, b.tcp_end_packet),
            (Some(4000), "rst", Some(21))
        );
        for c in [a, b] {
            assert!(c.handshake.seen);
            assert_eq!(findings(c), vec![], "isn {isn}");
            assert_eq!((c.tcp.client.gaps, c.tcp.server.gaps), (0, 0));
        }
    }
}

#[test]
fn s24_one_sided_capture() {
    for isn in ISNS {
        let mut s = Session::new(41024, 8080).isns(isn, isn);
        s.open();
        let st = text(Server, "one way");
        let ct = text(Client, "other way");
        let sc = close(Server, 1000, "one-sided");
        let cc = close(Client, 1000, "one-sided");
        s.send(Server, &st);
        s.send(Client, &ct);
        s.send(Server, &sc);
        s.send(Client, &cc);
        s.fins(Server);
        let only_from =
            |r: Role| -> Vec<Pkt> { s.pkts.iter().filter(|p| p.from == r).cloned().collect() };

        // Server to client: SYN/ACK 1, 101 2, text 3, close 4, FIN 5, ACK 6.
        let r = analyze(LinkType::RAW, &only_from(Server));
        let c = only(&r);
        assert_eq!(c.client, "10.0.0.1:41024", "isn {isn}");
        assert!(!c.handshake.seen);
        assert_eq!(
            (c.handshake.status, c.handshake.response_packet),
            (Some(101), Some(2))
        );
        assert_eq!(
            closes(c),
            vec![cl(Server, 1000, "one-sided", 4)],
            "isn {isn}"
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Server), Some(5))
        );
        assert_eq!(findings(c), vec![], "isn {isn}");
        assert_eq!(
            tcp(c.tcp.server),
            clean(response(false).len() + st.len() + sc.len())
        );
        assert_eq!(tcp(c.tcp.client), clean(0));

        // Client to server: SYN 1, ACK 2, request 3, text 4, close 5, FIN 6.
        let r = analyze(LinkType::RAW, &only_from(Client));
        let c = only(&r);
        assert_eq!(c.client, "10.0.0.1:41024", "isn {isn}");
        assert!(c.handshake.seen);
        assert_eq!(
            (c.handshake.request_packet, c.handshake.status),
            (Some(3), None)
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "one-sided", 5)],
            "isn {isn}"
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Client), Some(6))
        );
        // The client's ACKs of server bytes the capture never held are no gap.
        assert_eq!(findings(c), vec![], "isn {isn}");
        assert_eq!(
            tcp(c.tcp.client),
            clean(request().len() + ct.len() + cc.len())
        );
        assert_eq!(tcp(c.tcp.server), clean(0));
    }
}

// ---------------------------------------------------------------------------------------
// 25-28: memory, time, offloaded segments
// ---------------------------------------------------------------------------------------

/// The server's 200 000-byte binary frame and close, its first 100 payload bytes lost and
/// the rest in 150-byte segments that all wait behind the hole until a cap forces a gap.
/// Returns the report and the packet numbers of the flood.
fn flood(opts: Options) -> (Report, Vec<u64>, usize) {
    let mut s = Session::new(41025, 8080);
    s.open();
    let f = [
        binary(Server, &pattern(200_000)),
        close(Server, 1000, "after the flood"),
    ]
    .concat();
    assert_eq!(s.send(Server, &f[..10]), 6);
    s.lose(Server, &f[10..110]);
    let pkts = s.send_chunks(Server, &f[110..], 150);
    s.send(Client, &close(Client, 1000, "after the flood"));
    s.fins(Server);
    (analyze_timed(LinkType::RAW, &s.pkts, opts), pkts, f.len())
}

#[test]
fn s25_flood_of_far_ahead_segments_is_capped_and_forces_a_gap() {
    // The assembler alone: far-ahead segments, 10 bytes each with holes between them,
    // never filling the hole at 2; at most 8 may wait.
    let mut h = Half::syn(u32::MAX - 9);
    h.limits = Limits {
        max_pending_bytes: 1000,
        max_pending_ranges: 8,
    };
    h.seg(0, b"ab");
    let at = |i: u64| 1_000_000 + i * 20;
    for i in 0..100u64 {
        h.seg(at(i), &[i as u8; 10]);
        let waiting = (0..=i).filter(|&j| at(j) >= h.h.frontier()).count();
        assert!(waiting <= 8, "{waiting} segments wait after segment {i}");
    }
    assert!(h.h.cap_hit);
    h.flush();
    assert_eq!(h.out.bytes.len() as u64, at(99) + 10);
    assert_eq!(h.out.gaps.len(), 100);
    assert_eq!(h.out.gaps[0], (2, at(0) - 2));
    for i in 0..100u64 {
        assert_eq!(h.out.bytes[at(i) as usize], Some(i as u8));
    }

    // The pipeline, at the default range cap (1024 waiting segments) and with a 64 KiB cap.
    let small = Options {
        limits: Limits {
            max_pending_bytes: 64 << 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    for (opts, held) in [(Options::default(), 1025), (small, 437)] {
        let (r, pkts, len) = flood(opts);
        let c = only(&r);
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(pkts[held as usize - 1])),
                (
                    Kind::TruncatedMessage,
                    Some(Server),
                    Some(pkts[held as usize - 1])
                ),
                (Kind::BufferCapHit, None, Some(pkts[held as usize - 1]))
            ],
            "cap at {held}"
        );
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "after the flood", *pkts.last().unwrap()),
                cl(Client, 1000, "after the flood", *pkts.last().unwrap() + 1)
            ]
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: held,
                gaps: 1,
                missing_bytes: 100,
                ..clean(response(false).len() + len - 100)
            }
        );
    }
}

#[test]
fn s26_idle_timeout_and_capture_end_flush_pending_data_in_order_with_gaps() {
    let flight = [
        binary(Server, &pattern(3000)),
        text(Server, "tail"),
        close(Server, 1000, "flushed"),
    ]
    .concat();
    // Two holes (200 and 100 bytes inside the binary payload); nothing acknowledges them.
    let holes = |s: &mut Session| {
        s.send(Server, &flight[..500]);
        s.lose(Server, &flight[500..700]);
        s.send(Server, &flight[700..1500]);
        s.lose(Server, &flight[1500..1600]);
    };
    // A: packets 1-8, then nothing. B: starts 1 s later; its last packet comes 120 s
    // later, past A's idle timeout, and the capture ends with B's holes pending.
    let mut a = Session::new(41026, 8080);
    a.open();
    holes(&mut a);
    assert_eq!(a.send(Server, &flight[1600..]), 8);
    let mut b = Session::new(41126, 8080);
    b.clock = Timestamp(T0.0 + 1_000_000_000);
    b.open();
    holes(&mut b);
    b.clock = Timestamp(b.clock.0 + 120_000_000_000);
    b.send(Server, &flight[1600..]);
    let pkts = [a.pkts, b.pkts].concat();
    let opts = Options {
        idle_timeout_s: 60,
        ..Options::default()
    };
    let r = analyze_timed(LinkType::RAW, &pkts, opts);
    assert_eq!(r.connections.len(), 2, "{:#?}", r.connections);
    assert_eq!(r.seen.evicted_flows, 1);
    for (c, close_pkt) in r.connections.iter().zip([8, 16]) {
        assert_eq!(closes(c), vec![cl(Server, 1000, "flushed", close_pkt)]);
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), None),
                (Kind::TruncatedMessage, Some(Server), None),
                (Kind::Gap, Some(Server), None),
                (Kind::TruncatedMessage, Some(Server), None)
            ]
        );
        let f = c.frames.server;
        assert_eq!(
            (f.frames, f.text_messages),
            (3, 1),
            "the text after the holes"
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 2,
                missing_bytes: 300,
                ..clean(response(false).len() + flight.len() - 300)
            }
        );
    }
    assert_eq!(r.connections[0].last_packet, 8);
}

/// A full session: the upgrade, a text each way, close `code` each way, FINs (11 packets).
fn full_session(port: u16, code: u16, clock: Timestamp) -> Session {
    let mut s = Session::new(port, 8080);
    s.clock = clock;
    s.open();
    s.send(Server, &text(Server, "hello"));
    s.send(Client, &close(Client, code, "merged"));
    s.send(Server, &close(Server, code, "merged"));
    s.fins(Client);
    s
}

#[test]
fn s27_clock_stepping_back_inside_one_flow_keeps_it_whole() {
    let mut s = Session::new(41027, 8080);
    s.open();
    s.clock = Timestamp(T0.0 + 3_600_000_000_000);
    s.send(Server, &text(Server, "from an hour ahead"));
    s.clock = Timestamp(T0.0 + 10_000_000);
    s.send(Client, &close(Client, 1000, "back"));
    s.send(Server, &close(Server, 1000, "back"));
    s.fins(Client);
    let r = analyze_timed(LinkType::RAW, &s.pkts, Options::default());
    let c = only(&r);
    assert!(c.handshake.seen);
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "back", 7), cl(Server, 1000, "back", 8)]
    );
    assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Client)));
    assert_eq!(findings(c), vec![]);
    assert_eq!(r.seen.evicted_flows, 0);
}

#[test]
fn s27_merged_captures_with_skewed_clocks_keep_active_flows() {
    // Two captures merged packet by packet once A's upgrade is done; B's clock is an hour
    // ahead, so every other packet goes back in time.
    merged_captures(T0, Timestamp(T0.0 + 3_600_000_000_000));
    // The same with A's clock an hour ahead: the clock starts an hour ahead and B's
    // packets, all an hour behind it, keep B active.
    merged_captures(Timestamp(T0.0 + 3_600_000_000_000), T0);
}

/// Sessions A (from `a_clock`) and B (from `b_clock`), a packet every 2 s (so the
/// analyzer sweeps for idle flows between packets), merged packet by packet once A's
/// upgrade is done: both are reported whole, neither is evicted.
fn merged_captures(a_clock: Timestamp, b_clock: Timestamp) {
    let mut a = full_session(41027, 1000, a_clock);
    let mut b = full_session(41127, 4000, b_clock);
    for (s, start) in [(&mut a, a_clock), (&mut b, b_clock)] {
        for (i, p) in s.pkts.iter_mut().enumerate() {
            p.ts = Timestamp(start.0 + i as i64 * 2_000_000_000);
        }
    }
    let mut pkts: Vec<Pkt> = a.pkts[..5].to_vec();
    for (x, y) in a.pkts[5..].iter().zip(&b.pkts) {
        pkts.extend([x.clone(), y.clone()]);
    }
    pkts.extend_from_slice(&b.pkts[a.pkts.len() - 5..]);
    // Where packet `id` of the session on `port` went in the merged capture.
    let at = |port: u16, id: u64| -> u64 {
        let s = if port == 41027 { &a } else { &b };
        let data = &s.pkts[id as usize - 1].data;
        pkts.iter().position(|p| &p.data == data).unwrap() as u64 + 1
    };
    let r = analyze_timed(LinkType::RAW, &pkts, Options::default());
    assert_eq!(r.connections.len(), 2, "{:#?}", r.connections);
    assert_eq!((r.seen.tcp_connections, r.seen.evicted_flows), (2, 0));
    for (c, (port, code)) in r.connections.iter().zip([(41027, 1000), (41127, 4000)]) {
        assert_eq!(c.client, format!("10.0.0.1:{port}"));
        assert_eq!(c.first_packet, at(port, 1));
        assert!(c.handshake.seen);
        assert_eq!(
            closes(c),
            vec![
                cl(Client, code, "merged", at(port, 7)),
                cl(Server, code, "merged", at(port, 8))
            ]
        );
        assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Client)));
        assert_eq!(findings(c), vec![]);
    }
}

/// `bytes` from `from` in one segment whose IPv4 total length is 0, as GRO/TSO hands a
/// segment larger than 64 KiB to a loopback capture.
fn send_gro(s: &mut Session, from: Role, bytes: &[u8]) -> u64 {
    let seq = s.next[side(from)];
    let ip = if s.link == LinkType::ETHERNET { 14 } else { 0 };
    let n = s.emit(from, 0, seq, &[], None);
    let p = &mut s.pkts[n as usize - 1];
    p.data[ip + 2..ip + 4].copy_from_slice(&[0, 0]);
    p.data.extend_from_slice(bytes);
    p.orig_len = p.data.len() as u32;
    s.next[side(from)] = seq.wrapping_add(bytes.len() as u32);
    n
}

#[test]
fn s28_offloaded_64_kib_and_200_kib_segments_are_not_truncated() {
    // 65 495 bytes: the most an IPv4 total length of 65 535 carries after two headers.
    let mut s = Session::new(41028, 8080).ethernet();
    s.open();
    let sb = binary(Server, &pattern(200_000));
    let cb = binary(Client, &pattern(100_000));
    let spk = s.send_chunks(Server, &sb, 65_495);
    let cpk = s.send_chunks(Client, &cb, 65_495);
    let sc = s.send(Server, &close(Server, 1000, "big"));
    s.send(Client, &close(Client, 1000, "big"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1000, "big", sc), cl(Client, 1000, "big", sc + 1)]
    );
    assert_eq!(
        c.frames.server.largest_message,
        Some((200_000, *spk.last().unwrap()))
    );
    assert_eq!(
        c.frames.client.largest_message,
        Some((100_000, *cpk.last().unwrap()))
    );
    assert_eq!(findings(c), vec![]);
    let close_len = close(Server, 1000, "big").len();
    assert_eq!(
        tcp(c.tcp.server),
        clean(response(false).len() + sb.len() + close_len)
    );

    // 200 KiB segments with IPv4 total length 0 (GRO on loopback).
    let mut s = Session::new(41028, 8080).ethernet();
    s.open();
    let sb = binary(Server, &pattern(600_000));
    let spk: Vec<u64> = sb
        .chunks(200 << 10)
        .map(|b| send_gro(&mut s, Server, b))
        .collect();
    assert_eq!(spk.len(), 3);
    assert!(s.pkts[spk[0] as usize - 1].data.len() > 200 << 10);
    let cb = binary(Client, &pattern(300_000));
    let cpk = send_gro(&mut s, Client, &cb);
    let sc = send_gro(&mut s, Server, &close(Server, 1000, "gro"));
    s.send(Client, &close(Client, 1000, "gro"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1000, "gro", sc), cl(Client, 1000, "gro", sc + 1)]
    );
    assert_eq!(c.frames.server.largest_message, Some((600_000, spk[2])));
    assert_eq!(c.frames.client.largest_message, Some((300_000, cpk)));
    assert_eq!(findings(c), vec![]);
    for t in [c.tcp.client, c.tcp.server] {
        assert_eq!((t.gaps, t.missing_bytes), (0, 0));
    }
    assert_eq!(
        c.tcp.server.bytes as usize,
        response(false).len() + sb.len() + close(Server, 1000, "gro").len()
    );
}

// ---------------------------------------------------------------------------------------
// 29-32: WebSocket framing over TCP segments
// ---------------------------------------------------------------------------------------

#[test]
fn s29_handshake_and_first_frame_in_one_segment() {
    for isn in ISNS {
        let req = [request(), text(Client, "early")].concat();
        let resp = [
            response(false),
            text(Server, "welcome"),
            close(Server, 1001, "bye"),
        ]
        .concat();
        let reply = close(Client, 1001, "bye");

        let mut s = Session::new(41029, 8080).isns(isn, isn);
        s.handshake();
        assert_eq!(s.send(Client, &req), 4);
        assert_eq!(s.send(Server, &resp), 5);
        assert_eq!(s.send(Client, &reply), 6);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        let h = &c.handshake;
        assert_eq!(
            (h.request_packet, h.response_packet, h.status),
            (Some(4), Some(5), Some(101))
        );
        assert_eq!(
            closes(c),
            vec![cl(Server, 1001, "bye", 5), cl(Client, 1001, "bye", 6)],
            "isn {isn}"
        );
        assert_eq!(
            (c.frames.client.frames, c.frames.client.largest_message),
            (2, Some((5, 4)))
        );
        assert_eq!(
            (c.frames.server.frames, c.frames.server.largest_message),
            (2, Some((7, 5)))
        );
        assert_eq!(findings(c), vec![]);

        // Each of those segments split in two, the second half captured first: the request
        // with 3 bytes of the frame, and the response without its last CRLF.
        let mut s = Session::new(41029, 8080).isns(isn, isn);
        s.handshake();
        let cp = send_pieces(&mut s, Client, &req, &[request().len() + 3], &[1, 0]);
        let sp = send_pieces(&mut s, Server, &resp, &[response(false).len() - 2], &[1, 0]);
        assert_eq!((cp, sp.clone()), (vec![5, 4], vec![7, 6]));
        assert_eq!(s.send(Client, &reply), 8);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        let h = &c.handshake;
        assert_eq!(
            (h.request_packet, h.response_packet, h.status),
            (Some(5), Some(6), Some(101))
        );
        assert_eq!(
            closes(c),
            vec![cl(Server, 1001, "bye", 6), cl(Client, 1001, "bye", 8)],
            "isn {isn}"
        );
        assert_eq!(c.frames.client.largest_message, Some((5, 4)));
        assert_eq!(c.frames.server.largest_message, Some((7, 6)));
        assert_eq!(findings(c), vec![]);
    }
}

#[test]
fn s30_frame_headers_split_one_byte_per_segment_with_a_64_bit_length() {
    let one_byte_cuts = |n: usize| -> Vec<usize> { (1..n).collect() };
    for isn in ISNS {
        for reversed in [false, true] {
            let ctx = format!("isn {isn} reversed {reversed}");
            let order = |n: usize| -> Vec<usize> {
                if reversed {
                    (0..n).rev().collect()
                } else {
                    (0..n).collect()
                }
            };
            let mut s = Session::new(41030, 8080).isns(isn, isn);
            s.open();
            // A masked binary frame with a 64-bit length: 14 header bytes, one per segment.
            let big = binary(Client, &pattern(70_000));
            assert_eq!(big[1], 0x80 | 127);
            send_pieces(&mut s, Client, &big[..14], &one_byte_cuts(14), &order(14));
            let big_end = *s.send_chunks(Client, &big[14..], 1400).last().unwrap();
            // Both close frames, one byte per segment.
            let cc = close(Client, 4002, "bytewise");
            let cpk = send_pieces(
                &mut s,
                Client,
                &cc,
                &one_byte_cuts(cc.len()),
                &order(cc.len()),
            );
            let sc = close(Server, 4002, "bytewise");
            let spk = send_pieces(
                &mut s,
                Server,
                &sc,
                &one_byte_cuts(sc.len()),
                &order(sc.len()),
            );
            s.fins(Server);
            let r = s.analyze();
            let c = only(&r);
            assert_eq!(
                closes(c),
                vec![
                    cl(Client, 4002, "bytewise", *cpk.last().unwrap()),
                    cl(Server, 4002, "bytewise", *spk.last().unwrap())
                ],
                "{ctx}"
            );
            assert_eq!(c.status.code, Some(4002));
            assert_eq!(
                c.frames.client.largest_message,
                Some((70_000, big_end)),
                "{ctx}"
            );
            assert_eq!(findings(c), vec![], "{ctx}");
            let held = if reversed {
                13 + cc.len() as u64 - 1
            } else {
                0
            };
            assert_eq!(
                tcp(c.tcp.client),
                Counters {
                    out_of_order: held,
                    ..clean(request().len() + big.len() + cc.len())
                },
                "{ctx}"
            );
        }
    }
}

#[test]
fn s31_frame_declaring_2_pow_63_bytes_is_skipped_with_bounded_memory() {
    let started = Instant::now();
    let top = (1u64 << 63).to_be_bytes();

    // From the server: 4 MiB of "payload" follows, with a close frame 4000 inside it.
    let mut s = Session::new(41031, 8080);
    s.open();
    let header = [&[0x82, 0x7F][..], &top].concat();
    assert_eq!(s.send(Server, &header), 6);
    let mut junk = pattern(4 << 20);
    let inside = close(Server, 4000, "inside");
    junk[1000..1000 + inside.len()].copy_from_slice(&inside);
    s.send_chunks(Server, &junk, 65_000);
    let p = s.send(Client, &close(Client, 1009, "too big"));
    s.rst(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::LengthTopBitSet, Some(Server), Some(6))]
    );
    assert_eq!(closes(c), vec![cl(Client, 1009, "too big", p)]);
    assert_eq!(c.status.code, Some(1009));
    let f = c.frames.server;
    assert_eq!(
        (f.frames, f.payload_bytes, f.largest_message),
        (0, 4 << 20, None)
    );

    // From the client: a masked text frame; 1 MiB of valid UTF-8 follows.
    let mut s = Session::new(41031, 8080);
    s.open();
    let header = [&[0x81, 0xFF][..], &top, &MASK].concat();
    assert_eq!(s.send(Client, &header), 6);
    let masked: Vec<u8> = (0..1 << 20).map(|i| b'a' ^ MASK[i % 4]).collect();
    s.send_chunks(Client, &masked, 65_000);
    let p = s.send(Server, &close(Server, 1009, "too big"));
    s.rst(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::LengthTopBitSet, Some(Client), Some(6))]
    );
    assert_eq!(closes(c), vec![cl(Server, 1009, "too big", p)]);
    let f = c.frames.client;
    assert_eq!((f.frames, f.payload_bytes), (0, 1 << 20));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn s32_snaplen_cut_bytes_are_a_gap_not_zeros() {
    for isn in ISNS {
        // A cut segment captured before the segment in front of it.
        let mut s = Session::new(41032, 8080).isns(isn, isn);
        s.open();
        let f = [
            binary(Server, &pattern(3000)),
            close(Server, 1000, "after the cut"),
        ]
        .concat();
        let x = s.next[1];
        assert_eq!(
            s.emit(Server, 0, x.wrapping_add(1004), &f[1004..2004], Some(100)),
            6
        );
        assert_eq!(send_at(&mut s, Server, x, &f[..1004]), 7);
        assert_eq!(send_at(&mut s, Server, x.wrapping_add(2004), &f[2004..]), 8);
        assert_eq!(s.send(Client, &close(Client, 1000, "after the cut")), 9);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "after the cut", 8),
                cl(Client, 1000, "after the cut", 9)
            ],
            "isn {isn}"
        );
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(9)),
                (Kind::TruncatedMessage, Some(Server), Some(9))
            ],
            "isn {isn}"
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 1,
                missing_bytes: 900,
                ..clean(response(false).len() + f.len() - 900)
            },
            "isn {isn}"
        );

        // A cut through the next frame's header: zeros would read as frames (an empty
        // close, continuations); a gap puts the direction out of sync.
        let mut s = Session::new(41032, 8080).isns(isn, isn);
        s.open();
        let seg = [text(Server, "hello"), close(Server, 4000, "cut")].concat();
        assert_eq!(s.send_cut(Server, &seg, 8), 6);
        assert_eq!(s.send(Client, &close(Client, 1000, "cut")), 7);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(6)),
                (Kind::OutOfSync, Some(Server), Some(6))
            ],
            "isn {isn}"
        );
        assert_eq!(closes(c), vec![cl(Client, 1000, "cut", 7)]);
        assert_eq!(c.frames.server.text_messages, 1);
        assert_eq!((c.tcp.server.gaps, c.tcp.server.missing_bytes), (1, 6));
    }
}

// ---------------------------------------------------------------------------------------
// 33-34: ACKs captured before the data they acknowledge (issue 32)
// ---------------------------------------------------------------------------------------

const SPLIT_REASON: &str = "client leaving: split over four segments";

/// The client's close 4100 in four segments (packets 6, 8, 10, 12: header and 2 mask bytes,
/// the other mask bytes and the code and 2 reason bytes, then the rest of the reason), each
/// acknowledged by a pure ACK of the server (7, 9, 11, 13); the server echoes (14), then
/// FIN server (15), FIN client (16), ACK (17).
fn split_close_session(ci: u32, si: u32) -> Session {
    let mut s = Session::new(41033, 8080).isns(ci, si);
    s.open();
    let cc = close(Client, 4100, SPLIT_REASON);
    for w in bounds(&[4, 10, 28], cc.len()).windows(2) {
        s.send(Client, &cc[w[0]..w[1]]);
        s.ack(Server);
    }
    assert_eq!(s.send(Server, &close(Server, 4100, SPLIT_REASON)), 14);
    s.fins(Server);
    s
}

/// Scenario 33: a pure ACK captured before the segment it acknowledges (Wireshark: "ACKed
/// unseen segment") waits for it: the close split over four segments is decoded whole.
#[test]
fn s33_ack_captured_before_its_data_waits_for_it() {
    for (ci, si) in isn_pairs(request().len() + 3, 0) {
        let ctx = format!("isns {ci}/{si}");
        let s = split_close_session(ci, si);
        // Each ACK before its piece; then all four ACKs before all four pieces.
        let orders: [&[u64]; 2] = [
            &[1, 2, 3, 4, 5, 7, 6, 9, 8, 11, 10, 13, 12, 14, 15, 16, 17],
            &[1, 2, 3, 4, 5, 7, 9, 11, 13, 6, 8, 10, 12, 14, 15, 16, 17],
        ];
        for order in orders {
            let r = reordered(&s, order);
            let c = only(&r);
            let last_piece = order.iter().position(|&n| n == 12).unwrap() as u64 + 1;
            assert_eq!(
                closes(c),
                vec![
                    cl(Client, 4100, SPLIT_REASON, last_piece),
                    cl(Server, 4100, SPLIT_REASON, 14)
                ],
                "{ctx} {order:?}"
            );
            assert_eq!((c.status.code, c.status.inferred), (Some(4100), false));
            assert_eq!(findings(c), vec![], "{ctx} {order:?}");
            assert_eq!(
                (c.tcp.client.gaps, c.tcp.client.missing_bytes),
                (0, 0),
                "{ctx}"
            );
            assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Server)));
        }
    }
}

/// Scenario 34: a hole the peer acknowledged whose segment never comes, or comes after the
/// window (the peer moving on with data, 32 packets, 200 ms of capture time), is still a
/// gap, marked with the ACK's packet; nothing is guessed across it.
#[test]
fn s34_acked_hole_never_filled_is_still_a_gap() {
    for (ci, si) in isn_pairs(request().len() + 3, 0) {
        let ctx = format!("isns {ci}/{si}");
        let s = split_close_session(ci, si);
        // Packet 8 (mask bytes, code) was never captured; ACK 9 covers it. The server's
        // close (13 here) ends the wait: the gap comes before it, at the ACK's packet (8).
        let r = reordered(
            &s,
            &[1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17],
        );
        let c = only(&r);
        assert_eq!(closes(c), vec![cl(Server, 4100, SPLIT_REASON, 13)], "{ctx}");
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Client), Some(8)),
                (Kind::OutOfSync, Some(Client), Some(8))
            ],
            "{ctx}"
        );
        assert_eq!(
            (c.tcp.client.gaps, c.tcp.client.missing_bytes),
            (1, 6),
            "{ctx}"
        );
        assert!(!c.decoded_to_end.client);
        assert_eq!(
            c.seen_by.server, None,
            "its close may be in the gap: no 1006"
        );
    }

    // The segment comes, but only after the window: 33 pure ACKs later, or 300 ms later.
    for late in [Duration::ZERO, Duration::from_millis(300)] {
        let mut s = Session::new(41034, 8080);
        s.open();
        let cc = close(Client, 4100, SPLIT_REASON);
        s.send(Client, &cc[..4]);
        let piece = s.send(Client, &cc[4..10]);
        assert_eq!(piece, 7);
        let ack = s.ack(Server);
        s.clock = Timestamp(s.clock.0 + late.as_nanos() as i64);
        let fillers = if late.is_zero() { 33 } else { 1 };
        for _ in 0..fillers {
            s.ack(Server);
        }
        s.send(Client, &cc[10..]);
        let mut order: Vec<u64> = (1..=s.pkts.len() as u64).filter(|&n| n != piece).collect();
        order.push(piece);
        let pkts: Vec<Pkt> = order
            .iter()
            .map(|&n| s.pkts[n as usize - 1].clone())
            .collect();
        let r = analyze_timed(s.link, &pkts, Options::default());
        let c = only(&r);
        assert_eq!(closes(c), vec![], "late by {late:?}");
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Client), Some(ack - 1)),
                (Kind::OutOfSync, Some(Client), Some(ack - 1))
            ],
            "late by {late:?}"
        );
        // The late segment lies wholly behind the frontier: a retransmission, not data.
        assert_eq!(
            (c.tcp.client.missing_bytes, c.tcp.client.retransmissions),
            (6, 1)
        );
    }
}

// ---------------------------------------------------------------------------------------
// The assembler against a bitmap model
// ---------------------------------------------------------------------------------------

/// Bytes of the model stream.
const WINDOW: usize = 256;

/// What one random run found besides the stream.
struct ModelRun {
    /// Some segment brought bytes different from bytes seen before at the same offset.
    conflict: bool,
    /// The same, where the earlier bytes were still waiting (not yet delivered).
    held_conflict: bool,
    inconsistencies: u64,
}

/// Random segments within [0, WINDOW): fresh ones, exact duplicates, overlapping
/// retransmissions reaching further; in random order, into a `HalfStream` at one of the
/// ISNs. With `conflicting`, about half of the segments carry their own bytes instead of
/// the stream's. The model is a `Vec<Option<u8>>` where the first bytes seen win; after
/// every segment the delivered stream must be the model's known prefix (in-order bytes
/// are delivered at once), and after the flush the whole model with gaps as `None`.
fn model_run(seed: u64, conflicting: bool) -> ModelRun {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let isn = ISNS[(seed % 4) as usize];
    let truth: Vec<u8> = (0..WINDOW).map(|_| rng.next() as u8).collect();
    let mut segs: Vec<(usize, usize)> = Vec::new();
    for _ in 0..5 + rng.below(60) {
        let pick = rng.below(4);
        let (a, b) = match segs.len() {
            0 => (0, 0),
            n => segs[rng.below(n)],
        };
        let seg = match pick {
            0 if b > 0 => (a, b),
            1 if b > 0 => {
                let a2 = a.saturating_sub(rng.below(8));
                (a2, (b + rng.below(24)).min(WINDOW))
            }
            _ => {
                let a = rng.below(WINDOW);
                (a, (a + 1 + rng.below(40)).min(WINDOW))
            }
        };
        segs.push(seg);
    }
    rng.shuffle(&mut segs);

    let mut h = Half::syn(isn);
    let mut model: Vec<Option<u8>> = vec![None; WINDOW];
    let mut run = ModelRun {
        conflict: false,
        held_conflict: false,
        inconsistencies: 0,
    };
    for &(a, b) in &segs {
        let data: Vec<u8> = if conflicting && rng.below(2) == 0 {
            (a..b).map(|_| rng.next() as u8).collect()
        } else {
            truth[a..b].to_vec()
        };
        let known = model.iter().position(Option::is_none).unwrap_or(WINDOW);
        for (p, &byte) in (a..b).zip(&data) {
            match model[p] {
                None => model[p] = Some(byte),
                Some(old) if old != byte => {
                    run.conflict = true;
                    run.held_conflict |= p >= known;
                }
                Some(_) => {}
            }
        }
        h.seg(a as u64, &data);
        let known = model.iter().position(Option::is_none).unwrap_or(WINDOW);
        assert_eq!(
            h.out.bytes,
            model[..known],
            "seed {seed}: after segment {a}..{b} of {segs:?}"
        );
    }
    h.flush();
    let end = segs.iter().map(|s| s.1).max().unwrap_or(0);
    assert_eq!(h.out.bytes, model[..end], "seed {seed}: {segs:?}");
    let mut runs = Vec::new();
    for (p, b) in model[..end].iter().enumerate() {
        match (b, runs.last_mut()) {
            (None, Some((o, n))) if *o + *n == p as u64 => *n += 1,
            (None, _) => runs.push((p as u64, 1)),
            _ => {}
        }
    }
    assert_eq!(h.out.gaps, runs, "seed {seed}: {segs:?}");
    let c = h.h.counters;
    let missing: u64 = runs.iter().map(|r| r.1).sum();
    assert_eq!((c.bytes, c.missing_bytes), (end as u64 - missing, missing));
    run.inconsistencies = c.inconsistencies;
    run
}

#[test]
fn assembler_matches_a_bitmap_model_with_retransmissions_of_the_same_bytes() {
    for seed in 0..3000 {
        let run = model_run(seed, false);
        assert!(!run.conflict);
        assert_eq!(run.inconsistencies, 0, "seed {seed}");
    }
}

#[test]
fn assembler_matches_a_bitmap_model_where_first_bytes_win() {
    let mut conflicts = 0;
    for seed in 0..3000 {
        let run = model_run(seed, true);
        if run.conflict {
            conflicts += 1;
            assert!(run.inconsistencies > 0, "seed {seed}: conflict not counted");
        }
    }
    assert!(conflicts > 1000, "{conflicts} runs with conflicting bytes");
}

/// A connection closed on both sides leaves a tombstone for the grace period, 30 s from
/// its closing second rounded up: a late ACK within it is the connection's (counted late,
/// and the report's last packet), one after it (once a sweep has run) is a flow of its own,
/// which is not reported.
#[test]
fn late_packets_of_a_closed_connection_belong_to_it_through_the_grace_period() {
    let at = |s: f64| Timestamp(T0.0 + (s * 1e9) as i64);
    let mut a = Session::new(41300, 80);
    a.open();
    a.send(Client, &close(Client, 1000, "bye"));
    a.send(Server, &close(Server, 1000, "bye"));
    // Done at both FINs, T0 + 8 ms: the tombstone's second is T0 + 1 s, kept through
    // T0 + 31 s.
    a.fins(Client);
    let mut b = Session::new(41301, 80);
    let mut pkts = a.pkts.clone();
    let mut numbers = Vec::new();
    // A's server acknowledges again; B's client sends a SYN (B's packets make the analyzer
    // sweep, at 30.5 s and 32 s).
    for (is_a, t) in [
        (true, 20.0),
        (false, 30.5),
        (true, 30.6),
        (false, 32.0),
        (true, 32.1),
    ] {
        let s = if is_a { &mut a } else { &mut b };
        s.clock = at(t);
        if is_a {
            s.ack(Server);
        } else {
            s.syn();
        }
        pkts.push(s.pkts.last().unwrap().clone());
        numbers.push(pkts.len() as u64);
    }
    let r = analyze_timed(LinkType::RAW, &pkts, Options::default());
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "bye", 6), cl(Server, 1000, "bye", 7)]
    );
    // The last ACK of the closing handshake (the connection was done at both FINs) and
    // the ACKs at 20 s and 30.6 s are late packets of A; the one at 32.1 s is not.
    assert_eq!(r.seen.late_packets, 3);
    assert_eq!(c.last_packet, numbers[2]);
    // A, B, and A's 4-tuple again after the grace period.
    assert_eq!(r.seen.tcp_connections, 3);
}
