//! The messages of one direction, handed to the application layer (`crate::app`).
//!
//! In: from the direction's decoder, a data message's start, its payload as the application
//! gets it (unmasked, inflated when compressed; RFC 6455 §5.3, RFC 7692 §7.2), a gap inside
//! it, its end; and each ping and pong. Out: finished messages (as many of their first bytes
//! as the protocol reads, [`Keep`]: at most `app::KEEP`; length, whether anything is
//! missing) and controls, in order, until the session takes them. Only sessions whose
//! application protocol is recognized (or still being sniffed) have a tap, so plain
//! WebSockets pay nothing.

use crate::app::pool::{pooled, recycle};
use crate::app::{Keep, Tapped};
use crate::vocab::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// Messages held before the session takes them (it does after every segment, so a handful).
const MAX_HELD: usize = 64;

/// One direction's tap.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tap {
    /// How much of each message the protocol reads.
    keep: Keep,
    /// The message being received: text, its kept bytes, its length, damaged.
    current: Option<(bool, Vec<u8>, u64, bool)>,
    out: Vec<Tapped>,
    /// Messages dropped because the session did not take them in time.
    pub dropped: u64,
}

impl Tap {
    pub fn new(keep: Keep) -> Tap {
        Tap {
            keep,
            ..Tap::default()
        }
    }

    pub fn start(&mut self, text: bool) {
        if let Some((_, old, _, _)) = self.current.take() {
            recycle(old);
        }
        self.current = Some((text, pooled(), 0, false));
    }

    /// Payload bytes as the application gets them.
    pub fn bytes(&mut self, b: &[u8]) {
        if let Some((text, kept, len, _)) = self.current.as_mut() {
            *len += b.len() as u64;
            // The first two bytes say how much the protocol reads.
            let head = if self.keep.cap(*text, kept) > kept.len() {
                2usize.saturating_sub(kept.len()).min(b.len())
            } else {
                0
            };
            let (first, rest) = b.split_at(head);
            // The cap once those bytes are kept (it reads the first two alone), so that
            // what is kept grows once, not a byte at a time through a few reallocations.
            let mut two = [0u8; 2];
            let mut n = 0;
            for (t, b) in two.iter_mut().zip(kept.iter().chain(first)) {
                *t = *b;
                n += 1;
            }
            let cap = self.keep.cap(*text, two.get(..n).unwrap_or_default());
            let room = cap.saturating_sub(kept.len() + first.len());
            let more = rest.get(..room).unwrap_or(rest);
            kept.reserve_exact(first.len() + more.len());
            kept.extend_from_slice(first);
            kept.extend_from_slice(more);
        }
    }

    /// Whether the message being received still wants bytes (else [`Tap::skip`] counts
    /// them).
    pub fn wants(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|(text, kept, _, _)| kept.len() < self.keep.cap(*text, kept))
    }

    /// `n` bytes of the message that it does not want.
    pub fn skip(&mut self, n: u64) {
        if let Some((_, _, len, _)) = self.current.as_mut() {
            *len += n;
        }
    }

    /// Nothing tapped waits to be taken.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Part of the message is missing (a gap, or it could not be inflated).
    pub fn damaged(&mut self) {
        if let Some(c) = self.current.as_mut() {
            c.3 = true;
        }
    }

    pub fn end(&mut self, packet: u64, ts: Timestamp) {
        if let Some((text, bytes, len, damaged)) = self.current.take() {
            self.push(Tapped::Message {
                text,
                bytes,
                len,
                damaged,
                packet,
                ts,
            });
        }
    }

    /// Nothing more of this direction can be decoded (bytes missing where a frame header
    /// was due): the message in progress, if any, never ends, and the application is told.
    pub fn lost(&mut self, packet: u64) {
        self.current = None;
        self.push(Tapped::Lost { packet });
    }

    pub fn control(&mut self, pong: bool, packet: u64, ts: Timestamp) {
        self.push(Tapped::Control { pong, packet, ts });
    }

    fn push(&mut self, t: Tapped) {
        if self.out.len() >= MAX_HELD {
            self.dropped += 1;
            return;
        }
        self.out.push(t);
    }

    /// Gives `f` what was tapped since the last call.
    pub fn take(&mut self, from: Role, f: &mut impl FnMut(Role, Tapped)) {
        for t in self.out.drain(..) {
            f(from, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socketio_events_are_kept_by_their_first_two_bytes_others_whole() {
        let mut t = Tap::new(Keep::SocketIo);
        let ts = Timestamp(1);
        // An event in three pieces, the first one byte long: two bytes kept, all counted.
        t.start(true);
        t.bytes(b"4");
        assert!(t.wants());
        t.bytes(b"2[\"message\",");
        assert!(!t.wants());
        t.skip(5);
        t.end(7, ts);
        // A DISCONNECT with its namespace, whole; a binary attachment, nothing kept.
        t.start(true);
        t.bytes(b"41/admin,");
        t.end(8, ts);
        t.start(false);
        assert!(!t.wants());
        t.skip(100);
        t.end(9, ts);
        let mut got = Vec::new();
        t.take(Role::Client, &mut |_, m| got.push(m));
        let kept: Vec<(Vec<u8>, u64)> = got
            .into_iter()
            .map(|m| match m {
                Tapped::Message { bytes, len, .. } => (bytes, len),
                Tapped::Control { .. } | Tapped::Lost { .. } => (Vec::new(), 0),
            })
            .collect();
        assert_eq!(
            kept,
            [
                (b"42".to_vec(), 18),
                (b"41/admin,".to_vec(), 9),
                (Vec::new(), 100)
            ]
        );
        // Every other protocol: the first KEEP bytes.
        let mut t = Tap::new(Keep::All);
        t.start(false);
        t.bytes(&[0; 5000]);
        assert!(!t.wants());
        t.end(1, ts);
        t.take(Role::Server, &mut |_, m| {
            assert!(matches!(m, Tapped::Message { bytes, len: 5000, .. } if bytes.len() == crate::app::KEEP));
        });
    }
}
