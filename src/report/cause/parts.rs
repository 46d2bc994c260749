//! The values a [`Cause`](super::Cause)'s fields are made of: endings, messages, frames,
//! legs, with their JSON views (the same names and numbers as stored).

use crate::vocab::{EndKind, Opcode, Role, StreamEndKind, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// How one side ended what carried the session, with its packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Ending {
    /// The side that ended.
    pub by: Role,
    /// FIN, RST, close_notify or an HTTP/2 stream frame.
    pub how: EndHow,
    /// The packet that carried it.
    pub packet: u64,
}

/// The JSON view of an [`Ending`].
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename = "Ending")]
#[schemars(
    description = "How one side ended: `fin`, `rst`, `close-notify` (TLS) or `h2-stream` (its frame named in `frame`)."
)]
struct EndingJson {
    by: Role,
    how: &'static str,
    /// The HTTP/2 stream, for `h2-stream`.
    stream: Option<u32>,
    /// "END_STREAM", "RST_STREAM CANCEL", "GOAWAY NO_ERROR (last stream 7)", for `h2-stream`.
    frame: Option<String>,
    packet: u64,
}

impl Serialize for Ending {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return Ending::serialize(self, s);
        }
        let (how, stream, frame) = match self.how {
            EndHow::Tcp(EndKind::Fin) => ("fin", None, None),
            EndHow::Tcp(EndKind::Rst) => ("rst", None, None),
            EndHow::CloseNotify => ("close-notify", None, None),
            EndHow::Stream { stream, kind } => ("h2-stream", Some(stream), Some(kind.to_string())),
        };
        EndingJson {
            by: self.by,
            how,
            stream,
            frame,
            packet: self.packet,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Ending {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ending, D::Error> {
        Ending::deserialize(d)
    }
}

impl schemars::JsonSchema for Ending {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <EndingJson as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <EndingJson as schemars::JsonSchema>::json_schema(g)
    }
}

/// A TCP ending: who, FIN or RST, and its packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TcpEnding {
    /// The side that ended.
    pub by: Role,
    /// FIN or RST.
    pub kind: EndKind,
    /// The packet that carried it.
    pub packet: u64,
}

/// A data message: who sent it, its type, its payload bytes and the packet where it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Message {
    /// The side that sent it.
    pub from: Role,
    /// Text or binary.
    pub opcode: OpcodeName,
    /// Its payload bytes (after decompression, when compressed).
    pub size: u64,
    /// The packet where it ended.
    pub packet: u64,
}

/// An opcode: its name in JSON ("text", "binary"), its value when stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct OpcodeName(pub Opcode);

impl Serialize for OpcodeName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.0.name())
        } else {
            self.0.serialize(s)
        }
    }
}

impl schemars::JsonSchema for OpcodeName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Opcode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A frame opcode's name (RFC 6455 §5.2): text, binary, continuation, close, ping, pong, reserved-data, reserved-control.",
            "type": "string"
        })
    }
}

/// What the peer of a side that reset after its FIN sent between the two, and how long
/// before the RST.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeerSent {
    /// What it was.
    pub what: PeerSentWhat,
    /// The packet that carried it.
    pub packet: u64,
    /// Seconds from it to the RST.
    pub seconds: f64,
}

/// The kind of thing in [`PeerSent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PeerSentWhat {
    /// A close frame.
    CloseFrame,
    /// A complete data message, its type and size.
    Message {
        /// Text or binary.
        opcode: OpcodeName,
        /// Its payload bytes.
        size: u64,
    },
    /// Another frame (a control frame, or part of a message).
    Frame,
    /// A TLS close_notify alert.
    CloseNotify,
    /// An END_STREAM, RST_STREAM or GOAWAY of the HTTP/2 stream.
    StreamEnd {
        /// The frame, with its error code.
        frame: StreamFrame,
    },
}

/// An HTTP/2 stream-ending frame: its name in JSON, itself when stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct StreamFrame(pub StreamEndKind);

