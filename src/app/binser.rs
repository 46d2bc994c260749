//! The binary serializations an application message may be in, MessagePack (its
//! specification, "MessagePack specification", formats by first byte) and CBOR (RFC 8949
//! §3, major types and additional information; §3.2.2 indefinite lengths; §3.4 tags), read
//! one item header at a time: the one reader of both for WAMP's messages (`wamp::codec`)
//! and a side's last words (`diagnose::lastwords`, [`show`]).
//!
//! In: a message's bytes. Out: its items in order as [`Tok`]ens (a number, a string
//! borrowed from the message, the length of an array or map, …); no value tree is built.
//! MessagePack's markers are named by `rmp`, CBOR's headers read by `ciborium-ll`. Every
//! declared length is checked against the bytes that are there before it is used (a
//! collection's count against the bytes left, each entry taking one at least), so nothing
//! is allocated or looped over from a length on the wire; nesting is bounded by the caller
//! ([`Tokens::skip`], [`show`]).

use std::fmt::Write as _;

/// An item of a binary serialization, as its header says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok<'a> {
    /// A non-negative integer of an unsigned kind (MessagePack's positive fixint and
    /// uint 8–64, CBOR's major type 0).
    Uint(u64),
    /// An integer of a signed kind (MessagePack's negative fixint and int 8–64, CBOR's
    /// major type 1).
    Int(i128),
    F32(f32),
    F64(f64),
    Bool(bool),
    Null,
    /// CBOR's `undefined` and its other simple values.
    Simple(u8),
    Str(&'a str),
    /// A string that is not UTF-8.
    BadStr(&'a [u8]),
    Bytes(&'a [u8]),
    /// CBOR's indefinite-length string (`text`) or byte string: its chunks, each a definite
    /// string of the same kind, and the break after them, as on the wire.
    Chunks {
        text: bool,
        raw: &'a [u8],
    },
    /// MessagePack's extension: its type and data.
    Ext(i8, &'a [u8]),
    /// A CBOR tag: the next item is what it tags.
    Tag(u64),
    /// An array or a map (its entries: keys and values), of a length, or indefinite (CBOR:
    /// up to a break).
    Array(Option<usize>),
    Map(Option<usize>),
    /// CBOR's end of an indefinite-length item.
    Break,
}

/// A binary serialization's items, one header at a time.
pub(crate) trait Format {
    /// The next item of `bytes` from `at`, and where the next one starts; None when the
    /// bytes there are no item of this format, or not all of it.
    fn next(bytes: &[u8], at: usize) -> Option<(Tok<'_>, usize)>;
}

/// A reader of a binary serialization.
pub(crate) struct Tokens<'a, F> {
    pub bytes: &'a [u8],
    pub at: usize,
    _f: std::marker::PhantomData<F>,
}

impl<'a, F: Format> Tokens<'a, F> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Tokens {
            bytes,
            at: 0,
            _f: std::marker::PhantomData,
        }
    }

    /// The next item as it is, a tag included.
    pub fn item(&mut self) -> Option<Tok<'a>> {
        let (t, at) = F::next(self.bytes, self.at)?;
        self.at = at;
        Some(t)
    }

    /// The next item, read through a run of at most `depth` tags (the tagged item stands
    /// for itself).
    pub fn next(&mut self, depth: usize) -> Option<Tok<'a>> {
        for _ in 0..=depth {
            match self.item()? {
                Tok::Tag(_) => continue,
                t => return Some(t),
            }
        }
        None
    }

    /// Skips the item `t` began (its entries too), at most `depth` deep.
    pub fn skip(&mut self, t: Tok<'a>, depth: usize) -> Option<()> {
        let (n, per) = match t {
            Tok::Array(n) => (n, 1),
            Tok::Map(n) => (n, 2),
            Tok::Break => return None,
            Tok::Tag(_) => {
                let depth = depth.checked_sub(1)?;
                let t = self.item()?;
                return self.skip(t, depth);
            }
            _ => return Some(()),
        };
        let depth = depth.checked_sub(1)?;
        match n {
            Some(n) => {
                for _ in 0..n.checked_mul(per)? {
                    let t = self.item()?;
                    self.skip(t, depth)?;
                }
            }
            None => loop {
                let t = self.item()?;
                if t == Tok::Break {
                    break;
                }
                self.skip(t, depth)?;
            },
        }
        Some(())
    }
}

