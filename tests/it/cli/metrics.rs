//! `--metrics` (issue 95): the values a following `wsclose analyze --follow` serves at
//! `/metrics`, each checked against the records `wsclose analyze` gives of the same fixture;
//! the content negotiation; the faults a scraper can bring (a port in use, bytes that are
//! not HTTP, a thousand connections that never send), none of which stops the capture.
//! The end-to-end scrape by a real Prometheus is in `prometheus.rs`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

mod alert;
mod labels;
mod prometheus;
mod ring;
mod soak;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The fixture's bytes, uncompressed (a followed regular file cannot be compressed).
pub(super) fn capture_bytes(name: &str) -> Vec<u8> {
    let raw = std::fs::read(fixture(name)).unwrap();
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// A classic pcap's packets: (capture time in ns, captured length).
/// The number (1-based) of the first packet after packet `after` of the classic pcap `b`
/// that is a TCP RST with an ACK from port `port` (IPv4; Ethernet, BSD loopback, Linux
/// cooked or raw IP links).
fn first_rst_from(b: &[u8], port: u16, after: usize) -> usize {
    let link = u32::from_le_bytes(b[20..24].try_into().unwrap());
    let ip_at = match link {
        0 => 4,
        1 => 14,
        113 => 16,
        _ => 0,
    };
    let mut at = 24;
    for n in 1.. {
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        let d = &b[at + 16..at + 16 + len];
        at += 16 + len;
        let Some(ip) = d.get(ip_at..) else { continue };
        if n <= after || ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 6 {
            continue;
        }
        let tcp = &ip[usize::from(ip[0] & 0x0f) * 4..];
        if u16::from_be_bytes([tcp[0], tcp[1]]) == port && tcp[13] & 0x14 == 0x14 {
            return n;
        }
    }
    unreachable!()
}

pub(super) fn pcap_packets(b: &[u8]) -> Vec<(i64, usize)> {
    let nanos = matches!(&b[..4], [0x4d, 0x3c, 0xb2, 0xa1]);
    assert!(
        nanos || matches!(&b[..4], [0xd4, 0xc3, 0xb2, 0xa1]),
        "a little-endian classic pcap"
    );
    let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let (mut at, mut out) = (24, Vec::new());
    while at + 16 <= b.len() {
        let (s, frac, len) = (u32_at(at), u32_at(at + 4), u32_at(at + 8) as usize);
        let ns = i64::from(s) * 1_000_000_000 + i64::from(frac) * if nanos { 1 } else { 1000 };
        out.push((ns, len));
        at += 16 + len;
    }
    out
}

/// The child, killed if the test leaves early.
pub(super) struct Following {
    child: Child,
    pub addr: String,
    stderr: Receiver<String>,
    pub said: Vec<String>,
    _dir: tempfile::TempDir,
    pub file: std::path::PathBuf,
    out: std::path::PathBuf,
}

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Following {
    /// `wsclose analyze --follow` of a copy of `bytes` (a regular file: followed as it
    /// grows, never ending) with `--metrics 127.0.0.1:0` and `extra`; the address it
    /// says it serves.
    pub fn start(bytes: &[u8], extra: &[&str]) -> Following {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cap.pcap");
        std::fs::write(&file, bytes).unwrap();
        Following::start_at(dir, file, extra)
    }

    /// [`Following::start`] of `file` (in `dir`, kept until the end): a capture, or a
    /// directory a capture ring writes in.
    pub fn start_at(dir: tempfile::TempDir, file: std::path::PathBuf, extra: &[&str]) -> Following {
        let out = dir.path().join("events.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsclose"))
            .env_remove("SSLKEYLOGFILE")
            .args(["analyze", "--follow"])
            .arg(&file)
            .args(["--metrics", "127.0.0.1:0", "--format", "jsonl"])
            .args(extra)
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut f = Following {
            child,
            addr: String::new(),
            stderr: rx,
            said: Vec::new(),
            _dir: dir,
            file,
            out,
        };
        let line = f
            .wait_said(|l| l.contains("serving metrics at http://"))
            .expect("wsclose never said where it serves the metrics");
        assert!(line.contains("loopback only"), "{line}");
        f.addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split("/metrics").next())
            .unwrap()
            .to_string();
        f
    }

    /// Standard error's lines until one satisfies `want` (20 s at most).
    pub fn wait_said(&mut self, want: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(l) => {
                    self.said.push(l.clone());
                    if want(&l) {
                        return Some(l);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Scrapes until `ready` holds of the samples (20 s at most); the last scrape.
    pub fn scrape_until(&self, ready: impl Fn(&Samples) -> bool) -> Samples {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, body) = get(&self.addr, "/metrics", None);
            let s = Samples::parse(&body);
            if ready(&s) || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// The close events written so far (one JSON line each).
    pub fn events(&self) -> usize {
        std::fs::read_to_string(&self.out).map_or(0, |s| s.lines().count())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// `GET path` from `addr`, with `Accept: accept` when given: the head and the body.
pub(super) fn get(addr: &str, path: &str, accept: Option<&str>) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{accept}\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (head.to_string(), body.to_string())
}

/// The samples of a scrape: name, labels, value.
#[derive(Debug, Default)]
pub(super) struct Samples(Vec<(String, BTreeMap<String, String>, f64)>);

impl Samples {
    fn parse(body: &str) -> Samples {
        let mut out = Vec::new();
        for l in body
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once("=\"").unwrap();
                    (k.to_string(), v.trim_end_matches('"').to_string())
                })
                .collect();
            out.push((name.to_string(), labels, value.parse().unwrap()));
        }
        Samples(out)
    }

    /// The one value of `name` (with no labels), if served.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|s| s.0 == name).map(|s| s.2)
    }

    /// The values of `name`, summed by the labels `by`.
    pub fn sum_by(&self, name: &str, by: &[&str]) -> BTreeMap<Vec<String>, f64> {
        let mut out = BTreeMap::new();
        for (n, labels, v) in &self.0 {
            if n == name {
                let key = by.iter().map(|k| labels[*k].clone()).collect();
                *out.entry(key).or_insert(0.0) += v;
            }
        }
        out
    }
}

