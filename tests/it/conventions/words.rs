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

/// The model decides on fields too (issue 105 item 1): what a status is counted under
/// (`ConnectionReport::status_kind`) and whether a proxy's leg was an HTTP/2 stream
/// (`LegEnding::h2_stream`) are read from values, not from the words `report/words/` made
/// (a status's name, a leg ending's name). `report/redact/` is left out: it replaces the
/// quotes of the wire in a finding's detail by their typed ranges (`vocab::Quote`), the
/// wire's text and not wsclose's words.
#[test]
fn the_model_never_reads_its_own_words_as_text() {
    let src = src();
    let found: Vec<String> = own_text_reads(&src, &src.join("report"))
        .into_iter()
        .filter(|l| !l.starts_with("report/redact/"))
        .collect();
    assert!(
        found.is_empty(),
        "report/ reads text wsclose wrote (decide on the fields it is said from):\n{}",
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
        "        let answer = if l.front_end.name.contains(ON_H2_STREAM) {",
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

/// A string literal of `text` (a file's code, comments and unit tests already left out,
/// each left line kept in its place): its line and its contents. Raw and byte strings and
/// the messages of `assert!`, `panic!`, `unreachable!`, `expect(` and an attribute's
/// `reason = …` (words for a developer, not a user) are left out.
fn literals(text: &str) -> Vec<(usize, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            // A char literal ('"', '\''), not a lifetime.
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                i += if b.get(i + 1) == Some(&b'\\') { 3 } else { 2 };
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            b'"' => {
                let raw_or_bytes = i > 0 && matches!(b[i - 1], b'r' | b'b' | b'#');
                let start = i + 1;
                let at = line;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    if b.get(i) == Some(&b'\n') {
                        line += 1;
                    }
                    i += 1;
                }
                let lead = text[..start].rsplit('\n').next().unwrap_or("");
                let developer = ["assert", "panic!", "unreachable!", "expect(", "reason = "]
                    .iter()
                    .any(|w| lead.contains(w));
                if !raw_or_bytes && !developer {
                    out.push((at, text[start..i.min(b.len())].to_string()));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether a string literal's contents read as words for a user: four words or more of
/// letters (a format string's `{}` and escapes aside), "the server sent a masked {op}
/// frame", not a name ("permessage-deflate"), a list of names or a format.
fn is_sentence(s: &str) -> bool {
    let words = s
        .split(|c: char| c.is_whitespace() || c == '\\')
        .map(|w| w.trim_matches(|c: char| ",.;:()\"'?!".contains(c)))
        .filter(|w| {
            w.starts_with(|c: char| c.is_ascii_alphabetic())
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        })
        .count();
    words >= 4
}

/// Where a sentence for a user may still be written outside `report/words/`, by path
/// under `src/` (a file, or a folder with its `/`), and why. A file or folder not listed
/// writes none; a listed one whose sentences have moved is taken off the list
/// ([`no_sentence_outside_report_words`] says so).
#[rustfmt::skip]
const SENTENCES_ALLOWED: &[(&str, &str)] = &[
    // Words that are not a report's.
    ("error.rs", "fatal errors, one thiserror enum: the binary prints them as `wsclose: …`"),
    ("bin/", "the command line: clap's help and the subcommands' messages"),
    ("close/", "the close-code catalog, the known timeouts and proxies: data, one row each"),
    ("explain.rs", "`wsclose explain` and `codes` print the catalog's rows"),
    ("websocket/deflate.rs", "a serde error on a damaged stored form, never shown"),
    ("stack/tcp/assembler/tail.rs", "a serde error on a damaged stored form, never shown"),
    ("stack/tls/keys.rs", "a Debug form that says the keys are redacted"),
    // Not yet moved to report/words/ (issue 105 item 1: take each off as it moves).
    ("analyzer/", "notes on the run and the inputs (the memory budget, live drops, rotation)"),
    ("annotate/", "the annotated capture's own comments"),
    ("app/", "the application decoders' summaries"),
    ("capture/", "notes on a capture file (damage, rotation, pcapng blocks, live capture)"),
    ("extract.rs", "`wsclose extract`'s note"),
    ("freeze.rs", "the freezer's notes"),
    ("incident/", "incidents' words (issue 104)"),
    ("keys/", "notes on key logs"),
    ("render/", "what renderers still word themselves (issue 105 items 2-3)"),
    ("report/", "the model's own texts outside words/ (facts, the causes' list, store notes)"),
    ("scratch.rs", "notes on scratch space"),
    ("vocab/", "names and words of vocabulary types (incident kinds, time spans)"),
    ("diagnose/incidents.rs", "incidents' evidence clauses (issue 104)"),
    ("diagnose/proxied.rs", "a proxy's leg endings named (LegEnding::name)"),
    ("diagnose/reload.rs", "a proxy's leg endings named (LegEnding::name)"),
    ("stack/tls/", "TLS: key log warnings, record errors"),
];

/// No sentence for a user outside `report/words/` (issue 105 item 5): a string literal of
/// four words or more ([`is_sentence`]) in code under `src/` (unit tests, comments and
/// developers' messages aside: [`literals`]) is refused outside `report/words/` and the
/// places [`SENTENCES_ALLOWED`] names with their reason. The stages that find things
/// (`websocket/`, most of `stack/` and `diagnose/`) record values (`vocab::Found`,
/// `report::evidence::Part`), and their words are made in `report/words/`.
///
/// Not caught: a sentence of three words or fewer, or one put together from short pieces
/// (`format!("{a} {b}")`); words in a listed place, new ones too.
#[test]
fn no_sentence_outside_report_words() {
    let src = src();
    let mut found = Vec::new();
    let mut used = vec![false; SENTENCES_ALLOWED.len()];
    for f in rust_files(&src) {
        if is_test_file(&src, &f) {
            continue;
        }
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("report/words/") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let mut kept: Vec<&str> = text.lines().map(|_| "").collect();
        for (n, line) in code_lines(&text) {
            kept[n - 1] = line;
        }
        for (n, s) in literals(&kept.join("\n")) {
            if !is_sentence(&s) {
                continue;
            }
            match SENTENCES_ALLOWED
                .iter()
                .position(|(p, _)| rel == *p || (p.ends_with('/') && rel.starts_with(p)))
            {
                Some(k) => used[k] = true,
                None => found.push(format!("{rel}:{n}: \"{s}\"")),
            }
        }
    }
    assert!(
        found.is_empty(),
        "sentences outside report/words/ (word them there, from the value):\n{}",
        found.join("\n")
    );
    let moved: Vec<&str> = SENTENCES_ALLOWED
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|((p, _), _)| *p)
        .collect();
    assert!(
        moved.is_empty(),
        "no sentence left in {moved:?}: take it off SENTENCES_ALLOWED"
    );
}

/// What reads as a sentence, and what does not.
#[test]
fn sentences_are_told_from_names() {
    for s in [
        "the server sent a masked {op} frame (RFC 6455 §5.1: a client must close with 1002)",
        "carried data after its FIN (RFC 9293 §3.10.7.4); it was not decoded",
        "the capture starts after the WebSocket handshake",
    ] {
        assert!(is_sentence(s), "{s}");
    }
    for s in [
        "permessage-deflate",
        "Sec-WebSocket-Protocol",
        "{} bytes, {}",
        "reset TCP (RST)",
        "unmasked-client-frame, rsv-bits-set",
    ] {
        assert!(!is_sentence(s), "{s}");
    }
    let code = "let a = \"one two three four\";\nassert!(x, \"five six seven eight\");\nlet c = '\"'; let b = r\"nine ten eleven twelve\";";
    let got: Vec<String> = literals(code).into_iter().map(|(_, s)| s).collect();
    assert_eq!(got, ["one two three four"]);
}
