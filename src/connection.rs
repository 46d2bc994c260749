//! One TCP connection, from its first segment to its report: roles, the two half-streams,
//! the HTTP upgrade, the two WebSocket decoders, and how each side ended.
//!
//! In: decoded TCP segments of this connection, in capture order. Out: on `finish`, the
//! facts the report needs (handshake, close frames, TCP endings, findings, statistics).
//! Roles follow REASSEMBLY.md rule 3: the SYN's sender is the client; else the receiver of a
//! SYN/ACK; else the side that sent the HTTP request. Data of a direction captured before
//! its SYN is held by its half-stream until the SYN, and at most until the other direction
//! sends data, FIN or RST, this one resets, or a short window (32 packets, 200 ms of
//! capture time) passes, so the order of events across the two directions is kept.
//! RFC 6455 §4 (handshake), RFC 9293 §3.10.7 (RST acceptance is simplified here: any RST
//! ends its direction).

use crate::capture::Timestamp;
use crate::close::diagnosis::Unanswered;
use crate::decode::{Endpoint, Segment};
use crate::finding::{Findings, Kind};
use crate::flow::{PerSide, Role};
use crate::http::{self, Parsed};
use crate::tcp::assembler::{HalfStream, Limits};
use crate::tcp::Event;
use crate::websocket::decoder::{Decoder, Origin, Stats};
use crate::websocket::deflate::{self, Inflater};

/// Data captured before its direction's SYN waits for it at most this many packets of the
/// capture (reordered captures move packets by a few places)...
const EARLY_WINDOW_PACKETS: u64 = 32;

/// ... and at most this long in capture time.
const EARLY_WINDOW_NS: i64 = 200_000_000;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndKind {
    Fin,
    Rst,
}

/// How one side ended its half of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct End {
    pub kind: EndKind,
    pub packet: u64,
    pub ts: Timestamp,
    /// Delivery order within the connection (shared with close frames).
    pub order: u64,
}

/// A close frame or a TCP ending, as it happens (for live output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseEvent {
    pub ts: Timestamp,
    pub packet: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    pub path: Option<String>,
    pub from: Role,
    pub what: EventWhat,
    /// True when no close frame came before this event (so a TCP ending means 1006).
    pub first: bool,
    /// Bytes of the connection are missing from the capture (a gap either way) by the time
    /// of this event: a close frame may have been among them.
    pub missing: bool,
    /// For a first TCP ending (a 1006): the peer's message it came right after, unanswered.
    pub unanswered: Option<Unanswered>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventWhat {
    Close {
        code: Option<u16>,
        reason: String,
        problems: Vec<crate::close::Problem>,
    },
    Tcp(EndKind),
}

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
    pub reason: Option<String>,
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
}

impl Handshake {
    /// Sec-WebSocket-Accept matches the key (None if either is missing).
    pub fn accept_valid(&self) -> Option<bool> {
        self.accept_ok
    }

    /// Sets the client's Sec-WebSocket-Key and checks the pair again.
    fn set_key(&mut self, key: Option<String>) {
        self.key = key;
        self.check_accept();
    }

    /// Sets the server's Sec-WebSocket-Accept and checks the pair again.
    fn set_accept(&mut self, accept: Option<String>) {
        self.accept = accept;
        self.check_accept();
    }

    fn check_accept(&mut self) {
        self.accept_ok = match (self.key.as_deref(), self.accept.as_deref()) {
            (Some(key), Some(accept)) => Some(http::accept_for(key) == accept.trim()),
            _ => None,
        };
    }
}

/// The application-layer state of one direction.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum App {
    /// Nothing seen yet.
    Start,
    /// Buffering HTTP headers (request or response).
    Http(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Picked up mid-stream: looking for a frame header at segment starts (`tries` so far).
    Probe(u32),
    Ws(Box<Decoder>),
    /// Not (or no longer) decoded.
    Off,
}

/// Everything above TCP, kept apart from the half-streams so both can be borrowed at once.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Upper {
    sides: Sides<App>,
    /// The client's side, once known.
    pub client: Option<Side>,
    pub handshake: Handshake,
    pub findings: Findings,
    order: u64,
    /// This direction's start was not captured (no SYN before its first data).
    partial: Sides<bool>,
    /// Frames each decoder keeps for timelines, and whether with payload previews.
    pub frame_log: (usize, bool),
}

