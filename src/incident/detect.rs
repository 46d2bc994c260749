//! The incident stage's sweeps: reconnects first (a FIFO per client host, server and route),
//! then the incidents in order of how specific their evidence is (a shared overload or
//! rejection code, a stop of a server or proxy, a client host's drop, an idle age), each
//! connection in one incident at most, then what came back after each.
//!
//! In: the [`Ending`]s of a report's connections, each at its position. Out: an [`Outcome`].
//! Servers and client hosts are numbered once, so keys sort as integers. A linear count
//! first (routes seen twice, a party's candidates per burst-wide bucket) leaves out the
//! endings no incident or reconnect can use, so a capture of distinct, spread-out sessions
//! sorts little; every sweep sorts what remains once and walks it with pointers that only
//! move forward; counts of sessions open at a moment are binary searches in sorted starts
//! and ends. No step looks at more than a bounded number of endings per ending.

use super::words;
use super::{
    Bin, Ending, How, Incident, IncidentKind, Link, Links, Outcome, Reconnect, Reconnects, BURST_S,
    CLIENT_BURST_S, GAP_S, HERD_SPREAD_S, IDLE_MIN_S, IDLE_TOLERANCE_S, LISTED, MASS_GAP_S,
    MAX_BINS, MAX_INCIDENTS, MIN_MEMBERS, RECONNECT_MAX_S, REJECTION_SHARE, RETRY_GAP_S,
    SHED_GAP_S,
};
use crate::capture::Timestamp;
use crate::decode::Endpoint;
use crate::flow::Role;
use std::collections::VecDeque;

const NS: f64 = 1e9;

fn ns(s: f64) -> i64 {
    (s * NS) as i64
}

/// The working state: the endings, and per ending its incident and reconnect links.
struct Work {
    e: Vec<Ending>,
    /// A leg of a proxied session that relayed its other leg's ending.
    relayed: Vec<bool>,
    /// A back leg (its client is the proxy).
    back: Vec<bool>,
    incident: Vec<Option<u32>>,
    next: Vec<Option<u32>>,
    prev: Vec<Option<u32>>,
    incidents: Vec<Incident>,
    steps: u64,
    left_out: u64,
    /// Per ending: its server's and its client host's number (dense, from 0), so that keys
    /// sort and compare as integers.
    sid: Vec<u32>,
    hid: Vec<u32>,
    /// How many servers and client hosts.
    servers: u32,
    hosts: u32,
}

impl Work {
    fn at(&self, i: u32) -> Option<&Ending> {
        self.e.get(i as usize)
    }

    /// Not in an incident yet, and not a leg that relayed its other leg's ending.
    fn free(&self, i: u32) -> bool {
        self.incident.get(i as usize).is_some_and(Option::is_none)
            && !self.relayed.get(i as usize).copied().unwrap_or(false)
    }

    fn is_back(&self, i: u32) -> bool {
        self.back.get(i as usize).copied().unwrap_or(false)
    }

    fn next_of(&self, i: u32) -> Option<u32> {
        self.next.get(i as usize).copied().flatten()
    }

    fn sid(&self, i: u32) -> u32 {
        self.sid.get(i as usize).copied().unwrap_or(u32::MAX)
    }

    fn hid(&self, i: u32) -> u32 {
        self.hid.get(i as usize).copied().unwrap_or(u32::MAX)
    }
}

/// A way of ending as a number (same order of kinds as [`How`]'s).
fn how_code(h: How) -> u64 {
    match h {
        How::Open => 0,
        How::Fin => 1,
        How::Rst => 2,
        How::Close(None) => 3,
        How::Close(Some(c)) => 4 << 16 | u64::from(c),
        How::Refused(s) => 5 << 16 | u64::from(s),
    }
}

/// A time as an unsigned number of the same order.
fn t64(t: i64) -> u64 {
    (t as u64) ^ (1 << 63)
}

/// A key of a party's number (high) and a time (low) that sorts as the pair does.
fn at_time(party: u64, t: i64) -> u128 {
    u128::from(party) << 64 | u128::from(t64(t))
}

/// Numbers each distinct value of `of` (dense, from 0, in the order first seen).
fn numbered(e: &[Ending], of: impl Fn(&Ending) -> Endpoint) -> (Vec<u32>, u32) {
    let mut ids: rustc_hash::FxHashMap<Endpoint, u32> = Default::default();
    let v = e
        .iter()
        .map(|x| {
            let next = ids.len() as u32;
            *ids.entry(of(x)).or_insert(next)
        })
        .collect();
    (v, ids.len() as u32)
}

