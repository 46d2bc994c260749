//! The application protocols of real sessions (fixtures/app, recorded from socket.io 4.8.4,
//! graphql-ws 5.16.2 and mosquitto 2.0.11 with paho-mqtt 2.2.0; what each endpoint logged
//! is in the .log beside each capture): the report names the application's own reason for
//! each ending, in JSON, the table and Markdown, and `--redact` keeps the cause but not the
//! client's identity.

mod clients;
mod eio3;
mod graphql;
mod graphql_legacy;
mod mqtt;
mod rabbitmq;
mod rails;
mod refusals;
mod socketio_py;
mod sockjs;
mod wamp;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::app as fixture;
use fixture::{json, path as fixture};

/// (protocol, ended_by, cause, evidence) of connection `i` (0-based).
fn app(r: &Value, i: usize) -> (String, Value, Value, Value) {
    let a = &r["connections"][i]["application"];
    (
        a["protocol"].as_str().unwrap_or("none").to_string(),
        a["ended_by"].clone(),
        a["cause"].clone(),
        a["evidence"].clone(),
    )
}

#[test]
fn each_fixture_gets_the_cause_its_endpoints_logged() {
    // (fixture, connection, protocol, ended by, cause): the cause is what the library
    // logged on the side that ended it (see the .log files).
    let cases = [
        (
            "socketio-ping-timeout.pcap",
            0,
            "socket.io",
            "client",
            "ping timeout",
        ),
        (
            "socketio-server-disconnect.pcap",
            0,
            "socket.io",
            "server",
            "io server disconnect",
        ),
        (
            "socketio-client-disconnect.pcap",
            0,
            "socket.io",
            "client",
            "io client disconnect",
        ),
        (
            "socketio-connect-error.pcap",
            0,
            "socket.io",
            "server",
            "connect error",
        ),
        (
            "graphql-init-timeout.pcap",
            0,
            "graphql-transport-ws",
            "server",
            "connection initialisation timeout",
        ),
        (
            "graphql-duplicate-id.pcap",
            0,
            "graphql-transport-ws",
            "server",
            "subscriber already exists",
        ),
        (
            "graphql-legacy-client.pcap",
            0,
            "graphql-transport-ws",
            "server",
            "protocol mismatch",
        ),
        (
            "mqtt-normal-disconnect.pcap",
            0,
            "MQTT",
            "client",
            "client disconnected",
        ),
        (
            "mqtt-not-authorized.pcap",
            0,
            "MQTT",
            "server",
            "connection refused: not authorized",
        ),
        (
            "mqtt-taken-over-v311.pcap",
            0,
            "MQTT",
            "server",
            "session taken over",
        ),
        (
            "mqtt-taken-over-v5.pcap",
            0,
            "MQTT",
            "server",
            "session taken over",
        ),
        (
            "mqtt-v5-disconnect-will.pcap",
            0,
            "MQTT",
            "client",
            "disconnect with will message",
        ),
        (
            "stomp-missed-heartbeat.pcap",
            0,
            "STOMP",
            "server",
            "missed heart-beats",
        ),
        (
            "stomp-error-frame.pcap",
            0,
            "STOMP",
            "server",
            "error frame",
        ),
        (
            "stomp-disconnect.pcap",
            0,
            "STOMP",
            "client",
            "client disconnected",
        ),
        (
            "ocpp-boot-rejected.pcap",
            0,
            "OCPP-J",
            "server",
            "boot rejected",
        ),
        (
            "ocpp-callerror.pcap",
            0,
            "OCPP-J",
            "server",
            "CALLERROR NotImplemented",
        ),
    ];
    for (name, i, protocol, by, cause) in cases {
        let r = json(name, &[]);
        let (p, b, c, ev) = app(&r, i);
        assert_eq!(p, protocol, "{name}");
        assert_eq!(b, by, "{name}");
        assert_eq!(c, cause, "{name}");
        assert!(!ev.as_array().unwrap().is_empty(), "{name}: no evidence");
    }
}

