//! One WebSocket session diagnosed: everything its report says of why it ended.
//!
//! In: a finished TCP connection (`stack::tcp::connection::Connection`), one of its
//! sessions (`websocket::session::Session`), the session's close frames in delivery order,
//! its findings and its TLS report. Out: a [`Diagnosis`]: the status (its causes: the close
//! frames or the ending, the quiet spell before a 1006, what TLS shows, the other frames
//! that ended an HTTP/2 stream, an RST after a FIN), the evidence, the status each side saw,
//! the closing handshake (RFC 6455 §7.1.1-§7.1.5, §7.4.1) and which directions were decoded
//! to their end.

use super::evidence::{self, Facts};
use super::idle::{self, Idle};
use super::latest;
use super::status::{self, Missing};
use crate::flow::Side;
use crate::report::cause::{Cause, Ending, OpcodeName, PeerSent, PeerSentWhat, StreamFrame};
use crate::report::cause::{End, EndHow};
use crate::report::tls::TlsReport;
use crate::report::words::evidence as words;
use crate::report::Evidence;
use crate::report::{CloseHandshake, Status};
use crate::stack::tcp::connection::Connection;
use crate::stack::tls::layer::TlsFacts;
use crate::vocab::CloseFrame;
use crate::vocab::{EndKind, Finding, Kind, PerSide, Role, Timestamp};
use crate::websocket::session::Session;

/// What a session's report says of its ending.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// How it ended and why.
    pub status: Status,
    /// What in the capture explains the status (or contradicts it).
    pub evidence: Option<Evidence>,
    /// The status each application saw (none for a refused upgrade).
    pub seen_by: PerSide<Option<u16>>,
    /// The closing handshake, when a close frame was sent.
    pub close_handshake: Option<CloseHandshake>,
    /// Seconds from the last WebSocket frame (either way) to the first ending, to the ms.
    pub idle_before_end_s: Option<f64>,
    /// Whether each direction's frames were followed to its end.
    pub decoded_to_end: PerSide<bool>,
}

/// A CONNECT the forward proxy refused (RFC 9110 §9.3.6): no tunnel, no WebSocket, no
/// status any application saw; the evidence is the proxy's answer.
fn tunnel_refused(c: &Connection) -> Option<Diagnosis> {
    let t = c.up.tunnel().filter(|t| t.refused())?;
    let (status, packet) = (t.status?, t.response_packet?);
    let evidence = Evidence::new(
        words::tunnel_refused(t.request_packet, status, packet),
        vec![t.request_packet, packet],
    );
    Some(Diagnosis {
        status: Status::unsaid(vec![Cause::TunnelRefused {
            http_status: status,
            packet,
            proxy_product: t.proxy.clone(),
        }]),
        evidence: Some(evidence),
        seen_by: PerSide {
            client: None,
            server: None,
        },
        close_handshake: None,
        idle_before_end_s: None,
        decoded_to_end: PerSide {
            client: true,
            server: true,
        },
    })
}

/// The first close_notify of TLS connection `c` (facts `f`) as an ending, if it came
/// before `tcp_first`, the first TCP ending (or there is none).
fn close_notify_first(f: &TlsFacts, c: &Connection, tcp_first: Option<&End>) -> Option<End> {
    let client = c.client_side();
    [
        (client, f.close_notify.0, f.close_notify_at.0),
        (client.other(), f.close_notify.1, f.close_notify_at.1),
    ]
    .into_iter()
    .filter_map(|(s, packet, at)| {
        let (ts, order) = at?;
        Some(End {
            by: c.role(s),
            how: EndHow::CloseNotify,
            packet: packet?,
            ts,
            order,
        })
    })
    .min_by_key(|e| e.order)
    .filter(|e| tcp_first.is_none_or(|t| e.order < t.order))
}

