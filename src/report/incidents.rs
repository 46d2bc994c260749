//! What the incident stage (`crate::incident`) reads of a connection's report: the compact
//! [`Ending`] of each report, kept as reports are filled. Here, beside the model, so that
//! the stage imports nothing of `report/` (it works on endings alone); the stage is run,
//! and what it found written back into the reports, by `diagnose::incidents`.
//!
//! In: a [`ConnectionReport`]. Out: its [`Ending`], and what its ending side said
//! (`said`: its close reason, the words refusing its upgrade, its fatal TLS alert, the
//! peer's message its close answered), kept once per value by `intern` (the stage's table,
//! `incident::said`).

use super::cause::Cause;
use super::ConnectionReport;
use crate::incident::said::{Said, WORDS_MAX};
use crate::incident::{Ending, How, Index, Signs};
use crate::vocab::{Opcode, Role};

/// Bytes of a close reason kept: all a close frame can carry (RFC 6455 §5.5: a control
/// frame's payload is at most 125 bytes, two of them the code).
const REASON_MAX: usize = 123;

/// The ending of `c`, at position `pos`; what its ending side said, given an id by
/// `intern`.
pub fn ending(c: &ConnectionReport, pos: u32, intern: &mut impl FnMut(Said) -> u32) -> Ending {
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
    } else if let Some((t, _)) = close_after_peer_end(c) {
        // The closer's frame came after its peer's FIN or RST: the connection was already
        // closed without a close frame (RFC 6455 §7.1.5: 1006), by that peer; the frame
        // is kept as a fact (`closed_after_peer`), not read as a decision.
        let how = match t.kind {
            crate::vocab::EndKind::Fin => How::Fin,
            crate::vocab::EndKind::Rst => How::Rst,
        };
        (how, Some(t.by), t.time.0, t.packet)
    } else if let Some(f) = c.close_frames.first() {
        (How::Close(f.code), Some(f.from), f.time.0, f.packet)
    } else if let Some(e) = c.stream_ends.iter().find(|e| e.ends_stream) {
        // The frame that ended the stream (a GOAWAY that let it run on did not): its
        // END_STREAM stands where TCP's FIN does, an RST_STREAM (or a GOAWAY with an
        // error) where its RST does.
        let code = e
            .error_code
            .as_deref()
            .and_then(crate::vocab::h2_error_code);
        let how = match (e.kind, code) {
            (super::StreamEndName::EndStream, _) => How::Fin,
            (super::StreamEndName::Goaway, Some(code)) => {
                How::GoAway(u16::try_from(code).unwrap_or(u16::MAX))
            }
            (_, Some(code)) => How::StreamReset(u16::try_from(code).unwrap_or(u16::MAX)),
            (_, None) => How::Rst,
        };
        (how, Some(e.by), e.time.0, e.packet)
    } else if let Some((code, g, t)) = goaway_then_end(c) {
        // A GOAWAY that let the stream run (RFC 9113 §6.8), then its sender's end of the
        // connection: the stream ended as the GOAWAY said, its packet the deciding one,
        // its end the connection's.
        (How::GoAway(code), Some(g.by), t.time.0, g.packet)
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
    let (said, answered) = said(c, how, by, packet);
    let (answered_us, answered_size, answered_op) = answered.unwrap_or((u32::MAX, 0, 0));
    let mut e = Ending {
        order: super::legs::order(c.input, c.first_packet),
        stream: c.h2_stream.unwrap_or(0),
        pos,
        client,
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
        // The side it names never sent it: its TTL says so, or the session's two points do
        // (a reset made between them, `between-points`).
        forged: how == How::Rst
            && c.status.causes.iter().any(|k| match k {
                Cause::ForeignReset {
                    packet: p, by: b, ..
                } => *p == packet && Some(*b) == by,
                Cause::BetweenPoints {
                    verdict: super::cause::PointsVerdict::MadeBetween,
                    end_packet,
                    end_by,
                    ..
                } => *end_packet == packet && Some(*end_by) == by,
                _ => false,
            }),
        between: how == How::Rst
            && c.status.causes.iter().any(|k| {
                matches!(k, Cause::BetweenPoints {
                    verdict: super::cause::PointsVerdict::MadeBetween,
                    end_packet,
                    end_by,
                    ..
                } if *end_packet == packet && Some(*end_by) == by)
            }),
        lost_from: 0,
        lost_to: 0,
        lost_by: None,
        ident: ident(c.handshake.path.as_deref(), c.handshake.client_mark),
        key: if c.leg.is_some() {
            crate::incident::NO_KEY
        } else {
            whole_key(c.ws_key.as_deref())
        },
        said: intern(said),
        answered_us,
        answered_size,
        answered_op,
        closed_after_peer: close_after_peer_end(c)
            .filter(|_| matches!(how, How::Fin | How::Rst))
            .map_or(0, |(_, code)| code.unwrap_or(1005)),
        dark: 0,
        server_dark: 0,
    };
    if let Some((s, _)) = dark(c, how, end, Role::Server) {
        e.set_dark(s);
    }
    // Its server host's first packet back ended it (one back with the session would
    // have acknowledged the stale segment first).
    if let Some((s, _)) = dark(c, how, end, Role::Client).filter(|(_, next)| *next == packet) {
        e.set_server_dark(s);
    }
    if let Some((from, to, side)) = lost_between(c).filter(|_| matches!(how, How::Fin | How::Rst)) {
        e.set_lost(from, to, side);
    }
    e
}

