//! The stack's tests: which layers a connection's first bytes plug in, HTTP/1.1's upgrade to a
//! session, and the switch to HTTP/2 at a `101` to `Upgrade: h2c`.

use super::*;
use crate::flow::Transport;
use crate::vocab::{Kind, Timestamp};

/// The details of the stack's "HTTP/2 stream lost" findings.
fn h2_lost(st: &Stack) -> Vec<&str> {
    st.ctx
        .findings
        .items
        .iter()
        .filter(|f| f.kind == Kind::H2Lost)
        .map(|f| f.detail.as_str())
        .collect()
}

fn data(bytes: &[u8], packet: u64) -> Event<'_> {
    Event::Data {
        offset: 0,
        bytes,
        packet,
        ts: Timestamp(packet as i64),
    }
}

const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const SWITCH: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

#[test]
fn an_upgrade_is_one_plaintext_session_with_both_decoders() {
    let mut st = Stack::default();
    st.on_event(Side::B, data(UPGRADE, 4), &KeyLog::new());
    st.on_event(Side::A, data(SWITCH, 6), &KeyLog::new());
    assert_eq!(st.ctx.client, Some(Side::B));
    let sessions: Vec<&Session> = st.sessions().collect();
    assert_eq!(sessions.len(), 1);
    let w = sessions[0];
    assert_eq!(w.transport, Transport::default());
    assert_eq!(w.handshake.path.as_deref(), Some("/chat"));
    assert_eq!(w.handshake.accept_valid(), Some(true));
    assert!(w.decoder(Side::A).is_some() && w.decoder(Side::B).is_some());
    assert!(!st.ignored());
}

/// A request head of 60 KiB (a long cookie) sent one byte per segment, then the response
/// one byte per segment: each head is parsed when a line ends, not on every byte (65 536
/// parses from the start of the head made it quadratic), and the session is the same.
#[test]
fn a_head_one_byte_per_segment_is_parsed_once_per_line() {
    use super::http1::parse::PARSED;
    let cookie = format!("Cookie: c={}\r\n", "x".repeat(60_000));
    let mut request = UPGRADE.to_vec();
    let at = request.len() - 2;
    request.splice(at..at, cookie.bytes());
    let mut st = Stack::default();
    PARSED.with(|n| n.set(0));
    for (i, b) in request.iter().enumerate() {
        st.on_event(
            Side::B,
            data(std::slice::from_ref(b), 4 + i as u64),
            &KeyLog::new(),
        );
    }
    for (i, b) in SWITCH.iter().enumerate() {
        st.on_event(
            Side::A,
            data(std::slice::from_ref(b), 70_000 + i as u64),
            &KeyLog::new(),
        );
    }
    let lines = (request
        .iter()
        .chain(SWITCH)
        .filter(|&&b| b == b'\n')
        .count()) as u64;
    let parsed = PARSED.with(std::cell::Cell::get);
    assert!(parsed <= lines + 2, "{parsed} parses for {lines} lines");
    let sessions: Vec<&Session> = st.sessions().collect();
    assert_eq!(sessions.len(), 1);
    let w = sessions[0];
    assert_eq!(w.handshake.path.as_deref(), Some("/chat"));
    assert_eq!(w.handshake.accept_valid(), Some(true));
    assert!(w.decoder(Side::A).is_some() && w.decoder(Side::B).is_some());
}

#[test]
fn plain_http_carries_no_session_and_is_ignored() {
    let mut st = Stack::default();
    st.on_event(
        Side::A,
        data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 4),
        &KeyLog::new(),
    );
    st.on_event(
        Side::B,
        data(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 6),
        &KeyLog::new(),
    );
    assert_eq!(st.sessions().count(), 0);
    assert!(st.ignored());
}

/// One HTTP/2 frame (RFC 9113 §4.1).
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.extend([kind, flags]);
    v.extend(stream.to_be_bytes());
    v.extend(payload);
    v
}

/// A HEADERS frame (END_HEADERS, END_STREAM if `end`) whose block holds `fields` as
/// literals without indexing, new names, no Huffman (RFC 7541 §6.2.2).
fn headers(stream: u32, end: bool, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut block = Vec::new();
    for (n, v) in fields {
        block.push(0);
        for s in [n, v] {
            block.push(s.len() as u8);
            block.extend(s.as_bytes());
        }
    }
    frame(1, 0x4 | u8::from(end), stream, &block)
}

/// A SETTINGS frame with these (id, value) pairs.
fn settings(params: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in params {
        p.extend(id.to_be_bytes());
        p.extend(v.to_be_bytes());
    }
    frame(4, 0, 0, &p)
}

