//! MQTT over WebSocket from two independent clients against mosquitto 2.0.11, and mqtt.js
//! against aedes 0.51.3 (fixtures/app, recorded by fixtures/record/app/record.sh, sections
//! `mqtt`, `mqttjs` and `aedes`; what each
//! endpoint logged is in the .log beside each capture): mqtt.js 5.16.0, which writes each
//! field of a packet as its own WebSocket message (MQTT is a byte stream, §6), and
//! paho-mqtt 2.2.0. Each report is asserted whole: the WebSocket status, and the
//! application's side, cause, evidence, version and undecodable messages.

use crate::common::run;

use crate::common;

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
        // aedes 0.51.3 (a third broker, section `aedes`), mqtt.js 5.16.0: the client's
        // DISCONNECT, then aedes ends the stream (an empty close frame); aedes logged
        // "clientDisconnect".
        (
            "mqtt-aedes-normal-disconnect.pcap",
            0,
            json!([1005, "client", "client disconnected", [30], "3.1.1", 12, 0]),
        ),
        // aedes' authenticate refuses the password: CONNACK 4, then the client's FIN and
        // RST and no close frame from the client (mqtt.js: "Bad username or password").
        (
            "mqtt-aedes-not-authorized.pcap",
            0,
            json!([
                1006,
                "server",
                "connection refused: bad user name or password",
                [21],
                "3.1.1",
                14,
                0
            ]),
        ),
        // mqtt.js's keep alive timer stopped (keep alive 2 s): aedes logged
        // "keepaliveTimeout" and closed 3.0 s after the client's last packet.
        (
            "mqtt-aedes-keepalive.pcap",
            0,
            json!([
                1005,
                "server",
                "keep alive timeout",
                [16, 20],
                "3.1.1",
                10,
                0
            ]),
        ),
        // amqtt 0.12.1 (section `brokers`), which logs "Input stream read timeout" every
        // keep alive and acts on none: paho's network loop stopped 8 s (keep alive 2 s),
        // then a PINGREQ (packet 11) and its exit with no DISCONNECT.
        (
            "mqtt-amqtt-keepalive-paho.pcap",
            0,
            json!([
                1006,
                "client",
                "keep alive not enforced",
                [8, 11],
                "3.1.1",
                4,
                0
            ]),
        ),
        // The same with mqtt.js, its keep alive timer stopped: end(true) 8 s later, a bare
        // FIN (packet 23) with no DISCONNECT.
        (
            "mqtt-amqtt-keepalive-mqttjs.pcap",
            0,
            json!([
                1006,
                "client",
                "keep alive not enforced",
                [20, 23],
                "3.1.1",
                10,
                0
            ]),
        ),
        // The same left open: the capture ends 23 s in, its last packets the WebSocket ping
        // of amqtt's WebSocket layer 20 s after the client's last packet, and the pong.
        (
            "mqtt-amqtt-keepalive-open.pcap",
            0,
            json!([null, null, "keep alive not enforced", [20], "3.1.1", 10, 0]),
        ),
        // amqtt refuses a client with no user name: CONNACK 5, then a close frame 1000.
        (
            "mqtt-amqtt-anonymous.pcap",
            0,
            json!([
                1000,
                "server",
                "connection refused: not authorized",
                [21],
                "3.1.1",
                10,
                0
            ]),
        ),
        (
            "mqtt-amqtt-normal-disconnect.pcap",
            0,
            json!([1005, "client", "client disconnected", [26], "3.1.1", 17, 0]),
        ),
        // mosquitto 2.0.11 with mqtt.js (section `brokers`), its keep alive timer stopped
        // (keep alive 2 s): a bare FIN 4.2 s after the client's last packet; mosquitto:
        // "Client mqttjs-keepalive-stop closed its connection."
        (
            "mqttjs-keepalive-stop.pcap",
            0,
            json!([
                1006,
                "server",
                "keep alive timeout",
                [24, 28],
                "3.1.1",
                10,
                0
            ]),
        ),
        // rumqttd 0.20.0 (section `brokers`) drops a client silent for 1.5 × its keep alive
        // with a bare FIN, logging "disconnected, error: Network(KeepAlive(Elapsed(())))":
        // paho's loop stopped, and mqtt.js' keep alive timer stopped.
        (
            "mqtt-rumqttd-keepalive-paho.pcap",
            0,
            json!([1006, "server", "keep alive timeout", [8, 11], "3.1.1", 2, 0]),
        ),
        (
            "mqtt-rumqttd-keepalive-mqttjs.pcap",
            0,
            json!([
                1006,
                "server",
                "keep alive timeout",
                [20, 23],
                "3.1.1",
                10,
                0
            ]),
        ),
        // rumqttd refuses the password with no CONNACK at all, a bare FIN; rumqttd: "Error
        // while handling MQTT connect packet, error: InvalidAuth".
        (
            "mqtt-rumqttd-not-authorized.pcap",
            0,
            json!([
                1006,
                "server",
                "closed before CONNACK",
                [26, 27],
                "3.1.1",
                13,
                0
            ]),
        ),
        // The client's DISCONNECT, rumqttd's bare FIN, then mqtt.js' close frame.
        (
            "mqtt-rumqttd-normal-disconnect.pcap",
            0,
            json!([1006, "client", "client disconnected", [30], "3.1.1", 17, 0]),
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

/// `fixtures/app/NAME` without its record `drop` (1-based).
fn without_record(name: &str, drop: usize) -> String {
    run::pcap_without(&fixture::path(name), drop)
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

use wsclose::__internals::capture::file;
use wsclose::__internals::decode;
use wsclose::__internals::websocket::frame::{parse_header, unmask};
use wsclose::app::{Ending, Message, Tracker, TransportEnd};
use wsclose::vocab::ApplicationReport;
use wsclose::vocab::{Endpoint, Timestamp};
use wsclose::Role;

/// One WebSocket data message of a fixture: its side, payload, and the packet (number,
/// time) of its last byte.
#[derive(Debug, Clone)]
struct Msg {
    from: Role,
    payload: Vec<u8>,
    packet: u64,
    ts: Timestamp,
}

/// A fixture's one WebSocket connection as its application tracker is fed: the server's
/// subprotocol, the data messages in the order they completed, and how it ended (the first
/// close frame, the first FIN or RST, the last packet's time). Read with wsclose's own
/// reader and packet decoder, each direction's bytes in sequence order (retransmitted bytes
/// left out; the fixtures used have no hole), frames unmasked here.
fn fixture_session(name: &str) -> (String, Vec<Msg>, Ending) {
    // Per direction (client first): bytes, and the packet of each byte.
    let mut client: Option<Endpoint> = None;
    let mut next: [Option<u32>; 2] = [None, None];
    let mut bytes: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut at: [Vec<(u64, Timestamp)>; 2] = [Vec::new(), Vec::new()];
    let mut tcp: Option<(Role, bool, u64, Timestamp)> = None;
    let mut last_ts = None;
    file::read(std::path::Path::new(&fixture::path(name)), &mut |p| {
        let Ok(seg) = decode::decode(p) else { return };
        if seg.syn && !seg.ack_flag {
            client = Some(seg.src);
        }
        let from = if Some(seg.src) == client {
            Role::Client
        } else {
            Role::Server
        };
        let d = usize::from(from == Role::Server);
        last_ts = Some(p.ts);
        let start = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let n = *next[d].get_or_insert(start);
        let skip = n.wrapping_sub(start) as usize;
        if skip < seg.payload.len() && (n.wrapping_sub(start) as i32) >= 0 {
            let new = &seg.payload[skip..];
            bytes[d].extend_from_slice(new);
            at[d].extend(std::iter::repeat_n((p.number, p.ts), new.len()));
            next[d] = Some(n.wrapping_add(new.len() as u32));
        }
        if (seg.fin || seg.rst) && tcp.is_none() {
            tcp = Some((from, seg.rst, p.number, p.ts));
        }
    })
    .unwrap();
    let mut msgs = Vec::new();
    let mut close = None;
    let mut subprotocol = String::new();
    for (d, from) in [(0, Role::Client), (1, Role::Server)] {
        let b = &bytes[d];
        let head = b.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        if from == Role::Server {
            let text = String::from_utf8_lossy(&b[..head]).to_ascii_lowercase();
            subprotocol = text
                .lines()
                .find_map(|l| l.strip_prefix("sec-websocket-protocol:"))
                .unwrap_or_default()
                .trim()
                .to_string();
        }
        let mut pos = head;
        let mut partial = Vec::new();
        while let Ok((_, h)) = parse_header(&b[pos..]) {
            let end = pos + h.header_len + h.payload_len as usize;
            if end > b.len() {
                break;
            }
            let mut payload = b[pos + h.header_len..end].to_vec();
            if let Some(key) = h.mask {
                unmask(&mut payload, key, 0);
            }
            let (packet, ts) = at[d][end - 1];
            pos = end;
            match h.opcode.0 {
                0x8 => {
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    let reason =
                        String::from_utf8_lossy(payload.get(2..).unwrap_or_default()).into_owned();
                    let earlier = close.as_ref().is_some_and(
                        |c: &(Role, Option<u16>, String, u64, Timestamp)| c.3 <= packet,
                    );
                    if !earlier {
                        close = Some((from, code, reason, packet, ts));
                    }
                }
                0x9 | 0xA => {}
                _ => {
                    partial.extend(payload);
                    if h.fin {
                        msgs.push(Msg {
                            from,
                            payload: std::mem::take(&mut partial),
                            packet,
                            ts,
                        });
                    }
                }
            }
        }
    }
    // Both directions in the order their messages completed (a packet carries one side).
    msgs.sort_by_key(|m| m.packet);
    (
        subprotocol,
        msgs,
        Ending {
            close,
            transport: tcp.map(|(by, rst, packet, ts)| TransportEnd::tcp(by, rst, packet, ts)),
            last_ts,
        },
    )
}

/// The report of a tracker fed `msgs`, each message cut where `cut` says (offsets within
/// it), every piece with its message's packet and time.
fn tracked(
    sp: &str,
    msgs: &[Msg],
    end: &Ending,
    cut: impl Fn(usize, &[u8]) -> Vec<usize>,
) -> ApplicationReport {
    let mut t = Tracker::new(Some(sp), None);
    for (i, m) in msgs.iter().enumerate() {
        let mut from = 0;
        for to in cut(i, &m.payload).into_iter().chain([m.payload.len()]) {
            let part = &m.payload[from..to];
            t.message(&Message {
                from: m.from,
                text: false,
                bytes: part,
                len: part.len() as u64,
                damaged: false,
                packet: m.packet,
                ts: m.ts,
            });
            from = to;
        }
    }
    let mut r = worded(&t, end).unwrap();
    // The count of WebSocket messages is the only thing that may follow the cuts.
    r.messages = 0;
    r
}

/// MQTT over WebSocket is a byte stream (§6): the recorded sessions of mqtt.js (a field
/// per message) and paho (those without permessage-deflate: mqtt.js against amqtt's Python
/// websockets compresses, and the messages are read here as sent), each of their messages cut in two at every byte boundary in
/// turn, and all of them cut into single bytes, give the report of the messages as
/// recorded (which is the one `analyze` gives), cause, evidence, heartbeat and all.
#[test]
fn a_real_mqtt_stream_cut_at_every_byte_gives_the_same_report() {
    for name in [
        "mqtt-amqtt-keepalive-paho.pcap",
        "mqtt-rumqttd-keepalive-paho.pcap",
        "mqtt-rumqttd-keepalive-mqttjs.pcap",
        "mqtt-rumqttd-not-authorized.pcap",
        "mqttjs-normal-disconnect.pcap",
        "mqttjs-not-authorized.pcap",
        "mqttjs-v5-bad-login.pcap",
        "mqttjs-v5-publish-disconnect.pcap",
        "mqtt-keepalive-timeout.pcap",
        "mqtt-v5-disconnect-will.pcap",
        "mqtt-normal-disconnect.pcap",
    ] {
        let (sp, msgs, end) = fixture_session(name);
        let whole = tracked(&sp, &msgs, &end, |_, _| Vec::new());
        // The extraction is faithful: the tool's own report of the capture says the same.
        let app = &json(name, &[])["connections"][0]["application"];
        assert_eq!(app["cause"], json!(whole.cause), "{name}: {whole:?}");
        assert_eq!(app["evidence"], json!(whole.evidence), "{name}");
        assert!(whole.cause.is_some(), "{name}: {whole:?}");
        let bytes: usize = msgs.iter().map(|m| m.payload.len()).sum();
        assert!(bytes >= 20, "{name}: {bytes} bytes");
        let mut boundaries = 0;
        for (i, m) in msgs.iter().enumerate() {
            for k in 1..m.payload.len() {
                let cut = tracked(
                    &sp,
                    &msgs,
                    &end,
                    |j, _| if j == i { vec![k] } else { Vec::new() },
                );
                assert_eq!(cut, whole, "{name}: message {i} cut at byte {k}");
                boundaries += 1;
            }
        }
        let bytewise = tracked(&sp, &msgs, &end, |_, p| (1..p.len()).collect());
        assert_eq!(bytewise, whole, "{name}: every message cut into bytes");
        eprintln!(
            "{name}: {} messages, {bytes} bytes, {boundaries} boundaries",
            msgs.len()
        );
    }
}

/// Found by the `app_mqtt` fuzz target (issue 57, 1): the heartbeat counted a PINGREQ per
/// message rather than per packet, so two PINGREQs in one message were one ping, and in
/// two messages two (a PINGREQ before bytes that are not MQTT, in one message, none).
#[test]
fn every_pingreq_counts_however_the_messages_cut_them() {
    let pings = |parts: &[&[u8]]| {
        let mut t = Tracker::new(Some("mqtt"), None);
        let connect: &[u8] = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04abcd";
        let connack: &[u8] = &[0x20, 2, 0, 0];
        let msgs = [(Role::Client, connect, 4), (Role::Server, connack, 5)]
            .into_iter()
            .chain(parts.iter().map(|p| (Role::Client, *p, 6)));
        for (from, bytes, packet) in msgs {
            t.message(&Message {
                from,
                text: false,
                bytes,
                len: bytes.len() as u64,
                damaged: false,
                packet,
                ts: Timestamp(packet as i64 * 1_000_000),
            });
        }
        let end = Ending {
            close: None,
            transport: Some(TransportEnd::tcp(
                Role::Server,
                false,
                7,
                Timestamp(7_000_000),
            )),
            last_ts: Some(Timestamp(7_000_000)),
        };
        let h = worded(&t, &end).unwrap().heartbeat.unwrap();
        (h.client.pings, h.client.unanswered)
    };
    let two = [0xc0u8, 0, 0xc0, 0];
    assert_eq!(pings(&[&two]), (2, 2));
    assert_eq!(pings(&[&two[..2], &two[2..]]), (2, 2));
    assert_eq!(pings(&[&two[..3], &two[3..]]), (2, 2));
    // Bytes that are not MQTT after them, in the same message: the two still count.
    assert_eq!(pings(&[&[0xc0, 0, 0xc0, 0, 0x00, 0x00]]), (2, 2));
}

/// Found by the `app_mqtt` fuzz target (issue 57, 1): the level a CONNECT gives was applied
/// only from the next message, so in the same message as a 3.1.1 CONNECT, a DISCONNECT with
/// a reason code (MQTT 5 only: a 3.1.1 DISCONNECT has no body) was read as MQTT 5's and
/// named a cause ("session taken over", by the client), while the same bytes in two
/// messages put the client's stream out of sync and claimed nothing.
#[test]
fn a_connects_level_rules_the_packets_after_it_in_the_same_message() {
    let report = |parts: &[&[u8]]| {
        let mut t = Tracker::new(Some("mqtt"), None);
        for (i, p) in parts.iter().enumerate() {
            t.message(&Message {
                from: Role::Client,
                text: false,
                bytes: p,
                len: p.len() as u64,
                damaged: false,
                packet: 4 + i as u64,
                ts: Timestamp(0),
            });
        }
        let end = Ending {
            close: None,
            transport: Some(TransportEnd::tcp(
                Role::Client,
                false,
                9,
                Timestamp(1_000_000),
            )),
            last_ts: Some(Timestamp(1_000_000)),
        };
        worded(&t, &end).unwrap()
    };
    let bytes: &[u8] = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04abcd\xe0\x01\x8e";
    let (connect, disconnect) = bytes.split_at(18);
    let one = report(&[bytes]);
    assert_eq!(one.cause, None, "{one:?}");
    assert!(
        one.summary
            .as_deref()
            .is_some_and(|s| s.contains("the client's MQTT byte stream is unknown from packet 4")),
        "{one:?}"
    );
    let two = report(&[connect, disconnect]);
    assert_eq!((&two.cause, two.ended_by), (&None, None), "{two:?}");
}

/// Issue 68 item 4: a DISCONNECT, then the broker's FIN (mosquitto, mqtt.js): the status
/// says the code's meaning and the application's fix, not the 1006's typical causes (a
/// crashed server, an idle proxy), which would contradict the client's own DISCONNECT. A
/// 1006 with no application verdict (Crossbar.io stopped) still lists them.
#[test]
fn the_applications_verdict_is_not_contradicted_by_the_codes_typical_causes() {
    let verbose = |name: &str| {
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .env("COLUMNS", "200")
            .args(["analyze", "-v", &fixture::path(name)])
            .output()
            .unwrap();
        String::from_utf8(run::stdout_of(out)).unwrap()
    };
    for name in [
        "mqttjs-normal-disconnect.pcap",
        "mqtt-normal-disconnect.pcap",
        "mqtt-aedes-not-authorized.pcap",
    ] {
        let t = verbose(name);
        assert!(t.contains("Application: MQTT: "), "{name}: {t}");
        assert!(
            t.contains("Cause: A local status, not a wire code"),
            "{name}: {t}"
        );
        assert!(!t.contains("Typical sources"), "{name}: {t}");
        assert!(!t.contains("OOM killer"), "{name}: {t}");
    }
    let t = verbose("wamp-crossbar-shutdown.pcap");
    assert!(t.contains("Typical sources"), "{t}");
}

/// The application's verdict of `fixtures/app/NAME` (or of a path), connection 0.
fn app_of(path: &str) -> Value {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", path, "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&run::stdout_of(out)).unwrap();
    r["connections"][0].clone()
}

/// Issue 68, MQTT brokers: a broker that never enforces a keep alive (amqtt 0.12.1, with
/// paho-mqtt and mqtt.js clients) is said from the MQTT facts: the keep alive in CONNECT,
/// the client's silence past 2 × 1.5 × it, and how the session ended (the client's bare FIN,
/// or still open at the capture's end); the status does not guess that the client failed
/// on the broker's last message.
#[test]
fn a_broker_that_never_enforces_the_keep_alive_is_named() {
    for (name, silent, then) in [
        (
            "mqtt-amqtt-keepalive-paho.pcap",
            "sent no MQTT packet for 8.4 s after packet 8, past 1.5 × its keep alive of 2 s (3 s)",
            "the client's next packet came at packet 11, and the client itself ended the connection at packet 14 with a bare FIN (no close frame)",
        ),
        (
            "mqtt-amqtt-keepalive-mqttjs.pcap",
            "sent no MQTT packet for 8.0 s after packet 20, past 1.5 × its keep alive of 2 s (3 s)",
            "the client itself ended the connection at packet 23 with a bare FIN (no close frame), with no DISCONNECT",
        ),
        (
            "mqtt-amqtt-keepalive-open.pcap",
            "sent no MQTT packet for 20.0 s after packet 20",
            "the connection was still open when the capture ended",
        ),
    ] {
        let c = app_of(&fixture::path(name));
        let s = c["application"]["summary"].as_str().unwrap_or_default();
        assert!(s.contains(silent), "{name}: {s}");
        assert!(s.contains(then), "{name}: {s}");
        assert!(s.contains("the broker, which accepted the session at packet"), "{name}: {s}");
        let status = c["status"].to_string();
        assert!(!status.contains("unanswered-message"), "{name}: {status}");
        assert!(!status.contains("reacted to that message"), "{name}: {status}");
    }
}

/// Lost segments of the amqtt recordings: a packet the verdict rests on (the client's
/// resumed PINGREQ, the client's FIN, the broker's WebSocket ping 20 s in, which could have
/// been a close) withholds it; a lost ACK, or the broker's FIN after the client's, does not.
#[test]
fn a_keep_alive_left_unenforced_is_not_claimed_over_a_lost_packet() {
    for (name, drop, kept) in [
        ("mqtt-amqtt-keepalive-paho.pcap", 11, false),
        ("mqtt-amqtt-keepalive-mqttjs.pcap", 23, false),
        ("mqtt-amqtt-keepalive-mqttjs.pcap", 24, true),
        ("mqtt-amqtt-keepalive-open.pcap", 23, false),
        ("mqtt-amqtt-keepalive-open.pcap", 25, false),
        ("mqtt-amqtt-keepalive-open.pcap", 26, true),
    ] {
        let a = &app_of(&without_record(name, drop))["application"];
        if kept {
            assert_eq!(
                a["cause"], "keep alive not enforced",
                "{name} without {drop}: {a}"
            );
        } else {
            assert_eq!(a["cause"], Value::Null, "{name} without {drop}: {a}");
            let s = a["summary"].as_str().unwrap_or_default();
            assert!(
                s.contains("MQTT byte stream is unknown from packet"),
                "{name} without {drop}: {s}"
            );
        }
    }
}

/// Issue 68, MQTT brokers: a keep alive breach the broker answers with no close frame is
/// said from the MQTT facts and with how the broker ended (mosquitto 2.0.11 and rumqttd
/// 0.20.0, each with paho-mqtt and with mqtt.js, a bare FIN; aedes' empty close frame).
#[test]
fn a_keep_alive_timeout_says_how_the_broker_ended() {
    for (name, said) in [
        (
            "mqtt-keepalive-timeout.pcap",
            "the client's last packet was at packet 8; the broker closed 3.8 s later at packet 12 with a bare FIN (no close frame), past 1.5 × its keep alive of 2 s",
        ),
        (
            "mqttjs-keepalive-stop.pcap",
            "the client's last packet was at packet 24; the broker closed 4.2 s later at packet 28 with a bare FIN (no close frame), past 1.5 × its keep alive of 2 s",
        ),
        (
            "mqtt-rumqttd-keepalive-paho.pcap",
            "the client's last packet was at packet 8; the broker closed 3.0 s later at packet 11 with a bare FIN (no close frame), past 1.5 × its keep alive of 2 s",
        ),
        (
            "mqtt-rumqttd-keepalive-mqttjs.pcap",
            "the client's last packet was at packet 20; the broker closed 3.0 s later at packet 23 with a bare FIN (no close frame), past 1.5 × its keep alive of 2 s",
        ),
        (
            "mqtt-aedes-keepalive.pcap",
            "at packet 20 with an empty close frame, past 1.5 × its keep alive of 2 s",
        ),
    ] {
        let c = app_of(&fixture::path(name));
        let s = c["application"]["summary"].as_str().unwrap_or_default();
        assert!(s.contains(said), "{name}: {s}");
        let status = c["status"].to_string();
        assert!(!status.contains("reacted to that message"), "{name}: {status}");
    }
}

/// Issue 68 item 4, as the issue saw it: the client's DISCONNECT, then the broker's FIN and
/// nothing more from the client (mqttjs-normal-disconnect without the client's late close
/// frame and the broker's RST, packets 40 and 41, which came after the FIN). The status
/// said the server "reacted to that message … usually failed on it" beside the application's
/// "client disconnected"; it now keeps the quiet spell's facts only.
#[test]
fn a_disconnect_then_the_brokers_fin_is_not_read_as_the_broker_failing() {
    let path = without_record("mqttjs-normal-disconnect.pcap", 41);
    let path = run::pcap_without(&path, 40);
    let c = app_of(&path);
    assert_eq!(c["application"]["cause"], "client disconnected", "{c}");
    let kinds: Vec<&str> = c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["no-close-frame", "quiet-spell", "application"]);
    let cause = c["status"]["cause"].as_str().unwrap();
    assert!(!cause.contains("reacted to that message"), "{cause}");
    assert!(!cause.contains("failed on it"), "{cause}");
    assert!(
        cause.contains("The last WebSocket frame was at packet 37"),
        "{cause}"
    );
    let fix = c["status"]["fix"].as_str().unwrap();
    assert!(!fix.contains("size limit"), "{fix}");
}

