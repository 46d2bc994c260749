//! The memory budget (`Options::max_memory`): what the state of the flows in flight is
//! estimated to cost, kept per group of flows so that what is shed does not depend on the
//! number of threads.
//!
//! In: a connection's estimated cost each time it may have changed (created, a packet that
//! held or released out-of-order bytes, a new layer above TCP, frozen, thawed, finished).
//! Out: whether its group is over its share, and by how much. The analyzer sheds (held
//! out-of-order bytes first, then the least recently active flows: `Analyzer::spend`).
//!
//! A connection is charged an estimate, not a measure of the heap: [`FLOW_BYTES`] for its
//! state (the `Connection` itself, about 2.4 KiB, its slot in the flow table, and the heap
//! of a plaintext stack), plus what its two directions hold while waiting (each byte, and
//! [`RANGE_BYTES`] per held range), plus [`TLS_BYTES`] or `memory::H2_BYTES` for a TLS or HTTP/2
//! layer or [`CONNECT_BYTES`] for a CONNECT one, plus the buffers of unfinished HTTP/1.1 and
//! CONNECT heads and of bytes held for a layer to come, and what a TLS layer holds (records,
//! ciphers, names), at their capacity. A frozen connection costs [`FROZEN_BYTES`] (its handle and table slot; the rest
//! is in the temporary file). The program itself, its read buffers and the reports kept in
//! memory are not charged per flow: `memory::reserved` sets that part aside. The TLS secrets
//! read from key logs (`memory::KEY_BYTES` a connection) are shared by every flow: they are
//! taken from the flows' part before it is divided ([`Budget::set_keys`]).
//!
//! A group may go past its share by the streams of an HTTP/2 connection (`memory::STREAM_BYTES`
//! each and what its decoders may keep: `Stack::stream_bytes`), borrowing from the other groups while the analyzer's groups together hold no
//! more than their shares together ([`Budget::borrow`]): one connection carrying 10 000
//! WebSockets (40 MiB) needs what the whole budget allows, not a 64th of it. When the
//! groups together go past their shares, each group that borrowed gives it back at once
//! (sheds down to its own share: [`Budget::overdrawn`]). Only that lending depends on the
//! other groups (and so on how the groups are dealt to threads); a group of plain
//! connections is held to its share alone, as before.

use crate::flow::FlowKey;
use crate::memory::{reports_without_disk, reserved, H2_BYTES, KEY_BYTES, MIN_MAX_MEMORY};
use crate::report::Eviction;
use crate::stack::tcp::connection::Connection;
use crate::stack::{Env, Layer};
use crate::vocab::{Endpoint, Timestamp};

/// A connection's own state: the `Connection` (2 448 bytes on x86-64), its table slot and
/// the small allocations of a plaintext HTTP/1.1 and WebSocket stack.
pub const FLOW_BYTES: usize = 3 << 10;

/// A TLS layer's box (`TlsLayer`: its session, its capture-time rings and the HTTP/1.1
/// layer inside), and a KiB for the allocator's headers and rounding of its dozen small
/// allocations. What it holds beside (records waiting or in part, the handshake's joining
/// buffer, ciphers, names) is charged as it holds it, at its capacities
/// (`TlsLayer::heap_bytes`, through `Stack::head_bytes`).
pub const TLS_BYTES: usize = std::mem::size_of::<crate::stack::tls::layer::TlsLayer>() + (1 << 10);

/// A CONNECT waiting for its answer, or refused (`stack::connect`), beside what its
/// buffers hold (its heads, the client's bytes held until the answer, a refusal's body:
/// `Stack::head_bytes`, at their size): its box and the tunnel's small allocations.
pub const CONNECT_BYTES: usize = 1 << 10;

/// A held range beside its bytes: its entry in the ordered map and the allocation's own.
pub const RANGE_BYTES: usize = 96;

/// A frozen connection: its handle and its slot in the table of frozen ones.
pub const FROZEN_BYTES: usize = 128;

/// Past this, a group's connections quiet for [`LONG_QUIET_NS`] are frozen whatever
/// `Freeze`'s sixteenths of its share say: 64 KiB a group, 4 MiB over the 64 groups, about
/// 14 connections each. Long quiet connections then cost the run's peak RSS (the 1 GB
/// capture of `scripts/walltime`: 918 connections quiet until its 600 s idle timeout, 2 MiB)
/// more than their one freeze and thaw cost in time.
pub const FREEZE_FROM: usize = 64 << 10;

