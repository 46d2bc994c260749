//! `wsclose analyze --follow`: a capture read from a FIFO or a regular file as it is
//! written shows each close while the writer still writes, then the report when the input
//! ends or a signal (SIGINT, SIGTERM) stops the reading (issue 70).

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
fn follow_refuses_two_inputs_and_annotate() {
    for (args, says) in [
        (vec!["-", FIXTURE], "one capture"),
        (
            vec!["--annotate", "/nonexistent/x.pcapng", "-"],
            "--annotate",
        ),
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

/// `--follow --redact`: the lines, the records and the ECS documents streamed name no
/// address nor the query, and the report after is redacted.
#[test]
fn follow_redacts_what_it_streams() {
    for format in ["table", "jsonl", "ecs"] {
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .args([
                "analyze", "-q", "--follow", "--redact", "--format", format, "-",
            ])
            .pipe_stdin("fixtures/node-many.pcap.gz")
            .unwrap()
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("1008") || text.contains("1006"),
            "{format}: {text}"
        );
        assert!(!text.contains("127.0.0.1"), "{format}: {text}");
        assert!(!text.contains("\"1:"), "{format}: a Community ID");
    }
}

/// The records of a classic little-endian pcap file: the header, then each record's bytes.
fn records(pcap: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let (header, mut rest) = pcap.split_at(24);
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        let (record, after) = rest.split_at(16 + len);
        out.push(record);
        rest = after;
    }
    (header, out)
}

/// `wsclose analyze --follow PATH`, its standard output's lines on a channel, its standard
/// error kept.
fn follow(path: &Path, extra: &[&str]) -> (Killed, Receiver<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--follow", "--color", "never"])
        .args(extra)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let rx = lines(child.0.stdout.take().unwrap());
    (child, rx)
}

/// Sends `signal` ("INT", "TERM") to the child.
fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The child's exit code within `limit` (none if it is still running then), and its
/// standard error.
fn ended(child: &mut Killed, limit: Duration) -> (Option<i32>, String) {
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if status.is_some() {
        use std::io::Read;
        child
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
    }
    (status.and_then(|s| s.code()), err)
}

/// A regular file written in pieces as tcpdump -U writes it (the header, records with
/// pauses, one record split across two writes): each close shows within a second of its
/// last byte being written, a record half written is waited for, and SIGINT stops the
/// reading with the report, exit 0 (as `analyze` gives it).
#[test]
fn a_growing_file_shows_each_close_as_written_then_the_report_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.pcap");
    let mut file = std::fs::File::create(&path).unwrap();
    let (mut child, rx) = follow(&path, &[]);
    let pcap = std::fs::read(FIXTURE).unwrap();
    let (header, records) = records(&pcap);
    let mut seen = Vec::new();
    let pause = |ms| std::thread::sleep(Duration::from_millis(ms));
    // Nothing yet: the file is empty, and is waited for.
    pause(300);
    assert_eq!(child.0.try_wait().unwrap(), None, "ended on an empty file");
    file.write_all(header).unwrap();
    pause(200);
    // The handshake and the data, then the server's close frame (packet 9) in two writes.
    for r in &records[..8] {
        file.write_all(r).unwrap();
        pause(20);
    }
    let (first, second) = records[8].split_at(30);
    file.write_all(first).unwrap();
    let half = wait_for(&rx, &mut seen, Duration::from_millis(600), |l| {
        l.contains("server sent close")
    });
    assert_eq!(half, None, "a close from half a record: {seen:?}");
    assert_eq!(
        child.0.try_wait().unwrap(),
        None,
        "a half-written record ended the reading"
    );
    file.write_all(second).unwrap();
    let written = Instant::now();
    let close = wait_for(&rx, &mut seen, Duration::from_secs(5), |l| {
        l.contains("server sent close 1008")
    });
    let took = written.elapsed();
    assert!(close.is_some(), "no close line after packet 9: {seen:?}");
    eprintln!("close shown {took:?} after its last byte was written");
    assert!(
        took < Duration::from_secs(1),
        "the close line came {took:?} after its packet was written"
    );
    // The rest: the client's close and both FINs.
    for r in &records[9..] {
        file.write_all(r).unwrap();
    }
    let fin = wait_for(&rx, &mut seen, Duration::from_secs(5), |l| {
        l.contains("server sent TCP FIN")
    });
    assert!(fin.is_some(), "{seen:?}");
    // A file does not end: the report waits for the signal.
    pause(400);
    assert!(
        !seen.iter().any(|l| l.contains("WebSocket connection")),
        "the report came before the signal: {seen:?}"
    );
    assert_eq!(child.0.try_wait().unwrap(), None);
    signal(&child.0, "INT");
    let report = wait_for(&rx, &mut seen, Duration::from_secs(20), |l| {
        l.contains("1 WebSocket connection")
    });
    assert!(report.is_some(), "no report after SIGINT: {seen:?}");
    let (code, err) = ended(&mut child, Duration::from_secs(20));
    let _ = wait_for(&rx, &mut seen, Duration::from_secs(5), |_| false);
    assert!(
        seen.iter().any(|l| l.contains("1008 Policy Violation")),
        "{seen:?}"
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stopped following"), "{err}");
    // Every packet was read: no record was taken for cut.
    assert!(!err.contains("cut"), "{err}");
}

