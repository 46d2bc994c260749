//! SignalR, Phoenix channels and Action Cable as their real JavaScript clients speak them
//! (fixtures/app/signalr-*, phoenix-*, actioncable-*: @microsoft/signalr 10.0.11, phoenix.js
//! 1.8.16 and @rails/actioncable 8.1.400 against the recording scripts' own servers): the
//! report's `application` object says what the client logged (the .log beside each capture).

use serde_json::{json, Value};

use crate::common::app as fixture;

fn report(name: &str) -> Value {
    fixture::json(name, &[])
}

/// The `application` fields a client's log decides: protocol, recognized_by, ended_by,
/// cause, evidence.
fn app(r: &Value, i: usize) -> Value {
    let a = &r["connections"][i]["application"];
    json!({
        "protocol": a["protocol"],
        "recognized_by": a["recognized_by"],
        "ended_by": a["ended_by"],
        "cause": a["cause"],
        "evidence": a["evidence"],
    })
}

fn expect(name: &str, i: usize, protocol: &str, by: &str, ended_by: &str, cause: &str, ev: &[u64]) {
    let got = app(&report(name), i);
    let want = json!({
        "protocol": protocol,
        "recognized_by": by,
        "ended_by": ended_by,
        "cause": cause,
        "evidence": ev,
    });
    assert_eq!(got, want, "{name} connection {i}");
}

const SIGNALR: &str = "first message: the SignalR handshake";
const PHOENIX: &str = "request target: …/websocket?vsn=2.0.0";
const CABLE: &str = "Sec-WebSocket-Protocol: actioncable-v1-json";

/// Client: `Connection disconnected with error 'Error: Server returned an error on close:
/// Connection closed with an error. InvalidOperationException: Token expired.'`.
#[test]
fn signalr_close_with_error() {
    let name = "signalr-close-error.pcap";
    expect(
        name,
        0,
        "SignalR",
        SIGNALR,
        "server",
        "closed with error",
        &[23],
    );
    let s = report(name)["connections"][0]["application"]["summary"].clone();
    let s = s.as_str().unwrap();
    assert!(
        s.contains("InvalidOperationException: Token expired."),
        "{s}"
    );
    assert!(s.contains("reconnect allowed"), "{s}");
}

/// Client: `Server returned handshake error: Requested protocol 'json' is not available.`,
/// then start() fails.
#[test]
fn signalr_handshake_error() {
    let name = "signalr-handshake-error.pcap";
    expect(
        name,
        0,
        "SignalR",
        SIGNALR,
        "server",
        "handshake error",
        &[19],
    );
    let s = report(name)["connections"][0]["application"]["summary"].clone();
    assert!(
        s.as_str()
            .unwrap()
            .contains("Requested protocol 'json' is not available."),
        "{s}"
    );
}

/// signalr-close-error with the MessagePack hub protocol: the Close record is [7, error,
/// true].
#[test]
fn signalr_messagepack_close_with_error() {
    let name = "signalr-msgpack-close-error.pcap";
    expect(
        name,
        0,
        "SignalR",
        SIGNALR,
        "server",
        "closed with error",
        &[23],
    );
    let a = &report(name)["connections"][0]["application"];
    assert_eq!(a["version"], "messagepack protocol, version 1");
    let s = a["summary"].as_str().unwrap();
    assert!(
        s.contains("InvalidOperationException: Token expired."),
        "{s}"
    );
    assert!(s.contains("reconnect allowed"), "{s}");
}

/// Client: `Connection disconnected with error 'Error: Server timeout elapsed without
/// receiving a message from the server.'` (serverTimeoutInMilliseconds 2000; the server
/// pinged every 500 ms, then stopped).
#[test]
fn signalr_server_timeout() {
    let name = "signalr-server-timeout.pcap";
    expect(
        name,
        0,
        "SignalR",
        SIGNALR,
        "client",
        "server timeout",
        &[18, 22],
    );
    let s = report(name)["connections"][0]["application"]["summary"].clone();
    assert!(
        s.as_str()
            .unwrap()
            .contains("nothing for 2.0 s after packet 18"),
        "{s}"
    );
}

/// Client: `Stopping HubConnection.`, then `Connection disconnected.`; its own Close record
/// (`{"type":7}`) went out first.
#[test]
fn signalr_client_stop() {
    expect(
        "signalr-client-stop.pcap",
        0,
        "SignalR",
        SIGNALR,
        "client",
        "client closed",
        &[23],
    );
}

/// Client: `heartbeat timeout. Attempting to re-establish connection`, close 1000
/// "heartbeat timeout".
#[test]
fn phoenix_heartbeat_timeout() {
    expect(
        "phoenix-heartbeat-timeout.pcap",
        0,
        "Phoenix channels",
        PHOENIX,
        "client",
        "heartbeat timeout",
        &[17, 19],
    );
}

/// Client: `receive: error room:secret phx_reply (6) {"status":"error","response":{"reason":
/// "unauthorized"}}`, then its receive("error") callback disconnects.
#[test]
fn phoenix_join_refused() {
    let name = "phoenix-join-refused.pcap";
    expect(
        name,
        0,
        "Phoenix channels",
        PHOENIX,
        "server",
        "join refused",
        &[9],
    );
    let s = report(name)["connections"][0]["application"]["summary"].clone();
    assert!(
        s.as_str().unwrap().contains("reason \"unauthorized\""),
        "{s}"
    );
}

/// Client: `Disconnecting. Reason: unauthorized`, `willAttemptReconnect: false`.
#[test]
fn actioncable_unauthorized() {
    let name = "actioncable-unauthorized.pcap";
    expect(
        name,
        0,
        "Action Cable",
        CABLE,
        "server",
        "unauthorized",
        &[8],
    );
    let a = report(name)["connections"][0]["application"].clone();
    assert!(
        a["summary"].as_str().unwrap().contains("no reconnect"),
        "{a}"
    );
    // The subprotocol the server chose names the version and its encoding.
    assert_eq!(a["version"], "1 (JSON)", "{a}");
}

/// Client: `ConnectionMonitor detected stale connection. … time stale = 14.716 s, stale
/// threshold = 6 s`, then `ConnectionMonitor reopening`; the reopened connection (the
/// second) ends with the recording, and no cause is claimed for it.
#[test]
fn actioncable_stale_connection() {
    let name = "actioncable-stale.pcap";
    expect(
        name,
        0,
        "Action Cable",
        CABLE,
        "client",
        "stale connection",
        &[15, 17],
    );
    let r = report(name);
    let s = r["connections"][0]["application"]["summary"]
        .as_str()
        .unwrap();
    assert!(s.contains("14.7 s after packet 15"), "{s}");
    let second = &r["connections"][1]["application"];
    assert_eq!(second["protocol"], "Action Cable");
    assert_eq!(second["cause"], Value::Null);
}
