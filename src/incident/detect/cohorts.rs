//! Idle cohorts: sessions of one server ended after the same quiet spell (an idle timeout
//! of the server or a proxy in front of it). The spell is each ending's idle age
//! ([`Ending::idle_age_ms`]): its quiet spell, or where a frame of the client's came after
//! the end, the client's silence before the server's unanswered ping. An idle timer is
//! checked per session or by a periodic sweep. Three shapes: ends that spread as the
//! sessions went quiet (each cut at its own time); ends in bursts one sweep period apart, at
//! idle ages within one period (a proxy's timer checked every second: Traffic Server's);
//! or ends together where a server's heartbeat swept the sessions whose clients fell silent
//! together (one host's application stopped, its kernel acknowledging). In each the
//! sessions with traffic lived on.
//!
//! In: the working state's free endings. Out: incidents made in it.

use super::*;

/// Idle cohorts: sessions of one server that ended (not refused, not in an incident) after a
/// quiet spell of at least [`IDLE_MIN_S`], at the same idle age (within the larger of
/// [`IDLE_TOLERANCE_S`] and 2 % of the first's), at least [`MIN_MEMBERS`] of them, standing
/// out of the idle ages around theirs, whose ends spread ([`spread_out`]): the idle ages agreeing is not enough, endings that cluster
/// in time are a stop's shape, whatever their idle ages, unless a heartbeat swept them
/// ([`swept`]) or a timer checked in a periodic sweep cut them in bursts ([`periodic`]).
pub(super) fn idle_cohorts(w: &mut Work) {
    // A timeout of IDLE_MIN_S cuts at that age as the wire times it: its timer started at
    // the last packet it read, not at the one captured, and fires late or early by the 2 %
    // the ages' tolerance allows.
    let min = (IDLE_MIN_S * 1000.0 * 0.98) as u32;
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| {
            w.free(i)
                && w.at(i).is_some_and(|e| {
                    e.ended()
                        && !matches!(e.how, How::Refused(_))
                        && e.idle_age_ms().is_some_and(|a| a >= min)
                })
        })
        .collect();
    let age = |e: &Ending| e.idle_age_ms().unwrap_or(u32::MAX);
    sorted_by(w, &mut cand, |i, e| {
        u64::from(w.sid(i)) << 32 | u64::from(age(e))
    });
    // Each candidate's (server, idle age), to count those near an age.
    let keys: Vec<(u32, u32)> = cand
        .iter()
        .map(|&k| (w.sid(k), w.at(k).map_or(u32::MAX, age)))
        .collect();
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some(first) = cand.get(i).and_then(|&k| w.at(k)).copied() else {
            break;
        };
        let first_age = age(&first);
        let tol = (IDLE_TOLERANCE_S * 1000.0).max(f64::from(first_age) * 0.02) as u32;
        let mut j = i + 1;
        while cand
            .get(j)
            .and_then(|&k| w.at(k))
            .is_some_and(|e| e.server == first.server && age(e) <= first_age.saturating_add(tol))
        {
            w.steps += 1;
            j += 1;
        }
        let members = cand.get(i..j).unwrap_or_default();
        // The idle ages of sessions that end when their clients please spread over every
        // value, and some always agree: a timeout's cohort stands out of those around it
        // (two tolerances each side hold at most half as many sessions as it does).
        let sid = w.sid(cand.get(i).copied().unwrap_or(0));
        let at = |ms: u32| keys.partition_point(|&k| k < (sid, ms));
        let lo = first_age.saturating_sub(2 * tol);
        let hi = first_age.saturating_add(3 * tol);
        let around =
            (at(first_age) - at(lo)) + (at(hi.saturating_add(1)) - j.min(at(hi.saturating_add(1))));
        if j - i >= MIN_MEMBERS
            && around * 2 <= j - i
            && (spread_out(w, members) || swept(w, members) || periodic(w, members))
        {
            let members: Vec<u32> = members.to_vec();
            make(w, IncidentKind::IdleTimeoutCohort, &members, None);
        }
        i = j;
    }
}

