//! `wsclose annotate` and `analyze --annotate`: every packet copied unchanged (the report of
//! the copy is the report of the input), comments on the packets that matter, each
//! starting with its connection's id and status, escaped and bounded; the selection, the
//! secrets and decrypted text only when asked, `--redact`, and the refusals (standard
//! input, an output that is an input). Wireshark's view is checked through tshark where it is installed (`.ci/run`
//! installs it); skipped, saying so, where not.

mod input;
mod wireshark;

use crate::common;
use crate::common::pcapng;
use crate::common::run;
use crate::common::skip;
use crate::common::wss;

use pcapng::{blocks, filtered, packet_comments};

use serde_json::Value;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// (stdout, stderr, exit code).
use run::wsclose as run;

fn report(args: &[&str]) -> Value {
    let mut all = vec!["analyze", "--format", "json", "--threads", "1"];
    all.extend_from_slice(args);
    let (out, err, code) = run(&all);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_slice(&out).unwrap()
}

fn connections_without_inputs(mut r: Value) -> Value {
    r["connections"].take()
}

/// Every packet is copied, in order, unchanged: the annotated file's report is the input's,
/// connection by connection; the comments name the connection and status, the close frames
/// and the TCP endings at their packets, and the diagnosis once.
#[test]
fn every_packet_is_copied_and_the_closes_are_commented() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("many.pcapng");
    let out_s = out.to_str().unwrap();
    let input = fixture("node-many.pcap.gz");
    let (_, err, code) = run(&["annotate", &input, "-w", out_s]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("wrote 72 packets") && err.contains("on 5 connections"),
        "{err}"
    );
    let original = report(&[&input]);
    let copy = report(&[out_s]);
    assert_eq!(copy["seen"]["packets"], 72);
    assert_eq!(
        connections_without_inputs(copy),
        connections_without_inputs(original.clone())
    );

    let bytes = std::fs::read(&out).unwrap();
    let (header, packets) = packet_comments(&bytes);
    assert_eq!(packets.len(), 72);
    assert!(
        header.iter().any(|h| h.starts_with("wsclose ")),
        "{header:?}"
    );
    assert!(
        header
            .iter()
            .any(|h| h.contains("command: wsclose annotate")),
        "{header:?}"
    );
    assert!(
        header
            .iter()
            .any(|h| h.starts_with("by status:") && h.contains("1 × 4000")),
        "{header:?}"
    );
    // Each close frame and TCP ending the report names has its comment at its packet.
    for c in original["connections"].as_array().unwrap() {
        let id = c["id"].as_u64().unwrap();
        let head = format!("wsclose #{id} [");
        let at = |packet: &Value| &packets[packet.as_u64().unwrap() as usize - 1];
        for f in c["close_frames"].as_array().unwrap() {
            let here = at(&f["packet"]);
            let close = format!("{} close", f["from"].as_str().unwrap());
            assert!(
                here.iter()
                    .any(|t| t.starts_with(&head) && t.contains(&close)),
                "connection {id}, packet {}: {here:?}",
                f["packet"]
            );
        }
        for e in c["tcp_ends"].as_array().unwrap() {
            let here = at(&e["packet"]);
            assert!(
                here.iter()
                    .any(|t| t.starts_with(&head) && t.contains("TCP ")),
                "connection {id}: {here:?}"
            );
        }
        // The diagnosis once (its first part), at the level its status gives it: a note
        // for a clean 1000 or 1001, an error for a 1006, a warning for another problem.
        let level = match c["status"]["code"].as_u64() {
            Some(1000 | 1001) => "note",
            Some(1006) => "error",
            _ => "warning",
        };
        let why: Vec<_> = packets
            .iter()
            .flatten()
            .filter(|t| t.starts_with(&head) && t.contains("What the capture shows: "))
            .collect();
        assert_eq!(why.len(), 1, "connection {id}: one diagnosis: {why:?}");
        assert!(
            why[0].contains(&format!("] {level}: What the capture shows: ")),
            "connection {id}: {level}: {why:?}"
        );
    }
    // Connection 3's status starts its comments, and its close is its own code's, said as
    // chat: what happened, not the diagnosis.
    assert!(packets.iter().flatten().any(|t| t.starts_with(
        "wsclose #3 [4000 Private Use] chat: server close 4000 Private Use \"app specific\""
    )));
    // Nothing else is commented: packets with no event of a connection have none.
    let commented = packets.iter().filter(|p| !p.is_empty()).count();
    assert!((20..40).contains(&commented), "{commented}");
}

