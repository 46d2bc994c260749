//! No import circle between the files of `src/` (issue 105 item 5), as none between its
//! top-level folders (`layout`): two files that import each other are one piece split in
//! two, and the piece they share belongs below both.
//!
//! In: the source files under `src/`, read as text: the library (`src/lib.rs` its root) and
//! the binary (`src/bin/wsclose/main.rs` its root), each path a file writes from its
//! crate's root or relative to itself (`crate::a::b`, `super::c`, `self::d`, groups
//! `{e, f::g}` over several lines too), resolved to the file that holds the module it
//! names (the deepest `x.rs` or `x/mod.rs` the path reaches). Comments and unit tests
//! aside (test files, `#[cfg(test)] mod … { }`), as the folder graph reads them. A bare
//! path to a child module (`child::X` in its `mod.rs`) is not read: a parent declares its
//! children. Out: each test's verdict.

use super::layout::{circles, is_test_file, rust_files, src};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which crate a file belongs to: its root file and folder.
fn crate_of(src: &Path, file: &Path) -> (PathBuf, PathBuf) {
    let bin = src.join("bin").join("wsclose");
    if file.starts_with(&bin) {
        (bin.join("main.rs"), bin)
    } else {
        (src.join("lib.rs"), src.to_path_buf())
    }
}

/// The module path of a file within its crate (`["report", "words", "tls"]` for
/// `src/report/words/tls.rs` and for `src/report/words/tls/mod.rs`; empty for a root).
fn module_of(root_dir: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root_dir).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.strip_suffix(".rs").unwrap_or(&last).to_string();
    if !(stem == "mod" || (parts.is_empty() && (stem == "lib" || stem == "main"))) {
        parts.push(stem);
    }
    parts
}

/// The file that holds the deepest module `path` reaches in the crate rooted at
/// `root_dir` (`root_file` for none).
fn file_of(root_file: &Path, root_dir: &Path, path: &[String]) -> PathBuf {
    for k in (1..=path.len()).rev() {
        let mut dir = root_dir.to_path_buf();
        for seg in &path[..k - 1] {
            dir.push(seg);
        }
        let flat = dir.join(format!("{}.rs", path[k - 1]));
        if flat.is_file() {
            return flat;
        }
        let folder = dir.join(&path[k - 1]).join("mod.rs");
        if folder.is_file() {
            return folder;
        }
    }
    root_file.to_path_buf()
}

