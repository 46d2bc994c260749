//! Finished reports kept in a temporary file beyond a budget (issues 3 and 7) change
//! nothing in any output: every format, with selection and redaction, over every fixture
//! (all at once and one by one), with 1 and 2 threads, gives the same bytes with a tiny
//! budget (nearly everything on disk) as with everything in memory (the library's
//! in-memory report, or the command line's default budget).

use crate::common::skip;

use crate::common;

use assert_cmd::Command;
use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;
use wsclose::render::{csv, html, json, markdown, table};
use wsclose::report::filter::{Selection, StatusSpec};
use wsclose::report::{redact, Report};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

const FORMATS: [&str; 5] = ["table", "json", "markdown", "csv", "html"];

/// Command-line selections and redaction, each paired with the same in library terms.
fn choices() -> Vec<(Vec<&'static str>, Selection, bool)> {
    let none = Selection::default();
    vec![
        (vec![], none.clone(), false),
        (vec!["--redact"], none.clone(), true),
        (
            vec!["--status", "1002", "--redact"],
            Selection {
                statuses: vec![StatusSpec::Codes(1002, 1002)],
                ..Selection::default()
            },
            true,
        ),
        (
            vec!["--problems"],
            Selection {
                problems: true,
                ..Selection::default()
            },
            false,
        ),
        (
            vec!["--host", "::1"],
            Selection {
                host: Some("::1".into()),
                ..Selection::default()
            },
            false,
        ),
        (
            vec!["--port", "9015"],
            Selection {
                port: Some(9015),
                ..Selection::default()
            },
            false,
        ),
        (
            vec!["--connection", "2", "--connection", "5"],
            Selection {
                connections: vec![2, 5],
                ..Selection::default()
            },
            false,
        ),
    ]
}

