//! The incidents of the whole report, found from one place: [`find`] runs the incident
//! stage (`crate::incident`: what came after each abrupt ending, then the incidents and
//! reconnects) on the connections' endings, for a report in memory ([`link_vec`]) and for
//! one in a store (`whole.rs`, from the endings the store kept); [`apply`] writes what it
//! found into a connection: its incident, reconnect and predecessor, what came after its
//! abrupt ending, and its incident read as evidence of its own cause.
//!
//! In: the endings (`report::incidents::ending`, kept by the store as reports are filled),
//! the proxied sessions' legs, the refused attempts `Seen` kept. Out: the report's
//! `incidents`, its `links` (a stored connection gets them as it is shown, through
//! `Report::apply_links`), its warnings when counters or room were short.

use crate::incident::after::DOWN_SOON_S;
use crate::incident::{Ending, Links, Outcome, Refusals};
use crate::report::cause::{Cause, EndingVerdict};
use crate::report::legs::Side;
use crate::report::{incidents::ending, ConnectionReport, Report, Seen};
use crate::vocab::{After, Incident, IncidentKind, Role};

/// The incident stage on `endings` (in the report's order, what they said in `saids`) and the proxied sessions'
/// `legs` (front, back, by position): what came after each abrupt ending (`refusals`: the
/// refused attempts kept), the incidents and the links. Every report, in memory or
/// stored, is linked here.
pub(super) fn find(
    endings: Vec<Ending>,
    saids: crate::incident::said::Saids,
    legs: &[(u32, u32)],
    outages: &[crate::incident::Outage],
    refusals: Refusals,
    seen: &Seen,
) -> Outcome {
    let after = crate::incident::after::link(&endings, refusals);
    let between = crate::incident::points::between(&endings);
    let mut out = crate::incident::detect_said(endings, saids, legs, outages);
    crate::incident::points::count(&mut out, &between);
    out.links.set_after(after);
    // A stop's or restart's attempts refused in TCP while the server was down, then each
    // incident named only where its kind's row holds: before any connection reads its kind.
    out.coarse = crate::incident::refused::count(&mut out.incidents, &seen.refused);
    out.coarse.extend(crate::incident::refused::count_tls(
        &mut out.incidents,
        &seen.tls_refused,
    ));
    crate::incident::gate(&mut out);
    out
}

/// The refused connection attempts `seen` kept, taken out, with a note in its `temp_notes`
/// (the report's warnings) when some were left out for want of room.
pub(super) fn refusals_of(seen: &mut Seen) -> Refusals {
    let mut refusals = std::mem::take(&mut seen.refusals);
    let left_out = refusals.left_out();
    if left_out > 0 {
        seen.temp_notes.push(format!(
            "{left_out} refused connection attempts (a SYN answered by a RST) were not kept: \
             they hold a two-hundred-and-fifty-sixth of --max-memory, so the refusals that \
             came last are not cited after the sessions they followed; raise --max-memory \
             to see them"
        ));
    }
    refusals
}

