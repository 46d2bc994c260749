//! Connection attempts a server refused in TCP: a client's SYN answered by a RST, or not
//! answered at all (the port closed, the host down). No WebSocket connection, so no
//! report and no [`Ending`](super::Ending): counted here as their connections finish, per
//! server and tenth of a second, so that a server stop or restart can say how many of its
//! clients' attempts it refused while it was down ([`count`], `reconnects.refused`).
//!
//! In: each finished TCP connection that was no WebSocket, its client's SYN the one side
//! that began (RFC 9293 §3.5: a SYN to a port with no listener is answered by a RST; §3.8.1:
//! one unanswered is sent again, the same attempt). Out: per incident of kind
//! `server-stop` or `server-restart`, the attempts to its server from its first end (a
//! server host gone dark: from its going dark, `facts.server_dark_s`) to the
//! next session the server accepted (a stop: to the capture's end), and for a restart on to
//! its members' return (`reconnects.refused_after_back`: refused in its name after it was
//! back), added to `reconnects.refused`.
//!
//! Each counter is one refused attempt group: a server, a span of time, and the refusing
//! RST's TTL (none for a SYN left unanswered), with the first such RST's IPv4 identification;
//! beside them, per server, the TTLs its accepted sessions' packets arrived with
//! ([`RefusedCounts::own`]). An attempt refused by a RST whose TTL lies outside those was
//! refused by something between the client and the server (a router's rate limiter, a
//! firewall answering in the server's name: RFC 791 §3.2, each router lowers the TTL by one,
//! so a box nearer the capture point sends a higher one), counted apart
//! (`reconnects.refused_between`).
//!
//! Bounded: counters, one per server, span of time and TTL with a refusal, and the servers'
//! TTLs, one per server, at most as many as the room `memory::refused_room` takes from the
//! flows' part of `--max-memory` holds ([`BUCKET_BYTES`] each). When they fill it, every span is doubled and the counters of
//! the halves merged (first come is not first kept: probes of a dead port early in a capture
//! do not leave a later restart without its figure), up to [`MAX_SHIFT`] doublings; only past
//! those are new ones counted as not kept ([`RefusedCounts::not_kept`]); a server's TTLs past
//! the room are not kept (its refusals then are not told apart). [`count`] names the
//! incidents whose figure was counted in doubled spans (it may hold attempts up to a span
//! before or after the incident's). Work: one map update per such connection, a rebuild of
//! the map per doubling (at most [`MAX_SHIFT`]), one pass over the counters per report.

use crate::vocab::{Endpoint, Incident, IncidentKind};

/// The width of a counter's span of time, nanoseconds (0.1 s).
pub const BUCKET_NS: i64 = 100_000_000;

/// What one counter (or one server's TTLs) takes, with its map's slack: a map holds up to
/// twice the entries' room (its capacity a power of two, at most 7/8 full) and a control byte
/// each.
pub const BUCKET_BYTES: usize = 2 * (std::mem::size_of::<(Key, Count)>() + 1);

/// A counter's key: the server, the span, and the refusing RST's TTL ([`RST`] set) or none
/// (0: the SYN went unanswered).
type Key = (Endpoint, i64, u16);

/// A key's TTL part for a RST of TTL `ttl`.
const RST: u16 = 0x100;

/// One counter: the attempts, and the IPv4 identification of the first RST counted in it
/// (`ids`: 0 none, 1 one value, 2 several).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Count {
    n: u32,
    ip_id: u16,
    ids: u8,
}

impl Count {
    fn merge(&mut self, o: Count) {
        self.n = self.n.saturating_add(o.n);
        self.take_id(o.ids, o.ip_id);
    }

    fn take_id(&mut self, ids: u8, id: u16) {
        match (self.ids, ids) {
            (_, 0) => {}
            (0, _) => (self.ids, self.ip_id) = (ids, id),
            _ if ids > 1 || id != self.ip_id => self.ids = 2,
            _ => {}
        }
    }
}

/// Doublings of a counter's span at most (a tenth of a second doubled 16 times: 109 min).
pub const MAX_SHIFT: u32 = 16;

/// Refused connection attempts per server, by tenth of a second.
#[derive(Debug, Clone, Default)]
pub struct RefusedCounts {
    counts: rustc_hash::FxHashMap<Key, Count>,
    /// Per server: the lowest and highest TTL of its accepted sessions' packets as they
    /// arrived ([`RefusedCounts::own`]).
    own: rustc_hash::FxHashMap<Endpoint, (u8, u8)>,
    /// Counters kept at most (0: no limit).
    max: usize,
    /// Attempts not counted for want of room.
    pub not_kept: u64,
    /// Doublings of the span of time a counter counts ([`BUCKET_NS`] `<< shift`).
    shift: u32,
}

