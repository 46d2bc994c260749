//! The shipped alert `WebSocketIncidentForming` (docs/monitoring/rules.yml) on series
//! scraped from real runs (issue 104, item 8): a following `wsclose analyze --follow
//! --metrics` is scraped again and again while its capture is written into the followed
//! file, the scrapes become `promtool test rules` input series 15 s apart (one scrape per
//! evaluation), and promtool checks that the alert fires for a real restart
//! (fixtures/incident/aiohttp-restart.pcap.gz: the capture before the restart, then the
//! rest) from the first scrape that saw it, for ten minutes, and never for a control: the
//! README's demo pair's steady traffic (a session every 0.5 s ending in turn with the
//! client's 1000, the server's 1011, the server's 4001, the client's reset). Skipped, saying
//! so, where promtool is not installed, except under CI, which installs it (.ci/run).

use super::{capture_bytes, get, pcap_packets, Following, Samples};
use crate::common::skip::skipped;
use crate::common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Command;
use std::time::Duration;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    LinkType,
    Role::{Client, Server},
    Timestamp,
};

/// A child, killed if the test leaves early.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Seconds between two scrapes in the series given to promtool.
const STEP_S: usize = 15;

fn promtool_missing() -> bool {
    if Command::new("promtool").arg("--version").output().is_ok() {
        return false;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have promtool (.ci/run installs Debian's prometheus)"
    );
    skipped(format_args!(
        "promtool is not installed (Debian: apt-get install prometheus)"
    ));
    true
}

/// Scrapes `f` every 20 ms into `scrapes` until `done` holds of one, then `after` more.
fn record(
    f: &Following,
    scrapes: &mut Vec<Samples>,
    done: impl Fn(&Samples) -> bool,
    after: usize,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = Samples::parse(&get(&f.addr, "/metrics", None).1);
        let over = done(&s);
        scrapes.push(s);
        if over {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never done");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..after {
        std::thread::sleep(Duration::from_millis(20));
        scrapes.push(Samples::parse(&get(&f.addr, "/metrics", None).1));
    }
}

/// A series' name and labels as promtool reads them, with the scrape's job and instance.
fn series_name(name: &str, labels: &BTreeMap<String, String>) -> String {
    let mut s = format!("{name}{{job=\"wsclose\",instance=\"wsclose:9750\"");
    for (k, v) in labels {
        let v = v.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = write!(s, ",{k}=\"{v}\"");
    }
    s.push('}');
    s
}

/// promtool's `input_series` from `scrapes` taken [`STEP_S`] apart: every `wsclose_`
/// series with its value at each scrape, `_` where that scrape did not serve it.
fn input_series(scrapes: &[Samples]) -> String {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let per: Vec<BTreeMap<String, f64>> = scrapes
        .iter()
        .map(|s| {
            s.0.iter()
                .filter(|(n, _, _)| n.starts_with("wsclose_"))
                .map(|(n, l, v)| {
                    let k = series_name(n, l);
                    names.insert(k.clone());
                    (k, *v)
                })
                .collect()
        })
        .collect();
    let mut out = String::new();
    for n in names {
        let values: Vec<String> = per
            .iter()
            .map(|p| p.get(&n).map_or("_".to_string(), |v| format!("{v}")))
            .collect();
        let _ = writeln!(
            out,
            "      - series: '{n}'\n        values: '{}'",
            values.join(" ")
        );
    }
    out
}

/// `promtool test rules` of the shipped rules on `series` with `cases` (its
/// `alert_rule_test` entries): whether it passed, and what it said.
fn promtool(series: &str, cases: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let rules = format!("{}/docs/monitoring/rules.yml", env!("CARGO_MANIFEST_DIR"));
    let test = dir.path().join("recorded_test.yml");
    std::fs::write(
        &test,
        format!(
            "rule_files:\n  - {rules}\nevaluation_interval: {STEP_S}s\ntests:\n  - interval: {STEP_S}s\n    input_series:\n{series}    alert_rule_test:\n{cases}"
        ),
    )
    .unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(&test)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&test).unwrap()
        ),
    )
}

