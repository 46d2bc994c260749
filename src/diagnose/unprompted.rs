//! A close nothing prompted (issue 92 item 4): the first close frame came before the peer
//! had sent any frame at all, or after the peer had been quiet for [`QUIET_S`] or more with
//! nothing of its since, so it answered nothing of the peer's: it was its sender's own
//! decision (its application's, or its process going away; with a private code, its
//! application's), empty or not. When the sender then ended TCP itself with an RST, or with
//! a FIN before the peer's close frame in reply, its socket was closed right after the
//! close; its process going away needs evidence: the client's attempts refused after a
//! server's such close (the port closed), written in later by the report from the incident
//! stage's `afterwards` (`report::incidents`), which this pass does not read.
//!
//! Not where a cause states the connection's own already (a trigger, the reason's words, the
//! application's or its last words, a heartbeat), nor for a close frame with a reason (the
//! reason says why) or a code that names its own condition (1001-1003, 1007-1014: going away,
//! restarting, overloaded, a protocol error, too big): those are said by their words. A
//! close within [`QUIET_S`] of the peer's last frame is no one's here: within
//! `report::answer::REACTION_S` of its message it is the reaction to it (`close-answers-message`),
//! between the two the capture does not tell; nor where bytes are missing from the capture
//! after the peer's last frame (they may hold a frame the close answered).
//!
//! In: a session's report, its status decided. Out: [`Cause::UnpromptedClose`] added.

use crate::report::cause::Cause;
use crate::report::ConnectionReport;
use crate::vocab::{EndKind, Kind, TcpEndName};

/// Seconds of the peer's quiet before a close for the close to be its sender's own decision:
/// a handler that fails on a message, or a library that rejects it, closes within
/// milliseconds (`report::answer::REACTION_S`); an application that answers a message with a close
/// after work of its own (a database look-up, a call to another service) within a second or
/// two. Five seconds with nothing from the peer is no answer to it.
pub const QUIET_S: f64 = 5.0;

/// Adds [`Cause::UnpromptedClose`] to `r`'s status where it applies (see the header).
pub fn status_cause(r: &mut ConnectionReport) {
    let Some(close) = r.close_frames.first().filter(|f| f.problems.is_empty()) else {
        return;
    };
    let plain = matches!(close.code, None | Some(1000) | Some(3000..=4999));
    if !plain || !close.reason.is_empty() {
        return;
    }
    if r.status.causes.iter().any(Cause::states_own_cause) {
        return;
    }
    let (by, packet) = (close.from, close.packet);
    // Nothing of the peer's before it (no frame at all: a ping, a pong, a message), or its
    // last frame long before, nothing missing from the capture since.
    let theirs = r.frames.of(by.peer());
    // (Its data after the close, crossing it, leaves what it sent before unknown here.)
    if theirs.last_non_close.is_some_and(|(p, _)| p >= packet) {
        return;
    }
    let last = [theirs.last_frame, theirs.last_non_close]
        .into_iter()
        .flatten()
        .filter(|&(p, _)| p < packet)
        .max_by_key(|&(p, _)| p);
    let quiet_s = match last {
        None => None,
        Some((p, at)) => {
            let quiet = close.time.since(at);
            let hole = r
                .findings
                .iter()
                .any(|f| f.kind == Kind::Gap && f.packet.is_some_and(|g| g > p && g <= packet));
            if quiet.is_nan() || quiet < QUIET_S || hole {
                return;
            }
            Some((quiet * 1000.0).round() / 1000.0)
        }
    };
    // The peer's close frame in reply, if one came.
    let reply = r
        .close_frames
        .iter()
        .skip(1)
        .find(|f| f.from == by.peer())
        .map(|f| f.packet);
    // The sender's own TCP ending after its close frame: an RST, or a FIN before the reply.
    let own_end = r
        .tcp_ends
        .iter()
        .find(|e| e.by == by && e.packet >= packet)
        .filter(|e| e.kind == EndKind::Rst || reply.is_none_or(|p| e.packet < p))
        .map(|e| (e.kind, e.packet));
    r.status.push_unsaid(Cause::UnpromptedClose {
        by,
        code: close.code,
        close_packet: packet,
        own_end: own_end.map(|(k, _)| TcpEndName::of(Some(k)).as_str().to_string()),
        own_end_packet: own_end.map(|(_, p)| p),
        quiet_s,
        afterwards: None,
    });
}
