use super::*;
use crate::vocab::{DoubtReason, Fact, IncidentKind};
use std::net::{IpAddr, Ipv4Addr};

const S: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
const T0: i64 = 1_700_000_000 * S;

fn ep(host: u8, port: u16) -> Endpoint {
    Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)), port)
}

/// A session from client host `client` (port `port`) to 10.0.0.5:8443, from `start` to
/// `end` (ns past T0), ended `how` by `by`.
fn ending(client: u8, port: u16, start: i64, end: i64, how: How, by: Option<Role>) -> Ending {
    Ending {
        order: 0,
        stream: 0,
        pos: 0,
        client: ep(client, port),
        server: ep(5, 8443),
        route: 7,
        start: T0 + start,
        end: if how == How::Open { i64::MAX } else { T0 + end },
        packet: 0,
        how,
        by,
        idle_ms: u32::MAX,
        proxied: false,
        // Every session but a refused one had its upgrade answered.
        signs: {
            let mut s = crate::incident::Signs::default();
            s.upgraded = !matches!(how, How::Refused(_));
            s
        },
        forged: false,
        between: false,
        lost_from: 0,
        lost_to: 0,
        lost_by: None,
        ident: 0,
        said: 0,
        answered_us: u32::MAX,
        answered_size: 0,
        answered_op: 0,
        closed_after_peer: 0,
        dark: 0,
        server_dark: 0,
        key: super::NO_KEY,
    }
}

fn detect_(v: Vec<Ending>) -> Outcome {
    detect(v, &[])
}

/// Five sessions opened 20 ms apart and cut by their server after the same 60 s of quiet
/// (within 100 ms), while forty others of the server run on: what `stops.rs` shows is no
/// idle cohort and no stop, and `doubts.rs` a doubt.
fn five_cut_among_forty_open() -> Vec<Ending> {
    let mut v = Vec::new();
    for k in 0..5u16 {
        let start = i64::from(k) * 20 * MS;
        let mut e = ending(
            20 + k as u8,
            10_000 + k,
            start,
            start + 60 * S,
            How::Fin,
            Some(Role::Server),
        );
        e.idle_ms = 60_000;
        v.push(e);
    }
    for k in 0..40u16 {
        v.push(ending(60, 30_000 + k, 0, 0, How::Open, None));
    }
    v
}

/// The `k`th of a backend's sessions behind the proxy 10.0.0.9 (front 10.0.0.9:80,
/// backend 10.0.0.5:8443), ended at 30 s + k/10 ms: its front leg from client host
/// 10.0.0.(20+k) (ended by the proxy 1 ms after the back leg) and its back leg (ended by the
/// backend's FIN), both marked `proxied` when `paired`.
fn proxied_legs(k: u16, paired: bool) -> (Ending, Ending) {
    let host = k as u8 + 20;
    let end = 30 * S + i64::from(k) * MS / 10;
    let start = i64::from(k) * MS;
    let mut f = ending(
        host,
        10_000 + k,
        start,
        end + MS,
        How::Fin,
        Some(Role::Server),
    );
    f.server = ep(9, 80);
    f.proxied = paired;
    let mut b = ending(
        9,
        30_000 + k,
        start + MS / 2,
        end,
        How::Fin,
        Some(Role::Server),
    );
    b.client = Endpoint::new(ep(9, 0).ip(), 30_000 + k);
    b.proxied = paired;
    (f, b)
}

/// The one incident of `out`, failing with the incidents and doubts there are otherwise.
fn the_one(out: &Outcome) -> &Incident {
    assert_eq!(
        out.incidents.len(),
        1,
        "{:#?} {:#?}",
        out.incidents,
        out.doubts
    );
    &out.incidents[0]
}

fn numbered(mut v: Vec<Ending>) -> Vec<Ending> {
    v.sort_by_key(|e| e.start);
    for (i, e) in v.iter_mut().enumerate() {
        e.pos = i as u32;
        e.order = i as u64;
        e.packet = i as u64 * 10 + 1;
    }
    v
}

