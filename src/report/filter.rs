//! Choosing which connections a report shows: `--connection`, `--status` (codes, ranges,
//! `open`, `refused`, `unknown`), `--problems`, `--host`, `--port`; and `--fail-on`.
//!
//! In: a full [`Report`] and the user's selection. Out: the report with only the chosen
//! connections (ids unchanged, so `--connection 7` always means the same one), and the
//! summary recounted over them. Connections in a store are read back once to choose.
//! `--host` and `--port` also choose among the TLS connections listed as encrypted
//! (`seen.encrypted`), by address, port and SNI; the other criteria say nothing of them
//! (they have no id and no status), and those counted beyond the list cannot be chosen.

use super::tls::EncryptedReport;
use super::{ConnectionReport, Host, Report};
use std::str::FromStr;

/// A status as the user names it on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusSpec {
    /// A code or an inclusive range of codes (`1006`, `4000-4999`).
    Codes(u16, u16),
    /// Still open at the end of the capture.
    Open,
    /// Still open when a cap (`--max-flows`, `--idle-timeout`) ended it early.
    Evicted,
    /// The upgrade was refused.
    Refused,
    /// A close whose code the capture lacks.
    Unknown,
}

impl std::fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusSpec::Codes(a, b) if a == b => write!(f, "{a}"),
            StatusSpec::Codes(a, b) => write!(f, "{a}-{b}"),
            StatusSpec::Open => f.write_str("open"),
            StatusSpec::Evicted => f.write_str("evicted"),
            StatusSpec::Refused => f.write_str("refused"),
            StatusSpec::Unknown => f.write_str("unknown"),
        }
    }
}

impl FromStr for StatusSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<StatusSpec, String> {
        let bad = || {
            format!("'{s}' is not a status: use a code (1006), a range (4000-4999), open, evicted, refused or unknown")
        };
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(StatusSpec::Open),
            "evicted" => Ok(StatusSpec::Evicted),
            "refused" => Ok(StatusSpec::Refused),
            "unknown" => Ok(StatusSpec::Unknown),
            t => match t.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (
                        a.trim().parse().map_err(|_| bad())?,
                        b.trim().parse().map_err(|_| bad())?,
                    );
                    if a > b {
                        return Err(format!("'{s}': the range is backwards"));
                    }
                    Ok(StatusSpec::Codes(a, b))
                }
                None => t
                    .parse()
                    .map(|c| StatusSpec::Codes(c, c))
                    .map_err(|_| bad()),
            },
        }
    }
}

impl StatusSpec {
    /// Whether connection `c`'s status is this one.
    pub fn matches(&self, c: &ConnectionReport) -> bool {
        match (self, c.status.code) {
            (StatusSpec::Codes(a, b), Some(code)) => (*a..=*b).contains(&code),
            (StatusSpec::Codes(..), None) => false,
            (StatusSpec::Open, _) => c.status_kind() == super::StatusKey::Open,
            (StatusSpec::Evicted, _) => c.status_kind() == super::StatusKey::Evicted,
            (StatusSpec::Refused, _) => c.status_kind() == super::StatusKey::Refused,
            (StatusSpec::Unknown, _) => c.status_kind() == super::StatusKey::Unknown,
        }
    }
}

/// Which connections to show; an empty selection shows all.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// These connection ids (`--connection`); empty: all.
    pub connections: Vec<u64>,
    /// Any of these statuses (`--status`); empty: all.
    pub statuses: Vec<StatusSpec>,
    /// Everything but clean 1000/1001 closes.
    pub problems: bool,
    /// Matches the Host header or either address (case-insensitive substring).
    pub host: Option<String>,
    /// Matches either port.
    pub port: Option<u16>,
}

