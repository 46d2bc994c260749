//! Bytes of one direction that never reached the capture's host, seen there: a segment of
//! this direction arrived beyond bytes never captured (a forward jump in its sequence
//! numbers), and the peer's acknowledgements came to the start of the missing bytes and
//! stayed there to the end (RFC 9293 §3.10.7.4: a receiver acknowledges only what it holds
//! in order; RFC 5681 §4.2: it answers a segment out of order with a duplicate
//! acknowledgement at once, RFC 2018 §4 with a SACK block of the bytes beyond). Whether the
//! peer had acknowledged the bytes before them when the segment beyond came does not
//! matter: a receiver delays its acknowledgements (RFC 9293 §3.8.6.3), and a sender's next
//! message may follow its last at once. A capture that missed packets the peer received
//! shows the peer's acknowledgement pass them; this one shows the peer never had them. On
//! a path MTU black hole, seen from the receiver, the missing bytes are the sender's
//! full-size segments and its smaller ones after them arrive.
//!
//! The peer's SACK blocks (RFC 2018 §4) on an acknowledgement at the hole's start tell
//! the two apart for sure: a block beyond the hole's end shows the later bytes reached the
//! peer while the hole's did not (they died on the path); a block over bytes of the hole
//! shows the peer held bytes the capture lacks (the capture missed them, and the hole is
//! not the path's alone). Without a SACK, the peer's packets after the segment beyond, its
//! acknowledgement still at the hole's start (duplicate ACKs, RFC 5681 §4.2), are the
//! evidence; with no packet of the peer's after it, nothing shows the peer ever lacked the
//! bytes (the capture may have ended first), and no hole is told.
//!
//! In: this direction's segments that jump forward, its packets after, the peer's packets
//! and acknowledgements (with their SACK blocks, read only while a hole is open). Out: the
//! first such hole still open ([`Missing`]). Constant memory: a few numbers, boxed with the
//! direction's other rare state.

use super::super::seq::before;
use crate::vocab::Timestamp;

/// The first hole of a direction (len 0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Hole {
    /// Where the missing bytes start, and how many.
    start: u32,
    len: u32,
    /// This direction's segment that arrived beyond them, and its time.
    packet: u64,
    ts: Timestamp,
    /// This direction's last packet since, and microseconds from `ts` to it (saturating).
    last_packet: u64,
    last_us: u32,
    /// The payload bytes of the segment beyond them (0: an acknowledgement without data,
    /// whose sequence number was past them).
    after_len: u16,
    /// This direction's first packet since that acknowledged new bytes of the peer's (0:
    /// none).
    ack_packet: u64,
    /// The peer's last packet since, whose acknowledgement did not reach the hole's end
    /// (0: none).
    peer_last: u64,
    /// The peer's first packet since whose acknowledgement was at the hole's start and
    /// whose SACK blocks held bytes beyond its end (0: none).
    sack_beyond: u64,
    /// A SACK block of the peer's held bytes of the hole: the capture missed them.
    sack_inside: bool,
}

/// A hole still open: bytes of this direction the peer never acknowledged, with what came
/// after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Missing {
    /// The bytes missing before this direction's segment `packet` (at `ts`).
    pub bytes: u32,
    pub packet: u64,
    pub ts: Timestamp,
    /// That segment's payload bytes (0: an acknowledgement without data, its sequence
    /// number, its sender's next, past them).
    pub after_len: u16,
    /// This direction's last packet, and its time.
    pub last_packet: u64,
    pub last_ts: Timestamp,
    /// This direction's first packet from the segment beyond on that acknowledged new
    /// bytes of the peer's (it crossed the path: the peer did not send them again).
    pub ack_packet: Option<u64>,
    /// The peer's last packet after the hole: its acknowledgement still at the hole's
    /// start.
    pub peer_last: Option<u64>,
    /// The peer's first packet after the hole whose acknowledgement was at its start and
    /// whose SACK blocks held later bytes (RFC 2018 §4): they reached the peer, the
    /// hole's bytes did not.
    pub sacked: Option<u64>,
}

