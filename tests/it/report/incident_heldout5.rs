//! Issue 102, "Prove it": a third fresh held-out set. fixtures/incident3/ and incident4/
//! became regression sets when the rules were corrected after their runs;
//! fixtures/incident5/ was recorded after (fixtures/record/incident5/record.sh: Bun's own
//! WebSocket server, OpenJDK 17's own WebSocket client, nghttpx as proxy, a client host's
//! application frozen, a supervisor restarting a crashing server; none used by a fixture
//! before), each expected incident written in fixtures/incident5/EXPECT.json from the
//! endpoints' logs and committed (0856ee57) before wsclose read a capture, and wsclose
//! (src/ at 0ee3815b) run once on each (fixtures/incident5/HELDOUT_RUN.json, kept as that
//! run gave it, e75b5779).
//!
//! The tests asserted what that run got right: the kinds and counts EXPECT.json says, where
//! the run gave them (fixtures/README.md, "Held-out run (incident5)"). Its misses: the
//! restart onto another port was told a `server-stop` (its 36 clients counted as come back
//! elsewhere); nghttpx's 150 upgrades refused with 502 while its backend was down were
//! counted as 1 refusal; the frozen client host's 20 sessions ended by the server's idle
//! timeout gave a doubt (`few-of-open`), no incident. All three were fixed after (issue
//! 102; src/incident/tests/heldout5.rs; the third by the idle age measured from the
//! client's silence, `Ending::idle_age_ms`) and are asserted as EXPECT.json says: a
//! regression set now.

use super::heldout_set::{counts_as_expected, list, near, out, the_incident, Set};

use serde_json::Value;

const SET: Set = Set("incident5");

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

