//! Whether a side's close answered its peer's message (`close-answers-message`, RFC 6455
//! §7.1.2's close frame right after a data frame of the peer's, nothing between): one rule
//! for the connection's reading (`diagnose::trigger`) and for the incident stage's endings
//! (`report::incidents`: what a member's close answered), here beside the model it reads.
//!
//! In: a [`ConnectionReport`] (each side's last frames, `Stats`; its gap findings). Out: the
//! message answered and the seconds to the close.

use super::cause::{Message, OpcodeName};
use super::ConnectionReport;
use crate::vocab::{Role, Timestamp};

/// How soon after the peer's message a close frame counts as the answer to it: a handler
/// that fails on a message, or a library that rejects it, closes within milliseconds (2 ms
/// in `frameworks/sanic-raise`); a server that closed five sessions at once 0.1 s after
/// their messages (`node-many`, when the last of them came in) answered none of them.
pub const REACTION_S: f64 = 0.05;

/// How soon after one's own message the peer's message counts as its reply (a close after
/// that reply answers one's own exchange, not the peer): `diagnose::idle::REACTION_S`.
pub const PROMPT_S: f64 = 1.0;

/// The peer's data message that `by`'s ending at `packet`, `time` answered: the peer's last
/// frame before it is its last complete text or binary message, it came within
/// [`REACTION_S`], and `by` sent no frame after it; with `clean`, not when that message came
/// within a second of `by`'s own message just before it (an answer to it); not when bytes
/// of either side are missing from the capture between the two (a gap). With the
/// seconds between the two. Read from each side's last frames (`Stats`), which every
/// session keeps.
pub fn answered(
    r: &ConnectionReport,
    by: Role,
    packet: u64,
    time: Timestamp,
    clean: bool,
) -> Option<(Message, f64)> {
    let (theirs, mine) = (r.frames.of(by.peer()), r.frames.of(by));
    let (opcode, size, mp) = theirs.last_message?;
    let (last, at) = theirs.last_non_close?;
    let seconds = time.since(at);
    let nothing_after = mine.last_non_close.is_none_or(|(p, _)| p < mp)
        && mine.last_frame.is_none_or(|(p, _)| p < mp || p >= packet);
    if last != mp || mp >= packet || !nothing_after || !(0.0..=REACTION_S).contains(&seconds) {
        return None;
    }
    let prompted = match (mine.last_message, mine.last_non_close) {
        (Some((_, _, m)), Some((p, t))) => m == p && at.since(t) <= PROMPT_S,
        _ => false,
    };
    if clean && prompted {
        return None;
    }
    // Bytes missing from the capture between the two, either way, may hold what the close
    // answered (a later message of the peer's) or a frame of the closer's own: nothing is
    // known to be between, not that nothing was.
    let hole = r.findings.iter().any(|f| {
        f.kind == crate::vocab::Kind::Gap && f.packet.is_some_and(|p| p > mp && p <= packet)
    });
    if hole {
        return None;
    }
    Some((
        Message {
            from: by.peer(),
            opcode: OpcodeName(opcode),
            size,
            packet: mp,
        },
        seconds,
    ))
}
