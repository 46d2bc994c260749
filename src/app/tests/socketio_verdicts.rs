//! socket.io's verdicts: ping timeouts on either side (v3 and v4), refusals, a pong too late.

use super::*;

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
    let r = s.t.worded(&closed(Server, None, "", 14, 801)).unwrap();
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
    let r = s.t.worded(&tcp_end(Server, false, 11, 350)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("transport close"));
    let r = s.t.worded(&tcp_end(Server, true, 11, 350)).unwrap();
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
        s.t.worded(&closed(Client, Some(1000), "", 20, 2600))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("ping timeout"));
    assert_eq!(r.ended_by, Some(Client));
    // A server DISCONNECT names the server, whatever closed the transport.
    s.text(Server, "41/admin,", 18, 1500);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 20, 1600))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("io server disconnect"));
    assert!(r.summary.unwrap().contains("\"/admin\""));
    // CONNECT_ERROR wins, with its message.
    s.text(Server, r#"44{"message":"not authorized"}"#, 19, 1550);
    let r =
        s.t.worded(&closed(Server, Some(1000), "", 20, 1600))
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
    let r = s.t.worded(&tcp_end(Client, false, 9, 1600)).unwrap();
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
    let r = s.t.worded(&end).unwrap();
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
    let r = s.t.worded(&closed(Server, None, "", 15, 820)).unwrap();
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
    let r = s.t.worded(&end).unwrap();
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
    let r = s.t.worded(&closed(Client, None, "", 15, 20)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("connect error"));
    assert_eq!(
        r.summary.as_deref(),
        Some("the server refused the socket.io connection with ERROR (socket.io 2's CONNECT_ERROR) \"not authorized\" (packet 10)")
    );
}
