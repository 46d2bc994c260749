//! The per-direction WebSocket decoder.
//!
//! In: one direction's stream after the handshake, as tcp `Data` and `Gap` events. Out: close
//! frames ([`crate::vocab::CloseFrame`], read by `crate::close::parse`), per-direction statistics, and findings for every
//! framing rule broken (RFC 6455 §5.1-§5.6, §7.1.4, §8.1).
//!
//! Headers are parsed with nom straight from the segment; only a header split across
//! segments is copied (at most 14 bytes). Payloads are streamed, never buffered whole: data
//! payloads are unmasked 4 KiB at a time on the stack for UTF-8 checking and inflating,
//! control payloads (at most 125 bytes when valid) are kept up to a cap. A gap inside a
//! payload of known length keeps the decoder in sync (the message is marked truncated, the
//! mask position moves on); a gap over a header puts the direction out of sync, and nothing
//! more is decoded from it — no frame, no code is guessed (reassembly rule 8).
//!
//! `stats` has the statistics, `log` the frame log the timeline reads, `message` the data
//! message in progress; this module is the frame state machine.

mod log;
mod message;
pub mod stray;
#[cfg(test)]
mod tests;

use super::deflate::Inflater;
use super::frame::{parse_header, unmask, unmask_into, FrameHeader, MAX_HEADER_LEN};
use super::utf8::Utf8Stream;
use crate::finding::Findings;
use crate::flow::Event;
use crate::vocab::CloseFrame;
use crate::vocab::{Found, Truncated};
use crate::vocab::{FrameRecord, Opcode, Problem, Role, Stats, Timestamp};
use log::{preview_text, PREVIEW_BYTES};
use message::{check_utf8, Message};

/// Masked payload is unmasked this many bytes at a time, in a buffer shared by every
/// decoder of the thread (so no per-connection buffer grows with the largest segment, and
/// nothing is zeroed per chunk).
const UNMASK_CHUNK: usize = 4096;

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Box<[u8; UNMASK_CHUNK]>>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `f` with the thread's unmasking buffer, taken from the thread and given back, so
/// that `f` runs in its caller's body. (Run inside `LocalKey::with`, the loop of
/// `Decoder::data` was inlined there or not as unrelated code elsewhere in the crate
/// changed: 78 M instructions more when not, 1.7 % of the 1 GB benchmark's.)
#[inline(always)]
fn with_scratch<R>(f: impl FnOnce(&mut [u8; UNMASK_CHUNK]) -> R) -> R {
    let mut buf = SCRATCH
        .take()
        .unwrap_or_else(|| Box::new([0; UNMASK_CHUNK]));
    let r = f(&mut buf);
    SCRATCH.set(Some(buf));
    r
}

/// Control payloads beyond this are counted but not kept (a valid one is at most 125 bytes).
const MAX_CONTROL_KEEP: usize = 4096;
/// Close frames kept per direction (the first one is the one that counts).
const MAX_CLOSES_KEPT: usize = 4;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Frame {
    h: FrameHeader,
    /// Payload bytes consumed so far.
    pos: u64,
    truncated: bool,
    #[serde(with = "serde_bytes")]
    control: Vec<u8>,
    /// The first unmasked payload bytes of a data frame, when previews are logged.
    #[serde(with = "serde_bytes")]
    preview: Vec<u8>,
}

/// Its serde form (`serial`, for `freeze`) is every field, an inflater as its history.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Decoder {
    from: Role,
    /// permessage-deflate was negotiated: RSV1 may be set on a message's first frame.
    pub deflate: bool,
    /// Inflates compressed messages, when the handshake told how (RFC 7692). Boxed: 216
    /// bytes that a decoder without permessage-deflate (most) would carry for nothing.
    inflater: Option<Box<Inflater>>,
    hdr: [u8; MAX_HEADER_LEN],
    hdr_len: usize,
    frame: Option<Frame>,
    msg: Option<Message>,
    /// Offset where the direction went out of sync, if it did.
    pub out_of_sync: Option<u64>,
    /// Its close frames, the first few (named again from the catalog as they are thawed).
    #[serde(deserialize_with = "crate::close::named")]
    pub closes: Vec<CloseFrame>,
    /// Close frames beyond the kept ones.
    pub extra_closes: u64,
    after_close_reported: bool,
    /// Its bytes that are no frames (after its close frame, or an HTTP response where a
    /// frame header was expected): counted, never decoded.
    pub stray: Option<Box<stray::Stray>>,
    pub stats: Stats,
    /// Its last few pings and pongs (the heartbeat it kept).
    pub controls: crate::app::ControlMarks,
    /// Where the last captured bytes came from (a frame that ends inside a gap ends there).
    last: Option<Origin>,
    /// The most recent frames (at most `log_cap`), for timelines.
    pub log: std::collections::VecDeque<FrameRecord>,
    log_cap: usize,
    log_previews: bool,
    /// Frames that fell out of the log.
    pub log_dropped: u64,
    /// The messages handed to the application layer, when its protocol is read.
    pub tap: Option<Box<super::tap::Tap>>,
    /// Its last data message's first bytes (the report's last words).
    pub last_words: super::lastwords::LastWords,
}

