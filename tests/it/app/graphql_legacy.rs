//! The legacy GraphQL-over-WebSocket protocol (`graphql-ws`, as subscriptions-transport-ws
//! speaks it) on two implementations (fixtures/app/graphql-legacy-*, recorded by
//! fixtures/record/app/record.sh, section `graphql-legacy`; what both endpoints logged is in
//! the .log beside each capture): subscriptions-transport-ws 0.11.0's server and client, and
//! strawberry-graphql 0.341.2's legacy handler with a gql 4.4.0 client. The server's `ka` is
//! its keep-alive with its period, never an unanswered ping; `ka` that stopped before the
//! client gave up is named, unless the capture lost what the server sent;
//! connection_error and connection_terminate give the verdict.

use crate::common::run;

use crate::common::app as fixture;
use fixture::json;
use serde_json::{json, Value};

#[test]
fn ka_is_the_servers_keep_alive_with_its_period_and_its_stop_is_named() {
    // (fixture, the last ka, the client's close, the WebSocket status)
    for (name, ka, close, code) in [
        ("graphql-legacy-node-ka-stopped.pcap", 21, 23, 1005),
        ("graphql-legacy-strawberry-ka-stopped.pcap", 19, 21, 1000),
    ] {
        let r = json(name, &[]);
        let c = &r["connections"][0];
        let a = &c["application"];
        let server = &a["heartbeat"]["server"];
        assert_eq!(
            json!([
                c["status"]["code"],
                a["protocol"],
                a["cause"],
                a["ended_by"],
                a["evidence"],
                server["pings"],
                server["unanswered"],
                server["last_ping"],
                a["heartbeat"]["client"]["pings"]
            ]),
            json!([
                code,
                "graphql-ws",
                "keep-alive missed",
                "client",
                [ka, close],
                5,
                0,
                ka,
                0
            ]),
            "{name}"
        );
        // Both servers' keepAlive was 500 ms.
        let period = server["period_ms"].as_u64().unwrap_or_default();
        assert!((490..=560).contains(&period), "{name}: {period}");
        let summary = a["summary"].as_str().unwrap_or_default();
        assert!(
            summary.contains(&format!(
                "stopped after packet {ka}; the client closed 1.5 s later at packet {close}"
            )),
            "{name}: {summary}"
        );
        let cause = c["status"]["cause"].as_str().unwrap_or_default();
        assert!(
            cause.contains(
                "graphql-ws: the client's application ended the session, \"keep-alive missed\""
            ),
            "{name}: {cause}"
        );
    }
}

#[test]
fn connection_error_and_terminate_give_the_verdict() {
    for (name, cause, by, evidence) in [
        (
            "graphql-legacy-node-connection-error.pcap",
            "connection error",
            "server",
            json!([9]),
        ),
        (
            "graphql-legacy-strawberry-connection-error.pcap",
            "connection error",
            "server",
            json!([9]),
        ),
        (
            "graphql-legacy-node-terminate.pcap",
            "connection terminate",
            "client",
            json!([15]),
        ),
    ] {
        let r = json(name, &[]);
        let a = &r["connections"][0]["application"];
        assert_eq!(
            json!([
                a["protocol"],
                a["cause"],
                a["ended_by"],
                a["evidence"],
                a["undecodable"]
            ]),
            json!(["graphql-ws", cause, by, evidence, 0]),
            "{name}"
        );
    }
    let r = json("graphql-legacy-node-connection-error.pcap", &[]);
    let summary = r["connections"][0]["application"]["summary"]
        .as_str()
        .unwrap_or_default();
    assert!(
        summary.contains("connection_error \"bad token\" at packet 9"),
        "{summary}"
    );
    // The terminate's one ka, answered by nothing and asking for nothing.
    let r = json("graphql-legacy-node-terminate.pcap", &[]);
    let server = &r["connections"][0]["application"]["heartbeat"]["server"];
    assert_eq!(
        json!([server["pings"], server["unanswered"]]),
        json!([1, 0])
    );
}

/// `fixtures/app/NAME` without its record `drop` (1-based).
fn without_record(name: &str, drop: usize) -> String {
    run::pcap_without(&fixture::path(name), drop)
}

#[test]
fn a_lost_ka_is_not_called_stopped() {
    // Without packet 21, the last ka: the server's stream has a hole there, so whether its
    // keep-alives went on is unknown, and no keep-alive is said to have been missed.
    let path = without_record("graphql-legacy-node-ka-stopped.pcap", 21);
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", &path, "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&run::stdout_of(out)).unwrap();
    let a = &r["connections"][0]["application"];
    assert_eq!(a["cause"], Value::Null, "{a}");
}
