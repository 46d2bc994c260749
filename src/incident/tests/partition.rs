//! Partitions that heal ([`detect_with`] with outages): the sessions that ended by the heal
//! (plus its slack) are the incident, the others of the same silence its survivors; without
//! outages the same endings are no partition; a silence nobody died of is no incident.

use super::*;
use crate::vocab::Timestamp;

/// 6 sessions of one client host, all crossed by one silence from 10 s to 22 s: 4 ended by
/// their clients' FINs at the heal, 2 lived on to 40 s.
fn crossed() -> (Vec<Ending>, Vec<Outage>) {
    let mut v = Vec::new();
    for k in 0..6u16 {
        let died = k < 4;
        let end = if died {
            22 * S + i64::from(k) * MS
        } else {
            40 * S
        };
        v.push(ending(
            20,
            1000 + k,
            i64::from(k) * MS,
            end,
            How::Fin,
            Some(Role::Client),
        ));
    }
    let v = numbered(v);
    let outages = v
        .iter()
        .map(|e| Outage {
            order: e.order,
            stream: 0,
            from: T0 + 10 * S + i64::from(e.pos) * 10 * MS,
            healed: T0 + 22 * S,
        })
        .collect();
    (v, outages)
}

#[test]
fn a_silence_both_ways_that_heals_is_a_partition_with_its_survivors() {
    let (v, outages) = crossed();
    let out = detect_with(v, &[], &outages);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::Partition);
    assert_eq!(i.members, 4);
    let p = i.partition.as_ref().unwrap();
    assert_eq!((p.crossed, p.survived), (6, 2));
    assert_eq!(p.survivors, vec![5, 6]);
    assert_eq!(p.healed, Timestamp(T0 + 22 * S));
    // The latest start of the silence among them.
    assert_eq!(p.silent_from, Timestamp(T0 + 10 * S + 50 * MS));
}

#[test]
fn the_same_endings_without_outages_are_no_partition() {
    let (v, _) = crossed();
    let out = detect_(v);
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::Partition),
        "{:#?}",
        out.incidents
    );
}

#[test]
fn a_silence_nobody_died_of_is_no_incident() {
    let (mut v, outages) = crossed();
    for e in &mut v {
        e.end = T0 + 40 * S + i64::from(e.pos) * S;
        e.how = How::Close(Some(1000));
    }
    let out = detect_with(v, &[], &outages);
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// 4 sessions of one client host its kernel reset within 3 ms (a client drop's shape),
/// their client's packets lost between two points of their path from 10 s to 16 s when
/// `lost` (issue 103 item 4).
fn reset_together(lost: bool) -> Vec<Ending> {
    let mut v = Vec::new();
    for k in 0..4u16 {
        let mut e = ending(
            20,
            1000 + k,
            i64::from(k) * MS,
            24 * S + i64::from(k) * MS,
            How::Rst,
            Some(Role::Client),
        );
        if lost {
            e.set_lost(
                T0 + 10 * S + i64::from(k) * 100 * MS,
                T0 + 16 * S,
                Role::Client,
            );
        }
        v.push(e);
    }
    numbered(v)
}

#[test]
fn sessions_lost_between_the_points_are_the_paths_not_a_client_drop() {
    let mut out = detect_(reset_together(false));
    crate::incident::gate(&mut out);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::ClientDrop);
    assert_eq!(out.incidents[0].facts.lost_between_points, 0);

    let mut out = detect_(reset_together(true));
    crate::incident::gate(&mut out);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::Partition);
    assert_eq!(i.members, 4);
    let f = &i.facts;
    assert_eq!(f.lost_between_points, 4);
    assert_eq!(f.lost_between_sent_by, Some(Role::Client));
    // From the first loss (14 s before the first end) to the last (8 s before it), as the
    // ending's byte keeps them (within 4.4 %).
    let from = f.lost_between_from_s.unwrap();
    let to = f.lost_between_to_s.unwrap();
    assert!((from - 14.0).abs() < 14.0 * 0.045, "{from}");
    assert!((to - 8.0).abs() < 0.2, "{to}");
}

/// The rows that blame an endpoint do not hold where most members' packets were lost
/// between the points; `partition`'s does.
#[test]
fn no_endpoint_kind_holds_where_most_were_lost_between() {
    use crate::vocab::{Fact, IncidentFacts};
    let facts = IncidentFacts {
        by_client: 4,
        hosts: 1,
        by_tcp: 4,
        lost_between_points: 3,
        ..IncidentFacts::default()
    };
    for k in [
        IncidentKind::ClientDrop,
        IncidentKind::ServerRestart,
        IncidentKind::ServerStop,
        IncidentKind::ServerStall,
        IncidentKind::CrashLoop,
    ] {
        assert!(k.needs().check(&facts).is_err(), "{k:?}");
    }
    assert_eq!(
        IncidentKind::ClientDrop.needs().check(&facts),
        Err(Fact::LostBetween)
    );
    assert_eq!(IncidentKind::Partition.needs().check(&facts), Ok(()));
    // Half of them is not most.
    let half = IncidentFacts {
        lost_between_points: 2,
        ..facts
    };
    assert_eq!(IncidentKind::ClientDrop.needs().check(&half), Ok(()));
}