/// Where the current bytes came from, passed down with each chunk.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    pub packet: u64,
    pub ts: Timestamp,
    /// Delivery order within the connection, to order closes against TCP endings.
    pub order: u64,
}

impl Decoder {
    pub fn new(from: Role, deflate: bool) -> Decoder {
        Decoder {
            from,
            deflate,
            inflater: None,
            hdr: [0; MAX_HEADER_LEN],
            hdr_len: 0,
            frame: None,
            msg: None,
            out_of_sync: None,
            closes: Vec::new(),
            extra_closes: 0,
            after_close_reported: false,
            stray: None,
            stats: Stats::default(),
            controls: crate::app::ControlMarks::default(),
            last: None,
            log: std::collections::VecDeque::new(),
            log_cap: 16,
            log_previews: false,
            log_dropped: 0,
            tap: None,
            last_words: super::lastwords::LastWords::default(),
        }
    }

    /// Inflate this direction's compressed messages with `inflater`.
    pub fn set_inflater(&mut self, inflater: Inflater) {
        self.deflate = true;
        self.inflater = Some(Box::new(inflater));
    }

    /// Keep the last `cap` frames (16 by default), with payload previews if `previews`.
    pub fn set_frame_log(&mut self, cap: usize, previews: bool) {
        self.log_cap = cap;
        self.log_previews = previews;
    }

    /// Who sends this direction.
    pub fn from(&self) -> Role {
        self.from
    }

    /// A message is open (fragmented or a frame in progress) — for "partial message" notes.
    pub fn mid_message(&self) -> bool {
        self.out_of_sync.is_none()
            && self.stray.is_none()
            && (self.msg.is_some() || self.frame.is_some() || self.hdr_len > 0)
    }

    /// Feed one tcp event of this direction.
    pub fn feed(&mut self, ev: Event<'_>, order: u64, findings: &mut Findings) {
        match ev {
            Event::Data {
                bytes, packet, ts, ..
            } => self.data(bytes, Origin { packet, ts, order }, findings),
            Event::Gap {
                offset,
                len,
                packet,
                ..
            } => self.gap(offset, len, packet, findings),
        }
    }

