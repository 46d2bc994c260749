//! The marks one capture point leaves of a connection's packets (`stack::tcp::trail` makes
//! them, `diagnose::points` lays two points' side by side; issue 103): values only.
//!
//! In: nothing. Out: [`Trail`], [`Mark`]; stored with a session's report, never in JSON.

use serde::{Deserialize, Serialize};

/// Marks kept per connection at most (16 KiB): its first [`HEAD_MARKS`] (the handshake,
/// what lines the points up) and its last ones (the ending).
pub const MAX_MARKS: usize = 512;

/// Of [`MAX_MARKS`], the first marks always kept; the others are a ring of the last.
pub const HEAD_MARKS: usize = 128;

/// One mark's size.
pub const MARK_BYTES: usize = std::mem::size_of::<Mark>();

/// Interfaces told apart per connection: a mark names one of these by its index.
pub const MAX_POINTS: usize = 4;

/// Mark flags.
pub const FROM_B: u8 = 1;
/// The segment was a SYN.
pub const SYN: u8 = 2;
/// ... a FIN.
pub const FIN: u8 = 4;
/// ... a RST.
pub const RST: u8 = 8;

/// One packet as one point saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Capture time, ns.
    pub ts: i64,
    /// Its packet number in its input's run.
    pub packet: u64,
    /// Its raw sequence number.
    pub seq: u32,
    /// A hash of its payload (0 for none): with `len` and the place, which bytes.
    pub hash: u32,
    /// Its payload's length (at most `u16::MAX`: a longer one is marked so).
    pub len: u16,
    /// Its IPv4 identification (0 for IPv6).
    pub ip_id: u16,
    /// Its TTL or hop limit.
    pub ttl: u8,
    /// [`FROM_B`], [`SYN`], [`FIN`], [`RST`].
    pub flags: u8,
    /// The interface it was captured on: an index into [`Trail::ifaces`].
    pub point: u8,
}

/// The marks of one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    /// The marks kept, in capture order.
    pub marks: Vec<Mark>,
    /// The interfaces the marks name (the capture's key for each; `u32::MAX` for none).
    pub ifaces: Vec<u32>,
    /// What the capture calls each of them (made safe to show when read), once the
    /// connection finished; `None` for one it names not.
    pub names: Vec<Option<String>>,
    /// Side A (the sender of the connection's first packet) is the client.
    pub client_is_a: bool,
    /// The times of the first and the last mark not kept (between the head and the ring of
    /// the last marks, [`MAX_MARKS`]).
    pub gap: Option<(i64, i64)>,
    /// Marks not kept.
    pub not_kept: u64,
    /// Marks written into the ring of the last marks (its next slot, modulo its size).
    pub ring: u64,
}

impl Trail {
    /// Puts the ring of the last marks back in capture order (once, at the end).
    pub fn settle(&mut self) {
        let tail = MAX_MARKS - HEAD_MARKS;
        if self.marks.len() == MAX_MARKS && self.ring > tail as u64 {
            let at = (self.ring % tail as u64) as usize;
            if let Some(t) = self.marks.get_mut(HEAD_MARKS..) {
                t.rotate_left(at);
            }
        }
        self.ring = 0;
    }

    /// The heap it holds.
    pub fn heap_bytes(&self) -> usize {
        self.marks.capacity() * MARK_BYTES
            + self.ifaces.capacity() * 4
            + self.names.capacity() * std::mem::size_of::<Option<String>>()
    }
}

/// What tells copies of one packet: its side ([`FROM_B`]), sequence number, length, bytes'
/// hash and flags.
type CopyKey = (u8, u32, u16, u32, u8);

/// The TTLs that tell a merged capture's two points apart (one interface for both, as
/// `mergecap` leaves two hosts' files that describe their interfaces alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoTtls {
    /// Side A's packets: the higher TTL (at the point nearer A) and the lower.
    pub a: (u8, u8),
    /// Side B's packets likewise.
    pub b: (u8, u8),
}

impl Trail {
    /// Where every packet of each side that was captured twice was captured with two TTLs,
    /// the same two for all (a copy nearer its sender, with the higher TTL, and one a hop or
    /// more further on), at least one such copy each way: those TTLs. `None` otherwise
    /// (one point, or copies that do not tell two points apart).
    pub fn two_ttls(&self) -> Option<TwoTtls> {
        // A side whose marks all came with one TTL has no copies with two: none (most
        // trails, looked at for every report; no map made for them).
        let mut span = [(u8::MAX, u8::MIN); 2];
        for m in &self.marks {
            if let Some(s) = span.get_mut(usize::from(m.flags & FROM_B)) {
                *s = (s.0.min(m.ttl), s.1.max(m.ttl));
            }
        }
        if span.iter().any(|&(lo, hi)| lo >= hi) {
            return None;
        }
        let mut groups: rustc_hash::FxHashMap<CopyKey, (u8, u8)> = rustc_hash::FxHashMap::default();
        groups.reserve(self.marks.len());
        for m in &self.marks {
            let k = (
                m.flags & FROM_B,
                m.seq,
                m.len,
                m.hash,
                m.flags & (SYN | FIN | RST),
            );
            let e = groups.entry(k).or_insert((m.ttl, m.ttl));
            e.0 = e.0.max(m.ttl);
            e.1 = e.1.min(m.ttl);
        }
        let mut a: Option<(u8, u8)> = None;
        let mut b: Option<(u8, u8)> = None;
        for ((side, ..), (hi, lo)) in groups {
            if hi == lo {
                continue;
            }
            let slot = if side == 0 { &mut a } else { &mut b };
            match slot {
                None => *slot = Some((hi, lo)),
                Some(x) if *x == (hi, lo) => {}
                Some(_) => return None,
            }
        }
        Some(TwoTtls { a: a?, b: b? })
    }
}
