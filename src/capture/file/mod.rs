//! Capture files: classic pcap (µs and ns, either byte order), pcapng (any number of
//! sections and interfaces, each with its own link type and timestamp resolution), either
//! one gzip-compressed, from a path or from standard input (`-`); anything but a regular
//! file (standard input, a FIFO, a `/dev/fd` pipe) is opened once and read as a stream.
//!
//! In: a path. Out: each packet to a callback, in file order, and an [`InputSummary`]
//! (format, link types, packet count, warnings). Parsing is pcap-parser's, but for the
//! fixed fields of pcapng Enhanced Packet Blocks (draft §4.3), read in place when the
//! block's lengths agree (`Ng::quick_epb`; any other block goes to pcap-parser); this module
//! adds the streaming loop over a bounded buffer, timestamps in nanoseconds, and damage handling:
//! a file cut mid-record or a record that cannot be parsed ends the input with a warning
//! naming the byte offset, and the packets before it are still analyzed.
//!
//! This file is the reader every caller sees: the entry points ([`read`] and its variants,
//! [`read_shared`], [`shardable`]), the summary of an input, and what every packet adds to
//! it (the capture-time span, times that go backwards). The rest, a room each:
//! - `input`: a path or standard input opened, gzip undone (RFC 1952), decompressed ahead
//!   on a thread of its own when asked, the file's bytes counted for a progress bar;
//! - `stream`: the streaming loop over a bounded buffer, for either format;
//! - `follow`: one input followed as it is written (`--follow`): a stream, or a regular
//!   file read again as it grows, until a stop;
//! - `pcap`: classic pcap records as packets (the libpcap file format);
//! - `pcapng`: pcapng sections, interfaces and packet blocks (draft-ietf-opsawg-pcapng
//!   §3.1, §4.1-4.4);
//! - `chunks`: one reader of a file that several threads share (`capture::shared`);
//! - `damage`: what is said of a damaged or cut record, or of a file that is no capture;
//! - `rotation`: rotated files (which inputs continue each other), a directory as input.

mod chunks;
mod damage;
mod follow;
mod input;
mod pcap;
mod pcapng;
pub mod rotation;
pub mod sequence;
mod stream;
#[cfg(test)]
mod testing;

use crate::vocab::InputSummary;
pub use chunks::{read_shared, ShardSink};
pub(super) use damage::framed_block;
pub use follow::{read_follow, read_follow_until, RingFile, RingState, Stop, Superseded, POLL};
pub(super) use pcap::{link_and_fcs, record_time};
pub(crate) use pcapng::takes_frame_number;
pub(super) use pcapng::NgIndexer;
pub(crate) use stream::whole_record;

use super::Packet;
use crate::error::Error;
use crate::vocab::{LinkType, Timestamp};
pub use input::{is_stream, Compression};
use input::{open, Blocks};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use stream::{read_from, Stream};

/// Bytes of input read so far (file bytes: compressed ones for gzip), for a progress bar.
/// Shared with whoever draws it; the reader adds to it every few MiB.
pub type Progress = Arc<AtomicU64>;

impl InputSummary {
    /// Adds a link type to the list, once.
    fn note_link(&mut self, l: LinkType) {
        if !self.link_types.contains(&l) {
            self.link_types.push(l);
        }
    }

    /// The entry for an input about to be read.
    fn empty(path: &Path, compression: Option<Compression>, bytes: Option<u64>) -> InputSummary {
        InputSummary {
            path: path.display().to_string(),
            format: "pcap",
            gzip: compression == Some(Compression::Gzip),
            compression: compression.map(Compression::name),
            link_types: Vec::new(),
            packets: 0,
            warnings: Vec::new(),
            bytes,
            first_time: None,
            last_time: None,
            truncated: false,
            error: None,
            continues_previous: false,
            packet_offset: 0,
            continuity: None,
            unrelated: false,
            dropped: 0,
            span: None,
            sha256: None,
        }
    }

    /// The entry for an input that could not be read.
    pub fn failed(path: &Path, e: &Error) -> InputSummary {
        InputSummary {
            path: path.display().to_string(),
            format: "unreadable",
            gzip: false,
            compression: None,
            link_types: Vec::new(),
            packets: 0,
            warnings: Vec::new(),
            bytes: None,
            first_time: None,
            last_time: None,
            truncated: false,
            error: Some(e.to_string()),
            continues_previous: false,
            packet_offset: 0,
            continuity: None,
            unrelated: false,
            dropped: 0,
            span: None,
            sha256: None,
        }
    }
}

/// The bytes of the capture at `path`, decompressed when it is compressed, from its start
/// (`wsclose annotate` walks a pcapng's blocks that carry no packet).
pub fn open_bytes(path: &Path) -> Result<Box<dyn Read + Send>, Error> {
    Ok(open(path, None, false)?.reader)
}

