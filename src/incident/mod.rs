//! Incidents: the endings of several connections that belong together (a server stopped
//! or restarted, a proxy reloaded, a cohort cut at one idle age, a client host dropped,
//! a server shedding load, a client refused again and again), and reconnects: a client's
//! new session linked to the one it replaces.
//!
//! In: one compact [`Ending`] per finished connection report (kept by the report store as
//! reports finish, [`Index`], or made from reports in memory), in the report's order. Out:
//! [`Incident`]s (`Report::incidents`, JSON `incidents[]`) and, per connection, the
//! incident it belongs to and its reconnect ([`Links`], applied as reports are shown).
//! Nothing here reads a report back: the stage works from the endings alone, whose memory
//! is charged to `--max-memory` (`memory::incidents_room`).
//!
//! The evidence is the connections' own: how each ended (RFC 6455 §7.1.5's close code, or
//! TCP's FIN/RST, RFC 9293 §3.6), who ended it, when, and its quiet spell before the end.
//! The thresholds ([`MIN_MEMBERS`], [`BURST_S`], [`GAP_S`], [`SHED_GAP_S`],
//! [`RETRY_GAP_S`], [`MASS_GAP_S`], [`REJECTION_SHARE`], [`IDLE_MIN_S`], [`RECONNECT_MAX_S`], [`HERD_SHARE`], [`HERD_NOISE_S`], [`SPELLS_DIFFER_S`], [`DARK_MIN_S`]) are in
//! docs/causes.md; a single connection is never an incident.
//!
//! Work: sorting the endings (n log n), then sweeps that visit each ending a bounded
//! number of times ([`Outcome::work`] counts the steps), so 100 000 sessions ending in one
//! second, or one client reconnecting 50 000 times, cost time linear in the sessions.

pub mod after;
mod detect;
mod gate;
pub mod points;
pub mod refused;
pub mod said;
mod signs;
pub mod twins;
pub mod watch;

use crate::vocab::{After, Incident, Reconnect};
pub use after::{Refusal, Refusals};
pub use detect::{detect, detect_said, detect_with};
pub use gate::{gate, holds_live, wants_gone};
pub use refused::RefusedCounts;
pub use signs::Signs;
pub use watch::{Forming, Watch};

use crate::vocab::{Endpoint, Role};

/// Most seconds between two resets that the side they name never sent for them to be one
/// middlebox's episode (a rule that resets every packet through it meets each session at
/// its next packet: within a heartbeat's period).
pub const MIDDLEBOX_GAP_S: f64 = 5.0;

/// Fewest connections an incident has: a single connection (or two) is never one.
pub const MIN_MEMBERS: usize = 3;

/// A server-side stop: the sessions it ended the same way from the first such end on,
/// within this many seconds, that were open at that first end.
pub const BURST_S: f64 = 2.0;

/// A client host's drop: its sessions' own FINs or RSTs within this many seconds of the
/// first (a process that exits, or a host whose network goes, ends them all at once), each
/// within it of the one before.
pub const CLIENT_BURST_S: f64 = 0.25;

/// Once a stop is found, later ends of sessions open at its start, each within this many
/// seconds of the one before, belong to it too (a shutdown that closes sessions one by one);
/// a run of a server's ends so linked is one stop however long it lasts, when the sessions
/// had lived at least twice as long.
pub const GAP_S: f64 = 1.0;

/// Most seconds between two overload closes (1013, 1014; a refused upgrade's 503 or 429)
/// of one server for them to be one episode of shedding.
pub const SHED_GAP_S: f64 = 10.0;

/// Most seconds between two refusals of one client by one server with the same code for
/// them to be one rejection loop (retries with backoff come back within it).
pub const RETRY_GAP_S: f64 = 60.0;

/// Most seconds between two rejections with the same code of different clients by one
/// server for them to be one mass rejection.
pub const MASS_GAP_S: f64 = 2.0;

/// Least share of a party's endings in a window that one refusal code must have for a
/// rejection loop (the client host's endings with that server) or a mass rejection (the
/// server's endings): a busy server whose sessions end with many codes is no incident.
pub const REJECTION_SHARE: f64 = 0.5;

