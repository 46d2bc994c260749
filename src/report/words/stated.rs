//! The one line a status group says for a connection whose own cause is known (issue 92
//! item 5: a cause stated once): what set the ending off, the application's last words, a
//! heartbeat that gave up or whose answers stopped, the close reason's words, a side's own
//! decision to close. A report's "what the statuses mean" leads with it in place of the
//! code's catalog meaning, which is only what the code usually means.
//!
//! In: a status's causes. Out: [`stated_line`].

use crate::report::cause::Cause;

/// Whether `c` is a cause [`stated_line`] says: one that states the connection's own cause
/// with words or a fix of its own, so the code's catalog fix is not said after it.
pub fn stated(c: &Cause) -> bool {
    matches!(
        c,
        Cause::HttpResponseInStream { .. }
            | Cause::CloseAnswersMessage { .. }
            | Cause::LastWords { .. }
            | Cause::HeartbeatTimeout { .. }
            | Cause::ReasonWords { .. }
            | Cause::HeartbeatAnswersStopped { .. }
            | Cause::UnpromptedClose { .. }
            | Cause::BetweenPoints { .. }
    )
}

/// Characters of a message's words a status group's line quotes (a word longer than a
/// terminal's width is not broken).
const QUOTED: usize = 40;

/// The line of the cause that states this connection's own, if one does: the trigger
/// (`words::trigger`), else the last words, else a heartbeat, else the close reason's words.
pub fn stated_line(causes: &[Cause]) -> Option<String> {
    super::trigger::trigger_line_cut(causes, QUOTED)
        .or_else(|| own_line(causes))
        .or_else(|| super::app::last_words_line(causes))
        .or_else(|| super::app::heartbeat_line(causes))
        .or_else(|| reason_line(causes))
}

/// "the server's reason \"kicked: rate limit exceeded\" names a policy of the server about
/// this client alone …", when the close reason's words name a kind of cause.
fn reason_line(causes: &[Cause]) -> Option<String> {
    causes.iter().find_map(|c| match c {
        Cause::ReasonWords {
            from,
            code,
            names,
            reason,
            packet,
        } => {
            let reason = match reason.char_indices().nth(QUOTED) {
                Some((at, _)) => format!("{}…", reason.get(..at).unwrap_or_default()),
                None => reason.clone(),
            };
            Some(format!(
                "the {from}'s close {code} [pkt {packet}], \"{reason}\": {}",
                super::reason::meaning(names, from.as_str(), from.peer().as_str())
            ))
        }
        _ => None,
    })
}

/// "the client's close frame 4001 (packet 36)", "the server's FIN (packet 36)": a
/// [`Cause::HeartbeatAnswersStopped`]'s ending.
fn ending(by: crate::vocab::Role, close: bool, code: Option<u16>, packet: u64) -> String {
    match (close, code) {
        (true, Some(c)) => format!("the {by} closed with {c} (packet {packet})"),
        (true, None) => format!("the {by} sent an empty close frame (packet {packet})"),
        (false, _) => format!("the {by} ended the connection (packet {packet})"),
    }
}

