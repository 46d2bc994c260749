//! The HTTP/2 layer of a connection's stack: one WebSocket session per extended CONNECT.
//!
//! In: per direction, the bytes and gaps of the layer below (TCP for h2c, TLS for h2), in
//! stream order, each with its packet and capture time, and each direction's TCP ending;
//! the side that sent the connection preface is the client (for h2c by `Upgrade`, RFC 7540
//! §3.2, the sender of the HTTP/1.1 request, whose `HTTP2-Settings` are its first SETTINGS). Out: a [`Session`] per stream
//! that opened a WebSocket with an extended CONNECT (`:method CONNECT`, `:protocol
//! websocket`, RFC 8441 §4), in the order the streams opened: its handshake (`:authority`,
//! `:path`, the `sec-websocket-*` fields, the server's `:status`), its DATA fed to the
//! same RFC 6455 decoders as HTTP/1.1 upgrades use, and how the stream ended
//! ([`StreamEnd`]: END_STREAM, RST_STREAM, GOAWAY), placed in the connection's delivery
//! order so the status logic reads them where it reads TCP's FIN and RST.
//!
//! RFC 8441 §3 (SETTINGS_ENABLE_CONNECT_PROTOCOL), §4 (the extended CONNECT), §5 (a 2xx
//! answer accepts: it is the 101 of HTTP/1.1); RFC 9113 §5.1 (stream states: END_STREAM
//! half-closes, RST_STREAM closes), §6.8 (GOAWAY). The framing and HPACK are [`H2Conn`].
//!
//! Never a guess: streams whose request could not be read (HPACK state lost) are counted
//! and said to be missing, never named; a direction whose framing is lost stops every
//! decoder of that direction there, out of sync. Memory: one entry per WebSocket stream, up
//! to [`MAX_STREAMS`] per connection (the rest are counted and said to be missing); other
//! streams cost nothing. Each stream kept is charged to the memory budget what it may hold
//! ([`H2Layer::stream_bytes`]: `memory::STREAM_BYTES` and its decoders' last words and
//! inflaters, as an HTTP/1.1 WebSocket's are), kept as a sum updated where a stream's
//! decoders change, so that the charge after a packet reads no stream.

use super::{H2Conn, H2Event, LostReason};
use crate::flow::Event;
use crate::flow::{Side, Sides, Transport};
use crate::memory::STREAM_BYTES;
use crate::stack::http1::parse as http;
use crate::stack::Ctx;
use crate::vocab::{EndKind, Found, H2Lost, Invalid, Role, StreamEndKind};
use crate::websocket::decoder::Origin;
use crate::websocket::session::{Session, StreamEnd};
use std::collections::HashMap;

/// WebSocket streams kept per HTTP/2 connection; those past it are counted, not reported.
pub const MAX_STREAMS: usize = 10_000;

/// GOAWAY frames of each side applied to the open streams (each noted on every one of them,
/// RFC 9113 §6.8: a graceful shutdown sends two or three); those past it are counted and
/// said once, not applied (200 000 GOAWAYs on a connection of 10 000 streams visited every
/// stream on every one, and noted two billion stream ends).
pub const MAX_GOAWAYS: u32 = 16;

/// One WebSocket stream: its session, and the bytes of each direction handed to it so far.
#[derive(Debug)]
struct Stream {
    session: Session,
    offset: Sides<u64>,
    /// Each side ended its half (END_STREAM), or the stream was reset.
    done: Sides<bool>,
    /// In the layer's list of streams to drain (it took bytes since the last drain).
    queued: bool,
}

/// The size of a [`Stream`], for the test that its budget charge covers it.
#[cfg(test)]
pub(crate) const STREAM_SIZE: usize = std::mem::size_of::<Stream>();

