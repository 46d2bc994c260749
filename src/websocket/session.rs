//! One WebSocket session: the unit a report is about.
//!
//! In: from the layer that carries it (`stack::http1`, or an HTTP/2 stream of `stack::h2`),
//! the opening handshake's facts and, per direction, a [`Decoder`] fed with that
//! direction's bytes. Out: what the report needs of the session: the handshake, the
//! frames and close frames each side sent, and its transport path ([`Transport`]: TLS or
//! not, which HTTP/2 stream). One TCP connection carries zero, one or (over HTTP/2) many
//! sessions. RFC 6455 §4 (handshake), §4.2.2 (the accept check).

use crate::finding::Findings;
use crate::flow::{Side, Sides, Transport};
use crate::vocab::{
    EndKind, Found, ResponseFault, Role, Stats, StreamEndKind, Timestamp, Truncated,
};
use crate::websocket::decoder::Decoder;
use crate::websocket::deflate::{self, Inflater};
use base64::Engine;
use sha1::{Digest, Sha1};

/// What the opening handshake showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Handshake {
    /// The upgrade request was captured.
    pub request_seen: bool,
    pub request_packet: Option<u64>,
    pub host: Option<String>,
    pub path: Option<String>,
    /// Set through `set_key`, which checks the accept value again.
    key: Option<String>,
    pub version: Option<String>,
    pub offered_protocols: Option<String>,
    pub offered_extensions: Option<String>,
    /// The server's reply status, when captured.
    pub status: Option<u16>,
    pub response_packet: Option<u64>,
    /// The reason phrase of the server's reply.
    pub reason: Option<std::borrow::Cow<'static, str>>,
    pub subprotocol: Option<String>,
    pub extensions: Option<String>,
    /// Set through `set_accept`, which checks it against the key.
    accept: Option<String>,
    pub deflate: bool,
    /// permessage-deflate parameters the server agreed to.
    pub deflate_params: Option<deflate::Params>,
    /// [`Handshake::accept_valid`], worked out (a SHA-1) when the key or the accept value
    /// is set, not each time it is asked.
    accept_ok: Option<bool>,
    /// The WebSocket library the request's `User-Agent` and the response's `Server` name.
    pub client_software: Option<crate::vocab::Software>,
    pub server_software: Option<crate::vocab::Software>,
    /// The proxy products the handshake names, boxed together: a few dozen bytes on the
    /// heap for the few handshakes that name one, 8 bytes in every connection.
    #[serde(default)]
    proxies: Option<Box<Proxies>>,
    /// A refusal's body as the server sent it, as text (tags of an HTML body left out,
    /// spaces joined), cut to [`REFUSAL_BODY`] bytes ("…" after a cut, or when the capture
    /// holds less of it than `Content-Length` says): the server's own reason. Only what
    /// came with the response's head is read.
    #[serde(default)]
    pub refusal_body: Option<String>,
    /// Bytes of the upgrade request or response are missing from the capture (the first
    /// side whose handshake was cut, and why): its frames were found by the probe.
    pub cut: Option<HandshakeCut>,
    /// The first thing a 101 gets wrong that makes a conforming client fail the
    /// connection (RFC 6455 §4.1), the accept value aside (`accept_valid`).
    #[serde(default)]
    pub fault: Option<ResponseFault>,
    /// A hash of what the request says of its client beyond its host and path: its
    /// `Cookie` values and its offered `Sec-WebSocket-Protocol` tokens (a token a browser
    /// client passes there); 0 for none. The values are never kept.
    #[serde(default)]
    pub client_mark: u32,
}

impl ResponseFault {
    /// The first fault of a 101 with these headers, for a request that offered
    /// `offered_extensions` and `offered_protocols` (each a header's value, comma lists).
    pub fn of(
        upgrade: bool,
        connection_upgrade: bool,
        extensions: Option<&str>,
        protocol: Option<&str>,
        offered_extensions: Option<&str>,
        offered_protocols: Option<&str>,
    ) -> Option<ResponseFault> {
        let names = |list: Option<&str>| -> Vec<String> {
            list.unwrap_or_default()
                .split(',')
                .filter_map(|e| e.split(';').next())
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect()
        };
        let offered_ext = names(offered_extensions);
        let offered_proto: Vec<&str> = offered_protocols
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if !upgrade {
            Some(ResponseFault::UpgradeNotWebsocket)
        } else if !connection_upgrade {
            Some(ResponseFault::ConnectionNotUpgrade)
        } else if names(extensions).iter().any(|e| !offered_ext.contains(e)) {
            Some(ResponseFault::ExtensionNotOffered)
        } else if protocol
            .map(str::trim)
            .is_some_and(|p| !p.is_empty() && !offered_proto.contains(&p))
        {
            Some(ResponseFault::ProtocolNotOffered)
        } else {
            None
        }
    }
}

