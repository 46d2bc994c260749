//! Each decision once (issue 105 item 2): the status a live event gives (1005, 1006), the
//! reply to the first close frame, whether a code is inferred and the status itself are
//! decided in the model (`vocab::CloseEvent::status`, `ConnectionReport::close_reply`,
//! `report::status::inferred`, `report::Status::of` where the report is made); no renderer
//! decides them again.

use super::layout::{is_test_file, rust_files, src};

/// The lines of `text` that are code: no comment line, nothing from a file's `mod tests` on.
fn code(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|(_, n)| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if !t.starts_with("//") {
            out.push((i + 1, line));
        }
    }
    out
}

/// The lines of `render/` (outside its tests) where a renderer decides what the model
/// decides: `(file, line number, line)`.
fn decisions_in_render(files: &[(String, String)]) -> Vec<String> {
    // The colour of a status (its tone) picks by code; that is the colour, not the status.
    let tone = |file: &str, line: &str| {
        (file.ends_with("document/mod.rs") && line.contains("Some(1005) | None"))
            || (file.ends_with("document/mod.rs") && line.contains("key == \"1005\""))
            || (file.ends_with("html/mod.rs") && line.contains("\"1005\" | \"open\""))
    };
    let mut found = Vec::new();
    for (file, text) in files {
        for (n, line) in code(text) {
            // A status code inferred by a renderer (an event's 1005 or 1006, an
            // "(inferred)" of its own), or the reply found again by comparing senders.
            let status = (line.contains("1005") || line.contains("1006")) && !tone(file, line);
            let reply = line.contains(".from != ");
            // The status said again from its causes, or its head picked again.
            let said = line.contains("Status::of(") || line.contains("head_of(");
            if status || reply || said {
                found.push(format!("{file}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn renderers_decide_no_status_and_no_reply() {
    let root = src().join("render");
    let files: Vec<(String, String)> = rust_files(&root)
        .into_iter()
        .filter(|p| !is_test_file(&src(), p))
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap().display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let found = decisions_in_render(&files);
    assert!(found.is_empty(), "decided again in render/: {found:#?}");
    // The check can fail: a live line that infers its 1006, a row that finds the reply, and
    // a format that says the status again from its causes.
    let planted = vec![
        (
            "events.rs".to_string(),
            "fn f() { let _ = write!(s, \": 1006 {}\", code_name(1006)); }".to_string(),
        ),
        (
            "table/mod.rs".to_string(),
            "let reply = c.close_frames.iter().position(|f| f.from != a.from);".to_string(),
        ),
        (
            "csv.rs".to_string(),
            "let st = crate::report::Status::of(c.status.causes.clone());".to_string(),
        ),
    ];
    assert_eq!(decisions_in_render(&planted).len(), 3);
}

/// The lines of `files` (path under `src/`, text) that say a status again from its causes
/// (`Status::of(`) outside `report/status.rs`, comments aside: `file:line: text`.
fn statuses_said_outside_the_model(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in files {
        if file == "report/status.rs" {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if !t.starts_with("//") && t.contains("Status::of(") {
                found.push(format!("{file}:{}: {}", n + 1, t));
            }
        }
    }
    found
}

/// The status is decided in one place (issue 105 item 2): `report::status` says it from
/// the causes (`Status::of`, private to it) when it is made (`Status::new`) and whenever
/// a later stage changes its causes (`Status::add`, `Status::edit`); every other stage,
/// and the redaction, reads the stored one and never says it again itself, tests included.
#[test]
fn the_status_is_said_from_its_causes_in_one_place() {
    let root = src();
    let files: Vec<(String, String)> = rust_files(&root)
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let found = statuses_said_outside_the_model(&files);
    assert!(
        found.is_empty(),
        "the status said again outside report/status.rs: {found:#?}"
    );
    // The check can fail: a stage that pushes a cause and says the status again.
    let planted = vec![
        (
            "diagnose/app.rs".to_string(),
            "    r.status = Status::of(causes);".to_string(),
        ),
        (
            "report/status.rs".to_string(),
            "        *self = Status::of(causes);".to_string(),
        ),
    ];
    assert_eq!(statuses_said_outside_the_model(&planted).len(), 1);
}
