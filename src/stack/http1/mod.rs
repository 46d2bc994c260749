//! The HTTP/1.1 layer: a direction's first bytes decide whether it is an upgrade request,
//! its response, WebSocket frames picked up mid-stream, or something else; upgraded bytes
//! go to the WebSocket [`Session`]'s decoders.
//!
//! In: per direction, the bytes and gaps of the layer below (TCP, or what TLS decrypts), in
//! stream order, each tagged with its packet; and each direction's end. Out: at most one
//! [`Session`] (the upgrade's, or the one found by its frames when the handshake was not
//! captured), and findings about the handshake. RFC 6455 §4.1 (the client's request),
//! §4.2.2 (the server's response), §9.1 (permessage-deflate's negotiation, with RFC 7692).
//! The header parsing is `parse` (httparse).
//!
//! A handshake the capture holds only in part (cut by the snap length, `tcpdump -s 96`, or
//! a segment missing) is not the end of the direction: the whole frames that follow are
//! looked for with the strict probe of mid-stream captures (`websocket::probe`), and the
//! session says its handshake was cut (`Handshake::cut`) and why. What the cut left of a
//! response's status line is kept when it shows the status; a status other than 101 ends
//! decoding as a refused or plain HTTP exchange would.

pub mod parse;

use super::tcp::Event;
use super::{Ctx, Side, Sides};
use crate::capture::Timestamp;
use crate::finding::Kind;
use crate::flow::Role;
use crate::websocket::decoder::{Decoder, Origin};
use crate::websocket::session::{new_decoder, HandshakeCut, Session};
use parse::{self as http, Parsed};

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
    /// Not (or no longer) decoded.
    Off,
}

/// HTTP/1.1 over one byte stream pair, and the WebSocket session it may upgrade to.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Http1 {
    pub(crate) sides: Sides<App>,
    pub(crate) session: Session,
}

impl Default for Http1 {
    fn default() -> Self {
        Http1 {
            sides: Sides::new(App::Start, App::Start),
            session: Session::default(),
        }
    }
}