/// Finds the incidents and reconnects among `endings` (each at its `pos`). `legs` are the
/// (front, back) positions of the two legs of each session through a proxy: the leg that
/// ended later relayed the other's ending and is in no incident (the one that ended first
/// says what happened); a back leg's client is the proxy.
pub fn detect(endings: Vec<Ending>, legs: &[(u32, u32)]) -> Outcome {
    let n = endings.len();
    if n < 2 {
        // One session (or none) is never an incident nor a reconnect: nothing to do.
        return Outcome::default();
    }
    let mut relayed = vec![false; n];
    let mut back = vec![false; n];
    if !legs.is_empty() {
        // Positions to indexes (the endings are in any order).
        let mut at: rustc_hash::FxHashMap<u32, usize> = Default::default();
        for (i, e) in endings.iter().enumerate() {
            at.insert(e.pos, i);
        }
        for &(f, b) in legs {
            let (Some(&fi), Some(&bi)) = (at.get(&f), at.get(&b)) else {
                continue;
            };
            if let Some(x) = back.get_mut(bi) {
                *x = true;
            }
            let end = |i: usize| endings.get(i).map_or(i64::MAX, |e| e.end);
            let later = if end(bi) >= end(fi) { bi } else { fi };
            if let Some(x) = relayed.get_mut(later) {
                *x = true;
            }
        }
    }
    let (sid, servers) = numbered(&endings, |e| e.server);
    let (hid, hosts) = numbered(&endings, Ending::client_host);
    let mut w = Work {
        relayed,
        back,
        sid,
        hid,
        servers,
        hosts,
        e: endings,
        incident: vec![None; n],
        next: vec![None; n],
        prev: vec![None; n],
        incidents: Vec::new(),
        steps: 0,
        left_out: 0,
    };
    reconnects(&mut w);
    if n >= MIN_MEMBERS {
        codes(&mut w);
        stops(&mut w, Side::Server);
        stops(&mut w, Side::Client);
        idle_cohorts(&mut w);
        // Numbered in the order of their first end.
        let mut order: Vec<usize> = (0..w.incidents.len()).collect();
        order.sort_by_key(|&k| w.incidents.get(k).map(|i| (i.start, i.first_packet)));
        let mut renumber = vec![0u32; w.incidents.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(r) = renumber.get_mut(old) {
                *r = new as u32 + 1;
            }
        }
        for inc in w.incident.iter_mut().flatten() {
            *inc = renumber.get(*inc as usize).copied().unwrap_or(0);
        }
        let mut incidents = std::mem::take(&mut w.incidents);
        for i in &mut incidents {
            i.id = renumber.get(i.id as usize).copied().unwrap_or(0);
        }
        incidents.sort_by_key(|i| i.id);
        w.incidents = incidents;
        if !w.incidents.is_empty() {
            let accepted = resolve_chains(&w);
            come_back(&mut w, &accepted);
        }
    }
    let mut links = Links::default();
    for i in 0..n as u32 {
        let Some(e) = w.at(i) else { continue };
        let pos = e.pos;
        let incident = w.incident.get(i as usize).copied().flatten();
        let reconnect = w.next_of(i).and_then(|j| {
            let nx = w.at(j)?;
            Some(Reconnect {
                connection: u64::from(nx.pos) + 1,
                after_s: (nx.start - e.end) as f64 / NS,
                refused: matches!(nx.how, How::Refused(_)),
            })
        });
        let replaces = w
            .prev
            .get(i as usize)
            .copied()
            .flatten()
            .and_then(|j| w.at(j))
            .map(|p| u64::from(p.pos) + 1);
        if incident.is_some() || reconnect.is_some() || replaces.is_some() {
            *links.entry(pos) = Link {
                incident,
                reconnect,
                replaces,
                after: None,
            };
        }
    }
    Outcome {
        incidents: w.incidents,
        links,
        work: w.steps,
        left_out: w.left_out,
    }
}

/// `cand` sorted by `key` of each ending, the keys computed once each (a key made in every
/// comparison cost more than the rest of the stage).
fn sorted_by<K: Ord + Copy>(w: &Work, cand: &mut Vec<u32>, key: impl Fn(u32, &Ending) -> K) {
    let mut keyed: Vec<(K, u32)> = cand
        .iter()
        .filter_map(|&i| Some((key(i, w.at(i)?), i)))
        .collect();
    keyed.sort_unstable();
    cand.clear();
    cand.extend(keyed.into_iter().map(|(_, i)| i));
}

