//! One frame's payload by its type (RFC 9113 §6.1-§6.10): padding, fixed lengths, stream 0
//! or not.
//!
//! In: a [`FrameHeader`] and exactly `header.len` payload bytes. Out: a [`Frame`] borrowing
//! the payload, padding and priority fields taken off, or the [`FrameError`] of the rule the
//! frame alone shows broken.

use super::error::FrameError;
use super::head::{flags, FrameHeader, FrameType};
use super::priority::parse_priority;
use super::reason::ErrorCode;
use super::settings::parse_settings;
use super::Frame;
use nom::bytes::complete::take;
use nom::number::complete::{be_u32 as c_be_u32, be_u8 as c_be_u8};

/// The payload without its padding (§6.1): `PADDED` means a pad length byte first and
/// that many bytes at the end.
fn strip_padding<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<&'a [u8], FrameError> {
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

/// Parse one frame's payload (exactly `header.len` bytes) by its type (§6). Checks what the
/// frame alone can show: padding, fixed lengths, stream 0 or not, SETTINGS values.
pub fn parse_payload<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    let kind = header.kind;
    let len = header.len;
    let on_stream = |frame: Frame<'a>| {
        if header.stream == 0 {
            Err(FrameError::StreamZero { kind })
        } else {
            Ok(frame)
        }
    };
    let on_zero = |frame: Frame<'a>| {
        if header.stream != 0 {
            Err(FrameError::NotStreamZero {
                kind,
                stream: header.stream,
            })
        } else {
            Ok(frame)
        }
    };
    let bad_length = FrameError::BadLength { kind, len };
    let short = |_: nom::Err<nom::error::Error<&[u8]>>| bad_length;
    match kind {
        FrameType::DATA => {
            let data = strip_padding(header, payload)?;
            on_stream(Frame::Data {
                data,
                end_stream: header.has(flags::END_STREAM),
            })
        }
        FrameType::HEADERS => {
            let unpadded = strip_padding(header, payload)?;
            let (fragment, priority) = if header.has(flags::PRIORITY) {
                let (rest, p) = parse_priority(unpadded).map_err(|_| {
                    // The priority fields do not fit before the padding.
                    if header.has(flags::PADDED) {
                        FrameError::Padding {
                            kind,
                            pad_len: payload.first().copied().unwrap_or(0),
                            len,
                        }
                    } else {
                        bad_length
                    }
                })?;
                (rest, Some(p))
            } else {
                (unpadded, None)
            };
            on_stream(Frame::Headers {
                priority,
                fragment,
                end_stream: header.has(flags::END_STREAM),
                end_headers: header.has(flags::END_HEADERS),
            })
        }
        FrameType::PRIORITY => {
            if len != 5 {
                return Err(bad_length);
            }
            let (_, p) = parse_priority(payload).map_err(short)?;
            on_stream(Frame::Priority(p))
        }
        FrameType::RST_STREAM => {
            if len != 4 {
                return Err(bad_length);
            }
            let (_, code) = c_be_u32(payload).map_err(short)?;
            on_stream(Frame::RstStream(ErrorCode(code)))
        }
        FrameType::SETTINGS => {
            if header.stream != 0 {
                return on_zero(Frame::Unknown(kind));
            }
            let ack = header.has(flags::ACK);
            if ack && len != 0 {
                return Err(FrameError::SettingsAckWithPayload { len });
            }
            if !len.is_multiple_of(6) {
                return Err(bad_length);
            }
            let settings = parse_settings(payload)?;
            Ok(Frame::Settings { ack, settings })
        }
        FrameType::PUSH_PROMISE => {
            let unpadded = strip_padding(header, payload)?;
            let (fragment, promised) =
                c_be_u32::<_, nom::error::Error<&[u8]>>(unpadded).map_err(|_| {
                    if header.has(flags::PADDED) {
                        FrameError::Padding {
                            kind,
                            pad_len: payload.first().copied().unwrap_or(0),
                            len,
                        }
                    } else {
                        bad_length
                    }
                })?;
            on_stream(Frame::PushPromise {
                promised: promised & 0x7FFF_FFFF,
                fragment,
                end_headers: header.has(flags::END_HEADERS),
            })
        }
        FrameType::PING => {
            if len != 8 {
                return Err(bad_length);
            }
            let (_, bytes) =
                take::<_, _, nom::error::Error<&[u8]>>(8usize)(payload).map_err(short)?;
            let mut data = [0u8; 8];
            data.copy_from_slice(bytes);
            on_zero(Frame::Ping {
                ack: header.has(flags::ACK),
                data,
            })
        }
        FrameType::GOAWAY => {
            if len < 8 {
                return Err(bad_length);
            }
            let (i, last) = c_be_u32(payload).map_err(short)?;
            let (debug, code) = c_be_u32(i).map_err(short)?;
            on_zero(Frame::GoAway {
                last_stream: last & 0x7FFF_FFFF,
                code: ErrorCode(code),
                debug,
            })
        }
        FrameType::WINDOW_UPDATE => {
            if len != 4 {
                return Err(bad_length);
            }
            let (_, inc) = c_be_u32(payload).map_err(short)?;
            Ok(Frame::WindowUpdate {
                increment: inc & 0x7FFF_FFFF,
            })
        }
        FrameType::CONTINUATION => on_stream(Frame::Continuation {
            fragment: payload,
            end_headers: header.has(flags::END_HEADERS),
        }),
        _ => Ok(Frame::Unknown(kind)),
    }
}
