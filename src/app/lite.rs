//! The few top-level members of a JSON message that a protocol machine reads, without
//! building the message as a `serde_json::Value`.
//!
//! In: a whole message's bytes. Out: the last value of each wanted key of a top-level object
//! ([`object`]), or the first [`ITEMS`] elements of a top-level array ([`array`]), each as a
//! [`Scalar`]; `None` exactly when `serde_json::from_slice::<Value>` fails or the top level
//! is not of that kind. The whole message is still parsed by serde_json's own deserializer,
//! so what is valid JSON (UTF-8 in strings, escapes, numbers out of range, nesting depth,
//! trailing characters) is decided as for a `Value`; but nested values are only checked, not
//! kept, and strings without escapes are borrowed: no allocation per message, no map
//! inserts. A machine that needs more of a rare message (a nested payload) parses that one
//! message as a `Value`. The message is checked as UTF-8 once, as a whole ([`utf8`]); one
//! whose top level is not of the kind asked for is not parsed at all.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Elements of a top-level array that [`array`] keeps.
pub(crate) const ITEMS: usize = 4;

/// A top-level member as the machines read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// Absent (no such key or element).
    #[default]
    Absent,
    /// A string.
    Str(Cow<'a, str>),
    /// A number that `Value::as_u64` reads.
    U64(u64),
    /// Anything else: another number, a bool, null, an object, an array.
    Other,
}

impl Scalar<'_> {
    /// `Value::as_str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `Value::as_u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Scalar::U64(n) => Some(*n),
            _ => None,
        }
    }
}

/// The last value of each of `keys` in a message that is a JSON object.
pub(crate) fn object<'a, const N: usize>(
    bytes: &'a [u8],
    keys: [&str; N],
) -> Option<[Scalar<'a>; N]> {
    if first(bytes) != Some(b'{') {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(utf8(bytes)?);
    let got = de.deserialize_any(TopObject { keys }).ok()?;
    de.end().ok()?;
    got
}

/// The first [`ITEMS`] elements of a message that is a JSON array.
pub(crate) fn array(bytes: &[u8]) -> Option<[Scalar<'_>; ITEMS]> {
    if first(bytes) != Some(b'[') {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(utf8(bytes)?);
    let got = de.deserialize_any(TopArray).ok()?;
    de.end().ok()?;
    got
}

/// The first byte after JSON's whitespace: it says whether the top level is an object or an
/// array, and a message whose top level is neither is `None` whether it is valid JSON or
/// not, so it is not parsed at all.
fn first(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
}

/// The message as text, or `None` where serde_json would fail on it anyway: outside its
/// strings JSON is ASCII, and every string it reads (keys and skipped values too) is checked
/// as UTF-8, so a message that parses is UTF-8 whole. Checked here once, by simdutf8, so
/// that serde_json reads it as a `&str` and does not check each string again.
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Any value, checked as serde_json checks a `Value`, and dropped.
struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// One value read as a [`Scalar`] (nested values checked and dropped).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    // As `Value`: a non-negative i64 is a positive integer.
    fn visit_i64<E>(self, n: i64) -> Result<Scalar<'de>, E> {
        Ok(u64::try_from(n).map_or(Scalar::Other, Scalar::U64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::U64(n))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s.to_string())))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
        SkipVisitor.visit_map(map).map(|_| Scalar::Other)
    }
}

/// A key of the top-level object: which of the wanted keys it is, if any.
struct KeySeed<'k, const N: usize> {
    keys: &'k [&'k str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for KeySeed<'_, N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for KeySeed<'_, N> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, s: &str) -> Result<Option<usize>, E> {
        Ok(self.keys.iter().position(|k| *k == s))
    }
}

/// The visitor methods of a top level that is a scalar: not the kind asked for, `None`.
macro_rules! not_this_kind {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    };
}

/// The top level, when it is an object (else `None`, as `Value::get` of a key gives on
/// anything else).
struct TopObject<'k, const N: usize> {
    keys: [&'k str; N],
}