/// 300 sessions closed by one server with 1000 within 30 ms, 290 back after about a second
/// (spread over 0.8 s), 10 never: one server restart, its reconnects counted.
#[test]
fn three_hundred_clean_closes_at_once_are_one_restart() {
    let mut v = Vec::new();
    for k in 0..300u16 {
        let host = (k % 50) as u8 + 20;
        let end = 100 * S + i64::from(k) * MS / 10;
        v.push(ending(
            host,
            10_000 + k,
            i64::from(k) * MS,
            end,
            How::Close(Some(1000)),
            Some(Role::Server),
        ));
        if k < 290 {
            let back = end + S + i64::from(k) * 3 * MS;
            v.push(ending(host, 20_000 + k, back, back, How::Open, None));
        }
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::ServerRestart);
    assert_eq!(i.members, 300);
    assert_eq!(i.server.as_deref(), Some("10.0.0.5:8443"));
    assert_eq!(i.code, Some(1000));
    assert!(i.window_s < 0.05, "{}", i.window_s);
    assert_eq!(i.reconnects.came_back, 290);
    assert_eq!(i.reconnects.never, 10);
    let m = i.reconnects.median_s.unwrap();
    assert!((1.3..1.6).contains(&m), "{m}");
    assert_eq!(i.reconnects.herd, Some(false));
    assert!(i.down_s.unwrap() > 0.9);
    let h = i.headline();
    // No attempt refused: the server is not shown down, only when it accepted again.
    assert!(
        h.starts_with(
            "server 10.0.0.5:8443 restarted at 22:15:00.000 (the next session was accepted 970 ms later)"
        ),
        "{h}"
    );
    assert!(
        h.contains("300 sessions ended by close 1000 within 30 ms"),
        "{h}"
    );
    assert!(h.contains("290 reconnected, median 1."), "{h}");
    assert!(h.contains("10 never came back"), "{h}");
    // The picture: every end and reconnect in a bar.
    assert_eq!(i.bin_s, 0.1);
    assert_eq!(i.bins.iter().map(|b| b.ends).sum::<u32>(), 300);
    assert_eq!(i.bins.iter().map(|b| b.reconnects).sum::<u32>(), 290);
    assert_eq!(i.bins[0].ends, 300);
    assert_eq!(i.bins[0].reconnects, 0);
    // Each member names the incident; each reconnect names its new session.
    let members = (0..600)
        .filter_map(|p| out.links.get(p))
        .filter(|l| l.incident == Some(1))
        .count();
    assert_eq!(members, 300);
    let back = (0..600)
        .filter_map(|p| out.links.get(p))
        .filter(|l| l.reconnect.is_some())
        .count();
    assert_eq!(back, 290);
}