/// Its serde form (`serial`, for `freeze`) is every field of every part.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Connection {
    /// `ep.a` sent the first packet seen.
    pub ep: Sides<Endpoint>,
    pub tcp: Sides<HalfStream>,
    pub isn: Sides<Option<u32>>,
    pub up: Upper,
    pub ends: Sides<Option<End>>,
    pub input: usize,
    pub first_packet: u64,
    pub first_ts: Timestamp,
    pub last_packet: u64,
    pub last_ts: Timestamp,
    /// When this connection last had a packet, by the analyzer's eviction clock (which
    /// neither goes back nor leaps on one packet, rule 15); idleness is measured from it.
    pub active_at: Timestamp,
    pub packets: u64,
    /// Times this connection was frozen out of memory and read back (see `freeze`): each
    /// doubles the quiet it must keep before it is frozen again.
    pub thaws: u32,
}

impl Connection {
    pub fn new(
        src: Endpoint,
        dst: Endpoint,
        input: usize,
        packet: u64,
        ts: Timestamp,
    ) -> Connection {
        Connection {
            ep: Sides::new(src, dst),
            tcp: Sides::default(),
            isn: Sides::default(),
            up: Upper {
                sides: Sides::new(App::Start, App::Start),
                client: None,
                handshake: Handshake::default(),
                findings: Findings::default(),
                order: 0,
                partial: Sides::default(),
                frame_log: (0, false),
            },
            ends: Sides::default(),
            input,
            first_packet: packet,
            first_ts: ts,
            last_packet: packet,
            last_ts: ts,
            active_at: ts,
            packets: 0,
            thaws: 0,
        }
    }

    /// Which side a segment from `src` belongs to.
    pub fn side_of(&self, src: Endpoint) -> Side {
        if src == self.ep.a {
            Side::A
        } else {
            Side::B
        }
    }

    /// The client's side, falling back to "the higher port is the client's ephemeral one".
    pub fn client_side(&self) -> Side {
        self.up
            .client
            .unwrap_or(if self.ep.a.port >= self.ep.b.port {
                Side::A
            } else {
                Side::B
            })
    }

    /// The role of side `s` (see [`Connection::client_side`]).
    pub fn role(&self, s: Side) -> Role {
        if s == self.client_side() {
            Role::Client
        } else {
            Role::Server
        }
    }

    /// True when this connection is or tried to become a WebSocket.
    pub fn is_websocket(&self) -> bool {
        self.up.handshake.request_seen
            || self.up.handshake.status == Some(101)
            || self.up.sides.iter().any(|a| matches!(a, App::Ws(_)))
    }

    /// Neither direction will ever be decoded: skip its data.
    pub fn ignored(&self) -> bool {
        self.up.sides.iter().all(|a| matches!(a, App::Off)) && !self.is_websocket()
    }

    /// Found by its frames, without a captured handshake.
    pub fn midstream(&self) -> bool {
        self.up.findings.has(Kind::HandshakeNotCaptured)
    }

    /// One side or both ended TCP (FIN or RST).
    pub fn ended(&self) -> bool {
        self.ends.iter().any(Option::is_some)
    }

    /// Both sides have ended (FIN reached or RST).
    pub fn closed(&self) -> bool {
        self.ends.iter().all(Option::is_some)
            || self.ends.iter().flatten().any(|e| e.kind == EndKind::Rst)
    }

    /// A SYN that starts a new connection on this 4-tuple (port reuse, rule 13).
    pub fn is_reuse(&self, s: Side, seg: &Segment<'_>) -> bool {
        seg.syn && !seg.ack_flag && self.isn[s].is_some_and(|isn| isn != seg.seq)
    }

