//! The habits of a packaged command-line tool: shell completions and man pages made from
//! the clap definitions (`wsclose completions SHELL`, `wsclose man [COMMAND]`), checked
//! against those definitions (every visible command and flag is in them) and by the shells
//! and groff where installed; comma lists for `--status`; the license files Cargo.toml
//! names.

mod decisions;
mod files;
mod layout;
mod words;

use crate::common::run;
use crate::common::skip;
// The binary's command line, the definitions the completions and man pages are made from.
#[allow(dead_code, unused_imports)]
#[path = "../../src/bin/wsclose/cli.rs"]
mod cli;

use assert_cmd::Command;
use clap::CommandFactory;
use std::process::Stdio;

/// (stdout, stderr, exit code).
fn run(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn stdout(args: &[&str]) -> String {
    let (out, err, code) = run(args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

/// The visible commands with their visible long flags.
fn commands() -> Vec<(String, Vec<String>)> {
    let mut cmd = cli::Cli::command();
    cmd.build();
    cmd.get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| {
            let flags = c
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect();
            (c.get_name().to_string(), flags)
        })
        .collect()
}

fn have(tool: &str) -> bool {
    let ok = std::process::Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip::skipped(format_args!(
            "{tool} is not installed: that part of the test is skipped"
        ));
    }
    ok
}

#[test]
fn completions_name_every_command_and_flag() {
    let all = commands();
    assert!(all.iter().any(|(c, _)| c == "analyze"));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        for (command, flags) in &all {
            assert!(script.contains(command.as_str()), "{shell}: {command}");
            for flag in flags {
                // fish names long flags without their dashes (`-l fail-on`).
                assert!(
                    script.contains(flag.as_str())
                        || script.contains(&format!("-l {}", &flag[2..])),
                    "{shell}: {command} {flag}"
                );
            }
        }
    }
    let (_, err, code) = run(&["completions", "tcsh"]);
    assert_eq!(code, Some(2), "{err}");
}