/// What each record of `wsclose analyze FIXTURE --format jsonl` says the metrics count:
/// (server, status, closing side, first cause's kind), for each session that is not open.
pub(super) fn closes_in_records(name: &str) -> BTreeMap<Vec<String>, f64> {
    let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", &fixture(name), "--format", "jsonl"])
        .output()
        .unwrap();
    let mut closes = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        if r["status"].is_null() {
            continue;
        }
        let st = &r["status"];
        let name = st["name"].as_str().unwrap_or("");
        let status = match st["code"].as_u64() {
            Some(c) => c.to_string(),
            None if name.starts_with("Open") => continue,
            None if name.starts_with("Evicted") => "evicted".into(),
            None if name == "Upgrade refused" || name == "Tunnel refused" => "refused".into(),
            None => "unknown".into(),
        };
        let first_by = |list: &serde_json::Value, field: &str| {
            list.as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|e| e.get("ends_stream") != Some(&false.into()))
                })
                .and_then(|e| e[field].as_str().map(String::from))
        };
        let side = first_by(&r["close_frames"], "from")
            .or_else(|| first_by(&r["stream_ends"], "by"))
            .or_else(|| first_by(&r["tcp_ends"], "by"))
            .unwrap_or_else(|| "unknown".into());
        let cause = st["causes"][0]["kind"]
            .as_str()
            .unwrap_or("none")
            .to_string();
        let server = r["server"].as_str().unwrap().to_string();
        *closes
            .entry(vec![server, status, side, cause])
            .or_insert(0.0) += 1.0;
    }
    assert!(!closes.is_empty(), "{name}: no closes in the records");
    closes
}

