//! HTTP CONNECT through a forward proxy (RFC 9110 §9.3.6): the tunnel as a layer.
//!
//! In: a connection whose client's first bytes start a `CONNECT` request (the stack picks
//! this layer from them, [`starts`]), then both directions' bytes and gaps in stream order.
//! The request head and the proxy's answer head are buffered up to their blank line (at
//! most `parse::MAX_HEADER_BYTES` each) and parsed only when a line ended
//! (`parse::worth_parsing`, as HTTP/1.1's upgrade heads are), so a head split at any byte
//! reads the same and costs one parse per line. Out: the [`Tunnel`] (the target as sent,
//! the proxy's status, their packets) and a [`Step`] for the stack:
//! - a `2xx` opens the tunnel (§9.3.6: "any 2xx (Successful) response indicates that the
//!   sender (and all inbound proxies) will switch to tunnel mode immediately after the
//!   response's header section"): the rest of both directions goes back to the stack from
//!   the byte after the answer's head, the client's bytes sent before the answer first
//!   (at most [`MAX_HELD`] kept), and the stack chooses TLS, HTTP/1.1 or HTTP/2 again as
//!   for any connection;
//! - any other final status is a refusal: its body is read by its framing (RFC 9112 §6.3,
//!   `http1::body`: chunked transfer coding, else `Content-Length`, else up to the end of
//!   the connection), its first [`MAX_BODY`] bytes kept for the report, and the connection
//!   stays here: a client may send another CONNECT on it (after a `407`,
//!   with credentials), which starts over, the earlier answers kept in `earlier`;
//! - interim `1xx` answers are passed over (§15.2);
//! - a first request that is no CONNECT after all goes back to the stack whole.
//!
//! A gap in either head ends the layer's reading (nothing is guessed across it); a gap
//! in a refusal's body marks the body cut.

mod tunnel;

use super::http1::body::Body;
use super::http1::parse::{self, Parsed};
use super::http1::Held;
use super::Ctx;
use crate::flow::Event;
use crate::flow::Side;
use crate::vocab::Timestamp;
use crate::websocket::session::Session;
pub use tunnel::Tunnel;

/// Bytes the client may send after its CONNECT before the proxy answers (a TLS client
/// that does not wait, its ClientHello), kept for the tunnel.
pub const MAX_HELD: usize = 16 * 1024;

/// Bytes of a refusal's body kept for the report (Squid's error pages are about 3 KiB).
pub const MAX_BODY: usize = 4 * 1024;

/// Bytes of the target kept, as sent (a host name is at most 253, RFC 1035 §2.3.4).
pub const MAX_TARGET: usize = 300;

/// Earlier answers on one connection kept (each refusal before the last request).
const MAX_EARLIER: usize = 8;

/// A client's first bytes start a CONNECT request (or may: a first segment shorter than
/// the method agrees with it as far as it goes).
pub fn starts(bytes: &[u8]) -> bool {
    const METHOD: &[u8] = b"CONNECT ";
    !bytes.is_empty() && (bytes.starts_with(METHOD) || METHOD.starts_with(bytes))
}

/// The client's direction.
#[derive(Debug)]
enum Client {
    /// Its request head so far.
    Head(Vec<u8>),
    /// The request is complete: what it sends until the answer is held.
    Sent,
    /// Not read any more.
    Off,
}

/// The proxy's direction.
#[derive(Debug)]
enum Proxy {
    /// Its answer head so far.
    Head(Vec<u8>),
    /// A refusal's body, read by its framing.
    Body(Body),
    /// Not read any more.
    Off,
}

/// What the stack does after an event.
#[derive(Debug)]
pub enum Step {
    /// Nothing.
    Wait,
    /// The proxy answered 2xx: the stack reads these on, in order, from a fresh start.
    Open(Vec<(Side, Held)>),
    /// The first request is not a CONNECT: the stack reads these bytes as they came.
    NotConnect(Vec<(Side, Held)>),
}

/// A CONNECT and its answer on one connection.
#[derive(Debug)]
pub struct Connect {
    client: Side,
    side_client: Client,
    side_proxy: Proxy,
    /// The request's facts, once its head was read.
    pub tunnel: Option<Tunnel>,
    /// The client's bytes after its request, before the answer.
    held: Vec<Held>,
    held_len: usize,
    /// The packet (and its time) of the client's last bytes in its request head.
    last: (u64, Timestamp),
    /// Something showed that a WebSocket was asked for through the tunnel (see
    /// [`Connect::refused`]).
    asked: bool,
    /// What a refused tunnel is reported as: a session with no WebSocket.
    pub(crate) session: Session,
}

