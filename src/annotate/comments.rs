//! What the annotated capture's comments say: one connection's comments on the packets
//! they are about (the handshake, the close frames, HTTP/2 stream and TLS endings, TCP
//! FIN and RST, findings, and the diagnosis as `report::facts` states it), the section
//! header's comments, and the rules every comment keeps (the `wsclose #ID [STATUS] LEVEL:`
//! prefix, one fact a comment, wire text escaped and unforgeable, at most [`MAX_COMMENT`]
//! bytes, a longer fact split at its sentences into several comments rather than cut, text
//! only decryption showed [`WITHHELD`]). Writing them into the capture is `annotate`'s.
//!
//! The [`Level`] is wsclose's: Wireshark's Expert Info severities, which the plugin
//! (`wsclose wireshark-plugin`, [`super::PLUGIN`]) raises from the comments. The diagnosis
//! on the deciding packet (`report::facts::decisive`) of a problem connection (not
//! `report::facts::clean_close`) is an error when the connection failed ([`failed`]: 1006,
//! 1011, 1014, 1015, or the upgrade refused), else a warning; a protocol violation's finding
//! is a warning; that of a clean close is a note, as are the other lines of a problem's
//! diagnosis (its evidence, the application's words, its fix); everything else (the
//! handshake, the close frames, the endings) is chat.

use crate::report::facts::{self, FactKind, Place};
use crate::report::{ConnectionReport, Report};
use crate::sanitize::{cut, terminal};
use crate::vocab::Role;
use std::fmt::Write as _;

/// The longest comment, in bytes: what Wireshark shows whole of a line of its packet
/// details (`ITEM_LABEL_LENGTH`, 240 bytes with its NUL; a longer comment is shown
/// `[truncated]` there and in Expert Info, though pcapng's option holds 65 535). A longer
/// fact is split into several comments, at its sentences where it can (`split`).
pub const MAX_COMMENT: usize = 239;

/// The longest section header comment, in bytes (cut at a character, with "…"): Wireshark
/// shows those whole in the capture file's properties.
const MAX_HEADER: usize = 400;

/// The longest text of one fact, in bytes, before it is split into comments (cut at a
/// character, with "…", past it): some twenty comments, more than any diagnosis needs.
const MAX_FACT: usize = 4096;

/// How much a comment matters: Wireshark's Expert Info severities, that the comment states
/// after its connection and status (`wsclose #3 [1006 Abnormal Closure] error: …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// What happened, for the record: the handshake, the close frames, the endings.
    Chat,
    /// A clean close's diagnosis; the other lines of a problem's (evidence, its fix).
    Note,
    /// A problem connection's diagnosis, on its deciding packet; a protocol violation.
    Warning,
    /// The diagnosis of a connection that failed (`failed`: 1006, 1011, 1014, 1015, an upgrade
    /// refused), on its deciding packet.
    Error,
}