/// Diagnoses session `w` of finished connection `c`: `closes` are its close frames in
/// delivery order, `findings` the connection's and the session's by packet, `tls_facts`
/// and `tls` what its TLS layer saw and its report, when TLS carried it.
pub fn diagnose(
    c: &Connection,
    w: &Session,
    closes: &[&CloseFrame],
    findings: &[Finding],
    tls_facts: Option<&TlsFacts>,
    tls: Option<&TlsReport>,
) -> Diagnosis {
    if let Some(d) = tunnel_refused(c) {
        return d;
    }
    let client_side = c.client_side();
    let server_side = client_side.other();
    let (cs, ss) = (w.stats(client_side), w.stats(server_side));
    let sent = PerSide {
        client: &cs,
        server: &ss,
    };
    // Close frames no application read (never acknowledged, or answered by a host that
    // no longer had the connection) set no status: the frames below are the others.
    let all_closes = closes;
    let unread = match w.transport.h2_stream {
        None => super::delivery::unread_closes(c, all_closes, sent),
        Some(_) => Vec::new(),
    };
    let read: Vec<&CloseFrame> = all_closes
        .iter()
        .copied()
        .filter(|f| !unread.iter().any(|(p, _)| *p == f.packet))
        .collect();
    let closes: &[&CloseFrame] = &read;
    // Each side's first ending, and an RST it sent after its FIN: that RST cuts what
    // the side could still read (both ways, as any RST does).
    let mut tcp_ends: Vec<End> = Side::BOTH
        .into_iter()
        .filter_map(|s| c.ends[s].as_deref().map(|&e| (c.role(s), e)))
        .flat_map(|(by, e)| {
            let first = End::tcp(by, e.kind, e.packet, e.ts, e.order);
            let rst = e
                .then_rst
                .map(|r| End::tcp(by, EndKind::Rst, r.packet, r.ts, r.order));
            std::iter::once(first).chain(rst)
        })
        .collect();
    tcp_ends.sort_by_key(|e| e.order);
    // What ended the session's carrier: TCP, and over HTTP/2 its own stream as well.
    let mut ends = tcp_ends.clone();
    ends.extend(
        w.stream_ends()
            .iter()
            .filter(|e| e.ends_stream())
            .map(|e| End {
                by: c.role(e.by),
                how: EndHow::Stream {
                    stream: e.stream,
                    kind: e.kind,
                },
                packet: e.packet,
                ts: e.ts,
                order: e.order,
            }),
    );
    // Over TLS, a close_notify sent before either side ended TCP, on a session with no
    // close frame, is where it ended: the sender closed on purpose, and the peer's FIN
    // or RST that follows is its answer (a browser ends TCP at once on close_notify).
    let close_notify_end = tls_facts
        .filter(|_| closes.is_empty() && w.transport.h2_stream.is_none())
        .and_then(|f| close_notify_first(f, c, tcp_ends.first()));
    ends.extend(close_notify_end);
    ends.sort_by_key(|e| e.order);
    let http_status = w.upgrade_status();
    let upgraded = http_status == Some(101) || w.decoder(server_side).is_some();
    // A direction whose frames could not be followed to its end: its decoder lost the
    // frame boundaries at a gap, or it never got a decoder and has a gap (one in the
    // handshake stops it there). A gap inside a payload of known length keeps the
    // decoder in step: a later close frame would still be seen.
    // A direction of which the capture holds no packet at all, while the other side's
    // acknowledgements of it moved forward (it sent bytes the capture does not hold: a
    // capture filter or tap of one direction): lost whole. A side that sent nothing (a
    // server that never answered, a connection evicted early) is no such direction.
    let unseen =
        |s: Side| !c.tcp[s].seen_any() && c.tcp[s.other()].seen_any() && c.path[s].acks_moved();
    let one_direction = match (unseen(client_side), unseen(server_side)) {
        (true, false) => Some(Role::Server),
        (false, true) => Some(Role::Client),
        _ => None,
    };
    let lost = |s: Side| {
        unseen(s)
            || match w.decoder(s) {
                Some(d) => d.out_of_sync.is_some(),
                None => c.tcp[s].counters.gaps > 0,
            }
    };
    // Where a lost direction's frames stop: its decoder's out-of-sync point, or (no
    // decoder) its first gap; unknown if that finding was dropped at the cap.
    let stop = |s: Side| {
        let kind = if w.decoder(s).is_some() {
            Kind::OutOfSync
        } else {
            Kind::Gap
        };
        let role = c.role(s);
        findings
            .iter()
            .filter(|f| f.kind == kind && f.from == Some(role))
            .filter_map(|f| f.packet)
            .min()
    };
    let (lost_client, lost_server) = (lost(client_side), lost(server_side));
    let missing = Missing {
        lost: PerSide {
            client: lost_client,
            server: lost_server,
        },
        stops: PerSide {
            client: lost_client.then(|| stop(client_side)).flatten(),
            server: lost_server.then(|| stop(server_side)).flatten(),
        },
        gaps: c.has_gaps(),
    };
    let mut causes = match (http_status.filter(|&s| s != 101), w.transport.h2_stream) {
        (Some(code), Some(_)) => vec![status::refused(code, true)],
        _ => status::causes(closes, &ends, http_status, upgraded, missing),
    };
    // A refusal's body is the server's own reason.
    if let Some(Cause::UpgradeRefused { body, .. }) = causes.first_mut() {
        body.clone_from(&w.handshake.refusal_body);
    }
    // The first close frame, answered by a host that no longer had the connection: no
    // application read it.
    if let (false, Some(Cause::NoCloseFrame { .. })) = (unread.is_empty(), causes.first()) {
        causes.splice(0..1, unread.iter().map(|(_, cause)| cause.clone()));
    }
    // A 101 whose Sec-WebSocket-Accept does not answer the key, and not a frame from the
    // client after it: a conforming client failed the connection there (RFC 6455 §4.1),
    // so the handshake finding is why it ended, and the ending that follows its answer.
    if let (Some(Cause::NoCloseFrame { .. }), Some(false), Some(packet), 0) = (
        causes.first(),
        w.handshake.accept_valid(),
        w.handshake.response_packet,
        cs.frames,
    ) {
        causes.insert(0, Cause::AcceptMismatch { packet });
    }
    // Another rule of the 101 a conforming client fails the connection on (RFC 6455 §4.1),
    // the same way.
    if let (Some(Cause::NoCloseFrame { .. }), Some(fault), Some(packet), 0) = (
        causes.first(),
        w.handshake.fault,
        w.handshake.response_packet,
        cs.frames,
    ) {
        causes.insert(0, Cause::HandshakeFault { fault, packet });
    }
    let code = causes
        .first()
        .and_then(|c| crate::report::words::head(c).code);
    let last_frame = latest(cs.last_frame, ss.last_frame);
    // The quiet spell before the first ending, unless a frame came after that ending:
    // only each side's last frame is known, so the last one before the ending is not,
    // and a spell measured from a later frame would read as none.
    let idle = ends
        .first()
        .filter(|end| last_frame.is_none_or(|(p, _)| p <= end.packet))
        .map(|end| {
            // From the session's own start (an HTTP/2 stream's HEADERS, not its
            // connection's first packet) when it carried no frame.
            let opened = w.span(c.first_ts, c.last_ts).0;
            let since = last_frame.map_or(opened, |(_, t)| t);
            Idle {
                seconds: end.ts.since(since).max(0.0),
                how: end.how,
                end_packet: end.packet,
                last_frame_packet: last_frame.map(|(p, _)| p),
                last_ping_packet: latest(cs.last_ping, ss.last_ping).map(|(p, _)| p),
                last_pong_packet: latest(cs.last_pong, ss.last_pong).map(|(p, _)| p),
                ended_by: end.by,
                lasted_s: end.ts.since(opened).max(0.0),
                unanswered: idle::unanswered(end.by, sent, end.packet, end.ts),
            }
        });
    let path_causes: Vec<Cause> = super::delivery::unacknowledged(c, all_closes, sent)
        .into_iter()
        .chain(super::delivery::keepalives(c))
        .chain(super::delivery::foreign_resets(c))
        .collect();
    causes.extend(path_causes.iter().cloned());
    // A heartbeat that gave up, said before the quiet spell it explains.
    if upgraded && http_status.is_none_or(|s| s == 101) {
        causes.extend(super::heartbeat::cause(
            closes.iter().copied().find(|c| !c.rejected()),
            ends.first(),
            &w.handshake,
            PerSide {
                client: &w.controls(client_side),
                server: &w.controls(server_side),
            },
            PerSide {
                client: missing.stops.client.or(missing.lost.client.then_some(0)),
                server: missing.stops.server.or(missing.lost.server.then_some(0)),
            },
        ));
    }
    queued_behind_window(&mut causes);
    // A side whose regular pings stopped, when the other side or the capture's end came
    // at least two pings later; not a side whose last ping is data of its own never
    // acknowledged (or after it): its pings did not stop, the later ones waited behind it
    // while its kernel retransmitted (a peer gone, seen from the side still sending).
    let queued = |role: Role, last_ping: u64| {
        path_causes.iter().any(|k| match k {
            Cause::Unacknowledged {
                from, first_packet, ..
            }
            | Cause::MtuBlackHole {
                from, first_packet, ..
            } => *from == role && *first_packet <= last_ping,
            _ => false,
        })
    };
    if upgraded {
        for s in Side::BOTH {
            let role = c.role(s);
            let end = ends.first().filter(|e| e.by != role);
            // A side that ended first sent nothing more, and its pings stopping is its own
            // ending; one whose pings stopped and that ended TCP only after the other side
            // ended still stopped first (a live client, its library or its kernel, answers
            // the server's FIN or close): the same for WebSocket pings and application
            // heartbeats.
            let ended = ends.first().is_none_or(|e| e.by == role) && c.ends[s].is_some();
            let stopped = |marks: &crate::app::Recent, message_bytes: Option<u64>| {
                super::heartbeat::stopped(
                    role,
                    (marks, message_bytes),
                    sent.of(role).last_frame.map(|(p, _)| p),
                    ended,
                    lost(s) || c.tcp[s].counters.gaps > 0,
                    end.map_or(c.last_ts, |e| e.ts),
                    end.map(|e| Ending {
                        by: e.by,
                        how: e.how,
                        packet: e.packet,
                    }),
                )
            };
            // WebSocket pings; else, where no application protocol was recognized, the
            // short message the side sent most often again (its application's heartbeat).
            let stopped = stopped(&w.controls(s).pings, None).or_else(|| {
                let beats = w.app.is_none().then(|| w.decoder(s)).flatten()?;
                let (bytes, marks) = beats.last_words.beats()?;
                stopped(marks, Some(bytes))
            });
            causes.extend(stopped.filter(|p| match p {
                Cause::PingsStopped { last_ping, .. } => !queued(role, *last_ping),
                _ => true,
            }));
        }
    }
    // A heartbeat carried as messages whose answers stopped (any protocol: `beats`).
    if upgraded {
        let first = super::beats::first(
            closes
                .iter()
                .find(|f| !f.rejected())
                .map(|f| (f.from, f.code, f.packet, f.time)),
            ends.first().map(|e| (e.by, e.packet, e.ts)),
        );
        super::beats::add(&mut causes, first, |s| {
            let (bytes, marks) = w.decoder(s)?.last_words.beats()?;
            let lost = lost(s) || c.tcp[s].counters.gaps > 0;
            Some(super::beats::Beats {
                from: c.role(s),
                bytes,
                marks,
                lost,
            })
        });
    }
    causes.extend(gateway_idle_close(&causes, closes, &w.handshake, sent));
    causes.extend(gateway_frames(
        closes,
        &w.handshake,
        &w.controls(server_side),
        ss.pings,
    ));
    if let (Some(idle), Some(1006)) = (&idle, code) {
        causes.extend(idle::causes(idle));
    }
    // What TLS says of how TCP ended explains a 1006 that TCP's ending (or a
    // close_notify before it) gave, not one an HTTP/2 stream's own ending gave.
    let tcp_ended_it = ends
        .first()
        .is_none_or(|e| matches!(e.how, EndHow::Tcp(_) | EndHow::CloseNotify));
    if let (Some(t), true, Some(1006)) = (tls, tcp_ended_it, code) {
        causes.extend(super::tls::cause(
            t,
            c.first_end().map(|(by, e)| (by, e.kind, e.packet)),
            close_notify_end.map(|e| (e.by, e.packet)),
        ));
    }
    let first_end = ends.first().copied();
    let mut evidence = evidence::evidence(
        code,
        &Facts {
            first_close: closes.iter().copied().find(|c| !c.rejected()),
            refused_close: closes.iter().copied().find(|c| c.rejected()),
            findings,
            sent,
            first_end,
            idle,
            missing: missing.any(),
        },
    );
    // The handshake that made the client fail the connection leads what the capture shows.
    if let (Some(Cause::AcceptMismatch { packet }), Some(ev)) = (causes.first(), &mut evidence) {
        ev.lead(words::accept_mismatch(*packet), *packet);
    }
    if let (Some(Cause::HandshakeFault { fault, packet }), Some(ev)) =
        (causes.first(), &mut evidence)
    {
        ev.lead(words::handshake_fault(*fault, *packet), *packet);
    }
    if let (Some(ev), None) = (&mut evidence, one_direction) {
        for (clause, packets) in path_causes.iter().filter_map(Cause::evidence) {
            ev.add(format_args!("; {clause}"), packets);
        }
    }
    // A status whose own evidence has nothing to say (a close frame's code, a connection
    // still open at the end): what the path showed is the evidence, where it showed
    // something (the side of a half-open connection that keeps sending; a heartbeat that
    // timed out behind a black hole, closing with 1000).
    if let (None, None) = (&evidence, one_direction) {
        let mut clauses = path_causes.iter().filter_map(Cause::evidence);
        if let Some((first, packets)) = clauses.next() {
            let mut ev = Evidence::new(first, packets);
            for (clause, packets) in clauses {
                ev.add(format_args!("; {clause}"), packets);
            }
            evidence = Some(ev);
        }
    }
    if let (Some(stream), Some(1006)) = (w.transport.h2_stream, code) {
        // The frame the status already names (the first ending, when it is the
        // stream's) is not named twice; the cause and the evidence both name every other
        // frame that ended (or announced the end of) the stream: a RST_STREAM after an
        // END_STREAM, a GOAWAY before the FIN.
        let others: Vec<_> = w
            .stream_ends()
            .iter()
            .filter(|e| first_end.is_none_or(|f| f.order != e.order))
            .collect();
        if !others.is_empty() {
            let endings: Vec<Ending> = others
                .iter()
                .map(|e| Ending {
                    by: c.role(e.by),
                    how: EndHow::Stream {
                        stream: e.stream,
                        kind: e.kind,
                    },
                    packet: e.packet,
                })
                .collect();
            if let Some(ev) = &mut evidence {
                ev.push(
                    words::stream_frames(stream, &endings),
                    endings.iter().map(|e| e.packet),
                );
            }
            causes.push(Cause::StreamEndings { stream, endings });
        }
    }
    // A side that reset TCP after its own FIN: its RST is named too, after the peer's
    // last frame that came between the two, if any. Not for an HTTP/2 stream that its
    // own frames ended first: how TCP ended later is not its story.
    for fin in tcp_ends
        .iter()
        .filter(|e| tcp_ended_it && e.how == EndHow::Tcp(EndKind::Fin))
    {
        let Some(rst) = tcp_ends
            .iter()
            .find(|e| e.by == fin.by && e.how == EndHow::Tcp(EndKind::Rst))
        else {
            continue;
        };
        let after = peer_between(c, w, closes, tls_facts, sent, fin, rst);
        if let Some(ev) = &mut evidence {
            ev.push(words::rst_after_fin(fin.by, rst.packet), [rst.packet]);
        }
        causes.push(Cause::RstAfterFin {
            by: fin.by,
            fin_packet: fin.packet,
            rst_packet: rst.packet,
            after,
        });
    }
    // A closing handshake that TCP's end cut short, read from who ended it and how.
    causes.extend(super::closing::cause(
        &causes,
        closes,
        &tcp_ends,
        missing.any(),
    ));
    // The TCP ending that answered a close_notify is named after it.
    if let (Some(_), Some(tcp), Some(ev)) = (close_notify_end, tcp_ends.first(), &mut evidence) {
        ev.push(words::then_end(tcp), [tcp.packet]);
    }
    // The first close frame's reason, when its code leaves the why to it, read for the kind
    // of cause its words name (a heartbeat timeout already said stands for itself).
    if let Some(Cause::Closed { .. }) = causes.first() {
        if !causes
            .iter()
            .any(|c| matches!(c, Cause::HeartbeatTimeout { .. }))
        {
            let first = closes.iter().copied().find(|c| !c.rejected());
            causes.extend(first.and_then(super::reason::cause));
        }
    }
    // A session ended without a close frame: whose software ended it, read from the
    // capture, where nothing above named what happened.
    if code == Some(1006) {
        let unacked = Side::BOTH.into_iter().find_map(|s| {
            let st = c.path[s].unacknowledged(1)?;
            Some(crate::report::cause::StillUnacked {
                from: c.role(s),
                packet: st.first_packet,
                retransmissions: st.retransmissions,
            })
        });
        let abrupt = super::ending::cause(&causes, idle.as_ref(), unacked);
        causes.extend(abrupt);
    }
    let unacked = super::views::unacked(&causes);
    let seen_at = super::views::seen_at(c, unacked, client_side, sent);
    let before_break = seen_at
        .is_none()
        .then(|| super::views::seen_before_break(c, unacked, client_side, sent))
        .flatten();
    // (Its clause on the evidence line: the side of the break, for every format.)
    if let (Some(ev), None, Some((clause, packets))) = (
        &mut evidence,
        one_direction,
        before_break.as_ref().and_then(Cause::evidence),
    ) {
        ev.add(format_args!("; {clause}"), packets);
    }
    causes.extend(seen_at.into_iter().chain(before_break));
    // One direction captured: the first close frame on the wire may be the unseen side's,
    // and what rests on the unseen direction (its answers, its acknowledgements, its
    // silence) is withheld; what the captured side sent is kept. Where the captured side's
    // own close frame is on the wire, it is the only one the unseen side's application can
    // have received: its code is the status that side saw, reported with the unseen side's
    // reply marked as not captured (issue 82 item 6); otherwise the status is unknown.
    if let Some(seen) = one_direction {
        let seen_side = if seen == c.role(client_side) {
            client_side
        } else {
            server_side
        };
        let close_packet = match causes.first() {
            Some(Cause::Closed { from, packet, .. } | Cause::EmptyClose { from, packet })
                if *from == seen
                    && sent.of(seen).last_frame.map(|(p, _)| p) == Some(*packet)
                    && sent_after(c, seen_side) =>
            {
                Some(*packet)
            }
            _ => None,
        };
        causes.retain(|c| {
            matches!(
                c,
                Cause::Closed { .. }
                    | Cause::EmptyClose { .. }
                    | Cause::CodeNotCaptured { .. }
                    | Cause::NoCloseFrame { .. }
                    | Cause::InvalidCloseFrame { .. }
                    | Cause::UpgradeRefused { .. }
            )
        });
        causes.insert(0, Cause::OneDirection { seen, close_packet });
        causes.extend(super::views::one_direction_resent(c, seen, seen_side));
    }
    // A refused upgrade never became a WebSocket: no application saw a close status.
    let seen_by = if http_status.is_some_and(|s| s != 101) {
        PerSide {
            client: None,
            server: None,
        }
    } else {
        PerSide {
            client: status::seen_by(Role::Client, closes, &ends, missing),
            server: status::seen_by(Role::Server, closes, &ends, missing),
        }
    };
    Diagnosis {
        status: Status::unsaid(causes),
        evidence,
        seen_by,
        close_handshake: status::close_handshake(closes, &ends, missing),
        idle_before_end_s: idle.map(|i| (i.seconds * 1000.0).round() / 1000.0),
        decoded_to_end: PerSide {
            client: !lost_client,
            server: !lost_server,
        },
    }
}

