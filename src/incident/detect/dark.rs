//! Client hosts gone dark: the sessions of one client host whose server data went
//! unacknowledged while nothing came from the host, over one moment they all share, each
//! ended by TCP when the host was back (`Ending::dark`).
//!
//! What TCP allows (RFC 9293 §3.8.1, RFC 6298 §5): a host that is up acknowledges what
//! reaches it, even for a process that is stuck; a process that exits has its kernel send a
//! FIN or RST. Data retransmitted unacknowledged, backing off, with nothing at all from the
//! host on any of its sessions at once, is a host, or a path to it, that carried nothing. When
//! it carries packets again, each session ends as its two sides' states meet: a socket its
//! client closed during the silence (its timeout, its RST lost in the cut) answers the
//! server's next retransmission with an RST; a client still holding its socket sends its
//! queued data, which a server that gave the session up during the silence answers with an
//! RST. Either way the session ends by TCP at the host's return, whichever side's RST.
//!
//! Seen from the server's side, a client host's link going down and a cut of the path to it
//! are one shape. The capture tells them apart only where it shows more:
//! * other client hosts' sessions to the server open across the whole dark moment and never
//!   dark show the server and its side of the network up: the cut was this host's, named a
//!   client host's drop (`client-drop`, fact `host-dark`);
//! * the host's new connections reaching the server while its old sessions were still dark
//!   (their ends came later, at the server's next backed-off retransmission) show the path
//!   carrying packets again before they ended, with nothing else to place the cut: a path
//!   cut and healed (`partition`, fact `healed-first`);
//! * neither: the sessions ended by the host's first packets back, its return; a client
//!   host's drop.
//!
//! In: the working state's free endings. Out: incidents made in it. Work: one sort of the
//! dark endings, one pass; counts of the sessions open at a moment are binary searches in
//! sorted starts and ends of the parties that have a run.

use super::*;
use crate::incident::DARK_MIN_S;
use crate::vocab::Partition;

/// The client hosts gone dark (see the module's header): per (client host, server), runs of
/// dark endings that share a moment (sorted by when each went dark, each before every
/// earlier one ended), at least [`MIN_MEMBERS`] connections dark for at least
/// [`DARK_MIN_S`] each, and three quarters of the host's sessions to the server open at that
/// moment.
pub(super) fn dark_hosts(w: &mut Work) {
    let dark = |w: &Work, i: u32| -> Option<(i64, i64)> {
        let e = w.at(i)?;
        let from = e.dark_from()?;
        (e.stream == 0 && e.end.saturating_sub(from) >= ns(DARK_MIN_S)).then_some((from, e.end))
    };
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && !w.is_echo(i) && dark(w, i).is_some())
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    let pair = |w: &Work, i: u32| u64::from(w.hid(i)) << 32 | u64::from(w.sid(i));
    sorted_by(w, &mut cand, |i, _| {
        (pair(w, i), dark(w, i).map_or(i64::MAX, |d| d.0))
    });
    // The (host, server) pairs and servers with a dark candidate: their sessions' starts and
    // ends, sorted, to count those open at a moment.
    let pairs: rustc_hash::FxHashSet<u64> = cand.iter().map(|&i| pair(w, i)).collect();
    let servers: rustc_hash::FxHashSet<u32> = cand.iter().map(|&i| w.sid(i)).collect();
    let (mut p_starts, mut p_ends, mut s_starts, mut s_ends) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..w.e.len() as u32 {
        let Some(e) = w.at(i).copied() else { continue };
        if w.is_echo(i) || matches!(e.how, How::Refused(_)) {
            continue;
        }
        let p = pair(w, i);
        if pairs.contains(&p) {
            p_starts.push(at_time(p, e.start));
            p_ends.push(at_time(p, e.end));
        }
        // Never dark: what the server's other sessions show.
        if servers.contains(&w.sid(i)) && e.dark == 0 {
            let s = u64::from(w.sid(i));
            s_starts.push(at_time(s, e.start));
            s_ends.push(at_time(s, e.end));
        }
    }
    w.steps += w.e.len() as u64;
    for v in [&mut p_starts, &mut p_ends, &mut s_starts, &mut s_ends] {
        v.sort_unstable();
    }
    let le = |v: &[u128], p: u64, t: i64| v.partition_point(|&x| x <= at_time(p, t));
    let lt = |v: &[u128], p: u64, t: i64| v.partition_point(|&x| x < at_time(p, t));
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some(first) = cand.get(i).copied() else {
            break;
        };
        let p = pair(w, first);
        let Some((j, _, lo, hi)) = shared_run(w, &cand, i, pair, dark) else {
            break;
        };
        let run: Vec<u32> = cand.get(i..j).unwrap_or_default().to_vec();
        i = j;
        if run.len() < MIN_MEMBERS {
            continue;
        }
        // The host's sessions to the server open at `lo`: a session of it that was not dark
        // then shows the host up.
        let open = le(&p_starts, p, lo).saturating_sub(lt(&p_ends, p, lo));
        if run.len() * 4 < open * 3 {
            continue;
        }
        // Its new connections that got through during the moment, before the first end.
        let healed_at = (le(&p_starts, p, hi) > le(&p_starts, p, lo))
            .then(|| p_starts.get(le(&p_starts, p, lo)).copied())
            .flatten()
            .map(|x| (x as u64 ^ (1 << 63)) as i64);
        // The server's sessions with other hosts open across the whole moment, never dark
        // (a lower bound: those that began and ended within it are taken off too).
        let s = u64::from(w.sid(first));
        let others = le(&s_starts, s, lo).saturating_sub(lt(&s_ends, s, hi)) as u64;
        let kind = if others == 0 && healed_at.is_some() {
            IncidentKind::Partition
        } else {
            IncidentKind::ClientDrop
        };
        let made = w.incidents.len();
        make(w, kind, &run, None);
        let Some(inc) = w.incidents.get_mut(made) else {
            continue;
        };
        let back = healed_at.map_or(hi, |h| h.min(hi));
        inc.back_at = Some(back);
        let f = &mut inc.facts;
        f.open = open as u64;
        f.dark = run.len() as u64;
        f.dark_s = Some((back - lo) as f64 / NS);
        f.healed_first = healed_at.is_some();
        f.others_went_on = others;
        if kind == IncidentKind::Partition {
            let healed = healed_at.unwrap_or(hi);
            inc.partition = Some(Partition {
                silent_from: Timestamp(lo),
                healed: Timestamp(healed),
                silence_s: (healed - lo) as f64 / NS,
                crossed: run.len() as u64,
                survived: 0,
                survivors: Vec::new(),
            });
        }
    }
}

