//! Finding a WebSocket stream without its handshake (reassembly rules 3 and 8).
//!
//! In: the first bytes of a segment in a direction whose start was not captured (no SYN,
//! no HTTP upgrade). Out: the sender's role if those bytes begin a WebSocket frame by a
//! strict test, else nothing. Strict means: a known opcode; RSV bits clear (or RSV1 alone
//! on a data frame, as permessage-deflate allows); a control frame short and unfragmented;
//! the length in its minimal form and sane; and, where the bytes allow, the frame that
//! follows passing the same test with the same mask bit, a text payload that is UTF-8, a
//! close payload with a code an endpoint may send. Masked means client to server (RFC 6455
//! §5.1), so the test also tells the roles.

use super::frame::{parse_header, unmask, FrameHeader};
use crate::close::catalog::{self, OnWire};
use crate::vocab::{Opcode, Role};

/// Largest payload a probe believes in (a real frame may be larger, but a guess may not).
const MAX_PROBE_LEN: u64 = 1 << 26;

fn plausible(h: &FrameHeader) -> bool {
    let rsv_ok =
        h.rsv == 0 || (h.rsv == 0b100 && matches!(h.opcode, Opcode::TEXT | Opcode::BINARY));
    rsv_ok
        && !h.opcode.is_reserved()
        && !(h.opcode.is_control() && (h.payload_len > 125 || !h.fin))
        && !h.non_minimal_length()
        && h.payload_len <= MAX_PROBE_LEN
}

/// Does the payload, where it is all here, look like what its opcode says?
fn payload_fits(h: &FrameHeader, payload: &[u8]) -> bool {
    if payload.len() as u64 != h.payload_len || payload.len() > 4096 {
        return true;
    }
    let mut p = payload.to_vec();
    if let Some(key) = h.mask {
        unmask(&mut p, key, 0);
    }
    match h.opcode {
        Opcode::TEXT if h.rsv == 0 && h.fin => simdutf8::basic::from_utf8(&p).is_ok(),
        Opcode::CLOSE => match p.as_slice() {
            [] => true,
            [_] => false,
            [hi, lo, reason @ ..] => {
                catalog::lookup(u16::from_be_bytes([*hi, *lo])).on_wire == OnWire::Allowed
                    && simdutf8::basic::from_utf8(reason).is_ok()
            }
        },
        _ => true,
    }
}

/// The role of the sender if `bytes` starts with a WebSocket frame by the strict test.
pub fn probe(bytes: &[u8]) -> Option<Role> {
    let (_, h) = parse_header(bytes).ok()?;
    if !plausible(&h) {
        return None;
    }
    let after_header = bytes.get(h.header_len..).unwrap_or_default();
    let len = usize::try_from(h.payload_len).unwrap_or(usize::MAX);
    // The payload as far as this segment holds it, and whatever follows the frame.
    let (payload, next) = after_header
        .split_at_checked(len)
        .unwrap_or((after_header, &[]));
    if !payload_fits(&h, payload) {
        return None;
    }
    if !next.is_empty() {
        // The next frame must pass too, with the same direction's mask bit.
        match parse_header(next) {
            Ok((_, n)) if plausible(&n) && n.masked() == h.masked() => {}
            Ok(_) => return None,
            Err(_) => {}
        }
    }
    Some(if h.masked() {
        Role::Client
    } else {
        Role::Server
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_pass_and_roles_follow_the_mask() {
        assert_eq!(probe(b"\x81\x05Hello"), Some(Role::Server));
        assert_eq!(
            probe(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"),
            Some(Role::Client)
        );
        assert_eq!(probe(b"\x88\x02\x03\xe8\x81\x01a"), Some(Role::Server));
        // A frame cut by the end of the segment: cannot check the payload, still a frame.
        assert_eq!(probe(b"\x82\x7e\x10\x00abc"), Some(Role::Server));
    }

    #[test]
    fn non_frames_fail() {
        assert_eq!(probe(b"SSH-2.0-OpenSSH_9.6\r\n"), None);
        assert_eq!(probe(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), None); // TLS
        assert_eq!(probe(b"\x83\x01a"), None); // reserved opcode
        assert_eq!(probe(b"\x89\x7e\x00\x80"), None); // long ping
        assert_eq!(probe(b"\x81\x02\xff\xfe"), None); // text, not UTF-8
        assert_eq!(probe(b"\x88\x02\x03\xed"), None); // close 1005 on the wire
        assert_eq!(probe(b"\x81\x01a\x81\x81\x00\x00\x00\x00a"), None); // mask bit flips
        assert_eq!(probe(b"\x00"), None);
        assert_eq!(probe(b""), None);
    }
}
