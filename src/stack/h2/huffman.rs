//! The Huffman code of HPACK string literals (RFC 7541 §5.2, Appendix B), decoding only.
//!
//! In: the bytes of a string literal whose H bit is set. Out: the octets it encodes, or a
//! [`HuffmanError`] when the bits break a rule of §5.2: the EOS symbol inside the string,
//! padding longer than 7 bits, or padding that is not the most significant bits of EOS
//! (all ones).
//!
//! The code of Appendix B is canonical: within one code length the codes are consecutive
//! and ordered by symbol, and the first code of a length follows the last code of the
//! length before it, shifted left by one. So the code lengths ([`CODE_LEN`]) are all of
//! it: from them the code tree is built at compile time, and from the tree a table of
//! steps, four bits at a time, from each of its 256 inner nodes (16 KiB). A string costs
//! one table step per four bits and no allocation beyond its output; nothing is built per
//! string (`loona-hpack` 0.4, which this replaced, built its table anew for
//! every string: tens of microseconds each, seconds for a hostile header block). The
//! tests check every symbol against `loona-hpack`'s own table.

/// The longest code (EOS, and some of the rarest octets): 30 bits.
const MAX_LEN: usize = 30;
/// The symbol that ends the code space, never sent inside a string (RFC 7541 §5.2).
const EOS: u16 = 256;

/// RFC 7541 Appendix B: the length in bits of the code of each symbol, octets 0x00 to
/// 0xff, then EOS (256).
#[rustfmt::skip]
pub(crate) const CODE_LEN: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0x00
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 0x10
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,         // 0x20
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,              // 0x30
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,                // 0x40
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,             // 0x50
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,                // 0x60
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,            // 0x70
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 0x80
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 0x90
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 0xa0
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 0xb0
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 0xc0
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 0xd0
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 0xe0
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 0xf0
    30,                                                             // EOS
];

/// The codes of one length.
#[derive(Clone, Copy)]
struct Level {
    /// The first code of this length (as a number of that many bits).
    first: u32,
    /// How many symbols have a code of this length.
    count: u16,
    /// Where their symbols start in [`Canonical::symbols`].
    start: u16,
}

/// The canonical code's decoding tables.
struct Canonical {
    /// Indexed by code length.
    levels: [Level; MAX_LEN + 1],
    /// Every symbol, ordered by (code length, symbol).
    symbols: [u16; 257],
}

// Indexing in a const fn is checked when the crate compiles: out of bounds is a build error.
#[allow(clippy::indexing_slicing)]
const fn canonical() -> Canonical {
    let empty = Level {
        first: 0,
        count: 0,
        start: 0,
    };
    let mut c = Canonical {
        levels: [empty; MAX_LEN + 1],
        symbols: [0; 257],
    };
    let mut next = 0usize;
    let mut code = 0u32;
    let mut len = 1;
    while len <= MAX_LEN {
        let mut level = Level {
            first: code,
            count: 0,
            start: next as u16,
        };
        let mut sym = 0;
        while sym < 257 {
            if CODE_LEN[sym] as usize == len {
                c.symbols[next] = sym as u16;
                next += 1;
                level.count += 1;
            }
            sym += 1;
        }
        c.levels[len] = level;
        code = (code + level.count as u32) << 1;
        len += 1;
    }
    c
}

#[cfg(test)]
static CANONICAL: Canonical = canonical();

/// Why a Huffman-coded string does not decode (RFC 7541 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuffmanError {
    /// The EOS symbol inside the string.
    Eos,
    /// The last bits are longer than 7, or not all ones.
    Padding,
}

/// The code tree's internal nodes (a complete code of 257 symbols has 256), root first:
/// each child is another node's index, or `LEAF | symbol`.
const LEAF: u16 = 0x8000;

/// One step of the nibble decoder: from a node, four bits lead to `next`, having met the
/// leaf `sym` on the way (`NONE` if none; at most one, since no code is shorter than 5).
#[derive(Clone, Copy)]
struct Step {
    next: u8,
    sym: u16,
}

const NONE: u16 = u16::MAX;

/// The nibble decoder: `steps[node][nibble]`, and which nodes are a valid end of a string
/// (reached from the root by at most 7 ones: the padding, RFC 7541 §5.2).
struct Nibbles {
    steps: [[Step; 16]; 256],
    ends: [bool; 256],
}

