//! The path under a session: copies of each packet taken on several interfaces are one
//! packet; data never acknowledged, a close frame a host without the connection answered
//! and an RST its sender's address did not send are named with their packets. The
//! recorded fixtures in fixtures/path/ (fixtures/record/path/) and captures built here from
//! `python-close-1000-client.pcap`, classic pcap and pcapng with named interfaces.

use crate::common::kept;

use serde_json::Value;
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{LinkType, Timestamp};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The report's connections as JSON.
fn connections(path: &Path) -> Vec<Value> {
    let r = wsclose::analyze_files(&[path.to_path_buf()], Options::default()).unwrap();
    r.connections
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

fn causes(c: &Value) -> Vec<Value> {
    c["status"]["causes"].as_array().unwrap().clone()
}

fn cause<'a>(all: &'a [Value], kind: &str) -> &'a Value {
    all.iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {all:?}"))
}

fn retransmissions(c: &Value) -> (u64, u64) {
    (
        c["tcp"]["client"]["retransmissions"].as_u64().unwrap(),
        c["tcp"]["server"]["retransmissions"].as_u64().unwrap(),
    )
}

/// The detail of the one `captured-copies` finding of connection `c`.
fn copies_note(c: &Value) -> &str {
    let notes: Vec<&Value> = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "captured-copies")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    notes[0]["detail"].as_str().unwrap()
}

#[test]
fn copies_on_a_bridge_are_one_packet_each() {
    let c = &connections(&fixture("path/copies-bridge.pcap"))[0];
    assert_eq!(retransmissions(c), (0, 0));
    assert_eq!(c["tcp"]["client"]["segments"], 4);
    assert_eq!(c["status"]["code"], 1000);
    let detail = copies_note(c);
    assert!(
        detail.contains("captured 2 times, on interfaces 37, 38 (by index)"),
        "{detail}"
    );
}

#[test]
fn a_path_that_died_under_a_session_is_named() {
    let c = &connections(&fixture("path/half-open.pcap"))[0];
    // The server's 1001 reached a client host that had dropped the connection: nobody
    // read it, both applications saw 1006 (as they logged).
    assert_eq!(c["status"]["code"], 1006);
    assert_eq!(c["seen_by"]["client"], 1006);
    assert_eq!(c["seen_by"]["server"], 1006);
    let all = causes(c);
    assert_eq!(all[0]["kind"], "close-frame-not-read");
    assert_eq!(
        (
            &all[0]["from"],
            &all[0]["code"],
            &all[0]["packet"],
            &all[0]["rst_packet"]
        ),
        (&"server".into(), &1001.into(), &43.into(), &45.into())
    );
    let u = cause(&all, "unacknowledged-data");
    assert_eq!(u["from"], "client");
    assert_eq!(u["first_packet"], 33);
    assert_eq!(u["what"], "ping");
    assert_eq!(u["retransmissions"], 4);
    assert_eq!(u["last_packet"], 41);
    assert_eq!(u["peer_next"], 43);
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("the client's ping (packet 33) and 4 retransmissions over 1.696 s"),
        "{words}"
    );
    assert!(c["evidence"]["packets"]
        .as_array()
        .unwrap()
        .contains(&33.into()));
}

#[test]
fn a_close_frame_never_acknowledged_was_not_seen() {
    let c = &connections(&fixture("path/half-open-close.pcap"))[0];
    assert_eq!(c["status"]["code"], 1006);
    assert_eq!(c["seen_by"]["client"], 1006);
    assert_eq!(c["seen_by"]["server"], 1006);
    let all = causes(c);
    let kinds: Vec<&Value> = all.iter().map(|c| &c["kind"]).collect();
    assert_eq!(
        kinds,
        [
            "close-frame-not-delivered",
            "close-frame-not-read",
            "unacknowledged-data",
            "quiet-spell",
            // The capture holds the session on two interfaces (#40, #41): its two points
            // cannot tell the client's reset from one made between them (one copy placed).
            "between-points"
        ]
    );
    assert_eq!(all[4]["verdict"], "undecided");
    assert_eq!(
        (
            &all[0]["from"],
            &all[0]["code"],
            &all[0]["packet"],
            &all[0]["retransmissions"]
        ),
        (&"client".into(), &1000.into(), &21.into(), &4.into())
    );
    assert_eq!(
        (&all[1]["from"], &all[1]["packet"], &all[1]["rst_packet"]),
        (&"server".into(), &31.into(), &33.into())
    );
    assert_eq!(all[2]["what"], "close-frame");
}

