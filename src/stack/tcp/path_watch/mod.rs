//! What one direction's packets say of the path under it: copies, hops, and data that
//! was never acknowledged.
//!
//! In: every TCP segment of one direction (sequence and acknowledgement numbers, flags,
//! payload, window, the IP TTL or hop limit and IPv4 identification, the interface the
//! capture names) and its time; the peer's acknowledgements. Out:
//! - whether a segment is a copy of one seen moments before ([`PathWatch::copy`]): the same
//!   packet captured again on another interface, or one hop further on (RFC 791 §3.2: a
//!   router lowers the TTL by one; RFC 8200 §3 the hop limit). A copy is one packet: it is
//!   not fed to reassembly, so it is never counted as a retransmission. A retransmission
//!   proper (RFC 9293 §3.8.1) is a new packet: seen again at the same place (interface and
//!   TTL, or, where the capture names no interface, the same hop with nothing else to
//!   tell them apart), with another IPv4 identification, or after the copy window.
//! - the TTLs this direction's packets carried before its first RST, and that RST's own,
//!   to tell a reset its endpoint sent from one a box on the path made up.
//! - a stall: data (or a FIN) sent after the peer's last acknowledgement that advanced,
//!   with its retransmissions; still open at the end, it was never acknowledged. When the
//!   peer answered it with ACKs of a zero window (the one-byte zero-window probes of BSD,
//!   macOS and Windows stacks, RFC 9293 §3.8.6.1), the stall says so: the peer is alive
//!   and reads nothing, the path is not dead.
//! - the peer's last zero-window spell (RFC 9293 §3.8.6.1): its first acknowledgement that
//!   advertised a zero window, this direction's zero-window probes while it lasted (Linux
//!   sends a segment with no data one byte below the acknowledged point, BSD, macOS and
//!   Windows one byte beyond it), and the window update that ended it, if one came.
//! - this direction's TCP keepalive probes while the peer's window is open and nothing of
//!   this direction waits for an acknowledgement (RFC 9293 §3.8.4: a segment one byte below
//!   the acknowledged point, with no data or one byte): the last run of them with no
//!   packet of the peer between, and whether the peer answered ([`keepalive`]).
//! - this direction's first bytes the peer never received ([`hole`]): a segment beyond
//!   bytes never captured (with data, or an acknowledgement whose sequence number is its
//!   sender's next), the peer's acknowledgements coming to their start and staying
//!   there to the end (a receiver's view of its sender's lost segments; a capture that
//!   only missed them shows the peer's acknowledgement pass them, or its SACK blocks
//!   over them, [`sack`]).
//! - the peer's SACK blocks on its duplicate acknowledgements during a stall whose first
//!   segment is the largest in flight and starts at the acknowledged point (the sender's
//!   view of a black hole, RFC 2018 §4): a block of bytes after that segment shows they
//!   reached the peer while it did not; a block over it, that it did.
//!
//! Memory is constant: a ring of [`RING`] recent segment fingerprints and a few numbers.
//! A segment is compared with the ring's slots through one key each (its sequence and
//! acknowledgement numbers folded), all eight at once, so a longer ring costs no more.

use super::seq::before;
use crate::decode::Segment;
use crate::flow::{Side, Sides};
use crate::vocab::{Found, Timestamp};
pub use hole::Missing;
pub use ifaces::{Interfaces, Label};
pub use keepalive::Run as KeepaliveRun;

pub mod hole;
pub mod ifaces;
pub mod keepalive;
pub mod sack;

/// Recent segments remembered per direction: the copies `tcpdump -i any` takes of a
/// packet follow it at once (the kernel forwards it in the same pass), one other packet of
/// the same direction between them at most; a mirror of both ends of a path (a cloud
/// tap on each host) delivers the far end's copy one path delay later, with the packets
/// the sender sent meanwhile between them. Up to seven may come between.
pub const RING: usize = 8;

/// Copies of one packet are at most this far apart (in capture time), and something
/// shows they were taken at different places: another interface, a TTL one lower, the
/// same non-zero IPv4 identification. Linux's least retransmission timeout is 200 ms
/// (`TCP_RTO_MIN`; RFC 6298 §2.4 asks for one second), so a retransmission by timeout
/// never comes sooner.
pub const COPY_WINDOW_NS: i64 = 200_000_000;

/// An interface the capture does not name.
const NO_IFACE: u32 = u32::MAX;

/// One recent segment in 24 bytes: what makes it that packet, and where it was first
/// seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Print {
    seq: u32,
    ack: u32,
    /// A hash of the flags, the window, the payload's length and its first and last 8
    /// bytes, and whether there is an IPv4 identification.
    sample: u32,
    /// Capture time in microseconds, its low 32 bits (compared by wrapping difference).
    us: u32,
    /// Where it was first seen: the interface and TTL.
    iface: u32,
    ip_id: u16,
    ttl: u8,
    /// Times seen (0: an unused slot).
    seen: u8,
}