/// Capture time (ns) without a packet after which a connection of a group past
/// [`FREEZE_FROM`] is frozen (doubled for each time it was thawed, as `Freeze`'s own): 10 s,
/// longer than the pause between the messages or heartbeats of most connections, which
/// would be frozen and thawed again and again for nothing.
pub const LONG_QUIET_NS: i64 = 10_000_000_000;

/// Capture time (ns) between two looks for such connections: a quarter of
/// [`LONG_QUIET_NS`], so that the look over every connection in memory is not made at each
/// sweep (every 250 ms), where it cost as much as the freezing.
const LONG_SWEEP_NS: i64 = LONG_QUIET_NS / 4;

/// Without a temporary file, the reports each of `groups` groups of flows may keep in
/// memory: what the memory budget allows (`memory::reports_without_disk`) and at most
/// `NO_DISK_FACTOR` times `--keep-reports`, shared among the groups (not the threads, so
/// that the same reports are kept with any number of threads); at least one.
pub fn no_disk_group_cap(opts: &super::Options, groups: usize) -> usize {
    let all = reports_without_disk(opts.max_memory).min(
        opts.keep_reports
            .saturating_mul(crate::report::store::NO_DISK_FACTOR),
    );
    (all / groups.max(1)).max(1)
}

/// What `c` is estimated to cost while in memory.
pub fn cost(c: &Connection) -> usize {
    let (bytes, ranges) = c.held();
    let layer = match c.up.layer() {
        Layer::Http1 => 0,
        Layer::Tls => TLS_BYTES,
        Layer::H2 => H2_BYTES,
        Layer::Connect => CONNECT_BYTES,
    };
    // Its HTTP/2 streams, each with what its decoders may keep (inflaters included).
    let streams = c.up.stream_bytes();
    // Unfinished heads (up to 64 KiB a direction) and bytes held for a layer to come.
    let heads = c.up.head_bytes();
    // A zero window's spell or a keepalive run, boxed apart from the connection.
    let path = c.path.a.heap_bytes() + c.path.b.heap_bytes();
    // Each direction's rare reassembly state, boxed apart likewise.
    let rare = c.tcp.a.heap_bytes() + c.tcp.b.heap_bytes();
    // What each capture point saw of its packets, for two points laid side by side.
    let trail = c.trail_bytes();
    FLOW_BYTES + bytes + ranges * RANGE_BYTES + layer + streams + heads + path + rare + trail
}

/// The estimated bytes of each group's flows, against its share of the budget.
#[derive(Debug, Clone)]
pub struct Budget {
    /// What the flows may take together: the budget less what is [`reserved`].
    flows: usize,
    share: usize,
    used: Vec<usize>,
    /// What each group borrowed beyond its share for HTTP/2 streams ([`Budget::borrow`]).
    borrowed: Vec<usize>,
    /// What the groups hold together, and how many groups this analyzer reads (all, or its
    /// shard's: [`Budget::set_groups_read`]): together they may hold that many shares.
    total: usize,
    read: usize,
}

impl Budget {
    /// `max_memory` (at least [`MIN_MAX_MEMORY`], less what is [`reserved`]) divided among
    /// `groups` groups.
    pub fn new(max_memory: usize, groups: usize) -> Budget {
        let max_memory = max_memory.max(MIN_MAX_MEMORY);
        let groups = groups.max(1);
        // The list of encrypted connections takes its room from the flows' part.
        let flows = max_memory
            .saturating_sub(reserved(max_memory))
            .saturating_sub(crate::memory::encrypted_room(max_memory))
            .saturating_sub(crate::memory::legs_room(max_memory))
            .saturating_sub(crate::memory::incidents_room(max_memory))
            .saturating_sub(crate::memory::refusals_room(max_memory))
            .saturating_sub(crate::memory::refused_room(max_memory))
            .saturating_sub(crate::memory::tls_refused_room(max_memory))
            .saturating_sub(crate::memory::tunnels_room(max_memory));
        Budget {
            flows,
            share: (flows / groups).max(FLOW_BYTES),
            used: vec![0; groups],
            borrowed: vec![0; groups],
            total: 0,
            read: groups,
        }
    }

    /// This analyzer reads `n` of the groups (a shard's): it may lend only what their
    /// shares hold together.
    pub fn set_groups_read(&mut self, n: usize) {
        self.read = n.clamp(1, self.used.len().max(1));
    }

    /// What the groups read may hold together: their shares.
    fn limit(&self) -> usize {
        self.share.saturating_mul(self.read)
    }

