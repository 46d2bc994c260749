//! What the frames were: a frame's [`Opcode`] (RFC 6455 §5.2), one frame of the timeline
//! ([`FrameRecord`]), one side's frame statistics ([`Stats`]), a message answered only by
//! an ending ([`Unanswered`]), how an HTTP/2 stream carrying a session ended
//! ([`StreamEndKind`], RFC 9113 §5.1, §6.4, §6.8) and what a 101 got wrong
//! ([`ResponseFault`], RFC 6455 §4.1).
//!
//! In: nothing of the project. Out: the values `websocket` fills as it decodes, with their
//! serde forms: the stored one (every field, `serial`) and the JSON one (`StatsJson`,
//! `FrameRecordJson`, whose schemas the report's are).

use super::side::Role;
use super::time::Timestamp;
use std::fmt;

/// A frame opcode, kept as the 4-bit value on the wire so unknown ones stay printable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Opcode(pub u8);

impl Opcode {
    /// Continues a fragmented message (0x0).
    pub const CONTINUATION: Opcode = Opcode(0x0);
    /// A text frame (0x1).
    pub const TEXT: Opcode = Opcode(0x1);
    /// A binary frame (0x2).
    pub const BINARY: Opcode = Opcode(0x2);
    /// A close frame (0x8).
    pub const CLOSE: Opcode = Opcode(0x8);
    /// A ping (0x9).
    pub const PING: Opcode = Opcode(0x9);
    /// A pong (0xA).
    pub const PONG: Opcode = Opcode(0xA);

    /// Control frames have the high bit of the opcode set (§5.5).
    pub fn is_control(self) -> bool {
        self.0 & 0x8 != 0
    }

    /// Opcodes 0x3-0x7 and 0xB-0xF are reserved (§5.2).
    pub fn is_reserved(self) -> bool {
        !matches!(self.0, 0x0 | 0x1 | 0x2 | 0x8 | 0x9 | 0xA)
    }

    /// Its name: "text", "binary", "continuation", "close", "ping", "pong", "reserved-data" or
    /// "reserved-control".
    pub fn name(self) -> &'static str {
        match self.0 {
            0x0 => "continuation",
            0x1 => "text",
            0x2 => "binary",
            0x8 => "close",
            0x9 => "ping",
            0xA => "pong",
            0x3..=0x7 => "reserved-data",
            _ => "reserved-control",
        }
    }
}

/// `#[serde(with)]` for an opcode as its name ([`Opcode::name`]): in JSON (a human-readable
/// serializer) the name ("text", "close", "reserved-data", ...), in the stored form (`serial`)
/// the 4-bit value, read back as that opcode.
pub mod name_serde {
    use super::Opcode;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(op: &Opcode, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(op.name())
        } else {
            s.serialize_u8(op.0)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Opcode, D::Error> {
        match u8::deserialize(d)? {
            b @ 0..16 => Ok(Opcode(b)),
            _ => Err(D::Error::custom("not an opcode")),
        }
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_reserved() {
            write!(f, "{} (0x{:X})", self.name(), self.0)
        } else {
            f.write_str(self.name())
        }
    }
}

/// One frame as the timeline shows it. Its serde form is every field when stored
/// (`serial`, the opcode as its 4-bit value); JSON shows `FrameRecordJson`'s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct FrameRecord {
    /// Packet in which the frame was completed.
    pub packet: u64,
    /// When that packet was captured.
    pub ts: Timestamp,
    /// Its place among the connection's events, to order frames of one packet.
    pub order: u64,
    /// The side that sent it.
    pub from: Role,
    /// Its opcode (in JSON its name: "text", "close", ..., "reserved-data").
    #[serde(with = "name_serde")]
    pub opcode: Opcode,
    /// Whether FIN was set (the last frame of a message).
    pub fin: bool,
    /// The RSV1-3 bits, as a number (RSV1 is 4).
    pub rsv: u8,
    /// Whether the payload was masked.
    pub masked: bool,
    /// Its payload length.
    pub len: u64,
    /// Close code and reason, a shortened text preview, or a note; none when not logged.
    pub detail: Option<String>,
}

/// The JSON view of [`FrameRecord`]: every field but the time and the delivery order.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(remote = "FrameRecord", rename = "FrameRecord")]
#[schemars(
    description = "One frame of the timeline (`--timeline`), in the packet that completed it."
)]
pub struct FrameRecordJson {
    packet: u64,
    from: Role,
    #[serde(with = "name_serde")]
    #[schemars(with = "&'static str")]
    opcode: Opcode,
    fin: bool,
    rsv: u8,
    masked: bool,
    len: u64,
    detail: Option<String>,
}

