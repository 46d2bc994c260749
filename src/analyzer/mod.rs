//! The pipeline driver: packets in, report out.
//!
//! In: packets from any source (file or live), one input at a time. Out: finished
//! [`ConnectionReport`]s and counts of what else was seen. Holds the flow table (a fast
//! map keyed by the symmetric [`FlowKey`], its hash seeded at random: [`FlowHasher`]), starts a new connection on port reuse
//! (reassembly rule 13), and evicts flows by capture time — idle ones, closed ones after
//! a grace period, the least recently active ones beyond the flow cap — so memory follows
//! what is in flight, not the size of the input (rules 10, 12, 15). The cap is kept per
//! group of flows (by their endpoints' hash), and the threads of a file take whole groups,
//! so what is evicted does not depend on the number of threads. The eviction clock does
//! not go back, and a step ahead larger than the idle timeout moves it only once the next
//! packet confirms it, so one packet from a skewed clock (merged captures) evicts nothing.
//! Finished reports go to a [`Store`], which keeps at most `Options::keep_reports` of them
//! in memory and the rest in a temporary file.
//!
//! The driver of files and live input too. Its files:
//! - `files.rs`: capture files in, one report out (`crate::analyze_files_with_progress`):
//!   each input joined to the one before or read on its own, on one analyzer per shard;
//! - `live_session.rs`: a live capture in, its report out (`crate::live_session`);
//! - here: the [`Analyzer`] (the flow table) and its inputs' beginnings and ends, the
//!   shards' reports and counts put together at the end;
//! - `packet.rs`: one packet's way to its connection; `finish.rs`: a flow's way out of the
//!   table, into a report; `clock.rs`: the capture-time clock and its sweeps; `budget.rs`:
//!   the memory the flows may hold; `tomb.rs`: the tombstones' keys; `options.rs`: what
//!   the analysis keeps and how far it goes.

use crate::capture::Packet;
use crate::decode::{self, Shards, MAX_GROUPS};
use crate::error::Error;
use crate::flow::{FlowHasher, FlowKey};
use crate::freeze::{Freezer, Frozen};
use crate::report::{ConnectionReport, Eviction, Seen, Store};
use crate::stack::tcp::connection::Connection;
use crate::stack::tcp::path_watch::Interfaces;
use crate::stack::tls::keylog::KeyLog;
use crate::vocab::{CloseEvent, Endpoint, LinkType, Timestamp};
use rustc_hash::FxHashMap;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

pub mod budget;
mod clock;
pub(crate) mod files;
mod finish;
#[cfg(feature = "live")]
pub(crate) mod live_session;
mod packet;
mod tomb;
use tomb::tomb;
mod options;
mod tally;
mod tunnels;
mod unread;
use budget::Budget;
pub use options::{Freeze, Options};
pub use tally::{SessionMark, Tally, Taps};

/// The most threads one capture file is read by: one per group of flows at most.
pub const MAX_THREADS: usize = MAX_GROUPS as usize;

/// Flows of the cap per group ([`Analyzer::flow_groups`]): enough that a group's share
/// follows the whole cap closely (flows hash into 64 groups of a 200 000 cap within a few
/// percent of each other).
const MIN_GROUP_FLOWS: usize = 1024;

/// A closed connection's tombstone is kept this long (capture time) to swallow its late
/// ACKs and retransmissions.
const CLOSED_GRACE_S: i64 = 30;

/// Capture time between two sweeps of the flow table (idle flows, tombstones, freezing).
const SWEEP_EVERY_NS: i64 = 250_000_000;

/// Finished WebSocket connections that may wait for their reports (see
/// `Analyzer::pending`): a report takes a few microseconds to build, so these fill a wait
/// of about a hundred, for the memory of as many connections.
const PENDING: usize = 16;

/// What those connections may hold together (`budget::cost`, as charged before they
/// finished), beyond which the oldest are reported at once: they are no longer charged to
/// the flows' budget, and one HTTP/2 connection of thousands of streams holds megabytes
/// (16 of them evicted one after another held 160 MB past a 64 MiB budget). A part of
/// what `memory::reserved` sets aside for the program.
const PENDING_BYTES: usize = 1 << 20;

