//! SETTINGS parameters (RFC 9113 §6.5, RFC 8441 §3) and the frame size limits they set.
//!
//! In: a SETTINGS payload (a multiple of 6 bytes, checked by the caller). Out: the
//! [`Settings`] it sets, or a [`FrameError`] for a value out of its range (§6.5.2).

use super::error::FrameError;
use super::head::{flags, FrameHeader, FrameType};
use super::ids::{setting, DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE};
use super::rules::{bad_length, on_zero};
use super::Frame;
use nom::number::complete::{be_u16 as c_be_u16, be_u32 as c_be_u32};
use nom::IResult;

/// The parameters of one SETTINGS frame (§6.5.2, RFC 8441 §3). A parameter sent twice
/// keeps its last value (§6.5.3: processed in order); unknown identifiers are ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    pub header_table_size: Option<u32>,
    pub enable_push: Option<bool>,
    pub max_concurrent_streams: Option<u32>,
    pub initial_window_size: Option<u32>,
    pub max_frame_size: Option<u32>,
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8, RFC 8441 §3).
    pub enable_connect_protocol: Option<bool>,
}

pub(super) fn parse_settings(payload: &[u8]) -> Result<Settings, FrameError> {
    let mut settings = Settings::default();
    let mut input = payload;
    while !input.is_empty() {
        let parsed: IResult<&[u8], (u16, u32)> = (|i| {
            let (i, id) = c_be_u16(i)?;
            let (i, value) = c_be_u32(i)?;
            Ok((i, (id, value)))
        })(input);
        let Ok((rest, (id, value))) = parsed else {
            // The caller checked the length is a multiple of 6.
            return Err(FrameError::BadLength {
                kind: FrameType::SETTINGS,
                len: payload.len() as u32,
            });
        };
        input = rest;
        let bad = FrameError::BadSetting { id, value };
        match id {
            setting::HEADER_TABLE_SIZE => settings.header_table_size = Some(value),
            setting::ENABLE_PUSH => {
                settings.enable_push = Some(match value {
                    0 => false,
                    1 => true,
                    _ => return Err(bad),
                })
            }
            setting::MAX_CONCURRENT_STREAMS => settings.max_concurrent_streams = Some(value),
            setting::INITIAL_WINDOW_SIZE => {
                if value > 0x7FFF_FFFF {
                    return Err(bad);
                }
                settings.initial_window_size = Some(value)
            }
            setting::MAX_FRAME_SIZE => {
                if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) {
                    return Err(bad);
                }
                settings.max_frame_size = Some(value)
            }
            setting::MAX_HEADER_LIST_SIZE => settings.max_header_list_size = Some(value),
            setting::ENABLE_CONNECT_PROTOCOL => {
                settings.enable_connect_protocol = Some(match value {
                    0 => false,
                    1 => true,
                    _ => return Err(bad),
                })
            }
            _ => {}
        }
    }
    Ok(settings)
}

/// A SETTINGS frame (RFC 9113 §6.5): on stream 0, empty when it is an ACK, else a multiple
/// of six bytes, each parameter in its range.
pub(super) fn parse<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    if header.stream != 0 {
        return on_zero(header, Frame::Unknown(header.kind));
    }
    let ack = header.has(flags::ACK);
    if ack && header.len != 0 {
        return Err(FrameError::SettingsAckWithPayload { len: header.len });
    }
    if !header.len.is_multiple_of(6) {
        return Err(bad_length(header));
    }
    let settings = parse_settings(payload)?;
    Ok(Frame::Settings { ack, settings })
}