/// The application's cause is one of the status's causes, after the WebSocket's own, and
/// its reading replaces the code's generic one.
#[test]
fn the_application_cause_is_a_status_cause() {
    let r = json("socketio-ping-timeout.pcap", &[]);
    let st = &r["connections"][0]["status"];
    let kinds: Vec<&str> = st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["empty-close-frame", "application", "close-reply"]);
    let a = &st["causes"][1];
    assert_eq!(a["protocol"], "socket.io");
    assert_eq!(a["cause"], "ping timeout");
    assert_eq!(a["ended_by"], "client");
    assert_eq!(
        a["evidence"],
        r["connections"][0]["application"]["evidence"]
    );
    assert_eq!(st["fix"], r["connections"][0]["application"]["fix"]);
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains("socket.io: the client's application ended the session, \"ping timeout\""),
        "{cause}"
    );
    // 1005's generic reading (a library that closes without a code) is left out.
    assert!(
        !cause.contains("The peer closed without giving a code"),
        "{cause}"
    );
    // A takeover found across connections is in the status too.
    let r = json("mqtt-taken-over-v5.pcap", &[]);
    let causes = r["connections"][0]["status"]["causes"].to_string();
    assert!(
        causes.contains("\"cause\":\"session taken over\""),
        "{causes}"
    );
}

/// stomp-broker-js closed on the client's missed heart-beats (500 ms, plus its 500 ms
/// margin) while the client was paused; the client's beat after it resumed (packet 16,
/// after the broker's close) is not the last one the broker heard.
#[test]
fn the_stomp_heart_beat_is_measured_up_to_the_end() {
    let r = json("stomp-missed-heartbeat.pcap", &[]);
    let a = &r["connections"][0]["application"];
    assert_eq!(a["evidence"], serde_json::json!([12, 14]));
    assert_eq!(a["heartbeat"]["interval_ms"], 500);
    let summary = a["summary"].as_str().unwrap();
    assert!(
        summary.contains("after its last frame at packet 12 the server heard nothing for 994 ms"),
        "{summary}"
    );
}

#[test]
fn the_socketio_ping_timeout_names_its_packets_and_timer() {
    let r = json("socketio-ping-timeout.pcap", &[]);
    let a = &r["connections"][0]["application"];
    let summary = a["summary"].as_str().unwrap();
    assert!(
        summary.contains("pingInterval + pingTimeout = 500 ms"),
        "{summary}"
    );
    assert!(summary.contains("went unanswered"), "{summary}");
    assert_eq!(a["heartbeat"]["interval_ms"], 300);
    assert_eq!(a["heartbeat"]["timeout_ms"], 200);
    assert_eq!(a["version"], "engine.io 4");
    assert_eq!(a["recognized_by"], "request target: EIO=4");
}

#[test]
fn a_takeover_links_both_connections_and_redact_hides_the_client_id() {
    let r = json("mqtt-taken-over-v311.pcap", &[]);
    let related = |r: &Value, i: usize| r["connections"][i]["application"]["related"][0].clone();
    assert_eq!(related(&r, 0)["value"], "shared-id");
    assert_eq!(related(&r, 0)["connections"], serde_json::json!([2]));
    assert_eq!(related(&r, 1)["connections"], serde_json::json!([1]));
    let red = json("mqtt-taken-over-v311.pcap", &["--redact"]);
    assert_eq!(app(&red, 0).2, "session taken over");
    let text = serde_json::to_string(&red).unwrap();
    assert!(!text.contains("shared-id"), "{text}");
}

#[test]
fn a_session_upgraded_from_long_polling_names_its_polling_connections() {
    // socket.io-client's default transports: the handshake GET over HTTP long-polling
    // (its OPEN at packet 6: sid, pingInterval 300, pingTimeout 200), a POST and GETs with
    // the sid, then the WebSocket with the same sid, its UPGRADE at packet 60.
    let name = "socketio-polling-server-disconnect.pcap";
    let sid = "bGergOWlwt4E0QNcAAAA";
    let r = json(name, &[]);
    assert_eq!(r["connections"].as_array().map(Vec::len), Some(1));
    assert_eq!(app(&r, 0).2, "io server disconnect");
    let a = &r["connections"][0]["application"];
    let id = &a["related"][0];
    assert_eq!(
        (id["kind"].as_str(), id["value"].as_str()),
        (Some("socket.io-sid"), Some(sid))
    );
    assert_eq!(id["upgrade_packet"], 60);
    let firsts: Vec<u64> = id["polling"]
        .as_array()
        .expect("polling connections")
        .iter()
        .map(|p| p["first_packet"].as_u64().unwrap())
        .collect();
    assert_eq!(firsts, [1, 11, 17, 40, 43]);
    assert_eq!(id["polling"][0]["open_packet"], 6);
    assert_eq!(id["polling"][0]["last_response"], 6);
    assert_eq!(a["heartbeat"]["interval_ms"], 300);
    assert_eq!(a["heartbeat"]["timeout_ms"], 200);
    let summary = a["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("began on HTTP long-polling as engine.io session \"{sid}\": 5 polling connections (from packets 1, 11, 17, 40, 43); the last poll was answered at packet 52, before the UPGRADE at packet 60; pingInterval 300 ms and pingTimeout 200 ms from the OPEN at packet 6")),
        "{summary}"
    );
    // The same with two threads (the polling connections may be another's) and with every
    // report kept in the temporary file.
    for extra in [["--threads", "2"], ["--keep-reports", "0"]] {
        assert_eq!(
            json(name, &extra)["connections"],
            r["connections"],
            "{extra:?}"
        );
    }
    // --redact keeps the linkage and the cause, not the sid.
    let red = json(name, &["--redact"]);
    assert_eq!(app(&red, 0).2, "io server disconnect");
    assert_eq!(
        red["connections"][0]["application"]["related"][0]["polling"],
        id["polling"]
    );
    let text = serde_json::to_string(&red).unwrap();
    assert!(!text.contains(sid), "{text}");
}

