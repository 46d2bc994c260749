//! One reader of a capture file that several threads share ([`SharedFile`], read once):
//! reader `k` hands its packets to the analyzer of shard `k` ([`ShardSink`]).
//!
//! In: the chunks of the file, each with the index made once for all readers (`capture::shared`).
//! Out: every packet to the sink, in file order: a packet of plain TCP that the index
//! found, to the reader of its flow's shard alone, with where its parts are and its pcapng
//! interface (this reader's own, of the ID the index found), the others being handed only
//! its time; every other packet to every reader, read here as the
//! streaming reader would (classic pcap records, pcapng blocks, see `pcap` and `pcapng`).
//! A classic pcap chunk whose index covers every record (each a packet, its time and bytes
//! in the index) is read from the index alone.
//! From the first record or block that is not shared (cut, too large, damaged), the reader
//! goes on alone with the streaming reader (`stream`), from that record of a classic file
//! or from the start of a pcapng file: every reader gives the same summary and warnings as
//! the streaming reader does.
//!
//! Spec: as the streaming reader's: classic pcap records (the libpcap file format) parsed
//! by pcap-parser; pcapng Enhanced Packet Blocks (draft-ietf-opsawg-pcapng §4.3) read in
//! place, any other block (§3.1, §4.1-4.4) parsed by pcap-parser.

use super::damage::{analyzed_before, which_record};
use super::pcap::legacy_packet;
use super::pcapng::Ng;
use super::stream::read_from;
use super::stream::{open_at, reopen};
use super::{Progress, Tally};
use crate::capture::shared::Plain;
use crate::capture::shared::{End, Run, SharedFile, ANY, NO_TCP};
use crate::capture::Packet;
use crate::error::Error;
use crate::vocab::{InputSummary, Timestamp};
use std::path::Path;

/// Owners looked at one by one before a run of other readers' packets is searched with
/// `memchr2` (see `read_shared`).
const NEAR: usize = 8;

