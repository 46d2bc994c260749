//! Capture files: classic pcap (µs and ns, either byte order), pcapng (any number of
//! sections and interfaces, each with its own link type and timestamp resolution), either
//! one gzip-compressed, from a path or from standard input (`-`).
//!
//! In: a path. Out: each packet to a callback, in file order, and an [`InputSummary`]
//! (format, link types, packet count, warnings). Parsing is pcap-parser's, but for the
//! fixed fields of pcapng Enhanced Packet Blocks (draft §4.3), read in place when the
//! block's lengths agree (`Ng::quick_epb`; any other block goes to pcap-parser); this module
//! adds the streaming loop over a bounded buffer, timestamps in nanoseconds, and damage handling:
//! a file cut mid-record or a record that cannot be parsed ends the input with a warning
//! naming the byte offset, and the packets before it are still analyzed.

pub use super::shared::SharedFile;
use super::shared::{End, ANY};
use super::{LinkType, Packet, Timestamp};
use crate::decode::Plain;
use crate::error::Error;
use pcap_parser::pcapng::Block;
use pcap_parser::{LegacyPcapBlock, PcapBlockOwned, PcapError};
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// Bytes of input read so far (file bytes: compressed ones for gzip), for a progress bar.
/// Shared with whoever draws it; the reader adds to it every few MiB.
pub type Progress = Arc<AtomicU64>;

/// Counts the bytes read from the file itself (before any decompression).
struct Counted<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What a run learned about one input, for the report's `inputs` array.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InputSummary {
    pub path: String,
    /// "pcap" or "pcapng".
    pub format: &'static str,
    pub gzip: bool,
    pub link_types: Vec<LinkType>,
    pub packets: u64,
    pub warnings: Vec<String>,
    /// Size of the file in bytes (compressed size for gzip), when known.
    pub bytes: Option<u64>,
    /// Capture time of the first and last packet (RFC 3339), when there were packets.
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Reading stopped before the end of the data (cut or damaged file).
    pub truncated: bool,
    /// Why the input could not be read at all (the other inputs are still analyzed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl InputSummary {
    /// The entry for an input about to be read.
    /// Adds a link type to the list, once.
    fn note_link(&mut self, l: LinkType) {
        if !self.link_types.contains(&l) {
            self.link_types.push(l);
        }
    }

    fn empty(path: &Path, gzip: bool, bytes: Option<u64>) -> InputSummary {
        InputSummary {
            path: path.display().to_string(),
            format: "pcap",
            gzip,
            link_types: Vec::new(),
            packets: 0,
            warnings: Vec::new(),
            bytes,
            first_time: None,
            last_time: None,
            truncated: false,
            error: None,
        }
    }

    /// The entry for an input that could not be read.
    pub fn failed(path: &Path, e: &Error) -> InputSummary {
        InputSummary {
            path: path.display().to_string(),
            format: "unreadable",
            gzip: false,
            link_types: Vec::new(),
            packets: 0,
            warnings: Vec::new(),
            bytes: None,
            first_time: None,
            last_time: None,
            truncated: false,
            error: Some(e.to_string()),
        }
    }
}

/// Reader buffer to start with: room for any ordinary packet record (a 64 KiB offloaded
/// segment included), and small (a memory map instead costs resident pages that the kernel
/// maps ahead in large folios: 2-4 MiB more peak RSS, for no gain in time).
const BUFFER: usize = 256 << 10;

/// What the reader buffer may grow to for one record. A record larger than this (far
/// beyond any real packet, even a 256 KiB offloaded segment) means the file is damaged
/// there.
const BUFFER_MAX: usize = 2 << 20;

/// Opens `path` ("-" for standard input), undoing gzip when the data starts with its magic.
/// An opened input: the (decompressed) byte stream, whether it was gzip, its size on disk,
/// and where a damaged gzip stream will say it stopped.
type Opened = (Box<dyn Read + Send>, bool, Option<u64>, Damage);

/// Set when the decompressed stream ended in an error: (bytes delivered before, why).
type Damage = Arc<Mutex<Option<(u64, String)>>>;

/// A gzip stream that ends at its first error instead of failing the whole input: what was
/// decompressed before the damage is still analyzed, and the damage becomes a warning.
struct Tolerant<R> {
    inner: R,
    delivered: u64,
    damage: Damage,
}

impl<R: Read> Read for Tolerant<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.delivered += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                if let Ok(mut d) = self.damage.lock() {
                    d.get_or_insert((self.delivered, e.to_string()));
                }
                Ok(0)
            }
        }
    }
}

/// Decompressed bytes per block of a gzip input.
const BLOCK: usize = 256 << 10;

/// Blocks decompressed ahead of the reader, when a thread decompresses (memory: this
/// many blocks, plus the one being filled and the one being read).
const AHEAD_BLOCKS: usize = 2;

/// Reads `inner` into `buf` until it holds [`BLOCK`] bytes or `inner` ends. The same reads,
/// whichever thread makes them: a damaged gzip stream gives the same bytes before its
/// damage (how much a decoder hands over before an error depends on the reads), so the
/// report is the same with or without the decompressing thread.
fn fill_block(inner: &mut dyn Read, buf: &mut Vec<u8>) {
    buf.resize(BLOCK, 0);
    let mut have = 0;
    while have < BLOCK {
        match inner.read(buf.get_mut(have..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // `Tolerant` already turned a gzip error into an end and a recorded damage.
            Err(_) => break,
        }
    }
    buf.truncate(have);
}

/// Where a gzip input's decompressed blocks come from.
enum Source {
    /// This thread decompresses each block when the reader needs it.
    Here(Box<dyn Read + Send>),
    /// A thread of its own decompresses up to [`AHEAD_BLOCKS`] blocks ahead; emptied
    /// blocks go back to it to be filled again. Dropping the reader ends the thread after
    /// the block it is filling, and waits for that when the input is a file (`thread`),
    /// so that no thread outlives the analysis of a file; not for standard input, where
    /// the block may wait for bytes that never come.
    Ahead {
        blocks: mpsc::Receiver<Vec<u8>>,
        spent: mpsc::SyncSender<Vec<u8>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

impl Drop for Blocks {
    fn drop(&mut self) {
        let source = std::mem::replace(&mut self.source, Source::Here(Box::new(io::empty())));
        if let Source::Ahead {
            blocks,
            spent,
            thread,
        } = source
        {
            // With the channels gone, the thread's next send fails and it ends.
            drop((blocks, spent));
            if let Some(t) = thread {
                let _ = t.join();
            }
        }
    }
}

/// A gzip input read a block at a time (see [`fill_block`]).
struct Blocks {
    source: Source,
    current: Vec<u8>,
    pos: usize,
}

impl Blocks {
    /// `wait`: the input is a file, whose reads end (see [`Source::Ahead`]).
    fn new(inner: Box<dyn Read + Send>, ahead: bool, wait: bool) -> Blocks {
        let source = if ahead {
            Self::ahead(inner, wait)
        } else {
            Source::Here(inner)
        };
        Blocks {
            source,
            current: Vec::new(),
            pos: 0,
        }
    }
}

impl Blocks {
    /// The decompressing thread, handed `inner` once it runs; if no thread can be made,
    /// this thread keeps `inner` and decompresses itself.
    fn ahead(inner: Box<dyn Read + Send>, wait: bool) -> Source {
        let (full, blocks) = mpsc::sync_channel::<Vec<u8>>(AHEAD_BLOCKS);
        let (spent, empty) = mpsc::sync_channel::<Vec<u8>>(AHEAD_BLOCKS + 2);
        let (hand, take) = mpsc::sync_channel::<Box<dyn Read + Send>>(1);
        let spawned = std::thread::Builder::new()
            .name("wsclose-gunzip".into())
            .spawn(move || {
                let Ok(mut inner) = take.recv() else { return };
                loop {
                    let mut buf = empty.try_recv().unwrap_or_default();
                    fill_block(&mut *inner, &mut buf);
                    let end = buf.is_empty();
                    // An empty block is the end; a failed send, a reader that is gone.
                    if full.send(buf).is_err() || end {
                        break;
                    }
                }
            });
        let Ok(thread) = spawned else {
            return Source::Here(inner);
        };
        match hand.send(inner) {
            Ok(()) => Source::Ahead {
                blocks,
                spent,
                thread: wait.then_some(thread),
            },
            Err(mpsc::SendError(inner)) => Source::Here(inner),
        }
    }
}

impl Read for Blocks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.current.len() {
            match &mut self.source {
                Source::Here(inner) => fill_block(&mut **inner, &mut self.current),
                Source::Ahead { blocks, spent, .. } => {
                    let next = blocks.recv().unwrap_or_default();
                    let done = std::mem::replace(&mut self.current, next);
                    // The thread reuses the buffer; if it is gone, the buffer is dropped.
                    let _ = spent.try_send(done);
                }
            }
            self.pos = 0;
            if self.current.is_empty() {
                return Ok(0);
            }
        }
        let rest = self.current.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        self.pos += n;
        Ok(n)
    }
}

fn open(path: &Path, progress: Option<Progress>) -> Result<Opened, Error> {
    let map_err = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            path: path.to_path_buf(),
        },
        _ => Error::Io {
            path: path.to_path_buf(),
            source: e,
        },
    };
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(path).map_err(map_err)?;
        let meta = f.metadata().map_err(map_err)?;
        if meta.is_dir() {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::other("is a directory, not a capture file"),
            });
        }
        (Box::new(f), Some(meta.len()))
    };
    let raw: Box<dyn Read + Send> = match progress {
        Some(progress) => Box::new(Counted {
            inner: raw,
            progress,
        }),
        None => raw,
    };
    let mut buf = BufReader::with_capacity(64 * 1024, raw);
    let head = buf.fill_buf().map_err(map_err)?;
    let damage: Damage = Arc::default();
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = Tolerant {
            inner: flate2::read::MultiGzDecoder::new(buf),
            delivered: 0,
            damage: Arc::clone(&damage),
        };
        Ok((Box::new(gz), true, size, damage))
    } else {
        Ok((Box::new(buf), false, size, damage))
    }
}

