//! The messages of one direction, handed to the application layer (`crate::app`).
//!
//! In: from the direction's decoder, a data message's start, its payload as the application
//! gets it (unmasked, inflated when compressed; RFC 6455 §5.3, RFC 7692 §7.2), a gap inside
//! it, its end; and each ping and pong. Out: finished messages (their first
//! [`KEEP`] bytes, length, whether anything is missing) and controls, in order,
//! until the session takes them. Only sessions whose application protocol is recognized (or
//! still being sniffed) have a tap, so plain WebSockets pay nothing.

use crate::app::{Tapped, KEEP};
use crate::capture::Timestamp;
use crate::flow::Role;
use serde::{Deserialize, Serialize};

/// Messages held before the session takes them (it does after every segment, so a handful).
const MAX_HELD: usize = 64;

/// One direction's tap.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tap {
    /// The message being received: text, its kept bytes, its length, damaged.
    current: Option<(bool, Vec<u8>, u64, bool)>,
    out: Vec<Tapped>,
    /// Messages dropped because the session did not take them in time.
    pub dropped: u64,
}

impl Tap {
    pub fn start(&mut self, text: bool) {
        self.current = Some((text, Vec::new(), 0, false));
    }

    /// Payload bytes as the application gets them.
    pub fn bytes(&mut self, b: &[u8]) {
        if let Some((_, kept, len, _)) = self.current.as_mut() {
            let room = KEEP.saturating_sub(kept.len());
            kept.extend_from_slice(b.get(..room).unwrap_or(b));
            *len += b.len() as u64;
        }
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
