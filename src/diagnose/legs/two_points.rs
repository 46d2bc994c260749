//! A proxy between two points with its two legs captured, one at each (issue 103 item 3):
//! the client's leg to the proxy in one capture (the client's host), the proxy's leg to the
//! server in another (the server's host). Two inputs, two TCP connections with no address
//! in common, one WebSocket session.
//!
//! In: the index of legs of every input (`report::legs::Index`), then the two reports of
//! each pair it proposes. Out: the pairs to confirm ([`across`]): two legs of two inputs
//! that alone carry their `Sec-WebSocket-Key` over all the inputs (a key a third
//! connection carries pairs none: a client's constant key, a copy), whose client addresses
//! and servers all differ (the same addresses, or one translated, are one connection seen
//! at two points: `diagnose::points`); and each confirmed on its two reports ([`confirm`]):
//! the keys equal whole (the index's key is cut to 32 bytes), both HTTP/1.1 upgrades
//! answered 101 with a valid `Sec-WebSocket-Accept` (RFC 6455 §4.2.2), the same path and
//! subprotocol, neither yet a leg, begun within `diagnose::points::POINTS_S`, and their
//! handshakes nested by the two captures' clocks: the back leg's upgrade request and its
//! 101 between the front leg's request and its 101 (a proxy passes the upgrade on and
//! answers the client once the backend answered; RFC 6455 §4.1 lets no endpoint answer
//! before the request), which also says which leg is the front. Two clocks that disagree
//! by more than the proxy's handshake link nothing: the legs' times, which the judgment of
//! the two legs compares, would not compare either.
//!
//! Work and memory: one pass over the legs counting their keys' hash slots (a byte a slot,
//! four slots a leg at least), a sort of the legs whose slot two or more share, grouped by
//! their whole keys: O(n log n) in the legs; the handshakes' times are read from each
//! confirmed pair's trails (`vocab::trail`, the first marks kept), two reports at a time.

use crate::report::legs::{Index, Leg, LinkedBy, Pair};
use crate::report::ConnectionReport;
use crate::vocab::InputSummary;

/// The pairs of legs of two inputs to confirm (see the module's header): the earlier input's
/// as `front`, to be told apart by [`confirm`]; `by` says only that they await it.
pub fn across(index: &Index) -> Vec<Pair> {
    let legs = &index.legs;
    let slots = legs.len().saturating_mul(4).next_power_of_two();
    let slot = |l: &Leg| {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        l.key.hash(&mut h);
        h.finish() as usize & (slots - 1)
    };
    let mut count = vec![0u8; slots];
    for l in legs {
        if let Some(c) = count.get_mut(slot(l)) {
            *c = c.saturating_add(1);
        }
    }
    let mut shared: Vec<&Leg> = legs
        .iter()
        .filter(|l| count.get(slot(l)).is_some_and(|&c| c > 1))
        .collect();
    drop(count);
    shared.sort_unstable_by(|a, b| a.key.cmp(&b.key).then_with(|| a.order.cmp(&b.order)));
    shared
        .chunk_by(|x, y| x.key == y.key)
        .filter_map(|g| match g {
            [a, b]
                if a.order >> 48 != b.order >> 48
                    && a.client_ip != b.client_ip
                    && a.server != b.server
                    && a.target_port == 0
                    && b.target_port == 0 =>
            {
                Some(Pair {
                    front: (a.order, 0),
                    back: (b.order, 0),
                    by: LinkedBy::KeyAtTwoPoints {
                        request: 0,
                        upgrade: 0,
                        upgrade_answer: 0,
                        answer: 0,
                        front_file: String::new(),
                        back_file: String::new(),
                    },
                })
            }
            _ => None,
        })
        .collect()
}

/// The times of `r`'s upgrade request and of its answer, from its trail: none when the
/// trail did not keep them.
fn handshake_times(r: &ConnectionReport) -> Option<(i64, i64)> {
    let t = r.trail.as_deref()?;
    let (rq, rs) = (r.handshake.request_packet?, r.handshake.response_packet?);
    let at = |p: u64| t.marks.iter().find(|m| m.packet == p).map(|m| m.ts);
    Some((at(rq)?, at(rs)?))
}

/// Whether `x` and `y`, proposed by [`across`], are a proxy's two legs (see the module's
/// header): `Some(true)` when `x` is the front leg, `Some(false)` when `y` is, with what
/// linked them; none otherwise.
pub fn confirm(
    x: &ConnectionReport,
    y: &ConnectionReport,
    inputs: &[InputSummary],
) -> Option<(bool, LinkedBy)> {
    let upgrade = |r: &ConnectionReport| {
        r.h2_stream.is_none()
            && r.leg.is_none()
            && r.tunnel.is_none()
            && r.handshake.status == Some(101)
            && r.handshake.accept_valid == Some(true)
    };
    let same = x.ws_key.is_some()
        && x.ws_key == y.ws_key
        && x.input != y.input
        && x.handshake.path == y.handshake.path
        && x.handshake.subprotocol == y.handshake.subprotocol
        && (x.start.0 - y.start.0).abs() as f64 <= super::super::points::POINTS_S * 1e9;
    if !(same && upgrade(x) && upgrade(y)) {
        return None;
    }
    let (tx, ty) = (handshake_times(x)?, handshake_times(y)?);
    let nested = |f: (i64, i64), b: (i64, i64)| f.0 < b.0 && b.0 < b.1 && b.1 < f.1;
    let x_front = if nested(tx, ty) {
        true
    } else if nested(ty, tx) {
        false
    } else {
        return None;
    };
    let (f, b) = if x_front { (x, y) } else { (y, x) };
    let file = |r: &ConnectionReport| {
        inputs
            .get(r.input)
            .map(|i| crate::capture::file::rotation::file_name(&i.path))
            .unwrap_or_default()
    };
    Some((
        x_front,
        LinkedBy::KeyAtTwoPoints {
            request: f.handshake.request_packet.unwrap_or(0),
            upgrade: b.handshake.request_packet.unwrap_or(0),
            upgrade_answer: b.handshake.response_packet.unwrap_or(0),
            answer: f.handshake.response_packet.unwrap_or(0),
            front_file: file(f),
            back_file: file(b),
        },
    ))
}
