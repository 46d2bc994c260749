//! wsclose: why did that WebSocket connection close?
//!
//! Reads pcap/pcapng captures (gzip, zstd or lz4 too), reassembles TCP, finds the WebSocket
//! (RFC 6455) connections in them, also inside TLS given a key log and inside HTTP/2
//! (RFC 8441), and reports every close: the close frames each way, the status each
//! application saw, why, what to check, and the packets that show it.
//!
//! # The library
//!
//! - [`analyze_files`]: capture files (or directories of them) in, one [`report::Report`]
//!   out; [`analyze_files_with_progress`] adds TLS key logs ([`keys::KeySources`]) and a
//!   byte counter for a progress bar, and `live_session` (feature `live`) captures from an
//!   interface through libpcap. What the analysis keeps and how far it goes is [`Options`].
//! - [`report`]: the report model ([`report::Report`], one [`report::ConnectionReport`] per
//!   WebSocket connection); [`render`]: its renderers, [`render::json`] (the JSON contract
//!   of docs/json.md), [`render::table`], [`render::markdown`], [`render::csv`],
//!   [`render::html`], and the close codes explained ([`render::explain`]).
//! - [`close`]: close frames and the close-code catalog ([`close::catalog::lookup`]: name,
//!   meaning, causes and fix of any code).
//! - [`diagnose`]: why each connection ended: its [`diagnose::Status`], made of typed
//!   [`diagnose::Cause`]s (`status.causes` in JSON) that one function puts in words.
//! - [`finding`]: everything wrong or notable inside a capture ([`finding::Finding`], of a
//!   [`finding::Kind`]).
//! - [`extract`]: one connection's packets written out as a capture of their own.
//! - [`keys`]: where TLS secrets come from; [`sanitize`]: text from the wire made safe for
//!   a terminal, Markdown, HTML or a spreadsheet; [`error::Error`]: what stops an analysis
//!   (everything wrong *inside* a capture is a finding or an input warning instead).
//! - At the root, the types the report is made of ([`Role`], [`Endpoint`], [`Timestamp`],
//!   [`Stats`], [`FrameRecord`], [`InputSummary`], ...) and the live events ([`CloseEvent`]).
//!
//! Structs the crate builds and enums that will grow are `#[non_exhaustive]`: read their
//! fields, match them with a `_` arm. [`Options`] is built as
//! `Options { threads: 1, ..Options::default() }`.
//!
//! # Features
//!
//! - `cli` (default): the `wsclose` binary's dependencies (clap, clap_complete, clap_mangen,
//!   indicatif); the command line itself is the binary's (src/main/cli.rs), not the
//!   library's. A library user can leave them out:
//!   `wsclose = { version = "0.1", default-features = false }`.
//! - `live`: `live_session` and `interfaces`, through libpcap (its development package
//!   is needed to build).
//!
//! # Example
//!
//! ```
//! use wsclose::{Options, Role};
//!
//! let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/node-close-1008.pcap");
//! let report = wsclose::analyze_files(&[capture.into()], Options::default())?;
//! let conn = &report.connections[0];
//! // The server closed with 1008 (Policy Violation), "token expired".
//! let close = &conn.close_frames[0];
//! assert_eq!((close.from, close.code), (Role::Server, Some(1008)));
//! assert_eq!(close.reason, "token expired");
//! assert_eq!(conn.status.code, Some(1008));
//! println!("{}: {}", conn.status.name, conn.status.detail);
//!
//! // What 1008 means, and what to check, from the catalog.
//! let entry = wsclose::close::catalog::lookup(1008);
//! assert_eq!(entry.name, "Policy Violation");
//!
//! // The same report as the JSON contract of docs/json.md (`wsclose analyze --format json`).
//! let mut json = Vec::new();
//! wsclose::render::json::write(&report, &mut json)?;
//! let v: serde_json::Value = serde_json::from_slice(&json)?;
//! assert_eq!(v["connections"][0]["status"]["code"], 1008);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Inside
//!
//! The crate is laid out as the data flows (the stages are `wsclose::__internals`, hidden from
//! these docs and outside the semver promise: for this package's own tests, benches and fuzz
//! targets):
//!
//! ```text
//! capture ─► decode ─► flow ─► stack::tcp ─► stack::Stack ─────────────► websocket ─► close ─► diagnose ─► report ─► render
//!  files,    link/IP/   4-tuple  per-direction  the layers above TCP:       Session:     frames,  causes,    model,   table,
//!  live      TCP slice  key,     reassembly,    http1 (upgrade or           decoders,    catalog  status,    store,   json, md,
//!  (libpcap) (etherparse) roles  the connection  mid-stream), tls, h2        handshake             evidence   filter   csv
//! ```
//!
//! - `capture`: packets from pcap/pcapng files (compressed or not, or stdin); a large classic
//!   pcap is read once and its records shared by the analyzer threads (`capture::shared`).
//! - `decode`: link, IP and TCP headers (etherparse), zero-copy; tunnels peeled (VXLAN,
//!   GENEVE, GRE, ERSPAN, IP in IP, MPLS, PPPoE) and named for the connection.
//! - `flow`: the symmetric 4-tuple key and client/server roles.
//! - `stack`: one stack of stream layers per TCP connection. `stack::tcp` reassembles
//!   each direction into `Data` and explicit `Gap` events and holds the connection (roles,
//!   endings); `stack::http1` turns a direction into the RFC 6455 §4 handshake and a
//!   WebSocket stream; `stack::tls` and `stack::h2` are the layers that plug in between;
//!   `stack::connect` reads a forward proxy's CONNECT and its answer, and on a 2xx starts
//!   the stack again in the tunnel.
//! - `websocket`: the nom frame parser, the streaming per-direction decoder, and the
//!   `Session` a report is about (one TCP connection carries zero, one or many).
//! - [`close`]: close frames and the close-code catalog.
//! - [`diagnose`]: every status, cause, fix and verdict: typed causes (`diagnose::cause`)
//!   decided from what the stages saw, and put in words in one place (`diagnose::text`).
//! - `analyzer`: the flow table that drives every packet through the stages above and
//!   reports each session.
//! - `freeze`: quiet connections written out of memory and read back on their next packet;
//!   `serial` is the stored form of their state (and of finished reports), `scratch` the
//!   temporary file both go to.
//! - [`report`]: one model; [`report::legs`] links the two legs of a session through a
//!   proxy (same `Sec-WebSocket-Key`) once all reports are made.
//! - [`render`]: one renderer per format, each a function of the finished model.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod annotate;
pub mod app;
pub mod close;
pub mod diagnose;
pub mod error;
pub mod extract;
pub mod finding;
pub mod keys;
mod link_type;
mod memory;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod units;

