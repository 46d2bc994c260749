//! Who came back after each incident: its members' reconnects accepted (through the
//! attempts refused on the way, by what refused them), how fast, whether in a herd, the
//! picture's bars; and, for an incident none of whose members came back to its server, the
//! members' hosts' new sessions elsewhere (issue 102 item 4).
//!
//! In: the working state once the incidents are made and numbered, and each ending's
//! accepted reconnect (`resolve_chains`). Out: each incident's `reconnects`, `bins` and
//! `bin_s`. Work: one pass over the endings, one step per refused attempt down a member's
//! chain (each attempt has one before it: counted once), a sort of each incident's delays.

use super::*;

/// Per incident none of whose members came back to its server: the new sessions their client hosts
/// opened on a member's route to another server, from the incident's first end to
/// [`RECONNECT_MAX_S`] after its last, that replace no session of their own (a client that
/// moved to another address of the service, issue 102 item 4); at most as many as did not
/// come back, and where most went. One pass over the endings, a map lookup each.
pub(super) fn came_back_elsewhere(w: &mut Work) {
    // Of the members of each incident with some never back: their (client host, route),
    // their (client host, server), where a new session on another path rejoins, and when
    // each ended.
    let mut wanted: rustc_hash::FxHashMap<(u32, u32), Vec<u32>> = Default::default();
    let mut rejoin: rustc_hash::FxHashMap<(u32, u32), Vec<u32>> = Default::default();
    let mut member_ends: Vec<Vec<i64>> = vec![Vec::new(); w.incidents.len()];
    for (i, inc) in w.incident.iter().enumerate() {
        let Some(k) = inc.and_then(|k| k.checked_sub(1)) else {
            continue;
        };
        // A service that moved: none came back to this server (it was gone to them). Where
        // some did, a new session of the host elsewhere is another service's, as far as the
        // capture tells.
        if w.incidents
            .get(k as usize)
            .is_none_or(|x| x.reconnects.never == 0 || x.reconnects.came_back > 0)
        {
            continue;
        }
        let Some(e) = w.at(i as u32) else { continue };
        let i = i as u32;
        for ks in [
            wanted.entry((w.hid(i), e.route)).or_default(),
            rejoin.entry((w.hid(i), w.sid(i))).or_default(),
        ] {
            if !ks.contains(&k) {
                ks.push(k);
            }
        }
        if let Some(m) = member_ends.get_mut(k as usize) {
            m.push(partition::gave_up(w, i).unwrap_or(e.end));
        }
    }
    if wanted.is_empty() {
        return;
    }
    let mut rejoined: Vec<Vec<i64>> = vec![Vec::new(); w.incidents.len()];
    let mut moved: Vec<rustc_hash::FxHashMap<Endpoint, u64>> =
        vec![Default::default(); w.incidents.len()];
    for i in 0..w.e.len() as u32 {
        w.steps += 1;
        let Some(e) = w.at(i) else { continue };
        if w.prev.get(i as usize).copied().flatten().is_some()
            || matches!(e.how, How::Refused(_))
            || w.is_echo(i)
        {
            continue;
        }
        let member = w.incident.get(i as usize).copied().flatten().is_some();
        for &k in rejoin.get(&(w.hid(i), w.sid(i))).into_iter().flatten() {
            if member {
                break;
            }
            let Some(inc) = w.incidents.get(k as usize) else {
                continue;
            };
            let within = e.start > inc.start.0 && e.start <= inc.end.0 + ns(RECONNECT_MAX_S);
            if let Some(r) = rejoined
                .get_mut(k as usize)
                .filter(|r| within && (r.len() as u64) < inc.reconnects.never)
            {
                r.push(e.start);
            }
        }
        let Some(ks) = wanted.get(&(w.hid(i), e.route)) else {
            continue;
        };
        for &k in ks {
            let Some(inc) = w.incidents.get(k as usize) else {
                continue;
            };
            let within = e.start > inc.start.0 && e.start <= inc.end.0 + ns(RECONNECT_MAX_S);
            if within && inc.server_ep.is_some_and(|s| s != e.server) {
                if let Some(m) = moved.get_mut(k as usize) {
                    *m.entry(e.server).or_default() += 1;
                }
            }
        }
    }
    // Came back to the same server on another path: the members' ends and those sessions'
    // starts paired in order, for their delays.
    for ((inc, mut starts), mut ends) in w.incidents.iter_mut().zip(rejoined).zip(member_ends) {
        if starts.is_empty() {
            continue;
        }
        starts.sort_unstable();
        ends.sort_unstable();
        w.steps += (starts.len() + ends.len()) as u64;
        ends.truncate(starts.len());
        let mut d: Vec<f64> = starts
            .iter()
            .zip(&ends)
            .map(|(s, e)| (s - e).max(0) as f64 / NS)
            .collect();
        d.sort_unstable_by(f64::total_cmp);
        let pct = |p: usize| d.get((d.len().saturating_sub(1)) * p / 100).copied();
        let r = &mut inc.reconnects;
        let n = starts.len() as u64;
        r.came_back += n;
        r.other_path = n;
        r.never = r.never.saturating_sub(n);
        r.median_s = pct(50);
        r.slowest_s = d.last().copied();
        r.spread_s = (d.len() >= 3)
            .then(|| pct(90).zip(pct(10)).map(|(a, b)| a - b))
            .flatten();
        // Paired by order: the herd from the ends' and the returns' own spreads.
        let herd = r
            .spread_s
            .zip(r.median_s)
            .map(|(s, m)| by_order(s, &ends, &starts, m));
        r.herd = herd.flatten();
        r.herd_undecided = herd.is_some_and(|h| h.is_none());
    }
    for (inc, m) in w.incidents.iter_mut().zip(moved) {
        let total: u64 = m.values().sum();
        let n = total.min(inc.reconnects.never);
        if n == 0 {
            continue;
        }
        inc.reconnects.elsewhere = n;
        // At another port of the server's own host (a restart there, where it said so).
        let host = inc.server_ep.map(|s| s.ip());
        let here: u64 = m
            .iter()
            .filter(|(s, _)| Some(s.ip()) == host)
            .map(|(_, c)| *c)
            .sum();
        inc.facts.came_back_on_its_host = here.min(n);
        inc.reconnects.never -= n;
        inc.reconnects.elsewhere_server = m
            .iter()
            .max_by_key(|(s, c)| (**c, std::cmp::Reverse(**s)))
            .map(|(s, _)| s.to_string());
    }
}

