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
