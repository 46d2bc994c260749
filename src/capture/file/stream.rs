//! The streaming reader: one input's bytes, classic pcap or pcapng, read record by record
//! through a bounded buffer (pcap-parser's, grown for a record larger than it, up to
//! [`BUFFER_MAX`]).
//!
//! In: a [`Stream`]: the bytes from the capture's header on (`input`), or, for a reader of a
//! shared file that goes on alone, the header followed by the file from a record on
//! ([`open_at`]) or the file read again from its start ([`reopen`]). Out: every
//! packet to a callback, through the input's [`Tally`]; into its [`InputSummary`], the
//! format, link types, packet count, and what ended the input early (a record cut by the
//! end of the input, one too large, one that does not parse, a damaged gzip stream), in the
//! words of `damage`. A pcapng block that is whole and well framed (§3.1) but does not parse
//! ends nothing: it is skipped with a warning (`Ng::skip_damaged`), the blocks after it read.
//!
//! Spec: the libpcap file format (a file header, then records: `pcap`) and pcapng
//! (draft-ietf-opsawg-pcapng §3.1 blocks, §4.1-4.4: `pcapng`), both parsed by pcap-parser:
//! Enhanced Packet Blocks (§4.3) read in place first, and whole classic records where they
//! lie (their 16-byte headers read here, all that the buffer holds at once); the rest
//! through its reader.