    pub fn segment(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp, limits: &Limits) {
        let s = self.side_of(seg.src);
        self.packets += 1;
        self.last_packet = packet;
        if ts > self.last_ts {
            self.last_ts = ts;
        }
        if seg.syn {
            if self.up.client.is_none() {
                self.up.client = Some(if seg.ack_flag { s.other() } else { s });
            }
            if self.isn[s].is_none() {
                self.isn[s] = Some(seg.seq);
                self.tcp[s].syn(seg.seq);
            }
        }
        if self.ignored() {
            return;
        }
        let Connection { tcp, up, ends, .. } = self;
        if !tcp[s].started() && !seg.syn {
            up.partial[s] = true;
        }
        if seg.syn && tcp[s].started() {
            // Data of this direction held before its SYN (a reordered capture) starts at
            // the SYN after all; nothing of it was delivered yet if the decoder has not
            // started.
            if matches!(up.sides[s], App::Start) {
                up.partial[s] = false;
            }
            tcp[s].release(limits, &mut |ev| up.on_event(s, ev));
        }
        // Stop waiting for a SYN (rule 3: never wait long) when the other direction moves
        // on, this direction resets, or the window is over; data held in this direction
        // is released by the next segment that follows it.
        for x in Side::BOTH {
            let half = &mut tcp[x];
            if let Some((first, first_ts)) = half.held_since() {
                let moves = !seg.payload.is_empty() || seg.fin || seg.rst;
                let over = packet.saturating_sub(first) > EARLY_WINDOW_PACKETS
                    || ts.0.saturating_sub(first_ts.0) > EARLY_WINDOW_NS;
                if (x != s && moves) || (x == s && seg.rst) || over {
                    half.release(limits, &mut |ev| up.on_event(x, ev));
                }
            }
        }
        if seg.rst {
            if !tcp[s].accepts_rst(seg.seq) {
                // Out of window (rule 11): not this connection's end.
                return;
            }
            // Deliver what was held, then end this direction.
            tcp[s].flush_at(Some(packet), &mut |ev| up.on_event(s, ev));
            if ends[s].is_none() {
                up.order += 1;
                ends[s] = Some(End {
                    kind: EndKind::Rst,
                    packet,
                    ts,
                    order: up.order,
                });
                up.cut_mid_message(s, "reset TCP (RST)", packet);
            }
            return;
        }
        if seg.ack_flag {
            let o = s.other();
            tcp[o].peer_ack(seg.ack, packet, &mut |ev| up.on_event(o, ev));
            Self::note_fin(o, &tcp[o], &mut ends[o], up, packet, ts);
        }
        if !seg.syn || !seg.payload.is_empty() {
            let data_seq = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            tcp[s].segment(
                data_seq,
                seg.payload,
                seg.missing,
                seg.fin,
                packet,
                ts,
                limits,
                &mut |ev| up.on_event(s, ev),
            );
        }
        Self::note_fin(s, &tcp[s], &mut ends[s], up, packet, ts);
        if tcp[s].cap_hit && !up.findings.has(Kind::BufferCapHit) {
            up.findings.push(
                Kind::BufferCapHit,
                None,
                Some(packet),
                "the out-of-order buffer of one direction reached its cap; the oldest hole was declared a gap".into(),
            );
        }
    }

    fn note_fin(
        s: Side,
        tcp: &HalfStream,
        end: &mut Option<End>,
        up: &mut Upper,
        packet: u64,
        ts: Timestamp,
    ) {
        if end.is_none() && tcp.fin_reached() {
            up.order += 1;
            *end = Some(End {
                kind: EndKind::Fin,
                packet,
                ts,
                order: up.order,
            });
            up.cut_mid_message(s, "closed TCP (FIN)", packet);
        }
    }