/// When `c`'s packets of one side lost between two points of its path (the points'
/// verdict `lost-between`: they left one point and never reached the other, then its
/// sender's host's own TCP end came, seen at both) began and stopped leaving, nanoseconds,
/// and whose they were (an ending marks them only where it is TCP's:
/// `incident::Ending::set_lost`).
pub fn lost_between(c: &ConnectionReport) -> Option<(i64, i64, Role)> {
    c.status.causes.iter().find_map(|k| match k {
        Cause::BetweenPoints {
            verdict: super::cause::PointsVerdict::LostBetween,
            lost_packets,
            lost_from: Some(side),
            lost_from_s,
            lost_to_s,
            ..
        } if *lost_packets > 0 => {
            let at = |s: f64| c.start.0.saturating_add((s * 1e9) as i64);
            Some((at(*lost_from_s), at(*lost_to_s), *side))
        }
        _ => None,
    })
}

/// The peer's TCP end (FIN or RST) that came before the first close frame of `c`, and
/// that frame's code: the connection closed by TCP first, the frame sent after it (RFC 6455
/// §7.1.5). None when a close frame came first, or none was sent, or over HTTP/2 (a
/// stream's own end).
fn close_after_peer_end(c: &ConnectionReport) -> Option<(&crate::vocab::TcpEnd, Option<u16>)> {
    if c.h2_stream.is_some() {
        return None;
    }
    let f = c.close_frames.first()?;
    let t = c.tcp_ends.first()?;
    (t.by == f.from.peer() && t.packet < f.packet).then_some((t, f.code))
}

/// How long `c`'s client host (`sender` the server) or server host (`sender` the client)
/// had been dark when the session ended (at `end`, `how`): `sender`'s data unacknowledged
/// from its first such segment (`unacknowledged-data`) and the peer's next packet, the first
/// after that silence, at the end or within [`HEAL_SLACK_S`](crate::incident::HEAL_SLACK_S)
/// before it (the host's first packet back, or the retransmission it answered, ended the
/// session), and that next packet. Ended by TCP only.
fn dark(c: &ConnectionReport, how: How, end: i64, sender: Role) -> Option<(f64, u64)> {
    if !matches!(how, How::Fin | How::Rst) {
        return None;
    }
    c.status.causes.iter().find_map(|k| match k {
        Cause::Unacknowledged {
            from,
            at,
            peer_next: Some(next),
            peer_silent_s,
            ..
        } if *from == sender => {
            let from = super::record::parse_rfc3339(at)?.0;
            let back = from.saturating_add((peer_silent_s * 1e9) as i64);
            let slack = (crate::incident::HEAL_SLACK_S * 1e9) as i64;
            // (`peer_silent_s` is kept to the millisecond.)
            (back <= end.saturating_add(1_000_000)
                && back >= end.saturating_sub(slack)
                && from < end)
                .then(|| ((end - from) as f64 / 1e9, *next))
        }
        _ => None,
    })
}

