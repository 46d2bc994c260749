//! What an HTTP/2 connection said, as [`H2Event`]s handed to the caller one at a time, and
//! why a direction (or its HPACK state) stopped being read ([`LostReason`], kept by a
//! finding as `vocab::H2Stop`).

use super::frame::{ErrorCode, FrameError, FrameType};
use super::hpack::HpackError;
use super::{MAX_BUFFERED_FRAME, MAX_HEADER_BLOCK};
use crate::vocab::H2Stop;
use crate::vocab::Timestamp;

/// Why a direction (or its HPACK state) can no longer be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LostReason {
    /// TCP reassembly could not fill a hole: frame boundaries are lost.
    Gap,
    /// The client's bytes do not start with the connection preface (RFC 9113 §3.4).
    NoPreface,
    /// A frame broke RFC 9113 (a connection error, §5.4.1).
    Frame(FrameError),
    /// A frame other than DATA longer than this reader keeps ([`MAX_BUFFERED_FRAME`]).
    FrameTooLargeToKeep { kind: FrameType, len: u32 },
    /// A header block longer than this reader keeps ([`MAX_HEADER_BLOCK`]).
    HeaderBlockTooLarge { stream: u32 },
    /// A header block did not decode: the direction's HPACK table is out of step. Framing
    /// goes on; heads of this direction are [`H2Event::Unreadable`] from here on.
    Hpack { stream: u32, error: HpackError },
    /// The client sent more than `cap` bytes after an `Upgrade: h2c` request before the
    /// server answered it (RFC 7540 §3.2); those past the cap were not kept.
    NotKeptBeforeUpgrade { cap: usize },
}

impl LostReason {
    /// Whether frames can no longer be found (everything of the direction is lost), as
    /// opposed to only its header blocks.
    pub fn framing_lost(&self) -> bool {
        !matches!(self, LostReason::Hpack { .. })
    }

    /// The reason as the finding keeps it (`vocab::H2Stop`, said in `report/words/h2.rs`).
    pub fn stop(&self) -> H2Stop {
        match self {
            LostReason::Gap => H2Stop::Gap,
            LostReason::NoPreface => H2Stop::NoPreface,
            LostReason::Frame(e) => H2Stop::Frame {
                broke: e.broke(),
                code: e.code().0,
            },
            LostReason::FrameTooLargeToKeep { kind, len } => H2Stop::FrameTooLargeToKeep {
                kind: kind.0,
                len: *len,
                kept: MAX_BUFFERED_FRAME,
            },
            LostReason::HeaderBlockTooLarge { stream } => H2Stop::HeaderBlockTooLarge {
                stream: *stream,
                kept: MAX_HEADER_BLOCK as u64,
            },
            LostReason::Hpack { stream, error } => H2Stop::Hpack {
                stream: *stream,
                why: error.0,
            },
            LostReason::NotKeptBeforeUpgrade { cap } => {
                H2Stop::NotKeptBeforeUpgrade { cap: *cap as u64 }
            }
        }
    }
}

/// What an HTTP/2 connection said. Strings are the header field values (invalid UTF-8
/// replaced, cut at [`super::hpack::MAX_FIELD_LEN`] bytes); byte slices borrow the caller's chunk or
/// an internal buffer, for the duration of the callback.
///
/// Every HEADERS block of a stream is reported as exactly one of `Request`, `Response`,
/// `Trailers` or `Unreadable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum H2Event<'a> {
    /// A SETTINGS frame (not an acknowledgement).
    Settings {
        from_client: bool,
        /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3), if the frame has it.
        enable_connect_protocol: Option<bool>,
        header_table_size: Option<u32>,
        max_frame_size: Option<u32>,
        packet: u64,
        ts: Timestamp,
    },
    /// The client's head of a stream: it has request pseudo-header fields (RFC 9113
    /// §8.3.1). A WebSocket is `method == Some("CONNECT")` with
    /// `protocol == Some("websocket")` (RFC 8441 §4-5).
    Request {
        stream: u32,
        method: Option<&'a str>,
        protocol: Option<&'a str>,
        scheme: Option<&'a str>,
        authority: Option<&'a str>,
        path: Option<&'a str>,
        ws_version: Option<&'a str>,
        ws_protocols: Option<&'a str>,
        ws_extensions: Option<&'a str>,
        /// The WebSocket library its `user-agent` names.
        software: Option<&'a crate::vocab::Software>,
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    /// The server's head of a stream: it has `:status` (RFC 9113 §8.3.2); 1xx heads too.
    Response {
        stream: u32,
        /// `None` if `:status` is not three digits.
        status: Option<u16>,
        ws_protocol: Option<&'a str>,
        ws_extensions: Option<&'a str>,
        /// The WebSocket library its `server` field names.
        software: Option<&'a crate::vocab::Software>,
        /// The proxy product its `server` or `via` field names.
        proxy: Option<&'a crate::vocab::ProxyProduct>,
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    /// A header block with neither request nor response pseudo-header fields: trailers
    /// (RFC 9113 §8.1).
    Trailers {
        stream: u32,
        from_client: bool,
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    /// A header block that cannot be read because this direction's HPACK state was lost
    /// (at packet `lost_at`, `None` if that packet is unknown). The frame flags still are.
    Unreadable {
        stream: u32,
        from_client: bool,
        end_stream: bool,
        lost_at: Option<u64>,
        packet: u64,
        ts: Timestamp,
    },
    /// DATA payload bytes (padding removed). A frame split across chunks is reported in
    /// pieces, in order; `end_stream` is on the last piece of a frame with END_STREAM, which
    /// may be empty.
    Data {
        stream: u32,
        from_client: bool,
        bytes: &'a [u8],
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    RstStream {
        stream: u32,
        from_client: bool,
        code: ErrorCode,
        packet: u64,
        ts: Timestamp,
    },
    GoAway {
        from_client: bool,
        last_stream: u32,
        code: ErrorCode,
        /// Additional debug data (RFC 9113 §6.8), as sent.
        debug: &'a [u8],
        packet: u64,
        ts: Timestamp,
    },
    /// A direction (or, for [`LostReason::Hpack`], its HPACK state) can no longer be read.
    /// Reported once per direction for framing, once for HPACK.
    Lost {
        from_client: bool,
        reason: LostReason,
        packet: Option<u64>,
    },
}