/// Shortest quiet spell before the end (seconds) for a session to count in an idle cohort.
pub const IDLE_MIN_S: f64 = 5.0;

/// Idle ages within the larger of this many seconds and 2 % of the first are "the same".
pub const IDLE_TOLERANCE_S: f64 = 1.0;

/// Members of a stop (ended at one instant) whose quiet spells before their ends spread
/// over more than this (or 2 % of the shortest) were not cut by a timeout, which fires at
/// one idle age for each session, on time (as [`IDLE_TOLERANCE_S`] allows for ends spread
/// over time, a timer's lateness; at one instant there is none to allow).
pub const SPELLS_DIFFER_S: f64 = 0.25;

/// Most seconds from a session's end to the start of the session that replaces it: a
/// later one is a new visit, not a reconnect.
pub const RECONNECT_MAX_S: f64 = 300.0;

/// Reconnect delays spread (10th to 90th percentile) over less than this share of their
/// median arrive in a herd: no jitter. A client that jitters draws its delay from a range
/// around its backoff, so the delays spread with the median (a draw from ±10 % of it
/// spreads them over 0.16 of it, uniform; Caddy's reload's clients drew 0.3-0.6 s: 0.18 s
/// over a median of 0.49 s, 0.37, issue 102); clients that wait one fixed delay differ
/// only by their timers' and the network's noise.
pub const HERD_SHARE: f64 = 0.1;

/// Reconnect delays spread over less than this (seconds) arrive in a herd whatever their
/// median: timer and network noise, no draw (clients back at once, with no delay at all).
pub const HERD_NOISE_S: f64 = 0.02;

/// Whether reconnect delays spread over `spread_s` (10th to 90th percentile) around a
/// median of `median_s` came in a herd ([`HERD_SHARE`], [`HERD_NOISE_S`]).
pub fn herd(spread_s: f64, median_s: f64) -> bool {
    spread_s < HERD_NOISE_S || spread_s < HERD_SHARE * median_s
}

/// Whether returns came in a herd where some were paired with their ends by order (on a
/// client host with several clients, or on another path), not each with its own client's:
/// from the paired delays' spread (`paired_s`), the ends' spread and the returns' own
/// (10th to 90th percentile, `ends_s`, `returns_s`) and the delays' median. Order pairs the
/// earliest return with the earliest end, which of all pairings makes the delays agree
/// most (on a line, sorted pairing minimizes the widest difference): a spread too wide for
/// a herd so paired is too wide under any pairing, no herd; a narrow one proves nothing.
/// Then a delay the clients shared, to within [`herd`]'s allowance, carries the ends'
/// spread over to the returns: where the two differ by more, no herd; where both together
/// are within it, a herd under any pairing; else the capture cannot tell (`None`).
pub fn herd_by_order(paired_s: f64, ends_s: f64, returns_s: f64, median_s: f64) -> Option<bool> {
    let allowed = HERD_NOISE_S.max(HERD_SHARE * median_s);
    if !herd(paired_s, median_s) || (returns_s - ends_s).abs() >= allowed {
        Some(false)
    } else if ends_s + returns_s < allowed {
        Some(true)
    } else {
        None
    }
}

/// Connection ids an incident lists (`connections`); each connection also names its
/// incident (`incident`), so all of them are found.
pub const LISTED: usize = 100;

/// Incidents kept at most; later ones are counted ([`Outcome::left_out`]) and their
/// connections left to other kinds or to none (a hostile capture could make one incident
/// per three connections).
pub const MAX_INCIDENTS: usize = 1000;

/// A stalled server: the first unanswered ping of a member may come this many seconds
/// before the server's last frame on another (a ping that reached the process as it stopped,
/// a frame it had queued), and still fit one moment of stalling.
pub const STALL_SLACK_S: f64 = 0.5;

/// A stalled server: most seconds between one member's first unanswered ping and the next
/// (in order of those pings): clients ping at their own pace, each within its interval of
/// the stall's start; a longer gap starts another cluster.
pub const STALL_GAP_S: f64 = 60.0;

