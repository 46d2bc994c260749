//! The words of what an application protocol's messages said ([`AppSaid`](crate::vocab::AppSaid)): the cause
//! label, summary and fix that a session's `application` states, made where the report
//! is finished ([`fill`]) from the typed verdict the report keeps. Each protocol's words are
//! in its own file beside this one.
//!
//! In: an [`ApplicationReport`] with its typed verdict, and the server's close reason.
//! Out: its `cause`, `summary` and `fix`.

use crate::vocab::{AppCause, ApplicationReport};

/// A verdict's words, as the report's `application` states them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words {
    /// A stable label in the protocol's own words ("ping timeout"); none when withheld.
    pub cause: Option<AppCause>,
    /// One sentence with the numbers and packets.
    pub summary: Option<String>,
    /// What to change, when something is to be changed.
    pub fix: Option<String>,
}

impl Words {
    /// A cause with its sentence and fix (none when `fix` is empty).
    pub(crate) fn new(cause: impl Into<AppCause>, summary: String, fix: &str) -> Words {
        Words {
            cause: Some(cause.into()),
            summary: Some(summary),
            fix: (!fix.is_empty()).then(|| fix.to_string()),
        }
    }

    /// A sentence alone: a verdict withheld.
    pub(crate) fn withheld(summary: String) -> Words {
        Words {
            summary: Some(summary),
            ..Words::default()
        }
    }
}

/// Fills `a`'s cause, summary and fix from what its messages said (`a.said`), the summary
/// ending with what a socket.io session's long-polling connections show
/// (`a.long_polling`); `server_reason` is the reason of the session's first close frame
/// when the server sent it (a reason some servers send on every session is said to name no
/// cause).
pub fn fill(a: &mut ApplicationReport, server_reason: Option<&str>) {
    let mut w = a.said.as_deref().map(super::said).unwrap_or_default();
    if let (Some(summary), Some(note), true) = (
        w.summary.as_mut(),
        server_reason.and_then(generic_close),
        w.cause.is_some(),
    ) {
        summary.push_str(&note);
    }
    if let Some(p) = a.long_polling.as_deref() {
        let began = super::socketio::long_polling(p);
        w.summary = Some(match w.summary.take() {
            Some(s) => format!("{s}; {began}"),
            None => began,
        });
    }
    a.cause = w.cause;
    a.summary = w.summary;
    a.fix = w.fix;
}

/// Close reasons a server sends on every session whatever ended it (RabbitMQ 3.x's web
/// plugins: `rabbit_web_stomp_handler`, `rabbit_web_mqtt_handler`), with who sends them.
const GENERIC_CLOSE: [(&str, &str); 2] = [
    ("STOMP died", "RabbitMQ's Web STOMP"),
    ("MQTT died", "RabbitMQ's Web MQTT"),
];

/// For a server's close reason that some server sends whatever happened: the clause a
/// verdict's summary ends with, saying so (the reason names no cause).
fn generic_close(reason: &str) -> Option<String> {
    let (text, who) = GENERIC_CLOSE.iter().find(|(t, _)| *t == reason)?;
    Some(format!(
        "; the close reason \"{text}\" is the text {who} closes every session with, not a cause"
    ))
}

/// `n` ms as the report writes a duration.
pub(crate) fn ms(n: u64) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{} s", n / 1000)
    } else if n >= 1000 {
        format!("{:.1} s", n as f64 / 1000.0)
    } else {
        format!("{n} ms")
    }
}

/// A wire string shortened for a summary (the renderers escape it).
pub(crate) fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("\"{out}\"")
}
