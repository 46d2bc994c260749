//! The building of one WebSocket session's report from a finished connection.
//!
//! In: a finished `stack::tcp::connection::Connection` (`finish` called) and one of its
//! sessions. Out: its [`ConnectionReport`]: the model fields copied from the stages, and the
//! status, evidence, status seen by each side and closing handshake that [`diagnose`]
//! decides (RFC 6455 §7.1.5, §7.4).

use super::diagnosis::diagnose;
use crate::flow::Side;
use crate::report::cause::Cause;
use crate::report::tls::TlsReport;
use crate::report::tunnel::TunnelReport;
use crate::report::Eviction;
use crate::report::{ConnectionReport, HandshakeReport, Host, SeenBy, StreamEndReport};
use crate::stack::tcp::connection::Connection;
use crate::vocab::CloseFrame;
use crate::vocab::{
    EndKind, Finding, Found, FrameRecord, Gap, GapWhy, LaterRst, PerSide, TcpEnd, TcpEnds,
    Transport,
};
use crate::websocket::session::Session;
use std::borrow::Cow;

impl ConnectionReport {
    /// Builds the report of WebSocket session `w` of a finished connection (`finish`
    /// already called).
    pub(crate) fn from_session(c: &Connection, w: &Session, id: u64) -> ConnectionReport {
        let client_side = c.client_side();
        let server_side = client_side.other();
        let mut closes: Vec<&CloseFrame> = Side::BOTH
            .into_iter()
            .filter_map(|s| w.decoder(s))
            .flat_map(|d| d.closes.iter())
            .collect();
        closes.sort_by_key(|f| f.order);
        // An HTTP/2 stream's own start and end, not its connection's.
        let (start, end) = w.span(c.first_ts, c.last_ts);
        // The connection's findings, and over HTTP/2 the session's own, by packet.
        let findings: Cow<'_, [Finding]> = if w.findings.items.is_empty() {
            Cow::Borrowed(&c.up.ctx.findings.items)
        } else {
            let mut all = c.up.ctx.findings.items.clone();
            all.extend(w.findings.items.iter().cloned());
            all.sort_by_key(|f| f.packet.unwrap_or(u64::MAX));
            Cow::Owned(all)
        };
        let hs = &w.handshake;
        let mut tls_facts = c.up.tls();
        let tls = tls_facts.as_mut().map(|f| TlsReport::new(f, c));
        let d = diagnose(c, w, &closes, &findings, tls_facts.as_ref(), tls.as_ref());
        let findings = path_gaps(c, findings, &d.status.causes);
        // What carried the session ended first, at its nearest layer (an HTTP/2 stream's
        // own ending, else TCP's): what the application's verdict and last words rest on.
        let transport = transport_end(c, w, tls_facts.as_ref());
        // Every session lists each side's last message, but its words are read for what
        // they say of the end only where they may matter: where either side's may announce
        // the end (its kept bytes hold a word a reader marks on), or where the first ending
        // is no clean close that no cause names (then the ending side's last message is its
        // account, `lastwords::status_cause`). A session whose sides chatted before a clean
        // close reads neither (`lastwords::report`'s `interpret`).
        //
        // Whether each side's last message may announce the end (`lastwords::may_announce`):
        // where not, its words are not looked at.
        let may_of = |s: Side| {
            w.decoder(s)
                .is_some_and(|d| super::lastwords::may_announce(&d.last_words))
        };
        let (may_a, may_b) = (may_of(Side::A), may_of(Side::B));
        let may = |s: Side| if s == Side::A { may_a } else { may_b };
        let read_last_words = {
            let close = closes.first().map(|f| (f.packet, f.code));
            // The first ending at its nearest layer (over HTTP/2 the stream's own), as
            // `lastwords::status_cause` reads it.
            let clean = match (close, transport.as_ref().map(|t| t.packet)) {
                // No ending: no account either.
                (None, None) => true,
                (Some((at, code)), tcp) if tcp.is_none_or(|t| at <= t) => {
                    crate::report::facts::clean_code(code)
                        || code.is_some_and(|c| !crate::close::reason::reason_decides(c))
                }
                _ => false,
            };
            may_a || may_b || (!clean && !super::lastwords::named(&findings, &d.status.causes))
        };
        let (cs, ss) = (w.stats(client_side), w.stats(server_side));
        let mut report = ConnectionReport {
            id,
            input: c.input,
            last_input: c.input,
            client: Host::Addr(c.ep[client_side]),
            server: Host::Addr(c.ep[server_side]),
            tls,
            handshake: HandshakeReport {
                seen: hs.request_seen,
                host: hs.host.clone(),
                path: hs.path.clone(),
                status: hs.status,
                subprotocol: hs.subprotocol.clone(),
                extensions: hs.extensions.clone(),
                accept_valid: hs.accept_valid(),
                request_packet: hs.request_packet,
                response_packet: hs.response_packet,
                deflate: hs.deflate,
                cut: hs.cut.map(|c| c.as_str().to_string()),
                proxy_product: hs.server_proxy().cloned(),
                request_proxy_product: hs.client_proxy().cloned(),
                client_mark: hs.client_mark,
            },
            close_frames: closes.iter().map(|&f| f.clone()).collect(),
            evicted: None,
            transport: Transport::of(w.transport.h2_stream.is_some()),
            h2_stream: w.transport.h2_stream,
            stream_ends: w
                .stream_ends()
                .iter()
                .map(|e| StreamEndReport::new(e, c.role(e.by)))
                .collect(),
            seen_by: SeenBy {
                client: d.seen_by.client,
                server: d.seen_by.server,
            },
            tcp_ends: {
                let mut v: Vec<(u64, TcpEnd)> = Side::BOTH
                    .into_iter()
                    .filter_map(|s| c.ends[s].as_deref().map(|&e| (c.role(s), e)))
                    .map(|(by, e)| {
                        let later = e.then_rst.map(|r| LaterRst::new(r.packet, r.ts));
                        (e.order, TcpEnd::new(by, e.kind, e.packet, e.ts, later))
                    })
                    .collect();
                v.sort_by_key(|(order, _)| *order);
                TcpEnds::new(v.into_iter().map(|(_, r)| r).collect())
            },
            close_handshake: d.close_handshake,
            decoded_to_end: d.decoded_to_end,
            status: d.status,
            evidence: d.evidence,
            findings_dropped: c.up.ctx.findings.dropped + w.findings.dropped,
            findings: findings.into_owned(),
            idle_before_end_s: d.idle_before_end_s,
            first_packet: c.first_packet,
            last_packet: c.last_packet,
            start,
            end,
            duration_s: end.since(start),
            frames: PerSide {
                client: cs,
                server: ss,
            },
            tcp: PerSide {
                client: c.tcp[client_side].counters,
                server: c.tcp[server_side].counters,
            },
            timeline: None,
            recent_frames: {
                let mut v: Vec<FrameRecord> = Side::BOTH
                    .into_iter()
                    .filter_map(|s| w.decoder(s))
                    .flat_map(|d| d.log.iter().cloned())
                    .collect();
                v.sort_by_key(|f| (f.order, f.packet));
                v
            },
            frames_not_logged: Side::BOTH
                .into_iter()
                .filter_map(|s| w.decoder(s))
                .map(|d| d.log_dropped)
                .sum(),
            endpoints: (c.ep[client_side], c.ep[server_side]),
            ws_key: hs.key().map(str::to_string),
            other_leg: None,
            leg: None,
            incident: None,
            reconnect: None,
            replaces: None,
            replaces_same_host: false,
            seen_at_two_points: None,
            scope: c.scope,
            outage: super::outage::outage(c),
            // Kept for the points of one path (`points`): only a session with a key can
            // be found again at another point.
            trail: hs.key().and(c.trail.clone()),
            points: None,
            encapsulation: c.encapsulation.as_deref().map(|&e| e.into()),
            tunnel: c
                .up
                .tunnel()
                .map(|t| TunnelReport::new(t, Host::Addr(c.ep[server_side]))),
            last_words: [client_side, server_side]
                .into_iter()
                .filter_map(|s| {
                    let d = w.decoder(s)?;
                    // Each side's last data message, with how long before the first ending
                    // it came (on an HTTP/2 stream, its own ending: `transport`). A
                    // connection the capture shows no ending of (still open, or evicted at a
                    // cap) has no `before_end_s`: its last words are what it said before
                    // wsclose lost sight of it. Only a message within `BEFORE_S` of the end
                    // (or of the last packet) is read for what it says of the end: no cause
                    // or fact rests on an older one.
                    let end = match (
                        closes.first().map(|f| f.time),
                        transport.as_ref().map(|t| t.ts),
                    ) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    let near = (0.0..=crate::report::lastwords::BEFORE_S)
                        .contains(&end.unwrap_or(c.last_ts).since(d.last_words.ts));
                    super::lastwords::report(
                        c.role(s),
                        &d.last_words,
                        end,
                        read_last_words && near,
                        may(s),
                    )
                })
                .collect(),
            not_frames: [client_side, server_side]
                .into_iter()
                .filter_map(|s| {
                    let d = w.decoder(s)?;
                    Some(d.stray.as_deref()?.report(c.role(s), d.deflate))
                })
                .collect(),
            // An unknown protocol's heartbeat: a short message sent at a cadence.
            message_heartbeats: match w.app {
                Some(_) => Vec::new(),
                None => [client_side, server_side]
                    .into_iter()
                    .filter_map(|s| {
                        let (bytes, marks) = w.decoder(s)?.last_words.beats()?;
                        let mean = super::heartbeat::cadence(marks)?;
                        Some(crate::report::lastwords::MessageHeartbeat {
                            from: c.role(s),
                            message_bytes: bytes,
                            period_ms: (mean * 1e6).round() / 1e3,
                            sent: marks.added(),
                            last_packet: marks.iter().last()?.0,
                        })
                    })
                    .collect(),
            },
            application: w.app.as_deref().and_then(|t| {
                let close = closes
                    .first()
                    .map(|f| (f.from, f.code, f.reason.clone(), f.packet, f.time));
                let mut a = t.finish(&crate::app::Ending {
                    close,
                    transport: transport.clone(),
                    last_ts: Some(c.last_ts),
                })?;
                let server_reason = closes
                    .first()
                    .filter(|f| f.from == crate::vocab::Role::Server)
                    .map(|f| f.reason.as_str());
                crate::report::words::app::fill(&mut a, server_reason);
                Some(a)
            }),
        };
        super::app::add_cause(&mut report);
        super::lastwords::status_cause(&mut report);
        super::trigger::status_cause(&mut report);
        super::unprompted::status_cause(&mut report);
        // Said once, from every cause the stages above added (`Status::unsaid`).
        report.status.say();
        report
    }

    /// Marks the connection as ended early by a cap (`why`, at `limit`): a status that
    /// would say it was still open at the end of the capture says instead where and why
    /// wsclose stopped following it, and which flag to raise.
    pub fn mark_evicted(&mut self, why: Eviction, limit: u64) {
        self.evicted = Some(why);
        super::status::evicted(&mut self.status, why, self.last_packet, limit);
    }
}

