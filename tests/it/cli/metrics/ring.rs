//! `analyze --follow DIR`: a capture ring (as `tcpdump -C -W` or `dumpcap -b` keep one)
//! followed. Each new file is read as it appears; connections go on across files as they do
//! offline (the closes served are the whole capture's records); a file the ring removes
//! after it was read changes nothing; one removed before it was read is said and counted.

use super::{capture_bytes, closes_in_records, pcap_packets, Following};
use crate::gen;
use std::path::Path;
use std::time::{Duration, Instant};

/// The classic pcap `b` cut into files at the packet indexes `cuts`, each with the header.
fn parts(b: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let pkts = pcap_packets(b);
    let mut at = 24;
    let mut bounds = vec![24];
    for (i, p) in pkts.iter().enumerate() {
        at += 16 + p.1;
        if cuts.contains(&(i + 1)) {
            bounds.push(at);
        }
    }
    bounds.push(b.len());
    bounds
        .windows(2)
        .map(|w| [&b[..24], &b[w[0]..w[1]]].concat())
        .collect()
}

/// Writes `bytes` as the ring's file `name`, whole at once (written beside, then renamed
/// in, as a ring's writer leaves each file whole before it opens the next).
fn put(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.parent().unwrap().join(format!("{name}.part"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

fn interrupt(pid: u32) {
    // SAFETY: a signal to a child of this test that has not been waited for.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGINT);
    }
}

#[test]
fn a_ring_is_followed_file_by_file_and_connections_go_on_across_files() {
    let name = "incident/aiohttp-restart.pcap.gz";
    let bytes = capture_bytes(name);
    let n = pcap_packets(&bytes).len();
    let files = parts(&bytes, &[n / 3, 2 * n / 3]);
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("ring");
    std::fs::create_dir(&dir).unwrap();
    put(&dir, "cap_00001.pcap", &files[0]);
    let mut f = Following::start_at(top, dir.clone(), &[]);
    let read = |k: usize| {
        (files[..k]
            .iter()
            .map(|p| pcap_packets(p).len())
            .sum::<usize>()) as f64
    };
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(read(1)));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(read(1)));
    put(&dir, "cap_00002.pcap", &files[1]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(read(2)));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(read(2)));
    // The ring removes the file read: nothing changes.
    std::fs::remove_file(dir.join("cap_00001.pcap")).unwrap();
    put(&dir, "cap_00003.pcap", &files[2]);
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(n as f64));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(n as f64));
    assert_eq!(s.value("wsclose_ring_files_removed_total"), Some(0.0));
    assert_eq!(
        s.sum_by(
            "wsclose_closes_total",
            &["server", "status", "side", "cause"]
        ),
        closes_in_records(name)
    );
    interrupt(f.pid());
    f.wait_said(|l| l.contains("read as one capture"))
        .expect("the files said joined");
    assert!(!f.said.iter().any(|l| l.contains("before it was read")));
}

#[test]
fn a_file_removed_before_it_was_read_is_said_and_counted() {
    // A first file large enough to take a while to read, and a second the ring removes
    // while the first is read.
    let mut w = Vec::new();
    {
        let dir = tempfile::tempdir().unwrap();
        let pcap = dir.path().join("gen.pcap");
        let mut out = gen::pcap_file(&pcap).unwrap();
        gen::generate(
            &gen::Config::new(2_000, 16_000_000, 5),
            &mut out,
            std::io::sink(),
        )
        .unwrap();
        drop(out);
        w.extend(std::fs::read(&pcap).unwrap());
    }
    let n = pcap_packets(&w).len();
    let files = parts(&w, &[n * 9 / 10, n * 19 / 20]);
    let first = pcap_packets(&files[0]).len() as f64;
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("ring");
    std::fs::create_dir(&dir).unwrap();
    put(&dir, "cap_00001.pcap", &files[0]);
    put(&dir, "cap_00002.pcap", &files[1]);
    let mut f = Following::start_at(top, dir.clone(), &[]);
    // Once reading has begun (the ring was listed), the second file goes.
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total").unwrap_or(0.0) > 0.0);
    let at = s.value("wsclose_packets_read_total").unwrap();
    std::fs::remove_file(dir.join("cap_00002.pcap")).unwrap();
    // The ring's writer goes on to the next file.
    put(&dir, "cap_00003.pcap", &files[2]);
    assert!(
        at < first,
        "the first file was read ({at} packets) before the second could be removed"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut s = f.scrape_until(|s| s.value("wsclose_ring_files_removed_total") == Some(1.0));
    while s.value("wsclose_ring_files_removed_total") != Some(1.0) && Instant::now() < deadline {
        s = f.scrape_until(|s| s.value("wsclose_ring_files_removed_total") == Some(1.0));
    }
    assert_eq!(s.value("wsclose_ring_files_removed_total"), Some(1.0));
    let third = pcap_packets(&files[2]).len() as f64;
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(first + third));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(first + third));
    interrupt(f.pid());
    let said = f
        .wait_said(|l| l.contains("removed from the capture ring before it was read"))
        .expect("the removed file said");
    assert!(said.contains("cap_00002.pcap"), "{said}");
}

