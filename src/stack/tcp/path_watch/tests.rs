use super::*;

/// The words of the copies found, as the report says them.
fn copies_note(a: &PathWatch, b: &PathWatch, packets: u64, names: &Interfaces) -> Option<String> {
    let found = copies_found(a, b, packets, names)?;
    Some(crate::report::words::finding::detail(None, &found).text)
}

fn seg(seq: u32, payload: &[u8], ttl: u8, ip_id: Option<u16>, iface: Option<u32>) -> Segment<'_> {
    Segment {
        seq,
        ack: 77,
        ack_flag: true,
        ttl,
        ip_id,
        window: 512,
        iface,
        ..Segment::test(payload)
    }
}

const MS: i64 = 1_000_000;

/// A segment of `payload` at `seq` acknowledging `ack`, window 64.
fn data(seq: u32, ack: u32, payload: &'static [u8]) -> Segment<'static> {
    Segment {
        seq,
        ack,
        ack_flag: true,
        window: 64,
        ..Segment::test(payload)
    }
}

fn at(ms: i64) -> Timestamp {
    Timestamp(1_700_000_000_000 * MS + ms * MS)
}

#[test]
fn a_copy_on_another_interface_is_one_packet() {
    let mut w = PathWatch::default();
    assert!(!w.copy(&seg(100, b"hello", 64, Some(7), Some(4)), at(0)));
    assert!(w.copy(&seg(100, b"hello", 64, Some(7), Some(6)), at(0)));
    // A third place: the next hop, one TTL lower, on a third interface.
    assert!(w.copy(&seg(100, b"hello", 63, Some(7), Some(9)), at(0)));
    assert_eq!((w.copies, w.copied), (2, 1));
    assert_eq!(w.ifaces(), [4, 6, 9]);
    let note = copies_note(&w, &PathWatch::default(), 1, &Interfaces::default()).unwrap();
    assert_eq!(note, "each packet was captured 3 times, on interfaces 4, 6, 9 (by index); each is counted once, not as a retransmission");
}

/// pcapng interfaces by name, in the order the connection's packets were first seen on
/// them, whichever direction; an unnamed one by its ID; cooked indexes first, in order.
#[test]
fn copies_on_named_interfaces_are_named() {
    use crate::capture::Interface;
    let mut names = Interfaces::default();
    let mut key = |number: u32, name: Option<&str>| {
        names.key(&Interface {
            number,
            id: number,
            name: name.map(Into::into),
        })
    };
    let (veth, br, unnamed) = (key(0, Some("veth0")), key(1, Some("br0")), key(2, None));
    let (mut a, mut b) = (PathWatch::default(), PathWatch::default());
    assert!(!a.copy(&seg(100, b"hello", 64, Some(7), Some(veth)), at(0)));
    assert!(a.copy(&seg(100, b"hello", 64, Some(7), Some(br)), at(0)));
    assert!(!b.copy(&seg(500, b"bye", 64, Some(9), Some(br)), at(0)));
    assert!(b.copy(&seg(500, b"bye", 64, Some(9), Some(veth)), at(0)));
    let note = copies_note(&a, &b, 2, &names).unwrap();
    assert_eq!(note, "each packet was captured 2 times, on interfaces veth0, br0; each is counted once, not as a retransmission");
    // An unnamed interface, and a cooked index, beside them.
    assert!(b.copy(&seg(500, b"bye", 64, Some(9), Some(unnamed)), at(0)));
    assert!(!b.copy(&seg(600, b"!", 64, Some(10), Some(37)), at(0)));
    assert!(b.copy(&seg(600, b"!", 64, Some(10), Some(veth)), at(0)));
    let note = copies_note(&a, &b, 3, &names).unwrap();
    assert!(
        note.contains(", on interfaces 37, veth0, br0, 2 (by index);"),
        "{note}"
    );
}

#[test]
fn a_retransmission_after_the_timeout_stays_one() {
    let mut w = PathWatch::default();
    assert!(!w.copy(&seg(100, b"hello", 64, Some(7), Some(4)), at(0)));
    // Same bytes, same IP ID (a stack that does not change it), another interface, but
    // later than any copy: a retransmission.
    assert!(!w.copy(&seg(100, b"hello", 64, Some(7), Some(6)), at(250)));
    assert_eq!(w.copies, 0);
}

#[test]
fn seen_again_at_the_same_place_is_a_retransmission() {
    let mut w = PathWatch::default();
    assert!(!w.copy(&seg(100, b"hello", 64, Some(0), Some(4)), at(0)));
    assert!(!w.copy(&seg(100, b"hello", 64, Some(0), Some(4)), at(3)));
    // Its copy on the other interface is a copy of the retransmission.
    assert!(w.copy(&seg(100, b"hello", 64, Some(0), Some(6)), at(3)));
    assert_eq!(w.copies, 1);
}

#[test]
fn other_bytes_or_another_ip_id_stay_one() {
    let mut w = PathWatch::default();
    assert!(!w.copy(&seg(100, b"hello", 64, Some(7), Some(4)), at(0)));
    assert!(!w.copy(&seg(100, b"hellO", 64, Some(7), Some(6)), at(0)));
    // A long payload differing only at its end.
    let a = [b'a'; 300];
    let mut b = a;
    b[299] = b'b';
    assert!(!w.copy(&seg(200, &a, 64, Some(8), Some(4)), at(1)));
    assert!(!w.copy(&seg(200, &b, 64, Some(8), Some(6)), at(1)));
    // The same bytes with a new IPv4 identification: sent again by the stack.
    assert!(!w.copy(&seg(200, &a, 64, Some(9), Some(6)), at(1)));
    assert_eq!(w.copies, 0);
}

#[test]
fn without_interfaces_the_hop_or_the_id_decide() {
    let mut w = PathWatch::default();
    // One hop further, same IPv4 identification.
    assert!(!w.copy(&seg(100, b"x1", 64, Some(0), None), at(0)));
    assert!(w.copy(&seg(100, b"x1", 63, Some(0), None), at(10)));
    // Same hop, same non-zero identification.
    assert!(!w.copy(&seg(102, b"x2", 64, Some(5), None), at(20)));
    assert!(w.copy(&seg(102, b"x2", 64, Some(5), None), at(30)));
    // Same hop, identification 0 or none (IPv6), even at once: the sender's own
    // retransmission cannot be told from a copy, so it stays one.
    assert!(!w.copy(&seg(104, b"x3", 64, Some(0), None), at(40)));
    assert!(!w.copy(&seg(104, b"x3", 64, Some(0), None), at(40)));
    assert!(!w.copy(&seg(106, b"x4", 64, None, None), at(50)));
    assert!(!w.copy(&seg(106, b"x4", 64, None, None), at(50)));
    assert_eq!(w.copies, 2);
}

#[test]
fn the_ring_remembers_one_packet_between_copies() {
    let mut w = PathWatch::default();
    assert!(!w.copy(&seg(100, b"a", 64, Some(1), Some(4)), at(0)));
    assert!(!w.copy(&seg(101, b"b", 64, Some(2), Some(4)), at(0)));
    assert!(w.copy(&seg(100, b"a", 64, Some(1), Some(6)), at(0)));
    assert!(!w.copy(&seg(102, b"c", 64, Some(3), Some(4)), at(0)));
    assert!(w.copy(&seg(101, b"b", 64, Some(2), Some(6)), at(0)));
    assert!(w.copy(&seg(102, b"c", 64, Some(3), Some(6)), at(0)));
    let note = copies_note(&w, &PathWatch::default(), 3, &Interfaces::default()).unwrap();
    assert!(
        note.starts_with("each packet was captured 2 times"),
        "{note}"
    );
}

#[test]
fn a_stall_ends_when_the_peer_acknowledges() {
    let mut w = PathWatch::default();
    w.sent(&seg(100, b"ping", 64, Some(1), None), 10, at(0));
    w.acked(104);
    assert_eq!(w.stall(), None);
    w.sent(&seg(104, b"ping2", 64, Some(2), None), 11, at(1000));
    for (i, ms) in [1200, 1600, 2400].into_iter().enumerate() {
        w.sent(
            &seg(104, b"ping2", 64, Some(3 + i as u16), None),
            12 + i as u64,
            at(ms),
        );
    }
    let st = w.unacknowledged(3).unwrap();
    assert_eq!(
        (st.first_packet, st.retransmissions, st.last_packet),
        (11, 3, 14)
    );
    assert!(w.unacknowledged(4).is_none());
    // A late ACK of the peer: nothing is left unacknowledged.
    w.acked(109);
    assert!(w.unacknowledged(0).is_none());
    // Bytes already acknowledged sent again start no stall.
    w.sent(&seg(104, b"ping2", 64, Some(9), None), 20, at(3000));
    assert!(w.unacknowledged(0).is_none());
}

#[test]
fn the_first_reset_keeps_the_ttls_before_it() {
    let mut w = PathWatch::default();
    w.own(&seg(100, b"a", 52, Some(10), None), 1, at(0));
    w.own(&seg(101, b"b", 52, Some(11), None), 2, at(1));
    let mut r = seg(102, b"", 57, Some(0x4242), None);
    r.rst = true;
    r.ack_flag = false;
    w.own(&r, 3, at(2));
    let m = w.reset.unwrap();
    assert_eq!(
        (m.ttl, m.before, m.id_before, m.ack_flag),
        (57, Some((52, 52)), Some(11), false)
    );
}

#[test]
fn packets_of_the_same_microsecond_take_turns_in_the_ring() {
    // Four packets in the same microsecond (a burst, a capture with coarse timestamps),
    // then the copy of the third: the ring holds the last two, whatever their times.
    let mut w = PathWatch::default();
    for (i, p) in [b"a", b"b", b"c", b"d"].into_iter().enumerate() {
        assert!(!w.copy(
            &seg(100 + i as u32, p, 64, Some(i as u16 + 1), Some(4)),
            at(0)
        ));
    }
    assert!(w.copy(&seg(102, b"c", 64, Some(3), Some(6)), at(0)));
    assert_eq!(w.copies, 1);
}

#[test]
fn the_ring_remembers_seven_packets_between_copies() {
    // A mirror of both ends: the far end's copies come after the sender's next packets.
    // Data segments, then pure acknowledgements (one sequence number, ack moving on).
    for pure_acks in [false, true] {
        let mut w = PathWatch::default();
        let of = |i: u32| {
            let mut s = seg(100 + 10 * i, b"0123456789", 64, Some(i as u16 + 1), Some(4));
            if pure_acks {
                (s.seq, s.ack, s.payload) = (100, 77 + 10 * i, b"");
            }
            s
        };
        for i in 0..9 {
            assert!(!w.copy(&of(i), at(0)));
        }
        let copy = |i: u32| Segment {
            iface: Some(6),
            ..of(i)
        };
        // Packet 1 had seven after it: its copy is found; packet 0 had eight, and its
        // copy is a new packet.
        assert!(w.copy(&copy(1), at(1)));
        assert!(!w.copy(&copy(0), at(1)));
        assert_eq!(w.copies, 1, "pure acks: {pure_acks}");
    }
}

/// A zero-window spell: the peer's first ACK with window 0 opens it, Linux's probes (no
/// data, one byte below the acknowledged point) and a one-byte probe at it are counted,
/// a data segment is not; the peer's window update ends it, and a SYN's window neither
/// opens nor ends one.
#[test]
fn a_zero_window_spell_counts_its_probes_and_ends_at_the_update() {
    let mut path: Sides<PathWatch> = Sides::default();
    let data = |seq: u32, payload: &'static [u8]| Segment {
        seq,
        ack: 1,
        ack_flag: true,
        window: 64,
        ..Segment::test(payload)
    };
    let ack = |ack: u32, window: u16| Segment {
        seq: 1,
        ack,
        ack_flag: true,
        window,
        ..Segment::test(b"")
    };
    segment(&mut path, Side::A, &data(1000, b"0123456789"), 1, at(0));
    assert_eq!(path[Side::A].zero_spell(), None);
    segment(&mut path, Side::B, &ack(1010, 0), 2, at(10));
    // Linux's probe: no data, one byte below the acknowledged point.
    segment(&mut path, Side::A, &data(1009, b""), 3, at(210));
    segment(&mut path, Side::B, &ack(1010, 0), 4, at(211));
    // A BSD probe: one byte at the acknowledged point.
    segment(&mut path, Side::A, &data(1010, b"x"), 5, at(610));
    // Not a probe: more than one byte.
    segment(&mut path, Side::A, &data(1010, b"xy"), 6, at(620));
    let z = path[Side::A].zero_spell().unwrap();
    assert_eq!(
        (
            z.since_packet,
            z.probes,
            z.first_probe,
            z.last_probe,
            z.answers,
            z.reopened
        ),
        (2, 2, Some(3), Some(5), 1, None)
    );
    segment(&mut path, Side::B, &ack(1010, 512), 7, at(5000));
    assert_eq!(
        path[Side::A].zero_spell().unwrap().reopened,
        Some((7, at(5000)))
    );
    // No probe is counted once the window is open.
    segment(&mut path, Side::A, &data(1009, b""), 8, at(5001));
    assert_eq!(path[Side::A].zero_spell().unwrap().probes, 2);
    // The other direction saw no zero window.
    assert_eq!(path[Side::B].zero_spell(), None);
}

