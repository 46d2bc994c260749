//! `wsclose explain CODE [CODE]` and `wsclose codes`: the catalog as text or JSON.
//!
//! In: one or two close codes, or none (the whole catalog). Out: each code's entry (name,
//! whether it may be sent, meaning, when you see it, how to fix it, reference), and for two
//! codes the catalog's comparison of them when it has one. Also an incident's kind
//! (`server-restart`) and a cause's kind (`abrupt-ending`): the latter read from the
//! "Cause kinds" table of docs/causes.md, built in, so the doc and `explain` say one text.
//!
//! Outside `render/` (which reads only the finished model): it reads the close-code
//! catalog and the incident stage's words and thresholds, not a report.

use crate::close::catalog::{self, Entry, OnWire};
use crate::render::text::fill;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use std::fmt::Write;

fn label(e: &Entry, code: u16) -> String {
    if e.first == e.last {
        format!("{code} {}", e.name)
    } else {
        format!("{code} ({}, {}-{})", e.name, e.first, e.last)
    }
}

fn on_wire(e: &Entry) -> &'static str {
    match e.on_wire {
        OnWire::Allowed => "yes, an endpoint may send it",
        OnWire::Never => {
            "never: a local status only (RFC 6455 §7.4.1); seeing it in a frame is a protocol error"
        }
        OnWire::Invalid => {
            "no: not assigned; a close frame carrying it is a protocol error (RFC 6455 §7.4.2)"
        }
    }
}

/// The width of a field's label column ("  When you see it:  ").
const LABEL: usize = 20;

/// One field: its label, then its text, wrapped at `width` columns (display width, at
/// spaces, a word longer than a line left whole) under a hanging indent; one line when
/// `width` is `None` (not a terminal: the text stays one line per field, for grep).
fn field(out: &mut String, label: &str, text: &str, width: Option<u16>) {
    let first = format!("  {:<w$}", format!("{label}:"), w = LABEL - 2);
    let hanging = " ".repeat(LABEL);
    match width {
        Some(w) => {
            // Below 40 columns a label leaves too little room: wrap at 40 anyway.
            out.push_str(&fill(text, &first, &hanging, usize::from(w).max(40)));
            out.push('\n');
        }
        None => {
            let _ = writeln!(out, "{first}{text}");
        }
    }
}

/// The entries of one or two codes (and their comparison), wrapped at `width` columns
/// when given (see `field`).
pub fn explain(codes: &[u16], width: Option<u16>) -> String {
    let mut out = String::new();
    for &code in codes {
        let e = catalog::lookup(code);
        let _ = writeln!(out, "{}", label(e, code));
        field(&mut out, "On the wire", on_wire(e), width);
        field(&mut out, "Meaning", e.meaning, width);
        field(&mut out, "When you see it", e.causes, width);
        field(&mut out, "How to fix it", e.fix, width);
        field(&mut out, "Reference", e.reference, width);
        out.push('\n');
    }
    if let [a, b] = codes {
        let _ = writeln!(out, "{a} vs {b}");
        match catalog::pair(*a, *b) {
            Some(p) => {
                field(&mut out, "Key difference", p.difference, width);
                field(&mut out, "Which to use", p.which, width);
            }
            None => {
                let (ea, eb) = (catalog::lookup(*a), catalog::lookup(*b));
                let text = format!(
                    "The catalog has no written comparison of these two; compare their meanings above: {} / {}.",
                    ea.name, eb.name
                );
                match width {
                    Some(w) => {
                        let _ =
                            writeln!(out, "{}", fill(&text, "  ", "  ", usize::from(w).max(40)));
                    }
                    None => {
                        let _ = writeln!(out, "  {text}");
                    }
                }
            }
        }
    }
    out
}

/// `wsclose explain server-restart`: what each incident kind is (closes of several
/// connections that belong together), when the report calls one, and its fix.
pub fn explain_incidents(kinds: &[crate::vocab::IncidentKind], width: Option<u16>) -> String {
    let mut out = String::new();
    for &k in kinds {
        let _ = writeln!(out, "{} (an incident)", k.name());
        field(
            &mut out,
            "Meaning",
            crate::report::words::incident::kind_cause(k),
            width,
        );
        field(&mut out, "Called when", &incident_rule(k), width);
        field(
            &mut out,
            "How to fix it",
            crate::report::words::incident::kind_fix(k),
            width,
        );
        field(&mut out, "Reference", "docs/causes.md (Incidents)", width);
        out.push('\n');
    }
    out
}

