//! Priority fields (RFC 7540 §5.3.2, §6.3; deprecated by RFC 9113 §5.3.2): a PRIORITY
//! frame's payload and the head of a HEADERS fragment with the PRIORITY flag.
//!
//! In: five bytes. Out: a [`Priority`].

use super::head::FrameHeader;
use super::rules::{bad_length, on_stream, short};
use super::{Frame, FrameError};
use nom::number::complete::{be_u32 as c_be_u32, be_u8 as c_be_u8};
use nom::IResult;

/// PRIORITY frame contents, also carried by HEADERS with the PRIORITY flag (§5.3.2 of
/// RFC 7540; deprecated by RFC 9113 §5.3.2 but still parsed so the fragment is found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    pub exclusive: bool,
    pub depends_on: u32,
    /// The weight byte as sent (the weight is this plus one).
    pub weight: u8,
}

pub(super) fn parse_priority(input: &[u8]) -> IResult<&[u8], Priority> {
    let (i, dep) = c_be_u32(input)?;
    let (i, weight) = c_be_u8(i)?;
    Ok((
        i,
        Priority {
            exclusive: dep & 0x8000_0000 != 0,
            depends_on: dep & 0x7FFF_FFFF,
            weight,
        },
    ))
}

/// A PRIORITY frame (RFC 9113 §6.3): five bytes, the priority fields, on a stream.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    if header.len != 5 {
        return Err(bad_length(header));
    }
    let (_, p) = parse_priority(payload).map_err(|e| short(header, e))?;
    on_stream(header, Frame::Priority(p))
}
