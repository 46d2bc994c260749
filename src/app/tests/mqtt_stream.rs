//! MQTT over WebSocket as a byte stream (MQTT 3.1.1 §6, MQTT 5 §6): packets split across
//! messages as mqtt.js writes them (a field per message), several in one message, split at
//! every offset; PUBLISH payloads whose continuation looks like a refusal or a DISCONNECT;
//! and a direction whose bytes the capture does not hold whole, from which nothing is
//! claimed.

use super::*;

/// A 3.1.1 CONNECT as mqtt.js writes it: each field its own message (13 with a user name
/// and a password).
fn connect_fields(client_id: &str, keep: u16) -> Vec<Vec<u8>> {
    let (user, pass) = (b"alice".as_slice(), b"secret".as_slice());
    let len = 10 + 2 + client_id.len() + 2 + user.len() + 2 + pass.len();
    vec![
        vec![0x10],
        vec![len as u8],
        vec![0, 4],
        b"MQTT".to_vec(),
        vec![4],
        vec![0x02 | 0x80 | 0x40],
        keep.to_be_bytes().to_vec(),
        (client_id.len() as u16).to_be_bytes().to_vec(),
        client_id.as_bytes().to_vec(),
        (user.len() as u16).to_be_bytes().to_vec(),
        user.to_vec(),
        (pass.len() as u16).to_be_bytes().to_vec(),
        pass.to_vec(),
    ]
}

/// A PUBLISH (QoS 0) on `topic` with `payload`, whole.
fn publish(topic: &str, payload: &[u8]) -> Vec<u8> {
    let len = 2 + topic.len() + payload.len();
    let mut p = vec![0x30];
    let mut l = len;
    loop {
        let b = (l & 0x7f) as u8;
        l >>= 7;
        if l == 0 {
            p.push(b);
            break;
        }
        p.push(b | 0x80);
    }
    p.extend((topic.len() as u16).to_be_bytes());
    p.extend(topic.as_bytes());
    p.extend(payload);
    p
}

/// One message whose first `bytes` were kept of `len`, damaged or not.
fn cut(s: &mut Script, from: Role, bytes: &[u8], len: u64, damaged: bool, packet: u64, at: i64) {
    s.t.message(&Message {
        from,
        text: false,
        bytes,
        len,
        damaged,
        packet,
        ts: ts(at),
    });
}

#[test]
fn a_connect_written_a_field_per_message_is_one_connect() {
    let mut s = Script::new(Some("mqtt"), None);
    let fields = connect_fields("dashboard-7", 30);
    assert_eq!(fields.len(), 13);
    for (i, f) in fields.iter().enumerate() {
        s.bin(Client, f, 4 + i as u64, i as i64);
    }
    s.bin(Server, &[0x20, 2, 0, 0], 20, 20)
        .bin(Client, &[0xe0], 21, 100)
        .bin(Client, &[0x00], 22, 100);
    let r = s.t.worded(&tcp_end(Server, false, 23, 101)).unwrap();
    assert_eq!(r.version.as_deref(), Some("3.1.1"));
    assert_eq!(r.related[0].value, "dashboard-7");
    assert_eq!(r.cause.as_deref(), Some("client disconnected"), "{r:?}");
    assert_eq!((r.ended_by, r.evidence.clone()), (Some(Client), vec![22]));
    assert_eq!((r.messages, r.undecodable), (16, 0));
    assert_eq!(r.heartbeat.unwrap().interval_ms, Some(30_000));
}

#[test]
fn a_publish_continued_is_not_read_as_the_packets_it_looks_like() {
    // The broker delivers a PUBLISH whose payload goes on in two more messages, and they
    // start with what would be a CONNACK refusal (not authorized) and a DISCONNECT; then it
    // closes the connection without a word.
    let payload = [b"temp=21.5;".as_slice(), &[0x20, 2, 0, 5], &[0xe0, 0]].concat();
    let whole = publish("sensors/t", &payload);
    let (a, rest) = whole.split_at(whole.len() - 6);
    let (b, c) = rest.split_at(4);
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 60), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1)
        .bin(Server, a, 6, 10)
        .bin(Server, b, 7, 11)
        .bin(Server, c, 8, 12);
    let r = s.t.worded(&tcp_end(Server, false, 9, 50)).unwrap();
    // Read as a PUBLISH, nothing in it refused or disconnected: the broker's close has
    // no MQTT reason.
    assert_eq!(
        (r.cause.as_deref(), r.ended_by),
        (Some("broker closed, no MQTT reason"), Some(Server)),
        "{r:?}"
    );
    assert_eq!(r.undecodable, 0);

    // The same from the client: its PUBLISH goes on with what would be its DISCONNECT.
    let payload = [b"x".as_slice(), &[0xe0, 0]].concat();
    let whole = publish("t", &payload);
    let (a, b) = whole.split_at(whole.len() - 2);
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 60), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1)
        .bin(Client, a, 6, 10)
        .bin(Client, b, 7, 11);
    let r = s.t.worded(&tcp_end(Server, false, 9, 50)).unwrap();
    assert_eq!(
        r.cause.as_deref(),
        Some("broker closed, no MQTT reason"),
        "{r:?}"
    );

    // MQTT 5: what would be a DISCONNECT 0x8E (session taken over) inside a payload.
    let payload = [b"abc".as_slice(), &[0xe0, 2, 0x8e, 0]].concat();
    let whole = publish("t", &payload);
    let (a, b) = whole.split_at(whole.len() - 4);
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 60), 4, 0)
        .bin(Server, &[0x20, 3, 0, 0, 0], 5, 1)
        .bin(Server, a, 6, 10)
        .bin(Server, b, 7, 11);
    let r = s.t.worded(&tcp_end(Server, false, 9, 50)).unwrap();
    assert_eq!(
        r.cause.as_deref(),
        Some("broker closed, no MQTT reason"),
        "{r:?}"
    );
}