/// An `alert_rule_test` entry at scrape `k` expecting no alert.
fn silent_at(k: usize) -> String {
    format!(
        "      - eval_time: {}s\n        alertname: WebSocketIncidentForming\n        exp_alerts: []\n",
        k * STEP_S
    )
}

/// Appends `bytes` to the followed file.
fn append(f: &Following, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&f.file)
        .unwrap();
    file.write_all(bytes).unwrap();
}

/// The bytes of a classic pcap up to its first `n` packets.
fn cut_at(bytes: &[u8], n: usize) -> usize {
    24 + pcap_packets(bytes)[..n]
        .iter()
        .map(|p| 16 + p.1)
        .sum::<usize>()
}

#[test]
fn a_real_restart_fires_the_shipped_alert_from_its_scraped_series() {
    if promtool_missing() {
        return;
    }
    let bytes = capture_bytes("incident/aiohttp-restart.pcap.gz");
    let total = pcap_packets(&bytes).len() as f64;
    // The server's first FIN of the restart is packet 1201: the capture before it, then
    // the rest, as tcpdump would have written it.
    let before = 1200;
    let cut = cut_at(&bytes, before);
    let f = Following::start(&bytes[..cut], &[]);
    let mut scrapes = Vec::new();
    record(
        &f,
        &mut scrapes,
        |s| s.value("wsclose_packets_read_total") == Some(before as f64),
        4,
    );
    let quiet = scrapes.len();
    append(&f, &bytes[cut..]);
    // Then a quarter of an hour of scrapes (at 15 s each): past the alert's 10 minutes.
    record(
        &f,
        &mut scrapes,
        |s| s.value("wsclose_packets_read_total") == Some(total),
        60,
    );
    fires_for_one_restart(&scrapes, quiet, "127.0.0.1:19801");
}

/// The checks of a restart's `scrapes` (the first `quiet` taken before it was written): one
/// incident of `server` counted once, from the first scrape that saw it on, its kind as
/// said then (a stop: its clients came back later) and no code (FINs); promtool fires the
/// shipped alert from that scrape on for ten minutes, and not before or after.
fn fires_for_one_restart(scrapes: &[Samples], quiet: usize, server: &str) {
    // The incident is counted once, from the first scrape that saw it on, with its server,
    // its kind as said then (a stop: its clients came back later) and no code (FINs).
    let incidents: Vec<BTreeMap<Vec<String>, f64>> = scrapes
        .iter()
        .map(|s| s.sum_by("wsclose_incidents_total", &["server", "kind", "code"]))
        .collect();
    let first = incidents
        .iter()
        .position(|m| !m.is_empty())
        .expect("no scrape served wsclose_incidents_total");
    assert!(first >= quiet, "counted before the restart was written");
    let last = incidents.last().unwrap();
    assert_eq!(last.len(), 1, "{last:?}");
    let (labels, n) = last.iter().next().unwrap();
    assert_eq!(*n, 1.0, "counted once");
    assert_eq!(labels[0], server);
    assert!(
        ["server-stop", "server-restart"].contains(&labels[1].as_str()),
        "{labels:?}"
    );
    assert_eq!(labels[2], "none");
    let (kind, code) = (&labels[1], &labels[2]);
    let fires = |k: usize| {
        format!(
            "      - eval_time: {}s\n        alertname: WebSocketIncidentForming\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              job: wsclose\n              instance: wsclose:9750\n              server: {server}\n              kind: {kind}\n              code: {code}\n            exp_annotations:\n              summary: \"{server}: an incident ({kind}, code {code}) in the last 10 minutes\"\n              description: \"A server ended sessions the same way close together; the report at the end names the incident and who came back (wsclose explain {kind}).\"\n",
            k * STEP_S
        )
    };
    let window = 600 / STEP_S;
    assert!(first + window < scrapes.len());
    let mut cases = String::new();
    // Silent before; fires at the first scrape that saw it, and for ten minutes (40
    // evaluations 15 s apart); silent after.
    for k in [0, quiet - 1, first - 1] {
        cases.push_str(&silent_at(k));
    }
    for k in [first, first + 1, first + window / 2, first + window - 1] {
        cases.push_str(&fires(k));
    }
    for k in [first + window, scrapes.len() - 1] {
        cases.push_str(&silent_at(k));
    }
    let (ok, said) = promtool(&input_series(scrapes), &cases);
    assert!(ok, "{said}");
}