/// `n` bytes of `bytes` from `at` as a big-endian number, and where they end.
fn be(bytes: &[u8], at: usize, n: usize) -> Option<(u64, usize)> {
    let end = at.checked_add(n)?;
    let v = bytes
        .get(at..end)?
        .iter()
        .fold(0u64, |v, &b| (v << 8) | u64::from(b));
    Some((v, end))
}

/// The `len` bytes (a declared length: checked against what is there) at `at`, and where
/// they end.
fn span(bytes: &[u8], at: usize, len: u64) -> Option<(&[u8], usize)> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    Some((bytes.get(at..end)?, end))
}

/// The string of `len` bytes at `at`.
fn text(bytes: &[u8], at: usize, len: u64) -> Option<(Tok<'_>, usize)> {
    let (s, end) = span(bytes, at, len)?;
    let t = match simdutf8::basic::from_utf8(s) {
        Ok(s) => Tok::Str(s),
        Err(_) => Tok::BadStr(s),
    };
    Some((t, end))
}

fn bin(bytes: &[u8], at: usize, len: u64) -> Option<(Tok<'_>, usize)> {
    span(bytes, at, len).map(|(b, e)| (Tok::Bytes(b), e))
}

/// An extension of `len` data bytes after its type byte at `at`.
fn ext(bytes: &[u8], at: usize, len: u64) -> Option<(Tok<'_>, usize)> {
    let t = *bytes.get(at)? as i8;
    span(bytes, at + 1, len).map(|(b, e)| (Tok::Ext(t, b), e))
}

/// MessagePack (its markers as `rmp` names them).
pub(crate) struct Pack;

impl Format for Pack {
    fn next(bytes: &[u8], at: usize) -> Option<(Tok<'_>, usize)> {
        use rmp::Marker as M;
        let marker = M::from_u8(*bytes.get(at)?);
        let at = at + 1;
        // A collection's declared length is at most the bytes left (each entry takes one
        // at least): a longer one is not MessagePack that is here.
        let left = bytes.len().saturating_sub(at) as u64;
        let coll = |n: u64, at: usize, per: u64, map: bool| {
            (n.saturating_mul(per) <= left).then(|| {
                let n = Some(n as usize);
                (if map { Tok::Map(n) } else { Tok::Array(n) }, at)
            })
        };
        let uint = |n: usize| be(bytes, at, n).map(|(v, e)| (Tok::Uint(v), e));
        // A two's-complement integer of `n` bytes.
        let int = |n: usize| {
            be(bytes, at, n).map(|(v, e)| {
                let shift = 64 - 8 * n as u32;
                (Tok::Int(i128::from(((v << shift) as i64) >> shift)), e)
            })
        };
        match marker {
            M::FixPos(v) => Some((Tok::Uint(u64::from(v)), at)),
            M::FixNeg(v) => Some((Tok::Int(i128::from(v)), at)),
            M::U8 => uint(1),
            M::U16 => uint(2),
            M::U32 => uint(4),
            M::U64 => uint(8),
            M::I8 => int(1),
            M::I16 => int(2),
            M::I32 => int(4),
            M::I64 => int(8),
            M::Null => Some((Tok::Null, at)),
            M::True => Some((Tok::Bool(true), at)),
            M::False => Some((Tok::Bool(false), at)),
            M::F32 => be(bytes, at, 4).map(|(v, e)| (Tok::F32(f32::from_bits(v as u32)), e)),
            M::F64 => be(bytes, at, 8).map(|(v, e)| (Tok::F64(f64::from_bits(v)), e)),
            M::FixStr(n) => text(bytes, at, u64::from(n)),
            M::Str8 => be(bytes, at, 1).and_then(|(n, e)| text(bytes, e, n)),
            M::Str16 => be(bytes, at, 2).and_then(|(n, e)| text(bytes, e, n)),
            M::Str32 => be(bytes, at, 4).and_then(|(n, e)| text(bytes, e, n)),
            M::Bin8 => be(bytes, at, 1).and_then(|(n, e)| bin(bytes, e, n)),
            M::Bin16 => be(bytes, at, 2).and_then(|(n, e)| bin(bytes, e, n)),
            M::Bin32 => be(bytes, at, 4).and_then(|(n, e)| bin(bytes, e, n)),
            M::FixExt1 => ext(bytes, at, 1),
            M::FixExt2 => ext(bytes, at, 2),
            M::FixExt4 => ext(bytes, at, 4),
            M::FixExt8 => ext(bytes, at, 8),
            M::FixExt16 => ext(bytes, at, 16),
            M::Ext8 => be(bytes, at, 1).and_then(|(n, e)| ext(bytes, e, n)),
            M::Ext16 => be(bytes, at, 2).and_then(|(n, e)| ext(bytes, e, n)),
            M::Ext32 => be(bytes, at, 4).and_then(|(n, e)| ext(bytes, e, n)),
            M::FixArray(n) => coll(u64::from(n), at, 1, false),
            M::Array16 => be(bytes, at, 2).and_then(|(n, e)| coll(n, e, 1, false)),
            M::Array32 => be(bytes, at, 4).and_then(|(n, e)| coll(n, e, 1, false)),
            M::FixMap(n) => coll(u64::from(n), at, 2, true),
            M::Map16 => be(bytes, at, 2).and_then(|(n, e)| coll(n, e, 2, true)),
            M::Map32 => be(bytes, at, 4).and_then(|(n, e)| coll(n, e, 2, true)),
            M::Reserved => None,
        }
    }
}