/// A followed or live capture keeps the reports of at most this many sessions for its
/// report at the end (fewer where a sixteenth of `--max-memory` cannot index them:
/// [`Analyzer::tap`]): the first to finish. What it keeps per session (its entry, its
/// ending for the incident stage, its legs and identities: some 500 bytes) then stops
/// growing, whatever the number of sessions that finish after them (issue 104 item 9: at
/// the default `--max-memory` it grew by 490 bytes a session until two million had
/// finished, uncharged).
pub const KEPT_SESSIONS: usize = 1 << 15;

/// At most this many tombstones (16 bytes each in the table, with their keys) are kept.
const MAX_TOMBSTONES: usize = 1 << 16;

/// A closed connection's tombstone: when it closed, and its report's index in `done`
/// ([`NO_REPORT`] when it was not WebSocket). Eight bytes, so that a slot of the table (with
/// its 8-byte key) is 16 bytes rather than 24: a busy capture keeps tens of thousands of
/// tombstones through the grace period, the table the largest thing its memory holds that
/// is not a connection in flight (about 0.8 MB of 4 MB of heap on the 1 GB benchmark
/// capture with 24-byte slots).
#[derive(Debug, Clone, Copy)]
struct Tombstone {
    /// Clock time it closed, in whole seconds rounded up (so a tombstone is kept 30 to 31 s),
    /// within `u32` (from 1970 to 2106; a time outside is clamped).
    at_s: u32,
    done: u32,
}

impl Tombstone {
    const NS: i64 = 1_000_000_000;

    fn new(at: Timestamp, done: u32) -> Tombstone {
        let up = at.0.div_euclid(Self::NS) + i64::from(at.0.rem_euclid(Self::NS) != 0);
        Tombstone {
            at_s: u32::try_from(up.max(0)).unwrap_or(u32::MAX),
            done,
        }
    }

    /// Still within the grace period at clock time `now` (ns)?
    fn kept(&self, now: i64) -> bool {
        now.saturating_sub(i64::from(self.at_s) * Self::NS) <= CLOSED_GRACE_S * Self::NS
    }

    /// The last clock time (ns) at which it is kept.
    fn until(&self) -> i64 {
        i64::from(self.at_s) * Self::NS + CLOSED_GRACE_S * Self::NS
    }
}

const NO_REPORT: u32 = u32::MAX;

/// A callback for each close frame or TCP ending of a WebSocket connection, as it happens.
pub type OnEvent = Box<dyn FnMut(&CloseEvent) + Send>;

/// A callback for each WebSocket session's report, as soon as its connection finishes.
pub type OnReport = Box<dyn FnMut(&ConnectionReport) + Send>;

/// Called with each WebSocket connection as it begins and as it finishes, while a capture is
/// followed or read live ([`SessionMark`]).
pub type OnSession = Box<dyn FnMut(&SessionMark) + Send>;

/// Called with a warning about the input as it happens while it is followed (a capture
/// ring's files lost), besides the report's warnings at the end.
pub type OnNote = Box<dyn FnMut(&str) + Send>;

/// Called with each connection attempt refused in TCP or TLS (a SYN answered by a RST or by
/// nothing, a TLS handshake refused), as its connection finishes while a capture is followed
/// or read live: the server it was for, and when its first packet was captured (what the
/// incident watch needs to see a server gone, `incident::Watch::refused`).
pub type OnRefused = Box<dyn FnMut(Endpoint, crate::vocab::Timestamp) + Send>;

