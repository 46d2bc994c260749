//! The SACK blocks of a TCP segment's options (RFC 2018 §3): kind 5, length 8n + 2, n
//! blocks of two 32-bit sequence numbers, the left edge of bytes the receiver holds and
//! the one past their end. Its first block holds the segment that triggered the ACK
//! (§4); a receiver that holds bytes beyond a hole acknowledges the hole's start and
//! names those bytes here.
//!
//! In: the options' bytes (`decode::Segment::options`, at most 40). Out: the blocks, at
//! most four (40 bytes of options hold four; three beside a timestamp). Read only for an
//! acknowledgement at the start of a hole still open (`hole::Hole::sack`), or for a
//! duplicate acknowledgement during a stall whose first segment is the largest in flight
//! ([`StallSack`]: the sender's view of a black hole), never per packet; a malformed option
//! ends the reading (what came before it stands).

/// The SACK blocks in `options`, `(left, right)` each, in the order the receiver wrote
/// them; `n` of the four slots filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocks {
    pub blocks: [(u32, u32); 4],
    pub n: usize,
}

impl Blocks {
    /// The blocks read.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.blocks.iter().copied().take(self.n)
    }
}

/// The SACK blocks of the options `options` (RFC 9293 §3.2: kind 0 ends the list, kind 1
/// is one byte of padding, any other kind has a length byte that counts itself and the
/// kind).
pub fn blocks(options: &[u8]) -> Blocks {
    let mut out = Blocks::default();
    let mut at = 0;
    while let Some(&kind) = options.get(at) {
        match kind {
            0 => break,
            1 => at += 1,
            _ => {
                let Some(&len) = options.get(at + 1) else {
                    break;
                };
                let len = usize::from(len);
                let Some(body) = options.get(at + 2..at + len.max(2)).filter(|_| len >= 2) else {
                    break;
                };
                if kind == 5 && len >= 10 && (len - 2) % 8 == 0 {
                    for b in body.chunks_exact(8) {
                        let (Some(slot), Some((l, r))) =
                            (out.blocks.get_mut(out.n), b.split_first_chunk::<4>())
                        else {
                            break;
                        };
                        let Some(r) = r.first_chunk::<4>() else {
                            break;
                        };
                        *slot = (u32::from_be_bytes(*l), u32::from_be_bytes(*r));
                        out.n += 1;
                    }
                }
                at += len;
            }
        }
    }
    out
}

/// The peer's SACK blocks on its duplicate acknowledgements of a stall (§4), read when
/// the stall's first segment is the largest its sender has in flight and starts at the
/// peer's acknowledgement (the segment a path MTU black hole kills, seen from its sender):
/// `beyond`, the peer's first such acknowledgement whose block held bytes after that
/// segment (they reached the peer, it did not); `over`, a block held bytes of the segment
/// itself (it reached the peer). For the stall that began at `since_packet` (0: none read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StallSack {
    pub since_packet: u64,
    pub beyond: u64,
    pub over: bool,
}

impl StallSack {
    /// The peer's acknowledgement `packet` during the stall that began at `since`: a block
    /// over the segment (`over`), one beyond it (`beyond`). A new stall starts afresh.
    pub fn note(&mut self, since: u64, over: bool, beyond: bool, packet: u64) {
        if self.since_packet != since {
            *self = StallSack {
                since_packet: since,
                ..StallSack::default()
            };
        }
        self.over |= over;
        if beyond && self.beyond == 0 {
            self.beyond = packet;
        }
    }
}

/// Whether the SACK blocks of `options`, on an acknowledgement of everything before
/// `acked`, hold bytes of the `len` bytes from `acked` on (the segment there), and whether
/// they hold bytes after them. A block not ahead of the acknowledgement (a D-SACK, RFC 2883,
/// or nonsense) says nothing; blocks are compared by sequence number (wrapping).
pub fn against(options: &[u8], acked: u32, len: u32) -> (bool, bool) {
    let (mut over, mut beyond) = (false, false);
    for (left, right) in blocks(options).iter() {
        let (lo, hi) = (left.wrapping_sub(acked), right.wrapping_sub(acked));
        if lo == 0 || hi <= lo || hi > i32::MAX as u32 {
            continue;
        }
        if lo < len {
            over = true;
        } else {
            beyond = true;
        }
    }
    (over, beyond)
}

/// The sender's view: what its peer's SACK blocks say of the stall still open.
impl super::PathWatch {
    /// The SACK blocks read during the stall still open, if any.
    pub(super) fn stall_sack(&self) -> Option<StallSack> {
        self.rare
            .as_deref()
            .map(|r| r.sack)
            .filter(|k| k.since_packet != 0 && k.since_packet == self.cold.since_packet)
    }

    /// The peer's duplicate acknowledgement `packet` during a stall (at the acknowledged
    /// point, which it did not move), with the TCP options `options`: its SACK blocks
    /// against the stall's first segment, when that segment is the largest in flight (its
    /// bytes and end are `cand`, `cand_end`) and starts at the acknowledged point
    /// ([`StallSack`]). Rare: kept out of line.
    #[cold]
    #[inline(never)]
    pub(super) fn stall_sack_read(&mut self, options: &[u8], packet: u64) {
        let l = &self.line;
        let len = u32::from(l.cand);
        if len == 0 || l.cand != l.stall_len || l.cand_end.wrapping_sub(len) != l.acked {
            return;
        }
        let (over, beyond) = against(options, l.acked, len);
        if over || beyond {
            let since = self.cold.since_packet;
            let r = self.rare.get_or_insert_with(Box::default);
            r.sack.note(since, over, beyond, packet);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linux's duplicate ACK: two NOPs, a timestamp, two NOPs, a SACK of one block.
    #[test]
    fn a_linux_duplicate_ack_gives_its_block() {
        let mut o = vec![1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10];
        o.extend_from_slice(&4096u32.to_be_bytes());
        o.extend_from_slice(&4204u32.to_be_bytes());
        let b = blocks(&o);
        assert_eq!(b.iter().collect::<Vec<_>>(), [(4096, 4204)]);
    }

    /// Three blocks read in order; none without a SACK option; a length that runs past the
    /// options or a SACK of a length no block count makes gives none.
    #[test]
    fn blocks_in_order_and_bad_lengths() {
        let mut o = vec![5, 26];
        for x in [10u32, 20, 30, 40, 50, 60] {
            o.extend_from_slice(&x.to_be_bytes());
        }
        assert_eq!(
            blocks(&o).iter().collect::<Vec<_>>(),
            [(10, 20), (30, 40), (50, 60)]
        );
        assert_eq!(blocks(&[2, 4, 5, 180, 1, 3, 3, 7]).n, 0);
        assert_eq!(blocks(&[]).n, 0);
        // Past the end; a SACK of 9 bytes; a length of 0 (that would never move on).
        assert_eq!(blocks(&[5, 18, 0, 0, 0, 1]).n, 0);
        assert_eq!(blocks(&[5, 9, 0, 0, 0, 1, 0, 0, 0]).n, 0);
        assert_eq!(blocks(&[8, 0, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2]).n, 0);
    }
}
