//! The benchmark corpus generator, shared by `examples/gen_capture.rs` (the command),
//! `tests/it/generated.rs` (ground-truth test) and `benches/hot_paths.rs` (in-memory pipeline).
//!
//! It plays many concurrent TCP connections, interleaved packet by packet in time, and
//! streams every packet to a [`Sink`] (a pcap file in practice) while it writes the ground
//! truth of every WebSocket connection as JSON. Memory follows the connections in flight
//! (`concurrency`), never the size of the output.
//!
//! What is in it:
//! - WebSocket connections (about 87%): a real HTTP/1.1 upgrade (random
//!   `Sec-WebSocket-Key`, matching `Sec-WebSocket-Accept`), then messages: mostly small JSON
//!   text, some medium binary, a few large ones (16 KiB to 1 MiB, over many segments),
//!   fragmented messages (with pings between fragments), pings and pongs, bursts of several
//!   frames per segment; client frames masked with a fresh random key per frame, server
//!   frames not; then an ending from a realistic mix (clean closes with 1000, 1001, 1008,
//!   1011, 4xxx and others, empty close frames, TCP FIN or RST without any close frame, a
//!   close answered by an RST, a FIN before the close frame, connections still open).
//! - With `Config::deflate` above 0 (`--deflate SHARE`), that share of the WebSocket
//!   connections negotiates permessage-deflate (RFC 7692; some with
//!   `server_no_context_takeover` or `client_no_context_takeover`, compression levels 1 to
//!   9) and compresses about nine in ten data messages, fragmented ones as one message split
//!   across frames. Off by default, and then no random draw is spent on it: a seed makes
//!   the same capture as before the option existed.
//! - With `Config::tls` above 0 (`--tls SHARE`), that share of the WebSocket connections
//!   runs over TLS (wss://, `tls.rs`): TLS 1.3 AES-128-GCM, TLS 1.3 ChaCha20-Poly1305 or
//!   TLS 1.2 ECDHE AES-128-GCM, a handshake with random secrets, the same WebSocket bytes
//!   in application-data records (records across segments, several in one), close_notify
//!   before the FIN of a clean close; the NSS key log goes to the writer given to
//!   [`generate_with_keylog`]. Off by default, with no random draw: the same bytes again.
//! - With `Config::h2` above 0 (`--h2 SHARE`), that share of the WebSocket connections runs
//!   over HTTP/2 (RFC 8441, `h2.rs`): h2c with prior knowledge, or h2 inside TLS (ALPN `h2`)
//!   when also drawn for TLS; one extended CONNECT stream per TCP connection (stream 1, or
//!   3 after a GET), answered `:status 200`, every WebSocket write in DATA frames, END_STREAM
//!   on the DATA frame of a close frame, and endings of its own: RST_STREAM (CANCEL and
//!   others, a browser's after the close frames too), a GOAWAY with an error, a GOAWAY
//!   that lets the stream run, the HTTP/2 connection left open after the stream. Off by
//!   default, with no random draw: the same bytes again.
//! - Plain HTTP request/response connections (about 10%, some with keep-alive) and
//!   TLS-looking connections on 443 (about 3%): not WebSocket.
//! - UDP (DNS-like query/response pairs).
//! - IPv4 and about 15% IPv6; Ethernet link type; MSS-sized segments (1448 bytes with the
//!   timestamp option, 1428 over IPv6), 64 KiB "offloaded" segments on about 15% of server
//!   directions and 5% of client directions; pure ACKs; rare spurious retransmissions
//!   (identical bytes).
//!
//! Everything comes from one seeded SplitMix64 generator, so a seed reproduces the same
//! bytes. Timestamps increase with the bytes written, at `rate_mbps`.
//!
//! The truth, per WebSocket connection: client and server ("ip:port", "[ip]:port" for IPv6),
//! the close frames in the order their last byte reached the wire (from, code or null,
//! reason, and the number of the packet that completes the frame), how TCP ended first,
//! and the expected status code: the first close frame's code, 1005 when it has no code,
//! 1006 when a FIN or RST came before any close frame, null while still open; whether it
//! negotiated permessage-deflate and how many messages each side compressed; its TLS
//! (version, cipher suite, the packet of each side's close_notify) or null. A close frame
//! over TLS is completed by the packet that completes the record holding its last byte.
//! Also the status each side's application saw (`seen_by`: the peer's close code when it
//! arrived before the peer's half ended, else 1006 once anything ended), the transport
//! ("http/1.1" or "h2") with the HTTP/2 stream and the handshake's status (101, or 200),
//! and the stream's endings (`stream_ends`: END_STREAM, RST_STREAM, GOAWAY, who, error
//! code, last stream, whether it ends the stream, packet). Over HTTP/2 a close frame and an
//! END_STREAM count at the packet of their last data byte (the DATA frame's padding may
//! follow), RST_STREAM and GOAWAY at the packet that completes them; the status counts
//! END_STREAM, RST_STREAM and a GOAWAY that ends the stream as endings, as FIN and RST are.

#![allow(dead_code)]

pub mod h2;
pub mod socketio;
pub mod tls;

use base64::Engine as _;
use etherparse::PacketBuilder;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{LinkType, Timestamp};

/// Snaplen written in the pcap header (the largest packet is about 65 KB).
pub const SNAPLEN: u32 = 262_144;
/// WebSocket and HTTP servers on ports tshark dissects as HTTP by default.
pub const HTTP_PORTS: [u16; 2] = [80, 8080];
/// WebSocket and HTTP servers on ports tshark needs `-d tcp.port==P,http` for.
pub const OTHER_PORTS: [u16; 2] = [8765, 9001];
const TLS_PORT: u16 = 443;
/// Capture start: 2026-01-15T10:00:00Z.
const START_SECS: i64 = 1_768_471_200;

const C: usize = 0;
const S: usize = 1;

#[derive(Debug, Clone)]
pub struct Config {
    /// TCP connections to generate (WebSocket and not).
    pub connections: u64,
    /// Target size of the capture file in bytes (reached within a few percent).
    pub size: u64,
    pub seed: u64,
    /// Connections in flight at once.
    pub concurrency: usize,
    /// Capture time advances as if the link carried this many megabits per second.
    pub rate_mbps: u64,
    /// Share (0 to 1) of WebSocket connections that negotiate permessage-deflate (RFC 7692)
    /// and compress their data messages. At 0 (the default) no random draw is spent on it,
    /// so a seed gives the same bytes as before the option existed.
    pub deflate: f64,
    /// Share (0 to 1) of WebSocket connections that run over TLS. At 0 (the default) no
    /// random draw is spent on it, so a seed gives the same bytes as before the option.
    pub tls: f64,
    /// The one TLS version and cipher suite every wss:// connection uses; `None` (the
    /// default) draws one per connection (45 % TLS 1.3 AES-128-GCM, 20 % TLS 1.3
    /// ChaCha20-Poly1305, 35 % TLS 1.2 AES-128-GCM). The draw is made either way, so the
    /// rest of the capture is the same.
    pub tls_suite: Option<tls::Flavor>,
    /// Share (0 to 1) of WebSocket connections that run over HTTP/2 (RFC 8441): h2c, or
    /// h2 inside TLS when the connection is also wss://. At 0 (the default) no random
    /// draw is spent on it, so a seed gives the same bytes as before the option.
    pub h2: f64,
    /// Every WebSocket connection is a socket.io session (`socketio.rs`; over HTTP/1.1:
    /// not with `h2`). Off by default, with no random draw: the same bytes again.
    pub socketio: bool,
}

impl Config {
    pub fn new(connections: u64, size: u64, seed: u64) -> Config {
        Config {
            connections,
            size,
            seed,
            concurrency: (connections / 10).clamp(1, 256) as usize,
            rate_mbps: 200,
            deflate: 0.0,
            tls: 0.0,
            tls_suite: None,
            h2: 0.0,
            socketio: false,
        }
    }
}

/// Where packets go. A pcap writer in practice; a vector in benchmarks.
pub trait Sink {
    fn emit(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()>;
}

impl<W: Write> Sink for PcapWriter<W> {
    fn emit(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        self.packet(ts, data, data.len() as u32)
    }
}

/// Packets kept in memory: one flat buffer plus (timestamp, start, end) per packet.
#[derive(Default)]
pub struct MemSink {
    pub data: Vec<u8>,
    pub index: Vec<(Timestamp, usize, usize)>,
}

impl Sink for MemSink {
    fn emit(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        let start = self.data.len();
        self.data.extend_from_slice(data);
        self.index.push((ts, start, self.data.len()));
        Ok(())
    }
}

/// Opens `path` and writes the pcap global header (Ethernet link type).
pub fn pcap_file(path: &std::path::Path) -> io::Result<PcapWriter<io::BufWriter<std::fs::File>>> {
    let f = std::fs::File::create(path)?;
    PcapWriter::new(
        io::BufWriter::with_capacity(1 << 20, f),
        LinkType::ETHERNET,
        SNAPLEN,
    )
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub packets: u64,
    /// Bytes of the pcap file (global header and record headers included).
    pub bytes: u64,
    pub websocket: u64,
    /// Of the WebSocket connections, those over TLS.
    pub tls: u64,
    /// Of the WebSocket connections, those over HTTP/2.
    pub h2: u64,
    pub other_tcp: u64,
    pub udp_packets: u64,
    /// WebSocket connections per expected status ("open" for none).
    pub by_status: BTreeMap<String, u64>,
}

// ---------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------

/// SplitMix64: tiny, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let v = self.next_u64().to_le_bytes();
        let n = rest.len();
        rest.copy_from_slice(&v[..n]);
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }
}

