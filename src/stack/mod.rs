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
//! ```
//!
//! In: the [`tcp::Event`]s of each direction of one TCP connection (`Data` with the packet
//! that carried it, `Gap`), in delivery order, and each direction's end. Out: the
//! WebSocket [`Session`]s that rode on it (each naming its transport path, [`Transport`]),
//! and the connection-level facts every layer shares ([`Ctx`]: who the client is,
//! findings, the delivery order).
//!
//! A layer knows only the layer below it: it takes bytes, gaps and endings of a direction
//! and hands bytes, gaps and endings up, each piece of bytes tagged with the packet that
//! completed it, so evidence still names packets as Wireshark numbers them. [`Stack`] is
//! the one place a layer plugs in: it holds the top of the stack ([`Top`]) and decides
//! from a connection's first bytes which stack the connection gets, and switches HTTP/1.1
//! to HTTP/2 at the `101` that accepts an `Upgrade: h2c` (RFC 7540 §3.2).
//!
//! Folders: `tcp/` (reassembly and the TCP connection), `http1/` (the RFC 6455 §4 upgrade
//! and mid-stream pick-up), `tls/` (RFC 8446, RFC 5246: plugged in as `Top::Tls`), `h2/`
//! (RFC 9113, RFC 8441: `Top::H2` for h2c, and inside TLS for h2: one session per extended
//! CONNECT).

pub mod h2;
pub mod http1;
pub mod tcp;
pub mod tls;

use crate::finding::{Findings, Kind};
use crate::flow::Role;
use crate::websocket::session::Session;
use h2::layer::H2Layer;
use tcp::assembler::Limits;
use tcp::Event;
use tls::keylog::KeyLog;
use tls::layer::{TlsFacts, TlsLayer};

/// One direction of a connection, named by who sent it: `A` is the endpoint that sent the
/// first packet seen, `B` the other. A typed index into [`Sides`], so that picking a side's
/// state cannot go out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Side {
    A,
    B,
}

impl Side {
    /// Both sides, `A` first.
    pub const BOTH: [Side; 2] = [Side::A, Side::B];

    /// The opposite direction.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// One value per [`Side`]; indexing by a `Side` is a `match`, it cannot fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sides<T> {
    pub a: T,
    pub b: T,
}

impl<T> Sides<T> {
    pub const fn new(a: T, b: T) -> Sides<T> {
        Sides { a, b }
    }

    /// Both values, `A` first.
    pub fn iter(&self) -> std::array::IntoIter<&T, 2> {
        [&self.a, &self.b].into_iter()
    }
}

impl<T> std::ops::Index<Side> for Sides<T> {
    type Output = T;
    fn index(&self, s: Side) -> &T {
        match s {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }
}

impl<T> std::ops::IndexMut<Side> for Sides<T> {
    fn index_mut(&mut self, s: Side) -> &mut T {
        match s {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}

/// What every connection's stack reads but does not own: the reassembly limits and the
/// TLS secrets known so far.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub limits: &'a Limits,
    pub keys: &'a KeyLog,
}

/// How a WebSocket session reached the application: over which TCP connection (the
/// report's endpoints), whether inside TLS, and on which HTTP/2 stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transport {
    pub tls: bool,
    /// The HTTP/2 stream of an RFC 8441 extended CONNECT; `None` over HTTP/1.1.
    pub h2_stream: Option<u32>,
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
            },
            top: Top::Http1(http1::Http1::default()),
        }
    }
}

impl Stack {
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
            // A connection's first bytes, on any port, choose its stack: a ClientHello is
            // TLS (RFC 8446 §4.1.2); the HTTP/2 preface, or the server's SETTINGS before
            // it, is h2c (RFC 9113 §3.4).
            Event::Data { bytes, .. } => {
                if let Top::Http1(h) = &self.top {
                    if h.untouched(Side::A) && h.untouched(Side::B) {
                        if tls::looks_like_client_hello(bytes) {
                            self.ctx.client.get_or_insert(s);
                            self.top = Top::Tls(Box::new(TlsLayer::new(s)));
                        } else if let Some(client) = h2_client(&self.ctx, s, bytes) {
                            self.ctx.client.get_or_insert(client);
                            self.top = Top::H2(Box::new(H2Layer::new(client, false)));
                        }
                    }
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
            Top::Tls(t) => t.on_event(&mut self.ctx, s, ev, keys),
            Top::H2(h) => h.on_event(&mut self.ctx, s, ev),
        }
    }

