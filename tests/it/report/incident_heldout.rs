//! Issue 102, "Prove it": a fresh held-out set. The incident rules were written looking at
//! every recording of fixtures/incident2/ and of the shared corpus; fixtures/incident3/ was
//! recorded after them (fixtures/record/incident3/record.sh: eventlet, gevent-websocket,
//! Robyn, a maintenance responder answering 503 and httpx-ws clients, none used by a
//! fixture before), each expected incident written in fixtures/incident3/EXPECT.json from
//! the endpoints' logs before wsclose read the capture, and wsclose run once on each
//! (fixtures/incident3/HELDOUT_RUN.json, kept as that run gave it). The tests here assert
//! the expectation; the five that run missed (the 401s unnamed, the 1009 group cut to 23
//! of 115, both killed servers told as the clients' 1011 decision, the 503s told as load
//! shedding) were ignored with what it gave until the rules were fixed from what TCP,
//! WebSocket and HTTP allow (issue 102's held-out items 1-4), and pass now.

use super::heldout_set::{counts_as_expected, delays_as_expected, out, window_as_expected, Set};

use serde_json::Value;

const SET: Set = Set("incident3");

fn capture(name: &str) -> std::path::PathBuf {
    SET.capture(name)
}

fn expect(name: &str) -> Value {
    SET.expect(name)
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn report(name: &str) -> (Value, String) {
    SET.report(name)
}

fn incidents(r: &Value) -> Vec<Value> {
    super::heldout_set::list(r, "incidents")
}

/// The application's token rotation: 80 sessions closed by the server with 1008 'token
/// expired' within 3 ms while it went on accepting, 80 upgrades refused (401), 72 back, 8
/// never; no restart. In JSON, the table, `-v`, Markdown and HTML.
#[test]
fn token_expiry_is_the_servers_stated_decision_with_its_refusals() {
    let name = "gevent-token-expiry-401.pcap.gz";
    let e = expect(name);
    let (r, p) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let i = &all[0];
    assert_eq!(i["kind"], "stated-decision", "{name}: {i:#}");
    assert_eq!(i["server"], e["server_address"], "{name}");
    assert_eq!(i["side"], "server", "{name}");
    assert_eq!(i["code"], 1008, "{name}");
    assert_eq!(i["facts"]["said"]["reason"], "token expired", "{name}");
    counts_as_expected(name, i, &e);
    window_as_expected(name, i, &e);
    let rc = &i["reconnects"];
    delays_as_expected(name, rc, &e);
    for args in [vec!["analyze"], vec!["analyze", "-v"]] {
        let text = flat(&out(&[&args[..], &[p.as_str()]].concat()));
        assert!(
            text.contains("Incident 1: stated-decision "),
            "{args:?}: {text}"
        );
        assert!(!text.contains("Incident 2: "), "{args:?}");
        assert!(
            text.contains("closed 80 sessions with 1008 (Policy Violation) 'token expired'"),
            "{args:?}: {text}"
        );
        assert!(text.contains("went on accepting"), "{args:?}: {text}");
        assert!(
            text.contains("80 members; came back 72, never 8, refused 80."),
            "{args:?}: {text}"
        );
    }
    for format in ["markdown", "html"] {
        let doc = flat(&out(&["analyze", "--format", format, &p]));
        assert!(doc.contains("Incident 1: stated-decision"), "{format}");
        assert!(!doc.contains("Incident 2: "), "{format}");
        assert!(
            doc.contains("closed 80 sessions with 1008 (Policy Violation)"),
            "{format}"
        );
        assert!(doc.contains("72 reconnected"), "{format}");
    }
}

/// The 80 reconnects were refused with HTTP 401 Unauthorized (the server's log, the wire);
/// the user is to be told so, in the incident's words.
#[test]
fn token_expiry_refusals_are_said_as_401() {
    let name = "gevent-token-expiry-401.pcap.gz";
    let p = capture(name).to_str().unwrap().to_string();
    let text = flat(&out(&["analyze", &p]));
    let at = text.find("Incident 1: ").expect("an incident");
    let told = &text[at..text[at..].find("Window: ").map_or(text.len(), |w| at + w)];
    assert!(told.contains("401"), "{name}: {told}");
}

/// The control: a busy, healthy Robyn whose clients end their own sessions at a steady
/// pace gives no incident in any format.
#[test]
fn steady_control_gives_no_incident() {
    let name = "robyn-steady-control.pcap.gz";
    let e = expect(name);
    let (r, p) = report(name);
    assert_eq!(incidents(&r).len(), 0, "{name}: {:#?}", r["incidents"]);
    assert_eq!(e["expected_incidents"], 0);
    assert_eq!(
        r["summary"]["connections"], e["websocket_sessions_in_capture"],
        "{name}"
    );
    for args in [vec!["analyze"], vec!["analyze", "--format", "markdown"]] {
        let text = out(&[&args[..], &[p.as_str()]].concat());
        assert!(!text.contains("Incident 1"), "{args:?}: {text}");
    }
}

/// The clients' own decision in answer to the server's one 100 000-byte message: closed
/// by the clients with 1009 'message too big', no restart, nothing refused. (Its members
/// are asserted in the ignored test below.)
#[test]
fn snapshot_1009_is_the_clients_stated_decision() {
    let name = "eventlet-snapshot-1009.pcap.gz";
    let e = expect(name);
    let (r, _) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let i = &all[0];
    assert_eq!(i["kind"], "stated-decision", "{name}: {i:#}");
    assert_eq!(i["server"], e["server_address"], "{name}");
    assert_eq!(i["side"], "client", "{name}");
    assert_eq!(i["code"], 1009, "{name}");
    assert_eq!(i["facts"]["said"]["reason"], "message too big", "{name}");
    assert_eq!(i["reconnects"]["refused"], 0, "{name}");
}

/// All 115 clients that closed 1009 within 63 ms (4.130-4.193 s) are one incident: 103
/// came back, 12 never.
#[test]
fn snapshot_1009_takes_all_115_closes() {
    let name = "eventlet-snapshot-1009.pcap.gz";
    let e = expect(name);
    let (r, _) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    counts_as_expected(name, &all[0], &e);
}

/// The server process killed: its 60 sessions ended by its host's FIN (59) and RST (1)
/// with no close frame, its port refusing (101 in TCP) and held by a maintenance responder
/// answering 503 (267) until it listened again 5.6 s later; 54 came back, 6 never. One
/// restart, not the clients' decision (their 1011 'Stream error' came after the FIN), not
/// load shedding (the 503s are the responder's 'down for maintenance').
#[test]
fn sigkill_with_maintenance_503_is_one_restart() {
    let name = "eventlet-sigkill-maintenance-503.pcap.gz";
    let e = expect(name);
    let (r, _) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let i = &all[0];
    assert_eq!(i["kind"], "server-restart", "{name}: {i:#}");
    assert_eq!(i["server"], e["server_address"], "{name}");
    assert_eq!(i["side"], "server", "{name}");
    counts_as_expected(name, i, &e);
}

/// The server process killed behind a router that rate-limits SYNs: its 90 sessions ended
/// by its host's FIN within 1.4 ms, down 2.0 s; 806 attempts refused (387 while it was
/// down, 419 after, by the router's RSTs in its name); 81 came back, 9 never.
#[test]
fn restart_behind_a_rate_limiter_is_a_restart_with_its_refusals() {
    let name = "robyn-restart-ratelimited.pcap.gz";
    let e = expect(name);
    let (r, _) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let i = &all[0];
    assert_eq!(i["kind"], "server-restart", "{name}: {i:#}");
    assert_eq!(i["server"], e["server_address"], "{name}");
    assert_eq!(i["side"], "server", "{name}");
    counts_as_expected(name, i, &e);
}

/// The application lost its upstream: 60 sessions closed by the server with 1011
/// 'upstream unavailable' within 33 ms while its process and port stayed up; 54 back, 6
/// never. (Its refusals are asserted in the ignored test below.)
#[test]
fn upstream_loss_is_the_servers_stated_decision() {
    let name = "eventlet-upstream-1011-503.pcap.gz";
    let e = expect(name);
    let (r, _) = report(name);
    let all = incidents(&r);
    let i = all
        .iter()
        .find(|i| i["kind"] == "stated-decision")
        .unwrap_or_else(|| panic!("{name}: {all:#?}"));
    assert_eq!(i["server"], e["server_address"], "{name}");
    assert_eq!(i["side"], "server", "{name}");
    assert_eq!(i["code"], 1011, "{name}");
    assert_eq!(
        i["facts"]["said"]["reason"], "upstream unavailable",
        "{name}"
    );
    assert_eq!(i["members"], e["ended"], "{name}: {i:#}");
    let rc = &i["reconnects"];
    assert_eq!(rc["came_back"], e["reconnected"], "{name}: {rc}");
    assert_eq!(rc["never"], e["never_came_back"], "{name}: {rc}");
    delays_as_expected(name, rc, &e);
    assert!(
        all.iter()
            .all(|i| !["server-restart", "server-stop"].contains(&i["kind"].as_str().unwrap())),
        "{name}: {all:#?}"
    );
}

/// The 173 upgrades refused 503 while the upstream was gone are that decision's refusals:
/// one incident, refused 173, no load shedding.
#[test]
fn upstream_loss_refusals_belong_to_its_decision() {
    let name = "eventlet-upstream-1011-503.pcap.gz";
    let e = expect(name);
    let (r, _) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    counts_as_expected(name, &all[0], &e);
}

/// The upstream loss told as what was said (issue 102 item 3: the rest said from its facts,
/// the stated decision first): its headline gives the 503s that followed the 1011s, not
/// "went on accepting"; its fix follows the code, the reason and the 503s, not 1011's
/// catalog fix for one message's exception (no close answered a message), in every format.
#[test]
fn upstream_loss_fix_follows_what_was_said() {
    let name = "eventlet-upstream-1011-503.pcap.gz";
    let (r, p) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let i = &all[0];
    let fix = i["fix"].as_str().unwrap();
    for said in ["1011 (Internal Error)", "'upstream unavailable'", "503"] {
        assert!(fix.contains(said), "{name}: {said} not in {fix}");
    }
    for generic in [
        "stack trace",
        "Catch errors per message",
        "last client message",
    ] {
        assert!(!fix.contains(generic), "{name}: {generic} in {fix}");
    }
    let text = flat(&out(&["analyze", &p]));
    let at = text.find("Incident 1: ").expect("an incident");
    let told = &text[at..];
    assert!(
        told.contains(
            "within 32 ms at 12:42:50.865, then refused upgrades with 503 and accepted sessions again 3.0 s later"
        ),
        "{name}: {told}"
    );
    assert!(!told.contains("went on accepting"), "{name}: {told}");
    for format in ["markdown", "html"] {
        let doc = flat(&out(&["analyze", "--format", format, &p]));
        assert!(doc.contains("then refused upgrades with 503"), "{format}");
        // (HTML escapes the quotes.)
        assert!(doc.contains("Restore what the server"), "{format}");
        assert!(doc.contains("reason names, "), "{format}");
    }
}

/// The rate limiter's refusals said as made between (issue 102, the TTL ask (b)): of the 806
/// attempts refused, the 754 the router's nft rule rejected (its counter: 754; tshark: 754
/// RSTs of TTL 64 and IP ID 0, where the server's SYN-ACKs arrive with TTL 63) are said to
/// come from something between, the server host's own 52 (TTL 63) not; in JSON and in the
/// headline of every format.
#[test]
fn rate_limiter_refusals_are_said_made_between() {
    let name = "robyn-restart-ratelimited.pcap.gz";
    let (r, p) = report(name);
    let all = incidents(&r);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let rc = &all[0]["reconnects"];
    assert_eq!(rc["refused"], 806, "{rc}");
    assert_eq!(rc["refused_between"], 754, "{rc}");
    assert_eq!(rc["refused_between_ttl"], 64, "{rc}");
    assert_eq!(rc["refused_between_ip_id"], 0, "{rc}");
    assert_eq!(rc["server_ttls"], serde_json::json!([63, 63]), "{rc}");
    let said = "754 of them refused by something between the clients and the server, not by its host (their RSTs' TTL 64, IP ID 0 where the server's packets arrive with 63)";
    for args in [vec!["analyze"], vec!["analyze", "--format", "markdown"]] {
        let text = flat(&out(&[&args[..], &[p.as_str()]].concat()));
        assert!(text.contains(said), "{args:?}: {text}");
        assert!(!text.contains("do not say which"), "{args:?}");
    }
    // The SIGKILL's refusals were all its own host's (TTL of its own packets on lo): none
    // said made between.
    let (r, _) = report("eventlet-sigkill-maintenance-503.pcap.gz");
    let rc = &incidents(&r)[0]["reconnects"];
    assert!(rc["refused_between"].is_null(), "{rc}");
}