/// Bash reads the script, and its completion function offers `analyze` for `wsclose an`
/// and `--fail-on` for `wsclose analyze --fail`.
#[test]
fn bash_completes() {
    if !have("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("wsclose.bash");
    std::fs::write(&script, stdout(&["completions", "bash"])).unwrap();
    let complete = |words: &str| -> String {
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
             _wsclose wsclose \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        String::from_utf8_lossy(&run::stdout_of(out)).into_owned()
    };
    assert_eq!(complete("wsclose ana").trim(), "analyze");
    assert_eq!(complete("wsclose an").trim(), "analyze\nannotate");
    assert!(complete("wsclose analyze --fail")
        .lines()
        .any(|l| l == "--fail-on"));
}

/// `wsclose man` and `wsclose man COMMAND` are roff pages naming every command and each
/// command's flags; groff renders them without a warning.
#[test]
fn man_pages_cover_every_command_and_flag() {
    let top = stdout(&["man"]);
    assert!(top.contains(".TH wsclose 1"), "{top}");
    for (command, flags) in commands() {
        assert!(
            // roff escapes each dash (wsclose\-wireshark\-plugin).
            top.contains(&format!("wsclose\\-{}(1)", command.replace('-', "\\-"))),
            "{command}"
        );
        let page = stdout(&["man", &command]);
        assert!(
            page.contains(&format!(".TH wsclose-{command} 1")),
            "{command}: {page}"
        );
        for flag in flags {
            // roff escapes each dash.
            assert!(
                page.contains(&flag.replace('-', "\\-")),
                "{command}: {flag}"
            );
        }
        if have("groff") {
            let mut child = std::process::Command::new("groff")
                .args(["-man", "-Tutf8", "-ww", "-z"])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(page.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            let warnings = String::from_utf8_lossy(&out.stderr);
            assert!(warnings.trim().is_empty(), "{command}: {warnings}");
        }
    }
    // The exit codes are in the page, under EXIT STATUS as a list, and the examples after.
    let analyze = stdout(&["man", "analyze"]);
    assert!(analyze.contains("\\-\\-fail\\-on: a connection ended"));
    for page in [&top, &analyze] {
        let status = page
            .find(".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\n")
            .expect(page);
        let examples = page
            .find(".SH EXAMPLES\n.TP\n\\fBwsclose bug.pcap\\fR")
            .expect(page);
        assert!(status < examples && !page.contains(".SH EXTRA"), "{page}");
    }
    let (_, err, code) = run(&["man", "nosuch"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("analyze, explain"), "{err}");
}

/// `--status` takes comma lists as `--fail-on` does: `1005,1006` selects what the range
/// `1005-1006` and the two flags select.
#[test]
fn status_takes_comma_lists() {
    let ids = |extra: &[&str]| -> Vec<u64> {
        let mut args = vec!["analyze", "--format", "json"];
        args.extend_from_slice(extra);
        args.push("fixtures/node-many.pcap.gz");
        let v: serde_json::Value = serde_json::from_str(&stdout(&args)).unwrap();
        v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect()
    };
    let range = ids(&["--status", "1005-1006"]);
    assert!(!range.is_empty());
    assert!(range.len() < 5, "the range selects some, not all");
    assert_eq!(ids(&["--status", "1005,1006"]), range);
    assert_eq!(ids(&["--status", "1005", "--status", "1006"]), range);
    let (_, err, code) = run(&[
        "analyze",
        "--status",
        "1006,bogus",
        "fixtures/node-many.pcap.gz",
    ]);
    assert_eq!(code, Some(2), "{err}");
}

/// Cargo.toml's license is the two files beside it; its repository is named.
#[test]
fn license_files_and_metadata() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    assert!(manifest.contains("repository = \"https://github.com/wsclose/wsclose\""));
    let mit = std::fs::read_to_string(root.join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = std::fs::read_to_string(root.join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
}

/// The finding kinds docs/json.md lists are all of them, and only them, in the right group:
/// the kinds are read from `Kind::as_str`, an exhaustive match (a kind added to the enum
/// must be named there), each checked to be a kind by serde (the JSON names).
#[test]
fn the_json_doc_lists_every_finding_kind() {
    use wsclose::vocab::Kind;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/vocab/finding.rs")).unwrap();
    let body =
        &source[source.find("pub fn as_str").unwrap()..source.find("pub fn is_violation").unwrap()];
    let kinds: Vec<Kind> = body
        .split("=> \"")
        .skip(1)
        .map(|rest| {
            let name = &rest[..rest.find('"').unwrap()];
            let kind: Kind = serde_json::from_value(serde_json::json!(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(kind.as_str(), name);
            kind
        })
        .collect();
    assert!(kinds.len() >= 29, "{}", kinds.len());
    let doc = std::fs::read_to_string(root.join("docs/json.md")).unwrap();
    let para = &doc[doc.find("Finding kinds (`findings[].kind`").unwrap()..];
    let para = &para[..para.find("\n\n").unwrap_or(para.len())];
    let (violations, notes) = para.split_once("Notes about the capture").unwrap();
    let listed = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| !n.contains('.') && !n.contains('['))
            .map(str::to_string)
            .collect()
    };
    let names = |violation: bool| -> Vec<String> {
        kinds
            .iter()
            .filter(|k| k.is_violation() == violation)
            .map(|k| k.as_str().to_string())
            .collect()
    };
    let mut want_v = names(true);
    let mut got_v = listed(violations);
    want_v.sort();
    got_v.sort();
    assert_eq!(got_v, want_v, "docs/json.md's violations");
    let mut want_n = names(false);
    let mut got_n = listed(notes);
    want_n.sort();
    got_n.sort();
    assert_eq!(got_n, want_n, "docs/json.md's notes");
}

/// Every test marked long (ignored with the reason "long: run by .ci/run", left out of a
/// plain `cargo test`) is run by a `.ci/run` command with `--ignored`: in the `it` binary,
/// a filter of that command names its module or a module above it (`mutation::`); in a
/// binary of its own (tests/NAME.rs), the command names `--test NAME`. A long test is never
/// left out everywhere; CONTRIBUTING.md gives the same commands.
#[test]
fn every_long_test_is_run_by_ci() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    // The commands with `--ignored`, one line each (continuations joined), and their words.
    let commands = |text: &str| -> Vec<String> {
        text.replace("\\\n", " ")
            .split("cargo test ")
            .skip(1)
            .map(|c| c.lines().next().unwrap_or(""))
            .map(|c| c.trim_end_matches(['`', '.', ' ']).to_string())
            .filter(|c| c.split_whitespace().any(|w| w == "--ignored"))
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let ignored = commands(&ci);
    assert!(
        ignored.len() >= 2,
        ".ci/run runs the long tests with --ignored"
    );
    let runs = |binary: &str, module: Option<&str>| {
        ignored.iter().any(|c| {
            let (cargo, libtest) = c.split_once(" -- ").unwrap_or((c, ""));
            cargo.contains(&format!("--test {binary}"))
                && module.is_none_or(|m| {
                    libtest
                        .split_whitespace()
                        .any(|f| f.ends_with("::") && format!("{m}::").starts_with(f))
                })
        })
    };
    let mut files = Vec::new();
    let mut dirs = vec![root.join("tests")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut long = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // In two pieces, so that this file does not name itself.
        if !text.contains(concat!("#[ignore = \"long", ": run by .ci/run\"]")) {
            continue;
        }
        long += 1;
        let rel = f.strip_prefix(root.join("tests")).unwrap();
        let parts: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts[0] == "it" {
            // The module path: tests/it/a/b.rs and tests/it/a/b/mod.rs are `a::b`.
            let module = parts[1..]
                .iter()
                .filter(|p| *p != "mod")
                .cloned()
                .collect::<Vec<_>>()
                .join("::");
            assert!(
                runs("it", Some(&module)),
                "{} has long tests that .ci/run does not run: {ignored:?}",
                rel.display()
            );
        } else {
            assert!(
                runs(&parts[0], None),
                "{} has long tests that .ci/run does not run: {ignored:?}",
                rel.display()
            );
        }
    }
    assert!(long >= 6, "{long}");
    // CONTRIBUTING.md gives the same commands.
    let contributing = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    let documented = commands(&contributing);
    for c in &ignored {
        assert!(
            documented.contains(c),
            "CONTRIBUTING.md does not give .ci/run's command for the long tests: {c}"
        );
    }
}

/// No source file of the crate, its tests, its examples (the generator compiled into the
/// tests) or its fuzz targets is over 1000 lines: a longer one is split along what it does.
#[test]
fn no_source_file_is_over_1000_lines() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        root.join("src"),
        root.join("tests"),
        root.join("examples"),
        root.join("fuzz"),
    ];
    let mut long = Vec::new();
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            // fuzz/'s build output, corpus and crashes are no source.
            let made = ["target", "corpus", "artifacts"].map(|d| root.join("fuzz").join(d));
            if p.is_dir() && !made.contains(&p) {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let lines = std::fs::read_to_string(&p).unwrap().lines().count();
                if lines > 1000 {
                    long.push(format!("{} ({lines} lines)", p.display()));
                }
            }
        }
    }
    assert!(long.is_empty(), "over 1000 lines: {long:?}");
}

