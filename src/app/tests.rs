//! Each protocol's recognition and verdicts, from messages built here as the protocols'
//! documents write them.

use super::*;
use crate::flow::Role::{Client, Server};

mod mqtt_stream;
mod withheld;

/// A session script: (from, text, bytes, packet, time in ms).
struct Script {
    t: Tracker,
}

impl Script {
    fn new(subprotocol: Option<&str>, target: Option<&str>) -> Script {
        Script {
            t: Tracker::new(subprotocol, target),
        }
    }

    fn text(&mut self, from: Role, s: &str, packet: u64, at_ms: i64) -> &mut Script {
        self.msg(from, true, s.as_bytes(), packet, at_ms)
    }

    fn bin(&mut self, from: Role, b: &[u8], packet: u64, at_ms: i64) -> &mut Script {
        self.msg(from, false, b, packet, at_ms)
    }

    fn msg(&mut self, from: Role, text: bool, b: &[u8], packet: u64, at_ms: i64) -> &mut Script {
        self.t.message(&Message {
            from,
            text,
            bytes: b,
            len: b.len() as u64,
            damaged: false,
            packet,
            ts: ts(at_ms),
        });
        self
    }
}

fn ts(ms: i64) -> Timestamp {
    Timestamp(ms * 1_000_000)
}

/// Ended by a close frame.
fn closed(by: Role, code: Option<u16>, reason: &str, packet: u64, at_ms: i64) -> Ending {
    Ending {
        close: Some((by, code, reason.into(), packet, ts(at_ms))),
        tcp: None,
        last_ts: Some(ts(at_ms)),
    }
}

/// Ended by a FIN (or RST) with no close frame.
fn tcp_end(by: Role, rst: bool, packet: u64, at_ms: i64) -> Ending {
    Ending {
        close: None,
        tcp: Some((by, rst, packet, ts(at_ms))),
        last_ts: Some(ts(at_ms)),
    }
}

#[test]
fn nothing_is_claimed_for_an_unrecognized_session() {
    let mut s = Script::new(None, Some("/chat"));
    s.text(Client, "2", 5, 0).text(Server, "41", 6, 10);
    assert!(s.t.finish(&closed(Server, Some(1000), "", 7, 20)).is_none());
    // A subprotocol of no known protocol.
    let s = Script::new(Some("chat.v2"), Some("/socket.io/"));
    assert!(s.t.protocol().is_none());
}