/// Whether the ends of `members` spread as a timeout's do, each session cut at its own time:
/// a timeout cuts each session at its last activity plus one idle age, so its ends spread as
/// those last activities did (sessions that began over two seconds and said nothing after are
/// cut over the same two seconds), while their idle ages agree within the timer's lateness. A
/// stop ends sessions at one moment whatever their last activity: its ends spread no more
/// than their idle ages differ (those agree only where the last activities agreed too, and
/// then the ends cluster). So the ends must spread over more than [`SPELLS_DIFFER_S`] and
/// more than four times as much as the idle ages differ; and, unless they spread ten times
/// as much (each end tracks its own session's last activity), not as one continuous run
/// (each end within [`GAP_S`] of the one before) of sessions most of which had lived at
/// least twice as long as the run lasts, which is a stop that took its time (a server
/// closing its sessions one by one: `stops` reads it whole). Work: the members' ends sorted, once per
/// candidate cohort.
fn spread_out(w: &mut Work, members: &[u32]) -> bool {
    let mut ends: Vec<(i64, i64)> = members
        .iter()
        .filter_map(|&k| w.at(k).map(|e| (e.end, e.start)))
        .collect();
    ends.sort_unstable();
    w.steps += ends.len() as u64;
    let (Some(&(first, _)), Some(&(last, _))) = (ends.first(), ends.last()) else {
        return false;
    };
    let span = last - first;
    let (lo, hi) = members
        .iter()
        .filter_map(|&k| w.at(k).and_then(Ending::idle_age_ms))
        .fold((u32::MAX, 0), |(lo, hi), i| (lo.min(i), hi.max(i)));
    let ages_differ = i64::from(hi.saturating_sub(lo)) * 1_000_000;
    if span <= ns(crate::incident::SPELLS_DIFFER_S) || span <= ages_differ.saturating_mul(4) {
        return false;
    }
    let continuous = ends.windows(2).all(|p| match p {
        [a, b] => b.0 - a.0 <= ns(GAP_S),
        _ => true,
    });
    // Ends spread ten times as much as the ages differ: each end tracks its own session's
    // last activity, which a stop does not (a stop taking its time meets idle ages that
    // agree only by chance, and not that closely).
    if span > ages_differ.saturating_mul(10) {
        return true;
    }
    let old = ends
        .iter()
        .filter(|&&(_, start)| start <= first.saturating_sub(span.saturating_mul(2)))
        .count();
    !(continuous && old * 4 >= ends.len() * 3)
}

/// Whether `members`, whose ends cluster, were swept by their server's heartbeat, as a timer
/// that checks every session at once cuts those idle past its age at one tick (uWebSockets'
/// idle timeout, Bun's): the server ended each by TCP after its ping went unanswered while
/// the client's TCP acknowledged it, each client silent since before that ping
/// ([`Ending::idle_age_ms`]: what the candidates' ages are), and the server went on serving
/// other sessions through their ends ([`served_others`]): a stop ends them all, whatever
/// their clients did; a heartbeat ends only the silent ones. Work: one pass, and the two
/// binary searches of `served_others`.
fn swept(w: &mut Work, members: &[u32]) -> bool {
    w.steps += members.len() as u64;
    members.iter().all(|&k| {
        w.at(k).is_some_and(|e| {
            e.idle_ms == u32::MAX && e.unanswered_ping().is_some() && e.idle_age_ms().is_some()
        })
    }) && served_others(w, members) > 0
}

/// Whether the ends of `members`, which spread too little for [`spread_out`], came from a
/// timer checked by a periodic sweep (Apache Traffic Server's WebSocket
/// `no_activity_timeout`, checked every second): each tick cuts the sessions idle past the
/// timeout then, so the ends come in bursts, each burst short beside the period and the
/// bursts a whole number of periods apart (at most three: a longer pause is no sweep shown),
/// and each member is cut at an idle age between the timeout and the timeout plus one
/// period (one tick earlier it was younger than the timeout): the members' idle ages differ
/// by less than one period and the longest burst, and by half a period at least (sessions
/// that went quiet at different moments cut at one tick: ends that track each session's
/// last activity at one idle age are a per-session timer's, [`spread_out`], or a stop's,
/// however evenly they come). At least two bursts (one is a stop's
/// shape), and at least one session of the server with traffic lived through them all
/// ([`lived_through`]): a sweep cuts only the idle ones, a stop or a crash every one. The
/// period is the shortest spacing of the bursts, measured. Work: the members' ends sorted,
/// once per candidate cohort, and the two binary searches of `lived_through`.
fn periodic(w: &mut Work, members: &[u32]) -> bool {
    let mut ends: Vec<i64> = members
        .iter()
        .filter_map(|&k| w.at(k).map(|e| e.end))
        .collect();
    ends.sort_unstable();
    w.steps += ends.len() as u64;
    let widest = ends
        .windows(2)
        .map(|p| match p {
            [a, b] => b - a,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    // A burst: ends each within a quarter of the widest gap of the one before, so that
    // bursts up to three periods apart are told apart from the ends within one.
    let mut bursts: Vec<(i64, i64)> = Vec::new();
    for &t in &ends {
        match bursts.last_mut() {
            Some(b) if t - b.1 <= widest / 4 => b.1 = t,
            _ => bursts.push((t, t)),
        }
    }
    let Some(period) = bursts
        .windows(2)
        .filter_map(|p| match p {
            [a, b] => Some(b.0 - a.0),
            _ => None,
        })
        .min()
    else {
        return false;
    };
    let longest = bursts.iter().map(|&(a, b)| b - a).max().unwrap_or(0);
    let on_ticks = bursts.windows(2).all(|p| match p {
        [a, b] => {
            let d = b.0 - a.0;
            let k = (d + period / 2) / period;
            (1..=3).contains(&k) && (d - k * period).abs() <= period / 10
        }
        _ => true,
    });
    let (lo, hi) = members
        .iter()
        .filter_map(|&k| w.at(k).and_then(Ending::idle_age_ms))
        .fold((u32::MAX, 0), |(lo, hi), i| (lo.min(i), hi.max(i)));
    let ages_differ = i64::from(hi.saturating_sub(lo)) * 1_000_000;
    on_ticks
        && longest * 4 <= period
        && ages_differ < period + longest
        && ages_differ * 2 >= period
        && lived_through(w, members) > 0
}
