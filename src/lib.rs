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
//!   [`render::html`], and the close codes explained ([`explain`]).
//! - [`close`]: close frames and the close-code catalog ([`close::catalog::lookup`]: name,
//!   meaning, causes and fix of any code).
//! - [`diagnose`]: why each connection ended: its [`report::Status`], made of typed
//!   [`report::Cause`]s (`status.causes` in JSON) that one function puts in words.
//! - [`finding`]: everything wrong or notable inside a capture (the bounded list of
//!   [`vocab::Finding`]s, each of a [`vocab::Kind`]).
//! - [`extract`]: one connection's packets written out as a capture of their own.
//! - [`keys`]: where TLS secrets come from; [`sanitize`]: text from the wire made safe for
//!   a terminal, Markdown, HTML or a spreadsheet; [`error::Error`]: what stops an analysis
//!   (everything wrong *inside* a capture is a finding or an input warning instead).
//! - [`vocab`]: the values the JSON contract is made of, imported by every stage and
//!   depending on none ([`vocab::TcpEnd`], [`vocab::Finding`], [`vocab::Incident`], ...); the
//!   most used are also at the root ([`Role`], [`Endpoint`], [`Timestamp`], [`Stats`],
//!   [`FrameRecord`], [`InputSummary`], ...), with the live events ([`CloseEvent`]).
//!
//! Structs the crate builds and enums that will grow are `#[non_exhaustive]`: read their
//! fields, match them with a `_` arm. [`Options`] is built as
//! `Options { threads: 1, ..Options::default() }`.
//!
//! # Features
//!
//! - `cli` (default): the `wsclose` binary's dependencies (clap, clap_complete, clap_mangen,
//!   indicatif); the command line itself is the binary's (src/bin/wsclose/cli.rs), not the
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
//! - `analyzer`: the one driver of the analysis: capture files (`analyzer::files`: each
//!   input joined to the one before or read on its own, a large one by several threads)
//!   and live input (`analyzer::live_session`) go through its flow table, which drives
//!   every packet through the stages above and reports each session.
//! - `freeze`: quiet connections written out of memory and read back on their next packet;
//!   `serial` is the stored form of their state (and of finished reports), `scratch` the
//!   temporary file both go to.
//! - [`report`]: one model; [`diagnose::legs`] links the two legs of a session through a
//!   proxy (same `Sec-WebSocket-Key`) once all reports are made, `diagnose::incidents`
//!   runs the incident stage on them.
//! - [`incident`]: the closes of several connections that belong together (a server
//!   restarted, a proxy reloaded, an idle cohort, load shed, a rejection loop) and the
//!   reconnects that replace them, from a compact ending per connection.
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
pub mod community_id;
pub mod diagnose;
pub mod error;
pub mod explain;
pub mod extract;
pub mod finding;
pub mod incident;
pub mod keys;
mod memory;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod units;
pub mod vocab;

// The stages, in the order the data flows through them (see "Inside" above): public only
// for this package's own tests, examples, benches and fuzz targets (`__internals`), hidden
// from the docs. Inside the crate they are reached at its root (`crate::capture`, ...).
#[doc(hidden)]
pub mod analyzer;
#[doc(hidden)]
pub mod capture;
#[doc(hidden)]
pub mod decode;
#[doc(hidden)]
pub mod flow;
#[doc(hidden)]
pub mod freeze;
#[doc(hidden)]
pub mod scratch;
#[doc(hidden)]
pub mod serial;
#[doc(hidden)]
pub mod stack;
#[doc(hidden)]
pub mod websocket;

/// The stages inside the crate, public only for this package's own tests, examples,
/// benches and fuzz targets, which drive them one by one (`wsclose::__internals::stack::tls`,
/// ...): hidden from the docs and **outside the semver promise**: anything here may change
/// or go in any release. Not for library users, whose API is what the crate's docs show. No
/// feature changes what is public.
#[doc(hidden)]
pub mod __internals {
    /// The JSON writer of [`render::json`](crate::render::json).
    pub use crate::render::pretty;
    pub use crate::{analyzer, capture, decode, flow, freeze, scratch, serial, stack, websocket};
}