/// The most of a refusal's body kept, in bytes.
pub const REFUSAL_BODY: usize = 200;

/// The text of a refused upgrade's body `bytes`, of which `Content-Length` announced
/// `announced` (see [`Handshake::refusal_body`]); `None` when it has no text.
pub fn refusal_body(bytes: &[u8], announced: Option<&str>) -> Option<String> {
    let announced: Option<usize> = announced.and_then(|n| n.trim().parse().ok());
    let bytes = match announced {
        Some(n) => bytes.get(..n.min(bytes.len())).unwrap_or_default(),
        None => bytes,
    };
    let held_less = announced.is_some_and(|n| bytes.len() < n);
    // Read no more than a few times what is kept: tags and spaces shrink it.
    let text = String::from_utf8_lossy(bytes.get(..REFUSAL_BODY * 8).unwrap_or(bytes));
    let mut plain = String::with_capacity(REFUSAL_BODY + 4);
    let mut in_tag = false;
    let mut space = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                space = true;
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => space = true,
            c => {
                if space && !plain.is_empty() {
                    plain.push(' ');
                }
                space = false;
                plain.push(c);
            }
        }
        if plain.len() > REFUSAL_BODY {
            break;
        }
    }
    if plain.is_empty() {
        return None;
    }
    let cut = plain.len() > REFUSAL_BODY || held_less || bytes.len() > REFUSAL_BODY * 8;
    let mut out = crate::sanitize::cut(&plain, REFUSAL_BODY).to_string();
    if cut {
        out.push('…');
    }
    Some(out)
}

/// Why the capture lacks part of the opening handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HandshakeCut {
    /// The packet was captured, its end was not (`tcpdump -s 96`, `editcap -s 80`).
    SnapLength,
    /// A segment of it is missing (dropped by the capture).
    Missing,
}

impl HandshakeCut {
    /// Its name in reports (`handshake.cut` in the JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            HandshakeCut::SnapLength => "snaplen",
            HandshakeCut::Missing => "missing",
        }
    }
}

/// The proxy products a handshake names (see [`Handshake::server_proxy`] and
/// [`Handshake::client_proxy`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Proxies {
    server: Option<crate::vocab::ProxyProduct>,
    client: Option<crate::vocab::ProxyProduct>,
}

impl Handshake {
    /// The proxy product the response's `Proxy-agent`, `Server` or `Via` names.
    pub fn server_proxy(&self) -> Option<&crate::vocab::ProxyProduct> {
        self.proxies.as_ref()?.server.as_ref()
    }

    /// The proxy product the request's `X-Varnish` names: the mark of a proxy that passed
    /// the request on.
    pub fn client_proxy(&self) -> Option<&crate::vocab::ProxyProduct> {
        self.proxies.as_ref()?.client.as_ref()
    }

    /// Sets [`Handshake::server_proxy`].
    pub fn set_server_proxy(&mut self, p: Option<crate::vocab::ProxyProduct>) {
        self.set_proxy(p, |x| &mut x.server);
    }

    /// Sets [`Handshake::client_proxy`].
    pub fn set_client_proxy(&mut self, p: Option<crate::vocab::ProxyProduct>) {
        self.set_proxy(p, |x| &mut x.client);
    }

    fn set_proxy(
        &mut self,
        p: Option<crate::vocab::ProxyProduct>,
        slot: fn(&mut Proxies) -> &mut Option<crate::vocab::ProxyProduct>,
    ) {
        match (&mut self.proxies, p) {
            (Some(b), p) => *slot(b) = p,
            (None, Some(p)) => *slot(self.proxies.insert(Box::default())) = Some(p),
            (None, None) => {}
        }
    }

