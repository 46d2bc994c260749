//! The pairing of a proxied session's two legs (the rules are `report::legs`'s): by key
//! (`pair_group`), by key and nested handshakes (`nested_handshakes`), by path and
//! timing for an HTTP/2 front leg (`pair_by_path`), each within one input; by key and
//! nested handshakes across two inputs, each leg captured at a point of its own
//! ([`two_points`]); and the pairs linked, in memory ([`link_vec`]) or in a store
//! (`link_store`), by the `link` each is given (`diagnose::proxied::link`).
//!
//! In: the [`Index`] of legs and candidates the reports were noted in as they came
//! (`report::legs`: what the index keeps, and the facts it keeps of a report). Out: the
//! [`Pair`]s, and the reports of each pair linked.

use crate::report::legs::{order, Candidate, Index, Leg, LinkedBy, Pair, CLOSE_GAP_S};
use crate::report::{ConnectionReport, Store};
use crate::vocab::InputSummary;
use std::collections::HashMap;

pub mod two_points;

/// Most HTTP/2 WebSockets of one path whose CONNECT is waiting for its 200 at one moment
/// that a back leg's upgrade is compared with: with more, the back legs of that moment are
/// ambiguous anyway, and are left unlinked (which keeps hostile captures linear).
const ACTIVE_MAX: usize = 64;

/// The pairs of legs: by key first, then HTTP/2 front legs by path and timing among
/// the connections no key linked.
pub fn pairs(mut index: Index) -> Vec<Pair> {
    index.trim(1);
    pairs_counted(index, &mut 0)
}

/// [`pairs`], adding to `work` the legs it looked at (one for each leg it
/// considered as a front or a back, or searched for): what tests count to see that the
/// work grows as n log n, not n², with the sessions sharing one key.
fn pairs_counted(mut index: Index, work: &mut u64) -> Vec<Pair> {
    // Only a key that two legs or more of one input share can pair them: those legs
    // are moved to the front and sorted, the others (most keys are alone) left out of
    // the sort. A count per hash slot (a byte per slot, four slots a leg at least, not
    // a copy of the legs): legs that share a slot by chance are sorted too, and grouped
    // by their real keys.
    let slots = index.legs.len().saturating_mul(4).next_power_of_two();
    let slot = |l: &Leg| {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        (l.order >> 48).hash(&mut h);
        l.key.hash(&mut h);
        h.finish() as usize & (slots - 1)
    };
    let mut count = vec![0u8; slots];
    for l in &index.legs {
        if let Some(c) = count.get_mut(slot(l)) {
            *c = c.saturating_add(1);
        }
    }
    let mut shared = 0;
    for i in 0..index.legs.len() {
        if index
            .legs
            .get(i)
            .and_then(|l| count.get(slot(l)))
            .is_some_and(|&c| c > 1)
        {
            index.legs.swap(shared, i);
            shared += 1;
        }
    }
    drop(count);
    let shared = index.legs.get_mut(..shared).unwrap_or_default();
    // Same input and key together, in order of start: compared field by field, not
    // through a tuple of copies of each (the key is 32 bytes).
    shared.sort_unstable_by(|a, b| {
        (a.order >> 48)
            .cmp(&(b.order >> 48))
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.start.cmp(&b.start))
            .then_with(|| a.order.cmp(&b.order))
    });
    let (mut keyed, mut apart) = (Vec::new(), Vec::new());
    for group in shared.chunk_by(|x, y| (x.order >> 48, x.key) == (y.order >> 48, y.key)) {
        let before = keyed.len();
        pair_group(group, &mut keyed, work);
        if keyed.len() == before {
            apart.extend(apart_pair(group));
        }
    }
    let nested = nested_handshakes(&index.candidates, &apart, work);
    let mut linked: Vec<u64> = keyed
        .iter()
        .flat_map(|&(f, b)| [f, b])
        .chain(nested.iter().flat_map(|p| [p.front.0, p.back.0]))
        .collect();
    linked.sort_unstable();
    index
        .candidates
        .retain(|c| c.stream > 0 || linked.binary_search(&c.order).is_err());
    let mut pairs: Vec<Pair> = keyed
        .into_iter()
        .map(|(f, b)| Pair {
            front: (f, 0),
            back: (b, 0),
            by: LinkedBy::Key,
        })
        .collect();
    // A front leg in a tunnel says what linked it in the report (`link`).
    let mut tunnels: Vec<u64> = index
        .legs
        .iter()
        .filter(|l| l.target_port != 0)
        .map(|l| l.order)
        .collect();
    tunnels.sort_unstable();
    for p in &mut pairs {
        *work += 1;
        if tunnels.binary_search(&p.front.0).is_ok() {
            p.by = LinkedBy::KeyAndConnect {
                connect: 0,
                target: String::new(),
            };
        }
    }
    pairs.extend(nested);
    pair_by_path(&index.candidates, &mut pairs);
    pairs
}

