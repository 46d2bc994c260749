//! Issue 91 item 4's recordings (fixtures/incident/nat-*, made by
//! fixtures/record/incident/record_nat.sh): one capture of both sides of a NAT router, so
//! that each session shows twice, the client's address translated on the server side. Each
//! session is one row with its two points (issue 103: `points`, the second point's client
//! the NAT's address, same port); where the router reset the sessions in the server's name
//! (faye-websocket with Node's clients; trio-websocket at both ends), the reset the
//! client's point saw is made between the points (the server's point never saw it sent)
//! and the five sessions form one middlebox incident; the control (normal closes through
//! the same NAT) has its points and says nothing of a box, no incident, no reconnect.

use crate::common::recorded::{json, members, one_incident_in_every_format, the_incident, within};
use serde_json::Value;

/// Each connection's `points`, checked: two, the client's address translated by the NAT
/// (the same port), the first point nearer the client.
fn points(r: &Value) -> Vec<Value> {
    let cs = r["connections"].as_array().unwrap();
    let mut out = Vec::new();
    for c in cs {
        let p = &c["points"];
        assert!(p.is_object(), "every session is seen at two points: {c}");
        assert_eq!(p["translated"], "client");
        let pts = p["points"].as_array().unwrap();
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0]["client"], c["client"]);
        assert_eq!(pts[0]["nearer"], "client");
        assert_eq!(pts[1]["nearer"], "server");
        // One view from the clients' address, the other from the NAT's, same port.
        let mine = pts[0]["client"].as_str().unwrap();
        let theirs = pts[1]["client"].as_str().unwrap();
        assert_ne!(mine, theirs);
        assert!(theirs.starts_with("10.92.1.1:"), "{theirs}");
        assert_eq!(mine.rsplit(':').next(), theirs.rsplit(':').next());
        assert!(c["seen_at_two_points"].is_null(), "{c}");
        out.push(p.clone());
    }
    out
}

fn nat_reset(name: &str, server: &str, window: std::ops::Range<f64>, refused: u64) {
    let r = json(name);
    assert_eq!(r["connections"].as_array().unwrap().len(), 10);
    let p = points(&r);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "middlebox-reset", "{i}");
    assert_eq!(i["server"], server);
    assert_eq!(i["members"], 5);
    assert_eq!(i["client"], "10.92.0.2");
    within(&i["window_s"], window);
    assert_eq!(i["reconnects"]["came_back"], 5);
    assert_eq!(i["reconnects"]["never"], 0);
    assert_eq!(i["reconnects"]["refused"], refused);
    let m = members(&r);
    assert_eq!(m.len(), 5);
    for c in &m {
        assert!(
            c["client"].as_str().unwrap().starts_with("10.92.0.2:"),
            "{c}"
        );
        // The reset the client's point saw in the server's name, made between the points.
        let made = c["points"]["made_between"].as_array().unwrap();
        assert!(
            made.iter().any(|x| x["kind"] == "rst"
                && x["from"] == "server"
                && x["seen_at"] == 0
                && x["packet"] == c["tcp_end_packet"]),
            "{c}"
        );
    }
    // Only the five reset sessions say a reset was made between.
    let made = p
        .iter()
        .filter(|x| !x["made_between"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(made, 5);
}

/// faye-websocket and Node's clients: the logs' five 1006 closes within 25 ms, ten failed
/// attempts, all five back.
#[test]
fn nat_reset_faye_is_one_middlebox_reset_seen_at_two_points() {
    nat_reset("nat-reset-faye.pcap.gz", "10.92.1.2:19921", 0.02..0.04, 10);
}

/// trio-websocket at both ends: five 1006 within 75 ms, six `HandshakeError`, all back.
#[test]
fn nat_reset_trio_is_one_middlebox_reset_seen_at_two_points() {
    nat_reset("nat-reset-trio.pcap.gz", "10.92.1.2:19922", 0.06..0.09, 6);
}

/// The control: five sessions closed 1000 by their clients through the NAT: each one row
/// with its two points, every packet seen at both, no incident, no reconnect.
#[test]
fn nat_close_trio_links_the_pairs_and_says_nothing_of_a_box() {
    let r = json("nat-close-trio.pcap.gz");
    assert_eq!(r["connections"].as_array().unwrap().len(), 5);
    for p in points(&r) {
        assert!(p["made_between"].as_array().unwrap().is_empty(), "{p}");
        assert!(p["lost_between"].as_array().unwrap().is_empty(), "{p}");
        assert_eq!(p["not_placed"], 0, "{p}");
    }
    assert_eq!(r["incidents"].as_array().map_or(0, Vec::len), 0);
    for c in r["connections"].as_array().unwrap() {
        assert!(c["reconnect"].is_null() && c["replaces"].is_null(), "{c}");
        assert_eq!(c["status"]["code"], 1000);
    }
}

/// Every format says the incident of the faye recording; Markdown each member's other
/// point.
#[test]
fn nat_reset_faye_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let flat = one_incident_in_every_format(
        dir.path(),
        "nat-reset-faye.pcap.gz",
        "middlebox-reset",
        "resets made between the peers (not by the side they name) ended sessions to 10.92.1.2:19921",
        5,
        5,
    );
    assert!(flat.contains("Incident 1: middlebox-reset"), "{flat}");
    // Each member's evidence says what the other point showed, in Markdown whole.
    let md = crate::common::recorded::run_ok(&[
        "analyze",
        "--format",
        "markdown",
        &crate::common::recorded::path("nat-reset-faye.pcap.gz"),
    ]);
    let said = md.matches("a reset in the server's name (packet ").count();
    assert!(said >= 5, "{said}: {md}");
}
