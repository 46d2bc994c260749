//! Issue 92 items 3 to 6: a heartbeat carried as messages whose answers stopped, a close
//! nothing prompted, the application's announcements read from their structure, and a
//! cause stated once (the code's catalog text stays out where a cause states the
//! connection's own, in the JSON and in a report's "what the statuses mean").
//!
//! On recordings of two implementations no earlier fixture used (fixtures/frameworks/:
//! Django Channels on Daphne, WebSocket-Node as server and client; the expected verdicts
//! are those of fixtures/README.md, written from the endpoints' logs), on the Sanic and
//! Flask recordings of items 1 and 2, and on sessions built in code, each rule with a
//! control where it must say nothing.

use crate::common;
use crate::common::run;

use common::{close, close_raw, text, Session};
use serde_json::Value;
use wsclose::report::Cause;
use wsclose::vocab::Role::{Client, Server};
use wsclose::vocab::Timestamp;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/frameworks/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `wsclose analyze --format FORMAT [extra] FIXTURE`'s standard output.
fn output(name: &str, format: &str, extra: &[&str]) -> String {
    let path = fixture(name);
    let mut args = vec!["analyze", "--format", format];
    args.extend_from_slice(extra);
    args.push(&path);
    let (out, err, code) = run::wsclose(&args);
    assert!(code.is_some(), "{name} --format {format}: {err}");
    String::from_utf8(out).unwrap()
}

/// The only connection of a fixture's JSON report.
fn connection(name: &str) -> Value {
    let r: Value = serde_json::from_str(&output(name, "json", &[])).unwrap();
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{name}");
    conns[0].clone()
}

fn cause<'a>(c: &'a Value, kind: &str) -> Option<&'a Value> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
}

fn said(c: &Value) -> &str {
    c["status"]["cause"].as_str().unwrap()
}

/// The table's text after its grid: what the statuses mean (brief form).
fn meanings(table: &str) -> &str {
    let at = table.rfind('┘').unwrap_or(0);
    &table[at..]
}

/// Daphne beats "h" every 0.5 s, WebSocket-Node answers four beats and then stops; after
/// three unanswered beats Daphne closes 4001 with no reason (its log). The cause names the
/// last answer, the first unanswered beat and the close, leads the table's line, and the
/// code's generic "private use" text is said nowhere.
#[test]
fn a_heartbeat_whose_answers_stopped_is_the_cause_whatever_the_code() {
    let c = connection("daphne-heartbeat-4001.pcap");
    assert_eq!(c["status"]["code"], 4001);
    let k = cause(&c, "heartbeat-answers-stopped").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["from"], "server");
    assert_eq!(k["answer_packet"], 19);
    assert_eq!(k["last_answered"], 18);
    assert_eq!(k["first_unanswered"], 21);
    assert_eq!(k["unanswered"], 3);
    assert_eq!(k["at_least"], false);
    assert_eq!(k["close_code"], 4001);
    assert_eq!(k["end_by"], "server");
    let period = k["period_ms"].as_f64().unwrap();
    assert!((450.0..550.0).contains(&period), "{period}");
    assert!(said(&c).contains("stopped answering"), "{}", said(&c));
    assert!(!said(&c).contains("private agreements"), "{}", said(&c));
    // The client's own beats that stopped are this cause, said once.
    assert!(cause(&c, "pings-stopped").is_none(), "{c}");
    let table = output("daphne-heartbeat-4001.pcap", "table", &[]);
    assert!(
        table.contains("the client's answers to the server's heartbeat stopped after [pkt 19]"),
        "{table}"
    );
    assert!(
        !meanings(&table).contains("Kept for private agreements"),
        "{table}"
    );
}

/// Control: the same heartbeat, answered until the client closes 1000 itself: no
/// heartbeat verdict.
#[test]
fn a_heartbeat_answered_to_the_end_says_nothing() {
    let c = connection("daphne-heartbeat-answered.pcap");
    assert_eq!(c["status"]["code"], 1000);
    assert!(cause(&c, "heartbeat-answers-stopped").is_none(), "{c}");
    assert!(cause(&c, "pings-stopped").is_none(), "{c}");
}

