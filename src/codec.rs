//! A compact binary form for the analyzer's own state, written and read back only by the
//! process that made it: finished reports kept in the report store's temporary file
//! (`report::spill`) and quiet connections frozen out of memory (`freeze`). Never shown to
//! anyone, and no RFC applies.
//!
//! In: values of types that implement [`Code`], and the table of `&'static str`s met so
//! far. Out: bytes; and back, the same values. Integers are LEB128 varints (signed ones
//! zigzagged), floats their 8 bytes, strings and lists a length then their contents,
//! options a 0/1 tag. A `&'static str` (catalog names and texts, opcode names, `tcp_end`,
//! close problems) comes from a fixed table in the code: it is written as its index in a
//! table of the statics this writer has met ([`Statics`]), so that decoding gives back the
//! very same static. Decoding returns `None` on bytes it did not write (which would be a
//! bug or a damaged file), never panics. `fields!` implements [`Code`] for a struct from
//! the list of its fields (every field: a missing one does not compile).

use crate::capture::Timestamp;
use crate::decode::Endpoint;
use crate::finding::{Finding, Findings, Kind};
use crate::flow::Role;
use crate::stack::tcp::connection::EndKind;
use crate::stack::tcp::Counters;
use crate::websocket::decoder::{FrameRecord, Stats};
use crate::websocket::frame::Opcode;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The `&'static str`s written so far, by index. Keyed by address: two statics with the
/// same text may take two indexes, which costs nothing but a few bytes.
#[derive(Debug, Clone, Default)]
pub struct Statics {
    list: Vec<&'static str>,
    index: FxHashMap<(usize, usize), u32>,
}

impl Statics {
    pub fn id(&mut self, s: &'static str) -> u32 {
        let key = (s.as_ptr() as usize, s.len());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s);
        self.index.insert(key, i);
        i
    }

    pub fn get(&self, i: u64) -> Option<&'static str> {
        self.list.get(usize::try_from(i).ok()?).copied()
    }
}

pub struct Writer<'a> {
    pub out: &'a mut Vec<u8>,
    pub statics: &'a mut Statics,
}

impl Writer<'_> {
    pub fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.out.extend_from_slice(b);
    }

    /// A list: its length, then its items.
    pub fn seq<'v, T: Code + 'v>(&mut self, len: usize, items: impl IntoIterator<Item = &'v T>) {
        self.uint(len as u64);
        for v in items {
            v.put(self);
        }
    }

    pub fn fixed(&mut self, s: &'static str) {
        let i = self.statics.id(s);
        self.uint(u64::from(i));
    }
}

pub struct Reader<'a> {
    pub bytes: &'a [u8],
    pub statics: &'a Statics,
}

impl<'a> Reader<'a> {
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    pub fn uint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uint()?).ok()?;
        // A length can never exceed what is left (every item takes at least one byte).
        (n <= self.bytes.len()).then_some(n)
    }

    pub fn fixed(&mut self) -> Option<&'static str> {
        let i = self.uint()?;
        self.statics.get(i)
    }
}

