//! A direction's bytes that are no frames: after its sender's close frame (RFC 6455 §5.5.1:
//! nothing follows a close frame), or an HTTP response where a frame header was expected
//! (a framework that answered the upgraded connection over HTTP, with or without a close
//! frame first). They are counted, their first [`STRAY_KEEP`] bytes kept to say what they
//! are ([`Stray::report`]), never decoded as frames: decoded, "HTTP/1.1 200 OK" reads as a
//! close frame with code 21584.

use super::super::frame::FrameHeader;
use crate::vocab::{NotFrames, NotFramesWhat, Opcode, Role, Timestamp};

/// Bytes kept of them: an HTTP response's head and the start of its page, where the
/// `<title>` of a framework's error page is.
pub const STRAY_KEEP: usize = 512;

/// Bytes shown of them (`first_bytes`).
const SHOWN: usize = 64;

/// Bytes of a status line or title kept.
const LINE: usize = 100;

/// A direction's bytes after its last frame that are no frames.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stray {
    /// They came after the sender's close frame.
    pub after_close: bool,
    /// The packet of their first byte, and its time.
    pub packet: u64,
    pub ts: Timestamp,
    /// Bytes captured, and bytes the capture lacks among them.
    pub bytes: u64,
    pub missing: u64,
    /// Their first bytes (at most [`STRAY_KEEP`]), up to the first missing byte.
    #[serde(with = "serde_bytes")]
    kept: Vec<u8>,
}

/// Whether `b`, the bytes at a frame boundary of `from`'s direction, may start an HTTP
/// response from the server: its first byte is "H" of "HTTP/1.", read from that byte alone
/// (so that how the stream was cut into segments does not matter). Never a frame: 0x48
/// would be a close frame without FIN and with RSV1 set (§5.2, §5.5). What the bytes are is
/// read from all that is kept of them ([`Stray::report`]).
pub fn http_response_starts(from: Role, b: &[u8]) -> bool {
    from == Role::Server && b.first() == Some(&b'H')
}

impl Stray {
    /// The first of them, `b`, at packet `packet`, time `ts`.
    pub fn new(after_close: bool, packet: u64, ts: Timestamp) -> Stray {
        Stray {
            after_close,
            packet,
            ts,
            bytes: 0,
            missing: 0,
            kept: Vec::new(),
        }
    }

    /// Bytes of them the capture holds.
    pub fn data(&mut self, b: &[u8]) {
        self.bytes += b.len() as u64;
        if self.missing == 0 && self.kept.len() < STRAY_KEEP {
            let n = (STRAY_KEEP - self.kept.len()).min(b.len());
            self.kept.extend_from_slice(b.get(..n).unwrap_or_default());
        }
    }

    /// `len` bytes of them the capture lacks.
    pub fn gap(&mut self, len: u64) {
        self.missing += len;
    }

    /// Bytes this keeps on the heap.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Stray>() + self.kept.capacity()
    }

    /// What they are, read from their first bytes; for a WebSocket frame header, its
    /// opcode.
    pub fn what(&self, from: Role, deflate: bool) -> (NotFramesWhat, Option<Opcode>) {
        what(&self.kept, from, deflate)
    }

    /// What the report says of them (`from` sent them).
    pub fn report(&self, from: Role, deflate: bool) -> NotFrames {
        let (what, _) = self.what(from, deflate);
        let http = (what == NotFramesWhat::HttpResponse).then(|| http_head(&self.kept));
        let (http_status, status_line, title) = http.unwrap_or((None, None, None));
        NotFrames {
            from,
            after_close: self.after_close,
            packet: self.packet,
            time: self.ts,
            bytes: self.bytes,
            bytes_missing: self.missing,
            what,
            first_bytes: Some(escaped(self.kept.get(..SHOWN).unwrap_or(&self.kept))),
            http_status,
            status_line,
            title,
        }
    }
}

/// Whether frame header `h` is one a sender may have meant: no reserved opcode, RSV bits
/// only as permessage-deflate allows (`deflate`), a control frame with FIN and at most 125
/// bytes (RFC 6455 §5.2, §5.5). The mask is not looked at: a frame masked the wrong way is
/// still a frame. Text is none: an ASCII letter's 0x40 bit is RSV1, which no control frame
/// may set, nor a data frame without deflate.
pub fn plausible(h: &FrameHeader, deflate: bool) -> bool {
    let rsv_ok = h.rsv == 0 || (deflate && h.rsv == 0b100 && !h.opcode.is_control());
    let control_ok = !h.opcode.is_control() || (h.fin && h.payload_len <= 125);
    rsv_ok && control_ok && !h.opcode.is_reserved()
}

/// The opcode of the frame header `b` starts with, when it is [`plausible`].
fn frame_header(b: &[u8], deflate: bool) -> Option<Opcode> {
    let (_, h) = super::super::frame::parse_header(b).ok()?;
    plausible(&h, deflate).then_some(h.opcode)
}

