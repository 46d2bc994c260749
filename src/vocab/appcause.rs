//! An application's cause label ([`AppCause`], JSON `application.cause` and the
//! `application` cause's `cause`): one its protocol defines, or a message's words that the
//! protocol does not define, quoted after the message's name. Typed so that `--redact`
//! leaves the peer's words out by the field that holds them, and words quote a label by
//! what it is, neither reading the label back.
//!
//! In: nothing of the project. Out: the label, a string in JSON; in the stored form, its
//! parts.

use serde::{Deserialize, Serialize};

/// The most characters of a peer's words a label shows ("…" after): 4 000 characters of
/// a reason fill no table.
pub const LABEL_SHOWN: usize = 60;

/// What a peer's words are replaced by under `--redact`.
const REDACTED: &str = "[redacted]";

/// An application's cause label. Reads as the label (`Deref<Target = str>`, `Display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AppCause {
    /// The label as shown.
    label: String,
    /// The message whose words it quotes, when it does ("disconnect", "close 4001",
    /// "CALLERROR"): the label is then `message "words"`.
    quotes: Option<String>,
}

impl AppCause {
    /// A label the protocol (or wsclose, reading it) defines: "ping timeout", "session taken
    /// over".
    pub fn defined(label: impl Into<String>) -> AppCause {
        AppCause {
            label: label.into(),
            quotes: None,
        }
    }

    /// The label of a message `message` whose words `words` (a reason, an error code) are
    /// none the protocol defines: `message "words"`, the words cut to `LABEL_SHOWN`
    /// characters ("…" after). Quoted and named by its message, the peer's words read as
    /// what it sent, never as a cause the tool concluded (a reason "ping timeout" is
    /// `disconnect "ping timeout"`).
    pub fn quoted(message: &str, words: &str) -> AppCause {
        let mut shown: String = words.chars().take(LABEL_SHOWN).collect();
        if shown.len() < words.len() {
            shown.push('…');
        }
        AppCause {
            label: format!("{message} \"{shown}\""),
            quotes: Some(message.to_owned()),
        }
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.label
    }

    /// Whether it quotes a peer's words (`message "words"`).
    pub fn quotes_peer(&self) -> bool {
        self.quotes.is_some()
    }

    /// For `--redact`: the peer's words left out (`disconnect "[redacted]"`); whether there
    /// were any. A label the protocol defines stays.
    pub fn redact(&mut self) -> bool {
        let Some(message) = &self.quotes else {
            return false;
        };
        self.label = format!("{message} \"{REDACTED}\"");
        true
    }
}

impl std::ops::Deref for AppCause {
    type Target = str;
    fn deref(&self) -> &str {
        &self.label
    }
}

impl std::fmt::Display for AppCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl From<&str> for AppCause {
    fn from(label: &str) -> AppCause {
        AppCause::defined(label)
    }
}

impl From<String> for AppCause {
    fn from(label: String) -> AppCause {
        AppCause::defined(label)
    }
}

/// JSON: the label; stored: its parts.
impl Serialize for AppCause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.label)
        } else {
            AppCause::serialize(self, s)
        }
    }
}

/// JSON: a label, read as one the protocol defines (JSON does not say which); stored: its
/// parts.
impl<'de> Deserialize<'de> for AppCause {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AppCause, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d).map(AppCause::defined)
        } else {
            AppCause::deserialize(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppCause;

    #[test]
    fn a_quoted_label_is_redacted_by_its_words_alone() {
        let mut q = AppCause::quoted("disconnect", "user alice at 10.0.0.7 banned");
        assert_eq!(&*q, r#"disconnect "user alice at 10.0.0.7 banned""#);
        assert!(q.quotes_peer());
        assert!(q.redact());
        assert_eq!(q.to_string(), r#"disconnect "[redacted]""#);
        // A label the protocol defines stays, whatever it holds.
        let mut d = AppCause::defined(r#"close "x""#);
        assert!(!d.quotes_peer());
        assert!(!d.redact());
        assert_eq!(d.as_str(), r#"close "x""#);
    }

    #[test]
    fn long_words_are_cut() {
        let long = "x".repeat(100);
        let q = AppCause::quoted("CALLERROR", &long);
        assert_eq!(q.as_str(), format!("CALLERROR \"{}…\"", "x".repeat(60)));
    }

    #[test]
    fn json_is_the_label_and_the_stored_form_keeps_the_parts() {
        let q = AppCause::quoted("ABORT", "who knows");
        assert_eq!(
            serde_json::to_string(&q).unwrap(),
            r#""ABORT \"who knows\"""#
        );
        let bytes = postcard::to_allocvec(&q).unwrap();
        let mut back: AppCause = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, q);
        assert!(back.redact());
    }
}
