//! The fast path of decoding: a plain TCP packet (a whole IPv4 or IPv6 packet, no fragment
//! or extension header, carrying a whole TCP header, RFC 791, RFC 8200, RFC 9293) read
//! where etherparse's slices found its parts ([`Plain`]), once, possibly by another thread;
//! and UDP that can be told at a glance to hold no TCP ([`never_tcp`]).

use super::*;

/// The common case without building a full sliced packet (which is large to move around):
/// `None` sends the packet to the lax slicer, which handles everything else.
#[inline(always)]
pub(crate) fn fast<'a>(pkt: &Packet<'a>) -> Option<Segment<'a>> {
    decode_plain(pkt, Plain::find(pkt.link, pkt.data)?)
}

/// Whether [`decode`] finds no TCP segment in the packet and says just that
/// ([`Skip::NotTcp`]), told at a glance: a whole, unfragmented IPv4 packet (or IPv6 without
/// extension headers) whose header and lengths are sound, carrying UDP with a sound length
/// to a port other than VXLAN's and GENEVE's (`tunnel::tunnel_port`): QUIC, DNS, mDNS...
/// `false` whenever that cannot be told so (other link types, EtherTypes and protocols,
/// ICMP, whose messages etherparse checks by type, TCP, tunnels, a damaged or cut header,
/// a fragment): then `decode` must look.
pub fn never_tcp(link: LinkType, data: &[u8]) -> bool {
    let be16 = |b: &[u8], at: usize| {
        b.get(at..at + 2)
            .and_then(|x| x.try_into().ok())
            .map(u16::from_be_bytes)
    };
    // The IP payload (`len` bytes after `at`): a UDP header whose length it holds, to a
    // port no tunnel takes.
    let udp = |ip: &[u8], at: usize, len: usize| {
        len >= 8
            && be16(ip, at + 4).is_some_and(|u| (8..=len).contains(&usize::from(u)))
            && be16(ip, at + 2).is_some_and(|port| !tunnel::tunnel_port(port))
    };
    match network(link, data) {
        Some((0x0800, ip)) => {
            let (Some(&v), Some(total), Some(frag), Some(&proto)) =
                (ip.first(), be16(ip, 2), be16(ip, 6), ip.get(9))
            else {
                return false;
            };
            let (hl, total) = (usize::from(v & 0x0f) * 4, usize::from(total));
            // Version 4, a header of 20 to 60 bytes inside the total length, the total
            // inside what was captured; neither more fragments nor an offset.
            v >> 4 == 4
                && hl >= 20
                && hl <= total
                && total <= ip.len()
                && frag & 0x3fff == 0
                && proto == 17
                && udp(ip, hl, total - hl)
        }
        Some((0x86dd, ip)) => {
            let (Some(&v), Some(len), Some(&next)) = (ip.first(), be16(ip, 4), ip.get(6)) else {
                return false;
            };
            let len = usize::from(len);
            v >> 4 == 6 && 40 + len <= ip.len() && next == 17 && udp(ip, 40, len)
        }
        _ => false,
    }
}

/// [`decode`] for a packet already found plain by [`Plain::find`] (the same bytes): the
/// segment read from where that found its parts, without looking at the headers again.
#[inline(always)]
pub fn decode_plain<'a>(pkt: &Packet<'a>, plain: Plain) -> Option<Segment<'a>> {
    let scope = if plain.ip > 14 {
        vlan_scope(pkt.link, pkt.data)
    } else {
        0
    };
    // Built where it is returned: a segment changed after it was built was copied.
    plain.segment_at(pkt.data.get(plain.ip as usize..)?, iface_of(pkt), scope)
}

impl Plain {
    /// Checks a packet's headers with etherparse's slices and, for one of plain TCP, says
    /// where its parts are; `None` for any other packet, which the lax slicer then decodes.
    /// Both the fast decoding and the index of a shared file decide by this alone, so they
    /// agree on every packet.
    #[inline(always)]
    pub fn find(link: LinkType, data: &[u8]) -> Option<Plain> {
        use etherparse::{ip_number, Ipv4HeaderSlice, Ipv6HeaderSlice, TcpHeaderSlice};
        // Every offset below is at most the packet's length: all fit if it does.
        u32::try_from(data.len()).ok()?;
        let (ether_type, ip) = network(link, data)?;
        let at = data.len() - ip.len();
        let (v6, tcp, end) = match ether_type {
            0x0800 => {
                let h = Ipv4HeaderSlice::from_slice(ip).ok()?;
                if h.protocol() != ip_number::TCP || h.is_fragmenting_payload() {
                    return None;
                }
                let hl = usize::from(h.ihl()) * 4;
                let total = usize::from(h.total_len());
                // Total length 0 (TSO/GRO on loopback) or past the capture: the lax path decides.
                if total < hl || total > ip.len() {
                    return None;
                }
                (false, hl, total)
            }
            0x86dd => {
                let h = Ipv6HeaderSlice::from_slice(ip).ok()?;
                if h.next_header() != ip_number::TCP {
                    return None;
                }
                let len = usize::from(h.payload_length());
                if len == 0 || 40 + len > ip.len() {
                    return None;
                }
                (true, 40, 40 + len)
            }
            _ => return None,
        };
        let tcp_header = TcpHeaderSlice::from_slice(ip.get(tcp..end)?).ok()?;
        let payload = tcp + usize::from(tcp_header.data_offset()) * 4;
        Some(Plain {
            v6,
            ip: at as u32,
            tcp: tcp as u32,
            payload: payload as u32,
            end: end as u32,
        })
    }