/// The sentences of the causes of this module (their `words` facet).
pub fn words(c: &Cause, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    match c {
        Cause::HeartbeatAnswersStopped {
            from,
            message_bytes,
            answer_bytes,
            period_ms,
            last_answered,
            answer_packet,
            first_unanswered,
            unanswered,
            at_least,
            waited_s,
            end_by,
            end_packet,
            close,
            close_code,
        } => {
            let peer = from.peer();
            write!(
                f,
                "The {from}'s application heartbeat (its {message_bytes}-byte message every {}) was answered each time by the {peer}'s {answer_bytes}-byte message, until the {peer}'s last answer (packet {answer_packet}",
                crate::units::Secs(period_ms / 1000.0)
            )?;
            if let Some(p) = last_answered {
                write!(f, ", to the beat at packet {p}")?;
            }
            f.write_str("); then ")?;
            let beats = if *unanswered == 1 { "beat" } else { "beats" };
            match (first_unanswered, at_least) {
                (Some(p), false) => write!(
                    f,
                    "{unanswered} {beats} went unanswered, the first at packet {p}"
                )?,
                _ => write!(f, "at least {unanswered} {beats} went unanswered")?,
            }
            write!(
                f,
                ", and {} later {}. The {peer} stopped answering the {from}'s heartbeat before the end: that is why the session ended, whatever its close code says.",
                crate::units::Secs(*waited_s),
                ending(*end_by, *close, *close_code, *end_packet)
            )
        }
        Cause::UnpromptedClose {
            by,
            code,
            close_packet,
            own_end,
            own_end_packet,
            quiet_s,
            afterwards,
        } => {
            let peer = by.peer();
            let close = match code {
                Some(c) => format!("close frame {c}"),
                None => "empty close frame".to_string(),
            };
            // A private code is an application's choice, never a process's going; an empty
            // close or 1000 may be either (a library shutting down sends them too).
            let whose = match code {
                Some(c @ 3000..=4999) => {
                    format!("its application's decision, stated by code {c}")
                }
                _ => "its application's, or its process going away".to_string(),
            };
            // A process that ended is shown by what came after it (the attempts refused,
            // its port closed), never read from its close alone.
            let gone = afterwards.is_some_and(|a| a.refused > 0);
            match quiet_s {
                Some(q) => write!(
                    f,
                    "Nothing came from the {peer} for {} before the {by}'s {close} (packet {close_packet}): its last frame was that long before, nothing of its since, so the close answered nothing of the {peer}'s; it was the {by}'s own decision ({whose}).",
                    crate::units::Secs(*q)
                )?,
                None => write!(
                    f,
                    "Nothing came from the {peer} before the {by}'s {close} (packet {close_packet}): the {peer} had sent no frame in this session, so the close answered nothing of the {peer}'s; it was the {by}'s own decision ({whose})."
                )?,
            }
            match (own_end.as_deref(), own_end_packet, gone) {
                (Some("rst"), Some(p), true) => write!(
                    f,
                    " The {by} then reset the connection itself (RST at packet {p}), and its port refused what came after: its process most likely went away with the close (a shutdown, an exit)."
                )?,
                (Some(_), Some(p), true) => write!(
                    f,
                    " The {by} then ended TCP itself (FIN at packet {p}) before the {peer}'s close frame in reply, and its port refused what came after: its process most likely went away with the close (a shutdown, an exit)."
                )?,
                (Some("rst"), Some(p), false) => write!(
                    f,
                    " The {by} then reset the connection itself (RST at packet {p}): its socket was closed right after the close frame, with the {peer}'s bytes unread or lingering off (the kernel resets such a close); nothing in the capture shows that its process ended (attempts refused after it, or its other sessions ending at once, would)."
                )?,
                (Some(_), Some(p), false) => write!(
                    f,
                    " The {by} then ended TCP itself (FIN at packet {p}) without waiting for the {peer}'s close frame in reply: its application closed the socket right after sending the close, as one that writes the close frame and closes at once does; nothing in the capture shows that its process ended (attempts refused after it, or its other sessions ending at once, would)."
                )?,
                _ => {}
            }
            match afterwards {
                Some(a) if a.refused > 0 => super::ending::after_words(a, *by, f),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The advice of the causes of this module (their `hint` facet).
pub fn hint(c: &Cause) -> Option<String> {
    match c {
        Cause::HeartbeatAnswersStopped {
            from,
            answer_packet,
            ..
        } => {
            let peer = from.peer();
            Some(format!(
                "Look at the {peer}'s side after packet {answer_packet}, its last answer: why its application stopped answering the {from}'s heartbeat (a blocked event loop, a paused, stalled or overloaded process, a network that went away). If the {peer} was only slow, give the {from}'s heartbeat timeout more room; close with a reason that says so (\"heartbeat timeout\"), so the {peer} learns why."
            ))
        }
        Cause::UnpromptedClose {
            by, close_packet, ..
        } => Some(format!(
            "Read the {by}'s logs at the time of packet {close_packet} for why it closed; a side that closes on purpose should say why in the close frame (a reason, or 1001 for a shutdown, 1012 for a restart), so the {} learns it.",
            by.peer()
        )),
        _ => None,
    }
}

/// The table's line of the causes of this module.
pub fn own_line(causes: &[Cause]) -> Option<String> {
    causes.iter().find_map(|c| match c {
        Cause::HeartbeatAnswersStopped {
            from,
            answer_packet,
            first_unanswered,
            unanswered,
            at_least,
            ..
        } => {
            let more = if *at_least { "at least " } else { "" };
            let first = match first_unanswered {
                Some(p) => format!(", first [pkt {p}]"),
                None => String::new(),
            };
            Some(format!(
                "the {}'s answers to the {from}'s heartbeat stopped after [pkt {answer_packet}]: {more}{unanswered} unanswered{first}",
                from.peer()
            ))
        }
        Cause::UnpromptedClose {
            by,
            close_packet,
            own_end,
            own_end_packet,
            quiet_s,
            afterwards,
            ..
        } => {
            let before = match quiet_s {
                Some(q) => format!(
                    "nothing from the {} for {} before it",
                    by.peer(),
                    crate::units::Secs(*q)
                ),
                None => format!("nothing from the {} before it", by.peer()),
            };
            let refused = match afterwards {
                Some(a) if a.refused > 0 => {
                    let (n, s) = (a.refused, if a.refused == 1 { "" } else { "s" });
                    match (a.first_refused, a.last_refused) {
                        (Some(f), Some(l)) if f != l => {
                            format!(", then {n} reconnect{s} refused [pkt {f}-{l}]")
                        }
                        (Some(f), _) => format!(", then {n} reconnect{s} refused [pkt {f}]"),
                        _ => String::new(),
                    }
                }
                _ => String::new(),
            };
            Some(match (own_end, own_end_packet) {
                (Some(how), Some(p)) => format!(
                    "the {by} closed unprompted [pkt {close_packet}]{} and ended TCP itself ({} [pkt {p}]){refused}: its own decision{}",
                    if quiet_s.is_some() { format!(", {before},") } else { String::new() },
                    how.to_uppercase(),
                    if refused.is_empty() { "" } else { ", likely its shutdown" }
                ),
                _ if !refused.is_empty() => format!(
                    "the {by} closed unprompted [pkt {close_packet}], {before}{refused}: its own decision, likely its shutdown"
                ),
                _ => format!(
                    "the {by} closed unprompted [pkt {close_packet}], {before}: its own decision"
                ),
            })
        }
        _ => None,
    })
}
