//! socket.io on a second implementation (fixtures/app/socketio-py-*, recorded by
//! fixtures/record/app/record.sh, section `socketio-py`; what both endpoints logged is in the
//! .log beside the capture): python-socketio 5.18.1 (python-engineio 4.15.1) on aiohttp, its
//! AsyncClient paused so that it answers no ping.

use crate::common::app as fixture;
use fixture::json;
use serde_json::json;

#[test]
fn python_socketio_gives_up_on_a_client_that_answers_no_ping() {
    // server: "disconnect … reason ping timeout"; client (resumed): "transport error".
    let r = json("socketio-py-ping-timeout.pcap", &[]);
    let c = &r["connections"][0];
    let a = &c["application"];
    assert_eq!(
        json!([
            c["status"]["code"],
            a["protocol"],
            a["version"],
            a["ended_by"],
            a["cause"],
            a["evidence"],
            a["undecodable"]
        ]),
        json!([
            1000,
            "socket.io",
            "engine.io 4",
            "server",
            "ping timeout",
            [13, 15],
            0
        ])
    );
    let hb = &a["heartbeat"];
    assert_eq!(
        json!([
            hb["interval_ms"],
            hb["timeout_ms"],
            hb["server"]["unanswered"]
        ]),
        json!([1000, 1000, 1])
    );
    let s = a["summary"].as_str().unwrap_or_default();
    assert!(
        s.starts_with(
            "the server's ping at packet 13 got no pong from the client within pingTimeout 1 s"
        ),
        "{s}"
    );
}
