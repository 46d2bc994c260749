//! Application causes that only several connections show together: an MQTT session taken
//! over by a second connection with the same client id (MQTT 3.1.1 §3.1.4, MQTT 5
//! §3.1.4-3: the broker closes the existing connection; a 3.1.1 broker sends nothing first).
//!
//! In: every connection's report with its `application`. Out: each shared identity's
//! connections listed in `related`, and the cause of a connection the broker closed just
//! after another one connected with its client id. [`status_cause`] puts an application's
//! cause into the connection's status, where it composes with the WebSocket and TCP ones.

use super::{Cause, Status};
use crate::flow::Role;
use crate::report::ConnectionReport;

/// How long after a second CONNECT (its connection's first packet) the broker's closing of
/// the first counts as the takeover.
const TAKEOVER_S: f64 = 2.0;

/// [`link`] over a store: the reports that name an identity another report names too are
/// read back, linked, and the changed ones written back.
pub fn link_store(store: &mut crate::report::Store) -> std::io::Result<()> {
    if store.identities < 2 {
        return Ok(());
    }
    let mut buf = Vec::new();
    let at = store.identity_positions(true, std::iter::empty());
    let mut reports = Vec::with_capacity(at.len());
    for &i in &at {
        reports.push(store.get(i, &mut buf)?);
    }
    let before: Vec<Option<crate::app::ApplicationReport>> =
        reports.iter().map(|r| r.application.clone()).collect();
    link(&mut reports);
    for ((i, r), was) in at.into_iter().zip(reports).zip(before) {
        if r.application != was {
            store.replace(i, r)?;
        }
    }
    Ok(())
}

/// Links each socket.io session to the long-polling connections it began on
/// ([`crate::app::Polls::link`]).
pub fn link_polling(reports: &mut [ConnectionReport], polls: &crate::app::Polls) {
    if polls.is_empty() {
        return;
    }
    for r in reports {
        if let Some(a) = r.application.as_mut() {
            let cause = a.cause.clone();
            polls.link(r.input, a);
            if a.cause != cause {
                status_cause(r);
            }
        }
    }
}

/// [`link_polling`] over a store: only the reports that name a sid of `polls` are read
/// back, and only those that change are written back.
pub fn link_polling_store(
    store: &mut crate::report::Store,
    polls: &crate::app::Polls,
) -> std::io::Result<()> {
    if polls.is_empty() || store.identities == 0 {
        return Ok(());
    }
    let mut buf = Vec::new();
    let at = store.identity_positions(false, polls.sids().map(|s| ("socket.io-sid", s)));
    for i in at {
        let mut r = store.get(i, &mut buf)?;
        let Some(a) = r.application.as_mut().filter(|a| !a.related.is_empty()) else {
            continue;
        };
        let was = a.clone();
        polls.link(r.input, a);
        if *a != was {
            if a.cause != was.cause {
                status_cause(&mut r);
            }
            store.replace(i, r)?;
        }
    }
    Ok(())
}

/// Links the connections of `reports` that share an identity, and names takeovers.
pub fn link(reports: &mut [ConnectionReport]) {
    // (identity kind, value) -> connection indexes, in report order.
    let mut by_identity: std::collections::BTreeMap<(String, String), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for id in r.application.iter().flat_map(|a| a.related.iter()) {
            by_identity
                .entry((id.kind.clone(), id.value.clone()))
                .or_default()
                .push(i);
        }
    }
    let max = crate::app::Identity::MAX_LISTED;
    for ((kind, _), idx) in by_identity.iter().filter(|(_, v)| v.len() > 1) {
        let ids: Vec<u64> = idx
            .iter()
            .filter_map(|&i| reports.get(i))
            .map(|r| r.id)
            .collect();
        for (k, &i) in idx.iter().enumerate() {
            let Some(r) = reports.get_mut(i) else {
                continue;
            };
            // The nearest others in report order, half before and half after (more after
            // when there are fewer before): bounded, whatever the number sharing it.
            let from = k
                .saturating_sub(max / 2)
                .min(ids.len().saturating_sub(max + 1));
            let near: Vec<u64> = ids
                .iter()
                .enumerate()
                .skip(from)
                .filter(|&(j, _)| j != k)
                .take(max)
                .map(|(_, &x)| x)
                .collect();
            for id in r.application.iter_mut().flat_map(|a| a.related.iter_mut()) {
                if id.kind == *kind {
                    id.connections = near.clone();
                    id.connections_total = ids.len() as u64 - 1;
                }
            }
        }
        if kind == "mqtt-client-id" {
            for k in 0..idx.len() {
                takeover(reports, k, idx);
            }
        }
    }
}

