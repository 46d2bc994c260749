//! Wireshark's view of an annotated capture: `wsclose wireshark-plugin` prints the Lua
//! plugin, `annotate -w -` writes the pcapng to standard output (a pipe), and, where tshark
//! is installed (`.ci/run` installs it; skipped, saying so, where not), tshark running the
//! plugin lists a failed connection's deciding packet under Errors or Warnings and nothing
//! of a clean close there.

use crate::common::pcapng;
use crate::common::run;
use crate::common::skip;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

use run::wsclose;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The plugin printed is the library's, says where it is installed, and declares the
/// fields and severities it documents.
#[test]
fn the_plugin_is_printed_with_its_install_paths() {
    let (out, err, code) = wsclose(&["wireshark-plugin"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
    let lua = String::from_utf8(out).unwrap();
    assert_eq!(lua, wsclose::annotate::PLUGIN);
    assert!(lua.contains("~/.local/lib/wireshark/plugins/"), "{lua}");
    assert!(lua.contains("%APPDATA%\\Wireshark\\plugins"), "{lua}");
    for field in ["id", "status", "code", "level", "text"] {
        assert!(
            lua.contains(&format!("\"wsclose.{field}\"")),
            "wsclose.{field}"
        );
    }
    assert!(lua.contains("register_postdissector"));
    let (help, _, code) = wsclose(&["wireshark-plugin", "--help"]);
    assert_eq!(code, Some(0));
    let help = String::from_utf8(help).unwrap();
    assert!(
        help.contains("~/.local/lib/wireshark/plugins/") && help.contains("%APPDATA%"),
        "{help}"
    );
}

/// `annotate -w -` into a pipe: the pcapng on standard output, the same packets and
/// comments as `-w FILE`, and on standard error only the note that says where it went.
#[test]
fn annotate_writes_the_pcapng_to_standard_output() {
    let input = fixture("python-no-close-rst.pcap");
    let (piped, err, code) = wsclose(&["annotate", &input, "-w", "-"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("to standard output"), "{err}");
    assert_eq!(piped.get(..4), Some(&0x0A0D_0D0Au32.to_le_bytes()[..]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.pcapng");
    let (_, err, code) = wsclose(&["annotate", &input, "-w", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let (_, from_pipe) = pcapng::packet_comments(&piped);
    let (_, from_file) = pcapng::packet_comments(&std::fs::read(&file).unwrap());
    assert_eq!(from_pipe, from_file);
    assert!(from_pipe.iter().flatten().count() >= 4, "{from_pipe:?}");
}

/// The packet a connection's status rests on, as the JSON report gives it: its first close
/// frame, else its first HTTP/2 stream or TCP ending.
fn deciding_packet(c: &Value) -> u64 {
    let first = |k: &str| {
        c[k].as_array()
            .and_then(|a| a.first())
            .map(|f| &f["packet"])
    };
    first("close_frames")
        .or_else(|| first("stream_ends"))
        .or_else(|| first("tcp_ends"))
        .and_then(Value::as_u64)
        .unwrap()
}

/// What tshark says of an annotated capture read with the plugin: its packet details, by
/// frame number, and the Errors and Warns sections of `-z expert`.
struct Tshark {
    frames: Vec<(u64, String)>,
    /// The whole of `-V`'s output.
    details: String,
    serious: String,
}

fn tshark(plugin: &std::path::Path, capture: &[u8]) -> Tshark {
    let run = |extra: &[&str]| {
        let mut child = Command::new("tshark")
            .arg("-X")
            .arg(format!("lua_script:{}", plugin.display()))
            .args(["-r", "-"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(capture).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("Lua"), "the plugin failed: {err}");
        String::from_utf8(run::stdout_of(out)).unwrap()
    };
    let details = run(&["-V"]);
    let mut frames = Vec::new();
    for part in details.split("\nFrame ").skip(1).chain(
        // The first frame's text starts the output.
        details.strip_prefix("Frame "),
    ) {
        let number = part.split(':').next().unwrap().trim().parse().unwrap();
        frames.push((number, part.to_string()));
    }
    let expert = run(&["-q", "-z", "expert"]);
    // The sections in order: Errors, Warns, Notes, Chats, Comments (each only when it has
    // entries).
    let serious = expert
        .split("\nNotes (")
        .next()
        .unwrap()
        .split("\nChats (")
        .next()
        .unwrap()
        .split("\nComments (")
        .next()
        .unwrap()
        .to_string();
    Tshark {
        frames,
        details,
        serious,
    }
}

/// Whether a line of tshark's details ends with a later part of a split fact,
/// `… (k/n)]` with k above 1.
fn later_part(line: &str) -> bool {
    let Some(rest) = line.trim_end().strip_suffix(")]") else {
        return false;
    };
    let Some((_, part)) = rest.rsplit_once(" (") else {
        return false;
    };
    part.split_once('/')
        .is_some_and(|(k, n)| k != "1" && k.parse::<u32>().is_ok() && n.parse::<u32>().is_ok())
}

/// The Done-when of the plugin: a 1006 (no close frame, the client's RST) has its deciding
/// packet under Errors or Warnings, with the diagnosis; a clean 1000 has nothing of
/// wsclose there, its diagnosis a note. The capture reaches tshark through a pipe from
/// `annotate -w -`.
#[test]
fn tshark_with_the_plugin_lists_a_failure_under_errors_and_no_clean_close() {
    let found = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip::skipped(format_args!(
            "tshark is not installed: the plugin is not run"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("wsclose.lua");
    let (lua, _, code) = wsclose(&["wireshark-plugin"]);
    assert_eq!(code, Some(0));
    std::fs::write(&plugin, lua).unwrap();
    for (name, clean) in [
        ("python-no-close-rst.pcap", false),
        ("python-close-1000-client.pcap", true),
        ("node-many.pcap.gz", false),
    ] {
        let input = fixture(name);
        let (json, _, code) = wsclose(&["analyze", "--format", "json", &input]);
        assert_eq!(code, Some(0), "{name}");
        let report: Value = serde_json::from_slice(&json).unwrap();
        let (annotated, err, code) = wsclose(&["annotate", &input, "-w", "-"]);
        assert_eq!(code, Some(0), "{name}: {err}");
        let seen = tshark(&plugin, &annotated);
        for c in report["connections"].as_array().unwrap() {
            let id = c["id"].as_u64().unwrap();
            let status = c["status"]["code"].as_u64();
            let packet = deciding_packet(c);
            let (_, details) = seen
                .frames
                .iter()
                .find(|(n, _)| *n == packet)
                .unwrap_or_else(|| panic!("{name}: no frame {packet}"));
            let ours = |severity: &str| {
                details.contains(&format!(
                    "Expert Info ({severity}/Protocol): wsclose #{id} ["
                ))
            };
            let listed = seen.serious.contains(&format!("wsclose #{id} ["));
            // One Expert Info entry per fact: never one per part of a fact split in
            // several comments, so a failed connection is one entry under Errors.
            let errors = seen
                .details
                .matches(&format!("Expert Info (Error/Protocol): wsclose #{id} ["))
                .count();
            assert!(errors <= 1, "{name} #{id}: {errors} Expert Info errors");
            let later: Vec<&str> = seen
                .details
                .lines()
                // (Wireshark's own entry for every packet comment is Comment/Comment.)
                .filter(|l| {
                    l.contains("Expert Info (")
                        && !l.contains("Expert Info (Comment/Comment)")
                        && later_part(l)
                })
                .collect();
            assert!(
                later.is_empty(),
                "{name}: Expert Info for later parts: {later:?}"
            );
            match status {
                Some(1000 | 1001) => {
                    assert!(ours("Note"), "{name} #{id}: {details}");
                    assert!(
                        !ours("Error") && !ours("Warning"),
                        "{name} #{id}: {details}"
                    );
                    assert!(!listed, "{name} #{id}: {}", seen.serious);
                }
                Some(1006) => {
                    assert!(ours("Error"), "{name} #{id}: {details}");
                    assert!(listed, "{name} #{id}: {}", seen.serious);
                    assert!(
                        details.contains("[Says: What the capture shows: "),
                        "{name} #{id}: {details}"
                    );
                }
                _ => {
                    assert!(ours("Warning") || ours("Error"), "{name} #{id}: {details}");
                    assert!(listed, "{name} #{id}: {}", seen.serious);
                }
            }
        }
        if clean {
            assert!(
                !seen.serious.contains("WSCLOSE"),
                "{name}: {}",
                seen.serious
            );
            assert!(
                seen.frames.iter().all(|(_, d)| !d
                    .contains("Expert Info (Error/Protocol): wsclose")
                    && !d.contains("Expert Info (Warning/Protocol): wsclose")),
                "{name}"
            );
        }
    }
}
