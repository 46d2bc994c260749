//! Issue 103 items 1, 2 and 6: captures of the same traffic at two points of its path read
//! as one session with its points, built in code. The client's host (point A) sees the
//! session as `common::Session` builds it; the server's host (point B) one hop further on:
//! the client's packets 150 µs later with a TTL one lower, the server's 150 µs earlier with
//! a TTL one higher, on a clock `OFFSET` ahead. Controls: a rotation, two unrelated
//! captures, a file given twice.

use crate::common::*;
use serde_json::Value;
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{LinkType, Role, Timestamp};

/// Point B's clock less point A's.
const OFFSET: i64 = 3_000_000; // 3 ms
/// The one-way delay between the points.
const DELAY: i64 = 150_000;

/// One point's packets: their times and bytes.
pub(super) type Capture = Vec<(Timestamp, Vec<u8>)>;

/// What point B makes of a packet point A saw (or drops, `None`).
pub(super) struct AtB {
    /// The client's address as B sees it (a source NAT), else 10.0.0.1.
    pub(super) nat: Option<[u8; 4]>,
    /// Added to the client's sequence numbers at B (a box that rewrites ISNs).
    pub(super) isn_shift: u32,
}

/// Raw IPv4 packets: TTL at byte 8, addresses at 12 and 16, TCP after 20 bytes.
fn rewrite(data: &[u8], from: Role, ttl: u8, b: &AtB) -> Vec<u8> {
    let mut d = data.to_vec();
    d[8] = ttl;
    if let Some(nat) = b.nat {
        let at = if from == Role::Client { 12 } else { 16 };
        d[at..at + 4].copy_from_slice(&nat);
    }
    if from == Role::Client && b.isn_shift != 0 {
        let seq = u32::from_be_bytes(d[24..28].try_into().unwrap());
        d[24..28].copy_from_slice(&seq.wrapping_add(b.isn_shift).to_be_bytes());
    }
    d
}

/// Point A's packets (TTL 64 from the client, 63 from the server) and point B's (63 and
/// 64, shifted by the delay and the offset), each sorted by time; `only_a`/`only_b` keep a
/// packet (by its id) at one point only.
pub(super) fn two_points(
    s: &Session,
    b: &AtB,
    only_a: &[u64],
    only_b: &[u64],
) -> (Capture, Capture) {
    let mut at_a = Vec::new();
    let mut at_b = Vec::new();
    for p in &s.pkts {
        let (ta, tb) = match p.from {
            Role::Client => (p.ts.0, p.ts.0 + DELAY + OFFSET),
            Role::Server => (p.ts.0, p.ts.0 - DELAY + OFFSET),
        };
        let (ttl_a, ttl_b) = match p.from {
            Role::Client => (64, 63),
            Role::Server => (63, 64),
        };
        let none = AtB {
            nat: None,
            isn_shift: 0,
        };
        if !only_b.contains(&p.id) {
            at_a.push((Timestamp(ta), rewrite(&p.data, p.from, ttl_a, &none)));
        }
        if !only_a.contains(&p.id) {
            at_b.push((Timestamp(tb), rewrite(&p.data, p.from, ttl_b, b)));
        }
    }
    at_a.sort_by_key(|p| p.0);
    at_b.sort_by_key(|p| p.0);
    (at_a, at_b)
}

pub(super) fn write_pcap(path: &std::path::Path, pkts: &[(Timestamp, Vec<u8>)]) {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for (t, d) in pkts {
        w.packet(*t, d, d.len() as u32).unwrap();
    }
    std::fs::write(path, w.into_inner()).unwrap();
}

/// The JSON report of `files` read together.
pub(super) fn json_of(paths: &[std::path::PathBuf]) -> Value {
    let r = wsclose::analyze_files(paths, Options::default()).unwrap();
    serde_json::to_value(&r).unwrap()
}

