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

use crate::sanitize::is_unsafe;
use serde::ser::{self, Serialize};
use std::fmt;
use std::io;

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

/// `\uXXXX` for one UTF-16 unit, lowercase hex as serde_json writes it.
fn unicode_escape(unit: u16) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |shift: u16| HEX.get(usize::from((unit >> shift) & 0xf)).copied();
    let digit = |shift| hex(shift).unwrap_or(b'0');
    [b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]
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

/// Does `s` hold a byte that a JSON string cannot carry as it is, or that is not plain
/// printable ASCII: a control, `"`, `\`, DEL, or any byte of a character beyond ASCII?
/// Up to 16 bytes as two words of eight, overlapping, each checked at once; longer strings
/// sixteen bytes at a time without a branch per byte, so that the compiler vectorizes it.
#[inline(always)]
fn needs_escape(s: &[u8]) -> bool {
    if let (Some(a), Some(b)) = (s.first_chunk::<8>(), s.last_chunk::<8>()) {
        if s.len() <= 16 {
            return word_needs_escape(u64::from_le_bytes(*a))
                | word_needs_escape(u64::from_le_bytes(*b));
        }
        return long_needs_escape(s);
    }
    if let (Some(a), Some(b)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        let (a, b) = (u32::from_le_bytes(*a), u32::from_le_bytes(*b));
        return word_needs_escape(u64::from(a) | u64::from(b) << 32);
    }
    s.iter().any(|&b| byte_needs_escape(b))
}

/// [`needs_escape`] of more than 16 bytes: by blocks of 64 (vector code), then by words
/// of eight, the last one overlapping.
fn long_needs_escape(s: &[u8]) -> bool {
    let (blocks, rest) = s.as_chunks::<64>();
    let (words, _) = rest.as_chunks::<8>();
    blocks
        .iter()
        .any(|b| b.iter().fold(false, |acc, &b| acc | byte_needs_escape(b)))
        || words
            .iter()
            .any(|w| word_needs_escape(u64::from_le_bytes(*w)))
        || s.last_chunk::<8>()
            .is_some_and(|w| word_needs_escape(u64::from_le_bytes(*w)))
}

/// Where the first byte of `s` that may need an escape is: the blocks of sixteen bytes
/// that need none are passed over whole (vector code), then the words of eight.
fn next_to_look_at(s: &[u8]) -> Option<usize> {
    let (blocks, _) = s.as_chunks::<16>();
    let blocks = blocks
        .iter()
        .take_while(|b| !b.iter().fold(false, |acc, &b| acc | byte_needs_escape(b)))
        .count();
    let rest = s.get(16 * blocks..)?;
    let (words, _) = rest.as_chunks::<8>();
    let words = words
        .iter()
        .take_while(|w| !word_needs_escape(u64::from_le_bytes(**w)))
        .count();
    let skip = 16 * blocks + 8 * words;
    let k = s.get(skip..)?.iter().position(|&b| byte_needs_escape(b))?;
    Some(skip + k)
}

/// One byte of [`needs_escape`]: outside 0x20..0x7f (one unsigned comparison), or `"` or `\`.
#[inline(always)]
fn byte_needs_escape(b: u8) -> bool {
    (b.wrapping_sub(0x20) >= 0x5f) | (b == b'"') | (b == b'\\')
}

/// Eight bytes of [`needs_escape`] in one word: the high bit of a byte of a term is set
/// where that byte is below 0x20, at least 0x7f, `"` or `\` (a borrow or carry crosses into
/// the next byte only from a byte that is one of those, so the answer is exact).
#[inline(always)]
fn word_needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let del_or_more = x.wrapping_add(ONES) | x;
    let quote = zero(x ^ (ONES * u64::from(b'"')));
    let backslash = zero(x ^ (ONES * u64::from(b'\\')));
    (control | del_or_more | quote | backslash) & HIGH != 0
}

/// `fmt::Write` into the buffer, escaping as a string's contents (for `collect_str`).
struct Escaped<'p, 'a>(&'p mut Pretty<'a>);

impl fmt::Write for Escaped<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.fragment(s);
        Ok(())
    }
}

/// The ten integer methods of a serializer, each doing `$body` with the serializer as
/// `$ser` and the number as `$v`.
macro_rules! integers {
    (|$ser:ident, $v:ident| $body:expr) => {
        integers!(@ |$ser, $v| $body;
            serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
            serialize_i128 i128, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
            serialize_u64 u64, serialize_u128 u128);
    };
    (@ |$ser:ident, $v:ident| $body:expr; $($name:ident $t:ty),*) => {$(
        fn $name(self, $v: $t) -> Result<(), Error> {
            let $ser = self;
            $body
        }
    )*};
}

/// What both serializers write as what is inside: a newtype struct as its one field.
macro_rules! newtype_struct {
    () => {
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _name: &'static str,
            value: &T,
        ) -> Result<(), Error> {
            value.serialize(self)
        }
    };
}

/// A tuple or struct variant: its name as the one key of an object, and an array or
/// object (opened with `$open`, closed with `$close`) inside.
macro_rules! variant {
    ($method:ident, $open:expr, $close:expr) => {
        fn $method(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
            _len: usize,
        ) -> Result<Compound<'a, 'b>, Error> {
            Ok(Compound::variant(self, variant, $open, $close))
        }
    };
}