impl RefusedCounts {
    /// What the counters hold, at [`BUCKET_BYTES`] each.
    pub fn held_bytes(&self) -> usize {
        (self.counts.len() + self.own.len()) * BUCKET_BYTES
    }

    /// Keeps the TTLs (lowest, highest) an accepted session's packets of `server` arrived
    /// with, widening what it kept; a new server only while the room holds one more.
    pub fn own(&mut self, server: Endpoint, ttls: Option<(u8, u8)>) {
        let Some((lo, hi)) = ttls else { return };
        if let Some(t) = self.own.get_mut(&server) {
            *t = (t.0.min(lo), t.1.max(hi));
        } else if self.max == 0 || self.counts.len() + self.own.len() < self.max {
            self.own.insert(server, (lo, hi));
        }
    }

    /// The TTLs kept of `server`'s own packets (lowest, highest).
    pub fn own_ttls(&self, server: Endpoint) -> Option<(u8, u8)> {
        self.own.get(&server).copied()
    }

    /// Keeps at most `bytes` of counters (0: no limit).
    pub fn set_room(&mut self, bytes: usize) {
        self.max = (bytes / BUCKET_BYTES).max(usize::from(bytes > 0));
    }

    /// The span of time one counter counts, nanoseconds.
    pub fn span_ns(&self) -> i64 {
        BUCKET_NS << self.shift
    }

    /// Counts an attempt to `server` whose SYN was sent at `at` (nanoseconds), left
    /// unanswered (or refused where the RST is not told).
    pub fn add(&mut self, server: Endpoint, at: i64) {
        self.add_reset(server, at, None);
    }

    /// Counts an attempt to `server` whose SYN was sent at `at` (nanoseconds), refused by a
    /// RST of this TTL and IPv4 identification (`None`: unanswered).
    pub fn add_reset(&mut self, server: Endpoint, at: i64, rst: Option<(u8, Option<u16>)>) {
        let ttl = rst.map_or(0, |(t, _)| RST | u16::from(t));
        let (ids, id) = match rst {
            Some((_, Some(id))) => (1, id),
            _ => (0, 0),
        };
        let c = Count {
            n: 1,
            ip_id: id,
            ids,
        };
        self.put((server, at.div_euclid(BUCKET_NS) >> self.shift, ttl), c);
    }

    /// Adds `c` to the counter of `key` (its span in the present spans), doubling the spans
    /// when the room is full and there is none for it.
    fn put(&mut self, mut key: Key, c: Count) {
        loop {
            if let Some(m) = self.counts.get_mut(&key) {
                m.merge(c);
                return;
            }
            if self.max == 0 || self.counts.len() + self.own.len() < self.max {
                self.counts.insert(key, c);
                return;
            }
            if self.shift >= MAX_SHIFT {
                self.not_kept += u64::from(c.n);
                return;
            }
            self.coarsen();
            key.1 >>= 1;
        }
    }

    /// Doubles every counter's span, merging the counters of its two halves.
    fn coarsen(&mut self) {
        self.shift += 1;
        let old = std::mem::take(&mut self.counts);
        for ((server, bucket, ttl), c) in old {
            self.counts
                .entry((server, bucket >> 1, ttl))
                .or_default()
                .merge(c);
        }
    }

    /// Takes in another shard's counts (its room is this one's).
    pub fn append(&mut self, mut other: RefusedCounts) {
        self.not_kept += other.not_kept;
        while other.shift < self.shift {
            other.coarsen();
        }
        while self.shift < other.shift {
            self.coarsen();
        }
        for (server, (lo, hi)) in std::mem::take(&mut other.own) {
            self.own(server, Some((lo, hi)));
        }
        for ((server, bucket, ttl), c) in other.counts {
            // Spans doubled meanwhile: the bucket in the present ones.
            let b = bucket >> (self.shift - other.shift);
            self.put((server, b, ttl), c);
        }
    }

    /// Attempts counted.
    pub fn total(&self) -> u64 {
        self.counts.values().map(|c| u64::from(c.n)).sum()
    }
}

/// An incident's span of counters: from, to (both in spans of the present width), the
/// incident's place, a crash loop's stop's place in it, and whether the span follows the
/// server's return (attempts refused in its name after it accepted again).
type Span = (i64, i64, usize, Option<usize>, bool);

