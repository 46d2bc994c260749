//! The CONNECT layer's tests: a tunnel opened, refused, asked again, or no CONNECT after
//! all, as the stack reads them.

use crate::flow::Event;
use crate::flow::Side;
use crate::stack::tls::keylog::KeyLog;
use crate::stack::Stack;
use crate::vocab::Timestamp;

fn data(bytes: &[u8], packet: u64) -> Event<'_> {
    Event::Data {
        offset: 0,
        bytes,
        packet,
        ts: Timestamp(packet as i64),
    }
}

const REQUEST: &[u8] =
    b"CONNECT 10.0.0.9:8443 HTTP/1.1\r\nHost: 10.0.0.9:8443\r\nUser-Agent: t\r\n\r\n";
/// A CONNECT from a WebSocket client library (Python websockets names itself).
const WS_REQUEST: &[u8] =
    b"CONNECT 10.0.0.9:8443 HTTP/1.1\r\nHost: 10.0.0.9:8443\r\nUser-Agent: Python/3.11 websockets/17.4\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";
const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const SWITCH: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
/// A masked close frame 1000 "bye" (RFC 6455 §5.5.1), mask 0.
const CLOSE_1000: &[u8] = b"\x88\x85\0\0\0\0\x03\xe8bye";

/// `bytes` of side `s` in segments cut at `cuts`, packets from `packet` on.
fn feed(st: &mut Stack, s: Side, bytes: &[u8], cuts: &[usize], packet: u64) {
    let keys = KeyLog::new();
    let mut from = 0;
    for (k, &at) in cuts.iter().chain([&bytes.len()]).enumerate() {
        if at > from {
            st.on_event(s, data(&bytes[from..at], packet + k as u64), &keys);
            from = at;
        }
    }
}

/// A whole tunnelled WebSocket, the CONNECT head cut at `req` and the answer's at
/// `ans` (with the upgrade in the answer's segment when `joined`).
fn tunnel(req: &[usize], ans: &[usize]) -> Stack {
    let mut st = Stack::default();
    feed(&mut st, Side::A, REQUEST, req, 10);
    feed(&mut st, Side::B, OK, ans, 1000);
    feed(&mut st, Side::A, UPGRADE, &[], 2000);
    feed(&mut st, Side::B, SWITCH, &[], 2001);
    feed(&mut st, Side::A, CLOSE_1000, &[], 2002);
    st
}

fn assert_tunnel(st: &Stack, what: &str) {
    let t = st.tunnel().unwrap_or_else(|| panic!("{what}: no tunnel"));
    assert_eq!(t.target, "10.0.0.9:8443", "{what}");
    assert_eq!(t.status, Some(200), "{what}");
    assert_eq!(t.reason, "Connection established", "{what}");
    assert_eq!(t.target_port(), Some(8443));
    assert_eq!(t.target_ip(), "10.0.0.9".parse().ok());
    let w = st
        .sessions()
        .next()
        .unwrap_or_else(|| panic!("{what}: no session"));
    assert_eq!(w.handshake.path.as_deref(), Some("/chat"), "{what}");
    assert_eq!(w.handshake.accept_valid(), Some(true), "{what}");
    let closes = &w.decoder(Side::A).expect("client decoder").closes;
    assert_eq!(closes.len(), 1, "{what}");
    assert_eq!(closes[0].code, Some(1000), "{what}");
    assert_eq!(st.ctx.client, Some(Side::A), "{what}");
}

#[test]
fn a_connect_head_split_at_every_byte_opens_the_same_tunnel() {
    for i in 0..=REQUEST.len() {
        assert_tunnel(&tunnel(&[i], &[]), &format!("request cut at {i}"));
    }
    for i in 0..=OK.len() {
        assert_tunnel(&tunnel(&[], &[i]), &format!("answer cut at {i}"));
    }
    let every: Vec<usize> = (1..REQUEST.len()).collect();
    let every_ok: Vec<usize> = (1..OK.len()).collect();
    assert_tunnel(&tunnel(&every, &every_ok), "one byte per segment");
}

#[test]
fn bytes_after_the_heads_in_their_segments_go_into_the_tunnel() {
    // The upgrade rides in the CONNECT's segment (a client that does not wait), the
    // 101 in the 200's: both are read, in order, with their packets.
    let keys = KeyLog::new();
    let mut st = Stack::default();
    let mut first = REQUEST.to_vec();
    first.extend(UPGRADE);
    st.on_event(Side::A, data(&first, 4), &keys);
    let mut answer = OK.to_vec();
    answer.extend(SWITCH);
    st.on_event(Side::B, data(&answer, 6), &keys);
    st.on_event(Side::A, data(CLOSE_1000, 8), &keys);
    let w = st.sessions().next().expect("the tunnelled session");
    assert_eq!(w.handshake.request_packet, Some(4));
    assert_eq!(w.handshake.response_packet, Some(6));
    assert_eq!(w.decoder(Side::A).expect("client").closes.len(), 1);
    assert_eq!(st.tunnel().and_then(|t| t.response_packet), Some(6));
}

