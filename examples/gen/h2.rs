//! HTTP/2 for the generator's WebSocket connections (RFC 8441; `Config::h2`,
//! `gen_capture --h2 SHARE`): h2c with prior knowledge, or h2 inside TLS (ALPN `h2`) when
//! the connection is also wss://.
//!
//! The opening (RFC 9113 §3.4, RFC 8441 §3-5): the client's connection preface and
//! SETTINGS (ENABLE_PUSH 0, a window as large as allowed, sometimes more) with a
//! connection-level WINDOW_UPDATE to the largest window, sometimes a plain GET on stream 1
//! answered with HEADERS and DATA (so the WebSocket is stream 3 and the second header
//! block of each direction leans on HPACK's dynamic table); the server's SETTINGS with
//! SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, its WINDOW_UPDATE and the SETTINGS ACK; then the
//! client's ACK and the extended CONNECT (`:method CONNECT`, `:protocol websocket`,
//! `:scheme`, `:path`, `:authority`, `sec-websocket-version: 13`, sometimes
//! `sec-websocket-protocol` and `sec-websocket-extensions`), sometimes with the PRIORITY
//! flag, sometimes split over a CONTINUATION frame; the server's HEADERS with `:status 200`
//! (and the subprotocol and extensions it agreed). Header blocks are encoded with
//! `loona-hpack`, one encoder per direction (its dynamic table carried from block to
//! block, Huffman coding included).
//!
//! Every write of the WebSocket layer is carried by DATA frames on the WebSocket's stream
//! ([`H2::data`]): at most 16 384 bytes of payload each (the default SETTINGS_MAX_FRAME_SIZE,
//! padding included), sometimes cut in two frames at a random byte (a WebSocket frame across
//! DATA frames), sometimes padded, sometimes with a WINDOW_UPDATE on stream 0 between
//! them; END_STREAM on the last one when the side ends its half of the stream.
//! [`rst_stream`] and [`goaway`] make the stream's other endings.

use super::Rng;

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;

const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

const SETTINGS_HEADER_TABLE_SIZE: u16 = 0x1;
const SETTINGS_ENABLE_PUSH: u16 = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;
const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;
const SETTINGS_ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// The client connection preface (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The default SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2); neither side raises it.
const MAX_FRAME: usize = 1 << 14;
/// The largest flow-control window (RFC 9113 §6.9.1): each stream's, by SETTINGS.
const MAX_WINDOW: u32 = (1 << 31) - 1;
/// The connection's window each side opens at once: more than any generated connection
/// sends, with room for the small WINDOW_UPDATEs between DATA frames.
const CONNECTION_WINDOW: u32 = 1 << 30;