// Indexing in a const fn is checked when the crate compiles: out of bounds is a build error.
#[allow(clippy::indexing_slicing)]
const fn nibbles() -> Nibbles {
    // The tree, from the canonical codes.
    let c = canonical();
    let mut tree = [[0u16; 2]; 256];
    let mut nodes = 1usize;
    let mut len = 1;
    while len <= MAX_LEN {
        let level = c.levels[len];
        let mut rank = 0;
        while rank < level.count as usize {
            let code = level.first + rank as u32;
            let sym = c.symbols[level.start as usize + rank];
            let mut node = 0usize;
            let mut bit = len;
            while bit > 1 {
                bit -= 1;
                let b = ((code >> bit) & 1) as usize;
                if tree[node][b] == 0 {
                    tree[node][b] = nodes as u16;
                    nodes += 1;
                }
                node = tree[node][b] as usize;
            }
            tree[node][(code & 1) as usize] = LEAF | sym;
            rank += 1;
        }
        len += 1;
    }
    assert!(nodes == 256);
    let mut n = Nibbles {
        steps: [[Step { next: 0, sym: NONE }; 16]; 256],
        ends: [false; 256],
    };
    // The padding ends: the root and up to 7 ones from it.
    let mut node = 0usize;
    let mut depth = 0;
    while depth <= 7 {
        n.ends[node] = true;
        node = tree[node][1] as usize;
        depth += 1;
    }
    let mut from = 0;
    while from < 256 {
        let mut nibble = 0;
        while nibble < 16 {
            let mut node = from;
            let mut sym = NONE;
            let mut bit = 4;
            while bit > 0 {
                bit -= 1;
                let child = tree[node][(nibble >> bit) & 1];
                if child & LEAF != 0 {
                    assert!(sym == NONE);
                    sym = child & !LEAF;
                    node = 0;
                } else {
                    node = child as usize;
                }
            }
            n.steps[from][nibble] = Step {
                next: node as u8,
                sym,
            };
            nibble += 1;
        }
        from += 1;
    }
    n
}

static NIBBLES: Nibbles = nibbles();

/// Appends the octets `src` encodes to `out`: four bits per step through [`Nibbles`].
// A `u8` node and a 4-bit nibble index a 256 × 16 table: never out of bounds.
#[allow(clippy::indexing_slicing)]
pub fn decode(src: &[u8], out: &mut Vec<u8>) -> Result<(), HuffmanError> {
    let n = &NIBBLES;
    // At most 8 symbols per 5 bits: reserve what the shortest codes would give.
    out.reserve(src.len() * 8 / 5);
    let mut node = 0u8;
    for &byte in src {
        for nibble in [byte >> 4, byte & 0x0f] {
            let step = n.steps[usize::from(node)][usize::from(nibble)];
            match step.sym {
                NONE => {}
                EOS => return Err(HuffmanError::Eos),
                sym => out.push(sym as u8),
            }
            node = step.next;
        }
    }
    if !n.ends[usize::from(node)] {
        return Err(HuffmanError::Padding);
    }
    Ok(())
}

