//! Markdown's markup for the shared document ([`document`](super::super::document)):
//! CommonMark/GFM lists, tables and headings; the tool's own words as they are, everything
//! else through `sanitize::markdown`.

use crate::render::document::{Column, Sink, Span, StatusBlock, TableKind};
use crate::sanitize::markdown as md;
use std::fmt::Write;

/// The Markdown report's markup.
pub(super) struct Markdown;

impl Sink for Markdown {
    fn size(&self, s: &str) -> usize {
        s.chars().count()
    }

    fn spans(&self, o: &mut String, spans: &[Span]) {
        for sp in spans {
            match sp {
                Span::Own(t) => o.push_str(t),
                Span::Text(t) | Span::Value(t) => o.push_str(&md(t)),
                Span::Code(t) => {
                    let _ = write!(o, "`{t}`");
                }
                Span::Bad(t) => {
                    let _ = write!(o, " — ⚠️ {}", md(t));
                }
            }
        }
    }

    fn paragraph(&self, o: &mut String, spans: &[Span]) {
        o.push('\n');
        self.spans(o, spans);
        o.push('\n');
    }

    fn note(&self, o: &mut String, spans: &[Span]) {
        self.paragraph(o, spans);
    }

    fn heading(&self, o: &mut String, title: &str) {
        let _ = writeln!(o, "\n**{title}**");
    }

    fn section(&self, o: &mut String, _id: &str, title: &str) {
        let _ = writeln!(o, "\n## {title}");
    }

    fn section_end(&self, _o: &mut String) {}

    fn meta_start(&self, _o: &mut String) {}

    fn meta(&self, o: &mut String, label: &str, value: &[Span], warnings: &[String], _warn: bool) {
        let _ = write!(o, "- **{label}:** ");
        self.spans(o, value);
        o.push('\n');
        for w in warnings {
            let _ = writeln!(o, "  - ⚠️ {}", md(w));
        }
    }

    fn meta_end(&self, _o: &mut String) {}

    fn table_head(&self, o: &mut String, _kind: TableKind, columns: &[Column]) {
        o.push_str("\n|");
        for c in columns {
            let _ = write!(o, " {} |", c.title);
        }
        o.push_str("\n|");
        for c in columns {
            o.push_str(if c.numeric { "---:|" } else { "---|" });
        }
        o.push('\n');
    }

    fn table_row(&self, o: &mut String, _columns: &[Column], cells: &[Vec<Span>]) {
        o.push('|');
        for cell in cells {
            o.push(' ');
            self.spans(o, cell);
            o.push_str(" |");
        }
        o.push('\n');
    }

    fn table_end(&self, _o: &mut String) {}

    fn status(&self, o: &mut String, s: &StatusBlock<'_>) {
        let mut list: Vec<String> = s.ids.iter().map(u64::to_string).collect();
        if s.count > s.ids.len() as u64 {
            list.push("…".into());
        }
        let _ = writeln!(
            o,
            "\n### {} — {} connection{}: {}\n",
            md(s.label),
            s.count,
            if s.count == 1 { "" } else { "s" },
            list.join(", ")
        );
        for (label, text) in &s.lines {
            let _ = writeln!(o, "- **{label}:** {}", md(text));
        }
    }
}
