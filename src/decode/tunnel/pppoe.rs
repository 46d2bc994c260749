//! PPPoE session frames (RFC 2516): IPv4 or IPv6 in PPP.

use super::*;

/// A PPPoE session frame (RFC 2516 §4: version and type 0x11, code 0, the session id, the
/// length), then PPP's protocol (RFC 1661 §2; 1 byte when compressed): IPv4 0x21, IPv6 0x57.
pub(super) fn pppoe<'a>(b: &'a [u8], path: &mut Path) -> Result<Layer<'a>, Skip> {
    if b.get(..2) != Some(&[0x11, 0x00]) {
        return Err(Skip::NotTcp);
    }
    let session = be16(b, 2)?;
    let len = usize::from(be16(b, 4)?);
    let ppp = rest(b, 6)?;
    let ppp = ppp.get(..len).unwrap_or(ppp);
    path.push(Tunnel::Pppoe, Some(u32::from(session)), None)?;
    let (protocol, at) = match ppp.first() {
        Some(p) if p & 1 == 1 => (u16::from(*p), 1),
        _ => (be16(ppp, 0)?, 2),
    };
    match protocol {
        0x0021 | 0x0057 => Ok(Layer::Ip(rest(ppp, at)?)),
        _ => Err(Skip::NotTcp),
    }
}