    /// Bytes of this direction's WebSocket stream, in order.
    pub fn data(&mut self, mut b: &[u8], at: Origin, findings: &mut Findings) {
        self.last = Some(at);
        while !b.is_empty() {
            if self.out_of_sync.is_some() {
                return;
            }
            if let Some(s) = self.stray.as_deref_mut() {
                s.data(b);
                return;
            }
            // After its close frame, a direction's bytes are decoded as frames only while
            // they start with a frame header a sender may have meant (a second close frame,
            // a frame sent after it: a finding); anything else there, and an HTTP response
            // where a frame was expected, is no frame.
            if self.frame.is_none() {
                if self.hdr_len == 0 && stray::http_response_starts(self.from, b) {
                    self.start_stray(&[], b, at, findings);
                    return;
                }
                let saved = self.hdr_len;
                let parsed = if self.hdr_len == 0 {
                    match parse_header(b) {
                        Ok((_, h)) => Some((h, h.header_len)),
                        Err(_) => None,
                    }
                } else {
                    // Top up the saved start of the header from this chunk.
                    let old = self.hdr_len;
                    let free = self.hdr.get_mut(old..).unwrap_or_default();
                    let (more, after) = b.split_at_checked(free.len()).unwrap_or((b, &[]));
                    if let Some(dst) = free.get_mut(..more.len()) {
                        dst.copy_from_slice(more);
                    }
                    let have = old + more.len();
                    match parse_header(self.hdr.get(..have).unwrap_or_default()) {
                        Ok((_, h)) => Some((h, h.header_len.saturating_sub(old))),
                        Err(_) => {
                            self.hdr_len = have;
                            b = after;
                            continue;
                        }
                    }
                };
                match parsed {
                    // After its close frame, a direction's bytes are decoded as frames only
                    // while they start with a frame header a sender may have meant (a second
                    // close frame, a frame sent after it: a finding); anything else is no
                    // frame, from the header's first byte on.
                    Some((h, _))
                        if !self.closes.is_empty() && !stray::plausible(&h, self.deflate) =>
                    {
                        let head = self.hdr.get(..saved).unwrap_or_default().to_vec();
                        self.hdr_len = 0;
                        self.start_stray(&head, b, at, findings);
                        return;
                    }
                    Some((h, used)) => {
                        self.hdr_len = 0;
                        b = b.get(used..).unwrap_or_default();
                        self.start_frame(h, at, findings);
                    }
                    None => {
                        // Incomplete (so shorter than the longest header): keep the start of
                        // the header for the next chunk.
                        let n = b.len().min(MAX_HEADER_LEN);
                        if let (Some(dst), Some(src)) = (self.hdr.get_mut(..n), b.get(..n)) {
                            dst.copy_from_slice(src);
                        }
                        self.hdr_len = n;
                        return;
                    }
                }
            } else if let Some(f) = self.frame.as_ref() {
                let want = f.h.payload_len - f.pos;
                let n = (b.len() as u64).min(want) as usize;
                let (now, rest) = b.split_at(n);
                self.payload(now, findings, at);
                b = rest;
                self.maybe_end_frame(at, findings);
            }
        }
    }

    /// Bytes the capture does not hold.
    pub fn gap(&mut self, offset: u64, len: u64, packet: Option<u64>, findings: &mut Findings) {
        if self.out_of_sync.is_some() {
            return;
        }
        if let Some(s) = self.stray.as_deref_mut() {
            s.gap(len);
            return;
        }
        if let Some(f) = self.frame.as_mut() {
            let want = f.h.payload_len - f.pos;
            if len <= want && self.hdr_len == 0 {
                // Inside a payload of known length: skip it and stay in sync.
                f.pos += len;
                f.truncated = true;
                if let Some(m) = self.msg.as_mut() {
                    if !f.h.opcode.is_control() {
                        m.truncated = true;
                        m.len += len;
                        self.last_words.damaged();
                        self.last_words.skip(len);
                        m.utf8 = None;
                        if m.inflate {
                            // The window is lost with the missing bytes (reassembly rule 8).
                            m.inflate = false;
                            self.inflater = self
                                .inflater
                                .as_deref()
                                .filter(|i| i.resets_each_message())
                                .map(|i| Box::new(i.fresh()));
                            if self.inflater.is_none() {
                                findings.found(Some(self.from), packet, Found::InflateStopped);
                            }
                        }
                    }
                }
                let opcode = f.h.opcode;
                let t = Truncated::Payload { len, opcode };
                findings.found(Some(self.from), packet, Found::TruncatedMessage(t));
                if f.pos == f.h.payload_len {
                    self.end_frame_after_gap(findings);
                }
                return;
            }
        }
        self.out_of_sync = Some(offset);
        self.tap_lost(packet);
        findings.found(Some(self.from), packet, Found::OutOfSync { len, offset });
    }

    /// The layer below can deliver nothing more of this direction from stream `offset` on
    /// (it said why in a finding of its own): decoding stops there, out of sync.
    pub fn lost(&mut self, offset: u64, packet: Option<u64>, findings: &mut Findings) {
        if self.out_of_sync.is_some() {
            return;
        }
        self.out_of_sync = Some(offset);
        self.tap_lost(packet);
        if self.mid_message() {
            let t = Found::TruncatedMessage(Truncated::StreamStops);
            findings.found(Some(self.from), packet, t);
        }
    }

