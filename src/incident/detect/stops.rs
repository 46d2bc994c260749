//! Stops: a server (or a client host) ending its sessions the same way within moments,
//! named a server stop or restart, a proxy reload, or a client host's drop.
//!
//! In: the working state's free endings. Out: incidents made in it.

use super::*;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Side {
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
/// open at that moment join while each is within [`GAP_S`] of the one before. A server's
/// stop that outlasts the burst is read over the whole run of its ends (each within
/// [`GAP_S`] of the one before) when the sessions open at its start had mostly lived twice
/// as long as the run. A stop is a change: the party's ends of that way in as long before
/// (at least [`GAP_S`]) are fewer than a quarter of the window's. With `by_said`, the way
/// includes what was said (`Ending::said`): one server's closes with one code and two
/// reasons are two groups; without, what a first pass by what was said left (a server whose
/// reasons name each session, "shutting down session 812", still stopped once).
pub(super) fn stops(w: &mut Work, side: Side, by_said: bool) {
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
                Side::Server => {
                    matches!(
                        e.how,
                        How::Fin | How::Rst | How::Close(_) | How::StreamReset(_) | How::GoAway(_)
                    )
                }
                // A client host's drop: abrupt ends of TCP connections only (a client
                // closing its sessions with close frames said why; an HTTP/2 stream reset
                // is the application's, not the host's).
                // A host whose link went down sends nothing more: its sessions fall silent
                // (the server's data unacknowledged to the end).
                Side::Client => matches!(e.how, How::Fin | How::Rst | How::Silent) && e.stream == 0,
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
    let said_of = |e: &Ending| if by_said { e.said } else { 0 };
    let key = |w: &Work, i: u32, e: &Ending| {
        (
            (party(w, i) << 32 | how_code(coarse(e.how)), said_of(e)),
            e.end,
        )
    };
    sorted_by(w, &mut cand, |i, e| key(w, i, e));
    // Each candidate's key, to count the same party's ends of the same way before a moment.
    let keys: Vec<((u64, u32), i64)> = cand
        .iter()
        .map(|&i| {
            w.at(i)
                .map_or(((u64::MAX, u32::MAX), i64::MAX), |e| key(w, i, e))
        })
        .collect();
    // The sessions counted (the parties', an echo of a session seen at two points once):
    // counted by party first, then each put in its party's place in lists of their exact
    // size, and only each party's sorted (in one pass where its sessions came in order).
    let counted = |w: &Work, i: u32| mine(w, i) && !w.is_echo(i) && w.at(i).is_some();
    let mut at: Vec<u32> = vec![0; parties_n + 1];
    for i in 0..n {
        if counted(w, i) {
            if let Some(c) = at.get_mut(party(w, i) as usize + 1) {
                *c += 1;
            }
        }
    }
    for k in 1..at.len() {
        let before = at.get(k - 1).copied().unwrap_or(0);
        if let Some(c) = at.get_mut(k) {
            *c += before;
        }
    }
    let m = at.last().copied().unwrap_or(0) as usize;
    let mut starts: Vec<u128> = vec![0; m];
    let mut ends: Vec<u128> = vec![0; m];
    let mut next = at.clone();
    for i in 0..n {
        if let Some(e) = w.at(i).filter(|_| counted(w, i)) {
            let p = party(w, i);
            if let Some(k) = next.get_mut(p as usize) {
                if let (Some(s), Some(x)) = (starts.get_mut(*k as usize), ends.get_mut(*k as usize))
                {
                    *s = at_time(p, e.start);
                    *x = at_time(p, e.end);
                }
                *k += 1;
            }
        }
    }
    drop(next);
    for r in at.windows(2) {
        if let [a, b] = *r {
            let r = a as usize..b as usize;
            if let Some(v) = starts.get_mut(r.clone()) {
                v.sort_unstable();
            }
            if let Some(v) = ends.get_mut(r) {
                v.sort_unstable();
            }
        }
    }
    drop(at);
    // The starts of the sessions the party accepted: an upgrade refused (a 503 page, a
    // 401), or one never answered that TCP ended (a listener that reset it as it went), is
    // an attempt, not the server back. Made the first time a stop asks (most passes make
    // none).
    let accepted_of = |w: &Work| {
        let accepted_by = |e: &Ending| {
            !matches!(e.how, How::Refused(_))
                && (e.signs.upgraded || !matches!(e.how, How::Fin | How::Rst))
        };
        let mut v: Vec<u128> = (0..n)
            .filter_map(|i| Some((i, w.at(i).filter(|_| counted(w, i))?)))
            .filter(|(_, e)| accepted_by(e))
            .map(|(i, e)| at_time(party(w, i), e.start))
            .collect();
        v.sort_unstable();
        v
    };
    let mut accepted: Option<Vec<u128>> = None;
    let mut i = 0;
    let mut j = 0;
    // The end of the continuous run of ends the candidate `i` is in (Side::Server).
    let mut r = 0;
    // The run last counted exactly (once per run).
    let mut walked = usize::MAX;
    while i < cand.len() {
        w.steps += 1;
        let Some((fi, first)) = cand.get(i).and_then(|&k| Some((k, *w.at(k)?))) else {
            break;
        };
        let (p, how, said, t0) = (party(w, fi), coarse(first.how), said_of(&first), first.end);
        let same = |w: &Work, k: u32| {
            party(w, k) == p
                && w.at(k)
                    .is_some_and(|e| coarse(e.how) == how && said_of(e) == said)
        };
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
        // The window read: the burst's, or a long stop's run.
        let mut win = j;
        // A stop that takes longer than the burst (a server closing its sessions one by
        // one, 10 000 a second or 100): the run of its ends, each within `gap` of the one
        // before, read whole when most of the sessions open at t0 had lived at least twice
        // as long as the run lasts (the stop ended them faster than they had lived; a
        // timeout or a batch cutting sessions at their pace does not). The run's end is the
        // same from every ending in it, so `r` only moves forward.
        if side == Side::Server {
            if r <= i {
                r = i + 1;
                while cand.get(r).is_some_and(|&k| {
                    let prev = cand.get(r - 1).and_then(|&x| w.at(x)).map_or(t0, |e| e.end);
                    same(w, k) && w.at(k).is_some_and(|e| e.end.saturating_sub(prev) <= gap)
                }) {
                    w.steps += 1;
                    r += 1;
                }
            }
            if r > j {
                let last = cand.get(r - 1).and_then(|&k| w.at(k)).map_or(t0, |e| e.end);
                let span = last.saturating_sub(t0);
                let old = count_le(&starts, p, t0.saturating_sub(span.saturating_mul(2)))
                    .saturating_sub(count_lt(&ends, p, t0));
                if old * 4 >= open * 3 {
                    win = r;
                }
            }
        }
        if (win - i) * 4 < open * 3 {
            // Even were every end in the window of a session open at t0: too few.
            i += 1;
            continue;
        }
        let last = cand
            .get(win - 1)
            .and_then(|&k| w.at(k))
            .map_or(t0, |e| e.end);
        // A stop is a change: the party ended sessions this way at a quarter of the
        // window's pace at most in as long before it (at least GAP_S). The tail of a steady
        // run of ends (a batch job's sessions closed one after another) is no stop, however
        // few sessions are left open when it is reached.
        let k0 = keys.get(i).map_or((0, 0), |k| k.0);
        let before_from = t0.saturating_sub((last - t0).max(gap));
        let before = i - keys
            .get(..i)
            .unwrap_or_default()
            .partition_point(|&x| x < (k0, before_from));
        if before * 4 >= win - i {
            i += 1;
            continue;
        }
        let started_after = count_le(&starts, p, last).saturating_sub(started);
        let mut surely = (win - i).saturating_sub(started_after);
        // A long stop's run holds sessions opened during it (reconnects that ended again, or
        // not at all, elsewhere in the run's way): counted exactly, once per run, where the
        // bound above cannot decide.
        if win > j && (surely < MIN_MEMBERS || surely * 4 < open * 3) && walked != r {
            walked = r;
            let inside = cand.get(i..win).unwrap_or_default();
            w.steps += inside.len() as u64;
            surely = inside
                .iter()
                .filter(|&&k| w.at(k).is_some_and(|e| e.start <= t0))
                .count();
        }
        if surely < MIN_MEMBERS || surely * 4 < open * 3 {
            i += 1;
            continue;
        }
        let mut members: Vec<u32> = Vec::new();
        let mut last_end = t0;
        let mut k = i;
        while let Some((idx, e)) = cand.get(k).and_then(|&x| Some((x, *w.at(x)?))) {
            if !same(w, idx) || (k >= win && e.end.saturating_sub(last_end) > gap) {
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
            let accepted: &[u128] = accepted.get_or_insert_with(|| accepted_of(w));
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
                    } else if super::backend::behind_proxy(w, &members) {
                        IncidentKind::BackendStop
                    } else {
                        // Accepted a session after the stop: a restart.
                        let later = accepted
                            .get(count_le(accepted, p, last_end))
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
                IncidentKind::ServerRestart
                | IncidentKind::ProxyReload
                | IncidentKind::BackendStop => {
                    let at = count_le(accepted, p, last_end);
                    accepted
                        .get(at)
                        .filter(|&&x| (x >> 64) as u64 == p)
                        .map(|&x| ((x as u64 ^ (1 << 63)) as i64 - last_end) as f64 / NS)
                }
                _ => None,
            };
            let made = w.incidents.len();
            make(w, kind, &members, down);
            if let Some(inc) = w.incidents.get_mut(made) {
                inc.facts.open = open as u64;
            }
        }
        i = k.max(i + 1);
        j = j.max(i);
    }
}
