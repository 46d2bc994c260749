//! A flow's way out of the table: closed both ways (reported now, a tombstone kept for its
//! late packets), evicted by a cap (the flow cap per group, the memory budget, the idle
//! timeout: least recently active first), frozen out of memory, or finished at the end of
//! its input; and its report built, a few at a time (`PENDING`, at most `PENDING_BYTES` of
//! connections waiting), into the store.
//!
//! In: the key of a flow to finish. Out: its [`ConnectionReport`]s in the store, or the
//! counts of what it was when it was no WebSocket.

use super::{budget, tomb, Analyzer, Tombstone, NO_REPORT, PENDING, PENDING_BYTES};
use crate::flow::FlowKey;
use crate::freeze::Frozen;
use crate::report::{ConnectionReport, Eviction};
use crate::stack::tcp::connection::Connection;
use crate::vocab::{EndKind, Endpoint, Timestamp};
use std::sync::atomic::Ordering;

impl Analyzer {
    /// Both sides of `key` are done (at clock time `ts`): report it now and keep only a
    /// tombstone, so memory follows the connections in flight.
    pub(super) fn closed_now(&mut self, key: FlowKey, ts: Timestamp) {
        if self.opts.keep_closed {
            return;
        }
        // Seen at two points of its path in one capture: the other point's copies of its
        // last packets are still to come; the sweep finishes it after its grace, as any
        // closed connection kept.
        if self
            .flows
            .get(&key)
            .is_some_and(|c| budget::at_two_points(c))
        {
            return;
        }
        if let Some(c) = self.flows.remove(&key) {
            self.untrack(&key, c.charged);
            let done = self
                .finish(c)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(NO_REPORT);
            self.bury(tomb(&key), Tombstone::new(ts, done));
        }
    }

    /// A flow of group `g` has just started: when the group tracks more flows than its
    /// share of the cap, its least recently active ones (the oldest connection first among
    /// those last active at the same time) are finished, down to nine tenths of its share.
    /// A group's flows are all on one shard, and every shard's clock is the same: what is
    /// evicted, and when, does not depend on the number of shards.
    pub(super) fn cap_group(&mut self, g: usize) {
        let cap = self.group_cap(g);
        let tracked = self.group_flows.get(g).copied().unwrap_or(0) as usize;
        if tracked <= cap {
            return;
        }
        let excess = tracked - cap * 9 / 10;
        for k in self.by_age(g).into_iter().take(excess) {
            self.evict(&k, Eviction::MaxFlows);
        }
    }

    /// The flows of group `g`, live and frozen, least recently active first (the oldest
    /// connection first among those last active at the same time): the order in which the
    /// flow cap and the memory budget finish flows.
    pub(super) fn by_age(&self, g: usize) -> Vec<FlowKey> {
        let groups = self.groups;
        let mine = |k: &FlowKey| Endpoint::group(&k.lo, &k.hi, groups) as usize == g;
        let mut by_age: Vec<(Timestamp, u64, FlowKey)> = self
            .flows
            .iter()
            .filter(|(k, _)| mine(k))
            .map(|(k, c)| (c.active_at, c.first_packet, *k))
            .chain(
                self.frozen
                    .iter()
                    .filter(|(k, _)| mine(k))
                    .map(|(k, f)| (f.active_at, f.first_packet, *k)),
            )
            .collect();
        by_age.sort_unstable_by_key(|&(at, first, _)| (at, first));
        by_age.into_iter().map(|(_, _, k)| k).collect()
    }

    /// Finishes the flow of `key` before its end (idle too long, or over the cap of `cap`:
    /// the flow cap or the memory budget), and counts why.
    pub(super) fn evict(&mut self, key: &FlowKey, cap: Eviction) {
        let Some(c) = self.take(key) else { return };
        let idle = self.idle_ns();
        self.seen.evicted_flows += 1;
        let quiet = self.now.0.saturating_sub(c.active_at.0);
        let why = if quiet > idle {
            self.seen.evicted_idle += 1;
            Some(Eviction::IdleTimeout)
        } else if c.closed() {
            None
        } else {
            match cap {
                Eviction::MaxMemory => self.seen.evicted_max_memory += 1,
                _ => self.seen.evicted_max_flows += 1,
            }
            Some(cap)
        };
        if why.is_some() {
            // What an HTTP/2 connection carries after this is counted, not lost unsaid.
            self.follow_evicted(key, &c);
        }
        self.finish_as(c, why);
    }

