//! The JSON report's writer: a serde serializer that writes pretty JSON straight into a
//! byte buffer, with terminal-safe strings.
//!
//! In: any `Serialize` value (the report model's derives and hand-written impls). Out: RFC
//! 8259 text, byte for byte the layout serde_json's pretty printer gives (two-space
//! indentation, `"key": value`, `[]` and `{}` when empty; numbers as serde_json writes
//! them, floats through serde_json's own formatter), at any starting depth so that parts of
//! one document can be written apart; or compact, on one line ([`line`]). Strings are
//! escaped as serde_json escapes them (the C0 controls, `"` and `\`), and also every other
//! character `sanitize::is_unsafe` names (DEL, the C1 controls, format characters such as
//! the bidirectional overrides, zero-width and tag characters, line separators, Hangul
//! fillers) as `\uXXXX` (a surrogate pair beyond the Basic Multilingual Plane), so that
//! `cat report.json` on a terminal is safe; the JSON value is the same.
//!
//! Why not serde_json with a `Formatter`: a connection's JSON costs mostly per field there
//! (each key escaped as a string, written in several small writes). Here a key (always a
//! field name from the code) is copied as it is, and a string is one check over its bytes
//! and one copy when it needs no escape; `benches/json_writer.rs` weighs the two
//! (BENCHMARKS.md).

use crate::sanitize::is_unsafe;
use serde::ser::{self, Serialize};
use std::fmt::{self, Write as _};

/// A newline and 32 levels of indentation: `INDENT[..=2 * depth]` is the start of a line
/// at `depth`.
const INDENT: &[u8; 65] = b"\n                                                                ";

/// Writes `value` as pretty JSON at `depth` levels of indentation to the end of `out`.
pub fn write<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    depth: usize,
    value: &T,
) -> Result<(), Error> {
    value.serialize(&mut Pretty {
        out,
        depth,
        compact: false,
    })
}

/// `value` as compact JSON on one line (serde_json's compact layout: no space, no line
/// break), with the same terminal-safe strings: for the lines of a live capture.
pub fn compact<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = Vec::new();
    value.serialize(&mut Pretty {
        out: &mut out,
        depth: 0,
        compact: true,
    })?;
    // Only whole strings and ASCII are written.
    String::from_utf8(out).map_err(|_| Error("the JSON is not UTF-8".into()))
}

/// `value` as compact JSON on one line, with the same terminal-safe strings: the lines of a
/// live capture (its events and its final report). Empty if a `Serialize` impl fails.
pub fn line<T: Serialize + ?Sized>(value: &T) -> String {
    compact(value).unwrap_or_default()
}

/// Starts a line at `depth`: a newline and the indentation. Up to depth 7 (all of a
/// report but its frame timeline's deepest parts) as a copy of a constant 16 bytes cut to
/// length, which compiles to a move or two where a copy of a length known only at run time
/// is a call.
pub fn newline(out: &mut Vec<u8>, depth: usize) {
    let n = 1 + 2 * depth;
    if let Some(short) = INDENT.first_chunk::<16>().filter(|_| n <= 16) {
        let len = out.len();
        out.extend_from_slice(short);
        out.truncate(len + n);
        return;
    }
    match INDENT.get(..n) {
        Some(line) => out.extend_from_slice(line),
        None => {
            out.push(b'\n');
            out.resize(out.len() + n - 1, b' ');
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

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::other(e)
    }
}

/// The serializer: where it writes, the depth of what it writes, and whether on one line.
pub struct Pretty<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
    compact: bool,
}

impl Pretty<'_> {
    /// Starts a line at the current depth, unless compact.
    fn line(&mut self) {
        if !self.compact {
            newline(self.out, self.depth);
        }
    }

    /// After a key: `: `, or `:` when compact; with `quote`, the key's closing quote
    /// first. Each a copy of constant length (inlined, not a call).
    fn colon(&mut self, quote: bool) {
        let out = &mut *self.out;
        match (quote, self.compact) {
            (true, false) => out.extend_from_slice(b"\": "),
            (true, true) => out.extend_from_slice(b"\":"),
            (false, false) => out.extend_from_slice(b": "),
            (false, true) => out.push(b':'),
        }
    }
}