impl Report {
    /// Takes in what the incident stage found (its links, written into each stored
    /// connection as it is shown, by [`apply`]), and says when it kept only so many.
    pub(super) fn set_incidents(&mut self, mut out: Outcome) {
        // Counted when they were found (`find`).
        let coarse = std::mem::take(&mut out.coarse);
        // A stop that became a restart its clients reject: its members in memory, whose
        // causes were written with the stop's kind, name the new one.
        for c in &mut self.connections {
            let Some(i) = c
                .incident
                .and_then(|id| out.incidents.iter().find(|i| i.id == id))
                .filter(|i| i.kind == IncidentKind::TlsRejectedRestart)
            else {
                continue;
            };
            let mut causes = std::mem::take(&mut c.status.causes);
            for k in &mut causes {
                if let Cause::IncidentMember { incident_kind, .. } = k {
                    *incident_kind = i.kind;
                }
            }
            c.status.set_causes(causes);
        }
        if !coarse.is_empty() {
            let ids: Vec<String> = coarse.iter().map(u32::to_string).collect();
            self.warnings.push(format!(
                "the connection attempts refused in TCP were counted in spans of {} (their \
                 counters filled their part of --max-memory, so each span was doubled): the \
                 `refused` of incident {} may count attempts up to that long before or after \
                 it; raise --max-memory to count them to the tenth of a second",
                crate::report::words::incident::seconds(self.seen.refused.span_ns() as f64 / 1e9),
                ids.join(", ")
            ));
        }
        // Said only where a figure rests on the counters: a server stop's or restart's
        // `refused` (a port scan of a capture with no WebSocket loses nothing it reports).
        let counted = out.incidents.iter().any(|i| {
            matches!(
                i.kind,
                IncidentKind::ServerStop | IncidentKind::ServerRestart | IncidentKind::CrashLoop
            )
        }) || out
            .incidents
            .iter()
            .map(|i| &i.facts)
            .chain(out.doubts.iter().filter_map(|d| d.facts.as_ref()))
            .any(|f| {
                // A stop or restart not shown for want of the refusals that were not counted.
                f.not_shown
                    .is_some_and(|n| n.missing == crate::vocab::Fact::ServerGone)
            });
        if self.seen.refused.not_kept > 0 && counted {
            self.warnings.push(format!(
                "{} connection attempts refused in TCP (SYN answered by RST or not at all) \
                 were not counted: their counters reached the part of --max-memory kept for \
                 them, so an incident's `refused` may be short (and a stop or restart they \
                 would show the server gone in may be left a doubt); raise --max-memory to \
                 count them all",
                self.seen.refused.not_kept
            ));
        }
        if out.left_out > 0 {
            self.warnings.push(format!(
                "{} more incidents were found than the {} kept: their connections are not \
                 marked as members of one",
                out.left_out,
                crate::incident::MAX_INCIDENTS
            ));
        }
        self.incidents = out.incidents;
        // Each incident's cause and fix, from its fields as the stage left them.
        for i in &mut self.incidents {
            (i.cause, i.fix) = crate::report::words::incident::cause_and_fix(i);
        }
        self.doubts = out.doubts;
        for d in &mut self.doubts {
            d.why = crate::report::words::doubt::why(d);
        }
        self.links = out.links;
        self.apply_links = apply;
    }
}

/// Writes it into `c`, the connection at position `id - 1`, and `c`'s incident (one of
/// `incidents`, by id) as evidence of its own cause (`as_evidence`).
pub(super) fn apply(links: &Links, incidents: &[Incident], c: &mut ConnectionReport) {
    let Some(l) =
        c.id.checked_sub(1)
            .and_then(|p| u32::try_from(p).ok())
            .and_then(|p| links.get(p))
    else {
        return;
    };
    c.incident = l.incident;
    c.reconnect = l.reconnect;
    c.replaces = l.replaces;
    c.replaces_same_host = l.replaces_same_host;
    if let Some(t) = l.twin {
        seen_twice(t, c);
    }
    if let Some(mut a) = l.after {
        // The session accepted is this connection's own reconnect when the stage linked it
        // (and its host runs one client: else a new session of the same host).
        if let Some(n) = a.accepted.as_mut() {
            n.reconnect = l
                .reconnect
                .is_some_and(|r| r.connection == n.connection && !r.same_host);
        }
        // Nothing refused and not its own reconnect: another client of its host says
        // nothing of this one.
        if a.refused > 0 || a.accepted.is_some_and(|n| n.reconnect) {
            cite_after(a, c);
        }
    }
    if let Some(inc) = l.incident.and_then(|id| {
        let k = incidents.binary_search_by_key(&id, |i| i.id).ok()?;
        incidents.get(k)
    }) {
        as_evidence(inc, c);
    }
}

/// Writes into `c` that it is the same session as connection `t.connection` seen at another
/// point, and into its evidence what the two points show together: a reset made between
/// them (the link itself is said with its incident and reconnect, `report::words::incident::connection_line`).
fn seen_twice(t: crate::vocab::Twin, c: &mut ConnectionReport) {
    if c.seen_at_two_points == Some(t) {
        return;
    }
    c.seen_at_two_points = Some(t);
    if let (Some(by), Some(p), Some(e)) =
        (t.reset_made_between, t.reset_packet, c.evidence.as_mut())
    {
        e.add(
            format_args!(
                "; the same session seen at another point of the capture (connection {}) shows \
                 no reset of the {by}'s there: the reset (packet {p}) was made between the two \
                 points",
                t.connection
            ),
            [p],
        );
    }
}

