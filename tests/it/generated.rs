//! The benchmark corpus generator's captures against their ground truth.
//!
//! `examples/gen/mod.rs` plays hundreds of interleaved connections (WebSocket over IPv4 and
//! IPv6, plain HTTP, TLS-looking, UDP) and writes, for every WebSocket connection, the
//! close frames with the packet that completes each, how TCP ended and the expected
//! status. The analyzer must report exactly that: the same connections, no more, and for
//! each the same close frames (from, code, reason, packet), TCP ending and status code,
//! with no finding (the generated traffic breaks no rule and loses no byte).
//!
//! Over TLS (`Config::tls`), the same traffic read with the generator's key log must give
//! the same, and the TLS facts the truth knows (version, suite, each side's close_notify);
//! without the key log, every TLS connection is listed as encrypted and none gets a code.
//!
//! Over HTTP/2 (`Config::h2`: h2c, or h2 inside TLS), each connection is one extended
//! CONNECT stream: the report must give it `transport` "h2", the stream's id, `:status` 200
//! as its handshake status, and the stream's endings (END_STREAM, RST_STREAM, GOAWAY: who,
//! error code, packet) as the truth lists them. For every connection, the status each
//! application saw (`seen_by`) must be the truth's too.
//!
//! The comparison goes through the JSON contract (`serde_json::to_value` of the report), so
//! it checks the names scripts rely on.

use crate::gen;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;
use wsclose::keys::KeySources;

/// Generates a capture and its truth in `dir`; returns the capture's path and the truth.
/// The key log of its TLS connections, if any, is `CAPTURE.keylog`.
fn generate(dir: &tempfile::TempDir, cfg: &gen::Config) -> (PathBuf, Value, gen::Summary) {
    let pcap = dir.path().join(format!("gen-{}.pcap", cfg.seed));
    let mut truth = Vec::new();
    let mut keylog = Vec::new();
    let mut w = gen::pcap_file(&pcap).unwrap();
    let summary = gen::generate_with_keylog(cfg, &mut w, &mut truth, &mut keylog).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    std::fs::write(keylog_of(&pcap), keylog).unwrap();
    let truth: Value = serde_json::from_slice(&truth).expect("the truth is JSON");
    (pcap, truth, summary)
}

fn keylog_of(pcap: &Path) -> PathBuf {
    let mut p = pcap.as_os_str().to_owned();
    p.push(".keylog");
    PathBuf::from(p)
}

/// The report of `pcap` as JSON, read with the key logs `keylogs`.
fn analyze(pcap: &Path, opts: Options, keylogs: Vec<PathBuf>) -> Value {
    let keys = KeySources {
        files: keylogs,
        env: None,
    };
    let mut report = wsclose::analyze_files_with_progress(&[pcap.to_path_buf()], opts, &keys, None)
        .expect("the generated capture is readable");
    report.load().expect("reports in memory");
    serde_json::to_value(&report).unwrap()
}

/// Version, suite, decrypted, and each side's close_notify packet.
type TlsFacts = (String, String, bool, Option<u64>, Option<u64>);

/// What the truth (or a report) says of a connection's TLS: version, suite, decrypted,
/// and each side's close_notify packet; `None` for plaintext.
fn tls_facts(tls: &Value) -> Option<TlsFacts> {
    if tls.is_null() {
        return None;
    }
    Some((
        tls["version"].as_str().unwrap().to_string(),
        tls["cipher_suite"].as_str().unwrap().to_string(),
        tls.get("decrypted").is_none_or(|d| d == true),
        tls["close_notify"]["client"].as_u64(),
        tls["close_notify"]["server"].as_u64(),
    ))
}

/// An HTTP/2 stream's endings as (by, kind, error code, last stream, ends it, packet).
type StreamEnds = Vec<(String, String, Option<String>, Option<u64>, bool, u64)>;

