//! The analysis options ([`Options`]) and when connections are frozen ([`Freeze`]): what
//! the analysis keeps and how far it goes, with the defaults `wsclose analyze` uses (each
//! defined once, as a constant here or on [`Limits`], which the command line's flags take
//! as their defaults).

use crate::stack::tcp::assembler::Limits;

/// What the analysis keeps and how far it goes. Start from the defaults (what `wsclose
/// analyze` uses without flags) and change what you need; fields may be added.
///
/// ```
/// use wsclose::Options;
///
/// let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/python-close-1001.pcap");
/// let plain = wsclose::analyze_files(&[capture.into()], Options::default())?;
/// assert!(plain.connections[0].recent_frames.is_empty()); // no frame log by default
///
/// // The last 12 frames of each direction, with payload previews, on one thread.
/// let opts = Options { frame_log: 12, previews: true, threads: 1, ..Options::default() };
/// let report = wsclose::analyze_files(&[capture.into()], opts)?;
/// let frames = &report.connections[0].recent_frames;
/// assert!(frames.iter().any(|f| f.opcode == wsclose::Opcode::CLOSE));
/// # Ok::<(), wsclose::error::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// What one TCP direction may hold while waiting for a hole to fill.
    pub limits: Limits,
    /// A flow with no packet for this long (capture time) is finished and reported.
    pub idle_timeout_s: u64,
    /// At most this many flows are tracked at once. The cap is kept per group of flows (by
    /// the hash of their addresses and ports: one group per 1 024 flows of the cap, from 1
    /// to 64), each group with its share of it, so that what is evicted is the same
    /// whatever `threads` says.
    pub max_flows: usize,
    /// Frames kept per direction for timelines, and whether with payload previews.
    pub frame_log: usize,
    /// Whether logged frames keep a short preview of their payload.
    pub previews: bool,
    /// Keep closed connections until the grace period ends instead of reporting them at
    /// once (tests of late retransmissions).
    pub keep_closed: bool,
    /// Threads for one capture file (0: one per core; at most 64, and at most one
    /// per group of flows, see `max_flows`). Flows are sharded by a symmetric hash; the
    /// report is the same as with one thread.
    pub threads: usize,
    /// Files smaller than this are read by one thread (threads cost more than they save).
    pub shard_min_bytes: u64,
    /// Finished reports kept in memory (shared among the threads of a sharded file); later
    /// ones go to a temporary file, so memory does not grow with the number of connections
    /// in the capture.
    pub keep_reports: usize,
    /// The memory the analysis may use, in bytes: the state of the flows in flight (each
    /// estimated: `budget`) within it, less a part set aside for the program, its buffers
    /// and the reports kept in memory. Kept per group of flows (as `max_flows`), so that
    /// what is shed does not depend on `threads`. A group over its share gives up its held
    /// out-of-order bytes (gaps, never made-up bytes) and then its least recently active
    /// flows (evicted, marked `max_memory`); a group past its share by an HTTP/2
    /// connection's streams borrows what the other groups of its thread do not use
    /// (`budget::Budget::borrow`). At least 32 MiB (`budget::MIN_MAX_MEMORY`:
    /// less is taken as that); [`Options::DEFAULT_MAX_MEMORY`] by default.
    pub max_memory: usize,
    /// When quiet connections are frozen out of memory (see `freeze`).
    pub freeze: Freeze,
    /// Read an input that continues the one before it (rotated files) as one capture with
    /// it (`capture::file::rotation`); false: every input on its own.
    pub join_files: bool,
    /// Join an input to the one before whatever the file names say and whether a TCP
    /// connection goes on between them (`--join-files`: renamed files of one capture); the
    /// link type and the times must still fit (`capture::file::rotation`).
    pub force_join: bool,
    /// Hash each input read as a stream (standard input, a pipe: it cannot be read again to
    /// hash it) as it is read, into `InputSummary::sha256` (the Markdown report's header).
    pub hash_streams: bool,
    /// Decode the application protocols WebSocket sessions carry (`crate::app`) and the
    /// engine.io long-polling connections they began on; false leaves `application` out
    /// of every report.
    pub app: bool,
}