/// docs/causes.md, whose "Cause kinds" table is what `wsclose explain KIND` says of a
/// cause's kind (one text: the doc and the command cannot drift apart).
const CAUSES_MD: &str = include_str!("../docs/causes.md");

/// The rows of docs/causes.md's "Cause kinds" table: each kind, what it says and its JSON
/// fields (Markdown, as written there).
fn cause_rows() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    CAUSES_MD
        .split("\n## ")
        .find(|s| s.starts_with("Cause kinds"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("| `")?;
            let (kind, rest) = rest.split_once("` | ")?;
            let rest = rest.trim_end().strip_suffix('|')?.trim_end();
            let (says, fields) = rest.rsplit_once(" | ")?;
            Some((kind, says, fields.trim()))
        })
}

/// The name of a cause's kind as `status.causes[].kind` writes it (`abrupt-ending`), if
/// `name` is one (docs/causes.md lists it).
pub fn cause_kind(name: &str) -> Option<&'static str> {
    cause_rows().find(|r| r.0 == name).map(|r| r.0)
}

/// Every cause's kind docs/causes.md explains, in its order.
pub fn cause_kinds() -> Vec<&'static str> {
    cause_rows().map(|r| r.0).collect()
}

/// Markdown's code marks taken out, for the terminal.
fn plain(md: &str) -> String {
    md.replace('`', "")
}

/// `wsclose explain abrupt-ending`: what a cause's kind says in a report, and the fields it
/// carries in JSON (docs/causes.md's row).
pub fn explain_causes(kinds: &[&str], width: Option<u16>) -> String {
    let mut out = String::new();
    for (kind, says, fields) in kinds
        .iter()
        .filter_map(|k| cause_rows().find(|r| r.0 == *k))
    {
        let _ = writeln!(out, "{kind} (a cause, in status.causes)");
        field(&mut out, "Meaning", &plain(says), width);
        field(&mut out, "JSON fields", &plain(fields), width);
        field(&mut out, "Reference", "docs/causes.md (Cause kinds)", width);
        out.push('\n');
    }
    out
}

/// [`explain_causes`] as JSON.
pub fn explain_causes_json(kinds: &[&str]) -> String {
    let v: Vec<_> = kinds
        .iter()
        .filter_map(|k| cause_rows().find(|r| r.0 == *k))
        .map(|(kind, says, fields)| {
            let fields: Vec<String> = fields
                .split(", ")
                .map(plain)
                .filter(|f| !f.is_empty() && f != "—")
                .collect();
            serde_json::json!({ "cause": kind, "meaning": plain(says), "fields": fields })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "causes": v })).unwrap_or_default() + "\n"
}