/// The two legs of `group` (one input's connections with one key, by start) to link by
/// their handshakes ([`nested_handshakes`]) though the back leg leaves from another
/// address than the front leg's server (the group's legs linked by address, none): when
/// the key is these two connections' alone (more share it: a load test or a client's
/// constant key, and nothing tells which is which, THREATS kind 3), the second starts
/// while the first is open, from another address than the first's client and than its
/// server, to another endpoint, and the first is in no CONNECT tunnel.
fn apart_pair(group: &[Leg]) -> Option<(u64, u64)> {
    let [front, back] = group else {
        return None;
    };
    (front.target_port == 0
        && back.start >= front.start
        && back.start <= front.end
        && back.client_ip != front.client_ip
        && back.client_ip != front.server_ip
        && back.server != front.server)
        .then_some((front.order, back.order))
}

/// The pairs of `apart` ([`apart_pair`]) whose handshakes are nested: the back leg's
/// upgrade request and its 101 both between the front leg's request and its 101 (a proxy
/// passes the upgrade on and answers the client once the backend answered; RFC 6455 §4.1
/// lets no endpoint answer before the request). Their handshakes are those of
/// `candidates` (HTTP/1.1 upgrades answered 101, with a path); a leg without one is not
/// linked. `work` counts the candidates looked at.
fn nested_handshakes(candidates: &[Candidate], apart: &[(u64, u64)], work: &mut u64) -> Vec<Pair> {
    if apart.is_empty() {
        return Vec::new();
    }
    let mut wanted: Vec<u64> = apart.iter().flat_map(|&(f, b)| [f, b]).collect();
    wanted.sort_unstable();
    let mut hs: Vec<(u64, u64, u64)> = candidates
        .iter()
        .filter(|c| c.stream == 0 && wanted.binary_search(&c.order).is_ok())
        .map(|c| (c.order, c.request, c.response))
        .collect();
    *work += candidates.len() as u64;
    hs.sort_unstable();
    let of = |o: u64| {
        hs.binary_search_by_key(&o, |h| h.0)
            .ok()
            .and_then(|i| hs.get(i))
            .copied()
    };
    apart
        .iter()
        .filter_map(|&(f, b)| {
            let ((_, request, answer), (_, upgrade, upgrade_answer)) = (of(f)?, of(b)?);
            (request < upgrade && upgrade < upgrade_answer && upgrade_answer < answer).then_some(
                Pair {
                    front: (f, 0),
                    back: (b, 0),
                    by: LinkedBy::KeyAndHandshakes {
                        request,
                        upgrade,
                        upgrade_answer,
                        answer,
                    },
                },
            )
        })
        .collect()
}

/// Whether two legs' closes follow each other: both began to close within
/// [`CLOSE_GAP_S`], or neither did. Milliseconds between them (None: both open).
fn closes_follow(f: &Candidate, b: &Candidate) -> Option<Option<f64>> {
    match (f.closing, b.closing) {
        (None, None) => Some(None),
        (Some(x), Some(y)) => {
            let gap = x.since(y).max(y.since(x));
            (gap <= CLOSE_GAP_S).then_some(Some(gap * 1000.0))
        }
        _ => None,
    }
}

