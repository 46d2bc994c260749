//! A close nothing prompted (issue 92 item 4): the first close frame came before the peer
//! had sent any frame at all, so it answered nothing of the peer's: it was its sender's own
//! decision (its application's, or its process going away), empty or not. When the sender
//! then ended TCP itself with an RST, or with a FIN before the peer's close frame in reply,
//! its process most likely went away with the close (a shutdown, an exit).
//!
//! Not where a cause states the connection's own already (a trigger, the reason's words, the
//! application's or its last words, a heartbeat), nor for a close frame with a reason (the
//! reason says why) or a code that names its own condition (1001-1003, 1007-1014: going away,
//! restarting, overloaded, a protocol error, too big): those are said by their words.
//!
//! In: a session's report, its status decided. Out: [`Cause::UnpromptedClose`] added.

use crate::report::cause::Cause;
use crate::report::ConnectionReport;
use crate::vocab::{EndKind, TcpEndName};

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
    // Nothing of the peer's before it: no frame at all (a ping, a pong, a message).
    let theirs = r.frames.of(by.peer());
    if theirs.last_frame.is_some_and(|(p, _)| p < packet)
        || theirs.last_non_close.is_some_and(|(p, _)| p < packet)
    {
        return;
    }
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
    r.status.add(Cause::UnpromptedClose {
        by,
        code: close.code,
        close_packet: packet,
        own_end: own_end.map(|(k, _)| TcpEndName::of(Some(k)).as_str().to_string()),
        own_end_packet: own_end.map(|(_, p)| p),
    });
}
