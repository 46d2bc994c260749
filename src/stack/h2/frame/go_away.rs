//! GOAWAY (RFC 9113 §6.8): the last stream the sender will process, an error code (§7)
//! and debug data, on stream 0.

use super::head::FrameHeader;
use super::reason::ErrorCode;
use super::rules::{bad_length, on_zero, short};
use super::{Frame, FrameError};
use nom::number::complete::be_u32 as c_be_u32;

/// A GOAWAY frame: at least eight bytes, on stream 0.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    if header.len < 8 {
        return Err(bad_length(header));
    }
    let (i, last) = c_be_u32(payload).map_err(|e| short(header, e))?;
    let (debug, code) = c_be_u32(i).map_err(|e| short(header, e))?;
    on_zero(
        header,
        Frame::GoAway {
            last_stream: last & 0x7FFF_FFFF,
            code: ErrorCode(code),
            debug,
        },
    )
}
