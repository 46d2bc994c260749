//! Every capture of the shared public corpus (../shared/corpus/public, captures from other
//! projects' test suites) is analyzed without an error and with the codes its README lists.
//! The corpus is not part of this repository (a fresh clone has no ../shared), so these
//! tests are ignored in a plain `cargo test`, which then counts them as ignored rather than
//! passed; `.ci/run` runs them where the corpus is (`cargo test --test it corpus:: --
//! --ignored`), and one asked for without the corpus fails, saying it is absent.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Why these tests are ignored in a plain `cargo test`.
const NEEDS: &str = "needs ../shared/corpus/public beside the repository";

fn corpus() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
    assert!(
        p.is_dir(),
        "{} is absent (it lives beside the repository, not in it): {NEEDS}",
        p.display()
    );
    p
}

fn analyze(dir: &Path, file: &str) -> Value {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(dir.join(file))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (from, code) of each close frame.
type Frames = Vec<(String, Option<u64>)>;

/// The close frames of each connection.
fn closes(r: &Value) -> Vec<Frames> {
    r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["close_frames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["from"].as_str().unwrap().to_string(), f["code"].as_u64()))
                .collect()
        })
        .collect()
}

fn cs(v: &[(&str, Option<u64>)]) -> Frames {
    v.iter().map(|(a, b)| (a.to_string(), *b)).collect()
}

#[test]
#[ignore = "needs ../shared/corpus/public beside the repository"]
fn every_corpus_capture_reads_without_error() {
    let dir = corpus();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            let r = analyze(&dir, &name);
            assert!(
                r["inputs"][0]["warnings"].as_array().unwrap().is_empty(),
                "{name}: {}",
                r["inputs"]
            );
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} captures found");
}

#[test]
#[ignore = "needs ../shared/corpus/public beside the repository"]
fn corpus_close_codes_match_its_readme() {
    let dir = corpus();
    let both_1000 = vec![cs(&[("client", Some(1000)), ("server", Some(1000))])];
    type Expect = (&'static str, Vec<Frames>, Vec<Option<u64>>);
    let expect: Vec<Expect> = vec![
        (
            "zeek-message-too-big-status.pcap",
            vec![cs(&[("client", Some(1009)), ("server", Some(1000))])],
            vec![Some(1009)],
        ),
        (
            "zeek-oversized-close-frame.pcapng",
            vec![cs(&[("server", Some(1000))])],
            // A 258-byte close frame is refused by a conforming client: it sets no status,
            // and TCP ends with no valid close frame.
            vec![Some(1006)],
        ),
        (
            "zeek-jupyter-websocket.pcap",
            vec![cs(&[("client", None), ("server", None)])],
            vec![Some(1005)],
        ),
        (
            "zeek-http-websocket.pcap",
            vec![cs(&[("client", None), ("server", None)])],
            vec![Some(1005)],
        ),
        (
            "zeek-wstunnel-http.pcap",
            both_1000.clone(),
            vec![Some(1000)],
        ),
        (
            "zeek-wstunnel-https.pcap",
            both_1000.clone(),
            vec![Some(1000)],
        ),
        (
            "zeek-wstunnel-ssh.pcap",
            vec![both_1000[0].clone(), both_1000[0].clone()],
            vec![Some(1000), Some(1000)],
        ),
        (
            "zeek-broker-websocket.pcap",
            vec![cs(&[("client", Some(1000))])],
            vec![Some(1000)],
        ),
        (
            "zeek-fragmented-http-reply.pcap",
            both_1000.clone(),
            vec![Some(1000)],
        ),
        (
            "zeek-reply-ping-coalesced.pcap",
            both_1000.clone(),
            vec![Some(1000)],
        ),
        (
            "zeek-reply-ping-separate.pcap",
            both_1000.clone(),
            vec![Some(1000)],
        ),
        (
            "zeek-two-binary-fragments.pcap",
            both_1000.clone(),
            vec![Some(1000)],
        ),
        (
            "zeek-wrong-accept-header.pcap",
            vec![vec![]],
            vec![Some(1006)],
        ),
        (
            "suricata-verify-websocket-basic.pcap",
            vec![vec![]],
            vec![None],
        ),
        (
            "suricata-verify-websocket-compressed.pcap",
            vec![vec![]],
            vec![None],
        ),
        (
            "suricata-verify-websocket-control-frag.pcap",
            vec![vec![]],
            vec![None],
        ),
        ("arkime-websocket.pcap", vec![vec![]], vec![None]),
        // Starts after the handshake: found by its frames.
        ("ndpi-websocket-midstream.pcap", vec![vec![]], vec![None]),
    ];
    for (file, frames, statuses) in expect {
        let r = analyze(&dir, file);
        assert_eq!(closes(&r), frames, "{file}");
        let got: Vec<Option<u64>> = r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"]["code"].as_u64())
            .collect();
        assert_eq!(got, statuses, "{file}");
    }
}

#[test]
#[ignore = "needs ../shared/corpus/public beside the repository"]
fn corpus_violations_are_flagged() {
    let dir = corpus();
    let kinds = |file: &str| -> Vec<String> {
        analyze(&dir, file)["connections"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(kinds("zeek-wstunnel-http.pcap").contains(&"unmasked-client-frame".to_string()));
    assert!(
        kinds("zeek-oversized-close-frame.pcapng").contains(&"control-frame-too-long".to_string())
    );
    assert!(kinds("zeek-wrong-accept-header.pcap").contains(&"accept-mismatch".to_string()));
    let r = analyze(&dir, "zeek-wrong-accept-header.pcap");
    assert_eq!(r["connections"][0]["handshake"]["accept_valid"], false);
    let r = analyze(&dir, "ndpi-websocket-midstream.pcap");
    let c = &r["connections"][0];
    assert_eq!(c["handshake"]["seen"], false);
    assert_eq!(c["findings"][0]["kind"], "handshake-not-captured");
    // Roles from masking: the masked side (port 50999) is the client.
    assert_eq!(c["client"], "192.168.43.1:50999");
    assert_eq!(c["frames"]["client"]["frames"], 2);
    assert_eq!(c["frames"]["server"]["frames"], 3);
    // The compressed capture negotiates permessage-deflate: RSV1 is not a violation there.
    assert!(kinds("suricata-verify-websocket-compressed.pcap").is_empty());
}
