//! HTTP/2 error codes (RFC 9113 §7), the 32-bit value of RST_STREAM and GOAWAY.
//!
//! In: the value on the wire. Out: an [`ErrorCode`] that keeps unknown values and prints
//! the §7 name or the value in hex; and the line a stream's ending (`StreamEndKind`, kept
//! by the WebSocket session it ended) prints, which names them.

use crate::vocab::StreamEndKind;
use std::fmt;

/// An error code of RST_STREAM and GOAWAY (§7), kept as the 32-bit value on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u32);

#[allow(
    dead_code,
    reason = "the registry whole (RFC 9113 §7), not only the codes named so far"
)]
impl ErrorCode {
    pub const NO_ERROR: ErrorCode = ErrorCode(0x0);
    pub const PROTOCOL_ERROR: ErrorCode = ErrorCode(0x1);
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(0x2);
    pub const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode(0x3);
    pub const SETTINGS_TIMEOUT: ErrorCode = ErrorCode(0x4);
    pub const STREAM_CLOSED: ErrorCode = ErrorCode(0x5);
    pub const FRAME_SIZE_ERROR: ErrorCode = ErrorCode(0x6);
    pub const REFUSED_STREAM: ErrorCode = ErrorCode(0x7);
    pub const CANCEL: ErrorCode = ErrorCode(0x8);
    pub const COMPRESSION_ERROR: ErrorCode = ErrorCode(0x9);
    pub const CONNECT_ERROR: ErrorCode = ErrorCode(0xa);
    pub const ENHANCE_YOUR_CALM: ErrorCode = ErrorCode(0xb);
    pub const INADEQUATE_SECURITY: ErrorCode = ErrorCode(0xc);
    pub const HTTP_1_1_REQUIRED: ErrorCode = ErrorCode(0xd);

    /// The §7 name, or `None` for a code RFC 9113 does not define.
    pub fn name(self) -> Option<&'static str> {
        crate::vocab::h2_error_name(self.0)
    }
}

/// The name, or the value in hex (`0x1f`) for an unknown code (§7: "Unknown or
/// unsupported error codes MUST NOT trigger any special behavior").
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:x}", self.0),
        }
    }
}

/// The frame as a line says it: "END_STREAM", "RST_STREAM CANCEL", "GOAWAY NO_ERROR (last
/// stream 7)" (error codes by their RFC 9113 §7 names).
impl fmt::Display for StreamEndKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StreamEndKind::EndStream => f.write_str("END_STREAM"),
            StreamEndKind::Reset(code) => write!(f, "RST_STREAM {}", ErrorCode(code)),
            StreamEndKind::GoAway { last_stream, code } => {
                write!(f, "GOAWAY {} (last stream {last_stream})", ErrorCode(code))
            }
        }
    }
}
