//! The serde side of the JSON writer: [`Pretty`] as a `Serializer` (every value, the
//! ten integers, strings through the escape), [`Compound`] for arrays, objects and
//! variants, and `MapKey` for an object's keys, which must be strings.

use super::escape::needs_escape;
use super::{put, Error, Pretty};
use serde::ser::{self, Serialize};
use std::fmt;

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
