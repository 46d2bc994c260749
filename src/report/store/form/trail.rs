//! A connection's trail (`vocab::trail`) in the report's stored form, written field by
//! field as the rest of the report: each mark in a fixed [`MARK_FORM`] bytes, its fields
//! little-endian as they are (no varints, no serde visitor), since the marks, up to
//! `vocab::trail::MAX_MARKS` a connection, are most of a stored report's bytes.
//!
//! In: a [`Trail`]. Out: its bytes, and back, or passed over (checked alike, nothing
//! kept: once the points are joined, `Store::drop_trails`); a count of marks more than a
//! trail keeps or than the bytes left hold is refused (`None`), never allocated.

use super::bytes::{Reader, Writer};
use crate::vocab::trail::{Mark, Trail, MAX_MARKS};

/// The stored bytes of one mark: time and packet 8 each, sequence number and hash 4 each,
/// length and IP identification 2 each, TTL, flags and point 1 each.
pub(super) const MARK_FORM: usize = 31;

/// Appends `t`'s bytes.
pub(super) fn write(w: &mut Writer<'_>, t: &Trail) {
    let Trail {
        marks,
        ifaces,
        names,
        client_is_a,
        gap,
        not_kept,
        ring,
    } = t;
    w.u64(marks.len() as u64);
    w.0.reserve(marks.len() * MARK_FORM);
    for m in marks {
        let mut b = [0u8; MARK_FORM];
        b[..8].copy_from_slice(&m.ts.to_le_bytes());
        b[8..16].copy_from_slice(&m.packet.to_le_bytes());
        b[16..20].copy_from_slice(&m.seq.to_le_bytes());
        b[20..24].copy_from_slice(&m.hash.to_le_bytes());
        b[24..26].copy_from_slice(&m.len.to_le_bytes());
        b[26..28].copy_from_slice(&m.ip_id.to_le_bytes());
        b[28] = m.ttl;
        b[29] = m.flags;
        b[30] = m.point;
        w.0.extend_from_slice(&b);
    }
    w.u64(ifaces.len() as u64);
    for &i in ifaces {
        w.u64(u64::from(i));
    }
    w.u64(names.len() as u64);
    for n in names {
        w.opt_str(n);
    }
    w.bool(*client_is_a);
    w.opt(gap, |w, &(a, b)| {
        w.fixed(a as u64);
        w.fixed(b as u64);
    });
    w.u64(*not_kept);
    w.u64(*ring);
}

/// Reads a trail written by [`write`].
pub(super) fn read(r: &mut Reader<'_>) -> Option<Box<Trail>> {
    let n = r.usize()?;
    if n > MAX_MARKS {
        return None;
    }
    let bytes = r.take(n.checked_mul(MARK_FORM)?)?;
    let mut marks = Vec::with_capacity(n);
    for b in bytes.chunks_exact(MARK_FORM) {
        let b: &[u8; MARK_FORM] = b.try_into().ok()?;
        let [t0, t1, t2, t3, t4, t5, t6, t7, p0, p1, p2, p3, p4, p5, p6, p7, s0, s1, s2, s3, h0, h1, h2, h3, l0, l1, i0, i1, ttl, flags, point] =
            *b;
        marks.push(Mark {
            ts: i64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7]),
            packet: u64::from_le_bytes([p0, p1, p2, p3, p4, p5, p6, p7]),
            seq: u32::from_le_bytes([s0, s1, s2, s3]),
            hash: u32::from_le_bytes([h0, h1, h2, h3]),
            len: u16::from_le_bytes([l0, l1]),
            ip_id: u16::from_le_bytes([i0, i1]),
            ttl,
            flags,
            point,
        });
    }
    Some(Box::new(Trail {
        marks,
        ifaces: r.vec(Reader::u32)?,
        names: r.vec(Reader::opt_string)?,
        client_is_a: r.bool()?,
        gap: r.opt(|r| Some((r.fixed()? as i64, r.fixed()? as i64)))?,
        not_kept: r.u64()?,
        ring: r.u64()?,
    }))
}

/// Passes over a trail written by [`write`], checked as [`read`] checks it, nothing kept.
pub(super) fn skip(r: &mut Reader<'_>) -> Option<()> {
    let n = r.usize()?;
    if n > MAX_MARKS {
        return None;
    }
    r.take(n.checked_mul(MARK_FORM)?)?;
    let ifaces = r.usize()?;
    if ifaces > r.0.len() {
        return None;
    }
    for _ in 0..ifaces {
        r.u32()?;
    }
    let names = r.usize()?;
    if names > r.0.len() {
        return None;
    }
    for _ in 0..names {
        r.opt(Reader::str)?;
    }
    r.bool()?;
    r.opt(|r| Some((r.fixed()?, r.fixed()?)))?;
    r.u64()?;
    r.u64()?;
    Some(())
}