/// CBOR (RFC 8949; its headers as `ciborium-ll` reads them).
pub(crate) struct Cbor;

impl Cbor {
    fn header(bytes: &[u8], at: usize) -> Option<(ciborium_ll::Header, usize)> {
        let mut d = ciborium_ll::Decoder::from(bytes.get(at..)?);
        let h = d.pull().ok()?;
        Some((h, at.checked_add(d.offset())?))
    }
}

impl Format for Cbor {
    fn next(bytes: &[u8], at: usize) -> Option<(Tok<'_>, usize)> {
        use ciborium_ll::{simple, Header as H};
        let start = at;
        let (h, at) = Cbor::header(bytes, at)?;
        let left = bytes.len().saturating_sub(at);
        let coll = |n: Option<usize>, per: usize, map: bool| {
            n.is_none_or(|n| n.saturating_mul(per) <= left)
                .then_some((if map { Tok::Map(n) } else { Tok::Array(n) }, at))
        };
        match h {
            H::Tag(t) => Some((Tok::Tag(t), at)),
            H::Positive(v) => Some((Tok::Uint(v), at)),
            H::Negative(v) => Some((Tok::Int(-1 - i128::from(v)), at)),
            H::Float(f) => Some((Tok::F64(f), at)),
            H::Simple(simple::FALSE) => Some((Tok::Bool(false), at)),
            H::Simple(simple::TRUE) => Some((Tok::Bool(true), at)),
            H::Simple(simple::NULL) => Some((Tok::Null, at)),
            H::Simple(s) => Some((Tok::Simple(s), at)),
            H::Break => Some((Tok::Break, at)),
            H::Text(Some(n)) => text(bytes, at, n as u64),
            H::Bytes(Some(n)) => bin(bytes, at, n as u64),
            // Chunks up to a break: each a definite string of the same kind.
            H::Text(None) | H::Bytes(None) => {
                let text = matches!(h, H::Text(None));
                let mut at = at;
                loop {
                    let (c, e) = Cbor::header(bytes, at)?;
                    at = match c {
                        H::Break => break,
                        H::Text(Some(n)) if text => span(bytes, e, n as u64)?.1,
                        H::Bytes(Some(n)) if !text => span(bytes, e, n as u64)?.1,
                        _ => return None,
                    };
                }
                let raw = bytes.get(start..at + 1)?;
                Some((Tok::Chunks { text, raw }, at + 1))
            }
            H::Array(n) => coll(n, 1, false),
            H::Map(n) => coll(n, 2, true),
        }
    }
}

/// Bytes of a byte string shown in hex.
const HEX_SHOWN: usize = 64;

