//! A close frame as it was on the wire ([`CloseFrame`], RFC 6455 §5.5.1; the JSON's
//! `close_frames[]`) and what is wrong with one ([`Problem`], §5.5.1, §7.4: the JSON's
//! `close_frames[].problems` names).
//!
//! In: nothing of the project. Out: the values `close` reads from a payload (naming the
//! code from its catalog), the decoder keeps and the report lists.

use super::{Role, Timestamp};
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

/// One close frame (RFC 6455 §5.5.1) as it was on the wire: what `close` reads from a
/// payload, the decoder keeps, and the report lists (JSON `close_frames[]`). Stored
/// (`serial`), every field but the name; in JSON ([`CloseFrameJson`]), all but its length,
/// order and masking key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct CloseFrame {
    /// The side that sent it.
    pub from: Role,
    /// `None` for an empty payload, a 1-byte payload, or code bytes missing from the capture.
    pub code: Option<u16>,
    /// The code's name in the close-code catalog, when it has one: `close` names it as it
    /// reads the frame, and again as it reads a stored one back (the stored form keeps
    /// none).
    #[serde(skip)]
    pub name: Option<&'static str>,
    /// The reason, with invalid UTF-8 replaced by U+FFFD (the raw bytes' problem is listed);
    /// escaped when written out.
    pub reason: String,
    /// Its payload's length in bytes (what the frame header says).
    pub payload_len: u64,
    /// The packet in which the frame was completed.
    pub packet: u64,
    /// When the packet that completed it was captured.
    pub time: Timestamp,
    /// What is wrong with it.
    pub problems: Vec<Problem>,
    /// Delivery order within the connection.
    pub order: u64,
    /// The masking key it was sent with (RFC 6455 §5.3), none when unmasked: with the
    /// code, reason and length, what tells a proxy's byte-for-byte copy of a client's
    /// close frame from a close frame of its own (`diagnose::reload`). Not in JSON.
    pub mask_key: Option<[u8; 4]>,
}

/// The JSON view of a [`CloseFrame`]: who sent it, its code and name, reason, packet, time
/// and problems.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(remote = "CloseFrame", rename = "CloseFrameReport")]
#[schemars(description = "One close frame (RFC 6455 §5.5.1), as captured.")]
pub struct CloseFrameJson {
    /// The side that sent it.
    from: Role,
    /// Its status code; null for a close frame with no payload.
    code: Option<u16>,
    /// The code's name in the catalog, when it has one.
    #[schemars(with = "Option<String>")]
    name: Option<&'static str>,
    /// Its reason text (escaped when written out).
    reason: String,
    /// The packet that completed the frame.
    packet: u64,
    /// When that packet was captured.
    time: Timestamp,
    /// What is wrong with it: `one-byte-payload`, `too-long`, `reason-not-utf8`, ...
    /// (docs/json.md).
    #[schemars(schema_with = "problems_schema")]
    problems: Vec<Problem>,
}

impl Serialize for CloseFrame {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            CloseFrameJson::serialize(self, s)
        } else {
            CloseFrame::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for CloseFrame {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CloseFrame, D::Error> {
        CloseFrame::deserialize(d)
    }
}

impl schemars::JsonSchema for CloseFrame {
    /// Its name in the schema, as it was when the report had a type of its own for it.
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CloseFrameReport".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <CloseFrameJson as schemars::JsonSchema>::json_schema(g)
    }
}

/// `CloseFrame::problems`' schema: the names of what is wrong with a close frame.
fn problems_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names = Problem::ALL.map(|p| p.as_str());
    schemars::json_schema!({ "type": "array", "items": { "type": "string", "enum": names } })
}

impl CloseFrame {
    /// Breaks a rule (RFC 6455 §5.5, §7.1.6, §7.4), so a conforming receiver refuses it
    /// and fails the connection instead of accepting its code. Missing bytes alone don't count.
    pub fn rejected(&self) -> bool {
        self.problems.iter().any(|p| *p != Problem::Truncated)
    }

    /// The status the receiving application sees: the code, or 1005 for a frame without one
    /// (§7.1.5). `None` when the code bytes are not in the capture.
    pub fn received_status(&self) -> Option<u16> {
        received_status(
            self.code,
            self.problems.contains(&Problem::Truncated) && self.payload_len >= 2,
        )
    }
}

/// The status a close frame with `code` gives its receiver: the code, or 1005 for a frame
/// without one (RFC 6455 §7.1.5); none when its code bytes are cut from the capture
/// (`code_cut`). The one rule of the report's statuses ([`CloseFrame::received_status`]) and
/// the live events' (`CloseEvent::status`).
pub fn received_status(code: Option<u16>, code_cut: bool) -> Option<u16> {
    match code {
        Some(c) => Some(c),
        None if code_cut => None,
        None => Some(1005),
    }
}
