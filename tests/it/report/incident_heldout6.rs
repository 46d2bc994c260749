//! Issue 102, "Prove it": a fourth fresh held-out set. fixtures/incident3/, incident4/ and
//! incident5/ became regression sets when the rules were corrected after their runs;
//! fixtures/incident6/ was recorded after (fixtures/record/incident6/record.sh: Deno's own
//! WebSocket server and client, em-websocket on Ruby, h2o as proxy, a NAT router whose
//! conntrack table is flushed, a server process frozen, a server host's link down; none
//! used by a fixture before), each expected incident written in
//! fixtures/incident6/EXPECT.json from the endpoints' logs and committed before wsclose read
//! a capture. Written before any run; the lead ran the set once, at c112fc71
//! (fixtures/incident6/HELDOUT_RUN.json, as it gave it). That run missed both Deno stated
//! decisions' refusals: right in side, code, reason, members, came back and never, but
//! their refusals went to a second incident each (the key rotation's 24 401s a
//! `rejection-loop`, the lost database's 118 503s an `overload-shedding` the expectation
//! rules out). Fixed after the run (`incident::detect::consequences`: a refusal of a
//! decision's member's client down its reconnect chain is the decision's): the set is a
//! regression set now, every capture asserted in full.

use super::heldout_set::{
    counts_as_expected, delays_as_expected, list, near, said_as_expected, the_incident,
    window_as_expected, Set,
};

use serde_json::Value;

const SET: Set = Set("incident6");

fn expect(name: &str) -> Value {
    SET.expect(name)
}

/// `name`'s JSON report.
fn report(name: &str) -> Value {
    SET.report(name).0
}

/// "Done when: the held-out half gives its kind or its stated decision without a wrong
/// kind" (`Set::no_wrong_kind`).
#[test]
fn no_capture_names_a_wrong_kind() {
    SET.no_wrong_kind(7);
}

/// A signing key rotated: the server closed all 40 sessions with 1008 'token expired:
/// signing key rotated' within 6 ms and accepted on; 32 back with the new token (median
/// 0.49 s), 8 never: their 24 upgrades refused with 401.
#[test]
fn key_rotation_1008_is_the_servers_stated_decision() {
    let name = "deno-1008-key-rotated.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "stated-decision", "{name}: {i:#}");
    said_as_expected(name, &i, &e);
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
    delays_as_expected(name, &i["reconnects"], &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// A database lost: the server closed its 20 /room/db sessions with 1011 'upstream
/// database unavailable' within 4 ms while serving the 20 /room/chat ones, and refused
/// /room/db with 503 118 times for 3 s; all 20 back (median 3.2 s).
#[test]
fn database_lost_1011_is_the_servers_stated_decision() {
    let name = "deno-1011-db-lost.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "stated-decision", "{name}: {i:#}");
    said_as_expected(name, &i, &e);
    assert_eq!(i["facts"]["served_others"], 20, "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
    delays_as_expected(name, &i["reconnects"], &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// A NAT router's conntrack table flushed: 22 of 30 sessions reset in the clients' name by
/// the router (TTL 64 where the clients' packets have 63, IP ID 0) within 0.9 s; all 22
/// back, nothing refused.
#[test]
fn conntrack_flush_is_a_middlebox_reset() {
    let name = "nat-conntrack-flush.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "middlebox-reset", "{name}: {i:#}");
    assert_eq!(i["facts"]["forged_resets"], e["ended"], "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// A server process frozen 10 s: all 30 clients closed with 4000 'no message from server
/// in 3 s' while its kernel acknowledged; 59 upgrades unanswered, nothing refused; all 30
/// back once it resumed.
#[test]
fn frozen_server_is_a_stall() {
    let name = "ruby-server-frozen.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    if i["kind"] == "server-stall" {
        assert_eq!(
            i["stall"]["upgrades_unanswered"], e["upgrades_unanswered"],
            "{name}: {i:#}"
        );
    } else {
        said_as_expected(name, &i, &e);
    }
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// A server process killed and started again 2.4 s later: its host's FIN on all 30 within
/// 2 ms, 128 connection attempts refused, 27 back, 3 never.
#[test]
fn killed_and_started_again_is_a_restart() {
    let name = "ruby-killed-restarted.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "server-restart", "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
    delays_as_expected(name, &i["reconnects"], &e);
    assert!(near(&i["down_s"], &e["down_s"]), "{name}: {i:#}");
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The controls: h2o's graceful reload (its tunnels lived on) and a server host's link
/// down 10 s (TCP carried every session through) end nothing: no incident, no doubt.
#[test]
fn controls_give_no_incident() {
    for name in ["h2o-reload-control.pcap.gz", "link-down-control.pcap.gz"] {
        let e = expect(name);
        assert_eq!(e["control"], true, "{name}");
        assert_eq!(e["expected_incidents"], 0, "{name}");
        let r = report(name);
        assert!(list(&r, "incidents").is_empty(), "{name}: {r:#}");
        assert!(list(&r, "doubts").is_empty(), "{name}: {r:#}");
    }
}