/// A map or array that is the whole of `bytes`, in format `F`, as JSON-like text (strings
/// quoted as JSON, byte strings as `h'…'`, CBOR tags as `tag(item)`, MessagePack
/// extensions as `ext(type,h'…')`); None when it is not one item of at most `depth`
/// nested levels that ends where the bytes end. Writing stops once the text is longer than
/// `shown` bytes; the rest is still read to the end.
pub(crate) fn show<F: Format>(bytes: &[u8], depth: usize, shown: usize) -> Option<String> {
    let mut t = Tokens::<F>::new(bytes);
    let first = t.item()?;
    if !matches!(first, Tok::Array(_) | Tok::Map(_)) {
        return None;
    }
    let mut out = String::new();
    write(&mut t, first, depth, shown, &mut out)?;
    (t.at == bytes.len()).then_some(out)
}

/// Writes the item `t` began (its entries too) while `out` is at most `shown` long.
fn write<F: Format>(
    r: &mut Tokens<'_, F>,
    t: Tok<'_>,
    depth: usize,
    shown: usize,
    out: &mut String,
) -> Option<()> {
    let on = out.len() <= shown;
    let put = |out: &mut String, s: std::fmt::Arguments<'_>| {
        if on {
            let _ = out.write_fmt(s);
        }
    };
    match t {
        Tok::Uint(v) => put(out, format_args!("{v}")),
        Tok::Int(v) => put(out, format_args!("{v}")),
        Tok::F32(v) => put(out, format_args!("{v}")),
        Tok::F64(v) => put(out, format_args!("{v}")),
        Tok::Bool(v) => put(out, format_args!("{v}")),
        Tok::Null => put(out, format_args!("null")),
        Tok::Simple(23) => put(out, format_args!("undefined")),
        Tok::Simple(s) => put(out, format_args!("simple({s})")),
        Tok::Str(s) if on => json_str(out, s),
        Tok::BadStr(b) | Tok::Bytes(b) if on => hex_bytes(out, b),
        Tok::Ext(k, b) if on => {
            let _ = write!(out, "ext({k},");
            hex_bytes(out, b);
            out.push(')');
        }
        Tok::Chunks { text, raw } if on => {
            // The chunks joined, as the one string they make.
            // After the one-byte header that opens them.
            let mut c = Tokens::<F>::new(raw);
            c.at = 1;
            let mut all = Vec::new();
            loop {
                match c.item()? {
                    Tok::Break => break,
                    Tok::Str(s) => all.extend_from_slice(s.as_bytes()),
                    Tok::BadStr(b) | Tok::Bytes(b) => all.extend_from_slice(b),
                    _ => return None,
                }
            }
            match std::str::from_utf8(&all) {
                Ok(s) if text => json_str(out, s),
                _ => hex_bytes(out, &all),
            }
        }
        Tok::Str(_) | Tok::BadStr(_) | Tok::Bytes(_) | Tok::Ext(..) | Tok::Chunks { .. } => {}
        Tok::Break => return None,
        Tok::Tag(tag) => {
            let depth = depth.checked_sub(1)?;
            put(out, format_args!("{tag}("));
            let x = r.item()?;
            write(r, x, depth, shown, out)?;
            if out.len() <= shown {
                out.push(')');
            }
        }
        Tok::Array(n) | Tok::Map(n) => {
            let map = matches!(t, Tok::Map(_));
            let depth = depth.checked_sub(1)?;
            let (open, close) = if map { ('{', '}') } else { ('[', ']') };
            if on {
                out.push(open);
            }
            let mut i = 0usize;
            loop {
                if n.is_some_and(|n| i == n) {
                    break;
                }
                let k = r.item()?;
                if k == Tok::Break && n.is_none() {
                    break;
                }
                if i > 0 && out.len() <= shown {
                    out.push(',');
                }
                write(r, k, depth, shown, out)?;
                if map {
                    if out.len() <= shown {
                        out.push(':');
                    }
                    let v = r.item()?;
                    write(r, v, depth, shown, out)?;
                }
                i += 1;
            }
            if out.len() <= shown {
                out.push(close);
            }
        }
    }
    Some(())
}

fn json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"?\""),
    }
}