/// Adds to each server stop, restart or crash loop (each of its stops) of `incidents` the attempts to its server `refusals`
/// counted while it was down: from its first member's end to the next session the server
/// accepted (`down_s` after the last end), or for a stop to the capture's end. A tenth of
/// a second at each edge is counted whole (a doubled span, when the counters filled their
/// room: [`RefusedCounts::span_ns`]). Returns the ids of the incidents whose figure came from
/// doubled spans, which may hold attempts up to a span before or after the incident's.
pub fn count(incidents: &mut [Incident], refusals: &RefusedCounts) -> Vec<u32> {
    let mut coarse = Vec::new();
    if refusals.counts.is_empty() {
        return coarse;
    }
    let span = refusals.span_ns();
    // Per server, its incidents' spans in tenths of a second (a crash loop's: one per stop,
    // `Some` its place).
    let mut spans: rustc_hash::FxHashMap<Endpoint, Vec<Span>> = Default::default();
    for (k, i) in incidents.iter().enumerate() {
        let Some(server) = i.server_ep else { continue };
        if i.kind == IncidentKind::CrashLoop {
            for (s, st) in i.stops.iter().enumerate() {
                let up = match st.down_s {
                    Some(d) => st.end.0.saturating_add((d * 1e9) as i64),
                    None => i64::MAX,
                };
                spans.entry(server).or_default().push((
                    st.start.0.div_euclid(span),
                    up.div_euclid(span),
                    k,
                    Some(s),
                    false,
                ));
            }
            continue;
        }
        if let Some(p) = i
            .partition
            .as_ref()
            .filter(|_| i.kind == IncidentKind::Partition)
        {
            // Attempts that got no answer while the path was cut (their SYNs lost with
            // the rest), up to the heal.
            spans.entry(server).or_default().push((
                p.silent_from.0.div_euclid(span),
                p.healed.0.div_euclid(span),
                k,
                None,
                false,
            ));
            continue;
        }
        // A server host gone dark: from when it was last heard (its sessions were reset only
        // as their clients next sent, long after), its `down_s` counted from then too.
        let gone = (i.facts.server_dark > 0)
            .then_some(i.facts.server_dark_s)
            .flatten()
            .map(|s| i.start.0.saturating_sub((s * 1e9) as i64));
        let up = match i.kind {
            IncidentKind::ServerRestart | IncidentKind::MiddleboxReset => match i.down_s {
                Some(d) => gone.unwrap_or(i.end.0).saturating_add((d * 1e9) as i64),
                // A restart said (1012) with no session accepted after: to the end.
                None if i.kind == IncidentKind::ServerRestart => i64::MAX,
                None => continue,
            },
            IncidentKind::ServerStop => i64::MAX,
            // A backend: to its next session accepted, or to the capture's end.
            IncidentKind::BackendStop => i
                .down_s
                .map_or(i64::MAX, |d| i.end.0.saturating_add((d * 1e9) as i64)),
            _ => continue,
        };
        spans.entry(server).or_default().push((
            gone.unwrap_or(i.start.0).div_euclid(span),
            up.div_euclid(span),
            k,
            None,
            false,
        ));
        // A restart's members came back after it: the attempts refused in the server's name
        // from its return until the last of them was accepted (at most the slowest delay
        // after the last end) were theirs too, refused by it or by a box on the path (a
        // rate limiter answering in its name), which these counts do not tell apart.
        if let (IncidentKind::ServerRestart, Some(slowest)) = (i.kind, i.reconnects.slowest_s) {
            let back = i.end.0.saturating_add((slowest * 1e9) as i64);
            if up != i64::MAX && back.div_euclid(span) > up.div_euclid(span) {
                spans.entry(server).or_default().push((
                    up.div_euclid(span) + 1,
                    back.div_euclid(span),
                    k,
                    None,
                    true,
                ));
            }
        }
    }
    if spans.is_empty() {
        return coarse;
    }
    let mut add = vec![0u64; incidents.len()];
    let mut after_back = vec![0u64; incidents.len()];
    // Per incident: the attempts refused by RSTs whose TTL lies outside the server's own
    // packets', per TTL, and their IPv4 identifications (as a counter keeps them).
    let mut between: Vec<Vec<(u8, u64)>> = vec![Vec::new(); incidents.len()];
    let mut between_id: Vec<Count> = vec![Count::default(); incidents.len()];
    for (&(server, bucket, ttl), &c) in &refusals.counts {
        let n = u64::from(c.n);
        let own = refusals.own.get(&server);
        // A RST's TTL the server's own packets never arrived with: made between.
        let made = own
            .filter(|_| ttl & RST != 0)
            .map(|&(lo, hi)| ((ttl & 0xff) as u8, lo, hi))
            .filter(|&(t, lo, hi)| !(lo..=hi).contains(&t))
            .map(|(t, _, _)| t);
        for &(from, to, k, stop, back) in spans.get(&server).map_or(&[][..], Vec::as_slice) {
            if (from..=to).contains(&bucket) {
                if let Some(a) = add.get_mut(k) {
                    *a += n;
                }
                if let Some(a) = after_back.get_mut(k).filter(|_| back) {
                    *a += n;
                }
                if let (Some(t), Some(b)) = (made, between.get_mut(k)) {
                    match b.iter_mut().find(|x| x.0 == t) {
                        Some(x) => x.1 += n,
                        None => b.push((t, n)),
                    }
                    if let Some(id) = between_id.get_mut(k) {
                        id.take_id(c.ids, c.ip_id);
                    }
                }
                if let Some(st) = stop.and_then(|s| incidents.get_mut(k)?.stops.get_mut(s)) {
                    st.refused += n;
                }
            }
        }
    }
    let all = incidents.iter_mut().zip(add).zip(after_back);
    for (((i, a), b), (made, id)) in all.zip(between.into_iter().zip(between_id)) {
        // A backend's attempts refused in TCP are the proxy's, made for the clients whose
        // upgrades the front refused (502): where it refused some, those are counted
        // (`reconnects.refused_http`), not both views of one attempt.
        if !(i.kind == IncidentKind::BackendStop && i.reconnects.refused_http > 0) {
            i.reconnects.refused += a;
        }
        i.reconnects.refused_after_back += b;
        i.facts.refused_after += a;
        let n: u64 = made.iter().map(|x| x.1).sum();
        if n > 0 {
            let r = &mut i.reconnects;
            r.refused_between += n;
            // The TTL most of them carried (the lowest of equals).
            r.refused_between_ttl = made
                .iter()
                .max_by_key(|x| (x.1, std::cmp::Reverse(x.0)))
                .map(|x| x.0);
            r.refused_between_ip_id = (id.ids == 1).then_some(id.ip_id);
            r.server_ttls = i.server_ep.and_then(|s| refusals.own_ttls(s));
        }
        if a > 0 && refusals.shift > 0 {
            coarse.push(i.id);
        }
    }
    coarse
}