/// The base64url `HTTP2-Settings` value of a SETTINGS payload.
fn h2_settings_field(params: &[(u16, u32)]) -> String {
    use base64::Engine;
    let f = settings(params);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&f[9..])
}

fn h2c_request(method: &str, extra: &str) -> Vec<u8> {
    format!(
        "{method} / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: {}\r\n{extra}\r\n",
        h2_settings_field(&[(3, 100)])
    )
    .into_bytes()
}

const H2C_101: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

/// The server's bytes after its 101: SETTINGS with ENABLE_CONNECT_PROTOCOL, the answer
/// to the upgraded request on stream 1.
fn h2c_server_start() -> Vec<u8> {
    let mut v = settings(&[(8, 1)]);
    v.extend(headers(1, false, &[(":status", "200")]));
    v.extend(frame(0, 1, 1, b"hello"));
    v
}

/// The client's bytes after the 101: preface, SETTINGS, an extended CONNECT on stream 3.
fn h2c_client_start() -> Vec<u8> {
    let mut v = h2::PREFACE.to_vec();
    v.extend(settings(&[]));
    v.extend(headers(
        3,
        false,
        &[
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", "/chat"),
            (":authority", "h"),
            ("sec-websocket-version", "13"),
        ],
    ));
    v
}

/// A masked close frame 1000 "bye" (RFC 6455 §5.5.1), mask 0.
const CLOSE_1000: &[u8] = b"\x88\x85\0\0\0\0\x03\xe8bye";

#[test]
fn an_h2c_upgrade_switches_to_http2_at_the_101() {
    let keys = KeyLog::new();
    let mut st = Stack::default();
    st.on_event(Side::A, data(&h2c_request("GET", ""), 4), &keys);
    let mut answer = H2C_101.to_vec();
    answer.extend(h2c_server_start());
    st.on_event(Side::B, data(&answer, 6), &keys);
    assert!(matches!(st.top, Top::H2(_)), "switched at the 101");
    assert!(!st.ignored());
    st.on_event(Side::A, data(&h2c_client_start(), 8), &keys);
    st.on_event(
        Side::B,
        data(&headers(3, false, &[(":status", "200")]), 9),
        &keys,
    );
    st.on_event(Side::A, data(&frame(0, 0, 3, CLOSE_1000), 10), &keys);
    let sessions: Vec<&Session> = st.sessions().collect();
    // Stream 1 (the upgraded GET) is no WebSocket; stream 3 is.
    assert_eq!(sessions.len(), 1);
    let w = sessions[0];
    assert_eq!(
        w.transport,
        Transport {
            tls: false,
            h2_stream: Some(3)
        }
    );
    assert_eq!(w.handshake.path.as_deref(), Some("/chat"));
    assert_eq!(w.handshake.status, Some(200));
    assert_eq!(w.upgrade_status(), Some(101));
    let closes = &w.decoder(Side::A).expect("client decoder").closes;
    assert_eq!(closes.len(), 1);
    assert_eq!(
        (closes[0].code, closes[0].reason.as_str()),
        (Some(1000), "bye")
    );
    assert_eq!(closes[0].packet, 10);
    // Nothing lost, nothing invalid (the server did send ENABLE_CONNECT_PROTOCOL).
    assert!(st.ctx.findings.items.is_empty(), "{:?}", st.ctx.findings);
    assert!(w.findings.items.is_empty(), "{:?}", w.findings);
}

#[test]
fn client_bytes_before_the_101_are_held_and_a_body_passed_over() {
    // The client's preface is delivered before the 101 (and after a 5-byte body):
    // it is held, and read once the 101 switches.
    let keys = KeyLog::new();
    let mut st = Stack::default();
    let mut req = h2c_request("POST", "Content-Length: 5\r\n");
    req.extend(b"he");
    st.on_event(Side::A, data(&req, 4), &keys);
    let mut rest = b"llo".to_vec();
    rest.extend(h2c_client_start());
    st.on_event(Side::A, data(&rest, 5), &keys);
    assert!(matches!(st.top, Top::Http1(_)));
    assert_eq!(st.sessions().count(), 0);
    let mut answer = H2C_101.to_vec();
    answer.extend(h2c_server_start());
    st.on_event(Side::B, data(&answer, 6), &keys);
    let w = st
        .sessions()
        .next()
        .expect("stream 3 read from the held bytes");
    assert_eq!(w.transport.h2_stream, Some(3));
    assert_eq!(w.handshake.request_packet, Some(5));
    assert!(st.ctx.findings.items.is_empty(), "{:?}", st.ctx.findings);
}

