//! Scenarios 19-24 of docs/reassembly.md: how TCP ends and what does not count as data (RFC 9293
//! §3.6, §3.8.4): FIN with data and retransmitted, bytes after a FIN, half-close, keep-alives
//! and zero-window probes, Fast Open (RFC 7413), port reuse, one-sided captures; and late
//! packets of a closed connection.

use super::*;
use wsclose::vocab::TcpEndName;

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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Server), Some(6))
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
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by()),
            (TcpEndName::Fin, Some(Server))
        );
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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Client), Some(6))
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
            (a.status.code, a.tcp_end(), a.tcp_end_by()),
            (Some(1000), TcpEndName::Fin, Some(Client))
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
            (b.status.code, b.tcp_end(), b.tcp_end_packet()),
            (Some(4000), TcpEndName::Rst, Some(21))
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
        // The server's close frame came first: its acknowledgements show the client sent
        // data after it (its close, not captured), so its code is the status (issue 82
        // item 6; before, the status was withheld).
        assert_eq!(c.status.code, Some(1000), "isn {isn}");
        assert_eq!(c.status.causes[0].kind(), "one-direction", "isn {isn}");
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Server), Some(5))
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
        // The client's close answers the server's (nothing but the server's FIN after
        // it): which came first is not in this capture.
        assert_eq!(c.status.code, None);
        assert_eq!(c.status.name, "Unknown (one direction captured)");
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Client), Some(6))
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