/// HTTP/2 (h2c, or h2 inside TLS) over one TCP connection.
#[derive(Debug)]
pub struct H2Layer {
    conn: H2Conn,
    /// The side that sent the connection preface.
    client: Side,
    tls: bool,
    streams: Vec<Stream>,
    /// Stream id → index in `streams`.
    index: HashMap<u32, usize>,
    /// What the server's SETTINGS said of SETTINGS_ENABLE_CONNECT_PROTOCOL: `None` before
    /// its first SETTINGS frame, `Some(None)` if that frame did not carry it.
    connect_protocol: Option<Option<bool>>,
    /// WebSocket streams past [`MAX_STREAMS`].
    streams_dropped: u64,
    /// Client heads that could not be read (HPACK state lost).
    unnamed: u64,
    /// Each side sent anything at all.
    touched: Sides<bool>,
    /// The streams that took bytes since the last [`H2Layer::app_drain`], and whether an
    /// event touched every stream's decoders (a lost direction, TCP's end): the drain after
    /// a packet visits those streams only, never all of a connection's (a PING or a DATA
    /// frame on one of 10 000 streams costs the same as on one of two).
    drain: Vec<usize>,
    drain_all: bool,
    /// GOAWAY frames each side sent.
    goaways: Sides<u32>,
    /// Streams visited by drains and by GOAWAYs (the work per packet, for tests and the
    /// fuzz target `h2_streams`).
    visits: u64,
    /// What the streams kept are charged together ([`H2Layer::stream_bytes`]).
    held: usize,
    /// The highest stream the client opened (any request head, read or not).
    opened: u32,
}

impl H2Layer {
    /// An HTTP/2 layer whose client (the sender of the preface) is `client`; `tls` when it
    /// runs inside TLS.
    pub fn new(client: Side, tls: bool) -> H2Layer {
        H2Layer {
            conn: H2Conn::new(),
            client,
            tls,
            streams: Vec::new(),
            index: HashMap::new(),
            connect_protocol: None,
            streams_dropped: 0,
            unnamed: 0,
            touched: Sides::default(),
            drain: Vec::new(),
            drain_all: false,
            goaways: Sides::default(),
            visits: 0,
            held: 0,
            opened: 0,
        }
    }

    /// An HTTP/2 layer taking a cleartext connection over from HTTP/1.1 at the `101` that
    /// accepted `Upgrade: h2c` (RFC 7540 §3.2): `conn` made by [`H2Conn::upgraded`], the
    /// request's sender `client`; both sides have sent bytes already.
    pub fn upgraded(conn: H2Conn, client: Side) -> H2Layer {
        H2Layer {
            conn,
            touched: Sides::new(true, true),
            ..H2Layer::new(client, false)
        }
    }

    /// The WebSocket streams kept.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// What the streams kept are charged to the memory budget: `memory::STREAM_BYTES` each
    /// (its session and table slots), and what each one's decoders may keep beside
    /// (`Session::last_words_bytes`: their last words and, where permessage-deflate was
    /// agreed, each direction's inflater at its window), as an HTTP/1.1 WebSocket is
    /// charged. A sum kept up to date where a stream's decoders are made or dropped.
    pub fn stream_bytes(&self) -> usize {
        self.held
    }

    /// The side that sent the connection preface.
    pub fn client(&self) -> Side {
        self.client
    }

    /// The client's framing from where this layer's reading stops, to count the streams
    /// it opens after the connection is let go (`None` when it cannot be followed).
    pub fn client_frames(&self) -> Option<super::unread::Frames> {
        self.conn.client_frames(self.opened)
    }

