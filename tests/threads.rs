//! Sharding a capture across threads changes nothing in the report: every fixture (and the
//! shared corpus, when present), pcap and pcapng, analyzed with 1, 2 and 3 threads gives
//! the same JSON.

use std::path::PathBuf;
use wsclose::analyzer::Options;

fn json(paths: &[PathBuf], threads: usize) -> serde_json::Value {
    let opts = Options {
        threads,
        // Shard even the smallest files, so the test exercises it.
        shard_min_bytes: 0,
        ..Options::default()
    };
    let report = wsclose::analyze_files(paths, opts).unwrap();
    serde_json::from_str(&wsclose::report::json::render(&report)).unwrap()
}

#[test]
fn one_two_and_three_threads_give_the_same_report() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [root.join("fixtures"), root.join("../shared/corpus/public")] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng")),
            );
        }
    }
    files.sort();
    assert!(files.len() > 20);
    // All at once (several inputs, flows finished between them) and one by one.
    let one = json(&files, 1);
    assert!(one["connections"].as_array().unwrap().len() > 30);
    for t in [2, 3] {
        assert_eq!(json(&files, t), one, "{t} threads");
    }
    for f in &files {
        let single = json(std::slice::from_ref(f), 1);
        assert_eq!(json(std::slice::from_ref(f), 2), single, "{}", f.display());
    }
}