/// Per-interface facts from a pcapng Interface Description Block.
#[derive(Clone, Copy)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    resolution: u64,
    offset: i64,
    snaplen: u32,
}

/// What reading pcapng keeps from block to block: the current section's byte order and
/// interfaces (RFC-draft pcapng §4.1-4.3).
#[derive(Default)]
struct Ng {
    big_endian: bool,
    interfaces: Vec<Interface>,
    warned_bad_if: bool,
}

impl Ng {
    /// Parses the block at the start of `data` in the current section's byte order.
    fn parse<'a>(&self, data: &'a [u8]) -> nom::IResult<&'a [u8], Block<'a>, PcapError<&'a [u8]>> {
        if self.big_endian {
            pcap_parser::pcapng::parse_block_be(data)
        } else {
            pcap_parser::pcapng::parse_block_le(data)
        }
    }

    /// One block: a section or interface into the state (and its link type into
    /// `summary`), a packet to `sink`, numbered after `number`; other blocks are skipped.
    fn block(
        &mut self,
        block: &Block<'_>,
        number: &mut u64,
        summary: &mut InputSummary,
        sink: &mut dyn FnMut(&Packet<'_>),
    ) {
        summary.format = "pcapng";
        if let Some(link) = self.learn(block) {
            summary.note_link(link);
        }
        match block {
            Block::EnhancedPacket(epb) => self.enhanced(
                &Epb {
                    if_id: epb.if_id,
                    ts_high: epb.ts_high,
                    ts_low: epb.ts_low,
                    caplen: epb.caplen,
                    origlen: epb.origlen,
                    data: epb.data,
                },
                number,
                summary,
                sink,
            ),
            Block::SimplePacket(spb) => {
                *number += 1;
                if let Some(iface) = self.interfaces.first().copied() {
                    let mut caplen = spb.data.len().min(spb.origlen as usize);
                    if iface.snaplen > 0 {
                        caplen = caplen.min(iface.snaplen as usize);
                    }
                    sink(&Packet {
                        number: *number,
                        ts: Timestamp(0),
                        link: iface.link,
                        data: spb.data.get(..caplen).unwrap_or(spb.data),
                        orig_len: spb.origlen.max(caplen as u32),
                    });
                }
            }
            _ => {}
        }
    }

    /// A section's byte order (and the end of its interfaces), or an interface, into the
    /// state; the new interface's link type.
    fn learn(&mut self, block: &Block<'_>) -> Option<LinkType> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.interfaces.clear();
                None
            }
            Block::InterfaceDescription(idb) => {
                let link = LinkType(idb.linktype.0 as u32);
                self.interfaces.push(Interface {
                    link,
                    resolution: idb.ts_resolution().unwrap_or(1_000_000),
                    offset: idb.ts_offset(),
                    snaplen: idb.snaplen,
                });
                Some(link)
            }
            _ => None,
        }
    }

    /// The Enhanced Packet Block at the start of `data`, with the bytes after it, read in
    /// place: its fixed fields at their offsets (pcapng draft §4.3: type, total length,
    /// interface, timestamp high and low, captured and original length, then the data
    /// padded to 32 bits, options, the total length again), its options skipped (none is
    /// used). `None` for any other block, and for one whose lengths do not all agree, which
    /// pcap-parser then reads, or refuses, as any block. pcap-parser's general block
    /// parser cost about 300 instructions a packet here, most of the reading of a pcapng
    /// capture, read by every analyzer thread.
    fn quick_epb<'a>(&self, data: &'a [u8]) -> Option<(Epb<'a>, &'a [u8])> {
        let be = self.big_endian;
        // The seven 32-bit fields before the data, in the section's byte order.
        let mut fixed = [0u32; 7];
        for (field, b) in fixed.iter_mut().zip(data.get(..EPB_DATA)?.chunks_exact(4)) {
            let b: [u8; 4] = b.try_into().unwrap_or_default();
            *field = if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
        }
        let [kind, len, if_id, ts_high, ts_low, caplen, origlen] = fixed;
        // The data, padded to 32 bits, must fit between the fixed fields and the trailer.
        if kind != EPB || len < 32 || u64::from(caplen).next_multiple_of(4) > u64::from(len - 32) {
            return None;
        }
        let end = usize::try_from(len).ok()?;
        if word(data, end - 4, be)? != len {
            return None;
        }
        let epb = Epb {
            if_id,
            ts_high,
            ts_low,
            caplen,
            origlen,
            data: data.get(EPB_DATA..EPB_DATA + caplen as usize)?,
        };
        Some((epb, data.get(end..)?))
    }

    /// One Enhanced Packet Block's packet to `sink`, numbered after `number`.
    fn enhanced(
        &mut self,
        epb: &Epb<'_>,
        number: &mut u64,
        summary: &mut InputSummary,
        sink: &mut dyn FnMut(&Packet<'_>),
    ) {
        *number += 1;
        let Some(iface) = self.interfaces.get(epb.if_id as usize).copied() else {
            if !self.warned_bad_if {
                self.warned_bad_if = true;
                summary.warnings.push(format!(
                    "packet {number} names interface {} but the file describes only {}; such packets were skipped",
                    epb.if_id,
                    self.interfaces.len()
                ));
            }
            return;
        };
        let (ts, caplen, orig_len) = epb.on(iface);
        sink(&Packet {
            number: *number,
            ts,
            link: iface.link,
            data: epb.data.get(..caplen).unwrap_or(epb.data),
            orig_len,
        });
    }
}

/// What the thread that reads the chunks of a shared pcapng file keeps from block to block
/// to index them (`shared::Chunk::index`): the sections' byte order and interfaces, as
/// each reader's own [`Ng`] learns them from the same blocks.
#[derive(Default)]
pub(super) struct NgIndexer(Ng);

/// The packet of a classic pcap record or of an Enhanced Packet Block (as
/// [`legacy_packet`] and [`Ng::enhanced`] make them), for the index of a shared file: its
/// time, where its captured bytes start in the record or block and how many there are, its
/// length on the wire, its link type.
pub(super) struct Found {
    pub ts: Timestamp,
    pub at: usize,
    pub len: usize,
    pub orig_len: u32,
    pub link: LinkType,
}

impl NgIndexer {
    /// The block at the start of `data`: its length, and the packet of an Enhanced Packet
    /// Block that [`Ng::quick_epb`] reads, on a described interface (any other block, a
    /// reader reads itself). `None` when the block does not parse (the readers go on alone
    /// from there).
    pub(super) fn next(&mut self, data: &[u8]) -> Option<(usize, Option<Found>)> {
        let ng = &mut self.0;
        if let Some((epb, rest)) = ng.quick_epb(data) {
            let len = data.len() - rest.len();
            let packet = ng.interfaces.get(epb.if_id as usize).map(|&iface| {
                let (ts, len, orig_len) = epb.on(iface);
                Found {
                    ts,
                    at: EPB_DATA,
                    len,
                    orig_len,
                    link: iface.link,
                }
            });
            return Some((len, packet));
        }
        let (rest, block) = ng.parse(data).ok()?;
        ng.learn(&block);
        Some((data.len() - rest.len(), None))
    }
}

/// Where an Enhanced Packet Block's data starts (after seven 32-bit fields).
const EPB_DATA: usize = 28;

/// The block type of an Enhanced Packet Block (pcapng draft §4.3).
const EPB: u32 = 6;

/// The fields of an Enhanced Packet Block that make a packet.
struct Epb<'a> {
    if_id: u32,
    ts_high: u32,
    ts_low: u32,
    caplen: u32,
    origlen: u32,
    /// The packet data (at least `caplen` bytes).
    data: &'a [u8],
}

impl Epb<'_> {
    /// Its packet's time, captured bytes and length on the wire, on interface `iface`.
    fn on(&self, iface: Interface) -> (Timestamp, usize, u32) {
        let caplen = (self.caplen as usize).min(self.data.len());
        let ts = ng_timestamp(self.ts_high, self.ts_low, iface);
        (ts, caplen, self.origlen.max(caplen as u32))
    }
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
    read_counted_ahead(path, sink, progress, false)
}

