//! SockJS on its raw WebSocket transport, on three servers (fixtures/app/sockjs-*, recorded by
//! fixtures/record/app/record.sh, section `sockjs`; what both endpoints logged is in the .log
//! beside each capture): sockjs-node 0.3.24 with the sockjs-client 1.6.1 client, aiohttp
//! sockjs 0.13.0 (permessage-deflate) and sockjs-tornado 1.0.7 with a raw python-websockets
//! client. The server's close frame `c[code,"reason"]` is the verdict, whatever WebSocket
//! close follows it; the server's heartbeat `h` is its keep-alive with its period, never an
//! unanswered ping; a heartbeat that stopped before the client gave up is named.

use crate::common::run;

use crate::common::markup;

use crate::common::app as fixture;
use fixture::json;
use serde_json::{json, Value};

#[test]
fn the_servers_close_frame_is_the_verdict_not_the_websocket_close_after_it() {
    // (fixture, WebSocket status, the c[…] packet, the WebSocket close after it, the label)
    for (name, code, c, ws, label) in [
        ("sockjs-node-go-away.pcap", json!(1000), 23, 25, "go away"),
        (
            "sockjs-aiohttp-go-away.pcap",
            json!(1000),
            39,
            41,
            "go away",
        ),
        (
            "sockjs-tornado-go-away.pcap",
            json!(1005),
            15,
            17,
            "go away",
        ),
        (
            "sockjs-node-server-close.pcap",
            json!(1000),
            20,
            22,
            "normal closure",
        ),
    ] {
        let r = json(name, &[]);
        let conn = &r["connections"][0];
        let a = &conn["application"];
        assert_eq!(
            json!([
                conn["status"]["code"],
                a["protocol"],
                a["ended_by"],
                a["cause"],
                a["evidence"],
                a["undecodable"]
            ]),
            json!([code, "SockJS", "server", label, [c, ws], 0]),
            "{name}"
        );
        assert_eq!(
            a["recognized_by"],
            "request target: …/<server>/<session>/websocket, then the server's open frame \"o\"",
            "{name}"
        );
        let summary = a["summary"].as_str().unwrap_or_default();
        assert!(
            summary.starts_with(&format!(
                "the server closed the SockJS session with its close frame c[{}] at packet {c}; ",
                if label == "go away" {
                    "3000,\"Go away!\""
                } else {
                    "1000,\"Normal closure\""
                }
            )) && summary.contains(&format!("at packet {ws} only ended the transport")),
            "{name}: {summary}"
        );
        // The status says the application's reason, not the code's typical causes.
        let cause = conn["status"]["cause"].as_str().unwrap_or_default();
        assert!(
            cause.contains(&format!(
                "SockJS: the server's application ended the session, \"{label}\""
            )),
            "{name}: {cause}"
        );
        assert!(!cause.contains("logout"), "{name}: {cause}");
        assert_eq!(conn["status"]["fix"], a["fix"], "{name}");
    }
}

#[test]
fn a_client_close_claims_nothing_of_the_server() {
    for name in [
        "sockjs-node-client-close.pcap",
        "sockjs-aiohttp-client-close.pcap",
    ] {
        let r = json(name, &[]);
        let conn = &r["connections"][0];
        let a = &conn["application"];
        assert_eq!(
            json!([
                conn["status"]["code"],
                conn["close_frames"][0]["from"],
                a["protocol"],
                a["cause"],
                a["ended_by"],
                a["messages"],
                a["undecodable"]
            ]),
            json!([1000, "client", "SockJS", null, null, 3, 0]),
            "{name}"
        );
    }
}

#[test]
fn the_servers_heartbeat_has_its_period_and_is_never_unanswered() {
    let r = json("sockjs-tornado-heartbeat-stopped.pcap", &[]);
    let a = &r["connections"][0]["application"];
    let server = &a["heartbeat"]["server"];
    assert_eq!(
        json!([server["pings"], server["unanswered"], server["last_ping"]]),
        json!([4, 0, 24])
    );
    // sockjs-tornado's heartbeat_delay was 1 s.
    let period = server["period_ms"].as_u64().unwrap_or_default();
    assert!((950..=1100).contains(&period), "{period}");
    assert_eq!(a["heartbeat"]["client"]["pings"], 0);
    // One h only: no period.
    let r = json("sockjs-tornado-go-away.pcap", &[]);
    let server = &r["connections"][0]["application"]["heartbeat"]["server"];
    assert_eq!(
        json!([server["pings"], server["unanswered"], server["period_ms"]]),
        json!([1, 0, null])
    );
}

