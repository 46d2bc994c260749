//! `live --metrics` (issue 95): the metrics a live capture serves while it runs.

use super::{close_4001, may_capture, wait_for_line};
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `live --metrics`: while the capture runs, `/metrics` serves the close the tungstenite
/// pair made (by status, side and cause, as the report has it) and the live losses by
/// where, each as the report's `seen.live_drops` says.
#[test]
fn live_serves_its_closes_and_losses_as_metrics() {
    if !may_capture() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["live", "-i", "lo", "--format", "json", "--duration", "5"])
        .args(["-f", &format!("tcp port {port}")])
        .args(["--metrics", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    wait_for_line(
        &mut err,
        "serving metrics at http://",
        "wsclose live",
        &mut said,
    );
    let addr = said
        .rsplit("serving metrics at http://")
        .next()
        .and_then(|r| r.split("/metrics").next())
        .unwrap()
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    std::thread::sleep(Duration::from_millis(1000));
    close_4001(listener, port);
    // The report is made once both sides ended: scraped until it is counted.
    let mut body = String::new();
    for _ in 0..40 {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        use std::io::{Read, Write};
        write!(s, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        body.clear();
        s.read_to_string(&mut body).unwrap();
        if body.contains("wsclose_closes_total{") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<Value> = BufReader::new(stdout)
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(child.wait().unwrap().success());
    let report = lines.last().unwrap();
    let c = &report["connections"][0];
    assert_eq!(c["status"]["code"], 4001);
    let series = format!(
        "wsclose_closes_total{{server=\"127.0.0.1:{port}\",status=\"4001\",side=\"server\",cause=\"{}\"}} 1",
        c["status"]["causes"][0]["kind"].as_str().unwrap()
    );
    assert!(body.contains(&series), "{series} in\n{body}");
    for by in ["kernel", "interface", "queue"] {
        let lost = report["seen"]["live_drops"][by].as_u64().unwrap();
        let series = format!("wsclose_packets_dropped_total{{by=\"{by}\"}} {lost}\n");
        assert!(body.contains(&series), "{series} in\n{body}");
    }
}
