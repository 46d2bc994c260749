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
const PLACES: usize = 3;

/// One recent segment: what makes it that packet, and where it was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Print {
    seq: u32,
    ack: u32,
    /// Payload length on the wire.
    len: u32,
    /// SYN, ACK, FIN and RST; bit 7 set when the slot is used.
    flags: u8,
    ip_id: Option<u16>,
    /// A hash of the window, the length and the first and last 16 payload bytes.
    sample: u64,
    ts: i64,
    /// The places it was seen: (interface, TTL); `seen` of them used.
    iface: [u32; PLACES],
    ttl: [u8; PLACES],
    seen: u8,
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
}

/// One direction's watch over the path (see the module header).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PathWatch {
    ring: [Print; RING],
    next: u8,
    /// Copies of this direction's packets left out.
    pub copies: u64,
    /// This direction's packets that were captured more than once.
    pub copied: u64,
    /// Packets of this direction that are not copies.
    pub packets: u64,
    /// The interfaces the capture named for this direction's packets (the first four).
    pub ifaces: Vec<u32>,
    /// The TTLs of this direction's packets, RSTs aside (lowest, highest), and the IPv4
    /// identification of the last one.
    ttl: Option<(u8, u8)>,
    last_id: Option<u16>,
    pub reset: Option<ResetMark>,
    /// The highest acknowledgement of the peer, and one past the highest sequence number
    /// this direction sent.
    acked: Option<u32>,
    sent_end: Option<u32>,
    pub stall: Option<Stall>,
}

/// `a < b` in sequence space (RFC 9293 §3.4).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Up to 16 bytes folded into a number.
#[inline(always)]
fn fold(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 16];
    let n = bytes.len().min(16);
    if let (Some(to), Some(from)) = (buf.get_mut(..n), bytes.get(..n)) {
        to.copy_from_slice(from);
    }
    let [a, b] = [&buf[..8], &buf[8..]].map(|h| {
        u64::from_le_bytes(h.try_into().unwrap_or_default())
    });
    a ^ b.rotate_left(29)
}

/// The fingerprint of a payload: its length, the window, its first and last 16 bytes.
#[inline(always)]
fn sample(payload: &[u8], window: u16) -> u64 {
    let n = payload.len();
    let head = fold(payload);
    let tail = fold(payload.get(n.saturating_sub(16)..).unwrap_or_default());
    let x = head ^ tail.rotate_left(17) ^ ((n as u64) << 16 | u64::from(window));
    let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 31)
}

impl PathWatch {
    /// Whether `seg` (at `ts`) is a copy of a packet of this direction seen moments
    /// before (see the module header). A copy is counted here and goes no further; any
    /// other segment is remembered.
    #[inline]
    pub fn copy(&mut self, seg: &Segment<'_>, ts: Timestamp) -> bool {
        let flags = 0x80
            | u8::from(seg.syn)
            | u8::from(seg.ack_flag) << 1
            | u8::from(seg.fin) << 2
            | u8::from(seg.rst) << 3;
        let len = seg.payload.len() as u32 + seg.missing;
        let iface = seg.iface.unwrap_or(NO_IFACE);
        // The sequence number first: it tells almost every other segment apart.
        let mut candidate = None;
        for i in 0..RING {
            let at = (usize::from(self.next) + RING - 1 - i) % RING;
            if let Some(p) = self.ring.get(at) {
                if p.seq == seg.seq && p.flags == flags && p.ack == seg.ack && p.len == len {
                    candidate = Some(at);
                    break;
                }
            }
        }
        let print = sample(seg.payload, seg.window);
        if let Some(p) = candidate.and_then(|at| self.ring.get_mut(at)) {
            let dt = ts.0.saturating_sub(p.ts).abs();
            if p.sample == print && p.ip_id == seg.ip_id && dt <= COPY_WINDOW_NS {
                let places = usize::from(p.seen).min(PLACES);
                let pairs = p.iface.iter().zip(p.ttl.iter()).take(places);
                let here = pairs.clone().any(|(&i, &t)| i == iface && t == seg.ttl);
                let other_hop = !p.ttl.iter().take(places).any(|&t| t == seg.ttl);
                let same_id = seg.ip_id.is_some_and(|id| id != 0);
                // Without an interface, another hop or the same non-zero IPv4 ID tells a
                // copy; nothing else does (an IPv6 packet or an IPv4 ID of 0 seen again at
                // the same hop may be the sender's own retransmission, and stays one).
                let is_copy = if iface != NO_IFACE {
                    !here
                } else {
                    other_hop || same_id
                };
                if is_copy {
                    if p.seen == 1 {
                        self.copied += 1;
                    }
                    if let (Some(i), Some(t)) = (p.iface.get_mut(places), p.ttl.get_mut(places))
                    {
                        *i = iface;
                        *t = seg.ttl;
                    }
                    p.seen = p.seen.saturating_add(1);
                    self.copies += 1;
                    self.note_iface(iface);
                    return true;
                }
            }
        }
        let slot = usize::from(self.next) % RING;
        if let Some(p) = self.ring.get_mut(slot) {
            *p = Print {
                seq: seg.seq,
                ack: seg.ack,
                len,
                flags,
                ip_id: seg.ip_id,
                sample: print,
                ts: ts.0,
                iface: [iface; PLACES],
                ttl: [seg.ttl; PLACES],
                seen: 1,
            };
        }
        self.next = ((slot + 1) % RING) as u8;
        self.packets += 1;
        self.note_iface(iface);
        false
    }

