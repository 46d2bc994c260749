//! What is wrong with a frame (RFC 9113 §4.2, §5.4.1, §6): one [`FrameError`] per rule,
//! with the §7 error code a receiver answers it with.
//!
//! In: what the parsers here and the connection reader found. Out: a typed error, and the
//! value a finding keeps of it ([`FrameError::broke`], said in `report/words/h2.rs`).

use super::head::FrameType;
use super::ids::setting;
use super::reason::ErrorCode;
use crate::vocab::H2Broke;

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

impl FrameError {
    /// The rule as a finding keeps it (`vocab::H2Broke`, said in `report/words/h2.rs`).
    pub fn broke(&self) -> H2Broke {
        match *self {
            FrameError::Incomplete { needed } => H2Broke::Incomplete {
                needed: needed as u64,
            },
            FrameError::TooLarge { kind, len, limit } => H2Broke::TooLarge {
                kind: kind.0,
                len,
                limit,
            },
            FrameError::PadLengthMissing { kind } => H2Broke::PadLengthMissing { kind: kind.0 },
            FrameError::Padding { kind, pad_len, len } => H2Broke::Padding {
                kind: kind.0,
                pad_len,
                len,
            },
            FrameError::BadLength { kind, len } => H2Broke::BadLength { kind: kind.0, len },
            FrameError::StreamZero { kind } => H2Broke::StreamZero { kind: kind.0 },
            FrameError::NotStreamZero { kind, stream } => H2Broke::NotStreamZero {
                kind: kind.0,
                stream,
            },
            FrameError::BadSetting { id, value } => H2Broke::BadSetting { id, value },
            FrameError::SettingsAckWithPayload { len } => H2Broke::SettingsAckWithPayload { len },
            FrameError::FirstNotSettings { kind } => H2Broke::FirstNotSettings { kind: kind.0 },
            FrameError::UnexpectedContinuation { stream } => {
                H2Broke::UnexpectedContinuation { stream }
            }
            FrameError::ExpectedContinuation { open, kind, stream } => {
                H2Broke::ExpectedContinuation {
                    open,
                    kind: kind.0,
                    stream,
                }
            }
            FrameError::PushFromClient => H2Broke::PushFromClient,
        }
    }
}
