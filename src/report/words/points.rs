//! The words of a session seen at two points of its path (issue 103): the evidence clause
//! that names the points and says where its packets were.
//!
//! In: a [`PointsReport`]. Out: the clause and the packets it cites (those of the first
//! point only: the report's packet numbers are its input's).

use crate::report::points::{MadeKind, PointsReport};
use std::fmt::Write as _;

/// The clause ("; seen at two points: …") and its packets.
pub fn evidence(p: &PointsReport) -> (String, Vec<u64>) {
    let mut s = String::from("; the same session seen at two points of its path (");
    let mut packets = Vec::new();
    let named: Vec<String> = p
        .points
        .iter()
        .map(|pt| {
            let mut n = pt.file.clone();
            if let Some(i) = &pt.interface {
                let _ = write!(n, " on {i}");
            }
            if let Some(r) = pt.nearer {
                let by = match pt.nearer_by.as_deref() {
                    Some("ttl") => "by the TTLs",
                    Some("timing") => "by the timing",
                    _ => "",
                };
                let _ = write!(n, ", nearer the {r} {by}");
            }
            n
        })
        .collect();
    s.push_str(&named.join("; "));
    s.push(')');
    if let Some(o) = p.clock_offset_s {
        let _ = write!(s, ", the second's clock {o:+.6} s from the first's");
    }
    let both = p.seen_at_both.client + p.seen_at_both.server;
    let _ = write!(s, ": {both} packets seen at both");
    for l in &p.lost_between {
        let s_ = if l.packets == 1 { "" } else { "s" };
        let _ = write!(
            s,
            "; {} packet{s_} of the {} ({} bytes, {} to {} each) lost between the points, \
             from {} to {} (packets {} to {} at the {} point)",
            l.packets,
            l.from,
            l.bytes,
            l.smallest,
            l.largest,
            l.first,
            l.last,
            l.first_packet,
            l.last_packet,
            ordinal(l.seen_at),
        );
        if l.seen_at == 0 {
            packets.extend([l.first_packet, l.last_packet]);
        }
    }
    for m in &p.made_between {
        let what = match m.kind {
            MadeKind::Rst => "a reset",
            MadeKind::Fin => "a FIN",
            MadeKind::Syn => "a SYN",
            MadeKind::Data => "data",
        };
        let _ = write!(
            s,
            "; {what} in the {}'s name (packet {} at the {} point, TTL {}{}) the {}'s point never saw \
             sent: made between the points",
            m.from,
            m.packet,
            ordinal(m.seen_at),
            m.ttl,
            m.side_ttl
                .map(|t| format!(" where the {}'s packets came with {t}", m.from))
                .unwrap_or_default(),
            m.from,
        );
        if m.seen_at == 0 {
            packets.push(m.packet);
        }
    }
    if p.made_between_more > 0 {
        let _ = write!(s, " (and {} more)", p.made_between_more);
    }
    if p.not_placed > 0 {
        let _ = write!(
            s,
            "; {} packets seen at one point could not be placed",
            p.not_placed
        );
    }
    (s, packets)
}

fn ordinal(k: usize) -> &'static str {
    if k == 0 {
        "first"
    } else {
        "second"
    }
}