/// Whether, in a capture of side `seen` only, the other side sent data after `seen`'s last
/// data (its close frame): the other direction's bytes `seen` acknowledged at the end run
/// at least 2 past what its last segment with payload acknowledged (a FIN takes one
/// sequence number, a close frame at least 2 bytes). An endpoint sends no data after its
/// own close frame (RFC 6455 §5.5.1), so the other side had not closed when `seen`'s close
/// frame left: it was the first, the closing side's own (its reply is among those bytes).
/// An echo of a close the other side sent first is followed by nothing but its FIN.
fn sent_after(c: &Connection, seen: Side) -> bool {
    let (Some(at_close), Some(end)) =
        (c.path[seen].payload_ack(), c.path[seen.other()].acked_end())
    else {
        return false;
    };
    let after = end.wrapping_sub(at_close);
    (2..1 << 30).contains(&after)
}

/// What the peer of a side that reset TCP after its FIN sent between the two that the
/// capture shows: its last WebSocket frame, its TLS close_notify, its last HTTP/2 stream
/// ending; the latest of them, with the time from it to the RST.
fn peer_between(
    c: &Connection,
    w: &Session,
    closes: &[&CloseFrame],
    tls: Option<&TlsFacts>,
    sent: PerSide<&crate::vocab::Stats>,
    fin: &End,
    rst: &End,
) -> Option<PeerSent> {
    let peer = fin.by.peer();
    let theirs = *sent.of(peer);
    let between = |p: u64| p > fin.packet && p <= rst.packet;
    let mut seen: Vec<(u64, Timestamp, PeerSentWhat)> = Vec::new();
    if let Some((p, at)) = theirs.last_frame.filter(|&(p, _)| between(p)) {
        let what = if closes.iter().any(|f| f.from == peer && f.packet == p) {
            PeerSentWhat::CloseFrame
        } else {
            match theirs.last_message {
                Some((opcode, size, mp)) if mp == p => PeerSentWhat::Message {
                    opcode: OpcodeName(opcode),
                    size,
                },
                _ => PeerSentWhat::Frame,
            }
        };
        seen.push((p, at, what));
    }
    if let Some(f) = tls {
        let (packet, at) = match peer {
            Role::Client => (f.close_notify.0, f.close_notify_at.0),
            Role::Server => (f.close_notify.1, f.close_notify_at.1),
        };
        if let (Some(p), Some((at, _))) = (packet.filter(|&p| between(p)), at) {
            seen.push((p, at, PeerSentWhat::CloseNotify));
        }
    }
    if let Some(e) = w
        .stream_ends()
        .iter()
        .filter(|e| c.role(e.by) == peer && between(e.packet))
        .max_by_key(|e| e.order)
    {
        seen.push((
            e.packet,
            e.ts,
            PeerSentWhat::StreamEnd {
                frame: StreamFrame(e.kind),
            },
        ));
    }
    seen.into_iter()
        .max_by_key(|(p, at, _)| (*p, *at))
        .map(|(packet, at, what)| PeerSent {
            what,
            packet,
            seconds: rst.ts.since(at).max(0.0),
        })
}