/// A crash loop: a stop of a server that comes within this many seconds of its coming back
/// from the stop before (the next session it accepted) belongs to the same loop.
pub const CRASH_LOOP_S: f64 = 60.0;

/// Slow consumers: most seconds between two sessions of one server it ended while their
/// clients read nothing for them to be one cut (each client stops reading at its own moment,
/// and the server gives up on each its own time later).
pub const SLOW_GAP_S: f64 = 10.0;
/// Most seconds between the starts of two connections that carry one upgrade request for
/// them to be one session seen at two points (a NAT forwards within microseconds; two
/// captures merged may differ by their clocks), and between a reset seen at one point and
/// the same side's reset at the other for it to be the same one.
pub const TWIN_S: f64 = 1.0;

/// Bars of an incident's picture at most ([`Incident::bins`]).
pub const MAX_BINS: usize = 60;

/// [`Ending::answered_us`] of a close that answered a peer's message whose time the report
/// does not keep: a 1009's too-big message, known by its size and kind (RFC 6455 §7.4.1).
pub const UNTIMED: u32 = u32::MAX - 1;

/// An upgrade request's `Sec-WebSocket-Key`, the 16 bytes it encodes ([`Ending::key`]).
pub type Key = [u8; 16];

/// No key ([`Ending::key`]).
pub const NO_KEY: Key = [0; 16];

/// What the index keeps of one ending, charged to the memory budget.
pub const ENDING_BYTES: usize = std::mem::size_of::<Ending>() * 2;

/// What the incident stage's sweeps keep for one ending beside it, charged with it
/// ([`Index::set_room`]): the starts and ends of the sessions servers accepted, two 16-byte
/// keys each (`served_others`' list, made once for every ending at most).
pub const ACCEPTED_BYTES: usize = 2 * std::mem::size_of::<u128>();

/// The words an incident holds at most, by estimate: its cause and fix (the longest kind's
/// with what this one adds, some 2 KB) and what its members said (a close reason of at most
/// 123 bytes, a page's words of at most 80, a TLS alert's name), and its server's and client's
/// names (`tests/memory.rs` checks the recorded incidents against it).
pub const INCIDENT_WORDS_BYTES: usize = 3 << 10;

/// What one incident holds, charged to the room of the endings ([`Index::set_room`]): its
/// fixed fields (with its facts, `refused_*` counts, `others_after`), its listed connections,
/// its picture's bars, and its words at most.
pub const INCIDENT_BYTES: usize = std::mem::size_of::<Incident>()
    + LISTED * std::mem::size_of::<u64>()
    + MAX_BINS * std::mem::size_of::<crate::vocab::Bin>()
    + INCIDENT_WORDS_BYTES;

/// Endings an index keeps in a room of `bytes` (0: no limit): each at [`ENDING_BYTES`] and
/// [`ACCEPTED_BYTES`], and the incidents they can make (one per [`MIN_MEMBERS`] of them, at
/// most [`MAX_INCIDENTS`]) at [`INCIDENT_BYTES`] each; at least one.
pub fn endings_in(bytes: usize) -> usize {
    if bytes == 0 {
        return 0;
    }
    let each = ENDING_BYTES + ACCEPTED_BYTES;
    let n = bytes / (each + INCIDENT_BYTES.div_ceil(MIN_MEMBERS));
    let n = if n / MIN_MEMBERS <= MAX_INCIDENTS {
        n
    } else {
        bytes.saturating_sub(MAX_INCIDENTS * INCIDENT_BYTES) / each
    };
    n.max(1)
}

/// The room in bytes that keeps `n` endings ([`endings_in`]), for up to `MIN_MEMBERS *
/// MAX_INCIDENTS` of them.
pub fn room_for(n: usize) -> usize {
    n * (ENDING_BYTES + ACCEPTED_BYTES + INCIDENT_BYTES.div_ceil(MIN_MEMBERS))
}

