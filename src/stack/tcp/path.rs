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
//!   with its retransmissions; still open at the end, it was never acknowledged.
//!
//! Memory is constant: a ring of [`RING`] recent segment fingerprints and a few numbers.

use crate::capture::Timestamp;
use crate::decode::Segment;

/// Recent segments remembered per direction: enough for the copies of a packet taken on
/// three or four interfaces, interleaved with the next packets.
pub const RING: usize = 4;

/// Copies of one packet are at most this far apart (in capture time), and something
/// shows they were taken at different places: another interface, a TTL one lower, the
/// same non-zero IPv4 identification. Linux's least retransmission timeout is 200 ms
/// (`TCP_RTO_MIN`; RFC 6298 §2.4 asks for one second), so a retransmission by timeout
/// never comes sooner.
pub const COPY_WINDOW_NS: i64 = 200_000_000;

/// An interface the capture does not name.
const NO_IFACE: u32 = u32::MAX;

/// Observation places remembered per segment (interface and TTL pairs).
const PLACES: usize = 2;

/// One recent segment in 32 bytes (four fill two cache lines): what makes it that packet,
/// and where it was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Print {
    seq: u32,
    ack: u32,
    /// A hash of the flags, the window, the payload's length and its first and last 8
    /// bytes.
    sample: u32,
    /// The IPv4 identification, bit 16 set when there is one.
    ip_id: u32,
    /// Capture time in microseconds, its low 32 bits (compared by wrapping difference).
    us: u32,
    /// The places it was seen: (interface, TTL); `seen` of them (0: an unused slot).
    iface: [u32; PLACES],
    ttl: [u8; PLACES],
    seen: u8,
}

/// The ring of recent segments, on cache lines of its own.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[repr(align(64))]
struct Ring([Print; RING]);

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
}

/// What every segment reads or writes, together (packet 0: none).
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[repr(C)]
struct Hot {
    /// The highest acknowledgement of the peer, and one past the highest sequence number
    /// this direction sent (valid when `has_acked`, `has_sent`).
    acked: u32,
    sent_end: u32,
    has_acked: bool,
    has_sent: bool,
    /// The next ring slot.
    next: u8,
    /// The TTLs of this direction's packets, RSTs aside (valid when `has_ttl`), and the
    /// IPv4 identification of the last one (bit 16 set when there is one).
    has_ttl: bool,
    ttl_lo: u8,
    ttl_hi: u8,
    last_id: u32,
    /// Packets of this direction that are not copies.
    packets: u64,
    /// The stall: its first segment (0: none), its retransmissions, its last segment.
    since_packet: u64,
    since_ts: Timestamp,
    retransmissions: u64,
    last_packet: u64,
    last_ts: Timestamp,
    /// The peer's first packet after the stall began (0: none).
    peer_packet: u64,
    peer_ts: Timestamp,
}

/// One direction's watch over the path (see the module header).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PathWatch {
    ring: Ring,
    hot: Hot,
    /// Copies of this direction's packets left out.
    pub copies: u64,
    /// This direction's packets that were captured more than once.
    pub copied: u64,
    /// The interfaces the capture named for this direction's packets (the first four).
    ifaces: [u32; 4],
    n_ifaces: u8,
    pub reset: Option<ResetMark>,
}

/// `a < b` in sequence space (RFC 9293 §3.4).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
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