    /// Every tracked connection, in memory or frozen, as (`of` it, its key).
    pub(super) fn tracked<T>(
        &self,
        of: impl Fn(&Connection) -> T,
        of_frozen: impl Fn(&Frozen) -> T,
    ) -> Vec<(T, FlowKey)> {
        self.flows
            .iter()
            .map(|(k, c)| (of(c), *k))
            .chain(self.frozen.iter().map(|(k, f)| (of_frozen(f), *k)))
            .collect()
    }

    /// Freezes the connection of `key` out of memory, if it can be.
    pub(super) fn freeze_one(&mut self, key: FlowKey) {
        if let Some(c) = self.flows.get(&key) {
            if c.closed() {
                return;
            }
            if let Some(f) = self.freezer.freeze(c) {
                let (g, charged) = (self.group(&key), c.charged);
                self.budget.change(g, charged, budget::FROZEN_BYTES);
                self.flows.remove(&key);
                self.frozen_oldest = self.frozen_oldest.min(f.active_at.0);
                self.frozen.insert(key, f);
            }
        }
    }

    /// Takes the connection of `key` out of the table, thawing it if it was frozen.
    pub(super) fn take(&mut self, key: &FlowKey) -> Option<Box<Connection>> {
        if let Some(c) = self.flows.remove(key) {
            self.untrack(key, c.charged);
            return Some(c);
        }
        let f = self.frozen.remove(key)?;
        self.untrack(key, budget::FROZEN_BYTES);
        let c = self.freezer.thaw(&f);
        if c.is_none() {
            self.seen.lost_frozen += 1;
        }
        c
    }

    /// Reports a connection; returns the index of its report if it was a WebSocket.
    pub(super) fn finish(&mut self, c: Box<Connection>) -> Option<usize> {
        self.finish_as(c, None)
    }