impl Serialize for StreamFrame {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(&self.0)
        } else {
            self.0.serialize(s)
        }
    }
}

impl schemars::JsonSchema for StreamFrame {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StreamFrame".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An HTTP/2 frame that ends a stream, with its error code (RFC 9113 §7): END_STREAM, RST_STREAM CANCEL, GOAWAY NO_ERROR (last stream 7).",
            "type": "string"
        })
    }
}

/// How one leg of a proxied session ended first: who, the frame or segment ("FIN",
/// "RST_STREAM CANCEL on h2 stream 5", "FIN of the whole HTTP/2 connection"), its packet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub struct LegEnding {
    /// The side that ended the leg (as that leg's roles go).
    pub by: Role,
    /// What ended it: "FIN", "RST", "RST_STREAM CANCEL on h2 stream 5", ...
    pub name: String,
    /// The packet that carried it.
    pub packet: u64,
    /// The HTTP/2 stream (an extended CONNECT's, RFC 8441) whose ending this was, when
    /// the leg is one: what the words decide on, not the name's text. Kept in the stored
    /// form, not in JSON (`name` says it).
    #[serde(default)]
    #[schemars(skip)]
    pub h2_stream: Option<u32>,
}

/// JSON (a human-readable form) writes `by`, `name` and `packet`, as it always has; the
/// stored form (postcard) all four fields, in order, as the derived reading expects.
impl Serialize for LegEnding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let stored = !s.is_human_readable();
        let mut st = s.serialize_struct("LegEnding", 3 + usize::from(stored))?;
        st.serialize_field("by", &self.by)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("packet", &self.packet)?;
        if stored {
            st.serialize_field("h2_stream", &self.h2_stream)?;
        } else {
            st.skip_field("h2_stream")?;
        }
        st.end()
    }
}

/// The proxy's ending of both legs of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BothLegs {
    /// The client's leg (connection id) and how the proxy ended it.
    pub front: u64,
    /// How the proxy ended the client's leg.
    pub front_end: LegEnding,
    /// The backend's leg and how the proxy ended it.
    pub back: u64,
    /// How the proxy ended the backend's leg.
    pub back_end: LegEnding,
    /// Milliseconds of quiet on both legs before the first of the two endings.
    pub quiet_ms: f64,
    /// The last frame on either leg, if any.
    pub last_frame_packet: Option<u64>,
}

/// One close frame of a proxied session matched with the other leg's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Relay {
    /// What became of the frame on the other leg.
    pub how: RelayHow,
    /// Who sent the frame (client or server: the backend); for `proxy-own`, whom the proxy
    /// sent it to.
    pub role: Role,
    /// Its code (null: none).
    pub code: Option<u16>,
    /// The leg (connection id) and packet of the frame.
    pub connection: u64,
    /// The frame's packet.
    pub packet: u64,
    /// The other leg (connection id); for `proxy-own` and `answers-proxy`, the frame's own.
    pub to_connection: u64,
    /// The frame the other leg got, when there was one: its code and packet, never before
    /// `packet`; for `answers-proxy`, the proxy's close frame it answered.
    pub to_code: Option<u16>,
    /// The packet of the frame the other leg got.
    pub to_packet: Option<u64>,
    /// For `unknown` and `origin-unknown`: the packet where the frames that would decide
    /// stop on `to_connection` (its gap), when known; null when the capture ends first.
    pub gap_packet: Option<u64>,
}

