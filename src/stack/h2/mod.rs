//! HTTP/2 connections as a passive reader sees them, for WebSockets over HTTP/2
//! (RFC 8441).
//!
//! In: the two byte streams of one TCP connection, each in order as TCP reassembly hands
//! them over (`feed`), with the holes it could not fill (`gap`); the caller knows which
//! side is the client. Out: [`H2Event`]s, in the order their last byte arrived: each side's
//! SETTINGS (with SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3), every request and
//! response head (an extended CONNECT is `:method CONNECT` with `:protocol websocket`,
//! RFC 8441 §4-5), DATA payloads without their padding, RST_STREAM and GOAWAY with their
//! error codes (RFC 9113 §7), and [`H2Event::Lost`] when a direction can no longer be read.
//!
//! What applies: RFC 9113 §3.4 (the client's preface, SETTINGS first on both sides), §4
//! (frame header, size limits, header blocks split over CONTINUATION), §5.4.1 (a connection
//! error ends the reading of that direction: nothing after it can be trusted), §6 (the
//! frame types, parsed in [`frame`]); RFC 7541 (HPACK, in [`hpack`]), one dynamic table per
//! direction, so every header block of a direction is decoded in order whatever its stream.
//!
//! Never a guess: a gap or a framing error stops the direction ([`LostReason::framing_lost`]);
//! a header block that does not decode loses that direction's HPACK table, and every later
//! head of that direction is reported as [`H2Event::Unreadable`] ("HPACK state lost at
//! packet N") while its DATA, RST_STREAM and GOAWAY frames are still followed.
//!
//! Memory: no state per stream (heads are told apart by their pseudo-header fields, RFC
//! 9113 §8.3, so a capture with a million streams costs nothing more); DATA is passed on as
//! it arrives, never buffered; other frames are kept whole only when split across chunks,
//! up to [`MAX_BUFFERED_FRAME`]; a header block up to [`MAX_HEADER_BLOCK`]; a dynamic table
//! up to [`hpack::MAX_TABLE_SIZE`]. Over a cap, the direction is lost, and says so.

pub mod frame;
pub mod hpack;
mod huffman;
pub mod layer;

use crate::capture::Timestamp;
use frame::{ErrorCode, Frame, FrameError, FrameHeader, FrameType};
use hpack::{BlockDecoder, Head, HpackError};
use std::fmt;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The longest header block (HEADERS or PUSH_PROMISE and its CONTINUATION fragments) kept.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;
/// The longest payload of a frame other than DATA kept whole when it is split across
/// chunks (DATA is never kept; unknown types are skipped).
pub const MAX_BUFFERED_FRAME: u32 = 256 * 1024;
/// Buffers grown past this are released after use.
const KEEP_CAPACITY: usize = 16 * 1024;

/// Whether `bytes` (the first bytes the client sent) start like the HTTP/2 client preface:
/// all of it, or as much of it as there is. Empty input is not a preface.
pub fn looks_like_preface(bytes: &[u8]) -> bool {
    let n = bytes.len().min(PREFACE.len());
    n > 0 && bytes.get(..n) == PREFACE.get(..n)
}

/// Why a direction (or its HPACK state) can no longer be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LostReason {
    /// TCP reassembly could not fill a hole: frame boundaries are lost.
    Gap,
    /// The client's bytes do not start with the connection preface (RFC 9113 §3.4).
    NoPreface,
    /// A frame broke RFC 9113 (a connection error, §5.4.1).
    Frame(FrameError),
    /// A frame other than DATA longer than this reader keeps ([`MAX_BUFFERED_FRAME`]).
    FrameTooLargeToKeep { kind: FrameType, len: u32 },
    /// A header block longer than this reader keeps ([`MAX_HEADER_BLOCK`]).
    HeaderBlockTooLarge { stream: u32 },
    /// A header block did not decode: the direction's HPACK table is out of step. Framing
    /// goes on; heads of this direction are [`H2Event::Unreadable`] from here on.
    Hpack { stream: u32, error: HpackError },
    /// The client sent more than `cap` bytes after an `Upgrade: h2c` request before the
    /// server answered it (RFC 7540 §3.2); those past the cap were not kept.
    NotKeptBeforeUpgrade { cap: usize },
}

