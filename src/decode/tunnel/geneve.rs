//! GENEVE (RFC 8926): what its protocol type names, in UDP 6081, named by its VNI, its
//! options skipped.

use super::*;

/// GENEVE (RFC 8926 §3.4): version (0) and options length (in 4-byte words), flags, the
/// protocol type (an EtherType), the 24-bit VNI, a reserved byte, then the options.
pub(super) fn geneve<'a>(
    b: &'a [u8],
    outer: Option<Ends>,
    path: &mut Path,
) -> Result<Layer<'a>, Skip> {
    let first = *b.first().ok_or(Skip::Malformed)?;
    if first >> 6 != 0 {
        return Err(Skip::NotTcp);
    }
    let protocol = be16(b, 2)?;
    let vni = be32(b, 4)? >> 8;
    let len = 8 + usize::from(first & 0x3f) * 4;
    path.push(Tunnel::Geneve, Some(vni), outer)?;
    Ok(Layer::Typed(protocol, rest(b, len)?))
}
