//! RabbitMQ 3.10's Web STOMP and Web MQTT plugins (fixtures/app/rabbitmq-*, recorded by
//! fixtures/record/app/record.sh, section `rabbitmq`; what the clients and the broker logged
//! is in the .log beside each capture), a second broker for the STOMP and MQTT verdicts
//! beside stomp-broker-js and mosquitto, with @stomp/stompjs 7.5.0 and mqtt.js 5.16.0.
//! RabbitMQ closes every session with 1000 "STOMP died" or "MQTT died" whatever happened:
//! the verdicts come from the protocol's messages or their absence, and the summaries say
//! that the close reason is no cause.

use crate::common::run;

use crate::common::app as fixture;
use fixture::json;
use serde_json::{json, Value};

/// (status code, ended_by, cause, evidence, version, messages, undecodable) of connection `i`.
fn report(r: &Value, i: usize) -> Value {
    let c = &r["connections"][i];
    let a = &c["application"];
    json!([
        c["status"]["code"],
        a["ended_by"],
        a["cause"],
        a["evidence"],
        a["version"],
        a["messages"],
        a["undecodable"]
    ])
}

fn summary(r: &Value, i: usize) -> String {
    r["connections"][i]["application"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn each_rabbitmq_session_reads_in_its_protocols_words() {
    let cases = [
        // stompjs beats every 1 s (CONNECTED heart-beat:0,1000), then is paused: the broker
        // closes 3.0 s after its last beat.
        (
            "rabbitmq-stomp-heartbeat.pcap",
            0,
            json!([1000, "server", "missed heart-beats", [12, 14], "1.2", 4, 0]),
        ),
        // rabbitmqctl close_all_connections: nothing in STOMP says why.
        (
            "rabbitmq-stomp-close-all.pcap",
            0,
            json!([
                1000,
                "server",
                "server closed, no STOMP reason",
                [12],
                "1.2",
                3,
                0
            ]),
        ),
        // ERROR "Unknown destination"; stompjs deactivates (DISCONNECT), the broker closes.
        (
            "rabbitmq-stomp-bad-destination.pcap",
            0,
            json!([1000, "server", "error frame", [11], "1.2", 5, 0]),
        ),
        // ERROR "Bad CONNECT"; the broker keeps the socket, the client closes (1005).
        (
            "rabbitmq-stomp-bad-login.pcap",
            0,
            json!([1005, "server", "error frame", [9], "1.2", 2, 0]),
        ),
        // RabbitMQ: "closing Web MQTT connection … (keepalive timeout)".
        (
            "rabbitmq-mqtt-keepalive.pcap",
            0,
            json!([
                1000,
                "server",
                "keep alive timeout",
                [20, 23],
                "3.1.1",
                14,
                0
            ]),
        ),
        (
            "rabbitmq-mqtt-close-all.pcap",
            0,
            json!([
                1000,
                "server",
                "broker closed, no MQTT reason",
                [26, 28],
                "3.1.1",
                14,
                0
            ]),
        ),
        // RabbitMQ: "MQTT login failed for user 'wsuser'"; no CONNACK, a close 1002
        // "unauthenticated".
        (
            "rabbitmq-mqtt-bad-login.pcap",
            0,
            json!([
                1002,
                "server",
                "login refused, no CONNACK",
                [25, 27],
                "3.1.1",
                13,
                0
            ]),
        ),
        // `rabbitmqctl stop_app`: a bare FIN from the broker, no close frame.
        (
            "rabbitmq-stomp-broker-stop.pcap",
            0,
            json!([
                1006,
                "server",
                "server closed, no STOMP reason",
                [12],
                "1.2",
                3,
                0
            ]),
        ),
        (
            "rabbitmq-mqtt-broker-stop.pcap",
            0,
            json!([
                1006,
                "server",
                "broker closed, no MQTT reason",
                [27, 29],
                "3.1.1",
                14,
                0
            ]),
        ),
        // RabbitMQ 3.10 speaks no MQTT 5: its parser crashes on the CONNECT ("crasher: …
        // rabbit_mqtt_frame:parse_utf"), a close 1011 and no CONNACK.
        (
            "rabbitmq-mqtt-v5-connect.pcap",
            0,
            json!([
                1011,
                "server",
                "closed before CONNACK",
                [27, 29],
                "5.0",
                14,
                0
            ]),
        ),
        // RabbitMQ: "Web MQTT disconnecting a client with duplicate ID 'rmq-shared'".
        (
            "rabbitmq-mqtt-taken-over.pcap",
            0,
            json!([
                1000,
                "server",
                "session taken over",
                [28, 54],
                "3.1.1",
                14,
                0
            ]),
        ),
        (
            "rabbitmq-mqtt-taken-over.pcap",
            1,
            json!([1005, "client", "client disconnected", [59], "3.1.1", 16, 0]),
        ),
    ];
    for (name, i, want) in cases {
        let r = json(name, &[]);
        assert_eq!(report(&r, i), want, "{name} connection {i}");
    }
}

#[test]
fn stomp_died_and_mqtt_died_are_named_as_no_cause() {
    for (name, i, text) in [
        ("rabbitmq-stomp-heartbeat.pcap", 0, "STOMP died"),
        ("rabbitmq-stomp-close-all.pcap", 0, "STOMP died"),
        ("rabbitmq-mqtt-keepalive.pcap", 0, "MQTT died"),
        ("rabbitmq-mqtt-close-all.pcap", 0, "MQTT died"),
        ("rabbitmq-mqtt-taken-over.pcap", 0, "MQTT died"),
    ] {
        let s = summary(&json(name, &[]), i);
        let want = format!("the close reason \"{text}\" is the text RabbitMQ's Web");
        assert!(
            s.contains(&want) && s.ends_with("not a cause"),
            "{name}: {s}"
        );
    }
    // The client's own close carries no such note.
    let s = summary(&json("rabbitmq-stomp-bad-login.pcap", &[]), 0);
    assert!(!s.contains("died"), "{s}");
}

#[test]
fn the_clients_close_after_an_error_is_its_consequence() {
    let s = summary(&json("rabbitmq-stomp-bad-login.pcap", &[]), 0);
    assert!(
        s.contains("\"Bad CONNECT: Access refused for user 'wsuser'\" at packet 9")
            && s.contains("the client then closed at packet 10, in answer to the ERROR"),
        "{s}"
    );
    let s = summary(&json("rabbitmq-stomp-bad-destination.pcap", &[]), 0);
    assert!(
        s.contains("the client answered it with DISCONNECT at packet 12, and the server closed at packet 13"),
        "{s}"
    );
}

#[test]
fn a_broker_that_fails_on_an_mqtt_5_connect_says_nothing_in_mqtt() {
    let r = json("rabbitmq-mqtt-v5-connect.pcap", &[]);
    let s = summary(&r, 0);
    assert!(
        s.starts_with("the client's CONNECT (MQTT 5.0) at packet 27 (with credentials) got no CONNACK; the broker closed at packet 29 with close frame 1011: the broker failed while handling the CONNECT"),
        "{s}"
    );
    let fix = r["connections"][0]["application"]["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(fix.contains("connect with MQTT 3.1.1"), "{fix}");
}

#[test]
fn the_broker_times_the_silence_it_closed_on() {
    let s = summary(&json("rabbitmq-stomp-heartbeat.pcap", &[]), 0);
    assert!(
        s.starts_with("the client was to beat every 1 s; after its last frame at packet 12 the server heard nothing for 3.0 s"),
        "{s}"
    );
    let s = summary(&json("rabbitmq-mqtt-keepalive.pcap", &[]), 0);
    assert!(
        s.starts_with("the client's last packet was at packet 20; the broker closed 6.0 s later at packet 23 with close frame 1000 \"MQTT died\", past 1.5 × its keep alive of 2 s"),
        "{s}"
    );
}

#[test]
fn a_login_refused_without_connack_is_no_disagreement() {
    let r = json("rabbitmq-mqtt-bad-login.pcap", &[]);
    let s = summary(&r, 0);
    assert!(
        s.contains("the client's CONNECT (MQTT 3.1.1) at packet 25 (with credentials) got no CONNACK; the broker closed at packet 27 with close frame 1002 \"unauthenticated\""),
        "{s}"
    );
    let causes = r["connections"][0]["status"]["causes"].to_string();
    assert!(causes.contains("login refused, no CONNACK"), "{causes}");
    // The 1002 is the broker's MQTT refusal, not a WebSocket violation nobody sees.
    let ev = &r["connections"][0]["evidence"];
    assert_eq!(ev["consistent"], true, "{ev}");
    let ev = ev["summary"].as_str().unwrap_or_default();
    assert!(
        ev.contains("the server's 1002 is about MQTT, not WebSocket framing (MQTT: login refused, no CONNACK)")
            && !ev.contains("disagree"),
        "{ev}"
    );
}

/// `wsclose analyze fixtures/app/NAME --format FORMAT` at 120 columns, without colour.
fn rendered(name: &str, format: &str) -> String {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .env("COLUMNS", "120")
        .env("NO_COLOR", "1")
        .args(["analyze", &fixture::path(name), "--format", format])
        .output()
        .unwrap();
    String::from_utf8(run::stdout_of(out)).unwrap()
}

/// The position of `what` in `text`, which must hold it.
fn at(text: &str, what: &str) -> usize {
    text.find(what)
        .unwrap_or_else(|| panic!("{what:?} not in:\n{text}"))
}

#[test]
fn the_application_leads_in_every_format() {
    let app = "MQTT: login refused, no CONNACK (ended by the server)";
    let name = "rabbitmq-mqtt-bad-login.pcap";
    let md = rendered(name, "markdown");
    assert!(
        md.contains(&format!("| 1 | {app}; 1002 Protocol error |")),
        "{md}"
    );
    let meaning = at(&md, "## What the statuses mean");
    assert!(at(&md, "- **Application:** MQTT: login refused") > meaning);
    assert!(at(&md, "- **Application:** MQTT: login refused") < at(&md, "- **Cause:**"));
    let html = rendered(name, "html");
    let row = at(&html, "<table class=\"overview\">");
    assert!(
        at(
            &html,
            &format!("<strong>{app}</strong><br><span class=\"st")
        ) > row
    );
    assert!(
        at(&html, "<strong>Application:</strong> MQTT: login refused")
            < at(&html, "<strong>Cause:</strong>")
    );
    let table = rendered(name, "table");
    assert!(
        at(
            &table,
            "MQTT: login refused, no CONNACK (ended by the server) — connection 1"
        ) < at(&table, "1002 Protocol error — connection 1"),
        "{table}"
    );
    // A 1000 whose application names something to fix is no clean close.
    let table = rendered("rabbitmq-mqtt-taken-over.pcap", "table");
    assert!(!table.contains("clean closes"), "{table}");
    assert!(
        table.contains("MQTT: session taken over (ended by the server) — connection 1. Fix:"),
        "{table}"
    );
}