    /// The server accepted an `Upgrade: h2c` request (RFC 7540 §3.2): from the end of its
    /// `101`, HTTP/2. The request's `HTTP2-Settings` are the client's first SETTINGS
    /// (§3.2.1); the server's bytes after the `101` go on first (its SETTINGS, then the
    /// answer to the request, stream 1), then what the client sent after its request (its
    /// preface, then frames), each with the packet that carried it.
    fn h2c_upgrade(&mut self, up: http1::H2cSwitch) {
        use crate::flow::Role;
        let problem = match up.settings.as_deref() {
            None => Some("the request has no HTTP2-Settings field".to_string()),
            Some(v) => match http1::parse::http2_settings_payload(v) {
                None => Some(format!("its HTTP2-Settings field is not base64url: {v:?}")),
                Some(payload) => match h2::H2Conn::upgraded(&payload) {
                    Ok(conn) => {
                        self.top = Top::H2(Box::new(H2Layer::over(conn, up.client, false)));
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
                Some(up.request_packet),
                format!("the server switched to HTTP/2 at packet {}, but {problem} (RFC 7540 §3.2.1: a server must not upgrade then)", up.response_packet),
            );
            self.top = Top::H2(Box::new(H2Layer::new(up.client, false)));
        }
        let server = up.client.other();
        for (side, held) in std::iter::once((server, up.server))
            .chain(up.client_held.into_iter().map(|h| (up.client, h)))
        {
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
            };
            if let Top::H2(h) = &mut self.top {
                h.on_event(&mut self.ctx, side, ev);
            }
        }
    }

    /// What TLS showed, when the connection is TLS.
    pub fn tls(&self) -> Option<TlsFacts> {
        match &self.top {
            Top::Tls(t) => Some(t.facts()),
            Top::Http1(_) | Top::H2(_) => None,
        }
    }

    /// Side `s` ended TCP (`how`: "closed TCP (FIN)", "reset TCP (RST)") at `packet`.
    pub fn on_end(&mut self, s: Side, how: &str, packet: u64) {
        match &mut self.top {
            Top::Http1(h) => h.on_end(&mut self.ctx, s, how, packet),
            Top::Tls(t) => t.on_end(&mut self.ctx, s, how, packet),
            Top::H2(h) => h.on_end(&mut self.ctx, s, how, packet),
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
        }
    }

    /// Nothing of either direction will ever be decoded: TCP may skip its data.
    pub fn ignored(&self) -> bool {
        match &self.top {
            Top::Http1(h) => h.ignored(),
            // Its close_notify and alerts are still read; HTTP/2 streams open at any time.
            Top::Tls(_) | Top::H2(_) => false,
        }
    }

    /// The WebSocket sessions this connection carried (or tried to open), in the order they
    /// started.
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        let (one, many) = match &self.top {
            Top::Http1(h) => (h.session(), None),
            Top::Tls(t) => t.inner.parts(),
            Top::H2(h) => (None, Some(&**h)),
        };
        one.into_iter()
            .chain(many.into_iter().flat_map(|h| h.sessions()))
    }

    /// Whether the stack has a frozen form now (see `freeze`): not while a WebSocket
    /// direction is in the middle of inflating a permessage-deflate message.
    pub fn can_freeze(&self) -> bool {
        match &self.top {
            Top::Http1(h) => h.can_freeze(),
            // The decryption state (ciphers, records waiting for keys) and the HPACK tables
            // have no frozen form.
            Top::Tls(_) | Top::H2(_) => false,
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
