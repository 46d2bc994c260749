//! HEADERS (RFC 9113 §6.2): a header block fragment, padded or not, after the priority
//! fields when the PRIORITY flag is set.

use super::head::{flags, FrameHeader};
use super::priority::parse_priority;
use super::rules::{on_stream, strip_padding, unpadded_short};
use super::{Frame, FrameError};

/// A HEADERS frame: its fragment without the padding and the priority fields, on a stream.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    let unpadded = strip_padding(header, payload)?;
    let (fragment, priority) = if header.has(flags::PRIORITY) {
        // The priority fields do not fit before the padding.
        let (rest, p) = parse_priority(unpadded).map_err(|_| unpadded_short(header, payload))?;
        (rest, Some(p))
    } else {
        (unpadded, None)
    };
    on_stream(
        header,
        Frame::Headers {
            priority,
            fragment,
            end_stream: header.has(flags::END_STREAM),
            end_headers: header.has(flags::END_HEADERS),
        },
    )
}
