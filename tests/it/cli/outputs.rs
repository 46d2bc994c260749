//! The files `extract -w`, `annotate -w` and `analyze --annotate` write: created with the
//! umask (0666 less it), owner-only when they carry TLS secrets; a pipe, a device or
//! standard output written in place (never a temporary file renamed over another file than
//! the one named); `-w -` and `/dev/stdout` as standard output, refused when the report
//! goes there too; a target that cannot be written refused before the analysis.

use super::{fixture, wsclose};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Stdio;

/// The pcapng Section Header Block's type: the first four bytes of a pcapng file.
const PCAPNG: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];

fn tls(name: &str) -> String {
    fixture(&format!("tls/{name}"))
}

/// The binary as a `std::process::Command`, whose standard output can be any file.
fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("wsclose"));
    c.env_remove("SSLKEYLOGFILE");
    c
}

/// Runs `wsclose ARGS` in `dir` under `umask MASK` (set by a shell that then becomes
/// wsclose); asserts that it succeeded.
fn run_with_umask(dir: &Path, mask: u32, args: &[&str]) {
    let bin = assert_cmd::cargo::cargo_bin("wsclose");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask {mask:03o}; exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .current_dir(dir)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} under umask {mask:03o}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A new output file gets 0666 less the umask, as every tool's; one that carries TLS
/// secrets (`extract` of a wss:// connection with its key log, `annotate --with-secrets`)
/// is owner-only whatever the umask; a file replaced keeps its mode, less the group's and
/// others' bits when it now holds secrets.
#[test]
fn output_files_take_the_umask_and_secrets_are_owner_only() {
    let plain = fixture("node-close-1000-server.pcap");
    let (capture, keys) = (
        tls("chromium-nginx-tls13-close-1000.pcap"),
        tls("chromium-nginx-tls13-close-1000.keylog"),
    );
    for mask in [0o077u32, 0o022, 0o002] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let usual = 0o666 & !mask;
        let cases: Vec<(&str, Vec<&str>, u32)> = vec![
            (
                "a.pcapng",
                vec!["annotate", &plain, "-w", "a.pcapng"],
                usual,
            ),
            (
                "r.pcapng",
                vec!["analyze", &plain, "--annotate", "r.pcapng"],
                usual,
            ),
            (
                "e.pcapng",
                vec!["extract", &plain, "--connection", "1", "-w", "e.pcapng"],
                usual,
            ),
            (
                "t.pcapng",
                vec!["annotate", &capture, "--keylog", &keys, "-w", "t.pcapng"],
                usual,
            ),
            (
                "s.pcapng",
                vec![
                    "annotate",
                    &capture,
                    "--keylog",
                    &keys,
                    "--with-secrets",
                    "-w",
                    "s.pcapng",
                ],
                0o600,
            ),
            (
                "x.pcapng",
                vec![
                    "extract",
                    &capture,
                    "--connection",
                    "1",
                    "--keylog",
                    &keys,
                    "-w",
                    "x.pcapng",
                ],
                0o600,
            ),
            (
                "xr.pcapng",
                vec![
                    "extract",
                    &capture,
                    "--connection",
                    "1",
                    "--keylog",
                    &keys,
                    "--redact",
                    "-w",
                    "xr.pcapng",
                ],
                usual,
            ),
        ];
        for (name, args, want) in &cases {
            run_with_umask(d, mask, args);
            assert_eq!(
                mode(&d.join(name)),
                *want,
                "{args:?} under umask {mask:03o}: mode {:03o}, not {want:03o}",
                mode(&d.join(name))
            );
        }
        // Files that were there keep their mode; with secrets, only the owner's part.
        for (name, args, _) in &cases {
            let p = d.join(name);
            fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
            run_with_umask(d, mask, args);
            let secret = args.contains(&"--with-secrets")
                || (args[0] == "extract"
                    && args.contains(&"--keylog")
                    && !args.contains(&"--redact"));
            let want = if secret { 0o600 } else { 0o640 };
            assert_eq!(mode(&p), want, "{args:?} over a 0640 file");
        }
        // Nothing else was left in the directory.
        assert_eq!(fs::read_dir(d).unwrap().count(), cases.len());
    }
}

