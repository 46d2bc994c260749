//! The report's formats as a value: a library user (and the binary, for `--format` and every
//! `--export-*`) chooses one and writes the report with it, as hyperfine's exporters are
//! chosen, without naming a renderer.
//!
//! In: a [`Format`], a finished [`Report`] and the [`Options`] some formats read (the
//! inputs' hashes, `--timeline`, `--full`, the table's width, colour and detail). Out: the
//! report in that format, written to a `Write`, and the frames a timeline CSV could not
//! list ([`super::csv::left_out_note`] words them).

use super::{csv, ecs, html, json, jsonl, markdown, table};
use crate::report::Report;
use std::io::{self, Write};

/// A format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The table for a terminal ([`table`]).
    Table,
    /// The stable JSON contract ([`json`]).
    Json,
    /// The JSON contract as JSON Lines, one line per connection ([`jsonl`]).
    Jsonl,
    /// Elastic Common Schema documents, one per line ([`ecs`]).
    Ecs,
    /// A report for a ticket ([`markdown`]), within [`markdown::LIMIT`] characters unless
    /// [`Options::full`].
    Markdown,
    /// One row per connection, or with [`Options::timeline`] one per frame ([`csv`]).
    Csv,
    /// One self-contained HTML file ([`html`]), within [`html::LIMIT`] bytes unless
    /// [`Options::full`].
    Html,
}

/// What some formats read beyond the report.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The inputs' SHA-256s, by input, where the caller computed them (Markdown and HTML
    /// open with them; a stream's is the one computed as it was read).
    pub hashes: &'a [Option<String>],
    /// The CSV lists every frame, one row each, instead of one row per connection.
    pub timeline: bool,
    /// Markdown and HTML without their size limits.
    pub full: bool,
    /// The table's width in columns (none: 120, as piped).
    pub width: Option<u16>,
    /// The table in colour.
    pub color: bool,
    /// How much the table says of each status.
    pub detail: table::Detail,
}

