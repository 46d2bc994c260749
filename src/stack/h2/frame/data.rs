//! DATA (RFC 9113 §6.1): a stream's bytes, padded or not, END_STREAM its last.

use super::head::{flags, FrameHeader};
use super::rules::{on_stream, strip_padding};
use super::{Frame, FrameError};

/// A DATA frame: its data without the padding, on a stream.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    let data = strip_padding(header, payload)?;
    on_stream(
        header,
        Frame::Data {
            data,
            end_stream: header.has(flags::END_STREAM),
        },
    )
}