/// The largest segment the peer acknowledged, the stall's first segment's size, and a
/// smaller packet during the stall that acknowledged the peer's new bytes (what a path
/// MTU black hole is read from).
#[test]
fn a_stall_knows_its_segment_size_and_the_largest_acknowledged() {
    let mut path: Sides<PathWatch> = Sides::default();
    static SMALL: [u8; 200] = [b's'; 200];
    static BIG: [u8; 1448] = [b'b'; 1448];
    segment(&mut path, Side::A, &data(1000, 1, &SMALL), 1, at(0));
    segment(&mut path, Side::B, &data(1, 1200, b""), 2, at(10));
    segment(&mut path, Side::A, &data(1200, 1, &BIG), 3, at(20));
    // The peer sends a ping; A acknowledges it with no data.
    segment(&mut path, Side::B, &data(1, 1200, b"ping"), 4, at(30));
    segment(&mut path, Side::A, &data(2648, 5, b""), 5, at(31));
    segment(&mut path, Side::A, &data(1200, 5, &BIG), 6, at(230));
    let st = path[Side::A].stall().unwrap();
    assert_eq!(
        (
            st.first_packet,
            st.first_len,
            st.largest_acked,
            st.acked_peer,
            st.retransmissions
        ),
        (3, 1448, 200, Some(5), 1)
    );
    // Once acknowledged, the big segment is the largest.
    segment(&mut path, Side::B, &data(5, 2648, b""), 7, at(240));
    assert_eq!(path[Side::A].stall(), None);
    assert_eq!(path[Side::A].line.big, 1448);
}