/// The same closes, each with its own timing over minutes (churn): no incident.
#[test]
fn closes_spread_over_time_are_no_incident() {
    let mut v = Vec::new();
    for k in 0..300u16 {
        let start = i64::from(k) * 2 * S;
        v.push(ending(
            20,
            10_000 + k,
            start,
            start + 30 * S,
            How::Close(Some(1000)),
            Some(Role::Server),
        ));
    }
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// Short sessions closed by the server one after another (each open alone): never a stop.
#[test]
fn short_sessions_in_a_row_are_no_stop() {
    let mut v = Vec::new();
    for k in 0..50u16 {
        let start = i64::from(k) * 100 * MS;
        v.push(ending(
            20 + (k % 3) as u8,
            10_000 + k,
            start,
            start + 50 * MS,
            How::Fin,
            Some(Role::Server),
        ));
    }
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// Two sessions ended at once are not an incident; three are (MIN_MEMBERS).
#[test]
fn fewer_than_three_is_never_an_incident() {
    let two = vec![
        ending(20, 1, 0, 10 * S, How::Fin, Some(Role::Server)),
        ending(21, 2, 0, 10 * S + MS, How::Fin, Some(Role::Server)),
    ];
    assert!(detect_(numbered(two.clone())).incidents.is_empty());
    let mut three = two;
    three.push(ending(
        22,
        3,
        0,
        10 * S + 2 * MS,
        How::Rst,
        Some(Role::Server),
    ));
    let out = detect_(numbered(three));
    assert_eq!(out.incidents.len(), 1);
    assert_eq!(out.incidents[0].kind, IncidentKind::ServerStop);
    assert_eq!(out.incidents[0].ended_by, "fin/rst");
    assert_eq!(out.incidents[0].reconnects.never, 3);
    // A single connection: nothing at all.
    let one = vec![ending(20, 1, 0, S, How::Fin, Some(Role::Server))];
    let out = detect_(numbered(one));
    assert!(out.incidents.is_empty() && out.links.is_empty());
}

/// A stop that leaves most sessions of the server open is no server-wide stop.
#[test]
fn a_few_of_many_open_sessions_are_no_stop() {
    let mut v = Vec::new();
    for k in 0..40u16 {
        v.push(ending(20, 10_000 + k, 0, 0, How::Open, None));
    }
    for k in 0..3u16 {
        v.push(ending(
            21,
            11_000 + k,
            0,
            50 * S + i64::from(k) * MS,
            How::Fin,
            Some(Role::Server),
        ));
    }
    assert!(detect_(numbered(v)).incidents.is_empty());
}

/// 1013 to many clients: overload shedding; retries without backoff come back in a herd.
#[test]
fn try_again_later_to_many_clients_is_shedding() {
    let mut v = Vec::new();
    for k in 0..20u16 {
        let end = 10 * S + i64::from(k) * 200 * MS;
        v.push(ending(
            20 + k as u8,
            10_000 + k,
            0,
            end,
            How::Close(Some(1013)),
            Some(Role::Server),
        ));
        v.push(ending(
            20 + k as u8,
            20_000 + k,
            end + 100 * MS,
            0,
            How::Open,
            None,
        ));
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::OverloadShedding);
    assert_eq!(i.code, Some(1013));
    assert_eq!(i.reconnects.came_back, 20);
    assert_eq!(i.reconnects.herd, Some(true));
    let (_, fix) = i.words();
    assert!(fix.contains("herd"), "{fix}");
}

/// Upgrades refused 503 from many clients while the server served nothing (its sessions
/// gone, every attempt refused): the server unavailable, no load shedding; the same 503s
/// while it kept other sessions open are (RFC 9110 §15.6.4: overload or maintenance; the
/// server serving some while refusing others is what tells overload).
#[test]
fn refusals_503_are_shedding_only_while_others_are_served() {
    let refusals = |v: &mut Vec<Ending>| {
        for k in 0..20u16 {
            let at = 10 * S + i64::from(k) * 100 * MS;
            let how = How::Refused(503);
            v.push(ending(
                20 + k as u8,
                10_000 + k,
                at,
                at + MS,
                how,
                Some(Role::Server),
            ));
        }
    };
    let mut v = Vec::new();
    refusals(&mut v);
    let out = detect_(numbered(v.clone()));
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::OverloadShedding),
        "{:#?}",
        out.incidents
    );
    // Five sessions it accepted before and kept through the refusals.
    for k in 0..5u16 {
        v.push(ending(90 + k as u8, 30_000 + k, S, 0, How::Open, None));
    }
    let out = detect_(numbered(v));
    let i = out
        .incidents
        .iter()
        .find(|i| i.kind == IncidentKind::OverloadShedding)
        .unwrap_or_else(|| panic!("{:#?}", out.incidents));
    assert_eq!(i.members, 20);
    assert_eq!(i.facts.served_others, 5);
}

/// One client refused with 4001 again and again as it retries: a rejection loop, each
/// refusal linked to the retry that replaced it.
#[test]
fn one_client_refused_again_and_again_is_a_rejection_loop() {
    let mut v = Vec::new();
    for k in 0..6i64 {
        let start = k * 3 * S;
        v.push(ending(
            30,
            40_000 + k as u16,
            start,
            start + 100 * MS,
            How::Close(Some(4001)),
            Some(Role::Server),
        ));
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::RejectionLoop);
    assert_eq!(i.client.as_deref(), Some("10.0.0.30"));
    assert_eq!(i.members, 6);
    let first = out.links.get(0).unwrap();
    let r = first.reconnect.unwrap();
    assert_eq!(r.connection, 2);
    assert!((r.after_s - 2.9).abs() < 1e-6);
    assert_eq!(out.links.get(1).unwrap().replaces, Some(1));
}

/// Six client hosts refused by one server with 4003 within a second, each within 50 ms of
/// its start (a refusal: nothing else could happen; sessions that had lived 10 s, as this
/// test had them before issue 102, are no rejection), which are most of its endings then: a
/// mass rejection.
#[test]
fn many_clients_refused_with_one_code_at_once_is_a_mass_rejection() {
    let mut v = Vec::new();
    for k in 0..6i64 {
        v.push(ending(
            60 + k as u8,
            1,
            10 * S + k * 150 * MS - 50 * MS,
            10 * S + k * 150 * MS,
            How::Close(Some(4003)),
            Some(Role::Server),
        ));
    }
    // Two other endings in the window: the code still dominates.
    for k in 0..2i64 {
        v.push(ending(
            80 + k as u8,
            1,
            k * MS,
            10 * S + 100 * MS + k * 300 * MS,
            How::Close(Some(1000)),
            Some(Role::Client),
        ));
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::MassRejection);
    assert_eq!(i.code, Some(4003));
    assert_eq!(i.members, 6);
}

