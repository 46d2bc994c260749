//! Idle cohorts cut by a timer checked in a periodic sweep (issue 102 item 5): the ends come
//! in bursts one period apart, each member at an idle age between the timeout and the
//! timeout plus the period, while the sessions with traffic live on. Its second shape here (a
//! sweep of another period than Traffic Server's one second, fixtures/incident7/
//! ats-idle-cohort) and its controls: bursts whose idle ages differ, a sweep that left no
//! session of the server living.

use super::*;

/// `n` sessions begun `every_ms` apart from 0, quiet after their first 5 ms, cut at the
/// first tick of a sweep (every `period_ms` from `phase_ms`) that finds them idle `timeout_ms`
/// or more, a few milliseconds into the tick; with `others` sessions of the server begun at
/// 0 and open to the end (their traffic kept them young).
fn sweep(
    n: u16,
    every_ms: i64,
    timeout_ms: i64,
    period_ms: i64,
    phase_ms: i64,
    others: u16,
) -> Vec<Ending> {
    (0..n)
        .map(|k| {
            let start = i64::from(k) * every_ms * MS;
            let quiet_from = start + 5 * MS;
            let due = quiet_from + timeout_ms * MS - phase_ms * MS;
            let tick =
                phase_ms * MS + (due + period_ms * MS - 1) / (period_ms * MS) * period_ms * MS;
            let end = tick + i64::from(k % 4) * MS;
            let mut e = ending(
                20 + (k % 5) as u8,
                10_000 + k,
                start,
                end,
                How::Fin,
                Some(Role::Server),
            );
            e.idle_ms = ((end - quiet_from) / MS) as u32;
            e
        })
        .chain((0..others).map(|k| ending(90, 20_000 + k, 0, 0, How::Open, None)))
        .collect()
}

fn idle_cohorts(out: &Outcome) -> Vec<&Incident> {
    out.incidents
        .iter()
        .filter(|i| i.kind == IncidentKind::IdleTimeoutCohort)
        .collect()
}

/// A 10 s timeout checked every 0.5 s: 24 sessions begun over 1.4 s, cut in four bursts 0.5 s
/// apart at idle ages of 10.0-10.5 s, while 10 others live on: one idle cohort of the 24
/// (before: nothing, its ends spread less than four times as much as their ages differ).
#[test]
fn a_sweep_every_half_second_is_one_cohort() {
    let out = detect_(numbered(sweep(24, 60, 10_000, 500, 200, 10)));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::IdleTimeoutCohort, "{i:#?}");
    assert_eq!(i.members, 24);
    assert!(i.facts.same_idle_age, "{i:#?}");
}

/// Traffic Server's shape (a 5 s timeout checked every second, 20 sessions begun over 2 s,
/// 10 others ticking): one idle cohort of the 20.
#[test]
fn a_sweep_every_second_is_one_cohort() {
    let out = detect_(numbered(sweep(20, 100, 5_000, 1_000, 780, 10)));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::IdleTimeoutCohort);
    assert_eq!(out.incidents[0].members, 20);
}

/// The control: three bursts 0.5 s apart whose members' idle ages differ by more than the
/// bursts' spacing (5.1, 5.9 and 5.5 s), while 10 others live on: no sweep cut them (at the
/// first burst's tick the second's members were already older than the first's), no
/// incident.
#[test]
fn bursts_at_different_idle_ages_are_no_cohort() {
    let v: Vec<Ending> = [(8_000i64, 5_100i64), (8_500, 5_900), (9_000, 5_500)]
        .iter()
        .enumerate()
        .flat_map(|(b, &(at, age))| {
            (0..6u16).map(move |k| {
                let end = at * MS + i64::from(k) * MS;
                let start = end - (age + i64::from(k) * 10) * MS;
                let mut e = ending(
                    20 + (k % 5) as u8,
                    10_000 + b as u16 * 100 + k,
                    start,
                    end,
                    How::Fin,
                    Some(Role::Server),
                );
                e.idle_ms = (age + i64::from(k) * 10) as u32;
                e
            })
        })
        .chain((0..10u16).map(|k| ending(90, 20_000 + k, 0, 0, How::Open, None)))
        .collect();
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// The control: the sweep's shape where no session of the server lived through the bursts
/// (nothing else open): what ended every session it had is no idle timer shown, no cohort.
#[test]
fn a_sweep_that_left_nothing_living_is_no_cohort() {
    let out = detect_(numbered(sweep(24, 60, 10_000, 500, 200, 0)));
    assert!(idle_cohorts(&out).is_empty(), "{:#?}", out.incidents);
}