impl Http1 {
    /// The session, once this stream is or tried to become a WebSocket.
    pub fn session(&self) -> Option<&Session> {
        self.session.is_websocket().then_some(&self.session)
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
        self.session.can_freeze()
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
            App::Start | App::Http(_) | App::Probe(_) => self.sides[s] = App::Off,
            App::Off => {}
        }
    }

    /// Side `s` ended its stream (`how`) at `packet`.
    pub fn on_end(&mut self, ctx: &mut Ctx, s: Side, how: &str, packet: u64) {
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
                    self.cut(s, &[], cut, packet);
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
            App::Ws => {
                if let Some(dec) = &mut self.session.decoders[s] {
                    dec.feed(ev, ctx.order, &mut ctx.findings);
                }
            }
            App::Http(buf) => match ev {
                Event::Gap { cut, packet, .. } => {
                    let buf = std::mem::take(buf);
                    self.cut(s, &buf, cut, packet);
                }
                Event::Data {
                    bytes, packet, ts, ..
                } => {
                    buf.extend_from_slice(bytes);
                    let buf = std::mem::take(buf);
                    self.http(ctx, s, buf, packet, ts);
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
    fn cut(&mut self, s: Side, buf: &[u8], cut: bool, packet: Option<u64>) {
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
                        let how = match cut {
                            HandshakeCut::SnapLength => "cut by the capture's snap length",
                            HandshakeCut::Missing => "partly missing from the capture",
                        };
                        ctx.findings.push(
                            Kind::HandshakeCut,
                            None,
                            Some(packet),
                            format!("the WebSocket handshake was {how}: the connection was found by its frames after it; path, headers and extensions are unknown as far as they were cut (RSV1 is accepted on data frames)"),
                        );
                    }
                } else if !ctx.findings.has(Kind::HandshakeNotCaptured) {
                    ctx.findings.push(
                        Kind::HandshakeNotCaptured,
                        None,
                        Some(packet),
                        "the capture starts after the WebSocket handshake: the connection was found by its frames, extensions are unknown (RSV1 is accepted on data frames)".into(),
                    );
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

    /// Try to complete the request or response buffered for side `s`.
    fn http(&mut self, ctx: &mut Ctx, s: Side, buf: Vec<u8>, packet: u64, ts: Timestamp) {
        let at = Origin {
            packet,
            ts,
            order: ctx.order,
        };
        if http::looks_like_response(&buf) {
            match http::parse_response(&buf) {
                Parsed::Partial => self.sides[s] = App::Http(buf),
                Parsed::Invalid => self.sides[s] = App::Off,
                Parsed::Done(r, n) => {
                    let role = ctx.role(s);
                    let problems = r.problems();
                    let hs = &mut self.session.handshake;
                    hs.status = Some(r.status);
                    hs.response_packet = Some(packet);
                    hs.reason = Some(r.reason);
                    hs.subprotocol = r.protocol;
                    hs.deflate = http::has_permessage_deflate(r.extensions.as_deref());
                    hs.extensions = r.extensions;
                    hs.set_accept(r.accept);
                    if r.status == 101 {
                        for problem in problems {
                            ctx.findings.push(
                                Kind::HandshakeInvalid,
                                Some(Role::Server),
                                Some(packet),
                                format!("{problem} (RFC 6455 §4.2.2)"),
                            );
                        }
                        let accept_valid = hs.accept_valid();
                        let dec = self.session.agreed(s.other(), role, ctx.frame_log);
                        self.start(ctx, s, dec, buf.get(n..).unwrap_or_default(), at);
                        if accept_valid == Some(false) {
                            ctx.findings.push(
                                Kind::AcceptMismatch,
                                Some(Role::Server),
                                Some(packet),
                                "Sec-WebSocket-Accept does not match the client's Sec-WebSocket-Key (RFC 6455 §4.2.2); a conforming client fails the connection".into(),
                            );
                        }
                    } else {
                        if hs.request_seen || r.upgrade {
                            ctx.findings.push(
                                Kind::UpgradeRefused,
                                Some(Role::Server),
                                Some(packet),
                                format!(
                                    "the server answered the upgrade with HTTP {} {}",
                                    r.status,
                                    hs.reason.as_deref().unwrap_or("")
                                ),
                            );
                        }
                        self.off();
                    }
                }
            }
        } else {
            match http::parse_request(&buf) {
                Parsed::Partial => self.sides[s] = App::Http(buf),
                Parsed::Invalid => self.sides[s] = App::Off,
                Parsed::Done(r, n) if r.is_websocket_upgrade() => {
                    for problem in r.problems() {
                        ctx.findings.push(
                            Kind::HandshakeInvalid,
                            Some(Role::Client),
                            Some(packet),
                            format!("{problem} (RFC 6455 §4.1)"),
                        );
                    }
                    let role = ctx.role(s);
                    let hs = &mut self.session.handshake;
                    hs.request_seen = true;
                    hs.request_packet = Some(packet);
                    hs.host = r.host;
                    hs.path = Some(r.path);
                    hs.set_key(r.key);
                    hs.version = r.version;
                    hs.offered_protocols = r.protocols;
                    hs.offered_extensions = r.extensions;
                    let dec = self.session.request_decoder(role, ctx.frame_log);
                    self.start(ctx, s, dec, buf.get(n..).unwrap_or_default(), at);
                }
                Parsed::Done(..) => {
                    // Plain HTTP: not a WebSocket, nothing more to decode on either side.
                    self.off();
                }
            }
        }
    }

    /// Neither side is decoded any more. The decoders of a refused upgrade go with it, as
    /// their direction stops being a WebSocket stream.
    fn off(&mut self) {
        self.sides = Sides::new(App::Off, App::Off);
        self.session.decoders = Sides::default();
    }
}
