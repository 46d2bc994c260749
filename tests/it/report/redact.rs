//! `--redact` over every output: a capture built here whose sessions carry a bearer token as
//! their subprotocol (echoed by the server, offered and not selected, a Kubernetes bearer
//! offer), a Host naming an internal server, close reasons naming an address and a host
//! name, an Action Cable server's own words in its disconnect (quoted by the
//! application's cause), and bytes a server wrote after its close frame (quoted by a
//! `not-frames` finding), run through every format, the exports, an annotated copy and the lines a followed
//! run prints; none of those strings may come out. Pseudonyms are the same whatever the
//! selection; a uid differs between two VLANs. A second capture: an error page a server wrote
//! into the stream (its words and title left out, its status code and length kept) and a
//! close reason naming a URL with userinfo and query and a mail address.

use crate::common::pcapng::packet_comments;
use crate::common::run::wsclose as run;
use crate::common::{close, text, Pkt, Session, T0};
use serde_json::Value;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::Role::{Client, Server};
use wsclose::vocab::{LinkType, Timestamp};

/// What a server writes into the stream after its close frame: no frame, its first bytes
/// quoted by a `not-frames` finding (and left out under `--redact`).
const AFTER_CLOSE: &str = "session=s3cr3t-after-close-9f; user=alice";
/// A JWT, sent as the only subprotocol and echoed by the server.
const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
/// Another token: the client's offer, which the server's 101 does not select.
const OFFERED: &str = "tok3n-0ffered-by-the-client-Zm9vYmFy";
/// The token of a Kubernetes bearer offer.
const K8S: &str = "ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNkltczRjeUo5";
/// What the servers close with: an address and a host name of the inside.
const REASON: &str = "upstream 10.2.2.2 (db.internal.example) failed";
/// The words an Action Cable server disconnects a session with: none the protocol defines,
/// so its cause label quotes them (`disconnect "…"`), and they may name anyone.
const CABLE_WORDS: &str = "kicked user alice of team-wolverine";
/// What must not come out of a redacted run, anywhere.
const SECRETS: &[&str] = &[
    "team-wolverine",
    "10.9.0.",
    "10.2.2.2",
    "db.internal",
    "chat.internal",
    "eyJhbGci",
    "SflKxwRJ",
    "s3cr3t-after-close",
    OFFERED,
    K8S,
];

