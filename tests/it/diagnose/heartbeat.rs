//! Plain WebSockets whose heartbeat gave up (fixtures/heartbeat, recorded from Python
//! websockets 17.4, uvicorn 0.54.0, aiohttp 3.14.5 and Node ws 8.23.0 with the peer paused
//! by SIGSTOP; what each endpoint logged is in the .log beside each capture): the report
//! names the side whose ping went unanswered, the ping's packet, the peer's last pong, and
//! the library whose timeout it is, in `status.causes` and in words; the catalog's
//! generic reading of the code (1011's "unexpected condition", 1006's proxies) gives way.

use crate::common::run;
use assert_cmd::Command;
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    format!("{}/fixtures/heartbeat/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn report(name: &str, format: &str) -> String {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args([
            "analyze",
            &fixture(name),
            "--format",
            format,
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    String::from_utf8(run::stdout_of(out)).unwrap()
}

fn status(name: &str) -> Value {
    let r: Value = serde_json::from_str(&report(name, "json")).unwrap();
    r["connections"][0]["status"].clone()
}

fn heartbeat(st: &Value) -> Value {
    st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "heartbeat-timeout")
        .cloned()
        .unwrap_or_else(|| panic!("no heartbeat-timeout in {st}"))
}

#[test]
fn each_fixture_names_the_unanswered_ping_and_the_library() {
    // (fixture, code, side that pinged, library, version, first unanswered ping, peer's
    // last pong before it, the ending's packet): from the .log files and tshark.
    let cases = [
        (
            "python-keepalive-timeout.pcap",
            json!(1011),
            "server",
            json!("python-websockets"),
            json!("17.4"),
            13,
            json!(11),
            15,
        ),
        (
            "python-client-keepalive-timeout.pcap",
            json!(1011),
            "client",
            json!("python-websockets"),
            json!("17.4"),
            14,
            json!(12),
            16,
        ),
        (
            "uvicorn-ping-timeout.pcap",
            json!(1011),
            "server",
            json!("uvicorn"),
            Value::Null,
            13,
            json!(11),
            15,
        ),
        (
            "aiohttp-heartbeat.pcap",
            json!(1006),
            "server",
            json!("aiohttp"),
            json!("3.14.5"),
            10,
            Value::Null,
            12,
        ),
        (
            "node-ws-terminate.pcap",
            json!(1006),
            "server",
            Value::Null,
            Value::Null,
            16,
            json!(14),
            18,
        ),
    ];
    for (name, code, by, library, version, ping, last_pong, end) in cases {
        let st = status(name);
        assert_eq!(st["code"], code, "{name}");
        let h = heartbeat(&st);
        assert_eq!(h["by"], by, "{name}");
        assert_eq!(h["library"]["library"], library, "{name}: {h}");
        assert_eq!(h["library"]["version"], version, "{name}: {h}");
        assert_eq!(h["ping_packet"], ping, "{name}: {h}");
        assert_eq!(h["unanswered"], 1, "{name}: {h}");
        assert_eq!(h["last_pong_packet"], last_pong, "{name}: {h}");
        assert_eq!(h["end_packet"], end, "{name}: {h}");
        // Each library waited its timeout: 0.5 s after the ping (aiohttp: heartbeat/2).
        let waited = h["waited_ms"].as_f64().unwrap();
        assert!((490.0..=520.0).contains(&waited), "{name}: {h}");
    }
}

#[test]
fn the_library_reading_replaces_the_codes_generic_one() {
    let st = status("python-keepalive-timeout.pcap");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains("its ping at packet 13 got no pong from the client (the client's last pong before it was packet 11)"),
        "{cause}"
    );
    assert!(
        cause.contains("Python websockets 17.4's keepalive"),
        "{cause}"
    );
    // 1011's catalog text (an unexpected condition, a stack trace to look for) is left out.
    assert!(!cause.contains("unhandled exception"), "{cause}");
    let fix = st["fix"].as_str().unwrap();
    assert!(fix.contains("ping_timeout"), "{fix}");
    assert!(!fix.contains("stack trace"), "{fix}");

    let st = status("uvicorn-ping-timeout.pcap");
    assert!(
        st["fix"].as_str().unwrap().contains("--ws-ping-timeout"),
        "{st}"
    );

    let st = status("aiohttp-heartbeat.pcap");
    assert!(st["fix"].as_str().unwrap().contains("heartbeat="), "{st}");
    assert!(
        st["cause"].as_str().unwrap().contains("within heartbeat/2"),
        "{st}"
    );

    // ws's heartbeat drops the peer one interval after the unanswered ping: the interval is
    // the cadence of its three pings (502 ms, their gaps' mean), the wait 501 ms.
    let st = status("node-ws-terminate.pcap");
    let h = heartbeat(&st);
    let (interval, waited) = (h["interval_ms"].as_f64(), h["waited_ms"].as_f64());
    assert!(
        matches!((interval, waited), (Some(i), Some(w)) if (i - w).abs() <= 5.0),
        "{h}"
    );
    let cause = st["cause"].as_str().unwrap();
    assert!(cause.contains("isAlive / terminate()"), "{cause}");
    assert!(!cause.contains("nginx proxy_read_timeout"), "{cause}");
}

#[test]
fn markdown_and_the_table_say_it() {
    let md = report("aiohttp-heartbeat.pcap", "markdown");
    assert!(
        md.contains(
            "The server's heartbeat gave up: its ping at packet 10 got no pong from the client"
        ),
        "{md}"
    );
    let table = report("python-client-keepalive-timeout.pcap", "table");
    assert!(
        table.contains("heartbeat timeout: the client's ping at packet 14 got no pong"),
        "{table}"
    );
}
