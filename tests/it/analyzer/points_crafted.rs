//! Issue 103 item 6 (THREATS kinds 3 and 4): a crafted capture cannot merge unrelated
//! sessions into one seen at two points, nor hide one. An unrelated session carrying a
//! copied handshake (the same `Sec-WebSocket-Key` and the same request and response bytes)
//! at another time or another address, in the same file or in the other point's, is not the
//! session whose handshake it copied: the two views' packets after the handshake disagree
//! (each point holds, in one direction, packets the other never saw, and nothing after the
//! handshake was seen at both). Two keys whose 32-bit hashes collide (the sixth audit) pair
//! nothing either: the pairing compares keys whole.

use super::points::{json_of, session, two_points, write_pcap, AtB, Capture};
use crate::common::collide::{colliding_keys, hash32};
use crate::common::*;
use serde_json::Value;
use wsclose::vocab::{Role, Timestamp};

const NONE: AtB = AtB {
    nat: None,
    isn_shift: 0,
};

/// An unrelated session of `client` (`port`) that copies `session()`'s handshake (its key,
/// request and response bytes), starting `after` ns after it, then says its own things
/// (`words`, none: only the handshake) and ends with FINs.
fn copied(client: [u8; 4], port: u16, after: i64, words: &[&str]) -> Session {
    let mut s = Session::new(port, 8080).client_ip(client);
    s.clock = Timestamp(T0.0 + after);
    s.open();
    for w in words {
        s.send(Role::Client, &text(Role::Client, w));
        s.send(Role::Server, &text(Role::Server, &format!("re: {w}")));
    }
    s.fins(Role::Client);
    s
}

/// Asserts `r` lists `n` connections, none of them joined with another as two points.
fn apart(r: &Value, n: usize) {
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), n, "{cs:#?}");
    for c in cs {
        assert!(c.get("points").is_none(), "joined: {c:#}");
    }
}

/// Reads `a` as client.pcap and `b` as server.pcap, in memory, from the store's file
/// and sharded alike.
fn read(a: &Capture, b: &Capture) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (
        dir.path().join("client.pcap"),
        dir.path().join("server.pcap"),
    );
    write_pcap(&pa, a);
    write_pcap(&pb, b);
    kept::same_in_memory_on_disk_and_sharded(&[pa.clone(), pb.clone()]);
    json_of(&[pa, pb])
}

/// Across files: the client's host holds the session, the server's host holds only an
/// unrelated one with its handshake copied, a minute later, behind what looks like a NAT
/// (another client address), with the same addresses (a stateful firewall's look), and
/// one that copied the handshake and said nothing after it: never one session.
#[test]
fn a_copied_handshake_in_the_other_file_joins_nothing() {
    let (a, _) = two_points(&session(), &NONE, &[], &[]);
    for (client, after, words) in [
        ([192, 0, 2, 7], 60_000_000_000, &["other", "things"][..]),
        ([10, 0, 0, 1], 100_000_000_000, &["other", "things"][..]),
        ([192, 0, 2, 7], 5_000_000, &[][..]),
    ] {
        let u = copied(client, 40_000, after, words);
        let (_, b) = two_points(&u, &NONE, &[], &[]);
        apart(&read(&a, &b), 2);
    }
}

