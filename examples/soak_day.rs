//! A day on a server, at full speed (issue 95): a million generated WebSocket sessions (and
//! the other TCP and UDP the generator mixes in) with their capture times stretched over 24
//! hours, written through a FIFO into `wsclose analyze --follow --metrics`, scraped all along.
//!
//! ```sh
//! cargo build --release --features tools --bin wsclose --example soak_day
//! target/release/examples/soak_day --wsclose target/release/wsclose      # 1 000 000 sessions
//! ```
//!
//! It checks, and exits 1 saying which failed:
//! - resident memory flat once the sessions kept for the report at the end are all there
//!   (issue 104 item 9): over the sessions that finish after the first fifth, resident
//!   memory grows by at most [`MAX_SLOPE`] bytes a finished session (a least-squares line
//!   through the scrapes), and so does what it holds beyond the analysis' own estimate
//!   (resident less `wsclose_memory_charged_bytes`: what is kept per session is charged);
//!   its peak after the first hour of capture time within 24 MB of the peak during that
//!   hour, and under `--max-memory` (wsclose's default, 1 GiB, here: the budget a server
//!   runs with, under which what grows with the sessions has the most room to);
//! - every counter equal to the records: the closes served once the last packet is read, by
//!   status, are those of the sessions finished by then in the records `wsclose analyze -`
//!   gives of the same bytes (a second pass), and the sessions served as open are the rest;
//! - no incident left open after its end: no `wsclose_incident_open_sessions` series lasts
//!   over ten minutes of capture time (the generator's endings are spread at random: a
//!   server's steady pace, which forms no incident);
//! - the same answers as `analyze`: each session the followed run kept for its report at
//!   the end is analyze's record of it, and it says how many it did not keep (a followed
//!   capture keeps the reports of the first `analyzer::KEPT_SESSIONS` sessions to finish).
//!
//! It prints what it measured: the capture (packets, bytes), memory by hour, the incidents
//! that formed, and the CPU seconds of `--follow` with and without `--metrics` (a third
//! pass), their difference per close. A measurement, not a check: CPU time on a shared
//! machine moves by a few percent. `--sessions` scales it down. Nothing is written to disk but FIFOs.

#[path = "gen/mod.rs"]
mod gen;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use wsclose::vocab::Timestamp;

const DAY_S: f64 = 86_400.0;
/// Bytes the generator writes per connection, about (measured: 1 970 at 100 000).
const BYTES_PER_CONNECTION: u64 = 2_000;
/// Resident memory may grow by at most this many bytes per finished session once the
/// sessions kept for the report at the end are all there (before issue 104 item 9 it grew
/// by 306 bytes a session over 260 000 sessions, 16 to 87 MB).
const MAX_SLOPE: f64 = 16.0;

/// Capture times stretched `k` times from the first packet's.
struct Stretch<K> {
    inner: K,
    t0: Option<i64>,
    k: f64,
}

impl<K: gen::Sink> gen::Sink for Stretch<K> {
    fn emit(&mut self, ts: Timestamp, data: &[u8]) -> std::io::Result<()> {
        let t0 = *self.t0.get_or_insert(ts.0);
        let t = t0 + ((ts.0 - t0) as f64 * self.k) as i64;
        self.inner.emit(Timestamp(t), data)
    }
}