impl Level {
    /// The word the comment says it with.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Chat => "chat",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// A connection that failed rather than closed with a problem: no close handshake (1006),
/// an endpoint's or a proxy's failure (1011 Internal Error, 1014 Bad Gateway, 1015 TLS
/// handshake), or an upgrade refused (no status code, a refusal among its causes).
pub fn failed(c: &ConnectionReport) -> bool {
    matches!(c.status.code, Some(1006 | 1011 | 1014 | 1015))
        || (c.status.code.is_none()
            && c.status
                .causes
                .iter()
                .any(|k| matches!(k, crate::report::Cause::UpgradeRefused { .. })))
}

/// The most findings commented on one connection (the report keeps up to 200).
const MAX_FINDINGS: usize = 16;

/// `text` cut to `max` bytes at a character, with "…" (within `max`) when it was cut.
fn ellipsis(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    format!("{}…", cut(text, max - '…'.len_utf8()))
}

/// `text` cut to [`MAX_HEADER`] bytes.
fn bounded(text: String) -> String {
    if text.len() <= MAX_HEADER {
        return text;
    }
    ellipsis(&text, MAX_HEADER)
}

/// The places `text` may be split, finest last: after a sentence (". "), a clause ("; ",
/// ": ", ", "), a word (" ").
const BREAKS: [&[&str]; 3] = [&[". "], &["; ", ": ", ", "], &[" "]];

/// `text` in pieces of at most `max` bytes, none lost: whole sentences packed into each
/// while they fit; a sentence longer than `max` starts a piece of its own and is split at
/// its clauses, then its words, and a word longer than `max` at a character. Each piece
/// keeps its sentence's full stop; the space between two pieces is dropped.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(8);
    let mut out = Vec::new();
    let mut current = String::new();
    let pack = |piece: &str, current: &mut String, out: &mut Vec<String>| {
        let joined = current.len() + usize::from(!current.is_empty()) + piece.len();
        if !current.is_empty() && joined > max {
            out.push(std::mem::take(current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(piece);
    };
    for sentence in pieces(text, usize::MAX, 0) {
        if sentence.len() <= max {
            pack(sentence, &mut current, &mut out);
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        for piece in pieces(sentence, max, 1) {
            pack(piece, &mut current, &mut out);
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// `text` cut after the separators of `BREAKS[level]` (each piece trimmed of the space that
/// follows), the pieces longer than `max` cut at the next level's, and at a character last.
fn pieces(text: &str, max: usize, level: usize) -> Vec<&str> {
    let Some(seps) = BREAKS.get(level) else {
        // No separator left: at characters.
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let head = cut(rest, max);
            let head = if head.is_empty() {
                // One character longer than `max`: whole.
                rest.char_indices()
                    .nth(1)
                    .and_then(|(i, _)| rest.get(..i))
                    .unwrap_or(rest)
            } else {
                head
            };
            out.push(head);
            rest = rest.get(head.len()..).unwrap_or_default();
        }
        return out;
    };
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let at = seps
            .iter()
            .filter_map(|sep| rest.find(sep).map(|i| i + sep.len()))
            .min();
        let (piece, next) = match at {
            // The separator's space ends it; the piece keeps the rest of it.
            Some(i) => (
                rest.get(..i).unwrap_or(rest).trim_end(),
                rest.get(i..).unwrap_or_default(),
            ),
            None => (rest, ""),
        };
        if piece.len() > max {
            out.extend(pieces(piece, max, level + 1));
        } else if !piece.is_empty() {
            out.push(piece);
        }
        if next.is_empty() {
            return out;
        }
        rest = next;
    }
}

/// Wire text made safe and short (a reason, a path, a finding's detail).
fn wire(text: &str, max: usize) -> String {
    ellipsis(&terminal(text), max)
}

fn side(r: Role) -> &'static str {
    r.as_str()
}

/// The filter that shows connection `ID`'s comments, as the file and the messages give it:
/// anchored, so that it finds only a comment that starts with the prefix (wsclose's).
pub const FILTER: &str = "frame.comment matches \"^wsclose #ID \"";

/// `text` with every `wsclose #` (in any case: Wireshark's `matches` ignores it) turned
/// into `wsclose \#`, so that wire text in a comment cannot pass for wsclose's own prefix.
pub fn unforgeable(text: &str) -> String {
    const PREFIX: &[u8] = b"wsclose #";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest
        .as_bytes()
        .windows(PREFIX.len())
        .position(|w| w.eq_ignore_ascii_case(PREFIX))
    {
        // The prefix is ASCII: `at + 8` is the '#', a character boundary.
        let (before, after) = rest.split_at(at + PREFIX.len() - 1);
        out.push_str(before);
        out.push('\\');
        out.push_str(after.get(..1).unwrap_or_default());
        rest = after.get(1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// What a comment says in place of text only decryption showed.
pub const WITHHELD: &str = "(decrypted text withheld: --with-secrets to include it)";

/// The comments of one connection. `reveal`: the file carries the TLS secrets, so the
/// comments of a connection seen through TLS may quote what decryption showed (its URL, its
/// headers, its close reasons, its findings' and diagnosis' words); without them the packets
/// are encrypted and the comments say only the codes, statuses and the tool's own words.
pub(super) fn connection_notes(
    c: &ConnectionReport,
    incidents: &[crate::vocab::Incident],
    reveal: bool,
    add: &mut dyn FnMut(u64, String),
) {
    connection_notes_at(c, incidents, reveal, 0, add);
}

/// [`connection_notes`] for a copy in which the connection's packets come `offset` frames
/// after their number in its input (the inputs before it copied first): each packet the
/// comments cite is said by its frame in the copy ([`renumber`]). `add` still gets the
/// packet's number in its input.
pub(super) fn connection_notes_at(
    c: &ConnectionReport,
    incidents: &[crate::vocab::Incident],
    reveal: bool,
    offset: u64,
    add: &mut dyn FnMut(u64, String),
) {
    let hide = c.tls.is_some() && !reveal;
    let status = match c.status.code {
        Some(code) => format!("{code} {}", c.status.name),
        None => c.status.name.to_string(),
    };
    let status = terminal(&status);
    let mut put_at = |level: Level, packet: u64, body: String| {
        let head = format!("wsclose #{} [{status}] {}: ", c.id, level.as_str());
        let body = renumber(&body, offset);
        let body = ellipsis(&unforgeable(&body), MAX_FACT);
        // Room for " (10/10)" after the part when it is split.
        let room = MAX_COMMENT.saturating_sub(head.len());
        if body.len() <= room {
            add(packet, format!("{head}{body}"));
            return;
        }
        let parts = split(&body, room.saturating_sub(" (10/10)".len()));
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            add(packet, format!("{head}{part} ({}/{n})", i + 1));
        }
    };
    let chat = Level::Chat;
    let h = &c.handshake;
    if let Some(p) = h.request_packet {
        let mut body = String::from("WebSocket upgrade request");
        if hide {
            let _ = write!(body, " {WITHHELD}");
        } else if let Some(path) = &h.path {
            let _ = write!(body, " {}", wire(path, 120));
        }
        if let Some(host) = h.host.as_ref().filter(|_| !hide) {
            let _ = write!(body, " (Host {})", wire(host, 80));
        }
        put_at(chat, p, body);
    }
    if let Some(p) = h.response_packet {
        let body = match h.status {
            Some(101) => {
                let mut b = String::from("101 Switching Protocols: the WebSocket is open");
                if hide && (h.subprotocol.is_some() || h.extensions.is_some()) {
                    let _ = write!(b, ", its headers {WITHHELD}");
                }
                if let Some(s) = h.subprotocol.as_ref().filter(|_| !hide) {
                    let _ = write!(b, ", subprotocol {}", wire(s, 60));
                }
                if let Some(e) = h.extensions.as_ref().filter(|_| !hide) {
                    let _ = write!(b, ", extensions {}", wire(e, 80));
                }
                b
            }
            Some(code) => format!("HTTP {code}: the upgrade was refused"),
            None => "the upgrade's answer".into(),
        };
        put_at(chat, p, body);
    }
    for f in &c.close_frames {
        let body = match f.code {
            Some(code) => {
                let name = f.name.unwrap_or("");
                let mut b = format!("{} close {code} {name}", side(f.from));
                if hide && !f.reason.is_empty() {
                    let _ = write!(b, ", its reason {WITHHELD}");
                } else if !f.reason.is_empty() {
                    let _ = write!(b, " \"{}\"", wire(&f.reason, 120));
                }
                b
            }
            None => format!("{} close frame with no status code", side(f.from)),
        };
        put_at(chat, f.packet, body);
    }
    for e in &c.stream_ends {
        let mut body = format!("{} HTTP/2 {}", side(e.by), e.kind.frame());
        if let Some(code) = &e.error_code {
            let _ = write!(body, " {}", wire(code, 40));
        }
        put_at(chat, e.packet, body);
    }
    if let Some(tls) = &c.tls {
        for (role, p) in [
            (Role::Client, tls.close_notify.client),
            (Role::Server, tls.close_notify.server),
        ] {
            if let Some(p) = p {
                put_at(chat, p, format!("{} TLS close_notify", side(role)));
            }
        }
        for a in &tls.alerts {
            put_at(
                chat,
                a.packet,
                format!(
                    "{} TLS alert {} {}",
                    side(a.from),
                    wire(&a.level, 20),
                    wire(&a.description, 60)
                ),
            );
        }
    }
    for e in &c.tcp_ends {
        put_at(
            chat,
            e.packet,
            format!("TCP {} by the {}", e.kind.name(), side(e.by)),
        );
    }
    for f in c
        .findings
        .iter()
        .filter(|f| f.packet.is_some())
        .take(MAX_FINDINGS)
    {
        if let Some(p) = f.packet {
            let detail = if hide {
                WITHHELD.to_string()
            } else {
                wire(&f.detail, 200)
            };
            let level = if f.kind.is_violation() {
                Level::Warning
            } else {
                Level::Chat
            };
            put_at(level, p, format!("{}: {detail}", f.kind.as_str()));
        }
    }
    // The diagnosis as the reports state it (`report::facts`): what the application and
    // the capture show, on the packets they rest on, and the evidence on its own packets.
    let facts = facts::facts(c, &[], None);
    let decisive = facts::decisive(c);
    let clean = facts::clean_close(c);
    let verdict = if clean {
        Level::Note
    } else if failed(c) {
        Level::Error
    } else {
        Level::Warning
    };
    // The incident this ending belongs to, on the deciding packet: its kind and headline
    // (the tool's words and the addresses the packet carries anyway), said as a warning.
    let incident = c
        .incident
        .and_then(|n| incidents.iter().find(|i| i.id == n));
    // A session that fell silent has no ending packet: its first segment never
    // acknowledged decided it (as the incident stage read it).
    let deciding = decisive.or_else(|| crate::report::incidents::silent(c).map(|s| s.2));
    if let (Some(i), Some(p)) = (incident, deciding) {
        put_at(
            Level::Warning,
            p,
            format!(
                "incident {} ({}): {}",
                i.id,
                i.kind.name(),
                if hide {
                    i.headline_withheld()
                } else {
                    i.headline()
                }
            ),
        );
    }
    for f in facts
        .iter()
        .filter(|f| f.place != Place::Row && !(incident.is_some() && f.kind == FactKind::Incident))
    {
        // The diagnosis' words quote the wire (a reason, an application's message).
        let text = if hide {
            format!("{}: {WITHHELD}", f.label)
        } else {
            terminal(&f.plain()).into_owned()
        };
        for &p in &f.packets {
            if f.kind == FactKind::Evidence && Some(p) == decisive {
                continue;
            }
            // What the capture shows, on the deciding packet, carries the verdict; the
            // rest of a problem's diagnosis is a note, of a clean close chat.
            let level = if f.kind == FactKind::Shows && Some(p) == decisive {
                verdict
            } else if clean {
                Level::Chat
            } else {
                Level::Note
            };
            put_at(level, p, text.clone());
        }
    }
}

/// The comments of a session seen at two points (issue 103) on each point's packets, what
/// the other point saw (`words::points::comments`: the points named on each one's first
/// packet, "not seen at the server's point" on a packet lost between them, "made between
/// the points" on one a box made). `add` gets the point's input, the packet's number in it
/// and the comment. They cite no packet (nothing to renumber) and hold no decrypted text;
/// a file or interface name is escaped as wire text.
pub(super) fn points_notes(c: &ConnectionReport, add: &mut dyn FnMut(usize, u64, String)) {
    use crate::report::words::points::{comments, Weight};
    let Some(p) = &c.points else {
        return;
    };
    let status = match c.status.code {
        Some(code) => format!("{code} {}", c.status.name),
        None => c.status.name.to_string(),
    };
    let status = terminal(&status);
    for (k, packet, weight, body) in comments(p) {
        let Some(pt) = p.points.get(k) else {
            continue;
        };
        let level = match weight {
            Weight::Chat => Level::Chat,
            Weight::Note => Level::Note,
            Weight::Warning => Level::Warning,
        };
        let head = format!("wsclose #{} [{status}] {}: ", c.id, level.as_str());
        let body = ellipsis(&unforgeable(&terminal(&body)), MAX_FACT);
        let room = MAX_COMMENT.saturating_sub(head.len());
        if body.len() <= room {
            add(pt.input, packet, format!("{head}{body}"));
            continue;
        }
        let parts = split(&body, room.saturating_sub(" (10/10)".len()));
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            add(pt.input, packet, format!("{head}{part} ({}/{n})", i + 1));
        }
    }
}

/// The section header's comments: the tool, the command, the summary by status.
pub fn header(report: &Report, command: Option<&str>) -> Vec<String> {
    let mut lines = vec![format!(
        "wsclose {}: {} WebSocket connection(s) commented; filter one with {FILTER}",
        env!("CARGO_PKG_VERSION"),
        report.summary.connections
    )];
    if let Some(cmd) = command {
        lines.push(bounded(format!("command: {}", terminal(cmd))));
    }
    let mut by = String::from("by status:");
    for (status, n) in &report.summary.by_status {
        let _ = write!(by, " {n} × {};", terminal(status));
    }
    lines.push(bounded(by.trim_end_matches(';').to_string()));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whole sentences go together while they fit; a longer one is split at its clauses,
    /// then its words, then its characters; nothing is lost and no part is over the limit.
    #[test]
    fn split_keeps_sentences_and_loses_nothing() {
        let text = "One sentence here. Another one, a little longer; with clauses. Third.";
        assert_eq!(
            split(text, 40),
            [
                "One sentence here.",
                "Another one, a little longer;",
                "with clauses. Third."
            ]
        );
        assert_eq!(split(text, 200), [text]);
        assert_eq!(split("", 10), [""]);
        let long = format!("{} end.", "é".repeat(30));
        for max in [8, 9, 13, 40] {
            let parts = split(&long, max);
            assert!(parts.iter().all(|p| p.len() <= max), "{max}: {parts:?}");
            assert_eq!(
                parts.concat().replace(' ', ""),
                long.replace(' ', ""),
                "{max}"
            );
        }
        let words = "alpha beta gamma delta epsilon zeta eta theta iota kappa";
        let parts = split(words, 17);
        assert!(parts.iter().all(|p| p.len() <= 17), "{parts:?}");
        assert_eq!(parts.join(" "), words);
    }
}

/// `text` with each packet it cites moved on by `offset` frames: the numbers after
/// "packet", "packets" or "pkt" (a space or a no-break space between), and the numbers
/// listed or ranged after them ("packets 3, 5 and 7", "packets 3–9"); not inside double
/// quotes, where wire text (a close reason, a message) is quoted.
pub(super) fn renumber(text: &str, offset: u64) -> String {
    if offset == 0 {
        return text.to_string();
    }
    const WORDS: [&str; 6] = [
        "packets ",
        "packet ",
        "pkt ",
        "packets\u{a0}",
        "packet\u{a0}",
        "pkt\u{a0}",
    ];
    const JOINS: [&str; 6] = [", and ", " and ", ", ", "–", " to ", "-"];
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    let mut quoted = false;
    // Copies the number at the start of `rest` moved on, if there is one.
    let number = |rest: &mut &str, out: &mut String| -> bool {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<u64>() {
            Ok(n) if digits > 0 => {
                out.push_str(&n.saturating_add(offset).to_string());
                *rest = &rest[digits..];
                true
            }
            _ => false,
        }
    };
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted {
            let word = WORDS.iter().find(|w| rest.starts_with(**w));
            let starts_word = out.chars().next_back().is_none_or(|p| !p.is_alphanumeric());
            if let (Some(w), true) = (word, starts_word) {
                out.push_str(w);
                rest = &rest[w.len()..];
                if number(&mut rest, &mut out) {
                    // A list or range of packets goes on.
                    while let Some(j) = JOINS.iter().find(|j| {
                        rest.starts_with(**j)
                            && rest[j.len()..].starts_with(|d: char| d.is_ascii_digit())
                    }) {
                        out.push_str(j);
                        rest = &rest[j.len()..];
                        number(&mut rest, &mut out);
                    }
                }
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod renumber_tests {
    use super::renumber;

    #[test]
    fn cited_packets_move_on_quoted_text_does_not() {
        assert_eq!(
            renumber(
                "the RST (packet 10), after the message (packets 7, 8 and 9)",
                13
            ),
            "the RST (packet 23), after the message (packets 20, 21 and 22)"
        );
        assert_eq!(
            renumber("FIN [pkt\u{a0}4], packets 3–9", 100),
            "FIN [pkt\u{a0}104], packets 103–109"
        );
        assert_eq!(
            renumber("close 1000 \"see packet 5\" at packet 5", 10),
            "close 1000 \"see packet 5\" at packet 15"
        );
        assert_eq!(renumber("packet 10", 0), "packet 10");
        assert_eq!(
            renumber("subpacket 3 and 1008 codes", 5),
            "subpacket 3 and 1008 codes"
        );
    }
}
