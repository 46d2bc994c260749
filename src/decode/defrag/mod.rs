//! IPv4 and IPv6 fragments of TCP packets put back together (RFC 791 §3.2, "Fragmentation
//! and reassembly"; RFC 8200 §4.5, the Fragment header), within fixed bounds.
//!
//! In: a packet in which [`super::decode`] found no TCP segment, on a link type read by the
//! fast decoding (`network`): an IPv4 fragment (more fragments, or an offset) of protocol
//! TCP, or an IPv6 packet whose Fragment header (after any Hop-by-Hop, Routing or Destination
//! Options headers) says more fragments or an offset and TCP next. Out: once every fragment
//! of its datagram came, the whole packet (the link header and the IP header of the first
//! fragment, its length and fragment fields rewritten; in IPv6 the unfragmentable headers,
//! the Fragment header taken out and the header before it naming TCP), and the payload put
//! together, which decodes as any TCP packet and is numbered and timed by the fragment that
//! completed it; else nothing, and the fragments of every datagram given up are counted
//! ([`Defrag::lost`]) for the input's warning.
//!
//! A datagram is keyed by its addresses, identification and VLAN ids (RFC 791: source,
//! destination, protocol and identification; RFC 8200: source, destination and the 32-bit
//! identification). Given up, its fragments counted as lost:
//! one whose fragments disagree on bytes they both carry or on where it ends (RFC 5722's
//! rule for IPv6, which Linux also applies to IPv4 since 4.19), one a snap length cut (its
//! bytes are not all in the capture), one reaching past 65 535 bytes or of more than
//! [`MAX_PARTS`] fragments, one not completed within [`TIMEOUT_NS`] of capture time
//! (Linux's `ipfrag_time`) or by the end of the input, and the oldest when more than
//! [`MAX_DATAGRAMS`] are in flight or they hold more than their share of bytes
//! ([`Defrag::new`]: a thousandth of `--max-memory`, from 128 KiB to [`MAX_BYTES`]). A fragment of a
//! datagram completed less than [`COPY_WINDOW_NS`] before is a copy (the same packet
//! captured again on another interface) and is left out. The bound is small and does not
//! depend on the number of threads (each thread reads every fragment and holds the same
//! datagrams, so that each decides alike): it is part of what `budget::reserved` sets aside
//! for the program, not of the flows' share. Fragments of other protocols and inside tunnels
//! are not reassembled here (a tunnel's outer fragments are counted by `tunnel`).
//! etherparse's `IpDefragPool` reads both versions too, but keeps any number of datagrams
//! of any size until told to drop them by time, accepts overlaps that disagree, and keeps
//! no copy window: the rules above are this module's, for both versions.

use super::{network, vlan_scope};
use crate::capture::Packet;
use crate::vocab::{LinkType, Timestamp};

/// Datagrams in flight at once, at most; the oldest is given up for a new one.
pub const MAX_DATAGRAMS: usize = 64;

/// Bytes the datagrams in flight hold together, at most (the oldest are given up first),
/// whatever `--max-memory`...
pub const MAX_BYTES: usize = 1 << 20;
/// ... and at least this: room for a datagram of 64 KiB and more.
pub const MIN_BYTES: usize = 128 << 10;

/// Fragments of one datagram, at most (8-byte fragments of a 64 KiB datagram would be
/// 8 192; no stack sends a hundred).
pub const MAX_PARTS: usize = 256;

/// A fragment of a datagram completed at most this long before is a copy of one of its
/// fragments (as `stack::tcp::path_watch` tells copies of segments): an identification is not
/// used again between the same hosts so soon.
pub const COPY_WINDOW_NS: i64 = 200_000_000;

/// A datagram not completed within 30 s of capture time since its first fragment is given
/// up (Linux's `net.ipv4.ipfrag_time`).
pub const TIMEOUT_NS: i64 = 30_000_000_000;

/// What identifies a datagram's fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    v6: bool,
    src: [u8; 16],
    dst: [u8; 16],
    id: u32,
    scope: u64,
}

/// One datagram in flight.
#[derive(Debug)]
struct Datagram {
    key: Key,
    first_ts: Timestamp,
    /// The link header and IP header of the fragment at offset 0, once it came, and where
    /// its IP header starts (see [`Fragment`]).
    head: Option<(Vec<u8>, usize, Option<usize>)>,
    /// The payload so far, each fragment at its offset.
    payload: Vec<u8>,
    /// The ranges of `payload` that came, in order, apart from each other.
    have: Vec<(usize, usize)>,
    /// Where the payload ends, once the last fragment came.
    end: Option<usize>,
    fragments: u64,
    first_packet: u64,
}

