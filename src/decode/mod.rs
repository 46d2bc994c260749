//! Link, network and transport decoding with etherparse.
//!
//! In: a [`Packet`] (link type + bytes). Out: a zero-copy [`Segment`] view of its TCP
//! header and payload, or why there is none. Link types: Ethernet (with 802.1Q/QinQ tags),
//! Linux cooked SLL and SLL2, BSD loopback NULL and LOOP, raw IPv4/IPv6, NFLOG and PKTAP
//! (`link`). Slicing is lax (etherparse's `LaxSlicedPacket`) so a packet cut by the snaplen
//! still yields its TCP header; the bytes the snaplen cut off are counted in
//! `Segment::missing`, never invented. A plain TCP packet (the common case, RFC 791 /
//! RFC 8200 / RFC 9293 headers checked by etherparse's slices) can also be looked at once
//! for where its parts are ([`Plain`]), and its segment read from there later, by another
//! thread. A packet in which neither finds TCP has its tunnels peeled (`tunnel`: VXLAN,
//! GENEVE, GRE, ERSPAN, IP in IP, MPLS, PPPoE); [`encapsulation`] names them for the
//! connection a packet starts.

pub mod defrag;
mod link;
mod plain;
mod shards;
pub mod tunnel;

use crate::capture::shared::Plain;
use crate::capture::Packet;
use crate::vocab::{Endpoint, LinkType};
use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};
pub(crate) use plain::fast;
pub use plain::{decode_plain, never_tcp};
pub use shards::{Shards, MAX_GROUPS};
use std::net::IpAddr;
pub use tunnel::Encapsulation;

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
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload bytes that were on the wire but not captured (snaplen).
    pub missing: u32,
    /// The IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// The IPv4 identification (none in IPv6 without a fragment header).
    pub ip_id: Option<u16>,
    /// The TCP window field, unscaled.
    pub window: u16,
    /// The interface the capture names for the packet, when it names one: a Linux cooked
    /// v2 header's interface index (read here), else the key of the pcapng interface the
    /// packet was captured on (given by the analyzer, `stack::tcp::path_watch::ifaces`).
    pub iface: Option<u32>,
    /// Where the 4-tuple lives ([`scope`]): 0 for a packet without VLAN tags or tunnels,
    /// else the VLAN ids and tunnel identifiers it came through, folded. Part of the flow
    /// key, so that the same addresses in two VLANs or two VXLAN VNIs (overlapping tenant
    /// address spaces) are two flows.
    pub scope: u64,
    /// The TCP options as captured (RFC 9293 §3.1: the header's bytes past its first 20;
    /// empty without options). Read only where a rare state asks for them (the SACK
    /// blocks of an acknowledgement at a hole's start, `stack::tcp::path_watch::sack`).
    pub options: &'a [u8],
}

/// One more VLAN id or tunnel identifier `x` folded into the scope `scope` (splitmix64's
/// finalizer; never 0, which is no encapsulation).
#[inline]
pub fn scope(scope: u64, x: u64) -> u64 {
    let mut z = (scope ^ x).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) | 1
}

/// The scope of the VLAN tags (802.1Q, QinQ: up to three) of an Ethernet frame, by their
/// VLAN ids alone (the priority bits may change within a flow): 0 without a tag.
#[inline]
fn vlan_scope(link: LinkType, data: &[u8]) -> u64 {
    if link != LinkType::ETHERNET {
        return 0;
    }
    let mut s = 0;
    let mut at = 12;
    for _ in 0..3 {
        match data.get(at..at + 4) {
            Some(&[t0, t1, v0, v1])
                if matches!(u16::from_be_bytes([t0, t1]), 0x8100 | 0x88a8 | 0x9100) =>
            {
                s = scope(s, u64::from(u16::from_be_bytes([v0, v1]) & 0x0fff));
                at += 4;
            }
            _ => break,
        }
    }
    s
}

#[cfg(test)]
impl Segment<'_> {
    /// A test segment carrying `payload` from 10.0.0.2:40000 to 10.0.0.3:80: sequence
    /// and acknowledgement numbers 0, no flag, TTL 64, window 0, no IP ID, no interface;
    /// tests change what they need with `..Segment::test(payload)`.
    pub(crate) fn test(payload: &[u8]) -> Segment<'_> {
        Segment {
            src: Endpoint::v4(0x0a00_0002, 40000),
            dst: Endpoint::v4(0x0a00_0003, 80),
            seq: 0,
            ack: 0,
            syn: false,
            ack_flag: false,
            fin: false,
            rst: false,
            payload,
            missing: 0,
            ttl: 64,
            ip_id: None,
            window: 0,
            iface: None,
            scope: 0,
            options: &[],
        }
    }
}