/// Links each session to the one it replaces: the oldest ended, not yet replaced session of
/// the same client host, server and route that ended at most [`RECONNECT_MAX_S`] before it
/// started (and not after).
fn reconnects(w: &mut Work) {
    // Only the sessions whose (client host, server, route) has two or more can be linked:
    // counted in one pass, so a capture of distinct clients sorts nothing.
    type Route = (u32, u32, u64);
    let key = |w: &Work, i: u32| -> Option<Route> { Some((w.hid(i), w.sid(i), w.at(i)?.route)) };
    let mut count: rustc_hash::FxHashMap<Route, u32> = Default::default();
    for i in 0..w.e.len() as u32 {
        if let Some(k) = key(w, i) {
            *count.entry(k).or_default() += 1;
        }
    }
    w.steps += w.e.len() as u64;
    if count.len() == w.e.len() {
        return;
    }
    // (time, 0 for an end / 1 for a start, index): ends first at equal times.
    let mut events: Vec<(i64, u8, u32)> = Vec::new();
    for (i, e) in w.e.iter().enumerate() {
        let shared = key(w, i as u32)
            .and_then(|k| count.get(&k))
            .is_some_and(|&c| c >= 2);
        if !shared {
            continue;
        }
        events.push((e.start, 1, i as u32));
        if e.ended() && e.end != i64::MAX {
            events.push((e.end.max(e.start), 0, i as u32));
        }
    }
    drop(count);
    events.sort_unstable();
    let mut waiting: rustc_hash::FxHashMap<Route, VecDeque<u32>> = Default::default();
    let max = ns(RECONNECT_MAX_S);
    for (t, what, i) in events {
        w.steps += 1;
        let Some(k) = key(w, i) else { continue };
        if what == 0 {
            waiting.entry(k).or_default().push_back(i);
            continue;
        }
        let Some(q) = waiting.get_mut(&k) else {
            continue;
        };
        while let Some(&old) = q.front() {
            w.steps += 1;
            let end = w.e.get(old as usize).map_or(i64::MIN, |o| o.end);
            if t.saturating_sub(end) > max {
                q.pop_front();
            } else {
                break;
            }
        }
        if let Some(old) = q.pop_front() {
            if let Some(s) = w.next.get_mut(old as usize) {
                *s = Some(i);
            }
            if let Some(s) = w.prev.get_mut(i as usize) {
                *s = Some(old);
            }
        }
        if q.is_empty() {
            waiting.remove(&k);
        }
    }
}

/// Whether the session `j` that replaced `i` was refused: its upgrade was, or it is a
/// member of `i`'s own incident (a rejection loop's next refusal, a session the same stop
/// ended again).
fn refused_again(w: &Work, i: u32, j: u32) -> bool {
    let inc = |k: u32| w.incident.get(k as usize).copied().flatten();
    w.at(j).is_some_and(|e| matches!(e.how, How::Refused(_)))
        || inc(i).is_some_and(|a| inc(j) == Some(a))
}

/// Per ending: the first accepted session down its chain of reconnects (through refused
/// ones, [`refused_again`]), if any. Resolved from the latest start back, so each link is
/// followed once.
fn resolve_chains(w: &Work) -> Vec<Option<u32>> {
    let n = w.e.len();
    let mut by_start: Vec<u32> = (0..n as u32).collect();
    sorted_by(w, &mut by_start, |_, e| std::cmp::Reverse(e.start));
    let mut accepted: Vec<Option<u32>> = vec![None; n];
    for i in by_start {
        let got = w.next_of(i).and_then(|j| {
            if refused_again(w, i, j) {
                accepted.get(j as usize).copied().flatten()
            } else {
                Some(j)
            }
        });
        if let Some(a) = accepted.get_mut(i as usize) {
            *a = got;
        }
    }
    accepted
}

/// A close code that refuses the client: a policy or data it will send again (1002, 1003,
/// 1007, 1008, 1009, 1010) or an application's own (3000-4999).
fn rejecting(code: u16) -> bool {
    matches!(code, 1002 | 1003 | 1007 | 1008 | 1009 | 1010) || (3000..=4999).contains(&code)
}

/// Overload codes: 1013 Try Again Later, 1014 Bad Gateway; 503 and 429 refusing the upgrade.
fn shedding(how: How) -> bool {
    matches!(how, How::Close(Some(1013 | 1014)) | How::Refused(503 | 429))
}

fn code_of(how: How) -> Option<u16> {
    match how {
        How::Close(c) => c,
        How::Refused(s) => Some(s),
        _ => None,
    }
}

