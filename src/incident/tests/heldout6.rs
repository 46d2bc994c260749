//! Second shapes of the fourth held-out set's misses (issue 102, fixtures/incident6/): the
//! upgrades a server refused after its stated decision, of the clients whose sessions that
//! decision ended, are the decision's refusals, not an incident of their own; each with its
//! control (the same refusals of clients that were no members keep their own incident).

use super::*;
use crate::incident::said::{Said, Saids};

/// 12 sessions of client hosts 1..=12 to 10.0.0.5:8443, opened at 0 and closed by their
/// server with 4001 'signing key rotated' at 10 s, 1 ms apart, while five sessions of other
/// hosts (opened at 1 s) stay open. Hosts 5..=12 come back 0.4 s after their end; the
/// upgrades of the hosts `refused_hosts` (1..=4: the members'; 40..=43: other clients) are
/// refused with `status` 0.4, 0.8 and 1.2 s after the decision, and they never come back.
/// Through the stage and the gate.
fn decision_then_refusals(status: u16, refused_hosts: impl IntoIterator<Item = u8>) -> Outcome {
    let mut saids = Saids::default();
    let id = saids.intern(Said {
        reason: Some("signing key rotated".into()),
        ..Said::default()
    });
    let mut v = Vec::new();
    for k in 0..12u16 {
        let end = 10 * S + i64::from(k) * MS;
        let mut e = ending(
            k as u8 + 1,
            10_000 + k,
            0,
            end,
            How::Close(Some(4001)),
            Some(Role::Server),
        );
        e.said = id;
        v.push(e);
        if k >= 4 {
            v.push(ending(
                k as u8 + 1,
                11_000 + k,
                end + 400 * MS,
                0,
                How::Open,
                None,
            ));
        }
    }
    for (h, host) in refused_hosts.into_iter().enumerate() {
        for n in 1..=3i64 {
            let t = 10 * S + h as i64 * MS + n * 400 * MS;
            v.push(ending(
                host,
                12_000 + h as u16 * 4 + n as u16,
                t,
                t + MS,
                How::Refused(status),
                Some(Role::Server),
            ));
        }
    }
    for k in 0..5u16 {
        v.push(ending(90 + k as u8, 30_000 + k, S, 0, How::Open, None));
    }
    let mut out = detect_said(numbered(v), saids, &[], &[]);
    gate(&mut out);
    out
}

/// Issue 102 (incident6 `deno-1008-key-rotated`, `deno-1011-db-lost`): an upgrade the server
/// refuses of a client whose session it just ended by its stated decision is that
/// decision's consequence (RFC 6455 §4.1: the server refuses the handshake with an HTTP
/// status; the client was told why in the close, §7.1.5), counted in its
/// `reconnects.refused` by status: the 4 members' 12 refusals with 403 retried (before: a
/// `rejection-loop` per client, the decision counting 4) and with 503 while others were
/// served (before: an `overload-shedding` of 12, no overload shown but the decision's).
#[test]
fn refusals_of_a_stated_decisions_members_are_its_refusals() {
    for status in [403, 503] {
        let out = decision_then_refusals(status, 1..=4);
        assert_eq!(out.incidents.len(), 1, "{status}: {:#?}", out.incidents);
        let i = &out.incidents[0];
        assert_eq!(i.kind, IncidentKind::StatedDecision, "{status}");
        assert!(i.kind.needs().check(&i.facts).is_ok(), "{status}");
        assert_eq!(i.members, 12, "{status}");
        assert_eq!(i.reconnects.came_back, 8, "{status}: {:#?}", i.reconnects);
        assert_eq!(i.reconnects.never, 4, "{status}: {:#?}", i.reconnects);
        assert_eq!(i.reconnects.refused, 12, "{status}: {:#?}", i.reconnects);
        assert_eq!(i.reconnects.refused_http, 12, "{status}");
        assert_eq!(i.reconnects.refused_status, Some(status), "{status}");
        assert!(out.doubts.is_empty(), "{status}: {:#?}", out.doubts);
    }
}

/// The control: the same refusals of four other clients (hosts 40..=43, no member of the
/// decision) keep their own incident as before: a `rejection-loop` each with 403, an
/// `overload-shedding` of 12 with 503 while others are served; the decision counts none.
#[test]
fn refusals_of_other_clients_after_a_stated_decision_keep_their_own_incident() {
    for (status, kind) in [
        (403, IncidentKind::RejectionLoop),
        (503, IncidentKind::OverloadShedding),
    ] {
        let out = decision_then_refusals(status, 40..=43);
        let d = out
            .incidents
            .iter()
            .find(|i| i.kind == IncidentKind::StatedDecision)
            .unwrap_or_else(|| panic!("{status}: {:#?}", out.incidents));
        assert_eq!(d.reconnects.refused, 0, "{status}: {:#?}", d.reconnects);
        let refused: u64 = out
            .incidents
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.members)
            .sum();
        assert_eq!(refused, 12, "{status}: {:#?}", out.incidents);
    }
}

/// THREATS.md 4 (several clients, one rule that groups): strangers' refusals are never
/// folded into a decision. The members' four clients and four other clients refused
/// alike. With 403 each client's refusals are a rejection loop of its own: the members'
/// four fold into the decision (12 refused), the strangers' four stay (12). With 503 the
/// refusals are one overload group mixing both: it has members that are no consequence of
/// the decision, so it stays whole (24), and the decision's `reconnects.refused` counts
/// only what its own members' clients met. Either way every refusal is told, and the
/// strangers' 12 outside the decision.
#[test]
fn a_refusal_group_mixing_strangers_is_not_folded_into_a_decision() {
    for status in [403, 503] {
        let out = decision_then_refusals(status, (1..=4).chain(40..=43));
        let d = out
            .incidents
            .iter()
            .find(|i| i.kind == IncidentKind::StatedDecision)
            .unwrap_or_else(|| panic!("{status}: {:#?}", out.incidents));
        assert_eq!(d.members, 12, "{status}");
        assert!(d.reconnects.refused <= 12, "{status}: {:#?}", d.reconnects);
        let others: u64 = out
            .incidents
            .iter()
            .filter(|i| i.kind != IncidentKind::StatedDecision)
            .map(|i| i.members)
            .sum();
        assert!(others >= 12, "{status}: {:#?}", out.incidents);
        assert!(
            d.reconnects.refused + others >= 24,
            "{status}: every refusal told: {:#?}",
            out.incidents
        );
    }
}
