//! WebSocket frame header parser (RFC 6455 §5.2) and unmasking (§5.3).
//!
//! In: the bytes at the start of a frame. Out: a [`FrameHeader`] and how many bytes it took,
//! or nom's `Incomplete` when the header is not all there yet. The parser is pure and
//! streaming: it never consumes a partial header, and it never fails on a complete one —
//! everything odd about a header (reserved opcode, RSV bits, a non-minimal length, a 64-bit
//! length with the top bit set) is kept in the header for the decoder to judge, because
//! the decoder knows what was negotiated and who sent the frame.

use crate::vocab::Opcode;
use nom::number::streaming::{be_u16, be_u32, be_u64, be_u8};
use nom::IResult;

/// How the payload length was written on the wire (§5.2 "Payload length").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LenEncoding {
    /// 0-125 in the 7-bit field.
    Short,
    /// 126 followed by a 16-bit length.
    Extended16,
    /// 127 followed by a 64-bit length.
    Extended64,
}

/// A parsed frame header. Every field is what the wire said; nothing is judged here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrameHeader {
    pub fin: bool,
    /// RSV1..RSV3 as the low three bits (RSV1 = 0b100).
    pub rsv: u8,
    pub opcode: Opcode,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    pub len_encoding: LenEncoding,
    /// Bytes taken by the header (2 to 14).
    pub header_len: usize,
}

impl FrameHeader {
    pub fn masked(&self) -> bool {
        self.mask.is_some()
    }

    pub fn rsv1(&self) -> bool {
        self.rsv & 0b100 != 0
    }

    /// §5.2: "the minimal number of bytes MUST be used to encode the length".
    pub fn non_minimal_length(&self) -> bool {
        match self.len_encoding {
            LenEncoding::Short => false,
            LenEncoding::Extended16 => self.payload_len < 126,
            LenEncoding::Extended64 => self.payload_len <= 0xFFFF,
        }
    }

    /// §5.2: "the most significant bit MUST be 0" in a 64-bit length.
    pub fn length_top_bit_set(&self) -> bool {
        self.payload_len >> 63 != 0
    }
}

/// Longest possible header: 2 + 8 (64-bit length) + 4 (mask).
pub const MAX_HEADER_LEN: usize = 14;

/// Parse one frame header. `Err(nom::Err::Incomplete)` means more bytes are needed and
/// nothing was consumed; this parser returns no other error.
pub fn parse_header(input: &[u8]) -> IResult<&[u8], FrameHeader> {
    let start_len = input.len();
    let (i, b0) = be_u8(input)?;
    let (i, b1) = be_u8(i)?;
    let (i, (payload_len, len_encoding)) = match b1 & 0x7F {
        126 => {
            let (i, l) = be_u16(i)?;
            (i, (u64::from(l), LenEncoding::Extended16))
        }
        127 => {
            let (i, l) = be_u64(i)?;
            (i, (l, LenEncoding::Extended64))
        }
        n => (i, (u64::from(n), LenEncoding::Short)),
    };
    let (i, mask) = if b1 & 0x80 != 0 {
        let (i, key) = be_u32(i)?;
        (i, Some(key.to_be_bytes()))
    } else {
        (i, None)
    };
    let header = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: Opcode(b0 & 0x0F),
        mask,
        payload_len,
        len_encoding,
        header_len: start_len - i.len(),
    };
    Ok((i, header))
}

/// The key as seen from payload byte number `pos`: `rotated[j] == key[(pos + j) % 4]`.
fn rotated(key: [u8; 4], pos: u64) -> [u8; 4] {
    // Big-endian, byte `k` of the key sits `k` bytes from the top: rotating left by
    // `pos % 4` bytes brings byte `pos % 4` to the front.
    u32::from_be_bytes(key)
        .rotate_left(8 * (pos % 4) as u32)
        .to_be_bytes()
}

/// The key as seen from payload byte number `pos`, twice over, to XOR eight bytes at once.
fn mask8(key: [u8; 4], pos: u64) -> [u8; 8] {
    let [r0, r1, r2, r3] = rotated(key, pos);
    [r0, r1, r2, r3, r0, r1, r2, r3]
}