/// The first ending of what carried session `w`, read at its nearest layer (ARCHITECTURE:
/// a session's transport ending): over HTTP/2 the first frame that ended its own stream
/// (END_STREAM, RST_STREAM, a GOAWAY that ends it), or the TCP connection's first FIN or
/// RST when that came first (it ends every stream); over TLS (`tls`) the first close_notify
/// when it came before TCP's ending; else the first FIN or RST. An HTTP/2 stream's verdict
/// never rests on its connection's later ending, which other streams and PINGs may keep
/// open long after.
fn transport_end(
    c: &Connection,
    w: &Session,
    tls: Option<&crate::stack::tls::layer::TlsFacts>,
) -> Option<crate::app::TransportEnd> {
    use crate::app::{EndHow, TransportEnd};
    use crate::vocab::StreamEndKind;
    let tcp = c.first_end().map(|(by, e)| {
        let how = if e.kind == EndKind::Rst {
            EndHow::Rst
        } else {
            EndHow::Fin
        };
        (
            e.order,
            TransportEnd {
                by,
                how,
                packet: e.packet,
                ts: e.ts,
            },
        )
    });
    let stream = w.stream_ends().iter().filter(|e| e.ends_stream()).map(|e| {
        let how = EndHow::Stream {
            frame: e.kind.to_string(),
            abrupt: !matches!(e.kind, StreamEndKind::EndStream),
        };
        let end = TransportEnd {
            by: c.role(e.by),
            how,
            packet: e.packet,
            ts: e.ts,
        };
        (e.order, end)
    });
    // A close_notify ends the TLS that carries the session (RFC 8446 §6.1); over HTTP/2 the
    // stream's own frames are nearer.
    let client = c.client_side();
    let notify = tls
        .filter(|_| w.transport.h2_stream.is_none())
        .into_iter()
        .flat_map(|f| {
            [
                (client, f.close_notify.0, f.close_notify_at.0),
                (client.other(), f.close_notify.1, f.close_notify_at.1),
            ]
        })
        .filter_map(|(side, packet, at)| {
            let ((ts, order), packet) = (at?, packet?);
            let end = TransportEnd {
                by: c.role(side),
                how: EndHow::CloseNotify,
                packet,
                ts,
            };
            Some((order, end))
        });
    stream
        .chain(notify)
        .chain(tcp)
        .min_by_key(|(order, _)| *order)
        .map(|(_, e)| e)
}