impl Selection {
    /// Whether it selects everything.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
            && self.statuses.is_empty()
            && !self.problems
            && self.host.is_none()
            && self.port.is_none()
    }

    /// The selection as the command line gave it ("--status 1006 --port 443"), for the
    /// reports that say what a filter hid.
    pub fn describe(&self) -> String {
        self.describe_host(self.host.as_deref())
    }

    /// [`Selection::describe`] with the value of `--host` left out, for `--redact`.
    pub fn describe_redacted(&self) -> String {
        self.describe_host(self.host.as_ref().map(|_| "[redacted]"))
    }

    /// The selection's text, `--host` said as `host`.
    fn describe_host(&self, host: Option<&str>) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.connections.iter().map(|c| format!("--connection {c}")));
        parts.extend(self.statuses.iter().map(|s| format!("--status {s}")));
        if self.problems {
            parts.push("--problems".into());
        }
        if let Some(h) = host {
            parts.push(format!("--host {h}"));
        }
        if let Some(p) = self.port {
            parts.push(format!("--port {p}"));
        }
        parts.join(" ")
    }

    /// Whether it shows connection `c`.
    pub fn matches(&self, c: &ConnectionReport) -> bool {
        (self.connections.is_empty() || self.connections.contains(&c.id))
            && (self.statuses.is_empty() || self.statuses.iter().any(|s| s.matches(c)))
            && (!self.problems || is_problem(c))
            && self.host_matches(c.handshake.host.as_deref(), &c.client, &c.server)
            && self
                .port
                .is_none_or(|p| c.endpoints.0.port == p || c.endpoints.1.port == p)
    }

    /// An encrypted connection: `--host` on its SNI or either address, `--port` on either
    /// port (nothing else of the selection applies to it).
    pub fn matches_encrypted(&self, e: &EncryptedReport) -> bool {
        self.host_matches(e.tls.sni.as_deref(), &e.client, &e.server)
            && self
                .port
                .is_none_or(|p| port_of(&e.client) == Some(p) || port_of(&e.server) == Some(p))
    }

    /// `--host`, if given, is in `name` (a Host header, an SNI) or either address
    /// (case-insensitive).
    fn host_matches(&self, name: Option<&str>, client: &Host, server: &Host) -> bool {
        self.host.as_deref().is_none_or(|h| {
            let h = h.to_ascii_lowercase();
            name.is_some_and(|x| x.to_ascii_lowercase().contains(&h))
                || client.to_string().to_ascii_lowercase().contains(&h)
                || server.to_string().to_ascii_lowercase().contains(&h)
        })
    }

    /// Keeps the matching connections and recounts the summary over them. Fails only if
    /// stored connections cannot be read back.
    pub fn apply(&self, report: &mut Report) -> std::io::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        // What each input holds, said on its line whatever is shown.
        if report.found_per_input.is_none() {
            report.found_per_input = Some(report.per_input());
        }
        if report.stored.is_some() {
            let mut keep = Vec::new();
            report.for_each_connection(|c| {
                keep.push(self.matches(c));
                Ok(())
            })?;
            if let Some(store) = &mut report.stored {
                store.retain(&keep);
            }
        } else {
            report.connections.retain(|c| self.matches(c));
        }
        report.recount();
        if self.host.is_some() || self.port.is_some() {
            let all = report.summary.encrypted_connections;
            report.seen.encrypted.retain(|e| self.matches_encrypted(e));
            report.summary.encrypted_connections = report.seen.encrypted_count();
            if report.summary.encrypted_connections < all {
                report.summary.total_encrypted_connections = Some(all);
            }
        }
        report.summary.filter = Some(self.describe());
        report.selection = Some(self.clone());
        Ok(())
    }
}

/// The port of an endpoint, or of a pseudonym (`host-3f2a9c:443`).
fn port_of(h: &Host) -> Option<u16> {
    match h {
        Host::Addr(ep) => Some(ep.port),
        Host::Named(name) => name.rsplit_once(':').and_then(|(_, p)| p.parse().ok()),
    }
}

/// "N of M WebSocket connections shown (filter: …)" when a selection hid some of them,
/// with ", K of L encrypted connections listed" when it hid some of those, else `None`.
/// Its words are not sanitized: a host given on the command line is in them.
pub fn shown_line(report: &Report) -> Option<String> {
    let s = &report.summary;
    let filter = s.filter.as_deref()?;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut said = Vec::new();
    let (shown, total) = (s.connections, s.total_connections);
    if shown < total {
        said.push(format!(
            "{shown} of {total} WebSocket connection{} shown",
            plural(total)
        ));
    }
    if let Some(all) = s.total_encrypted_connections {
        said.push(format!(
            "{} of {all} encrypted connection{} listed",
            s.encrypted_connections,
            plural(all)
        ));
    }
    (!said.is_empty()).then(|| format!("{} (filter: {filter})", said.join(", ")))
}

/// A whole report longer than this many connections gets [`narrowing_hint`] after its table.
pub const HINT_ABOVE: u64 = 30;

