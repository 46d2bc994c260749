//! A path that drops large packets, in every view (fixtures/record/path/record_drop.sh): a
//! router whose nft drops every forwarded packet over 1 280 bytes and the ICMP about them;
//! aiohttp 3.14 and tornado 6.6, each session captured at both ends. The sender sends 200
//! bytes and at once 20 000: its congestion window lets out only full-size segments, which
//! die; nothing of the message arrives, and what tells the receiver's capture that bytes
//! were sent is the sender's ACK without data, whose sequence number (its SND.NXT, RFC
//! 9293 §3.10.7.4) lies past everything the receiver has, its own ACKs staying there.
//! The control: a session with nothing dropped, two of the server's segments cut out of the
//! client's capture with editcap; the client's ACKs pass them.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/path")
        .join(name)
}

fn wsclose(args: &[&str], name: &str) -> Vec<u8> {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(args)
        .arg(fixture(name))
        .env("COLUMNS", "400")
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {out:?}");
    out.stdout
}

/// The JSON report's one connection.
fn connection(name: &str) -> Value {
    let v: Value =
        serde_json::from_slice(&wsclose(&["analyze", "--format", "json"], name)).unwrap();
    assert_eq!(v["connections"].as_array().unwrap().len(), 1, "{name}");
    v["connections"][0].clone()
}

/// The table, its lines joined (the cell wraps them).
fn table(name: &str) -> String {
    let out = String::from_utf8(wsclose(&["analyze"], name)).unwrap();
    out.lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .map(|l| l.rsplit('┆').next().unwrap_or(l).trim())
        .collect::<Vec<_>>()
        .join(" ")
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

/// One TCP segment: which host sent it (the address's third byte: 1 the client, 10.81.1.2;
/// 2 the server, 10.81.2.2), its sequence number and payload bytes.
#[derive(Debug, Clone, Copy)]
struct Seg {
    net: u8,
    seq: u32,
    ack: u32,
    len: usize,
}

const CLIENT_NET: u8 = 1;
const SERVER_NET: u8 = 2;

fn segments(name: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    wsclose::__internals::capture::file::read(&fixture(name), &mut |p| {
        let d = p.data;
        assert_eq!(u16::from_be_bytes([d[12], d[13]]), 0x0800, "{name}");
        let ihl = usize::from(d[14] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([d[16], d[17]]));
        let t = 14 + ihl;
        let header = usize::from(d[t + 12] >> 4) * 4;
        out.push(Seg {
            net: d[14 + 12 + 2],
            seq: u32::from_be_bytes([d[t + 4], d[t + 5], d[t + 6], d[t + 7]]),
            ack: u32::from_be_bytes([d[t + 8], d[t + 9], d[t + 10], d[t + 11]]),
            len: 14 + total - t - header,
        });
    })
    .unwrap();
    out
}

/// The sender's capture: its 1 448-byte segments sent again and never acknowledged, its
/// ACK of the receiver's ping or close frame getting through: `mtu-black-hole`.
#[test]
fn the_senders_capture_names_the_black_hole_with_aiohttp_and_tornado() {
    for (name, from) in [
        ("aiohttp-drop-down-server.pcap", "server"),
        ("aiohttp-drop-up-client.pcap", "client"),
        ("tornado-drop-down-server.pcap", "server"),
        ("tornado-drop-up-client.pcap", "client"),
    ] {
        let c = connection(name);
        let all = causes(&c);
        let b = all
            .iter()
            .find(|k| k["kind"] == "mtu-black-hole")
            .unwrap_or_else(|| panic!("{name}: {all:?}"));
        assert_eq!(
            (&b["from"], &b["segment_bytes"]),
            (&from.into(), &1448.into())
        );
        assert!(b["retransmissions"].as_u64().unwrap() >= 3, "{name}: {b}");
        let t = table(name);
        let said = format!(
            "the {from}'s 1448-byte segment (packet {}) and its retransmissions (to packet {}) were never acknowledged",
            b["first_packet"], b["last_packet"]
        );
        assert!(t.contains(&said), "{name}: {said}: {t}");
    }
}

/// The receiver's capture of the same sessions, where nothing of the large message arrived:
/// the sender's ACK without data past the bytes the receiver has (by 12 or 13 full-size
/// segments), the receiver's ACKs at their start to the end, and the sender's packets for a
/// second and more after: `mtu-black-hole-receiver`, in JSON and in the table. Before, no
/// cause of the path (the receiver's capture holds no gap: no byte after the missing ones).
#[test]
fn the_receivers_capture_names_the_black_hole_from_the_senders_ack() {
    for (name, from, net, missing) in [
        ("aiohttp-drop-down-client.pcap", "server", SERVER_NET, 18824),
        ("aiohttp-drop-up-server.pcap", "client", CLIENT_NET, 17376),
        ("tornado-drop-down-client.pcap", "server", SERVER_NET, 18824),
        ("tornado-drop-up-server.pcap", "client", CLIENT_NET, 17376),
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
            (&from.into(), &missing.into(), &0.into()),
            "{name}"
        );
        assert!(b["seconds"].as_f64().unwrap() >= 1.0, "{name}: {b}");
        // The packets say so: the packet named is the sender's, without data, its
        // sequence number `missing` past the end of the sender's last data captured, and
        // no segment of the sender's carried as many bytes.
        let segs = segments(name);
        let n = |k: &str| b[k].as_u64().unwrap() as usize;
        let ack = segs[n("packet") - 1];
        assert_eq!((ack.net, ack.len), (net, 0), "{name}");
        let before = segs[..n("packet") - 1]
            .iter()
            .rev()
            .find(|s| s.net == net && s.len > 0)
            .unwrap();
        assert_eq!(
            ack.seq.wrapping_sub(before.seq + before.len as u32),
            missing as u32,
            "{name}"
        );
        assert!(segs
            .iter()
            .filter(|s| s.net == net)
            .all(|s| s.len < missing));
        assert_ne!(segs[n("last_ack") - 1].net, net, "{name}");
        let words = c["status"]["cause"].as_str().unwrap();
        for said in [
            format!("The {from}'s large segments never reached the"),
            format!("{missing} bytes of the {from}'s never arrived"),
            "acknowledgement without data, whose sequence number was past them".into(),
            "path MTU black hole".into(),
        ] {
            assert!(words.contains(&said), "{name}: {said}: {words}");
        }
        let peer = if from == "server" { "client" } else { "server" };
        let t = table(name);
        assert!(
            t.contains(&format!(
                "{missing} bytes of the {from}'s before packet {} never reached the {peer}",
                n("packet")
            )),
            "{name}: {t}"
        );
    }
}

