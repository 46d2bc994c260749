//! Issue 102, "Prove it": a second fresh held-out set. fixtures/incident3/ became a
//! regression set when the rules were corrected after its run; fixtures/incident4/ was
//! recorded after those corrections (fixtures/record/incident4/record.sh: nodejs-websocket,
//! websocket-server, Node's own undici WebSocket, Caddy as proxy, a router dropping
//! everything through tc, a server host rebooted; none used by a fixture before), each
//! expected incident written in fixtures/incident4/EXPECT.json from the endpoints' logs and
//! committed (a8494a08) before wsclose read a capture, and wsclose (src/ at 88aaca79) run
//! once on each (fixtures/incident4/HELDOUT_RUN.json, kept as that run gave it). Two of the
//! first six's peers had been used by fixtures before (Node's undici client, nodejs-websocket's
//! server); the last two (websocket-server killed; a client host's process killed) use only
//! peers no fixture used, recorded and expected (7f1798c1) after the first six were run.
//!
//! The tests assert the expected answer. What differed in that run (fixtures/README.md,
//! "Held-out run (incident4)"): the rebooted server host gave a doubt of 27 instead of a
//! restart of 30 (3 refused, 27 back, 3 never); the version cut-off's stated decision held
//! 18 of its 20 closes (came back 8 of 10); Caddy's reload's jittered clients were said to
//! come "in a herd". Fixed since (issue 102's regression fixes).

use super::heldout_set::{
    counts_as_expected, delays_as_expected, list, near, the_incident, window_as_expected, Set,
};

use serde_json::Value;

const SET: Set = Set("incident4");

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
    SET.no_wrong_kind(8);
}

