//! A stalled server and a crash loop, recorded (issue 91 items 1 and 2): faye-websocket and
//! WebSocket-Node stopped with SIGSTOP under clients with their own keepalive (python
//! websockets, Node ws), a pause shorter than the clients' ping timeout (the control), and
//! faye-websocket stopped behind haproxy, both servers killed three times 2.5 s apart (fixtures/incident/, made by
//! fixtures/record/incident/record_stall.sh). Each verdict was written from the peers' logs
//! before wsclose read the capture (fixtures/README.md); here the incident's kind, window,
//! server, members, what came back and what was refused, in JSON and in every other format.

use crate::common::recorded::{json, one_incident_in_every_format, the_incident, within};

use serde_json::Value;

/// Seconds of the day of an RFC 3339 time ("…T14:24:24.287…Z").
fn clock(t: &Value) -> f64 {
    let s = t.as_str().unwrap();
    let (_, rest) = s.split_once('T').unwrap();
    let hms = rest.trim_end_matches('Z');
    let mut it = hms.split(':');
    let h: f64 = it.next().unwrap().parse().unwrap();
    let m: f64 = it.next().unwrap().parse().unwrap();
    let sec: f64 = it.next().unwrap().parse().unwrap();
    h * 3600.0 + m * 60.0 + sec
}

/// The connections of incident 1, and of those the members (listed by the incident).
fn linked(r: &Value) -> Vec<&Value> {
    r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["incident"] == 1)
        .collect()
}

fn has_cause(c: &Value, kind: &str) -> bool {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kind"] == kind)
}