pub struct Analyzer {
    opts: Options,
    /// TLS secrets known so far (key logs, pcapng Decryption Secrets Blocks), shared by
    /// the analyzers of one file's threads.
    keys: Arc<KeyLog>,
    /// The interfaces pcapng inputs name, for telling copies apart and naming them.
    ifaces: Interfaces,
    /// Boxed: a table sized for the busiest moment then costs a pointer per free slot, not
    /// a whole connection, and the flows left at the end are sorted as pointers.
    flows: HashMap<FlowKey, Box<Connection>, FlowHasher>,
    /// Connections frozen out of memory (a key is never both here and in `flows` or
    /// `closed`), and the file that holds them.
    frozen: HashMap<FlowKey, Frozen, FlowHasher>,
    /// No frozen connection was last active before this clock time (ns): a lower bound,
    /// lowered as connections are frozen and set by each sweep that looks through them. A
    /// sweep looks for idle ones among the frozen only once the clock is an idle timeout
    /// past it, so that, in a capture shorter than the idle timeout, the thousands of
    /// connections frozen on the way are not looked through four times a second.
    frozen_oldest: i64,
    freezer: Freezer,
    /// Connections finished because both sides closed, by [`tomb`] of their key (see
    /// `MAX_TOMBSTONES`).
    closed: FxHashMap<u64, Tombstone>,
    /// No tombstone is past its grace before the clock passes this (ns): the least
    /// `Tombstone::until` at the last prune that looked, lowered by each one buried since.
    tombs_due: i64,
    done: Store,
    /// Finished WebSocket connections whose reports are not built yet, each with the entry
    /// `done` reserved for it, oldest first: built while this thread would otherwise wait
    /// for another ([`ShardSink::idle`](crate::capture::file::ShardSink::idle)), or as soon
    /// as more than [`PENDING`] wait, and all of them at the end of an input.
    pending: VecDeque<(usize, Box<Connection>, Option<Eviction>)>,
    /// What they hold together (at most about [`PENDING_BYTES`]).
    pending_bytes: usize,
    /// HTTP/2 connections evicted while open, by [`tomb`] of their key: their later packets
    /// are counted (`unread`), and what they carried since the input's last warning.
    ghosts: FxHashMap<u64, unread::Ghost>,
    unread_input: crate::report::UnreadAfterEviction,
    pub seen: Seen,
    /// CONNECT tunnels kept to the end: those that carried a WebSocket, and refused ones
    /// that showed none (`tunnels`).
    tunnels: tunnels::Tunnels,
    /// Per undecodable link type: packets so far, and the first of them in this input.
    unsupported: Vec<(LinkType, u64, Option<u64>)>,
    /// IPv4 and IPv6 fragments of TCP packets waiting for the rest of their datagram (bounded:
    /// `decode::defrag`).
    defrag: decode::defrag::Defrag,
    /// The first packet of this input with cut or damaged IP/TCP headers.
    first_malformed: Option<u64>,
    /// This analyzer's share of the flows (see `set_shard`): its shard and how the groups
    /// are dealt out.
    shard: Option<(u64, Shards)>,
    /// Groups of flows the cap is kept for ([`Analyzer::flow_groups`]).
    groups: u64,
    /// Flows tracked (in memory or frozen) per group.
    group_flows: Vec<u32>,
    /// The group of the flow the packet being handled started, if it started one.
    grew: Option<usize>,
    /// The estimated memory of each group's flows, against `Options::max_memory`.
    budget: Budget,
    input: usize,
    /// Added to the packet numbers of this input: the packets of the inputs before it that
    /// it continues (rotated files, `continue_input`), 0 for an input of its own.
    base: u64,
    /// The eviction clock: the latest capture time seen, except a step ahead larger than
    /// the idle timeout, which waits in `ahead` until the next packet confirms it.
    now: Timestamp,
    /// A step ahead of `now` larger than the idle timeout, not yet confirmed (rule 15).
    ahead: Option<Timestamp>,
    /// A sweep came due while `ahead` was pending: it runs once the step is judged.
    sweep_owed: bool,
    last_sweep: Timestamp,
    /// No connection in memory can be idle (or closed and past its grace) before the clock
    /// passes this (ns): the least such moment at the last sweep that looked, lowered by
    /// every connection fed since (a new one, or one that closed). Until then a sweep need
    /// not look at each connection.
    sweep_due: i64,
    /// When the sweeps next look for long quiet connections to freeze (`budget::FREEZE_FROM`).
    long_sweep_at: i64,
    /// Called with each finished WebSocket connection as it is reported (live mode).
    on_event: Option<OnEvent>,
    /// The capture's first packets, hashed into the key of `--redact`'s pseudonyms (when
    /// this analyzer reads every packet: not a shard of a shared file, whose reader hashes
    /// them apart).
    pub(crate) seed: crate::report::redact::Seed,
    /// Where the key goes once made, for the lines said as the capture is read.
    key_slot: Option<crate::report::redact::KeySlot>,
    /// Called with each session's report as it is made; reports are then made at once.
    on_report: Option<OnReport>,
    /// What a followed or live capture counts for its metrics.
    tally: Option<Arc<Tally>>,
    /// Told of each WebSocket connection as it begins and finishes (followed or live).
    on_session: Option<OnSession>,
    /// Told of each connection attempt refused (followed or live).
    on_refused: Option<OnRefused>,
}