/// Does `s` hold a byte that a JSON string cannot carry as it is, or that is not plain
/// printable ASCII: a control, `"`, `\`, DEL, or any byte of a character beyond ASCII?
/// Without a branch per byte, so that the compiler vectorizes it.
fn needs_escape(s: &[u8]) -> bool {
    s.iter().fold(false, |acc, &b| {
        // Outside 0x20..0x7f: one unsigned comparison.
        acc | (b.wrapping_sub(0x20) >= 0x5f) | (b == b'"') | (b == b'\\')
    })
}

/// Writes `s` quoted and escaped.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    fragment(out, s);
    out.push(b'"');
}

/// Writes `s` escaped, without quotes: copied as it is when nothing in it needs an escape.
/// Otherwise the runs of plain printable ASCII between the bytes that may need one are
/// copied whole, and only at those bytes is a character looked at (a cause quoting a close
/// reason has two `"` in a few hundred bytes).
fn fragment(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    let mut i = 0;
    while let Some(k) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| needs_escape(&[b])))
    {
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
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if short.is_empty() {
            // One `\uXXXX` per UTF-16 unit: a surrogate pair beyond the Basic Multilingual
            // Plane (the tag characters), as RFC 8259 §7 writes it.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(Bytes(out), "\\u{unit:04x}");
            }
        } else {
            out.extend_from_slice(short);
        }
        i = next;
        start = next;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// `fmt::Write` into the buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `fmt::Write` into the buffer, escaping as a string's contents (for `collect_str`).
struct Escaped<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        fragment(self.0, s);
        Ok(())
    }
}