impl Hole {
    /// Whether a hole is open.
    #[inline]
    pub(super) fn open(&self) -> bool {
        self.len != 0
    }

    /// A segment of this direction (`packet` at `ts`, `bytes` of payload) starting at
    /// `seq`, beyond `sent_end` (the end of what was captured before): a hole opens, when
    /// none is (the peer's acknowledgements, later, tell whether it had the bytes).
    pub(super) fn jump(&mut self, sent_end: u32, seq: u32, bytes: u16, packet: u64, ts: Timestamp) {
        if self.open() {
            return;
        }
        *self = Hole {
            start: sent_end,
            len: seq.wrapping_sub(sent_end),
            packet,
            ts,
            last_packet: packet,
            last_us: 0,
            after_len: bytes,
            ack_packet: 0,
            peer_last: 0,
            sack_beyond: 0,
            sack_inside: false,
        };
    }

    /// A packet of this direction after the hole opened; `acked_peer`: it acknowledged new
    /// bytes of the peer's.
    #[inline]
    pub(super) fn own(&mut self, packet: u64, ts: Timestamp, acked_peer: bool) {
        if !self.open() {
            return;
        }
        // (The segment beyond counts: sent after the missing bytes, it crossed.)
        if acked_peer && self.ack_packet == 0 {
            self.ack_packet = packet;
        }
        if packet == self.packet {
            return;
        }
        self.last_packet = packet;
        let us = ts.0.saturating_sub(self.ts.0) / 1000;
        self.last_us = u32::try_from(us.max(0)).unwrap_or(u32::MAX);
    }

    /// A packet of the peer, after any acknowledgement it carried was taken: the hole is
    /// still open when that acknowledgement is at its start.
    #[inline]
    pub(super) fn peer(&mut self, packet: u64) {
        if self.open() {
            self.peer_last = packet;
        }
    }

    /// The peer acknowledged up to `ack`: past the hole's start, it had the bytes (the
    /// capture missed them), and the hole closes.
    #[inline]
    pub(super) fn acked(&mut self, ack: u32) {
        if self.open() && before(self.start, ack) {
            self.len = 0;
        }
    }

    /// The peer's packet `packet` acknowledged up to `ack` with the SACK blocks `blocks`:
    /// at the hole's start, a block beyond the hole's end shows the later bytes reached
    /// the peer; one over the hole's bytes, that the peer held bytes the capture missed.
    /// Blocks are compared by sequence number against the hole's start (wrapping).
    pub(super) fn sack(&mut self, ack: u32, blocks: &super::sack::Blocks, packet: u64) {
        if !self.open() || ack != self.start {
            return;
        }
        for (left, right) in blocks.iter() {
            let (l, r) = (
                left.wrapping_sub(self.start),
                right.wrapping_sub(self.start),
            );
            // A block that is not ahead of the acknowledgement (a D-SACK of bytes already
            // acknowledged, RFC 2883, or nonsense) says nothing of the hole.
            if l == 0 || r <= l || r > i32::MAX as u32 {
                continue;
            }
            if l < self.len {
                self.sack_inside = true;
            } else if self.sack_beyond == 0 {
                self.sack_beyond = packet;
            }
        }
    }

    /// The hole, when still open, the peer's acknowledgement `acked` at its start, the peer
    /// answering after it (a SACK of later bytes, or without one a packet of its own), and
    /// no SACK block of the peer's over its bytes.
    pub(super) fn missing(&self, acked: u32) -> Option<Missing> {
        let answered = self.peer_last != 0 || self.sack_beyond != 0;
        (self.open() && acked == self.start && answered && !self.sack_inside).then_some(Missing {
            bytes: self.len,
            packet: self.packet,
            ts: self.ts,
            after_len: self.after_len,
            last_packet: self.last_packet,
            last_ts: Timestamp(self.ts.0 + i64::from(self.last_us) * 1000),
            ack_packet: (self.ack_packet != 0).then_some(self.ack_packet),
            peer_last: (self.peer_last != 0).then_some(self.peer_last),
            sacked: (self.sack_beyond != 0).then_some(self.sack_beyond),
        })
    }
}
