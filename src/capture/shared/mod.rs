//! One capture file read once for several analyzer threads.
//!
//! In: a regular, uncompressed classic pcap or pcapng file (see
//! [`super::file::shardable`]) and the number of threads that will read it. Out: the file
//! in [`Chunk`]s, handed to every reader in file order: chunk `s` holds the whole records
//! (pcap) or blocks (pcapng) that start in the file's `s`-th block of [`CHUNK`] bytes, the
//! last one read on past the block's end. The kernel copies each byte of the file once
//! (not once per thread), and no thread waits for a dedicated reader: the readers make the
//! chunks themselves, outside the lock, each taking the piece of work most needed when it
//! must wait or has just taken a chunk (`fill`): several read blocks at once (positioned
//! reads), one at a time cuts the next block into whole records (its start is where the
//! previous chunk's last record ended: header lengths only), several index cut chunks at
//! once; chunks are published in order. A classic pcap block is cut and indexed (in one
//! walk) by the thread that read it, at once, from where its first record probably starts
//! (`fill::guess_first`); the cut in order then only checks that the chunk before ended
//! there, and cuts and indexes again if not.
//!
//! The index ([`Chunk::index`]): for a whole packet of plain TCP, its time, the reader
//! whose shard owns its flow (reader `k` analyzes shard `k` of as many as there are
//! readers) and where its IP and TCP parts are; for pcapng it follows the sections and
//! interfaces as the readers do, so a pcapng chunk is indexed as it is cut, in order. Each
//! packet's headers are then decoded once, not once per reader: its owner reads the
//! segment from where they were found, and the other readers pass it knowing only its
//! owner and time ([`Chunk::owners`], [`Chunk::times`]), never reading its [`Rec`].
//!
//! Memory: a ring of [`RING`] chunks (one per reader where there are more) and `AHEAD`
//! more being made, reused once every reader has released them, so a fast thread runs at
//! most that far ahead of a slow one. A chunk holds its block and the rest of its last
//! record (at most one more chunk's bytes, usually a few hundred). The chunks share the room
//! the memory budget gives them ([`chunk_for`]), each 256 KiB to 1 MiB: 128 KiB a reader.
//!
//! Waiting: a reader that must wait (for the chunk another thread is reading, or for a slot
//! the slowest reader holds) first does the work its thread has that can wait (the
//! `idle` callback of [`SharedFile::next`]: the analyzer builds the reports of connections
//! it has finished), then, waiting for a chunk another thread is making, looks for the
//! change without the lock for up to `SPIN` before it sleeps on the condition variable,
//! when there are no more readers than cores; waiting for a slot a slower reader holds, it
//! sleeps at once. Every change is counted under the lock, and a reader looks at the count
//! once more under the lock before it sleeps, so none is missed.
//!
//! Only whole records and blocks are shared (for pcapng the cutter reads each block's type
//! and length, and each section's byte order, pcapng draft §4.1). At the first one that is
//! not (cut by the end of the file, larger than a chunk, with a length that cannot be, or a
//! read error), the chunk says where it starts, and every reader goes on from there on its
//! own with the streaming reader, whose warnings say what is wrong; so does a reader at a
//! shared pcapng block that pcap-parser cannot parse (`file::read_shared`).
//!
//! This file holds the ring, the lock, the choice of work and the waiting; what a thread
//! does with the file's bytes (read a block, cut it into whole records, index them) is in
//! `fill`.

mod fill;

