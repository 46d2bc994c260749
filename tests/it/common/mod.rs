//! Helpers shared by the test modules: here, for those that build captures in code
//! (`websocket::synthetic`, `stack::reassembly`, ...): RFC 6455 frame bytes, a [`Session`] that plays one TCP connection
//! (client 10.0.0.1, server 10.0.0.2) and tracks both sequence numbers, and running the
//! library on the packets through a pcap written to a temporary directory.
//!
//! In modules of their own: the JSON report of an application fixture (`app`), HTTP/2
//! bytes (`h2`), reports kept in memory or on disk (`kept`), wire text as markup
//! (`markup`), pcapng built and read (`pcapng`), a proxied session's report (`proxied`),
//! running the binary (`run`), saying a test was skipped (`skip`), wss:// sessions made by
//! rustls (`wss`). Each test module uses a different subset of these helpers.
#![allow(dead_code)]

pub mod app;
pub mod collide;
pub mod h2;
pub mod kept;
pub mod markup;
pub mod pcapng;
pub mod proxied;
pub mod recorded;
pub mod run;
pub mod skip;
pub mod wss;

/// The recorded captures in `fixtures/`, sorted by name.
pub fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pcap"))
        .collect();
    files.sort();
    assert!(files.len() > 20);
    files
}

use etherparse::PacketBuilder;
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::report::{ConnectionReport, Report};
use wsclose::vocab::{
    Kind, LinkType,
    Role::{self, Client, Server},
    Timestamp,
};

// ---------------------------------------------------------------------------------------
// WebSocket bytes
// ---------------------------------------------------------------------------------------

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
/// RSV1 in the library's convention (RSV1..RSV3 as the low three bits).
pub const RSV1: u8 = 0b100;
/// The masking key of RFC 6455 §5.7's examples.
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// How to write the payload length.
#[derive(Clone, Copy)]
pub enum Len {
    Minimal,
    Force16,
}

/// One frame: the 7/16/64-bit length is picked from the payload, `mask` is applied.
pub fn frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    frame_len(fin, rsv, opcode, mask, Len::Minimal, payload)
}

