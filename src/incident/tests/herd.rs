//! Issue 102 (the Caddy reload of `incident4/`): a herd is said only where the delays show
//! that the clients did not jitter. Jitter draws each delay from a range around the backoff,
//! so it spreads them in proportion to their median; clients that wait one fixed delay differ
//! by noise alone.

use super::*;

/// 40 sessions closed by the server with 1012 within 40 ms, each client back after
/// `delay(k)` seconds.
fn restart_back_after(delay: impl Fn(u16) -> f64) -> Outcome {
    let mut v = Vec::new();
    for k in 0..40u16 {
        let end = 10 * S + i64::from(k) * MS;
        v.push(ending(
            k as u8 + 1,
            10_000 + k,
            0,
            end,
            How::Close(Some(1012)),
            Some(Role::Server),
        ));
        let back = end + (delay(k) * 1e9) as i64;
        v.push(ending(k as u8 + 1, 20_000 + k, back, 0, How::Open, None));
    }
    detect_(numbered(v))
}

/// Caddy's reload's clients: each drew its delay from 0.3-0.6 s (spread 0.24 s from the
/// 10th to the 90th percentile, under the 0.25 s once read as a herd): jitter, no herd.
#[test]
fn delays_drawn_from_a_range_are_no_herd() {
    let out = restart_back_after(|k| 0.3 + f64::from(k % 40) * 0.3 / 39.0);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let r = &out.incidents[0].reconnects;
    assert_eq!(r.came_back, 40);
    assert!(r.spread_s.unwrap() < 0.25, "{r:?}");
    assert_eq!(r.herd, Some(false), "{r:?}");
    assert!(!out.incidents[0].headline().contains("herd"));
}

/// Its control: one fixed delay of 2 s, apart by 30 ms of noise: a herd, though spread
/// wider than the 0.02 s of noise alone.
#[test]
fn one_fixed_delay_is_a_herd() {
    let out = restart_back_after(|k| 2.0 + f64::from(k % 4) * 0.01);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let r = &out.incidents[0].reconnects;
    assert_eq!(r.herd, Some(true), "{r:?}");
}

/// 40 sessions of one client host (so each return is paired with an end by order: no
/// query names its client), closed by the server with 1012 from 10 s, `apart` seconds
/// apart, each back after `delay(k)` seconds.
fn one_host_back_after(apart: f64, delay: impl Fn(u16) -> f64) -> Outcome {
    let mut v = Vec::new();
    for k in 0..40u16 {
        let end = 10 * S + (f64::from(k) * apart * 1e9) as i64;
        v.push(ending(
            1,
            10_000 + k,
            0,
            end,
            How::Close(Some(1012)),
            Some(Role::Server),
        ));
        let back = end + (delay(k) * 1e9) as i64;
        v.push(ending(1, 20_000 + k, back, 0, How::Open, None));
    }
    detect_(numbered(v))
}

/// Issue 102 (`ws-plan-4001-serial`): clients of one host that jittered (1-1.5 s, drawn
/// evenly), their ends 20 ms apart: paired by order, the delays spread 0.09 s over a median
/// of 1.25 s, under a tenth of it, which read as a herd; the returns' own spread (0.73 s)
/// against the ends' (0.64 s) cannot tell: no herd is said, and why.
#[test]
fn returns_paired_by_order_are_no_herd_they_cannot_show() {
    let out = one_host_back_after(0.02, |k| 1.0 + 0.5 * (f64::from(k) * 0.618_034).fract());
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let r = &out.incidents[0].reconnects;
    assert_eq!((r.came_back, r.same_host), (40, 40), "{r:?}");
    assert!(r.spread_s.unwrap() < 0.1 * r.median_s.unwrap(), "{r:?}");
    assert_eq!(r.herd, None, "{r:?}");
    assert!(r.herd_undecided, "{r:?}");
    let (_, fix) = out.incidents[0].words();
    assert!(!fix.contains("herd"), "{fix}");
}

/// Its controls on the same host: ends at one instant (0.1 ms apart) and one fixed delay of
/// 2 s with 30 ms of noise: whatever the pairing, a herd; ends 20 ms apart and returns
/// jittered over 2 s: the returns spread far wider than the ends, no shared delay, no herd.
#[test]
fn returns_paired_by_order_still_show_what_any_pairing_shows() {
    let out = one_host_back_after(0.0001, |k| 2.0 + f64::from(k % 4) * 0.01);
    let r = &out.incidents[0].reconnects;
    assert_eq!(r.same_host, 40, "{r:?}");
    assert_eq!((r.herd, r.herd_undecided), (Some(true), false), "{r:?}");
    let out = one_host_back_after(0.02, |k| 1.0 + 2.0 * (f64::from(k) * 0.618_034).fract());
    let r = &out.incidents[0].reconnects;
    assert_eq!((r.herd, r.herd_undecided), (Some(false), false), "{r:?}");
}
