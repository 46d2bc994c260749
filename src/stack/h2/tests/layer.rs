//! The HTTP/2 layer in a connection's stack: sessions per extended CONNECT, their
//! handshakes, decoders and stream endings, on hand-made byte streams.

use super::super::PREFACE;
use super::{frame, hpack_block, settings_frame, WS_REQUEST};
use crate::flow::Event;
use crate::flow::Side;
use crate::stack::tls::KeyLog;
use crate::stack::Stack;
use crate::vocab::{Kind, StreamEndKind, Timestamp};
use crate::websocket::session::Session;

const CLIENT: Side = Side::A;
const SERVER: Side = Side::B;

fn feed(st: &mut Stack, s: Side, bytes: &[u8], packet: u64) {
    st.on_event(
        s,
        Event::Data {
            offset: 0,
            bytes,
            packet,
            ts: Timestamp(packet as i64 * 1_000_000),
        },
        &KeyLog::new(),
    );
}

/// A masked client frame (mask 0x01020304) with `opcode` and `payload`, FIN set.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1u8, 2, 3, 4];
    let mut v = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    v.extend_from_slice(&mask);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    v
}

fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80 | opcode, payload.len() as u8];
    v.extend_from_slice(payload);
    v
}

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// The server's preface with ENABLE_CONNECT_PROTOCOL as given (absent if `None`).
fn server_settings(ecp: Option<u32>) -> Vec<u8> {
    match ecp {
        Some(v) => settings_frame(&[(0x8, v)]),
        None => settings_frame(&[(0x3, 100)]),
    }
}

struct Conn {
    st: Stack,
    client_enc: loona_hpack::Encoder<'static>,
    server_enc: loona_hpack::Encoder<'static>,
    packet: u64,
}

impl Conn {
    /// Client preface and SETTINGS, then the server's SETTINGS (with `ecp`).
    fn new(ecp: Option<u32>) -> Conn {
        let mut c = Conn {
            st: Stack::default(),
            client_enc: loona_hpack::Encoder::new(),
            server_enc: loona_hpack::Encoder::new(),
            packet: 3,
        };
        let mut hello = PREFACE.to_vec();
        hello.extend(settings_frame(&[]));
        c.send(CLIENT, &hello);
        c.send(SERVER, &server_settings(ecp));
        c
    }

    fn send(&mut self, s: Side, bytes: &[u8]) -> u64 {
        self.packet += 1;
        let p = self.packet;
        feed(&mut self.st, s, bytes, p);
        p
    }

    fn connect(&mut self, stream: u32, path: &str) -> u64 {
        let mut fields: Vec<(&str, &str)> = WS_REQUEST
            .iter()
            .copied()
            .filter(|(n, _)| *n != ":path")
            .collect();
        fields.push((":path", path));
        let block = hpack_block(&mut self.client_enc, &fields);
        self.send(CLIENT, &frame(0x1, 0x4, stream, &block))
    }

    fn answer(&mut self, stream: u32, status: &str, end_stream: bool) -> u64 {
        let block = hpack_block(&mut self.server_enc, &[(":status", status)]);
        let flags = 0x4 | if end_stream { 0x1 } else { 0 };
        self.send(SERVER, &frame(0x1, flags, stream, &block))
    }

    fn data(&mut self, s: Side, stream: u32, bytes: &[u8], end_stream: bool) -> u64 {
        self.send(s, &frame(0x0, u8::from(end_stream), stream, bytes))
    }

    fn sessions(&self) -> Vec<&Session> {
        self.st.sessions().collect()
    }
}

