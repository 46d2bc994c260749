//! Issue 102 (`pyws-host-reboot`'s second shape): a server host gone and back without its
//! sessions. Nothing comes from it while it is gone, so its clients' data goes
//! unacknowledged from one moment they share; back, its kernel resets each session only as
//! its client next sends (RFC 9293 §3.5.2, §3.10.7.1), spread over their back-off. Grouped
//! by that moment, its refusals counted from its going dark; a control of resets that share
//! no moment gives nothing.

use super::*;
use crate::incident::refused::{self, RefusedCounts};

/// A session of client host 10.0.0.`host` to 10.0.0.5:8443 open from `start`, its client's
/// data unacknowledged from `dark_from` (nothing from the server since) and ended by the
/// server host's RST at `end` (seconds past T0).
fn gone(host: u8, port: u16, start: f64, dark_from: f64, end: f64) -> Ending {
    let mut e = ending(
        host,
        port,
        (start * 1e9) as i64,
        (end * 1e9) as i64,
        How::Rst,
        Some(Role::Server),
    );
    e.set_server_dark(end - dark_from);
    e
}

/// 40 sessions of four client hosts (10 each), open from 0-2 s; the server host gone at
/// 5 s (each client's next tick, every 2 s, unacknowledged from 5.0-6.9 s), back at 10 s;
/// each reset as its client's backed-off retransmission arrived, 11.0-14.5 s; 36 clients
/// back from 12.5 s (the server listening again).
fn rebooted() -> Vec<Ending> {
    let mut v: Vec<Ending> = (0..40u16)
        .map(|k| {
            let k6 = f64::from(k);
            gone(
                10 + (k / 10) as u8,
                30_000 + k,
                k6 * 0.05,
                5.0 + f64::from(k % 20) * 0.1,
                11.0 + k6 * 0.09,
            )
        })
        .collect();
    for k in 0..36u16 {
        let s = 12_500 * MS + i64::from(k) * 50 * MS;
        v.push(ending(
            10 + (k / 10) as u8,
            40_000 + k,
            s,
            0,
            How::Open,
            None,
        ));
    }
    v
}

/// Through the stage, `refused` SYNs reset by the host at 10.1 s on (before its first
/// reset of a session), and the gate.
fn staged(v: Vec<Ending>, refused: usize) -> Outcome {
    let mut out = detect_(numbered(v));
    let mut r = RefusedCounts::default();
    for k in 0..refused {
        r.add(ep(5, 8443), T0 + 10_100 * MS + k as i64 * 100 * MS);
    }
    out.coarse = refused::count(&mut out.incidents, &r);
    gate(&mut out);
    out
}

#[test]
fn a_server_host_back_without_its_sessions_restarted() {
    let out = staged(rebooted(), 4);
    let i = the_one(&out);
    assert_eq!(i.kind, IncidentKind::ServerRestart);
    assert_eq!(i.server.as_deref(), Some("10.0.0.5:8443"));
    assert_eq!(i.members, 40);
    assert_eq!(i.facts.server_dark, 40);
    // Refused before the first session's reset (11.0 s), after the host went silent.
    assert_eq!(i.reconnects.refused, 4);
    // Silent from 5.0 s, accepting again at 12.5 s.
    let down = i.down_s.unwrap();
    assert!((down - 7.5).abs() < 0.01, "{down}");
    let dark = i.facts.server_dark_s.unwrap();
    assert!((dark - 6.0).abs() < 0.1, "{dark}");
    assert!(out.doubts.is_empty(), "{:#?}", out.doubts);
    let h = i.headline();
    assert!(
        h.contains("host went silent at") && h.contains("(down 7.5 s)"),
        "{h}"
    );
    // Not a burst "within moments": the host went and came back.
    let (cause, _) = i.words();
    assert!(
        cause.starts_with("The server's host went silent: for 6.0 s")
            && !cause.contains("within moments"),
        "{cause}"
    );
}

/// Resets that are not the host's own (their TTL unlike its packets': a box between made
/// them) show nothing of what it held; with no attempt refused nothing shows the server
/// gone: the gate names no restart.
#[test]
fn a_server_host_dark_reset_by_another_with_nothing_refused_is_no_restart() {
    let mut v = rebooted();
    for e in v.iter_mut().filter(|e| e.how == How::Rst) {
        e.forged = true;
    }
    no_restart(&staged(v, 0));
}

/// The host's first packet back on each session was its RST to the client's stale segment
/// (`reset_after_dark`): it held none of them, the server is shown gone with nothing
/// refused, a restart (accepting again from 12.5 s: the next session 7.5 s after it went
/// silent, no "down" said without a refusal).
#[test]
fn a_server_host_back_resetting_every_session_restarted_with_nothing_refused() {
    let out = staged(rebooted(), 0);
    let i = the_one(&out);
    assert_eq!(i.kind, IncidentKind::ServerRestart);
    assert_eq!(i.facts.reset_after_dark, 40);
    assert_eq!(i.reconnects.refused, 0);
    assert!(i.facts.not_shown.is_none(), "{:?}", i.facts.not_shown);
    let h = i.headline();
    assert!(
        h.contains("(the next session was accepted 7.5 s after it went silent)")
            && !h.contains("down"),
        "{h}"
    );
}

/// Its control: one of the 40 ended by the host's FIN as its first packet back (it came
/// back holding that session, which its server had closed): not every session lost, no
/// restart shown.
#[test]
fn a_server_host_back_holding_one_session_is_not_shown_gone() {
    let mut v = rebooted();
    if let Some(e) = v.iter_mut().find(|e| e.how == How::Rst) {
        e.how = How::Fin;
    }
    no_restart(&staged(v, 0));
}

/// The control: 30 sessions each reset by the server after its own dark spell of 1.5 s,
/// one every 0.7 s (no moment they all share), while 10 sessions opened at 20 s run on:
/// nothing.
#[test]
fn server_resets_after_spells_of_their_own_are_nothing() {
    let mut v: Vec<Ending> = (0..30u16)
        .map(|k| {
            let t = 5.0 + f64::from(k) * 0.7;
            gone(10 + (k / 10) as u8, 30_000 + k, 0.0, t, t + 1.5)
        })
        .collect();
    for k in 0..10u16 {
        v.push(ending(70, 50_000 + k, 20 * S, 0, How::Open, None));
    }
    let out = staged(v, 4);
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    assert!(out.doubts.is_empty(), "{:#?}", out.doubts);
}

/// The server's sessions with another host answered across the whole moment: the server
/// host was up (the clients' side of the path was cut), no server-host restart.
#[test]
fn a_server_that_served_others_throughout_went_nowhere() {
    let mut v = rebooted();
    for k in 0..10u16 {
        v.push(ending(70, 50_000 + k, 0, 0, How::Open, None));
    }
    let out = staged(v, 4);
    assert!(
        out.incidents.iter().all(|i| i.facts.server_dark == 0),
        "{:#?}",
        out.incidents
    );
}

/// No incident of `out` is a restart.
fn no_restart(out: &Outcome) {
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::ServerRestart),
        "{:#?}",
        out.incidents
    );
}
