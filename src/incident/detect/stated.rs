//! Stated decisions (issue 102 items 1 and 3): sessions of one server that one side ended
//! together, each with the same code and the same words (a close frame's code and reason,
//! RFC 6455 §7.1.5; an HTTP/2 RST_STREAM's or GOAWAY's error code, RFC 9113 §7;
//! `incident::said`), that no kind took: that side's decision, named by what it said
//! (`stated-decision`), never forced into a kind. A clean close (1000, none) is one only
//! where it answered the peer's message. And a group's [`said`]: what its members said,
//! when all the same, and the peer's message most of their closes answered.
//!
//! In: the working state's free endings once every kind has taken its members. Out:
//! incidents made in it. A group is a run of one key (server, side, way, words) whose ends
//! are each within a tenth of the server's usual gap between endings of the one before
//! (and [`BURST_S`] of the first), or two such runs apart by less than that usual gap that
//! stand out as one (one decision's closes are not split by a gap its server's pace would
//! put no ending in, as its 2nd and 3rd 21 ms apart beside a pace of 200 ms: issue 102,
//! `njsws-version-4406`), that stands out from that pace (its endings spread
//! evenly would put so many in the span less often than `watch::UNUSUAL`) and from the
//! key's own ends just before (fewer than a quarter as many in as long before, at least
//! [`GAP_S`]), as a doubtful cluster must (`doubts`); closes that answered the peer's
//! message of one size and kind (`Ending::answered_size`, a 1009's too-big message) join
//! the run's first that answered one, whatever the gaps between them within [`BURST_S`]:
//! one message reaches, and is read by, each peer at its own time. A server that ends each session
//! with its own code at its pace (a rolling plan change, codes after seconds of traffic)
//! makes no run; clients closing with one code, each after its own message of the server's
//! at its own time, neither.
//!
//! Work: a sort of the candidates (n log n), one pass over the runs, a binary search per
//! run; memory: the candidates and their keys, freed on return.

use super::doubts::stands_out;
use super::*;
use crate::incident::said::NONE;
use crate::incident::UNTIMED;
use crate::vocab::{Answered, Stated};

/// The stated decisions among `w`'s free endings (see the module's header).
pub(super) fn stated(w: &mut Work) {
    let n = w.e.len() as u32;
    // A clean close (1000, or no code) says the session's purpose was fulfilled: a decision
    // only when it answered the peer's message (many clients leaving at the end of a run
    // is none).
    let said_way = |e: &Ending| match e.how {
        How::Close(None | Some(1000)) => e.answered_us != u32::MAX,
        How::Close(_) | How::StreamReset(_) | How::GoAway(_) => true,
        _ => false,
    };
    let mut cand: Vec<u32> = (0..n)
        .filter(|&i| {
            w.free(i) && !w.is_echo(i) && w.at(i).is_some_and(|e| e.by.is_some() && said_way(e))
        })
        .collect();
    if cand.len() < MIN_MEMBERS {
        return;
    }
    // Each server's pace: its endings (each session once) over its span.
    let (count, first, last) = super::doubts::pace(w, n);
    let key = |w: &Work, i: u32, e: &Ending| -> (u64, u64) {
        let side = u64::from(e.by == Some(Role::Server));
        (
            u64::from(w.sid(i)) << 1 | side,
            how_code(e.how) << 32 | u64::from(e.said),
        )
    };
    sorted_by(w, &mut cand, |i, e| (key(w, i, e), e.end));
    let keys: Vec<((u64, u64), i64)> = cand
        .iter()
        .map(|&i| {
            w.at(i)
                .map_or(((u64::MAX, u64::MAX), i64::MAX), |e| (key(w, i, e), e.end))
        })
        .collect();
    // Per candidate: the peer's message its close answered (size, opcode), if any.
    let msgs: Vec<Option<(u32, u8)>> = cand
        .iter()
        .map(|&i| {
            w.at(i)
                .filter(|e| e.answered_us != u32::MAX)
                .map(|e| (e.answered_size, e.answered_op))
        })
        .collect();
    let (burst, gap) = (ns(BURST_S), ns(GAP_S));
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = 0;
    // How far the last chain of runs reached (see below).
    let mut chain_end = 0;
    while i < keys.len() {
        w.steps += 1;
        let Some(&(k, t0)) = keys.get(i) else { break };
        let s = (k.0 >> 1) as usize;
        let usual = match (count.get(s), first.get(s), last.get(s)) {
            (Some(&c), Some(&f), Some(&l)) if c > 0 && l > f => (l - f) as f64 / c as f64,
            _ => 0.0,
        };
        let link = (usual / 10.0).min(burst as f64) as i64;
        // The peer's message the run's first close answered (its size and opcode): closes
        // with the same code and words answering such a message join whatever the gaps
        // between them (one message reaches, and is read by, each peer at its own time).
        let msg = |j: usize| msgs.get(j).copied().flatten();
        let first_msg = msg(i);
        // The end of the run of one key from `j`, each end within `link` of the one before
        // (or answering the first's message).
        let linked = |mut j: usize, steps: &mut u64| {
            while keys.get(j).is_some_and(|&(k2, t)| {
                let prev = keys.get(j - 1).map_or(t0, |x| x.1);
                k2 == k
                    && t <= t0.saturating_add(burst)
                    && (t.saturating_sub(prev) <= link
                        || (first_msg.is_some() && msg(j) == first_msg))
            }) {
                *steps += 1;
                j += 1;
            }
            j
        };
        let mut j = linked(i + 1, &mut w.steps);
        // One decision is not split by a gap its server's pace would put no ending in (less
        // than the usual gap): the runs so chained, within BURST_S of the first, are one
        // where they stand out as one, whether or not their first few do (a server closing
        // its sessions one after another, each after its own work for it, makes no run of
        // two and no first few that stand out: issue 102, `ws-plan-4001-serial`). The chain
        // from a later start of it reaches at least as far (its gaps the same, its burst
        // later), so it is walked on from where the last one ended: each ending once.
        let mut end = j.max(chain_end);
        while let Some(&(k2, t)) = keys.get(end) {
            let prev = keys.get(end - 1).map_or(t0, |x| x.1);
            if k2 != k || t > t0.saturating_add(burst) || (t - prev) as f64 >= usual {
                break;
            }
            w.steps += 1;
            end += 1;
        }
        chain_end = end;
        let t_end = keys.get(end - 1).map_or(t0, |x| x.1);
        if end > j && stands_out(end - i, t_end - t0, usual) {
            j = end;
        }
        // Else as before: the runs on both sides of such a gap join where, as one, they
        // stand out. Each run is walked at most twice (once more as the next one's start).
        while let Some(&(k2, t)) = keys.get(j) {
            let prev = keys.get(j - 1).map_or(t0, |x| x.1);
            if k2 != k || t > t0.saturating_add(burst) || (t - prev) as f64 >= usual {
                break;
            }
            let j2 = linked(j + 1, &mut w.steps);
            let t2 = keys.get(j2 - 1).map_or(t, |x| x.1);
            if !stands_out(j2 - i, t2 - t0, usual) {
                break;
            }
            j = j2;
        }
        let t1 = keys.get(j - 1).map_or(t0, |x| x.1);
        let span = t1 - t0;
        let before_from = t0.saturating_sub(span.max(gap));
        let before = i - keys
            .get(..i)
            .unwrap_or_default()
            .partition_point(|&x| x < (k, before_from));
        let members = j - i;
        if members >= MIN_MEMBERS && before * 4 < members && stands_out(members, span, usual) {
            runs.push(i..j);
        }
        i = j;
    }
    for r in runs {
        let members: Vec<u32> = cand.get(r).unwrap_or_default().to_vec();
        make(w, IncidentKind::StatedDecision, &members, None);
    }
}

