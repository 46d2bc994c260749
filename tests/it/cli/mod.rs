//! The command line as a user meets it: errors, exit codes, warnings, and the catalog
//! commands. Exit codes are documented in docs/reports.md and `wsclose --help`.

use crate::common::skip;

use assert_cmd::Command;
use std::fs;

mod habits;
mod keylogs;
mod metrics;
mod outputs;
mod signals;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn wsclose() -> Command {
    Command::cargo_bin("wsclose").unwrap()
}

#[test]
fn missing_file_exits_3_with_a_hint() {
    let out = wsclose()
        .args(["analyze", "no/such/file.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no such file"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn not_a_capture_exits_3_and_shows_the_magic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    fs::write(&p, "hello, this is not a capture file\n").unwrap();
    let out = wsclose().arg("analyze").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a pcap or pcapng capture"), "{err}");
    assert!(err.contains("\"hell\""), "{err}");
}

#[test]
fn empty_file_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.pcap");
    fs::write(&p, b"").unwrap();
    let out = wsclose().arg("analyze").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

#[test]
fn truncated_capture_reports_what_was_read_with_a_warning() {
    let data = fs::read(fixture("node-close-1008.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.pcap");
    // Cut inside the record of packet 11 (the client's FIN): both close frames survive.
    let cut = data.len() - 150;
    fs::write(&p, &data[..cut]).unwrap();
    let out = wsclose()
        .args(["analyze", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("truncated"),
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = r["inputs"][0]["warnings"][0].as_str().unwrap();
    assert!(w.contains("truncated"), "{w}");
    assert_eq!(r["connections"][0]["status"]["code"], 1008);
}

#[test]
fn truncated_header_exits_3() {
    let data = fs::read(fixture("node-close-1008.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("head.pcap");
    fs::write(&p, &data[..10]).unwrap();
    let out = wsclose().arg("analyze").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn no_websocket_exits_1_and_says_what_was_seen() {
    // A capture with TCP traffic but no WebSocket upgrade: keep only the SYN handshake
    // records (24-byte header, then three records) of a fixture.
    let data = fs::read(fixture("python-no-close-rst.pcap")).unwrap();
    let mut end = 24;
    for _ in 0..3 {
        let caplen = u32::from_le_bytes(data[end + 8..end + 12].try_into().unwrap()) as usize;
        end += 16 + caplen;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("syn.pcap");
    fs::write(&p, &data[..end]).unwrap();
    let out = wsclose().arg("analyze").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no WebSocket connection found"), "{err}");
    assert!(err.contains("3 packets"), "{err}");
}

#[test]
fn table_output_names_code_reason_and_fix() {
    let out = wsclose()
        .args(["analyze", &fixture("node-close-1008.pcap")])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1008 Policy Violation"), "{text}");
    assert!(text.contains("token expired"), "{text}");
    assert!(text.contains("Fix:"), "{text}");
    assert!(text.contains("pkt\u{a0}9"), "{text}");
}

#[cfg(not(feature = "live"))]
#[test]
fn live_without_feature_says_how_to_get_it() {
    let out = wsclose().args(["live", "-i", "lo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("libpcap-dev") && err.contains("--features live"),
        "{err}"
    );
}

/// Each command offers the flags that mean something to it: `--threads` reads a file
/// (`analyze`, `extract`), `--color` colours a table (`analyze`, and `live`'s final one).
#[test]
fn each_command_offers_the_flags_that_apply_to_it() {
    let help = |cmd: &str| {
        let out = wsclose().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success(), "{cmd} --help");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (analyze, extract, live) = (help("analyze"), help("extract"), help("live"));
    assert!(analyze.contains("--threads") && analyze.contains("--color"));
    assert!(extract.contains("--threads"), "{extract}");
    assert!(!live.contains("--threads"), "{live}");
    assert!(live.contains("--color"), "{live}");
    // And it is taken, whether or not this build can capture.
    let out = wsclose()
        .args(["live", "-i", "lo", "--color", "never", "--duration", "0"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn explain_one_and_two_codes() {
    let out = wsclose().args(["explain", "1006"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("1006 Abnormal Closure"), "{text}");
    assert!(text.contains("never"), "{text}");
    let out = wsclose()
        .args(["explain", "1008", "1007"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1008 vs 1007") && text.contains("Key difference"),
        "{text}"
    );
    let out = wsclose().args(["explain", "4321"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("4000-4999"));
}

/// Issue 82 item 5: each cause's kind a report names (`status.causes[].kind`) is explained
/// by `wsclose explain KIND`, from docs/causes.md's row, as text and JSON; a word that is
/// no code, incident or cause says what it could be.
#[test]
fn explain_a_causes_kind() {
    for kind in [
        "abrupt-ending",
        "closing-cut-short",
        "incident-member",
        "last-message",
    ] {
        let out = wsclose().args(["explain", kind]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with(&format!("{kind} (a cause")), "{text}");
        assert!(
            text.contains("Meaning:") && text.contains("JSON fields:"),
            "{text}"
        );
    }
    let out = wsclose()
        .args(["explain", "closing-cut-short", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["cause"], "closing-cut-short");
    assert!(v["causes"][0]["meaning"]
        .as_str()
        .unwrap()
        .contains("RFC 6455"));
    let out = wsclose()
        .args(["explain", "no-such-thing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a cause's kind"), "{err}");
}

#[test]
fn codes_lists_every_registered_code() {
    let out = wsclose()
        .args(["codes", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let firsts: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["first"].as_u64().unwrap())
        .collect();
    for code in (1000..=1015).chain([3000, 3003, 3008, 4000]) {
        assert!(firsts.contains(&code), "{code} missing");
    }
}

#[test]
fn unsupported_link_type_is_named_once() {
    use wsclose::__internals::capture::write::PcapWriter;
    use wsclose::vocab::{LinkType, Timestamp};
    let mut w = PcapWriter::new(Vec::new(), LinkType(147), 65535).unwrap();
    for i in 0..5 {
        w.packet(Timestamp::from_parts(i, 0), b"\x00\x01\x02\x03", 4)
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user0.pcap");
    fs::write(&p, w.into_inner()).unwrap();
    let out = wsclose().arg("analyze").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains(
            "5 packets with link type USER (147-162, private use) (147) were not decoded"
        ),
        "{err}"
    );
}

#[test]
fn cut_gzip_capture_reports_what_was_read() {
    use flate2::write::GzEncoder;
    use std::io::{Read, Write};
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(fixture("node-many.pcap.gz")).unwrap())
        .read_to_end(&mut plain)
        .unwrap();
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.pcap.gz");
    fs::write(&p, &gz[..gz.len() * 2 / 3]).unwrap();
    let out = wsclose()
        .args(["analyze", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = r["inputs"][0]["warnings"].to_string();
    assert!(
        warnings.contains("gzip data is damaged or cut short"),
        "{warnings}"
    );
    // Said once: not also as a record "cut short" at an offset into the decompressed data.
    assert_eq!(
        r["inputs"][0]["warnings"].as_array().unwrap().len(),
        1,
        "{warnings}"
    );
    assert!(r["inputs"][0]["packets"].as_u64().unwrap() > 10);
}

#[test]
fn gzip_of_something_else_and_tiny_text_are_not_captures() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"just some text, not a capture\n").unwrap();
    fs::write(&p, gz.finish().unwrap()).unwrap();
    let out = wsclose().arg("analyze").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("decompressed, is not a pcap"));
    let t = dir.path().join("hi.txt");
    fs::write(&t, "hi\n").unwrap();
    let out = wsclose().arg("analyze").arg(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("not a pcap or pcapng capture (it starts with 68 69 0a"));
}

#[test]
fn one_unreadable_input_among_several_still_reports_the_others_and_exits_3() {
    let out = wsclose()
        .args([
            "analyze",
            "--format",
            "json",
            &fixture("node-close-1008.pcap"),
            "no/such.pcap",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["connections"][0]["status"]["code"], 1008);
    assert!(r["inputs"][1]["error"]
        .as_str()
        .unwrap()
        .contains("no such file"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the other inputs were analyzed"));
}

/// `wsclose analyze --format json FILE`: the report, parsed, and what went to standard error.
fn json_report(p: &std::path::Path) -> (serde_json::Value, String) {
    let out = wsclose()
        .args(["analyze", "--format", "json"])
        .arg(p)
        .output()
        .unwrap();
    let r = serde_json::from_slice(&out.stdout).unwrap();
    (r, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Rewrites a little-endian pcap, cutting every record to at most `snaplen` bytes.
fn with_snaplen(data: &[u8], snaplen: usize) -> Vec<u8> {
    let mut out = data[..24].to_vec();
    let mut at = 24;
    while at + 16 <= data.len() {
        let caplen = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        let keep = caplen.min(snaplen);
        let mut h = data[at..at + 16].to_vec();
        h[8..12].copy_from_slice(&(keep as u32).to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(&data[at + 16..at + 16 + keep]);
        at += 16 + caplen;
    }
    out
}

#[test]
fn snaplen_cut_capture_says_so_and_invents_nothing() {
    let data = fs::read(fixture("node-close-1008.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("snap.pcap");
    let cut_at = |snaplen: usize| {
        fs::write(&p, with_snaplen(&data, snaplen)).unwrap();
        json_report(&p)
    };
    // 80 bytes keep the headers and the first bytes of each payload only.
    let (r, err) = cut_at(80);
    let w = r["inputs"][0]["warnings"].to_string();
    assert!(
        w.contains("cut by the capture's snap length") && w.contains("80 bytes"),
        "{w}"
    );
    // The close frames (2 + 2 + 13 bytes of payload) fit in 80 bytes; nothing else is made up.
    for c in r["connections"].as_array().unwrap() {
        for f in c["close_frames"].as_array().unwrap() {
            assert_eq!(f["code"], 1008, "{f}");
        }
    }
    // Only the start of the upgrade request is captured: its absence is not claimed.
    if r["connections"].as_array().unwrap().is_empty() {
        assert!(
            err.contains("packets were cut by the snap length, so one may be in what is missing"),
            "{err}"
        );
    }
    // 200 bytes cut only the upgrade request (packet 4): the connection is found by the
    // server's 101, and both closes are decoded.
    let (r, _) = cut_at(200);
    let c = &r["connections"][0];
    assert_eq!(c["status"]["code"], 1008, "{c}");
    assert_eq!(c["handshake"]["cut"], "snaplen", "{c}");
    // The client's frames after the cut request are found by the probe (issue 32): its
    // reply is decoded, so the server's view is known.
    assert_eq!(c["seen_by"]["client"], 1008, "{c}");
    assert_eq!(c["seen_by"]["server"], 1008, "{c}");
    assert_eq!(c["decoded_to_end"]["client"], true, "{c}");
    let out = wsclose()
        .args(["analyze", "--color", "never"])
        .arg(&p)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    // The client's reply in the row: the same code and reason ("echoed"), or its own.
    assert!(
        table.contains("client echoed") || table.contains("client 1008"),
        "{table}"
    );
}

#[test]
fn a_connection_open_at_the_cut_of_a_truncated_file_says_the_file_is_cut() {
    let data = fs::read(fixture("node-close-1008.pcap")).unwrap();
    // Keep the header and the first 7 records (handshake and a message), then half a record.
    let mut end = 24;
    for _ in 0..7 {
        let caplen = u32::from_le_bytes(data[end + 8..end + 12].try_into().unwrap()) as usize;
        end += 16 + caplen;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.pcap");
    fs::write(&p, &data[..end + 20]).unwrap();
    let (r, _) = json_report(&p);
    let s = &r["connections"][0]["status"];
    assert!(s["code"].is_null());
    assert!(
        s["cause"]
            .as_str()
            .unwrap()
            .contains("capture file stops early"),
        "{s}"
    );
}

/// A report that cannot be written (standard output on a full disk) is said and exits 6,
/// never 0 with a cut report.
#[test]
fn a_report_that_cannot_be_written_exits_6() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        skip::skipped(format_args!("skipped: no /dev/full here"));
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "fixtures/python-close-1001.pcap"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the report"), "{err}");
}

/// Standard output opened on /dev/full (every write fails: no space), if there is one.
fn dev_full() -> Option<std::fs::File> {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    if full.is_err() {
        skip::skipped(format_args!("skipped: no /dev/full here"));
    }
    full.ok()
}

/// The write end of a pipe whose read end is already closed: every write fails with a
/// broken pipe, as `wsclose ... | true` or `| head -1` meets it.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// (exit code, standard error) of `wsclose ARGS` with standard output `out`.
fn run_into(args: &[&str], out: impl Into<std::process::Stdio>) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(out)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Everything wsclose prints on standard output, clap's help and version included, meets a
/// full disk with exit 6 and a message, and a closed pipe with success; never a panic.
#[test]
fn every_printing_command_exits_6_on_a_full_disk_and_0_on_a_closed_pipe() {
    let cases: [&[&str]; 10] = [
        &["completions", "bash"],
        &["wireshark-plugin"],
        &["completions", "zsh"],
        &["man"],
        &["man", "analyze"],
        &["codes"],
        &["explain", "1006"],
        &["schema"],
        &["--help"],
        &["--version"],
    ];
    for args in cases
        .iter()
        .chain([&["analyze", "--help"] as &[&str]].iter())
    {
        let Some(full) = dev_full() else { return };
        let (code, err) = run_into(args, full);
        assert_eq!(code, Some(6), "{args:?} > /dev/full: {err}");
        assert!(err.contains("cannot write"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let (code, err) = run_into(args, closed_pipe());
        assert_eq!(code, Some(0), "{args:?} | true: {err}");
        assert!(err.is_empty(), "{args:?} | true: {err}");
    }
}

/// `extract --redact` names the connection on standard error without its addresses (the
/// extract itself keeps them: it is the capture); without --redact they are said.
#[test]
fn extract_redact_does_not_print_the_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("one.pcapng");
    for (redact, says) in [(true, false), (false, true)] {
        let mut cmd = wsclose();
        cmd.args([
            "extract",
            &fixture("node-close-1008.pcap"),
            "--connection",
            "1",
        ])
        .arg("-w")
        .arg(&out);
        if redact {
            cmd.arg("--redact");
        }
        let run = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{err}");
        assert!(err.contains("packets of connection 1"), "{err}");
        assert_eq!(err.contains("127.0.0.1"), says, "redact {redact}: {err}");
        assert_eq!(err.contains('→'), says, "redact {redact}: {err}");
    }
}

/// `--threads` above 64 (which aborted the process, exit 134, once a large file was shared
/// among that many threads) is refused before anything is read, with the limit; 64 runs.
#[test]
fn too_many_threads_are_refused_with_the_limit() {
    for command in ["analyze", "extract"] {
        let out = wsclose()
            .args([
                command,
                &fixture("python-close-1001.pcap"),
                "--threads",
                "100000",
            ])
            .args(
                ["--connection", "1", "-w", "-"]
                    .iter()
                    .filter(|_| command == "extract"),
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("give at most 64"), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = wsclose()
        .args([
            "analyze",
            &fixture("python-close-1001.pcap"),
            "--threads",
            "64",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

// ---------------------------------------------------------------------------------------
// Inputs read as streams: a FIFO, a /dev/fd path of a pipe, standard input. Each run has a
// time limit, so that a run that waits forever fails instead of hanging the tests.

/// The longest a run on a small stream may take (a debug build reads it in well under 1 s).
const STREAM_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// The SHA-256 of `bytes`, in hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `bytes` made a classic pcap with a record in the middle whose captured length is
/// 0xFFFFFFF0 (reading stops there, before the end of the input).
fn with_a_huge_record_after_the_first(bytes: &[u8]) -> Vec<u8> {
    let first_end = 24 + 16 + u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let mut out = bytes[..first_end].to_vec();
    for v in [0u32, 0, 0xffff_fff0, 0xffff_fff0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&bytes[first_end..]);
    out
}

/// A FIFO given as the input (`mkfifo p; cat x.pcap > p & wsclose analyze p`) is opened
/// once and read as a stream: analyzed whole, whatever the format; the Markdown report's
/// SHA-256 is the one of the bytes written into it, computed as they were read (the FIFO is
/// not opened again to hash it); when reading stops before the end of the stream (a damaged
/// record, and megabytes after it), the Markdown says the hash is unknown rather than
/// hashing part of it.
#[cfg(unix)]
#[test]
fn a_fifo_is_read_once_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let bytes = fs::read(fixture("node-close-1008.pcap")).unwrap();
    // Damaged, with more after the damage than the reader holds: reading stops there.
    let mut damaged = with_a_huge_record_after_the_first(&bytes);
    damaged.resize(damaged.len() + (8 << 20), 0);
    // One writer per run, each writing the whole capture and closing the FIFO. A writer
    // whose run never opens the FIFO stays blocked in its open: it is not waited for.
    let run = |data: Vec<u8>, format: &str| {
        let path = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = fs::OpenOptions::new().write(true).open(path).unwrap();
            let _ = f.write_all(&data);
        });
        let out = wsclose()
            .args(["analyze", "--format", format])
            .arg(&fifo)
            .timeout(STREAM_LIMIT)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stdout, stderr)
    };
    let (code, out, err) = run(bytes.clone(), "json");
    assert_eq!(code, Some(0), "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["connections"][0]["status"]["code"], 1008, "{err}");
    assert_eq!(r["inputs"][0]["packets"], 13);
    assert_eq!(
        r["inputs"][0]["bytes"],
        serde_json::Value::Null,
        "a FIFO has no size"
    );
    let (code, out, err) = run(bytes.clone(), "markdown");
    assert_eq!(code, Some(0), "{err}");
    let want = format!(", SHA-256 {}, pcap", sha256_hex(&bytes));
    assert!(out.contains(&want), "{want} not in:\n{out}\n{err}");
    let (code, out, err) = run(damaged, "markdown");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("reading stopped"), "{err}");
    assert!(
        out.contains(", SHA-256 unknown (reading stopped before the end of the stream), pcap"),
        "{out}"
    );
}

/// The output of `cmd` (its standard input as set), killed if it runs longer than `limit`
/// (assert_cmd's own time limit comes with its own standard input).
fn output_within(
    mut cmd: std::process::Command,
    limit: std::time::Duration,
) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}: killed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A `/dev/fd` path of a pipe (what a shell's process substitution `<(cat x.pcap)` gives)
/// is read once as a stream: not "the file is empty" because a first open took its bytes.
/// gzip through the pipe too, and its Markdown hash is that of the compressed bytes.
/// `extract`, which reads its capture twice, refuses it with exit 2 as it refuses `-`.
#[cfg(target_os = "linux")]
#[test]
fn a_dev_fd_path_of_a_pipe_is_read_once_as_a_stream() {
    use std::io::Write;
    let bytes = fs::read(fixture("node-close-1008.pcap")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let gzipped = gz.finish().unwrap();
    // The pipe is the child's standard input, named by its /dev/fd path, not by `-`.
    let run = |data: &[u8], args: &[&str]| {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let data = data.to_vec();
        let feeding = std::thread::spawn(move || {
            let _ = writer.write_all(&data);
        });
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wsclose"));
        cmd.args(args).stdin(reader);
        let out = output_within(cmd, STREAM_LIMIT);
        drop(feeding);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stdout, stderr)
    };
    let (code, out, err) = run(&bytes, &["analyze", "--format", "json", "/dev/fd/0"]);
    assert_eq!(code, Some(0), "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["connections"][0]["status"]["code"], 1008, "{err}");
    assert_eq!(r["inputs"][0]["packets"], 13);
    let (code, out, err) = run(&gzipped, &["analyze", "--format", "markdown", "/dev/fd/0"]);
    assert_eq!(code, Some(0), "{err}");
    let want = format!(", SHA-256 {}, pcap", sha256_hex(&gzipped));
    assert!(out.contains(&want), "{want} not in:\n{out}\n{err}");
    let out_file = tempfile::tempdir().unwrap().path().join("one.pcap");
    let args = [
        "extract",
        "--connection",
        "1",
        "-w",
        out_file.to_str().unwrap(),
        "/dev/fd/0",
    ];
    let (code, _, err) = run(&bytes, &args);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("needs a regular file, not /dev/fd/0"), "{err}");
}

/// Standard input that is not a capture, or whose header is cut short, is named from the
/// bytes read from it (not from a second open of a file named `-`).
#[test]
fn standard_input_that_is_no_capture_is_quoted() {
    let out = wsclose()
        .args(["analyze", "-"])
        .write_stdin("hello, not a capture")
        .timeout(STREAM_LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(it starts with 68 65 6c 6c \"hell\")"),
        "{err}"
    );
    let header = fs::read(fixture("node-close-1008.pcap")).unwrap()[..10].to_vec();
    let out = wsclose()
        .args(["analyze", "-"])
        .write_stdin(header)
        .timeout(STREAM_LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("capture header is cut short (10 bytes)"),
        "{err}"
    );
}

/// More threads than cores are not started (they would only take turns): the note says how
/// many are used, and the report is the one fewer threads give.
#[test]
fn threads_beyond_the_cores_are_not_started() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let asked = (cores + 6).to_string();
    let run = |threads: &str| {
        wsclose()
            .args([
                "analyze",
                &fixture("node-many.pcap.gz"),
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .output()
            .unwrap()
    };
    let many = run(&asked);
    assert_eq!(many.status.code(), Some(0));
    let err = String::from_utf8_lossy(&many.stderr);
    assert!(
        err.contains(&format!("--threads {asked}: using {cores} (one per core")),
        "{err}"
    );
    let fewer = run(&cores.to_string());
    assert!(!String::from_utf8_lossy(&fewer.stderr).contains("using"));
    let strip = |o: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(o).unwrap();
        v.as_object_mut().unwrap().remove("command");
        v
    };
    assert_eq!(strip(&many.stdout), strip(&fewer.stdout));
}

/// `live --duration` takes a number of seconds, 0 or more and finite: `-1`, `nan`, `inf`
/// and one too large for a span of time are usage errors (exit 2) that say what it takes,
/// not a panic (101), and they are refused before any interface is opened (so with or
/// without the `live` feature, and without root).
#[test]
fn live_duration_that_is_no_span_of_time_is_a_usage_error() {
    for bad in ["-1", "nan", "NaN", "inf", "-inf", "1e300", "-0.5", "soon"] {
        // `--duration=-inf`: as two words, clap takes `-inf` for flags.
        let out = wsclose()
            .args(["live", "-i", "nosuchif0", &format!("--duration={bad}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--duration {bad}: {err}");
        assert!(err.contains("--duration"), "--duration {bad}: {err}");
        assert!(err.contains("seconds"), "--duration {bad}: {err}");
        assert!(!err.contains("panicked"), "--duration {bad}: {err}");
    }
}

/// A `WSCLOSE_RUN_ID` that cannot be a run id (a slash, a space, 129 characters, a letter
/// outside ASCII, empty) is refused with exit 2 and a message that names it, by `analyze`
/// and before any record is written; a valid one is every record's `run_id` (issue 93 item
/// 10: an invalid one was replaced by a made-up id, silently).
#[test]
fn an_invalid_run_id_is_refused() {
    let input = fixture("node-close-1000-server.pcap");
    let long = "a".repeat(129);
    for bad in ["ci/job/42", "job 42", long.as_str(), "caf\u{e9}", ""] {
        let out = wsclose()
            .env("WSCLOSE_RUN_ID", bad)
            .args(["analyze", &input, "--format", "jsonl"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(out.stdout.is_empty(), "{bad:?}");
        assert!(
            err.contains("WSCLOSE_RUN_ID") && err.contains("1 to 128 ASCII letters"),
            "{bad:?}: {err}"
        );
    }
    let good = "a".repeat(128);
    let out = wsclose()
        .env("WSCLOSE_RUN_ID", &good)
        .args(["analyze", &input, "--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() > 1);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["run_id"], good.as_str(), "{line}");
    }
}

/// The systemd unit's pipeline (`journalctl -u wsclose -o cat | jq …`, its own comment)
/// reads the journal, where the notes wsclose writes on standard error sit between the JSON
/// lines of standard output: run on a run's two streams merged as the journal holds them,
/// with a note among them (`--max-flows 1` evicts), it succeeds and gives every record
/// (issue 104, item 12).
#[test]
fn the_units_journal_pipeline_reads_the_records_among_the_notes() {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        skip::skipped(format_args!("no jq here"));
        return;
    }
    let unit = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/monitoring/wsclose.service"
    ))
    .unwrap();
    let start = "journalctl -u wsclose -o cat | ";
    let at = unit
        .find(start)
        .expect("the unit says how to read its lines")
        + start.len();
    let filter: String = unit[at..]
        .chars()
        .take_while(|c| !matches!(c, '`' | ')' | '\n'))
        .collect();
    let merged = std::process::Command::new("bash")
        .args([
            "-c",
            "\"$0\" analyze --format jsonl --max-flows 1 \"$1\" 2>&1",
            &assert_cmd::cargo::cargo_bin("wsclose")
                .display()
                .to_string(),
            &fixture("node-many.pcap.gz"),
        ])
        .output()
        .unwrap();
    let merged = String::from_utf8(merged.stdout).unwrap();
    assert!(
        merged.lines().any(|l| l.starts_with("wsclose: ")),
        "no note among the lines: {merged}"
    );
    let mut jq = std::process::Command::new("bash")
        .args(["-c", &filter])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut jq.stdin.take().unwrap(), merged.as_bytes()).unwrap();
    let out = jq.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{filter}: {err}");
    let text = String::from_utf8(out.stdout).unwrap();
    let records: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    let json_lines = merged.lines().filter(|l| l.starts_with('{')).count();
    assert_eq!(records.len(), json_lines, "{text}");
    assert!(records.iter().all(|r| r["type"].is_string()), "{text}");
}
