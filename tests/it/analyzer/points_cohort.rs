//! Issue 103 item 4: incidents count a session seen at two points once, and a cohort whose
//! resets were made between the points (the server's capture holds none of them, and each
//! came with the TTL of the server's packets, so neither capture alone tells) is the path's:
//! one `middlebox-reset` of its sessions, each member's cause the points' verdict. Built in
//! code: the client's host (point A) and the server's (point B), one hop apart.

use crate::common::*;
use base64::Engine as _;
use serde_json::Value;
use sha1::Digest as _;
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{LinkType, Role, Timestamp};

/// Point B's clock less point A's, and the one-way delay between the points.
const OFFSET: i64 = 2_000_000;
const DELAY: i64 = 150_000;

fn accept(key: &str) -> String {
    let mut h = sha1::Sha1::new();
    h.update(key.as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

fn write_pcap(path: &std::path::Path, mut pkts: Vec<(Timestamp, Vec<u8>)>) {
    pkts.sort_by_key(|p| p.0);
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for (t, d) in &pkts {
        w.packet(*t, d, d.len() as u32).unwrap();
    }
    std::fs::write(path, w.into_inner()).unwrap();
}

/// `n` sessions, each its own key and client port: open, a message of the client's, then a
/// reset in the server's name that only point A saw (a box between the points made it),
/// with TTL 63, the server's packets' own there. Returns the two points' files.
fn cohort(dir: &std::path::Path, n: u16) -> [std::path::PathBuf; 2] {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for k in 0..n {
        let mut s = Session::new(41_000 + k, 8080);
        let key = base64::engine::general_purpose::STANDARD.encode([k as u8 + 1; 16]);
        s.open_keyed(&key, &accept(&key));
        s.send(Role::Client, &text(Role::Client, "hello"));
        let rst = s.rst(Role::Server);
        for p in &s.pkts {
            let mut at_a = p.data.clone();
            at_a[8] = if p.from == Role::Client { 64 } else { 63 };
            a.push((p.ts, at_a));
            if p.id == rst {
                continue;
            }
            let mut at_b = p.data.clone();
            at_b[8] = if p.from == Role::Client { 63 } else { 64 };
            let t = match p.from {
                Role::Client => p.ts.0 + DELAY + OFFSET,
                Role::Server => p.ts.0 - DELAY + OFFSET,
            };
            b.push((Timestamp(t), at_b));
        }
    }
    let pa = dir.join("client.pcap");
    let pb = dir.join("server.pcap");
    write_pcap(&pa, a);
    write_pcap(&pb, b);
    [pa, pb]
}

#[test]
fn a_cohort_reset_between_the_points_is_one_middlebox_incident_of_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let files = cohort(dir.path(), 4);
    // The same in memory, through the store's temporary file and on several threads.
    kept::same_in_memory_on_disk_and_sharded(&files);
    let r =
        serde_json::to_value(wsclose::analyze_files(&files, Options::default()).unwrap()).unwrap();
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), 4, "one row a session: {cs:#?}");
    for c in cs {
        let b = c["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "between-points")
            .unwrap_or_else(|| panic!("{:#}", c["status"]));
        assert_eq!(b["verdict"], "made-between", "{b:#}");
        assert_eq!(
            (&b["ttl"], &b["side_ttl"]),
            (&Value::from(63), &Value::from(63))
        );
    }
    let inc = r["incidents"].as_array().unwrap();
    assert_eq!(inc.len(), 1, "{inc:#?}");
    assert_eq!(inc[0]["kind"], "middlebox-reset", "{:#}", inc[0]);
    assert_eq!(inc[0]["members"], 4, "each session once: {:#}", inc[0]);
    // Its words cite the points, not the TTLs (the resets carry the server's own).
    assert_eq!(inc[0]["facts"]["made_between_points"], 4, "{:#}", inc[0]);
    let cause = inc[0]["cause"].as_str().unwrap();
    assert!(
        cause.contains("4 of the 4 sessions were seen at two points of their path")
            && cause.contains("made between the points, whatever its TTL"),
        "{cause}"
    );
    assert!(cs.iter().all(|c| c["incident"] == inc[0]["id"]), "{cs:#?}");
}
