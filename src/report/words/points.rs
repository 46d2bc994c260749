//! The words of a session seen at two points of its path (issue 103): the evidence clause
//! that names the points and says where its packets were, and the sentences and the fix
//! of the cause the two points decide together (`between-points`, item 3).
//!
//! In: a [`PointsReport`]; a [`Cause::BetweenPoints`]. Out: the clause and the packets it
//! cites (those of the first point only: the report's packet numbers are its input's); the
//! cause's sentences (its `Display`) and its hint.

use crate::report::cause::{Cause, PointsVerdict};
use crate::report::points::{MadeKind, PointsReport};
use crate::units::Secs;
use crate::vocab::Role;
use std::fmt::{self, Formatter, Write as _};

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

/// "reset" or "FIN".
fn made_name(k: MadeKind) -> &'static str {
    match k {
        MadeKind::Rst => "reset",
        MadeKind::Fin => "FIN",
        MadeKind::Syn => "SYN",
        MadeKind::Data => "data",
    }
}

/// The sentences of a [`Cause::BetweenPoints`] (nothing for any other cause).
pub fn words(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    let Cause::BetweenPoints {
        verdict,
        end_by,
        end_kind,
        end_packet,
        ttl,
        side_ttl,
        ip_id,
        peer_made,
        peer_made_packet,
        peer_made_at,
        peer_made_ttl,
        peer_made_side_ttl,
        lost_from,
        translated,
        first_file,
        second_file,
        ..
    } = c
    else {
        return Ok(());
    };
    let what = made_name(*end_kind);
    let peer = end_by.peer();
    let file = |at: usize| if at == 0 { first_file } else { second_file };
    match verdict {
        PointsVerdict::MadeBetween => {
            write!(
                f,
                "The {what} the {peer} received (packet {end_packet}) was never sent by the {end_by}: \
                 the {end_by}'s point holds none; "
            )?;
            match side_ttl {
                Some(s) if s == ttl => {
                    write!(
                        f,
                        "it came with TTL {ttl} and IP ID {ip_id}, as the {end_by}'s packets do there"
                    )?;
                    if *translated == Some(peer) {
                        write!(
                            f,
                            ", so the {end_by}'s host may have sent it, but for no connection of this \
                             session's: the box between the points translates the {peer}'s address \
                             (a NAT), and a packet of the {peer}'s it gave another port reaches the \
                             {end_by}'s host as a connection it does not know, which it resets"
                        )?;
                    } else {
                        write!(f, ": something between the points made it")?;
                    }
                }
                Some(s) => write!(
                    f,
                    "a box between the points made it (TTL {ttl}, IP ID {ip_id}, where the \
                     {end_by}'s packets arrive with {s})"
                )?,
                None => write!(
                    f,
                    "a box between the points made it (TTL {ttl}, IP ID {ip_id})"
                )?,
            }
            f.write_str(".")?;
            if let (Some(p), Some(at)) = (peer_made_packet, peer_made_at) {
                let more = peer_made.saturating_sub(1);
                write!(
                    f,
                    " Likewise the {end_by} received a reset or FIN in the {peer}'s name \
                     (packet {p} of {}{}) that the {peer}'s point never saw sent",
                    file(*at),
                    if more > 0 {
                        format!(", and {more} more")
                    } else {
                        String::new()
                    },
                )?;
                match (peer_made_ttl, peer_made_side_ttl) {
                    (Some(t), Some(s)) if t != s => {
                        write!(f, " (TTL {t} where the {peer}'s packets arrive with {s})")?
                    }
                    (Some(t), _) => write!(f, " (TTL {t})")?,
                    _ => {}
                }
                f.write_str(".")?;
            }
            if lost_from.is_some() {
                f.write_str(" ")?;
                lost(c, f)?;
                f.write_str(".")?;
            }
            f.write_str(" Neither application ended the session.")
        }
        PointsVerdict::LostBetween => {
            lost(c, f)?;
            write!(
                f,
                ". The {end_by}'s {what} (packet {end_packet}) was seen at both points: its \
                 host's own, after the loss; the path between the points, not the {}, lost the \
                 session.",
                lost_from.map_or(peer, Role::peer)
            )
        }
        PointsVerdict::MtuBetween => {
            lost(c, f)?;
            write!(
                f,
                ": segments of that size never crossed while smaller packets did{}, a path \
                 MTU black hole between the points. The {end_by}'s {what} (packet {end_packet}) \
                 was seen at both points: its host's own, after the loss.",
                match c {
                    Cause::BetweenPoints {
                        crossed_largest: Some(n),
                        ..
                    } => format!(" (up to {n} bytes)"),
                    _ => String::new(),
                }
            )
        }
        PointsVerdict::Endpoint => write!(
            f,
            "Both points saw the {end_by}'s {what} (packet {end_packet}) leave the {end_by}'s \
             host and reach the {peer}'s, and nothing was lost or made between them before it: \
             the {end_by}'s host ended the session."
        ),
        PointsVerdict::Undecided => {
            if lost_from.is_some() {
                lost(c, f)?;
                f.write_str(". ")?;
            }
            write!(
                f,
                "The points cannot tell who sent the {what} in the {end_by}'s name (packet \
                 {end_packet}): in {first_file}, whose one interface holds both points, no \
                 second copy of it was placed (the connection ends at its first {what}, and a \
                 copy after it is not placed), and its TTL, {ttl}, is that of the {end_by}'s \
                 packets nearer the {end_by}: the {end_by}'s own {what} and one a box made \
                 between the points look alike there, so neither the {end_by}'s software nor a \
                 box is named."
            )
        }
    }
}

