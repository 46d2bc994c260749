//! Tunnels peeled to reach the TCP segment inside, and the encapsulation they name.
//!
//! In: a packet in which the plain decoding found no TCP segment. Out: the innermost TCP
//! segment with an [`Encapsulation`] naming the outermost tunnel (its identifier and the
//! outer IP addresses), or why there is none ([`Skip`]). Peeled, at any depth and in any
//! order: VXLAN (RFC 7348; UDP 4789 and Linux's 8472), GENEVE (RFC 8926, UDP 6081, options
//! skipped), GRE (RFC 2784, with RFC 2890's key and sequence number) carrying IPv4, IPv6,
//! Ethernet (transparent Ethernet bridging, 0x6558) or MPLS, ERSPAN types I, II and III in
//! GRE (draft-foschiano-erspan-03), IP in IP (RFC 2003, RFC 4213's 6in4, RFC 2473), MPLS
//! label stacks (RFC 3032) over Ethernet, GRE or IP (RFC 4023), carrying IPv4, IPv6 or an
//! Ethernet pseudowire with its control word (RFC 4385), PPPoE session frames (RFC 2516)
//! and VLAN tags (802.1Q, QinQ) wherever an EtherType is; the link types of `link`.
//! etherparse slices the Ethernet, VLAN, IP, UDP and TCP headers; the tunnel headers,
//! which it does not know, are read here. At most [`MAX_TUNNELS`] tunnels and
//! [`MAX_HEADERS`] headers in all are peeled: a deeper packet is [`Skip::TooDeep`]. An
//! outer packet that came in IP fragments is not reassembled: its first fragment is
//! [`Skip::TunnelFragment`] (the later ones, which do not say what they carry, are not
//! TCP), never decoded from the part of it that came.

use super::link::{start, Layer};
use super::{segment_of, Plain, Segment, Skip};
use crate::capture::{LinkType, Packet};
use etherparse::{
    Ethernet2HeaderSlice, Ipv6ExtensionSlice, LaxNetSlice, LaxSlicedPacket, SingleVlanHeaderSlice,
    TransportSlice,
};
use std::net::IpAddr;

/// Tunnels peeled from one packet, at most.
pub const MAX_TUNNELS: usize = 8;

/// Headers walked in one packet (Ethernet, each VLAN tag, each MPLS label, PPPoE, IP and
/// the tunnels), at most.
pub const MAX_HEADERS: usize = 32;

/// The source and destination addresses of the IP header that carried a tunnel.
type Ends = (IpAddr, IpAddr);

/// UDP destination ports of VXLAN: IANA's, and the one Linux used first (flannel, Calico).
const VXLAN_PORTS: [u16; 2] = [4789, 8472];
const GENEVE_PORT: u16 = 6081;

/// Whether UDP to `port` is taken for a tunnel: VXLAN's ports and GENEVE's.
pub(super) fn tunnel_port(port: u16) -> bool {
    VXLAN_PORTS.contains(&port) || port == GENEVE_PORT
}

/// A tunnel, as the report names its kind: `ipip` is IPv4 in IPv4, `6in4` IPv6 in IPv4,
/// `4in6` and `6in6` IPv4 and IPv6 in IPv6.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub enum Tunnel {
    #[serde(rename = "vxlan")]
    Vxlan,
    #[serde(rename = "geneve")]
    Geneve,
    #[serde(rename = "gre")]
    Gre,
    #[serde(rename = "erspan-i")]
    ErspanI,
    #[serde(rename = "erspan-ii")]
    ErspanII,
    #[serde(rename = "erspan-iii")]
    ErspanIII,
    #[serde(rename = "ipip")]
    IpIp,
    #[serde(rename = "6in4")]
    SixInFour,
    #[serde(rename = "4in6")]
    FourInSix,
    #[serde(rename = "6in6")]
    SixInSix,
    #[serde(rename = "mpls")]
    Mpls,
    #[serde(rename = "pppoe")]
    Pppoe,
}

