//! Findings as values, words in one place (issue 105 items 1 and 5): `diagnose/` decides on
//! fields and never searches, splits or rewrites text that it or a stage wrote; the stages
//! and `diagnose/` write no sentence for a user, `report/words/` does.
//!
//! In: the source files under `src/`, read as text, comments and unit tests aside
//! (`tests.rs`, `tests/`, a `#[cfg(test)] mod tests { … }` block). Out: each test's verdict,
//! naming the lines that break the rule.
//!
//! What they read is the code's shape, not its meaning: a search through a local variable
//! that holds a copy of a finding's detail, or a sentence put together from fragments of
//! two words each, passes them (see each test).

use super::layout::{is_test_file, rust_files};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The code lines of `text` with their numbers: comment lines and `#[cfg(test)]` modules
/// (to the `}` at their indent) left out.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut test_attr = false;
    let mut skip_to: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(end) = &skip_to {
            if line == end {
                skip_to = None;
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        if test_attr && t.starts_with("mod ") && t.ends_with('{') {
            let indent = &line[..line.len() - t.len()];
            skip_to = Some(format!("{indent}}}"));
            test_attr = false;
            continue;
        }
        test_attr = t.starts_with("#[cfg(test)]") || (test_attr && t.starts_with("#["));
        out.push((i + 1, line));
    }
    out
}

/// The fields of the model that hold wsclose's own words: a finding's or a status's
/// `detail`, an evidence line's `summary`, a status's `name` and `fix`, a leg's
/// `link_evidence`.
const OWN_TEXT: [&str; 5] = ["detail", "summary", "name", "fix", "link_evidence"];

/// What searches, splits or rewrites a text.
const TEXT_OPS: [&str; 16] = [
    "contains",
    "starts_with",
    "ends_with",
    "find",
    "rfind",
    "matches",
    "replace",
    "replacen",
    "replace_range",
    "split",
    "splitn",
    "rsplit",
    "split_once",
    "rsplit_once",
    "strip_prefix",
    "strip_suffix",
];

/// Where `line` searches, splits, rewrites or compares to a literal a field of
/// [`OWN_TEXT`]: `x.detail.contains(…)`, `ev.summary.find(…)`, `f.detail = f.detail.replace(…)`,
/// `end.name == "FIN"` (with `.as_str()` or `.as_deref()` between, too).
fn own_text_read(line: &str) -> Option<String> {
    for field in OWN_TEXT {
        let pat = format!(".{field}");
        let mut rest = line;
        while let Some(at) = rest.find(&pat) {
            let after = &rest[at + pat.len()..];
            rest = after;
            if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue; // `.details`, `.name_of`
            }
            let after = after
                .strip_prefix(".as_str()")
                .or_else(|| after.strip_prefix(".as_deref()"))
                .or_else(|| after.strip_prefix(".to_string()"))
                .unwrap_or(after);
            if let Some(call) = after.strip_prefix('.') {
                let op: String = call
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if TEXT_OPS.contains(&op.as_str()) && call[op.len()..].starts_with('(') {
                    return Some(format!(".{field}.{op}("));
                }
            }
            let t = after.trim_start();
            if t.starts_with("== \"") || t.starts_with("!= \"") {
                return Some(format!(".{field} {}", &t[..4]));
            }
        }
    }
    None
}

/// Each line under `dir` (unit tests aside) that reads a field of wsclose's own words as
/// text ([`own_text_read`]), as "file:line: what".
fn own_text_reads(src: &Path, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in rust_files(dir) {
        if is_test_file(src, &f) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in code_lines(&text) {
            if let Some(what) = own_text_read(line) {
                let rel = f.strip_prefix(src).unwrap().display();
                out.push(format!("{rel}:{n}: {what}"));
            }
        }
    }
    out
}

/// `diagnose/` decides on fields (issue 105 item 1): it never searches, splits, rewrites or
/// compares to a literal a finding's detail, an evidence line, a status's name or fix, or
/// a leg's link evidence; it changes the value they are said from (`vocab::Found`,
/// `report::evidence::Part`) and has them said again (`report/words/`). What a peer wrote
/// (a close reason, the last words, an application's message) is no such field and is read
/// as text where its meaning is read (`diagnose::reason`, `errorwords`, `shapes`).
///
/// Not caught: the same text read through a local variable (`let d = &f.detail;
/// d.contains(…)`) or through a function that returns it.
#[test]
fn diagnose_never_reads_its_own_words_as_text() {
    let src = src();
    let found = own_text_reads(&src, &src.join("diagnose"));
    assert!(
        found.is_empty(),
        "diagnose/ reads text wsclose wrote (decide on the fields it is said from):\n{}",
        found.join("\n")
    );
}

/// The rule finds what it names: the three places issue 105 found at bc94c6b1, a literal
/// compared, and no call on a field whose name only starts the same.
#[test]
fn own_text_reads_are_found() {
    for line in [
        "                && f.detail.starts_with(&lead)",
        "            f.detail = f.detail.replace(&said, &words);",
        "            if let Some(at) = ev.summary.find(super::evidence::DISAGREE) {",
        "                ev.summary.replace_range(",
        "|| (x.kind == Kind::MalformedClose && x.detail.contains(Problem::ReasonNotUtf8.as_str()))",
        "        let fins = f0.end.name == \"FIN\" && b0.end.name == \"FIN\";",
        "            None if self.status.name.as_str().starts_with(\"Open\") => StatusKey::Open,",
    ] {
        assert!(own_text_read(line).is_some(), "{line}");
    }
    for line in [
        "    let v = f.findings.iter().find(|x| x.kind == Kind::Gap);",
        "        if matches!(&x.found, Some(Found::MalformedClose { problems }) if problems.contains(&p))",
        "        let reason = c.reason.trim(); reason.contains(\"timeout\")",
        "        r.details.contains(&x)",
        "        f.detail = words.text;",
    ] {
        assert_eq!(own_text_read(line), None, "{line}");
    }
}
