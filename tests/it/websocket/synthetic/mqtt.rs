//! MQTT over WebSocket through the whole pipeline: a byte stream split across frames as
//! mqtt.js writes it, a broker's MQTT 5 reason string that is hostile text, and a segment the
//! capture lost where a frame header was due (the broker's side unknown from there).

use super::*;
use wsclose::vocab::Timestamp;

/// The 101 response agreeing to `mqtt`.
fn mqtt_response() -> Vec<u8> {
    b"HTTP/1.1 101 Switching Protocols\r\n\
      Upgrade: websocket\r\n\
      Connection: Upgrade\r\n\
      Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
      Sec-WebSocket-Protocol: mqtt\r\n\r\n"
        .to_vec()
}

/// The TCP handshake, the upgrade (offering `mqtt`) and its 101.
fn open_mqtt(s: &mut Session) {
    s.handshake();
    let req = String::from_utf8(request()).unwrap().replace(
        "Sec-WebSocket-Version: 13\r\n",
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n",
    );
    s.send(Client, req.as_bytes());
    s.send(Server, &mqtt_response());
}

/// An MQTT 5 CONNECT (keep alive `keep` s, client id `id`), a field per binary message.
fn connect_v5_fields(s: &mut Session, id: &str, keep: u16) {
    let len = 10 + 1 + 2 + id.len();
    let fields: Vec<Vec<u8>> = vec![
        vec![0x10],
        vec![len as u8],
        vec![0, 4],
        b"MQTT".to_vec(),
        vec![5],
        vec![0x02],
        keep.to_be_bytes().to_vec(),
        vec![0],
        (id.len() as u16).to_be_bytes().to_vec(),
        id.as_bytes().to_vec(),
    ];
    for f in fields {
        s.send(Client, &binary(Client, &f));
    }
}

#[test]
fn a_brokers_reason_string_split_across_frames_is_read_and_escaped() {
    let mut s = Session::new(40301, 8083);
    open_mqtt(&mut s);
    connect_v5_fields(&mut s, "dash", 30);
    s.send(Server, &binary(Server, &[0x20, 3, 0, 0, 0]));
    let text = b"<script>alert(1)</script> | \x1b[31m";
    let mut d = vec![
        0xe0,
        (2 + 3 + text.len()) as u8,
        0x8e,
        (3 + text.len()) as u8,
        0x1f,
        0,
    ];
    d.push(text.len() as u8);
    d.extend(text);
    s.send(Server, &binary(Server, &d[..3]));
    let last = s.send(Server, &binary(Server, &d[3..]));
    s.fin(Server);
    let r = s.analyze();
    let a = only(&r).application.as_ref().expect("application");
    assert_eq!(a.cause.as_deref(), Some("session taken over"), "{a:?}");
    assert_eq!(a.evidence, [last]);
    assert!(
        a.summary.as_deref().unwrap().contains("saying \"<script>"),
        "{a:?}"
    );
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(!md.contains("<script>") && !md.contains('\x1b'), "{md}");
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(!table.contains('\x1b'), "{table}");
    let html = wsclose::render::html::render(&r, &[None]);
    assert!(!html.contains("<script>alert"), "{html}");
}

#[test]
fn a_segment_lost_where_a_frame_header_was_due_leaves_the_broker_unknown() {
    // Keep alive 2 s; the broker's next frame (a DISCONNECT, say) is not in the capture, and
    // it closes 5 s after the client's last packet: no keep alive timeout is claimed.
    let mut s = Session::new(40302, 8083);
    open_mqtt(&mut s);
    connect_v5_fields(&mut s, "dash", 2);
    s.send(Server, &binary(Server, &[0x20, 3, 0, 0, 0]));
    s.lose(Server, &binary(Server, &[0xe0, 2, 0x8e, 0]));
    s.clock = Timestamp(s.clock.0 + 5_000_000_000);
    s.fin(Server);
    let r = s.analyze();
    let a = only(&r).application.as_ref().expect("application");
    assert_eq!(a.cause, None, "{a:?}");
    assert!(
        a.summary
            .as_deref()
            .unwrap_or_default()
            .contains("the broker's MQTT byte stream is unknown from packet"),
        "{a:?}"
    );
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(md.contains("Its messages do not say why the session ended: the broker's MQTT byte stream is unknown"), "{md}");
}

/// Many connections sharing one client id (embedded clients, a reconnect loop) are linked in
/// bounded output: each lists at most `Identity::MAX_LISTED` others, the nearest, and counts
/// them all (issue 57 item 7: 10 000 connections listed each other, 2 GB of JSON); the
/// broker's takeover of each is still named.
#[test]
fn connections_sharing_a_client_id_are_linked_in_bounded_output() {
    let n = 40u64;
    let mut pkts = Vec::new();
    for i in 0..n {
        let mut s = Session::new(41000 + i as u16, 8083);
        // One a second: the broker closes each 0.5 s after the next one connected.
        s.clock = Timestamp(T0.0 + i as i64 * 1_000_000_000);
        open_mqtt(&mut s);
        connect_v5_fields(&mut s, "shared", 30);
        s.send(Server, &binary(Server, &[0x20, 3, 0, 0, 0]));
        s.clock = Timestamp(T0.0 + (i as i64 + 1) * 1_000_000_000 + 500_000_000);
        s.fin(Server);
        pkts.extend(s.pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    let r = analyze_timed(LinkType::RAW, &pkts, Default::default());
    assert_eq!(r.connections.len(), n as usize);
    let max = wsclose::vocab::Identity::MAX_LISTED;
    for c in &r.connections {
        let a = c.application.as_ref().expect("application");
        let id = a
            .related
            .iter()
            .find(|i| i.kind == "mqtt-client-id")
            .expect("client id");
        assert_eq!(id.connections_total, n - 1, "{id:?}");
        assert_eq!(id.connections.len(), max, "{id:?}");
        assert!(!id.connections.contains(&c.id));
        // The nearest: none further than MAX_LISTED ids away.
        assert!(
            id.connections
                .iter()
                .all(|&o| o.abs_diff(c.id) <= max as u64),
            "{id:?}"
        );
    }
    // Every one but the last was taken over by the next.
    let taken = r
        .connections
        .iter()
        .filter(|c| {
            c.application.as_ref().and_then(|a| a.cause.as_deref()) == Some("session taken over")
        })
        .count();
    assert_eq!(taken, n as usize - 1);
    let json = wsclose::render::json::line(&r);
    assert!(
        json.contains("\"connections_total\":39"),
        "{}",
        &json[..2000.min(json.len())]
    );
}
