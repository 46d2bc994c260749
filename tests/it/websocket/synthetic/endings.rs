//! Scenario 12 and TCP endings: port reuse with a new ISN (RFC 9293 §3.5), a retransmitted
//! SYN, a FIN then an RST from the same side or the peer (RFC 9293 §3.6).

use super::*;
use wsclose::vocab::TcpEndName;

#[test]
fn port_reuse_with_a_new_isn_is_a_second_connection() {
    let mut s = Session::new(40090, 8080);
    s.open();
    let first = s.send(Server, &close(Server, 1000, "first"));
    s.send(Client, &close(Client, 1000, "first"));
    s.fins(Server);
    let second_syn = s.pkts.len() as u64 + 1;
    s.reconnect(777_777, 9_999_999);
    s.handshake();
    s.send(Client, &request());
    s.send(Server, &response(false));
    let second = s.send(Client, &close(Client, 4000, "second"));
    s.send(Server, &close(Server, 4000, "second"));
    s.rst(Client);
    let r = s.analyze();
    assert_eq!(r.connections.len(), 2, "{:#?}", r.connections);
    let (a, b) = (&r.connections[0], &r.connections[1]);
    assert_eq!((a.first_packet, b.first_packet), (1, second_syn));
    assert_eq!(a.last_packet, second_syn - 1);
    assert_eq!(
        closes(a),
        vec![
            cl(Server, 1000, "first", first),
            cl(Client, 1000, "first", first + 1)
        ]
    );
    assert_eq!((a.status.code, a.tcp_end()), (Some(1000), TcpEndName::Fin));
    assert_eq!(
        closes(b),
        vec![
            cl(Client, 4000, "second", second),
            cl(Server, 4000, "second", second + 1)
        ]
    );
    assert_eq!((b.status.code, b.tcp_end()), (Some(4000), TcpEndName::Rst));
    assert_eq!(findings(a), vec![]);
    assert_eq!(findings(b), vec![]);
}

#[test]
fn retransmitted_syn_with_the_same_isn_is_one_connection() {
    let mut s = Session::new(40091, 8080);
    s.syn();
    s.syn();
    s.syn_ack();
    s.syn_ack();
    s.ack(Client);
    s.send(Client, &request());
    s.send(Server, &response(false));
    let p = s.send(Client, &close(Client, 1000, "once"));
    s.send(Server, &close(Server, 1000, "once"));
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.first_packet, 1);
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "once", p), cl(Server, 1000, "once", p + 1)]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(r.seen.tcp_connections, 1);
}

// ---------------------------------------------------------------------------------------
// A FIN, then an RST from the same side
// ---------------------------------------------------------------------------------------