/// The fingerprint of a segment: its flags, window, payload length, and the payload's
/// first and last 8 bytes.
#[inline(always)]
fn sample(flags: u8, payload: &[u8], window: u16) -> u32 {
    let n = payload.len();
    let (head, tail) = match (payload.first_chunk::<8>(), payload.last_chunk::<8>()) {
        (Some(h), Some(t)) => (u64::from_le_bytes(*h), u64::from_le_bytes(*t)),
        _ => (word(payload), 0),
    };
    let x = head
        ^ tail.rotate_left(23)
        ^ ((n as u64) << 32 | u64::from(window) << 8 | u64::from(flags));
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

/// An IPv4 identification as stored: bit 16 set when there is one.
#[inline(always)]
fn id_word(id: Option<u16>) -> u32 {
    id.map_or(0, |i| 0x1_0000 | u32::from(i))
}

impl PathWatch {
    /// Whether `seg` (at `ts`) is a copy of a packet of this direction seen moments
    /// before (see the module header). A copy is counted here and goes no further; any
    /// other segment is remembered.
    #[inline]
    pub fn copy(&mut self, seg: &Segment<'_>, ts: Timestamp) -> bool {
        let flags = u8::from(seg.syn)
            | u8::from(seg.ack_flag) << 1
            | u8::from(seg.fin) << 2
            | u8::from(seg.rst) << 3;
        let len = seg.payload.len() + seg.missing as usize;
        let print = sample(flags, seg.payload, seg.window) ^ (len as u32).rotate_left(16);
        let id = id_word(seg.ip_id);
        let us = (ts.0 / 1000) as u32;
        let iface = seg.iface.unwrap_or(NO_IFACE);
        let next = usize::from(self.hot.next) % RING;
        // Most recent first; the sequence number tells almost every other segment apart.
        for i in 1..=RING {
            let Some(p) = self.ring.0.get_mut((next + RING - i) % RING) else {
                continue;
            };
            if p.seq != seg.seq || p.ack != seg.ack || p.seen == 0 {
                continue;
            }
            let dt = i64::from(us.wrapping_sub(p.us) as i32).abs() * 1000;
            if p.sample != print || p.ip_id != id {
                continue;
            }
            if dt > COPY_WINDOW_NS {
                break;
            }
            let places = usize::from(p.seen).min(PLACES);
            let here = (0..places).any(|k| p.iface.get(k) == Some(&iface) && p.ttl.get(k) == Some(&seg.ttl));
            let other_hop = !p.ttl.iter().take(places).any(|&t| t == seg.ttl);
            // Without an interface, another hop or the same non-zero IPv4 ID tells a
            // copy; nothing else does (an IPv6 packet or an IPv4 ID of 0 seen again at
            // the same hop may be the sender's own retransmission, and stays one).
            let is_copy = if iface != NO_IFACE {
                !here
            } else {
                other_hop || id > 0x1_0000
            };
            if !is_copy {
                break;
            }
            if p.seen == 1 {
                self.copied += 1;
            }
            if let (Some(i), Some(t)) = (p.iface.get_mut(places), p.ttl.get_mut(places)) {
                *i = iface;
                *t = seg.ttl;
            }
            p.seen = p.seen.saturating_add(1);
            self.copies += 1;
            self.note_iface(iface);
            return true;
        }
        if let Some(p) = self.ring.0.get_mut(next) {
            *p = Print {
                seq: seg.seq,
                ack: seg.ack,
                sample: print,
                ip_id: id,
                us,
                iface: [iface; PLACES],
                ttl: [seg.ttl; PLACES],
                seen: 1,
            };
        }
        self.hot.next = ((next + 1) % RING) as u8;
        self.hot.packets += 1;
        self.note_iface(iface);
        false
    }

    /// Packets of this direction that are not copies.
    pub fn packets(&self) -> u64 {
        self.hot.packets
    }

    /// The interfaces the capture named for this direction's packets (the first four).
    pub fn ifaces(&self) -> &[u32] {
        self.ifaces.get(..usize::from(self.n_ifaces)).unwrap_or_default()
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
        if seg.rst {
            if self.reset.is_none() {
                let h = &self.hot;
                self.reset = Some(ResetMark {
                    packet,
                    ts,
                    ttl: seg.ttl,
                    ip_id: seg.ip_id,
                    ack_flag: seg.ack_flag,
                    before: h.has_ttl.then_some((h.ttl_lo, h.ttl_hi)),
                    id_before: (h.last_id & 0x1_0000 != 0).then_some(h.last_id as u16),
                });
            }
            return;
        }
        if self.reset.is_some() {
            return;
        }
        let h = &mut self.hot;
        if h.has_ttl {
            h.ttl_lo = h.ttl_lo.min(seg.ttl);
            h.ttl_hi = h.ttl_hi.max(seg.ttl);
        } else {
            (h.has_ttl, h.ttl_lo, h.ttl_hi) = (true, seg.ttl, seg.ttl);
        }
        h.last_id = id_word(seg.ip_id);
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
            return;
        }
        let h = &mut self.hot;
        let end = seg.seq.wrapping_add(len);
        let again = h.has_sent && before(seg.seq, h.sent_end);
        if h.since_packet != 0 {
            h.retransmissions += u64::from(again);
            h.last_packet = packet;
            h.last_ts = ts;
        } else if !(again && h.has_acked && !before(h.acked, end)) {
            // (Bytes the peer already acknowledged, sent again, start no stall.)
            h.since_packet = packet;
            h.since_ts = ts;
            h.retransmissions = u64::from(again);
            h.last_packet = packet;
            h.last_ts = ts;
            h.peer_packet = 0;
        }
        if !h.has_sent || before(h.sent_end, end) {
            h.sent_end = end;
            h.has_sent = true;
        }
    }

    /// The peer acknowledged everything before `ack`: a stall ends when it moves forward.
    #[inline]
    pub fn acked(&mut self, ack: u32) {
        let h = &mut self.hot;
        if !h.has_acked || before(h.acked, ack) {
            h.acked = ack;
            h.has_acked = true;
            h.since_packet = 0;
        }
    }

    /// A packet of the peer (not a copy) that did not end the stall.
    #[inline]
    pub fn peer_sent(&mut self, packet: u64, ts: Timestamp) {
        let h = &mut self.hot;
        if h.since_packet != 0 && h.peer_packet == 0 {
            h.peer_packet = packet;
            h.peer_ts = ts;
        }
    }

    /// The stall still open, if any.
    pub fn stall(&self) -> Option<Stall> {
        let h = &self.hot;
        (h.since_packet != 0).then_some(Stall {
            first_packet: h.since_packet,
            first_ts: h.since_ts,
            retransmissions: h.retransmissions,
            last_packet: h.last_packet,
            last_ts: h.last_ts,
            peer_next: (h.peer_packet != 0).then_some((h.peer_packet, h.peer_ts)),
        })
    }

    /// The stall still open: data never acknowledged, with at least `min` retransmissions.
    pub fn unacknowledged(&self, min: u64) -> Option<Stall> {
        self.stall().filter(|s| s.retransmissions >= min)
    }
}