impl<'a, 'b> ser::Serializer for &'b mut Pretty<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.bytes(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!(|ser, v| {
        ser.integer(v);
        Ok(())
    });
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        use serde_json::ser::Formatter;
        if !v.is_finite()
            || serde_json::ser::CompactFormatter
                .write_f32(self, v)
                .is_err()
        {
            self.bytes(b"null");
        }
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        // As serde_json writes it: through its own formatter when finite, else `null`.
        use serde_json::ser::Formatter;
        if !v.is_finite()
            || serde_json::ser::CompactFormatter
                .write_f64(self, v)
                .is_err()
        {
            self.bytes(b"null");
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.bytes(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    /// Its name, a string of the code's own (as a key is) that needs no escape: copied
    /// as it is.
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        debug_assert!(!needs_escape(variant.as_bytes()), "{variant}");
        let n = variant.len();
        let room = self.room(n + 2);
        if let Some(at) = room.first_mut() {
            *at = b'"';
        }
        let end = put(room, 1, variant.as_bytes());
        if let Some(at) = room.get_mut(end) {
            *at = b'"';
        }
        self.wrote(n + 2);
        Ok(())
    }
    newtype_struct!();
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        // `{"Variant": value}`, as serde_json writes it.
        let mut outer = Compound::open(self, b'{', b'}');
        outer.key(variant);
        value.serialize(&mut *outer.ser)?;
        outer.close();
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, b'[', b']'))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    // `{"Variant": [...]}` and `{"Variant": {...}}`: the outer object is closed by `end`.
    variant!(serialize_tuple_variant, b'[', b']');
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, b'{', b'}'))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, b'{', b'}'))
    }
    variant!(serialize_struct_variant, b'{', b'}');
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        use fmt::Write as _;
        self.byte(b'"');
        write!(Escaped(self), "{value}")
            .map_err(|_| Error("a value could not be written as text".into()))?;
        self.byte(b'"');
        Ok(())
    }
}

/// An array or object being written: whether it holds anything yet, how it closes, and
/// for a tuple or struct variant the object around it.
pub struct Compound<'a, 'b> {
    ser: &'b mut Pretty<'a>,
    empty: bool,
    close: u8,
    in_variant: bool,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn open(ser: &'b mut Pretty<'a>, open: u8, close: u8) -> Compound<'a, 'b> {
        ser.byte(open);
        ser.depth += 1;
        Compound {
            ser,
            empty: true,
            close,
            in_variant: false,
        }
    }

    /// `{"variant": ` and the opening of what it holds.
    fn variant(
        ser: &'b mut Pretty<'a>,
        variant: &'static str,
        open: u8,
        close: u8,
    ) -> Compound<'a, 'b> {
        let mut outer = Compound::open(ser, b'{', b'}');
        outer.key(variant);
        let ser = outer.ser;
        let mut inner = Compound::open(ser, open, close);
        inner.in_variant = true;
        inner
    }

    /// Before an element: a comma after the first, and a new line.
    #[inline(always)]
    fn next(&mut self) {
        let comma = !self.empty;
        self.empty = false;
        self.ser.line(comma);
    }

    /// A key of the code's own (a field or variant name), which needs no escape.
    #[inline(always)]
    fn key(&mut self, key: &'static str) {
        let comma = !self.empty;
        self.empty = false;
        self.ser.key(comma, key);
    }

    fn close(self) {
        let Compound {
            ser,
            empty,
            close,
            in_variant,
        } = self;
        ser.depth = ser.depth.saturating_sub(1);
        if !empty {
            ser.line(false);
        }
        ser.byte(close);
        if in_variant {
            // The object around a tuple or struct variant held its one key.
            ser.depth = ser.depth.saturating_sub(1);
            ser.line(false);
            ser.byte(b'}');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.next();
        value.serialize(&mut *self.ser)
    }
}

/// The four kinds of array serde writes (sequences, tuples, tuple structs, the inside of
/// tuple variants) are the same array here.
macro_rules! arrays {
    ($($kind:ident::$element:ident),*) => {$(
        impl ser::$kind for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close();
                Ok(())
            }
        }
    )*};
}

arrays!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.next();
        key.serialize(MapKey(&mut *self.ser))?;
        self.ser.colon();
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), Error> {
        self.close();
        Ok(())
    }
}

/// A struct and the inside of a struct variant are the same object here.
macro_rules! objects {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.key(key);
                value.serialize(&mut *self.ser)
            }
            fn end(self) -> Result<(), Error> {
                self.close();
                Ok(())
            }
        }
    )*};
}

objects!(SerializeStruct, SerializeStructVariant);

/// A map key: a string as it is, a number, character or boolean as a string (as
/// serde_json writes them); anything else is an error.
struct MapKey<'p, 'a>(&'p mut Pretty<'a>);

impl MapKey<'_, '_> {
    fn quoted(self, text: &[u8]) -> Result<(), Error> {
        self.0.byte(b'"');
        self.0.bytes(text);
        self.0.byte(b'"');
        Ok(())
    }

    fn number<I: itoa::Integer>(self, n: I) -> Result<(), Error> {
        self.quoted(itoa::Buffer::new().format(n).as_bytes())
    }
}

fn key_must_be_a_string() -> Error {
    Error("a map key must be a string".into())
}

impl ser::Serializer for MapKey<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(if v { b"true" } else { b"false" })
    }
    integers!(|key, v| key.number(v));
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.string(v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    newtype_struct!();
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        use fmt::Write as _;
        self.0.byte(b'"');
        write!(Escaped(&mut *self.0), "{value}")
            .map_err(|_| Error("a key could not be written as text".into()))?;
        self.0.byte(b'"');
        Ok(())
    }
}

#[cfg(test)]
#[path = "pretty_tests.rs"]
mod tests;
