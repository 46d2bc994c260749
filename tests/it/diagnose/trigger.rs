//! Issue 92 items 1 and 2: nothing after a close frame is a frame (RFC 6455 §5.5.1), an
//! HTTP response a framework wrote into the upgraded stream is named as what it is (and an
//! error page as the cause), and a close that came right after the peer's message is named
//! as the reaction to it.
//!
//! On recordings of frameworks no other fixture uses (fixtures/frameworks/: Flask with
//! flask-sock on Werkzeug's server, Sanic; the expected verdicts are those of
//! fixtures/README.md, written from the endpoints' logs), and on sessions built in code.

use crate::common;
use crate::common::run;

use common::{close, text, Session};
use serde_json::Value;
use wsclose::vocab::Role::{Client, Server};

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
fn connection(name: &str, extra: &[&str]) -> Value {
    let r: Value = serde_json::from_str(&output(name, "json", extra)).unwrap();
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{name}");
    conns[0].clone()
}

/// (from, code, reason, packet) of each close frame.
fn closes(c: &Value) -> Vec<(String, Option<u64>, String, u64)> {
    c["close_frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_string(),
                f["code"].as_u64(),
                f["reason"].as_str().unwrap().to_string(),
                f["packet"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn causes(c: &Value) -> Vec<&Value> {
    c["status"]["causes"].as_array().unwrap().iter().collect()
}

fn cause<'a>(c: &'a Value, kind: &str) -> Option<&'a Value> {
    causes(c).into_iter().find(|k| k["kind"] == kind)
}

fn kinds(c: &Value) -> Vec<&str> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

/// The codes "HTTP/1.1 200 OK" and "HTTP/1.1 500 …" read as when decoded as frames: "TP"
/// (0x5450) and "No" (0x4e6f, from "Nov" of the Date header).
const PHANTOM: [&str; 2] = ["21584", "20079"];

/// No format states a phantom close frame, nor the RSV and fragmentation problems the
/// HTTP bytes read as frames had.
fn no_phantom(name: &str) {
    for format in ["table", "json", "jsonl", "ecs", "markdown", "csv", "html"] {
        let out = output(name, format, &["-v"]);
        for code in PHANTOM {
            assert!(
                !out.contains(code),
                "{name} --format {format}: {code} in\n{out}"
            );
        }
        for kind in [
            "rsv-bits-set",
            "fragmented-control-frame",
            "malformed-close",
        ] {
            assert!(
                !out.contains(kind),
                "{name} --format {format}: {kind} in\n{out}"
            );
        }
    }
}

/// Werkzeug writes the route's "HTTP/1.1 200 OK" response after flask-sock's close 1000:
/// the bytes are counted and named, the close frames are the two on the wire, and the
/// close after the server's own echo is tied to no message.
#[test]
fn werkzeugs_response_after_its_close_frame_is_no_frame() {
    let c = connection("flask-echo.pcap", &[]);
    assert_eq!(
        closes(&c),
        vec![
            ("server".into(), Some(1000), String::new(), 10),
            ("client".into(), Some(1000), String::new(), 12),
        ]
    );
    assert_eq!(c["status"]["code"], 1000);
    let n = c["not_frames"].as_array().unwrap();
    assert_eq!(n.len(), 1, "{n:?}");
    let n = &n[0];
    assert_eq!(n["from"], "server");
    assert_eq!(n["after_close"], true);
    assert_eq!(n["packet"], 10);
    assert_eq!(n["what"], "http-response");
    assert_eq!(n["http_status"], 200);
    assert_eq!(n["status_line"], "HTTP/1.1 200 OK");
    assert_eq!(n["bytes"], 172);
    assert_eq!(n["bytes_missing"], 0);
    assert!(
        n["first_bytes"]
            .as_str()
            .unwrap()
            .starts_with("HTTP/1.1 200 OK\\r\\nServer: Werkzeug/"),
        "{n}"
    );
    assert_eq!(kinds(&c), vec!["not-frames"]);
    // A 200 after the close frame is no error page, but it is what ended the session: the
    // handler returned (Werkzeug's access log: 200), flask-sock closed, and Werkzeug
    // answered the request it had taken the connection for (issue 92 item 5: the code's
    // "nothing went wrong" is not said of it).
    let k = cause(&c, "http-response-in-stream").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["after_close"], true);
    assert_eq!(k["http_status"], 200);
    let said = c["status"]["cause"].as_str().unwrap();
    assert!(said.contains("handler most likely returned"), "{said}");
    assert!(!said.contains("nothing went wrong"), "{said}");
    // Control: the server closed after its own message (the echo).
    assert!(cause(&c, "close-answers-message").is_none(), "{c}");
    no_phantom("flask-echo.pcap");
}

