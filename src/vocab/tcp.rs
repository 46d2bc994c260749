//! How TCP ended and what it carried: how a side ended ([`EndKind`]), a close frame or an
//! ending as it happens ([`CloseEvent`], [`EventWhat`], for live output), and one
//! direction's reassembly counters ([`Counters`]). RFC 9293 §3.10.7 (FIN, RST).
//!
//! In: nothing of the project. Out: values `stack::tcp` fills as it reassembles.

use super::close::Problem;
use super::endpoint::Endpoint;
use super::frames::{StreamEndKind, Unanswered};
use super::side::Role;
use super::time::Timestamp;

/// How a side ended TCP.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EndKind {
    /// A FIN: the sender will send no more (the peer may still).
    Fin,
    /// An RST: the connection is gone both ways.
    Rst,
}

impl EndKind {
    /// As sentences name it: "FIN" or "RST".
    pub fn name(self) -> &'static str {
        match self {
            EndKind::Fin => "FIN",
            EndKind::Rst => "RST",
        }
    }
}

/// A close frame or a TCP ending, as it happens (for live output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseEvent {
    /// When the packet was captured.
    pub ts: Timestamp,
    /// When the connection's first packet was captured (the report's `start`).
    pub start: Timestamp,
    /// The packet that carried it.
    pub packet: u64,
    /// The client's endpoint.
    pub client: Endpoint,
    /// The server's endpoint.
    pub server: Endpoint,
    /// The path of the WebSocket's upgrade request, when it was captured.
    pub path: Option<String>,
    /// The HTTP/2 stream of an RFC 8441 WebSocket.
    pub h2_stream: Option<u32>,
    /// The side that sent it.
    pub from: Role,
    /// What happened.
    pub what: EventWhat,
    /// True for the event that sets the session's status (the record's `status`): its first
    /// close frame that its receiver does not refuse (`CloseFrame::rejected`), or its first
    /// ending when no such frame came before it (a 1006). False for every other: a refused
    /// close frame, the peer's FIN after the first, a close frame after an ending.
    pub first: bool,
    /// Bytes of the connection are missing from the capture (a gap either way) by the time
    /// of this event: a close frame may have been among them.
    pub missing: bool,
    /// For a first TCP ending (a 1006): the peer's message it came right after, unanswered.
    pub unanswered: Option<Unanswered>,
    /// For an ending with no close frame before it, over TLS: the first close_notify that
    /// came before it (who sent it, its packet). The peer's close_notify means this ending
    /// answered the peer's closing, not a message.
    pub close_notify: Option<(Role, u64)>,
    /// Where the connection's 4-tuple lives (its VLANs and tunnels; 0 for none), as its
    /// report's uid hashes it.
    pub scope: u32,
    /// For a first ending by TCP: its quiet spell, milliseconds from the last frame either
    /// way (from the session's start when it carried none) to it, as the report's
    /// `idle_before_end_s` measures it from what came so far (a frame after it, which
    /// makes the report's unknown, is not known yet).
    pub idle_ms: Option<u32>,
    /// For a first ending by TCP: how long the client host had been dark then, milliseconds:
    /// the server's data unacknowledged from its first such segment, and the host's first
    /// packet after that silence at the ending or shortly before it (as the report's
    /// incident stage reads `unacknowledged-data`: `incident::Ending::dark`).
    pub dark_ms: Option<u32>,
}

impl CloseEvent {
    /// The status this event gives its session (the live line's code, its record's
    /// `status`): what it gives its receiver ([`EventWhat::received_status`]) when it is the
    /// [`first`](CloseEvent::first); none for every other event.
    pub fn status(&self) -> Option<u16> {
        self.what.received_status().filter(|_| self.first)
    }
}

impl EventWhat {
    /// The status this event gives the application that receives it: a close frame's code,
    /// 1005 for one without a code, none when its code bytes are cut from the capture (the
    /// report's rule, `close::received_status`, which also reads the frame's length: they
    /// differ only for a 1-byte payload, refused, which sets no status); 1006 for an ending
    /// (RFC 6455 §7.1.5, §7.4.1: the connection closed without a close frame before it).
    pub fn received_status(&self) -> Option<u16> {
        match self {
            EventWhat::Close { code, problems, .. } => {
                super::close::received_status(*code, problems.contains(&Problem::Truncated))
            }
            EventWhat::Tcp(_) | EventWhat::Stream(_) => Some(1006),
        }
    }
}

/// What a [`CloseEvent`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventWhat {
    /// A close frame.
    Close {
        /// Its code; none for an empty close frame.
        code: Option<u16>,
        /// Its reason text, as sent (escape it before printing it).
        reason: String,
        /// What is wrong with it.
        problems: Vec<Problem>,
    },
    /// A TCP FIN or RST.
    Tcp(EndKind),
    /// An END_STREAM, RST_STREAM or GOAWAY that ended an HTTP/2 WebSocket's stream.
    Stream(StreamEndKind),
}

/// Per-direction counters for the report.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Counters {
    /// Payload bytes delivered in order.
    pub bytes: u64,
    /// Segments with payload.
    pub segments: u64,
    /// Segments that repeated bytes already seen (wholly or in part).
    pub retransmissions: u64,
    /// Segments that arrived ahead of a hole and had to wait.
    pub out_of_order: u64,
    /// Holes in the sequence space that were never filled (bytes missing from the capture).
    pub gaps: u64,
    /// Bytes in those holes.
    pub missing_bytes: u64,
    /// Retransmissions whose bytes differed from the first copy (the first copy is kept).
    pub inconsistencies: u64,
    /// Segments carrying data after this direction's FIN (ignored).
    pub after_fin: u64,
    /// Segments starting more than 1 GiB past the delivered bytes: not believed (a
    /// corrupt or forged sequence number, reassembly rule 2) and ignored.
    pub implausible: u64,
}