/// Pairs HTTP/2 front legs with HTTP/1.1 back legs by path and timing, where exactly one
/// candidate fits each way; adds the pairs to `pairs`.
fn pair_by_path(all: &[Candidate], pairs: &mut Vec<Pair>) {
    // Only an input and path with an HTTP/2 front leg can pair: the candidates of the
    // others (every one of a capture without HTTP/2 WebSockets) are left out before the
    // sort.
    let fronts: rustc_hash::FxHashSet<(u64, u64)> = all
        .iter()
        .filter(|c| c.stream > 0)
        .map(|c| (c.order >> 48, c.path))
        .collect();
    if fronts.is_empty() {
        return;
    }
    let mut all: Vec<Candidate> = all
        .iter()
        .filter(|c| fronts.contains(&(c.order >> 48, c.path)))
        .copied()
        .collect();
    // One input and path at a time, in packet order of the requests.
    all.sort_unstable_by_key(|c| (c.order >> 48, c.path, c.request, c.stream));
    for group in all.chunk_by(|x, y| (x.order >> 48, x.path) == (y.order >> 48, y.path)) {
        pair_path_group(group, pairs);
    }
}

/// One input and path, sorted by request packet: a sweep over the requests, keeping the
/// HTTP/2 CONNECTs still waiting for their 200 (at most [`ACTIVE_MAX`]); each HTTP/1.1
/// upgrade is compared with those.
fn pair_path_group(group: &[Candidate], pairs: &mut Vec<Pair>) {
    const MANY: u8 = 2;
    // Per candidate: how many fit it (2 = two or more), and the one that did.
    let mut count = vec![0u8; group.len()];
    let mut only = vec![usize::MAX; group.len()];
    let mut active: Vec<usize> = Vec::new();
    let bump = |count: &mut [u8], only: &mut [usize], at: usize, other: usize| {
        if let (Some(c), Some(o)) = (count.get_mut(at), only.get_mut(at)) {
            *c = (*c + 1).min(MANY);
            *o = other;
        }
    };
    for (i, c) in group.iter().enumerate() {
        if c.stream > 0 {
            active.push(i);
            continue;
        }
        // The CONNECTs answered before this upgrade was sent cannot be its front.
        active.retain(|&f| group.get(f).is_some_and(|f| f.response > c.request));
        if active.len() > ACTIVE_MAX {
            // Too many at once to tell apart: none of them is linked, nor this one.
            for &f in &active {
                if let Some(n) = count.get_mut(f) {
                    *n = MANY;
                }
            }
            if let Some(n) = count.get_mut(i) {
                *n = MANY;
            }
            continue;
        }
        for &f in &active {
            let Some(front) = group.get(f) else { continue };
            // A connection to the proxy's own address is another client's, not a back leg.
            if front.request < c.request
                && front.server != c.server
                && closes_follow(front, c).is_some()
            {
                bump(&mut count, &mut only, f, i);
                bump(&mut count, &mut only, i, f);
            }
        }
    }
    for (b, back) in group.iter().enumerate() {
        if back.stream > 0 || count.get(b) != Some(&1) {
            continue;
        }
        let Some(&f) = only.get(b) else { continue };
        let Some(front) = group.get(f) else { continue };
        if count.get(f) != Some(&1) || only.get(f) != Some(&b) {
            continue;
        }
        let Some(closes_ms) = closes_follow(front, back) else {
            continue;
        };
        pairs.push(Pair {
            front: (front.order, front.stream),
            back: (back.order, 0),
            by: LinkedBy::PathAndTiming {
                host: front.host != 0 && front.host == back.host,
                connect: front.request,
                upgrade: back.request,
                answer: front.response,
                closes_ms,
            },
        });
    }
}

