//! What one direction holds while a reordered capture may still bring what is missing, and
//! when the wait ends (reassembly rules 3 and 6, RFC 9293 §3.10.7.4).
//!
//! In: segments seen before the start is known, ACKs of the peer past a hole, and the
//! connection's window ending (`release`, `give_up`). Out: the held segments handed to
//! [`HalfStream::segment`], the unacknowledged holes declared gaps.
//!
//! Before the start is known (no SYN yet), the first segments are held, not delivered: a
//! SYN captured just after them (a reordered capture) still sets the start (scenario 10).
//! The hold is short and bounded (rule 3: never wait for a SYN that may never come): it
//! ends at the SYN, at a segment that continues past the held bytes, at `release` (the
//! connection's window: the other direction moving on, an RST, a few packets or a short
//! capture time), at a flush, or beyond [`EARLY_MAX_BYTES`] or 8 segments. Without a SYN,
//! the stream then starts at the lowest held byte and is partial.
//!
//! An ACK from the peer past a hole says the capture lacks those bytes, but in a capture
//! written out of order their segment may still come a few packets later (Wireshark's
//! "ACKed unseen segment"). So the hole is not declared a gap at the ACK: it is held
//! (`acked`) within the same window as above (`give_up`: the connection's window of packets
//! and capture time, the peer moving on with data, FIN or RST), and becomes a gap, marked
//! with the ACK's packet, when that window ends, at a flush, or when a cap forces it; if
//! the bytes arrive first, nothing is missing (reassembly rule 6, scenario 33).

use super::{HalfStream, Limits};
use crate::flow::Event;
use crate::stack::tcp::seq;
use crate::vocab::Timestamp;

/// Bytes held, per direction, while its start is unknown (no SYN yet): a SYN captured
/// just after them may still set the start (rule 3, scenario 10).
pub const EARLY_MAX_BYTES: usize = 64 << 10;

/// Segments held while the start is unknown.
pub(super) const EARLY_MAX_SEGMENTS: usize = 8;

/// What few directions of a connection need, boxed apart from the [`HalfStream`] on first
/// need: most never hold a segment before their start or an ACK past a hole, and never
/// ignore a segment.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Rare {
    /// Segments seen before the start was known, in capture order, held until the SYN
    /// comes, the stream moves on past them, or the caller's window ends (`release`).
    pub(super) early: Vec<Early>,
    pub(super) early_bytes: usize,
    /// An ACK of the peer past a hole, held in case the segment comes later in the capture.
    pub(super) acked: Option<AckedAhead>,
    /// The first packet that carried data after the FIN.
    pub(super) first_after_fin: Option<u64>,
    /// The first packet whose segment lay implausibly far ahead (`MAX_AHEAD`).
    pub(super) first_implausible: Option<u64>,
}

/// The heap a direction's [`Rare`] takes once made, with the allocator's overhead (its
/// held segments are charged apart, as held bytes and ranges: [`HalfStream::held`]).
pub(super) const RARE_BYTES: usize = std::mem::size_of::<Rare>() + 16;

/// A segment seen before this direction's start was known.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Early {
    pub(super) seq: u32,
    #[serde(with = "serde_bytes")]
    pub(super) data: Vec<u8>,
    pub(super) missing: u32,
    pub(super) fin: bool,
    pub(super) packet: u64,
    pub(super) ts: Timestamp,
}

/// The peer acknowledged bytes this direction has not delivered: up to where, and the
/// packet and time of the first ACK past the frontier.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(super) struct AckedAhead {
    upto: u64,
    packet: u64,
    ts: Timestamp,
}

impl HalfStream {
    /// The rare state, made on first need (the memory budget then charges it).
    pub(super) fn rare_mut(&mut self) -> &mut Rare {
        if self.rare.is_none() {
            self.held_changed = true;
        }
        self.rare.get_or_insert_with(Box::default)
    }

    /// The segments held before the start was known.
    pub(super) fn early(&self) -> &[Early] {
        self.rare.as_deref().map_or(&[], |r| &r.early)
    }

    /// Their payload bytes.
    pub(super) fn early_bytes(&self) -> usize {
        self.rare.as_deref().map_or(0, |r| r.early_bytes)
    }

    /// The first packet that carried data after the FIN (counted, not decoded).
    pub fn first_after_fin(&self) -> Option<u64> {
        self.rare.as_deref().and_then(|r| r.first_after_fin)
    }

    /// The first packet whose segment lay implausibly far ahead (counted, ignored).
    pub fn first_implausible(&self) -> Option<u64> {
        self.rare.as_deref().and_then(|r| r.first_implausible)
    }

    /// The heap this direction keeps beside its held bytes: its rare state, once made.
    pub fn heap_bytes(&self) -> usize {
        if self.rare.is_some() {
            RARE_BYTES
        } else {
            0
        }
    }

    /// Whether [`HalfStream::held_since`] may be `Some`: what it reads lives in the rare
    /// state, which most directions never make. One test a packet for both directions
    /// instead of the two lookups of each.
    #[inline]
    pub fn may_hold(&self) -> bool {
        self.rare.is_some()
    }

