//! Making one chunk of a shared file: reading its block of the file, cutting it into whole
//! records, indexing them. The work of whichever reader threads claim it
//! ([`SharedFile::next`](super::SharedFile::next)), done outside the lock: blocks are read
//! by several threads at once, cut one after another (each needs where the one before
//! ended), and indexed by several at once; a classic pcap block is cut and indexed in one
//! walk by the thread that read it, from where its first record probably starts.
//!
//! In: the file, the chunk's block (the `size` bytes from the file offset `base + s ×
//! size`, `size` at most [`CHUNK`](super::CHUNK)), where its first record starts (where
//! the previous chunk's last one ended, at or after the block's start), the byte order of
//! the current pcapng section and its interfaces ([`NgIndexer`]), the number of readers.
//! Out: the [`Chunk`]: the whole records or blocks that start in its block (the last one's
//! end read from the file where it runs past the block), where sharing ends if it ends
//! there ([`End`]), and the index of its records ([`Rec`], with each one's owner and time
//! beside it): for a whole packet of plain TCP, the reader whose shard owns its flow and
//! where its IP and TCP parts are; for a pcapng one, its interface ID too.
//!
//! Spec: only the framing is read to cut: a classic pcap record's 16-byte header (its
//! captured length; the libpcap file format), a pcapng block's type and total length
//! (draft-ietf-opsawg-pcapng §3.1) and a Section Header Block's byte-order magic (§4.1). The
//! index reads a classic record's time words itself, and pcapng blocks through
//! [`NgIndexer`] (the readers' own pcapng state, `file::pcapng`).

use super::{Chunk, Deal, Dealt, End, Header, Plain, Rec, ANY, NO_TCP};
use crate::capture::file::{
    record_time, takes_frame_number, whole_record, word, Found, NgIndexer, Part,
};
use crate::vocab::Timestamp;
use std::fs::File;
use std::io;

/// A record's header: seconds, sub-seconds, captured length, original length.
pub(super) const RECORD_HEADER: usize = 16;

/// The bytes of a pcapng block that give its length and, for a section header, its byte
/// order: type, total length, byte-order magic.
const BLOCK_HEAD: usize = 12;

/// The bytes a record's entry in the index takes: its [`Rec`], owner and time.
pub(super) const INDEX_ENTRY: usize =
    std::mem::size_of::<Rec>() + std::mem::size_of::<u8>() + std::mem::size_of::<Timestamp>();

/// Bytes asked for at once when the last record of a block runs past it: most records'
/// rest in one system call.
const TAIL_READ: usize = 4096;

/// What the cutter of a pcapng file follows from chunk to chunk: the byte order of the
/// current section.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Section {
    big_endian: bool,
}

/// The length (header included) of the whole record at `pos` in `data`, if it is there.
pub(super) fn record_len(data: &[u8], pos: usize, big_endian: bool) -> Option<usize> {
    let len = record_head(data, pos, big_endian)?;
    (pos.checked_add(len)? <= data.len()).then_some(len)
}

/// The length (header included) of the record whose header is at `pos` in `data`.
fn record_head(data: &[u8], pos: usize, big_endian: bool) -> Option<usize> {
    let caplen = word(data, pos.checked_add(8)?, big_endian)?;
    RECORD_HEADER.checked_add(caplen as usize)
}

/// The pcapng block whose first [`BLOCK_HEAD`] bytes are at `pos` in `data`: its length,
/// whether it takes a frame number (a packet, or a block Wireshark shows as a frame), and
/// its section's byte order (a section header block's own, else `section`'s). `None` for a
/// length that cannot be. Only the framing is read here (type, length, and a section's
/// byte-order magic): a block that does not parse is the readers' to find, and they go on
/// alone from it (`file::read_shared`).
fn block_head(data: &[u8], pos: usize, section: Section) -> Option<(usize, bool, bool)> {
    const SHB: u32 = 0x0A0D_0D0A;
    let word = |at: usize, big: bool| word(data, pos.checked_add(at)?, big);
    let mut big = section.big_endian;
    let kind = word(0, big)?;
    if kind == SHB {
        // The section's byte order is that of its byte-order magic, 0x1A2B3C4D.
        big = match word(8, false)? {
            0x1A2B_3C4D => false,
            0x4D3C_2B1A => true,
            _ => return None,
        };
    }
    let len = word(4, big)? as usize;
    if len < BLOCK_HEAD || !len.is_multiple_of(4) {
        return None;
    }
    Some((len, takes_frame_number(kind), big))
}

/// Reads up to `buf.len()` bytes at file offset `at`, as many as there are.
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_at(file, buf, at);
    #[cfg(windows)]
    return std::os::windows::fs::FileExt::seek_read(file, buf, at);
}