/// Issue 86 item 6: the limits' defaults are defined once, in the library
/// (`Options::DEFAULT_*`, `Limits::DEFAULT_MAX_PENDING_BYTES`): `Options::default()` holds
/// them, `wsclose analyze --help` gives them, and docs/limits.md's table states them.
#[test]
fn the_limits_defaults_are_the_librarys() {
    use wsclose::{Limits, Options};
    let o = Options::default();
    assert_eq!(
        (
            o.idle_timeout_s,
            o.max_flows,
            o.limits.max_pending_bytes,
            o.max_memory
        ),
        (
            Options::DEFAULT_IDLE_TIMEOUT_S,
            Options::DEFAULT_MAX_FLOWS,
            Limits::DEFAULT_MAX_PENDING_BYTES,
            Options::DEFAULT_MAX_MEMORY
        )
    );
    let help = stdout(&["analyze", "--help"]);
    let limits =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/limits.md")).unwrap();
    for (flag, value, doc) in [
        (
            "--idle-timeout",
            Options::DEFAULT_IDLE_TIMEOUT_S.to_string(),
            "`--idle-timeout SECONDS`",
        ),
        (
            "--max-flows",
            Options::DEFAULT_MAX_FLOWS.to_string(),
            "`--max-flows N`",
        ),
        (
            "--max-buffer",
            Limits::DEFAULT_MAX_PENDING_BYTES.to_string(),
            "`--max-buffer BYTES`",
        ),
        (
            "--max-memory",
            format!("{}G", Options::DEFAULT_MAX_MEMORY >> 30),
            "`--max-memory SIZE`",
        ),
    ] {
        let at = help.find(&format!("{flag} <")).expect(flag);
        let next = help[at + 2..]
            .find("\n      --")
            .map_or(help.len(), |n| at + 2 + n);
        assert!(
            help[at..next].contains(&format!("[default: {value}]")),
            "{flag}: {}",
            &help[at..next]
        );
        let row = limits
            .lines()
            .find(|l| l.starts_with(&format!("| {doc}")))
            .expect(doc);
        assert!(row.starts_with(&format!("| {doc} | {value} |")), "{row}");
    }
}
