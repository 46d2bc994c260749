//! The HTTP/1.1 layer: a direction's first bytes decide whether it is an upgrade request,
//! its response, WebSocket frames picked up mid-stream, or something else; upgraded bytes
//! go to the WebSocket [`Session`]'s decoders.
//!
//! In: per direction, the bytes and gaps of the layer below (TCP, or what TLS decrypts), in
//! stream order, each tagged with its packet; and each direction's end. Out: at most one
//! [`Session`] (the upgrade's, or the one found by its frames when the handshake was not
//! captured), and findings about the handshake. RFC 6455 §4.1 (the client's request),
//! §4.2.2 (the server's response), §9.1 (permessage-deflate's negotiation, with RFC 7692).
//! The header parsing is `parse` (httparse; a control byte in a header line is read
//! leniently there and reported here as `handshake-invalid`).
//! A connection whose first request is for engine.io's HTTP long-polling transport
//! (`EIO=` and `transport=polling` in its target) is read on by `engineio`, for the session
//! id and OPEN packet that link it to the socket.io WebSocket it was upgraded to.
//!
//! A handshake the capture holds only in part (cut by the snap length, `tcpdump -s 96`, or
//! a segment missing) is not the end of the direction: the whole frames that follow are
//! looked for with the strict probe of mid-stream captures (`websocket::probe`), and the
//! session says its handshake was cut (`Handshake::cut`) and why. What the cut left of a
//! response's status line is kept when it shows the status; a status other than 101 ends
//! decoding as a refused or plain HTTP exchange would.
//!
//! HTTP/2 by `Upgrade: h2c` (RFC 7540 §3.2; RFC 9113 §3.1 deprecates it, servers still
//! answer it), over cleartext TCP only: the request is not a WebSocket (when it also offers
//! `websocket`, the WebSocket wins); the client's bytes after it (past its body) are held
//! until the server answers. A `101` with `Upgrade: h2c` ends this layer: [`Http1::take_h2c`]
//! hands the stack what followed the `101` and what the client sent, for the HTTP/2 layer
//! (the client's connection preface, then frames; the server's SETTINGS, then frames, the
//! answer to the upgraded request on stream 1). Any other answer keeps HTTP/1.1 as a plain
//! request would.

pub mod body;
pub mod engineio;
pub mod parse;

use super::Ctx;
use crate::flow::Event;
use crate::flow::{Side, Sides};
use crate::vocab::{CapHit, EndKind, Found, Invalid, Kind, Role, Timestamp};
use crate::websocket::decoder::{Decoder, Origin};
use crate::websocket::session::{new_decoder, HandshakeCut, Session};
use parse::{self as http, Parsed};
use std::borrow::Cow;

/// The state of one direction.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum App {
    /// Nothing seen yet.
    Start,
    /// Buffering HTTP headers (request or response).
    Http(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Picked up mid-stream: looking for a frame header at segment starts (`tries` so far).
    Probe(u32),
    /// A WebSocket stream: its bytes go to the session's decoder of this side.
    Ws,
    /// The client after an `Upgrade: h2c` request: its bytes are held in [`Http1::h2c`].
    H2c,
    /// engine.io long-polling: read by [`Http1::polling`].
    Poll,
    /// Not (or no longer) decoded.
    Off,
}

/// HTTP/1.1 over one byte stream pair, and the WebSocket session it may upgrade to.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Http1 {
    pub(crate) sides: Sides<App>,
    pub(crate) session: Session,
    /// An `Upgrade: h2c` request waiting for its answer (never frozen: see `can_freeze`).
    #[serde(skip)]
    h2c: Option<Box<H2cOffer>>,
    /// An engine.io long-polling connection (`polling`), when its first request was one.
    polling: Option<Box<engineio::Polling>>,
}

impl Default for Http1 {
    fn default() -> Self {
        Http1 {
            sides: Sides::new(App::Start, App::Start),
            session: Session::default(),
            h2c: None,
            polling: None,
        }
    }
}