/// Reads `buf` from file offset `at` as far as the file goes: the bytes read, and whether
/// an error stopped the reading first. Also the key-log reading in parts's (`keys::parts`).
pub(crate) fn read_full(file: &File, buf: &mut [u8], at: u64) -> (usize, bool) {
    let mut have = 0;
    while let Some(rest) = buf.get_mut(have..).filter(|b| !b.is_empty()) {
        match read_at(file, rest, at + have as u64) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return (have, true),
        }
    }
    (have, false)
}

/// Reads the block of the file at `at` (up to `size` bytes, fewer at its end) into the
/// start of `chunk`; a read error ends the block where it happened. Returns the bytes
/// read and whether an error stopped it.
pub(super) fn read_block(file: &File, at: u64, size: usize, chunk: &mut Chunk) -> (usize, bool) {
    // The buffer keeps the length it grew to (its last record's rest, read by `cut`): only
    // bytes read into it are ever looked at, so none is zeroed again for the next block.
    if chunk.data.len() < size {
        chunk.data.resize(size, 0);
    }
    match chunk.data.get_mut(..size) {
        Some(block) => read_full(file, block, at),
        None => (0, true),
    }
}

/// Where chunk `s` starts and what is known there: the file offset of its block and the
/// blocks' size, where its first record starts (the previous chunk's end), and the packets
/// before it.
pub(super) struct Start {
    pub block: u64,
    pub size: usize,
    pub first: u64,
    pub packets: u64,
}

/// Records in a row that must look like records for [`guess_first`] to take their start.
const CHAIN: usize = 4;

/// Where the first record that starts in a classic pcap block probably is (its offset in
/// `data`, the block's bytes read): the first offset from which [`CHAIN`] records in a row
/// each look like one (a sub-second below a second, a captured length no larger than its
/// original length nor than `size`, seconds within a day of the first's); failing that (a
/// block's last few records), the first from which those the bytes hold do. Only a guess,
/// and used only if right: the thread that read the block cuts it from there at once,
/// while its bytes are in that core's cache, and the cut is kept only if the chunk before
/// it ends exactly there (`SharedFile::run`): a cut made from one start is the same whoever
/// makes it, but for the numbering, which is shifted.
pub(super) fn guess_first(data: &[u8], size: usize, header: &Header) -> Option<usize> {
    let big = header.big_endian;
    let most = if header.nanos {
        1_000_000_000
    } else {
        1_000_000
    };
    // The record at `at`: its length if it looks like one, and its seconds.
    let looks = |at: usize| -> Option<(usize, u32)> {
        let head = |k: usize| word(data, at.checked_add(k)?, big);
        let (secs, sub, caplen, origlen) = (head(0)?, head(4)?, head(8)?, head(12)?);
        (sub < most && caplen <= origlen && (caplen as usize) + RECORD_HEADER <= size)
            .then_some((caplen as usize + RECORD_HEADER, secs))
    };
    // Do records in a row from `start` look like records: `CHAIN` of them (true), or as
    // many as `data` holds the headers of (false)?
    let chain = |start: usize| -> Option<bool> {
        let (mut len, secs) = looks(start)?;
        let mut at = start;
        for _ in 1..CHAIN {
            at += len;
            if at + RECORD_HEADER > data.len() {
                return Some(false);
            }
            match looks(at) {
                Some((l, t)) if t.abs_diff(secs) <= 86_400 => len = l,
                _ => return None,
            }
        }
        Some(true)
    };
    let mut short = None;
    for start in 0..data.len().min(size) {
        // The cheapest test first, on one word: a sub-second below a second, which most
        // offsets inside packet bytes fail (`chain` checks it again).
        if word(data, start + 4, big).is_none_or(|sub| sub >= most) {
            continue;
        }
        match chain(start) {
            Some(true) => return Some(start),
            Some(false) => short = short.or(Some(start)),
            None => {}
        }
    }
    short
}

/// A cut made from a guessed start by the thread that read the block ([`guess_first`]):
/// the start (a file offset), and what [`cut`] returned; the chunk was cut and indexed as
/// if no packet came before.
#[derive(Debug, Clone, Copy)]
pub(super) struct Guess {
    pub first: u64,
    pub next: Option<u64>,
}

impl Guess {
    /// The chunk cut from this guess, numbered after the `packets` before it, and where the
    /// next chunk starts: if the chunk before ended at `first`, the guessed start.
    pub(super) fn adopt(self, first: u64, packets: u64, chunk: &mut Chunk) -> Option<Option<u64>> {
        if self.first != first {
            return None;
        }
        chunk.number = packets;
        if let Some(End::Resume { number, .. }) = &mut chunk.end {
            *number += packets;
        }
        if let Some(t) = &mut chunk.tally {
            t.shift(packets);
        }
        Some(self.next)
    }
}

