//! What set an ending off, read from the frames right before it: an HTTP response a side's
//! framework wrote into the WebSocket stream (`not_frames`: an error page when its handler
//! raised; any other status when the handler returned and the framework answered the
//! request it took the upgraded connection for, as Werkzeug's "200 OK" after flask-sock's
//! close frame),
//! and a first close frame that came right after the peer's data message with nothing
//! between (its sender reacted to that message). Not where a cause already states the
//! connection's own (the reason's words, a private code's reason, the application's
//! protocol, its last words or heartbeat: a cause stated once), nor for a code that names
//! a condition of the closer's own (1001, 1012, 1013, 1014).
//!
//! In: a session's report, its status decided. Out: [`Cause::HttpResponseInStream`] and
//! [`Cause::CloseAnswersMessage`] added to its status.
//!
//! A close is tied to the peer's message only when that message came within
//! [`REACTION_S`](crate::report::answer::REACTION_S) (50 ms) before it and no frame came between; for a clean close (1000, or an
//! empty close frame) only without a reason (its reason says its own why); and, for a
//! clean close or one with a reason, only when that message was not itself the answer to
//! the closer's own message just before it (a side that sent a request, got its answer and
//! closed is done, not failing). A close after the closer's own message, or long after the last one, is
//! tied to nothing.

use crate::report::cause::{Cause, Message};
use crate::report::ConnectionReport;
use crate::vocab::NotFramesWhat;

/// Characters of the message quoted.
const QUOTED: usize = 200;

/// Adds the causes of this module to `r`'s status.
pub fn status_cause(r: &mut ConnectionReport) {
    let http = r
        .not_frames
        .iter()
        .find(|n| n.what == NotFramesWhat::HttpResponse)
        .map(|n| Cause::HttpResponseInStream {
            from: n.from,
            packet: n.packet,
            after_close: n.after_close,
            http_status: n.http_status,
            status_line: n.status_line.clone().unwrap_or_default(),
            title: n.title.clone(),
            message: answered(r, n.from, n.packet, n.time, false).map(|(m, _)| m),
        });
    if let Some(c) = http {
        if let Cause::HttpResponseInStream { message, .. } = &c {
            cite(r, *message);
        }
        r.status.push_unsaid(c);
        return;
    }
    let Some(close) = r.close_frames.first().filter(|f| f.problems.is_empty()) else {
        return;
    };
    // A cause stated once: a cause already gives the connection's own (the reason's words,
    // a private code's reason, the application's protocol, its last words or heartbeat);
    // or the code names a condition of the closer's own (going away, restarting,
    // overloaded, a bad gateway), not of the message.
    let stated = r.status.causes.iter().any(Cause::states_own_cause);
    if stated || matches!(close.code, Some(1001 | 1012 | 1013 | 1014)) {
        return;
    }
    let clean = matches!(close.code, None | Some(1000));
    // A clean close with a reason says its own why ("done"): no failure is read into it.
    if clean && !close.reason.is_empty() {
        return;
    }
    // A clean close, or one whose reason says why, after an exchange the closer started
    // is not read as a reaction to the answer it got.
    let clean = clean || !close.reason.is_empty();
    let (by, code, packet, time) = (close.from, close.code, close.packet, close.time);
    if let Some((message, seconds)) = answered(r, by, packet, time, clean) {
        let words = r
            .last_words
            .iter()
            .find(|w| w.from == message.from && w.packet == message.packet)
            .map(|w| match w.text.char_indices().nth(QUOTED) {
                Some((at, _)) => format!("{}…", &w.text[..at]),
                None => w.text.clone(),
            });
        cite(r, Some(message));
        r.status.push_unsaid(Cause::CloseAnswersMessage {
            by,
            code,
            close_packet: packet,
            seconds: (seconds * 1000.0).round() / 1000.0,
            message,
            words,
        });
    }
}

/// Adds the peer's message a cause of this module cites to the evidence (the annotated
/// capture comments each of its packets), said where the evidence did not name it yet.
fn cite(r: &mut ConnectionReport, message: Option<Message>) {
    let (Some(ev), Some(m)) = (&mut r.evidence, message) else {
        return;
    };
    if !ev.packets.contains(&m.packet) {
        ev.push(
            crate::report::words::evidence::right_after(m.from, m.packet),
            [m.packet],
        );
    }
}

use crate::report::answer::answered;
