//! What a run leaves behind: an output named two ways (`r.json` and `./r.json`, a file not
//! there yet) is refused before anything is written; a run that a signal ends (SIGTERM,
//! SIGINT, SIGHUP) while it writes an export, an annotated capture or an extract leaves
//! the targets as they were and no temporary file beside them (issue 84, items 7 and 8).
//!
//! The run is held while its output is open by a key log that is a FIFO whose writer (this
//! test) keeps sending comment lines: wsclose reads it as long as it sends, so the signal
//! comes while the temporary file is there, whatever the machine's load.

use super::fixture;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A folder with `in.pcap` (a capture of one wss:// connection, whose key log is read) in
/// it.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        fixture("tls/go-tls13-aes128gcm-close-1000.pcap"),
        dir.path().join("in.pcap"),
    )
    .unwrap();
    dir
}

/// `wsclose ARGS` run in `dir`: its exit code and standard error.
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("wsclose"))
        .args(args)
        .current_dir(dir)
        .env_remove("SSLKEYLOGFILE")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn one_new_file_named_two_ways_is_refused_before_anything_is_written() {
    let dir = folder();
    fs::create_dir(dir.path().join("sub")).unwrap();
    for args in [
        &[
            "analyze",
            "in.pcap",
            "--export-json",
            "r.json",
            "--export-csv",
            "./r.json",
        ][..],
        &[
            "analyze",
            "in.pcap",
            "--export-csv",
            "sub/../r.csv",
            "--export-jsonl",
            "r.csv",
        ],
        &[
            "analyze",
            "in.pcap",
            "--annotate",
            "./y.pcapng",
            "--export-json",
            "y.pcapng",
        ],
        &[
            "analyze",
            "in.pcap",
            "--annotate",
            "y.pcapng",
            "--export-html",
            "sub/../y.pcapng",
        ],
    ] {
        let (code, err) = run_in(dir.path(), args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains("give each its own file"), "{args:?}: {err}");
        assert!(!err.contains("wrote"), "{args:?}: {err}");
        assert_eq!(names(dir.path()), ["in.pcap", "sub"], "{args:?}");
    }
    // Two files that are not the same: both written.
    let (code, err) = run_in(
        dir.path(),
        &[
            "analyze",
            "in.pcap",
            "--export-json",
            "r.json",
            "--export-csv",
            "sub/r.json",
        ],
    );
    // (Exit 1: the capture's one connection is encrypted, its key log not given.)
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err.matches("wsclose: wrote").count(), 2, "{err}");
    assert!(dir.path().join("r.json").is_file() && dir.path().join("sub/r.json").is_file());
}

/// The child, killed if the test leaves early.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child's exit status within a bounded time, and its standard error.
fn wait_end(child: &mut Killed) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "wsclose did not end after the signal"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    let _ = child.0.stderr.take().unwrap().read_to_string(&mut err);
    (status, err)
}

/// Runs `wsclose ARGS --keylog keys.fifo` in `dir`, holds it on the key log, sends
/// `signal`, and returns what it said once ended.
fn interrupted(dir: &Path, args: &[&str], signal: i32) -> (std::process::ExitStatus, String) {
    let fifo: PathBuf = dir.join("keys.fifo");
    if !fifo.exists() {
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
    }
    // Opened for reading and writing (which does not wait on a FIFO): a writer is there
    // before wsclose opens it, and stays.
    let mut writer = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let child = Command::new(assert_cmd::cargo::cargo_bin("wsclose"))
        .args(args)
        .args(["--keylog", "keys.fifo"])
        .current_dir(dir)
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    // A comment line now and then: the key log is read on while it sends.
    let keep = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let k = std::sync::Arc::clone(&keep);
    let feeder = std::thread::spawn(move || {
        while k.load(std::sync::atomic::Ordering::Relaxed) {
            if writer.write_all(b"# held\n").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    // The temporary file is there (opened before the analysis; bounded wait).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !names(dir).iter().any(|n| n.ends_with(".part")) {
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("{args:?}: wsclose ended before the signal: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{args:?}: no temporary file: {:?}",
            names(dir)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill has no memory preconditions; the pid is our child's, not yet waited for.
    assert_eq!(unsafe { libc::kill(child.0.id() as i32, signal) }, 0);
    let ended = wait_end(&mut child);
    keep.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = feeder.join();
    ended
}

#[test]
fn a_signal_during_a_write_leaves_the_targets_as_they_were_and_nothing_else() {
    let dir = folder();
    // One target already there: it keeps its bytes.
    fs::write(dir.path().join("old.json"), b"kept").unwrap();
    let cases: [(&[&str], i32); 5] = [
        (
            &[
                "analyze",
                "in.pcap",
                "--export-json",
                "r.json",
                "--export-csv",
                "old.json",
            ],
            libc::SIGTERM,
        ),
        (&["annotate", "in.pcap", "-w", "a.pcapng"], libc::SIGINT),
        (
            &[
                "analyze",
                "in.pcap",
                "--annotate",
                "b.pcapng",
                "--export-html",
                "r.html",
            ],
            libc::SIGHUP,
        ),
        (
            &["annotate", "in.pcap", "--with-secrets", "-w", "old.json"],
            libc::SIGTERM,
        ),
        (
            &["extract", "in.pcap", "--connection", "1", "-w", "e.pcapng"],
            libc::SIGTERM,
        ),
    ];
    for (args, signal) in cases {
        let (status, err) = interrupted(dir.path(), args, signal);
        assert!(!status.success(), "{args:?}: {status}: {err}");
        assert!(!err.contains("wrote"), "{args:?}: {err}");
        assert_eq!(
            names(dir.path()),
            ["in.pcap", "keys.fifo", "old.json"],
            "{args:?}: {status}: {err}"
        );
        assert_eq!(fs::read(dir.path().join("old.json")).unwrap(), b"kept");
    }
}