/// A partition: its members ended at most this many seconds after the first packet that
/// crossed their path again (a close frame or FIN queued behind the data that waited goes
/// out with it; the peer's next retransmission, answered by a reset, within a backed-off
/// retransmission timeout).
pub const HEAL_SLACK_S: f64 = 2.0;

/// A client host gone dark: least seconds from a session's first server segment never
/// acknowledged (nothing from the host since) to its end for it to count
/// ([`Ending::dark`]): longer than a retransmission timeout's first backoffs (RFC 6298 §5:
/// at least 1 s), so a slow acknowledgement is not a dark host.
pub const DARK_MIN_S: f64 = 1.0;

/// A connection's path outage (`ConnectionReport::outage`, `diagnose::outage`): both sides
/// retransmitting unacknowledged from `from`, a packet through again at `healed`
/// (nanoseconds); kept beside the endings, found again by its ending's order and stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// Its ending's `order`.
    pub order: u64,
    /// Its ending's `stream`.
    pub stream: u32,
    /// Both sides were retransmitting by then.
    pub from: i64,
    /// The first packet that crossed again.
    pub healed: i64,
}

/// What the index keeps of one outage (the vector may grow to twice what it keeps): less
/// than an ending's [`ENDING_BYTES`], whose room each outage takes ([`Index::push_outage`]).
pub const OUTAGE_BYTES: usize = std::mem::size_of::<Outage>() * 2;
const _: () = assert!(OUTAGE_BYTES <= ENDING_BYTES);

/// How a session ended, in the terms incidents compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum How {
    /// Not ended in the capture (or followed no further: evicted).
    Open,
    /// A FIN before any close frame.
    Fin,
    /// A RST before any close frame.
    Rst,
    /// A close frame first, with its code (`None`: no code, 1005).
    Close(Option<u16>),
    /// The upgrade was refused with this HTTP status.
    Refused(u16),
    /// No close frame, FIN or RST: one side's data went unacknowledged to the capture's
    /// end and the other (`by`) fell silent: the path to it died (its end: the first
    /// segment never acknowledged).
    Silent,
    /// An HTTP/2 stream ended by its side's RST_STREAM (RFC 9113 §6.4) with its error
    /// code: a stated end, as a close frame is.
    /// (Its error code, §7: none is defined past 0xd, so one past 0xffff is kept as
    /// 0xffff, and an ending keeps its size.)
    StreamReset(u16),
    /// An HTTP/2 stream ended by its side's GOAWAY (the connection going away), with its
    /// error code (as [`How::StreamReset`]'s).
    GoAway(u16),
}

