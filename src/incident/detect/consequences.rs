//! A server's stated decision's refusals (issue 102, fixtures/incident6/): an upgrade the
//! server refused with an HTTP status (RFC 6455 §4.1, §4.2.2) of a client whose session it
//! had just ended with a close code (it said why: RFC 6455 §7.1.5), down that member's chain
//! of reconnects through refused attempts only, within [`RECONNECT_MAX_S`] of its end, is
//! that decision's consequence: counted in its `reconnects.refused` by status
//! (`back::come_back`), never an overload shedding, a rejection loop or a mass rejection of
//! its own. The decision is the group the server ended with one close code, whatever kind
//! the stage suggested for it (the gate names it later, a `stated-decision` where no kind's
//! row holds). A refusal group with any member that is not such a consequence (other
//! clients, or no close of the server's before it) stays as the shared-code sweep
//! (`codes`) named it.
//!
//! In: the working state once every kind, the stated decisions and the doubts have taken
//! their endings (the refusals are held until then, so no later sweep takes them). Out:
//! those refusal incidents dissolved, their members free again, the other incidents
//! renumbered in order. Work: a sort of the server's refusals by start (n log n), one step
//! per refusal, and one pass over the endings when a group is dissolved; memory: the
//! refusals' indexes and an end (8 bytes) per ending, freed on return (within the working
//! share of `incident::ENDING_BYTES`).

use super::*;

/// No decision's member at the head of an ending's chain (`root`).
const NOT: i64 = i64::MIN;

/// Dissolves the refusal incidents every member of which is a stated decision's
/// consequence (see the module's header).
pub(super) fn refusals_after_decisions(w: &mut Work) {
    // A group the server ended with one close code (the same words too: the groups are
    // keyed by them): whatever kind the gate leaves it, what the server said is its
    // decision.
    let decision = |k: u32| {
        w.incidents.get(k as usize).is_some_and(|x| {
            x.side == Enders::Server && matches!(x.ended_by, EndedBy::Close(Some(_)))
        })
    };
    if !(0..w.incidents.len() as u32).any(decision) {
        return;
    }
    let refusal_group = |x: &Incident| {
        matches!(
            x.kind,
            IncidentKind::OverloadShedding
                | IncidentKind::RejectionLoop
                | IncidentKind::MassRejection
        )
    };
    if !w.incidents.iter().any(refusal_group) {
        return;
    }
    let refused = |e: &Ending| e.by == Some(Role::Server) && matches!(e.how, How::Refused(_));
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.at(i).is_some_and(refused))
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    sorted_by(w, &mut cand, |_, e| (e.start, e.pos));
    // Per ending: the end of the decision's member its chain began at, when it is one of
    // its consequences; a refusal's attempt before it started before it, so is settled
    // first.
    let mut root: Vec<i64> = vec![NOT; w.e.len()];
    let window = ns(RECONNECT_MAX_S);
    for &i in &cand {
        w.steps += 1;
        let Some(p) = w.prev.get(i as usize).copied().flatten() else {
            continue;
        };
        let (Some(e), Some(b)) = (w.at(i), w.at(p)) else {
            continue;
        };
        if w.sid(i) != w.sid(p) {
            continue;
        }
        let member = w
            .incident
            .get(p as usize)
            .copied()
            .flatten()
            .is_some_and(decision)
            && b.by == Some(Role::Server);
        let from = if member {
            Some(b.end)
        } else {
            root.get(p as usize).copied().filter(|&r| r != NOT)
        };
        if let Some(end) = from.filter(|&end| e.start.saturating_sub(end) <= window) {
            if let Some(r) = root.get_mut(i as usize) {
                *r = end;
            }
        }
    }
    // A refusal group is dissolved only when each of its members is a consequence: as
    // many of its refusals are as it has members.
    let mut rooted = vec![0u64; w.incidents.len()];
    for &i in &cand {
        let k = w.incident.get(i as usize).copied().flatten();
        let rooted_here = root.get(i as usize).is_some_and(|&r| r != NOT);
        if let (Some(k), true) = (k, rooted_here) {
            if let Some(c) = rooted.get_mut(k as usize) {
                *c += 1;
            }
        }
    }
    let dissolve: Vec<bool> = w
        .incidents
        .iter()
        .zip(&rooted)
        .map(|(x, &c)| refusal_group(x) && c == x.members)
        .collect();
    if !dissolve.iter().any(|&d| d) {
        return;
    }
    // Ids are indexes until the incidents are numbered: the kept ones close up.
    let mut new_id: Vec<Option<u32>> = Vec::with_capacity(dissolve.len());
    let mut next = 0u32;
    for &d in &dissolve {
        new_id.push((!d).then_some(next));
        next += u32::from(!d);
    }
    for inc in w.incident.iter_mut() {
        if let Some(k) = *inc {
            *inc = new_id.get(k as usize).copied().flatten();
        }
    }
    let mut k = 0usize;
    w.incidents.retain(|_| {
        k += 1;
        !dissolve.get(k - 1).copied().unwrap_or(false)
    });
    for (id, x) in w.incidents.iter_mut().enumerate() {
        x.id = id as u32;
    }
}