#[test]
fn a_reset_with_a_foreign_ttl_is_not_the_peers() {
    let c = &connections(&fixture("path/forged-rst.pcap"))[0];
    assert_eq!(c["status"]["code"], 1006);
    let all = causes(c);
    // Its two interfaces are two points of the path: their verdict says the reset's TTL
    // and IP ID against the server's packets', in place of the single view's reading
    // (`reset-not-from-peer`), once.
    assert!(
        all.iter().all(|k| k["kind"] != "reset-not-from-peer"),
        "{all:?}"
    );
    let r = cause(&all, "between-points");
    assert_eq!(
        (
            &r["verdict"],
            &r["end_by"],
            &r["end_packet"],
            &r["ttl"],
            &r["side_ttl"]
        ),
        (
            &"made-between".into(),
            &"server".into(),
            &129.into(),
            &57.into(),
            &64.into()
        )
    );
    assert_eq!(r["ip_id"], 0x4242);
    let summary = c["evidence"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("has TTL 57; the server's packets carry 64"),
        "{summary}"
    );
}

#[test]
fn one_direction_alone_names_no_dead_path() {
    // Only the client's packets of path/half-open (a capture that holds one direction):
    // nothing was ever acknowledged, which says nothing of the path.
    let dir = tempfile::tempdir().unwrap();
    let mut w = PcapWriter::new(Vec::new(), LinkType::LINUX_SLL2, 262_144).unwrap();
    wsclose::__internals::capture::file::read(&fixture("path/half-open.pcap"), &mut |p| {
        assert_eq!(p.link, LinkType::LINUX_SLL2);
        // The IPv4 source after the 20-byte cooked header.
        if p.data[20 + 12..20 + 16] == [10, 77, 0, 2] {
            w.packet(p.ts, p.data, p.orig_len).unwrap();
        }
    })
    .unwrap();
    let path = dir.path().join("client-only.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    for c in connections(&path) {
        let all = causes(&c);
        assert!(
            all.iter()
                .all(|k| k["kind"] != "unacknowledged-data"
                    && k["kind"] != "close-frame-not-delivered"),
            "{all:?}"
        );
    }
}

/// A captured packet of an Ethernet fixture.
#[derive(Clone)]
struct Pkt {
    ts: Timestamp,
    data: Vec<u8>,
}

fn packets(name: &str) -> Vec<Pkt> {
    let mut out = Vec::new();
    wsclose::__internals::capture::file::read(&fixture(name), &mut |p| {
        assert_eq!(p.link, LinkType::ETHERNET);
        out.push(Pkt {
            ts: p.ts,
            data: p.data.to_vec(),
        })
    })
    .unwrap();
    out
}

fn write(dir: &Path, name: &str, pkts: &[Pkt]) -> PathBuf {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 262_144).unwrap();
    for p in pkts {
        w.packet(p.ts, &p.data, p.data.len() as u32).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, w.into_inner()).unwrap();
    path
}

/// The IPv4 header of an Ethernet frame: its TTL and identification.
const TTL: usize = 14 + 8;
const ID: usize = 14 + 4;

const FIXTURE: &str = "python-close-1000-client.pcap";
/// The client's "hello" (packet 8).
const HELLO: usize = 7;