/// Shedding, rejection loops (one client retrying) and mass rejections (many clients).
fn codes(w: &mut Work) {
    let from_server = |e: &Ending| e.by == Some(Role::Server) && e.ended();
    // Shedding: by (server, code), gaps up to SHED_GAP_S.
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(|e| from_server(e) && shedding(e.how)))
        .collect();
    sorted_by(w, &mut cand, |i, e| {
        (u64::from(w.sid(i)) << 32 | how_code(e.how), e.end)
    });
    clusters(
        w,
        &cand,
        |w, i, e| u128::from(w.sid(i)) << 32 | u128::from(how_code(e.how)),
        ns(SHED_GAP_S),
        |_, _| IncidentKind::OverloadShedding,
    );
    // Rejection loops: by (client host, server, code), gaps up to RETRY_GAP_S, each the
    // session that replaced the one before (a retry), and at least half of that client
    // host's endings with that server in the loop's window.
    let rejected = |e: &Ending| {
        from_server(e)
            && match e.how {
                How::Close(Some(c)) => rejecting(c),
                How::Refused(s) => (400..500).contains(&s) && s != 429,
                _ => false,
            }
    };
    let all: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(rejected))
        .collect();
    if all.len() < MIN_MEMBERS {
        return;
    }
    // A loop's member is a retry of a refusal with its code, or was retried and refused so:
    // the others are left out before sorting (one step each).
    let same_refusal = |i: u32, j: Option<u32>| {
        j.is_some_and(|j| {
            w.free(j)
                && w.at(j)
                    .is_some_and(|b| rejected(b) && w.at(i).is_some_and(|a| a.how == b.how))
        })
    };
    let mut cand: Vec<u32> = all
        .iter()
        .copied()
        .filter(|&i| {
            same_refusal(i, w.next_of(i))
                || same_refusal(i, w.prev.get(i as usize).copied().flatten())
        })
        .collect();
    sorted_by(w, &mut cand, |i, e| {
        (
            u64::from(w.hid(i)) << 32 | u64::from(w.sid(i)),
            how_code(e.how),
            e.end,
        )
    });
    let mut ends = Ends::default();
    clusters_by(
        w,
        &cand,
        |w, i, e| {
            u128::from(w.hid(i)) << 64 | u128::from(w.sid(i)) << 32 | u128::from(how_code(e.how))
        },
        ns(RETRY_GAP_S),
        |w, prev, i| w.next_of(prev) == Some(i),
        |w, run| {
            let share = ends.share(w, run, |w, i| {
                u64::from(w.sid(i)) << 32 | u64::from(w.hid(i))
            });
            (share >= REJECTION_SHARE).then_some(IncidentKind::RejectionLoop)
        },
    );
    // Mass rejection: what is left, by (server, code), gaps up to MASS_GAP_S, of at least
    // MIN_MEMBERS client hosts, and at least half of the server's endings in the window
    // (a busy server whose sessions end with many codes is no incident).
    let mut cand: Vec<u32> = all.into_iter().filter(|&i| w.free(i)).collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    sorted_by(w, &mut cand, |i, e| {
        (u64::from(w.sid(i)) << 32 | how_code(e.how), e.end)
    });
    let mut ends = Ends::default();
    clusters_by(
        w,
        &cand,
        |w, i, e| u128::from(w.sid(i)) << 32 | u128::from(how_code(e.how)),
        ns(MASS_GAP_S),
        |_, _, _| true,
        |w, run| {
            let mut hosts: Vec<u32> = run.iter().map(|&i| w.hid(i)).collect();
            hosts.sort_unstable();
            hosts.dedup();
            if hosts.len() < MIN_MEMBERS {
                return None;
            }
            let share = ends.share(w, run, |w, i| u64::from(w.sid(i)) << 32);
            (share >= REJECTION_SHARE).then_some(IncidentKind::MassRejection)
        },
    );
}

/// The ends of every ended session, sorted by a party's number then time: made the first
/// time a run asks (never when no run has enough members), to count a party's endings in a
/// window with two binary searches.
#[derive(Default)]
struct Ends {
    sorted: Option<Vec<u128>>,
}

impl Ends {
    /// The share of `run` (one key's members) in all the endings of its party (`party`)
    /// from its first end to its last.
    fn share(&mut self, w: &mut Work, run: &[u32], party: impl Fn(&Work, u32) -> u64) -> f64 {
        let v = self.sorted.get_or_insert_with(|| {
            let mut v: Vec<u128> = (0..w.e.len() as u32)
                .filter_map(|i| {
                    let e = w.at(i).filter(|e| e.ended())?;
                    Some(at_time(party(w, i), e.end))
                })
                .collect();
            v.sort_unstable();
            v
        });
        let ends = run.iter().filter_map(|&i| w.at(i).map(|e| e.end));
        let (Some(lo), Some(hi)) = (ends.clone().min(), ends.max()) else {
            return 0.0;
        };
        let Some(p) = run.first().map(|&i| party(w, i)) else {
            return 0.0;
        };
        let from = v.partition_point(|&x| x < at_time(p, lo));
        let to = v.partition_point(|&x| x <= at_time(p, hi));
        w.steps += 1;
        run.len() as f64 / (to.saturating_sub(from)).max(1) as f64
    }
}