/// [`read_counted`]; with `ahead`, a gzip input is decompressed on a thread of its own, a
/// few blocks ahead of the calling thread, so that the decompression (most of the time
/// spent on a gzip input) and the analysis overlap on two cores.
pub fn read_counted_ahead(
    path: &Path,
    sink: &mut dyn FnMut(&Packet<'_>),
    progress: Option<Progress>,
    ahead: bool,
) -> Result<InputSummary, Error> {
    let (mut reader, gzip, bytes, damage) = open(path, progress)?;
    if gzip {
        reader = Box::new(Blocks::new(reader, ahead, path.as_os_str() != "-"));
    }
    let mut summary = InputSummary::empty(path, gzip, bytes);
    let mut tally = Tally::default();
    let stream = Stream {
        reader,
        damage,
        base: 0,
        number: 0,
        delivered: 0,
        warned_bad_if: false,
    };
    read_from(path, stream, &mut summary, &mut tally, sink)?;
    Ok(tally.finish(summary))
}

/// [`read_counted`] for reader `reader` of a file read once for several threads: its
/// packets come from the chunks they share; from the first record that is not shared (a
/// damaged or cut one), this reader reads on alone, with the same warnings as
/// [`read_counted`]. Every reader sees every packet.
pub fn read_shared(
    path: &Path,
    shared: &SharedFile,
    reader: usize,
    sink: &mut impl ShardSink,
    progress: Option<Progress>,
) -> Result<InputSummary, Error> {
    /// Leaves the shared reader however this thread ends, so the others never wait for it.
    struct Leave<'a>(&'a SharedFile, usize);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.leave(self.1);
        }
    }
    let leave = Leave(shared, reader);
    let header = shared.header();
    let mut summary = InputSummary::empty(path, false, Some(shared.size()));
    if !header.ng {
        summary.link_types.push(header.link);
    }
    let mut tally = Tally::default();
    let mut ng = Ng::default();
    let mut end = None;
    let mut packets = 0;
    let mut prev = None;
    'chunks: while let Some(chunk) = shared.next(reader, prev.take(), &mut || sink.idle()) {
        let mut number = chunk.number;
        let records = chunk.records();
        // What the thread that read the chunk found in its records or blocks, in order
        // (`Chunk::index`); the ones it does not cover are read here as they come.
        let mut index = chunk.index().iter();
        let mut data = records;
        // The chunk holds whole records or blocks only. A pcapng block may still not parse:
        // this reader goes on alone from there (every reader stops at the same block).
        while !data.is_empty() {
            if let Some(rec) = index.next() {
                let next = records.get(rec.end as usize..).unwrap_or_default();
                if rec.owner != ANY {
                    number += 1;
                    if usize::from(rec.owner) == reader {
                        let p = rec.packet(records, number);
                        tally.see(&p);
                        sink.plain(&p, rec.plain);
                    } else {
                        tally.see_at(number, rec.ts);
                        sink.elsewhere(rec.ts);
                    }
                    data = next;
                    continue;
                }
                if !header.ng {
                    number += 1;
                    let p = rec.packet(records, number);
                    tally.see(&p);
                    sink.packet(&p);
                    data = next;
                    continue;
                }
                // A pcapng block every reader reads: below, as without the index.
            }
            if header.ng {
                if let Some((epb, rest)) = ng.quick_epb(data) {
                    ng.enhanced(&epb, &mut number, &mut summary, &mut |p| {
                        tally.see(p);
                        sink.packet(p)
                    });
                    data = rest;
                    continue;
                }
                let Ok((rest, block)) = ng.parse(data) else {
                    let offset = chunk.offset + (records.len() - data.len()) as u64;
                    end = Some(End::Resume { offset, number });
                    break 'chunks;
                };
                ng.block(&block, &mut number, &mut summary, &mut |p| {
                    tally.see(p);
                    sink.packet(p)
                });
                data = rest;
            } else {
                let parsed = if header.big_endian {
                    pcap_parser::pcap::parse_pcap_frame_be(data)
                } else {
                    pcap_parser::pcap::parse_pcap_frame(data)
                };
                let Ok((rest, b)) = parsed else { break };
                number += 1;
                let p = legacy_packet(&b, number, header.link, header.nanos);
                tally.see(&p);
                sink.packet(&p);
                data = rest;
            }
        }
        packets = chunk.number + chunk.count;
        end = chunk.end;
        prev = Some(chunk);
    }
    drop(leave);
    if let Some(End::Resume { offset, number }) = end {
        // A pcapng file is read again from its start: its sections and interfaces are
        // known only from there.
        let stream = if header.ng {
            reopen(path, number, ng.warned_bad_if)
        } else {
            open_at(path, offset, number, progress)
        };
        match stream {
            Ok(stream) => read_from(path, stream, &mut summary, &mut tally, &mut |p| {
                sink.packet(p)
            })?,
            // The packets before were analyzed: say where reading stopped, not that the
            // input could not be read.
            Err(e) => {
                summary.packets = number;
                summary.truncated = true;
                summary.warnings.push(format!(
                    "reading stopped at {}: {e}; {} (run again on a copy of the file that nothing moves or changes)",
                    which_record(summary.format, number, offset),
                    analyzed_before(number)
                ));
            }
        }
    } else {
        summary.packets = packets;
    }
    Ok(tally.finish(summary))
}

/// What reader `k` of a shared file hands each packet to: the analyzer of shard `k` (of as
/// many shards as readers; see [`Chunk::index`](super::shared::Chunk::index)).
pub trait ShardSink {
    /// A packet to analyze: this reader's shard's, or one that must be decoded to know.
    fn packet(&mut self, p: &Packet<'_>);
    /// A packet of this reader's shard, found plain TCP with its parts at `plain`.
    fn plain(&mut self, p: &Packet<'_>, plain: Plain);
    /// A packet at `ts` of a plain TCP flow another reader's shard owns.
    fn elsewhere(&mut self, ts: Timestamp);
    /// This reader must wait for another: one piece of work that can wait (false when
    /// there is none).
    fn idle(&mut self) -> bool {
        false
    }
}

/// A classic pcap record as a packet: times in nanoseconds (a fraction past its unit's
/// second is clamped), the captured bytes no longer than the record holds.
fn legacy_packet<'a>(
    b: &LegacyPcapBlock<'a>,
    number: u64,
    link: LinkType,
    nanos: bool,
) -> Packet<'a> {
    let caplen = (b.caplen as usize).min(b.data.len());
    Packet {
        number,
        ts: record_time(b.ts_sec, b.ts_usec, nanos),
        link,
        data: b.data.get(..caplen).unwrap_or(b.data),
        orig_len: b.origlen.max(caplen as u32),
    }
}

/// A classic pcap record's time from its header's two words, in nanoseconds (a fraction
/// past its unit's second is clamped).
pub(super) fn record_time(secs: u32, fraction: u32, nanos: bool) -> Timestamp {
    let frac = if nanos {
        fraction.min(999_999_999)
    } else {
        fraction.min(999_999).saturating_mul(1000)
    };
    Timestamp::from_parts(i64::from(secs), frac)
}

/// Opens a plain classic pcap file at the record at byte `offset`, after packet `number`:
/// its global header, then the file from there.
fn open_at(
    path: &Path,
    offset: u64,
    number: u64,
    progress: Option<Progress>,
) -> Result<Stream, Error> {
    let io = |e: io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut f = File::open(path).map_err(io)?;
    let mut head = [0u8; HEADER_LEN];
    f.read_exact(&mut head).map_err(io)?;
    f.seek(io::SeekFrom::Start(offset)).map_err(io)?;
    let rest: Box<dyn Read + Send> = match progress {
        Some(progress) => Box::new(Counted { inner: f, progress }),
        None => Box::new(f),
    };
    Ok(Stream {
        reader: Box::new(io::Cursor::new(head).chain(rest)),
        damage: Arc::default(),
        base: offset.saturating_sub(HEADER_LEN as u64),
        number,
        delivered: 0,
        warned_bad_if: false,
    })
}

