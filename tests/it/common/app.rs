//! The JSON report of an application fixture (fixtures/app/), for the tests of the
//! application protocols (`crate::app`), used beside [`super::run`].

use serde_json::Value;

/// The path of `fixtures/app/NAME`.
pub fn path(name: &str) -> String {
    format!("{}/fixtures/app/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `wsclose analyze fixtures/app/NAME --format json EXTRA…`, which must succeed.
pub fn json(name: &str, extra: &[&str]) -> Value {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(["analyze", &path(name), "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    serde_json::from_slice(&super::run::stdout_of(out)).unwrap()
}
