//! The live watch on a busy server (issue 95): a server's steady pace of endings all day
//! forms no incident once that pace is known, and a burst on top of it still does, and
//! ends when the pace falls back (the helpers are the parent module's).

use super::*;
use crate::vocab::{CloseEvent, EndKind, EventWhat};

/// The server's ending of a session at `ns` past T0, by close `code` (FIN with none).
fn ended(server: u16, ns: i64, code: Option<u16>, n: u16) -> CloseEvent {
    CloseEvent {
        ts: crate::vocab::Timestamp(T0 + ns),
        start: crate::vocab::Timestamp(T0),
        packet: n as u64,
        client: ep(20, n),
        server: ep(5, server),
        path: None,
        h2_stream: None,
        from: Role::Server,
        what: match code {
            Some(c) => EventWhat::Close {
                code: Some(c),
                reason: String::new(),
                problems: Vec::new(),
            },
            None => EventWhat::Tcp(EndKind::Fin),
        },
        first: true,
        missing: false,
        unanswered: None,
        close_notify: None,
        scope: 0,
    }
}

/// Gaps drawn from an exponential of mean `mean_ns` (a Poisson process, as independent
/// clients leave), from a fixed seed.
fn poisson_times(n: usize, mean_ns: f64, seed: u64) -> Vec<i64> {
    let mut x = seed;
    let mut t = 0f64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            t += -u.ln() * mean_ns;
            t as i64
        })
        .collect()
}

#[test]
fn a_steady_pace_forms_nothing_and_a_burst_on_it_does() {
    let mut w = Watch::default();
    // A day's worth of pace compressed: a close 4001 every 0.5 s on average, 20 000 of them
    // (its gap 60 s: before the usual pace was learned, every three made a group forever).
    let times = poisson_times(20_000, 0.5e9, 7);
    let mut said = 0;
    let mut open_at_some_scrape = 0;
    for (k, t) in times.iter().enumerate() {
        said += usize::from(w.event(&ended(1, *t, Some(4001), k as u16)).is_some());
        if k % 100 == 99 {
            open_at_some_scrape += w.forming(crate::vocab::Timestamp(T0 + t)).len();
        }
    }
    // The first group may be said before the pace is known (16 gaps); none later.
    assert!(said <= 2, "said {said} times at a steady pace");
    assert!(
        open_at_some_scrape <= 1,
        "forming at {open_at_some_scrape} of 200 scrapes"
    );
    // A burst: 50 sessions closed 4001 within 20 ms, on top of the pace.
    let end = *times.last().unwrap();
    let mut marks = Vec::new();
    for k in 0..50 {
        if let Some(f) = w.event(&ended(
            1,
            end + 1_000 * MS + k * 400_000,
            Some(4001),
            k as u16,
        )) {
            marks.push(f.members);
        }
    }
    // Said once it stands out (three within a millisecond at a pace of one in 0.5 s could
    // still be chance at one in a million; four cannot), then at 10.
    assert_eq!(
        marks,
        vec![4, 10],
        "the burst is said as it stands out, then at 10"
    );
    let now = crate::vocab::Timestamp(T0 + end + 1_020 * MS);
    assert_eq!(w.forming(now).len(), 1);
    // The pace goes on as usual: the burst's group ends, as it no longer stands out.
    let after = poisson_times(400, 0.5e9, 11);
    for (k, t) in after.iter().enumerate() {
        w.event(&ended(1, end + 1_100 * MS + t, Some(4001), k as u16));
    }
    let later = crate::vocab::Timestamp(T0 + end + 1_100 * MS + after.last().unwrap());
    assert!(w.forming(later).is_empty(), "{:?}", w.forming(later));
}

/// The control of the rule: a server whose pace is not known yet (a quiet one) forms a group
/// of three as before.
#[test]
fn a_quiet_server_forms_at_three() {
    let mut w = Watch::default();
    let said: Vec<u64> = (0..3)
        .filter_map(|k| w.event(&ended(2, k * 5 * MS, None, k as u16)))
        .map(|f| f.members)
        .collect();
    assert_eq!(said, vec![3]);
}
