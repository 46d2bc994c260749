//! The table and Markdown formats on a report larger than one table: written a piece at a
//! time from the store (never loaded whole), every connection once and in order, and the
//! same text as from a report held in memory.

#[path = "../examples/gen/mod.rs"]
mod gen;

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
    // The same table of connections in both.
    let table_of = |t: &str| t.lines().take_while(|l| !l.starts_with('└')).count();
    assert_eq!(table_of(&brief), table_of(&full));
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