    /// [`Analyzer::finish`] of a connection ended early by a cap (`evicted`), or not.
    pub(super) fn finish_as(
        &mut self,
        mut c: Box<Connection>,
        evicted: Option<Eviction>,
    ) -> Option<usize> {
        self.seen.tcp_connections += 1;
        let was_websocket = c.is_websocket();
        if let Some(s) = self.on_session.as_mut().filter(|_| was_websocket) {
            // Told begun (`feed`), now finished: no longer open.
            s(&super::tally::mark(&c, false));
        }
        c.finish(&self.keys, &self.ifaces);
        let sessions = c.sessions().count();
        if let Some(t) = self
            .tally
            .as_ref()
            .filter(|_| sessions > 0 && !was_websocket)
        {
            // Its session was made from what finishing it read (a request and response held
            // for a hole, say): never counted open, so counted begun here.
            t.websockets_begun.fetch_add(1, Ordering::Relaxed);
        }
        let opened = c.up.tunnel().is_some_and(|t| !t.refused());
        if let Some(key) = tunnel_key(&c).filter(|_| sessions > 0 && opened) {
            // A tunnel that opened and carried a WebSocket: evidence for the client's
            // refused CONNECTs to the same target (`tunnels`).
            let packet = c.up.tunnel().map_or(0, |t| t.request_packet);
            self.tunnels.websocket(key, packet);
        }
        if sessions > 0 {
            // The TTLs the server's own packets arrived with, for its refusals' RSTs.
            if let Some(s) = c.up.ctx.client.map(|s| s.other()) {
                self.seen.refused.own(c.ep[s], c.path[s].ttls());
            }
            // One entry per WebSocket session, reserved in a row: the first is `at`. A
            // followed or live capture's store full: told as they finish, not kept.
            let at = if self.done.has_room(sessions) {
                let at = self.done.reserve(c.input, c.first_packet, c.last_packet);
                for _ in 1..sessions {
                    self.done.reserve(c.input, c.first_packet, c.last_packet);
                }
                at
            } else {
                self.done.skip(sessions);
                NOT_KEPT
            };
            self.pending_bytes = self.pending_bytes.saturating_add(budget::cost(&c));
            self.pending.push_back((at, c, evicted));
            if let Some(t) = &self.tally {
                t.websockets_finished.fetch_add(1, Ordering::Relaxed);
            }
            // Followed with a report callback (metrics): each report made at once, so that
            // what is counted does not wait for the next connections to finish.
            while self.pending.len() > PENDING
                || self.pending_bytes > PENDING_BYTES
                || (self.on_report.is_some() && !self.pending.is_empty())
            {
                if !self.report_one() {
                    break;
                }
            }
            (at != NOT_KEPT).then_some(at)
        } else {
            self.seen.other_tcp_connections += 1;
            if let Some(r) = refusal(&c) {
                self.seen.refusals.push(r);
            }
            // A refused CONNECT with no session: nothing on it showed it was for a
            // WebSocket. Counted, and kept for the end, when the client's other tunnels
            // may show it (`tunnels`).
            self.seen.refused_tunnels += u64::from(c.up.tunnel().is_some_and(|t| t.refused()));
            if let (Some(w), Some(key)) = (c.up.refused_unshown(), tunnel_key(&c)) {
                let mut r = ConnectionReport::from_session(&c, w, 0);
                if self.opts.previews {
                    r.timeline = Some(r.recent_frames.clone());
                }
                let group = self.group(&FlowKey::of(c.ep.a, c.ep.b).0);
                self.tunnels.refused(key, r, group);
            }
            if let Some(p) = c.up.polling() {
                self.seen.polling.add(c.input, p, c.first_packet);
            }
            if let Some((server, at)) = refused_attempt(&c) {
                if let Some(t) = &self.tally {
                    t.refused.fetch_add(1, Ordering::Relaxed);
                }
                // The refusing RST's TTL and IP ID, to tell the server's from a box's.
                let rst = c.up.ctx.client.and_then(|s| c.path[s.other()].reset);
                let rst = rst.map(|m| (m.ttl, m.ip_id));
                self.seen.refused.add_reset(server, at, rst);
                if let Some(f) = self.on_refused.as_mut() {
                    f(server, crate::vocab::Timestamp(at));
                }
            }
            if let Some((server, at)) = tls_refused(&c) {
                self.seen.tls_refused.add(server, at);
                if let Some(f) = self.on_refused.as_mut() {
                    f(server, crate::vocab::Timestamp(at));
                }
            }
            // A TLS connection that could not be read is listed; one decrypted whole that
            // carried another protocol is simply another TCP connection.
            if let Some(e) = crate::report::tls::EncryptedReport::of(&c)
                .filter(|e| !e.tls.decrypted || e.tls.not_decrypted.is_some())
            {
                self.seen.add_encrypted(e);
            }
            None
        }
    }

    /// Builds the report of the oldest finished connection still waiting for one, if any.
    pub(super) fn report_one(&mut self) -> bool {
        let Some((at, mut c, evicted)) = self.pending.pop_front() else {
            return false;
        };
        self.pending_bytes = self.pending_bytes.saturating_sub(budget::cost(&c));
        if at == NOT_KEPT && self.on_report.is_none() {
            // Not kept, and no one to tell: no report to make.
            return true;
        }
        let group = self.group(&FlowKey::of(c.ep.a, c.ep.b).0);
        // The trail moved into the last session's report that keeps one (`from_session`
        // keeps it where the session has a key), copied only into those before it.
        let mut trail = c.trail.take();
        let sessions = c.sessions().count();
        for (k, w) in c.sessions().enumerate() {
            let mut r = ConnectionReport::from_session(&c, w, 0);
            if r.ws_key.is_some() {
                r.trail = if k + 1 == sessions {
                    trail.take()
                } else {
                    trail.clone()
                };
            }
            if let Some(e) = evicted {
                let limit = match e {
                    Eviction::MaxFlows => self.opts.max_flows as u64,
                    Eviction::IdleTimeout => self.opts.idle_timeout_s,
                    Eviction::MaxMemory => self.opts.max_memory as u64,
                };
                r.mark_evicted(e, limit);
            }
            if self.opts.previews {
                r.timeline = Some(r.recent_frames.clone());
            }
            if let Some(f) = self.on_report.as_mut() {
                f(&r);
            }
            if at != NOT_KEPT {
                self.done.fill(at + k, r, group);
            }
        }
        true
    }
}

