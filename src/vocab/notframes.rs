//! Bytes a side sent where no WebSocket frame may be ([`NotFrames`]): after its own close
//! frame (RFC 6455 §5.5.1: nothing follows it), or an HTTP response where a frame header
//! was expected (a framework that answered the upgraded connection over HTTP). They are
//! counted and recognised, never decoded as frames.
//!
//! In: nothing of the project. Out: the values the websocket decoder makes and the report
//! carries (JSON `not_frames[]`).

use super::side::Role;
use serde::{Deserialize, Serialize};

/// What bytes that are no frames are, when recognisable (JSON `not_frames[].what`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotFramesWhat {
    /// An HTTP/1.x response: a status line (`HTTP/1.1 200 OK`), headers, maybe a page.
    HttpResponse,
    /// A TLS record (its content type 20-23 and version 3.x).
    TlsRecord,
    /// A WebSocket frame header (a frame sent after its sender's close frame).
    WebsocketFrame,
    /// Text: printable ASCII, whitespace, escape sequences, UTF-8.
    Text,
    /// Anything else.
    Binary,
}

impl NotFramesWhat {
    /// Its JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotFramesWhat::HttpResponse => "http-response",
            NotFramesWhat::TlsRecord => "tls-record",
            NotFramesWhat::WebsocketFrame => "websocket-frame",
            NotFramesWhat::Text => "text",
            NotFramesWhat::Binary => "binary",
        }
    }

    /// Its words ("an HTTP response").
    pub fn phrase(self) -> &'static str {
        match self {
            NotFramesWhat::HttpResponse => "an HTTP response",
            NotFramesWhat::TlsRecord => "a TLS record",
            NotFramesWhat::WebsocketFrame => "a WebSocket frame",
            NotFramesWhat::Text => "text",
            NotFramesWhat::Binary => "binary bytes",
        }
    }
}

/// One side's bytes that are no frames: from the first of them to the end of its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotFrames {
    /// The side that sent them.
    pub from: Role,
    /// They came after that side's close frame (RFC 6455 §5.5.1); false: an HTTP response
    /// where a frame header was expected, with no close frame before it.
    pub after_close: bool,
    /// The packet that holds their first byte.
    pub packet: u64,
    /// That packet's time.
    pub time: super::time::Timestamp,
    /// How many of them the capture holds.
    pub bytes: u64,
    /// How many more the capture lacks (gaps among them).
    pub bytes_missing: u64,
    /// What they are, when recognisable.
    pub what: NotFramesWhat,
    /// Their first bytes (at most 64) as ASCII text: printable bytes as they are, CR, LF and
    /// tab as `\r`, `\n`, `\t`, any other byte as `\xNN`. Null when redacted.
    pub first_bytes: Option<String>,
    /// An HTTP response's status code.
    pub http_status: Option<u16>,
    /// An HTTP response's status line ("HTTP/1.1 500 INTERNAL SERVER ERROR"), at most 100
    /// bytes; redacted, its version and code only (`HTTP/1.1 500 [redacted]`).
    pub status_line: Option<String>,
    /// The `<title>` of the HTML page an HTTP response carries, when the capture holds it in
    /// the response's first 512 bytes (at most 100 bytes); `[redacted]` when redacted.
    pub title: Option<String>,
}
