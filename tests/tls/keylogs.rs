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

/// 200 000 malformed key-log lines: five warnings with their line numbers and one that
/// counts the rest, on standard error and in the JSON alike (not 200 000 of each).
#[test]
fn malformed_key_log_lines_are_shown_five_and_counted() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let keylog = dir.path().join("bad.keylog");
    std::fs::write(&keylog, "not a key log line\n".repeat(200_000)).expect("written");
    let (code, err, json) = run_cli(&["--keylog", keylog.to_str().expect("utf-8")], &[], 120);
    assert_eq!(code, Some(0), "{err}");
    let name = keylog.display();
    let mut want: Vec<String> = (1..=5)
        .map(|n| {
            format!(
                "key log {name} line {n}: not a key-log line (expected LABEL CLIENT_RANDOM SECRET)"
            )
        })
        .collect();
    want.push(format!(
        "key log {name}: … and 199995 more lines that could not be used (the last: line 200000)"
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

/// A key log that never ends (`/dev/zero`) is read up to 64 MiB, with a warning: the
/// analysis ends.
#[test]
fn an_endless_key_log_ends() {
    let (code, err, json) = run_cli(&["--keylog", "/dev/zero"], &[], 120);
    assert_eq!(code, Some(0), "{err}");
    let stopped =
        "key log /dev/zero: not a regular file, and still going after 64 MiB: read no further";
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
        eprintln!("skipping: mkfifo could not make a FIFO here");
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