/// Lost segments of the rumqttd recordings: the client's last packet (its keep alive
/// silence then unknown), the broker's FIN (found by the client's ACK of it), the refused
/// CONNECT, or the broker's FIN after it: each withholds the verdict, and says from where.
#[test]
fn a_bare_fin_verdict_is_withheld_over_a_lost_packet() {
    for (name, drop, side) in [
        ("mqtt-rumqttd-keepalive-paho.pcap", 8, "client"),
        ("mqtt-rumqttd-keepalive-paho.pcap", 11, "broker"),
        ("mqtt-rumqttd-keepalive-mqttjs.pcap", 20, "client"),
        ("mqtt-rumqttd-keepalive-mqttjs.pcap", 23, "broker"),
        ("mqtt-rumqttd-not-authorized.pcap", 26, "client"),
        ("mqtt-rumqttd-not-authorized.pcap", 27, "broker"),
    ] {
        let a = &app_of(&without_record(name, drop))["application"];
        assert_eq!(a["cause"], Value::Null, "{name} without {drop}: {a}");
        let s = a["summary"].as_str().unwrap_or_default();
        assert!(
            s.contains(&format!(
                "the {side}'s MQTT byte stream is unknown from packet"
            )),
            "{name} without {drop}: {s}"
        );
    }
}

