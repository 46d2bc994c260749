//! One packet's way to its connection: numbered as the report numbers it, decoded (the
//! fast path for plain TCP, a shared file's plain packets without decoding again), counted
//! when it is no TCP segment (IP fragments held for reassembly), kept when its flow is this
//! shard's, and routed to its connection in the flow table: a tracked one, a frozen one
//! thawed, a closed one's late packet, or a new one (a SYN on a 4-tuple reused, rule 13).
//!
//! In: a packet. Out: the connection fed, its close events (live mode), and the flows the
//! packet ended or pushed over the cap finished (`finish.rs`).

use super::{budget, tomb, Analyzer, Freeze, OnEvent, NO_REPORT};
use crate::capture::Packet;
use crate::decode::{self, Skip};
use crate::flow::FlowKey;
use crate::stack::tcp::connection::Connection;
use crate::stack::Env;
use crate::vocab::{Endpoint, Timestamp};

impl Analyzer {
    pub fn packet(&mut self, pkt: &Packet<'_>) {
        self.seed(pkt);
        if self.base != 0 {
            let p = Packet {
                number: pkt.number + self.base,
                ..*pkt
            };
            return self.numbered(&p);
        }
        self.numbered(pkt)
    }

    /// [`Analyzer::packet`], the packet numbered as the report numbers it.
    #[inline(always)]
    pub(super) fn numbered(&mut self, pkt: &Packet<'_>) {
        self.advance_clock(pkt.ts);
        let primary = self.primary();
        if !primary {
            // Only TCP flows of this shard matter here. Sweep exactly when shard 0 (and a
            // single analyzer) would: after TCP packets only.
            match decode::decode(pkt) {
                Ok(mut seg) => {
                    self.ifaces.name(&mut seg, pkt.iface);
                    let mine = self.owns(&seg.src, &seg.dst);
                    self.segment(pkt, &seg, mine);
                }
                Err(Skip::NotTcp) => {
                    if let Some(Some(whole)) = self.defrag.take(pkt) {
                        self.defragmented(pkt, &whole);
                    }
                }
                Err(_) => {}
            }
            return;
        }
        self.seen.packets += 1;
        if (pkt.data.len() as u64) < u64::from(pkt.orig_len) {
            self.seen.snaplen_cut_packets += 1;
            self.seen.smallest_snaplen = Some(
                self.seen
                    .smallest_snaplen
                    .map_or(pkt.data.len() as u32, |m| m.min(pkt.data.len() as u32)),
            );
        }
        // The fast path's segment used where it lies: moved into a `Result` (what
        // `decode::decode` returns) it was copied, 34 instructions a packet.
        let mut fast = decode::fast(pkt);
        let mut decoded;
        let seg = match &mut fast {
            Some(seg) => seg,
            None => {
                decoded = decode::lax(pkt);
                match &mut decoded {
                    Ok(seg) => seg,
                    Err(skip) => {
                        let skip = *skip;
                        return self.skipped(pkt, skip);
                    }
                }
            }
        };
        self.ifaces.name(seg, pkt.iface);
        let mine = self.owns(&seg.src, &seg.dst);
        self.segment(pkt, seg, mine);
    }

    /// A packet in which decoding found no TCP segment (`skip` says why), in the first shard:
    /// counted as what it is, or, an IP fragment, held for reassembly.
    #[cold]
    pub(super) fn skipped(&mut self, pkt: &Packet<'_>, skip: Skip) {
        match skip {
            Skip::UnsupportedLink(l) => {
                match self.unsupported.iter_mut().find(|(k, _, _)| *k == l) {
                    Some((_, n, first)) => {
                        *n += 1;
                        first.get_or_insert(pkt.number);
                    }
                    None => self.unsupported.push((l, 1, Some(pkt.number))),
                }
            }
            Skip::NotTcp => match self.defrag.take(pkt) {
                Some(Some(whole)) => self.defragmented(pkt, &whole),
                Some(None) => {}
                None => self.seen.other_packets += 1,
            },
            Skip::Malformed => {
                self.seen.malformed_packets += 1;
                self.first_malformed.get_or_insert(pkt.number);
            }
            Skip::TunnelFragment | Skip::TooDeep => self.seen.unpeeled(skip, pkt.number),
        }
    }