fn integer<I: itoa::Integer>(out: &mut Vec<u8>, n: I) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A float as serde_json writes it: through its own formatter when finite, else `null`.
fn float(out: &mut Vec<u8>, f: f64) {
    use serde_json::ser::Formatter;
    if !f.is_finite() || serde_json::ser::CompactFormatter.write_f64(out, f).is_err() {
        out.extend_from_slice(b"null");
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

/// What both serializers write as what is inside: a unit variant as its name, a newtype
/// struct as its one field.
macro_rules! as_inside {
    () => {
        fn serialize_unit_variant(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
        ) -> Result<(), Error> {
            self.serialize_str(variant)
        }
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
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!(|ser, v| {
        integer(ser.out, v);
        Ok(())
    });
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        use serde_json::ser::Formatter;
        if !v.is_finite()
            || serde_json::ser::CompactFormatter
                .write_f32(self.out, v)
                .is_err()
        {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        float(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(self.out, v);
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
        self.out.extend_from_slice(b"null");
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
    as_inside!();
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
        self.out.push(b'"');
        write!(Escaped(self.out), "{value}")
            .map_err(|_| Error("a value could not be written as text".into()))?;
        self.out.push(b'"');
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
        ser.out.push(open);
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
    fn next(&mut self) {
        if !self.empty {
            self.ser.out.push(b',');
        }
        self.empty = false;
        self.ser.line();
    }

    /// A key of the code's own (a field or variant name), which needs no escape.
    fn key(&mut self, key: &'static str) {
        self.next();
        let out = &mut *self.ser.out;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        self.ser.colon(true);
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
            ser.line();
        }
        ser.out.push(close);
        if in_variant {
            // The object around a tuple or struct variant held its one key.
            ser.depth = ser.depth.saturating_sub(1);
            ser.line();
            ser.out.push(b'}');
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
        key.serialize(MapKey(self.ser.out))?;
        self.ser.colon(false);
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
struct MapKey<'a>(&'a mut Vec<u8>);

impl MapKey<'_> {
    fn quoted(self, text: &[u8]) -> Result<(), Error> {
        self.0.push(b'"');
        self.0.extend_from_slice(text);
        self.0.push(b'"');
        Ok(())
    }

    fn number<I: itoa::Integer>(self, n: I) -> Result<(), Error> {
        self.quoted(itoa::Buffer::new().format(n).as_bytes())
    }
}

fn key_must_be_a_string() -> Error {
    Error("a map key must be a string".into())
}

impl ser::Serializer for MapKey<'_> {
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
        string(self.0, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(self.0, v);
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
    as_inside!();
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
        self.0.push(b'"');
        write!(Escaped(self.0), "{value}")
            .map_err(|_| Error("a key could not be written as text".into()))?;
        self.0.push(b'"');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    fn ours<T: Serialize + ?Sized>(v: &T) -> String {
        let mut buf = Vec::new();
        write(&mut buf, 0, v).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        Newtype(u8),
        Tuple(u8, &'static str),
        Struct { a: Vec<u8>, b: Option<bool> },
        EmptyTuple(),
        EmptyStruct {},
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Shapes {
        empty_seq: Vec<u8>,
        empty_map: BTreeMap<String, u8>,
        nested: Vec<Vec<Vec<u8>>>,
        tuple: (u8, i64, f64),
        unit: (),
        unit_struct: Unit,
        variants: Vec<E>,
        by_number: BTreeMap<u32, &'static str>,
        by_flag: BTreeMap<bool, u8>,
        by_char: BTreeMap<char, u8>,
        chars: [char; 3],
        bytes: serde_bytes_like::Bytes,
        extremes: (i8, i128, u128, f32, f64, f64),
    }

    /// `serialize_bytes` without a crate for it.
    mod serde_bytes_like {
        pub struct Bytes(pub &'static [u8]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
    }

    fn shapes() -> Shapes {
        Shapes {
            empty_seq: vec![],
            empty_map: BTreeMap::new(),
            nested: vec![vec![], vec![vec![]], vec![vec![1, 2], vec![]]],
            tuple: (7, -3, 0.5),
            unit: (),
            unit_struct: Unit,
            variants: vec![
                E::Unit,
                E::Newtype(4),
                E::Tuple(5, "x"),
                E::Struct {
                    a: vec![1],
                    b: None,
                },
                E::EmptyTuple(),
                E::EmptyStruct {},
            ],
            by_number: BTreeMap::from([(1, "one"), (20, "twenty")]),
            by_flag: BTreeMap::from([(false, 0), (true, 1)]),
            by_char: BTreeMap::from([('"', 1), ('é', 2)]),
            chars: ['a', '\n', '"'],
            bytes: serde_bytes_like::Bytes(b"\x00\xff"),
            extremes: (i8::MIN, i128::MIN, u128::MAX, 0.1, f64::NAN, f64::INFINITY),
        }
    }

    /// Every shape serde can ask for is laid out as serde_json's pretty printer lays it
    /// out, at the top and nested.
    #[test]
    fn every_shape_as_serde_json_pretty() {
        let v = shapes();
        assert_eq!(ours(&v), serde_json::to_string_pretty(&v).unwrap());
        for e in &v.variants {
            assert_eq!(ours(e), serde_json::to_string_pretty(e).unwrap());
        }
        assert_eq!(ours(&E::Newtype(1)), "{\n  \"Newtype\": 1\n}");
    }

    /// A value started deeper than the top is indented from there, as a part of a larger
    /// document is.
    #[test]
    fn a_part_starts_at_its_depth() {
        let mut buf = b"[".to_vec();
        newline(&mut buf, 1);
        write(&mut buf, 1, &vec![vec![1u8]]).unwrap();
        buf.extend_from_slice(b"\n]");
        let whole = serde_json::to_string_pretty(&vec![vec![vec![1u8]]]).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), whole);
        // Past the prepared indentation too.
        let deep: serde_json::Value =
            (0..40).fold(serde_json::json!(1), |v, _| serde_json::json!([v]));
        assert_eq!(ours(&deep), serde_json::to_string_pretty(&deep).unwrap());
    }

    /// Numbers as serde_json writes them: floats of every scale and arbitrary finite bit
    /// patterns (a xorshift walk over them), integers at their edges.
    #[test]
    fn numbers_written_as_serde_json_writes_them() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut floats = vec![
            0.0,
            -0.0,
            0.000_996,
            1e-7,
            123_456_789.123,
            1e15,
            1e16,
            1e21,
            5e-324,
        ];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                floats.push(f);
            }
            floats.push((x % 100_000_000) as f64 / 1e6);
        }
        for f in floats {
            assert_eq!(ours(&f), serde_json::to_string(&f).unwrap());
        }
        for n in [0u64, 1, 9, 10, 99_999, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(ours(&n), serde_json::to_string(&n).unwrap());
        }
        for n in [i64::MIN, -1, 0, i64::MAX] {
            assert_eq!(ours(&n), serde_json::to_string(&n).unwrap());
        }
    }

    /// Strings: every control character and the JSON specials escaped as serde_json
    /// escapes them; the characters only this writer escapes (DEL, C1, bidirectional
    /// overrides) as `\uXXXX`; anything else, non-ASCII letters included, as it is; and
    /// the same through `collect_str`, whose text comes in pieces.
    #[test]
    fn strings_are_terminal_safe_and_still_the_same_json() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        for text in [
            controls.as_str(),
            "tab\there \"quoted\" back\\slash",
            "plain ASCII ~ text",
            "ünïcödé ✓ 𝄞",
        ] {
            assert_eq!(ours(text), serde_json::to_string(text).unwrap(), "{text:?}");
            assert_eq!(ours(&format_args!("{text}")), ours(text));
        }
        let hostile = "a\u{9b}b\u{1b}c\u{2066}d\u{7f}e\u{85}f\u{61c}g\u{202e}h ✓";
        let text = ours(hostile);
        assert_eq!(
            text,
            "\"a\\u009bb\\u001bc\\u2066d\\u007fe\\u0085f\\u061cg\\u202eh ✓\""
        );
        assert!(!text.chars().any(is_unsafe), "{text}");
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, hostile);
        assert_eq!(ours(&format_args!("{hostile}")), text);
        // Invisible characters too; a tag character (beyond the BMP) as a surrogate pair.
        let hidden = "a\u{200b}b\u{feff}c\u{2028}d\u{3164}e\u{e0041}f";
        let text = ours(hidden);
        assert_eq!(text, "\"a\\u200bb\\ufeffc\\u2028d\\u3164e\\udb40\\udc41f\"");
        assert!(!text.chars().any(is_unsafe), "{text}");
        assert_eq!(serde_json::from_str::<String>(&text).unwrap(), hidden);
    }

    /// The check that lets a string be copied as it is lets nothing through that needs
    /// an escape, wherever it sits in the string.
    #[test]
    fn the_fast_check_lets_nothing_through_that_needs_an_escape() {
        assert!(!needs_escape(b"plain ASCII ~ text"));
        for c in [
            '\0', '\n', '\u{1f}', '"', '\\', '\u{7f}', '\u{85}', '\u{9b}', '\u{61c}', '\u{200e}',
            '\u{202e}', '\u{2069}', 'é',
        ] {
            for at in [0, 1, 15, 16, 31, 40] {
                let mut s = "x".repeat(at);
                s.push(c);
                s.push_str(&"y".repeat(7));
                assert!(needs_escape(s.as_bytes()), "{c:?} at {at}");
            }
        }
    }

    /// The compact layout is serde_json's compact one, byte for byte, on every shape, and
    /// its strings are as terminal-safe as the pretty layout's: what a live capture prints.
    #[test]
    fn compact_as_serde_json_compact_and_terminal_safe() {
        let v = shapes();
        assert_eq!(compact(&v).unwrap(), serde_json::to_string(&v).unwrap());
        let nested = serde_json::json!({"a": [1, {"b": []}], "c": {}, "d": "x"});
        assert_eq!(
            compact(&nested).unwrap(),
            serde_json::to_string(&nested).unwrap()
        );
        let hostile = serde_json::json!({"r": "a\u{9b}b\u{1b}c\u{2066}"});
        let safe = compact(&hostile).unwrap();
        assert!(!safe.contains('\n'));
        assert!(!safe.chars().any(is_unsafe));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["r"], "a\u{9b}b\u{1b}c\u{2066}");
    }

    /// A map whose keys cannot be JSON strings is an error, not a panic or bad JSON.
    #[test]
    fn a_map_with_keys_that_are_not_strings_is_an_error() {
        let m = BTreeMap::from([(vec![1u8], 1u8)]);
        let mut buf = Vec::new();
        assert!(write(&mut buf, 0, &m).is_err());
        assert!(serde_json::to_string(&m).is_err());
    }
}
