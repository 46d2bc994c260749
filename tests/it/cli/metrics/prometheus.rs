//! End to end: a real Prometheus (Debian's `prometheus`) scrapes a following wsclose over
//! loopback, and `sum by (status) (wsclose_closes_total)` gives the closes of the fixture's
//! records. Skipped, saying so, where Prometheus is not installed, except under CI, which
//! installs it (.ci/run).

use super::{capture_bytes, closes_in_records, get, pcap_packets, Following};
use crate::common::skip::skipped;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The query's result over Prometheus's HTTP API: each series' `status` label and value.
fn query(addr: &str, promql: &str) -> Option<BTreeMap<String, f64>> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let stream = std::net::TcpStream::connect(addr).ok()?;
    drop(stream);
    let (_, body) = get(addr, &format!("/api/v1/query?query={encoded}"), None);
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let result = v["data"]["result"].as_array()?;
    Some(
        result
            .iter()
            .map(|s| {
                (
                    s["metric"]["status"].as_str().unwrap_or("").to_string(),
                    s["value"][1].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect(),
    )
}

#[test]
fn prometheus_scrapes_the_closes_of_a_fixture() {
    if Command::new("prometheus")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have prometheus (.ci/run installs Debian's package)"
        );
        skipped(format_args!(
            "prometheus is not installed (Debian: apt-get install prometheus)"
        ));
        return;
    }
    let name = "node-many.pcap.gz";
    let bytes = capture_bytes(name);
    let packets = pcap_packets(&bytes).len() as f64;
    let f = Following::start(&bytes, &[]);
    f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: wsclose\n    static_configs:\n      - targets: ['{}']\n",
            f.addr
        ),
    )
    .unwrap();
    let web = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The records' closes by status.
    let mut want: BTreeMap<String, f64> = BTreeMap::new();
    for (k, n) in closes_in_records(name) {
        *want.entry(k[1].clone()).or_insert(0.0) += n;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = None;
    while Instant::now() < deadline {
        got = query(&web, "sum by (status) (wsclose_closes_total)");
        if got.as_ref() == Some(&want) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(got, Some(want), "Prometheus's answer, then the records'");
}
