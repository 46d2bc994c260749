//! The incident stage's tests of issue 91 item 7's doubtful clusters: endings that cluster
//! in time that no kind fits are described, with why no kind is named, never made an
//! incident (the helpers are the parent module's; the controls that must give none, a
//! batch closed one after another, clients leaving at random, two client processes of one
//! host, are in `stops.rs`).

use super::*;

/// A server's steady background: `n` sessions of their own client hosts (100 + k), each
/// closed by its client with a FIN at 10 s + 3 s × k: a pace of one ending every 3 s.
fn background(n: u16) -> Vec<Ending> {
    (0..n)
        .map(|k| {
            let end = 10 * S + i64::from(k) * 3 * S;
            ending(
                100 + k as u8,
                50_000 + k,
                0,
                end,
                How::Fin,
                Some(Role::Client),
            )
        })
        .collect()
}

/// Six sessions of one server end within 50 ms, three by the server's FIN and three by
/// their clients' FINs (three hosts), amid endings every 3 s: no incident (no one party
/// ended them), one doubt that says so, with its members.
#[test]
fn endings_ended_by_both_sides_at_once_are_a_doubt_not_an_incident() {
    let mut v = background(40);
    for k in 0..6u16 {
        let by = if k % 2 == 0 {
            Role::Server
        } else {
            Role::Client
        };
        let end = 62 * S + 500 * MS + i64::from(k) * 10 * MS;
        v.push(ending(20 + k as u8, 10_000 + k, S, end, How::Fin, Some(by)));
    }
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    assert_eq!(out.doubts.len(), 1, "{:#?}", out.doubts);
    let d = &out.doubts[0];
    assert_eq!(d.members, 6);
    assert_eq!((d.by_server, d.by_client), (3, 3));
    assert_eq!(d.server, "10.0.0.5:8443");
    assert_eq!(d.ended_by, "fin");
    assert!((0.049..0.051).contains(&d.window_s), "{}", d.window_s);
    assert_eq!(d.reason, crate::vocab::DoubtReason::BothSides);
    // Without the cluster: nothing.
    let out = detect_(numbered(background(40)));
    assert!(
        out.incidents.is_empty() && out.doubts.is_empty(),
        "{:#?}",
        out.doubts
    );
}

/// Five sessions cut by the server within 100 ms while forty others run on (the test of
/// `stops.rs` that is no idle cohort): no incident, a doubt that says the server ended five
/// of the forty-five sessions open.
#[test]
fn a_few_of_many_open_ended_at_once_are_a_doubt() {
    let out = detect_(numbered(five_cut_among_forty_open()));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    assert_eq!(out.doubts.len(), 1, "{:#?}", out.doubts);
    let d = &out.doubts[0];
    assert_eq!((d.members, d.open, d.by_server), (5, 45, 5));
    assert_eq!(d.reason, crate::vocab::DoubtReason::FewOfOpen);
}

/// A stop that is an incident leaves no doubt: its members are taken.
#[test]
fn an_incident_s_members_are_no_doubt() {
    let mut v = background(20);
    for k in 0..30u16 {
        v.push(ending(
            20 + k as u8,
            10_000 + k,
            S,
            40 * S + i64::from(k) * MS,
            How::Fin,
            Some(Role::Server),
        ));
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert!(out.doubts.is_empty(), "{:#?}", out.doubts);
}