impl Analyzer {
    /// How many threads to use on one file, from the options and the machine (at most
    /// [`MAX_THREADS`]).
    pub fn threads(opts: &Options) -> usize {
        match opts.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(MAX_THREADS)
    }

    /// How many groups of flows the cap of `max_flows` is kept for: one per
    /// [`MIN_GROUP_FLOWS`] flows of it, from 1 to [`MAX_GROUPS`]. A group's share is the cap
    /// divided among the groups; a flow belongs to a group by the hash of its two endpoints
    /// ([`Shards`]), and the threads of a file take whole groups, so there are never more
    /// threads than groups (a cap under 2 048 flows is one group, read by one thread).
    pub fn flow_groups(max_flows: usize) -> u64 {
        (max_flows / MIN_GROUP_FLOWS).clamp(1, MAX_GROUPS as usize) as u64
    }

    pub fn new(opts: Options) -> Analyzer {
        let groups = Self::flow_groups(opts.max_flows);
        let mut done = Store::new(opts.keep_reports);
        done.set_group_cap(budget::no_disk_group_cap(&opts, groups as usize));
        done.legs_mut()
            .set_room(crate::memory::legs_room(opts.max_memory));
        done.incidents_mut()
            .set_room(crate::memory::incidents_room(opts.max_memory));
        Analyzer {
            opts,
            keys: Arc::new(KeyLog::new()),
            ifaces: Interfaces::default(),
            flows: HashMap::default(),
            frozen: HashMap::default(),
            frozen_oldest: i64::MAX,
            freezer: Freezer::new(),
            closed: FxHashMap::default(),
            tombs_due: i64::MAX,
            done,
            pending: VecDeque::new(),
            pending_bytes: 0,
            ghosts: FxHashMap::default(),
            unread_input: Default::default(),
            seen: Seen {
                encrypted_cap: crate::memory::encrypted_listed(opts.max_memory),
                refusals: crate::incident::Refusals::with_room(crate::memory::refusals_room(
                    opts.max_memory,
                )),
                refused: {
                    let mut r = crate::incident::RefusedCounts::default();
                    r.set_room(crate::memory::refused_room(opts.max_memory));
                    r
                },
                tls_refused: {
                    let mut r = crate::incident::RefusedCounts::default();
                    r.set_room(crate::memory::tls_refused_room(opts.max_memory));
                    r
                },
                ..Seen::default()
            },
            tunnels: tunnels::Tunnels::with_room(crate::memory::tunnels_room(opts.max_memory)),
            unsupported: Vec::new(),
            defrag: decode::defrag::Defrag::new(opts.max_memory),
            first_malformed: None,
            shard: None,
            groups,
            group_flows: vec![0; groups as usize],
            grew: None,
            budget: Budget::new(opts.max_memory, groups as usize),
            input: 0,
            base: 0,
            now: Timestamp(i64::MIN),
            ahead: None,
            sweep_owed: false,
            last_sweep: Timestamp(i64::MIN),
            sweep_due: i64::MIN,
            long_sweep_at: i64::MIN,
            on_event: None,
            seed: crate::report::redact::Seed::default(),
            key_slot: None,
            on_report: None,
            tally: None,
            on_session: None,
            on_refused: None,
        }
    }

    /// Calls `f` for each close frame and TCP ending of a WebSocket connection as soon as
    /// the packet that carries it is processed (live mode).
    /// Decrypts TLS with these secrets (shared with the other analyzers of a file).
    /// Their connections' estimated cost is taken from the flows' part of the memory budget.
    pub fn set_keys(&mut self, keys: Arc<KeyLog>) {
        self.budget.set_keys(keys.len());
        self.keys = keys;
    }

