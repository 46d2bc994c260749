//! One direction of a TCP connection: 64-bit offsets, in-order delivery, a bounded
//! out-of-order queue, and explicit gaps.
//!
//! Invariant: every byte offset below `next` has been delivered exactly once, as `Data` or
//! as part of a `Gap`; `pending` holds only non-overlapping ranges at or above `next`, and
//! never the range starting at `next` itself (that one is delivered at once — holding the
//! next expected bytes back would stall the stream for nothing).
//!
//! Offsets are unwrapped from 32-bit sequence numbers by a signed 32-bit difference against
//! the delivered frontier (RFC 9293 §3.4; REASSEMBLY.md rule 2), so streams may cross the
//! 2^32 wrap and exceed 4 GiB. First bytes win (rule 5).
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
//! the bytes arrive first, nothing is missing (REASSEMBLY.md rule 6, scenario 33).
//!
//! Size: over 800 lines, a third of them unit tests (sequence wrap-around, every rule of
//! REASSEMBLY.md this file applies).

use super::{Counters, Event};
use crate::capture::Timestamp;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Limits on what one direction may hold while waiting for a hole to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Out-of-order bytes held per direction before a gap is forced.
    pub max_pending_bytes: usize,
    /// Out-of-order ranges (holes) held per direction before a gap is forced.
    pub max_pending_ranges: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending_bytes: 4 << 20,
            max_pending_ranges: 1024,
        }
    }
}

/// A segment beyond this many bytes past the frontier is not believed (rule 2).
const MAX_AHEAD: i64 = 1 << 30;

/// Delivered bytes kept to compare retransmissions against (close frames fit easily);
/// segments larger than this are not kept.
const RECENT: usize = 256;

/// An RST this far from the frontier is outside any plausible window and ignored (rule 11).
const RST_WINDOW: i64 = 1 << 19;

/// The last `RECENT` delivered bytes, in a ring: each delivery copies at most `RECENT`
/// bytes and moves none.
#[derive(Debug, Clone)]
struct Tail {
    buf: [u8; RECENT],
    /// Where the next byte goes.
    end: usize,
    /// How many bytes are valid (at most `RECENT`).
    len: usize,
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
    fn push(&mut self, data: &[u8]) {
        let data = data
            .get(data.len().saturating_sub(RECENT)..)
            .unwrap_or_default();
        // The ring from `end` to its end, then from its start: the copy wraps at most once,
        // and what wraps (`data.len() - back.len()` bytes) fits before `end`.
        let (front, back) = self.buf.split_at_mut_checked(self.end).unwrap_or_default();
        let (first, wrapped) = data
            .split_at_checked(back.len().min(data.len()))
            .unwrap_or_default();
        if let Some(dst) = back.get_mut(..first.len()) {
            dst.copy_from_slice(first);
        }
        if let Some(dst) = front.get_mut(..wrapped.len()) {
            dst.copy_from_slice(wrapped);
        }
        self.end = (self.end + data.len()) % RECENT;
        self.len = (self.len + data.len()).min(RECENT);
    }

    /// The tail's bytes, oldest first.
    fn iter(&self) -> impl Iterator<Item = &u8> {
        let (older, newer) = self.parts();
        older.iter().chain(newer)
    }

    /// The tail's bytes as two slices, the older first.
    fn parts(&self) -> (&[u8], &[u8]) {
        let start = (self.end + RECENT - self.len) % RECENT;
        let (before, from) = self.buf.split_at_checked(start).unwrap_or_default();
        let older = from.get(..self.len.min(from.len())).unwrap_or_default();
        let newer = before.get(..self.len - older.len()).unwrap_or_default();
        (older, newer)
    }
}

/// Bytes held, per direction, while its start is unknown (no SYN yet): a SYN captured
/// just after them may still set the start (rule 3, scenario 10).
pub const EARLY_MAX_BYTES: usize = 64 << 10;

/// Segments held while the start is unknown.
const EARLY_MAX_SEGMENTS: usize = 8;

/// A segment seen before this direction's start was known.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Early {
    seq: u32,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
    missing: u32,
    fin: bool,
    packet: u64,
    ts: Timestamp,
}

