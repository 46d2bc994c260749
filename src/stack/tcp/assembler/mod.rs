//! One direction of a TCP connection: 64-bit offsets, in-order delivery, a bounded
//! out-of-order queue, and explicit gaps.
//!
//! Invariant: every byte offset below `next` has been delivered exactly once, as `Data` or
//! as part of a `Gap`; `pending` holds only non-overlapping ranges at or above `next`, and
//! never the range starting at `next` itself (that one is delivered at once — holding the
//! next expected bytes back would stall the stream for nothing).
//!
//! Offsets are unwrapped from 32-bit sequence numbers by a signed 32-bit difference against
//! the delivered frontier (RFC 9293 §3.4; reassembly rule 2, `seq`), so streams may cross
//! the 2^32 wrap and exceed 4 GiB. First bytes win (rule 5): among held ranges (`ranges`)
//! and against the last delivered bytes (`tail`).
//!
//! Before the start is known (no SYN yet) the first segments are held, and an ACK of the
//! peer past a hole is held before it becomes a gap: `hold` has both waits and their ends.

mod hold;
mod ranges;
mod tail;
#[cfg(test)]
mod tests;

use super::seq;
use crate::flow::Event;
use crate::vocab::{Counters, Timestamp};
pub use hold::EARLY_MAX_BYTES;
use hold::{Early, Rare};
use ranges::Ranges;
use tail::{Tail, RECENT};

/// Limits on what one direction may hold while waiting for a hole to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Out-of-order bytes held per direction before a gap is forced.
    pub max_pending_bytes: usize,
    /// Out-of-order ranges (holes) held per direction before a gap is forced.
    pub max_pending_ranges: usize,
}

impl Limits {
    /// `max_pending_bytes` by default (`--max-buffer`'s default): 4 MiB, a few round trips
    /// of a fast path's window.
    pub const DEFAULT_MAX_PENDING_BYTES: usize = 4 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending_bytes: Self::DEFAULT_MAX_PENDING_BYTES,
            max_pending_ranges: 1024,
        }
    }
}

/// Its serde form (`serial`, for `freeze`) is every field, the tail as its bytes.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct HalfStream {
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// True when the stream was picked up without its SYN (the start is unknown, not a gap).
    pub partial: bool,
    /// Next offset to deliver.
    next: u64,
    pending: Ranges,
    /// Offset of the FIN (one past the last data byte), once seen.
    fin_at: Option<u64>,
    /// The packet and time of the FIN that set `fin_at`.
    fin_seen: Option<(u64, Timestamp)>,
    fin_delivered: bool,
    pub counters: Counters,
    /// A gap was forced by [`Limits`] at least once.
    pub cap_hit: bool,
    /// The last delivered bytes (at most `RECENT`), contiguous up to `next`.
    recent: Tail,
    /// What few directions need (segments held before the start was known, an ACK past a
    /// hole, the first segment ignored): boxed on first need ([`Rare`]), charged to the
    /// memory budget then ([`HalfStream::heap_bytes`]).
    rare: Option<Box<Rare>>,
    /// What is held ([`HalfStream::held`]) changed since the analyzer last looked (the
    /// memory budget charges it). Not part of the stored form.
    #[serde(skip)]
    pub held_changed: bool,
}

impl HalfStream {
    /// Whether any segment of this direction came (a SYN, data, an ACK, a FIN or an RST
    /// read as a segment), held or not.
    pub fn seen_any(&self) -> bool {
        self.base.is_some() || !self.early().is_empty()
    }

    pub fn new() -> HalfStream {
        HalfStream::default()
    }

    /// The sequence number of the next byte to deliver, once the start is known.
    pub fn next_seq(&self) -> Option<u32> {
        self.base.map(|b| b.wrapping_add(self.next as u32))
    }

    /// The SYN (or SYN/ACK) of this direction: data starts at `isn + 1`. Segments held
    /// because they came before it are delivered by the next `segment` or `release`.
    pub fn syn(&mut self, isn: u32) {
        if self.base.is_none() {
            self.base = Some(isn.wrapping_add(1));
        }
    }

    /// The initial sequence number this direction started from, when its SYN was seen.
    pub fn started(&self) -> bool {
        self.base.is_some()
    }

    /// Offset of the next byte to deliver.
    pub fn frontier(&self) -> u64 {
        self.next
    }

    /// Whether an RST with this sequence number is in window (rule 11). Without a known
    /// start there is nothing to judge by, so it is accepted.
    pub fn accepts_rst(&self, seq: u32) -> bool {
        self.offset_of(seq)
            .is_none_or(|o| (o - self.next as i64).abs() <= seq::RST_WINDOW)
    }

    /// True once the FIN has been reached in order: every byte before it was delivered.
    pub fn fin_reached(&self) -> bool {
        self.fin_delivered
    }

    /// The packet and time of this direction's FIN, once seen.
    pub fn fin_seen(&self) -> Option<(u64, Timestamp)> {
        self.fin_seen
    }