/// [`explain_incidents`] as JSON.
pub fn explain_incidents_json(kinds: &[crate::vocab::IncidentKind]) -> String {
    let v: Vec<_> = kinds
        .iter()
        .map(|&k| {
            serde_json::json!({
                "incident": k.name(),
                "meaning": crate::report::words::incident::kind_cause(k),
                "when": incident_rule(k),
                "needs": {
                    "all": k.needs().all,
                    "any": k.needs().any,
                    "none": k.needs().none,
                },
                "fix": crate::report::words::incident::kind_fix(k),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "incidents": v })).unwrap_or_default() + "\n"
}

/// When the report calls an incident of kind `k`: its thresholds (`incident`'s constants).
fn incident_rule(k: crate::vocab::IncidentKind) -> String {
    use crate::incident as i;
    use crate::vocab::IncidentKind as K;
    let n = i::MIN_MEMBERS;
    match k {
        K::StatedDecision => format!(
            "{n} or more sessions one side closed with one close code within moments of each other (a shape found as a stop, a rejection or a cut) where no other kind's evidence holds: the side's stated decision, named by its code."
        ),
        K::ServerRestart | K::ServerStop | K::ProxyReload => format!(
            "{n} or more sessions of one server (or proxy) that it ended the same way (FIN or RST, or one close code) within {} s of the first, which were open then and are at least three quarters of the sessions open to it at that moment (later ends join while each is within {} s of the one before). A restart when the server accepted a session afterwards (or said 1012), else a stop; a proxy when most of them went through one.",
            i::BURST_S, i::GAP_S
        ),
        K::IdleTimeoutCohort => format!(
            "{n} or more sessions of one server, not already in an incident, ended after a quiet spell of at least {} s, of the same length (within {} s or 2 %, whichever is larger).",
            i::IDLE_MIN_S, i::IDLE_TOLERANCE_S
        ),
        K::ClientDrop => format!(
            "{n} or more TCP connections of one client host ended by its own FIN or RST (no close frame: its processes ended), or fallen silent (its network went), within {} s, at least three quarters of those it had open.",
            i::CLIENT_BURST_S
        ),
        K::OverloadShedding => format!(
            "{n} or more closes by one server with 1013 or 1014 (or upgrades refused with 503 or 429), each within {} s of the one before.",
            i::SHED_GAP_S
        ),
        K::RejectionLoop => format!(
            "{n} or more refusals of one client host by one server with the same code (1002, 1003, 1007-1010, 3000-4999, or an upgrade refused with a 4xx but 429), each the retry that replaced the one before and within {} s of it, and together at least {} % of that host's endings with that server from the first to the last.",
            i::RETRY_GAP_S,
            i::REJECTION_SHARE * 100.0
        ),
        K::MassRejection => format!(
            "{n} or more refusals with the same code by one server, to at least {n} client hosts, each within {} s of the one before, and together at least {} % of the server's endings from the first to the last.",
            i::MASS_GAP_S,
            i::REJECTION_SHARE * 100.0
        ),
        K::ServerStall => format!(
            "{n} or more sessions of one server ended by their clients after their pings went unanswered (a heartbeat that gave up), none of the clients' data left unacknowledged by the server's TCP, each ping within {} s of the one before, and one moment that fits them all: after the server's last frame on each, by the first unanswered ping of each ({} s of slack); not when the server answered other sessions open then, after that moment, more than a quarter as many as went unanswered.",
            i::STALL_GAP_S, i::STALL_SLACK_S
        ),
        K::CrashLoop => format!(
            "Two or more stops or restarts of one server (each as above), each within {} s of the server's coming back from the one before (the next session it accepted).",
            i::CRASH_LOOP_S
        ),
        K::MiddleboxReset => format!(
            "{n} or more sessions ended by an RST whose TTL lies outside those of the packets the side it names sent before (`reset-not-from-peer`), each within {} s of the one before; read before stops, so no restart or client drop is named for them.",
            i::MIDDLEBOX_GAP_S
        ),
        K::BackendStop => format!(
            "A server stop or restart (as above) whose members are mostly back legs of sessions through a proxy (their client the proxy): a backend behind it stopped or drained; a member came back when its front leg's client opened a new session through the same front (to any backend), within {} s.",
            i::RECONNECT_MAX_S
        ),
        K::TlsRejectedRestart => format!(
            "A server stop (as above) after which TLS handshakes to the server were refused by their clients once the server had answered with its hello: a fatal alert of the client's (read in the clear or with the key log), or in TLS 1.3 a protected record of an alert's size (at most 24 bytes) as the client's only protected record, then the end of the connection; counted to the tenth of a second from the stop's first end to the capture's end. {n} or more members, as a stop.",
        ),
        K::Partition => format!(
            "{n} or more sessions of one server whose path went silent both ways at once (each side's data retransmitted at least 3 times, unacknowledged, for at least {} s in common, and then a packet through again), which ended by {} s after their path healed; read before every other kind. The sessions of the same silence that lived on are its survivors.",
            crate::diagnose::outage::MIN_OUTAGE_S, i::HEAL_SLACK_S
        ),
        K::SlowConsumers => format!(
            "{n} or more sessions of one server that it ended (a close frame, FIN or RST) after their clients' receive windows had been zero (`reader-stopped` or `receive-window-closed`, the client the reader, the server's end during the spell or queued behind it), each within {} s of the one before, while the server's other sessions open at the first of those ends and still open after the last were at least one and more than those of them it ended otherwise in that window.",
            i::SLOW_GAP_S
        ),
    }
}

/// [`explain`] as JSON: the catalog's rows of `codes`.
pub fn explain_json(codes: &[u16]) -> String {
    let entries: Vec<_> = codes
        .iter()
        .map(|&c| serde_json::json!({"code": c, "entry": catalog::lookup(c)}))
        .collect();
    let pair = match codes {
        [a, b] => catalog::pair(*a, *b),
        _ => None,
    };
    let v = serde_json::json!({"codes": entries, "comparison": pair});
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// `wsclose codes`: the catalog as a table, wrapped to `width`.
pub fn codes(width: Option<u16>) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["Code", "Name", "Sent on the wire?", "Meaning"]);
    t.set_width(width.unwrap_or(160));
    for e in catalog::ENTRIES {
        let code = if e.first == e.last {
            e.first.to_string()
        } else {
            format!("{}-{}", e.first, e.last)
        };
        let wire = match e.on_wire {
            OnWire::Allowed => "yes",
            OnWire::Never => "never",
            OnWire::Invalid => "invalid",
        };
        t.add_row(vec![
            code,
            e.name.to_string(),
            wire.to_string(),
            e.meaning.to_string(),
        ]);
    }
    format!("{t}\n")
}