/// What a connection's report says, but for packet numbers (copies take numbers too):
/// the TCP counters, the status, its causes' kinds, the close frames, who saw what.
fn said(c: &Value) -> Value {
    let kinds: Vec<&Value> = c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kind"])
        .collect();
    let closes: Vec<(&Value, &Value, &Value)> = c["close_frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (&f["from"], &f["code"], &f["reason"]))
        .collect();
    serde_json::json!({
        "tcp": c["tcp"],
        "code": c["status"]["code"],
        "kinds": kinds,
        "closes": closes,
        "seen_by": c["seen_by"],
        "tcp_end": c["tcp_end"],
    })
}

#[test]
fn every_packet_twice_or_one_hop_further_reads_as_once() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let once = connections(&fixture(FIXTURE));
    assert_eq!(retransmissions(&once[0]), (0, 0));
    for hop in [false, true] {
        let twice: Vec<Pkt> = pkts
            .iter()
            .flat_map(|p| {
                let mut copy = p.clone();
                copy.ts = Timestamp(p.ts.0 + 20_000);
                if hop {
                    copy.data[TTL] -= 1;
                }
                [p.clone(), copy]
            })
            .collect();
        let path = write(dir.path(), &format!("twice-{hop}.pcap"), &twice);
        let got = connections(&path);
        assert_eq!(got.len(), 1);
        assert_eq!(said(&got[0]), said(&once[0]), "hop {hop}");
        // One hop further (two TTLs: two points of one path), the connection is kept
        // after it closed for the second point's copies, the last ACK's too; at the same
        // hop, the last ACK's copy comes after the connection was reported, and the
        // SYN/ACK's copy (IPv4 ID 0) cannot be told from a retransmission of it.
        let want = if hop {
            "each packet was captured 2 times"
        } else {
            "11 of 14 packets were captured twice"
        };
        let detail = got[0]["findings"][0]["detail"].as_str().unwrap().to_owned();
        assert_eq!(
            detail,
            format!("{want}; each is counted once, not as a retransmission")
        );
    }
}

/// A change made to a packet sent again.
type Edit = Box<dyn Fn(&mut Pkt)>;

#[test]
fn a_retransmission_stays_one() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let again = |f: &dyn Fn(&mut Pkt)| {
        let mut out = pkts.clone();
        let mut copy = pkts[HELLO].clone();
        f(&mut copy);
        let shift = copy.ts.0 - pkts[HELLO].ts.0;
        for p in out.iter_mut().skip(HELLO + 1) {
            p.ts = Timestamp(p.ts.0 + shift);
        }
        out.insert(HELLO + 1, copy);
        out
    };
    let cases: [(&str, Edit); 3] = [
        // The same bytes and IP ID after the retransmission timeout.
        (
            "late",
            Box::new(|p: &mut Pkt| p.ts = Timestamp(p.ts.0 + 250_000_000)),
        ),
        // At once, with a new IP ID: the stack sent it again.
        (
            "new-id",
            Box::new(|p: &mut Pkt| {
                p.ts = Timestamp(p.ts.0 + 20_000);
                p.data[ID + 1] = p.data[ID + 1].wrapping_add(1);
            }),
        ),
        // At once, with other bytes.
        (
            "other-bytes",
            Box::new(|p: &mut Pkt| {
                p.ts = Timestamp(p.ts.0 + 20_000);
                let n = p.data.len();
                p.data[n - 1] ^= 0x20;
            }),
        ),
    ];
    for (name, f) in cases {
        let path = write(dir.path(), &format!("{name}.pcap"), &again(&*f));
        let c = &connections(&path)[0];
        assert_eq!(retransmissions(c), (1, 0), "{name}");
        assert!(
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["kind"] != "captured-copies"),
            "{name}: {}",
            c["findings"]
        );
    }
}

#[test]
fn copies_on_named_interfaces_name_them() {
    let c = &connections(&fixture("path/copies-named.pcapng"))[0];
    assert_eq!(retransmissions(c), (0, 0));
    assert_eq!(c["tcp"]["client"]["segments"], 4);
    assert_eq!(c["status"]["code"], 1000);
    // Every packet twice, the SYN/ACK (IPv4 ID 0) too; the copy of the last ACK too (a
    // session seen at two interfaces waits for the other point's copies once closed).
    assert_eq!(
        copies_note(c),
        "each packet was captured 2 times, on interfaces wsp-ch, wsp-sh; each is counted once, not as a retransmission"
    );
    kept::same_in_memory_on_disk_and_sharded(&[fixture("path/copies-named.pcapng")]);
}