/// The compact summary of one connection the incident stage works from (160 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Ending {
    /// The report's sort key in its store (input above bit 48, first packet below) and its
    /// HTTP/2 stream (0 for none): placed at its position once the store is sorted.
    pub order: u64,
    /// Its HTTP/2 stream (0 for none).
    pub stream: u32,
    /// Its position in the report's order (its id less one).
    pub pos: u32,
    /// The client's endpoint.
    pub client: Endpoint,
    /// The server's endpoint.
    pub server: Endpoint,
    /// A hash of the path (without its query) and the subprotocol: what a reconnect repeats
    /// (32 bits: two routes of one host and server share one by a chance in four billion).
    pub route: u32,
    /// When it started, nanoseconds.
    pub start: i64,
    /// When it ended (the first close frame, FIN or RST), nanoseconds.
    pub end: i64,
    /// The packet that ended it (the deciding packet).
    pub packet: u64,
    /// How it ended.
    pub how: How,
    /// Who ended it.
    pub by: Option<Role>,
    /// Its quiet spell before the end, milliseconds (`u32::MAX`: unknown).
    pub idle_ms: u32,
    /// Through a proxy (a leg of a proxied session, or a response naming a proxy).
    pub proxied: bool,
    /// What it shows of its peer at the end (a stalled server's evidence).
    pub signs: Signs,
    /// Its ending RST was not sent by the side it names (`by`): its TTL lies outside
    /// those of that side's packets before it (`reset-not-from-peer`), so a box between
    /// the two made it; or the same session seen at another point of the capture shows
    /// no reset of that side's ([`twins`]).
    pub forged: bool,
    /// Its `forged` reset was made between two points of its path where the session was
    /// seen (the points' verdict, `between-points` `made-between`, or its twin's): the
    /// point nearer the side it names never saw that side send it.
    pub between: bool,
    /// Its packets of one side left one point of its path and never reached the other
    /// before its end (the points' verdict, `between-points` `lost-between`): how long
    /// before its end the first of them left, coded by `signs::zero_code` (0: none lost
    /// between the points). One byte, in the padding the ending had.
    pub lost_from: u8,
    /// How long before its end the last of them left, coded likewise (0 where `lost_from`
    /// is).
    pub lost_to: u8,
    /// The side whose packets those were (none where `lost_from` is 0).
    pub lost_by: Option<Role>,
    /// How long its client host had been dark at its end, coded by `signs::zero_code`
    /// (0: not dark): the server's data unacknowledged (`unacknowledged-data`) and nothing
    /// from the client on this connection from its first such segment until the packet that
    /// ended it (or one within [`HEAL_SLACK_S`] before): the host, or the path to it, was
    /// gone for that long, and its first packet back (or the server's answer to it) ended
    /// the session. One byte, in the padding the ending had.
    pub dark: u8,
    /// How long its server host had been dark at its end, coded likewise (0: not dark): the
    /// client's data unacknowledged and nothing from the server on this connection from its
    /// first such segment until the server's packet that ended it, its first since (a host
    /// back without its sessions answers a stale segment with RST: RFC 9293 §3.5.2,
    /// §3.10.7.1; one back with the session acknowledges it first). Ended so by the server's
    /// own RST (not `forged`): [`Ending::reset_after_dark`].
    pub server_dark: u8,
    /// A hash of what names its client beyond the host (the query of its path: a token,
    /// a client id); 0 for none. A reconnect among several candidates of one host is sure
    /// when it matches.
    pub ident: u32,
    /// What its ending side said beyond its code (a close reason, the words refusing the
    /// upgrade, a TLS alert): an id in the stage's table of them ([`said::Saids`];
    /// [`said::NONE`]: nothing).
    pub said: u32,
    /// Microseconds from the peer's data message its close answered (it came right after
    /// it, nothing between: `diagnose::trigger`; or, for a 1009, the peer's largest message,
    /// which that code names) to the close (`u32::MAX`: it answered none; [`UNTIMED`]: that
    /// message's time is not kept).
    pub answered_us: u32,
    /// That message's payload bytes (at most `u32::MAX`).
    pub answered_size: u32,
    /// That message's opcode (RFC 6455 §5.2).
    pub answered_op: u8,
    /// The close frame the other side sent only after this ending's FIN or RST (its code;
    /// 1005 for none; 0: no such frame): RFC 6455 §7.1.5 reads such a connection as closed
    /// without a close frame (1006), so the ending is the TCP end's, and that frame a
    /// library's reaction to it, kept as a fact (`IncidentFacts::closes_after_peer_end`).
    pub closed_after_peer: u16,
    /// Its upgrade request's `Sec-WebSocket-Key`, whole: the 16 bytes it encodes (RFC 6455
    /// §4.1; [`NO_KEY`] for none, a key that is not 16 bytes, and a leg of a proxied
    /// session): the same session seen at two points of a NAT carries the same one
    /// ([`twins`]), compared whole, never by a hash.
    pub key: Key,
}

impl Ending {
    fn ended(&self) -> bool {
        self.how != How::Open
    }

    /// Marks its packets lost between two points of its path from `from` to `to`
    /// (nanoseconds, at or before its end): [`Ending::lost_from`], [`Ending::lost_to`]
    /// (`by`: whose packets.)
    pub fn set_lost(&mut self, from: i64, to: i64, by: Role) {
        let before = |t: i64| ((self.end.saturating_sub(t)) as f64 / 1e9).max(0.01);
        self.lost_from = signs::zero_code(before(from));
        self.lost_to = signs::zero_code(before(to.max(from)));
        self.lost_by = Some(by);
    }

