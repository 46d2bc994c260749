//! What is wrong with a frame (RFC 9113 §4.2, §5.4.1, §6): one [`FrameError`] per rule,
//! with the §7 error code a receiver answers it with.
//!
//! In: what the parsers here and the connection reader found. Out: a typed error that
//! prints the rule and its RFC section.

use super::head::FrameType;
use super::ids::setting;
use super::reason::ErrorCode;
use std::fmt;

/// What is wrong with a frame. Every variant but [`FrameError::Incomplete`] is a
/// connection error (§5.4.1): a receiver would close the connection, and a reader of the
/// byte stream cannot trust what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// `needed` more bytes are required before anything can be said; nothing consumed.
    Incomplete { needed: usize },
    /// The payload is longer than the receiver allows (§4.2), or than this reader keeps.
    TooLarge {
        kind: FrameType,
        len: u32,
        limit: u32,
    },
    /// PADDED set but the payload has no room for the pad length byte (§6.1, §6.2).
    PadLengthMissing { kind: FrameType },
    /// The padding is as long as the payload or longer (§6.1, §6.2, §6.6).
    Padding {
        kind: FrameType,
        pad_len: u8,
        len: u32,
    },
    /// A frame of a fixed or minimum size has another size (§6.3-§6.9): FRAME_SIZE_ERROR.
    BadLength { kind: FrameType, len: u32 },
    /// A frame that belongs to a stream arrived on stream 0.
    StreamZero { kind: FrameType },
    /// A connection-level frame arrived on a stream.
    NotStreamZero { kind: FrameType, stream: u32 },
    /// A SETTINGS value out of its range (§6.5.2, RFC 8441 §3).
    BadSetting { id: u16, value: u32 },
    /// SETTINGS with ACK set and a payload (§6.5).
    SettingsAckWithPayload { len: u32 },
    /// The first frame of an endpoint is not SETTINGS (§3.4).
    FirstNotSettings { kind: FrameType },
    /// CONTINUATION with no header block open (§6.10).
    UnexpectedContinuation { stream: u32 },
    /// A header block is open on `open` and another frame arrived (§6.10: only
    /// CONTINUATION on the same stream may follow).
    ExpectedContinuation {
        open: u32,
        kind: FrameType,
        stream: u32,
    },
    /// PUSH_PROMISE from a client (§8.4).
    PushFromClient,
}

impl FrameError {
    /// The §7 code a receiver answers this error with (GOAWAY).
    pub fn code(&self) -> ErrorCode {
        match self {
            FrameError::Incomplete { .. } => ErrorCode::NO_ERROR,
            FrameError::TooLarge { .. }
            | FrameError::BadLength { .. }
            | FrameError::SettingsAckWithPayload { .. } => ErrorCode::FRAME_SIZE_ERROR,
            FrameError::BadSetting {
                id: setting::INITIAL_WINDOW_SIZE,
                ..
            } => ErrorCode::FLOW_CONTROL_ERROR,
            _ => ErrorCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::Incomplete { needed } => write!(f, "{needed} more bytes needed"),
            FrameError::TooLarge { kind, len, limit } => write!(
                f,
                "{kind} frame of {len} bytes over the {limit}-byte limit (RFC 9113 §4.2)"
            ),
            FrameError::PadLengthMissing { kind } => write!(
                f,
                "{kind} frame with PADDED set has no pad length byte (RFC 9113 §6.1)"
            ),
            FrameError::Padding { kind, pad_len, len } => write!(
                f,
                "{kind} frame of {len} bytes with {pad_len} bytes of padding: padding must be \
                 shorter than the payload (RFC 9113 §6.1)"
            ),
            FrameError::BadLength { kind, len } => write!(
                f,
                "{kind} frame of {len} bytes has the wrong length (RFC 9113 §6)"
            ),
            FrameError::StreamZero { kind } => {
                write!(f, "{kind} frame on stream 0 (RFC 9113 §6)")
            }
            FrameError::NotStreamZero { kind, stream } => write!(
                f,
                "{kind} frame on stream {stream}: it belongs to stream 0 (RFC 9113 §6)"
            ),
            FrameError::BadSetting { id, value } => write!(
                f,
                "SETTINGS parameter 0x{id:x} = {value} is out of range (RFC 9113 §6.5.2, \
                 RFC 8441 §3)"
            ),
            FrameError::SettingsAckWithPayload { len } => {
                write!(f, "SETTINGS ACK with a {len}-byte payload (RFC 9113 §6.5)")
            }
            FrameError::FirstNotSettings { kind } => {
                write!(f, "first frame is {kind}, not SETTINGS (RFC 9113 §3.4)")
            }
            FrameError::UnexpectedContinuation { stream } => write!(
                f,
                "CONTINUATION on stream {stream} with no header block open (RFC 9113 §6.10)"
            ),
            FrameError::ExpectedContinuation { open, kind, stream } => write!(
                f,
                "{kind} frame on stream {stream} inside the header block of stream {open}: \
                 only CONTINUATION may follow (RFC 9113 §6.10)"
            ),
            FrameError::PushFromClient => {
                f.write_str("PUSH_PROMISE from the client (RFC 9113 §8.4)")
            }
        }
    }
}

impl std::error::Error for FrameError {}