    /// Tells the tap that nothing more of this direction will be decoded, from `packet` (or
    /// the last packet with bytes of it).
    fn tap_lost(&mut self, packet: Option<u64>) {
        let at = packet.or(self.last.map(|o| o.packet)).unwrap_or(0);
        // A message in progress never ends whole.
        if self.msg.is_some() {
            self.last_words.damaged();
        }
        if let Some(t) = self.tap.as_deref_mut() {
            t.lost(at);
        }
    }

    fn end_frame_after_gap(&mut self, findings: &mut Findings) {
        // The frame ended inside the gap: its end packet is unknown.
        if let Some(f) = self.frame.take() {
            self.stats.frames += 1;
            if f.h.opcode == Opcode::CLOSE {
                // The close payload is partly missing: record that a close frame was sent,
                // but its code only if both code bytes were captured.
                self.record_close(f, self.last, findings);
            } else if !f.h.opcode.is_control() && f.h.fin {
                self.msg = None;
            }
        }
    }

    /// The direction's bytes from `head` (a header's start saved from earlier segments) and
    /// `b` on are no frames: after its close frame, or an HTTP response (`stray`); said as
    /// what they are. Out of line: few streams ever have such bytes.
    #[cold]
    #[inline(never)]
    fn start_stray(&mut self, head: &[u8], b: &[u8], at: Origin, findings: &mut Findings) {
        let after_close = !self.closes.is_empty();
        let mut s = stray::Stray::new(after_close, at.packet, at.ts);
        s.data(head);
        s.data(b);
        let r = s.report(self.from, self.deflate);
        // A status line's words and the payload's first bytes are quotes of the wire,
        // which `--redact` leaves out (a status line's code stays).
        let (status_line, first_bytes) = match r.status_line {
            Some(line) => (Some(line), None),
            None => (None, Some(r.first_bytes.unwrap_or_default())),
        };
        let found = Found::NotFrames {
            after_close,
            what: r.what,
            status_line,
            first_bytes,
        };
        findings.found(Some(self.from), Some(at.packet), found);
        if self.msg.is_some() {
            self.last_words.damaged();
        }
        self.stray = Some(Box::new(s));
    }

    fn violation(&self, findings: &mut Findings, packet: u64, found: Found) {
        findings.found(Some(self.from), Some(packet), found);
    }

    fn start_frame(&mut self, h: FrameHeader, at: Origin, findings: &mut Findings) {
        let p = at.packet;
        let op = h.opcode;
        if !self.closes.is_empty() && !self.after_close_reported {
            self.after_close_reported = true;
            self.violation(findings, p, Found::FrameAfterClose { opcode: op });
        }
        match (self.from, h.masked()) {
            (Role::Client, false) => {
                self.violation(findings, p, Found::UnmaskedClientFrame { opcode: op })
            }
            (Role::Server, true) => {
                self.violation(findings, p, Found::MaskedServerFrame { opcode: op })
            }
            _ => {}
        }
        let rsv_ok = h.rsv == 0
            || (self.deflate && h.rsv == 0b100 && (op == Opcode::TEXT || op == Opcode::BINARY));
        if !rsv_ok {
            self.violation(
                findings,
                p,
                Found::RsvBitsSet {
                    rsv: h.rsv,
                    opcode: op,
                    deflate: self.deflate,
                },
            );
        }
        if op.is_reserved() {
            self.violation(findings, p, Found::ReservedOpcode { opcode: op });
        }
        if h.non_minimal_length() {
            self.violation(
                findings,
                p,
                Found::NonMinimalLength {
                    length: h.payload_len,
                },
            );
        }
        if h.length_top_bit_set() {
            self.violation(
                findings,
                p,
                Found::LengthTopBitSet {
                    length: h.payload_len,
                },
            );
        }
        if op.is_control() {
            if h.payload_len > 125 {
                self.violation(
                    findings,
                    p,
                    Found::ControlFrameTooLong {
                        opcode: op,
                        length: h.payload_len,
                    },
                );
            }
            if !h.fin {
                self.violation(findings, p, Found::FragmentedControlFrame { opcode: op });
            }
        } else if op == Opcode::CONTINUATION {
            if self.msg.is_none() {
                self.violation(findings, p, Found::ContinuationWithoutStart);
            }
        } else if !op.is_reserved() {
            if let Some(m) = &self.msg {
                self.violation(
                    findings,
                    p,
                    Found::DataFrameInsideFragmentedMessage {
                        opcode: op,
                        open: m.opcode,
                    },
                );
            }
            let compressed = self.deflate && h.rsv1();
            let inflate = compressed && self.inflater.is_some();
            self.last_words.start(op == Opcode::TEXT, at.packet, at.ts);
            if compressed && !inflate {
                self.last_words.damaged();
            }
            if let Some(t) = self.tap.as_deref_mut() {
                t.start(op == Opcode::TEXT);
                // Compressed bytes that cannot be inflated are not the application's.
                if compressed && !inflate {
                    t.damaged();
                }
            }
            self.msg = Some(Message {
                opcode: op,
                len: 0,
                compressed,
                inflate,
                inflated: 0,
                // Compressed text is checked once inflated; without an inflater, not at all.
                utf8: (op == Opcode::TEXT && (!compressed || inflate)).then(Utf8Stream::new),
                truncated: false,
                invalid_reported: false,
            });
        }
        self.frame = Some(Frame {
            h,
            pos: 0,
            truncated: false,
            control: Vec::new(),
            preview: Vec::new(),
        });
        self.maybe_end_frame(at, findings);
    }