/// `wsclose codes --format json`: the catalog's rows.
pub fn codes_json() -> String {
    serde_json::to_string_pretty(&catalog::ENTRIES).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wrapped at any width, every line fits (by display width) and the words are those of
    /// the one-line text, in order; unwrapped, each field is one line.
    #[test]
    fn every_cause_kind_of_the_doc_is_explained_with_its_fields() {
        let kinds = cause_kinds();
        assert!(kinds.len() >= 50, "{kinds:?}");
        for k in [
            "abrupt-ending",
            "closing-cut-short",
            "incident-member",
            "last-message",
        ] {
            assert_eq!(cause_kind(k), Some(k));
            let t = explain_causes(&[k], Some(100));
            assert!(t.starts_with(&format!("{k} (a cause")), "{t}");
            assert!(t.contains("Meaning:") && t.contains("JSON fields:"), "{t}");
            assert!(!t.contains('`'), "{t}");
        }
        assert_eq!(
            cause_kind("server-restart"),
            None,
            "an incident's kind, not a cause's"
        );
        assert_eq!(cause_kind("no-such-cause"), None);
        let j: serde_json::Value =
            serde_json::from_str(&explain_causes_json(&["abrupt-ending"])).unwrap();
        assert_eq!(j["causes"][0]["cause"], "abrupt-ending");
        assert!(j["causes"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "afterwards"));
    }

    #[test]
    fn explain_wraps_to_the_width_and_keeps_every_word() {
        let words = |s: &str| -> Vec<String> {
            s.split_whitespace()
                .filter(|w| !w.ends_with(':'))
                .map(str::to_string)
                .collect()
        };
        for codes in [&[1006u16][..], &[1007, 1008], &[1000, 4001], &[3000]] {
            let flat = explain(codes, None);
            for width in [40u16, 57, 80, 120, 2000] {
                let wrapped = explain(codes, Some(width));
                for line in wrapped.lines() {
                    // Only a word longer than a line is left longer, alone on its line.
                    assert!(
                        textwrap::core::display_width(line) <= usize::from(width)
                            || line.split_whitespace().count() == 1,
                        "{width}: {line:?}"
                    );
                }
                // "On the wire:" and the other labels are dropped from both sides alike.
                assert_eq!(words(&wrapped), words(&flat), "{codes:?} at {width}");
            }
            // At 2000 columns nothing needs wrapping.
            assert_eq!(explain(codes, Some(2000)), flat);
        }
        // Unwrapped: six lines per code (its label and five fields).
        assert_eq!(explain(&[1006], None).lines().count(), 7);
    }
}