/// Under a umask of 0222 a new file is 0444: the capture is still written (through the
/// handle open on the temporary file, not by opening its path again, which a user who is
/// not root may not do once it is read-only). Run as `nobody` through `setpriv` when this
/// test runs as root (root may open anything); skipped, saying so, otherwise. `nobody`
/// must reach the folder and the binary: the clone and `TMPDIR` may sit under a private
/// (0700) folder, as a home directory often is, so the binary is copied into a folder made
/// where every folder above it lets others through (`TMPDIR`, else /tmp, /var/tmp,
/// /dev/shm); skipped, saying so, when there is none.
#[cfg(target_os = "linux")]
#[test]
fn a_umask_without_write_bits_still_gets_its_file() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let have = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !root || !have {
        super::skip::skipped(format_args!(
            "needs root and setpriv to run wsclose as another user"
        ));
        return;
    }
    // Every folder from `/` to `d` lets others through (o+x).
    let reachable = |d: &Path| {
        d.ancestors()
            .all(|a| fs::metadata(a).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
    };
    let base = [
        std::env::temp_dir(),
        "/tmp".into(),
        "/var/tmp".into(),
        "/dev/shm".into(),
    ]
    .into_iter()
    .filter_map(|b| fs::canonicalize(b).ok())
    .find(|b| reachable(b));
    let Some(base) = base else {
        super::skip::skipped(format_args!(
            "no temporary folder that another user can reach (TMPDIR, /tmp, /var/tmp, /dev/shm)"
        ));
        return;
    };
    let dir = tempfile::tempdir_in(&base).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let input = dir.path().join("in.pcap");
    fs::copy(fixture("node-close-1000-server.pcap"), &input).unwrap();
    fs::set_permissions(&input, fs::Permissions::from_mode(0o644)).unwrap();
    // The binary where `nobody` can run it, whatever folder holds the clone.
    let bin = dir.path().join("wsclose");
    fs::copy(assert_cmd::cargo::cargo_bin("wsclose"), &bin).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    for (name, cmd) in [("a.pcapng", "annotate"), ("e.pcapng", "extract")] {
        let extra = if cmd == "extract" {
            "--connection 1"
        } else {
            ""
        };
        let script = format!(
            "umask 222; exec {} {cmd} in.pcap {extra} -w {name}",
            bin.display()
        );
        let out = std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "sh",
                "-c",
            ])
            .arg(&script)
            .current_dir(dir.path())
            .env_remove("SSLKEYLOGFILE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{cmd}: {err}");
        let p = dir.path().join(name);
        assert_eq!(mode(&p), 0o444, "{cmd}");
        assert_eq!(fs::read(&p).unwrap()[..4], PCAPNG, "{cmd}");
    }
}

