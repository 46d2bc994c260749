//! The words of a session seen at two points of its path (issue 103): the evidence clause
//! that names the points and says where its packets were; the lines every format lists
//! ([`lines`]: Markdown's and HTML's fact, the table's `-v`; [`brief`]: the table's one
//! line); the annotated capture's comments on each point's packets ([`comments`]); and the
//! sentences and the fix of the cause the two points decide together (`between-points`).
//!
//! In: a [`PointsReport`]; a [`Cause::BetweenPoints`]. Out: the clause and the packets it
//! cites (those of the first point only: the report's packet numbers are its input's); lines;
//! comments by point and packet; the cause's sentences (its `Display`) and its hint. A file or
//! interface name comes from the user or the capture: a renderer escapes these lines as all
//! its text.

use crate::report::cause::{Cause, PointsVerdict};
use crate::report::points::{LostBetween, MadeBetween, MadeKind, Point, PointsReport};
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
    if !p.placed_whole {
        // The counts above are of the packets a point kept: say what they leave out.
        match (p.unplaced_from, p.unplaced_to) {
            (Some(a), Some(b)) => {
                let _ = write!(
                    s,
                    "; those from {a} to {b} not placed (a point kept only the first and the \
                     last of the session's packets), so the counts are of the rest"
                );
            }
            _ => s.push_str("; its packets not placed (a point kept none to place)"),
        }
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

/// The note when the incident stage's index of endings, which sessions seen at two points
/// are paired from, left `left_out` out (its room, a thirty-second of `--max-memory`, full).
pub fn unpaired(left_out: u64) -> String {
    format!(
        "sessions seen at two points of their path are read as one only among the \
         connections whose endings the incident stage kept ({left_out} left out): such a \
         session among those left out is listed once per point, unpaired; raise \
         --max-memory to pair them"
    )
}

/// A point by its file and interface ("drop-client.pcap on eth0").
fn named(pt: &Point) -> String {
    match &pt.interface {
        Some(i) => format!("{} on {i}", pt.file),
        None => pt.file.clone(),
    }
}

/// Point `k` by its file and interface, or, where both points have one name (a merge that
/// describes its interfaces alike), that and the end it is nearer ("drop-merged.pcapng,
/// client side"), else its place ("first point").
fn label(p: &PointsReport, k: usize) -> String {
    let Some(pt) = p.points.get(k) else {
        return String::new();
    };
    let name = named(pt);
    if p.points.iter().filter(|o| named(o) == name).count() < 2 {
        return name;
    }
    match pt.nearer {
        Some(r) => format!("{name}, {r} side"),
        None if k == 0 => format!("{name}, first point"),
        None => format!("{name}, second point"),
    }
}

/// How a point's nearer end was told.
fn told(pt: &Point) -> &'static str {
    match pt.nearer_by.as_deref() {
        Some("ttl") => "by the TTLs",
        Some("timing") => "by the timing",
        _ => "",
    }
}

/// Point `k` with the end it is nearer ("drop-client.pcap (nearer the client, by the
/// TTLs)").
fn placed(p: &PointsReport, k: usize) -> String {
    let Some(pt) = p.points.get(k) else {
        return String::new();
    };
    match pt.nearer {
        Some(r) => format!("{} (nearer the {r}, {})", label(p, k), told(pt)),
        None => format!("{} (which end it is nearer is not told)", label(p, k)),
    }
}

/// The point at `k` as the side it is nearer names it: "the server's point
/// (drop-server.pcap)", else "the other point (drop-server.pcap)".
fn whose(p: &PointsReport, k: usize) -> String {
    let Some(pt) = p.points.get(k) else {
        return "the other point".into();
    };
    match pt.nearer {
        Some(r) => format!("the {r}'s point ({})", label(p, k)),
        None => format!("the other point ({})", label(p, k)),
    }
}

