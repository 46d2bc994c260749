//! Issue 103 item 5: a session seen at two points, in every format, on fixtures/points/
//! (what each point must show is EXPECT.json's, written from the endpoints' logs and the
//! router's counters before wsclose read the files). The two hosts' files given together
//! and their merge alike: one row per session, its points named (file, interface, the end
//! each is nearer), the clocks' offset said, what was lost and made between them, in the
//! table (`-v` too), Markdown, HTML, JSON Lines, ECS, and the annotated capture's comments
//! on each file's packets. A file name is the user's: markup in it reaches no format raw.

use crate::common::{pcapng, run};
use serde_json::Value;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/points/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// wsclose's standard output (exit 0 or 1: closes found), a table 400 columns wide.
fn out(args: &[&str]) -> String {
    let o = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .env("COLUMNS", "400")
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `analyze FILES --format FORMAT EXTRA`.
fn analyze(files: &[String], format: &str, extra: &[&str]) -> String {
    let mut args = vec!["analyze", "--format", format];
    args.extend(extra);
    args.extend(files.iter().map(String::as_str));
    out(&args)
}

/// The drop recording's two sessions (the python one lost 6 packets between the points,
/// the node one 7, client to server), from its two files and from its merge.
fn inputs() -> [(Vec<String>, &'static str); 2] {
    [
        (
            vec![fixture("drop-client.pcap"), fixture("drop-server.pcap")],
            "two points: drop-client.pcap (client's) and drop-server.pcap (server's), clock ",
        ),
        (
            vec![fixture("drop-merged.pcapng")],
            "two points: drop-merged.pcapng (client side) and drop-merged.pcapng (server side), clock ",
        ),
    ]
}

/// The table, brief and `-v`: one row per session (the python client's port once), its
/// points in one line; `-v`, every line of them.
#[test]
fn the_table_names_the_points_in_one_row_per_session() {
    for (files, named) in inputs() {
        let brief = analyze(&files, "table", &[]);
        assert_eq!(brief.matches("10.103.1.2:31311").count(), 1, "{brief}");
        assert_eq!(brief.matches(named).count(), 2, "{brief}");
        assert!(brief.contains("of the client's lost between"), "{brief}");
        let full = analyze(&files, "table", &["-v"]);
        assert_eq!(full.matches("10.103.1.2:31311").count(), 1, "{full}");
        for line in [
            "one session seen at two points: ",
            "(nearer the client, by the TTLs) and ",
            "(nearer the server, by the TTLs)",
            "clocks: ",
            "seen at both points: ",
            "lost between the points: ",
        ] {
            // The points' own lines, each once per session: "seen at both points: 19
            // packets …", not the culprit's "seen at both points: its host's own".
            let listed = full
                .match_indices(line)
                .filter(|(at, _)| {
                    line != "seen at both points: "
                        || full[at + line.len()..].starts_with(|c: char| c.is_ascii_digit())
                })
                .count();
            assert_eq!(listed, 2, "{line}: {full}");
        }
    }
}

/// Markdown and HTML: each session's section lists "Seen at two points" with its lines.
#[test]
fn markdown_and_html_list_the_points() {
    for (files, _) in inputs() {
        let md = analyze(&files, "markdown", &[]);
        assert_eq!(
            md.matches("- **Seen at two points:** one session seen at two points: ")
                .count(),
            2,
            "{md}"
        );
        assert_eq!(md.matches("  - clocks: ").count(), 2, "{md}");
        assert_eq!(
            md.matches("  - lost between the points: ").count(),
            2,
            "{md}"
        );
        let html = analyze(&files, "html", &[]);
        assert_eq!(html.matches("Seen at two points").count(), 2, "{html}");
        assert!(html.contains("lost between the points: "), "{html}");
        assert!(html.contains("clocks: "), "{html}");
    }
}

/// JSON Lines and ECS: a line per session, with the contract's `points` (ECS: under
/// `wsclose.points`, and `wsclose.points_summary` the table's line).
#[test]
fn json_lines_and_ecs_carry_the_points() {
    for (files, named) in inputs() {
        let lines = analyze(&files, "jsonl", &[]);
        let cs: Vec<Value> = lines
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] == "connection")
            .collect();
        assert_eq!(cs.len(), 2, "{lines}");
        for c in &cs {
            assert_eq!(c["points"]["points"].as_array().unwrap().len(), 2, "{c:#}");
            assert!(c["points"]["clock_offset_s"].is_f64(), "{c:#}");
            assert_eq!(c["points"]["lost_between"][0]["from"], "client", "{c:#}");
        }
        let ecs = analyze(&files, "ecs", &[]);
        let docs: Vec<Value> = ecs
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["event"]["dataset"] == "wsclose.connection")
            .collect();
        assert_eq!(docs.len(), 2, "{ecs}");
        for d in &docs {
            let w = &d["wsclose"];
            assert_eq!(w["points"]["points"].as_array().unwrap().len(), 2, "{d:#}");
            assert!(
                w["points_summary"].as_str().unwrap().starts_with(named),
                "{d:#}"
            );
        }
    }
}

