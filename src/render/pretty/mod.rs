//! The JSON report's writer: a serde serializer that writes pretty JSON straight into a
//! byte buffer, with terminal-safe strings.
//!
//! In: any `Serialize` value (the report model's derives and hand-written impls). Out: RFC
//! 8259 text, byte for byte the layout serde_json's pretty printer gives (two-space
//! indentation, `"key": value`, `[]` and `{}` when empty; numbers as serde_json writes
//! them, floats through serde_json's own formatter), at any starting depth so that parts of
//! one document can be written apart; or compact, on one line ([`line()`]). Strings are
//! escaped as serde_json escapes them (the C0 controls, `"` and `\`), and also every other
//! character `sanitize::is_unsafe` names (DEL, the C1 controls, format characters such as
//! the bidirectional overrides, zero-width and tag characters, line separators, Hangul
//! fillers) as `\uXXXX` (a surrogate pair beyond the Basic Multilingual Plane), so that
//! `cat report.json` on a terminal is safe; the JSON value is the same.
//!
//! Why not serde_json with a `Formatter`: a connection's JSON costs mostly per field there
//! (each key escaped as a string, written in several small writes). Here a key (always a
//! field name from the code, as a unit variant's name is) is copied as it is, and a string
//! is one check over its bytes (a word of eight at a time) and one copy when it needs no
//! escape. The bytes go into a `Buffer` whose vector runs ahead of what is written, so
//! that a key's line (comma, newline, indentation, quoted key and colon) is one check for
//! room and a few copies of constant size, not a push per piece; `benches/json_writer.rs`
//! weighs the two (BENCHMARKS.md).
//!
//! Here: the buffer and the writing of keys, strings and numbers; in `escape`, which bytes
//! need an escape (a word or a vector at a time); in `serializer`, serde's side (the
//! `Serializer`, arrays and objects, keys).

use crate::sanitize::is_unsafe;
use serde::ser::{self, Serialize};
use std::fmt;
use std::io;

use escape::{needs_escape, next_to_look_at, unicode_escape};

/// A comma, a newline and 32 levels of indentation: `LINE[..2 + 2 * depth]` is the end of
/// an element and the start of the next line at `depth`.
const LINE: &[u8; 66] = b",\n                                                                ";

/// The same without the comma, and one space longer (so both are copied as one size).
const NEW_LINE: &[u8; 66] = b"\n                                                                 ";

/// The most bytes a key line's fast path writes: a line, a quote, a key of up to 32 bytes
/// and `": `.
const KEY_ROOM: usize = LINE.len() + 1 + 32 + 3;

/// Spare bytes the buffer grows by beyond what is asked, so that it grows (and its new
/// part is filled) a few times a connection, not at every write.
const SLACK: usize = 4096;

/// Writes `value` as pretty JSON at `depth` levels of indentation to the end of `out`.
pub fn write<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    depth: usize,
    value: &T,
) -> Result<(), Error> {
    let mut buf = Buffer::from(std::mem::take(out));
    let result = buf.write(depth, value);
    *out = buf.into_bytes();
    result
}

/// `value` as compact JSON on one line (serde_json's compact layout: no space, no line
/// break), with the same terminal-safe strings: for the lines of a live capture.
pub fn compact<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut buf = Buffer::default();
    value.serialize(&mut Pretty {
        buf: &mut buf,
        depth: 0,
        compact: true,
    })?;
    // Only whole strings and ASCII are written.
    String::from_utf8(buf.into_bytes()).map_err(|_| Error("the JSON is not UTF-8".into()))
}

/// `value` as compact JSON on one line, with the same terminal-safe strings: the lines of a
/// live capture (its events and its final report). Empty if a `Serialize` impl fails.
pub fn line<T: Serialize + ?Sized>(value: &T) -> String {
    compact(value).unwrap_or_default()
}

/// Bytes that values are written to one after the other, as pretty JSON.
///
/// Its vector runs past what is written by spare bytes that the writer writes into: each
/// write is a few stores into a slice whose length is known, checked once, rather than a
/// push that checks and updates the vector's length and capacity at every byte. The spare
/// bytes are cut off at the end ([`Buffer::into_bytes`]).
#[derive(Default)]
pub struct Buffer {
    out: Vec<u8>,
    /// The end of what is written.
    pos: usize,
}

impl From<Vec<u8>> for Buffer {
    /// Writes after what `out` holds.
    fn from(out: Vec<u8>) -> Buffer {
        Buffer {
            pos: out.len(),
            out,
        }
    }
}

