//! A stalled server and a crash loop (issue 91 items 1 and 2), with their controls: built
//! endings (the helpers are the parent module's); the recordings are in tests/it.

use super::*;

/// A session of client host `host` whose client pinged at `ping` (s), got no pong, and
/// ended it with `how` at `ping + 5` s; the server's last frame on it at `last` (s).
fn stalled(host: u8, port: u16, start: i64, last: f64, ping: f64, how: How) -> Ending {
    let at = |s: f64| T0 + (s * 1e9) as i64;
    let end = ping + 5.0;
    let mut e = ending(host, port, start, 0, how, Some(Role::Client));
    e.end = at(end);
    e.idle_ms = 5_000;
    e.signs = Signs::at_times(e.end, Some(at(ping)), Some(at(last)), Some(at(last)));
    e
}

/// 30 sessions whose clients ping every 3 s, at their own phase: the server stops answering
/// at 100 s; each client's first unanswered ping comes within 3 s after, its 1011 5 s later.
fn frozen_crowd() -> Vec<Ending> {
    (0..30u16)
        .map(|k| {
            let phase = f64::from(k) * 0.1;
            // The last pong before the stall, and the first ping after it.
            let ping = 100.0 + phase;
            stalled(
                20 + (k % 10) as u8,
                10_000 + k,
                i64::from(k) * S,
                ping - 3.0,
                ping,
                How::Close(Some(1011)),
            )
        })
        .collect()
}

/// Clients that pinged, got no pong from a server that stopped answering at one moment while
/// its TCP acknowledged the pings, and closed 1011 over 3 s at one idle age (5 s): a stalled
/// server, not an idle-timeout cohort ("raise the timeout") as before.
#[test]
fn clients_whose_pings_a_server_left_unanswered_from_one_moment_are_a_stall() {
    let mut v = frozen_crowd();
    // Three new connections during the stall whose upgrade was never answered.
    for k in 0..3u16 {
        let mut e = ending(
            50,
            30_000 + k,
            104 * S + i64::from(k) * S,
            108 * S + i64::from(k) * S,
            How::Fin,
            Some(Role::Client),
        );
        e.signs.upgrade_unanswered = true;
        v.push(e);
    }
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::ServerStall);
    assert_eq!(i.members, 30);
    assert_eq!(i.ended_by, "close 1011");
    let st = i.stall.expect("its evidence");
    assert_eq!(st.pings_unanswered, 30);
    assert_eq!(st.upgrades_unanswered, 3);
    // After the server's last frame on every member (99.9 s), by the first unanswered ping.
    assert_eq!(st.silent_after.0, T0 + (99.9 * 1e9) as i64);
    assert_eq!(st.first_unanswered.0, T0 + 100 * S);
    // The unanswered upgrades are linked to it, not members, nor refused reconnects.
    assert_eq!(out.links.len(), 33);
    assert_eq!(i.reconnects.refused, 0);
    assert!(
        i.headline().contains("stopped answering"),
        "{}",
        i.headline()
    );
}

/// Controls: the same crowd where the server went on answering (each session's pongs stop
/// at its own moment, minutes apart: one moment fits none of them together), where the
/// clients' pings went unacknowledged (the path or host, not the process), and where the
/// server answered its other open sessions after the moment: no stall.
#[test]
fn unanswered_pings_with_no_one_moment_or_a_dead_path_are_no_stall() {
    // Each client's pong lost at its own time, 70 s apart.
    let apart: Vec<Ending> = (0..30u16)
        .map(|k| {
            let ping = 100.0 + f64::from(k) * 70.0;
            stalled(20, 10_000 + k, 0, ping - 3.0, ping, How::Fin)
        })
        .collect();
    let out = detect_(numbered(apart));
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::ServerStall),
        "{:#?}",
        out.incidents
    );
    // Within one minute, but each member's server frames go on past the others' pings.
    let overlapping: Vec<Ending> = (0..30u16)
        .map(|k| {
            let ping = 100.0 + f64::from(k) * 1.9;
            stalled(20, 10_000 + k, 0, ping - 0.5, ping, How::Fin)
        })
        .collect();
    let out = detect_(numbered(overlapping));
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::ServerStall),
        "{:#?}",
        out.incidents
    );
    // Unacknowledged: the path died.
    let mut dead = frozen_crowd();
    for e in &mut dead {
        e.signs.unacknowledged = true;
    }
    let out = detect_(numbered(dead));
    assert!(out
        .incidents
        .iter()
        .all(|i| i.kind != IncidentKind::ServerStall));
    // The server answered 10 other sessions open at the moment, after it.
    let mut alive = frozen_crowd();
    for k in 0..10u16 {
        let mut e = ending(
            60,
            40_000 + k,
            0,
            200 * S,
            How::Close(Some(1000)),
            Some(Role::Client),
        );
        e.signs = Signs::at_times(e.end, None, None, Some(T0 + 103 * S));
        alive.push(e);
    }
    let out = detect_(numbered(alive));
    assert!(out
        .incidents
        .iter()
        .all(|i| i.kind != IncidentKind::ServerStall));
}