/// Adds the application's cause to the status as a [`Cause::Application`] (in place of
/// one it had), when the application's messages named one.
pub fn status_cause(r: &mut ConnectionReport) {
    let Some(a) = r.application.as_ref() else {
        return;
    };
    let Some(label) = a.cause.clone() else {
        return;
    };
    let cause = Cause::Application {
        protocol: a.protocol.clone(),
        cause: label.clone(),
        ended_by: a.ended_by,
        evidence: a.evidence.clone(),
        fix: a.fix.clone(),
    };
    // A 1002 with no WebSocket violation before it, from the side whose application
    // ended the session: that application's protocol error (a broker refusing a login
    // with 1002 "unauthenticated"), which its cause names; the code and the capture agree.
    let closer = r.close_frames.first().map(|c| (c.from, c.code));
    if let (Some(ev), Some((from, Some(1002)))) = (r.evidence.as_mut(), closer) {
        if !ev.consistent && a.ended_by == Some(from) {
            if let Some(at) = ev.summary.find(super::evidence::DISAGREE) {
                ev.summary.replace_range(
                    at..at + super::evidence::DISAGREE.len(),
                    &format!(
                        "the {from}'s 1002 is about {}, not WebSocket framing ({}: {label})",
                        a.protocol, a.protocol
                    ),
                );
                ev.consistent = true;
            }
        }
    }
    let mut causes = std::mem::take(&mut r.status.causes);
    causes.retain(|c| !matches!(c, Cause::Application { .. }));
    causes.push(cause);
    r.status = Status::of(causes);
}

/// Names the takeover of connection `i` by another of `idx`, when the broker closed `i`
/// without a word shortly after the other connected.
fn takeover(reports: &mut [ConnectionReport], k: usize, idx: &[usize]) {
    let Some(&i) = idx.get(k) else {
        return;
    };
    let Some(r) = reports.get(i) else {
        return;
    };
    // Not when a message could not be read, or a side's stream is unknown from some packet
    // (the summary of a session with no cause says so): it may have said why.
    // A broker's close with no MQTT reason is what a takeover looks like on its own
    // connection: the other connection names it.
    let Some(app) = r.application.as_ref().filter(|a| {
        let unexplained = match a.cause.as_deref() {
            None => a.summary.is_none(),
            Some(c) => c == crate::app::MQTT_NO_REASON,
        };
        unexplained && a.undecodable == 0
    }) else {
        return;
    };
    // The broker ended it: its close frame, FIN or RST came first.
    let by_server = match (r.close_frames.first(), r.tcp_ends.first()) {
        (Some(c), Some(t)) if t.packet < c.packet => t.by == Role::Server,
        (Some(c), _) => c.from == Role::Server,
        (None, Some(t)) => t.by == Role::Server,
        (None, None) => false,
    };
    let Some(end) = r
        .tcp_ends
        .first()
        .map(|t| (t.packet, t.time))
        .filter(|_| by_server)
    else {
        return;
    };
    let value = app
        .related
        .iter()
        .find(|x| x.kind == "mqtt-client-id")
        .map(|x| x.value.clone())
        .unwrap_or_default();
    // The connections after it in report order (which is their first packets' order),
    // while they start before its end: work that does not grow with the connections
    // sharing the client id, beyond those that overlap it.
    let other = idx
        .iter()
        .skip(k + 1)
        .filter_map(|&j| reports.get(j))
        .take_while(|o| o.start <= end.1)
        .find(|o| o.start >= r.start && end.1.since(o.start) <= TAKEOVER_S);
    let Some(o) = other else {
        return;
    };
    let (other_id, other_packet) = (o.id, o.first_packet);
    let note = r
        .close_frames
        .first()
        .filter(|c| c.from == Role::Server)
        .and_then(|c| crate::app::generic_close(&c.reason))
        .unwrap_or_default();
    let Some(app) = reports.get_mut(i).and_then(|r| r.application.as_mut()) else {
        return;
    };
    app.ended_by = Some(Role::Server);
    app.cause = Some("session taken over".into());
    app.summary = Some(format!(
        "connection {other_id} connected with the same client id \"{value}\" (from packet {other_packet}); the broker then closed this one at packet {}{note}",
        end.0
    ));
    app.fix = Some("Give each client its own client id: two tabs, devices or processes sharing one, or a reconnect racing the old connection, take the session from each other in turn.".into());
    app.evidence = vec![other_packet, end.0];
    if let Some(r) = reports.get_mut(i) {
        status_cause(r);
    }
}
