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

use super::http1::body::Body;
use super::http1::parse::{self, Parsed};
use super::http1::Held;
use super::tcp::Event;
use super::Ctx;
use crate::capture::Timestamp;
use crate::flow::Side;
use crate::websocket::session::Session;

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

/// What a CONNECT asked for and what the proxy answered.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tunnel {
    /// The request-target (authority-form `host:port`), as sent (at most [`MAX_TARGET`]
    /// bytes, read as UTF-8 with replacement).
    pub target: String,
    pub request_packet: u64,
    pub request_ts: Timestamp,
    /// The proxy's final status; `None` while unanswered.
    pub status: Option<u16>,
    /// Its reason phrase, as sent (at most `parse::MAX_REASON` bytes and a `…`).
    pub reason: String,
    pub response_packet: Option<u64>,
    pub response_ts: Option<Timestamp>,
    /// The answer's `Content-Type`.
    pub content_type: Option<String>,
    /// The first bytes of a refusal's body (at most [`MAX_BODY`]).
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// The body went on past what was kept, or part of it is not in the capture.
    pub body_cut: bool,
    /// Answers the proxy gave to earlier CONNECTs on this connection (status, packet), in
    /// order.
    pub earlier: Vec<(u16, u64)>,
}

impl Tunnel {
    /// The proxy answered with a final status other than 2xx.
    pub fn refused(&self) -> bool {
        self.status.is_some_and(|s| !(200..300).contains(&s))
    }

    /// The port the target names, when it is `host:port` with a port.
    pub fn target_port(&self) -> Option<u16> {
        let (_, port) = self.target.rsplit_once(':')?;
        port.parse().ok()
    }

    /// The target's host when it is an IP address literal (`[v6]` or v4).
    pub fn target_ip(&self) -> Option<std::net::IpAddr> {
        let (host, _) = self.target.rsplit_once(':')?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        host.parse().ok()
    }

