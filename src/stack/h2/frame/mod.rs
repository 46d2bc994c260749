//! HTTP/2 frame header and payload parsers (RFC 9113 §4.1, §6).
//!
//! In: bytes at the start of a frame (for [`parse_header`] and [`parse_frame`]) or one
//! frame's whole payload with its header (for [`parse_payload`]). Out: a [`FrameHeader`]
//! (9 bytes: 24-bit length, type, flags, 31-bit stream id), a [`Frame`] borrowing its
//! payload, or a [`FrameError`] naming the RFC 9113 rule the frame broke and the error code
//! (§7) a receiver would answer with.
//!
//! The parsers are pure and never panic: a header not all there yet is nom's `Incomplete`
//! ([`parse_header`]) or [`FrameError::Incomplete`] ([`parse_frame`]), and nothing is
//! consumed. Every check here needs only the frame itself; what needs the connection (the
//! receiver's SETTINGS_MAX_FRAME_SIZE, CONTINUATION order, SETTINGS first) is checked by the
//! caller, which reports it with the variants of [`FrameError`] it shares with this module.
//! Unknown frame types parse to [`Frame::Unknown`]: §4.1 says to ignore and discard them.
//!
//! One file per frame type, as hyperium/h2's: `data`, `headers`, `priority`, `rst_stream`,
//! `settings` (with the SETTINGS parameters), `push_promise`, `ping`, `go_away`,
//! `window_update`, `continuation`; `payload` dispatches by type, `rules` holds the padding and
//! stream rules they share; `head` has the header, `reason` the error codes, `ids` the
//! registries' numbers, `error` what can be wrong.

mod continuation;
mod data;
mod error;
mod go_away;
mod head;
mod headers;
mod ids;
mod payload;
mod ping;
mod priority;
mod push_promise;
mod reason;
mod rst_stream;
mod rules;
mod settings;
mod window_update;

pub use error::FrameError;
pub use head::{
    flags, looks_like_settings, parse_header, FrameHeader, FrameType, FRAME_HEADER_LEN,
};
pub use ids::DEFAULT_MAX_FRAME_SIZE;
pub use ids::{setting, MAX_MAX_FRAME_SIZE};
pub use payload::parse_payload;
pub use priority::Priority;
pub use reason::ErrorCode;
pub use settings::Settings;

/// One frame, its payload borrowed, padding and priority fields taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    Data {
        data: &'a [u8],
        end_stream: bool,
    },
    Headers {
        priority: Option<Priority>,
        fragment: &'a [u8],
        end_stream: bool,
        end_headers: bool,
    },
    Priority(Priority),
    RstStream(ErrorCode),
    Settings {
        ack: bool,
        settings: Settings,
    },
    PushPromise {
        promised: u32,
        fragment: &'a [u8],
        end_headers: bool,
    },
    Ping {
        ack: bool,
        data: [u8; 8],
    },
    GoAway {
        last_stream: u32,
        code: ErrorCode,
        debug: &'a [u8],
    },
    WindowUpdate {
        increment: u32,
    },
    Continuation {
        fragment: &'a [u8],
        end_headers: bool,
    },
    /// A type RFC 9113 does not define: ignored and discarded (§4.1, §5.5).
    Unknown(FrameType),
}

/// Parse a whole frame: its header, then its payload with [`parse_payload`]. A frame whose
/// length is over `max_frame_size` is [`FrameError::TooLarge`] as soon as its header is
/// there; a frame not all there yet is [`FrameError::Incomplete`]. On success: the bytes
/// after the frame, its header and the frame.
pub fn parse_frame(
    input: &[u8],
    max_frame_size: u32,
) -> Result<(&[u8], FrameHeader, Frame<'_>), FrameError> {
    let (rest, header) = match parse_header(input) {
        Ok(parsed) => parsed,
        Err(_) => {
            return Err(FrameError::Incomplete {
                needed: FRAME_HEADER_LEN.saturating_sub(input.len()),
            })
        }
    };
    if header.len > max_frame_size {
        return Err(FrameError::TooLarge {
            kind: header.kind,
            len: header.len,
            limit: max_frame_size,
        });
    }
    let len = header.len as usize;
    let (Some(payload), Some(after)) = (rest.get(..len), rest.get(len..)) else {
        return Err(FrameError::Incomplete {
            needed: len.saturating_sub(rest.len()),
        });
    };
    let frame = parse_payload(&header, payload)?;
    Ok((after, header, frame))
}

#[cfg(test)]
mod tests;
