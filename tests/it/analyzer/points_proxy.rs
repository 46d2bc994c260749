//! Issue 103 item 3's proxy: a proxy between the points with its two legs captured, one at
//! each point (`fixtures/points/proxy-{client,server}.pcap`: nginx 1.22.1 on the router,
//! the client's leg in the client's file, nginx's leg to the server in the server's), is
//! named with both legs' ends from the two files, as from their merge: the legs linked by
//! their whole `Sec-WebSocket-Key` and nested handshakes across the two captures. Controls:
//! the key in a third capture too links nothing across them; a server capture whose clock
//! is 1.234567 s ahead (the handshakes no longer nest) links nothing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/points")
}

fn report(paths: &[PathBuf]) -> Value {
    let r = wsclose::analyze_files(paths, Options::default()).unwrap();
    serde_json::to_value(&r).unwrap()
}

fn of<'a>(r: &'a Value, client: &str) -> &'a Value {
    r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == client)
        .unwrap_or_else(|| panic!("no {client}: {r:#}"))
}

fn kinds(c: &Value) -> Vec<String> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The legs of the two sessions: (client's leg, nginx's leg), by the client's port and
/// nginx's port at the server's point.
fn legs(r: &Value) -> [(&Value, &Value); 2] {
    let by_server = |server: &str| {
        r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["server"] == server)
            .unwrap_or_else(|| panic!("no leg to {server}: {r:#}"))
    };
    [
        (of(r, "10.103.1.2:31341"), by_server("10.103.2.2:18341")),
        (of(r, "10.103.1.2:31342"), by_server("10.103.2.2:18342")),
    ]
}

#[test]
fn a_proxy_between_the_points_is_named_with_both_legs_ends() {
    let pair = report(&[
        dir().join("proxy-client.pcap"),
        dir().join("proxy-server.pcap"),
    ]);
    let merged = report(&[dir().join("proxy-merged.pcapng")]);
    assert_eq!(pair["connections"].as_array().unwrap().len(), 4);
    for (r, how) in [(&pair, "pair"), (&merged, "merged")] {
        for (k, (front, back)) in legs(r).into_iter().enumerate() {
            let said = format!("{how} session {k}: {front:#} {back:#}");
            assert_eq!(front["other_leg"], back["id"], "{said}");
            assert_eq!(back["other_leg"], front["id"], "{said}");
            assert_eq!(front["leg"]["side"], "front", "{said}");
            assert_eq!(back["leg"]["side"], "back", "{said}");
            assert_eq!(
                front["leg"]["proxy"],
                "10.103.1.1:".to_string() + ["8341", "8342"][k]
            );
            // The session's cause from both legs: nginx's idle timeout (python), the
            // close relayed (node).
            let want = ["proxy-idle-timeout", "relayed-close"][k];
            for leg in [front, back] {
                assert!(kinds(leg).iter().any(|x| x == want), "{want}: {said}");
                assert!(!kinds(leg).iter().any(|x| x == "abrupt-ending"), "{said}");
                // Each close frame relayed unchanged both ways (nginx's log; the merge's
                // reading): ordered by time across the two captures, not by their packet
                // numbers.
                for c in leg["status"]["causes"].as_array().unwrap() {
                    for r in c["relays"].as_array().into_iter().flatten() {
                        assert_eq!(r["how"], "unchanged", "{said}");
                    }
                }
            }
        }
    }
    // Linked across the captures, and said so.
    let (front, _) = legs(&pair)[0];
    assert_eq!(
        front["leg"]["linked_by"], "sec_websocket_key_at_two_points",
        "{front:#}"
    );
    let evidence = front["leg"]["link_evidence"].as_str().unwrap();
    assert!(evidence.contains("proxy-server.pcap"), "{evidence}");
    let cause = front["status"]["cause"].as_str().unwrap();
    assert!(
        cause.contains("idle timeout of that length (4 s)") && cause.contains("nginx 1.22.1"),
        "{cause}"
    );
}

/// Writes `src` with every timestamp `secs` later (pcap, microseconds), as `editcap -t`.
fn shifted(src: &Path, to: &Path, secs: u32) {
    let mut b = std::fs::read(src).unwrap();
    let le = b[..4] == [0xd4, 0xc3, 0xb2, 0xa1];
    assert!(le, "a little-endian microsecond pcap");
    let mut at = 24;
    while at + 16 <= b.len() {
        let s = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) + secs;
        b[at..at + 4].copy_from_slice(&s.to_le_bytes());
        let caplen = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    std::fs::write(to, b).unwrap();
}

#[test]
fn legs_at_two_points_are_linked_only_when_alone_with_their_key_and_nested() {
    // A third capture holding the same keys (the merge): the key is no longer the two
    // legs' alone, so nothing links across the captures (the merge's own legs still do).
    let three = report(&[
        dir().join("proxy-client.pcap"),
        dir().join("proxy-server.pcap"),
        dir().join("proxy-merged.pcapng"),
    ]);
    for c in three["connections"].as_array().unwrap() {
        if c["input"] != 2 {
            assert!(c["leg"].is_null(), "{c:#}");
        }
    }
    // The server's clock 2 s ahead: the handshakes do not nest by the captures' clocks,
    // and the legs' times could not be compared: not linked.
    let tmp = tempfile::tempdir().unwrap();
    let late = tmp.path().join("proxy-server-late.pcap");
    shifted(&dir().join("proxy-server.pcap"), &late, 2);
    let r = report(&[dir().join("proxy-client.pcap"), late]);
    for c in r["connections"].as_array().unwrap() {
        assert!(c["leg"].is_null(), "{c:#}");
    }
}
