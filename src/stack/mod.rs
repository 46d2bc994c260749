//! The stream layers between TCP and WebSocket: one stack per TCP connection.
//!
//! ```text
//!  packets ─► tcp::Connection ──bytes, gaps (packet numbers ride along)──► Stack ─► Sessions
//!             (roles, the two half-streams,                                  │
//!              how each side ended)                                          ▼
//!     plaintext:           http1 ───────────────────────────────► websocket::Session (0 or 1)
//!     wss:// (RFC 8446):   tls ──► http1 ────────────────────────► websocket::Session (0 or 1)
//!     RFC 8441:            (tls ──►) h2 ──► one stream per extended CONNECT ─► Session (0..n)
//!     h2c by Upgrade:      http1 ──(101 Upgrade: h2c)──► h2 ──► … as above
//!     RFC 9110 §9.3.6:     connect ──(2xx)──► any of the above, in the tunnel
//! ```
//!
//! In: the [`tcp::Event`]s of each direction of one TCP connection (`Data` with the packet
//! that carried it, `Gap`), in delivery order, and each direction's end. Out: the
//! WebSocket [`Session`]s that rode on it (each naming its transport path, `Transport`),
//! and the connection-level facts every layer shares ([`Ctx`]: who the client is,
//! findings, the delivery order).
//!
//! A layer knows only the layer below it: it takes bytes, gaps and endings of a direction
//! and hands bytes, gaps and endings up, each piece of bytes tagged with the packet that
//! completed it, so evidence still names packets as Wireshark numbers them. [`Stack`] is
//! the one place a layer plugs in: it holds the top of the stack (`Top`) and decides
//! from a connection's first bytes which stack the connection gets, and switches HTTP/1.1
//! to HTTP/2 at the `101` that accepts an `Upgrade: h2c` (RFC 7540 §3.2).
//!
//! A client's CONNECT to a forward proxy (`connect`, `Top::Connect`) is read up to the
//! proxy's answer; a 2xx starts the stack over from the byte after it (the tunnel's facts
//! kept, `Stack::tunnel`), a refusal is reported as one.
//!
//! Folders: `tcp/` (reassembly and the TCP connection), `http1/` (the RFC 6455 §4 upgrade
//! and mid-stream pick-up), `tls/` (RFC 8446, RFC 5246: plugged in as `Top::Tls`), `h2/`
//! (RFC 9113, RFC 8441: `Top::H2` for h2c, and inside TLS for h2: one session per extended
//! CONNECT).

pub mod connect;
pub mod h2;
pub mod http1;
pub mod tcp;
pub mod tls;

use crate::finding::{Findings, Kind};
use crate::flow::{Role, Side, Sides};
use crate::websocket::session::Session;
use connect::{Connect, Step, Tunnel};
use h2::layer::H2Layer;
use tcp::assembler::Limits;
use tcp::Event;
use tls::keylog::KeyLog;
use tls::layer::{TlsFacts, TlsLayer};

/// What every connection's stack reads but does not own: the reassembly limits and the
/// TLS secrets known so far.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub limits: &'a Limits,
    pub keys: &'a KeyLog,
}

/// What every layer of one TCP connection shares: who the client is, the findings, and
/// the delivery order that places close frames and TCP endings on one line.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Ctx {
    /// The client's side, once known.
    pub client: Option<Side>,
    pub findings: Findings,
    /// Events delivered so far (data, gaps and endings, both directions).
    pub order: u64,
    /// This direction's start was not captured (no SYN before its first data).
    pub partial: Sides<bool>,
    /// Frames each WebSocket decoder keeps for timelines, and whether with payload previews.
    pub frame_log: (usize, bool),
    /// Whether application protocols are decoded (`Options::app`).
    pub app: bool,
}

impl Ctx {
    /// The role of side `s`, as far as it is known (a side not known to be the client is
    /// taken as the server).
    pub fn role(&self, s: Side) -> Role {
        if self.client == Some(s) {
            Role::Client
        } else {
            Role::Server
        }
    }
}