/// The closes served, by (server, status, side, cause), once every packet was read, are the
/// records' — for fixtures with close frames of both sides, 1005, 1006 by FIN and RST, a
/// refused upgrade, an HTTP/2 GOAWAY and a restart of 120 sessions.
#[test]
fn closes_by_server_status_side_and_cause_are_the_records() {
    for name in [
        "node-many.pcap.gz",
        "python-refused-403.pcap",
        "python-no-close-rst.pcap",
        "h2/hypercorn-h2c-goaway.pcap",
        "incident/aiohttp-restart.pcap.gz",
    ] {
        let bytes = capture_bytes(name);
        let packets = pcap_packets(&bytes).len() as f64;
        let f = Following::start(&bytes, &[]);
        let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
        let served = s.sum_by(
            "wsclose_closes_total",
            &["server", "status", "side", "cause"],
        );
        assert_eq!(served, closes_in_records(name), "{name}");
    }
}

/// Packets and bytes read, the latest packet's capture time and the lag are the capture's:
/// counted from the pcap's own records.
#[test]
fn packets_bytes_last_packet_and_lag_are_the_captures() {
    let bytes = capture_bytes("node-many.pcap.gz");
    let pkts = pcap_packets(&bytes);
    let f = Following::start(&bytes, &[]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(pkts.len() as f64));
    assert_eq!(
        s.value("wsclose_packets_read_total"),
        Some(pkts.len() as f64)
    );
    let total: usize = pkts.iter().map(|p| p.1).sum();
    assert_eq!(s.value("wsclose_bytes_read_total"), Some(total as f64));
    let last = pkts.iter().map(|p| p.0).max().unwrap() as f64 / 1e9;
    let served = s.value("wsclose_last_packet_timestamp_seconds").unwrap();
    assert!((served - last).abs() < 1e-5, "{served} vs {last}");
    // Measured at the first packet (the capture has fewer than 1024): the wall clock then
    // less its capture time, between the test's start and now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let lag = s.value("wsclose_analysis_lag_seconds").unwrap();
    let first = pkts[0].0 as f64 / 1e9;
    assert!(
        lag <= now - first && lag >= now - first - 60.0,
        "lag {lag}, now less the first packet {}",
        now - first
    );
}