    fn payload(&mut self, chunk: &[u8], findings: &mut Findings, at: Origin) {
        let Some(f) = self.frame.as_mut() else {
            return;
        };
        let start = f.pos;
        f.pos += chunk.len() as u64;
        self.stats.payload_bytes += chunk.len() as u64;
        if f.h.opcode.is_control() {
            if f.truncated {
                // Bytes after a hole are never joined to bytes before it.
                return;
            }
            let room = MAX_CONTROL_KEEP.saturating_sub(f.control.len());
            let keep = chunk.get(..room).unwrap_or(chunk);
            let at_len = f.control.len();
            f.control.extend_from_slice(keep);
            if let (Some(key), Some(new)) = (f.h.mask, f.control.get_mut(at_len..)) {
                unmask(new, key, start);
            }
            return;
        }
        if f.h.opcode.is_reserved() {
            return;
        }
        // A message being inflated shows its inflated bytes (taken as they are inflated,
        // below), not the compressed ones.
        let inflating = self.msg.as_ref().is_some_and(|m| m.inflate);
        if self.log_previews && !inflating && f.preview.len() < PREVIEW_BYTES {
            let room = PREVIEW_BYTES - f.preview.len();
            let at_len = f.preview.len();
            f.preview
                .extend_from_slice(chunk.get(..room).unwrap_or(chunk));
            if let (Some(key), Some(new)) = (f.h.mask, f.preview.get_mut(at_len..)) {
                unmask(new, key, start);
            }
        }
        let Some(m) = self.msg.as_mut() else {
            return;
        };
        m.len += chunk.len() as u64;
        let mut tap = self.tap.as_deref_mut();
        if !m.inflate {
            // Bytes the protocol does not read are counted, not unmasked for it.
            if let Some(t) = tap.as_deref_mut().filter(|t| !t.wants()) {
                t.skip(chunk.len() as u64);
                tap = None;
            }
        }
        // The last words take what is inflated, and masked bytes that are unmasked below
        // anyway (for the UTF-8 check or the protocol), as the application gets them; any
        // other bytes as captured (unmasked only if read).
        let mut last = None;
        if m.inflate || (f.h.mask.is_some() && (m.utf8.is_some() || tap.is_some())) {
            last = Some(&mut self.last_words);
        } else {
            self.last_words.raw(chunk, f.h.mask, start);
        }
        if m.utf8.is_none() && !m.inflate && tap.is_none() && last.is_none() {
            return;
        }
        let from = self.from;
        let inflater = &mut self.inflater;
        let log_previews = self.log_previews;
        let preview = &mut f.preview;
        let failed = with_scratch(|buf| {
            for (i, piece) in chunk.chunks(UNMASK_CHUNK).enumerate() {
                let data: &[u8] = match f.h.mask {
                    Some(key) => {
                        // Pieces are at most `UNMASK_CHUNK` long: the scratch holds each.
                        let b = buf.get_mut(..piece.len()).unwrap_or_default();
                        unmask_into(b, piece, key, start + (i * UNMASK_CHUNK) as u64);
                        b
                    }
                    None => piece,
                };
                if !m.inflate {
                    if let Some(t) = tap.as_deref_mut() {
                        t.bytes(data);
                    }
                    if let Some(l) = last.as_deref_mut() {
                        l.bytes(data);
                    }
                    check_utf8(m, from, data, at.packet, findings);
                    // Nothing more to check once the text is known to be invalid.
                    if m.utf8.is_none() && tap.is_none() && last.is_none() {
                        return None;
                    }
                    continue;
                }
                let inf = inflater.as_mut()?;
                let mut inflated = 0u64;
                let res = inf.chunk(data, &mut |p| {
                    inflated += p.len() as u64;
                    if log_previews && preview.len() < PREVIEW_BYTES {
                        let room = PREVIEW_BYTES - preview.len();
                        preview.extend_from_slice(p.get(..room).unwrap_or(p));
                    }
                    check_utf8(m, from, p, at.packet, findings);
                    if let Some(t) = tap.as_deref_mut() {
                        t.bytes(p);
                    }
                    if let Some(l) = last.as_deref_mut() {
                        l.bytes(p);
                    }
                });
                m.inflated += inflated;
                if let Err(e) = res {
                    return Some(e);
                }
            }
            None
        });
        if let Some(e) = failed {
            self.inflate_failed(e, at.packet, findings);
        }
    }