    /// The secrets, for a live capture to add to as it reads them (a key log growing while
    /// it runs); `None` when they are shared with other analyzers (the threads of a file),
    /// which a live capture's single analyzer never is.
    pub fn keys_mut(&mut self) -> Option<&mut KeyLog> {
        Arc::get_mut(&mut self.keys)
    }

    /// Takes the secrets' estimated cost from the flows' part of the memory budget again,
    /// after [`Analyzer::keys_mut`] added some.
    pub fn recount_keys(&mut self) {
        self.budget.set_keys(self.keys.len());
    }

    /// The secrets known so far, shared (for a live capture's file, once it ends).
    pub fn key_log(&self) -> Arc<KeyLog> {
        Arc::clone(&self.keys)
    }

    pub fn on_event(&mut self, f: OnEvent) {
        self.on_event = Some(f);
    }

    /// Where to put the key of `--redact`'s pseudonyms once the capture's first packets
    /// make it (before any close event comes: the key is made at the first TCP segment).
    pub fn share_key(&mut self, slot: crate::report::redact::KeySlot) {
        self.key_slot = Some(slot);
    }

    /// Takes in a packet of the capture, in the order read, towards the pseudonyms' key.
    /// Inlined: every packet asks, and once the key is made the answer is one test.
    #[inline(always)]
    pub(crate) fn seed(&mut self, pkt: &Packet<'_>) {
        if !self.seed.made() {
            self.seed_more(pkt);
        }
    }

    /// [`Analyzer::seed`] while the key is still being made (the capture's first packets):
    /// out of line, so that its decoding and hashing do not weigh on the per-packet path.
    #[cold]
    #[inline(never)]
    fn seed_more(&mut self, pkt: &Packet<'_>) {
        let segment = || crate::decode::decode(pkt).is_ok_and(|seg| !seg.payload.is_empty());
        self.seed.packet(pkt.ts, pkt.data, segment);
        if self.seed.made() {
            self.publish_key();
        }
    }

    /// The key, made now if it is not yet (into the slot too).
    pub(crate) fn key(&mut self) -> crate::report::redact::Key {
        let key = self.seed.finish();
        self.publish_key();
        key
    }

    fn publish_key(&mut self) {
        if let Some(slot) = &self.key_slot {
            let _ = slot.set(self.seed.finish());
        }
    }

    /// The callbacks and counters of a followed or live capture ([`Taps`]).
    pub fn tap(&mut self, taps: Taps) {
        // It may run for days: the reports kept for the report at the end are those of
        // the first sessions to finish, at most KEPT_SESSIONS and what a sixteenth of
        // --max-memory indexes (the part a file's read chunks take offline, which one
        // thread following a capture does not use); past them what it holds per session
        // stops growing.
        let index = crate::memory::read_room(self.opts.max_memory) / Store::ENTRY_BYTES;
        self.done.set_max_entries(KEPT_SESSIONS.min(index).max(1));
        self.budget.set_aside(taps.beside);
        self.on_event = Some(taps.on_event);
        self.on_report = taps.on_report;
        self.tally = taps.tally;
        self.on_session = taps.on_session;
        self.on_refused = taps.on_refused;
    }

    /// The counters of a followed or live capture, if it has them.
    pub fn tally(&self) -> Option<&Arc<Tally>> {
        self.tally.as_ref()
    }

    /// The memory the analysis holds by its own estimate (what `--max-memory` is charged).
    /// The flows' estimated cost, and what is kept for the report at the end: the reports'
    /// store ([`Store::held_bytes`]) and the lists of `seen` ([`Seen::held_bytes`]), each in
    /// a room of its own taken from the flows' part.
    pub fn charged(&self) -> usize {
        self.budget.total()
            + self.done.held_bytes(crate::memory::REPORT_BYTES)
            + self.seen.held_bytes(crate::memory::ENCRYPTED_BYTES)
            + self.tunnels.held_bytes()
    }

    /// Starts the next input: packet numbers restart, flows do not carry over.
    pub fn begin_input(&mut self, index: usize) {
        self.end_input();
        self.continue_input(index, 0);
    }