    /// Group `g`, over its share by a packet of a connection whose HTTP/2 streams cost
    /// `streams` bytes, may keep that (true) when those streams cover what the group holds
    /// past its share and what it borrowed already, and the groups together are still within
    /// their shares together; it then holds the excess as borrowed.
    pub fn borrow(&mut self, g: usize, streams: usize) -> bool {
        let (need, within) = (self.over(g), self.total <= self.limit());
        let Some(b) = self.borrowed.get_mut(g) else {
            return false;
        };
        if need == 0 || !within || b.saturating_add(need) > streams {
            return false;
        }
        *b += need;
        true
    }

    /// When the groups together hold more than their shares: the groups that borrowed, each
    /// now held to its own share again (to be brought back within it). Empty otherwise.
    pub fn overdrawn(&mut self) -> Vec<usize> {
        if self.total <= self.limit() {
            return Vec::new();
        }
        let mut due = Vec::new();
        for (g, b) in self.borrowed.iter_mut().enumerate() {
            if *b > 0 {
                *b = 0;
                due.push(g);
            }
        }
        due
    }

    /// The flows' part less `bytes` the caller holds beside the analysis (the metrics'
    /// label sets: `Taps::beside`), each group's share less its part of them.
    pub fn set_aside(&mut self, bytes: usize) {
        let groups = self.used.len().max(1);
        self.flows = self.flows.saturating_sub(bytes);
        self.share = self.share.saturating_sub(bytes / groups).max(FLOW_BYTES);
    }

    /// The flows' part less the secrets of `keys` connections ([`KEY_BYTES`] each), shared
    /// by every flow, divided among the groups again (what each group holds is kept).
    pub fn set_keys(&mut self, keys: usize) {
        let flows = self.flows.saturating_sub(keys.saturating_mul(KEY_BYTES));
        self.share = (flows / self.used.len().max(1)).max(FLOW_BYTES);
    }

    /// Group `g` now holds `to` bytes where it held `from` (a flow's cost changed).
    #[inline]
    pub fn change(&mut self, g: usize, from: usize, to: usize) {
        if let Some(u) = self.used.get_mut(g) {
            let was = *u;
            *u = u.saturating_sub(from).saturating_add(to);
            self.total = self.total.saturating_sub(was).saturating_add(*u);
            // What it borrowed shrinks with what it holds past its share.
            if let Some(b) = self.borrowed.get_mut(g) {
                *b = (*b).min(u.saturating_sub(self.share));
            }
        }
    }

    /// Bytes group `g` holds beyond its share and what it borrowed (0 when within them).
    #[inline]
    pub fn over(&self, g: usize) -> usize {
        let lent = self.borrowed.get(g).copied().unwrap_or(0);
        self.used
            .get(g)
            .map_or(0, |&u| u.saturating_sub(self.share.saturating_add(lent)))
    }

    /// Bytes group `g` must shed to get back down to `tenths` tenths of its share (beside
    /// what it borrowed), so that the next flows do not shed again at once.
    pub fn excess(&self, g: usize, tenths: usize) -> usize {
        let lent = self.borrowed.get(g).copied().unwrap_or(0);
        let floor = (self.share / 10 * tenths).saturating_add(lent);
        self.used.get(g).map_or(0, |&u| u.saturating_sub(floor))
    }

    /// For each group, whether it holds more than `sixteenths` sixteenths of its share.
    pub fn warm(&self, sixteenths: usize) -> Vec<bool> {
        self.past(self.share / 16 * sixteenths)
    }

    /// For each group, whether it holds more than `bytes`.
    pub fn past(&self, bytes: usize) -> Vec<bool> {
        self.used.iter().map(|&u| u > bytes).collect()
    }

    /// Each group's share.
    #[cfg(test)]
    pub fn share(&self) -> usize {
        self.share
    }

    /// Bytes the groups hold together.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes group `g` holds.
    #[cfg(test)]
    pub fn used(&self, g: usize) -> usize {
        self.used.get(g).copied().unwrap_or(0)
    }
}

/// A group over its share gives up held bytes down to this many tenths of it...
const HELD_FLOOR: usize = 9;

/// ... and evicts flows down to this many: a group full of flows (a flood of SYNs) looks
/// through the table for the least recently active ones once per three tenths of its share.
const EVICT_FLOOR: usize = 7;

