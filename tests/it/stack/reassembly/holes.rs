//! Scenarios 13-18 of docs/reassembly.md: holes (RFC 9293 §3.10.7.4): never filled, ACKed by the
//! peer, inside a WebSocket payload or over a frame header (RFC 6455 §5.2), in the upgrade
//! request; RSTs in and out of window (reassembly rule 11).

use super::*;
use wsclose::vocab::TcpEndName;

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
        assert_eq!(c.tcp_end(), TcpEndName::Open);
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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Rst, Some(Client), Some(10))
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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Rst, Some(Server), Some(8)),
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
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by()),
        (TcpEndName::Rst, Some(Server))
    );
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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Client), Some(10)),
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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Rst, Some(Server), Some(8))
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
