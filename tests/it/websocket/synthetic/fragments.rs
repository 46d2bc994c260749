//! IP-fragmented TCP (RFC 791 §3.2, RFC 8200 §4.5): a segment that came in IP fragments, in any order,
//! is put back together and read as any other; a datagram that never came whole is said in
//! the input's warnings, not only as bytes missing from the connection.

use super::*;
use wsclose::vocab::Timestamp;

/// The one's complement checksum of an IPv4 header whose checksum field is zero.
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Packet `p` (raw IPv4, 20-byte header) as fragments cut at the IP payload offsets `cuts`
/// (multiples of 8), in the order `order` (indexes of the fragments), `gap_ms` apart.
fn fragmented(p: &Pkt, cuts: &[usize], order: &[usize]) -> Vec<Pkt> {
    let (head, payload) = p.data.split_at(20);
    let mut frags = Vec::new();
    let mut at = 0;
    for (i, &end) in cuts.iter().chain([payload.len()].iter()).enumerate() {
        let more = i < cuts.len();
        let mut h = head.to_vec();
        h[2..4].copy_from_slice(&((20 + end - at) as u16).to_be_bytes());
        h[6..8].copy_from_slice(&((u16::from(more) << 13) | (at / 8) as u16).to_be_bytes());
        h[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(&h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        h.extend_from_slice(&payload[at..end]);
        frags.push(h);
        at = end;
    }
    order
        .iter()
        .enumerate()
        .map(|(k, &i)| Pkt {
            orig_len: frags[i].len() as u32,
            data: frags[i].clone(),
            ts: Timestamp(p.ts.0 + k as i64 * 100_000),
            ..p.clone()
        })
        .collect()
}

/// A session whose server sends a 3 000-byte message in one segment, then both close; the
/// packets, and the message's segment's index among them.
fn session(port: u16) -> (Session, usize, usize) {
    let mut s = Session::new(port, 8080);
    s.open();
    let message = text(Server, &"m".repeat(3000));
    let big = s.send(Server, &message) as usize - 1;
    s.ack(Client);
    let closing = s.send(Client, &close(Client, 1000, "bye")) as usize - 1;
    s.send(Server, &close(Server, 1000, "bye"));
    s.fins(Client);
    (s, big, closing)
}

fn analyze_packets(pkts: &[Pkt]) -> Report {
    analyze_timed(LinkType::RAW, pkts, Default::default())
}

#[test]
fn fragmented_segments_are_put_back_together_in_any_order() {
    let (s, big, close_at) = session(40201);
    let whole = s.analyze();
    let want = only(&whole);
    assert_eq!(want.status.code, Some(1000));
    let mut pkts = Vec::new();
    for (i, p) in s.pkts.iter().enumerate() {
        if i == big {
            // 1480-byte fragments as an MTU of 1500 cuts them, the last first.
            pkts.extend(fragmented(p, &[1480, 2960], &[2, 0, 1]));
        } else if i == close_at {
            // The first fragment holds only the ports (8 bytes of the TCP header); a copy
            // of the last comes before the middle one and another after (the same packets
            // captured again).
            pkts.extend(fragmented(p, &[8, 24], &[0, 2, 2, 1, 2]));
        } else {
            pkts.push(p.clone());
        }
    }
    let r = analyze_packets(&pkts);
    let c = only(&r);
    assert_eq!(
        closes(c),
        closes(want)
            .into_iter()
            .map(|(f, code, why, p)| {
                // Packets are numbered anew: a datagram is the packet of the fragment that
                // completed it (the third of the message's, the fourth of the close's), and
                // the fragments before it count.
                let (big, close_at) = (big as u64 + 1, close_at as u64 + 1);
                let shift = if p >= big { 2 } else { 0 }
                    + match p.cmp(&close_at) {
                        std::cmp::Ordering::Less => 0,
                        std::cmp::Ordering::Equal => 3,
                        std::cmp::Ordering::Greater => 4,
                    };
                (f, code, why, p + shift)
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(findings(c), vec![], "{}", c.status.detail);
    // The 3 000-byte message whole, at the packet that completed its datagram.
    let (got, was) = (
        serde_json::to_value(c.frames).unwrap(),
        serde_json::to_value(want.frames).unwrap(),
    );
    assert_eq!(
        got["server"]["payload_bytes"],
        was["server"]["payload_bytes"]
    );
    assert_eq!(got["server"]["largest_message"][0], 3000);
    assert_eq!(
        got["server"]["largest_message"][1],
        was["server"]["largest_message"][1].as_u64().unwrap() + 2
    );
    assert_eq!(got["client"], was["client"]);
    assert!(
        r.inputs[0].warnings.is_empty(),
        "{:?}",
        r.inputs[0].warnings
    );
    assert_eq!(r.seen.other_packets, 0);
    // Two threads, each following its share of the flows: every one sees the fragments.
    let times: Vec<Timestamp> = pkts.iter().map(|p| p.ts).collect();
    let opts = wsclose::__internals::analyzer::Options {
        threads: 2,
        shard_min_bytes: 0,
        ..Default::default()
    };
    let sharded = analyze_pcap(LinkType::RAW, &pkts, &times, opts);
    assert_eq!(closes(only(&sharded)), closes(c));
    assert!(sharded.inputs[0].warnings.is_empty());
}

#[test]
fn a_datagram_never_whole_is_said_in_the_warnings() {
    let (s, big, _) = session(40202);
    let mut pkts = Vec::new();
    let mut first_fragment = 0;
    for (i, p) in s.pkts.iter().enumerate() {
        if i == big {
            first_fragment = pkts.len() as u64 + 1;
            // The middle fragment was not captured.
            pkts.extend(fragmented(p, &[1480, 2960], &[0, 2]));
        } else {
            pkts.push(p.clone());
        }
    }
    let r = analyze_packets(&pkts);
    let warnings = &r.inputs[0].warnings;
    assert!(
        warnings.iter().any(|w| w.starts_with(&format!(
            "2 IP fragments of TCP packets could not be put back together (the first: packet {first_fragment})"
        ))),
        "{warnings:?}"
    );
    // The bytes are still missing from the connection, and nothing is guessed over them.
    let c = only(&r);
    assert!(
        findings(c).iter().any(|f| f.0 == Kind::Gap),
        "{:?}",
        findings(c)
    );
}

/// Raw IPv4 packet `p` (20-byte header) as the same TCP segment over IPv6, from and to
/// `fd00::` and the IPv4 address.
fn to_v6(p: &Pkt) -> Pkt {
    let total = usize::from(u16::from_be_bytes([p.data[2], p.data[3]]));
    let tcp = &p.data[20..total];
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    h.extend_from_slice(&[6, 64]);
    for addr in [&p.data[12..16], &p.data[16..20]] {
        h.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        h.extend_from_slice(addr);
    }
    h.extend_from_slice(tcp);
    Pkt {
        orig_len: h.len() as u32,
        data: h,
        ..p.clone()
    }
}

/// IPv6 packet `p` (40-byte header, TCP next) as fragments (RFC 8200 §4.5) cut at the
/// offsets `cuts` of its TCP segment, in the order `order`; with `options`, a Destination
/// Options header (padding only) stands before each Fragment header.
fn fragmented_v6(p: &Pkt, cuts: &[usize], order: &[usize], options: bool) -> Vec<Pkt> {
    let (head, payload) = p.data.split_at(40);
    let mut frags = Vec::new();
    let mut at = 0;
    for (i, &end) in cuts.iter().chain([payload.len()].iter()).enumerate() {
        let more = i < cuts.len();
        let mut h = head.to_vec();
        h[6] = if options { 60 } else { 44 };
        if options {
            h.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        }
        h.extend_from_slice(&[6, 0]);
        h.extend_from_slice(&(((at / 8) as u16) << 3 | u16::from(more)).to_be_bytes());
        h.extend_from_slice(&0x0bad_cafeu32.to_be_bytes());
        h.extend_from_slice(&payload[at..end]);
        let len = (h.len() - 40) as u16;
        h[4..6].copy_from_slice(&len.to_be_bytes());
        frags.push(h);
        at = end;
    }
    order
        .iter()
        .enumerate()
        .map(|(k, &i)| Pkt {
            orig_len: frags[i].len() as u32,
            data: frags[i].clone(),
            ts: Timestamp(p.ts.0 + k as i64 * 100_000),
            ..p.clone()
        })
        .collect()
}

/// IPv6 fragments (RFC 8200 §4.5) are put back together as IPv4's are: in any order, with
/// or without a Destination Options header before the Fragment header, the first fragment
/// holding only the ports; one never whole is said. (Before, they were other packets and
/// the segment's bytes a gap.)
#[test]
fn ipv6_fragments_are_put_back_together() {
    let (s, big, close_at) = session(40203);
    let v6: Vec<Pkt> = s.pkts.iter().map(to_v6).collect();
    let whole = analyze_packets(&v6);
    let want = only(&whole);
    assert_eq!(want.status.code, Some(1000));
    for options in [false, true] {
        let mut pkts = Vec::new();
        for (i, p) in v6.iter().enumerate() {
            if i == big {
                pkts.extend(fragmented_v6(p, &[1448, 2896], &[2, 0, 1], options));
            } else if i == close_at {
                pkts.extend(fragmented_v6(p, &[8, 24], &[1, 2, 0], options));
            } else {
                pkts.push(p.clone());
            }
        }
        let r = analyze_packets(&pkts);
        let c = only(&r);
        assert_eq!(c.status.code, Some(1000), "{}", c.status.detail);
        assert_eq!(findings(c), vec![], "{}", c.status.detail);
        let (got, was) = (
            serde_json::to_value(c.frames).unwrap(),
            serde_json::to_value(want.frames).unwrap(),
        );
        assert_eq!(got["server"]["largest_message"][0], 3000);
        assert_eq!(
            got["server"]["payload_bytes"],
            was["server"]["payload_bytes"]
        );
        assert!(
            r.inputs[0].warnings.is_empty(),
            "{:?}",
            r.inputs[0].warnings
        );
        assert_eq!(r.seen.other_packets, 0);
    }
    // The middle fragment not captured: the datagram is given up and said.
    let mut pkts = Vec::new();
    for (i, p) in v6.iter().enumerate() {
        if i == big {
            pkts.extend(fragmented_v6(p, &[1448, 2896], &[0, 2], false));
        } else {
            pkts.push(p.clone());
        }
    }
    let r = analyze_packets(&pkts);
    let warnings = &r.inputs[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("2 IP fragments of TCP packets could not be put back together")),
        "{warnings:?}"
    );
    assert!(findings(only(&r)).iter().any(|f| f.0 == Kind::Gap));
}