/// Keepalive probes (no data, or one byte, one below the acknowledged point) while the
/// peer's window is open: a run ends at the peer's next packet (an answer); the last run
/// keeps its count, its first and last, and its gaps. Zero-window probes, data and probes
/// while data waits for an acknowledgement are none.
#[test]
fn keepalive_probes_make_runs_that_an_answer_ends() {
    let mut path: Sides<PathWatch> = Sides::default();
    let data = |seq: u32, payload: &'static [u8]| Segment {
        seq,
        ack: 1,
        ack_flag: true,
        window: 64,
        ..Segment::test(payload)
    };
    let ack = |ack: u32, window: u16| Segment {
        seq: 1,
        ack,
        ack_flag: true,
        window,
        ..Segment::test(b"")
    };
    segment(&mut path, Side::A, &data(1000, b"0123456789"), 1, at(0));
    // Not a probe: the data still waits for its acknowledgement.
    segment(&mut path, Side::A, &data(1009, b""), 2, at(100));
    assert_eq!(path[Side::A].keepalive_run(), None);
    segment(&mut path, Side::B, &ack(1010, 512), 3, at(110));
    // Two probes, the first answered.
    segment(&mut path, Side::A, &data(1009, b""), 4, at(1110));
    segment(&mut path, Side::B, &ack(1010, 512), 5, at(1111));
    segment(&mut path, Side::A, &data(1009, b""), 6, at(2110));
    let r = path[Side::A].keepalive_run().unwrap();
    assert_eq!(
        (
            r.probes,
            r.first_packet,
            r.answered,
            r.last_answer,
            r.unanswered
        ),
        (1, 6, 1, Some(5), true)
    );
    // Not probes: a pure ACK at the next sequence number, and two bytes already
    // acknowledged.
    segment(&mut path, Side::A, &data(1010, b""), 7, at(2500));
    segment(&mut path, Side::A, &data(1008, b"xy"), 8, at(2600));
    // A BSD probe (one byte already acknowledged), then a Linux one, unanswered.
    segment(&mut path, Side::A, &data(1009, b"x"), 9, at(3110));
    segment(&mut path, Side::A, &data(1009, b""), 10, at(4210));
    let r = path[Side::A].keepalive_run().unwrap();
    assert_eq!(
        (
            r.probes,
            r.first_packet,
            r.last_packet,
            r.unanswered,
            r.bytes
        ),
        (3, 6, 10, true, 0)
    );
    assert_eq!((r.min_gap_s, r.max_gap_s), (1.0, 1.1));
    // The peer's window shuts: a probe then is a zero-window probe, not a keepalive.
    segment(&mut path, Side::B, &ack(1010, 0), 11, at(4300));
    let r = path[Side::A].keepalive_run().unwrap();
    assert_eq!((r.probes, r.unanswered, r.answered), (3, false, 4));
    segment(&mut path, Side::A, &data(1009, b""), 12, at(4500));
    assert_eq!(path[Side::A].keepalive_run().unwrap().last_packet, 10);
    assert_eq!(path[Side::A].zero_spell().unwrap().probes, 1);
    assert_eq!(path[Side::B].keepalive_run(), None);
}

