//! The table and Markdown formats on a report larger than one table: written a piece at a
//! time from the store (never loaded whole), every connection once and in order, and the
//! same text as from a report held in memory. The brief form (the default) of a
//! five-connection capture on one screen.

use crate::gen;

use wsclose::__internals::analyzer::Options;
use wsclose::render::{markdown, table};

#[test]
fn a_large_report_is_written_a_table_at_a_time_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("gen.pcap");
    let cfg = gen::Config::new(700, 8 << 20, 5);
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    let files = std::slice::from_ref(&pcap);
    let opts = Options {
        keep_reports: 8,
        ..Options::default()
    };

    let mut report = wsclose::analyze_files_with_progress(
        files,
        opts,
        &wsclose::keys::KeySources::default(),
        None,
    )
    .unwrap();
    let stored = report.stored.as_ref().unwrap();
    assert!(
        stored.on_disk() > 300,
        "the reports are in the temporary file"
    );
    let n = stored.len();
    let streamed = table::render(&report, Some(120), false);
    let md_streamed = markdown::render_with(&report, &[None], None);
    let md_limited = markdown::render(&report, &[None]);
    report.load().unwrap();
    assert_eq!(report.connections.len(), n);
    let loaded = table::render(&report, Some(120), false);
    assert!(
        streamed == loaded,
        "the same text from the store and from memory"
    );
    assert!(
        md_streamed == markdown::render_with(&report, &[None], None),
        "the same Markdown"
    );
    assert!(
        md_limited == markdown::render(&report, &[None]),
        "the same Markdown within the limit"
    );
    assert_eq!(
        md_streamed.matches("<details><summary>Connection ").count(),
        n
    );
    assert!(md_limited.chars().count() <= markdown::LIMIT);
    assert!(md_limited.contains("`--full`"));

    // One table per 250 connections, each with its header; ids 1..n in order.
    let tables = streamed.matches("│ #").count();
    assert_eq!(tables, n.div_ceil(250), "{n} connections");
    let ids: Vec<u64> = streamed
        .lines()
        // Rows of the connection tables (four columns; the counts by status have two).
        .filter(|l| l.matches('┆').count() == 3)
        .filter_map(|l| l.strip_prefix("│ "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(ids, (1..=n as u64).collect::<Vec<_>>());
    assert!(streamed.contains(&format!("{n} WebSocket connections")));
}

/// The short answer: each problem status once in a sentence of meaning and one of fix, the
/// clean closes in one line, the counts in one line; the catalog's whole text only in the
/// full form.
#[test]
fn the_brief_form_says_each_problem_once_and_the_clean_closes_in_a_line() {
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/node-many.pcap.gz");
    let report = wsclose::analyze_files(&[capture.into()], Options::default()).unwrap();
    let text = |detail| {
        let mut out = Vec::new();
        table::write_detail(&report, Some(100), false, detail, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let (brief, full) = (text(table::Detail::Brief), text(table::Detail::Full));
    // One row per connection in both; the brief one in fewer columns and lines.
    let table_of = |t: &str| t.lines().take_while(|l| !l.starts_with('└')).count();
    let rows = |t: &str| {
        t.lines()
            .take_while(|l| !l.starts_with('└'))
            .filter(|l| l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
            .count()
    };
    assert_eq!((rows(&brief), rows(&full)), (5, 5), "{brief}\n{full}");
    assert!(table_of(&brief) < table_of(&full), "{brief}");
    assert!(full.contains("Close frames / TCP") && !brief.contains("Close frames / TCP"));
    let after: Vec<&str> = brief.lines().skip(table_of(&brief) + 1).collect();
    for problem in [
        "4000 Private Use",
        "1005 No Status Rcvd",
        "1006 Abnormal Closure",
    ] {
        let lines: Vec<&&str> = after.iter().filter(|l| l.starts_with(problem)).collect();
        assert_eq!(lines.len(), 1, "{problem} once in:\n{brief}");
    }
    let clean: Vec<&&str> = after
        .iter()
        .filter(|l| l.contains("clean closes, nothing to fix"))
        .collect();
    assert_eq!(clean.len(), 1, "{brief}");
    assert!(
        after
            .iter()
            .any(|l| l
                .starts_with("1000 Normal Closure (connection 1), 1001 Going Away (connection 2)")),
        "{brief}"
    );
    assert!(brief.contains("By status: "), "{brief}");
    assert!(!brief.contains("Cause: "), "{brief}");
    assert!(full.contains("Cause: "), "{full}");
    assert!(
        brief.lines().count() + 20 < full.lines().count(),
        "brief {} lines, full {}",
        brief.lines().count(),
        full.lines().count()
    );
}

/// The short answer first: `wsclose FILE` on a capture of five connections (clean closes,
/// a private code, an empty close frame, a 1006) fits 30 lines at 100 columns, every row
/// within them.
#[test]
fn a_five_connection_capture_fits_30_lines_at_100_columns() {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/node-many.pcap.gz"
        ))
        .env("COLUMNS", "100")
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 30, "{} lines:\n{text}", lines.len());
    assert!(
        lines.iter().all(|l| l.chars().count() <= 100),
        "wider than 100 columns:\n{text}"
    );
    // Every connection's status, close frames and TCP ending are in its row.
    for needle in [
        "1000 Normal Closure: server 1000 \"normal\"",
        "4000 Private Use: server 4000",
        "1005 No Status Rcvd (inferred): server empty close",
        "1006 Abnormal Closure (inferred): no close frame, FIN by server",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
}

/// Statuses whose sentences are the same (four private-use codes among the fixtures) are
/// explained once, together, each with its connections; the rest of the brief form stays
/// one status a paragraph.
#[test]
fn statuses_that_mean_the_same_are_explained_once() {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
        .env("COLUMNS", "100")
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let sentence = "Kept for private agreements between the two applications";
    assert_eq!(text.matches(sentence).count(), 1, "{text}");
    let joined = text.replace('\n', " ");
    for label in [
        "4000 Private Use (connection",
        "4001 Private Use (connection",
    ] {
        assert!(joined.contains(label), "{label} not in:\n{text}");
    }
    assert_eq!(
        text.matches("1011 Internal Error — connection").count(),
        1,
        "{text}"
    );
}

/// The brief form gives a connection's own fix, fitted to what its capture shows, where it
/// has one: the proxy's 60 s idle timeout's "well inside 60 s" in place of the status's
/// generic fix when every connection of the status has it, a line for each connection's
/// own beside the generic fix when only some do; every line within the width.
#[test]
fn the_brief_form_gives_each_connections_own_fix() {
    let brief = |fixture: &str| {
        let capture = format!("{}/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let mut report = wsclose::analyze_files(&[capture.into()], Options::default()).unwrap();
        // The input's line fits the width whatever the path (a clone in a deep folder, a
        // long `mktemp -d` name): one longer than the width, one word of it too.
        report.inputs[0].path = format!(
            "/tmp/tmp.{}/a clone/{}/fixtures/{fixture}",
            "x".repeat(120),
            "long-folder-name-".repeat(4)
        );
        let mut out = Vec::new();
        table::write_detail(&report, Some(100), false, table::Detail::Brief, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines().all(|l| l.chars().count() <= 100),
            "wider than 100 columns:\n{text}"
        );
        (text.replace('\n', " "), text)
    };
    let (joined, text) = brief("proxy/nginx-idle-60s.pcap");
    assert!(
        joined.contains("Fix: Keep the session busy for the proxy: send a ping")
            && joined.contains("well inside 60 s (every 30 s, say;"),
        "{text}"
    );
    assert!(!joined.contains("see how TCP ended"), "{text}");
    assert!(!joined.contains("Fix for "), "{text}");
    // Each 1006 has its own fix: connection 1 the server's (its FIN read as its own
    // doing, issue 82 item 1), connection 2 the client's (its stream ended right after a
    // message); the status's generic fix is not said.
    let (joined, text) = brief("h2/hypercorn-h2c-close-crash.pcap");
    assert!(
        text.contains("  Fix for connection 1: Read the server's logs at the time of packet 28"),
        "{text}"
    );
    assert!(!joined.contains("see how TCP ended"), "{text}");
    assert!(
        text.contains("  Fix for connection 2: Read the client's logs at the time of packet 17."),
        "{text}"
    );
    // A status whose connections have only its fix says it as before.
    let (joined, text) = brief("python-close-1002.pcap");
    assert!(joined.contains("Fix: Decode the last few frames"), "{text}");
    assert!(!joined.contains("Fix for "), "{text}");
}

/// A capture of thousands of sessions (issue 104, item 13): the default table opens with
/// the head and a summary by status and cause, the rows follow grouped (connections of one
/// server, status, closer and cause in one row, with their count and numbers), and every
/// connection is counted in one group; a few hundred lines, not one row per connection.
#[test]
fn thousands_of_sessions_are_summed_up_then_grouped_in_a_few_hundred_lines() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("gen.pcap");
    let cfg = gen::Config::new(2500, 12 << 20, 7);
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    // And a real server's stop (120 sessions ended at once): an incident.
    let stop = format!(
        "{}/fixtures/incident/aiohttp-kill.pcap.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let report = wsclose::analyze_files_with_progress(
        &[pcap.clone(), stop.into()],
        Options::default(),
        &wsclose::keys::KeySources::default(),
        None,
    )
    .unwrap();
    let n = report.summary.connections;
    assert!(n > 2000, "{n} connections");
    let mut out = Vec::new();
    table::write_detail(&report, Some(120), false, table::Detail::Brief, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 400, "{} lines:\n{text}", lines.len());
    // The head (a line per input), the incident, then the summary by status and cause.
    assert!(lines[0].contains("gen.pcap: "), "{text}");
    assert!(lines[1].contains("aiohttp-kill.pcap.gz: "), "{text}");
    assert!(lines[2].starts_with("Incident 1: server-stop"), "{text}");
    let summary = lines
        .iter()
        .position(|l| l.starts_with("By status and cause"))
        .unwrap_or_else(|| panic!("no summary:\n{text}"));
    assert!(
        lines[2..summary].iter().all(|l| !l.starts_with('│')),
        "{text}"
    );
    let grouped = lines
        .iter()
        .position(|l| l.starts_with("The connections grouped"))
        .unwrap_or_else(|| panic!("no groups:\n{text}"));
    assert!(summary < grouped, "{text}");
    // Every connection in one group: the groups' counts add up to the connections, and the
    // summary's too.
    let count_of = |l: &str, col: usize| -> Option<u64> {
        let cell = l.strip_prefix('│')?.split(['┆', '│']).nth(col)?;
        cell.split_whitespace().next()?.parse().ok()
    };
    let table_end = |from: usize| {
        from + lines[from..]
            .iter()
            .position(|l| l.starts_with('└'))
            .unwrap()
    };
    let in_summary: u64 = lines[summary..table_end(summary)]
        .iter()
        .filter_map(|l| count_of(l, 1))
        .sum();
    assert_eq!(in_summary, n, "{text}");
    let in_groups: u64 = lines[grouped..table_end(grouped)]
        .iter()
        .filter_map(|l| count_of(l, 1))
        .sum();
    assert_eq!(in_groups, n, "{text}");
    // Each row still: -v.
    let mut out = Vec::new();
    table::write_detail(&report, Some(120), false, table::Detail::Full, &mut out).unwrap();
    let full = String::from_utf8(out).unwrap();
    assert!(full.lines().count() > 4 * n as usize);
}
