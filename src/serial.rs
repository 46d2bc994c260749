//! The binary form of the analyzer's own state, written and read back only by the process
//! that made it: quiet connections frozen out of memory (`freeze`) and finished reports
//! kept in the report store's temporary file (`report::store`). Never shown to anyone, and
//! no RFC applies. Only those two call it: the stages' types carry serde derives and know
//! nothing of the format. A finished report's common fields are written by hand
//! (`report::store::form`), its rarer parts in this form.
//!
//! In: a value whose type implements serde's `Serialize` (the types derive it; the few
//! whose JSON form differs pick their stored form when the serializer is not
//! human-readable). Out: its postcard bytes (varint integers, zigzag for signed ones,
//! length-prefixed strings, byte strings and lists, one-byte option tags and variant
//! indexes) appended to a buffer; and back, the same value. Texts that come from a fixed
//! table (catalog texts, opcode names, close problems) are written as the code they come
//! from and looked up again on reading, by their types' serde helpers. Reading returns
//! `None` on bytes that are not exactly one value (a bug or a damaged file), never panics.

use postcard::ser_flavors::Flavor;
use serde::{Deserialize, Serialize};

/// Appends `v`'s bytes to `out`. On failure (a type's serde helper refused a value) `out`
/// is left as it was.
pub fn append<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    match postcard::serialize_with_flavor(v, Append(out)) {
        Ok(()) => Some(()),
        Err(_) => {
            out.truncate(start);
            None
        }
    }
}

/// `v`'s bytes, in a new buffer.
pub fn to_vec<T: Serialize + ?Sized>(v: &T) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    append(v, &mut out).map(|()| out)
}

/// Reads one value written by [`append`]; `None` unless `bytes` hold exactly one.
pub fn read<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    let (v, rest) = postcard::take_from_bytes(bytes).ok()?;
    rest.is_empty().then_some(v)
}

/// postcard's output: the end of a caller's buffer.
struct Append<'a>(&'a mut Vec<u8>);

impl Flavor for Append<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        // Most writes are a one-byte varint: pushed, not copied with a call.
        match *data {
            [b] => self.0.push(b),
            _ => self.0.extend_from_slice(data),
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Timestamp;

    #[test]
    fn integers_round_trip_and_bad_bytes_are_refused() {
        let values = vec![0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let stamps = vec![i64::MIN, -1, 0, 1, i64::MAX]
            .into_iter()
            .map(Timestamp)
            .collect::<Vec<_>>();
        let mut out = vec![7u8];
        append(&(&values, &stamps), &mut out).unwrap();
        assert_eq!(out[0], 7, "appended after what was there");
        let back: (Vec<u64>, Vec<Timestamp>) = read(&out[1..]).unwrap();
        assert_eq!(back, (values, stamps));
        // Eleven continuation bytes: longer than any u64.
        assert_eq!(read::<u64>(&[0xff; 11]), None);
        // Trailing bytes: not exactly one value.
        assert_eq!(read::<u64>(&[1, 2]), None);
    }
}
