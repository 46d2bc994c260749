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
//! Memory: a [`Ghost`] (about 60 bytes) per evicted HTTP/2 connection, at most
//! [`MAX_GHOSTS`]; past that, an evicted connection's later packets start a connection of
//! their own, as before.

use super::{tomb, Analyzer};
use crate::decode;
use crate::flow::FlowKey;
use crate::report::UnreadAfterEviction;
use crate::stack::h2::unread::Frames;
use crate::stack::tcp::connection::Connection;
use crate::vocab::Endpoint;

/// Evicted HTTP/2 connections followed at once (about 1 MiB at the most with the table's
/// slots, within what `memory::reserved` sets aside for the program).
pub(super) const MAX_GHOSTS: usize = 16_384;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The client's new streams are counted from its bytes in order: a retransmission adds
    /// nothing and a segment that overlaps only its tail; past a hole the framing is lost
    /// and the client's bytes are said uncounted. Every packet and byte is counted, the
    /// connection once.
    #[test]
    fn a_ghost_counts_in_order_and_says_what_it_could_not_follow() {
        let client = Endpoint::new([10, 0, 0, 2].into(), 40_000);
        let server = Endpoint::new([10, 0, 0, 1].into(), 8080);
        let headers = |id: u32| {
            let mut f = vec![0, 0, 1, 0x1, 0x4];
            f.extend(id.to_be_bytes());
            f.push(0x82);
            f
        };
        let mut g = Ghost {
            client,
            next: Some(1000),
            frames: Some(Frames::new(&[], 0, 3)),
            sent: false,
        };
        let seg = |src, seq, payload| decode::Segment {
            src,
            dst: if src == client { server } else { client },
            seq,
            ..decode::Segment::test(payload)
        };
        let mut u = UnreadAfterEviction::default();
        let (five, seven, nine) = (headers(5), headers(7), headers(9));
        g.count(&seg(client, 1000, &five), &mut u);
        g.count(&seg(server, 7, &[1, 2, 3]), &mut u);
        // A copy of the first, then one that overlaps it and brings stream 7.
        g.count(&seg(client, 1000, &five), &mut u);
        let mut both = five.clone();
        both.extend(&seven);
        g.count(&seg(client, 1000, &both), &mut u);
        assert_eq!(
            (u.streams_opened_at_least, u.streams_uncounted_bytes),
            (2, 0)
        );
        // A hole of 10 bytes before stream 9's HEADERS: not followed from there.
        g.count(&seg(client, 1000 + 20 + 10, &nine), &mut u);
        g.count(&seg(client, 1000 + 20 + 10 + 10, &nine), &mut u);
        assert_eq!(
            (u.streams_opened_at_least, u.streams_uncounted_bytes),
            (2, 20)
        );
        assert_eq!((u.connections, u.packets), (1, 6));
        assert_eq!(u.bytes, 10 + 3 + 10 + 20 + 10 + 10);
    }
}
