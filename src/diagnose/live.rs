//! The live close events of a connection, as they happen.
//!
//! In: a TCP connection being analyzed and how many of its events were already handed
//! out. Out: its later close frames, TCP endings and HTTP/2 stream endings as
//! [`CloseEvent`]s, each with what the live line says of it: whether it is the first, the
//! one that sets the status (a close frame, or a TCP ending with no close frame or ending
//! before it: 1006, RFC 6455 §7.1.5; the peer's FIN after it sets nothing), whether bytes
//! are missing, a TLS close_notify that came before it, the message it came right
//! after, unanswered (as the report's 1006 says), and for a first ending by TCP its quiet
//! spell and its client host's dark spell (what the live watch names an idle cohort or a
//! client host's drop by, as the report's incident stage does).

use super::idle::unanswered;
use crate::flow::Side;
use crate::incident::HEAL_SLACK_S;
use crate::stack::tcp::connection::Connection;
use crate::vocab::{CloseEvent, EndKind, EventWhat, PerSide, Role, Timestamp};
use crate::websocket::session::Session;

/// The close frames and TCP endings after the first `n`, in delivery order (session by
/// session where several end at once).
pub fn events(c: &Connection, n: usize) -> Vec<CloseEvent> {
    let client_side = c.client_side();
    let missing = c.has_gaps();
    // Each event: its delivery order, session, time, packet, sender, what it is, and for a
    // close frame whether its receiver refuses it (`CloseFrame::rejected`: it sets no status).
    let mut all: Vec<(u64, usize, Timestamp, u64, Role, EventWhat, bool)> = Vec::new();
    for (k, w) in c.sessions().enumerate() {
        for s in Side::BOTH {
            for c in w.decoder(s).into_iter().flat_map(|d| d.closes.iter()) {
                all.push((
                    c.order,
                    k,
                    c.time,
                    c.packet,
                    c.from,
                    EventWhat::Close {
                        code: c.code,
                        reason: c.reason.clone(),
                        problems: c.problems.clone(),
                    },
                    c.rejected(),
                ));
            }
            if let Some(&e) = c.ends[s].as_deref() {
                all.push((
                    e.order,
                    k,
                    e.ts,
                    e.packet,
                    c.role(s),
                    EventWhat::Tcp(e.kind),
                    false,
                ));
                if let Some(r) = e.then_rst {
                    all.push((
                        r.order,
                        k,
                        r.ts,
                        r.packet,
                        c.role(s),
                        EventWhat::Tcp(EndKind::Rst),
                        false,
                    ));
                }
            }
        }
        for e in w.stream_ends().iter().filter(|e| e.ends) {
            all.push((
                e.order,
                k,
                e.ts,
                e.packet,
                c.role(e.by),
                EventWhat::Stream(e.kind),
                false,
            ));
        }
    }
    all.sort_by_key(|e| (e.0, e.1));
    let sessions: Vec<&Session> = c.sessions().collect();
    let stats: Vec<_> = sessions
        .iter()
        .map(|w| (w.stats(client_side), w.stats(client_side.other())))
        .collect();
    let mut seen_close = vec![false; sessions.len()];
    let mut ended = vec![false; sessions.len()];
    // Any close frame seen, refused ones included (for the close_notify before an ending).
    let mut closed = vec![false; sessions.len()];
    // Over TLS: each side's close_notify (role, packet, delivery order).
    let notifies: Vec<(Role, u64, u64)> =
        c.up.tls()
            .map(|f| {
                [
                    (client_side, f.close_notify.0, f.close_notify_at.0),
                    (client_side.other(), f.close_notify.1, f.close_notify_at.1),
                ]
                .into_iter()
                .filter_map(|(s, p, at)| Some((c.role(s), p?, at?.1)))
                .collect()
            })
            .unwrap_or_default();
    let mut out = Vec::new();
    for (i, (e_order, k, ts, packet, from, what, rejected)) in all.into_iter().enumerate() {
        let (Some(w), Some((cs, ss)), Some(seen)) =
            (sessions.get(k), stats.get(k), seen_close.get_mut(k))
        else {
            continue;
        };
        // No valid close frame before it: a refused one sets no status (the report's
        // `invalid-close-frame`), the next valid one or the first ending does.
        let no_close = !*seen;
        *seen |= matches!(what, EventWhat::Close { .. }) && !rejected;
        let is_end = !matches!(what, EventWhat::Close { .. });
        let no_frame = !closed.get(k).copied().unwrap_or(false);
        if let Some(c) = closed.get_mut(k) {
            *c |= !is_end;
        }
        let was_ended = ended.get(k).copied().unwrap_or(false);
        if let Some(e) = ended.get_mut(k) {
            *e |= is_end;
        }
        // The event that sets the session's status: its first close frame, or its first
        // ending when no close frame came before it (the peer's FIN after it, or a close
        // frame after it, sets nothing: the status is already 1006).
        let first = no_close && !was_ended && !rejected;
        let order = e_order;
        let close_notify = notifies
            .iter()
            .filter(|&&(_, _, o)| is_end && no_frame && o < order)
            .min_by_key(|&&(_, _, o)| o)
            .map(|&(r, p, _)| (r, p));
        if i >= n {
            let sent = PerSide {
                client: cs,
                server: ss,
            };
            // As the report's 1006: the message the ending side had just received.
            // Only the first ending can be a reaction to a message, and not one that
            // followed the peer's close_notify (it answered that).
            let unanswered = (first && is_end && close_notify.is_none_or(|(by, _)| by == from))
                .then(|| unanswered(from, sent, packet, ts))
                .flatten();
            // As the report reads a first ending's quiet spell and its client host's dark
            // spell (`Diagnosis::idle_before_end_s`, `incident::Ending::dark`), from what came
            // so far: what the watch's detection needs to name an idle cohort or a client
            // host's drop rather than a stop.
            let (idle_ms, dark_ms) = if first && is_end {
                let last = [cs.last_frame, ss.last_frame]
                    .into_iter()
                    .flatten()
                    .filter(|&(p, _)| p <= packet)
                    .map(|(_, t)| t)
                    .max();
                let since = last.unwrap_or(w.span(c.first_ts, c.last_ts).0);
                (
                    Some(ms(ts.since(since))),
                    dark(c, client_side.other(), ts).map(ms),
                )
            } else {
                (None, None)
            };
            out.push(CloseEvent {
                idle_ms,
                dark_ms,
                ts,
                start: c.first_ts,
                packet,
                client: c.ep[client_side],
                server: c.ep[client_side.other()],
                path: w.handshake.path.clone(),
                h2_stream: w.transport.h2_stream,
                from,
                what,
                first,
                missing,
                unanswered,
                close_notify,
                scope: c.scope,
            });
        }
    }
    out
}

/// How long the host of side `s`'s peer had been dark at an ending at `end`: `s`'s data
/// unacknowledged from its first such segment, and the peer's first packet after that
/// silence at `end` (within a millisecond) or up to [`HEAL_SLACK_S`] before it, as the
/// report's incident stage reads it (`report::incidents`' `dark`).
fn dark(c: &Connection, s: Side, end: Timestamp) -> Option<f64> {
    let (from, back) = super::delivery::dark_spell(c, s)?;
    let slack = (HEAL_SLACK_S * 1e9) as i64;
    (back.0 <= end.0.saturating_add(1_000_000)
        && back.0 >= end.0.saturating_sub(slack)
        && from.0 < end.0)
        .then(|| end.since(from))
}

/// Seconds as whole milliseconds (rounded; at least 0, at most `u32::MAX - 1`).
fn ms(seconds: f64) -> u32 {
    (seconds.max(0.0) * 1000.0)
        .round()
        .min(f64::from(u32::MAX - 1)) as u32
}