/// The receiver's view of bytes that died on the path: the sender's 200-byte message and,
/// at once, its larger one, whose full-size segments never came; its tail did, before the
/// receiver had acknowledged the 200 bytes (a delayed ACK). The receiver's ACK then comes
/// to the missing bytes' start (with a SACK of the tail) and stays there: the hole is
/// open, whichever stalls the sender's other bytes started and ended meanwhile.
#[test]
fn a_hole_opens_before_the_peer_acknowledged_what_came_before_it() {
    let mut path: Sides<PathWatch> = Sides::default();
    static SMALL: [u8; 200] = [b's'; 200];
    static TAIL: [u8; 108] = [b't'; 108];
    // An earlier exchange, acknowledged.
    segment(&mut path, Side::A, &data(900, 1, &SMALL[..100]), 1, at(0));
    segment(&mut path, Side::B, &data(1, 1000, b""), 2, at(5));
    // The 200 bytes, then (2 896 bytes never captured) the tail, no ACK between.
    segment(&mut path, Side::A, &data(1000, 1, &SMALL), 3, at(100));
    segment(&mut path, Side::A, &data(4096, 1, &TAIL), 4, at(100));
    // The receiver's duplicate ACKs at the hole's start, its ping between.
    segment(&mut path, Side::B, &data(1, 1200, b""), 5, at(101));
    segment(&mut path, Side::B, &data(1, 1200, b"ping"), 6, at(600));
    // The sender's ACK of the ping, without data, gets through; its own ping too.
    segment(&mut path, Side::A, &data(4204, 5, b""), 7, at(601));
    segment(&mut path, Side::A, &data(4204, 5, b"pong"), 8, at(1700));
    segment(&mut path, Side::B, &data(5, 1200, b""), 9, at(1701));
    let m = path[Side::A].missing().unwrap();
    assert_eq!(
        (m.bytes, m.packet, m.after_len, m.ack_packet, m.peer_last),
        (2896, 4, 108, Some(7), Some(9))
    );
    assert_eq!(m.last_packet, 8);
    assert!(m.last_ts.since(m.ts) > 1.5);
}

