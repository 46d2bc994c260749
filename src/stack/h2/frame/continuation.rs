//! CONTINUATION (RFC 9113 §6.10): the next fragment of a header block, on its stream.

use super::head::{flags, FrameHeader};
use super::rules::on_stream;
use super::{Frame, FrameError};

/// A CONTINUATION frame: the payload is the fragment, on a stream.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    on_stream(
        header,
        Frame::Continuation {
            fragment: payload,
            end_headers: header.has(flags::END_HEADERS),
        },
    )
}
