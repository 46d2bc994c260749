//! VXLAN (RFC 7348): an Ethernet frame in UDP (4789, or Linux's 8472), named by its VNI.

use super::*;

/// VXLAN (RFC 7348 §5): flags (I, 0x08: the VNI is valid), 3 reserved bytes, the 24-bit
/// VNI, a reserved byte; then an Ethernet frame. Without the I flag it is not read as VXLAN.
pub(super) fn vxlan<'a>(
    b: &'a [u8],
    outer: Option<Ends>,
    path: &mut Path,
) -> Result<Layer<'a>, Skip> {
    let word = be32(b, 4)?;
    if b.first().is_none_or(|flags| flags & 0x08 == 0) {
        return Err(Skip::NotTcp);
    }
    path.push(Tunnel::Vxlan, Some(word >> 8), outer)?;
    Ok(Layer::Ether(rest(b, 8)?))
}