/// What became of a close frame on the other leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RelayHow {
    /// Passed on with the same code and reason.
    Unchanged,
    /// The other leg got another code, or the same code with another reason.
    Changed,
    /// Not passed on: the other leg got no close frame.
    NotPassedOn,
    /// Not passed on: the proxy answered it itself.
    AnsweredByProxy,
    /// The proxy sent a close frame of its own (neither application started the close).
    ProxyOwn,
    /// The application's close frame answered the proxy's own (`to_connection` is its own
    /// leg, `to_packet` the proxy's frame): there was nothing to relay.
    AnswersProxy,
    /// Not known from the capture: the other leg's frames of its sender's role were not all
    /// decoded (bytes missing there, from `gap_packet`), or go on past the capture's end
    /// (`gap_packet` null), so it may have been relayed there.
    Unknown,
    /// A close frame the proxy sent (`role`: to whom) that is its own or a relay of one in
    /// bytes the other leg (`to_connection`) lost, from `gap_packet`: not known which.
    OriginUnknown,
}

/// How one side ended its half of what carried the session: the TCP connection, or the
/// HTTP/2 stream of an RFC 8441 WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    /// The side that ended.
    pub by: Role,
    /// How.
    pub how: EndHow,
    /// The packet that carried it.
    pub packet: u64,
    /// When that packet was captured.
    pub ts: Timestamp,
    /// Its place among the connection's events, to order endings and frames seen in one packet.
    pub order: u64,
}

/// The ways a session's carrier ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndHow {
    /// TCP's FIN or RST.
    Tcp(EndKind),
    /// An HTTP/2 stream's END_STREAM, RST_STREAM or GOAWAY (RFC 9113 §5.1, §6.4, §6.8).
    Stream {
        /// The stream's id.
        stream: u32,
        /// Which frame, with its error code.
        kind: StreamEndKind,
    },
    /// A TLS close_notify alert (RFC 8446 §6.1, RFC 5246 §7.2.1) that came before either
    /// side ended TCP, on a session that saw no close frame: the sender closed on purpose.
    CloseNotify,
}

impl End {
    /// A TCP ending.
    pub fn tcp(by: Role, kind: EndKind, packet: u64, ts: Timestamp, order: u64) -> End {
        End {
            by,
            how: EndHow::Tcp(kind),
            packet,
            ts,
            order,
        }
    }

    /// Whether it cuts both directions at once (an RST, RST_STREAM, a GOAWAY that ends the
    /// stream), not only the sender's (FIN, END_STREAM).
    pub fn both_ways(&self) -> bool {
        match self.how {
            EndHow::Tcp(k) => k == EndKind::Rst,
            EndHow::CloseNotify => false,
            EndHow::Stream { kind, .. } => kind != StreamEndKind::EndStream,
        }
    }

    /// Who ended, how, and where, as a cause names it.
    pub fn ending(&self) -> Ending {
        Ending {
            by: self.by,
            how: self.how,
            packet: self.packet,
        }
    }
}

/// Why wsclose stopped following a connection before it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Eviction {
    /// More than `--max-flows` connections were tracked at once; it was the least recently
    /// active.
    MaxFlows,
    /// No packet for longer than `--idle-timeout`.
    IdleTimeout,
    /// The state of the connections open at once reached `--max-memory`; it was among the
    /// least recently active.
    MaxMemory,
}

impl Eviction {
    /// Its JSON name: "max_flows", "idle_timeout" or "max_memory".
    pub fn name(self) -> &'static str {
        match self {
            Eviction::MaxFlows => "max_flows",
            Eviction::IdleTimeout => "idle_timeout",
            Eviction::MaxMemory => "max_memory",
        }
    }

    /// The flag that raises the cap.
    pub fn flag(self) -> &'static str {
        match self {
            Eviction::MaxFlows => "--max-flows",
            Eviction::IdleTimeout => "--idle-timeout",
            Eviction::MaxMemory => "--max-memory",
        }
    }

    /// A few words for a table cell: "evicted: over --max-flows".
    pub fn short(self) -> &'static str {
        match self {
            Eviction::MaxFlows => "evicted: over the flow cap (raise --max-flows)",
            Eviction::IdleTimeout => "evicted: idle longer than --idle-timeout",
            Eviction::MaxMemory => "evicted: over the memory budget (raise --max-memory)",
        }
    }
}

