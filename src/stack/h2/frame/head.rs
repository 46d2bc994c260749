//! The 9-byte frame header (RFC 9113 §4.1): frame types (§6, §11.2) and flags.
//!
//! In: the bytes at the start of a frame. Out: a [`FrameHeader`] (24-bit length, type,
//! flags, 31-bit stream id), or nom's `Incomplete` with nothing consumed; and whether bytes
//! start like a server preface's SETTINGS frame (§3.4).

use super::ids::DEFAULT_MAX_FRAME_SIZE;
use nom::number::streaming::{be_u24, be_u32, be_u8};
use nom::IResult;
use std::fmt;

/// Bytes in a frame header (§4.1).
pub const FRAME_HEADER_LEN: usize = 9;

/// A frame type, kept as the byte on the wire so unknown ones stay printable (§6, §11.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    pub const DATA: FrameType = FrameType(0x0);
    pub const HEADERS: FrameType = FrameType(0x1);
    pub const PRIORITY: FrameType = FrameType(0x2);
    pub const RST_STREAM: FrameType = FrameType(0x3);
    pub const SETTINGS: FrameType = FrameType(0x4);
    pub const PUSH_PROMISE: FrameType = FrameType(0x5);
    pub const PING: FrameType = FrameType(0x6);
    pub const GOAWAY: FrameType = FrameType(0x7);
    pub const WINDOW_UPDATE: FrameType = FrameType(0x8);
    pub const CONTINUATION: FrameType = FrameType(0x9);

    /// The RFC 9113 name, or `None` for a type this parser does not know.
    pub fn name(self) -> Option<&'static str> {
        crate::vocab::h2_frame_name(self.0)
    }

    pub fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown type 0x{:02x}", self.0),
        }
    }
}

/// Frame flags (§6): the same bit means different things in different frame types.
pub mod flags {
    /// DATA, HEADERS: the sender's last frame on the stream.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: an acknowledgement.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block ends in this frame.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a pad length byte and padding.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: exclusive bit, stream dependency and weight precede the fragment.
    pub const PRIORITY: u8 = 0x20;
}

/// A parsed frame header (§4.1). The reserved bit of the stream id is dropped, as §4.1
/// tells a receiver to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (the 9 header bytes not counted).
    pub len: u32,
    pub kind: FrameType,
    pub flags: u8,
    pub stream: u32,
}

impl FrameHeader {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Parse one frame header. `Err(nom::Err::Incomplete)` means more bytes are needed and
/// nothing was consumed; this parser returns no other error.
pub fn parse_header(input: &[u8]) -> IResult<&[u8], FrameHeader> {
    let (i, len) = be_u24(input)?;
    let (i, kind) = be_u8(i)?;
    let (i, flags) = be_u8(i)?;
    let (i, stream) = be_u32(i)?;
    Ok((
        i,
        FrameHeader {
            len,
            kind: FrameType(kind),
            flags,
            stream: stream & 0x7FFF_FFFF,
        },
    ))
}

/// Whether `bytes` start with the header of a SETTINGS frame that is not an
/// acknowledgement (the frame a server's connection preface begins with, §3.4): type 0x4,
/// no flags, stream 0, a payload a multiple of 6 bytes long no longer than the default
/// maximum frame size (§6.5).
pub fn looks_like_settings(bytes: &[u8]) -> bool {
    match parse_header(bytes) {
        Ok((_, h)) => {
            h.kind == FrameType::SETTINGS
                && h.flags == 0
                && h.stream == 0
                && h.len % 6 == 0
                && h.len <= DEFAULT_MAX_FRAME_SIZE
                // The reserved bit is dropped by `parse_header`: it must be clear too.
                && bytes.get(5).is_some_and(|b| b & 0x80 == 0)
        }
        Err(_) => false,
    }
}
