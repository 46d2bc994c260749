//! `community_id` against the reference implementation, `--format jsonl` against the JSON
//! contract, and `--export-*`: one run's exports the same bytes as separate runs', each the
//! format's own report, and never written over an input.

use crate::common::skip;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Runs wsclose from the repository root (paths in reports relative and stable), quiet
/// unless the test asks; stdout, stderr and the exit code.
fn run(args: &[&str]) -> (Vec<u8>, String, Option<i32>) {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .current_dir(MANIFEST)
        .env("COLUMNS", "100")
        .env_remove("SSLKEYLOGFILE")
        // One run id for every run: the records of two runs compare byte for byte.
        .env("WSCLOSE_RUN_ID", "test-run")
        .args(args)
        .output()
        .unwrap();
    (
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

fn stdout(args: &[&str]) -> Vec<u8> {
    let (out, err, code) = run(args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

fn json(args: &[&str]) -> Value {
    serde_json::from_slice(&stdout(args)).unwrap()
}

/// Values computed by the reference implementation, the `communityid` Python package
/// 1.5.0, from the endpoints tshark shows for each fixture's TCP connection:
/// `communityid.CommunityID(0).calc(communityid.FlowTuple.make_tcp(client_ip, server_ip,
/// client_port, server_port))`.
const REFERENCE: &[(&str, &str, &str, &str)] = &[
    // IPv6 (loopback: the ports alone order the endpoints).
    (
        "fixtures/node-ipv6.pcap",
        "[::1]:31015",
        "[::1]:9015",
        "1:60EMjCkCSBGMBP9I1qm4ajsGAJc=",
    ),
    // IPv4, the client's address the lower.
    (
        "fixtures/path/forged-rst.pcap",
        "10.77.0.2:31803",
        "10.77.0.3:18803",
        "1:Ko6BlIXnOvxxAR/O77j4azRCcwE=",
    ),
    // IPv4 loopback, the server's port the lower.
    (
        "fixtures/node-close-1008.pcap",
        "127.0.0.1:31007",
        "127.0.0.1:9008",
        "1:+aSFnhTV9MxcSCNWZv+AZfQIL5E=",
    ),
];

#[test]
fn community_id_is_the_reference_implementations() {
    for (fixture, client, server, want) in REFERENCE {
        let r = json(&["analyze", "-q", "--format", "json", fixture]);
        let c = &r["connections"][0];
        assert_eq!(c["client"], *client, "{fixture}");
        assert_eq!(c["server"], *server, "{fixture}");
        assert_eq!(c["community_id"], *want, "{fixture}");
        // The JSON Lines carry the same.
        let lines = stdout(&["analyze", "-q", "--format", "jsonl", fixture]);
        let first: Value =
            serde_json::from_slice(lines.split(|&b| b == b'\n').next().unwrap()).unwrap();
        assert_eq!(first["community_id"], *want, "{fixture}");
    }
}

/// Where the reference implementation is installed (`pip install communityid`): every
/// connection of every fixture, IPv4 and IPv6, computed by it.
#[test]
fn community_id_of_every_fixture_is_the_installed_reference_implementations() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import communityid"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        skip::skipped(format_args!(
            "python3 with communityid not installed (pip install communityid)"
        ));
        return;
    }
    let mut flows = Vec::new();
    for f in ["fixtures/node-ipv6.pcap", "fixtures/node-many.pcap.gz"]
        .into_iter()
        .chain([
            "fixtures/path/half-open.pcap",
            "fixtures/connect/squid-connect-ws-py.pcap",
        ])
    {
        let r = json(&["analyze", "-q", "--format", "json", f]);
        for c in r["connections"].as_array().unwrap() {
            let split = |h: &Value| {
                let h = h.as_str().unwrap();
                let (a, p) = h.rsplit_once(':').unwrap();
                (a.trim_matches(['[', ']']).to_string(), p.to_string())
            };
            let ((ca, cp), (sa, sp)) = (split(&c["client"]), split(&c["server"]));
            flows.push((
                ca,
                cp,
                sa,
                sp,
                c["community_id"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert!(flows.len() > 5);
    let script = "import sys, communityid as c\n\
        cid = c.CommunityID(0)\n\
        for line in sys.stdin:\n\
        \x20   a, ap, b, bp = line.split()\n\
        \x20   print(cid.calc(c.FlowTuple.make_tcp(a, b, int(ap), int(bp))))\n";
    let input: String = flows
        .iter()
        .map(|(a, ap, b, bp, _)| format!("{a} {ap} {b} {bp}\n"))
        .collect();
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let theirs: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    let ours: Vec<&str> = flows.iter().map(|f| f.4.as_str()).collect();
    assert_eq!(ours, theirs);
}

#[test]
fn redacted_reports_have_no_community_id() {
    for format in ["json", "jsonl"] {
        let out = stdout(&[
            "analyze",
            "-q",
            "--redact",
            "--format",
            format,
            "fixtures/node-many.pcap.gz",
        ]);
        let text = String::from_utf8(out).unwrap();
        let mut seen = 0;
        for line in text.lines().filter(|l| l.contains("\"community_id\"")) {
            assert!(
                line.contains("\"community_id\": null") || line.contains("\"community_id\":null"),
                "{line}"
            );
            seen += 1;
        }
        assert!(seen > 1, "{format}");
        assert!(!text.contains("\"1:"), "{format}");
    }
}

/// Each line parses; one per connection, the JSON contract's connection object with
/// `"type": "connection"` added, in order; then the summary line, the contract's other
/// fields with `"type": "summary"`. With several inputs, key logs and the timeline too.
#[test]
fn jsonl_is_the_json_contract_a_line_a_connection_then_the_summary() {
    for args in [
        &["fixtures/node-many.pcap.gz"][..],
        &[
            "--timeline",
            "fixtures/h2/hypercorn-h2c-upgrade.pcap",
            "fixtures/node-ipv6.pcap",
        ],
        &["--redact", "fixtures/node-close-hostile-reason.pcap"],
        &["--connection", "2", "fixtures/node-many.pcap.gz"],
    ] {
        let with = |format: &str| {
            let mut a = vec!["analyze", "-q", "--format", format];
            a.extend_from_slice(args);
            stdout(&a)
        };
        let mut whole: Value = serde_json::from_slice(&with("json")).unwrap();
        let text = String::from_utf8(with("jsonl")).unwrap();
        assert!(text.ends_with('\n'), "{args:?}");
        let lines: Vec<&str> = text.lines().collect();
        let connections = whole["connections"].as_array().unwrap().clone();
        assert!(!connections.is_empty(), "{args:?}");
        assert_eq!(lines.len(), connections.len() + 1, "{args:?}");
        for (line, c) in lines.iter().zip(&connections) {
            let mut v: Value = serde_json::from_str(line).unwrap();
            let o = v.as_object_mut().unwrap();
            assert_eq!(
                o.remove("type"),
                Some(Value::from("connection")),
                "{args:?}"
            );
            for k in ENVELOPE {
                assert!(o.remove(k).is_some(), "{args:?}: {k}");
            }
            assert_eq!(&v, c, "{args:?}");
        }
        let mut last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
        let o = last.as_object_mut().unwrap();
        assert_eq!(o.remove("type"), Some(Value::from("summary")));
        for k in ENVELOPE.iter().chain(&["statuses"]) {
            assert!(o.remove(*k).is_some(), "{args:?}: {k}");
        }
        // The command differs by its --format; the rest is the contract's.
        for v in [&mut last, &mut whole] {
            v.as_object_mut().unwrap().remove("command");
        }
        whole.as_object_mut().unwrap().remove("connections");
        assert_eq!(last, whole, "{args:?}");
    }
}

/// The record envelope's fields but `type` (docs/json.md, "Records").
const ENVELOPE: [&str; 12] = [
    "record_version",
    "run_id",
    "input_path",
    "uid",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "ts",
    "ts_epoch",
    "start_epoch",
    "end_epoch",
];

/// Two runs over the same capture: the same uids, in the same order, and each run's own
/// run id on every one of its records; the input's path on each connection; the split
/// addresses those of `client` and `server` (IPv6 as RFC 5952 writes it).
#[test]
fn records_say_their_run_their_input_and_a_stable_uid() {
    let args = [
        "analyze",
        "-q",
        "--format",
        "jsonl",
        "fixtures/node-many.pcap.gz",
        "fixtures/node-ipv6.pcap",
    ];
    let parse = |out: Vec<u8>| -> Vec<Value> {
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let own_id = || {
        Command::cargo_bin("wsclose")
            .unwrap()
            .current_dir(MANIFEST)
            .env_remove("WSCLOSE_RUN_ID")
            .args(args)
            .output()
            .unwrap()
            .stdout
    };
    let (a, b) = (parse(own_id()), parse(own_id()));
    assert_eq!(parse(stdout(&args))[0]["run_id"], "test-run");
    assert_eq!(a.len(), b.len());
    let run = |r: &[Value]| r[0]["run_id"].as_str().unwrap().to_string();
    assert_ne!(run(&a), run(&b), "a run id of each run");
    let mut uids = std::collections::BTreeSet::new();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["run_id"], run(&a).as_str());
        assert_eq!(y["run_id"], run(&b).as_str());
        if x["type"] != "connection" {
            continue;
        }
        assert_eq!(x["uid"], y["uid"]);
        assert!(uids.insert(x["uid"].as_str().unwrap().to_string()), "{x}");
        let input = x["input"].as_u64().unwrap() as usize;
        assert_eq!(x["input_path"], args[4 + input]);
        for side in ["client", "server"] {
            let text = x[side].as_str().unwrap();
            let (ip, port) = text.rsplit_once(':').unwrap();
            assert_eq!(x[format!("{side}_ip")], ip.trim_matches(['[', ']']));
            assert_eq!(x[format!("{side}_port")], port.parse::<u64>().unwrap());
        }
        assert!(x["ts_epoch"].as_f64().unwrap() >= x["start_epoch"].as_f64().unwrap());
    }
    assert!(uids.len() > 5);
    assert!(a.iter().any(|r| r["client_ip"] == "::1"));
}

/// A scratch directory of its own, removed when dropped.
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(std::env::temp_dir())
        .unwrap()
}

const EXPORTS: [(&str, &str); 5] = [
    ("--export-json", "json"),
    ("--export-jsonl", "jsonl"),
    ("--export-markdown", "markdown"),
    ("--export-html", "html"),
    ("--export-csv", "csv"),
];

/// One run writing every export gives the same bytes as a run per export; and each is what
/// `--format` writes alone but for the command line it records (the CSV has none: the very
/// same bytes). With a Markdown and an HTML export the analysis keeps HTML's longer frame
/// log, which the Markdown report must not show.
#[test]
fn one_run_exports_what_separate_runs_write() {
    let dir = scratch("wsclose-exports");
    let at = |run: &str, ext: &str| dir.path().join(format!("{run}.{ext}"));
    for (case, args) in [
        ("plain", &["fixtures/node-many.pcap.gz"][..]),
        // Frames past Markdown's 12 each way (148 one way), HTTP/2, TLS: what the frame log
        // changes.
        (
            "h2",
            &[
                "--keylog",
                "fixtures/tls/firefox-haproxy-h2-close-1000.keylog",
                "fixtures/tls/firefox-haproxy-h2-close-1000.pcap",
                "fixtures/h2/hypercorn-h2c-upgrade.pcap",
                "fixtures/path/python-slow-reader.pcap",
                "fixtures/app/mqttjs-v5-publish-disconnect.pcap",
            ],
        ),
        (
            "timeline",
            &["--timeline", "--redact", "fixtures/python-close-1002.pcap"],
        ),
    ] {
        let mut all = vec!["analyze".to_string(), "-q".into()];
        all.extend(args.iter().map(|a| a.to_string()));
        for (flag, ext) in EXPORTS {
            all.push(flag.into());
            all.push(at(&format!("{case}-all"), ext).display().to_string());
        }
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let table = stdout(&all);
        assert!(!table.is_empty(), "standard output keeps its table");
        for (flag, ext) in EXPORTS {
            let alone = at(&format!("{case}-alone"), ext).display().to_string();
            let mut one = vec!["analyze", "-q"];
            one.extend_from_slice(args);
            one.extend([flag, alone.as_str()]);
            assert_eq!(stdout(&one), table, "{case} {flag}: the same table");
            let together = std::fs::read(at(&format!("{case}-all"), ext)).unwrap();
            let apart = std::fs::read(&alone).unwrap();
            assert!(together.len() > 100, "{case} {flag}");
            assert!(together == apart, "{case} {flag}: not the same bytes");
            // And what --format writes, the command line aside.
            let mut format = vec!["analyze", "-q", "--format", ext];
            format.extend_from_slice(args);
            let printed = String::from_utf8(stdout(&format)).unwrap();
            let command = |text: &str| {
                text.replacen(
                    &format!("wsclose analyze -q --format {ext} "),
                    "wsclose analyze -q ",
                    1,
                )
            };
            let together = String::from_utf8(together).unwrap();
            if ext == "csv" {
                assert_eq!(together, printed, "{case}");
            } else if args.contains(&"--redact") {
                // No command line in a redacted report.
                assert_eq!(together, printed, "{case} {flag}");
            } else {
                let line = "wsclose analyze -q --format";
                assert!(printed.contains(line), "{case} {flag}");
                assert_eq!(together, command(&printed), "{case} {flag}");
            }
        }
    }
}

#[test]
fn exports_are_refused_over_an_input_standard_output_or_each_other() {
    let dir = scratch("wsclose-refused");
    let input = dir.path().join("in.pcap");
    std::fs::copy(
        Path::new(MANIFEST).join("fixtures/node-close-1008.pcap"),
        &input,
    )
    .unwrap();
    let before = std::fs::read(&input).unwrap();
    let input_s = input.display().to_string();
    let out = dir.path().join("out.json").display().to_string();
    let keylog = Path::new(MANIFEST).join("fixtures/tls/firefox-haproxy-h2-close-1000.keylog");
    let keylog_s = keylog.display().to_string();
    for (args, says) in [
        (vec!["--export-html", input_s.as_str()], "is an input"),
        (
            vec![
                "--export-csv",
                keylog_s.as_str(),
                "--keylog",
                keylog_s.as_str(),
            ],
            "is an input",
        ),
        (vec!["--export-json", "-"], "standard output"),
        (
            vec!["--export-json", &out, "--export-jsonl", &out],
            "give each its own file",
        ),
        (
            vec!["--export-json", &out, "--annotate", &out],
            "give each its own file",
        ),
    ] {
        let mut all = vec!["analyze", input_s.as_str()];
        all.extend(args.iter());
        let (stdout, err, code) = run(&all);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(stdout.is_empty(), "{args:?}: nothing analysed");
        assert!(!Path::new(&out).exists(), "{args:?}");
    }
    assert_eq!(std::fs::read(&input).unwrap(), before);
    // Refused through another name for the same file, too.
    let link = dir.path().join("link.pcap");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    let (_, err, code) = run(&[
        "analyze",
        &input_s,
        "--export-markdown",
        &link.display().to_string(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

/// An export replaces an existing file whole, keeps its mode, and leaves no temporary
/// file; a new one is 0666 less the umask (a report holds no secret); `-q` keeps the
/// note that says where it went off standard error.
#[test]
fn an_export_is_renamed_into_place() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("wsclose-export-file");
    let old = dir.path().join("old.md");
    std::fs::write(&old, "x".repeat(1 << 20)).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o640)).unwrap();
    let new = dir.path().join("new.jsonl");
    let (old_s, new_s) = (old.display().to_string(), new.display().to_string());
    let (_, err, code) = run(&[
        "analyze",
        "fixtures/node-close-1008.pcap",
        "--export-markdown",
        &old_s,
        "--export-jsonl",
        &new_s,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("wrote the Markdown report to"), "{err}");
    assert!(err.contains("wrote the JSON Lines report to"), "{err}");
    let md = std::fs::read_to_string(&old).unwrap();
    assert!(md.contains("1008") && !md.contains("xxxx"));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&old), 0o640);
    assert_eq!(
        mode(&new) & 0o600,
        0o600,
        "readable and writable by its owner"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let (_, err, _) = run(&[
        "analyze",
        "-q",
        "fixtures/node-close-1008.pcap",
        "--export-csv",
        &new_s,
    ]);
    assert!(err.is_empty(), "{err}");
}

/// The fixture's close reason (an escape sequence, a pipe, a backtick, HTML, a newline):
/// escaped, never a line break inside a line, and read back exactly.
#[test]
fn a_hostile_reason_stays_on_its_line() {
    let out = String::from_utf8(stdout(&[
        "analyze",
        "-q",
        "--format",
        "jsonl",
        "fixtures/node-close-hostile-reason.pcap",
    ]))
    .unwrap();
    assert!(!out.contains('\x1b'));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    let c: Value = serde_json::from_str(lines[0]).unwrap();
    let frames = c["close_frames"].as_array().unwrap();
    assert_eq!(frames.len(), 2);
    for f in frames {
        assert_eq!(
            f["reason"],
            "\x1b[31mred\x1b[0m | `tick` <b>x</b>\nsecond line"
        );
    }
}

/// The CSV's last column is each connection's `community_id`, the JSON's (empty when
/// redacted); the columns before it keep their order.
#[test]
fn the_csv_carries_each_connections_community_id() {
    for fixture in [
        "fixtures/node-close-1008.pcap",
        "fixtures/node-many.pcap.gz",
    ] {
        let r = json(&["analyze", "-q", "--format", "json", fixture]);
        let want: Vec<&str> = r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["community_id"].as_str().unwrap())
            .collect();
        for redact in [false, true] {
            let mut args = vec!["analyze", "-q", "--format", "csv"];
            if redact {
                args.push("--redact");
            }
            args.push(fixture);
            let csv = stdout(&args);
            let mut rows = csv::Reader::from_reader(&csv[..]);
            let header = rows.headers().unwrap().clone();
            // Column 27, where it was the last: later columns are appended after it.
            assert_eq!(header.get(26), Some("community_id"), "{fixture}");
            assert_eq!(header.get(0), Some("id"));
            assert_eq!(header.get(25), Some("tcp_rst_after_fin"));
            let got: Vec<String> = rows
                .records()
                .map(|r| r.unwrap().get(26).unwrap().to_string())
                .collect();
            assert_eq!(got.len(), want.len(), "{fixture}");
            if redact {
                assert!(got.iter().all(String::is_empty), "{fixture}: {got:?}");
            } else {
                assert_eq!(got, want, "{fixture}");
            }
        }
    }
}

/// A TLS connection listed in `seen.encrypted` (no key log) carries its TCP connection's
/// `community_id`: the one the same connection has when its key log decrypts it, and null
/// when redacted.
#[test]
fn encrypted_connections_carry_community_id() {
    for stem in [
        "fixtures/tls/go-tls13-aes128gcm-close-1000",
        "fixtures/tls/node-tls12-chacha20-close-1011",
    ] {
        let pcap = format!("{stem}.pcap");
        let keylog = format!("{stem}.keylog");
        let decrypted = json(&[
            "analyze", "-q", "--format", "json", "--keylog", &keylog, &pcap,
        ]);
        let c = &decrypted["connections"][0];
        let want = c["community_id"].as_str().unwrap();
        assert!(want.starts_with("1:"), "{want}");
        for redact in [false, true] {
            let mut args = vec!["analyze", "-q", "--format", "json"];
            if redact {
                args.push("--redact");
            }
            args.push(&pcap);
            // No WebSocket could be read: exit 1, the report all the same.
            let (out, err, code) = run(&args);
            assert_eq!(code, Some(1), "{pcap}: {err}");
            let r: Value = serde_json::from_slice(&out).unwrap();
            let listed = r["seen"]["encrypted"].as_array().unwrap();
            assert_eq!(listed.len(), 1, "{pcap}");
            let e = &listed[0];
            if redact {
                assert_eq!(e["community_id"], Value::Null, "{pcap}");
            } else {
                assert_eq!((&e["client"], &e["server"]), (&c["client"], &c["server"]));
                assert_eq!(e["community_id"], want, "{pcap}");
            }
        }
    }
}
