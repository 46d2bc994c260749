//! The incident stage's tests of issue 91's path kinds: resets made between the peers (a
//! middlebox), a backend stopped behind a proxy whose clients came back through the front,
//! and reconnects that are sure among several clients of one host (the helpers are the
//! parent module's).

use super::*;

/// 30 sessions (30 client hosts) reset in the server's name within 0.4 s, each reset's TTL
/// unlike the server's packets (`forged`), all back 3 s later: one middlebox reset, not a
/// server restart. The same burst with resets the server sent is its restart (the rule
/// decides on the forged mark alone).
#[test]
fn forged_resets_in_a_burst_are_a_middlebox_not_a_restart() {
    let fleet = |forged: bool| {
        let mut v = Vec::new();
        for k in 0..30u16 {
            let host = k as u8 + 20;
            let end = 60 * S + i64::from(k) * 13 * MS;
            let mut e = ending(host, 10_000 + k, 0, end, How::Rst, Some(Role::Server));
            e.forged = forged;
            v.push(e);
            v.push(ending(host, 20_000 + k, end + 3 * S, 0, How::Open, None));
        }
        detect_(numbered(v))
    };
    let out = fleet(true);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::MiddleboxReset);
    assert_eq!(i.members, 30);
    assert_eq!(i.server.as_deref(), Some("10.0.0.5:8443"));
    assert!((0.37..0.38).contains(&i.window_s), "{}", i.window_s);
    assert_eq!(i.reconnects.came_back, 30);
    assert_eq!(i.reconnects.never, 0);
    // From the last reset to the next session the server accepted.
    assert!(
        i.down_s.is_some_and(|d| (2.6..2.7).contains(&d)),
        "{:?}",
        i.down_s
    );
    assert!(
        i.headline().contains("not by the side they name"),
        "{}",
        i.headline()
    );
    let out = fleet(false);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::ServerRestart);
}

/// Forged resets of single sessions, each more than MIDDLEBOX_GAP_S after the one before
/// (a box that drops one flow now and then): no incident. And two forged resets in a burst
/// are too few.
#[test]
fn forged_resets_spread_out_or_too_few_are_no_incident() {
    let mut v = Vec::new();
    for k in 0..10u16 {
        let end = 60 * S + i64::from(k) * 6 * S;
        let mut e = ending(
            k as u8 + 20,
            10_000 + k,
            0,
            end,
            How::Rst,
            Some(Role::Server),
        );
        e.forged = true;
        v.push(e);
    }
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    let mut v = Vec::new();
    for k in 0..2u16 {
        let mut e = ending(
            k as u8 + 20,
            10_000 + k,
            0,
            60 * S,
            How::Rst,
            Some(Role::Server),
        );
        e.forged = true;
        v.push(e);
    }
    // Open sessions of other hosts, so that the stage runs.
    v.push(ending(40, 1, 0, 0, How::Open, None));
    assert!(detect_(numbered(v)).incidents.is_empty());
}