/// Per incident: who came back (through refused attempts), how fast, whether in a herd.
pub(super) fn come_back(w: &mut Work, accepted: &[Option<u32>]) {
    // Per incident: each member's end and its accepted reconnect's start, nanoseconds.
    let mut times: Vec<Vec<(i64, Option<i64>)>> = vec![Vec::new(); w.incidents.len()];
    let mut delays: Vec<Vec<f64>> = vec![Vec::new(); w.incidents.len()];
    let mut refused = vec![0u64; w.incidents.len()];
    // Per incident: of those, the upgrades refused with an HTTP status, the one status
    // and the one page's words they share (`Some(None)`: not one).
    let mut http = vec![0u64; w.incidents.len()];
    let mut status: Vec<Option<Option<u16>>> = vec![None; w.incidents.len()];
    let mut page: Vec<Option<Option<u32>>> = vec![None; w.incidents.len()];
    // And the start of the last of them.
    let mut http_last: Vec<Option<i64>> = vec![None; w.incidents.len()];
    let mut same_host = vec![0u64; w.incidents.len()];
    // Per incident: the ends and the returns counted in `delays`, each sorted later (where
    // some were paired by order on a shared host, the herd is read from their spreads).
    let mut ends_returns: Vec<(Vec<i64>, Vec<i64>)> =
        vec![(Vec::new(), Vec::new()); w.incidents.len()];
    // Per incident: members whose client came back through the front to the same backend,
    // and to another one (their new front leg's back leg's server).
    let mut backends = vec![(0u64, 0u64); w.incidents.len()];
    // Per front leg: its back leg (the inverse of `front_of`), made only where legs are.
    let mut back_of: Vec<Option<u32>> = Vec::new();
    if w.back.iter().any(|&b| b) {
        back_of = vec![None; w.e.len()];
        for (b, f) in w.front_of.iter().enumerate() {
            if let Some(x) = f.and_then(|f| back_of.get_mut(f as usize)) {
                *x = Some(b as u32);
            }
        }
    }
    for (i, inc) in w.incident.iter().enumerate() {
        w.steps += 1;
        let Some(k) = inc.and_then(|k| k.checked_sub(1)) else {
            continue;
        };
        let Some(e) = w.e.get(i) else { continue };
        // A front leg that relayed its back leg's ending: the back leg is the member.
        if w.relayed.get(i).copied().unwrap_or(false) && !w.is_back(i as u32) {
            continue;
        }
        // A stalled server's upgrades left unanswered belong to it but are no members (its
        // `stall` counts them), nor refused: unanswered.
        let stalled = w
            .incidents
            .get(k as usize)
            .is_some_and(|x| x.kind == IncidentKind::ServerStall);
        if stalled && stalls::gave_up(w, i as u32) {
            continue;
        }
        // A back leg's client is the proxy: its client's attempts are its front leg's chain
        // (each refused by the front while the backend was down, with 502 Bad Gateway, 503
        // or 504: RFC 9110 §15.6.3-5, a gateway that got no good answer from upstream), not
        // the proxy's next back leg. Only those before the backend accepted again are its.
        let back_leg = w.is_back(i as u32);
        let from = if back_leg {
            backend::client_side(w, i as u32)
        } else {
            i as u32
        };
        let up = w
            .incidents
            .get(k as usize)
            .and_then(|x| x.down_s.map(|d| x.end.0.saturating_add((d * NS) as i64)))
            .unwrap_or(i64::MAX);
        let its =
            |x: &Ending| !back_leg || (matches!(x.how, How::Refused(502..=504)) && x.start <= up);
        if let Some(j) = w.next_of(from) {
            let unanswered = stalled && stalls::gave_up(w, j);
            if refused_again(w, from, j) && !unanswered {
                // Then each refused attempt down the member's chain that no incident holds
                // (each has one attempt before it: counted once), to the one accepted.
                let mut at = Some(j);
                while let Some(x) = at {
                    w.steps += 1;
                    let Some(e) = w.e.get(x as usize) else { break };
                    if !its(e) {
                        break;
                    }
                    if let Some(r) = refused.get_mut(k as usize) {
                        *r += 1;
                    }
                    if let How::Refused(code) = e.how {
                        if let Some(h) = http.get_mut(k as usize) {
                            *h += 1;
                        }
                        if let Some(s) = status.get_mut(k as usize) {
                            *s = Some(s.map_or(Some(code), |was| was.filter(|&c| c == code)));
                        }
                        if let Some(p) = page.get_mut(k as usize) {
                            *p = Some(p.map_or(Some(e.said), |was| was.filter(|&c| c == e.said)));
                        }
                        if let Some(l) = http_last.get_mut(k as usize) {
                            *l = Some(l.map_or(e.start, |t| t.max(e.start)));
                        }
                    }
                    at = w
                        .next_of(x)
                        .filter(|_| w.incident.get(x as usize).is_some_and(Option::is_none))
                        .filter(|&y| w.at(y).is_some_and(|n| matches!(n.how, How::Refused(_))));
                }
            }
        }
        // A back leg's client is the proxy: its client came back when its front leg's did
        // (through the same front, to any backend).
        let own = backend::client_side(w, i as u32) as usize;
        let back = accepted
            .get(own)
            .copied()
            .flatten()
            .and_then(|j| w.e.get(j as usize));
        if let (Some(a), true) = (accepted.get(own).copied().flatten(), back_leg) {
            // Where its new back leg went: the stopped backend again, or another.
            let to = back_of
                .get(a as usize)
                .copied()
                .flatten()
                .and_then(|b| w.at(b));
            let stopped = w.incidents.get(k as usize).and_then(|x| x.server_ep);
            if let (Some(b), Some(n)) = (to, backends.get_mut(k as usize)) {
                if Some(b.server) == stopped {
                    n.0 += 1;
                } else {
                    n.1 += 1;
                }
            }
        }
        if let Some(a) = back {
            // A dark host's clients: from its return (they may have come back before their
            // old sessions' ends reached the wire).
            let back_at = w.incidents.get(k as usize).and_then(|x| x.back_at);
            let end = back_at
                .or_else(|| partition::gave_up(w, i as u32))
                .unwrap_or(e.end);
            if let Some(d) = delays.get_mut(k as usize) {
                d.push((a.start - end) as f64 / NS);
            }
            if let Some((ends, returns)) = ends_returns.get_mut(k as usize) {
                ends.push(end);
                returns.push(a.start);
            }
            if w.multi.get(own).copied().unwrap_or(false) {
                if let Some(s) = same_host.get_mut(k as usize) {
                    *s += 1;
                }
            }
        }
        if let Some(t) = times.get_mut(k as usize) {
            t.push((e.end, back.map(|a| a.start)));
        }
    }
    let words: Vec<Option<crate::vocab::Stated>> = page
        .iter()
        .map(|p| {
            let id = p
                .flatten()
                .filter(|&id| id != crate::incident::said::NONE)?;
            let words = w.saids.get(id)?.words.as_deref().map(str::to_string);
            words.is_some().then(|| crate::vocab::Stated {
                words,
                ..Default::default()
            })
        })
        .collect();
    let all = w.incidents.iter_mut().zip(delays).zip(refused).zip(times);
    let all = all
        .zip(same_host)
        .zip(http)
        .zip(status)
        .zip(words)
        .zip(http_last)
        .zip(backends)
        .zip(ends_returns);
    for (
        (((((((((inc, mut d), refused), t), same_host), http), status), words), last), backends),
        (mut ends, mut returns),
    ) in all
    {
        (inc.facts.back_same_backend, inc.facts.back_other_backend) = backends;
        (inc.bin_s, inc.bins) = bins(inc.start.0, &t);
        d.sort_unstable_by(f64::total_cmp);
        let pct = |p: usize| d.get((d.len().saturating_sub(1)) * p / 100).copied();
        let spread = (d.len() >= 3)
            .then(|| pct(90).zip(pct(10)).map(|(a, b)| a - b))
            .flatten();
        // Each return paired with its own client's end: the herd from the delays; some
        // paired by order on a shared host: from the ends' and the returns' spreads.
        let herd = spread.zip(pct(50)).map(|(s, m)| {
            if same_host == 0 {
                Some(crate::incident::herd(s, m))
            } else {
                ends.sort_unstable();
                returns.sort_unstable();
                by_order(s, &ends, &returns, m)
            }
        });
        inc.reconnects = Reconnects {
            came_back: d.len() as u64,
            never: inc.members.saturating_sub(d.len() as u64),
            median_s: pct(50),
            slowest_s: d.last().copied(),
            refused,
            spread_s: spread,
            herd: herd.flatten(),
            herd_undecided: herd.is_some_and(|h| h.is_none()),
            same_host,
            refused_http: http,
            refused_status: status.flatten().filter(|_| http > 0),
            refused_said: words.filter(|_| http > 0),
            refused_http_to_s: last.map(|l| (l - inc.end.0) as f64 / NS),
            ..Reconnects::default()
        };
    }
}

