//! The default table of a capture of thousands of connections (more than [`MANY`]): a
//! summary by status and cause, then the connections grouped, rather than a row each.
//!
//! In: the report's connections, read once before the document is written (counts only:
//! the memory is bounded by the statuses, causes and at most [`SERVERS_KEPT`] servers of
//! each, not by the capture). Out: two comfy-tables for the brief form of
//! `render::table`: the counts by status, cause (the kind of the first of the status's
//! causes that gives the connection's own cause or names what happened, else of the
//! first, the metrics' `cause` label) and closing side, with their servers; then a row per server,
//! status, closer and cause with its count and its connections' numbers (their first runs,
//! and the last), the largest [`SERVERS_SHOWN`] servers of each and the others in one row.
//! Every connection is counted in one row of each. `-v` or `--connection` gives each
//! connection its own row. Addresses go through `sanitize::terminal`.

use super::{new_table, statuses, ConnectionReport};
use crate::report::Report;
use crate::report::{facts, words};
use crate::sanitize::terminal;
use comfy_table::Cell;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Connections past which the brief table sums up and groups.
pub(super) const MANY: u64 = 1000;
/// Servers counted one by one for each status, cause and closer (the others together).
const SERVERS_KEPT: usize = 64;
/// Servers given a row of their own for each status, cause and closer, at most.
const SERVERS_SHOWN: usize = 3;
/// Rows of the groups' table, at most, unless each status, cause and closer needs one:
/// fewer servers in rows of their own, down to none.
const GROUP_ROWS: usize = 120;
/// Runs of consecutive connection numbers said in a group's row (then its last).
const RUNS_SHOWN: usize = 3;

/// The status, cause and closer shared by a group of connections; 1000 and 1001 last.
type Kind = (bool, String, &'static str, String);

/// The kind of a connection's cause: the first of its status's causes that gives the
/// connection's own cause or names what happened (`report::words`), else the first.
fn cause(c: &ConnectionReport) -> &'static str {
    let causes = &c.status.causes;
    causes
        .iter()
        .find(|k| words::states_own_cause(k) || words::names_what_happened(k))
        .or(causes.first())
        .map_or("none", |k| k.kind())
}

/// Connections of one kind (and server): how many, their first runs of numbers, the last.
#[derive(Default)]
struct Group {
    count: u64,
    runs: Vec<(u64, u64)>,
    last: u64,
}

impl Group {
    fn add(&mut self, id: u64) {
        self.count += 1;
        self.last = id;
        let shown = self.runs.len();
        match self.runs.last_mut() {
            Some(r) if r.1 + 1 == id => r.1 = id,
            _ if shown < RUNS_SHOWN => self.runs.push((id, id)),
            _ => {}
        }
    }

    /// "3–7, 12, 40–41, … 2 590".
    fn numbers(&self) -> String {
        let mut s = String::new();
        for (i, (a, b)) in self.runs.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = match b - a {
                0 => write!(s, "{a}"),
                _ => write!(s, "{a}–{b}"),
            };
        }
        if self.runs.last().is_some_and(|r| r.1 != self.last) {
            let _ = write!(s, ", … {}", self.last);
        }
        s
    }
}

/// The connections of one kind: by server (the first [`SERVERS_KEPT`]), and the rest.
#[derive(Default)]
struct Servers {
    count: u64,
    /// Every connection of the kind.
    all: Group,
    by: BTreeMap<String, Group>,
    rest: Group,
}

/// What the first pass gathers: the groups, and whether grouping fits this report.
#[derive(Default)]
pub(super) struct Groups {
    kinds: BTreeMap<Kind, Servers>,
}

impl Groups {
    /// The groups of `report`, when it has more than [`MANY`] connections and none is to
    /// be listed with its frames (`--timeline`); `None` otherwise.
    pub(super) fn of(report: &Report) -> Option<Groups> {
        if report.summary.connections <= MANY {
            return None;
        }
        let mut g = Groups::default();
        let mut timeline = false;
        let read = report.for_each_connection(|c| {
            timeline |= c.timeline.is_some();
            g.add(c);
            Ok(())
        });
        (read.is_ok() && !timeline).then_some(g)
    }