    fn maybe_end_frame(&mut self, at: Origin, findings: &mut Findings) {
        let done = self
            .frame
            .as_ref()
            .is_some_and(|f| f.pos == f.h.payload_len);
        if !done {
            return;
        }
        let Some(f) = self.frame.take() else {
            return;
        };
        self.stats.frames += 1;
        self.stats.prev_frame = self.stats.last_frame;
        self.stats.last_frame = Some((at.packet, at.ts));
        if self
            .stats
            .largest_frame
            .is_none_or(|(l, _, _)| f.h.payload_len > l)
        {
            self.stats.largest_frame = Some((f.h.payload_len, at.packet, f.h.opcode));
        }
        let op = f.h.opcode;
        if op != Opcode::CLOSE {
            self.stats.last_non_close = Some((at.packet, at.ts));
        }
        let mut record = FrameRecord {
            packet: at.packet,
            ts: at.ts,
            order: at.order,
            from: self.from,
            opcode: op,
            fin: f.h.fin,
            rsv: f.h.rsv,
            masked: f.h.masked(),
            len: f.h.payload_len,
            detail: None,
        };
        if self.log_previews && !op.is_control() && !f.preview.is_empty() {
            let compressed = self.msg.as_ref().is_some_and(|m| m.compressed);
            let inflated = self.msg.as_ref().filter(|m| m.inflate).map(|m| m.inflated);
            let text = self.msg.as_ref().is_some_and(|m| m.opcode == Opcode::TEXT);
            record.detail = Some(if let Some(total) = inflated {
                // Its inflated bytes so far (RFC 7692), said as such.
                let total = total.max(f.preview.len() as u64);
                format!("{} (decompressed)", preview_text(&f.preview, total, text))
            } else if compressed {
                "(compressed)".to_string()
            } else {
                preview_text(&f.preview, f.h.payload_len, text)
            });
        }
        let closes_before = self.closes.len();
        match op {
            Opcode::CLOSE => self.record_close(f, Some(at), findings),
            Opcode::PING => {
                self.stats.pings += 1;
                self.stats.last_ping = Some((at.packet, at.ts));
                self.controls.pings.add(at.packet, at.ts);
                if let Some(t) = self.tap.as_deref_mut() {
                    t.control(false, at.packet, at.ts);
                }
            }
            Opcode::PONG => {
                self.stats.pongs += 1;
                self.stats.last_pong = Some((at.packet, at.ts));
                self.controls.pongs.add(at.packet, at.ts);
                if let Some(t) = self.tap.as_deref_mut() {
                    t.control(true, at.packet, at.ts);
                }
            }
            _ if op.is_reserved() => {}
            _ => {
                if !f.h.fin {
                    // A fragmented message counts toward the largest one as it grows: a
                    // receiver's size limit may stop it before its last fragment (1009).
                    if let Some(m) = &self.msg {
                        let size = if m.inflate { m.inflated } else { m.len };
                        if self.stats.largest_message.is_none_or(|(l, _)| size > l) {
                            self.stats.largest_message = Some((size, at.packet));
                        }
                    }
                }
                if f.h.fin {
                    if self.msg.as_ref().is_some_and(|m| m.inflate) {
                        if let (Some(m), Some(inf)) = (self.msg.as_mut(), self.inflater.as_mut()) {
                            let from = self.from;
                            let mut inflated = 0u64;
                            let mut tap = self.tap.as_deref_mut();
                            let last = &mut self.last_words;
                            let res = inf.end_message(&mut |piece| {
                                inflated += piece.len() as u64;
                                check_utf8(m, from, piece, at.packet, findings);
                                if let Some(t) = tap.as_deref_mut() {
                                    t.bytes(piece);
                                }
                                last.bytes(piece);
                            });
                            m.inflated += inflated;
                            if let Err(e) = res {
                                self.inflate_failed(e, at.packet, findings);
                            }
                        }
                    }
                    if let Some(mut m) = self.msg.take() {
                        if m.truncated {
                            self.last_words.damaged();
                        }
                        self.last_words.end(at.packet, at.ts);
                        if let Some(t) = self.tap.as_deref_mut() {
                            if m.truncated {
                                t.damaged();
                            }
                            t.end(at.packet, at.ts);
                        }
                        if let Some(v) = m.utf8.as_mut() {
                            if let Err(off) = v.finish() {
                                if !m.invalid_reported {
                                    let found = Found::InvalidUtf8Text {
                                        inflated: false,
                                        at: off,
                                        ends_inside: true,
                                    };
                                    findings.found(Some(self.from), Some(at.packet), found);
                                }
                            }
                        }
                        self.stats.messages += 1;
                        self.stats.compressed_messages += u64::from(m.compressed);
                        if m.opcode == Opcode::TEXT {
                            self.stats.text_messages += 1;
                        } else if m.opcode == Opcode::BINARY {
                            self.stats.binary_messages += 1;
                        }
                        // Size limits apply to what the application gets: the inflated size.
                        let size = if m.inflate { m.inflated } else { m.len };
                        if self.stats.largest_message.is_none_or(|(l, _)| size > l) {
                            self.stats.largest_message = Some((size, at.packet));
                        }
                        self.stats.last_message = Some((m.opcode, size, at.packet));
                    }
                }
            }
        }
        if self.closes.len() > closes_before {
            if let Some(c) = self.closes.last() {
                record.detail = Some(match c.code {
                    Some(code) if c.reason.is_empty() => code.to_string(),
                    Some(code) => format!("{code} \"{}\"", c.reason),
                    None => "no status code".to_string(),
                });
            }
        }
        if self.log_cap > 0 {
            if self.log.len() >= self.log_cap {
                self.log.pop_front();
                self.log_dropped += 1;
            }
            self.log.push_back(record);
        }
    }

