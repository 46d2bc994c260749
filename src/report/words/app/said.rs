//! What every protocol's words share (each protocol's file beside this one uses it, and
//! `super::fill` gathers their words): a verdict's [`Words`], the cause label, summary and
//! fix that a session's `application` states, and how a duration ([`ms`]) and a wire
//! string ([`quote`]) are written in them.
//!
//! In: the pieces of a verdict. Out: its words. It imports no protocol's file: they import
//! it.

use crate::vocab::AppCause;

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
