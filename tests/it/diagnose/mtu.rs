//! A path MTU black hole in every view (fixtures/record/path/record_mtu.sh): links of MTU
//! 1500 at both ends, 1280 between two routers, the ICMP "fragmentation needed" (IPv4) or
//! "packet too big" (ICMPv6) each router sends dropped by its own nft. Each session was
//! captured at once in the client's and in the server's namespace; Python websockets 17.4,
//! Node ws 8.23.0, Go gorilla/websocket 1.5.0, and an Autobahn|Python 26.10.2 server with
//! websockets' client. `down`: the server sends a 3 000-byte
//! message; `up`: the client does; `mtu6`: over IPv6 (both directions); `quiet`: the
//! receiver sends nothing of its own.

use serde_json::Value;
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{LinkType, Timestamp};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/path")
        .join(name)
}

/// The first connection's report as JSON.
fn connection(name: &str) -> Value {
    report(&fixture(name))
}

fn report(path: &Path) -> Value {
    let r = wsclose::analyze_files(&[path.to_path_buf()], Options::default()).unwrap();
    assert_eq!(r.connections.len(), 1, "{}", path.display());
    serde_json::to_value(&r.connections[0]).unwrap()
}

/// A fixture's packets, their times and bytes.
fn raw(name: &str) -> Vec<(Timestamp, Vec<u8>)> {
    let mut out = Vec::new();
    wsclose::__internals::capture::file::read(&fixture(name), &mut |p| {
        out.push((p.ts, p.data.to_vec()))
    })
    .unwrap();
    out
}

fn write(dir: &Path, name: &str, pkts: &[(Timestamp, Vec<u8>)]) -> PathBuf {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 262_144).unwrap();
    for (ts, d) in pkts {
        w.packet(*ts, d, d.len() as u32).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, w.into_inner()).unwrap();
    path
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

/// A packet's bytes, by number.
fn pkts_of(name: &str) -> Vec<Vec<u8>> {
    raw(name).into_iter().map(|(_, d)| d).collect()
}

/// Where an Ethernet frame's TCP header starts.
fn tcp_at(d: &[u8]) -> usize {
    match u16::from_be_bytes([d[12], d[13]]) {
        0x0800 => 14 + usize::from(d[14] & 0x0f) * 4,
        _ => 14 + 40,
    }
}

/// The SACK blocks of an Ethernet frame's TCP options (RFC 2018 §3), with where each
/// starts in the frame.
fn sack_at(d: &[u8]) -> Vec<(usize, u32, u32)> {
    let t = tcp_at(d);
    let end = t + usize::from(d[t + 12] >> 4) * 4;
    let mut at = t + 20;
    let mut out = Vec::new();
    while at < end {
        match d[at] {
            0 => break,
            1 => at += 1,
            kind => {
                let len = usize::from(d[at + 1]);
                if kind == 5 {
                    for b in (at + 2..at + len).step_by(8) {
                        let word = |i: usize| u32::from_be_bytes(d[i..i + 4].try_into().unwrap());
                        out.push((b, word(b), word(b + 4)));
                    }
                }
                at += len.max(2);
            }
        }
    }
    out
}

