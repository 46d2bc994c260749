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
//!
//! This file walks the layers; each tunnel's header is read in a file of its own (`vxlan`,
//! `geneve`, `gre` with ERSPAN, `mpls`, `pppoe`).

mod geneve;
mod gre;
mod mpls;
mod pppoe;
mod vxlan;

use super::link::{start, Layer};
use super::{segment_of, Plain, Segment, Skip};
use crate::capture::Packet;
use crate::vocab::{LinkType, Tunnel};
use etherparse::{
    Ethernet2HeaderSlice, Ipv6ExtensionSlice, LaxNetSlice, LaxSlicedPacket, SingleVlanHeaderSlice,
    TransportSlice,
};
use geneve::geneve;
use gre::gre;
use mpls::mpls;
use pppoe::pppoe;
use std::net::IpAddr;
use vxlan::vxlan;

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

#[cfg(test)]
mod tests;