pub fn frame_len(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    len: Len,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    let n = payload.len();
    match len {
        Len::Minimal if n < 126 => out.push(m | n as u8),
        Len::Minimal if n > 0xFFFF => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        _ => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// The mask a conforming sender of this role uses.
pub fn mask_of(from: Role) -> Option<[u8; 4]> {
    (from == Client).then_some(MASK)
}

pub fn text(from: Role, s: &str) -> Vec<u8> {
    frame(true, 0, OP_TEXT, mask_of(from), s.as_bytes())
}

pub fn binary(from: Role, data: &[u8]) -> Vec<u8> {
    frame(true, 0, OP_BINARY, mask_of(from), data)
}

pub fn ping(from: Role, data: &[u8]) -> Vec<u8> {
    frame(true, 0, OP_PING, mask_of(from), data)
}

pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

pub fn close(from: Role, code: u16, reason: &str) -> Vec<u8> {
    close_raw(from, &close_payload(code, reason))
}

pub fn close_raw(from: Role, payload: &[u8]) -> Vec<u8> {
    frame(true, 0, OP_CLOSE, mask_of(from), payload)
}

/// `n` bytes of a recognisable pattern.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

pub fn request() -> Vec<u8> {
    b"GET /chat HTTP/1.1\r\n\
      Host: example.test\r\n\
      Upgrade: websocket\r\n\
      Connection: Upgrade\r\n\
      Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
      Sec-WebSocket-Version: 13\r\n\r\n"
        .to_vec()
}

pub fn response(deflate: bool) -> Vec<u8> {
    let mut r = b"HTTP/1.1 101 Switching Protocols\r\n\
      Upgrade: websocket\r\n\
      Connection: Upgrade\r\n\
      Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        .to_vec();
    if deflate {
        r.extend_from_slice(b"Sec-WebSocket-Extensions: permessage-deflate\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r
}

// ---------------------------------------------------------------------------------------
// TCP sessions
// ---------------------------------------------------------------------------------------

pub const SYN: u8 = 1;
pub const FIN: u8 = 2;
pub const RST: u8 = 4;
pub const NO_ACK: u8 = 8;

/// One captured packet. `id` is its number in the order it was built, so a test that
/// permutes the packets can still find where each one went.
#[derive(Clone)]
pub struct Pkt {
    pub id: u64,
    pub data: Vec<u8>,
    pub orig_len: u32,
    /// Who sent it.
    pub from: Role,
    /// The session's clock when it was built (used by [`analyze_timed`] only).
    pub ts: Timestamp,
}

pub struct Session {
    pub link: LinkType,
    /// Client, server (10.0.0.1 and 10.0.0.2 unless set).
    pub ips: [[u8; 4]; 2],
    /// Client, server.
    pub ports: [u16; 2],
    pub isn: [u32; 2],
    /// Next sequence number of each side.
    pub next: [u32; 2],
    /// The window each side advertises.
    pub window: [u16; 2],
    /// Capture time of the next packet; each packet moves it 1 ms on.
    pub clock: Timestamp,
    pub pkts: Vec<Pkt>,
}

/// Capture time of the first packet of every session.
pub const T0: Timestamp = Timestamp(1_700_000_000_000_000_000);

pub fn side(r: Role) -> usize {
    match r {
        Client => 0,
        Server => 1,
    }
}

impl Session {
    pub fn new(client_port: u16, server_port: u16) -> Session {
        Session {
            link: LinkType::RAW,
            ips: [[10, 0, 0, 1], [10, 0, 0, 2]],
            ports: [client_port, server_port],
            isn: [1_000, 5_000_000],
            next: [1_001, 5_000_001],
            window: [65535, 65535],
            clock: T0,
            pkts: Vec::new(),
        }
    }

    pub fn isns(mut self, client: u32, server: u32) -> Session {
        self.isn = [client, server];
        self.next = [client.wrapping_add(1), server.wrapping_add(1)];
        self
    }

    /// The client's IPv4 address is `ip`.
    pub fn client_ip(mut self, ip: [u8; 4]) -> Session {
        self.ips[0] = ip;
        self
    }

    pub fn ethernet(mut self) -> Session {
        self.link = LinkType::ETHERNET;
        self
    }

    /// Builds and records one segment from `from`; returns its packet number. The segment
    /// acknowledges everything the peer sent unless `NO_ACK` is in `flags`; `captured`
    /// models a snaplen cut (payload bytes kept).
    pub fn emit(
        &mut self,
        from: Role,
        flags: u8,
        seq: u32,
        payload: &[u8],
        captured: Option<usize>,
    ) -> u64 {
        let (s, d) = (side(from), 1 - side(from));
        let ips = self.ips;
        let macs = [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]];
        let ip = if self.link == LinkType::ETHERNET {
            PacketBuilder::ethernet2(macs[s], macs[d]).ipv4(ips[s], ips[d], 64)
        } else {
            PacketBuilder::ipv4(ips[s], ips[d], 64)
        };
        let mut b = ip.tcp(self.ports[s], self.ports[d], seq, self.window[s]);
        if flags & SYN != 0 {
            b = b.syn();
        }
        if flags & FIN != 0 {
            b = b.fin();
        }
        if flags & RST != 0 {
            b = b.rst();
        }
        if flags & NO_ACK == 0 {
            b = b.ack(self.next[d]);
        }
        if !payload.is_empty() {
            b = b.psh();
        }
        let mut data = Vec::with_capacity(b.size(payload.len()));
        b.write(&mut data, payload).unwrap();
        let orig_len = data.len() as u32;
        if let Some(keep) = captured {
            data.truncate(data.len() - payload.len() + keep);
        }
        let id = self.pkts.len() as u64 + 1;
        let ts = self.clock;
        self.clock = Timestamp(ts.0 + 1_000_000);
        self.pkts.push(Pkt {
            id,
            data,
            orig_len,
            from,
            ts,
        });
        id
    }

    pub fn syn(&mut self) -> u64 {
        self.emit(Client, SYN | NO_ACK, self.isn[0], &[], None)
    }

    pub fn syn_ack(&mut self) -> u64 {
        self.emit(Server, SYN, self.isn[1], &[], None)
    }

    /// SYN, SYN/ACK, ACK: packets 1-3 of a fresh session.
    pub fn handshake(&mut self) {
        self.syn();
        self.syn_ack();
        self.ack(Client);
    }

    /// The TCP handshake, the upgrade request (packet 4) and the 101 response (packet 5).
    pub fn open(&mut self) {
        self.open_with(false);
    }

    /// [`Session::open`], with permessage-deflate offered and agreed if `deflate`.
    pub fn open_with(&mut self, deflate: bool) {
        self.handshake();
        let mut req = request();
        if deflate {
            // The offer the agreement answers (RFC 6455 §9.1: a server agrees only to
            // extensions offered).
            req.truncate(req.len() - 2);
            req.extend_from_slice(b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
        }
        self.send(Client, &req);
        self.send(Server, &response(deflate));
    }

    /// [`Session::open`] with another `Sec-WebSocket-Key` and its `accept` (RFC 6455 §4.2.2):
    /// a second session at the same time as another, each with its own random key as real
    /// clients send, not one session seen at two points (`diagnose::points` pairs on the key).
    pub fn open_keyed(&mut self, key: &str, accept: &str) {
        self.handshake();
        let req = String::from_utf8(request())
            .unwrap()
            .replace("dGhlIHNhbXBsZSBub25jZQ==", key);
        let res = String::from_utf8(response(false))
            .unwrap()
            .replace("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accept);
        self.send(Client, req.as_bytes());
        self.send(Server, res.as_bytes());
    }

    /// A new connection on the same 4-tuple: new ISNs, then `handshake` again.
    pub fn reconnect(&mut self, client_isn: u32, server_isn: u32) {
        self.isn = [client_isn, server_isn];
        self.next = [client_isn.wrapping_add(1), server_isn.wrapping_add(1)];
    }

    /// `bytes` from `from` in one segment.
    pub fn send(&mut self, from: Role, bytes: &[u8]) -> u64 {
        let seq = self.next[side(from)];
        let n = self.emit(from, 0, seq, bytes, None);
        self.next[side(from)] = seq.wrapping_add(bytes.len() as u32);
        n
    }

    /// `bytes` from `from` in segments of at most `size` bytes.
    pub fn send_chunks(&mut self, from: Role, bytes: &[u8], size: usize) -> Vec<u64> {
        bytes.chunks(size).map(|c| self.send(from, c)).collect()
    }

    /// `bytes` from `from` split at the given offsets.
    pub fn send_split(&mut self, from: Role, bytes: &[u8], cuts: &[usize]) -> Vec<u64> {
        let mut at = 0;
        let mut out = Vec::new();
        for &c in cuts.iter().chain([bytes.len()].iter()) {
            out.push(self.send(from, &bytes[at..c]));
            at = c;
        }
        out
    }

    /// `bytes` were sent by `from` but the capture missed the segment.
    pub fn lose(&mut self, from: Role, bytes: &[u8]) {
        let s = side(from);
        self.next[s] = self.next[s].wrapping_add(bytes.len() as u32);
    }

    /// `bytes` in one segment of which the capture kept only the first `keep` payload bytes.
    pub fn send_cut(&mut self, from: Role, bytes: &[u8], keep: usize) -> u64 {
        let seq = self.next[side(from)];
        let n = self.emit(from, 0, seq, bytes, Some(keep));
        self.next[side(from)] = seq.wrapping_add(bytes.len() as u32);
        n
    }

    pub fn ack(&mut self, from: Role) -> u64 {
        let seq = self.next[side(from)];
        self.emit(from, 0, seq, &[], None)
    }

    pub fn fin(&mut self, from: Role) -> u64 {
        let seq = self.next[side(from)];
        let n = self.emit(from, FIN, seq, &[], None);
        self.next[side(from)] = seq.wrapping_add(1);
        n
    }

    /// `bytes` and a FIN in the same segment.
    pub fn send_fin(&mut self, from: Role, bytes: &[u8]) -> u64 {
        let seq = self.next[side(from)];
        let n = self.emit(from, FIN, seq, bytes, None);
        self.next[side(from)] = seq.wrapping_add(bytes.len() as u32 + 1);
        n
    }

    pub fn rst(&mut self, from: Role) -> u64 {
        let seq = self.next[side(from)];
        self.emit(from, RST, seq, &[], None)
    }

    /// Both sides close TCP: FIN from `first`, FIN from the other, last ACK.
    pub fn fins(&mut self, first: Role) {
        self.fin(first);
        self.fin(first.peer());
        self.ack(first);
    }

    pub fn analyze(&self) -> Report {
        analyze(self.link, &self.pkts)
    }
}

/// Writes `pkts` (1 ms apart, in the order given) as a pcap and analyzes it with the
/// default options.
pub fn analyze(link: LinkType, pkts: &[Pkt]) -> Report {
    let times: Vec<Timestamp> = (0..pkts.len())
        .map(|i| Timestamp(T0.0 + i as i64 * 1_000_000))
        .collect();
    analyze_pcap(link, pkts, &times, Options::default())
}

/// Like [`analyze`], but each packet keeps the time its session's clock gave it.
pub fn analyze_timed(link: LinkType, pkts: &[Pkt], opts: Options) -> Report {
    let times: Vec<Timestamp> = pkts.iter().map(|p| p.ts).collect();
    analyze_pcap(link, pkts, &times, opts)
}

/// Writes `pkts` with capture times `times` as a pcap (snaplen 262144, as libpcap's
/// default) in a temporary directory and analyzes it.
pub fn analyze_pcap(link: LinkType, pkts: &[Pkt], times: &[Timestamp], opts: Options) -> Report {
    let mut w = PcapWriter::new(Vec::new(), link, 262_144).unwrap();
    for (p, ts) in pkts.iter().zip(times) {
        w.packet(*ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synthetic.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    wsclose::analyze_files(&[path], opts).unwrap()
}

/// The report's only connection.
pub fn only(report: &Report) -> &ConnectionReport {
    assert_eq!(
        report.connections.len(),
        1,
        "connections: {:#?}",
        report.connections
    );
    &report.connections[0]
}

/// (side, code, reason, packet) of each close frame, in report order.
pub fn closes(c: &ConnectionReport) -> Vec<(Role, Option<u16>, String, u64)> {
    c.close_frames
        .iter()
        .map(|f| (f.from, f.code, f.reason.clone(), f.packet))
        .collect()
}

pub fn cl(from: Role, code: u16, reason: &str, packet: u64) -> (Role, Option<u16>, String, u64) {
    (from, Some(code), reason.to_string(), packet)
}

/// (kind, side, packet) of each finding.
pub fn findings(c: &ConnectionReport) -> Vec<(Kind, Option<Role>, Option<u64>)> {
    c.findings
        .iter()
        .map(|f| (f.kind, f.from, f.packet))
        .collect()
}

/// A tiny deterministic PRNG (xorshift64*), so permutations are reproducible.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}