    /// When its packets lost between the points began and stopped leaving (nanoseconds, as
    /// coded: within 4.4 %), if any were.
    pub fn lost(&self) -> Option<(i64, i64)> {
        let at = |c: u8| signs::zero_seconds(c).map(|s| self.end.saturating_sub((s * 1e9) as i64));
        Some((at(self.lost_from)?, at(self.lost_to)?))
    }

    /// Its server host, back from its dark spell ([`Ending::server_dark`]), ended it by a
    /// RST of its own (not `forged`) as its first packet since: it answered its client's
    /// stale segment as one for a connection it did not hold (RFC 9293 §3.10.7.1).
    pub fn reset_after_dark(&self) -> bool {
        self.server_dark != 0
            && self.how == How::Rst
            && self.by == Some(Role::Server)
            && !self.forged
    }

    /// The client's host (its address, port 0).
    pub fn host(&self) -> Endpoint {
        Endpoint::new(self.client.ip(), 0)
    }

    /// The client's host (its address, port 0).
    fn client_host(&self) -> Endpoint {
        self.host()
    }
}

/// The endings of a store's reports, kept as they are filled, up to a room in bytes: those
/// of the smallest orders (the connections that started first), whatever the order they
/// finished in and the number of threads. The vector may grow to twice what it keeps
/// before it is cut back (what [`ENDING_BYTES`] charges).
#[derive(Debug, Clone, Default)]
pub struct Index {
    endings: Vec<Ending>,
    /// Endings kept at most (0: no limit).
    max: usize,
    /// Endings cut so far.
    left_out: u64,
    /// The outages of the connections whose path was cut and healed, in the order they
    /// came; each takes the room of one ending (from `max`), and when one ending is all the
    /// room left, later ones are counted in `left_out`.
    outages: Vec<Outage>,
    /// What the endings said, each distinct value once ([`said::Saids`]); its bytes take
    /// the room of endings (`said_room` of them), as outages do.
    saids: said::Saids,
    /// Endings' room the saids took.
    said_room: usize,
    /// Endings whose words were not kept for want of room (their `said` is none).
    said_left_out: u64,
}

impl Index {
    /// Keeps at most `bytes` of endings and outages (0: no limit), with what the stage's
    /// sweeps and the incidents they make hold beside them ([`endings_in`]).
    pub fn set_room(&mut self, bytes: usize) {
        self.max = endings_in(bytes);
    }

    /// What its vectors hold, at their capacity, and what the endings said.
    pub fn held_bytes(&self) -> usize {
        self.endings.capacity() * std::mem::size_of::<Ending>()
            + self.outages.capacity() * std::mem::size_of::<Outage>()
            + self.saids.bytes()
    }

    /// The id of what an ending said ([`said::Saids::intern`]), its bytes taken from the
    /// room of endings; [`said::NONE`] (and counted) when a new value would leave no room
    /// for one ending.
    pub fn intern(&mut self, s: said::Said) -> u32 {
        if self.max == 0 || self.saids.has(&s) {
            return self.saids.intern(s);
        }
        let need = (self.saids.bytes() + s.bytes()).div_ceil(ENDING_BYTES);
        let more = need.saturating_sub(self.said_room);
        if more > 0 {
            if self.max <= more {
                self.said_left_out += 1;
                return said::NONE;
            }
            self.max -= more;
            self.said_room += more;
            if self.endings.len() >= 2 * self.max {
                self.cut();
            }
        }
        self.saids.intern(s)
    }

    /// What the endings said takes, in bytes (the room of `div_ceil(ENDING_BYTES)` endings).
    pub fn said_bytes(&self) -> usize {
        self.saids.bytes()
    }

    /// Endings whose words were not kept for want of room.
    pub fn said_left_out(&self) -> u64 {
        self.said_left_out
    }

    /// What the endings said, taken out (before [`Index::placed`]).
    pub fn take_saids(&mut self) -> said::Saids {
        std::mem::take(&mut self.saids)
    }

