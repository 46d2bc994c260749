//! Sharding a capture across threads changes nothing in the report: every fixture (and the
//! shared corpus, when present), pcap and pcapng, analyzed with 1, 2 and 3 threads gives
//! the same JSON. The HTTP/2 captures of `fixtures/h2/` (h2c, and h2 inside TLS with their
//! key logs) are among them. So does a flow cap that bites: the same flows are evicted
//! whatever the number of threads.

use crate::common::skip;

use crate::gen;

use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;
use wsclose::keys::KeySources;

fn json(paths: &[PathBuf], keys: &[PathBuf], threads: usize) -> serde_json::Value {
    json_with(paths, keys, threads, Options::default())
}

/// [`json`] with the options `opts` (their threads and shard size replaced).
fn json_with(
    paths: &[PathBuf],
    keys: &[PathBuf],
    threads: usize,
    opts: Options,
) -> serde_json::Value {
    let opts = Options {
        threads,
        // Shard even the smallest files, so the test exercises it.
        shard_min_bytes: 0,
        ..opts
    };
    let keys = KeySources {
        files: keys.to_vec(),
        env: None,
    };
    let report = wsclose::analyze_files_with_progress(paths, opts, &keys, None).unwrap();
    serde_json::from_str(&wsclose::render::json::render(&report)).unwrap()
}

/// The captures in `dir` (pcap, pcapng), if it exists.
fn captures(dir: &Path) -> Vec<PathBuf> {
    if !dir.is_dir() {
        skip::skipped(format_args!(
            "{} is absent (it lives beside the repository, not in it): its captures are not read",
            dir.display()
        ));
    }
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
                .collect()
        })
        .unwrap_or_default()
}

/// The key log beside a capture (`NAME.keylog`), if there is one.
fn keylog(capture: &Path) -> Option<PathBuf> {
    Some(capture.with_extension("keylog")).filter(|k| k.exists())
}

#[test]
fn one_two_and_three_threads_give_the_same_report() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        root.join("fixtures"),
        root.join("fixtures/h2"),
        root.join("../shared/corpus/public"),
    ] {
        files.extend(captures(&dir));
    }
    files.sort();
    assert!(files.len() > 20);
    let keys: Vec<PathBuf> = files.iter().filter_map(|f| keylog(f)).collect();
    assert!(keys.len() >= 4, "the key logs of fixtures/h2");
    // All at once (several inputs, flows finished between them) and one by one.
    let one = json(&files, &keys, 1);
    let conns = one["connections"].as_array().unwrap();
    assert!(conns.len() > 30);
    // The HTTP/2 streams are in it, those inside TLS decrypted.
    let h2 = |tls: bool| {
        conns
            .iter()
            .filter(|c| c["transport"] == "h2" && c["tls"].is_object() == tls)
            .count()
    };
    assert!(
        h2(false) >= 6 && h2(true) >= 12,
        "{} {}",
        h2(false),
        h2(true)
    );
    for t in [2, 3] {
        assert_eq!(json(&files, &keys, t), one, "{t} threads");
    }
    for f in &files {
        let keys: Vec<PathBuf> = keylog(f).into_iter().collect();
        let single = json(std::slice::from_ref(f), &keys, 1);
        assert_eq!(
            json(std::slice::from_ref(f), &keys, 2),
            single,
            "{}",
            f.display()
        );
    }
}

/// A capture of `connections` TCP connections, `concurrency` of them in flight at once.
fn crowd(dir: &tempfile::TempDir, connections: u64, concurrency: usize) -> PathBuf {
    let pcap = dir.path().join(format!("crowd-{concurrency}.pcap"));
    let mut cfg = gen::Config::new(connections, connections * 400, 11);
    cfg.concurrency = concurrency;
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, std::io::sink()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    pcap
}

/// With more connections open at once than --max-flows, the flows evicted (and so the
/// report) are the same with 1, 2 and 3 threads: a cap of 4 096 (four groups of 1 024, the
/// first thread taking two groups) with 4 600 connections in flight at once, and one of
/// 500 (one group, one thread) with 600.
#[test]
#[ignore = "long: run by .ci/run"]
fn a_flow_cap_that_bites_evicts_the_same_flows_with_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    for (pcap, max_flows) in [
        (crowd(&dir, 4_800, 4_600), 4_096),
        (crowd(&dir, 1_000, 600), 500),
    ] {
        let files = [pcap];
        let opts = Options {
            max_flows,
            ..Options::default()
        };
        let one = json_with(&files, &[], 1, opts);
        let evicted = one["seen"]["evicted_max_flows"].as_u64().unwrap();
        let marked = one["connections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["evicted"] == "max_flows")
            .count();
        assert!(
            evicted > 100 && marked > 100,
            "{max_flows}: {evicted} {marked}"
        );
        for t in [2, 3] {
            let other = json_with(&files, &[], t, opts);
            assert!(
                other == one,
                "--max-flows {max_flows}, {t} threads: evicted {} (1 thread: {evicted})",
                other["seen"]["evicted_max_flows"]
            );
        }
    }
}