    fn add(&mut self, c: &ConnectionReport) {
        let kind = (
            matches!(c.status.code, Some(1000 | 1001)),
            statuses::label(c),
            cause(c),
            facts::closed_by(c).to_string(),
        );
        let s = self.kinds.entry(kind).or_default();
        s.count += 1;
        s.all.add(c.id);
        let server = c.server.to_string();
        if s.by.contains_key(&server) || s.by.len() < SERVERS_KEPT {
            s.by.entry(server).or_default().add(c.id);
        } else {
            s.rest.add(c.id);
        }
    }

    /// The summary by status and cause, and the groups' table.
    pub(super) fn write(&self, o: &mut String, width: Option<u16>, color: bool) {
        let total: u64 = self.kinds.values().map(|s| s.count).sum();
        let _ = writeln!(
            o,
            "By status and cause ({total} connections; wsclose explain KIND says a cause):"
        );
        let mut sum = new_table(vec!["Status", "Connections", "By cause"], width, color);
        let mut by_status: Vec<(&String, u64, BTreeMap<&str, u64>)> = Vec::new();
        for ((_, label, cause, _), s) in &self.kinds {
            if by_status.last().is_none_or(|l| l.0 != label) {
                by_status.push((label, 0, BTreeMap::new()));
            }
            if let Some(l) = by_status.last_mut() {
                l.1 += s.count;
                *l.2.entry(cause).or_default() += s.count;
            }
        }
        for (label, n, causes) in by_status {
            let mut causes: Vec<(&str, u64)> = causes.into_iter().collect();
            causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let causes: Vec<String> = causes.iter().map(|(k, n)| format!("{n} {k}")).collect();
            sum.add_row(vec![
                Cell::new(label),
                Cell::new(n),
                Cell::new(causes.join(", ")),
            ]);
        }
        let _ = writeln!(o, "{sum}");
        // The most servers of each kind in rows of their own that keep the table within
        // GROUP_ROWS rows.
        let rows = |shown: usize| -> usize {
            self.kinds
                .values()
                .map(|s| {
                    let servers = s.by.len() + usize::from(s.rest.count > 0);
                    if shown == 0 || servers == 1 {
                        1
                    } else {
                        servers.min(shown) + usize::from(servers > shown)
                    }
                })
                .sum()
        };
        let shown = (0..=SERVERS_SHOWN)
            .rev()
            .find(|&n| rows(n) <= GROUP_ROWS)
            .unwrap_or(0);
        let _ = writeln!(
            o,
            "The connections grouped by server, status, cause and closer (each in a row of its \
             own: -v, or --connection ID):"
        );
        let mut t = new_table(
            vec!["#", "Connections", "Status, cause and closer"],
            width,
            color,
        );
        for ((_, label, cause, by), s) in &self.kinds {
            let status = match by.as_str() {
                "—" => format!("{label}, {cause}"),
                _ => format!("{label}, {cause}, closed by {by}"),
            };
            let mut servers: Vec<(&String, &Group)> = s.by.iter().collect();
            servers.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
            let row = |t: &mut comfy_table::Table, numbers: String, to: String| {
                t.add_row(vec![Cell::new(numbers), Cell::new(to), Cell::new(&status)]);
            };
            if s.rest.count == 0 && servers.len() == 1 {
                for (server, g) in &servers {
                    row(
                        &mut t,
                        g.numbers(),
                        format!("{} → {}", g.count, terminal(server)),
                    );
                }
                continue;
            }
            let n = shown;
            for (server, g) in servers.iter().take(n) {
                row(
                    &mut t,
                    g.numbers(),
                    format!("{} → {}", g.count, terminal(server)),
                );
            }
            let others = servers.len().saturating_sub(n);
            let rest: u64 =
                servers.iter().skip(n).map(|(_, g)| g.count).sum::<u64>() + s.rest.count;
            if rest > 0 {
                let other = if n == 0 { "" } else { "other " };
                let to = match s.rest.count {
                    0 => format!("{rest} → {others} {other}servers"),
                    _ => format!("{rest} → over {} {other}servers", others.max(1)),
                };
                let numbers = if n == 0 {
                    s.all.numbers()
                } else {
                    "…".into()
                };
                row(&mut t, numbers, to);
            }
        }
        let _ = writeln!(o, "{t}");
    }
}