/// The same, one bit at a time through the canonical code's levels: the oracle of the
/// tests.
#[cfg(test)]
fn decode_bitwise(src: &[u8], out: &mut Vec<u8>) -> Result<(), HuffmanError> {
    let c = &CANONICAL;
    // At most 8 symbols per 5 bits: reserve what the shortest codes would give.
    out.reserve(src.len() * 8 / 5);
    let mut code = 0u32;
    let mut len = 0usize;
    for &byte in src {
        for shift in (0..8).rev() {
            code = (code << 1) | u32::from((byte >> shift) & 1);
            len += 1;
            // Past 30 bits cannot happen (the code is complete: every 30-bit pattern
            // starts with a code), and would read as EOS.
            let level = c.levels.get(len).ok_or(HuffmanError::Eos)?;
            let rank = code.wrapping_sub(level.first);
            if rank < u32::from(level.count) {
                let sym = c.symbols.get(usize::from(level.start) + rank as usize);
                match sym {
                    Some(&sym) if sym != EOS => out.push(sym as u8),
                    _ => return Err(HuffmanError::Eos),
                }
                code = 0;
                len = 0;
            }
        }
    }
    if len > 7 || code != (1u32 << len) - 1 {
        return Err(HuffmanError::Padding);
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The code of `sym`, from the lengths alone (the canonical construction).
    fn code_of(sym: usize) -> (u32, usize) {
        let len = usize::from(CODE_LEN[sym]);
        let level = CANONICAL.levels[len];
        let start = usize::from(level.start);
        let rank = CANONICAL.symbols[start..start + usize::from(level.count)]
            .iter()
            .position(|&s| usize::from(s) == sym)
            .unwrap();
        (level.first + rank as u32, len)
    }

    /// Huffman-codes `s` with the codes built from the lengths, padded with ones.
    pub(crate) fn encode(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u64, 0usize);
        for &b in s {
            let (code, len) = code_of(usize::from(b));
            acc = (acc << len) | u64::from(code);
            bits += len;
            while bits >= 8 {
                out.push((acc >> (bits - 8)) as u8);
                bits -= 8;
            }
        }
        if bits > 0 {
            out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) as u8);
        }
        out
    }

    /// The lengths give the codes of RFC 7541 Appendix B: every octet, coded with them, is
    /// read back by `loona-hpack`'s decoder (which holds the appendix's codes), alone and
    /// in a string of all 256.
    #[test]
    fn every_symbol_matches_loona_hpacks_table() {
        let all: Vec<u8> = (0..=255).collect();
        for s in all.chunks(1).chain([&all[..]]) {
            let coded = encode(s);
            let theirs = loona_hpack::huffman::HuffmanDecoder::new()
                .decode(&coded)
                .unwrap();
            assert_eq!(theirs, s, "{s:02x?}");
            let mut ours = Vec::new();
            decode(&coded, &mut ours).unwrap();
            assert_eq!(ours, s);
        }
        // EOS is 30 ones.
        assert_eq!(code_of(256), ((1 << 30) - 1, 30));
    }

    /// RFC 7541 C.4.1's authority and C.6.1's date.
    #[test]
    fn rfc7541_examples() {
        let mut out = Vec::new();
        decode(
            b"\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff",
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"www.example.com");
        out.clear();
        decode(
            b"\xd0\x7a\xbe\x94\x10\x54\xd4\x44\xa8\x20\x05\x95\x04\x0b\x81\x66\xe0\x82\xa6\x2d\x1b\xff",
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"Mon, 21 Oct 2013 20:13:21 GMT");
    }

    #[test]
    fn bad_endings_are_errors() {
        let mut out = Vec::new();
        // 'a' (00011) then 11 ones: padding longer than 7 bits.
        assert_eq!(decode(b"\x1f\xff", &mut out), Err(HuffmanError::Padding));
        // 'a' then 000: padding not all ones.
        assert_eq!(decode(b"\x18", &mut out), Err(HuffmanError::Padding));
        // EOS (30 ones) then two ones.
        assert_eq!(
            decode(b"\xff\xff\xff\xff", &mut out),
            Err(HuffmanError::Eos)
        );
        for bad in [&b"\x1f\xff"[..], b"\x18", b"\xff\xff\xff\xff"] {
            assert_eq!(decode(bad, &mut out), decode_bitwise(bad, &mut out));
        }
        // Nothing is a valid empty string.
        out.clear();
        assert_eq!(decode(b"", &mut out), Ok(()));
        assert!(out.is_empty());
    }

    /// Random bytes never panic, the nibble and bit decoders agree, and whatever decodes
    /// codes back to the same bytes.
    #[test]
    fn garbage_round_trips_or_fails() {
        let mut seed = 0x2545_f491u32;
        for n in 0..20_000 {
            let mut src = Vec::new();
            for _ in 0..(n % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                src.push(seed as u8);
            }
            let mut out = Vec::new();
            let r = decode(&src, &mut out);
            let mut bitwise = Vec::new();
            assert_eq!(r, decode_bitwise(&src, &mut bitwise), "{src:02x?}");
            if r.is_ok() {
                assert_eq!(out, bitwise);
                assert_eq!(encode(&out), src);
            }
        }
    }
}
