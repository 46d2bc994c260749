//! HTTP/2 connections evicted while open, followed past their eviction: their later
//! packets are counted, not read, and do not start a new connection.
//!
//! In: the connection evicted (its client's side and framing, `Stack::h2_unread`), then
//! each later packet of its flow. Out: `Seen::unread_after_eviction` (packets, bytes, the
//! streams the client opened: `stack::h2::unread`), and the same counts for the input being
//! read, for its warning. A connection's HPACK tables and streams go with it: picked up
//! again mid-stream, its header blocks could not be decoded and its streams would be in no
//! report, said nowhere. A new connection on the same 4-tuple (a SYN) ends the following.
//!
//! Memory: [`Ghost`] (about 48 bytes) per evicted HTTP/2 connection, at most
//! [`MAX_GHOSTS`]; past that, an evicted connection's later packets start a connection of
//! their own, as before.

use super::{tomb, Analyzer};
use crate::decode::{self, Endpoint};
use crate::flow::FlowKey;
use crate::report::UnreadAfterEviction;
use crate::stack::h2::unread::Frames;
use crate::stack::tcp::connection::Connection;

/// Evicted HTTP/2 connections followed at once (about 3 MiB at the most, within what
/// `memory::reserved` sets aside for the program).
pub(super) const MAX_GHOSTS: usize = 65_536;

/// An evicted HTTP/2 connection, followed.
#[derive(Debug)]
pub(super) struct Ghost {
    /// The client's endpoint, and the sequence number of its next byte.
    client: Endpoint,
    next: Option<u32>,
    /// The client's framing; `None` once it cannot be followed (inside TLS, a hole).
    frames: Option<Frames>,
    /// It sent a packet after its eviction (counted among the connections).
    sent: bool,
}

impl Ghost {
    /// `c`, evicted, if it carried HTTP/2.
    pub(super) fn of(c: &Connection) -> Option<Ghost> {
        let (client, frames) = c.up.h2_unread()?;
        Some(Ghost {
            client: c.ep[client],
            next: c.tcp[client].next_seq(),
            frames,
            sent: false,
        })
    }

    /// One later packet: counted into `u`.
    fn count(&mut self, seg: &decode::Segment<'_>, u: &mut UnreadAfterEviction) {
        if !self.sent {
            self.sent = true;
            u.connections += 1;
        }
        u.packets += 1;
        let len = seg.payload.len();
        u.bytes += len as u64;
        if seg.src != self.client || len == 0 {
            return;
        }
        // What of this segment is new: all of it in order, its tail when it overlaps what
        // came before, nothing when all of it came before.
        let new = match self.next {
            Some(next) => {
                let behind = next.wrapping_sub(seg.seq) as usize;
                if behind == 0 {
                    Some(seg.payload)
                } else if (behind as u32) < (1 << 31) {
                    seg.payload.get(behind..).or(Some(&[]))
                } else {
                    None
                }
            }
            None => None,
        };
        match (new, &mut self.frames) {
            (Some(bytes), Some(frames)) => {
                u.streams_opened_at_least += frames.read(bytes);
                self.next = self.next.map(|n| n.wrapping_add(bytes.len() as u32));
            }
            (Some(bytes), None) => u.streams_uncounted_bytes += bytes.len() as u64,
            // A hole before it: the framing is lost from here.
            (None, _) => {
                self.frames = None;
                u.streams_uncounted_bytes += len as u64;
            }
        }
    }
}

impl Analyzer {
    /// `c` was evicted while open: followed if it carried HTTP/2.
    pub(super) fn follow_evicted(&mut self, key: &FlowKey, c: &Connection) {
        if self.ghosts.len() >= MAX_GHOSTS {
            return;
        }
        if let Some(g) = Ghost::of(c) {
            self.ghosts.insert(tomb(key), g);
        }
    }

    /// A packet of a flow not in memory: true when it belongs to an evicted HTTP/2
    /// connection (counted); a SYN starting a new connection ends the following.
    pub(super) fn unread(&mut self, seg: &decode::Segment<'_>, key: &FlowKey) -> bool {
        let t = tomb(key);
        if seg.syn && !seg.ack_flag {
            self.ghosts.remove(&t);
            return false;
        }
        let Some(g) = self.ghosts.get_mut(&t) else {
            return false;
        };
        let mut u = UnreadAfterEviction::default();
        g.count(seg, &mut u);
        self.unread_input.add(&u);
        self.seen
            .unread_after_eviction
            .get_or_insert_with(Default::default)
            .add(&u);
        true
    }

    /// What evicted HTTP/2 connections carried since the last call (for the warning of
    /// the input being read; `Seen::unread_after_eviction` holds the whole run's).
    pub fn take_unread(&mut self) -> UnreadAfterEviction {
        std::mem::take(&mut self.unread_input)
    }
}