impl LostReason {
    /// Whether frames can no longer be found (everything of the direction is lost), as
    /// opposed to only its header blocks.
    pub fn framing_lost(&self) -> bool {
        !matches!(self, LostReason::Hpack { .. })
    }
}

impl fmt::Display for LostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LostReason::Gap => f.write_str("bytes missing from the capture: HTTP/2 framing lost"),
            LostReason::NoPreface => {
                f.write_str("no HTTP/2 client connection preface (RFC 9113 §3.4)")
            }
            LostReason::Frame(e) => write!(f, "{} ({})", e, e.code()),
            LostReason::FrameTooLargeToKeep { kind, len } => write!(
                f,
                "{kind} frame of {len} bytes: longer than the {MAX_BUFFERED_FRAME} bytes kept"
            ),
            LostReason::HeaderBlockTooLarge { stream } => write!(
                f,
                "header block of stream {stream} longer than the {MAX_HEADER_BLOCK} bytes kept"
            ),
            LostReason::Hpack { stream, error } => {
                write!(f, "header block of stream {stream}: {error}")
            }
            LostReason::NotKeptBeforeUpgrade { cap } => write!(
                f,
                "more than {cap} bytes came before the server answered the Upgrade: h2c request, and those past them were not kept"
            ),
        }
    }
}

