//! Link, network and transport decoding with etherparse.
//!
//! In: a [`Packet`] (link type + bytes). Out: a zero-copy [`Segment`] view of its TCP
//! header and payload, or why there is none. Link types: Ethernet (with 802.1Q/QinQ tags),
//! Linux cooked SLL and SLL2, BSD loopback NULL and LOOP, raw IPv4/IPv6. Slicing is lax
//! (etherparse's `LaxSlicedPacket`) so a packet cut by the snaplen still yields its TCP
//! header; the bytes the snaplen cut off are counted in `Segment::missing`, never invented.

use crate::capture::{LinkType, Packet};
use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};
use std::net::IpAddr;

/// An IP address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// A TCP segment, borrowing its payload from the packet.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub window: u16,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload bytes that were on the wire but not captured (snaplen).
    pub missing: u32,
}

/// Why a packet produced no TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A link type this tool does not decode.
    UnsupportedLink(LinkType),
    /// Not IP, or IP but not TCP (UDP, ICMP, ARP, IP fragments, ...).
    NotTcp,
    /// Headers cut short or malformed.
    Malformed,
}

pub fn decode<'a>(pkt: &Packet<'a>) -> Result<Segment<'a>, Skip> {
    let data = pkt.data;
    let sliced = match pkt.link {
        LinkType::ETHERNET => LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::Malformed)?,
        LinkType::LINUX_SLL => {
            // 16-byte header, protocol (an EtherType for IP) in the last two bytes.
            let proto = data.get(14..16).ok_or(Skip::Malformed)?;
            let payload = data.get(16..).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([proto[0], proto[1]])),
                payload,
            )
        }
        LinkType::LINUX_SLL2 => {
            // 20-byte header, protocol in the first two bytes.
            let proto = data.get(0..2).ok_or(Skip::Malformed)?;
            let payload = data.get(20..).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([proto[0], proto[1]])),
                payload,
            )
        }
        LinkType::NULL | LinkType::LOOP => {
            // 4-byte address family (host order for NULL, network order for LOOP); the IP
            // version nibble says the rest, whatever the family's number on the sender's OS.
            let payload = data.get(4..).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ip(payload).map_err(|_| Skip::NotTcp)?
        }
        LinkType(12) | LinkType(14) | LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => {
            LaxSlicedPacket::from_ip(data).map_err(|_| Skip::NotTcp)?
        }
        other => return Err(Skip::UnsupportedLink(other)),
    };
    let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
        return Err(match sliced.stop_err {
            Some(_) if sliced.net.is_some() => Skip::Malformed,
            _ => Skip::NotTcp,
        });
    };
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            (h.source_addr().into(), h.destination_addr().into())
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            (h.source_addr().into(), h.destination_addr().into())
        }
        _ => return Err(Skip::NotTcp),
    };
    let payload = tcp.payload();
    let cut = pkt.orig_len.saturating_sub(data.len() as u32);
    Ok(Segment {
        src: Endpoint {
            ip: src_ip,
            port: tcp.source_port(),
        },
        dst: Endpoint {
            ip: dst_ip,
            port: tcp.destination_port(),
        },
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        syn: tcp.syn(),
        ack_flag: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        window: tcp.window_size(),
        payload,
        missing: cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use etherparse::PacketBuilder;

    fn pkt(link: LinkType, data: &[u8]) -> Packet<'_> {
        Packet {
            number: 1,
            ts: Timestamp(0),
            link,
            data,
            orig_len: data.len() as u32,
        }
    }

    fn tcp_v4(payload: &[u8]) -> Vec<u8> {
        let b = PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 2], 64)
            .tcp(40000, 8765, 1000, 512)
            .ack(77)
            .psh();
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn ethernet_with_two_vlan_tags() {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6])
            .double_vlan(
                etherparse::VlanId::try_new(10).unwrap(),
                etherparse::VlanId::try_new(20).unwrap(),
            )
            .ipv6([0; 16], [1; 16], 64)
            .tcp(1, 2, 3, 4);
        let mut data = Vec::new();
        b.write(&mut data, b"hi").unwrap();
        let s = decode(&pkt(LinkType::ETHERNET, &data)).unwrap();
        assert_eq!(s.payload, b"hi");
        assert_eq!(s.dst.port, 2);
        assert!(s.src.ip.is_ipv6());
    }

    #[test]
    fn sll_sll2_null_loop_raw() {
        let ip = tcp_v4(b"GET");
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut lo = 2u32.to_be_bytes().to_vec();
        lo.extend_from_slice(&ip);
        for (link, data) in [
            (LinkType::LINUX_SLL, &sll),
            (LinkType::LINUX_SLL2, &sll2),
            (LinkType::NULL, &null),
            (LinkType::LOOP, &lo),
            (LinkType::RAW, &ip),
            (LinkType::IPV4, &ip),
        ] {
            let s = decode(&pkt(link, data)).unwrap_or_else(|e| panic!("{link}: {e:?}"));
            assert_eq!(s.payload, b"GET", "{link}");
            assert_eq!((s.seq, s.ack, s.src.port), (1000, 77, 40000), "{link}");
            assert_eq!(s.missing, 0);
        }
    }

    #[test]
    fn snaplen_cut_is_counted_not_invented() {
        let ip = tcp_v4(&[b'x'; 100]);
        let cut = &ip[..60];
        let p = Packet {
            orig_len: ip.len() as u32,
            ..pkt(LinkType::RAW, cut)
        };
        let s = decode(&p).unwrap();
        assert_eq!(s.payload.len() + s.missing as usize, 100);
        assert_eq!(s.missing, (ip.len() - 60) as u32);
    }

    #[test]
    fn unsupported_and_garbage() {
        assert_eq!(
            decode(&pkt(LinkType(147), b"abc")).unwrap_err(),
            Skip::UnsupportedLink(LinkType(147))
        );
        assert!(decode(&pkt(LinkType::ETHERNET, b"ab")).is_err());
        assert!(decode(&pkt(LinkType::RAW, &[])).is_err());
        assert!(decode(&pkt(LinkType::LINUX_SLL, &[0; 10])).is_err());
    }
}
