//! The words of Action Cable's verdicts ([`Why`]): the server's disconnect and its reason,
//! a stale connection, a rejected subscription, the consumer's own disconnect.

use super::said::{ms, quote, Words};
use crate::vocab::said::actioncable::Why;
use crate::vocab::AppCause;

/// The words of Action Cable's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::Disconnect {
            reason,
            reconnect,
            packet,
        } => {
            let fix = match reason.as_str() {
                "unauthorized" => "The connection's connect method rejected the user (reject_unauthorized_connection): check the cookie or token it reads.",
                "invalid_request" => "The server refused the request (an origin not in allowed_request_origins, or not a WebSocket upgrade).",
                "server_restart" => "The server was restarting: the consumer reconnects by itself.",
                "remote" => "The server application disconnected this user on purpose (ActionCable.server.remote_connections…disconnect).",
                _ => "",
            };
            let again = match reconnect {
                Some(true) => ", reconnect allowed",
                Some(false) => ", no reconnect",
                None => "",
            };
            // The reasons Action Cable defines name the cause; any other is the server's
            // words, quoted (`AppCause::quoted`).
            let label = match reason.as_str() {
                "" => "disconnect".into(),
                known @ ("unauthorized" | "invalid_request" | "server_restart" | "remote") => {
                    known.into()
                }
                other => AppCause::quoted("disconnect", other),
            };
            Words::new(
                label,
                format!(
                    "the server sent disconnect with reason {} at packet {packet}{again}",
                    quote(reason)
                ),
                fix,
            )
        }
        Why::ServerLost { from } => Words::withheld(format!(
            "the server's Action Cable messages are not all in the capture from packet {from} (a gap, or one that does not inflate): its pings may have come, so no stale connection is stated"
        )),
        Why::Stale {
            last,
            quiet_ms,
            end_packet,
        } => Words::new(
            "stale connection",
            format!("the client heard nothing from the server for {} after packet {last} (it pings every 3 s; the consumer gives up after 6 s) and closed at packet {end_packet}", ms(*quiet_ms)),
            "The server stopped pinging: it was blocked or restarting, or a proxy buffered or dropped the stream.",
        ),
        Why::Rejected {
            id,
            packet,
            end_packet,
        } => Words::new(
            "subscription rejected",
            format!("the server rejected the subscription {} at packet {packet} (reject_subscription, which leaves the connection open); the client then closed at packet {end_packet}, after the rejection", quote(id)),
            "The channel's subscribed method called reject: check the parameters it was given and the user's rights to it.",
        ),
        Why::ConsumerDisconnected { close } => Words::new(
            "consumer disconnected",
            format!("the client closed with an empty close frame at packet {close}, as the consumer's disconnect() does, with no disconnect from the server and no ping overdue: the client's application ended the session"),
            "",
        ),
    }
}
