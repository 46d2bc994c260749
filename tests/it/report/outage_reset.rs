//! A partition member whose socket was gone before the heal (issue 91 item 2,
//! `diagnose::outage`): neither side's data was acknowledged again, the first packet across
//! after the cut met a reset. The outage ends at that reset; a reset with no silence of both
//! sides before it (a plain abort, or a client host that rebooted while the server alone
//! retransmitted) is no outage, so such a session never joins a partition.

use crate::common::*;
use wsclose::__internals::analyzer::Options;
use wsclose::vocab::{
    LinkType,
    Role::{self, Client, Server},
    Timestamp,
};

const MS: i64 = 1_000_000;

/// An open session at T0 whose first messages were acknowledged.
fn opened() -> Session {
    let mut s = Session::new(40_001, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, "hi"));
    s.ack(Client);
    s
}

/// `who`'s message sent at each of `times` (ms after T0) and never acknowledged: the first
/// is new, the others its retransmissions, each carrying the acknowledgement numbers of
/// `at` (the bytes each side had taken when the path went), so that neither side's
/// retransmissions acknowledge the other's lost bytes.
fn unanswered(s: &mut Session, who: Role, msg: &[u8], at: [u32; 2], times: &[i64]) {
    for &t in times {
        s.next = at;
        s.clock = Timestamp(T0.0 + t * MS);
        s.send(who, msg);
    }
}

/// Backed-off retransmission times of a message first sent at `first` ms.
fn backoff(first: i64) -> Vec<i64> {
    [0, 200, 600, 1_400, 3_000, 6_200]
        .iter()
        .map(|d| first + d)
        .collect()
}

/// The RST a side whose socket is gone sends to a segment that acknowledges `ack`: its
/// sequence number is that acknowledgement, no ACK of its own (RFC 9293 §3.10.7.1).
fn reset_at(s: &mut Session, from: Role, ack: u32, ms: i64) {
    s.clock = Timestamp(T0.0 + ms * MS);
    s.emit(from, RST | NO_ACK, ack, &[], None);
}

fn outage_of(s: &Session) -> Option<(i64, i64)> {
    let r = analyze_timed(LinkType::RAW, &s.pkts, Options::default());
    only(&r).outage
}

/// Both sides' data retransmitted unanswered from 1 s; the client's socket was gone by the
/// heal: the server's retransmission at 13 s crosses and meets the client's RST. The
/// outage runs from the later stall's start to that reset.
#[test]
fn a_reset_answering_the_first_packet_after_a_cut_ends_the_outage() {
    let mut s = opened();
    let at = s.next;
    let (c, v) = (text(Client, "ping"), text(Server, "tick"));
    // Interleaved in time: the client's message at 1.0 s, the server's at 1.1 s.
    let mut sends: Vec<(i64, Role)> = backoff(1_000).into_iter().map(|t| (t, Client)).collect();
    sends.extend(backoff(1_100).into_iter().map(|t| (t, Server)));
    sends.push((13_000, Server));
    sends.sort_unstable_by_key(|&(t, _)| t);
    for (t, who) in sends {
        let msg = if who == Client { &c } else { &v };
        unanswered(&mut s, who, msg, at, &[t]);
    }
    reset_at(&mut s, Client, at[0], 13_001);
    let o = outage_of(&s).expect("an outage healed by the reset");
    assert_eq!(o, (T0.0 + 1_100 * MS, T0.0 + 13_001 * MS));
}

/// Controls. A plain reset after data both sides acknowledged: no outage.
#[test]
fn a_plain_reset_is_no_outage() {
    let mut s = opened();
    let ack = s.next[0];
    reset_at(&mut s, Client, ack, 5_000);
    assert_eq!(outage_of(&s), None);
}

/// The server alone retransmits for 12 s (the client's host is gone), then the rebooted
/// host answers its next retransmission with a reset: one side's silence, not a cut path.
#[test]
fn a_reset_after_one_side_s_silence_is_no_outage() {
    let mut s = opened();
    let at = s.next;
    let v = text(Server, "tick");
    let mut times = backoff(1_000);
    times.push(13_000);
    unanswered(&mut s, Server, &v, at, &times);
    reset_at(&mut s, Client, at[0], 13_001);
    assert_eq!(outage_of(&s), None);
}