fn sack_blocks(d: &[u8]) -> Vec<(u32, u32)> {
    sack_at(d).into_iter().map(|(_, l, r)| (l, r)).collect()
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
        (
            "python-mtu6-down-server.pcap",
            "server",
            SERVER_NET,
            1428,
            204,
        ),
        (
            "node-mtu6-down-server.pcap",
            "server",
            SERVER_NET,
            1428,
            204,
        ),
        ("go-mtu-down-server.pcap", "server", SERVER_NET, 1448, 204),
        ("go-mtu-up-client.pcap", "client", CLIENT_NET, 1448, 208),
        ("go-mtu6-down-server.pcap", "server", SERVER_NET, 1428, 204),
        ("go-mtu6-up-client.pcap", "client", CLIENT_NET, 1428, 208),
        (
            "autobahn-mtu-down-server.pcap",
            "server",
            SERVER_NET,
            1448,
            204,
        ),
        (
            "autobahn-mtu-up-client.pcap",
            "client",
            CLIENT_NET,
            1448,
            208,
        ),
        (
            "autobahn-mtu6-down-server.pcap",
            "server",
            SERVER_NET,
            1428,
            204,
        ),
        (
            "autobahn-mtu6-up-client.pcap",
            "client",
            CLIENT_NET,
            1428,
            208,
        ),
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
        // Linux's receiver answered the later, smaller segments with duplicate ACKs at the
        // big segment's start whose SACK blocks (RFC 2018 §4) hold bytes after it: the
        // first is named, the receiver's, and its blocks say so.
        let sacked = b["sacked"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {b}")) as usize;
        assert!(sacked > first_packet(b) && sacked < b["last_packet"].as_u64().unwrap() as usize);
        assert_ne!(segs[sacked - 1].net, net, "{name}");
        let d = &pkts_of(name)[sacked - 1];
        let t = tcp_at(d);
        assert_eq!(
            u32::from_be_bytes(d[t + 8..t + 12].try_into().unwrap()),
            first.seq,
            "{name}"
        );
        let blocks = sack_blocks(d);
        assert!(
            blocks
                .iter()
                .any(|&(l, r)| l >= first.seq + bytes as u32 && r > l),
            "{name}: {blocks:?}"
        );
        assert!(
            !blocks
                .iter()
                .any(|&(l, _)| l > first.seq && l < first.seq + bytes as u32),
            "{name}: {blocks:?}"
        );
        let words = c["status"]["cause"].as_str().unwrap();
        for said in [
            format!("Only the {from}'s large segments died"),
            format!("its segment of {bytes} bytes"),
            format!("duplicate acknowledgement (packet {sacked}) stayed at that segment's start while its SACK blocks (RFC 2018) held bytes the {from} sent after it"),
            "path MTU black hole".into(),
        ] {
            assert!(words.contains(&said), "{name}: {said}: {words}");
        }
    }
}

fn first_packet(b: &Value) -> usize {
    b["first_packet"].as_u64().unwrap() as usize
}