// What the public API is made of, from the hidden stages: the analysis options, and the
// types the report model's fields and the live events hold.
pub use analyzer::{
    Freeze, OnEvent, OnNote, OnRefused, OnReport, OnSession, Options, SessionMark, Tally, Taps,
};
pub use capture::file::{Compression, Progress};
#[cfg(feature = "live")]
pub use capture::live::{interfaces, Interface, LiveOptions};
#[cfg(feature = "live")]
pub use error::LiveSummary;
pub use stack::tcp::assembler::Limits;
pub use vocab::{CloseEvent, EndKind, EventWhat, InputSummary, LinkType, LiveDrops, Timestamp};
pub use vocab::{Counters, Endpoint, FrameRecord, Opcode, PerSide, Role, Stats, StreamEndKind};

/// Inputs as a command line names them: a directory expanded into its capture files in
/// the order they were recorded ([`inputs::expand`]), whether a path is read as a stream
/// (standard input, a FIFO: [`inputs::is_stream`]), and a path's file name for notes.
pub mod inputs {
    pub use crate::capture::file::is_stream;
    pub use crate::capture::file::rotation::{expand, file_name};
}
pub use analyzer::MAX_THREADS;
pub use memory::{metrics_room, MIN_MAX_MEMORY};

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
    progress: Option<Progress>,
) -> Result<Report, Error> {
    analyzer::files::analyze_files_with_progress(paths, opts, key_sources, progress)
}

/// One capture read as it is written (`wsclose analyze --follow`): standard input (`-`), a
/// FIFO or a pipe, read to its end, or a regular file read as `tail -f` reads it (to its
/// current end, then again as it grows), on this thread by one analyzer, which calls
/// `taps.on_event` for each close frame and TCP ending as soon as the packets that make it
/// are read (as `live_session` does, without libpcap), and `taps.on_report` with each
/// session's report as its connection finishes, counting in `taps.tally` ([`Taps`]), until
/// the input ends or `stop` is set; then its report, as [`analyze_files_with_progress`]
/// makes it. A compressed regular file cannot be followed ([`Error::Usage`]). `key` is given
/// the key of `--redact`'s pseudonyms as soon as the first packets make it, before any
/// event ([`render::events::Stream::key`]).
pub fn analyze_follow(
    path: &std::path::Path,
    opts: Options,
    key_sources: &keys::KeySources,
    taps: Taps,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    key: &report::redact::KeySlot,
) -> Result<Report, Error> {
    analyzer::files::analyze_follow(path, opts, key_sources, taps, stop, key)
}

/// Captures live (feature `live`) through the same pipeline as [`analyze_files`], calling
/// `taps.on_event` for each close frame and TCP ending as it happens (and `taps.on_report`,
/// `taps.tally` as [`analyze_follow`] does), until `stop` is set or a
/// limit in `opts` is reached; `opened` is called once the capture has started (after the
/// interface, filter and output file were set up without error). Returns the report of
/// everything captured, libpcap's
/// counters, and — when the capture failed after it started, or the file it saves to
/// (`opts.write`) could not be written, which stops it — why (`Error::LiveStopped` or
/// `Error::LiveWriteFailed`, whose exit codes differ; also a report warning). `on_drops`
/// is told the packets lost so far, by where, at most once a second while they rise; the
/// report has them in `seen.live_drops`, a warning, and a finding on each connection that
/// was open while they were lost. The packets wait for the analysis in a queue of a
/// sixteenth of `analysis.max_memory` (`memory::read_room`: no file is read). `key` is
/// given the key of `--redact`'s pseudonyms as [`analyze_follow`]'s is.
#[cfg(feature = "live")]
#[allow(clippy::too_many_arguments)]
pub fn live_session(
    opts: &LiveOptions,
    analysis: Options,
    key_sources: &keys::KeySources,
    stop: &std::sync::atomic::AtomicBool,
    opened: &mut dyn FnMut(),
    taps: Taps,
    on_drops: &mut dyn FnMut(&LiveDrops),
    key: &report::redact::KeySlot,
) -> Result<(Report, LiveSummary, Option<Error>), Error> {
    analyzer::live_session::live_session(
        opts,
        analysis,
        key_sources,
        stop,
        opened,
        taps,
        on_drops,
        key,
    )
}

// What the unit tests share: the fixtures' paths, a deterministic random generator.
#[cfg(test)]
mod test_helpers;
#[cfg(test)]
pub(crate) use test_helpers::{fixture_paths, Rng};
