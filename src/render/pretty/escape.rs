//! Which bytes of a string the JSON writer must escape, checked a word (or a vector) at a
//! time, and the `\uXXXX` escape itself.

/// `\uXXXX` for one UTF-16 unit, lowercase hex as serde_json writes it.
pub(super) fn unicode_escape(unit: u16) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |shift: u16| HEX.get(usize::from((unit >> shift) & 0xf)).copied();
    let digit = |shift| hex(shift).unwrap_or(b'0');
    [b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]
}

/// Does `s` hold a byte that a JSON string cannot carry as it is, or that is not plain
/// printable ASCII: a control, `"`, `\`, DEL, or any byte of a character beyond ASCII?
/// Up to 16 bytes as two words of eight, overlapping, each checked at once; longer strings
/// sixteen bytes at a time without a branch per byte, so that the compiler vectorizes it.
#[inline(always)]
pub(super) fn needs_escape(s: &[u8]) -> bool {
    if let (Some(a), Some(b)) = (s.first_chunk::<8>(), s.last_chunk::<8>()) {
        if s.len() <= 16 {
            return word_needs_escape(u64::from_le_bytes(*a))
                | word_needs_escape(u64::from_le_bytes(*b));
        }
        return long_needs_escape(s);
    }
    if let (Some(a), Some(b)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        let (a, b) = (u32::from_le_bytes(*a), u32::from_le_bytes(*b));
        return word_needs_escape(u64::from(a) | u64::from(b) << 32);
    }
    s.iter().any(|&b| byte_needs_escape(b))
}

/// [`needs_escape`] of more than 16 bytes: by blocks of 64 (vector code), then by words
/// of eight, the last one overlapping.
fn long_needs_escape(s: &[u8]) -> bool {
    let (blocks, rest) = s.as_chunks::<64>();
    let (words, _) = rest.as_chunks::<8>();
    blocks
        .iter()
        .any(|b| b.iter().fold(false, |acc, &b| acc | byte_needs_escape(b)))
        || words
            .iter()
            .any(|w| word_needs_escape(u64::from_le_bytes(*w)))
        || s.last_chunk::<8>()
            .is_some_and(|w| word_needs_escape(u64::from_le_bytes(*w)))
}

/// Where the first byte of `s` that may need an escape is: the blocks of sixteen bytes
/// that need none are passed over whole (vector code), then the words of eight.
pub(super) fn next_to_look_at(s: &[u8]) -> Option<usize> {
    let (blocks, _) = s.as_chunks::<16>();
    let blocks = blocks
        .iter()
        .take_while(|b| !b.iter().fold(false, |acc, &b| acc | byte_needs_escape(b)))
        .count();
    let rest = s.get(16 * blocks..)?;
    let (words, _) = rest.as_chunks::<8>();
    let words = words
        .iter()
        .take_while(|w| !word_needs_escape(u64::from_le_bytes(**w)))
        .count();
    let skip = 16 * blocks + 8 * words;
    let k = s.get(skip..)?.iter().position(|&b| byte_needs_escape(b))?;
    Some(skip + k)
}

/// One byte of [`needs_escape`]: outside 0x20..0x7f (one unsigned comparison), or `"` or `\`.
#[inline(always)]
pub(super) fn byte_needs_escape(b: u8) -> bool {
    (b.wrapping_sub(0x20) >= 0x5f) | (b == b'"') | (b == b'\\')
}

/// Eight bytes of [`needs_escape`] in one word: the high bit of a byte of a term is set
/// where that byte is below 0x20, at least 0x7f, `"` or `\` (a borrow or carry crosses into
/// the next byte only from a byte that is one of those, so the answer is exact).
#[inline(always)]
fn word_needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let del_or_more = x.wrapping_add(ONES) | x;
    let quote = zero(x ^ (ONES * u64::from(b'"')));
    let backslash = zero(x ^ (ONES * u64::from(b'\\')));
    (control | del_or_more | quote | backslash) & HIGH != 0
}