/// What `wsclose analyze` prints (stdout, exit code).
fn cli(files: &[PathBuf], format: &str, extra: &[&str], keep: Option<usize>) -> (String, i32) {
    let mut cmd = Command::cargo_bin("wsclose").unwrap();
    cmd.current_dir(MANIFEST)
        .env("COLUMNS", "100")
        .args(["analyze", "--color", "never", "--format", format])
        .args(extra)
        .args(files);
    let flag = keep.map(|k| format!(" --keep-reports {k}"));
    if let Some(k) = keep {
        cmd.arg("--keep-reports").arg(k.to_string());
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // The report quotes its command line: take the test's flag out of it.
    let text = match flag {
        Some(f) => text.replace(&f, ""),
        None => text,
    };
    (text, out.status.code().unwrap_or(-1))
}

#[test]
#[ignore = "long: run by .ci/run"]
fn the_command_line_prints_the_same_with_reports_on_disk() {
    let all = common::fixtures();
    let mut runs: Vec<Vec<PathBuf>> = vec![all.clone()];
    runs.extend(all.iter().map(|f| vec![f.clone()]));
    let mut selected_some = false;
    for files in &runs {
        for format in FORMATS {
            for (extra, _, _) in choices() {
                let mut extra = extra.clone();
                if format == "table" && extra.is_empty() {
                    extra.push("--timeline");
                }
                let (base, code) = cli(files, format, &extra, None);
                for keep in [0, 3] {
                    let (spilled, c) = cli(files, format, &extra, Some(keep));
                    assert_eq!(c, code, "{files:?} {format} {extra:?} keep {keep}");
                    assert!(spilled == base, "{files:?} {format} {extra:?} keep {keep}");
                }
                selected_some |= files.len() > 1 && code == 0 && !extra.is_empty();
            }
        }
    }
    assert!(selected_some);
    // --fail-on reads the stored reports too.
    let (_, code) = cli(&all, "csv", &["--fail-on", "1002"], Some(0));
    assert_eq!(code, 5);
    let (_, code) = cli(&all, "csv", &["--fail-on", "4999"], Some(0));
    assert_eq!(code, 0);
}

/// The report as `wsclose analyze` builds and prints it, through the library.
fn render(
    files: &[PathBuf],
    threads: usize,
    keep: usize,
    format: &str,
    sel: &Selection,
    redacted: bool,
) -> String {
    let opts = Options {
        threads,
        // Shard even the smallest files.
        shard_min_bytes: 0,
        keep_reports: keep,
        frame_log: match format {
            "markdown" => 12,
            "html" => html::FRAME_LOG,
            _ => 0,
        },
        ..Options::default()
    };
    let mut r: Report = if keep == usize::MAX {
        // The reference: every connection in memory, as before there was a store.
        let r = wsclose::analyze_files(files, opts).unwrap();
        assert!(r.stored.is_none());
        r
    } else {
        let r = wsclose::analyze_files_with_progress(
            files,
            opts,
            &wsclose::keys::KeySources::default(),
            None,
        )
        .unwrap();
        let stored = r.stored.as_ref().unwrap();
        // At most `keep` in memory (shared among the threads).
        assert!(stored.on_disk() >= stored.len().saturating_sub(keep));
        r
    };
    sel.apply(&mut r).unwrap();
    if redacted {
        redact::redact(&mut r);
    }
    match format {
        "json" => json::render(&r),
        "csv" => csv::render(&r),
        // Read back from the store as it is written, a part at a time.
        "html" => html::render(&r, &vec![None; files.len()]),
        "table" => {
            r.load().unwrap();
            table::render(&r, Some(100), false)
        }
        _ => {
            r.load().unwrap();
            markdown::render(&r, &vec![None; files.len()])
        }
    }
}

#[test]
#[ignore = "long: run by .ci/run"]
fn one_and_two_threads_give_the_same_with_reports_on_disk() {
    let all = common::fixtures();
    let mut runs: Vec<Vec<PathBuf>> = vec![all.clone()];
    runs.extend(all.iter().map(|f| vec![f.clone()]));
    for files in &runs {
        for format in FORMATS {
            for (_, sel, redacted) in choices() {
                let base = render(files, 1, usize::MAX, format, &sel, redacted);
                for threads in [1, 2] {
                    for keep in [0, 3] {
                        let out = render(files, threads, keep, format, &sel, redacted);
                        assert!(
                            out == base,
                            "{files:?} {format} {sel:?} {redacted} {threads} threads keep {keep}"
                        );
                    }
                }
            }
        }
    }
    // The in-memory report of the library is the same report.
    let r = wsclose::analyze_files(
        &all,
        Options {
            keep_reports: 2,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(r.stored.is_none() && r.connections.len() > 30);
    assert!(json::render(&r) == render(&all, 1, usize::MAX, "json", &Selection::default(), false));
}

/// Redacted, the encrypted connections of one capture (127.0.0.1) and the WebSocket
/// connections of another (::1) get the same pseudonyms whether the connections are read
/// back from a store or were in memory: never the encrypted ones' names for other addresses.
#[test]
fn redacted_encrypted_and_stored_connections_share_their_names() {
    let dir = PathBuf::from(MANIFEST).join("fixtures");
    let files = [
        dir.join("h2/chromium-node-h2.pcap"),
        dir.join("node-ipv6.pcap"),
    ];
    let none = Selection::default();
    for format in FORMATS {
        let base = render(&files, 1, usize::MAX, format, &none, true);
        assert!(
            !base.contains("127.0.0.1") && !base.contains("::1"),
            "{format}: {base}"
        );
        for threads in [1, 2] {
            let out = render(&files, threads, 0, format, &none, true);
            assert!(out == base, "{format} {threads} threads");
        }
    }
    let v: serde_json::Value =
        serde_json::from_str(&render(&files, 1, 0, "json", &none, true)).unwrap();
    let host = |s: &serde_json::Value| s.as_str().unwrap().rsplit_once(':').unwrap().0.to_owned();
    // 127.0.0.1 and ::1: two pseudonyms, each the same wherever it is given.
    let encrypted = &v["seen"]["encrypted"][0];
    let v4 = host(&encrypted["client"]);
    assert!(v4.starts_with("host-") && v4.len() == 11, "{v4}");
    let c = &v["connections"][0];
    assert_eq!(host(&c["client"]), host(&c["server"]));
    assert!(host(&c["client"]).starts_with("host-"));
    assert_ne!(host(&c["client"]), v4);
}

/// `wsclose analyze --format json --keep-reports 1 FILES` with TMPDIR set to `tmpdir`
/// (`None`: unset), run through `wrap` (a command and its arguments before wsclose's, or
/// nothing): the report as JSON, standard error, and the exit code.
fn json_with_tmpdir(
    files: &[PathBuf],
    tmpdir: Option<&std::path::Path>,
    wrap: &[&str],
) -> (serde_json::Value, String, Option<i32>) {
    let bin = env!("CARGO_BIN_EXE_wsclose");
    let mut cmd = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = std::process::Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => std::process::Command::new(bin),
    };
    cmd.current_dir(MANIFEST)
        .args(["analyze", "--format", "json", "--keep-reports", "1"])
        .args(files);
    match tmpdir {
        Some(d) => cmd.env("TMPDIR", d),
        None => cmd.env_remove("TMPDIR"),
    };
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (v, err, out.status.code())
}

/// TMPDIR naming a directory that cannot hold a file: the temporary files go to the
/// system's own (/tmp), and standard error and the JSON's `warnings` say so, once; the
/// report is otherwise the same.
#[test]
fn an_unusable_tmpdir_is_said_and_passed_over() {
    let all = common::fixtures();
    let (mut base, _, code) = json_with_tmpdir(&all, None, &[]);
    assert_eq!(code, Some(0));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let (mut v, err, code) = json_with_tmpdir(&all, Some(&missing), &[]);
    assert_eq!(code, Some(0), "{err}");
    let said = format!(
        "TMPDIR ({}) cannot hold a temporary file",
        missing.display()
    );
    assert_eq!(err.matches(&said).count(), 1, "{err}");
    assert!(
        err.contains("temporary files went to /tmp instead"),
        "{err}"
    );
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().starts_with(&said));
    // Everything else is as with a usable TMPDIR.
    v.as_object_mut().unwrap().remove("warnings");
    for r in [&mut v, &mut base] {
        r.as_object_mut().unwrap().remove("command");
    }
    assert!(v == base);
}

/// With no directory that can hold a temporary file (TMPDIR missing, /tmp and /var/tmp
/// bound read-only onto themselves, in a mount namespace of this test's own), each group of
/// flows keeps as many reports as 16 times the budget shared among the 64 groups (with
/// `--keep-reports 1`, one), the first of its connections to finish; the others are left
/// out, counted in `seen.reports_dropped` and said on standard error and in `warnings`; the
/// kept ones keep their order and ids 1..N. Needs root and `unshare`.
#[test]
fn with_no_temporary_directory_reports_are_dropped_and_counted() {
    // Read-only bind mounts of the directories themselves: what is in them (this binary, if
    // the repository is cloned under /tmp) stays there to run.
    const ROOT_ONLY: &str = "mount --bind /tmp /tmp && mount -o remount,ro,bind /tmp && mount --bind /var/tmp /var/tmp && mount -o remount,ro,bind /var/tmp && exec \"$0\" \"$@\"";
    let probe = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", ROOT_ONLY, "true"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        skip::skipped(format_args!(
            "skipping: cannot make /tmp read-only in a mount namespace here (needs root and unshare): {:?}",
            probe.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        ));
        return;
    }
    let all = common::fixtures();
    let (base, _, _) = json_with_tmpdir(&all, None, &[]);
    let total = base["summary"]["total_connections"].as_u64().unwrap();
    assert!(total > 16, "{total}");
    let wrap = ["unshare", "-m", "sh", "-c", ROOT_ONLY];
    let missing = std::path::Path::new("/nonexistent/wsclose-test");
    let (v, err, code) = json_with_tmpdir(&all, Some(missing), &wrap);
    assert_eq!(code, Some(0), "{err}");
    // One report kept per group of flows that has any.
    let groups = wsclose::__internals::decode::Shards::new(64, 1);
    let endpoint = |c: &serde_json::Value, side: &str| {
        let text = c[side].as_str().unwrap();
        let (ip, port) = text.rsplit_once(':').unwrap();
        let ip: std::net::IpAddr = ip.trim_matches(['[', ']']).parse().unwrap();
        wsclose::vocab::Endpoint::new(ip, port.parse().unwrap())
    };
    let mut used: Vec<u64> = base["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| groups.group(&endpoint(c, "client"), &endpoint(c, "server")))
        .collect();
    used.sort_unstable();
    used.dedup();
    let kept = used.len() as u64;
    assert!(kept > 1 && kept < total, "{kept} of {total}");
    assert_eq!(v["summary"]["total_connections"], kept, "{err}");
    assert_eq!(v["seen"]["reports_dropped"], total - kept);
    let ids: Vec<u64> = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=kept).collect::<Vec<u64>>());
    let warnings = v["warnings"].to_string();
    for said in [
        "no temporary file could be made",
        "; /tmp cannot hold a temporary file (",
        &format!("{} WebSocket connections are left out", total - kept),
    ] {
        assert!(warnings.contains(said), "{said}: {warnings}");
        assert_eq!(err.matches(said).count(), 1, "{said}: {err}");
    }
}