// ---------------------------------------------------------------------------------------
// WebSocket and HTTP bytes
// ---------------------------------------------------------------------------------------

const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

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

const WORDS: &[&str] = &[
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
const TYPES: &[&str] = &[
    "update", "tick", "presence", "chat", "ack", "snapshot", "event",
];

/// JSON-looking valid UTF-8 text of about `len` bytes (multi-byte characters included).
fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
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
fn ws_key(rng: &mut Rng) -> String {
    base64::engine::general_purpose::STANDARD.encode(rng.bytes(16))
}

const PATHS: &[&str] = &[
    "/ws",
    "/chat",
    "/socket.io/?EIO=4&transport=websocket",
    "/api/stream",
    "/live/feed?market=EU",
    "/graphql",
    "/notifications",
];
const HOSTS: &[&str] = &[
    "chat.example.test",
    "stream.example.test",
    "api.example.test",
    "ws.example.test",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Python/3.12 websockets/13.1",
    "okhttp/4.12.0",
];

fn upgrade_request(
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

fn upgrade_response(key: &str, proto: Option<&str>, extension: Option<&str>) -> Vec<u8> {
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

fn http_request(rng: &mut Rng) -> Vec<u8> {
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

fn http_response(rng: &mut Rng, body_len: usize) -> Vec<u8> {
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
fn tls_record(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut r = vec![0x17, 0x03, 0x03];
    r.extend_from_slice(&(len as u16).to_be_bytes());
    r.extend_from_slice(&rng.bytes(len));
    r
}

// ---------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------

const F_SYN: u8 = 1;
const F_ACK: u8 = 2;
const F_FIN: u8 = 4;
const F_RST: u8 = 8;
const F_PSH: u8 = 16;

fn mac_of(ip: IpAddr) -> [u8; 6] {
    let b = match ip {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => {
            let o = a.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    [0x02, 0x42, b[0], b[1], b[2], b[3]]
}

/// The output: sink, packet numbers, file size, capture clock.
struct Out<'a, K: Sink> {
    sink: &'a mut K,
    packets: u64,
    bytes: u64,
    /// Capture time, nanoseconds since the epoch.
    now: i64,
    rate_mbps: u64,
    buf: Vec<u8>,
    jitter: Rng,
}

impl<K: Sink> Out<'_, K> {
    /// Writes the packet in `self.buf`; returns its number.
    fn flush_buf(&mut self) -> io::Result<u64> {
        let len = self.buf.len() as i64;
        self.now += len * 8_000 / self.rate_mbps as i64 + self.jitter.below(2_000) as i64 + 1;
        self.packets += 1;
        self.bytes += 16 + len as u64;
        self.sink.emit(Timestamp(self.now), &self.buf)?;
        Ok(self.packets)
    }

    /// Milliseconds since the capture start, for TCP timestamps.
    fn ms(&self) -> u32 {
        ((self.now - START_SECS * 1_000_000_000) / 1_000_000) as u32
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        ack: u32,
        flags: u8,
        window: u16,
        options: &[u8],
        payload: &[u8],
    ) -> io::Result<u64> {
        let b = PacketBuilder::ethernet2(mac_of(src.ip()), mac_of(dst.ip()));
        let b = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => b.ipv4(s.octets(), d.octets(), 64),
            (IpAddr::V6(s), IpAddr::V6(d)) => b.ipv6(s.octets(), d.octets(), 64),
            _ => unreachable!("mixed address families"),
        };
        let mut t = b.tcp(src.port(), dst.port(), seq, window);
        if flags & F_ACK != 0 {
            t = t.ack(ack);
        }
        if flags & F_SYN != 0 {
            t = t.syn();
        }
        if flags & F_FIN != 0 {
            t = t.fin();
        }
        if flags & F_RST != 0 {
            t = t.rst();
        }
        if flags & F_PSH != 0 {
            t = t.psh();
        }
        let t = t.options_raw(options).expect("tcp options fit");
        self.buf.clear();
        t.write_to_vec(&mut self.buf, payload)
            .expect("packet fits in memory");
        self.flush_buf()
    }

    fn udp(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> io::Result<u64> {
        let b = PacketBuilder::ethernet2(mac_of(src.ip()), mac_of(dst.ip()));
        let b = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => b.ipv4(s.octets(), d.octets(), 64),
            (IpAddr::V6(s), IpAddr::V6(d)) => b.ipv6(s.octets(), d.octets(), 64),
            _ => unreachable!("mixed address families"),
        };
        self.buf.clear();
        b.udp(src.port(), dst.port())
            .write_to_vec(&mut self.buf, payload)
            .expect("packet fits in memory");
        self.flush_buf()
    }
}

// ---------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ws,
    Http,
    Tls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Data,
    Ending,
}

/// A close frame of the truth.
#[derive(Debug, Clone)]
struct CloseTruth {
    from: usize,
    code: Option<u16>,
    reason: String,
    packet: u64,
}

enum Op {
    Syn,
    SynAck,
    /// A pure ACK from this side.
    Ack(usize),
    /// The application of this side hands bytes to TCP (no packet); a close frame ends
    /// with these bytes when the truth is given.
    Write(usize, Vec<u8>, Option<CloseTruth>),
    /// [`Op::Write`] whose side then ends its half of the HTTP/2 stream: END_STREAM on
    /// the last DATA frame (over HTTP/1.1 a plain write).
    WriteEnd(usize, Vec<u8>, Option<CloseTruth>),
    /// Bytes of the layer under the WebSocket (HTTP/2 frames), sealed in records over
    /// TLS, with things of the truth that end at the given offsets of these bytes.
    App(usize, Vec<u8>, Vec<(usize, Mark)>),
    /// Bytes handed to TCP as they are: TLS handshake records.
    Raw(usize, Vec<u8>),
    /// One segment from a side with bytes waiting; repeats until nothing waits.
    Flush,
    /// The same segment again (a spurious retransmission).
    Again(usize, u32, Vec<u8>),
    Fin(usize),
    Rst(usize),
    /// The connection is over.
    Done,
    /// The connection stays open, silent, to the end of the capture.
    Linger,
}

/// Something of the truth that ends at a byte of a side's stream: the packet that carries
/// that byte (over TLS, completes its record) is its packet.
enum Mark {
    Close(CloseTruth),
    StreamEnd(StreamEndTruth),
}

/// An ending of the HTTP/2 stream as the truth lists it (and wsclose's `stream_ends`).
#[derive(Debug, Clone)]
struct StreamEndTruth {
    by: usize,
    /// "end_stream", "rst_stream" or "goaway".
    kind: &'static str,
    error_code: Option<&'static str>,
    last_stream: Option<u32>,
    /// Whether it ends the stream (RFC 9113 §5.1, §6.8: END_STREAM ends the sender's
    /// half, RST_STREAM both; a GOAWAY ends it when it carries an error, or when the
    /// server says it processes no stream as high).
    ends: bool,
    packet: u64,
}

impl StreamEndTruth {
    fn end_stream(by: usize) -> StreamEndTruth {
        StreamEndTruth {
            by,
            kind: "end_stream",
            error_code: None,
            last_stream: None,
            ends: true,
            packet: 0,
        }
    }

    fn rst_stream(by: usize, code: h2::ErrorCode) -> StreamEndTruth {
        StreamEndTruth {
            by,
            kind: "rst_stream",
            error_code: Some(code.1),
            last_stream: None,
            ends: true,
            packet: 0,
        }
    }

    fn goaway(by: usize, stream: u32, last_stream: u32, code: h2::ErrorCode) -> StreamEndTruth {
        StreamEndTruth {
            by,
            kind: "goaway",
            error_code: Some(code.1),
            last_stream: Some(last_stream),
            ends: code != h2::NO_ERROR || (by == S && stream > last_stream),
            packet: 0,
        }
    }
}

/// What ended or closed the WebSocket, in the order it reached the wire: the status each
/// application saw follows from it.
#[derive(Debug, Clone, Copy)]
enum Ev {
    Close {
        from: usize,
        code: Option<u16>,
    },
    /// A FIN or END_STREAM (`both` false: the sender's half), an RST, RST_STREAM or a
    /// GOAWAY that ends the stream (`both`).
    End {
        by: usize,
        both: bool,
    },
}

enum StepResult {
    Packet,
    Done,
    Linger,
}

struct Conn {
    kind: Kind,
    /// [client, server].
    ep: [SocketAddr; 2],
    /// Next sequence number each side sends.
    seq: [u32; 2],
    window: [u16; 2],
    /// Maximum payload per segment per side.
    seg: [usize; 2],
    ts_base: [u32; 2],
    outbox: [Vec<u8>; 2],
    pos: [usize; 2],
    /// Bytes handed to TCP so far, and bytes sent, per side.
    written_stream: [u64; 2],
    sent_stream: [u64; 2],
    /// Close frames and stream endings waiting for their last byte to be sent: (stream
    /// end offset, truth).
    marks: [VecDeque<(u64, Mark)>; 2],
    closes: Vec<CloseTruth>,
    /// Close frames and endings in the order they reached the wire.
    events: Vec<Ev>,
    tcp_end: Option<(&'static str, usize)>,
    unacked: [u32; 2],
    ops: VecDeque<Op>,
    phase: Phase,
    /// File bytes this connection may use before it ends, and has used.
    budget: u64,
    used: u64,
    first_packet: u64,
    path: &'static str,
    scenario: &'static str,
    requests: u32,
    /// permessage-deflate, when this WebSocket connection negotiates it.
    deflate: Option<Box<Deflate>>,
    /// Drawn to run over TLS; its TLS once the handshake is planned.
    wss: bool,
    /// The one flavour of TLS to run (`Config::tls_suite`), else drawn.
    suite: Option<tls::Flavor>,
    tls: Option<Box<tls::Tls>>,
    /// Each side's close_notify: the stream offset of its end, then its packet.
    notify_at: [Option<u64>; 2],
    notify_packet: [Option<u64>; 2],
    /// HTTP/2, when this WebSocket connection runs over it.
    h2: Option<Box<h2::H2>>,
    /// Its stream's endings, and whether each side ended its half (or both, reset).
    stream_ends: Vec<StreamEndTruth>,
    h2_done: [bool; 2],
    /// A socket.io session, when `Config::socketio` made this WebSocket one.
    sio: Option<Box<socketio::Sio>>,
}

/// The compression state of a connection that negotiated permessage-deflate: one raw
/// deflate stream per direction (15-bit windows), reset after every message on a side that
/// takes no context over (RFC 7692 §7.1.1), and the messages each side compressed.
struct Deflate {
    comp: [flate2::Compress; 2],
    /// [client_no_context_takeover, server_no_context_takeover].
    reset: [bool; 2],
    compressed: [u64; 2],
}

impl Deflate {
    fn new(rng: &mut Rng) -> Deflate {
        let level = flate2::Compression::new(rng.range(1, 9) as u32);
        Deflate {
            comp: [
                flate2::Compress::new(level, false),
                flate2::Compress::new(level, false),
            ],
            reset: [rng.chance(0.3), rng.chance(0.3)],
            compressed: [0, 0],
        }
    }

    /// The extension line of the server's 101 response.
    fn response(&self) -> String {
        let mut e = String::from("permessage-deflate");
        if self.reset[S] {
            e.push_str("; server_no_context_takeover");
        }
        if self.reset[C] {
            e.push_str("; client_no_context_takeover");
        }
        e
    }

    /// Side `d`'s message `payload` compressed ([`deflate_message`]).
    fn compress(&mut self, d: usize, payload: &[u8]) -> Vec<u8> {
        let out = deflate_message(&mut self.comp[d], payload);
        if self.reset[d] {
            self.comp[d].reset();
        }
        self.compressed[d] += 1;
        out
    }
}

/// `payload` compressed as a permessage-deflate sender does: a sync flush, its final empty
/// stored block (`00 00 ff ff`) removed (RFC 7692 §7.2.1). `c` is a raw deflate stream
/// (`Compress::new(level, false)`), kept across messages for context takeover.
pub fn deflate_message(c: &mut flate2::Compress, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() / 2 + 64);
    let mut input = payload;
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let before = c.total_in();
        c.compress_vec(input, &mut out, flate2::FlushCompress::Sync)
            .expect("deflate into a growing vector");
        input = &input[(c.total_in() - before) as usize..];
        // Done when all the input went in and the flush left room in the output.
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
    }
    assert!(
        out.ends_with(&[0, 0, 0xff, 0xff]),
        "a sync flush ends the message"
    );
    out.truncate(out.len() - 4);
    out
}

impl Conn {
    fn remaining(&self) -> u64 {
        self.budget.saturating_sub(self.used)
    }

    fn options(&self, d: usize, ms: u32) -> [u8; 12] {
        let mut o = [1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0];
        o[4..8].copy_from_slice(&self.ts_base[d].wrapping_add(ms).to_be_bytes());
        o[8..12].copy_from_slice(
            &self.ts_base[1 - d]
                .wrapping_add(ms.saturating_sub(1))
                .to_be_bytes(),
        );
        o
    }

    fn send<K: Sink>(
        &mut self,
        out: &mut Out<'_, K>,
        d: usize,
        flags: u8,
        seq: u32,
        payload: &[u8],
    ) -> io::Result<u64> {
        let opts = self.options(d, out.ms());
        let before = out.bytes;
        let n = out.tcp(
            self.ep[d],
            self.ep[1 - d],
            seq,
            self.seq[1 - d],
            flags,
            self.window[d],
            &opts,
            payload,
        )?;
        self.used += out.bytes - before;
        Ok(n)
    }

    fn mask(&self, d: usize, rng: &mut Rng) -> Option<[u8; 4]> {
        (d == C).then(|| (rng.next_u64() as u32).to_ne_bytes())
    }

    fn ws_frame(&self, rng: &mut Rng, d: usize, fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(payload.len() + 14);
        frame(&mut v, fin, op, self.mask(d, rng), payload);
        v
    }

    /// A whole data message of side `d` in one frame: compressed (RSV1 set) on a connection
    /// that negotiated permessage-deflate, except about one in ten (a sender may leave a
    /// message uncompressed).
    fn data_frame(&mut self, rng: &mut Rng, d: usize, op: u8, payload: &[u8]) -> Vec<u8> {
        match self.deflate.as_mut() {
            Some(z) if rng.chance(0.9) => {
                let body = z.compress(d, payload);
                let mut v = Vec::with_capacity(body.len() + 14);
                frame_rsv1(&mut v, true, true, op, self.mask(d, rng), &body);
                v
            }
            _ => self.ws_frame(rng, d, true, op, payload),
        }
    }

    /// A close frame of side `d` (code `None`: empty payload), with its truth.
    fn close_op(&self, rng: &mut Rng, d: usize, code: Option<u16>, reason: &str) -> Op {
        let mut payload = Vec::new();
        if let Some(c) = code {
            payload.extend_from_slice(&c.to_be_bytes());
            payload.extend_from_slice(reason.as_bytes());
        }
        let bytes = self.ws_frame(rng, d, true, OP_CLOSE, &payload);
        Op::Write(
            d,
            bytes,
            Some(CloseTruth {
                from: d,
                code,
                reason: if code.is_some() {
                    reason.to_string()
                } else {
                    String::new()
                },
                packet: 0,
            }),
        )
    }

    fn note_end(&mut self, kind: &'static str, d: usize) {
        self.events.push(Ev::End {
            by: d,
            both: kind == "rst",
        });
        if self.tcp_end.is_none() {
            self.tcp_end = Some((kind, d));
        }
    }

    /// Emits packets until one is written (or the connection ends).
    fn step<K: Sink>(&mut self, out: &mut Out<'_, K>, rng: &mut Rng) -> io::Result<StepResult> {
        if let Some(s) = self.sio.as_mut() {
            s.now = out.now;
        }
        loop {
            let Some(op) = self.ops.pop_front() else {
                self.plan(rng);
                continue;
            };
            match op {
                Op::Syn => {
                    let n = self.syn(out, C)?;
                    self.first_packet = n;
                    return Ok(StepResult::Packet);
                }
                Op::SynAck => {
                    self.syn(out, S)?;
                    return Ok(StepResult::Packet);
                }
                Op::Ack(d) => {
                    self.send(out, d, F_ACK, self.seq[d], &[])?;
                    self.unacked[1 - d] = 0;
                    return Ok(StepResult::Packet);
                }
                Op::Write(d, bytes, mark) => self.write_ws(rng, d, bytes, mark, false),
                Op::WriteEnd(d, bytes, mark) => self.write_ws(rng, d, bytes, mark, true),
                Op::App(d, bytes, marks) => self.write_app(rng, d, bytes, marks),
                Op::Raw(d, bytes) => self.hand_to_tcp(d, bytes),
                Op::Flush => {
                    let waiting: Vec<usize> = (0..2)
                        .filter(|&d| self.pos[d] < self.outbox[d].len())
                        .collect();
                    if waiting.is_empty() {
                        continue;
                    }
                    let d = rng.pick(&waiting);
                    self.segment(out, rng, d)?;
                    return Ok(StepResult::Packet);
                }
                Op::Again(d, seq, bytes) => {
                    self.send(out, d, F_ACK | F_PSH, seq, &bytes)?;
                    return Ok(StepResult::Packet);
                }
                Op::Fin(d) => {
                    if self.close_notify_first(rng, d) {
                        continue;
                    }
                    let seq = self.seq[d];
                    self.seq[d] = seq.wrapping_add(1);
                    // The FIN's own ACK number is the peer's current one.
                    self.send(out, d, F_FIN | F_ACK, seq, &[])?;
                    self.note_end("fin", d);
                    return Ok(StepResult::Packet);
                }
                Op::Rst(d) => {
                    self.send(out, d, F_RST | F_ACK, self.seq[d], &[])?;
                    self.note_end("rst", d);
                    return Ok(StepResult::Packet);
                }
                Op::Done => return Ok(StepResult::Done),
                Op::Linger => return Ok(StepResult::Linger),
            }
        }
    }

    /// Side `d`'s WebSocket layer writes `bytes` (a close frame at their end when `close`
    /// is given): as they are, or over HTTP/2 in DATA frames of the stream, ending the
    /// side's half with `end_stream`.
    fn write_ws(
        &mut self,
        rng: &mut Rng,
        d: usize,
        bytes: Vec<u8>,
        close: Option<CloseTruth>,
        end_stream: bool,
    ) {
        let Some(h) = self.h2.as_ref() else {
            let marks = close.map(|c| (bytes.len(), Mark::Close(c)));
            return self.write_app(rng, d, bytes, marks.into_iter().collect());
        };
        let (frames, at) = h.data(rng, &bytes, end_stream);
        let mut marks = Vec::new();
        if let Some(c) = close {
            marks.push((at, Mark::Close(c)));
        }
        // wsclose passes the stream's end on with the frame's last data byte.
        if end_stream {
            marks.push((at, Mark::StreamEnd(StreamEndTruth::end_stream(d))));
        }
        self.write_app(rng, d, frames, marks);
    }

    /// Side `d` hands `bytes` to TLS (sealed in records) or TCP; each mark's offset in
    /// `bytes` becomes an offset of the TCP stream: over TLS, the end of the record that
    /// holds the byte before it.
    fn write_app(&mut self, rng: &mut Rng, d: usize, bytes: Vec<u8>, marks: Vec<(usize, Mark)>) {
        let base = self.written_stream[d];
        let (wire, at): (Vec<u8>, Vec<usize>) = match self.tls.as_mut() {
            Some(t) => {
                let (wire, records) = t.seal_app(rng, d, &bytes);
                let at = marks
                    .iter()
                    .map(|(p, _)| {
                        records
                            .iter()
                            .find(|(plain_end, _)| plain_end >= p)
                            .map_or(wire.len(), |&(_, end)| end)
                    })
                    .collect();
                (wire, at)
            }
            None => (bytes, marks.iter().map(|(p, _)| *p).collect()),
        };
        self.hand_to_tcp(d, wire);
        for ((_, m), a) in marks.into_iter().zip(at) {
            self.marks[d].push_back((base + a as u64, m));
        }
    }

    /// A stream ending reached the wire in `packet`. A GOAWAY concerns the stream only
    /// while it is open.
    fn stream_end(&mut self, mut e: StreamEndTruth, packet: u64) {
        if e.kind == "goaway" && self.h2_done.iter().all(|&x| x) {
            return;
        }
        e.packet = packet;
        if e.kind == "end_stream" {
            self.h2_done[e.by] = true;
        } else if e.ends {
            self.h2_done = [true; 2];
        }
        if e.ends {
            self.events.push(Ev::End {
                by: e.by,
                both: e.kind != "end_stream",
            });
        }
        self.stream_ends.push(e);
    }

    /// The expected status: the first close frame's code (1005 without one) when it came
    /// before any ending, 1006 after one, `None` while open.
    fn status(&self) -> Option<u16> {
        match self.events.first()? {
            Ev::Close { code, .. } => Some(code.unwrap_or(1005)),
            Ev::End { .. } => Some(1006),
        }
    }

    /// The status side `d`'s application saw: the peer's close code (1005 without one)
    /// when it arrived before the peer's half ended (its FIN or END_STREAM, or anyone's
    /// RST, RST_STREAM or ending GOAWAY); else 1006 once anything ended; else none.
    fn seen_by(&self, d: usize) -> Option<u16> {
        let close = self
            .events
            .iter()
            .position(|e| matches!(e, Ev::Close { from, .. } if *from == 1 - d));
        let cut = self
            .events
            .iter()
            .position(|e| matches!(e, Ev::End { by, both } if *by == 1 - d || *both));
        match close {
            Some(i) if cut.is_none_or(|c| i < c) => match self.events[i] {
                Ev::Close { code, .. } => Some(code.unwrap_or(1005)),
                Ev::End { .. } => unreachable!("a close"),
            },
            _ if self.events.iter().any(|e| matches!(e, Ev::End { .. })) => Some(1006),
            _ => None,
        }
    }

    /// Side `d`'s application hands `bytes` to TCP (no packet yet).
    fn hand_to_tcp(&mut self, d: usize, bytes: Vec<u8>) {
        self.written_stream[d] += bytes.len() as u64;
        if self.outbox[d].is_empty() {
            self.outbox[d] = bytes;
            self.pos[d] = 0;
        } else {
            self.outbox[d].extend_from_slice(&bytes);
        }
    }

    /// Over TLS, side `d` sends close_notify before its FIN: always when the WebSocket
    /// closes cleanly (a close frame, then FINs), half the time on a FIN without a close
    /// frame, never before an RST. When it does, the alert and then the FIN are queued.
    fn close_notify_first(&mut self, rng: &mut Rng, d: usize) -> bool {
        let Some(t) = self.tls.as_mut() else {
            return false;
        };
        if t.notified[d] {
            return false;
        }
        let clean = matches!(
            self.scenario,
            "close-handshake" | "close-then-fin" | "fin-then-close"
        );
        if !clean && !rng.chance(0.5) {
            return false;
        }
        let alert = t.close_notify(d);
        self.hand_to_tcp(d, alert);
        self.notify_at[d] = Some(self.written_stream[d]);
        self.ops.push_front(Op::Fin(d));
        self.ops.push_front(Op::Flush);
        true
    }

    fn syn<K: Sink>(&mut self, out: &mut Out<'_, K>, d: usize) -> io::Result<u64> {
        let ms = out.ms();
        let mss: u16 = if self.ep[0].is_ipv6() { 1440 } else { 1460 };
        let mut o = [2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7];
        o[2..4].copy_from_slice(&mss.to_be_bytes());
        o[8..12].copy_from_slice(&self.ts_base[d].wrapping_add(ms).to_be_bytes());
        if d == S {
            o[12..16].copy_from_slice(&self.ts_base[C].wrapping_add(ms).to_be_bytes());
        }
        let isn = self.seq[d];
        self.seq[d] = isn.wrapping_add(1);
        let flags = if d == C { F_SYN } else { F_SYN | F_ACK };
        let before = out.bytes;
        let n = out.tcp(
            self.ep[d],
            self.ep[1 - d],
            isn,
            self.seq[1 - d],
            flags,
            64_240,
            &o,
            &[],
        )?;
        self.used += out.bytes - before;
        Ok(n)
    }

    /// One data segment from side `d`; queues what follows it (more data, an ACK).
    fn segment<K: Sink>(
        &mut self,
        out: &mut Out<'_, K>,
        rng: &mut Rng,
        d: usize,
    ) -> io::Result<()> {
        let start = self.pos[d];
        let n = (self.outbox[d].len() - start).min(self.seg[d]);
        let end = start + n;
        let last = end == self.outbox[d].len();
        let seq = self.seq[d];
        let flags = if last { F_ACK | F_PSH } else { F_ACK };
        let payload = std::mem::take(&mut self.outbox[d]);
        let packet = self.send(out, d, flags, seq, &payload[start..end])?;
        let again = (n <= 1448 && rng.chance(0.002)).then(|| payload[start..end].to_vec());
        self.outbox[d] = payload;
        self.seq[d] = seq.wrapping_add(n as u32);
        self.sent_stream[d] += n as u64;
        self.pos[d] = end;
        if last {
            self.outbox[d].clear();
            self.outbox[d].shrink_to(64 << 10);
            self.pos[d] = 0;
        }
        while let Some((at, _)) = self.marks[d].front() {
            if *at > self.sent_stream[d] {
                break;
            }
            match self.marks[d].pop_front().expect("front exists").1 {
                Mark::Close(mut t) => {
                    t.packet = packet;
                    self.events.push(Ev::Close {
                        from: t.from,
                        code: t.code,
                    });
                    self.closes.push(t);
                }
                Mark::StreamEnd(e) => self.stream_end(e, packet),
            }
        }
        if self.notify_at[d].is_some_and(|at| at <= self.sent_stream[d]) {
            self.notify_at[d] = None;
            self.notify_packet[d] = Some(packet);
        }
        // What comes next, in reverse order of pushing to the front.
        if (0..2).any(|s| self.pos[s] < self.outbox[s].len()) {
            self.ops.push_front(Op::Flush);
        }
        self.unacked[d] += 1;
        if self.unacked[d] >= 2 || (last && rng.chance(0.6)) {
            self.unacked[d] = 0;
            self.ops.push_front(Op::Ack(1 - d));
        }
        if let Some(bytes) = again {
            self.ops.push_front(Op::Again(d, seq, bytes));
        }
        Ok(())
    }

    /// Queues the next things this connection does.
    fn plan(&mut self, rng: &mut Rng) {
        match self.phase {
            Phase::Handshake => {
                self.ops.extend([Op::Syn, Op::SynAck, Op::Ack(C)]);
                self.phase = Phase::Data;
                match self.kind {
                    Kind::Ws if self.h2.is_some() => self.plan_h2_opening(rng),
                    Kind::Ws => {
                        let key = ws_key(rng);
                        let proto = rng.chance(0.2).then_some("chat");
                        let deflate = self.deflate.is_some();
                        let host = rng.pick(HOSTS);
                        let req = upgrade_request(rng, self.path, host, &key, proto, deflate);
                        let ext = self.deflate.as_ref().map(|z| z.response());
                        let mut resp = upgrade_response(&key, proto, ext.as_deref());
                        if let Some(open) = self.sio.as_ref().map(|s| s.open()) {
                            // socket.io: the OPEN goes with the 101.
                            frame(&mut resp, true, OP_TEXT, None, &open);
                        } else if rng.chance(0.1) {
                            // The server's first frame in the segment of the 101 response.
                            let t = {
                                let n = rng.range(20, 200) as usize;
                                text(rng, n)
                            };
                            frame(&mut resp, true, OP_TEXT, None, &t);
                        }
                        if self.wss {
                            self.plan_tls_handshake(rng, host, vec![(C, req), (S, resp)]);
                        } else {
                            self.ops.extend([
                                Op::Write(C, req, None),
                                Op::Flush,
                                Op::Write(S, resp, None),
                                Op::Flush,
                            ]);
                        }
                        self.plan_sio_opening(rng);
                    }
                    Kind::Http | Kind::Tls => {}
                }
            }
            Phase::Data => match self.kind {
                Kind::Ws if self.sio.is_some() => self.plan_sio(rng),
                Kind::Ws => self.plan_ws(rng),
                Kind::Http => self.plan_http(rng),
                Kind::Tls => self.plan_tls(rng),
            },
            Phase::Ending => unreachable!("an ending always finishes with Done or Linger"),
        }
    }

    /// A wss:// opening: the TLS handshake for server name `host`, then `writes` (the
    /// client's first, then the server's, and so on: the upgrade request and response, or
    /// HTTP/2's opening) as application data. In TLS 1.3 the client's Finished and its
    /// first write share a segment, and a NewSessionTicket may come before the server's;
    /// in TLS 1.2 the client speaks after the server's Finished.
    fn plan_tls_handshake(&mut self, rng: &mut Rng, host: &str, writes: Vec<(usize, Vec<u8>)>) {
        let (t, hs) = tls::Tls::new(rng, host, self.h2.is_some(), self.suite);
        let tls13 = t.flavor.tls13();
        self.tls = Some(Box::new(t));
        self.ops.extend([
            Op::Raw(C, hs.client_hello),
            Op::Flush,
            Op::Raw(S, hs.server_flight),
            Op::Flush,
            Op::Raw(C, hs.client_finish),
        ]);
        let mut server_finish = Some(hs.server_finish);
        if !tls13 {
            let f = server_finish.take().unwrap_or_default();
            self.ops.extend([Op::Flush, Op::Raw(S, f), Op::Flush]);
        }
        for (i, (d, w)) in writes.into_iter().enumerate() {
            if i == 1 {
                if let Some(f) = server_finish.take() {
                    self.ops.push_back(Op::Raw(S, f));
                }
            }
            self.ops.extend([Op::App(d, w, Vec::new()), Op::Flush]);
        }
    }

    /// An HTTP/2 opening ([`h2::H2::opening`]), inside TLS for a wss:// connection.
    fn plan_h2_opening(&mut self, rng: &mut Rng) {
        let proto = rng.chance(0.2).then_some("chat");
        let host = rng.pick(HOSTS);
        let agent = rng.pick(AGENTS);
        let offer_deflate = self.deflate.is_some() || rng.chance(0.3);
        let ext = self.deflate.as_ref().map(|z| z.response());
        let server_first = rng.chance(0.1).then(|| {
            let n = rng.range(20, 200) as usize;
            let t = text(rng, n);
            let mut f = Vec::new();
            frame(&mut f, true, OP_TEXT, None, &t);
            f
        });
        let connect = h2::Connect {
            tls: self.wss,
            path: self.path,
            host,
            agent,
            proto,
            offer_deflate,
            agreed_extension: ext.as_deref(),
        };
        let writes = self.h2.as_mut().expect("an HTTP/2 connection").opening(
            rng,
            &connect,
            server_first.as_deref(),
        );
        if self.wss {
            self.plan_tls_handshake(rng, host, writes);
        } else {
            for (d, w) in writes {
                self.ops.extend([Op::App(d, w, Vec::new()), Op::Flush]);
            }
        }
    }

    /// HTTP/2 frames of side `d`: `bytes`, ending with the stream ending `e`.
    fn h2_frame(&self, d: usize, bytes: Vec<u8>, e: StreamEndTruth) -> Op {
        let n = bytes.len();
        Op::App(d, bytes, vec![(n, Mark::StreamEnd(e))])
    }

    /// Side `d`'s close frame over HTTP/2, ending its half of the stream when `end`:
    /// END_STREAM on the DATA frame of the close frame, or (one time in seven) on an
    /// empty DATA frame right after it.
    fn h2_close(
        &self,
        rng: &mut Rng,
        d: usize,
        code: Option<u16>,
        reason: &str,
        end: bool,
    ) -> Vec<Op> {
        let Op::Write(_, bytes, truth) = self.close_op(rng, d, code, reason) else {
            unreachable!("close_op writes");
        };
        if !end {
            return vec![Op::Write(d, bytes, truth)];
        }
        if rng.chance(0.85) {
            return vec![Op::WriteEnd(d, bytes, truth)];
        }
        let h = self.h2.as_ref().expect("an HTTP/2 connection");
        vec![
            Op::Write(d, bytes, truth),
            self.h2_frame(d, h.end_stream(), StreamEndTruth::end_stream(d)),
        ]
    }

    /// How a WebSocket over HTTP/2 ends: the scenarios of [`Conn::plan_ending`] with
    /// END_STREAM on the close frames, and the stream's own endings: RST_STREAM, a
    /// GOAWAY with an error, a GOAWAY that lets the stream run, and a browser's
    /// RST_STREAM CANCEL after the close frames.
    fn plan_ending_h2(&mut self, rng: &mut Rng) {
        self.phase = Phase::Ending;
        let stream = self.h2.as_ref().expect("an HTTP/2 connection").stream;
        let init = if rng.chance(0.5) { C } else { S };
        let peer = 1 - init;
        if rng.chance(0.2) {
            let m = self.small_message(rng, init);
            self.ops.push_back(Op::Write(init, m, None));
        }
        let scenario = rng.weighted(&[52, 3, 3, 6, 6, 5, 1, 2, 8, 6, 5, 3]);
        let (code, reason) = pick_close(rng);
        if matches!(scenario, 3..=6 | 8 | 9) {
            self.ops.push_back(Op::Flush);
        }
        // After the stream: TCP ends, or the HTTP/2 connection stays up.
        let fins = |first: usize| [Op::Fin(first), Op::Fin(1 - first), Op::Ack(first), Op::Done];
        let tail = |rng: &mut Rng, who: usize| -> Vec<Op> {
            if rng.chance(0.4) {
                vec![Op::Linger]
            } else {
                fins(who).into()
            }
        };
        match scenario {
            0 => {
                self.scenario = "close-handshake";
                let ops = self.h2_close(rng, init, code, reason, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let (rc, rr) = match code {
                    None => (None, ""),
                    Some(c) => match rng.weighted(&[60, 25, 15]) {
                        0 => (Some(c), ""),
                        1 => (Some(1000), ""),
                        _ => (Some(c), reason),
                    },
                };
                let ops = self.h2_close(rng, peer, rc, rr, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let first = if rng.chance(0.8) { S } else { C };
                match rng.weighted(&[70, 20, 10]) {
                    0 => self.ops.extend(fins(first)),
                    1 => self.ops.push_back(Op::Linger),
                    _ => {
                        // A graceful GOAWAY after the stream is over: it concerns no stream.
                        let g = h2::goaway(stream, h2::NO_ERROR);
                        let e = StreamEndTruth::goaway(S, stream, stream, h2::NO_ERROR);
                        self.ops.extend([self.h2_frame(S, g, e), Op::Flush]);
                        self.ops.extend(fins(S));
                    }
                }
            }
            1 => {
                self.scenario = "close-then-rst";
                let end = rng.chance(0.5);
                let ops = self.h2_close(rng, init, code, reason, end);
                self.ops.extend(ops);
                let who = if rng.chance(0.5) { init } else { peer };
                self.ops.extend([Op::Flush, Op::Rst(who), Op::Done]);
            }
            2 => {
                self.scenario = "close-then-fin";
                let end = rng.chance(0.8);
                let ops = self.h2_close(rng, init, code, reason, end);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                self.ops.extend(fins(init));
            }
            3 => {
                self.scenario = "fin-no-close";
                if rng.chance(0.8) {
                    self.ops.extend(fins(init));
                } else {
                    self.ops.extend([Op::Fin(init), Op::Rst(peer), Op::Done]);
                }
            }
            4 => {
                self.scenario = "rst-no-close";
                self.ops.extend([Op::Rst(init), Op::Done]);
            }
            5 => {
                self.scenario = "open";
                if rng.chance(0.3) {
                    // The server announces its shutdown but lets the stream run (RFC 9113
                    // §6.8): listed, not an ending.
                    let g = h2::goaway(stream, h2::NO_ERROR);
                    let e = StreamEndTruth::goaway(S, stream, stream, h2::NO_ERROR);
                    self.ops.extend([self.h2_frame(S, g, e), Op::Flush]);
                }
                self.ops.push_back(Op::Linger);
            }
            6 => {
                self.scenario = "fin-then-close";
                self.ops.push_back(Op::Fin(C));
                let ops = self.h2_close(rng, S, Some(1000), "", true);
                self.ops.extend(ops);
                self.ops
                    .extend([Op::Flush, Op::Fin(S), Op::Ack(C), Op::Done]);
            }
            7 => {
                self.scenario = "close-unanswered-open";
                let end = rng.chance(0.5);
                let ops = self.h2_close(rng, init, code, reason, end);
                self.ops.extend(ops);
                self.ops.extend([Op::Flush, Op::Linger]);
            }
            8 => {
                self.scenario = "rst-stream";
                let code = if init == C && rng.chance(0.7) {
                    h2::CANCEL
                } else {
                    rng.pick(&[
                        h2::CANCEL,
                        h2::INTERNAL_ERROR,
                        h2::CONNECT_ERROR,
                        h2::ENHANCE_YOUR_CALM,
                        h2::PROTOCOL_ERROR,
                    ])
                };
                let r = h2::rst_stream(stream, code);
                let e = StreamEndTruth::rst_stream(init, code);
                self.ops.extend([self.h2_frame(init, r, e), Op::Flush]);
                let t = tail(rng, init);
                self.ops.extend(t);
            }
            9 => {
                self.scenario = "goaway";
                let who = if rng.chance(0.7) { S } else { C };
                let code = rng.pick(&[
                    h2::INTERNAL_ERROR,
                    h2::PROTOCOL_ERROR,
                    h2::ENHANCE_YOUR_CALM,
                ]);
                // The stream was processed: the last stream is it (the client's GOAWAY
                // names the server's streams: none).
                let last = if who == S { stream } else { 0 };
                let g = h2::goaway(last, code);
                let e = StreamEndTruth::goaway(who, stream, last, code);
                self.ops.extend([self.h2_frame(who, g, e), Op::Flush]);
                self.ops.extend(fins(who));
            }
            10 => {
                // A browser: its close frame with END_STREAM, the server's close frame
                // without, then RST_STREAM CANCEL; a clean close for both.
                self.scenario = "close-then-rst-stream";
                let ops = self.h2_close(rng, C, code, reason, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let ops = self.h2_close(rng, S, code, "", false);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let r = h2::rst_stream(stream, h2::CANCEL);
                let e = StreamEndTruth::rst_stream(C, h2::CANCEL);
                self.ops.extend([self.h2_frame(C, r, e), Op::Flush]);
                let t = tail(rng, C);
                self.ops.extend(t);
            }
            _ => {
                // The server closes first with END_STREAM; the browser answers with
                // RST_STREAM and no close frame: its page still got the server's code.
                self.scenario = "server-close-then-rst-stream";
                let ops = self.h2_close(rng, S, code, reason, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let r = h2::rst_stream(stream, h2::CANCEL);
                let e = StreamEndTruth::rst_stream(C, h2::CANCEL);
                self.ops.extend([self.h2_frame(C, r, e), Op::Flush]);
                let t = tail(rng, S);
                self.ops.extend(t);
            }
        }
    }

    fn plan_http(&mut self, rng: &mut Rng) {
        if self.requests > 0 && (self.remaining() == 0 || rng.chance(0.5)) {
            self.phase = Phase::Ending;
            let first = if rng.chance(0.5) { C } else { S };
            self.ops
                .extend([Op::Fin(first), Op::Fin(1 - first), Op::Ack(first), Op::Done]);
            return;
        }
        self.requests += 1;
        let body = if rng.chance(0.7) {
            rng.range(100, 6_000)
        } else {
            rng.range(6_000, self.remaining().clamp(6_000, 2 << 20))
        };
        let req = http_request(rng);
        let resp = http_response(rng, body as usize);
        self.ops.extend([
            Op::Write(C, req, None),
            Op::Flush,
            Op::Write(S, resp, None),
            Op::Flush,
        ]);
    }

    fn plan_tls(&mut self, rng: &mut Rng) {
        if self.requests > 0 && (self.remaining() == 0 || rng.chance(0.3)) {
            self.phase = Phase::Ending;
            self.ops
                .extend([Op::Fin(C), Op::Fin(S), Op::Ack(C), Op::Done]);
            return;
        }
        self.requests += 1;
        let up = {
            let n = rng.range(60, 900) as usize;
            tls_record(rng, n)
        };
        let mut down = Vec::new();
        let mut left = rng.range(200, self.remaining().clamp(200, 200_000)) as usize;
        while left > 0 {
            let n = left.min(16_384);
            down.extend_from_slice(&tls_record(rng, n));
            left -= n;
        }
        self.ops.extend([
            Op::Write(C, up, None),
            Op::Flush,
            Op::Write(S, down, None),
            Op::Flush,
        ]);
    }

    fn small_message(&mut self, rng: &mut Rng, d: usize) -> Vec<u8> {
        if self.sio.is_some() {
            let n = rng.range(20, 400) as usize;
            let e = socketio::event(rng, n);
            return self.data_frame(rng, d, OP_TEXT, &e);
        }
        if rng.chance(0.85) {
            let t = {
                let n = rng.range(20, 400) as usize;
                text(rng, n)
            };
            self.data_frame(rng, d, OP_TEXT, &t)
        } else {
            let b = {
                let n = rng.range(1, 400) as usize;
                rng.bytes(n)
            };
            self.data_frame(rng, d, OP_BINARY, &b)
        }
    }

    fn plan_ws(&mut self, rng: &mut Rng) {
        if self.remaining() == 0 {
            if self.h2.is_some() {
                self.plan_ending_h2(rng);
            } else {
                self.plan_ending(rng);
            }
            return;
        }
        if self.h2.is_some() && rng.chance(0.03) {
            // An HTTP/2 PING and its ACK on stream 0, between WebSocket messages.
            let (ping, ack) = h2::ping_pair(rng);
            let d = if rng.chance(0.5) { S } else { C };
            self.ops.extend([
                Op::App(d, ping, Vec::new()),
                Op::Flush,
                Op::App(1 - d, ack, Vec::new()),
                Op::Flush,
            ]);
            return;
        }
        let d = if rng.chance(0.6) { S } else { C };
        match rng.weighted(&[55, 16, 6, 5, 7, 11]) {
            0 => {
                let m = self.small_message(rng, d);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            1 => {
                let b = {
                    let n = rng.range(400, 8_000) as usize;
                    rng.bytes(n)
                };
                let m = self.data_frame(rng, d, OP_BINARY, &b);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            2 if self.remaining() > 16_384 => {
                // 16 KiB .. 1 MiB, log-uniform, within what is left of the budget.
                let size = (16_384.0 * 64f64.powf(rng.unit())) as u64;
                let size = size.min(self.remaining()) as usize;
                let m = if rng.chance(0.3) {
                    let t = text(rng, size);
                    self.data_frame(rng, d, OP_TEXT, &t)
                } else {
                    let b = rng.bytes(size);
                    self.data_frame(rng, d, OP_BINARY, &b)
                };
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            3 => self.plan_fragmented(rng, d),
            4 => {
                let p = {
                    let n = rng.range(0, 16) as usize;
                    rng.bytes(n)
                };
                let ping = self.ws_frame(rng, d, true, OP_PING, &p);
                let pong = self.ws_frame(rng, 1 - d, true, OP_PONG, &p);
                self.ops.extend([
                    Op::Write(d, ping, None),
                    Op::Flush,
                    Op::Write(1 - d, pong, None),
                    Op::Flush,
                ]);
            }
            _ => {
                // A burst: several frames per segment, sometimes both ways at once.
                let mut m = Vec::new();
                for _ in 0..rng.range(2, 6) {
                    m.extend_from_slice(&self.small_message(rng, d));
                }
                self.ops.push_back(Op::Write(d, m, None));
                if rng.chance(0.3) {
                    let other = self.small_message(rng, 1 - d);
                    self.ops.push_back(Op::Write(1 - d, other, None));
                }
                self.ops.push_back(Op::Flush);
            }
        }
    }

    /// A message in 2..=6 fragments split at arbitrary bytes (inside UTF-8 characters too),
    /// each in its own segment; sometimes a ping between fragments, answered afterwards.
    fn plan_fragmented(&mut self, rng: &mut Rng, d: usize) {
        let is_text = rng.chance(0.6);
        let len = rng.range(10, 6_000) as usize;
        let body = if is_text {
            text(rng, len)
        } else {
            rng.bytes(len)
        };
        // Compressed as one message, whose compressed bytes are then split (RFC 7692 §6.1).
        let (body, compressed) = match self.deflate.as_mut() {
            Some(z) if rng.chance(0.9) => (z.compress(d, &body), true),
            _ => (body, false),
        };
        let n = rng.range(2, 6) as usize;
        let mut cuts: Vec<usize> = (0..n - 1)
            .map(|_| rng.below(body.len() as u64 + 1) as usize)
            .collect();
        cuts.sort_unstable();
        cuts.insert(0, 0);
        cuts.push(body.len());
        let mut ping: Option<Vec<u8>> = None;
        for i in 0..n {
            let op = match (i, is_text) {
                (0, true) => OP_TEXT,
                (0, false) => OP_BINARY,
                _ => OP_CONT,
            };
            let mut f = Vec::with_capacity(cuts[i + 1] - cuts[i] + 14);
            let rsv1 = compressed && i == 0;
            let mask = self.mask(d, rng);
            frame_rsv1(
                &mut f,
                i == n - 1,
                rsv1,
                op,
                mask,
                &body[cuts[i]..cuts[i + 1]],
            );
            self.ops.extend([Op::Write(d, f, None), Op::Flush]);
            if i < n - 1 && ping.is_none() && rng.chance(0.3) {
                let p = rng.bytes(4);
                let f = self.ws_frame(rng, d, true, OP_PING, &p);
                self.ops.extend([Op::Write(d, f, None), Op::Flush]);
                ping = Some(p);
            }
        }
        if let Some(p) = ping {
            let f = self.ws_frame(rng, 1 - d, true, OP_PONG, &p);
            self.ops.extend([Op::Write(1 - d, f, None), Op::Flush]);
        }
    }

    /// How the connection ends.
    fn plan_ending(&mut self, rng: &mut Rng) {
        self.phase = Phase::Ending;
        let init = if rng.chance(0.5) { C } else { S };
        let peer = 1 - init;
        // Sometimes the last message goes out with the close frame.
        if rng.chance(0.2) {
            let m = self.small_message(rng, init);
            self.ops.push_back(Op::Write(init, m, None));
        }
        let scenario = rng.weighted(&[70, 3, 2, 8, 8, 5, 1, 1]);
        let (code, reason) = pick_close(rng);
        if matches!(scenario, 3..=6) {
            // No close frame from the initiator to share a segment with: send the message.
            self.ops.push_back(Op::Flush);
        }
        match scenario {
            0 => {
                self.scenario = "close-handshake";
                let op = self.close_op(rng, init, code, reason);
                self.ops.extend([op, Op::Flush]);
                let reply = match code {
                    None => None,
                    Some(c) => match rng.weighted(&[60, 25, 15]) {
                        0 => Some((Some(c), "")),
                        1 => Some((Some(1000), "")),
                        _ => Some((Some(c), reason)),
                    },
                };
                let (rc, rr) = reply.unwrap_or((None, ""));
                let op = self.close_op(rng, peer, rc, rr);
                self.ops.extend([op, Op::Flush]);
                let first = if rng.chance(0.8) { S } else { C };
                self.ops
                    .extend([Op::Fin(first), Op::Fin(1 - first), Op::Ack(first), Op::Done]);
            }
            1 => {
                self.scenario = "close-then-rst";
                let op = self.close_op(rng, init, code, reason);
                let who = if rng.chance(0.5) { init } else { peer };
                self.ops.extend([op, Op::Flush, Op::Rst(who), Op::Done]);
            }
            2 => {
                self.scenario = "close-then-fin";
                let op = self.close_op(rng, init, code, reason);
                self.ops.extend([
                    op,
                    Op::Flush,
                    Op::Fin(init),
                    Op::Fin(peer),
                    Op::Ack(init),
                    Op::Done,
                ]);
            }
            3 => {
                self.scenario = "fin-no-close";
                if rng.chance(0.8) {
                    self.ops
                        .extend([Op::Fin(init), Op::Fin(peer), Op::Ack(init), Op::Done]);
                } else {
                    self.ops.extend([Op::Fin(init), Op::Rst(peer), Op::Done]);
                }
            }
            4 => {
                self.scenario = "rst-no-close";
                self.ops.extend([Op::Rst(init), Op::Done]);
            }
            5 => {
                self.scenario = "open";
                self.ops.push_back(Op::Linger);
            }
            6 => {
                self.scenario = "fin-then-close";
                let op = self.close_op(rng, S, Some(1000), "");
                self.ops
                    .extend([Op::Fin(C), op, Op::Flush, Op::Fin(S), Op::Ack(C), Op::Done]);
            }
            _ => {
                self.scenario = "close-unanswered-open";
                let op = self.close_op(rng, init, code, reason);
                self.ops.extend([op, Op::Flush, Op::Linger]);
            }
        }
    }

    fn truth(&self) -> serde_json::Value {
        let role = |d: usize| if d == C { "client" } else { "server" };
        json!({
            "client": self.ep[C].to_string(),
            "server": self.ep[S].to_string(),
            "first_packet": self.first_packet,
            "path": self.path,
            "scenario": self.scenario,
            "close_frames": self.closes.iter().map(|c| json!({
                "from": role(c.from),
                "code": c.code,
                "reason": c.reason,
                "packet": c.packet,
            })).collect::<Vec<_>>(),
            "tcp_end": self.tcp_end.map_or("open", |(k, _)| k),
            "tcp_end_by": self.tcp_end.map(|(_, d)| role(d)),
            "status": self.status(),
            "seen_by": {
                "client": self.seen_by(C),
                "server": self.seen_by(S),
            },
            "transport": if self.h2.is_some() { "h2" } else { "http/1.1" },
            "h2_stream": self.h2.as_ref().map(|h| h.stream),
            "handshake_status": if self.h2.is_some() { 200 } else { 101 },
            "stream_ends": self.stream_ends.iter().map(|e| json!({
                "by": role(e.by),
                "kind": e.kind,
                "error_code": e.error_code,
                "last_stream": e.last_stream,
                "ends_stream": e.ends,
                "packet": e.packet,
            })).collect::<Vec<_>>(),
            "deflate": self.deflate.is_some(),
            "compressed_messages": {
                "client": self.deflate.as_ref().map_or(0, |z| z.compressed[C]),
                "server": self.deflate.as_ref().map_or(0, |z| z.compressed[S]),
            },
            "app": self.sio_truth(),
            "tls": self.tls.as_ref().map(|t| json!({
                "version": t.flavor.version(),
                "cipher_suite": t.flavor.suite_name(),
                "close_notify": {
                    "client": self.notify_packet[C],
                    "server": self.notify_packet[S],
                },
            })),
        })
    }

    fn status_key(&self) -> String {
        match self.status() {
            Some(c) => c.to_string(),
            None => "open".into(),
        }
    }
}

/// The initiator's close code and reason (code `None`: an empty close frame).
fn pick_close(rng: &mut Rng) -> (Option<u16>, &'static str) {
    const NORMAL: &[&str] = &["", "", "bye", "normal closure", "done", "session ended ✓"];
    const AWAY: &[&str] = &["", "going away", "server shutting down", "redéploiement"];
    const POLICY: &[&str] = &["token expired", "origin not allowed", "rate limit exceeded"];
    const ERROR: &[&str] = &["internal error", "upstream timeout", "database unavailable"];
    const APP: &[(u16, &str)] = &[
        (4000, "custom close"),
        (4001, "unauthorized"),
        (4003, "forbidden"),
        (4008, "heartbeat timeout"),
        (4010, "kicked: duplicate session"),
        (4429, "too many requests"),
        (4999, "application error — ünïcödé"),
    ];
    match rng.weighted(&[55, 12, 5, 5, 8, 6, 1, 1, 1]) {
        0 => (Some(1000), rng.pick(NORMAL)),
        1 => (Some(1001), rng.pick(AWAY)),
        2 => (Some(1008), rng.pick(POLICY)),
        3 => (Some(1011), rng.pick(ERROR)),
        4 => {
            let (c, r) = rng.pick(APP);
            (Some(c), r)
        }
        5 => (None, ""),
        6 => (Some(1003), "unsupported data"),
        7 => (Some(1009), "message too big"),
        _ => (Some(1002), "protocol error"),
    }
}

// ---------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------

const V4_HOSTS: usize = 600;
const V6_HOSTS: usize = 120;

struct Hosts {
    next_port: Vec<u16>,
}

impl Hosts {
    fn new(rng: &mut Rng) -> Hosts {
        Hosts {
            next_port: (0..V4_HOSTS + V6_HOSTS)
                .map(|_| rng.range(32_768, 45_000) as u16)
                .collect(),
        }
    }

    /// A client endpoint never used before in this capture (per host, ports only grow).
    fn client(&mut self, rng: &mut Rng, v6: bool) -> SocketAddr {
        let h = if v6 {
            V4_HOSTS + rng.below(V6_HOSTS as u64) as usize
        } else {
            rng.below(V4_HOSTS as u64) as usize
        };
        let port = self.next_port[h];
        self.next_port[h] = port.wrapping_add(rng.range(1, 3) as u16);
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::new(
                0xfd00,
                0x1,
                0,
                0,
                0,
                0,
                0,
                (h - V4_HOSTS) as u16 + 0x10,
            ))
        } else {
            IpAddr::V4(Ipv4Addr::new(10, 1, (h / 200) as u8, (h % 200) as u8 + 10))
        };
        SocketAddr::new(ip, port)
    }
}

fn server(rng: &mut Rng, v6: bool, port: u16) -> SocketAddr {
    let ip = if v6 {
        IpAddr::V6(Ipv6Addr::new(
            0xfd00,
            0x200,
            0,
            0,
            0,
            0,
            0,
            rng.range(1, 4) as u16,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 200, 0, rng.range(1, 8) as u8))
    };
    SocketAddr::new(ip, port)
}

/// Streams the truth JSON.
struct Truth<T: Write> {
    out: T,
    first: bool,
}

impl<T: Write> Truth<T> {
    fn connection(&mut self, c: &Conn) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &c.truth())?;
        Ok(())
    }
}

/// Generates the capture into `sink` and its truth into `truth` (the key log of TLS
/// connections, if any, is dropped: see [`generate_with_keylog`]).
pub fn generate<K: Sink, T: Write>(cfg: &Config, sink: &mut K, truth: T) -> io::Result<Summary> {
    generate_with_keylog(cfg, sink, truth, io::sink())
}

/// [`generate`], writing the NSS key log of the TLS connections (`Config::tls`) to
/// `keylog`, each connection's lines when its handshake is planned.
pub fn generate_with_keylog<K: Sink, T: Write, L: Write>(
    cfg: &Config,
    sink: &mut K,
    truth: T,
    mut keylog: L,
) -> io::Result<Summary> {
    let mut rng = Rng::new(cfg.seed);
    let mut out = Out {
        sink,
        packets: 0,
        bytes: 24,
        now: START_SECS * 1_000_000_000,
        rate_mbps: cfg.rate_mbps.max(1),
        buf: Vec::with_capacity(70_000),
        jitter: Rng::new(cfg.seed.wrapping_add(1)),
    };
    let mut truth = Truth {
        out: truth,
        first: true,
    };
    let head = json!({
        "generator": "wsclose examples/gen_capture",
        "seed": cfg.seed,
        "connections": cfg.connections,
        "size": cfg.size,
        "link_type": 1,
        "http_ports": HTTP_PORTS,
        "other_ports": OTHER_PORTS,
        "tls": cfg.tls,
        "h2": cfg.h2,
        "app": if cfg.socketio { Some("socketio") } else { None },
    })
    .to_string();
    // The head without its closing brace, then the connections array.
    truth.out.write_all(&head.as_bytes()[..head.len() - 1])?;
    truth.out.write_all(b",\"websocket_connections\":[\n")?;

    let mut summary = Summary::default();
    let mut hosts = Hosts::new(&mut rng);
    let mut active: Vec<Conn> = Vec::with_capacity(cfg.concurrency);
    let mut started = 0u64;
    loop {
        while active.len() < cfg.concurrency.max(1) && started < cfg.connections {
            let committed: u64 = active.iter().map(Conn::remaining).sum();
            let left = cfg.size.saturating_sub(out.bytes).saturating_sub(committed);
            let mean = left / (cfg.connections - started);
            let factor = if rng.chance(0.8) {
                0.05 + 0.55 * rng.unit()
            } else {
                1.0 + 5.4 * rng.unit()
            };
            let budget = (mean as f64 * factor) as u64;
            active.push(new_conn(
                &mut rng,
                &mut hosts,
                budget,
                cfg.deflate,
                (cfg.tls, cfg.tls_suite),
                cfg.h2,
                cfg.socketio,
            ));
            started += 1;
        }
        if active.is_empty() {
            break;
        }
        if rng.chance(0.01) {
            udp_pair(&mut out, &mut rng, &mut hosts)?;
            summary.udp_packets += 2;
        }
        let i = rng.below(active.len() as u64) as usize;
        let stepped = active[i].step(&mut out, &mut rng)?;
        if let Some(t) = active[i].tls.as_mut() {
            let lines = t.take_keylog();
            if !lines.is_empty() {
                keylog.write_all(lines.as_bytes())?;
            }
        }
        match stepped {
            StepResult::Packet => {}
            StepResult::Done | StepResult::Linger => {
                let c = active.swap_remove(i);
                if c.kind == Kind::Ws {
                    summary.websocket += 1;
                    summary.tls += u64::from(c.tls.is_some());
                    summary.h2 += u64::from(c.h2.is_some());
                    *summary.by_status.entry(c.status_key()).or_default() += 1;
                    truth.connection(&c)?;
                } else {
                    summary.other_tcp += 1;
                }
            }
        }
    }
    summary.packets = out.packets;
    summary.bytes = out.bytes;
    let tail = json!({
        "packets": summary.packets,
        "bytes": summary.bytes,
        "websocket": summary.websocket,
        "tls": summary.tls,
        "h2": summary.h2,
        "other_tcp": summary.other_tcp,
        "udp_packets": summary.udp_packets,
        "by_status": summary.by_status,
    });
    write!(truth.out, "\n],\"summary\":{tail}}}\n")?;
    truth.out.flush()?;
    keylog.flush()?;
    Ok(summary)
}

fn new_conn(
    rng: &mut Rng,
    hosts: &mut Hosts,
    budget: u64,
    deflate: f64,
    (tls, suite): (f64, Option<tls::Flavor>),
    h2_share: f64,
    socketio: bool,
) -> Conn {
    let kind = match rng.weighted(&[87, 10, 3]) {
        0 => Kind::Ws,
        1 => Kind::Http,
        _ => Kind::Tls,
    };
    let v6 = rng.chance(0.15);
    let port = match kind {
        Kind::Tls => TLS_PORT,
        _ if rng.chance(0.5) => rng.pick(&HTTP_PORTS),
        _ => rng.pick(&OTHER_PORTS),
    };
    let mss = if v6 { 1428 } else { 1448 };
    let seg = [
        if rng.chance(0.05) { 65_160 } else { mss },
        if rng.chance(0.15) { 65_160 } else { mss },
    ];
    Conn {
        kind,
        ep: [hosts.client(rng, v6), server(rng, v6, port)],
        seq: [rng.next_u64() as u32, rng.next_u64() as u32],
        window: [rng.range(500, 3_000) as u16, rng.range(500, 3_000) as u16],
        seg,
        ts_base: [rng.next_u64() as u32, rng.next_u64() as u32],
        outbox: [Vec::new(), Vec::new()],
        pos: [0, 0],
        written_stream: [0, 0],
        sent_stream: [0, 0],
        marks: [VecDeque::new(), VecDeque::new()],
        closes: Vec::new(),
        events: Vec::new(),
        tcp_end: None,
        unacked: [0, 0],
        ops: VecDeque::new(),
        phase: Phase::Handshake,
        budget,
        used: 0,
        first_packet: 0,
        path: match rng.pick(PATHS) {
            _ if socketio && kind == Kind::Ws => socketio::PATH,
            p => p,
        },
        scenario: "",
        requests: 0,
        // No draw at all without compression: the same seed, the same bytes.
        deflate: (deflate > 0.0 && kind == Kind::Ws && rng.chance(deflate))
            .then(|| Box::new(Deflate::new(rng))),
        // Likewise no draw without TLS.
        wss: tls > 0.0 && kind == Kind::Ws && rng.chance(tls),
        suite,
        tls: None,
        notify_at: [None; 2],
        notify_packet: [None; 2],
        // Likewise no draw without HTTP/2.
        h2: (h2_share > 0.0 && kind == Kind::Ws && rng.chance(h2_share))
            .then(|| Box::new(h2::H2::new())),
        stream_ends: Vec::new(),
        h2_done: [false; 2],
        // Likewise no draw without socket.io.
        sio: (socketio && kind == Kind::Ws).then(|| Box::new(socketio::Sio::new(rng))),
    }
}

/// A DNS-looking query and its answer.
fn udp_pair<K: Sink>(out: &mut Out<'_, K>, rng: &mut Rng, hosts: &mut Hosts) -> io::Result<()> {
    let v6 = rng.chance(0.15);
    let mut client = hosts.client(rng, v6);
    client.set_port(rng.range(10_000, 60_000) as u16);
    let dns = if v6 {
        SocketAddr::new(
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0x53, 0, 0, 0, 0, 0, 1)),
            53,
        )
    } else {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 200, 0, 53)), 53)
    };
    let q = {
        let n = rng.range(30, 60) as usize;
        rng.bytes(n)
    };
    out.udp(client, dns, &q)?;
    let a = {
        let n = rng.range(60, 200) as usize;
        rng.bytes(n)
    };
    out.udp(dns, client, &a)?;
    Ok(())
}

/// Parses sizes like `1G`, `200M`, `5MB`, `64KiB`, `1000` (K/M/G decimal; Ki/Mi/Gi binary).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("bad size unit in {s:?}")),
    };
    Ok((n * mult) as u64)
}