use super::file::{NgIndexer, Part, Progress};
use super::Packet;
use crate::vocab::{LinkType, Timestamp};
pub(crate) use fill::read_full;
use fill::{index, Guess, Section, Span, Walked};
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes per chunk (its block of the file): records of up to this size (less its 16-byte
/// header) are shared. Each chunk is handed to every reader (a lock taken by each, often
/// a wait): the larger the chunk, the fewer the hand-overs. On a 16-core VM (2 GB
/// generated capture, `scripts/scaling`), 16 threads took 0.363 s with 256 KiB chunks and
/// 0.268 s with 1 MiB, 8 threads 0.46-0.49 s and 0.44 s; on a 2-core VM two threads take
/// the same time with either (0.40 s on 1 GB), with 5 MiB more peak RSS (BENCHMARKS.md).
#[cfg(not(test))]
pub const CHUNK: usize = 1 << 20;

/// In unit tests, a sixteenth: their files of a few MB then make dozens of chunks.
#[cfg(test)]
pub const CHUNK: usize = 64 << 10;

/// The smallest chunk, where the memory given to the ring ([`chunk_for`]) is short: a
/// quarter of [`CHUNK`] (256 KiB; two threads took the same time with either on 2 cores).
pub const MIN_CHUNK: usize = CHUNK / 4;

/// A chunk's bytes per reader sharing it: two readers take [`MIN_CHUNK`]s, eight and more
/// [`CHUNK`]s. The ring's chunks are the largest thing a shared file's run holds (six of
/// them with two readers: 6 MiB of its 26.5 MiB peak at 1 MiB each, 1.5 MiB at 256 KiB), and
/// a larger chunk pays only where many readers hand chunks over (16 threads on 16 cores:
/// 0.363 s with 256 KiB, 0.268 s with 1 MiB; two threads on two cores: the same CPU time
/// with either; BENCHMARKS.md).
pub const PER_READER: usize = CHUNK / 8;

/// The chunk size for `readers` readers whose ring may take `room` bytes: [`PER_READER`]
/// bytes a reader, at most the ring's slots' share of `room`, each between [`MIN_CHUNK`]
/// and [`CHUNK`] (whole pages).
pub fn chunk_for(readers: usize, room: usize) -> usize {
    let each = (room / ring_len(readers).max(1)).min(readers.saturating_mul(PER_READER));
    (each & !4095).clamp(MIN_CHUNK, CHUNK)
}

/// Chunks in flight, at least: how far the fastest reader may run ahead of the slowest.
/// With more readers than this, one chunk each (see `ring_len`).
pub const RING: usize = 4;

/// Chunks made ahead of the one a reader takes, when their slots are free.
const AHEAD: u64 = 2;

/// How long a reader looks for the chunk another thread is making before it sleeps: about
/// the time a thread takes to read a chunk.
const SPIN: Duration = Duration::from_micros(50);

/// The classic pcap global header's length.
const HEADER: usize = 24;

/// The first four bytes of a pcapng file: a section header block's type.
const NG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Where sharing stopped, carried by the last chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The file ended after a whole record.
    Clean,
    /// The record at byte `offset`, after packet `number`, is not shared: each reader
    /// reads on from there itself.
    Resume { offset: u64, number: u64 },
}

/// Where the parts of a plain TCP packet are in its bytes: a whole IPv4 or IPv6 packet
/// (no fragment, no extension header) carrying a whole TCP header, on a link type read
/// here; the packets `decode::decode` takes by its fast path. Found once by the reader of a file
/// shared by several threads (`decode::Plain::find`, through [`Deal`]), it tells which
/// thread's flow the packet is (`Plain::ends`) and spares that thread the decoding
/// (`decode::decode_plain`). Its fields are the index's; reading them is decode's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plain {
    pub(crate) v6: bool,
    /// Where the IP header starts in the packet's bytes; from there, where the TCP header
    /// and its payload start and where the IP packet ends.
    pub(crate) ip: u32,
    pub(crate) tcp: u32,
    pub(crate) payload: u32,
    pub(crate) end: u32,
}

/// How a shared file's packets are dealt to its readers: by the flow each whole packet's
/// headers name. Decoding those headers is the decode stage's (`decode::Shards` deals so),
/// which the caller hands in: this stage reads records and decodes nothing.
pub trait Deal: Send + Sync {
    /// How many readers share the file.
    fn readers(&self) -> u64;
    /// Which reader takes a whole packet of link type `link` and bytes `data`.
    fn deal(&self, link: LinkType, data: &[u8]) -> Dealt;
}

/// What [`Deal::deal`] says of a whole packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dealt {
    /// Plain TCP (its parts where [`Plain`] says) of the flow reader `.0` analyzes.
    Reader(u8, Plain),
    /// No TCP segment inside, and decoding can tell so from its headers alone: see [`NO_TCP`].
    NoTcp,
    /// Anything else: every reader decodes it.
    Every,
}

/// In [`Rec::owner`]: a record or block every reader reads and decodes.
pub const ANY: u8 = u8::MAX;

