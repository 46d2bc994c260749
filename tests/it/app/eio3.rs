//! engine.io protocol 3 sessions of real peers (fixtures/app/socketio2-*, recorded from
//! socket.io 2.5.1 and socket.io-client 2.5.0; what each endpoint logged is in the .log
//! beside each capture): the client pings and the server answers, the OPEN's timers judge
//! the server's ping timeout, and a session that began on long-polling (v3's `<len>:<packet>`
//! payloads) is linked to its polling connections by sid.

use serde_json::{json, Value};

use crate::common::app as fixture;
use fixture::json as report;

/// The only connection's application object.
fn application(r: &Value) -> &Value {
    assert_eq!(r["connections"].as_array().map(Vec::len), Some(1), "{r}");
    &r["connections"][0]["application"]
}

/// (protocol, version, recognized_by, ended_by, cause, evidence).
fn said(a: &Value) -> Value {
    json!([
        a["protocol"],
        a["version"],
        a["recognized_by"],
        a["ended_by"],
        a["cause"],
        a["evidence"]
    ])
}

/// Each side's (pings, pongs) of the engine.io heartbeat.
fn beats(a: &Value) -> Value {
    let hb = &a["heartbeat"];
    json!([
        [hb["client"]["pings"], hb["client"]["pongs"]],
        [hb["server"]["pings"], hb["server"]["pongs"]]
    ])
}