/// Pairs the legs of one key (sorted by start): each with the next one that starts while
/// it is open, leaves from its server's address (the proxy's) and goes to another endpoint
/// than it, each leg at most once. A key alone links nothing: embedded clients and load
/// tests send one constant key, and their unrelated sessions are no proxy's legs.
///
/// In O(n log n) however many legs share the key (issue 67 item 12): a front leg looks only
/// among the legs leaving from its server's address (`from`: the legs by client address,
/// each address's in start order), from the first that starts after it up to the first
/// that starts after it ended; legs already paired are passed over through `next` (a
/// union-find of the next leg not yet paired), and a run of legs to the front's own server
/// at once (`run_end`).
fn pair_group(group: &[Leg], pairs: &mut Vec<(u64, u64)>, work: &mut u64) {
    let n = group.len();
    let leg = |i: usize| group.get(i);
    let mut from: Vec<usize> = (0..n).collect();
    from.sort_unstable_by_key(|&i| (leg(i).map_or(0, |l| l.client_ip), i));
    let at = |j: usize| from.get(j).and_then(|&i| leg(i));
    // The first place after each in `from` that leaves from another address or goes to
    // another server.
    let mut run_end = vec![n; n];
    for j in (0..n.saturating_sub(1)).rev() {
        let same = match (at(j), at(j + 1)) {
            (Some(x), Some(y)) => (x.client_ip, x.server) == (y.client_ip, y.server),
            _ => false,
        };
        let end = if same {
            run_end.get(j + 1).copied().unwrap_or(n)
        } else {
            j + 1
        };
        if let Some(e) = run_end.get_mut(j) {
            *e = end;
        }
    }
    let mut next: Vec<usize> = (0..=n).collect();
    let find = |next: &mut [usize], mut j: usize| {
        while let Some(&p) = next.get(j).filter(|&&p| p != j) {
            let skip = next.get(p).copied().unwrap_or(p);
            if let Some(q) = next.get_mut(j) {
                *q = skip;
            }
            j = skip;
        }
        j
    };
    let mut used = vec![false; n];
    for (a, front) in group.iter().enumerate() {
        *work += 1;
        if used.get(a).copied().unwrap_or(true) {
            continue;
        }
        let lo = from
            .partition_point(|&i| (leg(i).map_or(0, |l| l.client_ip), i) <= (front.server_ip, a));
        let mut j = find(&mut next, lo);
        while let Some(l) = at(j) {
            *work += 1;
            if l.client_ip != front.server_ip || l.start > front.end {
                break;
            }
            if l.server == front.server {
                j = find(&mut next, run_end.get(j).copied().unwrap_or(n));
                continue;
            }
            let fits = l.start >= front.start
                && (front.target_port == 0
                    || (l.server_port == front.target_port
                        && (front.target_ip == 0 || l.server_ip == front.target_ip)
                        && l.start >= front.connect));
            if !fits {
                j = find(&mut next, j + 1);
                continue;
            }
            if let Some(u) = from.get(j).and_then(|&b| used.get_mut(b)) {
                *u = true;
            }
            if let Some(q) = next.get_mut(j) {
                *q = j + 1;
            }
            pairs.push((front.order, l.order));
            break;
        }
    }
}

/// Where the report of store order `order` and HTTP/2 stream `stream` (0: none) is among
/// `orders`, sorted: the reports of one HTTP/2 connection share their order.
fn find(
    range: std::ops::Range<usize>,
    mut stream_at: impl FnMut(usize) -> Option<u32>,
    stream: u32,
) -> Option<usize> {
    range.into_iter().find(|&i| stream_at(i) == Some(stream))
}