/// Wireshark's view of it: tshark reads the file, and the documented filter
/// (`frame.comment matches "^wsclose #3 "`) selects connection 3's packets and no other's.
#[test]
fn tshark_filters_one_connection_by_its_comments() {
    let found = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip::skipped(format_args!(
            "tshark is not installed: the filter is not checked"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("many.pcapng");
    let out_s = out.to_str().unwrap();
    let (_, err, code) = run(&["annotate", &fixture("node-many.pcap.gz"), "-w", out_s]);
    assert_eq!(code, Some(0), "{err}");
    let shown = std::process::Command::new("tshark")
        .args([
            "-r",
            out_s,
            "-Y",
            &wsclose::annotate::FILTER.replace("ID", "3"),
        ])
        .args(["-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run::stdout_of(shown)).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 5, "{text}");
    // Connection 3 is 127.0.0.1:31022 → :9020.
    assert!(lines.iter().all(|l| l.contains("31022")), "{text}");
}

/// Wire text reaches a comment escaped (no control or format character) and bounded.
#[test]
fn wire_text_in_comments_is_escaped_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hostile.pcapng");
    let out_s = out.to_str().unwrap();
    let (_, err, code) = run(&[
        "annotate",
        &fixture("node-close-hostile-reason.pcap"),
        "-w",
        out_s,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (_, packets) = packet_comments(&std::fs::read(&out).unwrap());
    let all: Vec<&String> = packets.iter().flatten().collect();
    assert!(all.iter().any(|t| t.contains(" close ")), "{all:?}");
    for t in &all {
        // What Wireshark's packet details show whole of one line (240 bytes with its NUL).
        assert!(t.len() <= 239, "{} bytes: {t}", t.len());
        assert!(
            !t.chars().any(|c| c.is_control()
                || ('\u{200b}'..='\u{200f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{t:?}"
        );
    }
}

/// The selection chooses the connections commented; `--only-selected` copies only their
/// packets.
#[test]
fn the_selection_chooses_the_comments_and_only_selected_the_packets() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("node-many.pcap.gz");
    let all = dir.path().join("all.pcapng");
    let only = dir.path().join("only.pcapng");
    let (_, err, code) = run(&[
        "annotate",
        &input,
        "--connection",
        "5",
        "-w",
        all.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (_, packets) = packet_comments(&std::fs::read(&all).unwrap());
    assert_eq!(packets.len(), 72);
    let heads: std::collections::BTreeSet<String> = packets
        .iter()
        .flatten()
        .map(|t| t.split(" [").next().unwrap().to_string())
        .collect();
    assert_eq!(heads.into_iter().collect::<Vec<_>>(), ["wsclose #5"]);

    let (_, err, code) = run(&[
        "annotate",
        &input,
        "--connection",
        "5",
        "--only-selected",
        "-w",
        only.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let original = report(&[&input]);
    let five = &original["connections"][4];
    let copy = report(&[only.to_str().unwrap()]);
    assert_eq!(copy["connections"].as_array().unwrap().len(), 1);
    assert_eq!(
        copy["connections"][0]["status"]["code"],
        five["status"]["code"]
    );
    let packets = copy["seen"]["packets"].as_u64().unwrap();
    assert!(
        packets
            <= five["last_packet"].as_u64().unwrap() - five["first_packet"].as_u64().unwrap() + 1
            && packets >= 6,
        "{packets}"
    );
}

/// `analyze --annotate` writes the same packets and comments as `annotate`, and prints its
/// report as usual.
#[test]
fn analyze_annotate_writes_the_same_file_beside_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("node-many.pcap.gz");
    let a = dir.path().join("a.pcapng");
    let b = dir.path().join("b.pcapng");
    let (_, err, code) = run(&["annotate", &input, "-w", a.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let (out, err, code) = run(&[
        "analyze",
        &input,
        "--format",
        "json",
        "--annotate",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["summary"]["connections"], 5);
    let (ha, pa) = packet_comments(&std::fs::read(&a).unwrap());
    let (hb, pb) = packet_comments(&std::fs::read(&b).unwrap());
    assert_eq!(pa, pb);
    // The headers differ only in the command line.
    assert_eq!(ha.len(), hb.len());
    assert_eq!(ha[0], hb[0]);
    assert_eq!(ha.last(), hb.last());
}

/// TLS secrets go into the file only with `--with-secrets` (a Decryption Secrets Block,
/// before the first packet), and the copy then decrypts with no key log.
#[test]
fn secrets_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("tls/chromium-nginx-tls13-close-1000.pcap");
    let keys = fixture("tls/chromium-nginx-tls13-close-1000.keylog");
    let plain = dir.path().join("plain.pcapng");
    let secret = dir.path().join("secret.pcapng");
    for (out, extra) in [(&plain, None), (&secret, Some("--with-secrets"))] {
        let mut args = vec![
            "annotate",
            &input,
            "--keylog",
            &keys,
            "-w",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let (_, err, code) = run(&args);
        assert_eq!(code, Some(0), "{err}");
    }
    let has_dsb = |p: &std::path::Path| {
        let bytes = std::fs::read(p).unwrap();
        let b = blocks(&bytes);
        let dsb = b.iter().position(|(k, _)| *k == 0x0A);
        let first_packet = b.iter().position(|(k, _)| *k == 6);
        if let (Some(d), Some(f)) = (dsb, first_packet) {
            assert!(d < f, "the secrets come before the packets");
        }
        dsb.is_some()
    };
    assert!(!has_dsb(&plain));
    assert!(has_dsb(&secret));
    let decrypted = report(&[secret.to_str().unwrap()]);
    assert_eq!(decrypted["connections"][0]["status"]["code"], 1000);
    let (_, packets) = packet_comments(&std::fs::read(&secret).unwrap());
    assert!(packets.iter().flatten().any(|t| t.contains("close 1000")));
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A wss:// session decrypted with its key log: without `--with-secrets` the file holds its
/// packets encrypted and no secrets, so no comment may carry what only decryption showed
/// (the URL's path and query, the close reason, the headers); the close code and status
/// stay. With `--with-secrets` the comments say it all.
#[test]
fn decrypted_text_stays_out_of_comments_without_secrets() {
    let token = "access_token=sEcReT0kEn42";
    let reason = "kicked out alice.wonder";
    let (pcap, keylog) = wss::session(&format!("/chat?{token}"), 4003, reason);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("wss.pcap");
    let keys = dir.path().join("wss.keylog");
    std::fs::write(&input, &pcap).unwrap();
    std::fs::write(&keys, &keylog).unwrap();
    let (input, keys) = (input.to_str().unwrap(), keys.to_str().unwrap());
    // The capture itself holds neither in clear; the report (decrypted) holds both.
    assert!(!contains(&pcap, "sEcReT0kEn42") && !contains(&pcap, "alice.wonder"));
    let r = report(&[input, "--keylog", keys]);
    assert_eq!(r["connections"][0]["status"]["code"], 4003, "{r}");
    assert_eq!(r["connections"][0]["close_frames"][0]["reason"], reason);

    let plain = dir.path().join("plain.pcapng");
    let (_, err, code) = run(&[
        "annotate",
        input,
        "--keylog",
        keys,
        "-w",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let bytes = std::fs::read(&plain).unwrap();
    for secret in ["sEcReT0kEn42", "access_token", "alice.wonder", "kicked out"] {
        assert!(!contains(&bytes, secret), "{secret} is in the file");
    }
    assert!(!blocks(&bytes).iter().any(|(k, _)| *k == 0x0A));
    let (_, packets) = packet_comments(&bytes);
    let all: Vec<&String> = packets.iter().flatten().collect();
    assert!(
        all.iter()
            .any(|t| t.starts_with("wsclose #1 [4003") && t.contains("close 4003")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|t| t.contains("decrypted text withheld: --with-secrets")),
        "{all:?}"
    );

    let secret = dir.path().join("secret.pcapng");
    let (_, err, code) = run(&[
        "annotate",
        input,
        "--keylog",
        keys,
        "--with-secrets",
        "-w",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (_, packets) = packet_comments(&std::fs::read(&secret).unwrap());
    let all: Vec<&String> = packets.iter().flatten().collect();
    assert!(all.iter().any(|t| t.contains(reason)), "{all:?}");
    assert!(all.iter().any(|t| t.contains(token)), "{all:?}");
}

/// `annotate --redact` writes its comments as `analyze --redact` writes a report: host
/// names and addresses as pseudonyms, no query string; `analyze --annotate --redact` the
/// same. With `--with-secrets` it is refused (the secrets would decrypt what it hides).
#[test]
fn redact_pseudonymizes_the_comments() {
    use common::{close, Session};
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(40_000, 8080);
    s.handshake();
    s.send(
        Client,
        b"GET /chat?ticket=T1CKET99 HTTP/1.1\r\nHost: ws.secret-corp.example\r\n\
          Upgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    s.send(Server, &common::response(false));
    s.send(Server, &close(Server, 1001, "restart"));
    s.send(Client, &close(Client, 1001, "restart"));
    s.fins(Server);
    let mut w =
        wsclose::__internals::capture::write::PcapWriter::new(Vec::new(), s.link, 262_144).unwrap();
    for p in &s.pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcap");
    std::fs::write(&input, w.into_inner()).unwrap();
    let input = input.to_str().unwrap();
    let comments_of = |p: &std::path::Path| {
        let (header, packets) = packet_comments(&std::fs::read(p).unwrap());
        header
            .into_iter()
            .chain(packets.into_iter().flatten())
            .collect::<Vec<_>>()
    };
    // Without --redact the comments name the host and the query.
    let plain = dir.path().join("plain.pcapng");
    let (_, err, code) = run(&["annotate", input, "-w", plain.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let all = comments_of(&plain);
    assert!(
        all.iter().any(|t| t.contains("ws.secret-corp.example")),
        "{all:?}"
    );
    assert!(all.iter().any(|t| t.contains("T1CKET99")), "{all:?}");
    let plain_bytes = std::fs::read(&plain).unwrap();
    assert!(
        plain_bytes.windows(8).any(|w| w == b"T1CKET99"),
        "the token is in the packets"
    );
    for args in [
        vec!["annotate", input, "--redact", "-w"],
        vec![
            "analyze",
            input,
            "--redact",
            "--format",
            "json",
            "--annotate",
        ],
    ] {
        let out = dir.path().join("redacted.pcapng");
        let mut args = args.clone();
        args.push(out.to_str().unwrap());
        let (_, err, code) = run(&args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        let all = comments_of(&out);
        for t in &all {
            assert!(
                !t.contains("secret-corp") && !t.contains("T1CKET99") && !t.contains("10.0.0."),
                "{args:?}: {t}"
            );
        }
        assert!(
            all.iter().any(|t| t.starts_with("wsclose #1 [1001")
                && t.contains("/chat?")
                && t.contains("(Host host-")),
            "{args:?}: {all:?}"
        );
        assert!(all.iter().any(|t| t.contains("\"restart\"")), "{all:?}");
        // The packets' payloads are blanked too: neither the host nor the query's token is
        // anywhere in the file, which has every packet, each as long as captured.
        let bytes = std::fs::read(&out).unwrap();
        let has = |b: &[u8], what: &[u8]| b.windows(what.len()).any(|w| w == what);
        assert!(
            !has(&bytes, b"T1CKET99") && !has(&bytes, b"secret-corp"),
            "{args:?}"
        );
        assert!(
            err.contains("TCP payloads of") && err.contains("blanked"),
            "{args:?}: {err}"
        );
        let (_, redacted) = packet_comments(&bytes);
        let (_, plain_packets) = packet_comments(&std::fs::read(&plain).unwrap());
        assert_eq!(redacted.len(), plain_packets.len(), "{args:?}");
        std::fs::remove_file(&out).unwrap();
    }
    let out = dir.path().join("x.pcapng");
    let (_, err, code) = run(&[
        "annotate",
        input,
        "--redact",
        "--with-secrets",
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--redact") && err.contains("--with-secrets"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A close reason that holds `wsclose #2 [` (in any case) cannot put its packet under
/// connection 2's filter as the file documents it (its section header's comment): only
/// connection 2's packets are selected. (An input's own comment that starts that way is
/// marked: `the_inputs_own_packet_options_are_kept`.)
#[test]
fn wire_text_cannot_forge_another_connections_filter() {
    use common::{close, Session};
    use wsclose::vocab::Role::{Client, Server};
    let mut one = Session::new(40_010, 8080);
    one.open();
    one.send(
        Server,
        &close(Server, 4000, "see wsclose #2 [1000 Normal Closure]"),
    );
    one.send(Client, &close(Client, 4000, "WSCLOSE #2 [x"));
    one.fins(Server);
    let mut two = Session::new(40_011, 8080);
    // (The key and accept of RFC 6455's other well-known example: a session of its own.)
    two.open_keyed("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    two.send(Server, &close(Server, 1000, "bye"));
    two.send(Client, &close(Client, 1000, "bye"));
    two.fins(Server);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcap");
    let mut w =
        wsclose::__internals::capture::write::PcapWriter::new(Vec::new(), one.link, 262_144)
            .unwrap();
    let all: Vec<_> = one.pkts.iter().chain(&two.pkts).collect();
    for p in &all {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    std::fs::write(&input, w.into_inner()).unwrap();
    let out = dir.path().join("out.pcapng");
    let (_, err, code) = run(&[
        "annotate",
        input.to_str().unwrap(),
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (header, packets) = packet_comments(&std::fs::read(&out).unwrap());
    let documented = header
        .iter()
        .find_map(|h| h.split_once("filter one with ").map(|(_, f)| f.to_string()))
        .unwrap_or_else(|| panic!("no filter in {header:?}"));
    assert!(err.contains(&documented), "{err}");
    let ids = [
        (1, 1..=one.pkts.len() as u64),
        (2, one.pkts.len() as u64 + 1..=all.len() as u64),
    ];
    for (id, range) in ids {
        let shown = filtered(&documented.replace("ID", &id.to_string()), &packets);
        assert!(shown.len() >= 5, "connection {id}: {shown:?}");
        assert!(
            shown.iter().all(|p| range.contains(p)),
            "connection {id}'s filter {documented} shows {shown:?}: {packets:?}"
        );
    }
    // The reason is still there, its prefix escaped.
    assert!(
        packets
            .iter()
            .flatten()
            .any(|c| c.starts_with("wsclose #1 [") && c.contains("see wsclose \\#2 [1000")),
        "{packets:?}"
    );
}

/// An input that cannot be read gives exit code 3, as `analyze` does, whether or not the
/// others were copied (they are); the file is still written from the readable ones.
#[test]
fn an_unreadable_input_exits_3_as_analyze_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("node-many.pcap.gz");
    let bad = dir.path().join("not-a-capture.pcap");
    std::fs::write(&bad, b"this is not a capture file at all, only text\n").unwrap();
    let bad = bad.to_str().unwrap();
    let (_, err, analyzed) = run(&["analyze", "--format", "json", &input, bad]);
    assert_eq!(analyzed, Some(3), "{err}");
    let out = dir.path().join("out.pcapng");
    let out_s = out.to_str().unwrap();
    let (_, err, code) = run(&["annotate", &input, bad, "-w", out_s]);
    assert_eq!(code, analyzed, "{err}");
    assert!(err.contains("not-a-capture.pcap"), "{err}");
    let (_, packets) = packet_comments(&std::fs::read(&out).unwrap());
    assert_eq!(packets.len(), 72);
    let other = dir.path().join("other.pcapng");
    let (_, err, code) = run(&[
        "analyze",
        &input,
        bad,
        "--annotate",
        other.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert!(other.exists());
}

/// Standard input and an output that is the input are refused, and the input is left
/// untouched.
#[test]
fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("node-many.pcap.gz");
    let out = dir.path().join("x.pcapng");
    let (_, err, code) = run(&["annotate", "-", "-w", out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    let copy = dir.path().join("in.pcap.gz");
    std::fs::copy(&input, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let c = copy.to_str().unwrap();
    let (_, err, code) = run(&["annotate", c, "-w", c]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    let (_, err, code) = run(&["analyze", c, "--annotate", c]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    // A directory that cannot take the file: exit 6, nothing left behind.
    let (_, err, code) = run(&["annotate", &input, "-w", "/nonexistent-dir/x.pcapng"]);
    assert_eq!(code, Some(6), "{err}");
}

/// Every capture under fixtures/ (with its key log beside it, when it has one) and of the
/// shared public corpus (when it is there): every packet the JSON report cites (close
/// frames, TCP and HTTP/2 stream endings, TLS alerts and close_notify, the upgrade, the
/// evidence, the application's deciding messages) carries a comment naming its connection
/// and status, and no packet the report does not cite has one.
#[test]
fn every_cited_packet_is_commented_and_no_other() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut captures = Vec::new();
    let mut dirs = vec![root.join("fixtures")];
    let corpus = root.join("../shared/corpus/public");
    if corpus.is_dir() {
        dirs.push(corpus);
    } else {
        skip::skipped(format_args!(
            "{} is absent: only the fixtures are annotated",
            corpus.display()
        ));
    }
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.to_string_lossy().contains(".pcap") {
                captures.push(p);
            }
        }
    }
    captures.sort();
    assert!(captures.len() > 40, "{}", captures.len());
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for cap in &captures {
        let c = cap.to_str().unwrap();
        let keylog = cap.with_extension("keylog");
        let mut extra: Vec<&str> = vec![c];
        if keylog.exists() {
            extra.extend(["--keylog", keylog.to_str().unwrap()]);
        }
        let mut args = vec!["analyze", "--format", "json", "--threads", "1"];
        args.extend(&extra);
        let (out, _, code) = run(&args);
        if code != Some(0) {
            continue; // no WebSocket connection in it
        }
        let r: Value = serde_json::from_slice(&out).unwrap();
        if r["inputs"].as_array().unwrap().len() != 1 || r["inputs"][0]["error"].is_string() {
            continue;
        }
        let out_path = tmp.path().join(format!("{checked}.pcapng"));
        let mut args = vec!["annotate", "-w", out_path.to_str().unwrap()];
        args.extend(&extra);
        let (_, err, code) = run(&args);
        assert_eq!(code, Some(0), "{c}: {err}");
        let (_, packets) = packet_comments(&std::fs::read(&out_path).unwrap());
        assert_eq!(
            packets.len() as u64,
            r["seen"]["packets"].as_u64().unwrap(),
            "{c}: every packet copied"
        );
        let mut cited: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        let mut allowed = std::collections::BTreeSet::new();
        for conn in r["connections"].as_array().unwrap() {
            let id = conn["id"].as_u64().unwrap();
            let mut cite = |v: &Value| {
                if let Some(p) = v.as_u64() {
                    cited.entry(p).or_default().push(id);
                    allowed.insert(p);
                }
            };
            for f in conn["close_frames"].as_array().unwrap() {
                cite(&f["packet"]);
            }
            for e in conn["tcp_ends"].as_array().unwrap() {
                cite(&e["packet"]);
            }
            for e in conn["stream_ends"].as_array().into_iter().flatten() {
                cite(&e["packet"]);
            }
            cite(&conn["handshake"]["request_packet"]);
            cite(&conn["handshake"]["response_packet"]);
            for p in conn["evidence"]["packets"].as_array().into_iter().flatten() {
                cite(p);
            }
            // The last words a cause quotes, on their packet; and where a cause quotes one
            // (`last-words`, `last-message`), each side's last message shortly before the end.
            let mut told = false;
            for k in conn["status"]["causes"].as_array().unwrap() {
                if k["kind"] == "last-words" || k["kind"] == "last-message" {
                    cite(&k["packet"]);
                    told = true;
                }
            }
            // A member of an incident that fell silent (no close frame, FIN or RST): its
            // first segment never acknowledged carries the incident's comment.
            if conn["incident"].is_u64() {
                for k in conn["status"]["causes"].as_array().unwrap() {
                    if k["kind"] == "unacknowledged-data" && k["peer_next"].is_null() {
                        cite(&k["first_packet"]);
                        break;
                    }
                }
            }
            for w in conn["last_words"].as_array().into_iter().flatten() {
                if told && w["before_end_s"].as_f64().is_some_and(|b| b <= 10.0) {
                    cite(&w["packet"]);
                }
            }
            for p in conn["application"]["evidence"]
                .as_array()
                .into_iter()
                .flatten()
            {
                cite(p);
            }
            for a in conn["tls"]["alerts"].as_array().into_iter().flatten() {
                cite(&a["packet"]);
            }
            cite(&conn["tls"]["close_notify"]["client"]);
            cite(&conn["tls"]["close_notify"]["server"]);
            // Seen at two points (one input here: both points are its own).
            crate::render::points::commented(&conn["points"]).for_each(|p| cite(&p.into()));
            for f in conn["findings"].as_array().into_iter().flatten() {
                if let Some(p) = f["packet"].as_u64() {
                    allowed.insert(p);
                }
            }
        }
        for (p, ids) in &cited {
            let here = &packets[*p as usize - 1];
            for id in ids {
                let head = format!("wsclose #{id} [");
                assert!(
                    here.iter().any(|t| t.starts_with(&head)),
                    "{c}: packet {p} is cited by connection {id} but its comments are {here:?}"
                );
            }
        }
        for (i, here) in packets.iter().enumerate() {
            let p = i as u64 + 1;
            assert!(
                here.is_empty() || allowed.contains(&p),
                "{c}: packet {p} is commented but not cited: {here:?}"
            );
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked} captures checked");
}

/// One view for every renderer (`report::facts`): on every fixture with a WebSocket
/// (plaintext, proxies, paths, applications), each fact of each connection is in its
/// Markdown section and in its HTML section under the same label, and the annotated
/// capture's comment on a fact's packet is that fact's text; so a fact added for one format
/// is in all of them, and the formats cannot word one fact two ways.
#[test]
fn markdown_html_and_comments_state_the_same_facts() {
    use wsclose::report::facts::{self, Place};
    use wsclose::sanitize::{html as h, terminal};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in ["", "proxy", "path", "app", "connect"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().contains(".pcap") {
                files.push(p);
            }
        }
    }
    files.sort();
    let (mut checked, mut kinds) = (0, std::collections::BTreeSet::new());
    let mut split = 0;
    for f in &files {
        let r = wsclose::analyze_files(std::slice::from_ref(f), Default::default()).unwrap();
        let md = wsclose::render::markdown::render(&r, &[None]);
        let html = wsclose::render::html::render(&r, &[None]);
        let notes = wsclose::annotate::notes(&r, true).unwrap();
        for c in &r.connections {
            let md_section = md
                .split("\n<details><summary>Connection ")
                .find(|s| s.starts_with(&format!("{}:", c.id)))
                .unwrap_or_else(|| panic!("{}: no Markdown section for {}", f.display(), c.id));
            let html_section = html
                .split("<section class=\"conn ")
                .find(|s| s.contains(&format!("id=\"c{}\"", c.id)))
                .unwrap_or_else(|| panic!("{}: no HTML section for {}", f.display(), c.id));
            for fact in facts::facts(c, &r.inputs, None) {
                if fact.label == "Fix for this connection" {
                    // Said once per status where the status's fix is the same.
                    continue;
                }
                let label = match &fact.label_of {
                    Some(of) => format!("{} ({})", fact.label, of),
                    None => fact.label.clone(),
                };
                assert!(
                    md_section.contains(&format!("- **{}", fact.label)),
                    "{}: connection {}: {label} not in Markdown",
                    f.display(),
                    c.id
                );
                let in_html = match fact.place {
                    Place::Row => format!("<dt>{}", h(&fact.label)),
                    _ => format!("<strong>{}", h(&fact.label)),
                };
                assert!(
                    html_section.contains(&in_html),
                    "{}: connection {}: {label} not in HTML",
                    f.display(),
                    c.id
                );
                kinds.insert(fact.label.clone());
                if fact.place != Place::Row {
                    let plain = fact.plain();
                    let text = wsclose::annotate::unforgeable(&terminal(&plain));
                    // The evidence is not said again on the packet the diagnosis is on.
                    let decisive = facts::decisive(c);
                    for &p in fact
                        .packets
                        .iter()
                        .filter(|&&p| fact.label != "Evidence" || Some(p) != decisive)
                    {
                        let said = said(notes.on(c.input, p), c.id, &text);
                        assert_eq!(
                            said.as_deref(),
                            Some(&*text),
                            "{}: connection {}: packet {p} does not say the whole fact: {:?}",
                            f.display(),
                            c.id,
                            notes.on(c.input, p)
                        );
                        split +=
                            usize::from(notes.on(c.input, p).iter().any(|n| n.ends_with("(1/2)")));
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} facts checked");
    assert!(split > 10, "only {split} facts long enough to be split");
    for k in [
        "Application",
        "Evidence",
        "Proxied",
        "Handshake",
        "TCP ended",
        "Wireshark",
    ] {
        assert!(kinds.contains(k), "no fixture shows {k}: {kinds:?}");
    }
}

/// The text of connection `id`'s comments among `comments` that start with `text`'s first
/// 60 characters, its parts (`… (1/3)`, `… (2/3)`, …) joined again: each at most
/// [`wsclose::annotate::MAX_COMMENT`] bytes, prefixed `wsclose #ID [STATUS] LEVEL: `.
fn said(comments: &[String], id: u64, text: &str) -> Option<String> {
    let head = format!("wsclose #{id} [");
    let body = |c: &String| -> String {
        assert!(
            c.len() <= wsclose::annotate::MAX_COMMENT,
            "{} bytes: {c}",
            c.len()
        );
        assert!(c.starts_with(&head), "{c}");
        let (_, b) = c.split_once("] ").unwrap();
        let (level, b) = b.split_once(": ").unwrap();
        assert!(["error", "warning", "note", "chat"].contains(&level), "{c}");
        b.to_string()
    };
    let start: String = text.chars().take(60).collect();
    let first = comments
        .iter()
        .position(|c| c.starts_with(&head) && body(c).starts_with(&start))?;
    let whole = body(&comments[first]);
    let Some(n) = whole
        .strip_suffix(")")
        .and_then(|w| w.rsplit_once(" (1/"))
        .and_then(|(_, n)| n.parse::<usize>().ok())
    else {
        return Some(whole);
    };
    let mut parts = Vec::new();
    for (k, c) in comments[first..first + n].iter().enumerate() {
        let b = body(c);
        let suffix = format!(" ({}/{n})", k + 1);
        parts.push(
            b.strip_suffix(&suffix)
                .unwrap_or_else(|| panic!("{c}"))
                .to_string(),
        );
    }
    // Split at a sentence, clause or word: the space there is dropped; a word longer than
    // a comment (a 200-byte message of one word) is split at a character, with no space.
    let mut joined = String::new();
    for (k, p) in parts.iter().enumerate() {
        let spaced = format!("{joined} {p}");
        if k > 0 && text.starts_with(&spaced) {
            joined = spaced;
        } else {
            joined.push_str(p);
        }
    }
    Some(joined)
}

/// A classic pcap whose link type field carries libpcap's FCS bits
/// (draft-ietf-opsawg-pcap §4: P bit 0x04000000, FCS length in 16-bit words in the top 4
/// bits), each Ethernet frame ending with its 4-byte FCS: read as Ethernet with the FCS
/// taken off, so it reports what the capture without FCS reports, and annotate writes link
/// type 1 (never 65535) and the frames without their FCS.
#[test]
fn a_pcap_whose_link_type_field_carries_fcs_bits_reads_as_its_link_type() {
    let input = fixture("node-close-1000-server.pcap");
    let bytes = std::fs::read(&input).unwrap();
    let word = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    assert_eq!(word(&bytes, 0), 0xa1b2_c3d4);
    assert_eq!(word(&bytes, 20), 1, "an Ethernet capture");
    // The same capture, each record 4 bytes longer (its FCS), the field 0x24000001.
    let mut fcs = bytes[..24].to_vec();
    fcs[20..24].copy_from_slice(&0x2400_0001u32.to_le_bytes());
    let mut at = 24;
    let mut frames = Vec::new();
    while at < bytes.len() {
        let caplen = word(&bytes, at + 8) as usize;
        let orig = word(&bytes, at + 12);
        assert_eq!(caplen as u32, orig, "whole frames");
        fcs.extend_from_slice(&bytes[at..at + 8]);
        fcs.extend_from_slice(&(caplen as u32 + 4).to_le_bytes());
        fcs.extend_from_slice(&(orig + 4).to_le_bytes());
        let frame = &bytes[at + 16..at + 16 + caplen];
        fcs.extend_from_slice(frame);
        fcs.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        frames.push(frame.to_vec());
        at += 16 + caplen;
    }
    let dir = tempfile::tempdir().unwrap();
    let with_fcs = dir.path().join("fcs.pcap");
    std::fs::write(&with_fcs, &fcs).unwrap();
    let with_fcs = with_fcs.to_str().unwrap();
    let plain = report(&[&input]);
    let read = report(&[with_fcs]);
    assert_eq!(
        read["inputs"][0]["link_types"],
        plain["inputs"][0]["link_types"]
    );
    assert_eq!(
        connections_without_inputs(read),
        connections_without_inputs(plain)
    );
    let out = dir.path().join("fcs.pcapng");
    let (_, err, code) = run(&["annotate", with_fcs, "-w", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let written = std::fs::read(&out).unwrap();
    let b = blocks(&written);
    let links: Vec<u16> = b
        .iter()
        .filter(|(k, _)| *k == 1)
        .map(|(_, body)| u16::from_le_bytes([body[0], body[1]]))
        .collect();
    assert_eq!(links, vec![1]);
    let packets: Vec<Vec<u8>> = b
        .iter()
        .filter(|(k, _)| *k == 6)
        .map(|(_, body)| {
            let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
            body[20..20 + caplen].to_vec()
        })
        .collect();
    assert_eq!(packets, frames);
}
