//! The last delivered bytes of one direction, kept to compare retransmissions over them
//! (reassembly rule 5: first bytes win, a different copy is an inconsistency).
//!
//! In: each delivery's bytes. Out: the last [`RECENT`] of them, oldest first; stored for
//! `freeze` as their bytes.

use std::borrow::Cow;

/// Delivered bytes kept to compare retransmissions against (close frames fit easily);
/// segments larger than this are not kept.
pub(super) const RECENT: usize = 256;
const _: () = assert!(RECENT <= u16::MAX as usize);

/// The last `RECENT` delivered bytes, in a ring: each delivery copies at most `RECENT`
/// bytes and moves none. Its two positions are `u16`: 260 bytes, not 272, in each direction
/// of every connection.
#[derive(Debug, Clone)]
pub(super) struct Tail {
    buf: [u8; RECENT],
    /// Where the next byte goes.
    end: u16,
    /// How many bytes are valid (at most `RECENT`).
    pub(super) len: u16,
}

impl Default for Tail {
    fn default() -> Tail {
        Tail {
            buf: [0; RECENT],
            end: 0,
            len: 0,
        }
    }
}

impl Tail {
    pub(super) fn push(&mut self, data: &[u8]) {
        let data = data
            .get(data.len().saturating_sub(RECENT)..)
            .unwrap_or_default();
        // The ring from `end` to its end, then from its start: the copy wraps at most once,
        // and what wraps (`data.len() - back.len()` bytes) fits before `end`.
        let end = usize::from(self.end);
        let (front, back) = self.buf.split_at_mut_checked(end).unwrap_or_default();
        let (first, wrapped) = data
            .split_at_checked(back.len().min(data.len()))
            .unwrap_or_default();
        if let Some(dst) = back.get_mut(..first.len()) {
            dst.copy_from_slice(first);
        }
        if let Some(dst) = front.get_mut(..wrapped.len()) {
            dst.copy_from_slice(wrapped);
        }
        // Both below `RECENT` (256), which a u16 holds.
        self.end = ((end + data.len()) % RECENT) as u16;
        self.len = (usize::from(self.len) + data.len()).min(RECENT) as u16;
    }

    /// The tail's bytes, oldest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = &u8> {
        let (older, newer) = self.parts();
        older.iter().chain(newer)
    }

    /// The tail's bytes as two slices, the older first.
    fn parts(&self) -> (&[u8], &[u8]) {
        let len = usize::from(self.len);
        let start = (usize::from(self.end) + RECENT - len) % RECENT;
        let (before, from) = self.buf.split_at_checked(start).unwrap_or_default();
        let older = from.get(..len.min(from.len())).unwrap_or_default();
        let newer = before.get(..len - older.len()).unwrap_or_default();
        (older, newer)
    }
}

/// The stored form of a tail: its bytes, oldest first (the ring's older part, then its
/// newer).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredTail<'a>(
    #[serde(borrow, with = "serde_bytes")] Cow<'a, [u8]>,
    #[serde(borrow, with = "serde_bytes")] Cow<'a, [u8]>,
);

impl serde::Serialize for Tail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (older, newer) = self.parts();
        serde::Serialize::serialize(&StoredTail(Cow::Borrowed(older), Cow::Borrowed(newer)), s)
    }
}

impl<'de> serde::Deserialize<'de> for Tail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Tail, D::Error> {
        let StoredTail(older, newer) = serde::Deserialize::deserialize(d)?;
        let n = older.len() + newer.len();
        if n > RECENT {
            return Err(serde::de::Error::invalid_length(n, &"at most RECENT bytes"));
        }
        let mut t = Tail::default();
        t.push(&older);
        t.push(&newer);
        Ok(t)
    }
}