#[test]
fn each_v3_fixture_gets_the_cause_its_endpoints_logged() {
    // (fixture, ended by, cause, evidence): the cause the side that ended it logged.
    let cases = [
        // server: "ping timeout" (the client paused by SIGSTOP); client: "transport close".
        (
            "socketio2-ping-timeout.pcap",
            "server",
            "ping timeout",
            json!([12, 15]),
        ),
        // client: "ping timeout" (the server's event loop blocked); server: "transport close".
        (
            "socketio2-client-ping-timeout.pcap",
            "client",
            "ping timeout",
            json!([15, 17]),
        ),
        // client: error "not authorized" (the server's middleware refused).
        (
            "socketio2-connect-error.pcap",
            "server",
            "connect error",
            json!([10]),
        ),
        // server: "server namespace disconnect"; client: "io server disconnect".
        (
            "socketio2-server-disconnect.pcap",
            "server",
            "io server disconnect",
            json!([15]),
        ),
        (
            "socketio2-polling-server-disconnect.pcap",
            "server",
            "io server disconnect",
            json!([42]),
        ),
        (
            "socketio2-polling-ping-timeout.pcap",
            "server",
            "ping timeout",
            json!([42, 46]),
        ),
    ];
    for (name, by, cause, evidence) in cases {
        let r = report(name, &[]);
        let a = application(&r);
        assert_eq!(
            said(a),
            json!([
                "socket.io",
                "engine.io 3",
                "request target: EIO=3",
                by,
                cause,
                evidence
            ]),
            "{name}"
        );
        // The OPEN's timers, on the WebSocket or in the polling handshake's response.
        assert_eq!(
            (
                &a["heartbeat"]["interval_ms"],
                &a["heartbeat"]["timeout_ms"]
            ),
            (&json!(300), &json!(200)),
            "{name}"
        );
        // No engine.io 3 ping ever comes from the server, no pong from the client.
        let hb = &a["heartbeat"];
        assert_eq!(
            (&hb["server"]["pings"], &hb["client"]["pongs"]),
            (&json!(0), &json!(0)),
            "{name}"
        );
        assert_eq!(a["undecodable"], 0, "{name}");
        let kinds: Vec<&str> = r["connections"][0]["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["kind"].as_str())
            .collect();
        assert!(kinds.contains(&"application"), "{name}: {kinds:?}");
    }
}

#[test]
fn the_server_times_out_a_paused_client_from_its_last_message() {
    // The client, paused 50 ms after its "hello" (packet 12), sent no ping; engine.io 3's
    // server closed (an empty close frame, packet 15) pingInterval + pingTimeout after the
    // last packet it read. The client's ping once resumed (packet 17) came after the end.
    let r = report("socketio2-ping-timeout.pcap", &[]);
    let a = application(&r);
    assert_eq!(
        a["summary"],
        "the server closed at packet 15, 503 ms after the client's last message at packet 12 (pingInterval + pingTimeout = 500 ms); nothing came from the client after it, no ping either"
    );
    assert_eq!(beats(a), json!([[1, 0], [0, 0]]));
    assert_eq!(a["heartbeat"]["client"]["last_ping"], 17);
    assert_eq!(a["related"][0]["value"], "XCmUBfny_UPiMc6JAAAA");
    // --redact keeps the cause, not the sid.
    let red = report("socketio2-ping-timeout.pcap", &["--redact"]);
    assert_eq!(application(&red)["cause"], "ping timeout");
    assert!(!red.to_string().contains("XCmUBfny_UPiMc6JAAAA"));
}

#[test]
fn a_v3_session_from_long_polling_names_its_polling_connections() {
    // socket.io-client 2's default transports: the handshake GET's response carries
    // `93:0{"sid":…,"pingInterval":300,"pingTimeout":200}2:40` (v3's length-prefixed
    // payload) at packet 6, a POST and a GET with the sid, the WebSocket's `2probe`,
    // `3probe` and UPGRADE (packet 40).
    for (name, sid) in [
        (
            "socketio2-polling-server-disconnect.pcap",
            "C46pgd3pbV7TSkc8AAAA",
        ),
        (
            "socketio2-polling-ping-timeout.pcap",
            "TFA7H3DLo-hiuifqAAAA",
        ),
    ] {
        for extra in [&[][..], &["--threads", "2"], &["--keep-reports", "0"]] {
            let r = report(name, extra);
            let a = application(&r);
            let id = &a["related"][0];
            assert_eq!(
                (&id["kind"], &id["value"], &id["upgrade_packet"]),
                (&json!("socket.io-sid"), &json!(sid), &json!(40)),
                "{name} {extra:?}"
            );
            assert_eq!(
                id["polling"],
                json!([
                    {"first_packet": 1, "last_response": 6, "requests": 1, "open_packet": 6},
                    {"first_packet": 14, "last_response": 30, "requests": 1, "open_packet": null},
                    {"first_packet": 17, "last_response": 33, "requests": 1, "open_packet": null}
                ]),
                "{name} {extra:?}"
            );
            let summary = a["summary"].as_str().unwrap();
            assert!(
                summary.ends_with(&format!("the session began on HTTP long-polling as engine.io session \"{sid}\": 3 polling connections (from packets 1, 14, 17); the last poll was answered at packet 33, before the UPGRADE at packet 40; pingInterval 300 ms and pingTimeout 200 ms from the OPEN at packet 6")),
                "{name} {extra:?}: {summary}"
            );
        }
    }
}

#[test]
fn after_the_upgrade_the_server_times_out_with_the_polling_opens_timers() {
    // Once upgraded, the client pinged on the WebSocket (packet 42, answered at 44), then
    // was paused: the server logged "ping timeout" and closed at packet 46; the client's
    // ping once resumed (packet 48) came after the end.
    let r = report("socketio2-polling-ping-timeout.pcap", &[]);
    let a = application(&r);
    let summary = a["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("the server closed at packet 46, 501 ms after the client's last message at packet 42 (pingInterval + pingTimeout = 500 ms); nothing came from the client after it, no ping either; "),
        "{summary}"
    );
    assert_eq!(beats(a), json!([[2, 0], [0, 1]]));
    assert_eq!(a["heartbeat"]["server"]["last_pong"], 44);
}

#[test]
fn the_client_times_out_a_blocked_server_whose_pong_came_after_the_end() {
    // The server blocked its event loop for 1.2 s: the client's ping (packet 15) got no
    // pong within pingTimeout and the client closed (packet 17); the server, unblocked,
    // answered that ping at packet 21, after the end.
    let r = report("socketio2-client-ping-timeout.pcap", &[]);
    let a = application(&r);
    assert_eq!(
        a["summary"],
        "the client's ping at packet 15 got no pong from the server within pingTimeout 200 ms; the client closed at packet 17, 201 ms after the ping"
    );
    assert_eq!(beats(a), json!([[1, 0], [0, 1]]));
    assert_eq!(a["heartbeat"]["server"]["last_pong"], 21);
}

#[test]
fn a_v3_refusal_is_named_as_socket_io_2_names_it() {
    // socket.io 2's middleware refusal: `44"not authorized"` (packet type 4, ERROR), which
    // socket.io-client 2 emits as an "error" event.
    let r = report("socketio2-connect-error.pcap", &[]);
    assert_eq!(
        application(&r)["summary"],
        "the server refused the socket.io connection with ERROR (socket.io 2's CONNECT_ERROR) \"not authorized\" (packet 10)"
    );
}