/// [`read_counted`](super::read_counted) for reader `reader` of a file read once for
/// several threads: its packets come from the chunks they share; from the first record that
/// is not shared (a damaged or cut one), this reader reads on alone, with the same warnings
/// as [`read_counted`](super::read_counted). Every reader sees every packet.
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
    let mut summary = InputSummary::empty(path, None, Some(shared.size()));
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
        let (index, owners, times) = (chunk.index(), chunk.owners(), chunk.times());
        // The run of other readers' packets from `first` to `at`, and its latest time.
        let run = |first: usize, at: usize| {
            let run = Run {
                owners: owners.get(first..at).unwrap_or_default(),
                times: times.get(first..at).unwrap_or_default(),
            };
            (run, run.times.iter().copied().max().unwrap_or(Timestamp(0)))
        };
        let time = |at: usize| times.get(at).copied().unwrap_or(Timestamp(0));
        // The tally of the indexed packets, made once by its indexer (classic pcap): none to
        // make here for them.
        let tallied = chunk.tally().inspect(|part| tally.add(part)).is_some();
        // Below ANY: the index has no reader beyond.
        let me = u8::try_from(reader).unwrap_or(ANY);
        // A classic pcap chunk indexed and tallied whole, each record a packet (as
        // below, read from the index alone): in order, each record this reader's, every
        // reader's, or the first of a run of others'.
        if tallied && !header.ng && index.last().map(|r| r.end as usize) == Some(records.len()) {
            // The owners are read first: a record's `Rec` (written by the thread that
            // indexed the chunk, often on the other core) only where it is read.
            let mut at = 0;
            while let Some(&owner) = owners.get(at) {
                at += 1;
                if owner == me || owner == ANY {
                    let Some(rec) = index.get(at - 1) else { break };
                    number += 1;
                    let p = rec.packet(records, number, time(at - 1));
                    if owner == me {
                        sink.plain(&p, rec.plain);
                    } else {
                        sink.packet(&p);
                    }
                } else {
                    let first = at - 1;
                    at = run_end(owners, at, me);
                    let (run, latest) = run(first, at);
                    number += run.len() as u64;
                    sink.elsewhere_run(run, latest);
                }
            }
            packets = chunk.number + chunk.count;
            end = chunk.end;
            prev = Some(chunk);
            continue;
        }
        let mut at = 0;
        let mut data = records;
        // The chunk holds whole records or blocks only. A pcapng block may still not parse:
        // this reader goes on alone from there (every reader stops at the same block).
        while !data.is_empty() {
            if let Some(rec) = index.get(at) {
                at += 1;
                let next = records.get(rec.end as usize..).unwrap_or_default();
                if rec.owner == me {
                    number += 1;
                    let mut p = rec.packet(records, number, time(at - 1));
                    // This reader read the section's interfaces itself, as the indexer did.
                    p.iface = ng.interface(rec.iface);
                    if !tallied {
                        tally.see(&p);
                    }
                    sink.plain(&p, rec.plain);
                    data = next;
                    continue;
                }
                if rec.owner != ANY {
                    // This packet and the others up to the next one this reader reads, at
                    // once: other readers' packets, and those with no TCP inside. With many
                    // readers most packets are another's, and each reader passes each.
                    let first = at - 1;
                    at = run_end(owners, at, me);
                    let (run, latest) = run(first, at);
                    if !tallied {
                        for (k, ts) in run.times.iter().enumerate() {
                            tally.see_at(number + 1 + k as u64, *ts);
                        }
                    }
                    number += run.len() as u64;
                    sink.elsewhere_run(run, latest);
                    let end = index.get(at - 1).map_or(rec.end, |r| r.end);
                    data = records.get(end as usize..).unwrap_or_default();
                    continue;
                }
                if !header.ng {
                    number += 1;
                    let p = rec.packet(records, number, time(at - 1));
                    if !tallied {
                        tally.see(&p);
                    }
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
                // The shared reader takes no file whose records end with an FCS.
                let p = legacy_packet(&b, number, header.link, header.nanos, 0);
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

/// Where the run of other readers' packets (and those with no TCP inside) that goes on at
/// `at` ends: the next of `owners` that is `me`'s or every reader's, or their end.
#[inline(always)]
fn run_end(owners: &[u8], at: usize, me: u8) -> usize {
    let o = owners.get(at..).unwrap_or_default();
    // With two readers a run averages about two packets: its first owners are looked at
    // here, before a call to memchr2 for a longer one.
    at + o
        .iter()
        .take(NEAR)
        .position(|&b| b == me || b == ANY)
        .unwrap_or_else(|| {
            let far = o.get(NEAR..).unwrap_or_default();
            NEAR.min(o.len()) + memchr::memchr2(me, ANY, far).unwrap_or(far.len())
        })
}

/// What reader `k` of a shared file hands each packet to: the analyzer of shard `k` (of as
/// many shards as readers; see [`Chunk::index`](crate::capture::shared::Chunk::index)).
pub trait ShardSink {
    /// A packet to analyze: this reader's shard's, or one that must be decoded to know.
    fn packet(&mut self, p: &Packet<'_>);
    /// A packet of this reader's shard, found plain TCP with its parts at `plain`.
    fn plain(&mut self, p: &Packet<'_>, plain: Plain);
    /// A packet at `ts` of a plain TCP flow another reader's shard owns.
    fn elsewhere(&mut self, ts: Timestamp);
    /// A whole packet in which decoding finds no TCP segment and says so
    /// ([`NO_TCP`](crate::capture::shared::NO_TCP)), at `ts`: what analyzing it would do,
    /// without decoding it.
    fn passed(&mut self, ts: Timestamp);
    /// Packets in a row (`run`, at least one, in file order), the latest at `latest`, each
    /// of a plain TCP flow another reader's shard owns or with no TCP inside ([`NO_TCP`]):
    /// what [`ShardSink::elsewhere`] or [`ShardSink::passed`] does with each of their
    /// times, in turn.
    fn elsewhere_run(&mut self, run: Run<'_>, latest: Timestamp) {
        let _ = latest;
        for (owner, ts) in run.iter() {
            if owner == NO_TCP {
                self.passed(ts);
            } else {
                self.elsewhere(ts);
            }
        }
    }
    /// This reader must wait for another: one piece of work that can wait (false when
    /// there is none).
    fn idle(&mut self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
