//! The last data message each direction sent: its first bytes, for the report's last words.
//!
//! In: from the direction's decoder, every data message's start, its payload as the
//! application gets it (unmasked, inflated when compressed; RFC 6455 §5.3, RFC 7692 §7.2),
//! a gap inside it, its end. Out: the last message's first [`LAST_WORDS`] bytes, its whole
//! length, text or binary, whether part of it is missing or it never ended, and the packet
//! and time of its end (or of its start while it has not ended); and the short message it
//! sent most often again, with when its last few copies ended (an application heartbeat of
//! a protocol wsclose does not know, [`LastWords::beats`]). One buffer per direction,
//! inside its decoder (no allocation), reused from message to message: what it holds is
//! charged to the memory budget (`Stack::head_bytes`), and it is frozen with the decoder.

use crate::app::Recent;
use crate::vocab::Timestamp;
use serde::{Deserialize, Serialize};
use std::hash::BuildHasher as _;

/// Bytes of a direction's last message kept: what the report shows of it (256 characters of
/// ASCII text; the cause quotes 200), and more than an error message a server sends before
/// it ends a session usually takes, so that JSON, CBOR and MessagePack are read whole.
pub const LAST_WORDS: usize = 256;

/// One direction's last data message.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWords {
    /// Its first bytes (at most [`LAST_WORDS`]).
    bytes: Kept,
    /// A message started (else nothing below means anything).
    pub seen: bool,
    /// A text message (else binary).
    pub text: bool,
    /// Its whole length so far.
    pub len: u64,
    /// Part of it is missing from the capture (a gap, or it does not inflate).
    pub damaged: bool,
    /// It ended (its last frame arrived).
    pub ended: bool,
    /// The packet that ended it (or that started it, while it has not ended).
    pub packet: u64,
    /// That packet's time.
    pub ts: Timestamp,
    /// The masking key of the bytes from `mask_at` on, still masked (unmasked only when
    /// read: most messages are followed by another before the end), and the frame payload
    /// offset of the first of them.
    mask: Option<[u8; 4]>,
    mask_at: usize,
    mask_off: u64,
    /// Short messages sent again and again: the two most repeated of late.
    beats: [Beat; 2],
}

/// Bytes a direction's last words may take in all, charged to the memory budget from its
/// decoder's start: the kept message and the two beats (both inside the decoder).
pub const CHARGED: usize = LAST_WORDS + 2 * std::mem::size_of::<Beat>();

/// Messages of at most this many bytes are looked at as beats of a heartbeat.
pub const BEAT_BYTES: usize = 64;

/// One short message that a side sent again and again (an application's heartbeat, such as
/// `{"type":"ping"}`): its hash (with its kind, text or binary), its length, and when the
/// last few of its copies ended.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Beat {
    hash: u64,
    len: u16,
    marks: Recent,
}

/// The first bytes of a message, in place: a buffer inside the decoder (no allocation per
/// decoder, none per message), its bytes in use read as a slice.
#[derive(Clone, PartialEq, Eq)]
struct Kept {
    buf: [u8; LAST_WORDS],
    len: u16,
}

impl Default for Kept {
    fn default() -> Self {
        Kept {
            buf: [0; LAST_WORDS],
            len: 0,
        }
    }
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::ops::Deref for Kept {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl std::ops::DerefMut for Kept {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.buf
            .get_mut(..usize::from(self.len))
            .unwrap_or_default()
    }
}

impl Kept {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// `b` after the bytes kept, as far as there is room.
    #[inline]
    fn extend(&mut self, b: &[u8]) {
        let at = usize::from(self.len);
        let n = b.len().min(LAST_WORDS.saturating_sub(at));
        if let (Some(to), Some(from)) = (self.buf.get_mut(at..at + n), b.get(..n)) {
            to.copy_from_slice(from);
            self.len += n as u16;
        }
    }
}

impl Serialize for Kept {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Kept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kept, D::Error> {
        let b = serde_bytes::ByteBuf::deserialize(d)?;
        if b.len() > LAST_WORDS {
            return Err(serde::de::Error::invalid_length(
                b.len(),
                &"at most LAST_WORDS bytes",
            ));
        }
        let mut k = Kept::default();
        k.extend(&b);
        Ok(k)
    }
}

impl LastWords {
    /// A data message starts at `packet`: it is the last one now.
    #[inline]
    pub fn start(&mut self, text: bool, packet: u64, ts: Timestamp) {
        self.bytes.clear();
        self.seen = true;
        self.text = text;
        self.len = 0;
        self.damaged = false;
        self.ended = false;
        self.packet = packet;
        self.ts = ts;
        self.mask = None;
    }