impl Tunnel {
    /// The name a text report gives it.
    pub fn name(self) -> &'static str {
        match self {
            Tunnel::Vxlan => "VXLAN",
            Tunnel::Geneve => "GENEVE",
            Tunnel::Gre => "GRE",
            Tunnel::ErspanI => "ERSPAN type I",
            Tunnel::ErspanII => "ERSPAN type II",
            Tunnel::ErspanIII => "ERSPAN type III",
            Tunnel::IpIp => "IP-in-IP",
            Tunnel::SixInFour => "6in4",
            Tunnel::FourInSix => "4in6",
            Tunnel::SixInSix => "6in6",
            Tunnel::Mpls => "MPLS",
            Tunnel::Pppoe => "PPPoE",
        }
    }

    /// What its identifier is: VXLAN's and GENEVE's network identifier, GRE's key, an
    /// ERSPAN or PPPoE session, MPLS's outermost label.
    pub fn id_name(self) -> &'static str {
        match self {
            Tunnel::Vxlan | Tunnel::Geneve => "VNI",
            Tunnel::Gre => "key",
            Tunnel::ErspanI | Tunnel::ErspanII | Tunnel::ErspanIII | Tunnel::Pppoe => "session",
            Tunnel::Mpls => "label",
            Tunnel::IpIp | Tunnel::SixInFour | Tunnel::FourInSix | Tunnel::SixInSix => "id",
        }
    }
}

/// The tunnels a packet came through: the outermost with its identifier and outer
/// addresses, and the kinds of those inside it. Its serde form is every field (`serial`,
/// for `freeze`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Encapsulation {
    pub kind: Tunnel,
    /// Its VNI, GRE key, session or label, when it has one.
    pub id: Option<u32>,
    /// Source and destination of the IP header that carried it (none for MPLS or PPPoE
    /// straight over Ethernet).
    pub outer: Option<Ends>,
    /// The tunnels inside it, outermost first.
    nested: [Option<Tunnel>; MAX_TUNNELS - 1],
}

impl Encapsulation {
    /// The tunnels inside the outermost one, outermost first.
    pub fn nested(&self) -> impl Iterator<Item = Tunnel> + '_ {
        self.nested.iter().map_while(|t| *t)
    }
}

/// The tunnels peeled so far.
#[derive(Default)]
struct Path {
    outermost: Option<(Tunnel, Option<u32>, Option<Ends>)>,
    nested: [Option<Tunnel>; MAX_TUNNELS - 1],
    count: usize,
    /// Every VLAN id and tunnel (kind and identifier) walked through, folded
    /// ([`super::scope`]).
    scope: u64,
}

impl Path {
    /// One more tunnel, carried by the IP header with addresses `outer` (if any).
    fn push(&mut self, kind: Tunnel, id: Option<u32>, outer: Option<Ends>) -> Result<(), Skip> {
        let x = id.map_or(1 << 32, u64::from);
        self.scope = super::scope(self.scope, (kind as u64) << 40 | x);
        match self.count.checked_sub(1) {
            None => self.outermost = Some((kind, id, outer)),
            Some(i) => *self.nested.get_mut(i).ok_or(Skip::TooDeep)? = Some(kind),
        }
        self.count += 1;
        Ok(())
    }

    fn encapsulation(&self) -> Option<Encapsulation> {
        let (kind, id, outer) = self.outermost?;
        Some(Encapsulation {
            kind,
            id,
            outer,
            nested: self.nested,
        })
    }
}

/// The packet's TCP segment through its tunnels, and the tunnels: `None` when the walk
/// found no tunnel on a link type the plain decoding reads (its answer stands then, so
/// that a packet without a tunnel decodes as it always has), except that a tunnel's outer
/// fragment or a nesting too deep is said whatever came before.
#[inline(never)]
pub(super) fn peel<'a>(
    pkt: &Packet<'a>,
) -> Option<Result<(Segment<'a>, Option<Encapsulation>), Skip>> {
    if !may_tunnel(pkt.link, pkt.data) {
        return None;
    }
    peel_any(pkt)
}

/// [`peel`] without the glance of [`may_tunnel`].
fn peel_any<'a>(pkt: &Packet<'a>) -> Option<Result<(Segment<'a>, Option<Encapsulation>), Skip>> {
    let mut path = Path::default();
    let walked = walk(pkt, &mut path);
    let own_link = matches!(pkt.link, LinkType::NFLOG | LinkType::PKTAP);
    match walked {
        Err(e @ (Skip::TunnelFragment | Skip::TooDeep)) => Some(Err(e)),
        _ if path.count == 0 && !own_link => None,
        w => Some(w.map(|mut seg| {
            seg.scope = path.scope;
            (seg, path.encapsulation())
        })),
    }
}