/// The control: the capture missed bytes the receiver had. Its ACK passes the missing
/// bytes (a delayed ACK or not), and no hole is left: they are missing from the capture
/// only.
#[test]
fn a_hole_the_receiver_acknowledged_past_is_the_captures_own() {
    static SMALL: [u8; 200] = [b's'; 200];
    static TAIL: [u8; 108] = [b't'; 108];
    for delayed in [false, true] {
        let mut path: Sides<PathWatch> = Sides::default();
        segment(&mut path, Side::A, &data(1000, 1, &SMALL), 1, at(0));
        if !delayed {
            segment(&mut path, Side::B, &data(1, 1200, b""), 2, at(5));
        }
        segment(&mut path, Side::A, &data(4096, 1, &TAIL), 3, at(100));
        // (No packet of the receiver's since the segment beyond: nothing shows yet that it
        // lacked the bytes.)
        assert_eq!(path[Side::A].missing(), None);
        segment(&mut path, Side::B, &data(1, 4204, b""), 4, at(140));
        assert_eq!(path[Side::A].missing(), None, "delayed {delayed}");
        // Later bytes, all captured: nothing opens.
        segment(&mut path, Side::A, &data(4204, 1, &SMALL), 5, at(2000));
        segment(&mut path, Side::B, &data(1, 4404, b""), 6, at(2040));
        assert_eq!(path[Side::A].missing(), None);
    }
}