/// An h2c connection (prior knowledge) carrying one MQTT 3.1.1 session on an RFC 8441
/// stream (stream 1, subprotocol `mqtt`): the client's CONNECT with keep alive 2 s at
/// packet 8 (10 ms in) and the broker's CONNACK; then the client says nothing, and 3.1 s
/// after the CONNACK `reset_by` sends RST_STREAM CANCEL on stream 1. The TCP connection
/// runs on with HTTP/2 PINGs (client) and their acknowledgements every 10 s, and at 40 s
/// `fin_by` ends it with a FIN. Returns the session and the RST_STREAM's packet.
fn mqtt_on_a_reset_stream(
    reset_by: wsclose::vocab::Role,
    fin_by: wsclose::vocab::Role,
    lose_reset: bool,
) -> (common::Session, u64) {
    use common::h2::h2_frame;
    use common::{Session, T0};
    use wsclose::vocab::{
        Role::{Client, Server},
        Timestamp,
    };
    let at = |ms: i64| Timestamp(T0.0 + ms * 1_000_000);
    let mut s = Session::new(40_001, 8080);
    common::h2::h2c_websocket(&mut s, "/mqtt", Some("mqtt"));
    // CONNECT: MQTT 3.1.1 (level 4), clean session, keep alive 2 s, client id "dev-7".
    let mut connect = vec![0x10, 17, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 2, 0, 5];
    connect.extend(b"dev-7");
    let mut data = Vec::new();
    h2_frame(&mut data, 0x0, 0, 1, &common::binary(Client, &connect));
    s.clock = at(10);
    s.send(Client, &data);
    let mut data = Vec::new();
    h2_frame(
        &mut data,
        0x0,
        0,
        1,
        &common::binary(Server, &[0x20, 2, 0, 0]),
    );
    s.send(Server, &data);
    // 3.1 s after the CONNACK: RST_STREAM CANCEL (0x8) on stream 1.
    s.clock = at(3_111);
    let mut rst = Vec::new();
    h2_frame(&mut rst, 0x3, 0, 1, &[0, 0, 0, 8]);
    let reset = if lose_reset {
        s.lose(reset_by, &rst);
        0
    } else {
        s.send(reset_by, &rst)
    };
    for i in 1..=4i64 {
        s.clock = at(i * 10_000);
        let (mut ping, mut pong) = (Vec::new(), Vec::new());
        h2_frame(&mut ping, 0x6, 0, 0, &i.to_be_bytes());
        h2_frame(&mut pong, 0x6, 0x1, 0, &i.to_be_bytes());
        s.send(Client, &ping);
        s.send(Server, &pong);
    }
    s.fins(fin_by);
    (s, reset)
}

