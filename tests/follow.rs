//! `wsclose analyze --follow`: a capture read from a FIFO as it is written shows each close
//! while the writer still holds the FIFO open, then the report when it closes it (issue 70).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const FIXTURE: &str = "fixtures/node-close-1008.pcap";

/// The child, killed if the test leaves early (so that a failing test never hangs).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo failed");
}

/// The FIFO opened for writing once the child opened it for reading (without waiting
/// forever for a child that never does).
fn open_writer(path: &Path, child: &mut Child) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // O_NONBLOCK: fails (ENXIO) while no reader has it open.
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => return f,
            Err(_) if Instant::now() < deadline => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("wsclose ended before it opened the FIFO: {status}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("wsclose never opened the FIFO: {e}"),
        }
    }
}

/// Each line of `out`, as it comes, on a thread of its own.
fn lines(out: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Lines from `rx` until one satisfies `want` (returned), or `limit` passes (none).
fn wait_for(
    rx: &Receiver<String>,
    seen: &mut Vec<String>,
    limit: Duration,
    want: impl Fn(&str) -> bool,
) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return Some(line);
                }
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        }
    }
}

#[test]
fn a_close_is_shown_while_the_fifo_is_still_open_then_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    mkfifo(&fifo);
    let child = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--follow", "--color", "never"])
        .arg(&fifo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let rx = lines(child.0.stdout.take().unwrap());
    let mut writer = open_writer(&fifo, &mut child.0);
    writer.write_all(&std::fs::read(FIXTURE).unwrap()).unwrap();
    writer.flush().unwrap();
    let written = Instant::now();
    let mut seen = Vec::new();
    // The close frame, while the writer still holds the FIFO open (a second is the aim;
    // five allowed on a busy machine).
    let close = wait_for(&rx, &mut seen, Duration::from_secs(5), |l| {
        l.contains("server sent close 1008")
    });
    let took = written.elapsed();
    assert!(
        close.is_some(),
        "no close line within 5 s of the packets, the FIFO still open; saw {seen:?}"
    );
    let close = close.unwrap();
    assert!(close.contains("token expired"), "{close}");
    // Nothing of the report yet: the input has not ended.
    assert!(
        !seen.iter().any(|l| l.contains("WebSocket connection")),
        "the report came before the input ended: {seen:?}"
    );
    eprintln!("close shown {took:?} after the packets were written");
    // The end of the input: the report follows.
    drop(writer);
    let report = wait_for(&rx, &mut seen, Duration::from_secs(20), |l| {
        l.contains("1 WebSocket connection")
    });
    assert!(
        report.is_some(),
        "no report after the FIFO closed; saw {seen:?}"
    );
    let at = seen
        .iter()
        .position(|l| l.contains("1 WebSocket connection"));
    let first_close = seen.iter().position(|l| l.contains("server sent close"));
    assert!(first_close < at, "{seen:?}");
    let _ = wait_for(&rx, &mut seen, Duration::from_secs(20), |_| false);
    assert!(
        seen.iter().any(|l| l.contains("1008 Policy Violation")),
        "{seen:?}"
    );
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_json_line_per_close_then_the_json_report_from_standard_input() {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--follow", "--json", "-"])
        .pipe_stdin(FIXTURE)
        .unwrap()
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    // One JSON object per close, each on its own line, then the report as `analyze --json`
    // prints it.
    let values: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(values.len() >= 2, "{text}");
    assert!(
        text.lines()
            .take(values.len() - 1)
            .all(|l| l.starts_with('{') && l.ends_with('}')),
        "{text}"
    );
    let (report, events) = values.split_last().unwrap();
    assert!(report.get("connections").is_some(), "{report}");
    assert!(
        events.iter().any(|e| e["code"] == 1008),
        "no close event with code 1008 in {events:?}"
    );
}

#[test]
fn follow_refuses_a_regular_file_two_inputs_and_redact() {
    for (args, says) in [
        (vec![FIXTURE], "regular file"),
        (vec!["-", FIXTURE], "one capture"),
        (vec!["--redact", "-"], "--redact"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
            .args(["analyze", "--follow"])
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