/// An RST_STREAM or GOAWAY error code with its RFC 9113 §7 name.
pub type ErrorCode = (u32, &'static str);
pub const NO_ERROR: ErrorCode = (0x0, "NO_ERROR");
pub const PROTOCOL_ERROR: ErrorCode = (0x1, "PROTOCOL_ERROR");
pub const INTERNAL_ERROR: ErrorCode = (0x2, "INTERNAL_ERROR");
pub const CANCEL: ErrorCode = (0x8, "CANCEL");
pub const CONNECT_ERROR: ErrorCode = (0xa, "CONNECT_ERROR");
pub const ENHANCE_YOUR_CALM: ErrorCode = (0xb, "ENHANCE_YOUR_CALM");

/// Appends one frame (RFC 9113 §4.1).
pub fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

fn settings(params: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::with_capacity(params.len() * 6);
    for (id, v) in params {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    let mut out = Vec::new();
    frame(&mut out, SETTINGS, 0, 0, &p);
    out
}

fn window_update(out: &mut Vec<u8>, stream: u32, increment: u32) {
    frame(out, WINDOW_UPDATE, 0, stream, &increment.to_be_bytes());
}

/// An RST_STREAM frame of `stream` with `code` (RFC 9113 §6.4).
pub fn rst_stream(stream: u32, code: ErrorCode) -> Vec<u8> {
    let mut out = Vec::with_capacity(13);
    frame(&mut out, RST_STREAM, 0, stream, &code.0.to_be_bytes());
    out
}

/// A GOAWAY frame (RFC 9113 §6.8) naming `last_stream` and `code`, with some debug data
/// after an error.
pub fn goaway(last_stream: u32, code: ErrorCode) -> Vec<u8> {
    let mut p = last_stream.to_be_bytes().to_vec();
    p.extend_from_slice(&code.0.to_be_bytes());
    if code != NO_ERROR {
        p.extend_from_slice(code.1.to_ascii_lowercase().as_bytes());
    }
    let mut out = Vec::with_capacity(p.len() + 9);
    frame(&mut out, GOAWAY, 0, 0, &p);
    out
}

/// A PING (RFC 9113 §6.7) and its ACK, the same 8 bytes.
pub fn ping_pair(rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let data = rng.bytes(8);
    let (mut ping, mut pong) = (Vec::new(), Vec::new());
    frame(&mut ping, PING, 0, 0, &data);
    frame(&mut pong, PING, ACK, 0, &data);
    (ping, pong)
}

/// What the extended CONNECT says, from the WebSocket connection's draws.
pub struct Connect<'a> {
    pub tls: bool,
    pub path: &'a str,
    pub host: &'a str,
    pub agent: &'a str,
    /// The subprotocol offered and agreed.
    pub proto: Option<&'a str>,
    /// permessage-deflate offered; the server's agreed extension line, if any.
    pub offer_deflate: bool,
    pub agreed_extension: Option<&'a str>,
}

/// One HTTP/2 connection carrying one WebSocket stream: the stream id and each
/// direction's HPACK encoder.
pub struct H2 {
    pub stream: u32,
    /// [client, server].
    enc: [loona_hpack::Encoder<'static>; 2],
}

impl Default for H2 {
    fn default() -> Self {
        H2::new()
    }
}

impl H2 {
    pub fn new() -> H2 {
        H2 {
            stream: 1,
            enc: [loona_hpack::Encoder::new(), loona_hpack::Encoder::new()],
        }
    }

    /// A header block of side `d` as HEADERS (and sometimes CONTINUATION) frames.
    fn headers(
        &mut self,
        rng: &mut Rng,
        d: usize,
        stream: u32,
        fields: &[(&str, &str)],
        end_stream: bool,
        out: &mut Vec<u8>,
    ) {
        let block = self.enc[d].encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
        let end = if end_stream { END_STREAM } else { 0 };
        let mut first = Vec::with_capacity(block.len() + 5);
        let mut flags = end;
        if d == 0 && rng.chance(0.3) {
            // Chrome's way: an exclusive dependency on stream 0, weight 256.
            flags |= PRIORITY;
            first.extend_from_slice(&[0x80, 0, 0, 0, 255]);
        }
        if block.len() > 8 && rng.chance(0.15) {
            let cut = rng.range(1, block.len() as u64 - 1) as usize;
            first.extend_from_slice(&block[..cut]);
            frame(out, HEADERS, flags, stream, &first);
            frame(out, CONTINUATION, END_HEADERS, stream, &block[cut..]);
        } else {
            first.extend_from_slice(&block);
            frame(out, HEADERS, flags | END_HEADERS, stream, &first);
        }
    }

    /// The opening, as the writes of each side in turn, client first (four writes: the
    /// preface, the server's SETTINGS, the client's CONNECT, the server's answer);
    /// `server_first` (a WebSocket frame of the server, if any) follows the answer in the
    /// same write.
    pub fn opening(
        &mut self,
        rng: &mut Rng,
        c: &Connect<'_>,
        server_first: Option<&[u8]>,
    ) -> Vec<(usize, Vec<u8>)> {
        let scheme = if c.tls { "https" } else { "http" };
        // The client: preface, SETTINGS, the connection's window opened wide.
        let mut hello = PREFACE.to_vec();
        let mut params = vec![
            (SETTINGS_ENABLE_PUSH, 0),
            (SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW),
        ];
        if rng.chance(0.5) {
            params.insert(0, (SETTINGS_HEADER_TABLE_SIZE, 65_536));
            params.push((SETTINGS_MAX_HEADER_LIST_SIZE, 262_144));
        }
        hello.extend(settings(&params));
        window_update(&mut hello, 0, CONNECTION_WINDOW - 65_535);
        let get = rng.chance(0.3);
        let get_path = rng.pick(&["/", "/index.html", "/app.js", "/favicon.ico"]);
        if get {
            // A page first, on stream 1: the WebSocket is stream 3.
            self.stream = 3;
            let fields = [
                (":method", "GET"),
                (":scheme", scheme),
                (":authority", c.host),
                (":path", get_path),
                ("user-agent", c.agent),
                ("accept", "*/*"),
            ];
            self.headers(rng, 0, 1, &fields, true, &mut hello);
        }
        // The server: SETTINGS with ENABLE_CONNECT_PROTOCOL, its window, the ACK.
        let mut params = vec![
            (SETTINGS_MAX_CONCURRENT_STREAMS, 100),
            (SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW),
            (SETTINGS_ENABLE_CONNECT_PROTOCOL, 1),
        ];
        if rng.chance(0.5) {
            params.swap(0, 2);
        }
        let mut server = settings(&params);
        window_update(&mut server, 0, CONNECTION_WINDOW - 65_535);
        frame(&mut server, SETTINGS, ACK, 0, &[]);
        if get {
            let n = rng.range(100, 3_000) as usize;
            let body = super::text(rng, n);
            let len = body.len().to_string();
            let fields = [
                (":status", "200"),
                ("content-type", "text/html; charset=utf-8"),
                ("content-length", len.as_str()),
                ("server", "h2o/2.3"),
            ];
            self.headers(rng, 1, 1, &fields, false, &mut server);
            frame(&mut server, DATA, END_STREAM, 1, &body);
        }
        // The client: ACK, then the extended CONNECT (RFC 8441 §4), after the server's
        // SETTINGS as §3 requires.
        let mut connect = Vec::new();
        frame(&mut connect, SETTINGS, ACK, 0, &[]);
        let offered_protocols = c.proto.map(|p| format!("{p}, v1.json"));
        let mut fields = vec![
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", scheme),
            (":path", c.path),
            (":authority", c.host),
            ("sec-websocket-version", "13"),
        ];
        if let Some(p) = &offered_protocols {
            fields.push(("sec-websocket-protocol", p));
        }
        if c.offer_deflate {
            fields.push((
                "sec-websocket-extensions",
                "permessage-deflate; client_max_window_bits",
            ));
        }
        if rng.chance(0.5) {
            fields.push(("origin", "https://app.example.test"));
        }
        fields.push(("user-agent", c.agent));
        let stream = self.stream;
        self.headers(rng, 0, stream, &fields, false, &mut connect);
        // The server's answer: 200 accepts (RFC 8441 §5).
        let mut answer = Vec::new();
        let mut fields = vec![(":status", "200")];
        if let Some(p) = c.proto {
            fields.push(("sec-websocket-protocol", p));
        }
        if let Some(e) = c.agreed_extension {
            fields.push(("sec-websocket-extensions", e));
        }
        self.headers(rng, 1, stream, &fields, false, &mut answer);
        if let Some(ws) = server_first {
            answer.extend(self.data(rng, ws, false).0);
        }
        vec![(0, hello), (1, server), (0, connect), (1, answer)]
    }

    /// WebSocket bytes `ws` as DATA frames of the stream (END_STREAM on the
    /// last with `end_stream`); returns the frames and the end of `ws`'s last byte in them
    /// (the padding of its frame follows).
    pub fn data(&self, rng: &mut Rng, ws: &[u8], end_stream: bool) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(ws.len() + 9 * (ws.len() / MAX_FRAME + 2) + 8);
        // Sometimes two frames cut at a random byte (a WebSocket frame across DATA frames).
        let cut = if ws.len() > 1 && rng.chance(0.15) {
            rng.range(1, ws.len() as u64 - 1) as usize
        } else {
            ws.len()
        };
        let mut end = 0;
        let parts = [&ws[..cut], &ws[cut..]];
        for (i, part) in parts.iter().enumerate() {
            let mut rest: &[u8] = part;
            while !rest.is_empty() {
                let pad = if rng.chance(0.05) {
                    Some(rng.range(0, 255) as usize)
                } else {
                    None
                };
                let room = MAX_FRAME - pad.map_or(0, |p| p + 1);
                let n = rest.len().min(room);
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                let last = rest.is_empty() && (i == 1 || parts[1].is_empty());
                let mut flags = if last && end_stream { END_STREAM } else { 0 };
                let header_at = out.len();
                match pad {
                    Some(p) => {
                        flags |= PADDED;
                        let mut payload = Vec::with_capacity(1 + n + p);
                        payload.push(p as u8);
                        payload.extend_from_slice(chunk);
                        payload.resize(1 + n + p, 0);
                        frame(&mut out, DATA, flags, self.stream, &payload);
                        end = header_at + 9 + 1 + n;
                    }
                    None => {
                        frame(&mut out, DATA, flags, self.stream, chunk);
                        end = header_at + 9 + n;
                    }
                }
                if !last && rng.chance(0.03) {
                    // Stream 0 between two DATA frames: more credit for the peer.
                    window_update(&mut out, 0, rng.range(1, 1 << 16) as u32);
                }
            }
        }
        (out, end)
    }

    /// An empty DATA frame with END_STREAM: a side ending its half after its last write.
    pub fn end_stream(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9);
        frame(&mut out, DATA, END_STREAM, self.stream, &[]);
        out
    }
}