/// Bytes of one direction, or a hole in it, kept for the layer that comes next.
#[derive(Debug)]
pub enum Held {
    Data {
        bytes: Vec<u8>,
        packet: u64,
        ts: Timestamp,
    },
    Gap {
        packet: Option<u64>,
        cut: bool,
    },
    /// Bytes past [`MAX_H2C_HELD`], not kept (from this packet on).
    NotKept {
        packet: u64,
    },
}

impl Held {
    /// These bytes as the event that delivered them; what was not kept is a hole.
    pub fn event(&self) -> Event<'_> {
        match self {
            Held::Data { bytes, packet, ts } => Event::Data {
                offset: 0,
                bytes,
                packet: *packet,
                ts: *ts,
            },
            Held::Gap { packet, cut } => Event::Gap {
                offset: 0,
                len: 0,
                packet: *packet,
                cut: *cut,
            },
            Held::NotKept { packet } => Event::Gap {
                offset: 0,
                len: 0,
                packet: Some(*packet),
                cut: false,
            },
        }
    }

    /// Bytes this takes in memory: its buffer's capacity.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Held::Data { bytes, .. } => bytes.capacity(),
            Held::Gap { .. } | Held::NotKept { .. } => 0,
        }
    }
}

/// Bytes the client may send after an `Upgrade: h2c` request before the answer comes
/// (RFC 7540 §3.2: nothing but the request's body; it sends its preface after the `101`).
pub const MAX_H2C_HELD: usize = 64 * 1024;

/// An `Upgrade: h2c` request (RFC 7540 §3.2) waiting for the server's answer.
#[derive(Debug)]
struct H2cOffer {
    client: Side,
    /// The request's packet; `None` when it was not captured whole.
    request_packet: Option<u64>,
    /// The request's `HTTP2-Settings`, as sent.
    settings: Option<String>,
    /// Bytes of the request's body still to come (HTTP/1.1, before anything HTTP/2).
    body_left: u64,
    /// What the client sent after its request and body.
    held: Vec<Held>,
    held_len: usize,
    /// The server switched (`101` with `Upgrade: h2c`): what followed the `101`.
    switched: Option<(Held, u64)>,
}

/// The end of HTTP/1.1 on a connection upgraded to HTTP/2 by `Upgrade: h2c`: what the
/// HTTP/2 layer starts from.
#[derive(Debug)]
pub struct H2cSwitch {
    /// The side that sent the request (the HTTP/2 client).
    pub client: Side,
    /// `None` when the request was not captured whole (then neither are its settings).
    pub request_packet: Option<u64>,
    /// The packet of the `101`.
    pub response_packet: u64,
    /// The request's `HTTP2-Settings` field, as sent.
    pub settings: Option<String>,
    /// The server's bytes after the `101` (or the hole that cut it).
    pub server: Held,
    /// The client's bytes after its request, in order.
    pub client_held: Vec<Held>,
}

impl Http1 {
    /// The session, once this stream is or tried to become a WebSocket.
    pub fn session(&self) -> Option<&Session> {
        self.session.is_websocket().then_some(&self.session)
    }

    /// What an engine.io long-polling connection showed, when this was one.
    pub fn polling(&self) -> Option<&engineio::Polling> {
        self.polling.as_deref()
    }

    /// Hands what the session's decoders tapped to its application tracker.
    pub(crate) fn app_drain(&mut self) {
        self.session.app_drain();
    }

    /// Bytes its unfinished heads (at most [`parse::MAX_HEADER_BYTES`] a direction), an
    /// `Upgrade: h2c` request's held bytes and the session's last words (at most
    /// `websocket::lastwords::LAST_WORDS` a direction) take: their buffers' capacity,
    /// charged to the memory budget as they grow.
    #[inline]
    pub fn head_bytes(&self) -> usize {
        let head = |a: &App| match a {
            App::Http(buf) => buf.capacity(),
            _ => 0,
        };
        let h2c = self.h2c.as_ref().map_or(0, |o| {
            o.held_len
                + o.held.capacity() * std::mem::size_of::<Held>()
                + o.switched.as_ref().map_or(0, |(h, _)| h.heap_bytes())
        });
        head(&self.sides[Side::A])
            + head(&self.sides[Side::B])
            + h2c
            + self.session.last_words_bytes()
    }