/// Writes `bytes` into the ring's file `name` in place, as `tcpdump -C -W` opens a name
/// again when its ring wraps: truncated, on the same inode.
fn rewrite(dir: &Path, name: &str, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(name))
        .unwrap();
    f.write_all(bytes).unwrap();
}

/// The sixth audit's high item: a `tcpdump -C SIZE -W 2` ring wraps by opening `cap0` again
/// (same name, same inode, truncated). Every round is read, not the first only; the closes
/// served are the whole capture's, and nothing is said lost.
#[test]
fn a_tcpdump_ring_is_followed_round_after_round() {
    let name = "incident/aiohttp-restart.pcap.gz";
    let bytes = capture_bytes(name);
    let n = pcap_packets(&bytes).len();
    let files = parts(&bytes, &[n / 5, 2 * n / 5, 3 * n / 5, 4 * n / 5]);
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("ring");
    std::fs::create_dir(&dir).unwrap();
    rewrite(&dir, "cap0", &files[0]);
    let mut f = Following::start_at(top, dir.clone(), &[]);
    let read = |k: usize| {
        (files[..k]
            .iter()
            .map(|p| pcap_packets(p).len())
            .sum::<usize>()) as f64
    };
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(read(1)));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(read(1)));
    let inode =
        || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.join("cap0")).unwrap());
    let first_inode = inode();
    // Round one: cap1; then the ring wraps to cap0, cap1, cap0 again.
    for (k, file) in ["cap1", "cap0", "cap1", "cap0"].iter().enumerate() {
        rewrite(&dir, file, &files[k + 1]);
        let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(read(k + 2)));
        assert_eq!(
            s.value("wsclose_packets_read_total"),
            Some(read(k + 2)),
            "round {k}: {file} rewritten in place was not read"
        );
    }
    assert_eq!(inode(), first_inode, "rewritten on the same inode");
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(n as f64));
    assert_eq!(s.value("wsclose_ring_files_removed_total"), Some(0.0));
    assert_eq!(
        s.sum_by(
            "wsclose_closes_total",
            &["server", "status", "side", "cause"]
        ),
        closes_in_records(name)
    );
    interrupt(f.pid());
    f.wait_said(|l| l.contains("read as one capture"))
        .expect("the files said joined");
    assert!(!f
        .said
        .iter()
        .any(|l| l.contains("lost") || l.contains("rewrote")));
}

/// The sixth audit's second ring item: files a `dumpcap -b files:N` ring removed before
/// they were ever listed are told by its numbering, counted, said as it happens, and the
/// files around the gap are never called one continuous capture.
#[test]
fn files_a_ring_removed_unseen_are_counted_from_its_numbering() {
    let name = "incident/aiohttp-restart.pcap.gz";
    let bytes = capture_bytes(name);
    let n = pcap_packets(&bytes).len();
    let files = parts(&bytes, &[n / 4, n / 2, 3 * n / 4]);
    let file = |k: usize| format!("cap_{:05}_20261129060000.pcap", k + 1);
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("ring");
    std::fs::create_dir(&dir).unwrap();
    put(&dir, &file(0), &files[0]);
    let mut f = Following::start_at(top, dir.clone(), &[]);
    let first = pcap_packets(&files[0]).len() as f64;
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(first));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(first));
    // Files 2 and 3 came and went between two listings: only file 4 is there.
    put(&dir, &file(3), &files[3]);
    let last = pcap_packets(&files[3]).len() as f64;
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(first + last));
    assert_eq!(s.value("wsclose_packets_read_total"), Some(first + last));
    assert_eq!(s.value("wsclose_ring_files_removed_total"), Some(2.0));
    // Said as it happens, before the stop.
    let said = f
        .wait_said(|l| l.contains("numbering skips"))
        .expect("the loss said as it happens");
    assert!(said.contains("2 files"), "{said}");
    assert!(said.contains(&file(0)) && said.contains(&file(3)), "{said}");
    interrupt(f.pid());
    f.wait_said(|l| l.contains("report covers") || l.contains("stopped following"));
    assert!(
        !f.said.iter().any(|l| l.contains("read as one capture")),
        "{:?}",
        f.said
    );
}

