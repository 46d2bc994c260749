//! HTML's markup for the shared document ([`document`](super::super::document)):
//! definition lists, tables with their classes, sections with their ids; every string
//! through `sanitize::html`, the tool's own words included.

use super::h;
use crate::render::document::{Column, Sink, Span, StatusBlock, TableKind, Tone};
use std::fmt::Write;

/// The HTML report's markup.
pub(super) struct Html;

impl Sink for Html {
    fn size(&self, s: &str) -> usize {
        s.len()
    }

    fn unit(&self) -> &'static str {
        "bytes"
    }

    fn spans(&self, o: &mut String, spans: &[Span]) {
        for sp in spans {
            match sp {
                Span::Own(t) | Span::Text(t) => o.push_str(&h(t)),
                Span::Value(t) | Span::Code(t) => {
                    let _ = write!(o, "<code>{}</code>", h(t));
                }
                Span::Bad(t) => {
                    let _ = write!(o, " <strong class=\"bad\">{}</strong>", h(t));
                }
            }
        }
    }

    fn paragraph(&self, o: &mut String, spans: &[Span]) {
        o.push_str("<p>");
        self.spans(o, spans);
        o.push_str("</p>\n");
    }

    fn note(&self, o: &mut String, spans: &[Span]) {
        o.push_str("<p class=\"left\">");
        self.spans(o, spans);
        o.push_str("</p>\n");
    }

    fn heading(&self, o: &mut String, title: &str) {
        let _ = writeln!(o, "<h4>{}</h4>", h(title));
    }

    fn section(&self, o: &mut String, id: &str, title: &str) {
        let _ = writeln!(o, "<section id=\"{id}\"><h2>{}</h2>", h(title));
    }

    fn section_end(&self, o: &mut String) {
        o.push_str("</section>\n");
    }

    fn meta_start(&self, o: &mut String) {
        o.push_str("<dl class=\"meta\">\n");
    }

    fn meta(&self, o: &mut String, label: &str, value: &[Span], warnings: &[String], warn: bool) {
        let class = if warn { " class=\"warn\"" } else { "" };
        let _ = write!(o, "<dt>{label}</dt><dd{class}>");
        self.spans(o, value);
        for w in warnings {
            let _ = write!(o, "<br><span class=\"warn\">⚠ {}</span>", h(w));
        }
        o.push_str("</dd>\n");
    }

    fn meta_end(&self, o: &mut String) {
        o.push_str("</dl>\n");
    }

    fn table_head(&self, o: &mut String, kind: TableKind, columns: &[Column]) {
        let class = match kind {
            TableKind::Closes => " class=\"closes\"",
            TableKind::Frames => " class=\"frames\"",
            TableKind::Findings => " class=\"findings\"",
            TableKind::Encrypted => "",
        };
        let _ = write!(o, "<table{class}><thead><tr>");
        for c in columns {
            let _ = write!(o, "<th>{}</th>", h(c.title));
        }
        o.push_str("</tr></thead><tbody>\n");
    }

    fn table_row(&self, o: &mut String, columns: &[Column], cells: &[Vec<Span>]) {
        o.push_str("<tr>");
        for (c, cell) in columns.iter().zip(cells) {
            o.push_str(if c.numeric {
                "<td class=\"n\">"
            } else if c.wire {
                "<td class=\"wire\">"
            } else {
                "<td>"
            });
            self.spans(o, cell);
            o.push_str("</td>");
        }
        o.push_str("</tr>\n");
    }

    fn table_end(&self, o: &mut String) {
        o.push_str("</tbody></table>\n");
    }

    fn status(&self, o: &mut String, s: &StatusBlock<'_>) {
        let ids: Vec<String> = s
            .ids
            .iter()
            .map(|id| format!("<a href=\"#c{id}\">{id}</a>"))
            .collect();
        let more = if s.count > s.ids.len() as u64 {
            ", …"
        } else {
            ""
        };
        let _ = write!(
            o,
            "<div class=\"status\"><h3><span class=\"st {}\">{}</span> {} connection{}: {}{more}</h3>",
            tone(s.tone),
            h(s.label),
            s.count,
            if s.count == 1 { "" } else { "s" },
            ids.join(", ")
        );
        for (label, text) in &s.lines {
            let _ = write!(o, "\n<p><strong>{label}:</strong> {}</p>", h(text));
        }
        o.push_str("</div>\n");
    }

    fn incident_picture(&self, o: &mut String, i: &crate::vocab::Incident) {
        incident_picture(o, i);
    }
}

/// An incident's picture: per bar of `bin_s` seconds from its first end, the members that
/// ended (down, red) and the reconnects accepted (up, green), as an inline `<svg>` with
/// its own scale; numbers only, and its title escaped.
fn incident_picture(o: &mut String, i: &crate::vocab::Incident) {
    const BAR: usize = 10;
    const HALF: usize = 40;
    if i.bins.is_empty() {
        return;
    }
    let most = i
        .bins
        .iter()
        .map(|b| b.ends.max(b.reconnects))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let width = i.bins.len() * BAR + 60;
    let height = 2 * HALF + 30;
    let title = format!(
        "Incident {}: sessions ended (below the line) and reconnects (above) per {}",
        i.id,
        crate::units::Rough(i.bin_s)
    );
    let _ = write!(
        o,
        "<figure><svg class=\"inc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"inc{id}\"><title id=\"inc{id}\">{t}</title>",
        id = i.id,
        t = h(&title)
    );
    let _ = write!(
        o,
        "<line class=\"axis\" x1=\"0\" y1=\"{HALF}\" x2=\"{}\" y2=\"{HALF}\"/>",
        i.bins.len() * BAR
    );
    for (k, b) in i.bins.iter().enumerate() {
        let x = k * BAR;
        let up = (f64::from(b.reconnects) / most * HALF as f64).round() as usize;
        let down = (f64::from(b.ends) / most * HALF as f64).round() as usize;
        if up > 0 {
            let _ = write!(
                o,
                "<rect class=\"i-back\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{up}\"><title>{} reconnected</title></rect>",
                HALF - up,
                BAR - 2,
                b.reconnects
            );
        }
        if down > 0 {
            let _ = write!(
                o,
                "<rect class=\"i-end\" x=\"{x}\" y=\"{HALF}\" width=\"{}\" height=\"{down}\"><title>{} ended</title></rect>",
                BAR - 2,
                b.ends
            );
        }
    }
    let _ = writeln!(
        o,
        "<text class=\"tick\" x=\"0\" y=\"{}\" style=\"text-anchor:start\">0</text><text class=\"tick\" x=\"{}\" y=\"{}\" style=\"text-anchor:end\">{}</text></svg><figcaption>{}</figcaption></figure>",
        height - 4,
        i.bins.len() * BAR,
        height - 4,
        h(&format!("+{}", crate::units::Rough(i.bin_s * i.bins.len() as f64))),
        h(&title)
    );
}

/// A tone as its class.
pub(super) fn tone(t: Tone) -> &'static str {
    match t {
        Tone::Ok => "ok",
        Tone::Warn => "warn",
        Tone::Bad => "bad",
    }
}
