//! One frame's payload by its type (RFC 9113 §6.1-§6.10), each type read in a file of its
//! own (`data`, `headers`, `priority`, `rst_stream`, `settings`, `push_promise`, `ping`,
//! `go_away`, `window_update`, `continuation`); here the dispatch. What several types share
//! (padding, stream 0 or not, lengths) is `rules`.
//!
//! In: a [`FrameHeader`] and exactly `header.len` payload bytes. Out: a [`Frame`] borrowing
//! the payload, padding and priority fields taken off, or the [`FrameError`] of the rule the
//! frame alone shows broken.

use super::error::FrameError;
use super::head::{FrameHeader, FrameType};
use super::{
    continuation, data, go_away, headers, ping, priority, push_promise, rst_stream, settings,
    window_update, Frame,
};

/// Parse one frame's payload (exactly `header.len` bytes) by its type (§6). Checks what the
/// frame alone can show: padding, fixed lengths, stream 0 or not, SETTINGS values.
pub fn parse_payload<'a>(header: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
    match header.kind {
        FrameType::DATA => data::parse(header, payload),
        FrameType::HEADERS => headers::parse(header, payload),
        FrameType::PRIORITY => priority::parse(header, payload),
        FrameType::RST_STREAM => rst_stream::parse(header, payload),
        FrameType::SETTINGS => settings::parse(header, payload),
        FrameType::PUSH_PROMISE => push_promise::parse(header, payload),
        FrameType::PING => ping::parse(header, payload),
        FrameType::GOAWAY => go_away::parse(header, payload),
        FrameType::WINDOW_UPDATE => window_update::parse(header, payload),
        FrameType::CONTINUATION => continuation::parse(header, payload),
        kind => Ok(Frame::Unknown(kind)),
    }
}