    /// The packet and time since which this direction waits for bytes a reordered capture
    /// may still hold: the first segment held while the start is unknown, or the first ACK
    /// of the peer past a hole. `None` when it waits for nothing.
    pub fn held_since(&self) -> Option<(u64, Timestamp)> {
        let early = self.early().first().map(|e| (e.packet, e.ts));
        let acked = self
            .rare
            .as_deref()
            .and_then(|r| r.acked)
            .map(|a| (a.packet, a.ts));
        match (early, acked) {
            (Some(e), Some(a)) => Some(e.min(a)),
            (e, a) => e.or(a),
        }
    }

    /// Stop waiting (the connection's window is over): deliver the segments held before the
    /// start was known ([`HalfStream::release`]), and declare the bytes the peer
    /// acknowledged but the capture still lacks a gap, marked with the ACK's packet.
    pub fn give_up(&mut self, limits: &Limits, out: &mut impl FnMut(Event<'_>)) {
        self.release(limits, out);
        self.declare_acked(out);
    }

    /// Stop waiting for a SYN: deliver the segments held before the start was known. If
    /// no SYN came, the stream starts at the lowest of them and is partial (rule 3).
    pub fn release(&mut self, limits: &Limits, out: &mut impl FnMut(Event<'_>)) {
        let Some(rare) = self.rare.as_deref_mut().filter(|r| !r.early.is_empty()) else {
            return;
        };
        let early = std::mem::take(&mut rare.early);
        rare.early_bytes = 0;
        self.held_changed = true;
        if self.base.is_none() {
            let first = early.first().map_or(0, |e| e.seq);
            let lowest = early
                .iter()
                .map(|e| seq::diff(e.seq, first))
                .min()
                .unwrap_or(0);
            self.base = Some(first.wrapping_add(lowest as u32));
            self.partial = true;
        }
        for e in early {
            self.segment(
                e.seq, &e.data, e.missing, e.fin, e.packet, e.ts, limits, out,
            );
        }
    }

    /// Whether a segment arriving before the start is known should wait for a SYN: the
    /// first one does, and so does one that lies before or among those held (earlier bytes
    /// arriving late); one at or past the end of the held bytes shows the stream moving on.
    /// Held bytes stay under [`EARLY_MAX_BYTES`] and [`EARLY_MAX_SEGMENTS`].
    pub(super) fn should_hold(&self, seq: u32, payload: &[u8], limits: &Limits) -> bool {
        // A keep-alive (one old byte) comes from an idle sender, long after its SYN.
        if payload.len() <= 1
            || self.early().len() >= EARLY_MAX_SEGMENTS
            || self.early_bytes().saturating_add(payload.len())
                > EARLY_MAX_BYTES.min(limits.max_pending_bytes)
        {
            return false;
        }
        let Some(first) = self.early().first() else {
            return true;
        };
        let rel = |s: u32| i64::from(seq::diff(s, first.seq));
        let held_end = self
            .early()
            .iter()
            .map(|e| rel(e.seq) + e.data.len() as i64 + i64::from(e.missing))
            .max()
            .unwrap_or(0);
        rel(seq) < held_end
    }

    /// The peer acknowledged everything before `ack` (in `packet`, at `ts`): bytes below it
    /// that the capture does not hold are missing (rule 6, "ACK past a hole") unless their
    /// segment comes later in a capture written out of order. The hole is held until
    /// [`HalfStream::give_up`] (the connection's window), a flush or a cap, then it is a gap.
    pub fn peer_ack(&mut self, ack: u32, packet: u64, ts: Timestamp) {
        let Some(mut acked) = self.offset_of(ack) else {
            return;
        };
        if let Some(fin) = self.fin_at {
            // The FIN takes a sequence number but is not a byte.
            acked = acked.min(fin as i64);
        }
        if acked <= self.next as i64 || acked - (self.next as i64) > seq::MAX_AHEAD {
            return;
        }
        let upto = acked as u64;
        match self.rare.as_deref_mut().and_then(|r| r.acked.as_mut()) {
            Some(a) => a.upto = a.upto.max(upto),
            None => self.rare_mut().acked = Some(AckedAhead { upto, packet, ts }),
        }
    }

    /// Forget an acknowledged hole once the frontier has passed it (its bytes arrived).
    pub(super) fn settle_acked(&mut self) {
        let next = self.next;
        if let Some(r) = self.rare.as_deref_mut() {
            if r.acked.is_some_and(|a| a.upto <= next) {
                r.acked = None;
            }
        }
    }

    /// The bytes below the held ACK that the capture does not hold: gaps now, each marked
    /// with the ACK's packet; bytes held past them are delivered.
    pub(super) fn declare_acked(&mut self, out: &mut impl FnMut(Event<'_>)) {
        let Some(a) = self.rare.as_deref_mut().and_then(|r| r.acked.take()) else {
            return;
        };
        while self.next < a.upto {
            let upto = match self.pending.first_start() {
                Some(first) => a.upto.min(first),
                None => a.upto,
            };
            self.gap(upto - self.next, Some(a.packet), out);
            self.drain(out);
        }
        self.check_fin();
    }
}