/// Whether returns paired with their ends by order came in a herd, from the paired delays'
/// spread, the spreads of `ends` and `returns` (each sorted, nanoseconds; 10th to 90th
/// percentile, as the delays') and the delays' median (`incident::herd_by_order`).
fn by_order(paired_s: f64, ends: &[i64], returns: &[i64], median_s: f64) -> Option<bool> {
    let spread = |v: &[i64]| {
        let at = |p: usize| v.get(v.len().saturating_sub(1) * p / 100).copied();
        at(90).zip(at(10)).map_or(0.0, |(a, b)| (a - b) as f64 / NS)
    };
    crate::incident::herd_by_order(paired_s, spread(ends), spread(returns), median_s)
}

/// The picture's bars: from `start`, of the least width of [`WIDTHS`] that spans every end
/// and reconnect in [`MAX_BINS`] bars (the widest, with later ones in the last bar).
fn bins(start: i64, times: &[(i64, Option<i64>)]) -> (f64, Vec<Bin>) {
    const WIDTHS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
    let last = times
        .iter()
        .map(|&(e, b)| b.unwrap_or(e).max(e))
        .max()
        .unwrap_or(start);
    let span = (last - start) as f64 / NS;
    let width = WIDTHS
        .into_iter()
        .find(|w| span / w < MAX_BINS as f64)
        .unwrap_or(60.0);
    let n = ((span / width) as usize + 1).min(MAX_BINS);
    let mut out = vec![Bin::default(); n];
    let at = |t: i64| (((t - start) as f64 / NS / width) as usize).min(n - 1);
    for &(e, b) in times {
        if let Some(bin) = out.get_mut(at(e)) {
            bin.ends += 1;
        }
        if let Some(bin) = b.and_then(|b| out.get_mut(at(b))) {
            bin.reconnects += 1;
        }
    }
    (width, out)
}