    /// End of input (or eviction): deliver what is held, with gaps over the holes.
    pub fn finish(&mut self) {
        let Connection {
            tcp,
            up,
            ends,
            last_packet,
            last_ts,
            ..
        } = self;
        for s in Side::BOTH {
            tcp[s].flush(&mut |ev| up.on_event(s, ev));
            Self::note_fin(s, &tcp[s], &mut ends[s], up, *last_packet, *last_ts);
            let c = tcp[s].counters;
            let from = up.role(s);
            // Segments of this side that were counted and ignored: how many, the first.
            let ignored = [
                (
                    Kind::DataAfterFin,
                    c.after_fin,
                    tcp[s].first_after_fin,
                    "carried data after its FIN (RFC 9293 §3.10.7.4); it was not decoded",
                ),
                (
                    Kind::ImplausibleSegment,
                    c.implausible,
                    tcp[s].first_implausible,
                    "started more than 1 GiB past the bytes delivered so far (a corrupt or forged sequence number); they were ignored, not held",
                ),
            ];
            for (kind, n, first, what) in ignored {
                if n > 0 {
                    up.findings.push(
                        kind,
                        Some(from),
                        first,
                        format!("{n} segments from the {from} {what}"),
                    );
                }
            }
            if c.inconsistencies > 0 {
                up.findings.push(
                    Kind::InconsistentRetransmission,
                    None,
                    None,
                    format!("{} retransmitted segments carried bytes different from the first copy (the first copy was kept)", c.inconsistencies),
                );
            }
        }
    }

    /// How many close frames and TCP endings this connection has had.
    pub fn event_count(&self) -> usize {
        let closes: usize = Side::BOTH
            .into_iter()
            .filter_map(|s| self.decoder(s))
            .map(|d| d.closes.len())
            .sum();
        closes + self.ends.iter().flatten().count()
    }

    /// The close frames and TCP endings after the first `n`, in delivery order.
    pub fn events_from(&self, n: usize) -> Vec<CloseEvent> {
        let client_side = self.client_side();
        let mut all: Vec<(u64, Timestamp, u64, Role, EventWhat)> = Vec::new();
        for s in Side::BOTH {
            if let Some(d) = self.decoder(s) {
                for c in &d.closes {
                    all.push((
                        c.order,
                        c.ts,
                        c.packet,
                        c.from,
                        EventWhat::Close {
                            code: c.code,
                            reason: c.reason.clone(),
                            problems: c.problems.clone(),
                        },
                    ));
                }
            }
            if let Some(e) = self.ends[s] {
                all.push((
                    e.order,
                    e.ts,
                    e.packet,
                    self.role(s),
                    EventWhat::Tcp(e.kind),
                ));
            }
        }
        all.sort_by_key(|e| e.0);
        let mut seen_close = false;
        let mut out = Vec::new();
        let missing = self.has_gaps();
        let (cs, ss) = (self.stats(client_side), self.stats(client_side.other()));
        let sent = PerSide {
            client: &cs,
            server: &ss,
        };
        for (i, (_, ts, packet, from, what)) in all.into_iter().enumerate() {
            let first = !seen_close;
            seen_close |= matches!(what, EventWhat::Close { .. });
            if i >= n {
                // As the report's 1006: the message the ending side had just received.
                let unanswered = (first && matches!(what, EventWhat::Tcp(_)))
                    .then(|| Unanswered::find(from, sent, packet, ts))
                    .flatten();
                out.push(CloseEvent {
                    ts,
                    packet,
                    client: self.ep[client_side],
                    server: self.ep[client_side.other()],
                    path: self.up.handshake.path.clone(),
                    from,
                    what,
                    first,
                    missing,
                    unanswered,
                });
            }
        }
        out
    }

    /// The frame statistics of what side `s` sent (all zero if it never became a WebSocket
    /// stream).
    pub fn stats(&self, s: Side) -> Stats {
        self.decoder(s).map(|d| d.stats).unwrap_or_default()
    }

    /// Bytes of either direction are missing from the capture (a gap).
    pub fn has_gaps(&self) -> bool {
        Side::BOTH
            .into_iter()
            .any(|s| self.tcp[s].counters.gaps > 0)
    }

    /// The decoder of side `s`, if that side became a WebSocket stream.
    pub fn decoder(&self, s: Side) -> Option<&Decoder> {
        match &self.up.sides[s] {
            App::Ws(d) => Some(d),
            _ => None,
        }
    }
}

/// A decoder with the connection's frame-log settings.
fn new_decoder(frame_log: (usize, bool), role: Role, deflate: bool) -> Box<Decoder> {
    let mut d = Box::new(Decoder::new(role, deflate));
    d.set_frame_log(frame_log.0, frame_log.1);
    d
}

