//! The sessions of a recorded fixture delivered through tunnels and wrapping link types
//! (as a cloud tap, an overlay network, a switch's mirror or a host's logging target
//! delivers them) report exactly as the fixture does, with the tunnel named; a nesting
//! deeper than the decoder peels and a fragmented outer packet are said, not decoded as
//! garbage. Each capture is built here from the fixture's packets, the outer headers
//! written by etherparse's builder or by hand after the RFCs; where tshark is installed,
//! it must find the same inner TCP segments in them (skipped with a message otherwise).

use crate::common::run;
use crate::common::skip;

use etherparse::{IpNumber, PacketBuilder};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::report::Report;
use wsclose::vocab::{LinkType, Timestamp};

const FIXTURE: &str = "python-close-1001.pcap";
const OUTER_A: [u8; 4] = [10, 0, 0, 5];
const OUTER_B: [u8; 4] = [10, 0, 0, 9];

/// A captured packet: its time, bytes and length on the wire.
#[derive(Clone)]
struct Pkt {
    ts: Timestamp,
    data: Vec<u8>,
    orig_len: u32,
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The packets of a fixture (Ethernet without VLAN tags, every one of them).
fn packets(name: &str) -> Vec<Pkt> {
    let mut out = Vec::new();
    wsclose::__internals::capture::file::read(&fixture_path(name), &mut |p| {
        assert_eq!(p.link, LinkType::ETHERNET);
        out.push(Pkt {
            ts: p.ts,
            data: p.data.to_vec(),
            orig_len: p.orig_len,
        })
    })
    .unwrap();
    assert!(out.len() > 10);
    out
}

fn write(dir: &Path, name: &str, link: LinkType, pkts: &[Pkt]) -> PathBuf {
    let mut w = PcapWriter::new(Vec::new(), link, 262_144).unwrap();
    for p in pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, w.into_inner()).unwrap();
    path
}

fn analyze(path: &Path) -> Report {
    wsclose::analyze_files(&[path.to_path_buf()], Options::default()).unwrap()
}

/// [`analyze`] with the file read once by two threads, each following its share of flows.
fn analyze_sharded(path: &Path) -> Report {
    let opts = Options {
        threads: 2,
        shard_min_bytes: 0,
        ..Options::default()
    };
    wsclose::analyze_files(&[path.to_path_buf()], opts).unwrap()
}

/// Each connection's JSON without its encapsulation, and the encapsulations.
fn connections(r: &Report) -> (Vec<Value>, Vec<Value>) {
    r.connections
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap();
            let e = v.as_object_mut().unwrap().remove("encapsulation");
            (v, e.unwrap_or(Value::Null))
        })
        .unzip()
}

/// An Ethernet II frame of `ether_type` around `payload`.
fn eth(ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a];
    v.extend_from_slice(&ether_type.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// The inner packet's Ethernet payload (the fixture's frames carry IPv4 or IPv6 straight).
fn ip_of(frame: &[u8]) -> &[u8] {
    assert!(matches!(frame[12..14], [0x08, 0x00] | [0x86, 0xdd]));
    &frame[14..]
}

/// The outer addresses for a packet of the fixture: A to B for the first packet's sender,
/// B to A the other way.
fn outer_for(first: &[u8], frame: &[u8]) -> ([u8; 4], [u8; 4]) {
    if frame[6..12] == first[6..12] {
        (OUTER_A, OUTER_B)
    } else {
        (OUTER_B, OUTER_A)
    }
}

/// An outer IPv4 packet of protocol `proto` around `payload`, in an Ethernet frame.
fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b])
        .ipv4(src, dst, 64)
        .write(&mut v, IpNumber(proto), payload)
        .unwrap();
    v
}

/// An outer IPv4/UDP packet to `port` around `payload`, in an Ethernet frame.
fn udp4(src: [u8; 4], dst: [u8; 4], port: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b])
        .ipv4(src, dst, 64)
        .udp(49_152, port)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A GRE header (RFC 2784, RFC 2890) with a key and a sequence number when given.
