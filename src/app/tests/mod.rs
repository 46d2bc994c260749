//! Each protocol's recognition and verdicts, from messages built here as the protocols'
//! documents write them.

use super::*;
use crate::vocab::ApplicationReport;
use crate::vocab::Role::{Client, Server};

mod graphql_verdicts;
mod mqtt_stream;
mod mqtt_verdicts;
mod signalr_verdicts;
mod socketio_verdicts;
mod sockjs_verdicts;
mod wamp_verdicts;
mod withheld;

/// A tracker's report with its words, as the finished report has them
/// (`report::words::app::fill`).
pub(super) trait Worded {
    fn worded(&self, end: &Ending) -> Option<ApplicationReport>;
}

impl Worded for Tracker {
    fn worded(&self, end: &Ending) -> Option<ApplicationReport> {
        let mut a = self.finish(end)?;
        let reason = end
            .close
            .as_ref()
            .filter(|c| c.0 == Server)
            .map(|c| c.2.as_str());
        crate::report::words::app::fill(&mut a, reason);
        Some(a)
    }
}

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
        transport: None,
        last_ts: Some(ts(at_ms)),
    }
}

/// Ended by a FIN (or RST) with no close frame.
fn tcp_end(by: Role, rst: bool, packet: u64, at_ms: i64) -> Ending {
    Ending {
        close: None,
        transport: Some(TransportEnd::tcp(by, rst, packet, ts(at_ms))),
        last_ts: Some(ts(at_ms)),
    }
}

#[test]
fn nothing_is_claimed_for_an_unrecognized_session() {
    let mut s = Script::new(None, Some("/chat"));
    s.text(Client, "2", 5, 0).text(Server, "41", 6, 10);
    assert!(s.t.worded(&closed(Server, Some(1000), "", 7, 20)).is_none());
    // A subprotocol of no known protocol.
    let s = Script::new(Some("chat.v2"), Some("/socket.io/"));
    assert!(s.t.protocol().is_none());
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
    let r = s.t.worded(&tcp_end(Server, false, 9, 3500)).unwrap();
    assert_eq!(r.protocol, "STOMP");
    assert_eq!(r.version.as_deref(), Some("1.2"));
    assert_eq!(r.cause.as_deref(), Some("missed heart-beats"));
    s.text(
        Server,
        "ERROR\nmessage:access refused\ncontent-type:text/plain\n\nno such queue\0",
        8,
        1100,
    );
    let r = s.t.worded(&tcp_end(Server, false, 9, 1200)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("error frame"));
    assert!(r.summary.unwrap().contains("access refused: no such queue"));
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
        let r = s.t.worded(&closed(Client, None, "", 9, 1100)).unwrap();
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
        s.t.worded(&closed(Client, Some(1000), "heartbeat timeout", 8, 60_000))
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
            .worded(&closed(Client, None, "", 8, 10))
            .unwrap();
        assert_eq!(r.ended_by, Some(Server), "v2 {v2}");
        assert_eq!(r.cause.as_deref(), Some("join refused"), "v2 {v2}");
        assert_eq!(r.evidence, [7]);
        assert!(r.summary.unwrap().contains("\"room:secret\""));
    }
    // The client went on (a heartbeat) after the refusal: not claimed.
    let mut s = script(true);
    s.text(Client, r#"[null,"5","phoenix","heartbeat",{}]"#, 8, 30_000);
    let r = s.t.worded(&closed(Client, None, "", 9, 30_010)).unwrap();
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
    let r = s.t.worded(&closed(Client, None, "", 8, 10)).unwrap();
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
        s.t.worded(&closed(Client, Some(1000), "", 8, 9500))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("stale connection"));
    s.text(
        Server,
        r#"{"type":"disconnect","reason":"unauthorized","reconnect":false}"#,
        6,
        3100,
    );
    let r =
        s.t.worded(&closed(Server, Some(1000), "", 8, 3200))
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
    let r = s.t.worded(&closed(Server, Some(1008), "", 9, 5)).unwrap();
    assert_eq!(r.protocol, "OCPP-J");
    assert_eq!(r.version.as_deref(), Some("1.6"));
    assert_eq!(r.cause.as_deref(), Some("CALLERROR SecurityError"));
    assert_eq!(r.heartbeat.unwrap().interval_ms, Some(300_000));

    let mut s = Script::new(Some("wamp.2.json"), None);
    s.text(Server, r#"[6,{},"wamp.close.system_shutdown"]"#, 4, 0);
    let r = s.t.worded(&closed(Server, Some(1000), "", 5, 1)).unwrap();
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
    let r = s.t.worded(&closed(Server, Some(1000), "", 6, 1)).unwrap();
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
    assert_eq!(s.t.worded(&end), back.worded(&end));
    assert_eq!(
        back.worded(&end).unwrap().cause.as_deref(),
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
        let r = s.t.worded(&closed(Server, Some(1000), "", 5, 100)).unwrap();
        let label = r.cause.unwrap();
        match want {
            Some(w) => assert_eq!(&*label, w),
            None => cut(&label, "disconnect"),
        }
    }
    let mut s = Script::new(Some("ocpp1.6"), Some("/ocpp/CP1"));
    let msg = serde_json::json!([4, "9", long, "x", {}]).to_string();
    s.text(Server, &msg, 4, 0);
    let r = s.t.worded(&closed(Server, Some(1000), "", 5, 100)).unwrap();
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
        let r = s.t.worded(&closed(Server, Some(1000), "", 5, 1)).unwrap();
        assert_eq!(r.cause.as_deref(), Some(want));
    }
    let mut s = Script::new(Some("wamp.2.json"), None);
    s.text(Server, &serde_json::json!([3, {}, long]).to_string(), 4, 0);
    let r = s.t.worded(&closed(Server, Some(1000), "", 5, 1)).unwrap();
    cut(&r.cause.unwrap(), "ABORT");
}