/// The graceful stop: 40 sessions closed by the server with 1001 'server shutting down'
/// within 7 ms, its port closed, 476 attempts refused by TCP after it, none back.
#[test]
fn sigterm_1001_is_a_server_stop_with_its_refusals() {
    let name = "njsws-sigterm-1001-stop.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "server-stop", "{name}: {i:#}");
    assert_eq!(i["side"], "server", "{name}");
    assert_eq!(i["code"], e["stated_decision"]["close_code"], "{name}");
    assert_eq!(
        i["facts"]["said"]["reason"], e["stated_decision"]["reason"],
        "{name}: {i:#}"
    );
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// Caddy's reload: its 40 client sessions closed with 1001 within 13 ms, the backend
/// running on; 36 back through the proxy (median 0.49 s, slowest 0.60 s), 4 never, none
/// refused; the back legs in no incident of their own.
#[test]
fn caddy_reload_is_a_proxy_reload() {
    let name = "caddy-reload-pyws.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "proxy-reload", "{name}: {i:#}");
    assert_eq!(i["code"], 1001, "{name}");
    counts_as_expected(name, &i, &e);
    let rc = &i["reconnects"];
    delays_as_expected(name, rc, &e);
    // Each client drew its delay from 0.3-0.6 s: jitter, no herd (the held-out run said
    // "(in a herd)" with the fix "add jitter", its spread 0.18 s under an absolute 0.25 s).
    assert_eq!(rc["herd"], false, "{name}: {rc}");
    assert!(
        !i["fix"].as_str().unwrap().contains("in a herd"),
        "{name}: {i:#}"
    );
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The router's 10 s cut: 30 sessions of the client host 10.153.0.2 ended on the wire after
/// the heal (the server's retransmissions meeting the host's resets, 17.5-18.0 s), 27 back,
/// 3 never, nothing refused. (The delays are not compared: the clients counted theirs from
/// their give-up during the cut, which the server's link does not show.)
#[test]
fn tc_partition_is_a_partition() {
    let name = "njsws-tc-partition.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "partition", "{name}: {i:#}");
    assert_eq!(i["client"], e["client_host"], "{name}");
    counts_as_expected(name, &i, &e);
    window_as_expected(name, &i, &e);
}

/// The server host's reboot: a restart of 10.154.1.2:20015, its 30 sessions reset by the
/// rebooted host as their clients next sent (7.89-11.25 s), grouped by the moment they went
/// dark together (the clients' data unacknowledged, nothing from the server host), 3
/// attempts refused after it went silent (before most of its resets), 27 back, 3 never.
/// (The held-out run gave no incident but a doubt of 27, "nothing shows the server gone":
/// the first 3 resets came 2.6 s before the others, and the 3 refusals before the 27's
/// first end.)
#[test]
fn host_reboot_is_a_server_restart() {
    let name = "pyws-host-reboot.pcap.gz";
    let e = expect(name);
    let r = report(name);
    assert_eq!(r["summary"]["by_status"]["1006"], e["ended"], "{name}");
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "server-restart", "{name}: {i:#}");
    assert_eq!(i["side"], "server", "{name}");
    counts_as_expected(name, &i, &e);
    assert_eq!(i["facts"]["server_dark"], e["ended"], "{name}: {i:#}");
    // Within the expectation's tolerance (10 % above 1 s): it says 7.89-10.995 s, but the
    // wire has the host's last 4 resets of sessions at 11.2506 s (tshark; the clients
    // logged their last close at 11.252 s): 3.36 s.
    let window =
        e["ended_window_s"][1].as_f64().unwrap() - e["ended_window_s"][0].as_f64().unwrap();
    assert!(near(&i["window_s"], &window.into()), "{name}: {i:#}");
    assert!(near(&i["down_s"], &e["down_s"]), "{name}: {i:#}");
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The version cut-off: the server's 4406 'client version 1 no longer supported: update'
/// over its 20 v1 sessions while it kept the v2 ones, 10 back, 10 never, nothing refused.
/// (The held-out run grouped 18, 8 back: the first two closes came 21 ms before the third,
/// more than a tenth of the server's usual gap between endings; one decision is no longer
/// split by a gap its server's pace would put no ending in.)
#[test]
fn version_4406_is_the_servers_stated_decision() {
    let name = "njsws-version-4406.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    let said = &e["stated_decision"];
    assert_eq!(i["kind"], "stated-decision", "{name}: {i:#}");
    assert_eq!(i["side"], said["by"], "{name}");
    assert_eq!(i["code"], said["close_code"], "{name}");
    assert_eq!(
        i["facts"]["said"]["reason"], said["reason"],
        "{name}: {i:#}"
    );
    assert!(
        i["facts"]["served_others"].as_u64().unwrap() > 0,
        "{name}: {i:#}"
    );
    counts_as_expected(name, &i, &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The control: a 1.6 s loss of every packet on the router that TCP rode out gives no
/// incident and no doubt; the 30 sessions end 1000 at the end of the run.
#[test]
fn blip_control_gives_no_incident() {
    let name = "pyws-tc-blip-control.pcap.gz";
    let e = expect(name);
    assert_eq!(e["expected_incidents"], 0);
    let r = report(name);
    assert!(list(&r, "incidents").is_empty(), "{name}: {r:#}");
    assert!(list(&r, "doubts").is_empty(), "{name}: {r:#}");
    assert_eq!(
        r["summary"]["by_status"]["1000"], e["websocket_sessions_in_capture"],
        "{name}"
    );
}

/// websocket-server killed and started again: 30 sessions ended by its host's FIN within a
/// millisecond, down 2.3 s with 125 attempts refused, 27 back (median 2.49 s), 3 never.
#[test]
fn sigkill_is_a_server_restart_with_its_refusals() {
    let name = "pyws-sigkill-restart.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "server-restart", "{name}: {i:#}");
    assert_eq!(i["side"], "server", "{name}");
    counts_as_expected(name, &i, &e);
    assert!(near(&i["down_s"], &e["down_s"]), "{name}: {i:#}");
    let rc = &i["reconnects"];
    delays_as_expected(name, rc, &e);
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// A client host's process killed: its 20 sessions ended by its kernel's FINs within 3 ms
/// while the other host's 10 lived on; all 20 back 2.3-2.7 s later; nothing refused.
#[test]
fn client_process_killed_is_a_client_drop() {
    let name = "pyws-client-host-killed.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "client-drop", "{name}: {i:#}");
    assert_eq!(i["client"], e["client_host"], "{name}");
    counts_as_expected(name, &i, &e);
    let rc = &i["reconnects"];
    assert!(
        near(&rc["median_s"], &e["reconnect_delay_s"]["median"]),
        "{name}: {rc}"
    );
    assert!(list(&r, "doubts").is_empty(), "{name}");
}