/// A proxy at 10.0.0.9:80 in front of backends 10.0.0.5:8443 and 10.0.0.6:8443: 12
/// sessions through it to the first backend, which ends its back legs (FIN) at once; the
/// proxy ends each front leg 1 ms later; each client opens a new session through the
/// front 1 s later, sent to the other backend. One backend stop, all 12 came back (before:
/// a server stop, 12 never came back). Without the leg pairs (and so nothing proxied), the
/// same endings are a stop of that server whose client (the proxy's host) never came back.
#[test]
fn a_backend_stopped_behind_a_proxy_counts_clients_back_through_the_front() {
    let proxy = ep(9, 0);
    let front = ep(9, 80);
    let run = |paired: bool| {
        let mut v: Vec<Ending> = Vec::new();
        let mut legs = Vec::new();
        for k in 0..12u16 {
            let host = k as u8 + 20;
            let end = 30 * S + i64::from(k) * MS / 10;
            let (f, b) = proxied_legs(k, paired);
            let mut f2 = ending(host, 11_000 + k, end + S, 0, How::Open, None);
            f2.server = front;
            f2.proxied = paired;
            let mut b2 = ending(9, 31_000 + k, end + S + MS / 2, 0, How::Open, None);
            b2.client = Endpoint::new(proxy.ip(), 31_000 + k);
            b2.server = ep(6, 8443);
            b2.proxied = paired;
            let at = v.len() as u32;
            v.extend([f, b, f2, b2]);
            legs.push((at, at + 1));
            legs.push((at + 2, at + 3));
        }
        for (p, e) in v.iter_mut().enumerate() {
            e.pos = p as u32;
            e.order = p as u64;
            e.packet = p as u64 * 10 + 1;
        }
        detect(v, if paired { &legs } else { &[] })
    };
    let out = run(true);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::BackendStop);
    assert_eq!(i.server.as_deref(), Some("10.0.0.5:8443"));
    assert_eq!(i.members, 12);
    assert_eq!(i.reconnects.came_back, 12);
    assert_eq!(i.reconnects.never, 0);
    assert!(i
        .reconnects
        .median_s
        .is_some_and(|m| (0.99..1.01).contains(&m)));
    // The back legs are the members, not the front legs that relayed their ending.
    assert!(
        i.connections.iter().all(|c| c % 4 == 2),
        "{:?}",
        i.connections
    );
    let out = run(false);
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::BackendStop),
        "{:#?}",
        out.incidents
    );
    let stop = out
        .incidents
        .iter()
        .find(|i| i.server.as_deref() == Some("10.0.0.5:8443"))
        .unwrap();
    assert_eq!(stop.kind, IncidentKind::ServerStop);
    // The proxy's host opened its new sessions on the same route to the other backend:
    // they came back elsewhere (issue 102 item 4), not "never".
    assert_eq!(stop.reconnects.never, 0);
    assert_eq!(stop.reconnects.elsewhere, 12);
    assert_eq!(
        stop.reconnects.elsewhere_server.as_deref(),
        Some("10.0.0.6:8443")
    );
}

/// One host runs two clients of one server and path at once, each naming itself in its
/// query (`ident`): both reset by the server; the second's new session comes first. Each
/// is linked to its own (by the query), surely. Without the queries, the first waiting
/// is linked to the first new session, marked as the same host's only.
#[test]
fn a_matching_query_makes_a_reconnect_among_a_host_s_clients_sure() {
    let run = |named: bool| {
        let mut v = Vec::new();
        for (k, id) in [(0u16, 11u32), (1, 22)] {
            let mut e = ending(
                20,
                10_000 + k,
                i64::from(k) * MS,
                10 * S,
                How::Rst,
                Some(Role::Server),
            );
            e.ident = if named { id } else { 0 };
            v.push(e);
        }
        // 22's first, then 11's.
        for (k, id) in [(0u16, 22u32), (1, 11)] {
            let start = 11 * S + i64::from(k) * S;
            let mut e = ending(20, 11_000 + k, start, 0, How::Open, None);
            e.ident = if named { id } else { 0 };
            v.push(e);
        }
        // Positions: 0 = 11, 1 = 22, 2 = 22's new, 3 = 11's new.
        detect_(numbered(v))
    };
    let out = run(true);
    let r0 = out.links.get(0).and_then(|l| l.reconnect).unwrap();
    let r1 = out.links.get(1).and_then(|l| l.reconnect).unwrap();
    assert_eq!((r0.connection, r0.same_host), (4, false));
    assert_eq!((r1.connection, r1.same_host), (3, false));
    let out = run(false);
    let r0 = out.links.get(0).and_then(|l| l.reconnect).unwrap();
    let r1 = out.links.get(1).and_then(|l| l.reconnect).unwrap();
    assert_eq!((r0.connection, r0.same_host), (3, true));
    assert_eq!((r1.connection, r1.same_host), (4, true));
}

/// The reset mark and the query's hash fit in the padding an ending had (two 24-byte
/// endpoints, five 8-byte numbers and the rest, with a stall's 16 bytes of signs); what its
/// side said is an id in a table and the message its close answered nine bytes (the
/// client's host, its address, is its client's: not kept twice); the whole key of a
/// session seen at two points (16 bytes, compared whole: never a hash alone, issue 103
/// item 6): 160 bytes, the budget's count of endings per byte what the docs say.
#[test]
fn an_ending_keeps_its_size() {
    assert!(
        std::mem::size_of::<Ending>() <= 160,
        "{}",
        std::mem::size_of::<Ending>()
    );
}