/// A run's key: the parties' numbers and the way of ending, as one integer.
type Key = u128;

/// Runs of `cand` (sorted by key, then end) with the same key whose ends are at most `gap`
/// apart: each run of [`MIN_MEMBERS`] or more still free is an incident.
fn clusters(
    w: &mut Work,
    cand: &[u32],
    key: impl Fn(&Work, u32, &Ending) -> Key,
    gap: i64,
    kind: impl Fn(&Work, &[u32]) -> IncidentKind,
) {
    clusters_by(
        w,
        cand,
        key,
        gap,
        |_, _, _| true,
        |w, run| Some(kind(w, run)),
    );
}

/// [`clusters`], where a member joins the one before only when `follows(w, before, it)`,
/// and a run is an incident only when `kind` names one.
fn clusters_by(
    w: &mut Work,
    cand: &[u32],
    key: impl Fn(&Work, u32, &Ending) -> Key,
    gap: i64,
    follows: impl Fn(&Work, u32, u32) -> bool,
    mut kind: impl FnMut(&mut Work, &[u32]) -> Option<IncidentKind>,
) {
    let mut run: Vec<u32> = Vec::new();
    let mut last: Option<(Key, i64, u32)> = None;
    for &i in cand {
        w.steps += 1;
        let Some(e) = w.at(i) else { continue };
        let (k, end) = (key(w, i, e), e.end);
        let joins = last.is_some_and(|(lk, lt, li)| {
            lk == k && end.saturating_sub(lt) <= gap && follows(w, li, i)
        });
        if !joins {
            flush_run(w, &mut run, &mut kind);
        }
        run.push(i);
        last = Some((k, end, i));
    }
    flush_run(w, &mut run, &mut kind);
}

fn flush_run(
    w: &mut Work,
    run: &mut Vec<u32>,
    kind: &mut impl FnMut(&mut Work, &[u32]) -> Option<IncidentKind>,
) {
    if run.len() >= MIN_MEMBERS {
        if let Some(k) = kind(w, run) {
            make(w, k, run, None);
        }
    }
    run.clear();
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Server,
    Client,
}

/// The coarse way of an ending for a stop: a FIN or RST (abrupt) is one way, each close
/// code another.
fn coarse(how: How) -> How {
    match how {
        How::Rst => How::Fin,
        h => h,
    }
}