/// A pcapng section built here: its interfaces' names, its packets by interface ID.
type Section<'a> = (&'a [Option<&'a str>], Vec<(u32, Pkt)>);

/// A little-endian pcapng file: per section, its Ethernet interfaces (named, or not),
/// then its packets, each on the interface of the given ID (times in nanoseconds).
fn pcapng(sections: &[Section<'_>]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, mut body: Vec<u8>) {
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        for v in [kind, len] {
            out.extend(v.to_le_bytes());
        }
        out.extend(body);
        out.extend(len.to_le_bytes());
    }
    fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
        body.extend(code.to_le_bytes());
        body.extend((value.len() as u16).to_le_bytes());
        body.extend(value);
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
    }
    let mut out = Vec::new();
    for (ifaces, pkts) in sections {
        let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
        shb.extend([1, 0, 0, 0]);
        shb.extend((-1i64).to_le_bytes());
        block(&mut out, 0x0A0D_0D0A, shb);
        for name in ifaces.iter() {
            let mut idb = vec![1, 0, 0, 0];
            idb.extend(262_144u32.to_le_bytes());
            if let Some(name) = name {
                option(&mut idb, 2, name.as_bytes());
            }
            option(&mut idb, 9, &[9]);
            option(&mut idb, 0, &[]);
            block(&mut out, 1, idb);
        }
        for (id, p) in pkts {
            let ns = p.ts.0 as u64;
            let mut epb = Vec::new();
            for v in [
                *id,
                (ns >> 32) as u32,
                ns as u32,
                p.data.len() as u32,
                p.data.len() as u32,
            ] {
                epb.extend(v.to_le_bytes());
            }
            epb.extend(&p.data);
            block(&mut out, 6, epb);
        }
    }
    out
}

/// Each packet of the fixture on interface `first`, then its copy 20 µs later on
/// interface `then`.
fn on_two(pkts: &[Pkt], first: u32, then: u32) -> Vec<(u32, Pkt)> {
    pkts.iter()
        .flat_map(|p| {
            let mut copy = p.clone();
            copy.ts = Timestamp(p.ts.0 + 20_000);
            [(first, p.clone()), (then, copy)]
        })
        .collect()
}

/// The copies note of the one connection of `paths`.
fn copies_detail(paths: &[PathBuf]) -> String {
    let r = wsclose::analyze_files(paths, Options::default()).unwrap();
    assert_eq!(r.connections.len(), 1);
    let c = serde_json::to_value(&r.connections[0]).unwrap();
    copies_note(&c).to_owned()
}

/// Copies on two pcapng interfaces: told apart by interface (the SYN/ACK's copy, with
/// IPv4 ID 0 at the same hop, too, which the same copies in a classic pcap file leave a
/// retransmission: see `every_packet_twice_or_one_hop_further_reads_as_once`) and named by
/// the interfaces' names, escaped; an unnamed one by its ID. The copy of the last ACK
/// comes after the connection was reported.
#[test]
fn copies_on_pcapng_interfaces_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let once = connections(&fixture(FIXTURE));
    let cases: [(&[Option<&str>], &str); 3] = [
        (&[Some("veth0"), Some("br0")], "on interfaces veth0, br0"),
        (
            &[Some("veth0"), Some("br\u{1b}[2J\u{202e}0")],
            "on interfaces veth0, br\\x1b[2J\\u{202e}0",
        ),
        (&[Some("veth0"), None], "on interfaces veth0, 1 (by index)"),
    ];
    for (k, (names, on)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("named-{k}.pcapng"));
        std::fs::write(&path, pcapng(&[(names, on_two(&pkts, 0, 1))])).unwrap();
        let got = connections(&path);
        assert_eq!(said(&got[0]), said(&once[0]), "{on}");
        assert_eq!(
            copies_detail(std::slice::from_ref(&path)),
            format!("each packet was captured 2 times, {on}; each is counted once, not as a retransmission")
        );
        kept::same_in_memory_on_disk_and_sharded(&[path]);
    }
}

/// A pcapng file of one interface names no place (its every packet is on it): copies are
/// told as in a classic pcap file, by the same non-zero IPv4 ID (so the SYN/ACK's copy,
/// ID 0, stays a retransmission).
#[test]
fn one_pcapng_interface_tells_copies_as_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.pcapng");
    let pkts = packets(FIXTURE);
    std::fs::write(&path, pcapng(&[(&[Some("eth0")], on_two(&pkts, 0, 0))])).unwrap();
    assert_eq!(
        copies_detail(std::slice::from_ref(&path)),
        "11 of 14 packets were captured twice; each is counted once, not as a retransmission"
    );
}

