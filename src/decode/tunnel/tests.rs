//! The tunnels' tests: each peeled alone and nested, cut, fragmented, too deep.

use super::*;
use crate::decode::{decode, encapsulation};
use crate::vocab::Timestamp;
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
        crate::capture::file::read(&path, &mut |p| plain.push((p.link, p.data.to_vec()))).unwrap();
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