/// The sender's view with the receiver's SACK blocks made to hold bytes of the big segment
/// (each block's left edge on the client's duplicate ACKs moved to 100 bytes into it): a
/// receiver that had some of the segment shows it arrived, so no black hole is read; the
/// data never acknowledged is said as such. The same capture as recorded names the black
/// hole with its SACK (the test above).
#[test]
fn a_sack_over_the_large_segment_names_no_black_hole_in_the_senders_view() {
    let name = "python-mtu-down-server.pcap";
    let c = connection(name);
    let b = causes(&c)
        .into_iter()
        .find(|k| k["kind"] == "mtu-black-hole")
        .unwrap();
    let segs = segments(name);
    let first = segs[first_packet(&b) - 1];
    assert_eq!((first.net, first.len), (SERVER_NET, 1448));
    let mut pkts = raw(name);
    let mut moved = 0;
    for (i, (_, d)) in pkts.iter_mut().enumerate() {
        if segs[i].net != CLIENT_NET {
            continue;
        }
        for (at, l, _) in sack_at(d) {
            assert!(l >= first.seq + 1448);
            d[at..at + 4].copy_from_slice(&(first.seq + 100).to_be_bytes());
            moved += 1;
        }
    }
    assert!(moved > 0);
    let dir = tempfile::tempdir().unwrap();
    let c = report(&write(dir.path(), "over.pcap", &pkts));
    let k = kinds(&c);
    assert!(!k.iter().any(|k| k.starts_with("mtu-black-hole")), "{k:?}");
    assert!(k.contains(&"unacknowledged-data".to_string()), "{k:?}");
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
        "go-mtu-quiet-server.pcap",
        "go-mtu-quiet-client.pcap",
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

/// The receiver's capture of each fault, where the sender's large segments and their
/// retransmissions never appear: the bytes it never had (two full-size segments: 2 896
/// bytes over IPv4, 2 856 over IPv6), its acknowledgements at their start to the end, the
/// sender's smaller segment beyond them and its ACK of the receiver's ping arriving. Before,
/// a reset, a close frame nobody read, or a gap in the capture, and no black hole.
#[test]
fn the_receivers_capture_names_the_black_hole_in_both_directions_and_over_ipv6() {
    for (name, from, net, missing, after) in [
        (
            "python-mtu-down-client.pcap",
            "server",
            SERVER_NET,
            2896,
            108,
        ),
        ("node-mtu-down-client.pcap", "server", SERVER_NET, 2896, 108),
        ("python-mtu-up-server.pcap", "client", CLIENT_NET, 2896, 112),
        ("node-mtu-up-server.pcap", "client", CLIENT_NET, 2896, 112),
        (
            "python-mtu6-up-server.pcap",
            "client",
            CLIENT_NET,
            2856,
            152,
        ),
        ("node-mtu6-up-server.pcap", "client", CLIENT_NET, 2856, 152),
        (
            "python-mtu6-down-client.pcap",
            "server",
            SERVER_NET,
            2856,
            148,
        ),
        (
            "node-mtu6-down-client.pcap",
            "server",
            SERVER_NET,
            2856,
            148,
        ),
        ("go-mtu-down-client.pcap", "server", SERVER_NET, 2896, 108),
        ("go-mtu-up-server.pcap", "client", CLIENT_NET, 2896, 112),
        ("go-mtu6-down-client.pcap", "server", SERVER_NET, 2856, 148),
        ("go-mtu6-up-server.pcap", "client", CLIENT_NET, 2856, 152),
        (
            "autobahn-mtu-down-client.pcap",
            "server",
            SERVER_NET,
            2896,
            108,
        ),
        (
            "autobahn-mtu-up-server.pcap",
            "client",
            CLIENT_NET,
            2896,
            112,
        ),
        (
            "autobahn-mtu6-down-client.pcap",
            "server",
            SERVER_NET,
            2856,
            148,
        ),
        (
            "autobahn-mtu6-up-server.pcap",
            "client",
            CLIENT_NET,
            2856,
            152,
        ),
    ] {
        let c = connection(name);
        let all = causes(&c);
        let b = all
            .iter()
            .find(|k| k["kind"] == "mtu-black-hole-receiver")
            .unwrap_or_else(|| panic!("{name}: {all:?}"));
        assert!(all.iter().all(|k| k["kind"] != "mtu-black-hole"), "{name}");
        assert_eq!(
            (&b["from"], &b["missing_bytes"], &b["after_bytes"]),
            (&from.into(), &missing.into(), &after.into()),
            "{name}"
        );
        assert!(b["seconds"].as_f64().unwrap() >= 1.0, "{name}: {b}");
        // The packets say so: the segment beyond starts `missing` bytes past the end of
        // the sender's last segment before it, nothing of the sender's captured falls in
        // between, and nothing it sent carried 1 000 bytes.
        let segs = segments(name);
        let n = |k: &str| b[k].as_u64().unwrap() as usize;
        let beyond = segs[n("packet") - 1];
        assert_eq!((beyond.net, beyond.len), (net, after), "{name}");
        let before = segs[..n("packet") - 1]
            .iter()
            .rev()
            .find(|s| s.net == net && s.len > 0)
            .unwrap();
        assert_eq!(
            beyond.seq.wrapping_sub(before.seq + before.len as u32),
            missing as u32,
            "{name}"
        );
        let sender: Vec<&Seg> = segs.iter().filter(|s| s.net == net).collect();
        assert!(sender.iter().all(|s| s.len < 1000), "{name}");
        assert_eq!(
            b["largest_received"],
            sender.iter().map(|s| s.len).max().unwrap()
        );
        let (small, last_ack) = (segs[n("small_ack") - 1], segs[n("last_ack") - 1]);
        assert_eq!((small.net, small.len), (net, 0), "{name}");
        assert_ne!(last_ack.net, net, "{name}");
        // The gap's note says where the bytes went, as the cause does, not that the
        // capture dropped them.
        let peer = if from == "server" { "client" } else { "server" };
        let gaps: Vec<&str> = c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "gap")
            .map(|f| f["detail"].as_str().unwrap())
            .collect();
        assert_eq!(gaps.len(), 1, "{name}: {gaps:?}");
        // Linux acknowledges with SACK (RFC 2018): the note names the receiver's first
        // acknowledgement at the hole's start whose block held the segment beyond.
        let sacked = gaps[0]
            .split_once("its SACK blocks holding later bytes (packet ")
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(k, _)| k.parse::<usize>().unwrap())
            .unwrap_or_else(|| panic!("{name}: {}", gaps[0]));
        assert!(sacked > n("packet"), "{name}");
        assert_ne!(segs[sacked - 1].net, net, "{name}");
        let blocks = sack_blocks(&pkts_of(name)[sacked - 1]);
        assert!(
            blocks
                .iter()
                .any(|&(l, r)| l == beyond.seq && r == beyond.seq + after as u32),
            "{name}: {blocks:?}"
        );
        assert!(
            gaps[0].starts_with(&format!("{missing} bytes of the {from}'s stream"))
                && gaps[0].contains(&format!("never reached the {peer}: its acknowledgements stayed at their start (the path MTU black hole of the cause)"))
                && !gaps[0].contains("dropped"),
            "{name}: {}",
            gaps[0]
        );
        let words = c["status"]["cause"].as_str().unwrap();
        for said in [
            format!("The {from}'s large segments never reached the"),
            format!("{missing} bytes of the {from}'s never arrived"),
            "path MTU black hole".into(),
        ] {
            assert!(words.contains(&said), "{name}: {said}: {words}");
        }
    }
}