fn gre(protocol: u16, key: Option<u32>, seq: Option<u32>) -> Vec<u8> {
    let flags = if key.is_some() { 0x2000u16 } else { 0 } | if seq.is_some() { 0x1000 } else { 0 };
    let mut v = flags.to_be_bytes().to_vec();
    v.extend_from_slice(&protocol.to_be_bytes());
    for x in key.into_iter().chain(seq) {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

fn vxlan_header(vni: u32) -> Vec<u8> {
    cat(&[&[0x08, 0, 0, 0], &(vni << 8).to_be_bytes()])
}

/// One way of wrapping the fixture's frames: its name, link type, the wrapping of frame
/// `i` (given the first frame), and the encapsulation the report must name.
struct Wrap {
    name: &'static str,
    link: LinkType,
    wrap: fn(&[u8], &[u8], usize) -> Vec<u8>,
    expect: Value,
}

fn wraps() -> Vec<Wrap> {
    vec![
        Wrap {
            name: "vxlan",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                udp4(a, b, 4789, &cat(&[&vxlan_header(4242), f]))
            },
            expect: json!({"kind": "vxlan", "vni": 4242, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "vxlan-linux-port",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                udp4(a, b, 8472, &cat(&[&vxlan_header(1), f]))
            },
            expect: json!({"kind": "vxlan", "vni": 1, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "vlan-in-vxlan",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                // The inner frame with an 802.1Q tag (VLAN 100) before its EtherType.
                let tagged = cat(&[&f[..12], &[0x81, 0x00, 0x00, 100], &f[12..]]);
                udp4(a, b, 4789, &cat(&[&vxlan_header(77), &tagged]))
            },
            expect: json!({"kind": "vxlan", "vni": 77, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "geneve-option",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                // Version 0, 2 words of options; Ethernet; VNI 0x123456; one option (AWS
                // GWLB's class 0x0108, type 1, 4 bytes of data).
                let head = [0x02, 0x00, 0x65, 0x58, 0x12, 0x34, 0x56, 0x00];
                let option = [0x01, 0x08, 0x01, 0x01, 0xde, 0xad, 0xbe, 0xef];
                udp4(a, b, 6081, &cat(&[&head, &option, f]))
            },
            expect: json!({"kind": "geneve", "vni": 0x123456, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "geneve-ip",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                // The IP packet straight (protocol type 0x0800), as a load balancer sends it.
                let head = [0x00, 0x00, 0x08, 0x00, 0, 0, 9, 0];
                udp4(a, b, 6081, &cat(&[&head, ip_of(f)]))
            },
            expect: json!({"kind": "geneve", "vni": 9, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "gre-key-seq",
            link: LinkType::ETHERNET,
            wrap: |first, f, i| {
                let (a, b) = outer_for(first, f);
                ipv4(
                    a,
                    b,
                    47,
                    &cat(&[&gre(0x0800, Some(31), Some(i as u32)), ip_of(f)]),
                )
            },
            expect: json!({"kind": "gre", "key": 31, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "gre-teb",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                ipv4(a, b, 47, &cat(&[&gre(0x6558, None, None), f]))
            },
            expect: json!({"kind": "gre", "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "erspan-i",
            link: LinkType::ETHERNET,
            wrap: |_, f, _| ipv4(OUTER_A, OUTER_B, 47, &cat(&[&gre(0x88be, None, None), f])),
            expect: json!({"kind": "erspan-i", "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "erspan-ii",
            link: LinkType::ETHERNET,
            wrap: |_, f, i| {
                // Version 1, VLAN 0, COS 0, En 0, T 0, session 100; index 0.
                let head = [0x10, 0x00, 0x00, 100, 0, 0, 0, 0];
                let g = gre(0x88be, None, Some(i as u32));
                ipv4(OUTER_A, OUTER_B, 47, &cat(&[&g, &head, f]))
            },
            expect: json!({"kind": "erspan-ii", "session": 100, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "erspan-iii",
            link: LinkType::ETHERNET,
            wrap: |_, f, i| {
                // Version 2, session 0x3ff; a timestamp; SGT, FT 0 (Ethernet), hardware id 1,
                // the O flag: an 8-byte platform subheader follows.
                let head = [
                    0x20, 0x00, 0x03, 0xff, 0, 0, 0, i as u8, 0, 0, 0x00, 0x11, 1, 2, 3, 4, 5, 6,
                    7, 8,
                ];
                let g = gre(0x22eb, None, Some(i as u32));
                ipv4(OUTER_A, OUTER_B, 47, &cat(&[&g, &head, f]))
            },
            expect: json!({"kind": "erspan-iii", "session": 1023, "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "ipip",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                ipv4(a, b, 4, ip_of(f))
            },
            expect: json!({"kind": "ipip", "outer": ["10.0.0.5", "10.0.0.9"]}),
        },
        Wrap {
            name: "mpls-two-labels",
            link: LinkType::ETHERNET,
            wrap: |_, f, _| {
                // Label 1000 (not bottom), label 16 (bottom of stack), TTL 64 each.
                let labels = [0x00, 0x3e, 0x80, 0x40, 0x00, 0x01, 0x01, 0x40];
                eth(0x8847, &cat(&[&labels, ip_of(f)]))
            },
            expect: json!({"kind": "mpls", "label": 1000}),
        },
        Wrap {
            name: "mpls-ethernet-pseudowire",
            link: LinkType::ETHERNET,
            wrap: |_, f, _| {
                // One label, the control word, the frame.
                eth(0x8847, &cat(&[&[0x00, 0x01, 0x41, 0x40], &[0, 0, 0, 0], f]))
            },
            expect: json!({"kind": "mpls", "label": 20}),
        },
        Wrap {
            name: "pppoe",
            link: LinkType::ETHERNET,
            wrap: |_, f, _| {
                let ip = ip_of(f);
                let len = (ip.len() + 2) as u16;
                let head = cat(&[&[0x11, 0x00, 0x00, 0x2a], &len.to_be_bytes(), &[0x00, 0x21]]);
                eth(0x8864, &cat(&[&head, ip]))
            },
            expect: json!({"kind": "pppoe", "session": 42}),
        },
        Wrap {
            name: "gre-in-vxlan",
            link: LinkType::ETHERNET,
            wrap: |first, f, _| {
                let (a, b) = outer_for(first, f);
                let inner = ipv4(
                    [192, 168, 0, 1],
                    [192, 168, 0, 2],
                    47,
                    &cat(&[&gre(0x0800, Some(5), None), ip_of(f)]),
                );
                udp4(a, b, 4789, &cat(&[&vxlan_header(4242), &inner]))
            },
            expect: json!({"kind": "vxlan", "vni": 4242, "outer": ["10.0.0.5", "10.0.0.9"], "nested": ["gre"]}),
        },
        Wrap {
            name: "nflog",
            link: LinkType::NFLOG,
            wrap: |_, f, _| {
                // AF_INET, version 0, group 5; a prefix TLV (odd length, padded); the packet
                // TLV; little-endian lengths and types, as an x86 or ARM host writes them.
                let ip = ip_of(f);
                let mut v = vec![2, 0, 0, 5, 7, 0, 10, 0, b'w', b's', b'!', 0];
                v.extend_from_slice(&((ip.len() + 4) as u16).to_le_bytes());
                v.extend_from_slice(&9u16.to_le_bytes());
                v.extend_from_slice(ip);
                v
            },
            expect: Value::Null,
        },
        Wrap {
            name: "pktap",
            link: LinkType::PKTAP,
            wrap: |_, f, _| {
                // Apple's pktap_header (108 bytes): its length, type 1 (a packet), DLT 1
                // (Ethernet), the interface "en0"; then the frame.
                let mut head = vec![0u8; 108];
                head[..4].copy_from_slice(&108u32.to_le_bytes());
                head[4..8].copy_from_slice(&1u32.to_le_bytes());
                head[8..12].copy_from_slice(&1u32.to_le_bytes());
                head[12..15].copy_from_slice(b"en0");
                cat(&[&head, f])
            },
            expect: Value::Null,
        },
    ]
}

/// The fixture's frames wrapped by `w`, each keeping the fixture's time and the snap
/// length's cut (none: every fixture packet is whole).
fn wrapped(pkts: &[Pkt], w: &Wrap) -> Vec<Pkt> {
    let first = &pkts[0].data;
    pkts.iter()
        .enumerate()
        .map(|(i, p)| {
            assert_eq!(p.data.len() as u32, p.orig_len);
            let data = (w.wrap)(first, &p.data, i);
            Pkt {
                ts: p.ts,
                orig_len: data.len() as u32,
                data,
            }
        })
        .collect()
}

#[test]
fn every_tunnel_reports_the_fixtures_connections_and_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let plain = analyze(&fixture_path(FIXTURE));
    let (want, none) = connections(&plain);
    assert_eq!(want.len(), 1);
    assert_eq!(none, vec![Value::Null]);
    assert_eq!(plain.connections[0].status.code, Some(1001));
    for w in wraps() {
        let path = write(
            dir.path(),
            &format!("{}.pcap", w.name),
            w.link,
            &wrapped(&pkts, &w),
        );
        let r = analyze(&path);
        let (got, enc) = connections(&r);
        assert_eq!(got, want, "{}", w.name);
        assert_eq!(enc, vec![w.expect.clone()], "{}", w.name);
        assert_eq!(r.seen.tcp_packets, plain.seen.tcp_packets, "{}", w.name);
        assert_eq!(r.seen.other_packets, 0, "{}", w.name);
        assert_eq!(r.seen.malformed_packets, 0, "{}", w.name);
        assert!(
            r.inputs[0].warnings.is_empty(),
            "{}: {:?}",
            w.name,
            r.inputs[0].warnings
        );
        let sharded = analyze_sharded(&path);
        let want_here = (got, enc);
        assert_eq!(
            connections(&sharded),
            want_here,
            "{} in two threads",
            w.name
        );
        // Each connection frozen out of memory and read back at every packet.
        let opts = Options {
            freeze: wsclose::__internals::analyzer::Freeze::EveryPacket,
            ..Options::default()
        };
        let frozen = wsclose::analyze_files(std::slice::from_ref(&path), opts).unwrap();
        assert_eq!(connections(&frozen), want_here, "{} frozen", w.name);
    }
}

/// IPv6 inside IPv4 (6in4) and the fixture's IPv6 session in VXLAN over IPv6.
#[test]
fn ipv6_sessions_in_6in4_and_vxlan_over_ipv6() {
    let dir = tempfile::tempdir().unwrap();
    let name = "node-ipv6.pcap";
    let pkts = packets(name);
    let plain = analyze(&fixture_path(name));
    let (want, _) = connections(&plain);
    assert!(!want.is_empty());
    let first = pkts[0].data.clone();
    let six_in_four = |p: &Pkt| {
        let (a, b) = outer_for(&first, &p.data);
        ipv4(a, b, 41, ip_of(&p.data))
    };
    let vxlan6 = |p: &Pkt| {
        let (a, b) = if p.data[6..12] == first[6..12] {
            (1u8, 2u8)
        } else {
            (2, 1)
        };
        let addr = |x: u8| [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, x];
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b])
            .ipv6(addr(a), addr(b), 64)
            .udp(40_000, 4789)
            .write(&mut v, &cat(&[&vxlan_header(7), &p.data]))
            .unwrap();
        v
    };
    type Wrapping<'a> = &'a dyn Fn(&Pkt) -> Vec<u8>;
    let cases: [(&str, Wrapping, Value); 2] = [
        (
            "6in4",
            &six_in_four,
            json!({"kind": "6in4", "outer": ["10.0.0.5", "10.0.0.9"]}),
        ),
        (
            "vxlan6",
            &vxlan6,
            json!({"kind": "vxlan", "vni": 7, "outer": ["fd00::1", "fd00::2"]}),
        ),
    ];
    for (case, wrap, expect) in cases {
        let out: Vec<Pkt> = pkts
            .iter()
            .map(|p| {
                let data = wrap(p);
                Pkt {
                    ts: p.ts,
                    orig_len: data.len() as u32,
                    data,
                }
            })
            .collect();
        let r = analyze(&write(
            dir.path(),
            &format!("{case}.pcap"),
            LinkType::ETHERNET,
            &out,
        ));
        let (got, enc) = connections(&r);
        assert_eq!(got, want, "{case}");
        assert!(enc.iter().all(|e| *e == expect), "{case}: {enc:?}");
    }
}

/// Eight tunnels deep is peeled; nine is said in the input's warnings and counted, and no
/// connection comes of it.
#[test]
fn a_nesting_deeper_than_the_limit_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let nest = |depth: usize| -> Vec<Pkt> {
        pkts.iter()
            .map(|p| {
                let mut ip = ip_of(&p.data).to_vec();
                for _ in 0..depth {
                    ip = ip_of(&ipv4(OUTER_A, OUTER_B, 4, &ip)).to_vec();
                }
                let data = eth(0x0800, &ip);
                Pkt {
                    ts: p.ts,
                    orig_len: data.len() as u32,
                    data,
                }
            })
            .collect()
    };
    let plain = analyze(&fixture_path(FIXTURE));
    let eight = analyze(&write(
        dir.path(),
        "eight.pcap",
        LinkType::ETHERNET,
        &nest(8),
    ));
    assert_eq!(connections(&eight).0, connections(&plain).0);
    assert_eq!(
        connections(&eight).1,
        vec![json!({"kind": "ipip", "outer": ["10.0.0.5", "10.0.0.9"], "nested": vec!["ipip"; 7]})]
    );
    let nine = analyze(&write(
        dir.path(),
        "nine.pcap",
        LinkType::ETHERNET,
        &nest(9),
    ));
    assert!(nine.connections.is_empty());
    assert_eq!(nine.seen.too_deep_packets, pkts.len() as u64);
    assert_eq!(nine.seen.tcp_packets, 0);
    let json = serde_json::to_value(&nine.seen).unwrap();
    assert_eq!(json["too_deep_packets"], pkts.len());
    assert_eq!(
        nine.inputs[0].warnings,
        vec![format!(
            "{} packets had tunnels nested more than 8 deep (or more than 32 headers) and were not decoded (the first: packet 1)",
            pkts.len()
        )]
    );
}

/// Outer IPv4 packets cut in two fragments, their first fragment long enough to show the
/// inner TCP header and the start of its payload, which must not be taken for the whole
/// segment (nor the second fragment for anything). The connection is that of the fixture
/// with those packets replaced by as many packets of something else, and the input's
/// warning says how many tunnel packets came in fragments.
#[test]
fn a_fragmented_outer_packet_is_counted_not_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let first = pkts[0].data.clone();
    let mut tunneled = Vec::new();
    let mut without = Vec::new();
    // The two text messages and the client's close frame (packets 8, 9 and 12).
    let cut_up = [7, 8, 11];
    for (i, p) in pkts.iter().enumerate() {
        let (a, b) = outer_for(&first, &p.data);
        let whole = udp4(a, b, 4789, &cat(&[&vxlan_header(4242), &p.data]));
        if !cut_up.contains(&i) {
            tunneled.push(Pkt {
                ts: p.ts,
                orig_len: whole.len() as u32,
                data: whole,
            });
            without.push(p.clone());
            continue;
        }
        let payload = &whole[14 + 20..];
        // UDP 8, VXLAN 8, Ethernet 14, IPv4 20, TCP 32 (with timestamps): 82 bytes of
        // headers, then 6 bytes of the segment's payload (a multiple of 8 in all).
        let cut = 88;
        assert!(payload.len() > cut);
        for (offset, part, more) in [(0, &payload[..cut], true), (cut, &payload[cut..], false)] {
            let mut h =
                etherparse::Ipv4Header::new(part.len() as u16, 64, IpNumber::UDP, a, b).unwrap();
            h.identification = i as u16;
            h.more_fragments = more;
            h.fragment_offset = etherparse::IpFragOffset::try_new((offset / 8) as u16).unwrap();
            h.header_checksum = h.calc_header_checksum();
            let mut data = whole[..14].to_vec();
            h.write(&mut data).unwrap();
            data.extend_from_slice(part);
            tunneled.push(Pkt {
                ts: p.ts,
                orig_len: data.len() as u32,
                data,
            });
            // Something else in their place, numbered the same.
            let other = udp4(a, b, 9, b"not tcp");
            without.push(Pkt {
                ts: p.ts,
                orig_len: other.len() as u32,
                data: other,
            });
        }
    }
    let r = analyze(&write(
        dir.path(),
        "fragments.pcap",
        LinkType::ETHERNET,
        &tunneled,
    ));
    let r_without = analyze(&write(
        dir.path(),
        "without.pcap",
        LinkType::ETHERNET,
        &without,
    ));
    let (got, enc) = connections(&r);
    let (want, _) = connections(&r_without);
    assert_eq!(got, want);
    assert_eq!(
        enc,
        vec![json!({"kind": "vxlan", "vni": 4242, "outer": ["10.0.0.5", "10.0.0.9"]})]
    );
    // The fixture's close codes are not all there: the client's close frame was cut up.
    assert_ne!(got, connections(&analyze(&fixture_path(FIXTURE))).0);
    assert_eq!(r.seen.tunnel_fragments, cut_up.len() as u64);
    let path = dir.path().join("fragments.pcap");
    let sharded = analyze_sharded(&path);
    assert_eq!(connections(&sharded), (got.clone(), enc.clone()));
    assert_eq!(sharded.seen.tunnel_fragments, cut_up.len() as u64);
    assert_eq!(sharded.inputs[0].warnings, r.inputs[0].warnings);
    assert_eq!(
        serde_json::to_value(&r.seen).unwrap()["tunnel_fragments"],
        cut_up.len()
    );
    assert_eq!(r.seen.malformed_packets, 0);
    // Each second fragment does not say what it carries: another packet.
    assert_eq!(r.seen.other_packets, cut_up.len() as u64);
    assert_eq!(r.seen.tcp_packets, r_without.seen.tcp_packets);
    assert_eq!(
        r.inputs[0].warnings,
        vec![
            "3 tunnel packets (VXLAN, GENEVE, GRE, IP in IP) came in IP fragments (the first: packet 8), which wsclose does not reassemble: the TCP segments inside them are missing from the connections; capture where the tunnel's MTU keeps its packets whole, or inside the tunnel"
        ]
    );
}

/// The same packets as tshark decodes them: for each frame, the innermost IPv4 source
/// and TCP port, sequence number and length, from the wrapped capture and the fixture.
#[test]
fn tshark_finds_the_same_inner_segments() {
    let available = std::process::Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        skip::skipped(format_args!(
            "tshark_finds_the_same_inner_segments: skipped, tshark is not installed"
        ));
        return;
    }
    let fields = |path: &Path| -> String {
        let out = std::process::Command::new("tshark")
            .arg("-r")
            .arg(path)
            .args([
                "-o",
                "tcp.relative_sequence_numbers:false",
                "-T",
                "fields",
                "-E",
                "occurrence=l",
            ])
            .args([
                "-e",
                "ip.src",
                "-e",
                "tcp.srcport",
                "-e",
                "tcp.seq",
                "-e",
                "tcp.len",
            ])
            // Linux's VXLAN port, and an MPLS label's payload, as tshark is told to read
            // them.
            .args(["-d", "udp.port==8472,vxlan", "-d", "mpls.label==20,pwethcw"])
            .output()
            .unwrap();
        String::from_utf8(run::stdout_of(out)).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let want = fields(&fixture_path(FIXTURE));
    assert!(want.lines().count() == pkts.len() && !want.contains("\t\t"));
    for w in wraps() {
        let path = write(
            dir.path(),
            &format!("{}.pcap", w.name),
            w.link,
            &wrapped(&pkts, &w),
        );
        assert_eq!(fields(&path), want, "{}", w.name);
    }
}

/// `wsclose analyze` on a tunneled capture: its JSON validates against the committed
/// schema, the table and the Markdown name the tunnel in one line, and `--redact` names the
/// outer addresses as it names the endpoints.
#[test]
fn reports_show_the_tunnel_and_redact_its_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let w = wraps()
        .into_iter()
        .find(|w| w.name == "gre-in-vxlan")
        .unwrap();
    let path = write(dir.path(), "vxlan.pcap", w.link, &wrapped(&pkts, &w));
    let run = |args: &[&str]| -> String {
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .env_remove("SSLKEYLOGFILE")
            .env("COLUMNS", "160")
            .arg("analyze")
            .arg(&path)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(run::stdout_of(out)).unwrap()
    };
    let schema_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_file).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for redact in [false, true] {
        let mut args = vec!["--format", "json"];
        if redact {
            args.push("--redact");
        }
        let json: Value = serde_json::from_str(&run(&args)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let e = &json["connections"][0]["encapsulation"];
        if redact {
            let c = &json["connections"][0];
            let named = |v: &Value| {
                let s = v.as_str().unwrap();
                s.len() == 11 && s.starts_with("host-")
            };
            let client = c["client"].as_str().unwrap();
            assert!(
                client.ends_with(":31003") && named(&json!(&client[..11])),
                "{c}"
            );
            let outer = e["outer"].as_array().unwrap();
            assert!(outer.len() == 2 && outer.iter().all(named), "{e}");
            // Three addresses, three names.
            assert!(outer[0] != outer[1] && !client.starts_with(outer[0].as_str().unwrap()));
            assert!(!json.to_string().contains("10.0.0."));
        } else {
            assert_eq!(e["outer"], json!(["10.0.0.5", "10.0.0.9"]));
        }
    }
    let line = "VXLAN VNI 4242 between 10.0.0.5 and 10.0.0.9 (inside it: GRE)";
    let table = run(&["--format", "table", "--color", "never"]);
    assert!(table.contains(&format!("via {line}")), "{table}");
    let md = run(&["--format", "markdown"]);
    assert!(md.contains(&format!("- **Tunnel:** {line}\n")), "{md}");
}

/// Two tenants with the same inner addresses (overlapping address spaces): the fixture's
/// session in VLAN 10 and again, 5 ms later, in VLAN 20 (the fast decoding, and QinQ through
/// the general one), and the same in VXLAN VNIs 1 and 2. The encapsulation is part of the
/// flow key: both sessions are reported, each whole, in one thread, in two and frozen
/// (they were one flow, the second session's packets taken for copies of the first's).
#[test]
fn the_same_addresses_in_two_vlans_or_two_vnis_are_two_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let first = pkts[0].data.clone();
    let vlan = |f: &[u8], ids: &[u16]| {
        let mut tags = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let tpid: u16 = if i + 1 < ids.len() { 0x88a8 } else { 0x8100 };
            tags.extend_from_slice(&tpid.to_be_bytes());
            tags.extend_from_slice(&id.to_be_bytes());
        }
        // The outer tag first: the TPID replaces the EtherType, which follows the tags.
        let mut v = f[..12].to_vec();
        v.extend_from_slice(&tags);
        v.extend_from_slice(&f[12..]);
        v
    };
    let vxlan = |f: &[u8], vni: u32| {
        let (a, b) = outer_for(&first, f);
        udp4(a, b, 4789, &cat(&[&vxlan_header(vni), f]))
    };
    type Wrapper<'a> = Box<dyn Fn(&[u8], u32) -> Vec<u8> + 'a>;
    let cases: Vec<(&str, Wrapper<'_>)> = vec![
        ("vlan", Box::new(|f, k| vlan(f, &[k as u16]))),
        ("qinq", Box::new(|f, k| vlan(f, &[300, k as u16]))),
        ("vxlan", Box::new(|f, k| vxlan(f, k))),
    ];
    let plain = analyze(&fixture_path(FIXTURE));
    let want = &plain.connections[0];
    for (name, wrap) in &cases {
        let mut both: Vec<Pkt> = Vec::new();
        for p in &pkts {
            for (k, shift) in [(10u32, 0i64), (20, 5_000_000)] {
                let data = wrap(&p.data, k);
                both.push(Pkt {
                    ts: Timestamp(p.ts.0 + shift),
                    orig_len: data.len() as u32,
                    data,
                });
            }
        }
        both.sort_by_key(|p| p.ts.0);
        let path = write(
            dir.path(),
            &format!("{name}-two.pcap"),
            LinkType::ETHERNET,
            &both,
        );
        let opts = Options {
            freeze: wsclose::__internals::analyzer::Freeze::EveryPacket,
            ..Options::default()
        };
        let frozen = wsclose::analyze_files(std::slice::from_ref(&path), opts).unwrap();
        // `extract` writes each session's packets alone, not the other tenant's.
        let one = analyze(&path);
        for c in &one.connections {
            let done = wsclose::extract::extract(&path, c, Vec::new(), Path::new("x.pcapng"), None)
                .unwrap();
            assert_eq!(done.packets, pkts.len() as u64, "{name}: extract");
        }
        for (how, r) in [
            ("one thread", one),
            ("two threads", analyze_sharded(&path)),
            ("frozen", frozen),
        ] {
            assert_eq!(r.connections.len(), 2, "{name}, {how}");
            for c in &r.connections {
                assert_eq!(c.status.code, want.status.code, "{name}, {how}");
                assert_eq!(
                    c.close_frames.len(),
                    want.close_frames.len(),
                    "{name}, {how}"
                );
                assert_eq!(c.tcp_end(), want.tcp_end(), "{name}, {how}");
                let json = serde_json::to_value(c).unwrap();
                assert_eq!(
                    json["tcp"]["client"]["segments"],
                    serde_json::to_value(want).unwrap()["tcp"]["client"]["segments"],
                    "{name}, {how}"
                );
                assert!(
                    c.findings
                        .iter()
                        .all(|f| f.kind.as_str() != "captured-copies"),
                    "{name}, {how}: {:?}",
                    c.findings
                );
            }
        }
    }
}

/// Issue 61: `annotate --only-selected` keeps the packets of the selected connections by
/// the analysis's flow key, VLANs included: of the fixture's session in VLAN 10 and again,
/// 5 ms later, in VLAN 20 (the same addresses), `--connection 2` copies VLAN 20's packets
/// and none of VLAN 10's (it matched the 4-tuple alone, so both tenants' packets within the
/// connection's first and last packets were copied).
#[test]
fn only_selected_annotation_keeps_the_other_vlan_out() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let tagged = |f: &[u8], id: u16| {
        let mut v = f[..12].to_vec();
        v.extend_from_slice(&0x8100u16.to_be_bytes());
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&f[12..]);
        v
    };
    let mut both: Vec<Pkt> = Vec::new();
    for p in &pkts {
        for (id, shift) in [(10u16, 0i64), (20, 5_000_000)] {
            let data = tagged(&p.data, id);
            both.push(Pkt {
                ts: Timestamp(p.ts.0 + shift),
                orig_len: data.len() as u32,
                data,
            });
        }
    }
    both.sort_by_key(|p| p.ts.0);
    let path = write(dir.path(), "two-vlans.pcap", LinkType::ETHERNET, &both);
    let r = analyze(&path);
    assert_eq!(r.connections.len(), 2);
    let out = dir.path().join("only.pcapng");
    let done = std::process::Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["annotate", path.to_str().unwrap(), "--connection", "2"])
        .args(["--only-selected", "-w", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let mut vlans = Vec::new();
    wsclose::__internals::capture::file::read(&out, &mut |p| {
        vlans.push(u16::from_be_bytes([p.data[14], p.data[15]]));
    })
    .unwrap();
    assert_eq!(vlans.len(), pkts.len(), "{vlans:?}");
    assert!(vlans.iter().all(|&v| v == 20), "{vlans:?}");
}
