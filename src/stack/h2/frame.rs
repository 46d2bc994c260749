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
//! Size: over 800 lines, 450 of them unit tests (every prefix of every frame type).

use nom::bytes::complete::take;
use nom::number::complete::{be_u16 as c_be_u16, be_u32 as c_be_u32, be_u8 as c_be_u8};
use nom::number::streaming::{be_u24, be_u32, be_u8};
use nom::IResult;
use std::fmt;

/// Bytes in a frame header (§4.1).
pub const FRAME_HEADER_LEN: usize = 9;
/// SETTINGS_MAX_FRAME_SIZE until the receiver says otherwise, and its lowest legal value
/// (§6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 1 << 14;
/// The highest legal SETTINGS_MAX_FRAME_SIZE, and the most a 24-bit length can say (§6.5.2).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// A frame type, kept as the byte on the wire so unknown ones stay printable (§6, §11.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    pub const DATA: FrameType = FrameType(0x0);
    pub const HEADERS: FrameType = FrameType(0x1);
    pub const PRIORITY: FrameType = FrameType(0x2);
    pub const RST_STREAM: FrameType = FrameType(0x3);
    pub const SETTINGS: FrameType = FrameType(0x4);
    pub const PUSH_PROMISE: FrameType = FrameType(0x5);
    pub const PING: FrameType = FrameType(0x6);
    pub const GOAWAY: FrameType = FrameType(0x7);
    pub const WINDOW_UPDATE: FrameType = FrameType(0x8);
    pub const CONTINUATION: FrameType = FrameType(0x9);

    /// The RFC 9113 name, or `None` for a type this parser does not know.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "DATA",
            0x1 => "HEADERS",
            0x2 => "PRIORITY",
            0x3 => "RST_STREAM",
            0x4 => "SETTINGS",
            0x5 => "PUSH_PROMISE",
            0x6 => "PING",
            0x7 => "GOAWAY",
            0x8 => "WINDOW_UPDATE",
            0x9 => "CONTINUATION",
            _ => return None,
        })
    }

    pub fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown type 0x{:02x}", self.0),
        }
    }
}

/// Frame flags (§6): the same bit means different things in different frame types.
pub mod flags {
    /// DATA, HEADERS: the sender's last frame on the stream.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: an acknowledgement.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block ends in this frame.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a pad length byte and padding.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: exclusive bit, stream dependency and weight precede the fragment.
    pub const PRIORITY: u8 = 0x20;
}

/// An error code of RST_STREAM and GOAWAY (§7), kept as the 32-bit value on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u32);

#[allow(
    dead_code,
    reason = "the registry whole (RFC 9113 §7), not only the codes named so far"
)]
impl ErrorCode {
    pub const NO_ERROR: ErrorCode = ErrorCode(0x0);
    pub const PROTOCOL_ERROR: ErrorCode = ErrorCode(0x1);
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(0x2);
    pub const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode(0x3);
    pub const SETTINGS_TIMEOUT: ErrorCode = ErrorCode(0x4);
    pub const STREAM_CLOSED: ErrorCode = ErrorCode(0x5);
    pub const FRAME_SIZE_ERROR: ErrorCode = ErrorCode(0x6);
    pub const REFUSED_STREAM: ErrorCode = ErrorCode(0x7);
    pub const CANCEL: ErrorCode = ErrorCode(0x8);
    pub const COMPRESSION_ERROR: ErrorCode = ErrorCode(0x9);
    pub const CONNECT_ERROR: ErrorCode = ErrorCode(0xa);
    pub const ENHANCE_YOUR_CALM: ErrorCode = ErrorCode(0xb);
    pub const INADEQUATE_SECURITY: ErrorCode = ErrorCode(0xc);
    pub const HTTP_1_1_REQUIRED: ErrorCode = ErrorCode(0xd);

    /// The §7 name, or `None` for a code RFC 9113 does not define.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xa => "CONNECT_ERROR",
            0xb => "ENHANCE_YOUR_CALM",
            0xc => "INADEQUATE_SECURITY",
            0xd => "HTTP_1_1_REQUIRED",
            _ => return None,
        })
    }
}

/// The name, or the value in hex (`0x1f`) for an unknown code (§7: "Unknown or
/// unsupported error codes MUST NOT trigger any special behavior").
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:x}", self.0),
        }
    }
}