impl Upper {
    fn role(&self, s: Side) -> Role {
        if self.client == Some(s) {
            Role::Client
        } else {
            Role::Server
        }
    }

    fn on_event(&mut self, s: Side, ev: Event<'_>) {
        self.order += 1;
        if let Event::Gap {
            offset,
            len,
            packet,
        } = ev
        {
            let from = self.role(s);
            self.findings.push(
                Kind::Gap,
                Some(from),
                packet,
                format!(
                    "{len} bytes of the {from}'s stream at offset {offset} are not in the capture (dropped or cut by the snaplen); nothing is guessed across them"
                ),
            );
        }
        if let App::Start = self.sides[s] {
            self.sides[s] = match ev {
                Event::Data { bytes, .. } if http::looks_like_request(bytes) => {
                    if self.client.is_none() {
                        self.client = Some(s);
                    }
                    App::Http(Vec::new())
                }
                Event::Data { bytes, .. } if http::looks_like_response(bytes) => {
                    if self.client.is_none() {
                        self.client = Some(s.other());
                    }
                    App::Http(Vec::new())
                }
                _ if self.partial[s] => App::Probe(0),
                _ => App::Off,
            };
        }
        if let App::Probe(tries) = self.sides[s] {
            self.probe(s, ev, tries);
            return;
        }
        match &mut self.sides[s] {
            App::Start | App::Off | App::Probe(_) => {}
            App::Ws(dec) => dec.feed(ev, self.order, &mut self.findings),
            App::Http(buf) => match ev {
                Event::Gap { .. } => {
                    self.sides[s] = App::Off;
                }
                Event::Data {
                    bytes, packet, ts, ..
                } => {
                    buf.extend_from_slice(bytes);
                    let buf = std::mem::take(buf);
                    self.http(s, buf, packet, ts);
                }
            },
        }
    }

    /// Side `s` ended TCP (`how`) in the middle of a frame or fragmented message: say so.
    fn cut_mid_message(&mut self, s: Side, how: &str, packet: u64) {
        if let App::Ws(d) = &self.sides[s] {
            if d.mid_message() {
                let from = d.from();
                self.findings.push(
                    Kind::TruncatedMessage,
                    Some(from),
                    Some(packet),
                    format!("the {from} {how} in the middle of a frame or fragmented message: that message never arrived whole"),
                );
            }
        }
    }

    /// Mid-stream: does this segment start with a WebSocket frame? Roles come from masking.
    fn probe(&mut self, s: Side, ev: Event<'_>, tries: u32) {
        /// Segments examined before a direction is given up as not WebSocket.
        const MAX_TRIES: u32 = 64;
        let Event::Data {
            bytes, packet, ts, ..
        } = ev
        else {
            return;
        };
        let role = crate::websocket::probe::probe(bytes);
        let consistent = |r: Role| match self.client {
            None => true,
            Some(c) => (c == s) == (r == Role::Client),
        };
        match role {
            Some(r) if consistent(r) => {
                if self.client.is_none() {
                    self.client = Some(if r == Role::Client { s } else { s.other() });
                }
                if !self.findings.has(Kind::HandshakeNotCaptured) {
                    self.findings.push(
                        Kind::HandshakeNotCaptured,
                        None,
                        Some(packet),
                        "the capture starts after the WebSocket handshake: the connection was found by its frames, extensions are unknown (RSV1 is accepted on data frames)".into(),
                    );
                }
                // Without the handshake, permessage-deflate may be in use: allow RSV1.
                let mut dec = new_decoder(self.frame_log, r, true);
                dec.data(
                    bytes,
                    Origin {
                        packet,
                        ts,
                        order: self.order,
                    },
                    &mut self.findings,
                );
                self.sides[s] = App::Ws(dec);
            }
            _ if tries + 1 >= MAX_TRIES => self.sides[s] = App::Off,
            _ => self.sides[s] = App::Probe(tries + 1),
        }
    }

