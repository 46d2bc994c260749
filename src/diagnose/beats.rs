//! A heartbeat carried as messages whose answers stopped (issue 92 item 3): one side sent
//! the same short message at a steady cadence, the other answered each beat with a short
//! message of its own at the same cadence, then the answers stopped while the beats went
//! on, and the session ended after the first unanswered beat, whichever side ended it and
//! with whatever code (a private 4001 with no reason says nothing of it). Any protocol,
//! known to wsclose or not: read from the two sides' repeated short messages
//! (`websocket::lastwords`, [`crate::app::Recent`]: the last four copies of each).
//!
//! In: each side's beats (its most repeated short message, its length and its last copies),
//! whether its direction was followed to the end, and the session's first ending. Out:
//! [`Cause::HeartbeatAnswersStopped`].
//!
//! The answers are told from a second heartbeat by their timing: the answering side's last
//! copies came at the beating side's cadence (within 10 %), and where a beat and the answer
//! after it are both among the copies kept, the answer came within a quarter of the period.
//! The beats went unanswered only when the peer's last answer came before a beat that the
//! ending followed by at least a tenth of the period (and ten times the last answer's
//! delay): a close right after a beat, before any answer could have come, says nothing.
//! A direction with a gap or a lost frame boundary could hide answers: nothing is said.

use crate::app::Recent;
use crate::report::cause::Cause;
use crate::vocab::{Role, Timestamp};

/// One side's heartbeat: the side, its message's length, its last copies.
#[derive(Clone, Copy)]
pub struct Beats<'a> {
    /// The side that sends the beat.
    pub from: Role,
    /// The beat message's length.
    pub bytes: u64,
    /// Its last copies and their answers.
    pub marks: &'a Recent,
    /// Its direction could not be followed to its end (a gap, a lost frame boundary).
    pub lost: bool,
}

/// The session's first ending: who, its packet and time, and the code of the close frame
/// when a close frame was that ending (`Some(None)`: an empty one; `None`: TCP or a stream).
#[derive(Clone, Copy)]
pub struct First {
    /// The side that ended first.
    pub by: Role,
    /// The packet of that ending.
    pub packet: u64,
    /// Its time.
    pub ts: Timestamp,
    /// The close frame's code when a close frame was that ending (`Some(None)`: empty).
    pub close: Option<Option<u16>>,
}

/// How close (as a share of the period) the answers' cadence must be to the beats'.
const SAME_CADENCE: f64 = 0.1;

/// [`Cause::HeartbeatAnswersStopped`] when `a`'s beats went unanswered by `b` before
/// `end`, tried both ways.
pub fn answers_stopped(one: Beats<'_>, other: Beats<'_>, end: First) -> Option<Cause> {
    stopped(one, other, end).or_else(|| stopped(other, one, end))
}

/// `beats`' beats, answered by `answers` until they stopped, before `end`.
fn stopped(beats: Beats<'_>, answers: Beats<'_>, end: First) -> Option<Cause> {
    if beats.lost || answers.lost || beats.from == answers.from {
        return None;
    }
    let period = beats.marks.cadence()?;
    let every = answers.marks.cadence()?;
    if period <= 0.0 || (every - period).abs() > SAME_CADENCE * period {
        return None;
    }
    let before = |m: &(u64, Timestamp)| m.0 < end.packet;
    let answered: Vec<_> = answers.marks.iter().filter(before).collect();
    let &(answer, answer_at) = answered.last()?;
    let kept: Vec<_> = beats.marks.iter().filter(before).collect();
    // The beat the last answer answered, when it is among the copies kept.
    let asked = kept.iter().rev().find(|m| m.1 <= answer_at).copied();
    let delay = match asked {
        Some((_, at)) => {
            let d = answer_at.since(at);
            if d > period / 4.0 {
                return None;
            }
            d
        }
        None => 0.0,
    };
    let after: Vec<_> = kept.iter().filter(|m| m.1 > answer_at).copied().collect();
    let &(first, first_at) = after.first()?;
    let waited = end.ts.since(first_at);
    if waited < (period / 10.0).max(10.0 * delay) {
        return None;
    }
    // Every beat after the last answer is among those kept unless none before it is.
    let at_least = asked.is_none() && !beats.marks.whole();
    Some(Cause::HeartbeatAnswersStopped {
        from: beats.from,
        message_bytes: beats.bytes,
        answer_bytes: answers.bytes,
        period_ms: (period * 1e6).round() / 1e3,
        last_answered: asked.map(|m| m.0),
        answer_packet: answer,
        first_unanswered: (!at_least).then_some(first),
        unanswered: after.len() as u64,
        at_least,
        waited_s: (waited * 1000.0).round() / 1000.0,
        end_by: end.by,
        end_packet: end.packet,
        close: end.close.is_some(),
        close_code: end.close.flatten(),
    })
}

