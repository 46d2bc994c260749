//! Incidents as they form, for `live` and `analyze --follow`: the first ending of each
//! connection (its first close frame, or its FIN or RST with none before), as it happens,
//! grouped by server and way of ending; a group says so once it passes [`MIN_MEMBERS`],
//! and again at 10, 100, 1 000, … members.
//!
//! In: [`CloseEvent`]s. Out: a [`Forming`] when a group passes a mark. Live, the sessions
//! still open are not known as they are at the end, so this is a candidate ("forming"):
//! the final report decides the incident with every rule of `detect`. Constant work per
//! event (amortized); at most [`WATCHED`] groups are kept (those idle past every window
//! dropped first, then all).

use super::{How, BURST_S, GAP_S, MIN_MEMBERS, RETRY_GAP_S, SHED_GAP_S};
use crate::vocab::{CloseEvent, EndKind, Endpoint, EventWhat, Role, Timestamp};

/// Groups watched at once at most.
pub const WATCHED: usize = 4096;

/// A group of endings that passed a mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Forming {
    /// The server (or proxy) that ended them.
    pub server: Endpoint,
    /// How: "FIN", "RST", "close 1013".
    pub how: String,
    /// How many so far, the first's time and the last's.
    pub members: u64,
    /// The first ending's time.
    pub first: Timestamp,
    /// The last ending's time.
    pub last: Timestamp,
}

impl Forming {
    /// "incident forming: server 10.0.0.5:8443 ended 3 sessions by FIN within 12 ms (the
    /// report at the end names the incident)".
    pub fn line(&self) -> String {
        self.line_naming(&self.server.to_string())
    }

    /// [`Forming::line`] with the server named `server` (its pseudonym under `--redact`).
    pub fn line_naming(&self, server: &str) -> String {
        format!(
            "{} incident forming: server {} ended {} sessions by {} within {} (the report at the end names the incident)",
            super::clock(self.last),
            server,
            self.members,
            self.how,
            super::seconds(self.last.since(self.first).max(0.0))
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Group {
    first: i64,
    last: i64,
    members: u64,
    /// The next count at which to say it.
    next_mark: u64,
}

/// A group's window (ns from its first ending; `i64::MAX`: none) and the longest gap (ns)
/// between two of its endings.
fn limits(how: How) -> (i64, i64) {
    let (window, gap) = match how {
        How::Close(Some(1013 | 1014)) => (i64::MAX, SHED_GAP_S),
        How::Close(Some(c)) if c >= 3000 || matches!(c, 1002 | 1003 | 1007..=1010) => {
            (i64::MAX, RETRY_GAP_S)
        }
        _ => ((BURST_S * 1e9) as i64, GAP_S),
    };
    (window, (gap * 1e9) as i64)
}

/// An incident forming now ([`Watch::forming`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// The server (or proxy) that ended the sessions.
    pub server: Endpoint,
    /// How, as the group counts it: "FIN or RST", "close 1013", "an empty close".
    pub how: String,
    /// Its endings so far.
    pub members: u64,
}

/// The groups being watched.
#[derive(Debug, Default)]
pub struct Watch {
    groups: rustc_hash::FxHashMap<(Endpoint, How), Group>,
}

impl Watch {
    /// Groups watched now.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups past their first mark whose last ending is no more than their gap before
    /// `now` (the latest capture time read): the incidents forming now (for the metrics'
    /// gauge of each, which goes once its gap has passed).
    pub fn forming(&self, now: Timestamp) -> Vec<Open> {
        self.groups
            .iter()
            .filter(|((_, how), g)| {
                g.members >= MIN_MEMBERS as u64 && now.0.saturating_sub(g.last) <= limits(*how).1
            })
            .map(|((server, how), g)| Open {
                server: *server,
                how: match how {
                    How::Close(Some(c)) => format!("close {c}"),
                    How::Close(None) => "an empty close".into(),
                    _ => "FIN or RST".into(),
                },
                members: g.members,
            })
            .collect()
    }

    /// Takes in one event; a [`Forming`] when its group passes a mark.
    pub fn event(&mut self, ev: &CloseEvent) -> Option<Forming> {
        if !ev.first || ev.from != Role::Server {
            return None;
        }
        let how = match &ev.what {
            EventWhat::Close { code, .. } => How::Close(*code),
            EventWhat::Tcp(EndKind::Fin) | EventWhat::Stream(_) => How::Fin,
            EventWhat::Tcp(EndKind::Rst) => How::Rst,
        };
        // FIN and RST are one way of ending, as in a stop.
        let key = (ev.server, if how == How::Rst { How::Fin } else { how });
        let t = ev.ts.0;
        let (window, gap) = limits(how);
        if self.groups.len() >= WATCHED && !self.groups.contains_key(&key) {
            // Full: the groups idle past any window go; if none is, all go (once per
            // WATCHED new groups at most: constant work per event, amortized).
            let stale = t.saturating_sub((RETRY_GAP_S * 1e9) as i64);
            self.groups.retain(|_, g| g.last >= stale);
            if self.groups.len() >= WATCHED {
                self.groups.clear();
            }
        }
        let g = self.groups.entry(key).or_insert(Group {
            first: t,
            last: t,
            members: 0,
            next_mark: MIN_MEMBERS as u64,
        });
        let within = t.saturating_sub(g.last) <= gap
            && (window == i64::MAX
                || t.saturating_sub(g.first) <= window
                || g.members >= MIN_MEMBERS as u64);
        if !within {
            *g = Group {
                first: t,
                last: t,
                members: 0,
                next_mark: MIN_MEMBERS as u64,
            };
        }
        g.members += 1;
        g.last = t.max(g.last);
        if g.members < g.next_mark {
            return None;
        }
        g.next_mark = if g.next_mark < 10 {
            10
        } else {
            g.next_mark * 10
        };
        Some(Forming {
            server: ev.server,
            how: match how {
                How::Close(Some(c)) => format!("close {c}"),
                How::Close(None) => "an empty close".into(),
                How::Rst => "RST".into(),
                _ => "FIN".into(),
            },
            members: g.members,
            first: Timestamp(g.first),
            last: Timestamp(g.last),
        })
    }
}
