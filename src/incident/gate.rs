//! The gate every incident passes before anyone reads it (issue 102): a group of endings is
//! named a kind only where that kind's row of the table (`vocab::IncidentKind::needs`)
//! holds of the group's facts ([`IncidentFacts`], computed once for every group by the
//! stage and completed with the attempts refused around it). A group whose suggested kind
//! is not shown keeps what is shown: its members' stated decision (`stated-decision`: one
//! side's close frames, one code) where they said one, else a doubt that says its facts and
//! the kind it was not shown to be. Nothing is forced into a kind it cannot prove.
//!
//! In: the stage's [`Outcome`], its incidents' facts complete (`refused::count` done). Out:
//! the same, each incident's kind shown by its facts (the missing fact kept in
//! `facts.not_shown`), the incidents renumbered in order and the links to those that became
//! doubts dropped. Work: one check per incident, one pass over the links when any changed.
//! The live watch asks the same of each incident it would say forming ([`holds_live`]),
//! with the facts it cannot see left open.

use super::Outcome;
use crate::vocab::{Doubt, DoubtReason, EndedBy, Enders, Fact, Incident, IncidentKind, NotShown};

/// Names each of `out`'s incidents only where its kind's row holds (see the module's
/// header).
pub fn gate(out: &mut Outcome) {
    let mut dropped = Vec::new();
    for i in &mut out.incidents {
        let Err(missing) = i.kind.needs().check(&i.facts) else {
            continue;
        };
        i.facts.not_shown = Some(NotShown {
            kind: i.kind,
            missing,
        });
        // A restart whose server accepted nothing after, shown gone, is a stop; a stop
        // that accepted again, a restart.
        let sibling = match i.kind {
            IncidentKind::ServerRestart => Some(IncidentKind::ServerStop),
            IncidentKind::ServerStop => Some(IncidentKind::ServerRestart),
            _ => None,
        };
        if let Some(k) = sibling.filter(|k| k.needs().check(&i.facts).is_ok()) {
            i.kind = k;
            i.facts.not_shown = None;
            continue;
        }
        if IncidentKind::StatedDecision.needs().check(&i.facts).is_ok() {
            i.kind = IncidentKind::StatedDecision;
            // "Down" is a stop's; what is known of the server stays in the facts.
            i.down_s = None;
            continue;
        }
        dropped.push(i.id);
        out.doubts.push(doubt_of(i));
    }
    if dropped.is_empty() {
        return;
    }
    out.incidents.retain(|i| !dropped.contains(&i.id));
    // Ids stay 1.. in the order of the first end (the stage's order, kept by `retain`).
    let top = out
        .incidents
        .iter()
        .map(|i| i.id as usize + 1)
        .max()
        .unwrap_or(0);
    let mut new_id: Vec<Option<u32>> = vec![None; top];
    for (k, i) in out.incidents.iter().enumerate() {
        if let Some(x) = new_id.get_mut(i.id as usize) {
            *x = Some(k as u32 + 1);
        }
    }
    for (k, i) in out.incidents.iter_mut().enumerate() {
        i.id = k as u32 + 1;
    }
    out.links
        .renumber_incidents(|old| new_id.get(old as usize).copied().flatten());
    out.coarse.retain(|id| !dropped.contains(id));
    for id in &mut out.coarse {
        *id = new_id.get(*id as usize).copied().flatten().unwrap_or(*id);
    }
    out.doubts.sort_by_key(|d| d.start);
}

/// Facts a live watch cannot see (`watch`): attempts refused in TCP or at TLS (not close
/// events), and sessions accepted after (it reads endings only).
const UNSEEN_LIVE: &[Fact] = &[Fact::ServerGone, Fact::AcceptedAfter, Fact::TlsRefused];

/// Whether the gate would keep `i` an incident (its kind's row holds, or a sibling's, or
/// its members' stated decision's) on what a live watch sees: the facts it cannot see
/// (`UNSEEN_LIVE`) are left open, every other fact must hold. False: the gate would make
/// it a doubt, so the finished report names no incident of it.
pub fn holds_live(i: &Incident) -> bool {
    let open = |n: crate::vocab::Needs| match n.check(&i.facts) {
        Ok(()) => true,
        Err(missing) => {
            // Checked again with every unseen fact of `all` and `any` taken as held and
            // those of `none` as not: only a seen fact can fail it.
            UNSEEN_LIVE.contains(&missing)
                && n.all
                    .iter()
                    .all(|f| UNSEEN_LIVE.contains(f) || i.facts.holds(*f))
                && (n.any.is_empty()
                    || n.any
                        .iter()
                        .any(|f| UNSEEN_LIVE.contains(f) || i.facts.holds(*f)))
                && n.none
                    .iter()
                    .all(|f| UNSEEN_LIVE.contains(f) || !i.facts.holds(*f))
        }
    };
    open(i.kind.needs()) || open(IncidentKind::StatedDecision.needs())
}

/// Whether `i`, kept open by [`holds_live`], is a stop or a restart whose server is not
/// shown gone by what a watch saw (its row needs `server-gone`, which does not hold), and
/// whose members' stated decision would not keep it either: the report names it only if an
/// attempt is refused after it (or it becomes a doubt), so a watch says it only then.
pub fn wants_gone(i: &Incident) -> bool {
    i.kind.needs().all.contains(&Fact::ServerGone)
        && !i.facts.holds(Fact::ServerGone)
        && IncidentKind::StatedDecision
            .needs()
            .check(&i.facts)
            .is_err()
}

/// The doubt an incident whose kind was not shown becomes: its figures, and why no kind is
/// named (the kind its shape suggested, and the fact missing).
fn doubt_of(i: &Incident) -> Doubt {
    let f = &i.facts;
    let ways = match i.ended_by {
        EndedBy::Mixed => 2,
        EndedBy::FinRst => 2,
        _ => 1,
    };
    Doubt {
        start: i.start,
        end: i.end,
        window_s: i.window_s,
        server: i.server.clone().unwrap_or_default(),
        server_ep: i.server_ep,
        members: i.members,
        connections: i.connections.clone(),
        by_server: f.by_server,
        by_client: f.by_client,
        ended_by: i.ended_by,
        ways,
        hosts: f.hosts,
        open: f.open.max(i.members),
        host_open: (i.side == Enders::Client && f.hosts == 1).then_some(i.members),
        reason: match f.not_shown {
            Some(_) => DoubtReason::NotShown,
            None => DoubtReason::Weak,
        },
        why: String::new(),
        facts: Some(f.clone()),
    }
}