    /// Whether its next bytes are wanted (fewer than [`LAST_WORDS`] kept).
    #[inline]
    pub fn wants(&self) -> bool {
        self.seen && self.bytes.len() < LAST_WORDS
    }

    /// Payload bytes as the application gets them.
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        // After bytes kept masked (by `raw`), those are unmasked first.
        if self.mask.is_some() {
            self.settle();
        }
        self.keep(b);
    }

    /// Bytes kept as they are.
    #[inline]
    fn keep(&mut self, b: &[u8]) {
        self.len += b.len() as u64;
        // Bytes after a hole are never joined to bytes before it.
        if self.damaged {
            return;
        }
        let room = LAST_WORDS.saturating_sub(self.bytes.len());
        if room == 0 {
            return;
        }
        self.bytes.extend(b.get(..room).unwrap_or(b));
    }

    /// Payload bytes as captured, masked with `mask` from frame payload offset `off` (a
    /// message that is not compressed): kept as they are, unmasked when read.
    #[inline]
    pub fn raw(&mut self, b: &[u8], mask: Option<[u8; 4]>, off: u64) {
        if self.damaged || self.bytes.len() >= LAST_WORDS {
            self.len += b.len() as u64;
            return;
        }
        // Another frame (another key, or not where the masked bytes left off): the bytes
        // kept so far are unmasked first.
        if let Some(key) = self.mask {
            let next = self.mask_off + (self.bytes.len() - self.mask_at) as u64;
            if mask != Some(key) || off != next {
                self.settle();
            }
        }
        if self.mask.is_none() {
            if let Some(key) = mask {
                self.mask = Some(key);
                self.mask_at = self.bytes.len();
                self.mask_off = off;
            }
        }
        self.keep(b);
    }

    /// Unmasks the bytes still masked.
    fn settle(&mut self) {
        if let Some(key) = self.mask.take() {
            if let Some(b) = self.bytes.get_mut(self.mask_at..) {
                crate::websocket::frame::unmask(b, key, self.mask_off);
            }
        }
    }

    /// `n` bytes of the message that were not looked at (past what is kept).
    #[inline]
    pub fn skip(&mut self, n: u64) {
        self.len += n;
    }

    /// Part of the message is missing.
    #[inline]
    pub fn damaged(&mut self) {
        if self.seen {
            self.damaged = true;
        }
    }

    /// The message ended at `packet`.
    #[inline]
    pub fn end(&mut self, packet: u64, ts: Timestamp) {
        if self.seen {
            self.ended = true;
            self.packet = packet;
            self.ts = ts;
            if !self.damaged && self.len <= BEAT_BYTES as u64 {
                self.beat(packet, ts);
            }
        }
    }

    /// A short message that ended whole: counted as a beat of the same message sent before,
    /// or as a new candidate in place of the candidate with fewer beats.
    fn beat(&mut self, packet: u64, ts: Timestamp) {
        self.settle();
        let hash = rustc_hash::FxBuildHasher.hash_one((self.text, &*self.bytes));
        let len = self.bytes.len() as u16;
        let same = |b: &&mut Beat| b.hash == hash && b.len == len && b.marks.added() > 0;
        if let Some(b) = self.beats.iter_mut().find(same) {
            b.marks.add(packet, ts);
            return;
        }
        let [a, b] = &mut self.beats;
        let fewer = if a.marks.added() < b.marks.added() {
            a
        } else {
            b
        };
        *fewer = Beat {
            hash,
            len,
            marks: Recent::default(),
        };
        fewer.marks.add(packet, ts);
    }