/// Flags of [`Line::bits`].
const HAS_ACKED: u8 = 1;
const HAS_SENT: u8 = 2;
const HAS_TTL: u8 = 4;
const HAS_ID: u8 = 8;
const STALLED: u8 = 16;
const RESET: u8 = 32;
/// During the stall the peer answered with a zero window at the stall's start: the bytes
/// sent are zero-window probes (RFC 9293 §3.8.6.1), not data a dead path lost.
const WINDOW_SHUT: u8 = 64;
/// The peer's last acknowledgement advertised a zero window: a zero-window spell is open.
const ZERO_OPEN: u8 = 128;

/// What every segment reads or writes, on one cache line: the keys of the recent segments,
/// the peer's highest acknowledgement and this direction's highest sequence number sent, the
/// TTLs of this direction's packets (RSTs aside) and the IPv4 identification of the last.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[repr(C)]
struct Line {
    /// Each slot's [`key`], to compare a segment with all of them at once.
    keys: [u32; RING],
    acked: u32,
    sent_end: u32,
    cand_end: u32,
    last_id: u16,
    ttl_lo: u8,
    ttl_hi: u8,
    bits: u8,
    /// The slot of `prints` the next segment is written to (the least recently written).
    next: u8,
    /// The payload bytes of the largest segment of this direction the peer acknowledged
    /// (up to 65 535), ...
    big: u16,
    /// ... the largest sent since that is larger, not yet acknowledged (where it ends:
    /// `cand_end`, kept above with the other words).
    cand: u16,
    /// The payload bytes of the stall's first segment.
    stall_len: u16,
}

/// The stall, on the next cache line (packet 0: none): what a data segment writes.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[repr(C)]
struct Cold {
    since_packet: u64,
    since_ts: Timestamp,
    retransmissions: u64,
    last_packet: u64,
    last_ts: Timestamp,
    peer_packet: u64,
    peer_ts: Timestamp,
    /// `retransmissions` when the peer last answered with a zero window (see
    /// [`WINDOW_SHUT`]), saturating.
    answered_at: u32,
    /// The time of the peer's last packet during the stall (which did not end it), in
    /// units of 1 024 ns, its low 32 bits (read against `since_ts`: a stall of over 36
    /// minutes reads shorter, never longer); none when `peer_packet` is 0.
    peer_last: u32,
    /// This direction's first packet during the stall that acknowledged new bytes of the
    /// peer's (0: none).
    acked_peer: u64,
}

/// The peer's last zero-window spell (packet 0: none), on its own: only zero windows, the
/// probes during one and the window update that ends one write it.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[repr(C)]
struct Zero {
    since_packet: u64,
    since_ts: Timestamp,
    first_probe: u64,
    last_probe: u64,
    reopen_packet: u64,
    /// Microseconds from the spell's start to the window update (saturating: a spell over
    /// 71 minutes gives no update time).
    reopen_us: u32,
    probes: u16,
    /// The peer's acknowledgements with a zero window after its first.
    answers: u16,
}

/// What few connections ever see, boxed together: the peer's last zero-window spell,
/// this direction's last run of keepalive probes, and its first bytes the peer never
/// received ([`hole`]).
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct Rare {
    zero: Zero,
    keep: keepalive::Keep,
    hole: hole::Hole,
    healed: Healed,
    sack: sack::StallSack,
}

/// A stall that ended: data of this direction sent again and again, unacknowledged, until
/// an acknowledgement of the peer's moved past its start (the path carried it again). The
/// longest of the direction's with at least [`HEALED_RETRANSMISSIONS`] retransmissions
/// (`retransmissions` 0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Healed {
    /// The stall's first segment, when captured.
    pub since_ts: Timestamp,
    /// The acknowledgement that ended it, when captured.
    pub until_ts: Timestamp,
    /// Its retransmissions.
    pub retransmissions: u64,
}

/// Retransmissions a stall that ended needs to be kept ([`PathWatch::healed`]): a lone one
/// is a lost packet; three back off over more than a second (200, 400, 800 ms).
pub const HEALED_RETRANSMISSIONS: u64 = 3;

/// The heap a direction's boxed rare state takes once it is made (a zero window, a
/// keepalive probe, or a segment beyond bytes never captured), with the allocator's overhead: charged to the memory budget on top of
/// the connection's estimate ([`PathWatch::heap_bytes`]).
pub const RARE_BYTES: usize = std::mem::size_of::<Rare>() + 16;

