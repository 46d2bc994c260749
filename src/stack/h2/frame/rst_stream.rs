//! RST_STREAM (RFC 9113 §6.4): a stream ended at once, with an error code (§7).

use super::head::FrameHeader;
use super::reason::ErrorCode;
use super::rules::{bad_length, on_stream, short};
use super::{Frame, FrameError};
use nom::number::complete::be_u32 as c_be_u32;

/// A RST_STREAM frame: four bytes, its error code, on a stream.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    if header.len != 4 {
        return Err(bad_length(header));
    }
    let (_, code) = c_be_u32(payload).map_err(|e| short(header, e))?;
    on_stream(header, Frame::RstStream(ErrorCode(code)))
}