    /// Sec-WebSocket-Accept matches the key (None if either is missing).
    pub fn accept_valid(&self) -> Option<bool> {
        self.accept_ok
    }

    /// The client's Sec-WebSocket-Key, when the request was captured.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Sets the client's Sec-WebSocket-Key and checks the pair again.
    pub fn set_key(&mut self, key: Option<String>) {
        self.key = key;
        self.check_accept();
    }

    /// Sets the server's Sec-WebSocket-Accept and checks the pair again.
    pub fn set_accept(&mut self, accept: Option<String>) {
        self.accept = accept;
        self.check_accept();
    }

    fn check_accept(&mut self) {
        self.accept_ok = match (self.key.as_deref(), self.accept.as_deref()) {
            (Some(key), Some(accept)) => Some(accept_matches(key, accept)),
            _ => None,
        };
    }
}

/// One ending of an HTTP/2 stream: who, how, where, and its place in the connection's
/// delivery order (shared with close frames and TCP endings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamEnd {
    pub by: Side,
    pub kind: StreamEndKind,
    pub stream: u32,
    pub packet: u64,
    pub ts: Timestamp,
    pub order: u64,
    /// Whether it ends the stream: see [`StreamEnd::ends`].
    pub ends: bool,
}

impl StreamEnd {
    /// Whether a frame of `kind`, sent by the stream's initiator (`by_initiator`) or its
    /// peer, ends stream `stream`. END_STREAM and RST_STREAM do. A GOAWAY does when it
    /// carries an error (the connection is going down), or when its sender is the stream's
    /// peer and the stream is above the last one it says it will process: a GOAWAY's last
    /// stream id counts the streams its receiver opened (RFC 9113 §6.8).
    pub fn ends(kind: StreamEndKind, stream: u32, by_initiator: bool) -> bool {
        match kind {
            StreamEndKind::EndStream | StreamEndKind::Reset(_) => true,
            StreamEndKind::GoAway { last_stream, code } => {
                code != 0 || (!by_initiator && stream > last_stream)
            }
        }
    }

    /// Whether this ends the stream (a GOAWAY that still lets the stream run does not).
    pub fn ends_stream(&self) -> bool {
        self.ends
    }
}

/// One WebSocket session and the decoders of its two directions (by TCP side).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub handshake: Handshake,
    pub transport: Transport,
    /// The decoder of each direction that became a WebSocket stream.
    pub decoders: Sides<Option<Box<Decoder>>>,
    /// Findings about this session alone, when its connection carries several (HTTP/2);
    /// over HTTP/1.1 every finding is the connection's (`Ctx::findings`).
    pub findings: Findings,
    /// Its HTTP/2 stream's life ([`Session::stream_ends`], [`Session::opened`]): boxed,
    /// 8 bytes in every connection, none over HTTP/1.1.
    #[serde(default)]
    stream: Option<Box<StreamLife>>,
    /// The application protocol's tracker, from the server's agreement on; `None` when no
    /// protocol was recognized (or could still be).
    pub app: Option<Box<crate::app::Tracker>>,
}

/// A decoder with the connection's frame-log settings.
pub fn new_decoder(frame_log: (usize, bool), role: Role, deflate: bool) -> Box<Decoder> {
    let mut d = Box::new(Decoder::new(role, deflate));
    d.set_frame_log(frame_log.0, frame_log.1);
    d
}

/// When an HTTP/2 stream opened and how it ended.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct StreamLife {
    /// The capture time of the packet that completed the stream's request HEADERS.
    opened: Option<Timestamp>,
    /// How the stream ended, in order.
    ends: Vec<StreamEnd>,
}

impl Session {
    /// How its HTTP/2 stream ended, in order (empty over HTTP/1.1).
    pub fn stream_ends(&self) -> &[StreamEnd] {
        self.stream.as_ref().map_or(&[], |s| &s.ends)
    }

    /// Adds an ending of its HTTP/2 stream.
    pub fn end_stream(&mut self, e: StreamEnd) {
        self.stream.get_or_insert_default().ends.push(e);
    }

    /// When its HTTP/2 stream opened: the capture time of the packet that completed the
    /// stream's request HEADERS (`None` over HTTP/1.1).
    pub fn opened(&self) -> Option<Timestamp> {
        self.stream.as_ref().and_then(|s| s.opened)
    }

