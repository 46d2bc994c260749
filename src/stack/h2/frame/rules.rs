//! What several frame types share (RFC 9113 §6): padding (§6.1, DATA, HEADERS,
//! PUSH_PROMISE), whether a frame belongs on a stream or on stream 0, and the errors of a
//! payload of the wrong length or too short for its fields.

use super::error::FrameError;
use super::head::{flags, FrameHeader};
use super::Frame;
use nom::number::complete::be_u8 as c_be_u8;

/// The payload without its padding (§6.1): `PADDED` means a pad length byte first and
/// that many bytes at the end.
pub(super) fn strip_padding<'a>(
    header: &FrameHeader,
    payload: &'a [u8],
) -> Result<&'a [u8], FrameError> {
    if !header.has(flags::PADDED) {
        return Ok(payload);
    }
    let Ok((rest, pad_len)) = c_be_u8::<_, nom::error::Error<&[u8]>>(payload) else {
        return Err(FrameError::PadLengthMissing { kind: header.kind });
    };
    rest.len()
        .checked_sub(usize::from(pad_len))
        .and_then(|keep| rest.get(..keep))
        .ok_or(FrameError::Padding {
            kind: header.kind,
            pad_len,
            len: header.len,
        })
}

/// A frame that belongs on a stream: an error on stream 0.
pub(super) fn on_stream<'a>(
    header: &FrameHeader,
    frame: Frame<'a>,
) -> Result<Frame<'a>, FrameError> {
    if header.stream == 0 {
        Err(FrameError::StreamZero { kind: header.kind })
    } else {
        Ok(frame)
    }
}

/// A frame that belongs on stream 0: an error on any other.
pub(super) fn on_zero<'a>(header: &FrameHeader, frame: Frame<'a>) -> Result<Frame<'a>, FrameError> {
    if header.stream != 0 {
        Err(FrameError::NotStreamZero {
            kind: header.kind,
            stream: header.stream,
        })
    } else {
        Ok(frame)
    }
}

/// A payload of a length its type does not allow.
pub(super) fn bad_length(header: &FrameHeader) -> FrameError {
    FrameError::BadLength {
        kind: header.kind,
        len: header.len,
    }
}

/// A fixed field the payload is too short for: [`bad_length`].
pub(super) fn short(header: &FrameHeader, _: nom::Err<nom::error::Error<&[u8]>>) -> FrameError {
    bad_length(header)
}

/// The fields that come first (priority, a promised stream) do not fit: before the padding
/// when the frame is padded, else in the payload.
pub(super) fn unpadded_short(header: &FrameHeader, payload: &[u8]) -> FrameError {
    if header.has(flags::PADDED) {
        FrameError::Padding {
            kind: header.kind,
            pad_len: payload.first().copied().unwrap_or(0),
            len: header.len,
        }
    } else {
        bad_length(header)
    }
}