/// The analyzer's side of the budget: charging flows, and shedding when a group is over.
impl super::Analyzer {
    /// `conn`'s cost, when it changed since it was last charged (read when it starts and
    /// when what it holds or its layer changed: `Connection::budget_changed`; a few
    /// counters the connection keeps, no walk of its state).
    #[inline(always)]
    pub(super) fn recost(conn: &mut Connection) -> Option<(usize, usize)> {
        let to = cost(conn);
        let from = std::mem::replace(&mut conn.charged, to);
        (from != to).then_some((from, to))
    }

    /// After a packet of the flow of `key` (at clock time `at`, numbered `packet`): its
    /// change of cost charged to its group, the group brought back within its share if the
    /// packet took it over, and the flow reported at once if both sides are done.
    #[inline(always)]
    pub(super) fn after_feed(
        &mut self,
        key: FlowKey,
        at: Timestamp,
        packet: u64,
        closed: bool,
        cost: Option<(usize, usize)>,
    ) {
        if closed {
            // Closed, it may be due sooner than the sweep's bound (kept with `keep_closed`).
            self.sweep_due = self.sweep_due.min(Self::due(at.0, true, self.idle_ns()));
        }
        if let Some((from, to)) = cost {
            let g = self.group(&key);
            self.budget.change(g, from, to);
            // A closed connection is finished next, unless kept for its second point.
            let kept = closed && self.flows.get(&key).is_some_and(|c| at_two_points(c));
            if to > from && self.budget.over(g) > 0 && (!closed || kept) {
                // An HTTP/2 connection's streams may borrow from the other groups.
                let streams = self.flows.get(&key).map_or(0, |c| c.up.stream_bytes());
                if !self.budget.borrow(g, streams) {
                    self.spend(g, packet);
                }
            }
            if to > from {
                for lender in self.budget.overdrawn() {
                    self.spend(lender, packet);
                }
            }
        }
        if closed {
            self.closed_now(key, at);
        }
    }

    /// Group `g` is over its share of the budget (found at `packet`): it gives up the
    /// out-of-order bytes its flows hold, the largest holders first, until it is back under
    /// [`HELD_FLOOR`] tenths of its share; if that is not enough, it finishes its least
    /// recently active flows (counted and marked [`Eviction::MaxMemory`]) down to
    /// [`EVICT_FLOOR`] tenths. The order is by what the flows hold and when
    /// they were last active, ties by their first packet: the same in every shard.
    pub(super) fn spend(&mut self, g: usize, packet: u64) {
        let groups = self.groups;
        let mine = |k: &FlowKey| Endpoint::group(&k.lo, &k.hi, groups) as usize == g;
        let mut holders: Vec<(usize, u64, FlowKey)> = self
            .flows
            .iter()
            .filter(|(k, c)| mine(k) && c.held().0 > 0)
            .map(|(k, c)| (c.held().0, c.first_packet, *k))
            .collect();
        holders.sort_unstable_by_key(|&(held, first, _)| (std::cmp::Reverse(held), first));
        for (_, _, k) in holders {
            if self.budget.excess(g, HELD_FLOOR) == 0 {
                return;
            }
            let Some(conn) = self.flows.get_mut(&k) else {
                continue;
            };
            let env = Env {
                limits: &self.opts.limits,
                keys: &self.keys,
            };
            let before = self.on_event.as_ref().map(|_| conn.event_count());
            conn.shed(packet, &env);
            // What the bytes given up carried (a close frame after the hole) happens now.
            if let (Some(n), Some(f)) = (before, self.on_event.as_mut()) {
                if conn.is_websocket() && conn.event_count() > n {
                    for ev in crate::diagnose::live::events(conn, n) {
                        f(&ev);
                    }
                }
            }
            self.seen.shed_buffers += 1;
            let closed = conn.closed();
            if let Some((from, to)) = Self::recost(conn) {
                self.budget.change(g, from, to);
            }
            if closed {
                // Its FIN was behind what it held: it has ended.
                let at = self.now;
                self.closed_now(k, at);
            }
        }
        if self.budget.excess(g, HELD_FLOOR) == 0 {
            return;
        }
        for k in self.by_age(g) {
            if self.budget.excess(g, EVICT_FLOOR) == 0 {
                return;
            }
            self.evict(&k, Eviction::MaxMemory);
        }
    }
}