/// What an HTTP/2 connection said. Strings are the header field values (invalid UTF-8
/// replaced, cut at [`hpack::MAX_FIELD_LEN`] bytes); byte slices borrow the caller's chunk or
/// an internal buffer, for the duration of the callback.
///
/// Every HEADERS block of a stream is reported as exactly one of `Request`, `Response`,
/// `Trailers` or `Unreadable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum H2Event<'a> {
    /// A SETTINGS frame (not an acknowledgement).
    Settings {
        from_client: bool,
        /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3), if the frame has it.
        enable_connect_protocol: Option<bool>,
        header_table_size: Option<u32>,
        max_frame_size: Option<u32>,
        packet: u64,
        ts: Timestamp,
    },
    /// The client's head of a stream: it has request pseudo-header fields (RFC 9113
    /// §8.3.1). A WebSocket is `method == Some("CONNECT")` with
    /// `protocol == Some("websocket")` (RFC 8441 §4-5).
    Request {
        stream: u32,
        method: Option<&'a str>,
        protocol: Option<&'a str>,
        scheme: Option<&'a str>,
        authority: Option<&'a str>,
        path: Option<&'a str>,
        ws_version: Option<&'a str>,
        ws_protocols: Option<&'a str>,
        ws_extensions: Option<&'a str>,
        /// The WebSocket library its `user-agent` names.
        software: Option<&'a crate::websocket::library::Software>,
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    /// The server's head of a stream: it has `:status` (RFC 9113 §8.3.2); 1xx heads too.
    Response {
        stream: u32,
        /// `None` if `:status` is not three digits.
        status: Option<u16>,
        ws_protocol: Option<&'a str>,
        ws_extensions: Option<&'a str>,
        /// The WebSocket library its `server` field names.
        software: Option<&'a crate::websocket::library::Software>,
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    /// A header block with neither request nor response pseudo-header fields: trailers
    /// (RFC 9113 §8.1).
    Trailers {
        stream: u32,
        from_client: bool,
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    /// A header block that cannot be read because this direction's HPACK state was lost
    /// (at packet `lost_at`, `None` if that packet is unknown). The frame flags still are.
    Unreadable {
        stream: u32,
        from_client: bool,
        end_stream: bool,
        lost_at: Option<u64>,
        packet: u64,
        ts: Timestamp,
    },
    /// DATA payload bytes (padding removed). A frame split across chunks is reported in
    /// pieces, in order; `end_stream` is on the last piece of a frame with END_STREAM, which
    /// may be empty.
    Data {
        stream: u32,
        from_client: bool,
        bytes: &'a [u8],
        end_stream: bool,
        packet: u64,
        ts: Timestamp,
    },
    RstStream {
        stream: u32,
        from_client: bool,
        code: ErrorCode,
        packet: u64,
        ts: Timestamp,
    },
    GoAway {
        from_client: bool,
        last_stream: u32,
        code: ErrorCode,
        /// Additional debug data (RFC 9113 §6.8), as sent.
        debug: &'a [u8],
        packet: u64,
        ts: Timestamp,
    },
    /// A direction (or, for [`LostReason::Hpack`], its HPACK state) can no longer be read.
    /// Reported once per direction for framing, once for HPACK.
    Lost {
        from_client: bool,
        reason: LostReason,
        packet: Option<u64>,
    },
}

/// Where the bytes being read came from.
#[derive(Debug, Clone, Copy)]
struct At {
    packet: u64,
    ts: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// This many bytes of the preface seen (client only).
    Preface(usize),
    Frames,
    Dead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Reading a frame header (`hdr` holds the part already seen).
    Header,
    /// Inside a DATA frame: passed on as it arrives.
    Data {
        stream: u32,
        end_stream: bool,
        /// PADDED and the pad length byte not read yet; `data_left` then counts it out.
        pad_pending: bool,
        data_left: u32,
        pad_left: u32,
    },
    /// Inside a frame of an unknown type (§4.1: ignored).
    Skip(u32),
    /// Inside a frame kept whole, its payload so far in `pending`.
    Whole(FrameHeader),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Headers { end_stream: bool },
    PushPromise,
}

/// A header block waiting for its CONTINUATION frames.
#[derive(Debug)]
struct Block {
    stream: u32,
    kind: BlockKind,
    buf: Vec<u8>,
}

/// One direction of the connection.
#[derive(Debug)]
struct Dir {
    from_client: bool,
    phase: Phase,
    hdr: [u8; frame::FRAME_HEADER_LEN],
    hdr_len: usize,
    body: Body,
    pending: Vec<u8>,
    block: Option<Block>,
    hpack: BlockDecoder,
    /// `Some(packet)` once a header block failed to decode.
    hpack_lost: Option<Option<u64>>,
    seen_frame: bool,
    /// The largest frame this direction's receiver allows: the largest
    /// SETTINGS_MAX_FRAME_SIZE it announced (§4.2; the default before).
    max_frame: u32,
}

impl Dir {
    fn new(from_client: bool) -> Dir {
        Dir {
            from_client,
            phase: if from_client {
                Phase::Preface(0)
            } else {
                Phase::Frames
            },
            hdr: [0; frame::FRAME_HEADER_LEN],
            hdr_len: 0,
            body: Body::Header,
            pending: Vec::new(),
            block: None,
            hpack: BlockDecoder::new(),
            hpack_lost: None,
            seen_frame: false,
            max_frame: frame::DEFAULT_MAX_FRAME_SIZE,
        }
    }

    /// The other side's SETTINGS: what it allows, this side's frames must keep to.
    fn allow(&mut self, settings: &frame::Settings) {
        if let Some(size) = settings.max_frame_size {
            self.max_frame = self.max_frame.max(size);
        }
        if let Some(size) = settings.header_table_size {
            self.hpack.allow_table_size(size);
        }
    }

    fn lose(&mut self, reason: LostReason, packet: Option<u64>, out: &mut dyn FnMut(H2Event<'_>)) {
        if self.phase == Phase::Dead {
            return;
        }
        self.phase = Phase::Dead;
        self.body = Body::Header;
        self.pending = Vec::new();
        self.block = None;
        out(H2Event::Lost {
            from_client: self.from_client,
            reason,
            packet,
        });
    }

    fn feed(&mut self, bytes: &[u8], at: At, peer: &mut Dir, out: &mut dyn FnMut(H2Event<'_>)) {
        let mut input = bytes;
        while !input.is_empty() {
            match self.phase {
                Phase::Dead => return,
                Phase::Preface(seen) => {
                    let want = PREFACE.get(seen..).unwrap_or_default();
                    let n = want.len().min(input.len());
                    let (head, rest) = input.split_at(n);
                    if want.get(..n) != Some(head) {
                        self.lose(LostReason::NoPreface, Some(at.packet), out);
                        return;
                    }
                    input = rest;
                    let seen = seen.saturating_add(n);
                    self.phase = if seen >= PREFACE.len() {
                        Phase::Frames
                    } else {
                        Phase::Preface(seen)
                    };
                }
                Phase::Frames => input = self.step(input, at, peer, out),
            }
        }
    }

    /// Read from `input` in the current state; return what is left.
    fn step<'i>(
        &mut self,
        input: &'i [u8],
        at: At,
        peer: &mut Dir,
        out: &mut dyn FnMut(H2Event<'_>),
    ) -> &'i [u8] {
        match self.body {
            Body::Header => {
                let (header, rest) = if self.hdr_len == 0 {
                    match frame::parse_header(input) {
                        Ok((rest, header)) => (header, rest),
                        Err(_) => {
                            self.keep_header_part(input);
                            return &[];
                        }
                    }
                } else {
                    let rest = self.keep_header_part(input);
                    if self.hdr_len < frame::FRAME_HEADER_LEN {
                        return rest;
                    }
                    self.hdr_len = 0;
                    match frame::parse_header(&self.hdr) {
                        Ok((_, header)) => (header, rest),
                        // Nine bytes always make a header.
                        Err(_) => return rest,
                    }
                };
                self.start_frame(header, at, peer, out);
                rest
            }
            Body::Data { .. } => self.data_step(input, at, out),
            Body::Skip(left) => {
                let n = input.len().min(left as usize);
                let left = left.saturating_sub(n as u32);
                self.body = if left == 0 {
                    Body::Header
                } else {
                    Body::Skip(left)
                };
                input.get(n..).unwrap_or_default()
            }
            Body::Whole(header) => {
                let len = header.len as usize;
                if self.pending.is_empty() && input.len() >= len {
                    let (payload, rest) = input.split_at(len);
                    self.body = Body::Header;
                    self.frame(&header, payload, at, peer, out);
                    return rest;
                }
                let n = len.saturating_sub(self.pending.len()).min(input.len());
                let (part, rest) = input.split_at(n);
                self.pending.extend_from_slice(part);
                if self.pending.len() >= len {
                    let mut payload = std::mem::take(&mut self.pending);
                    self.body = Body::Header;
                    self.frame(&header, &payload, at, peer, out);
                    if self.phase != Phase::Dead && payload.capacity() <= KEEP_CAPACITY {
                        payload.clear();
                        self.pending = payload;
                    }
                }
                rest
            }
        }
    }

    /// Copy what fits of a frame header into `hdr`; return the bytes after it.
    fn keep_header_part<'i>(&mut self, input: &'i [u8]) -> &'i [u8] {
        let room = frame::FRAME_HEADER_LEN.saturating_sub(self.hdr_len);
        let n = room.min(input.len());
        let (part, rest) = input.split_at(n);
        if let Some(dst) = self
            .hdr
            .get_mut(self.hdr_len..self.hdr_len.saturating_add(n))
        {
            dst.copy_from_slice(part);
        }
        self.hdr_len = self.hdr_len.saturating_add(n);
        rest
    }

    /// A frame header has been read: check what can be checked before the payload, and
    /// choose how to read the payload.
    fn start_frame(
        &mut self,
        header: FrameHeader,
        at: At,
        peer: &mut Dir,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let kind = header.kind;
        let packet = Some(at.packet);
        let fail = |e: FrameError| LostReason::Frame(e);
        if !self.seen_frame {
            self.seen_frame = true;
            if kind != FrameType::SETTINGS {
                return self.lose(fail(FrameError::FirstNotSettings { kind }), packet, out);
            }
        }
        if header.len > self.max_frame {
            let e = FrameError::TooLarge {
                kind,
                len: header.len,
                limit: self.max_frame,
            };
            return self.lose(fail(e), packet, out);
        }
        match &self.block {
            Some(block) if kind != FrameType::CONTINUATION || header.stream != block.stream => {
                let e = FrameError::ExpectedContinuation {
                    open: block.stream,
                    kind,
                    stream: header.stream,
                };
                return self.lose(fail(e), packet, out);
            }
            None if kind == FrameType::CONTINUATION => {
                let e = FrameError::UnexpectedContinuation {
                    stream: header.stream,
                };
                return self.lose(fail(e), packet, out);
            }
            _ => {}
        }
        if kind == FrameType::DATA {
            if header.stream == 0 {
                return self.lose(fail(FrameError::StreamZero { kind }), packet, out);
            }
            let end_stream = header.has(frame::flags::END_STREAM);
            let padded = header.has(frame::flags::PADDED);
            if padded && header.len == 0 {
                return self.lose(fail(FrameError::PadLengthMissing { kind }), packet, out);
            }
            if !padded && header.len == 0 {
                if end_stream {
                    self.emit_data(header.stream, &[], true, at, out);
                }
                return;
            }
            self.body = Body::Data {
                stream: header.stream,
                end_stream,
                pad_pending: padded,
                data_left: if padded {
                    header.len.saturating_sub(1)
                } else {
                    header.len
                },
                pad_left: 0,
            };
        } else if !kind.is_known() {
            if header.len > 0 {
                self.body = Body::Skip(header.len);
            }
        } else if header.len > MAX_BUFFERED_FRAME {
            let reason = LostReason::FrameTooLargeToKeep {
                kind,
                len: header.len,
            };
            self.lose(reason, packet, out);
        } else if header.len == 0 {
            self.frame(&header, &[], at, peer, out);
        } else {
            self.body = Body::Whole(header);
        }
    }

    fn emit_data(
        &self,
        stream: u32,
        bytes: &[u8],
        end_stream: bool,
        at: At,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        out(H2Event::Data {
            stream,
            from_client: self.from_client,
            bytes,
            end_stream,
            packet: at.packet,
            ts: at.ts,
        });
    }

    /// Inside a DATA frame: pass on what there is of its data, skip its padding.
    fn data_step<'i>(
        &mut self,
        input: &'i [u8],
        at: At,
        out: &mut dyn FnMut(H2Event<'_>),
    ) -> &'i [u8] {
        let Body::Data {
            stream,
            end_stream,
            mut pad_pending,
            mut data_left,
            mut pad_left,
        } = self.body
        else {
            return input;
        };
        let mut input = input;
        if pad_pending {
            let Some((&pad_len, rest)) = input.split_first() else {
                return input;
            };
            input = rest;
            let Some(left) = data_left.checked_sub(u32::from(pad_len)) else {
                let e = FrameError::Padding {
                    kind: FrameType::DATA,
                    pad_len,
                    len: data_left.saturating_add(1),
                };
                self.lose(LostReason::Frame(e), Some(at.packet), out);
                return &[];
            };
            pad_pending = false;
            data_left = left;
            pad_left = u32::from(pad_len);
            if data_left == 0 && end_stream {
                self.emit_data(stream, &[], true, at, out);
            }
        }
        if data_left > 0 {
            let n = input.len().min(data_left as usize);
            let (bytes, rest) = input.split_at(n);
            data_left = data_left.saturating_sub(n as u32);
            if n > 0 {
                self.emit_data(stream, bytes, end_stream && data_left == 0, at, out);
            }
            input = rest;
        }
        if data_left == 0 && pad_left > 0 {
            let n = input.len().min(pad_left as usize);
            pad_left = pad_left.saturating_sub(n as u32);
            input = input.get(n..).unwrap_or_default();
        }
        self.body = if !pad_pending && data_left == 0 && pad_left == 0 {
            Body::Header
        } else {
            Body::Data {
                stream,
                end_stream,
                pad_pending,
                data_left,
                pad_left,
            }
        };
        input
    }

    /// A whole frame other than DATA.
    fn frame(
        &mut self,
        header: &FrameHeader,
        payload: &[u8],
        at: At,
        peer: &mut Dir,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let packet = Some(at.packet);
        let parsed = match frame::parse_payload(header, payload) {
            Ok(parsed) => parsed,
            Err(e) => return self.lose(LostReason::Frame(e), packet, out),
        };
        let from_client = self.from_client;
        match parsed {
            Frame::Data { data, end_stream } => {
                self.emit_data(header.stream, data, end_stream, at, out)
            }
            Frame::Headers {
                fragment,
                end_stream,
                end_headers,
                ..
            } => {
                let kind = BlockKind::Headers { end_stream };
                self.fragment(header.stream, kind, fragment, end_headers, at, out);
            }
            Frame::PushPromise {
                fragment,
                end_headers,
                ..
            } => {
                if from_client {
                    return self.lose(LostReason::Frame(FrameError::PushFromClient), packet, out);
                }
                let kind = BlockKind::PushPromise;
                self.fragment(header.stream, kind, fragment, end_headers, at, out);
            }
            Frame::Continuation {
                fragment,
                end_headers,
            } => {
                // start_frame made sure a block is open on this stream.
                let Some(block) = self.block.as_mut() else {
                    return;
                };
                if block.buf.len().saturating_add(fragment.len()) > MAX_HEADER_BLOCK {
                    let reason = LostReason::HeaderBlockTooLarge {
                        stream: block.stream,
                    };
                    return self.lose(reason, packet, out);
                }
                block.buf.extend_from_slice(fragment);
                if end_headers {
                    if let Some(block) = self.block.take() {
                        self.header_block(block.stream, block.kind, &block.buf, at, out);
                    }
                }
            }
            Frame::Settings { ack, settings } => {
                if ack {
                    return;
                }
                peer.allow(&settings);
                out(H2Event::Settings {
                    from_client,
                    enable_connect_protocol: settings.enable_connect_protocol,
                    header_table_size: settings.header_table_size,
                    max_frame_size: settings.max_frame_size,
                    packet: at.packet,
                    ts: at.ts,
                });
            }
            Frame::RstStream(code) => out(H2Event::RstStream {
                stream: header.stream,
                from_client,
                code,
                packet: at.packet,
                ts: at.ts,
            }),
            Frame::GoAway {
                last_stream,
                code,
                debug,
            } => out(H2Event::GoAway {
                from_client,
                last_stream,
                code,
                debug,
                packet: at.packet,
                ts: at.ts,
            }),
            Frame::Priority(_)
            | Frame::Ping { .. }
            | Frame::WindowUpdate { .. }
            | Frame::Unknown(_) => {}
        }
    }

    /// The first fragment of a header block: decode it now if it is the whole block,
    /// else keep it for the CONTINUATION frames.
    fn fragment(
        &mut self,
        stream: u32,
        kind: BlockKind,
        fragment: &[u8],
        end_headers: bool,
        at: At,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        if end_headers {
            return self.header_block(stream, kind, fragment, at, out);
        }
        if fragment.len() > MAX_HEADER_BLOCK {
            return self.lose(
                LostReason::HeaderBlockTooLarge { stream },
                Some(at.packet),
                out,
            );
        }
        self.block = Some(Block {
            stream,
            kind,
            buf: fragment.to_vec(),
        });
    }

    /// A whole header block: decode it (always, to keep the table in step) and report it.
    fn header_block(
        &mut self,
        stream: u32,
        kind: BlockKind,
        block: &[u8],
        at: At,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let from_client = self.from_client;
        let unreadable = |lost_at: Option<u64>, out: &mut dyn FnMut(H2Event<'_>)| {
            if let BlockKind::Headers { end_stream } = kind {
                out(H2Event::Unreadable {
                    stream,
                    from_client,
                    end_stream,
                    lost_at,
                    packet: at.packet,
                    ts: at.ts,
                });
            }
        };
        if let Some(lost_at) = self.hpack_lost {
            return unreadable(lost_at, out);
        }
        let head = match self.hpack.decode(block) {
            Ok(head) => head,
            Err(error) => {
                self.hpack_lost = Some(Some(at.packet));
                // The table is useless now: free it.
                self.hpack = BlockDecoder::new();
                out(H2Event::Lost {
                    from_client,
                    reason: LostReason::Hpack { stream, error },
                    packet: Some(at.packet),
                });
                return unreadable(Some(at.packet), out);
            }
        };
        let BlockKind::Headers { end_stream } = kind else {
            // A promised request: decoded for the table's sake only.
            return;
        };
        report_head(&head, stream, from_client, end_stream, at, out);
    }
}