/// Issue 84 item 2: an application's verdict on an HTTP/2 stream rests on that stream's own
/// ending, not on its TCP connection's. The client's RST_STREAM 3.1 s after the CONNACK is
/// the client ending the stream, not the broker's keep alive timeout 39 s later with a FIN;
/// the broker's RST_STREAM 3.1 s after the client's last packet (keep alive 2 s × 1.5 =
/// 3 s) is the broker enforcing its keep alive, not a broker that never does.
#[test]
fn an_mqtt_verdict_on_an_h2_stream_rests_on_the_streams_own_reset() {
    use wsclose::__internals::analyzer::Options;
    use wsclose::vocab::Role::{Client, Server};
    let verdict = |reset_by, fin_by| {
        let (s, reset) = mqtt_on_a_reset_stream(reset_by, fin_by, false);
        let r = common::analyze_timed(s.link, &s.pkts, Options::default());
        let c = common::only(&r);
        assert_eq!(c.h2_stream, Some(1));
        let a = c.application.clone().expect("MQTT on stream 1");
        assert_eq!(a.protocol, "MQTT");
        (a, reset)
    };
    // The client reset its stream: no broker verdict, and nothing of the TCP FIN.
    let (a, _) = verdict(Client, Server);
    assert_ne!(a.ended_by, Some(Server), "{a:?}");
    let said = format!("{:?} {:?}", a.cause, a.summary);
    for wrong in ["keep alive", "FIN", "broker"] {
        assert!(!said.contains(wrong), "{wrong}: {a:?}");
    }
    // The broker reset it 3.1 s after the client's last packet: its keep alive timeout,
    // at the RST_STREAM's packet, said as a RST_STREAM.
    let (a, reset) = verdict(Server, Client);
    assert_eq!(
        (a.cause.as_deref(), a.ended_by, a.evidence.last()),
        (Some("keep alive timeout"), Some(Server), Some(&reset)),
        "{a:?}"
    );
    let summary = a.summary.unwrap_or_default();
    assert!(
        summary.contains(&format!(
            "the broker closed 3.1 s later at packet {reset} with RST_STREAM CANCEL on its HTTP/2 stream (no close frame)"
        )),
        "{summary}"
    );
    assert!(!summary.contains("FIN"), "{summary}");
}

