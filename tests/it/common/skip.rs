//! Saying that a test, or a part of one, was skipped (a tool, a permission or ../shared
//! missing here), where the person running `cargo test` sees it: straight to the process's
//! standard error, which libtest does not capture (it keeps what `eprintln!` prints in a
//! passing test to itself, so a skip said that way passes silently).

use std::io::Write;

/// Writes "skipped in TEST: WHY" on standard error, TEST being the running test's name.
pub fn skipped(why: std::fmt::Arguments<'_>) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "skipped in {test}: {why}");
}
