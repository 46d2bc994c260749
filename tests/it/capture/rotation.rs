//! Rotated capture files and caps that never hide what they did (issue 32, items 1 and 4).
//!
//! Rotated files: recorded fixtures split by Wireshark's own `editcap -c N` (as a ring
//! buffer or `dumpcap -b` leaves a session) give the same report, connection by connection,
//! as the file they came from: the same connections, handshakes, close frames, status, and
//! packet numbers (numbered on across the files); only which file each connection starts in
//! differs. Files that do not continue each other stay separate. A directory is its captures
//! in time order. The tests that split files skip, saying so, where editcap is missing (it
//! comes with tshark, which `.ci/run` installs).
//!
//! Caps and filters: a flow evicted by `--max-flows` is marked evicted in every format and
//! once on standard error; `--max-flows 0` is refused; a filter says what it hid and exits 1
//! when it left nothing.

use crate::common::skip;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn wsclose() -> Command {
    Command::cargo_bin("wsclose").unwrap()
}

fn editcap_available() -> bool {
    std::process::Command::new("editcap")
        .arg("-h")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Splits `file` into pieces of `n` packets in `dir` (`editcap -c`); the pieces, in order.
fn split(file: &Path, n: usize, dir: &Path, stem: &str) -> Vec<PathBuf> {
    let out = dir.join(format!("{stem}.pcapng"));
    let status = std::process::Command::new("editcap")
        .arg("-c")
        .arg(n.to_string())
        .arg(file)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "editcap -c {n} {}", file.display());
    let mut pieces: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{stem}_"))
        })
        .collect();
    pieces.sort();
    pieces
}

/// The JSON report of `args` (exit code 0 or 1), parsed.
fn json(args: &[&std::ffi::OsStr]) -> Value {
    let out = wsclose()
        .arg("analyze")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The connections of a report without the fields that name files (`input`, `last_input`).
fn connections(report: &Value) -> Vec<Value> {
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let o = c.as_object_mut().unwrap();
            o.remove("input");
            o.remove("last_input");
            c
        })
        .collect()
}

fn os<P: AsRef<std::ffi::OsStr> + ?Sized>(p: &P) -> &std::ffi::OsStr {
    p.as_ref()
}