    /// The packet `whole` that the IP fragment `pkt` completed: decoded as any, numbered
    /// and timed by `pkt`.
    #[cold]
    pub(super) fn defragmented(&mut self, pkt: &Packet<'_>, whole: &[u8]) {
        let p = Packet {
            data: whole,
            orig_len: whole.len() as u32,
            ..*pkt
        };
        match decode::decode(&p) {
            Ok(mut seg) => {
                self.ifaces.name(&mut seg, p.iface);
                let mine = self.owns(&seg.src, &seg.dst);
                self.segment(&p, &seg, mine);
            }
            Err(_) if self.primary() => {
                self.seen.malformed_packets += 1;
                self.first_malformed.get_or_insert(pkt.number);
            }
            Err(_) => {}
        }
    }

    /// A TCP segment: into its connection when its flow is this shard's (`mine`), then the
    /// sweep that follows every TCP packet.
    #[inline(always)]
    pub(super) fn segment(&mut self, pkt: &Packet<'_>, seg: &decode::Segment<'_>, mine: bool) {
        if mine {
            let (key, _) = FlowKey::scoped(seg.src, seg.dst, seg.scope);
            self.tcp(pkt, seg, key);
        }
        self.maybe_sweep();
    }

    /// A packet of this shard that the reader of a shared file found whole (not cut by the
    /// snap length) and plain TCP, its parts at `plain` ([`crate::capture::shared::Plain`]): what
    /// [`Analyzer::packet`] does with it, the segment read without decoding the headers
    /// again, and its flow known to be this shard's (the reader decided by the same
    /// [`Endpoint::shard`]) without hashing its endpoints again.
    pub(super) fn plain(&mut self, pkt: &Packet<'_>, plain: crate::capture::shared::Plain) {
        if self.base != 0 {
            let p = Packet {
                number: pkt.number + self.base,
                ..*pkt
            };
            return self.plain_numbered(&p, plain);
        }
        self.plain_numbered(pkt, plain)
    }

    /// [`Analyzer::plain`], the packet numbered as the report numbers it.
    #[inline(always)]
    pub(super) fn plain_numbered(
        &mut self,
        pkt: &Packet<'_>,
        plain: crate::capture::shared::Plain,
    ) {
        let Some(mut seg) = decode::decode_plain(pkt, plain) else {
            return self.numbered(pkt);
        };
        self.ifaces.name(&mut seg, pkt.iface);
        self.advance_clock(pkt.ts);
        if self.primary() {
            self.seen.packets += 1;
        }
        debug_assert!(self.owns(&seg.src, &seg.dst), "handed another shard's flow");
        self.segment(pkt, &seg, true);
    }

    /// Is the flow between `a` and `b` this analyzer's (always, without sharding)? Decided
    /// from the two endpoints in either order (the sum of their hashes), so that a packet
    /// of another shard's flow costs neither the canonical flow key nor the table's hash.
    pub(super) fn owns(&self, a: &Endpoint, b: &Endpoint) -> bool {
        self.shard.is_none_or(|(me, s)| s.owner(a, b) == me)
    }

    /// One TCP segment of a flow this analyzer owns. A key is never both tracked and a
    /// tombstone, so the common case (a packet of a tracked flow) costs one lookup.
    pub(super) fn tcp(&mut self, pkt: &Packet<'_>, seg: &decode::Segment<'_>, key: FlowKey) {
        self.seen.tcp_packets += 1;
        // The key is kept past `route` only where it is used after it (tests' freezing at
        // every packet): a copy of its 56 bytes for every packet otherwise.
        let every = (self.opts.freeze == Freeze::EveryPacket).then_some(key);
        self.route(pkt, seg, key);
        if let Some(g) = self.grew.take() {
            self.cap_group(g);
        }
        if let Some(key) = every {
            self.freeze_one(key);
        }
    }

