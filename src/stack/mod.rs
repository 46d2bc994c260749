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
//! In: the [`Event`](crate::flow::Event)s of each direction of one TCP connection (`Data` with the packet
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
//! CONNECT). `h2_start` is where a connection's HTTP/2 starts (prior knowledge, or the
//! h2c upgrade's switch); `connect` reads a CONNECT to a forward proxy.

pub mod connect;
pub mod h2;
mod h2_start;
pub mod http1;
pub mod tcp;
pub mod tls;

use crate::finding::Findings;
use crate::flow::Event;
use crate::flow::{Side, Sides};
use crate::vocab::{EndKind, Found, Gap, GapWhy, Role};
use crate::websocket::session::Session;
use connect::{Connect, Step, Tunnel};
use h2::layer::H2Layer;
pub(crate) use h2_start::h2_client;
use tcp::assembler::Limits;
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

    /// For an HTTP/2 connection (h2c, or inside TLS): its client's side, and the client's
    /// framing from where the reading stops, to count the streams it opens once the
    /// connection is let go (`None` inside TLS, whose records cannot be read past that, or
    /// when the framing was lost). `None` without HTTP/2.
    pub fn h2_unread(&self) -> Option<(Side, Option<h2::unread::Frames>)> {
        match &self.top {
            Top::Http1(_) | Top::Connect(_) => None,
            Top::H2(h) => Some((h.client(), h.client_frames())),
            Top::Tls(t) => match &t.inner {
                tls::layer::Inner::H2(h) => Some((h.client(), None)),
                tls::layer::Inner::Http1(_) => None,
            },
        }
    }

    /// The HTTP/2 WebSocket streams this connection keeps (inside TLS too); 0 without
    /// HTTP/2.
    pub fn streams(&self) -> usize {
        match &self.top {
            Top::Http1(_) | Top::Connect(_) => 0,
            Top::H2(h) => h.stream_count(),
            Top::Tls(t) => t.streams(),
        }
    }

    /// What those streams are charged to the memory budget (`H2Layer::stream_bytes`:
    /// each one's session and what its decoders may keep, inflaters included); 0 without
    /// HTTP/2.
    #[inline]
    pub fn stream_bytes(&self) -> usize {
        match &self.top {
            Top::Http1(_) | Top::Connect(_) => 0,
            Top::H2(h) => h.stream_bytes(),
            Top::Tls(t) => t.stream_bytes(),
        }
    }

    /// Bytes the layers' unfinished heads and held bytes take (HTTP/1.1, inside TLS too,
    /// and a CONNECT layer whole), and what a TLS layer holds beside its box (its records,
    /// ciphers and names: `TlsLayer::heap`), charged to the memory budget at their
    /// buffers' size.
    #[inline]
    pub fn head_bytes(&self) -> usize {
        match &self.top {
            Top::Http1(h) => h.head_bytes(),
            Top::Tls(t) => {
                let heads = match &t.inner {
                    tls::layer::Inner::Http1(h) => h.head_bytes(),
                    tls::layer::Inner::H2(_) => 0,
                };
                heads + t.heap()
            }
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
                let why = if cut {
                    GapWhy::SnapLength
                } else {
                    GapWhy::NotCaptured
                };
                let gap = Gap { len, offset, why };
                let from = self.ctx.role(s);
                self.ctx.findings.found(Some(from), packet, Found::Gap(gap));
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
                // A new stream is charged to the memory budget: the analyzer looks again.
                if t.on_event(&mut self.ctx, s, ev, keys) {
                    self.layer_changed = true;
                }
            }
            Top::H2(h) => {
                // A new stream, or one whose decoders changed, is charged anew.
                let before = h.stream_bytes();
                h.on_event(&mut self.ctx, s, ev);
                if h.stream_bytes() != before {
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

    /// A CONNECT the proxy refused where nothing the client sent on this connection shows
    /// it asked for a WebSocket: the session it would be reported as
    /// ([`connect::Connect::refused_unshown`]).
    pub fn refused_unshown(&self) -> Option<&Session> {
        match &self.top {
            Top::Connect(c) => c.refused_unshown(),
            _ => None,
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
    pub fn on_end(&mut self, s: Side, how: EndKind, packet: u64) {
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

#[cfg(test)]
mod tests;