/// What the report says once of the copies in both directions, if any: "each packet
/// was captured 2 times (interfaces 4 and 6)", or how many were.
pub fn copies_note(a: &PathWatch, b: &PathWatch) -> Option<String> {
    let copies = a.copies + b.copies;
    if copies == 0 {
        return None;
    }
    let packets = a.packets() + b.packets();
    let copied = a.copied + b.copied;
    let mut note = if copied == packets && copies.is_multiple_of(packets) {
        format!("each packet was captured {} times", 1 + copies / packets)
    } else if copies == copied {
        format!("{copied} of {packets} packets were captured twice")
    } else {
        format!("{copied} of {packets} packets were captured more than once ({copies} copies)")
    };
    let mut ifaces: Vec<u32> = a.ifaces().to_vec();
    for i in b.ifaces() {
        if !ifaces.contains(i) {
            ifaces.push(*i);
        }
    }
    ifaces.sort_unstable();
    if !ifaces.is_empty() {
        let list: Vec<String> = ifaces.iter().map(u32::to_string).collect();
        note.push_str(&format!(
            ", on interface{} {} (by index)",
            if ifaces.len() == 1 { "" } else { "s" },
            list.join(", ")
        ));
    }
    note.push_str("; each is counted once, not as a retransmission");
    Some(note)
}

#[cfg(test)]
mod tests;
