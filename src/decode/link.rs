//! The link layer where the walk through a packet's headers starts, for the tunnels
//! (`tunnel`), with the two link types whose header wraps a packet of another: NFLOG
//! (Linux netfilter's log, Android and iptables' `NFLOG` target; LINKTYPE 239) and PKTAP
//! (Apple's per-process capture, `tcpdump -i pktap`; LINKTYPE 258).
//!
//! In: a link type and a packet's bytes. Out: the first [`Layer`] inside, or why there is
//! none. The byte layouts are those of tcpdump.org's LINKTYPE_NFLOG and LINKTYPE_PKTAP
//! pages (and Apple's `struct pktap_header`).

use super::Skip;
use crate::vocab::LinkType;
use std::net::IpAddr;

/// Where the walk through a packet's headers is.
#[derive(Debug, Clone, Copy)]
pub(super) enum Layer<'a> {
    /// An Ethernet II frame.
    Ether(&'a [u8]),
    /// What an EtherType says follows (Ethernet, VLAN tags, SLL, GRE and GENEVE use them).
    Typed(u16, &'a [u8]),
    /// An IPv4 or IPv6 packet.
    Ip(&'a [u8]),
    /// An MPLS label stack, carried by the IP header with these addresses (if any).
    Mpls(&'a [u8], Option<(IpAddr, IpAddr)>),
}

/// The first layer inside a packet of link type `link`.
pub(super) fn start(link: LinkType, data: &[u8]) -> Result<Layer<'_>, Skip> {
    start_in(link, data, true)
}

/// [`start`]; `outer`: not inside a PKTAP header already (one is read, not a nest of them).
fn start_in(link: LinkType, data: &[u8], outer: bool) -> Result<Layer<'_>, Skip> {
    let after = |at: usize| data.get(at..).ok_or(Skip::Malformed);
    Ok(match link {
        LinkType::ETHERNET => Layer::Ether(data),
        // 16 bytes, the protocol (an EtherType for IP) in the last two.
        LinkType::LINUX_SLL => Layer::Typed(be16(data, 14)?, after(16)?),
        // 20 bytes, the protocol in the first two.
        LinkType::LINUX_SLL2 => Layer::Typed(be16(data, 0)?, after(20)?),
        // A 4-byte address family; the IP version nibble says the rest.
        LinkType::NULL | LinkType::LOOP => Layer::Ip(after(4)?),
        LinkType(12) | LinkType(14) | LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => {
            Layer::Ip(data)
        }
        LinkType::NFLOG => Layer::Ip(nflog(data)?),
        LinkType::PKTAP if outer => {
            let (inner, packet) = pktap(data)?;
            start_in(inner, packet, false)?
        }
        other => return Err(Skip::UnsupportedLink(other)),
    })
}

fn be16(b: &[u8], at: usize) -> Result<u16, Skip> {
    match b.get(at..at + 2) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err(Skip::Malformed),
    }
}

/// The NFLOG TLV that holds the packet (NFULA_PAYLOAD).
const NFULA_PAYLOAD: u16 = 9;

/// NFLOG: a 4-byte header (address family, version 0, resource id), then TLVs, each a
/// length (counting its 4-byte head, padded to 4 bytes) and a type, both in the byte order
/// of the host that captured (its high bits flags; the types are below 256, which tells
/// the order), then the value. The packet, an IPv4 or IPv6 one, is the value of the
/// NFULA_PAYLOAD TLV; a snap length may cut it.
fn nflog(data: &[u8]) -> Result<&[u8], Skip> {
    let (head, mut tlvs) = data.split_first_chunk::<4>().ok_or(Skip::Malformed)?;
    if head[1] != 0 {
        return Err(Skip::Malformed);
    }
    while let Some(&[a, b, c, d]) = tlvs.first_chunk::<4>() {
        let (len, kind) = if u16::from_le_bytes([c, d]) & 0x3fff < 0x100 {
            (u16::from_le_bytes([a, b]), u16::from_le_bytes([c, d]))
        } else {
            (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]))
        };
        let len = usize::from(len);
        if len < 4 {
            return Err(Skip::Malformed);
        }
        if kind & 0x3fff == NFULA_PAYLOAD {
            return Ok(tlvs
                .get(4..len)
                .or_else(|| tlvs.get(4..))
                .unwrap_or_default());
        }
        tlvs = tlvs.get((len + 3) & !3..).unwrap_or_default();
    }
    // An NFLOG message without the packet (a log entry of its metadata only).
    Err(Skip::NotTcp)
}