/// An application closes its socket without a close frame (FIN), the server sends one more
/// message, and the client's kernel refuses it with an RST. The TCP ending keeps the FIN as
/// how the client ended first and the RST beside it, in every format; the 1006 says what the
/// RST means, after the message that came after the FIN.
#[test]
fn a_fin_then_an_rst_from_the_same_side_keeps_both() {
    let mut s = Session::new(40101, 8080);
    s.open();
    let fin = s.fin(Client);
    let msg = s.send(Server, &text(Server, "tick"));
    let rst = s.rst(Client);
    assert_eq!((fin, msg, rst), (6, 7, 8));
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        (
            c.status.code,
            c.tcp_end(),
            c.tcp_end_by(),
            c.tcp_end_packet()
        ),
        (Some(1006), TcpEndName::Fin, Some(Client), Some(fin))
    );
    assert_eq!(c.tcp_ends.len(), 1, "one side ended: the client");
    let later = c.tcp_ends[0].rst_after_fin.expect("the RST is kept");
    assert_eq!(later.packet, rst);
    assert!(
        c.status.detail.contains(
            "After its FIN (packet 6), the client also reset TCP (RST, packet 8), 0.001 s after the server's 4-byte text message (packet 7), which came after that FIN: a kernel answers with an RST data that reaches a socket its application has closed"
        ),
        "{}",
        c.status.detail
    );
    let ev = c.evidence.as_ref().expect("evidence");
    assert!(
        ev.summary
            .ends_with("; then the client reset TCP (RST, packet 8)"),
        "{}",
        ev.summary
    );
    assert!(ev.packets.contains(&fin) && ev.packets.contains(&rst));
    // What each application saw is what the FIN gave: the RST changes neither.
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1006), Some(1006))
    );

    let json = serde_json::to_value(&r).expect("json");
    let end = &json["connections"][0]["tcp_ends"][0];
    assert_eq!(
        (&end["by"], &end["kind"], &end["packet"]),
        (&"client".into(), &"fin".into(), &fin.into())
    );
    assert_eq!(end["rst_after_fin"]["packet"], rst);
    assert_eq!(json["connections"][0]["tcp_end"], "fin");

    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(
        table.contains("tcp: FIN by client [pkt\u{a0}6], then RST [pkt\u{a0}8]"),
        "{table}"
    );
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(
        md.contains("- **TCP ended:** FIN from the client (packet 6), then RST from the client (packet 8)\n"),
        "{md}"
    );
    assert!(md.contains("    C--)S: pkt 6 +"), "{md}");
    assert!(md.contains("    C-xS: pkt 8 +"), "{md}");
    let csv = wsclose::render::csv::render(&r);
    let mut rows = ::csv::Reader::from_reader(csv.as_bytes());
    let headers = rows.headers().expect("header").clone();
    let row = rows.records().next().expect("a row").expect("read");
    let col = |name: &str| row[headers.iter().position(|h| h == name).expect(name)].to_string();
    assert_eq!(
        (col("tcp_end"), col("tcp_end_by"), col("tcp_rst_after_fin")),
        ("fin".into(), "client".into(), "8".into())
    );
}

/// Without an RST, nothing is added: no `rst_after_fin` in JSON, no "then RST" anywhere.
/// An RST from the other side stays that side's own ending.
#[test]
fn an_rst_from_the_peer_after_a_fin_is_the_peers_ending() {
    let mut s = Session::new(40102, 8080);
    s.open();
    let fin = s.fin(Client);
    let rst = s.rst(Server);
    let r = s.analyze();
    let c = only(&r);
    let ends: Vec<_> = c
        .tcp_ends
        .iter()
        .map(|e| (e.by, e.packet, e.rst_after_fin.is_some()))
        .collect();
    assert_eq!(ends, [(Client, fin, false), (Server, rst, false)]);
    let json = wsclose::render::json::render(&r);
    assert!(!json.contains("rst_after_fin"), "{json}");
    assert!(!c.status.detail.contains("also reset TCP"));
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(!table.contains("then RST"), "{table}");
}

/// A clean close whose closer's kernel then refuses a frame sent after the close: the
/// status stays the close frame's code, and the RST is said.
#[test]
fn an_rst_after_a_clean_close_keeps_the_code() {
    let mut s = Session::new(40103, 8080);
    s.open();
    let first = s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    let fin = s.fin(Client);
    s.send(Server, &text(Server, "late"));
    let rst = s.rst(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(c.close_frames[0].packet, first);
    assert_eq!(c.tcp_ends[0].packet, fin);
    assert_eq!(c.tcp_ends[0].rst_after_fin.map(|r| r.packet), Some(rst));
    assert!(
        c.status.detail.contains(&format!(
            "After its FIN (packet {fin}), the client also reset TCP (RST, packet {rst})"
        )),
        "{}",
        c.status.detail
    );
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1000), Some(1000))
    );
}

