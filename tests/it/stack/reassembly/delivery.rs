//! Scenarios 1-7 of docs/reassembly.md: delivery of bytes (RFC 9293 §3.4, §3.10.7.4): in order,
//! reversed and permuted, duplicates, retransmissions over the frontier, conflicting bytes
//! (first bytes win), one segment over several held ones. Each checks the report and
//! `HalfStream`'s exact bytes.

use super::*;
use wsclose::vocab::TcpEndName;

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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Server), Some(10))
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