#[test]
fn a_heartbeat_that_stopped_before_the_client_gave_up_is_named() {
    let r = json("sockjs-tornado-heartbeat-stopped.pcap", &[]);
    let conn = &r["connections"][0];
    let a = &conn["application"];
    assert_eq!(
        json!([a["cause"], a["ended_by"], a["evidence"]]),
        json!(["heartbeat stopped", "client", [24, 26]])
    );
    let summary = a["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("the server's heartbeat (h, every 1.0 s) stopped after packet 24; the client closed the WebSocket 3.0 s later at packet 26"),
        "{summary}"
    );
    // The server stopped, then killed: its kernel's FIN ends it, 3 s after its last h.
    let r = json("sockjs-tornado-heartbeat-killed.pcap", &[]);
    let conn = &r["connections"][0];
    let a = &conn["application"];
    assert_eq!(
        json!([
            conn["status"]["code"],
            a["cause"],
            a["ended_by"],
            a["evidence"]
        ]),
        json!([1006, "heartbeat stopped", "server", [18, 20]])
    );
    let summary = a["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("stopped after packet 18; the server ended the TCP connection (FIN) 3.0 s later at packet 20"),
        "{summary}"
    );
    // Not the 1006's typical causes (a proxy's idle timeout, …): the application said why.
    let cause = conn["status"]["cause"].as_str().unwrap_or_default();
    assert!(!cause.contains("idle timeout"), "{cause}");
}

/// `fixtures/app/NAME` without its record `drop` (1-based).
fn without_record(name: &str, drop: usize) -> String {
    run::pcap_without(&fixture::path(name), drop)
}

fn analyze(path: &str, extra: &[&str]) -> Value {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(["analyze", path, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    serde_json::from_slice(&run::stdout_of(out)).unwrap()
}

#[test]
fn a_message_split_over_segments_is_read_and_one_cut_by_a_lost_segment_is_not() {
    // sockjs-node-go-away's a["xxx…"] of 70 005 bytes came in packets 19 and 21.
    let whole = json("sockjs-node-go-away.pcap", &[]);
    assert_eq!(
        json!([
            whole["connections"][0]["application"]["messages"],
            whole["connections"][0]["application"]["undecodable"]
        ]),
        json!([5, 0])
    );
    // Without packet 21, its second half, the message is cut (not handed over as a message);
    // the close frame after it (now packet 22) still decides.
    let r = analyze(&without_record("sockjs-node-go-away.pcap", 21), &[]);
    let a = &r["connections"][0]["application"];
    assert_eq!(
        json!([a["cause"], a["messages"], a["evidence"]]),
        json!(["go away", 4, [22, 24]]),
        "{a}"
    );
    // Without packet 19, its first half with its frame header: nothing of the server's is
    // decoded from there, and nothing is claimed.
    let r = analyze(&without_record("sockjs-node-go-away.pcap", 19), &[]);
    assert_eq!(r["connections"][0]["application"]["cause"], Value::Null);
}

#[test]
fn a_lost_close_frame_is_not_invented() {
    // Without packet 23, the server's c[3000,"Go away!"]: the capture does not say why the
    // server closed, and the verdict does not guess it.
    let r = analyze(&without_record("sockjs-node-go-away.pcap", 23), &[]);
    let a = &r["connections"][0]["application"];
    assert_eq!(a["protocol"], "SockJS");
    assert_eq!(a["cause"], Value::Null, "{a}");
}

#[test]
fn redaction_keeps_the_protocols_label_and_drops_the_summary() {
    let r = json("sockjs-aiohttp-go-away.pcap", &["--redact"]);
    let a = &r["connections"][0]["application"];
    assert_eq!(json!([a["cause"], a["summary"]]), json!(["go away", null]));
}

/// Wire text as markup (THREATS kind 8): sockjs-node's `c[3000,"Go away!"]` rewritten in
/// place as `c[401,"<b>\u001b"]` (the same 18 bytes): the reason is quoted, and no format
/// and no comment of the annotated capture carries the tag or the escape raw.
#[test]
fn a_hostile_close_reason_reaches_no_format_raw() {
    let path = run::pcap_swapped(
        &fixture::path("sockjs-node-go-away.pcap"),
        &[(br#"c[3000,"Go away!"]"#, br#"c[401,"<b>\u001b"]"#)],
        "sockjs-hostile-close.pcap",
    );
    let r = analyze(&path, &[]);
    let cause = r["connections"][0]["application"]["cause"]
        .as_str()
        .unwrap();
    assert!(cause.contains("401") && cause.contains("<b>"), "{cause}");
    markup::formats_carry_no_raw_markup(&path, "<b>", &["<b>"]);
}