/// In one file: an unrelated session from another port of the client's address (what a
/// box's NAT between two points of one capture looks like), with the handshake copied and
/// started with it, lives beside it: two sessions, both listed.
#[test]
fn a_copied_handshake_in_the_same_file_joins_nothing() {
    let s = session();
    let u = copied([10, 0, 0, 1], 40_001, 500_000, &["other", "things"]);
    let mut all: Capture = two_points(&s, &NONE, &[], &[]).0;
    all.extend(two_points(&u, &NONE, &[], &[]).0);
    all.sort_by_key(|p| p.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.pcap");
    write_pcap(&path, &all);
    kept::same_in_memory_on_disk_and_sharded(std::slice::from_ref(&path));
    apart(&json_of(&[path]), 2);
}

/// A session truly seen at both points and a third view carrying its key and handshake (a
/// copy at another address, in the server's file): the key three views carry pairs none,
/// and no session is hidden: three rows.
#[test]
fn a_third_copy_hides_no_session() {
    let (a, mut b) = two_points(&session(), &NONE, &[], &[]);
    let u = copied([192, 0, 2, 9], 40_002, 30_000_000_000, &["other"]);
    b.extend(two_points(&u, &NONE, &[], &[]).1);
    b.sort_by_key(|p| p.0);
    apart(&read(&a, &b), 3);
}

/// RFC 6455 §4.2.2: the `Sec-WebSocket-Accept` of `key`.
fn accept(key: &str) -> String {
    use base64::Engine as _;
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(key.as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// The sixth audit's collision, at the points: the client's host holds a session with one
/// key, the server's host (behind a NAT) one with another whose 32-bit hash is the same, at
/// the same time, saying the same: two sessions. The same key there is one (the control).
#[test]
fn keys_whose_hashes_collide_pair_nothing_at_the_points() {
    let (k1, k2) = colliding_keys();
    assert_ne!(k1, k2);
    assert_eq!(hash32(&k1), hash32(&k2));
    let keyed = |key: &str| {
        let mut s = Session::new(40_000, 8080);
        s.open_keyed(key, &accept(key));
        s.send(Role::Client, &text(Role::Client, "hello"));
        s.send(Role::Server, &text(Role::Server, "world"));
        s.fins(Role::Client);
        s
    };
    let nat = AtB {
        nat: Some([192, 0, 2, 7]),
        isn_shift: 0,
    };
    let (a, _) = two_points(&keyed(&k1), &nat, &[], &[]);
    let (_, b) = two_points(&keyed(&k2), &nat, &[], &[]);
    apart(&read(&a, &b), 2);
    let (_, same) = two_points(&keyed(&k1), &nat, &[], &[]);
    let r = read(&a, &same);
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), 1, "{cs:#?}");
    assert!(cs[0]["points"].is_object(), "{cs:#?}");
}

/// THREATS kind 5: under a small `--max-memory` the incident stage's index of endings (a
/// thirty-second of it), from which sessions are paired, keeps the first file's only; the
/// second file's views are then listed unpaired, and the report says so (a warning), not
/// silently. 3 000 sessions, each with its own key, at the two points.
#[test]
fn sessions_left_unpaired_at_the_budget_are_said() {
    use base64::Engine as _;
    let (mut a, mut b) = (Capture::new(), Capture::new());
    for i in 0..3_000u32 {
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(&i.to_le_bytes());
        raw[15] = 1; // (16 zero bytes read as no key)
        let key = base64::engine::general_purpose::STANDARD.encode(raw);
        let mut s = Session::new(20_000 + (i % 40_000) as u16, 8080).client_ip([
            10,
            1,
            (i >> 8) as u8,
            i as u8,
        ]);
        s.clock = Timestamp(T0.0 + i64::from(i) * 1_000_000);
        s.open_keyed(&key, &accept(&key));
        s.send(Role::Client, &text(Role::Client, "hi"));
        s.send(Role::Server, &text(Role::Server, "yo"));
        s.fins(Role::Client);
        let (x, y) = two_points(&s, &NONE, &[], &[]);
        a.extend(x);
        b.extend(y);
    }
    a.sort_by_key(|p| p.0);
    b.sort_by_key(|p| p.0);
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (
        dir.path().join("client.pcap"),
        dir.path().join("server.pcap"),
    );
    write_pcap(&pa, &a);
    write_pcap(&pb, &b);
    let opts = wsclose::Options {
        max_memory: 32 << 20,
        ..wsclose::Options::default()
    };
    let r = wsclose::analyze_files(&[pa.clone(), pb.clone()], opts).unwrap();
    let r = serde_json::to_value(&r).unwrap();
    let cs = r["connections"].as_array().unwrap();
    let unpaired = cs.iter().filter(|c| c.get("points").is_none()).count();
    assert!(unpaired > 0, "{} rows", cs.len());
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("listed once per point, unpaired"),
        "{warnings}"
    );
    // With room, every one is paired, and nothing is said.
    let r = serde_json::to_value(wsclose::analyze_files(&[pa, pb], Default::default()).unwrap())
        .unwrap();
    assert_eq!(r["connections"].as_array().unwrap().len(), 3_000);
    assert!(!r["warnings"].to_string().contains("unpaired"));
}