    /// [`Analyzer::tcp`] after the count.
    pub(super) fn route(&mut self, pkt: &Packet<'_>, seg: &decode::Segment<'_>, key: FlowKey) {
        if let Some(conn) = self.flows.get_mut(&key) {
            // Which side sent it matters only to a SYN (a reuse is a SYN): not looked up
            // for the others.
            if !(seg.syn && conn.is_reuse(conn.side_of(seg.src), seg)) {
                let at = self.now.max(pkt.ts);
                let env = Env {
                    limits: &self.opts.limits,
                    keys: &self.keys,
                };
                let closed = Self::feed(
                    conn,
                    seg,
                    pkt,
                    &env,
                    (&mut self.on_event, self.tally.as_deref()),
                    &mut self.on_session,
                    at,
                );
                // Looked at only when what it holds or its layer changed.
                let cost = if conn.budget_changed() {
                    Self::recost(conn)
                } else {
                    None
                };
                return self.after_feed(key, at, pkt.number, closed, cost);
            }
            // A new connection on the same 4-tuple (rule 13): the old one is finished.
            if let Some(old) = self.flows.remove(&key) {
                self.untrack(&key, old.charged);
                self.finish(old);
            }
        } else if let Some(f) = self.frozen.remove(&key) {
            // A frozen connection's next packet: back into memory, then as any other.
            match self.freezer.thaw(&f) {
                Some(c) => {
                    let g = self.group(&key);
                    self.budget.change(g, budget::FROZEN_BYTES, c.charged);
                    self.flows.insert(key, c);
                    // Not among those the last sweep looked at: active from now on.
                    let at = self.now.max(pkt.ts);
                    self.sweep_due = self.sweep_due.min(Self::due(at.0, false, self.idle_ns()));
                    return self.route(pkt, seg, key);
                }
                None => {
                    self.untrack(&key, budget::FROZEN_BYTES);
                    self.seen.lost_frozen += 1;
                }
            }
        } else if let Some(&t) = self.closed.get(&tomb(&key)) {
            if seg.syn && !seg.ack_flag {
                // A new connection on the same 4-tuple (rule 13).
                self.closed.remove(&tomb(&key));
            } else {
                // The last ACK or a retransmitted FIN of a connection already reported:
                // it still belongs to that connection's packet range.
                self.seen.late_packets += 1;
                if t.done != NO_REPORT {
                    self.done.set_last_packet(t.done as usize, pkt.number);
                }
                return;
            }
        } else if !self.ghosts.is_empty() && self.unread(seg, &key) {
            // A later packet of an HTTP/2 connection evicted while open: counted.
            return;
        }
        let mut c = Connection::new(seg.src, seg.dst, self.input, pkt.number, pkt.ts);
        c.up.ctx.frame_log = (self.opts.frame_log, self.opts.previews);
        c.up.ctx.app = self.opts.app;
        self.grew = Some(self.track(&key));
        c.encapsulation = decode::encapsulation(pkt).map(Box::new);
        c.scope = key.scope as u32;
        let at = self.now.max(pkt.ts);
        // A new connection, active from now on (the sweep's bound is of the others).
        self.sweep_due = self.sweep_due.min(Self::due(at.0, false, self.idle_ns()));
        let conn = self.flows.entry(key).or_insert_with(|| Box::new(c));
        let env = Env {
            limits: &self.opts.limits,
            keys: &self.keys,
        };
        let closed = Self::feed(
            conn,
            seg,
            pkt,
            &env,
            (&mut self.on_event, self.tally.as_deref()),
            &mut self.on_session,
            at,
        );
        conn.budget_changed();
        let cost = Self::recost(conn);
        self.after_feed(key, at, pkt.number, closed, cost);
    }

    /// Hands a segment to its connection (active at clock time `at`) and calls the event
    /// callback with what it produced (and `on_session` when it became a WebSocket); true
    /// when both sides are now done.
    pub(super) fn feed(
        conn: &mut Connection,
        seg: &decode::Segment<'_>,
        pkt: &Packet<'_>,
        env: &Env<'_>,
        (on_event, tally): (&mut Option<OnEvent>, Option<&super::Tally>),
        on_session: &mut Option<super::OnSession>,
        at: Timestamp,
    ) -> bool {
        // Followed or live only (offline, no callback is set): the events so far, and
        // whether it was a WebSocket yet (for the metrics' count of those open, and the
        // incident watch's).
        let before = on_event.as_ref().map(|_| {
            (
                conn.event_count(),
                (tally.is_some() || on_session.is_some()) && conn.is_websocket(),
            )
        });
        conn.segment(seg, pkt.number, pkt.ts, env);
        // A packet from a clock behind the others (merged captures) still shows activity.
        conn.active_at = conn.active_at.max(at);
        if let (Some((n, was)), Some(f)) = (before, on_event.as_mut()) {
            if !was && conn.is_websocket() {
                if let Some(t) = tally {
                    t.websockets_begun
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if let Some(s) = on_session.as_mut() {
                    s(&super::tally::mark(conn, true));
                }
            }
            if conn.is_websocket() && conn.event_count() > n {
                for ev in crate::diagnose::live::events(conn, n) {
                    f(&ev);
                }
            }
        }
        conn.closed()
    }
}