/// The peer acknowledged bytes this direction has not delivered: up to where, and the
/// packet and time of the first ACK past the frontier.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct AckedAhead {
    upto: u64,
    packet: u64,
    ts: Timestamp,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Held {
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
    packet: u64,
    ts: Timestamp,
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
    pending: BTreeMap<u64, Held>,
    pending_bytes: usize,
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
    /// The first packet that carried data after the FIN.
    pub first_after_fin: Option<u64>,
    /// The first packet whose segment lay implausibly far ahead (`MAX_AHEAD`).
    pub first_implausible: Option<u64>,
    /// Segments seen before the start was known, in capture order, held until the SYN
    /// comes, the stream moves on past them, or the caller's window ends (`release`).
    early: Vec<Early>,
    early_bytes: usize,
    /// An ACK of the peer past a hole, held in case the segment comes later in the capture.
    acked: Option<AckedAhead>,
}

impl HalfStream {
    #[cfg(any(test, feature = "internals"))]
    pub fn new() -> HalfStream {
        HalfStream::default()
    }

    /// The SYN (or SYN/ACK) of this direction: data starts at `isn + 1`. Segments held
    /// because they came before it are delivered by the next `segment` or `release`.
    pub fn syn(&mut self, isn: u32) {
        if self.base.is_none() {
            self.base = Some(isn.wrapping_add(1));
        }
    }