/// Freezing quiet connections out of memory, where memory is short enough for it to matter.
impl super::Analyzer {
    /// At a sweep at clock time `now`: the quiet connections of the groups that hold more
    /// than the policy's share (`Freeze::Quiet`), each frozen.
    pub(super) fn freeze_quiet(&mut self, now: i64) {
        if let super::Freeze::Quiet {
            ended_ms,
            open_ms,
            from_sixteenths,
        } = self.opts.freeze
        {
            let quiet_for = |ms: u64| (ms as i64).saturating_mul(1_000_000);
            let (ended, open) = (quiet_for(ended_ms), quiet_for(open_ms));
            // Only the groups that hold enough for freezing to matter (see `Freeze`).
            let warm = self.budget.warm(usize::from(from_sixteenths));
            // And, every `LONG_SWEEP_NS`, the long quiet connections of the groups past
            // `FREEZE_FROM`.
            let crowded = if now >= self.long_sweep_at {
                self.long_sweep_at = now.saturating_add(LONG_SWEEP_NS);
                self.budget.past(FREEZE_FROM)
            } else {
                Vec::new()
            };
            let any = |v: &[bool]| v.iter().any(|&w| w);
            // A connection woken up again and again (packets a few seconds apart) waits
            // twice as long after each wake, up to 32 times, before it is frozen again.
            let quiet: Vec<FlowKey> = if any(&warm) || any(&crowded) {
                self.flows
                    .iter()
                    .filter(|(k, c)| {
                        let g = self.group(k);
                        let quiet = now.saturating_sub(c.active_at.0);
                        let base = if c.ended() { ended } else { open };
                        let wait = base.saturating_mul(1 << c.thaws.min(5));
                        let long = LONG_QUIET_NS.saturating_mul(1 << c.thaws.min(5));
                        !c.closed()
                            && ((quiet >= wait && warm.get(g).is_some_and(|&w| w))
                                || (quiet >= wait.max(long) && crowded.get(g).is_some_and(|&w| w)))
                    })
                    .map(|(k, _)| *k)
                    .collect()
            } else {
                Vec::new()
            };
            for k in quiet {
                self.freeze_one(k);
            }
        }
    }
}