impl Buffer {
    /// An empty buffer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Buffer {
        Buffer::from(Vec::with_capacity(n))
    }

    /// Writes `value` as pretty JSON at `depth` levels of indentation.
    pub fn write<T: Serialize + ?Sized>(&mut self, depth: usize, value: &T) -> Result<(), Error> {
        value.serialize(&mut Pretty {
            buf: self,
            depth,
            compact: false,
        })
    }

    /// Writes `value`, which serializes as an object, as compact JSON on one line with
    /// `"type":"<kind>"` as its first member (`kind` is a name from the code, written as
    /// it is): a line of JSON Lines. Anything else is written as it serializes.
    pub fn write_tagged<T: Serialize + ?Sized>(
        &mut self,
        kind: &str,
        value: &T,
    ) -> Result<(), Error> {
        let start = self.pos;
        value.serialize(&mut Pretty {
            buf: self,
            depth: 0,
            compact: true,
        })?;
        if self.out.get(start) != Some(&b'{') {
            return Ok(());
        }
        let empty = self.out.get(start + 1) == Some(&b'}');
        let mut tag = Vec::with_capacity(kind.len() + 12);
        tag.extend_from_slice(b"\"type\":\"");
        tag.extend_from_slice(kind.as_bytes());
        tag.extend_from_slice(if empty { b"\"" } else { b"\"," });
        let at = start + 1;
        let n = tag.len();
        self.out.splice(at..at, tag);
        self.pos += n;
        Ok(())
    }

    /// Writes `value` as compact JSON on one line (a line of JSON Lines, without its end).
    pub fn write_line<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut Pretty {
            buf: self,
            depth: 0,
            compact: true,
        })
    }

    /// Appends one byte.
    pub fn push(&mut self, b: u8) {
        if let Some(at) = self.room(1).first_mut() {
            *at = b;
            self.pos += 1;
        }
    }

    /// Starts a line at `depth`: a newline and the indentation.
    pub fn newline(&mut self, depth: usize) {
        let mut ser = Pretty {
            buf: self,
            depth,
            compact: false,
        };
        ser.line(false);
    }

    /// What is written.
    pub fn into_bytes(self) -> Vec<u8> {
        let Buffer { mut out, pos } = self;
        out.truncate(pos);
        out
    }

    /// At least `n` bytes to write into, from the end of what is written.
    #[inline(always)]
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.out.len().saturating_sub(self.pos) < n {
            self.grow(n);
        }
        self.out.get_mut(self.pos..).unwrap_or_default()
    }

    /// Makes room for `n` bytes and some more: spaces, overwritten as they are written
    /// (copied from a constant 1 KiB at a time: a vector copy, where a fill is a string
    /// instruction that costs one step a byte).
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        const SPACES: &[u8; 1024] = &[b' '; 1024];
        let want = self.pos.saturating_add(n).saturating_add(SLACK);
        self.out.reserve(want.saturating_sub(self.out.len()));
        while self.out.len() < want {
            self.out.extend_from_slice(SPACES);
        }
    }
}

/// Why a value could not be written: serde's custom errors (a `Serialize` impl that
/// failed), or a map key that is not a string, a number, a character or a boolean.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::other(e)
    }
}

/// The serializer: where it writes, the depth of what it writes, and whether on one line.
pub struct Pretty<'a> {
    buf: &'a mut Buffer,
    depth: usize,
    compact: bool,
}