    /// Keeps a connection's outage (`o.order` its ending's) in the room of one ending, or
    /// counts it as left out when one ending is all the room left.
    pub fn push_outage(&mut self, o: Outage) {
        if self.max == 1 {
            self.left_out += 1;
            return;
        }
        if self.max > 1 {
            self.max -= 1;
            if self.endings.len() >= 2 * self.max {
                self.cut();
            }
        }
        self.outages.push(o);
    }

    /// The outages kept, taken out (before [`Index::placed`]).
    pub fn take_outages(&mut self) -> Vec<Outage> {
        std::mem::take(&mut self.outages)
    }

    /// Keeps `e` (its `order` the store's).
    pub fn push(&mut self, e: Ending) {
        self.endings.push(e);
        if self.max > 0 && self.endings.len() >= 2 * self.max {
            self.cut();
        }
    }

    /// Keeps the `max` endings of the smallest orders.
    fn cut(&mut self) {
        if self.max == 0 || self.endings.len() <= self.max {
            return;
        }
        self.endings
            .select_nth_unstable_by_key(self.max, |e| (e.order, e.stream));
        self.left_out += (self.endings.len() - self.max) as u64;
        self.endings.truncate(self.max);
    }

    /// Takes in another shard's endings.
    pub fn append(&mut self, mut other: Index) {
        self.left_out += other.left_out;
        self.said_left_out += other.said_left_out;
        // Its endings' ids of what they said, as this table numbers them.
        if !other.saids.is_empty() {
            let theirs = std::mem::take(&mut other.saids);
            let mut lost = 0;
            let to: Vec<u32> = theirs
                .values()
                .map(|s| {
                    let id = self.intern(s.clone());
                    lost += u64::from(id == said::NONE);
                    id
                })
                .collect();
            for e in &mut other.endings {
                if let Some(k) = e.said.checked_sub(1) {
                    e.said = to.get(k as usize).copied().unwrap_or(said::NONE);
                }
            }
            // Counted once per value, not per ending: at least that many endings.
            self.said_left_out += lost;
        }
        for o in std::mem::take(&mut other.outages) {
            self.push_outage(o);
        }
        self.endings.append(&mut other.endings);
        self.cut();
    }

    /// The whole keys of the endings that carry one (no HTTP/2 stream, no proxy), with
    /// their orders (`diagnose::points`).
    pub fn keyed(&self) -> Vec<(Key, u64)> {
        self.endings
            .iter()
            .filter(|e| e.key != NO_KEY && e.stream == 0 && !e.proxied)
            .map(|e| (e.key, e.order))
            .collect()
    }

    /// Marks the endings of `orders` as reset by a box between the points of their path,
    /// not by the side their reset names ([`Ending::forged`]).
    pub fn forge(&mut self, orders: &[u64]) {
        if orders.is_empty() {
            return;
        }
        let set: rustc_hash::FxHashSet<u64> = orders.iter().copied().collect();
        for e in &mut self.endings {
            if e.how == How::Rst && set.contains(&e.order) {
                e.forged = true;
                e.between = true;
            }
        }
    }

    /// Marks the endings of `lost` (each an order, and when its packets lost between two
    /// points of its path began and stopped leaving, and whose they were) so
    /// ([`Ending::set_lost`]), those ended by TCP.
    pub fn lose(&mut self, lost: &[(u64, i64, i64, Role)]) {
        if lost.is_empty() {
            return;
        }
        let at: rustc_hash::FxHashMap<u64, (i64, i64, Role)> =
            lost.iter().map(|&(o, a, b, r)| (o, (a, b, r))).collect();
        for e in &mut self.endings {
            if let Some(&(from, to, by)) = at
                .get(&e.order)
                .filter(|_| matches!(e.how, How::Fin | How::Rst))
            {
                e.set_lost(from, to, by);
            }
        }
    }

    /// Endings not kept for want of room (so far; all once cut at the end).
    pub fn left_out(&mut self) -> u64 {
        self.cut();
        self.left_out
    }