/// A stall the peer's acknowledgement ends is kept (the longest, with 3 retransmissions or
/// more: a path that stopped carrying a direction and carried it again); one ended after
/// two retransmissions (lost packets) is not.
#[test]
fn a_healed_stall_is_kept_when_it_retransmitted_three_times() {
    let mut path: Sides<PathWatch> = Sides::default();
    let ack_of = |ack: u32| Segment {
        seq: 500,
        ack,
        ..seg(500, b"", 64, Some(50), None)
    };
    // Side A sends at 0, the peer acknowledges it: no stall.
    segment(
        &mut path,
        Side::A,
        &seg(100, b"tick", 64, Some(1), None),
        1,
        at(0),
    );
    segment(&mut path, Side::B, &ack_of(104), 2, at(1));
    assert_eq!(path[Side::A].healed(), None);
    // Two retransmissions, then the acknowledgement: a lost packet, not kept.
    segment(
        &mut path,
        Side::A,
        &seg(104, b"tick", 64, Some(2), None),
        3,
        at(1000),
    );
    for (k, ms) in [1200, 1600].into_iter().enumerate() {
        segment(
            &mut path,
            Side::A,
            &seg(104, b"tick", 64, Some(3 + k as u16), None),
            4 + k as u64,
            at(ms),
        );
    }
    segment(&mut path, Side::B, &ack_of(108), 6, at(1700));
    assert_eq!(path[Side::A].healed(), None);
    // Four retransmissions over 6 s, then an acknowledgement at 9 s: kept.
    segment(
        &mut path,
        Side::A,
        &seg(108, b"tick", 64, Some(9), None),
        7,
        at(2000),
    );
    for (k, ms) in [2200, 2600, 3400, 5000].into_iter().enumerate() {
        segment(
            &mut path,
            Side::A,
            &seg(108, b"tick", 64, Some(10 + k as u16), None),
            8 + k as u64,
            at(ms),
        );
    }
    segment(&mut path, Side::B, &ack_of(112), 20, at(9000));
    let h = path[Side::A].healed().unwrap();
    assert_eq!(
        (h.since_ts, h.until_ts, h.retransmissions),
        (at(2000), at(9000), 4)
    );
    assert_eq!(path[Side::B].healed(), None);
}