/// A busy server whose sessions end with codes drawn at random (as gen_capture's do):
/// every code recurs within seconds, and one client host gets the same code on sessions
/// that overlap, but no code dominates the server's endings and no refused session is
/// retried: no rejection incident. (Before the share and retry tests, this made dozens of
/// mass rejections and a rejection loop per client host.)
#[test]
fn random_codes_across_a_busy_server_are_no_rejection_incident() {
    const CODES: [u16; 10] = [1000, 1001, 1008, 4000, 4001, 4003, 1011, 4429, 1009, 3000];
    let mut v = Vec::new();
    let mut x: u64 = 7;
    for k in 0..400i64 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let code = CODES[((x >> 33) % 10) as usize];
        let end = 10 * S + k * 50 * MS;
        v.push(ending(
            20 + (k % 20) as u8,
            10_000 + k as u16,
            end - 5 * S,
            end,
            How::Close(Some(code)),
            Some(Role::Server),
        ));
    }
    // One host whose overlapping sessions all end with 4001: not a retry loop either.
    for k in 0..5i64 {
        v.push(ending(
            90,
            20_000 + k as u16,
            k * 100 * MS,
            30 * S + k * S,
            How::Close(Some(4001)),
            Some(Role::Server),
        ));
    }
    let out = detect_(numbered(v));
    let rejections: Vec<_> = out
        .incidents
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                IncidentKind::MassRejection | IncidentKind::RejectionLoop
            )
        })
        .collect();
    assert!(rejections.is_empty(), "{rejections:#?}");
}

/// Sessions cut after the same 60 s of quiet at different moments: an idle cohort.
#[test]
fn same_idle_age_is_a_cohort() {
    let mut v = Vec::new();
    for k in 0..5i64 {
        let mut e = ending(
            20 + k as u8,
            1,
            k * 7 * S,
            k * 7 * S + 90 * S,
            How::Rst,
            Some(Role::Server),
        );
        e.idle_ms = 60_000 + k as u32 * 3;
        v.push(e);
    }
    // And one idle a different time: left out.
    let mut e = ending(40, 1, 0, 500 * S, How::Rst, Some(Role::Server));
    e.idle_ms = 20_000;
    v.push(e);
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::IdleTimeoutCohort);
    assert_eq!(out.incidents[0].members, 5);
    assert_eq!(out.incidents[0].idle_s, Some(60.0));
}

/// All sessions of one client host end by its own RSTs at once: a client drop.
#[test]
fn one_client_host_dropping_is_a_client_drop() {
    let mut v = Vec::new();
    for k in 0..4u16 {
        v.push(ending(
            50,
            30_000 + k,
            i64::from(k) * S,
            60 * S + i64::from(k) * MS,
            How::Rst,
            Some(Role::Client),
        ));
    }
    // Another client's sessions go on.
    v.push(ending(51, 1, 0, 0, How::Open, None));
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::ClientDrop);
    assert_eq!(out.incidents[0].client.as_deref(), Some("10.0.0.50"));
}

/// Sessions opened 0.4 s apart and each cut after the same 5 s of quiet, one by one (the
/// haproxy `timeout tunnel` recording): one idle cohort, not a stop of the server for those
/// ending within a burst of each other (before: a server stop of the first six).
#[test]
fn a_cohort_cut_one_by_one_is_no_stop() {
    let mut v = Vec::new();
    for k in 0..7i64 {
        let start = k * 400 * MS;
        let mut e = ending(
            20,
            30_000 + k as u16,
            start,
            start + 5_003 * MS,
            How::Fin,
            Some(Role::Server),
        );
        e.idle_ms = 5_002 + k as u32;
        v.push(e);
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::IdleTimeoutCohort);
    assert_eq!(out.incidents[0].members, 7);
}