impl<'de, const N: usize> Visitor<'de> for TopObject<'_, N> {
    type Value = Option<[Scalar<'de>; N]>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    not_this_kind!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut got: [Scalar<'de>; N] = std::array::from_fn(|_| Scalar::Absent);
        while let Some(key) = map.next_key_seed(KeySeed { keys: &self.keys })? {
            match key.and_then(|i| got.get_mut(i)) {
                // A key given twice: the last value counts, as in a `Value`'s map.
                Some(slot) => *slot = map.next_value_seed(ScalarSeed)?,
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Some(got))
    }
}

/// The top level, when it is an array.
struct TopArray;

impl<'de> Visitor<'de> for TopArray {
    type Value = Option<[Scalar<'de>; ITEMS]>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    not_this_kind!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut got: [Scalar<'de>; ITEMS] = std::array::from_fn(|_| Scalar::Absent);
        for slot in got.iter_mut() {
            match seq.next_element_seed(ScalarSeed)? {
                Some(v) => *slot = v,
                None => return Ok(Some(got)),
            }
        }
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Some(got))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        SkipVisitor.visit_map(map).map(|_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// What a `Value` says of the same message.
    fn by_value_object(b: &[u8], keys: [&str; 2]) -> Option<[Scalar<'static>; 2]> {
        let v: Value = serde_json::from_slice(b).ok()?;
        let obj = v.as_object()?;
        Some(keys.map(|k| match obj.get(k) {
            None => Scalar::Absent,
            Some(Value::String(s)) => Scalar::Str(Cow::Owned(s.clone())),
            Some(x) => x.as_u64().map_or(Scalar::Other, Scalar::U64),
        }))
    }

    fn by_value_array(b: &[u8]) -> Option<[Scalar<'static>; ITEMS]> {
        let v: Value = serde_json::from_slice(b).ok()?;
        let a = v.as_array()?;
        Some(std::array::from_fn(|i| match a.get(i) {
            None => Scalar::Absent,
            Some(Value::String(s)) => Scalar::Str(Cow::Owned(s.clone())),
            Some(x) => x.as_u64().map_or(Scalar::Other, Scalar::U64),
        }))
    }

    const CASES: &[&[u8]] = &[
        br#"{"type":"next","id":"1","payload":{"data":{"a":[1,2,{"b":null}]}}}"#,
        br#"{"id":7,"type":"ka"}"#,
        br#"{"type":"a","type":"b"}"#,
        br#"{"type":"a","type":3}"#,
        br#"{"ty\u0070e":"x\n","id":"\u00e9"}"#,
        br#"{"type":"x","n":1e400}"#,
        br#"{"type":"x","n":-0}"#,
        br#"{"type":-0,"id":-1}"#,
        br#"{"type":"x","s":"\ud800"}"#,
        b"{\"type\":\"x\",\"s\":\"\xff\"}",
        b"{\"type\":\"x\xc3\xa9\"}",
        br#"{"type":"x"} "#,
        br#"{"type":"x"} x"#,
        br#"{"type":"x",}"#,
        br#"[2,"id","Heartbeat",{}]"#,
        br#"[3,"id",{"interval":300,"status":"Accepted"}]"#,
        br#"[6,{},"wamp.close.normal"]"#,
        br#"[4,"1","Code","desc",{},5,6]"#,
        br#"[]"#,
        br#"[1.0,18446744073709551615,18446744073709551616]"#,
        br#""str""#,
        br#"12"#,
        br#"null"#,
        b"",
        b"   ",
        b" \t\r\n[1,2]",
        b"\x0c[1]",
        b" {\"type\":\"x\"}",
        b"{\"a\":1",
        b"[1,2",
        b"[\"\xff\"]",
        b"{\"a\":[1,{\"b\":\"\xff\"}]}",
        br#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
    ];

    #[test]
    fn objects_and_arrays_read_as_a_value_reads_them() {
        let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(130), "}".repeat(130));
        let deep_ok = format!("{}1{}", r#"{"a":"#.repeat(100), "}".repeat(100));
        let mut all: Vec<&[u8]> = CASES.to_vec();
        all.push(deep_obj.as_bytes());
        all.push(deep_ok.as_bytes());
        for b in all {
            let keys = ["type", "id"];
            assert_eq!(
                object(b, keys),
                by_value_object(b, keys),
                "{}",
                String::from_utf8_lossy(b)
            );
            assert_eq!(
                array(b),
                by_value_array(b),
                "{}",
                String::from_utf8_lossy(b)
            );
        }
    }
}
