//! The shape of `src/` (issue 94 item 5): `vocab/` imports nothing of the project, no
//! stage re-exports another's items, and the top-level folders of `src/` import each other
//! without a circle, so that the data flows one way and each folder can be read from the
//! ones below it.
//!
//! In: the source files under `src/`, read as text. A folder's imports are the `crate::X`
//! paths of its code (`use` lines and paths written in place, `use crate::{a, b}` groups),
//! comments and unit tests aside (`tests.rs`, `tests/`, a trailing `#[cfg(test)] mod
//! tests`: a test may build a report with the analyzer it is a part of). `lib.rs` (the
//! library's face) and the binary are no folder of the graph. Out: each test's verdict.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
pub(super) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `src/` belongs to (`report` for `src/report/facts.rs`,
/// `flow` for `src/flow.rs`); `None` for the crate root and the binary.
fn top(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_string())
}

/// A file that holds only unit tests.
pub(super) fn is_test_file(src: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(src).unwrap();
    rel.components().any(|c| c.as_os_str() == "tests")
        || rel.file_name().is_some_and(|n| n == "tests.rs")
}

/// The code of a file: comment lines and a trailing `#[cfg(test)] mod tests` left out.
fn code_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if !t.starts_with("//") {
            out.push(line);
        }
    }
    out
}

/// The top-level modules `line` names: `crate::X` anywhere in it, and each item of a
/// `use crate::{a, b::c}` group.
fn named(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// Each top-level module's imports of the others, from the sources under `src`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in rust_files(src) {
        let Some(from) = top(src, &f) else { continue };
        if is_test_file(src, &f) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let entry = g.entry(from.clone()).or_default();
        for line in code_lines(&text) {
            for to in named(line) {
                if to != from {
                    entry.insert(to);
                }
            }
        }
    }
    g
}