    /// The WebSocket sessions, in the order their streams opened.
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.streams.iter().map(|s| &s.session)
    }

    /// Hands what the streams' decoders tapped since the last drain to their application
    /// trackers: the streams that took bytes, or all after an event that touched all.
    pub(crate) fn app_drain(&mut self) {
        if std::mem::take(&mut self.drain_all) {
            self.drain.clear();
            for s in &mut self.streams {
                s.queued = false;
                s.session.app_drain();
                self.visits += 1;
            }
            return;
        }
        for i in self.drain.drain(..) {
            if let Some(s) = self.streams.get_mut(i) {
                s.queued = false;
                s.session.app_drain();
                self.visits += 1;
            }
        }
    }

    /// Streams visited so far by the drains after packets and by GOAWAYs: what a packet
    /// costs beyond its own bytes, which must not grow with the streams.
    pub fn visits(&self) -> u64 {
        self.visits
    }

    /// Nothing of side `s` has arrived yet.
    pub fn untouched(&self, s: Side) -> bool {
        !self.touched[s]
    }

    /// Bytes or a gap of side `s`.
    pub fn on_event(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>) {
        match ev {
            Event::Data {
                bytes, packet, ts, ..
            } => self.read(ctx, s, |conn, from_client, out| {
                conn.feed(from_client, bytes, packet, ts, out)
            }),
            Event::Gap { packet, .. } => self.lose(ctx, s, LostReason::Gap, packet),
        }
    }

    /// Side `s` can no longer be read, for `reason` (one that loses framing).
    pub fn lose(&mut self, ctx: &mut Ctx, s: Side, reason: LostReason, packet: Option<u64>) {
        self.read(ctx, s, |conn, from_client, out| {
            conn.lose(from_client, reason, packet, out)
        });
    }

    /// Runs `f` on the framing of side `s`, its events handled by this layer.
    fn read(
        &mut self,
        ctx: &mut Ctx,
        s: Side,
        f: impl FnOnce(&mut H2Conn, bool, &mut dyn FnMut(H2Event<'_>)),
    ) {
        self.touched[s] = true;
        let from_client = s == self.client;
        let H2Layer {
            conn,
            client,
            tls,
            streams,
            index,
            connect_protocol,
            streams_dropped,
            unnamed,
            drain,
            drain_all,
            goaways,
            visits,
            held,
            opened,
            ..
        } = self;
        let mut st = State {
            ctx,
            client: *client,
            tls: *tls,
            streams,
            index,
            connect_protocol,
            streams_dropped,
            unnamed,
            drain,
            drain_all,
            goaways,
            visits,
            held,
            opened,
        };
        f(conn, from_client, &mut |e| st.on(e));
    }

    /// The layer below can deliver nothing more of side `s` (a TLS direction that stopped
    /// decrypting): as a gap, HTTP/2 framing of that direction is lost there.
    pub fn lost(&mut self, ctx: &mut Ctx, s: Side, packet: Option<u64>) {
        self.on_event(
            ctx,
            s,
            Event::Gap {
                offset: 0,
                len: 0,
                packet,
                cut: false,
            },
        );
    }

    /// Side `s` ended TCP (`how`) at `packet`: a message in flight on any of its streams
    /// never arrived whole.
    pub fn on_end(&mut self, _ctx: &mut Ctx, s: Side, how: EndKind, packet: u64) {
        self.drain_all = true;
        for st in &mut self.streams {
            let w = &mut st.session;
            let mut findings = std::mem::take(&mut w.findings);
            w.cut_mid_message(s, how, packet, &mut findings);
            w.findings = findings;
        }
    }
}

/// What the event handler borrows of the layer (all but the framing it is called from).
struct State<'a> {
    ctx: &'a mut Ctx,
    client: Side,
    tls: bool,
    streams: &'a mut Vec<Stream>,
    index: &'a mut HashMap<u32, usize>,
    connect_protocol: &'a mut Option<Option<bool>>,
    streams_dropped: &'a mut u64,
    unnamed: &'a mut u64,
    drain: &'a mut Vec<usize>,
    drain_all: &'a mut bool,
    goaways: &'a mut Sides<u32>,
    visits: &'a mut u64,
    held: &'a mut usize,
    opened: &'a mut u32,
}

