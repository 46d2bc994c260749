//! The bytes of WebSocket frames and HTTP messages the generator writes: frames (RFC 6455
//! §5.2), masked or not, with RSV1 for permessage-deflate; the words, paths, hosts and
//! agents it draws; an upgrade and its 101, a plain HTTP exchange, a TLS-looking record.

use super::*;

// ---------------------------------------------------------------------------------------
// WebSocket and HTTP bytes
// ---------------------------------------------------------------------------------------

pub(super) const OP_CONT: u8 = 0x0;
pub(super) const OP_TEXT: u8 = 0x1;
pub(super) const OP_BINARY: u8 = 0x2;
pub(super) const OP_CLOSE: u8 = 0x8;
pub(super) const OP_PING: u8 = 0x9;
pub(super) const OP_PONG: u8 = 0xA;

/// Appends one RFC 6455 frame (minimal length encoding; masked with `mask` if given).
pub fn frame(out: &mut Vec<u8>, fin: bool, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) {
    frame_rsv1(out, fin, false, opcode, mask, payload);
}

/// [`frame`] with the RSV1 bit given: set on the first frame of a compressed message
/// (RFC 7692 §6).
pub fn frame_rsv1(
    out: &mut Vec<u8>,
    fin: bool,
    rsv1: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) {
    out.push((u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode);
    let m = if mask.is_some() { 0x80 } else { 0 };
    let n = payload.len();
    if n < 126 {
        out.push(m | n as u8);
    } else if n <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            let start = out.len();
            out.extend_from_slice(payload);
            let word = u32::from_ne_bytes(key);
            let body = &mut out[start..];
            let mut chunks = body.chunks_exact_mut(4);
            for c in &mut chunks {
                let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) ^ word;
                c.copy_from_slice(&v.to_ne_bytes());
            }
            for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
                *b ^= key[i];
            }
        }
        None => out.extend_from_slice(payload),
    }
}

pub(super) const WORDS: &[&str] = &[
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "price",
    "update",
    "ticker",
    "naïve",
    "café",
    "über",
    "日本語",
    "✓",
    "—",
    "Ωmega",
    "party🎉",
    "status",
    "ok",
    "user",
    "session",
    "42",
    "3.14",
    "order",
    "fill",
    "quote",
    "bid",
    "ask",
    "volume",
    "zürich",
    "ñandú",
];
pub(super) const TYPES: &[&str] = &[
    "update", "tick", "presence", "chat", "ack", "snapshot", "event",
];

/// JSON-looking valid UTF-8 text of about `len` bytes (multi-byte characters included).
pub(super) fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut s = String::with_capacity(len + 24);
    s.push_str("{\"type\":\"");
    s.push_str(rng.pick(TYPES));
    s.push_str("\",\"seq\":");
    s.push_str(&rng.below(1_000_000).to_string());
    s.push_str(",\"data\":\"");
    while s.len() + 2 < len {
        s.push_str(rng.pick(WORDS));
        s.push(' ');
    }
    s.push_str("\"}");
    s.into_bytes()
}

/// A Sec-WebSocket-Key: 16 random bytes in base64.
pub(super) fn ws_key(rng: &mut Rng) -> String {
    base64::engine::general_purpose::STANDARD.encode(rng.bytes(16))
}

pub(super) const PATHS: &[&str] = &[
    "/ws",
    "/chat",
    "/socket.io/?EIO=4&transport=websocket",
    "/api/stream",
    "/live/feed?market=EU",
    "/graphql",
    "/notifications",
];
pub(super) const HOSTS: &[&str] = &[
    "chat.example.test",
    "stream.example.test",
    "api.example.test",
    "ws.example.test",
];
pub(super) const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Python/3.12 websockets/13.1",
    "okhttp/4.12.0",
];

pub(super) fn upgrade_request(
    rng: &mut Rng,
    path: &str,
    host: &str,
    key: &str,
    proto: Option<&str>,
    deflate: bool,
) -> Vec<u8> {
    let mut r = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n",
        rng.pick(AGENTS)
    );
    if rng.chance(0.5) {
        r.push_str("Origin: https://app.example.test\r\n");
    }
    // Always offered by a connection that will compress; otherwise sometimes offered and
    // never accepted (no draw is spent when it compresses, so without compression the
    // bytes are those of earlier versions).
    if deflate || rng.chance(0.3) {
        r.push_str("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    }
    if let Some(p) = proto {
        r.push_str(&format!("Sec-WebSocket-Protocol: {p}, v1.json\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

pub(super) fn upgrade_response(key: &str, proto: Option<&str>, extension: Option<&str>) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        wsclose::__internals::websocket::session::accept_for(key)
    );
    if let Some(p) = proto {
        r.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    if let Some(e) = extension {
        r.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

pub(super) fn http_request(rng: &mut Rng) -> Vec<u8> {
    let path = rng.pick(&[
        "/",
        "/index.html",
        "/api/items?page=2",
        "/static/app.js",
        "/health",
        "/images/logo.png",
    ]);
    format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
        rng.pick(HOSTS),
        rng.pick(AGENTS)
    )
    .into_bytes()
}

pub(super) fn http_response(rng: &mut Rng, body_len: usize) -> Vec<u8> {
    let (ctype, textual) = rng.pick(&[
        ("text/html; charset=utf-8", true),
        ("application/json", true),
        ("application/javascript", true),
        ("image/png", false),
    ]);
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: {ctype}\r\nContent-Length: {body_len}\r\nCache-Control: max-age=60\r\n\r\n"
    )
    .into_bytes();
    if textual {
        let mut t = text(rng, body_len);
        t.resize(body_len, b' ');
        r.extend_from_slice(&t);
    } else {
        r.extend_from_slice(&rng.bytes(body_len));
    }
    r
}

/// One TLS application-data record (random contents).
pub(super) fn tls_record(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut r = vec![0x17, 0x03, 0x03];
    r.extend_from_slice(&(len as u16).to_be_bytes());
    r.extend_from_slice(&rng.bytes(len));
    r
}