/// The options of a Linux duplicate ACK: two NOPs and a timestamp, two NOPs and a SACK of
/// `blocks`.
fn sack_options(blocks: &[(u32, u32)]) -> Vec<u8> {
    let mut o = vec![1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8, 1, 1, 5];
    o.push(2 + 8 * blocks.len() as u8);
    for (l, r) in blocks {
        o.extend_from_slice(&l.to_be_bytes());
        o.extend_from_slice(&r.to_be_bytes());
    }
    o
}

/// The receiver's view of a hole (2 896 bytes never captured before the sender's 108-byte
/// tail), and its acknowledgements at the hole's start with the SACK blocks `blocks` (or
/// none) after the tail came: the hole told, if it is one.
fn hole_with_sack(blocks: Option<&[(u32, u32)]>) -> Option<Missing> {
    let mut path: Sides<PathWatch> = Sides::default();
    static SMALL: [u8; 200] = [b's'; 200];
    static TAIL: [u8; 108] = [b't'; 108];
    let opts = blocks.map(sack_options).unwrap_or_default();
    segment(&mut path, Side::A, &data(1000, 1, &SMALL), 1, at(0));
    segment(&mut path, Side::B, &data(1, 1200, b""), 2, at(5));
    segment(&mut path, Side::A, &data(4096, 1, &TAIL), 3, at(100));
    for (k, ms) in [(4, 101), (5, 400)] {
        let ack = Segment {
            options: &opts,
            ..data(1, 1200, b"")
        };
        segment(&mut path, Side::B, &ack, k, at(ms));
    }
    path[Side::A].missing()
}

/// A hole whose receiver acknowledged its start with a SACK of the later bytes (RFC 2018
/// §4): they reached it and the hole's bytes did not, so they died on the path; the
/// first such acknowledgement is kept. A D-SACK below the acknowledgement (RFC 2883)
/// beside it changes nothing.
#[test]
fn a_sack_beyond_a_hole_shows_its_bytes_died_on_the_path() {
    let m = hole_with_sack(Some(&[(4096, 4204)])).unwrap();
    assert_eq!(
        (m.bytes, m.packet, m.sacked, m.peer_last),
        (2896, 3, Some(4), Some(5))
    );
    let m = hole_with_sack(Some(&[(4096, 4204), (900, 1000)])).unwrap();
    assert_eq!(m.sacked, Some(4));
    // Without SACK, the duplicate ACKs alone tell it (RFC 5681 §4.2), no SACK named.
    let m = hole_with_sack(None).unwrap();
    assert_eq!((m.bytes, m.sacked, m.peer_last), (2896, None, Some(5)));
}

/// The control: the same hole whose receiver's SACK blocks hold bytes of the hole itself
/// (it had bytes the capture lacks: the capture missed them), and the same hole the
/// receiver acknowledged past (the capture missed it all): neither is the path's.
#[test]
fn a_sack_over_a_holes_bytes_makes_it_the_captures() {
    assert_eq!(hole_with_sack(Some(&[(2648, 4204)])), None);
    assert_eq!(
        hole_with_sack(Some(&[(4096, 4204), (1200 + 1448, 4096)])),
        None
    );
    let mut path: Sides<PathWatch> = Sides::default();
    static TAIL: [u8; 108] = [b't'; 108];
    segment(&mut path, Side::A, &data(1000, 1, &TAIL), 1, at(0));
    segment(&mut path, Side::B, &data(1, 1108, b""), 2, at(5));
    segment(&mut path, Side::A, &data(4096, 1, &TAIL), 3, at(100));
    segment(&mut path, Side::B, &data(1, 4204, b""), 4, at(140));
    assert_eq!(path[Side::A].missing(), None);
}