    /// Starts the next input as the continuation of the one before (rotated files): the
    /// flows, the clock and the tombstones carry over; its packets are numbered from
    /// `base + 1` on (the packets of the inputs it continues), and connections that start
    /// in it are its own (`index`).
    pub fn continue_input(&mut self, index: usize, base: u64) {
        // The reports of connections finished so far are made before the numbers change
        // (the pending ones know their input by then either way; this keeps memory low).
        while self.report_one() {}
        self.ifaces.new_input();
        self.input = index;
        self.base = base;
        self.first_malformed = None;
        for (_, _, first) in &mut self.unsupported {
            *first = None;
        }
    }

    /// The number of the first packet of this input whose IP/TCP headers were cut or
    /// damaged (for the input's warning), as the file numbers it.
    pub fn first_malformed(&self) -> Option<u64> {
        self.first_malformed.map(|n| n - self.base)
    }

    /// The IP fragments of TCP packets given up since the last call (their datagram
    /// never completed, or broke a bound of `decode::defrag`; with `finish`, those still
    /// waiting too), and the first packet among them as the file numbers it.
    pub fn fragments_lost(&mut self, finish: bool) -> (u64, Option<u64>) {
        if finish {
            self.defrag.finish();
        }
        let (n, first) = self.defrag.lost();
        (n, first.map(|f| f - self.base))
    }

    /// The bytes the IPv4 datagrams waiting for their fragments may hold.
    pub fn fragments_cap(&self) -> usize {
        self.defrag.cap()
    }

    /// Added to this input's packet numbers (see `continue_input`).
    pub fn packet_base(&self) -> u64 {
        self.base
    }

    /// Whether this analyzer follows the TCP connection of `key`: open, frozen, or closed
    /// within the grace period (a rotated file's first packets that belong to one continue
    /// the capture, `capture::file::rotation`).
    pub fn follows(&self, key: &FlowKey) -> bool {
        self.flows.contains_key(key)
            || self.frozen.contains_key(key)
            || self
                .closed
                .get(&tomb(key))
                .is_some_and(|t| t.kept(self.now.0))
    }

    /// The TCP connections this analyzer follows now, in memory or frozen (a closed one
    /// leaves only a tombstone, which [`Analyzer::follows`] reads and this does not count).
    pub fn following(&self) -> usize {
        self.flows.len() + self.frozen.len()
    }

    /// For the next input, take only the connections whose symmetric flow hash falls in
    /// shard `me` of `n` (`None`: all of them), each shard taking whole groups of flows
    /// ([`Analyzer::flow_groups`]; `n` is at most their number). Each shard's analyzer still
    /// sees every packet's time, so eviction happens at the same moments as in one analyzer,
    /// and the flow cap is kept per group, so a group's flows are evicted as in one
    /// analyzer; counts of non-TCP packets are kept by shard 0 alone.
    pub fn set_shard(&mut self, shard: Option<(u64, u64)>) {
        self.shard = shard.map(|(me, n)| (me, Shards::new(self.groups, n)));
        // The groups this analyzer reads lend one another what they do not use.
        let read = match shard {
            None => self.groups,
            Some((me, n)) => {
                let n = n.clamp(1, self.groups.max(1));
                (0..self.groups)
                    .filter(|g| g * n / self.groups == me)
                    .count() as u64
            }
        };
        self.budget.set_groups_read(read as usize);
        // The budget of reports kept in memory is shared among the shards.
        let n = shard.map_or(1, |(_, n)| n.max(1) as usize);
        self.done.set_budget(self.opts.keep_reports / n);
    }

    fn primary(&self) -> bool {
        self.shard.is_none_or(|(me, _)| me == 0)
    }

    /// The group of the flow of `key`.
    fn group(&self, key: &FlowKey) -> usize {
        Endpoint::group(&key.lo, &key.hi, self.groups) as usize
    }

    /// Group `g`'s share of the flow cap: the cap divided among the groups, the remainder
    /// to the first ones.
    fn group_cap(&self, g: usize) -> usize {
        let (groups, max) = (self.groups as usize, self.opts.max_flows.max(1));
        max / groups + usize::from(g < max % groups)
    }