/// The control: the same aiohttp download with nothing dropped, two of the server's
/// 1 448-byte segments cut out of the client's capture (editcap). The client acknowledged
/// them: they are missing from the capture, not lost on the path. The gap's note says so,
/// and no black hole or loss on the path is named; the server's capture of the session
/// has no gap and the same causes.
#[test]
fn a_hole_cut_out_of_the_capture_is_missing_from_it_not_lost_on_the_path() {
    let whole = connection("aiohttp-nodrop-server.pcap");
    let cut = connection("aiohttp-nodrop-cut-client.pcap");
    let gaps = |c: &Value| -> Vec<String> {
        c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "gap")
            .map(|f| f["detail"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(gaps(&whole).is_empty());
    assert_eq!(kinds(&whole), kinds(&cut));
    let g = gaps(&cut);
    assert_eq!(g.len(), 1, "{g:?}");
    assert!(
        g[0].starts_with("2896 bytes of the server's stream")
            && g[0].contains("are not in the capture (dropped or cut by the snaplen)")
            && !g[0].contains("never reached"),
        "{}",
        g[0]
    );
    assert!(!kinds(&cut).iter().any(|k| k.starts_with("mtu-black-hole")));
    let all = serde_json::to_string(&cut).unwrap();
    assert!(!all.contains("lost on the path") && !all.contains("never reached"));
    // The packets say so: the server's data jumps 2 896 bytes once, and the client's ACKs
    // pass the bytes cut out (it had them).
    let segs = segments("aiohttp-nodrop-cut-client.pcap");
    let data: Vec<&Seg> = segs
        .iter()
        .filter(|s| s.net == SERVER_NET && s.len > 0)
        .collect();
    let jump = data
        .windows(2)
        .find(|w| w[1].seq != w[0].seq + w[0].len as u32)
        .unwrap();
    let start = jump[0].seq + jump[0].len as u32;
    assert_eq!(jump[1].seq - start, 2896);
    assert!(segs
        .iter()
        .any(|s| s.net == CLIENT_NET && (s.ack.wrapping_sub(start) as i32) > 2896));
}