    fn record_close(&mut self, f: Frame, at: Option<Origin>, findings: &mut Findings) {
        if self.closes.len() >= MAX_CLOSES_KEPT {
            self.extra_closes += 1;
            return;
        }
        let (packet, ts, order) = match at {
            Some(a) => (a.packet, a.ts, a.order),
            None => (0, Timestamp(0), u64::MAX),
        };
        // `control` may be shorter than the payload because of the keep cap (not a capture
        // problem) or a gap (`truncated`).
        let mut close = crate::close::parse(
            self.from,
            &f.control,
            !f.truncated,
            f.h.payload_len,
            packet,
            ts,
            order,
        );
        close.mask_key = f.h.mask;
        // A capture that lost part of the frame is a note (already made), not the sender's fault.
        if close.rejected() {
            let problems = close
                .problems
                .iter()
                .copied()
                .filter(|p| *p != Problem::Truncated)
                .collect();
            findings.found(
                Some(self.from),
                Some(packet),
                Found::MalformedClose { problems },
            );
        }
        self.closes.push(close);
    }
}

impl Decoder {
    /// Whether this decoder can be frozen (see `freeze`): always, except in the middle of
    /// a compressed message (an inflater's state then is more than its history).
    pub fn can_freeze(&self) -> bool {
        self.inflater.as_deref().is_none_or(Inflater::idle)
    }
}