    /// Try to complete the request or response buffered for side `s`.
    fn http(&mut self, s: Side, buf: Vec<u8>, packet: u64, ts: Timestamp) {
        let at = Origin {
            packet,
            ts,
            order: self.order,
        };
        if http::looks_like_response(&buf) {
            match http::parse_response(&buf) {
                Parsed::Partial => self.sides[s] = App::Http(buf),
                Parsed::Invalid => self.sides[s] = App::Off,
                Parsed::Done(r, n) => {
                    let role = self.role(s);
                    let problems = r.problems();
                    let hs = &mut self.handshake;
                    hs.status = Some(r.status);
                    hs.response_packet = Some(packet);
                    hs.reason = Some(r.reason);
                    hs.subprotocol = r.protocol;
                    hs.deflate = http::has_permessage_deflate(r.extensions.as_deref());
                    hs.extensions = r.extensions;
                    hs.set_accept(r.accept);
                    if r.status == 101 {
                        for problem in problems {
                            self.findings.push(
                                Kind::HandshakeInvalid,
                                Some(Role::Server),
                                Some(packet),
                                format!("{problem} (RFC 6455 §4.2.2)"),
                            );
                        }
                        let deflate = hs.deflate;
                        hs.deflate_params =
                            hs.extensions.as_deref().and_then(deflate::parse_params);
                        let params = hs.deflate_params;
                        if let App::Ws(other) = &mut self.sides[s.other()] {
                            other.deflate = deflate;
                            if let Some(p) = params {
                                other.set_inflater(Inflater::new(
                                    p.client_no_context_takeover,
                                    deflate::DEFAULT_CAP,
                                ));
                            }
                        }
                        let mut dec = new_decoder(self.frame_log, role, deflate);
                        if let Some(p) = params {
                            dec.set_inflater(Inflater::new(
                                p.server_no_context_takeover,
                                deflate::DEFAULT_CAP,
                            ));
                        }
                        dec.data(buf.get(n..).unwrap_or_default(), at, &mut self.findings);
                        self.sides[s] = App::Ws(dec);
                        if hs.accept_valid() == Some(false) {
                            self.findings.push(
                                Kind::AcceptMismatch,
                                Some(Role::Server),
                                Some(packet),
                                "Sec-WebSocket-Accept does not match the client's Sec-WebSocket-Key (RFC 6455 §4.2.2); a conforming client fails the connection".into(),
                            );
                        }
                    } else {
                        if hs.request_seen || r.upgrade {
                            self.findings.push(
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
                        self.sides = Sides::new(App::Off, App::Off);
                    }
                }
            }
        } else {
            match http::parse_request(&buf) {
                Parsed::Partial => self.sides[s] = App::Http(buf),
                Parsed::Invalid => self.sides[s] = App::Off,
                Parsed::Done(r, n) if r.is_websocket_upgrade() => {
                    for problem in r.problems() {
                        self.findings.push(
                            Kind::HandshakeInvalid,
                            Some(Role::Client),
                            Some(packet),
                            format!("{problem} (RFC 6455 §4.1)"),
                        );
                    }
                    let role = self.role(s);
                    let hs = &mut self.handshake;
                    hs.request_seen = true;
                    hs.request_packet = Some(packet);
                    hs.host = r.host;
                    hs.path = Some(r.path);
                    hs.set_key(r.key);
                    hs.version = r.version;
                    hs.offered_protocols = r.protocols;
                    hs.offered_extensions = r.extensions;
                    let deflate = hs.deflate;
                    let mut dec = new_decoder(self.frame_log, role, deflate);
                    if let Some(p) = hs.deflate_params {
                        dec.set_inflater(Inflater::new(
                            p.client_no_context_takeover,
                            deflate::DEFAULT_CAP,
                        ));
                    }
                    dec.data(buf.get(n..).unwrap_or_default(), at, &mut self.findings);
                    self.sides[s] = App::Ws(dec);
                }
                Parsed::Done(..) => {
                    // Plain HTTP: not a WebSocket, nothing more to decode on either side.
                    self.sides = Sides::new(App::Off, App::Off);
                }
            }
        }
    }
}

impl Connection {
    /// Whether this connection has a frozen form: not while a direction is in the middle
    /// of inflating a permessage-deflate message.
    pub fn can_freeze(&self) -> bool {
        self.up.sides.iter().all(|a| match a {
            App::Ws(d) => d.can_freeze(),
            _ => true,
        })
    }
}