/// A parsed frame header (§4.1). The reserved bit of the stream id is dropped, as §4.1
/// tells a receiver to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (the 9 header bytes not counted).
    pub len: u32,
    pub kind: FrameType,
    pub flags: u8,
    pub stream: u32,
}

impl FrameHeader {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Parse one frame header. `Err(nom::Err::Incomplete)` means more bytes are needed and
/// nothing was consumed; this parser returns no other error.
pub fn parse_header(input: &[u8]) -> IResult<&[u8], FrameHeader> {
    let (i, len) = be_u24(input)?;
    let (i, kind) = be_u8(i)?;
    let (i, flags) = be_u8(i)?;
    let (i, stream) = be_u32(i)?;
    Ok((
        i,
        FrameHeader {
            len,
            kind: FrameType(kind),
            flags,
            stream: stream & 0x7FFF_FFFF,
        },
    ))
}

/// Whether `bytes` start with the header of a SETTINGS frame that is not an
/// acknowledgement (the frame a server's connection preface begins with, §3.4): type 0x4,
/// no flags, stream 0, a payload a multiple of 6 bytes long no longer than the default
/// maximum frame size (§6.5).
pub fn looks_like_settings(bytes: &[u8]) -> bool {
    match parse_header(bytes) {
        Ok((_, h)) => {
            h.kind == FrameType::SETTINGS
                && h.flags == 0
                && h.stream == 0
                && h.len % 6 == 0
                && h.len <= DEFAULT_MAX_FRAME_SIZE
                // The reserved bit is dropped by `parse_header`: it must be clear too.
                && bytes.get(5).is_some_and(|b| b & 0x80 == 0)
        }
        Err(_) => false,
    }
}

/// PRIORITY frame contents, also carried by HEADERS with the PRIORITY flag (§5.3.2 of
/// RFC 7540; deprecated by RFC 9113 §5.3.2 but still parsed so the fragment is found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    pub exclusive: bool,
    pub depends_on: u32,
    /// The weight byte as sent (the weight is this plus one).
    pub weight: u8,
}

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

/// SETTINGS identifiers (§6.5.2; 0x8 from RFC 8441 §3).
pub mod setting {
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    pub const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
}

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

/// What is wrong with a frame. Every variant but [`FrameError::Incomplete`] is a
/// connection error (§5.4.1): a receiver would close the connection, and a reader of the
/// byte stream cannot trust what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// `needed` more bytes are required before anything can be said; nothing consumed.
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    Incomplete { needed: usize },
    /// The payload is longer than the receiver allows (§4.2), or than this reader keeps.
    TooLarge {
        kind: FrameType,
        len: u32,
        limit: u32,
    },
    /// PADDED set but the payload has no room for the pad length byte (§6.1, §6.2).
    PadLengthMissing { kind: FrameType },
    /// The padding is as long as the payload or longer (§6.1, §6.2, §6.6).
    Padding {
        kind: FrameType,
        pad_len: u8,
        len: u32,
    },
    /// A frame of a fixed or minimum size has another size (§6.3-§6.9): FRAME_SIZE_ERROR.
    BadLength { kind: FrameType, len: u32 },
    /// A frame that belongs to a stream arrived on stream 0.
    StreamZero { kind: FrameType },
    /// A connection-level frame arrived on a stream.
    NotStreamZero { kind: FrameType, stream: u32 },
    /// A SETTINGS value out of its range (§6.5.2, RFC 8441 §3).
    BadSetting { id: u16, value: u32 },
    /// SETTINGS with ACK set and a payload (§6.5).
    SettingsAckWithPayload { len: u32 },
    /// The first frame of an endpoint is not SETTINGS (§3.4).
    FirstNotSettings { kind: FrameType },
    /// CONTINUATION with no header block open (§6.10).
    UnexpectedContinuation { stream: u32 },
    /// A header block is open on `open` and another frame arrived (§6.10: only
    /// CONTINUATION on the same stream may follow).
    ExpectedContinuation {
        open: u32,
        kind: FrameType,
        stream: u32,
    },
    /// PUSH_PROMISE from a client (§8.4).
    PushFromClient,
}