/// In [`Rec::owner`]: a whole packet in which decoding finds no TCP segment and says so
/// (`decode::never_tcp`: UDP that is no tunnel, with sound headers). No reader
/// decodes it: the first counts it, every reader takes its time.
pub const NO_TCP: u8 = u8::MAX - 1;

/// Packets in a row of a chunk's index that a reader passes (see
/// `file::ShardSink::elsewhere_run`): each one's owner (another reader, or [`NO_TCP`]) and
/// time, side by side, as long as each other.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub owners: &'a [u8],
    pub times: &'a [Timestamp],
}

impl Run<'_> {
    /// How many packets.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Each packet's owner and time, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, Timestamp)> + '_ {
        self.owners.iter().copied().zip(self.times.iter().copied())
    }

    /// How many have no TCP inside ([`NO_TCP`]).
    pub fn no_tcp(&self) -> usize {
        self.owners.iter().filter(|&&o| o == NO_TCP).count()
    }
}

/// What the indexer of a chunk found in one of its records or blocks (see
/// [`Chunk::index`]).
#[derive(Debug, Clone, Copy)]
pub struct Rec {
    /// Where the record or block ends in the chunk (the next one starts there).
    pub end: u32,
    /// The reader whose shard owns its packet, or [`ANY`].
    pub owner: u8,
    /// Its packet (a classic pcap record's, or an owned pcapng block's; its time is in
    /// [`Chunk::times`]): where its bytes start in the chunk and how many there are, its
    /// length on the wire (at least `len`), its link type, its interface ID in its pcapng
    /// section (the reader finds the interface it names), and where its IP and TCP parts
    /// are (an owned one's).
    pub at: u32,
    pub len: u32,
    pub orig_len: u32,
    pub link: LinkType,
    pub iface: u32,
    pub plain: Plain,
}

impl Rec {
    /// Its packet, numbered `number`, at `ts`, from the chunk's `records` (with no
    /// interface: the reader of a pcapng file names it, from [`Rec::iface`]).
    pub fn packet<'a>(&self, records: &'a [u8], number: u64, ts: Timestamp) -> Packet<'a> {
        let start = self.at as usize;
        Packet {
            options: Default::default(),
            number,
            ts,
            link: self.link,
            data: records
                .get(start..start + self.len as usize)
                .unwrap_or_default(),
            orig_len: self.orig_len,
            iface: None,
        }
    }
}

/// Whole records of the file, in order.
pub struct Chunk {
    /// Its block of the file, and the end of the last record that starts in it.
    data: Vec<u8>,
    /// Where its first record starts in `data` (the previous chunk's last one may run
    /// into its block), and where its last ends.
    first: usize,
    len: usize,
    /// See [`Chunk::index`].
    index: Vec<Rec>,
    /// Each indexed record's owner and time, side by side: a reader finds the next of its
    /// own records among the owners with one pass over a byte a record, and passes the
    /// others' knowing their owners and times alone, never reading their [`Rec`]s (which
    /// the thread that indexed them wrote, often on another core).
    owners: Vec<u8>,
    times: Vec<Timestamp>,
    /// The tally of the indexed records, when every one is a packet (classic pcap).
    tally: Option<Part>,
    /// The file offset of its first byte.
    pub offset: u64,
    /// Packets before this chunk's first record, and in it.
    pub number: u64,
    pub count: u64,
    /// Set on the last chunk.
    pub end: Option<End>,
}

impl Chunk {
    /// Its whole records, header included.
    pub fn records(&self) -> &[u8] {
        self.data.get(self.first..self.len).unwrap_or_default()
    }

    /// For each record (classic pcap) or block (pcapng) of a file shared by several readers,
    /// in order, up to the first block that does not parse: where it ends, and for a whole
    /// packet (not cut by the snap length) of plain TCP (see [`Plain`]) the reader whose
    /// shard owns it, its time, bytes and link type, and where its parts are; [`ANY`] for
    /// the others, which every reader reads and decodes, as it would without this. Found
    /// once, by the thread that reads the chunk: the other readers pass the packets that are
    /// not theirs knowing only their time, and the owner reads the segment without checking
    /// the headers again. Empty with one reader.
    pub fn index(&self) -> &[Rec] {
        &self.index
    }

    /// The owners of the [`Chunk::index`]'s records, in order.
    pub fn owners(&self) -> &[u8] {
        &self.owners
    }

