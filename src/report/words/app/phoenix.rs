//! The words of Phoenix channels' verdicts ([`Why`]): the client's heartbeat timeout, a
//! refused join, the server's timeout.

use super::said::{ms, quote, Words};
use crate::vocab::said::phoenix::Why;

/// The words of Phoenix's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
            Why::HeartbeatTimeout { heartbeat, close } => {
                let which = heartbeat.map_or_else(String::new, |hp| format!(" at packet {hp}"));
                Words::new(
                    "heartbeat timeout",
                    format!("the client's heartbeat{which} got no phx_reply before the next one was due; phoenix.js closed with \"heartbeat timeout\" at packet {close}"),
                    "The server (or the path) stopped answering: check the server's load and every proxy's idle timeout; heartbeatIntervalMs sets the wait (30 s by default).",
                )
            }
            Why::JoinRefused {
                topic,
                reason,
                packet,
                end_packet,
            } => Words::new(
                "join refused",
                format!("the server refused the client's join of {} at packet {packet} (phx_reply status \"error\", reason {}); the client sent nothing more and closed at packet {end_packet}", quote(topic), quote(reason)),
                "The channel's join callback returned {:error, reason}: check what it checks for that topic (often the user's token or permission); the client gave up instead of rejoining.",
            ),
            Why::Timeout {
                last,
                quiet_ms,
                end_packet,
            } => Words::new(
                "timeout",
                format!("the client sent nothing after packet {last}, not even a heartbeat; the server closed {} later at packet {end_packet} (the socket's timeout is 60 s by default)", ms(*quiet_ms)),
                "The client stopped its heartbeat (a paused tab, a blocked event loop, or the path dropped); raise the socket's :timeout only if that is expected.",
            ),
        }
}