/// Adds to each server stop or restart of `incidents` the TLS handshakes to its server its
/// clients refused (`tls`, counted as [`count`] counts attempts refused in TCP: from its
/// first member's end to the next session the server accepted, or to the capture's end),
/// as `refused_tls`. A stop whose server answered those handshakes came back: it is a
/// `tls-rejected-restart`, down until the first of them (to the tenth of a second, or the
/// counters' span). None are counted for a server whose handshakes were refused so before
/// the incident too (its usual, not the stop's). Returns the ids of the incidents whose figure came from doubled spans.
pub fn count_tls(incidents: &mut [Incident], tls: &RefusedCounts) -> Vec<u32> {
    let mut coarse = Vec::new();
    if tls.counts.is_empty() {
        return coarse;
    }
    let span = tls.span_ns();
    for i in incidents.iter_mut() {
        let Some(server) = i.server_ep else { continue };
        let up = match i.kind {
            IncidentKind::ServerRestart => match i.down_s {
                Some(d) => i.end.0.saturating_add((d * 1e9) as i64),
                // Named a restart for its 1012 alone, nothing accepted after: a stop so far.
                None => i64::MAX,
            },
            IncidentKind::ServerStop => i64::MAX,
            _ => continue,
        };
        let (from, to) = (i.start.0.div_euclid(span), up.div_euclid(span));
        let mut n = 0u64;
        let mut first: Option<i64> = None;
        // Handshakes refused so before the stop too: the server's usual (a TLS health check
        // completes and walks away; a client that never trusted it), not the stop's.
        let mut before = false;
        for (&(s, bucket, _), c) in &tls.counts {
            if s == server && (from..=to).contains(&bucket) {
                n += u64::from(c.n);
                first = Some(first.map_or(bucket, |f| f.min(bucket)));
            }
            before |= s == server && bucket < from && c.n > 0;
        }
        if n == 0 || before {
            continue;
        }
        i.reconnects.refused_tls = n;
        i.facts.refused_tls_after = n;
        if i.kind == IncidentKind::ServerStop || up == i64::MAX {
            i.kind = IncidentKind::TlsRejectedRestart;
            i.down_s = first.map(|b| ((b * span - i.end.0) as f64 / 1e9).max(0.0));
        }
        if tls.shift > 0 {
            coarse.push(i.id);
        }
    }
    coarse
}
