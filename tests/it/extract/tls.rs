//! `wsclose extract` of a wss:// (TLS) connection: the output is a pcapng whose Decryption
//! Secrets Block holds that connection's key-log lines and no other connection's, so it
//! reads decrypted on its own (wsclose with no key flag, tshark); with `--redact` it holds
//! no secret at all and reads as encrypted; no report format prints a secret. Fixtures:
//! fixtures/tls (see fixtures/README.md).

use crate::common::skip;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// wsclose with no key log from the environment.
fn wsclose() -> Command {
    let mut c = Command::cargo_bin("wsclose").unwrap();
    c.env_remove("SSLKEYLOGFILE");
    c
}

/// (stdout, stderr, exit code).
fn run(args: &[&str]) -> (String, String, Option<i32>) {
    let out = wsclose().args(args).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let (out, err, _) = run(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"))
}

/// One key-log line: (label, client random, secret), hex in lower case.
type Line = (String, String, String);

/// The lines of an NSS key-log text (comments and blank lines skipped).
fn keylog_lines(text: &str) -> BTreeSet<Line> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "{l}");
            (
                f[0].to_string(),
                f[1].to_ascii_lowercase(),
                f[2].to_ascii_lowercase(),
            )
        })
        .collect()
}

fn keylog_file(name: &str) -> BTreeSet<Line> {
    keylog_lines(&std::fs::read_to_string(fixture(name)).unwrap())
}

/// The pcapng blocks of a little-endian file: (type, body).
fn blocks(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!(word(0), 0x0A0D_0D0A, "a pcapng section header first");
    assert_eq!(word(8), 0x1A2B_3C4D, "little-endian");
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (kind, len) = (word(at), word(at + 4) as usize);
        assert!(len >= 12 && len % 4 == 0, "block at {at}: length {len}");
        assert_eq!(word(at + len - 4) as usize, len, "block at {at}: trailer");
        out.push((kind, bytes[at + 8..at + len - 4].to_vec()));
        at += len;
    }
    assert_eq!(at, bytes.len());
    out
}

/// The texts of the file's TLS Decryption Secrets Blocks, checking that each comes before
/// every packet and is well formed.
fn dsb_texts(bytes: &[u8]) -> Vec<String> {
    let mut texts = Vec::new();
    let mut packets = 0;
    for (kind, body) in blocks(bytes) {
        match kind {
            0x0000_000A => {
                assert_eq!(packets, 0, "the secrets come before the packets");
                let secrets_type = u32::from_le_bytes(body[0..4].try_into().unwrap());
                assert_eq!(secrets_type, 0x544C_534B, "TLSK");
                let len = u32::from_le_bytes(body[4..8].try_into().unwrap()) as usize;
                assert_eq!(body.len(), 8 + len.div_ceil(4) * 4);
                texts.push(String::from_utf8(body[8..8 + len].to_vec()).unwrap());
            }
            6 => packets += 1,
            _ => {}
        }
    }
    assert!(packets > 0);
    texts
}