    /// Unwrap a sequence number to a stream offset relative to the frontier.
    fn offset_of(&self, seq: u32) -> Option<i64> {
        let base = self.base?;
        Some(seq::offset(seq, base, self.next))
    }

    /// One segment of this direction. `missing` payload bytes followed `payload` on the wire
    /// but were cut by the snaplen.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        missing: u32,
        fin: bool,
        packet: u64,
        ts: Timestamp,
        limits: &Limits,
        out: &mut impl FnMut(Event<'_>),
    ) {
        if payload.is_empty() && missing == 0 && !fin {
            return;
        }
        if self.base.is_none() {
            // A keep-alive (at most one old byte) says nothing about where data starts
            // (rule 14): wait for real data.
            if payload.len() + missing as usize <= 1 && !fin && self.early().is_empty() {
                return;
            }
            // The SYN may have been captured after this data (a reordered capture): hold
            // the first segments briefly rather than fix the start on them.
            if self.should_hold(seq, payload, limits) {
                let rare = self.rare_mut();
                rare.early_bytes += payload.len();
                rare.early.push(Early {
                    seq,
                    data: payload.to_vec(),
                    missing,
                    fin,
                    packet,
                    ts,
                });
                self.held_changed = true;
                return;
            }
            // Picked up mid-stream (rule 3): start at the lowest byte seen.
            self.release(limits, out);
            if self.base.is_none() {
                self.base = Some(seq);
                self.partial = true;
            }
        } else if !self.early().is_empty() {
            // The SYN came after held segments: they go first.
            self.release(limits, out);
        }
        let Some(start) = self.offset_of(seq) else {
            return;
        };
        let len = payload.len() as i64 + i64::from(missing);
        if start - (self.next as i64) > seq::MAX_AHEAD {
            // Not believed (rule 2): counted and reported, never held.
            self.counters.implausible += 1;
            self.rare_mut().first_implausible.get_or_insert(packet);
            return;
        }
        if let Some(f) = self.fin_at {
            if len > 0 && start >= f as i64 {
                // Nothing follows a FIN (rule 11): count it, decode none of it.
                self.counters.after_fin += 1;
                self.rare_mut().first_after_fin.get_or_insert(packet);
                return;
            }
        }
        self.counters.segments += u64::from(len > 0);
        if fin && self.fin_at.is_none() && start + len >= 0 {
            self.fin_at = Some((start + len) as u64);
            self.fin_seen = Some((packet, ts));
        }
        let next = self.next as i64;
        // A keep-alive re-sends one old byte, often garbage (rule 14): not a retransmission
        // worth comparing.
        let keep_alive = payload.len() == 1 && start == next - 1;
        if len > 0 && start < next && !keep_alive {
            self.compare_with_delivered(start, payload);
        }
        if len > 0 {
            if start + len <= next {
                self.counters.retransmissions += 1;
            } else {
                let skip = (next - start).max(0) as usize;
                if skip > 0 {
                    self.counters.retransmissions += 1;
                }
                let begin = start.max(next) as u64;
                let data = payload.get(skip..).unwrap_or(&[]);
                let cut = if skip > payload.len() {
                    u64::from(missing) - (skip - payload.len()) as u64
                } else {
                    u64::from(missing)
                };
                let end = begin + data.len() as u64;
                let overlaps_held = self.pending.first_start().is_some_and(|held| held < end);
                if begin == self.next && !overlaps_held {
                    // The common case: in order, nothing held in its way. No copy.
                    self.deliver(data, packet, ts, out);
                    if cut > 0 {
                        self.snapped(cut, packet, out);
                    }
                    self.drain(out);
                } else if begin == self.next {
                    // In order, but over bytes already held: those arrived first and win.
                    self.hold(begin, data, packet, ts, false);
                    self.drain(out);
                    if cut > 0 && self.next == end {
                        self.snapped(cut, packet, out);
                        self.drain(out);
                    }
                } else {
                    // Bytes cut by the snaplen in a held segment surface as a gap when the
                    // frontier reaches them.
                    self.hold(begin, data, packet, ts, true);
                    self.enforce(limits, packet, out);
                }
            }
        }
        self.settle_acked();
        self.check_fin();
    }