    /// Nothing of side `s` has arrived yet.
    pub fn untouched(&self, s: Side) -> bool {
        matches!(self.sides[s], App::Start)
    }

    /// Neither direction will ever be decoded.
    pub fn ignored(&self) -> bool {
        self.sides.iter().all(|a| matches!(a, App::Off)) && !self.session.is_websocket()
    }

    pub fn can_freeze(&self) -> bool {
        self.h2c.is_none() && self.session.can_freeze()
    }

    /// The server answered an `Upgrade: h2c` request with `101`: HTTP/1.1 ends here, and
    /// this is what the HTTP/2 layer starts from (once; `None` otherwise).
    pub fn take_h2c(&mut self) -> Option<H2cSwitch> {
        self.h2c.as_ref()?.switched.as_ref()?;
        let offer = *self.h2c.take()?;
        let (server, response_packet) = offer.switched?;
        Some(H2cSwitch {
            client: offer.client,
            request_packet: offer.request_packet,
            response_packet,
            settings: offer.settings,
            server,
            client_held: offer.held,
        })
    }

    /// Side `s` (the client of an `Upgrade: h2c` request) sent more while the answer is
    /// awaited: its body is passed over, the rest held (up to [`MAX_H2C_HELD`] bytes).
    fn hold(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>) {
        let Some(offer) = self.h2c.as_mut() else {
            return;
        };
        // Past a hole (or the cap) HTTP/2 cannot be read in this direction: nothing more
        // is held.
        if matches!(
            offer.held.last(),
            Some(Held::Gap { .. } | Held::NotKept { .. })
        ) {
            return;
        }
        match ev {
            Event::Gap { packet, cut, .. } => {
                // The body's end (if it was still coming) is lost with it.
                offer.body_left = 0;
                offer.held.push(Held::Gap { packet, cut });
            }
            Event::Data {
                bytes, packet, ts, ..
            } => {
                let skip = usize::try_from(offer.body_left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                offer.body_left = offer.body_left.saturating_sub(skip as u64);
                let bytes = bytes.get(skip..).unwrap_or_default();
                if bytes.is_empty() {
                    return;
                }
                let room = MAX_H2C_HELD.saturating_sub(offer.held_len);
                let (keep, over) = bytes.split_at(room.min(bytes.len()));
                offer.held_len = offer.held_len.saturating_add(keep.len());
                if !keep.is_empty() {
                    offer.held.push(Held::Data {
                        bytes: keep.to_vec(),
                        packet,
                        ts,
                    });
                }
                if !over.is_empty() {
                    let from = ctx.role(s);
                    let max = MAX_H2C_HELD as u64;
                    let found = Found::BufferCapHit(CapHit::H2cHeld { max });
                    ctx.findings.found(Some(from), Some(packet), found);
                    offer.held.push(Held::NotKept { packet });
                }
            }
        }
    }

    /// The layer below cannot deliver side `s`'s stream from plaintext `offset` on (a TLS
    /// direction that stopped decrypting): headers waiting there are given up, and a
    /// WebSocket decoder stops there, out of sync, guessing nothing.
    pub fn lost(&mut self, ctx: &mut Ctx, s: Side, offset: u64, packet: Option<u64>) {
        ctx.order += 1;
        match &self.sides[s] {
            App::Ws => {
                if let Some(dec) = &mut self.session.decoders[s] {
                    dec.lost(offset, packet, &mut ctx.findings);
                }
            }
            App::Start | App::Http(_) | App::Probe(_) | App::H2c | App::Poll => {
                self.sides[s] = App::Off
            }
            App::Off => {}
        }
    }

    /// Side `s` ended its stream (`how`) at `packet`.
    pub fn on_end(&mut self, ctx: &mut Ctx, s: Side, how: EndKind, packet: u64) {
        if matches!(self.sides[s], App::Ws) {
            self.session
                .cut_mid_message(s, how, packet, &mut ctx.findings);
        }
    }

    /// Bytes or a gap of side `s` (the layer below has said what a gap lost).
    #[inline]
    pub fn on_event(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>) {
        ctx.order += 1;
        if let App::Start = self.sides[s] {
            self.sides[s] = match ev {
                Event::Data { bytes, .. } if http::looks_like_request(bytes) => {
                    if ctx.client.is_none() {
                        ctx.client = Some(s);
                    }
                    App::Http(Vec::new())
                }
                Event::Data { bytes, .. } if http::looks_like_response(bytes) => {
                    if ctx.client.is_none() {
                        ctx.client = Some(s.other());
                    }
                    App::Http(Vec::new())
                }
                _ if ctx.partial[s] => App::Probe(0),
                // The first bytes of a direction whose start was captured are missing: the
                // handshake (if any) is cut; look for frames after it.
                Event::Gap { cut, packet, .. } => {
                    self.cut(ctx, s, &[], cut, packet);
                    return;
                }
                _ => App::Off,
            };
        }
        if let App::Probe(tries) = self.sides[s] {
            self.probe(ctx, s, ev, tries);
            return;
        }
        match &mut self.sides[s] {
            App::Start | App::Off | App::Probe(_) => {}
            App::H2c => self.hold(ctx, s, ev),
            App::Poll => {
                if let Some(p) = self.polling.as_mut() {
                    match ev {
                        Event::Data {
                            bytes, packet, ts, ..
                        } => p.data(s, bytes, packet, ts),
                        Event::Gap { .. } => p.gap(s),
                    }
                }
            }
            App::Ws => {
                if let Some(dec) = &mut self.session.decoders[s] {
                    dec.feed(ev, ctx.order, &mut ctx.findings);
                }
            }
            App::Http(buf) => match ev {
                Event::Gap { cut, packet, .. } => {
                    let buf = std::mem::take(buf);
                    self.cut(ctx, s, &buf, cut, packet);
                }
                Event::Data {
                    bytes, packet, ts, ..
                } => {
                    if buf.is_empty() {
                        // The head's first bytes (most often all of it): parsed where they
                        // lie, copied only when more is to come.
                        self.http(ctx, s, Cow::Borrowed(bytes), packet, ts);
                        return;
                    }
                    buf.extend_from_slice(bytes);
                    // Still partial unless a line ended (`worth_parsing`).
                    if http::worth_parsing(buf, bytes.len()) {
                        let buf = std::mem::take(buf);
                        self.http(ctx, s, Cow::Owned(buf), packet, ts);
                    }
                }
            },
        }
    }

    /// Starts side `s`'s WebSocket stream with `dec`, fed first with `bytes` (what followed
    /// the headers, or the segment the frames were found in).
    fn start(&mut self, ctx: &mut Ctx, s: Side, mut dec: Box<Decoder>, bytes: &[u8], at: Origin) {
        dec.data(bytes, at, &mut ctx.findings);
        self.session.decoders[s] = Some(dec);
        self.sides[s] = App::Ws;
    }

    /// Side `s`'s request or response stops at a gap after `buf` (`cut`: by the snap
    /// length): probe for the frames that follow, unless what was captured shows a status
    /// other than 101.
    fn cut(&mut self, ctx: &mut Ctx, s: Side, buf: &[u8], cut: bool, packet: Option<u64>) {
        if self.h2c.as_ref().is_some_and(|o| o.client != s) {
            return self.h2c_cut(ctx, buf, cut, packet);
        }
        let hs = &mut self.session.handshake;
        if http::looks_like_response(buf) && !buf.is_empty() {
            let status = http::status_of_cut_response(buf);
            if status.is_some_and(|st| st != 101) {
                self.sides[s] = App::Off;
                return;
            }
            hs.status = hs.status.or(status);
            hs.response_packet = hs.response_packet.or(packet);
        } else if !buf.is_empty() {
            hs.request_packet = hs.request_packet.or(packet);
        }
        let why = if cut {
            HandshakeCut::SnapLength
        } else {
            HandshakeCut::Missing
        };
        hs.cut.get_or_insert(why);
        self.sides[s] = App::Probe(0);
    }

    /// The answer to an `Upgrade: h2c` request stops at a gap after `buf`: a `101` seen in
    /// what was captured switches to HTTP/2 with the server's stream lost from there (the
    /// HTTP/2 layer says so); a status other than `101` keeps HTTP/1.1; no status seen
    /// leaves both unread, and says why.
    fn h2c_cut(&mut self, ctx: &mut Ctx, buf: &[u8], cut: bool, packet: Option<u64>) {
        let status = http::status_of_cut_response(buf);
        match (status, self.h2c.as_mut()) {
            (Some(101), Some(offer)) => {
                offer.switched = Some((Held::Gap { packet, cut }, packet.unwrap_or(0)));
                self.sides = Sides::new(App::Off, App::Off);
            }
            (Some(_), _) => self.off(),
            (None, _) => {
                let found = Found::HandshakeCut {
                    h2c: true,
                    snap: cut,
                };
                ctx.findings.found(Some(Role::Server), packet, found);
                self.off();
            }
        }
    }

    /// Mid-stream: does this segment start with a WebSocket frame? Roles come from masking.
    fn probe(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>, tries: u32) {
        /// Segments examined before a direction is given up as not WebSocket.
        const MAX_TRIES: u32 = 64;
        let Event::Data {
            bytes, packet, ts, ..
        } = ev
        else {
            return;
        };
        let role = crate::websocket::probe::probe(bytes);
        let consistent = |r: Role| match ctx.client {
            None => true,
            Some(c) => (c == s) == (r == Role::Client),
        };
        match role {
            Some(r) if consistent(r) => {
                if ctx.client.is_none() {
                    ctx.client = Some(if r == Role::Client { s } else { s.other() });
                }
                if let Some(cut) = self.session.handshake.cut {
                    if !ctx.findings.has(Kind::HandshakeCut) {
                        let found = Found::HandshakeCut {
                            h2c: false,
                            snap: cut == HandshakeCut::SnapLength,
                        };
                        ctx.findings.found(None, Some(packet), found);
                    }
                } else if !ctx.findings.has(Kind::HandshakeNotCaptured) {
                    ctx.findings
                        .found(None, Some(packet), Found::HandshakeNotCaptured);
                }
                // Without the handshake, permessage-deflate may be in use: allow RSV1.
                let dec = new_decoder(ctx.frame_log, r, true);
                let at = Origin {
                    packet,
                    ts,
                    order: ctx.order,
                };
                self.start(ctx, s, dec, bytes, at);
            }
            _ if tries + 1 >= MAX_TRIES => self.sides[s] = App::Off,
            _ => self.sides[s] = App::Probe(tries + 1),
        }
    }

    /// Try to complete the request or response buffered for side `s` (`buf`: what was
    /// buffered and the new bytes, or the new bytes alone when nothing was).
    fn http(&mut self, ctx: &mut Ctx, s: Side, buf: Cow<'_, [u8]>, packet: u64, ts: Timestamp) {
        let at = Origin {
            packet,
            ts,
            order: ctx.order,
        };
        if http::looks_like_response(&buf) {
            match http::parse_response(&buf) {
                Parsed::Partial => self.sides[s] = App::Http(buf.into_owned()),
                Parsed::Invalid => self.sides[s] = App::Off,
                Parsed::Done(r, n)
                    if self.h2c.is_some() || r.switches_to_h2c() && !self.session.transport.tls =>
                {
                    // The answer to an h2c offer (RFC 7540 §3.2): a 101 switching to h2c
                    // ends HTTP/1.1 here; any other answer keeps it, a plain exchange. A
                    // 101 to h2c whose request was not captured whole switches too: the
                    // client's side is lost where its request was cut, nothing guessed.
                    if !r.switches_to_h2c() {
                        return self.off();
                    }
                    let client = s.other();
                    let offer = self.h2c.get_or_insert_with(|| {
                        let cut = self.session.handshake.cut;
                        let held = match self.sides[client] {
                            App::Start => Vec::new(),
                            _ => vec![Held::Gap {
                                packet: None,
                                cut: cut == Some(HandshakeCut::SnapLength),
                            }],
                        };
                        Box::new(H2cOffer {
                            client,
                            request_packet: None,
                            settings: None,
                            body_left: 0,
                            held,
                            held_len: 0,
                            switched: None,
                        })
                    });
                    let rest = buf.get(n..).unwrap_or_default().to_vec();
                    let held = Held::Data {
                        bytes: rest,
                        packet,
                        ts,
                    };
                    offer.switched = Some((held, packet));
                    self.sides = Sides::new(App::Off, App::Off);
                    self.session = Session::default();
                }
                Parsed::Done(r, n) => {
                    let role = ctx.role(s);
                    let problems = r.problems();
                    if let Some(bytes) = &r.malformed {
                        if r.status == 101 || self.session.handshake.request_seen || r.upgrade {
                            let response = true;
                            let bytes = bytes.clone();
                            let found =
                                Found::HandshakeInvalid(Invalid::ControlBytes { response, bytes });
                            ctx.findings.found(Some(Role::Server), Some(packet), found);
                        }
                    }
                    let hs = &mut self.session.handshake;
                    if r.status == 101 {
                        hs.fault = crate::vocab::ResponseFault::of(
                            r.upgrade,
                            r.connection_upgrade,
                            r.extensions.as_deref(),
                            r.protocol.as_deref(),
                            hs.offered_extensions.as_deref(),
                            hs.offered_protocols.as_deref(),
                        );
                        // What the client did not offer (the missing headers are among
                        // the response's problems).
                        // The values as sent, cut (their words quote a subprotocol for
                        // `--redact` to treat: it may be a credential).
                        let cut = |v: &str| crate::sanitize::cut(v, 80).to_string();
                        let (protocol, value, offered) = match hs.fault {
                            Some(crate::vocab::ResponseFault::ExtensionNotOffered) => {
                                (false, r.extensions.as_deref(), &hs.offered_extensions)
                            }
                            Some(crate::vocab::ResponseFault::ProtocolNotOffered) => {
                                (true, r.protocol.as_deref(), &hs.offered_protocols)
                            }
                            _ => (false, None, &None),
                        };
                        if let Some(value) = value {
                            let found = Found::HandshakeInvalid(Invalid::NotOffered {
                                protocol,
                                value: cut(value),
                                offered: offered.as_deref().map(cut),
                            });
                            ctx.findings.found(Some(Role::Server), Some(packet), found);
                        }
                    }
                    let hs = &mut self.session.handshake;
                    hs.status = Some(r.status);
                    hs.response_packet = Some(packet);
                    hs.reason = Some(r.reason);
                    hs.subprotocol = r.protocol;
                    hs.server_software = r.software;
                    hs.set_server_proxy(r.proxy);
                    hs.deflate = http::has_permessage_deflate(r.extensions.as_deref());
                    hs.extensions = r.extensions;
                    hs.set_accept(r.accept);
                    if r.status == 101 {
                        for problem in problems {
                            let response = true;
                            let found =
                                Found::HandshakeInvalid(Invalid::Rule { response, problem });
                            ctx.findings.found(Some(Role::Server), Some(packet), found);
                        }
                        let accept_valid = hs.accept_valid();
                        let dec = self.session.agreed(s.other(), role, ctx.frame_log, ctx.app);
                        self.start(ctx, s, dec, buf.get(n..).unwrap_or_default(), at);
                        if accept_valid == Some(false) {
                            let found = Found::AcceptMismatch;
                            ctx.findings.found(Some(Role::Server), Some(packet), found);
                        }
                    } else {
                        hs.refusal_body = refused_body(
                            r.status,
                            r.chunked,
                            r.content_length.as_deref(),
                            buf.get(n..).unwrap_or_default(),
                        );
                        if hs.request_seen || r.upgrade {
                            let found = Found::UpgradeRefused {
                                status: r.status,
                                reason: hs.reason.as_deref().map(str::to_owned),
                                stream: None,
                            };
                            ctx.findings.found(Some(Role::Server), Some(packet), found);
                        }
                        self.off();
                    }
                }
            }
        } else {
            match http::parse_request(&buf) {
                Parsed::Partial => self.sides[s] = App::Http(buf.into_owned()),
                Parsed::Invalid => self.sides[s] = App::Off,
                Parsed::Done(r, n) if r.is_websocket_upgrade() => {
                    if let Some(bytes) = &r.malformed {
                        let response = false;
                        let bytes = bytes.clone();
                        let found =
                            Found::HandshakeInvalid(Invalid::ControlBytes { response, bytes });
                        ctx.findings.found(Some(Role::Client), Some(packet), found);
                    }
                    for problem in r.problems() {
                        let response = false;
                        let found = Found::HandshakeInvalid(Invalid::Rule { response, problem });
                        ctx.findings.found(Some(Role::Client), Some(packet), found);
                    }
                    let role = ctx.role(s);
                    let hs = &mut self.session.handshake;
                    hs.request_seen = true;
                    hs.request_packet = Some(packet);
                    hs.host = r.host;
                    hs.path = Some(r.path);
                    hs.client_software = r.software;
                    hs.set_client_proxy(r.proxy);
                    hs.set_key(r.key);
                    hs.version = r.version;
                    hs.client_mark = r
                        .protocols
                        .as_deref()
                        .map_or(r.cookie, |p| http::fold_hash(r.cookie, p.as_bytes()));
                    hs.offered_protocols = r.protocols;
                    hs.offered_extensions = r.extensions;
                    let dec = self.session.request_decoder(role, ctx.frame_log);
                    self.start(ctx, s, dec, buf.get(n..).unwrap_or_default(), at);
                }
                Parsed::Done(r, n) => match r.h2c_upgrade_body() {
                    // HTTP/2 offered by Upgrade (RFC 7540 §3.2), in cleartext only: hold
                    // what the client sends next until the server answers.
                    Some(body) if !self.session.transport.tls && self.h2c.is_none() => {
                        self.h2c = Some(Box::new(H2cOffer {
                            client: s,
                            request_packet: Some(packet),
                            settings: r.http2_settings,
                            body_left: body,
                            held: Vec::new(),
                            held_len: 0,
                            switched: None,
                        }));
                        self.sides[s] = App::H2c;
                        if let Some(rest) = buf.get(n..).filter(|b| !b.is_empty()) {
                            let ev = Event::Data {
                                offset: 0,
                                bytes: rest,
                                packet,
                                ts,
                            };
                            self.hold(ctx, s, ev);
                        }
                    }
                    // engine.io long-polling: its requests and responses are read for the
                    // session id and the OPEN packet (`polling`).
                    _ if self.polling.is_none() && ctx.app => {
                        match engineio::Polling::start(s, &r) {
                            Some(mut p) => {
                                if let Some(rest) = buf.get(n..).filter(|b| !b.is_empty()) {
                                    p.data(s, rest, packet, ts);
                                }
                                self.polling = Some(Box::new(p));
                                self.sides[s] = App::Poll;
                                let other = s.other();
                                self.sides[other] = match self.sides[other] {
                                    App::Start => App::Poll,
                                    _ => App::Off,
                                };
                            }
                            // Plain HTTP: not a WebSocket, nothing more to decode on either side.
                            None => self.off(),
                        }
                    }
                    _ => self.off(),
                },
            }
        }
    }

    /// Neither side is decoded any more. The decoders of a refused upgrade go with it, as
    /// their direction stops being a WebSocket stream.
    fn off(&mut self) {
        self.sides = Sides::new(App::Off, App::Off);
        self.session.decoders = Sides::default();
        self.h2c = None;
    }
}

/// The text of a refused upgrade's body (status `status`, chunked or of `content_length`),
/// of which `rest` holds what came with the head: read by its framing (RFC 9112 §6.3,
/// `body::Body`), so that a chunked body is its content, not its chunk sizes; as far as it
/// came.
fn refused_body(
    status: u16,
    chunked: bool,
    content_length: Option<&str>,
    rest: &[u8],
) -> Option<String> {
    if !chunked {
        return crate::websocket::session::refusal_body(rest, content_length);
    }
    let mut body = body::Body::of(status, None, true, true);
    let mut content = Vec::new();
    // A chunk's framing broken where the content stops: what came before it is kept.
    let _ = body.read(rest, |c| content.extend_from_slice(c));
    crate::websocket::session::refusal_body(&content, None)
}