/// Stops: the sessions of one server (or one client host) that it ended the same way within
/// [`BURST_S`] of the first, which were open then, when they are at least [`MIN_MEMBERS`]
/// and three quarters of the sessions open to it at that moment; later ends of sessions
/// open at that moment join while each is within [`GAP_S`] of the one before.
fn stops(w: &mut Work, side: Side) {
    // The party's number (a server's or a client host's).
    let party = |w: &Work, i: u32| -> u64 {
        u64::from(match side {
            Side::Server => w.sid(i),
            Side::Client => w.hid(i),
        })
    };
    let parties_n = match side {
        Side::Server => w.servers,
        Side::Client => w.hosts,
    } as usize;
    let by = match side {
        Side::Server => Role::Server,
        Side::Client => Role::Client,
    };
    let n = w.e.len() as u32;
    let count_le = |v: &[u128], p: u64, t: i64| v.partition_point(|&x| x <= at_time(p, t));
    let count_lt = |v: &[u128], p: u64, t: i64| v.partition_point(|&x| x < at_time(p, t));
    let stopping = |e: &Ending| {
        e.by == Some(by)
            && match side {
                Side::Server => matches!(e.how, How::Fin | How::Rst | How::Close(_)),
                // A client host's drop: abrupt ends of TCP connections only (a client
                // closing its sessions with close frames said why; an HTTP/2 stream reset
                // is the application's, not the host's).
                Side::Client => matches!(e.how, How::Fin | How::Rst) && e.stream == 0,
            }
    };
    let mut cand: Vec<u32> = (0..n)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(stopping))
        .collect();
    let (burst, gap) = match side {
        Side::Server => (ns(BURST_S), ns(GAP_S)),
        Side::Client => (ns(CLIENT_BURST_S), ns(CLIENT_BURST_S)),
    };
    // The parties that could have a stop: [`MIN_MEMBERS`] candidates of one way within
    // two consecutive buckets of the burst's width (where any window of the burst lies),
    // counted in one pass. Only their candidates are sorted, and only their sessions'
    // starts and ends, to count those open at a moment (nothing at all when none could).
    let mut buckets: rustc_hash::FxHashMap<(u64, i64), u32> = Default::default();
    for &i in &cand {
        if let Some(e) = w.at(i) {
            let k = party(w, i) << 32 | how_code(coarse(e.how));
            *buckets
                .entry((k, e.end.div_euclid(burst.max(1))))
                .or_default() += 1;
        }
    }
    w.steps += cand.len() as u64;
    let mut could = vec![false; parties_n];
    for (&(k, b), &c) in &buckets {
        let next = buckets.get(&(k, b.saturating_add(1))).copied().unwrap_or(0);
        if (c + next) as usize >= MIN_MEMBERS {
            if let Some(x) = could.get_mut((k >> 32) as usize) {
                *x = true;
            }
        }
    }
    drop(buckets);
    let mine = |w: &Work, i: u32| could.get(party(w, i) as usize).copied().unwrap_or(false);
    cand.retain(|&i| mine(w, i));
    if cand.is_empty() {
        return;
    }
    sorted_by(w, &mut cand, |i, e| {
        (party(w, i) << 32 | how_code(coarse(e.how)), e.end)
    });
    let mut starts: Vec<u128> = Vec::new();
    let mut ends: Vec<u128> = Vec::new();
    for i in 0..n {
        if mine(w, i) {
            if let Some(e) = w.at(i) {
                starts.push(at_time(party(w, i), e.start));
                ends.push(at_time(party(w, i), e.end));
            }
        }
    }
    starts.sort_unstable();
    ends.sort_unstable();
    let mut i = 0;
    let mut j = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some((fi, first)) = cand.get(i).and_then(|&k| Some((k, *w.at(k)?))) else {
            break;
        };
        let (p, how, t0) = (party(w, fi), coarse(first.how), first.end);
        let same =
            |w: &Work, k: u32| party(w, k) == p && w.at(k).is_some_and(|e| coarse(e.how) == how);
        j = j.max(i + 1);
        while cand.get(j).is_some_and(|&k| {
            same(w, k) && w.at(k).is_some_and(|e| e.end <= t0.saturating_add(burst))
        }) {
            w.steps += 1;
            j += 1;
        }
        // Open at t0: started by then, not ended before it. Of the window's ends, all but
        // those of sessions that started after t0 (and ended by the window's last end)
        // were open then: a lower bound, found without walking the window. Only a window
        // that passes on it is walked (and then skipped whole), so the sweep stays linear;
        // one it cannot decide that way is no stop.
        if j - i < MIN_MEMBERS {
            // Too few in the window whatever was open: no search needed.
            i += 1;
            continue;
        }
        let started = count_le(&starts, p, t0);
        let open = started.saturating_sub(count_lt(&ends, p, t0));
        if (j - i) * 4 < open * 3 {
            // Even were every end in the window of a session open at t0: too few.
            i += 1;
            continue;
        }
        let last = cand.get(j - 1).and_then(|&k| w.at(k)).map_or(t0, |e| e.end);
        let started_after = count_le(&starts, p, last).saturating_sub(started);
        let surely = (j - i).saturating_sub(started_after);
        if surely < MIN_MEMBERS || surely * 4 < open * 3 {
            i += 1;
            continue;
        }
        let mut members: Vec<u32> = Vec::new();
        let mut last_end = t0;
        let mut k = i;
        while let Some((idx, e)) = cand.get(k).and_then(|&x| Some((x, *w.at(x)?))) {
            if !same(w, idx) || (k >= j && e.end.saturating_sub(last_end) > gap) {
                break;
            }
            w.steps += 1;
            if e.start <= t0 {
                members.push(idx);
                last_end = last_end.max(e.end);
            }
            k += 1;
        }
        if members.len() >= MIN_MEMBERS {
            let backs = members.iter().filter(|&&m| w.is_back(m)).count();
            let kind = match side {
                // A proxy ending its back legs (their client) at once: a reload.
                Side::Client if backs * 2 > members.len() => IncidentKind::ProxyReload,
                Side::Client => IncidentKind::ClientDrop,
                Side::Server => {
                    let proxied = members
                        .iter()
                        .filter(|&&m| w.at(m).is_some_and(|e| e.proxied) && !w.is_back(m));
                    if proxied.count() * 2 > members.len() {
                        IncidentKind::ProxyReload
                    } else {
                        // Accepted a session after the stop: a restart.
                        let later = starts
                            .get(count_le(&starts, p, last_end))
                            .is_some_and(|&x| (x >> 64) as u64 == p);
                        if later || how == How::Close(Some(1012)) {
                            IncidentKind::ServerRestart
                        } else {
                            IncidentKind::ServerStop
                        }
                    }
                }
            };
            let down = match kind {
                IncidentKind::ServerRestart | IncidentKind::ProxyReload => {
                    let at = count_le(&starts, p, last_end);
                    starts
                        .get(at)
                        .filter(|&&x| (x >> 64) as u64 == p)
                        .map(|&x| ((x as u64 ^ (1 << 63)) as i64 - last_end) as f64 / NS)
                }
                _ => None,
            };
            make(w, kind, &members, down);
        }
        i = k.max(i + 1);
        j = j.max(i);
    }
}

