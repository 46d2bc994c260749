//! Each status explained once per report: the connections grouped by their status.
//!
//! In: the report's connections, one at a time as a renderer reads them. Out: the statuses
//! in the order first seen, each with its label ("1006 Abnormal Closure (inferred)"), how
//! many connections have it and the first ids, what it means and its fix (the catalog's
//! for a code, else the first connection's); and, when asked for (`Statuses::with_fixes`),
//! the connections of a status grouped again by their own fix, which for some statuses
//! names the connection's packets. The table explains each fix group; Markdown each status,
//! and a connection's own fix in its section.

use crate::close::catalog;
use crate::report::ConnectionReport;
use rustc_hash::FxHashMap;

/// "1006 Abnormal Closure (inferred)": a connection's status as the reports name it.
pub(crate) fn label(c: &ConnectionReport) -> String {
    match c.status.code {
        Some(code) if c.status.inferred => format!("{code} {} (inferred)", c.status.name),
        Some(code) => format!("{code} {}", c.status.name),
        None => c.status.name.to_string(),
    }
}

/// A `summary.by_status` key in words: "1006 Abnormal Closure", "still open", "upgrade
/// refused", "close code unknown".
pub(crate) fn key_label(key: &str) -> String {
    match key.parse::<u16>() {
        Ok(code) => format!("{code} {}", catalog::lookup(code).name),
        Err(_) => match key {
            "open" => "still open".to_string(),
            "refused" => "upgrade refused".to_string(),
            "unknown" => "close code unknown".to_string(),
            k => k.to_string(),
        },
    }
}

/// Whether `c`'s own cause is known: its application said why its session ended (an
/// application cause, or its last words), or a cause states it (a trigger, the close
/// reason's words, a heartbeat: `words::stated`). Then the code's typical causes (a 1000's
/// "for example on logout") are not what happened, and are not said beside it (issue 68
/// item 4); nor is the code's meaning while every connection of the status has its own
/// (issue 92 item 5: a 1000's "nothing went wrong" beside a handler that failed).
fn told_by_app(c: &ConnectionReport) -> bool {
    app_said(c) || super::words::stated::stated_line(&c.status.causes).is_some()
}

/// Whether `c`'s application said why its session ended (an application cause, or its last
/// words): the code's meaning is said after it, without its typical causes.
fn app_said(c: &ConnectionReport) -> bool {
    c.status.causes.iter().any(|x| {
        matches!(
            x,
            crate::report::Cause::Application { .. } | crate::report::Cause::LastWords { .. }
        )
    })
}

/// A catalog row's meaning, with its typical causes when `typical`.
fn meaning(e: &catalog::Entry, typical: bool) -> String {
    if typical {
        format!("{} {}", e.meaning, e.causes)
    } else {
        e.meaning.to_string()
    }
}

/// Ids kept per status (all of them are kept per fix group).
pub(crate) const IDS: usize = 20;

/// One status and the connections that have it.
pub(crate) struct Status {
    pub label: String,
    pub code: Option<u16>,
    /// Connections with this status.
    pub count: u64,
    /// The first [`IDS`] of their ids.
    pub ids: Vec<u64>,
    /// Every one of them is a clean close ([`super::filter::is_problem`] is false): a 1000 whose peer answered
    /// with no valid close frame is not.
    pub all_clean: bool,
    /// What the status means and its typical causes: the catalog's meaning and causes of
    /// the code (its meaning alone while every connection's application said why it ended:
    /// [`told_by_app`]); without a code, the general causes of the first connection's status.
    pub cause: String,
    /// `cause` has the code's typical causes.
    typical: bool,
    /// The status's fix: the catalog's for a code, else the first connection's; while
    /// every connection's application said why it ended and all gave the same fix, that fix.
    pub fix: String,
    /// `fix` is the applications' own.
    own_fix: bool,
    /// The connections' own fix (`status.fix`: a proxy's idle timeout in seconds, the
    /// packet to read the logs at) while every one of them has the same; `None` once two
    /// differ. What a report without fix groups leads with (issue 93 item 17).
    pub shared_fix: Option<String>,
    /// Connections whose own fix is not `fix`.
    pub own_fixes: u64,
    /// The applications' verdicts among its connections ("MQTT: session taken over (ended by
    /// the server)"), the first [`APPS`] distinct ones, each with the first [`IDS`] ids and
    /// its fix: what the application said leads the status's generic meaning.
    pub apps: Vec<AppVerdict>,
}