/// Writes what came after `c`'s abrupt ending (`a`) into its `abrupt-ending` cause, whose
/// words then cite it, and into its evidence. A `unknown` verdict of a server's ending
/// becomes `server-process` when the client's new connection was refused soon after it
/// ([`DOWN_SOON_S`]): nothing listened on the port any more, so the server's process had
/// stopped (neither a timeout nor the path, which carried the refusal, ended it).
fn cite_after(a: After, c: &mut ConnectionReport) {
    let Some(k) = c
        .status
        .causes
        .iter()
        .position(|x| matches!(x, Cause::AbruptEnding { .. }))
    else {
        return cite_after_unprompted(a, c);
    };
    let mut causes = c.status.causes.clone();
    let Some(Cause::AbruptEnding {
        afterwards,
        verdict,
        end,
        ..
    }) = causes.get_mut(k)
    else {
        return;
    };
    if *afterwards == Some(a) {
        return;
    }
    *afterwards = Some(a);
    if end.by == Role::Server && a.first_refused_s.is_some_and(|s| s <= DOWN_SOON_S) {
        *verdict = EndingVerdict::ServerProcess;
    }
    let by = end.by;
    c.status.set_causes(causes);
    if let Some(e) = c.evidence.as_mut() {
        if let (Some(f), Some(l)) = (a.first_refused, a.last_refused) {
            let n = a.refused;
            let s = if n == 1 { "" } else { "s" };
            let at = if f == l {
                format!("packet {f}")
            } else {
                format!("packets {f} to {l}")
            };
            e.add(
                format_args!("; then {n} new connection{s} of the client's host refused ({at})"),
                [f, l],
            );
        }
        if let Some(n) = a.accepted {
            let who = match (by == Role::Server && a.refused > 0, n.reconnect) {
                (true, true) => "; the server came back: the client's reconnect",
                (true, false) => "; the server came back: a new session of the client's host",
                (false, true) => "; the client's reconnect",
                (false, false) => "; a new session of the client's host",
            };
            e.add(
                format_args!(
                    "{who} accepted {} later (packet {}, connection {})",
                    crate::units::Secs(n.after_s),
                    n.packet,
                    n.connection
                ),
                [n.packet],
            );
        }
    }
}

/// Writes the attempts refused after a server's unprompted close that it followed with its
/// own TCP end (a FIN or RST, before or after the client's reply) into its
/// `unprompted-close` (issue 92 item 4: its shutdown, not only this session's end), and
/// into its evidence.
fn cite_after_unprompted(a: After, c: &mut ConnectionReport) {
    if !c.tcp_ends.iter().any(|e| e.by == Role::Server) {
        return;
    }
    let mut causes = c.status.causes.clone();
    let Some(Cause::UnpromptedClose { afterwards, .. }) = causes.iter_mut().find(|x| {
        matches!(
            x,
            Cause::UnpromptedClose {
                by: Role::Server,
                ..
            }
        )
    }) else {
        return;
    };
    if a.refused == 0 || *afterwards == Some(a) {
        return;
    }
    *afterwards = Some(a);
    c.status.set_causes(causes);
    if let (Some(e), Some(f), Some(l)) = (c.evidence.as_mut(), a.first_refused, a.last_refused) {
        let n = a.refused;
        let s = if n == 1 { "" } else { "s" };
        let at = if f == l {
            format!("packet {f}")
        } else {
            format!("packets {f} to {l}")
        };
        e.add(
            format_args!("; then {n} new connection{s} of the client's host refused ({at})"),
            [f, l],
        );
    }
}