impl FrameError {
    /// The §7 code a receiver answers this error with (GOAWAY).
    pub fn code(&self) -> ErrorCode {
        match self {
            FrameError::Incomplete { .. } => ErrorCode::NO_ERROR,
            FrameError::TooLarge { .. }
            | FrameError::BadLength { .. }
            | FrameError::SettingsAckWithPayload { .. } => ErrorCode::FRAME_SIZE_ERROR,
            FrameError::BadSetting {
                id: setting::INITIAL_WINDOW_SIZE,
                ..
            } => ErrorCode::FLOW_CONTROL_ERROR,
            _ => ErrorCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::Incomplete { needed } => write!(f, "{needed} more bytes needed"),
            FrameError::TooLarge { kind, len, limit } => write!(
                f,
                "{kind} frame of {len} bytes over the {limit}-byte limit (RFC 9113 §4.2)"
            ),
            FrameError::PadLengthMissing { kind } => write!(
                f,
                "{kind} frame with PADDED set has no pad length byte (RFC 9113 §6.1)"
            ),
            FrameError::Padding { kind, pad_len, len } => write!(
                f,
                "{kind} frame of {len} bytes with {pad_len} bytes of padding: padding must be \
                 shorter than the payload (RFC 9113 §6.1)"
            ),
            FrameError::BadLength { kind, len } => write!(
                f,
                "{kind} frame of {len} bytes has the wrong length (RFC 9113 §6)"
            ),
            FrameError::StreamZero { kind } => {
                write!(f, "{kind} frame on stream 0 (RFC 9113 §6)")
            }
            FrameError::NotStreamZero { kind, stream } => write!(
                f,
                "{kind} frame on stream {stream}: it belongs to stream 0 (RFC 9113 §6)"
            ),
            FrameError::BadSetting { id, value } => write!(
                f,
                "SETTINGS parameter 0x{id:x} = {value} is out of range (RFC 9113 §6.5.2, \
                 RFC 8441 §3)"
            ),
            FrameError::SettingsAckWithPayload { len } => {
                write!(f, "SETTINGS ACK with a {len}-byte payload (RFC 9113 §6.5)")
            }
            FrameError::FirstNotSettings { kind } => {
                write!(f, "first frame is {kind}, not SETTINGS (RFC 9113 §3.4)")
            }
            FrameError::UnexpectedContinuation { stream } => write!(
                f,
                "CONTINUATION on stream {stream} with no header block open (RFC 9113 §6.10)"
            ),
            FrameError::ExpectedContinuation { open, kind, stream } => write!(
                f,
                "{kind} frame on stream {stream} inside the header block of stream {open}: \
                 only CONTINUATION may follow (RFC 9113 §6.10)"
            ),
            FrameError::PushFromClient => {
                f.write_str("PUSH_PROMISE from the client (RFC 9113 §8.4)")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// Parse a whole frame: its header, then its payload with [`parse_payload`]. A frame whose
/// length is over `max_frame_size` is [`FrameError::TooLarge`] as soon as its header is
/// there; a frame not all there yet is [`FrameError::Incomplete`]. On success: the bytes
/// after the frame, its header and the frame.
#[cfg(any(test, feature = "internals"))]
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

fn parse_priority(input: &[u8]) -> IResult<&[u8], Priority> {
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

fn parse_settings(payload: &[u8]) -> Result<Settings, FrameError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One frame's bytes: header then payload.
    pub(crate) fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut v = Vec::with_capacity(9 + payload.len());
        v.extend_from_slice(&len.to_be_bytes()[1..]);
        v.push(kind);
        v.push(flags);
        v.extend_from_slice(&stream.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn parse(bytes: &[u8]) -> Result<(&[u8], FrameHeader, Frame<'_>), FrameError> {
        parse_frame(bytes, DEFAULT_MAX_FRAME_SIZE)
    }

    fn valid_frames() -> Vec<Vec<u8>> {
        vec![
            frame(0x0, flags::END_STREAM, 1, b"hello"),
            frame(0x0, flags::PADDED, 3, b"\x02hi\0\0"),
            frame(
                0x1,
                flags::END_HEADERS | flags::PRIORITY,
                1,
                b"\x80\0\0\x03\x0f\x82",
            ),
            frame(0x1, flags::PADDED | flags::END_HEADERS, 5, b"\x01\x82\0"),
            frame(0x2, 0, 7, b"\0\0\0\x01\x10"),
            frame(0x3, 0, 1, &8u32.to_be_bytes()),
            frame(0x4, 0, 0, b"\0\x08\0\0\0\x01\0\x05\0\0\x40\0"),
            frame(0x4, flags::ACK, 0, b""),
            frame(0x5, flags::END_HEADERS, 1, b"\0\0\0\x02\x82"),
            frame(0x6, 0, 0, b"12345678"),
            frame(0x7, 0, 0, b"\0\0\0\x05\0\0\0\x0bcalm down"),
            frame(0x8, 0, 0, &1000u32.to_be_bytes()),
            frame(0x9, flags::END_HEADERS, 1, b"\x84"),
            frame(0xfa, 0, 9, b"whatever"),
        ]
    }

    #[test]
    fn every_prefix_of_a_valid_frame_is_incomplete() {
        for bytes in valid_frames() {
            let whole = parse(&bytes);
            assert!(whole.is_ok(), "{bytes:02x?}: {whole:?}");
            for cut in 0..bytes.len() {
                match parse(&bytes[..cut]) {
                    Err(FrameError::Incomplete { needed }) => {
                        assert!(needed > 0, "{bytes:02x?} cut at {cut}");
                        // Once the header is there, `needed` is exact.
                        if cut >= FRAME_HEADER_LEN {
                            assert_eq!(needed, bytes.len() - cut);
                        }
                    }
                    other => panic!("{bytes:02x?} cut at {cut}: {other:?}"),
                }
                // The streaming header parser agrees.
                let streaming = parse_header(&bytes[..cut]);
                assert_eq!(streaming.is_ok(), cut >= FRAME_HEADER_LEN);
            }
            // Trailing bytes are left for the next frame.
            let mut two = bytes.clone();
            two.extend_from_slice(&bytes);
            let (rest, _, _) = parse(&two).unwrap();
            assert_eq!(rest, &bytes[..]);
        }
    }

    #[test]
    fn header_fields() {
        let bytes = frame(0x1, 0x25, 0x8000_0003, b"\0\0\0\0\0");
        let (rest, h) = parse_header(&bytes).unwrap();
        assert_eq!(rest.len(), 5);
        assert_eq!(
            h,
            FrameHeader {
                len: 5,
                kind: FrameType::HEADERS,
                flags: 0x25,
                stream: 3 // the reserved bit is dropped
            }
        );
        assert!(h.has(flags::END_STREAM) && h.has(flags::END_HEADERS));
        assert!(!h.has(flags::PADDED));
    }

    #[test]
    fn payloads() {
        let f = valid_frames();
        let frames: Vec<Frame<'_>> = f.iter().map(|b| parse(b).unwrap().2).collect();
        assert_eq!(
            frames[0],
            Frame::Data {
                data: b"hello",
                end_stream: true
            }
        );
        assert_eq!(
            frames[1],
            Frame::Data {
                data: b"hi",
                end_stream: false
            }
        );
        assert_eq!(
            frames[2],
            Frame::Headers {
                priority: Some(Priority {
                    exclusive: true,
                    depends_on: 3,
                    weight: 15
                }),
                fragment: b"\x82",
                end_stream: false,
                end_headers: true
            }
        );
        assert_eq!(
            frames[3],
            Frame::Headers {
                priority: None,
                fragment: b"\x82",
                end_stream: false,
                end_headers: true
            }
        );
        assert!(matches!(
            frames[4],
            Frame::Priority(Priority {
                depends_on: 1,
                weight: 16,
                ..
            })
        ));
        assert_eq!(frames[5], Frame::RstStream(ErrorCode::CANCEL));
        assert_eq!(
            frames[6],
            Frame::Settings {
                ack: false,
                settings: Settings {
                    enable_connect_protocol: Some(true),
                    max_frame_size: Some(16384),
                    ..Settings::default()
                }
            }
        );
        assert_eq!(
            frames[7],
            Frame::Settings {
                ack: true,
                settings: Settings::default()
            }
        );
        assert_eq!(
            frames[8],
            Frame::PushPromise {
                promised: 2,
                fragment: b"\x82",
                end_headers: true
            }
        );
        assert_eq!(
            frames[9],
            Frame::Ping {
                ack: false,
                data: *b"12345678"
            }
        );
        assert_eq!(
            frames[10],
            Frame::GoAway {
                last_stream: 5,
                code: ErrorCode::ENHANCE_YOUR_CALM,
                debug: b"calm down"
            }
        );
        assert_eq!(frames[11], Frame::WindowUpdate { increment: 1000 });
        assert_eq!(
            frames[12],
            Frame::Continuation {
                fragment: b"\x84",
                end_headers: true
            }
        );
        assert_eq!(frames[13], Frame::Unknown(FrameType(0xfa)));
    }

    #[test]
    fn bad_padding() {
        // Pad length equal to the rest of the payload leaves no data: allowed.
        let ok = frame(0x0, flags::PADDED, 1, b"\x03abc");
        assert!(matches!(
            parse(&ok).unwrap().2,
            Frame::Data { data: b"", .. }
        ));
        // One more is not.
        let bad = frame(0x0, flags::PADDED, 1, b"\x04abc");
        let err = parse(&bad).unwrap_err();
        assert_eq!(
            err,
            FrameError::Padding {
                kind: FrameType::DATA,
                pad_len: 4,
                len: 4
            }
        );
        assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
        assert!(err.to_string().contains("padding"), "{err}");
        // PADDED with an empty payload has no pad length byte.
        let empty = frame(0x0, flags::PADDED, 1, b"");
        assert_eq!(
            parse(&empty).unwrap_err(),
            FrameError::PadLengthMissing {
                kind: FrameType::DATA
            }
        );
        // HEADERS: padding leaving no room for the priority fields.
        let h = frame(0x1, flags::PADDED | flags::PRIORITY, 1, b"\x03\0\0\0\0\0");
        assert!(matches!(parse(&h).unwrap_err(), FrameError::Padding { .. }));
        let h = frame(0x1, flags::PADDED, 1, b"\xff\x82");
        assert!(matches!(
            parse(&h).unwrap_err(),
            FrameError::Padding { pad_len: 255, .. }
        ));
        let p = frame(0x5, flags::PADDED, 1, b"\x01\0\0\0\x02");
        assert!(matches!(parse(&p).unwrap_err(), FrameError::Padding { .. }));
    }

    #[test]
    fn oversized() {
        // Only the header is needed to know a frame is too large.
        let mut bytes = frame(0x0, 0, 1, &[]);
        bytes[..3].copy_from_slice(&[0x00, 0x40, 0x01]); // 16385
        assert_eq!(
            parse(&bytes).unwrap_err(),
            FrameError::TooLarge {
                kind: FrameType::DATA,
                len: 16385,
                limit: 16384
            }
        );
        assert_eq!(
            parse(&bytes).unwrap_err().code(),
            ErrorCode::FRAME_SIZE_ERROR
        );
        // The largest length a header can say, against the largest limit: incomplete.
        bytes[..3].copy_from_slice(&[0xff, 0xff, 0xff]);
        assert_eq!(
            parse_frame(&bytes, MAX_MAX_FRAME_SIZE).unwrap_err(),
            FrameError::Incomplete {
                needed: MAX_MAX_FRAME_SIZE as usize
            }
        );
    }

    #[test]
    fn wrong_lengths_and_streams() {
        let cases: Vec<(Vec<u8>, FrameError)> = vec![
            (
                frame(0x3, 0, 1, b"\0\0\0"),
                FrameError::BadLength {
                    kind: FrameType::RST_STREAM,
                    len: 3,
                },
            ),
            (
                frame(0x6, 0, 0, b"1234567"),
                FrameError::BadLength {
                    kind: FrameType::PING,
                    len: 7,
                },
            ),
            (
                frame(0x7, 0, 0, b"1234567"),
                FrameError::BadLength {
                    kind: FrameType::GOAWAY,
                    len: 7,
                },
            ),
            (
                frame(0x8, 0, 1, b"12345"),
                FrameError::BadLength {
                    kind: FrameType::WINDOW_UPDATE,
                    len: 5,
                },
            ),
            (
                frame(0x2, 0, 1, b"1234"),
                FrameError::BadLength {
                    kind: FrameType::PRIORITY,
                    len: 4,
                },
            ),
            (
                frame(0x4, 0, 0, b"12345"),
                FrameError::BadLength {
                    kind: FrameType::SETTINGS,
                    len: 5,
                },
            ),
            (
                frame(0x4, flags::ACK, 0, b"\0\x01\0\0\0\0"),
                FrameError::SettingsAckWithPayload { len: 6 },
            ),
            (
                frame(0x0, 0, 0, b"x"),
                FrameError::StreamZero {
                    kind: FrameType::DATA,
                },
            ),
            (
                frame(0x1, flags::END_HEADERS, 0, b"\x82"),
                FrameError::StreamZero {
                    kind: FrameType::HEADERS,
                },
            ),
            (
                frame(0x3, 0, 0, b"\0\0\0\0"),
                FrameError::StreamZero {
                    kind: FrameType::RST_STREAM,
                },
            ),
            (
                frame(0x9, 0, 0, b""),
                FrameError::StreamZero {
                    kind: FrameType::CONTINUATION,
                },
            ),
            (
                frame(0x4, 0, 1, b""),
                FrameError::NotStreamZero {
                    kind: FrameType::SETTINGS,
                    stream: 1,
                },
            ),
            (
                frame(0x6, 0, 3, b"12345678"),
                FrameError::NotStreamZero {
                    kind: FrameType::PING,
                    stream: 3,
                },
            ),
            (
                frame(0x7, 0, 3, b"\0\0\0\0\0\0\0\0"),
                FrameError::NotStreamZero {
                    kind: FrameType::GOAWAY,
                    stream: 3,
                },
            ),
            (
                frame(0x4, 0, 0, b"\0\x08\0\0\0\x02"),
                FrameError::BadSetting { id: 8, value: 2 },
            ),
            (
                frame(0x4, 0, 0, b"\0\x02\0\0\0\x05"),
                FrameError::BadSetting { id: 2, value: 5 },
            ),
            (
                frame(0x4, 0, 0, b"\0\x05\0\0\x10\0"),
                FrameError::BadSetting { id: 5, value: 4096 },
            ),
            (
                frame(0x4, 0, 0, b"\0\x04\x80\0\0\0"),
                FrameError::BadSetting {
                    id: 4,
                    value: 0x8000_0000,
                },
            ),
        ];
        for (bytes, want) in cases {
            let got = parse(&bytes).unwrap_err();
            assert_eq!(got, want, "{bytes:02x?}");
            assert!(!got.to_string().is_empty());
        }
        assert_eq!(
            FrameError::BadSetting {
                id: 4,
                value: 0x8000_0000
            }
            .code(),
            ErrorCode::FLOW_CONTROL_ERROR
        );
    }

    #[test]
    fn settings_last_value_wins_and_unknown_ignored() {
        let bytes = frame(
            0x4,
            0,
            0,
            b"\0\x08\0\0\0\x01\0\x08\0\0\0\0\x0a\x0a\0\0\0\x07\0\x01\0\0\x10\x00",
        );
        let Frame::Settings { settings, .. } = parse(&bytes).unwrap().2 else {
            panic!()
        };
        assert_eq!(settings.enable_connect_protocol, Some(false));
        assert_eq!(settings.header_table_size, Some(4096));
        assert_eq!(settings.max_frame_size, None);
    }

    #[test]
    fn error_code_names() {
        let names = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        for (code, name) in names.iter().enumerate() {
            assert_eq!(ErrorCode(code as u32).to_string(), *name);
        }
        assert_eq!(ErrorCode(0xe).to_string(), "0xe");
        assert_eq!(ErrorCode(0xdead_beef).to_string(), "0xdeadbeef");
        assert_eq!(FrameType(0x9).to_string(), "CONTINUATION");
        assert_eq!(FrameType(0x10).to_string(), "unknown type 0x10");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every short input of a few shapes, with every flag combination.
        let mut seed = 0x1234_5678u32;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let len = (seed % 24) as usize;
            let mut bytes = frame((seed >> 8) as u8 % 12, (seed >> 16) as u8, seed >> 20, &[]);
            bytes[..3].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
            for k in 0..len {
                bytes.push((seed >> (k % 24)) as u8);
            }
            let _ = parse(&bytes);
        }
    }
}
