//! Crash loops: one server stopped again and again, each stop within [`CRASH_LOOP_S`] of
//! its coming back from the one before (the next session it accepted), read as one
//! incident with each stop, its sessions, how long the server was down and (filled later by
//! `refused::count`) the attempts refused in TCP in each gap.
//!
//! In: the stops and restarts `stops` made (`server-restart`, `server-stop`, and a
//! backend's `backend-stop` behind a proxy, whose members are the back legs). Out: those of
//! a loop replaced by one `crash-loop` incident holding all their members. Work: a sort of
//! the incidents and one pass over the endings' links.

use super::*;
use crate::incident::CRASH_LOOP_S;
use crate::vocab::LoopStop;

/// Links the stops of each server that came within [`CRASH_LOOP_S`] of its return from the
/// one before into one `crash-loop` (see the module's header).
pub(super) fn crash_loops(w: &mut Work) {
    let stop = |i: &Incident| {
        matches!(
            i.kind,
            IncidentKind::ServerRestart | IncidentKind::ServerStop | IncidentKind::BackendStop
        ) && i.server_ep.is_some()
    };
    let mut idx: Vec<usize> = (0..w.incidents.len())
        .filter(|&k| w.incidents.get(k).is_some_and(stop))
        .collect();
    if idx.len() < 2 {
        return;
    }
    idx.sort_by_key(|&k| w.incidents.get(k).map(|i| (i.server_ep, i.start.0)));
    // Runs of one server's stops, each within CRASH_LOOP_S of the return from the one before.
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    for &k in &idx {
        w.steps += 1;
        let Some(i) = w.incidents.get(k) else {
            continue;
        };
        let joins = run
            .last()
            .and_then(|&p| w.incidents.get(p))
            .is_some_and(|p| {
                // A backend behind a proxy came back when the proxy's next back leg to it
                // was accepted (its `down_s`), as a server does.
                p.server_ep == i.server_ep
                    && matches!(
                        p.kind,
                        IncidentKind::ServerRestart | IncidentKind::BackendStop
                    )
                    && p.down_s.is_some_and(|d| {
                        let back = p.end.0.saturating_add(ns(d));
                        i.start.0.saturating_sub(back) <= ns(CRASH_LOOP_S)
                    })
            });
        if !joins && run.len() >= 2 {
            runs.push(std::mem::take(&mut run));
        } else if !joins {
            run.clear();
        }
        run.push(k);
    }
    if run.len() >= 2 {
        runs.push(run);
    }
    if runs.is_empty() {
        return;
    }
    // Per old incident: the run it joins.
    let mut joins: Vec<Option<usize>> = vec![None; w.incidents.len()];
    for (r, ks) in runs.iter().enumerate() {
        for &k in ks {
            if let Some(j) = joins.get_mut(k) {
                *j = Some(r);
            }
        }
    }
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); runs.len()];
    for (e, inc) in w.incident.iter().enumerate() {
        w.steps += 1;
        if let Some(r) = inc.and_then(|k| joins.get(k as usize).copied().flatten()) {
            if let Some(m) = members.get_mut(r) {
                m.push(e as u32);
            }
        }
    }
    let mut dead = vec![false; w.incidents.len()];
    for (ks, ms) in runs.iter().zip(members) {
        let stops: Vec<LoopStop> = ks
            .iter()
            .filter_map(|&k| w.incidents.get(k))
            .map(|i| LoopStop {
                start: i.start,
                end: i.end,
                members: i.members,
                down_s: i.down_s,
                refused: 0,
            })
            .collect();
        let down = ks
            .last()
            .and_then(|&k| w.incidents.get(k))
            .and_then(|i| i.down_s);
        let kept: Vec<Option<u32>> = ms
            .iter()
            .map(|&m| w.incident.get(m as usize).copied().flatten())
            .collect();
        for &m in &ms {
            if let Some(s) = w.incident.get_mut(m as usize) {
                *s = None;
            }
        }
        let before = w.incidents.len();
        make(w, IncidentKind::CrashLoop, &ms, down);
        if w.incidents.len() == before {
            // Not kept (too many incidents): its stops stay as they were.
            for (&m, k) in ms.iter().zip(kept) {
                if let Some(s) = w.incident.get_mut(m as usize) {
                    *s = k;
                }
            }
            continue;
        }
        dead.resize(w.incidents.len(), false);
        for &k in ks {
            if let Some(d) = dead.get_mut(k) {
                *d = true;
            }
        }
        if let Some(inc) = w.incidents.last_mut() {
            inc.stops = stops;
        }
    }
    // The stops linked into loops go: the others are renumbered by their place.
    let mut at = vec![u32::MAX; w.incidents.len()];
    let mut next = 0u32;
    for (k, d) in dead.iter().enumerate() {
        if !d {
            if let Some(a) = at.get_mut(k) {
                *a = next;
            }
            next += 1;
        }
    }
    let old = std::mem::take(&mut w.incidents);
    for (k, mut i) in old.into_iter().enumerate() {
        if !dead.get(k).copied().unwrap_or(false) {
            i.id = at.get(k).copied().unwrap_or(0);
            w.incidents.push(i);
        }
    }
    for inc in w.incident.iter_mut() {
        if let Some(k) = *inc {
            *inc = at.get(k as usize).copied().filter(|&a| a != u32::MAX);
        }
    }
}