/// One application verdict of a status's connections.
pub(crate) struct AppVerdict {
    /// "Application" for what the application's messages said, "Known cause" for a cause
    /// that states the connection's own (`words::stated`).
    pub label: &'static str,
    /// [`super::facts::app_line`], or [`super::words::stated::stated_line`].
    pub line: String,
    pub fix: Option<String>,
    pub ids: Vec<u64>,
    pub count: u64,
}

/// Distinct application verdicts kept per status.
pub(crate) const APPS: usize = 8;

impl Status {
    fn add_app(&mut self, c: &ConnectionReport) {
        // The application's verdict, else the last words that gave the cause, else a
        // cause that states the connection's own (what the application said, or the
        // cause, leads).
        let app = c
            .application
            .as_ref()
            .and_then(|a| Some(("Application", super::facts::app_line(a)?, a.fix.clone())));
        let Some((label, line, fix)) = app
            .or_else(|| {
                let line = super::words::app::last_words_line(&c.status.causes)?;
                Some(("Application", line, Some(c.status.fix.to_string())))
            })
            .or_else(|| {
                let line = super::words::stated::stated_line(&c.status.causes)?;
                // Its fix is the status's (the connection's own), said once after it.
                Some(("Known cause", line, None))
            })
        else {
            return;
        };
        if let Some(v) = self.apps.iter_mut().find(|v| v.line == line) {
            v.count += 1;
            if v.ids.len() < IDS {
                v.ids.push(c.id);
            }
        } else if self.apps.len() < APPS {
            self.apps.push(AppVerdict {
                label,
                line,
                fix,
                ids: vec![c.id],
                count: 1,
            });
        }
    }
}

impl Status {
    /// A clean close: 1000 or 1001, on every connection that has it, and no application
    /// verdict with a fix among them.
    pub fn is_clean(&self) -> bool {
        // An application's verdict with a fix (a missed heart-beat, a takeover, an
        // operator's close) is something to fix, whatever the code.
        matches!(self.code, Some(1000 | 1001))
            && self.all_clean
            && self.apps.iter().all(|a| a.fix.is_none())
    }
}

/// The connections of one status whose own fix is the same.
pub(crate) struct SameFix {
    /// Its status: the index of the status among those first seen before it.
    pub status: usize,
    pub fix: String,
    /// Every id.
    pub ids: Vec<u64>,
}

/// The statuses of the connections added, each once (see the module header).
#[derive(Default)]
pub(crate) struct Statuses {
    statuses: Vec<Status>,
    by_label: FxHashMap<String, usize>,
    /// With [`Statuses::with_fixes`]: the fix groups, in the order first seen.
    fixes: Option<Fixes>,
}

/// The fix groups and how to find one. Found by a hash of the label and fix: a 1006 whose
/// fix names its own packet is a group of its own, so a large capture has thousands of
/// groups, too many to look through for every connection.
#[derive(Default)]
struct Fixes {
    groups: Vec<SameFix>,
    /// The group of each (label, fix) hash; a group whose hash another one has is found
    /// by looking through them all.
    by_hash: FxHashMap<u64, usize>,
}

impl Statuses {
    /// Statuses that also group their connections by fix ([`Statuses::by_fix`]).
    pub fn with_fixes() -> Statuses {
        Statuses {
            fixes: Some(Fixes::default()),
            ..Statuses::default()
        }
    }