/// A pcapng file from its start for a [`read_shared`] reader that goes on alone from packet
/// `number`: its sections and interfaces are only known from the blocks before, so they
/// are read again, and the packets up to `number` are not delivered again (nor is the
/// warning about undescribed interfaces given again, if `warned`).
fn reopen(path: &Path, number: u64, warned: bool) -> Result<Stream, Error> {
    let f = File::open(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(Stream {
        reader: Box::new(f),
        damage: Arc::default(),
        base: 0,
        number: 0,
        delivered: number,
        warned_bad_if: warned,
    })
}

/// The classic pcap global header's length.
const HEADER_LEN: usize = 24;

/// What every packet of an input adds to its summary: the first and last capture time,
/// times that go backwards; and a warning to give after those.
#[derive(Default)]
struct Tally {
    span: Option<(Timestamp, Timestamp)>,
    backwards: Backwards,
    last_warning: Option<String>,
}

impl Tally {
    fn see(&mut self, p: &Packet<'_>) {
        self.see_at(p.number, p.ts);
    }

    fn see_at(&mut self, number: u64, ts: Timestamp) {
        self.span = Some(match self.span {
            None => (ts, ts),
            Some((a, b)) => (a.min(ts), b.max(ts)),
        });
        self.backwards.see(number, ts);
    }

    fn finish(self, mut summary: InputSummary) -> InputSummary {
        summary.warnings.extend(self.backwards.warning());
        summary.warnings.extend(self.last_warning);
        if let Some((a, b)) = self.span {
            summary.first_time = Some(a.rfc3339());
            summary.last_time = Some(b.rfc3339());
        }
        summary
    }
}

/// The byte stream of one input for [`read_from`]: from its start, or (a plain classic
/// pcap file) from a record in the middle.
struct Stream {
    /// Its (decompressed) bytes, starting with the capture's header.
    reader: Box<dyn Read + Send>,
    damage: Damage,
    /// Added to the reader's offsets to give the file's in warnings: 0 from the start; for
    /// the header followed by the file from a record on, that record's offset less the
    /// header's length.
    base: u64,
    /// Packets before the stream's first record.
    number: u64,
    /// Packets up to this number were delivered already (read from chunks shared with
    /// other threads): they are read again, for the state they set, but not delivered.
    delivered: u64,
    /// The warning about packets of undescribed pcapng interfaces was given already.
    warned_bad_if: bool,
}

/// The reading loop of [`read_counted`] and of a [`read_shared`] reader that goes on alone:
/// every packet of `stream` to `sink` (through `tally`), its format, link types, packet
/// count and damage into `summary`.
fn read_from(
    path: &Path,
    stream: Stream,
    summary: &mut InputSummary,
    tally: &mut Tally,
    sink: &mut dyn FnMut(&Packet<'_>),
) -> Result<(), Error> {
    let Stream {
        reader,
        damage,
        base,
        number: first,
        delivered,
        warned_bad_if,
    } = stream;
    let gzip = summary.gzip;
    let bytes = summary.bytes;
    let damaged = || damage.lock().ok().and_then(|d| d.clone());
    let mut sink = |p: &Packet<'_>| {
        if p.number > delivered {
            tally.see(p);
            sink(p)
        }
    };
    let mut reader = match pcap_parser::create_reader(BUFFER, reader) {
        Ok(r) => r,
        Err(e) => {
            if let Some((at, why)) = damaged() {
                return Err(Error::BadGzip {
                    path: path.to_path_buf(),
                    detail: format!(
                        "it fails after {at} decompressed bytes, before a capture header: {why}"
                    ),
                });
            }
            if gzip {
                return Err(Error::NotACapture {
                    path: path.to_path_buf(),
                    magic: "gzip data that, decompressed, is not a pcap or pcapng capture either"
                        .into(),
                });
            }
            return Err(header_error(path, e));
        }
    };
    let mut capacity = BUFFER;
    let mut legacy: Option<(LinkType, bool)> = None;
    // Byte order of the classic header or of the current pcapng section, to read the
    // length fields of a record that fails to parse.
    let mut big_endian = false;
    let mut ng = Ng {
        warned_bad_if,
        ..Ng::default()
    };
    let mut number: u64 = first;
    // Records are consumed without shifting the buffer: pcap-parser's `consume` moves the
    // unread half of the buffer to its start each time more than half is read (about half of
    // the file copied once more); `refill` moves only the unfinished record left at the end.
    loop {
        // Enhanced packet blocks read in place, as the shared reader does; the reader's
        // state (its section's byte order) changes only at blocks that go through it.
        if summary.format == "pcapng" {
            let data = reader.data();
            if let Some((epb, rest)) = ng.quick_epb(data) {
                let used = data.len() - rest.len();
                ng.enhanced(&epb, &mut number, summary, &mut sink);
                reader.consume_noshift(used);
                continue;
            }
        }
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let link = LinkType(h.network.0 as u32);
                        summary.note_link(link);
                        legacy = Some((link, h.is_nanosecond_precision()));
                        big_endian = h.is_bigendian();
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let (link, nanos) = legacy.unwrap_or((LinkType::ETHERNET, false));
                        number += 1;
                        sink(&legacy_packet(&b, number, link, nanos));
                    }
                    PcapBlockOwned::NG(block) => {
                        ng.block(&block, &mut number, summary, &mut sink);
                        big_endian = ng.big_endian;
                    }
                }
                reader.consume_noshift(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                let at = reader.consumed() + base as usize;
                if reader.refill().is_err() {
                    summary.warnings.push(format!(
                        "reading stopped at {}: the input could not be read further; {}",
                        which_record(summary.format, number, at),
                        analyzed_before(number)
                    ));
                    summary.truncated = true;
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                let problem = record_problem(reader.data(), summary.format, big_endian, true);
                summary.warnings.push(cut_warning(
                    problem,
                    summary.format,
                    number,
                    reader.consumed() + base as usize,
                ));
                summary.truncated = true;
                break;
            }
            Err(PcapError::BufferTooSmall) => {
                let at = reader.consumed() + base as usize;
                // Bytes of the file from this record on (a plain file's offsets are the
                // reader's; a gzip stream's are not).
                let left = bytes
                    .filter(|_| !gzip)
                    .map(|size| size.saturating_sub(at as u64));
                let declared = declared_len(reader.data(), summary.format, big_endian);
                if let (Some(left), Some(len)) = (left, declared) {
                    if len > left {
                        // It runs past the end of the file: cut short, or a damaged length.
                        let problem = record_problem_in(
                            reader.data(),
                            left,
                            summary.format,
                            big_endian,
                            true,
                        );
                        summary
                            .warnings
                            .push(cut_warning(problem, summary.format, number, at));
                        summary.truncated = true;
                        break;
                    }
                }
                if capacity < BUFFER_MAX {
                    // A record larger than the buffer: room for it (twice the buffer, or
                    // what it declares, up to the most allowed), then read on.
                    let want = declared.map_or(BUFFER_MAX, |len| {
                        usize::try_from(len).unwrap_or(usize::MAX).saturating_mul(2)
                    });
                    capacity = want.max(2 * capacity).min(BUFFER_MAX);
                    if reader.grow(capacity) {
                        continue;
                    }
                }
                let declared = declares(reader.data(), summary.format, big_endian)
                    .unwrap_or_else(|| "declares a size".into());
                summary.warnings.push(format!(
                    "{} {declared}, more than {} MiB; the file is damaged there and reading stopped",
                    which_record(summary.format, number, at),
                    BUFFER_MAX >> 20
                ));
                summary.truncated = true;
                break;
            }
            Err(e) => {
                let what = describe(&e);
                let at = reader.consumed() + base as usize;
                let what = match record_problem(reader.data(), summary.format, big_endian, false) {
                    Some(Problem::Damaged(why) | Problem::Short(why)) => why,
                    None => what,
                };
                summary.warnings.push(format!(
                    "{} cannot be parsed: {what}; reading stopped there",
                    which_record(summary.format, number, at)
                ));
                summary.truncated = true;
                break;
            }
        }
    }
    summary.packets = number;
    if let Some((at, why)) = damaged() {
        summary.truncated = true;
        tally.last_warning = Some(format!(
            "the gzip data is damaged or cut short after {at} decompressed bytes ({why}); the {number} packets before it were analyzed"
        ));
    }
    Ok(())
}

