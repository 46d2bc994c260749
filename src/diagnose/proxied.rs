//! Who ended a session through a proxy, as its two legs together show it.
//!
//! In: the finished reports of two legs of one session (linked by `report::legs`: the
//! front leg client → proxy, the back leg proxy → backend). Out: [`Legs`]: the close frames
//! relayed from one leg to the other and what the proxy changed, who ended the session, and
//! for a 1006 on both legs the verdict that replaces each leg's own cause and evidence: the
//! proxy on both legs after a quiet spell (an idle timeout, measured to the millisecond),
//! or at one instant with no quiet spell (a reload or stop, `reload`), or one application
//! whose end the proxy relayed to the other leg; for close frames the proxy sent to both
//! legs at one instant, the reload or stop added to each leg's status. A frame is relayed
//! only to a frame after it (its byte-for-byte copy first, `reload::same_bytes`), a frame
//! the proxy sent on its own is relayed from nowhere, and one whose relay may be in bytes
//! missing from the other leg, or after the capture's end while that leg is open, is said
//! to be unknown from here (as is whether a close frame of the proxy's that may relay one
//! in missing bytes is its own), with the packet where that leg's frames stop. Also the note on a plaintext WebSocket that is most likely the back leg of
//! a TLS-terminating proxy whose client's leg was not decrypted.

use super::latest;
use super::reload;
use crate::report::cause::{BothLegs, Cause, LegEnding, Relay, RelayHow};
use crate::report::legs::{LegReport, LinkedBy, Side};
use crate::report::tls::EncryptedReport;
use crate::report::words::proxy;
use crate::report::words::proxy::whole_seconds;
use crate::report::Evidence;
use crate::report::{ConnectionReport, StreamEndName};
use crate::units::article;
use crate::vocab::{EndKind, Kind, Role, Timestamp};
use std::fmt::Write as _;

/// What the two legs of a session show together.
#[derive(Debug, Clone)]
pub struct Legs {
    /// Close frames relayed from one leg to the other, in order.
    pub relays: Vec<Relay>,
    /// The proxy changed a close code or reason in transit, or answered or started a close
    /// itself.
    pub changed: bool,
    /// Who ended the session: "proxy", "client" or "backend", when the legs show it.
    pub ended_by: Option<&'static str>,
    /// Who ended a session neither application closed, and how that reads.
    verdict: Option<Verdict>,
    /// The proxy closed both legs with close frames of its own at one instant: reloaded or
    /// stopped ([`reload::closes`]).
    reload: Option<Cause>,
}

/// The ending of a session that neither application closed: its cause, and the evidence.
#[derive(Debug, Clone)]
struct Verdict {
    cause: Cause,
    summary: String,
    packets: Vec<u64>,
}

/// Judges the legs `front` (client → proxy) and `back` (proxy → backend).
pub fn judge(front: &ConnectionReport, back: &ConnectionReport) -> Legs {
    let (relays, changed) = relays(front, back);
    let verdict = ending(front, back);
    // Who closed first: the verdict's, else the sender of the earliest close frame on
    // either leg: the client's on the front leg, the backend's on the back leg, and one the
    // proxy sent to either (a close from the other application would have come first).
    let ended_by = verdict
        .as_ref()
        .map(|v| match v.cause {
            Cause::RelayedEnd {
                app: Role::Server, ..
            } => "backend",
            Cause::RelayedEnd { .. } => "client",
            _ => "proxy",
        })
        .or_else(|| first_closer(front, back));
    Legs {
        relays,
        changed,
        ended_by,
        verdict,
        reload: reload::closes(front, back),
    }
}