    pub fn add(&mut self, c: &ConnectionReport) {
        let label = label(c);
        if let Some(fixes) = &mut self.fixes {
            fixes.add(c, &label, &self.by_label, self.statuses.len());
        }
        if let Some(s) = self
            .by_label
            .get(&label)
            .and_then(|&i| self.statuses.get_mut(i))
        {
            s.count += 1;
            s.all_clean &= !super::filter::is_problem(c);
            let told = told_by_app(c);
            if let (false, false, Some(code)) = (s.typical, told, c.status.code) {
                // A connection whose own cause is not known: the code's meaning (left out
                // while every one before had its own) and its typical causes.
                let e = catalog::lookup(code);
                s.cause = if s.cause.is_empty() {
                    meaning(e, true)
                } else {
                    format!("{} {}", s.cause, e.causes)
                };
                s.typical = true;
            }
            if let (true, Some(code)) = (s.own_fix, c.status.code) {
                if !told || s.fix != *c.status.fix {
                    s.fix = catalog::lookup(code).fix.to_string();
                    s.own_fix = false;
                    // The connections before had the applications' fix, now their own.
                    s.own_fixes = s.count - 1;
                }
            }
            if s.shared_fix.as_deref() != Some(&*c.status.fix) {
                s.shared_fix = None;
            }
            s.own_fixes += u64::from(s.fix != *c.status.fix);
            if s.ids.len() < IDS {
                s.ids.push(c.id);
            }
            s.add_app(c);
            return;
        }
        let typical = !told_by_app(c);
        let (cause, fix) = match c.status.code {
            // Its own cause is known: the application's line leads the code's meaning (issue
            // 68 item 4); a cause that states it (`words::stated`) leads in its place.
            Some(code) if !typical => (
                if app_said(c) {
                    meaning(catalog::lookup(code), false)
                } else {
                    String::new()
                },
                c.status.fix.to_string(),
            ),
            Some(code) => {
                let e = catalog::lookup(code);
                (meaning(e, typical), e.fix.to_string())
            }
            None => (c.status.general.to_string(), c.status.fix.to_string()),
        };
        self.by_label.insert(label.clone(), self.statuses.len());
        let mut status = Status {
            label,
            code: c.status.code,
            count: 1,
            ids: vec![c.id],
            all_clean: !super::filter::is_problem(c),
            cause,
            typical,
            own_fixes: u64::from(fix != *c.status.fix),
            shared_fix: Some(c.status.fix.to_string()),
            fix,
            own_fix: !typical && c.status.code.is_some(),
            apps: Vec::new(),
        };
        status.add_app(c);
        self.statuses.push(status);
    }

    /// The statuses, problems first, then by count (then in the order first seen).
    pub fn problems_first(&self) -> Vec<&Status> {
        let mut order: Vec<&Status> = self.statuses.iter().collect();
        order.sort_by_key(|s| (s.is_clean(), std::cmp::Reverse(s.count)));
        order
    }

    /// The status of connection `c`, if it was added.
    pub fn of(&self, c: &ConnectionReport) -> Option<&Status> {
        self.statuses.get(*self.by_label.get(&label(c))?)
    }

    /// The fix groups in the order first seen, each with its status (empty unless made
    /// [`Statuses::with_fixes`]).
    pub fn by_fix(&self) -> impl Iterator<Item = (&Status, &SameFix)> {
        self.fixes
            .iter()
            .flat_map(|f| &f.groups)
            .filter_map(|g| Some((self.statuses.get(g.status)?, g)))
    }
}

impl Fixes {
    /// Adds `c` (whose label is `label`) to its fix group; `new_status` is the index its
    /// status gets when `by_label` does not have it yet.
    fn add(
        &mut self,
        c: &ConnectionReport,
        label: &str,
        by_label: &FxHashMap<String, usize>,
        new_status: usize,
    ) {
        use std::hash::BuildHasher;
        let status = by_label.get(label).copied().unwrap_or(new_status);
        let fix: &str = &c.status.fix;
        let hash = rustc_hash::FxBuildHasher.hash_one((label, fix));
        let same = |g: &SameFix| g.status == status && g.fix == fix;
        let found = match self.by_hash.get(&hash) {
            Some(&i) if self.groups.get(i).is_some_and(same) => Some(i),
            Some(_) => self.groups.iter().position(same),
            None => None,
        };
        match found.and_then(|i| self.groups.get_mut(i)) {
            Some(g) => g.ids.push(c.id),
            None => {
                self.by_hash.entry(hash).or_insert(self.groups.len());
                self.groups.push(SameFix {
                    status,
                    fix: fix.to_string(),
                    ids: vec![c.id],
                });
            }
        }
    }
}