/// For a table of every connection of a large capture (no selection given): a line naming
/// the flags that narrow it, with this report's most frequent status other than a clean
/// close as the `--status` example. `None` for a short report or a selected one.
pub fn narrowing_hint(report: &Report, selection: &Selection) -> Option<String> {
    let shown = report.summary.connections;
    if !selection.is_empty() || shown <= HINT_ABOVE {
        return None;
    }
    // The most frequent status other than 1000/1001 (the first such key on a tie).
    let example = report
        .summary
        .by_status
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "1000" | "1001"))
        .min_by_key(|(_, n)| std::cmp::Reverse(**n));
    let status = match example {
        Some((k, n)) => format!("--status {k} ({n} here)"),
        None => "--status CODE".to_string(),
    };
    Some(format!(
        "{shown} connections listed; narrow them with --problems (all but clean 1000/1001 closes), {status}, --host, --port or --connection ID"
    ))
}

/// Not a clean close: anything but 1000/1001, or a 1000/1001 with protocol violations.
pub fn is_problem(c: &ConnectionReport) -> bool {
    !matches!(c.status.code, Some(1000) | Some(1001))
        || c.findings.iter().any(|f| f.kind.is_violation())
        // A clean code that an application did not get: the peer's reply was no valid
        // close frame (lighttpd's "1000" as text, read as 12592), so its library saw 1006.
        || [c.seen_by.client, c.seen_by.server]
            .into_iter()
            .flatten()
            .any(|s| !matches!(s, 1000 | 1001 | 1005))
        // A clean code whose reason's words name something to fix ("ping timed out").
        || c.status.causes.iter().any(|k| {
            matches!(k, crate::report::Cause::ReasonWords { names, .. }
                if crate::report::words::reason::is_problem(names))
        })
        // A clean code right after a last message that reads as an error.
        || c.status
            .causes
            .iter()
            .any(|k| matches!(k, crate::report::Cause::LastWords { .. }))
        // A close that answered the peer's message: its handler failed on it or rejected it.
        || c.status
            .causes
            .iter()
            .any(|k| matches!(k, crate::report::Cause::CloseAnswersMessage { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report with these counts per status (no connection bodies: the hint reads the
    /// summary only).
    fn counted(by_status: &[(&str, u64)]) -> Report {
        let mut r = Report::new(Vec::new(), Vec::new(), crate::report::Seen::default());
        for (k, n) in by_status {
            r.summary.by_status.insert((*k).to_string(), *n);
            r.summary.connections += n;
        }
        r
    }

    #[test]
    fn the_hint_comes_for_a_long_unselected_table_only() {
        let none = Selection {
            connections: vec![],
            statuses: vec![],
            problems: false,
            host: None,
            port: None,
        };
        let big = counted(&[("1000", 500), ("1006", 40), ("4001", 40), ("open", 7)]);
        assert_eq!(
            narrowing_hint(&big, &none).as_deref(),
            Some("587 connections listed; narrow them with --problems (all but clean 1000/1001 closes), --status 1006 (40 here), --host, --port or --connection ID")
        );
        let clean = counted(&[("1000", 20), ("1001", 11)]);
        assert!(narrowing_hint(&clean, &none)
            .unwrap()
            .contains(", --status CODE, "));
        let short = counted(&[("1006", HINT_ABOVE)]);
        assert_eq!(narrowing_hint(&short, &none), None);
        let selected = Selection {
            problems: true,
            ..none
        };
        assert_eq!(narrowing_hint(&big, &selected), None);
    }

    #[test]
    fn a_redacted_selection_leaves_the_host_out() {
        let s = Selection {
            connections: vec![],
            statuses: vec![StatusSpec::Codes(1006, 1006)],
            problems: false,
            host: Some("db.internal".into()),
            port: Some(443),
        };
        assert_eq!(s.describe(), "--status 1006 --host db.internal --port 443");
        assert_eq!(
            s.describe_redacted(),
            "--status 1006 --host [redacted] --port 443"
        );
        let port = Selection {
            host: None,
            ..s.clone()
        };
        assert_eq!(port.describe_redacted(), "--status 1006 --port 443");
    }

    #[test]
    fn parse_specs() {
        assert_eq!("1006".parse(), Ok(StatusSpec::Codes(1006, 1006)));
        assert_eq!("4000-4999".parse(), Ok(StatusSpec::Codes(4000, 4999)));
        assert_eq!("OPEN".parse(), Ok(StatusSpec::Open));
        assert!("4999-4000".parse::<StatusSpec>().is_err());
        assert!("abc"
            .parse::<StatusSpec>()
            .unwrap_err()
            .contains("not a status"));
    }
}