/// The circles of `g`: its strongly connected components of more than one module
/// (Tarjan's algorithm), each sorted.
pub(super) fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let next: Vec<&'a str> =
            s.g.get(v)
                .map(|n| n.iter().map(String::as_str).collect())
                .unwrap_or_default();
        for w in next {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

pub(super) fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `src/vocab/` imports nothing of the project: every stage builds its values, so it sits
/// below them all.
#[test]
fn vocab_imports_nothing_of_the_project() {
    let vocab = src().join("vocab");
    let mut found = Vec::new();
    for f in rust_files(&vocab) {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for m in named(line).into_iter().filter(|m| m != "vocab") {
                found.push(format!("{}: crate::{m} ({})", f.display(), line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "vocab/ imports the project: {found:#?}");
}

/// The re-exports of another top-level module's items there are today (none: issue 94
/// item 3 took the last two out); none may be added, and
/// `the_known_re_exports_exist` fails on one that is no longer there.
const KNOWN_REEXPORTS: [&str; 0] = [];

/// Each re-export across top-level modules `src/`'s files hold, as `KNOWN_REEXPORTS`
/// words them ("render: pub(crate) use …;").
fn reexports(src: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for f in rust_files(src) {
        let Some(from) = top(src, &f) else { continue };
        let text = std::fs::read_to_string(&f).unwrap();
        for line in code_lines(&text) {
            let t = line.trim();
            let Some(rest) = ["pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|p| t.strip_prefix(p))
            else {
                continue;
            };
            let others: Vec<String> = named(rest).into_iter().filter(|m| *m != from).collect();
            if !others.is_empty() {
                found.push((format!("{from}: {t}"), f.clone()));
            }
        }
    }
    found
}

/// No module re-exports another top-level module's items (`pub use crate::other::…`):
/// each user names a type where it lives.
#[test]
fn no_stage_re_exports_another() {
    let found: Vec<String> = reexports(&src())
        .into_iter()
        .filter(|(what, _)| !KNOWN_REEXPORTS.contains(&what.as_str()))
        .map(|(what, f)| format!("{what} ({})", f.display()))
        .collect();
    assert!(found.is_empty(), "re-exports across modules: {found:#?}");
}

/// `KNOWN_REEXPORTS` holds only re-exports there are (issue 105 item 5): one taken out of
/// the code leaves the list too, so that the list never admits it back.
#[test]
fn the_known_re_exports_exist() {
    let there: Vec<String> = reexports(&src()).into_iter().map(|(w, _)| w).collect();
    let gone: Vec<&&str> = KNOWN_REEXPORTS
        .iter()
        .filter(|k| !there.iter().any(|t| t == *k))
        .collect();
    assert!(
        gone.is_empty(),
        "KNOWN_REEXPORTS names re-exports no file holds: {gone:#?}"
    );
}

/// The top-level modules of `src/` import each other without a circle (0 today).
#[test]
fn no_import_circles_between_top_level_modules() {
    let g = graph(&src());
    assert!(
        g.contains_key("report") && g["report"].contains("vocab"),
        "{g:?}"
    );
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "import circles: {found:?}; the graph: {g:#?}"
    );
}

/// The circle finder finds a circle, and the import reader reads what makes one.
#[test]
fn a_circle_is_found() {
    let mut g = graph(&src());
    assert!(circles(&g).is_empty());
    // `vocab` importing `report`, which imports `vocab`.
    g.entry("vocab".into()).or_default().insert("report".into());
    let found = circles(&g);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(&"report".to_string()) && found[0].contains(&"vocab".to_string()));
    assert_eq!(
        named("use crate::{flow::Side, report, self};"),
        ["flow", "report"]
    );
    assert_eq!(
        named("    let x = crate::app::ms(crate::units::Secs(1.0));"),
        ["app", "units"]
    );
}

/// Where the top-level modules sit: `report/` imports no stage (below `stack/`), only the
/// vocabulary, the close-code catalog, incidents and small helpers.
#[test]
fn report_sits_below_the_stages() {
    let g = graph(&src());
    for stage in [
        "capture",
        "decode",
        "stack",
        "websocket",
        "diagnose",
        "analyzer",
        "render",
    ] {
        assert!(
            !g["report"].contains(stage),
            "report/ imports {stage}: {:?}",
            g["report"]
        );
    }
}

/// The top-level modules `render/` may import (issue 105 item 5): the finished model
/// (`report`, `vocab`) and leaf helpers that import nothing of the stages (units, text for
/// each medium, Community ID, the stored form's bytes, scratch space).
const RENDER_READS: [&str; 7] = [
    "report",
    "vocab",
    "units",
    "sanitize",
    "community_id",
    "serial",
    "scratch",
];

/// What `render/` imports beyond [`RENDER_READS`], by the graph `g`.
fn render_beyond_the_model(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    g["render"]
        .iter()
        .filter(|m| !RENDER_READS.contains(&m.as_str()))
        .cloned()
        .collect()
}

/// `render/` reads only the finished model (issue 94 items 3 and 5, issue 105 item 5): what
/// it imports is on an allow-list, so that a stage, the close-code catalog, the incident
/// stage or the capture reader behind a report is refused, and any module added later too.
/// What a renderer needs of them is in the report (`vocab/`, `report/`); `wsclose
/// explain`, which reads the catalog itself, is `src/explain.rs`, outside `render/`.
#[test]
fn render_reads_only_the_model() {
    let mut g = graph(&src());
    let extra = render_beyond_the_model(&g);
    assert!(extra.is_empty(), "render/ imports {extra:?}");
    // A stage is refused, which a list of forbidden modules let through.
    g.get_mut("render").unwrap().insert("stack".into());
    assert_eq!(render_beyond_the_model(&g), ["stack"]);
}

/// `report/` sits below the stages (issue 94 item 1): it imports the contract (`vocab`), the
/// close-code catalog (`close`), the incident stage's types (`incident`) and leaf helpers
/// that import nothing of the stages (units, Community ID, the stored form's bytes, scratch
/// space, text cutting); never the application layer, the stack, the decoders, the
/// analyzer or the renderers. What it needs of them arrives as values (an application's
/// typed verdict, `vocab::AppSaid`; the long-polling connections, `vocab::Polls`) or as a
/// function `diagnose` gives the report (which subprotocols are decoded, for `--redact`).
#[test]
fn report_reads_only_the_model_below_it() {
    let g = graph(&src());
    let allowed = [
        "vocab",
        "close",
        "incident",
        "units",
        "community_id",
        "serial",
        "scratch",
        "sanitize",
    ];
    let extra: Vec<&String> = g["report"]
        .iter()
        .filter(|m| !allowed.contains(&m.as_str()))
        .collect();
    assert!(extra.is_empty(), "report/ imports {extra:?}");
    // The leaf helpers stay leaves: none of them imports a stage.
    for leaf in ["units", "community_id", "serial", "scratch", "sanitize"] {
        let stages: Vec<&String> = g
            .get(leaf)
            .into_iter()
            .flatten()
            .filter(|m| !["vocab", "units"].contains(&m.as_str()))
            .collect();
        assert!(stages.is_empty(), "{leaf} imports {stages:?}");
    }
}

/// One module style across `src/` (issue 94 item 5): a module with submodules is a folder
/// with its `mod.rs` (33 of 56 were when the style was chosen), never `foo.rs` beside a
/// `foo/` folder; the binary's folders (`src/bin/`, `src/bin/wsclose/`: `main.rs`) aside.
#[test]
fn one_module_style_a_folder_with_its_mod_rs() {
    let src = src();
    let mut dirs = vec![src.clone()];
    let mut found = Vec::new();
    let mut folders = 0;
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if !p.is_dir() {
                continue;
            }
            dirs.push(p.clone());
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "bin" || rel == "bin/wsclose" {
                continue;
            }
            folders += 1;
            if p.with_extension("rs").exists() {
                found.push(format!("{rel}.rs beside {rel}/ (move it to {rel}/mod.rs)"));
            }
            if !p.join("mod.rs").exists() {
                found.push(format!("{rel}/ has no mod.rs"));
            }
        }
    }
    assert!(folders > 30, "{folders} module folders under src/");
    assert!(found.is_empty(), "module style: {found:#?}");
}
