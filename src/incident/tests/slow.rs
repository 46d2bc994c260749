//! Slow consumers cut by the server and a client host's processes ended (issue 91 item 2),
//! with their controls: built endings (the helpers are the parent module's); the recordings
//! are in tests/it/report/incident_fleet.rs.

use super::*;
use crate::incident::signs::{zero_code, zero_seconds};

/// A session of client host `host` that the server ended with `how` at `end` (s), its
/// client's window zero for `zero` s before (none: it read).
fn cut(host: u8, port: u16, start: i64, end: f64, how: How, zero: Option<f64>) -> Ending {
    let mut e = ending(host, port, start, 0, how, Some(Role::Server));
    e.end = T0 + (end * 1e9) as i64;
    e.idle_ms = 3_600;
    if let Some(z) = zero {
        e.signs.set_zero_window(z);
    }
    e
}

/// Four slow clients of host 50 ended by the server 0.2 s apart after 3.3 s of zero window,
/// and `fast` other sessions of two hosts open from the start.
fn slow_and_fast(how: How, zero: Option<f64>, fast: u16) -> Vec<Ending> {
    let mut v: Vec<Ending> = (0..4u16)
        .map(|k| cut(50, 30_000 + k, 0, 6.0 + 0.2 * f64::from(k), how, zero))
        .collect();
    for k in 0..fast {
        v.push(ending(
            50 + (k % 2) as u8,
            31_000 + k,
            0,
            0,
            How::Open,
            None,
        ));
    }
    v
}

/// The zero-window spell in a byte: tenths up to 12.7 s, then within 4.4 % up to ~3 100 s;
/// 0 stays for none.
#[test]
fn a_zero_window_spell_fits_a_byte() {
    assert_eq!(zero_code(0.0), 0);
    assert_eq!(zero_seconds(0), None);
    assert_eq!(zero_code(0.01), 1);
    for s in [1.0, 3.3, 6.0, 12.7] {
        let back = zero_seconds(zero_code(s)).unwrap();
        assert!((back - s).abs() < 0.051, "{s} {back}");
    }
    for s in [12.8, 20.0, 95.0, 600.0, 3000.0] {
        let back = zero_seconds(zero_code(s)).unwrap();
        assert!((back / s - 1.0).abs() < 0.022, "{s} {back}");
    }
    assert_eq!(zero_code(1e9), 255);
    assert!(zero_seconds(255).unwrap() > 3000.0);
}

/// Four sessions cut by the server while their clients read nothing, six others going on:
/// slow consumers, with the spells and the sessions that stayed.
#[test]
fn readers_that_stopped_cut_while_others_stay_are_slow_consumers() {
    for how in [How::Fin, How::Rst, How::Close(Some(1008))] {
        let out = detect_(numbered(slow_and_fast(how, Some(3.3), 6)));
        assert_eq!(out.incidents.len(), 1, "{how:?}: {:#?}", out.incidents);
        let i = &out.incidents[0];
        assert_eq!(i.kind, IncidentKind::SlowConsumers);
        assert_eq!(i.members, 4);
        assert_eq!(i.side, "server");
        assert_eq!(i.client.as_deref(), Some("10.0.0.50"));
        let sl = i.slow.unwrap();
        assert_eq!(sl.stayed, 6);
        assert!((sl.zero_window_min_s - 3.3).abs() < 1e-9, "{sl:?}");
        assert!((sl.zero_window_max_s - 3.3).abs() < 1e-9, "{sl:?}");
        let h = i.headline();
        assert!(
            h.contains(
                "cut 4 clients that had stopped reading (their receive windows zero for 3.3 s)"
            ),
            "{h}"
        );
        assert!(h.contains("while 6 other sessions went on"), "{h}");
        let (cause, _) = i.words();
        assert!(cause.contains("had stopped reading"), "{cause}");
    }
}

/// Control: the same four endings without a zero window (their clients read): no slow
/// consumers, and too few of the server's open sessions for a stop: nothing.
#[test]
fn server_ends_without_zero_windows_are_no_slow_consumers() {
    let out = detect_(numbered(slow_and_fast(How::Fin, None, 6)));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// Control: the slow clients alone, nothing else of the server's open: no sign that it went
/// on, so no slow consumers; it ended every session it had within a second: a stop.
#[test]
fn zero_windows_with_nothing_that_stayed_are_a_stop_not_slow_consumers() {
    let out = detect_(numbered(slow_and_fast(How::Fin, Some(3.3), 0)));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    assert_eq!(out.incidents[0].kind, IncidentKind::ServerStop);
}

/// Control: the server ended its fast sessions too in the window (as many as went on): it
/// stopped serving, whatever its clients read; no slow consumers.
#[test]
fn a_server_that_cut_the_fast_too_is_no_slow_consumer_cut() {
    let mut v = slow_and_fast(How::Fin, Some(3.3), 3);
    for k in 0..3u16 {
        v.push(cut(
            52,
            32_000 + k,
            0,
            6.1 + 0.2 * f64::from(k),
            How::Fin,
            None,
        ));
    }
    let out = detect_(numbered(v));
    assert!(
        out.incidents
            .iter()
            .all(|i| i.kind != IncidentKind::SlowConsumers),
        "{:#?}",
        out.incidents
    );
}

/// Cuts more than [`SLOW_GAP_S`] apart are two episodes; each of two members is none.
#[test]
fn cuts_far_apart_are_not_one() {
    let mut v: Vec<Ending> = (0..4u16)
        .map(|k| {
            cut(
                50,
                30_000 + k,
                0,
                6.0 + 11.0 * f64::from(k),
                How::Rst,
                Some(2.0),
            )
        })
        .collect();
    for k in 0..6u16 {
        v.push(ending(51, 31_000 + k, 0, 0, How::Open, None));
    }
    let out = detect_(numbered(v));
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// A client host's sessions ended by its kernel (FIN or RST) are its processes ending; ended
/// by silence, its network: the headline and cause say which.
#[test]
fn a_client_drop_says_processes_or_network() {
    let host = |how: How| {
        let mut v: Vec<Ending> = (0..4u16)
            .map(|k| {
                ending(
                    50,
                    30_000 + k,
                    i64::from(k) * S,
                    60 * S + i64::from(k) * MS,
                    how,
                    Some(Role::Client),
                )
            })
            .collect();
        v.push(ending(51, 1, 0, 0, How::Open, None));
        let out = detect_(numbered(v));
        assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
        out.incidents.into_iter().next().unwrap()
    };
    let mut killed = host(How::Rst);
    (killed.cause, killed.fix) = killed.words();
    assert_eq!(killed.kind, IncidentKind::ClientDrop);
    assert!(
        killed
            .headline()
            .contains("its kernel ended them, no close frame (its client processes ended)"),
        "{}",
        killed.headline()
    );
    assert!(
        killed.cause.contains("with a RST and no close frame"),
        "{}",
        killed.cause
    );
    assert!(
        killed.fix.contains("why its processes ended"),
        "{}",
        killed.fix
    );
    let mut gone = host(How::Silent);
    (gone.cause, gone.fix) = gone.words();
    assert_eq!(gone.kind, IncidentKind::ClientDrop);
    assert!(
        gone.headline()
            .contains("it fell silent (its network went)"),
        "{}",
        gone.headline()
    );
    assert!(
        gone.cause.contains("its network went, not its process"),
        "{}",
        gone.cause
    );
    assert!(
        !gone.cause.contains("Here the host's kernel"),
        "{}",
        gone.cause
    );
}