#[test]
fn a_ping_timeout_after_an_upgrade_is_judged_with_the_polling_opens_timers() {
    // The client blocks its event loop once upgraded: the WebSocket carries no OPEN, the
    // handshake's polling response does (packet 6: pingInterval 300, pingTimeout 200); the
    // client logged "ping timeout", and so does the report, from those timers.
    let name = "socketio-polling-ping-timeout.pcap";
    for extra in [&[][..], &["--threads", "2"], &["--keep-reports", "0"]] {
        let r = json(name, extra);
        assert_eq!(
            app(&r, 0),
            (
                "socket.io".to_string(),
                Value::from("client"),
                Value::from("ping timeout"),
                serde_json::json!([6, 62, 63])
            ),
            "{extra:?}"
        );
        let summary = r["connections"][0]["application"]["summary"]
            .as_str()
            .unwrap();
        assert!(
            summary.starts_with("the client closed at packet 63, 1.3 s after the OPEN at packet 6 (pingInterval + pingTimeout = 500 ms); the server's ping at packet 62 went unanswered"),
            "{summary}"
        );
        let kinds: Vec<&str> = r["connections"][0]["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["kind"].as_str())
            .collect();
        assert!(kinds.contains(&"application"), "{kinds:?}");
    }
    // --redact keeps the cause.
    let red = json(name, &["--redact"]);
    assert_eq!(app(&red, 0).2, "ping timeout");
}

#[test]
fn no_app_leaves_the_application_undecoded_and_the_rest_as_it_was() {
    // The hidden --no-app (the benchmark's baseline): no application object, no polling
    // linkage; the WebSocket's close frames and TCP endings are the same.
    for name in [
        "socketio-ping-timeout.pcap",
        "socketio-polling-server-disconnect.pcap",
    ] {
        let (with, without) = (json(name, &[]), json(name, &["--no-app"]));
        let c = &without["connections"][0];
        assert!(c.get("application").is_none(), "{name}: {c}");
        for field in ["close_frames", "tcp_ends", "handshake"] {
            assert_eq!(c[field], with["connections"][0][field], "{name}: {field}");
        }
    }
}

#[test]
fn table_and_markdown_lead_with_the_application() {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args([
            "analyze",
            &fixture("graphql-init-timeout.pcap"),
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("graphql-transport-ws: connection initialisation timeout"),
        "{table}"
    );
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args([
            "analyze",
            &fixture("mqtt-not-authorized.pcap"),
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("- **Application (MQTT):** 3.1.1, recognized by Sec-WebSocket-Protocol: mqtt. connection refused: not authorized: the broker refused CONNECT"), "{md}");
}

/// A plain WebSocket session claims no application (the fixtures of other tests).
#[test]
fn a_plain_session_has_no_application() {
    let path = format!(
        "{}/fixtures/node-close-1003.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", &path, "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["connections"][0].get("application").is_none());
}

/// The HTML report says the application's cause and draws the message that decided it.
#[test]
fn html_names_the_application_and_draws_its_message() {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args([
            "analyze",
            &fixture("graphql-duplicate-id.pcap"),
            "--format",
            "html",
        ])
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(
        html.contains("<strong>Application (graphql-transport-ws):</strong>"),
        "{html}"
    );
    assert!(
        html.contains("graphql-transport-ws: subscriber already exists"),
        "{html}"
    );
}