/// Whether a packet may carry a tunnel, by its outermost IP header's protocol (and UDP
/// port): a few loads for the packets without one (UDP, ICMP, ...) that every capture has;
/// `true` for whatever it cannot tell at a glance (other link types and EtherTypes, IPv6
/// extension headers, a damaged header), which the walk then decides.
fn may_tunnel(link: LinkType, data: &[u8]) -> bool {
    let udp_port = |ip: &[u8], at: usize| match (ip.get(at + 2), ip.get(at + 3)) {
        (Some(&x), Some(&y)) => tunnel_port(u16::from_be_bytes([x, y])),
        _ => true,
    };
    match super::network(link, data) {
        Some((0x0800, ip)) => match (ip.first(), ip.get(9)) {
            (Some(v), Some(17)) => udp_port(ip, usize::from(v & 0x0f) * 4),
            (_, Some(4 | 41 | 47 | 137)) | (_, None) | (None, _) => true,
            _ => false,
        },
        // Next header: IP in IP, GRE, MPLS, or an extension header (hop-by-hop, routing,
        // fragment, destination options, authentication, ESP, mobility, HIP, shim6).
        Some((0x86dd, ip)) => match ip.get(6) {
            Some(17) => udp_port(ip, 40),
            Some(6 | 58 | 1 | 59) => false,
            _ => true,
        },
        _ => true,
    }
}

/// Walks the headers from the link layer in, peeling tunnels into `path`, to a TCP segment.
fn walk<'a>(pkt: &Packet<'a>, path: &mut Path) -> Result<Segment<'a>, Skip> {
    let cut = pkt.orig_len.saturating_sub(pkt.data.len() as u32);
    let mut layer = start(pkt.link, pkt.data)?;
    for _ in 0..MAX_HEADERS {
        layer = match layer {
            Layer::Ether(b) => {
                let eth = Ethernet2HeaderSlice::from_slice(b).map_err(|_| Skip::Malformed)?;
                Layer::Typed(eth.ether_type().0, rest(b, 14)?)
            }
            Layer::Typed(ether_type, b) => typed(ether_type, b, path)?,
            Layer::Ip(b) => match ip(b, cut, path)? {
                Ok(seg) => return Ok(seg),
                Err(next) => next,
            },
            Layer::Mpls(b, outer) => mpls(b, outer, path)?,
        };
    }
    Err(Skip::TooDeep)
}

/// The bytes of `b` from `at` on; a header cut short is `Malformed`.
fn rest(b: &[u8], at: usize) -> Result<&[u8], Skip> {
    b.get(at..).ok_or(Skip::Malformed)
}

fn be16(b: &[u8], at: usize) -> Result<u16, Skip> {
    match b.get(at..at + 2) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err(Skip::Malformed),
    }
}

fn be32(b: &[u8], at: usize) -> Result<u32, Skip> {
    match b.get(at..at + 4) {
        Some(&[w, x, y, z]) => Ok(u32::from_be_bytes([w, x, y, z])),
        _ => Err(Skip::Malformed),
    }
}

/// What follows an EtherType.
fn typed<'a>(ether_type: u16, b: &'a [u8], path: &mut Path) -> Result<Layer<'a>, Skip> {
    Ok(match ether_type {
        0x0800 | 0x86dd => Layer::Ip(b),
        // 802.1Q, 802.1ad (QinQ) and the older QinQ tag.
        0x8100 | 0x88a8 | 0x9100 => {
            let tag = SingleVlanHeaderSlice::from_slice(b).map_err(|_| Skip::Malformed)?;
            path.scope = super::scope(path.scope, u64::from(tag.vlan_identifier().value()));
            Layer::Typed(tag.ether_type().0, rest(b, 4)?)
        }
        // Transparent Ethernet bridging (GRE, GENEVE).
        0x6558 => Layer::Ether(b),
        0x8847 | 0x8848 => Layer::Mpls(b, None),
        0x8864 => pppoe(b, path)?,
        _ => return Err(Skip::NotTcp),
    })
}