/// The upgrade request of a session to the chat server, offering `protocols`.
fn request(protocols: Option<&str>) -> Vec<u8> {
    let mut r = b"GET /chat?user=alice HTTP/1.1\r\n\
      Host: chat.internal.example:8080\r\n\
      Upgrade: websocket\r\n\
      Connection: Upgrade\r\n\
      Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
      Sec-WebSocket-Version: 13\r\n"
        .to_vec();
    if let Some(p) = protocols {
        r.extend_from_slice(format!("Sec-WebSocket-Protocol: {p}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r
}

/// The 101, selecting `protocol`.
fn response(protocol: Option<&str>) -> Vec<u8> {
    let mut r = b"HTTP/1.1 101 Switching Protocols\r\n\
      Upgrade: websocket\r\n\
      Connection: Upgrade\r\n\
      Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        .to_vec();
    if let Some(p) = protocol {
        r.extend_from_slice(format!("Sec-WebSocket-Protocol: {p}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r
}

/// One session from client 10.9.0.`client` port `port` to the server 10.9.0.1:8080 that
/// the server closes with 1011 and `REASON` (after a text message `said`, if any; with
/// `after` written after its close frame, if any), both sides then ending with a FIN.
fn session(
    client: u8,
    port: u16,
    offer: Option<&str>,
    selected: Option<&str>,
    said: Option<&str>,
    after: Option<&str>,
) -> Vec<Pkt> {
    let mut s = Session::new(port, 8080);
    s.handshake();
    s.send(Client, &request(offer));
    s.send(Server, &response(selected));
    if let Some(m) = said {
        s.send(Server, &text(Server, m));
    }
    s.send(Server, &close(Server, 1011, REASON));
    if let Some(a) = after {
        s.send(Server, a.as_bytes());
    }
    s.send(Client, &close(Client, 1011, REASON));
    s.fins(Server);
    readdressed(s, client)
}

/// The packets of `s` between client 10.9.0.`client` and the server 10.9.0.1 (the
/// helper's addresses are 10.0.0.1, 10.0.0.2).
fn readdressed(mut s: Session, client: u8) -> Vec<Pkt> {
    for p in &mut s.pkts {
        let (c, srv) = ([10, 9, 0, client], [10, 9, 0, 1]);
        let (src, dst) = if p.from == Client { (c, srv) } else { (srv, c) };
        p.data[12..16].copy_from_slice(&src);
        p.data[16..20].copy_from_slice(&dst);
    }
    s.pkts
}

/// Writes the packets, one after the other 1 ms apart, as a pcap in `dir`.
fn write(dir: &std::path::Path, name: &str, link: LinkType, pkts: &[&Pkt]) -> String {
    let mut w = PcapWriter::new(Vec::new(), link, 262_144).unwrap();
    for (i, p) in pkts.iter().enumerate() {
        w.packet(Timestamp(T0.0 + i as i64 * 1_000_000), &p.data, p.orig_len)
            .unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, w.into_inner()).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Five sessions to one server, each closed with `REASON`: a token echoed as the
/// subprotocol; a token selected that the client did not offer (it offered another: a
/// `handshake-invalid` finding quotes both); a Kubernetes bearer offer beside a known
/// subprotocol; none; Action Cable, whose server disconnects with [`CABLE_WORDS`].
fn capture(dir: &std::path::Path) -> String {
    let k8s = format!("base64url.bearer.authorization.k8s.io.{K8S}, v4.channel.k8s.io");
    let sessions = [
        session(11, 40001, Some(JWT), Some(JWT), None, None),
        session(12, 40002, Some(OFFERED), Some(JWT), None, None),
        session(13, 40003, Some(&k8s), Some("v4.channel.k8s.io"), None, None),
        session(14, 40004, None, None, None, None),
        session(
            15,
            40005,
            Some(CABLE),
            Some(CABLE),
            Some(&cable_disconnect()),
            None,
        ),
        session(16, 40006, None, None, None, Some(AFTER_CLOSE)),
    ];
    let all: Vec<&Pkt> = sessions.iter().flatten().collect();
    write(dir, "secrets.pcap", LinkType::RAW, &all)
}

/// [`capture`]'s sessions, then three more to the same server, opened together and ended
/// by its FINs at once (a stop, which the report names).
fn capture_then_stop(dir: &std::path::Path) -> String {
    let k8s = format!("base64url.bearer.authorization.k8s.io.{K8S}, v4.channel.k8s.io");
    let sessions = [
        session(11, 40001, Some(JWT), Some(JWT), None, None),
        session(12, 40002, Some(OFFERED), Some(JWT), None, None),
        session(13, 40003, Some(&k8s), Some("v4.channel.k8s.io"), None, None),
        session(14, 40004, None, None, None, None),
        session(
            15,
            40005,
            Some(CABLE),
            Some(CABLE),
            Some(&cable_disconnect()),
            None,
        ),
        session(16, 40006, None, None, None, Some(AFTER_CLOSE)),
    ];
    let (mut opening, mut closing) = (Vec::new(), Vec::new());
    for k in 0..3u8 {
        let mut s = Session::new(41_000 + u16::from(k), 8080);
        s.handshake();
        s.send(Client, &request(None));
        s.send(Server, &response(None));
        let opened = s.pkts.len();
        s.fin(Server);
        s.fin(Client);
        s.ack(Server);
        for p in &mut s.pkts {
            let (c, srv) = ([10, 9, 0, 21 + k], [10, 9, 0, 1]);
            let (src, dst) = if p.from == Client { (c, srv) } else { (srv, c) };
            p.data[12..16].copy_from_slice(&src);
            p.data[16..20].copy_from_slice(&dst);
        }
        closing.extend(s.pkts.split_off(opened));
        opening.extend(s.pkts);
    }
    // An attempt refused after the stop (a SYN answered by a RST): the server shown gone, so
    // a stop the report names and the watch says forming (issue 102 items 2 and 6).
    let mut refused = Session::new(41_010, 8080);
    refused.clock = closing.last().unwrap().ts;
    refused.syn();
    refused.rst(Server);
    for p in &mut refused.pkts {
        let (c, srv) = ([10, 9, 0, 30], [10, 9, 0, 1]);
        let (src, dst) = if p.from == Client { (c, srv) } else { (srv, c) };
        p.data[12..16].copy_from_slice(&src);
        p.data[16..20].copy_from_slice(&dst);
    }
    let all: Vec<&Pkt> = sessions
        .iter()
        .flatten()
        .chain(&opening)
        .chain(&closing)
        .chain(&refused.pkts)
        .collect();
    write(dir, "then-stop.pcap", LinkType::RAW, &all)
}

/// Action Cable's subprotocol.
const CABLE: &str = "actioncable-v1-json";

/// The server's `disconnect` with [`CABLE_WORDS`] as its reason, no reconnect.
fn cable_disconnect() -> String {
    serde_json::json!({"type": "disconnect", "reason": CABLE_WORDS, "reconnect": false}).to_string()
}

/// `text` holds none of [`SECRETS`].
fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what}: {s:?} in\n{text}");
    }
}

fn stdout(args: &[&str]) -> String {
    let (out, err, code) = run(args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    String::from_utf8(out).unwrap()
}

/// The core: every format, the exports, the annotated copy and a followed run's lines and
/// records (`live` prints through the same functions: `event_text`, `forming_incident`)
/// carry no address, host name or token under `--redact`; what they name is named.
#[test]
fn redaction_leaves_no_secret_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = capture(dir.path());
    // Not redacted, the capture does carry them all (else the test would prove nothing).
    let plain = stdout(&["analyze", "--format", "json", "--timeline", &input]);
    for s in SECRETS.iter().filter(|s| **s != K8S && **s != OFFERED) {
        assert!(plain.contains(s), "{s} not in the plain report");
    }
    assert!(plain.contains(OFFERED), "the finding quotes the offer");
    let v: Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(v["connections"][0]["handshake"]["subprotocol"], JWT);
    assert_eq!(
        v["connections"][4]["application"]["cause"],
        format!("disconnect \"{CABLE_WORDS}\""),
        "the Action Cable session's cause quotes its server"
    );
    for format in ["table", "json", "jsonl", "ecs", "csv", "markdown", "html"] {
        for extra in [&[][..], &["--timeline"][..], &["--verbose"][..]] {
            let mut args = vec!["analyze", "--redact", "--format", format];
            args.extend_from_slice(extra);
            args.push(&input);
            let out = stdout(&args);
            assert_clean(&format!("{format} {extra:?}"), &out);
            // The reason stays, its address and host named.
            assert!(
                out.contains("upstream host-"),
                "{format} {extra:?}: no reason\n{out}"
            );
        }
    }
    // JSON: the subprotocol a pseudonym of its own, a known one kept; the finding quotes
    // pseudonyms.
    let v: Value = serde_json::from_str(&stdout(&[
        "analyze", "--redact", "--format", "json", &input,
    ]))
    .unwrap();
    let c = &v["connections"];
    let sp = c[0]["handshake"]["subprotocol"].as_str().unwrap();
    assert!(sp.starts_with("proto-") && sp.len() == 12, "{sp}");
    assert_eq!(
        c[1]["handshake"]["subprotocol"], sp,
        "the same token, the same name"
    );
    assert_eq!(c[2]["handshake"]["subprotocol"], "v4.channel.k8s.io");
    // The application's cause: its message kept, the server's words in it left out, in
    // the connection's application and in its status's cause alike.
    let label = "disconnect \"[redacted]\"";
    assert_eq!(c[4]["application"]["cause"], label, "{}", c[4]);
    let app = c[4]["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "application")
        .expect("the application's cause");
    assert_eq!(app["cause"], label);
    let finding = c[1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "handshake-invalid")
        .expect("the 101 selected what was not offered");
    let detail = finding["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("\"{sp}\"")), "{detail}");
    assert!(detail.contains("it offered \"proto-"), "{detail}");
    // The bytes after the close frame: the finding's words stay, its quote goes.
    let finding = c[5]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "not-frames")
        .expect("the bytes after the close frame");
    let detail = finding["detail"].as_str().unwrap();
    assert!(
        detail.contains("first bytes: \"[redacted]\"; not decoded as frames"),
        "{detail}"
    );
    // The exports of one run.
    let exports = ["json", "jsonl", "ecs", "markdown", "html", "csv"];
    let mut args = vec![
        "analyze".to_owned(),
        "--redact".into(),
        "-q".into(),
        input.clone(),
    ];
    for e in exports {
        args.push(format!("--export-{e}"));
        args.push(dir.path().join(format!("out.{e}")).display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stdout(&args);
    for e in exports {
        let text = std::fs::read_to_string(dir.path().join(format!("out.{e}"))).unwrap();
        assert_clean(&format!("--export-{e}"), &text);
        assert!(text.contains("upstream host-"), "--export-{e}");
    }
    // The annotated copy: its comments, and any text in its bytes (payloads are blanked).
    let annotated = dir.path().join("annotated.pcapng");
    for args in [
        vec!["analyze", "--redact", "-q", &input, "--annotate"],
        vec!["annotate", &input, "--redact", "-w"],
    ] {
        let mut args = args.clone();
        args.push(annotated.to_str().unwrap());
        let (_, err, code) = run(&args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        let bytes = std::fs::read(&annotated).unwrap();
        let (header, packets) = packet_comments(&bytes);
        let comments: Vec<String> = header
            .into_iter()
            .chain(packets.into_iter().flatten())
            .collect();
        assert!(!comments.is_empty());
        assert_clean(&format!("{args:?} comments"), &comments.join("\n"));
        assert_clean(&format!("{args:?} bytes"), &String::from_utf8_lossy(&bytes));
        assert!(
            comments.iter().any(|c| c.contains("subprotocol proto-")),
            "{comments:?}"
        );
    }
    // A followed run (standard input): its lines or records on standard output, the
    // incident forming with them or on standard error: the capture, then the server
    // stopping (its FINs to three sessions at once), an incident the report names (the six
    // closes 1011 are none: no line says them forming, issue 102, item 6).
    let followed = capture_then_stop(dir.path());
    for format in ["table", "json", "jsonl", "ecs"] {
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .args(["analyze", "--follow", "--redact", "--format", format, "-"])
            .pipe_stdin(&followed)
            .unwrap()
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}");
        let (so, se) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_clean(&format!("--follow {format} stdout"), &so);
        assert_clean(&format!("--follow {format} stderr"), &se);
        let both = format!("{so}{se}");
        let forming = both
            .lines()
            .find(|l| l.contains("incident forming: server "))
            .unwrap_or_else(|| panic!("{format}: no incident forming\n{both}"));
        assert!(forming.contains("server host-"), "{forming}");
        assert!(both.contains("upstream host-"), "{format}: {both}");
        // The server is named as the report at the end names it (the same key).
        let server = forming
            .split("server ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap();
        let reported = both.lines().filter(|l| !l.contains("incident forming"));
        assert!(
            reported.clone().any(|l| l.contains(server)),
            "{format}: {server} not in the report\n{both}"
        );
    }
}

/// An error page a server's framework wrote into the WebSocket stream: its status line's
/// words and its page's title are the application's, its status code is not.
const PAGE: &str = "HTTP/1.1 502 Bad Gateway at secret-status-7\r\n\
    Content-Type: text/html\r\n\
    Content-Length: 79\r\n\
    \r\n\
    <html><head><title>secret-title-7 for carol</title></head><body>x</body></html>";

/// A close reason naming a URL with credentials in its userinfo and its query, and a mail
/// address (at most 123 bytes: RFC 6455 §5.5).
const LEAKY_REASON: &str =
    "see wss://bobby-7:pw-7@db.internal.example/q?k=SECRET-URL-7 or mail carol@db.internal.example";

/// What must not come out of a redacted run of [`page_capture`], anywhere.
const PAGE_SECRETS: &[&str] = &[
    "secret-status-7",
    "Bad Gateway at",
    "secret-title-7",
    "SECRET-URL-7",
    "k=SECRET",
    "carol",
    "bobby-7",
    "pw-7",
    "db.internal",
    "10.9.0.",
];

/// Three sessions to one server: closed with [`LEAKY_REASON`]; closed with it and then
/// [`PAGE`] written after the server's close frame; [`PAGE`] written where the server's
/// first frame was expected, then its FIN.
fn page_capture(dir: &std::path::Path) -> String {
    let sessions = [
        session_closed(21, 41001, None),
        session_closed(22, 41002, Some(PAGE)),
        {
            let mut s = Session::new(41003, 8080);
            s.handshake();
            s.send(Client, &request(None));
            s.send(Server, &response(None));
            s.send(Server, PAGE.as_bytes());
            s.fins(Server);
            readdressed(s, 23)
        },
    ];
    let all: Vec<&Pkt> = sessions.iter().flatten().collect();
    write(dir, "pages.pcap", LinkType::RAW, &all)
}

/// A session the server closes with 1011 and [`LEAKY_REASON`] (then writes `after`, if
/// any), the client answering the same.
fn session_closed(client: u8, port: u16, after: Option<&str>) -> Vec<Pkt> {
    let mut s = Session::new(port, 8080);
    s.handshake();
    s.send(Client, &request(None));
    s.send(Server, &response(None));
    s.send(Server, &close(Server, 1011, LEAKY_REASON));
    if let Some(a) = after {
        s.send(Server, a.as_bytes());
    }
    s.send(Client, &close(Client, 1011, LEAKY_REASON));
    s.fins(Server);
    readdressed(s, client)
}

/// Every output of a run over `input`, redacted or not, named: each format (plain, with
/// the timeline, verbose), each export of one run, an annotated copy's comments (written by
/// `analyze --annotate` and by `annotate`), a followed run's standard output and error in
/// each format it has.
fn every_output(dir: &std::path::Path, input: &str, redact: bool) -> Vec<(String, String)> {
    let flag: &[&str] = if redact { &["--redact"] } else { &[] };
    let mut all = Vec::new();
    for format in ["table", "json", "jsonl", "ecs", "csv", "markdown", "html"] {
        let extras = [
            &[][..],
            &["--timeline"][..],
            &["--verbose"][..],
            &["--keep-reports", "1"][..],
        ];
        for extra in extras {
            let mut args = vec!["analyze", "--format", format];
            args.extend_from_slice(flag);
            args.extend_from_slice(extra);
            args.push(input);
            all.push((format!("{format} {extra:?}"), stdout(&args)));
        }
    }
    let exports = ["json", "jsonl", "ecs", "markdown", "html", "csv"];
    let mut args = vec!["analyze".to_owned(), "-q".into(), input.to_owned()];
    args.extend(flag.iter().map(|f| f.to_string()));
    for e in exports {
        args.push(format!("--export-{e}"));
        args.push(dir.join(format!("out.{e}")).display().to_string());
    }
    stdout(&args.iter().map(String::as_str).collect::<Vec<_>>());
    for e in exports {
        let text = std::fs::read_to_string(dir.join(format!("out.{e}"))).unwrap();
        all.push((format!("--export-{e}"), text));
    }
    let annotated = dir.join("annotated.pcapng");
    let annotated = annotated.to_str().unwrap();
    for args in [
        vec!["analyze", "-q", input, "--annotate", annotated],
        vec!["annotate", input, "-w", annotated],
    ] {
        let label = format!("{args:?}");
        let mut args = args.clone();
        args.extend_from_slice(flag);
        let (_, err, code) = run(&args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        let bytes = std::fs::read(annotated).unwrap();
        let (header, packets) = packet_comments(&bytes);
        let comments: Vec<String> = header
            .into_iter()
            .chain(packets.into_iter().flatten())
            .collect();
        all.push((format!("{label} comments"), comments.join("\n")));
        if redact {
            // Payloads are blanked in a redacted copy.
            all.push((
                format!("{label} bytes"),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    for format in ["table", "json", "jsonl", "ecs"] {
        let mut args = vec!["analyze", "--follow", "--format", format];
        args.extend_from_slice(flag);
        args.push("-");
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .args(&args)
            .pipe_stdin(input)
            .unwrap()
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        all.push((
            format!("--follow {format} stdout"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        all.push((
            format!("--follow {format} stderr"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    all
}

/// `text` as read: Markdown's backslash escapes and HTML's character references undone.
pub(super) fn unescaped(text: &str) -> String {
    let mut t = text.replace('\\', "");
    for (reference, c) in [
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&#91;", "["),
        ("&#93;", "]"),
        ("&#64;", "@"),
        ("&#58;", ":"),
        ("&#46;", "."),
        ("&amp;", "&"),
    ] {
        t = t.replace(reference, c);
    }
    t
}

/// An HTTP page a server wrote into the WebSocket stream, and a close reason naming a URL
/// and a mail address (issue 104, items 5 and 6): under `--redact` no output holds the
/// page's status words or title, the URL's userinfo or query, or the mail's local part;
/// the status code and the page's length stay, the URL's host and the mail's domain are
/// named as hosts, and the local part by a pseudonym of its own (`user-…`).
#[test]
fn redaction_leaves_no_page_words_url_query_or_mailbox_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = page_capture(dir.path());
    let plain = every_output(dir.path(), &input, false);
    let redacted = every_output(dir.path(), &input, true);
    // Not redacted, the outputs do carry each of them (else the test would prove nothing).
    for s in PAGE_SECRETS {
        assert!(
            plain.iter().any(|(_, text)| text.contains(s)),
            "{s} in no plain output"
        );
    }
    let leaks: Vec<String> = redacted
        .iter()
        .flat_map(|(what, text)| {
            PAGE_SECRETS
                .iter()
                .filter(|s| text.contains(*s))
                .map(move |s| format!("{what}: {s:?}"))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    // Where the plain output said them, the redacted one says what is not the
    // application's: the status code, the URL's host and path, the mail's domain.
    let plain: std::collections::HashMap<_, _> = plain
        .iter()
        .filter(|(what, _)| !what.ends_with("bytes"))
        .cloned()
        .collect();
    let mut said = Vec::new();
    for (what, text) in &redacted {
        let Some(before) = plain.get(what) else {
            continue;
        };
        let text = &unescaped(text);
        if before.contains("secret-status-7") {
            said.push(what.as_str());
            assert!(text.contains("HTTP/1.1 502 [redacted]"), "{what}:\n{text}");
        }
        if before.contains("secret-title-7") {
            assert!(text.contains("[redacted]"), "{what}:\n{text}");
        }
        if before.contains("SECRET-URL-7") {
            assert!(
                text.contains("wss://[redacted]@host-") && text.contains("/q?[redacted]"),
                "{what}:\n{text}"
            );
        }
        if before.contains("carol@") {
            // (A table may wrap the reason after "or".)
            assert!(text.contains("mail user-"), "{what}:\n{text}");
        }
    }
    // The outputs the audit found the page's words in: every kind of them says the page.
    for kind in [
        "table",
        "json",
        "markdown",
        "html",
        "comments",
        "--follow table",
    ] {
        assert!(said.iter().any(|w| w.contains(kind)), "{kind}: {said:?}");
    }
    // JSON: the page's status code and length kept, its words left out; the reason's
    // names the same pseudonyms as everywhere.
    let v: Value = serde_json::from_str(&stdout(&[
        "analyze", "--redact", "--format", "json", &input,
    ]))
    .unwrap();
    let c = &v["connections"];
    for i in [1, 2] {
        let n = &c[i]["not_frames"][0];
        assert_eq!(n["what"], "http-response", "{n}");
        assert_eq!(n["http_status"], 502);
        assert_eq!(n["bytes"], PAGE.len());
        assert_eq!(n["status_line"], "HTTP/1.1 502 [redacted]");
        assert_eq!(n["title"], "[redacted]");
        assert_eq!(n["first_bytes"], Value::Null);
        let cause = c[i]["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "http-response-in-stream")
            .unwrap_or_else(|| panic!("{}", c[i]));
        assert_eq!(cause["http_status"], 502);
        assert_eq!(cause["status_line"], "HTTP/1.1 502 [redacted]");
        assert_eq!(cause["title"], "[redacted]");
    }
    let reason = c[0]["close_frames"][0]["reason"].as_str().unwrap();
    let host = reason
        .split('@')
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap();
    assert!(host.starts_with("host-") && host.len() == 11, "{reason}");
    let user = reason.rsplit(' ').next().unwrap();
    let (local, domain) = user.split_once('@').unwrap();
    assert!(local.starts_with("user-") && local.len() == 11, "{reason}");
    assert_eq!(
        reason,
        format!("see wss://[redacted]@{host}/q?[redacted] or mail {local}@{domain}")
    );
    assert_eq!(domain, host, "one host, one name");
    assert_eq!(
        c[1]["close_frames"][0]["reason"], reason,
        "the same address, the same name"
    );
    // The lines a followed run prints as it goes name the user as the report does.
    for (what, text) in redacted.iter().filter(|(w, _)| w.starts_with("--follow")) {
        if plain[what].contains("carol@") {
            assert!(text.contains(&format!("{local}@{host}")), "{what}:\n{text}");
        }
    }
}

/// A pseudonym is made from the value and a key the capture's first packets give, not from
/// the order of what is shown: the same connection is named and has the same uid in a full
/// run, a selection of it, a report kept on disk and a second run; a `--redact --problems`
/// feed joins a full one.
#[test]
fn pseudonyms_and_uids_are_the_same_whatever_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let input = capture(dir.path());
    let records = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["analyze", "--redact", "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push(&input);
        stdout(&args)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| r["type"] == "connection")
            .collect()
    };
    let full = records(&[]);
    assert_eq!(full.len(), 6);
    let key = |r: &Value| {
        (
            r["uid"].clone(),
            r["client"].clone(),
            r["server"].clone(),
            r["client_ip"].clone(),
            r["handshake"]["host"].clone(),
            r["handshake"]["subprotocol"].clone(),
        )
    };
    // Six clients, six names; one server.
    let clients: std::collections::HashSet<String> =
        full.iter().map(|r| r["client_ip"].to_string()).collect();
    assert_eq!(clients.len(), 6);
    for (extra, id) in [
        (&["--connection", "3"][..], 3),
        (&["--connection", "2"][..], 2),
        (&["--host", "10.9.0.14"][..], 4),
        (&["--port", "40002"][..], 2),
    ] {
        let picked = records(extra);
        assert_eq!(picked.len(), 1, "{extra:?}");
        assert_eq!(key(&picked[0]), key(&full[id - 1]), "{extra:?}");
    }
    // Kept on disk and read back, and a second run: the same.
    let stored = records(&["--keep-reports", "1"]);
    let again = records(&[]);
    for ((a, b), c) in full.iter().zip(&stored).zip(&again) {
        assert_eq!(key(a), key(b));
        assert_eq!(key(a), key(c));
        // A finding's quotes are treated from the stored form as in memory.
        assert_eq!(a["findings"], b["findings"]);
    }
    let quoted = stored[5]["findings"].to_string();
    assert!(
        quoted.contains("first bytes: \\\"[redacted]\\\"") && !quoted.contains("s3cr3t"),
        "{quoted}"
    );
    // Another capture (other first packets) gives other names to the same addresses.
    let sessions = [
        session(12, 40009, None, None, None, None),
        session(11, 40001, Some(JWT), Some(JWT), None, None),
    ];
    let other = write(
        dir.path(),
        "other.pcap",
        LinkType::RAW,
        &sessions.iter().flatten().collect::<Vec<_>>(),
    );
    let v: Value = serde_json::from_str(&stdout(&[
        "analyze", "--redact", "--format", "json", &other,
    ]))
    .unwrap();
    assert_ne!(v["connections"][1]["client"], full[0]["client"]);
}

/// The same 4-tuple opened at the same moment in two VLANs: two connections, two uids.
#[test]
fn uids_differ_between_vlans() {
    let dir = tempfile::tempdir().unwrap();
    let tagged = |vlan: u16| -> Vec<Pkt> {
        let mut s = Session::new(40001, 8080).ethernet();
        s.handshake();
        s.send(Client, &request(None));
        s.send(Server, &response(None));
        s.send(Server, &close(Server, 1000, ""));
        s.fins(Server);
        for p in &mut s.pkts {
            // 802.1Q after the MAC addresses: TPID, then the tag.
            let mut tag = vec![0x81, 0x00];
            tag.extend_from_slice(&vlan.to_be_bytes());
            p.data.splice(12..12, tag);
            p.orig_len += 4;
        }
        s.pkts
    };
    let (a, b) = (tagged(10), tagged(20));
    // Each packet of one VLAN beside its copy in the other: the same times to the ms.
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 262_144).unwrap();
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        let ts = Timestamp(T0.0 + i as i64 * 1_000_000);
        w.packet(ts, &p.data, p.orig_len).unwrap();
        w.packet(ts, &q.data, q.orig_len).unwrap();
    }
    let path = dir.path().join("vlans.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    for redact in [false, true] {
        let mut args = vec!["analyze", "--format", "jsonl"];
        if redact {
            args.push("--redact");
        }
        args.push(path.to_str().unwrap());
        let uids: Vec<String> = stdout(&args)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| r["type"] == "connection")
            .map(|r| r["uid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(uids.len(), 2, "two VLANs, two connections");
        assert_ne!(uids[0], uids[1], "redacted: {redact}");
    }
}