/// The stages inside, public only for this package's own tests, examples, benches and
/// fuzz targets: hidden from the docs and **outside the semver promise**.
#[doc(hidden)]
#[path = "internals.rs"]
pub mod __internals;
// Inside the crate the stages are reached at its root (`crate::capture`, ...).
use __internals::{analyzer, capture, decode, flow, freeze, scratch, serial, stack, websocket};

// What the public API is made of, from the private stages: the analysis options, and the
// types the report model's fields and the live events hold.
pub use analyzer::{Freeze, OnEvent, Options};
pub use capture::file::{Compression, InputSummary, Progress};
#[cfg(feature = "live")]
pub use capture::live::{interfaces, Interface, LiveOptions, LiveSummary};
pub use capture::{LinkType, LiveDrops, Timestamp};
pub use decode::Endpoint;
pub use flow::{PerSide, Role};
pub use stack::tcp::assembler::Limits;
pub use stack::tcp::connection::{CloseEvent, EndKind, EventWhat};
pub use stack::tcp::Counters;
pub use websocket::decoder::{FrameRecord, Stats};
pub use websocket::frame::Opcode;
pub use websocket::session::StreamEndKind;

/// Inputs as a command line names them: a directory expanded into its capture files in
/// the order they were recorded ([`inputs::expand`]), whether a path is read as a stream
/// (standard input, a FIFO: [`inputs::is_stream`]), and a path's file name for notes.
pub mod inputs {
    pub use crate::capture::file::is_stream;
    pub use crate::capture::file::rotation::{expand, file_name};
}
pub use analyzer::MAX_THREADS;
pub use memory::MIN_MAX_MEMORY;