/// The open connections rise with a handshake and fall back to 0 with its end; the memory
/// served is the process's and --max-memory's.
#[test]
fn open_connections_and_memory() {
    let bytes = capture_bytes("python-close-1001.pcap");
    let pkts = pcap_packets(&bytes);
    // The records up to the handshake's answer (the client's frames follow it).
    let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args([
            "analyze",
            &fixture("python-close-1001.pcap"),
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    let first = String::from_utf8_lossy(&out.stdout);
    let r: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    let answer = r["handshake"]["response_packet"].as_u64().unwrap() as usize;
    let cut = 24 + pkts[..answer].iter().map(|p| 16 + p.1).sum::<usize>();
    let mut f = Following::start(&bytes[..cut], &["--max-memory", "64M"]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(answer as f64));
    assert_eq!(s.value("wsclose_websocket_connections_open"), Some(1.0));
    assert!(s.sum_by("wsclose_closes_total", &[]).is_empty());
    assert_eq!(
        s.value("wsclose_memory_limit_bytes"),
        Some(64.0 * 1024.0 * 1024.0)
    );
    let rss = s.value("wsclose_memory_resident_bytes").unwrap();
    assert!(rss > 1e6 && rss < 64.0 * 1024.0 * 1024.0, "{rss}");
    let charged = s.value("wsclose_memory_charged_bytes").unwrap();
    assert!(charged > 0.0 && charged < rss, "{charged}");
    // The rest of the capture: the session ends.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&f.file)
        .unwrap()
        .write_all(&bytes[cut..])
        .unwrap();
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(pkts.len() as f64));
    assert_eq!(s.value("wsclose_websocket_connections_open"), Some(0.0));
    assert_eq!(
        s.sum_by("wsclose_closes_total", &["status"]),
        BTreeMap::from([(vec!["1001".to_string()], 1.0)])
    );
    assert!(f.running());
}

/// Refused attempts are the report's count of them; the incident forming is counted once,
/// as the line that says it; no series names a client.
#[test]
fn refused_attempts_and_incidents_forming() {
    let name = "incident/aiohttp-restart.pcap.gz";
    let bytes = capture_bytes(name);
    let packets = pcap_packets(&bytes).len() as f64;
    let mut f = Following::start(&bytes, &[]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
    let report: serde_json::Value = serde_json::from_slice(
        &Command::new(env!("CARGO_BIN_EXE_wsclose"))
            .args(["analyze", &fixture(name), "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let refused: u64 = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["reconnects"]["refused"].as_u64())
        .sum();
    assert!(refused > 0);
    assert_eq!(
        s.value("wsclose_refused_attempts_total"),
        Some(refused as f64)
    );
    // One incident said forming (when the first attempt refused showed the server gone),
    // one counted.
    f.wait_said(|l| l.contains("incident forming") && l.contains("ended 120 sessions"))
        .expect("the incident's forming line");
    assert_eq!(
        s.sum_by("wsclose_incidents_forming_total", &["server", "how"]),
        BTreeMap::from([(
            vec!["127.0.0.1:19801".to_string(), "FIN or RST".to_string()],
            1.0
        )])
    );
    // By kind, as the report's detection named it when said (a stop: its clients had not
    // come back yet), and code: once.
    assert_eq!(
        s.sum_by("wsclose_incidents_total", &["server", "kind", "code"]),
        BTreeMap::from([(
            vec![
                "127.0.0.1:19801".to_string(),
                "server-stop".to_string(),
                "none".to_string()
            ],
            1.0
        )])
    );
}

/// While an incident forms (its endings still close together at the latest packet), its
/// gauge holds its endings so far; the same sessions' ends, counted from the records.
#[test]
fn an_open_incident_has_a_gauge_while_it_lasts() {
    let name = "incident/aiohttp-restart.pcap.gz";
    let bytes = capture_bytes(name);
    let pkts = pcap_packets(&bytes);
    // The capture up to the incident's last member's end: its gauge then counts them all.
    let report: serde_json::Value = serde_json::from_slice(
        &Command::new(env!("CARGO_BIN_EXE_wsclose"))
            .args(["analyze", &fixture(name), "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let members = report["incidents"][0]["members"].as_u64().unwrap();
    let ends: Vec<u64> = report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"]["code"] == 1006 && c["tcp_ends"][0]["by"] == "server")
        .map(|c| c["tcp_ends"][0]["packet"].as_u64().unwrap())
        .collect();
    assert_eq!(ends.len() as u64, members);
    let last = *ends.iter().max().unwrap() as usize;
    // And up to the first attempt refused after it (the server's RST to a SYN): a stop is
    // said, and its gauge kept, once its server is shown gone (issue 102 item 6).
    let refused = first_rst_from(&bytes, 19801, last);
    assert!(refused > last);
    let cut = 24 + pkts[..refused].iter().map(|p| 16 + p.1).sum::<usize>();
    let f = Following::start(&bytes[..cut], &[]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(last as f64));
    assert_eq!(
        s.sum_by("wsclose_incident_open_sessions", &["server", "how"]),
        BTreeMap::from([(
            vec!["127.0.0.1:19801".to_string(), "FIN or RST".to_string()],
            members as f64
        )])
    );
    // Control: the whole capture, whose last packet is seconds after the incident: no
    // gauge is left.
    let f = Following::start(&bytes, &[]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(pkts.len() as f64));
    assert!(s.sum_by("wsclose_incident_open_sessions", &[]).is_empty());
}

/// `--redact`: the server label is a pseudonym; no address is served. `--metrics-servers 0`:
/// every server is `other`.
#[test]
fn redacted_and_bounded_server_labels() {
    let bytes = capture_bytes("node-many.pcap.gz");
    let packets = pcap_packets(&bytes).len() as f64;
    let f = Following::start(&bytes, &["--redact"]);
    f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
    let (_, body) = get(&f.addr, "/metrics", None);
    assert!(!body.contains("127.0.0.1"), "{body}");
    let servers = Samples::parse(&body).sum_by("wsclose_closes_total", &["server"]);
    // The pseudonym the redacted report gives the server (the same key: the capture's).
    let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--redact", "--format", "jsonl"])
        .arg(fixture("node-many.pcap.gz"))
        .output()
        .unwrap();
    let first = String::from_utf8_lossy(&out.stdout);
    let r: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    let named = r["server"].as_str().unwrap().to_string();
    assert!(
        named.starts_with("host-") && named.ends_with(":9020"),
        "{named}"
    );
    assert_eq!(servers, BTreeMap::from([(vec![named], 5.0)]));
    let f = Following::start(&bytes, &["--metrics-servers", "0"]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
    assert_eq!(
        s.sum_by("wsclose_closes_total", &["server"]),
        BTreeMap::from([(vec!["other".to_string()], 5.0)])
    );
}

/// Content negotiation as Prometheus does it: OpenMetrics (with its `# EOF`) when asked
/// first, the text format 0.0.4 otherwise; other paths and methods, and what is not HTTP,
/// are refused without stopping the capture.
#[test]
fn negotiation_and_bad_requests() {
    let bytes = capture_bytes("node-many.pcap.gz");
    let mut f = Following::start(&bytes, &[]);
    let packets = pcap_packets(&bytes).len() as f64;
    f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
    let (head, body) = get(
        &f.addr,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    );
    assert!(
        head.contains("Content-Type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert!(body.contains("# TYPE wsclose_closes counter"), "{body}");
    let (head, body) = get(&f.addr, "/metrics", Some("text/plain;version=0.0.4"));
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(!body.contains("# EOF"));
    assert!(
        body.contains("# TYPE wsclose_closes_total counter"),
        "{body}"
    );
    assert!(get(&f.addr, "/", None).0.starts_with("HTTP/1.1 404"));
    let mut s = TcpStream::connect(&f.addr).unwrap();
    s.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    let mut s = TcpStream::connect(&f.addr).unwrap();
    s.write_all(b"POST /metrics HTTP/1.1\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 405"), "{out}");
    assert!(f.running());
    let (head, _) = get(&f.addr, "/metrics", None);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

/// A port in use: a clear error, exit 2, before anything is read.
#[test]
fn a_port_in_use_is_exit_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--follow", &fixture("node-close-1003.pcap")])
        .args(["--metrics", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the port is in use"), "{err}");
    // Without --follow, --metrics has nothing to serve.
    let out = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", &fixture("node-close-1003.pcap")])
        .args(["--metrics", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --follow"));
}

/// A process's threads and resident memory (kB), from /proc.
fn threads_and_rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap()
    };
    (field("Threads:"), field("VmRSS:"))
}

/// A thousand scrapers that connect and never send, and one that never reads its answer:
/// no thread more, memory flat, and the capture goes on (what is appended meanwhile is
/// read); once they are gone, a scrape is answered again.
#[test]
fn a_thousand_silent_scrapers_stop_nothing() {
    let bytes = capture_bytes("node-many.pcap.gz");
    let pkts = pcap_packets(&bytes);
    let half = pkts.len() / 2;
    let cut = 24 + pkts[..half].iter().map(|p| 16 + p.1).sum::<usize>();
    // The close events of the whole capture, as a follow of it says them.
    let all_events = {
        let f = Following::start(&bytes, &[]);
        f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(pkts.len() as f64));
        std::thread::sleep(Duration::from_millis(300));
        f.events()
    };
    let mut f = Following::start(&bytes[..cut], &[]);
    f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(half as f64));
    let (threads, rss) = threads_and_rss(f.pid());
    let mut silent: Vec<TcpStream> = (0..1000)
        .filter_map(|_| TcpStream::connect(&f.addr).ok())
        .collect();
    assert!(silent.len() > 500, "only {} connected", silent.len());
    // One that asks and never reads (its answer waits in the socket's buffers).
    let mut greedy = TcpStream::connect(&f.addr).unwrap();
    greedy.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
    // The capture goes on meanwhile.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&f.file)
        .unwrap()
        .write_all(&bytes[cut..])
        .unwrap();
    // Its closes said, while the scrapers wait.
    let before = f.events();
    let deadline = Instant::now() + Duration::from_secs(20);
    while f.events() < all_events && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        f.events() == all_events && all_events > before,
        "{} events of {all_events} ({before} before)",
        f.events()
    );
    let (threads_now, rss_now) = threads_and_rss(f.pid());
    assert!(
        threads_now <= threads,
        "{threads} threads, then {threads_now}"
    );
    assert!(rss_now < rss + 8 * 1024, "{rss} kB, then {rss_now} kB");
    assert!(f.running());
    silent.clear();
    drop(greedy);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(pkts.len() as f64));
    assert_eq!(
        s.value("wsclose_packets_read_total"),
        Some(pkts.len() as f64)
    );
}

/// Issue 104, item 3: a thousand connections that never send, each re-opened as soon as the
/// server closes it (as a client stuck on a dead scrape target does), keep no scrape out:
/// each of five scrapes is answered whole within 2 s (docs/monitoring.md says so).
#[test]
fn a_scrape_gets_through_a_thousand_idle_connections_reopened() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let bytes = capture_bytes("node-many.pcap.gz");
    let packets = pcap_packets(&bytes).len() as f64;
    let mut f = Following::start(&bytes, &[]);
    f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(packets));
    let stop = Arc::new(AtomicBool::new(false));
    let reopened = Arc::new(AtomicUsize::new(0));
    let holder = {
        let (addr, stop, reopened) = (f.addr.clone(), Arc::clone(&stop), Arc::clone(&reopened));
        std::thread::spawn(move || {
            let open = || {
                let s = TcpStream::connect(&addr).ok()?;
                s.set_nonblocking(true).ok()?;
                Some(s)
            };
            let mut idle: Vec<Option<TcpStream>> = (0..1000).map(|_| open()).collect();
            let held = idle.iter().flatten().count();
            let mut buf = [0u8; 64];
            while !stop.load(Ordering::Relaxed) {
                for slot in &mut idle {
                    let closed = match slot {
                        Some(s) => match s.read(&mut buf) {
                            Ok(_) => true,
                            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                        },
                        None => true,
                    };
                    if closed {
                        *slot = open();
                        reopened.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            held
        })
    };
    // The idle connections in place (and the server's first deadlines passed) before the
    // scrapes.
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", f.pid())).unwrap();
        let after = stat.rsplit_once(')').unwrap().1;
        let field = |k: usize| {
            after
                .split_whitespace()
                .nth(k)
                .unwrap()
                .parse::<u64>()
                .unwrap()
        };
        // utime and stime, in clock ticks (fields 14 and 15).
        field(11) + field(12)
    };
    let cpu_before = cpu();
    let idle_since = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let mut took = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let answered = (|| {
            let mut s = TcpStream::connect(&f.addr).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .ok()?;
            let mut out = String::new();
            s.read_to_string(&mut out).ok()?;
            Some(out)
        })();
        let ok = answered.as_ref().is_some_and(|o| {
            o.starts_with("HTTP/1.1 200") && o.contains("wsclose_packets_read_total")
        });
        took.push((ok, t.elapsed()));
        std::thread::sleep(Duration::from_millis(500));
    }
    let (cpu_ticks, idle_for) = (cpu() - cpu_before, idle_since.elapsed());
    stop.store(true, Ordering::Relaxed);
    let held = holder.join().unwrap();
    assert!(held > 900, "only {held} idle connections opened");
    eprintln!(
        "a_scrape_gets_through: {:?}, {} idle connections re-opened; wsclose took {cpu_ticks} \
         ticks of CPU in {idle_for:?}",
        took,
        reopened.load(Ordering::Relaxed)
    );
    assert!(
        took.iter().all(|&(ok, t)| ok && t < Duration::from_secs(2)),
        "scrapes (answered, time): {took:?}"
    );
    assert!(f.running());
}
