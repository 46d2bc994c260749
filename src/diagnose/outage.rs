//! Whether the path under a connection was cut and carried it again: both sides' data sent
//! again and again, unacknowledged, at once, and at least one of them acknowledged later
//! (its stall ended, `PathWatch::healed`). What a partition that heals leaves on each
//! connection it crossed, for the incident stage (`incident::detect`'s partitions).
//!
//! In: a finished connection's path watch (each direction's longest stall that ended and the
//! stall still open at the end). Out: the outage's bounds (nanoseconds): from the later of
//! the two stalls' starts (both sides were retransmitting by then) to the first
//! acknowledgement that ended one of them (a packet crossed again), or where none did, the
//! first reset that crossed after both had stalled. RFC 6298 §5 (a sender
//! backs off its retransmissions while nothing is acknowledged).

use crate::flow::Side;
use crate::stack::tcp::connection::Connection;
use crate::stack::tcp::path_watch::HEALED_RETRANSMISSIONS;
use crate::vocab::EndKind;

/// The least length of an outage: retransmissions by timeout back off over at least this
/// (200, 400, 800 ms: three by 1.4 s), so that both sides retransmitting for less is a lost
/// packet or two, not a cut path.
pub const MIN_OUTAGE_S: f64 = 1.0;

/// The outage of `c`'s path (see the module's header): `(from, healed)`, nanoseconds.
pub fn outage(c: &Connection) -> Option<(i64, i64)> {
    // Each side's stall: (start, end if it ended).
    let stall = |s: Side| -> Option<(i64, Option<i64>)> {
        let w = &c.path[s];
        let open = w
            .unacknowledged(HEALED_RETRANSMISSIONS)
            .map(|st| (st.first_ts.0, None));
        let healed = w.healed().map(|h| (h.since_ts.0, Some(h.until_ts.0)));
        // The one that ended, unless the open one began before it ended (not both: a stall
        // ends before the next begins), else the open one.
        healed.or(open)
    };
    let (a, b) = (stall(Side::A)?, stall(Side::B)?);
    let from = a.0.max(b.0);
    // The first packet that crossed again: the earlier of the two ends.
    let healed = match (a.1, b.1) {
        (Some(x), Some(y)) => x.min(y),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => {
            // Neither side's data was acknowledged again, yet a reset crossed after both
            // had stalled: the path carried a packet again, and the peer's retransmission
            // met a socket gone during the silence (its side gave up, its FIN or close
            // frame still queued behind the data).
            let rst = |s: Side| {
                c.ends[s].as_deref().and_then(|e| match e.kind {
                    EndKind::Rst => Some(e.ts.0),
                    _ => e.then_rst.map(|r| r.ts.0),
                })
            };
            match [rst(Side::A), rst(Side::B)].into_iter().flatten().min() {
                Some(t) if t > from => t,
                _ => return None,
            }
        }
    };
    // Both sides were stalled at once: each began before the other's end.
    let overlap = a.1.is_none_or(|e| b.0 < e) && b.1.is_none_or(|e| a.0 < e);
    let long = (healed - from) as f64 / 1e9 >= MIN_OUTAGE_S;
    (overlap && long).then_some((from, healed))
}