impl Datagram {
    fn bytes(&self) -> usize {
        self.payload.capacity()
            + self.head.as_ref().map_or(0, |(h, _, _)| h.capacity())
            + 16 * self.have.capacity()
    }

    fn complete(&self) -> bool {
        self.head.is_some() && self.end.is_some_and(|e| self.have == [(0, e)])
    }

    /// Adds `bytes` at `at`; `false` when they disagree with bytes already there or the
    /// datagram grows past its bounds.
    fn add(&mut self, at: usize, bytes: &[u8]) -> bool {
        let end = at + bytes.len();
        if self.end.is_some_and(|e| end > e) {
            return false;
        }
        for &(s, e) in &self.have {
            let (lo, hi) = (s.max(at), e.min(end));
            if lo < hi && self.payload.get(lo..hi) != bytes.get(lo - at..hi - at) {
                return false;
            }
        }
        if self.payload.len() < end {
            // Exactly what the datagram reaches (what it holds is what is counted).
            self.payload.reserve_exact(end - self.payload.len());
            self.payload.resize(end, 0);
        }
        if let Some(to) = self.payload.get_mut(at..end) {
            to.copy_from_slice(bytes);
        }
        // Merge [at, end) into the ordered ranges.
        let mut merged = Vec::with_capacity(self.have.len() + 1);
        let (mut s, mut e) = (at, end);
        let mut placed = false;
        for &(a, b) in &self.have {
            if b < s {
                merged.push((a, b));
            } else if a > e {
                if !placed {
                    merged.push((s, e));
                    placed = true;
                }
                merged.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            merged.push((s, e));
        }
        self.have = merged;
        true
    }
}

/// The datagrams in flight and what was given up (see the module header).
#[derive(Debug)]
pub struct Defrag {
    /// The bytes the datagrams in flight may hold together.
    cap: usize,
    pending: Vec<Datagram>,
    /// The datagrams completed last (at most [`MAX_DATAGRAMS`]), and when.
    done: Vec<(Key, Timestamp)>,
    /// Fragments of datagrams given up, and the first packet among them.
    lost: u64,
    first_lost: Option<u64>,
    /// Datagrams put back together.
    pub reassembled: u64,
}

/// An IPv4 or IPv6 fragment of a TCP packet, where it is in the packet's bytes.
struct Fragment<'a> {
    key: Key,
    /// The link header and IP header (in IPv6, the headers before the Fragment header), and
    /// where the IP header starts.
    head: &'a [u8],
    ip_at: usize,
    /// In IPv6, where in `head` the Next Header field that names the Fragment header is.
    next_at: Option<usize>,
    /// Its payload's offset in the datagram and whether more fragments follow.
    offset: usize,
    more: bool,
    payload: &'a [u8],
    /// The snap length cut it.
    cut: bool,
}

/// The IPv4 or IPv6 fragment of a TCP packet `pkt` is, if it is one.
fn fragment<'a>(pkt: &Packet<'a>) -> Option<Fragment<'a>> {
    let (ether_type, ip) = network(pkt.link, pkt.data)?;
    match ether_type {
        0x0800 => fragment_v4(pkt, ip),
        0x86dd => fragment_v6(pkt, ip),
        _ => None,
    }
}

/// [`fragment`] in IPv6 (RFC 8200 §4.5): the Fragment header found after the Hop-by-Hop,
/// Routing and Destination Options headers (at most eight of them), TCP next.
fn fragment_v6<'a>(pkt: &Packet<'a>, ip: &'a [u8]) -> Option<Fragment<'a>> {
    let head: &[u8; 40] = ip.first_chunk()?;
    if head[0] >> 4 != 6 {
        return None;
    }
    let (mut next, mut next_at, mut at) = (head[6], 6, 40);
    for _ in 0..8 {
        if next != 0 && next != 43 && next != 60 {
            break;
        }
        next_at = at;
        next = *ip.get(at)?;
        at += (usize::from(*ip.get(at + 1)?) + 1) * 8;
    }
    let frag: &[u8; 8] = ip.get(at..)?.first_chunk()?;
    let field = u16::from_be_bytes([frag[2], frag[3]]);
    let (more, offset) = (field & 1 != 0, usize::from(field >> 3) * 8);
    // An atomic fragment (RFC 6946: no offset, no more) is a whole packet.
    if next != 44 || frag[0] != 6 || (!more && offset == 0) {
        return None;
    }
    let total = 40 + usize::from(u16::from_be_bytes([head[4], head[5]]));
    if total < at + 8 {
        return None;
    }
    let ip_at = pkt.data.len() - ip.len();
    let payload = ip.get(at + 8..total.min(ip.len()))?;
    let mut src = [0; 16];
    let mut dst = [0; 16];
    src.copy_from_slice(head.get(8..24)?);
    dst.copy_from_slice(head.get(24..40)?);
    Some(Fragment {
        key: Key {
            v6: true,
            src,
            dst,
            id: u32::from_be_bytes([frag[4], frag[5], frag[6], frag[7]]),
            scope: vlan_scope(pkt.link, pkt.data),
        },
        head: pkt.data.get(..ip_at + at)?,
        ip_at,
        next_at: Some(ip_at + next_at),
        offset,
        more,
        payload,
        cut: total > ip.len(),
    })
}

