//! The incidents of issue 91's path recordings (fixtures/incident/, made by
//! fixtures/record/incident/record_path.sh): resets an nft router made in the server's
//! name (faye-websocket with Node's own WebSocket clients; trio-websocket at both ends),
//! and a backend killed behind haproxy. Each verdict was written from the peers' logs
//! before wsclose read the capture (fixtures/README.md); here the incident's kind, window,
//! server, members and who came back, in JSON, and the incident in every other format.

use crate::common::recorded::{
    json, members, one_incident_in_every_format, run_ok, the_incident, within,
};

use serde_json::Value;

fn has_cause(c: &Value, kind: &str) -> bool {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kind"] == kind)
}

/// A middlebox recording: one `middlebox-reset` of `n` sessions to `server` (not a
/// restart, not a client host's drop), each member ended by an RST in the server's name
/// that `reset-not-from-peer` tells from the server's own packets, all back, `refused`
/// attempts reset by the router while its rule stood.
fn middlebox(name: &str, server: &str, window: std::ops::Range<f64>, refused: u64) {
    let r = json(name);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "middlebox-reset", "{i}");
    assert_eq!(i["server"], server);
    assert_eq!(i["members"], 30);
    assert_eq!(i["ended_by"], "rst");
    assert_eq!(i["side"], "server");
    within(&i["window_s"], window);
    let back = &i["reconnects"];
    assert_eq!(back["came_back"], 30);
    assert_eq!(back["never"], 0);
    // The clients' attempts while the rule stood: each SYN answered by the router's RST
    // (the logs' failed attempts).
    assert_eq!(back["refused"], refused);
    // One client host with 30 sessions open at once: which client came back, not sure.
    assert_eq!(back["same_host"], 30);
    // The rule stood 4 s; the last member ended 0.4 to 0.9 s into it.
    within(&i["down_s"], 2.5..3.6);
    let m = members(&r);
    assert_eq!(m.len(), 30);
    for c in &m {
        assert!(has_cause(c, "reset-not-from-peer"), "{c}");
        assert_eq!(c["status"]["code"], 1006);
    }
}

/// faye-websocket behind the router, Node's WebSocket clients: the log's 30 closes 1006
/// within 0.373 s, none seen by the server, 63 failed attempts, all 30 back 3.1–4.3 s
/// after.
#[test]
fn middlebox_faye_is_one_middlebox_reset() {
    middlebox("middlebox-faye.pcap.gz", "10.91.1.2:19901", 0.36..0.39, 63);
}

/// trio-websocket at both ends: 30 closes 1006 within 0.875 s, 69 failed handshakes, all
/// back.
#[test]
fn middlebox_trio_is_one_middlebox_reset() {
    middlebox("middlebox-trio.pcap.gz", "10.91.1.2:19902", 0.86..0.89, 69);
}

/// haproxy in front of faye-websocket (19904) and trio-websocket (19905), 30 clients round
/// robin; the faye backend killed: its 15 back legs ended by its FIN within a millisecond,
/// haproxy ended their front legs, each client came back through the front to trio (the
/// log: 15 second attempts opened, 15 "+1" redispatches after a refused try at faye).
#[test]
fn lb_drain_is_a_backend_stop_all_came_back_through_the_front() {
    let r = json("lb-drain.pcap.gz");
    let i = the_incident(&r);
    assert_eq!(i["kind"], "backend-stop", "{i}");
    assert_eq!(i["server"], "127.0.0.1:19904");
    assert_eq!(i["members"], 15);
    assert_eq!(i["ended_by"], "fin");
    within(&i["window_s"], 0.0..0.01);
    let back = &i["reconnects"];
    assert_eq!(back["came_back"], 15, "{i}");
    assert_eq!(back["never"], 0);
    // haproxy's attempts at the dead backend, refused, before it redispatched.
    assert_eq!(back["refused"], 15);
    within(&back["median_s"], 1.0..1.6);
    // The members are the back legs (their client the proxy), of the killed backend.
    let m = members(&r);
    assert_eq!(m.len(), 15);
    for c in &m {
        assert_eq!(c["server"], "127.0.0.1:19904", "{c}");
    }
}

/// The controls of this file's rules on the recordings of other kinds: no earlier
/// recording has a reset not from its peer in a burst or a backend behind a proxy stopped
/// (their verdicts are pinned in incident_recordings.rs); the path fixture with one forged
/// RST (fixtures/path/forged-rst.pcap) is one session: no incident.
#[test]
fn one_forged_reset_is_no_incident() {
    let p = format!(
        "{}/fixtures/path/forged-rst.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let r: Value = serde_json::from_str(&run_ok(&["analyze", "--format", "json", &p])).unwrap();
    assert!(
        r["incidents"].as_array().is_none_or(|v| v.is_empty()),
        "{r}"
    );
    // The forged reset named once: the capture holds the session at two interfaces, so
    // the points' verdict (made between them) says it, in place of the TTL's reading.
    assert!(r["connections"].as_array().unwrap().iter().any(|c| {
        has_cause(c, "between-points")
            && c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["verdict"] == "made-between")
            && !has_cause(c, "reset-not-from-peer")
    }));
}

/// Every format says each recording's incident: the table, Markdown, HTML, JSON Lines and
/// annotate's comment on each member's deciding packet.
#[test]
fn every_format_says_the_path_incidents() {
    let cases = [
        (
            "middlebox-faye.pcap.gz",
            "middlebox-reset",
            "resets made between the peers (not by the side they name) ended sessions to 10.91.1.2:19901",
            30,
        ),
        (
            "middlebox-trio.pcap.gz",
            "middlebox-reset",
            "resets made between the peers (not by the side they name) ended sessions to 10.91.1.2:19902",
            30,
        ),
        (
            "lb-drain.pcap.gz",
            "backend-stop",
            "backend 127.0.0.1:19904 behind a proxy or load balancer stopped",
            15,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, kind, headline, n) in cases {
        let flat = one_incident_in_every_format(dir.path(), name, kind, headline, n, n as usize);
        assert!(!flat.contains("restarted"), "{name}");
    }
}
