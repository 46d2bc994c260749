//! A path MTU black hole in every view (fixtures/record/path/record_mtu.sh): links of MTU
//! 1500 at both ends, 1280 between two routers, the ICMP "fragmentation needed" (IPv4) or
//! "packet too big" (ICMPv6) each router sends dropped by its own nft. Each session was
//! captured at once in the client's and in the server's namespace; Python websockets 17.4
//! and Node ws 8.23.0. `down`: the server sends a 3 000-byte message; `up`: the client
//! does; `mtu6`: over IPv6; `quiet`: the receiver sends nothing of its own.

use serde_json::Value;
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::LinkType;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/path")
        .join(name)
}

/// The first connection's report as JSON.
fn connection(name: &str) -> Value {
    let r = wsclose::analyze_files(&[fixture(name)], Options::default()).unwrap();
    assert_eq!(r.connections.len(), 1, "{name}");
    serde_json::to_value(&r.connections[0]).unwrap()
}

fn causes(c: &Value) -> Vec<Value> {
    c["status"]["causes"].as_array().unwrap().clone()
}

fn kinds(c: &Value) -> Vec<String> {
    causes(c)
        .iter()
        .map(|k| k["kind"].as_str().unwrap().to_string())
        .collect()
}

/// One packet as the wire had it: the source address's last byte (client ::2 or .2 in
/// fd79:1:: / 10.79.1.0, server in fd79:3:: / 10.79.3.0: the third byte of an IPv4
/// address, the fourth of an IPv6 one, says which), its sequence number and payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    net: u8,
    seq: u32,
    len: usize,
}

const CLIENT_NET: u8 = 1;
const SERVER_NET: u8 = 3;

fn segments(name: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    wsclose::__internals::capture::file::read(&fixture(name), &mut |p| {
        assert_eq!(p.link, LinkType::ETHERNET);
        let d = p.data;
        let (net, t, total) = match u16::from_be_bytes([d[12], d[13]]) {
            0x0800 => {
                let ihl = usize::from(d[14] & 0x0f) * 4;
                let total = usize::from(u16::from_be_bytes([d[16], d[17]]));
                (d[14 + 12 + 2], 14 + ihl, 14 + total)
            }
            0x86dd => {
                let plen = usize::from(u16::from_be_bytes([d[18], d[19]]));
                (d[14 + 8 + 3], 14 + 40, 14 + 40 + plen)
            }
            e => panic!("{name}: ethertype {e:#x}"),
        };
        let header = usize::from(d[t + 12] >> 4) * 4;
        out.push(Seg {
            net,
            seq: u32::from_be_bytes([d[t + 4], d[t + 5], d[t + 6], d[t + 7]]),
            len: total - t - header,
        });
    })
    .unwrap();
    out
}

/// The sender's capture of each fault names the black hole with its sizes: the sender's
/// full-size segments (1448 bytes over IPv4, 1428 over IPv6, for links of MTU 1500 and
/// timestamps) never acknowledged, its 200-byte message acknowledged, and its ACK of the
/// peer's ping getting through. Node's senders give up at their heartbeat 0.7 s into the
/// stall (their last retransmission), the peer's packets still not acknowledging the
/// segment a second and more after it was first sent: named too.
#[test]
fn the_senders_capture_names_the_black_hole_in_both_directions_and_over_ipv6() {
    for (name, from, net, bytes, acked) in [
        (
            "python-mtu-down-server.pcap",
            "server",
            SERVER_NET,
            1448,
            204,
        ),
        ("node-mtu-down-server.pcap", "server", SERVER_NET, 1448, 204),
        ("python-mtu-up-client.pcap", "client", CLIENT_NET, 1448, 208),
        ("node-mtu-up-client.pcap", "client", CLIENT_NET, 1448, 208),
        (
            "python-mtu6-up-client.pcap",
            "client",
            CLIENT_NET,
            1428,
            208,
        ),
        ("node-mtu6-up-client.pcap", "client", CLIENT_NET, 1428, 208),
    ] {
        let c = connection(name);
        let all = causes(&c);
        let b = all
            .iter()
            .find(|k| k["kind"] == "mtu-black-hole")
            .unwrap_or_else(|| panic!("{name}: {all:?}"));
        assert!(
            all.iter().all(|k| k["kind"] != "unacknowledged-data"),
            "{name}: {all:?}"
        );
        assert_eq!(
            (&b["from"], &b["segment_bytes"], &b["largest_acked"]),
            (&from.into(), &bytes.into(), &acked.into()),
            "{name}"
        );
        assert!(b["retransmissions"].as_u64().unwrap() >= 3, "{name}: {b}");
        // The packets say so: the first and the last of the stall are the sender's
        // full-size segment at one sequence number, no segment of the sender that size
        // was ever acknowledged (its largest before carried `acked` bytes), and the small
        // ACK is the sender's, without data.
        let segs = segments(name);
        let p = |k: &str| segs[b[k].as_u64().unwrap() as usize - 1];
        let (first, last, small) = (p("first_packet"), p("last_packet"), p("small_ack"));
        assert_eq!((first.net, first.len), (net, bytes), "{name}");
        assert_eq!((last.net, last.len, last.seq), (net, bytes, first.seq));
        assert_eq!((small.net, small.len), (net, 0), "{name}");
        assert!(
            segs.iter().any(|s| s.net == net && s.len == acked),
            "{name}"
        );
        let words = c["status"]["cause"].as_str().unwrap();
        for said in [
            format!("Only the {from}'s large segments died"),
            format!("its segment of {bytes} bytes"),
            "path MTU black hole".into(),
        ] {
            assert!(words.contains(&said), "{name}: {said}: {words}");
        }
    }
}

/// A receiver that sends nothing during the stall (`quiet`: no pings of its own): no
/// packet of the sender smaller than its big segment is known to have reached it (the
/// receiver acknowledged nothing new of the sender's after the stall began, and sent
/// nothing the sender had to acknowledge), so neither view can tell a black hole from a
/// path dead one way; none is named. The sender's retransmissions over 3.2 s (Python, its
/// kernel still trying) stay data never acknowledged.
#[test]
fn a_quiet_receiver_leaves_the_black_hole_unproven() {
    for name in [
        "python-mtu-quiet-server.pcap",
        "python-mtu-quiet-client.pcap",
        "node-mtu-quiet-server.pcap",
        "node-mtu-quiet-client.pcap",
    ] {
        let c = connection(name);
        assert!(
            !kinds(&c).iter().any(|k| k.starts_with("mtu-black-hole")),
            "{name}: {:?}",
            kinds(&c)
        );
    }
    let c = connection("python-mtu-quiet-server.pcap");
    assert!(kinds(&c).contains(&"unacknowledged-data".to_string()));
}