/// Interface IDs start again in each section and in each file of a rotation: the same
/// two interfaces named in another order (after a third, unused) are still those two.
#[test]
fn interface_ids_start_again_in_each_section_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = packets(FIXTURE);
    let half = pkts.len() / 2;
    let first: &[Option<&str>] = &[Some("veth0"), Some("br0")];
    let second: &[Option<&str>] = &[Some("lo"), Some("br0"), Some("veth0")];
    let a = (first, on_two(&pkts[..half], 0, 1));
    let b = (second, on_two(&pkts[half..], 2, 1));
    let want = "each packet was captured 2 times, on interfaces veth0, br0; each is counted once, not as a retransmission";
    let sections = dir.path().join("sections.pcapng");
    std::fs::write(&sections, pcapng(&[a.clone(), b.clone()])).unwrap();
    assert_eq!(copies_detail(std::slice::from_ref(&sections)), want);
    let (one, two) = (
        dir.path().join("rot-1.pcapng"),
        dir.path().join("rot-2.pcapng"),
    );
    std::fs::write(&one, pcapng(&[a])).unwrap();
    std::fs::write(&two, pcapng(&[b])).unwrap();
    let files = [one, two];
    assert_eq!(copies_detail(&files), want);
    kept::same_in_memory_on_disk_and_sharded(&[sections]);
    kept::same_in_memory_on_disk_and_sharded(&files);
}

/// One TCP segment of an Ethernet/IPv4 fixture packet, as tshark would show it: the
/// sender's last address byte, the flags byte, the window field and the payload length.
fn tcp_of(p: &Pkt) -> (u8, u8, u16, usize) {
    let d = &p.data;
    let ihl = usize::from(d[14] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([d[16], d[17]]));
    let t = 14 + ihl;
    let header = usize::from(d[t + 12] >> 4) * 4;
    let window = u16::from_be_bytes([d[t + 14], d[t + 15]]);
    (d[14 + 15], d[t + 13], window, total - ihl - header)
}

const FIN: u8 = 0x01;
/// The slow-reader fixtures' addresses: client 10.78.0.2, server 10.78.0.3.
const CLIENT: u8 = 2;
const SERVER: u8 = 3;

/// Checks a `reader-stopped` cause of a slow-reader fixture against the packets it cites:
/// the client's zero window, the server's probes (no data), the client's window update and
/// the server's FIN.
fn check_cited(name: &str, r: &Value) {
    let pkts = packets(name);
    let at = |k: &str| tcp_of(&pkts[r[k].as_u64().unwrap() as usize - 1]);
    let (from, _, window, _) = at("zero_packet");
    assert_eq!((from, window), (CLIENT, 0), "zero window");
    for k in ["first_probe", "last_probe"] {
        let (from, flags, _, len) = at(k);
        assert_eq!((from, flags & FIN, len), (SERVER, 0, 0), "{k}");
    }
    let (from, _, window, _) = at("reopened");
    assert!(from == CLIENT && window > 0, "window update");
    let end = &r["end"];
    assert_eq!((&end["by"], &end["how"]), (&"server".into(), &"fin".into()));
    let (from, flags, _, _) = tcp_of(&pkts[end["packet"].as_u64().unwrap() as usize - 1]);
    assert_eq!((from, flags & FIN), (SERVER, FIN));
}

/// Python websockets 17.4 (ping_interval 1 s, ping_timeout 2 s) streaming to a client that
/// stopped reading (fixtures/record/path/record_window.sh python): its ping and its 1011
/// were queued behind the client's zero window and came, with its FIN, the moment the
/// client read again. The report names the reader, the spell and the probes, and says the
/// server's end was queued; the heartbeat's wait is not measured from the late ping.
#[test]
fn a_reader_that_stopped_reading_under_a_websockets_keepalive_is_named() {
    let name = "path/python-slow-reader.pcap";
    let c = &connections(&fixture(name))[0];
    assert_eq!(c["status"]["code"], 1011);
    let all = causes(c);
    let r = cause(&all, "reader-stopped");
    assert_eq!(r["reader"], "client");
    assert_eq!(
        (
            &r["zero_packet"],
            &r["probes"],
            &r["first_probe"],
            &r["last_probe"],
            &r["reopened"],
            &r["close_packet"],
            &r["close_code"]
        ),
        (
            &74.into(),
            &5.into(),
            &75.into(),
            &82.into(),
            &84.into(),
            &109.into(),
            &1011.into()
        )
    );
    assert_eq!(r["end"]["packet"], 109);
    assert_eq!(r["seconds"], 7.273);
    assert!(r["end_after_s"].as_f64().unwrap() < 0.001, "{r}");
    check_cited(name, r);
    let h = cause(&all, "heartbeat-timeout");
    assert_eq!(
        (&h["ping_packet"], &h["waited_ms"]),
        (&86.into(), &Value::Null)
    );
    let words = c["status"]["cause"].as_str().unwrap();
    for said in [
        "The client stopped reading at",
        "from packet 74 its receive window was zero for 7.273 s",
        "the server sent 5 zero-window probes (packets 75 to 82)",
        "with its close frame 1011 (Internal Error) at packet 109, and its FIN (packet 109)",
        "the server had ended the connection while the client was not reading",
        "how long the server waited, is not in the capture",
    ] {
        assert!(words.contains(said), "{said}: {words}");
    }
}