/// A value with a binary form.
pub trait Code: Sized {
    fn put(&self, w: &mut Writer<'_>);
    fn get(r: &mut Reader<'_>) -> Option<Self>;
}

impl Code for u64 {
    fn put(&self, w: &mut Writer<'_>) {
        w.uint(*self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.uint()
    }
}

impl Code for usize {
    fn put(&self, w: &mut Writer<'_>) {
        w.uint(*self as u64);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        usize::try_from(r.uint()?).ok()
    }
}

impl Code for u16 {
    fn put(&self, w: &mut Writer<'_>) {
        w.uint(u64::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        u16::try_from(r.uint()?).ok()
    }
}

impl Code for u8 {
    fn put(&self, w: &mut Writer<'_>) {
        w.out.push(*self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.byte()
    }
}

impl Code for bool {
    fn put(&self, w: &mut Writer<'_>) {
        w.out.push(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Code for f64 {
    fn put(&self, w: &mut Writer<'_>) {
        w.out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let b: [u8; 8] = r.take(8)?.try_into().ok()?;
        Some(f64::from_le_bytes(b))
    }
}

impl Code for Timestamp {
    fn put(&self, w: &mut Writer<'_>) {
        // Zigzag: small magnitudes of either sign stay short.
        w.uint(((self.0 << 1) ^ (self.0 >> 63)) as u64);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let v = r.uint()?;
        Some(Timestamp(((v >> 1) as i64) ^ -((v & 1) as i64)))
    }
}

impl Code for String {
    fn put(&self, w: &mut Writer<'_>) {
        w.bytes(self.as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = r.count()?;
        let b = r.take(n)?;
        simdutf8::basic::from_utf8(b).ok().map(str::to_owned)
    }
}

impl Code for &'static str {
    fn put(&self, w: &mut Writer<'_>) {
        w.fixed(self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.fixed()
    }
}

impl Code for Cow<'static, str> {
    fn put(&self, w: &mut Writer<'_>) {
        match self {
            Cow::Borrowed(s) => {
                w.out.push(0);
                w.fixed(s);
            }
            Cow::Owned(s) => {
                w.out.push(1);
                s.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.byte()? {
            0 => r.fixed().map(Cow::Borrowed),
            1 => String::get(r).map(Cow::Owned),
            _ => None,
        }
    }
}

impl<T: Code> Code for Option<T> {
    fn put(&self, w: &mut Writer<'_>) {
        match self {
            None => w.out.push(0),
            Some(v) => {
                w.out.push(1);
                v.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => T::get(r).map(Some),
            _ => None,
        }
    }
}

impl<T: Code> Code for Vec<T> {
    fn put(&self, w: &mut Writer<'_>) {
        w.seq(self.len(), self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = r.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::get(r)?);
        }
        Some(v)
    }
}

impl<A: Code, B: Code> Code for (A, B) {
    fn put(&self, w: &mut Writer<'_>) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some((A::get(r)?, B::get(r)?))
    }
}

impl<A: Code, B: Code, C: Code> Code for (A, B, C) {
    fn put(&self, w: &mut Writer<'_>) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some((A::get(r)?, B::get(r)?, C::get(r)?))
    }
}

impl Code for Opcode {
    fn put(&self, w: &mut Writer<'_>) {
        w.out.push(self.0);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.byte().map(Opcode)
    }
}

/// A field-less enum written as one byte: its index in the list given.
macro_rules! one_byte {
    ($t:ident { $($v:ident = $n:literal),* $(,)? }) => {
        impl $crate::codec::Code for $t {
            fn put(&self, w: &mut $crate::codec::Writer<'_>) {
                w.out.push(match self {
                    $( $t::$v => $n, )*
                });
            }
            fn get(r: &mut $crate::codec::Reader<'_>) -> Option<Self> {
                match r.byte()? {
                    $( $n => Some($t::$v), )*
                    _ => None,
                }
            }
        }
    };
}

one_byte!(Role { Client = 0, Server = 1 });
one_byte!(EndKind { Fin = 0, Rst = 1 });

/// Every finding kind, in declaration order: a kind is written as its index here.
const KINDS: [Kind; 29] = [
    Kind::UnmaskedClientFrame,
    Kind::MaskedServerFrame,
    Kind::RsvBitsSet,
    Kind::ReservedOpcode,
    Kind::NonMinimalLength,
    Kind::LengthTopBitSet,
    Kind::ControlFrameTooLong,
    Kind::FragmentedControlFrame,
    Kind::ContinuationWithoutStart,
    Kind::DataFrameInsideFragmentedMessage,
    Kind::InvalidUtf8Text,
    Kind::FrameAfterClose,
    Kind::MalformedClose,
    Kind::InflateFailed,
    Kind::InflateCapHit,
    Kind::InflateStopped,
    Kind::AcceptMismatch,
    Kind::HandshakeInvalid,
    Kind::UpgradeRefused,
    Kind::Gap,
    Kind::OutOfSync,
    Kind::TruncatedMessage,
    Kind::InconsistentRetransmission,
    Kind::DataAfterFin,
    Kind::ImplausibleSegment,
    Kind::BufferCapHit,
    Kind::HandshakeNotCaptured,
    Kind::TlsAlert,
    Kind::TlsStopped,
];

impl Code for Kind {
    fn put(&self, w: &mut Writer<'_>) {
        // Declaration order, which is KINDS' order (the tests check it).
        w.uint(*self as u64);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        KINDS.get(usize::try_from(r.uint()?).ok()?).copied()
    }
}

impl Code for Endpoint {
    fn put(&self, w: &mut Writer<'_>) {
        match self.ip() {
            IpAddr::V4(ip) => {
                w.out.push(4);
                w.out.extend_from_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                w.out.push(6);
                w.out.extend_from_slice(&ip.octets());
            }
        }
        self.port.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let ip = match r.byte()? {
            4 => {
                let b: [u8; 4] = r.take(4)?.try_into().ok()?;
                IpAddr::V4(Ipv4Addr::from(b))
            }
            6 => {
                let b: [u8; 16] = r.take(16)?.try_into().ok()?;
                IpAddr::V6(Ipv6Addr::from(b))
            }
            _ => return None,
        };
        Some(Endpoint::new(ip, u16::get(r)?))
    }
}

/// `Code` for a struct, field by field in the order listed (every field must be listed:
/// the struct literal in `get` does not compile otherwise).
macro_rules! fields {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl $crate::codec::Code for $t {
            fn put(&self, w: &mut $crate::codec::Writer<'_>) {
                $( $crate::codec::Code::put(&self.$f, w); )*
            }
            fn get(r: &mut $crate::codec::Reader<'_>) -> Option<Self> {
                Some($t { $( $f: $crate::codec::Code::get(r)?, )* })
            }
        }
    };
}

pub(crate) use fields;
pub(crate) use one_byte;

/// Encodes `v` at the end of `out`.
pub fn encode<T: Code>(v: &T, statics: &mut Statics, out: &mut Vec<u8>) {
    v.put(&mut Writer { out, statics });
}

/// Decodes one value written by [`encode`] with the same `statics`; `None` unless the
/// bytes hold exactly one.
pub fn decode<T: Code>(bytes: &[u8], statics: &Statics) -> Option<T> {
    let mut r = Reader { bytes, statics };
    let v = T::get(&mut r)?;
    r.bytes.is_empty().then_some(v)
}

impl Code for u32 {
    fn put(&self, w: &mut Writer<'_>) {
        w.uint(u64::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        u32::try_from(r.uint()?).ok()
    }
}

impl<const N: usize> Code for [u8; N] {
    fn put(&self, w: &mut Writer<'_>) {
        w.out.extend_from_slice(self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.take(N)?.try_into().ok()
    }
}

impl<T: Code> Code for Box<T> {
    fn put(&self, w: &mut Writer<'_>) {
        (**self).put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        T::get(r).map(Box::new)
    }
}

impl<T: Code> Code for VecDeque<T> {
    fn put(&self, w: &mut Writer<'_>) {
        w.seq(self.len(), self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Vec::<T>::get(r).map(VecDeque::from)
    }
}

impl<K: Code + Ord, V: Code> Code for BTreeMap<K, V> {
    fn put(&self, w: &mut Writer<'_>) {
        w.uint(self.len() as u64);
        for (k, v) in self {
            k.put(w);
            v.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let n = r.count()?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let k = K::get(r)?;
            m.insert(k, V::get(r)?);
        }
        Some(m)
    }
}

fields!(Finding {
    kind,
    from,
    packet,
    detail,
});
fields!(Findings { items, dropped });
fields!(Stats {
    frames,
    messages,
    text_messages,
    binary_messages,
    compressed_messages,
    pings,
    pongs,
    payload_bytes,
    largest_message,
    last_frame,
    last_ping,
    last_pong,
    largest_frame,
    last_message,
});
fields!(Counters {
    bytes,
    segments,
    retransmissions,
    out_of_order,
    gaps,
    missing_bytes,
    inconsistencies,
    after_fin,
    implausible,
});
fields!(FrameRecord {
    packet,
    ts,
    order,
    from,
    opcode,
    fin,
    rsv,
    masked,
    len,
    detail,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_kind_has_an_index() {
        for k in KINDS {
            let mut s = Statics::default();
            let mut out = Vec::new();
            k.put(&mut Writer {
                out: &mut out,
                statics: &mut s,
            });
            let back = Kind::get(&mut Reader {
                bytes: &out,
                statics: &s,
            });
            assert_eq!(back, Some(k));
        }
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
        assert_eq!(Kind::TlsStopped as usize + 1, KINDS.len());
    }

    #[test]
    fn integers_round_trip_and_bad_bytes_are_refused() {
        let mut s = Statics::default();
        let mut out = Vec::new();
        let values = [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let stamps = [i64::MIN, -1, 0, 1, i64::MAX].map(Timestamp);
        let mut w = Writer {
            out: &mut out,
            statics: &mut s,
        };
        for v in values {
            v.put(&mut w);
        }
        for t in stamps {
            t.put(&mut w);
        }
        let mut r = Reader {
            bytes: &out,
            statics: &s,
        };
        for v in values {
            assert_eq!(u64::get(&mut r), Some(v));
        }
        for t in stamps {
            assert_eq!(Timestamp::get(&mut r), Some(t));
        }
        assert!(r.bytes.is_empty());
        // Eleven continuation bytes: longer than any u64.
        let bad = [0xffu8; 11];
        let mut r = Reader {
            bytes: &bad,
            statics: &s,
        };
        assert_eq!(u64::get(&mut r), None);
        assert!(decode::<crate::report::ConnectionReport>(&[1, 2, 3], &s).is_none());
    }
}