/// faye-websocket stopped (SIGSTOP at 14:24:24.287, the log) for 14 s: 30 clients whose
/// pings went unanswered closed with 1011 over about 3 s; their next handshakes were
/// accepted in TCP and never answered; all 30 came back after the SIGCONT. A stalled
/// server, not an idle-timeout cohort.
#[test]
fn faye_stopped_is_a_stalled_server() {
    let r = json("faye-stall.pcap.gz");
    let i = the_incident(&r);
    assert_eq!(i["kind"], "server-stall");
    assert_eq!(i["server"], "127.0.0.1:19830");
    assert_eq!(i["members"], 30);
    assert_eq!(i["ended_by"], "close 1011");
    assert_eq!(i["side"], "client");
    // The clients' pings fall over their 3 s interval.
    within(&i["window_s"], 2.5..3.1);
    let st = &i["stall"];
    assert_eq!(st["pings_unanswered"], 30);
    // The capture holds 27 connections whose client's FIN came before the server's 101
    // (the logs count 30 handshake timeouts).
    assert_eq!(st["upgrades_unanswered"], 27);
    let stop = 14.0 * 3600.0 + 24.0 * 60.0 + 24.287;
    assert!(clock(&st["silent_after"]) <= stop, "{st}");
    assert!(stop <= clock(&st["first_unanswered"]) + 0.5, "{st}");
    let rc = &i["reconnects"];
    assert_eq!(
        (rc["came_back"].as_u64(), rc["never"].as_u64()),
        (Some(30), Some(0))
    );
    assert_eq!(rc["refused"], 0);
    // Every member: its client's heartbeat gave up; the unanswered upgrades are linked too.
    let l = linked(&r);
    assert_eq!(l.len(), 57);
    assert_eq!(
        l.iter()
            .filter(|c| has_cause(c, "heartbeat-timeout"))
            .count(),
        30
    );
    assert!(r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kind"] != "idle-timeout-cohort"));
}

/// WebSocket-Node stopped (SIGSTOP at 14:24:52.048) for 12 s: 30 ws clients terminated
/// after their pong timeout (no close frame), 30 handshakes unanswered, 30 came back.
#[test]
fn websocket_node_stopped_is_a_stalled_server() {
    let r = json("wsnode-stall.pcap.gz");
    let i = the_incident(&r);
    assert_eq!(i["kind"], "server-stall");
    assert_eq!(i["server"], "127.0.0.1:19831");
    assert_eq!(i["members"], 30);
    assert_eq!(i["ended_by"], "fin");
    within(&i["window_s"], 1.5..2.1);
    let st = &i["stall"];
    assert_eq!(st["pings_unanswered"], 30);
    assert_eq!(st["upgrades_unanswered"], 30);
    let stop = 14.0 * 3600.0 + 24.0 * 60.0 + 52.048;
    assert!(clock(&st["silent_after"]) <= stop, "{st}");
    assert!(stop <= clock(&st["first_unanswered"]) + 0.5, "{st}");
    let rc = &i["reconnects"];
    assert_eq!(
        (rc["came_back"].as_u64(), rc["never"].as_u64()),
        (Some(30), Some(0))
    );
    assert_eq!(rc["refused"], 0);
}

/// faye-websocket stopped the same way behind haproxy (SIGSTOP at 17:38:33.474, the log),
/// both legs captured: haproxy forwarded the clients' pings, faye's TCP acknowledged them,
/// and the 30 clients closed with 1011. The stalled server is the backend (19836), not
/// haproxy's front (19835), which went on relaying; the back legs are the members and each
/// front leg belongs to the incident with its back leg. 27 of the clients' next handshakes
/// (the log's 27 handshake timeouts) went through haproxy to the stopped backend, which
/// answered them only after the SIGCONT, when the clients had left: unanswered, not refused
/// and not come back; all 30 clients came back after it.
#[test]
fn a_backend_stopped_behind_haproxy_is_the_stalled_server() {
    let r = json("haproxy-stall.pcap.gz");
    let i = the_incident(&r);
    assert_eq!(i["kind"], "server-stall");
    assert_eq!(i["server"], "127.0.0.1:19836");
    assert_eq!(i["members"], 30);
    assert_eq!(i["ended_by"], "close 1011");
    within(&i["window_s"], 2.5..3.1);
    let st = &i["stall"];
    assert_eq!(st["pings_unanswered"], 30);
    assert_eq!(st["upgrades_unanswered"], 27);
    let stop = 17.0 * 3600.0 + 38.0 * 60.0 + 33.474;
    assert!(clock(&st["silent_after"]) <= stop, "{st}");
    assert!(stop <= clock(&st["first_unanswered"]) + 0.5, "{st}");
    let rc = &i["reconnects"];
    assert_eq!(
        (rc["came_back"].as_u64(), rc["never"].as_u64()),
        (Some(30), Some(0))
    );
    assert_eq!(rc["refused"], 0);
    // Both legs of the 30 sessions and of the 27 unanswered attempts.
    let l = linked(&r);
    assert_eq!(l.len(), 114);
    assert_eq!(
        l.iter()
            .filter(|c| c["server"] == "127.0.0.1:19836")
            .count(),
        57
    );
}

/// The control: stopped for 2 s only, less than the clients' ping timeout: no client
/// closed, no incident.
#[test]
fn a_pause_the_clients_survive_is_no_incident() {
    let r = json("faye-pause.pcap.gz");
    // No `incidents` at all (the key is left out when there are none).
    assert_eq!(
        r["incidents"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        r["incidents"]
    );
    assert_eq!(r["connections"].as_array().map(Vec::len), Some(30));
    assert!(r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"]["code"] == 1000 && c["incident"].is_null()));
}

/// faye-websocket killed at 3.03, 5.57 and 8.10 s (the log), back about a second after
/// each: one crash loop with its three stops, each with the refusals its gap had (the
/// clients logged 35, 31 and 30 refused attempts).
#[test]
fn faye_killed_three_times_is_a_crash_loop() {
    crash_loop(
        "faye-crashloop.pcap.gz",
        "127.0.0.1:19833",
        [27, 29, 28],
        [35, 31, 30],
    );
}

/// The same with WebSocket-Node and the ws clients (their logs: 31, 30 and 31 refused).
#[test]
fn websocket_node_killed_three_times_is_a_crash_loop() {
    crash_loop(
        "wsnode-crashloop.pcap.gz",
        "127.0.0.1:19834",
        [28, 29, 29],
        [31, 30, 31],
    );
}

/// faye-websocket killed behind haproxy at 17:54:19.815, :22.368 and :24.914 (the log),
/// both legs captured. haproxy held the clients' attempts and retried the backend, so the
/// refusals are haproxy's SYNs the dead backend reset (35, 30 and 30 in the capture), and
/// the clients logged 22, 30 and 30 sessions `closed 1006`. One crash loop of the backend
/// (127.0.0.1:19838, not haproxy's front), its members the back legs; before, three
/// unrelated `backend-stop`s. Each stop is down until haproxy's next back leg was
/// accepted: about 1.3 s (faye listened again 1.33, 1.32 and 1.11 s after each kill;
/// haproxy's retries come after their 1 s connect timeout).
#[test]
fn a_backend_killed_three_times_behind_haproxy_is_a_crash_loop() {
    crash_loop_down(
        "haproxy-crashloop.pcap.gz",
        "127.0.0.1:19838",
        [22, 30, 30],
        [35, 30, 30],
        1.1..1.4,
    );
}

fn crash_loop(name: &str, server: &str, members: [u64; 3], refused: [u64; 3]) {
    crash_loop_down(name, server, members, refused, 0.9..1.1);
}

/// As [`crash_loop`], each stop down for a time within `down` (seconds).
fn crash_loop_down(
    name: &str,
    server: &str,
    members: [u64; 3],
    refused: [u64; 3],
    down: std::ops::Range<f64>,
) {
    let r = json(name);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "crash-loop", "{name}");
    assert_eq!(i["server"], server);
    let total: u64 = members.iter().sum();
    assert_eq!(i["members"], total);
    assert_eq!(i["ended_by"], "fin");
    // From the first kill's FINs to the third's: 5.07 s in the logs.
    within(&i["window_s"], 5.0..5.2);
    let stops = i["stops"].as_array().unwrap();
    let each: Vec<u64> = stops
        .iter()
        .map(|s| s["members"].as_u64().unwrap())
        .collect();
    assert_eq!(each, members, "{name}");
    let each: Vec<u64> = stops
        .iter()
        .map(|s| s["refused"].as_u64().unwrap())
        .collect();
    assert_eq!(each, refused, "{name}");
    for s in stops {
        within(&s["down_s"], down.clone());
    }
    let rc = &i["reconnects"];
    assert_eq!(rc["came_back"], total);
    assert_eq!(rc["never"], 0);
    assert_eq!(rc["refused"], refused.iter().sum::<u64>());
}

/// Every format says each recording's incident: the table's summary, Markdown, HTML,
/// JSON Lines and annotate's packet comments (on the members' and the unanswered upgrades'
/// deciding packets).
#[test]
fn every_format_says_the_stall_and_the_crash_loop() {
    let cases = [
        (
            "faye-stall.pcap.gz",
            "server-stall",
            "server 127.0.0.1:19830 stopped answering",
            30,
            57,
        ),
        (
            "wsnode-stall.pcap.gz",
            "server-stall",
            "server 127.0.0.1:19831 stopped answering",
            30,
            60,
        ),
        (
            "haproxy-stall.pcap.gz",
            "server-stall",
            "server 127.0.0.1:19836 stopped answering",
            30,
            114,
        ),
        (
            "faye-crashloop.pcap.gz",
            "crash-loop",
            "server 127.0.0.1:19833 stopped 3 times",
            84,
            84,
        ),
        (
            "wsnode-crashloop.pcap.gz",
            "crash-loop",
            "server 127.0.0.1:19834 stopped 3 times",
            86,
            86,
        ),
        (
            "haproxy-crashloop.pcap.gz",
            "crash-loop",
            "server 127.0.0.1:19838 stopped 3 times",
            82,
            82,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, kind, headline, n, commented) in cases {
        one_incident_in_every_format(dir.path(), name, kind, headline, n, commented);
    }
}