/// The key of `c`'s CONNECT tunnel, when it was refused or opened: its client's host, the
/// proxy (its server), the target as sent.
fn tunnel_key(c: &Connection) -> Option<super::tunnels::Key> {
    let client = c.up.ctx.client?;
    let t = c.up.tunnel().filter(|t| t.status.is_some())?;
    Some(super::tunnels::Key {
        client: c.ep[client].ip(),
        proxy: c.ep[client.other()],
        target: t.target.clone(),
    })
}

/// The place of the reports of a finished connection its store had no room for.
const NOT_KEPT: usize = usize::MAX;

/// The connection attempt `c` was, if its server refused it: the client's SYN answered by
/// the server's RST, no SYN-ACK (RFC 9293 §3.10.7.1: nothing listened on the port).
fn refusal(c: &Connection) -> Option<crate::incident::Refusal> {
    let cs = c.up.ctx.client?;
    let ss = cs.other();
    let rst = c.ends[ss].as_deref().filter(|e| e.kind == EndKind::Rst)?;
    if c.isn[cs].is_none() || c.isn[ss].is_some() {
        return None;
    }
    let (client, server) = (c.ep[cs], c.ep[ss]);
    Some(crate::incident::Refusal {
        server,
        host: Endpoint::new(client.ip(), 0),
        at: c.first_ts.0,
        syn: c.first_packet,
        rst: rst.packet,
    })
}

/// A client's connection attempt its server refused in TCP: the client's SYN the only
/// start, answered by the server's RST and nothing else (RFC 9293 §3.10.7.1: no listener),
/// or by nothing at all (the client's data never flowed): the server's endpoint and when
/// the SYN was sent.
/// A TLS handshake its client refused once it had read the server's hello and the flight
/// after it (its certificate): the client's fatal alert (RFC 8446 §6.2: bad_certificate,
/// unknown_ca, ...), read in the clear or decrypted; or, in TLS 1.3 where no key opens it,
/// one protected record of an alert's size (2 bytes, its content type and a 16-byte tag:
/// at most 24) as the client's only protected record and its last, where a client that
/// completes sends its Finished (49 bytes or more) first; or, with no alert, a TLS 1.3
/// handshake the client completed (its Finished its one protected record) and then ended
/// TCP first, before any request (a client that pins a certificate closes so). No
/// application data either way, and TCP ended. The server's endpoint and the attempt's
/// start.
fn tls_refused(c: &Connection) -> Option<(Endpoint, i64)> {
    let client = c.up.ctx.client?;
    let server = client.other();
    let f = c.up.tls()?;
    let sum = &f.summary;
    sum.version?;
    let (cs, ss) = (&sum.client, &sum.server);
    if cs.app_bytes > 0
        || ss.app_bytes > 0
        || (c.ends[client].is_none() && c.ends[server].is_none())
    {
        return None;
    }
    let alert = f.alerts.iter().any(|a| a.from_client && a.fatal);
    let tls13_one = sum.version == Some(crate::stack::tls::handshake::TLS13)
        && cs.protected == 1
        && cs.last_type == 23;
    let sized = tls13_one && cs.last_len <= 24;
    // Or no alert at all: the client completed the handshake (its Finished, its one
    // protected record, 49 bytes or more) and ended TCP first, before any request: it
    // checked what the handshake gave it (a pinned certificate, a name) and walked away
    // (`incident::refused::count_tls` counts these only where none came before the stop).
    let client_first = match (c.ends[client].as_deref(), c.ends[server].as_deref()) {
        (Some(a), Some(b)) => a.ts.0 <= b.ts.0,
        (Some(_), None) => true,
        _ => false,
    };
    let walked_away =
        tls13_one && cs.last_len >= 49 && client_first && !f.alerts.iter().any(|a| a.from_client);
    (alert || sized || walked_away).then_some((c.ep[server], c.first_ts.0))
}

fn refused_attempt(c: &Connection) -> Option<(Endpoint, i64)> {
    let client = c.up.ctx.client?;
    let server = client.other();
    if c.isn[client].is_none() || c.isn[server].is_some() || !c.up.untouched(client) {
        return None;
    }
    let reset = c.ends[server]
        .as_deref()
        .is_some_and(|e| e.kind == EndKind::Rst);
    let unanswered = c.ends[server].is_none() && !c.up.ctx.partial[server];
    (reset || unanswered).then_some((c.ep[server], c.first_ts.0))
}
