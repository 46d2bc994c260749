//! The analysis of capture files ([`crate::analyze_files_with_progress`]): the TLS secrets
//! loaded first, then each input in turn, joined to the capture before it when it
//! continues it (rotated files) or read as a capture of its own, by one [`Analyzer`] or,
//! for a large file, by one per shard ([`Options::threads`]) reading it once; what each
//! input held that no connection shows is a warning on its summary.
//!
//! [`analyze_follow`] reads one input as it is written (standard input, a FIFO, a growing
//! regular file: `capture::file::read_follow`) the same way on one analyzer, which says
//! each close as it is read (`wsclose analyze --follow`), until the input ends or a stop.
//!
//! In: paths, options, key sources, a byte counter. Out: the [`Report`], its connections in
//! a store.

use super::{Analyzer, Options, Taps};
use crate::capture::file::rotation::{self, FirstPacket, Run};
use crate::capture::file::sequence::{Next, Sequence};
use crate::capture::file::{self, Progress};
use crate::error::Error;
use crate::report::redact::{KeySlot, SEED_PACKETS};
use crate::report::Report;
use crate::stack::tls::keylog::KeyLog;
use crate::vocab::{InputSummary, LinkType};
use crate::{decode, flow, keys, memory};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The decoding's limits a warning on unpeeled packets names: tunnels, headers.
const DEEPEST: (usize, usize) = (decode::tunnel::MAX_TUNNELS, decode::tunnel::MAX_HEADERS);

/// How an input was taken after the first: joined to the capture before it (`Ok`, why) or
/// read on its own (`Err`, why); `None` for an input that follows none.
type Taken = Option<Result<String, String>>;

/// See [`crate::analyze_files_with_progress`].
pub fn analyze_files_with_progress(
    paths: &[PathBuf],
    opts: Options,
    key_sources: &keys::KeySources,
    progress: Option<Progress>,
) -> Result<Report, Error> {
    analyze(paths, opts, key_sources, progress, None)
}

/// See [`crate::analyze_follow`]: one input, read by one analyzer on this thread, which
/// calls `on_event` for each close as the packets that make it are read.
pub fn analyze_follow(
    path: &Path,
    mut opts: Options,
    key_sources: &keys::KeySources,
    taps: Taps,
    stop: &file::Stop,
    key: &KeySlot,
) -> Result<Report, Error> {
    opts.threads = 1;
    analyze(
        &[path.to_path_buf()],
        opts,
        key_sources,
        None,
        Some((taps, Arc::clone(stop), Arc::clone(key))),
    )
}