#[test]
fn a_refused_h2c_upgrade_stays_http1() {
    let keys = KeyLog::new();
    let mut st = Stack::default();
    st.on_event(Side::A, data(&h2c_request("GET", ""), 4), &keys);
    assert!(!st.ignored(), "waiting for the answer");
    st.on_event(
        Side::B,
        data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 6),
        &keys,
    );
    // Later HTTP/1.1 bytes (a second request) are not HTTP/2: nothing is read.
    st.on_event(
        Side::A,
        data(b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n", 8),
        &keys,
    );
    assert!(matches!(st.top, Top::Http1(_)));
    assert_eq!(st.sessions().count(), 0);
    assert!(st.ignored());
    assert!(st.ctx.findings.items.is_empty(), "{:?}", st.ctx.findings);
    // A 101 that switches to something else than h2c does not switch either.
    let mut st = Stack::default();
    st.on_event(Side::A, data(&h2c_request("GET", ""), 4), &keys);
    st.on_event(Side::B, data(SWITCH, 6), &keys);
    assert!(matches!(st.top, Top::Http1(_)));
    assert_eq!(st.sessions().count(), 0);
}

#[test]
fn websocket_and_h2c_offered_together_is_a_websocket() {
    let keys = KeyLog::new();
    let req =
        String::from_utf8_lossy(UPGRADE).replace("Upgrade: websocket", "Upgrade: websocket, h2c");
    let mut st = Stack::default();
    st.on_event(Side::B, data(req.as_bytes(), 4), &keys);
    st.on_event(Side::A, data(SWITCH, 6), &keys);
    assert!(matches!(st.top, Top::Http1(_)));
    let w = st.sessions().next().expect("the WebSocket");
    assert_eq!(w.transport, Transport::default());
    assert_eq!(w.handshake.accept_valid(), Some(true));
}

#[test]
fn an_h2c_upgrade_inside_tls_is_not_taken() {
    // RFC 7540 §3.2: h2c is cleartext only; over TLS the request is plain HTTP/1.1.
    let mut h = http1::Http1::default();
    h.session.transport.tls = true;
    let mut ctx = Stack::default().ctx;
    h.on_event(&mut ctx, Side::A, data(&h2c_request("GET", ""), 4));
    h.on_event(&mut ctx, Side::B, data(H2C_101, 6));
    assert!(h.take_h2c().is_none());
    assert!(h.ignored());
}

#[test]
fn a_cut_answer_to_h2c_says_so() {
    let keys = KeyLog::new();
    let gap = |packet| Event::Gap {
        offset: 20,
        len: 100,
        packet: Some(packet),
        cut: true,
    };
    // The 101 is seen, the rest of the server's stream is not: HTTP/2 with the
    // server's side lost from there (said), the client's side read.
    let mut st = Stack::default();
    st.on_event(Side::A, data(&h2c_request("GET", ""), 4), &keys);
    st.on_event(Side::B, data(b"HTTP/1.1 101 Swi", 6), &keys);
    st.on_event(Side::B, gap(7), &keys);
    assert!(matches!(st.top, Top::H2(_)));
    st.on_event(Side::A, data(&h2c_client_start(), 8), &keys);
    assert!(st.ctx.findings.has(Kind::H2Lost), "{:?}", st.ctx.findings);
    let w = st
        .sessions()
        .next()
        .expect("stream 3 named from the client's side");
    assert_eq!(w.handshake.path.as_deref(), Some("/chat"));
    assert_eq!(w.handshake.status, None);
    // Cut before the status: nothing is guessed, and the report says why.
    let mut st = Stack::default();
    st.on_event(Side::A, data(&h2c_request("GET", ""), 4), &keys);
    st.on_event(Side::B, data(b"HTTP/1.", 6), &keys);
    st.on_event(Side::B, gap(7), &keys);
    st.on_event(Side::A, data(&h2c_client_start(), 8), &keys);
    assert!(matches!(st.top, Top::Http1(_)));
    assert_eq!(st.sessions().count(), 0);
    assert!(st.ctx.findings.has(Kind::HandshakeCut));
}