/// Links `front` (client → proxy) and `back` (proxy → backend), which `by` showed to be
/// two legs of one session, with what the two legs show together .
pub fn link(front: &mut ConnectionReport, back: &mut ConnectionReport, by: &LinkedBy) {
    let proxy = front.server.clone();
    let (fid, bid) = (front.id, back.id);
    // A front leg in a CONNECT tunnel: the CONNECT that named the back leg's target.
    let tunnel_by;
    let by = match (by, &front.tunnel) {
        (LinkedBy::KeyAndConnect { .. }, Some(t)) => {
            tunnel_by = LinkedBy::KeyAndConnect {
                connect: t.request_packet,
                target: t.target.clone(),
            };
            &tunnel_by
        }
        _ => by,
    };
    let judged = judge(front, back);
    let relayed: Vec<String> = judged.relays.iter().map(ToString::to_string).collect();
    for (r, side, other) in [
        (&mut *front, Side::Front, bid),
        (&mut *back, Side::Back, fid),
    ] {
        r.other_leg = Some(other);
        r.leg = Some(LegReport {
            side,
            other_leg: other,
            proxy: proxy.clone(),
            relayed: relayed.clone(),
            proxy_changed_close: judged.changed,
            ended_by: judged.ended_by.map(str::to_string),
            linked_by: by.name().to_string(),
            link_evidence: by.text(),
            connect: match by {
                LinkedBy::KeyAndConnect { connect, target } => Some((*connect, target.clone())),
                _ => None,
            },
        });
        judged.apply(r);
    }
}

impl Legs {
    /// Says on leg `r` what the two legs show: a code that came through the proxy is said
    /// with where it came from; a 1006 with the verdict, when there is one.
    pub fn apply(&self, r: &mut ConnectionReport) {
        if !self.relays.is_empty() && r.status.code.is_some() && !r.status.inferred {
            r.status.add(Cause::RelayedClose {
                relays: self.relays.clone(),
            });
        }
        if let (Some(c), Some(_), false) = (&self.reload, r.status.code, r.status.inferred) {
            r.status.add(c.clone());
        }
        if let (Some(v), Some(1006)) = (&self.verdict, r.status.code) {
            r.status.set_causes(vec![v.cause.clone()]);
            r.evidence = Some(Evidence::new(v.summary.clone(), v.packets.clone()));
        }
    }
}

/// One way a leg ended, and when.
#[derive(Debug, Clone)]
struct LegEnd {
    end: LegEnding,
    time: Timestamp,
    /// A TCP FIN that ended the leg's connection, carrying no HTTP/2 stream.
    fin: bool,
}

/// How a leg ended, in order: an HTTP/2 stream's endings (those that ended it) before
/// the TCP connection's, which ends every stream still open. The frames one side ended
/// the stream with in one packet are one ending, named together ("END_STREAM and an
/// RST_STREAM CANCEL": HAProxy sends both at once), so that none goes unsaid.
fn leg_ends(r: &ConnectionReport) -> Vec<LegEnd> {
    let mut ends: Vec<LegEnd> = Vec::new();
    for e in r.stream_ends.iter().filter(|e| e.ends_stream) {
        match ends.last_mut() {
            Some(last) if last.end.by == e.by && last.end.packet == e.packet => {
                let name = e.name();
                let _ = write!(last.end.name, " and {} {name}", article(&name));
            }
            _ => ends.push(LegEnd {
                end: LegEnding {
                    by: e.by,
                    name: e.name(),
                    packet: e.packet,
                    h2_stream: None,
                },
                time: e.time,
                fin: false,
            }),
        }
    }
    if let Some(s) = r.h2_stream {
        for e in &mut ends {
            let _ = write!(e.end.name, "{}{s}", proxy::ON_H2_STREAM);
            e.end.h2_stream = Some(s);
        }
    }
    let whole = if r.h2_stream.is_some() {
        " of the whole HTTP/2 connection"
    } else {
        ""
    };
    ends.extend(r.tcp_ends.iter().map(|e| LegEnd {
        end: LegEnding {
            by: e.by,
            name: format!("{}{whole}", e.kind.name()),
            packet: e.packet,
            h2_stream: None,
        },
        time: e.time,
        fin: e.kind == EndKind::Fin && r.h2_stream.is_none(),
    }));
    ends.sort_by_key(|e| (e.time, e.end.packet));
    ends
}