#[test]
fn a_stream_per_extended_connect_with_its_own_close() {
    let mut c = Conn::new(Some(1));
    c.connect(1, "/one");
    c.connect(3, "/two");
    c.answer(1, "200", false);
    c.answer(3, "200", false);
    c.data(CLIENT, 1, &client_frame(0x1, b"hi"), false);
    c.data(SERVER, 3, &server_frame(0x1, b"yo"), false);
    let close = c.data(
        CLIENT,
        1,
        &client_frame(0x8, &close_payload(1000, "bye")),
        true,
    );
    let reply = c.data(
        SERVER,
        1,
        &server_frame(0x8, &close_payload(1000, "bye")),
        true,
    );
    let rst = c.send(SERVER, &frame(0x3, 0, 3, &8u32.to_be_bytes()));

    let w = c.sessions();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].transport.h2_stream, Some(1));
    assert_eq!(w[1].transport.h2_stream, Some(3));
    assert!(!w[0].transport.tls);
    assert_eq!(w[0].handshake.path.as_deref(), Some("/one"));
    assert_eq!(w[0].handshake.host.as_deref(), Some("example.org"));
    assert_eq!(w[0].handshake.status, Some(200));
    assert_eq!(w[0].upgrade_status(), Some(101));
    // Stream 1: a close each way, each followed by its sender's END_STREAM.
    let closes = |w: &Session, s: Side| {
        w.decoder(s).map(|d| {
            d.closes
                .iter()
                .map(|f| (f.code, f.packet))
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(closes(w[0], CLIENT), Some(vec![(Some(1000), close)]));
    assert_eq!(closes(w[0], SERVER), Some(vec![(Some(1000), reply)]));
    let ends: Vec<_> = w[0]
        .stream_ends()
        .iter()
        .map(|e| (e.by, e.kind, e.packet))
        .collect();
    assert_eq!(
        ends,
        [
            (CLIENT, StreamEndKind::EndStream, close),
            (SERVER, StreamEndKind::EndStream, reply)
        ]
    );
    let close_order = w[0].decoder(CLIENT).unwrap().closes[0].order;
    assert!(
        w[0].stream_ends()[0].order > close_order,
        "END_STREAM after the close frame it rides with"
    );
    // Stream 3: its text, then the server's RST_STREAM CANCEL; no close frame.
    assert_eq!(w[1].stats(SERVER).frames, 1);
    assert_eq!(closes(w[1], SERVER), Some(vec![]));
    assert_eq!(w[1].stream_ends().len(), 1);
    assert_eq!(w[1].stream_ends()[0].kind, StreamEndKind::Reset(8));
    assert_eq!(w[1].stream_ends()[0].packet, rst);
    assert!(w[1].stream_ends()[0].ends);
    assert_eq!(c.st.ctx.client, Some(CLIENT));
}

#[test]
fn a_refused_connect_is_a_refused_upgrade() {
    let mut c = Conn::new(Some(1));
    c.connect(1, "/nope");
    let p = c.answer(1, "403", true);
    let w = c.sessions();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].handshake.status, Some(403));
    assert_eq!(w[0].upgrade_status(), Some(403));
    assert!(w[0].decoders.iter().all(Option::is_none));
    assert!(w[0].findings.has(Kind::UpgradeRefused));
    assert_eq!(w[0].findings.items[0].packet, Some(p));
}

#[test]
fn other_requests_are_not_sessions() {
    let mut c = Conn::new(Some(1));
    let block = hpack_block(
        &mut c.client_enc,
        &[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "h"),
        ],
    );
    c.send(CLIENT, &frame(0x1, 0x5, 1, &block));
    c.answer(1, "200", true);
    // A plain CONNECT (no :protocol) is a tunnel, not a WebSocket.
    let block = hpack_block(
        &mut c.client_enc,
        &[(":method", "CONNECT"), (":authority", "h:443")],
    );
    c.send(CLIENT, &frame(0x1, 0x4, 3, &block));
    assert_eq!(c.sessions().len(), 0);
    assert!(!c.st.ignored());
}

#[test]
fn connect_without_the_servers_setting_is_flagged() {
    for (ecp, says) in [(None, "did not carry"), (Some(0), "turned off")] {
        let mut c = Conn::new(ecp);
        c.connect(1, "/x");
        let w = c.sessions();
        let f = w[0]
            .findings
            .items
            .iter()
            .find(|f| f.kind == Kind::HandshakeInvalid)
            .expect("flagged");
        assert!(f.detail.contains(says), "{}", f.detail);
    }
    let mut c = Conn::new(Some(1));
    c.connect(1, "/x");
    assert!(c.sessions()[0].findings.items.is_empty());
}

#[test]
fn server_settings_first_still_finds_the_client() {
    let mut st = Stack::default();
    feed(&mut st, SERVER, &server_settings(Some(1)), 4);
    let mut hello = PREFACE.to_vec();
    hello.extend(settings_frame(&[]));
    feed(&mut st, CLIENT, &hello, 5);
    let mut enc = loona_hpack::Encoder::new();
    feed(
        &mut st,
        CLIENT,
        &frame(0x1, 0x4, 1, &hpack_block(&mut enc, WS_REQUEST)),
        6,
    );
    assert_eq!(st.ctx.client, Some(CLIENT));
    assert_eq!(st.sessions().count(), 1);
}

