//! Filling one chunk of a shared file, and indexing it: the work of whichever reader thread
//! claimed the chunk ([`SharedFile::next`](super::SharedFile::next)), done outside the lock.
//!
//! In: the file at the chunk's offset, the start of the record the previous chunk cut, the
//! byte order of the current pcapng section and its interfaces ([`NgIndexer`]), the number
//! of readers. Out: the [`Chunk`]: up to [`CHUNK`] bytes, the whole records or blocks among
//! them, where sharing ends if it ends there ([`End`]), and the index of its records
//! ([`Rec`]): for a whole packet of plain TCP, the reader whose shard owns its flow and where
//! its IP and TCP parts are; for a pcapng one, its interface ID too.
//!
//! Spec: only the framing is read to fill: a classic pcap record's 16-byte header (its
//! captured length; the libpcap file format), a pcapng block's type and total length
//! (draft-ietf-opsawg-pcapng §3.1) and a Section Header Block's byte-order magic (§4.1). The
//! index reads a classic record's time words itself, and pcapng blocks through
//! [`NgIndexer`] (the readers' own pcapng state, `file::pcapng`).

use super::{Chunk, End, Header, Rec, ANY, CHUNK, NO_TCP};
use crate::capture::file::{record_time, takes_frame_number, word, Found, NgIndexer, Part};
use crate::capture::Timestamp;
use crate::decode::{never_tcp, Plain, Shards};
use std::fs::File;
use std::io::{self, Read};

/// A record's header: seconds, sub-seconds, captured length, original length.
pub(super) const RECORD_HEADER: usize = 16;

/// What the filler of a pcapng file follows from chunk to chunk: the byte order of the
/// current section.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Section {
    big_endian: bool,
}

/// The length (header included) of the whole record at `pos` in `data`, if it is there.
pub(super) fn record_len(data: &[u8], pos: usize, big_endian: bool) -> Option<usize> {
    let caplen = word(data, pos.checked_add(8)?, big_endian)?;
    let len = RECORD_HEADER.checked_add(caplen as usize)?;
    (pos.checked_add(len)? <= data.len()).then_some(len)
}

/// The length of the whole pcapng block at `pos` in `data`, if it is there, and whether it
/// takes a frame number (a packet, or a block Wireshark shows as a frame); `section` follows the byte order of the sections. Only the framing is read
/// here (type, length, and a section's byte-order magic): a block that does not parse is
/// the readers' to find, and they go on alone from it (`file::read_shared`).
fn block_len(data: &[u8], pos: usize, section: &mut Section) -> Option<(usize, bool)> {
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
    if len < 12 || !len.is_multiple_of(4) || pos.checked_add(len)? > data.len() {
        return None;
    }
    section.big_endian = big;
    Some((len, takes_frame_number(kind)))
}

/// Fills `chunk` with `carry` and then the file, up to [`CHUNK`] bytes, keeps its whole
/// records (or blocks, following the pcapng `section`), and leaves the cut one in `carry`.
/// `at` is the file offset of the chunk's start and the packets before it. Returns the
/// bytes read from the file.
pub(super) fn fill(
    file: &mut File,
    carry: &mut Vec<u8>,
    at: (u64, u64),
    section: &mut Section,
    chunk: &mut Chunk,
    header: &Header,
) -> usize {
    let (offset, packets) = at;
    if chunk.data.len() < CHUNK {
        chunk.data.resize(CHUNK, 0);
    }
    let kept = carry.len().min(CHUNK);
    if let (Some(to), Some(from)) = (chunk.data.get_mut(..kept), carry.get(..kept)) {
        to.copy_from_slice(from);
    }
    let mut have = kept;
    let mut read = 0;
    let mut failed = false;
    let mut eof = false;
    while have < CHUNK {
        match file.read(chunk.data.get_mut(have..).unwrap_or_default()) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => {
                have += n;
                read += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let data = chunk.data.get(..have).unwrap_or_default();
    let mut pos = 0;
    let mut n = 0;
    if header.ng {
        while let Some((len, packet)) = block_len(data, pos, section) {
            pos += len;
            n += u64::from(packet);
        }
    } else {
        while let Some(len) = record_len(data, pos, header.big_endian) {
            pos += len;
            n += 1;
        }
    }
    chunk.len = pos;
    chunk.offset = offset;
    chunk.number = packets;
    chunk.count = n;
    carry.clear();
    carry.extend_from_slice(data.get(pos..).unwrap_or_default());
    // The record at `pos` cannot be shared if the file ends inside it, it does not fit in a
    // chunk, or the file could not be read: the readers go on from it on their own.
    let too_large = pos == 0 && have == CHUNK;
    chunk.end = if failed || too_large || (eof && !carry.is_empty()) {
        Some(End::Resume {
            offset: offset + pos as u64,
            number: packets + n,
        })
    } else if eof {
        Some(End::Clean)
    } else {
        None
    };
    read
}

/// Fills in [`Chunk::index`] for a reader per shard of `shards` (nothing with one reader),
/// `ng` following a pcapng file's sections and interfaces from chunk to chunk.
pub(super) fn index(chunk: &mut Chunk, header: &Header, shards: &Shards, ng: &mut NgIndexer) {
    chunk.index.clear();
    chunk.owners.clear();
    chunk.tally = None;
    if shards.count() < 2 || shards.count() >= u64::from(NO_TCP) {
        return;
    }
    let big = header.big_endian;
    let data = chunk.data.get(..chunk.len).unwrap_or_default();
    let mut pos = 0;
    while pos < data.len() {
        let rest = data.get(pos..).unwrap_or_default();
        // The record or block's length, and its packet.
        let found = if header.ng {
            ng.next(rest)
        } else {
            record_len(data, pos, big).map(|len| {
                let head = |at: usize| word(rest, at, big).unwrap_or_default();
                let (caplen, origlen) = (head(8), head(12));
                let packet = Found {
                    ts: record_time(head(0), head(4), header.nanos),
                    at: RECORD_HEADER,
                    len: caplen as usize,
                    orig_len: origlen.max(caplen),
                    link: header.link,
                    iface: u32::MAX,
                };
                (len, Some(packet))
            })
        };
        let Some((len, packet)) = found else { break };
        let mut rec = Rec {
            end: (pos + len) as u32,
            owner: ANY,
            ts: Timestamp(0),
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
            let plain = whole.then(|| Plain::find(p.link, bytes)).flatten();
            if let Some((plain, (a, b))) = plain.and_then(|x| Some((x, x.ends(bytes)?))) {
                rec.owner = shards.owner(&a, &b) as u8;
                rec.plain = plain;
            } else if whole && never_tcp(p.link, bytes) {
                rec.owner = NO_TCP;
            }
            (rec.ts, rec.at, rec.len, rec.orig_len, rec.link, rec.iface) = (
                p.ts,
                (pos + p.at) as u32,
                p.len as u32,
                p.orig_len,
                p.link,
                p.iface,
            );
        }
        // A pcapng block with no packet of plain TCP is read by every reader, as any
        // block: it needs no more here.
        if !header.ng {
            // Each record is a packet, numbered in turn.
            let number = chunk.number + chunk.index.len() as u64 + 1;
            match &mut chunk.tally {
                Some(t) => t.see_at(number, rec.ts),
                None => chunk.tally = Some(Part::new(number, rec.ts)),
            }
        }
        chunk.owners.push(rec.owner);
        chunk.index.push(rec);
        pos += len;
    }
}
