//! The words of SignalR's verdicts ([`Why`]): a refused handshake, a Close record from
//! either side, a side that timed out waiting for the other.

use super::said::{ms, quote, Words};
use crate::vocab::said::signalr::Why;
use crate::vocab::Role;

/// The words of SignalR's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::HandshakeError { error, packet } => Words::new(
            "handshake error",
            format!("the server refused the SignalR handshake: {} (packet {packet})", quote(error)),
            "Use a hub protocol and version the server has enabled (AddJsonProtocol / AddMessagePackProtocol on the server, the same on the client).",
        ),
        Why::ClientClosed { packet } => Words::new(
            "client closed",
            format!("the client sent its own Close record at packet {packet}: the application stopped the connection (HubConnection.stop())"),
            "",
        ),
        Why::ServerClosed {
            error,
            reconnect,
            packet,
        } => {
            let again = match reconnect {
                Some(true) => ", reconnect allowed",
                Some(false) => ", no reconnect",
                None => "",
            };
            match error {
                Some(e) => Words::new(
                    "closed with error",
                    format!("the server sent Close with error {} at packet {packet}{again}", quote(e)),
                    "The hub closed the connection on an error: see the server's log at that time (EnableDetailedErrors shows more).",
                ),
                None => Words::new(
                    "server closed",
                    format!("the server sent Close without an error at packet {packet}{again}"),
                    "",
                ),
            }
        }
        Why::Timeout {
            by,
            every_ms,
            last,
            quiet_ms,
            end_packet,
        } => {
            let other = by.peer();
            let (cause, setting) = match by {
                Role::Client => ("server timeout", "the client's serverTimeoutInMilliseconds"),
                Role::Server => ("client timeout", "the server's ClientTimeoutInterval"),
            };
            let summary = match every_ms {
                None => format!("the {by} heard nothing from the {other} for {} after packet {last} (past {setting}, 30 s by default) and closed at packet {end_packet}", ms(*quiet_ms)),
                Some(every) => format!("the server had sent a message at least every {} (its pings included), then nothing for {} after packet {last}; the client closed at packet {end_packet} without a Close record, as the SignalR client does when its serverTimeoutInMilliseconds (30 s by default) elapses", ms(*every), ms(*quiet_ms)),
            };
            Words::new(
                cause,
                summary,
                "The other side sent nothing, not even its pings (KeepAliveInterval, 15 s by default): it was blocked or gone, or the path dropped. The client's serverTimeout should be about twice the server's KeepAliveInterval.",
            )
        }
    }
}
