//! That a report does not depend on where the finished connections' reports were kept: in
//! memory, in the temporary file (`--keep-reports 0`), or by the threads of a shared file
//! with a budget of one report each. Used beside [`super::run`].

use serde_json::Value;
use std::path::PathBuf;

/// The JSON report of `paths`, by the command line with `extra`.
fn cli(paths: &[PathBuf], extra: &[&str]) -> Value {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .args(extra)
        .args(paths)
        .output()
        .unwrap();
    serde_json::from_slice(&super::run::stdout_of(out)).unwrap()
}

/// The connections of `paths` are the same in memory, with every report on disk, and read
/// by two threads keeping one report each in memory.
pub fn same_in_memory_on_disk_and_sharded(paths: &[PathBuf]) {
    let base = cli(paths, &[]);
    let spilled = cli(paths, &["--keep-reports", "0"]);
    assert_eq!(base["connections"], spilled["connections"]);
    let opts = wsclose::Options {
        threads: 2,
        shard_min_bytes: 0,
        keep_reports: 1,
        ..wsclose::Options::default()
    };
    let report = wsclose::analyze_files(paths, opts).unwrap();
    let sharded: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(base["connections"], sharded["connections"]);
}