/// An IP packet: its TCP segment (`Ok`), or the layer inside it (`Err`) when it carries a
/// tunnel.
fn ip<'a>(b: &'a [u8], cut: u32, path: &mut Path) -> Result<Result<Segment<'a>, Layer<'a>>, Skip> {
    // The inner packet of a tunnel is most often plain TCP.
    if let Some(plain) = Plain::find(LinkType::RAW, b) {
        return plain.segment_in(b).map(Ok).ok_or(Skip::Malformed);
    }
    let sliced = LaxSlicedPacket::from_ip(b).map_err(|_| Skip::Malformed)?;
    if let Some(TransportSlice::Tcp(_)) = sliced.transport {
        return segment_of(&sliced, cut).map(Ok);
    }
    let (v4, addrs, payload, first) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let addrs = (h.source_addr().into(), h.destination_addr().into());
            (true, addrs, ip.payload(), h.fragments_offset().value() == 0)
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let addrs = (h.source_addr().into(), h.destination_addr().into());
            let first = ip.extensions().clone().into_iter().all(|e| match e {
                Ipv6ExtensionSlice::Fragment(f) => f.fragment_offset().value() == 0,
                _ => true,
            });
            (false, addrs, ip.payload(), first)
        }
        _ => return Err(Skip::NotTcp),
    };
    let outer = Some(addrs);
    let inner = payload.payload;
    if payload.fragmented {
        // Only the first fragment says what the packet carries (a later one of a tunnel's
        // GRE or IP in IP says it too, but not which packet: its first fragment counts it).
        let tunnel = match payload.ip_number.0 {
            4 | 41 | 47 | 137 => true,
            17 => be16(inner, 2).is_ok_and(tunnel_port),
            _ => false,
        };
        return Err(if first && tunnel {
            Skip::TunnelFragment
        } else {
            Skip::NotTcp
        });
    }
    let next = match payload.ip_number.0 {
        17 => {
            let Some(TransportSlice::Udp(udp)) = &sliced.transport else {
                return Err(Skip::NotTcp);
            };
            let port = udp.destination_port();
            if VXLAN_PORTS.contains(&port) {
                vxlan(udp.payload(), outer, path)?
            } else if port == GENEVE_PORT {
                geneve(udp.payload(), outer, path)?
            } else {
                return Err(Skip::NotTcp);
            }
        }
        n @ (4 | 41) => {
            let kind = match (v4, n == 4) {
                (true, true) => Tunnel::IpIp,
                (true, false) => Tunnel::SixInFour,
                (false, true) => Tunnel::FourInSix,
                (false, false) => Tunnel::SixInSix,
            };
            path.push(kind, None, outer)?;
            Layer::Ip(inner)
        }
        47 => gre(inner, outer, path)?,
        // MPLS in IP (RFC 4023).
        137 => Layer::Mpls(inner, outer),
        _ => return Err(Skip::NotTcp),
    };
    Ok(Err(next))
}

/// VXLAN (RFC 7348 §5): flags (I, 0x08: the VNI is valid), 3 reserved bytes, the 24-bit
/// VNI, a reserved byte; then an Ethernet frame. Without the I flag it is not read as VXLAN.
fn vxlan<'a>(b: &'a [u8], outer: Option<Ends>, path: &mut Path) -> Result<Layer<'a>, Skip> {
    let word = be32(b, 4)?;
    if b.first().is_none_or(|flags| flags & 0x08 == 0) {
        return Err(Skip::NotTcp);
    }
    path.push(Tunnel::Vxlan, Some(word >> 8), outer)?;
    Ok(Layer::Ether(rest(b, 8)?))
}

/// GENEVE (RFC 8926 §3.4): version (0) and options length (in 4-byte words), flags, the
/// protocol type (an EtherType), the 24-bit VNI, a reserved byte, then the options.
fn geneve<'a>(b: &'a [u8], outer: Option<Ends>, path: &mut Path) -> Result<Layer<'a>, Skip> {
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

/// GRE (RFC 2784 §2, RFC 2890 §2): flags and version, the protocol type; then a checksum
/// (C), a key (K) and a sequence number (S), each 4 bytes, when their flag is set. Version
/// 1 (PPTP) and source routing (R, RFC 1701) are not read. ERSPAN rides on GRE.
fn gre<'a>(b: &'a [u8], outer: Option<Ends>, path: &mut Path) -> Result<Layer<'a>, Skip> {
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

