//! MPLS label stacks (RFC 3032), over Ethernet, GRE or IP (RFC 4023): IPv4, IPv6 or an
//! Ethernet pseudowire (RFC 4385) under the bottom label.

use super::*;

/// An MPLS label stack (RFC 3032 §2.1: 20-bit label, traffic class, bottom-of-stack flag,
/// TTL, 4 bytes each), then what the first nibble says: IPv4 (4), IPv6 (6), or an Ethernet
/// pseudowire's control word (0, RFC 4385 §3) and its frame.
pub(super) fn mpls<'a>(
    b: &'a [u8],
    outer: Option<Ends>,
    path: &mut Path,
) -> Result<Layer<'a>, Skip> {
    path.push(Tunnel::Mpls, Some(be32(b, 0)? >> 12), outer)?;
    for i in 0..MAX_HEADERS {
        if be32(b, i * 4)? & 0x100 != 0 {
            let payload = rest(b, i * 4 + 4)?;
            return Ok(match payload.first().map(|v| v >> 4) {
                Some(4 | 6) => Layer::Ip(payload),
                Some(0) => Layer::Ether(rest(payload, 4)?),
                _ => return Err(Skip::NotTcp),
            });
        }
    }
    Err(Skip::TooDeep)
}
