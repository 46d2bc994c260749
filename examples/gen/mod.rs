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
mod plan;
pub mod socketio;
mod step;
pub mod tls;
mod wire;

use base64::Engine as _;
use etherparse::PacketBuilder;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use wire::*;
pub use wire::{frame, frame_rsv1};
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