/// The last frame of a connection, either way: (packet, time).
fn last_frame(r: &ConnectionReport) -> Option<(u64, Timestamp)> {
    latest(r.frames.client.last_frame, r.frames.server.last_frame)
}

/// Milliseconds from `a` to `b`.
fn ms(a: Timestamp, b: Timestamp) -> f64 {
    (b.since(a) * 1000.0).max(0.0)
}

/// Who sent the earliest close frame of the two legs: "client", "backend" or "proxy".
fn first_closer(front: &ConnectionReport, back: &ConnectionReport) -> Option<&'static str> {
    let on = |r: &ConnectionReport, is_front: bool| {
        r.close_frames.first().map(|f| (f.time, is_front, f.from))
    };
    let earliest = match (on(front, true), on(back, false)) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }?;
    Some(match (earliest.1, earliest.2) {
        (true, Role::Client) => "client",
        (false, Role::Server) => "backend",
        _ => "proxy",
    })
}

/// Who ended the session, when neither application sent a close frame and the legs show
/// it: the proxy on both legs (an idle timeout), or one application whose end the proxy
/// passed on to the other leg.
fn ending(front: &ConnectionReport, back: &ConnectionReport) -> Option<Verdict> {
    if !front.close_frames.is_empty() || !back.close_frames.is_empty() {
        return None;
    }
    let (fe, be) = (leg_ends(front), leg_ends(back));
    let (f0, b0) = (fe.first()?.clone(), be.first()?.clone());
    let (fid, bid) = (front.id, back.id);
    // The proxy is the front leg's server and the back leg's client.
    if f0.end.by == Role::Server && b0.end.by == Role::Client {
        let first = if f0.time <= b0.time { &f0 } else { &b0 };
        let last_frame = latest(last_frame(front), last_frame(back));
        let since = last_frame.map_or(front.start.max(back.start), |(_, t)| t);
        let legs = BothLegs {
            front: fid,
            front_end: f0.end.clone(),
            back: bid,
            back_end: b0.end.clone(),
            quiet_ms: ms(since, first.time),
            last_frame_packet: last_frame.map(|(p, _)| p),
        };
        let mut packets = vec![f0.end.packet, b0.end.packet];
        packets.sort_unstable();
        // Configured timeouts are whole seconds nearly always: a spell that is not one
        // may as well be the moment the proxy was stopped, and one shorter than any
        // timeout, with both legs ended at once, is that moment.
        // A forward proxy's CONNECT tunnel ended by a FIN on both legs after a second or
        // more of quiet: its idle timeout (Squid's fires up to a second past its setting,
        // so its spells are seldom whole seconds).
        let tunnel = front.tunnel.as_ref().is_some_and(|t| t.opened());
        let fins = f0.fin && b0.fin;
        let (cause, summary) = if tunnel && fins && legs.quiet_ms >= 1000.0 {
            let proxy_product = front.tunnel.as_ref().and_then(|t| t.proxy_product.clone());
            let summary = proxy::tunnel_idle_summary(&legs, proxy_product.as_ref());
            (
                Cause::TunnelIdleTimeout {
                    legs,
                    proxy_product,
                },
                summary,
            )
        } else if whole_seconds(legs.quiet_ms / 1000.0).is_some() {
            let proxy_product = added_by_proxy(front, back);
            let summary = proxy::proxy_idle_summary(&legs, proxy_product.as_ref());
            (
                Cause::ProxyIdleTimeout {
                    legs,
                    proxy_product,
                },
                summary,
            )
        } else if let Some((cause, apart_ms)) = reload::ends(&legs, f0.time, b0.time) {
            (cause, proxy::reload_summary(&legs, apart_ms))
        } else {
            let summary = proxy::proxy_summary(&legs);
            (Cause::ProxyEndedBothLegs { legs }, summary)
        };
        return Some(Verdict {
            cause,
            summary,
            packets,
        });
    }
    // One application ended its leg; the proxy passed the end on to the other leg.
    let relayed = |app: &LegEnd, proxy_ends: &[LegEnd], proxy_role: Role| {
        proxy_ends
            .iter()
            .find(|e| e.end.by == proxy_role && e.time >= app.time)
            .cloned()
    };
    let (app_role, app, app_leg, p, other_leg) = if b0.end.by == Role::Server && b0.time <= f0.time
    {
        (
            Role::Server,
            b0.clone(),
            bid,
            relayed(&b0, &fe, Role::Server)?,
            fid,
        )
    } else if f0.end.by == Role::Client && f0.time <= b0.time {
        (
            Role::Client,
            f0.clone(),
            fid,
            relayed(&f0, &be, Role::Client)?,
            bid,
        )
    } else {
        return None;
    };
    let delay_ms = ms(app.time, p.time);
    // The proxy's own close_notify on the other leg, before its end there: the TLS closed
    // in order although the application's end was not.
    let (other, proxy_side) = if app_role == Role::Server {
        (front, Role::Server)
    } else {
        (back, Role::Client)
    };
    let close_notify = other
        .tls
        .as_ref()
        .and_then(|t| match proxy_side {
            Role::Server => t.close_notify.server,
            Role::Client => t.close_notify.client,
        })
        .filter(|&n| n <= p.end.packet);
    let summary =
        proxy::relayed_end_summary(app_role, app_leg, &app.end, &p.end, other_leg, delay_ms);
    let packets = vec![
        app.end.packet.min(p.end.packet),
        app.end.packet.max(p.end.packet),
    ];
    Some(Verdict {
        cause: Cause::RelayedEnd {
            app: app_role,
            app_leg,
            app_end: app.end,
            proxy_end: p.end,
            other_leg,
            delay_ms,
            close_notify,
        },
        summary,
        packets,
    })
}

