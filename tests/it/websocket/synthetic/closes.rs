//! Scenarios 7-8: close frames with problems (RFC 6455 §5.5.1, §7.1.5, §7.4) and the status
//! rules: which code a connection ended with, inferred (1005, 1006) or none.

use super::*;
use wsclose::vocab::Problem;
use wsclose::vocab::TcpEndName;

/// The client closes with `payload` (packet 6), the server answers 1002 (packet 7).
fn bad_close(port: u16, payload: &[u8]) -> Report {
    let mut s = Session::new(port, 8080);
    s.open();
    assert_eq!(s.send(Client, &close_raw(Client, payload)), 6);
    s.send(Server, &close(Server, 1002, ""));
    s.fins(Server);
    s.analyze()
}

#[test]
fn one_byte_close_payload_has_no_code() {
    let r = bad_close(40040, &[0x03]);
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!((f.from, f.code, f.packet), (Client, None, 6));
    assert_eq!(f.problems, vec![Problem::OneBytePayload]);
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Client), Some(6))]
    );
    // A close frame that breaks the rules sets no status (no code is made up from the
    // single byte either): the server refused it and failed the connection with 1002.
    assert_eq!((c.status.code, c.status.inferred), (Some(1002), false));
}

#[test]
fn code_1005_on_the_wire_is_never_sent() {
    let r = bad_close(40041, &close_payload(1005, ""));
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!(f.code, Some(1005));
    assert_eq!(f.problems, vec![Problem::CodeNeverSent]);
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Client), Some(6))]
    );
    // 1005 may never be sent: the server refused that frame and failed with 1002.
    assert_eq!((c.status.code, c.status.inferred), (Some(1002), false));
}

#[test]
fn codes_999_and_5000_are_invalid() {
    for (port, code) in [(40042, 999), (40043, 5000)] {
        let r = bad_close(port, &close_payload(code, "odd"));
        let c = only(&r);
        let f = &c.close_frames[0];
        assert_eq!((f.code, f.reason.as_str()), (Some(code), "odd"));
        assert_eq!(f.problems, vec![Problem::CodeInvalid], "code {code}");
        assert_eq!(
            findings(c),
            vec![(Kind::MalformedClose, Some(Client), Some(6))]
        );
    }
}

#[test]
fn close_reason_not_utf8() {
    let mut payload = close_payload(1000, "ok");
    payload.extend_from_slice(&[0xFF, 0xFE]);
    let r = bad_close(40044, &payload);
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!(f.code, Some(1000));
    assert_eq!(f.problems, vec![Problem::ReasonNotUtf8]);
    assert_eq!(f.reason, "ok\u{FFFD}\u{FFFD}");
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Client), Some(6))]
    );
}

#[test]
fn text_frame_after_close_is_a_finding() {
    let mut s = Session::new(40045, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, "done"));
    s.send(Client, &text(Client, "one more thing"));
    s.send(Server, &close(Server, 1000, "done"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::FrameAfterClose, Some(Client), Some(7))]
    );
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "done", 6), cl(Server, 1000, "done", 8)]
    );
    assert_eq!(c.status.code, Some(1000));
}

#[test]
fn oversized_close_fully_captured_is_too_long_not_truncated() {
    let mut s = Session::new(40046, 8080);
    s.open();
    let reason = "too long ".repeat(560);
    let pkts = s.send_chunks(Server, &close(Server, 1000, &reason), 1400);
    s.send(Client, &close(Client, 1002, ""));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![
            (Kind::ControlFrameTooLong, Some(Server), Some(pkts[0])),
            (
                Kind::MalformedClose,
                Some(Server),
                Some(*pkts.last().unwrap())
            )
        ]
    );
    assert_eq!(c.tcp.server.gaps, 0);
    // Every byte is in the capture: the only problem is the sender's.
    assert_eq!(c.close_frames[0].problems, vec![Problem::TooLong]);
}