    /// The endings placed at their reports' positions, given each order's range of
    /// positions once sorted (`positions`): the streams of one HTTP/2 connection share an
    /// order and are placed by stream id. Endings whose place cannot be told are dropped.
    /// `positions` is asked once per order, in increasing order.
    pub fn placed(mut self, positions: impl Fn(u64) -> std::ops::Range<usize>) -> Vec<Ending> {
        self.cut();
        // Sorted by their keys (16 bytes each), not the endings themselves.
        let mut keys: Vec<(u64, u32, u32)> = self
            .endings
            .iter()
            .enumerate()
            .map(|(k, e)| (e.order, e.stream, k as u32))
            .collect();
        keys.sort_unstable();
        let mut out = Vec::with_capacity(self.endings.len());
        for run in keys.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(order, _, _)) = run.first() else {
                continue;
            };
            let range = positions(order);
            if range.len() == run.len() {
                for (&(_, _, k), pos) in run.iter().zip(range) {
                    if let (Some(e), Ok(pos)) = (self.endings.get(k as usize), u32::try_from(pos)) {
                        out.push(Ending { pos, ..*e });
                    }
                }
            }
        }
        out
    }
}

impl Incident {
    /// Whether its members' quiet spells before their ends differ (by more than
    /// [`SPELLS_DIFFER_S`] or 2 % of the shortest): then, ended at one instant, no timeout
    /// ended them, which cuts each session at its own same idle age.
    pub fn idle_ages_differ(&self) -> bool {
        self.idle_range_ms.is_some_and(|(lo, hi)| {
            let tolerance = (SPELLS_DIFFER_S * 1e3).max(0.02 * f64::from(lo));
            f64::from(hi - lo) > tolerance
        })
    }
}

/// What the stage says of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Link {
    /// The incident this connection belongs to.
    pub incident: Option<u32>,
    /// The session that replaced it.
    pub reconnect: Option<Reconnect>,
    /// The id of the connection this one replaced.
    pub replaces: Option<u64>,
    /// That link is the same host's only (its [`Reconnect::same_host`]).
    pub replaces_same_host: bool,
    /// What came after its abrupt ending from its client host to its server
    /// ([`after::link`]).
    pub after: Option<After>,
    /// The same session seen at another point of the capture ([`twins`]).
    pub twin: Option<crate::vocab::Twin>,
}

/// Per connection position, what the stage says of it (only those it says something of).
#[derive(Debug, Clone, Default)]
pub struct Links {
    map: rustc_hash::FxHashMap<u32, Link>,
}

impl Links {
    fn entry(&mut self, pos: u32) -> &mut Link {
        self.map.entry(pos).or_default()
    }

    /// Each connection's incident id mapped through `to` (none: in no incident now).
    pub fn renumber_incidents(&mut self, to: impl Fn(u32) -> Option<u32>) {
        for l in self.map.values_mut() {
            l.incident = l.incident.and_then(&to);
        }
    }

    /// Adds what came after the abrupt endings ([`after::link`]), by position.
    pub fn set_after(&mut self, after: Vec<(u32, After)>) {
        for (pos, a) in after {
            self.entry(pos).after = Some(a);
        }
    }

    /// What it says of the connection at `pos`.
    pub fn get(&self, pos: u32) -> Option<&Link> {
        self.map.get(&pos)
    }

    /// Connections it says something of.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it says nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// What the stage found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The incidents found.
    pub incidents: Vec<Incident>,
    /// Endings that cluster with no incident named, and why (`detect::doubts`); their
    /// `why` is empty: the report's words say it.
    pub doubts: Vec<crate::vocab::Doubt>,
    /// What the stage says of each connection.
    pub links: Links,
    /// Steps taken by the sweeps after sorting (to check that the work is linear).
    pub work: u64,
    /// Incidents found past [`MAX_INCIDENTS`], not kept.
    pub left_out: u64,
    /// The incidents whose attempts refused were counted in doubled spans
    /// ([`refused::count`]).
    pub coarse: Vec<u32>,
}

#[cfg(test)]
mod tests;
