//! Slow consumers cut: a server that ended several sessions whose clients had stopped
//! reading, while its other sessions went on. Each member was ended by the server (a close
//! frame, FIN or RST: one queued behind the unread bytes counts when the capture shows it,
//! as the window opened) after its client's receive window had been zero, the server's
//! zero-window probes answered with a zero window (RFC 9293 §3.8.6, §3.8.6.1: the client's
//! host alive, its application reading nothing), the member's
//! [`Ending::zero_window_s`]. A server's such endings, each within [`SLOW_GAP_S`] of the one
//! before, are one cluster; its other sessions say whether it went on: those open at the
//! first member's end and still open after the last (`stayed`, its fast clients) must be at
//! least one and more than those of them it ended otherwise in that window (a server that
//! ended its other sessions too stopped: that is for the stops, whatever its clients read).
//!
//! In: the working state's free endings. Out: `slow-consumers` incidents made in it. Work:
//! one sort of the candidates and one of the sessions of their servers, then per cluster
//! binary searches and one walk of the server's endings inside its window (the clusters of a
//! server do not overlap, so each ending is walked once).

use super::*;
use crate::incident::SLOW_GAP_S;
use crate::vocab::Slow;

/// A slow-consumer cut's incidents (see the module's header).
pub(super) fn slow_consumers(w: &mut Work) {
    let n = w.e.len() as u32;
    let candidate = |e: &Ending| {
        e.by == Some(Role::Server)
            && matches!(e.how, How::Close(_) | How::Fin | How::Rst)
            && e.zero_window_s().is_some()
    };
    let mut is_cand = vec![false; n as usize];
    let mut cand: Vec<u32> = Vec::new();
    for i in 0..n {
        if w.free(i) && w.at(i).is_some_and(candidate) {
            cand.push(i);
            if let Some(c) = is_cand.get_mut(i as usize) {
                *c = true;
            }
        }
    }
    if cand.len() < MIN_MEMBERS {
        return;
    }
    sorted_by(w, &mut cand, |i, e| (w.sid(i), e.end));
    // The sessions of the servers with candidates: their starts, and all of them by end.
    let mut has = vec![false; w.servers as usize];
    for &i in &cand {
        if let Some(h) = has.get_mut(w.sid(i) as usize) {
            *h = true;
        }
    }
    let mut all: Vec<u32> = (0..n)
        .filter(|&i| has.get(w.sid(i) as usize).copied().unwrap_or(false))
        .collect();
    let mut starts: Vec<u128> = all
        .iter()
        .filter_map(|&i| Some(at_time(u64::from(w.sid(i)), w.at(i)?.start)))
        .collect();
    starts.sort_unstable();
    sorted_by(w, &mut all, |i, e| (w.sid(i), e.end));
    w.steps += all.len() as u64;
    let gap = ns(SLOW_GAP_S);
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some((sid, first)) = cand.get(i).and_then(|&k| Some((w.sid(k), *w.at(k)?))) else {
            break;
        };
        let mut j = i + 1;
        let mut prev = first.end;
        while let Some(e) = cand
            .get(j)
            .filter(|&&k| w.sid(k) == sid)
            .and_then(|&k| w.at(k))
        {
            if e.end.saturating_sub(prev) > gap {
                break;
            }
            prev = e.end;
            w.steps += 1;
            j += 1;
        }
        let run: Vec<u32> = cand.get(i..j).unwrap_or_default().to_vec();
        i = j;
        if run.len() < MIN_MEMBERS {
            continue;
        }
        let (t0, t1) = (first.end, prev);
        let p = u64::from(sid);
        // The server's sessions started by t0, less those that ended before it and those
        // open at t0 that ended by t1: the ones that stayed.
        let started = starts.partition_point(|&x| x <= at_time(p, t0))
            - starts.partition_point(|&x| x < at_time(p, i64::MIN));
        let key = |k: u32| (w.sid(k), w.at(k).map_or(i64::MAX, |e| e.end));
        let from = all.partition_point(|&k| key(k) < (sid, i64::MIN));
        let at_t0 = all.partition_point(|&k| key(k) < (sid, t0));
        let ended_before = at_t0 - from;
        let (mut ended_in, mut cut_too) = (0usize, 0usize);
        for &k in all.get(at_t0..).unwrap_or_default() {
            let Some(e) = w.at(k).filter(|e| w.sid(k) == sid && e.end <= t1).copied() else {
                break;
            };
            w.steps += 1;
            if e.start > t0 {
                continue;
            }
            ended_in += 1;
            let other = !is_cand.get(k as usize).copied().unwrap_or(false);
            if other && e.by == Some(Role::Server) && e.how != How::Open {
                cut_too += 1;
            }
        }
        let stayed = started.saturating_sub(ended_before + ended_in);
        if stayed == 0 || stayed <= cut_too {
            // The server did not go on with its other sessions: no sign it cut these
            // for not reading rather than stopped.
            continue;
        }
        let spells: Vec<f64> = run
            .iter()
            .filter_map(|&m| w.at(m)?.zero_window_s())
            .collect();
        let lo = spells.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = spells.iter().copied().fold(0.0, f64::max);
        let before = w.incidents.len();
        make(w, IncidentKind::SlowConsumers, &run, None);
        if w.incidents.len() == before {
            continue;
        }
        if let Some(inc) = w.incidents.last_mut() {
            inc.slow = Some(Slow {
                zero_window_min_s: lo,
                zero_window_max_s: hi,
                stayed: stayed as u64,
            });
        }
    }
}
