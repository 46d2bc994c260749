//! One TCP connection, from its first segment to its report: roles, the two half-streams,
//! how each side ended, and the stack of layers its bytes feed (`stack::Stack`).
//!
//! In: decoded TCP segments of this connection, in capture order. Out: each direction's
//! bytes and gaps, in stream order, handed to the stack; on `finish`, the facts the report
//! needs of TCP (endpoints, endings, counters) beside the stack's sessions and findings.
//! Roles follow reassembly rule 3: the SYN's sender is the client; else the receiver of a
//! SYN/ACK; else the side that sent the HTTP request. Data of a direction captured before
//! its SYN is held by its half-stream until the SYN, and at most until the other direction
//! sends data, FIN or RST, this one resets, or a short window (32 packets, 200 ms of
//! capture time) passes, so the order of events across the two directions is kept. A hole
//! the peer acknowledged (its segment may come a few packets later in a capture written out
//! of order) waits in the same window before it is declared a gap.
//! RFC 6455 §4 (handshake), RFC 9293 §3.10.7 (RST acceptance is simplified here: any RST
//! ends its direction).

use crate::decode::Segment;
use crate::flow::{Side, Sides};
use crate::stack::tcp::assembler::HalfStream;
use crate::stack::tcp::path_watch::{self, PathWatch};
use crate::stack::tcp::trail;
use crate::stack::tls::keylog::KeyLog;
use crate::stack::{Env, Stack};
use crate::vocab::{CapHit, EndKind, Endpoint, Found, Kind, Role, Timestamp};
use crate::websocket::session::Session;

/// Data captured before its direction's SYN (or a hole its peer acknowledged) waits for it
/// at most this many packets of the capture (reordered captures move packets by a few
/// places)...
const EARLY_WINDOW_PACKETS: u64 = 32;

/// ... and at most this long in capture time.
const EARLY_WINDOW_NS: i64 = 200_000_000;

/// How one side ended its half of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct End {
    pub kind: EndKind,
    pub packet: u64,
    pub ts: Timestamp,
    /// Delivery order within the connection (shared with close frames).
    pub order: u64,
    /// After a FIN, the first RST the same side sent: its socket was closed for good (an
    /// application that closed, then data from the peer its kernel refused; or an abortive
    /// close after shutting down its sending side). `None` after an RST.
    pub then_rst: Option<LaterRst>,
}

/// The RST a side sent after its own FIN ([`End::then_rst`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LaterRst {
    pub packet: u64,
    pub ts: Timestamp,
    /// Delivery order within the connection, as [`End::order`].
    pub order: u64,
}

