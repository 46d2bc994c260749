//! Reconnects: each session linked to the one it replaces (a FIFO per client host, server
//! and route), and the chains of refused attempts resolved to the session finally accepted.
//!
//! In: the working state's endings. Out: its `next`/`prev` links.

use super::*;

/// Waiting sessions of a host looked at, at most, for one whose query matches a new
/// session's (bounded work per session).
const IDENT_SCAN: usize = 64;

/// Links each session to the one it replaces: the oldest ended, not yet replaced session of
/// the same client host, server and route that ended at most [`RECONNECT_MAX_S`] before it
/// started (and not after), and not by its client's own normal close ([`left`]); where
/// the host had several such sessions open at once, the link is marked as the same host's
/// (`multi`), not surely the same client's, unless the new session's query (a token, a
/// client id, its cookies, its offered subprotocols: [`Ending::ident`]) matches a waiting
/// one's and no two sessions of the host held that name at once: then that one, surely.
pub(super) fn reconnects(w: &mut Work) {
    // Only the sessions whose (client host, server, route) has two or more can be linked:
    // counted in one pass, so a capture of distinct clients sorts nothing.
    type Route = (u32, u32, u32);
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
            let end = super::partition::gave_up(w, i as u32).unwrap_or(e.end);
            events.push((end.max(e.start), 0, i as u32));
        }
    }
    drop(count);
    events.sort_unstable();
    // A host with two sessions of one server and route open at once runs several clients
    // (a NAT, a proxy, a machine running many): which of them a new session is, the
    // capture does not say. Counted in one pass over the events (ends first at equal times).
    let mut open: rustc_hash::FxHashMap<Route, (u32, bool)> = Default::default();
    // The same for each name a client gives itself (`ident`): a name two sessions of the
    // host held at once (a subprotocol every client offers, a cookie they share) names no
    // one client, and makes no link sure.
    let mut named: rustc_hash::FxHashMap<(Route, u32), (u32, bool)> = Default::default();
    for &(_, what, i) in &events {
        w.steps += 1;
        let Some(k) = key(w, i) else { continue };
        let ident = w.at(i).map_or(0, |e| e.ident);
        for o in [
            Some(open.entry(k).or_default()),
            (ident != 0).then(|| named.entry((k, ident)).or_default()),
        ]
        .into_iter()
        .flatten()
        {
            if what == 1 {
                o.0 += 1;
                o.1 |= o.0 >= 2;
            } else {
                o.0 = o.0.saturating_sub(1);
            }
        }
    }
    let shared = |k: Route, ident: u32| named.get(&(k, ident)).is_none_or(|o| o.1);
    for &(_, what, i) in &events {
        if what == 1 {
            let several = key(w, i).and_then(|k| open.get(&k)).is_some_and(|o| o.1);
            if let Some(m) = w.multi.get_mut(i as usize) {
                *m = several;
            }
        }
    }
    drop(open);
    let mut waiting: rustc_hash::FxHashMap<Route, VecDeque<u32>> = Default::default();
    let max = ns(RECONNECT_MAX_S);
    for (t, what, i) in events {
        w.steps += 1;
        let Some(k) = key(w, i) else { continue };
        if what == 0 {
            // A client that closed its session normally chose to leave: its host's next
            // session is a new visit (another process, another user), not a reconnect.
            if !w.at(i).is_some_and(left) || super::partition::gave_up(w, i).is_some() {
                waiting.entry(k).or_default().push_back(i);
            }
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
        // Several clients of the host: the candidate whose name (its query's token or
        // client id, its cookies, its offered subprotocols) is this one's, and no other
        // session's of the host at the same time, is surely this one's, among the first few
        // waiting.
        let ident = w.at(i).map_or(0, |e| e.ident);
        let several = w.multi.get(i as usize).copied().unwrap_or(false);
        let matched = (several && ident != 0 && !shared(k, ident))
            .then(|| {
                q.iter()
                    .take(IDENT_SCAN)
                    .position(|&o| w.at(o).is_some_and(|e| e.ident == ident))
            })
            .flatten();
        if several && ident != 0 {
            w.steps += IDENT_SCAN.min(q.len()) as u64;
        }
        let took = match matched {
            Some(k) => {
                let o = q.remove(k);
                // Its link is sure: not only a session of the same host.
                if let Some(m) = o.and_then(|o| w.multi.get_mut(o as usize)) {
                    *m = false;
                }
                o
            }
            None => q.pop_front(),
        };
        if let Some(old) = took {
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

/// Whether the client ended the session with a normal close (RFC 6455 §7.4.1: 1000, 1001
/// going away, or no code): nothing in the capture asks it to come back.
fn left(e: &Ending) -> bool {
    e.by == Some(Role::Client) && matches!(e.how, How::Close(None | Some(1000 | 1001)))
}

/// Whether the session `j` that replaced `i` was refused: its upgrade was, or it is a
/// member of `i`'s own incident (a rejection loop's next refusal, a session the same stop
/// ended again), but for a crash loop's (the server had accepted it). Asked once the
/// incidents are numbered (sorted by id).
pub(super) fn refused_again(w: &Work, i: u32, j: u32) -> bool {
    let inc = |k: u32| w.incident.get(k as usize).copied().flatten();
    // A crash loop's member whose new session the next stop ended had come back (the
    // server accepted it); ids are 1-based once numbered.
    let looped = |a: u32| {
        w.incidents
            .binary_search_by_key(&a, |x| x.id)
            .ok()
            .and_then(|k| w.incidents.get(k))
            .is_some_and(|x| x.kind == IncidentKind::CrashLoop)
    };
    w.at(j).is_some_and(|e| matches!(e.how, How::Refused(_)))
        || inc(i).is_some_and(|a| inc(j) == Some(a) && !looped(a))
}

/// Per ending: the first accepted session down its chain of reconnects (through refused
/// ones, [`refused_again`]), if any. Resolved from the latest start back, so each link is
/// followed once.
pub(super) fn resolve_chains(w: &Work) -> Vec<Option<u32>> {
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

/// Incidents a (server, client host, route) key names at most in [`others_after`] (a crash
/// loop's many incidents of one key: the first few).
const OTHERS_KEYS: usize = 8;

/// For each incident some of whose members came back only as new sessions of a host with
/// several clients (`Reconnects::same_host`): the sessions of the members' (server, client
/// host, route) that began after its last end, within [`RECONNECT_MAX_S`] of it, and
/// replaced no session (first visits, `Reconnects::others_after`): other clients of those
/// hosts arriving while the members came back, so that the capture shows the links by host
/// alone may be theirs. (First visits while the members were still ending, as a burst of
/// clients shed one by one, are that burst's own.) One pass over
/// the members, one over the endings (a map lookup each, at most [`OTHERS_KEYS`] incidents
/// per key).
pub(super) fn others_after(w: &mut Work, accepted: &[Option<u32>]) {
    let n = w.e.len();
    let unsure: Vec<bool> = w
        .incidents
        .iter()
        .map(|i| i.reconnects.same_host > 0)
        .collect();
    if !unsure.contains(&true) {
        return;
    }
    // Per ending: the incident (index) one of whose members it took the place of.
    let mut took: Vec<Option<u32>> = vec![None; n];
    let mut keys: rustc_hash::FxHashMap<(u32, u32, u32), Vec<u32>> = Default::default();
    for i in 0..n {
        w.steps += 1;
        let Some(k) = w
            .incident
            .get(i)
            .copied()
            .flatten()
            .and_then(|k| k.checked_sub(1))
        else {
            continue;
        };
        if !unsure.get(k as usize).copied().unwrap_or(false) {
            continue;
        }
        if let Some(t) = accepted
            .get(i)
            .copied()
            .flatten()
            .and_then(|j| took.get_mut(j as usize))
        {
            *t = Some(k);
        }
        let Some(e) = w.at(i as u32) else { continue };
        let ks = keys
            .entry((w.sid(i as u32), w.hid(i as u32), e.route))
            .or_default();
        if ks.len() < OTHERS_KEYS && !ks.contains(&k) {
            ks.push(k);
        }
    }
    let windows: Vec<(i64, i64)> = w
        .incidents
        .iter()
        .map(|i| (i.end.0, i.end.0.saturating_add(ns(RECONNECT_MAX_S))))
        .collect();
    let mut others = vec![0u64; w.incidents.len()];
    for j in 0..n {
        w.steps += 1;
        let Some(&e) = w.at(j as u32) else { continue };
        // A first visit: no session's reconnect (a member's new session ended and replaced
        // again is that client's, not another's).
        let first_visit = w.prev.get(j).is_some_and(Option::is_none);
        if !first_visit || w.is_echo(j as u32) || matches!(e.how, How::Refused(_)) {
            continue;
        }
        let Some(ks) = keys.get(&(w.sid(j as u32), w.hid(j as u32), e.route)) else {
            continue;
        };
        let member_of = w
            .incident
            .get(j)
            .copied()
            .flatten()
            .and_then(|k| k.checked_sub(1));
        let taken = took.get(j).copied().flatten();
        w.steps += ks.len() as u64;
        for &k in ks {
            let Some(&(from, to)) = windows.get(k as usize) else {
                continue;
            };
            if member_of != Some(k) && taken != Some(k) && e.start > from && e.start <= to {
                if let Some(o) = others.get_mut(k as usize) {
                    *o += 1;
                }
            }
        }
    }
    for (inc, o) in w.incidents.iter_mut().zip(others) {
        inc.reconnects.others_after = o;
    }
}
