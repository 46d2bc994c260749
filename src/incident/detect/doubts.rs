//! Doubtful clusters (issue 91 item 7): endings of one server that cluster in time, that no
//! kind took, described with why no kind is named. Never an incident: a cluster whose
//! evidence fits no kind, or too weakly, is said as such, never forced into one.
//!
//! In: the working state's endings once every kind has taken its members. Out:
//! [`Doubt`]s. A cluster is at least [`MIN_MEMBERS`] TCP connections of one server, not in
//! an incident, that ended abruptly within [`BURST_S`] of the first (a FIN, a RST or
//! silence: a close frame, RFC 6455 §7.1.5, is its sender's stated decision, read on its
//! own connection, and a refused upgrade no session: neither counts), each within a tenth of the server's usual gap between
//! endings of the one before (a run: the pace's own ends around it stay out), and that
//! stand out twice: from the server's own ends just
//! before (fewer than a quarter as many in as long before, at least [`GAP_S`], as a stop
//! must be a change) and from its pace over the capture (its endings spread evenly would
//! put so many in that span less often than [`UNUSUAL`], by the Chernoff bound of a Poisson
//! process, as the watch reads a group). Clients leaving at random, or a batch closed one
//! after another, are at their pace: no cluster.
//!
//! Work: a sort of the candidates (n log n); the runs partition them, each read once; one
//! pass over the endings per cluster kept (at most [`MAX_DOUBTS`]). Memory: the candidates,
//! their keys and the servers' start and end times (about 52 bytes an ending), freed on
//! return, within the room the incident stage's work vectors are charged (`memory::incidents_room`).

use super::*;
use crate::incident::watch::UNUSUAL;
use crate::vocab::{Doubt, DoubtReason};

/// Doubtful clusters kept at most.
const MAX_DOUBTS: usize = 100;

/// Whether `members` endings within `span` ns stand out from a pace of one ending every
/// `usual` ns: the chance that such a pace puts `members - 1` more in the span is under
/// [`UNUSUAL`] (Chernoff: `e^-λ (eλ/k)^k`).
pub(super) fn stands_out(members: usize, span: i64, usual: f64) -> bool {
    if usual <= 0.0 {
        return false;
    }
    let lambda = span.max(0) as f64 / usual;
    if lambda <= 0.0 {
        return true;
    }
    let k = (members - 1) as f64;
    k > lambda && -lambda + k * (1.0 + lambda.ln() - k.ln()) <= UNUSUAL.ln()
}

/// The doubtful clusters among `w`'s endings (see the module's header).
pub(super) fn doubts(w: &mut Work) -> Vec<Doubt> {
    let n = w.e.len() as u32;
    // Only abrupt endings (a FIN, a RST, silence): a close frame is its sender's stated
    // decision, each read on its own connection, and a refused upgrade no session.
    let abrupt = |e: &Ending| matches!(e.how, How::Fin | How::Rst | How::Silent);
    let mut cand: Vec<u32> = (0..n)
        .filter(|&i| w.free(i) && !w.is_echo(i) && w.at(i).is_some_and(|e| e.ended() && abrupt(e)))
        .collect();
    if cand.len() < MIN_MEMBERS {
        return Vec::new();
    }
    let (count, first, last) = pace(w, n);
    sorted_by(w, &mut cand, |i, e| (w.sid(i), e.end));
    let keys: Vec<(u32, i64)> = cand
        .iter()
        .map(|&i| (w.sid(i), w.at(i).map_or(i64::MAX, |e| e.end)))
        .collect();
    let (burst, gap) = (ns(BURST_S), ns(GAP_S));
    let mut clusters: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = 0;
    while i < keys.len() && clusters.len() < MAX_DOUBTS {
        w.steps += 1;
        let Some(&(s, t0)) = keys.get(i) else { break };
        let s_ = s as usize;
        let usual = match (count.get(s_), first.get(s_), last.get(s_)) {
            (Some(&c), Some(&f), Some(&l)) if c > 0 && l > f => (l - f) as f64 / c as f64,
            _ => 0.0,
        };
        // The run: each end within a tenth of the usual gap of the one before (and
        // BURST_S of the first), so that the pace's own ends around it stay out.
        let link = (usual / 10.0).min(burst as f64) as i64;
        let mut j = i + 1;
        while keys.get(j).is_some_and(|&(s2, t)| {
            let prev = keys.get(j - 1).map_or(t0, |x| x.1);
            s2 == s && t <= t0.saturating_add(burst) && t.saturating_sub(prev) <= link
        }) {
            w.steps += 1;
            j += 1;
        }
        let k = j - i;
        let t1 = keys.get(j - 1).map_or(t0, |x| x.1);
        let span = t1 - t0;
        let before_from = t0.saturating_sub(span.max(gap));
        let before = i - keys
            .get(..i)
            .unwrap_or_default()
            .partition_point(|&x| x < (s, before_from));
        // At least MIN_MEMBERS TCP connections (the streams of one connection end with it).
        let mut orders: Vec<u64> = cand
            .get(i..j)
            .unwrap_or_default()
            .iter()
            .filter_map(|&m| w.at(m).map(|e| e.order))
            .collect();
        orders.sort_unstable();
        orders.dedup();
        if k >= MIN_MEMBERS
            && orders.len() >= MIN_MEMBERS
            && before * 4 < k
            && stands_out(k, span, usual)
        {
            clusters.push(i..j);
        }
        i = j;
    }
    if clusters.is_empty() {
        return Vec::new();
    }
    // Sessions open at each cluster's first end: starts by then less ends before it.
    let mut starts: Vec<u128> = Vec::new();
    let mut ends: Vec<u128> = Vec::new();
    for i in 0..n {
        if let Some(e) = w.at(i).filter(|_| !w.is_echo(i)) {
            starts.push(at_time(u64::from(w.sid(i)), e.start));
            ends.push(at_time(u64::from(w.sid(i)), e.end));
        }
    }
    starts.sort_unstable();
    ends.sort_unstable();
    let open_at = |party: u64, t: i64| {
        starts
            .partition_point(|&x| x <= at_time(party, t))
            .saturating_sub(ends.partition_point(|&x| x < at_time(party, t))) as u64
    };
    let mut out = Vec::new();
    let mut scanned = 0;
    for r in clusters {
        let sid = cand.get(r.start).map_or(u32::MAX, |&m| w.sid(m));
        w.steps += r.len() as u64;
        let members: Vec<&Ending> = cand
            .get(r.clone())
            .unwrap_or_default()
            .iter()
            .filter_map(|&m| w.at(m))
            .collect();
        let (Some(&m0), Some(e0)) = (cand.get(r.start), members.first()) else {
            continue;
        };
        let open = open_at(u64::from(sid), e0.end);
        // Its first member's client host's sessions to the server open then: one pass
        // (at most MAX_DOUBTS of them: linear in the endings).
        let (hid, t) = (w.hid(m0), e0.end);
        let host_open = (0..n)
            .filter(|&i| w.sid(i) == sid && w.hid(i) == hid && !w.is_echo(i))
            .filter_map(|i| w.at(i))
            .filter(|e| e.start <= t && e.end >= t)
            .count() as u64;
        scanned += u64::from(n);
        if let Some(d) = describe(&members, open, host_open) {
            out.push(d);
        }
    }
    w.steps += scanned;
    out
}