    /// The two endpoints, source first.
    #[inline(always)]
    pub fn ends(&self, data: &[u8]) -> Option<(Endpoint, Endpoint)> {
        let ip = data.get(self.ip as usize..)?;
        self.ends_in(ip, ip.get(self.tcp as usize..)?.first_chunk()?)
    }

    /// The two endpoints from the IP packet `ip`, the ports from the TCP header's first
    /// four bytes `ports`.
    #[inline(always)]
    pub(super) fn ends_in(&self, ip: &[u8], ports: &[u8; 4]) -> Option<(Endpoint, Endpoint)> {
        let [s0, s1, d0, d1] = *ports;
        let (sport, dport) = (u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1]));
        Some(if self.v6 {
            // Source and destination after the first 8 bytes (RFC 8200 §3).
            let (_, addrs) = ip.split_first_chunk::<8>()?;
            let (src, rest) = addrs.split_first_chunk::<16>()?;
            let dst = rest.first_chunk::<16>()?;
            (
                Endpoint::v6(u128::from_be_bytes(*src), sport),
                Endpoint::v6(u128::from_be_bytes(*dst), dport),
            )
        } else {
            // Source and destination after the first 12 bytes (RFC 791 §3.1).
            let (_, addrs) = ip.split_first_chunk::<12>()?;
            let (src, rest) = addrs.split_first_chunk::<4>()?;
            let dst = rest.first_chunk::<4>()?;
            (
                Endpoint::v4(u32::from_be_bytes(*src), sport),
                Endpoint::v4(u32::from_be_bytes(*dst), dport),
            )
        })
    }

    /// The segment, its fields read from the IP packet `ip` where [`Plain::find`] found them
    /// (RFC 9293 §3.1).
    #[inline(always)]
    pub(super) fn segment_in<'a>(&self, ip: &'a [u8]) -> Option<Segment<'a>> {
        self.segment_at(ip, None, 0)
    }

    /// [`Plain::segment_in`], on interface `iface` and in `scope`.
    #[inline(always)]
    pub(super) fn segment_at<'a>(
        &self,
        ip: &'a [u8],
        iface: Option<u32>,
        scope: u64,
    ) -> Option<Segment<'a>> {
        let tcp: &[u8; 20] = ip.get(self.tcp as usize..)?.first_chunk()?;
        let (ports, _) = tcp.split_first_chunk::<4>()?;
        let (src, dst) = self.ends_in(ip, ports)?;
        let [_, _, _, _, s0, s1, s2, s3, a0, a1, a2, a3, _, flags, w0, w1, ..] = *tcp;
        let head: &[u8; 9] = ip.first_chunk()?;
        let (ttl, ip_id) = if self.v6 {
            (head[7], None)
        } else {
            (head[8], Some(u16::from_be_bytes([head[4], head[5]])))
        };
        Some(Segment {
            src,
            dst,
            seq: u32::from_be_bytes([s0, s1, s2, s3]),
            ack: u32::from_be_bytes([a0, a1, a2, a3]),
            syn: flags & 0x02 != 0,
            ack_flag: flags & 0x10 != 0,
            fin: flags & 0x01 != 0,
            rst: flags & 0x04 != 0,
            payload: ip.get(self.payload as usize..self.end as usize)?,
            // The whole IP packet was captured (checked by `Plain::find`), so nothing was cut.
            missing: 0,
            ttl,
            ip_id,
            window: u16::from_be_bytes([w0, w1]),
            iface,
            scope,
            // Past the fixed header, up to the payload (`Plain::find` checked the data
            // offset against the packet).
            options: ip.get(self.tcp as usize + 20..self.payload as usize)?,
        })
    }
}