    /// Sets when its HTTP/2 stream opened.
    pub fn set_opened(&mut self, at: Timestamp) {
        self.stream.get_or_insert_default().opened = Some(at);
    }

    /// The session's own span within its connection's first and last packets (`first`,
    /// `last`): over HTTP/2, from its stream's HEADERS to the frame that closed the stream
    /// both ways (END_STREAM from each side, an RST_STREAM, a GOAWAY that ends it: RFC 9113
    /// §5.1), or to the connection's last packet while the stream ran on; over HTTP/1.1 the
    /// connection's. The streams of one connection are sessions of their own: each starts
    /// and ends when its stream does, not when the connection does.
    pub fn span(&self, first: Timestamp, last: Timestamp) -> (Timestamp, Timestamp) {
        if self.transport.h2_stream.is_none() {
            return (first, last);
        }
        let start = self.opened().map_or(first, |t| t.max(first).min(last));
        let mut done = Sides::new(false, false);
        let mut end = last;
        for e in self.stream_ends() {
            match e.kind {
                StreamEndKind::EndStream => done[e.by] = true,
                _ if e.ends => done = Sides::new(true, true),
                _ => {}
            }
            if done.iter().all(|d| *d) {
                end = e.ts.max(start).min(last);
                break;
            }
        }
        (start, end)
    }

    /// True when the session is or tried to become a WebSocket: its upgrade request was
    /// seen, the server agreed, or a direction was found by its frames.
    pub fn is_websocket(&self) -> bool {
        self.handshake.request_seen
            || self.upgrade_status() == Some(101)
            || self.decoders.iter().any(Option::is_some)
    }

    /// The server's answer as the status logic reads it: 101 when it accepted (a 2xx on an
    /// HTTP/2 stream, RFC 8441 §5, is the 101 of HTTP/1.1), otherwise the status it sent.
    pub fn upgrade_status(&self) -> Option<u16> {
        match self.handshake.status {
            Some(200..=299) if self.transport.h2_stream.is_some() => Some(101),
            s => s,
        }
    }

    /// The decoder of the request's sender (`role`: the client, unless the capture says
    /// otherwise), started when its request is seen: whatever extensions the server agrees
    /// to later are applied by [`Session::agreed`].
    pub fn request_decoder(&self, role: Role, frame_log: (usize, bool)) -> Box<Decoder> {
        let hs = &self.handshake;
        let mut dec = new_decoder(frame_log, role, hs.deflate);
        if let Some(p) = hs.deflate_params {
            dec.set_inflater(Inflater::new(
                p.client_no_context_takeover,
                deflate::DEFAULT_CAP,
            ));
        }
        dec
    }

    /// The server accepted, agreeing to the extensions in the handshake (RFC 7692 §7): the
    /// request sender's decoder (on side `client`, if started) learns them, and the
    /// answering side's decoder (sent by `role`) is returned, set up with them; with `app`,
    /// the application protocol's tracker starts.
    pub fn agreed(
        &mut self,
        client: Side,
        role: Role,
        frame_log: (usize, bool),
        app: bool,
    ) -> Box<Decoder> {
        let hs = &mut self.handshake;
        hs.deflate_params = hs.extensions.as_deref().and_then(deflate::parse_params);
        let (on, params) = (hs.deflate, hs.deflate_params);
        if let Some(c) = &mut self.decoders[client] {
            c.deflate = on;
            if let Some(p) = params {
                c.set_inflater(Inflater::new(
                    p.client_no_context_takeover,
                    deflate::DEFAULT_CAP,
                ));
            }
        }
        let mut dec = new_decoder(frame_log, role, on);
        if let Some(p) = params {
            dec.set_inflater(Inflater::new(
                p.server_no_context_takeover,
                deflate::DEFAULT_CAP,
            ));
        }
        if app {
            self.app_start(client, &mut dec);
        }
        dec
    }

