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

use super::{
    Ending, How, Link, Links, Outcome, BURST_S, CLIENT_BURST_S, GAP_S, IDLE_MIN_S,
    IDLE_TOLERANCE_S, LISTED, MASS_GAP_S, MAX_BINS, MAX_INCIDENTS, MIN_MEMBERS, RECONNECT_MAX_S,
    REJECTION_SHARE, RETRY_GAP_S, SHED_GAP_S,
};
use crate::vocab::{
    Bin, EndedBy, Enders, Endpoint, Incident, IncidentFacts, IncidentKind, Reconnect, Reconnects,
    Role, Timestamp,
};
use std::collections::VecDeque;

mod back;
mod backend;
mod codes;
mod cohorts;
mod consequences;
mod crashloops;
mod dark;
mod doubts;
mod middlebox;
mod partition;
mod reconnects;
mod slow;
mod stalls;
mod stated;
mod stops;

use back::{came_back_elsewhere, come_back};
use codes::{code_of, codes};
use cohorts::idle_cohorts;
use consequences::refusals_after_decisions;
use crashloops::crash_loops;
use dark::{dark_hosts, dark_servers};
use middlebox::middlebox;
use partition::partitions;
use reconnects::{reconnects, refused_again, resolve_chains};
use slow::slow_consumers;
use stalls::stalls;
use stated::stated;
use stops::{stops, Side};

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
    /// The later view of a session seen at two points ([`super::twins`]): counted once, by
    /// the other view, in the sessions open at a moment too.
    echo: Vec<bool>,
    /// Per back leg: its front leg's index.
    front_of: Vec<Option<u32>>,
    incident: Vec<Option<u32>>,
    /// Per ending: its client host had several sessions of its server and route open at
    /// once, so that its link is to a new session of the same host, not surely its own.
    multi: Vec<bool>,
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
    /// Per ending: its path's outage (from, healed), nanoseconds, if it had one.
    outage: Vec<Option<(i64, i64)>>,
    /// What the endings said (`Ending::said` names its values).
    saids: super::said::Saids,
    /// The starts and the ends of the sessions servers accepted (their upgrade answered),
    /// each by server and time, sorted: made the first time a group's facts ask
    /// ([`served_others`]).
    accepted: std::cell::OnceCell<(Vec<u128>, Vec<u128>)>,
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

    fn is_echo(&self, i: u32) -> bool {
        self.echo.get(i as usize).copied().unwrap_or(false)
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
        How::Silent => 6 << 16,
        // Below 2^32, as every way's (keys put a party above it).
        How::StreamReset(c) => 7 << 16 | u64::from(c),
        How::GoAway(c) => 8 << 16 | u64::from(c),
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
/// says what happened), except when the proxy ended both (the front's server, the back's
/// client): then the back leg; a back leg's client is the proxy.
pub fn detect(endings: Vec<Ending>, legs: &[(u32, u32)]) -> Outcome {
    detect_with(endings, legs, &[])
}

/// [`detect`], with the outages of the connections whose path was cut and healed (each
/// found again by its ending's order and stream; one whose ending is not there is left).
pub fn detect_with(
    endings: Vec<Ending>,
    legs: &[(u32, u32)],
    outages: &[super::Outage],
) -> Outcome {
    detect_said(endings, Default::default(), legs, outages)
}

/// [`detect_with`], with what the endings said (`saids`, whose values their `said` names):
/// endings group by what their side said too (a close reason, the peer's message their
/// closes answered), and an incident's facts carry it (`IncidentFacts::said`).
pub fn detect_said(
    mut endings: Vec<Ending>,
    saids: super::said::Saids,
    legs: &[(u32, u32)],
    outages: &[super::Outage],
) -> Outcome {
    let n = endings.len();
    if n < 2 {
        // One session (or none) is never an incident nor a reconnect: nothing to do.
        return Outcome::default();
    }
    let mut relayed = vec![false; n];
    let mut back = vec![false; n];
    let mut front_of: Vec<Option<u32>> = vec![None; n];
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
            if let Some(x) = front_of.get_mut(bi) {
                *x = Some(fi as u32);
            }
            let end = |i: usize| endings.get(i).map_or(i64::MAX, |e| e.end);
            let by = |i: usize| endings.get(i).and_then(|e| e.by);
            // The proxy ended both legs (the front's server, the back's client): the front
            // says what its client saw, whichever leg's end was captured first.
            let proxy_ended_both = by(fi) == Some(Role::Server) && by(bi) == Some(Role::Client);
            let later = if proxy_ended_both || end(bi) >= end(fi) {
                bi
            } else {
                fi
            };
            if let Some(x) = relayed.get_mut(later) {
                *x = true;
            }
        }
    }
    let mut outage: Vec<Option<(i64, i64)>> = Vec::new();
    if !outages.is_empty() {
        let at: rustc_hash::FxHashMap<(u64, u32), (i64, i64)> = outages
            .iter()
            .map(|o| ((o.order, o.stream), (o.from, o.healed)))
            .collect();
        outage = endings
            .iter()
            .map(|e| at.get(&(e.order, e.stream)).copied())
            .collect();
    }
    // The same session seen at two points (a NAT's two sides): counted once, by the view
    // that ended first; the other relays what it saw.
    let mut twin_steps = 0;
    let mut twin_links = Vec::new();
    let mut made_between: Vec<u32> = Vec::new();
    let mut echo = vec![false; n];
    for (a, b) in super::twins::pairs(&endings, &mut twin_steps) {
        let (Some(x), Some(y)) = (endings.get(a as usize), endings.get(b as usize)) else {
            continue;
        };
        let Some((tx, ty)) = super::twins::twins(x, y) else {
            continue;
        };
        let later = if (y.end, y.pos) >= (x.end, x.pos) {
            b
        } else {
            a
        };
        if let Some(r) = relayed.get_mut(later as usize) {
            *r = true;
        }
        if let Some(r) = echo.get_mut(later as usize) {
            *r = true;
        }
        // A reset one point saw that the other never saw sent was made between them: a
        // reset not from the side it names, as its TTL would show.
        for (i, t) in [(a, &tx), (b, &ty)] {
            if t.reset_made_between.is_some() {
                made_between.push(i);
            }
        }
        twin_links.push((x.pos, tx));
        twin_links.push((y.pos, ty));
    }
    for i in made_between {
        if let Some(e) = endings.get_mut(i as usize) {
            (e.forged, e.between) = (true, true);
        }
    }
    let (sid, servers) = numbered(&endings, |e| e.server);
    let (hid, hosts) = numbered(&endings, Ending::client_host);
    let mut w = Work {
        relayed,
        back,
        echo,
        front_of,
        sid,
        hid,
        servers,
        hosts,
        outage,
        saids,
        accepted: Default::default(),
        e: endings,
        incident: vec![None; n],
        multi: vec![false; n],
        next: vec![None; n],
        prev: vec![None; n],
        incidents: Vec::new(),
        steps: twin_steps,
        left_out: 0,
    };
    reconnects(&mut w);
    let mut doubts = Vec::new();
    if n >= MIN_MEMBERS {
        // A path cut and healed first: its sessions' sides gave up during the silence at
        // their own timeouts, and their endings (queued behind the data that waited) reach
        // the wire together at the heal, which is neither a cohort, a stall nor a stop.
        partitions(&mut w);
        // Then sessions seen at two points whose packets left one and never reached the
        // other at one moment: the path between the points, whatever their ends look like
        // (their hosts' resets at the heal are a drop's or a stop's shape).
        partition::lost_between(&mut w);
        // Then one client host's sessions dark together (the server's data unacknowledged,
        // nothing from the host) and ended by TCP at its return: its drop, or a cut that
        // healed (a server host's likewise, reset as its clients next sent: its restart);
        // their ends come together (a stop's shape) after one long quiet (a cohort's).
        dark_hosts(&mut w);
        dark_servers(&mut w);
        // Resets the side they name never sent first: their burst is a stop's shape.
        middlebox(&mut w);
        // Sessions cut while their clients read nothing: their zero windows say why, before
        // any code they share or idle age they reach.
        slow_consumers(&mut w);
        codes(&mut w);
        // A stalled server before the cohorts: its clients' heartbeats cut their sessions
        // at one idle age, which is no timeout of an idle session.
        stalls(&mut w);
        // Cohorts whose ends spread first: sessions opened at different times, cut one by
        // one at one idle age, are no stop of their server. Endings that cluster in time are
        // no idle cohort, whatever their idle ages: a stop, or nothing.
        idle_cohorts(&mut w);
        // Grouped by what was said too: one code with two reasons is two groups.
        stops(&mut w, Side::Server, true);
        stops(&mut w, Side::Client, true);
        // Sessions one side ended together with one code and the same words, which no kind
        // took: that side's stated decision (issue 102 item 3).
        stated(&mut w);
        // What is left of a server's ends by their way alone: a stop whose reasons differ
        // for each session.
        stops(&mut w, Side::Server, false);
        crash_loops(&mut w);
        // What clusters and no kind took: said as such, never forced into one.
        doubts = doubts::doubts(&mut w);
        // The upgrades a server refused, after its stated decision, of the clients whose
        // sessions it ended are that decision's refusals, not an incident of their own.
        refusals_after_decisions(&mut w);
        // Each incident's facts that what came around it shows.
        settle(&mut w);
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
            reconnects::others_after(&mut w, &accepted);
            came_back_elsewhere(&mut w);
        }
    }
    let mut links = Links::default();
    for i in 0..n as u32 {
        let Some(e) = w.at(i) else { continue };
        let pos = e.pos;
        let incident = w.incident.get(i as usize).copied().flatten();
        let reconnect = w.next_of(i).and_then(|j| {
            let nx = w.at(j)?;
            let end = partition::gave_up(&w, i).unwrap_or(e.end);
            Some(Reconnect {
                connection: u64::from(nx.pos) + 1,
                after_s: (nx.start - end) as f64 / NS,
                refused: matches!(nx.how, How::Refused(_)),
                same_host: w.multi.get(i as usize).copied().unwrap_or(false),
            })
        });
        let prev = w.prev.get(i as usize).copied().flatten();
        let replaces = prev.and_then(|j| w.at(j)).map(|p| u64::from(p.pos) + 1);
        let replaces_same_host =
            prev.is_some_and(|j| w.multi.get(j as usize).copied().unwrap_or(false));
        if incident.is_some() || reconnect.is_some() || replaces.is_some() {
            *links.entry(pos) = Link {
                incident,
                reconnect,
                replaces,
                replaces_same_host,
                after: None,
                twin: None,
            };
        }
    }
    for (pos, t) in twin_links {
        links.entry(pos).twin = Some(t);
    }
    Outcome {
        incidents: w.incidents,
        doubts,
        links,
        work: w.steps,
        left_out: w.left_out,
        coarse: Vec::new(),
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
    let server_ep = all(&|e| e.server == first.server).then_some(first.server);
    let server = server_ep.map(|s| s.to_string());
    let client_ip = all(&|e| e.client_host() == first.client_host()).then(|| first.client.ip());
    let client = client_ip.map(|ip| ip.to_string());
    let side = if all(&|e| e.by == Some(Role::Server)) {
        Enders::Server
    } else if all(&|e| e.by == Some(Role::Client)) {
        Enders::Client
    } else {
        Enders::Both
    };
    let fins = ms.iter().filter(|e| e.how == How::Fin).count();
    let rsts = ms.iter().filter(|e| e.how == How::Rst).count();
    let code = all(&|e| e.how == first.how)
        .then(|| code_of(first.how))
        .flatten();
    let ended_by = if fins + rsts == ms.len() {
        match (fins, rsts) {
            (_, 0) => EndedBy::Fin,
            (0, _) => EndedBy::Rst,
            _ => EndedBy::FinRst,
        }
    } else if all(&|e| e.how == first.how) {
        match first.how {
            How::Close(c) => EndedBy::Close(c),
            How::Refused(s) => EndedBy::Refused(s),
            How::Silent => EndedBy::Silence,
            How::StreamReset(c) => EndedBy::Stream {
                goaway: false,
                code: u32::from(c),
            },
            How::GoAway(c) => EndedBy::Stream {
                goaway: true,
                code: u32::from(c),
            },
            _ => EndedBy::Mixed,
        }
    } else {
        EndedBy::Mixed
    };
    let idle_s = (kind == IncidentKind::IdleTimeoutCohort)
        .then(|| f64::from(first.idle_age_ms().unwrap_or(first.idle_ms)) / 1e3);
    let mut connections: Vec<u64> = ms.iter().map(|e| u64::from(e.pos) + 1).collect();
    connections.sort_unstable();
    connections.truncate(LISTED);
    let inc = Incident {
        id,
        kind,
        start: Timestamp(first.end),
        end: Timestamp(last.end),
        window_s: (last.end - first.end) as f64 / NS,
        server,
        client,
        ended_by,
        side,
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
        idle_range_ms: ms
            .iter()
            .filter_map(|e| e.idle_age_ms())
            .fold(None, |r: Option<(u32, u32)>, i| {
                Some(r.map_or((i, i), |(lo, hi)| (lo.min(i), hi.max(i))))
            }),
        server_ep,
        client_ip,
        back_at: None,
        stall: None,
        stops: Vec::new(),
        partition: None,
        slow: None,
        facts: facts(w, members, &ms, down_s),
    };
    w.steps += ms.len() as u64;
    for &m in members {
        if let Some(s) = w.incident.get_mut(m as usize) {
            *s = Some(id);
        }
    }
    w.incidents.push(inc);
}