/// Idle cohorts: sessions of one server that ended (not refused, not in an incident) after a
/// quiet spell of at least [`IDLE_MIN_S`], at the same idle age (within the larger of
/// [`IDLE_TOLERANCE_S`] and 2 % of the first's), at least [`MIN_MEMBERS`] of them.
fn idle_cohorts(w: &mut Work) {
    let min = (IDLE_MIN_S * 1000.0) as u32;
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| {
            w.free(i)
                && w.at(i).is_some_and(|e| {
                    e.ended()
                        && !matches!(e.how, How::Refused(_))
                        && e.idle_ms != u32::MAX
                        && e.idle_ms >= min
                })
        })
        .collect();
    sorted_by(w, &mut cand, |i, e| {
        u64::from(w.sid(i)) << 32 | u64::from(e.idle_ms)
    });
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some(first) = cand.get(i).and_then(|&k| w.at(k)).copied() else {
            break;
        };
        let tol = (IDLE_TOLERANCE_S * 1000.0).max(f64::from(first.idle_ms) * 0.02) as u32;
        let mut j = i + 1;
        while cand.get(j).and_then(|&k| w.at(k)).is_some_and(|e| {
            e.server == first.server && e.idle_ms <= first.idle_ms.saturating_add(tol)
        }) {
            w.steps += 1;
            j += 1;
        }
        if j - i >= MIN_MEMBERS {
            let members: Vec<u32> = cand.get(i..j).unwrap_or_default().to_vec();
            make(w, IncidentKind::IdleTimeoutCohort, &members, None);
        }
        i = j;
    }
}

/// Records an incident of `kind` with `members` (indexes of endings, sorted by end or not).
fn make(w: &mut Work, kind: IncidentKind, members: &[u32], down_s: Option<f64>) {
    let id = w.incidents.len() as u32;
    let mut ms: Vec<&Ending> = members
        .iter()
        .filter_map(|&m| w.e.get(m as usize))
        .collect();
    // At least MIN_MEMBERS TCP connections: the streams of one HTTP/2 connection, ended
    // together by its one ending, are one.
    let mut orders: Vec<u64> = ms.iter().map(|e| e.order).collect();
    orders.sort_unstable();
    orders.dedup();
    if orders.len() < MIN_MEMBERS {
        return;
    }
    if w.incidents.len() >= MAX_INCIDENTS {
        w.left_out += 1;
        return;
    }
    ms.sort_unstable_by_key(|e| (e.end, e.pos));
    let (Some(first), Some(last)) = (ms.first().copied(), ms.last().copied()) else {
        return;
    };
    let all = |f: &dyn Fn(&Ending) -> bool| ms.iter().all(|e| f(e));
    let server = all(&|e| e.server == first.server).then(|| first.server.to_string());
    let client =
        all(&|e| e.client_host() == first.client_host()).then(|| first.client.ip().to_string());
    let side = if all(&|e| e.by == Some(Role::Server)) {
        "server"
    } else if all(&|e| e.by == Some(Role::Client)) {
        "client"
    } else {
        "both"
    };
    let fins = ms.iter().filter(|e| e.how == How::Fin).count();
    let rsts = ms.iter().filter(|e| e.how == How::Rst).count();
    let code = all(&|e| e.how == first.how)
        .then(|| code_of(first.how))
        .flatten();
    let ended_by = if fins + rsts == ms.len() {
        match (fins, rsts) {
            (_, 0) => "fin".to_string(),
            (0, _) => "rst".to_string(),
            _ => "fin/rst".to_string(),
        }
    } else if all(&|e| e.how == first.how) {
        match first.how {
            How::Close(Some(c)) => format!("close {c}"),
            How::Close(None) => "close".to_string(),
            How::Refused(s) => format!("refused {s}"),
            _ => "mixed".to_string(),
        }
    } else {
        "mixed".to_string()
    };
    let idle_s = (kind == IncidentKind::IdleTimeoutCohort).then(|| f64::from(first.idle_ms) / 1e3);
    let mut connections: Vec<u64> = ms.iter().map(|e| u64::from(e.pos) + 1).collect();
    connections.sort_unstable();
    connections.truncate(LISTED);
    let mut inc = Incident {
        id,
        kind,
        start: Timestamp(first.end),
        end: Timestamp(last.end),
        window_s: (last.end - first.end) as f64 / NS,
        server,
        client,
        ended_by,
        side: side.to_string(),
        code,
        idle_s,
        down_s,
        members: ms.len() as u64,
        connections,
        first_packet: first.packet,
        reconnects: Reconnects::default(),
        bin_s: 0.0,
        bins: Vec::new(),
        cause: String::new(),
        fix: String::new(),
    };
    w.steps += ms.len() as u64;
    for &m in members {
        if let Some(s) = w.incident.get_mut(m as usize) {
            *s = Some(id);
        }
    }
    let (cause, fix) = words::cause_and_fix(&inc);
    inc.cause = cause;
    inc.fix = fix;
    w.incidents.push(inc);
}

