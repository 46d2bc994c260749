//! The quiet spell before a 1006, and the message a side may have reacted to.
//!
//! In: how long nothing was sent before the first ending, the last frame, ping and pong,
//! and each side's last message ([`Idle`]). Out: the causes that explain a 1006 by them
//! ([`causes`]): a quiet spell, an unanswered message (the side that ended failed on it),
//! a spell as long as a well-known proxy idle timeout.

use crate::close::timeouts::{self, Kind, Timeout};
use crate::report::cause::{Cause, EndHow, Message, OpcodeName};
use crate::vocab::{PerSide, Role, Stats, Timestamp, Unanswered};

/// The quiet spell before a connection ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Idle {
    /// Seconds from the last frame (either way) to the ending.
    pub seconds: f64,
    /// What ended: TCP, or the session's HTTP/2 stream.
    pub how: EndHow,
    /// The packet of that ending.
    pub end_packet: u64,
    /// The last frame either way before it, if any.
    pub last_frame_packet: Option<u64>,
    /// The last ping either way before it, if any.
    pub last_ping_packet: Option<u64>,
    /// The last pong either way before it, if any.
    pub last_pong_packet: Option<u64>,
    /// The side that ended first.
    pub ended_by: Role,
    /// Seconds from the connection's first packet to that ending.
    pub lasted_s: f64,
    /// The message the side that ended TCP had just received, when it ended TCP soon after
    /// and sent no frame in between.
    pub unanswered: Option<Unanswered>,
}

/// The known idle timeouts whose default a quiet spell of `idle_s` seconds matches.
pub fn idle_timeout_match(idle_s: f64) -> Vec<&'static Timeout> {
    timeouts::matching(Kind::Idle, idle_s)
}

/// The known timeouts a quiet spell matches (idle ones) and the session's length matches
/// (maximum lifetimes), idle ones first.
pub fn timeout_matches(idle: &Idle) -> Vec<&'static Timeout> {
    let mut m = idle_timeout_match(idle.seconds);
    m.extend(timeouts::matching(Kind::Lifetime, idle.lasted_s));
    m
}

/// What the capture shows about the quiet spell before a 1006.
pub fn causes(idle: &Idle) -> Vec<Cause> {
    let end = crate::report::cause::Ending {
        by: idle.ended_by,
        how: idle.how,
        packet: idle.end_packet,
    };
    let mut causes = vec![match idle.unanswered {
        Some(u) => Cause::UnansweredMessage {
            seconds: idle.seconds,
            end,
            message: Message {
                from: u.from,
                opcode: OpcodeName(u.opcode),
                size: u.size,
                packet: u.packet,
            },
            last_ping_packet: idle.last_ping_packet,
            last_pong_packet: idle.last_pong_packet,
        },
        None => Cause::QuietSpell {
            seconds: idle.seconds,
            end,
            last_frame_packet: idle.last_frame_packet,
            last_ping_packet: idle.last_ping_packet,
            last_pong_packet: idle.last_pong_packet,
        },
    }];
    let matches = timeout_matches(idle);
    if !matches.is_empty() {
        causes.push(Cause::IdleTimeout {
            seconds: idle.seconds,
            ended_by: idle.ended_by,
            matches: matches.iter().map(|t| t.id.to_string()).collect(),
            lasted_s: idle.lasted_s,
        });
    }
    causes
}

/// How soon after a message a TCP end counts as the receiver's reaction to it: the same
/// second that makes a message the reply to one's own (`report::answer::PROMPT_S`).
use crate::report::answer::PROMPT_S as REACTION_S;

/// The message `by` (the side that ended TCP at packet `end`, time `at`) left unanswered,
/// from what each side `sent`: the peer's last frame ended a complete data message, `by`
/// sent nothing after it, and ended within [`REACTION_S`].
pub fn unanswered(by: Role, sent: PerSide<&Stats>, end: u64, at: Timestamp) -> Option<Unanswered> {
    let (theirs, mine) = (*sent.of(by.peer()), *sent.of(by));
    let (opcode, size, packet) = theirs.last_message?;
    let (last, sent_at) = theirs.last_frame?;
    let nothing_after = mine.last_frame.is_none_or(|(p, _)| p < packet);
    let soon = at.since(sent_at) <= REACTION_S;
    (last == packet && nothing_after && packet < end && soon).then_some(Unanswered {
        from: by.peer(),
        opcode,
        size,
        packet,
    })
}