impl State<'_> {
    fn side(&self, from_client: bool) -> Side {
        if from_client {
            self.client
        } else {
            self.client.other()
        }
    }

    fn stream(&mut self, id: u32) -> Option<&mut Stream> {
        let i = *self.index.get(&id)?;
        self.streams.get_mut(i)
    }

    /// Stream `id`'s decoders changed (made, agreed to extensions, dropped): what they
    /// may keep was `before` and is charged anew.
    fn recharge(&mut self, id: u32, before: usize) {
        if let Some(now) = self.stream(id).map(|s| s.session.last_words_bytes()) {
            *self.held = self.held.saturating_sub(before).saturating_add(now);
        }
    }

    /// Records an ending of stream `id` (if it is a WebSocket's) by side `by`.
    fn end(
        &mut self,
        id: u32,
        by: Side,
        kind: StreamEndKind,
        packet: u64,
        ts: crate::vocab::Timestamp,
    ) {
        self.ctx.order += 1;
        let order = self.ctx.order;
        // Every WebSocket stream is the client's (RFC 8441 §4).
        let by_initiator = by == self.client;
        if let Some(st) = self.stream(id) {
            let e = StreamEnd {
                by,
                kind,
                stream: id,
                packet,
                ts,
                order,
                ends: StreamEnd::ends(kind, id, by_initiator),
            };
            match kind {
                StreamEndKind::EndStream => st.done[by] = true,
                _ if e.ends_stream() => st.done = Sides::new(true, true),
                _ => {}
            }
            st.session.end_stream(e);
        }
    }

    fn on(&mut self, ev: H2Event<'_>) {
        self.ctx.order += 1;
        match ev {
            H2Event::Settings {
                from_client: false,
                enable_connect_protocol,
                ..
            } => {
                let seen = self.connect_protocol.get_or_insert(None);
                if enable_connect_protocol.is_some() {
                    *seen = enable_connect_protocol;
                }
            }
            H2Event::Settings { .. } => {}
            H2Event::Request {
                stream,
                method,
                protocol,
                authority,
                path,
                ws_version,
                ws_protocols,
                ws_extensions,
                software,
                end_stream,
                packet,
                ts,
                ..
            } => {
                *self.opened = (*self.opened).max(stream);
                let extended = method == Some("CONNECT")
                    && protocol.is_some_and(|p| p.eq_ignore_ascii_case("websocket"));
                if !extended || self.index.contains_key(&stream) {
                    return;
                }
                if self.streams.len() >= MAX_STREAMS {
                    *self.streams_dropped += 1;
                    if *self.streams_dropped == 1 {
                        let max = MAX_STREAMS as u64;
                        let found = Found::H2Lost(H2Lost::TooManyStreams { max, stream });
                        self.ctx
                            .findings
                            .found(Some(Role::Client), Some(packet), found);
                    }
                    return;
                }
                let mut w = Session::default();
                w.transport = Transport {
                    tls: self.tls,
                    h2_stream: Some(stream),
                };
                w.set_opened(ts);
                let hs = &mut w.handshake;
                hs.request_seen = true;
                hs.request_packet = Some(packet);
                hs.host = authority.map(str::to_owned);
                hs.path = path.map(str::to_owned);
                hs.version = ws_version.map(str::to_owned);
                hs.offered_protocols = ws_protocols.map(str::to_owned);
                hs.client_mark = ws_protocols.map_or(0, |p| {
                    crate::stack::http1::parse::fold_hash(0, p.as_bytes())
                });
                hs.offered_extensions = ws_extensions.map(str::to_owned);
                hs.client_software = software.cloned();
                match *self.connect_protocol {
                    Some(Some(true)) => {}
                    Some(said) => {
                        let turned_off = said == Some(false);
                        let i = Invalid::ConnectNotEnabled { stream, turned_off };
                        w.findings.found(
                            Some(Role::Client),
                            Some(packet),
                            Found::HandshakeInvalid(i),
                        );
                    }
                    // The server's SETTINGS are not in the capture: nothing to say.
                    None => {}
                }
                let dec = w.request_decoder(Role::Client, self.ctx.frame_log);
                w.decoders[self.client] = Some(dec);
                let i = self.streams.len();
                *self.held = self
                    .held
                    .saturating_add(STREAM_BYTES + w.last_words_bytes());
                self.streams.push(Stream {
                    session: w,
                    offset: Sides::default(),
                    done: Sides::default(),
                    queued: false,
                });
                self.index.insert(stream, i);
                if end_stream {
                    self.end(stream, self.client, StreamEndKind::EndStream, packet, ts);
                }
            }
            H2Event::Response {
                stream,
                status,
                ws_protocol,
                ws_extensions,
                software,
                proxy,
                end_stream,
                packet,
                ts,
            } => {
                let (client, frame_log, app) = (self.client, self.ctx.frame_log, self.ctx.app);
                let Some(st) = self.stream(stream) else {
                    return;
                };
                // Interim answers (1xx) are not the answer (RFC 9113 §8.1).
                if status.is_some_and(|s| s < 200) || st.session.handshake.status.is_some() {
                    return;
                }
                let w = &mut st.session;
                let before = w.last_words_bytes();
                let hs = &mut w.handshake;
                hs.status = status;
                hs.response_packet = Some(packet);
                hs.subprotocol = ws_protocol.map(str::to_owned);
                hs.deflate = http::has_permessage_deflate(ws_extensions);
                hs.extensions = ws_extensions.map(str::to_owned);
                hs.server_software = software.cloned();
                hs.set_server_proxy(proxy.cloned());
                match status {
                    Some(200..=299) => {
                        let dec = w.agreed(client, Role::Server, frame_log, app);
                        w.decoders[client.other()] = Some(dec);
                    }
                    Some(code) => {
                        let found = Found::UpgradeRefused {
                            status: code,
                            reason: None,
                            stream: Some(stream),
                        };
                        w.findings.found(Some(Role::Server), Some(packet), found);
                        w.decoders = Sides::default();
                    }
                    None => {
                        let i = Invalid::NoStatus { stream };
                        w.findings.found(
                            Some(Role::Server),
                            Some(packet),
                            Found::HandshakeInvalid(i),
                        );
                    }
                }
                self.recharge(stream, before);
                if end_stream {
                    self.end(stream, client.other(), StreamEndKind::EndStream, packet, ts);
                }
            }
            H2Event::Trailers {
                stream,
                from_client,
                end_stream,
                packet,
                ts,
            } => {
                if end_stream {
                    let by = self.side(from_client);
                    self.end(stream, by, StreamEndKind::EndStream, packet, ts);
                }
            }
            H2Event::Unreadable {
                stream,
                from_client,
                end_stream,
                lost_at,
                packet,
                ts,
            } => {
                let by = self.side(from_client);
                if from_client {
                    *self.opened = (*self.opened).max(stream);
                }
                let frame_log = self.ctx.frame_log;
                match self.stream(stream) {
                    Some(st) => {
                        let w = &mut st.session;
                        let before = w.last_words_bytes();
                        let found = Found::H2Lost(H2Lost::AnswerUnread { stream, lost_at });
                        w.findings.found(Some(Role::Server), Some(packet), found);
                        // As for a connection picked up mid-stream: RSV1 is allowed.
                        if w.decoders[by].is_none() && !from_client {
                            w.decoders[by] = Some(crate::websocket::session::new_decoder(
                                frame_log,
                                Role::Server,
                                true,
                            ));
                        }
                        self.recharge(stream, before);
                    }
                    None if from_client => {
                        *self.unnamed += 1;
                        if *self.unnamed == 1 {
                            let found = Found::H2Lost(H2Lost::RequestUnread { stream, lost_at });
                            self.ctx
                                .findings
                                .found(Some(Role::Client), Some(packet), found);
                        }
                    }
                    None => {}
                }
                if end_stream {
                    self.end(stream, by, StreamEndKind::EndStream, packet, ts);
                }
            }
            H2Event::Data {
                stream,
                from_client,
                bytes,
                end_stream,
                packet,
                ts,
            } => {
                let side = self.side(from_client);
                let order = self.ctx.order;
                let at = self.index.get(&stream).copied();
                if let Some(st) = at.and_then(|i| self.streams.get_mut(i)) {
                    if !st.queued {
                        st.queued = true;
                        self.drain.extend(at);
                    }
                    st.offset[side] = st.offset[side].saturating_add(bytes.len() as u64);
                    let w = &mut st.session;
                    if let Some(dec) = &mut w.decoders[side] {
                        if !bytes.is_empty() {
                            dec.data(bytes, Origin { packet, ts, order }, &mut w.findings);
                        }
                    }
                }
                if end_stream {
                    self.end(stream, side, StreamEndKind::EndStream, packet, ts);
                }
            }
            H2Event::RstStream {
                stream,
                from_client,
                code,
                packet,
                ts,
            } => {
                let by = self.side(from_client);
                self.end(stream, by, StreamEndKind::Reset(code.0), packet, ts);
            }
            H2Event::GoAway {
                from_client,
                last_stream,
                code,
                packet,
                ts,
                ..
            } => {
                let by = self.side(from_client);
                let n = self.goaways[by].saturating_add(1);
                self.goaways[by] = n;
                if n > MAX_GOAWAYS {
                    if n == MAX_GOAWAYS + 1 {
                        let from = self.ctx.role(by);
                        let max = MAX_GOAWAYS as u64;
                        let found = Found::H2Lost(H2Lost::Goaways { max });
                        self.ctx.findings.found(Some(from), Some(packet), found);
                    }
                    return;
                }
                *self.visits += self.index.len() as u64;
                let open: Vec<u32> = self
                    .index
                    .iter()
                    .filter(|(_, &i)| {
                        self.streams
                            .get(i)
                            .is_some_and(|s| !s.done.iter().all(|d| *d))
                    })
                    .map(|(&id, _)| id)
                    .collect();
                let mut open = open;
                open.sort_unstable();
                for id in open {
                    self.end(
                        id,
                        by,
                        StreamEndKind::GoAway {
                            last_stream,
                            code: code.0,
                        },
                        packet,
                        ts,
                    );
                }
            }
            H2Event::Lost {
                from_client,
                reason,
                packet,
            } => {
                let side = self.side(from_client);
                let from = self.ctx.role(side);
                let framing = reason.framing_lost();
                let found = Found::H2Lost(H2Lost::Stopped(reason.stop()));
                self.ctx.findings.found(Some(from), packet, found);
                if framing {
                    *self.drain_all = true;
                    for st in self.streams.iter_mut() {
                        let w = &mut st.session;
                        if let Some(dec) = &mut w.decoders[side] {
                            dec.lost(st.offset[side], packet, &mut w.findings);
                        }
                    }
                }
            }
        }
    }
}
