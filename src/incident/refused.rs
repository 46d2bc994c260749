//! Connection attempts a server refused in TCP: a client's SYN answered by a RST, or not
//! answered at all (the port closed, the host down). No WebSocket connection, so no
//! report and no [`Ending`](super::Ending): counted here as their connections finish, per
//! server and tenth of a second, so that a server stop or restart can say how many of its
//! clients' attempts it refused while it was down ([`count`], `reconnects.refused`).
//!
//! In: each finished TCP connection that was no WebSocket, its client's SYN the one side
//! that began (RFC 9293 §3.5: a SYN to a port with no listener is answered by a RST; §3.8.1:
//! one unanswered is sent again, the same attempt). Out: per incident of kind
//! `server-stop` or `server-restart`, the attempts to its server from its first end to the
//! next session the server accepted (a stop: to the capture's end), added to
//! `reconnects.refused`.
//!
//! Bounded: counters, one per server and tenth of a second with a refusal, at most as many
//! as the room `memory::refused_room` takes from the flows' part of
//! `--max-memory` holds ([`BUCKET_BYTES`] each); past it new ones are counted as not kept
//! ([`RefusedCounts::not_kept`]). Work: one map update per such connection, one pass over the
//! counters per report.

use crate::vocab::{Endpoint, Incident, IncidentKind};

/// The width of a counter's span of time, nanoseconds (0.1 s).
pub const BUCKET_NS: i64 = 100_000_000;

/// What one counter takes, with its map's slack.
pub const BUCKET_BYTES: usize = 64;

/// Refused connection attempts per server, by tenth of a second.
#[derive(Debug, Clone, Default)]
pub struct RefusedCounts {
    counts: rustc_hash::FxHashMap<(Endpoint, i64), u32>,
    /// Counters kept at most (0: no limit).
    max: usize,
    /// Attempts not counted for want of room.
    pub not_kept: u64,
}

impl RefusedCounts {
    /// Keeps at most `bytes` of counters (0: no limit).
    pub fn set_room(&mut self, bytes: usize) {
        self.max = (bytes / BUCKET_BYTES).max(usize::from(bytes > 0));
    }

    /// Counts an attempt to `server` whose SYN was sent at `at` (nanoseconds).
    pub fn add(&mut self, server: Endpoint, at: i64) {
        let key = (server, at.div_euclid(BUCKET_NS));
        if let Some(n) = self.counts.get_mut(&key) {
            *n = n.saturating_add(1);
        } else if self.max == 0 || self.counts.len() < self.max {
            self.counts.insert(key, 1);
        } else {
            self.not_kept += 1;
        }
    }

    /// Takes in another shard's counts (its room is this one's).
    pub fn append(&mut self, other: RefusedCounts) {
        self.not_kept += other.not_kept;
        for (key, n) in other.counts {
            if let Some(m) = self.counts.get_mut(&key) {
                *m = m.saturating_add(n);
            } else if self.max == 0 || self.counts.len() < self.max {
                self.counts.insert(key, n);
            } else {
                self.not_kept += u64::from(n);
            }
        }
    }

    /// Attempts counted.
    pub fn total(&self) -> u64 {
        self.counts.values().map(|&n| u64::from(n)).sum()
    }
}

/// Adds to each server stop or restart of `incidents` the attempts to its server `refusals`
/// counted while it was down: from its first member's end to the next session the server
/// accepted (`down_s` after the last end), or for a stop to the capture's end. A tenth of
/// a second at each edge is counted whole.
pub fn count(incidents: &mut [Incident], refusals: &RefusedCounts) {
    if refusals.counts.is_empty() {
        return;
    }
    // Per server, its incidents' spans in tenths of a second.
    let mut spans: rustc_hash::FxHashMap<Endpoint, Vec<(i64, i64, usize)>> = Default::default();
    for (k, i) in incidents.iter().enumerate() {
        let Some(server) = i.server_ep else { continue };
        let up = match i.kind {
            IncidentKind::ServerRestart => match i.down_s {
                Some(d) => i.end.0.saturating_add((d * 1e9) as i64),
                None => continue,
            },
            IncidentKind::ServerStop => i64::MAX,
            _ => continue,
        };
        spans.entry(server).or_default().push((
            i.start.0.div_euclid(BUCKET_NS),
            up.div_euclid(BUCKET_NS),
            k,
        ));
    }
    if spans.is_empty() {
        return;
    }
    let mut add = vec![0u64; incidents.len()];
    for (&(server, bucket), &n) in &refusals.counts {
        for &(from, to, k) in spans.get(&server).map_or(&[][..], Vec::as_slice) {
            if (from..=to).contains(&bucket) {
                if let Some(a) = add.get_mut(k) {
                    *a += u64::from(n);
                }
            }
        }
    }
    for (i, a) in incidents.iter_mut().zip(add) {
        i.reconnects.refused += a;
    }
}