impl Pretty<'_> {
    /// At least `n` bytes to write into, from the end of what is written.
    #[inline(always)]
    fn room(&mut self, n: usize) -> &mut [u8] {
        self.buf.room(n)
    }

    /// Counts `n` bytes written into [`Pretty::room`].
    #[inline(always)]
    fn wrote(&mut self, n: usize) {
        self.buf.pos += n;
    }

    /// Appends `s`.
    #[inline(always)]
    fn bytes(&mut self, s: &[u8]) {
        let n = s.len();
        let room = self.room(n);
        put(room, 0, s);
        self.wrote(n);
    }

    /// Appends one byte.
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// With `comma`, a comma; then, unless compact, a new line at the current depth.
    #[inline(always)]
    fn line(&mut self, comma: bool) {
        let n = usize::from(comma) + 1 + 2 * self.depth;
        if self.compact || n > LINE.len() {
            return self.long_line(comma);
        }
        let room = self.room(LINE.len());
        let line = if comma { LINE } else { NEW_LINE };
        if let Some(at) = room.first_chunk_mut::<66>() {
            *at = *line;
        }
        self.wrote(n);
    }

    /// [`Pretty::line`] compact, or deeper than its constant lines reach.
    #[cold]
    fn long_line(&mut self, comma: bool) {
        if comma {
            self.byte(b',');
        }
        if !self.compact {
            self.byte(b'\n');
            for _ in 0..self.depth {
                self.bytes(b"  ");
            }
        }
    }

    /// A key of the code's own (a field or variant name), which needs no escape, on a new
    /// line (with a comma before it unless it is the first): `"key": `, or `"key":` when
    /// compact. A key of up to 32 bytes at most 32 levels deep is one check for room and
    /// copies of constant sizes.
    #[inline(always)]
    fn key(&mut self, comma: bool, key: &str) {
        let k = key.as_bytes();
        let n = usize::from(comma) + 1 + 2 * self.depth;
        if self.compact || n > LINE.len() || k.len() > 32 {
            return self.long_key(comma, k);
        }
        let room = self.room(KEY_ROOM);
        let line = if comma { LINE } else { NEW_LINE };
        if let Some(at) = room.first_chunk_mut::<66>() {
            *at = *line;
        }
        if let Some(at) = room.get_mut(n) {
            *at = b'"';
        }
        let end = put(room, n + 1, k);
        if let Some(at) = room.get_mut(end..).and_then(|r| r.first_chunk_mut::<3>()) {
            *at = *b"\": ";
        }
        self.wrote(end + 3);
    }

    /// [`Pretty::key`] compact, long or deep.
    #[cold]
    fn long_key(&mut self, comma: bool, key: &[u8]) {
        self.line(comma);
        self.byte(b'"');
        self.bytes(key);
        self.bytes(if self.compact { b"\":" } else { b"\": " });
    }

    /// After a map key: `: `, or `:` when compact.
    fn colon(&mut self) {
        self.bytes(if self.compact { b":" } else { b": " });
    }

    /// Writes `s` quoted and escaped.
    #[inline(always)]
    fn string(&mut self, s: &str) {
        let b = s.as_bytes();
        if needs_escape(b) {
            return self.escaped_string(s);
        }
        let n = b.len();
        let room = self.room(n + 2);
        if let Some(at) = room.first_mut() {
            *at = b'"';
        }
        let end = put(room, 1, b);
        if let Some(at) = room.get_mut(end) {
            *at = b'"';
        }
        self.wrote(n + 2);
    }

    /// [`Pretty::string`] of a string that holds a byte that may need an escape.
    fn escaped_string(&mut self, s: &str) {
        self.byte(b'"');
        self.escape(s);
        self.byte(b'"');
    }

    /// Writes `s` escaped, without quotes: copied as it is when nothing in it needs an
    /// escape.
    fn fragment(&mut self, s: &str) {
        if needs_escape(s.as_bytes()) {
            self.escape(s);
        } else {
            self.bytes(s.as_bytes());
        }
    }

    /// [`Pretty::fragment`] of a string that may need an escape: the runs of plain
    /// printable ASCII between the bytes that may need one are copied whole (found sixteen
    /// bytes at a time), and only at those bytes is a character looked at (a cause quoting
    /// a close reason has two `"` in a few hundred bytes).
    fn escape(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while let Some(k) = bytes.get(i..).and_then(next_to_look_at) {
            i += k;
            let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                break;
            };
            let next = i + c.len_utf8();
            let short: &[u8] = match c {
                '"' => b"\\\"",
                '\\' => b"\\\\",
                '\n' => b"\\n",
                '\t' => b"\\t",
                '\r' => b"\\r",
                '\u{8}' => b"\\b",
                '\u{c}' => b"\\f",
                c if c < ' ' || is_unsafe(c) => b"",
                _ => {
                    i = next;
                    continue;
                }
            };
            self.bytes(bytes.get(start..i).unwrap_or_default());
            if short.is_empty() {
                // One `\uXXXX` per UTF-16 unit: a surrogate pair beyond the Basic
                // Multilingual Plane (the tag characters), as RFC 8259 §7 writes it.
                let mut units = [0u16; 2];
                for &mut unit in c.encode_utf16(&mut units) {
                    self.bytes(&unicode_escape(unit));
                }
            } else {
                self.bytes(short);
            }
            i = next;
            start = next;
        }
        self.bytes(bytes.get(start..).unwrap_or_default());
    }

    /// An integer: a single digit as one byte (most counters are 0), else its digits as
    /// `itoa` writes them, copied as a short string.
    #[inline(always)]
    fn integer<I: itoa::Integer + TryInto<u8> + Copy>(&mut self, n: I) {
        match n.try_into() {
            Ok(d @ 0..=9) => self.byte(b'0' + d),
            _ => self.bytes(itoa::Buffer::new().format(n).as_bytes()),
        }
    }
}

/// Raw bytes into the buffer (numbers from serde_json's formatter).
impl io::Write for Pretty<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `s` at `at` in `room`, which has room for it; returns where it ends. A string
/// of at most 32 bytes (nearly every key, number and short string) as two copies of a
/// constant size, overlapping: moves, not a call.
#[inline(always)]
fn put(room: &mut [u8], at: usize, s: &[u8]) -> usize {
    let n = s.len();
    let end = at + n;
    let Some(dst) = room.get_mut(at..end) else {
        return at;
    };
    if n > 32 {
        dst.copy_from_slice(s);
    } else if let (Some(a), Some(b)) = (s.first_chunk::<16>(), s.last_chunk::<16>()) {
        put_two(dst, a, b);
    } else if let (Some(a), Some(b)) = (s.first_chunk::<8>(), s.last_chunk::<8>()) {
        put_two(dst, a, b);
    } else if let (Some(a), Some(b)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        put_two(dst, a, b);
    } else {
        for (d, &b) in dst.iter_mut().zip(s) {
            *d = b;
        }
    }
    end
}

/// Fills `dst` (of N to 2N bytes) with `first` at its start and `last` at its end.
#[inline(always)]
fn put_two<const N: usize>(dst: &mut [u8], first: &[u8; N], last: &[u8; N]) {
    if let Some(d) = dst.first_chunk_mut::<N>() {
        *d = *first;
    }
    if let Some(d) = dst.last_chunk_mut::<N>() {
        *d = *last;
    }
}

mod escape;
mod serializer;

pub use serializer::Compound;

#[cfg(test)]
mod tests;