/// flask-sock lets the handler's ValueError through: no close frame, Flask's 500 page in
/// the stream, which the websockets client failed with 1002.
#[test]
fn an_error_page_in_the_stream_is_the_cause() {
    let c = connection("flask-raise.pcap", &[]);
    assert_eq!(
        closes(&c),
        vec![(
            "client".into(),
            Some(1002),
            "reserved bits must be 0".into(),
            10
        )]
    );
    let n = &c["not_frames"][0];
    assert_eq!(n["after_close"], false);
    assert_eq!(n["packet"], 9);
    assert_eq!(n["http_status"], 500);
    assert_eq!(n["status_line"], "HTTP/1.1 500 INTERNAL SERVER ERROR");
    assert_eq!(n["title"], "500 Internal Server Error");
    // The head (193 bytes, packet 9) and the page (265 bytes, packet 11).
    assert_eq!(n["bytes"], 458);
    let k = cause(&c, "http-response-in-stream").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["from"], "server");
    assert_eq!(k["http_status"], 500);
    assert_eq!(k["title"], "500 Internal Server Error");
    assert_eq!(k["message"]["packet"], 8, "{k}");
    assert_eq!(k["message"]["from"], "client", "{k}");
    let said = c["status"]["cause"].as_str().unwrap();
    assert!(
        said.contains("handler most likely raised on that message"),
        "{said}"
    );
    let fix = c["status"]["fix"].as_str().unwrap();
    assert!(fix.contains("error log at the time of packet 9"), "{fix}");
    // The table's line leads with it.
    let table = output("flask-raise.pcap", "table", &[]);
    let lead = table
        .lines()
        .find(|l| l.contains("framework wrote an HTTP"))
        .unwrap_or_else(|| panic!("{table}"));
    let status = table
        .lines()
        .position(|l| l.contains("1002 Protocol error:"));
    assert!(
        table.lines().position(|l| l == lead) < status,
        "the trigger leads:\n{table}"
    );
    no_phantom("flask-raise.pcap");
}

/// Sanic closes with 1000 and no reason when the handler raises on the client's "boom":
/// named as the reaction to that message, quoted, said before the code's general meaning
/// (which is left out), and not a clean close.
#[test]
fn a_close_right_after_the_peers_message_answers_it() {
    let c = connection("sanic-raise.pcap", &[]);
    assert_eq!(c["status"]["code"], 1000);
    let k = cause(&c, "close-answers-message").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["by"], "server");
    assert_eq!(k["code"], 1000);
    assert_eq!(k["close_packet"], 9);
    assert_eq!(k["message"]["packet"], 8);
    assert_eq!(k["message"]["size"], 4);
    assert_eq!(k["words"], "boom");
    assert!(k["seconds"].as_f64().unwrap() < 0.01, "{k}");
    let said = c["status"]["cause"].as_str().unwrap();
    assert!(said.contains("reacted to that message"), "{said}");
    assert!(!said.contains("A deliberate close(1000)"), "{said}");
    let table = output("sanic-raise.pcap", "table", &[]);
    assert!(
        table.contains("in answer to the client's message [pkt 8]"),
        "{table}"
    );
    assert!(!table.contains("clean closes, nothing to fix"), "{table}");
    // Redacted: the message's words are left out, as last words are.
    let r = connection("sanic-raise.pcap", &["--redact"]);
    let k = cause(&r, "close-answers-message").unwrap();
    assert_eq!(k["words"], "[redacted]");
    let all = output("sanic-raise.pcap", "json", &["--redact"]);
    assert!(!all.contains("boom"), "{all}");
}

/// Control: Sanic's handler answers, waits 1.5 s and closes 1000 "done": tied to nothing.
#[test]
fn a_close_long_after_the_last_message_answers_nothing() {
    let c = connection("sanic-late.pcap", &[]);
    assert_eq!(c["status"]["code"], 1000);
    assert!(cause(&c, "close-answers-message").is_none(), "{c}");
    assert!(c["not_frames"].as_array().unwrap().is_empty());
}

