//! What one capture point saw of a connection's packets, one mark a packet, so that two
//! captures of one path (two files, two interfaces of one file) can be laid side by side
//! after the analysis (`diagnose::points`, issue 103).
//!
//! In: every TCP segment of the connection that carries data, SYN, FIN or RST, before the
//! copy check (a copy seen at another interface is a mark of that interface), and the
//! interface the capture names. Out: the marks, in capture order: time, packet number,
//! the raw sequence number (RFC 9293 §3.4; made relative to each point's own start when
//! compared, so a box that rewrites ISNs changes nothing), the payload's length and a
//! hash of its bytes (its first and last 32: the bytes are compared, not only their place), the TTL or hop limit
//! (RFC 791 §3.2: the point nearer the sender sees the higher one), the IPv4
//! identification and the flags. Pure acknowledgements are not marked: they carry no
//! bytes to place.
//!
//! Memory: at most [`MAX_MARKS`] marks of 32 bytes each per connection, charged to
//! `--max-memory` with the connection (`analyzer::budget::cost`: the room allocated, 16 marks
//! first, then grown fourfold, never more than [`MAX_MARKS`]): its first
//! [`HEAD_MARKS`] and a ring of the last; those between are counted, not kept, and the
//! comparison says that it did not place the packets of that span.

use crate::decode::Segment;
use crate::flow::Side;
use crate::vocab::trail::{Mark, Trail, FIN, FROM_B, HEAD_MARKS, MAX_MARKS, MAX_POINTS, RST, SYN};
use crate::vocab::Timestamp;

/// Marks `seg` (from side `s`) in `t`, unless it carries nothing to place. Returns whether
/// the heap the trail holds grew (for the budget).
#[inline]
pub fn mark(t: &mut Trail, s: Side, seg: &Segment<'_>, packet: u64, ts: Timestamp) -> bool {
    if seg.payload.is_empty() && !seg.syn && !seg.fin && !seg.rst {
        return false;
    }
    let tail = (MAX_MARKS - HEAD_MARKS) as u64;
    // Full: the oldest of the ring of the last marks gives way.
    let slot = (t.marks.len() >= MAX_MARKS).then(|| HEAD_MARKS + (t.ring % tail) as usize);
    let iface = seg.iface.unwrap_or(u32::MAX);
    let point = match t.ifaces.iter().position(|&i| i == iface) {
        Some(k) => k,
        None if t.ifaces.len() < MAX_POINTS => {
            t.ifaces.push(iface);
            t.ifaces.len() - 1
        }
        None => MAX_POINTS - 1,
    };
    let flags = (u8::from(s == Side::B) * FROM_B)
        | (u8::from(seg.syn) * SYN)
        | (u8::from(seg.fin) * FIN)
        | (u8::from(seg.rst) * RST);
    let cap = t.marks.capacity();
    let m = Mark {
        ts: ts.0,
        packet,
        seq: seg.seq,
        hash: hash(seg.payload),
        len: u16::try_from(seg.payload.len()).unwrap_or(u16::MAX),
        ip_id: seg.ip_id.unwrap_or(0),
        ttl: seg.ttl,
        flags,
        point: point as u8,
    };
    match slot.and_then(|k| t.marks.get_mut(k)) {
        Some(old) => {
            let gone = std::mem::replace(old, m);
            t.gap = Some(t.gap.map_or((gone.ts, gone.ts), |(a, _)| (a, gone.ts)));
            t.not_kept += 1;
        }
        None => {
            // Room for 16 marks first, then grown fourfold (64, 256, MAX_MARKS), not
            // doubled from 4: a connection of up to 16 marks is allocated once, a long
            // one's marks are copied three times, not seven.
            if t.marks.len() == t.marks.capacity() {
                let want = t.marks.capacity().saturating_mul(4).clamp(16, MAX_MARKS);
                t.marks.reserve_exact(want.saturating_sub(t.marks.len()));
            }
            t.marks.push(m);
        }
    }
    if t.marks.len() > HEAD_MARKS {
        t.ring += 1;
    }
    t.marks.capacity() != cap
}

/// A hash of a payload's bytes (0 for none): its first and last 32 bytes (so a packet
/// costs the same whatever its size; up to 64 bytes, the whole payload in one pass), a
/// confirmation of bytes whose place and length already match, never a key on its own.
#[inline]
pub fn hash(bytes: &[u8]) -> u32 {
    use std::hash::Hasher;
    if bytes.is_empty() {
        return 0;
    }
    let mut h = rustc_hash::FxHasher::default();
    match (bytes.first_chunk::<32>(), bytes.last_chunk::<32>()) {
        (Some(head), Some(tail)) if bytes.len() > 64 => {
            // The 64 bytes read hashed in one pass (one hash of them, not two).
            let mut both = [0u8; 64];
            let (a, b) = both.split_at_mut(32);
            a.copy_from_slice(head);
            b.copy_from_slice(tail);
            h.write(&both);
        }
        _ => h.write(bytes),
    }
    (h.finish() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(seq: u32, payload: &[u8]) -> Segment<'_> {
        Segment {
            seq,
            ..Segment::test(payload)
        }
    }

    /// The marks are made room for 16 at a time first, then grown fourfold: a hundred data
    /// segments grow them three times (16, 64, 256 marks), not six (4 doubled to 128); a long
    /// connection's stop at MAX_MARKS.
    #[test]
    fn marks_grow_fourfold_up_to_max_marks() {
        let mut t = Trail::default();
        let grew = (0..100u32)
            .filter(|&i| {
                let seg = data(i * 10, b"0123456789");
                mark(&mut t, Side::A, &seg, u64::from(i), Timestamp(i64::from(i)))
            })
            .count();
        assert_eq!((grew, t.marks.len(), t.marks.capacity()), (3, 100, 256));
        let more = (100..2000u32)
            .filter(|&i| {
                let seg = data(i * 10, b"0123456789");
                mark(&mut t, Side::A, &seg, u64::from(i), Timestamp(i64::from(i)))
            })
            .count();
        assert_eq!(
            (more, t.marks.len(), t.marks.capacity()),
            (1, MAX_MARKS, MAX_MARKS)
        );
        assert_eq!(t.not_kept, 2000 - MAX_MARKS as u64);
    }

    /// The hash reads a payload's first and last 32 bytes (the whole of one of 64 or less):
    /// a byte changed in either changes it, one between them does not.
    #[test]
    fn hash_reads_the_first_and_last_32_bytes() {
        let p: Vec<u8> = (0..100u8).collect();
        let with = |at: usize, p: &[u8]| {
            let mut q = p.to_vec();
            if let Some(b) = q.get_mut(at) {
                *b ^= 0xff;
            }
            hash(&q)
        };
        let h = hash(&p);
        assert_ne!(h, 0);
        assert_ne!(with(0, &p), h);
        assert_ne!(with(31, &p), h);
        assert_ne!(with(68, &p), h);
        assert_ne!(with(99, &p), h);
        assert_eq!(with(32, &p), h);
        assert_eq!(with(67, &p), h);
        let short = p.get(..60).unwrap_or_default();
        assert_ne!(with(40, short), hash(short));
        assert_eq!(hash(&[]), 0);
    }
}