/// Bun shedding half its sessions: 20 of 40 closed with 1013 'overloaded: try again later'
/// within 6 ms while it served the other 20; all 20 back (median 1.67 s), nothing refused.
#[test]
fn shed_1013_half_is_overload_shedding() {
    let name = "bun-shed-1013-half.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "overload-shedding", "{name}: {i:#}");
    assert_eq!(i["side"], "server", "{name}");
    assert_eq!(i["code"], e["stated_decision"]["close_code"], "{name}");
    assert_eq!(
        i["facts"]["said"]["reason"], e["stated_decision"]["reason"],
        "{name}: {i:#}"
    );
    assert_eq!(i["facts"]["served_others"], 20, "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    assert!(
        near(
            &i["reconnects"]["median_s"],
            &e["reconnect_delay_s"]["median"]
        ),
        "{name}: {i:#}"
    );
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The backend behind nghttpx killed and started again 2 s later: a `backend-stop`, its 40
/// back legs ended by its host's FIN, 36 back, 4 never, down about 2.2 s; the 150 upgrades
/// nghttpx answered 502 while it was down its refusals (a miss of the held-out run, which
/// counted 1, fixed after); the clients back to the same backend, never "another".
#[test]
fn backend_killed_behind_nghttpx_is_a_backend_stop() {
    let name = "nghttpx-backend-killed.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "backend-stop", "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    let rc = &i["reconnects"];
    assert_eq!(
        rc["refused_http"], e["refused_detail"]["http_502"],
        "{name}: {rc}"
    );
    assert_eq!(rc["refused_status"], 502, "{name}: {rc}");
    let cause = i["cause"].as_str().unwrap_or_default();
    assert!(!cause.contains("another backend"), "{name}: {cause}");
    assert!(
        cause.contains("the same backend once it was back"),
        "{name}: {cause}"
    );
    assert!(near(&i["down_s"], &e["down_s"]), "{name}: {i:#}");
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The restart onto another port (a miss of the held-out run, a `server-stop`, fixed
/// after: issue 102, 1012 is Service Restart): the 40 sessions closed with 1012 'service
/// restart: moving to port 20035', a `server-restart` whose row holds by the restart stated
/// and its clients back at another address; 36 counted as come back at 127.0.0.1:20035, 4
/// never, nothing refused; its headline says where it moved, and no "down".
#[test]
fn moved_port_1012_is_a_restart_that_moved() {
    let name = "bun-1012-moved-port.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "server-restart", "{name}: {i:#}");
    assert_eq!(i["server"], e["server_address"], "{name}: {i:#}");
    assert_eq!(i["code"], e["stated_decision"]["close_code"], "{name}");
    assert_eq!(
        i["facts"]["said"]["reason"], e["stated_decision"]["reason"],
        "{name}: {i:#}"
    );
    assert_eq!(i["facts"]["restart_stated"], true, "{name}: {i:#}");
    assert_eq!(i["members"], e["ended"], "{name}: {i:#}");
    let rc = &i["reconnects"];
    assert_eq!(rc["elsewhere"], e["reconnected"], "{name}: {rc}");
    assert_eq!(rc["elsewhere_server"], e["new_address"], "{name}: {rc}");
    assert_eq!(rc["never"], e["never_came_back"], "{name}: {rc}");
    assert_eq!(
        rc["refused"], e["refused_connection_attempts"],
        "{name}: {rc}"
    );
    let cause = i["cause"].as_str().unwrap_or_default();
    assert!(
        !cause.contains("accepted no new session"),
        "{name}: {cause}"
    );
    // The table's headline: where it moved, no "down".
    let text = out(&["analyze", SET.capture(name).to_str().unwrap()]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = text.find("Incident 1: ").expect("an incident");
    let told = &text[at..];
    // Its headline: to the end of who never came back.
    let told = &told[..told.find("never came back").expect("its headline")];
    let moved = format!(
        "server 127.0.0.1:20034 restarted at 18:48:32.299 and moved to {}",
        e["new_address"].as_str().unwrap()
    );
    assert!(told.contains(&moved), "{name}: {told}");
    assert!(!told.contains("down"), "{name}: {told}");
}

/// A client host's application shutting down: its 20 sessions closed with 1001 'client
/// shutting down' within 25 ms, the server serving the other host's 10; all 20 back.
#[test]
fn client_shutdown_1001_is_the_clients_stated_decision() {
    let name = "java-client-shutdown-1001.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    let said = &e["stated_decision"];
    assert_eq!(i["side"], said["by"], "{name}: {i:#}");
    assert_eq!(i["code"], said["close_code"], "{name}");
    assert_eq!(
        i["facts"]["said"]["reason"], said["reason"],
        "{name}: {i:#}"
    );
    assert_eq!(i["client"], e["client_host"], "{name}");
    counts_as_expected(name, &i, &e);
    let window =
        e["ended_window_s"][1].as_f64().unwrap() - e["ended_window_s"][0].as_f64().unwrap();
    assert!(
        (i["window_s"].as_f64().unwrap() - window).abs() < 0.1,
        "{name}: {i:#}"
    );
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// A frozen client host's sessions ended by the server's idle timeout (Bun's, a ping then
/// its FIN at one sweep of its timer, 8.105-8.112 s): an `idle-timeout-cohort` of the
/// server, its 20 members all of 10.165.0.2, each client silent since before the server's
/// unanswered ping (5.2-6.2 s) while the other host's 10 sessions were served on; 18 back,
/// 2 never, nothing refused; no doubt. (The held-out run gave a doubt, `few-of-open`, and
/// no incident: a miss, fixed after, issue 102.)
#[test]
fn frozen_client_host_is_an_idle_cohort_of_that_host() {
    let name = "bun-client-frozen-idle.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "idle-timeout-cohort", "{name}: {i:#}");
    assert_eq!(i["side"], "server", "{name}: {i:#}");
    assert_eq!(i["ended_by"], "fin", "{name}: {i:#}");
    assert_eq!(i["server"], e["server_address"], "{name}: {i:#}");
    assert_eq!(i["client"], e["client_host"], "{name}: {i:#}");
    assert_eq!(i["facts"]["hosts"], 1, "{name}: {i:#}");
    assert_eq!(i["facts"]["same_idle_age"], true, "{name}: {i:#}");
    assert_eq!(i["facts"]["served_others"], 10, "{name}: {i:#}");
    let idle = i["idle_s"].as_f64().unwrap();
    assert!((5.0..6.5).contains(&idle), "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    assert!(
        near(
            &i["reconnects"]["median_s"],
            &e["reconnect_delay_s"]["median"]
        ),
        "{name}: {i:#}"
    );
    assert!(list(&r, "doubts").is_empty(), "{name}");
    assert_eq!(r["summary"]["by_status"]["1006"], e["ended"], "{name}");
}

/// The poison-message crash loop: three stops of 30 sessions each by the host's FIN,
/// 48, 48 and 44 SYNs refused, every client back each time.
#[test]
fn poison_message_is_a_crash_loop() {
    let name = "bun-poison-crash-loop.pcap.gz";
    let e = expect(name);
    let r = report(name);
    let i = the_incident(name, &r, &e);
    assert_eq!(i["kind"], "crash-loop", "{name}: {i:#}");
    counts_as_expected(name, &i, &e);
    let stops = list(&i, "stops");
    let want = e["stops"].as_array().unwrap();
    assert_eq!(stops.len(), want.len(), "{name}: {i:#}");
    for (s, w) in stops.iter().zip(want) {
        assert_eq!(s["members"], w["ended"], "{name}: {s}");
        assert_eq!(s["refused"], w["refused"], "{name}: {s}");
        let down = w["listening_again_s"].as_f64().unwrap() - w["at_s"].as_f64().unwrap();
        assert!(near(&s["down_s"], &down.into()), "{name}: {s}");
    }
    assert!(list(&r, "doubts").is_empty(), "{name}");
}

/// The control: a server whose normal way is to end each session 5 s after its open with
/// 4000 gives no incident and no doubt.
#[test]
fn lifetime_control_gives_no_incident() {
    let name = "bun-lifetime-control.pcap.gz";
    let e = expect(name);
    assert_eq!(e["expected_incidents"], 0);
    let r = report(name);
    assert!(list(&r, "incidents").is_empty(), "{name}: {r:#}");
    assert!(list(&r, "doubts").is_empty(), "{name}: {r:#}");
    assert_eq!(
        r["summary"]["connections"], e["websocket_sessions_in_capture"],
        "{name}"
    );
}
