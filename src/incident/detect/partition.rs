//! Partitions that heal: the path between clients and a server cut, then carrying packets
//! again. On every connection it crossed, both sides sent their data again and again,
//! unacknowledged, backing off (RFC 6298 §5), until a packet got through
//! (`diagnose::outage`). Where a side's heartbeat or timeout was shorter than the silence,
//! it gave up during it: its close frame or FIN, queued behind the data that waited (or sent
//! and retransmitted with it), crossed at the heal, or the peer's next retransmission met a
//! reset; those sessions died. The others lived on. The capture cannot time a queued give-up
//! (it left the sender's kernel only at the heal): each dead session's timeout was shorter
//! than the silence, each survivor's longer (or it had none).
//!
//! Seen at two points of their path (issue 103 item 4), a cut shows more directly: the
//! packets of one side left one point and never reached the other (the points' verdict
//! `lost-between`, [`Ending::lost`]), while both hosts stayed up (the sender's host ended the
//! session with its own FIN or RST, seen at both points). Sessions of one client host and
//! one server host whose losses share a moment are the path's ([`lost_between`]), even where
//! the side that had nothing to send shows no retransmission.
//!
//! In: the working state's endings and their outages ([`Work::outage`]). Out: `partition`
//! incidents of the dead, with the silence and the survivors ([`Partition`]); `partition`
//! incidents of the sessions lost between the points (their window in the facts,
//! `lost_between_*`). Read before every other kind: the dead end together at the heal (a
//! stop's shape), their clients' pings unanswered (a stall's), after the same long quiet (a
//! cohort's). Work: one sort of the connections with an outage, then one pass; likewise of
//! those lost between the points.

use super::*;
use crate::incident::HEAL_SLACK_S;
use crate::vocab::Partition;

/// When the session at `i` gave up, if its path was cut and it ended by [`HEAL_SLACK_S`]
/// after the heal: at the latest by then, and not before its silence began, which stands
/// for it (its close frame or FIN crossed only at the heal, after its client may have
/// opened a new session). Its reconnect is looked for from then, and is no choice to leave
/// (a heartbeat that gave up may close with 1000).
/// A session whose client host went dark without an outage of both sides
/// ([`super::dark::gave_up`]): from when it went dark.
pub(super) fn gave_up(w: &Work, i: u32) -> Option<i64> {
    let Some((from, healed)) = w.outage.get(i as usize).copied().flatten() else {
        return super::dark::gave_up(w, i);
    };
    let e = w.at(i)?;
    (e.ended()
        && !matches!(e.how, How::Refused(_))
        && e.end <= healed.saturating_add(ns(HEAL_SLACK_S)))
    .then_some(from.min(e.end))
}

/// The partitions among the endings with an outage (see the module's header): per server,
/// runs of outages that share a moment (sorted by start, each starting before every earlier
/// one healed); in each, the sessions that ended by [`HEAL_SLACK_S`] after their own heal
/// are the members (at least [`MIN_MEMBERS`] connections), the rest survived.
pub(super) fn partitions(w: &mut Work) {
    let outage = |w: &Work, i: u32| w.outage.get(i as usize).copied().flatten();
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| outage(w, i).is_some() && w.free(i))
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    let keys: Vec<(u32, i64)> = cand
        .iter()
        .map(|&i| (w.sid(i), outage(w, i).map_or(i64::MAX, |o| o.0)))
        .collect();
    let mut keyed: Vec<((u32, i64), u32)> = keys.into_iter().zip(cand.iter().copied()).collect();
    keyed.sort_unstable();
    cand = keyed.into_iter().map(|(_, i)| i).collect();
    w.steps += cand.len() as u64;
    let mut i = 0;
    while i < cand.len() {
        w.steps += 1;
        let Some((from0, healed0)) = cand.get(i).and_then(|&k| outage(w, k)) else {
            break;
        };
        let sid = cand.get(i).map_or(u32::MAX, |&k| w.sid(k));
        // The moment they share: the latest start, the earliest heal.
        let (mut lo, mut hi) = (from0, healed0);
        let mut j = i + 1;
        while let Some((f, h)) = cand
            .get(j)
            .filter(|&&k| w.sid(k) == sid)
            .and_then(|&k| outage(w, k))
        {
            if f >= hi {
                break;
            }
            lo = lo.max(f);
            hi = hi.min(h);
            w.steps += 1;
            j += 1;
        }
        let run: Vec<u32> = cand.get(i..j).unwrap_or_default().to_vec();
        i = j;
        let (died, lived): (Vec<u32>, Vec<u32>) =
            run.iter().partition(|&&k| gave_up(w, k).is_some());
        if died.len() < MIN_MEMBERS {
            continue;
        }
        let before = w.incidents.len();
        make(w, IncidentKind::Partition, &died, None);
        if w.incidents.len() == before {
            continue;
        }
        let mut survivors: Vec<u64> = lived
            .iter()
            .filter_map(|&k| w.at(k).map(|e| u64::from(e.pos) + 1))
            .collect();
        survivors.sort_unstable();
        let survived = survivors.len() as u64;
        survivors.truncate(LISTED);
        if let Some(inc) = w.incidents.last_mut() {
            inc.partition = Some(Partition {
                silent_from: Timestamp(lo),
                healed: Timestamp(hi),
                silence_s: (hi - lo) as f64 / NS,
                crossed: run.len() as u64,
                survived,
                survivors,
            });
        }
    }
}

/// The sessions seen at two points whose packets were lost between them at one moment (see
/// the module's header): per client host and server host, runs of losses (sorted by when
/// each began) that share a moment, each loss begun before every earlier member ended; a
/// run of at least [`MIN_MEMBERS`] connections is a `partition`.
pub(super) fn lost_between(w: &mut Work) {
    let mut cand: Vec<(u32, i64, i64)> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && !w.is_echo(i))
        .filter_map(|i| {
            let e = w.at(i)?;
            let (from, _) = e.lost()?;
            Some((i, from, e.end))
        })
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    // The path: the client's host and the server's host (its ports are the path's too).
    let mut hosts: rustc_hash::FxHashMap<std::net::IpAddr, u64> = Default::default();
    let mut path = |w: &Work, i: u32| {
        let next = hosts.len() as u64;
        let s = w.at(i).map(|e| *hosts.entry(e.server.ip()).or_insert(next));
        (u64::from(w.hid(i)), s.unwrap_or(u64::MAX))
    };
    let mut keyed: Vec<((u64, u64), i64, u32, i64)> = cand
        .iter()
        .map(|&(i, from, end)| (path(w, i), from, i, end))
        .collect();
    keyed.sort_unstable();
    cand.clear();
    w.steps += keyed.len() as u64;
    let mut k = 0;
    while k < keyed.len() {
        let Some(&(p, _, _, end0)) = keyed.get(k) else {
            break;
        };
        // The moment they share: every loss begun before the earliest end.
        let mut hi = end0;
        let mut j = k + 1;
        while let Some(&(q, from, _, end)) = keyed.get(j) {
            if q != p || from >= hi {
                break;
            }
            hi = hi.min(end);
            w.steps += 1;
            j += 1;
        }
        let run: Vec<u32> = keyed
            .get(k..j)
            .unwrap_or_default()
            .iter()
            .map(|x| x.2)
            .collect();
        k = j;
        make(w, IncidentKind::Partition, &run, None);
    }
}