/// When the session at `i` went dark, if it did and ended at its host's return: its
/// reconnect is looked for from then (its client may have opened a new session before the
/// old one's end reached the wire).
pub(super) fn gave_up(w: &Work, i: u32) -> Option<i64> {
    let e = w.at(i)?;
    let from = e.dark_from()?;
    (e.ended() && e.end.saturating_sub(from) >= ns(DARK_MIN_S)).then_some(from)
}

/// Server hosts gone dark (issue 102, `pyws-host-reboot`): what TCP allows of a server host
/// that went away and came back without its state (a reboot, its link cut and made anew).
/// Nothing comes from it while it is gone, so each session's client data goes
/// unacknowledged, retransmitted, backing off, from one moment they all share (RFC 6298 §5);
/// back, the host's kernel knows none of the sessions and answers each stale segment with
/// RST (RFC 9293 §3.5.2, §3.10.7.1), so the sessions end only as their clients next send,
/// spread over their back-off, long after the host went. Grouped by that shared moment,
/// never by their resets' times: per server, runs of its sessions ended by the server host's
/// FIN or RST after such a spell (`Ending::server_dark`, at least [`DARK_MIN_S`]), each
/// gone dark before every earlier one ended, at least [`MIN_MEMBERS`] connections and three
/// quarters of the server's sessions open at that moment, none of the server's other
/// sessions open across it never dark, and no session accepted during it (either shows the
/// server host up). Named a restart when the server accepted a session after its going dark
/// (down from then: `down_s`), else a stop; its refusals are counted from its going dark
/// (`refused::count`, `facts.server_dark_s`), so the row's `server-gone` reads them.
pub(super) fn dark_servers(w: &mut Work) {
    let dark = |w: &Work, i: u32| -> Option<(i64, i64)> {
        let e = w.at(i)?;
        let from = e.server_dark_from()?;
        (e.stream == 0
            && e.by == Some(Role::Server)
            && matches!(e.how, How::Fin | How::Rst)
            && e.end.saturating_sub(from) >= ns(DARK_MIN_S))
        .then_some((from, e.end))
    };
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && !w.is_echo(i) && dark(w, i).is_some())
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    sorted_by(w, &mut cand, |i, _| {
        (w.sid(i), dark(w, i).map_or(i64::MAX, |d| d.0))
    });
    // The servers with a candidate: their sessions' starts and ends (all, and those never
    // dark), and the starts of those they accepted, sorted, to count at a moment.
    let servers: rustc_hash::FxHashSet<u32> = cand.iter().map(|&i| w.sid(i)).collect();
    let (mut starts, mut ends, mut up_starts, mut up_ends, mut accepted) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..w.e.len() as u32 {
        let Some(e) = w.at(i).copied() else { continue };
        if w.is_echo(i) || !servers.contains(&w.sid(i)) || matches!(e.how, How::Refused(_)) {
            continue;
        }
        let s = u64::from(w.sid(i));
        starts.push(at_time(s, e.start));
        ends.push(at_time(s, e.end));
        if e.server_dark == 0 {
            up_starts.push(at_time(s, e.start));
            up_ends.push(at_time(s, e.end));
        }
        if e.signs.upgraded {
            accepted.push(at_time(s, e.start));
        }
    }
    w.steps += w.e.len() as u64;
    for v in [
        &mut starts,
        &mut ends,
        &mut up_starts,
        &mut up_ends,
        &mut accepted,
    ] {
        v.sort_unstable();
    }
    let le = |v: &[u128], p: u64, t: i64| v.partition_point(|&x| x <= at_time(p, t));
    let lt = |v: &[u128], p: u64, t: i64| v.partition_point(|&x| x < at_time(p, t));
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some(first) = cand.get(i).copied() else {
            break;
        };
        let sid = w.sid(first);
        let Some((j, from0, lo, hi)) =
            shared_run(w, &cand, i, |w: &Work, k| u64::from(w.sid(k)), dark)
        else {
            break;
        };
        let run: Vec<u32> = cand.get(i..j).unwrap_or_default().to_vec();
        i = j;
        if run.len() < MIN_MEMBERS {
            continue;
        }
        let p = u64::from(sid);
        let open = le(&starts, p, lo).saturating_sub(lt(&ends, p, lo));
        // Sessions never dark open across the whole moment, or one accepted during it: the
        // server host was up.
        let up = le(&up_starts, p, lo).saturating_sub(lt(&up_ends, p, hi));
        let next = accepted
            .get(le(&accepted, p, from0))
            .filter(|&&x| (x >> 64) as u64 == p)
            .map(|&x| (x as u64 ^ (1 << 63)) as i64);
        if run.len() * 4 < open * 3 || up > 0 || next.is_some_and(|t| t < hi) {
            continue;
        }
        let kind = if next.is_some() {
            IncidentKind::ServerRestart
        } else {
            IncidentKind::ServerStop
        };
        let made = w.incidents.len();
        make(w, kind, &run, next.map(|t| (t - from0) as f64 / NS));
        let Some(inc) = w.incidents.get_mut(made) else {
            continue;
        };
        let f = &mut inc.facts;
        f.open = open as u64;
        f.server_dark = run.len() as u64;
        f.server_dark_s = Some((inc.start.0 - from0) as f64 / NS);
    }
}

/// The run of `cand` (sorted by key, then by when each went dark) from `i` that shares its
/// key and a moment, each going dark before every earlier one ended: the run's end
/// (exclusive), when its first went dark, and the moment they share (the latest going dark,
/// the earliest end); none when `cand[i]` is not dark.
fn shared_run(
    w: &mut Work,
    cand: &[u32],
    i: usize,
    key: impl Fn(&Work, u32) -> u64,
    dark: impl Fn(&Work, u32) -> Option<(i64, i64)>,
) -> Option<(usize, i64, i64, i64)> {
    let first = cand.get(i).copied()?;
    let k0 = key(w, first);
    let (from0, end0) = dark(w, first)?;
    let (mut lo, mut hi) = (from0, end0);
    let mut j = i + 1;
    while let Some((f, e)) = cand
        .get(j)
        .filter(|&&k| key(w, k) == k0)
        .and_then(|&k| dark(w, k))
    {
        if f >= hi {
            break;
        }
        lo = lo.max(f);
        hi = hi.min(e);
        w.steps += 1;
        j += 1;
    }
    Some((j, from0, lo, hi))
}