/// The layers above one TCP connection. Its serde form (`serial`, for `freeze`) is every
/// field of every layer that can be frozen (see [`Stack::can_freeze`]).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Stack {
    pub ctx: Ctx,
    top: Top,
    /// The layer above TCP, its streams or its unfinished heads changed since the analyzer
    /// last looked ([`Stack::layer`], [`Stack::head_bytes`]: the memory budget's estimate
    /// follows them). Not part of the stored form.
    #[serde(skip)]
    pub layer_changed: bool,
    /// [`Stack::head_bytes`] when last looked at (saturating), to see it change.
    #[serde(skip)]
    heads: u32,
    /// The CONNECT tunnel (RFC 9110 §9.3.6) the layers above run in, once the proxy
    /// answered 2xx.
    tunnel: Option<Box<Tunnel>>,
}

/// The HTTP/2 WebSocket streams inside a TLS layer.
fn tls_streams(t: &TlsLayer) -> usize {
    match &t.inner {
        tls::layer::Inner::H2(h) => h.stream_count(),
        tls::layer::Inner::Http1(_) => 0,
    }
}

/// The layer right above TCP ([`Stack::layer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Http1,
    Tls,
    H2,
    /// A CONNECT waiting for its answer, or refused.
    Connect,
}

/// Which stack a connection has. New layers (TLS, HTTP/2) are new variants here, chosen
/// in [`Stack::on_event`] from the connection's first bytes.
// The plaintext stack, nearly every connection's, stays inline: boxing it would cost an
// allocation and a pointer chase per connection on the hot path; TLS is boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Top {
    /// Plaintext HTTP/1.1, upgraded to one WebSocket (or picked up mid-stream).
    Http1(http1::Http1),
    /// TLS (found by its ClientHello), and HTTP/1.1 over what it decrypts.
    #[serde(skip)]
    Tls(Box<TlsLayer>),
    /// HTTP/2 in cleartext (h2c), found by its connection preface (prior knowledge) or
    /// switched to from `Http1` by `Upgrade: h2c`: one session per extended CONNECT.
    #[serde(skip)]
    H2(Box<H2Layer>),
    /// A CONNECT request to a forward proxy and its answer (`connect`); on a 2xx the
    /// connection starts over above it, in the tunnel.
    #[serde(skip)]
    Connect(Box<Connect>),
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            ctx: Ctx {
                client: None,
                findings: Findings::default(),
                order: 0,
                partial: Sides::default(),
                frame_log: (0, false),
                app: true,
            },
            top: Top::Http1(http1::Http1::default()),
            layer_changed: false,
            heads: 0,
            tunnel: None,
        }
    }
}

impl Stack {
    /// The layer above TCP, for what a connection is estimated to cost in memory
    /// (`analyzer::budget`).
    pub fn layer(&self) -> Layer {
        match self.top {
            Top::Http1(_) => Layer::Http1,
            Top::Tls(_) => Layer::Tls,
            Top::H2(_) => Layer::H2,
            Top::Connect(_) => Layer::Connect,
        }
    }

    /// The streams an HTTP/2 layer has visited: after each packet, those that took bytes;
    /// for a GOAWAY, all ([`H2Layer::visits`]; inside TLS too); 0 without HTTP/2.
    pub fn h2_visits(&self) -> u64 {
        match &self.top {
            Top::Http1(_) | Top::Connect(_) => 0,
            Top::H2(h) => h.visits(),
            Top::Tls(t) => match &t.inner {
                tls::layer::Inner::H2(h) => h.visits(),
                tls::layer::Inner::Http1(_) => 0,
            },
        }
    }

    /// The HTTP/2 WebSocket streams this connection keeps (inside TLS too), each charged
    /// to the memory budget (`budget::STREAM_BYTES`); 0 without HTTP/2.
    pub fn streams(&self) -> usize {
        match &self.top {
            Top::Http1(_) | Top::Connect(_) => 0,
            Top::H2(h) => h.stream_count(),
            Top::Tls(t) => tls_streams(t),
        }
    }

    /// Bytes the layers' unfinished heads and held bytes take (HTTP/1.1, inside TLS too,
    /// and a CONNECT layer whole), charged to the memory budget at their buffers' size.
    #[inline]
    pub fn head_bytes(&self) -> usize {
        match &self.top {
            Top::Http1(h) => h.head_bytes(),
            Top::Tls(t) => match &t.inner {
                tls::layer::Inner::Http1(h) => h.head_bytes(),
                tls::layer::Inner::H2(_) => 0,
            },
            Top::H2(_) => 0,
            Top::Connect(c) => c.heap_bytes(),
        }
    }

