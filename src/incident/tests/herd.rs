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