/// The packets the annotated capture comments for a connection's `points` (JSON), its
/// inputs' numbers: each point's first packet, those lost between them (listed) and those
/// made between.
pub(crate) fn commented(points: &Value) -> impl Iterator<Item = u64> + '_ {
    let all = |k: &str| points[k].as_array().into_iter().flatten();
    all("points")
        .map(|pt| &pt["first_packet"])
        .chain(all("lost_between").flat_map(|l| l["listed"].as_array().into_iter().flatten()))
        .chain(all("made_between").map(|m| &m["packet"]))
        .filter_map(Value::as_u64)
}

/// The annotated comments of `files` (one copy), each packet's, by frame (1-based).
fn annotated(files: &[String], name: &str) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let mut args = vec!["annotate".to_string()];
    args.extend(files.iter().cloned());
    args.extend(["-w".to_string(), path.to_str().unwrap().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, err, code) = run::wsclose(&args);
    assert_eq!(code, Some(0), "{err}");
    pcapng::packet_comments(&std::fs::read(&path).unwrap()).1
}

/// The frames whose comments of connection `id` hold `text`.
fn frames_saying(packets: &[Vec<String>], id: u64, text: &str) -> Vec<usize> {
    let head = format!("wsclose #{id} ");
    packets
        .iter()
        .enumerate()
        .filter(|(_, cs)| cs.iter().any(|c| c.starts_with(&head) && c.contains(text)))
        .map(|(i, _)| i + 1)
        .collect()
}

/// The annotated capture of the two drop files: the client's file's packets that the
/// server's point never saw are EXPECT.json's, each commented so; the server's file's
/// packets (after the client file's 113) carry the session's comments too.
#[test]
fn the_annotated_capture_comments_each_files_packets_with_the_other_points_view() {
    let (files, _) = &inputs()[0];
    let packets = annotated(files, "drop.pcapng");
    assert_eq!(packets.len(), 113 + 100);
    let expect: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("EXPECT.json")).unwrap()).unwrap();
    let lost = |k: usize| -> Vec<usize> {
        expect["scenarios"]["drop"]["sessions"][k]["lost_between_points"]["client_frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_u64().unwrap() as usize)
            .collect()
    };
    // Connection 2: the python session (31311); 1: the node one (31312).
    let not_seen = "not seen at the server's point (drop-server.pcap): lost between the points";
    assert_eq!(frames_saying(&packets, 2, not_seen), lost(0));
    assert_eq!(frames_saying(&packets, 1, not_seen), lost(1));
    for id in [1, 2] {
        let named = frames_saying(
            &packets,
            id,
            "seen at two points, read as one session: here, ",
        );
        assert_eq!(named.len(), 2, "{named:?}");
        assert!(named[0] <= 113 && named[1] > 113, "{named:?}");
    }
    // Only the sessions' packets copied: the server's file's are among them, commented.
    let mut only = files.clone();
    only.push("--only-selected".into());
    let packets = annotated(&only, "only.pcapng");
    assert!(packets.len() < 213, "{}", packets.len());
    let here = "seen at two points, read as one session: here, drop-server.pcap";
    assert_eq!(frames_saying(&packets, 2, here).len(), 1);
    // The merge: the packets lost are commented there too.
    let (merged, _) = &inputs()[1];
    let packets = annotated(merged, "merged.pcapng");
    assert!(!frames_saying(&packets, 2, "not seen at the server's point").is_empty());
}

/// The NAT recording: the resets the router made in the client's name reached the server's
/// host only (EXPECT.json: its frames 62 and 64); in the annotated copy of the two files
/// (the client's 60 first), each is commented as made between the points.
#[test]
fn a_reset_made_between_the_points_is_commented_in_the_file_that_saw_it() {
    let files = [fixture("nat-client.pcap"), fixture("nat-server.pcap")];
    let packets = annotated(&files, "nat.pcapng");
    let made: Vec<usize> = packets
        .iter()
        .enumerate()
        .filter(|(_, cs)| {
            cs.iter().any(|c| {
                c.contains("made between the points: a reset in the client's name that the client's point (nat-client.pcap) never saw the client send")
            })
        })
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(made, vec![60 + 62, 60 + 64]);
}

/// THREATS kind 8: a file name with markup, an escape and a bidi override, given as a
/// point, reaches no format raw: the table, Markdown, HTML, JSON Lines, ECS and the
/// annotated comments.
#[test]
fn a_points_file_name_reaches_no_format_raw() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir
        .path()
        .join("<img src=x onerror=alert(1)>\u{1b}[31m\u{202e}*b*|.pcap");
    std::fs::copy(fixture("drop-server.pcap"), &hostile).unwrap();
    let files = vec![
        fixture("drop-client.pcap"),
        hostile.to_str().unwrap().to_string(),
    ];
    let raw = |s: &str| s.contains(['\u{1b}', '\u{7}', '\u{202e}']);
    for format in ["table", "markdown", "html", "jsonl", "ecs"] {
        let o = analyze(&files, format, &["-v"]);
        assert!(!raw(&o), "{format}: a raw escape or bidi override");
        assert!(o.contains("img src=x"), "{format}: the name is said: {o}");
        if matches!(format, "markdown" | "html") {
            assert!(!o.contains("<img"), "{format}: markup raw");
        }
    }
    let packets = annotated(&files, "hostile.pcapng");
    let all: Vec<&String> = packets.iter().flatten().collect();
    assert!(all.iter().any(|c| c.contains("img src=x")), "{all:?}");
    assert!(!all.iter().any(|c| raw(c)), "{all:?}");
}