#[test]
fn several_packets_in_a_message_and_one_across_two() {
    // One message: a PINGREQ, a whole PUBLISH and the start of another; the next: the rest
    // of it and the DISCONNECT.
    let second = publish("sensors/h", b"humidity=40 and more text");
    let mut one = vec![0xc0, 0];
    one.extend(publish("sensors/t", b"21.5"));
    one.extend(&second[..9]);
    let mut two = second[9..].to_vec();
    two.extend([0xe0, 0]);
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 60), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0, 0xd0, 0], 5, 1)
        .bin(Client, &one, 6, 10)
        .bin(Client, &two, 7, 11);
    let r = s.t.worded(&tcp_end(Server, false, 8, 12)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("client disconnected"), "{r:?}");
    assert_eq!(r.evidence, [7]);
    let hb = r.heartbeat.unwrap();
    assert_eq!((hb.client.pings, hb.server.pongs), (1, 1));
}

/// Feeds `bytes` from `from` as messages cut at `cuts` (ascending offsets).
fn split(s: &mut Script, from: Role, bytes: &[u8], cuts: &[usize], packet: &mut u64) {
    let mut at = 0;
    for &c in cuts.iter().chain([bytes.len()].iter()) {
        *packet += 1;
        s.bin(from, &bytes[at..c], *packet, *packet as i64);
        at = c;
    }
}

#[test]
fn an_exchange_split_at_every_offset_reads_the_same() {
    // MQTT 5: CONNECT (keep alive 20, client id "split-me") and DISCONNECT; CONNACK with a
    // Maximum Packet Size. Each direction cut in two or three at every pair of offsets.
    let mut client = connect(5, "split-me", 20);
    client.extend([0xe0, 0]);
    let connack = [0x20, 8, 0, 0, 5, 0x27, 0, 0, 0x10, 0];
    let n = client.len();
    for i in 0..=n {
        for j in i..=n {
            let mut s = Script::new(Some("mqtt"), None);
            let mut p = 0;
            let (ci, cj) = (i.min(2), j.min(connack.len()));
            split(&mut s, Server, &connack, &[ci.min(cj), cj], &mut p);
            split(&mut s, Client, &client, &[i, j], &mut p);
            let r = s.t.worded(&tcp_end(Server, false, p + 1, 1000)).unwrap();
            assert_eq!(
                (r.cause.as_deref(), r.ended_by, r.undecodable),
                (Some("client disconnected"), Some(Client), 0),
                "cut at {i} and {j}: {r:?}"
            );
            assert_eq!(r.version.as_deref(), Some("5.0"));
            assert_eq!(r.related[0].value, "split-me");
        }
    }
    // A refusal (MQTT 5 0x87 with a reason string) cut at every offset.
    let connack = [0x20, 10, 0, 0x87, 7, 0x1f, 0, 4, b'n', b'o', b'p', b'e'];
    for i in 0..=connack.len() {
        let mut s = Script::new(Some("mqtt"), None);
        let mut p = 0;
        split(&mut s, Client, &connect(5, "c", 20), &[3], &mut p);
        split(&mut s, Server, &connack, &[i], &mut p);
        let r = s.t.worded(&tcp_end(Server, false, p + 1, 1000)).unwrap();
        assert_eq!(
            r.cause.as_deref(),
            Some("connection refused: not authorized"),
            "cut at {i}: {r:?}"
        );
        assert!(r.summary.unwrap().contains("saying \"nope\""));
    }
}

#[test]
fn a_v5_disconnect_with_its_reason_string_across_messages() {
    let text = b"another connection took client id c";
    let mut props = vec![0x1f];
    props.extend((text.len() as u16).to_be_bytes());
    props.extend(text);
    let mut d = vec![0xe0, (2 + props.len()) as u8, 0x8e, props.len() as u8];
    d.extend(&props);
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 60), 4, 0)
        .bin(Server, &[0x20, 3, 0, 0, 0], 5, 1);
    let mut p = 5;
    split(&mut s, Server, &d, &[1, 2, 3, 9], &mut p);
    let r = s.t.worded(&tcp_end(Server, false, p + 1, 100)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("session taken over"), "{r:?}");
    assert_eq!((r.ended_by, r.evidence.clone()), (Some(Server), vec![p]));
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("reason 0x8e (session taken over) at packet 10, saying \"another connection took client id c\""),
        "{summary}"
    );
}

