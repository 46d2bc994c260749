//! The header parsing's tests: requests and responses whole, split, cut, lenient.

use super::*;
use crate::websocket::session::accept_for;

#[test]
fn status_of_a_cut_response_only_when_its_code_was_captured() {
    let raw = b"HTTP/1.1 101 Switching Protocols\r\n";
    for n in 0..raw.len() {
        let want = (n >= 13).then_some(101);
        assert_eq!(status_of_cut_response(&raw[..n]), want, "cut at {n}");
    }
    assert_eq!(status_of_cut_response(b"HTTP/1.0 403\r\n"), Some(403));
    assert_eq!(status_of_cut_response(b"HTTP/1.1 +10 x"), None);
    assert_eq!(status_of_cut_response(b"HTTP/1.1 099 x"), None);
    assert_eq!(status_of_cut_response(b"HTTP/1.1 1011 x"), None);
    assert_eq!(status_of_cut_response(b"HTTP/2 101 x"), None);
}

#[test]
fn rfc_accept_example() {
    // RFC 6455 §1.3.
    assert_eq!(
        accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn request_with_trailing_frame_bytes() {
    let raw = b"GET /chat?x=1 HTTP/1.1\r\nHost: example.com:9001\r\nUpgrade: WebSocket\r\n\
Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: superchat\r\n\r\n\x81\x80";
    let Parsed::Done(r, n) = parse_request(raw) else {
        panic!()
    };
    assert_eq!(&raw[n..], b"\x81\x80");
    assert!(r.is_websocket_upgrade());
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    assert_eq!(r.path, "/chat?x=1");
    assert_eq!(r.host.as_deref(), Some("example.com:9001"));
    assert_eq!(r.protocols.as_deref(), Some("chat, superchat"));
    for cut in 0..n {
        assert_eq!(parse_request(&raw[..cut]), Parsed::Partial, "cut {cut}");
    }
}

#[test]
fn response_and_deflate() {
    let raw = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
    let Parsed::Done(r, n) = parse_response(raw) else {
        panic!()
    };
    assert_eq!(n, raw.len());
    assert_eq!(r.status, 101);
    assert!(has_permessage_deflate(r.extensions.as_deref()));
    assert!(!has_permessage_deflate(Some("x-webkit-deflate-frame")));
    assert!(matches!(
        parse_response(b"SSH-2.0-OpenSSH\r\n\r\n"),
        Parsed::Invalid
    ));
}

#[test]
fn a_long_reason_phrase_is_cut_and_says_so() {
    let long = format!("Denied {}", "by policy ".repeat(300));
    let head = format!("HTTP/1.1 403 {long}\r\nContent-Length: 0\r\n\r\n");
    let Parsed::Done(r, n) = parse_response(head.as_bytes()) else {
        panic!("not parsed");
    };
    assert_eq!(n, head.len());
    assert!(r.reason.len() <= MAX_REASON + '…'.len_utf8());
    assert!(r.reason.starts_with("Denied by policy") && r.reason.ends_with('…'));
    // Up to the limit, whole.
    let exact = "x".repeat(MAX_REASON);
    let head = format!("HTTP/1.1 403 {exact}\r\n\r\n");
    let Parsed::Done(r, _) = parse_response(head.as_bytes()) else {
        panic!("not parsed");
    };
    assert_eq!(r.reason, exact);
}

#[test]
fn handshake_problems() {
    let raw = b"GET / HTTP/1.0\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 8\r\n\r\n";
    let Parsed::Done(r, _) = parse_request(raw) else {
        panic!()
    };
    use crate::vocab::HandshakeProblem as P;
    assert_eq!(
        r.problems(),
        [
            P::Http10,
            P::RequestConnection,
            P::KeyNot16("abc".into()),
            P::Version("8".into())
        ]
    );
    let Parsed::Done(r, _) = parse_response(b"HTTP/1.1 101 OK\r\n\r\n") else {
        panic!()
    };
    assert_eq!(r.problems().len(), 3);
}

/// A control byte in a header line: read leniently, the value kept as sent, what was
/// wrong said; every prefix of the message is still only "not yet complete".
#[test]
fn a_control_byte_in_a_header_is_read_leniently() {
    let raw = b"GET /chat HTTP/1.1\r\nHost: exa\x00mple.test\r\nX-Evil: a\x1bb\x7f\x1b\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n\x81\x80";
    let Parsed::Done(r, n) = parse_request(raw) else {
        panic!()
    };
    assert_eq!(&raw[n..], b"\x81\x80");
    assert!(r.is_websocket_upgrade() && r.problems().is_empty());
    assert_eq!(r.host.as_deref(), Some("exa\x00mple.test"));
    assert_eq!(
        r.malformed.as_ref().map(|c| crate::report::words::finding::control_bytes(Default::default(), c).text).as_deref(),
        Some("headers Host (0x00 in its value), X-Evil (0x1b, 0x7f in its value) hold a control byte, which RFC 9110 (§5.1, §5.5) allows in a header line only as HTAB in a value: read leniently, the bytes kept as sent")
    );
    for cut in 0..n {
        assert_eq!(parse_request(&raw[..cut]), Parsed::Partial, "cut {cut}");
    }
    // In a response, in a name, a lone CR; the fourth header on is counted, not named.
    let raw = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-\x01: 1\r\nA: \r2\r\nB: \x02\r\nC: \x03\r\n\r\n";
    let Parsed::Done(r, n) = parse_response(raw) else {
        panic!()
    };
    assert_eq!(n, raw.len());
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    assert_eq!(
        r.malformed.as_ref().map(|c| crate::report::words::finding::control_bytes(Default::default(), c).text).as_deref(),
        Some("headers X-\u{1} (0x01 in its name), A (0x0d in its value), B (0x02 in its value) and 1 more hold a control byte, which RFC 9110 (§5.1, §5.5) allows in a header line only as HTAB in a value: read leniently, the bytes kept as sent")
    );
    // A message without such a byte is not read leniently; one wrong otherwise stays
    // invalid.
    assert_eq!(
        parse_request(b"GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n"),
        Parsed::Done(
            Request {
                method: "GET".into(),
                path: "/".into(),
                host: Some("a\tb".into()),
                minor_version: 1,
                ..Request::default()
            },
            29
        )
    );
    assert_eq!(
        parse_request(b"GET / HTTP/1.1\r\nNo colon \x1b\r\n\r\n"),
        Parsed::Invalid
    );
    assert_eq!(
        parse_response(b"HTTP/1.1 101 \x1b\r\n\r\n"),
        Parsed::Invalid
    );
}

/// The key's length is checked in place as the base64 decoder would measure it: every
/// 24-character string over the alphabet, `=` and a stray byte that a key could be is
/// judged alike by both (16 bytes, or not).
#[test]
fn a_key_is_measured_as_the_decoder_would() {
    let decoded_16 = |k: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(k)
            .is_ok_and(|v| v.len() == 16)
    };
    let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .";
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |m: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m as u64) as usize
    };
    let mut agreed_16 = 0;
    for round in 0..50_000 {
        let len = [24, 24, 24, 22, 23, 25, 28, 0][round % 8];
        let mut k: Vec<u8> = (0..len).map(|_| chars[next(64)]).collect();
        // Mostly a key's shape: `==` at its end, sometimes a stray byte anywhere.
        if len == 24 && next(4) != 0 {
            k[22] = b'=';
            k[23] = b'=';
        }
        if next(8) == 0 && len > 0 {
            k[next(len)] = chars[next(chars.len())];
        }
        let k = String::from_utf8(k).unwrap_or_default();
        assert_eq!(key_is_16_bytes(&k), decoded_16(&k), "{k:?}");
        agreed_16 += usize::from(decoded_16(&k));
    }
    assert!(agreed_16 > 400, "{agreed_16}");
    assert!(key_is_16_bytes("dGhlIHNhbXBsZSBub25jZQ=="));
    assert!(!key_is_16_bytes("dGhlIHNhbXBsZSBub25jZR=="));
}

