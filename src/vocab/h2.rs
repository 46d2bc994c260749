//! Why HTTP/2 stopped being read, as values: a direction's framing or its HPACK state lost
//! ([`H2Stop`]), the RFC 9113 rule a frame broke ([`H2Broke`]); and the names of frame
//! types (§6, §11.2). The HTTP/2 layer records them in `h2-lost` and `handshake-invalid`
//! findings; their words are made in `report/words/h2.rs`.
//!
//! In: nothing of the project. Out: the values.

use serde::{Deserialize, Serialize};

/// The RFC 9113 name of a frame type (§6, §11.2), or `None` for a type it does not define.
pub fn h2_frame_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        0x0 => "DATA",
        0x1 => "HEADERS",
        0x2 => "PRIORITY",
        0x3 => "RST_STREAM",
        0x4 => "SETTINGS",
        0x5 => "PUSH_PROMISE",
        0x6 => "PING",
        0x7 => "GOAWAY",
        0x8 => "WINDOW_UPDATE",
        0x9 => "CONTINUATION",
        _ => return None,
    })
}

/// Why a direction of an HTTP/2 connection (or its HPACK state) can no longer be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum H2Stop {
    /// TCP reassembly could not fill a hole: frame boundaries are lost.
    Gap,
    /// The client's bytes do not start with the connection preface (RFC 9113 §3.4).
    NoPreface,
    /// A frame broke RFC 9113 (a connection error, §5.4.1).
    Frame {
        /// The rule.
        broke: H2Broke,
        /// The §7 error code a receiver answers it with.
        code: u32,
    },
    /// A frame other than DATA longer than the reader keeps.
    FrameTooLargeToKeep {
        /// Its type.
        kind: u8,
        /// Its length.
        len: u32,
        /// The bytes kept.
        kept: u32,
    },
    /// A header block longer than the reader keeps.
    HeaderBlockTooLarge {
        /// Its stream.
        stream: u32,
        /// The bytes kept.
        kept: u64,
    },
    /// A header block did not decode: the direction's HPACK table is out of step (framing
    /// goes on).
    Hpack {
        /// Its stream.
        stream: u32,
        /// What the decoder met (RFC 7541).
        why: HpackProblem,
    },
    /// The client sent more than `cap` bytes after an `Upgrade: h2c` request before the
    /// server answered it (RFC 7540 §3.2); those past the cap were not kept.
    NotKeptBeforeUpgrade {
        /// The bytes kept.
        cap: u64,
    },
}

/// What the HPACK reader met in a header block it could not decode (RFC 7541): its words
/// are made in `report/words/h2.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HpackProblem {
    /// An integer (§5.1) over 32 bits.
    IntegerTooLarge,
    /// The block ends inside an integer (§5.1).
    EndsInsideInteger,
    /// The block ends inside a string literal (§5.2).
    EndsInsideString,
    /// A Huffman-coded string holds the EOS symbol (§5.2).
    HuffmanEos,
    /// A Huffman-coded string ends with padding longer than 7 bits or not all ones (§5.2).
    HuffmanPadding,
    /// A dynamic table size update after a header field (§4.2).
    SizeUpdateAfterField,
    /// A dynamic table size update over the size the receiver allowed (§4.2, §6.3).
    SizeUpdateOverLimit {
        /// The size asked for, in bytes.
        size: u64,
        /// The size allowed.
        allowed: u64,
    },
    /// An index that is not in the table (§2.3.3).
    NoEntry {
        /// The index.
        index: u64,
        /// The dynamic table's entries then (the static table has 61).
        dynamic: u64,
    },
}

impl H2Stop {
    /// Whether frames can no longer be found (everything of the direction is lost), as
    /// opposed to only its header blocks.
    pub fn framing_lost(&self) -> bool {
        !matches!(self, H2Stop::Hpack { .. })
    }
}

/// The RFC 9113 rule a frame broke. Frame types are the byte on the wire
/// ([`h2_frame_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum H2Broke {
    /// More bytes were needed (never a lost direction's reason; kept for completeness).
    Incomplete {
        /// How many.
        needed: u64,
    },
    /// The payload is longer than the receiver allows (§4.2).
    TooLarge {
        /// The frame's type.
        kind: u8,
        /// Its length.
        len: u32,
        /// The limit.
        limit: u32,
    },
    /// PADDED set but no room for the pad length byte (§6.1, §6.2).
    PadLengthMissing {
        /// The frame's type.
        kind: u8,
    },
    /// The padding is as long as the payload or longer (§6.1, §6.2, §6.6).
    Padding {
        /// The frame's type.
        kind: u8,
        /// The pad length.
        pad_len: u8,
        /// The payload's length.
        len: u32,
    },
    /// A frame of a fixed or minimum size has another size (§6.3-§6.9).
    BadLength {
        /// The frame's type.
        kind: u8,
        /// Its length.
        len: u32,
    },
    /// A frame that belongs to a stream arrived on stream 0.
    StreamZero {
        /// The frame's type.
        kind: u8,
    },
    /// A connection-level frame arrived on a stream.
    NotStreamZero {
        /// The frame's type.
        kind: u8,
        /// The stream.
        stream: u32,
    },
    /// A SETTINGS value out of its range (§6.5.2, RFC 8441 §3).
    BadSetting {
        /// The parameter.
        id: u16,
        /// Its value.
        value: u32,
    },
    /// SETTINGS with ACK set and a payload (§6.5).
    SettingsAckWithPayload {
        /// The payload's length.
        len: u32,
    },
    /// The first frame of an endpoint is not SETTINGS (§3.4).
    FirstNotSettings {
        /// The frame's type.
        kind: u8,
    },
    /// CONTINUATION with no header block open (§6.10).
    UnexpectedContinuation {
        /// The stream.
        stream: u32,
    },
    /// Another frame inside an open header block (§6.10).
    ExpectedContinuation {
        /// The stream whose block is open.
        open: u32,
        /// The frame's type.
        kind: u8,
        /// Its stream.
        stream: u32,
    },
    /// PUSH_PROMISE from a client (§8.4).
    PushFromClient,
}