    /// The times of the [`Chunk::index`]'s records' packets, in order (0 for a pcapng
    /// block with no packet).
    pub fn times(&self) -> &[Timestamp] {
        &self.times
    }

    /// The first and last time of the packets the index covers, and their steps back:
    /// made once here for all the readers of a classic pcap file (each of whose records
    /// is a packet); `None` for pcapng, or with no index.
    pub(crate) fn tally(&self) -> Option<&Part> {
        self.tally.as_ref()
    }
}

/// The file's global header, as the readers need it.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    /// A pcapng file: chunks hold blocks, from its first (the readers learn the sections
    /// and interfaces from them); the fields below are for classic pcap only.
    pub ng: bool,
    pub link: LinkType,
    pub nanos: bool,
    pub big_endian: bool,
}

/// What a slot of the ring holds between the release of its last chunk and the
/// publication of the next (see [`SharedFile::job`]).
enum Work {
    /// Nothing in the making: the slot's chunk, if any, is in `ring`.
    Free,
    /// A thread is reading, cutting or indexing it.
    Busy,
    /// Its block is read (this many bytes; whether an error stopped it), and cut and indexed
    /// from a guessed start if one was found: it waits to be cut, after the chunk before it.
    Read(Chunk, (usize, bool), Option<Guess>),
    /// Cut into whole records: it waits to be indexed.
    Cut(Chunk),
    /// Made: it is published once the chunks before it are.
    Ready(Chunk),
}

struct State {
    /// Chunks published so far; chunk `s` lives in `ring[s % ring.len()]` until every
    /// reader is done with it and its slot is taken for chunk `s + ring.len()`.
    filled: u64,
    ring: Vec<Option<Arc<Chunk>>>,
    /// The chunk being made in each slot, from `filled` up to `read`.
    work: Vec<Work>,
    /// The next chunk each reader will take.
    next: Vec<u64>,
    /// Chunks whose block has been taken to be read.
    read: u64,
    /// The next chunk to cut, and whether a thread is cutting it now.
    cut: u64,
    cutting: bool,
    /// Where the next chunk to cut starts: its first record's file offset and the packets
    /// before it; the pcapng section's byte order and interfaces there.
    first: u64,
    packets: u64,
    section: Section,
    ng: NgIndexer,
    /// The last chunk, once a cut has found where sharing ends.
    last: Option<u64>,
    /// Set when a thread making a chunk panicked: the chunks after those published are
    /// never made, and no reader waits for them.
    broken: bool,
    /// Readers waiting for a chunk or a slot: only then is there anyone to wake (a wake-up
    /// is a system call).
    waiting: usize,
}

/// The ring's length for `readers` readers: [`RING`], or one chunk each where there are
/// more (each must be done with a chunk before its slot is filled again, so that a ring
/// shorter than the readers keeps most of them waiting for the slowest), and [`AHEAD`]
/// more being made while the readers hold theirs.
fn ring_len(readers: usize) -> usize {
    readers.max(RING) + AHEAD as usize
}

impl State {
    /// The ring's slot of chunk `s`.
    fn slot(&self, s: u64) -> usize {
        (s % self.ring.len().max(1) as u64) as usize
    }

    /// The work in the slot of chunk `s` if `stage` says it is at that stage, taken out and
    /// replaced by `then`.
    fn take(&mut self, s: u64, stage: fn(&Work) -> bool, then: Work) -> Option<Work> {
        let at = self.slot(s);
        let w = self.work.get_mut(at).filter(|w| stage(w))?;
        Some(std::mem::replace(w, then))
    }

    /// Publishes the chunks made, in order.
    fn publish(&mut self) {
        let is_ready = |w: &Work| matches!(w, Work::Ready(_));
        while let Some(Work::Ready(chunk)) = self.take(self.filled, is_ready, Work::Free) {
            let at = self.slot(self.filled);
            if let Some(slot) = self.ring.get_mut(at) {
                *slot = Some(Arc::new(chunk));
            }
            self.filled += 1;
        }
    }

    /// Gives back the slot of chunk `s`, made past the last chunk: its buffer is kept for
    /// nothing more.
    fn discard(&mut self, s: u64, chunk: Chunk) {
        let at = self.slot(s);
        if let Some(w) = self.work.get_mut(at) {
            *w = Work::Free;
        }
        if let Some(slot) = self.ring.get_mut(at) {
            *slot = Some(Arc::new(chunk));
        }
    }
}