/// `stalls` stalls of one server, a minute and more apart, each of 30 members and an
/// unanswered upgrade: the steps the stage took, and the sessions.
fn many_stalls(stalls: u32) -> (u64, u64) {
    let mut v = Vec::new();
    for s in 0..stalls {
        let base = f64::from(s) * 100.0;
        for k in 0..30u32 {
            let ping = base + 100.0 + f64::from(k) * 0.1;
            let i = s * 30 + k;
            let start = (base as i64 + 50) * S;
            v.push(stalled(
                (i % 200) as u8,
                (i % 60_000) as u16,
                start,
                ping - 3.0,
                ping,
                How::Close(Some(1011)),
            ));
        }
        let mut e = ending(
            250,
            (s % 60_000) as u16,
            (base as i64 + 104) * S,
            (base as i64 + 108) * S,
            How::Fin,
            Some(Role::Client),
        );
        e.signs.upgrade_unanswered = true;
        v.push(e);
    }
    let n = v.len() as u64;
    let out = detect_(numbered(v));
    assert_eq!(out.incidents.len(), stalls as usize);
    assert!(out
        .incidents
        .iter()
        .all(|i| i.kind == IncidentKind::ServerStall
            && i.members == 30
            && i.stall.is_some_and(|s| s.upgrades_unanswered == 1)));
    (out.work, n)
}

/// THREATS kind 3: 27 900 sessions of one server in 900 stalls (each with its unanswered
/// upgrade, read by that stall alone) cost three times the steps of 300 stalls, and a few
/// per session (about 6 for the reconnects, 6 for the stall sweep).
#[test]
fn many_stalls_of_one_server_cost_linear_work() {
    let (w1, n1) = many_stalls(300);
    let (w3, n3) = many_stalls(900);
    assert_eq!(n3, 3 * n1);
    assert!(w3 <= 3 * w1 + w1 / 10, "{w1} steps for {n1}, {w3} for {n3}");
    assert!(w3 <= 16 * n3, "{w3} steps for {n3} sessions");
}

/// A server killed three times, 2.5 s apart, 30 sessions each, back 1 s after each: one
/// crash loop with its three stops, not three restarts.
fn killed(times: &[i64], apart_back: i64) -> Vec<Ending> {
    let mut v = Vec::new();
    let mut start = 0;
    for (s, &at) in times.iter().enumerate() {
        for k in 0..30u16 {
            let port = 10_000 + (s as u16) * 100 + k;
            v.push(ending(
                20 + (k % 10) as u8,
                port,
                start + i64::from(k) * MS,
                at + i64::from(k) * MS / 10,
                How::Fin,
                Some(Role::Server),
            ));
        }
        start = at + apart_back;
    }
    // The last crowd, back after the last stop, ended by the clients at the end.
    for k in 0..30u16 {
        v.push(ending(
            20 + (k % 10) as u8,
            20_000 + k,
            start + i64::from(k) * MS,
            start + 5 * S,
            How::Close(Some(1000)),
            Some(Role::Client),
        ));
    }
    v
}

#[test]
fn a_server_killed_three_times_within_seconds_is_a_crash_loop() {
    let out = detect_(numbered(killed(&[10 * S, 12_500 * MS, 15 * S], S)));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::CrashLoop);
    assert_eq!(i.members, 90);
    assert_eq!(i.stops.len(), 3);
    assert!(i.stops.iter().all(|s| s.members == 30));
    assert!(i
        .stops
        .iter()
        .all(|s| s.down_s.is_some_and(|d| (0.99..1.0).contains(&d))));
    // Each member came back (the first two crowds to sessions the next stop ended: they
    // came back all the same); nothing refused.
    assert_eq!(i.reconnects.came_back, 90);
    assert_eq!(i.reconnects.refused, 0);
    assert!(i.headline().contains("stopped 3 times"), "{}", i.headline());
    // The refused attempts of each gap are counted in it.
    let mut r = RefusedCounts::default();
    for (gap, n) in [(10 * S, 7), (12_500 * MS, 3), (15 * S, 5)] {
        for k in 0..n {
            r.add(ep(5, 8443), T0 + gap + 300 * MS + k * 50 * MS);
        }
    }
    let mut incidents = out.incidents.clone();
    refused::count(&mut incidents, &r);
    let each: Vec<u64> = incidents[0].stops.iter().map(|s| s.refused).collect();
    assert_eq!(each, [7, 3, 5]);
    assert_eq!(incidents[0].reconnects.refused, 15);
}

/// Control: two restarts of one server 100 s apart (it lived longer than CRASH_LOOP_S in
/// between) are two restarts, not a crash loop; one restart alone is one.
#[test]
fn restarts_far_apart_are_no_crash_loop() {
    let out = detect_(numbered(killed(&[10 * S, 111 * S], S)));
    let kinds: Vec<IncidentKind> = out.incidents.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [IncidentKind::ServerRestart, IncidentKind::ServerRestart]
    );
    let out = detect_(numbered(killed(&[10 * S], S)));
    let kinds: Vec<IncidentKind> = out.incidents.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [IncidentKind::ServerRestart]);
}

/// THREATS kind 2: the window's evidence each ending keeps (its `signs`) is charged with it
/// (`ENDING_BYTES` is twice its size) at 16 bytes, times kept as milliseconds before the
/// end.
#[test]
fn an_ending_with_its_signs_stays_small() {
    let size = std::mem::size_of::<Ending>();
    eprintln!("Ending: {size} bytes");
    assert_eq!(std::mem::size_of::<Signs>(), 16);
    assert!(size <= 168, "{size}");
    assert_eq!(ENDING_BYTES, 2 * size);
}