    fn note_iface(&mut self, iface: u32) {
        if iface != NO_IFACE && self.ifaces.len() < 4 && !self.ifaces.contains(&iface) {
            self.ifaces.push(iface);
        }
    }

    /// A packet of this direction that is not a copy: its TTL and identification, or,
    /// for its first RST, the mark that compares them with those before.
    pub fn own(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp) {
        if seg.rst {
            if self.reset.is_none() {
                self.reset = Some(ResetMark {
                    packet,
                    ts,
                    ttl: seg.ttl,
                    ip_id: seg.ip_id,
                    ack_flag: seg.ack_flag,
                    before: self.ttl,
                    id_before: self.last_id,
                });
            }
            return;
        }
        if self.reset.is_some() {
            return;
        }
        self.ttl = Some(match self.ttl {
            Some((lo, hi)) => (lo.min(seg.ttl), hi.max(seg.ttl)),
            None => (seg.ttl, seg.ttl),
        });
        self.last_id = seg.ip_id;
    }

    /// A segment this direction sent (not a copy, not an RST): new bytes, or bytes sent
    /// again, for the stall.
    pub fn sent(&mut self, seg: &Segment<'_>, packet: u64, ts: Timestamp) {
        if seg.syn || seg.rst {
            return;
        }
        let len = seg.payload.len() as u32 + seg.missing + u32::from(seg.fin);
        if len == 0 {
            return;
        }
        let end = seg.seq.wrapping_add(len);
        let again = self.sent_end.is_some_and(|e| before(seg.seq, e));
        match &mut self.stall {
            Some(st) => {
                st.retransmissions += u64::from(again);
                st.last_packet = packet;
                st.last_ts = ts;
            }
            // Bytes the peer already acknowledged, sent again, start no stall.
            None if again && self.acked.is_some_and(|a| !before(a, end)) => {}
            None => {
                self.stall = Some(Stall {
                    first_packet: packet,
                    first_ts: ts,
                    retransmissions: u64::from(again),
                    last_packet: packet,
                    last_ts: ts,
                    peer_next: None,
                });
            }
        }
        if self.sent_end.is_none_or(|e| before(e, end)) {
            self.sent_end = Some(end);
        }
    }

    /// The peer acknowledged everything before `ack`: a stall ends when it moves forward.
    pub fn acked(&mut self, ack: u32) {
        if self.acked.is_none_or(|a| before(a, ack)) {
            self.acked = Some(ack);
            self.stall = None;
        }
    }

    /// A packet of the peer (not a copy) that did not end the stall.
    pub fn peer_sent(&mut self, packet: u64, ts: Timestamp) {
        if let Some(st) = &mut self.stall {
            st.peer_next.get_or_insert((packet, ts));
        }
    }

    /// The stall still open: data never acknowledged, with at least `min` retransmissions.
    pub fn unacknowledged(&self, min: u64) -> Option<Stall> {
        self.stall.filter(|s| s.retransmissions >= min)
    }
}

/// What the report says once of the copies in both directions, if any: "each packet
/// was captured 2 times (interfaces 4 and 6)", or how many were.
pub fn copies_note(a: &PathWatch, b: &PathWatch) -> Option<String> {
    let copies = a.copies + b.copies;
    if copies == 0 {
        return None;
    }
    let packets = a.packets + b.packets;
    let copied = a.copied + b.copied;
    let mut note = if copied == packets && copies.is_multiple_of(packets) {
        format!("each packet was captured {} times", 1 + copies / packets)
    } else if copies == copied {
        format!("{copied} of {packets} packets were captured twice")
    } else {
        format!("{copied} of {packets} packets were captured more than once ({copies} copies)")
    };
    let mut ifaces: Vec<u32> = a.ifaces.clone();
    for i in &b.ifaces {
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