/// The GOAWAY of an HTTP/2 stream's connection that let the stream run, and the TCP end
/// after it by the GOAWAY's sender (its first): the stream's end as that GOAWAY said, with
/// its error code (RFC 9113 §7; one past 0xffff kept as 0xffff).
fn goaway_then_end(
    c: &ConnectionReport,
) -> Option<(u16, &super::StreamEndReport, &crate::vocab::TcpEnd)> {
    let g = c
        .stream_ends
        .iter()
        .find(|e| e.kind == super::StreamEndName::Goaway && !e.ends_stream)?;
    let t = c
        .tcp_ends
        .first()
        .filter(|t| t.by == g.by && t.packet > g.packet)?;
    let code = g
        .error_code
        .as_deref()
        .and_then(crate::vocab::h2_error_code)?;
    Some((u16::try_from(code).unwrap_or(u16::MAX), g, t))
}

/// What `c`'s ending side (`by`) said as it ended the session `how` at `packet`:
/// its close frame's reason, the words of the response refusing the upgrade, its fatal TLS
/// alert; and the peer's message its close answered (`report::answer::answered`: right
/// after it, nothing between): the microseconds from it to the close, its size, its opcode.
fn said(
    c: &ConnectionReport,
    how: How,
    by: Option<Role>,
    packet: u64,
) -> (Said, Option<(u32, u32, u8)>) {
    let text = |t: &str, max: usize| {
        let t = t.trim();
        (!t.is_empty()).then(|| crate::sanitize::cut(t, max).into())
    };
    let mut s = Said::default();
    let mut answered = None;
    match how {
        How::Close(_) => {
            if let Some(f) = c.close_frames.first() {
                s.reason = text(&f.reason, REASON_MAX);
                // As `close-answers-message` reads it: a clean close with a reason says its
                // own why, and one without is no answer to the reply to its own message.
                let clean = matches!(f.code, None | Some(1000));
                let seen = if f.code == Some(1009) {
                    too_big(c, f.from, f.time)
                } else {
                    (!clean || s.reason.is_none())
                        .then(|| super::answer::answered(c, f.from, packet, f.time, clean))
                        .flatten()
                        .map(|(m, seconds)| (m.size, m.opcode.0 .0, Some(seconds)))
                };
                if let Some((size, op, seconds)) = seen {
                    let us = seconds.map_or(crate::incident::UNTIMED, |s| {
                        (s * 1e6).round().clamp(0.0, f64::from(u32::MAX - 2)) as u32
                    });
                    let size = u32::try_from(size).unwrap_or(u32::MAX);
                    answered = Some((us, size, op));
                }
            }
        }
        How::Refused(_) => {
            s.words = c.status.causes.iter().find_map(|k| match k {
                Cause::UpgradeRefused { body: Some(b), .. } => {
                    text(b.lines().next().unwrap_or_default(), WORDS_MAX)
                }
                _ => None,
            });
        }
        _ => {}
    }
    if let (Some(by), Some(tls)) = (by, c.tls.as_ref()) {
        s.alert = tls
            .alerts
            .iter()
            .find(|a| a.from == by && a.level == "fatal")
            .and_then(|a| text(&a.description, WORDS_MAX));
    }
    (s, answered)
}

/// The message a 1009 close of `by`'s at `at` names (RFC 6455 §7.4.1: "a message that is
/// too big for it to process"): the peer's largest data message, however long before and
/// whatever came after (a library reads it from its queue at its own time), with its size,
/// opcode (its largest frame's) and the seconds from it to the close where the report keeps
/// its time (it was the peer's last frame before the close, or in the frames logged).
fn too_big(
    c: &ConnectionReport,
    by: Role,
    at: crate::vocab::Timestamp,
) -> Option<(u64, u8, Option<f64>)> {
    let peer = c.frames.of(by.peer());
    let (size, mp) = peer.largest_message?;
    let op = peer
        .largest_frame
        .map(|(_, _, o)| o.0)
        .filter(|&o| o == 1 || o == 2)
        .unwrap_or(1);
    let logged = c
        .recent_frames
        .iter()
        .filter(|f| f.from == by.peer() && f.packet <= mp && matches!(f.opcode.0, 0..=2))
        .max_by_key(|f| f.packet)
        .map(|f| f.ts);
    let when = peer
        .last_non_close
        .filter(|&(p, _)| p == mp)
        .map(|(_, t)| t)
        .or(logged);
    Some((size, op, when.map(|t| at.since(t).max(0.0))))
}