/// The interface index of a Linux cooked v2 header (its bytes 4 to 7), the one link type
/// read here that names the interface in each packet.
#[inline(always)]
fn iface_of(pkt: &Packet<'_>) -> Option<u32> {
    if pkt.link == LinkType::LINUX_SLL2 {
        Some(u32::from_be_bytes(*pkt.data.get(4..)?.first_chunk()?))
    } else {
        None
    }
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
    /// The first fragment of a tunnel's outer IP packet (not reassembled).
    TunnelFragment,
    /// Tunnels nested deeper than `tunnel::MAX_TUNNELS` (or more headers than
    /// `tunnel::MAX_HEADERS`).
    TooDeep,
}

/// Decodes a packet: the fast path for plain Ethernet/VLAN/cooked/loopback/raw → IPv4 or
/// IPv6 (no extension headers, no fragment) → TCP, and etherparse's lax slicer for
/// everything else (IPv6 extension headers, damaged or cut headers, other protocols).
/// Inlined, so that the caller gets the segment's fields in registers rather than a
/// struct written to memory and read back at once (a stall on every packet).
#[inline(always)]
pub fn decode<'a>(pkt: &Packet<'a>) -> Result<Segment<'a>, Skip> {
    match fast(pkt) {
        Some(seg) => Ok(seg),
        None => lax(pkt),
    }
}

/// Where the IP packet starts and its EtherType, for the link types read here.
#[inline(always)]
fn network(link: LinkType, data: &[u8]) -> Option<(u16, &[u8])> {
    use etherparse::{Ethernet2HeaderSlice, SingleVlanHeaderSlice};
    match link {
        LinkType::ETHERNET => {
            let eth = Ethernet2HeaderSlice::from_slice(data).ok()?;
            let mut ether_type = eth.ether_type().0;
            let mut rest = data.get(14..)?;
            // Up to three VLAN tags (802.1Q, QinQ).
            for _ in 0..3 {
                if !matches!(ether_type, 0x8100 | 0x88a8 | 0x9100) {
                    break;
                }
                let vlan = SingleVlanHeaderSlice::from_slice(rest).ok()?;
                ether_type = vlan.ether_type().0;
                rest = rest.get(4..)?;
            }
            Some((ether_type, rest))
        }
        LinkType::LINUX_SLL => Some((
            u16::from_be_bytes([*data.get(14)?, *data.get(15)?]),
            data.get(16..)?,
        )),
        LinkType::LINUX_SLL2 => Some((
            u16::from_be_bytes([*data.first()?, *data.get(1)?]),
            data.get(20..)?,
        )),
        LinkType::NULL | LinkType::LOOP => version_type(data.get(4..)?),
        LinkType(12) | LinkType(14) | LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => {
            version_type(data)
        }
        _ => None,
    }
}

/// The EtherType an IP packet's version nibble stands for.
fn version_type(ip: &[u8]) -> Option<(u16, &[u8])> {
    match ip.first()? >> 4 {
        4 => Some((0x0800, ip)),
        6 => Some((0x86dd, ip)),
        _ => None,
    }
}

/// The general path: etherparse's lax slicer, which also reads what a snaplen cut short,
/// then the tunnels, when it finds no TCP.
#[cold]
#[inline(never)]
pub(crate) fn lax<'a>(pkt: &Packet<'a>) -> Result<Segment<'a>, Skip> {
    match sliced(pkt) {
        Err(e) => match tunnel::peel(pkt) {
            Some(peeled) => peeled.map(|(seg, _)| seg),
            None => Err(e),
        },
        seg => seg,
    }
}

/// The tunnels the packet that starts a connection came through, if [`decode`] peeled
/// any to reach its segment.
pub fn encapsulation(pkt: &Packet<'_>) -> Option<Encapsulation> {
    if Plain::find(pkt.link, pkt.data).is_some() || sliced(pkt).is_ok() {
        return None;
    }
    tunnel::peel(pkt)?.ok()?.1
}

/// The lax slicer on the link types read without tunnels.
fn sliced<'a>(pkt: &Packet<'a>) -> Result<Segment<'a>, Skip> {
    let data = pkt.data;
    let sliced = match pkt.link {
        LinkType::ETHERNET => LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::Malformed)?,
        LinkType::LINUX_SLL => {
            // 16-byte header, protocol (an EtherType for IP) in the last two bytes.
            let proto = data.get(14..16).and_then(|p| p.try_into().ok());
            let proto: [u8; 2] = proto.ok_or(Skip::Malformed)?;
            let payload = data.get(16..).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes(proto)), payload)
        }
        LinkType::LINUX_SLL2 => {
            // 20-byte header, protocol in the first two bytes.
            let proto = data.first_chunk::<2>().ok_or(Skip::Malformed)?;
            let payload = data.get(20..).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes(*proto)), payload)
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
    let mut seg = segment_of(&sliced, pkt.orig_len.saturating_sub(data.len() as u32))?;
    seg.iface = iface_of(pkt);
    seg.scope = vlan_scope(pkt.link, data);
    Ok(seg)
}

