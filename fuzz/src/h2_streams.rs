//! The `h2_streams` target: many WebSocket streams over one HTTP/2 connection (RFC 8441),
//! then what the input says, frame by frame: PINGs, SETTINGS, WINDOW_UPDATEs, DATA on one
//! stream, RST_STREAM, GOAWAY from either side, END_STREAM, and new streams. The bytes go
//! through `stack::Stack` as TCP hands them over.
//!
//! Checked: no panic, and the work a packet costs does not grow with the streams
//! (`Stack::h2_visits`, a count of the streams the layer visits, independent of time): a
//! PING, SETTINGS or WINDOW_UPDATE visits none, a DATA frame or RST_STREAM its own stream
//! only, a new stream none; only the first `MAX_GOAWAYS` GOAWAYs of a side visit the
//! streams (each at most all of them), and every other GOAWAY none.

use wsclose::vocab::Timestamp;
use wsclose::__internals::flow::{Event, Side};
use wsclose::__internals::stack::h2::layer::MAX_GOAWAYS;
use wsclose::__internals::stack::h2::PREFACE;
use wsclose::__internals::stack::tls::keylog::KeyLog;
use wsclose::__internals::stack::Stack;

const CLIENT: Side = Side::A;
const SERVER: Side = Side::B;

/// An HTTP/2 frame.
pub fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = len.to_be_bytes()[1..].to_vec();
    v.extend([ty, flags]);
    v.extend((stream & 0x7fff_ffff).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// A header block of literal fields without indexing (RFC 7541 §6.2.2), no Huffman coding.
fn block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (n, val) in fields {
        v.push(0);
        v.push(n.len() as u8);
        v.extend(n.as_bytes());
        v.push(val.len() as u8);
        v.extend(val.as_bytes());
    }
    v
}

/// The extended CONNECT of stream `id`.
fn connect(id: u32) -> Vec<u8> {
    let path = format!("/s{id}");
    frame(
        0x1,
        0x4,
        id,
        &block(&[
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", &path),
            (":authority", "example.org"),
            ("sec-websocket-version", "13"),
        ]),
    )
}

/// The server's 200 on stream `id`.
fn answer(id: u32) -> Vec<u8> {
    frame(0x1, 0x4, id, &block(&[(":status", "200")]))
}

/// One connection fed by hand: its stack and the packet count.
struct Conn {
    st: Stack,
    keys: KeyLog,
    packet: u64,
}

impl Conn {
    fn send(&mut self, side: Side, bytes: &[u8]) {
        self.packet += 1;
        self.st.on_event(
            side,
            Event::Data {
                offset: 0,
                bytes,
                packet: self.packet,
                ts: Timestamp(self.packet as i64 * 1_000_000),
            },
            &self.keys,
        );
    }
}

/// What one operation may visit: none, its own stream, or (a GOAWAY) every stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum May {
    None,
    One,
    All,
}

/// Byte 0: the number of streams opened first (16 × (1 + byte 0 % 64): 16 to 1 024);
/// then operations of 3 bytes `[op][a][b]`.
pub fn h2_streams(data: &[u8]) {
    let Some((&n, mut ops)) = data.split_first() else {
        return;
    };
    let streams = 16 * (1 + u32::from(n % 64));
    let mut c = Conn {
        st: Stack::default(),
        keys: KeyLog::new(),
        packet: 0,
    };
    let mut hello = PREFACE.to_vec();
    hello.extend(frame(0x4, 0, 0, &[]));
    c.send(CLIENT, &hello);
    c.send(SERVER, &frame(0x4, 0, 0, &[0, 8, 0, 0, 0, 1]));
    for i in 0..streams {
        c.send(CLIENT, &connect(2 * i + 1));
        c.send(SERVER, &answer(2 * i + 1));
    }
    assert_eq!(c.st.streams(), streams as usize, "the streams did not open");
    let mut next = 2 * streams + 1;
    let mut goaways = [0u32; 2];
    while let [op, a, b, rest @ ..] = ops {
        ops = rest;
        let id = 2 * ((u32::from(*a) << 8 | u32::from(*b)) % next.div_ceil(2)) + 1;
        let side = if op & 0x80 != 0 { SERVER } else { CLIENT };
        let (bytes, may) = match op & 0x0f {
            0 => (frame(0x6, 0, 0, &[*a; 8]), May::None),
            1 => (frame(0x6, 1, 0, &[*b; 8]), May::None),
            2 => (frame(0x4, 0, 0, &[0, 3, 0, 0, 0, *a]), May::None),
            3 => (frame(0x8, 0, 0, &[0, 0, *a, *b]), May::None),
            4 | 5 => {
                // A WebSocket text frame (masked from the client), END_STREAM on 5.
                let ws = if side == CLIENT {
                    vec![0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]
                } else {
                    vec![0x81, 2, b'h', b'i']
                };
                (frame(0x0, u8::from(op & 0x0f == 5), id, &ws), May::One)
            }
            6 => (frame(0x3, 0, id, &u32::from(*a).to_be_bytes()), May::One),
            7 | 8 => {
                // GOAWAY: last stream from the input (all of them when a's top bit is set),
                // NO_ERROR on 7, the code b on 8.
                let last = if a & 0x80 != 0 { 0x7fff_ffff } else { id };
                let code = if op & 0x0f == 7 { 0 } else { u32::from(*b) };
                let mut p = last.to_be_bytes().to_vec();
                p.extend(code.to_be_bytes());
                let k = usize::from(side == SERVER);
                goaways[k] += 1;
                let may = if goaways[k] <= MAX_GOAWAYS {
                    May::All
                } else {
                    May::None
                };
                (frame(0x7, 0, 0, &p), may)
            }
            9 => {
                // A new stream (its CONNECT only; the server's answer may follow as 10).
                let id = next;
                next += 2;
                (connect(id), May::None)
            }
            10 => (answer(id), May::None),
            _ => (frame(0x1, 0x4, id, &[]), May::None),
        };
        let before = c.st.h2_visits();
        let open = c.st.streams() as u64;
        c.send(side, &bytes);
        let visited = c.st.h2_visits() - before;
        let bound = match may {
            May::None => 0,
            May::One => 1,
            May::All => open + 1,
        };
        assert!(
            visited <= bound,
            "op {op:#04x} on stream {id} with {open} streams visited {visited} (at most {bound})"
        );
    }
    // TCP's end visits every stream once, as it should: once per side.
    let before = c.st.h2_visits();
    c.st.on_end(SERVER, wsclose::vocab::EndKind::Fin, c.packet + 1);
    c.send(SERVER, &[]);
    assert!(c.st.h2_visits() - before <= c.st.streams() as u64 + 1);
}