/// The 16 bytes the upgrade request's `Sec-WebSocket-Key` encodes (RFC 6455 §4.1: 16
/// random bytes per handshake, base64), whole; [`crate::incident::NO_KEY`] when it had none
/// or one that is not 16 bytes in base64: the same session seen at two points carries the
/// same.
pub fn whole_key(key: Option<&str>) -> crate::incident::Key {
    use base64::Engine as _;
    let mut out = crate::incident::NO_KEY;
    let Some(k) = key else {
        return out;
    };
    let k = k.trim();
    // The form every client sends (22 characters of the standard alphabet, then "=="),
    // decoded here: the base64 crate's engine costs some 500 instructions a key, once
    // a report. Anything else is read by it, as before.
    if let Some(whole) = sixteen(k.as_bytes()) {
        return whole;
    }
    let mut buf = [0u8; 18];
    if let Ok(16) = base64::engine::general_purpose::STANDARD.decode_slice(k.as_bytes(), &mut buf) {
        out.copy_from_slice(buf.get(..16).unwrap_or_default());
    }
    out
}

/// Each byte's value in base64's standard alphabet (RFC 4648 §4), 64 for a byte outside it.
// Indexing in a const is checked when the crate compiles: out of bounds is a build error.
#[allow(clippy::indexing_slicing)]
const BASE64: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [64u8; 256];
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The 16 bytes of `k` when it is 22 characters of base64's standard alphabet, then "==",
/// its last character's 4 unused bits zero (RFC 4648 §4, §3.5: the one canonical form of
/// 16 bytes, which the base64 crate's STANDARD engine requires too); none otherwise.
fn sixteen(k: &[u8]) -> Option<crate::incident::Key> {
    let k: &[u8; 24] = k.try_into().ok()?;
    let [body @ .., b'=', b'='] = k else {
        return None;
    };
    let mut v = [0u8; 22];
    let mut bad = 0u8;
    for (d, &c) in v.iter_mut().zip(body) {
        *d = BASE64.get(usize::from(c)).copied().unwrap_or(64);
        bad |= *d;
    }
    // 64 is the only value with bit 6 set; the last character's 4 low bits are unused.
    let [chunks @ .., y, z] = v;
    if bad & 64 != 0 || z & 0xf != 0 {
        return None;
    }
    let mut out = crate::incident::NO_KEY;
    // Five groups of four characters, three bytes each; then two characters, one byte.
    for (o, q) in out.chunks_exact_mut(3).zip(chunks.chunks_exact(4)) {
        if let ([o0, o1, o2], [a, b, c, d]) = (o, q) {
            *o0 = a << 2 | b >> 4;
            *o1 = b << 4 | c >> 2;
            *o2 = c << 6 | d;
        }
    }
    if let Some(last) = out.last_mut() {
        *last = y << 2 | z >> 4;
    }
    Some(out)
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
    let (mut ping, mut peer, mut unacknowledged, mut zero) = (None, None, false, None);
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
                    // The peer's last frame by then: its last or the one before (kept in
                    // every format); the session's start where those were all its frames
                    // and came after (it sent none before); else from the frame log where
                    // one is kept.
                    let sent = c.frames.of(by.peer());
                    let marks = [sent.last_frame, sent.prev_frame];
                    let known = marks.iter().flatten().count() as u64;
                    peer = marks
                        .into_iter()
                        .flatten()
                        .map(|(_, t)| t.0)
                        .find(|&t| t <= at)
                        .or_else(|| (sent.frames <= known).then_some(c.start.0))
                        .or_else(|| {
                            c.recent_frames
                                .iter()
                                .filter(|f| f.from == by.peer() && f.ts.0 <= at)
                                .map(|f| f.ts.0)
                                .max()
                        });
                }
            }
            Cause::Unacknowledged { from, .. } if *from == by => unacknowledged = true,
            // The client had stopped reading (its window zero, the server's probes answered)
            // and the server ended the session during that spell, or at once when it opened
            // (its end queued behind the window); closed to the end, the probes' span.
            Cause::StoppedReading {
                reader: Role::Client,
                seconds,
                end: Some(e),
                ..
            } if by == Role::Server && e.by == Role::Server => zero = Some(*seconds),
            Cause::WindowClosed {
                reader: Role::Client,
                seconds,
                ..
            } if by == Role::Server => zero = Some(*seconds),
            _ => {}
        }
    }
    let mut s = Signs::at_times(end, ping, peer, server_last);
    s.unacknowledged = unacknowledged;
    if let Some(z) = zero {
        s.set_zero_window(z);
    }
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
    let mut e = ending(c, 0, &mut |s| index.intern(s));
    e.order = order;
    if let Some((from, healed)) = c.outage {
        index.push_outage(crate::incident::Outage {
            order,
            stream: e.stream,
            from,
            healed,
        });
    }
    index.push(e);
}