#[test]
fn a_refused_connect_keeps_its_status_and_body_split_anywhere() {
    let answer = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 78\r\n\r\n<html><head><style>p{x:1}</style><title>Denied</title></head>&lt;no&gt;</html>";
    let body_len = answer.len() - answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() - 4;
    assert_eq!(body_len, 78);
    for i in 0..=answer.len() {
        let mut st = Stack::default();
        feed(&mut st, Side::A, WS_REQUEST, &[], 1);
        feed(&mut st, Side::B, answer, &[i], 2);
        let t = st.tunnel().expect("the tunnel asked for");
        assert_eq!(
            (t.status, t.reason.as_str()),
            (Some(403), "Forbidden"),
            "{i}"
        );
        assert!(t.refused());
        assert_eq!(t.body_text(200).as_deref(), Some("Denied <no>"), "{i}");
        assert!(!t.body_cut);
        let w = st.sessions().next().expect("the refusal is reported");
        assert!(w.decoders.iter().all(Option::is_none));
    }
}

#[test]
fn a_second_connect_after_a_407_opens_the_tunnel() {
    let mut st = Stack::default();
    feed(&mut st, Side::A, REQUEST, &[], 1);
    feed(
        &mut st,
        Side::B,
        b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 4\r\n\r\nauth",
        &[],
        2,
    );
    assert_eq!(st.tunnel().and_then(|t| t.status), Some(407));
    feed(&mut st, Side::A, REQUEST, &[], 3);
    feed(&mut st, Side::B, OK, &[], 4);
    feed(&mut st, Side::A, UPGRADE, &[], 5);
    feed(&mut st, Side::B, SWITCH, &[], 6);
    let t = st.tunnel().expect("the tunnel");
    assert_eq!(t.status, Some(200));
    assert_eq!(t.earlier, vec![(407, 2)]);
    assert_eq!(st.sessions().count(), 1);
}

#[test]
fn a_chunked_407_split_anywhere_keeps_its_page_and_the_retry_opens() {
    // RFC 9112 §7.1: sizes in hex with extensions, the last chunk, a trailer line.
    let answer = b"HTTP/1.1 407 Proxy Authentication Required\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 2\r\n\r\n5;a=\"b\"\r\nlog i\r\n9\r\nn first\r\n\r\n0\r\nX-T: 1\r\n\r\n";
    let cuts: Vec<Vec<usize>> = (0..=answer.len())
        .map(|i| vec![i])
        .chain([(1..answer.len()).collect()])
        .collect();
    for cut in &cuts {
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, &[], 1);
        feed(&mut st, Side::B, answer, cut, 2);
        let t = st.tunnel().expect("the tunnel asked for");
        assert_eq!(t.status, Some(407), "{cut:?}");
        assert_eq!(t.body, b"log in first\r\n", "{cut:?}");
        assert!(!t.body_cut, "{cut:?}");
        feed(&mut st, Side::A, REQUEST, &[], 500);
        feed(&mut st, Side::B, OK, &[], 501);
        feed(&mut st, Side::A, UPGRADE, &[], 502);
        feed(&mut st, Side::B, SWITCH, &[], 503);
        let t = st.tunnel().expect("the tunnel");
        assert_eq!(t.status, Some(200), "{cut:?}");
        assert_eq!(t.earlier.iter().map(|e| e.0).collect::<Vec<_>>(), [407]);
        assert_eq!(st.sessions().count(), 1, "{cut:?}");
    }
    // A chunked body whose framing breaks: cut, and the proxy's bytes are read again
    // only as the answer to the client's next CONNECT.
    let mut st = Stack::default();
    feed(&mut st, Side::A, REQUEST, &[], 1);
    feed(
        &mut st,
        Side::B,
        b"HTTP/1.1 407 No\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        &[],
        2,
    );
    assert!(st.tunnel().is_some_and(|t| t.body_cut));
    feed(&mut st, Side::A, REQUEST, &[], 3);
    feed(&mut st, Side::B, OK, &[], 4);
    let t = st.tunnel().expect("the second CONNECT");
    assert_eq!((t.status, &t.earlier), (Some(200), &vec![(407, 2)]));
}