/// The side's packets, possessive: "the client's".
fn of(r: Role) -> String {
    format!("the {r}'s")
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What a made packet was.
fn made_what(m: &MadeBetween) -> &'static str {
    match m.kind {
        MadeKind::Rst => "a reset",
        MadeKind::Fin => "a FIN",
        MadeKind::Syn => "a SYN",
        MadeKind::Data => "data",
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

/// The lost packets of one direction in a line.
fn lost_line(p: &PointsReport, l: &LostBetween) -> String {
    let at = label(p, l.seen_at);
    let sizes = if l.packets == 1 {
        format!("{} bytes", l.bytes)
    } else if l.smallest == l.largest {
        format!("{} bytes, {} each", l.bytes, l.smallest)
    } else {
        format!("{} bytes, {} to {} each", l.bytes, l.smallest, l.largest)
    };
    let when = if l.first_packet == l.last_packet {
        format!("packet {} there, at {}", l.first_packet, l.first)
    } else {
        format!(
            "packets {} to {} there, from {} to {}",
            l.first_packet, l.last_packet, l.first, l.last
        )
    };
    format!(
        "lost between the points: {} packet{} of {} ({sizes}) left {at} and never reached {}: \
         {when}",
        l.packets,
        plural(l.packets),
        of(l.from),
        whose(p, 1 - l.seen_at.min(1)),
    )
}

/// A made packet in a line.
fn made_line(p: &PointsReport, m: &MadeBetween) -> String {
    let at = label(p, m.seen_at);
    let side_ttl = m
        .side_ttl
        .map(|t| format!(" where the {}'s packets came with {t}", m.from))
        .unwrap_or_default();
    format!(
        "made between the points: {} in the {}'s name seen at {at} (packet {}, {}, TTL {}{side_ttl}, \
         IP ID {}) that {} never saw the {} send",
        made_what(m),
        m.from,
        m.packet,
        m.time,
        m.ttl,
        m.ip_id,
        whose(p, 1 - m.seen_at.min(1)),
        m.from,
    )
}

/// The points as every format lists them, a line each: the points named (file and
/// interface, the end each is nearer and how that was told, a NAT's translation), the
/// clocks' offset, the packets seen at both, each direction's packets lost between the
/// points, each packet made between them, and what could not be placed.
pub fn lines(p: &PointsReport) -> Vec<String> {
    let mut out = Vec::new();
    let names: Vec<String> = (0..p.points.len()).map(|k| placed(p, k)).collect();
    let mut first = format!("one session seen at two points: {}", names.join(" and "));
    if let (Some(r), Some(b)) = (p.translated, p.points.get(1)) {
        let y = match r {
            Role::Client => &b.client,
            Role::Server => &b.server,
        };
        let _ = write!(
            first,
            "; a NAT between them translated the {r}: {y} at {}",
            label(p, 1)
        );
    }
    out.push(first);
    match (p.clock_offset_s, p.points.len()) {
        (Some(o), 2) => out.push(format!(
            "clocks: {}'s is {o:+.6} s from {}'s (estimated from the packets seen at both)",
            label(p, 1),
            label(p, 0)
        )),
        _ => out.push(
            "clocks: their offset is not estimated (no packet of each direction was seen at both)"
                .into(),
        ),
    }
    out.push(format!(
        "seen at both points: {} packet{} of the client's, {} of the server's",
        p.seen_at_both.client,
        plural(p.seen_at_both.client),
        p.seen_at_both.server
    ));
    if p.lost_between.is_empty() && p.made_between.is_empty() && p.not_placed == 0 {
        out.push("nothing lost or made between the points".into());
    }
    out.extend(p.lost_between.iter().map(|l| lost_line(p, l)));
    out.extend(p.made_between.iter().map(|m| made_line(p, m)));
    if p.made_between_more > 0 {
        out.push(format!(
            "and {} more packet{} made between the points",
            p.made_between_more,
            plural(p.made_between_more)
        ));
    }
    if p.not_placed > 0 {
        out.push(format!(
            "{} packet{} seen at one point only could not be placed (which point is nearer \
             their sender, or where they stand in their direction, is not told)",
            p.not_placed,
            plural(p.not_placed)
        ));
    }
    if !p.placed_whole {
        out.push(match (p.unplaced_from, p.unplaced_to) {
            (Some(a), Some(b)) => format!(
                "packets from {a} to {b} not placed: a point kept only the first and the last \
                 of the session's packets"
            ),
            _ => "its packets not placed: a point kept none to place".into(),
        });
    }
    out
}

/// The points in one line, for the table: the two files and the ends they are nearer, the
/// clocks' offset, and what was lost and made between them.
pub fn brief(p: &PointsReport) -> String {
    let names: Vec<String> = p
        .points
        .iter()
        .enumerate()
        .map(|(k, pt)| match pt.nearer {
            Some(r) if label(p, k) == named(pt) => format!("{} ({r}'s)", named(pt)),
            Some(r) => format!("{} ({r} side)", named(pt)),
            None => label(p, k),
        })
        .collect();
    let mut s = format!("two points: {}", names.join(" and "));
    if let Some(o) = p.clock_offset_s {
        let _ = write!(s, ", clock {o:+.6} s");
    }
    let both = p.seen_at_both.client + p.seen_at_both.server;
    let _ = write!(s, "; {both} packet{} seen at both", plural(both));
    for l in &p.lost_between {
        let _ = write!(s, ", {} of {} lost between", l.packets, of(l.from));
    }
    let made = p.made_between.len() as u64 + p.made_between_more;
    if made > 0 {
        let rst = p
            .made_between
            .iter()
            .filter(|m| m.kind == MadeKind::Rst)
            .count();
        let _ = write!(s, ", {made} made between");
        if rst > 0 {
            let _ = write!(s, " ({rst} reset{})", plural(rst as u64));
        }
    }
    if p.not_placed > 0 {
        let _ = write!(s, ", {} not placed", p.not_placed);
    }
    s
}

/// What an annotated comment says of a packet the other point saw or did not: how much it
/// matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// For the record (the points named on each point's first packet).
    Chat,
    /// A packet lost between the points.
    Note,
    /// A packet made between the points.
    Warning,
}

/// A comment on one point's packet: the point (by position in `points`), the packet (its
/// number in that point's input), how much it matters, and the words. They cite no packet
/// of the other point (the copy numbers each input's frames on from its own start).
pub type Comment = (usize, u64, Weight, String);

/// The annotated capture's comments of each point's packets: on its first packet, the
/// points named; on each packet lost between the points (those listed), that the
/// receiver's point never saw it; on each packet made between them, that the sender's
/// point never saw it sent.
pub fn comments(p: &PointsReport) -> Vec<Comment> {
    let mut out = Vec::new();
    for (k, pt) in p.points.iter().enumerate() {
        let other = 1 - k.min(1);
        let mut s = format!(
            "seen at two points, read as one session: here, {}, and at {}",
            placed(p, k),
            placed(p, other)
        );
        if let Some(o) = p.clock_offset_s {
            let o = if k == 0 { o } else { -o };
            let _ = write!(s, "; {}'s clock {o:+.6} s from this one's", label(p, other));
        }
        out.push((k, pt.first_packet, Weight::Chat, s));
    }
    for l in &p.lost_between {
        let other = 1 - l.seen_at.min(1);
        for &n in &l.listed {
            out.push((
                l.seen_at,
                n,
                Weight::Note,
                format!(
                    "not seen at {}: lost between the points ({} packet{} of {} lost, from {} to {})",
                    whose(p, other),
                    l.packets,
                    plural(l.packets),
                    of(l.from),
                    l.first,
                    l.last
                ),
            ));
        }
    }
    for m in &p.made_between {
        let other = 1 - m.seen_at.min(1);
        let side_ttl = m
            .side_ttl
            .map(|t| format!(", where the {}'s packets came with {t}", m.from))
            .unwrap_or_default();
        out.push((
            m.seen_at,
            m.packet,
            Weight::Warning,
            format!(
                "made between the points: {} in the {}'s name that {} never saw the {} send \
                 (TTL {} here{side_ttl}, IP ID {})",
                made_what(m),
                m.from,
                whose(p, other),
                m.from,
                m.ttl,
                m.ip_id
            ),
        ));
    }
    out
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
                 {end_packet}): {first_file}, whose one interface holds both points, holds \
                 one copy of it, with the TTL of the {end_by}'s packets nearer the {end_by} \
                 ({ttl}), and no data of the {end_by}'s after it: the {end_by}'s own {what} \
                 that never crossed and one a box made between the points look alike there, \
                 so neither the {end_by}'s software nor a box is named."
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