/// A proxy that ends both legs of six sessions at once, the back leg's end captured first
/// for half of them (the nginx reload recording): one proxy reload of six, its members the
/// front legs (before: no incident, the front and back legs each too few).
#[test]
fn a_proxy_ending_both_legs_is_one_reload_whichever_leg_ends_first() {
    let mut v = Vec::new();
    let mut legs = Vec::new();
    for k in 0..6u16 {
        let end = 10 * S + i64::from(k) * MS;
        let (f, b) = if k % 2 == 0 {
            (end, end - 10_000)
        } else {
            (end, end + 10_000)
        };
        let mut front = ending(20, 40_000 + k, 0, f, How::Fin, Some(Role::Server));
        front.proxied = true;
        front.pos = u32::from(k) * 2;
        front.order = u64::from(front.pos);
        let mut back = ending(5, 50_000 + k, 1_000, b, How::Fin, Some(Role::Client));
        back.server = ep(6, 9000);
        back.proxied = true;
        back.pos = u32::from(k) * 2 + 1;
        back.order = u64::from(back.pos);
        legs.push((front.pos, back.pos));
        v.push(front);
        v.push(back);
    }
    let out = detect(v, &legs);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::ProxyReload);
    assert_eq!(i.members, 6);
    assert_eq!(i.server.as_deref(), Some("10.0.0.5:8443"));
}

/// A client host whose link went down: its sessions end in silence (the server's data
/// unacknowledged to the end), at the moment of the server's next message: a client drop;
/// another host's session that goes on is no member.
#[test]
fn a_host_falling_silent_is_a_client_drop() {
    let mut v = Vec::new();
    for k in 0..5u16 {
        v.push(ending(
            50,
            30_000 + k,
            i64::from(k) * MS,
            20 * S + i64::from(k) * MS / 10,
            How::Silent,
            Some(Role::Client),
        ));
    }
    v.push(ending(
        51,
        1,
        0,
        30 * S,
        How::Close(Some(1000)),
        Some(Role::Client),
    ));
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::ClientDrop);
    assert_eq!(i.members, 5);
    assert_eq!(i.client.as_deref(), Some("10.0.0.50"));
    assert_eq!(i.ended_by, "silence");
}

/// A reconnect whose upgrade is refused (503) before one is accepted: counted as refused,
/// and the member came back through it.
#[test]
fn refused_attempts_are_counted_and_followed() {
    let mut v = Vec::new();
    for k in 0..3u16 {
        let end = 10 * S + i64::from(k) * MS;
        v.push(ending(
            20 + k as u8,
            1,
            0,
            end,
            How::Fin,
            Some(Role::Server),
        ));
        v.push(ending(
            20 + k as u8,
            2,
            end + S,
            end + S + MS,
            How::Refused(503),
            Some(Role::Server),
        ));
        v.push(ending(20 + k as u8, 3, end + 3 * S, 0, How::Open, None));
    }
    let out = detect_(numbered(v));
    let stop = out
        .incidents
        .iter()
        .find(|i| i.kind == IncidentKind::ServerRestart)
        .unwrap();
    assert_eq!(stop.reconnects.refused, 3);
    assert_eq!(stop.reconnects.came_back, 3);
    assert!((stop.reconnects.median_s.unwrap() - 3.0).abs() < 0.01);
}

/// THREATS kind 3: 100 000 sessions ending in one second, and one client reconnecting
/// 50 000 times: the sweeps' steps stay a small multiple of the sessions.
#[test]
fn work_is_linear_in_the_sessions() {
    let mut v = Vec::new();
    for k in 0..100_000u32 {
        let host = (k % 250) as u8;
        v.push(ending(
            host,
            (k % 60_000) as u16,
            i64::from(k) * 1000,
            500 * S + i64::from(k) * 10_000,
            How::Fin,
            Some(Role::Server),
        ));
    }
    let n = v.len() as u64;
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1);
    assert_eq!(out.incidents[0].members, 100_000);
    assert_eq!(out.incidents[0].connections.len(), LISTED);
    assert!(out.work <= 12 * n, "{} steps for {n} sessions", out.work);

    let mut v = Vec::new();
    for k in 0..50_000i64 {
        v.push(ending(
            7,
            (k % 60_000) as u16,
            k * 2 * S,
            k * 2 * S + S,
            How::Close(Some(4003)),
            Some(Role::Server),
        ));
    }
    let n = v.len() as u64;
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1);
    assert_eq!(out.incidents[0].kind, IncidentKind::RejectionLoop);
    assert_eq!(out.incidents[0].reconnects.refused, 49_999);
    assert_eq!(out.incidents[0].reconnects.came_back, 0);
    assert_eq!(out.incidents[0].reconnects.never, 50_000);
    assert!(out.work <= 12 * n, "{} steps for {n} sessions", out.work);

    // Many sessions that each fail the stop test: still linear.
    let mut v = Vec::new();
    for k in 0..100_000u32 {
        v.push(ending(9, (k % 60_000) as u16, 0, 0, How::Open, None));
    }
    for k in 0..30_000u32 {
        v.push(ending(
            8,
            (k % 60_000) as u16,
            0,
            100 * S + i64::from(k) * 30_000,
            How::Fin,
            Some(Role::Server),
        ));
    }
    let n = v.len() as u64;
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty());
    assert!(out.work <= 12 * n, "{} steps for {n} sessions", out.work);
}