/// An MPLS label stack (RFC 3032 §2.1: 20-bit label, traffic class, bottom-of-stack flag,
/// TTL, 4 bytes each), then what the first nibble says: IPv4 (4), IPv6 (6), or an Ethernet
/// pseudowire's control word (0, RFC 4385 §3) and its frame.
fn mpls<'a>(b: &'a [u8], outer: Option<Ends>, path: &mut Path) -> Result<Layer<'a>, Skip> {
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

/// A PPPoE session frame (RFC 2516 §4: version and type 0x11, code 0, the session id, the
/// length), then PPP's protocol (RFC 1661 §2; 1 byte when compressed): IPv4 0x21, IPv6 0x57.
fn pppoe<'a>(b: &'a [u8], path: &mut Path) -> Result<Layer<'a>, Skip> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::decode::{decode, encapsulation};
    use etherparse::{IpNumber, PacketBuilder};

    fn pkt(data: &[u8]) -> Packet<'_> {
        Packet {
            options: Default::default(),
            number: 1,
            ts: Timestamp(0),
            link: LinkType::ETHERNET,
            data,
            orig_len: data.len() as u32,
            iface: None,
        }
    }

    /// An IPv4/TCP packet (ports 40000 to 8765) carrying `payload`.
    fn inner(payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        PacketBuilder::ipv4([192, 168, 1, 1], [192, 168, 1, 2], 64)
            .tcp(40_000, 8765, 7, 512)
            .write(&mut v, payload)
            .unwrap();
        v
    }

    fn eth(ether_type: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
        v.extend_from_slice(&ether_type.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// An Ethernet/IPv4 packet of protocol `proto` (UDP to `port` when given).
    fn outer(proto: u8, port: Option<u16>, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        let b = PacketBuilder::ethernet2([2; 6], [4; 6]).ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
        match port {
            Some(p) => b.udp(1234, p).write(&mut v, payload).unwrap(),
            None => b.write(&mut v, IpNumber(proto), payload).unwrap(),
        }
        v
    }

    /// An Ethernet/IPv6/UDP packet from port `sport` to `dport` carrying `payload`.
    fn udp6(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv6([1; 16], [2; 16], 64)
            .udp(sport, dport)
            .write(&mut v, payload)
            .unwrap();
        v
    }

    fn vxlan(flags: u8, frame: &[u8]) -> Vec<u8> {
        let mut p = vec![flags, 0, 0, 0, 0, 0x10, 0x92, 0];
        p.extend_from_slice(frame);
        outer(17, Some(4789), &p)
    }

    /// `never_tcp` says so only of packets in which decoding finds no TCP segment: UDP on
    /// other ports, over IPv4 and IPv6; not TCP, VXLAN, GENEVE, IP in IP or GRE (whatever
    /// they carry), ICMP (checked by type), nor what it cannot read.
    #[test]
    fn never_tcp_only_where_decoding_finds_none() {
        let tcp = eth(0x0800, &inner(b"hello"));
        let mut vxlan_linux = vxlan(0x08, &tcp);
        // The same VXLAN packet to Linux's first port (8472): the UDP header starts at 34.
        vxlan_linux[36..38].copy_from_slice(&8472u16.to_be_bytes());
        let cases: [(&str, Vec<u8>, bool); 10] = [
            ("DNS", outer(17, Some(53), b"query"), true),
            ("QUIC", outer(17, Some(443), &[0xc0; 40]), true),
            ("ICMP", outer(1, None, &[8, 0, 0, 0, 0, 1, 0, 1]), false),
            ("mDNS over IPv6", udp6(5353, 5353, b"mdns"), true),
            ("TCP", tcp.clone(), false),
            ("VXLAN", vxlan(0x08, &tcp), false),
            ("VXLAN, port 8472", vxlan_linux, false),
            ("GENEVE's port", outer(17, Some(6081), &[0; 8]), false),
            ("IP in IP", outer(4, None, &inner(b"x")), false),
            ("GRE", outer(47, None, &[0, 0, 0x08, 0, 0, 0]), false),
        ];
        for (what, packet, never) in cases {
            assert_eq!(
                super::super::never_tcp(LinkType::ETHERNET, &packet),
                never,
                "{what}"
            );
            if never {
                assert!(decode(&pkt(&packet)).is_err(), "{what}");
            }
        }
        assert!(decode(&pkt(&vxlan(0x08, &tcp))).is_ok());
        assert!(!super::super::never_tcp(LinkType::ETHERNET, b"short"));
        assert!(!super::super::never_tcp(
            LinkType(147),
            &outer(17, Some(53), b"q")
        ));
    }

    /// What `never_tcp` passes, decoding calls other (`Skip::NotTcp`), never a TCP segment
    /// nor a damaged packet: 20 000 packets (UDP, ICMP and TCP over IPv4 and IPv6, VXLAN)
    /// with one to three bytes of their headers changed at random, some cut short.
    #[test]
    fn never_tcp_packets_decode_as_other_whatever_their_bytes() {
        let tcp = eth(0x0800, &inner(b"hello"));
        let mut templates = vec![
            outer(17, Some(53), b"query"),
            outer(17, Some(443), &[0xc0; 40]),
            vxlan(0x08, &tcp),
            tcp.clone(),
        ];
        let b = || PacketBuilder::ethernet2([2; 6], [4; 6]);
        let mut v = Vec::new();
        b().ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .icmpv4_echo_request(7, 1)
            .write(&mut v, b"ping")
            .unwrap();
        templates.push(std::mem::take(&mut v));
        templates.push(udp6(5353, 5353, b"mdns"));
        b().ipv6([1; 16], [2; 16], 64)
            .icmpv6_echo_request(7, 1)
            .write(&mut v, b"ping")
            .unwrap();
        templates.push(std::mem::take(&mut v));
        let mut rng = crate::Rng(0x5eed_1234_abcd_0001);
        let mut passed = 0;
        for k in 0..20_000 {
            let mut p = templates[k % templates.len()].clone();
            for _ in 0..1 + rng.below(3) {
                // The EtherType, the IP header and the first bytes after it.
                let at = 12 + rng.below(58.min(p.len() - 12));
                p[at] = rng.next() as u8;
            }
            if rng.below(8) == 0 {
                p.truncate(rng.below(p.len()));
            }
            if super::super::never_tcp(LinkType::ETHERNET, &p) {
                passed += 1;
                assert_eq!(decode(&pkt(&p)).err(), Some(Skip::NotTcp), "{p:02x?}");
            }
        }
        assert!(passed > 5_000, "{passed}");
    }

    #[test]
    fn vxlan_needs_its_flag_and_other_udp_stays_other() {
        let frame = eth(0x0800, &inner(b"hello"));
        let packet = vxlan(0x08, &frame);
        let seg = decode(&pkt(&packet)).unwrap();
        assert_eq!(
            (seg.payload, seg.dst.port, seg.seq),
            (&b"hello"[..], 8765, 7)
        );
        let e = encapsulation(&pkt(&packet)).unwrap();
        assert_eq!((e.kind, e.id), (Tunnel::Vxlan, Some(0x1092)));
        assert_eq!(e.nested().count(), 0);
        assert_eq!(
            decode(&pkt(&vxlan(0x00, &frame))).unwrap_err(),
            Skip::NotTcp
        );
        assert_eq!(
            decode(&pkt(&outer(17, Some(4790), &frame))).unwrap_err(),
            Skip::NotTcp
        );
        // A plain packet has no encapsulation (by the fast path or the lax slicer).
        assert_eq!(encapsulation(&pkt(&frame)), None);
        let mut cut = frame.clone();
        cut.truncate(frame.len() - 2);
        let p = Packet {
            orig_len: frame.len() as u32,
            ..pkt(&cut)
        };
        assert!(decode(&p).is_ok());
        assert_eq!(encapsulation(&p), None);
    }

    /// Within a tunnel as outside one, the bytes a snap length cut off are counted, not
    /// invented.
    #[test]
    fn a_snaplen_cut_inside_a_tunnel_is_counted() {
        let whole = vxlan(0x08, &eth(0x0800, &inner(&[b'x'; 100])));
        let cut = &whole[..whole.len() - 60];
        let p = Packet {
            orig_len: whole.len() as u32,
            ..pkt(cut)
        };
        let seg = decode(&p).unwrap();
        assert_eq!(seg.payload.len() + seg.missing as usize, 100);
        assert_eq!(seg.missing, 60);
    }

    /// GRE version 1 (PPTP) and source routing are not read; a PPPoE frame of another PPP
    /// protocol is not TCP, one with a compressed protocol field is read.
    #[test]
    fn gre_and_pppoe_read_only_what_they_carry_of_ip() {
        let ip = inner(b"x");
        for flags in [0x0001u16, 0x4000] {
            let mut g = flags.to_be_bytes().to_vec();
            g.extend_from_slice(&[0x08, 0x00]);
            g.extend_from_slice(&ip);
            assert_eq!(
                decode(&pkt(&outer(47, None, &g))).unwrap_err(),
                Skip::NotTcp
            );
        }
        let session = |ppp: &[u8]| {
            let mut v = vec![0x11, 0, 0, 7];
            v.extend_from_slice(&((ppp.len() + ip.len()) as u16).to_be_bytes());
            v.extend_from_slice(ppp);
            v.extend_from_slice(&ip);
            eth(0x8864, &v)
        };
        assert_eq!(
            decode(&pkt(&session(&[0xc0, 0x21]))).unwrap_err(),
            Skip::NotTcp
        );
        assert_eq!(decode(&pkt(&session(&[0x21]))).unwrap().payload, b"x");
        assert_eq!(decode(&pkt(&session(&[0x00, 0x21]))).unwrap().payload, b"x");
        // PPPoE discovery is not a session.
        assert_eq!(
            decode(&pkt(&eth(0x8863, &[0x11, 0x09, 0, 0, 0, 0]))).unwrap_err(),
            Skip::NotTcp
        );
    }

    /// More MPLS labels or VLAN tags than the header limit, and more tunnels than the
    /// tunnel limit, are too deep; at the limits they are read.
    #[test]
    fn depth_limits() {
        let ip = inner(b"deep");
        let labels = |n: usize| {
            let mut v = Vec::new();
            for i in 0..n {
                let bottom = if i + 1 == n { 0x100u32 } else { 0 };
                v.extend_from_slice(&((16 << 12) | bottom | 64).to_be_bytes());
            }
            v.extend_from_slice(&ip);
            eth(0x8847, &v)
        };
        assert_eq!(
            decode(&pkt(&labels(MAX_HEADERS - 1))).unwrap().payload,
            b"deep"
        );
        assert_eq!(
            decode(&pkt(&labels(MAX_HEADERS + 1))).unwrap_err(),
            Skip::TooDeep
        );
        let tags = |n: usize| {
            let mut v = Vec::new();
            for _ in 0..n {
                v.extend_from_slice(&[0x00, 0x05, 0x81, 0x00]);
            }
            v.truncate(v.len().saturating_sub(2));
            v.extend_from_slice(&[0x08, 0x00]);
            v.extend_from_slice(&ip);
            // One GRE tunnel, so that the walk's answer is taken.
            let mut g = vec![0x00, 0x00, 0x65, 0x58];
            g.extend_from_slice(&eth(0x8100, &v));
            outer(47, None, &g)
        };
        // Ethernet, IPv4, GRE's EtherType, Ethernet; the tags; IPv4's EtherType, IPv4.
        assert_eq!(
            decode(&pkt(&tags(MAX_HEADERS - 7))).unwrap().payload,
            b"deep"
        );
        assert_eq!(
            decode(&pkt(&tags(MAX_HEADERS - 6))).unwrap_err(),
            Skip::TooDeep
        );
        let mut nest = ip.clone();
        for _ in 0..MAX_TUNNELS + 1 {
            nest = outer(4, None, &nest)[14..].to_vec();
        }
        assert_eq!(
            decode(&pkt(&eth(0x0800, &nest))).unwrap_err(),
            Skip::TooDeep
        );
    }

    /// A tunnel's outer packet in fragments: the first (IPv4 or IPv6) is said, the later
    /// ones are not TCP; fragments of plain TCP are not TCP, as ever.
    #[test]
    fn outer_fragments() {
        let gre = {
            let mut g = vec![0x00, 0x00, 0x08, 0x00];
            g.extend_from_slice(&inner(&[7; 64]));
            g
        };
        let fragment = |proto: u8, offset: u16, more: bool, payload: &[u8]| {
            let mut h = etherparse::Ipv4Header::new(
                payload.len() as u16,
                64,
                IpNumber(proto),
                [10, 0, 0, 1],
                [10, 0, 0, 2],
            )
            .unwrap();
            h.more_fragments = more;
            h.fragment_offset = etherparse::IpFragOffset::try_new(offset).unwrap();
            h.header_checksum = h.calc_header_checksum();
            let mut v = Vec::new();
            h.write(&mut v).unwrap();
            v.extend_from_slice(payload);
            eth(0x0800, &v)
        };
        let first = fragment(47, 0, true, &gre[..48]);
        assert_eq!(decode(&pkt(&first)).unwrap_err(), Skip::TunnelFragment);
        let later = fragment(47, 6, false, &gre[48..]);
        assert_eq!(decode(&pkt(&later)).unwrap_err(), Skip::NotTcp);
        let tcp = fragment(6, 0, true, &inner(&[7; 64])[20..68]);
        assert_eq!(decode(&pkt(&tcp)).unwrap_err(), Skip::NotTcp);
        let udp = fragment(17, 0, true, &outer(17, Some(6081), &[0; 64])[34..82]);
        assert_eq!(decode(&pkt(&udp)).unwrap_err(), Skip::TunnelFragment);
        // IPv6 with a fragment header (next header GRE), offset 0 and more to come.
        let mut v6 = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv6([1; 16], [2; 16], 64)
            .write(&mut v6, IpNumber(44), &[47, 0, 0, 1, 0, 0, 0, 9])
            .unwrap();
        v6.extend_from_slice(&gre[..16]);
        let len = (v6.len() - 54) as u16;
        v6[18..20].copy_from_slice(&len.to_be_bytes());
        assert_eq!(decode(&pkt(&v6)).unwrap_err(), Skip::TunnelFragment);
    }

    /// The glance before the walk passes every packet the walk would peel: none of the
    /// fixtures' packets (plain), nor plain UDP, ICMP or TCP, is peeled, and every tunneled
    /// sample is looked at.
    #[test]
    fn the_glance_never_hides_a_tunnel() {
        let mut plain = Vec::new();
        for path in crate::fixture_paths() {
            crate::capture::file::read(&path, &mut |p| plain.push((p.link, p.data.to_vec())))
                .unwrap();
        }
        plain.push((LinkType::ETHERNET, udp6(53, 4788, b"dns")));
        for (proto, port) in [
            (17, Some(53)),
            (17, Some(4788)),
            (1, None),
            (6, None),
            (50, None),
        ] {
            plain.push((LinkType::ETHERNET, outer(proto, port, &[0; 40])));
        }
        assert!(plain.len() > 500, "{}", plain.len());
        let mut glanced = 0;
        for (link, data) in &plain {
            let p = Packet {
                link: *link,
                ..pkt(data)
            };
            if !may_tunnel(p.link, p.data) {
                glanced += 1;
                assert!(peel_any(&p).is_none(), "{link} {data:02x?}");
            }
        }
        assert!(glanced >= 5, "{glanced}");
        for t in samples() {
            assert!(may_tunnel(LinkType::ETHERNET, &t));
            assert!(matches!(peel(&pkt(&t)), Some(Ok((_, Some(_))))));
        }
    }

    /// Tunneled packets, one of each kind of outer header.
    fn samples() -> Vec<Vec<u8>> {
        let frame = eth(0x0800, &inner(b"payload"));
        let mut erspan3 = vec![0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1];
        erspan3.extend_from_slice(&[0x20, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]);
        erspan3.extend_from_slice(&[0; 8]);
        erspan3.extend_from_slice(&frame);
        let mut geneve = vec![0x01, 0x00, 0x65, 0x58, 0, 0, 1, 0, 1, 2, 3, 4];
        geneve.extend_from_slice(&frame);
        vec![
            vxlan(0x08, &frame),
            outer(17, Some(6081), &geneve),
            outer(47, None, &erspan3),
            outer(41, None, &frame[14..]),
            eth(0x8847, &[[0, 1, 1, 64].as_slice(), &frame[14..]].concat()),
        ]
    }

    /// No prefix of a tunneled packet, and no packet with one byte changed, makes the
    /// decoder panic or loop.
    #[test]
    fn prefixes_and_damage_never_panic() {
        for s in &samples() {
            assert!(decode(&pkt(s)).is_ok());
            for n in 0..s.len() {
                let _ = decode(&pkt(&s[..n]));
                let _ = encapsulation(&pkt(&s[..n]));
            }
            for i in 0..s.len() {
                for x in [0x00, 0xff, 0x80, 0x01] {
                    let mut d = s.clone();
                    d[i] ^= x;
                    let _ = decode(&pkt(&d));
                }
            }
        }
    }
}