/// The receiver's view made doubtful: when its acknowledgements pass the missing bytes
/// (it had them: the capture missed them), or when the capture ends half a second after
/// them (the sender's kernel may not have sent them again yet), nothing is named.
#[test]
fn missing_bytes_the_receiver_had_or_a_capture_ending_soon_name_no_black_hole() {
    let name = "python-mtu-up-server.pcap";
    let pkts = raw(name);
    let segs = segments(name);
    let dir = tempfile::tempdir().unwrap();
    // The server's acknowledgements after the client's segment beyond the missing bytes
    // (#12) acknowledge all of the client's bytes to that segment's end.
    let beyond = segs[11];
    assert_eq!((beyond.net, beyond.len), (CLIENT_NET, 112));
    let end = beyond.seq + 112;
    let mut had = pkts.clone();
    for (i, (_, d)) in had.iter_mut().enumerate().skip(12) {
        if segs[i].net == SERVER_NET {
            let t = 14 + usize::from(d[14] & 0x0f) * 4;
            d[t + 8..t + 12].copy_from_slice(&end.to_be_bytes());
        }
    }
    let c = report(&write(dir.path(), "had.pcap", &had));
    assert!(
        !kinds(&c).iter().any(|k| k.starts_with("mtu-black-hole")),
        "{:?}",
        kinds(&c)
    );
    // To the client's ACK of the server's ping (#15), 0.53 s after #12.
    let short = &pkts[..15];
    assert!(short[14].0 .0 - short[11].0 .0 < 1_000_000_000);
    let c = report(&write(dir.path(), "short.pcap", short));
    assert!(
        !kinds(&c).iter().any(|k| k.starts_with("mtu-black-hole")),
        "{:?}",
        kinds(&c)
    );
    // The whole capture names it (the test above).
    assert!(kinds(&connection(name)).contains(&"mtu-black-hole-receiver".to_string()));
}

/// The receiver's view with its SACK blocks made to hold bytes of the hole (the left
/// edge of each block on the server's acknowledgements moved 1 000 bytes into the
/// missing bytes): a receiver that had bytes the capture lacks shows the capture missed
/// them, so nothing is named and the gap keeps its note of bytes not captured. The same
/// capture as recorded names the black hole (the test above).
#[test]
fn sack_blocks_over_the_missing_bytes_make_them_the_captures() {
    let name = "python-mtu-up-server.pcap";
    let mut pkts = raw(name);
    let segs = segments(name);
    let beyond = segs[11];
    assert_eq!((beyond.net, beyond.len), (CLIENT_NET, 112));
    let mut moved = 0;
    for (i, (_, d)) in pkts.iter_mut().enumerate().skip(12) {
        if segs[i].net != SERVER_NET {
            continue;
        }
        for (at, l, _) in sack_at(d) {
            if l == beyond.seq {
                d[at..at + 4].copy_from_slice(&(l - 1000).to_be_bytes());
                moved += 1;
            }
        }
    }
    assert!(moved > 0);
    let dir = tempfile::tempdir().unwrap();
    let c = report(&write(dir.path(), "inside.pcap", &pkts));
    assert!(
        !kinds(&c).iter().any(|k| k.starts_with("mtu-black-hole")),
        "{:?}",
        kinds(&c)
    );
    let gaps: Vec<&str> = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "gap")
        .map(|f| f["detail"].as_str().unwrap())
        .collect();
    assert!(
        gaps.iter()
            .any(|g| g.starts_with("2896 bytes of the client's stream")
                && g.contains("are not in the capture")
                && !g.contains("never reached")),
        "{gaps:?}"
    );
}