/// XOR `buf` with `key`, where `buf[0]` is payload byte number `pos` of its frame (§5.3).
/// Works a 64-bit word at a time; [`unmask_bytewise`] is the reference it is tested against.
pub fn unmask(buf: &mut [u8], key: [u8; 4], pos: u64) {
    let mask = mask8(key, pos);
    let word = u64::from_ne_bytes(mask);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let v = u64::from_ne_bytes(bytes) ^ word;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    // Fewer than 8 bytes remain, each at its place in `mask`.
    for (b, k) in chunks.into_remainder().iter_mut().zip(mask) {
        *b ^= k;
    }
}

/// Copies `src` into `dst` (same length) unmasked in one pass, a word at a time:
/// `dst[j] = src[j] ^ key[(pos + j) % 4]`.
#[inline(never)]
pub fn unmask_into(dst: &mut [u8], src: &[u8], key: [u8; 4], pos: u64) {
    let mask = mask8(key, pos);
    let word = u64::from_ne_bytes(mask);
    let n = dst.len().min(src.len());
    let (dst, src) = (
        dst.get_mut(..n).unwrap_or_default(),
        src.get(..n).unwrap_or_default(),
    );
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (dc, sc) in (&mut d).zip(&mut s) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(sc);
        dc.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    let rest = d.into_remainder().iter_mut().zip(s.remainder());
    for ((db, sb), k) in rest.zip(mask) {
        *db = sb ^ k;
    }
}

