//! What is wrong with a close frame ([`Problem`], RFC 6455 §5.5.1, §7.4): the JSON's
//! `close_frames[].problems` names.
//!
//! In: nothing of the project. Out: the names `close` finds and the report lists.

use serde::{Deserialize, Serialize};

/// What is wrong with a close frame (RFC 6455 §5.5.1, §7.4); JSON `close_frames[].problems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// One byte of payload: too short for a code (§5.5.1).
    OneBytePayload,
    /// Payload over 125 bytes (§5.5).
    TooLong,
    /// The reason is not valid UTF-8 (§5.5.1).
    ReasonNotUtf8,
    /// 1005, 1006 or 1015, which §7.4.1 says must never be sent.
    CodeNeverSent,
    /// A code outside the ranges an endpoint may send (§7.4.2): 0-999, 1004, 1016-2999, >= 5000.
    CodeInvalid,
    /// Part of the payload is missing from the capture.
    Truncated,
}

impl Problem {
    /// Every problem, in declaration order.
    pub const ALL: [Problem; 6] = [
        Problem::OneBytePayload,
        Problem::TooLong,
        Problem::ReasonNotUtf8,
        Problem::CodeNeverSent,
        Problem::CodeInvalid,
        Problem::Truncated,
    ];

    /// Its stable name in JSON: "one-byte-payload", "too-long", ...
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::OneBytePayload => "one-byte-payload",
            Problem::TooLong => "too-long",
            Problem::ReasonNotUtf8 => "reason-not-utf8",
            Problem::CodeNeverSent => "code-never-sent",
            Problem::CodeInvalid => "code-invalid",
            Problem::Truncated => "truncated",
        }
    }
}
