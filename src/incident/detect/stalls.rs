//! Stalled servers: a server whose process stopped answering while its host's TCP went on.
//! Each member's client pinged (RFC 6455 §5.5.2), got no pong (§5.5.3) while the server's
//! TCP acknowledged the ping (no data of the client's left unacknowledged, RFC 9293 §3.10.7:
//! the host and the path were up), and ended the session; and one moment fits them all:
//! after the server's last frame on each, by the first unanswered ping of each. Sessions the
//! server went on answering past that moment (its last frame after it, before the first
//! member's end) say its process was not stopped: then no incident. New connections the
//! server's TCP accepted during the stall, whose client gave up before the upgrade was
//! answered (the process read nothing from its listen queue), are counted and named.
//!
//! In: the working state's free endings and their [`Signs`](crate::incident::Signs). Out:
//! `server-stall` incidents made in it. Work: one sort of the candidates, then per cluster a
//! sort of its members' intervals (the moment most of them fit) and one pass over the
//! server's other sessions (each counted once: a server's clusters are in time order and
//! the pass moves forward).

use super::*;
use crate::incident::{STALL_GAP_S, STALL_SLACK_S};
use crate::vocab::Stall;

/// A stalled server's incidents (see the module's header).
pub(super) fn stalls(w: &mut Work) {
    let n = w.e.len() as u32;
    let candidate = |e: &Ending| {
        e.by == Some(Role::Client)
            && e.unanswered_ping().is_some()
            && !e.signs.unacknowledged
            && matches!(e.how, How::Close(_) | How::Fin | How::Rst)
    };
    // Through a proxy, the back leg is the one that met the stalled process: a front leg
    // whose back leg went unanswered too (the proxy relayed the ping, the backend's TCP
    // acknowledged it) stands in by its back leg, so the server named is the backend.
    let mut back_of: Vec<Option<u32>> = vec![None; n as usize];
    for (b, f) in w.front_of.iter().enumerate() {
        if let Some(slot) = f.and_then(|f| back_of.get_mut(f as usize)) {
            *slot = Some(b as u32);
        }
    }
    let mut cand: Vec<u32> = (0..n)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(candidate))
        .map(|i| match back_of.get(i as usize).copied().flatten() {
            Some(b)
                if w.incident.get(b as usize).is_some_and(Option::is_none)
                    && w.at(b).is_some_and(candidate) =>
            {
                b
            }
            _ => i,
        })
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    let ping = |e: &Ending| e.unanswered_ping().unwrap_or(i64::MAX);
    sorted_by(w, &mut cand, |i, e| (w.sid(i), ping(e)));
    // The other sessions of the servers that have candidates, by server and start: those
    // that contradict a stall, and the upgrades left unanswered during one.
    let mut has = vec![false; w.servers as usize];
    for &i in &cand {
        if let Some(h) = has.get_mut(w.sid(i) as usize) {
            *h = true;
        }
    }
    let mut others: Vec<u32> = (0..n)
        .filter(|&i| has.get(w.sid(i) as usize).copied().unwrap_or(false))
        .collect();
    sorted_by(w, &mut others, |i, e| (w.sid(i), e.start));
    let mut cursor = 0usize;
    let gap = ns(STALL_GAP_S);
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some(first) = cand.get(i).and_then(|&k| w.at(k)).copied() else {
            break;
        };
        let sid = cand.get(i).map_or(u32::MAX, |&k| w.sid(k));
        let mut j = i + 1;
        let mut prev = ping(&first);
        while let Some(e) = cand
            .get(j)
            .filter(|&&k| w.sid(k) == sid)
            .and_then(|&k| w.at(k))
        {
            if ping(e).saturating_sub(prev) > gap {
                break;
            }
            prev = ping(e);
            w.steps += 1;
            j += 1;
        }
        // The next cluster of this server, if any: this one's reading stops where it begins.
        let next = cand
            .get(j)
            .filter(|&&k| w.sid(k) == sid)
            .and_then(|&k| w.at(k))
            .map_or(i64::MAX, ping);
        let run: Vec<u32> = cand.get(i..j).unwrap_or_default().to_vec();
        i = j;
        if run.len() < MIN_MEMBERS {
            continue;
        }
        let Some((at, mut members)) = one_moment(w, &run) else {
            continue;
        };
        members.sort_unstable();
        if members.len() < MIN_MEMBERS {
            continue;
        }
        // The moment's bounds: after the server's last frame on every member, by the first
        // unanswered ping of any (with the slack).
        let silent_after = members
            .iter()
            .filter_map(|&m| w.at(m).map(|e| e.peer_last_frame().unwrap_or(e.start)))
            .max()
            .unwrap_or(at);
        let first_unanswered = members
            .iter()
            .filter_map(|&m| w.at(m).map(ping))
            .min()
            .unwrap_or(at);
        let first_end = members
            .iter()
            .filter_map(|&m| w.at(m).map(|e| e.end))
            .min()
            .unwrap_or(at);
        let last_end = members
            .iter()
            .filter_map(|&m| w.at(m).map(|e| e.end))
            .max()
            .unwrap_or(at);
        // The server's other sessions that started from the members' first start on, each
        // read by one cluster at most (a cursor that only moves forward), to the first
        // upgrade answered after the stall began, or RECONNECT_MAX_S past the last member's
        // end, or the server's next cluster.
        let first_start = members
            .iter()
            .filter_map(|&m| w.at(m).map(|e| e.start))
            .min()
            .unwrap_or(at);
        let from = others.partition_point(|&x| {
            (w.sid(x), w.at(x).map_or(i64::MIN, |e| e.start)) < (sid, first_start)
        });
        let until = last_end.saturating_add(ns(RECONNECT_MAX_S)).min(next);
        let mut answered = 0usize;
        let mut upgrades: Vec<u32> = Vec::new();
        let mut in_time: Option<i64> = None;
        let mut k = from.max(cursor);
        while let Some(&x) = others.get(k).filter(|&&x| w.sid(x) == sid) {
            let Some(e) = w.at(x).copied() else {
                k += 1;
                continue;
            };
            if e.start > until || in_time.is_some_and(|t| e.start > t && e.start > at) {
                break;
            }
            w.steps += 1;
            k += 1;
            if members.binary_search(&x).is_ok() {
                continue;
            }
            // Open at the moment and answered by the server after it, before the first
            // member ended: the process was not stopped.
            let spoke = e
                .server_last_frame()
                .is_some_and(|t| t > at.saturating_add(ns(STALL_SLACK_S)) && t <= first_end);
            if e.start <= at && e.end > at && spoke {
                answered += 1;
            }
            // A leg that relayed the other's ending is still a connection the server left
            // unanswered (through a proxy, the back leg of a client's attempt).
            let unclaimed = w.incident.get(x as usize).is_some_and(Option::is_none);
            // Through a proxy, the backend may answer the back leg once it runs again, after
            // the client gave up on the front leg: unanswered in time all the same.
            if e.start >= silent_after && unclaimed {
                if gave_up(w, x) {
                    upgrades.push(x);
                } else if e.signs.upgraded && in_time.is_none() {
                    in_time = Some(e.start);
                }
            }
        }
        cursor = k;
        if answered * 4 > members.len() {
            // It answered a quarter as many sessions as went unanswered: no stall of its
            // process (the members' own handlers, or their path, may be stuck).
            continue;
        }
        // Upgrades left unanswered, until the first upgrade answered in time after the
        // stall began (the process read its queue again by then).
        upgrades.retain(|&x| w.at(x).is_some_and(|e| in_time.is_none_or(|t| e.start < t)));
        let before = w.incidents.len();
        make(w, IncidentKind::ServerStall, &members, None);
        if w.incidents.len() == before {
            continue;
        }
        let id = before as u32;
        // A back leg's front leg relayed its ending to the client: it belongs to this
        // incident but is no member of it (the back leg stands for the session, as in a
        // backend's stop; `come_back` counts it once), nor of another. So with the front
        // legs of the unanswered upgrades: the client's attempts.
        for &x in members.iter().chain(&upgrades) {
            let front = w.front_of.get(x as usize).copied().flatten();
            for y in std::iter::once(x).chain(front) {
                if let Some(s) = w.incident.get_mut(y as usize) {
                    *s = Some(id);
                }
            }
            if let Some(r) = front.and_then(|f| w.relayed.get_mut(f as usize)) {
                *r = true;
            }
        }
        if let Some(inc) = w.incidents.last_mut() {
            inc.stall = Some(Stall {
                silent_after: Timestamp(silent_after),
                first_unanswered: Timestamp(first_unanswered),
                pings_unanswered: members.len() as u64,
                upgrades_unanswered: upgrades.len() as u64,
            });
        }
    }
}