// The birthday search for two keys whose 32-bit hashes collide, shared with the
// two-point tests.
#[cfg(test)]
#[path = "../../tests/it/common/collide.rs"]
mod collide;

#[cfg(test)]
mod tests {
    use super::collide::colliding_keys;
    use super::*;
    use crate::incident::twins;

    /// A view of a session of 10.0.0.2 (or, behind a NAT, 10.0.1.1) to 10.0.1.2:80 whose
    /// upgrade request carried `key`.
    fn view(pos: u32, client: [u8; 4], key: &str) -> Ending {
        let ep = |a: [u8; 4], p| crate::vocab::Endpoint::new(std::net::IpAddr::from(a), p);
        Ending {
            order: u64::from(pos),
            stream: 0,
            pos,
            client: ep(client, 40_000),
            server: ep([10, 0, 1, 2], 80),
            route: 0,
            start: i64::from(pos) * 1_000,
            end: 5_000_000_000,
            packet: 7,
            how: How::Rst,
            by: Some(Role::Server),
            idle_ms: u32::MAX,
            proxied: false,
            signs: Default::default(),
            forged: false,
            between: false,
            lost_from: 0,
            lost_to: 0,
            lost_by: None,
            ident: 0,
            key: whole_key(Some(key)),
            said: 0,
            answered_us: u32::MAX,
            answered_size: 0,
            answered_op: 0,
            closed_after_peer: 0,
            dark: 0,
            server_dark: 0,
        }
    }

    /// The sixth audit's collision: two different keys whose 32-bit hashes are equal, on
    /// the two sides of a NAT, pair nothing; the same key does.
    #[test]
    fn two_keys_whose_hashes_collide_pair_nothing() {
        let (a, b) = colliding_keys();
        assert_ne!(a, b);
        let e = [view(0, [10, 0, 0, 2], &a), view(1, [10, 0, 1, 1], &b)];
        assert_eq!(twins::pairs(&e, &mut 0), vec![]);
        let same = [view(0, [10, 0, 0, 2], &a), view(1, [10, 0, 1, 1], &a)];
        assert_eq!(twins::pairs(&same, &mut 0), vec![(0, 1)]);
    }

    /// `whole_key`'s own decoding of the usual form gives what the base64 crate gives, for
    /// keys of every byte value and for the forms it leaves to the crate (bits left over,
    /// another alphabet, no padding, blanks around).
    #[test]
    fn whole_key_decodes_as_the_base64_crate() {
        use base64::Engine as _;
        let crate_key = |k: &str| {
            let mut buf = [0u8; 18];
            match base64::engine::general_purpose::STANDARD
                .decode_slice(k.trim().as_bytes(), &mut buf)
            {
                Ok(16) => buf[..16].try_into().unwrap(),
                _ => crate::incident::NO_KEY,
            }
        };
        let mut keys: Vec<String> = (0..=255u8)
            .map(|b| {
                let bytes: [u8; 16] =
                    std::array::from_fn(|i| b.wrapping_mul(i as u8 + 7) ^ i as u8);
                base64::engine::general_purpose::STANDARD.encode(bytes)
            })
            .collect();
        keys.extend(
            [
                "dGhlIHNhbXBsZSBub25jZQ==",
                "dGhlIHNhbXBsZSBub25jZR==",
                "dGhlIHNhbXBsZSBub25jZf==",
                "dGhlIHNhbXBsZSBub25jZQ=",
                "dGhlIHNhbXBsZSBub25jZQ",
                "dGhlIHNhbXBsZSBub25jZQ===",
                "dGhlIHNhbXBsZSBub25j-_==",
                "dGhlIHNhbXBsZSBub25j+/==",
                "dGhlIHNhbXBsZSBub2=jZQ==",
                " dGhlIHNhbXBsZSBub25jZQ== ",
                "////////////////////////",
                "++++++++++++++++++++++==",
                "",
            ]
            .map(String::from),
        );
        for k in &keys {
            assert_eq!(whole_key(Some(k)), crate_key(k), "{k:?}");
        }
        assert_eq!(
            whole_key(Some("dGhlIHNhbXBsZSBub25jZQ==")),
            *b"the sample nonce"
        );
    }
}