/// A close frame that breaks the rules, then TCP ends with no other close: the receiver
/// could not accept it, so the status is 1006, and the report says a close frame was sent
/// (not "no close frame"), with its packet in the evidence.
#[test]
fn refused_close_then_fin_is_1006_with_the_refused_frame_as_evidence() {
    let mut s = Session::new(40047, 8080);
    s.open();
    let reason = "C".repeat(200);
    let close_pkt = s.send(Server, &close(Server, 1000, &reason));
    let fin = s.fin(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.close_frames[0].problems, vec![Problem::TooLong]);
    assert_eq!(c.status.code, Some(1006));
    assert!(
        c.status
            .detail
            .starts_with("No valid close frame was sent before the client closed TCP with a FIN"),
        "{}",
        c.status.detail
    );
    assert!(c.status.detail.contains(&format!(
        "The server's close frame at packet {close_pkt} was not a valid close (too-long)"
    )));
    let e = c.evidence.as_ref().unwrap();
    assert_eq!(e.packets, vec![close_pkt, fin]);
    assert!(e.summary.starts_with(&format!(
        "the server's close frame (packet {close_pkt}) could not be accepted (too-long); then the client closed TCP"
    )));
    // The table shows the start of the 202-byte reason and its length, not all of it.
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(
        table.contains(&format!("\"{}\u{2026}\"", "C".repeat(80))),
        "{table}"
    );
    assert!(table.contains("(200 bytes)"), "{table}");
    assert!(!table.contains(&"C".repeat(81)));
}

// ---------------------------------------------------------------------------------------
// 8: status rules
// ---------------------------------------------------------------------------------------

#[test]
fn empty_close_from_the_client_is_1005_inferred() {
    let mut s = Session::new(40050, 8080);
    s.open();
    s.send(Client, &close_raw(Client, &[]));
    s.send(Server, &close_raw(Server, &[]));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            (Client, None, String::new(), 6),
            (Server, None, String::new(), 7)
        ]
    );
    assert_eq!((c.status.code, c.status.inferred), (Some(1005), true));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1005), Some(1005))
    );
    assert_eq!(findings(c), vec![]);
}

#[test]
fn server_rst_without_close_is_1006() {
    let mut s = Session::new(40051, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    let rst = s.rst(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![]);
    assert_eq!((c.status.code, c.status.inferred), (Some(1006), true));
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by()),
        (TcpEndName::Rst, Some(Server))
    );
    assert_eq!(c.tcp_end_packet(), Some(rst));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1006), Some(1006))
    );
}

#[test]
fn server_fin_before_the_clients_close_is_1006() {
    let mut s = Session::new(40052, 8080);
    s.open();
    let fin = s.fin(Server);
    let late = s.send(Client, &close(Client, 1000, "late"));
    s.fin(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![cl(Client, 1000, "late", late)]);
    assert_eq!((c.status.code, c.status.inferred), (Some(1006), true));
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
        (TcpEndName::Fin, Some(Server), Some(fin))
    );
    assert_eq!(c.seen_by.client, Some(1006));
}

#[test]
fn close_and_fin_in_one_segment_is_the_close_code() {
    let mut s = Session::new(40053, 8080);
    s.open();
    let p = s.send_fin(Server, &close(Server, 1011, "oops"));
    let reply = s.send(Client, &close(Client, 1011, "oops"));
    s.fin(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1011, "oops", p), cl(Client, 1011, "oops", reply)]
    );
    assert_eq!((c.status.code, c.status.inferred), (Some(1011), false));
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
        (TcpEndName::Fin, Some(Server), Some(p))
    );
    assert_eq!(c.seen_by.client, Some(1011));
}

#[test]
fn capture_ending_open_has_no_status() {
    let mut s = Session::new(40054, 8080);
    s.open();
    s.send(Client, &text(Client, "still here"));
    s.send(Server, &text(Server, "me too"));
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![]);
    assert_eq!(c.status.code, None);
    assert_eq!(c.status.name, "Open");
    assert_eq!((c.tcp_end(), c.tcp_end_by()), (TcpEndName::Open, None));
    assert_eq!((c.seen_by.client, c.seen_by.server), (None, None));
    assert_eq!(r.summary.by_status.get("open"), Some(&1));
}