/// The index keeps endings up to its room and counts the rest; placed by order.
#[test]
fn the_index_is_bounded_and_placed_by_order() {
    let report = crate::report::repeated_fixture_report(3);
    let mut index = Index::default();
    // Room for three endings, one of which their close reasons take (each kept once).
    index.set_room(room_for(3));
    for (k, c) in report.connections.iter().take(3).enumerate() {
        crate::report::incidents::keep(&mut index, 100 - k as u64, c);
    }
    assert!(!index.saids.is_empty());
    assert!(index.saids.bytes() <= ENDING_BYTES, "{:?}", index.saids);
    assert_eq!(index.left_out(), 1);
    // The smallest orders are kept (98 and 99), whatever the order they came in.
    let placed = index.placed(|o| match o {
        100 => 7..8,
        99 => 2..3,
        98 => 5..6,
        _ => 0..0,
    });
    let pos: Vec<u32> = placed.iter().map(|e| e.pos).collect();
    assert_eq!(pos, vec![5, 2]);
}

/// Live: a group says so at 3, then 10 members; FINs and RSTs of one server are one way;
/// the client's endings and later events of a connection are not counted; the groups kept
/// stay bounded however many servers end sessions.
#[test]
fn the_watch_says_a_group_as_it_passes_its_marks() {
    use crate::vocab::{CloseEvent, EndKind, EventWhat};
    let ev = |server: u16, k: i64, what: EventWhat, from: Role, first: bool| CloseEvent {
        ts: crate::vocab::Timestamp(T0 + k * MS),
        start: crate::vocab::Timestamp(T0),
        packet: k as u64,
        client: ep(20, 1000 + k as u16),
        server: ep(5, server),
        path: None,
        h2_stream: None,
        from,
        what,
        first,
        missing: false,
        unanswered: None,
        close_notify: None,
        scope: 0,
        idle_ms: None,
        dark_ms: None,
    };
    let mut w = Watch::default();
    let fin = || EventWhat::Tcp(EndKind::Fin);
    let rst = || EventWhat::Tcp(EndKind::Rst);
    assert!(w.event(&ev(1, 0, fin(), Role::Server, true)).is_none());
    assert!(w.event(&ev(1, 1, fin(), Role::Client, true)).is_none());
    assert!(w.event(&ev(1, 2, rst(), Role::Server, false)).is_none());
    assert!(w.event(&ev(1, 3, rst(), Role::Server, true)).is_none());
    // An attempt refused after the first end: the server shown gone, as a stop's row needs.
    assert!(w
        .refused(ep(5, 1), crate::vocab::Timestamp(T0 + 3 * MS))
        .is_none());
    let f = w.event(&ev(1, 4, fin(), Role::Server, true)).unwrap();
    assert_eq!(f.members, 3);
    assert!(
        f.line()
            .contains("incident forming: server 10.0.0.5:1 ended 3 sessions by FIN within 4 ms"),
        "{}",
        f.line()
    );
    let said: Vec<u64> = (5..40)
        .filter_map(|k| w.event(&ev(1, k, fin(), Role::Server, true)))
        .map(|f| f.members)
        .collect();
    assert_eq!(said, vec![10]);
    // Many servers: bounded.
    for s in 0..3 * watch::WATCHED as u16 {
        w.event(&ev(100 + s, 50, fin(), Role::Server, true));
    }
    assert!(w.len() <= watch::WATCHED);
}