/// Whether `c` is seen at two points of its path in one capture: on two interfaces, or, in a
/// merge that names one interface for both (`mergecap` of two hosts' files), as copies with
/// two TTLs each way (`Trail::two_ttls`). Its copies at the second point come after the
/// first point's reset or FIN, so such a connection is kept after it closes, charged as
/// any connection in memory (its trail is at most `vocab::trail::MAX_MARKS` marks), until
/// the sweep finishes it after its grace.
pub(super) fn at_two_points(c: &Connection) -> bool {
    c.trail
        .as_deref()
        .is_some_and(|t| t.ifaces.len() >= 2 || t.two_ttls().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{key_log_whole, DEFAULT_MAX_MEMORY};

    /// What the metrics' label sets may take (`Taps::beside`) comes out of the flows' part:
    /// each of four groups' shares is a quarter of it smaller.
    #[test]
    fn what_is_held_beside_comes_out_of_the_shares() {
        let mut b = Budget::new(DEFAULT_MAX_MEMORY, 4);
        let (flows, share) = (b.flows, b.share());
        let room = crate::memory::metrics_room(DEFAULT_MAX_MEMORY);
        b.set_aside(room);
        assert_eq!(b.flows, flows - room);
        assert_eq!(b.share(), share - room / 4);
        assert!(room >= 4 << 20);
    }

    /// Without a disk: the memory budget's reports or 16 times `--keep-reports`, whichever
    /// is fewer, shared among the groups, at least one each.
    #[test]
    fn reports_without_a_disk_are_shared_among_the_groups() {
        let opts = |max_memory: usize, keep_reports: usize| crate::analyzer::Options {
            max_memory,
            keep_reports,
            ..Default::default()
        };
        assert_eq!(no_disk_group_cap(&opts(1 << 30, 256), 64), 64);
        assert_eq!(no_disk_group_cap(&opts(64 << 20, 256), 64), 32);
        assert_eq!(no_disk_group_cap(&opts(64 << 20, 256), 8), 256);
        assert_eq!(no_disk_group_cap(&opts(1 << 30, 1), 64), 1);
    }

    /// A connection's estimate holds the `Connection` itself with room for its table slot
    /// and the small allocations of its stack.
    #[test]
    fn a_flow_is_charged_at_least_its_connection() {
        assert!(std::mem::size_of::<Connection>() + 256 <= FLOW_BYTES);
    }

    /// A connection in flight carries what its packets need inline; what few need (how a
    /// side ended, what a direction held before its start, an ACK past a hole) is boxed on
    /// first need: 2 448 bytes on x86-64 (2 768 with them inline). Its rare reassembly
    /// state, once made, is charged beside it.
    #[test]
    fn a_connection_in_flight_is_small_and_its_rare_state_charged() {
        #[cfg(target_pointer_width = "64")]
        assert!(
            std::mem::size_of::<Connection>() <= 2_448,
            "{}",
            std::mem::size_of::<Connection>()
        );
        let e = |port| Endpoint::new(std::net::IpAddr::from([10, 0, 0, 1]), port);
        let mut c = Connection::new(e(1), e(2), 0, 1, Timestamp(0));
        assert_eq!(c.tcp.a.heap_bytes() + c.tcp.b.heap_bytes(), 0);
        assert_eq!(cost(&c), FLOW_BYTES);
        // A direction picked up without its SYN holds its first segment: its rare state
        // is made and charged, with the held bytes and their range.
        let limits = crate::stack::tcp::assembler::Limits::default();
        c.tcp.a.segment(
            1000,
            &[7; 100],
            0,
            false,
            2,
            Timestamp(1),
            &limits,
            &mut |_| {},
        );
        assert_eq!(c.tcp.a.held(), (100, 1));
        assert!(c.tcp.a.heap_bytes() > 0);
        assert_eq!(
            cost(&c),
            FLOW_BYTES + 100 + RANGE_BYTES + c.tcp.a.heap_bytes()
        );
    }

    /// A group is warm past its sixteenths of its share, and past [`FREEZE_FROM`] (where
    /// its long quiet flows are frozen) at the default budget long before that.
    #[test]
    fn groups_past_a_mark() {
        let mut b = Budget::new(DEFAULT_MAX_MEMORY, 64);
        assert!(b.share() / 16 > FREEZE_FROM);
        b.change(5, 0, FREEZE_FROM);
        assert!(!b.past(FREEZE_FROM)[5]);
        b.change(5, FREEZE_FROM, FREEZE_FROM + 1);
        assert_eq!(b.past(FREEZE_FROM).iter().filter(|&&w| w).count(), 1);
        assert!(b.past(FREEZE_FROM)[5] && !b.warm(1)[5]);
        let mark = b.share() / 16;
        b.change(5, FREEZE_FROM + 1, mark + 1);
        assert!(b.warm(1)[5]);
    }

    /// The budget less what is set aside, divided among the groups; a flow's cost moves its
    /// group alone; over and excess measure against the share and its floors.
    #[test]
    fn shares_and_charges() {
        let mut b = Budget::new(64 << 20, 64);
        // Less the 16 MiB and an eighth set aside, the sixty-fourth of the encrypted list,
        // the thirty-second of the index of legs, the thirty-second of the incident
        // stage's endings, the two-hundred-and-fifty-sixth of the refused attempts, the
        // two-hundred-fifty-sixth of the counters of attempts refused in TCP and the
        // thousand-and-twenty-fourth of those of TLS handshakes their clients refused, and
        // the thousand-and-twenty-fourth of the CONNECT tunnels kept to the end.
        let share = ((64usize << 20)
            - (16 << 20)
            - (8 << 20)
            - (1 << 20)
            - (2 << 20)
            - (2 << 20)
            - (256 << 10)
            - (256 << 10)
            - (64 << 10)
            - (64 << 10))
            / 64;
        assert_eq!(b.share(), share);
        b.change(3, 0, share);
        assert_eq!((b.over(3), b.excess(3, 9)), (0, share - share / 10 * 9));
        b.change(3, 0, 100);
        assert_eq!(b.over(3), 100);
        assert_eq!((b.used(2), b.over(2)), (0, 0));
        b.change(3, share, 0);
        assert_eq!(b.used(3), 100);
        // Never below 0, and an unknown group is ignored.
        b.change(3, 1 << 30, 0);
        b.change(64, 0, 1 << 30);
        assert_eq!((b.used(3), b.over(64)), (0, 0));
        // Never less than the least budget.
        assert_eq!(
            Budget::new(0, 64).share(),
            Budget::new(32 << 20, 64).share()
        );
        assert_eq!(reports_without_disk(64 << 20), 2048);
        // The secrets of 10 000 connections come out of the flows' part first.
        b.set_keys(10_000);
        assert_eq!(b.share(), (share * 64 - 10_000 * KEY_BYTES) / 64);
        assert_eq!(b.used(3), 0);
        b.set_keys(0);
        assert_eq!(b.share(), share);
    }

    /// A group over its share by an HTTP/2 connection's streams borrows while the groups
    /// together are within their shares, never more than those streams; plain growth is
    /// held to the share; when the groups together go past their shares, every group that
    /// borrowed is due to shed again, and a shard lends only its own groups' shares.
    #[test]
    fn streams_borrow_what_the_other_groups_do_not_use() {
        let mut b = Budget::new(64 << 20, 64);
        let share = b.share();
        // 3 shares in group 5, 2 of them an HTTP/2 connection's streams: borrowed.
        b.change(5, 0, 3 * share);
        assert_eq!(b.over(5), 2 * share);
        assert!(!b.borrow(5, share), "streams of one share cannot cover two");
        assert!(b.borrow(5, 2 * share));
        // (Ten tenths of a share not a multiple of 10 leave its remainder over them.)
        assert_eq!((b.over(5), b.excess(5, 10)), (0, share - share / 10 * 10));
        // Plain growth past that is over, and sheds down to the share beside the loan.
        b.change(5, 0, 100);
        assert_eq!(b.over(5), 100);
        assert_eq!(
            b.excess(5, 7),
            3 * share + 100 - (share / 10 * 7 + 2 * share)
        );
        b.change(5, 100, 0);
        // What it holds shrinks: so does the loan.
        b.change(5, share, 0);
        assert_eq!((b.over(5), b.over(6)), (0, 0));
        assert!(b.overdrawn().is_empty());
        // The other groups fill their shares: the groups together are past theirs; group 5
        // is due to give its loan back, once.
        for g in (0..64).filter(|&g| g != 5) {
            b.change(g, 0, share);
        }
        assert_eq!(b.overdrawn(), [5]);
        assert_eq!(b.over(5), share);
        assert!(b.overdrawn().is_empty());
        assert!(!b.borrow(5, 10 * share), "nothing left to lend");
        // A shard of 2 groups of 64 lends only their two shares.
        let mut b = Budget::new(64 << 20, 64);
        b.set_groups_read(2);
        b.change(1, 0, 2 * share);
        assert!(b.borrow(1, 2 * share));
        b.change(1, 2 * share, 3 * share);
        assert!(!b.borrow(1, 3 * share));
        assert_eq!(b.overdrawn(), [1]);
    }

    /// Key logs read whole take at most a sixteenth of the budget, at their worst (a
    /// connection per TLS 1.2 line).
    #[test]
    fn a_key_log_read_whole_fits_a_sixteenth() {
        for max in [0, 32 << 20, 64 << 20, DEFAULT_MAX_MEMORY, 64 << 30] {
            let whole = key_log_whole(max);
            let lines = whole / crate::memory::KEY_LINE as u64;
            assert!(
                lines as usize * KEY_BYTES <= max.max(MIN_MAX_MEMORY) / 16,
                "{max}"
            );
            assert!(
                (lines + 2) as usize * KEY_BYTES > max.max(MIN_MAX_MEMORY) / 16,
                "{max}"
            );
        }
        // 25 MiB at the default: a key log of 22 MB (5 lines each for 26 000 TLS 1.3
        // connections) is read whole.
        assert_eq!(key_log_whole(DEFAULT_MAX_MEMORY) >> 20, 25);
    }

    /// A connection costs its state, what it holds (bytes and ranges) and its layer.
    #[test]
    fn a_connection_costs_what_it_holds() {
        use crate::stack::tls::keylog::KeyLog;
        use crate::vocab::Endpoint;
        let ep = |port| Endpoint::new([10, 0, 0, 1].into(), port);
        let mut c = Connection::new(ep(1), ep(2), 0, 1, Timestamp(0));
        assert_eq!(cost(&c), FLOW_BYTES);
        let (limits, keys) = (
            crate::stack::tcp::assembler::Limits::default(),
            KeyLog::new(),
        );
        let env = Env {
            limits: &limits,
            keys: &keys,
        };
        let seg = |seq: u32, syn: bool, payload: &'static [u8]| crate::decode::Segment {
            src: ep(1),
            dst: ep(2),
            seq,
            syn,
            window: 65535,
            ..crate::decode::Segment::test(payload)
        };
        c.segment(&seg(10, true, b""), 1, Timestamp(0), &env);
        c.segment(&seg(111, false, &[7; 1000]), 2, Timestamp(0), &env);
        c.segment(&seg(2111, false, &[7; 500]), 3, Timestamp(0), &env);
        // The jump past byte 1111 is a hole the path watch tracks (boxed apart: charged).
        let path = c.path.a.heap_bytes() + c.path.b.heap_bytes();
        assert!(path > 0);
        // Its trail of the three packets (`stack::tcp::trail`) is charged too.
        assert!(c.trail_bytes() > 0);
        assert_eq!(
            cost(&c),
            FLOW_BYTES + 1500 + 2 * RANGE_BYTES + path + c.trail_bytes()
        );
        assert_eq!(super::super::Analyzer::recost(&mut c), Some((0, cost(&c))));
        assert_eq!(super::super::Analyzer::recost(&mut c), None);
        c.shed(4, &env);
        let path = c.path.a.heap_bytes() + c.path.b.heap_bytes();
        assert_eq!(cost(&c), FLOW_BYTES + path + c.trail_bytes());
        assert!(c.up.ctx.findings.has(crate::vocab::Kind::BufferCapHit));
    }

    /// A group over its share gives up what its connections hold, and what that carried (a
    /// close frame behind the hole) is reported as it happens in live mode; the
    /// connection's report says the bytes before it are missing. With the default budget,
    /// the same packets hold the frame until the end of the input.
    #[test]
    fn giving_up_held_bytes_reports_what_they_carried_at_once() {
        use crate::capture::Packet;
        use crate::vocab::{EventWhat, LinkType};
        use std::sync::{Arc, Mutex};
        let (client, server) = (([10, 0, 0, 2], 40_000), ([10, 0, 0, 1], 80));
        let tcp = |from: ([u8; 4], u16), to: ([u8; 4], u16), seq, ack, syn, data: &[u8]| {
            let mut b =
                etherparse::PacketBuilder::ipv4(from.0, to.0, 64).tcp(from.1, to.1, seq, 65535);
            if syn {
                b = b.syn();
            }
            if let Some(a) = ack {
                b = b.ack(a);
            }
            let mut out = Vec::new();
            b.write(&mut out, data).unwrap();
            out
        };
        let req = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        // The server: a 300 kB binary frame, 100 bytes of its payload lost, then a close 1001.
        let mut stream = vec![0x82, 127];
        stream.extend_from_slice(&300_000u64.to_be_bytes());
        stream.extend(std::iter::repeat_n(7u8, 300_000));
        stream.extend_from_slice(&[0x88, 2, 0x03, 0xE9]);
        let s0 = 5001 + resp.len() as u32;
        let mut pkts = vec![
            tcp(client, server, 1000, None, true, &[]),
            tcp(server, client, 5000, Some(1001), true, &[]),
            tcp(client, server, 1001, Some(5001), false, req),
            tcp(
                server,
                client,
                5001,
                Some(1001 + req.len() as u32),
                false,
                resp,
            ),
        ];
        pkts.push(tcp(server, client, s0, None, false, &stream[..1000]));
        // Last first: the close is held when the budget runs out.
        for at in (1100..stream.len()).step_by(60_000).rev() {
            let chunk = &stream[at..stream.len().min(at + 60_000)];
            pkts.push(tcp(server, client, s0 + at as u32, None, false, chunk));
        }
        let run = |max_memory| {
            let mut a = super::super::Analyzer::new(super::super::Options {
                max_memory,
                ..Default::default()
            });
            let closes = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&closes);
            a.on_event(Box::new(move |e| {
                if let EventWhat::Close { code, .. } = e.what {
                    seen.lock().unwrap().push((e.packet, code));
                }
            }));
            for (i, data) in pkts.iter().enumerate() {
                a.packet(&Packet {
                    options: Default::default(),
                    number: i as u64 + 1,
                    ts: Timestamp(1_000_000_000 + i as i64),
                    link: LinkType::RAW,
                    data,
                    orig_len: data.len() as u32,
                    iface: None,
                });
            }
            let during = closes.lock().unwrap().clone();
            let (reports, seen) = a.finish_input().unwrap();
            (during, reports, seen)
        };
        // 32 MiB: 192 KiB a group, less than the 300 kB held.
        let (during, reports, seen) = run(MIN_MAX_MEMORY);
        assert_eq!(seen.shed_buffers, 1);
        assert_eq!(during.len(), 1, "{during:?}");
        assert_eq!(during[0].1, Some(1001));
        let r = &reports[0];
        assert!(r.findings.iter().any(|f| f.kind == crate::vocab::Kind::Gap));
        assert!(r.findings.iter().any(
            |f| f.kind == crate::vocab::Kind::BufferCapHit && f.detail.contains("--max-memory")
        ));
        let (during, _, seen) = run(DEFAULT_MAX_MEMORY);
        assert_eq!((seen.shed_buffers, during.len()), (0, 0));
    }
}