/// The peer's last zero-window spell: its receive buffer was full, its application read
/// nothing (RFC 9293 §3.8.6: a zero window is "no more").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ZeroSpell {
    /// The peer's first acknowledgement with a zero window.
    pub since_packet: u64,
    pub since_ts: Timestamp,
    /// This direction's zero-window probes while it lasted, and the first and last.
    pub probes: u64,
    pub first_probe: Option<u64>,
    pub last_probe: Option<u64>,
    /// The peer's acknowledgements with a zero window after its first (its answers).
    pub answers: u64,
    /// The peer's window update that ended it (it read again), if one came.
    pub reopened: Option<(u64, Timestamp)>,
}

/// The first RST of a direction: its packet, time, and what its IP header carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResetMark {
    pub packet: u64,
    pub ts: Timestamp,
    pub ttl: u8,
    pub ip_id: Option<u16>,
    /// The RST had the ACK flag (a socket answered); without it, it answered a segment
    /// for which the host had no connection (RFC 9293 §3.10.7.1).
    pub ack_flag: bool,
    /// The TTLs of this direction's packets before it (lowest, highest), if any.
    pub before: Option<(u8, u8)>,
    /// The IPv4 identification of this direction's packet before it.
    pub id_before: Option<u16>,
}

/// Data of a direction sent after the peer's last acknowledgement that moved forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stall {
    /// The first segment sent (or sent again) after that acknowledgement.
    pub first_packet: u64,
    pub first_ts: Timestamp,
    /// Segments since that repeated bytes already sent.
    pub retransmissions: u64,
    /// The last segment of the stall, and its time.
    pub last_packet: u64,
    pub last_ts: Timestamp,
    /// The first packet the peer sent after the stall began (that did not end it).
    pub peer_next: Option<(u64, Timestamp)>,
    /// When the peer's last packet during the stall came (it did not end it either: the
    /// peer, alive, still had not acknowledged the stall's start), to the microsecond.
    pub peer_last: Option<Timestamp>,
    /// The peer answered during the stall with an acknowledgement of its start and a zero
    /// window: the peer is alive and its application reads nothing (its receive buffer is
    /// full); what was sent are zero-window probes, not data a dead path lost...
    pub window_shut: bool,
    /// ... up to its last such answer: the retransmissions sent since, unanswered.
    pub since_answer: u64,
    /// The payload bytes of its first segment (up to 65 535).
    pub first_len: u16,
    /// The payload bytes of the largest segment of this direction the peer acknowledged
    /// before it (0: none with data).
    pub largest_acked: u16,
    /// This direction's first packet during it, smaller than its first segment, that
    /// acknowledged new bytes of the peer's.
    pub acked_peer: Option<u64>,
    /// The peer's first acknowledgement at the first segment's start whose SACK blocks held
    /// bytes sent after that segment (RFC 2018 §4: they reached the peer, it did not); read
    /// only when the first segment is the largest in flight and starts at the peer's
    /// acknowledgement.
    pub sacked: Option<u64>,
    /// A SACK block of the peer's held bytes of the first segment: it reached the peer.
    pub sack_over: bool,
}

/// One direction's watch over the path (see the module header): what every segment may
/// touch first, then what copies and resets alone touch. Not aligned to cache lines: the
/// padding made every connection larger and the 1 GB run 3.5 % slower.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct PathWatch {
    line: Line,
    /// The recent segments (the slot a key matched is the one read, the slot written is
    /// the one written).
    prints: [Print; RING],
    cold: Cold,
    /// Boxed: few connections ever see a zero window or a keepalive probe, and every
    /// connection's size is charged to the budget (`analyzer::budget::FLOW_BYTES`).
    rare: Option<Box<Rare>>,
    /// Copies of this direction's packets left out.
    pub copies: u64,
    /// This direction's packets that were captured more than once.
    pub copied: u64,
    /// The interfaces the capture named for this direction's packets (the first four).
    ifaces: [u32; 4],
    n_ifaces: u8,
    /// The peer's acknowledgement of this direction moved forward after its first: the peer
    /// acknowledged bytes of this direction (beyond a SYN), whether or not the capture
    /// holds them.
    acks_moved: bool,
    /// The acknowledgement number this direction's last segment with payload carried (what
    /// of the peer's bytes it had received when it sent its last data: with a WebSocket,
    /// its close frame, after which it sends no data); 0 with none. In the padding before
    /// `reset`.
    payload_ack: u32,
    pub reset: Option<ResetMark>,
}

/// A segment's key in the ring: its sequence and acknowledgement numbers folded into one
/// word (two segments with other numbers may share one; the print tells them apart).
#[inline(always)]
fn key(seg: &Segment<'_>) -> u32 {
    seg.seq ^ seg.ack.rotate_left(16)
}

