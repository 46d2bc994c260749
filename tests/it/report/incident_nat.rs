//! Issue 91 item 4's recordings (fixtures/incident/nat-*, made by
//! fixtures/record/incident/record_nat.sh): one capture of both sides of a NAT router, so
//! that each session shows twice, the client's address translated on the server side. Each
//! pair is linked (`seen_at_two_points`); where the router reset the sessions in the
//! server's name (faye-websocket with Node's clients; trio-websocket at both ends), the
//! client-side views say the reset was made between the points and form one middlebox
//! incident of five sessions, not ten; the control (normal closes through the same NAT)
//! links the pairs and says nothing of a box, no incident, no reconnect.

use crate::common::recorded::{json, members, one_incident_in_every_format, the_incident, within};
use serde_json::Value;

/// The connections' `seen_at_two_points`, checked to pair them both ways: per connection
/// (by id), its twin.
fn twins(r: &Value) -> Vec<(u64, Value)> {
    let cs = r["connections"].as_array().unwrap();
    let mut out = Vec::new();
    for c in cs {
        let t = &c["seen_at_two_points"];
        assert!(t.is_object(), "every connection is seen twice: {c}");
        assert_eq!(t["translated"], "client");
        let other = &cs[t["connection"].as_u64().unwrap() as usize - 1];
        assert_eq!(other["seen_at_two_points"]["connection"], c["id"]);
        // One view from the clients' address, the other from the NAT's, same port.
        let mine = c["client"].as_str().unwrap();
        let theirs = other["client"].as_str().unwrap();
        assert_ne!(mine, theirs);
        assert_eq!(mine.rsplit(':').next(), theirs.rsplit(':').next());
        out.push((c["id"].as_u64().unwrap(), t.clone()));
    }
    out
}

fn nat_reset(name: &str, server: &str, window: std::ops::Range<f64>, refused: u64) {
    let r = json(name);
    assert_eq!(r["connections"].as_array().unwrap().len(), 20);
    let t = twins(&r);
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
        let tw = &c["seen_at_two_points"];
        assert_eq!(tw["reset_made_between"], "server", "{c}");
        assert_eq!(tw["reset_packet"], c["tcp_end_packet"]);
        // Its other view: the server-side one, in no incident, no reset of the server's.
        let other = &r["connections"][tw["connection"].as_u64().unwrap() as usize - 1];
        assert!(other["client"].as_str().unwrap().starts_with("10.92.1.1:"));
        assert!(other["incident"].is_null(), "{other}");
        assert!(other["seen_at_two_points"]["reset_made_between"].is_null());
        assert_ne!(other["tcp_end"], "rst");
    }
    // Only the five reset sessions' client-side views say a reset was made between.
    let made = t
        .iter()
        .filter(|(_, x)| !x["reset_made_between"].is_null())
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

/// The control: five sessions closed 1000 by their clients through the NAT: linked in
/// pairs, no reset made between, no incident, no reconnect.
#[test]
fn nat_close_trio_links_the_pairs_and_says_nothing_of_a_box() {
    let r = json("nat-close-trio.pcap.gz");
    assert_eq!(r["connections"].as_array().unwrap().len(), 10);
    for (_, t) in twins(&r) {
        assert!(t["reset_made_between"].is_null(), "{t}");
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
    let said = md
        .matches("shows no reset of the server's there: the reset (packet ")
        .count();
    assert!(said >= 5, "{said}: {md}");
}