#[test]
fn goaway_ends_only_streams_it_refuses_or_errors() {
    let mut c = Conn::new(Some(1));
    c.connect(1, "/a");
    c.connect(3, "/b");
    c.answer(1, "200", false);
    c.answer(3, "200", false);
    // The server will process stream 1 only; NO_ERROR.
    let mut p = 1u32.to_be_bytes().to_vec();
    p.extend_from_slice(&0u32.to_be_bytes());
    let g = c.send(SERVER, &frame(0x7, 0, 0, &p));
    let w = c.sessions();
    assert!(!w[0].stream_ends()[0].ends, "stream 1 may run on");
    assert!(
        w[1].stream_ends()[0].ends,
        "stream 3 is above the last stream"
    );
    assert_eq!(w[1].stream_ends()[0].packet, g);
    // The client's GOAWAY counts the server's streams: NO_ERROR ends none of the client's.
    let mut c = Conn::new(Some(1));
    c.connect(1, "/a");
    c.answer(1, "200", false);
    c.send(CLIENT, &frame(0x7, 0, 0, &[0u8; 8]));
    assert!(!c.sessions()[0].stream_ends()[0].ends);
    // With an error code, any GOAWAY ends every stream.
    let mut p = 9u32.to_be_bytes().to_vec();
    p.extend_from_slice(&2u32.to_be_bytes());
    c.send(CLIENT, &frame(0x7, 0, 0, &p));
    assert!(c.sessions()[0].stream_ends()[1].ends);
}

#[test]
fn a_gap_stops_every_stream_of_that_direction_and_hpack_loss_names_nothing() {
    let mut c = Conn::new(Some(1));
    c.connect(1, "/a");
    c.answer(1, "200", false);
    c.data(SERVER, 1, &server_frame(0x1, b"x"), false);
    c.st.on_event(
        SERVER,
        Event::Gap {
            offset: 100,
            len: 50,
            packet: Some(20),
            cut: false,
        },
        &KeyLog::new(),
    );
    let w = c.sessions();
    assert!(w[0].decoder(SERVER).unwrap().out_of_sync.is_some());
    assert!(c.st.ctx.findings.has(Kind::H2Lost));
    // A header block that does not decode: the client's later streams cannot be named.
    let mut c = Conn::new(Some(1));
    c.send(CLIENT, &frame(0x1, 0x4, 1, b"\xff\xff\xff\xff"));
    c.connect(3, "/b");
    assert_eq!(
        c.sessions().len(),
        0,
        "no stream is named from a lost table"
    );
    let lost: Vec<_> =
        c.st.ctx
            .findings
            .items
            .iter()
            .filter(|f| f.kind == Kind::H2Lost)
            .map(|f| f.detail.clone())
            .collect();
    assert_eq!(lost.len(), 2, "{lost:?}");
    // The block that failed is the first head that cannot be read; stream 3's is the next.
    assert!(lost[1].contains("opening stream 1"), "{lost:?}");
}

#[test]
fn a_message_cut_by_tcp_is_said_on_its_stream() {
    let mut c = Conn::new(Some(1));
    c.connect(1, "/a");
    c.answer(1, "200", false);
    // Half a frame: header says 5 bytes, 2 sent.
    c.data(SERVER, 1, &[0x81, 0x05, b'a', b'b'], false);
    c.st.on_end(SERVER, crate::vocab::EndKind::Fin, 30);
    let w = c.sessions();
    assert!(w[0].findings.has(Kind::TruncatedMessage));
    assert!(!c.st.ctx.findings.has(Kind::TruncatedMessage));
}

/// The streams visited by the drains after packets and by GOAWAYs (`H2Layer::visits`).
fn drained(c: &Conn) -> u64 {
    match &c.st.top {
        crate::stack::Top::H2(h) => h.visits(),
        _ => panic!("not an HTTP/2 stack"),
    }
}

