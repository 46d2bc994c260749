//! Sharding a capture across threads changes nothing in the report: every fixture (and the
//! shared corpus, when present), pcap and pcapng, analyzed with 1, 2 and 3 threads gives
//! the same JSON. The HTTP/2 captures of `fixtures/h2/` (h2c, and h2 inside TLS with their
//! key logs) are among them.

use std::path::{Path, PathBuf};
use wsclose::analyzer::Options;
use wsclose::keys::KeySources;

fn json(paths: &[PathBuf], keys: &[PathBuf], threads: usize) -> serde_json::Value {
    let opts = Options {
        threads,
        // Shard even the smallest files, so the test exercises it.
        shard_min_bytes: 0,
        ..Options::default()
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