    /// A flow of `key` is tracked from now on; returns its group.
    fn track(&mut self, key: &FlowKey) -> usize {
        let g = self.group(key);
        if let Some(n) = self.group_flows.get_mut(g) {
            *n += 1;
        }
        g
    }

    /// The flow of `key`, which cost `bytes` of the memory budget, is no longer tracked.
    fn untrack(&mut self, key: &FlowKey, bytes: usize) {
        let g = self.group(key);
        if let Some(n) = self.group_flows.get_mut(g) {
            *n = n.saturating_sub(1);
        }
        self.budget.change(g, bytes, 0);
    }

    /// The input ends: every flow still tracked is finished (what [`Analyzer::begin_input`]
    /// of the next input, or the end of all input, also does).
    pub fn end_input(&mut self) {
        self.settle_clock();
        self.closed.clear();
        // In the order the connections started, frozen ones thawed one at a time.
        let mut all = self.tracked(|c| c.first_packet, |f| f.first_packet);
        // One packet starts one connection: the keys are unique.
        all.sort_unstable_by_key(|(first, _)| *first);
        for (_, k) in all {
            if let Some(c) = self.take(&k) {
                self.finish(c);
            }
        }
        while self.report_one() {}
    }

    /// Connections frozen out of memory so far, and thawed back (see `freeze`).
    pub fn freeze_counts(&self) -> (u64, u64) {
        (self.freezer.frozen_count, self.freezer.thawed_count)
    }

    /// Bytes written for the connections frozen so far (for benchmarks).
    pub fn frozen_bytes(&self) -> u64 {
        self.freezer.frozen_bytes
    }

    /// Per undecodable link type: packets so far, and the first of them in this input.
    pub fn unsupported(&self) -> &[(LinkType, u64, Option<u64>)] {
        &self.unsupported
    }

    /// End of all input: every flow still tracked is finished. The reports, in the order
    /// they finished (ids not yet given), all in memory; fails only if those kept in the
    /// temporary file cannot be read back.
    pub fn finish_input(self) -> Result<(Vec<ConnectionReport>, Seen), Error> {
        let (done, seen) = self.finish_store();
        Ok((done.into_vec().map_err(Error::Spill)?, seen))
    }

    /// [`Analyzer::finish_input`], leaving the reports in their store.
    pub fn finish_store(self) -> (Store, Seen) {
        let (mut done, mut seen, tunnels) = self.finish_parts();
        Self::settle(&mut done, &mut seen, tunnels);
        (done, seen)
    }

    /// Ends all input of this analyzer: its reports, its counts, and the CONNECT tunnels
    /// it kept, not yet settled (those of every shard are settled together).
    fn finish_parts(mut self) -> (Store, Seen, tunnels::Tunnels) {
        self.end_input();
        for (l, n, _) in &self.unsupported {
            self.seen.unsupported_link_types.insert(l.to_string(), *n);
        }
        if let Some(note) = self.freezer.note.take() {
            self.done.note(note);
        }
        (self.done, self.seen, self.tunnels)
    }

    /// The refused CONNECTs the client's other tunnels show to be WebSockets' into `done`
    /// (`tunnels`), then what `done` says of its temporary files into `seen`.
    fn settle(done: &mut Store, seen: &mut Seen, tunnels: tunnels::Tunnels) {
        let notes = tunnels.settle(done, seen);
        Self::temp_files(done, seen);
        seen.temp_notes.extend(notes);
    }