/// A stop keeps its members' least and greatest quiet spell (unknown ones left out), and
/// says they differ only past [`SPELLS_DIFFER_S`] (or 2 % of the shortest): sessions
/// ended at one instant after spells from 1.9 s to 2.7 s were cut by no timeout; after
/// one spell (to the millisecond), they may have been.
#[test]
fn a_stop_knows_whether_its_members_spells_differ() {
    let stop = |spells: &[u32]| {
        let v: Vec<Ending> = spells
            .iter()
            .enumerate()
            .map(|(k, &idle_ms)| Ending {
                idle_ms,
                ..ending(
                    k as u8 + 20,
                    10_000,
                    0,
                    10 * S + k as i64 * MS,
                    How::Fin,
                    Some(Role::Server),
                )
            })
            .collect();
        let out = detect_(numbered(v));
        assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
        out.incidents[0].clone()
    };
    let i = stop(&[1_900, 2_030, u32::MAX, 2_700, 2_300]);
    assert_eq!(i.kind, IncidentKind::ServerStop);
    assert_eq!(i.idle_range_ms, Some((1_900, 2_700)));
    assert!(i.idle_ages_differ());
    let same = stop(&[60_000, 60_010, 60_020, 60_005]);
    assert_eq!(same.idle_range_ms, Some((60_000, 60_020)));
    assert!(!same.idle_ages_differ());
    // 1.1 s over 60 s is within 2 %: no proof either.
    assert!(!stop(&[60_000, 61_100, 60_500]).idle_ages_differ());
    assert!(!stop(&[u32::MAX; 4]).idle_ages_differ());
}

/// Attempts refused in TCP are counted per server and tenth of a second, within the room
/// given (the rest counted as not kept), merged across shards, and added to a stop's or
/// restart's `refused` only while its server was down: from its first end to the next
/// accepted session (a restart), or to the end (a stop); another server's, or those before
/// the first end, not.
#[test]
fn attempts_refused_in_tcp_count_while_the_server_was_down() {
    let mut v = Vec::new();
    for k in 0..10u16 {
        let host = k as u8 + 20;
        let end = 10 * S + i64::from(k) * MS;
        v.push(ending(
            host,
            10_000 + k,
            0,
            end,
            How::Fin,
            Some(Role::Server),
        ));
        // Back 2 s later: the server was down for about 2 s.
        v.push(ending(host, 20_000 + k, 12 * S, 12 * S, How::Open, None));
    }
    let mut out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::ServerRestart);
    let before = out.incidents[0].reconnects.refused;
    let mut r = RefusedCounts::default();
    r.set_room(3 * refused::BUCKET_BYTES);
    // Down: 10.0 s to 12.0 s.
    for t in [10_500, 10_520, 11_000] {
        r.add(ep(5, 8443), T0 + t * MS);
    }
    // Before the stop: not counted. The room is full (3 counters) for a fourth tenth of a
    // second: the spans are doubled until it fits (first come is not first kept), and so
    // again for another shard's counts, another server's among them.
    r.add(ep(5, 8443), T0 + 5 * S);
    r.add(ep(5, 8443), T0 + 11_500 * MS);
    assert_eq!(r.not_kept, 0);
    let mut other = RefusedCounts::default();
    other.add(ep(5, 8443), T0 + 10_510 * MS);
    other.add(ep(6, 8443), T0 + 10_600 * MS);
    r.append(other);
    assert_eq!(r.total(), 7);
    assert_eq!(r.not_kept, 0);
    assert!(r.span_ns() > refused::BUCKET_NS);
    // In spans of 3.2 s, the one of 9.6 s to 12.8 s holds the five while it was down (the
    // attempt at 5 s and the other server's are not counted); the incident is named.
    let coarse = refused::count(&mut out.incidents, &r);
    assert_eq!(r.span_ns(), 32 * refused::BUCKET_NS);
    assert_eq!(out.incidents[0].reconnects.refused, before + 5);
    assert_eq!(coarse, vec![out.incidents[0].id]);
}

mod busy;
mod doubts;
mod gate;
mod heldout5;
mod heldout6;
mod herd;
mod host_gone;
mod idents;
mod partition;
mod path;
mod said;
mod shapes;
mod slow;
mod stalls;
mod stops;
mod sweeps;
mod twins;