/// What bytes `b` (at least their first) are.
fn what(b: &[u8], _from: Role, deflate: bool) -> (NotFramesWhat, Option<Opcode>) {
    if b.starts_with(b"HTTP/1.") {
        return (NotFramesWhat::HttpResponse, None);
    }
    // RFC 8446 §5.1: content type 20-23, legacy version 0x03 0x0X.
    if let [ct @ 20..=23, 3, 0..=4, ..] = b {
        let _ = ct;
        return (NotFramesWhat::TlsRecord, None);
    }
    if let Some(op) = frame_header(b, deflate) {
        return (NotFramesWhat::WebsocketFrame, Some(op));
    }
    // Text: printable ASCII, whitespace, escape sequences (ESC) and UTF-8's bytes above
    // 0x7f; no other control byte.
    let printable = |c: &u8| *c >= 0x20 && *c != 0x7f || matches!(c, b'\r' | b'\n' | b'\t' | 0x1b);
    if !b.is_empty() && b.iter().take(SHOWN).all(printable) {
        (NotFramesWhat::Text, None)
    } else {
        (NotFramesWhat::Binary, None)
    }
}

/// Bytes `b` as ASCII text: printable bytes as they are, CR, LF and tab as `\r`, `\n`,
/// `\t`, a backslash as `\\`, any other byte as `\xNN`.
pub fn escaped(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b' '..=b'~' => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// A kept text cut to [`LINE`] bytes, spaces joined, as UTF-8 (invalid bytes replaced).
fn line(b: &[u8]) -> String {
    let b = b.get(..LINE).unwrap_or(b);
    String::from_utf8_lossy(b)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An HTTP response's status code, status line and its page's `<title>`, from its first
/// bytes `b` (RFC 9112 §4: `HTTP/1.1 SP 3DIGIT SP reason CRLF`).
fn http_head(b: &[u8]) -> (Option<u16>, Option<String>, Option<String>) {
    let end = b.iter().position(|&c| c == b'\r' || c == b'\n');
    let status_line = end.map(|e| line(b.get(..e).unwrap_or_default()));
    let status = b
        .get(9..12)
        .filter(|d| d.iter().all(u8::is_ascii_digit) && b.get(8) == Some(&b' '))
        .and_then(|d| std::str::from_utf8(d).ok()?.parse().ok());
    let lower: Vec<u8> = b.to_ascii_lowercase();
    let title = find(&lower, b"<title>").and_then(|at| {
        let from = at + b"<title>".len();
        let rest = b.get(from..)?;
        let len = find(lower.get(from..)?, b"</title>").unwrap_or(rest.len());
        let t = line(rest.get(..len)?);
        (!t.is_empty()).then_some(t)
    });
    (status, status_line, title)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_response_is_read_with_its_title() {
        let mut s = Stray::new(true, 10, Timestamp(0));
        s.data(b"HTTP/1.1 500 INTERNAL SERVER ERROR\r\nServer: Werkzeug\r\n\r\n");
        s.data(b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n");
        let r = s.report(Role::Server, false);
        assert_eq!(r.what, NotFramesWhat::HttpResponse);
        assert_eq!(r.http_status, Some(500));
        assert_eq!(
            r.status_line.as_deref(),
            Some("HTTP/1.1 500 INTERNAL SERVER ERROR")
        );
        assert_eq!(r.title.as_deref(), Some("500 Internal Server Error"));
        assert!(r
            .first_bytes
            .unwrap()
            .starts_with("HTTP/1.1 500 INTERNAL SERVER ERROR\\r\\nServer"));
        assert_eq!(r.bytes, 128);
    }

    #[test]
    fn other_bytes_are_named_by_shape() {
        let w = |b: &[u8], from| what(b, from, false).0;
        assert_eq!(
            w(&[0x17, 3, 3, 0, 20], Role::Server),
            NotFramesWhat::TlsRecord
        );
        assert_eq!(
            w(&[0x81, 2, b'h', b'i'], Role::Server),
            NotFramesWhat::WebsocketFrame
        );
        // An ASCII letter's 0x40 bit is RSV1: text is no frame header.
        assert_eq!(w(b"hello there", Role::Client), NotFramesWhat::Text);
        assert_eq!(
            w(b"HTTP/1.1 200 OK", Role::Client),
            NotFramesWhat::HttpResponse
        );
        assert_eq!(frame_header(b"HTTP/1.1 200 OK", true), None);
        assert_eq!(
            frame_header(&[0x88, 0x02, 0x03, 0xe8], false),
            Some(Opcode::CLOSE)
        );
        assert_eq!(w(&[0xff, 0xfe, 0, 1], Role::Client), NotFramesWhat::Binary);
        assert!(http_response_starts(Role::Server, b"H"));
        assert!(http_response_starts(Role::Server, b"HTTP/1.0 200"));
        assert!(!http_response_starts(Role::Client, b"HTTP/1.1 200"));
        assert_eq!(w(b"HTTX", Role::Server), NotFramesWhat::Text);
        assert!(!http_response_starts(Role::Server, &[0x88, 0x02]));
    }

    #[test]
    fn bytes_are_escaped_and_bounded() {
        assert_eq!(escaped(b"a\r\n\x1b[31m\\\xff"), "a\\r\\n\\x1b[31m\\\\\\xff");
        let mut s = Stray::new(false, 1, Timestamp(0));
        s.data(&[b'x'; 2000]);
        s.gap(5);
        s.data(b"more");
        assert_eq!((s.bytes, s.missing), (2004, 5));
        assert_eq!(s.kept.len(), STRAY_KEEP);
        assert_eq!(
            s.report(Role::Server, false).first_bytes.unwrap().len(),
            SHOWN
        );
    }
}