/// The capture tools this machine can run for a real ring (root, tcpdump, dumpcap, python
/// websockets: .ci/run installs them and runs as root); under CI a missing one fails.
fn real_ring_tools() -> bool {
    let works = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
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
    if !works("dumpcap", &["-v"]) {
        missing.push("dumpcap (wireshark-common)");
    }
    if !works("python3", &["-c", "import websockets"]) {
        missing.push("python3 with websockets");
    }
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have what the real ring test needs: {missing:?}"
    );
    crate::common::skip::skipped(format_args!(
        "a real capture ring needs {}",
        missing.join(", ")
    ));
    false
}

/// A real capture tool writing a ring into `dir` (`tcpdump -C 1 -W 2` or `dumpcap -b
/// filesize:300 -b files:3`), bursts of real python-websockets sessions on loopback (ten
/// of ten sessions with a 64 kB message each, a second apart: some 0.7 MB a burst, so the
/// ring turns over many times), followed by `wsclose analyze --follow DIR --metrics`: every
/// session's close is served, and every packet the tool captured is read.
fn a_real_ring(tool: &str) {
    use std::process::{Command, Stdio};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let filter = format!("tcp port {port}");
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("ring");
    std::fs::create_dir(&dir).unwrap();
    let mut cmd = match tool {
        "tcpdump" => {
            let mut c = Command::new("tcpdump");
            c.args(["-i", "lo", "-U", "-Z", "root", "-C", "1", "-W", "2", "-w"])
                .arg(dir.join("cap"))
                .arg(&filter);
            c
        }
        _ => {
            let mut c = Command::new("dumpcap");
            c.args([
                "-q",
                "-i",
                "lo",
                "-b",
                "filesize:300",
                "-b",
                "files:3",
                "-f",
            ])
            .arg(&filter)
            .arg("-w")
            .arg(dir.join("cap.pcapng"));
            c
        }
    };
    let writer = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    struct Reaped(std::process::Child);
    impl Drop for Reaped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut writer = Reaped(writer);
    // Its capture has begun once it wrote its first file (the header).
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(&dir).unwrap().next().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let f = Following::start_at(top, dir.clone(), &[]);
    let burst = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live_burst/burst.py");
    let (bursts, each) = (10, 10);
    for _ in 0..bursts {
        let out = Command::new("python3")
            .arg(&burst)
            .args([port.to_string(), each.to_string()])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("done {each}")),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    interrupt(writer.0.id());
    let status = writer.0.wait().unwrap();
    let mut said = String::new();
    std::io::Read::read_to_string(writer.0.stderr.as_mut().unwrap(), &mut said).unwrap();
    assert!(status.success(), "{tool}: {said}");
    // tcpdump: "N packets captured"; dumpcap: "Packets captured: N".
    let captured: f64 = said
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("packets captured"))
        .find_map(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
        .unwrap_or_else(|| panic!("{tool} said no count: {said}"));
    let files = std::fs::read_dir(&dir).unwrap().count();
    let s = f.scrape_until(|s| s.value("wsclose_packets_read_total") == Some(captured));
    let closes: f64 = s.sum_by("wsclose_closes_total", &["status"]).values().sum();
    assert_eq!(
        (
            s.value("wsclose_packets_read_total"),
            closes,
            s.value("wsclose_ring_files_removed_total")
        ),
        (Some(captured), f64::from(bursts * each), Some(0.0)),
        "{tool} ({files} files left in its ring): {:?}",
        f.said
    );
}

#[test]
fn a_real_tcpdump_ring_is_followed_whole() {
    if real_ring_tools() {
        a_real_ring("tcpdump");
    }
}

#[test]
fn a_real_dumpcap_ring_is_followed_whole() {
    if real_ring_tools() {
        a_real_ring("dumpcap");
    }
}
