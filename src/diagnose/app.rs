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

/// [`link`] over a store, in bounded memory: one shared identity at a time, its reports
/// read back twice, one at a time: once for what linking needs of each (`Member`: its id,
/// start and first packet, 32 bytes), once to link it and write it back when it changed.
/// (All the reports sharing an identity were read back at once: 10 000 MQTT connections
/// with one client id held 10 000 reports.)
pub fn link_store(store: &mut crate::report::Store) -> std::io::Result<()> {
    if store.identities < 2 {
        return Ok(());
    }
    let mut buf = Vec::new();
    let groups: Vec<(u64, Vec<usize>)> = store.shared_identities().collect();
    for (hash, at) in groups {
        // The identities of this hash (one, unless two collide), and each report's.
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut members: Vec<(usize, Member)> = Vec::new();
        for &i in &at {
            let r = store.get(i, &mut buf)?;
            for id in r.application.iter().flat_map(|a| a.related.iter()) {
                if crate::report::store::identity_hash(&id.kind, &id.value) != hash {
                    continue;
                }
                let key = match keys.iter().position(|k| k.0 == id.kind && k.1 == id.value) {
                    Some(k) => k,
                    None => {
                        keys.push((id.kind.clone(), id.value.clone()));
                        keys.len() - 1
                    }
                };
                members.push((key, Member::of(&r, i)));
            }
        }
        for (key, (kind, value)) in keys.iter().enumerate() {
            let group: Vec<Member> = members
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, m)| *m)
                .collect();
            if group.len() < 2 {
                continue;
            }
            for k in 0..group.len() {
                let Some(i) = group.get(k).map(|m| m.index) else {
                    continue;
                };
                let mut r = store.get(i, &mut buf)?;
                let was = r.application.clone();
                link_one(&mut r, kind, Some(value), k, &group);
                if r.application != was {
                    store.replace(i, r)?;
                }
            }
        }
    }
    Ok(())
}

/// What linking a connection needs of the others sharing its identity.
#[derive(Debug, Clone, Copy)]
struct Member {
    /// Its index (in the report's list, or in the store).
    index: usize,
    id: u64,
    start: crate::capture::Timestamp,
    first_packet: u64,
}

impl Member {
    fn of(r: &ConnectionReport, index: usize) -> Member {
        Member {
            index,
            id: r.id,
            start: r.start,
            first_packet: r.first_packet,
        }
    }
}

/// Links `r`, the `k`th of the connections `group` that share its identity of kind `kind`
/// (and value `value`; any value of the kind when None): the nearest others in report
/// order, half before and half after (more after when there are fewer before), at most
/// [`Identity::MAX_LISTED`](crate::app::Identity::MAX_LISTED), and their count, bounded
/// whatever the number sharing it; then an MQTT takeover.
fn link_one(r: &mut ConnectionReport, kind: &str, value: Option<&str>, k: usize, group: &[Member]) {
    let max = crate::app::Identity::MAX_LISTED;
    let from = k
        .saturating_sub(max / 2)
        .min(group.len().saturating_sub(max + 1));
    let near: Vec<u64> = group
        .iter()
        .enumerate()
        .skip(from)
        .filter(|&(j, _)| j != k)
        .take(max)
        .map(|(_, m)| m.id)
        .collect();
    for id in r.application.iter_mut().flat_map(|a| a.related.iter_mut()) {
        if id.kind == kind && value.is_none_or(|v| id.value == v) {
            id.connections.clone_from(&near);
            id.connections_total = group.len() as u64 - 1;
        }
    }
    if kind == "mqtt-client-id" {
        takeover(r, group.get(k + 1..).unwrap_or_default());
    }
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
    let at = store.identity_positions(polls.sids().map(|s| ("socket.io-sid", s)));
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
    for ((kind, value), idx) in by_identity.iter().filter(|(_, v)| v.len() > 1) {
        let group: Vec<Member> = idx
            .iter()
            .filter_map(|&i| reports.get(i).map(|r| Member::of(r, i)))
            .collect();
        for (k, m) in group.iter().enumerate() {
            if let Some(r) = reports.get_mut(m.index) {
                link_one(r, kind, Some(value), k, &group);
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

/// Names the takeover of `r` by one of the connections `later` (those after it in report
/// order with its client id), when the broker closed `r` without a word shortly after the
/// other connected.
fn takeover(r: &mut ConnectionReport, later: &[Member]) {
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
    let other = later
        .iter()
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
    let Some(app) = r.application.as_mut() else {
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
    status_cause(r);
}