/// THREATS kind 4 on issue 84 item 2: the broker's RST_STREAM is lost from the capture, so
/// the stream's own ending is unknown and its direction's framing lost from there: the
/// verdict must not fall back on the TCP connection's FIN 40 s later ("the broker closed
/// 40.0 s later ... with a bare FIN", or "keep alive not enforced").
#[test]
fn an_mqtt_verdict_on_an_h2_stream_whose_reset_was_lost_is_withheld() {
    use wsclose::__internals::analyzer::Options;
    use wsclose::vocab::Role::{Client, Server};
    let (s, _) = mqtt_on_a_reset_stream(Server, Client, true);
    let r = common::analyze_timed(s.link, &s.pkts, Options::default());
    let c = common::only(&r);
    let a = c.application.clone().expect("MQTT on stream 1");
    let said = format!("{:?} {:?}", a.cause, a.summary);
    assert!(
        a.cause.is_none() && !said.contains("FIN") && !said.contains("40.0 s"),
        "{a:?}"
    );
    // What is said instead: where the broker's stream stopped being known.
    assert!(
        said.contains("the broker's MQTT byte stream is unknown from packet"),
        "{a:?}"
    );
}

/// A tracker's report with its words, as the finished report has them
/// (`report::words::app::fill`, with the server's close reason).
fn worded(t: &Tracker, end: &Ending) -> Option<ApplicationReport> {
    let mut a = t.finish(end)?;
    let reason = end
        .close
        .as_ref()
        .filter(|c| c.0 == wsclose::vocab::Role::Server)
        .map(|c| c.2.as_str());
    wsclose::report::words::app::fill(&mut a, reason);
    Some(a)
}