impl serde::Serialize for FrameRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            FrameRecordJson::serialize(self, s)
        } else {
            FrameRecord::serialize(self, s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for FrameRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FrameRecord, D::Error> {
        FrameRecord::deserialize(d)
    }
}

/// One direction's frame statistics. Its serde form is every field when stored (`serial`);
/// JSON (a human-readable serializer) shows `StatsJson`'s, without the marks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct Stats {
    /// Frames sent, of every kind.
    pub frames: u64,
    /// Data messages (text or binary; a fragmented one counts once).
    pub messages: u64,
    /// Text messages.
    pub text_messages: u64,
    /// Binary messages.
    pub binary_messages: u64,
    /// Messages sent compressed (permessage-deflate, RSV1 on the first frame).
    pub compressed_messages: u64,
    /// Pings sent.
    pub pings: u64,
    /// Pongs sent.
    pub pongs: u64,
    /// Payload bytes of every frame (as sent, before any decompression).
    pub payload_bytes: u64,
    /// Largest data message, counting a fragmented one as it grows: (bytes, packet where
    /// it ended, or where it reached that size).
    pub largest_message: Option<(u64, u64)>,
    /// The last frame: its packet and time.
    pub last_frame: Option<(u64, Timestamp)>,
    /// The frame before it: its packet and time (the last before the peer's ending where
    /// one frame came after that ending: a stale client's data meeting the server's reset).
    pub prev_frame: Option<(u64, Timestamp)>,
    /// The last frame that was not a close frame (the activity a close follows).
    pub last_non_close: Option<(u64, Timestamp)>,
    /// The last ping: its packet and time.
    pub last_ping: Option<(u64, Timestamp)>,
    /// The last pong: its packet and time.
    pub last_pong: Option<(u64, Timestamp)>,
    /// Largest single frame's payload: (bytes, packet, opcode).
    pub largest_frame: Option<(u64, u64, Opcode)>,
    /// The last complete data message: (opcode, size, packet where it ended).
    pub last_message: Option<(Opcode, u64, u64)>,
}

/// The JSON view of [`Stats`]: the counts and the largest message, in this order; the
/// other fields (packets and times of the last frames) are not shown.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(remote = "Stats", rename = "Stats")]
#[schemars(
    description = "The frames one side sent: counts, and the largest data message as (bytes, packet)."
)]
pub struct StatsJson {
    frames: u64,
    messages: u64,
    text_messages: u64,
    binary_messages: u64,
    compressed_messages: u64,
    pings: u64,
    pongs: u64,
    payload_bytes: u64,
    largest_message: Option<(u64, u64)>,
}

impl serde::Serialize for Stats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            StatsJson::serialize(self, s)
        } else {
            Stats::serialize(self, s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Stats {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Stats, D::Error> {
        Stats::deserialize(d)
    }
}

/// The schema of [`Stats`] is its JSON view's.
impl schemars::JsonSchema for Stats {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <StatsJson as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <StatsJson as schemars::JsonSchema>::json_schema(g)
    }
}

/// The schema of [`FrameRecord`] is its JSON view's.
impl schemars::JsonSchema for FrameRecord {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <FrameRecordJson as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <FrameRecordJson as schemars::JsonSchema>::json_schema(g)
    }
}

/// The last frame of a connection: a complete data message from one side, after which the
/// other side ended TCP soon, without a frame of its own. What a server (or client) that
/// fails on a message looks like on the wire: a message over its size limit dropped without
/// a 1009, a handler that raised, a parse error treated as fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unanswered {
    /// Who sent the message (the peer of the side that ended TCP).
    pub from: Role,
    /// Its opcode (text or binary).
    pub opcode: Opcode,
    /// Its payload bytes.
    pub size: u64,
    /// The packet where it ended.
    pub packet: u64,
}

/// How the HTTP/2 stream carrying a session ended, one way or for both (RFC 9113 §5.1,
/// §6.4, §6.8). Over HTTP/1.1 these do not exist: TCP's FIN and RST stand in their place.
/// Its `Display` (the frame as a line says it) is `stack::h2::frame::reason`'s, next to the
/// error codes it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum StreamEndKind {
    /// END_STREAM on a DATA or HEADERS frame: the sender will send nothing more (like FIN).
    EndStream,
    /// RST_STREAM with its error code: the stream is over both ways at once (like RST).
    Reset(u32),
    /// GOAWAY with the last stream the sender will process and its error code: it ends this
    /// stream when the stream is above that id, or when the code is an error.
    GoAway {
        /// The last stream the sender will process.
        last_stream: u32,
        /// Its error code (RFC 9113 §7).
        code: u32,
    },
}

/// The name RFC 9113 §7 gives an HTTP/2 error code (RST_STREAM, GOAWAY), or `None` for a
/// code it does not define.
pub fn h2_error_name(code: u32) -> Option<&'static str> {
    H2_ERRORS.get(code as usize).copied()
}

/// The code of an HTTP/2 error code's §7 name, or of its value in hex (`0x1f`), as a
/// stream's ending keeps it.
pub fn h2_error_code(name: &str) -> Option<u32> {
    match name.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => H2_ERRORS.iter().position(|n| *n == name).map(|k| k as u32),
    }
}

/// RFC 9113 §7's error codes, by value.
const H2_ERRORS: [&str; 14] = [
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
];

/// What an HTTP/1.1 101 answer to a WebSocket upgrade gets wrong, on which RFC 6455 §4.1
/// says a client _MUST_ _Fail the WebSocket Connection_ (the accept value is checked apart:
/// `Handshake::accept_valid`). Its stable names are the JSON's (`status.causes[].fault`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseFault {
    /// No `Upgrade` header, or one whose value is not `websocket` (§4.1, point 2).
    UpgradeNotWebsocket,
    /// No `Connection` header, or one that does not list `Upgrade` (§4.1, point 3).
    ConnectionNotUpgrade,
    /// A `Sec-WebSocket-Extensions` naming an extension the client did not offer (§4.1,
    /// point 5).
    ExtensionNotOffered,
    /// A `Sec-WebSocket-Protocol` naming a subprotocol the client did not offer (§4.1,
    /// point 6).
    ProtocolNotOffered,
}