/// Cuts `chunk`, whose block ([`read_block`]: `read` bytes of `at.size`, `failed` if an
/// error stopped it) starts at `at.block`, into the whole records (or blocks, following
/// the pcapng `section`) that start in the block, from `at.first`; the last one's end, where it runs
/// past the block, is read from the file. Returns where the next chunk's first record
/// starts (at or after the next block's start), or `None` when sharing ends in this chunk
/// (`chunk.end` says how).
pub(super) fn cut(
    file: &File,
    at: Start,
    (read, failed): (usize, bool),
    section: &mut Section,
    chunk: &mut Chunk,
    header: &Header,
    walked: Walked,
) -> Option<u64> {
    let first = usize::try_from(at.first.saturating_sub(at.block)).unwrap_or(usize::MAX);
    let mut have = read;
    // Makes bytes up to `to` of the chunk's data present, reading on from the file where
    // the block ended (at most a chunk more); false where the file ends or fails first.
    // Asked only past what was read (`have`): once a chunk, for its last record.
    let more = |data: &mut Vec<u8>, have: &mut usize, to: usize| -> bool {
        if failed || to > 2 * at.size {
            return false;
        }
        let want = to.max(*have + TAIL_READ).min(2 * at.size);
        if data.len() < want {
            data.resize(want, 0);
        }
        if let Some(buf) = data.get_mut(*have..want) {
            *have += read_full(file, buf, at.block + *have as u64).0;
        }
        *have >= to
    };
    let head = if header.ng { BLOCK_HEAD } else { RECORD_HEADER };
    // From past the records already walked (and indexed) from `first`.
    let mut pos = first.saturating_add(walked.to);
    let mut n = walked.records;
    // Classic pcap: the records whole in the bytes read, each no larger than a block and
    // starting in it, by their lengths alone (what the loop below does with each of them,
    // without its other cases); the loop then goes on from the first that is not.
    if !header.ng {
        let data = chunk.data.get(..read).unwrap_or_default();
        while pos < at.size {
            match record_len(data, pos, header.big_endian) {
                Some(len) if len <= at.size => {
                    pos += len;
                    n += 1;
                }
                _ => break,
            }
        }
    }
    let end = loop {
        // A record that starts past the block is the next chunk's.
        if pos >= at.size {
            break None;
        }
        // Where each reader goes on alone if this record is not shared.
        let resume = Some(End::Resume {
            offset: at.block + pos as u64,
            number: at.packets + n,
        });
        // The block was read to the end of the file (or to an error) and holds no more.
        if pos >= read {
            break if pos == read && !failed {
                Some(End::Clean)
            } else {
                resume
            };
        }
        // The record's length (a record larger than a chunk, or a length that cannot be,
        // is not shared), then the record whole (the file may end inside it).
        if pos + head > have && !more(&mut chunk.data, &mut have, pos + head) {
            break resume;
        }
        let found = if header.ng {
            block_head(&chunk.data, pos, *section)
        } else {
            record_head(&chunk.data, pos, header.big_endian).map(|len| (len, true, false))
        };
        let Some((len, packet, big)) = found.filter(|f| f.0 <= at.size) else {
            break resume;
        };
        if pos + len > have && !more(&mut chunk.data, &mut have, pos + len) {
            break resume;
        }
        if header.ng {
            section.big_endian = big;
        }
        pos += len;
        n += u64::from(packet);
    };
    chunk.first = first.min(pos);
    chunk.len = pos;
    chunk.offset = at.first;
    chunk.number = at.packets;
    chunk.count = n;
    chunk.end = end;
    end.is_none().then_some(at.block + pos as u64)
}

/// Which records of a chunk [`index`] takes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Span {
    /// Every record of the cut chunk, from `chunk.first` to `chunk.len`, on from the
    /// first `from` bytes' (0: the index is made anew).
    From(usize),
    /// Cutting a classic pcap chunk while indexing it: from `chunk.first`, the records
    /// whole in its first `read` bytes that start in its block of `size` bytes and are no
    /// larger, as [`cut`]'s first loop walks them; `cut` goes on from where this stops.
    Block { read: usize, size: usize },
}

/// The records an index walked: `records` of them, in the first `to` bytes from
/// `chunk.first`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Walked {
    pub to: usize,
    pub records: u64,
}