/// Header values are read as sent: trimmed of Unicode whitespace, bytes that are not
/// UTF-8 replaced in that value alone, names told apart whatever their case.
#[test]
fn values_as_sent() {
    let raw = "GET /x HTTP/1.1\r\nHOST: \u{2003}h\u{e9}te\u{a0}\r\nsec-websocket-PROTOCOL: a\r\nSec-WebSocket-Protocol:b \r\nUpgrade: foo, WebSocket \r\n\r\n";
    let Parsed::Done(r, _) = parse_request(raw.as_bytes()) else {
        panic!()
    };
    assert_eq!(r.host.as_deref(), Some("h\u{e9}te"));
    assert_eq!(r.protocols.as_deref(), Some("a, b"));
    assert!(r.upgrade && !r.h2c);
    let raw = b"HTTP/1.1 101 OK\r\nSEC-WEBSOCKET-ACCEPT: \xffab\r\nsec-websocket-extensions: x\xc3\xa9\r\nUpgrade: h2c\r\n\r\n";
    let Parsed::Done(r, _) = parse_response(raw) else {
        panic!()
    };
    assert_eq!(r.accept.as_deref(), Some("\u{fffd}ab"));
    assert_eq!(r.extensions.as_deref(), Some("x\u{e9}"));
    assert!(r.h2c && !r.upgrade && r.switches_to_h2c());
}

#[test]
fn sniffing() {
    assert!(looks_like_request(b"GE"));
    assert!(looks_like_request(b"GET / HTTP/1.1"));
    assert!(!looks_like_request(b"\x81\x05"));
    assert!(looks_like_response(b"HTTP/1.1 101"));
    assert!(!looks_like_response(b"\x16\x03\x01"));
}

/// A request's cookies are kept as a hash only (issue 91 item 3): the same values, the
/// same hash; another session cookie, another; none, 0; and the value is nowhere in what
/// the parse keeps.
#[test]
fn cookies_are_kept_as_a_hash_only() {
    let req = |cookie: &str| {
        let raw = format!(
            "GET /feed HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{cookie}\r\n"
        );
        let Parsed::Done(r, _) = parse_request(raw.as_bytes()) else {
            panic!("{raw}")
        };
        r
    };
    let a = req("Cookie: sid=alpha-7f3e; theme=dark\r\n");
    let again = req("cookie:  sid=alpha-7f3e; theme=dark \r\n");
    let b = req("Cookie: sid=bravo-91c2; theme=dark\r\n");
    let none = req("");
    assert_ne!(a.cookie, 0);
    assert_eq!(a.cookie, again.cookie);
    assert_ne!(a.cookie, b.cookie);
    assert_eq!(none.cookie, 0);
    assert!(!format!("{a:?}").contains("alpha-7f3e"));
}