/// The receiver's view where nothing of the sender's with data arrived beyond the missing
/// bytes (its 108-byte tail, #11, taken out: a message that filled whole segments, or a
/// congestion window that let out only full-size ones): the sender's ACK without data (#14,
/// #13 once the tail is out) carries its SND.NXT (RFC 9293 §3.10.7.4), past the missing
/// bytes, so they had been sent before it, and it crossed while they did not; its kernel's
/// RST 4 s later shows it still there. The black hole is named from that ACK. Ending the
/// capture at that ACK (nothing of the sender's after it: its kernel may not have sent the
/// bytes again yet) names none, in the causes or in the capture notes.
#[test]
fn the_senders_ack_past_the_missing_bytes_names_the_black_hole_when_it_was_there_after() {
    let name = "python-mtu-down-client.pcap";
    let pkts = raw(name);
    let segs = segments(name);
    assert_eq!((segs[10].net, segs[10].len), (SERVER_NET, 108));
    assert!(segs
        .iter()
        .filter(|s| s.net == SERVER_NET && s.len > 0)
        .all(|s| s.seq < segs[10].seq || s.seq == segs[10].seq && s.len == 108));
    // #14: the server's ACK without data, its sequence number past the missing bytes.
    assert_eq!(segs[13].net, SERVER_NET);
    assert_eq!(segs[13].len, 0);
    assert_eq!(segs[13].seq, segs[10].seq + 108);
    let mut full = pkts.clone();
    full.remove(10);
    // The client's SACK blocks of the tail go too (each option's bytes made NOPs): a
    // receiver that never had the tail names none; one that names it had bytes the capture
    // lacks, and nothing is named (`sack_blocks_over_the_missing_bytes_make_them_the_captures`).
    let mut cleared = 0;
    for (i, (_, d)) in full.iter_mut().enumerate() {
        if segs[if i < 10 { i } else { i + 1 }].net == SERVER_NET {
            continue;
        }
        for (at, l, _) in sack_at(d) {
            assert_eq!(l, segs[10].seq);
            // The block and the kind and length before it.
            d[at - 2..at + 8].fill(1);
            cleared += 1;
        }
    }
    assert!(cleared > 0);
    let dir = tempfile::tempdir().unwrap();
    let c = report(&write(dir.path(), "full.pcap", &full));
    let all = causes(&c);
    let b = all
        .iter()
        .find(|k| k["kind"] == "mtu-black-hole-receiver")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(
        (
            &b["packet"],
            &b["missing_bytes"],
            &b["after_bytes"],
            &b["small_ack"]
        ),
        (&13.into(), &3004.into(), &0.into(), &13.into())
    );
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("its acknowledgement without data, whose sequence number was past them, did (packet 13)"),
        "{words}"
    );
    // Cut at that ACK: nothing after it.
    let short = &full[..13];
    let c = report(&write(dir.path(), "short.pcap", short));
    assert!(
        !kinds(&c).iter().any(|k| k.starts_with("mtu-black-hole")),
        "{:?}",
        kinds(&c)
    );
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(!words.contains("black hole"), "{words}");
    assert!(!c["findings"].to_string().contains("black hole"));
    // The same capture whole names it from the tail (the test above).
    assert!(kinds(&connection(name)).contains(&"mtu-black-hole-receiver".to_string()));
}