/// What the cluster `ms` (sorted by end) shows and why no kind is named, with the sessions
/// open to its server at its first end (`open`) and those of its first member's client
/// host (`host_open`).
fn describe(ms: &[&Ending], open: u64, host_open: u64) -> Option<Doubt> {
    let (first, last) = (*ms.first()?, *ms.last()?);
    let by_server = ms.iter().filter(|e| e.by == Some(Role::Server)).count();
    let by_client = ms.iter().filter(|e| e.by == Some(Role::Client)).count();
    let mut ways: Vec<u64> = ms.iter().map(|e| how_code(e.how)).collect();
    ways.sort_unstable();
    ways.dedup();
    let fins = ms.iter().filter(|e| e.how == How::Fin).count();
    let rsts = ms.iter().filter(|e| e.how == How::Rst).count();
    let ended_by = if fins + rsts == ms.len() {
        match (fins, rsts) {
            (_, 0) => EndedBy::Fin,
            (0, _) => EndedBy::Rst,
            _ => EndedBy::FinRst,
        }
    } else if ways.len() == 1 {
        match first.how {
            How::Close(c) => EndedBy::Close(c),
            How::Silent => EndedBy::Silence,
            _ => EndedBy::Mixed,
        }
    } else {
        EndedBy::Mixed
    };
    let m = ms.len();
    let mut hosts: Vec<_> = ms.iter().map(|e| e.client_host().ip()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let reason = if by_server > 0 && by_client > 0 {
        DoubtReason::BothSides
    } else if ways.len() > 1 {
        DoubtReason::MixedWays
    } else if by_server == m && (m as u64) * 4 < open * 3 {
        DoubtReason::FewOfOpen
    } else if by_client == m && hosts.len() == 1 {
        // One host's, not all of them: not the host, one of its clients.
        DoubtReason::FewOfHost
    } else if by_client == m {
        DoubtReason::ClientsOfHosts
    } else {
        DoubtReason::Weak
    };
    let mut connections: Vec<u64> = ms.iter().map(|e| u64::from(e.pos) + 1).collect();
    connections.sort_unstable();
    connections.truncate(LISTED);
    Some(Doubt {
        start: Timestamp(first.end),
        end: Timestamp(last.end),
        window_s: (last.end - first.end) as f64 / NS,
        server: first.server.to_string(),
        server_ep: Some(first.server),
        members: m as u64,
        connections,
        by_server: by_server as u64,
        by_client: by_client as u64,
        ended_by,
        ways: ways.len() as u64,
        hosts: hosts.len() as u64,
        open,
        host_open: (hosts.len() == 1).then_some(host_open),
        reason,
        why: String::new(),
        facts: None,
    })
}

/// Each server's pace: its endings (each session once, no echo) and the span from its
/// first start to its last end, by server id; one step per ending.
pub(super) fn pace(w: &mut Work, n: u32) -> (Vec<u64>, Vec<i64>, Vec<i64>) {
    let servers = w.servers as usize;
    let mut count = vec![0u64; servers];
    let mut first = vec![i64::MAX; servers];
    let mut last = vec![i64::MIN; servers];
    for i in 0..n {
        let Some(e) = w.at(i).filter(|e| e.ended() && !w.is_echo(i)) else {
            continue;
        };
        let s = w.sid(i) as usize;
        if let (Some(c), Some(f), Some(l)) = (count.get_mut(s), first.get_mut(s), last.get_mut(s)) {
            *c += 1;
            *f = (*f).min(e.start);
            *l = (*l).max(e.end);
        }
    }
    w.steps += u64::from(n);
    (count, first, last)
}