/// What a status's first cause sets: the code, its name, whether it was inferred, and the
/// catalog's typical causes and fix (or the fix of a status with no code).
#[derive(Debug, Clone, Default)]
pub struct Head {
    /// The status code; none for a status with no code (open, refused, 1006 inferred...).
    pub code: Option<u16>,
    /// The code's name, or the status's.
    pub name: Cow<'static, str>,
    /// Whether the code was inferred (1005, 1006) rather than read from a close frame.
    pub inferred: bool,
    /// The catalog's typical causes of the code.
    pub general: &'static str,
    /// What to check or change.
    pub fix: Cow<'static, str>,
}

/// What a segment never acknowledged carried (the cause `unacknowledged`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Unacked {
    /// A ping.
    Ping,
    /// A close frame.
    CloseFrame,
    /// A complete data message, its type and size.
    Message {
        /// Text or binary.
        opcode: OpcodeName,
        /// Its payload bytes.
        size: u64,
    },
}

/// What an abrupt ending was, read from the capture (`abrupt-ending`'s `verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EndingVerdict {
    /// The server's own software ended the session (its process stopped, crashed or was
    /// killed, or its code closed the socket).
    ServerProcess,
    /// The client's own software ended the session.
    ClientProcess,
    /// The capture cannot tell which of the candidates it was.
    Unknown,
}

impl EndingVerdict {
    /// The side's own software ending the session.
    pub fn process(by: Role) -> EndingVerdict {
        match by {
            Role::Client => EndingVerdict::ClientProcess,
            Role::Server => EndingVerdict::ServerProcess,
        }
    }

    /// The capture decides it (not [`EndingVerdict::Unknown`]).
    pub fn known(self) -> bool {
        self != EndingVerdict::Unknown
    }

    /// Its JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndingVerdict::ServerProcess => "server-process",
            EndingVerdict::ClientProcess => "client-process",
            EndingVerdict::Unknown => "unknown",
        }
    }
}

/// The peer gone quiet, seen from the host whose data went unacknowledged (`seen-at`'s
/// `peer_silent`): nothing of the peer's reached the capture from the data's first segment
/// to the end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeerSilent {
    /// The peer's last WebSocket frame in the capture.
    pub last_frame: u64,
    /// That frame ended a data message (text or binary): the peer's data stopped arriving.
    pub data: bool,
    /// Seconds from that frame to the connection's last packet in the capture.
    pub before_end_s: f64,
    /// The host's segments from the unacknowledged data's first on (it and its
    /// retransmissions), none answered by a packet of the peer's.
    pub sent_since: u64,
}

/// Data of one side still unacknowledged at the end though sent again
/// (`abrupt-ending`'s `unacknowledged`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StillUnacked {
    /// The side that sent it.
    pub from: Role,
    /// The packet of its first segment.
    pub packet: u64,
    /// How many times it was sent again.
    pub retransmissions: u64,
}

/// What a session's two points of its path show of its ending (`between-points`'s
/// `verdict`, issue 103 item 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PointsVerdict {
    /// The packet that ended the session (a reset or FIN in one side's name) reached the
    /// peer's point, and that side's point never saw it sent: a box between the points
    /// made it.
    MadeBetween,
    /// One side's packets left its point and never reached the other's before the end;
    /// the packet that ended the session was its sender's host's own (seen at both
    /// points): the path's loss, then that side's ending.
    LostBetween,
    /// One side's segments of a size never reached the other's point while its smaller
    /// packets did: a path MTU black hole between the points.
    MtuBetween,
    /// Both points saw the packet that ended the session leave its sender's host and
    /// reach the peer's, and nothing was lost or made between them before it: that
    /// endpoint's own ending.
    Endpoint,
    /// The points cannot tell: in a capture with one interface for both points, the packet
    /// that ended the session has one copy, with its sender's own TTL, and its sender sent
    /// no data after it: its own that never crossed and a box's look alike.
    Undecided,
}
