//! The SACK blocks of a TCP segment's options (RFC 2018 §3): kind 5, length 8n + 2, n
//! blocks of two 32-bit sequence numbers, the left edge of bytes the receiver holds and
//! the one past their end. Its first block holds the segment that triggered the ACK
//! (§4); a receiver that holds bytes beyond a hole acknowledges the hole's start and
//! names those bytes here.
//!
//! In: the options' bytes (`decode::Segment::options`, at most 40). Out: the blocks, at
//! most four (40 bytes of options hold four; three beside a timestamp). Read only for an
//! acknowledgement at the start of a hole still open (`hole::Hole::sack`), never per
//! packet; a malformed option ends the reading (what came before it stands).

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