/// The size of `path` if it is a regular, uncompressed classic pcap or pcapng file: the
/// kind several threads can share, read once ([`SharedFile`]), each going on alone from a
/// damaged record (see `analyze_files_with_progress`).
pub fn shardable(path: &Path) -> Option<u64> {
    if path.as_os_str() == "-" {
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

/// Capture times that go backwards in file order by at least [`BACKWARDS_NOTED_NS`]: how
/// often, and the first time, for one warning per input. Packets are analyzed in file order
/// whatever their times; a time out of order only skews the delays computed across it.
/// Smaller steps back are left unsaid: captures on several CPUs or interfaces have them
/// by the dozen (tens of microseconds) and they change no figure a user reads.
#[derive(Default)]
struct Backwards {
    /// The previous packet's number and time.
    last: Option<(u64, Timestamp)>,
    count: u64,
    /// The first packet earlier than the one before it: (its number, the previous packet's
    /// number, how far back in nanoseconds).
    first: Option<(u64, u64, i64)>,
}

impl Backwards {
    fn see(&mut self, number: u64, ts: Timestamp) {
        if let Some((prev, last)) = self.last {
            if last.0.saturating_sub(ts.0) >= BACKWARDS_NOTED_NS {
                self.count += 1;
                self.first
                    .get_or_insert((number, prev, last.0.saturating_sub(ts.0)));
            }
        }
        self.last = Some((number, ts));
    }

    fn warning(&self) -> Option<String> {
        let (n, prev, back) = self.first?;
        let others = match self.count {
            0 | 1 => String::new(),
            c => format!(
                " ({} more packets are a second or more earlier than the one before them)",
                c - 1
            ),
        };
        Some(format!(
            "capture times go backwards: packet {n} is {:.6} s earlier than packet {prev}{others}; \
             packets are analyzed in file order, but delays and durations spanning such a packet may be wrong",
            back as f64 / 1e9
        ))
    }
}

/// A step back in capture time worth a warning: one second.
const BACKWARDS_NOTED_NS: i64 = 1_000_000_000;

/// "record" (classic pcap) or "block" (pcapng).
fn unit(format: &str) -> &'static str {
    if format == "pcapng" {
        "block"
    } else {
        "record"
    }
}

/// "the record after packet 10 (at byte 2048)", or "the first record (at byte 24)".
fn which_record(format: &str, n: u64, at: impl std::fmt::Display) -> String {
    let unit = unit(format);
    if n == 0 {
        format!("the first {unit} (at byte {at})")
    } else {
        format!("the {unit} after packet {n} (at byte {at})")
    }
}

/// What became of the `n` packets before the record where reading stopped.
fn analyzed_before(n: u64) -> String {
    match n {
        0 => "no packet came before it".to_string(),
        1 => "the packet before it was analyzed".to_string(),
        n => format!("the {n} packets before it were analyzed"),
    }
}

/// The warning for an input whose reading stopped at the record after packet `n`, at byte
/// `at`, because the input ends inside it: what its length fields say is wrong with it.
fn cut_warning(problem: Option<Problem>, format: &str, n: u64, at: usize) -> String {
    let which = which_record(format, n, at);
    let before = analyzed_before(n);
    match problem {
        Some(Problem::Damaged(what)) => {
            format!("{which} is damaged: {what}; reading stopped there, and {before}")
        }
        Some(Problem::Short(what)) => {
            format!("the capture is truncated: {which} {what}; {before}")
        }
        None => format!("the capture is truncated: {which} is cut short; {before}"),
    }
}

/// What is wrong with a record that failed to parse, read from its length fields.
enum Problem {
    /// The input ends inside it (the file was cut, or its length is too large).
    Short(String),
    /// Its length fields are impossible whatever follows.
    Damaged(String),
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

/// The length a record at the start of `data` declares: a pcapng block's total length, a
/// classic record's 16-byte header plus captured length.
fn declared_len(data: &[u8], format: &str, big_endian: bool) -> Option<u64> {
    if format == "pcapng" {
        word(data, 4, big_endian).map(u64::from)
    } else {
        word(data, 8, big_endian).map(|caplen| u64::from(caplen) + 16)
    }
}

/// What the record at the start of `data` declares its length to be, in words.
fn declares(data: &[u8], format: &str, big_endian: bool) -> Option<String> {
    let len = declared_len(data, format, big_endian)?;
    Some(if format == "pcapng" {
        format!("declares a block total length of {len} bytes")
    } else {
        format!("declares {} captured bytes", len.saturating_sub(16))
    })
}

/// Why the record at the start of `data` (the unparsed rest of the input; `to_end`: it runs
/// to the end of the input) cannot be read, from its length fields; `None` when they look
/// right.
fn record_problem(data: &[u8], format: &str, big_endian: bool, to_end: bool) -> Option<Problem> {
    record_problem_in(data, data.len() as u64, format, big_endian, to_end)
}

/// [`record_problem`] for a record of which `have` bytes are left in the input, the first
/// of them in `data` (a reader's buffer may hold less than the file does).
fn record_problem_in(
    data: &[u8],
    have: u64,
    format: &str,
    big_endian: bool,
    to_end: bool,
) -> Option<Problem> {
    let header = if format == "pcapng" { 8 } else { 16 };
    if data.len() < header {
        return to_end.then(|| {
            Problem::Short(format!(
                "is cut short: only {} of its {header} header bytes are in the file",
                data.len()
            ))
        });
    }
    let len = declared_len(data, format, big_endian)?;
    if format == "pcapng" {
        if len < 12 {
            return Some(Problem::Damaged(format!(
                "its block total length is {len}, less than the 12 bytes of a block's own header and trailer"
            )));
        }
        if len % 4 != 0 {
            return Some(Problem::Damaged(format!(
                "its block total length {len} is not a multiple of 4"
            )));
        }
    }
    if len > have {
        let what = declares(data, format, big_endian)?;
        // Counted as the declared length is: a classic record's captured bytes follow its
        // 16-byte header; a pcapng block's total length includes its own.
        let present = if format == "pcapng" {
            have
        } else {
            have.saturating_sub(16)
        };
        return to_end.then(|| {
            Problem::Short(format!(
                "{what} but only {present} of them are in the file (cut short, or a damaged length)"
            ))
        });
    }
    if format == "pcapng" {
        let trailer = word(data, usize::try_from(len).ok()? - 4, big_endian)?;
        if u64::from(trailer) != len {
            return Some(Problem::Damaged(format!(
                "its trailing block total length {trailer} differs from the leading one, {len}"
            )));
        }
    }
    None
}

fn ng_timestamp(high: u32, low: u32, iface: Interface) -> Timestamp {
    let units = u64::from(high) << 32 | u64::from(low);
    let res = iface.resolution.max(1);
    // The two usual resolutions divide by a constant (a multiplication), the others by a
    // variable, once per packet.
    let (secs, nanos) = match res {
        1_000_000 => (units / 1_000_000, units % 1_000_000 * 1_000),
        1_000_000_000 => (units / 1_000_000_000, units % 1_000_000_000),
        _ => {
            // Below a nanosecond resolution the product fits in 64 bits (a 128-bit
            // division is several times slower); finer ones need 128.
            let frac = units % res;
            let nanos = match frac.checked_mul(1_000_000_000) {
                Some(n) => n / res,
                None => (u128::from(frac) * 1_000_000_000 / u128::from(res)) as u64,
            };
            (units / res, nanos)
        }
    };
    Timestamp::from_parts((secs as i64).saturating_add(iface.offset), nanos as u32)
}

fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("bad block: {kind:?}")
        }
        PcapError::ReadError => "read error".into(),
        PcapError::HeaderNotRecognized => "unknown block".into(),
        PcapError::Eof | PcapError::UnexpectedEof | PcapError::Incomplete(_) => "cut short".into(),
        PcapError::BufferTooSmall => "record too large".into(),
    }
}

/// Do the file's first bytes begin a pcap or pcapng magic number (so a short file is a cut
/// capture, not some other file)?
fn starts_like_a_capture(path: &Path) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    let mut head = [0u8; 4];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    n > 0
        && MAGICS
            .iter()
            .any(|m| m.get(..n).is_some_and(|m| Some(m) == head.get(..n)))
}