/// A heartbeat's ping that came only with the bytes queued behind a reader's closed window
/// (after its window update, when the pinging side's end was queued there too): when it
/// was sent is not in the capture, so how long the heartbeat waited is not said.
fn queued_behind_window(causes: &mut [Cause]) {
    let Some((reader, reopened)) = causes.iter().find_map(|c| match c {
        Cause::StoppedReading {
            reader,
            reopened: Some(r),
            end_after_s: Some(_),
            ..
        } => Some((*reader, *r)),
        _ => None,
    }) else {
        return;
    };
    for c in causes.iter_mut() {
        if let Cause::HeartbeatTimeout {
            by,
            ping_packet: Some(p),
            waited_ms,
            interval_ms,
            ..
        } = c
        {
            if *by == reader.peer() && *p > reopened {
                *waited_ms = None;
                *interval_ms = None;
            }
        }
    }
}

/// The least quiet spell before a gateway's empty close frame for it to be its read-idle
/// timeout: lighttpd's server.max-read-idle is in whole seconds, at least one.
const GATEWAY_IDLE_MIN_S: f64 = 1.0;

/// A first close frame that is empty, from a server whose 101 names lighttpd (whose
/// mod_wstunnel backend cannot send close frames), after at least
/// [`GATEWAY_IDLE_MIN_S`] of quiet: lighttpd's own read-idle timeout.
fn gateway_idle_close(
    causes: &[Cause],
    closes: &[&CloseFrame],
    handshake: &crate::websocket::session::Handshake,
    sent: PerSide<&crate::vocab::Stats>,
) -> Option<Cause> {
    let Some(Cause::EmptyClose {
        from: Role::Server,
        packet,
    }) = causes.first()
    else {
        return None;
    };
    let gateway = handshake
        .server_software
        .clone()
        .filter(|s| s.library == crate::vocab::Library::Lighttpd)?;
    let close = closes.iter().find(|f| f.packet == *packet)?;
    let last = latest(sent.client.last_non_close, sent.server.last_non_close)
        .filter(|(p, _)| *p < *packet);
    let since = last.map_or(close.time, |(_, t)| t);
    let quiet_s = close.time.since(since);
    (last.is_some() && quiet_s >= GATEWAY_IDLE_MIN_S).then(|| Cause::GatewayIdleClose {
        gateway,
        packet: *packet,
        quiet_s: (quiet_s * 1000.0).round() / 1000.0,
        last_frame_packet: last.map(|(p, _)| p),
    })
}

/// lighttpd's own frames on a session whose 101 names it: its pings, and its close reply
/// whose payload is the text "1000" (code 0x3130, reason "00").
fn gateway_frames(
    closes: &[&CloseFrame],
    handshake: &crate::websocket::session::Handshake,
    marks: &crate::app::ControlMarks,
    pings: u64,
) -> Option<Cause> {
    let gateway = handshake
        .server_software
        .clone()
        .filter(|s| s.library == crate::vocab::Library::Lighttpd)?;
    let client_first = closes.first().is_some_and(|f| f.from == Role::Client);
    let reply = closes
        .iter()
        .find(|f| {
            client_first && f.from == Role::Server && f.code == Some(0x3130) && f.reason == "00"
        })
        .map(|f| f.packet);
    let last_ping = marks.pings.iter().last().map(|(p, _)| p);
    (reply.is_some() || last_ping.is_some()).then_some(Cause::GatewayFrames {
        gateway,
        pings,
        last_ping,
        text_1000_reply: reply,
    })
}