    /// The refusal's body as text: an HTML page's words (its tags, styles and scripts
    /// left out, entities read), any other body as sent; whitespace runs are one space,
    /// cut at `max` bytes. `None` when there is no body.
    pub fn body_text(&self, max: usize) -> Option<String> {
        if self.body.is_empty() {
            return None;
        }
        let raw = String::from_utf8_lossy(&self.body);
        let html = self
            .content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
            || raw.trim_start().starts_with('<');
        let text = if html {
            html_words(&raw)
        } else {
            raw.into_owned()
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = words.join(" ");
        let cut = crate::sanitize::cut(&joined, max);
        match (cut.len() < joined.len(), cut.is_empty()) {
            (_, true) => None,
            (true, false) => Some(format!("{cut}…")),
            (false, false) => Some(joined),
        }
    }
}

/// The words of an HTML page: tags dropped, with what `<style>`, `<script>` and comments
/// hold; the few entities error pages use read.
fn html_words(page: &str) -> String {
    let mut out = String::with_capacity(page.len() / 2);
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push(' ');
        let tag = rest.get(at..).unwrap_or_default();
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        let close = if tag.starts_with("<!--") {
            "-->"
        } else if lower.starts_with("<style") {
            "</style>"
        } else if lower.starts_with("<script") {
            "</script>"
        } else {
            ">"
        };
        let found = if close == ">" {
            tag.find(close)
        } else {
            tag.to_ascii_lowercase().find(close)
        };
        rest = match found {
            Some(end) => tag.get(end + close.len()..).unwrap_or_default(),
            None => "",
        };
    }
    out.push_str(rest);
    for (entity, c) in [
        ("&nbsp;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ] {
        if out.contains(entity) {
            out = out.replace(entity, c);
        }
    }
    out
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
    /// no WebSocket connection (counted as `seen.refused_tunnels`).
    pub fn refused(&self) -> Option<&Session> {
        self.tunnel
            .as_ref()
            .filter(|t| t.refused() && self.asked)
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

/// A CONNECT whose `User-Agent` names a client library that speaks only WebSocket.
fn websocket_client(r: &parse::Request) -> bool {
    use crate::websocket::library::Library;
    r.software
        .as_ref()
        .is_some_and(|s| s.library == Library::PythonWebsockets)
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
mod tests {
    use super::super::tcp::Event;
    use super::super::Stack;
    use crate::capture::Timestamp;
    use crate::flow::Side;
    use crate::stack::tls::keylog::KeyLog;

    fn data(bytes: &[u8], packet: u64) -> Event<'_> {
        Event::Data {
            offset: 0,
            bytes,
            packet,
            ts: Timestamp(packet as i64),
        }
    }

    const REQUEST: &[u8] =
        b"CONNECT 10.0.0.9:8443 HTTP/1.1\r\nHost: 10.0.0.9:8443\r\nUser-Agent: t\r\n\r\n";
    /// A CONNECT from a WebSocket client library (Python websockets names itself).
    const WS_REQUEST: &[u8] =
        b"CONNECT 10.0.0.9:8443 HTTP/1.1\r\nHost: 10.0.0.9:8443\r\nUser-Agent: Python/3.11 websockets/17.4\r\n\r\n";
    const OK: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";
    const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const SWITCH: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    /// A masked close frame 1000 "bye" (RFC 6455 §5.5.1), mask 0.
    const CLOSE_1000: &[u8] = b"\x88\x85\0\0\0\0\x03\xe8bye";

    /// `bytes` of side `s` in segments cut at `cuts`, packets from `packet` on.
    fn feed(st: &mut Stack, s: Side, bytes: &[u8], cuts: &[usize], packet: u64) {
        let keys = KeyLog::new();
        let mut from = 0;
        for (k, &at) in cuts.iter().chain([&bytes.len()]).enumerate() {
            if at > from {
                st.on_event(s, data(&bytes[from..at], packet + k as u64), &keys);
                from = at;
            }
        }
    }

    /// A whole tunnelled WebSocket, the CONNECT head cut at `req` and the answer's at
    /// `ans` (with the upgrade in the answer's segment when `joined`).
    fn tunnel(req: &[usize], ans: &[usize]) -> Stack {
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, req, 10);
        feed(&mut st, Side::B, OK, ans, 1000);
        feed(&mut st, Side::A, UPGRADE, &[], 2000);
        feed(&mut st, Side::B, SWITCH, &[], 2001);
        feed(&mut st, Side::A, CLOSE_1000, &[], 2002);
        st
    }

    fn assert_tunnel(st: &Stack, what: &str) {
        let t = st.tunnel().unwrap_or_else(|| panic!("{what}: no tunnel"));
        assert_eq!(t.target, "10.0.0.9:8443", "{what}");
        assert_eq!(t.status, Some(200), "{what}");
        assert_eq!(t.reason, "Connection established", "{what}");
        assert_eq!(t.target_port(), Some(8443));
        assert_eq!(t.target_ip(), "10.0.0.9".parse().ok());
        let w = st
            .sessions()
            .next()
            .unwrap_or_else(|| panic!("{what}: no session"));
        assert_eq!(w.handshake.path.as_deref(), Some("/chat"), "{what}");
        assert_eq!(w.handshake.accept_valid(), Some(true), "{what}");
        let closes = &w.decoder(Side::A).expect("client decoder").closes;
        assert_eq!(closes.len(), 1, "{what}");
        assert_eq!(closes[0].code, Some(1000), "{what}");
        assert_eq!(st.ctx.client, Some(Side::A), "{what}");
    }

    #[test]
    fn a_connect_head_split_at_every_byte_opens_the_same_tunnel() {
        for i in 0..=REQUEST.len() {
            assert_tunnel(&tunnel(&[i], &[]), &format!("request cut at {i}"));
        }
        for i in 0..=OK.len() {
            assert_tunnel(&tunnel(&[], &[i]), &format!("answer cut at {i}"));
        }
        let every: Vec<usize> = (1..REQUEST.len()).collect();
        let every_ok: Vec<usize> = (1..OK.len()).collect();
        assert_tunnel(&tunnel(&every, &every_ok), "one byte per segment");
    }

    #[test]
    fn bytes_after_the_heads_in_their_segments_go_into_the_tunnel() {
        // The upgrade rides in the CONNECT's segment (a client that does not wait), the
        // 101 in the 200's: both are read, in order, with their packets.
        let keys = KeyLog::new();
        let mut st = Stack::default();
        let mut first = REQUEST.to_vec();
        first.extend(UPGRADE);
        st.on_event(Side::A, data(&first, 4), &keys);
        let mut answer = OK.to_vec();
        answer.extend(SWITCH);
        st.on_event(Side::B, data(&answer, 6), &keys);
        st.on_event(Side::A, data(CLOSE_1000, 8), &keys);
        let w = st.sessions().next().expect("the tunnelled session");
        assert_eq!(w.handshake.request_packet, Some(4));
        assert_eq!(w.handshake.response_packet, Some(6));
        assert_eq!(w.decoder(Side::A).expect("client").closes.len(), 1);
        assert_eq!(st.tunnel().and_then(|t| t.response_packet), Some(6));
    }

    #[test]
    fn a_refused_connect_keeps_its_status_and_body_split_anywhere() {
        let answer = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 78\r\n\r\n<html><head><style>p{x:1}</style><title>Denied</title></head>&lt;no&gt;</html>";
        let body_len = answer.len() - answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() - 4;
        assert_eq!(body_len, 78);
        for i in 0..=answer.len() {
            let mut st = Stack::default();
            feed(&mut st, Side::A, WS_REQUEST, &[], 1);
            feed(&mut st, Side::B, answer, &[i], 2);
            let t = st.tunnel().expect("the tunnel asked for");
            assert_eq!(
                (t.status, t.reason.as_str()),
                (Some(403), "Forbidden"),
                "{i}"
            );
            assert!(t.refused());
            assert_eq!(t.body_text(200).as_deref(), Some("Denied <no>"), "{i}");
            assert!(!t.body_cut);
            let w = st.sessions().next().expect("the refusal is reported");
            assert!(w.decoders.iter().all(Option::is_none));
        }
    }

    #[test]
    fn a_second_connect_after_a_407_opens_the_tunnel() {
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, &[], 1);
        feed(
            &mut st,
            Side::B,
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 4\r\n\r\nauth",
            &[],
            2,
        );
        assert_eq!(st.tunnel().and_then(|t| t.status), Some(407));
        feed(&mut st, Side::A, REQUEST, &[], 3);
        feed(&mut st, Side::B, OK, &[], 4);
        feed(&mut st, Side::A, UPGRADE, &[], 5);
        feed(&mut st, Side::B, SWITCH, &[], 6);
        let t = st.tunnel().expect("the tunnel");
        assert_eq!(t.status, Some(200));
        assert_eq!(t.earlier, vec![(407, 2)]);
        assert_eq!(st.sessions().count(), 1);
    }

    #[test]
    fn a_chunked_407_split_anywhere_keeps_its_page_and_the_retry_opens() {
        // RFC 9112 §7.1: sizes in hex with extensions, the last chunk, a trailer line.
        let answer = b"HTTP/1.1 407 Proxy Authentication Required\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 2\r\n\r\n5;a=\"b\"\r\nlog i\r\n9\r\nn first\r\n\r\n0\r\nX-T: 1\r\n\r\n";
        let cuts: Vec<Vec<usize>> = (0..=answer.len())
            .map(|i| vec![i])
            .chain([(1..answer.len()).collect()])
            .collect();
        for cut in &cuts {
            let mut st = Stack::default();
            feed(&mut st, Side::A, REQUEST, &[], 1);
            feed(&mut st, Side::B, answer, cut, 2);
            let t = st.tunnel().expect("the tunnel asked for");
            assert_eq!(t.status, Some(407), "{cut:?}");
            assert_eq!(t.body, b"log in first\r\n", "{cut:?}");
            assert!(!t.body_cut, "{cut:?}");
            feed(&mut st, Side::A, REQUEST, &[], 500);
            feed(&mut st, Side::B, OK, &[], 501);
            feed(&mut st, Side::A, UPGRADE, &[], 502);
            feed(&mut st, Side::B, SWITCH, &[], 503);
            let t = st.tunnel().expect("the tunnel");
            assert_eq!(t.status, Some(200), "{cut:?}");
            assert_eq!(t.earlier.iter().map(|e| e.0).collect::<Vec<_>>(), [407]);
            assert_eq!(st.sessions().count(), 1, "{cut:?}");
        }
        // A chunked body whose framing breaks: cut, and the proxy's bytes are read again
        // only as the answer to the client's next CONNECT.
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, &[], 1);
        feed(
            &mut st,
            Side::B,
            b"HTTP/1.1 407 No\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            &[],
            2,
        );
        assert!(st.tunnel().is_some_and(|t| t.body_cut));
        feed(&mut st, Side::A, REQUEST, &[], 3);
        feed(&mut st, Side::B, OK, &[], 4);
        let t = st.tunnel().expect("the second CONNECT");
        assert_eq!((t.status, &t.earlier), (Some(200), &vec![(407, 2)]));
    }