    /// The message sent most often again, as a beat (at least twice), with its length:
    /// the side's application heartbeat when its beats came at a steady cadence.
    pub fn beats(&self) -> Option<(u64, &Recent)> {
        let [a, b] = &self.beats;
        let most = if a.marks.added() >= b.marks.added() {
            a
        } else {
            b
        };
        (most.marks.added() >= 2).then_some((u64::from(most.len), &most.marks))
    }

    /// The first bytes kept, unmasked.
    pub fn kept(&self) -> std::borrow::Cow<'_, [u8]> {
        match self.mask {
            None => std::borrow::Cow::Borrowed(&self.bytes),
            Some(_) => {
                let mut c = self.clone();
                c.settle();
                std::borrow::Cow::Owned(c.bytes.to_vec())
            }
        }
    }

    /// Its first bytes (at most `out.len()`), unmasked into `out`: what [`Self::kept`]
    /// begins with, without allocating.
    /// Bytes not masked are not copied.
    pub fn first<'a>(&'a self, out: &'a mut [u8]) -> &'a [u8] {
        let n = out.len().min(self.bytes.len());
        if self.mask.is_none() {
            return self.bytes.get(..n).unwrap_or_default();
        }
        let (Some(o), Some(b)) = (out.get_mut(..n), self.bytes.get(..n)) else {
            return &[];
        };
        o.copy_from_slice(b);
        if let (Some(key), Some(m)) = (self.mask, o.get_mut(self.mask_at..)) {
            crate::websocket::frame::unmask(m, key, self.mask_off);
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_message_replaces_the_one_before_and_keeps_at_most_last_words() {
        let mut l = LastWords::default();
        assert!(!l.wants());
        l.start(true, 3, Timestamp(1));
        l.bytes(b"hello");
        l.end(4, Timestamp(2));
        assert_eq!(
            (&*l.kept(), l.len, l.ended, l.packet),
            (&b"hello"[..], 5, true, 4)
        );
        l.start(false, 5, Timestamp(3));
        l.bytes(&[7; 200]);
        l.bytes(&[8; 200]);
        l.skip(10);
        assert!(!l.wants());
        assert_eq!((l.kept().len(), l.len, l.ended), (LAST_WORDS, 410, false));
        l.damaged();
        assert!(l.damaged);
        // Masked bytes of two frames (two keys), kept as captured, read unmasked.
        let (k1, k2) = ([1, 2, 3, 4], [9, 8, 7, 6]);
        let mut one = *b"hello ";
        crate::websocket::frame::unmask(&mut one, k1, 0);
        let mut two = *b"world";
        crate::websocket::frame::unmask(&mut two, k2, 0);
        l.start(true, 6, Timestamp(4));
        l.raw(&one[..2], Some(k1), 0);
        l.raw(&one[2..], Some(k1), 2);
        l.raw(&two, Some(k2), 0);
        l.end(7, Timestamp(5));
        assert_eq!(&*l.kept(), b"hello world");
        let mut five = [0; 5];
        assert_eq!(l.first(&mut five), b"hello");
        let mut more = [0; 64];
        assert_eq!(l.first(&mut more), b"hello world");
        // Bytes kept masked, then bytes given unmasked (unmasked for another reader): the
        // masked ones are unmasked first, the others kept as they are.
        l.start(true, 8, Timestamp(6));
        l.raw(&one, Some(k1), 0);
        l.bytes(b"world");
        l.end(9, Timestamp(7));
        assert_eq!(&*l.kept(), b"hello world");
    }
}