/// Fills in [`Chunk::index`] for a reader per shard `deal` deals to (nothing with one reader),
/// `ng` following a pcapng file's sections and interfaces from chunk to chunk, for the
/// records `span` says; returns what it walked (nothing with one reader).
pub(super) fn index<D: Deal>(
    chunk: &mut Chunk,
    header: &Header,
    deal: &D,
    ng: &mut NgIndexer,
    span: Span,
) -> Walked {
    // Made for each framing and byte order: tested once a chunk, not at every word.
    match (header.ng, header.big_endian) {
        (true, _) => index_as::<D, true, false>(chunk, header, deal, ng, span),
        (false, false) => index_as::<D, false, false>(chunk, header, deal, ng, span),
        (false, true) => index_as::<D, false, true>(chunk, header, deal, ng, span),
    }
}

/// [`index`] of a pcapng file (`NG`), or of a classic one in the byte order `BIG`.
fn index_as<D: Deal, const NG: bool, const BIG: bool>(
    chunk: &mut Chunk,
    header: &Header,
    deal: &D,
    ng: &mut NgIndexer,
    span: Span,
) -> Walked {
    // The records from `from` in the chunk's bytes up to `end` that start before `starts`
    // and are at most `largest` bytes long.
    let (from, end, starts, largest) = match span {
        Span::From(from) => (from, chunk.len, usize::MAX, usize::MAX),
        // Only a classic pcap chunk is cut so.
        Span::Block { read, size } if !NG => (0, read, size.saturating_sub(chunk.first), size),
        Span::Block { .. } => return Walked::default(),
    };
    if from == 0 {
        chunk.index.clear();
        chunk.owners.clear();
        chunk.times.clear();
        chunk.tally = None;
    }
    if deal.readers() < 2 || deal.readers() >= u64::from(NO_TCP) {
        return Walked::default();
    }
    let big = BIG;
    let data = chunk.data.get(chunk.first..end).unwrap_or_default();
    let indexed = chunk.index.len();
    // The index never takes more bytes than the records it covers: where records are
    // smaller than an entry on average (empty ones are 16 bytes; a bare ACK in Raw IP, 56),
    // the last ones are read past it, as any record it does not cover.
    let most = data.len() / INDEX_ENTRY;
    let mut pos = from;
    // A record that starts past the block (`cut`'s to take), or is larger than the block.
    while pos < data.len() && pos < starts && chunk.index.len() < most {
        let rest = data.get(pos..).unwrap_or_default();
        // The record or block's length, and its packet.
        let found = if NG {
            ng.next(rest)
        } else {
            // The header's four words read at once (as the streaming reader reads them);
            // the record whole.
            whole_record(rest, big)
                .filter(|&(_, len)| len <= largest)
                .map(|(b, len)| {
                    let packet = Found {
                        ts: record_time(b.ts_sec, b.ts_usec, header.nanos),
                        at: RECORD_HEADER,
                        len: b.data.len(),
                        orig_len: b.origlen.max(b.caplen),
                        link: header.link,
                        iface: u32::MAX,
                    };
                    (len, Some(packet))
                })
        };
        let Some((len, packet)) = found else { break };
        let mut ts = Timestamp(0);
        let mut rec = Rec {
            end: (pos + len) as u32,
            owner: ANY,
            at: 0,
            len: 0,
            orig_len: 0,
            link: header.link,
            iface: u32::MAX,
            plain: Plain::default(),
        };
        if let Some(p) = packet {
            let bytes = rest.get(p.at..p.at + p.len).unwrap_or_default();
            // One cut by the snap length goes to every reader: shard 0 counts those.
            let whole = p.orig_len as usize <= p.len;
            match whole.then(|| deal.deal(p.link, bytes)) {
                Some(Dealt::Reader(owner, plain)) => (rec.owner, rec.plain) = (owner, plain),
                Some(Dealt::NoTcp) => rec.owner = NO_TCP,
                Some(Dealt::Every) | None => {}
            }
            ts = p.ts;
            (rec.at, rec.len, rec.orig_len, rec.link, rec.iface) = (
                (pos + p.at) as u32,
                p.len as u32,
                p.orig_len,
                p.link,
                p.iface,
            );
        }
        // A pcapng block with no packet of plain TCP is read by every reader, as any
        // block: it needs no more here.
        if !NG {
            // Each record is a packet, numbered in turn.
            let number = chunk.number + chunk.index.len() as u64 + 1;
            match &mut chunk.tally {
                Some(t) => t.see_at(number, ts),
                None => chunk.tally = Some(Part::new(number, ts)),
            }
        }
        chunk.owners.push(rec.owner);
        chunk.times.push(ts);
        chunk.index.push(rec);
        pos += len;
    }
    Walked {
        to: pos,
        records: (chunk.index.len() - indexed) as u64,
    }
}
