//! Key logs that would have cost memory or time without bound: malformed, endless, or a
//! FIFO with no writer.

use super::*;

/// `wsclose analyze --format json` of a plaintext fixture with `args` and `env`, killed
/// (and so failed, not hung) after `secs` seconds: its exit code, stderr and report.
fn run_cli(
    args: &[&str],
    env: &[(&str, &std::path::Path)],
    secs: u64,
) -> (Option<i32>, String, serde_json::Value) {
    let plain =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/python-close-1000-client.pcap");
    let mut cmd = assert_cmd::Command::cargo_bin("wsclose").expect("the binary");
    cmd.env_remove("SSLKEYLOGFILE")
        .args(["analyze", "--format", "json"])
        .args(args)
        .arg(&plain)
        .timeout(std::time::Duration::from_secs(secs));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let out = cmd.output().expect("it runs");
    assert!(
        out.status.code().is_some(),
        "still running after {:?}: killed",
        started.elapsed()
    );
    let json = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    )
}

/// A key log (one usable line) followed by 200 000 malformed lines: five warnings with their
/// line numbers and one that counts the rest, on standard error and in the JSON alike (not
/// 200 000 of each).
#[test]
fn malformed_key_log_lines_are_shown_five_and_counted() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let keylog = dir.path().join("bad.keylog");
    let usable = format!("CLIENT_RANDOM {} {}\n", "07".repeat(32), "11".repeat(48));
    std::fs::write(&keylog, usable + &"not a key log line\n".repeat(200_000)).expect("written");
    let (code, err, json) = run_cli(&["--keylog", keylog.to_str().expect("utf-8")], &[], 120);
    assert_eq!(code, Some(0), "{err}");
    let name = keylog.display();
    let mut want: Vec<String> = (2..=6)
        .map(|n| {
            format!(
                "key log {name} line {n}: not a key-log line (expected LABEL CLIENT_RANDOM SECRET)"
            )
        })
        .collect();
    want.push(format!(
        "key log {name}: … and 199995 more lines that could not be used (the last: line 200001)"
    ));
    let printed: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("wsclose: warning: key log"))
        .collect();
    assert_eq!(printed.len(), 6, "{err}");
    for (p, w) in printed.iter().zip(&want) {
        assert_eq!(format!("key log{p}"), *w);
    }
    assert_eq!(json["key_log_warnings"], serde_json::json!(want));
}

/// The same 200 000 lines without the usable one are no key log: exit 3, one line that
/// says what the file is and what a key log looks like, no report.
#[test]
fn a_file_of_malformed_lines_is_no_key_log_and_exits_3_in_one_line() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let keylog = dir.path().join("bad.keylog");
    std::fs::write(&keylog, "not a key log line\n".repeat(200_000)).expect("written");
    let (code, err, json) = run_cli(&["--keylog", keylog.to_str().expect("utf-8")], &[], 120);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let want = format!(
        "wsclose: {}: not a TLS key log: it is text, and none of its 200000 lines is a key-log line; a key log (NSS format",
        keylog.display()
    );
    assert!(err.starts_with(&want), "{err}");
    assert!(
        err.contains("`CLIENT_RANDOM <64 hex> <96 hex>` (TLS 1.2)"),
        "{err}"
    );
    assert_eq!(json, serde_json::Value::Null, "no report");
}

/// A key log that never ends (`/dev/zero`) is read up to 64 MiB, and the analysis ends:
/// NUL bytes are no key log, so it fails as one (exit 3), in one line.
#[test]
fn an_endless_key_log_ends() {
    let (code, err, _) = run_cli(&["--keylog", "/dev/zero"], &[], 120);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        ["wsclose: /dev/zero: not a TLS key log: it holds binary data, not text; a key log (NSS format, what SSLKEYLOGFILE makes TLS clients write) has lines `CLIENT_RANDOM <64 hex> <96 hex>` (TLS 1.2) or `CLIENT_TRAFFIC_SECRET_0 <64 hex> <64 or 96 hex>` and the other TLS 1.3 labels"]
    );
}

/// As `SSLKEYLOGFILE` (set for every program, not named for this run), the same endless
/// file only warns: read up to 64 MiB, said, and the analysis goes on.
#[test]
fn an_endless_sslkeylogfile_ends_with_a_warning() {
    let (code, err, json) = run_cli(
        &[],
        &[("SSLKEYLOGFILE", std::path::Path::new("/dev/zero"))],
        120,
    );
    assert_eq!(code, Some(0), "{err}");
    let stopped = "key log SSLKEYLOGFILE (/dev/zero): not a regular file, and still going after 64 MiB: read no further";
    assert!(err.contains(stopped), "{err}");
    assert!(json["key_log_warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w == stopped));
    assert_eq!(json["connections"][0]["status"]["code"], 1000);
}

/// A FIFO that no process writes to, as `--keylog` and as `SSLKEYLOGFILE`: read as empty,
/// at once (opening it used to wait for a writer for ever).
#[test]
fn a_key_log_fifo_without_a_writer_does_not_hang() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fifo = dir.path().join("keys.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        skip::skipped(format_args!("skipping: mkfifo could not make a FIFO here"));
        return;
    }
    let as_flag = ["--keylog", fifo.to_str().expect("utf-8")];
    for (args, env) in [
        (&as_flag[..], &[][..]),
        (&[][..], &[("SSLKEYLOGFILE", fifo.as_path())][..]),
    ] {
        let started = std::time::Instant::now();
        let (code, err, json) = run_cli(args, env, 30);
        assert_eq!(code, Some(0), "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(!err.contains("warning"), "{err}");
        assert_eq!(json["key_logs"][0]["connections"], 0);
        assert!(json["key_logs"][0].get("error").is_none(), "{json}");
    }
}
