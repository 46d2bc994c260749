//! The forms other tools taught: `wsclose FILE`, `-r FILE` (tshark), `--json` (ripgrep),
//! `-q`, `-v`, `-V` anywhere; help wrapped with headings; each short form gives what its
//! long form gives, exit code and output.

use super::{fixture, wsclose};

/// (exit code, stdout, stderr) of `wsclose ARGS`, with the table's width and colour fixed.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = wsclose()
        .env("COLUMNS", "120")
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON report without its `command` (the command line as typed, which differs).
fn json_without_command(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).expect(text);
    v.as_object_mut()
        .unwrap()
        .remove("command")
        .expect("a command");
    v
}

#[test]
fn a_capture_alone_is_analyze() {
    let many = fixture("node-many.pcap.gz");
    let long = run(&["analyze", &many, "--color", "never"]);
    assert_eq!(long.0, Some(0), "{}", long.2);
    assert_eq!(run(&[&many, "--color", "never"]), long);
    // Flags before it, and global flags before those.
    assert_eq!(run(&["--color", "never", &many]), long);
    assert_eq!(run(&["-q", "--color", "never", &many]).1, long.1);
    // Problems and exit codes as analyze has them: a missing file is exit 3.
    let (code, out, err) = run(&["no/such/file.pcap"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(out.is_empty() && err.contains("no such file"), "{err}");
}

#[test]
fn standard_input_alone_is_analyze() {
    let bytes = std::fs::read(fixture("node-close-1008.pcap")).unwrap();
    let long = wsclose()
        .args(["analyze", "-", "--color", "never"])
        .write_stdin(bytes.clone())
        .output()
        .unwrap();
    let short = wsclose()
        .args(["-", "--color", "never"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(long.status.code(), Some(0));
    assert_eq!(short.status.code(), long.status.code());
    assert_eq!(short.stdout, long.stdout);
}

/// A command's name is the command even when a file of that name is there; `./NAME` or
/// `analyze NAME` reads the file. A word that is neither is a mistyped command.
#[test]
fn a_command_name_wins_over_a_file_of_that_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("node-close-1008.pcap"), dir.path().join("codes")).unwrap();
    let in_dir = |args: &[&str]| {
        let out = wsclose()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, catalog) = in_dir(&["codes"]);
    assert_eq!(code, Some(0));
    assert!(catalog.contains("1008"), "{catalog}");
    let (code, report) = in_dir(&["./codes", "--color", "never"]);
    assert_eq!(code, Some(0));
    assert!(report.contains("1 WebSocket connection"), "{report}");
    assert_eq!(
        in_dir(&["analyze", "./codes", "--color", "never"]),
        (code, report)
    );
    let (code, _, err) = run(&["anlyze"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unrecognized subcommand 'anlyze'") && err.contains("'analyze'"),
        "{err}"
    );
}

#[test]
fn r_reads_a_capture_as_tshark_does() {
    let file = fixture("node-close-1008.pcap");
    let long = run(&["analyze", &file, "--color", "never"]);
    assert_eq!(long.0, Some(0));
    for args in [
        &["-r", &file, "--color", "never"][..],
        &["analyze", "-r", &file, "--color", "never"],
        &["--read-file", &file, "--color", "never"],
    ] {
        let short = run(args);
        assert_eq!(short, long, "{args:?}");
        assert!(!short.2.contains("'-- -r'"), "{}", short.2);
    }
    // With other captures: -r's come first.
    let other = fixture("python-close-1001.pcap");
    let both = run(&["analyze", &file, &other, "--color", "never"]);
    assert_eq!(run(&["-r", &file, &other, "--color", "never"]), both);
    // -r with nothing after it is a usage error that names the value it needs.
    let (code, _, err) = run(&["-r"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("'--read-file <CAPTURE>'"), "{err}");
}

#[test]
fn json_is_format_json() {
    let file = fixture("node-many.pcap.gz");
    let (code, long, _) = run(&["analyze", &file, "--format", "json"]);
    assert_eq!(code, Some(0));
    for args in [&[&file, "--json"][..], &["analyze", "--json", &file]] {
        let (c, short, _) = run(args);
        assert_eq!(c, code);
        assert_eq!(json_without_command(&short), json_without_command(&long));
    }
    let (code, _, err) = run(&[&file, "--json", "--format", "csv"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    // explain and codes too.
    assert_eq!(
        run(&["explain", "1006", "--json"]),
        run(&["explain", "1006", "--format", "json"])
    );
    assert_eq!(
        run(&["codes", "--json"]),
        run(&["codes", "--format", "json"])
    );
}

/// `-q` leaves out notes and warnings, not errors; the report and exit code are the same.
#[test]
fn quiet_silences_notes_not_errors() {
    let data = std::fs::read(fixture("node-close-1008.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &data[..data.len() - 150]).unwrap();
    let cut = cut.to_str().unwrap();
    let loud = run(&["analyze", cut, "--color", "never"]);
    assert!(loud.2.contains("warning"), "{}", loud.2);
    for q in ["-q", "--quiet"] {
        for args in [&[q, "analyze", cut][..], &["analyze", cut, q], &[q, cut]] {
            let mut args = args.to_vec();
            args.extend(["--color", "never"]);
            let (code, out, err) = run(&args);
            assert_eq!((code, out.as_str()), (loud.0, loud.1.as_str()), "{args:?}");
            assert_eq!(err, "", "{args:?}");
        }
    }
    let (code, _, err) = run(&["-q", "no/such/file.pcap"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("no such file"), "{err}");
    // Why the exit code is 1 is still said.
    let (code, _, err) = run(&["-q", &fixture("node-many.pcap.gz"), "--status", "1011"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "wsclose: 0 of 5 WebSocket connections shown (filter: --status 1011)\n"
    );
    let (code, _, err) = run(&["-q", "-v", cut]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot be used with"), "{err}");
}

/// `-v` says what each key log gave and how long each phase took; the report has the same
/// rows, with the close frames in a column of their own, and below the table each
/// status's whole text instead of a sentence or two.
#[test]
fn verbose_says_what_each_key_log_gave() {
    let cap = fixture("tls/chromium-nginx-tls13-close-1000.pcap");
    let keylog = fixture("tls/chromium-nginx-tls13-close-1000.keylog");
    let plain = run(&["analyze", &cap, "--keylog", &keylog, "--color", "never"]);
    assert_eq!(plain.0, Some(0), "{}", plain.2);
    assert!(!plain.2.contains("secrets of"), "{}", plain.2);
    let (code, out, err) = run(&["-v", &cap, "--keylog", &keylog, "--color", "never"]);
    assert_eq!(code, plain.0);
    let table = |t: &str| t.split('└').next().unwrap_or_default().to_string();
    let rows = |t: &str| {
        table(t)
            .lines()
            .filter(|l| l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
            .count()
    };
    assert_eq!(rows(&out), rows(&plain.1));
    assert!(table(&out).contains("Close frames / TCP"), "{out}");
    assert!(
        !table(&plain.1).contains("Close frames / TCP"),
        "{}",
        plain.1
    );
    assert!(out.contains("  Cause: "), "{out}");
    assert!(!plain.1.contains("  Cause: "), "{}", plain.1);
    assert!(
        err.contains(&format!(
            "wsclose: key log {keylog}: the secrets of 3 TLS connections\n"
        )),
        "{err}"
    );
    assert!(err.contains("wsclose: timing: analysis: "), "{err}");
}

#[test]
fn version_anywhere() {
    let want = format!("wsclose {}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["-V"][..],
        &["--version"],
        &["analyze", "-V"],
        &["explain", "--version"],
        &["extract", "-V"],
        &["live", "--version"],
    ] {
        let (code, out, _) = run(args);
        assert_eq!((code, out.as_str()), (Some(0), want.as_str()), "{args:?}");
    }
}

/// Help fits the terminal (COLUMNS when it is not one) and groups analyze's flags.
#[test]
fn help_is_wrapped_and_grouped() {
    for args in [&["--help"][..], &["analyze", "--help"], &["live", "--help"]] {
        let out = wsclose().env("COLUMNS", "80").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 80).collect();
        assert!(long.is_empty(), "{args:?}: {long:#?}");
    }
    let (_, help, _) = run(&["analyze", "--help"]);
    let headings: Vec<&str> = help
        .lines()
        .filter(|l| l.ends_with(':') && !l.starts_with(' '))
        .collect();
    assert_eq!(
        headings,
        [
            "Arguments:",
            "Options:",
            "Input:",
            "Selection:",
            "Output:",
            "Annotated capture:",
            "Limits:",
            "TLS:",
            "Exit codes:"
        ],
        "{help}"
    );
    let (_, top, _) = run(&["--help"]);
    for listed in ["  completions ", "  man ", "wsclose [OPTIONS] <CAPTURE>..."] {
        assert!(top.contains(listed), "{listed}: {top}");
    }
}

/// `live --help` says what its JSON Lines are (docs/json.md): a record per close event
/// (each close frame, TCP or HTTP/2 ending) as it is read, then the report's records, not
/// "one line per connection" (issue 104, item 12).
#[test]
fn live_help_says_jsonl_streams_a_line_per_close_event() {
    let out = wsclose()
        .env("COLUMNS", "200")
        .args(["live", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    // The value's paragraph: from "- jsonl:" to the next value, its lines joined.
    let at = help
        .find("- jsonl:")
        .unwrap_or_else(|| panic!("no jsonl value: {help}"));
    let rest = &help[at + 2..];
    let end = rest.find("- ").unwrap_or(rest.len());
    let jsonl = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!jsonl.contains("one line per connection"), "{jsonl}");
    assert!(jsonl.contains("close event"), "{jsonl}");
}

/// `explain abc` says what a close code is, in words.
#[test]
fn explain_says_what_a_code_is() {
    let (code, out, err) = run(&["explain", "abc"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(
        err.contains("close codes are numbers, and this is not one")
            && err.contains("the number a WebSocket close frame carries")
            && err.contains("`wsclose codes` lists them"),
        "{err}"
    );
    let (code, _, err) = run(&["explain", "70000"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("close codes are 0 to 65535"), "{err}");
}

/// At 80 columns each flag's help is a few lines (the detail is in docs/), and the exit
/// codes keep their layout: a code at the start of a line, its text continued under it.
#[test]
fn help_paragraphs_are_short_and_exit_codes_aligned() {
    for cmd in ["analyze", "live"] {
        let out = wsclose()
            .env("COLUMNS", "80")
            .args([cmd, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.starts_with("  -") || line.starts_with("      --")) {
                continue;
            }
            let paragraph = lines[i + 1..]
                .iter()
                .take_while(|l| {
                    let text = l.trim_start();
                    l.starts_with("          ")
                        && !text.is_empty()
                        && !text.starts_with("Possible values")
                })
                .count();
            assert!(
                paragraph <= 4,
                "{cmd} --help: {line} has {paragraph} lines of help"
            );
        }
        let codes = text.split("Exit codes:\n").nth(1).expect("exit codes");
        for line in codes.lines().filter(|l| !l.is_empty()) {
            let numbered = line.len() > 4
                && line.starts_with("  ")
                && line.as_bytes()[2].is_ascii_digit()
                && line[3..].starts_with("  ");
            assert!(
                numbered || line.starts_with("     "),
                "{cmd} --help, exit codes: {line:?}"
            );
        }
    }
}

/// A negative number is a bad value for its flag (exit 2, one line saying why), not an
/// unknown argument with clap's tip to write `-- -1` (which would make it a capture name).
#[test]
fn negative_numbers_are_bad_values() {
    let f = fixture("node-many.pcap.gz");
    let f = f.as_str();
    for args in [
        &["analyze", "--threads", "-1", f][..],
        &["analyze", "--max-memory", "-1", f],
        &["analyze", "--idle-timeout", "-5", f],
        &["analyze", "--max-flows", "-3", f],
        &["analyze", "--port", "-1", f],
        &["analyze", "--connection", "-2", f],
        &["extract", "--connection", "-2", "-w", "/dev/null", f],
        &["explain", "-1"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(
            err.starts_with("error: invalid value '-") && !err.contains("tip:"),
            "{args:?}: {err}"
        );
    }
    let (_, _, err) = run(&["explain", "-1"]);
    assert!(err.contains("close codes are 0 to 65535"), "{err}");
}

/// `--max-memory` takes what its error says it takes: K, M, G and T suffixes.
#[test]
fn max_memory_units_are_the_ones_said() {
    let f = fixture("node-many.pcap.gz");
    let (code, _, err) = run(&["analyze", "--max-memory", "abc", &f]);
    assert_eq!(code, Some(2));
    let said = err
        .split("a number with ")
        .nth(1)
        .and_then(|s| s.split(" (").next())
        .expect(&err)
        .to_string();
    for unit in ["K", "M", "G", "T"] {
        assert!(said.contains(unit), "{unit} not in {said:?}");
        let size = match unit {
            "K" => "65536K",
            "M" => "64M",
            _ => &format!("1{unit}"),
        };
        let (code, _, err) = run(&["analyze", "-q", "--max-memory", size, &f]);
        assert_eq!(code, Some(0), "{size}: {err}");
    }
}

/// A command's own flags come first in its help, the global -q and -v after them (not
/// interleaved: `-i, -q, -f, -v` in `live --help`).
#[test]
fn global_flags_follow_a_commands_own() {
    for (cmd, own) in [("live", "--interface"), ("extract", "--connection")] {
        let (_, help, _) = run(&[cmd, "--help"]);
        let flags: Vec<&str> = help
            .lines()
            .filter(|l| l.starts_with("  -") || l.starts_with("      --"))
            .collect();
        let at = |flag: &str| flags.iter().position(|l| l.contains(flag)).expect(flag);
        assert!(at(own) < at("--quiet"), "{cmd}: {flags:#?}");
        assert_eq!(at("--verbose"), at("--quiet") + 1, "{cmd}: {flags:#?}");
        let own_before: Vec<&&str> = flags[..at("--quiet")].iter().collect();
        assert!(
            !own_before.iter().any(|l| l.contains("--help")),
            "{cmd}: {flags:#?}"
        );
        assert!(
            flags[at("--quiet")..at("--help")]
                .iter()
                .all(|l| l.contains("--quiet") || l.contains("--verbose")),
            "{cmd}: {flags:#?}"
        );
    }
}

/// A flag with a list of values says each value once, in clap's list (`--color`'s `auto`
/// and NO_COLOR were said in its sentence and again in the list).
#[test]
fn color_values_are_said_once() {
    for cmd in ["analyze", "live"] {
        let (_, help, _) = run(&[cmd, "--help"]);
        assert_eq!(help.matches("NO_COLOR").count(), 1, "{cmd}: {help}");
    }
}

/// tshark's display filter and output-format flags are answered with what wsclose takes
/// instead (exit 2, as any usage error), not with clap's "use -- -Y".
#[test]
fn tshark_filters_are_answered_with_wsclose_selection() {
    let capture = fixture("node-close-1008.pcap");
    for flag in ["-Y", "-R"] {
        let (code, out, err) = run(&["-r", &capture, flag, "websocket"]);
        assert_eq!(code, Some(2), "{flag}: {err}");
        assert!(out.is_empty(), "{flag}: {out}");
        assert!(
            err.contains("--status, --host, --port, --connection"),
            "{flag}: {err}"
        );
        assert!(!err.contains("use '--"), "{flag}: {err}");
    }
    let (code, _, err) = run(&["-r", &capture, "-T", "fields"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--format"), "{err}");
    // Any other unknown flag keeps clap's own message.
    let (code, _, err) = run(&["-r", &capture, "--bogus"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
}

/// Piped, `--color auto` colours when CLICOLOR_FORCE says so, and NO_COLOR still wins.
#[test]
fn clicolor_force_colours_a_pipe() {
    let capture = fixture("node-close-1008.pcap");
    let piped = |vars: &[(&str, &str)]| {
        let mut cmd = wsclose();
        cmd.env("COLUMNS", "120")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.args(["-q", &capture]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    assert!(!piped(&[]));
    assert!(piped(&[("CLICOLOR_FORCE", "1")]));
    assert!(!piped(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!piped(&[("CLICOLOR_FORCE", "0")]));
}