/// gorilla/websocket 1.5.0 with a 2 s write deadline and an 8 KiB send buffer
/// (`record_window.sh go`): its write timed out while the client read nothing and it
/// closed; the FIN came with the cut message the moment the client read again.
#[test]
fn a_reader_that_stopped_reading_under_a_write_deadline_is_named() {
    let name = "path/go-slow-reader.pcap";
    let c = &connections(&fixture(name))[0];
    assert_eq!(c["status"]["code"], 1006);
    let all = causes(c);
    let r = cause(&all, "reader-stopped");
    assert_eq!(r["reader"], "client");
    assert_eq!(
        (
            &r["zero_packet"],
            &r["probes"],
            &r["first_probe"],
            &r["last_probe"],
            &r["reopened"],
            &r["close_packet"]
        ),
        (
            &31.into(),
            &5.into(),
            &32.into(),
            &39.into(),
            &41.into(),
            &Value::Null
        )
    );
    assert_eq!(r["end"]["packet"], 63);
    check_cited(name, r);
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("what the server had queued came at once, and its FIN (packet 63)"),
        "{words}"
    );
    // The evidence cites the zero window, the last probe, the update and the FIN.
    let ev: Vec<u64> = c["evidence"]["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    assert!([31, 39, 41, 63].iter().all(|p| ev.contains(p)), "{ev:?}");
}

/// The same capture cut before the client read again: its window still closed at the
/// end, said so; cut after it read again but before the server's FIN: the session went
/// on, no slow reader is named.
#[test]
fn a_zero_window_is_named_only_when_the_end_came_under_it() {
    let pkts = packets("path/python-slow-reader.pcap");
    let dir = tempfile::tempdir().unwrap();
    let closed = write(dir.path(), "closed.pcap", &pkts[..83]);
    let c = &connections(&closed)[0];
    let all = causes(c);
    let r = cause(&all, "reader-stopped");
    assert_eq!((&r["reopened"], &r["end"]), (&Value::Null, &Value::Null));
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("Its window was still closed when the capture ended"),
        "{words}"
    );
    let reopened = write(dir.path(), "reopened.pcap", &pkts[..100]);
    let c = &connections(&reopened)[0];
    assert!(
        causes(c).iter().all(|k| k["kind"] != "reader-stopped"),
        "{c}"
    );
}

/// The sequence number of a fixture packet's TCP segment.
fn seq_of(p: &Pkt) -> u32 {
    let d = &p.data;
    let t = 14 + usize::from(d[14] & 0x0f) * 4;
    u32::from_be_bytes([d[t + 4], d[t + 5], d[t + 6], d[t + 7]])
}

