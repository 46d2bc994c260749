//! The words of SockJS's verdicts ([`Why`]): the server's close frame `c[code,"reason"]`
//! (what SockJS and its servers mean by it), its heartbeat `h` that stopped.

use super::said::{ms, quote, Words};
use crate::vocab::said::sockjs::{After, Ended, Why};
use crate::vocab::AppCause;

/// The words of SockJS's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::Closed {
            code,
            reason,
            packet,
            after,
        } => {
            let shown = format!("c[{code},{}]", quote(reason));
            let (label, fix) = match meaning(*code, reason) {
                Some((label, fix)) => (label.into(), fix),
                None => (
                    AppCause::quoted(&format!("close {code}"), reason),
                    "The server application closed the session with its own code and reason: see what they mean in the application.",
                ),
            };
            let after = match after {
                After::CloseFrame { by, code, packet } => format!(
                    "; the {by}'s WebSocket close {} at packet {packet} only ended the transport after it",
                    code.map_or_else(|| "with no status code".to_string(), |c| c.to_string())
                ),
                After::Transport { by, how, packet } => format!(
                    "; the {by}'s {how} at packet {packet} only ended the transport after it"
                ),
                After::Nothing => String::new(),
            };
            Words::new(
                label,
                format!("the server closed the SockJS session with its close frame {shown} at packet {packet}{after}"),
                fix,
            )
        }
        Why::HeartbeatStopped {
            period_ms,
            beat,
            ending,
            quiet_ms,
            end_packet,
        } => {
            let ending = match ending {
                Ended::CloseFrame(who) => format!("the {who} closed the WebSocket"),
                Ended::Stream(by, frame) => {
                    format!("the {by} ended its HTTP/2 stream ({frame})")
                }
                Ended::Tcp(by, how) => format!("the {by} ended the TCP connection ({how})"),
                Ended::Session(by) => format!("the {by} ended the session"),
            };
            Words::new(
                "heartbeat stopped",
                format!("the server's heartbeat (h, every {}) stopped after packet {beat}; {ending} {} later at packet {end_packet}", ms(*period_ms), ms(*quiet_ms)),
                "The server stopped sending h: its process was blocked, stopped or gone, or the path dropped; SockJS servers send h every heartbeat_delay (25 s by default), and a client that watches for it gives up after its own timeout.",
            )
        }
    }
}

/// What SockJS and its servers mean by a close frame: the cause label and the fix.
fn meaning(code: u64, reason: &str) -> Option<(&'static str, &'static str)> {
    Some(match (code, reason) {
        (3000, "Go away!") => ("go away", "The server application closed the session on purpose (conn.close() or session.close(), whose default is 3000 \"Go away!\"): find why in the server's code or log at that time; nothing failed on the wire."),
        (1000, "Normal closure") => ("normal closure", "The server application closed the session (sockjs-node's conn.close() with no code sends 1000 \"Normal closure\"): nothing failed; find why in the server's code if it should not have."),
        (3000, "No response from heartbeat") => ("no response from heartbeat", "The client did not answer the server's heartbeat in time (sockjs-node and aiohttp sockjs ping over the WebSocket and wait 10 s for the pong): the client was blocked, or the path dropped the pong."),
        (3000, "Internal error") => ("internal error", "The server's SockJS handler raised an exception (aiohttp sockjs then closes 3000 \"Internal error\"): see the server's log at that time."),
        (2010, "Another connection still open") => ("another connection still open", "A second connection tried to receive on a session that already had one (SockJS allows one per session): the client opened the session twice or reused its session id."),
        (1002, "Connection interrupted") => ("connection interrupted", "The session's earlier receiving connection was cut before it closed (the network or a proxy dropped it): open a new session."),
        _ => return None,
    })
}