fn header_error(path: &Path, e: PcapError<&[u8]>) -> Error {
    let path: PathBuf = path.to_path_buf();
    match e {
        PcapError::Eof => Error::Empty { path },
        PcapError::Incomplete(_) | PcapError::UnexpectedEof if starts_like_a_capture(&path) => {
            let len = std::fs::metadata(&path)
                .map(|m| m.len() as usize)
                .unwrap_or(0);
            Error::TruncatedHeader { path, len }
        }
        PcapError::ReadError => Error::BadGzip {
            detail: "read error while decompressing or reading".into(),
            path,
        },
        _ => {
            let mut head = [0u8; 4];
            let n = File::open(&path)
                .and_then(|mut f| f.read(&mut head))
                .unwrap_or(0);
            let bytes = head.get(..n).unwrap_or(&head);
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let text: String = bytes
                .iter()
                .map(|&c| if c.is_ascii_graphic() { c as char } else { '.' })
                .collect();
            let magic = format!("it starts with {} \"{text}\"", hex.join(" "));
            Error::NotACapture { path, magic }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let p = std::env::temp_dir().join(format!("wsclose-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    type Seen = Vec<(u64, Timestamp, LinkType, Vec<u8>, u32)>;

    /// A sink for records none of which is plain TCP: every reader is handed every packet,
    /// kept here.
    #[derive(Default)]
    struct Every(Seen);

    impl ShardSink for Every {
        fn packet(&mut self, pk: &Packet<'_>) {
            self.0
                .push((pk.number, pk.ts, pk.link, pk.data.to_vec(), pk.orig_len))
        }
        fn plain(&mut self, p: &Packet<'_>, _: Plain) {
            panic!("packet {} is plain TCP", p.number)
        }
        fn elsewhere(&mut self, ts: Timestamp) {
            panic!("a packet at {ts:?} went to another reader")
        }
    }

    /// `p` read by the streaming reader: its summary and packets.
    fn read_kept(p: &Path) -> (InputSummary, Seen) {
        let mut seen = Vec::new();
        let s = read(p, &mut |pk| {
            seen.push((pk.number, pk.ts, pk.link, pk.data.to_vec(), pk.orig_len))
        })
        .unwrap();
        (s, seen)
    }

    fn read_all(p: &Path) -> (InputSummary, Seen) {
        let kept = read_kept(p);
        std::fs::remove_file(p).ok();
        kept
    }

    /// `p` read by the streaming reader, then by two threads sharing it, each into a sink
    /// `S`: the streaming reader's summary and packets, each thread's summary and sink, and
    /// the shared reader (for its chunk count).
    fn streaming_and_shared<S: ShardSink + Default + Send>(
        p: &Path,
    ) -> (InputSummary, Seen, [(InputSummary, S); 2], SharedFile) {
        let (want, one) = read_kept(p);
        let shared = SharedFile::open(p, 2, None).unwrap();
        let run = |reader: usize| {
            let mut sink = S::default();
            let s = read_shared(p, &shared, reader, &mut sink, None).unwrap();
            (s, sink)
        };
        let both = std::thread::scope(|sc| {
            let h = sc.spawn(|| run(1));
            [run(0), h.join().unwrap()]
        });
        (want, one, both, shared)
    }

    #[test]
    fn big_endian_nanosecond_pcap() {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
        b.extend_from_slice(&2u16.to_be_bytes());
        b.extend_from_slice(&4u16.to_be_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_be_bytes());
        b.extend_from_slice(&101u32.to_be_bytes());
        for v in [7u32, 999_999_999, 3, 10] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(b"abc");
        let (s, seen) = read_all(&temp("be.pcap", &b));
        assert_eq!(s.format, "pcap");
        assert_eq!(s.link_types, vec![LinkType::RAW]);
        assert_eq!(
            seen,
            vec![(
                1,
                Timestamp::from_parts(7, 999_999_999),
                LinkType::RAW,
                b"abc".to_vec(),
                10
            )]
        );
    }

    /// Records beyond the first buffer's size (an offloaded segment captured whole) are
    /// read, and so is everything after them.
    #[test]
    fn records_larger_than_the_first_buffer_are_read() {
        use crate::capture::write::PcapWriter;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 1 << 21).unwrap();
        let sizes = [100, BUFFER + 4000, 60, BUFFER_MAX - 100, 7];
        for (i, &n) in sizes.iter().enumerate() {
            let data = vec![i as u8; n];
            w.packet(Timestamp::from_parts(i as i64, 0), &data, n as u32)
                .unwrap();
        }
        let (s, seen) = read_all(&temp("big-records.pcap", &w.into_inner()));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert!(!s.truncated);
        let got: Vec<(usize, bool)> = seen
            .iter()
            .enumerate()
            .map(|(i, p)| (p.3.len(), p.3.iter().all(|&b| b == i as u8)))
            .collect();
        let want: Vec<(usize, bool)> = sizes.iter().map(|&n| (n, true)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn huge_caplen_stops_with_a_warning() {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        for v in [0u32, 0, 0xffff_fff0, 0xffff_fff0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&[0u8; 64]);
        let (s, seen) = read_all(&temp("huge.pcap", &b));
        assert!(seen.is_empty());
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    }

    /// Reading a file once for two threads gives each of them exactly what the streaming
    /// reader gives one: the same packets in order and the same summary, warnings
    /// included, whole or cut at any of several places, with records larger than a chunk,
    /// a damaged length in the middle, and times that go backwards.
    #[test]
    fn shared_reading_gives_what_the_streaming_reader_gives() {
        use crate::capture::shared::CHUNK;
        use crate::capture::write::PcapWriter;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 1 << 21).unwrap();
        let mut sizes: Vec<usize> = (0..3000).map(|i| (i * 7919) % 1500 + 14).collect();
        // Records too large for a chunk end the sharing: late in the file, so that the
        // damage and the cuts below fall in the shared part.
        sizes.insert(2800, CHUNK + 10);
        sizes.insert(2900, 3 * CHUNK);
        for (i, &n) in sizes.iter().enumerate() {
            let secs = if i == 1500 { 5 } else { 100 + i as i64 };
            let data = vec![i as u8; n];
            w.packet(Timestamp::from_parts(secs, 0), &data, n as u32 + 1)
                .unwrap();
        }
        let whole = w.into_inner();
        let mut damaged = whole.clone();
        // The caplen of the 2 000th record's header, found by walking the records.
        let mut at = 24;
        for _ in 0..2000 {
            at += 16 + u32::from_le_bytes(damaged[at + 8..at + 12].try_into().unwrap()) as usize;
        }
        damaged[at + 8..at + 12].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
        let mut inputs = vec![("whole", whole.clone()), ("damaged", damaged)];
        for cut in [30, whole.len() / 3, whole.len() / 2 + 5, whole.len() - 3] {
            inputs.push(("cut", whole[..cut].to_vec()));
        }
        for (k, (what, bytes)) in inputs.into_iter().enumerate() {
            let p = temp(&format!("shared-{k}.pcap"), &bytes);
            let (want, one, [a, b], _) = streaming_and_shared::<Every>(&p);
            assert_eq!(want.truncated, what != "whole", "{what} {k}");
            assert!(
                want.warnings.iter().any(|w| w.contains("backwards")) || k > 1 && one.len() < 1500
            );
            assert_eq!(a.0, want, "{what} {k}");
            assert_eq!(b.0, want, "{what} {k}");
            assert!(a.1 .0 == one && b.1 .0 == one, "{what} {k}: other packets");
            std::fs::remove_file(&p).ok();
        }
    }

    /// pcapng times in any resolution: the same as exact 128-bit arithmetic, including
    /// resolutions finer than a nanosecond and the largest timestamps.
    #[test]
    fn ng_timestamps_in_any_resolution() {
        for res in [
            1,
            10,
            1_000_000,
            1 << 20,
            1_000_000_000,
            1 << 40,
            1_000_000_000_000,
            u64::MAX,
        ] {
            let iface = Interface {
                link: LinkType::ETHERNET,
                resolution: res,
                offset: 3,
                snaplen: 0,
            };
            for units in [
                0u64,
                1,
                999_999_999,
                1_700_000_000_123_456,
                u64::MAX / 3,
                u64::MAX,
            ] {
                let u = u128::from(units);
                let r = u128::from(res);
                let want = Timestamp::from_parts(
                    ((u / r) as i64).saturating_add(3),
                    ((u % r) * 1_000_000_000 / r) as u32,
                );
                let got = ng_timestamp((units >> 32) as u32, units as u32, iface);
                assert_eq!(got, want, "{units} units of 1/{res} s");
            }
        }
    }

    /// A pcapng block in either byte order: type, total length, body padded to 32 bits,
    /// total length.
    fn ng_block(big: bool, kind: u32, body: &[u8]) -> Vec<u8> {
        let w = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        [&w(kind)[..], &w(len), &body, &w(len)].concat()
    }

    /// The body fields of a pcapng block, in its byte order.
    struct Body(bool, Vec<u8>);
    impl Body {
        fn u16(mut self, v: u16) -> Body {
            let b = if self.0 {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.1.extend_from_slice(&b);
            self
        }
        fn u32(mut self, v: u32) -> Body {
            let b = if self.0 {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.1.extend_from_slice(&b);
            self
        }
        fn bytes(mut self, b: &[u8]) -> Body {
            self.1.extend_from_slice(b);
            self
        }
    }

    /// A pcapng section's header block in either byte order, then its two interfaces:
    /// Ethernet at the default resolution (microseconds), raw IP at nanoseconds.
    fn ng_section_head(big: bool) -> Vec<u8> {
        let b = || Body(big, Vec::new());
        let shb = b()
            .u32(0x1A2B_3C4D)
            .u16(1)
            .u16(0)
            .u32(u32::MAX)
            .u32(u32::MAX);
        let mut f = ng_block(big, 0x0A0D_0D0A, &shb.1);
        f.extend(ng_block(big, 1, &b().u16(1).u16(0).u32(0).1));
        // Raw IP, nanosecond timestamps (if_tsresol 9), then the end of options.
        let idb = b()
            .u16(101)
            .u16(0)
            .u32(0)
            .u16(9)
            .u16(1)
            .bytes(&[9, 0, 0, 0]);
        f.extend(ng_block(big, 1, &idb.u16(0).u16(0).1));
        f
    }

    /// A pcapng file of two sections (little-endian, then big-endian) with interfaces of
    /// two link types and resolutions, enhanced and simple packets of sizes up to several
    /// chunks, other blocks, a packet of an interface that was not described, and times
    /// that go backwards: as the streaming reader must read it, so must the shared one.
    fn ng_file() -> Vec<u8> {
        use crate::capture::shared::CHUNK;
        let mut f = Vec::new();
        for (section, big) in [(0u32, false), (1, true)] {
            let b = || Body(big, Vec::new());
            f.extend(ng_section_head(big));
            let packets = if section == 0 { 2500 } else { 800 };
            for i in 0..packets {
                let n = (i * 7919) % 1500 + 14;
                // Blocks too large for a chunk end the sharing: late, so that the damage and
                // the cuts below fall in the shared part, the big-endian section too.
                let n = match (section, i) {
                    (1, 600) => CHUNK + 10,
                    (1, 700) => 3 * CHUNK,
                    _ => n,
                };
                let data = vec![i as u8; n];
                let ts: u64 = if i == 1200 { 5 } else { 100 + i as u64 } * 1_000_000;
                let iface = match i % 97 {
                    0 => 7,
                    k => k as u32 % 2,
                };
                if i % 50 == 3 {
                    f.extend(ng_block(big, 3, &b().u32(n as u32 + 2).bytes(&data).1));
                } else {
                    let epb = b().u32(iface).u32((ts >> 32) as u32).u32(ts as u32);
                    let mut epb = epb.u32(n as u32).u32(n as u32 + 1).bytes(&data);
                    if i % 40 == 7 {
                        // Options after the padded data: epb_flags, then the end of options.
                        let pad = vec![0; n.next_multiple_of(4) - n];
                        epb = epb.bytes(&pad).u16(2).u16(4).u32(1).u16(0).u16(0);
                    }
                    f.extend(ng_block(big, 6, &epb.1));
                }
                if i % 300 == 5 {
                    // A custom block and an interface statistics block, skipped.
                    f.extend(ng_block(big, 0x0000_0BAD, &b().u32(32473).bytes(b"x").1));
                    f.extend(ng_block(big, 5, &b().u32(0).u32(0).u32(0).1));
                }
            }
        }
        f
    }

    /// `Ng::quick_epb` against pcap-parser, block by block through a file of two sections
    /// (either byte order), every enhanced packet block whole and, for some, with a length
    /// field changed: it reads every whole one and exactly the changed ones that still
    /// agree, and whatever it reads, pcap-parser reads as the same packet with the same
    /// bytes after it.
    #[test]
    fn quick_epb_reads_what_pcap_parser_reads() {
        let file = ng_file();
        let mut ng = Ng::default();
        let (mut at, mut read, mut changed) = (0, 0, 0);
        while at < file.len() {
            let data = &file[at..];
            if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
                ng.big_endian = data[8..12] == [0x1a, 0x2b, 0x3c, 0x4d];
            }
            let be = ng.big_endian;
            let len = word(data, 4, be).unwrap() as usize;
            let is_epb = word(data, 0, be) == Some(EPB);
            // The block and the next one's first bytes, whole and with one field changed,
            // and whether the change leaves a block whose lengths agree.
            let block = &data[..(len + 8).min(data.len())];
            let put = |at: usize, x: u32| {
                let mut v = block.to_vec();
                let b = if be { x.to_be_bytes() } else { x.to_le_bytes() };
                v[at..at + 4].copy_from_slice(&b);
                v
            };
            let mut variants = vec![(block.to_vec(), is_epb)];
            if is_epb && (at / 4) % 7 == 0 {
                let caplen = word(data, 20, be).unwrap();
                let n = len as u32;
                changed += 1;
                variants.extend([
                    // Captured lengths: past the block with its padding, within it, huge,
                    // one more (within the padding unless there was none).
                    (put(20, n - 31), false),
                    (put(20, n - 35), true),
                    (put(20, u32::MAX - 3), false),
                    (put(20, caplen + 1), !caplen.is_multiple_of(4)),
                    // Total lengths: one the trailer does not repeat, too small, past the
                    // block; and a trailer that differs.
                    (put(4, n - 4), false),
                    (put(4, 28), false),
                    (put(4, n + 4), false),
                    (put(len - 4, n + 4), false),
                ]);
            }
            for (k, (v, agrees)) in variants.iter().enumerate() {
                let quick = ng.quick_epb(v);
                assert_eq!(quick.is_some(), *agrees, "block at {at}, variant {k}");
                let Some((epb, rest)) = quick else { continue };
                read += 1;
                let Ok((prest, Block::EnhancedPacket(b))) = ng.parse(v) else {
                    panic!("block at {at}, variant {k}: pcap-parser refuses what quick_epb read");
                };
                assert_eq!(
                    (epb.if_id, epb.ts_high, epb.ts_low, epb.caplen, epb.origlen),
                    (b.if_id, b.ts_high, b.ts_low, b.caplen, b.origlen),
                    "block at {at}, variant {k}"
                );
                assert_eq!(epb.data, &b.data[..b.caplen as usize], "block at {at}, {k}");
                assert_eq!(rest.len(), prest.len(), "block at {at}, variant {k}");
            }
            at += len;
        }
        assert!(
            read > 3000 && changed > 400,
            "{read} blocks read, {changed} changed"
        );
    }

    /// Reading a pcapng file once for two threads gives each what the streaming reader
    /// gives one, whole, damaged (a block whose trailing length is not its leading one,
    /// which the filler shares and pcap-parser refuses; a length that cannot be; a captured
    /// length larger than the block) or cut. The shared reader reads enhanced packet blocks
    /// itself (`Ng::quick_epb`), the streaming one through pcap-parser.
    #[test]
    fn shared_reading_of_pcapng_gives_what_the_streaming_reader_gives() {
        let whole = ng_file();
        // The offset of the 1 000th block, found by walking the little-endian section.
        let mut at = 0;
        for _ in 0..1000 {
            at += u32::from_le_bytes(whole[at + 4..at + 8].try_into().unwrap()) as usize;
        }
        let len = u32::from_le_bytes(whole[at + 4..at + 8].try_into().unwrap()) as usize;
        let mut trailing = whole.clone();
        trailing[at + len - 4..at + len].copy_from_slice(&(len as u32 + 4).to_le_bytes());
        let mut leading = whole.clone();
        leading[at + 4..at + 8].copy_from_slice(&7u32.to_le_bytes());
        let mut caplen = whole.clone();
        assert_eq!(
            whole[at..at + 4],
            6u32.to_le_bytes(),
            "an enhanced packet block"
        );
        caplen[at + 20..at + 24].copy_from_slice(&(len as u32 - 31).to_le_bytes());
        let mut inputs = vec![
            ("whole", whole.clone()),
            ("trailing", trailing),
            ("leading", leading),
            ("caplen", caplen),
        ];
        for cut in [30, whole.len() / 3, whole.len() / 2 + 5, whole.len() - 3] {
            inputs.push(("cut", whole[..cut].to_vec()));
        }
        for (k, (what, bytes)) in inputs.into_iter().enumerate() {
            let p = temp(&format!("shared-{k}.pcapng"), &bytes);
            let (want, one, [a, b], shared) = streaming_and_shared::<Every>(&p);
            assert_eq!(want.format, "pcapng");
            assert_eq!(
                want.truncated,
                what != "whole",
                "{what} {k}: {:?}",
                want.warnings
            );
            assert!(
                one.len() < 100 || want.warnings.iter().any(|w| w.contains("interface 7")),
                "{what} {k}: {:?}",
                want.warnings
            );
            if what == "whole" {
                assert_eq!(want.link_types, vec![LinkType::ETHERNET, LinkType::RAW]);
                assert_eq!(want.packets, 3300);
                assert!(want.warnings.iter().any(|w| w.contains("backwards")));
                // Shared up to the first block larger than a chunk, in the second section.
                let first_large = one.iter().position(|p| p.3.len() > 1514).unwrap();
                assert!(one[first_large].0 > 3000);
                assert!(
                    shared.filled() * crate::capture::shared::CHUNK as u64
                        > bytes.len() as u64 * 8 / 10
                );
            }
            assert_eq!(a.0, want, "{what} {k}");
            assert_eq!(b.0, want, "{what} {k}");
            assert!(a.1 .0 == one && b.1 .0 == one, "{what} {k}: other packets");
            std::fs::remove_file(&p).ok();
        }
    }

    /// Dropping a gzip file's reader before its end waits for the decompressing thread,
    /// which has dropped the input by then: no thread outlives the analysis of a file.
    #[test]
    fn dropping_the_read_ahead_ends_its_thread() {
        use std::sync::atomic::{AtomicBool, Ordering};
        /// An endless input whose reads take a while, that says when it is dropped.
        struct Slow(Arc<AtomicBool>);
        impl Read for Slow {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                std::thread::sleep(std::time::Duration::from_millis(20));
                out.fill(7);
                Ok(out.len())
            }
        }
        impl Drop for Slow {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let mut blocks = Blocks::new(Box::new(Slow(Arc::clone(&dropped))), true, true);
        let mut first = [0u8; 100];
        blocks.read_exact(&mut first).unwrap();
        assert_eq!(first, [7; 100]);
        drop(blocks);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the thread still holds the input"
        );
    }

    /// A gzip input decompressed on a thread of its own gives what the plain reading gives:
    /// the same packets and summary, warnings included, whole, cut short, and with damaged
    /// compressed bytes in the middle; more than a block of decompressed bytes each.
    #[test]
    fn gzip_read_ahead_gives_what_the_plain_reading_gives() {
        use crate::capture::write::PcapWriter;
        use std::io::Write;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
        for i in 0..4000u32 {
            let n = (i as usize * 7919) % 1500 + 14;
            let data: Vec<u8> = (0..n).map(|k| (k as u32 * 31 + i) as u8).collect();
            w.packet(Timestamp::from_parts(i64::from(i), 0), &data, n as u32)
                .unwrap();
        }
        let pcap = w.into_inner();
        assert!(pcap.len() > 3 * BLOCK);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&pcap).unwrap();
        let whole = gz.finish().unwrap();
        let mut damaged = whole.clone();
        let mid = damaged.len() / 2;
        for b in &mut damaged[mid..mid + 64] {
            *b = !*b;
        }
        let inputs = [
            ("whole", whole.clone()),
            ("cut", whole[..whole.len() * 2 / 3].to_vec()),
            ("damaged", damaged),
        ];
        for (what, bytes) in inputs {
            let p = temp(&format!("ahead-{what}.pcap.gz"), &bytes);
            let mut plain = Vec::new();
            let want = read(&p, &mut |pk| {
                plain.push((pk.number, pk.ts, pk.data.to_vec()))
            })
            .unwrap();
            let mut ahead = Vec::new();
            let got = read_counted_ahead(
                &p,
                &mut |pk| ahead.push((pk.number, pk.ts, pk.data.to_vec())),
                None,
                true,
            )
            .unwrap();
            assert!(want.gzip);
            assert_eq!(
                want.truncated,
                what != "whole",
                "{what}: {:?}",
                want.warnings
            );
            assert_eq!(got, want, "{what}");
            assert!(ahead == plain, "{what}: other packets");
            assert!(what != "whole" || plain.len() == 4000);
            std::fs::remove_file(&p).ok();
        }
    }

    /// What one reader of a shared file was handed, packet by packet.
    #[derive(Debug)]
    enum Call {
        /// A packet to analyze, with where its parts are when it came found plain.
        Packet(u64, Timestamp, Vec<u8>, u32, Option<Plain>),
        /// Another reader's packet: only its time.
        Elsewhere(Timestamp),
    }

    #[derive(Default)]
    struct Calls(Vec<Call>);

    impl ShardSink for Calls {
        fn packet(&mut self, p: &Packet<'_>) {
            self.0.push(Call::Packet(
                p.number,
                p.ts,
                p.data.to_vec(),
                p.orig_len,
                None,
            ));
        }
        fn plain(&mut self, p: &Packet<'_>, plain: Plain) {
            self.0.push(Call::Packet(
                p.number,
                p.ts,
                p.data.to_vec(),
                p.orig_len,
                Some(plain),
            ));
        }
        fn elsewhere(&mut self, ts: Timestamp) {
            self.0.push(Call::Elsewhere(ts));
        }
    }

    /// The frames of [`two_readers_share_plain_tcp_packets_by_flow`]: plain TCP over IPv4
    /// and IPv6 in fifty flows, one in ten UDP, one in 97 cut 10 bytes short (the frame,
    /// and how many of its bytes were captured).
    fn mixed_frames() -> Vec<(Vec<u8>, usize)> {
        use etherparse::PacketBuilder;
        (0..4000u32)
            .map(|i| {
                let payload = vec![b'x'; (i as usize * 37) % 1400];
                let port = 40000 + (i % 50) as u16;
                let eth = PacketBuilder::ethernet2([1; 6], [2; 6]);
                let mut frame = Vec::new();
                match i % 10 {
                    0 => eth
                        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                        .udp(port, 53)
                        .write(&mut frame, &payload),
                    1 => eth
                        .ipv6([1; 16], [2; 16], 64)
                        .tcp(port, 443, i, 1000)
                        .write(&mut frame, &payload),
                    _ => eth
                        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                        .tcp(port, 80, i, 1000)
                        .write(&mut frame, &payload),
                }
                .unwrap();
                let kept = frame.len() - if i % 97 == 0 { 10 } else { 0 };
                (frame, kept)
            })
            .collect()
    }

    /// The file at `p` read by the streaming reader, then by two readers sharing it: each
    /// plain TCP packet goes to the reader of its flow's shard alone, found plain (and the
    /// segment read from there is what decoding it gives), the other reader being handed
    /// only its time; every other packet goes to both. Returns how many plain packets
    /// each reader was handed.
    fn two_readers(p: &Path) -> [usize; 2] {
        use crate::decode::{decode, decode_plain, Endpoint};
        let (want, all, both, shared) = streaming_and_shared::<Calls>(p);
        std::fs::remove_file(p).ok();
        assert!(shared.filled() > 20, "several chunks");
        let mut plain = [0, 0];
        for (reader, (summary, Calls(calls))) in both.iter().enumerate() {
            assert_eq!(summary.packets, want.packets);
            assert_eq!(calls.len(), all.len());
            if reader == 0 {
                assert_eq!(*summary, want);
            }
            // Packets come in the same order (one of an undescribed interface, to none).
            for (k, call) in calls.iter().enumerate() {
                let (number, ts, link, data, orig_len) = &all[k];
                let pkt = Packet {
                    number: *number,
                    ts: *ts,
                    link: *link,
                    data,
                    orig_len: *orig_len,
                };
                let found = (*orig_len as usize == data.len())
                    .then(|| Plain::find(*link, data))
                    .flatten();
                let owner = found.map(|f| {
                    let (a, b) = f.ends(data).unwrap();
                    Endpoint::shard(&a, &b, 2) as usize
                });
                match call {
                    Call::Packet(n, t, d, o, at) => {
                        assert_eq!((*n, t, d, o), (pkt.number, ts, data, orig_len));
                        assert_eq!(*at, found, "packet {n}");
                        assert!(owner.is_none_or(|o| o == reader), "packet {n}");
                        if let Some(at) = at {
                            plain[reader] += 1;
                            let read = format!("{:?}", decode_plain(&pkt, *at).unwrap());
                            assert_eq!(read, format!("{:?}", decode(&pkt).unwrap()));
                        }
                    }
                    Call::Elsewhere(t) => {
                        assert_eq!(t, ts);
                        assert!(owner.is_some_and(|o| o != reader), "packet {number}");
                    }
                }
            }
        }
        assert!(plain[0] > 500 && plain[1] > 500, "{plain:?}");
        plain
    }

    /// The TCP packets of [`mixed_frames`] not cut: those shared out by flow.
    fn whole_tcp() -> usize {
        (0..4000).filter(|i| i % 10 != 0 && i % 97 != 0).count()
    }

    /// Two readers of a classic pcap file of [`mixed_frames`] (see [`two_readers`]).
    #[test]
    fn two_readers_share_plain_tcp_packets_by_flow() {
        use crate::capture::write::PcapWriter;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
        for (i, (frame, kept)) in mixed_frames().iter().enumerate() {
            let ts = Timestamp::from_parts(1000 + i as i64, 0);
            w.packet(ts, &frame[..*kept], frame.len() as u32).unwrap();
        }
        let plain = two_readers(&temp("two-readers.pcap", &w.into_inner()));
        assert_eq!(plain[0] + plain[1], whole_tcp());
    }

    /// The same as pcapng: two sections (little-endian, then big-endian, see
    /// [`ng_section_head`]), the packets of the first half in the first, on the Ethernet
    /// interface, plus now and then a packet of an undescribed interface and a simple
    /// packet block, which every reader reads.
    #[test]
    fn two_readers_share_plain_tcp_packets_of_pcapng_by_flow() {
        let frames = mixed_frames();
        let mut f = Vec::new();
        for (section, big) in [(0usize, false), (1, true)] {
            let b = || Body(big, Vec::new());
            f.extend(ng_section_head(big));
            for (i, (frame, kept)) in frames.iter().enumerate().skip(section * 2000).take(2000) {
                let ts = (1000 + i as u64) * 1_000_000;
                let epb = b().u32(0).u32((ts >> 32) as u32).u32(ts as u32);
                let epb = epb.u32(*kept as u32).u32(frame.len() as u32);
                f.extend(ng_block(big, 6, &epb.bytes(&frame[..*kept]).1));
                if i % 500 == 9 {
                    let epb = b().u32(7).u32(0).u32(0).u32(*kept as u32).u32(*kept as u32);
                    f.extend(ng_block(big, 6, &epb.bytes(&frame[..*kept]).1));
                    // Simple packet blocks are read by every reader: a UDP one.
                    let udp = &frames[i - i % 10].0;
                    let spb = b().u32(udp.len() as u32).bytes(udp);
                    f.extend(ng_block(big, 3, &spb.1));
                }
            }
        }
        let plain = two_readers(&temp("two-readers.pcapng", &f));
        assert_eq!(plain[0] + plain[1], whole_tcp());
    }

    /// `count` records of 100 bytes, the last one cut 10 bytes short, as a file shared by
    /// one reader and removed before it is read: the packets handed over and the summary.
    fn read_removed(name: &str, count: u8) -> (usize, InputSummary) {
        use crate::capture::write::PcapWriter;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
        for i in 0..count {
            w.packet(Timestamp::from_parts(i64::from(i), 0), &[i; 100], 100)
                .unwrap();
        }
        let mut bytes = w.into_inner();
        bytes.truncate(bytes.len() - 10);
        let p = temp(name, &bytes);
        let shared = SharedFile::open(&p, 1, None).unwrap();
        std::fs::remove_file(&p).unwrap();
        let mut every = Every::default();
        let s = read_shared(&p, &shared, 0, &mut every, None).unwrap();
        (every.0.len(), s)
    }

    /// A file that goes away while it is read: the packets read are kept and the warning
    /// says where reading stopped, instead of the input counting as unreadable; cut inside
    /// its first record, it says so plainly (no "packet 0").
    #[test]
    fn a_file_removed_while_read_keeps_what_was_read_and_says_where() {
        for (count, kept, start, then) in [
            (
                50,
                49,
                "reading stopped at the record after packet 49 (at byte ",
                "; the 49 packets before it were analyzed (run again",
            ),
            (
                1,
                0,
                "reading stopped at the first record (at byte 24): ",
                "; no packet came before it (run again",
            ),
        ] {
            let (n, s) = read_removed(&format!("removed-{count}.pcap"), count);
            assert_eq!((n, s.packets), (kept, kept as u64));
            assert!(s.truncated);
            assert!(
                s.warnings[0].starts_with(start) && s.warnings[0].contains(then),
                "{:?}",
                s.warnings
            );
        }
    }
}