use analyzer::Analyzer;
use error::Error;
use report::Report;
use std::path::PathBuf;

/// docs/library.md's example, compiled as a doctest (not run: it names a capture of yours).
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
pub struct LibraryMd;

/// Analyzes capture files (`-` is standard input) into one report, with every connection
/// in memory (`report.connections`). An input that cannot be opened or is not a capture is
/// listed in the report with its `error`, and the others are still analyzed; only when no
/// input could be read at all is that an `Err`. Damage inside a capture is a warning in the
/// report.
///
/// ```
/// use wsclose::Options;
///
/// let dir = env!("CARGO_MANIFEST_DIR");
/// let good = format!("{dir}/fixtures/python-close-1001.pcap");
/// let missing = format!("{dir}/fixtures/no-such-capture.pcap");
///
/// // One input missing: listed with its error, the other one analyzed.
/// let report = wsclose::analyze_files(&[missing.clone().into(), good.into()], Options::default())?;
/// assert!(report.inputs[0].error.is_some());
/// assert_eq!(report.inputs[1].error, None);
/// assert_eq!(report.connections[0].close_frames[0].code, Some(1001));
///
/// // Nothing readable at all: an error, with the exit code the binary gives it.
/// let err = wsclose::analyze_files(&[missing.into()], Options::default()).unwrap_err();
/// assert_ne!(err.exit_code(), 0);
/// # Ok::<(), wsclose::error::Error>(())
/// ```
pub fn analyze_files(paths: &[PathBuf], opts: Options) -> Result<Report, Error> {
    let mut report = analyze_files_with_progress(paths, opts, &keys::KeySources::default(), None)?;
    report.load().map_err(Error::Spill)?;
    Ok(report)
}