/// The proxy product the front leg's 101 names and the back leg's does not: a header the
/// proxy added (nginx replaces the backend's `Server` with its own; Caddy adds its own
/// beside it), so it names the proxy, not the backend. One both carry is the backend's,
/// passed on. Failing that, the product the back leg's request names and the front leg's
/// does not: the proxy's mark on the request it sent the backend (Varnish's `X-Varnish`,
/// which it puts there and not on the 101 it pipes back; its [`Header`] is
/// `XVarnish`, which no answer is read for).
///
/// [`Header`]: crate::vocab::Header
pub(crate) fn added_by_proxy(
    front: &ConnectionReport,
    back: &ConnectionReport,
) -> Option<crate::vocab::ProxyProduct> {
    let added = |named: &Option<crate::vocab::ProxyProduct>,
                 other: &Option<crate::vocab::ProxyProduct>| {
        let named = named.clone()?;
        let passed_on = other.as_ref().is_some_and(|o| o.product == named.product);
        (!passed_on).then_some(named)
    };
    added(
        &front.handshake.proxy_product,
        &back.handshake.proxy_product,
    )
    .or_else(|| {
        added(
            &back.handshake.request_proxy_product,
            &front.handshake.request_proxy_product,
        )
    })
}

/// The close frames each leg carried, matched with the other leg's: which were relayed
/// (unchanged or changed) to a frame after them, which the proxy sent on its own, which
/// answered those, and which the proxy answered itself or never passed on.
fn relays(front: &ConnectionReport, back: &ConnectionReport) -> (Vec<Relay>, bool) {
    let mut notes: Vec<(i64, Relay)> = Vec::new();
    let mut changed = false;
    let (own_front, own_back) = reload::own_closes(front, back);
    // The frames of one role on both legs: a client's close goes front → back, a
    // backend's back → front; on the other leg the proxy sends them in the same role,
    // after them, unless it sent one on its own (`own_to`), which relays nothing.
    for (role, from_leg, to_leg, own_from, own_to) in [
        (Role::Client, front, back, own_front, own_back),
        (Role::Server, back, front, own_back, own_front),
    ] {
        let is_own = |p: u64| own_to.is_some_and(|o| o.packet == p);
        // Legs at two points: their packet numbers are two captures'.
        let across = from_leg.input != to_leg.input;
        let got: Vec<_> = to_leg
            .close_frames
            .iter()
            .filter(|f| f.from == role && !is_own(f.packet))
            .collect();
        let mut next = 0;
        let mut matched = Vec::new();
        for f in from_leg.close_frames.iter().filter(|f| f.from == role) {
            let mut relay = Relay {
                how: RelayHow::Unchanged,
                role,
                code: f.code,
                connection: from_leg.id,
                packet: f.packet,
                to_connection: to_leg.id,
                to_code: None,
                to_packet: None,
                gap_packet: None,
            };
            // Its byte-for-byte copy ([`reload::same_bytes`]) when the proxy passed it on
            // so, else the next frame of its role after it.
            let found = got
                .iter()
                .enumerate()
                .skip(next)
                .find(|(_, g)| reload::same_bytes(g, f) && reload::later(g, f, across))
                .or_else(|| {
                    got.iter()
                        .enumerate()
                        .skip(next)
                        .find(|(_, g)| reload::later(g, f, across) && g.time >= f.time)
                });
            // Not found where the other leg's frames of its role were not all decoded, or
            // go on past the capture's end: it may have been relayed in the bytes missing
            // there, or after the end, so that is unknown.
            let decoded = *to_leg.decoded_to_end.of(role);
            if found.is_none() && (!decoded || open_at_end(to_leg, role)) {
                relay.how = RelayHow::Unknown;
                relay.gap_packet = if decoded { None } else { gap_at(to_leg, role) };
                notes.push((f.time.0, relay));
                continue;
            }
            match found {
                Some((k, g)) => {
                    next = k + 1;
                    matched.push(g.packet);
                    if g.code != f.code || g.reason != f.reason {
                        changed = true;
                        relay.how = RelayHow::Changed;
                    }
                    relay.to_code = g.code;
                    relay.to_packet = Some(g.packet);
                }
                None => match own_from.filter(|o| o.packet < f.packet) {
                    // The application answered the proxy's own close on its leg.
                    Some(o) => {
                        relay.how = RelayHow::AnswersProxy;
                        relay.to_connection = from_leg.id;
                        relay.to_code = o.code;
                        relay.to_packet = Some(o.packet);
                    }
                    None => {
                        // Answered on its own leg by the proxy, with nothing passed on? The
                        // proxy's first close frame there came after it (a second one, or
                        // its own after relaying another, answers nothing).
                        let answered = from_leg
                            .close_frames
                            .iter()
                            .find(|g| g.from != role)
                            .is_some_and(|g| g.packet > f.packet);
                        changed |= answered;
                        relay.how = if answered {
                            RelayHow::AnsweredByProxy
                        } else {
                            RelayHow::NotPassedOn
                        };
                    }
                },
            }
            notes.push((f.time.0, relay));
        }
        // The proxy's frames of this role that relay nothing seen, where the other leg's
        // frames of the role were not all decoded: each is its own or a relay of a frame
        // in the bytes missing there (`reload::own_closes` names none its own), unknown.
        if !*from_leg.decoded_to_end.of(role) {
            let gap_packet = gap_at(from_leg, role);
            for g in got.iter().filter(|g| !matched.contains(&g.packet)) {
                notes.push((
                    g.time.0,
                    Relay {
                        how: RelayHow::OriginUnknown,
                        role: role.peer(),
                        code: g.code,
                        connection: to_leg.id,
                        packet: g.packet,
                        to_connection: from_leg.id,
                        to_code: None,
                        to_packet: None,
                        gap_packet,
                    },
                ));
            }
        }
    }
    for (leg, own, to) in [
        (front, own_front, Role::Client),
        (back, own_back, Role::Server),
    ] {
        if let Some(f) = own {
            changed = true;
            notes.push((
                f.time.0,
                Relay {
                    how: RelayHow::ProxyOwn,
                    role: to,
                    code: f.code,
                    connection: leg.id,
                    packet: f.packet,
                    to_connection: leg.id,
                    to_code: None,
                    to_packet: None,
                    gap_packet: None,
                },
            ));
        }
    }
    notes.sort_by_key(|n| n.0);
    (notes.into_iter().map(|n| n.1).collect(), changed)
}

