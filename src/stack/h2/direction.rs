//! One direction of an HTTP/2 connection read frame by frame: the client's preface, each
//! frame's header, DATA passed on as it arrives (padding counted out), frames of unknown
//! types skipped, other frames kept whole up to [`MAX_BUFFERED_FRAME`], header blocks
//! gathered over CONTINUATION up to [`MAX_HEADER_BLOCK`] and decoded by this direction's
//! HPACK table (RFC 9113 §4, §6; RFC 7541). Out: [`H2Event`]s; a gap or a framing error
//! ends the direction.

use super::frame::{self, Frame, FrameError, FrameHeader, FrameType};
use super::hpack::{BlockDecoder, Head};
use super::{H2Event, LostReason, KEEP_CAPACITY, MAX_BUFFERED_FRAME, MAX_HEADER_BLOCK, PREFACE};
use crate::vocab::Timestamp;

/// Where the bytes being read came from.
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    pub(super) packet: u64,
    pub(super) ts: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// This many bytes of the preface seen (client only).
    Preface(usize),
    Frames,
    Dead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Body {
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
pub(super) enum BlockKind {
    Headers { end_stream: bool },
    PushPromise,
}

/// A header block waiting for its CONTINUATION frames.
#[derive(Debug)]
pub(super) struct Block {
    pub(super) stream: u32,
    pub(super) kind: BlockKind,
    pub(super) buf: Vec<u8>,
}

/// One direction of the connection.
#[derive(Debug)]
pub(super) struct Dir {
    pub(super) from_client: bool,
    pub(super) phase: Phase,
    pub(super) hdr: [u8; frame::FRAME_HEADER_LEN],
    pub(super) hdr_len: usize,
    pub(super) body: Body,
    pub(super) pending: Vec<u8>,
    pub(super) block: Option<Block>,
    pub(super) hpack: BlockDecoder,
    /// `Some(packet)` once a header block failed to decode.
    pub(super) hpack_lost: Option<Option<u64>>,
    pub(super) seen_frame: bool,
    /// The largest frame this direction's receiver allows: the largest
    /// SETTINGS_MAX_FRAME_SIZE it announced (§4.2; the default before).
    pub(super) max_frame: u32,
}

impl Dir {
    pub(super) fn new(from_client: bool) -> Dir {
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
    pub(super) fn allow(&mut self, settings: &frame::Settings) {
        if let Some(size) = settings.max_frame_size {
            self.max_frame = self.max_frame.max(size);
        }
        if let Some(size) = settings.header_table_size {
            self.hpack.allow_table_size(size);
        }
    }

    /// Where this direction stands in its framing: the part of a frame header seen and the
    /// payload bytes of the current frame still to come; `None` before its frames (the
    /// preface not read whole) or once it is lost.
    pub(super) fn position(&self) -> Option<(&[u8], u32)> {
        if self.phase != Phase::Frames {
            return None;
        }
        let left = match self.body {
            Body::Header => 0,
            Body::Data {
                data_left,
                pad_left,
                ..
            } => data_left.saturating_add(pad_left),
            Body::Skip(left) => left,
            Body::Whole(h) => h.len.saturating_sub(self.pending.len() as u32),
        };
        Some((self.hdr.get(..self.hdr_len).unwrap_or_default(), left))
    }

    pub(super) fn lose(
        &mut self,
        reason: LostReason,
        packet: Option<u64>,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
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

    pub(super) fn feed(
        &mut self,
        bytes: &[u8],
        at: At,
        peer: &mut Dir,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
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
    pub(super) fn step<'i>(
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
    pub(super) fn keep_header_part<'i>(&mut self, input: &'i [u8]) -> &'i [u8] {
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
    pub(super) fn start_frame(
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

    pub(super) fn emit_data(
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
    pub(super) fn data_step<'i>(
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
    pub(super) fn frame(
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
    pub(super) fn fragment(
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
    pub(super) fn header_block(
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

pub(super) fn report_head(
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
            proxy: head.proxy.as_ref(),
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