/// wsclose's output in `format` for a fixture, its lines joined (a table's cells wrap).
fn output(format: &str, name: &str) -> String {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", format])
        .arg(fixture(name))
        .env("COLUMNS", "400")
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .map(|l| l.rsplit('┆').next().unwrap_or(l).trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Autobahn|Python server's sessions (a server implementation no other fixture uses;
/// websockets' client), recorded after the verdicts were written from the endpoints' logs:
/// in the download the server sent 3 000 bytes and gave up at its ping timeout 2.1 s later,
/// the client never had them; in the upload the client sent them and gave up at its own,
/// the server never had them. Each sender's view names `mtu-black-hole` and each receiver's
/// `mtu-black-hole-receiver`, in every format: the JSON's and JSON Lines' kind, the ECS
/// documents' kind, and the same short words in the table, Markdown, CSV and HTML (its
/// apostrophes escaped), with no black hole of the other view named.
#[test]
fn autobahns_sessions_name_the_black_hole_in_every_format() {
    for (name, kind, from, packet, last) in [
        (
            "autobahn-mtu-down-server.pcap",
            "mtu-black-hole",
            "server",
            11,
            24,
        ),
        (
            "autobahn-mtu-up-client.pcap",
            "mtu-black-hole",
            "client",
            15,
            0,
        ),
        (
            "autobahn-mtu6-down-server.pcap",
            "mtu-black-hole",
            "server",
            15,
            0,
        ),
        (
            "autobahn-mtu6-up-client.pcap",
            "mtu-black-hole",
            "client",
            12,
            0,
        ),
        (
            "autobahn-mtu-down-client.pcap",
            "mtu-black-hole-receiver",
            "server",
            11,
            0,
        ),
        (
            "autobahn-mtu-up-server.pcap",
            "mtu-black-hole-receiver",
            "client",
            15,
            0,
        ),
        (
            "autobahn-mtu6-down-client.pcap",
            "mtu-black-hole-receiver",
            "server",
            15,
            0,
        ),
        (
            "autobahn-mtu6-up-server.pcap",
            "mtu-black-hole-receiver",
            "client",
            12,
            0,
        ),
    ] {
        let c = connection(name);
        let all = causes(&c);
        let b = all
            .iter()
            .find(|k| k["kind"] == kind)
            .unwrap_or_else(|| panic!("{name}: {all:?}"));
        assert_eq!(b["from"], from, "{name}");
        let other = if kind == "mtu-black-hole" {
            "mtu-black-hole-receiver"
        } else {
            "mtu-black-hole"
        };
        assert!(all.iter().all(|k| k["kind"] != other), "{name}");
        let peer = if from == "server" { "client" } else { "server" };
        let words = if kind == "mtu-black-hole" {
            let first = &b["first_packet"];
            assert_eq!(first, packet, "{name}");
            if last > 0 {
                assert_eq!(b["last_packet"], last, "{name}");
            }
            // (The receiver's SACK of the later bytes, RFC 2018, named in every format.)
            format!(
                "the {from}'s {}-byte segment (packet {first}) and its retransmissions (to packet {}) were never acknowledged; its segments up to {} bytes were; the {peer}'s SACK blocks (packet {}) held its later bytes",
                b["segment_bytes"], b["last_packet"], b["largest_acked"], b["sacked"].as_u64().unwrap()
            )
        } else {
            assert_eq!(b["packet"], packet, "{name}");
            format!(
                "{} bytes of the {from}'s before packet {packet} never reached the {peer}",
                b["missing_bytes"]
            )
        };
        for format in ["table", "markdown", "csv", "html", "jsonl"] {
            let out = output(format, name);
            // (HTML escapes the apostrophe.)
            let words = match format {
                "html" => words.replace('\'', "&#39;"),
                _ => words.clone(),
            };
            assert!(out.contains(&words), "{name} {format}: {words}: {out}");
        }
        for format in ["jsonl", "ecs"] {
            let out = output(format, name);
            assert!(
                out.contains(&format!("\"{kind}\"")) && !out.contains(&format!("\"{other}\"")),
                "{name} {format}: {out}"
            );
        }
    }
}
