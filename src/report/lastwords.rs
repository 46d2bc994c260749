//! The last words of a connection: the last data message each side sent, as the report
//! shows it (JSON `last_words`, for every connection), decoded for reading by
//! `diagnose::lastwords`.

use crate::vocab::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// One side's last data message before the close or the end (its first
/// `websocket::lastwords::LAST_WORDS` bytes, decoded for reading).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LastWordsReport {
    /// The side that sent it.
    pub from: Role,
    /// The packet that completed it (or, when it never ended, the one that started it).
    pub packet: u64,
    /// That packet's time.
    pub time: Timestamp,
    /// Its whole length in bytes (as the application gets it: inflated when compressed).
    pub length: u64,
    /// Part of it is missing from the capture (a gap, it does not inflate, or it never
    /// ended): `text` is what the capture holds of it, never completed by a guess.
    pub truncated: bool,
    /// How `text` was read: `text` (UTF-8 text), `json` (text that parses as JSON), `xml`
    /// (text that reads as XML elements), `cbor` or `msgpack` (binary that parses whole as
    /// a CBOR or MessagePack map or array, shown as JSON-like text), `protobuf` (binary
    /// that parses whole as protobuf wire format, or after a varint length prefix: its
    /// fields by number, `1:"text" 2:7 3:{…}`), `strings` (other binary: its printable
    /// strings of four characters or more, ` | ` between them), `hex` (anything else: its
    /// first bytes in hex).
    pub encoding: String,
    /// The message for reading (wire text: escaped by every format; "…" where more of it
    /// is not shown; `[redacted]` under `--redact`).
    pub text: String,
    /// Its words read as an error (error, denied, expired, unauthorized, quota, …, or a
    /// JSON key "error" that holds something), not denied ("no errors", "not expired").
    /// Its words are read for the end (this, `announces`, `gist`) only where they may
    /// matter: a word a reader marks on in either side's last message, or an ending that
    /// is no clean close, and it came within 10 s of the end (`BEFORE_S`); else false, null and
    /// empty.
    pub error_like: bool,
    /// Seconds from it to the connection's first ending (a close frame, FIN or RST); null
    /// when the capture shows no ending, or the message came after it.
    #[serde(default)]
    pub before_end_s: Option<f64>,
    /// How it announces or explains the end, if it does: `error` (its words or an `error`
    /// field), `reason` (a reason or code field, an XMPP condition), `event` (an event,
    /// method or element named like an ending: detached, disposed, evicted, closing,
    /// logout, bye, …), `sign-off` (text that signs off: "logging off", "goodbye"). Error
    /// words in plain text that claim nothing (chat that mentions a fault before a clean
    /// close, the other side's line) leave it null.
    #[serde(default)]
    pub announces: Option<String>,
    /// What it says of the why, in a line: the JSON fields that carry it (`error`,
    /// `reason`, `code`, `message`, ending `type`/`event`/`method` names) at any depth, XML
    /// element names and text, protobuf strings, the last line of text (wire text: escaped
    /// by every format; `[redacted]` under `--redact`).
    #[serde(default)]
    pub gist: String,
}

/// A short data message one side sent again and again at a steady cadence, in a session
/// whose protocol wsclose does not know: that application's heartbeat (or its answers to
/// the other side's), with its period, as `application.heartbeat.<side>.period_ms` gives a
/// known protocol's. It is data, never a WebSocket ping: no pong is awaited for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageHeartbeat {
    /// The side that sent it.
    pub from: Role,
    /// The message's length in bytes (every copy the same bytes).
    pub message_bytes: u64,
    /// Its period: the mean interval between its last copies (at most four are kept), in
    /// ms; each interval within 10 % (or 50 ms) of it.
    pub period_ms: f64,
    /// How many copies it sent, counted from the first one seen since it became one of the
    /// two short messages of that side followed.
    pub sent: u64,
    /// The packet of its last copy.
    pub last_packet: u64,
}

/// The longest time from a message to the first ending for it to be the last words.
pub const BEFORE_S: f64 = 10.0;
