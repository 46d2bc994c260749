//! The words of the causes that name what set an ending off: an HTTP response a framework
//! wrote into the WebSocket stream ([`Cause::HttpResponseInStream`]) and a close frame that
//! answered the peer's message ([`Cause::CloseAnswersMessage`]); the table's line that leads
//! with them ([`trigger_line`]), and their advice ([`hint`]).

use crate::report::cause::{Cause, Message};
use crate::units::Secs;
use crate::vocab::Unanswered;
use std::fmt::{self, Formatter};

/// "the client's 4-byte text message (packet 8)".
fn message_phrase(m: &Message) -> String {
    Unanswered {
        from: m.from,
        opcode: m.opcode.0,
        size: m.size,
        packet: m.packet,
    }
    .phrase()
}

/// The message's words, quoted, or nothing when none were kept.
fn quote(words: &Option<String>) -> String {
    match words {
        Some(w) => format!(", \"{w}\""),
        None => String::new(),
    }
}

/// The response's status line and its page's title, as said: "\"HTTP/1.1 500 …\" (page
/// title \"500 Internal Server Error\")".
fn response(status_line: &str, title: &Option<String>) -> String {
    match title {
        Some(t) => format!("\"{status_line}\" (page title \"{t}\")"),
        None => format!("\"{status_line}\""),
    }
}

/// The sentences of a trigger cause (its `words` facet).
pub fn words(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    match c {
        Cause::HttpResponseInStream {
            from,
            packet,
            after_close,
            http_status,
            status_line,
            title,
            message,
        } => {
            let place = if *after_close {
                format!("after its close frame, in packet {packet}")
            } else {
                format!("in packet {packet}, where a WebSocket frame was expected")
            };
            write!(
                f,
                "The {from}'s framework answered the upgraded connection with an HTTP response {place}: {}",
                response(status_line, title)
            )?;
            if let Some(m) = message {
                write!(f, ", right after {}", message_phrase(m))?;
            }
            f.write_str(".")?;
            let error = http_status.is_some_and(|s| s >= 400);
            if error {
                write!(f, " The {from}'s WebSocket handler most likely raised")?;
                if message.is_some() {
                    f.write_str(" on that message")?;
                }
                f.write_str(", and its framework sent its error page into the upgraded stream, where no HTTP may be; the bytes are not WebSocket frames.")
            } else {
                write!(f, " The {from}'s handler most likely returned without the framework knowing the connection was upgraded; the bytes are not WebSocket frames.")
            }
        }
        Cause::CloseAnswersMessage {
            by,
            code,
            close_packet,
            seconds,
            message,
            words,
        } => {
            let close = match code {
                Some(c) => format!("close frame {c}"),
                None => "empty close frame".to_string(),
            };
            write!(
                f,
                "The {by}'s {close} (packet {close_packet}) came {} after {}{}, with no frame between: the {by} reacted to that message (its handler or WebSocket library failed on it or rejected it); the {by}'s logs at that moment say which.",
                Secs(*seconds),
                message_phrase(message),
                quote(words)
            )
        }
        _ => Ok(()),
    }
}

/// The advice of a trigger cause (its `hint` facet).
pub fn hint(c: &Cause) -> Option<String> {
    match c {
        Cause::HttpResponseInStream {
            from,
            http_status: Some(s),
            packet,
            ..
        } if *s >= 400 => Some(format!(
            "Read the {from}'s error log at the time of packet {packet} for the handler's exception; catch errors inside the WebSocket handler and close with 1011 (or a code of your own), so the peer learns why instead of reading an error page as frames."
        )),
        Cause::HttpResponseInStream { from, packet, .. } => Some(format!(
            "The {from}'s framework wrote an HTTP response (packet {packet}) into the upgraded stream after its WebSocket handler returned: a peer may read those bytes as frames and fail (tshark reads them as close frames with codes made of the response's letters). Upgrade the framework or its WebSocket extension, or end the handler the way its documentation says for upgraded connections."
        )),
        Cause::CloseAnswersMessage { by, message, .. } => Some(format!(
            "Read the {by}'s logs at the time of packet {}: the handler's error or the rule the message broke; say it in the close frame's reason, so the {} learns why.",
            message.packet,
            message.from
        )),
        _ => None,
    }
}

/// The line a status cell leads with when a cause names the trigger: the framework's HTTP
/// response in the stream, else the message a close frame answered.
pub fn trigger_line(causes: &[Cause]) -> Option<String> {
    line(causes, usize::MAX)
}

/// [`trigger_line`] with the message's words cut to `chars` characters ("…" after): a
/// report's "what the statuses mean" wraps its lines at spaces, and a long message without
/// one (1009's payload) would not fit the width.
pub fn trigger_line_cut(causes: &[Cause], chars: usize) -> Option<String> {
    line(causes, chars)
}

fn line(causes: &[Cause], chars: usize) -> Option<String> {
    causes
        .iter()
        .find_map(|c| match c {
            Cause::HttpResponseInStream {
                from,
                packet,
                status_line,
                title,
                ..
            } => Some(format!(
                "{from}'s framework wrote an HTTP response into the stream [pkt {packet}]: {}",
                response(status_line, title)
            )),
            _ => None,
        })
        .or_else(|| {
            causes.iter().find_map(|c| match c {
                Cause::CloseAnswersMessage {
                    by,
                    close_packet,
                    message,
                    words,
                    ..
                } => {
                    Some(format!(
                    "the {by} closed [pkt {close_packet}] in answer to the {}'s message [pkt {}]{}",
                    message.from,
                    message.packet,
                    quote(&words.as_deref().map(|w| match w.char_indices().nth(chars) {
                        Some((at, _)) => format!("{}…", w.get(..at).unwrap_or_default()),
                        None => w.to_string(),
                    }))
                ))
                }
                _ => None,
            })
        })
}