/// Redacted, the bytes that are no frames keep what they are, their length and the HTTP
/// response's version and status code; not their first bytes, nor the status line's words
/// or the page's title (issue 104, item 5).
#[test]
fn redaction_leaves_out_the_first_bytes_and_the_page_s_words() {
    let plain = connection("flask-raise.pcap", &[]);
    let c = connection("flask-raise.pcap", &["--redact"]);
    let n = &c["not_frames"][0];
    assert!(n["first_bytes"].is_null(), "{n}");
    assert_eq!(n["status_line"], "HTTP/1.1 500 [redacted]");
    assert_eq!(n["title"], "[redacted]");
    let p = &plain["not_frames"][0];
    assert_eq!(p["status_line"], "HTTP/1.1 500 INTERNAL SERVER ERROR");
    assert_eq!(p["title"], "500 Internal Server Error");
    for field in ["what", "http_status", "bytes", "bytes_missing", "packet"] {
        assert_eq!(n[field], p[field], "{field}");
    }
    let all = output("flask-raise.pcap", "json", &["--redact"]);
    assert!(!all.contains("INTERNAL SERVER ERROR"), "{all}");
    assert!(!all.contains("Internal Server Error"), "{all}");
}

/// Text a client sends after its close frame: counted, its first bytes escaped, no frame
/// decoded from it; the server's close reply is still read.
#[test]
fn text_after_a_close_frame_is_counted_not_decoded() {
    let mut s = Session::new(40092, 8080);
    s.open();
    let bye = s.send(Client, &close(Client, 1000, "bye"));
    // 'g' (0x67) would read as a close frame's header byte with RSV bits set.
    let after = s.send(Client, b"garbage\x1b[31m after close\r\n");
    s.send(Server, &close(Server, 1000, "bye"));
    s.fins(Server);
    let r = s.analyze();
    let c = common::only(&r);
    let codes: Vec<_> = c.close_frames.iter().map(|f| (f.from, f.code)).collect();
    assert_eq!(codes, vec![(Client, Some(1000)), (Server, Some(1000))]);
    assert_eq!(c.not_frames.len(), 1);
    let n = &c.not_frames[0];
    assert_eq!((n.from, n.after_close, n.packet), (Client, true, after));
    assert!(after > bye);
    assert_eq!(n.bytes, 26);
    assert_eq!(n.what.as_str(), "text");
    assert_eq!(
        n.first_bytes.as_deref(),
        Some("garbage\\x1b[31m after close\\r\\n")
    );
    let f: Vec<_> = c.findings.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(f, vec!["not-frames"]);
    assert!(c.findings[0].detail.contains("first bytes: \"garbage\\x1b"));
    // Control: a session whose client closes after its own message is tied to nothing.
    let mut s = Session::new(40093, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, "hello"));
    s.send(Client, &close(Client, 1000, ""));
    s.send(Server, &close(Server, 1000, ""));
    s.fins(Server);
    let r = s.analyze();
    let c = common::only(&r);
    assert!(c.not_frames.is_empty());
    assert!(
        !c.status
            .causes
            .iter()
            .any(|k| k.kind() == "close-answers-message"),
        "{:?}",
        c.status.causes
    );
}

/// Sanic's handler closes 4008 "kicked: rate limit exceeded" on the client's message: a
/// rule about this one client, not the server shedding load (issue 92 item 4); its reason
/// states the cause, so it is not said again as the reaction to the message (item 5), nor
/// is the code's general text.
#[test]
fn a_kick_is_a_per_client_policy_stated_once() {
    let c = connection("sanic-kick.pcap", &[]);
    assert_eq!(c["status"]["code"], 4008);
    let k = cause(&c, "reason-words").unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["names"], "client-policy");
    assert!(cause(&c, "close-answers-message").is_none(), "{c}");
    let said = c["status"]["cause"].as_str().unwrap();
    assert!(!said.contains("shed"), "{said}");
    assert!(!said.contains("Kept for private agreements"), "{said}");
    let fix = c["status"]["fix"].as_str().unwrap();
    assert!(!fix.contains("server's load"), "{fix}");
}

/// A reason that states the cause ("No response from ping frame.") is the connection's own
/// cause: read as a keepalive timeout, with none of the code's general text beside it
/// (issue 92 item 5). Control: "bye" states nothing, and the general text stays.
#[test]
fn a_reason_that_states_the_cause_is_said_once() {
    let status = |reason: &str| {
        let mut s = Session::new(40094, 8080);
        s.open();
        s.send(Server, &text(Server, "tick"));
        s.send(Server, &close(Server, 1000, reason));
        s.send(Client, &close(Client, 1000, reason));
        s.fins(Server);
        let r = s.analyze();
        common::only(&r).status.clone()
    };
    let st = status("No response from ping frame.");
    let names: Vec<_> = st.causes.iter().map(|c| c.kind()).collect();
    assert!(names.contains(&"reason-words"), "{names:?}");
    let said = st.cause();
    assert!(said.contains("a keepalive timeout"), "{said}");
    assert!(!said.contains("A deliberate close(1000)"), "{said}");
    let st = status("bye");
    assert!(
        st.cause().contains("A deliberate close(1000)"),
        "{}",
        st.cause()
    );
}