/// The quiet spell before the end is told only when no frame came after that end: only each
/// side's last frame is known, so a frame after the FIN hides the last one before it (it
/// read "0.000 s since the last frame"). Without such a frame the spell is measured.
#[test]
fn no_quiet_spell_is_claimed_when_a_frame_came_after_the_end() {
    let mut s = Session::new(40103, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    let fin = s.fin(Client);
    s.send(Server, &text(Server, "late"));
    s.fin(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.tcp_end_packet(), Some(fin));
    assert_eq!(c.idle_before_end_s, None, "a frame came after the FIN");
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(!md.contains("Quiet before the end"), "{md}");

    let mut s = Session::new(40104, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.fin(Client);
    s.fin(Server);
    let r = s.analyze();
    assert!(
        only(&r).idle_before_end_s.is_some(),
        "no frame after the FIN"
    );
}

/// Zero-window probes (RFC 9293 §3.8.6.1) as BSD, macOS and Windows stacks send them: one
/// byte beyond the window, sent again and again as the timer backs off, each answered at
/// once by an ACK that takes nothing and still offers a zero window. The client is alive and
/// reads nothing (a slow reader): no dead path is named. Probes that the client stopped
/// answering (two answers, then four probes and nothing) are still a dead path.
#[test]
fn zero_window_probes_answered_at_once_are_no_dead_path() {
    let probes = |answers: usize| {
        let mut s = Session::new(40105, 8080);
        s.open();
        s.send(Client, &text(Client, "subscribe"));
        s.send(Server, &text(Server, &"x".repeat(100)));
        // The client's buffer is full: it acknowledges everything with a zero window.
        s.window[0] = 0;
        s.ack(Client);
        let next = text(Server, &"y".repeat(100));
        let seq = s.next[1];
        let mut gap_ms = 200;
        let mut sent = Vec::new();
        for i in 0..6 {
            s.clock = wsclose::vocab::Timestamp(s.clock.0 + gap_ms * 1_000_000);
            gap_ms *= 2;
            sent.push(s.emit(Server, 0, seq, &next[..1], None));
            if i < answers {
                s.ack(Client);
            }
        }
        s.rst(Server);
        let r = analyze_timed(s.link, &s.pkts, Default::default());
        (only(&r).clone(), sent)
    };
    let (c, sent) = probes(6);
    let kinds: Vec<&str> = c.status.causes.iter().map(|k| k.kind()).collect();
    assert_eq!(c.status.code, Some(1006));
    assert!(
        !kinds.contains(&"unacknowledged-data"),
        "{kinds:?}: {}",
        c.status.detail
    );
    assert!(!c.status.detail.contains("died"), "{}", c.status.detail);
    // What it was instead: the client's window stayed closed, a slow reader.
    assert!(kinds.contains(&"receive-window-closed"), "{kinds:?}");
    let json = serde_json::to_value(&c).unwrap();
    let closed = json["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "receive-window-closed")
        .unwrap();
    assert_eq!(closed["reader"], "client");
    assert_eq!(closed["first_packet"], sent[0]);
    assert_eq!(closed["last_packet"], sent[5]);
    assert_eq!(closed["probes"], 5);
    assert!(
        c.status.detail.contains("slow or stuck reader"),
        "{}",
        c.status.detail
    );
    // Answered twice, then nothing: the four probes after the last answer are a dead path.
    let (c, sent) = probes(2);
    let kinds: Vec<&str> = c.status.causes.iter().map(|k| k.kind()).collect();
    assert!(kinds.contains(&"unacknowledged-data"), "{kinds:?}");
    assert!(!kinds.contains(&"receive-window-closed"), "{kinds:?}");
    assert!(
        c.status.detail.contains("died")
            && c.status.detail.contains(&format!("(packet {})", sent[0])),
        "{}",
        c.status.detail
    );
}

/// A capture of one direction (a capture filter on `src port`, a tap copying one way):
/// the server closed first with 1000 and the client echoed it. Holding only the client's
/// packets, the report does not say the client closed first or that the server sent no
/// close frame: the status is "Unknown (one direction captured)", the client's own view
/// unknown, the server's the client's 1000, and nothing rests on the unseen direction.
/// Holding only the server's, the server's close stays, and the client's view is unknown;
/// its close came first (the client's data after it: its echo), so its 1000 is the status
/// (issue 82 item 6; before, withheld too).
/// (Before: "1000: client 1000 [...], no close frame from the server".)
#[test]
fn a_capture_of_one_direction_says_so_and_withholds_the_other() {
    let mut s = Session::new(40095, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    let server_close = s.send(Server, &close(Server, 1000, "bye"));
    let echo = s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    let both = s.analyze();
    assert_eq!(only(&both).status.code, Some(1000));
    assert_eq!(closes(only(&both))[0].0, Server);
    for seen in [Client, Server] {
        let kept: Vec<Pkt> = s.pkts.iter().filter(|p| p.from == seen).cloned().collect();
        let r = analyze(s.link, &kept);
        let c = only(&r);
        let json = serde_json::to_value(c).unwrap();
        let kinds: Vec<&str> = json["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds[0], "one-direction", "{seen}: {kinds:?}");
        assert_eq!(json["status"]["causes"][0]["seen"], seen.to_string());
        assert!(
            kinds[1..].iter().all(|k| *k == "close-frame"),
            "{seen}: {kinds:?}"
        );
        match seen {
            Client => {
                assert_eq!(c.status.code, None);
                assert_eq!(c.status.name, "Unknown (one direction captured)");
                assert!(json["status"]["causes"][0]["close_packet"].is_null());
            }
            Server => {
                assert_eq!(c.status.code, Some(1000));
                assert_eq!(json["status"]["causes"][0]["close_packet"], 3);
                assert_eq!(json["close_handshake"]["reply_may_be_missing"], true);
            }
        }
        assert!(!*c.decoded_to_end.of(seen.peer()), "{seen}");
        assert!(c.not_captured(seen.peer()) && !c.not_captured(seen));
        // The seen side's own view rests on what the other sent: unknown.
        assert_eq!(json["seen_by"][seen.to_string()], serde_json::Value::Null);
        // The unseen side received the seen side's close.
        assert_eq!(json["seen_by"][seen.peer().to_string()], 1000);
        let frames: Vec<Role> = closes(c).iter().map(|f| f.0).collect();
        assert_eq!(frames, vec![seen]);
        let _ = (server_close, echo);
    }
    // Nothing of the server's but its SYN/ACK, not captured: the client's acknowledgements
    // never moved past it, so nothing shows the server sent more (a server that never
    // answered the upgrade, a connection cut short): no capture of one direction is said.
    let mut silent = Session::new(40096, 8080);
    silent.handshake();
    silent.send(Client, &request());
    silent.fin(Client);
    let kept: Vec<Pkt> = silent
        .pkts
        .iter()
        .filter(|p| p.from == Client)
        .cloned()
        .collect();
    let r = analyze(silent.link, &kept);
    let causes = serde_json::to_value(&only(&r).status.causes).unwrap();
    assert!(
        causes
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kind"] != "one-direction"),
        "{causes}"
    );
}

/// A pcapng whose Interface Statistics Block says packets were lost before they were
/// written (`isb_ifdrop`, `isb_osdrop`: a live capture that dropped packets, as `wsclose
/// live -w` saves it): a connection still open at its end may have closed in what was lost,
/// so its status is "Unknown (packets dropped)" (status key `unknown`, cause
/// `packets-dropped`), not "Open"; one whose close is in the capture keeps its code; the
/// input says how many were lost. Without a count, or with counts of 0, it is "Open".
#[test]
fn dropped_packets_a_pcapng_counts_make_an_open_connection_unknown() {
    use wsclose::__internals::capture::write::PcapNgWriter;
    use wsclose::vocab::Timestamp;
    let mut open = Session::new(40000, 80);
    open.open();
    open.send(Client, &text(Client, "hi"));
    let mut closed = Session::new(40001, 80);
    closed.open();
    closed.send(Server, &close(Server, 1000, ""));
    closed.send(Client, &close(Client, 1000, ""));
    closed.fins(Server);
    let pkts: Vec<&Pkt> = open.pkts.iter().chain(&closed.pkts).collect();
    let time = |i: usize| Timestamp(T0.0 + i as i64 * 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    // Interface Statistics Blocks (interface, isb_ifdrop, isb_osdrop), and the drops said.
    type Isb = (u32, Option<u64>, Option<u64>);
    let cases: [(&[Isb], u64); 6] = [
        (&[], 0),
        (&[(0, Some(0), Some(0))], 0),
        (&[(0, Some(2), None)], 2),
        (&[(0, None, Some(5))], 5),
        // Counts are totals since the capture began: the highest block of an interface
        // counts (a later smaller one, a counter reset, hides nothing).
        (&[(0, Some(1), Some(1)), (0, Some(1), Some(3))], 4),
        (&[(0, None, Some(1)), (0, Some(0), Some(0))], 1),
    ];
    for (n, (blocks, dropped)) in cases.iter().enumerate() {
        let mut w = PcapNgWriter::new(Vec::new(), LinkType::RAW, 262_144, None).unwrap();
        for (i, p) in pkts.iter().enumerate() {
            w.packet(time(i), &p.data, p.orig_len).unwrap();
        }
        for &(iface, ifdrop, osdrop) in blocks.iter() {
            w.statistics(iface, time(pkts.len()), ifdrop, osdrop)
                .unwrap();
        }
        let path = dir.path().join(format!("drops-{n}.pcapng"));
        std::fs::write(&path, w.into_inner()).unwrap();
        let report =
            wsclose::analyze_files(&[path], wsclose::__internals::analyzer::Options::default())
                .unwrap();
        let by_port = |port: u16| {
            report
                .connections
                .iter()
                .find(|c| c.endpoints.0.port == port)
                .unwrap()
        };
        let (o, c) = (by_port(40000), by_port(40001));
        assert_eq!(c.status.code, Some(1000), "case {n}");
        let said = report.inputs[0]
            .warnings
            .iter()
            .any(|w| w.contains("dropped") && w.contains(&format!("{dropped} packets")));
        if *dropped == 0 {
            assert_eq!(o.status.name, "Open", "case {n}");
            assert_eq!(o.status_key(), "open", "case {n}");
            assert!(!said, "case {n}: {:?}", report.inputs[0].warnings);
        } else {
            assert_eq!(o.status.name, "Unknown (packets dropped)", "case {n}");
            assert_eq!(o.status.code, None, "case {n}");
            assert_eq!(o.status_key(), "unknown", "case {n}");
            assert_eq!(o.status.causes[0].kind(), "packets-dropped", "case {n}");
            assert!(said, "case {n}: {:?}", report.inputs[0].warnings);
            let json = serde_json::to_value(o).unwrap();
            assert_eq!(json["status"]["causes"][0]["dropped"], *dropped, "case {n}");
        }
    }
}

/// A 101 whose Sec-WebSocket-Accept does not answer the key, and the client ending TCP
/// without a frame: a conforming client failed the connection there (RFC 6455 §4.1), so the
/// mismatch is the cause, said first, with the handshake's fix; the status stays 1006. A
/// client that went on sending frames did not fail it: the mismatch is then a finding only.
#[test]
fn a_wrong_accept_that_the_client_fails_on_is_the_cause() {
    let wrong = String::from_utf8(response(false)).unwrap().replace(
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
    let run = |client_frame: bool| {
        let mut s = Session::new(40095, 8080);
        s.handshake();
        s.send(Client, &request());
        let answer = s.send(Server, wrong.as_bytes());
        if client_frame {
            s.send(Client, &text(Client, "hello anyway"));
        }
        s.fins(Client);
        (answer, s.analyze())
    };
    let (answer, r) = run(false);
    let c = only(&r);
    assert_eq!(c.handshake.accept_valid, Some(false));
    assert_eq!(c.status.code, Some(1006));
    let kinds: Vec<&str> = c.status.causes.iter().map(|k| k.kind()).collect();
    assert_eq!(kinds.first(), Some(&"accept-mismatch"), "{kinds:?}");
    assert!(kinds.contains(&"no-close-frame"), "{kinds:?}");
    assert!(
        matches!(c.status.causes[0], wsclose::report::Cause::AcceptMismatch { packet } if packet == answer)
    );
    assert!(
        c.status.detail.starts_with("The server's 101"),
        "{}",
        c.status.detail
    );
    assert!(
        c.status.fix.contains("Sec-WebSocket-Accept"),
        "{}",
        c.status.fix
    );
    let ev = c.evidence.as_ref().unwrap();
    assert!(
        ev.summary.contains("Sec-WebSocket-Accept"),
        "{}",
        ev.summary
    );
    assert!(ev.packets.contains(&answer));

    let (_, r) = run(true);
    let c = only(&r);
    assert_eq!(c.handshake.accept_valid, Some(false));
    assert!(
        c.status
            .causes
            .iter()
            .all(|k| k.kind() != "accept-mismatch"),
        "{:?}",
        c.status.causes
    );
    assert!(findings(c).iter().any(|f| f.0 == Kind::AcceptMismatch));
}

/// A 101 naming a subprotocol the request did not offer: a client that ends TCP without a
/// frame failed the connection on it (RFC 6455 §4.1), so it is the cause; one that offered
/// it, or that went on sending frames, did not, and there is no such cause.
#[test]
fn a_subprotocol_not_offered_is_the_cause_only_when_the_client_fails_on_it() {
    let answer = String::from_utf8(response(false))
        .unwrap()
        .replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
    let run = |offer: bool, client_frame: bool| {
        let mut s = Session::new(40096, 8080);
        s.handshake();
        let req = String::from_utf8(request()).unwrap();
        let req = if offer {
            req.replace(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n",
            )
        } else {
            req
        };
        s.send(Client, req.as_bytes());
        let packet = s.send(Server, answer.as_bytes());
        if client_frame {
            s.send(Client, &text(Client, "hello anyway"));
        }
        s.fins(Client);
        (packet, s.analyze())
    };
    let kinds = |r: &wsclose::report::Report| -> Vec<&'static str> {
        only(r).status.causes.iter().map(|k| k.kind()).collect()
    };
    let (packet, r) = run(false, false);
    let c = only(&r);
    assert_eq!(c.status.code, Some(1006));
    assert!(
        matches!(
            c.status.causes[0],
            wsclose::report::Cause::HandshakeFault {
                fault: wsclose::vocab::ResponseFault::ProtocolNotOffered,
                packet: p,
            } if p == packet
        ),
        "{:?}",
        c.status.causes
    );
    assert!(
        c.status.detail.starts_with("The server's 101"),
        "{}",
        c.status.detail
    );
    assert!(findings(c).iter().any(|f| f.0 == Kind::HandshakeInvalid));
    let (_, r) = run(true, false);
    assert!(!kinds(&r).contains(&"handshake-fault"), "{:?}", kinds(&r));
    assert!(!findings(only(&r))
        .iter()
        .any(|f| f.0 == Kind::HandshakeInvalid));
    let (_, r) = run(false, true);
    assert!(!kinds(&r).contains(&"handshake-fault"), "{:?}", kinds(&r));
    assert!(findings(only(&r))
        .iter()
        .any(|f| f.0 == Kind::HandshakeInvalid));
}

/// The broken 101 split across two segments is read whole: the cause names the packet that
/// completed it. Its second segment lost from the capture: the 101 is not read, and no
/// handshake fault is made up (the ending says what the capture shows).
#[test]
fn a_broken_101_split_or_cut_by_a_lost_segment() {
    let answer = String::from_utf8(response(false))
        .unwrap()
        .replace("Upgrade: websocket\r\n", "");
    let cut = answer.len() / 2;
    let mut s = Session::new(40097, 8080);
    s.handshake();
    s.send(Client, &request());
    let packets = s.send_split(Server, answer.as_bytes(), &[cut]);
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert!(
        matches!(
            c.status.causes[0],
            wsclose::report::Cause::HandshakeFault {
                fault: wsclose::vocab::ResponseFault::UpgradeNotWebsocket,
                packet,
            } if Some(&packet) == packets.last()
        ),
        "{packets:?} {:?}",
        c.status.causes
    );

    let mut s = Session::new(40098, 8080);
    s.handshake();
    s.send(Client, &request());
    s.send(Server, &answer.as_bytes()[..cut]);
    s.lose(Server, &answer.as_bytes()[cut..]);
    s.fins(Client);
    let r = s.analyze();
    for c in &r.connections {
        assert!(
            c.status
                .causes
                .iter()
                .all(|k| k.kind() != "handshake-fault"),
            "{:?}",
            c.status.causes
        );
    }
}