    /// The packet and time since which this direction waits for bytes a reordered capture
    /// may still hold: the first segment held while the start is unknown, or the first ACK
    /// of the peer past a hole. `None` when it waits for nothing.
    pub fn held_since(&self) -> Option<(u64, Timestamp)> {
        let early = self.early.first().map(|e| (e.packet, e.ts));
        let acked = self.acked.map(|a| (a.packet, a.ts));
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
        if self.early.is_empty() {
            return;
        }
        let early = std::mem::take(&mut self.early);
        self.early_bytes = 0;
        if self.base.is_none() {
            let first = early.first().map_or(0, |e| e.seq);
            let lowest = early
                .iter()
                .map(|e| e.seq.wrapping_sub(first) as i32)
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
    fn should_hold(&self, seq: u32, payload: &[u8], limits: &Limits) -> bool {
        // A keep-alive (one old byte) comes from an idle sender, long after its SYN.
        if payload.len() <= 1
            || self.early.len() >= EARLY_MAX_SEGMENTS
            || self.early_bytes.saturating_add(payload.len())
                > EARLY_MAX_BYTES.min(limits.max_pending_bytes)
        {
            return false;
        }
        let Some(first) = self.early.first() else {
            return true;
        };
        let rel = |s: u32| i64::from(s.wrapping_sub(first.seq) as i32);
        let held_end = self
            .early
            .iter()
            .map(|e| rel(e.seq) + e.data.len() as i64 + i64::from(e.missing))
            .max()
            .unwrap_or(0);
        rel(seq) < held_end
    }

    /// The initial sequence number this direction started from, when its SYN was seen.
    pub fn started(&self) -> bool {
        self.base.is_some()
    }

    /// Offset of the next byte to deliver.
    #[cfg(any(test, feature = "internals"))]
    pub fn frontier(&self) -> u64 {
        self.next
    }

    /// Whether an RST with this sequence number is in window (rule 11). Without a known
    /// start there is nothing to judge by, so it is accepted.
    pub fn accepts_rst(&self, seq: u32) -> bool {
        self.offset_of(seq)
            .is_none_or(|o| (o - self.next as i64).abs() <= RST_WINDOW)
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
        let frontier_seq = base.wrapping_add(self.next as u32);
        Some(self.next as i64 + i64::from(seq.wrapping_sub(frontier_seq) as i32))
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
            if payload.len() + missing as usize <= 1 && !fin && self.early.is_empty() {
                return;
            }
            // The SYN may have been captured after this data (a reordered capture): hold
            // the first segments briefly rather than fix the start on them.
            if self.should_hold(seq, payload, limits) {
                self.early_bytes += payload.len();
                self.early.push(Early {
                    seq,
                    data: payload.to_vec(),
                    missing,
                    fin,
                    packet,
                    ts,
                });
                return;
            }
            // Picked up mid-stream (rule 3): start at the lowest byte seen.
            self.release(limits, out);
            if self.base.is_none() {
                self.base = Some(seq);
                self.partial = true;
            }
        } else if !self.early.is_empty() {
            // The SYN came after held segments: they go first.
            self.release(limits, out);
        }
        let Some(start) = self.offset_of(seq) else {
            return;
        };
        let len = payload.len() as i64 + i64::from(missing);
        if start - (self.next as i64) > MAX_AHEAD {
            // Not believed (rule 2): counted and reported, never held.
            self.counters.implausible += 1;
            self.first_implausible.get_or_insert(packet);
            return;
        }
        if let Some(f) = self.fin_at {
            if len > 0 && start >= f as i64 {
                // Nothing follows a FIN (rule 11): count it, decode none of it.
                self.counters.after_fin += 1;
                self.first_after_fin.get_or_insert(packet);
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
                let overlaps_held = self
                    .pending
                    .first_key_value()
                    .is_some_and(|(&held, _)| held < end);
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
        if acked <= self.next as i64 || acked - (self.next as i64) > MAX_AHEAD {
            return;
        }
        let upto = acked as u64;
        match &mut self.acked {
            Some(a) => a.upto = a.upto.max(upto),
            None => self.acked = Some(AckedAhead { upto, packet, ts }),
        }
    }

    /// Forget an acknowledged hole once the frontier has passed it (its bytes arrived).
    fn settle_acked(&mut self) {
        if self.acked.is_some_and(|a| a.upto <= self.next) {
            self.acked = None;
        }
    }

    /// The bytes below the held ACK that the capture does not hold: gaps now, each marked
    /// with the ACK's packet; bytes held past them are delivered.
    fn declare_acked(&mut self, out: &mut impl FnMut(Event<'_>)) {
        let Some(a) = self.acked.take() else {
            return;
        };
        while self.next < a.upto {
            let upto = match self.pending.first_key_value() {
                Some((&first, _)) => a.upto.min(first),
                None => a.upto,
            };
            self.gap(upto - self.next, Some(a.packet), out);
            self.drain(out);
        }
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
        while let Some((&first, _)) = self.pending.first_key_value() {
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
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start > self.next {
                break;
            }
            let held = entry.remove();
            self.pending_bytes -= held.data.len();
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
        let end = start + data.len() as u64;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut cur = start;
        let from = self
            .pending
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        let mut overlapped = false;
        for (&k, held) in self.pending.range(from..end) {
            let kend = k + held.data.len() as u64;
            if kend <= cur {
                continue;
            }
            if k > cur {
                pieces.push((cur, k));
            }
            // Compare the overlap [max(k, cur), min(kend, end)).
            let lo = k.max(cur);
            let hi = kend.min(end);
            overlapped = true;
            let old = held.data.get((lo - k) as usize..(hi - k) as usize);
            let new = data.get((lo - start) as usize..(hi - start) as usize);
            if old != new {
                self.counters.inconsistencies += 1;
            }
            cur = kend;
            if cur >= end {
                break;
            }
        }
        if cur < end {
            pieces.push((cur, end));
        }
        if overlapped {
            self.counters.retransmissions += 1;
        }
        for (s, e) in pieces {
            let Some(bytes) = data.get((s - start) as usize..(e - start) as usize) else {
                continue;
            };
            let bytes = bytes.to_vec();
            self.pending_bytes += bytes.len();
            self.pending.insert(
                s,
                Held {
                    data: bytes,
                    packet,
                    ts,
                },
            );
        }
    }

    /// Over a cap, skip to the oldest held range: make a gap, never drop what is next.
    fn enforce(&mut self, limits: &Limits, packet: u64, out: &mut impl FnMut(Event<'_>)) {
        while self.pending_bytes > limits.max_pending_bytes
            || self.pending.len() > limits.max_pending_ranges
        {
            let Some((&first, _)) = self.pending.first_key_value() else {
                break;
            };
            self.cap_hit = true;
            self.gap(first - self.next, Some(packet), out);
            self.drain(out);
        }
        self.settle_acked();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects the stream as bytes with `None` for gap bytes.
    #[derive(Default)]
    struct Sink {
        bytes: Vec<Option<u8>>,
        gaps: Vec<(u64, u64)>,
    }

    impl Sink {
        fn push(&mut self, e: Event<'_>) {
            match e {
                Event::Data { offset, bytes, .. } => {
                    assert_eq!(offset as usize, self.bytes.len(), "data out of order");
                    self.bytes.extend(bytes.iter().map(|&b| Some(b)));
                }
                Event::Gap { offset, len, .. } => {
                    assert_eq!(offset as usize, self.bytes.len(), "gap out of order");
                    self.gaps.push((offset, len));
                    self.bytes.extend(std::iter::repeat_n(None, len as usize));
                }
            }
        }
        fn text(&self) -> String {
            self.bytes
                .iter()
                .map(|b| b.map_or('_', |b| b as char))
                .collect()
        }
    }

    fn seg(h: &mut HalfStream, sink: &mut Sink, seq: u32, data: &[u8]) {
        h.segment(
            seq,
            data,
            0,
            false,
            1,
            Timestamp(0),
            &Limits::default(),
            &mut |e| sink.push(e),
        );
    }

    const ISNS: [u32; 4] = [0, 1, u32::MAX, u32::MAX - 9];

    #[test]
    fn tail_keeps_the_last_recent_bytes_across_wraps() {
        let mut t = Tail::default();
        let mut all: Vec<u8> = Vec::new();
        let mut n = 0u8;
        for size in [0, 1, 7, 100, 255, 256, 3, 250, 300, 1, 129, 128, 256, 17] {
            let piece: Vec<u8> = (0..size)
                .map(|_| {
                    n = n.wrapping_add(1);
                    n
                })
                .collect();
            t.push(&piece);
            all.extend_from_slice(&piece);
            let want = &all[all.len().saturating_sub(RECENT)..];
            assert_eq!(t.iter().copied().collect::<Vec<u8>>(), want, "after {size}");
            assert_eq!(t.len, want.len());
        }
    }

    #[test]
    fn in_order_out_of_order_and_duplicates() {
        for isn in ISNS {
            let mut h = HalfStream::new();
            let mut s = Sink::default();
            h.syn(isn);
            let b = isn.wrapping_add(1);
            seg(&mut h, &mut s, b, b"abc");
            seg(&mut h, &mut s, b.wrapping_add(6), b"ghi");
            assert_eq!(s.text(), "abc");
            seg(&mut h, &mut s, b.wrapping_add(3), b"def");
            assert_eq!(s.text(), "abcdefghi", "isn {isn}");
            seg(&mut h, &mut s, b.wrapping_add(3), b"def");
            // Retransmission reaching past the frontier: only the tail is new.
            seg(&mut h, &mut s, b.wrapping_add(6), b"ghijk");
            assert_eq!(s.text(), "abcdefghijk");
            assert_eq!(h.counters.retransmissions, 2);
            assert!(s.gaps.is_empty());
        }
    }

    #[test]
    fn reversed_segments() {
        for isn in ISNS {
            let mut h = HalfStream::new();
            let mut s = Sink::default();
            h.syn(isn);
            let b = isn.wrapping_add(1);
            let text = b"0123456789abcdefghij";
            for i in (0..10u32).rev() {
                let off = (i * 2) as usize;
                seg(&mut h, &mut s, b.wrapping_add(i * 2), &text[off..off + 2]);
            }
            assert_eq!(s.text().as_bytes(), text);
        }
    }

    #[test]
    fn first_bytes_win_among_held() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        h.syn(100);
        seg(&mut h, &mut s, 105, b"XYZ");
        seg(&mut h, &mut s, 104, b"-xyz-");
        seg(&mut h, &mut s, 101, b"abc");
        assert_eq!(s.text(), "abc-XYZ-");
        assert_eq!(h.counters.inconsistencies, 1);
    }

    #[test]
    fn hole_is_a_gap_at_flush_never_spliced() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        h.syn(0);
        seg(&mut h, &mut s, 1, b"ab");
        seg(&mut h, &mut s, 6, b"fg");
        h.flush(&mut |e| s.push(e));
        assert_eq!(s.text(), "ab___fg");
        assert_eq!(s.gaps, vec![(2, 3)]);
        assert_eq!(h.counters.missing_bytes, 3);
    }

    #[test]
    fn ack_past_hole_is_a_gap_once_the_wait_is_given_up() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        h.syn(0);
        seg(&mut h, &mut s, 1, b"ab");
        seg(&mut h, &mut s, 6, b"fg");
        h.peer_ack(8, 9, Timestamp(5));
        assert_eq!(s.text(), "ab", "held: the segment may come later");
        assert_eq!(h.held_since(), Some((9, Timestamp(5))));
        h.give_up(&Limits::default(), &mut |e| s.push(e));
        assert_eq!(s.text(), "ab___fg");
        assert_eq!(h.held_since(), None);
    }

    #[test]
    fn acked_bytes_arriving_after_the_ack_are_no_gap() {
        for isn in ISNS {
            let mut h = HalfStream::new();
            let mut s = Sink::default();
            h.syn(isn);
            let b = isn.wrapping_add(1);
            seg(&mut h, &mut s, b, b"ab");
            // The ACK of "abcde" is captured before the segment "cde" (Wireshark: "ACKed
            // unseen segment"), and a later ACK reaches further still.
            h.peer_ack(b.wrapping_add(5), 3, Timestamp(1));
            seg(&mut h, &mut s, b.wrapping_add(5), b"fg");
            h.peer_ack(b.wrapping_add(7), 5, Timestamp(2));
            assert_eq!(h.held_since(), Some((3, Timestamp(1))));
            seg(&mut h, &mut s, b.wrapping_add(2), b"cde");
            assert_eq!(s.text(), "abcdefg", "isn {isn}");
            assert_eq!(h.held_since(), None, "nothing left to wait for");
            h.give_up(&Limits::default(), &mut |e| s.push(e));
            h.flush(&mut |e| s.push(e));
            assert!(s.gaps.is_empty());
            assert_eq!(h.counters.gaps, 0);
        }
    }

    #[test]
    fn acked_holes_all_become_gaps_marked_with_the_ack() {
        let mut h = HalfStream::new();
        let mut gaps = Vec::new();
        let mut s = Sink::default();
        h.syn(0);
        seg(&mut h, &mut s, 1, b"a");
        seg(&mut h, &mut s, 4, b"d");
        seg(&mut h, &mut s, 7, b"g");
        h.peer_ack(10, 8, Timestamp(0));
        h.flush(&mut |e| {
            if let Event::Gap { packet, .. } = e {
                gaps.push(packet);
            }
            s.push(e)
        });
        // Every hole below the ACK, the last one after the last held byte too.
        assert_eq!(s.text(), "a__d__g__");
        assert_eq!(gaps, vec![Some(8); 3]);
    }

    #[test]
    fn fin_reached_only_after_all_data() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        h.syn(0);
        h.segment(
            4,
            b"d",
            0,
            true,
            3,
            Timestamp(0),
            &Limits::default(),
            &mut |e| s.push(e),
        );
        assert!(!h.fin_reached());
        seg(&mut h, &mut s, 1, b"abc");
        assert!(h.fin_reached());
        assert_eq!(s.text(), "abcd");
    }

    #[test]
    fn snaplen_cut_becomes_gap() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        h.syn(0);
        let mut cuts = Vec::new();
        h.segment(
            1,
            b"ab",
            3,
            false,
            1,
            Timestamp(0),
            &Limits::default(),
            &mut |e| {
                if let Event::Gap { cut, .. } = e {
                    cuts.push(cut);
                }
                s.push(e)
            },
        );
        seg(&mut h, &mut s, 6, b"f");
        assert_eq!(s.text(), "ab___f");
        assert_eq!(
            cuts,
            vec![true],
            "the gap says it was cut by the snap length"
        );
    }

    #[test]
    fn midstream_pickup_is_partial_not_gap() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        seg(&mut h, &mut s, 5000, b"xy");
        seg(&mut h, &mut s, 5002, b"z");
        assert!(h.partial);
        assert_eq!(s.text(), "xyz");
        assert!(s.gaps.is_empty());
    }

    #[test]
    fn cap_forces_gap_and_keeps_bounded() {
        let limits = Limits {
            max_pending_bytes: 10,
            max_pending_ranges: 100,
        };
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        h.syn(0);
        for i in 0..5u32 {
            h.segment(
                11 + i * 4,
                b"abcd",
                0,
                false,
                1,
                Timestamp(0),
                &limits,
                &mut |e| s.push(e),
            );
        }
        assert!(h.cap_hit);
        assert!(h.pending_bytes <= 10);
        h.flush(&mut |e| s.push(e));
        assert_eq!(s.text(), "__________abcdabcdabcdabcdabcd");
    }

    #[test]
    fn stream_past_4_gib() {
        let mut h = HalfStream::new();
        let mut s_len = 0u64;
        h.syn(u32::MAX - 3);
        let chunk = vec![7u8; 1 << 16];
        let mut seq = (u32::MAX - 3).wrapping_add(1);
        for _ in 0..(1u64 << 16) + 2 {
            h.segment(
                seq,
                &chunk,
                0,
                false,
                1,
                Timestamp(0),
                &Limits::default(),
                &mut |e| {
                    if let Event::Data { offset, bytes, .. } = e {
                        assert_eq!(offset, s_len);
                        s_len += bytes.len() as u64;
                    }
                },
            );
            seq = seq.wrapping_add(1 << 16);
        }
        assert!(s_len > 1 << 32);
        assert_eq!(h.counters.gaps, 0);
    }

    #[test]
    fn data_before_the_syn_is_held_and_released_by_it() {
        for isn in ISNS {
            let mut h = HalfStream::new();
            let mut s = Sink::default();
            let b = isn.wrapping_add(1);
            seg(&mut h, &mut s, b.wrapping_add(3), b"def");
            assert_eq!(s.text(), "", "held while the start is unknown");
            assert!(h.held_since().is_some());
            h.syn(isn);
            h.release(&Limits::default(), &mut |e| s.push(e));
            assert_eq!(s.text(), "", "held out of order behind the SYN's start");
            seg(&mut h, &mut s, b, b"abc");
            assert_eq!(s.text(), "abcdef", "isn {isn}");
            assert!(!h.partial);
            assert!(s.gaps.is_empty());
        }
    }

    #[test]
    fn midstream_segments_reordered_before_the_stream_moves_on_lose_nothing() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        seg(&mut h, &mut s, 5003, b"def");
        seg(&mut h, &mut s, 5000, b"abc");
        assert_eq!(s.text(), "");
        // Past the end of what is held: no SYN is coming, start at the lowest byte.
        seg(&mut h, &mut s, 5006, b"gh");
        assert_eq!(s.text(), "abcdefgh");
        assert!(h.partial);
        assert!(s.gaps.is_empty());
        assert_eq!(h.held_since(), None);
    }

