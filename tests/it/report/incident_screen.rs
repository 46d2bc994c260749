//! The first screen of a capture with an incident (issue 91 item 6): a server restart that
//! ends 500 sessions, 450 of whose clients come back. The table opens with the incident
//! and says the members in a row per run, so the whole report fits a screen at 100
//! columns; `-v` and `--connection` give each connection its row again; JSON Lines and ECS
//! write the incident's record before the connections'. A capture without an incident (the
//! control) is written a row per connection, as before.

use crate::common;
use crate::common::run;

use common::*;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    LinkType,
    Role::{Client, Server},
    Timestamp,
};

const MS: i64 = 1_000_000;
const S: i64 = 1_000 * MS;
const MEMBERS: u16 = 500;
const BACK: u16 = 450;

fn at(ns: i64) -> Timestamp {
    Timestamp(T0.0 + ns)
}

fn opened(port: u16, open: i64) -> Session {
    let mut s = Session::new(port, 8443).isns(u32::from(port) * 7919, 1_000_000 + u32::from(port));
    s.clock = at(open);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s
}

/// Server :8443 ends `MEMBERS` sessions (opened 5 ms apart) with its FINs at 10 s, 0.05 ms
/// apart; the first `BACK` clients open a new session from 11 s on, 3 ms apart, and stay.
fn restart() -> Vec<Pkt> {
    let mut pkts = Vec::new();
    for k in 0..MEMBERS {
        let mut s = opened(10_000 + k, i64::from(k) * 5 * MS);
        s.clock = at(10 * S + i64::from(k) * MS / 20);
        s.fin(Server);
        s.fin(Client);
        s.ack(Server);
        pkts.extend(s.pkts);
        if k < BACK {
            pkts.extend(opened(30_000 + k, 11 * S + i64::from(k) * 3 * MS).pkts);
        }
    }
    // While it is down, attempts refused (SYN answered by RST): the server shown gone.
    for k in 0..3u16 {
        let mut s = Session::new(29_000 + k, 8443);
        s.clock = at(10 * S + 300 * MS + i64::from(k) * 200 * MS);
        s.syn();
        s.rst(Server);
        pkts.extend(s.pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    pkts
}

/// The control: 40 sessions that each end with a clean close at its own moment, seconds
/// apart; no incident.
fn independent() -> Vec<Pkt> {
    let mut pkts = Vec::new();
    for k in 0..40u16 {
        let mut s = opened(10_000 + k, i64::from(k) * 5 * MS);
        s.clock = at(10 * S + i64::from(k) * 7 * S);
        s.send(Client, &close(Client, 1000, "bye"));
        s.send(Server, &close(Server, 1000, "bye"));
        s.fins(Server);
        pkts.extend(s.pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    pkts
}

fn write_pcap(pkts: &[Pkt], dir: &std::path::Path, name: &str) -> String {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, w.into_inner()).unwrap();
    path.to_str().unwrap().to_string()
}

/// `wsclose ARGS` at 100 columns without colour: its standard output.
fn table(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env("COLUMNS", "100")
        .env_remove("SSLKEYLOGFILE")
        .args(["analyze", "--color", "never"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of the connections' tables: the lines from a table's top to its bottom.
fn table_lines(text: &str) -> Vec<&str> {
    let mut inside = false;
    text.lines()
        .filter(|l| {
            if l.starts_with('┌') {
                inside = true;
            }
            let was = inside;
            if l.starts_with('└') {
                inside = false;
            }
            was
        })
        .collect()
}

#[test]
fn an_incident_of_500_connections_fits_the_first_screen() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pcap(&restart(), dir.path(), "restart.pcap");
    let out = table(&[&path]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "{out}");

    // The incident first: its heading, figures, cause and fix within the first 40 lines,
    // before any table.
    let heading = lines
        .iter()
        .position(|l| *l == "Incident 1: server-restart")
        .unwrap_or_else(|| panic!("{out}"));
    let table_at = lines.iter().position(|l| l.starts_with('┌')).unwrap();
    assert!(heading < table_at, "{out}");
    let first: String = lines[..40.min(lines.len())].join("\n");
    let flat = first.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("500 sessions ended by FIN"), "{first}");
    assert!(
        flat.contains("Window: 22:13:30.000 to 22:13:30.024 (25 ms); server 10.0.0.2:8443;"),
        "{first}"
    );
    assert!(
        flat.contains("500 members; came back 450, never 50, refused 3."),
        "{first}"
    );
    assert!(
        flat.contains("Cause: The server ended the sessions"),
        "{first}"
    );
    assert!(
        flat.contains("Fix: Before stopping the server, drain it"),
        "{first}"
    );

    // The members in one row, the new sessions in another: the tables are a few lines.
    let rows = table_lines(&out);
    assert!(rows.len() < 60, "{} lines of rows:\n{out}", rows.len());
    let cells = rows
        .iter()
        .map(|l| l.replace(['│', '┆'], " "))
        .collect::<Vec<_>>()
        .join(" ");
    let cells = cells.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(cells.contains("1–500 500 connections"), "{out}");
    assert!(
        cells.contains("500 closes of incident 1, which belong together"),
        "{out}"
    );
    assert!(cells.contains("501–950 450 connections"), "{out}");
    // The whole report fits two screens' worth, not a line per connection.
    assert!(lines.len() < 100, "{} lines:\n{out}", lines.len());

    // `-v`: a row per connection again (each says its incident), the incident still first.
    let verbose = table(&["-v", &path]);
    let vlines: Vec<&str> = verbose.lines().collect();
    let heading = vlines
        .iter()
        .position(|l| *l == "Incident 1: server-restart")
        .unwrap();
    assert!(heading < vlines.iter().position(|l| l.starts_with('┌')).unwrap());
    let vcells = table_lines(&verbose)
        .iter()
        .map(|l| l.replace(['│', '┆'], " "))
        .collect::<Vec<_>>()
        .join(" ");
    let vcells = vcells.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        vcells.matches("one of the closes of incident 1").count(),
        usize::from(MEMBERS),
        "{verbose}"
    );
    assert!(!vcells.contains("closes of incident 1, which belong together (see incident 1 above)"));

    // `--connection`: the ones asked for, each in its row.
    let chosen = table(&["--connection", "7", "--connection", "8", &path]);
    let ccells = table_lines(&chosen)
        .iter()
        .map(|l| l.replace(['│', '┆'], " "))
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        ccells.matches("one of the closes of incident 1").count(),
        2,
        "{chosen}"
    );

    // JSON Lines and ECS: the incident's record before the connections'.
    for format in ["jsonl", "ecs"] {
        let (out, err, code) = run::wsclose(&["analyze", "--format", format, &path]);
        assert!(matches!(code, Some(0 | 1)), "{err}");
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        let is_incident = match format {
            "jsonl" => first.starts_with("{\"type\":\"incident\""),
            _ => first.contains("\"action\":\"incident\""),
        };
        assert!(is_incident, "{format}: {first}");
        assert_eq!(text.lines().count(), 1 + 950 + 1, "{format}");
    }

    // Markdown and HTML: the incidents before the overview of the connections.
    let (md, _, _) = run::wsclose(&["analyze", "--format", "markdown", &path]);
    let md = String::from_utf8(md).unwrap();
    assert!(md.find("## Incidents").unwrap() < md.find("## Connections").unwrap());
    let (page, _, _) = run::wsclose(&["analyze", "--format", "html", &path]);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.find("<svg class=\"inc\"").unwrap() < page.find("<table").unwrap(),
        "the picture of ends and reconnects leads"
    );
}

/// The control: sessions that end on their own, no incident, a row each; nothing grouped.
#[test]
fn connections_no_incident_names_keep_a_row_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pcap(&independent(), dir.path(), "independent.pcap");
    let out = table(&[&path]);
    assert!(!out.contains("Incident"), "{out}");
    assert!(!out.contains(" connections →"), "{out}");
    for id in 1..=40 {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("│ {id} "))),
            "{id}:\n{out}"
        );
    }
}
