//! The incident stage's tests of issue 91 item 4: the same session seen at two points of a
//! NAT is one session (counted once), and a reset one point saw that the other never saw
//! sent was made between them (the helpers are the parent module's).

use super::*;

/// Behind the NAT, the client host 10.0.0.`inside`; at the server's side, the NAT's own
/// address 10.0.0.99 with the same port: `n` sessions, each seen twice, the inside view
/// ended `inside_how` at 60 s + 13 ms × k, the outside view `outside_how` (by the server)
/// at 60 s + 13 ms × k + `outside_after`, or open.
fn nat(n: u16, inside_how: How, outside_how: How, outside_after: i64) -> Vec<Ending> {
    let mut v = Vec::new();
    for k in 0..n {
        let end = 60 * S + i64::from(k) * 13 * MS;
        let mut key = [7; 16];
        key[..2].copy_from_slice(&k.to_le_bytes());
        let mut a = ending(
            20,
            10_000 + k,
            i64::from(k) * MS,
            end,
            inside_how,
            Some(Role::Server),
        );
        a.key = key;
        let by = (outside_how != How::Open).then_some(Role::Server);
        let mut b = ending(
            99,
            10_000 + k,
            i64::from(k) * MS + 50_000,
            end + outside_after,
            outside_how,
            by,
        );
        b.key = key;
        v.push(a);
        v.push(b);
    }
    numbered(v)
}

/// Five sessions reset in the server's name at the clients' side of a NAT whose server side
/// shows no reset (the sessions stay open there): no TTL said so (`forged` unset), the two
/// points do: one middlebox reset of five sessions, not ten, and each view names the other.
#[test]
fn a_reset_one_point_never_saw_sent_makes_a_middlebox_incident() {
    let out = detect_(nat(5, How::Rst, How::Open, 0));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::MiddleboxReset);
    assert_eq!(i.members, 5);
    for pos in (0..10u32).step_by(2) {
        let t = out.links.get(pos).and_then(|l| l.twin).unwrap();
        assert_eq!(t.connection, u64::from(pos) + 2);
        assert_eq!(t.translated, Role::Client);
        assert_eq!(t.reset_made_between, Some(Role::Server));
        let u = out.links.get(pos + 1).and_then(|l| l.twin).unwrap();
        assert_eq!(
            (u.connection, u.reset_made_between),
            (u64::from(pos) + 1, None)
        );
        assert!(out.links.get(pos + 1).and_then(|l| l.incident).is_none());
    }
}

/// Controls. The server's own resets, seen at both points within a millisecond: a
/// restart-like stop of five sessions, once, and no reset made between. Normal closes at
/// both points: no incident and no reconnect link, the twins linked all the same. The
/// server-side views ended by a FIN 9 s after the inside views' resets: not counted again
/// as a stop of their own.
#[test]
fn the_same_ends_at_both_points_say_nothing_of_a_box() {
    let out = detect_(nat(5, How::Rst, How::Rst, 500_000));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_ne!(out.incidents[0].kind, IncidentKind::MiddleboxReset);
    assert_eq!(out.incidents[0].members, 5);
    for pos in 0..10u32 {
        let t = out.links.get(pos).and_then(|l| l.twin).unwrap();
        assert_eq!(t.reset_made_between, None, "{pos}");
    }

    let close = How::Close(Some(1000));
    let mut v = nat(5, close, close, 500_000);
    for e in &mut v {
        e.by = Some(Role::Client);
    }
    let out = detect_(v);
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    for pos in 0..10u32 {
        let l = out.links.get(pos).unwrap();
        assert!(l.twin.is_some_and(|t| t.reset_made_between.is_none()));
        assert!(l.reconnect.is_none() && l.replaces.is_none(), "{l:?}");
    }

    let out = detect_(nat(5, How::Rst, How::Fin, 9 * S));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::MiddleboxReset);
    assert_eq!(out.incidents[0].members, 5);
}
