//! What the incident stage (`crate::incident`) reads of a connection's report and writes
//! back into it: the compact [`Ending`] of each report, kept as reports are filled, and the
//! incident, reconnect and predecessor the stage found for each. Here, beside the model,
//! so that the stage imports nothing of `report/` (it works on endings alone).
//!
//! In: a [`ConnectionReport`]. Out: its [`Ending`]; its `incident`, `reconnect` and
//! `replaces` set from the stage's [`Links`], and what came after its abrupt ending
//! (`incident::after`) written into its `abrupt-ending` cause and its evidence.

use super::cause::{Cause, EndingVerdict};
use super::{ConnectionReport, Status};
use crate::incident::after::DOWN_SOON_S;
use crate::incident::{detect, Ending, How, Index, Links, Outcome, Refusals, Signs};
use crate::vocab::{After, Endpoint, Incident, IncidentKind, Opcode, Role};

/// The ending of `c`, at position `pos`.
pub fn ending(c: &ConnectionReport, pos: u32) -> Ending {
    let (client, server) = c.endpoints;
    let route = {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        let path = c.handshake.path.as_deref().unwrap_or("");
        let end = path.bytes().position(|b| b == b'?').unwrap_or(path.len());
        path.get(..end).unwrap_or("").hash(&mut h);
        c.handshake.subprotocol.hash(&mut h);
        h.finish() as u32
    };
    let (how, by, end, packet) = if let Some(s) = c
        .handshake
        .status
        .filter(|&s| s != 101 && !(c.h2_stream.is_some() && (200..300).contains(&s)))
    {
        let packet = c.handshake.response_packet.unwrap_or(c.last_packet);
        (How::Refused(s), Some(Role::Server), c.end.0, packet)
    } else if c.evicted.is_some() {
        (How::Open, None, i64::MAX, 0)
    } else if let Some(f) = c.close_frames.first() {
        (How::Close(f.code), Some(f.from), f.time.0, f.packet)
    } else if let Some(e) = c.stream_ends.iter().find(|e| e.ends_stream) {
        // The frame that ended the stream (a GOAWAY that let it run on did not): its
        // END_STREAM stands where TCP's FIN does, an RST_STREAM (or a GOAWAY with an
        // error) where its RST does.
        let how = if e.kind == super::StreamEndName::EndStream {
            How::Fin
        } else {
            How::Rst
        };
        (how, Some(e.by), e.time.0, e.packet)
    } else if let Some(e) = c.tcp_ends.first() {
        let how = match e.kind {
            crate::vocab::EndKind::Fin => How::Fin,
            crate::vocab::EndKind::Rst => How::Rst,
        };
        (how, Some(e.by), e.time.0, e.packet)
    } else if let Some((from, at, packet)) = silent(c) {
        (How::Silent, Some(from.peer()), at, packet)
    } else {
        (How::Open, None, i64::MAX, 0)
    };
    let idle_ms = c
        .idle_before_end_s
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(u32::MAX, |s| {
            (s * 1000.0).min(f64::from(u32::MAX - 1)) as u32
        });
    Ending {
        order: super::legs::order(c.input, c.first_packet),
        stream: c.h2_stream.unwrap_or(0),
        pos,
        client,
        host: Endpoint::new(client.ip(), 0),
        server,
        route,
        start: c.start.0,
        end,
        packet,
        how,
        by,
        idle_ms,
        proxied: c.leg.is_some() || c.handshake.proxy_product.is_some(),
        signs: signs(c, by, end),
        forged: how == How::Rst
            && c.status.causes.iter().any(|k| {
                matches!(k, Cause::ForeignReset { packet: p, by: b, .. } if *p == packet && Some(*b) == by)
            }),
        ident: ident(c.handshake.path.as_deref(), c.handshake.client_mark),
        twin: if c.leg.is_some() {
            0
        } else {
            twin_key(c.ws_key.as_deref())
        },
    }
}

/// A hash of the upgrade request's `Sec-WebSocket-Key` (16 random bytes per handshake, RFC
/// 6455 §4.1), 0 when it had none: the same session seen at two points carries the same.
fn twin_key(key: Option<&str>) -> u32 {
    use std::hash::{Hash, Hasher};
    let Some(k) = key.filter(|k| !k.is_empty()) else {
        return 0;
    };
    let mut h = rustc_hash::FxHasher::default();
    k.hash(&mut h);
    (h.finish() as u32).max(1)
}

