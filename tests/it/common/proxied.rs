//! The report of a proxied session's recordings in a test: `wsclose analyze --format json`
//! of fixtures, its connections, their causes and relays, and classic pcap records to cut
//! or move (`crate::diagnose::proxy_reload`, `crate::diagnose::proxy_unknown`).

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// `wsclose analyze --format json` of `names` (under fixtures/, or absolute), with extra
/// arguments.
pub fn json(names: &[&str], extra: &[&str]) -> Value {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .args(extra)
        .args(names.iter().map(|n| fixture(n)))
        .output()
        .unwrap();
    serde_json::from_slice(&super::run::stdout_of(out)).unwrap()
}

pub fn conns(r: &Value) -> &Vec<Value> {
    r["connections"].as_array().unwrap()
}

pub fn kinds(c: &Value) -> Vec<&str> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect()
}

pub fn cause<'a>(c: &'a Value, kind: &str) -> &'a Value {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {}", c["status"]))
}

pub fn text(c: &Value) -> &str {
    c["status"]["cause"].as_str().unwrap()
}

/// The `relayed-close` cause's relays of connection `c`: (how, packet, the packet it went
/// to).
pub fn relays(c: &Value) -> Vec<(&str, u64, Option<u64>)> {
    cause(c, "relayed-close")["relays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["how"].as_str().unwrap(),
                x["packet"].as_u64().unwrap(),
                x["to_packet"].as_u64(),
            )
        })
        .collect()
}

/// The records of a classic pcap file: its global header, and each record's header and
/// bytes.
pub fn pcap_records(bytes: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian, microseconds"
    );
    let mut at = 24;
    let mut records = Vec::new();
    while at < bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        records.push(bytes[at..at + 16 + caplen].to_vec());
        at += 16 + caplen;
    }
    (bytes[..24].to_vec(), records)
}

/// A record's time in microseconds, and set.
pub fn record_us(r: &[u8]) -> u64 {
    let s = u32::from_le_bytes(r[0..4].try_into().unwrap()) as u64;
    s * 1_000_000 + u32::from_le_bytes(r[4..8].try_into().unwrap()) as u64
}

pub fn set_record_us(r: &mut [u8], us: u64) {
    r[0..4].copy_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
    r[4..8].copy_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
}

/// The capture at fixtures/`name` (a classic little-endian pcap) cut after its record
/// `keep`, written beside the test binaries' temporary files; its path.
pub fn pcap_first(name: &str, keep: usize) -> String {
    let (head, records) = pcap_records(&std::fs::read(fixture(name)).unwrap());
    let p = format!(
        "{}/{}-first-{keep}",
        env!("CARGO_TARGET_TMPDIR"),
        name.replace('/', "-")
    );
    std::fs::write(&p, [head, records[..keep].concat()].concat()).unwrap();
    p
}
