//! The document walk's rules seen in the formats that walk it.

use super::*;
use crate::sanitize::html;

/// "Closed by" and the CSV's `initiator` follow `report::facts::closed_by` in every
/// format that says who closed: Markdown's and HTML's rows, ECS's message, the CSV.
#[test]
fn every_format_says_who_closed_by_one_rule() {
    let report = crate::report::repeated_fixture_report(0);
    let csv = crate::render::csv::render(&report);
    let mut rows = ::csv::Reader::from_reader(csv.as_bytes()).into_records();
    let md = crate::render::markdown::render_with(&report, &[], None);
    let page = crate::render::html::render_with(&report, &[], None);
    for c in &report.connections {
        let by = facts::closed_by(c);
        let row = rows.next().unwrap().unwrap();
        assert_eq!(row.get(0), Some(c.id.to_string().as_str()));
        assert_eq!(
            &row[9],
            by.initiator().map_or("", |r| r.as_str()),
            "{}",
            c.id
        );
        let r = md
            .lines()
            .find(|l| l.starts_with(&format!("| {} ", c.id)))
            .unwrap();
        assert!(r.contains(&format!(" | {by} | ")), "{}: {r}", c.id);
        let at = page.find(&format!("<a href=\"#c{}\">", c.id)).unwrap();
        let tr = &page[at..at + page[at..].find("</tr>").unwrap()];
        assert!(
            tr.contains(&format!("<td>{}</td>", html(&by.to_string()))),
            "{tr}"
        );
        let doc = crate::render::ecs::connection(&report, c, "run").to_string();
        assert!(doc.contains(&format!("({by} closed)")), "{}", c.id);
    }
}

/// A limited Markdown report and a limited HTML one say what they left out in the
/// same words, each in the unit it counts its limit in and naming its own `--format`.
#[test]
fn the_notes_on_what_was_left_out_are_one_text() {
    let mut report = crate::report::repeated_fixture_report(400);
    let total = report.connections.len() as u64;
    (report.summary.connections, report.summary.total_connections) = (total, total);
    let md = crate::render::markdown::render_with(&report, &[], Some(60_000));
    let page = crate::render::html::render_with(&report, &[], Some(120_000));
    let plain = |s: &str| {
        let mut out = String::new();
        let mut tag = false;
        for ch in s.chars() {
            match ch {
                '<' => tag = true,
                '>' => tag = false,
                '`' => {}
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out
    };
    for (text, unit, limit, format) in [
        (plain(&md), "characters", 60_000, "markdown"),
        (plain(&page), "bytes", 120_000, "html"),
    ] {
        let rows = text
            .lines()
            .find(|l| l.contains(" connections are not in this table"))
            .unwrap_or_else(|| panic!("{format}: no note on the rows"));
        assert!(
            rows.ends_with(&format!(
                " of {total} connections are not in this table (clean closes first, to fit {limit} {unit}); --full lists them all."
            )),
            "{rows}"
        );
        let sections = text
            .lines()
            .find(|l| l.starts_with("Left out to fit"))
            .unwrap_or_else(|| panic!("{format}: no note on the sections"));
        assert!(
            sections.starts_with(&format!("Left out to fit {limit} {unit}: the details of ")),
            "{sections}"
        );
        assert!(
            sections.ends_with(&format!(
                ". wsclose analyze --format {format} --full shows it all; --connection ID one connection."
            )),
            "{sections}"
        );
    }
}

/// A report whose summary counts fewer connections than it holds (a library user's
/// report put together by hand) is still written within a limit: the walk counts the
/// rows left out with no overflow (it panicked on the subtraction).
#[test]
fn a_summary_that_undercounts_does_not_panic_the_walk() {
    let report = crate::report::repeated_fixture_report(400);
    assert!(report.summary.connections < report.connections.len() as u64);
    let md = crate::render::markdown::render_with(&report, &[], Some(60_000));
    assert!(md.contains("## Connections in detail"), "{md}");
}

/// The ticket reports walk one document: every fact of every fixture connection, its
/// close frames and its findings are in its Markdown section and in its HTML section.
#[test]
fn every_fact_is_in_markdown_and_in_html() {
    let report = crate::report::repeated_fixture_report(0);
    let md = crate::render::markdown::render_with(&report, &[], None);
    let page = crate::render::html::render_with(&report, &[], None);
    let mut statuses = Statuses::default();
    for c in &report.connections {
        statuses.add(c);
    }
    let section = |text: &str, start: &str, end: &str| -> String {
        let at = text.find(start).unwrap_or_else(|| panic!("{start}"));
        let rest = &text[at..];
        rest[..rest.find(end).unwrap_or(rest.len())].to_string()
    };
    for c in &report.connections {
        let in_md = section(&md, &format!("<summary>Connection {}:", c.id), "</details>");
        let in_html = section(&page, &format!("id=\"c{}\"><h3>", c.id), "</section>");
        let fix = statuses.of(c).map(|g| g.fix.as_str());
        for f in facts::facts(c, &report.inputs, fix) {
            assert!(
                in_md.contains(&format!("**{}", f.label)),
                "{}: {}",
                c.id,
                f.label
            );
            assert!(in_html.contains(&html(&f.label)), "{}: {}", c.id, f.label);
        }
        for f in &c.close_frames {
            assert!(in_md.contains(&format!("| {} |", f.packet)), "{}", c.id);
            assert!(in_html.contains(&format!(">{}</td>", f.packet)), "{}", c.id);
        }
        for f in &c.findings {
            assert!(in_md.contains(f.kind.as_str()), "{}", c.id);
            assert!(in_html.contains(f.kind.as_str()), "{}", c.id);
        }
    }
}