/// Whether the client of `x` gave up on its upgrade before the server answered it: its own
/// upgrade went unanswered, or, through a proxy, its front leg's did (the backend may
/// answer the back leg once it runs again, after the client left).
pub(super) fn gave_up(w: &Work, x: u32) -> bool {
    let unanswered = |i: u32| w.at(i).is_some_and(|e| e.signs.upgrade_unanswered);
    unanswered(x)
        || w.front_of
            .get(x as usize)
            .copied()
            .flatten()
            .is_some_and(unanswered)
}

/// The moment most of `run`'s members fit: each fits the moments after the server's last
/// frame on it (or its start) up to its first unanswered ping (and [`STALL_SLACK_S`] past
/// it); the earliest moment inside the most such spans, and the members whose span holds
/// it. Work: a sort of the spans' edges.
fn one_moment(w: &mut Work, run: &[u32]) -> Option<(i64, Vec<u32>)> {
    let slack = ns(STALL_SLACK_S);
    // Edges: (time, +1 opening before -1 closing at the same time).
    let mut edges: Vec<(i64, i8)> = Vec::with_capacity(run.len() * 2);
    for &m in run {
        let e = w.at(m)?;
        let from = e.peer_last_frame().unwrap_or(e.start);
        let to = e.unanswered_ping()?.saturating_add(slack);
        if from <= to {
            edges.push((from, -1));
            edges.push((to, 1));
        }
    }
    // Opening edges sort first at a time (-1 < 1), so a span closing where another opens
    // still meets it.
    edges.sort_unstable();
    w.steps += edges.len() as u64;
    let (mut depth, mut best, mut at) = (0i64, 0i64, None);
    for &(t, d) in &edges {
        depth -= i64::from(d);
        if depth > best {
            best = depth;
            at = Some(t);
        }
    }
    let at = at?;
    let members: Vec<u32> = run
        .iter()
        .copied()
        .filter(|&m| {
            w.at(m).is_some_and(|e| {
                e.peer_last_frame().unwrap_or(e.start) <= at
                    && e.unanswered_ping()
                        .is_some_and(|p| at <= p.saturating_add(slack))
            })
        })
        .collect();
    w.steps += run.len() as u64;
    Some((at, members))
}
