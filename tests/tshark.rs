//! Where tshark decodes a close frame, wsclose must agree: same packet, same sender, same
//! code. Runs over every fixture and, when present, the shared public corpus. Skips (and
//! says so) when tshark is not installed; `.ci/run` installs it.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;

fn tshark_available() -> bool {
    Proc::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// (packet, sender port, code) of a close frame.
type Close = (u64, u16, Option<u64>);

/// Every close frame as wsclose reports them, and the server ports it found.
fn ours(path: &Path) -> (Vec<Close>, Vec<u16>) {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut frames = Vec::new();
    let mut server_ports = Vec::new();
    for c in r["connections"].as_array().unwrap() {
        let port = |s: &Value| -> u16 {
            s.as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let (cp, sp) = (port(&c["client"]), port(&c["server"]));
        server_ports.push(sp);
        for f in c["close_frames"].as_array().unwrap() {
            let from = if f["from"] == "client" { cp } else { sp };
            frames.push((f["packet"].as_u64().unwrap(), from, f["code"].as_u64()));
        }
    }
    frames.sort();
    (frames, server_ports)
}

/// The same, as tshark decodes them with the server ports forced to HTTP.
fn theirs(path: &Path, ports: &[u16]) -> Vec<Close> {
    let mut cmd = Proc::new("tshark");
    cmd.arg("-r").arg(path);
    for p in ports {
        cmd.args(["-d", &format!("tcp.port=={p},http")]);
    }
    cmd.args([
        "-Y",
        "websocket.opcode == 8",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
        "-e",
        "frame.number",
        "-e",
        "tcp.srcport",
        "-e",
        "websocket.payload.close.status_code",
    ]);
    let out = cmd.output().unwrap();
    let mut v: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f.get(2).and_then(|c| c.parse().ok()),
            )
        })
        .collect();
    v.sort();
    v
}

fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".pcap.gz")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn close_frames_agree_with_tshark() {
    if !tshark_available() {
        eprintln!("skipping: tshark is not installed (apt-get install tshark)");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = captures(&root.join("fixtures"));
    files.extend(captures(&root.join("../shared/corpus/public")));
    let mut compared = 0;
    for f in &files {
        let (ours, ports) = ours(f);
        if ports.is_empty() {
            continue;
        }
        let theirs = theirs(f, &ports);
        // tshark shows an oversized close frame's status too; where it decodes one, we agree.
        assert_eq!(ours, theirs, "{}", f.display());
        compared += ours.len();
    }
    assert!(compared >= 40, "only {compared} close frames compared");
}
