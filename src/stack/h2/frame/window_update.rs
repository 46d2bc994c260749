//! WINDOW_UPDATE (RFC 9113 §6.9): a flow-control window's increment, on a stream or the
//! connection (stream 0).

use super::head::FrameHeader;
use super::rules::{bad_length, short};
use super::{Frame, FrameError};
use nom::number::complete::be_u32 as c_be_u32;

/// A WINDOW_UPDATE frame: four bytes, the increment (its reserved bit off).
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    if header.len != 4 {
        return Err(bad_length(header));
    }
    let (_, inc) = c_be_u32(payload).map_err(|e| short(header, e))?;
    Ok(Frame::WindowUpdate {
        increment: inc & 0x7FFF_FFFF,
    })
}
