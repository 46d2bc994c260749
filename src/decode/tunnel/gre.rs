//! GRE (RFC 2784, RFC 2890's key and sequence number), and ERSPAN types I, II and III in
//! it (draft-foschiano-erspan-03).

use super::*;

/// GRE (RFC 2784 §2, RFC 2890 §2): flags and version, the protocol type; then a checksum
/// (C), a key (K) and a sequence number (S), each 4 bytes, when their flag is set. Version
/// 1 (PPTP) and source routing (R, RFC 1701) are not read. ERSPAN rides on GRE.
pub(super) fn gre<'a>(
    b: &'a [u8],
    outer: Option<Ends>,
    path: &mut Path,
) -> Result<Layer<'a>, Skip> {
    let flags = be16(b, 0)?;
    let protocol = be16(b, 2)?;
    if flags & 0x0007 != 0 || flags & 0x4000 != 0 {
        return Err(Skip::NotTcp);
    }
    let mut at = 4;
    if flags & 0x8000 != 0 {
        at += 4;
    }
    let key = if flags & 0x2000 != 0 {
        at += 4;
        Some(be32(b, at - 4)?)
    } else {
        None
    };
    let sequenced = flags & 0x1000 != 0;
    if sequenced {
        at += 4;
    }
    let b = rest(b, at)?;
    Ok(match protocol {
        // ERSPAN type II has a sequence number and an 8-byte header (version 1, ..., a 10-bit
        // session id); type I has neither: the mirrored frame follows GRE's header.
        0x88be if sequenced => {
            let session = be16(b, 2)? & 0x03ff;
            path.push(Tunnel::ErspanII, Some(u32::from(session)), outer)?;
            Layer::Ether(rest(b, 8)?)
        }
        0x88be => {
            path.push(Tunnel::ErspanI, None, outer)?;
            Layer::Ether(b)
        }
        // ERSPAN type III: a 12-byte header (version 2, ..., the session id; a timestamp;
        // the frame type FT and the O flag of an 8-byte platform subheader), then an
        // Ethernet frame (FT 0) or an IP packet (FT 2).
        0x22eb => {
            let session = be16(b, 2)? & 0x03ff;
            let word = be32(b, 8)?;
            path.push(Tunnel::ErspanIII, Some(u32::from(session)), outer)?;
            let len = if word & 1 != 0 { 20 } else { 12 };
            match (word >> 10) & 0x1f {
                0 => Layer::Ether(rest(b, len)?),
                2 => Layer::Ip(rest(b, len)?),
                _ => return Err(Skip::NotTcp),
            }
        }
        _ => {
            path.push(Tunnel::Gre, key, outer)?;
            Layer::Typed(protocol, b)
        }
    })
}