/// The TCP segment of a sliced packet, `cut` bytes of which the snaplen cut off.
fn segment_of<'a>(sliced: &LaxSlicedPacket<'a>, cut: u32) -> Result<Segment<'a>, Skip> {
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return Err(match sliced.stop_err {
            Some(_) if sliced.net.is_some() => Skip::Malformed,
            _ => Skip::NotTcp,
        });
    };
    let (src_ip, dst_ip, ttl, ip_id): (IpAddr, IpAddr, u8, Option<u16>) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            (
                h.source_addr().into(),
                h.destination_addr().into(),
                h.ttl(),
                Some(h.identification()),
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            (
                h.source_addr().into(),
                h.destination_addr().into(),
                h.hop_limit(),
                None,
            )
        }
        _ => return Err(Skip::NotTcp),
    };
    let payload = tcp.payload();
    Ok(Segment {
        src: Endpoint::new(src_ip, tcp.source_port()),
        dst: Endpoint::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        syn: tcp.syn(),
        ack_flag: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload,
        missing: cut,
        ttl,
        ip_id,
        window: tcp.window_size(),
        iface: None,
        scope: 0,
        options: tcp.header_slice().get(20..).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Timestamp;
    use etherparse::PacketBuilder;

    /// An endpoint reads as `SocketAddr` prints it, for IPv4 (written digit by digit) on
    /// every octet and port boundary and a walk over other addresses, and for IPv6.
    #[test]
    fn endpoint_text_is_socket_addr_text() {
        let edges = [0u8, 1, 9, 10, 99, 100, 199, 200, 255];
        let ports = [0u16, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535];
        let mut x = 0x2545_f491u32;
        let mut addrs: Vec<u32> = edges
            .iter()
            .flat_map(|&a| edges.iter().map(move |&b| u32::from_be_bytes([a, b, b, a])))
            .collect();
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            addrs.push(x);
        }
        for &a in &addrs {
            for &port in &ports {
                let ip = std::net::Ipv4Addr::from(a);
                let want = std::net::SocketAddr::from((ip, port)).to_string();
                assert_eq!(Endpoint::v4(a, port).to_string(), want);
            }
        }
        let v6: std::net::Ipv6Addr = "fe80::1:2".parse().unwrap();
        assert_eq!(
            Endpoint::new(v6.into(), 443).to_string(),
            std::net::SocketAddr::from((v6, 443)).to_string()
        );
    }

    fn pkt(link: LinkType, data: &[u8]) -> Packet<'_> {
        Packet {
            options: Default::default(),
            number: 1,
            ts: Timestamp(0),
            link,
            data,
            orig_len: data.len() as u32,
            iface: None,
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
        assert!(s.src.ip().is_ipv6());
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

    /// On every recorded fixture: the fast path and the lax slicer decode the same segment,
    /// and no packet `never_tcp` passes holds one.
    #[test]
    fn fast_and_lax_paths_agree_on_every_fixture() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let (mut checked, mut never) = (0, 0);
        // The fixtures and those in the folders below (paths, proxies, tunnels).
        let mut paths = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    paths.push(path);
                }
            }
        }
        for path in paths {
            if path
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "gz")
                // The endpoints' logs beside a capture (`NAME.log.gz`) are no capture.
                && !path.to_string_lossy().ends_with(".log.gz")
            {
                crate::capture::file::read(&path, &mut |p| {
                    // What the index of a shared file passes as holding no TCP, decoding
                    // finds none in.
                    if never_tcp(p.link, p.data) {
                        never += 1;
                        assert!(decode(p).is_err(), "{} packet {}", path.display(), p.number);
                    }
                    let lax = lax(p)
                        .ok()
                        .map(|s| (s.src, s.dst, s.seq, s.ack, s.payload.to_vec(), s.missing));
                    if let Some(f) = fast(p) {
                        checked += 1;
                        let fast =
                            Some((f.src, f.dst, f.seq, f.ack, f.payload.to_vec(), f.missing));
                        assert_eq!(fast, lax, "{} packet {}", path.display(), p.number);
                    }
                })
                .unwrap();
            }
        }
        assert!(checked > 500, "{checked}");
        eprintln!("{never} fixture packets hold no TCP at a glance");
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