/// The work a packet costs does not grow with the connection's streams (issue 57 item 8:
/// 10 000 streams and 200 000 PINGs took 35-45 s when every packet visited every stream):
/// a PING visits none of them, a DATA frame its own stream only.
#[test]
fn a_packet_visits_only_the_streams_it_carries_bytes_for() {
    let mut c = Conn::new(Some(1));
    let streams = 1_000u32;
    for i in 0..streams {
        let id = 2 * i + 1;
        c.connect(id, &format!("/s{id}"));
        c.answer(id, "200", false);
    }
    assert_eq!(c.sessions().len(), streams as usize);
    // Each stream is charged to the memory budget (`H2Layer::stream_bytes`: `memory::STREAM_BYTES` each and what its decoders keep),
    // and a new one makes the analyzer count the connection again.
    assert_eq!(c.st.streams(), streams as usize);
    c.st.layer_changed = false;
    c.connect(2 * streams + 1, "/one-more");
    assert!(c.st.layer_changed, "a new stream is not recounted");
    assert_eq!(c.st.streams(), streams as usize + 1);
    let before = drained(&c);
    let ping = frame(0x6, 0, 0, &[0u8; 8]);
    for _ in 0..2_000 {
        c.send(CLIENT, &ping);
    }
    assert_eq!(drained(&c) - before, 0, "PINGs visited streams");
    let before = drained(&c);
    for _ in 0..500 {
        c.data(CLIENT, 1, &client_frame(0x1, b"hi"), false);
    }
    assert_eq!(drained(&c) - before, 500, "one stream a DATA frame");
}

/// Each stream kept is charged its session and what its decoders may keep (issue 84 item
/// 1: a flat 4 KiB left out the inflaters' windows): after the CONNECTs, after a 200 that
/// agrees to permessage-deflate (two 32 KiB windows more), after a refusal (no decoders
/// left); the sum the layer keeps is always the streams' own, and a change is recounted.
#[test]
fn a_stream_is_charged_what_its_decoders_keep() {
    let mut c = Conn::new(Some(1));
    let sum = |c: &Conn| -> usize {
        c.sessions()
            .iter()
            .map(|w| crate::memory::STREAM_BYTES + w.last_words_bytes())
            .sum()
    };
    c.connect(1, "/a");
    c.connect(3, "/b");
    assert_eq!(c.st.stream_bytes(), sum(&c));
    let plain = c.st.stream_bytes();
    c.st.layer_changed = false;
    let block = hpack_block(
        &mut c.server_enc,
        &[
            (":status", "200"),
            ("sec-websocket-extensions", "permessage-deflate"),
        ],
    );
    c.send(SERVER, &frame(0x1, 0x4, 1, &block));
    assert!(c.st.layer_changed, "agreed inflaters are not recounted");
    assert_eq!(c.st.stream_bytes(), sum(&c));
    assert!(c.st.stream_bytes() >= plain + 2 * (1 << 15));
    c.answer(3, "403", false);
    assert_eq!(c.st.stream_bytes(), sum(&c));
}

/// A stream's charge to the memory budget covers its session: the struct itself and what
/// a session holds at least (two decoders' state); the test fails when the struct outgrows
/// half of it.
#[test]
fn a_stream_fits_its_charge() {
    let size = super::super::layer::STREAM_SIZE;
    assert!(
        size * 2 <= crate::memory::STREAM_BYTES,
        "a stream is {size} bytes"
    );
}

/// GOAWAYs are applied to the streams at most `MAX_GOAWAYS` times per side: 2 000 of them
/// on a connection of 1 000 streams visited every stream on each (2 000 000 visits) and
/// noted 2 000 stream ends on each stream (memory no budget charged); now at most
/// `MAX_GOAWAYS` × 1 000 visits and notes, and the rest counted in one finding.
#[test]
fn repeated_goaways_cost_no_more_than_the_first_few() {
    let mut c = Conn::new(Some(1));
    let streams = 1_000u32;
    for i in 0..streams {
        let id = 2 * i + 1;
        c.connect(id, &format!("/s{id}"));
        c.answer(id, "200", false);
    }
    let before = drained(&c);
    let mut goaway = 0x7fff_ffffu32.to_be_bytes().to_vec();
    goaway.extend(0u32.to_be_bytes());
    for _ in 0..2_000 {
        c.send(SERVER, &frame(0x7, 0, 0, &goaway));
    }
    let cap = u64::from(super::super::layer::MAX_GOAWAYS);
    let visits = drained(&c) - before;
    assert!(
        visits <= cap * u64::from(streams) + 2_000,
        "{visits} visits"
    );
    for w in c.sessions() {
        assert_eq!(w.stream_ends().len() as u64, cap, "{:?}", w.transport);
    }
    let said: Vec<_> =
        c.st.ctx
            .findings
            .items
            .iter()
            .filter(|f| f.kind == Kind::H2Lost)
            .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0]
            .detail
            .contains("more than 16 GOAWAY frames from the server"),
        "{said:?}"
    );
}