/// Every recorded fixture (the plain pcap/pcapng ones) split into pieces of 3 and of 7
/// packets gives the report of the whole file, connection by connection, packet numbers
/// included; each piece after the first is taken as the continuation of the one before.
#[test]
fn split_fixtures_give_the_whole_files_report() {
    if !editcap_available() {
        skip::skipped(format_args!(
            "skipping: editcap is not installed (it comes with tshark: apt-get install tshark)"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut spanning = 0;
    for file in std::fs::read_dir(fixture("")).unwrap() {
        let file = file.unwrap().path();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let whole = json(&[os(&file)]);
        for n in [3, 7] {
            let stem = format!("{}-{n}", name.replace('.', "_"));
            let pieces = split(&file, n, dir.path(), &stem);
            assert!(pieces.len() >= 2, "{name}: {} pieces", pieces.len());
            let args: Vec<&std::ffi::OsStr> = pieces.iter().map(os).collect();
            let joined = json(&args);
            assert_eq!(
                connections(&joined),
                connections(&whole),
                "{name} split every {n} packets"
            );
            assert_eq!(joined["summary"], whole["summary"], "{name} / {n}");
            let inputs = joined["inputs"].as_array().unwrap();
            let mut offset = 0;
            for (k, input) in inputs.iter().enumerate() {
                assert_eq!(input["continues_previous"], k > 0, "{name} / {n}: {input}");
                assert_eq!(input["packet_offset"], if k > 0 { offset } else { 0 });
                offset += input["packets"].as_u64().unwrap();
            }
            assert_eq!(offset, whole["inputs"][0]["packets"].as_u64().unwrap());
            spanning += joined["connections"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["input"] != c["last_input"])
                .count();
            compared += 1;
        }
    }
    assert!(compared > 40, "{compared} splits compared");
    assert!(spanning > 40, "{spanning} connections spanned files");
}

/// The example of the issue: a session split by `editcap -c 10` is one connection with one
/// handshake and one close, not an open one in the first file and a mid-stream one in the
/// second; the table and standard error say the files were read as one capture, and the
/// Markdown report names the file and packet of each end.
#[test]
fn a_session_split_in_files_is_one_connection_and_the_report_says_how() {
    if !editcap_available() {
        skip::skipped(format_args!(
            "skipping: editcap is not installed (it comes with tshark: apt-get install tshark)"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pieces = split(&fixture("python-close-1001.pcap"), 10, dir.path(), "cap");
    assert_eq!(pieces.len(), 2);
    // Wide enough that the file range sits on one line of its cell.
    let out = wsclose()
        .env("COLUMNS", "160")
        .arg("analyze")
        .args(&pieces)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    // The header's input lines are wrapped to the width: read them with their breaks as spaces.
    let words = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "(continues the file before: one capture with it, its packets numbered 11 to 15 here)"
        ),
        "{table}"
    );
    assert!(table.contains("1001 Going Away"), "{table}");
    assert!(!table.contains("Open"), "{table}");
    assert!(table.contains(" → cap_00001"), "{table}");
    assert_eq!(err.matches("read as one capture").count(), 1, "{err}");
    assert!(err.contains("packet 1 is packet 11"), "{err}");
    let md = wsclose()
        .arg("analyze")
        .args(&pieces)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("packets 1 to 15 (cap\\_00000"), "{md}");
    assert!(md.contains("#1 to cap\\_00001"), "{md}");
    assert!(md.contains("#5)"), "{md}");
    // Read on their own (as before), the pieces are two connections.
    let separate = json(&[os(&pieces[0]), os(&pieces[1]), os("--separate-files")]);
    assert_eq!(separate["connections"].as_array().unwrap().len(), 2);
    assert_eq!(separate["inputs"][1]["continues_previous"], false);
}

/// Files that do not continue each other stay separate inputs, and the report says why: a
/// later piece given first (the earlier one then starts before it ends), another link type.
#[test]
fn files_that_do_not_continue_each_other_stay_separate() {
    if !editcap_available() {
        skip::skipped(format_args!(
            "skipping: editcap is not installed (it comes with tshark: apt-get install tshark)"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pieces = split(&fixture("python-close-1001.pcap"), 10, dir.path(), "cap");
    let out = wsclose()
        .arg("analyze")
        .arg(&pieces[1])
        .arg(&pieces[0])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(r["inputs"][1]["continues_previous"], false);
    let why = r["inputs"][1]["continuity"].as_str().unwrap();
    assert!(why.contains("before cap_00001"), "{why}");
    assert!(err.contains("read as a capture of its own"), "{err}");
    // The pieces are read apart: no connection goes from one file into the other.
    let conns = r["connections"].as_array().unwrap();
    assert!(!conns.is_empty());
    assert!(conns.iter().all(|c| c["input"] == c["last_input"]));
    // Another link type (Linux cooked capture) is never a continuation of Ethernet.
    let r = json(&[
        os(&fixture("python-close-1001.pcap")),
        os(&fixture("python-sll.pcap")),
    ]);
    assert_eq!(r["inputs"][1]["continues_previous"], false);
    let why = r["inputs"][1]["continuity"].as_str().unwrap();
    assert!(why.contains("link type"), "{why}");
    // The Markdown's inputs do not repeat why each was read on its own (stderr and JSON
    // say it); a file joined to the one before says so there.
    let md = wsclose()
        .arg("analyze")
        .arg(fixture("python-close-1001.pcap"))
        .arg(fixture("python-sll.pcap"))
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("python-sll.pcap"), "{md}");
    assert!(!md.contains("link type"), "{md}");
}

/// A directory given as input is every capture in it, ordered by first packet whatever
/// the names say, other files left out: the report of the file the pieces came from.
#[test]
fn a_directory_is_its_captures_in_time_order() {
    if !editcap_available() {
        skip::skipped(format_args!(
            "skipping: editcap is not installed (it comes with tshark: apt-get install tshark)"
        ));
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let file = fixture("node-close-1008.pcap");
    let pieces = split(&file, 4, work.path(), "ring");
    assert!(pieces.len() >= 3);
    let dir = work.path().join("ring");
    std::fs::create_dir(&dir).unwrap();
    // Names in the reverse of time order, and a file that is no capture.
    let n = pieces.len();
    for (k, p) in pieces.iter().enumerate() {
        std::fs::copy(p, dir.join(format!("piece-{}.pcapng", n - k))).unwrap();
    }
    std::fs::write(dir.join("README.txt"), "not a capture").unwrap();
    let out = wsclose()
        .arg("analyze")
        .arg(&dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{n} capture files")), "{err}");
    assert!(err.contains("1 other file left out"), "{err}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let whole = json(&[os(&file)]);
    assert_eq!(connections(&r), connections(&whole));
    let inputs = r["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), n);
    assert!(inputs[0]["path"]
        .as_str()
        .unwrap()
        .ends_with(&format!("piece-{n}.pcapng")));
    assert!(inputs[1..].iter().all(|i| i["continues_previous"] == true));
    // A directory with no capture in it is an input that cannot be read.
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = wsclose().arg("analyze").arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pcap or pcapng capture"));
}

/// A file in a directory that cannot be read is not called "not a capture": whether it
/// holds one is unknown, so it is an input of its own that fails with its real error (in
/// the report, on standard error, exit 3), and the directory's note names that error; the
/// captures beside it are analyzed. Alone in the directory, its error is the run's. Files
/// that fail to read: one with mode 000 (as root, wsclose is run without the capabilities
/// that let root read it) and, on Linux, a link to /proc/self/mem, which any user opens but
/// whose first bytes fail to read (EIO); each skipped, saying why, where it reads.
#[cfg(unix)]
#[test]
fn a_directory_names_the_read_error_of_a_file_it_cannot_read() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("captures");
    std::fs::create_dir(&dir).unwrap();
    let mut bad: Vec<(PathBuf, &str)> = Vec::new();
    let locked = dir.join("locked.pcap");
    std::fs::copy(fixture("node-close-1000.pcapng"), &locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads a file of mode 000 (CAP_DAC_OVERRIDE): wsclose then runs without the
    // capabilities that pass over file modes (`setpriv --bounding-set`), so that it meets
    // the file as any other user does.
    const NO_DAC: &str = "--bounding-set=-dac_override,-dac_read_search";
    let without_dac = std::fs::File::open(&locked).is_ok()
        && std::process::Command::new("setpriv")
            .args([NO_DAC, "--", "cat"])
            .arg(&locked)
            .output()
            .is_ok_and(|o| !o.status.success() && o.stderr.ends_with(b"Permission denied\n"));
    if without_dac || std::fs::File::open(&locked).is_err() {
        bad.push((locked, "ermission denied"));
    } else {
        skip::skipped(format_args!(
            "not testing a file of mode 000: this user (root?) can read it, and setpriv \
             cannot take that away"
        ));
        std::fs::remove_file(&locked).unwrap();
    }
    let wsclose = || {
        if without_dac {
            let mut c = Command::new("setpriv");
            c.args([NO_DAC, "--"])
                .arg(assert_cmd::cargo::cargo_bin("wsclose"));
            c
        } else {
            wsclose()
        }
    };
    let mem = dir.join("mem.pcap");
    let linked = std::os::unix::fs::symlink("/proc/self/mem", &mem).is_ok();
    let fails = |p: &Path| {
        use std::io::Read;
        std::fs::File::open(p)
            .and_then(|mut f| f.read_exact(&mut [0; 4]))
            .is_err()
    };
    if linked && mem.is_file() && fails(&mem) {
        bad.push((mem, "Input/output error"));
    } else {
        skip::skipped(format_args!(
            "not testing a link to /proc/self/mem: it is not a file that fails to read here"
        ));
        std::fs::remove_file(&mem).ok();
    }
    if bad.is_empty() {
        skip::skipped(format_args!(
            "skipping: no file that fails to read could be made here"
        ));
        return;
    }
    std::fs::copy(fixture("node-close-1008.pcap"), dir.join("good.pcap")).unwrap();
    std::fs::write(dir.join("README.txt"), "not a capture").unwrap();
    let out = wsclose()
        .arg("analyze")
        .arg(&dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("1 capture file,"), "{err}");
    assert!(
        err.contains("1 other file left out (not captures)"),
        "{err}"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["connections"][0]["status"]["code"], 1008);
    let inputs = r["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1 + bad.len());
    for (p, why) in &bad {
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(err.contains(&format!("{name} (")), "{name}: {err}");
        let input = inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} is not an input: {r}"));
        let e = input["error"].as_str().unwrap();
        assert!(
            e.to_lowercase().contains(&why.to_lowercase()),
            "{name}: {e}"
        );
    }
    // Alone in its directory: its own error, not "no capture in it".
    let (p, why) = &bad[0];
    let alone = work.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    std::fs::rename(p, alone.join("only.pcap")).unwrap();
    let out = wsclose().arg("analyze").arg(&alone).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("no pcap or pcapng capture"), "{err}");
    assert!(err.contains("only.pcap ("), "{err}");
    assert!(err.to_lowercase().contains(&why.to_lowercase()), "{err}");
}

/// zstd- and lz4-compressed captures in a directory are captures (found by content, as a
/// file given by name is read), not files left out.
#[test]
fn a_directory_holds_zstd_and_lz4_captures_too() {
    use std::io::Write;
    let work = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("node-close-1008.pcap")).unwrap();
    let zstd =
        ruzstd::encoding::compress_to_vec(&plain[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(work.path().join("a.pcap.zst"), zstd).unwrap();
    let plain = std::fs::read(fixture("python-close-1001.pcap")).unwrap();
    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz4.write_all(&plain).unwrap();
    std::fs::write(work.path().join("b.pcap.lz4"), lz4.finish().unwrap()).unwrap();
    let out = wsclose()
        .arg("analyze")
        .arg(work.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("2 capture files"), "{err}");
    assert!(!err.contains("left out"), "{err}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut codes: Vec<u64> = r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"]["code"].as_u64().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, [1001, 1008]);
}

/// `--max-flows 0` is refused with a clear error (usage, exit 2).
#[test]
fn max_flows_zero_is_refused() {
    let out = wsclose()
        .arg("analyze")
        .arg(fixture("python-close-1001.pcap"))
        .args(["--max-flows", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0 would follow no TCP connection"), "{err}");
    assert!(out.stdout.is_empty());
}

/// node-many.pcap.gz (five WebSocket connections at once) with `--max-flows 1`: the
/// connections ended by the cap are marked evicted in JSON, CSV, the table and Markdown,
/// never "still open at end of capture", and standard error says so once, with the flag.
#[test]
fn flows_evicted_by_the_cap_are_marked_so_everywhere() {
    let many = fixture("node-many.pcap.gz");
    let run = |format: &str| {
        wsclose()
            .arg("analyze")
            .arg(&many)
            .args(["--max-flows", "1", "--format", format])
            .output()
            .unwrap()
    };
    let out = run("json");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.lines().filter(|l| l.contains("evicted")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("raise --max-flows"), "{err}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["seen"]["evicted_max_flows"].as_u64().unwrap() > 0);
    let conns = r["connections"].as_array().unwrap();
    let evicted: Vec<&Value> = conns
        .iter()
        .filter(|c| c["evicted"] == "max_flows")
        .collect();
    assert!(!evicted.is_empty());
    for c in conns {
        if c["tcp_end"] == "open" && c["status"]["code"].is_null() {
            // Every connection left open is open because the cap ended it.
            assert_eq!(c["evicted"], "max_flows", "{c}");
            assert_eq!(c["status"]["name"], "Evicted (flow cap)", "{c}");
        }
    }
    assert!(r["summary"]["by_status"]["evicted"].as_u64().unwrap() > 0);
    // Without the cap, nothing is evicted.
    let free = json(&[os(&many)]);
    assert!(free["connections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["evicted"].is_null()));
    let table = String::from_utf8(run("table").stdout).unwrap();
    assert!(table.contains("evicted: over the flow cap"), "{table}");
    assert!(!table.contains("still open at end of capture"), "{table}");
    let md = String::from_utf8(run("markdown").stdout).unwrap();
    assert!(md.contains("evicted: over the flow cap"), "{md}");
    assert!(!md.contains("still open at the end of the capture"), "{md}");
    let csv = String::from_utf8(run("csv").stdout).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let col = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "evicted")
        .expect("an evicted column");
    let marked = rows
        .records()
        .filter(|r| r.as_ref().unwrap().get(col) == Some("max_flows"))
        .count();
    assert_eq!(marked, evicted.len());
    // `--status evicted` selects those still open when the cap ended them
    let only = wsclose()
        .arg("analyze")
        .arg(&many)
        .args([
            "--max-flows",
            "1",
            "--status",
            "evicted",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let only: Value = serde_json::from_slice(&only.stdout).unwrap();
    // (those with a close code before the cap ended them keep it as their status).
    let still_open = evicted
        .iter()
        .filter(|c| c["status"]["name"].as_str().unwrap().starts_with("Evicted"))
        .count();
    assert!(still_open > 0);
    assert_eq!(only["connections"].as_array().unwrap().len(), still_open);
}

/// A filter that hides some connections says "N of M shown" in the table's header; one
/// that leaves none says "0 of 5 WebSocket connections shown (filter …)" and exits 1.
#[test]
fn filters_say_what_they_hid() {
    let many = fixture("node-many.pcap.gz");
    let run = |args: &[&str]| {
        wsclose()
            .arg("analyze")
            .arg(&many)
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        &["--port", "9"][..],
        &["--host", "example.invalid"],
        &["--status", "1011"],
        &["--connection", "2", "--status", "1000-1001", "--problems"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let want = format!(
            "0 of 5 WebSocket connections shown (filter: {})",
            args.join(" ")
        );
        assert!(err.contains(&want), "{args:?}: {err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&want),
            "{args:?}"
        );
    }
    let out = run(&["--status", "1006"]);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("1 of 5 WebSocket connections shown (filter: --status 1006)"),
        "{table}"
    );
    let out = run(&["--problems", "--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["summary"]["filter"], "--problems");
    // No filter: no such line, and no filter in the summary.
    let out = run(&["--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["summary"].get("filter").is_none());
    let table = String::from_utf8(run(&[]).stdout).unwrap();
    assert!(!table.contains(" shown (filter"), "{table}");
}

/// `connections` without their ids too (numbered across the whole report).
fn without_ids(conns: Vec<Value>) -> Vec<Value> {
    conns
        .into_iter()
        .map(|mut c| {
            let o = c.as_object_mut().unwrap();
            o.remove("id");
            // What refers to other connections or incidents by id (the incident stage's
            // links), numbered in the report they are in.
            o.remove("replaces");
            o.remove("incident");
            if let Some(r) = o.get_mut("reconnect").and_then(Value::as_object_mut) {
                r.remove("connection");
            }
            c
        })
        .collect()
}

/// The reports of `files` each read alone, connection by connection, without ids
/// (`extra`: flags for every run, such as key logs).
fn each_alone(files: &[PathBuf], extra: &[&std::ffi::OsStr]) -> Vec<Vec<Value>> {
    files
        .iter()
        .map(|f| {
            let mut args = vec![os(f)];
            args.extend_from_slice(extra);
            without_ids(connections(&json(&args)))
        })
        .collect()
}

/// The connections of `report` that start in input `k`, without the fields that name files
/// and without ids.
fn of_input(report: &Value, k: usize) -> Vec<Value> {
    let all = without_ids(connections(report));
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .zip(all)
        .filter(|(c, _)| c["input"] == k)
        .map(|(_, c)| c)
        .collect()
}

/// The case: separate recordings made back to back (one `tcpdump -w NAME.pcap` run
/// each, a second or two apart, the same link type) given together stay separate captures,
/// each connection with the packet numbers of its own file (what Wireshark shows for that
/// file), and the report says why: names that differ in more than digits (the rustls
/// fixtures), or names alike but for their digits with no TCP connection going on from one
/// file into the next (python-close-1001, -1002, -1009). `--join-files` joins them anyway.
#[test]
fn separate_recordings_given_together_stay_separate() {
    let tls = |n: &str| fixture(&format!("tls/{n}"));
    let rustls: Vec<PathBuf> = [
        "rustls-tls12-chacha20-close-1008",
        "rustls-tls13-resume-close-1001",
        "rustls-tls13-aes256gcm-drop",
    ]
    .iter()
    .map(|n| tls(&format!("{n}.pcap")))
    .collect();
    let keylogs: Vec<PathBuf> = [
        "rustls-tls12-chacha20-close-1008",
        "rustls-tls13-resume-close-1001",
        "rustls-tls13-aes256gcm-drop",
    ]
    .iter()
    .map(|n| tls(&format!("{n}.keylog")))
    .collect();
    let mut keys: Vec<&std::ffi::OsStr> = Vec::new();
    for k in &keylogs {
        keys.push(os("--keylog"));
        keys.push(os(k));
    }
    let python: Vec<PathBuf> = ["1001", "1002", "1009"]
        .iter()
        .map(|n| fixture(&format!("python-close-{n}.pcap")))
        .collect();
    for (files, extra, why) in [
        (
            &rustls,
            &keys[..],
            "the names differ in more than their digits",
        ),
        (
            &python,
            &[][..],
            "the names differ only in their digits (as tcpdump -G's files do",
        ),
    ] {
        let mut args: Vec<&std::ffi::OsStr> = files.iter().map(os).collect();
        args.extend_from_slice(extra);
        let out = wsclose()
            .arg("analyze")
            .args(&args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr);
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let alone = each_alone(files, extra);
        for (k, input) in r["inputs"].as_array().unwrap().iter().enumerate() {
            assert_eq!(input["continues_previous"], false, "{input}");
            assert_eq!(input["packet_offset"], 0, "{input}");
            assert!(!alone[k].is_empty());
            assert_eq!(of_input(&r, k), alone[k], "{}", files[k].display());
            if k > 0 {
                let c = input["continuity"].as_str().unwrap();
                assert!(c.contains(why), "{c}");
                assert!(c.contains("--join-files joins them anyway"), "{c}");
                let name = files[k].file_name().unwrap().to_string_lossy();
                // Named apart, separate recordings are no news: nothing on standard error
                // (the JSON says why). Named alike, the first one read on its own is
                // explained there and the others named in one line.
                if why.starts_with("the names differ in more") {
                    assert!(!err.contains(&*name), "{name} in the notes:\n{err}");
                } else if k == 1 {
                    let said = format!("{name} read as a capture of its own: {c}");
                    assert!(err.contains(&said), "{said}\n{err}");
                } else if k + 1 == files.len() {
                    assert!(
                        err.lines()
                            .any(|l| l.contains("read as captures of their own too")
                                && l.contains(&*name)),
                        "{err}"
                    );
                }
            }
        }
        assert!(!err.contains("read as one capture"), "{err}");
        // Forced, they are one capture, numbered on across the files.
        args.push(os("--join-files"));
        let joined = json(&args);
        let inputs = joined["inputs"].as_array().unwrap();
        let mut offset = 0;
        for (k, input) in inputs.iter().enumerate() {
            assert_eq!(input["continues_previous"], k > 0, "{input}");
            assert_eq!(input["packet_offset"], offset);
            if k > 0 {
                assert!(input["continuity"]
                    .as_str()
                    .unwrap()
                    .starts_with("continues "));
            }
            offset += input["packets"].as_u64().unwrap();
        }
    }
    // --join-files and --separate-files contradict each other.
    let out = wsclose()
        .arg("analyze")
        .args(&python)
        .args(["--join-files", "--separate-files"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Named as a rotation tool names its files, the files of one capture are joined on their
/// times alone, even where no connection goes on from one into the next (a rotation
/// between two sessions): python-close-1001 and -1002 copied as tcpdump -C's `cap`,
/// `cap1` and as editcap -c's (and dumpcap -b's) `out_00000_…`, `out_00001_…`, given as
/// files and as their directory. `editcap -c` output itself joins too.
#[test]
fn rotation_tools_names_join() {
    let work = tempfile::tempdir().unwrap();
    let sessions = [
        fixture("python-close-1001.pcap"),
        fixture("python-close-1002.pcap"),
    ];
    for (dir, names, tool) in [
        ("tcpdump", ["cap", "cap1"], "tcpdump -C"),
        (
            "editcap",
            [
                "out_00000_20261125131415.pcap",
                "out_00001_20261125131416.pcap",
            ],
            "dumpcap -b or editcap -c",
        ),
    ] {
        let dir = work.path().join(dir);
        std::fs::create_dir(&dir).unwrap();
        let files: Vec<PathBuf> = names
            .iter()
            .zip(&sessions)
            .map(|(n, s)| {
                std::fs::copy(s, dir.join(n)).unwrap();
                dir.join(n)
            })
            .collect();
        let alone = each_alone(&sessions, &[]);
        for r in [json(&[os(&files[0]), os(&files[1])]), json(&[os(&dir)])] {
            let inputs = r["inputs"].as_array().unwrap();
            assert_eq!(inputs.len(), 2);
            assert_eq!(inputs[1]["continues_previous"], true, "{}", inputs[1]);
            let c = inputs[1]["continuity"].as_str().unwrap();
            assert!(c.contains(&format!("named as {tool} names")), "{c}");
            let offset = inputs[0]["packets"].as_u64().unwrap();
            assert_eq!(inputs[1]["packet_offset"], offset);
            // The second session's packets are numbered on from the first file's.
            assert_eq!(of_input(&r, 0), alone[0]);
            let second = of_input(&r, 1);
            assert_eq!(second.len(), alone[1].len());
            for (j, a) in second.iter().zip(&alone[1]) {
                assert_eq!(
                    j["first_packet"].as_u64().unwrap(),
                    a["first_packet"].as_u64().unwrap() + offset
                );
                assert_eq!(
                    j["last_packet"].as_u64().unwrap(),
                    a["last_packet"].as_u64().unwrap() + offset
                );
            }
        }
    }
    if !editcap_available() {
        skip::skipped(format_args!(
            "skipping the editcap part: editcap is not installed (it comes with tshark: apt-get install tshark)"
        ));
        return;
    }
    // editcap -c's own output, and the same pieces renamed as tcpdump -C would name them.
    let file = fixture("node-close-1008.pcap");
    let whole = json(&[os(&file)]);
    let split_dir = work.path().join("split");
    std::fs::create_dir(&split_dir).unwrap();
    let pieces = split(&file, 4, &split_dir, "out");
    assert!(pieces.len() >= 3);
    let renamed: Vec<PathBuf> = pieces
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let to = work.path().join(if k == 0 {
                "cap".into()
            } else {
                format!("cap{k}")
            });
            std::fs::copy(p, &to).unwrap();
            to
        })
        .collect();
    for (set, tool) in [
        (&pieces, "dumpcap -b or editcap -c"),
        (&renamed, "tcpdump -C"),
    ] {
        let r = json(&set.iter().map(os).collect::<Vec<_>>());
        assert_eq!(connections(&r), connections(&whole));
        for input in &r["inputs"].as_array().unwrap()[1..] {
            assert_eq!(input["continues_previous"], true, "{input}");
            let c = input["continuity"].as_str().unwrap();
            assert!(c.contains(tool), "{c}");
        }
    }
}

/// A directory of separate recordings (the issue's `fixtures/tls/` case) is read file by
/// file: nothing joined, every connection with its own file's numbers.
#[test]
fn a_directory_of_separate_recordings_stays_separate() {
    let work = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [
        "python-close-1001.pcap",
        "python-close-1002.pcap",
        "node-close-1003.pcap",
        "python-close-1007.pcap",
    ]
    .iter()
    .map(|n| {
        std::fs::copy(fixture(n), work.path().join(n)).unwrap();
        work.path().join(n)
    })
    .collect();
    let r = json(&[os(work.path())]);
    let inputs = r["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), files.len());
    let alone = each_alone(&files, &[]);
    for (k, input) in inputs.iter().enumerate() {
        assert_eq!(input["continues_previous"], false, "{input}");
        assert!(input["path"]
            .as_str()
            .unwrap()
            .ends_with(files[k].file_name().unwrap().to_str().unwrap()));
        assert_eq!(of_input(&r, k), alone[k]);
    }
}

/// A directory with no capture in it is exit 3, and the count of what it holds is
/// English: "no other file", "1 other file", "2 other files".
#[test]
fn a_directory_without_captures_counts_its_files() {
    let dir = tempfile::tempdir().unwrap();
    for (k, want) in ["(no other file)", "(1 other file)", "(2 other files)"]
        .iter()
        .enumerate()
    {
        if k > 0 {
            std::fs::write(dir.path().join(format!("note-{k}.txt")), "not a capture").unwrap();
        }
        let out = wsclose().arg("analyze").arg(dir.path()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains(want), "{want}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// One capture named four ways (a directory holding it, the file in it, the file through
/// `./`, a link to it) and twice the same way is read once: the report of the file alone,
/// and a note on standard error for each name left out (issue 93 item 5: it was read five
/// times, five times the connections, exit 0, nothing said).
#[test]
fn a_capture_named_twice_is_read_once() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("caps");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("a.pcap");
    std::fs::copy(fixture("node-many.pcap.gz"), &file).unwrap();
    let link = work.path().join("link.pcap");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let alone = json(&[os(&file)]);
    let dotted = dir.join(".").join("a.pcap");
    let out = wsclose()
        .arg("analyze")
        .args([os(&dir), os(&file), os(&dotted), os(&link), os(&file)])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    let twice: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(alone["summary"]["total_connections"].as_u64().unwrap() > 1);
    assert_eq!(twice["summary"], alone["summary"], "{stderr}");
    assert_eq!(connections(&twice), connections(&alone));
    assert_eq!(twice["inputs"].as_array().unwrap().len(), 1, "{twice:#}");
    assert_eq!(stderr.matches(", read once").count(), 4, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: the same file as {}, read once",
            link.display(),
            file.display()
        )),
        "{stderr}"
    );
}