    /// Bytes or a gap of side `s`, in stream order, from TCP; `keys` for a TLS layer.
    #[inline]
    pub fn on_event(&mut self, s: Side, ev: Event<'_>, keys: &KeyLog) {
        match ev {
            Event::Gap {
                offset,
                len,
                packet,
                cut,
            } => {
                let from = self.ctx.role(s);
                let why = if cut {
                    "cut off by the capture's snap length"
                } else {
                    "dropped or cut by the snaplen"
                };
                self.ctx.findings.push(
                    Kind::Gap,
                    Some(from),
                    packet,
                    format!(
                        "{len} bytes of the {from}'s stream at offset {offset} are not in the capture ({why}); nothing is guessed across them"
                    ),
                );
            }
            Event::Data { .. } => {}
        }
        self.deliver(s, ev, keys);
        // A head that grew (or ended) is charged anew: the analyzer looks again.
        let heads = u32::try_from(self.head_bytes()).unwrap_or(u32::MAX);
        if heads != self.heads {
            self.heads = heads;
            self.layer_changed = true;
        }
    }

    /// Bytes or a gap of side `s` to the layers (a gap already said): from TCP, or from
    /// a CONNECT tunnel that opened (`connect`).
    fn deliver(&mut self, s: Side, ev: Event<'_>, keys: &KeyLog) {
        // A connection's first bytes, on any port, choose its stack: a ClientHello is
        // TLS (RFC 8446 §4.1.2); the HTTP/2 preface, or the server's SETTINGS before it,
        // is h2c (RFC 9113 §3.4); a client's CONNECT asks a forward proxy for a tunnel
        // (RFC 9110 §9.3.6), not inside one.
        if let (Event::Data { bytes, .. }, Top::Http1(h)) = (ev, &self.top) {
            if h.untouched(Side::A) && h.untouched(Side::B) {
                if tls::looks_like_client_hello(bytes) {
                    self.ctx.client.get_or_insert(s);
                    self.layer_changed = true;
                    self.top = Top::Tls(Box::new(TlsLayer::new(s)));
                } else if let Some(client) = h2_client(&self.ctx, s, bytes) {
                    self.ctx.client.get_or_insert(client);
                    self.layer_changed = true;
                    self.top = Top::H2(Box::new(H2Layer::new(client, false)));
                } else if self.tunnel.is_none()
                    && !self.ctx.partial[s]
                    && self.ctx.client.is_none_or(|c| c == s)
                    && connect::starts(bytes)
                {
                    self.ctx.client.get_or_insert(s);
                    self.layer_changed = true;
                    self.top = Top::Connect(Box::new(Connect::new(s)));
                }
            }
        }
        match &mut self.top {
            Top::Http1(h) => {
                h.on_event(&mut self.ctx, s, ev);
                if let Some(switch) = h.take_h2c() {
                    self.h2c_upgrade(switch);
                }
            }
            Top::Tls(t) => {
                let before = tls_streams(t);
                t.on_event(&mut self.ctx, s, ev, keys);
                // A new stream is charged to the memory budget: the analyzer looks again.
                if tls_streams(t) != before {
                    self.layer_changed = true;
                }
            }
            Top::H2(h) => {
                let before = h.stream_count();
                h.on_event(&mut self.ctx, s, ev);
                if h.stream_count() != before {
                    self.layer_changed = true;
                }
            }
            Top::Connect(c) => match c.on_event(&mut self.ctx, s, ev) {
                Step::Wait => {}
                Step::Open(next) => {
                    let top = std::mem::replace(&mut self.top, Top::Http1(Default::default()));
                    if let Top::Connect(c) = top {
                        self.tunnel = c.tunnel.map(Box::new);
                    }
                    self.layer_changed = true;
                    return self.replay(next, keys);
                }
                // Bytes that start like a CONNECT and are none go to HTTP/1.1 (not back
                // through the choice of a stack, which would take them for one again).
                Step::NotConnect(back) => {
                    let mut h = http1::Http1::default();
                    for (side, held) in &back {
                        h.on_event(&mut self.ctx, *side, held.event());
                    }
                    self.top = Top::Http1(h);
                    self.layer_changed = true;
                }
            },
        }
        match &mut self.top {
            Top::Http1(h) => h.app_drain(),
            Top::Tls(t) => t.inner.app_drain(),
            Top::H2(h) => h.app_drain(),
            Top::Connect(_) => {}
        }
    }

