//! The last words: an unknown protocol's reason, only in its server's last message
//! (fixtures/lastwords/, recorded by fixtures/record/lastwords/record.sh with Python
//! websockets and Node ws; what both endpoints logged is in the .log beside each capture).
//! Every format quotes the message, `--redact` hides it, and a capture that lacks part of
//! the message says it is truncated.

use crate::common::run;

use crate::common;

use common::{binary, text, Session};
use serde_json::Value;
use wsclose::vocab::Role::{Client, Server};

fn path(name: &str) -> String {
    format!("{}/fixtures/lastwords/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn out(args: &[&str]) -> String {
    let o = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(run::stdout_of(o)).unwrap()
}

/// Each fixture, the encoding its server's last message is read as, and words of it.
const CASES: [(&str, &str, &str); 8] = [
    ("py-json-fin.pcap", "json", "session expired"),
    ("node-json-fin.pcap", "json", "session expired"),
    ("py-text-1000.pcap", "text", "quota exceeded"),
    ("node-text-1000.pcap", "text", "quota exceeded"),
    ("py-msgpack-4000.pcap", "msgpack", "rate limited"),
    ("node-msgpack-4000.pcap", "msgpack", "rate limited"),
    ("py-cbor-fin.pcap", "cbor", "token revoked"),
    ("node-cbor-fin.pcap", "cbor", "token revoked"),
];

#[test]
fn the_json_report_decodes_the_servers_last_message_and_its_cause_quotes_it() {
    for (name, encoding, words) in CASES {
        let p = path(name);
        let r: Value = serde_json::from_str(&out(&["analyze", &p, "--format", "json"])).unwrap();
        let c = &r["connections"][0];
        let server = c["last_words"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["from"] == "server")
            .unwrap_or_else(|| panic!("{name}: no server last words"));
        assert_eq!(
            (
                &server["packet"],
                server["encoding"].as_str(),
                &server["truncated"]
            ),
            (&Value::from(9), Some(encoding), &Value::from(false)),
            "{name}"
        );
        assert!(
            server["text"].as_str().unwrap().contains(words),
            "{name}: {server}"
        );
        assert_eq!(server["error_like"], true, "{name}");
        // The client's subscribe is listed too (a cause quotes the server's, so each
        // side's last message shortly before the end is evidence), and announces nothing.
        let client = c["last_words"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["from"] == "client")
            .unwrap_or_else(|| panic!("{name}: no client last words"));
        assert!(
            client["text"].as_str().unwrap().contains("subscribe"),
            "{name}"
        );
        assert_eq!(
            (&client["announces"], &client["error_like"]),
            (&Value::Null, &Value::from(false)),
            "{name}"
        );
        assert!(client["before_end_s"].as_f64().unwrap() > 0.0, "{name}");
        assert_eq!(server["announces"], "error", "{name}");
        assert!(
            server["before_end_s"].as_f64().unwrap() < client["before_end_s"].as_f64().unwrap(),
            "{name}"
        );
        let cause = c["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "last-words")
            .unwrap_or_else(|| panic!("{name}: no last-words cause: {}", c["status"]));
        assert_eq!(
            (&cause["from"], &cause["packet"]),
            (&Value::from("server"), &Value::from(9))
        );
        assert!(cause["words"].as_str().unwrap().contains(words), "{name}");
        assert!(
            c["status"]["cause"].as_str().unwrap().contains(words),
            "{name}"
        );
        // The typical causes of the code are not said after it, and the fix is the
        // application's: it said why.
        let said = c["status"]["cause"].as_str().unwrap();
        assert!(
            said.contains("these are the application's own last words."),
            "{name}: {said}"
        );
        assert!(
            !said.contains("Typical sources") && !said.contains("A deliberate close"),
            "{name}: {said}"
        );
        let fix = c["status"]["fix"].as_str().unwrap();
        assert!(fix.contains("in the close frame too"), "{name}: {fix}");
    }
}

#[test]
fn every_format_quotes_the_last_words_and_redact_hides_them() {
    for (name, _, words) in CASES {
        let p = path(name);
        for format in ["table", "markdown", "html", "json"] {
            let plain = out(&["analyze", &p, "--format", format]);
            assert!(plain.contains(words), "{name} {format}: {plain}");
            let redacted = out(&["analyze", &p, "--format", format, "--redact"]);
            assert!(
                !redacted.contains(words),
                "{name} {format} --redact: {redacted}"
            );
        }
        // A close after an error message is never summed up as clean.
        let table = out(&["analyze", &p]);
        assert!(!table.contains("clean closes"), "{name}: {table}");
        assert!(table.contains("last words"), "{name}: {table}");
        // The annotated capture's comments quote it beside the payload's own bytes.
        let dir = tempfile::tempdir().unwrap();
        for (redact, file) in [(false, "a.pcapng"), (true, "r.pcapng")] {
            let w = dir.path().join(file);
            let w = w.to_str().unwrap();
            let mut args = vec!["annotate", &p, "-w", w];
            if redact {
                args.push("--redact");
            }
            out(&args);
            let bytes = std::fs::read(w).unwrap();
            let n = bytes
                .windows(words.len())
                .filter(|x| *x == words.as_bytes())
                .count();
            if redact {
                assert!(
                    n <= 1,
                    "{name}: the words in {n} places of the redacted capture"
                );
            } else {
                assert!(n >= 2, "{name}: the words in {n} places only (the payload)");
            }
        }
    }
}

#[test]
fn a_last_message_the_capture_lacks_part_of_is_said_truncated() {
    let msg = format!("ERROR quota exceeded: {}", "x".repeat(300));
    let frame = text(Server, &msg);
    let mut s = Session::new(40000, 8080);
    s.open();
    s.send(Client, &text(Client, "{\"type\":\"subscribe\"}"));
    // The frame's middle is not in the capture.
    s.send(Server, &frame[..100]);
    s.lose(Server, &frame[100..200]);
    s.send(Server, &frame[200..]);
    s.fin(Server);
    let r = s.analyze();
    let c = common::only(&r);
    let w = c.last_words.iter().find(|w| w.from == Server).unwrap();
    assert!(w.truncated, "{w:?}");
    assert_eq!(w.length, msg.len() as u64);
    // Only what came before the hole, and "…" for the rest.
    assert!(w.text.ends_with('…') && w.text.len() < 100, "{w:?}");
    let cause = c
        .status
        .causes
        .iter()
        .find(|k| k.kind() == "last-words")
        .unwrap();
    assert!(matches!(
        cause,
        wsclose::report::Cause::LastWords {
            truncated: true,
            ..
        }
    ));
    assert!(c.status.detail.contains("truncated"), "{}", c.status.detail);
}

#[test]
fn a_binary_message_that_is_no_map_or_array_reads_as_hex_and_gives_no_cause() {
    let mut s = Session::new(40001, 8080);
    s.open();
    s.send(Server, &binary(Server, &[0x05, 0xff, 0x00, 0x41]));
    s.send(Server, &common::close(Server, 1000, ""));
    s.send(Client, &common::close(Client, 1000, ""));
    s.fins(Server);
    let r = s.analyze();
    let c = common::only(&r);
    // Listed (every connection's last words are), read as hex as it is no map or array;
    // it announces nothing and gives no cause.
    assert!(
        matches!(c.last_words.as_slice(), [w] if w.encoding == "hex"
            && w.text == "05 ff 00 41" && w.announces.is_none() && w.before_end_s.is_some()),
        "{:?}",
        c.last_words
    );
    assert!(c.status.causes.iter().all(|k| k.kind() != "last-words"));
    assert!(wsclose::report::facts::clean_close(c));
}

fn pings_stopped(p: &str) -> Option<Value> {
    let r: Value = serde_json::from_str(&out(&["analyze", p, "--format", "json"])).unwrap();
    r["connections"][0]["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "pings-stopped")
        .cloned()
}

/// An application heartbeat of a protocol wsclose does not know: the client sends
/// {"type":"ping"} every 0.3 s, then stops (its process stalled, the connection kept); the
/// server, finding no ping for 1 s, ends TCP with no close frame. Both libraries logged it
/// (the .log files). Before, wsclose gave only 1006's typical sources.
#[test]
fn a_heartbeat_of_an_unknown_protocol_that_stopped_is_named_with_its_cadence() {
    // Python's json.dumps writes `{"type": "ping"}`, Node's JSON.stringify `{"type":"ping"}`.
    for (name, bytes) in [("py-beat-stop.pcap", 16), ("node-beat-stop.pcap", 15)] {
        let k = pings_stopped(&path(name)).unwrap_or_else(|| panic!("{name}: no pings-stopped"));
        assert_eq!(k["from"], "client", "{name}");
        assert_eq!(k["message_bytes"], bytes, "{name}");
        assert_eq!(k["pings"], 4, "{name}");
        let interval = k["interval_ms"].as_f64().unwrap();
        assert!((270.0..=330.0).contains(&interval), "{name}: {interval}");
        assert_eq!(k["end"]["by"], "server", "{name}");
        assert!(k["silent_s"].as_f64().unwrap() >= 0.9, "{name}");
        let md = out(&["analyze", &path(name), "--format", "markdown"]);
        assert!(
            md.contains(&format!("the same {bytes}-byte data message every")),
            "{name}"
        );
        assert!(md.contains("application heartbeat timeout"), "{name}");
    }
}

/// Withheld when the capture lost part of what the client sent: a later beat may be among
/// the missing bytes. Packet 23 is the client's last ping in both recordings: without it, its
/// three pings before still came at the cadence, and only the gap withholds the verdict.
#[test]
fn a_stopped_heartbeat_is_withheld_when_the_senders_direction_has_a_gap() {
    for name in ["py-beat-stop.pcap", "node-beat-stop.pcap"] {
        let f = run::pcap_without(&path(name), 23);
        assert!(pings_stopped(&f).is_none(), "{name} without packet 23");
    }
}

fn report_of(p: &str) -> Value {
    serde_json::from_str(&out(&["analyze", p, "--format", "json"])).unwrap()
}

/// A steady heartbeat of a protocol wsclose does not know (`beat-steady`): the client sends
/// {"type":"ping"} every 0.3 s, eight times, each answered by {"type":"pong"}, then closes
/// 1000 "bye". Each side's message is named with its period, as a known protocol's
/// `heartbeat.<side>.period_ms`; nothing is a WebSocket ping left unanswered or a stopped
/// heartbeat. Before, `message_heartbeats` did not exist: the period was given only once
/// the heartbeat stopped (`pings-stopped`).
#[test]
fn a_steady_heartbeat_of_an_unknown_protocol_is_named_with_its_period() {
    for (name, bytes) in [("py-beat-steady.pcap", 16), ("node-beat-steady.pcap", 15)] {
        let r = report_of(&path(name));
        let c = &r["connections"][0];
        assert_eq!(c["application"], Value::Null, "{name}");
        assert_eq!(c["status"]["code"], 1000, "{name}");
        let beats = c["message_heartbeats"].as_array().unwrap();
        let sides: Vec<&str> = beats.iter().map(|b| b["from"].as_str().unwrap()).collect();
        assert_eq!(sides, ["client", "server"], "{name}: {beats:?}");
        // The client's last ping and the server's last pong (packets 32, 33 in both).
        let last: Vec<&Value> = beats.iter().map(|b| &b["last_packet"]).collect();
        assert_eq!(last, [32, 33], "{name}");
        for b in beats {
            // {"type":"ping"} and {"type":"pong"} are as long.
            assert_eq!(b["message_bytes"], bytes, "{name}: {b}");
            let period = b["period_ms"].as_f64().unwrap();
            assert!((270.0..=330.0).contains(&period), "{name}: {b}");
            assert_eq!(b["sent"], 8, "{name}: {b}");
        }
        let kinds: Vec<&str> = c["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kind"].as_str().unwrap())
            .collect();
        for k in ["pings-stopped", "heartbeat-timeout", "idle-timeout"] {
            assert!(!kinds.contains(&k), "{name}: {kinds:?}");
        }
        for side in ["client", "server"] {
            assert_eq!(c["frames"][side]["pings"], 0, "{name}: {side}");
        }
    }
    // The heartbeat that stopped has its period too; a known protocol's heartbeat is the
    // application's, not listed here.
    for (name, bytes) in [("py-beat-stop.pcap", 16), ("node-beat-stop.pcap", 15)] {
        let c = &report_of(&path(name))["connections"][0];
        let b = &c["message_heartbeats"][0];
        assert_eq!(
            (&b["from"], &b["message_bytes"]),
            (&"client".into(), &bytes.into()),
            "{name}"
        );
        assert_eq!(b["last_packet"], 23, "{name}");
    }
    let legacy = format!(
        "{}/fixtures/app/graphql-legacy-node-ka-stopped.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let c = &report_of(&legacy)["connections"][0];
    assert_eq!(c["message_heartbeats"], serde_json::json!([]));
    assert_eq!(c["application"]["heartbeat"]["server"]["unanswered"], 0);
}

/// Wire text as markup (THREATS kind 8): a last message of terminal escapes, bidi controls,
/// HTML and Markdown reaches no format raw, and its words are still read as an error.
#[test]
fn hostile_last_words_reach_no_format_raw() {
    // As the cause (error words), and as the ending side's account (`last-message`).
    for (lead, kind) in [("error", "last-words"), ("hello", "last-message")] {
        hostile_words_in_every_format(lead, kind);
    }
}

fn hostile_words_in_every_format(lead: &str, kind: &str) {
    let msg = format!("{lead} \u{1b}[2J\u{1b}]8;;http://x\u{7}<script>alert(1)</script> | `x` **y** \u{202e}gnp.exe");
    let mut s = Session::new(40002, 8080);
    s.open();
    s.send(Client, &text(Client, "{\"type\":\"subscribe\"}"));
    s.send(Server, &text(Server, &msg));
    s.fin(Server);
    let r = s.analyze();
    let c = common::only(&r);
    assert!(
        c.status.causes.iter().any(|k| k.kind() == kind),
        "{kind}: {:?}",
        c.status.causes
    );
    let outputs = [
        (
            "table",
            wsclose::render::table::render(&r, Some(100), false),
        ),
        ("markdown", wsclose::render::markdown::render(&r, &[None])),
        ("html", wsclose::render::html::render(&r, &[None])),
    ];
    for (name, out) in &outputs {
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{name}: raw escape"
        );
        assert!(!out.contains('\u{202e}'), "{name}: raw bidi override");
        // A terminal reads no markup; Markdown and HTML must not carry it raw.
        if *name != "table" {
            assert!(!out.contains("<script>"), "{name}: raw markup");
        }
    }
}

/// Which side's pings stopped, in a session whose client pings every second four times
/// (WebSocket pings, or `app`: an application heartbeat of its own) and then goes silent,
/// and whose server ends TCP 4 s after the last; the client ends TCP too, after the
/// server (`client_first`: before it).
fn stopped_side(app: bool, client_first: bool) -> Option<wsclose::vocab::Role> {
    use common::{analyze_timed, ping, T0};
    use wsclose::vocab::Timestamp;
    let at = |s: f64| Timestamp(T0.0 + (s * 1e9) as i64);
    let mut s = Session::new(40003, 8080);
    s.open();
    for k in 0..4 {
        s.clock = at(1.0 + f64::from(k));
        if app {
            s.send(Client, &text(Client, r#"{"type":"ping"}"#));
        } else {
            s.send(Client, &ping(Client, b""));
        }
        s.ack(Server);
    }
    s.clock = at(8.0);
    s.fin(if client_first { Client } else { Server });
    s.clock = at(8.001);
    s.fin(if client_first { Server } else { Client });
    let r = analyze_timed(s.link, &s.pkts, Default::default());
    r.connections[0].status.causes.iter().find_map(|k| match k {
        wsclose::report::Cause::PingsStopped { from, .. } => Some(*from),
        _ => None,
    })
}

/// One rule for WebSocket pings and application heartbeats: a side whose pings stopped and
/// that ended TCP only after the other side did still stopped first (its kernel or library
/// answers the other side's FIN); one that ended first stopped by ending. Before, a side's
/// WebSocket pings were never said to have stopped once it ended TCP at all.
#[test]
fn pings_that_stopped_before_the_other_side_ended_are_named_whoever_ends_last() {
    for app in [false, true] {
        assert_eq!(stopped_side(app, false), Some(Client), "app {app}");
        assert_eq!(stopped_side(app, true), None, "app {app}");
    }
}

/// THREATS kind 5 on the last words: a connection evicted at `--max-flows` (or still open
/// at the end of the capture) after its server's last message read as an error keeps that
/// message in `last_words`, as what it said before wsclose lost sight of it; no
/// `last-words` cause rests on it, since the capture shows no ending. Before, an evicted
/// connection's last words were dropped without a word.
#[test]
fn an_evicted_connections_last_words_are_kept_without_a_cause() {
    use common::{analyze_timed, T0};
    use wsclose::__internals::analyzer::Options;
    use wsclose::vocab::Timestamp;
    let at = |s: f64| Timestamp(T0.0 + (s * 1e9) as i64);
    let mut a = Session::new(40010, 8080);
    a.open();
    a.send(Client, &text(Client, r#"{"type":"subscribe"}"#));
    a.clock = at(1.0);
    a.send(
        Server,
        &text(Server, r#"{"type":"error","message":"session expired"}"#),
    );
    a.ack(Client);
    // A second connection opens 2 s later: with one flow allowed, the first is evicted.
    let mut b = Session::new(40011, 8080);
    b.clock = at(3.0);
    b.open();
    b.send(Client, &common::close(Client, 1000, ""));
    b.send(Server, &common::close(Server, 1000, ""));
    b.fins(Client);
    let pkts: Vec<_> = a.pkts.iter().chain(b.pkts.iter()).cloned().collect();
    let evicted = analyze_timed(
        a.link,
        &pkts,
        Options {
            max_flows: 1,
            ..Options::default()
        },
    );
    let open = analyze_timed(a.link, &a.pkts, Options::default());
    for (what, r) in [("evicted", &evicted), ("open", &open)] {
        let c = r
            .connections
            .iter()
            .find(|c| c.endpoints.0.port == 40010)
            .unwrap_or_else(|| panic!("{what}: the first connection is listed"));
        let w = c
            .last_words
            .iter()
            .find(|w| w.from == Server)
            .unwrap_or_else(|| panic!("{what}: no last words: {:?}", c.status));
        assert!(
            w.error_like && w.text.contains("session expired"),
            "{what}: {w:?}"
        );
        assert!(
            c.status.causes.iter().all(|k| k.kind() != "last-words"),
            "{what}: {:?}",
            c.status.causes
        );
    }
    let c = &evicted.connections[0];
    assert!(
        c.status.causes.iter().any(|k| k.kind() == "evicted"),
        "{:?}",
        c.status.causes
    );
}

/// Issue 84 item 2, for the last words: over HTTP/2 the first ending is the stream's own.
/// The server's last message on stream 1 reads as an error, and its RST_STREAM follows 1 s
/// later; the TCP connection runs on with HTTP/2 PINGs until the server's FIN 40 s later.
/// The words are the cause, measured to the RST_STREAM, not dropped as 41 s before the FIN.
#[test]
fn the_last_words_on_an_h2_stream_are_measured_to_its_own_reset() {
    use common::h2::h2_frame;
    use wsclose::__internals::analyzer::Options;
    use wsclose::report::Cause;
    use wsclose::vocab::Timestamp;
    let at = |ms: i64| Timestamp(common::T0.0 + ms * 1_000_000);
    let mut s = Session::new(40_002, 8080);
    common::h2::h2c_websocket(&mut s, "/feed", None);
    s.clock = at(1_000);
    let mut data = Vec::new();
    h2_frame(
        &mut data,
        0x0,
        0,
        1,
        &text(Server, r#"{"error":"session expired"}"#),
    );
    let said = s.send(Server, &data);
    s.clock = at(2_000);
    let mut rst = Vec::new();
    h2_frame(&mut rst, 0x3, 0, 1, &[0, 0, 0, 8]);
    let reset = s.send(Server, &rst);
    for i in 1..=4i64 {
        s.clock = at(i * 10_000);
        let (mut ping, mut pong) = (Vec::new(), Vec::new());
        h2_frame(&mut ping, 0x6, 0, 0, &i.to_be_bytes());
        h2_frame(&mut pong, 0x6, 0x1, 0, &i.to_be_bytes());
        s.send(Client, &ping);
        s.send(Server, &pong);
    }
    s.fins(Server);
    let r = common::analyze_timed(s.link, &s.pkts, Options::default());
    let c = common::only(&r);
    assert_eq!(c.h2_stream, Some(1));
    let words = c.status.causes.iter().find_map(|k| match k {
        Cause::LastWords {
            packet,
            end_how,
            end_packet,
            before_s,
            ..
        } => Some((*packet, end_how.clone(), *end_packet, *before_s)),
        _ => None,
    });
    assert_eq!(
        words,
        Some((said, "rst-stream".to_string(), reset, 1.0)),
        "{:?}",
        c.status
    );
    let cause = c.status.cause();
    assert!(
        cause.contains(&format!("1.000 s before the server reset its HTTP/2 stream (RST_STREAM) without a close frame (packet {reset})")),
        "{cause}"
    );
}

/// Issue 84, item 5: a reason (or a last message) that says a fault did not happen names
/// no fault. Each 1000 below was taken before for the fault its reason denies
/// (keepalive-timeout, credentials, overload) and listed by `--problems` with a fix for it;
/// each is a clean close now, and a reason that affirms its fault still names it.
#[test]
fn negated_reasons_name_no_fault_and_no_problem() {
    let negated = [
        "no ping timeout, all good",
        "session is valid, not expired",
        "Not busy",
    ];
    for reason in negated {
        let mut s = Session::new(40020, 8080);
        s.open();
        // The same words in the server's last message too: no error either.
        s.send(Server, &text(Server, reason));
        s.send(Server, &common::close(Server, 1000, reason));
        s.send(Client, &common::close(Client, 1000, reason));
        s.fins(Server);
        let r = s.analyze();
        let c = common::only(&r);
        assert!(
            c.status
                .causes
                .iter()
                .all(|k| !matches!(k.kind(), "reason-words" | "last-words")),
            "{reason}: {:?}",
            c.status.causes
        );
        assert!(
            wsclose::report::facts::clean_close(c),
            "{reason}: {:?}",
            c.status
        );
        assert_eq!(wsclose::close::reason::kind(reason), None, "{reason}");
    }
    for (reason, kind) in [
        ("ping timeout, no pong", "keepalive-timeout"),
        ("session expired, not retrying", "credentials"),
        ("busy; no slot free", "overload"),
    ] {
        assert_eq!(wsclose::close::reason::kind(reason), Some(kind), "{reason}");
    }
}

/// The any-shape fixtures (fixtures/lastwords/words-*, recorded by
/// fixtures/record/lastwords/record_words.sh with Python aiohttp, Node `websocket` and Perl
/// Mojolicious; the cause each should get was written in words-expected.txt from the
/// endpoints' logs before wsclose read them): the message before the end, of whatever
/// shape, is read, and it names the cause when it announces the end.
/// (fixture, encoding, announces, words the cause quotes)
const SHAPES: [(&str, &str, &str, &str); 7] = [
    (
        "words-aiohttp-event-1000.pcap",
        "json",
        "reason",
        "Session.detached",
    ),
    (
        "words-aiohttp-code-4402.pcap",
        "json",
        "reason",
        "room capacity reached",
    ),
    (
        "words-wsnode-signoff-fin.pcap",
        "text",
        "sign-off",
        "shift over, logging off",
    ),
    (
        "words-wsnode-proto-1000.pcap",
        "protobuf",
        "event",
        "document deleted by its owner",
    ),
    ("words-wsnode-code-10001.pcap", "json", "event", "bye"),
    ("words-mojo-xml-1000.pcap", "xml", "error", "host-gone"),
    ("words-mojo-sasl-fin.pcap", "xml", "error", "not-authorized"),
];

fn server_words(c: &Value) -> &Value {
    c["last_words"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["from"] == "server")
        .unwrap()
}

#[test]
fn a_message_of_any_shape_that_announces_the_end_is_the_cause_in_every_format() {
    for (name, encoding, announces, words) in SHAPES {
        let p = path(name);
        let r: Value = serde_json::from_str(&out(&["analyze", &p, "--format", "json"])).unwrap();
        let c = &r["connections"][0];
        let w = server_words(c);
        assert_eq!(
            (w["encoding"].as_str(), w["announces"].as_str()),
            (Some(encoding), Some(announces)),
            "{name}: {w}"
        );
        // How long before the end: each of these came about 0.05 s before it.
        let before = w["before_end_s"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&before), "{name}: {before}");
        // Both sides' last messages are evidence in JSON.
        assert_eq!(c["last_words"].as_array().unwrap().len(), 2, "{name}");
        let cause = c["status"]["cause"].as_str().unwrap();
        assert!(cause.contains(words), "{name}: {cause}");
        assert!(
            c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] == "last-words" && k["announces"] == announces),
            "{name}: {}",
            c["status"]
        );
        // A 1000 after it is no clean close: listed by --problems.
        let problems: Value =
            serde_json::from_str(&out(&["analyze", &p, "--format", "json", "--problems"])).unwrap();
        assert_eq!(
            problems["connections"].as_array().map(Vec::len),
            Some(1),
            "{name}: not listed by --problems"
        );
        for format in ["table", "markdown", "html"] {
            let plain = out(&["analyze", &p, "--format", format]);
            let shown = match format {
                "html" => words.replace('"', "&quot;"),
                _ => words.to_string(),
            };
            assert!(plain.contains(&shown), "{name} {format}: {plain}");
        }
        for format in ["table", "markdown", "html", "json"] {
            let redacted = out(&["analyze", &p, "--format", format, "--redact"]);
            assert!(
                !redacted.contains(words),
                "{name} {format} --redact: {redacted}"
            );
        }
    }
}

/// A private code is explained by the message before it, not by the generic text of the
/// Private Use range; a code outside 0-4999 is said as sent, named invalid, with the peer's
/// answer (the client's library answered 1002, as its log says).
#[test]
fn a_private_code_is_explained_by_the_application_and_an_invalid_code_is_said_as_sent() {
    let r: Value = serde_json::from_str(&out(&[
        "analyze",
        &path("words-aiohttp-code-4402.pcap"),
        "--format",
        "json",
    ]))
    .unwrap();
    let s = &r["connections"][0]["status"];
    let (cause, fix) = (s["cause"].as_str().unwrap(), s["fix"].as_str().unwrap());
    assert!(cause.contains("room capacity reached"), "{cause}");
    assert!(
        !cause.contains("graphql-ws") && !fix.contains("Look the code up"),
        "{cause} / {fix}"
    );
    let r: Value = serde_json::from_str(&out(&[
        "analyze",
        &path("words-wsnode-code-10001.pcap"),
        "--format",
        "json",
    ]))
    .unwrap();
    let c = &r["connections"][0];
    let cause = c["status"]["cause"].as_str().unwrap();
    assert!(
        cause.contains("10001") && cause.contains("code-invalid"),
        "{cause}"
    );
    assert!(cause.contains("The client closed with 1002"), "{cause}");
    let invalid = c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "invalid-close-frame")
        .unwrap();
    assert_eq!(invalid["code"], 10001);
}

/// Sessions that end cleanly and whose messages only mention a fault, to deny it ("no
/// ping timeout, all good", "session is valid, not expired") or in passing ("the build
/// error is fixed"), are clean: no cause rests on their words, and `--problems` lists none.
#[test]
fn clean_sessions_whose_messages_mention_faults_are_no_problem() {
    for (name, said) in [
        ("words-aiohttp-negated-1000.pcap", "no ping timeout"),
        ("words-mojo-chat-1000.pcap", "build error is fixed"),
        ("words-aiohttp-mention-1000.pcap", "timeout error yesterday"),
    ] {
        let p = path(name);
        let r: Value = serde_json::from_str(&out(&["analyze", &p, "--format", "json"])).unwrap();
        let c = &r["connections"][0];
        assert_eq!(c["status"]["code"], 1000, "{name}");
        assert!(
            c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k["kind"] != "last-words" && k["kind"] != "reason-words"),
            "{name}: {}",
            c["status"]
        );
        // Each side's last message is listed (JSON lists them for every connection), and
        // none of them announces the end.
        let words = c["last_words"].as_array().unwrap();
        assert_eq!(words.len(), 2, "{name}: {words:?}");
        assert!(
            words.iter().all(|w| w["announces"].is_null()),
            "{name}: {words:?}"
        );
        assert!(
            words
                .iter()
                .any(|w| w["text"].as_str().unwrap().contains(said)),
            "{name}: {words:?}"
        );
        // The text views show none of them (a plain clean close with nothing said).
        for format in ["table", "markdown", "html"] {
            let view = out(&["analyze", &p, "--format", format]);
            assert!(!view.contains(said), "{name} {format}: {view}");
        }
        // `--redact` hides every one of them.
        let r: Value =
            serde_json::from_str(&out(&["analyze", &p, "--format", "json", "--redact"])).unwrap();
        for w in r["connections"][0]["last_words"].as_array().unwrap() {
            assert_eq!(w["text"], "[redacted]", "{name}: {w}");
            assert!(w["gist"] == "" || w["gist"] == "[redacted]", "{name}: {w}");
        }
        // `--problems` shows none (and says so on standard error).
        let (stdout, stderr, _) = run::wsclose(&["analyze", &p, "--format", "json", "--problems"]);
        let problems: Value = serde_json::from_slice(&stdout).unwrap();
        assert_eq!(
            problems["connections"].as_array().map(Vec::len),
            Some(0),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("0 of 1"), "{name}: {stderr}");
    }
}

/// A side that signs off and then closes cleanly itself ended the session on purpose, and
/// an echo server's copy of that sign-off is no account of its own: the session stays
/// clean (fixtures/path/copies-*: "bye" echoed, then the client's 1000 "bye"). The same
/// sign-off before the other side's FIN is that side's account.
#[test]
fn a_sign_off_before_its_own_clean_close_and_an_echo_of_it_are_no_cause() {
    let mut s = Session::new(40030, 8080);
    s.open();
    s.send(Client, &text(Client, "bye"));
    s.send(Server, &text(Server, "bye"));
    s.send(Client, &common::close(Client, 1000, "bye"));
    s.send(Server, &common::close(Server, 1000, "bye"));
    s.fins(Server);
    let r = s.analyze();
    let c = common::only(&r);
    assert!(
        c.last_words
            .iter()
            .all(|w| w.announces.as_deref() == Some("sign-off")),
        "{:?}",
        c.last_words
    );
    assert!(wsclose::report::facts::clean_close(c), "{:?}", c.status);
    let mut s = Session::new(40031, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, "maintenance window, goodbye"));
    s.fins(Server);
    let r = s.analyze();
    let c = common::only(&r);
    assert!(
        c.status.causes.iter().any(|k| k.kind() == "last-words"),
        "{:?}",
        c.status.causes
    );
}

/// The ending side's last message shortly before an ending that is no clean close, when
/// nothing announced the end and no cause names what happened, is quoted as that side's
/// account (`last-message`), claiming no cause; a clean close, or a code that says the why
/// itself (1011), quotes none.
#[test]
fn the_ending_sides_last_message_is_quoted_as_its_account() {
    let mut s = Session::new(40040, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, r#"{"type":"tick","n":7}"#));
    s.fins(Server);
    let r = s.analyze();
    let c = common::only(&r);
    let account = c
        .status
        .causes
        .iter()
        .find(|k| k.kind() == "last-message")
        .unwrap_or_else(|| panic!("{:?}", c.status.causes));
    assert!(
        matches!(account, wsclose::report::Cause::LastMessage { from: Server, words, end_how, .. }
            if words.contains("tick") && end_how == "fin"),
        "{account:?}"
    );
    assert!(
        c.status.cause().contains("The server's last message"),
        "{}",
        c.status.cause()
    );
    assert!(c.status.causes.iter().all(|k| k.kind() != "last-words"));
    for code in [1000, 1011] {
        let mut s = Session::new(40041, 8080);
        s.open();
        s.send(Server, &text(Server, r#"{"type":"tick","n":7}"#));
        s.send(Server, &common::close(Server, code, ""));
        s.send(Client, &common::close(Client, code, ""));
        s.fins(Server);
        let r = s.analyze();
        let c = common::only(&r);
        assert!(
            c.status.causes.iter().all(|k| k.kind() != "last-message"),
            "{code}: {:?}",
            c.status.causes
        );
    }
}
