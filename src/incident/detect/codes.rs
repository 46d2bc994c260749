//! Incidents of a shared code: overload shedding (1013, 1014; 503 and 429 refusing the
//! upgrade, RFC 6455 section 7.4.1) where overload is shown (1013 or 429, or the server
//! serving other sessions meanwhile: `vocab::IncidentKind`'s row), rejection loops (one client retrying and refused with the
//! same code) and mass rejections (many clients), found as runs of one key within a gap;
//! the key holds what was said with the code (its reason, a refusal's words).
//!
//! In: the working state's free endings. Out: incidents made in it.

use super::*;

/// A close code that refuses the client: a policy or data it will send again (1002, 1003,
/// 1007, 1008, 1009, 1010) or an application's own (3000-4999).
fn rejecting(code: u16) -> bool {
    matches!(code, 1002 | 1003 | 1007 | 1008 | 1009 | 1010) || (3000..=4999).contains(&code)
}

/// Overload codes: 1013 Try Again Later, 1014 Bad Gateway; 503 and 429 refusing the upgrade.
fn shedding(how: How) -> bool {
    matches!(how, How::Close(Some(1013 | 1014)) | How::Refused(503 | 429))
}

/// What an ending said (`Ending::said`), above the parties and the way in a run's key:
/// one code with two reasons is two runs.
fn said_key(e: &Ending) -> u128 {
    u128::from(e.said) << 96
}

pub(super) fn code_of(how: How) -> Option<u16> {
    match how {
        How::Close(c) => c,
        How::Refused(s) => Some(s),
        _ => None,
    }
}

/// Shedding, rejection loops (one client retrying) and mass rejections (many clients).
pub(super) fn codes(w: &mut Work) {
    let from_server = |e: &Ending| e.by == Some(Role::Server) && e.ended();
    // Shedding: by (server, code), gaps up to SHED_GAP_S.
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(|e| from_server(e) && shedding(e.how)))
        .collect();
    sorted_by(w, &mut cand, |i, e| {
        (u64::from(w.sid(i)) << 32 | how_code(e.how), e.said, e.end)
    });
    // Overload is the server taking some while it turns others away: a code that says so
    // itself (1013, 429), or the server shown serving other sessions meanwhile. A 503 to
    // every upgrade while nothing is served is the server unavailable, left to whatever
    // made it so (its refusals counted there, down the members' chains of reconnects).
    clusters_by(
        w,
        &cand,
        |w, i, e| said_key(e) | u128::from(w.sid(i)) << 32 | u128::from(how_code(e.how)),
        ns(SHED_GAP_S),
        |_, _, _| true,
        |w, run| {
            let says = run
                .first()
                .and_then(|&i| w.at(i))
                .is_some_and(|e| matches!(e.how, How::Close(Some(1013)) | How::Refused(429)));
            (says || served_others(w, run) > 0).then_some(IncidentKind::OverloadShedding)
        },
    );
    // Rejection loops: by (client host, server, code), gaps up to RETRY_GAP_S, each a retry
    // of a refusal with that code or retried so (the candidates below: the host may run
    // several clients, each retrying, whose attempts interleave), and at least half of that
    // client host's endings with that server in the loop's window.
    // Refused: the upgrade refused, or closed by the server within moments of its start
    // (`REJECTED_S`), before anything else could happen. A server whose way is to end each
    // session with its own code after seconds of traffic refuses no one, however many share
    // that code (the table's `rejected` fact, read here before any run is made of them).
    let rejected = |e: &Ending| {
        from_server(e)
            && match e.how {
                How::Close(Some(c)) => {
                    rejecting(c) && e.end.saturating_sub(e.start) <= ns(crate::vocab::REJECTED_S)
                }
                How::Refused(s) => (400..500).contains(&s) && s != 429,
                _ => false,
            }
    };
    let all: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(rejected))
        .collect();
    if all.len() < MIN_MEMBERS {
        return;
    }
    // A loop's member is a retry of a refusal with its code, or was retried and refused so:
    // the others are left out before sorting (one step each).
    let same_refusal = |i: u32, j: Option<u32>| {
        j.is_some_and(|j| {
            w.free(j)
                && w.at(j)
                    .is_some_and(|b| rejected(b) && w.at(i).is_some_and(|a| a.how == b.how))
        })
    };
    let mut cand: Vec<u32> = all
        .iter()
        .copied()
        .filter(|&i| {
            same_refusal(i, w.next_of(i))
                || same_refusal(i, w.prev.get(i as usize).copied().flatten())
        })
        .collect();
    sorted_by(w, &mut cand, |i, e| {
        (
            u64::from(w.hid(i)) << 32 | u64::from(w.sid(i)),
            how_code(e.how),
            e.said,
            e.end,
        )
    });
    let mut ends = Ends::default();
    clusters_by(
        w,
        &cand,
        |w, i, e| {
            said_key(e)
                | u128::from(w.hid(i)) << 64
                | u128::from(w.sid(i)) << 32
                | u128::from(how_code(e.how))
        },
        ns(RETRY_GAP_S),
        |_, _, _| true,
        |w, run| {
            let share = ends.share(w, run, |w, i| {
                u64::from(w.sid(i)) << 32 | u64::from(w.hid(i))
            });
            (share >= REJECTION_SHARE).then_some(IncidentKind::RejectionLoop)
        },
    );
    // Mass rejection: what is left, by (server, code), gaps up to MASS_GAP_S, of at least
    // MIN_MEMBERS client hosts, and at least half of the server's endings in the window
    // (a busy server whose sessions end with many codes is no incident).
    let mut cand: Vec<u32> = all.into_iter().filter(|&i| w.free(i)).collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    sorted_by(w, &mut cand, |i, e| {
        (u64::from(w.sid(i)) << 32 | how_code(e.how), e.said, e.end)
    });
    let mut ends = Ends::default();
    clusters_by(
        w,
        &cand,
        |w, i, e| said_key(e) | u128::from(w.sid(i)) << 32 | u128::from(how_code(e.how)),
        ns(MASS_GAP_S),
        |_, _, _| true,
        |w, run| {
            let mut hosts: Vec<u32> = run.iter().map(|&i| w.hid(i)).collect();
            hosts.sort_unstable();
            hosts.dedup();
            if hosts.len() < MIN_MEMBERS {
                return None;
            }
            let share = ends.share(w, run, |w, i| u64::from(w.sid(i)) << 32);
            (share >= REJECTION_SHARE).then_some(IncidentKind::MassRejection)
        },
    );
}