/// Up to 8 bytes as a number.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut x = 0u64;
    for &b in bytes.iter().take(8) {
        x = x << 8 | u64::from(b);
    }
    x
}

/// The fingerprint of a segment: its flags, window, payload length (with the bytes the
/// capture cut), the payload's first and last 8 bytes, whether it has an IPv4 ID.
#[inline(always)]
fn sample(seg: &Segment<'_>) -> u32 {
    let payload = seg.payload;
    // The four flags as one word (one load where the compiler can).
    let flags = u32::from_le_bytes([
        u8::from(seg.syn),
        u8::from(seg.ack_flag),
        u8::from(seg.fin),
        u8::from(seg.rst),
    ]);
    let flags = u64::from(flags) << 1 | u64::from(seg.ip_id.is_some());
    let n = payload.len() as u64 + u64::from(seg.missing);
    let (head, tail) = match (payload.first_chunk::<8>(), payload.last_chunk::<8>()) {
        (Some(h), Some(t)) => (u64::from_le_bytes(*h), u64::from_le_bytes(*t)),
        _ => (word(payload), 0),
    };
    let x = head ^ tail.rotate_left(23) ^ (n << 40 ^ u64::from(seg.window) << 24 ^ flags);
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

impl PathWatch {
    /// Whether `seg` (at `ts`) is a copy of a packet of this direction seen moments
    /// before (see the module header). A copy is counted here and goes no further; any
    /// other segment is remembered.
    #[inline]
    pub fn copy(&mut self, seg: &Segment<'_>, ts: Timestamp) -> bool {
        let us = (ts.0 / 1000) as u32;
        let iface = seg.iface.unwrap_or(NO_IFACE);
        let id = seg.ip_id.unwrap_or(0);
        let mut print = None;
        // The sequence and acknowledgement numbers tell almost every other segment apart:
        // whether any slot's key is the segment's is one vector compare of all the keys;
        // only then are the slots read.
        let key = key(seg);
        let any = self
            .line
            .keys
            .iter()
            .fold(false, |any, k| any | (*k == key));
        if any {
            for p in self.prints.iter_mut() {
                if p.seq != seg.seq || p.ack != seg.ack || p.seen == 0 {
                    continue;
                }
                let sample = *print.get_or_insert_with(|| sample(seg));
                if p.sample != sample || p.ip_id != id {
                    continue;
                }
                let dt = i64::from(us.wrapping_sub(p.us) as i32).abs() * 1000;
                if dt > COPY_WINDOW_NS {
                    continue;
                }
                let here = p.iface == iface && p.ttl == seg.ttl;
                // Without an interface, another hop or the same non-zero IPv4 ID tells a
                // copy; nothing else does (an IPv6 packet or an IPv4 ID of 0 seen again at
                // the same hop may be the sender's own retransmission, and stays one).
                let is_copy = if iface != NO_IFACE {
                    !here
                } else {
                    p.ttl != seg.ttl || id != 0
                };
                if !is_copy {
                    break;
                }
                if p.seen == 1 {
                    self.copied += 1;
                }
                p.seen = p.seen.saturating_add(1);
                self.copies += 1;
                self.note_iface(iface);
                return true;
            }
        }
        // The slot: the least recently written.
        let slot = usize::from(self.line.next);
        self.line.next = ((slot + 1) % RING) as u8;
        if let Some(k) = self.line.keys.get_mut(slot) {
            *k = key;
        }
        if let Some(p) = self.prints.get_mut(slot) {
            *p = Print {
                seq: seg.seq,
                ack: seg.ack,
                sample: print.unwrap_or_else(|| sample(seg)),
                us,
                iface,
                ip_id: id,
                ttl: seg.ttl,
                seen: 1,
            };
        }
        if iface != NO_IFACE {
            self.note_iface(iface);
        }
        false
    }

    /// The interfaces the capture named for this direction's packets (the first four).
    pub fn ifaces(&self) -> &[u32] {
        self.ifaces
            .get(..usize::from(self.n_ifaces))
            .unwrap_or_default()
    }

    #[inline]
    fn note_iface(&mut self, iface: u32) {
        let n = usize::from(self.n_ifaces);
        if iface != NO_IFACE && n < self.ifaces.len() && !self.ifaces().contains(&iface) {
            if let Some(slot) = self.ifaces.get_mut(n) {
                *slot = iface;
                self.n_ifaces += 1;
            }
        }
    }

    /// A packet of this direction that is not a copy: its TTL and identification, or,
    /// for its first RST, the mark that compares them with those before.
    #[inline]
    pub fn own(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp) {
        let l = &mut self.line;
        if l.bits & RESET != 0 {
            return;
        }
        if seg.rst {
            l.bits |= RESET;
            self.reset = Some(ResetMark {
                packet,
                ts,
                ttl: seg.ttl,
                ip_id: seg.ip_id,
                ack_flag: seg.ack_flag,
                before: (l.bits & HAS_TTL != 0).then_some((l.ttl_lo, l.ttl_hi)),
                id_before: (l.bits & HAS_ID != 0).then_some(l.last_id),
            });
            return;
        }
        if l.bits & HAS_TTL != 0 {
            l.ttl_lo = l.ttl_lo.min(seg.ttl);
            l.ttl_hi = l.ttl_hi.max(seg.ttl);
        } else {
            (l.ttl_lo, l.ttl_hi) = (seg.ttl, seg.ttl);
            l.bits |= HAS_TTL;
        }
        match seg.ip_id {
            Some(id) => {
                l.last_id = id;
                l.bits |= HAS_ID;
            }
            None => l.bits &= !HAS_ID,
        }
    }

    /// A segment this direction sent (not a copy, not an RST): new bytes, or bytes sent
    /// again, for the stall.
    #[inline]
    pub fn sent(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp) {
        if seg.syn || seg.rst {
            return;
        }
        let len = seg.payload.len() as u32 + seg.missing + u32::from(seg.fin);
        if len == 0 {
            // An acknowledgement without data carries its sender's SND.NXT (RFC 9293
            // §3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>): past the captured bytes, it
            // shows bytes sent before it that the capture does not hold (Linux keeps
            // SND.NXT through its retransmissions by timeout).
            let l = &self.line;
            if seg.ack_flag && l.bits & HAS_SENT != 0 && before(l.sent_end, seg.seq) {
                let at = l.sent_end;
                self.jump(at, seg.seq, 0, packet, ts);
            }
            return;
        }
        let l = &mut self.line;
        let end = seg.seq.wrapping_add(len);
        let again = l.bits & HAS_SENT != 0 && before(seg.seq, l.sent_end);
        let bytes = u16::try_from(seg.payload.len() as u32 + seg.missing).unwrap_or(u16::MAX);
        if !again && bytes > l.big && bytes > l.cand {
            (l.cand, l.cand_end) = (bytes, end);
        }
        if l.bits & HAS_SENT != 0 && before(l.sent_end, seg.seq) {
            // Beyond bytes never captured, whether or not the peer had acknowledged all
            // before them yet (a receiver delays its ACK, RFC 9293 §3.8.6.3, and a sender's
            // next message may follow its last at once): its acknowledgements will tell.
            let at = l.sent_end;
            self.jump(at, seg.seq, bytes, packet, ts);
        }
        let l = &mut self.line;
        if l.bits & STALLED != 0 {
            let c = &mut self.cold;
            c.retransmissions += u64::from(again);
            c.last_packet = packet;
            c.last_ts = ts;
        } else if !(again && l.bits & HAS_ACKED != 0 && !before(l.acked, end)) {
            // (Bytes the peer already acknowledged, sent again, start no stall.)
            l.bits = (l.bits | STALLED) & !WINDOW_SHUT;
            l.stall_len = bytes;
            self.cold = Cold {
                since_packet: packet,
                since_ts: ts,
                retransmissions: u64::from(again),
                last_packet: packet,
                last_ts: ts,
                peer_packet: 0,
                peer_ts: Timestamp::default(),
                answered_at: 0,
                peer_last: 0,
                acked_peer: 0,
            };
        }
        if l.bits & HAS_SENT == 0 || before(l.sent_end, end) {
            l.sent_end = end;
            l.bits |= HAS_SENT;
        }
    }

    /// A segment beyond bytes never captured (see [`hole`]): rare, kept out of line.
    #[cold]
    #[inline(never)]
    fn jump(&mut self, at: u32, seq: u32, bytes: u16, packet: u64, ts: Timestamp) {
        self.rare
            .get_or_insert_with(Box::default)
            .hole
            .jump(at, seq, bytes, packet, ts);
    }

    /// The peer acknowledged everything before `ack`: a stall ends when it moves forward.
    /// Whether it moved forward.
    #[inline]
    pub fn acked(&mut self, ack: u32) -> bool {
        let l = &mut self.line;
        let had = l.bits & HAS_ACKED != 0;
        let moved = !had || before(l.acked, ack);
        self.acks_moved |= moved && had;
        if moved {
            l.acked = ack;
            l.bits = (l.bits | HAS_ACKED) & !(STALLED | WINDOW_SHUT);
            if l.cand != 0 && !before(ack, l.cand_end) {
                (l.big, l.cand) = (l.cand, 0);
            }
            if let Some(r) = self.rare.as_deref_mut() {
                r.hole.acked(ack);
            }
        }
        moved
    }

    /// The peer's acknowledgement `ack` (packet `packet` at `ts`) advertised `window`:
    /// during a stall, one at the stall's start with a zero window shows a peer that is
    /// alive but takes nothing more (the bytes sent are zero-window probes); one with an
    /// open window (a window update) takes that back. A zero window opens a zero-window
    /// spell (or answers within one); an open window ends one.
    #[inline]
    pub fn window(&mut self, ack: u32, window: u16, packet: u64, ts: Timestamp) {
        let l = &mut self.line;
        if l.bits & STALLED != 0 && l.bits & HAS_ACKED != 0 && l.acked == ack {
            if window == 0 {
                l.bits |= WINDOW_SHUT;
                self.cold.answered_at =
                    u32::try_from(self.cold.retransmissions).unwrap_or(u32::MAX);
            } else {
                l.bits &= !WINDOW_SHUT;
            }
        }
        if window == 0 {
            if l.bits & ZERO_OPEN == 0 {
                l.bits |= ZERO_OPEN;
                self.rare.get_or_insert_with(Box::default).zero = Zero {
                    since_packet: packet,
                    since_ts: ts,
                    ..Zero::default()
                };
            } else if let Some(z) = self.rare.as_deref_mut().map(|r| &mut r.zero) {
                z.answers = z.answers.saturating_add(1);
            }
        } else if l.bits & ZERO_OPEN != 0 {
            l.bits &= !ZERO_OPEN;
            if let Some(z) = self.rare.as_deref_mut().map(|r| &mut r.zero) {
                z.reopen_packet = packet;
                let us = ts.since(z.since_ts) * 1e6;
                z.reopen_us = if us < f64::from(u32::MAX) {
                    us.max(0.0) as u32
                } else {
                    u32::MAX
                };
            }
        }
    }

    /// A segment of this direction during the peer's zero-window spell: a zero-window
    /// probe when it carries at most one byte (no FIN) and starts one byte below the
    /// acknowledged point (Linux's probe without data) or at it (a byte beyond the window).
    #[inline]
    fn probe(&mut self, seg: &Segment<'_>, packet: u64) {
        let l = &self.line;
        let len = seg.payload.len() as u64 + u64::from(seg.missing);
        if seg.fin || seg.syn || len > 1 || l.bits & HAS_ACKED == 0 {
            return;
        }
        let at = if len == 0 {
            l.acked.wrapping_sub(1)
        } else {
            l.acked
        };
        if let Some(z) = self
            .rare
            .as_deref_mut()
            .map(|r| &mut r.zero)
            .filter(|_| seg.seq == at)
        {
            if z.probes == 0 {
                z.first_probe = packet;
            }
            z.probes = z.probes.saturating_add(1);
            z.last_probe = packet;
        }
    }

    /// The peer's last zero-window spell, if it advertised a zero window at all.
    pub fn zero_spell(&self) -> Option<ZeroSpell> {
        let z = &self.rare.as_deref()?.zero;
        (z.since_packet != 0).then_some(ZeroSpell {
            since_packet: z.since_packet,
            since_ts: z.since_ts,
            probes: u64::from(z.probes),
            first_probe: (z.probes > 0).then_some(z.first_probe),
            last_probe: (z.probes > 0).then_some(z.last_probe),
            answers: u64::from(z.answers),
            reopened: (self.line.bits & ZERO_OPEN == 0 && z.reopen_us != u32::MAX).then_some((
                z.reopen_packet,
                Timestamp(z.since_ts.0 + i64::from(z.reopen_us) * 1000),
            )),
        })
    }

    /// A packet of the peer (not a copy) that did not end the stall: it also answers this
    /// direction's last keepalive probe.
    #[inline]
    pub fn peer_sent(&mut self, packet: u64, ts: Timestamp) {
        if self.line.bits & STALLED != 0 {
            let c = &mut self.cold;
            if c.peer_packet == 0 {
                c.peer_packet = packet;
                c.peer_ts = ts;
            }
            c.peer_last = (ts.0 >> 10) as u32;
        }
        if let Some(r) = self.rare.as_deref_mut() {
            r.keep.peer(packet);
            r.hole.peer(packet);
        }
    }

    /// A segment of this direction while the peer's window is open: a keepalive probe when
    /// it carries at most one byte (no SYN or FIN), starts one byte below the peer's
    /// acknowledged point, and nothing of this direction waits for an acknowledgement.
    #[inline]
    fn keepalive(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp) {
        let l = &self.line;
        if l.bits & HAS_ACKED == 0 || seg.seq != l.acked.wrapping_sub(1) {
            return;
        }
        let len = seg.payload.len() as u64 + u64::from(seg.missing);
        let waiting =
            l.bits & STALLED != 0 || (l.bits & HAS_SENT != 0 && before(l.acked, l.sent_end));
        if seg.fin || seg.syn || len > 1 || waiting {
            return;
        }
        self.rare
            .get_or_insert_with(Box::default)
            .keep
            .probe(packet, ts, len as u8);
    }

    /// The heap this direction's path watch holds beyond itself: its rare state's box, once
    /// a zero window or a keepalive probe made it.
    #[inline]
    pub fn heap_bytes(&self) -> usize {
        if self.rare.is_some() {
            RARE_BYTES
        } else {
            0
        }
    }

    /// This direction's last run of keepalive probes, if it sent any.
    pub fn keepalive_run(&self) -> Option<KeepaliveRun> {
        self.rare.as_deref()?.keep.run()
    }

    /// The longest stall of this direction that ended, with at least
    /// [`HEALED_RETRANSMISSIONS`] retransmissions (a path that stopped carrying it and
    /// carried it again), if any.
    pub fn healed(&self) -> Option<Healed> {
        self.rare
            .as_deref()
            .map(|r| r.healed)
            .filter(|h| h.retransmissions > 0)
    }

    /// The stall open until the acknowledgement at `ts` ended it: kept when it is the
    /// longest with enough retransmissions. Rare: kept out of line.
    #[cold]
    #[inline(never)]
    fn heal(&mut self, ts: Timestamp) {
        let c = self.cold;
        if c.retransmissions < HEALED_RETRANSMISSIONS {
            return;
        }
        let r = self.rare.get_or_insert_with(Box::default);
        let h = &mut r.healed;
        if h.retransmissions == 0 || ts.since(c.since_ts) > h.until_ts.since(h.since_ts) {
            *h = Healed {
                since_ts: c.since_ts,
                until_ts: ts,
                retransmissions: c.retransmissions,
            };
        }
    }

    /// The stall still open, if any (made only when there is one: every connection's end
    /// asks, few have one).
    pub fn stall(&self) -> Option<Stall> {
        if self.line.bits & STALLED == 0 {
            return None;
        }
        let c = &self.cold;
        let sack = self.stall_sack();
        Some(Stall {
            first_packet: c.since_packet,
            first_ts: c.since_ts,
            retransmissions: c.retransmissions,
            last_packet: c.last_packet,
            last_ts: c.last_ts,
            peer_next: (c.peer_packet != 0).then_some((c.peer_packet, c.peer_ts)),
            window_shut: self.line.bits & WINDOW_SHUT != 0,
            since_answer: c.retransmissions - u64::from(c.answered_at).min(c.retransmissions),
            peer_last: (c.peer_packet != 0).then(|| {
                let units = c.peer_last.wrapping_sub((c.since_ts.0 >> 10) as u32) as i32;
                Timestamp(c.since_ts.0 + (i64::from(units.max(0)) << 10))
            }),
            first_len: self.line.stall_len,
            acked_peer: (c.acked_peer != 0).then_some(c.acked_peer),
            largest_acked: self.line.big,
            sacked: sack.map(|k| k.beyond).filter(|p| *p != 0),
            sack_over: sack.is_some_and(|k| k.over),
        })
    }

    /// Whether the peer's acknowledgement of this direction moved forward after its first
    /// (the peer took bytes of this direction, captured or not).
    pub fn acks_moved(&self) -> bool {
        self.acks_moved
    }

    /// The acknowledgement number this direction's last segment with payload carried, and
    /// the peer's last acknowledgement of this direction's bytes (RFC 9293 §3.4): with a
    /// capture of one direction, how many bytes the other direction sent after this one's
    /// last data is the difference of the other direction's `acked` and this one's
    /// `payload_ack`.
    pub fn payload_ack(&self) -> Option<u32> {
        (self.payload_ack != 0).then_some(self.payload_ack)
    }

    /// The peer's last acknowledgement of this direction (everything before it), if any.
    pub fn acked_end(&self) -> Option<u32> {
        (self.line.bits & HAS_ACKED != 0).then_some(self.line.acked)
    }

    /// Whether the peer ever acknowledged this direction's bytes (its SYN included).
    pub fn was_acknowledged(&self) -> bool {
        self.line.bits & HAS_ACKED != 0
    }

    /// This direction's first bytes the peer never received, when they are still missing at
    /// the end (the peer's acknowledgement at their start): see [`hole`].
    pub fn missing(&self) -> Option<Missing> {
        let l = &self.line;
        if l.bits & HAS_ACKED == 0 {
            return None;
        }
        self.rare.as_deref()?.hole.missing(l.acked)
    }

    /// The lowest and highest TTL (or hop limit) of this direction's packets before its first
    /// RST, if it had any.
    pub fn ttls(&self) -> Option<(u8, u8)> {
        let l = &self.line;
        (l.bits & HAS_TTL != 0).then_some((l.ttl_lo, l.ttl_hi))
    }

    /// The payload bytes of the largest segment of this direction that carried new bytes
    /// (up to 65 535; the peer's acknowledgements do not matter).
    pub fn largest_sent(&self) -> u16 {
        self.line.big.max(self.line.cand)
    }

    /// The stall still open: data never acknowledged, with at least `min` retransmissions.
    pub fn unacknowledged(&self, min: u64) -> Option<Stall> {
        self.stall().filter(|s| s.retransmissions >= min)
    }
}

/// A segment of side `s` that is not a copy, in a connection whose bytes are decoded:
/// what it tells of its own direction (TTL and identification, data sent) and of the
/// peer's (an acknowledgement, a packet during its stall). An RST is taken by
/// [`PathWatch::own`] alone, once accepted.
#[inline(always)]
pub fn segment(
    path: &mut Sides<PathWatch>,
    s: Side,
    seg: &Segment<'_>,
    packet: u64,
    ts: Timestamp,
) {
    let (me, peer) = path.pair_mut(s);
    let mut took = false;
    if !seg.rst {
        me.own(seg, packet, ts);
        if me.line.bits & ZERO_OPEN != 0 {
            me.probe(seg, packet);
        } else {
            me.keepalive(seg, packet, ts);
        }
        me.sent(seg, packet, ts);
        if seg.ack_flag && !seg.payload.is_empty() {
            me.payload_ack = seg.ack;
        }
        if seg.ack_flag {
            // (During a stall, a packet smaller than the stall's first segment that
            // acknowledges the peer's new bytes: whether such packets still get through.)
            let stalled = peer.line.bits & STALLED != 0;
            took = peer.acked(seg.ack);
            if took && stalled && peer.cold.retransmissions >= HEALED_RETRANSMISSIONS {
                peer.heal(ts);
            }
            if took
                && me.line.bits & STALLED != 0
                && me.cold.acked_peer == 0
                && seg.payload.len() < usize::from(me.line.stall_len)
            {
                me.cold.acked_peer = packet;
            }
            // (A SYN's window is not scaled: it opens no spell and ends none.)
            if !seg.syn {
                peer.window(seg.ack, seg.window, packet, ts);
            }
            // A duplicate acknowledgement during the peer's stall: its SACK blocks.
            if !took
                && peer.line.bits & (STALLED | HAS_ACKED) == STALLED | HAS_ACKED
                && peer.line.acked == seg.ack
                && !seg.options.is_empty()
            {
                peer.stall_sack_read(seg.options, packet);
            }
            // The SACK blocks, read only while the peer's direction has a hole open.
            if let Some(r) = peer.rare.as_deref_mut() {
                if r.hole.open() && !seg.options.is_empty() {
                    r.hole.sack(seg.ack, &sack::blocks(seg.options), packet);
                }
            }
        }
    }
    // (A hole stays open across the stalls its sender's other bytes start and end: only
    // an acknowledgement past its start closes it.)
    if let Some(r) = me.rare.as_deref_mut() {
        r.hole.own(packet, ts, took);
    }
    peer.peer_sent(packet, ts);
}

/// What the report says once of the copies in both directions of a connection that had
/// `packets` packets besides them, if any ([`Found::CapturedCopies`]: worded "each packet
/// was captured 2 times, on interfaces veth0, br0"): the pcapng interfaces by name, in the
/// order the connection's packets were first seen on them, or Linux cooked v2 interface
/// indexes, in order, and unnamed pcapng interfaces by ID (`by_index`).
pub fn copies_found(
    a: &PathWatch,
    b: &PathWatch,
    packets: u64,
    names: &Interfaces,
) -> Option<Found> {
    let copies = a.copies + b.copies;
    if copies == 0 {
        return None;
    }
    let copied = a.copied + b.copied;
    // Cooked indexes first, in order; then pcapng interfaces as first seen.
    let mut ifaces: Vec<u32> = a.ifaces().to_vec();
    for i in b.ifaces() {
        if !ifaces.contains(i) {
            ifaces.push(*i);
        }
    }
    let (mut cooked, pcapng): (Vec<u32>, Vec<u32>) =
        ifaces.into_iter().partition(|k| k & ifaces::PCAPNG == 0);
    cooked.sort_unstable();
    let mut interfaces: Vec<String> = Vec::new();
    let mut by_index = false;
    for k in cooked.into_iter().chain(pcapng) {
        let text = match names.label(k) {
            Label::Name(name) => name.to_string(),
            Label::Index(i) => {
                by_index = true;
                i.to_string()
            }
        };
        if !interfaces.contains(&text) {
            interfaces.push(text);
        }
    }
    Some(Found::CapturedCopies {
        packets,
        copied,
        copies,
        interfaces,
        by_index,
    })
}

#[cfg(test)]
mod tests;
