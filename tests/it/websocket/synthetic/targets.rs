//! Request targets and header bytes the report must cope with: an absolute-form target under
//! `--redact`, and a control byte in a header line.

use super::*;

/// Every format of `r` (table, Markdown, JSON, CSV), named.
fn every_format(r: &Report) -> [(&'static str, String); 4] {
    [
        ("table", wsclose::render::table::render(r, Some(200), false)),
        ("markdown", wsclose::render::markdown::render(r, &[None])),
        ("json", wsclose::render::json::render(r)),
        ("csv", wsclose::render::csv::render(r)),
    ]
}

/// A request target in the absolute form (RFC 9112 §3.2.2) names a host as the Host header
/// does: `--redact` gives it the Host header's pseudonym (port kept) and drops its query,
/// in every format.
#[test]
fn redact_names_the_host_of_an_absolute_form_target() {
    let mut s = Session::new(40105, 8080);
    s.handshake();
    let request = b"GET ws://leaky.internal.corp:8080/chat?token=s3cret HTTP/1.1\r\n\
        Host: leaky.internal.corp:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    s.send(Client, request);
    s.send(Server, &response(false));
    s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    let mut r = s.analyze();
    assert_eq!(
        only(&r).handshake.path.as_deref(),
        Some("ws://leaky.internal.corp:8080/chat?token=s3cret")
    );
    wsclose::report::redact::redact(&mut r);
    let h = &only(&r).handshake;
    let host = h.host.as_deref().unwrap();
    let name = host.strip_suffix(":8080").unwrap();
    assert!(name.starts_with("host-"), "{host}");
    assert_eq!(
        h.path.as_deref(),
        Some(format!("ws://{name}:8080/chat?[redacted]").as_str())
    );
    for (format, out) in every_format(&r) {
        assert!(!out.contains("leaky"), "{format}:\n{out}");
        assert!(!out.contains("s3cret"), "{format}:\n{out}");
    }
}

/// The upgrade of [`request`] and [`response`] with `X-Evil: a<ESC>b` added to the
/// request, the response or both.
fn with_evil_header(msg: Vec<u8>, evil: bool) -> Vec<u8> {
    if !evil {
        return msg;
    }
    let mut m = msg[..msg.len() - 2].to_vec();
    m.extend_from_slice(b"X-Evil: a\x1bb\r\n\r\n");
    m
}

/// A control byte in a header value (RFC 9110 §5.5 allows none but HTAB; httparse refuses
/// it) hides no WebSocket: on the request, the response or both, the handshake is read
/// leniently, a `handshake-invalid` finding names the header, the byte and the packet, and
/// the session is decoded to its close frames.
#[test]
fn a_control_byte_in_a_header_is_reported_not_fatal() {
    for (in_request, in_response) in [(true, true), (true, false), (false, true)] {
        let what = format!("request {in_request}, response {in_response}");
        let mut s = Session::new(40106, 8080);
        s.handshake();
        let req = s.send(Client, &with_evil_header(request(), in_request));
        let resp = s.send(Server, &with_evil_header(response(false), in_response));
        let server_close = s.send(Server, &close(Server, 4000, "bye"));
        let client_close = s.send(Client, &close(Client, 4000, "bye"));
        s.fins(Server);
        let r = s.analyze();
        assert_eq!(r.connections.len(), 1, "{what}: {:#?}", r.seen);
        let c = only(&r);
        assert_eq!(c.handshake.host.as_deref(), Some("example.test"), "{what}");
        assert_eq!(c.handshake.path.as_deref(), Some("/chat"), "{what}");
        assert_eq!(c.handshake.status, Some(101), "{what}");
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 4000, "bye", server_close),
                cl(Client, 4000, "bye", client_close)
            ],
            "{what}"
        );
        let mut want = Vec::new();
        if in_request {
            want.push((Kind::HandshakeInvalid, Some(Client), Some(req)));
        }
        if in_response {
            want.push((Kind::HandshakeInvalid, Some(Server), Some(resp)));
        }
        assert_eq!(findings(c), want, "{what}: {:#?}", c.findings);
        for f in &c.findings {
            assert!(
                f.detail.contains("X-Evil") && f.detail.contains("0x1b"),
                "{what}: {}",
                f.detail
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The timeline's frame log
// ---------------------------------------------------------------------------------------

/// A timeline whose frame log (`Options::frame_log` each way; `--timeline` keeps 100 000)
/// lost its earlier frames says so in every format that shows it: the table and Markdown
/// in a line, JSON in `timeline_frames_left_out` (0 when nothing was lost).
#[test]
fn a_timeline_that_lost_frames_says_how_many() {
    let mut s = Session::new(40107, 8080);
    s.open();
    for i in 0..10 {
        s.send(Server, &text(Server, &format!("m{i}")));
    }
    s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    for (log, lost) in [(4u64, 7u64), (100, 0)] {
        let opts = wsclose::__internals::analyzer::Options {
            frame_log: log as usize,
            previews: true,
            ..wsclose::__internals::analyzer::Options::default()
        };
        let r = analyze_timed(s.link, &s.pkts, opts);
        let c = only(&r);
        assert_eq!(c.timeline.as_ref().map(Vec::len), Some(12 - lost as usize));
        assert_eq!(c.timeline_frames_left_out(), Some(lost));
        let [(_, table), (_, md), (_, json), _] = every_format(&r);
        let said = format!("({lost} earlier frames fell out of the frame log and are not listed)");
        assert_eq!(table.contains(&said), lost > 0, "{table}");
        assert_eq!(md.contains(&said), lost > 0, "{md}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["connections"][0]["timeline_frames_left_out"], lost);
    }
    // Without a timeline, no such field.
    let v: serde_json::Value =
        serde_json::from_str(&wsclose::render::json::render(&s.analyze())).unwrap();
    assert!(v["connections"][0]
        .get("timeline_frames_left_out")
        .is_none());
}

/// A close reason naming URLs and an address (`http://…`, `www.…`, `user@host`): GitHub and
/// GitLab turn such bare text into links in a ticket, so the Markdown report breaks each
/// with a backslash escape (`http\://`, `www\.`, `\@`), which renders as the same text and
/// links nowhere; no bare form is left anywhere in the Markdown.
#[test]
fn markdown_leaves_no_autolink_in_wire_text() {
    let mut s = Session::new(40140, 8080);
    s.open();
    let reason = "go to https://evil.example/login or www.evil.example, mail root@evil.example";
    s.send(Server, &close(Server, 4000, reason));
    s.send(Client, &close(Client, 4000, "ok"));
    s.fins(Server);
    let r = s.analyze();
    let md = wsclose::render::markdown::render(&r, &[None]);
    for bare in ["https://evil", "www.evil", "root@evil"] {
        assert!(!md.contains(bare), "{bare} in {md}");
    }
    for broken in [
        "https\\://evil.example/login",
        "www\\.evil.example",
        "root\\@evil.example",
    ] {
        assert!(md.contains(broken), "{broken} not in {md}");
    }
}

/// An application session on `port` whose subprotocol is `proto`, ended by the server's
/// text message `last` and a close.
fn app_session(port: u16, proto: &str, last: &str) -> Report {
    let mut s = Session::new(port, 8080);
    s.handshake();
    let request = format!(
        "GET /cable HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {proto}\r\n\r\n"
    );
    s.send(Client, request.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: {proto}\r\n\r\n"
    );
    s.send(Server, response.as_bytes());
    s.send(Server, &text(Server, last));
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    s.analyze()
}

/// `--redact` leaves out the peer's words where an application's cause is made of them (an
/// Action Cable disconnect reason, an OCPP CALLERROR code, a WAMP reason), in every format
/// and in the status's causes; the message they came in is still named.
#[test]
fn redact_leaves_out_application_wire_text_used_as_the_cause() {
    let secret = "banned user alice.smith@corp.example";
    for (port, proto, last, kind) in [
        (
            40150,
            "actioncable-v1-json",
            serde_json::json!({"type": "disconnect", "reason": secret}).to_string(),
            "disconnect",
        ),
        (
            40151,
            "ocpp1.6",
            serde_json::json!([4, "1", secret, "details", {}]).to_string(),
            "CALLERROR",
        ),
        (
            40152,
            "wamp.2.json",
            serde_json::json!([6, {}, secret]).to_string(),
            "GOODBYE",
        ),
    ] {
        let mut r = app_session(port, proto, &last);
        let app = only(&r).application.as_ref().unwrap();
        assert!(app.cause.as_deref().unwrap().contains("alice"), "{proto}");
        wsclose::report::redact::redact(&mut r);
        let c = only(&r);
        let want = format!("{kind} \"[redacted]\"");
        assert_eq!(
            c.application.as_ref().unwrap().cause.as_deref(),
            Some(want.as_str())
        );
        let json = serde_json::to_string(&c.status.causes).unwrap();
        assert!(json.contains(&want.replace('"', "\\\"")), "{proto}: {json}");
        let html = wsclose::render::html::render(&r, &[None]);
        for (format, out) in every_format(&r).into_iter().chain([("html", html)]) {
            assert!(!out.contains("alice"), "{proto}, {format}:\n{out}");
        }
    }
}