/// [`fragment`] in IPv4.
fn fragment_v4<'a>(pkt: &Packet<'a>, ip: &'a [u8]) -> Option<Fragment<'a>> {
    let head: &[u8; 20] = ip.first_chunk()?;
    let hl = usize::from(head[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([head[2], head[3]]));
    let flags = u16::from_be_bytes([head[6], head[7]]);
    let (more, offset) = (flags & 0x2000 != 0, usize::from(flags & 0x1fff) * 8);
    if head[0] >> 4 != 4 || head[9] != 6 || (!more && offset == 0) || hl < 20 || total < hl {
        return None;
    }
    let at = pkt.data.len() - ip.len();
    // Its payload is not all in the capture (a snap length cut it).
    let cut = total > ip.len();
    let payload = ip.get(hl..total.min(ip.len()))?;
    let mut src = [0; 16];
    let mut dst = [0; 16];
    src[..4].copy_from_slice(&head[12..16]);
    dst[..4].copy_from_slice(&head[16..20]);
    Some(Fragment {
        key: Key {
            v6: false,
            src,
            dst,
            id: u32::from(u16::from_be_bytes([head[4], head[5]])),
            scope: vlan_scope(pkt.link, pkt.data),
        },
        head: pkt.data.get(..at + hl)?,
        ip_at: at,
        next_at: None,
        offset,
        more,
        payload,
        cut,
    })
}

/// The one's complement sum of an IPv4 header (RFC 791 §3.1), its checksum field zero.
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in header.chunks(2) {
        let word = match pair {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

impl Default for Defrag {
    fn default() -> Self {
        Defrag::new(crate::memory::DEFAULT_MAX_MEMORY)
    }
}

impl Defrag {
    /// Reassembly within `max_memory` (`--max-memory`): its datagrams in flight hold a
    /// thousandth of it at most, from [`MIN_BYTES`] to [`MAX_BYTES`].
    pub fn new(max_memory: usize) -> Defrag {
        Defrag {
            cap: (max_memory / 1024).clamp(MIN_BYTES, MAX_BYTES),
            pending: Vec::new(),
            done: Vec::new(),
            lost: 0,
            first_lost: None,
            reassembled: 0,
        }
    }

    /// The bytes its datagrams in flight may hold together.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Whether `pkt` is an IPv4 or IPv6 fragment of a TCP packet (then taken here); its
    /// datagram whole, once this fragment completed it.
    pub fn take(&mut self, pkt: &Packet<'_>) -> Option<Option<Vec<u8>>> {
        if !matches!(
            pkt.link,
            LinkType::ETHERNET
                | LinkType::LINUX_SLL
                | LinkType::LINUX_SLL2
                | LinkType::NULL
                | LinkType::LOOP
                | LinkType::RAW
                | LinkType::IPV4
                | LinkType::IPV6
                | LinkType(12)
                | LinkType(14)
        ) {
            return None;
        }
        let f = fragment(pkt)?;
        Some(self.fragment(pkt, &f))
    }

    fn fragment(&mut self, pkt: &Packet<'_>, f: &Fragment<'_>) -> Option<Vec<u8>> {
        self.expire(pkt.ts);
        let copy = |(k, ts): &(Key, Timestamp)| {
            *k == f.key && pkt.ts.0.saturating_sub(ts.0) <= COPY_WINDOW_NS
        };
        if self.done.iter().any(copy) {
            return None;
        }
        let i = match self.pending.iter().position(|d| d.key == f.key) {
            Some(i) => i,
            None => {
                if self.pending.len() >= MAX_DATAGRAMS {
                    self.give_up(0);
                }
                self.pending.push(Datagram {
                    key: f.key,
                    first_ts: pkt.ts,
                    head: None,
                    payload: Vec::new(),
                    have: Vec::new(),
                    end: None,
                    fragments: 0,
                    first_packet: pkt.number,
                });
                self.pending.len() - 1
            }
        };
        let d = self.pending.get_mut(i)?;
        d.fragments += 1;
        let end = f.offset + f.payload.len();
        let fits = !f.cut
            && d.fragments <= MAX_PARTS as u64
            && end <= 65_535
            && match (f.more, d.end) {
                (false, None) => {
                    d.end = Some(end);
                    d.have.last().is_none_or(|&(_, e)| e <= end)
                }
                (false, Some(e)) => e == end,
                (true, _) => true,
            }
            && d.add(f.offset, f.payload);
        if !fits {
            self.give_up(i);
            return None;
        }
        if f.offset == 0 && d.head.is_none() {
            d.head = Some((f.head.to_vec(), f.ip_at, f.next_at));
        }
        if d.complete() {
            // Its header and payload must fit an IPv4 total length (IPv6: a payload length,
            // which leaves out the 40-byte header).
            let whole = d.head.as_ref().and_then(|(h, at, next_at)| {
                let fixed = if next_at.is_some() { 40 } else { 0 };
                u16::try_from(h.len() - at.min(&h.len()) - fixed + d.payload.len()).ok()
            });
            let Some(total) = whole else {
                self.give_up(i);
                return None;
            };
            let d = self.pending.remove(i);
            if self.done.len() >= MAX_DATAGRAMS {
                self.done.remove(0);
            }
            self.done.push((d.key, pkt.ts));
            self.reassembled += 1;
            return Some(Self::whole(d, total));
        }
        while self.held() > self.cap && !self.pending.is_empty() {
            self.give_up(0);
        }
        None
    }

    /// The packet of a complete datagram: the first fragment's headers, the IP header's
    /// total length (`total`), flags, offset and checksum rewritten, and the payload. In
    /// IPv6, `total` is the payload length, and the header before the Fragment header names
    /// TCP next (the Fragment header itself is not in `head`).
    fn whole(d: Datagram, total: u16) -> Vec<u8> {
        let (mut out, ip_at, next_at) = d.head.unwrap_or_default();
        if let Some(next_at) = next_at {
            if let Some(h) = out.get_mut(ip_at + 4..ip_at + 6) {
                h.copy_from_slice(&total.to_be_bytes());
            }
            if let Some(n) = out.get_mut(next_at) {
                *n = 6;
            }
            out.extend_from_slice(&d.payload);
            return out;
        }
        if let Some(ip) = out.get_mut(ip_at..) {
            if let Some(h) = ip.get_mut(2..4) {
                h.copy_from_slice(&total.to_be_bytes());
            }
            if let Some(h) = ip.get_mut(6..8) {
                h.copy_from_slice(&[0, 0]);
            }
            if let Some(h) = ip.get_mut(10..12) {
                h.copy_from_slice(&[0, 0]);
            }
            let sum = checksum(ip);
            if let Some(h) = ip.get_mut(10..12) {
                h.copy_from_slice(&sum.to_be_bytes());
            }
        }
        out.extend_from_slice(&d.payload);
        out
    }

    /// Gives up the datagram at `i`, its fragments counted as lost.
    fn give_up(&mut self, i: usize) {
        if i < self.pending.len() {
            let d = self.pending.remove(i);
            self.lost += d.fragments;
            self.first_lost = Some(
                self.first_lost
                    .map_or(d.first_packet, |f| f.min(d.first_packet)),
            );
        }
    }

    /// Gives up the datagrams not completed within [`TIMEOUT_NS`] before `now`.
    fn expire(&mut self, now: Timestamp) {
        while let Some(i) = self
            .pending
            .iter()
            .position(|d| now.0.saturating_sub(d.first_ts.0) > TIMEOUT_NS)
        {
            self.give_up(i);
        }
    }

    /// Gives up every datagram still in flight (the end of an input).
    pub fn finish(&mut self) {
        while !self.pending.is_empty() {
            self.give_up(0);
        }
    }

    /// The fragments of datagrams given up, and the first packet among them, since the
    /// last call.
    pub fn lost(&mut self) -> (u64, Option<u64>) {
        let out = (self.lost, self.first_lost);
        (self.lost, self.first_lost) = (0, None);
        out
    }

    /// The bytes the datagrams in flight hold now.
    pub fn held(&self) -> usize {
        self.pending.iter().map(Datagram::bytes).sum()
    }
}

#[cfg(test)]
mod tests;