impl Connect {
    /// A CONNECT from side `client`.
    pub fn new(client: Side) -> Connect {
        Connect {
            client,
            side_client: Client::Head(Vec::new()),
            side_proxy: Proxy::Head(Vec::new()),
            tunnel: None,
            held: Vec::new(),
            held_len: 0,
            last: (0, Timestamp::default()),
            asked: false,
            session: Session::default(),
        }
    }

    /// Bytes this layer takes in memory: itself, its heads so far (at most
    /// `parse::MAX_HEADER_BYTES` each), the client's bytes held until the answer (at most
    /// [`MAX_HELD`]), and the tunnel's facts (a refusal's body at most [`MAX_BODY`]), each
    /// buffer at its capacity.
    pub fn heap_bytes(&self) -> usize {
        let head_c = match &self.side_client {
            Client::Head(buf) => buf.capacity(),
            Client::Sent | Client::Off => 0,
        };
        let head_p = match &self.side_proxy {
            Proxy::Head(buf) => buf.capacity(),
            Proxy::Body(_) | Proxy::Off => 0,
        };
        // Each held piece is a copy of its bytes: `held_len` is their capacity, kept as
        // they come (no walk of the pieces, which this runs twice per event).
        let held = self.held_len;
        let tunnel = self.tunnel.as_ref().map_or(0, |t| {
            std::mem::size_of::<Tunnel>()
                + t.target.capacity()
                + t.reason.capacity()
                + t.body.capacity()
                + t.content_type.as_ref().map_or(0, String::capacity)
                + t.earlier.capacity() * std::mem::size_of::<(u16, u64)>()
                + t.proxy
                    .as_ref()
                    .and_then(|p| p.version.as_ref())
                    .map_or(0, String::capacity)
        });
        std::mem::size_of::<Connect>()
            + head_c
            + head_p
            + held
            + self.held.capacity() * std::mem::size_of::<Held>()
            + tunnel
    }

    /// The session a refused tunnel is reported as, when something the client sent shows
    /// that it asked for a WebSocket: a CONNECT whose `User-Agent` names a WebSocket client
    /// library, or a WebSocket upgrade (RFC 6455 §4.1) sent ahead of the proxy's answer or
    /// after it on the same connection. A refused CONNECT tells nothing else about what the
    /// tunnel was for (a browser's to port 443 is mostly HTTPS): without such evidence it is
    /// no WebSocket connection by itself (counted as `seen.refused_tunnels`, unless the
    /// same client host's tunnel to the same target through the same proxy carried one:
    /// `analyzer::tunnels`).
    pub fn refused(&self) -> Option<&Session> {
        self.tunnel
            .as_ref()
            .filter(|t| t.refused() && self.asked)
            .map(|_| &self.session)
    }

    /// The session of a refused tunnel that [`Connect::refused`] does not report: nothing
    /// the client sent on this connection shows it asked for a WebSocket. The analyzer
    /// keeps it for the end, when the client's other tunnels may show it
    /// (`analyzer::tunnels`).
    pub fn refused_unshown(&self) -> Option<&Session> {
        self.tunnel
            .as_ref()
            .filter(|t| t.refused() && !self.asked)
            .map(|_| &self.session)
    }

    /// Bytes or a gap of side `s`.
    pub fn on_event(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>) -> Step {
        ctx.order += 1;
        if s == self.client {
            self.client_event(ev)
        } else {
            self.proxy_event(ev)
        }
    }