/// SIGTERM stops the following of a FIFO whose writer stays silent (as a tcpdump that
/// sees no traffic): the report of what was read, exit 0.
#[test]
fn sigterm_stops_a_silent_fifo_with_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    mkfifo(&fifo);
    let (mut child, rx) = follow(&fifo, &[]);
    let mut writer = open_writer(&fifo, &mut child.0);
    writer.write_all(&std::fs::read(FIXTURE).unwrap()).unwrap();
    writer.flush().unwrap();
    let mut seen = Vec::new();
    let fin = wait_for(&rx, &mut seen, Duration::from_secs(5), |l| {
        l.contains("server sent TCP FIN")
    });
    assert!(fin.is_some(), "{seen:?}");
    // The writer holds the FIFO open and writes nothing more.
    signal(&child.0, "TERM");
    let report = wait_for(&rx, &mut seen, Duration::from_secs(20), |l| {
        l.contains("1 WebSocket connection")
    });
    assert!(report.is_some(), "no report after SIGTERM: {seen:?}");
    let (code, err) = ended(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");
    drop(writer);
}

/// A file that shrinks while it is followed (truncated, as logrotate's copytruncate does)
/// stops the following with a warning, and the report of what was read.
#[test]
fn a_truncated_file_stops_the_following_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rotated.pcap");
    std::fs::write(&path, std::fs::read(FIXTURE).unwrap()).unwrap();
    let (mut child, rx) = follow(&path, &[]);
    let mut seen = Vec::new();
    let fin = wait_for(&rx, &mut seen, Duration::from_secs(5), |l| {
        l.contains("server sent TCP FIN")
    });
    assert!(fin.is_some(), "{seen:?}");
    std::fs::File::create(&path).unwrap();
    let (code, err) = ended(&mut child, Duration::from_secs(20));
    let _ = wait_for(&rx, &mut seen, Duration::from_secs(5), |_| false);
    assert!(
        seen.iter().any(|l| l.contains("1 WebSocket connection")),
        "{seen:?}"
    );
    assert!(err.contains("shrank from 1454 to 0 bytes"), "{err}");
    assert_eq!(code, Some(0), "{err}");
}

/// A compressed file cannot be followed as it grows: a usage error that says why.
#[test]
fn a_compressed_file_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.pcap.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&std::fs::read(FIXTURE).unwrap()).unwrap();
    gz.finish().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--follow"])
        .arg(&path)
        .stdin(Stdio::null())
        .timeout_output(Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gzip compressed"), "{err}");
}

/// `output()` with a time limit: the child is killed after `limit`.
trait TimeoutOutput {
    fn timeout_output(&mut self, limit: Duration) -> std::process::Output;
}

impl TimeoutOutput for Command {
    fn timeout_output(&mut self, limit: Duration) -> std::process::Output {
        let mut child = Killed(
            self.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let (code, err) = ended(&mut child, limit);
        assert!(code.is_some(), "still running after {limit:?}: {err}");
        let mut out = Vec::new();
        use std::io::Read;
        child
            .0
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        std::process::Output {
            status: child.0.wait().unwrap(),
            stdout: out,
            stderr: err.into_bytes(),
        }
    }
}

/// `… | wsclose analyze --follow - | head -1`: once the reader of standard output has gone,
/// the run ends (as `tail -f` does), though the capture's writer stays open and silent
/// (a `tcpdump -U -w -` that sees no traffic). Issue 84, item 9.
#[test]
fn a_closed_standard_output_ends_the_following() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    mkfifo(&fifo);
    let child = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--follow", "--color", "never"])
        .arg(&fifo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut writer = open_writer(&fifo, &mut child.0);
    writer.write_all(&std::fs::read(FIXTURE).unwrap()).unwrap();
    writer.flush().unwrap();
    // `head -1`: one line read, then the pipe closed.
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("close"), "{first}");
    drop(out);
    // The writer holds the FIFO open and writes nothing more.
    let (code, err) = ended(&mut child, Duration::from_secs(20));
    assert!(
        code.is_some(),
        "still following 20 s after its standard output was closed"
    );
    assert!(err.contains("standard output"), "{err}");
    drop(writer);
}

