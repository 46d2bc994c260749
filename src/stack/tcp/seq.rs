//! TCP sequence space (RFC 9293 §3.4): 32-bit sequence numbers compared by their signed
//! difference, unwrapped to 64-bit stream offsets against the delivered frontier, so a
//! stream may cross the 2^32 wrap and exceed 4 GiB (reassembly rule 2).
//!
//! In: sequence numbers, the stream's base and frontier. Out: signed distances, order and
//! offsets; the bounds past which a segment or an RST is not believed. Read by the
//! reassembly (`assembler`) and by the path's segment watch (`path`).

/// A segment beyond this many bytes past the frontier is not believed (rule 2).
pub(crate) const MAX_AHEAD: i64 = 1 << 30;

/// An RST this far from the frontier is outside any plausible window and ignored (rule 11).
pub(crate) const RST_WINDOW: i64 = 1 << 19;

/// How far `seq` lies after `from` in sequence space: negative when before, the wrap of
/// 2^32 taken into account (valid within 2^31 of each other).
pub(crate) fn diff(seq: u32, from: u32) -> i32 {
    seq.wrapping_sub(from) as i32
}

/// `a < b` in sequence space (RFC 9293 §3.4).
pub(crate) fn before(a: u32, b: u32) -> bool {
    diff(a, b) < 0
}

/// The stream offset of `seq`, for a stream whose offset 0 is sequence number `base` and
/// whose frontier (next offset to deliver) is `next`: unwrapped relative to the frontier.
pub(crate) fn offset(seq: u32, base: u32, next: u64) -> i64 {
    let frontier_seq = base.wrapping_add(next as u32);
    next as i64 + i64::from(diff(seq, frontier_seq))
}