/// A session built in code: the client beats `{"t":"hb"}` every second and the server
/// answers `{"t":"ack"}` 2 ms later, until its answers stop after `answered` beats; the
/// client closes 4001 (no reason) `close_after` seconds after its last beat.
fn beats(answered: usize, total: usize, close_after: f64, chat: bool) -> Vec<Cause> {
    let mut s = Session::new(40192, 8080);
    s.open();
    let t0 = s.clock.0;
    let at = |s: &mut Session, secs: f64| s.clock = Timestamp(t0 + (secs * 1e9) as i64);
    for i in 0..total {
        at(&mut s, 1.0 + i as f64);
        // A chat (the control): messages that differ, at no cadence.
        if chat {
            s.send(
                Client,
                &text(Client, &format!("line {i} of the chat, {}", i * i)),
            );
        } else {
            s.send(Client, &text(Client, "{\"t\":\"hb\"}"));
        }
        if i < answered {
            at(&mut s, 1.002 + i as f64);
            s.send(Server, &text(Server, "{\"t\":\"ack\"}"));
        }
    }
    at(&mut s, total as f64 + close_after);
    s.send(Client, &close(Client, 4001, ""));
    s.send(Server, &close(Server, 4001, ""));
    s.fins(Server);
    let r = common::analyze_timed(s.link, &s.pkts, Default::default());
    common::only(&r).status.causes.clone()
}

fn answers_stopped(causes: &[Cause]) -> Option<&Cause> {
    causes
        .iter()
        .find(|c| c.kind() == "heartbeat-answers-stopped")
}

/// The client's beats, answered five times, then two unanswered: said, with the client
/// as the side whose beats went unanswered; controls: every beat answered, a close 1 ms
/// after a beat not yet answered, and a chat of messages that differ.
#[test]
fn answers_that_stop_are_read_from_any_protocol_with_controls() {
    let causes = beats(5, 7, 0.5, false);
    match answers_stopped(&causes) {
        Some(Cause::HeartbeatAnswersStopped {
            from,
            unanswered,
            close_code,
            ..
        }) => {
            assert_eq!(*from, Client);
            assert_eq!(*unanswered, 2);
            assert_eq!(*close_code, Some(4001));
        }
        other => panic!("{other:?} in {causes:?}"),
    }
    // Control: every beat answered.
    let causes = beats(7, 7, 0.5, false);
    assert!(answers_stopped(&causes).is_none(), "{causes:?}");
    // Control: the close came 1 ms after the last beat, before its answer could come
    // (every earlier beat was answered).
    let causes = beats(6, 7, 0.001, false);
    assert!(answers_stopped(&causes).is_none(), "{causes:?}");
    // Control: a chat of messages that differ gives no heartbeat verdict at all.
    let causes = beats(5, 7, 0.5, true);
    assert!(answers_stopped(&causes).is_none(), "{causes:?}");
    assert!(
        !causes.iter().any(|c| c.kind() == "pings-stopped"),
        "{causes:?}"
    );
}

/// Daphne closes with no frame of the client's before it and its process exits (its log):
/// an unprompted close, the server's own decision, its RST after it; the table's line
/// leads with it.
#[test]
fn an_unprompted_close_is_its_senders_decision() {
    let c = connection("daphne-unprompted-exit.pcap");
    assert_eq!(c["status"]["code"], 1000);
    let k = cause(&c, "unprompted-close").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["by"], "server");
    assert_eq!(k["close_packet"], 8);
    assert_eq!(k["own_end"], "rst");
    assert_eq!(k["own_end_packet"], 11);
    assert!(
        said(&c).contains("the server's own decision"),
        "{}",
        said(&c)
    );
    assert!(
        !said(&c).contains("A deliberate close(1000)"),
        "{}",
        said(&c)
    );
    let table = output("daphne-unprompted-exit.pcap", "table", &[]);
    assert!(
        table.contains("the server closed unprompted [pkt 8] and ended TCP itself (RST"),
        "{table}"
    );
}

/// An empty close frame nobody prompted is named too; controls: a close after the peer's
/// frame, and a close with a reason (the reason says why).
#[test]
fn an_empty_close_unprompted_and_its_controls() {
    let run = |client_first: bool, payload: &[u8]| {
        let mut s = Session::new(40193, 8080);
        s.open();
        if client_first {
            s.send(Client, &text(Client, "subscribe"));
        }
        s.send(Server, &close_raw(Server, payload));
        s.send(Client, &close_raw(Client, payload));
        s.fins(Server);
        let r = s.analyze();
        common::only(&r).status.causes.clone()
    };
    let causes = run(false, &[]);
    let k = causes
        .iter()
        .find(|c| c.kind() == "unprompted-close")
        .unwrap_or_else(|| panic!("{causes:?}"));
    assert!(
        matches!(
            k,
            Cause::UnpromptedClose {
                by: Server,
                code: None,
                own_end: None,
                ..
            }
        ),
        "{k:?}"
    );
    for (client_first, payload) in [
        (true, Vec::new()),
        (false, common::close_payload(1000, "maintenance")),
    ] {
        let causes = run(client_first, &payload);
        assert!(
            !causes.iter().any(|c| c.kind() == "unprompted-close"),
            "{client_first} {payload:?}: {causes:?}"
        );
    }
}