impl Default for Options<'_> {
    /// No hashes, one row per connection, the size limits, a table of 120 columns without
    /// colour saying each status in full.
    fn default() -> Self {
        Options {
            hashes: &[],
            timeline: false,
            full: false,
            width: None,
            color: false,
            detail: table::Detail::Full,
        }
    }
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Json,
        Format::Jsonl,
        Format::Ecs,
        Format::Markdown,
        Format::Csv,
        Format::Html,
    ];

    /// Its name as `--format` takes it ("jsonl").
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Ecs => "ecs",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }

    /// The format `--format` names `name` ("jsonl"), if any.
    pub fn named(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What its report is called in a sentence ("the JSON Lines report").
    pub fn title(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "JSON",
            Format::Jsonl => "JSON Lines",
            Format::Ecs => "ECS",
            Format::Markdown => "Markdown",
            Format::Csv => "CSV",
            Format::Html => "HTML",
        }
    }

    /// Records for a program (JSON, JSON Lines, ECS), not text for a person: a stream of
    /// them holds records of their schema only, so a followed or live capture writes one
    /// record per close ([`super::events::json_line`], [`super::events::ecs_line`]) and what
    /// it says for a person goes elsewhere (the binary: standard error).
    pub fn is_records(self) -> bool {
        match self {
            Format::Json | Format::Jsonl | Format::Ecs => true,
            Format::Table | Format::Markdown | Format::Csv | Format::Html => false,
        }
    }

    /// Written a chunk of connections at a time, each read back from the report's store
    /// and let go (JSON, JSON Lines, ECS, CSV), where the table, Markdown and HTML walk
    /// the report's document: a caller whose report is all in memory anyway may move the
    /// connections out of the store first ([`Report::load`]) rather than copy chunks.
    pub fn streams(self) -> bool {
        match self {
            Format::Json | Format::Jsonl | Format::Ecs | Format::Csv => true,
            Format::Table | Format::Markdown | Format::Html => false,
        }
    }

    /// Opens with the inputs' SHA-256s ([`Options::hashes`]): Markdown and HTML, the
    /// reports for a ticket.
    pub fn shows_hashes(self) -> bool {
        match self {
            Format::Markdown | Format::Html => true,
            Format::Table | Format::Json | Format::Jsonl | Format::Ecs | Format::Csv => false,
        }
    }

    /// The frames of each direction it shows of a connection, which the analysis keeps
    /// for it (`Options::frame_log`): Markdown's [`markdown::FRAME_LOG`], HTML's
    /// [`html::FRAME_LOG`]; none for the others (a timeline CSV asks for its own).
    pub fn frame_log(self) -> usize {
        match self {
            Format::Markdown => markdown::FRAME_LOG,
            Format::Html => html::FRAME_LOG,
            Format::Table | Format::Json | Format::Jsonl | Format::Ecs | Format::Csv => 0,
        }
    }

    /// Writes `report` in this format to `out`, as `options` ask; returns the frames a
    /// timeline CSV could not list, by connection (empty for every other format). The
    /// connections are read back from the report's store, never held whole.
    pub fn write(
        self,
        report: &Report,
        out: &mut dyn Write,
        options: &Options<'_>,
    ) -> io::Result<Vec<(u64, u64)>> {
        match self {
            Format::Table => {
                table::write_detail(report, options.width, options.color, options.detail, out)?
            }
            Format::Json => json::write(report, out)?,
            Format::Jsonl => jsonl::write(report, out)?,
            Format::Ecs => ecs::write(report, out)?,
            Format::Csv if options.timeline => return csv::write_timeline(report, out),
            Format::Csv => csv::write(report, out)?,
            Format::Html => {
                let limit = (!options.full).then_some(html::LIMIT);
                html::write_with(report, options.hashes, limit, out)?;
            }
            Format::Markdown => {
                let limit = (!options.full).then_some(markdown::LIMIT);
                markdown::write_with(report, options.hashes, limit, out)?;
            }
        }
        Ok(Vec::new())
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(format: Format, report: &Report, options: &Options<'_>) -> String {
        let mut out = Vec::new();
        let left = format.write(report, &mut out, options).unwrap();
        assert!(left.is_empty(), "{format}");
        String::from_utf8(out).unwrap()
    }

    /// Each format chosen by value writes what its renderer writes, and no two formats the
    /// same text.
    #[test]
    fn each_format_by_value_writes_its_renderer() {
        let report = crate::report::repeated_fixture_report(0);
        let options = Options::default();
        let own = |f: Format| match f {
            Format::Table => table::render(&report, None, false),
            Format::Json => json::render(&report),
            Format::Jsonl => jsonl::render(&report),
            Format::Ecs => super::super::text::string_of(|o| ecs::write(&report, o)),
            Format::Markdown => markdown::render(&report, &[]),
            Format::Csv => csv::render(&report),
            Format::Html => html::render(&report, &[]),
        };
        let mut seen = Vec::new();
        for f in Format::ALL {
            let text = written(f, &report, &options);
            assert!(!text.is_empty(), "{f}");
            assert_eq!(text, own(f), "{f}");
            assert!(!seen.contains(&text), "{f} writes another format's text");
            seen.push(text);
        }
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            ["table", "json", "jsonl", "ecs", "markdown", "csv", "html"]
        );
    }

    /// Each format's properties, as the binary decides by them: which are records, which
    /// are written in chunks, which show the inputs' hashes and keep frames; each found
    /// again by its name.
    #[test]
    fn each_format_says_what_it_is() {
        let with = |p: fn(Format) -> bool| -> Vec<&str> {
            Format::ALL
                .into_iter()
                .filter(|f| p(*f))
                .map(Format::name)
                .collect()
        };
        assert_eq!(with(Format::is_records), ["json", "jsonl", "ecs"]);
        assert_eq!(with(Format::streams), ["json", "jsonl", "ecs", "csv"]);
        assert_eq!(with(Format::shows_hashes), ["markdown", "html"]);
        let kept: Vec<(&str, usize)> = Format::ALL
            .into_iter()
            .filter(|f| f.frame_log() > 0)
            .map(|f| (f.name(), f.frame_log()))
            .collect();
        assert_eq!(kept, [("markdown", 12), ("html", 64)]);
        for f in Format::ALL {
            assert_eq!(Format::named(f.name()), Some(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(Format::named("JSON"), None);
        assert_eq!(Format::Jsonl.title(), "JSON Lines");
        // Every format is in `ALL` once: the match below has no `_`, so a new one is named
        // here or the build fails, and `ALL`'s length counts them.
        let index = |f: Format| match f {
            Format::Table => 0,
            Format::Json => 1,
            Format::Jsonl => 2,
            Format::Ecs => 3,
            Format::Markdown => 4,
            Format::Csv => 5,
            Format::Html => 6,
        };
        let order: Vec<usize> = Format::ALL.into_iter().map(index).collect();
        assert_eq!(order, (0..Format::ALL.len()).collect::<Vec<_>>());
    }

    /// The options reach the formats that read them: `full` lifts the Markdown and HTML
    /// limits, `timeline` makes the CSV one row per frame, `detail` and `width` shape the
    /// table.
    #[test]
    fn the_options_reach_their_formats() {
        let report = crate::report::repeated_fixture_report(0);
        let full = Options {
            full: true,
            ..Options::default()
        };
        assert_eq!(
            written(Format::Markdown, &report, &full),
            markdown::render_with(&report, &[], None)
        );
        assert_eq!(
            written(Format::Html, &report, &full),
            html::render_with(&report, &[], None)
        );
        let timeline = Options {
            timeline: true,
            ..Options::default()
        };
        let mut expected = Vec::new();
        csv::write_timeline(&report, &mut expected).unwrap();
        let mut out = Vec::new();
        Format::Csv.write(&report, &mut out, &timeline).unwrap();
        assert_eq!(out, expected);
        assert_ne!(out, csv::render(&report).into_bytes());
        let brief = Options {
            detail: table::Detail::Brief,
            width: Some(80),
            ..Options::default()
        };
        let expected = super::super::text::string_of(|o| {
            table::write_detail(&report, Some(80), false, table::Detail::Brief, o)
        });
        assert_eq!(written(Format::Table, &report, &brief), expected);
        assert_ne!(expected, table::render(&report, Some(80), false));
    }
}