#[test]
fn a_direction_not_held_whole_decides_nothing_after() {
    // Keep alive 10 s; the client's message at packet 6 is damaged, then the broker closes
    // 25 s later: the client may have sent anything in it (a DISCONNECT), so no keep alive
    // timeout is claimed, and the summary says from where the stream is unknown.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1);
    cut(&mut s, Client, &[0xc0], 2, true, 6, 10);
    s.bin(Client, &[0xe0, 0], 7, 11);
    let r = s.t.worded(&tcp_end(Server, false, 9, 25_000)).unwrap();
    assert_eq!(r.cause, None, "{r:?}");
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("client's MQTT byte stream is unknown from packet 6"),
        "{summary}"
    );
    assert_eq!(r.evidence, [6]);
    assert_eq!(r.undecodable, 2);

    // A PUBLISH longer than the tap keeps is counted through; a DISCONNECT past what was
    // kept is not guessed, and nothing read after it is trusted.
    let big = publish("t", &[b'x'; 9000]);
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1);
    cut(&mut s, Client, &big[..KEEP], big.len() as u64, false, 6, 10);
    s.bin(Client, &[0xe0, 0], 7, 11);
    let r = s.t.worded(&tcp_end(Server, false, 8, 12)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("client disconnected"), "{r:?}");

    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1);
    cut(
        &mut s,
        Client,
        &big[..KEEP],
        big.len() as u64 + 2,
        false,
        6,
        10,
    );
    let r = s.t.worded(&tcp_end(Server, false, 8, 25_000)).unwrap();
    assert_eq!(r.cause, None, "{r:?}");
    assert!(r.summary.unwrap().contains("unknown from packet 6"));

    // The broker's stream lost before the client's DISCONNECT: the broker may have ended
    // the session first (MQTT 5 DISCONNECT), so the client's is not named the cause.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(5, "c", 10), 4, 0)
        .bin(Server, &[0x20, 3, 0, 0, 0], 5, 1);
    cut(&mut s, Server, &[0xe0, 2], 4, true, 6, 10);
    s.bin(Client, &[0xe0, 0], 7, 11);
    let r = s.t.worded(&tcp_end(Server, false, 8, 12)).unwrap();
    assert_eq!(r.cause, None, "{r:?}");
    assert!(r
        .summary
        .unwrap()
        .contains("broker's MQTT byte stream is unknown from packet 6"));
}

#[test]
fn bytes_that_are_not_mqtt_put_the_direction_out_of_sync() {
    // A reserved type (0), wrong flags, a PINGREQ with a body: the rest of that direction
    // is not read, even a DISCONNECT-looking message after it.
    for bad in [&[0x00, 0x00][..], &[0x80, 0x00], &[0xc0, 0x01, 0x00]] {
        let mut s = Script::new(Some("mqtt"), None);
        s.bin(Client, &connect(4, "c", 10), 4, 0)
            .bin(Server, &[0x20, 2, 0, 0], 5, 1)
            .bin(Client, bad, 6, 10)
            .bin(Client, &[0xe0, 0], 7, 11);
        let r = s.t.worded(&tcp_end(Server, false, 8, 12)).unwrap();
        assert_eq!(r.cause, None, "{bad:?}: {r:?}");
        assert_eq!(r.undecodable, 2, "{bad:?}");
    }
}

#[test]
fn a_direction_whose_websocket_decoding_stopped_decides_nothing_after() {
    // The WebSocket layer lost the client's direction at packet 6 (a gap where a frame
    // header was due): no message of it arrives after, and the broker's close 25 s later is
    // not read as a keep alive timeout.
    let mut s = Script::new(Some("mqtt"), None);
    s.bin(Client, &connect(4, "c", 10), 4, 0)
        .bin(Server, &[0x20, 2, 0, 0], 5, 1);
    s.t.tapped(Client, Tapped::Lost { packet: 6 });
    let r = s.t.worded(&tcp_end(Server, false, 9, 25_000)).unwrap();
    assert_eq!(r.cause, None, "{r:?}");
    assert!(r
        .summary
        .unwrap()
        .contains("client's MQTT byte stream is unknown from packet 6"));
}

#[test]
fn a_stream_lost_after_the_end_does_not_hide_the_verdict() {
    // The broker closed at packet 9, 15 s after the client's last packet (keep alive 10 s);
    // the client's stream was lost only after that (packet 12): the timeout stands. Lost at
    // the ending packet itself (a gap the FIN reveals), it does not.
    for (lost, cause) in [(12, Some("keep alive timeout")), (9, None)] {
        let mut s = Script::new(Some("mqtt"), None);
        s.bin(Client, &connect(4, "c", 10), 4, 0)
            .bin(Server, &[0x20, 2, 0, 0], 5, 1);
        s.t.tapped(Client, Tapped::Lost { packet: lost });
        let r = s.t.worded(&tcp_end(Server, false, 9, 16_000)).unwrap();
        assert_eq!(r.cause.as_deref(), cause, "lost at {lost}: {r:?}");
    }
}
