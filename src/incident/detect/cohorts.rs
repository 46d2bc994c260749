//! Idle cohorts: sessions of one server ended after the same quiet spell (an idle timeout
//! of the server or a proxy in front of it).
//!
//! In: the working state's free endings. Out: incidents made in it.

use super::*;

/// Idle cohorts: sessions of one server that ended (not refused, not in an incident) after a
/// quiet spell of at least [`IDLE_MIN_S`], at the same idle age (within the larger of
/// [`IDLE_TOLERANCE_S`] and 2 % of the first's), at least [`MIN_MEMBERS`] of them; when
/// `spread`, only those whose ends span more than [`BURST_S`] (no stop ends sessions so).
pub(super) fn idle_cohorts(w: &mut Work, spread: bool) {
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
        let members = cand.get(i..j).unwrap_or_default();
        let ends = members.iter().filter_map(|&k| w.at(k).map(|e| e.end));
        let span = ends.clone().max().unwrap_or(0) - ends.min().unwrap_or(0);
        if j - i >= MIN_MEMBERS && (!spread || span > ns(BURST_S)) {
            let members: Vec<u32> = members.to_vec();
            make(w, IncidentKind::IdleTimeoutCohort, &members, None);
        }
        i = j;
    }
}
