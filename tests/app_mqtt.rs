//! MQTT over WebSocket from two independent clients against mosquitto 2.0.11 (fixtures/app,
//! recorded by fixtures/record/app/record.sh, sections `mqtt` and `mqttjs`; what each
//! endpoint logged is in the .log beside each capture): mqtt.js 5.16.0, which writes each
//! field of a packet as its own WebSocket message (MQTT is a byte stream, §6), and
//! paho-mqtt 2.2.0. Each report is asserted whole: the WebSocket status, and the
//! application's side, cause, evidence, version and undecodable messages.

#[path = "common/run.rs"]
mod run;

#[path = "common/app.rs"]
mod fixture;
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

#[test]
fn each_mqtt_fixture_reads_as_its_endpoints_logged() {
    let cases = [
        // mqtt.js end(): DISCONNECT written as two messages (packets 35, 37); mosquitto:
        // "Received DISCONNECT from mqttjs-1".
        (
            "mqttjs-normal-disconnect.pcap",
            0,
            json!([1006, "client", "client disconnected", [37], "3.1.1", 17, 0]),
        ),
        // A CONNECT of 13 messages (a field each) with a user name and password; mosquitto: "Sending
        // CONNACK to ::ffff:127.0.0.1 (0, 5)"; mqtt.js: "Connection refused: Not authorized".
        (
            "mqttjs-not-authorized.pcap",
            0,
            json!([
                1006,
                "server",
                "connection refused: not authorized",
                [34],
                "3.1.1",
                14,
                0
            ]),
        ),
        // MQTT 5: mosquitto "Sending CONNACK to ::ffff:127.0.0.1 (0, 135)"; mqtt.js
        // "Connection refused: Not authorized 135".
        (
            "mqttjs-v5-bad-login.pcap",
            0,
            json!([
                1006,
                "server",
                "connection refused: not authorized",
                [36],
                "5.0",
                15,
                0
            ]),
        ),
        // mosquitto: "Client mqttjs-shared already connected, closing old connection."
        (
            "mqttjs-taken-over.pcap",
            0,
            json!([
                1006,
                "server",
                "session taken over",
                [28, 53],
                "3.1.1",
                10,
                0
            ]),
        ),
        (
            "mqttjs-taken-over.pcap",
            1,
            json!([1005, "client", "client disconnected", [59], "3.1.1", 12, 0]),
        ),
        // MQTT 5: a PUBLISH of 5 000 bytes (longer than the 4 096 kept of a message: counted
        // through), then end() with reason 0x04.
        (
            "mqttjs-v5-publish-disconnect.pcap",
            0,
            json!([
                1005,
                "client",
                "disconnect with will message",
                [42],
                "5.0",
                21,
                0
            ]),
        ),
        // paho with its loop stopped (keep alive 2 s): mosquitto closes 3.8 s after the
        // client's last packet.
        (
            "mqtt-keepalive-timeout.pcap",
            0,
            json!([1006, "server", "keep alive timeout", [8, 12], "3.1.1", 2, 0]),
        ),
        // The capture lost a segment of the client's CONNECT (packet 24 acknowledges bytes
        // it does not hold): no verdict, although the endpoints logged a normal end.
        (
            "mqttjs-capture-gap.pcap",
            0,
            json!([1005, null, null, [24], null, 9, 0]),
        ),
    ];
    for (name, i, want) in cases {
        let r = json(name, &[]);
        assert_eq!(report(&r, i), want, "{name} connection {i}");
    }
}

#[test]
fn a_gap_in_the_capture_says_from_where_the_stream_is_unknown() {
    let r = json("mqttjs-capture-gap.pcap", &[]);
    let summary = r["connections"][0]["application"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        summary.contains("the client's MQTT byte stream is unknown from packet 24"),
        "{summary}"
    );
    let status = r["connections"][0]["status"]["causes"].to_string();
    assert!(!status.contains("\"application\""), "{status}");
}

#[test]
fn the_reports_name_the_client_id_a_field_per_message_carried() {
    let r = json("mqttjs-taken-over.pcap", &[]);
    for i in 0..2 {
        let id = &r["connections"][i]["application"]["related"][0];
        assert_eq!(id["kind"], "mqtt-client-id");
        assert_eq!(id["value"], "mqttjs-shared");
        assert_eq!(id["connections"], json!([2 - i]));
    }
}

/// `fixtures/app/NAME` without its record `drop` (1-based), written beside the test binary's
/// temporary files (classic pcap: a 24-byte file header, then 16-byte record headers).
fn without_record(name: &str, drop: usize) -> String {
    let b = std::fs::read(fixture::path(name)).unwrap();
    let (mut out, mut at, mut n) = (b[..24].to_vec(), 24, 0);
    while at + 16 <= b.len() {
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        n += 1;
        if n != drop {
            out.extend(&b[at..at + 16 + len]);
        }
        at += 16 + len;
    }
    let path = format!("{}/{name}-without-{drop}", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn a_takeover_is_not_claimed_when_the_brokers_stream_is_unknown() {
    // mqttjs-taken-over without packet 26, the broker's CONNACK to connection 1: what the
    // broker sent that connection from there is unknown (it could have been a DISCONNECT
    // with a reason in MQTT 5), so its close is not put down to the second connection.
    let path = without_record("mqttjs-taken-over.pcap", 26);
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", &path, "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&run::stdout_of(out)).unwrap();
    let a = &r["connections"][0]["application"];
    assert_eq!(a["cause"], Value::Null, "{a}");
    let summary = a["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("the broker's MQTT byte stream is unknown from packet"),
        "{summary}"
    );
    // The second connection still reads as it did.
    assert_eq!(
        r["connections"][1]["application"]["cause"],
        "client disconnected"
    );
}