/// [`analyze_files`], adding the file bytes read so far to `progress` (across all inputs)
/// so that a caller can draw a progress bar from another thread, and leaving the
/// connections in a store (`report.stored`: beyond `opts.keep_reports`, in a temporary
/// file), to be read with `Report::for_each_chunk` or `Report::for_each_connection`.
pub fn analyze_files_with_progress(
    paths: &[PathBuf],
    opts: Options,
    key_sources: &keys::KeySources,
    progress: Option<capture::file::Progress>,
) -> Result<Report, Error> {
    // A directory stands for the captures in it, in time order.
    let (paths, _) = capture::file::rotation::expand(paths)?;
    let paths = &paths[..];
    // TLS secrets: the key logs given, and those the pcapng inputs carry.
    // (A large key log keeps only the connections the captures hold, which are read for
    // their ClientHellos first: by as many threads as the analysis.)
    let mut loaded = keys::load(
        key_sources,
        paths,
        Analyzer::threads(&opts),
        opts.max_memory,
    );
    // A `--keylog` file that is missing or is no key log fails as a missing capture does.
    if let Some(e) = loaded.refused.take() {
        return Err(e);
    }
    // Every source is read: records of a connection with no key are not held for one.
    loaded.keys.set_complete();
    let secrets = std::sync::Arc::new(loaded.keys);
    let mut analyzer = Analyzer::new(opts);
    analyzer.set_keys(std::sync::Arc::clone(&secrets));
    // Analyzers of the other shards, for large uncompressed pcap and pcapng files (see
    // `Options::threads`).
    let mut helpers: Vec<Analyzer> = Vec::new();
    let threads = Analyzer::threads(&opts);
    // A file's threads take whole groups of flows (the flow cap is kept per group).
    let groups = Analyzer::flow_groups(opts.max_flows);
    let mut inputs: Vec<capture::file::InputSummary> = Vec::with_capacity(paths.len());
    let mut first_error = None;
    // The capture the inputs read so far make up (rotated files joined), and its shards.
    let mut run: Option<capture::file::rotation::Run> = None;
    let mut shards = 1;
    for (i, path) in paths.iter().enumerate() {
        // Standard input or a pipe: opened once, read once (nothing peeks at it first).
        let stream = capture::file::is_stream(path);
        // Does this file continue the capture before it? Its first packet says (a peek).
        let first = capture::file::rotation::first_packet(path);
        let taken = match (&run, first) {
            (None, _) => None,
            (Some(_), _) if !opts.join_files => {
                Some(Err("every input read on its own (--separate-files)".into()))
            }
            (Some(r), Some(f)) => {
                // Asked only when the names need it: does a TCP connection that this
                // capture follows (on any of its shards) go on into the file?
                let followers =
                    || std::iter::once(&analyzer).chain(helpers.iter().take(shards - 1));
                let carried = || {
                    let mut found = None;
                    let looked = capture::file::rotation::peek(
                        path,
                        capture::file::rotation::PEEK_PACKETS,
                        &mut |p| {
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
                        },
                    );
                    capture::file::rotation::Carried {
                        open: followers().map(Analyzer::following).sum(),
                        found,
                        looked,
                    }
                };
                Some(capture::file::rotation::continues(
                    r,
                    &path.display().to_string(),
                    &f,
                    opts.idle_timeout_s,
                    opts.force_join,
                    carried,
                ))
            }
            (Some(r), None) if stream => Some(Err(format!(
                "not joined to {}: {} is read as a capture of its own",
                capture::file::rotation::file_name(&r.path),
                if path.as_os_str() == "-" {
                    "standard input".to_string()
                } else {
                    format!(
                        "{} (a pipe or device, read as a stream)",
                        capture::file::rotation::file_name(&path.display().to_string())
                    )
                }
            ))),
            // No packet to join (or none readable): nothing carries over either way.
            (Some(_), None) => Some(Err("no packet to join to the input before it".into())),
        };
        let joined = matches!(taken, Some(Ok(_)));
        let base = run.as_ref().map_or(0, |r| r.packets);
        if joined || (run.is_some() && first.is_none() && !stream) {
            // The same flows go on (an empty input changes nothing).
            analyzer.continue_input(i, base);
            for h in helpers.iter_mut().take(shards - 1) {
                h.continue_input(i, base);
            }
        } else {
            // A capture of its own: the connections of the one before end with it (on all
            // the shards at once), and this file decides how many threads read the new one.
            end_all(&mut analyzer, &mut helpers, shards - 1);
            run = None;
            analyzer.begin_input(i);
            // Every shard sees every packet and keeps its own flows.
            let sharded = threads > 1
                && capture::file::shardable(path).is_some_and(|size| size >= opts.shard_min_bytes);
            shards = if sharded {
                threads.min(groups as usize)
            } else {
                1
            };
            while helpers.len() + 1 < shards {
                let mut h = Analyzer::new(opts);
                h.set_keys(std::sync::Arc::clone(&secrets));
                helpers.push(h);
            }
            let n = shards as u64;
            analyzer.set_shard((shards > 1).then_some((0, n)));
            for (k, h) in helpers.iter_mut().enumerate() {
                h.begin_input(i);
                h.set_shard(Some((k as u64 + 1, n)));
            }
        }
        // A file read by several threads (a run started on a large file keeps its threads
        // for the files that continue it) is read once when it can be: its chunks shared.
        let sharded = shards > 1 && capture::file::shardable(path).is_some();
        let before = analyzer.unsupported().to_vec();
        let (cut_before, malformed_before) = (
            analyzer.seen.snaplen_cut_packets,
            analyzer.seen.malformed_packets,
        );
        let unpeeled_before = (
            analyzer.seen.tunnel_fragments,
            analyzer.seen.too_deep_packets,
        );
        // A sharded file is read once: its chunks are shared by the threads.
        let shared = sharded
            .then(|| {
                let dealt = decode::Shards::new(groups, shards as u64);
                // Its chunks take their share of the memory budget.
                let room = memory::read_room(opts.max_memory);
                let chunk = capture::shared::chunk_for(shards, room);
                capture::file::SharedFile::open_sized(path, dealt, progress.clone(), chunk)
            })
            .flatten();
        let (read, helper_packets) = std::thread::scope(|scope| {
            let shared = shared.as_ref();
            let helpers: Vec<_> = helpers
                .iter_mut()
                .take(shards - 1)
                .enumerate()
                .map(|(k, h)| {
                    let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                        let read = match shared {
                            Some(s) => capture::file::read_shared(path, s, k + 1, h, None),
                            None => capture::file::read_counted(path, &mut |p| h.packet(p), None),
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
            let read = match shared {
                Some(s) => capture::file::read_shared(path, s, 0, &mut analyzer, progress.clone()),
                // Not shared (a small file, a gzip one, standard input): with more than one
                // thread, a gzip input is decompressed on a second one.
                None => capture::file::read_counted_ahead(
                    path,
                    &mut |p| analyzer.packet(p),
                    progress.clone(),
                    threads > 1,
                    opts.hash_streams,
                ),
            };
            let counts: Vec<Option<u64>> = helpers
                .into_iter()
                .map(|h| h.and_then(|h| h.join().ok()).and_then(Result::ok))
                .collect();
            (read, counts)
        });
        let mut summary = match read {
            Ok(s) => s,
            Err(e) => {
                let mut summary = capture::file::InputSummary::failed(path, &e);
                summary.continuity = taken.map(|t| t.unwrap_or_else(|e| e));
                first_error.get_or_insert(e);
                inputs.push(summary);
                continue;
            }
        };
        // Each shard reads on its own past a damaged record (or all of the file if it could
        // not be shared): one that read less (the file changed under it, or could not be
        // opened again) has lost connections, and the report says so.
        if helper_packets.iter().any(|&n| n != Some(summary.packets)) {
            summary.warnings.push(format!(
                "the file changed or could not be read again while its {} analyzer threads read it \
                 (or one of them could not be started), so connections may be missing; run \
                 again on a copy that nothing writes to, or with --threads 1",
                shards
            ));
        }
        let cut = analyzer.seen.snaplen_cut_packets - cut_before;
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
        let malformed = analyzer.seen.malformed_packets - malformed_before;
        if malformed > 0 {
            let first = first_packet(analyzer.first_malformed());
            summary.warnings.push(format!(
                "{malformed} packets have cut or damaged IP/TCP headers and were skipped{first}"
            ));
        }
        for (link, n, first) in analyzer.unsupported() {
            let earlier = before
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
        let packet_base = analyzer.packet_base();
        let unpeeled = analyzer
            .seen
            .unpeeled_warnings(unpeeled_before, packet_base);
        summary.warnings.extend(unpeeled);
        // IP fragments whose datagram never came whole (those still waiting are given up
        // at the end of each input, by every thread alike).
        for h in helpers.iter_mut().take(shards - 1) {
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
        summary.continues_previous = joined;
        summary.packet_offset = if joined { base } else { 0 };
        summary.continuity = taken.map(|t| t.unwrap_or_else(|e| e));
        if let Some((first, last)) = summary.span {
            match &mut run {
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
                    run = Some(capture::file::rotation::Run {
                        path: summary.path.clone(),
                        links: summary.link_types.clone(),
                        last,
                        last_file_first: first,
                        packets: summary.packets,
                    })
                }
            }
        }
        inputs.push(summary);
    }
    // The connections of the last capture end with it, on all the shards at once.
    end_all(&mut analyzer, &mut helpers, shards - 1);
    if let Some(e) = first_error {
        if inputs.iter().all(|i| i.error.is_some()) {
            return Err(e);
        }
    }
    let (store, seen) = analyzer.finish_with(helpers);
    // A connection "still open" in a truncated input is marked so as it is read back
    // (`diagnose::mark_cut`).
    let mut report = Report::from_store(inputs, store, seen);
    // The report is rendered on as many threads as the analysis used (more than the cores
    // would only take turns).
    report.render_threads = threads.min(report.render_threads);
    report.set_key_logs(loaded.sources);
    report.key_log_warnings = loaded.warnings;
    Ok(report)
}

/// Captures live (feature `live`) through the same pipeline as [`analyze_files`], calling
/// `on_event` for each close frame and TCP ending as it happens, until `stop` is set or a
/// limit in `opts` is reached; `opened` is called once the capture has started (after the
/// interface, filter and output file were set up without error). Returns the report of
/// everything captured, libpcap's
/// counters, and — when the capture failed after it started, or the file it saves to
/// (`opts.write`) could not be written, which stops it — why (`Error::LiveStopped` or
/// `Error::LiveWriteFailed`, whose exit codes differ; also a report warning). `on_drops`
/// is told the packets lost so far, by where, at most once a second while they rise; the
/// report has them in `seen.live_drops`, a warning, and a finding on each connection that
/// was open while they were lost. The packets wait for the analysis in a queue of a
/// sixteenth of `analysis.max_memory` (`memory::read_room`: no file is read).
#[cfg(feature = "live")]
pub fn live_session(
    opts: &capture::live::LiveOptions,
    analysis: Options,
    key_sources: &keys::KeySources,
    stop: &std::sync::atomic::AtomicBool,
    opened: &mut dyn FnMut(),
    on_event: analyzer::OnEvent,
    on_drops: &mut dyn FnMut(&LiveDrops),
) -> Result<(Report, capture::live::LiveSummary, Option<Error>), Error> {
    // The file to save to is the user's: it never replaces one of the key logs to follow.
    if let Some(w) = &opts.write {
        let same = |k: &std::path::Path| matches!((std::fs::canonicalize(w), std::fs::canonicalize(k)), (Ok(a), Ok(b)) if a == b);
        if let Some((_, name, _)) = key_sources.named().find(|(k, _, _)| same(k)) {
            return Err(Error::Usage(format!(
                "--write {} names the key log {name}: saving the capture there would replace \
                 it; write the capture to another file",
                w.display()
            )));
        }
    }
    let mut analyzer = Analyzer::new(analysis);
    analyzer.on_event(on_event);
    // Key logs are reread as they grow, at most every 2 ms while packets come (a poll is an
    // open and a stat: at most 500 a second). Chromium 156 appends a connection's lines up
    // to 20 ms after its first encrypted request (measured on loopback), and a WebSocket can
    // close within that: polled every 50 ms, a connection could end, and be reported with
    // "no key", before its lines were read; its records wait (held) until they are.
    let mut followers = keys::Follower::all(key_sources);
    let following = !followers.is_empty();
    let mut key_warnings = Vec::new();
    let mut poll_keys = |analyzer: &mut Analyzer, warnings: &mut Vec<String>| {
        if let Some(keys) = analyzer.keys_mut() {
            for f in followers.iter_mut() {
                warnings.extend(f.poll(keys));
            }
        }
        // The secrets read take their part of the memory budget.
        analyzer.recount_keys();
    };
    poll_keys(&mut analyzer, &mut key_warnings);
    let mut polled = std::time::Instant::now();
    let queue = memory::read_room(analysis.max_memory.max(MIN_MAX_MEMORY));
    let drops = std::sync::Mutex::new(capture::live::DropLog::default());
    let result = capture::live::capture(
        opts,
        stop,
        queue,
        opened,
        &mut |pkt| {
            if following && polled.elapsed() >= std::time::Duration::from_millis(2) {
                polled = std::time::Instant::now();
                poll_keys(&mut analyzer, &mut key_warnings);
            }
            analyzer.packet(pkt)
        },
        on_drops,
        &drops,
    );
    let drops = drops.into_inner().unwrap_or_else(|p| p.into_inner());
    let (summary, failure) = match result {
        Ok(s) => (s, None),
        Err(e) => match &e {
            Error::LiveStopped { summary, .. } | Error::LiveWriteFailed { summary, .. } => {
                (*summary, Some(e))
            }
            _ => return Err(e),
        },
    };
    let mut warnings: Vec<String> = Vec::new();
    let mut saved = opts.write.is_some();
    match &failure {
        Some(Error::LiveWriteFailed { stopped, .. }) => {
            warnings.extend(stopped.iter().cloned());
            warnings.push(failure.iter().map(|e| e.to_string()).collect());
            saved = false;
        }
        Some(e) => warnings.push(e.to_string()),
        None => {}
    }
    warnings.extend(live_drop_warnings(
        &drops.counts,
        opts.write.is_some() && saved,
    ));
    // `-w -`: the packets went to standard output, a stream the secrets cannot be put
    // back into.
    let to_stdout = opts.write.as_ref().is_some_and(|w| w.as_os_str() == "-");
    if let Some(w) = opts.write.as_ref().filter(|_| saved) {
        warnings.push(if to_stdout {
            format!(
                "every captured packet was written to standard output ({} packets); \
                 `wsclose analyze` of what it was saved to reproduces this report",
                summary.packets
            )
        } else {
            format!(
                "every captured packet was saved to {} ({} packets); `wsclose analyze {}` reproduces this report",
                w.display(),
                summary.packets,
                w.display()
            )
        });
    }
    if to_stdout && saved && following {
        warnings.push(
            "the TLS secrets are not in the capture written to standard output (a stream is \
             not rewritten once written): give the key log with it to decrypt it"
                .into(),
        );
    }
    let input = capture::file::InputSummary {
        path: format!("live:{}", opts.interface),
        format: "live",
        gzip: false,
        compression: None,
        link_types: summary.link.into_iter().collect(),
        packets: summary.packets,
        warnings,
        bytes: None,
        first_time: None,
        last_time: None,
        truncated: failure.is_some(),
        error: None,
        continues_previous: false,
        packet_offset: 0,
        continuity: None,
        dropped: 0,
        span: None,
        sha256: None,
    };
    poll_keys(&mut analyzer, &mut key_warnings);
    // The count of each key log's bad lines beyond those listed.
    if let Some(keys) = analyzer.keys_mut() {
        for f in &followers {
            key_warnings.extend(keys.more_warnings(f.name()).map(|w| w.to_string()));
        }
    }
    let keys = analyzer.key_log();
    let (mut connections, mut seen) = analyzer.finish_input()?;
    seen.live_drops = Some(drops.counts);
    if drops.counts.any() {
        // A connection was open from its first packet to its TCP ending both ways (an RST,
        // or a FIN each way); one the analysis did not see end was open until the capture
        // stopped (its ending may be what was lost).
        let ended = |c: &report::ConnectionReport| {
            c.tcp_ends.len() >= 2
                || c.tcp_ends
                    .iter()
                    .any(|e| e.kind == stack::tcp::connection::EndKind::Rst)
        };
        let lost = drops.counts.kernel + drops.counts.interface + drops.counts.queue;
        for c in connections.iter_mut().filter(|c| {
            let end = if ended(c) {
                c.end
            } else {
                capture::Timestamp(i64::MAX)
            };
            drops.overlaps(c.start, end)
        }) {
            // Still open when the capture stopped, and packets were lost while it was: its
            // end may be among them ("Unknown (packets dropped)", not "Open").
            if !ended(c) {
                diagnose::dropped(&mut c.status, lost);
            }
            c.findings.push(finding::Finding {
                kind: finding::Kind::LiveDrop,
                from: None,
                packet: None,
                detail: "packets were lost from the live capture while this connection was \
                         open (seen.live_drops): its report may be missing a close frame or \
                         its TCP ending"
                    .into(),
            });
        }
    }
    let mut report = Report::new(vec![input], connections, seen);
    // The saved file carries the TLS secrets of the connections in it, before its first
    // packet (where Wireshark and wsclose read them), when key logs were followed.
    if let Some(w) = opts
        .write
        .as_ref()
        .filter(|_| saved && following && !to_stdout)
    {
        let added = extract::report_secrets(&report, &keys).and_then(|text| {
            if text.is_empty() {
                return Ok(0);
            }
            capture::write::insert_secrets(w, text.as_bytes()).map(|()| text.lines().count())
        });
        let note = match added {
            Ok(0) => None,
            Ok(n) => Some(format!(
                "{}: the TLS secrets of its connections ({n} key-log lines) are in it, in a \
                 Decryption Secrets Block: Wireshark and `wsclose analyze` decrypt it with no \
                 key log; share it as you would the key log",
                w.display()
            )),
            Err(e) => Some(format!(
                "{}: the TLS secrets could not be added to it ({e}): its packets are whole; \
                 give the key log with it to decrypt them",
                w.display()
            )),
        };
        if let (Some(note), Some(input)) = (note, report.inputs.first_mut()) {
            input.warnings.push(note);
        }
    }
    report.set_key_logs(
        followers
            .iter()
            .map(|f| keys::KeySource {
                source: f.name().to_owned(),
                connections: f.connections(),
                unmatched_lines: 0,
                error: None,
            })
            .collect(),
    );
    report.key_log_warnings = key_warnings;
    Ok((report, summary, failure))
}

/// The report's warnings for a live capture's lost packets, one per place they were lost.
#[cfg(feature = "live")]
fn live_drop_warnings(d: &capture::LiveDrops, saved: bool) -> Vec<String> {
    let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut w = Vec::new();
    if d.kernel > 0 {
        w.push(format!(
            "the kernel dropped {} (its capture ring was full: the capture fell behind); they \
             are neither analysed nor saved, and closes in them are missing: a larger \
             --buffer-size, a narrower -f filter",
            plural(d.kernel, "packet")
        ));
    }
    if d.interface > 0 {
        w.push(format!(
            "the interface dropped {} before capture; closes in them are missing",
            plural(d.interface, "packet")
        ));
    }
    if d.queue > 0 {
        w.push(format!(
            "the analysis fell behind and skipped {} (its queue, a sixteenth of --max-memory, \
             was full); {}",
            plural(d.queue, "captured packet"),
            if saved {
                "the saved file has them all: `wsclose analyze` on it gives the whole report"
            } else {
                "closes in them are missing from this report: save the packets with -w and \
                 analyse the file"
            }
        ));
    }
    w
}

/// Ends the input on `analyzer` and on the `n` shard analyzers that help it, each on a thread of
/// its own (the flows still open are finished and reported, side by side rather than one
/// shard after another). A helper whose thread cannot be made ends with its next input.
fn end_all(analyzer: &mut Analyzer, helpers: &mut [Analyzer], n: usize) {
    std::thread::scope(|s| {
        for h in helpers.iter_mut().take(n) {
            let _ = std::thread::Builder::new().spawn_scoped(s, move || h.end_input());
        }
        analyzer.end_input();
    });
}

/// " (the first: packet N)" for a warning that counts packets, or nothing.
fn first_packet(number: Option<u64>) -> String {
    number.map_or_else(String::new, |n| format!(" (the first: packet {n})"))
}

/// The recorded captures in `fixtures/`, sorted, for the unit tests that run on all of them.
#[cfg(test)]
pub(crate) fn fixture_paths() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pcap"))
        .collect();
    paths.sort();
    assert!(paths.len() > 10, "fixtures missing from {}", dir.display());
    paths
}

/// A deterministic xorshift generator for the unit tests' random inputs (the same every
/// run; the seed must not be 0).
#[cfg(test)]
pub(crate) struct Rng(pub u64);

#[cfg(test)]
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