/// A piece of the making of chunk `s`, taken out of the state by the thread that does it.
enum Job {
    /// Read its block.
    Read(u64, Chunk),
    /// Cut it, from where the chunk before it ended (its file offset, and the packets
    /// before it), unless the cut from the guessed start began there.
    Cut(
        u64,
        Chunk,
        (usize, bool),
        (u64, u64),
        Section,
        NgIndexer,
        Option<Guess>,
    ),
    /// Index its records.
    Index(u64, Chunk),
}

/// What indexes a chunk, following a pcapng file's sections in `NgIndexer`.
type Indexer = Box<dyn Fn(&mut Chunk, &Header, &mut NgIndexer, Span) -> Walked + Send + Sync>;

/// The shared reader: create it once per file, then call [`SharedFile::next`] from each
/// reader thread.
pub struct SharedFile {
    state: Mutex<State>,
    changed: Condvar,
    /// Counts the changes of `state` a reader may wait for (see `wake`), for the readers
    /// that look for one without the lock before sleeping.
    changes: AtomicU64,
    /// How long a waiting reader looks: [`SPIN`], or nothing when there are more readers
    /// than cores (a reader looking would take the core of one that has work).
    spin: Duration,
    /// Read at the offsets of the blocks, by several threads at once.
    file: File,
    /// The file offset of the first record or block (after a classic pcap's header):
    /// chunk `s`'s block starts at `base + s × chunk`.
    base: u64,
    /// The blocks' size ([`chunk_for`]): records up to this size are shared.
    chunk: usize,
    header: Header,
    /// Indexes a chunk ([`Chunk::index`]): `fill::index` made for the caller's [`Deal`],
    /// whose `deal` is then inlined (called through a trait object, once a record, it
    /// cost 36 M more instructions on the 1 GB benchmark with two threads).
    index: Indexer,
    size: u64,
    progress: Option<Progress>,
    /// In tests: the chunk whose making panics.
    #[cfg(test)]
    panic_at: AtomicU64,
    /// Guessed cuts kept, and cut again (tests).
    #[cfg(test)]
    guesses: [AtomicU64; 2],
    /// Waits that looked for a change before sleeping (tests).
    #[cfg(test)]
    looks: AtomicU64,
}

impl SharedFile {
    /// Opens `path` for one reader thread per shard of `shards` (reader `k` analyzes the
    /// flows of shard `k`), in chunks of [`CHUNK`] bytes; `None` when it cannot be opened or
    /// does not start with a classic pcap header (the caller reads it the ordinary way,
    /// which says why).
    pub fn open(
        path: &Path,
        shards: impl Deal + 'static,
        progress: Option<Progress>,
    ) -> Option<SharedFile> {
        Self::open_sized(path, shards, progress, CHUNK)
    }

    /// [`SharedFile::open`] in chunks of `chunk` bytes ([`MIN_CHUNK`] to [`CHUNK`]; see
    /// [`chunk_for`]).
    pub fn open_sized(
        path: &Path,
        shards: impl Deal + 'static,
        progress: Option<Progress>,
        chunk: usize,
    ) -> Option<SharedFile> {
        let readers = shards.readers() as usize;
        let mut file = File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        let mut head = [0u8; HEADER];
        file.read_exact(&mut head).ok()?;
        let (header, base) = if head.starts_with(&NG_MAGIC) {
            // The section header block is the first chunk's first block.
            let header = Header {
                ng: true,
                link: LinkType(0),
                nanos: false,
                big_endian: false,
            };
            (header, 0)
        } else {
            let (_, h) = pcap_parser::pcap::parse_pcap_header(&head).ok()?;
            // Records that end with an FCS are read by the streaming reader, which takes it
            // off.
            let (link, fcs) = crate::capture::file::link_and_fcs(h.network.0 as u32);
            if h.is_modified_format() || fcs > 0 {
                return None;
            }
            let header = Header {
                ng: false,
                link,
                nanos: h.is_nanosecond_precision(),
                big_endian: h.is_bigendian(),
            };
            (header, HEADER as u64)
        };
        if let Some(p) = &progress {
            p.fetch_add(base, Ordering::Relaxed);
        }
        let slots = ring_len(readers);
        let state = State {
            filled: 0,
            ring: (0..slots)
                .map(|_| {
                    Some(Arc::new(Chunk {
                        data: Vec::new(),
                        first: 0,
                        len: 0,
                        index: Vec::new(),
                        owners: Vec::new(),
                        times: Vec::new(),
                        tally: None,
                        offset: 0,
                        number: 0,
                        count: 0,
                        end: None,
                    }))
                })
                .collect(),
            work: (0..slots).map(|_| Work::Free).collect(),
            next: vec![0; readers],
            read: 0,
            cut: 0,
            cutting: false,
            first: base,
            packets: 0,
            section: Section::default(),
            ng: NgIndexer::default(),
            last: None,
            broken: false,
            waiting: 0,
        };
        Some(SharedFile {
            state: Mutex::new(state),
            changed: Condvar::new(),
            changes: AtomicU64::new(0),
            spin: match std::thread::available_parallelism() {
                Ok(cores) if readers <= cores.get() => SPIN,
                _ => Duration::ZERO,
            },
            file,
            base,
            chunk: chunk.clamp(MIN_CHUNK, CHUNK),
            header,
            index: Box::new(
                move |chunk: &mut Chunk, header: &Header, ng: &mut NgIndexer, span: Span| {
                    index(chunk, header, &shards, ng, span)
                },
            ),
            size,
            progress,
            #[cfg(test)]
            panic_at: AtomicU64::new(u64::MAX),
            #[cfg(test)]
            guesses: Default::default(),
            #[cfg(test)]
            looks: AtomicU64::new(0),
        })
    }