struct Args {
    /// `--max-memory`, in MiB (1 024 by default: wsclose's own default).
    budget_mib: u64,
    sessions: u64,
    seed: u64,
    wsclose: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        budget_mib: 1024,
        sessions: 1_000_000,
        seed: 5,
        wsclose: PathBuf::from("target/release/wsclose"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        match k.as_str() {
            "--sessions" => a.sessions = v.parse().map_err(|e| format!("--sessions: {e}"))?,
            "--max-memory-mib" => {
                a.budget_mib = v.parse().map_err(|e| format!("--max-memory-mib: {e}"))?
            }
            "--seed" => a.seed = v.parse().map_err(|e| format!("--seed: {e}"))?,
            "--wsclose" => a.wsclose = v.into(),
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    if !a.wsclose.is_file() {
        return Err(format!("{}: no such binary", a.wsclose.display()));
    }
    Ok(a)
}

fn budget(a: &Args) -> String {
    format!("{}M", a.budget_mib)
}

fn config(a: &Args) -> (gen::Config, f64) {
    let mut cfg = gen::Config::new(a.sessions, a.sessions * BYTES_PER_CONNECTION, a.seed);
    cfg.concurrency = 256;
    let span_s = (cfg.size * 8) as f64 / (cfg.rate_mbps as f64 * 1e6);
    (cfg, DAY_S / span_s)
}

/// Generates the day into `out` as a classic pcap.
fn feed(cfg: &gen::Config, k: f64, out: impl Write) -> std::io::Result<gen::Summary> {
    let w = wsclose::__internals::capture::write::PcapWriter::new(
        std::io::BufWriter::with_capacity(1 << 20, out),
        wsclose::vocab::LinkType::ETHERNET,
        gen::SNAPLEN,
    )?;
    let mut s = Stretch {
        inner: w,
        t0: None,
        k,
    };
    let summary = gen::generate(cfg, &mut s, std::io::sink())?;
    s.inner.into_inner().flush()?;
    Ok(summary)
}

/// CPU seconds (user and system) of the children waited for so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(u.ru_utime) + s(u.ru_stime)
}

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

fn scrape(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out.split_once("\r\n\r\n")?.1.to_string())
}

/// (name, labels, value) of each sample.
fn samples(body: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for l in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let Some((series, value)) = l.rsplit_once(' ') else {
            continue;
        };
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let labels = labels
            .split("\",")
            .filter_map(|kv| kv.split_once("=\""))
            .map(|(k, v)| (k.to_string(), v.trim_end_matches('"').to_string()))
            .collect();
        out.push((name.to_string(), labels, value.parse().unwrap_or(f64::NAN)));
    }
    out
}

fn value(s: &[(String, BTreeMap<String, String>, f64)], name: &str) -> f64 {
    s.iter().find(|x| x.0 == name).map_or(0.0, |x| x.2)
}

/// What the soak reads of a run's JSON Lines, as they come (a day's records are
/// gigabytes: nothing is written to disk): each connection record's hash (without what
/// names the run and its input, `run_id` and `input_path`, and its number in its report,
/// `id`, 1..N in the order they started, so a report that left some out numbers the rest
/// otherwise), and its hash without what it says of other sessions too (`incident`,
/// `reconnect`, `replaces`, and the `status` and `evidence` that cite a reconnect: a
/// followed run judges those among the sessions it kept, where an idle timeout that later
/// sessions, idle longer and still open, contradict may form, and a reconnect after the
/// last kept is not there); the closes by status of the sessions finished (both sides ended TCP, one
/// reset it, or a cap evicted it: stretched over a day, some sessions are quiet longer than
/// `--idle-timeout`) and how many with a status were not; and the sessions a followed run
/// left out of its report at the end, from its summary's warning.
#[derive(Default)]
struct Digest {
    hashes: HashSet<u64>,
    own: HashSet<u64>,
    closes: BTreeMap<String, f64>,
    unfinished: u64,
    not_kept: u64,
}