/// A path MTU black hole (fixtures/record/path/record_mtu.sh: links of MTU 1500 at both
/// ends, 1280 between two routers, "fragmentation needed" dropped by nft): the server's
/// 1448-byte segments are never acknowledged while its 204-byte message was and its pure
/// ACK of the client's ping got through. Python websockets 17.4 and Node ws 8.23.0.
#[test]
fn a_path_mtu_black_hole_is_named_with_the_sizes() {
    for (name, retransmissions, last) in [
        ("path/python-mtu-black-hole.pcap", 4, 29),
        ("path/node-mtu-black-hole.pcap", 3, 30),
    ] {
        let c = &connections(&fixture(name))[0];
        assert_eq!(c["status"]["code"], 1006, "{name}");
        let all = causes(c);
        assert!(
            all.iter().all(|k| k["kind"] != "unacknowledged-data"),
            "{name}: {all:?}"
        );
        let b = cause(&all, "mtu-black-hole");
        assert_eq!(
            (
                &b["from"],
                &b["first_packet"],
                &b["segment_bytes"],
                &b["largest_acked"],
                &b["retransmissions"],
                &b["last_packet"],
                &b["small_ack"]
            ),
            (
                &"server".into(),
                &11.into(),
                &1448.into(),
                &204.into(),
                &retransmissions.into(),
                &last.into(),
                &26.into()
            ),
            "{name}"
        );
        // The packets say so: #11 and the last retransmission are the server's 1448 bytes
        // at one sequence number; its 204-byte message (#9) was acknowledged (#10); #26 is
        // the server's ACK without data.
        let pkts = packets(name);
        let p = |n: usize| &pkts[n - 1];
        for (n, bytes) in [(11, 1448), (last, 1448), (9, 204), (26, 0)] {
            assert!(from_mtu_server(p(n)), "{name} #{n}");
            assert_eq!(tcp_of(p(n)).3, bytes, "{name} #{n}");
        }
        assert_eq!(seq_of(p(11)), seq_of(p(last)));
        // (These older recordings' client sent no SACK blocks: none is named.)
        assert!(b["sacked"].is_null(), "{name}: {b}");
        let words = c["status"]["cause"].as_str().unwrap();
        for said in [
            "Only the server's large segments died",
            "its segment of 1448 bytes (packet 11)",
            "carried 204 bytes",
            "path MTU black hole",
        ] {
            assert!(words.contains(said), "{name}: {said}: {words}");
        }
        assert!(c["status"]["fix"]
            .as_str()
            .unwrap()
            .contains("tcp option maxseg size set rt mtu"));
    }
}

/// Whether a packet of the MTU fixtures comes from the server (10.79.3.2; the client is
/// 10.79.1.2).
fn from_mtu_server(p: &Pkt) -> bool {
    p.data[14 + 12..14 + 16] == [10, 79, 3, 2]
}

/// A client whose pings (every second, websockets 17.4) stop reaching the server
/// (`record_window.sh silent`: its namespace drops the session 5 s in), captured on the
/// server's side: the pings' cadence and where they stopped are named; with one of the
/// pings cut out of the capture (a gap in the client's direction), or the capture ending
/// before two more pings were due, nothing is.
#[test]
fn a_client_whose_pings_stopped_is_named_from_the_server_side() {
    let name = "path/silent-client.pcap";
    let c = &connections(&fixture(name))[0];
    let all = causes(c);
    let s = cause(&all, "pings-stopped");
    assert_eq!(
        (&s["from"], &s["pings"], &s["last_ping"], &s["end"]),
        (&"client".into(), &4.into(), &20.into(), &Value::Null)
    );
    let interval = s["interval_ms"].as_f64().unwrap();
    assert!((990.0..1020.0).contains(&interval), "{interval}");
    assert_eq!(s["silent_s"], 5.705);
    // The server's close frame after the silence was never acknowledged.
    assert_eq!(cause(&all, "unacknowledged-data")["first_packet"], 23);
    let pkts = packets(name);
    // Packet 20 is the client's (10.78.0.2) masked ping: FIN bit and opcode 9.
    let p = &pkts[19];
    assert_eq!(p.data[14 + 12..14 + 16], [10, 78, 0, 2]);
    assert_eq!(&p.data[p.data.len() - 10..p.data.len() - 8], &[0x89, 0x84]);
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("The client's pings came every 1.003 s (its last 4), then stopped: its last ping was packet 20"),
        "{words}"
    );
    let dir = tempfile::tempdir().unwrap();
    // Without the client's ping of packet 17: a gap in its direction.
    let mut cut: Vec<Pkt> = pkts.clone();
    cut.remove(16);
    let c = &connections(&write(dir.path(), "gap.pcap", &cut))[0];
    assert!(
        causes(c).iter().all(|k| k["kind"] != "pings-stopped"),
        "{c}"
    );
    // The capture ends 1.5 s after the last ping: fewer than two were due.
    let last_ts = pkts[19].ts;
    let short: Vec<Pkt> = pkts
        .iter()
        .filter(|p| p.ts.0 <= last_ts.0 + 1_500_000_000)
        .cloned()
        .collect();
    let c = &connections(&write(dir.path(), "short.pcap", &short))[0];
    assert!(
        causes(c).iter().all(|k| k["kind"] != "pings-stopped"),
        "{c}"
    );
}