/// `--follow FIFO` that no writer has opened yet: one signal (SIGINT, SIGTERM or SIGHUP)
/// ends it, not a second one with exit 130. Issue 84, item 10.
#[test]
fn one_signal_stops_a_fifo_that_no_writer_opened() {
    for sig in ["INT", "TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("capture.fifo");
        mkfifo(&fifo);
        let (mut child, _rx) = follow(&fifo, &[]);
        waiting_on(&child.0, &fifo);
        signal(&child.0, sig);
        let (code, err) = ended(&mut child, Duration::from_secs(20));
        assert!(code.is_some(), "{sig}: still running after one signal");
        assert_ne!(code, Some(130), "{sig}: {err}");
        assert!(err.contains("stopped following"), "{sig}: {err}");
    }
}

/// Waits (bounded) until `child` has reached the FIFO: it holds it open, or is waiting in
/// the FIFO's open for a writer (`/proc/PID/task/*/wchan`, where the kernel says it);
/// after 3 s it is taken as there.
fn waiting_on(child: &Child, fifo: &Path) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let pid = child.id();
    while Instant::now() < deadline {
        let holds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == fifo));
        let opening = std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|t| {
                std::fs::read_to_string(t.path().join("wchan")).is_ok_and(|w| w.contains("fifo"))
            });
        if holds || opening {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A writer already waiting in its open of the FIFO (`cat cap.pcap > fifo` started first)
/// is read whole: wsclose's open lets it on, and it is read until it closes.
#[test]
fn a_writer_waiting_before_the_fifo_is_followed_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    mkfifo(&fifo);
    let path = fifo.clone();
    // Its open waits for a reader; then it writes everything and closes.
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(&path)?;
        w.write_all(&std::fs::read(FIXTURE)?)
    });
    let (mut child, rx) = follow(&fifo, &[]);
    let mut seen = Vec::new();
    let report = wait_for(&rx, &mut seen, Duration::from_secs(20), |l| {
        l.contains("1 WebSocket connection")
    });
    assert!(report.is_some(), "{seen:?}");
    let (code, err) = ended(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");
    writer.join().unwrap().unwrap();
}

/// Issue 104, item 11: only the event that sets a connection's status carries `status`
/// (docs/json.md: null for later events), so counting the events' statuses counts each
/// connection once. A connection ended by a FIN from each side and no close frame gives two
/// `fin` events and one 1006; over fixtures of closes, FINs and RSTs and close frames their
/// receivers refuse, the events' statuses are the connection records' one for one.
#[test]
fn only_the_event_that_sets_the_status_carries_it() {
    let records = |fixture: &str| -> Vec<serde_json::Value> {
        let out = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .args(["analyze", "-q", "--follow", "--format", "jsonl", "-"])
            .pipe_stdin(fixture)
            .unwrap()
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{fixture}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let of = |all: &[serde_json::Value], kind: &str| -> Vec<serde_json::Value> {
        all.iter().filter(|r| r["type"] == kind).cloned().collect()
    };
    let both_fins = records("fixtures/python-no-close-fin.pcap");
    let events = of(&both_fins, "event");
    let fins: Vec<_> = events.iter().filter(|e| e["event"] == "fin").collect();
    assert_eq!(fins.len(), 2, "{events:?}");
    assert_ne!(fins[0]["from"], fins[1]["from"], "{events:?}");
    let with_status: Vec<_> = events.iter().filter(|e| !e["status"].is_null()).collect();
    assert_eq!(with_status.len(), 1, "{events:?}");
    assert_eq!(with_status[0]["status"]["code"], 1006);
    assert_eq!(with_status[0]["packet"], fins[0]["packet"], "{events:?}");
    // The same connection's record: 1006, ended by the first FIN's side.
    let conns = of(&both_fins, "connection");
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["status"]["code"], 1006);
    assert_eq!(conns[0]["tcp_ends"][0]["by"], fins[0]["from"]);
    // A close frame its receiver refuses (code 999, one byte, a reason not UTF-8, 1005 on
    // the wire) sets no status: the answer's code does, as in the report.
    for fixture in [
        "fixtures/node-many.pcap.gz",
        "fixtures/python-no-close-rst.pcap",
        "fixtures/python-close-1001.pcap",
        "fixtures/node-close-empty.pcap",
        "fixtures/python-rule-close-999.pcap",
        "fixtures/python-rule-close-1-byte.pcap",
        "fixtures/python-rule-close-reason-utf8.pcap",
        "fixtures/python-rule-close-1005.pcap",
    ] {
        let all = records(fixture);
        let mut from_events: Vec<u64> = of(&all, "event")
            .iter()
            .filter_map(|e| e["status"]["code"].as_u64())
            .collect();
        let mut from_conns: Vec<u64> = of(&all, "connection")
            .iter()
            .filter_map(|c| c["status"]["code"].as_u64())
            .collect();
        from_events.sort_unstable();
        from_conns.sort_unstable();
        assert!(!from_conns.is_empty(), "{fixture}");
        assert_eq!(from_events, from_conns, "{fixture}");
    }
}