fn report_head(
    head: &Head,
    stream: u32,
    from_client: bool,
    end_stream: bool,
    at: At,
    out: &mut dyn FnMut(H2Event<'_>),
) {
    let (packet, ts) = (at.packet, at.ts);
    if from_client && head.is_request() {
        out(H2Event::Request {
            stream,
            method: head.method.as_deref(),
            protocol: head.protocol.as_deref(),
            scheme: head.scheme.as_deref(),
            authority: head.authority.as_deref(),
            path: head.path.as_deref(),
            ws_version: head.ws_version.as_deref(),
            ws_protocols: head.ws_protocols.as_deref(),
            ws_extensions: head.ws_extensions.as_deref(),
            software: head.software.as_ref(),
            end_stream,
            packet,
            ts,
        });
    } else if !from_client && head.is_response() {
        out(H2Event::Response {
            stream,
            status: head.status_code(),
            ws_protocol: head.ws_protocols.as_deref(),
            ws_extensions: head.ws_extensions.as_deref(),
            software: head.software.as_ref(),
            end_stream,
            packet,
            ts,
        });
    } else {
        out(H2Event::Trailers {
            stream,
            from_client,
            end_stream,
            packet,
            ts,
        });
    }
}

/// One HTTP/2 connection: the client's and the server's byte streams.
#[derive(Debug)]
pub struct H2Conn {
    client: Dir,
    server: Dir,
}

impl Default for H2Conn {
    fn default() -> Self {
        H2Conn::new()
    }
}

impl H2Conn {
    /// A connection whose client stream starts with the preface and whose server stream
    /// starts with SETTINGS (RFC 9113 §3.4).
    pub fn new() -> H2Conn {
        H2Conn {
            client: Dir::new(true),
            server: Dir::new(false),
        }
    }

    /// A connection upgraded from HTTP/1.1 by `Upgrade: h2c` (RFC 7540 §3.2): the client's
    /// SETTINGS came in the request's `HTTP2-Settings` field (`settings`: the payload of a
    /// SETTINGS frame, §3.2.1) and bind the server's frames as a SETTINGS frame would. The
    /// client's bytes still start with the preface, the server's with its SETTINGS.
    pub fn upgraded(settings: &[u8]) -> Result<H2Conn, FrameError> {
        let header = FrameHeader {
            len: u32::try_from(settings.len()).unwrap_or(u32::MAX),
            kind: FrameType::SETTINGS,
            flags: 0,
            stream: 0,
        };
        let mut conn = H2Conn::new();
        if let Frame::Settings { settings, .. } = frame::parse_payload(&header, settings)? {
            conn.server.allow(&settings);
        }
        Ok(conn)
    }

    fn dirs(&mut self, from_client: bool) -> (&mut Dir, &mut Dir) {
        if from_client {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        }
    }

    /// The next bytes of one direction, in order. Events go to `out` as soon as their
    /// last byte is read; `packet` and `ts` are the ones of the chunk that completed them.
    pub fn feed(
        &mut self,
        from_client: bool,
        bytes: &[u8],
        packet: u64,
        ts: Timestamp,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let (me, peer) = self.dirs(from_client);
        me.feed(bytes, At { packet, ts }, peer, out);
    }

    /// Bytes are missing from one direction: its framing and HPACK state are lost, and
    /// nothing more is read from it ([`H2Event::Lost`] with [`LostReason::Gap`], unless the
    /// direction was already lost).
    pub fn gap(
        &mut self,
        from_client: bool,
        packet: Option<u64>,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        self.lose(from_client, LostReason::Gap, packet, out);
    }

    /// One direction cannot be read on, for `reason` (one that loses framing): as
    /// [`H2Conn::gap`].
    pub fn lose(
        &mut self,
        from_client: bool,
        reason: LostReason,
        packet: Option<u64>,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let (me, _) = self.dirs(from_client);
        me.lose(reason, packet, out);
    }

    /// Whether a direction can no longer be read.
    pub fn is_lost(&self, from_client: bool) -> bool {
        let dir = if from_client {
            &self.client
        } else {
            &self.server
        };
        dir.phase == Phase::Dead
    }

    /// `Some(packet)` once a direction's HPACK state is lost (`Some(None)` if at an unknown
    /// packet).
    pub fn hpack_lost_at(&self, from_client: bool) -> Option<Option<u64>> {
        let dir = if from_client {
            &self.client
        } else {
            &self.server
        };
        dir.hpack_lost
    }

    /// Bytes held in buffers now (partial frames and header blocks of both directions),
    /// not counting the HPACK tables.
    pub fn buffered_bytes(&self) -> usize {
        [&self.client, &self.server]
            .iter()
            .map(|d| {
                d.pending
                    .capacity()
                    .saturating_add(d.block.as_ref().map_or(0, |b| b.buf.capacity()))
            })
            .sum()
    }
}

#[cfg(test)]
mod tests;