/// When the analyzer freezes a connection out of memory (`freeze`); the report is the same
/// whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freeze {
    /// Never: every connection stays in memory until it ends.
    Never,
    /// After this long without a packet (capture time, milliseconds): `ended` for a
    /// connection one side has ended (FIN or RST seen), `open` for the others; only while
    /// the connection's group of flows holds more than `from_sixteenths` sixteenths of its
    /// share of `--max-memory` (0: whatever it holds); and, whatever those say, after 10 s
    /// once the group holds 64 KiB (`budget::FREEZE_FROM`, `budget::LONG_QUIET_NS`). Freezing costs a write and a read
    /// of the whole state (the same capture took 8 % more instructions when every quiet
    /// connection was frozen): below that mark it would save memory nobody is short of.
    Quiet {
        /// Milliseconds for a connection one side has ended.
        ended_ms: u64,
        /// Milliseconds for the others.
        open_ms: u64,
        /// Sixteenths of its group's share a group must hold before its quiet flows are
        /// frozen.
        from_sixteenths: u8,
    },
    /// After every packet, and thawed for the next (tests: every connection goes through
    /// its frozen form at every step).
    EveryPacket,
}

impl Freeze {
    /// The default's quiet times, whatever the flows hold (tests: quiet connections are
    /// frozen even in a small capture).
    pub const fn quiet_always() -> Freeze {
        Freeze::Quiet {
            ended_ms: 250,
            open_ms: 2_000,
            from_sixteenths: 0,
        }
    }
}

impl Default for Freeze {
    /// A side that sent its FIN and went quiet for a quarter of a second is most likely
    /// done; an open connection quiet for two seconds is between messages or heartbeats,
    /// and one that keeps waking up waits longer each time (see `sweep`). Only once a group
    /// holds a sixteenth of its share: at the default `--max-memory` (1 GiB) the flows keep
    /// up to about 60 MiB in memory before any is frozen; at 32 MiB, half a MiB. A connection
    /// quiet for 10 s is frozen once its group holds 64 KiB (4 MiB over the 64 groups).
    fn default() -> Self {
        match Freeze::quiet_always() {
            Freeze::Quiet {
                ended_ms, open_ms, ..
            } => Freeze::Quiet {
                ended_ms,
                open_ms,
                from_sixteenths: 1,
            },
            other => other,
        }
    }
}

impl Options {
    /// `idle_timeout_s` by default (`--idle-timeout`'s default): ten minutes of capture time
    /// without a packet, longer than the keepalives and proxy idle timeouts that keep a
    /// quiet WebSocket open.
    pub const DEFAULT_IDLE_TIMEOUT_S: u64 = 600;
    /// `max_flows` by default (`--max-flows`'s default): 200 000 connections tracked at
    /// once, whose state fits the default `max_memory` (about 600 MiB at 3 KiB each).
    pub const DEFAULT_MAX_FLOWS: usize = 200_000;
    /// `max_memory` by default (`--max-memory`'s default): 1 GiB
    /// (`memory::DEFAULT_MAX_MEMORY`).
    pub const DEFAULT_MAX_MEMORY: usize = crate::memory::DEFAULT_MAX_MEMORY;
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            idle_timeout_s: Self::DEFAULT_IDLE_TIMEOUT_S,
            max_flows: Self::DEFAULT_MAX_FLOWS,
            // Frame logs cost memory per connection: only reports that show frames ask.
            frame_log: 0,
            previews: false,
            keep_closed: false,
            threads: 0,
            shard_min_bytes: 16 << 20,
            keep_reports: crate::report::store::DEFAULT_BUDGET,
            max_memory: Self::DEFAULT_MAX_MEMORY,
            freeze: Freeze::default(),
            join_files: true,
            force_join: false,
            hash_streams: false,
            app: true,
        }
    }
}