    fn client_event(&mut self, ev: Event<'_>) -> Step {
        match (&mut self.side_client, ev) {
            (Client::Off, _) => Step::Wait,
            (Client::Head(buf), Event::Gap { packet, cut, .. }) => {
                // The head is not whole: a first request goes back to the stack, which
                // says what the gap cut; a later one ends the reading here.
                let buf = std::mem::take(buf);
                self.side_client = Client::Off;
                if self.tunnel.is_some() {
                    return Step::Wait;
                }
                let (last, last_ts) = self.last;
                let mut back = Vec::new();
                if !buf.is_empty() {
                    back.push((
                        self.client,
                        Held::Data {
                            bytes: buf,
                            packet: last,
                            ts: last_ts,
                        },
                    ));
                }
                back.push((self.client, Held::Gap { packet, cut }));
                Step::NotConnect(back)
            }
            (
                Client::Head(buf),
                Event::Data {
                    bytes, packet, ts, ..
                },
            ) => {
                self.last = (packet, ts);
                buf.extend_from_slice(bytes);
                if !parse::worth_parsing(buf, bytes.len()) {
                    return Step::Wait;
                }
                match parse::parse_request(buf) {
                    // A first request is told from a CONNECT at its first bytes; one after a
                    // refusal is read whole (another CONNECT, or an upgrade that shows what
                    // the tunnel was for), wherever its segments end.
                    Parsed::Partial if starts(buf) || self.tunnel.is_some() => Step::Wait,
                    Parsed::Done(r, n) if r.method == "CONNECT" => {
                        self.asked |= websocket_client(&r);
                        let rest = buf.get(n..).unwrap_or_default().to_vec();
                        let mut target = r.path;
                        target.truncate(crate::sanitize::cut(&target, MAX_TARGET).len());
                        let earlier = self.tunnel.take().map(|t| {
                            let mut e = t.earlier;
                            if e.len() < MAX_EARLIER {
                                e.extend(t.status.zip(t.response_packet));
                            }
                            e
                        });
                        self.tunnel = Some(Tunnel {
                            target,
                            request_packet: packet,
                            request_ts: ts,
                            earlier: earlier.unwrap_or_default(),
                            ..Tunnel::default()
                        });
                        self.side_client = Client::Sent;
                        self.held.clear();
                        self.held_len = 0;
                        if matches!(self.side_proxy, Proxy::Off) {
                            self.side_proxy = Proxy::Head(Vec::new());
                        }
                        if !rest.is_empty() {
                            self.hold(Event::Data {
                                offset: 0,
                                bytes: &rest,
                                packet,
                                ts,
                            });
                        }
                        Step::Wait
                    }
                    // A WebSocket upgrade sent to the proxy after its refusal: not read
                    // further, but it shows what the tunnel was for.
                    Parsed::Done(r, _) if self.tunnel.is_some() && r.is_websocket_upgrade() => {
                        self.asked = true;
                        self.side_client = Client::Off;
                        Step::Wait
                    }
                    // Not a CONNECT (or not HTTP): a first request goes back to the stack
                    // whole; after a refusal the connection is not read further.
                    _ => {
                        let buf = std::mem::take(buf);
                        self.side_client = Client::Off;
                        if self.tunnel.is_none() {
                            return Step::NotConnect(vec![(
                                self.client,
                                Held::Data {
                                    bytes: buf,
                                    packet,
                                    ts,
                                },
                            )]);
                        }
                        Step::Wait
                    }
                }
            }
            (Client::Sent, ev) => {
                self.hold(ev);
                Step::Wait
            }
        }
    }

    /// The client's bytes held before the answer start a WebSocket upgrade request.
    fn upgrade_held(&self) -> bool {
        let mut head = Vec::new();
        for h in &self.held {
            match h {
                Held::Data { bytes, .. } => head.extend_from_slice(bytes),
                Held::Gap { .. } | Held::NotKept { .. } => break,
            }
        }
        matches!(parse::parse_request(&head), Parsed::Done(r, _) if r.is_websocket_upgrade())
    }

    /// Keeps what the client sends before the answer, up to [`MAX_HELD`] bytes.
    fn hold(&mut self, ev: Event<'_>) {
        if matches!(
            self.held.last(),
            Some(Held::Gap { .. } | Held::NotKept { .. })
        ) {
            return;
        }
        match ev {
            Event::Gap { packet, cut, .. } => self.held.push(Held::Gap { packet, cut }),
            Event::Data {
                bytes, packet, ts, ..
            } => {
                let room = MAX_HELD.saturating_sub(self.held_len);
                let (keep, over) = bytes.split_at(room.min(bytes.len()));
                self.held_len += keep.len();
                if !keep.is_empty() {
                    self.held.push(Held::Data {
                        bytes: keep.to_vec(),
                        packet,
                        ts,
                    });
                }
                if !over.is_empty() {
                    self.held.push(Held::NotKept { packet });
                }
            }
        }
    }

