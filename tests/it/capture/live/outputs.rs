//! `live -w -` and `-w /dev/stdout`: the pcapng on standard output, the lines and the
//! report on standard error, refused onto a terminal or a key log being followed; and a
//! connection open while packets were lost, whose status is "Unknown (packets dropped)".

use super::*;

/// `-w -` writes the pcapng to standard output, as tcpdump's `-w -` does (`wsclose live -w
/// - | wireshark -k -i -`), and the close lines and the report go to standard error;
/// `-w /dev/stdout` is the same. No file named `-` is made.
#[test]
fn live_write_dash_sends_the_capture_to_stdout_and_the_report_to_stderr() {
    if !may_capture() {
        return;
    }
    for target in ["-", "/dev/stdout"] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::cargo_bin("wsclose")
            .unwrap()
            .args(["live", "-i", "lo", "--format", "json", "--duration", "3"])
            .args(["-f", &format!("tcp port {port}"), "-w", target])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1000));
        close_4001(listener, port);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "-w {target}: {err}");
        assert_eq!(
            out.stdout[..4],
            [0x0a, 0x0d, 0x0d, 0x0a],
            "-w {target}: {err}"
        );
        // Standard error has the close as it happened and the report, as JSON lines.
        let lines: Vec<Value> = err
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l["event"] == "close" && l["code"] == 4001),
            "-w {target}: {err}"
        );
        let report = lines.last().expect("the report on standard error");
        assert_eq!(report["connections"][0]["status"]["code"], 4001, "{err}");
        // The capture on standard output gives the same report offline.
        let saved = dir.path().join("saved.pcapng");
        std::fs::write(&saved, &out.stdout).unwrap();
        let offline = analyze_saved(&saved);
        assert_eq!(
            offline["connections"][0]["status"],
            report["connections"][0]["status"]
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no file named -"
        );
    }
}

/// `-w -` onto a terminal is refused (exit 2) before anything is captured. Needs
/// `script` to give wsclose a terminal; skipped, saying so, without it.
#[test]
fn live_write_dash_onto_a_terminal_is_refused() {
    let have = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        skip::skipped(format_args!("`script` is not installed"));
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("wsclose");
    let dir = tempfile::tempdir().unwrap();
    for target in ["-", "/dev/stdout"] {
        let cmd = format!(
            "{} live -i lo --duration 0.2 -w {target}; echo rc=$?",
            bin.display()
        );
        let out = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("rc=2"), "-w {target}: {text}");
        assert!(text.contains("terminal"), "-w {target}: {text}");
        assert!(!text.contains("capturing on"), "-w {target}: {text}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A WebSocket still open when the capture stops, while packets were lost (here the
/// analysis's queue, made to overflow by a slowed analysis), may have ended in what was
/// lost: its status is "Unknown (packets dropped)" (cause `packets-dropped`), not "Open".
#[test]
fn live_a_connection_open_while_packets_were_lost_is_unknown() {
    if !cfg!(debug_assertions) {
        skip::skipped(format_args!(
            "the slow-analysis hook exists in debug builds only (run without --release)"
        ));
        return;
    }
    if !may_capture() {
        return;
    }
    let ws = TcpListener::bind("127.0.0.1:0").unwrap();
    let ws_port = ws.local_addr().unwrap().port();
    let noise = TcpListener::bind("127.0.0.1:0").unwrap();
    let noise_port = noise.local_addr().unwrap().port();
    let mut live = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["live", "-i", "lo", "--format", "json", "--duration", "5"])
        .args(["--max-memory", "32M", "-f"])
        .arg(format!("tcp port {ws_port} or tcp port {noise_port}"))
        .env("WSCLOSE_TEST_SLOW_ANALYSIS_US", "20000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(live.stderr.take().unwrap());
    let mut said = String::new();
    wait_for_line(&mut err, "capturing on", "wsclose live", &mut said);
    // The WebSocket: opened, one message, left open.
    let server = std::thread::spawn(move || {
        let (stream, _) = ws.accept().unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        while ws.read().is_ok() {}
    });
    let (mut client, _) =
        tungstenite::connect(format!("ws://127.0.0.1:{ws_port}/left-open")).unwrap();
    client.send(Message::Text("hello".into())).unwrap();
    // Small writes 10 ms apart, each a batch of its own: the slowed analysis (20 ms a
    // packet) falls behind and its queue overflows.
    let sink = std::thread::spawn(move || {
        let (mut s, _) = noise.accept().unwrap();
        let _ = std::io::copy(&mut s, &mut std::io::sink());
    });
    let mut w = std::net::TcpStream::connect(("127.0.0.1", noise_port)).unwrap();
    for _ in 0..200 {
        std::io::Write::write_all(&mut w, b"noise").unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(w);
    sink.join().unwrap();
    let out = live.wait_with_output().unwrap();
    std::io::Read::read_to_string(&mut err, &mut said).unwrap();
    drop(client);
    let _ = server.join();
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {text}\n{said}"));
    assert!(
        report["seen"]["live_drops"]["queue"].as_u64().unwrap_or(0) > 0,
        "the queue overflowed: {}\n{said}",
        report["seen"]
    );
    let conns = report["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{said}");
    let status = &conns[0]["status"];
    assert_eq!(status["name"], "Unknown (packets dropped)", "{status}");
    assert_eq!(status["code"], Value::Null);
    assert_eq!(status["causes"][0]["kind"], "packets-dropped", "{status}");
    assert_eq!(
        report["summary"]["by_status"]["unknown"], 1,
        "{}",
        report["summary"]
    );
}

/// `-w -` whose standard output is the key log being followed (`-w - >> keys.log`) is
/// refused (exit 2) before anything is captured, the key log untouched.
#[test]
fn live_write_dash_onto_the_key_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("keys.log");
    let text = format!("CLIENT_RANDOM {} {}\n", "ab".repeat(32), "cd".repeat(48));
    std::fs::write(&keylog, &text).unwrap();
    let out = std::fs::OpenOptions::new()
        .append(true)
        .open(&keylog)
        .unwrap();
    let done = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["live", "-i", "lo", "--duration", "0.5", "--keylog"])
        .arg(&keylog)
        .args(["-w", "-"])
        .stdout(Stdio::from(out))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert!(err.contains("key log"), "{err}");
    assert!(!err.contains("capturing on"), "{err}");
    assert_eq!(std::fs::read_to_string(&keylog).unwrap(), text);
}