use super::damage::{
    analyzed_before, cut_warning, declared_len, declares, describe, framed_block, header_error,
    record_problem, record_problem_in, which_record, Problem,
};
use super::input::{Counted, Damage};
use super::pcap::{legacy_packet, link_and_fcs, HEADER_LEN};
use super::pcapng::Ng;
use super::{Progress, Tally};
use crate::capture::Packet;
use crate::error::Error;
use crate::vocab::{InputSummary, LinkType};
use pcap_parser::{LegacyPcapBlock, PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;
use std::sync::Arc;

/// Reader buffer to start with: room for any ordinary packet record (a 64 KiB offloaded
/// segment included), and small (a memory map instead costs resident pages that the kernel
/// maps ahead in large folios: 2-4 MiB more peak RSS, for no gain in time).
const BUFFER: usize = 256 << 10;

/// What the reader buffer may grow to for one record. A record larger than this (far
/// beyond any real packet, even a 256 KiB offloaded segment) means the file is damaged
/// there.
const BUFFER_MAX: usize = 2 << 20;

/// Bytes of an input read before its header is parsed, unless it ends before: what
/// pcap-parser's first read is handed (a file's first read gives as much).
const HEAD: usize = 64 << 10;

/// The first [`HEAD`] bytes of `reader`, or all of it if it ends before, or what came
/// before a read error (which the next read meets again); from a pipe, only until the
/// capture's header is whole ([`header_len`]): a capture written as it is taken
/// (`tcpdump -U -w - | wsclose analyze --follow -`) is read as its packets come, not once
/// 64 KiB of them came.
fn read_head(reader: &mut dyn Read) -> Vec<u8> {
    let mut head = vec![0; HEAD];
    let mut have = 0;
    while have < HEAD && header_len(head.get(..have).unwrap_or_default()).is_none_or(|n| have < n) {
        match reader.read(head.get_mut(have..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    head.truncate(have);
    head
}

/// An input's first bytes, read already ([`read_head`]), then the rest of it. pcap-parser
/// reads twice before it hands the first record on (in `create_reader`, then in its
/// reader's `from_buffer`): the first read takes the whole head (smaller than [`BUFFER`]),
/// and the second is answered with nothing rather than made on the input, where it would
/// wait for more bytes from a pipe (a capture followed as it is written would show
/// nothing until 256 KiB more came). An empty read there does not end the input: reads
/// after it go on.
struct Headed<R> {
    head: std::io::Cursor<Arc<[u8]>>,
    /// The next read after the head answers nothing.
    wait: bool,
    rest: R,
}

impl<R: Read> Read for Headed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if std::mem::take(&mut self.wait) {
            return Ok(0);
        }
        self.rest.read(buf)
    }
}

/// The length of the capture header that `head` starts, once its first bytes say it: 24
/// bytes for a pcap file, the Section Header Block's length for a pcapng one (when it fits
/// in [`HEAD`]); none for anything else, or not yet known.
fn header_len(head: &[u8]) -> Option<usize> {
    let word = |at: usize| -> Option<[u8; 4]> { head.get(at..at + 4)?.try_into().ok() };
    let magic = word(0)?;
    const PCAP: [[u8; 4]; 4] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
    ];
    if PCAP.contains(&magic) {
        return Some(24);
    }
    if magic != [0x0a, 0x0d, 0x0d, 0x0a] {
        return None;
    }
    let len = word(4)?;
    let len = match word(8)? {
        [0x4d, 0x3c, 0x2b, 0x1a] => u32::from_le_bytes(len),
        [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(len),
        _ => return None,
    };
    usize::try_from(len).ok().filter(|&n| n <= HEAD)
}

/// Why pcap-parser refused the record at the reader's position (its error, which borrows
/// the reader, made owned).
enum Failed {
    /// More bytes are needed.
    Incomplete,
    /// The input ends inside it.
    UnexpectedEof,
    /// It is larger than the buffer.
    BufferTooSmall,
    /// It does not parse, in words.
    Other(String),
}

impl Failed {
    fn of<I>(e: &PcapError<I>) -> Failed {
        match e {
            PcapError::Incomplete(_) => Failed::Incomplete,
            PcapError::UnexpectedEof => Failed::UnexpectedEof,
            PcapError::BufferTooSmall => Failed::BufferTooSmall,
            e => Failed::Other(describe(e)),
        }
    }
}

/// The byte stream of one input for [`read_from`]: from its start, or (a plain classic
/// pcap file) from a record in the middle.
pub(super) struct Stream {
    /// Its (decompressed) bytes, starting with the capture's header.
    pub(super) reader: Box<dyn Read + Send>,
    pub(super) damage: Damage,
    /// Added to the reader's offsets to give the file's in warnings: 0 from the start; for
    /// the header followed by the file from a record on, that record's offset less the
    /// header's length.
    pub(super) base: u64,
    /// Packets before the stream's first record.
    pub(super) number: u64,
    /// Packets up to this number were delivered already (read from chunks shared with
    /// other threads): they are read again, for the state they set, but not delivered.
    pub(super) delivered: u64,
    /// The warning about packets of undescribed pcapng interfaces was given already.
    pub(super) warned_bad_if: bool,
}

/// The classic pcap record at the start of `data` when it is whole there (its 16-byte
/// header and the `caplen` bytes it declares), and its length; `None` otherwise. What
/// pcap-parser's `parse_pcap_frame` (`_be`) reads, without its error values. Also what
/// the index of a shared file reads each classic record with (`capture::shared`).
#[inline(always)]
pub(crate) fn whole_record(data: &[u8], big_endian: bool) -> Option<(LegacyPcapBlock<'_>, usize)> {
    let (head, rest) = data.split_first_chunk::<16>()?;
    let [s0, s1, s2, s3, f0, f1, f2, f3, c0, c1, c2, c3, o0, o1, o2, o3] = *head;
    let word = |w: [u8; 4]| {
        if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let caplen = word([c0, c1, c2, c3]);
    let bytes = rest.get(..caplen as usize)?;
    let block = LegacyPcapBlock {
        ts_sec: word([s0, s1, s2, s3]),
        ts_usec: word([f0, f1, f2, f3]),
        caplen,
        origlen: word([o0, o1, o2, o3]),
        data: bytes,
    };
    Some((block, 16 + bytes.len()))
}

/// The reading loop of [`read_counted`](super::read_counted) and of a
/// [`read_shared`](super::read_shared) reader that goes on alone: every packet of `stream`
/// to `sink` (through `tally`), its format, link types, packet count and damage into
/// `summary`.
pub(super) fn read_from(
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
    let compression = summary.compression;
    let bytes = summary.bytes;
    let damaged = || damage.lock().ok().and_then(|d| d.clone());
    let mut sink = |p: &Packet<'_>| {
        if p.number > delivered {
            tally.see(p);
            sink(p)
        }
    };
    // The input's first bytes, read before pcap-parser's first read (which takes what one
    // read gives: from a pipe, maybe less than a header) and kept for an error about the
    // header (the input is not opened again to quote them: a stream could not be).
    let mut reader = reader;
    let head: Arc<[u8]> = read_head(&mut reader).into();
    let reader = Headed {
        head: std::io::Cursor::new(Arc::clone(&head)),
        wait: !head.is_empty(),
        rest: reader,
    };
    let mut reader = match pcap_parser::create_reader(BUFFER, reader) {
        Ok(r) => r,
        Err(e) => {
            if let Some((_, why)) =
                damaged().filter(|(_, w)| w.starts_with(super::input::ZSTD_WINDOW))
            {
                return Err(Error::CompressedWindow {
                    path: path.to_path_buf(),
                    detail: why,
                });
            }
            if let Some((at, why)) = damaged() {
                return Err(Error::BadGzip {
                    path: path.to_path_buf(),
                    detail: format!(
                        "it fails after {at} decompressed bytes, before a capture header: {why}"
                    ),
                });
            }
            if let Some(kind) = compression {
                return Err(Error::NotACapture {
                    path: path.to_path_buf(),
                    magic: format!(
                        "{kind} data that, decompressed, is not a pcap or pcapng capture either"
                    ),
                });
            }
            return Err(header_error(path, e, &head, bytes));
        }
    };
    let mut capacity = BUFFER;
    let mut legacy: Option<(LinkType, bool, u8)> = None;
    // Whether a classic record is read in place (below): after a header of the usual
    // record format, not the modified one (24-byte record headers).
    let mut quick_legacy = false;
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
        } else if let (true, Some((link, nanos, fcs))) = (quick_legacy, legacy) {
            // Whole classic records read where they lie, as the shared reader does, all
            // that the buffer holds, then consumed at once (one call into the reader a
            // buffer, not two a record); what is not whole (the buffer's end, the file's)
            // goes through the reader below, which says why.
            let data = reader.data();
            let mut used = 0;
            while let Some((b, len)) =
                whole_record(data.get(used..).unwrap_or_default(), big_endian)
            {
                number += 1;
                sink(&legacy_packet(&b, number, link, nanos, fcs));
                used += len;
            }
            if used > 0 {
                reader.consume_noshift(used);
                continue;
            }
        }
        let failed = match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let (link, fcs) = link_and_fcs(h.network.0 as u32);
                        summary.note_link(link);
                        legacy = Some((link, h.is_nanosecond_precision(), fcs));
                        big_endian = h.is_bigendian();
                        quick_legacy = !h.is_modified_format();
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let (link, nanos, fcs) = legacy.unwrap_or((LinkType::ETHERNET, false, 0));
                        number += 1;
                        sink(&legacy_packet(&b, number, link, nanos, fcs));
                    }
                    PcapBlockOwned::NG(block) => {
                        ng.block(&block, &mut number, summary, &mut sink);
                        big_endian = ng.big_endian;
                    }
                }
                reader.consume_noshift(offset);
                continue;
            }
            Err(PcapError::Eof) => break,
            Err(e) => Failed::of(&e),
        };
        // A pcapng block that is whole and well framed but does not parse: a length inside
        // it, or its byte-order magic, says what it cannot be. It is skipped (said in a
        // warning), and the blocks after it are read.
        if summary.format == "pcapng" {
            if let Some((kind, len)) = framed_block(reader.data(), big_endian) {
                let at = reader.consumed() + base as usize;
                let block = reader.data().get(..len).unwrap_or_default();
                ng.skip_damaged(block, kind, &mut number, at, summary);
                reader.consume_noshift(len);
                continue;
            }
        }
        match failed {
            Failed::Incomplete => {
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
            Failed::UnexpectedEof => {
                // A record cut by compressed data that ends or breaks is said once, by the
                // warning about the compressed data below.
                if damaged().is_none() {
                    let problem = record_problem(reader.data(), summary.format, big_endian, true);
                    summary.warnings.push(cut_warning(
                        problem,
                        summary.format,
                        number,
                        reader.consumed() + base as usize,
                    ));
                }
                summary.truncated = true;
                break;
            }
            Failed::BufferTooSmall => {
                let at = reader.consumed() + base as usize;
                // Bytes of the file from this record on (a plain file's offsets are the
                // reader's; a gzip stream's are not).
                let left = bytes
                    .filter(|_| compression.is_none())
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
            Failed::Other(what) => {
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
    summary.warnings.extend(ng.damaged_note());
    summary.packets = number;
    if let Some((at, why)) = damaged() {
        summary.truncated = true;
        tally.last_warning = Some(format!(
            "the {} data is damaged or cut short after {at} decompressed bytes ({why}); the {number} packets before it were analyzed",
            compression.unwrap_or("compressed")
        ));
    }
    Ok(())
}

/// Opens a plain classic pcap file at the record at byte `offset`, after packet `number`:
/// its global header, then the file from there.
pub(super) fn open_at(
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

/// A pcapng file from its start for a `read_shared` reader that goes
/// on alone from packet `number`: its sections and interfaces are only known from the
/// blocks before, so they are read again, and the packets up to `number` are not delivered
/// again (nor is the warning about undescribed interfaces given again, if `warned`).
pub(super) fn reopen(path: &Path, number: u64, warned: bool) -> Result<Stream, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::file::testing::{read_all, temp};
    use crate::vocab::Timestamp;

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

    /// Classic records read in place are the records pcap-parser's own reader gives, in
    /// either byte order and time unit, across the buffer's end (records of every size up
    /// to over 1 500 bytes, more than a buffer's worth), and a file cut inside its last
    /// record gives every whole record before it and says it was cut.
    #[test]
    fn classic_records_read_in_place_are_pcap_parsers() {
        use pcap_parser::traits::PcapReaderIterator;
        for (big, nanos) in [(false, false), (true, true), (true, false), (false, true)] {
            let w = |v: u32| {
                if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            };
            let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
            let mut b = w(magic).to_vec();
            b.extend_from_slice(&if big {
                2u16.to_be_bytes()
            } else {
                2u16.to_le_bytes()
            });
            b.extend_from_slice(&if big {
                4u16.to_be_bytes()
            } else {
                4u16.to_le_bytes()
            });
            b.extend_from_slice(&[0; 8]);
            b.extend_from_slice(&w(65535));
            b.extend_from_slice(&w(1));
            let mut n = 0u32;
            while b.len() < 2 * BUFFER + 3000 {
                let len = (n * 37) % 1601;
                for v in [n, n * 1000 % 1_000_000, len, len + n % 3] {
                    b.extend_from_slice(&w(v));
                }
                b.extend((0..len).map(|i| (i ^ n) as u8));
                n += 1;
            }
            for cut in [0, 5] {
                let file = &b[..b.len() - cut];
                let mut want = Vec::new();
                let mut r = pcap_parser::LegacyPcapReader::new(1 << 16, file).unwrap();
                loop {
                    match r.next() {
                        Ok((used, block)) => {
                            if let pcap_parser::PcapBlockOwned::Legacy(x) = block {
                                let p = legacy_packet(
                                    &x,
                                    want.len() as u64 + 1,
                                    LinkType::ETHERNET,
                                    nanos,
                                    0,
                                );
                                want.push(crate::capture::file::testing::kept(&p));
                            }
                            r.consume(used);
                        }
                        Err(pcap_parser::PcapError::Incomplete(_)) => r.refill().unwrap(),
                        Err(_) => break,
                    }
                }
                assert_eq!(
                    want.len() as u32,
                    n - u32::from(cut > 0),
                    "{big} {nanos} {cut}"
                );
                let (s, seen) = read_all(&temp("classic.pcap", file));
                assert_eq!(seen, want, "{big} {nanos} {cut}");
                assert_eq!(s.truncated, cut > 0, "{:?}", s.warnings);
            }
        }
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
}