/// Its serde form (`serial`, for `freeze`) is every field of every part. What every
/// segment reads or writes comes first, side by side (`repr(C)` keeps the order).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct Connection {
    /// `ep.a` sent the first packet seen.
    pub ep: Sides<Endpoint>,
    pub packets: u64,
    pub last_packet: u64,
    pub last_ts: Timestamp,
    /// When this connection last had a packet, by the analyzer's eviction clock (which
    /// neither goes back nor leaps on one packet, rule 15); idleness is measured from it.
    pub active_at: Timestamp,
    /// How each side ended TCP, once it did (boxed: 64 bytes a side that a connection in
    /// flight would carry for nothing).
    pub ends: Sides<Option<Box<End>>>,
    /// What each direction's packets say of the path: copies, TTLs, unacknowledged data.
    pub path: Sides<PathWatch>,
    pub isn: Sides<Option<u32>>,
    pub tcp: Sides<HalfStream>,
    /// The layers above TCP, and the facts they share.
    pub up: Stack,
    /// The tunnels its first packet came through (`decode::encapsulation`), if any (boxed:
    /// a pointer in every connection, the rest only in those that came through a tunnel).
    pub encapsulation: Option<Box<crate::decode::Encapsulation>>,
    pub input: usize,
    pub first_packet: u64,
    pub first_ts: Timestamp,
    /// Times this connection was frozen out of memory and read back (see `freeze`): each
    /// doubles the quiet it must keep before it is frozen again.
    pub thaws: u32,
    /// Where its 4-tuple lives (`flow::FlowKey::scope`: its VLANs and tunnels; 0 for
    /// none), cut to 32 bits: the same addresses in two VLANs are two connections, with two
    /// uids.
    pub scope: u32,
    /// What the memory budget charged this connection's group for it last
    /// (`analyzer::budget::cost`).
    pub charged: usize,
    /// What each capture point saw of its packets (`trail`), made at its first packet with
    /// data, SYN, FIN or RST: none once its bytes will never be decoded (no WebSocket,
    /// nothing to lay beside another point's).
    pub trail: Option<Box<crate::vocab::trail::Trail>>,
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
            up: Stack::default(),
            ends: Sides::default(),
            path: Sides::default(),
            encapsulation: None,
            input,
            first_packet: packet,
            first_ts: ts,
            last_packet: packet,
            last_ts: ts,
            active_at: ts,
            packets: 0,
            thaws: 0,
            scope: 0,
            charged: 0,
            trail: None,
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
            .ctx
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

    /// True when this connection carried a WebSocket session (or tried to open one).
    pub fn is_websocket(&self) -> bool {
        self.up.sessions().next().is_some()
    }

    /// The WebSocket sessions this connection carried, in the order they started.
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.up.sessions()
    }

    /// Neither direction will ever be decoded: skip its data.
    pub fn ignored(&self) -> bool {
        self.up.ignored()
    }

    /// The first side to end TCP, by its role, and how (in delivery order).
    pub fn first_end(&self) -> Option<(Role, End)> {
        Side::BOTH
            .into_iter()
            .filter_map(|s| self.ends[s].as_deref().map(|&e| (self.role(s), e)))
            .min_by_key(|(_, e)| e.order)
    }

    /// One side or both ended TCP (FIN or RST).
    pub fn ended(&self) -> bool {
        self.ends.iter().any(Option::is_some)
    }

    /// Both sides have ended (FIN reached or RST), or either side reset (an RST after its
    /// FIN too).
    pub fn closed(&self) -> bool {
        self.ends.iter().all(Option::is_some)
            || self
                .ends
                .iter()
                .flatten()
                .any(|e| e.kind == EndKind::Rst || e.then_rst.is_some())
    }

    /// A SYN that starts a new connection on this 4-tuple (port reuse, rule 13).
    pub fn is_reuse(&self, s: Side, seg: &Segment<'_>) -> bool {
        seg.syn && !seg.ack_flag && self.isn[s].is_some_and(|isn| isn != seg.seq)
    }

    pub fn segment(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp, env: &Env<'_>) {
        let (limits, keys) = (env.limits, env.keys);
        let s = self.side_of(seg.src);
        // Marked as its point saw it, a copy too (it is the other point's packet); none
        // once its bytes are never decoded.
        if !self.ignored() {
            let t = self.trail.get_or_insert_with(Box::default);
            if trail::mark(t, s, seg, packet, ts) {
                self.tcp[s].held_changed = true;
            }
        }
        // The same packet captured again (another interface, the next hop): one packet.
        if self.path[s].copy(seg, ts) {
            return;
        }
        self.packets += 1;
        self.last_packet = packet;
        if ts > self.last_ts {
            self.last_ts = ts;
        }
        if seg.syn {
            if self.up.ctx.client.is_none() {
                self.up.ctx.client = Some(if seg.ack_flag { s.other() } else { s });
            }
            if self.isn[s].is_none() {
                self.isn[s] = Some(seg.seq);
                self.tcp[s].syn(seg.seq);
            }
        }
        if self.ignored() {
            if self.trail.take().is_some() {
                self.tcp[s].held_changed = true;
            }
            return;
        }
        let Connection {
            tcp,
            up,
            ends,
            path,
            ..
        } = self;
        let boxed = path.a.heap_bytes() + path.b.heap_bytes();
        path_watch::segment(path, s, seg, packet, ts);
        // A zero window or a keepalive probe boxed new state: its bytes are charged.
        if path.a.heap_bytes() + path.b.heap_bytes() != boxed {
            tcp[s].held_changed = true;
        }
        if !tcp[s].started() && !seg.syn {
            up.ctx.partial[s] = true;
        }
        if seg.syn && tcp[s].started() {
            // Data of this direction held before its SYN (a reordered capture) starts at
            // the SYN after all; nothing of it was delivered yet if the decoder has not
            // started.
            if up.untouched(s) {
                up.ctx.partial[s] = false;
            }
            tcp[s].release(limits, &mut |ev| up.on_event(s, ev, keys));
        }
        // Stop waiting for a SYN (rule 3: never wait long) or for the bytes of a hole the
        // peer acknowledged, when the other direction moves on, this direction resets, or
        // the window is over; data held in this direction is released by the next segment
        // that follows it.
        // Most directions hold nothing (nothing in their rare state): one test for both.
        if tcp.a.may_hold() || tcp.b.may_hold() {
            for x in Side::BOTH {
                let half = &mut tcp[x];
                if let Some((first, first_ts)) = half.held_since() {
                    let moves = !seg.payload.is_empty() || seg.missing > 0 || seg.fin || seg.rst;
                    let over = packet.saturating_sub(first) > EARLY_WINDOW_PACKETS
                        || ts.0.saturating_sub(first_ts.0) > EARLY_WINDOW_NS;
                    if (x != s && moves) || (x == s && seg.rst) || over {
                        half.give_up(limits, &mut |ev| up.on_event(x, ev, keys));
                        // A FIN reached because the wait is over ended the side at its own packet.
                        let (p, t) = tcp[x].fin_seen().unwrap_or((packet, ts));
                        Self::note_fin(x, &tcp[x], &mut ends[x], up, p, t);
                    }
                }
            }
        }
        if seg.rst {
            if !tcp[s].accepts_rst(seg.seq) {
                // Out of window (rule 11): not this connection's end.
                return;
            }
            path[s].own(seg, packet, ts);
            // Deliver what was held, then end this direction.
            tcp[s].flush_at(Some(packet), &mut |ev| up.on_event(s, ev, keys));
            match &mut ends[s] {
                None => {
                    ends[s] = Some(Box::new(End {
                        kind: EndKind::Rst,
                        packet,
                        ts,
                        order: up.next_order(),
                        then_rst: None,
                    }));
                    up.on_end(s, EndKind::Rst, packet);
                }
                // The same side's RST after its FIN: kept beside the FIN, which stays how
                // this side ended first (its data had ended there).
                Some(e) if e.kind == EndKind::Fin && e.then_rst.is_none() => {
                    e.then_rst = Some(LaterRst {
                        packet,
                        ts,
                        order: up.next_order(),
                    });
                }
                Some(_) => {}
            }
            return;
        }
        if seg.ack_flag {
            let o = s.other();
            tcp[o].peer_ack(seg.ack, packet, ts);
            if !seg.payload.is_empty() || seg.missing > 0 || seg.fin {
                // The peer moves on in this very packet: what it acknowledged and the
                // capture lacks is a gap before its own bytes, so that the order of events
                // across the two directions is kept (as for data held before a SYN).
                tcp[o].give_up(limits, &mut |ev| up.on_event(o, ev, keys));
                let (p, t) = tcp[o].fin_seen().unwrap_or((packet, ts));
                Self::note_fin(o, &tcp[o], &mut ends[o], up, p, t);
            }
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
                &mut |ev| up.on_event(s, ev, keys),
            );
        }
        Self::note_fin(s, &tcp[s], &mut ends[s], up, packet, ts);
        if tcp[s].cap_hit && !up.ctx.findings.has(Kind::BufferCapHit) {
            let found = Found::BufferCapHit(CapHit::OutOfOrder);
            up.ctx.findings.found(None, Some(packet), found);
        }
    }

    /// Side `s`'s FIN, once its stream reached it: its end. The check is made at every
    /// segment, inline; the end, once a direction, out of line.
    #[inline(always)]
    fn note_fin(
        s: Side,
        tcp: &HalfStream,
        end: &mut Option<Box<End>>,
        up: &mut Stack,
        packet: u64,
        ts: Timestamp,
    ) {
        if end.is_none() && tcp.fin_reached() {
            Self::fin_end(s, end, up, packet, ts);
        }
    }

    #[cold]
    #[inline(never)]
    fn fin_end(s: Side, end: &mut Option<Box<End>>, up: &mut Stack, packet: u64, ts: Timestamp) {
        *end = Some(Box::new(End {
            kind: EndKind::Fin,
            packet,
            ts,
            order: up.next_order(),
            then_rst: None,
        }));
        up.on_end(s, EndKind::Fin, packet);
    }

    /// End of input (or eviction): deliver what is held, with gaps over the holes; the
    /// note on copies names the interfaces as the run's table `ifaces` calls them.
    pub fn finish(&mut self, keys: &KeyLog, ifaces: &path_watch::Interfaces) {
        let client_is_a = self.client_side() == Side::A;
        if let Some(t) = self.trail.as_deref_mut() {
            t.settle();
            t.client_is_a = client_is_a;
            t.names = t
                .ifaces
                .iter()
                .map(|&k| {
                    (k != u32::MAX).then(|| match ifaces.label(k) {
                        path_watch::Label::Name(n) => n.to_string(),
                        path_watch::Label::Index(i) => format!("#{i}"),
                    })
                })
                .collect();
        }
        let Connection {
            tcp,
            up,
            ends,
            path,
            last_packet,
            last_ts,
            packets,
            ..
        } = self;
        for s in Side::BOTH {
            tcp[s].flush(&mut |ev| up.on_event(s, ev, keys));
            Self::note_fin(s, &tcp[s], &mut ends[s], up, *last_packet, *last_ts);
            let c = tcp[s].counters;
            let from = up.ctx.role(s);
            // Segments of this side that were counted and ignored: how many, the first.
            let ignored = [
                (true, c.after_fin, tcp[s].first_after_fin()),
                (false, c.implausible, tcp[s].first_implausible()),
            ];
            for (after_fin, segments, first) in ignored {
                if segments > 0 {
                    let found = Found::Ignored {
                        after_fin,
                        segments,
                    };
                    up.ctx.findings.found(Some(from), first, found);
                }
            }
            if c.inconsistencies > 0 {
                let found = Found::InconsistentRetransmission {
                    segments: c.inconsistencies,
                };
                up.ctx.findings.found(None, None, found);
            }
        }
        if let Some(found) =
            path_watch::copies_found(&path[Side::A], &path[Side::B], *packets, ifaces)
        {
            if !up.ctx.findings.has(Kind::CapturedCopies) {
                up.ctx.findings.found(None, None, found);
            }
        }
    }

    /// How many close frames and TCP endings this connection has had (the endings count
    /// once for each session they end), and the endings of HTTP/2 streams.
    pub fn event_count(&self) -> usize {
        let ends = self
            .ends
            .iter()
            .flatten()
            .map(|e| 1 + usize::from(e.then_rst.is_some()))
            .sum::<usize>();
        self.sessions()
            .map(|w| {
                let closes: usize = w.decoders.iter().flatten().map(|d| d.closes.len()).sum();
                let stream_ends = w.stream_ends().iter().filter(|e| e.ends).count();
                closes + ends + stream_ends
            })
            .sum()
    }

    /// What its trail holds (`trail`), its box included.
    pub fn trail_bytes(&self) -> usize {
        self.trail.as_deref().map_or(0, |t| {
            std::mem::size_of::<crate::vocab::trail::Trail>() + t.heap_bytes()
        })
    }

    /// Bytes both directions hold while waiting, and in how many ranges
    /// ([`HalfStream::held`]).
    pub fn held(&self) -> (usize, usize) {
        let (a, b) = (self.tcp.a.held(), self.tcp.b.held());
        (a.0 + b.0, a.1 + b.1)
    }

    /// Whether what the memory budget charges for this connection may have changed since
    /// it last asked (bytes held or released, a new layer above TCP); asking clears it.
    #[inline(always)]
    pub fn budget_changed(&mut self) -> bool {
        let changed = self.tcp.a.held_changed | self.tcp.b.held_changed | self.up.layer_changed;
        if changed {
            self.tcp.a.held_changed = false;
            self.tcp.b.held_changed = false;
            self.up.layer_changed = false;
        }
        changed
    }

    /// The memory budget is spent (found so at `packet`): both directions stop waiting and
    /// deliver what they hold, the holes before it declared gaps ([`HalfStream::shed`]),
    /// and a finding says why.
    pub fn shed(&mut self, packet: u64, env: &Env<'_>) {
        let Connection { tcp, up, .. } = self;
        let mut shed = false;
        for s in Side::BOTH {
            shed |= tcp[s].shed(packet, &mut |ev| up.on_event(s, ev, env.keys));
        }
        if shed && !up.ctx.findings.has(Kind::BufferCapHit) {
            let found = Found::BufferCapHit(CapHit::Budget);
            up.ctx.findings.found(None, Some(packet), found);
        }
        for s in Side::BOTH {
            let (p, t) = self.tcp[s].fin_seen().unwrap_or((packet, self.last_ts));
            Self::note_fin(s, &self.tcp[s], &mut self.ends[s], &mut self.up, p, t);
        }
    }

    /// Bytes of either direction are missing from the capture (a gap).
    pub fn has_gaps(&self) -> bool {
        Side::BOTH
            .into_iter()
            .any(|s| self.tcp[s].counters.gaps > 0)
    }

    /// Whether this connection has a frozen form: not while a direction is in the middle
    /// of inflating a permessage-deflate message.
    pub fn can_freeze(&self) -> bool {
        self.up.can_freeze()
    }
}
