//! PUSH_PROMISE (RFC 9113 §6.6): the promised stream and a header block fragment, padded
//! or not.

use super::head::{flags, FrameHeader};
use super::rules::{on_stream, strip_padding, unpadded_short};
use super::{Frame, FrameError};
use nom::number::complete::be_u32 as c_be_u32;

/// A PUSH_PROMISE frame: the promised stream id (its reserved bit off) and the fragment
/// without the padding, on a stream.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    let unpadded = strip_padding(header, payload)?;
    let (fragment, promised) = c_be_u32::<_, nom::error::Error<&[u8]>>(unpadded)
        .map_err(|_| unpadded_short(header, payload))?;
    on_stream(
        header,
        Frame::PushPromise {
            promised: promised & 0x7FFF_FFFF,
            fragment,
            end_headers: header.has(flags::END_HEADERS),
        },
    )
}