/// The findings with the gaps of a side whose bytes never reached the receiver said so: a
/// hole in the capture that the receiver's own acknowledgements stayed at the start of to
/// the end, while later bytes of the side arrived (`stack::tcp::path_watch::hole`: RFC 9293
/// §3.10.7.4, RFC 5681 §4.2), was lost on the path, not by the capture, as a gap the
/// capture cannot explain is said ([`GapWhy::NotCaptured`]); with a path MTU black hole
/// named (`mtu-black-hole-receiver`) the gap points to it; the receiver's SACK blocks of
/// later bytes (RFC 2018 §4), when it sent them, are named. A hole the receiver
/// acknowledged past, or whose bytes its SACK blocks held, keeps its note: the capture
/// missed it. Decided on the gaps' fields; their words are made again from them.
fn path_gaps<'a>(
    c: &Connection,
    findings: Cow<'a, [Finding]>,
    causes: &[Cause],
) -> Cow<'a, [Finding]> {
    let mut all: Option<Vec<Finding>> = None;
    for s in Side::BOTH {
        let Some(m) = c.path[s].missing() else {
            continue;
        };
        let from = c.role(s);
        let black_hole = causes.iter().any(|c| {
            matches!(c, Cause::MtuBlackHoleReceiver { from: f, missing_bytes, .. }
                if *f == from && *missing_bytes == u64::from(m.bytes))
        });
        let hole = |f: &Finding| {
            f.from == Some(from)
                && matches!(f.found, Some(Found::Gap(Gap { len, why: GapWhy::NotCaptured, .. }))
                    if len == u64::from(m.bytes))
        };
        let list = all.as_deref().unwrap_or(&findings);
        if !list.iter().any(hole) {
            continue;
        }
        let list = all.get_or_insert_with(|| findings.to_vec());
        // The first such gap only: the hole is the side's first one still open.
        if let Some(f) = list.iter_mut().find(|f| hole(f)) {
            if let Some(Found::Gap(g)) = &mut f.found {
                g.why = GapWhy::NeverReached {
                    peer: from.peer(),
                    later: m.packet,
                    sacked: m.sacked,
                    black_hole,
                };
            }
            crate::report::words::finding::reword(f);
        }
    }
    match all {
        Some(list) => Cow::Owned(list),
        None => findings,
    }
}
