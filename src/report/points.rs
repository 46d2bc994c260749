//! The points of one path a session was captured at (issue 103): two files of the same
//! traffic (the client's host and the server's), or two interfaces of one file, read as one
//! session with its points. `diagnose::points` finds them and fills this; renderers read it.
//!
//! In: nothing (values). Out: JSON `points` on a connection ([`PointsReport`]): each point
//! (its input, file, interface, the endpoints it saw, which end it is nearer), the clock
//! offset between them, and where every packet of the session was: seen at both points,
//! only at the sender's side (lost between them), or only at the receiver's (made between
//! them). Every format states them from here, in the words of `words::points` (the fact
//! `report::facts` makes of them, the table's lines, the annotated capture's comments on
//! each point's packets).

use super::Host;
use crate::vocab::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// A session seen at two points of its path, and where each of its packets was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct PointsReport {
    /// The points, in the order of their inputs (the first is the connection's own
    /// `input`); two.
    pub points: Vec<Point>,
    /// Which endpoint differs between the points: `client` (a source NAT, masquerade),
    /// `server` (a destination NAT, a port forward); null when both saw the same addresses.
    pub translated: Option<Role>,
    /// The second point's clock less the first's, seconds: the middle of the two
    /// directions' median differences over the packets seen at both (each direction's
    /// difference is the offset plus or less its path delay between the points); null
    /// when no packet of each direction was seen at both.
    pub clock_offset_s: Option<f64>,
    /// The packets seen at both points, per direction.
    pub seen_at_both: crate::vocab::PerSide<u64>,
    /// Packets seen only at the sender's point: lost between the points, one entry per
    /// direction that lost any.
    pub lost_between: Vec<LostBetween>,
    /// Packets seen only at the receiver's point, sent in a side's name that the sender's
    /// point never saw that side send: made between the points (at most
    /// [`MAX_MADE`] listed, the rest counted in `made_between_more`).
    pub made_between: Vec<MadeBetween>,
    /// Packets made between the points beyond those listed.
    pub made_between_more: u64,
    /// Packets seen at one point only that could not be placed: neither the TTLs nor the
    /// timing told which point is nearer their sender, their direction had no packet both
    /// points saw to line the two up by, or they came after a point's last kept mark.
    pub not_placed: u64,
    /// Whether every packet was placed; false when a point kept only the first and the last
    /// of its marks (512 packets of the session with data, SYN, FIN or RST: the first 128
    /// and the last 384), and `unplaced_from` and `unplaced_to` say when the packets not
    /// placed came, or when a view had no marks to place.
    pub placed_whole: bool,
    /// With `placed_whole` false: the span (first point's clock) whose packets seen at one
    /// point were not placed: the marks not kept, and a margin of four times the one-way
    /// delay between the points and 10 ms either side (a second when the delay is not
    /// known); null otherwise.
    /// (Never skipped: the stored form, postcard, has no field names.)
    pub unplaced_from: Option<Timestamp>,
    /// Its end.
    pub unplaced_to: Option<Timestamp>,
}

/// Made-between packets listed at most per session.
pub const MAX_MADE: usize = 8;

/// One point a session was captured at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Point {
    /// The input it was read from (`inputs[]`, by position).
    pub input: usize,
    /// That input's file name.
    pub file: String,
    /// The interface the capture names for its packets (pcapng, Linux cooked v2), or null.
    pub interface: Option<String>,
    /// The client's endpoint as this point saw it.
    pub client: Host,
    /// The server's endpoint as this point saw it.
    pub server: Host,
    /// The session's first packet at this point (its number in this point's input).
    pub first_packet: u64,
    /// The session's last packet at this point (its number in this point's input).
    pub last_packet: u64,
    /// The TTL (or hop limit) of each side's first packet here.
    pub ttl: crate::vocab::PerSide<Option<u8>>,
    /// The end this point is nearer: by the TTLs (the point nearer a sender sees its
    /// packets with the higher TTL), else by the timing (the point nearer a sender sees its
    /// packets first, once the clocks' offset is taken out); null when neither tells.
    pub nearer: Option<Role>,
    /// How `nearer` was told: "ttl" or "timing"; null with it.
    pub nearer_by: Option<String>,
}

/// The packets of one direction seen at its sender's point and never at the receiver's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct LostBetween {
    /// The side that sent them.
    pub from: Role,
    /// The point that saw them (nearer their sender), by position in `points`.
    pub seen_at: usize,
    /// How many packets.
    pub packets: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// The smallest payload.
    pub smallest: u32,
    /// The largest payload.
    pub largest: u32,
    /// The first one's time at the sender's point.
    pub first: Timestamp,
    /// The last one's time at the sender's point.
    pub last: Timestamp,
    /// The first one's packet number in the sender's point's input.
    pub first_packet: u64,
    /// The last one's packet number in the sender's point's input.
    pub last_packet: u64,
    /// Their packet numbers in the sender's point's input, in order: the first
    /// [`MAX_LOST_LISTED`] (the annotated capture comments each).
    pub listed: Vec<u64>,
}

/// Packets lost between the points listed at most per direction.
pub const MAX_LOST_LISTED: usize = 64;

/// What a packet made between the points was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MadeKind {
    /// A reset.
    Rst,
    /// A FIN.
    Fin,
    /// A SYN.
    Syn,
    /// Data.
    Data,
}

/// A packet seen at the receiver's point in a side's name that the sender's point never saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct MadeBetween {
    /// The side it names as its sender.
    pub from: Role,
    /// The point that saw it, by position in `points`.
    pub seen_at: usize,
    /// What it was.
    pub kind: MadeKind,
    /// Its payload bytes.
    pub bytes: u32,
    /// Its packet (number in that point's input).
    pub packet: u64,
    /// Its time.
    pub time: Timestamp,
    /// Its TTL (or hop limit).
    pub ttl: u8,
    /// That side's packets' TTL at the same point before it.
    pub side_ttl: Option<u8>,
    /// Its IPv4 identification.
    pub ip_id: u16,
}
