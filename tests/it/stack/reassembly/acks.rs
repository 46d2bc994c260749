//! Scenarios 33-34: an ACK captured before the data it acknowledges (RFC 9293 §3.10.7.4) waits
//! for it, and such a hole never filled is still a gap.

use super::*;
use wsclose::vocab::TcpEndName;

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
            assert_eq!(
                (c.tcp_end(), c.tcp_end_by()),
                (TcpEndName::Fin, Some(Server))
            );
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