    /// The tracker of the application protocol the handshake names (or of the one its
    /// first client message may name), with taps on the decoders it reads: the server's
    /// only once a protocol is known.
    fn app_start(&mut self, client: Side, answer: &mut Decoder) {
        let hs = &self.handshake;
        let mut tracker = crate::app::Tracker::new(hs.subprotocol.as_deref(), hs.path.as_deref());
        // Most requests offer no subprotocol: the tracker (a kilobyte) is not moved through
        // `offered` for nothing.
        if hs.offered_protocols.is_some() {
            tracker = tracker.offered(hs.offered_protocols.as_deref());
        }
        if !tracker.listening() {
            return;
        }
        let known = tracker.protocol().is_some();
        let keep = tracker.keep();
        for d in self.decoders[client]
            .iter_mut()
            .map(|d| &mut **d)
            .chain([&mut *answer])
        {
            if known || d.from() == Role::Client {
                d.tap = Some(Box::new(crate::websocket::tap::Tap::new(keep)));
            }
        }
        self.app = Some(Box::new(tracker));
    }

    /// Hands what the decoders tapped to the tracker, in order; drops the taps once the
    /// tracker wants nothing more, and taps the server once the protocol is known.
    pub fn app_drain(&mut self) {
        let Some(app) = self.app.as_deref_mut() else {
            return;
        };
        let mut took = false;
        for d in self.decoders.iter_mut().flatten() {
            let from = d.from();
            if let Some(tap) = d.tap.as_deref_mut().filter(|t| !t.is_empty()) {
                took = true;
                tap.take(from, &mut |r, t| app.tapped(r, t));
            }
        }
        // What the tracker wants changes only with what it takes in.
        if !took {
            return;
        }
        let listening = app.listening();
        let known = app.protocol().is_some();
        let keep = app.keep();
        for d in self.decoders.iter_mut().flatten() {
            if !listening {
                d.tap = None;
            } else if known && d.tap.is_none() {
                d.tap = Some(Box::new(crate::websocket::tap::Tap::new(keep)));
            }
        }
        if !listening {
            self.app = None;
        }
    }

    /// Bytes the decoders may keep beyond themselves, charged to the memory budget from
    /// the decoder's start: [`super::lastwords::CHARGED`] a decoder (its last words'
    /// buffer is made at the first data bytes and never grows past
    /// [`super::lastwords::LAST_WORDS`]; its beats), and where permessage-deflate was
    /// agreed, each direction's inflater at the most its history holds
    /// ([`deflate::charged`]); and the bytes that are no frames a decoder keeps (at most
    /// `decoder::stray::STRAY_KEEP` a direction, made only when such bytes come).
    #[inline]
    pub fn last_words_bytes(&self) -> usize {
        let n = self.decoders.iter().filter(|d| d.is_some()).count();
        let inflaters = match self.handshake.deflate_params {
            Some(p) => {
                deflate::charged(p.client_no_context_takeover)
                    + deflate::charged(p.server_no_context_takeover)
            }
            None => 0,
        };
        let stray: usize = self
            .decoders
            .iter()
            .flatten()
            .filter_map(|d| d.stray.as_deref())
            .map(super::decoder::stray::Stray::heap_bytes)
            .sum();
        n * super::lastwords::CHARGED + if n > 0 { inflaters } else { 0 } + stray
    }

    /// The decoder of side `s`, if that side became a WebSocket stream.
    pub fn decoder(&self, s: Side) -> Option<&Decoder> {
        self.decoders[s].as_deref()
    }

    /// The frame statistics of what side `s` sent (all zero if it never became a WebSocket
    /// stream).
    pub fn stats(&self, s: Side) -> Stats {
        self.decoder(s).map(|d| d.stats).unwrap_or_default()
    }

    /// The last few pings and pongs side `s` sent (none if it never became a WebSocket
    /// stream).
    pub fn controls(&self, s: Side) -> crate::app::ControlMarks {
        self.decoder(s).map(|d| d.controls).unwrap_or_default()
    }

    /// Side `s` ended its stream (`how`) in the middle of a frame or fragmented message:
    /// say so.
    pub fn cut_mid_message(&self, s: Side, how: EndKind, packet: u64, findings: &mut Findings) {
        if let Some(d) = self.decoder(s) {
            if d.mid_message() {
                let t = Found::TruncatedMessage(Truncated::Ended(how));
                findings.found(Some(d.from()), Some(packet), t);
            }
        }
    }

    /// Whether the session has a frozen form now: not while a direction is in the middle
    /// of inflating a permessage-deflate message.
    pub fn can_freeze(&self) -> bool {
        self.decoders.iter().flatten().all(|d| d.can_freeze())
    }
}