    /// Hands bytes a CONNECT layer kept to the layers that start above it, in order, each
    /// with the packet that carried it; what was not kept is a hole there.
    fn replay(&mut self, held: Vec<(Side, http1::Held)>, keys: &KeyLog) {
        for (side, h) in &held {
            self.deliver(*side, h.event(), keys);
        }
        // The layers above may already have finished what they read.
        match &mut self.top {
            Top::Http1(h) => h.app_drain(),
            Top::Tls(t) => t.inner.app_drain(),
            Top::H2(h) => h.app_drain(),
            Top::Connect(_) => {}
        }
    }

    /// The CONNECT tunnel this connection asked a forward proxy for: opened (the layers
    /// above run in it), refused, or still waiting for the answer.
    pub fn tunnel(&self) -> Option<&Tunnel> {
        match &self.top {
            Top::Connect(c) => c.tunnel.as_ref(),
            _ => self.tunnel.as_deref(),
        }
    }

    /// The server accepted an `Upgrade: h2c` request (RFC 7540 §3.2): from the end of its
    /// `101`, HTTP/2. The request's `HTTP2-Settings` are the client's first SETTINGS
    /// (§3.2.1); the server's bytes after the `101` go on first (its SETTINGS, then the
    /// answer to the request, stream 1), then what the client sent after its request (its
    /// preface, then frames), each with the packet that carried it.
    fn h2c_upgrade(&mut self, up: http1::H2cSwitch) {
        use crate::flow::Role;
        let problem = match (up.request_packet, up.settings.as_deref()) {
            // The request was not captured whole: what its settings allowed is unknown, so
            // nothing the server sends is held against them (the largest frame, table).
            (None, _) => {
                let mut lenient = Vec::new();
                for (id, v) in [(1u16, u32::MAX), (5, (1 << 24) - 1)] {
                    lenient.extend(id.to_be_bytes());
                    lenient.extend(v.to_be_bytes());
                }
                let conn = h2::H2Conn::upgraded(&lenient).unwrap_or_default();
                self.layer_changed = true;
                self.top = Top::H2(Box::new(H2Layer::upgraded(conn, up.client)));
                None
            }
            (Some(_), None) => Some("the request has no HTTP2-Settings field".to_string()),
            (Some(_), Some(v)) => match http1::parse::http2_settings_payload(v) {
                None => Some(format!("its HTTP2-Settings field is not base64url: {v:?}")),
                Some(payload) => match h2::H2Conn::upgraded(&payload) {
                    Ok(conn) => {
                        self.layer_changed = true;
                        self.top = Top::H2(Box::new(H2Layer::upgraded(conn, up.client)));
                        None
                    }
                    Err(e) => Some(format!(
                        "its HTTP2-Settings field is not a SETTINGS payload: {e}"
                    )),
                },
            },
        };
        if let Some(problem) = problem {
            self.ctx.findings.push(
                Kind::HandshakeInvalid,
                Some(Role::Client),
                up.request_packet,
                format!("the server switched to HTTP/2 at packet {}, but {problem} (RFC 7540 §3.2.1: a server must not upgrade then)", up.response_packet),
            );
            self.layer_changed = true;
            self.top = Top::H2(Box::new(H2Layer::upgraded(h2::H2Conn::new(), up.client)));
        }
        let server = up.client.other();
        for (side, held) in std::iter::once((server, up.server))
            .chain(up.client_held.into_iter().map(|h| (up.client, h)))
        {
            let Top::H2(h) = &mut self.top else {
                return;
            };
            let ev = match &held {
                http1::Held::Data { bytes, packet, ts } => Event::Data {
                    offset: 0,
                    bytes,
                    packet: *packet,
                    ts: *ts,
                },
                http1::Held::Gap { packet, cut } => Event::Gap {
                    offset: 0,
                    len: 0,
                    packet: *packet,
                    cut: *cut,
                },
                http1::Held::NotKept { packet } => {
                    let cap = http1::MAX_H2C_HELD;
                    let why = h2::LostReason::NotKeptBeforeUpgrade { cap };
                    h.lose(&mut self.ctx, side, why, Some(*packet));
                    continue;
                }
            };
            h.on_event(&mut self.ctx, side, ev);
        }
    }