    /// End of input: deliver everything held, with gaps over the holes.
    pub fn flush(&mut self, out: &mut impl FnMut(Event<'_>)) {
        self.flush_at(None, out);
    }

    /// Deliver everything held because of `packet` (an RST), or at the end (`None`).
    pub fn flush_at(&mut self, packet: Option<u64>, out: &mut impl FnMut(Event<'_>)) {
        // Everything is delivered below: no cap needs to force a gap on the way.
        let unbounded = Limits {
            max_pending_bytes: usize::MAX,
            max_pending_ranges: usize::MAX,
        };
        self.release(&unbounded, out);
        // Holes the peer acknowledged are marked with its ACK, not with `packet`.
        self.declare_acked(out);
        while let Some(first) = self.pending.first_start() {
            if first > self.next {
                self.gap(first - self.next, packet, out);
            }
            self.drain(out);
        }
        if let Some(fin) = self.fin_at {
            if fin > self.next {
                self.gap(fin - self.next, packet, out);
            }
        }
        self.check_fin();
    }

    fn check_fin(&mut self) {
        if let Some(fin) = self.fin_at {
            if self.next >= fin && self.pending.is_empty() {
                self.fin_delivered = true;
            }
        }
    }

    /// A retransmission over delivered bytes: compare what the tail still holds (rule 5).
    fn compare_with_delivered(&mut self, start: i64, payload: &[u8]) {
        let next = self.next as i64;
        let tail_start = next - self.recent.len as i64;
        let lo = start.max(tail_start);
        let hi = (start + payload.len() as i64).min(next);
        if lo >= hi {
            return;
        }
        let Some(new) = payload.get((lo - start) as usize..(hi - start) as usize) else {
            return;
        };
        let differs = self
            .recent
            .iter()
            .skip((lo - tail_start) as usize)
            .zip(new)
            .any(|(old, b)| old != b);
        if differs {
            self.counters.inconsistencies += 1;
        }
    }

    fn deliver(
        &mut self,
        data: &[u8],
        packet: u64,
        ts: Timestamp,
        out: &mut impl FnMut(Event<'_>),
    ) {
        if data.is_empty() {
            return;
        }
        // Keep the last delivered bytes of small segments (close frames, control frames,
        // short messages) to judge later retransmissions over them. A large segment is not
        // copied: that would read every payload byte-cold just in case; retransmissions over
        // it are counted but not compared.
        if data.len() <= RECENT {
            self.recent.push(data);
        } else {
            self.recent.len = 0;
        }
        out(Event::Data {
            offset: self.next,
            bytes: data,
            packet,
            ts,
        });
        self.next += data.len() as u64;
        self.counters.bytes += data.len() as u64;
    }

    fn gap(&mut self, len: u64, packet: Option<u64>, out: &mut impl FnMut(Event<'_>)) {
        self.gap_as(len, packet, false, out);
    }

    /// The last `len` payload bytes of `packet`, cut off by the snap length.
    fn snapped(&mut self, len: u64, packet: u64, out: &mut impl FnMut(Event<'_>)) {
        self.gap_as(len, Some(packet), true, out);
    }

    fn gap_as(
        &mut self,
        len: u64,
        packet: Option<u64>,
        cut: bool,
        out: &mut impl FnMut(Event<'_>),
    ) {
        if len == 0 {
            return;
        }
        self.recent.len = 0;
        out(Event::Gap {
            offset: self.next,
            len,
            packet,
            cut,
        });
        self.next += len;
        self.counters.gaps += 1;
        self.counters.missing_bytes += len;
    }

    /// Deliver held ranges that the frontier has reached.
    fn drain(&mut self, out: &mut impl FnMut(Event<'_>)) {
        while let Some((start, held)) = self.pending.pop_reached(self.next) {
            self.held_changed = true;
            let skip = (self.next - start) as usize;
            if let Some(rest) = held.data.get(skip..) {
                self.deliver(rest, held.packet, held.ts, out);
            }
        }
        self.settle_acked();
    }

    /// Queue bytes that arrived ahead of a hole; bytes already held win (rule 5).
    fn hold(&mut self, start: u64, data: &[u8], packet: u64, ts: Timestamp, out_of_order: bool) {
        if data.is_empty() {
            return;
        }
        self.counters.out_of_order += u64::from(out_of_order);
        self.held_changed = true;
        let found = self.pending.insert(start, data, packet, ts);
        self.counters.inconsistencies += found.inconsistencies;
        if found.overlapped {
            self.counters.retransmissions += 1;
        }
    }

    /// Bytes held while waiting (out of order, or before the start was known), and in how
    /// many ranges: what a memory budget charges this direction for (`analyzer::budget`).
    pub fn held(&self) -> (usize, usize) {
        (
            self.pending.bytes() + self.early_bytes(),
            self.pending.count() + self.early().len(),
        )
    }

    /// The memory budget is spent (`packet` found it so): stop waiting, as a cap does. The
    /// segments held before the start was known are delivered, and every held range after
    /// a gap over the hole before it, so nothing stays held; the bytes of the holes are
    /// missing, never made up. Returns whether anything was held.
    pub fn shed(&mut self, packet: u64, out: &mut impl FnMut(Event<'_>)) -> bool {
        if self.held().0 == 0 {
            return false;
        }
        let none = Limits {
            max_pending_bytes: 0,
            max_pending_ranges: 0,
        };
        self.release(&none, out);
        self.enforce(&none, packet, out);
        self.check_fin();
        true
    }

    /// Over a cap, skip to the oldest held range: make a gap, never drop what is next.
    fn enforce(&mut self, limits: &Limits, packet: u64, out: &mut impl FnMut(Event<'_>)) {
        while self.pending.bytes() > limits.max_pending_bytes
            || self.pending.count() > limits.max_pending_ranges
        {
            let Some(first) = self.pending.first_start() else {
                break;
            };
            self.cap_hit = true;
            self.gap(first - self.next, Some(packet), out);
            self.drain(out);
        }
        self.settle_acked();
    }
}
