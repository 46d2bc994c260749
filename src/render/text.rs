//! Pieces of text more than one renderer needs, worded by each renderer itself.
//!
//! In: a connection's report, or a renderer's `write`. Out: how its TCP connection ended
//! first, as a value each renderer words ([`TcpEnding`]); a written report as a string
//! ([`string_of`]). The facts every report states of a connection are `report::facts`.

use crate::report::ConnectionReport;
use crate::vocab::Role;

/// What `write` writes, as a string (a renderer's `render`: tests, small reports).
pub(crate) fn string_of(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    let _ = write(&mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// How a connection's TCP connection ended first.
pub(crate) enum TcpEnding {
    /// Neither side ended it: still open at the end of the capture (`None`), or the reason
    /// wsclose stopped following it early.
    Open(Option<&'static str>),
    /// "FIN" or "RST" from `by` at `packet`; `rst`: the packet of the same side's RST
    /// after its FIN.
    By {
        kind: &'static str,
        by: Role,
        packet: u64,
        rst: Option<u64>,
    },
}

impl TcpEnding {
    pub fn of(c: &ConnectionReport) -> TcpEnding {
        match c.tcp_ends.first() {
            None => TcpEnding::Open(c.evicted.map(|e| e.short())),
            Some(e) => TcpEnding::By {
                kind: e.kind.name(),
                by: e.by,
                packet: e.packet,
                rst: e.rst_after_fin.map(|r| r.packet),
            },
        }
    }
}

/// "14:02:31.120": a time of day (UTC), to the millisecond.
pub(crate) fn clock(t: crate::vocab::Timestamp) -> String {
    let s = t.to_string();
    match s.split_once('T') {
        Some((_, rest)) => rest.get(..12).unwrap_or(rest).to_string(),
        None => s,
    }
}

/// The first sentence of a catalog text (up to its first ". "): a short cause.
pub(crate) fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// `text` filled to `width` columns of display width (a wide character counts two), its
/// first line after `first`, the others after `hanging`; words are never broken or
/// hyphenated (a word longer than a line stands on a line of its own). No line end after.
pub(crate) fn fill(text: &str, first: &str, hanging: &str, width: usize) -> String {
    let opts = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(hanging)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::fill(text, opts)
}