/// Completes each incident's facts with what its kind read around it (a stall, an outage,
/// zero windows, stops), and, for the kinds that do not read it themselves (a stop's
/// figures are its own, `stops.rs`), the next session its server accepted after its last
/// end: one step per incident, and one per session of the servers of those incidents
/// (their starts sorted once, a binary search per incident).
fn settle(w: &mut Work) {
    let read_by_stops = |k: IncidentKind| {
        matches!(
            k,
            IncidentKind::ServerRestart
                | IncidentKind::ServerStop
                | IncidentKind::ProxyReload
                | IncidentKind::BackendStop
                | IncidentKind::ClientDrop
        )
    };
    let sids: rustc_hash::FxHashMap<Endpoint, u64> = w
        .incidents
        .iter()
        .filter(|i| !read_by_stops(i.kind))
        .filter_map(|i| i.server_ep)
        .map(|s| (s, 0))
        .collect();
    let mut starts: Vec<u128> = Vec::new();
    if !sids.is_empty() {
        for i in 0..w.e.len() as u32 {
            let Some(e) = w.at(i) else { continue };
            // Refused upgrades are attempts, not sessions the server accepted.
            if sids.contains_key(&e.server) && !w.is_echo(i) && !matches!(e.how, How::Refused(_)) {
                starts.push(at_time(u64::from(w.sid(i)), e.start));
            }
        }
        w.steps += starts.len() as u64;
        starts.sort_unstable();
    }
    let sid_of: rustc_hash::FxHashMap<Endpoint, u64> = if sids.is_empty() {
        Default::default()
    } else {
        w.e.iter()
            .enumerate()
            .filter(|(_, e)| sids.contains_key(&e.server))
            .map(|(i, e)| (e.server, u64::from(w.sid(i as u32))))
            .collect()
    };
    for inc in &mut w.incidents {
        let f = &mut inc.facts;
        f.stalled = inc.stall.is_some();
        // Both sides' retransmissions (not a dark host's, which shows the server's only).
        f.outage = inc.partition.is_some() && f.dark == 0;
        f.zero_windows = inc.slow.is_some();
        f.stops = (inc.stops.len() as u64).max(1);
        if read_by_stops(inc.kind) {
            continue;
        }
        let Some(p) = inc.server_ep.and_then(|s| sid_of.get(&s)).copied() else {
            continue;
        };
        let k = starts.partition_point(|&x| x <= at_time(p, inc.end.0));
        f.accepted_after_s = starts
            .get(k)
            .filter(|&&x| (x >> 64) as u64 == p)
            .map(|&x| ((x as u64 ^ (1 << 63)) as i64 - inc.end.0) as f64 / NS);
    }
}

