//! The words of STOMP's verdicts ([`Why`]): an ERROR frame, the client's DISCONNECT,
//! missed heart-beats, a server that closed with no frame saying why.

use super::said::{ms, quote, Words};
use crate::vocab::said::stomp::{Then, Why};

/// The cause of a session the server closed with no STOMP frame saying why.
const NO_REASON: &str = "server closed, no STOMP reason";

/// The words of STOMP's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::Error {
            message,
            packet,
            then,
        } => {
            let then = match then {
                Then::ClientClosed(end) => format!(
                    "the client then closed at packet {end}, in answer to the ERROR (its close is the consequence, not a cause of its own)"
                ),
                Then::Disconnected(d, end) => format!(
                    "the client answered it with DISCONNECT at packet {d}, and the server closed at packet {end}"
                ),
                Then::ServerClosed(end) => format!("the server then closed at packet {end}"),
            };
            Words::new(
                "error frame",
                format!("the server sent an ERROR frame {} at packet {packet}; {then}", quote(message)),
                "Fix what the ERROR's message names (often a refused login, a bad destination or a malformed frame).",
            )
        }
        Why::Disconnect { packet, receipt } => {
            let receipt = receipt.map_or_else(String::new, |r| {
                format!(", its receipt answered at packet {r}")
            });
            Words::new(
                "client disconnected",
                format!("the client sent DISCONNECT at packet {packet}{receipt}: a normal end"),
                "",
            )
        }
        Why::BeatsLost { side, from } => Words::withheld(format!(
            "the {side}'s STOMP frames are not all in the capture from packet {from} (a gap, or one that does not inflate): its heart-beats may have come, so no missed heart-beat is stated"
        )),
        Why::MissedBeats {
            by,
            every_ms,
            last,
            quiet_ms,
            end_packet,
        } => Words::new(
            "missed heart-beats",
            format!("the {} was to beat every {}; after its last frame at packet {last} the {by} heard nothing for {} and closed at packet {end_packet}", by.peer(), ms(*every_ms), ms(*quiet_ms)),
            "The other side stopped sending: it was blocked or gone, or the path dropped; check it, and keep the heart-beat well below every proxy's idle timeout.",
        ),
        Why::FramesLost { from } => Words::withheld(format!(
            "the STOMP frames are not all in the capture from packet {from} (a gap, or one that does not inflate): one of them may have said why the server closed, so no verdict is given"
        )),
        Why::NoReason {
            end_packet,
            client_beat,
        } => {
            let beats_note = match client_beat {
                Some((p, q, every)) => format!(
                    "; the client's last frame (packet {p}) was {} before, within its heart-beat of {}",
                    ms(*q),
                    ms(*every)
                ),
                None => String::new(),
            };
            Words::new(
                NO_REASON,
                format!(
                    "the server closed the session at packet {end_packet} with no STOMP frame saying why (no ERROR, and the client sent no DISCONNECT){beats_note}: the broker's operator, a policy or a shutdown ended it"
                ),
                "The protocol does not say why: read the broker's log at the time of the close (an operator closing connections, a policy, a restart); clients should reconnect with backoff.",
            )
        }
    }
}