    /// What `done` says of its temporary files, into `seen` (for the report's warnings).
    fn temp_files(done: &mut Store, seen: &mut Seen) {
        seen.reports_dropped = done.dropped();
        seen.temp_notes = done.notes().to_vec();
        let (not_kept, most) = done.not_kept();
        if not_kept > 0 {
            seen.temp_notes.push(format!(
                "{not_kept} WebSocket sessions that finished after the first {most} kept are \
                 left out of this report: they were told as they ended (their closes, and \
                 counted in --metrics), but a followed or live capture keeps at most {most} \
                 reports for the report at the end, so that its memory stays flat however \
                 long it runs; its incidents and reconnects are judged among the sessions \
                 kept, and may differ from those of the whole capture saved and analyzed"
            ));
        }
        let ends_left_out = done.incidents_mut().left_out();
        if ends_left_out > 0 {
            seen.temp_notes.push(format!(
                "the incident stage kept the endings of the first connections only, {} left \
                 out: it holds a thirty-second of --max-memory, so incidents and reconnects \
                 among the connections that finished last may be missed; raise --max-memory \
                 to see them",
                ends_left_out
            ));
        }
        let said_left_out = done.incidents_mut().said_left_out();
        if said_left_out > 0 {
            seen.temp_notes.push(format!(
                "the incident stage kept what {said_left_out} endings said (their close \
                 reasons, refusals' words, TLS alerts, the messages their closes answered) \
                 only as their codes: its part of --max-memory was full, so incidents of \
                 those sessions are grouped by their codes alone; raise --max-memory to keep \
                 their words"
            ));
        }
        let left_out = done.legs_mut().left_out();
        if left_out > 0 {
            seen.temp_notes.push(format!(
                "the index that links the two legs of sessions through a proxy left out its \
                 {} last entries (a WebSocket connection has one for its key and one for its \
                 path, an HTTP/2 stream one): it holds a thirty-second of --max-memory, so \
                 the connections that started last may be left unlinked; raise \
                 --max-memory to link them",
                left_out
            ));
        }
    }

    /// Ends all input of this analyzer and of the shard analyzers that helped it: their
    /// reports together in one store, and the counts added up.
    pub fn finish_with(self, helpers: Vec<Analyzer>) -> (Store, Seen) {
        let (mut done, mut seen, mut tunnels) = self.finish_parts();
        for h in helpers {
            let (d, s, t) = h.finish_parts();
            tunnels.append(t);
            done.append(d);
            seen.tcp_packets += s.tcp_packets;
            seen.tcp_connections += s.tcp_connections;
            seen.other_tcp_connections += s.other_tcp_connections;
            seen.refused_tunnels += s.refused_tunnels;
            seen.evicted_flows += s.evicted_flows;
            seen.evicted_idle += s.evicted_idle;
            seen.evicted_max_flows += s.evicted_max_flows;
            seen.evicted_max_memory += s.evicted_max_memory;
            seen.shed_buffers += s.shed_buffers;
            seen.late_packets += s.late_packets;
            seen.lost_frozen += s.lost_frozen;
            if let Some(u) = s.unread_after_eviction {
                seen.unread_after_eviction
                    .get_or_insert_with(Default::default)
                    .add(&u);
            }
            seen.encrypted_not_listed += s.encrypted_not_listed;
            for e in s.encrypted {
                seen.add_encrypted(e);
            }
            seen.polling.append(s.polling);
            seen.refusals.append(s.refusals);
            seen.refused.append(s.refused);
            seen.tls_refused.append(s.tls_refused);
        }
        seen.encrypted.sort_by_key(|e| (e.input, e.first_packet));
        // Each thread listed up to the cap: the first of them in capture order are kept.
        let cap = seen.max_encrypted();
        if seen.encrypted.len() > cap {
            seen.encrypted_not_listed += (seen.encrypted.len() - cap) as u64;
            seen.encrypted.truncate(cap);
        }
        // The store took in the others' drops and notes.
        Self::settle(&mut done, &mut seen, tunnels);
        (done, seen)
    }
}

/// The analyzer of one shard, as the reader of a shared file sees it.
impl crate::capture::file::ShardSink for Analyzer {
    fn packet(&mut self, p: &Packet<'_>) {
        Analyzer::packet(self, p);
    }

    fn plain(&mut self, p: &Packet<'_>, plain: crate::capture::shared::Plain) {
        Analyzer::plain(self, p, plain);
    }

    fn elsewhere(&mut self, ts: Timestamp) {
        Analyzer::elsewhere(self, ts);
    }

    fn passed(&mut self, ts: Timestamp) {
        self.no_tcp(ts);
    }

    fn elsewhere_run(&mut self, run: crate::capture::shared::Run<'_>, latest: Timestamp) {
        Analyzer::elsewhere_run(self, run, latest);
    }

    fn idle(&mut self) -> bool {
        self.report_one()
    }
}

#[cfg(test)]
mod tests;