/// The two files (`client.pcap`, `server.pcap`) in `dir`, read together.
fn read_two(
    dir: &std::path::Path,
    a: &[(Timestamp, Vec<u8>)],
    b: &[(Timestamp, Vec<u8>)],
) -> Value {
    let pa = dir.join("client.pcap");
    let pb = dir.join("server.pcap");
    write_pcap(&pa, a);
    write_pcap(&pb, b);
    // The same in memory, through the store's temporary file and on several threads.
    kept::same_in_memory_on_disk_and_sharded(&[pa.clone(), pb.clone()]);
    json_of(&[pa, pb])
}

/// A session: open, two messages each way, the client closes 1000, FINs.
pub(super) fn session() -> Session {
    let mut s = Session::new(40_000, 8080);
    s.open();
    s.send(Role::Client, &text(Role::Client, "hello"));
    s.send(Role::Server, &text(Role::Server, "world"));
    s.send(Role::Client, &text(Role::Client, "again"));
    s.send(Role::Server, &text(Role::Server, "reply"));
    s.send(Role::Client, &close(Role::Client, 1000, "bye"));
    s.send(Role::Server, &close(Role::Server, 1000, "bye"));
    s.fins(Role::Client);
    s
}

fn only_connection(r: &Value) -> &Value {
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), 1, "one session, one row: {cs:#?}");
    &cs[0]
}

/// The points said: A nearer the client, B nearer the server, by the TTLs; the offset
/// within 0.1 ms of the one made.
fn points_named(p: &Value) {
    let pts = p["points"].as_array().unwrap();
    assert_eq!(pts.len(), 2, "{p:#}");
    assert_eq!(pts[0]["file"], "client.pcap");
    assert_eq!(pts[1]["file"], "server.pcap");
    assert_eq!(pts[0]["nearer"], "client", "{p:#}");
    assert_eq!(pts[1]["nearer"], "server", "{p:#}");
    assert_eq!(pts[0]["nearer_by"], "ttl");
    let o = p["clock_offset_s"].as_f64().unwrap();
    assert!((o - OFFSET as f64 / 1e9).abs() < 1e-4, "{o}");
}