fn digest(records: impl BufRead) -> Digest {
    use std::hash::{Hash, Hasher};
    let mut d = Digest::default();
    for line in records.lines().map_while(Result::ok) {
        if line.contains("\"type\":\"summary\"") {
            d.not_kept = not_kept(&line);
            continue;
        }
        let Ok(mut r) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if r["type"] != "connection" {
            continue;
        }
        if !r["status"].is_null() {
            let ends = r["tcp_ends"].as_array().map_or(&[][..], |a| &a[..]);
            let finished = ends.len() >= 2
                || ends.iter().any(|e| e["kind"] == "rst")
                || !r["evicted"].is_null();
            d.unfinished += u64::from(!finished);
            if let (true, Some(code)) = (finished, r["status"]["code"].as_u64()) {
                *d.closes.entry(code.to_string()).or_insert(0.0) += 1.0;
            }
        }
        if let Some(o) = r.as_object_mut() {
            o.remove("run_id");
            o.remove("input_path");
            o.remove("id");
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        r.to_string().hash(&mut h);
        d.hashes.insert(h.finish());
        if let Some(o) = r.as_object_mut() {
            for k in ["incident", "reconnect", "replaces", "status", "evidence"] {
                o.remove(k);
            }
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        r.to_string().hash(&mut h);
        d.own.insert(h.finish());
    }
    d
}

/// The sessions a followed run left out of its report at the end, from its summary's
/// warning ("N WebSocket sessions that finished after the first M kept are left out").
fn not_kept(summary: &str) -> u64 {
    summary
        .find(" WebSocket sessions that finished after the first")
        .and_then(|at| {
            let digits: String = summary[..at]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.chars().rev().collect::<String>().parse().ok()
        })
        .unwrap_or(0)
}

struct Pass {
    records: Digest,
    cpu_s: f64,
    summary: gen::Summary,
    metrics: Option<Scraped>,
}

/// `wsclose analyze --follow FIFO --format jsonl [--metrics]`, fed the day; with metrics,
/// scraped every 200 ms and checked as it goes (`failures`).
fn follow(a: &Args, dir: &Path, metrics: bool, failures: &mut Vec<String>) -> Pass {
    let (cfg, k) = config(a);
    let fifo = dir.join(if metrics { "on.fifo" } else { "off.fifo" });
    let _ = std::fs::remove_file(&fifo);
    let ok = Command::new("mkfifo").arg(&fifo).status();
    assert!(ok.is_ok_and(|s| s.success()), "mkfifo");
    let mut cmd = Command::new(&a.wsclose);
    cmd.args(["analyze", "--follow"])
        .arg(&fifo)
        .args(["--format", "jsonl", "--max-memory", &budget(a)])
        .stdout(if metrics {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    if metrics {
        cmd.args(["--metrics", "127.0.0.1:0"]);
    }
    let before = children_cpu();
    let mut child = cmd.spawn().expect("wsclose runs");
    let pid = child.id();
    let out = child.stdout.take();
    let reading = std::thread::spawn(move || {
        out.map(|o| digest(BufReader::with_capacity(1 << 20, o)))
            .unwrap_or_default()
    });
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut addr = String::new();
    if metrics {
        let mut line = String::new();
        while !line.contains("serving metrics at http://") {
            line.clear();
            if err.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("wsclose said no metrics address");
            }
        }
        addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split("/metrics").next())
            .unwrap_or_default()
            .to_string();
    }
    let said = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("fifo opens");
    let (tx, rx) = std::sync::mpsc::channel();
    // The FIFO is kept open after the last packet (sent back), so that the final scrape
    // reads the finished counters before the end of input ends the process.
    let feeding = std::thread::spawn(move || {
        let mut w = writer;
        let s = feed(&cfg, k, &mut w).expect("the day is written");
        let _ = tx.send(());
        (s, w)
    });
    let started = Instant::now();
    // Per hour of capture time: the peak RSS (kB). Per incident series: the capture times
    // it was first and last seen open.
    let mut by_hour: BTreeMap<u64, u64> = BTreeMap::new();
    // Per scrape: sessions finished so far (the closes counted), resident and charged bytes.
    let mut growth: Vec<(f64, f64, f64)> = Vec::new();
    let mut incidents: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let (mut first_ts, mut last) = (None::<f64>, Vec::new());
    let mut charged_peak = 0.0f64;
    loop {
        let fed = rx.try_recv().is_ok();
        if metrics {
            if let Some(body) = scrape(&addr) {
                let s = samples(&body);
                let ts = value(&s, "wsclose_last_packet_timestamp_seconds");
                if ts > 0.0 {
                    let t0 = *first_ts.get_or_insert(ts);
                    let hour = ((ts - t0) / 3600.0) as u64;
                    let rss = rss_kb(pid);
                    let e = by_hour.entry(hour).or_default();
                    *e = (*e).max(rss);
                    let finished: f64 = s
                        .iter()
                        .filter(|x| x.0 == "wsclose_closes_total")
                        .map(|x| x.2)
                        .sum();
                    let charged = value(&s, "wsclose_memory_charged_bytes");
                    growth.push((finished, rss as f64 * 1024.0, charged));
                    charged_peak = charged_peak.max(value(&s, "wsclose_memory_charged_bytes"));
                    for x in s.iter().filter(|x| x.0 == "wsclose_incident_open_sessions") {
                        let key = format!("{:?}", x.1);
                        let e = incidents.entry(key).or_insert((ts, ts));
                        e.1 = ts;
                    }
                }
                last = s;
            }
        }
        if fed {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (summary, writer) = feeding.join().expect("feeder");
    if metrics {
        // Every packet read, then the counters.
        let want = summary.packets as f64;
        let deadline = Instant::now() + Duration::from_secs(600);
        while value(&last, "wsclose_packets_read_total") < want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            if let Some(b) = scrape(&addr) {
                last = samples(&b);
            }
        }
    }
    drop(writer);
    let status = child.wait().expect("wsclose ends");
    let cpu_s = children_cpu() - before;
    let records = reading.join().unwrap_or_default();
    let stderr = said.join().unwrap_or_default();
    if !status.success() {
        failures.push(format!("wsclose exited {status}: {stderr}"));
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "follow {} metrics: {} packets, {} bytes in {took:.0} s wall, {cpu_s:.1} s CPU",
        if metrics { "with" } else { "without" },
        summary.packets,
        summary.bytes
    );
    Pass {
        records,
        cpu_s,
        summary,
        metrics: metrics.then_some(Scraped {
            last,
            by_hour,
            growth,
            incidents,
            charged_peak,
        }),
    }
}

/// What the scrapes of a pass with `--metrics` saw.
struct Scraped {
    last: Vec<(String, BTreeMap<String, String>, f64)>,
    by_hour: BTreeMap<u64, u64>,
    growth: Vec<(f64, f64, f64)>,
    incidents: BTreeMap<String, (f64, f64)>,
    charged_peak: f64,
}

/// The scrapes of the pass with `--metrics` against the records of `analyze` (`records`).
fn check_metrics(
    a: &Args,
    summary: &gen::Summary,
    m: &Scraped,
    records: &Digest,
    failures: &mut Vec<String>,
) {
    let budget_bytes = a.budget_mib << 20;
    let (last, by_hour, incidents) = (&m.last, &m.by_hour, &m.incidents);
    let read = value(last, "wsclose_packets_read_total");
    if read != summary.packets as f64 {
        failures.push(format!("{read} packets read of {}", summary.packets));
    }
    // Memory, by hour of capture time.
    let hours: Vec<String> = by_hour
        .iter()
        .map(|(h, kb)| format!("{h}:{}", kb / 1024))
        .collect();
    println!("peak RSS (MB) by hour of capture time: {}", hours.join(" "));
    println!("charged at most {:.1} MB", m.charged_peak / 1e6);
    match (by_hour.get(&0), by_hour.range(1..).map(|x| *x.1).max()) {
        (Some(&first), Some(later)) => {
            if later > first + 24 * 1024 {
                failures.push(format!(
                    "RSS not flat: {} MB in the first hour, {} MB later",
                    first / 1024,
                    later / 1024
                ));
            }
            if later * 1024 > budget_bytes {
                failures.push(format!(
                    "RSS {} MB over --max-memory {}",
                    later / 1024,
                    budget(a)
                ));
            }
        }
        _ => failures.push(format!(
            "under two hours of capture time scraped: {hours:?}"
        )),
    }
    // Flat per finished session once the sessions kept are all there: after the first fifth
    // of them, and twice those kept.
    let total = m.growth.last().map_or(0.0, |g| g.0);
    let from = (total / 5.0).max(2.0 * wsclose::__internals::analyzer::KEPT_SESSIONS as f64);
    let after: Vec<_> = m.growth.iter().filter(|g| g.0 >= from).collect();
    let rss = slope(after.iter().map(|g| (g.0, g.1)));
    let beyond = slope(after.iter().map(|g| (g.0, g.1 - g.2)));
    println!(
        "resident memory from {from} to {total} finished sessions ({} scrapes): \
         {rss:+.1} bytes a session, {beyond:+.1} beyond what is charged",
        after.len()
    );
    if after.len() < 10 {
        failures.push(format!("{} scrapes after {from} sessions", after.len()));
    }
    if rss > MAX_SLOPE || beyond > MAX_SLOPE {
        failures.push(format!(
            "memory grows with the finished sessions: {rss:+.1} bytes a session resident, \
             {beyond:+.1} beyond what is charged (at most {MAX_SLOPE})"
        ));
    }
    // The closes served, by status, are the finished sessions of the records.
    let (want, unfinished) = (&records.closes, records.unfinished);
    let mut served: BTreeMap<String, f64> = BTreeMap::new();
    for x in last.iter().filter(|x| x.0 == "wsclose_closes_total") {
        if let Some(st) = x.1.get("status").filter(|s| s.parse::<u16>().is_ok()) {
            *served.entry(st.clone()).or_insert(0.0) += x.2;
        }
    }
    let closes: f64 = served.values().sum();
    println!("closes served: {closes} ({unfinished} sessions still open at the last packet)");
    if &served != want {
        failures.push(format!(
            "closes served by status {served:?}, the records' {want:?}"
        ));
    }
    let open = value(last, "wsclose_websocket_connections_open");
    if open != unfinished as f64 {
        failures.push(format!("{open} open served, {unfinished} in the records"));
    }
    // Incidents: each one's time open, in capture seconds.
    let longest = incidents
        .values()
        .map(|(a, b)| b - a)
        .fold(0.0f64, f64::max);
    println!(
        "incidents forming seen: {} (longest open {longest:.0} s of capture time)",
        incidents.len()
    );
    if longest > 600.0 {
        failures.push(format!("an incident stayed open {longest:.0} s"));
    }
}

/// The slope of the least-squares line through `points` (y per x); 0 for fewer than two.
fn slope(points: impl Iterator<Item = (f64, f64)> + Clone) -> f64 {
    let n = points.clone().count() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = points
        .clone()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = points.fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

/// `wsclose analyze -` reading the day from a pipe.
fn analyze(a: &Args, failures: &mut Vec<String>) -> Pass {
    let (cfg, k) = config(a);
    let before = children_cpu();
    let mut child = Command::new(&a.wsclose)
        .args([
            "analyze",
            "--format",
            "jsonl",
            "--max-memory",
            &budget(a),
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wsclose runs");
    let stdin = child.stdin.take().expect("stdin");
    let feeding = std::thread::spawn(move || feed(&cfg, k, stdin).expect("the day is written"));
    let records = digest(BufReader::with_capacity(
        1 << 20,
        child.stdout.take().expect("stdout"),
    ));
    let summary = feeding.join().expect("feeder");
    let status = child.wait().expect("wsclose ends");
    if !status.success() {
        failures.push(format!("analyze - exited {status}"));
    }
    Pass {
        records,
        cpu_s: children_cpu() - before,
        summary,
        metrics: None,
    }
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak_day: {e}");
            return ExitCode::from(2);
        }
    };
    // Only the FIFOs: the records are read as they come.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (cfg, k) = config(&a);
    println!(
        "soak_day: {} connections, about {} MB, capture times stretched {k:.0} times to a day",
        cfg.connections,
        cfg.size / 1_000_000
    );
    let mut failures = Vec::new();
    let on = follow(&a, dir.path(), true, &mut failures);
    let offline = analyze(&a, &mut failures);
    if let Some(m) = &on.metrics {
        check_metrics(&a, &on.summary, m, &offline.records, &mut failures);
    }
    // The same answers: each session the followed run kept for its report at the end is
    // analyze's record of it but for what it says of other sessions, and the ones it did
    // not keep are the rest (said in a warning).
    let (followed, all) = (&on.records.hashes, &offline.records.hashes);
    let not_kept = on.records.not_kept;
    let foreign = on.records.own.difference(&offline.records.own).count();
    println!(
        "--follow's kept records that say otherwise of other sessions (incident, reconnect): {}",
        followed.difference(all).count()
    );
    println!(
        "analyze -: {} sessions, {:.1} s CPU; --follow kept {} for its report at the end, {not_kept} told as they ended and not kept",
        all.len(),
        offline.cpu_s,
        followed.len()
    );
    if foreign > 0 || followed.len() as u64 + not_kept != all.len() as u64 {
        failures.push(format!(
            "--follow's records are not analyze's: {foreign} of its {} differ; it kept {} and left out {not_kept} of analyze's {}",
            followed.len(),
            followed.len(),
            all.len()
        ));
    }
    let off = follow(&a, dir.path(), false, &mut failures);
    let closes = offline.records.closes.values().sum::<f64>().max(1.0);
    println!(
        "--metrics costs {:+.2} s CPU over {} WebSocket sessions ({closes} closes): {:+.2} µs a close",
        on.cpu_s - off.cpu_s,
        off.summary.websocket,
        (on.cpu_s - off.cpu_s) * 1e6 / closes
    );
    if failures.is_empty() {
        println!("soak_day: every check held");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("soak_day: FAILED: {f}");
        }
        ExitCode::from(1)
    }
}