/// The packet where the frames `role` sent on leg `c` stop being decoded: its out-of-sync
/// finding's (bytes missing where a frame header was due), else its first gap's; `None`
/// when the direction was not captured at all or the finding was dropped at the cap.
fn gap_at(c: &ConnectionReport, role: Role) -> Option<u64> {
    let first = |kind: Kind| {
        c.findings
            .iter()
            .filter(|f| f.kind == kind && f.from == Some(role))
            .filter_map(|f| f.packet)
            .min()
    };
    first(Kind::OutOfSync).or_else(|| first(Kind::Gap))
}

/// Whether the frames `role` sends on leg `c` may go on past the capture's end: it sent no
/// close frame there (a side sends nothing after its close frame, RFC 6455 §5.5.1), and
/// neither its FIN or END_STREAM nor an RST or RST_STREAM ended that direction.
fn open_at_end(c: &ConnectionReport, role: Role) -> bool {
    !c.close_frames.iter().any(|g| g.from == role)
        && !c
            .tcp_ends
            .iter()
            .any(|e| e.by == role || e.kind == EndKind::Rst)
        && !c
            .stream_ends
            .iter()
            .any(|e| e.ends_stream && (e.by == role || e.kind != StreamEndName::EndStream))
}

/// How many of `encrypted` (TLS connections listed as not decrypted) the plaintext
/// WebSocket `c`, linked to no other leg, may be the back leg of: its Host header names
/// their server (its address and port, or its SNI and port, 443 when the Host has no
/// port), not `c`'s own, in the same input, and they were open when `c` began. A
/// TLS-terminating proxy passes the client's Host on to its backend (HAProxy as it is,
/// nginx with `proxy_set_header Host $host`), so the back leg names the proxy while it
/// goes to another address; the client's leg is one of those encrypted connections, which
/// the client's key log would read and link.
pub fn encrypted_fronts(c: &ConnectionReport, encrypted: &[EncryptedReport]) -> usize {
    if c.leg.is_some() || c.tls.is_some() || c.h2_stream.is_some() {
        return 0;
    }
    let Some(host) = c.handshake.host.as_deref() else {
        return 0;
    };
    let host = host.trim().to_ascii_lowercase();
    let own = c.server.to_string();
    if host.is_empty() || host == own {
        return 0;
    }
    // "name:port", or "name" (443 for wss://); "[v6]:port" and "[v6]" too.
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (n, p),
        _ => (host.as_str(), "443"),
    };
    encrypted
        .iter()
        .filter(|e| {
            let server = e.server.to_string();
            let server_port = server.rsplit(':').next().unwrap_or_default();
            e.input == c.input
                && e.tls.not_decrypted.is_some()
                && e.first_packet < c.first_packet
                && e.last_packet > c.first_packet
                && (host == server
                    || (port == server_port
                        && e.tls
                            .sni
                            .as_deref()
                            .is_some_and(|s| s.eq_ignore_ascii_case(name))))
        })
        .count()
}

/// Says in the cause of `c` that it is most likely a TLS-terminating proxy's back leg whose
/// client's leg is encrypted, when its Host names the server of encrypted connections
/// ([`encrypted_fronts`]): its "client" is then the proxy, not the browser. No address is
/// written (the sentence stays as it is under `--redact`).
pub fn mark_behind_encrypted(c: &mut ConnectionReport, encrypted: &[EncryptedReport]) {
    let n = encrypted_fronts(c, encrypted);
    if n > 0 {
        c.status.add(Cause::BehindTlsProxy {
            candidates: n as u64,
        });
    }
}