/// "N packets of the client's (packets A to B of FILE, K bytes, with P pings) never
/// reached the server's host: lost between the points from X to Y after the session's
/// first packet".
fn lost(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    let Cause::BetweenPoints {
        lost_from: Some(from),
        lost_packets,
        lost_bytes,
        lost_smallest,
        lost_largest,
        lost_seen_at,
        lost_first_packet,
        lost_last_packet,
        lost_from_s,
        lost_to_s,
        lost_pings,
        first_file,
        second_file,
        ..
    } = c
    else {
        return Ok(());
    };
    let file = if *lost_seen_at == 0 {
        first_file
    } else {
        second_file
    };
    let n = if *lost_packets == 1 {
        "1 packet".to_string()
    } else {
        format!("{lost_packets} packets")
    };
    let sizes = if lost_smallest == lost_largest {
        format!("{lost_smallest} bytes each")
    } else {
        format!("{lost_smallest} to {lost_largest} bytes")
    };
    let pings = match lost_pings {
        0 => String::new(),
        1 => ", with a ping".to_string(),
        k => format!(", with {k} pings"),
    };
    write!(
        f,
        "{n} of the {from}'s (packets {lost_first_packet} to {lost_last_packet} of {file}, \
         {lost_bytes} bytes, {sizes}{pings}) never reached the {}'s host: lost between the \
         points from {} to {} after the session's first packet",
        from.peer(),
        Secs(*lost_from_s),
        Secs(*lost_to_s),
    )
}

/// The advice a [`Cause::BetweenPoints`] adds before the fix.
pub fn hint(c: &Cause) -> Option<String> {
    let Cause::BetweenPoints {
        verdict,
        end_by,
        translated,
        lost_from,
        lost_from_s,
        lost_to_s,
        first_file,
        second_file,
        ..
    } = c
    else {
        return None;
    };
    let points = between(first_file, second_file);
    match verdict {
        PointsVerdict::MadeBetween => Some(match translated {
            Some(r) => format!(
                "Look at the NAT between {points} (it translates the {r}'s \
                 address): it lost the session's mapping (a flush, a restart, or an idle timeout \
                 shorter than the session's quiet spells) and gave the {r}'s packets a new port; \
                 keep its mappings longer than the session's quiet spells, or send pings more \
                 often than its timeout. Neither application needs a fix."
            ),
            None => format!(
                "Find the box between {points} that resets connections in \
                 the {end_by}'s name: a stateful firewall or NAT whose flow table forgot the \
                 session (an idle timeout there shorter than the session's quiet spells), an \
                 IDS; raise its timeout or send pings more often than it. Neither application \
                 needs a fix."
            ),
        }),
        PointsVerdict::LostBetween => Some(format!(
            "Look at the path between {points} (a router, a link, a \
             firewall) for what dropped the {}'s packets from {} to {} after the session's first \
             packet; ping often enough to notice a dead path, and reconnect with backoff.",
            lost_from.map_or(*end_by, |r| r),
            Secs(*lost_from_s),
            Secs(*lost_to_s),
        )),
        PointsVerdict::Undecided => Some(format!(
            "{}Give the two points' captures as two files (or one capture that names each \
             packet's interface): they tell an endpoint's own ending from a box's.",
            match lost_from {
                Some(r) => format!(
                    "Look at the path between the points for what dropped the {r}'s packets \
                     from {} to {} after the session's first packet. ",
                    Secs(*lost_from_s),
                    Secs(*lost_to_s)
                ),
                None => String::new(),
            }
        )),
        PointsVerdict::MtuBetween => Some(format!(
            "The narrow link lies between {points}: look there for the \
             link whose MTU is smaller than the {}'s packets and the box that drops ICMP.",
            lost_from.map_or(*end_by, |r| r)
        )),
        PointsVerdict::Endpoint => None,
    }
}

/// "A and B", or "the two points of A" where one file holds both.
fn between(first: &str, second: &str) -> String {
    if first == second {
        format!("the two points of {first}")
    } else {
        format!("{first} and {second}")
    }
}