#[test]
fn a_refusal_is_a_websocket_only_when_the_client_showed_it_asked_for_one() {
    const DENIED: &[u8] = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    let refused_cut = |ahead: &[u8], after: &[u8], request: &[u8], cut: &[usize]| {
        let mut st = Stack::default();
        feed(&mut st, Side::A, request, &[], 1);
        let at = |b: &[u8]| if b.is_empty() { &[][..] } else { cut };
        feed(&mut st, Side::A, ahead, at(ahead), 2);
        feed(&mut st, Side::B, DENIED, &[], 30);
        feed(&mut st, Side::A, after, at(after), 40);
        assert_eq!(st.tunnel().and_then(|t| t.status), Some(403));
        st.sessions().count()
    };
    let refused =
        |ahead: &[u8], after: &[u8], request: &[u8]| refused_cut(ahead, after, request, &[]);
    // Nothing but the CONNECT: no WebSocket, counted apart.
    assert_eq!(refused(b"", b"", REQUEST), 0);
    // A ClientHello sent ahead is no evidence (TLS carries any protocol).
    assert_eq!(refused(&[0x16, 3, 1, 0, 1, 1], b"", REQUEST), 0);
    // A plain GET sent after the refusal is none either.
    assert_eq!(
        refused(b"", b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", REQUEST),
        0
    );
    // The library's User-Agent, an upgrade sent ahead, or after the refusal: one is.
    assert_eq!(refused(b"", b"", WS_REQUEST), 1);
    // A library whose client speaks HTTP too names no WebSocket by its User-Agent
    // (aiohttp's ClientSession sends "Python/3.11 aiohttp/3.9.5" for any request).
    let aiohttp =
        b"CONNECT 10.0.0.9:8443 HTTP/1.1\r\nHost: 10.0.0.9:8443\r\nUser-Agent: Python/3.11 aiohttp/3.9.5\r\n\r\n";
    assert_eq!(refused(b"", b"", aiohttp), 0);
    assert_eq!(refused(UPGRADE, b"", aiohttp), 1);
    assert_eq!(refused(UPGRADE, b"", REQUEST), 1);
    assert_eq!(refused(b"", UPGRADE, REQUEST), 1);
    // Split anywhere, ahead or after (found by the connect_head fuzz target: a head
    // after the refusal was judged at its first piece).
    for i in 1..UPGRADE.len() {
        assert_eq!(
            refused_cut(UPGRADE, b"", REQUEST, &[i]),
            1,
            "ahead, cut at {i}"
        );
        assert_eq!(
            refused_cut(b"", UPGRADE, REQUEST, &[i]),
            1,
            "after, cut at {i}"
        );
    }
    // An upgrade cut by the hold limit is no evidence: the head is not whole.
    let mut long = UPGRADE[..UPGRADE.len() - 2].to_vec();
    long.extend(format!("X: {}\r\n\r\n", "x".repeat(super::MAX_HELD)).bytes());
    assert_eq!(refused(&long, b"", REQUEST), 0);
}

#[test]
fn a_request_that_is_no_connect_goes_back_to_http() {
    // "C" agrees with CONNECT, "CONNEXION" does not: the bytes go to HTTP/1.1 as sent.
    let mut st = Stack::default();
    feed(
        &mut st,
        Side::A,
        b"CONNEXION / HTTP/1.1\r\nHost: h\r\n\r\n",
        &[1, 4],
        1,
    );
    assert!(st.tunnel().is_none());
    assert!(matches!(st.layer(), super::super::Layer::Http1));
    assert_eq!(st.sessions().count(), 0);
    // A WebSocket upgrade is never taken for a CONNECT.
    let mut st = Stack::default();
    feed(&mut st, Side::A, UPGRADE, &[1], 1);
    feed(&mut st, Side::B, SWITCH, &[], 2);
    assert!(st.tunnel().is_none());
    assert_eq!(st.sessions().count(), 1);
}

#[test]
fn http2_and_tls_are_chosen_again_inside_the_tunnel() {
    use super::super::Layer;
    // h2c with prior knowledge (RFC 9113 §3.4) after the 200.
    let mut st = Stack::default();
    feed(&mut st, Side::A, REQUEST, &[], 1);
    feed(&mut st, Side::B, OK, &[], 2);
    feed(&mut st, Side::A, crate::stack::h2::PREFACE, &[], 3);
    assert!(matches!(st.layer(), Layer::H2));
    assert_eq!(
        st.tunnel().map(|t| t.target.as_str()),
        Some("10.0.0.9:8443")
    );
    // A ClientHello the client sent before the answer is held, then read as TLS.
    let hello = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03];
    let mut st = Stack::default();
    feed(&mut st, Side::A, REQUEST, &[], 1);
    feed(&mut st, Side::A, &hello, &[], 2);
    assert!(matches!(st.layer(), Layer::Connect));
    feed(&mut st, Side::B, OK, &[], 3);
    assert!(crate::stack::tls::looks_like_client_hello(&hello));
    assert!(matches!(st.layer(), Layer::Tls));
    assert_eq!(st.ctx.client, Some(Side::A));
}

#[test]
fn no_connect_inside_a_tunnel_and_bounded_heads() {
    // A CONNECT inside the tunnel is the tunnelled server's business: HTTP/1.1 there.
    let mut st = Stack::default();
    feed(&mut st, Side::A, REQUEST, &[], 1);
    feed(&mut st, Side::B, OK, &[], 2);
    feed(&mut st, Side::A, REQUEST, &[], 3);
    assert!(matches!(st.layer(), super::super::Layer::Http1));
    // A head that never ends is given up past the limit, not kept growing.
    let mut st = Stack::default();
    feed(&mut st, Side::A, b"CONNECT h:1 HTTP/1.1\r\n", &[], 1);
    let line = format!("X-Long: {}\r\n", "x".repeat(1000));
    for k in 0..80 {
        feed(&mut st, Side::A, line.as_bytes(), &[], 2 + k);
    }
    assert!(st.tunnel().is_none());
    assert!(matches!(st.layer(), super::super::Layer::Http1));
}