/// (from, code, reason) of the close frames of every connection of a JSON report.
fn closes(report: &Value) -> Vec<(String, u64, String)> {
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["close_frames"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_string(),
                f["code"].as_u64().unwrap(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The connections of `capture` read with `keylog`: (id, client random).
fn tls_connections(capture: &str, keylog: &str) -> Vec<(u64, String)> {
    json(&[&fixture(capture), "--keylog", &fixture(keylog)])["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                c["tls"]["client_random"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `extract CAPTURE --connection ID -w OUT ARGS...`: its stderr, after checking it succeeded.
fn extract(capture: &str, id: u64, out: &Path, args: &[&str]) -> String {
    let id = id.to_string();
    let mut all = vec![
        "extract",
        capture,
        "--connection",
        &id,
        "-w",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let (_, err, code) = run(&all);
    assert_eq!(code, Some(0), "{err}");
    err
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Asserts that no secret of `lines` is in `bytes`, as hex (either case) or raw.
fn assert_no_secret(bytes: &[u8], lines: &BTreeSet<Line>, what: &str) {
    for (label, _, secret) in lines {
        assert!(
            !contains(bytes, secret.as_bytes())
                && !contains(bytes, secret.to_ascii_uppercase().as_bytes())
                && !contains(bytes, &unhex(secret)),
            "{what} holds the {label} secret {secret}"
        );
    }
}

fn tshark() -> bool {
    let ok = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip::skipped(format_args!(
            "tshark is not installed: skipping the tshark part of this test"
        ));
    }
    ok
}

/// The close codes tshark decodes in `path` (with no key log of its own).
fn tshark_codes(path: &Path) -> Vec<String> {
    let t = std::process::Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args([
            "-Y",
            "websocket.payload.close.status_code",
            "-T",
            "fields",
            "-e",
            "websocket.payload.close.status_code",
        ])
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    String::from_utf8_lossy(&t.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Extracts each capture's WebSocket connection with its key log and checks the extract
/// against the original: the same close frames with no key flag, exactly that connection's
/// secrets in its one secrets block, tshark's close codes.
fn check_extract_with_secrets(capture: &str, keylog: &str, others: usize) {
    let all = keylog_file(keylog);
    let conns = tls_connections(capture, keylog);
    assert_eq!(conns.len(), 1, "{capture}: one WebSocket session");
    let (id, random) = conns[0].clone();
    let mine: BTreeSet<Line> = all.iter().filter(|l| l.1 == random).cloned().collect();
    let theirs: BTreeSet<Line> = all.iter().filter(|l| l.1 != random).cloned().collect();
    assert!(!mine.is_empty());
    let other_randoms: BTreeSet<&String> = theirs.iter().map(|l| &l.1).collect();
    assert_eq!(
        other_randoms.len(),
        others,
        "{capture}: other sessions' secrets"
    );

    let dir = tempfile::tempdir().unwrap();
    // Named .pcap: the content is pcapng whatever the name.
    let out = dir.path().join("conn.pcap");
    let err = extract(&fixture(capture), id, &out, &["--keylog", &fixture(keylog)]);
    assert!(
        err.contains(&format!(
            "to {} (pcapng with this connection's TLS secrets: open it in Wireshark to see it decrypted)",
            out.display()
        )),
        "{err}"
    );
    assert_no_secret(err.as_bytes(), &all, "extract's stderr");
    let bytes = std::fs::read(&out).unwrap();

    // (2) One secrets block, holding exactly this connection's lines.
    let texts = dsb_texts(&bytes);
    assert_eq!(texts.len(), 1, "one secrets block");
    assert_eq!(
        keylog_lines(&texts[0]),
        mine,
        "{capture}: the secrets block"
    );
    for r in &other_randoms {
        assert!(
            !contains(&bytes, r.as_bytes()),
            "another client random: {r}"
        );
    }
    assert_no_secret(&bytes, &theirs, "the extract");

    // (1) Read alone, with no key flag: the same close frames.
    let original = json(&[&fixture(capture), "--keylog", &fixture(keylog)]);
    let alone = json(&[out.to_str().unwrap()]);
    assert_eq!(alone["connections"].as_array().unwrap().len(), 1);
    assert_eq!(alone["connections"][0]["tls"]["decrypted"], true);
    assert!(!closes(&original).is_empty());
    assert_eq!(closes(&alone), closes(&original), "{capture}");
    assert_eq!(
        alone["connections"][0]["status"]["code"],
        original["connections"][0]["status"]["code"]
    );

    // (4) tshark decrypts it with the secrets the file carries.
    if tshark() {
        let want: Vec<String> = closes(&original).iter().map(|c| c.1.to_string()).collect();
        assert_eq!(tshark_codes(&out), want, "{capture}: tshark");
    }
}

#[test]
fn python_extract_carries_its_secrets_and_reads_alone() {
    check_extract_with_secrets(
        "python-tls13-aes128gcm-close-1000.pcap",
        "python-tls13-aes128gcm-close-1000.keylog",
        0,
    );
}

#[test]
fn chromium_extract_holds_only_the_websocket_connections_secrets() {
    // Three TLS connections in the capture and its key log; one carried the WebSocket.
    check_extract_with_secrets(
        "chromium-nginx-tls13-close-1000.pcap",
        "chromium-nginx-tls13-close-1000.keylog",
        2,
    );
}

#[test]
fn a_pcapng_inputs_own_secrets_go_into_the_extract() {
    // The secrets come from the input's Decryption Secrets Block: no key flag at all.
    let capture = fixture("python-tls13-aes128gcm-close-1000-secrets.pcapng");
    let all = keylog_file("python-tls13-aes128gcm-close-1000.keylog");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("conn.pcapng");
    let err = extract(&capture, 1, &out, &[]);
    assert!(err.contains("with this connection's TLS secrets"), "{err}");
    let texts = dsb_texts(&std::fs::read(&out).unwrap());
    assert_eq!(texts.len(), 1);
    assert_eq!(keylog_lines(&texts[0]), all);
    assert_eq!(
        closes(&json(&[out.to_str().unwrap()])),
        closes(&json(&[&capture]))
    );
}

#[test]
fn redact_writes_no_secret_and_the_extract_reads_as_encrypted() {
    for (capture, keylog) in [
        (
            "python-tls13-aes128gcm-close-1000.pcap",
            "python-tls13-aes128gcm-close-1000.keylog",
        ),
        (
            "chromium-nginx-tls13-close-1000.pcap",
            "chromium-nginx-tls13-close-1000.keylog",
        ),
    ] {
        let all = keylog_file(keylog);
        let (id, random) = tls_connections(capture, keylog)[0].clone();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("conn.pcap");
        let err = extract(
            &fixture(capture),
            id,
            &out,
            &["--keylog", &fixture(keylog), "--redact"],
        );
        assert!(
            err.contains("(pcapng without TLS secrets, as --redact asks: it opens encrypted)"),
            "{err}"
        );
        let bytes = std::fs::read(&out).unwrap();
        // (3) No secrets block, no secret anywhere in the file.
        assert!(dsb_texts(&bytes).is_empty());
        assert_no_secret(&bytes, &all, "the redacted extract");
        // Read alone it is listed as encrypted (no key for it); no close code is made up.
        let out_s = out.to_str().unwrap();
        let (report, err, code) = run(&["analyze", "--format", "json", out_s]);
        assert_eq!(code, Some(1), "only encrypted connections: {err}");
        let v: Value = serde_json::from_str(&report).unwrap();
        assert!(v["connections"].as_array().unwrap().is_empty());
        let enc = v["seen"]["encrypted"].as_array().unwrap();
        assert_eq!(enc.len(), 1, "{capture}");
        assert_eq!(enc[0]["tls"]["client_random"], random.as_str());
        assert_eq!(enc[0]["tls"]["decrypted"], false);
        // The same packets as the extract with secrets: only the secrets block differs.
        let with = dir.path().join("with.pcap");
        extract(
            &fixture(capture),
            id,
            &with,
            &["--keylog", &fixture(keylog)],
        );
        let packets = |b: &[u8]| -> Vec<Vec<u8>> {
            blocks(b)
                .into_iter()
                .filter(|(k, _)| *k == 6)
                .map(|(_, body)| body)
                .collect()
        };
        assert_eq!(packets(&bytes), packets(&std::fs::read(&with).unwrap()));
        if tshark() {
            assert!(
                tshark_codes(&out).is_empty(),
                "{capture}: tshark without secrets"
            );
        }
    }
}

#[test]
fn no_report_format_prints_a_secret() {
    let capture = "chromium-nginx-tls13-close-1000.pcap";
    let keylog = "chromium-nginx-tls13-close-1000.keylog";
    let all = keylog_file(keylog);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("conn.pcapng");
    extract(&fixture(capture), 1, &out, &["--keylog", &fixture(keylog)]);
    let out_s = out.to_str().unwrap().to_string();
    let (cap, key) = (fixture(capture), fixture(keylog));
    // The extract (its secrets in the file) and the original (with the key log).
    for input in [
        vec![out_s.as_str()],
        vec![cap.as_str(), "--keylog", key.as_str()],
    ] {
        for format in ["table", "json", "markdown", "csv", "html"] {
            for extra in [&[][..], &["--timeline"][..]] {
                let mut args = vec!["analyze", "--format", format];
                args.extend_from_slice(&input);
                args.extend_from_slice(extra);
                let (stdout, stderr, code) = run(&args);
                assert_eq!(code, Some(0), "{args:?}: {stderr}");
                assert_no_secret(stdout.as_bytes(), &all, &format!("{args:?}'s output"));
                assert_no_secret(stderr.as_bytes(), &all, &format!("{args:?}'s stderr"));
            }
        }
    }
}

#[test]
fn a_plaintext_connection_is_a_pcapng_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let capture = format!("{}/fixtures/node-many.pcap.gz", env!("CARGO_MANIFEST_DIR"));
    let plain = dir.path().join("plain.pcapng");
    let redacted = dir.path().join("redacted.pcap");
    let err = extract(&capture, 4, &plain, &[]);
    // The line as before: no secrets note.
    assert!(err.trim_end().ends_with("plain.pcapng"), "{err}");
    extract(&capture, 4, &redacted, &["--redact"]);
    let bytes = std::fs::read(&plain).unwrap();
    // A Section Header Block, and no Decryption Secrets Block: --redact changes nothing.
    assert_eq!(&bytes[..4], &0x0A0D_0D0Au32.to_le_bytes());
    assert!(dsb_texts(&bytes).is_empty());
    assert_eq!(bytes, std::fs::read(&redacted).unwrap());
}

/// What a live capture's file carries (`live --write` with a key log): the key-log lines of
/// the TLS connections in its report, WebSocket or left encrypted, every one of them, and
/// no line of a connection it does not hold.
#[test]
fn report_secrets_are_those_of_the_connections_in_the_report() {
    use wsclose::__internals::stack::tls::keylog::KeyLog;
    let (capture, keylog) = (
        fixture("chromium-nginx-tls13-close-1000.pcap"),
        fixture("chromium-nginx-tls13-close-1000.keylog"),
    );
    let sources = wsclose::keys::KeySources {
        files: vec![keylog.clone().into()],
        env: None,
    };
    let mut report = wsclose::analyze_files_with_progress(
        &[capture.into()],
        wsclose::Options::default(),
        &sources,
        None,
    )
    .unwrap();
    report.load().unwrap();
    // The key log, and a line of a connection that is not in the capture.
    let stranger = format!("CLIENT_RANDOM {} {}\n", "ab".repeat(32), "cd".repeat(48));
    let text = std::fs::read_to_string(&keylog).unwrap() + &stranger;
    let mut keys = KeyLog::new();
    keys.add_text("keys", text.as_bytes());
    let written = keylog_lines(&wsclose::extract::report_secrets(&report, &keys).unwrap());
    let randoms: BTreeSet<String> = report
        .connections
        .iter()
        .filter_map(|c| c.tls.as_ref()?.client_random.clone())
        .chain(
            report
                .seen
                .encrypted
                .iter()
                .filter_map(|e| e.tls.client_random.clone()),
        )
        .collect();
    assert!(!randoms.is_empty());
    let expected: BTreeSet<Line> = keylog_file("chromium-nginx-tls13-close-1000.keylog")
        .into_iter()
        .filter(|(_, random, _)| randoms.contains(random))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(written, expected);
    assert!(written.iter().all(|(_, r, _)| *r != "ab".repeat(32)));
}