impl AppVerdict {
    /// "MQTT: session taken over (ended by the server) — connections 1, 4: FIX".
    pub fn text(&self) -> String {
        let mut ids: Vec<String> = self.ids.iter().map(u64::to_string).collect();
        if self.count > self.ids.len() as u64 {
            ids.push("…".into());
        }
        let mut s = format!(
            "{} — connection{} {}",
            self.line,
            if self.count == 1 { "" } else { "s" },
            ids.join(", ")
        );
        if let Some(fix) = &self.fix {
            s.push_str(". Fix: ");
            s.push_str(fix);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fix groups of the fixtures' connections, each connection in the first group
    /// with its label and fix, as looking through every group finds them, in the same
    /// order: whether a group is found by its hash, or (its hash pointing at another group,
    /// as after a collision) by looking through them all.
    #[test]
    fn fix_groups_are_found_by_hash_or_by_looking_through_them() {
        let report = crate::report::repeated_fixture_report(0);
        let cs = &report.connections;
        let mut plain: Vec<(String, String, Vec<u64>)> = Vec::new();
        for c in cs {
            let (label, fix) = (label(c), c.status.fix.to_string());
            match plain.iter_mut().find(|g| g.0 == label && g.1 == fix) {
                Some(g) => g.2.push(c.id),
                None => plain.push((label, fix, vec![c.id])),
            }
        }
        assert!(plain.len() > 5 && plain.len() < cs.len(), "{}", plain.len());
        let seen = |s: &Statuses| -> Vec<(String, String, Vec<u64>)> {
            s.by_fix()
                .map(|(status, g)| (status.label.clone(), g.fix.clone(), g.ids.clone()))
                .collect()
        };
        let mut by_hash = Statuses::with_fixes();
        let mut colliding = Statuses::with_fixes();
        for c in cs {
            by_hash.add(c);
            // Every hash leads to the first group.
            if let Some(f) = &mut colliding.fixes {
                f.by_hash.values_mut().for_each(|i| *i = 0);
            }
            colliding.add(c);
        }
        assert_eq!(seen(&by_hash), plain);
        assert_eq!(seen(&colliding), plain);
    }

    /// Each connection is counted once under its status and listed once in a fix group of
    /// that status; a status lists its first ids in order, and each status's fix groups
    /// hold as many connections as it counts.
    #[test]
    fn statuses_and_fix_groups_hold_each_connection_once() {
        let report = crate::report::repeated_fixture_report(600);
        let cs = &report.connections;
        let mut s = Statuses::with_fixes();
        let mut plain = Statuses::default();
        for c in cs {
            s.add(c);
            plain.add(c);
        }
        assert_eq!(plain.by_fix().count(), 0);
        // The cap on the ids a status keeps is reached, and some status has fix groups.
        assert!(s.statuses.iter().any(|x| x.count > IDS as u64));
        assert!(s.by_fix().count() > s.statuses.len());
        assert_eq!(
            s.statuses.iter().map(|x| x.count).sum::<u64>(),
            cs.len() as u64
        );
        for (i, status) in s.statuses.iter().enumerate() {
            let want: Vec<u64> = cs
                .iter()
                .filter(|c| label(c) == status.label)
                .map(|c| c.id)
                .collect();
            assert_eq!(status.count, want.len() as u64, "{}", status.label);
            assert_eq!(status.ids, want[..want.len().min(IDS)], "{}", status.label);
            let mut in_groups: Vec<u64> = s
                .by_fix()
                .filter(|(_, g)| g.status == i)
                .flat_map(|(st, g)| {
                    assert_eq!(st.label, status.label);
                    g.ids.clone()
                })
                .collect();
            in_groups.sort_unstable();
            assert_eq!(in_groups, want, "{}", status.label);
        }
        for c in cs {
            assert_eq!(s.of(c).map(|x| x.label.clone()), Some(label(c)));
        }
        let order = s.problems_first();
        assert!(order.windows(2).all(|w| {
            (w[0].is_clean(), std::cmp::Reverse(w[0].count))
                <= (w[1].is_clean(), std::cmp::Reverse(w[1].count))
        }));
    }
}