    #[test]
    fn a_refusal_is_a_websocket_only_when_the_client_showed_it_asked_for_one() {
        const DENIED: &[u8] = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
        let refused_cut = |ahead: &[u8], after: &[u8], request: &[u8], cut: &[usize]| {
            let mut st = Stack::default();
            feed(&mut st, Side::A, request, &[], 1);
            let at = |b: &[u8]| if b.is_empty() { &[][..] } else { cut };
            feed(&mut st, Side::A, ahead, at(ahead), 2);
            feed(&mut st, Side::B, DENIED, &[], 30);
            feed(&mut st, Side::A, after, at(after), 40);
            assert_eq!(st.tunnel().and_then(|t| t.status), Some(403));
            st.sessions().count()
        };
        let refused =
            |ahead: &[u8], after: &[u8], request: &[u8]| refused_cut(ahead, after, request, &[]);
        // Nothing but the CONNECT: no WebSocket, counted apart.
        assert_eq!(refused(b"", b"", REQUEST), 0);
        // A ClientHello sent ahead is no evidence (TLS carries any protocol).
        assert_eq!(refused(&[0x16, 3, 1, 0, 1, 1], b"", REQUEST), 0);
        // A plain GET sent after the refusal is none either.
        assert_eq!(
            refused(b"", b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", REQUEST),
            0
        );
        // The library's User-Agent, an upgrade sent ahead, or after the refusal: one is.
        assert_eq!(refused(b"", b"", WS_REQUEST), 1);
        assert_eq!(refused(UPGRADE, b"", REQUEST), 1);
        assert_eq!(refused(b"", UPGRADE, REQUEST), 1);
        // Split anywhere, ahead or after (found by the connect_head fuzz target: a head
        // after the refusal was judged at its first piece).
        for i in 1..UPGRADE.len() {
            assert_eq!(
                refused_cut(UPGRADE, b"", REQUEST, &[i]),
                1,
                "ahead, cut at {i}"
            );
            assert_eq!(
                refused_cut(b"", UPGRADE, REQUEST, &[i]),
                1,
                "after, cut at {i}"
            );
        }
        // An upgrade cut by the hold limit is no evidence: the head is not whole.
        let mut long = UPGRADE[..UPGRADE.len() - 2].to_vec();
        long.extend(format!("X: {}\r\n\r\n", "x".repeat(super::MAX_HELD)).bytes());
        assert_eq!(refused(&long, b"", REQUEST), 0);
    }

    #[test]
    fn a_request_that_is_no_connect_goes_back_to_http() {
        // "C" agrees with CONNECT, "CONNEXION" does not: the bytes go to HTTP/1.1 as sent.
        let mut st = Stack::default();
        feed(
            &mut st,
            Side::A,
            b"CONNEXION / HTTP/1.1\r\nHost: h\r\n\r\n",
            &[1, 4],
            1,
        );
        assert!(st.tunnel().is_none());
        assert!(matches!(st.layer(), super::super::Layer::Http1));
        assert_eq!(st.sessions().count(), 0);
        // A WebSocket upgrade is never taken for a CONNECT.
        let mut st = Stack::default();
        feed(&mut st, Side::A, UPGRADE, &[1], 1);
        feed(&mut st, Side::B, SWITCH, &[], 2);
        assert!(st.tunnel().is_none());
        assert_eq!(st.sessions().count(), 1);
    }

    #[test]
    fn http2_and_tls_are_chosen_again_inside_the_tunnel() {
        use super::super::Layer;
        // h2c with prior knowledge (RFC 9113 §3.4) after the 200.
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, &[], 1);
        feed(&mut st, Side::B, OK, &[], 2);
        feed(&mut st, Side::A, crate::stack::h2::PREFACE, &[], 3);
        assert!(matches!(st.layer(), Layer::H2));
        assert_eq!(
            st.tunnel().map(|t| t.target.as_str()),
            Some("10.0.0.9:8443")
        );
        // A ClientHello the client sent before the answer is held, then read as TLS.
        let hello = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03];
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, &[], 1);
        feed(&mut st, Side::A, &hello, &[], 2);
        assert!(matches!(st.layer(), Layer::Connect));
        feed(&mut st, Side::B, OK, &[], 3);
        assert!(crate::stack::tls::looks_like_client_hello(&hello));
        assert!(matches!(st.layer(), Layer::Tls));
        assert_eq!(st.ctx.client, Some(Side::A));
    }

    #[test]
    fn no_connect_inside_a_tunnel_and_bounded_heads() {
        // A CONNECT inside the tunnel is the tunnelled server's business: HTTP/1.1 there.
        let mut st = Stack::default();
        feed(&mut st, Side::A, REQUEST, &[], 1);
        feed(&mut st, Side::B, OK, &[], 2);
        feed(&mut st, Side::A, REQUEST, &[], 3);
        assert!(matches!(st.layer(), super::super::Layer::Http1));
        // A head that never ends is given up past the limit, not kept growing.
        let mut st = Stack::default();
        feed(&mut st, Side::A, b"CONNECT h:1 HTTP/1.1\r\n", &[], 1);
        let line = format!("X-Long: {}\r\n", "x".repeat(1000));
        for k in 0..80 {
            feed(&mut st, Side::A, line.as_bytes(), &[], 2 + k);
        }
        assert!(st.tunnel().is_none());
        assert!(matches!(st.layer(), super::super::Layer::Http1));
    }
}