/// Per incident: who came back (through refused attempts), how fast, whether in a herd.
fn come_back(w: &mut Work, accepted: &[Option<u32>]) {
    // Per incident: each member's end and its accepted reconnect's start, nanoseconds.
    let mut times: Vec<Vec<(i64, Option<i64>)>> = vec![Vec::new(); w.incidents.len()];
    let mut delays: Vec<Vec<f64>> = vec![Vec::new(); w.incidents.len()];
    let mut refused = vec![0u64; w.incidents.len()];
    for (i, inc) in w.incident.iter().enumerate() {
        w.steps += 1;
        let Some(k) = inc.and_then(|k| k.checked_sub(1)) else {
            continue;
        };
        let Some(e) = w.e.get(i) else { continue };
        if let Some(j) = w.next.get(i).copied().flatten() {
            if refused_again(w, i as u32, j) {
                if let Some(r) = refused.get_mut(k as usize) {
                    *r += 1;
                }
            }
        }
        let back = accepted
            .get(i)
            .copied()
            .flatten()
            .and_then(|j| w.e.get(j as usize));
        if let Some(a) = back {
            if let Some(d) = delays.get_mut(k as usize) {
                d.push((a.start - e.end) as f64 / NS);
            }
        }
        if let Some(t) = times.get_mut(k as usize) {
            t.push((e.end, back.map(|a| a.start)));
        }
    }
    let all = w.incidents.iter_mut().zip(delays).zip(refused).zip(times);
    for (((inc, mut d), refused), t) in all {
        (inc.bin_s, inc.bins) = bins(inc.start.0, &t);
        d.sort_unstable_by(f64::total_cmp);
        let pct = |p: usize| d.get((d.len().saturating_sub(1)) * p / 100).copied();
        let spread = (d.len() >= 3)
            .then(|| pct(90).zip(pct(10)).map(|(a, b)| a - b))
            .flatten();
        inc.reconnects = Reconnects {
            came_back: d.len() as u64,
            never: inc.members.saturating_sub(d.len() as u64),
            median_s: pct(50),
            slowest_s: d.last().copied(),
            refused,
            spread_s: spread,
            herd: spread.map(|s| s < HERD_SPREAD_S),
        };
        let (cause, fix) = words::cause_and_fix(inc);
        inc.cause = cause;
        inc.fix = fix;
    }
}

/// The picture's bars: from `start`, of the least width of [`WIDTHS`] that spans every end
/// and reconnect in [`MAX_BINS`] bars (the widest, with later ones in the last bar).
fn bins(start: i64, times: &[(i64, Option<i64>)]) -> (f64, Vec<Bin>) {
    const WIDTHS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
    let last = times
        .iter()
        .map(|&(e, b)| b.unwrap_or(e).max(e))
        .max()
        .unwrap_or(start);
    let span = (last - start) as f64 / NS;
    let width = WIDTHS
        .into_iter()
        .find(|w| span / w < MAX_BINS as f64)
        .unwrap_or(60.0);
    let n = ((span / width) as usize + 1).min(MAX_BINS);
    let mut out = vec![Bin::default(); n];
    let at = |t: i64| (((t - start) as f64 / NS / width) as usize).min(n - 1);
    for &(e, b) in times {
        if let Some(bin) = out.get_mut(at(e)) {
            bin.ends += 1;
        }
        if let Some(bin) = b.and_then(|b| out.get_mut(at(b))) {
            bin.reconnects += 1;
        }
    }
    (width, out)
}
