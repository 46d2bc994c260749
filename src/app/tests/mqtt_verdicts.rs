//! MQTT's verdicts: refused CONNECTs, DISCONNECT reason codes, keep alive, malformed packets.

use super::*;

#[test]
fn mqtt_refusals_disconnects_and_keepalive() {
    let mut s = Script::new(Some("mqtt"), Some("/mqtt"));
    s.bin(Client, &connect(4, "dash-1", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 5], 5, 1);
    let r = s.t.worded(&tcp_end(Server, false, 6, 2)).unwrap();
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
    let r = s.t.worded(&tcp_end(Server, false, 9, 101)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("client disconnected"));
    assert_eq!(r.ended_by, Some(Client));

    // 5.0: the broker's DISCONNECT 0x8E.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 10), 4, 0)
        .bin(Server, &[0x20, 3, 0, 0, 0], 5, 1)
        .bin(Server, &[0xe0, 2, 0x8e, 0], 8, 100);
    let r = s.t.worded(&tcp_end(Server, false, 9, 101)).unwrap();
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
    let r = s.t.worded(&tcp_end(Server, false, 9, 101)).unwrap();
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
    let r = s.t.worded(&tcp_end(Client, false, 9, 101)).unwrap();
    assert_ne!(r.cause.as_deref(), Some("packet too large"));

    // Keep alive 10 s: the broker drops a client silent for 15 s, not one silent for 9.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1)
        .bin(Client, &[0xc0, 0], 6, 10_000)
        .bin(Server, &[0xd0, 0], 7, 10_001);
    let r = s.t.worded(&tcp_end(Server, false, 9, 25_000)).unwrap();
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
    let r = s.t.worded(&tcp_end(Server, false, 9, 19_000)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("broker closed, no MQTT reason"));
}

#[test]
fn mqtt_malformed_is_counted_not_read() {
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &[0x10, 0xff, 0xff, 0xff, 0xff, 0xff], 4, 0)
        .text(Client, "hello", 5, 1)
        .bin(Client, &[], 6, 2);
    let r = s.t.worded(&tcp_end(Server, false, 9, 3)).unwrap();
    assert_eq!((r.messages, r.undecodable), (3, 3));
    assert_eq!(r.cause, None);
}

/// Keep alive 2 s: a broker that lets a client stay silent for 2 × 1.5 × 2 s = 6 s with
/// the session open did not enforce it (MQTT §3.1.2.10), between two client packets or up to
/// the client's own ending or the capture's end; a shorter silence proves nothing (brokers
/// check on timers of their own). The broker ending it is a keep alive timeout, said with how.
#[test]
fn mqtt_keepalive_not_enforced_and_how_the_broker_ended() {
    let session = |resume_ms: Option<i64>| {
        let mut s = Script::new(Some("mqtt"), None);
        s.bin(Client, &connect(4, "c", 2), 4, 0)
            .bin(Server, &[0x20, 2, 0, 0], 5, 1);
        if let Some(at) = resume_ms {
            s.bin(Client, &[0xc0, 0], 6, at)
                .bin(Server, &[0xd0, 0], 7, at + 1);
        }
        s
    };
    // Silent 8 s between CONNECT and a PINGREQ, then the client's FIN.
    let s = session(Some(8_000));
    let r = s.t.worded(&tcp_end(Client, false, 9, 8_500)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep alive not enforced"), "{r:?}");
    assert_eq!((r.ended_by, &r.evidence[..]), (Some(Client), &[4, 6][..]));
    let summary = r.summary.unwrap();
    assert!(
        summary.contains(
            "sent no MQTT packet for 8 s after packet 4, past 1.5 × its keep alive of 2 s (3 s)"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("at packet 9 with a bare FIN (no close frame)"),
        "{summary}"
    );
    // Silent 5 s only (past 1.5 ×, under 2 × that): nothing claimed.
    let s = session(Some(5_000));
    let r = s.t.worded(&tcp_end(Client, false, 9, 5_500)).unwrap();
    assert_eq!(r.cause, None, "{r:?}");
    // Silent from its CONNECT to its own RST 7 s later.
    let s = session(None);
    let r = s.t.worded(&tcp_end(Client, true, 9, 7_000)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep alive not enforced"), "{r:?}");
    assert_eq!(r.evidence, [4, 9]);
    assert!(r
        .summary
        .unwrap()
        .contains("with a TCP RST (no close frame), with no DISCONNECT"));
    // Still open at the capture's end (its last packet 7 s in): no one ended it.
    let r =
        s.t.worded(&Ending {
            last_ts: Some(ts(7_000)),
            ..Ending::default()
        })
        .unwrap();
    assert_eq!(
        (r.cause.as_deref(), r.ended_by),
        (Some("keep alive not enforced"), None)
    );
    assert!(r
        .summary
        .unwrap()
        .contains("still open when the capture ended"));
    // The capture's end 5 s in: too soon to say.
    let r =
        s.t.worded(&Ending {
            last_ts: Some(ts(5_000)),
            ..Ending::default()
        })
        .unwrap();
    assert_eq!(r.cause, None, "{r:?}");
    // The broker ending it 7 s in is its keep alive timeout, with how it ended.
    let r = s.t.worded(&tcp_end(Server, true, 9, 7_000)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep alive timeout"));
    assert!(r
        .summary
        .unwrap()
        .contains("at packet 9 with a TCP RST (no close frame), past 1.5 × its keep alive of 2 s"));
    let r =
        s.t.worded(&closed(Server, Some(1000), "", 9, 3_100))
            .unwrap();
    assert!(r
        .summary
        .unwrap()
        .contains("at packet 9 with close frame 1000, past"));
    // A client that said DISCONNECT after its silence ended it normally.
    let mut s = session(None);
    s.bin(Client, &[0xe0, 0], 8, 7_000);
    let r = s.t.worded(&tcp_end(Server, false, 9, 7_001)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("client disconnected"));
    // A refused session has no keep alive to enforce.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 2), 4, 0)
        .bin(Server, &[0x20, 2, 0, 5], 5, 1);
    let r = s.t.worded(&tcp_end(Client, false, 9, 9_000)).unwrap();
    assert_eq!(
        r.cause.as_deref(),
        Some("connection refused: not authorized")
    );
}

/// MQTT 5 §3.2.2.3.14: the Server Keep Alive in CONNACK replaces the client's keep alive.
#[test]
fn mqtt_server_keep_alive_replaces_the_clients() {
    // CONNECT keep alive 60 s; CONNACK: properties of 3 bytes, Server Keep Alive (0x13) 2 s.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 60), 4, 0)
        .bin(Server, &[0x20, 6, 0, 0, 3, 0x13, 0, 2], 5, 1);
    let r = s.t.worded(&tcp_end(Server, false, 9, 3_500)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep alive timeout"), "{r:?}");
    assert!(r.summary.unwrap().contains(
        "past 1.5 × its keep alive of 2 s (the Server Keep Alive the broker gave in CONNACK)"
    ));
    let hb = r.heartbeat.unwrap();
    assert_eq!((hb.interval_ms, hb.timeout_ms), (Some(2_000), Some(3_000)));
}