/// WebSocket-Node closes 4008 "kicked: rate limit exceeded" on the client's message: a
/// per-client policy (not overload), stated once: the table's status block leads with it,
/// not with the code's generic text.
#[test]
fn a_kick_on_another_server_is_a_per_client_policy() {
    let c = connection("wsnode-kick.pcap");
    assert_eq!(c["status"]["code"], 4008);
    let k = cause(&c, "reason-words").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["names"], "client-policy");
    assert!(cause(&c, "close-answers-message").is_none(), "{c}");
    let fix = c["status"]["fix"].as_str().unwrap();
    assert!(!fix.contains("Look the code up"), "{fix}");
    let table = output("wsnode-kick.pcap", "table", &[]);
    let m = meanings(&table);
    assert!(
        m.contains("a policy of the server about this client alone"),
        "{m}"
    );
    assert!(!m.contains("Kept for private agreements"), "{m}");
}

/// The application's announcements read from their structure, on protocols nobody taught
/// wsclose: an XMPP SASL `<failure>` that Daphne writes in the same segment as its close
/// 1000, and a JSON `error` field before WebSocket-Node's bare 4000.
#[test]
fn announcements_in_xml_and_json_are_the_last_words() {
    let c = connection("daphne-xml-failure.pcap");
    let k = cause(&c, "last-words").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["from"], "server");
    assert_eq!(k["packet"], 9);
    assert_eq!(k["encoding"], "xml");
    assert_eq!(k["announces"], "error");
    assert_eq!(k["end_packet"], 9);
    let table = output("daphne-xml-failure.pcap", "table", &[]);
    assert!(!table.contains("clean closes, nothing to fix"), "{table}");
    let c = connection("wsnode-json-error.pcap");
    let k = cause(&c, "last-words").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["encoding"], "json");
    assert_eq!(k["names"], "credentials");
    assert!(!said(&c).contains("private agreements"), "{}", said(&c));
}

/// An announcement in the close frame's own segment, built in code: a `<conflict/>` and a
/// JSON shutdown event before a clean close are read; control: a plain chat line in the
/// same segment as the sender's clean close is no announcement.
#[test]
fn an_announcement_in_the_close_frames_segment_is_read() {
    let run = |words: &str| {
        let mut s = Session::new(40194, 8080);
        s.open();
        s.send(Client, &text(Client, "hello"));
        let mut seg = text(Server, words);
        seg.extend_from_slice(&close(Server, 1000, ""));
        s.clock = Timestamp(s.clock.0 + 500_000_000);
        s.send(Server, &seg);
        s.send(Client, &close(Client, 1000, ""));
        s.fins(Server);
        let r = common::analyze_timed(s.link, &s.pkts, Default::default());
        common::only(&r).status.causes.clone()
    };
    for words in [
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        "{\"event\":\"shutdown\",\"node\":\"n1\"}",
    ] {
        let causes = run(words);
        assert!(
            causes.iter().any(|c| c.kind() == "last-words"),
            "{words}: {causes:?}"
        );
    }
    let causes = run("see you around the office");
    assert!(
        !causes.iter().any(|c| c.kind() == "last-words"),
        "{causes:?}"
    );
}

/// Item 5 on the recordings of items 1 and 2: where the close answered "boom", and where
/// Werkzeug's response followed the close, the statuses' meanings do not say the code's
/// "nothing went wrong" nor its catalog fix; a session whose cause is not known keeps them
/// (control: sanic-late's 1000 "done").
#[test]
fn the_catalog_text_stays_out_where_the_cause_is_known() {
    for name in ["sanic-raise.pcap", "flask-echo.pcap"] {
        let table = output(name, "table", &[]);
        let m = meanings(&table);
        assert!(!m.contains("nothing went wrong"), "{name}: {m}");
        assert!(!m.contains("The protocol is fine"), "{name}: {m}");
        let full = output(name, "table", &["-v"]);
        assert!(full.contains("Known cause: "), "{name}: {full}");
        assert!(!full.contains("A deliberate close(1000)"), "{name}: {full}");
        let c = connection(name);
        let fix = c["status"]["fix"].as_str().unwrap();
        assert!(!fix.contains("The protocol is fine"), "{name}: {fix}");
    }
    // Control: a clean close with a reason and nothing else known.
    let full = output("sanic-late.pcap", "table", &["-v"]);
    assert!(full.contains("nothing went wrong"), "{full}");
    assert!(!full.contains("Known cause: "), "{full}");
}
