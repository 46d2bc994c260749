//! PING (RFC 9113 §6.7): eight opaque bytes, on stream 0, ACK in the answer.

use super::head::{flags, FrameHeader};
use super::rules::{bad_length, on_zero, short};
use super::{Frame, FrameError};
use nom::bytes::complete::take;

/// A PING frame: its eight bytes, on stream 0.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    if header.len != 8 {
        return Err(bad_length(header));
    }
    let (_, bytes) =
        take::<_, _, nom::error::Error<&[u8]>>(8usize)(payload).map_err(|e| short(header, e))?;
    let mut data = [0u8; 8];
    data.copy_from_slice(bytes);
    on_zero(
        header,
        Frame::Ping {
            ack: header.has(flags::ACK),
            data,
        },
    )
}