    /// What an engine.io long-polling connection showed, when this was one (in plaintext or
    /// decrypted TLS).
    pub fn polling(&self) -> Option<&http1::engineio::Polling> {
        match &self.top {
            Top::Http1(h) => h.polling(),
            Top::Tls(t) => match &t.inner {
                tls::layer::Inner::Http1(h) => h.polling(),
                tls::layer::Inner::H2(_) => None,
            },
            Top::H2(_) | Top::Connect(_) => None,
        }
    }

    /// What TLS showed, when the connection is TLS.
    pub fn tls(&self) -> Option<TlsFacts> {
        match &self.top {
            Top::Tls(t) => Some(t.facts()),
            Top::Http1(_) | Top::H2(_) | Top::Connect(_) => None,
        }
    }

    /// Side `s` ended TCP (`how`: "closed TCP (FIN)", "reset TCP (RST)") at `packet`.
    pub fn on_end(&mut self, s: Side, how: &str, packet: u64) {
        match &mut self.top {
            Top::Http1(h) => h.on_end(&mut self.ctx, s, how, packet),
            Top::Tls(t) => t.on_end(&mut self.ctx, s, how, packet),
            Top::H2(h) => h.on_end(&mut self.ctx, s, how, packet),
            Top::Connect(_) => {}
        }
    }

    /// The next event of a direction is numbered after this one.
    pub fn next_order(&mut self) -> u64 {
        self.ctx.order += 1;
        self.ctx.order
    }

    /// Nothing of side `s` has reached the layers yet.
    pub fn untouched(&self, s: Side) -> bool {
        match &self.top {
            Top::Http1(h) => h.untouched(s),
            Top::Tls(t) => t.inner.untouched(s),
            Top::H2(h) => h.untouched(s),
            Top::Connect(_) => false,
        }
    }

    /// Nothing of either direction will ever be decoded: TCP may skip its data.
    pub fn ignored(&self) -> bool {
        match &self.top {
            Top::Http1(h) => h.ignored(),
            // Its close_notify and alerts are still read; HTTP/2 streams open at any time;
            // a refused CONNECT's body and endings are still read.
            Top::Tls(_) | Top::H2(_) | Top::Connect(_) => false,
        }
    }

    /// The WebSocket sessions this connection carried (or tried to open), in the order they
    /// started.
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        let (one, many) = match &self.top {
            Top::Http1(h) => (h.session(), None),
            Top::Tls(t) => t.inner.parts(),
            Top::H2(h) => (None, Some(&**h)),
            Top::Connect(c) => (c.refused(), None),
        };
        one.into_iter()
            .chain(many.into_iter().flat_map(|h| h.sessions()))
    }

    /// Whether the stack has a frozen form now (see `freeze`): not while a WebSocket
    /// direction is in the middle of inflating a permessage-deflate message.
    pub fn can_freeze(&self) -> bool {
        match &self.top {
            Top::Http1(h) => h.can_freeze(),
            // The decryption state (ciphers, records waiting for keys), the HPACK tables
            // and a CONNECT's heads have no frozen form.
            Top::Tls(_) | Top::H2(_) | Top::Connect(_) => false,
        }
    }
}

/// The client of an HTTP/2 connection with prior knowledge whose first bytes, from side
/// `s`, are `bytes`: `s` if they start with the client's connection preface, the other
/// side if they are a SETTINGS frame on stream 0 (a server may send its preface before it
/// reads the client's, RFC 9113 §3.4). Not for a connection whose start was not captured,
/// nor against roles already known.
pub(crate) fn h2_client(ctx: &Ctx, s: Side, bytes: &[u8]) -> Option<Side> {
    if ctx.partial[s] {
        return None;
    }
    let client = if bytes.len() >= 4 && h2::looks_like_preface(bytes) {
        s
    } else if h2::frame::looks_like_settings(bytes) {
        s.other()
    } else {
        return None;
    };
    ctx.client.is_none_or(|c| c == client).then_some(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::Transport;

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
        let req = String::from_utf8_lossy(UPGRADE)
            .replace("Upgrade: websocket", "Upgrade: websocket, h2c");
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
            let req = format!(
                "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nHTTP2-Settings: {field}\r\n\r\n"
            );
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
        assert!(st.ctx.findings.has(crate::finding::Kind::UpgradeRefused));
    }
}