/// A 1000 whose reply is no valid close frame (lighttpd's mod_wstunnel answers with the text
/// "1000" as the payload, read as code 12592): the client's library gets 1006, so the
/// connection is a problem (`--problems` keeps it) and the table does not call it a clean
/// close with nothing to fix (issue 60).
#[test]
fn a_clean_code_whose_reply_is_invalid_is_no_clean_close() {
    let mut s = Session::new(40999, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, ""));
    s.send(Server, &close_raw(Server, b"1000"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(c.seen_by.client, Some(1006));
    assert!(wsclose::report::filter::is_problem(c));
    let table = brief(&r);
    assert!(!table.contains("clean closes, nothing to fix"), "{table}");
    // The same session with a valid reply is clean.
    let mut s = Session::new(40998, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, ""));
    s.send(Server, &close(Server, 1000, ""));
    s.fins(Server);
    let r = s.analyze();
    assert!(!wsclose::report::filter::is_problem(only(&r)));
    let table = brief(&r);
    assert!(table.contains("clean closes, nothing to fix"), "{table}");
}

/// The table `wsclose analyze` prints by default, with its notes.
fn brief(r: &Report) -> String {
    let mut out = Vec::new();
    wsclose::render::table::write_detail(
        r,
        Some(200),
        false,
        wsclose::render::table::Detail::Brief,
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// A close reason's words name their kind of cause when the code leaves the why to them
/// (issue 68, item 2): 1000 "ping timed out" is a keepalive timeout, not a clean close; a
/// code that says the why (1011) decides before the words; "normal" names nothing.
#[test]
fn a_close_reasons_words_name_its_cause() {
    let kinds = |code: u16, reason: &str| {
        let mut s = Session::new(40310, 8080);
        s.open();
        s.send(Server, &close(Server, code, reason));
        s.send(Client, &close(Client, code, reason));
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        let json = serde_json::to_value(&c.status).unwrap();
        let words: Vec<String> = json["causes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["kind"] == "reason-words")
            .map(|k| k["names"].as_str().unwrap().to_string())
            .collect();
        let problem = wsclose::report::filter::is_problem(c);
        (
            words,
            problem,
            c.status.detail.clone(),
            c.status.fix.to_string(),
        )
    };
    let (words, problem, detail, fix) = kinds(1000, "ping timed out");
    assert_eq!(words, ["keepalive-timeout"]);
    assert!(problem);
    assert!(
        detail.contains("\"ping timed out\", name a keepalive timeout"),
        "{detail}"
    );
    assert!(
        fix.contains("did not answer the server's heartbeat"),
        "{fix}"
    );
    let (words, problem, ..) = kinds(4001, "JWT expired");
    assert_eq!((words, problem), (vec!["credentials".to_string()], true));
    let (words, problem, ..) = kinds(1001, "shutting down");
    assert_eq!((words, problem), (vec!["shutdown".to_string()], false));
    let (words, ..) = kinds(1011, "ping timed out");
    assert!(words.is_empty());
    let (words, problem, ..) = kinds(1000, "normal");
    assert_eq!((words.len(), problem), (0, false));
}

/// A refused upgrade whose body is chunked (RFC 9112 §7.1) quotes its content, not its
/// chunk sizes, as a CONNECT's refusal does (before: "7 no auth 0").
#[test]
fn a_chunked_refusal_body_is_read_by_its_framing() {
    let mut s = Session::new(40320, 8080);
    s.handshake();
    s.send(Client, &request());
    s.send(
        Server,
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nno auth\r\n5;x=1\r\n here\r\n0\r\n\r\n",
    );
    s.fins(Server);
    let r = s.analyze();
    let json = serde_json::to_value(&only(&r).status.causes).unwrap();
    assert_eq!(json[0]["kind"], "upgrade-refused", "{json}");
    assert_eq!(json[0]["body"], "no auth here", "{json}");
}
