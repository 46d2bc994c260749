//! `wsclose extract` of plaintext connections: `-w -` writes the capture to standard output;
//! times keep their nanoseconds; every packet names its frame number in the input (a pcapng
//! packet comment); an output that cannot be written is its own error (exit 6), and nothing
//! is left behind. Checked against tshark and capinfos where they are installed (`.ci/run`
//! installs tshark, which brings capinfos); skipped, saying so, where not.

mod tls;

use crate::common::run;
use crate::common::skip;

use assert_cmd::Command;
use std::path::Path;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// (stdout, stderr, exit code).
use run::wsclose as run;

fn have(tool: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip::skipped(format_args!(
            "{tool} is not installed: that part of the test is skipped"
        ));
    }
    found
}

/// tshark's fields of every packet of `path` that `filter` selects, one Vec per packet.
fn tshark_fields(path: &str, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-r", path, "-T", "fields", "-E", "separator=|"];
    if !filter.is_empty() {
        args.extend(["-Y", filter]);
    }
    for f in fields {
        args.extend(["-e", f]);
    }
    let out = std::process::Command::new("tshark")
        .args(&args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&run::stdout_of(out))
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// The pcapng blocks of a little-endian file: (type, body).
fn blocks(bytes: &[u8]) -> Vec<(u32, &[u8])> {
    let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = word(at + 4) as usize;
        assert_eq!(word(at + len - 4) as usize, len, "block at {at}");
        out.push((word(at), &bytes[at + 8..at + len - 4]));
        at += len;
    }
    out
}

/// `-w -` gives the same bytes as `-w FILE`, and the report of the extract is the
/// connection's; standard error says where it went.
#[test]
fn write_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c4.pcapng");
    let input = fixture("node-many.pcap.gz");
    let (_, err, code) = run(&[
        "extract",
        &input,
        "--connection",
        "4",
        "-w",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (out, err, code) = run(&["extract", &input, "--connection", "4", "-w", "-"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("to standard output"), "{err}");
    assert!(!Path::new("-").exists(), "a file named - was created");
    assert_eq!(out, std::fs::read(&file).unwrap());
    // Read back from standard input.
    let report = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json", "-"])
        .write_stdin(out)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(v["connections"].as_array().unwrap().len(), 1);
    let (whole, _, _) = run(&["analyze", "--format", "json", &input]);
    let whole: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    let (a, b) = (&whole["connections"][3], &v["connections"][0]);
    assert_eq!(a["client"], b["client"]);
    assert!(a["status"]["code"].is_u64());
    // Packet numbers restart in the extract (the comments keep the input's).
    assert_eq!(a["status"]["code"], b["status"]["code"]);
    assert_eq!(a["status"]["name"], b["status"]["name"]);
}

/// A nanosecond pcap's times stay nanoseconds in its extract (tshark's epoch times of the
/// same frames are equal, to the nanosecond), and capinfos sees a nanosecond file.
#[test]
fn nanoseconds_are_kept() {
    if !have("tshark") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ns.pcapng");
    let out_s = out.to_str().unwrap();
    let input = fixture("python-nanosecond.pcap");
    let (_, err, code) = run(&["extract", &input, "--connection", "1", "-w", out_s]);
    assert_eq!(code, Some(0), "{err}");
    let fields = ["frame.time_epoch"];
    let want = tshark_fields(&input, "tcp", &fields);
    let got = tshark_fields(out_s, "", &fields);
    assert_eq!(got, want);
    // Some time really has nanoseconds (not a multiple of a microsecond).
    assert!(got.iter().any(|t| !t[0].ends_with("000")), "{got:?}");
    if have("capinfos") {
        let info = std::process::Command::new("capinfos")
            .args(["-M", out_s])
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("nanoseconds"), "{info}");
    }
}

/// Each packet's comment names its frame number in the input: for a connection in the
/// middle of a capture of several, those are exactly the frames tshark selects by the
/// connection's addresses, with the same times and lengths.
#[test]
fn every_packet_names_its_input_frame() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c3.pcapng");
    let out_s = out.to_str().unwrap();
    let input = fixture("node-many.pcap.gz");
    let (_, err, code) = run(&["extract", &input, "--connection", "3", "-w", out_s]);
    assert_eq!(code, Some(0), "{err}");
    // Without tshark: the comments themselves, read from the blocks.
    let bytes = std::fs::read(&out).unwrap();
    let comments: Vec<u64> = blocks(&bytes)
        .into_iter()
        .filter(|(kind, _)| *kind == 6)
        .map(|(_, body)| {
            let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
            let opts = &body[20 + caplen.div_ceil(4) * 4..];
            assert_eq!(u16::from_le_bytes([opts[0], opts[1]]), 1, "opt_comment");
            let len = u16::from_le_bytes([opts[2], opts[3]]) as usize;
            let text = std::str::from_utf8(&opts[4..4 + len]).unwrap();
            let n = text
                .strip_prefix("frame ")
                .and_then(|t| t.strip_suffix(" of node-many.pcap.gz"))
                .unwrap_or_else(|| panic!("{text}"));
            n.parse().unwrap()
        })
        .collect();
    assert!(comments.len() > 5);
    assert!(comments.windows(2).all(|w| w[0] < w[1]), "{comments:?}");
    assert!(comments[0] > 1, "connection 3 starts after frame 1");
    if !have("tshark") {
        return;
    }
    let port = tshark_fields(out_s, "", &["tcp.srcport", "tcp.dstport"])[0].clone();
    let filter = format!("tcp.port=={} && tcp.port=={}", port[0], port[1]);
    let fields = ["frame.number", "frame.time_epoch", "frame.len"];
    let want = tshark_fields(&input, &filter, &fields);
    let got: Vec<Vec<String>> = tshark_fields(
        out_s,
        "",
        &["frame.comment", "frame.time_epoch", "frame.len"],
    )
    .into_iter()
    .map(|mut f| {
        f[0] = f[0]
            .trim_start_matches("frame ")
            .trim_end_matches(" of node-many.pcap.gz")
            .to_string();
        f
    })
    .collect();
    assert_eq!(got, want);
    let numbers: Vec<u64> = want.iter().map(|f| f[0].parse().unwrap()).collect();
    assert_eq!(numbers, comments);
}

