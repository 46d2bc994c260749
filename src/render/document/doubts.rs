//! Endings that cluster with no incident named (issue 91 item 7, `Report::doubts`): after
//! the incidents, one note each that says what the cluster shows (the server, how many
//! sessions, when and within how long, how and by whom they ended, how many were open) and
//! why no kind is named. Every format that walks the document says them.
//!
//! In: a [`Report`]. Out: the block, through the format's [`Sink`]; empty when none.

use super::{own, text, Sink};
use crate::report::words::doubt as words;
use crate::report::Report;

/// The block of the report's doubtful clusters; empty when there are none.
pub(crate) fn doubts(report: &Report, s: &impl Sink) -> String {
    let mut o = String::new();
    if report.doubts.is_empty() {
        return o;
    }
    s.section(&mut o, "doubts", "Endings that cluster, no incident named");
    for d in &report.doubts {
        let ids: Vec<String> = d.connections.iter().map(u64::to_string).collect();
        s.note(
            &mut o,
            &[
                text(words::line(d)),
                text(d.why.clone()),
                own(format!(". Connections: {}.", ids.join(", "))),
            ],
        );
    }
    s.section_end(&mut o);
    o
}