/// The GUID that §1.3 appends to Sec-WebSocket-Key.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The SHA-1 of `key` (trimmed) and the GUID: what Sec-WebSocket-Accept encodes.
fn accept_digest(key: &str) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(key.trim().as_bytes());
    h.update(WS_GUID.as_bytes());
    h.finalize().into()
}

/// The Sec-WebSocket-Accept value a server must send for `key` (§4.2.2 step 5.4).
pub fn accept_for(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(accept_digest(key))
}

/// `accept` (trimmed) is [`accept_for`] `key`: the digest (20 bytes, 28 characters of
/// base64) encoded onto the stack and compared there.
fn accept_matches(key: &str, accept: &str) -> bool {
    let mut out = [0u8; 28];
    let written =
        base64::engine::general_purpose::STANDARD.encode_slice(accept_digest(key), &mut out);
    let accept = accept.trim().as_bytes();
    written.is_ok_and(|n| out.get(..n) == Some(accept))
}

#[cfg(test)]
mod accept_tests {
    use super::{accept_for, accept_matches};

    /// The accept value is compared as `accept_for` encodes it, for keys of every length
    /// and digests of every shape.
    #[test]
    fn the_accept_check_is_accept_for() {
        assert!(accept_matches(
            "dGhlIHNhbXBsZSBub25jZQ==",
            " s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\t"
        ));
        assert!(!accept_matches(
            "dGhlIHNhbXBsZSBub25jZQ==",
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo"
        ));
        for i in 0..2000u32 {
            let key = format!("{:x}", u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .repeat(1 + (i % 5) as usize);
            let want = accept_for(&key);
            assert!(accept_matches(&key, &want), "{key}");
            let mut wrong = want.clone().into_bytes();
            let at = (i as usize) % wrong.len();
            wrong[at] = if wrong[at] == b'A' { b'B' } else { b'A' };
            let wrong = String::from_utf8(wrong).unwrap_or_default();
            assert!(!accept_matches(&key, &wrong), "{key} {wrong}");
        }
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::{refusal_body, REFUSAL_BODY};

    #[test]
    fn a_refusals_body_is_its_text_cut() {
        assert_eq!(refusal_body(b"", Some("0")), None);
        assert_eq!(refusal_body(b" \r\n", None), None);
        assert_eq!(
            refusal_body(b"missing subprotocol.\n", Some("21")).as_deref(),
            Some("missing subprotocol.")
        );
        // Bytes past Content-Length are not the body; fewer than it are said to be cut.
        assert_eq!(
            refusal_body(b"abcHTTP/1.1", Some("3")).as_deref(),
            Some("abc")
        );
        assert_eq!(refusal_body(b"abc", Some("30")).as_deref(), Some("abc…"));
        // An HTML page: its text, its tags left out, spaces joined; no escape or control
        // byte survives.
        let page = b"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\x1b[31mno\tway</body></html>";
        assert_eq!(
            refusal_body(page, None).as_deref(),
            Some("400 Bad Request [31mno way")
        );
        let long = "é".repeat(300);
        let got = refusal_body(long.as_bytes(), None).unwrap_or_default();
        assert!(
            got.ends_with('…') && got.len() <= REFUSAL_BODY + '…'.len_utf8(),
            "{got}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// THREATS kind 2: a direction's inflater keeps up to a 32 KiB window between messages,
    /// and that is charged to the budget once permessage-deflate is agreed (none with
    /// `*_no_context_takeover` both ways beyond the inflaters themselves).
    #[test]
    fn agreed_inflaters_are_charged_at_their_window() {
        let mut s = Session::default();
        let plain = |s: &Session| s.last_words_bytes();
        assert_eq!(plain(&s), 0);
        s.handshake.extensions = Some("permessage-deflate".into());
        s.handshake.deflate = true;
        let dec = s.agreed(Side::A, Role::Server, (0, false), false);
        s.decoders[Side::B] = Some(dec);
        let one = super::super::lastwords::CHARGED;
        assert!(plain(&s) >= one + 2 * (1 << 15), "{}", plain(&s));
        s.handshake.deflate_params = Some(deflate::Params {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..Default::default()
        });
        assert!(plain(&s) < one + 1024, "{}", plain(&s));
    }
}