/// The code of a file, each line with the inline modules it sits in: comment lines left
/// out, `#[cfg(test)]` modules (a test may import anything) skipped whole.
fn code(text: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut inline: Vec<(String, String)> = Vec::new(); // (indent, name)
    let mut test_attr = false;
    let mut skip_to: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        if let Some(end) = &skip_to {
            if line == end.as_str() {
                skip_to = None;
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        if let Some(name) = inline_mod(t) {
            if test_attr {
                // `mod tests;` has no body; `mod tests { … }` ends at its indent's `}`.
                if t.ends_with('{') {
                    skip_to = Some(format!("{indent}}}"));
                }
                test_attr = false;
                continue;
            }
            if t.ends_with('{') {
                inline.push((indent.to_string(), name));
            }
        }
        test_attr = t.starts_with("#[cfg(test)]") || (test_attr && t.starts_with("#["));
        if inline
            .last()
            .is_some_and(|(i, _)| line == format!("{i}}}").as_str())
        {
            inline.pop();
            continue;
        }
        let code = t.split(" // ").next().unwrap_or(t).to_string();
        out.push((inline.iter().map(|(_, n)| n.clone()).collect(), code));
    }
    out
}

/// The module a line `mod x;` or `mod x {` declares (any visibility).
fn inline_mod(t: &str) -> Option<String> {
    let t = t
        .strip_prefix("pub(crate) ")
        .or_else(|| t.strip_prefix("pub(super) "))
        .or_else(|| t.strip_prefix("pub "))
        .unwrap_or(t);
    let name: String = t
        .strip_prefix("mod ")?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Every path of `text` that starts with `crate::`, `super::` or `self::`, each spelt out
/// (`use crate::{a, b::{c, d}}` gives `crate::a`, `crate::b::c`, `crate::b::d`), as
/// segments.
fn paths(text: &str) -> Vec<Vec<String>> {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = literal_end(b, i) {
            i = end;
            continue;
        }
        let start = ["crate", "super", "self"].into_iter().find(|w| {
            b[i..].starts_with(w.as_bytes()) && (i == 0 || !ident(b[i - 1]) && b[i - 1] != b':')
        });
        let Some(w) = start else {
            i += 1;
            continue;
        };
        let after = skip_ws(b, i + w.len());
        if !b[after..].starts_with(b"::") {
            i += w.len();
            continue;
        }
        let (found, end) = tree(b, i);
        out.extend(found);
        i = end.max(i + 1);
    }
    out
}

/// Where the string or character literal that starts at `i` ends (`"…"`, `r#"…"#`,
/// `b"…"`, `'x'`, `'\n'`), if one does: a path in a literal is text, not an import.
fn literal_end(b: &[u8], i: usize) -> Option<usize> {
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let prev = |k: usize| k.checked_sub(1).map(|p| b[p]);
    match b[i] {
        b'"' => {
            let mut k = i + 1;
            while k < b.len() && b[k] != b'"' {
                k += if b[k] == b'\\' { 2 } else { 1 };
            }
            Some(k + 1)
        }
        b'r' if !prev(i).is_some_and(ident) && matches!(b.get(i + 1), Some(b'#' | b'"')) => {
            let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                return None;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let from = i + 2 + hashes;
            let at = b[from..].windows(close.len()).position(|w| w == close)?;
            Some(from + at + close.len())
        }
        b'\'' => {
            if b.get(i + 1) == Some(&b'\\') {
                let at = b[i + 2..].iter().position(|c| *c == b'\'')?;
                Some(i + 3 + at)
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 3)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The first byte of `b` from `i` on that is no white space.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The paths of the use tree at `at` (`a::b`, `a::{b, c::d}`, `a::*`), and where it ends.
fn tree(b: &[u8], mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        at = skip_ws(b, at);
        if at < b.len() && b[at] == b'{' {
            let mut out = Vec::new();
            at += 1;
            loop {
                at = skip_ws(b, at);
                if at >= b.len() {
                    return (out, at);
                }
                if b[at] == b'}' {
                    return (out, at + 1);
                }
                if b[at] == b',' {
                    at += 1;
                    continue;
                }
                let (inner, end) = tree(b, at);
                for p in inner {
                    let mut full = prefix.clone();
                    full.extend(p.into_iter().filter(|s| s != "self"));
                    out.push(full);
                }
                at = if end == at { at + 1 } else { end };
            }
        }
        let len = b[at..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if len == 0 {
            return (vec![prefix], at);
        }
        prefix.push(String::from_utf8_lossy(&b[at..at + len]).into_owned());
        at += len;
        let next = skip_ws(b, at);
        if b[next..].starts_with(b"::") {
            at = next + 2;
        } else {
            return (vec![prefix], at);
        }
    }
}

/// What a path names from a module: `crate::` from the root, `super::` from the parent,
/// `self::` from the module itself.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut at: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            at.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {}
        _ => return None,
    }
    while rest.first().is_some_and(|s| s == "super") {
        at.pop()?;
        rest = &rest[1..];
    }
    at.extend(rest.iter().cloned());
    Some(at)
}

/// Each file's imports of the other files of its crate, by path relative to `src`.
pub(super) fn file_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let rel = |p: &Path| {
        p.strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in rust_files(src) {
        if is_test_file(src, &f) {
            continue;
        }
        let (root_file, root_dir) = crate_of(src, &f);
        let module = module_of(&root_dir, &f);
        let text = std::fs::read_to_string(&f).unwrap();
        let entry = g.entry(rel(&f)).or_default();
        // Lines in the same inline module read together, so that a group over several
        // lines is one path.
        let mut runs: Vec<(Vec<String>, String)> = Vec::new();
        for (inline, line) in code(&text) {
            match runs.last_mut() {
                Some((m, t)) if *m == inline => {
                    t.push('\n');
                    t.push_str(&line);
                }
                _ => runs.push((inline, line)),
            }
        }
        for (inline, text) in runs {
            let mut here = module.clone();
            here.extend(inline);
            for p in paths(&text) {
                let Some(abs) = absolute(&here, &p) else {
                    continue;
                };
                let to = file_of(&root_file, &root_dir, &abs);
                if to != f {
                    entry.insert(rel(&to));
                }
            }
        }
    }
    g
}

/// No two files of `src/` import each other, directly or round a longer circle.
#[test]
fn no_import_circles_between_files() {
    let g = file_graph(&src());
    // The graph is read: a file's imports, relative and from the root, over lines.
    let words_tls = &g["report/words/tls.rs"];
    assert!(words_tls.contains("report/tls.rs"), "{words_tls:?}");
    assert!(g["bin/wsclose/export.rs"].contains("bin/wsclose/output.rs"));
    let found = circles(&g);
    assert!(found.is_empty(), "import circles between files: {found:#?}");
}

/// The path reader spells out groups, relative paths and paths written in place, over
/// lines; the resolver finds the file of the deepest module; and a circle of two files is
/// found.
#[test]
fn the_file_graph_reads_what_makes_a_circle() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        paths("use crate::{\n    flow::Side,\n    report::{self, tls::{A, B}},\n};"),
        [
            s(&["crate", "flow", "Side"]),
            s(&["crate", "report"]),
            s(&["crate", "report", "tls", "A"]),
            s(&["crate", "report", "tls", "B"]),
        ]
    );
    // Literals are text: a string, a raw string, a quote character.
    assert_eq!(
        paths("f(\"crate::a \\\" super::b\", r#\"self::c\"#, '\"', '\\'', crate::d)"),
        [s(&["crate", "d"])]
    );
    assert_eq!(
        paths("let a = super::super::x::f(self::g(), my_crate::h, crate :: k);"),
        [
            s(&["super", "super", "x", "f"]),
            s(&["self", "g"]),
            s(&["crate", "k"])
        ]
    );
    let m = s(&["report", "words", "tls"]);
    assert_eq!(
        absolute(&m, &s(&["super", "super", "tls", "Reason"])),
        Some(s(&["report", "tls", "Reason"]))
    );
    let src = src();
    let lib = src.join("lib.rs");
    assert_eq!(
        file_of(&lib, &src, &s(&["report", "tls", "Reason"])),
        src.join("report/tls.rs")
    );
    assert_eq!(
        file_of(&lib, &src, &s(&["report", "Report"])),
        src.join("report/mod.rs")
    );
    assert_eq!(
        module_of(&src, &src.join("report/words/mod.rs")),
        s(&["report", "words"])
    );
    // A unit test module is skipped; an inline module's `super::` is its file.
    let lines = code("use a;\n#[cfg(test)]\nmod tests {\n    use crate::x;\n}\npub mod m {\n    use super::y;\n}\n");
    let kept: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(
        kept,
        ["use a;", "#[cfg(test)]", "pub mod m {", "use super::y;"]
    );
    assert_eq!(lines[3].0, ["m"]);
    let mut g = file_graph(&src);
    g.entry("vocab/mod.rs".into())
        .or_default()
        .insert("report/mod.rs".into());
    g.entry("report/mod.rs".into())
        .or_default()
        .insert("vocab/mod.rs".into());
    assert!(circles(&g)
        .iter()
        .any(|c| c.contains(&"vocab/mod.rs".to_string())));
}