/// What every one of `ms` said beyond its code, when all said the same (one value of the
/// table), and the peer's messages their closes answered, when most answered one of one
/// kind and size.
pub(super) fn said(w: &Work, ms: &[&Ending]) -> Option<Stated> {
    let id = ms.first()?.said;
    let s = (id != NONE && ms.iter().all(|e| e.said == id))
        .then(|| w.saids.get(id))
        .flatten();
    let answered = answered(ms);
    if s.is_none() && answered.is_none() {
        return None;
    }
    let text = |f: fn(&crate::incident::said::Said) -> &Option<Box<str>>| {
        s.and_then(|s| f(s).as_deref()).map(str::to_string)
    };
    Some(Stated {
        reason: text(|s| &s.reason),
        words: text(|s| &s.words),
        tls_alert: text(|s| &s.alert),
        answered,
    })
}

/// The peer's messages `ms`'s closes answered: those of the kind and size of the first
/// member's that answered one, when more than half the members' closes did.
fn answered(ms: &[&Ending]) -> Option<Answered> {
    // Only the closes whose message's time is known say when (a 1009's too-big message,
    // known by its size alone, groups its closes but is not told here).
    let first = ms.iter().find(|e| e.answered_us < UNTIMED)?;
    let like: Vec<&Ending> = ms
        .iter()
        .copied()
        .filter(|e| {
            e.answered_us < UNTIMED
                && e.answered_size == first.answered_size
                && e.answered_op == first.answered_op
        })
        .collect();
    if like.len() * 2 <= ms.len() {
        return None;
    }
    let after = |e: &&Ending| f64::from(e.answered_us) / 1e3;
    let sent = |e: &&Ending| e.end - i64::from(e.answered_us) * 1000;
    let lo = like.iter().map(after).fold(f64::INFINITY, f64::min);
    let hi = like.iter().map(after).fold(0.0, f64::max);
    let (s0, s1) = (like.iter().map(sent).min()?, like.iter().map(sent).max()?);
    Some(Answered {
        from: first.by?.peer(),
        opcode: crate::vocab::Opcode(first.answered_op).name().to_string(),
        size: u64::from(first.answered_size),
        closes: like.len() as u64,
        after_ms_min: (lo * 1e3).round() / 1e3,
        after_ms_max: (hi * 1e3).round() / 1e3,
        sent_within_ms: ((s1 - s0) as f64 / 1e3).round() / 1e3,
    })
}