#[test]
fn socketio_v4_ping_timeout_on_the_server() {
    let mut s = Script::new(None, Some("/socket.io/?EIO=4&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#,
        4,
        0,
    )
    .text(Client, "40", 6, 5)
    .text(Server, r#"40{"sid":"xyz"}"#, 7, 6)
    .text(Server, "2", 9, 300)
    .text(Client, "3", 10, 301)
    .text(Server, "2", 12, 600);
    // No pong to the ping at packet 12; the server closes 200 ms later.
    let r = s.t.finish(&closed(Server, None, "", 14, 801)).unwrap();
    assert_eq!(r.protocol, "socket.io");
    assert_eq!(r.recognized_by, "request target: EIO=4");
    assert_eq!(r.cause.as_deref(), Some("ping timeout"));
    assert_eq!(r.ended_by, Some(Server));
    assert_eq!(r.evidence, [12, 14]);
    let summary = r.summary.unwrap();
    assert!(summary.contains("ping at packet 12"), "{summary}");
    assert!(summary.contains("pingTimeout 200 ms"), "{summary}");
    let hb = r.heartbeat.unwrap();
    assert_eq!((hb.interval_ms, hb.timeout_ms), (Some(300), Some(200)));
    assert_eq!(
        (hb.server.pings, hb.client.pongs, hb.server.unanswered),
        (2, 1, 1)
    );
    assert_eq!(r.related[0].value, "abc");
}

#[test]
fn socketio_ping_timeout_is_not_claimed_before_the_timer_ran_out() {
    let mut s = Script::new(None, Some("/socket.io/?EIO=4&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"abc","pingInterval":300,"pingTimeout":200}"#,
        4,
        0,
    )
    .text(Server, "2", 9, 300);
    // The server closes 50 ms after its ping: not a ping timeout, a transport close.
    let r = s.t.finish(&tcp_end(Server, false, 11, 350)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("transport close"));
    let r = s.t.finish(&tcp_end(Server, true, 11, 350)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("transport error"));
}

#[test]
fn socketio_client_ping_timeout_and_disconnects() {
    let mut s = Script::new(None, Some("/socket.io/?EIO=4&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"a","pingInterval":1000,"pingTimeout":500}"#,
        4,
        0,
    )
    .text(Server, "2", 6, 1000)
    .text(Client, "3", 7, 1001);
    // The client heard no ping for 1.5 s after packet 6.
    let r =
        s.t.finish(&closed(Client, Some(1000), "", 20, 2600))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("ping timeout"));
    assert_eq!(r.ended_by, Some(Client));
    // A server DISCONNECT names the server, whatever closed the transport.
    s.text(Server, "41/admin,", 18, 1500);
    let r =
        s.t.finish(&closed(Client, Some(1000), "", 20, 1600))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("io server disconnect"));
    assert!(r.summary.unwrap().contains("\"/admin\""));
    // CONNECT_ERROR wins, with its message.
    s.text(Server, r#"44{"message":"not authorized"}"#, 19, 1550);
    let r =
        s.t.finish(&closed(Server, Some(1000), "", 20, 1600))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("connect error"));
    assert!(r.summary.unwrap().contains("\"not authorized\""));
}

#[test]
fn socketio_v3_pings_come_from_the_client() {
    let mut s = Script::new(None, Some("/socket.io/?EIO=3&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"a","pingInterval":1000,"pingTimeout":500}"#,
        4,
        0,
    )
    .text(Client, "2", 6, 1000);
    let r = s.t.finish(&tcp_end(Client, false, 9, 1600)).unwrap();
    assert_eq!(r.version.as_deref(), Some("engine.io 3"));
    assert_eq!(r.cause.as_deref(), Some("ping timeout"));
    assert_eq!(r.evidence, [6, 9]);
}

#[test]
fn socketio_v3_server_ping_timeout_counts_from_the_clients_last_message() {
    // engine.io 3: the client pings, the server gives up pingInterval + pingTimeout after
    // the last packet it read from the client (a message, not only a ping). The client,
    // paused, pings again after the server closed: that ping is not one the end followed.
    let mut s = Script::new(None, Some("/socket.io/?EIO=3&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"a","pingInterval":300,"pingTimeout":200}"#,
        8,
        0,
    )
    .text(Server, "40", 10, 8)
    .text(Client, r#"42["hello","world"]"#, 12, 10)
    .text(Server, r#"42["hi","got world"]"#, 13, 12);
    let end = closed(Server, None, "", 15, 513);
    s.text(Client, "2", 17, 1570);
    let r = s.t.finish(&end).unwrap();
    assert_eq!(
        (r.ended_by, r.cause.as_deref()),
        (Some(Server), Some("ping timeout"))
    );
    assert_eq!(r.evidence, [12, 15]);
    assert_eq!(
        r.summary.as_deref(),
        Some("the server closed at packet 15, 503 ms after the client's last message at packet 12 (pingInterval + pingTimeout = 500 ms); nothing came from the client after it, no ping either")
    );
    // A message 200 ms before the close restarted the server's timer: no ping timeout.
    let mut s = Script::new(None, Some("/socket.io/?EIO=3&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"a","pingInterval":300,"pingTimeout":200}"#,
        8,
        0,
    )
    .text(Client, "2", 10, 300)
    .text(Server, "3", 11, 301)
    .text(Client, r#"42["hello","world"]"#, 12, 600);
    let r = s.t.finish(&closed(Server, None, "", 15, 820)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("transport close"));
}

#[test]
fn a_pong_after_the_end_answered_nothing_in_time() {
    // engine.io 3: the server, its event loop blocked, answers the client's ping only after
    // the client gave up and closed; the client's ping timeout stands.
    let mut s = Script::new(None, Some("/socket.io/?EIO=3&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"a","pingInterval":300,"pingTimeout":200}"#,
        8,
        0,
    )
    .text(Client, "2", 10, 300)
    .text(Server, "3", 11, 301)
    .text(Client, "2", 15, 600);
    let end = closed(Client, None, "", 17, 801);
    s.text(Server, "3", 21, 1500);
    let r = s.t.finish(&end).unwrap();
    assert_eq!(
        (r.ended_by, r.cause.as_deref()),
        (Some(Client), Some("ping timeout"))
    );
    assert_eq!(r.evidence, [15, 17]);
}

#[test]
fn socketio_v3_names_its_refusal_an_error_packet() {
    let mut s = Script::new(None, Some("/socket.io/?EIO=3&transport=websocket"));
    s.text(
        Server,
        r#"0{"sid":"a","pingInterval":300,"pingTimeout":200}"#,
        8,
        0,
    )
    .text(Server, r#"44"not authorized""#, 10, 5);
    let r = s.t.finish(&closed(Client, None, "", 15, 20)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("connect error"));
    assert_eq!(
        r.summary.as_deref(),
        Some("the server refused the socket.io connection with ERROR (socket.io 2's CONNECT_ERROR) \"not authorized\" (packet 10)")
    );
}

#[test]
fn graphql_transport_ws_codes_by_name_with_context() {
    let mut s = Script::new(Some("graphql-transport-ws"), Some("/graphql"));
    let r =
        s.t.finish(&closed(
            Server,
            Some(4408),
            "Connection initialisation timeout",
            5,
            3000,
        ))
        .unwrap();
    assert_eq!(r.protocol, "graphql-transport-ws");
    assert_eq!(
        r.cause.as_deref(),
        Some("connection initialisation timeout")
    );
    assert!(r.summary.unwrap().contains("no connection_init"));
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0)
        .text(Server, r#"{"type":"connection_ack"}"#, 5, 1)
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{"query":"subscription{a}"}}"#,
            6,
            2,
        )
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{"query":"subscription{a}"}}"#,
            8,
            3,
        );
    let r =
        s.t.finish(&closed(
            Server,
            Some(4409),
            "Subscriber for 1 already exists",
            9,
            4,
        ))
        .unwrap();
    assert_eq!(r.cause.as_deref(), Some("subscriber already exists"));
    assert_eq!(r.evidence, [8, 9]);
    // A code the protocol does not define: nothing claimed.
    assert!(s
        .t
        .finish(&closed(Server, Some(4000), "", 9, 4))
        .unwrap()
        .cause
        .is_none());
}

#[test]
fn graphql_protocol_mismatch_either_way() {
    let mut s = Script::new(Some("graphql-transport-ws"), None);
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0).text(
        Client,
        r#"{"type":"start","id":"1","payload":{}}"#,
        6,
        1,
    );
    let r = s.t.finish(&closed(Server, Some(4400), "", 7, 2)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("protocol mismatch"));
    let mut s = Script::new(Some("graphql-ws"), None);
    s.text(
        Client,
        r#"{"type":"subscribe","id":"1","payload":{}}"#,
        6,
        1,
    );
    let r = s.t.finish(&closed(Server, Some(1002), "", 7, 2)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("protocol mismatch"));
    assert_eq!(r.protocol, "graphql-ws");
}

#[test]
fn graphql_legacy_errors_and_keepalives() {
    let mut s = Script::new(Some("graphql-ws"), None);
    s.text(Client, r#"{"type":"connection_init","payload":{}}"#, 4, 0)
        .text(Server, r#"{"type":"connection_ack"}"#, 5, 1)
        .text(Server, r#"{"type":"ka"}"#, 6, 10)
        .text(Server, r#"{"type":"ka"}"#, 8, 1010);
    let r =
        s.t.finish(&closed(Client, Some(1000), "", 12, 4000))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep-alive missed"));
    let r =
        s.t.finish(&closed(Client, Some(1000), "", 12, 1500))
            .unwrap();
    assert_eq!(r.cause, None);
    s.text(
        Server,
        r#"{"type":"connection_error","payload":{"message":"bad token"}}"#,
        9,
        1100,
    );
    let r =
        s.t.finish(&closed(Server, Some(1011), "", 12, 1200))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("connection error"));
}

/// An MQTT CONNECT for `client_id`, protocol level `level`, keep alive `keep` s.
fn connect(level: u8, client_id: &str, keep: u16) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', level, 0x02];
    body.extend(keep.to_be_bytes());
    if level == 5 {
        body.push(0); // no properties
    }
    body.extend((client_id.len() as u16).to_be_bytes());
    body.extend(client_id.as_bytes());
    let mut p = vec![0x10, body.len() as u8];
    p.extend(body);
    p
}

#[test]
fn mqtt_refusals_disconnects_and_keepalive() {
    let mut s = Script::new(Some("mqtt"), Some("/mqtt"));
    s.bin(Client, &connect(4, "dash-1", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 5], 5, 1);
    let r = s.t.finish(&tcp_end(Server, false, 6, 2)).unwrap();
    assert_eq!(r.protocol, "MQTT");
    assert_eq!(r.version.as_deref(), Some("3.1.1"));
    assert_eq!(
        r.cause.as_deref(),
        Some("connection refused: not authorized")
    );
    assert_eq!(r.related[0].kind, "mqtt-client-id");
    assert_eq!(r.related[0].value, "dash-1");

    // 3.1.1: the client's DISCONNECT, then the broker's FIN: a normal end.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1)
        .bin(Client, &[0xe0, 0], 8, 100);
    let r = s.t.finish(&tcp_end(Server, false, 9, 101)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("client disconnected"));
    assert_eq!(r.ended_by, Some(Client));

    // 5.0: the broker's DISCONNECT 0x8E.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 10), 4, 0)
        .bin(Server, &[0x20, 3, 0, 0, 0], 5, 1)
        .bin(Server, &[0xe0, 2, 0x8e, 0], 8, 100);
    let r = s.t.finish(&tcp_end(Server, false, 9, 101)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("session taken over"));
    assert_eq!(r.version.as_deref(), Some("5.0"));

    // 5.0: a PUBLISH over the Maximum Packet Size the broker gave in CONNACK (mosquitto
    // 2.0.11's CONNACK with max_packet_size 100: topic alias maximum 10, maximum packet size
    // 100, receive maximum 20), then the broker's FIN with no DISCONNECT.
    let connack = [
        0x20, 0x0e, 0, 0, 0x0b, 0x22, 0, 0x0a, 0x27, 0, 0, 0, 0x64, 0x21, 0, 0x14,
    ];
    let mut publish = vec![0x30, 0xbb, 0x02, 0, 0x0c];
    publish.extend_from_slice(b"sensors/blob");
    publish.push(0);
    publish.extend(std::iter::repeat_n(b'x', 300));
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 10), 4, 0)
        .bin(Server, &connack, 5, 1)
        .bin(Client, &publish, 8, 100);
    let r = s.t.finish(&tcp_end(Server, false, 9, 101)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("packet too large"), "{r:?}");
    assert_eq!(r.evidence, [5, 8, 9]);
    assert!(
        r.summary
            .as_deref()
            .unwrap()
            .contains("PUBLISH at packet 8 was 318 bytes, over the Maximum Packet Size of 100"),
        "{r:?}"
    );
    // A client that ended the session itself was not dropped for it.
    let r = s.t.finish(&tcp_end(Client, false, 9, 101)).unwrap();
    assert_ne!(r.cause.as_deref(), Some("packet too large"));

    // Keep alive 10 s: the broker drops a client silent for 15 s, not one silent for 9.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1)
        .bin(Client, &[0xc0, 0], 6, 10_000)
        .bin(Server, &[0xd0, 0], 7, 10_001);
    let r = s.t.finish(&tcp_end(Server, false, 9, 25_000)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep alive timeout"));
    assert_eq!(r.evidence, [6, 9]);
    let hb = r.heartbeat.unwrap();
    assert_eq!(
        (hb.interval_ms, hb.timeout_ms),
        (Some(10_000), Some(15_000))
    );
    assert_eq!((hb.client.pings, hb.server.pongs), (1, 1));
    // Silent for 9 s, under 1.5 × 10 s: no keep alive expired, so the broker's close has
    // no MQTT reason.
    let r = s.t.finish(&tcp_end(Server, false, 9, 19_000)).unwrap();
    assert_eq!(r.cause.as_deref(), Some(mqtt::NO_REASON));
}

#[test]
fn mqtt_malformed_is_counted_not_read() {
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &[0x10, 0xff, 0xff, 0xff, 0xff, 0xff], 4, 0)
        .text(Client, "hello", 5, 1)
        .bin(Client, &[], 6, 2);
    let r = s.t.finish(&tcp_end(Server, false, 9, 3)).unwrap();
    assert_eq!((r.messages, r.undecodable), (3, 3));
    assert_eq!(r.cause, None);
}

/// A STOMP 1.2 session whose client beats every second (max(1000, 500) ms, the client's
/// offer and the server's wish), its last beat at packet 6, 1 s in.
fn stomp_heartbeats() -> Script {
    let mut s = Script::new(Some("v12.stomp"), None);
    s.text(
        Client,
        "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n\0",
        4,
        0,
    )
    .text(
        Server,
        "CONNECTED\nversion:1.2\nheart-beat:2000,500\n\n\0",
        5,
        1,
    )
    .text(Client, "\n", 6, 1000);
    s
}

#[test]
fn stomp_error_disconnect_and_heartbeats() {
    let mut s = stomp_heartbeats();
    // Client to server every max(1000, 500) = 1 s; the server waited 2.5 s.
    let r = s.t.finish(&tcp_end(Server, false, 9, 3500)).unwrap();
    assert_eq!(r.protocol, "STOMP");
    assert_eq!(r.version.as_deref(), Some("1.2"));
    assert_eq!(r.cause.as_deref(), Some("missed heart-beats"));
    s.text(
        Server,
        "ERROR\nmessage:access refused\ncontent-type:text/plain\n\nno such queue\0",
        8,
        1100,
    );
    let r = s.t.finish(&tcp_end(Server, false, 9, 1200)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("error frame"));
    assert!(r.summary.unwrap().contains("access refused: no such queue"));
}

#[test]
fn signalr_by_its_handshake_only() {
    let mut s = Script::new(None, Some("/chathub?id=abc"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Server, "{\"type\":6}\x1e", 6, 15_000)
        .text(
            Server,
            "{\"type\":7,\"error\":\"Server shut down\",\"allowReconnect\":true}\x1e",
            8,
            16_000,
        );
    let r =
        s.t.finish(&closed(Server, Some(1000), "", 9, 16_001))
            .unwrap();
    assert_eq!(r.protocol, "SignalR");
    assert_eq!(r.recognized_by, "first message: the SignalR handshake");
    assert_eq!(r.cause.as_deref(), Some("closed with error"));
    assert!(r.summary.unwrap().contains("reconnect allowed"));
    // A first message that only looks like JSON is not a handshake.
    let mut s = Script::new(None, Some("/chathub"));
    s.text(Client, "{\"protocol\":\"json\"}", 4, 0);
    assert!(s.t.finish(&closed(Server, Some(1000), "", 9, 1)).is_none());
}

/// The JavaScript client's stop() sends its own Close record before closing: the client
/// ended it, not the server.
#[test]
fn signalr_a_close_record_from_the_client_is_the_clients() {
    let mut s = Script::new(None, Some("/hub?id=t"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Client, "{\"type\":7}\x1e", 7, 200);
    let r = s.t.finish(&closed(Client, None, "", 8, 201)).unwrap();
    assert_eq!(r.ended_by, Some(Client));
    assert_eq!(r.cause.as_deref(), Some("client closed"));
    assert_eq!(r.evidence, [7]);
}

/// A serverTimeoutInMilliseconds shorter than the default: read from the server's cadence
/// (pings every 500 ms, then silence for twice that), only when the client closed without
/// its own Close record.
#[test]
fn signalr_a_short_server_timeout_from_the_servers_cadence() {
    let script = || {
        let mut s = Script::new(None, Some("/hub"));
        s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
            .text(Server, "{}\x1e", 5, 1)
            .text(Server, "{\"type\":6}\x1e", 6, 501)
            .text(Server, "{\"type\":6}\x1e", 7, 1001)
            .text(Server, "{\"type\":6}\x1e", 8, 1501);
        s
    };
    let s = script();
    let r = s.t.finish(&closed(Client, None, "", 10, 3501)).unwrap();
    assert_eq!(r.ended_by, Some(Client));
    assert_eq!(r.cause.as_deref(), Some("server timeout"));
    assert_eq!(r.evidence, [8, 10]);
    let summary = r.summary.unwrap();
    assert!(summary.contains("at least every 500 ms"), "{summary}");
    assert!(
        summary.contains("nothing for 2 s after packet 8"),
        "{summary}"
    );
    // Less than twice the cadence: nothing is claimed.
    let r = script()
        .t
        .finish(&closed(Client, None, "", 10, 2300))
        .unwrap();
    assert_eq!(r.cause, None);
    // One ping is no cadence.
    let mut s = Script::new(None, Some("/hub"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Server, "{\"type\":6}\x1e", 6, 501);
    let r = s.t.finish(&closed(Client, None, "", 10, 5000)).unwrap();
    assert_eq!(r.cause, None);
    // The server closing after the client's silence is not read by cadence.
    let mut s = script();
    s.text(Client, "{\"type\":6}\x1e", 9, 1600);
    s.text(Client, "{\"type\":6}\x1e", 11, 2100);
    let r = s.t.finish(&closed(Server, None, "", 12, 9000)).unwrap();
    assert_eq!(r.cause, None);
}

/// MessagePack Close records: [7, error, allowReconnect], the error a str 8 or str 16 (the
/// length prefix before each record is 7 bits a byte).
#[test]
fn signalr_messagepack_close_reads_error_and_allow_reconnect() {
    let close = |payload: &[u8]| {
        let mut s = Script::new(None, Some("/hub?id=t"));
        s.text(
            Client,
            "{\"protocol\":\"messagepack\",\"version\":1}\x1e",
            4,
            0,
        )
        .bin(Server, b"{}\x1e", 5, 1);
        let mut rec = Vec::new();
        let mut n = payload.len();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            rec.push(if n > 0 { b | 0x80 } else { b });
            if n == 0 {
                break;
            }
        }
        rec.extend_from_slice(payload);
        s.bin(Server, &rec, 6, 2);
        s.t.finish(&closed(Client, None, "", 7, 3)).unwrap()
    };
    let mut str8 = vec![0x93, 7, 0xd9, 5];
    str8.extend_from_slice(b"boom!");
    str8.push(0xc3);
    let r = close(&str8);
    assert_eq!(r.cause.as_deref(), Some("closed with error"));
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("\"boom!\" at packet 6, reconnect allowed"),
        "{summary}"
    );
    let long = "x".repeat(300);
    let mut str16 = vec![0x93, 7, 0xda, 0x01, 0x2c];
    str16.extend_from_slice(long.as_bytes());
    str16.push(0xc2);
    let r = close(&str16);
    assert_eq!(r.cause.as_deref(), Some("closed with error"));
    assert!(r.summary.unwrap().ends_with(", no reconnect"));
    // nil error, allowReconnect left out.
    let r = close(&[0x92, 7, 0xc0]);
    assert_eq!(r.cause.as_deref(), Some("server closed"));
    assert!(r.summary.unwrap().ends_with("without an error at packet 6"));
    // An error item that is not a string: undecodable, nothing claimed.
    let r = close(&[0x92, 7, 0x01]);
    assert_eq!(r.cause, None);
    assert_eq!(r.undecodable, 1);
}

/// SignalR and Action Cable pings and STOMP heart-beats ask for no answer: each side's are
/// counted, none is unanswered.
#[test]
fn keepalives_that_ask_for_no_answer_are_never_unanswered() {
    let mut s = Script::new(None, Some("/hub"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Client, "{\"type\":6}\x1e", 6, 2)
        .text(Server, "{\"type\":6}\x1e", 7, 500)
        .text(Server, "{\"type\":6}\x1e", 8, 1000);
    let mut c = Script::new(Some("actioncable-v1-json"), Some("/cable"));
    c.text(Server, r#"{"type":"welcome"}"#, 4, 0).text(
        Server,
        r#"{"type":"ping","message":1}"#,
        5,
        3000,
    );
    let mut t = Script::new(Some("v12.stomp"), Some("/stomp"));
    t.text(
        Client,
        "CONNECT\naccept-version:1.2\nheart-beat:500,0\n\n\0",
        4,
        0,
    )
    .text(
        Server,
        "CONNECTED\nversion:1.2\nheart-beat:0,500\n\n\0",
        5,
        1,
    )
    .text(Client, "\n", 6, 500)
    .text(Client, "\n", 7, 1000);
    for (name, s, client, server) in [
        ("SignalR", s, 1, 2),
        ("Action Cable", c, 0, 1),
        ("STOMP", t, 2, 0),
    ] {
        let r = s.t.finish(&closed(Client, None, "", 9, 1100)).unwrap();
        let hb = r.heartbeat.unwrap();
        assert_eq!(
            (hb.client.pings, hb.server.pings),
            (client, server),
            "{name}"
        );
        assert_eq!(
            (hb.client.unanswered, hb.server.unanswered),
            (0, 0),
            "{name}"
        );
        assert_eq!(r.undecodable, 0, "{name}");
    }
}

#[test]
fn phoenix_heartbeat_timeout_from_the_close_reason() {
    let mut s = Script::new(None, Some("/socket/websocket?vsn=2.0.0&token=x"));
    s.text(Client, r#"[null,"1","phoenix","heartbeat",{}]"#, 4, 0)
        .text(
            Server,
            r#"[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]"#,
            5,
            1,
        )
        .text(Client, r#"[null,"2","phoenix","heartbeat",{}]"#, 6, 30_000);
    let r =
        s.t.finish(&closed(Client, Some(1000), "heartbeat timeout", 8, 60_000))
            .unwrap();
    assert_eq!(r.protocol, "Phoenix channels");
    assert_eq!(r.cause.as_deref(), Some("heartbeat timeout"));
    assert_eq!(r.evidence, [6, 8]);
}

/// A join the channel refused (phx_reply status error), then the client's close: the
/// refusal is the cause, only when nothing came after it.
#[test]
fn phoenix_join_refused() {
    let script = |v2: bool| {
        let mut s = Script::new(
            None,
            Some(if v2 {
                "/socket/websocket?vsn=2.0.0"
            } else {
                "/socket/websocket?vsn=1.0.0"
            }),
        );
        if v2 {
            s.text(Client, r#"["3","3","room:lobby","phx_join",{}]"#, 4, 0)
                .text(Client, r#"["4","4","room:secret","phx_join",{}]"#, 5, 1)
                .text(Server, r#"["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}]"#, 6, 2)
                .text(Server, r#"["4","4","room:secret","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]"#, 7, 3);
        } else {
            s.text(Client, r#"{"topic":"room:secret","event":"phx_join","payload":{},"ref":"4"}"#, 5, 1)
                .text(Server, r#"{"topic":"room:secret","event":"phx_reply","payload":{"status":"error","response":{"reason":"unauthorized"}},"ref":"4"}"#, 7, 3);
        }
        s
    };
    for v2 in [true, false] {
        let r = script(v2)
            .t
            .finish(&closed(Client, None, "", 8, 10))
            .unwrap();
        assert_eq!(r.ended_by, Some(Server), "v2 {v2}");
        assert_eq!(r.cause.as_deref(), Some("join refused"), "v2 {v2}");
        assert_eq!(r.evidence, [7]);
        assert!(r.summary.unwrap().contains("\"room:secret\""));
    }
    // The client went on (a heartbeat) after the refusal: not claimed.
    let mut s = script(true);
    s.text(Client, r#"[null,"5","phoenix","heartbeat",{}]"#, 8, 30_000);
    let r = s.t.finish(&closed(Client, None, "", 9, 30_010)).unwrap();
    assert_eq!(r.cause, None);
    // A reply to something else than the join (a push on the channel) is not a refusal.
    let mut s = Script::new(None, Some("/socket/websocket?vsn=2.0.0"));
    s.text(Client, r#"["3","3","room:a","phx_join",{}]"#, 4, 0)
        .text(
            Server,
            r#"["3","3","room:a","phx_reply",{"status":"ok","response":{}}]"#,
            5,
            1,
        )
        .text(Client, r#"["3","9","room:a","new_msg",{}]"#, 6, 2)
        .text(
            Server,
            r#"["3","9","room:a","phx_reply",{"status":"error","response":{}}]"#,
            7,
            3,
        );
    let r = s.t.finish(&closed(Client, None, "", 8, 10)).unwrap();
    assert_eq!(r.cause, None);
}

#[test]
fn actioncable_disconnect_and_stale() {
    let mut s = Script::new(Some("actioncable-v1-json"), Some("/cable"));
    s.text(Server, r#"{"type":"welcome"}"#, 4, 0).text(
        Server,
        r#"{"type":"ping","message":1}"#,
        5,
        3000,
    );
    let r =
        s.t.finish(&closed(Client, Some(1000), "", 8, 9500))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("stale connection"));
    s.text(
        Server,
        r#"{"type":"disconnect","reason":"unauthorized","reconnect":false}"#,
        6,
        3100,
    );
    let r =
        s.t.finish(&closed(Server, Some(1000), "", 8, 3200))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("unauthorized"));
}

#[test]
fn ocpp_callerror_and_wamp_goodbye() {
    let mut s = Script::new(Some("ocpp1.6"), Some("/ocpp/CP1"));
    s.text(
        Client,
        r#"[2,"1","BootNotification",{"chargePointVendor":"x","chargePointModel":"y"}]"#,
        4,
        0,
    )
    .text(
        Server,
        r#"[3,"1",{"status":"Accepted","currentTime":"2026-01-01T00:00:00Z","interval":300}]"#,
        5,
        1,
    )
    .text(Client, r#"[2,"2","Heartbeat",{}]"#, 6, 2)
    .text(
        Server,
        r#"[3,"2",{"currentTime":"2026-01-01T00:00:00Z"}]"#,
        7,
        3,
    )
    .text(Server, r#"[4,"9","SecurityError","not allowed",{}]"#, 8, 4);
    let r = s.t.finish(&closed(Server, Some(1008), "", 9, 5)).unwrap();
    assert_eq!(r.protocol, "OCPP-J");
    assert_eq!(r.version.as_deref(), Some("1.6"));
    assert_eq!(r.cause.as_deref(), Some("CALLERROR SecurityError"));
    assert_eq!(r.heartbeat.unwrap().interval_ms, Some(300_000));

    let mut s = Script::new(Some("wamp.2.json"), None);
    s.text(Server, r#"[6,{},"wamp.close.system_shutdown"]"#, 4, 0);
    let r = s.t.finish(&closed(Server, Some(1000), "", 5, 1)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("wamp.close.system_shutdown"));
}

#[test]
fn a_damaged_message_decides_nothing() {
    let mut s = Script::new(None, Some("/socket.io/?EIO=4&transport=websocket"));
    s.t.message(&Message {
        from: Server,
        text: true,
        bytes: b"44{\"message\":\"not auth",
        len: 100,
        damaged: true,
        packet: 5,
        ts: ts(0),
    });
    let r = s.t.finish(&closed(Server, Some(1000), "", 6, 1)).unwrap();
    assert_eq!(r.undecodable, 1);
    assert_ne!(r.cause.as_deref(), Some("connect error"));
}

/// A tracker frozen mid-session (its stored form, as quiet connections are) gives the same
/// verdict as one that never was.
#[test]
fn a_frozen_tracker_is_the_same_tracker() {
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1)
        .bin(Client, &[0xc0, 0], 6, 10_000);
    let bytes = crate::serial::to_vec(&s.t).unwrap();
    let mut back: Tracker = crate::serial::read(&bytes).unwrap();
    for t in [&mut s.t, &mut back] {
        t.message(&Message {
            from: Server,
            text: false,
            bytes: &[0xd0, 0],
            len: 2,
            damaged: false,
            packet: 7,
            ts: ts(10_001),
        });
    }
    let end = tcp_end(Server, false, 9, 25_000);
    assert_eq!(s.t.finish(&end), back.finish(&end));
    assert_eq!(
        back.finish(&end).unwrap().cause.as_deref(),
        Some("keep alive timeout")
    );
}

/// Reasons and codes the protocols do not define are the peer's words: each is a cause
/// label only quoted after its message (`disconnect "…"`), cut to 60 characters, so a
/// 4 000-character reason fills no table and a reason "ping timeout" names no timeout the
/// tool found; the ones the protocols define stay the label (above).
#[test]
fn wire_reasons_are_quoted_and_cut_in_cause_labels() {
    let long = "banned user alice.smith@corp.example ".repeat(110);
    assert!(long.len() > 4000);
    let cut = |label: &str, kind: &str| {
        let text = label
            .strip_prefix(&format!("{kind} \""))
            .and_then(|l| l.strip_suffix("…\""))
            .unwrap_or_else(|| panic!("{label}"));
        assert_eq!(text.chars().count(), 60, "{label}");
        assert!(long.starts_with(text));
    };
    for (reason, want) in [
        ("ping timeout", Some(r#"disconnect "ping timeout""#)),
        (long.as_str(), None),
    ] {
        let mut s = Script::new(Some("actioncable-v1-json"), Some("/cable"));
        let msg = serde_json::json!({"type": "disconnect", "reason": reason}).to_string();
        s.text(Server, &msg, 4, 0);
        let r = s.t.finish(&closed(Server, Some(1000), "", 5, 100)).unwrap();
        let label = r.cause.unwrap();
        match want {
            Some(w) => assert_eq!(label, w),
            None => cut(&label, "disconnect"),
        }
    }
    let mut s = Script::new(Some("ocpp1.6"), Some("/ocpp/CP1"));
    let msg = serde_json::json!([4, "9", long, "x", {}]).to_string();
    s.text(Server, &msg, 4, 0);
    let r = s.t.finish(&closed(Server, Some(1000), "", 5, 100)).unwrap();
    cut(&r.cause.unwrap(), "CALLERROR");
    for (reason, want) in [
        ("wamp.close.goodbye_and_out", "wamp.close.goodbye_and_out"),
        ("session taken over", r#"GOODBYE "session taken over""#),
        (
            "wamp.close.Ping Timeout",
            r#"GOODBYE "wamp.close.Ping Timeout""#,
        ),
    ] {
        let mut s = Script::new(Some("wamp.2.json"), None);
        s.text(
            Server,
            &serde_json::json!([6, {}, reason]).to_string(),
            4,
            0,
        );
        let r = s.t.finish(&closed(Server, Some(1000), "", 5, 1)).unwrap();
        assert_eq!(r.cause.as_deref(), Some(want));
    }
    let mut s = Script::new(Some("wamp.2.json"), None);
    s.text(Server, &serde_json::json!([3, {}, long]).to_string(), 4, 0);
    let r = s.t.finish(&closed(Server, Some(1000), "", 5, 1)).unwrap();
    cut(&r.cause.unwrap(), "ABORT");
}