/// An output that cannot be created is its own error (exit 6, "cannot write"), said before
/// the capture is analyzed, naming the output (not a temporary file); a connection that does
/// not exist leaves no empty file behind.
#[test]
fn a_bad_output_is_its_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("node-many.pcap.gz");
    let missing = dir.path().join("no/such/dir/c.pcapng");
    let (_, err, code) = run(&[
        "extract",
        &input,
        "--connection",
        "1",
        "-w",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(6), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(!err.contains("cannot read"), "{err}");
    // It names the output asked for, not the temporary file beside it, on one line.
    assert!(
        err.contains("No such file or directory") && !err.contains(".part"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A directory is not a file to write.
    let (_, err, code) = run(&[
        "extract",
        &input,
        "--connection",
        "1",
        "-w",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(6), "{err}");
    let out = dir.path().join("c9.pcapng");
    let (_, err, code) = run(&[
        "extract",
        &input,
        "--connection",
        "9",
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(": it has 5 WebSocket connections ("), "{err}");
    assert!(!out.exists(), "an empty output was left behind");
    // /dev/full: created, but every write fails.
    if Path::new("/dev/full").exists() {
        let (_, err, code) = run(&["extract", &input, "--connection", "1", "-w", "/dev/full"]);
        assert_eq!(code, Some(6), "{err}");
        assert!(err.contains("/dev/full: cannot write"), "{err}");
    }
}

/// `-w` naming the capture being read, or a key log being read, is refused before anything
/// is written: through another path and through a symbolic link too, and the file keeps
/// every byte (the output used to be created, and so emptied, before the analysis).
#[test]
fn an_output_that_is_an_input_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("a.pcap");
    std::fs::copy(fixture("node-close-1003.pcap"), &capture).unwrap();
    let before = std::fs::read(&capture).unwrap();
    let link = dir.path().join("link.pcap");
    std::os::unix::fs::symlink(&capture, &link).unwrap();
    let other_path = format!("{}/./a.pcap", dir.path().display());
    for target in [
        capture.to_str().unwrap(),
        link.to_str().unwrap(),
        other_path.as_str(),
    ] {
        let (_, err, code) = run(&[
            "extract",
            capture.to_str().unwrap(),
            "--connection",
            "1",
            "-w",
            target,
        ]);
        assert_eq!(code, Some(2), "-w {target}: {err}");
        assert!(err.contains("names the capture it reads"), "{err}");
        assert_eq!(std::fs::read(&capture).unwrap(), before, "-w {target}");
    }
    // A key log given with --keylog, and the one SSLKEYLOGFILE names.
    let keylog = dir.path().join("keys.log");
    let keys = std::fs::read(fixture("tls/chromium-nginx-tls13-close-1000.keylog")).unwrap();
    std::fs::write(&keylog, &keys).unwrap();
    let tls_capture = fixture("tls/chromium-nginx-tls13-close-1000.pcap");
    let keylog = keylog.to_str().unwrap();
    let (_, err, code) = run(&[
        "extract",
        &tls_capture,
        "--connection",
        "1",
        "--keylog",
        keylog,
        "-w",
        keylog,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("names the key log"), "{err}");
    assert_eq!(std::fs::read(keylog).unwrap(), keys);
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .env("SSLKEYLOGFILE", keylog)
        .args(["extract", &tls_capture, "--connection", "1", "-w", keylog])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(keylog).unwrap(), keys);
}

/// An existing file named by `-w` is untouched when the extract fails (a connection that
/// is not there), and replaced whole when it succeeds, keeping its permissions; a
/// symbolic link named by `-w` stays a link to the file it names, which gets the extract.
#[test]
fn an_existing_output_is_replaced_only_on_success() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("node-close-1003.pcap");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    std::fs::set_permissions(&notes, std::fs::Permissions::from_mode(0o640)).unwrap();
    let notes_s = notes.to_str().unwrap();
    let (_, err, code) = run(&["extract", &input, "--connection", "9", "-w", notes_s]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
    // Nothing else is left in the directory (the temporary file is gone).
    let names = || {
        let mut n: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(), ["notes.txt"]);
    let (_, err, code) = run(&["extract", &input, "--connection", "1", "-w", notes_s]);
    assert_eq!(code, Some(0), "{err}");
    let bytes = std::fs::read(&notes).unwrap();
    assert_eq!(bytes[..4], [0x0a, 0x0d, 0x0d, 0x0a], "a pcapng now");
    let mode = std::fs::metadata(&notes).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(names(), ["notes.txt"]);
    // Through a link.
    let link = dir.path().join("link.pcapng");
    std::os::unix::fs::symlink(&notes, &link).unwrap();
    std::fs::write(&notes, "again\n").unwrap();
    let (_, err, code) = run(&[
        "extract",
        &input,
        "--connection",
        "1",
        "-w",
        link.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&notes).unwrap(), bytes);
}