/// Adds [`Cause::HeartbeatAnswersStopped`] to `causes` when the two sides' beats (`beats`
/// of each side) show it before the session's `first` ending; the answering side's own
/// beats that stopped (`pings-stopped` of its message) are that cause, said once.
pub fn add<'a>(
    causes: &mut Vec<Cause>,
    first: Option<First>,
    beats: impl Fn(crate::flow::Side) -> Option<Beats<'a>>,
) {
    let [a, b] = crate::flow::Side::BOTH;
    let (Some(end), Some(a), Some(b)) = (first, beats(a), beats(b)) else {
        return;
    };
    let Some(k) = answers_stopped(a, b, end) else {
        return;
    };
    if let Cause::HeartbeatAnswersStopped { from, .. } = &k {
        let answerer = from.peer();
        causes.retain(|x| {
            !matches!(x, Cause::PingsStopped { from, message_bytes: Some(_), .. } if *from == answerer)
        });
    }
    causes.push(k);
}

/// The first ending of a session: its first close frame (`close`: side, code, packet, time)
/// or its first transport ending (`transport`: side, packet, time), whichever came first.
pub fn first(
    close: Option<(Role, Option<u16>, u64, Timestamp)>,
    transport: Option<(Role, u64, Timestamp)>,
) -> Option<First> {
    let c = close.map(|(by, code, packet, ts)| First {
        by,
        packet,
        ts,
        close: Some(code),
    });
    let t = transport.map(|(by, packet, ts)| First {
        by,
        packet,
        ts,
        close: None,
    });
    match (c, t) {
        (Some(c), Some(t)) => Some(if t.packet < c.packet { t } else { c }),
        (c, t) => c.or(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(at: &[(u64, f64)]) -> Recent {
        let mut r = Recent::default();
        for &(p, s) in at {
            r.add(p, Timestamp((s * 1e9) as i64));
        }
        r
    }

    fn end(by: Role, packet: u64, s: f64, code: Option<u16>) -> First {
        First {
            by,
            packet,
            ts: Timestamp((s * 1e9) as i64),
            close: Some(code),
        }
    }

    /// The server beats every second, the client answers within 1 ms until second 3; the
    /// server's beats at 4 and 5 go unanswered, it closes 4001 at 5.5.
    #[test]
    fn answers_that_stop_before_the_end_are_said() {
        let beats = marks(&[(10, 2.0), (12, 3.0), (14, 4.0), (15, 5.0)]);
        let answers = marks(&[(7, 0.001), (9, 1.001), (11, 2.001), (13, 3.001)]);
        let b = |from, marks, bytes| Beats {
            from,
            bytes,
            marks,
            lost: false,
        };
        let c = answers_stopped(
            b(Role::Client, &answers, 2),
            b(Role::Server, &beats, 2),
            end(Role::Server, 16, 5.5, Some(4001)),
        )
        .expect("a cause");
        let Cause::HeartbeatAnswersStopped {
            from,
            last_answered,
            answer_packet,
            first_unanswered,
            unanswered,
            at_least,
            close_code,
            ..
        } = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(from, Role::Server);
        assert_eq!(
            (last_answered, answer_packet, first_unanswered, unanswered),
            (Some(12), 13, Some(14), 2)
        );
        assert!(!at_least);
        assert_eq!(close_code, Some(4001));
        // Control: the close 1 ms after the last beat, before an answer could come.
        let three = marks(&[(10, 2.0), (12, 3.0), (14, 4.0)]);
        assert!(stopped(
            b(Role::Server, &three, 2),
            b(Role::Client, &answers, 2),
            end(Role::Server, 16, 4.001, Some(1000)),
        )
        .is_none());
        // Control: answers at another cadence are no answers.
        let other = marks(&[(9, 0.5), (11, 2.0), (13, 3.5)]);
        assert!(answers_stopped(
            b(Role::Client, &other, 2),
            b(Role::Server, &beats, 2),
            end(Role::Server, 16, 5.5, Some(4001)),
        )
        .is_none());
        // Control: a direction with a gap says nothing.
        let mut lost = b(Role::Client, &answers, 2);
        lost.lost = true;
        assert!(answers_stopped(
            lost,
            b(Role::Server, &beats, 2),
            end(Role::Server, 16, 5.5, None)
        )
        .is_none());
    }
}