    pub fn header(&self) -> Header {
        self.header
    }

    /// The file's size when opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Chunks filled so far.
    #[cfg(test)]
    pub fn filled(&self) -> u64 {
        self.lock().filled
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Reader `reader`'s next chunk, releasing `done` (its previous one); `None` after the
    /// last. While it must wait for another reader, `idle` is called as long as it returns
    /// true (one piece of the thread's own deferred work each time) and nothing changed.
    pub fn next(
        &self,
        reader: usize,
        done: Option<Arc<Chunk>>,
        idle: &mut dyn FnMut() -> bool,
    ) -> Option<Arc<Chunk>> {
        let mut st = self.lock();
        if done.is_some() {
            drop(done);
            // A thread may be waiting for this chunk's slot.
            self.wake(&st);
        }
        loop {
            let s = *st.next.get(reader)?;
            if s < st.filled {
                let chunk = st.ring.get(st.slot(s))?.clone()?;
                if let Some(n) = st.next.get_mut(reader) {
                    *n = s + 1;
                }
                // Make the next chunks while the other readers are busy, so that the chunk
                // a reader needs next is there when it asks.
                if st.filled <= s + AHEAD {
                    if let Some(job) = self.job(&mut st) {
                        drop(self.run(st, job));
                    }
                }
                return Some(chunk);
            }
            if st.broken || st.last.is_some_and(|last| s > last) {
                return None;
            }
            if let Some(job) = self.job(&mut st) {
                st = self.run(st, job);
                continue;
            }
            // A chunk whose block another thread has taken (it is being read, cut or
            // indexed) usually comes within microseconds: look for it without the lock
            // for a while before sleeping, since going to sleep and being woken are system
            // calls (and, on a virtual machine, waking an idle core is slower still). A
            // block not yet taken waits for the slot a slower reader holds, which lets it
            // go only when done with a whole chunk: the reader sleeps at once (on the 1 GB
            // capture with two threads, nearly every wait was this one, and a look of
            // `SPIN` before it almost never saw the slot freed: 3 % of the CPU for nothing).
            // Work the reader's thread can do at any time (its finished connections'
            // reports) comes first: a wait that it fills costs nothing.
            let making = st.read > s;
            let seen = self.changes.load(Ordering::Acquire);
            MutexGuard::unlocked(&mut st, || {
                while self.changes.load(Ordering::Acquire) == seen && idle() {}
                if making {
                    self.spin(seen)
                }
            });
            // Changes are counted under the lock: one since `seen` (during the look, or
            // between its end and the lock taken again) is looked at; with none, the next
            // one comes after this reader is counted among the sleepers, and wakes it.
            if self.changes.load(Ordering::Acquire) != seen {
                continue;
            }
            st.waiting += 1;
            self.changed.wait(&mut st);
            st.waiting -= 1;
        }
    }

    /// The piece of work most needed now, taken out of the state: cutting the next chunk
    /// (each cut waits for the one before, so it comes first), indexing the oldest chunk
    /// cut, or reading the next block into a slot every reader is done with.
    fn job(&self, st: &mut State) -> Option<Job> {
        let is_read = |w: &Work| matches!(w, Work::Read(..));
        if !st.cutting && st.last.is_none() && st.cut < st.read {
            if let Some(Work::Read(chunk, read, guess)) = st.take(st.cut, is_read, Work::Busy) {
                st.cutting = true;
                let ng = std::mem::take(&mut st.ng);
                let from = (st.first, st.packets);
                return Some(Job::Cut(st.cut, chunk, read, from, st.section, ng, guess));
            }
        }
        let is_cut = |w: &Work| matches!(w, Work::Cut(_));
        for s in st.filled..st.cut {
            if let Some(Work::Cut(chunk)) = st.take(s, is_cut, Work::Busy) {
                return Some(Job::Index(s, chunk));
            }
        }
        let s = st.read;
        if st.last.is_some() || s >= st.filled + st.ring.len() as u64 {
            return None;
        }
        // The slot's previous chunk, `s - ring.len()`, must be done with by every reader.
        let oldest = s.checked_sub(st.ring.len() as u64);
        if oldest.is_some_and(|o| st.next.iter().any(|&n| n <= o)) {
            return None;
        }
        let at = st.slot(s);
        if !matches!(st.work.get(at), Some(Work::Free)) {
            return None;
        }
        let slot = st.ring.get_mut(at)?;
        let chunk = match Arc::try_unwrap(slot.take()?) {
            Ok(chunk) => chunk,
            Err(arc) => {
                *slot = Some(arc);
                return None;
            }
        };
        if let Some(w) = st.work.get_mut(at) {
            *w = Work::Busy;
        }
        st.read = s + 1;
        Some(Job::Read(s, chunk))
    }

    /// Does `job` without holding the lock, then puts its chunk back, publishes what is
    /// made and wakes the readers waiting for it.
    fn run<'a>(&'a self, st: MutexGuard<'a, State>, job: Job) -> MutexGuard<'a, State> {
        drop(st);
        /// Marks the shared reader broken if the job panics (its chunk is lost): the other
        /// readers stop at the chunks published instead of waiting for ever. The panic
        /// goes on up its own thread, whose reader's count then differs (and the analysis
        /// says connections may be missing).
        struct Broken<'a>(&'a SharedFile);
        impl Drop for Broken<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    let mut st = self.0.lock();
                    st.broken = true;
                    self.0.wake(&st);
                }
            }
        }
        let _broken = Broken(self);
        #[cfg(test)]
        {
            let (Job::Read(s, _) | Job::Cut(s, ..) | Job::Index(s, _)) = &job;
            let panic_at = self.panic_at.load(Ordering::Relaxed);
            assert_ne!(*s, panic_at, "making chunk {s}");
        }
        let block = |s: u64| self.base + s * self.chunk as u64;
        match job {
            Job::Read(s, mut chunk) => {
                let read = fill::read_block(&self.file, block(s), self.chunk, &mut chunk);
                // A classic pcap block is cut here, from where its first record probably
                // starts, while its bytes are in this core's cache; the cut in order then
                // only checks that the chunk before ended there (a pcapng block's cut
                // follows the sections: it waits).
                let guess = chunk
                    .data
                    .get(..read.0)
                    .filter(|_| !self.header.ng)
                    .and_then(|data| fill::guess_first(data, self.chunk, &self.header))
                    .map(|start| {
                        let first = block(s) + start as u64;
                        let at = fill::Start {
                            block: block(s),
                            size: self.chunk,
                            first,
                            packets: 0,
                        };
                        let mut section = Section::default();
                        // Indexed as it is cut, in one walk of its records while they are
                        // in this core's cache (numbered from 0 until the guess is kept,
                        // `Guess::adopt`): the index walks the records whole in the block,
                        // the cut goes on from there, and the rest (the last record, read
                        // on past the block) is indexed after.
                        let mut ng = NgIndexer::default();
                        (chunk.first, chunk.number) = (start, 0);
                        let (size, header) = (self.chunk, &self.header);
                        let walked = (self.index)(
                            &mut chunk,
                            header,
                            &mut ng,
                            Span::Block { read: read.0, size },
                        );
                        let next = fill::cut(
                            &self.file,
                            at,
                            read,
                            &mut section,
                            &mut chunk,
                            header,
                            walked,
                        );
                        (self.index)(&mut chunk, header, &mut ng, Span::From(walked.to));
                        Guess { first, next }
                    });
                let mut st = self.lock();
                if st.last.is_some_and(|last| s > last) {
                    st.discard(s, chunk);
                } else {
                    let at = st.slot(s);
                    if let Some(w) = st.work.get_mut(at) {
                        *w = Work::Read(chunk, read, guess);
                    }
                }
                self.wake(&st);
                st
            }
            Job::Cut(s, mut chunk, read, (first, packets), mut section, mut ng, guess) => {
                let at = fill::Start {
                    block: block(s),
                    size: self.chunk,
                    first,
                    packets,
                };
                let kept = guess.and_then(|g| g.adopt(first, packets, &mut chunk));
                #[cfg(test)]
                if guess.is_some() {
                    self.guesses[usize::from(kept.is_none())].fetch_add(1, Ordering::Relaxed);
                }
                let next = match kept {
                    Some(next) => next,
                    None => {
                        let nothing = Walked::default();
                        fill::cut(
                            &self.file,
                            at,
                            read,
                            &mut section,
                            &mut chunk,
                            &self.header,
                            nothing,
                        )
                    }
                };
                if let Some(p) = &self.progress {
                    p.fetch_add(
                        chunk.len.saturating_sub(chunk.first) as u64,
                        Ordering::Relaxed,
                    );
                }
                // A pcapng file's index follows its sections and interfaces from block to
                // block, so it is made here, in order; a classic one's by any thread: with
                // the guessed cut, by the thread that read the block, else after this cut.
                let indexed = self.header.ng || kept.is_some();
                if self.header.ng {
                    (self.index)(&mut chunk, &self.header, &mut ng, Span::From(0));
                }
                let mut st = self.lock();
                st.section = section;
                st.ng = ng;
                st.packets = packets + chunk.count;
                st.cutting = false;
                st.cut = s + 1;
                match next {
                    Some(first) => st.first = first,
                    None => {
                        st.last = Some(s);
                        // Blocks read past it are given back (those still being read are,
                        // once read).
                        let is_read = |w: &Work| matches!(w, Work::Read(..));
                        for later in s + 1..st.read {
                            if let Some(Work::Read(c, ..)) = st.take(later, is_read, Work::Free) {
                                st.discard(later, c);
                            }
                        }
                    }
                }
                let at = st.slot(s);
                if let Some(w) = st.work.get_mut(at) {
                    *w = if indexed {
                        Work::Ready(chunk)
                    } else {
                        Work::Cut(chunk)
                    };
                }
                st.publish();
                self.wake(&st);
                st
            }
            Job::Index(s, mut chunk) => {
                (self.index)(
                    &mut chunk,
                    &self.header,
                    &mut NgIndexer::default(),
                    Span::From(0),
                );
                let mut st = self.lock();
                let at = st.slot(s);
                if let Some(w) = st.work.get_mut(at) {
                    *w = Work::Ready(chunk);
                }
                st.publish();
                self.wake(&st);
                st
            }
        }
    }

    /// Looks (without the lock) until the state changes from `seen`, for at most `spin`.
    fn spin(&self, seen: u64) {
        if self.spin.is_zero() {
            return;
        }
        #[cfg(test)]
        self.looks.fetch_add(1, Ordering::Relaxed);
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                if self.changes.load(Ordering::Acquire) != seen {
                    return;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() > self.spin {
                return;
            }
        }
    }

    /// Tells the readers that the state changed: those looking for a change see it, and
    /// those asleep are woken.
    fn wake(&self, st: &State) {
        self.changes.fetch_add(1, Ordering::Release);
        if st.waiting > 0 {
            self.changed.notify_all();
        }
    }

    /// Reader `reader` takes no more chunks (it is done, or its thread failed): the others
    /// no longer wait for it.
    pub fn leave(&self, reader: usize) {
        let mut st = self.lock();
        if let Some(n) = st.next.get_mut(reader) {
            *n = u64::MAX;
        }
        self.wake(&st);
    }
}

#[cfg(test)]
mod tests;