/// The demo pair's steady traffic (docs/monitoring/demo_pair.py), 120 sessions a 0.5 s
/// apart from 10.0.0.1 to 10.0.0.2:8765, each ending in turn: the client's 1000, the
/// server's 1011, the server's 4001, the client's reset.
fn demo_pair_capture() -> Vec<u8> {
    const MS: i64 = 1_000_000;
    let mut pkts = Vec::new();
    for k in 0..120u16 {
        let mut s =
            Session::new(20_000 + k, 8765).isns(u32::from(k) * 7919, 1_000_000 + u32::from(k));
        s.clock = Timestamp(T0.0 + i64::from(k) * 500 * MS);
        s.open();
        s.send(Client, &text(Client, "hello"));
        match k % 4 {
            0 => {
                s.send(Server, &text(Server, "hello"));
                s.send(Client, &close(Client, 1000, "bye"));
                s.send(Server, &close(Server, 1000, "bye"));
                s.fins(Server);
            }
            1 => {
                s.send(Server, &close(Server, 1011, ""));
                s.send(Client, &close(Client, 1011, ""));
                s.fins(Server);
            }
            2 => {
                s.send(Server, &close(Server, 4001, "kicked"));
                s.send(Client, &close(Client, 4001, "kicked"));
                s.fins(Server);
            }
            _ => {
                s.rst(Client);
            }
        }
        pkts.extend(s.pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    w.into_inner()
}

#[test]
fn the_demo_pairs_steady_traffic_fires_no_alert_from_its_scraped_series() {
    if promtool_missing() {
        return;
    }
    let bytes = demo_pair_capture();
    let n = pcap_packets(&bytes).len();
    // Written in four parts, scraped between them and after.
    let cuts: Vec<usize> = (1..=4).map(|q| q * n / 4).collect();
    let f = Following::start(&bytes[..cut_at(&bytes, cuts[0])], &[]);
    let mut scrapes = Vec::new();
    for (i, &c) in cuts.iter().enumerate() {
        if i > 0 {
            append(&f, &bytes[cut_at(&bytes, cuts[i - 1])..cut_at(&bytes, c)]);
        }
        record(
            &f,
            &mut scrapes,
            |s| s.value("wsclose_packets_read_total") == Some(c as f64),
            5,
        );
    }
    // Its closes are counted, its 1011 and 4001 among them; no incident.
    let last = scrapes.last().unwrap();
    let statuses = last.sum_by("wsclose_closes_total", &["status"]);
    assert_eq!(statuses[&vec!["1011".to_string()]], 30.0, "{statuses:?}");
    assert_eq!(statuses[&vec!["4001".to_string()]], 30.0, "{statuses:?}");
    assert!(
        scrapes
            .iter()
            .all(|s| s.sum_by("wsclose_incidents_total", &[]).is_empty()),
        "an incident counted for steady traffic"
    );
    let cases: String = (0..scrapes.len()).map(silent_at).collect();
    let (ok, said) = promtool(&input_series(&scrapes), &cases);
    assert!(ok, "{said}");
}

/// What the real demo pair's run needs (root to capture on lo, tcpdump, python websockets:
/// .ci/run installs them and runs as root); under CI a missing one fails.
fn real_pair_tools() -> bool {
    let works = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut missing = Vec::new();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        missing.push("root (to capture on lo)");
    }
    if !works("tcpdump", &["--version"]) {
        missing.push("tcpdump");
    }
    if !works("python3", &["-c", "import websockets"]) {
        missing.push("python3 with websockets");
    }
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have what the real demo pair needs: {missing:?}"
    );
    skipped(format_args!(
        "the real demo pair needs {}",
        missing.join(", ")
    ));
    false
}