/// A member's own cause read with its incident as evidence (issue 82: never lead with a
/// cause the capture contradicts). Where a server (or proxy) ended its sessions at one
/// instant (`server-stop`, `server-restart`, `proxy-reload`) after quiet spells that
/// differ, no timeout ended them: a member that ended without a close frame says so
/// ([`Cause::IncidentMember`]), its abrupt ending that could not be told from a timeout
/// by its own spell (`unknown`, whole seconds) is that side's process, and a proxy's
/// ending of both legs after a spell near whole seconds is no idle timeout. A member whose
/// data was left unacknowledged keeps `unknown` (the network is not ruled out). Work: a
/// pass over the member's few causes, for members only.
fn as_evidence(inc: &Incident, c: &mut ConnectionReport) {
    let proxy = inc.kind == IncidentKind::ProxyReload;
    let stop = matches!(
        inc.kind,
        IncidentKind::ServerStop
            | IncidentKind::ServerRestart
            | IncidentKind::CrashLoop
            | IncidentKind::BackendStop
            | IncidentKind::TlsRejectedRestart
    );
    // Ended without a close frame: 1006, never on the wire.
    let abrupt = c.status.code == Some(1006) && c.status.inferred;
    if !(stop || proxy)
        || !abrupt
        || !inc.idle_ages_differ()
        || c.status
            .causes
            .iter()
            .any(|k| matches!(k, Cause::IncidentMember { .. }))
    {
        return;
    }
    let (lo, hi) = inc.idle_range_ms.unwrap_or_default();
    let mut causes = std::mem::take(&mut c.status.causes);
    let mut legs_ended = None;
    for k in &mut causes {
        match k {
            Cause::AbruptEnding {
                verdict,
                end,
                unacknowledged: None,
                ..
            } if *verdict == EndingVerdict::Unknown => *verdict = EndingVerdict::process(end.by),
            Cause::ProxyIdleTimeout { legs, .. } | Cause::ProxyEndedBothLegs { legs } if proxy => {
                let legs = legs.clone();
                *k = Cause::ProxyEndedBothLegs { legs: legs.clone() };
                legs_ended = Some(legs);
            }
            _ => {}
        }
    }
    causes.push(Cause::IncidentMember {
        incident: inc.id,
        incident_kind: inc.kind,
        members: inc.members,
        window_ms: (inc.window_s * 1e6).round() / 1e3,
        idle_min_s: f64::from(lo) / 1e3,
        idle_max_s: f64::from(hi) / 1e3,
    });
    c.status.set_causes(causes);
    if let (Some(legs), Some(e)) = (legs_ended, c.evidence.as_mut()) {
        e.summary = crate::report::words::proxy::proxy_reload_member_summary(&legs);
    }
}

/// The incidents and links of connections all in memory (in the report's order, ids
/// given), written into them (the links are left empty in the outcome).
pub(super) fn link_vec(
    connections: &mut [ConnectionReport],
    refusals: Refusals,
    seen: &Seen,
) -> Outcome {
    if connections.len() < 2 && refusals.is_empty() {
        return Outcome::default();
    }
    let mut saids = crate::incident::said::Saids::default();
    let endings: Vec<Ending> = connections
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some(ending(c, u32::try_from(i).ok()?, &mut |s| saids.intern(s))))
        .collect();
    // The proxied sessions' legs, front first, by position (id less one).
    let legs: Vec<(u32, u32)> = connections
        .iter()
        .filter_map(|c| {
            let l = c.leg.as_ref()?;
            if l.side != Side::Front {
                return None;
            }
            let f = u32::try_from(c.id.checked_sub(1)?).ok()?;
            let b = u32::try_from(l.other_leg.checked_sub(1)?).ok()?;
            Some((f, b))
        })
        .collect();
    let outages: Vec<crate::incident::Outage> = endings
        .iter()
        .filter_map(|e| {
            let (from, healed) = connections.get(e.pos as usize)?.outage?;
            Some(crate::incident::Outage {
                order: e.order,
                stream: e.stream,
                from,
                healed,
            })
        })
        .collect();
    let mut out = find(endings, saids, &legs, &outages, refusals, seen);
    if !out.links.is_empty() {
        for c in connections.iter_mut() {
            apply(&out.links, &out.incidents, c);
        }
    }
    out.links = Links::default();
    out
}