/// What `c`'s ending shows of its peer ([`Signs`]): the ending side's heartbeat that gave up
/// (its first unanswered ping, from the frames kept, else its wait before the end), the
/// peer's last frame before it, data of the ending side never acknowledged, and an upgrade
/// the client gave up on (its TCP ending before the response's packet, or none came).
fn signs(c: &ConnectionReport, by: Option<Role>, end: i64) -> Signs {
    let server_last = c
        .recent_frames
        .iter()
        .filter(|f| f.from == Role::Server)
        .map(|f| f.ts.0)
        .max();
    let by = match by {
        Some(b) => b,
        None => return Signs::at_times(end, None, None, server_last),
    };
    let (mut ping, mut peer, mut unacknowledged) = (None, None, false);
    for k in &c.status.causes {
        match k {
            Cause::HeartbeatTimeout {
                by: pinger,
                ping_packet,
                waited_ms,
                ..
            } if *pinger == by => {
                let kept = ping_packet.and_then(|p| {
                    c.recent_frames
                        .iter()
                        .find(|f| f.packet == p && f.from == by && f.opcode == Opcode::PING)
                });
                let at = kept.map(|f| f.ts.0).or_else(|| {
                    waited_ms
                        .filter(|w| w.is_finite() && *w >= 0.0)
                        .map(|w| end.saturating_sub((w * 1e6) as i64))
                });
                if let Some(at) = at {
                    ping = Some(at);
                    peer = c
                        .recent_frames
                        .iter()
                        .filter(|f| f.from == by.peer() && f.ts.0 <= at)
                        .map(|f| f.ts.0)
                        .max();
                }
            }
            Cause::Unacknowledged { from, .. } if *from == by => unacknowledged = true,
            _ => {}
        }
    }
    let mut s = Signs::at_times(end, ping, peer, server_last);
    s.unacknowledged = unacknowledged;
    let answered = c
        .handshake
        .response_packet
        .filter(|_| c.handshake.status.is_some());
    s.upgraded = matches!(c.handshake.status, Some(101))
        || (c.h2_stream.is_some() && c.handshake.status.is_some_and(|x| (200..300).contains(&x)));
    if c.handshake.request_packet.is_some() && c.close_frames.is_empty() {
        if let Some(e) = c.tcp_ends.first().filter(|e| e.by == Role::Client) {
            if answered.is_none_or(|r| r > e.packet) {
                s.upgrade_unanswered = true;
                s.upgraded = false;
            }
        }
    }
    s
}

/// A hash of what names a request's client beyond its host: the query of its path (a
/// token, a client id) and `mark`, the request's cookies and offered subprotocols
/// ([`HandshakeReport::client_mark`](super::HandshakeReport::client_mark)); 0 when it has
/// none of them. A client id in the path itself is in the route (`Ending::route`).
fn ident(path: Option<&str>, mark: u32) -> u32 {
    use std::hash::{Hash, Hasher};
    let q = path
        .and_then(|p| p.split_once('?'))
        .map(|(_, q)| q)
        .filter(|q| !q.is_empty());
    if q.is_none() && mark == 0 {
        return 0;
    }
    let mut h = rustc_hash::FxHasher::default();
    q.hash(&mut h);
    mark.hash(&mut h);
    // 32 bits: two clients of one host share one by a chance in four billion.
    (h.finish() as u32).max(1)
}

/// A connection that fell silent: one side's data unacknowledged to the capture's end, the
/// other sending nothing after it (`unacknowledged-data` with no next packet of the peer):
/// that side, when its first such segment was captured, and that segment.
pub fn silent(c: &ConnectionReport) -> Option<(Role, i64, u64)> {
    c.status.causes.iter().find_map(|k| match k {
        super::Cause::Unacknowledged {
            from,
            at,
            first_packet,
            peer_next: None,
            ..
        } => Some((*from, super::record::parse_rfc3339(at)?.0, *first_packet)),
        _ => None,
    })
}

/// Keeps the ending of `c`, whose store order is `order`, in `index`.
pub fn keep(index: &mut Index, order: u64, c: &ConnectionReport) {
    let mut e = ending(c, 0);
    e.order = order;
    index.push(e);
}

/// Writes it into `c`, the connection at position `id - 1`, and `c`'s incident (one of
/// `incidents`, by id) as evidence of its own cause (`as_evidence`).
pub fn apply(links: &Links, incidents: &[Incident], c: &mut ConnectionReport) {
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
/// them (the link itself is said with its incident and reconnect, `facts::incident_line`).
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
        return;
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
    c.status = Status::of(causes);
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
    use super::cause::EndingVerdict;
    use super::Cause;
    let proxy = inc.kind == IncidentKind::ProxyReload;
    let stop = matches!(
        inc.kind,
        IncidentKind::ServerStop
            | IncidentKind::ServerRestart
            | IncidentKind::CrashLoop
            | IncidentKind::BackendStop
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
    c.status = super::Status::of(causes);
    if let (Some(legs), Some(e)) = (legs_ended, c.evidence.as_mut()) {
        e.summary = super::words::proxy::proxy_reload_member_summary(&legs);
    }
}

/// The incidents and links of connections all in memory (in the report's order, ids
/// given), written into them (the links are left empty in the outcome).
pub fn link_vec(connections: &mut [ConnectionReport], refusals: Refusals) -> Outcome {
    if connections.len() < 2 && refusals.is_empty() {
        return Outcome::default();
    }
    let endings: Vec<Ending> = connections
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some(ending(c, u32::try_from(i).ok()?)))
        .collect();
    let after = crate::incident::after::link(&endings, refusals);
    // The proxied sessions' legs, front first, by position (id less one).
    let legs: Vec<(u32, u32)> = connections
        .iter()
        .filter_map(|c| {
            let l = c.leg.as_ref()?;
            if l.side != super::legs::Side::Front {
                return None;
            }
            let f = u32::try_from(c.id.checked_sub(1)?).ok()?;
            let b = u32::try_from(l.other_leg.checked_sub(1)?).ok()?;
            Some((f, b))
        })
        .collect();
    let mut out = detect(endings, &legs);
    out.links.set_after(after);
    if !out.links.is_empty() {
        for c in connections.iter_mut() {
            apply(&out.links, &out.incidents, c);
        }
    }
    out.links = Links::default();
    out
}