/// The analysis of `paths`; when followed, with `on_event` given to the (then single)
/// analyzer and the input read until it ends or the stop is set.
fn analyze(
    paths: &[PathBuf],
    opts: Options,
    key_sources: &keys::KeySources,
    progress: Option<Progress>,
    follow: Option<(Taps, file::Stop, KeySlot)>,
) -> Result<Report, Error> {
    // A directory followed is a capture ring (`tcpdump -C`/`-G` with `-W`, `dumpcap -b`):
    // its files read in turn as they appear (`capture::file::sequence`).
    let ring = match paths {
        [dir] if follow.is_some() && dir.is_dir() => Some(dir.clone()),
        _ => None,
    };
    // A directory stands for the captures in it, in time order.
    let (paths, _) = match ring {
        Some(_) => (Vec::new(), Vec::new()),
        None => rotation::expand(paths)?,
    };
    let paths = &paths[..];
    // TLS secrets: the key logs given, and those the pcapng inputs carry.
    // (A large key log keeps only the connections the captures hold, which are read for
    // their ClientHellos first: by as many threads as the analysis. A followed capture is
    // not read ahead: the connections it will hold are not in it yet.)
    let mut loaded = if follow.is_some() {
        keys::load_all(key_sources, paths, Analyzer::threads(&opts))
    } else {
        keys::load(
            key_sources,
            paths,
            Analyzer::threads(&opts),
            opts.max_memory,
        )
    };
    // A `--keylog` file that is missing or is no key log fails as a missing capture does.
    if let Some(e) = loaded.refused.take() {
        return Err(e);
    }
    // Every source is read: records of a connection with no key are not held for one.
    loaded.keys.set_complete();
    let mut files = Files::new(opts, Arc::new(loaded.keys), progress);
    if let Some((mut f, stop, key)) = follow {
        files.on_note = f.on_note.take();
        files.analyzer.tap(f);
        files.analyzer.share_key(key);
        files.follow = Some(stop);
    }
    let mut inputs: Vec<InputSummary> = Vec::with_capacity(paths.len());
    let mut first_error = None;
    // The inputs in the order read: the paths given, or the ring's files as they appear.
    let sequence = match (&ring, &files.follow) {
        (Some(dir), Some(stop)) => Sequence::ring(dir, Arc::clone(stop)),
        _ => Sequence::given(paths.to_vec()),
    };
    let mut ring_warnings = Vec::new();
    for next in sequence {
        match next {
            Next::File {
                path,
                first,
                superseded,
            } => {
                let ring_file = superseded.clone();
                files.superseded = superseded;
                let i = inputs.len();
                let summary = files.input(i, &path, first, &mut first_error);
                // A ring's file rewritten under its reader: its last packets are lost, so
                // the next file does not continue it either (its warning says so).
                if let Some(words) = ring_file.and_then(|r| r.rewritten_words()) {
                    if let Some(note) = files.on_note.as_mut() {
                        note(&format!("{}: {words}", rotation::file_name(&summary.path)));
                    }
                    if let Some(t) = files.analyzer.tally() {
                        t.ring_files_removed
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    files.broken = Some(format!(
                        "not joined to {}: the ring rewrote that file before it was read to its end",
                        rotation::file_name(&summary.path)
                    ));
                }
                inputs.push(summary);
            }
            Next::Lost(lost) => {
                let why = lost_words(&lost);
                if let Some(note) = files.on_note.as_mut() {
                    note(&why);
                }
                ring_warnings.push(why);
                if let Some(t) = files.analyzer.tally() {
                    t.ring_files_removed
                        .fetch_add(lost.files(), std::sync::atomic::Ordering::Relaxed);
                }
                // The next file does not continue the one before: what lay between is gone.
                files.broken = Some(format!(
                    "not joined to the file before it: {} of the capture ring between them \
                     {} lost before {} read (said in the warnings)",
                    match lost.files() {
                        1 => "1 file".to_string(),
                        n => format!("{n} files"),
                    },
                    if lost.files() == 1 { "was" } else { "were" },
                    if lost.files() == 1 {
                        "it was"
                    } else {
                        "they were"
                    },
                ));
            }
        }
    }
    files.superseded = None;
    // The connections of the last capture end with it, on all the shards at once.
    files.end_all();
    if let Some(e) = first_error {
        if inputs.iter().all(|i| i.error.is_some()) {
            return Err(e);
        }
    }
    let threads = files.threads;
    let key = files.analyzer.key();
    let (store, seen) = files.analyzer.finish_with(files.helpers);
    // A connection "still open" in a truncated input is marked so as it is read back
    // (`diagnose::mark_cut`).
    let mut report = Report::from_store(inputs, store, seen);
    report.key = Some(key);
    report.warnings.extend(ring_warnings);
    // The report is rendered on as many threads as the analysis used (more than the cores
    // would only take turns).
    report.render_threads = threads.min(report.render_threads);
    report.set_key_logs(loaded.sources);
    report.key_log_warnings = loaded.warnings;
    Ok(report)
}

/// The inputs' reader: the analyzer, the analyzers of the other shards, and the capture the
/// inputs read so far make up.
struct Files {
    opts: Options,
    secrets: Arc<KeyLog>,
    progress: Option<Progress>,
    analyzer: Analyzer,
    /// Analyzers of the other shards, for large uncompressed pcap and pcapng files (see
    /// `Options::threads`).
    helpers: Vec<Analyzer>,
    threads: usize,
    /// A file's threads take whole groups of flows (the flow cap is kept per group).
    groups: u64,
    /// The capture the inputs read so far make up (rotated files joined)...
    run: Option<Run>,
    /// ... and its shards.
    shards: usize,
    /// The input is followed as it is written, until it ends or this is set.
    follow: Option<file::Stop>,
    /// A ring's file followed: done once a newer one is there (`Next::File`).
    superseded: Option<file::Superseded>,
    /// Why the next input cannot continue the capture before it, whatever it is: files of
    /// a ring were lost between them.
    broken: Option<String>,
    /// Says a ring's loss as it happens (`Taps::on_note`).
    on_note: Option<super::OnNote>,
}

/// The analyzer's counters before an input, for the warnings about what it added.
struct Before {
    unsupported: Vec<(LinkType, u64, Option<u64>)>,
    cut: u64,
    malformed: u64,
    unpeeled: (u64, u64),
}

impl Files {
    fn new(opts: Options, secrets: Arc<KeyLog>, progress: Option<Progress>) -> Files {
        let mut analyzer = Analyzer::new(opts);
        analyzer.set_keys(Arc::clone(&secrets));
        Files {
            opts,
            secrets,
            progress,
            analyzer,
            helpers: Vec::new(),
            threads: Analyzer::threads(&opts),
            groups: Analyzer::flow_groups(opts.max_flows),
            run: None,
            shards: 1,
            follow: None,
            superseded: None,
            broken: None,
            on_note: None,
        }
    }

    /// Reads input `i` (its `first` packet: whether it continues the capture before it): its summary (with its error if it could not be read, which is kept in
    /// `first_error` if none came before).
    fn input(
        &mut self,
        i: usize,
        path: &Path,
        first: Option<FirstPacket>,
        first_error: &mut Option<Error>,
    ) -> InputSummary {
        // Standard input or a pipe: opened once, read once (nothing peeks at it first).
        let stream = file::is_stream(path);
        let taken = match self.broken.take() {
            Some(why) if self.run.is_some() => Some(Err(why)),
            _ => self.taken(path, stream, first),
        };
        let joined = matches!(taken, Some(Ok(_)));
        let apart = !joined && self.named_apart(path);
        let base = self.run.as_ref().map_or(0, |r| r.packets);
        if joined || (self.run.is_some() && first.is_none() && !stream) {
            // The same flows go on (an empty input changes nothing).
            self.analyzer.continue_input(i, base);
            for h in self.helpers.iter_mut().take(self.shards - 1) {
                h.continue_input(i, base);
            }
        } else {
            self.begin(i, path);
        }
        let before = Before {
            unsupported: self.analyzer.unsupported().to_vec(),
            cut: self.analyzer.seen.snaplen_cut_packets,
            malformed: self.analyzer.seen.malformed_packets,
            unpeeled: (
                self.analyzer.seen.tunnel_fragments,
                self.analyzer.seen.too_deep_packets,
            ),
        };
        let (read, helper_packets) = self.read(path);
        let mut summary = match read {
            Ok(s) => s,
            Err(e) => {
                let mut summary = InputSummary::failed(path, &e);
                summary.continuity = taken.map(|t| t.unwrap_or_else(|e| e));
                first_error.get_or_insert(e);
                return summary;
            }
        };
        self.warn(&mut summary, &before, &helper_packets);
        summary.continues_previous = joined;
        summary.packet_offset = if joined { base } else { 0 };
        summary.continuity = taken.map(|t| t.unwrap_or_else(|e| e));
        summary.unrelated = apart;
        self.extend_run(&summary, joined);
        summary
    }

    /// Whether the input at `path` is named unlike the capture before it (not as one
    /// rotation's files are named), outside `--join-files`: a separate recording.
    fn named_apart(&self, path: &Path) -> bool {
        let Some(run) = &self.run else {
            return false;
        };
        !self.opts.force_join
            && rotation::names(
                &rotation::file_name(&run.path),
                &rotation::file_name(&path.display().to_string()),
            ) == rotation::Names::Unrelated
    }

    /// Whether the input at `path` continues the capture before it, and why.
    fn taken(&self, path: &Path, stream: bool, first: Option<FirstPacket>) -> Taken {
        match (&self.run, first) {
            (None, _) => None,
            (Some(_), _) if !self.opts.join_files => {
                Some(Err("every input read on its own (--separate-files)".into()))
            }
            (Some(r), Some(f)) => Some(rotation::continues(
                r,
                &path.display().to_string(),
                &f,
                self.opts.idle_timeout_s,
                self.opts.force_join,
                // Asked only when the names need it.
                || self.carried(path),
            )),
            (Some(r), None) if stream => Some(Err(format!(
                "not joined to {}: {} is read as a capture of its own",
                rotation::file_name(&r.path),
                if path.as_os_str() == "-" {
                    "standard input".to_string()
                } else {
                    format!(
                        "{} (a pipe or device, read as a stream)",
                        rotation::file_name(&path.display().to_string())
                    )
                }
            ))),
            // No packet to join (or none readable): nothing carries over either way.
            (Some(_), None) => Some(Err("no packet to join to the input before it".into())),
        }
    }

    /// Does a TCP connection that this capture follows (on any of its shards) go on into
    /// the file at `path`?
    fn carried(&self, path: &Path) -> rotation::Carried {
        let followers =
            || std::iter::once(&self.analyzer).chain(self.helpers.iter().take(self.shards - 1));
        let mut found = None;
        let looked = rotation::peek(path, rotation::PEEK_PACKETS, &mut |p| {
            let Ok(seg) = decode::decode(p) else {
                return false;
            };
            if seg.syn && !seg.ack_flag {
                return false;
            }
            let (key, _) = flow::FlowKey::scoped(seg.src, seg.dst, seg.scope);
            if followers().any(|a| a.follows(&key)) {
                found = Some(p.number);
            }
            found.is_some()
        });
        rotation::Carried {
            open: followers().map(Analyzer::following).sum(),
            found,
            looked,
        }
    }

    /// Input `i` as a capture of its own: the connections of the one before end with it
    /// (on all the shards at once), and this file decides how many threads read the new one.
    fn begin(&mut self, i: usize, path: &Path) {
        self.end_all();
        self.run = None;
        self.analyzer.begin_input(i);
        // Every shard sees every packet and keeps its own flows.
        let sharded = self.threads > 1
            && file::shardable(path).is_some_and(|size| size >= self.opts.shard_min_bytes);
        self.shards = if sharded {
            self.threads.min(self.groups as usize)
        } else {
            1
        };
        while self.helpers.len() + 1 < self.shards {
            let mut h = Analyzer::new(self.opts);
            h.set_keys(Arc::clone(&self.secrets));
            self.helpers.push(h);
        }
        let n = self.shards as u64;
        self.analyzer.set_shard((self.shards > 1).then_some((0, n)));
        for (k, h) in self.helpers.iter_mut().enumerate() {
            h.begin_input(i);
            h.set_shard(Some((k as u64 + 1, n)));
        }
    }

    /// Reads the file at `path` on the analyzer and its shards: its summary, and how many
    /// packets each other shard read (none for one that failed or could not start).
    fn read(&mut self, path: &Path) -> (Result<InputSummary, Error>, Vec<Option<u64>>) {
        let shards = self.shards;
        // A file read by several threads (a run started on a large file keeps its threads
        // for the files that continue it) is read once when it can be: its chunks shared.
        let sharded = shards > 1 && file::shardable(path).is_some();
        let progress = &self.progress;
        let shared = sharded
            .then(|| {
                let dealt = decode::Shards::new(self.groups, shards as u64);
                // Its chunks take their share of the memory budget.
                let room = memory::read_room(self.opts.max_memory);
                let chunk = crate::capture::shared::chunk_for(shards, room);
                crate::capture::shared::SharedFile::open_sized(path, dealt, progress.clone(), chunk)
            })
            .flatten();
        let (threads, hash_streams) = (self.threads, self.opts.hash_streams);
        let follow = self.follow.as_ref();
        let superseded = self.superseded.clone();
        let tally = self.analyzer.tally().cloned();
        let tally = tally.as_deref();
        let analyzer = &mut self.analyzer;
        // Shard 0 of a shared file is not handed every packet: the pseudonyms' key is made
        // from the file's first packets, read apart (as one analyzer would take them in).
        if shared.is_some() && !analyzer.seed.made() {
            rotation::peek(path, u64::from(SEED_PACKETS), &mut |p| {
                analyzer.seed(p);
                analyzer.seed.made()
            });
            analyzer.key();
        }
        let helpers = &mut self.helpers;
        std::thread::scope(|scope| {
            let shared = shared.as_ref();
            let helpers: Vec<_> = helpers
                .iter_mut()
                .take(shards - 1)
                .enumerate()
                .map(|(k, h)| {
                    let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                        let read = match shared {
                            Some(s) => file::read_shared(path, s, k + 1, h, None),
                            None => file::read_counted(path, &mut |p| h.packet(p), None),
                        };
                        read.map(|s| s.packets)
                    });
                    // A thread that cannot be made reads nothing (the warning below says
                    // so): the shared reader must not wait for it.
                    if spawned.is_err() {
                        if let Some(s) = shared {
                            s.leave(k + 1);
                        }
                    }
                    spawned.ok()
                })
                .collect();
            let read = match (shared, follow) {
                (_, Some(stop)) => match tally {
                    // Counted for the metrics: two increments and a store a packet, the
                    // lag and the memory estimate every `Tally::LAG_EVERY` packets.
                    Some(t) => file::read_follow_until(
                        path,
                        &mut |p| {
                            analyzer.packet(p);
                            if t.packet(p.data.len(), p.ts.0) {
                                t.charged_bytes.store(
                                    analyzer.charged() as u64,
                                    std::sync::atomic::Ordering::Relaxed,
                                );
                            }
                        },
                        stop,
                        hash_streams,
                        superseded,
                    ),
                    None => file::read_follow_until(
                        path,
                        &mut |p| analyzer.packet(p),
                        stop,
                        hash_streams,
                        superseded,
                    ),
                },
                (Some(s), None) => file::read_shared(path, s, 0, analyzer, progress.clone()),
                // Not shared (a small file, a gzip one, standard input): with more than one
                // thread, a gzip input is decompressed on a second one.
                (None, None) => file::read_counted_ahead(
                    path,
                    &mut |p| analyzer.packet(p),
                    progress.clone(),
                    threads > 1,
                    hash_streams,
                ),
            };
            let counts: Vec<Option<u64>> = helpers
                .into_iter()
                .map(|h| h.and_then(|h| h.join().ok()).and_then(Result::ok))
                .collect();
            (read, counts)
        })
    }

    /// The input's warnings: what the analysis skipped or lost in it, counted since
    /// `before`.
    fn warn(
        &mut self,
        summary: &mut InputSummary,
        before: &Before,
        helper_packets: &[Option<u64>],
    ) {
        let analyzer = &mut self.analyzer;
        // Each shard reads on its own past a damaged record (or all of the file if it could
        // not be shared): one that read less (the file changed under it, or could not be
        // opened again) has lost connections, and the report says so.
        if helper_packets.iter().any(|&n| n != Some(summary.packets)) {
            summary.warnings.push(format!(
                "the file changed or could not be read again while its {} analyzer threads read it \
                 (or one of them could not be started), so connections may be missing; run \
                 again on a copy that nothing writes to, or with --threads 1",
                self.shards
            ));
        }
        let cut = analyzer.seen.snaplen_cut_packets - before.cut;
        if cut > 0 {
            summary.warnings.push(format!(
                "{cut} packets were cut by the capture's snap length (some kept only {} bytes): what lay beyond the cut is missing, never guessed; capture with `tcpdump -s 0` to keep whole packets",
                analyzer.seen.smallest_snaplen.unwrap_or(0)
            ));
        }
        if summary.dropped > 0 {
            summary.warnings.push(format!(
                "the capture says {} packets were dropped before they were written (its \
                 Interface Statistics: isb_ifdrop, isb_osdrop): closes in them are missing, \
                 and a connection still open at its end is \"Unknown (packets dropped)\"",
                summary.dropped
            ));
        }
        let malformed = analyzer.seen.malformed_packets - before.malformed;
        if malformed > 0 {
            let first = first_packet(analyzer.first_malformed());
            summary.warnings.push(format!(
                "{malformed} packets have cut or damaged IP/TCP headers and were skipped{first}"
            ));
        }
        for (link, n, first) in analyzer.unsupported() {
            let earlier = before
                .unsupported
                .iter()
                .find(|(l, _, _)| l == link)
                .map_or(0, |(_, m, _)| *m);
            let new = n - earlier;
            if new > 0 {
                let first = first_packet(first.map(|n| n - analyzer.packet_base()));
                summary.warnings.push(format!(
                    "{new} packets with link type {link} were not decoded{first}: wsclose reads Ethernet, Linux cooked (SLL/SLL2), BSD loopback, raw IP, NFLOG and PKTAP"
                ));
            }
        }
        // What HTTP/2 connections evicted while open carried after it, in every shard.
        let mut unread = analyzer.take_unread();
        for h in self.helpers.iter_mut().take(self.shards - 1) {
            unread.add(&h.take_unread());
        }
        let analyzer = &mut self.analyzer;
        if unread.packets > 0 {
            summary.warnings.push(unread.words());
        }
        let packet_base = analyzer.packet_base();
        let unpeeled = analyzer
            .seen
            .unpeeled_warnings(before.unpeeled, packet_base, DEEPEST);
        summary.warnings.extend(unpeeled);
        // IP fragments whose datagram never came whole (those still waiting are given up
        // at the end of each input, by every thread alike).
        for h in self.helpers.iter_mut().take(self.shards - 1) {
            h.fragments_lost(true);
        }
        let (lost, first) = analyzer.fragments_lost(true);
        if lost > 0 {
            summary.warnings.push(format!(
                "{lost} IP fragments of TCP packets could not be put back together{}: their datagram never came whole (a fragment not captured, cut by the snap length, or disagreeing with another), or more were waiting than wsclose holds ({} datagrams, {} KiB); the TCP bytes they carried are missing from their connections",
                first_packet(first),
                decode::defrag::MAX_DATAGRAMS,
                analyzer.fragments_cap() >> 10
            ));
        }
    }

    /// The capture the inputs make up, with the input just read: joined to it, or the
    /// start of a new one (an input without packets changes nothing).
    fn extend_run(&mut self, summary: &InputSummary, joined: bool) {
        let Some((first, last)) = summary.span else {
            return;
        };
        match &mut self.run {
            Some(r) if joined => {
                r.path = summary.path.clone();
                r.last = r.last.max(last);
                r.last_file_first = first;
                r.packets += summary.packets;
                for l in &summary.link_types {
                    if !r.links.contains(l) {
                        r.links.push(*l);
                    }
                }
            }
            _ => {
                self.run = Some(Run {
                    path: summary.path.clone(),
                    links: summary.link_types.clone(),
                    last,
                    last_file_first: first,
                    packets: summary.packets,
                })
            }
        }
    }

    /// Ends the input on the analyzer and on the shard analyzers that help it, each on a
    /// thread of its own (the flows still open are finished and reported, side by side
    /// rather than one shard after another). A helper whose thread cannot be made ends with
    /// its next input.
    fn end_all(&mut self) {
        let (analyzer, n) = (&mut self.analyzer, self.shards - 1);
        std::thread::scope(|s| {
            for h in self.helpers.iter_mut().take(n) {
                let _ = std::thread::Builder::new().spawn_scoped(s, move || h.end_input());
            }
            analyzer.end_input();
        });
    }
}

/// " (the first: packet N)" for a warning that counts packets, or nothing.
fn first_packet(number: Option<u64>) -> String {
    number.map_or_else(String::new, |n| format!(" (the first: packet {n})"))
}

/// A ring's files lost before they were read, for the warnings.
fn lost_words(lost: &crate::capture::file::sequence::Lost) -> String {
    use crate::capture::file::sequence::Lost;
    let tail = "its packets (and the closes in them) are missing, and the file after it is \
                not read as continuing the one before; a larger ring (-W, -b files:) keeps more";
    match lost {
        Lost::Removed(name) => {
            format!("{name}: removed from the capture ring before it was read: {tail}")
        }
        Lost::Rewritten(name) => format!(
            "{name}: rewritten by the capture ring (its name opened again for a new file) \
             before it was read: {tail}"
        ),
        Lost::Skipped {
            after,
            next,
            missing,
        } => format!(
            "{after} to {next}: the ring's numbering skips {} between them, removed before \
             they could be listed: their packets (and the closes in them) are missing, and \
             {next} is not read as continuing {after}; a larger ring (-W, -b files:) keeps more",
            match missing {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            }
        ),
    }
}
