//! Runs the `wsclose` binary on every recorded fixture and checks, connection by connection,
//! the exact close frames (side, code, reason, packet), how TCP ended, and the status.
//! The expected values are those of fixtures/README.md, which were checked against tshark
//! when the captures were recorded.

use assert_cmd::Command;
use serde_json::Value;

/// One expected close frame: side, code (None = empty payload), reason, packet.
type Close = (&'static str, Option<u64>, &'static str, u64);

struct Conn {
    client_port: u16,
    server_port: u16,
    closes: &'static [Close],
    tcp_end: &'static str,
    tcp_end_by: Option<&'static str>,
    tcp_end_packet: Option<u64>,
    status: Option<u64>,
    inferred: bool,
}

fn run_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wsclose {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The JSON report of one fixture.
fn analyze(file: &str) -> Value {
    let path = format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    run_json(&["analyze", "--format", "json", &path])
}

fn check(file: &str, expected: &[Conn]) {
    let report = analyze(file);
    let conns = report["connections"].as_array().unwrap();
    assert_eq!(conns.len(), expected.len(), "{file}: connection count");
    for (c, e) in conns.iter().zip(expected) {
        let ctx = format!("{file} client port {}", e.client_port);
        assert!(
            c["client"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{}", e.client_port)),
            "{ctx}: client {}",
            c["client"]
        );
        assert!(
            c["server"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{}", e.server_port)),
            "{ctx}: server {}",
            c["server"]
        );
        assert_eq!(c["handshake"]["seen"], true, "{ctx}");
        assert_eq!(c["handshake"]["status"], 101, "{ctx}");
        assert_eq!(c["handshake"]["accept_valid"], true, "{ctx}");
        let frames: Vec<Close> = c["close_frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    match f["from"].as_str().unwrap() {
                        "client" => "client",
                        _ => "server",
                    },
                    f["code"].as_u64(),
                    // Leak is fine in a test: it makes the tuple comparable to the table.
                    &*Box::leak(f["reason"].as_str().unwrap().to_string().into_boxed_str()),
                    f["packet"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(frames, e.closes, "{ctx}: close frames");
        assert_eq!(c["tcp_end"], e.tcp_end, "{ctx}: tcp_end");
        assert_eq!(c["tcp_end_by"].as_str(), e.tcp_end_by, "{ctx}: tcp_end_by");
        assert_eq!(
            c["tcp_end_packet"].as_u64(),
            e.tcp_end_packet,
            "{ctx}: tcp_end_packet"
        );
        assert_eq!(c["status"]["code"].as_u64(), e.status, "{ctx}: status");
        assert_eq!(c["status"]["inferred"], e.inferred, "{ctx}: inferred");
        let cause = c["status"]["cause"].as_str().unwrap();
        let fix = c["status"]["fix"].as_str().unwrap();
        assert!(
            cause.len() > 40 && fix.len() > 40,
            "{ctx}: cause/fix too thin"
        );
    }
}

/// The common shape: one connection, both sides send the same code and reason.
#[allow(clippy::too_many_arguments)]
fn echo(
    file: &str,
    ports: (u16, u16),
    first: &'static str,
    code: Option<u64>,
    reason: &'static str,
    packets: (u64, u64),
    end: (&'static str, &'static str, u64),
    status: u64,
) {
    let second = if first == "client" {
        "server"
    } else {
        "client"
    };
    let closes: &'static [Close] = Box::leak(
        vec![
            (first, code, reason, packets.0),
            (second, code, reason, packets.1),
        ]
        .into_boxed_slice(),
    );
    check(
        file,
        &[Conn {
            client_port: ports.0,
            server_port: ports.1,
            closes,
            tcp_end: end.0,
            tcp_end_by: Some(end.1),
            tcp_end_packet: Some(end.2),
            status: Some(status),
            inferred: code.is_none() || status == 1006,
        }],
    );
}

#[test]
fn python_close_1000_from_client() {
    echo(
        "python-close-1000-client.pcap",
        (31001, 8765),
        "client",
        Some(1000),
        "bye",
        (10, 11),
        ("fin", "server", 12),
        1000,
    );
}

#[test]
fn node_close_1000_from_server() {
    echo(
        "node-close-1000-server.pcap",
        (31002, 9001),
        "server",
        Some(1000),
        "done",
        (9, 10),
        ("fin", "client", 11),
        1000,
    );
}

#[test]
fn python_close_1001_going_away() {
    echo(
        "python-close-1001.pcap",
        (31003, 18765),
        "server",
        Some(1001),
        "",
        (10, 12),
        ("fin", "server", 13),
        1001,
    );
}

#[test]
fn python_close_1002_after_unmasked_client_frame() {
    echo(
        "python-close-1002.pcap",
        (31004, 23456),
        "server",
        Some(1002),
        "incorrect masking",
        (11, 13),
        ("fin", "server", 12),
        1002,
    );
    let r = analyze("python-close-1002.pcap");
    let f = &r["connections"][0]["findings"][0];
    assert_eq!(f["kind"], "unmasked-client-frame");
    assert_eq!(f["packet"], 10);
    assert_eq!(f["from"], "client");
}

#[test]
fn node_close_1003_binary_to_text_only_server() {
    echo(
        "node-close-1003.pcap",
        (31005, 9003),
        "server",
        Some(1003),
        "binary not supported",
        (11, 12),
        ("fin", "server", 13),
        1003,
    );
}

#[test]
fn python_close_1007_invalid_utf8() {
    echo(
        "python-close-1007.pcap",
        (31006, 18767),
        "server",
        Some(1007),
        "invalid continuation byte at position 0",
        (11, 12),
        ("fin", "server", 13),
        1007,
    );
    let r = analyze("python-close-1007.pcap");
    let f = &r["connections"][0]["findings"][0];
    assert_eq!(f["kind"], "invalid-utf8-text");
    assert_eq!(f["packet"], 10);
    assert!(f["detail"].as_str().unwrap().contains("message byte 0"));
}

#[test]
fn node_close_1008_with_reason() {
    echo(
        "node-close-1008.pcap",
        (31007, 9008),
        "server",
        Some(1008),
        "token expired",
        (9, 10),
        ("fin", "client", 11),
        1008,
    );
}

#[test]
fn python_close_1009_message_too_big() {
    echo(
        "python-close-1009.pcap",
        (31008, 18769),
        "server",
        Some(1009),
        "frame with 100 bytes exceeds limit of 64 bytes",
        (9, 11),
        ("fin", "server", 10),
        1009,
    );
}

#[test]
fn python_close_1011_internal_error() {
    echo(
        "python-close-1011.pcap",
        (31009, 18711),
        "server",
        Some(1011),
        "",
        (9, 10),
        ("fin", "server", 11),
        1011,
    );
}

#[test]
fn python_close_4100_split_over_four_segments() {
    echo(
        "python-close-4100-split.pcap",
        (31046, 18736),
        "client",
        Some(4100),
        "client leaving: split over four segments",
        (16, 18),
        ("fin", "server", 19),
        4100,
    );
}

#[test]
fn node_close_4001_with_non_ascii_reason() {
    echo(
        "node-close-4001-utf8.pcap",
        (31010, 9041),
        "server",
        Some(4001),
        "zu spät — ärger ✓",
        (9, 10),
        ("fin", "client", 11),
        4001,
    );
}

#[test]
fn node_empty_close_is_1005() {
    echo(
        "node-close-empty.pcap",
        (31011, 9005),
        "server",
        None,
        "",
        (9, 10),
        ("fin", "client", 11),
        1005,
    );
}

#[test]
fn python_no_close_then_fin_is_1006() {
    check(
        "python-no-close-fin.pcap",
        &[Conn {
            client_port: 31012,
            server_port: 18712,
            closes: &[],
            tcp_end: "fin",
            tcp_end_by: Some("client"),
            tcp_end_packet: Some(10),
            status: Some(1006),
            inferred: true,
        }],
    );
}

#[test]
fn tungstenite_server_closes_1013_try_again_later() {
    echo(
        "tungstenite-close-1013.pcap",
        (31044, 9044),
        "server",
        Some(1013),
        "overloaded, retry in 5 s",
        (11, 13),
        ("fin", "server", 14),
        1013,
    );
}

/// tungstenite's read fails on a message over its limit; the server drops the socket with
/// no close frame: 1006, and the message it did not answer is named.
#[test]
fn tungstenite_server_drops_a_message_over_its_limit_without_1009() {
    check(
        "tungstenite-max-size-drop.pcap",
        &[Conn {
            client_port: 31045,
            server_port: 9045,
            closes: &[],
            tcp_end: "fin",
            tcp_end_by: Some("server"),
            tcp_end_packet: Some(9),
            status: Some(1006),
            inferred: true,
        }],
    );
    let r = analyze("tungstenite-max-size-drop.pcap");
    let cause = r["connections"][0]["status"]["cause"].as_str().unwrap();
    assert!(
        cause
            .contains("The last WebSocket frame was the client's 100-byte text message (packet 8)")
            && cause.contains("The server reacted to that message"),
        "{cause}"
    );
}

#[test]
fn python_no_close_then_rst_is_1006() {
    check(
        "python-no-close-rst.pcap",
        &[Conn {
            client_port: 31013,
            server_port: 18713,
            closes: &[],
            tcp_end: "rst",
            tcp_end_by: Some("client"),
            tcp_end_packet: Some(10),
            status: Some(1006),
            inferred: true,
        }],
    );
}

#[test]
fn python_deflate_negotiated() {
    echo(
        "python-deflate.pcap",
        (31014, 18714),
        "client",
        Some(1000),
        "bye",
        (12, 13),
        ("fin", "server", 14),
        1000,
    );
    let r = analyze("python-deflate.pcap");
    let c = &r["connections"][0];
    assert_eq!(c["handshake"]["deflate"], true);
    // RSV1 on compressed messages is allowed once deflate is negotiated: no findings.
    assert_eq!(
        c["findings"].as_array().unwrap().len(),
        0,
        "{}",
        c["findings"]
    );
    assert_eq!(c["frames"]["client"]["compressed_messages"], 2);
    assert_eq!(c["frames"]["server"]["compressed_messages"], 2);
}

#[test]
fn node_ipv6() {
    echo(
        "node-ipv6.pcap",
        (31015, 9015),
        "client",
        Some(1000),
        "bye",
        (10, 11),
        ("fin", "server", 12),
        1000,
    );
    let r = analyze("node-ipv6.pcap");
    assert_eq!(r["connections"][0]["client"], "[::1]:31015");
}

#[test]
fn node_pcapng() {
    echo(
        "node-close-1000.pcapng",
        (31016, 9016),
        "server",
        Some(1000),
        "done",
        (9, 10),
        ("fin", "server", 11),
        1000,
    );
    let r = analyze("node-close-1000.pcapng");
    assert_eq!(r["inputs"][0]["format"], "pcapng");
}

#[test]
fn python_linux_cooked_sll_and_sll2() {
    echo(
        "python-sll.pcap",
        (31017, 18717),
        "client",
        Some(1000),
        "bye",
        (10, 11),
        ("fin", "server", 12),
        1000,
    );
    echo(
        "python-sll2.pcap",
        (31018, 18718),
        "client",
        Some(1000),
        "bye",
        (10, 11),
        ("fin", "server", 12),
        1000,
    );
    let r = analyze("python-sll2.pcap");
    assert_eq!(r["inputs"][0]["link_types"][0], 276);
}

#[test]
fn python_nanosecond_timestamps() {
    echo(
        "python-nanosecond.pcap",
        (31019, 18719),
        "client",
        Some(1000),
        "bye",
        (10, 11),
        ("fin", "server", 12),
        1000,
    );
    let r = analyze("python-nanosecond.pcap");
    let t = r["connections"][0]["close_frames"][0]["time"]
        .as_str()
        .unwrap();
    // A nanosecond capture keeps digits beyond the microsecond.
    assert!(!t.ends_with("000Z"), "{t}");
}

#[test]
fn node_many_gzip_interleaved() {
    check(
        "node-many.pcap.gz",
        &[
            Conn {
                client_port: 31020,
                server_port: 9020,
                closes: &[
                    ("server", Some(1000), "normal", 47),
                    ("client", Some(1000), "normal", 56),
                ],
                tcp_end: "fin",
                tcp_end_by: Some("client"),
                tcp_end_packet: Some(62),
                status: Some(1000),
                inferred: false,
            },
            Conn {
                client_port: 31021,
                server_port: 9020,
                closes: &[
                    ("server", Some(1001), "going away", 49),
                    ("client", Some(1001), "going away", 58),
                ],
                tcp_end: "fin",
                tcp_end_by: Some("client"),
                tcp_end_packet: Some(65),
                status: Some(1001),
                inferred: false,
            },
            Conn {
                client_port: 31022,
                server_port: 9020,
                closes: &[
                    ("server", Some(4000), "app specific", 46),
                    ("client", Some(4000), "app specific", 51),
                ],
                tcp_end: "fin",
                tcp_end_by: Some("client"),
                tcp_end_packet: Some(53),
                status: Some(4000),
                inferred: false,
            },
            Conn {
                client_port: 31023,
                server_port: 9020,
                closes: &[("server", None, "", 50), ("client", None, "", 60)],
                tcp_end: "fin",
                tcp_end_by: Some("client"),
                tcp_end_packet: Some(66),
                status: Some(1005),
                inferred: true,
            },
            Conn {
                client_port: 31024,
                server_port: 9020,
                closes: &[],
                tcp_end: "fin",
                tcp_end_by: Some("server"),
                tcp_end_packet: Some(48),
                status: Some(1006),
                inferred: true,
            },
        ],
    );
}

#[test]
fn several_files_in_one_run_keep_their_packet_numbers() {
    let dir = format!("{}/fixtures", env!("CARGO_MANIFEST_DIR"));
    let a = format!("{dir}/node-close-1008.pcap");
    let b = format!("{dir}/python-no-close-rst.pcap");
    let r = run_json(&["analyze", "--format", "json", &a, &b]);
    let c = r["connections"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        (c[0]["id"].as_u64(), c[0]["input"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (c[1]["id"].as_u64(), c[1]["input"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(c[1]["tcp_end_packet"], 10);
    assert_eq!(r["summary"]["by_status"]["1008"], 1);
    assert_eq!(r["summary"]["by_status"]["1006"], 1);
}

#[test]
fn stdin_input() {
    let path = format!(
        "{}/fixtures/node-close-1008.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json", "-"])
        .pipe_stdin(path)
        .unwrap()
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["connections"][0]["status"]["code"], 1008);
}

#[test]
fn evidence_points_at_the_frame_behind_each_status() {
    let cases: [(&str, &[u64], &str); 7] = [
        ("python-close-1002.pcap", &[10], "unmasked-client-frame"),
        (
            "python-close-1007.pcap",
            &[10],
            "not valid UTF-8 at message byte 0",
        ),
        (
            "python-close-1009.pcap",
            &[8],
            "largest message from the client was 100 bytes",
        ),
        (
            "node-close-1003.pcap",
            &[10],
            "last message before the close was binary (4 bytes",
        ),
        // The close answered the client's message (packet 8): `close-answers-message`.
        (
            "node-close-empty.pcap",
            &[8, 9],
            "no status code (packet 9): close() was called without a code; right after the client's message (packet 8)",
        ),
        (
            "python-no-close-rst.pcap",
            &[9, 10],
            "client reset TCP with an RST (packet 10), 0.000 s after the server's 5-byte text message (packet 9), unanswered",
        ),
        (
            "tungstenite-max-size-drop.pcap",
            &[8, 9],
            "server closed TCP with a FIN (packet 9), 0.000 s after the client's 100-byte text message (packet 8), unanswered",
        ),
    ];
    for (file, packets, text) in cases {
        let r = analyze(file);
        let e = &r["connections"][0]["evidence"];
        let got: Vec<u64> = e["packets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_u64().unwrap())
            .collect();
        assert_eq!(got, packets, "{file}: {e}");
        assert!(e["summary"].as_str().unwrap().contains(text), "{file}: {e}");
        assert_eq!(e["consistent"], true, "{file}");
    }
    // A clean 1000 close needs no evidence.
    let r = analyze("python-close-1000-client.pcap");
    assert!(r["connections"][0]["evidence"].is_null());
}

#[test]
fn closing_handshake_who_started_who_replied_who_closed_tcp() {
    let r = analyze("python-close-1000-client.pcap");
    let h = &r["connections"][0]["close_handshake"];
    assert_eq!(h["initiator"], "client");
    assert_eq!(
        (
            h["reply"].as_bool(),
            h["reply_code"].as_u64(),
            h["echoed"].as_bool()
        ),
        (Some(true), Some(1000), Some(true))
    );
    assert_eq!(h["tcp_closed_first_by"], "server");
    // Node's ws client closes TCP before the server does.
    let r = analyze("node-close-1008.pcap");
    let h = &r["connections"][0]["close_handshake"];
    assert_eq!(
        (h["initiator"].as_str(), h["tcp_closed_first_by"].as_str()),
        (Some("server"), Some("client"))
    );
}

#[test]
fn python_refused_upgrade_is_reported_with_its_http_status() {
    let r = analyze("python-refused-403.pcap");
    let c = &r["connections"][0];
    assert_eq!(c["handshake"]["status"], 403);
    assert_eq!(c["handshake"]["response_packet"], 6);
    assert!(c["status"]["code"].is_null());
    assert_eq!(c["status"]["name"], "Upgrade refused");
    assert!(c["status"]["cause"].as_str().unwrap().contains("HTTP 403"));
    assert_eq!(c["findings"][0]["kind"], "upgrade-refused");
    assert_eq!(c["close_frames"].as_array().unwrap().len(), 0);
    assert_eq!(r["summary"]["by_status"]["refused"], 1);
    // No WebSocket ever existed: no application saw a close status.
    assert!(c["seen_by"]["client"].is_null() && c["seen_by"]["server"].is_null());
    assert_eq!(c["tcp_ends"][0]["by"], "server");
    assert_eq!(c["tcp_ends"][0]["packet"], 8);
    assert_eq!(c["tcp_ends"][1]["packet"], 9);
}

#[test]
fn python_deflate_without_context_takeover() {
    echo(
        "python-deflate-no-context.pcap",
        (31043, 18735),
        "client",
        Some(1000),
        "bye",
        (12, 13),
        ("fin", "server", 14),
        1000,
    );
    let r = analyze("python-deflate-no-context.pcap");
    let c = &r["connections"][0];
    assert!(c["handshake"]["extensions"]
        .as_str()
        .unwrap()
        .contains("client_no_context_takeover"));
    // Each message inflates on its own window: the 180-byte message comes out whole.
    assert_eq!(
        c["findings"].as_array().unwrap().len(),
        0,
        "{}",
        c["findings"]
    );
    assert_eq!(c["frames"]["client"]["compressed_messages"], 2);
    assert_eq!(c["frames"]["client"]["largest_message"][0], 180);
}

/// Live output on the same capture: the FIN's line names the message it came right after,
/// as the report's 1006 does (the events are those `wsclose live` prints).
#[test]
fn live_line_names_the_unanswered_message() {
    use std::sync::{Arc, Mutex};
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut a = wsclose::__internals::analyzer::Analyzer::new(
        wsclose::__internals::analyzer::Options::default(),
    );
    let sink = Arc::clone(&lines);
    a.on_event(Box::new(move |ev| {
        sink.lock().unwrap().push(wsclose::render::events::line(ev))
    }));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tungstenite-max-size-drop.pcap");
    wsclose::__internals::capture::file::read(&path, &mut |p| a.packet(p)).unwrap();
    let lines = lines.lock().unwrap();
    assert!(
        lines[0].contains("server sent TCP FIN with no close frame, right after the client's 100-byte text message (packet 8), unanswered: 1006 Abnormal Closure")
            && lines[0].ends_with("[pkt 9]"),
        "{lines:?}"
    );
    // The client's FIN afterwards is not a first event: no status, no message named.
    assert!(!lines[1].contains("unanswered"), "{lines:?}");
}

/// Live lines are short: the catalog's sentence on what a status means only with `-v`
/// (`line_verbose`); a close frame's line is about 100 columns (at most 110 here).
#[test]
fn live_lines_say_the_catalog_sentence_only_when_asked() {
    use std::sync::{Arc, Mutex};
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut a = wsclose::__internals::analyzer::Analyzer::new(
        wsclose::__internals::analyzer::Options::default(),
    );
    let sink = Arc::clone(&lines);
    a.on_event(Box::new(move |ev| {
        let (short, long) = (
            wsclose::render::events::line(ev),
            wsclose::render::events::line_verbose(ev),
        );
        sink.lock().unwrap().push((short, long));
    }));
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python-close-1011.pcap");
    wsclose::__internals::capture::file::read(&path, &mut |p| a.packet(p)).unwrap();
    let lines = lines.lock().unwrap();
    let (short, long) = &lines[0];
    assert!(short.contains("sent close 1011"), "{short}");
    assert!(
        short.chars().count() <= 110,
        "{} columns: {short}",
        short.chars().count()
    );
    assert!(!short.contains(" — "), "{short}");
    let head = short.split(" [pkt").next().unwrap();
    assert!(long.starts_with(head) && long.len() > short.len(), "{long}");
    assert!(long.contains(" — "), "{long}");
}

/// fixtures/points/ (issue 103's recordings of the same sessions at two points): every file
/// EXPECT.json names is there, and each capture reads, alone, with the sessions it holds.
/// Nothing here about reading them as points of one path.
#[test]
fn points_recordings_exist_and_parse() {
    let dir = format!("{}/fixtures/points", env!("CARGO_MANIFEST_DIR"));
    let expect: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/EXPECT.json")).unwrap())
            .unwrap();
    let mut files = std::collections::BTreeSet::new();
    for group in ["scenarios", "variants", "controls"] {
        for v in expect[group].as_object().unwrap().values() {
            for f in v["files"].as_array().into_iter().flatten() {
                files.insert(f.as_str().unwrap().to_string());
            }
        }
    }
    assert!(files.len() >= 25, "{files:?}");
    for f in &files {
        let path = format!("{dir}/{f}");
        assert!(std::path::Path::new(&path).is_file(), "{f}: missing");
        if f.ends_with(".log") {
            continue;
        }
        let report = run_json(&["analyze", "--format", "json", &path]);
        let n = report["connections"].as_array().unwrap().len();
        // rotation-2 is the second half of a rotation: no handshake in it.
        let least = match f.as_str() {
            "rotation-2.pcap" => 0,
            f if f.starts_with("unrelated-") => 1,
            _ => 2,
        };
        assert!(
            n >= least,
            "{f}: {n} connections, at least {least} expected"
        );
    }
}