    #[test]
    fn held_data_is_flushed_at_the_end() {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        seg(&mut h, &mut s, 77, b"only");
        assert_eq!(s.text(), "");
        h.flush(&mut |e| s.push(e));
        assert_eq!(s.text(), "only");
        assert!(h.partial);
        assert!(s.gaps.is_empty());
    }

    #[test]
    fn data_held_before_the_start_is_bounded() {
        // Segments that keep going back (each before the last) are held up to the cap;
        // then the lowest held starts the stream, and what comes before it afterwards is
        // before the start (as for any stream picked up mid-way).
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        let n = EARLY_MAX_SEGMENTS as u32 + 3;
        for i in (0..n).rev() {
            seg(&mut h, &mut s, 1000 + i * 2, b"xy");
            assert!(h.early.len() <= EARLY_MAX_SEGMENTS);
        }
        assert_eq!(s.text(), "xy".repeat(EARLY_MAX_SEGMENTS));
        assert!(s.gaps.is_empty());
        assert_eq!(h.counters.bytes, 2 * EARLY_MAX_SEGMENTS as u64);
        assert_eq!(h.counters.retransmissions, 3);
        assert!(h.partial);

        // One large segment is not held at all.
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        let big = vec![b'b'; EARLY_MAX_BYTES + 1];
        seg(&mut h, &mut s, 9, &big);
        assert_eq!(s.bytes.len(), big.len());
        assert!(h.early_bytes <= EARLY_MAX_BYTES);
    }
}