/// PKTAP: Apple's `struct pktap_header`, in the capturing host's byte order (little-endian
/// on every Mac): its length, the type of what follows (1: a packet), the packet's link
/// type (a DLT: 0 NULL, 1 Ethernet, 12 raw IP, ...), the interface, process and flow;
/// then the packet.
fn pktap(data: &[u8]) -> Result<(LinkType, &[u8]), Skip> {
    let word = |at: usize| match data.get(at..at + 4) {
        Some(&[a, b, c, d]) => Ok(u32::from_le_bytes([a, b, c, d])),
        _ => Err(Skip::Malformed),
    };
    let (len, next, dlt) = (word(0)?, word(4)?, word(8)?);
    let packet = usize::try_from(len)
        .ok()
        .filter(|&l| l >= 12)
        .and_then(|l| data.get(l..))
        .ok_or(Skip::Malformed)?;
    if next != 1 {
        return Err(Skip::NotTcp);
    }
    Ok((LinkType(dlt), packet))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(le: bool, kind: u16, value: &[u8]) -> Vec<u8> {
        let len = (4 + value.len()) as u16;
        let mut v = Vec::new();
        if le {
            v.extend_from_slice(&len.to_le_bytes());
            v.extend_from_slice(&kind.to_le_bytes());
        } else {
            v.extend_from_slice(&len.to_be_bytes());
            v.extend_from_slice(&kind.to_be_bytes());
        }
        v.extend_from_slice(value);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    /// The packet is found after other TLVs (one of an odd length, padded), in either byte
    /// order; without it, not TCP; a TLV shorter than its head is malformed.
    #[test]
    fn nflog_payload_in_either_byte_order() {
        for le in [true, false] {
            let mut data = vec![2, 0, 0, 5];
            data.extend(tlv(le, 1, &[0x08, 0x00, 3, 0]));
            data.extend(tlv(le, 10, b"iptables-prefix"));
            data.extend(tlv(le, NFULA_PAYLOAD, b"\x45packet"));
            assert_eq!(nflog(&data), Ok(&b"\x45packet"[..]), "le {le}");
            // Cut by the snap length within the payload.
            let cut = &data[..data.len() - 4];
            assert_eq!(nflog(cut).map(|p| p.len()), Ok(4), "le {le}");
            let mut none = vec![2, 0, 0, 5];
            none.extend(tlv(le, 1, &[0x08, 0x00, 3, 0]));
            assert_eq!(nflog(&none), Err(Skip::NotTcp));
        }
        assert_eq!(nflog(&[2, 0, 0, 5, 2, 0, 9, 0]), Err(Skip::Malformed));
        assert_eq!(nflog(&[2, 1, 0, 5]), Err(Skip::Malformed));
        assert_eq!(nflog(&[2, 0]), Err(Skip::Malformed));
    }

    #[test]
    fn pktap_header_names_the_inner_link_type() {
        let mut data = vec![0u8; 108];
        data[..4].copy_from_slice(&108u32.to_le_bytes());
        data[4..8].copy_from_slice(&1u32.to_le_bytes());
        data[8..12].copy_from_slice(&12u32.to_le_bytes());
        data.extend_from_slice(b"\x45ip");
        assert_eq!(pktap(&data), Ok((LinkType(12), &b"\x45ip"[..])));
        assert!(matches!(
            start(LinkType::PKTAP, &data),
            Ok(Layer::Ip(b"\x45ip"))
        ));
        // A PKTAP header inside one is not read again.
        data[8..12].copy_from_slice(&258u32.to_le_bytes());
        assert_eq!(
            start(LinkType::PKTAP, &data).unwrap_err(),
            Skip::UnsupportedLink(LinkType::PKTAP)
        );
        data[4..8].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(pktap(&data).unwrap_err(), Skip::NotTcp);
        data[..4].copy_from_slice(&5000u32.to_le_bytes());
        assert_eq!(pktap(&data).unwrap_err(), Skip::Malformed);
    }
}