/// Reads every packet of `path`, calling `sink` for each. Fatal only when the file cannot
/// be opened or is not a capture at all; damage later in the file becomes a warning.
pub fn read(path: &Path, sink: &mut dyn FnMut(&Packet<'_>)) -> Result<InputSummary, Error> {
    read_counted(path, sink, None)
}

/// [`read`], adding the bytes it reads from the file to `progress` as it goes.
pub fn read_counted(
    path: &Path,
    sink: &mut dyn FnMut(&Packet<'_>),
    progress: Option<Progress>,
) -> Result<InputSummary, Error> {
    read_counted_ahead(path, sink, progress, false, false)
}

/// [`read_counted`]; with `ahead`, a gzip input is decompressed on a thread of its own, a
/// few blocks ahead of the calling thread, so that the decompression (most of the time
/// spent on a gzip input) and the analysis overlap on two cores. With `hash_stream`, an
/// input read as a stream ([`is_stream`]) is hashed as it is read, into
/// [`InputSummary::sha256`].
pub fn read_counted_ahead(
    path: &Path,
    sink: &mut dyn FnMut(&Packet<'_>),
    progress: Option<Progress>,
    ahead: bool,
    hash_stream: bool,
) -> Result<InputSummary, Error> {
    let opened = open(path, progress, hash_stream)?;
    let (summary, tally) = read_opened(path, opened, ahead, sink)?;
    Ok(tally.finish(summary))
}

/// Reads an opened input to its end into `sink`, a compressed one through [`Blocks`] (with
/// `ahead`, decompressed on a thread of its own): its summary, with the stream's hash when
/// one was asked for, and its tally, not yet finished.
fn read_opened(
    path: &Path,
    opened: input::Opened,
    ahead: bool,
    sink: &mut dyn FnMut(&Packet<'_>),
) -> Result<(InputSummary, Tally), Error> {
    let mut reader = opened.reader;
    if opened.compression.is_some() {
        reader = Box::new(Blocks::new(reader, ahead, !opened.stream));
    }
    let mut summary = InputSummary::empty(path, opened.compression, opened.size);
    let mut tally = Tally::default();
    let stream = Stream {
        reader,
        damage: opened.damage,
        base: 0,
        number: 0,
        delivered: 0,
        warned_bad_if: false,
    };
    read_from(path, stream, &mut summary, &mut tally, sink)?;
    summary.sha256 = opened.digest.map(|d| d.finish());
    Ok((summary, tally))
}

/// What every packet of an input adds to its summary: the first and last capture time,
/// times that go backwards; and a warning to give after those. A few instructions a
/// packet, without a branch but for a step back: each reader of a shared file passes every
/// packet of the file through its own (`chunks::read_shared`).
pub(crate) struct Tally {
    /// The earliest and latest time (none seen while `lo > hi`).
    lo: i64,
    hi: i64,
    backwards: Backwards,
    last_warning: Option<String>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            lo: i64::MAX,
            hi: i64::MIN,
            backwards: Backwards::default(),
            last_warning: None,
        }
    }
}

impl Tally {
    fn see(&mut self, p: &Packet<'_>) {
        self.see_at(p.number, p.ts);
    }

    #[inline(always)]
    pub(crate) fn see_at(&mut self, number: u64, ts: Timestamp) {
        self.lo = self.lo.min(ts.0);
        self.hi = self.hi.max(ts.0);
        self.backwards.see(number, ts);
    }

    /// Adds the packets of `part`, which come right after those seen so far: the same as
    /// seeing each of them in turn.
    pub(crate) fn add(&mut self, part: &Part) {
        let (number, ts) = part.first;
        // The step into the part (the part's own first packet made none).
        self.backwards.see(number, ts);
        let t = &part.tally;
        self.lo = self.lo.min(t.lo);
        self.hi = self.hi.max(t.hi);
        let (b, o) = (&mut self.backwards, &t.backwards);
        b.count += o.count;
        b.small += o.small;
        b.first = b.first.or(o.first);
        b.first_small = b.first_small.or(o.first_small);
        (b.last_number, b.last) = (o.last_number, o.last);
    }

    fn span(&self) -> Option<(Timestamp, Timestamp)> {
        (self.lo <= self.hi).then_some((Timestamp(self.lo), Timestamp(self.hi)))
    }

    fn finish(self, mut summary: InputSummary) -> InputSummary {
        let span = self.span();
        summary.warnings.extend(self.backwards.warning());
        summary.warnings.extend(self.last_warning);
        summary.span = span;
        if let Some((a, b)) = span {
            summary.first_time = Some(a.rfc3339());
            summary.last_time = Some(b.rfc3339());
        }
        summary
    }
}

/// The tally of consecutive packets made apart from the rest (by the thread that filled a
/// chunk of a shared file, once for all its readers), to [`Tally::add`] after the packets
/// before them.
pub(crate) struct Part {
    /// Its first packet's number and time.
    first: (u64, Timestamp),
    tally: Tally,
}

impl Part {
    /// A part that starts with packet `number` at `ts`.
    pub(crate) fn new(number: u64, ts: Timestamp) -> Part {
        let mut tally = Tally::default();
        tally.see_at(number, ts);
        Part {
            first: (number, ts),
            tally,
        }
    }

    /// The same part numbered `by` packets later (made before the packets ahead of it
    /// were counted).
    pub(crate) fn shift(&mut self, by: u64) {
        let b = &mut self.tally.backwards;
        self.first.0 += by;
        b.last_number += by;
        for (n, prev, _) in b.first.iter_mut().chain(b.first_small.iter_mut()) {
            (*n, *prev) = (*n + by, *prev + by);
        }
    }

    /// The part's next packet.
    #[inline(always)]
    pub(crate) fn see_at(&mut self, number: u64, ts: Timestamp) {
        self.tally.see_at(number, ts);
    }
}

/// Capture times that go backwards in file order by at least [`BACKWARDS_NOTED_NS`], or
/// else by at least [`OUT_OF_ORDER_NS`]: how often, and the first time, for one warning per
/// input. Packets are analyzed in file order whatever their times; a time out of order
/// skews the delays computed across it, and a packet captured again on another interface
/// is told from a retransmission only when its copy comes soon after it in the file
/// (dumpcap with several interfaces writes each one's packets in bursts). Smaller steps
/// back are left unsaid: captures on several CPUs or queues have them by the dozen (tens
/// of microseconds) and they change no figure a user reads.
struct Backwards {
    /// The previous packet's number and time (`i64::MIN` before the first: no time is
    /// earlier than it by a positive amount).
    last_number: u64,
    last: i64,
    /// Steps back of a second or more, and of [`OUT_OF_ORDER_NS`] or more.
    count: u64,
    small: u64,
    /// The first packet a second (`first`), or [`OUT_OF_ORDER_NS`] (`first_small`), earlier than
    /// the one before it: (its number, the previous packet's number, how far back in
    /// nanoseconds).
    first: Option<(u64, u64, i64)>,
    first_small: Option<(u64, u64, i64)>,
}

impl Default for Backwards {
    fn default() -> Backwards {
        Backwards {
            last_number: 0,
            last: i64::MIN,
            count: 0,
            small: 0,
            first: None,
            first_small: None,
        }
    }
}

impl Backwards {
    #[inline(always)]
    fn see(&mut self, number: u64, ts: Timestamp) {
        let back = self.last.saturating_sub(ts.0);
        if back >= OUT_OF_ORDER_NS {
            self.step_back(number, back);
        }
        self.last_number = number;
        self.last = ts.0;
    }

    #[cold]
    fn step_back(&mut self, number: u64, back: i64) {
        let prev = self.last_number;
        self.small += 1;
        self.first_small.get_or_insert((number, prev, back));
        if back >= BACKWARDS_NOTED_NS {
            self.count += 1;
            self.first.get_or_insert((number, prev, back));
        }
    }

    fn warning(&self) -> Option<String> {
        let ((n, prev, back), count, unit) = match (self.first, self.first_small) {
            (Some(first), _) => (first, self.count, "a second"),
            (None, Some(first)) => (first, self.small, "10 ms"),
            (None, None) => return None,
        };
        let others = match count {
            0 | 1 => String::new(),
            c => format!(
                " ({} more packets are {unit} or more earlier than the one before them)",
                c - 1
            ),
        };
        Some(format!(
            "capture times go backwards: packet {n} is {:.6} s earlier than packet {prev}{others}; \
             packets are analyzed in file order, but delays and durations spanning such a packet may be wrong, \
             and a packet captured on two interfaces counts as a retransmission unless its copy follows it closely \
             (`reordercap IN OUT` writes a copy of the file in time order)",
            back as f64 / 1e9
        ))
    }
}

/// A step back in capture time worth a warning on its own: one second.
const BACKWARDS_NOTED_NS: i64 = 1_000_000_000;

/// A step back in capture time that says the file is out of order (several interfaces
/// written in bursts, files merged by hand): 10 ms, far above the jitter between the CPUs,
/// queues or interfaces of one capture written as it goes (a millisecond at most).
const OUT_OF_ORDER_NS: i64 = 10_000_000;

/// The size of `path` if it is a regular, uncompressed classic pcap or pcapng file: the
/// kind several threads can share, read once ([`super::shared::SharedFile`]), each going on alone from a
/// damaged record (see `analyze_files_with_progress`). A stream ([`is_stream`]) is not
/// opened.
pub fn shardable(path: &Path) -> Option<u64> {
    if is_stream(path) {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic).ok()?;
    let known = matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    );
    (meta.is_file() && known).then_some(meta.len())
}

/// The packet of a classic pcap record or of an Enhanced Packet Block (as
/// [`legacy_packet`](pcap::legacy_packet) and [`Ng::enhanced`](pcapng::Ng::enhanced) make
/// them), for the index of a shared file: its time, where its captured bytes start in the
/// record or block and how many there are, its length on the wire, its link type, and its
/// interface ID in its pcapng section (unused in a classic pcap file).
pub(super) struct Found {
    pub ts: Timestamp,
    pub at: usize,
    pub len: usize,
    pub orig_len: u32,
    pub link: LinkType,
    pub iface: u32,
}

/// A little- or big-endian u32 at `at` in `data`.
pub(super) fn word(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}