/// The facts of the group of `ms` (the endings of `members`) that its members alone show:
/// who ended them and how, what they said, how long they lived, whether through a proxy or
/// by resets their sender never sent, their idle ages; `accepted_after` the seconds to the
/// next session the server accepted. What came around them (attempts refused, a stall, an
/// outage, zero windows, stops) is added by the kinds that read it and by the report
/// (`IncidentFacts`).
fn facts(w: &Work, members: &[u32], ms: &[&Ending], accepted_after: Option<f64>) -> IncidentFacts {
    let count = |f: &dyn Fn(&Ending) -> bool| ms.iter().filter(|e| f(e)).count() as u64;
    // The incident's start.
    let first_end = ms.iter().map(|e| e.end).min();
    let mut hosts: Vec<Endpoint> = ms.iter().map(|e| e.client_host()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let first = ms.first().map(|e| e.how);
    let one_code = first.is_some_and(|h| {
        matches!(
            h,
            How::Close(_) | How::Refused(_) | How::StreamReset(_) | How::GoAway(_)
        ) && ms.iter().all(|e| e.how == h)
    });
    let code = first.and_then(codes::code_of);
    let idle = ms
        .iter()
        .filter_map(|e| e.idle_age_ms())
        .fold(None, |r: Option<(u32, u32)>, i| {
            Some(r.map_or((i, i), |(lo, hi)| (lo.min(i), hi.max(i))))
        });
    let same_idle_age = idle.is_some_and(|(lo, hi)| {
        let tolerance = (IDLE_TOLERANCE_S * 1e3).max(0.02 * f64::from(lo));
        f64::from(lo) >= IDLE_MIN_S * 1e3 * 0.98 && f64::from(hi - lo) <= tolerance
    }) && count(&|e| e.idle_age_ms().is_none()) == 0;
    IncidentFacts {
        by_server: count(&|e| e.by == Some(Role::Server)),
        by_client: count(&|e| e.by != Some(Role::Server)),
        hosts: hosts.len() as u64,
        close_frames: count(&|e| matches!(e.how, How::Close(_))),
        h2_ends: count(&|e| matches!(e.how, How::StreamReset(_) | How::GoAway(_))),
        by_tcp: count(&|e| matches!(e.how, How::Fin | How::Rst | How::Silent)),
        refused_upgrades: count(&|e| matches!(e.how, How::Refused(_))),
        one_code,
        shedding: one_code && matches!(code, Some(1013 | 1014 | 503 | 429)),
        overload_code: one_code
            && matches!(first, Some(How::Close(Some(1013)) | How::Refused(429))),
        served_others: served_others(w, members),
        closes_after_peer_end: count(&|e| e.closed_after_peer != 0),
        going_away: one_code
            && matches!(first, Some(How::Close(Some(1001 | 1012)) | How::GoAway(_))),
        restart_stated: one_code && first == Some(How::Close(Some(1012))),
        lived_max_s: ms
            .iter()
            .map(|e| (e.end - e.start).max(0) as f64 / NS)
            .fold(0.0, f64::max),
        proxied: members
            .iter()
            .filter(|&&m| w.at(m).is_some_and(|e| e.proxied) && !w.is_back(m))
            .count() as u64,
        back_legs: members.iter().filter(|&&m| w.is_back(m)).count() as u64,
        forged_resets: count(&|e| e.forged),
        lost_between_points: count(&|e| e.lost_from != 0),
        lost_between_from_s: ms
            .iter()
            .filter_map(|e| e.lost())
            .map(|l| l.0)
            .min()
            .zip(first_end)
            .map(|(t, end)| (end - t) as f64 / NS),
        lost_between_to_s: ms
            .iter()
            .filter_map(|e| e.lost())
            .map(|l| l.1)
            .max()
            .zip(first_end)
            .map(|(t, end)| (end - t) as f64 / NS),
        lost_between_sent_by: {
            let mut by = ms.iter().filter_map(|e| e.lost_by);
            let first = by.next();
            first.filter(|&f| by.all(|b| b == f))
        },
        same_idle_age,
        accepted_after_s: accepted_after,
        said: stated::said(w, ms),
        reset_after_dark: count(&|e| e.reset_after_dark()),
        ..IncidentFacts::default()
    }
}

/// The starts and ends of the sessions servers accepted (upgraded, counted once), each
/// keyed by its server ([`at_time`]), sorted once.
fn accepted_times(w: &Work) -> &(Vec<u128>, Vec<u128>) {
    w.accepted.get_or_init(|| {
        let (mut s, mut f) = (Vec::new(), Vec::new());
        for i in 0..w.e.len() as u32 {
            if let Some(e) = w
                .at(i)
                .filter(|e| e.signs.upgraded && !matches!(e.how, How::Refused(_)) && !w.is_echo(i))
            {
                s.push(at_time(u64::from(w.sid(i)), e.start));
                f.push(at_time(u64::from(w.sid(i)), e.end));
            }
        }
        s.sort_unstable();
        f.sort_unstable();
        (s, f)
    })
}

/// The one server party of `members` and the first and last of their ends; none where they
/// are of several servers or have no end.
fn one_servers_span(w: &Work, members: &[u32]) -> Option<(u64, i64, i64)> {
    let p = u64::from(w.sid(*members.first()?));
    if members.iter().any(|&m| u64::from(w.sid(m)) != p) {
        return None;
    }
    let ends = members.iter().filter_map(|&m| w.at(m).map(|e| e.end));
    Some((p, ends.clone().min()?, ends.max()?))
}

/// Sessions of the server of `members` (one server) that it had accepted, open from before
/// the first member's end to after the last: at least those open at the first end less
/// every session of the server (members included) that ended by the last (a sweep's
/// evidence: the sessions with traffic lived on). Four binary searches in the accepted
/// sessions' starts and ends, sorted once.
fn lived_through(w: &Work, members: &[u32]) -> u64 {
    let Some((p, t0, t1)) = one_servers_span(w, members) else {
        return 0;
    };
    let (starts, finished) = accepted_times(w);
    let before = |v: &[u128], t: i64| v.partition_point(|&x| x < at_time(p, t));
    let open = (before(starts, t0) - before(starts, i64::MIN))
        .saturating_sub(before(finished, t0) - before(finished, i64::MIN));
    let ended = finished.partition_point(|&x| x <= at_time(p, t1)) - before(finished, t0);
    open.saturating_sub(ended) as u64
}

/// Sessions of the server of `members` (one server) that it had accepted, not among them,
/// open at some moment from the first member's end to the last: it went on serving them
/// (overload's evidence, `Fact::ServedOthers`). Two binary searches in the accepted
/// sessions' starts and ends, sorted once.
fn served_others(w: &Work, members: &[u32]) -> u64 {
    let accepted = |w: &Work, i: u32| {
        w.at(i)
            .is_some_and(|e| e.signs.upgraded && !matches!(e.how, How::Refused(_)) && !w.is_echo(i))
    };
    let Some((p, t0, t1)) = one_servers_span(w, members) else {
        return 0;
    };
    let (starts, finished) = accepted_times(w);
    // Open in [t0, t1]: started by t1, not ended before t0 (those started before t0 too).
    let started = starts.partition_point(|&x| x <= at_time(p, t1))
        - starts.partition_point(|&x| x < at_time(p, i64::MIN));
    let gone = finished.partition_point(|&x| x < at_time(p, t0))
        - finished.partition_point(|&x| x < at_time(p, i64::MIN));
    let mine = members.iter().filter(|&&m| accepted(w, m)).count();
    (started.saturating_sub(gone) as u64).saturating_sub(mine as u64)
}
