//! The bytes of a report's stored form: LEB128 varints, eight little-endian bytes for times
//! and seconds, length-prefixed UTF-8 texts, 0/1 option tags, counted lists, and postcard
//! (`serial`) behind a tag for the types written rarely. `form.rs` writes and reads a
//! report's fields with them.

use crate::vocab::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// Bytes appended to a buffer, one field at a time.
pub(super) struct Writer<'a>(pub(super) &'a mut Vec<u8>);

impl Writer<'_> {
    #[inline(always)]
    pub(super) fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    #[inline]
    pub(super) fn bool(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }

    #[inline]
    pub(super) fn fixed(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    pub(super) fn time(&mut self, t: Timestamp) {
        self.fixed(t.0 as u64);
    }

    #[inline]
    pub(super) fn f64(&mut self, v: f64) {
        self.fixed(v.to_bits());
    }

    #[inline]
    pub(super) fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    #[inline]
    pub(super) fn role(&mut self, r: Role) {
        self.bool(r == Role::Server);
    }

    /// A 0/1 tag, then the value if there is one.
    #[inline(always)]
    pub(super) fn opt<T>(&mut self, v: &Option<T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            None => self.0.push(0),
            Some(x) => {
                self.0.push(1);
                f(self, x);
            }
        }
    }

    pub(super) fn opt_u64(&mut self, v: Option<u64>) {
        self.opt(&v, |w, &x| w.u64(x));
    }

    pub(super) fn opt_str(&mut self, v: &Option<String>) {
        self.opt(v, |w, s| w.str(s));
    }

    /// A value of a type written rarely: postcard's form (`serial`).
    pub(super) fn serde<T: Serialize>(&mut self, v: &T) -> Option<()> {
        crate::serial::append(v, self.0)
    }

    /// An option of a type written rarely: the tag, then postcard's form.
    pub(super) fn opt_serde<T: Serialize>(&mut self, v: &Option<T>) -> Option<()> {
        match v {
            None => {
                self.0.push(0);
                Some(())
            }
            Some(x) => {
                self.0.push(1);
                self.serde(x)
            }
        }
    }

    /// A list of a type written rarely: 0 when empty, else 1 and postcard's form.
    pub(super) fn vec_serde<T: Serialize>(&mut self, v: &Vec<T>) -> Option<()> {
        if v.is_empty() {
            self.0.push(0);
            Some(())
        } else {
            self.0.push(1);
            self.serde(v)
        }
    }
}

/// Bytes read from the front of a slice, one field at a time.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    #[inline]
    pub(super) fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    #[inline(always)]
    pub(super) fn u64(&mut self) -> Option<u64> {
        // Most are below 128: one byte, here; the longer ones in a call.
        match self.0.split_first() {
            Some((&b, rest)) if b < 0x80 => {
                self.0 = rest;
                Some(u64::from(b))
            }
            _ => self.long_u64(),
        }
    }

    #[inline(never)]
    pub(super) fn long_u64(&mut self) -> Option<u64> {
        let b = self.byte()?;
        let mut v = u64::from(b & 0x7f);
        if b < 0x80 {
            return Some(v);
        }
        let mut shift = 7;
        loop {
            let b = self.byte()?;
            // The tenth byte holds the top bit only.
            if shift == 63 && b > 1 {
                return None;
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        u16::try_from(self.u64()?).ok()
    }

    pub(super) fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    #[inline]
    pub(super) fn bool(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    #[inline]
    pub(super) fn fixed(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_first_chunk::<8>()?;
        self.0 = rest;
        Some(u64::from_le_bytes(*head))
    }

    pub(super) fn time(&mut self) -> Option<Timestamp> {
        self.fixed().map(|v| Timestamp(v as i64))
    }

    pub(super) fn f64(&mut self) -> Option<f64> {
        self.fixed().map(f64::from_bits)
    }

    /// The next `n` bytes as they are.
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (bytes, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(bytes)
    }

    pub(super) fn str(&mut self) -> Option<&'a str> {
        let n = self.usize()?;
        let bytes = self.0.get(..n)?;
        self.0 = self.0.get(n..)?;
        std::str::from_utf8(bytes).ok()
    }

    pub(super) fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    pub(super) fn role(&mut self) -> Option<Role> {
        self.bool()
            .map(|s| if s { Role::Server } else { Role::Client })
    }

    #[inline(always)]
    pub(super) fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.byte()? {
            0 => Some(None),
            1 => f(self).map(Some),
            _ => None,
        }
    }

    pub(super) fn opt_u64(&mut self) -> Option<Option<u64>> {
        self.opt(Self::u64)
    }

    pub(super) fn opt_u16(&mut self) -> Option<Option<u16>> {
        self.opt(Self::u16)
    }

    pub(super) fn opt_string(&mut self) -> Option<Option<String>> {
        self.opt(Self::string)
    }

    /// A count, then that many values. The room made is bounded by the bytes left (each
    /// value takes one at least), so a damaged count cannot ask for much memory.
    pub(super) fn vec<T>(&mut self, mut f: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let n = self.usize()?;
        if n > self.0.len() {
            return None;
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(f(self)?);
        }
        Some(v)
    }

    pub(super) fn serde<T: Deserialize<'a>>(&mut self) -> Option<T> {
        let (v, rest) = postcard::take_from_bytes(self.0).ok()?;
        self.0 = rest;
        Some(v)
    }

    pub(super) fn opt_serde<T: Deserialize<'a>>(&mut self) -> Option<Option<T>> {
        self.opt(Self::serde)
    }

    pub(super) fn vec_serde<T: Deserialize<'a>>(&mut self) -> Option<Vec<T>> {
        match self.byte()? {
            0 => Some(Vec::new()),
            1 => self.serde(),
            _ => None,
        }
    }
}