/// Issue 104, item 10, on a real run: README's demo pair (docs/monitoring/demo_pair.py, a
/// python-websockets server and its clients, 40 sessions 0.1 s apart ending in turn with
/// 1000, 1011, 4001 and the client's abort) captured by tcpdump into the file a following
/// wsclose reads, scraped throughout: its closes counted, no line `incident forming` (the
/// watch said the server's 1011 or 4001 forming at start-up, before its pace was known), no
/// incident counted, and promtool fires no alert on the scraped series.
#[test]
fn the_real_demo_pair_says_no_incident_and_fires_no_alert() {
    use std::process::Stdio;
    if promtool_missing() || !real_pair_tools() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let top = tempfile::tempdir().unwrap();
    let file = top.path().join("pair.pcap");
    let mut tcpdump = Reaped(
        Command::new("tcpdump")
            .args(["-i", "lo", "-U", "-Z", "root", "-w"])
            .arg(&file)
            .arg(format!("tcp port {port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut f = Following::start_at(top, file, &[]);
    let pair =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/monitoring/demo_pair.py");
    let mut python = Reaped(
        Command::new("python3")
            .arg(&pair)
            .args([
                "--port",
                &port.to_string(),
                "--sessions",
                "40",
                "--every",
                "0.1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut scrapes = Vec::new();
    while python.0.try_wait().unwrap().is_none() {
        scrapes.push(Samples::parse(&get(&f.addr, "/metrics", None).1));
        assert!(std::time::Instant::now() < deadline + Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut said = String::new();
    std::io::Read::read_to_string(python.0.stdout.as_mut().unwrap(), &mut said).unwrap();
    assert_eq!(
        said.lines().filter(|l| l.starts_with('/')).count(),
        40,
        "{said}"
    );
    // SAFETY: a signal to a child of this test that has not been waited for.
    unsafe {
        libc::kill(tcpdump.0.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = tcpdump.0.wait();
    let mut counts = String::new();
    std::io::Read::read_to_string(tcpdump.0.stderr.as_mut().unwrap(), &mut counts).unwrap();
    let captured: f64 = counts
        .lines()
        .filter(|l| l.contains("packets captured"))
        .find_map(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
        .unwrap_or_else(|| panic!("tcpdump said no count: {counts}"));
    record(
        &f,
        &mut scrapes,
        |s| s.value("wsclose_packets_read_total") == Some(captured),
        5,
    );
    let last = scrapes.last().unwrap();
    let statuses = last.sum_by("wsclose_closes_total", &["status"]);
    // (The last second's sessions are counted once their connections are done at the
    // capture's clock, which no later packet moves: most of the 40, each way among them.)
    assert!(statuses.values().sum::<f64>() >= 30.0, "{statuses:?}");
    for code in ["1000", "1006", "1011", "4001"] {
        assert!(statuses[&vec![code.to_string()]] >= 7.0, "{statuses:?}");
    }
    assert!(
        scrapes
            .iter()
            .all(|s| s.sum_by("wsclose_incidents_total", &[]).is_empty()),
        "an incident counted for the demo pair"
    );
    let cases: String = (0..scrapes.len()).map(silent_at).collect();
    let (ok, out) = promtool(&input_series(&scrapes), &cases);
    assert!(ok, "{out}");
    // Stopped: the report follows, and no line said an incident forming before it.
    // SAFETY: as above.
    unsafe {
        libc::kill(f.pid() as libc::pid_t, libc::SIGINT);
    }
    f.wait_said(|l| l.contains("stopped following"))
        .expect("wsclose never stopped");
    assert!(
        !f.said.iter().any(|l| l.contains("incident forming")),
        "{:?}",
        f.said
    );
}

/// Issue 104, item 8, on a real run, as the audit's operator met it: a python-websockets
/// server with 20 sessions killed and started again a second later
/// (tests/live_burst/restart.py), captured by tcpdump into the file a following
/// `wsclose analyze --follow --metrics` reads, scraped throughout: the restart is counted
/// once and promtool fires the shipped alert on the scraped series from the first scrape
/// that saw it, for ten minutes; the line `incident forming` and the report at the end name
/// the same server.
#[test]
fn a_real_restart_captured_by_tcpdump_fires_the_shipped_alert() {
    use std::process::Stdio;
    if promtool_missing() || !real_pair_tools() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("127.0.0.1:{port}");
    let top = tempfile::tempdir().unwrap();
    let file = top.path().join("restart.pcap");
    let mut tcpdump = Reaped(
        Command::new("tcpdump")
            .args(["-i", "lo", "-U", "-Z", "root", "-w"])
            .arg(&file)
            .arg(format!("tcp port {port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut f = Following::start_at(top, file, &[]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live_burst/restart.py");
    let mut python = Reaped(
        Command::new("python3")
            .arg(&script)
            .args([port.to_string().as_str(), "20"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Scraped while the sessions run (their first 2.5 s: before the kill at 3 s), then on.
    let mut scrapes = Vec::new();
    let begun = std::time::Instant::now();
    while begun.elapsed() < Duration::from_millis(2500) {
        scrapes.push(Samples::parse(&get(&f.addr, "/metrics", None).1));
        std::thread::sleep(Duration::from_millis(20));
    }
    let quiet = scrapes.len();
    while python.0.try_wait().unwrap().is_none() {
        scrapes.push(Samples::parse(&get(&f.addr, "/metrics", None).1));
        assert!(
            begun.elapsed() < Duration::from_secs(60),
            "restart.py never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut said = String::new();
    std::io::Read::read_to_string(python.0.stdout.as_mut().unwrap(), &mut said).unwrap();
    assert!(said.contains("back 20"), "{said}");
    // SAFETY: a signal to a child of this test that has not been waited for.
    unsafe {
        libc::kill(tcpdump.0.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = tcpdump.0.wait();
    let mut counts = String::new();
    std::io::Read::read_to_string(tcpdump.0.stderr.as_mut().unwrap(), &mut counts).unwrap();
    let captured: f64 = counts
        .lines()
        .filter(|l| l.contains("packets captured"))
        .find_map(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
        .unwrap_or_else(|| panic!("tcpdump said no count: {counts}"));
    // Then a quarter of an hour of scrapes (at 15 s each): past the alert's 10 minutes.
    record(
        &f,
        &mut scrapes,
        |s| s.value("wsclose_packets_read_total") == Some(captured),
        60,
    );
    fires_for_one_restart(&scrapes, quiet, &server);
    // The line that said it and the report at the end (its incident record) name it too.
    // SAFETY: as above.
    unsafe {
        libc::kill(f.pid() as libc::pid_t, libc::SIGINT);
    }
    f.wait_said(|l| l.contains("stopped following"))
        .expect("wsclose never stopped");
    let forming: Vec<&String> = f
        .said
        .iter()
        .filter(|l| l.contains("incident forming"))
        .collect();
    assert!(!forming.is_empty(), "{:?}", f.said);
    assert!(
        forming
            .iter()
            .all(|l| l.contains(&format!("incident forming: server {server} "))),
        "{forming:?}"
    );
    // The report is written after that note: read once the process is gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while f.running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let records = std::fs::read_to_string(&f.out).unwrap();
    let incidents: Vec<serde_json::Value> = records
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["type"] == "incident")
        .collect();
    assert_eq!(incidents.len(), 1, "{} records", records.lines().count());
    assert_eq!(incidents[0]["server_port"], port, "{}", incidents[0]);
    assert_eq!(incidents[0]["kind"], "server-restart", "{}", incidents[0]);
}
