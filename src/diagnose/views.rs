//! What a capture of one direction shows of the path (issue 92 item 7): the captured side's
//! bytes sent again. With the other direction not captured, its acknowledgements are not
//! either: what the captured side sent is never seen acknowledged, so no stall, black hole
//! or silence of the peer is read from it (`one-direction` withholds those); that the side
//! retransmitted, though, its own packets show: acknowledgements of those bytes did not
//! reach it in time (RFC 9293 §3.8.1). Said, the verdict left to the missing direction.
//!
//! In: the connection's TCP state, the captured side. Out: [`Cause::OneDirectionResent`],
//! where that side sent bytes again.

use crate::flow::Side;
use crate::report::cause::Cause;
use crate::stack::tcp::connection::Connection;
use crate::vocab::Role;

/// The cause of `seen`'s (side `s`) retransmissions in a capture of its direction alone.
pub fn one_direction_resent(c: &Connection, seen: Role, s: Side) -> Option<Cause> {
    let retransmissions = c.tcp[s].counters.retransmissions;
    if retransmissions == 0 {
        return None;
    }
    // (No acknowledgement is captured: the stall began at its first data and runs on.)
    let stall = c.path[s].stall()?;
    let after_s = (c.last_ts.since(stall.last_ts).max(0.0) * 1000.0).round() / 1000.0;
    Some(Cause::OneDirectionResent {
        from: seen,
        retransmissions,
        last_packet: stall.last_packet,
        after_s,
    })
}