#[test]
fn what_the_client_sends_before_the_101_is_held_up_to_a_cap() {
    let keys = KeyLog::new();
    let mut st = Stack::default();
    st.on_event(Side::A, data(&h2c_request("GET", ""), 4), &keys);
    // Frames of an unknown type (skipped by a reader, RFC 9113 §4.1) past the cap.
    let mut early = h2c_client_start();
    while early.len() <= http1::MAX_H2C_HELD {
        early.extend(frame(0xfa, 0, 0, &[0; 16_000]));
    }
    st.on_event(Side::A, data(&early, 5), &keys);
    st.on_event(Side::A, data(b"more", 6), &keys);
    assert!(st.ctx.findings.has(Kind::BufferCapHit));
    let mut answer = H2C_101.to_vec();
    answer.extend(h2c_server_start());
    st.on_event(Side::B, data(&answer, 7), &keys);
    assert!(matches!(st.top, Top::H2(_)));
    // The client's direction is lost at the cap, and said to be; the server's is read.
    let lost = h2_lost(&st);
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(
        lost[0].starts_with("the client's HTTP/2 stream can no longer be read: more than 65536 bytes came before the server answered the Upgrade: h2c request"),
        "{lost:?}"
    );
}

#[test]
fn a_101_to_h2c_after_a_cut_request_switches_without_guessing() {
    // The request is cut by the snap length; the server's 101 to h2c is whole: HTTP/2
    // from there, the server's side read, the client's lost where its request was
    // cut; its HTTP/2 bytes are not taken for WebSocket frames.
    let keys = KeyLog::new();
    let mut st = Stack::default();
    let req = h2c_request("GET", "");
    st.on_event(Side::A, data(&req[..40], 4), &keys);
    let gap = Event::Gap {
        offset: 40,
        len: (req.len() - 40) as u64,
        packet: Some(4),
        cut: true,
    };
    st.on_event(Side::A, gap, &keys);
    let mut answer = H2C_101.to_vec();
    answer.extend(h2c_server_start());
    // A frame larger than the default 16384: the client may have allowed it.
    answer.extend(frame(0, 1, 1, &[b'x'; 20_000]));
    st.on_event(Side::B, data(&answer, 6), &keys);
    assert!(matches!(st.top, Top::H2(_)));
    st.on_event(Side::A, data(&h2c_client_start(), 8), &keys);
    st.on_event(Side::A, data(&frame(0, 0, 3, CLOSE_1000), 10), &keys);
    assert_eq!(
        st.sessions().count(),
        0,
        "nothing named without the client's side"
    );
    let kinds: Vec<Kind> = st.ctx.findings.items.iter().map(|f| f.kind).collect();
    assert!(kinds.iter().all(|k| !k.is_violation()), "{kinds:?}");
    let lost = h2_lost(&st);
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].starts_with("the client's"), "{lost:?}");
}

#[test]
fn http2_settings_bind_the_servers_frames() {
    // The client allows 32768-byte frames in HTTP2-Settings only: the server's
    // 20000-byte DATA frame is within them; without that field it is a
    // FRAME_SIZE_ERROR.
    let keys = KeyLog::new();
    for (field, lost) in [
        (h2_settings_field(&[(5, 32768)]), false),
        (String::new(), true),
    ] {
        let mut st = Stack::default();
        let req =
            format!("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nHTTP2-Settings: {field}\r\n\r\n");
        st.on_event(Side::A, data(req.as_bytes(), 4), &keys);
        let mut answer = H2C_101.to_vec();
        answer.extend(settings(&[]));
        answer.extend(frame(0, 1, 1, &[b'x'; 20_000]));
        st.on_event(Side::B, data(&answer, 6), &keys);
        assert!(matches!(st.top, Top::H2(_)));
        assert_eq!(
            st.ctx.findings.has(Kind::H2Lost),
            lost,
            "{field:?}: {:?}",
            st.ctx.findings
        );
    }
    // No HTTP2-Settings at all: the switch is still followed, and the request's
    // fault said.
    let mut st = Stack::default();
    st.on_event(
        Side::A,
        data(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n", 4),
        &keys,
    );
    st.on_event(Side::B, data(H2C_101, 6), &keys);
    assert!(matches!(st.top, Top::H2(_)));
    assert!(st.ctx.findings.has(Kind::HandshakeInvalid));
}

#[test]
fn a_refused_upgrade_is_a_session_without_decoders() {
    let mut st = Stack::default();
    st.on_event(Side::A, data(UPGRADE, 4), &KeyLog::new());
    st.on_event(
        Side::B,
        data(b"HTTP/1.1 403 Forbidden\r\n\r\n", 6),
        &KeyLog::new(),
    );
    let w = st
        .sessions()
        .next()
        .expect("the refused upgrade is reported");
    assert_eq!(w.handshake.status, Some(403));
    assert!(w.decoders.iter().all(Option::is_none));
    assert!(st.ctx.findings.has(crate::vocab::Kind::UpgradeRefused));
}
