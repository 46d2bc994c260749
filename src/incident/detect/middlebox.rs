//! Middlebox resets: many sessions ended by RSTs that the side they name never sent (each
//! reset's TTL unlike that side's packets before it, `reset-not-from-peer`), one after
//! another: a box on the path (a firewall rule, a NAT or load balancer that lost its flow
//! state, an IDS) reset them. Read before stops, whose shape they share (a burst of one
//! server's RSTs), so that neither a server restart nor a client host's drop is named
//! where neither happened.
//!
//! In: the working state's free endings. Out: incidents made in it.

use super::*;
use crate::incident::MIDDLEBOX_GAP_S;

/// Middlebox resets: the free endings by a forged RST ([`Ending::forged`]), sorted by end,
/// in runs each within [`MIDDLEBOX_GAP_S`] of the one before; a run of at least
/// [`MIN_MEMBERS`] connections is one incident. Its down time is from its last member's
/// end to the next session its server accepted (when all are of one server): the spell the
/// path refused new sessions too, whose refused attempts are counted as a restart's.
pub(super) fn middlebox(w: &mut Work) {
    let mut cand: Vec<u32> = (0..w.e.len() as u32)
        .filter(|&i| w.free(i) && w.at(i).is_some_and(|e| e.forged && e.how == How::Rst))
        .collect();
    w.steps += cand.len() as u64;
    if cand.len() < MIN_MEMBERS {
        return;
    }
    sorted_by(w, &mut cand, |_, e| (e.end, e.pos));
    // Each server's session starts, sorted, to find the next accepted after a run.
    let mut starts: Vec<u128> =
        w.e.iter()
            .enumerate()
            .filter(|(_, e)| !matches!(e.how, How::Refused(_)))
            .map(|(i, e)| at_time(u64::from(w.sid(i as u32)), e.start))
            .collect();
    starts.sort_unstable();
    let gap = ns(MIDDLEBOX_GAP_S);
    let mut run: Vec<u32> = Vec::new();
    let mut last = i64::MIN;
    let flush = |w: &mut Work, run: &mut Vec<u32>| {
        if run.len() >= MIN_MEMBERS {
            let sid = run.first().map(|&i| w.sid(i));
            let one = run.iter().all(|&i| Some(w.sid(i)) == sid);
            let end = run
                .iter()
                .filter_map(|&i| w.at(i))
                .map(|e| e.end)
                .max()
                .unwrap_or(0);
            let down = sid.filter(|_| one).and_then(|s| {
                let p = u64::from(s);
                let at = starts.partition_point(|&x| x <= at_time(p, end));
                starts
                    .get(at)
                    .filter(|&&x| (x >> 64) as u64 == p)
                    .map(|&x| ((x as u64 ^ (1 << 63)) as i64 - end) as f64 / NS)
            });
            let members = std::mem::take(run);
            make(w, IncidentKind::MiddleboxReset, &members, down);
        }
        run.clear();
    };
    for i in cand {
        w.steps += 1;
        let Some(end) = w.at(i).map(|e| e.end) else {
            continue;
        };
        if !run.is_empty() && end.saturating_sub(last) > gap {
            flush(w, &mut run);
        }
        run.push(i);
        last = end;
    }
    flush(w, &mut run);
}