    fn proxy_event(&mut self, ev: Event<'_>) -> Step {
        match (&mut self.side_proxy, ev) {
            (Proxy::Off, _) => Step::Wait,
            (Proxy::Head(_), Event::Gap { .. }) => {
                // The answer is not whole: whether the tunnel opened is unknown.
                self.side_proxy = Proxy::Off;
                self.side_client = Client::Off;
                Step::Wait
            }
            (Proxy::Body(_), Event::Gap { .. }) => {
                if let Some(t) = self.tunnel.as_mut() {
                    t.body_cut = true;
                }
                self.side_proxy = Proxy::Off;
                Step::Wait
            }
            (Proxy::Body(framing), Event::Data { bytes, .. }) => {
                let tunnel = &mut self.tunnel;
                let read = framing.read(bytes, |b| keep_body(tunnel.as_mut(), b));
                let done = framing.done();
                match read {
                    Ok(used) if done => {
                        self.side_proxy = Proxy::Head(Vec::new());
                        if used < bytes.len() {
                            // Bytes after the body with no request for them: not read.
                            self.side_proxy = Proxy::Off;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => {
                        // A chunked body whose framing broke: where it ends is unknown.
                        if let Some(t) = self.tunnel.as_mut() {
                            t.body_cut = true;
                        }
                        self.side_proxy = Proxy::Off;
                    }
                }
                Step::Wait
            }
            (
                Proxy::Head(buf),
                Event::Data {
                    bytes, packet, ts, ..
                },
            ) => {
                buf.extend_from_slice(bytes);
                if !parse::worth_parsing(buf, bytes.len()) {
                    return Step::Wait;
                }
                let mut buf = std::mem::take(buf);
                loop {
                    match parse::parse_response(&buf) {
                        Parsed::Partial => {
                            self.side_proxy = Proxy::Head(buf);
                            return Step::Wait;
                        }
                        Parsed::Invalid => {
                            self.side_proxy = Proxy::Off;
                            self.side_client = Client::Off;
                            return Step::Wait;
                        }
                        // An interim answer (RFC 9110 §15.2): the final one follows.
                        Parsed::Done(r, n) if (100..200).contains(&r.status) => {
                            buf.drain(..n.min(buf.len()));
                            if buf.is_empty() {
                                self.side_proxy = Proxy::Head(buf);
                                return Step::Wait;
                            }
                        }
                        Parsed::Done(r, n) => {
                            return self.answer(r, buf.get(n..).unwrap_or_default(), packet, ts)
                        }
                    }
                }
            }
        }
    }

    /// The proxy's final answer `r`, followed by `rest` in the same bytes.
    fn answer(&mut self, r: parse::Response, rest: &[u8], packet: u64, ts: Timestamp) -> Step {
        let Some(t) = self
            .tunnel
            .as_mut()
            .filter(|_| matches!(self.side_client, Client::Sent))
        else {
            // An answer to no request seen whole: nothing is guessed.
            self.side_proxy = Proxy::Off;
            self.side_client = Client::Off;
            return Step::Wait;
        };
        t.status = Some(r.status);
        t.reason = r.reason.into_owned();
        t.response_packet = Some(packet);
        t.response_ts = Some(ts);
        t.content_type = r.content_type;
        t.proxy = r.proxy;
        if (200..300).contains(&r.status) {
            let mut next: Vec<(Side, Held)> = std::mem::take(&mut self.held)
                .into_iter()
                .map(|h| (self.client, h))
                .collect();
            if !rest.is_empty() {
                next.push((
                    self.client.other(),
                    Held::Data {
                        bytes: rest.to_vec(),
                        packet,
                        ts,
                    },
                ));
            }
            self.side_client = Client::Off;
            self.side_proxy = Proxy::Off;
            return Step::Open(next);
        }
        // Refused: the body, read by its framing (RFC 9112 §6.3), is kept; the client may
        // ask again on this connection once it ended.
        self.asked |= self.upgrade_held();
        let framing = Body::of(
            r.status,
            r.content_length.as_deref(),
            r.transfer_encoding,
            r.chunked,
        );
        self.held.clear();
        self.held_len = 0;
        self.side_client = Client::Head(Vec::new());
        self.side_proxy = if framing.done() {
            Proxy::Head(Vec::new())
        } else {
            Proxy::Body(framing)
        };
        if !rest.is_empty() {
            return self.proxy_event(Event::Data {
                offset: 0,
                bytes: rest,
                packet,
                ts,
            });
        }
        Step::Wait
    }
}

/// A CONNECT whose `User-Agent` names a client library that speaks only WebSocket
/// ([`crate::vocab::Library::speaks_only_websocket`]).
fn websocket_client(r: &parse::Request) -> bool {
    r.software
        .as_ref()
        .is_some_and(|s| s.library.speaks_only_websocket())
}

/// Keeps a refusal's body bytes in `t` up to [`MAX_BODY`].
fn keep_body(t: Option<&mut Tunnel>, bytes: &[u8]) {
    let Some(t) = t else {
        return;
    };
    let room = MAX_BODY.saturating_sub(t.body.len());
    if bytes.len() > room {
        t.body_cut = true;
    }
    t.body
        .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
}

#[cfg(test)]
mod tests;
