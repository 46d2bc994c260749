//! Running the `wsclose` binary in a test: its standard output once it succeeded, its
//! standard error in the failure message otherwise.
//!
//! Included with `#[path = "common/run.rs"] mod run;` by the test binaries that run it.

/// The standard output of `out`, after asserting that the command succeeded (its standard
/// error said if not).
pub fn stdout_of(out: std::process::Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `wsclose ARGS` (without an inherited `SSLKEYLOGFILE`): its standard output, its
/// standard error as text, and its exit code.
#[allow(dead_code)]
pub fn wsclose(args: &[&str]) -> (Vec<u8>, String, Option<i32>) {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}