fn stream_ends(ends: Option<&Value>) -> StreamEnds {
    let Some(ends) = ends else {
        return Vec::new();
    };
    ends.as_array()
        .expect("stream_ends is an array")
        .iter()
        .map(|e| {
            (
                e["by"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
                e.get("error_code")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                e.get("last_stream").and_then(Value::as_u64),
                e["ends_stream"].as_bool().unwrap(),
                e["packet"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A connection's key: client, server and HTTP/2 stream (none over HTTP/1.1).
type Key = (String, String, Option<u64>);

fn key_of(c: &Value) -> Key {
    (
        c["client"].as_str().unwrap().to_string(),
        c["server"].as_str().unwrap().to_string(),
        c.get("h2_stream").and_then(Value::as_u64),
    )
}

/// One close frame as (from, code, reason, packet).
fn closes(frames: &Value) -> Vec<(String, Option<u64>, String, u64)> {
    frames
        .as_array()
        .expect("close_frames is an array")
        .iter()
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_string(),
                f["code"].as_u64(),
                f["reason"].as_str().unwrap().to_string(),
                f["packet"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Runs the analyzer on a generated capture (with its key log when it has TLS connections)
/// and compares every connection with the truth.
fn check(cfg: gen::Config, opts: Options) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth, summary) = generate(&dir, &cfg);
    let report = if cfg.tls > 0.0 {
        analyze(&pcap, opts, vec![keylog_of(&pcap)])
    } else {
        let report = wsclose::analyze_files(std::slice::from_ref(&pcap), opts)
            .expect("the generated capture is readable");
        serde_json::to_value(&report).unwrap()
    };

    assert_eq!(
        report["inputs"][0]["packets"].as_u64(),
        Some(summary.packets)
    );
    assert!(report["inputs"][0]["warnings"]
        .as_array()
        .unwrap()
        .is_empty());

    let mut expected: BTreeMap<Key, &Value> = BTreeMap::new();
    for c in truth["websocket_connections"].as_array().unwrap() {
        let key = key_of(c);
        assert!(
            expected.insert(key.clone(), c).is_none(),
            "the generator reused {key:?}"
        );
    }
    assert_eq!(expected.len() as u64, summary.websocket);

    let mut failures = Vec::new();
    let mut extra = Vec::new();
    let conns = report["connections"].as_array().unwrap();
    for c in conns {
        let key = key_of(c);
        let Some(t) = expected.remove(&key) else {
            extra.push(key);
            continue;
        };
        let got = (
            closes(&c["close_frames"]),
            c["status"]["code"].as_u64(),
            c["tcp_end"].as_str().unwrap().to_string(),
            c["tcp_end_by"].as_str().map(str::to_string),
            (
                c["seen_by"]["client"].as_u64(),
                c["seen_by"]["server"].as_u64(),
            ),
        );
        let want = (
            closes(&t["close_frames"]),
            t["status"].as_u64(),
            t["tcp_end"].as_str().unwrap().to_string(),
            t["tcp_end_by"].as_str().map(str::to_string),
            (
                t["seen_by"]["client"].as_u64(),
                t["seen_by"]["server"].as_u64(),
            ),
        );
        // The carrier: HTTP/1.1 or an HTTP/2 stream, the handshake's status (101, or the
        // :status 200 of an extended CONNECT) and how the stream ended.
        let got_h2 = (
            c["transport"].as_str().unwrap().to_string(),
            c.get("h2_stream").and_then(Value::as_u64),
            c["handshake"]["status"].as_u64(),
            stream_ends(c.get("stream_ends")),
        );
        let want_h2 = (
            t["transport"].as_str().unwrap().to_string(),
            t["h2_stream"].as_u64(),
            t["handshake_status"].as_u64(),
            stream_ends(t.get("stream_ends")),
        );
        if got_h2 != want_h2 {
            failures.push(format!(
                "{} → {} ({}): transport, stream, handshake status, stream endings\n   got  {got_h2:?}\n   want {want_h2:?}",
                key.0, key.1, t["scenario"]
            ));
        }
        // Compression, where the truth says (it does since the generator's `deflate`).
        if let Some(counts) = t.get("compressed_messages") {
            let got = (
                c["handshake"]["deflate"].as_bool(),
                c["frames"]["client"]["compressed_messages"].as_u64(),
                c["frames"]["server"]["compressed_messages"].as_u64(),
            );
            let want = (
                t["deflate"].as_bool(),
                counts["client"].as_u64(),
                counts["server"].as_u64(),
            );
            if got != want {
                failures.push(format!(
                    "{} → {}: deflate and compressed messages (client, server) {got:?}, want {want:?}",
                    key.0, key.1
                ));
            }
        }
        // TLS, where the truth says (it does since the generator's `tls`).
        if let Some(t_tls) = t.get("tls") {
            let (got, want) = (tls_facts(&c["tls"]), tls_facts(t_tls));
            if got != want {
                failures.push(format!(
                    "{} → {}: TLS (version, suite, decrypted, close_notify client, server) {got:?}, want {want:?}",
                    key.0, key.1
                ));
            }
        }
        let findings: Vec<&str> = c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap_or("?"))
            .collect();
        if got != want || !findings.is_empty() {
            failures.push(format!(
                "{} → {} ({}, first packet {}):\n   got  {got:?} findings {findings:?}\n   want {want:?}",
                key.0, key.1, t["scenario"], t["first_packet"]
            ));
        }
    }
    let missing: Vec<_> = expected.keys().collect();
    assert!(
        failures.is_empty() && extra.is_empty() && missing.is_empty(),
        "{} of {} connections differ from the truth, {} extra, {} missing\n{}\nextra: {extra:?}\nmissing: {missing:?}",
        failures.len(),
        conns.len(),
        extra.len(),
        missing.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    assert_eq!(
        report["summary"]["connections"].as_u64(),
        Some(summary.websocket)
    );
    assert_eq!(
        report["seen"]["other_tcp_connections"].as_u64(),
        Some(summary.other_tcp)
    );
    report
}

#[test]
fn generated_capture_matches_the_truth() {
    let report = check(gen::Config::new(300, 5_000_000, 7), Options::default());
    assert_eq!(report["seen"]["evicted_flows"].as_u64(), Some(0));
}

#[test]
fn generated_capture_many_in_flight_matches_the_truth() {
    // Everything in flight at once, other seed: maximal interleaving, more 64 KiB segments
    // between the frames of one connection.
    let mut cfg = gen::Config::new(200, 3_000_000, 11);
    cfg.concurrency = 200;
    let _ = check(cfg, Options::default());
}

#[test]
fn generated_capture_with_evictions_matches_the_truth() {
    // A slow link (5 MB over about 40 s of capture time) and a 5 s idle timeout: silent
    // open connections leave the flow table by the idle timeout (closed ones after their
    // grace period, or at once), long before the end of the input; the report must not
    // change.
    let mut cfg = gen::Config::new(300, 5_000_000, 9);
    cfg.rate_mbps = 1;
    let opts = Options {
        idle_timeout_s: 5,
        ..Options::default()
    };
    let report = check(cfg, opts);
    assert!(report["seen"]["evicted_flows"].as_u64().unwrap() > 0);
}

#[test]
fn generated_capture_with_permessage_deflate_matches_the_truth() {
    // Most WebSocket connections compress (context takeover or not, levels 1 to 9): every
    // message inflates (no finding), and each side's compressed messages are counted.
    let mut cfg = gen::Config::new(300, 6_000_000, 5);
    cfg.deflate = 0.7;
    let report = check(cfg, Options::default());
    let conns = report["connections"].as_array().unwrap();
    let compressing = conns
        .iter()
        .filter(|c| c["handshake"]["deflate"] == true)
        .count();
    let compressed: u64 = conns
        .iter()
        .map(|c| {
            c["frames"]["client"]["compressed_messages"]
                .as_u64()
                .unwrap()
                + c["frames"]["server"]["compressed_messages"]
                    .as_u64()
                    .unwrap()
        })
        .sum();
    assert!(
        compressing > conns.len() / 2 && compressed > 1_000,
        "{compressing} of {} connections compress, {compressed} messages",
        conns.len()
    );
    let ext = |s: &str| {
        conns.iter().any(|c| {
            c["handshake"]["extensions"]
                .as_str()
                .is_some_and(|e| e.contains(s))
        })
    };
    assert!(ext("server_no_context_takeover") && ext("client_no_context_takeover"));
}

#[test]
fn generated_socketio_capture_names_the_application_causes_of_the_truth() {
    // Every WebSocket connection a socket.io session (some compressed, some over TLS): the
    // WebSocket and TCP facts as always, and each session's application cause and the side
    // that ended it as the truth gives them (`examples/gen/socketio.rs`).
    let mut cfg = gen::Config::new(300, 6_000_000, 13);
    cfg.socketio = true;
    // About 2.4 s of capture time: sessions live long enough for a few pings.
    cfg.rate_mbps = 20;
    cfg.deflate = 0.3;
    cfg.tls = 0.2;
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth, _) = generate(&dir, &cfg);
    let report = check(cfg, Options::default());
    let mut want: BTreeMap<Key, (Value, Value)> = BTreeMap::new();
    for t in truth["websocket_connections"].as_array().unwrap() {
        let app = &t["app"];
        assert_eq!(app["protocol"], "socket.io", "{t}");
        want.insert(key_of(t), (app["cause"].clone(), app["ended_by"].clone()));
    }
    let mut failures = Vec::new();
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    for c in report["connections"].as_array().unwrap() {
        let a = &c["application"];
        let got = (a["cause"].clone(), a["ended_by"].clone());
        *causes.entry(got.0.to_string()).or_default() += 1;
        let w = want.get(&key_of(c));
        if a["protocol"] != "socket.io" || w != Some(&got) {
            failures.push(format!("{:?}: got {got:?}, want {w:?}", key_of(c)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every kind of ending the generator draws is there, and the sessions pinged.
    for cause in [
        "io client disconnect",
        "io server disconnect",
        "forced close",
        "transport close",
        "transport error",
    ] {
        assert!(causes.contains_key(&format!("\"{cause}\"")), "{causes:?}");
    }
    let pinged = report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["application"]["heartbeat"]["server"]["pings"].as_u64() > Some(0))
        .count();
    assert!(pinged > 10, "{pinged} sessions pinged");
    drop(pcap);
}

#[test]
fn generated_capture_over_tls_matches_the_truth() {
    // Every WebSocket connection over TLS 1.3 (AES-128-GCM, ChaCha20-Poly1305) or TLS 1.2
    // (ECDHE AES-128-GCM), read with the generator's key log: the same close frames,
    // packets (of the records that complete them) and codes as the truth, each
    // connection decrypted, with its suite and close_notify packets.
    let mut cfg = gen::Config::new(200, 4_000_000, 13);
    cfg.tls = 1.0;
    let report = check(cfg, Options::default());
    let conns = report["connections"].as_array().unwrap();
    assert!(conns.len() > 150, "{} connections", conns.len());
    assert!(conns.iter().all(|c| c["tls"]["decrypted"] == true));
    for suite in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ] {
        assert!(
            conns.iter().any(|c| c["tls"]["cipher_suite"] == suite),
            "{suite} in the mix"
        );
    }
    assert!(conns
        .iter()
        .any(|c| c["tls"]["close_notify"]["client"].is_u64()));
    assert!(conns
        .iter()
        .any(|c| c["tls"]["close_notify"]["server"].is_null()));
    assert!(report["seen"]["encrypted"].is_null());
}

#[test]
fn generated_capture_of_one_tls_suite_matches_the_truth() {
    // `Config::tls_suite`: every wss:// connection in TLS 1.3 AES-128-GCM (what the TLS
    // benchmark against plaintext is about), the rest of the capture as drawn.
    let mut cfg = gen::Config::new(150, 3_000_000, 13);
    cfg.tls = 1.0;
    cfg.tls_suite = Some(gen::tls::Flavor::Tls13Aes128Gcm);
    let report = check(cfg, Options::default());
    let conns = report["connections"].as_array().unwrap();
    assert!(conns.len() > 100, "{} connections", conns.len());
    assert!(conns.iter().all(|c| c["tls"]["decrypted"] == true
        && c["tls"]["cipher_suite"] == "TLS_AES_128_GCM_SHA256"
        && c["tls"]["version"] == "TLS 1.3"));
}

#[test]
fn generated_capture_half_over_tls_with_compression_matches_the_truth() {
    // Plaintext and TLS connections side by side on the same ports, some compressing
    // over TLS.
    let mut cfg = gen::Config::new(200, 3_000_000, 17);
    cfg.tls = 0.5;
    cfg.deflate = 0.4;
    let report = check(cfg, Options::default());
    let conns = report["connections"].as_array().unwrap();
    let over_tls = conns.iter().filter(|c| c["tls"].is_object()).count();
    assert!(
        over_tls > 50 && over_tls < conns.len() - 50,
        "{over_tls} over TLS"
    );
    assert!(conns
        .iter()
        .any(|c| c["tls"].is_object() && c["handshake"]["deflate"] == true));
}

/// The HTTP/2 facts of a report's connections: how many run over HTTP/2, on a stream other
/// than 1, and how many stream endings of each kind (END_STREAM, RST_STREAM, GOAWAY) they list.
fn h2_mix(report: &Value) -> (usize, usize, BTreeMap<String, usize>) {
    let conns = report["connections"].as_array().unwrap();
    let h2: Vec<&Value> = conns.iter().filter(|c| c["transport"] == "h2").collect();
    let mut kinds = BTreeMap::new();
    for c in &h2 {
        for e in c["stream_ends"].as_array().into_iter().flatten() {
            *kinds
                .entry(e["kind"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let not_one = h2.iter().filter(|c| c["h2_stream"] != 1).count();
    (h2.len(), not_one, kinds)
}

#[test]
fn generated_capture_over_h2_matches_the_truth() {
    // Half the WebSocket connections over HTTP/2 with prior knowledge (h2c, RFC 8441), some
    // compressing: each an extended CONNECT stream with its close frames in DATA frames
    // (cut, padded), ended by END_STREAM, RST_STREAM, GOAWAY or TCP as the truth says.
    // Fewer than the report store's 256 in-memory reports (see the test below).
    let mut cfg = gen::Config::new(250, 4_000_000, 19);
    cfg.h2 = 0.5;
    cfg.deflate = 0.3;
    let report = check(cfg, Options::default());
    let (h2, not_one, kinds) = h2_mix(&report);
    assert!(
        h2 > 80 && not_one > 10,
        "{h2} over HTTP/2, {not_one} not on stream 1"
    );
    for kind in ["end_stream", "rst_stream", "goaway"] {
        assert!(
            kinds.get(kind).is_some_and(|&n| n > 0),
            "{kind} in {kinds:?}"
        );
    }
    assert!(report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["transport"] == "h2" && c["handshake"]["deflate"] == true));
}

#[test]
fn generated_capture_all_over_h2_past_the_report_store_budget_matches_the_truth() {
    // More WebSocket connections than the report store keeps in memory, all over HTTP/2:
    // the reports read back from its temporary file must be the same.
    let mut cfg = gen::Config::new(340, 3_000_000, 23);
    cfg.h2 = 1.0;
    let report = check(cfg, Options::default());
    assert!(h2_mix(&report).0 > 256);
}

#[test]
fn generated_capture_over_h2_in_tls_matches_the_truth() {
    // Half the WebSocket connections over TLS, half over HTTP/2: h2c, and h2 inside TLS
    // (ALPN h2) read with the key log, the HTTP/2 frames across TLS records (a preface
    // split over two records included), the close frames' packets those of the records
    // that complete them.
    let mut cfg = gen::Config::new(200, 4_000_000, 7);
    cfg.tls = 0.5;
    cfg.h2 = 0.5;
    let report = check(cfg, Options::default());
    let conns = report["connections"].as_array().unwrap();
    let h2_tls = conns
        .iter()
        .filter(|c| c["transport"] == "h2" && c["tls"]["decrypted"] == true)
        .count();
    assert!(h2_tls > 30, "{h2_tls} over h2 in TLS");
}

#[test]
fn generated_tls_capture_without_its_key_log_lists_every_tls_connection_as_encrypted() {
    // Without the key log nothing is decrypted: every TLS connection of the truth is in
    // `seen.encrypted` (no key), counted in the summary, and no close code is reported.
    let mut cfg = gen::Config::new(120, 2_000_000, 13);
    cfg.tls = 1.0;
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth, summary) = generate(&dir, &cfg);
    let report = analyze(&pcap, Options::default(), Vec::new());
    assert_eq!(summary.tls, summary.websocket);
    assert!(report["connections"].as_array().unwrap().is_empty());
    assert_eq!(report["summary"]["connections"].as_u64(), Some(0));
    assert_eq!(
        report["summary"]["by_status"],
        serde_json::json!({}),
        "no close code without keys"
    );
    assert_eq!(
        report["summary"]["encrypted_connections"].as_u64(),
        Some(summary.tls)
    );
    let mut want: Vec<(String, String)> = truth["websocket_connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(c["tls"].is_object());
            (
                c["client"].as_str().unwrap().to_string(),
                c["server"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let encrypted = report["seen"]["encrypted"].as_array().unwrap();
    let mut got: Vec<(String, String)> = encrypted
        .iter()
        .map(|e| {
            assert_eq!(e["tls"]["decrypted"], false);
            assert_eq!(e["tls"]["not_decrypted"], "no key for this connection");
            assert!(e.get("close_frames").is_none() && e.get("status").is_none());
            (
                e["client"].as_str().unwrap().to_string(),
                e["server"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn the_generator_without_compression_makes_the_same_bytes_as_before() {
    // `deflate` and `tls` at 0 spend no random draw: the benchmark's captures
    // (BENCHMARKS.md's figures) are made again byte for byte. The digest is of `scripts/bench`'s 10 MB
    // capture (`--connections 500 --size 10M --seed 7`) as the generator wrote it before
    // it could compress (commit `d5f03af`).
    let dir = tempfile::tempdir().unwrap();
    let (pcap, _, _) = generate(&dir, &gen::Config::new(500, 10_000_000, 7));
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(std::fs::read(&pcap).unwrap());
    assert_eq!(
        format!("{digest:x}"),
        "3272c6cd4ced6a2a5845686791ab8f9ebf318139269fc133ff31747f6264aaeb"
    );
}

#[test]
fn the_generator_covers_the_mix_and_is_reproducible() {
    let cfg = gen::Config::new(300, 2_000_000, 3);
    let run = || {
        let mut sink = gen::MemSink::default();
        let mut truth = Vec::new();
        let s = gen::generate(&cfg, &mut sink, &mut truth).unwrap();
        (sink.data, sink.index.len(), truth, s)
    };
    let (a, n, ta, s) = run();
    let (b, m, tb, _) = run();
    assert!(a == b && n == m && ta == tb, "same seed, same bytes");
    let truth: Value = serde_json::from_slice(&ta).unwrap();
    let conns = truth["websocket_connections"].as_array().unwrap();
    let has = |f: &dyn Fn(&Value) -> bool| conns.iter().any(f);
    for code in [1000, 1001, 1005, 1006] {
        assert!(has(&|c| c["status"] == code), "status {code} in the mix");
    }
    assert!(
        has(&|c| c["status"].is_null()),
        "open connections in the mix"
    );
    assert!(has(&|c| c["tcp_end"] == "rst"), "RST in the mix");
    assert!(has(&|c| c["client"].as_str().unwrap().starts_with('[')));
    assert!(has(&|c| c["close_frames"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"].is_null())));
    assert!(s.other_tcp > 0 && s.udp_packets > 0);
    // Within 10% of the asked size.
    assert!(
        s.bytes.abs_diff(cfg.size) < cfg.size / 10,
        "{} bytes",
        s.bytes
    );
}