/// The sender's view of a black hole: its 200-byte message acknowledged, its 1 448-byte
/// segment (packet 3) and a 108-byte tail after it, then the peer's duplicate ACKs at the
/// big segment's start carrying the SACK blocks `blocks` (or none), and the big segment
/// sent again: the stall as read.
fn stall_with_sack(blocks: Option<&[(u32, u32)]>) -> Stall {
    let mut path: Sides<PathWatch> = Sides::default();
    static SMALL: [u8; 200] = [b's'; 200];
    static BIG: [u8; 1448] = [b'b'; 1448];
    static TAIL: [u8; 108] = [b't'; 108];
    let opts = blocks.map(sack_options).unwrap_or_default();
    segment(&mut path, Side::A, &data(1000, 1, &SMALL), 1, at(0));
    segment(&mut path, Side::B, &data(1, 1200, b""), 2, at(5));
    segment(&mut path, Side::A, &data(1200, 1, &BIG), 3, at(10));
    segment(&mut path, Side::A, &data(2648, 1, &TAIL), 4, at(10));
    for (k, ms) in [(5, 12), (6, 400)] {
        let ack = Segment {
            options: &opts,
            ..data(1, 1200, b"")
        };
        segment(&mut path, Side::B, &ack, k, at(ms));
    }
    segment(&mut path, Side::A, &data(1200, 1, &BIG), 7, at(220));
    path[Side::A].stall().unwrap()
}

/// The receiver's duplicate ACKs at the big segment's start whose SACK blocks hold the
/// tail after it (RFC 2018 §4): the tail reached it, the big segment did not; the first
/// is kept. A D-SACK below the acknowledgement (RFC 2883) beside it changes nothing;
/// without SACK nothing is named.
#[test]
fn a_sack_beyond_the_stalls_first_segment_is_named() {
    let st = stall_with_sack(Some(&[(2648, 2756)]));
    assert_eq!(
        (st.first_packet, st.first_len, st.sacked, st.sack_over),
        (3, 1448, Some(5), false)
    );
    let st = stall_with_sack(Some(&[(2648, 2756), (900, 1000)]));
    assert_eq!((st.sacked, st.sack_over), (Some(5), false));
    let st = stall_with_sack(None);
    assert_eq!((st.first_packet, st.sacked, st.sack_over), (3, None, false));
}

/// The control: a SACK block over bytes of the big segment (it reached the receiver) is
/// told apart, and a block beyond it beside that names nothing else away. A stall whose
/// first segment is not the largest in flight reads no block: which segment died is not
/// known.
#[test]
fn a_sack_over_the_stalls_first_segment_says_it_arrived() {
    let st = stall_with_sack(Some(&[(1300, 2756)]));
    assert!(st.sack_over);
    assert_eq!(st.sacked, None);
    let st = stall_with_sack(Some(&[(2648, 2756), (1200 + 1000, 2648)]));
    assert!(st.sack_over);
    // The first segment small (a 200-byte one after a larger one acknowledged): no block
    // is read.
    let mut path: Sides<PathWatch> = Sides::default();
    static BIG: [u8; 1448] = [b'b'; 1448];
    static SMALL: [u8; 200] = [b's'; 200];
    let opts = sack_options(&[(2848, 2956)]);
    segment(&mut path, Side::A, &data(1000, 1, &BIG), 1, at(0));
    segment(&mut path, Side::B, &data(1, 2448, b""), 2, at(5));
    segment(&mut path, Side::A, &data(2448, 1, &SMALL), 3, at(10));
    segment(&mut path, Side::A, &data(2848, 1, &SMALL), 4, at(10));
    let ack = Segment {
        options: &opts,
        ..data(1, 2448, b"")
    };
    segment(&mut path, Side::B, &ack, 5, at(12));
    let st = path[Side::A].stall().unwrap();
    assert_eq!((st.first_packet, st.sacked, st.sack_over), (3, None, false));
}