/// Byte-at-a-time unmasking, the plain statement of §5.3.
pub fn unmask_bytewise(buf: &mut [u8], key: [u8; 4], pos: u64) {
    for (j, b) in buf.iter_mut().enumerate() {
        // 2^64 is a multiple of 4: wrapping keeps the key position right; `% 4` is always
        // a position in the key.
        let at = (pos.wrapping_add(j as u64) % 4) as usize;
        *b ^= key.get(at).copied().unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Every strict prefix of a valid header is Incomplete, never an error, never a header.
    fn assert_prefixes_incomplete(frame: &[u8], header_len: usize) {
        for n in 0..header_len {
            match parse_header(&frame[..n]) {
                Err(nom::Err::Incomplete(_)) => {}
                other => panic!("prefix of {n} bytes gave {other:?}"),
            }
        }
    }

    #[test]
    fn rfc_single_frame_unmasked_text() {
        // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
        let f = hex("81 05 48 65 6c 6c 6f");
        let (rest, h) = parse_header(&f).unwrap();
        assert!(h.fin);
        assert_eq!(h.opcode, Opcode::TEXT);
        assert_eq!(h.payload_len, 5);
        assert_eq!(h.mask, None);
        assert_eq!(h.header_len, 2);
        assert_eq!(rest, b"Hello");
        assert_prefixes_incomplete(&f, 2);
    }

    #[test]
    fn rfc_single_frame_masked_text() {
        // RFC 6455 §5.7: masked "Hello".
        let f = hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
        let (rest, h) = parse_header(&f).unwrap();
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(h.header_len, 6);
        let mut p = rest.to_vec();
        unmask(&mut p, h.mask.unwrap(), 0);
        assert_eq!(p, b"Hello");
        assert_prefixes_incomplete(&f, 6);
    }

    #[test]
    fn rfc_fragmented_text() {
        // RFC 6455 §5.7: "Hel" then "lo" as a continuation.
        let a = hex("01 03 48 65 6c");
        let b = hex("80 02 6c 6f");
        let (_, ha) = parse_header(&a).unwrap();
        let (_, hb) = parse_header(&b).unwrap();
        assert!(!ha.fin && ha.opcode == Opcode::TEXT);
        assert!(hb.fin && hb.opcode == Opcode::CONTINUATION);
    }

    #[test]
    fn rfc_ping_and_pong() {
        let (_, ping) = parse_header(&hex("89 05 48 65 6c 6c 6f")).unwrap();
        assert_eq!(ping.opcode, Opcode::PING);
        assert!(ping.opcode.is_control());
        let (_, pong) = parse_header(&hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")).unwrap();
        assert_eq!(pong.opcode, Opcode::PONG);
        assert!(pong.masked());
    }

    #[test]
    fn rfc_16_and_64_bit_lengths() {
        // 256 bytes binary, unmasked: 82 7E 0100
        let f = hex("82 7E 01 00");
        let (_, h) = parse_header(&f).unwrap();
        assert_eq!(h.payload_len, 256);
        assert_eq!(h.len_encoding, LenEncoding::Extended16);
        assert!(!h.non_minimal_length());
        assert_prefixes_incomplete(&f, 4);
        // 64 KiB binary, unmasked: 82 7F 0000000000010000
        let f = hex("82 7F 00 00 00 00 00 01 00 00");
        let (_, h) = parse_header(&f).unwrap();
        assert_eq!(h.payload_len, 65536);
        assert_eq!(h.header_len, 10);
        assert_prefixes_incomplete(&f, 10);
        // Masked with a 64-bit length: the longest header, 14 bytes.
        let f = hex("82 FF 00 00 00 00 00 01 00 00 01 02 03 04");
        let (_, h) = parse_header(&f).unwrap();
        assert_eq!(h.header_len, MAX_HEADER_LEN);
        assert_eq!(h.mask, Some([1, 2, 3, 4]));
        assert_prefixes_incomplete(&f, 14);
    }

    #[test]
    fn odd_headers_are_kept_not_rejected() {
        // RSV1+RSV3, reserved opcode 0x3, non-minimal 16-bit length of 5.
        let (_, h) = parse_header(&hex("D3 7E 00 05")).unwrap();
        assert_eq!(h.rsv, 0b101);
        assert!(h.rsv1());
        assert!(h.opcode.is_reserved());
        assert!(h.non_minimal_length());
        // 64-bit length with the top bit set.
        let (_, h) = parse_header(&hex("82 7F 80 00 00 00 00 00 00 00")).unwrap();
        assert!(h.length_top_bit_set());
        // 64-bit encoding of a length that fits in 16 bits.
        let (_, h) = parse_header(&hex("82 7F 00 00 00 00 00 00 00 7E")).unwrap();
        assert!(h.non_minimal_length());
    }

    #[test]
    fn close_frame_header() {
        // Masked close, code 1000 "bye".
        let f = hex("88 85 00 00 00 00 03 e8 62 79 65");
        let (rest, h) = parse_header(&f).unwrap();
        assert_eq!(h.opcode, Opcode::CLOSE);
        assert_eq!(rest, &f[6..]);
        assert_eq!(h.opcode.to_string(), "close");
        assert_eq!(Opcode(0xB).to_string(), "reserved-control (0xB)");
    }

    #[test]
    fn word_unmask_matches_bytewise_at_every_alignment() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data: Vec<u8> = (0..100u8).map(|b| b.wrapping_mul(31)).collect();
        for start in 0..9 {
            for len in 0..40 {
                for pos in 0..5u64 {
                    let mut a = data[start..start + len].to_vec();
                    let mut b = a.clone();
                    unmask(&mut a, key, pos);
                    unmask_bytewise(&mut b, key, pos);
                    assert_eq!(a, b, "start {start} len {len} pos {pos}");
                }
            }
        }
    }

    #[test]
    fn unmask_into_matches_unmask_at_every_alignment() {
        let key = [0x11, 0x22, 0x33, 0x44];
        let data: Vec<u8> = (0..64u8).collect();
        for len in 0..40 {
            for pos in 0..5u64 {
                let mut a = data[..len].to_vec();
                unmask(&mut a, key, pos);
                let mut b = vec![0u8; len];
                unmask_into(&mut b, &data[..len], key, pos);
                assert_eq!(a, b, "len {len} pos {pos}");
            }
        }
    }

    #[test]
    fn unmask_in_pieces_equals_whole() {
        let key = [9, 8, 7, 6];
        let mut whole: Vec<u8> = (0..33).collect();
        let mut parts = whole.clone();
        unmask(&mut whole, key, 0);
        let (a, b) = parts.split_at_mut(7);
        unmask(a, key, 0);
        unmask(b, key, 7);
        assert_eq!(whole, parts);
    }
}