/// Pairs the legs among `reports` (in memory, ids given; read from `inputs`), and `link`s
/// each pair.
pub fn link_vec(
    reports: &mut [ConnectionReport],
    inputs: &[InputSummary],
    mut link: impl FnMut(&mut ConnectionReport, &mut ConnectionReport, &LinkedBy),
) {
    let key = |r: &ConnectionReport| order(r.input, r.first_packet);
    let mut index = Index::default();
    for r in reports.iter() {
        index.add(key(r), r);
    }
    let pos = |(order, stream): (u64, u32)| {
        let lo = reports.partition_point(|r| key(r) < order);
        let hi = reports.partition_point(|r| key(r) <= order);
        find(
            lo..hi,
            |i| reports.get(i).map(|r| r.h2_stream.unwrap_or(0)),
            stream,
        )
    };
    let across: Vec<(usize, usize)> = two_points::across(&index)
        .into_iter()
        .filter_map(|p| Some((pos(p.front)?, pos(p.back)?)))
        .collect();
    let pairs: Vec<(usize, usize, LinkedBy)> = pairs(index)
        .into_iter()
        .filter_map(|p| Some((pos(p.front)?, pos(p.back)?, p.by)))
        .collect();
    for (f, b, by) in pairs {
        if f == b {
            continue;
        }
        // Two different reports: the later one is the first of the upper part.
        let (lo, hi) = reports.split_at_mut(f.max(b));
        if let (Some(x), Some(y)) = (lo.get_mut(f.min(b)), hi.first_mut()) {
            if f < b {
                link(x, y, &by);
            } else {
                link(y, x, &by);
            }
        }
    }
    // Legs at two points: confirmed on their reports, which also say which is the front.
    for (i, j) in across {
        if i == j {
            continue;
        }
        let (lo, hi) = reports.split_at_mut(i.max(j));
        if let (Some(x), Some(y)) = (lo.get_mut(i.min(j)), hi.first_mut()) {
            match two_points::confirm(x, y, inputs) {
                Some((true, by)) => link(x, y, &by),
                Some((false, by)) => link(y, x, &by),
                None => {}
            }
        }
    }
}

/// Pairs the legs of a sorted store (read from `inputs`): each pair read back, given to
/// `link`, and written back. Returns the (front, back) indexes of the pairs linked (for the
/// incident stage).
pub(crate) fn link_store(
    store: &mut Store,
    inputs: &[InputSummary],
    mut link: impl FnMut(&mut ConnectionReport, &mut ConnectionReport, &LinkedBy),
) -> std::io::Result<Vec<(usize, usize)>> {
    let mut linked = Vec::new();
    let mut buf = Vec::new();
    // The streams of the HTTP/2 connections read back so far: (stream, index) by order.
    let mut streams: HashMap<u64, Vec<(u32, usize)>> = HashMap::new();
    let index = store.take_legs();
    let across = two_points::across(&index);
    for p in pairs(index) {
        let mut at = |(order, stream): (u64, u32)| -> std::io::Result<Option<usize>> {
            let range = store.positions(order);
            if range.len() == 1 && stream == 0 {
                return Ok(Some(range.start));
            }
            // The streams of one HTTP/2 connection share its order: read each back once.
            let ids = match streams.entry(order) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let mut ids = Vec::with_capacity(range.len());
                    for i in range {
                        ids.push((store.get(i, &mut buf)?.h2_stream.unwrap_or(0), i));
                    }
                    e.insert(ids)
                }
            };
            Ok(ids.iter().find(|(s, _)| *s == stream).map(|&(_, i)| i))
        };
        let (Some(i), Some(j)) = (at(p.front)?, at(p.back)?) else {
            continue;
        };
        if i == j {
            continue;
        }
        let mut front = store.get(i, &mut buf)?;
        let mut back = store.get(j, &mut buf)?;
        link(&mut front, &mut back, &p.by);
        store.replace(i, front)?;
        store.replace(j, back)?;
        linked.push((i, j));
    }
    // Legs at two points: confirmed on their reports, which also say which is the front.
    for p in across {
        let (x, y) = (store.positions(p.front.0), store.positions(p.back.0));
        if x.len() != 1 || y.len() != 1 || x.start == y.start {
            continue;
        }
        let mut a = store.get(x.start, &mut buf)?;
        let mut b = store.get(y.start, &mut buf)?;
        let (front, back) = match two_points::confirm(&a, &b, inputs) {
            Some((true, by)) => {
                link(&mut a, &mut b, &by);
                (x.start, y.start)
            }
            Some((false, by)) => {
                link(&mut b, &mut a, &by);
                (y.start, x.start)
            }
            None => continue,
        };
        store.replace(x.start, a)?;
        store.replace(y.start, b)?;
        linked.push((front, back));
    }
    Ok(linked)
}

#[cfg(test)]
mod tests;