/// A stateful firewall between the hosts, the same addresses at both points: one row,
/// its points named, every packet seen at both.
#[test]
fn two_files_of_one_path_with_the_same_addresses_are_one_session() {
    let s = session();
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (a, b) = two_points(&s, &none, &[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let r = read_two(dir.path(), &a, &b);
    let c = only_connection(&r);
    let p = &c["points"];
    points_named(p);
    assert!(p["translated"].is_null());
    // The packets with data, SYN or FIN: SYN, request, three messages and FIN of the client;
    // SYN/ACK, response, three messages and FIN of the server (pure ACKs are not placed).
    let both = p["seen_at_both"]["client"].as_u64().unwrap()
        + p["seen_at_both"]["server"].as_u64().unwrap();
    assert_eq!(both, 12, "{p:#}");
    assert_eq!(p["lost_between"].as_array().unwrap().len(), 0, "{p:#}");
    assert_eq!(p["made_between"].as_array().unwrap().len(), 0, "{p:#}");
    assert_eq!(c["status"]["code"], 1000);
}

/// A NAT translating the client (address and ISN): one row, `translated` client, each
/// point's own addresses.
#[test]
fn a_nat_translating_the_client_is_one_session() {
    let s = session();
    let nat = AtB {
        nat: Some([192, 0, 2, 7]),
        isn_shift: 0x1234_5678,
    };
    let (a, b) = two_points(&s, &nat, &[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let r = read_two(dir.path(), &a, &b);
    let c = only_connection(&r);
    let p = &c["points"];
    points_named(p);
    assert_eq!(p["translated"], "client");
    assert_eq!(p["points"][0]["client"], "10.0.0.1:40000");
    assert_eq!(p["points"][1]["client"], "192.0.2.7:40000");
    assert_eq!(p["lost_between"].as_array().unwrap().len(), 0, "{p:#}");
    assert_eq!(p["made_between"].as_array().unwrap().len(), 0, "{p:#}");
}

/// A server's segment lost between the points (seen at the server's host, never at the
/// client's), then sent again: the loss placed, in its direction, with its size.
#[test]
fn a_segment_lost_between_the_points_is_placed() {
    let mut s = Session::new(40_000, 8080);
    s.open();
    let msg = text(Role::Server, &"x".repeat(300));
    let seq = s.next[1];
    let lost = s.emit(Role::Server, 0, seq, &msg, None);
    s.emit(Role::Server, 0, seq, &msg, None); // its retransmission, seen at both
    s.next[1] = seq.wrapping_add(msg.len() as u32);
    s.send(Role::Client, &close(Role::Client, 1000, ""));
    s.send(Role::Server, &close(Role::Server, 1000, ""));
    s.fins(Role::Client);
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (a, b) = two_points(&s, &none, &[], &[lost]);
    let dir = tempfile::tempdir().unwrap();
    let r = read_two(dir.path(), &a, &b);
    let c = only_connection(&r);
    let p = &c["points"];
    points_named(p);
    let l = p["lost_between"].as_array().unwrap();
    assert_eq!(l.len(), 1, "{p:#}");
    assert_eq!(l[0]["from"], "server");
    assert_eq!(l[0]["seen_at"], 1);
    assert_eq!(l[0]["packets"], 1);
    assert_eq!(l[0]["bytes"], msg.len() as u64);
    assert_eq!(p["made_between"].as_array().unwrap().len(), 0, "{p:#}");
}

/// A reset in the server's name that the client's host received and the server's host
/// never saw sent: made between the points, with its TTL against the server's packets'.
#[test]
fn a_reset_made_between_the_points_is_placed() {
    let mut s = Session::new(40_000, 8080);
    s.open();
    s.send(Role::Client, &text(Role::Client, "hello"));
    let rst = s.rst(Role::Server);
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (mut a, b) = two_points(&s, &none, &[rst], &[]);
    // The box made it with a TTL of its own.
    let last = a.iter_mut().rev().find(|p| p.1[33] & 0x04 != 0).unwrap();
    last.1[8] = 255;
    let dir = tempfile::tempdir().unwrap();
    let r = read_two(dir.path(), &a, &b);
    let c = only_connection(&r);
    let p = &c["points"];
    points_named(p);
    let m = p["made_between"].as_array().unwrap();
    assert_eq!(m.len(), 1, "{p:#}");
    assert_eq!(m[0]["kind"], "rst");
    assert_eq!(m[0]["from"], "server");
    assert_eq!(m[0]["seen_at"], 0);
    assert_eq!(m[0]["ttl"], 255);
    assert_eq!(m[0]["side_ttl"], 63);
    let e = c["evidence"]["summary"].as_str().unwrap();
    assert!(e.contains("made between the points"), "{e}");
}

/// One file holding the session twice (`tcpdump -i any` on the box: Linux cooked v2, the
/// interface of each packet named): one row, its two interfaces its points.
#[test]
fn one_file_holding_a_session_twice_is_one_session_at_two_points() {
    let s = session();
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (a, b) = two_points(&s, &none, &[], &[]);
    let sll2 = |ifindex: u32, d: &[u8]| {
        let mut h = vec![0x08, 0x00, 0, 0];
        h.extend_from_slice(&ifindex.to_be_bytes());
        h.extend_from_slice(&[0x00, 0x01, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
        h.extend_from_slice(d);
        h
    };
    let mut all: Vec<(Timestamp, Vec<u8>)> = a
        .iter()
        .map(|(t, d)| (*t, sll2(2, d)))
        .chain(b.iter().map(|(t, d)| (Timestamp(t.0 - OFFSET), sll2(3, d))))
        .collect();
    all.sort_by_key(|p| p.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("router.pcap");
    let mut w = PcapWriter::new(Vec::new(), LinkType::LINUX_SLL2, 262_144).unwrap();
    for (t, d) in &all {
        w.packet(*t, d, d.len() as u32).unwrap();
    }
    std::fs::write(&path, w.into_inner()).unwrap();
    kept::same_in_memory_on_disk_and_sharded(std::slice::from_ref(&path));
    let r = json_of(&[path]);
    let c = only_connection(&r);
    let p = &c["points"];
    let pts = p["points"].as_array().unwrap();
    assert_eq!(pts.len(), 2, "{p:#}");
    assert_eq!(pts[0]["interface"], "#2");
    assert_eq!(pts[1]["interface"], "#3");
    assert_eq!(pts[0]["nearer"], "client");
    let both = p["seen_at_both"]["client"].as_u64().unwrap()
        + p["seen_at_both"]["server"].as_u64().unwrap();
    assert_eq!(both, 12, "{p:#}");
}

/// Controls: a file given twice (the same packets at the same times), two unrelated
/// captures (different keys) and a rotation (the session's second half in the next file)
/// are no points: read as before.
#[test]
fn a_file_given_twice_unrelated_captures_and_a_rotation_are_no_points() {
    let s = session();
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (a, _) = two_points(&s, &none, &[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let p1 = dir.path().join("one.pcap");
    let p2 = dir.path().join("copy.pcap");
    write_pcap(&p1, &a);
    write_pcap(&p2, &a);
    let r = json_of(&[p1.clone(), p2]);
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), 2, "{cs:#?}");
    assert!(cs.iter().all(|c| c.get("points").is_none()));

    // Another session, its own key, at the same time.
    let mut o = Session::new(40_001, 8080);
    o.handshake();
    let req = String::from_utf8(request())
        .unwrap()
        .replace("dGhlIHNhbXBsZSBub25jZQ==", "AQIDBAUGBwgJCgsMDQ4PEA==");
    o.send(Role::Client, req.as_bytes());
    let resp = String::from_utf8(response(false)).unwrap().replace(
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=",
    );
    o.send(Role::Server, resp.as_bytes());
    o.fins(Role::Client);
    let (oa, _) = two_points(&o, &none, &[], &[]);
    let p3 = dir.path().join("other.pcap");
    write_pcap(&p3, &oa);
    let r = json_of(&[p1, p3]);
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), 2, "{cs:#?}");
    assert!(cs.iter().all(|c| c.get("points").is_none()));

    // A rotation: the first 9 packets, then the rest.
    let r1 = dir.path().join("ring_00001.pcap");
    let r2 = dir.path().join("ring_00002.pcap");
    write_pcap(&r1, &a[..9]);
    write_pcap(&r2, &a[9..]);
    let r = json_of(&[r1, r2]);
    let cs = r["connections"].as_array().unwrap();
    assert!(cs.iter().all(|c| c.get("points").is_none()), "{cs:#?}");
    assert_eq!(cs[0]["status"]["code"], 1000, "{cs:#?}");
}

/// THREATS kinds 1 and 8: `--redact` names each point's endpoints by their pseudonyms (the
/// NAT's address too); the table shows one row, `-v` names both points.
#[test]
fn the_points_are_redacted_and_named_in_the_table() {
    let s = session();
    let nat = AtB {
        nat: Some([192, 0, 2, 7]),
        isn_shift: 0,
    };
    let (a, b) = two_points(&s, &nat, &[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (
        dir.path().join("client.pcap"),
        dir.path().join("server.pcap"),
    );
    write_pcap(&pa, &a);
    write_pcap(&pb, &b);
    let (pa, pb) = (pa.to_str().unwrap(), pb.to_str().unwrap());
    let out = crate::common::recorded::run_ok(&["analyze", "--redact", "--format", "json", pa, pb]);
    assert!(
        !out.contains("192.0.2.7") && !out.contains("10.0.0.1"),
        "{out}"
    );
    let r: Value = serde_json::from_str(&out).unwrap();
    let c = only_connection(&r);
    let pts = &c["points"]["points"];
    assert_ne!(pts[0]["client"], pts[1]["client"], "{pts}");
    assert_eq!(pts[0]["client"], c["client"], "{pts}");
    let table = crate::common::recorded::run_ok(&["analyze", "-v", pa, pb]);
    assert!(
        table.contains("client.pcap") && table.contains("server.pcap"),
        "{table}"
    );
    assert_eq!(table.matches("10.0.0.1:40000").count(), 1, "{table}");
}

/// A merge of the two hosts' files with one interface for both (as `mergecap` leaves
/// files that describe their interfaces alike): the copies' TTLs tell the points apart.
/// A segment lost once and sent again is placed (its copies show both TTLs); a reset seen
/// once, with one TTL, may be either point's and is counted as not placed, never guessed.
#[test]
fn a_merge_with_one_interface_tells_the_points_by_their_ttls() {
    let mut s = Session::new(40_000, 8080);
    s.open();
    let msg = text(Role::Server, &"y".repeat(200));
    let seq = s.next[1];
    let lost = s.emit(Role::Server, 0, seq, &msg, None);
    s.emit(Role::Server, 0, seq, &msg, None);
    s.next[1] = seq.wrapping_add(msg.len() as u32);
    s.send(Role::Client, &text(Role::Client, "ok"));
    let rst = s.rst(Role::Server);
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (a, b) = two_points(&s, &none, &[rst], &[lost]);
    let mut all: Capture = a
        .into_iter()
        .chain(b.into_iter().map(|(t, d)| (Timestamp(t.0 - OFFSET), d)))
        .collect();
    all.sort_by_key(|p| p.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merged.pcap");
    write_pcap(&path, &all);
    let r = json_of(&[path]);
    let c = only_connection(&r);
    let p = &c["points"];
    let pts = p["points"].as_array().unwrap();
    assert_eq!(pts.len(), 2, "{p:#}");
    assert_eq!(pts[0]["nearer"], "client", "{p:#}");
    assert_eq!(pts[0]["nearer_by"], "ttl");
    let l = p["lost_between"].as_array().unwrap();
    assert_eq!(l.len(), 1, "{p:#}");
    assert_eq!(
        (l[0]["from"].as_str(), l[0]["packets"].as_u64()),
        (Some("server"), Some(1))
    );
    assert!(p["made_between"].as_array().unwrap().is_empty(), "{p:#}");
    assert_eq!(p["not_placed"], 1, "{p:#}");
}

/// A long session: the marks between its first 128 and its last 384 are not kept, so a
/// segment lost between the points there is not placed (and the span is said), while the
/// reset made between the points at its end still is.
#[test]
fn a_long_session_places_its_start_and_its_end() {
    let mut s = Session::new(40_000, 8080);
    s.open();
    let mut lost = 0;
    for k in 0..700 {
        if k == 300 {
            let msg = text(Role::Server, "lost once");
            let seq = s.next[1];
            lost = s.emit(Role::Server, 0, seq, &msg, None);
            s.emit(Role::Server, 0, seq, &msg, None);
            s.next[1] = seq.wrapping_add(msg.len() as u32);
        }
        s.send(Role::Client, &text(Role::Client, &format!("m{k}")));
    }
    let rst = s.rst(Role::Server);
    let none = AtB {
        nat: None,
        isn_shift: 0,
    };
    let (a, b) = two_points(&s, &none, &[rst], &[lost]);
    let dir = tempfile::tempdir().unwrap();
    let r = read_two(dir.path(), &a, &b);
    let c = only_connection(&r);
    let p = &c["points"];
    points_named(p);
    assert_eq!(p["placed_whole"], false, "{p:#}");
    assert!(p["unplaced_from"].is_string() && p["unplaced_to"].is_string());
    // The session's own words say which span the counts leave out, not only -v's list.
    let cause = c["evidence"]["summary"].as_str().unwrap();
    assert!(
        cause.contains(&format!(
            "those from {} to {} not placed",
            p["unplaced_from"].as_str().unwrap(),
            p["unplaced_to"].as_str().unwrap()
        )),
        "{cause}"
    );
    assert!(p["lost_between"].as_array().unwrap().is_empty(), "{p:#}");
    let m = p["made_between"].as_array().unwrap();
    assert_eq!(m.len(), 1, "{p:#}");
    assert_eq!(
        (m[0]["kind"].as_str(), m[0]["seen_at"].as_u64()),
        (Some("rst"), Some(0))
    );
}
