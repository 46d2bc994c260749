//! What the annotated capture's comments say: one connection's comments on the packets
//! they are about (the handshake, the close frames, HTTP/2 stream and TLS endings, TCP
//! FIN and RST, findings, and the diagnosis as `report::facts` states it), the section
//! header's comments, and the rules every comment keeps (the `wsclose #ID [STATUS]:`
//! prefix, wire text escaped and unforgeable, at most [`MAX_COMMENT`] bytes, text only
//! decryption showed [`WITHHELD`]). Writing them into the capture is `annotate`'s.

use crate::flow::Role;
use crate::report::facts::{self, Place};
use crate::report::{ConnectionReport, Report};
use crate::sanitize::{cut, terminal};
use std::fmt::Write as _;

/// The longest comment, in bytes (cut at a character, with "…").
pub const MAX_COMMENT: usize = 400;

/// The most findings commented on one connection (the report keeps up to 200).
const MAX_FINDINGS: usize = 16;

/// `text` cut to `max` bytes at a character, with "…" (within `max`) when it was cut.
fn ellipsis(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    format!("{}…", cut(text, max - '…'.len_utf8()))
}

/// `text` cut to [`MAX_COMMENT`] bytes.
fn bounded(text: String) -> String {
    if text.len() <= MAX_COMMENT {
        return text;
    }
    ellipsis(&text, MAX_COMMENT)
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
    reveal: bool,
    add: &mut dyn FnMut(u64, String),
) {
    let hide = c.tls.is_some() && !reveal;
    let status = match c.status.code {
        Some(code) => format!("{code} {}", c.status.name),
        None => c.status.name.to_string(),
    };
    let head = format!("wsclose #{} [{}]: ", c.id, terminal(&status));
    let mut put =
        |packet: u64, body: String| add(packet, bounded(format!("{head}{}", unforgeable(&body))));
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
        put(p, body);
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
        put(p, body);
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
        put(f.packet, body);
    }
    for e in &c.stream_ends {
        let mut body = format!("{} HTTP/2 {}", side(e.by), e.kind.frame());
        if let Some(code) = &e.error_code {
            let _ = write!(body, " {}", wire(code, 40));
        }
        put(e.packet, body);
    }
    if let Some(tls) = &c.tls {
        for (role, p) in [
            (Role::Client, tls.close_notify.client),
            (Role::Server, tls.close_notify.server),
        ] {
            if let Some(p) = p {
                put(p, format!("{} TLS close_notify", side(role)));
            }
        }
        for a in &tls.alerts {
            put(
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
        let kind = match e.kind {
            crate::report::EndKind::Fin => "FIN",
            crate::report::EndKind::Rst => "RST",
        };
        put(e.packet, format!("TCP {kind} by the {}", side(e.by)));
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
            put(p, format!("{}: {detail}", f.kind.as_str()));
        }
    }
    // The diagnosis as the reports state it (`report::facts`): what the application and
    // the capture show, on the packets they rest on, and the evidence on its own packets.
    let facts = facts::facts(c, &[], None);
    let decisive = facts::decisive(c);
    for f in facts.iter().filter(|f| f.place != Place::Row) {
        // The diagnosis' words quote the wire (a reason, an application's message).
        let text = if hide {
            format!("{}: {WITHHELD}", f.label)
        } else {
            wire(&f.plain(), MAX_COMMENT)
        };
        for &p in &f.packets {
            if f.label == "Evidence" && Some(p) == decisive {
                continue;
            }
            put(p, text.clone());
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