fn hex_bytes(out: &mut String, b: &[u8]) {
    out.push_str("h'");
    for x in b.iter().take(HEX_SHOWN) {
        let _ = write!(out, "{x:02x}");
    }
    if b.len() > HEX_SHOWN {
        out.push('…');
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp(b: &[u8]) -> Option<String> {
        show::<Pack>(b, 16, 256)
    }
    fn cb(b: &[u8]) -> Option<String> {
        show::<Cbor>(b, 16, 256)
    }

    #[test]
    fn messagepack_items_read_as_the_specification_gives_them() {
        // [1, -1, -128 (int 8), 65535 (uint 16), -2 (int 16), 1.5 (float 32), 1.5 (float 64),
        //  nil, true, false, "a", bin 8 [0xab], fixext 1 (type 5, 0x01), {"k": []}].
        let b = [
            0x9e, 0x01, 0xff, 0xd0, 0x80, 0xcd, 0xff, 0xff, 0xd1, 0xff, 0xfe, 0xca, 0x3f, 0xc0,
            0x00, 0x00, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0xc3, 0xc2, 0xa1, b'a', 0xc4,
            0x01, 0xab, 0xd4, 0x05, 0x01, 0x81, 0xa1, b'k', 0x90,
        ];
        assert_eq!(
            mp(&b).as_deref(),
            Some(r#"[1,-1,-128,65535,-2,1.5,1.5,null,true,false,"a",h'ab',ext(5,h'01'),{"k":[]}]"#)
        );
        // A string that is not UTF-8 is shown as bytes.
        assert_eq!(mp(&[0x91, 0xa1, 0xff]).as_deref(), Some("[h'ff']"));
        // Not a map or array; bytes left after it; a length longer than what is there.
        assert_eq!(mp(&[0x05]), None);
        assert_eq!(mp(&[0x90, 0x00]), None);
        assert_eq!(mp(&[0xdd, 0xff, 0xff, 0xff, 0xff, 0x00]), None);
        assert_eq!(mp(&[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, b'a']), None);
    }

    #[test]
    fn cbor_items_read_as_rfc_8949_gives_them() {
        // [0, -1, -2^64 (major 1 at its largest), 1.5 (half), false, null, undefined,
        //  simple(16), h'ab', 1("x"), (_ "a" "b"), (_ h'01' h'02'), {_ "k": [_ ]}].
        let b = [
            0x8d, 0x00, 0x20, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf9, 0x3e,
            0x00, 0xf4, 0xf6, 0xf7, 0xf0, 0x41, 0xab, 0xc1, 0x61, b'x', 0x7f, 0x61, b'a', 0x61,
            b'b', 0xff, 0x5f, 0x41, 0x01, 0x41, 0x02, 0xff, 0xbf, 0x61, b'k', 0x9f, 0xff, 0xff,
        ];
        assert_eq!(
            cb(&b).as_deref(),
            Some(
                r#"[0,-1,-18446744073709551616,1.5,false,null,undefined,simple(16),h'ab',1("x"),"ab",h'0102',{"k":[]}]"#
            )
        );
        // A chunk of the other kind, a tag alone, a break outside any indefinite item.
        assert_eq!(cb(&[0x81, 0x7f, 0x41, 0x01, 0xff]), None);
        assert_eq!(cb(&[0x81, 0xc1]), None);
        assert_eq!(cb(&[0x82, 0x01, 0xff]), None);
        // A tagged array is not an array.
        assert_eq!(cb(&[0xc1, 0x80]), None);
        assert_eq!(
            cb(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }

    #[test]
    fn nesting_and_shown_length_are_bounded() {
        // CBOR [[…[]…]]: n arrays of one, then an empty one.
        let deep = |n: usize| {
            let mut b = vec![0x81; n];
            b.push(0x80);
            b
        };
        // MessagePack [[…[]…]]: 16 levels read, 17 not.
        let mut m16 = vec![0x91; 15];
        m16.push(0x90);
        assert!(mp(&m16).is_some());
        let mut m17 = vec![0x91; 16];
        m17.push(0x90);
        assert!(mp(&m17).is_none());
        let c16 = deep(15);
        assert!(cb(&c16).is_some());
        assert!(cb(&deep(16)).is_none());
        // Tags count as levels.
        let mut tagged = vec![0x81; 8];
        tagged.extend([0xc1; 8]);
        tagged.push(0x80);
        assert!(cb(&tagged).is_none());
        // A long array is read whole, and shown up to the bound.
        let mut long = vec![0xdc, 0x03, 0xe8];
        long.extend([0xa3, b'a', b'b', b'c'].repeat(1000));
        let s = show::<Pack>(&long, 16, 40).unwrap_or_default();
        assert!(s.len() <= 40 + 8, "{}", s.len());
        assert!(s.starts_with(r#"["abc","abc""#), "{s}");
    }
}
