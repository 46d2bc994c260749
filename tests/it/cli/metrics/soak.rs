//! A soak, scaled for CI (2 cores, well under a minute): generated traffic (thousands of
//! WebSocket sessions among other TCP, every ending the generator makes) written through a
//! FIFO to `wsclose analyze --follow --metrics` as fast as it reads, scraped all along.
//! Resident memory stays flat from the first quarter to the end, and the closes served are
//! the records' (those of the connections finished when the last packet was read: a
//! session is counted when its connection finishes, docs/monitoring.md).

use super::{get, Samples};
use crate::gen;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The records' closes by status, of the connections finished by the last packet (both
/// sides ended TCP, or one reset it), and how many were not finished.
fn finished_closes(records: &str) -> (BTreeMap<Vec<String>, f64>, u64) {
    let (mut out, mut unfinished) = (BTreeMap::new(), 0);
    for line in records.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        if r["status"].is_null() {
            continue;
        }
        let ends = r["tcp_ends"].as_array().map_or(&[][..], |a| &a[..]);
        let finished = ends.len() >= 2 || ends.iter().any(|e| e["kind"] == "rst");
        unfinished += u64::from(!finished);
        let Some(code) = r["status"]["code"].as_u64() else {
            continue;
        };
        if finished {
            *out.entry(vec![code.to_string()]).or_insert(0.0) += 1.0;
        }
    }
    (out, unfinished)
}

#[test]
fn generated_traffic_through_a_fifo_keeps_memory_flat_and_counts_every_close() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("gen.pcap");
    let mut cfg = gen::Config::new(3_000, 24_000_000, 21);
    cfg.concurrency = 64;
    let mut w = gen::pcap_file(&pcap).unwrap();
    let summary = gen::generate(&cfg, &mut w, std::io::sink()).unwrap();
    drop(w);
    let bytes = std::fs::read(&pcap).unwrap();
    let records = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--format", "jsonl"])
        .arg(&pcap)
        .output()
        .unwrap();
    let (want, unfinished) = finished_closes(&String::from_utf8_lossy(&records.stdout));
    assert!(
        want.values().sum::<f64>() > 1000.0,
        "{want:?} of {summary:?}"
    );

    let fifo = dir.path().join("in.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_wsclose"))
            .args(["analyze", "--follow"])
            .arg(&fifo)
            .args(["--metrics", "127.0.0.1:0", "--format", "jsonl"])
            .args(["--max-memory", "96M"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("serving metrics at http://") {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "no address said");
    }
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split("/metrics").next())
        .unwrap()
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let pid = child.0.id();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    // Written from a thread; scraped and measured from here meanwhile.
    let total = bytes.len();
    let feeding = std::thread::spawn(move || {
        for chunk in bytes.chunks(256 << 10) {
            writer.write_all(chunk).unwrap();
        }
        writer
    });
    let started = Instant::now();
    let mut samples: Vec<(u64, u64)> = Vec::new(); // (bytes read, RSS kB)
    let packets = summary.packets as f64;
    let mut last = Samples::default();
    while started.elapsed() < Duration::from_secs(120) {
        let (_, body) = get(&addr, "/metrics", None);
        last = Samples::parse(&body);
        let read = last.value("wsclose_bytes_read_total").unwrap_or(0.0) as u64;
        samples.push((read, rss_kb(pid)));
        if last.value("wsclose_packets_read_total") == Some(packets) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _writer = feeding.join().unwrap();
    assert_eq!(
        last.value("wsclose_packets_read_total"),
        Some(packets),
        "not every packet was read in two minutes"
    );
    // Flat: the peak after the first quarter of the capture is within 16 MB of the RSS at
    // that quarter (the analysis' state is bounded; reports spill to a file).
    let quarter = samples
        .iter()
        .find(|s| s.0 as usize >= total / 4)
        .map(|s| s.1)
        .unwrap();
    let peak = samples
        .iter()
        .filter(|s| s.0 as usize >= total / 4)
        .map(|s| s.1)
        .max()
        .unwrap();
    assert!(
        peak < quarter + 16 * 1024,
        "RSS {quarter} kB at a quarter, peak {peak} kB after ({} samples)",
        samples.len()
    );
    let served: BTreeMap<Vec<String>, f64> = last
        .sum_by("wsclose_closes_total", &["status"])
        .into_iter()
        .filter(|(k, _)| k[0].parse::<u16>().is_ok())
        .collect();
    assert_eq!(served, want);
    // Those not finished are still open.
    assert_eq!(
        last.value("wsclose_websocket_connections_open"),
        Some(unfinished as f64)
    );
}