/// The ends of every ended session, sorted by a party's number then time: made the first
/// time a run asks (never when no run has enough members), to count a party's endings in a
/// window with two binary searches.
#[derive(Default)]
struct Ends {
    sorted: Option<Vec<u128>>,
}

impl Ends {
    /// The share of `run` (one key's members) in all the endings of its party (`party`)
    /// from its first end to its last.
    fn share(&mut self, w: &mut Work, run: &[u32], party: impl Fn(&Work, u32) -> u64) -> f64 {
        let v = self.sorted.get_or_insert_with(|| {
            let mut v: Vec<u128> = (0..w.e.len() as u32)
                .filter_map(|i| {
                    let e = w.at(i).filter(|e| e.ended() && !w.is_echo(i))?;
                    Some(at_time(party(w, i), e.end))
                })
                .collect();
            v.sort_unstable();
            v
        });
        let ends = run.iter().filter_map(|&i| w.at(i).map(|e| e.end));
        let (Some(lo), Some(hi)) = (ends.clone().min(), ends.max()) else {
            return 0.0;
        };
        let Some(p) = run.first().map(|&i| party(w, i)) else {
            return 0.0;
        };
        let from = v.partition_point(|&x| x < at_time(p, lo));
        let to = v.partition_point(|&x| x <= at_time(p, hi));
        w.steps += 1;
        run.len() as f64 / (to.saturating_sub(from)).max(1) as f64
    }
}

/// A run's key: the parties' numbers and the way of ending, as one integer.
type Key = u128;

/// Runs of `cand` (sorted by key, then end) with the same key whose ends are at most `gap`
/// apart, where a member joins the one before only when `follows(w, before, it)`: each run
/// of [`MIN_MEMBERS`] or more is an incident when `kind` names one.
fn clusters_by(
    w: &mut Work,
    cand: &[u32],
    key: impl Fn(&Work, u32, &Ending) -> Key,
    gap: i64,
    follows: impl Fn(&Work, u32, u32) -> bool,
    mut kind: impl FnMut(&mut Work, &[u32]) -> Option<IncidentKind>,
) {
    let mut run: Vec<u32> = Vec::new();
    let mut last: Option<(Key, i64, u32)> = None;
    for &i in cand {
        w.steps += 1;
        let Some(e) = w.at(i) else { continue };
        let (k, end) = (key(w, i, e), e.end);
        let joins = last.is_some_and(|(lk, lt, li)| {
            lk == k && end.saturating_sub(lt) <= gap && follows(w, li, i)
        });
        if !joins {
            flush_run(w, &mut run, &mut kind);
        }
        run.push(i);
        last = Some((k, end, i));
    }
    flush_run(w, &mut run, &mut kind);
}

fn flush_run(
    w: &mut Work,
    run: &mut Vec<u32>,
    kind: &mut impl FnMut(&mut Work, &[u32]) -> Option<IncidentKind>,
) {
    if run.len() >= MIN_MEMBERS {
        if let Some(k) = kind(w, run) {
            make(w, k, run, None);
        }
    }
    run.clear();
}