/// (exit code, stdout, stderr) of `wsclose ARGS` with standard output piped.
fn piped(args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    let out = wsclose()
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status codes of a capture's connections, as `analyze --format json` reports them.
fn codes_of(capture: &Path) -> Vec<serde_json::Value> {
    let (code, out, err) = piped(&["analyze", "--format", "json", capture.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&out).unwrap();
    r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"]["code"].clone())
        .collect()
}

/// `annotate -w /dev/stdout` (and `-w -`) into a pipe writes the annotated capture into the
/// pipe, as `extract` does: not "No such file or directory" after the whole analysis.
#[cfg(target_os = "linux")]
#[test]
fn annotate_and_extract_write_into_a_pipe_named_dev_stdout_or_dash() {
    let input = fixture("node-close-1000-server.pcap");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.pcapng");
    let (code, _, err) = piped(&["annotate", &input, "-w", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let want = fs::read(&file).unwrap();
    for target in ["/dev/stdout", "-"] {
        let (code, out, err) = piped(&["annotate", &input, "-w", target]);
        assert_eq!(code, Some(0), "annotate -w {target}: {err}");
        assert_eq!(out[..4], PCAPNG, "annotate -w {target}: {err}");
        // The same capture as the file's (its comments name the command line, which differs).
        let piped_file = dir.path().join("piped.pcapng");
        fs::write(&piped_file, &out).unwrap();
        assert_eq!(codes_of(&piped_file), codes_of(&file));
        assert!(out.len().abs_diff(want.len()) < 64, "{target}");
        let (code, out, err) = piped(&["extract", &input, "--connection", "1", "-w", target]);
        assert_eq!(code, Some(0), "extract -w {target}: {err}");
        assert_eq!(out[..4], PCAPNG, "extract -w {target}: {err}");
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// `annotate -w /dev/stdout > FILE` writes FILE in place (the file standard output is), and
/// nothing is renamed over it nor left beside it.
#[cfg(target_os = "linux")]
#[test]
fn annotate_to_dev_stdout_redirected_to_a_file_writes_that_file_in_place() {
    let input = fixture("node-close-1000-server.pcap");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pcapng");
    fs::write(&out, b"old contents, longer than nothing").unwrap();
    let ino = fs::metadata(&out).unwrap().ino();
    let file = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&out)
        .unwrap();
    let done = bin()
        .args(["annotate", &input, "-w", "/dev/stdout"])
        .stdout(Stdio::from(file))
        .output()
        .unwrap();
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(fs::metadata(&out).unwrap().ino(), ino, "written in place");
    assert_eq!(fs::read(&out).unwrap()[..4], PCAPNG);
    assert_eq!(codes_of(&out), vec![serde_json::json!(1000)]);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// `analyze --annotate /dev/stdout > report.txt` (or `--annotate -`) would mix the capture
/// with the report: refused (exit 2) before anything is read, and report.txt is not
/// replaced by the capture.
#[cfg(target_os = "linux")]
#[test]
fn analyze_annotate_onto_its_own_standard_output_is_refused() {
    let input = fixture("node-close-1000-server.pcap");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    for target in ["/dev/stdout", "-"] {
        fs::write(&report, b"").unwrap();
        let ino = fs::metadata(&report).unwrap().ino();
        let file = fs::OpenOptions::new().write(true).open(&report).unwrap();
        let done = bin()
            .args(["analyze", &input, "--annotate", target])
            .stdout(Stdio::from(file))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(2), "--annotate {target}: {err}");
        assert!(err.contains("standard output"), "{err}");
        assert_eq!(
            fs::metadata(&report).unwrap().ino(),
            ino,
            "not renamed over"
        );
        let bytes = fs::read(&report).unwrap();
        assert!(
            !bytes.starts_with(&PCAPNG),
            "--annotate {target} wrote a capture"
        );
        // Through a pipe too.
        let (code, out, err) = piped(&["analyze", &input, "--annotate", target]);
        assert_eq!(code, Some(2), "{err}");
        assert!(out.is_empty());
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// A FIFO is written in place: the reader gets the whole annotated capture, and no
/// temporary file is made beside it.
#[cfg(unix)]
#[test]
fn annotate_into_a_fifo_writes_in_place() {
    let input = fixture("node-close-1000-server.pcap");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let path = fifo.clone();
    let reader = std::thread::spawn(move || fs::read(path).unwrap());
    let (code, _, err) = piped(&["annotate", &input, "-w", fifo.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let bytes = reader.join().unwrap();
    assert_eq!(bytes[..4], PCAPNG);
    let copy = dir.path().join("copy.pcapng");
    fs::write(&copy, &bytes).unwrap();
    assert_eq!(codes_of(&copy), vec![serde_json::json!(1000)]);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// A target that cannot be written (its directory does not exist) is refused before the
/// analysis: its error (exit 6), not the input's (exit 3, which the analysis would give).
#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.txt");
    fs::write(&bad, "hello, this is not a capture file\n").unwrap();
    let target = dir.path().join("no/such/dir/out.pcapng");
    let bad = bad.to_str().unwrap();
    let target = target.to_str().unwrap();
    for args in [
        vec!["annotate", bad, "-w", target],
        vec!["analyze", bad, "--annotate", target],
        vec!["extract", bad, "--connection", "1", "-w", target],
    ] {
        let (code, _, err) = piped(&args);
        assert_eq!(code, Some(6), "{args:?}: {err}");
        assert!(err.contains("out.pcapng"), "{args:?}: {err}");
    }
}

/// A binary capture is not written onto a terminal: `-w -` and `-w /dev/stdout` with a
/// terminal as standard output are refused (exit 2). Needs `script` to give wsclose a
/// terminal; skipped, saying so, without it.
#[cfg(target_os = "linux")]
#[test]
fn a_capture_is_not_written_onto_a_terminal() {
    let have = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        super::skip::skipped(format_args!("`script` is not installed"));
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("wsclose");
    let input = fixture("node-close-1000-server.pcap");
    for target in ["-", "/dev/stdout"] {
        let cmd = format!("{} annotate {input} -w {target}; echo rc=$?", bin.display());
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("rc=2"), "-w {target}: {text}");
        assert!(text.contains("terminal"), "-w {target}: {text}");
    }
}

/// A terminal that reports its size as 0x0 (`script`, `docker run -t`, some CI) gets the
/// table at the default width, not wrapped at a few characters (issue 93 item 14: every
/// cell was broken into lines of about 6). `script` gives wsclose such a terminal.
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_of_no_size_gets_the_default_width() {
    let path = assert_cmd::cargo::cargo_bin("wsclose");
    let input = fixture("node-close-1000-server.pcap");
    let cmd = format!("stty size; {} {input}; echo rc=$?", path.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.starts_with("0 0\n"), "not a 0x0 terminal: {text}");
    assert!(text.ends_with("rc=0\n"), "{text}");
    // The table as a pipe gets it (no width known: the renderer's default).
    let piped = bin()
        .arg(&input)
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout);
    assert_eq!(&text["0 0\n".len()..text.len() - "rc=0\n".len()], piped);
    let widest = piped.lines().map(|l| l.chars().count()).max();
    assert!(widest.is_some_and(|w| w >= 100), "{widest:?}: {text}");
}

/// `-w -` whose standard output is one of the inputs (`annotate in.pcap -w - >> in.pcap`)
/// would write into the capture it reads: refused (exit 2) like `-w in.pcap`, the input
/// left as it was.
#[test]
fn dash_onto_an_input_through_standard_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcap");
    fs::copy(fixture("node-close-1000-server.pcap"), &input).unwrap();
    let before = fs::read(&input).unwrap();
    let input_s = input.to_str().unwrap();
    for args in [
        vec!["annotate", input_s, "-w", "-"],
        vec!["extract", input_s, "--connection", "1", "-w", "-"],
    ] {
        let out = fs::OpenOptions::new().append(true).open(&input).unwrap();
        let done = bin().args(&args).stdout(Stdio::from(out)).output().unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(fs::read(&input).unwrap(), before, "{args:?}");
    }
}

/// An export, or `-w`, to a symbolic link that names no file yet writes the file the link
/// names and leaves the link (a shell's `>` does the same; issue 93 item 12: the link was
/// replaced by a regular file). Links relative to their directory, and a link to a link.
#[test]
fn a_dangling_link_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink("real/report.json", &link).unwrap();
    let out = bin()
        .args(["analyze", &fixture("node-close-1000-server.pcap")])
        .arg("--export-json")
        .arg(&link)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = fs::read(dir.path().join("real/report.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(v["summary"]["total_connections"], 1);

    let first = dir.path().join("out.pcapng");
    std::os::unix::fs::symlink("second", &first).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("real/out.pcapng"),
        dir.path().join("second"),
    )
    .unwrap();
    let out = bin()
        .args(["annotate", &fixture("node-close-1000-server.pcap"), "-w"])
        .arg(&first)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::symlink_metadata(&first)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::symlink_metadata(dir.path().join("second"))
        .unwrap()
        .file_type()
        .is_symlink());
    let written = fs::read(dir.path().join("real/out.pcapng")).unwrap();
    assert_eq!(written[..4], PCAPNG);
}
