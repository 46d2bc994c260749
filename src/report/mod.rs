//! The report model, built once from the analyzed connections and rendered by one module
//! per format (`render`: table, json, markdown, csv, html).
//!
//! ```
//! let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/python-close-1011.pcap");
//! let report = wsclose::analyze_files(&[capture.into()], wsclose::Options::default())?;
//! assert_eq!(report.summary.connections, 1);
//! let conn = &report.connections[0];
//! assert_eq!(conn.status.code, Some(1011));
//!
//! // The table `wsclose analyze` prints, 100 columns wide, without colour.
//! let table = wsclose::render::table::render(&report, Some(100), false);
//! assert!(table.contains("1011"));
//! // The Markdown for a ticket (no input hashes given).
//! let md = wsclose::render::markdown::render(&report, &[None]);
//! assert!(md.contains("1011"));
//! # Ok::<(), wsclose::error::Error>(())
//! ```
//!
//! In: the connections' reports and the input summaries, as `diagnose` builds and finishes
//! them (`Report::new`, `Report::from_store`). Out: a [`Report`] whose serde form is the
//! stable JSON contract (`schema/report.schema.json`: `version`, `inputs`, `connections`
//! with `id`, `client`, `server`, `handshake`, `close_frames`, `tcp_end`, `tcp_end_by`,
//! `status`, `findings`; `summary`). Fields may be added; those names never change. One
//! connection's report and its parts are in `connection.rs`; why it ended, in `diagnose`.
//!
//! A report's connections are either all in memory (`connections`) or in a [`Store`]
//! (`stored`, large captures: most of them in a temporary file). Renderers read them with
//! [`Report::for_each_chunk`] / [`Report::for_each_connection`], which work on both, or call
//! [`Report::load`] first. The reports in a store are finished once every input is read
//! (`diagnose::mark_cut`, the note on a back leg whose client's leg stayed encrypted);
//! reading them back only places their last packet among the inputs and applies
//! `--redact`.

pub mod answer;
pub mod cause;
pub mod encapsulation;
pub mod evidence;
pub mod facts;
pub mod filter;
pub mod incidents;
pub mod lastwords;
pub mod legs;
pub mod points;
pub mod record;
pub mod redact;
pub mod row;
pub mod schema;
pub mod status;
pub mod statuses;
pub mod store;
pub mod tls;
pub mod tunnel;
pub mod wireshark;
pub mod words;

use crate::vocab::InputSummary;

/// Connections rendered per piece of work by [`Report::render_chunks`]: small, so that the
/// pieces in flight stay a few hundred KiB.
pub(crate) const RENDER_CHUNK: usize = 32;

use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
pub use store::Store;

pub use cause::{Cause, Eviction};
pub use evidence::Evidence;
pub use status::{CloseHandshake, Status};

/// What writes the incident stage's links into a connection as it is shown (its incident,
/// reconnect, what came after its ending): given by `diagnose` with the links.
pub(crate) type ApplyLinks =
    fn(&crate::incident::Links, &[crate::vocab::Incident], &mut ConnectionReport);

/// A whole report: the inputs, the WebSocket connections, what else the capture held, and a summary
/// (the JSON contract of docs/json.md).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Report {
    /// The JSON contract's version (1).
    pub version: u32,
    /// `wsclose` and its version.
    pub tool: String,
    /// The command line that made the report (set by the binary).
    pub command: Option<String>,
    /// Addresses, host names (Host, SNI), query strings, payloads and TLS client randoms
    /// were removed (`--redact`).
    pub redacted: bool,
    /// Every input, in the order read, with its warnings (or the error that kept it from being
    /// read).
    pub inputs: Vec<InputSummary>,
    /// The connections shown, when they are in memory (else in `stored`).
    pub connections: Vec<ConnectionReport>,
    /// The connections shown, when they are in a store (`connections` is then empty; the
    /// serde form leaves them out: write such a report with `render::json::write`).
    #[serde(skip)]
    pub stored: Option<Store>,
    /// Counts over the connections shown.
    pub summary: Summary,
    /// What the capture held besides WebSocket connections.
    pub seen: Seen,
    /// Closes of several connections that belong together (a server stopped or restarted,
    /// a proxy reloaded, an idle cohort, a client host dropped, load shed, a rejection
    /// loop), in the order of their first end; each member names its incident
    /// (`connections[].incident`). Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<crate::vocab::Incident>,
    /// Endings of one server that cluster in time, far from its usual pace, that no
    /// incident kind fits: what they show and why no kind is named. Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub doubts: Vec<crate::vocab::Doubt>,
    /// What the incident stage says of each connection of a store, given as each is read
    /// back ([`Report::for_each_connection`]); connections in memory have it already.
    #[serde(skip)]
    pub(crate) links: crate::incident::Links,
    /// Writes `links` into a stored connection as it is shown (`diagnose::incidents::apply`,
    /// given with the links; nothing before).
    #[serde(skip)]
    pub(crate) apply_links: ApplyLinks,
    /// Whether wsclose decodes the protocol a subprotocol names (`app::decodes_subprotocol`,
    /// given by `diagnose` as the report is made; none before): `--redact` keeps such a name.
    #[serde(skip)]
    pub(crate) decodes_subprotocol: fn(&str) -> bool,
    /// Where TLS secrets came from (key logs, `SSLKEYLOGFILE`, pcapng secrets), never the
    /// secrets themselves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_logs: Vec<crate::vocab::KeySource>,
    /// Key-log lines that could not be read (source and line number): the first five of a
    /// source, then one that counts the rest; and key logs read no further (one that is not
    /// a regular file and did not end, or went silent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_log_warnings: Vec<String>,
    /// What the run itself met that the report must say, beyond any one input: a
    /// temporary directory that could not be used (TMPDIR), and where the temporary files
    /// went instead, or that there were none and connections were left out
    /// (`seen.reports_dropped`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// When redacted: the pseudonyms `redact` gave before the connections (those of the
    /// encrypted connections), from which a store's connections are named as they are read.
    #[serde(skip)]
    pub(crate) names: Option<redact::Names>,
    /// The key of the pseudonyms `--redact` gives: a hash of the capture's first packets
    /// (`redact::Seed`), so that the same capture gives the same pseudonyms in any run;
    /// none for a report made otherwise (then a random one).
    #[serde(skip)]
    pub(crate) key: Option<redact::Key>,
    /// Threads that render the connections ([`Report::render_chunks`], in `render::chunks`): the analysis's
    /// (`--threads`, 0 for one per core), at least two.
    #[serde(skip)]
    pub(crate) render_threads: usize,
    /// The selection `summary.filter` says, as given (`filter::Selection::apply`): what
    /// `--redact` says it from, without the host.
    #[serde(skip)]
    pub(crate) selection: Option<filter::Selection>,
    /// Each input's connections before the selection, when one left some out
    /// (`filter::Selection::apply`): what an input's line says it holds.
    #[serde(skip)]
    pub(crate) found_per_input: Option<Vec<u64>>,
}

/// Counts over the connections shown.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Summary {
    /// Connections shown (after any selection).
    pub connections: u64,
    /// Connections found, before any selection.
    pub total_connections: u64,
    /// Count per status code; "open" for connections still open, "refused" for refused
    /// upgrades, "unknown" for a close whose code the capture lacks.
    pub by_status: BTreeMap<String, u64>,
    /// TLS connections listed in `seen.encrypted` (and counted beyond it).
    #[serde(skip_serializing_if = "is_zero")]
    pub encrypted_connections: u64,
    /// When a selection (`--host`, `--port`) left some encrypted connections out of
    /// `seen.encrypted`: how many there were before it (`encrypted_connections` are left).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_encrypted_connections: Option<u64>,
    /// The selection that chose the connections shown (`--status 1006 --port 443`), when
    /// one was given: `connections` of `total_connections` are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

/// A live capture's lost packets in words, for the Markdown and HTML reports: "no packet
/// lost", or the counts by place.
pub fn live_drops_line(d: &crate::vocab::LiveDrops) -> String {
    if !d.any() {
        return "no packet lost (kernel ring, interface, analysis queue)".into();
    }
    format!(
        "packets lost: {} by the kernel (its capture ring was full), {} by the interface, {} \
         skipped by the analysis (its queue was full; they are in the saved file); \
         connections open meanwhile may be missing a close",
        d.kernel, d.interface, d.queue
    )
}

/// What the capture held besides the WebSocket connections.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Seen {
    /// Packets read.
    pub packets: u64,
    /// Packets that were TCP (over IPv4 or IPv6, tunnels peeled).
    pub tcp_packets: u64,
    /// Packets that were not TCP.
    pub other_packets: u64,
    /// Packets with cut or damaged IP or TCP headers, skipped.
    pub malformed_packets: u64,
    /// Packets the capture kept only in part (captured length < length on the wire).
    pub snaplen_cut_packets: u64,
    /// The smallest captured length among those packets.
    pub smallest_snaplen: Option<u32>,
    /// Link types that were not decoded, with their packet counts.
    pub unsupported_link_types: BTreeMap<String, u64>,
    /// TCP connections seen.
    pub tcp_connections: u64,
    /// A live capture's lost packets by where they were lost (`wsclose live`); absent when
    /// the report was read from files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_drops: Option<crate::vocab::LiveDrops>,
    /// Packets that were the first fragment of a tunnel's outer IP packet (not reassembled).
    #[serde(skip_serializing_if = "is_zero")]
    pub tunnel_fragments: u64,
    /// Packets with tunnels nested deeper than wsclose peels them.
    #[serde(skip_serializing_if = "is_zero")]
    pub too_deep_packets: u64,
    /// The first of each of those two in the input being read ([`Seen::unpeeled`]).
    #[serde(skip)]
    pub(crate) first_unpeeled: [Option<u64>; 2],
    /// TCP connections that spoke HTTP but never asked for an upgrade, or spoke something else.
    pub other_tcp_connections: u64,
    /// Of those, CONNECT tunnels a forward proxy refused where nothing the client sent
    /// shows it asked for a WebSocket (no WebSocket client library named in the CONNECT,
    /// no upgrade request sent, no other tunnel of the same client host to the same target
    /// through the same proxy that carried one): not WebSocket connections, so not
    /// reported as refused ones.
    #[serde(skip_serializing_if = "is_zero")]
    pub refused_tunnels: u64,
    /// Flows evicted before the end of the input (idle timeout, flow cap or memory budget).
    pub evicted_flows: u64,
    /// Of those, flows finished after the idle timeout (`--idle-timeout`) without a packet.
    pub evicted_idle: u64,
    /// Of those, flows still open that were finished because more than `--max-flows` were
    /// tracked at once (the least recently active).
    pub evicted_max_flows: u64,
    /// Of those, flows still open that were finished because the state of the flows open
    /// at once reached `--max-memory` (the least recently active, after every held
    /// out-of-order buffer of their group was given up: `shed_buffers`).
    #[serde(skip_serializing_if = "is_zero")]
    pub evicted_max_memory: u64,
    /// What HTTP/2 connections evicted while open carried after their eviction, counted,
    /// not read (absent when none sent anything after it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_after_eviction: Option<UnreadAfterEviction>,
    /// Connections whose held out-of-order bytes were given up (delivered past gaps) because
    /// the state of the flows open at once reached `--max-memory`.
    #[serde(skip_serializing_if = "is_zero")]
    pub shed_buffers: u64,
    /// Packets of connections already closed and reported (final ACKs, retransmitted FINs).
    pub late_packets: u64,
    /// Connections frozen out of memory (`freeze`) that could not be read back from the
    /// temporary file: not reported. Only an I/O error on that file does this.
    #[serde(skip_serializing_if = "is_zero")]
    pub lost_frozen: u64,
    /// WebSocket connections left out of the report: no temporary file could hold their
    /// reports (see `warnings`), and memory keeps a bounded number of them.
    #[serde(skip_serializing_if = "is_zero")]
    pub reports_dropped: u64,
    /// The notes of the temporary files, for the report's `warnings`.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) temp_notes: Vec<String>,
    /// TLS connections that carried no WebSocket the report could read (not decrypted: no
    /// key, a key that does not match; or not a WebSocket inside), in capture order, at
    /// most 10 000 of them, fewer under a small `--max-memory` ([`Seen::max_encrypted`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encrypted: Vec<tls::EncryptedReport>,
    /// Such connections beyond that cap (counted, not listed).
    #[serde(skip_serializing_if = "is_zero")]
    pub encrypted_not_listed: u64,
    /// The cap on `encrypted` the memory budget sets (`memory::encrypted_listed`); 0 for
    /// [`Seen::MAX_ENCRYPTED`].
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) encrypted_cap: usize,
    /// engine.io long-polling connections by sid, to link the socket.io sessions upgraded
    /// from them (`app::polls::link`).
    #[serde(skip)]
    #[schemars(skip)]
    pub polling: crate::vocab::Polls,
    /// Connection attempts refused (a SYN answered by the server's RST), for what came
    /// after a session's abrupt ending (`incident::after`).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) refusals: crate::incident::Refusals,
    /// Connection attempts refused in TCP (a SYN answered by a RST or not at all), counted
    /// per server and tenth of a second, for the incidents' `refused`.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) refused: crate::incident::RefusedCounts,
    /// TLS handshakes their clients refused after the server's hello (a fatal alert of the
    /// client's, or a protected record of an alert's size and its close), counted per server
    /// and tenth of a second, for the incidents' `refused_tls`.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) tls_refused: crate::incident::RefusedCounts,
}

impl Seen {
    /// What its lists kept for the report at the end hold, by their own estimates: the
    /// encrypted connections listed (`encrypted_bytes` each: `memory::ENCRYPTED_BYTES`), the
    /// refusals, the counters of refused attempts and handshakes, the polling connections.
    pub fn held_bytes(&self, encrypted_bytes: usize) -> usize {
        self.encrypted.len() * encrypted_bytes
            + self.refusals.held_bytes()
            + self.refused.held_bytes()
            + self.tls_refused.held_bytes()
            + self.polling.held_bytes()
    }

    /// Encrypted connections listed one by one at the most; past this, only counted. A
    /// smaller memory budget lists fewer ([`Seen::max_encrypted`]).
    pub const MAX_ENCRYPTED: usize = 10_000;

    /// Encrypted connections listed one by one under this analysis's memory budget.
    pub fn max_encrypted(&self) -> usize {
        match self.encrypted_cap {
            0 => Self::MAX_ENCRYPTED,
            n => n.min(Self::MAX_ENCRYPTED),
        }
    }

    /// Lists `e` (or counts it, past the cap).
    pub fn add_encrypted(&mut self, e: tls::EncryptedReport) {
        if self.encrypted.len() < self.max_encrypted() {
            self.encrypted.push(e);
        } else {
            self.encrypted_not_listed += 1;
        }
    }

    /// Every encrypted connection, listed or not.
    pub fn encrypted_count(&self) -> u64 {
        self.encrypted.len() as u64 + self.encrypted_not_listed
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What HTTP/2 connections (RFC 8441: a WebSocket per stream, thousands on one) carried
/// after wsclose evicted them while still open (`evicted_max_memory`, `evicted_max_flows`,
/// `evicted_idle`). A connection's HPACK tables and streams go with it, so nothing it
/// carried after can be decoded: its streams after the eviction are in no report, and this
/// says how much was left unread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct UnreadAfterEviction {
    /// Evicted HTTP/2 connections that sent packets after their eviction.
    pub connections: u64,
    /// Their packets after the eviction, both directions.
    pub packets: u64,
    /// The TCP payload bytes of those packets.
    pub bytes: u64,
    /// Streams their clients opened after the eviction: HEADERS frames on stream ids above
    /// every one they used before (RFC 9113 §5.1.1), counted where the client's frames
    /// could be followed. WebSockets or other requests alike: their header blocks cannot
    /// be decoded. At least this many; exactly this many when `streams_uncounted_bytes` is 0.
    pub streams_opened_at_least: u64,
    /// Client bytes after the evictions that could not be followed frame by frame (inside
    /// TLS, or after a segment missing or out of order): the streams they opened are not
    /// counted.
    pub streams_uncounted_bytes: u64,
}

impl UnreadAfterEviction {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &UnreadAfterEviction) {
        self.connections += other.connections;
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.streams_opened_at_least += other.streams_opened_at_least;
        self.streams_uncounted_bytes += other.streams_uncounted_bytes;
    }

    /// In words, for warnings: "3 HTTP/2 connections evicted while open sent 1 200 packets
    /// (5 000 000 bytes) after their eviction, opening at least 17 316 streams …".
    pub fn words(&self) -> String {
        let streams = if self.streams_uncounted_bytes == 0 {
            format!("{} streams", self.streams_opened_at_least)
        } else {
            format!(
                "at least {} streams ({} bytes of the clients' could not be followed frame by frame, so how many more is unknown)",
                self.streams_opened_at_least, self.streams_uncounted_bytes
            )
        };
        format!(
            "{} evicted while open sent {} packets ({} bytes) after the eviction, not read (seen.unread_after_eviction): an HTTP/2 connection's HPACK state goes with it, so the {streams} its client opened there (WebSockets or other requests: unknown) are in no report; raise the limit that evicted it (--max-memory, --max-flows, --idle-timeout) to read them",
            if self.connections == 1 {
                "1 HTTP/2 connection".to_string()
            } else {
                format!("{} HTTP/2 connections", self.connections)
            },
            self.packets,
            self.bytes,
        )
    }
}

mod connection;
pub use connection::*;

/// Where packet `packet` of a connection that started in input `input` is: the input
/// holding it and its number there. Packets are numbered on across inputs that continue
/// each other (rotated files: `InputSummary::packet_offset`); inputs with no packet between
/// them are passed over.
pub fn locate(inputs: &[InputSummary], input: usize, packet: u64) -> (usize, u64) {
    let mut at = input;
    for (j, next) in inputs.iter().enumerate().skip(input + 1) {
        if next.packets == 0 {
            continue;
        }
        if !next.continues_previous || next.packet_offset >= packet {
            break;
        }
        at = j;
    }
    let offset = inputs.get(at).map_or(0, |i| i.packet_offset);
    (at, packet.saturating_sub(offset))
}

/// "name #N": packet `packet` of a connection that started in input `input`, by the file
/// that holds it and its number there (for reports of rotated files read as one capture).
pub fn place(inputs: &[InputSummary], input: usize, packet: u64) -> String {
    let (at, n) = locate(inputs, input, packet);
    let name = inputs
        .get(at)
        .map_or_else(String::new, InputSummary::file_name);
    format!("{name} #{n}")
}

impl Report {
    /// Records where TLS secrets came from, and gives each encrypted connection the advice
    /// that fits its reason with those key logs (no key at all is not the same as a key log
    /// that holds only other connections').
    pub fn set_key_logs(&mut self, key_logs: Vec<crate::vocab::KeySource>) {
        for e in &mut self.seen.encrypted {
            e.advice = words::tls::advice(e.reason, &key_logs);
        }
        self.key_logs = key_logs;
    }

    pub(crate) fn build(
        inputs: Vec<InputSummary>,
        connections: Vec<ConnectionReport>,
        stored: Option<Store>,
        mut seen: Seen,
    ) -> Report {
        let mut warnings = std::mem::take(&mut seen.temp_notes);
        if seen.reports_dropped > 0 {
            warnings.push(format!(
                "{} WebSocket connections are left out of this report (seen.reports_dropped): no temporary file could hold their reports and memory keeps only so many; set TMPDIR to a writable directory with free space and run again to see them all",
                seen.reports_dropped
            ));
        }
        let mut r = Report {
            version: 1,
            tool: format!("wsclose {}", env!("CARGO_PKG_VERSION")),
            command: None,
            redacted: false,
            inputs,
            connections,
            stored,
            summary: Summary::default(),
            seen,
            incidents: Vec::new(),
            doubts: Vec::new(),
            links: crate::incident::Links::default(),
            apply_links: |_, _, _| {},
            decodes_subprotocol: |_| false,
            key_logs: Vec::new(),
            key_log_warnings: Vec::new(),
            warnings,
            names: None,
            key: None,
            render_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            selection: None,
            found_per_input: None,
        };
        r.recount();
        r.summary.total_connections = r.summary.connections;
        r.summary.encrypted_connections = r.seen.encrypted_count();
        r
    }

    /// Counts the connections shown, by status.
    pub fn recount(&mut self) {
        self.summary.by_status.clear();
        let (keys, n): (Box<dyn Iterator<Item = StatusKey>>, usize) = match &self.stored {
            Some(s) => (Box::new(s.statuses()), s.len()),
            None => (
                Box::new(self.connections.iter().map(|c| c.status_kind())),
                self.connections.len(),
            ),
        };
        // Counted by key, each key's name made once (a name per connection cost an
        // allocation and a formatting each).
        let mut counts: rustc_hash::FxHashMap<StatusKey, u64> = Default::default();
        for k in keys {
            *counts.entry(k).or_default() += 1;
        }
        for (k, n) in counts {
            *self.summary.by_status.entry(k.to_string()).or_default() += n;
        }
        self.summary.connections = n as u64;
    }

    /// Whether some input was read as the continuation of the one before (rotated files):
    /// packet numbers then run on across files.
    pub fn joins_files(&self) -> bool {
        self.inputs.iter().any(|i| i.continues_previous)
    }

    /// How many connections are shown from each input, without reading them back.
    pub fn per_input(&self) -> Vec<u64> {
        let mut n = vec![0u64; self.inputs.len()];
        let mut count = |i: usize| {
            if let Some(k) = n.get_mut(i) {
                *k += 1;
            }
        };
        match &self.stored {
            Some(store) => store.inputs().for_each(&mut count),
            None => self.connections.iter().for_each(|c| count(c.input)),
        }
        n
    }

    /// Calls `f` with the connections shown, in id order, up to `n` at a time (all of them
    /// in memory at once only if they already were): borrowed when they are in memory,
    /// owned when read back from a store.
    pub fn for_each_chunk<'a>(
        &'a self,
        n: usize,
        mut f: impl FnMut(Cow<'a, [ConnectionReport]>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let n = n.max(1);
        let Some(store) = &self.stored else {
            return self
                .connections
                .chunks(n)
                .try_for_each(|c| f(Cow::Borrowed(c)));
        };
        let mut chunk = Vec::with_capacity(n.min(store.len()));
        self.read_stored(store, |c| {
            chunk.push(c);
            if chunk.len() < n {
                return Ok(());
            }
            f(Cow::Owned(std::mem::replace(
                &mut chunk,
                Vec::with_capacity(n),
            )))
        })?;
        if chunk.is_empty() {
            Ok(())
        } else {
            f(Cow::Owned(chunk))
        }
    }

    /// Calls `f` with each connection shown, in id order.
    pub fn for_each_connection(
        &self,
        mut f: impl FnMut(&ConnectionReport) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match &self.stored {
            Some(store) => self.read_stored(store, |c| f(&c)),
            None => self.connections.iter().try_for_each(f),
        }
    }

    /// Brings the connections of a store into `connections` (for the renderers that want
    /// them all at once).
    pub fn load(&mut self) -> std::io::Result<()> {
        let Some(store) = self.stored.take() else {
            return Ok(());
        };
        let mut all = store.into_vec()?;
        let mut names = self.names_before_connections();
        for c in &mut all {
            self.as_shown(c, &mut names);
        }
        self.connections = all;
        Ok(())
    }

    /// When the report is redacted, the pseudonyms given before its connections were named.
    fn names_before_connections(&self) -> Option<redact::Names> {
        self.redacted.then(|| {
            self.names
                .clone()
                .unwrap_or_else(|| redact::Names::new(self.key, self.decodes_subprotocol))
        })
    }

    /// A stored report as this report shows it: with the input it ends in, and redacted if
    /// the report is (`names` then holds the pseudonyms given so far). What it says was
    /// finished before it was read (`finish_store`).
    pub(crate) fn as_shown(&self, c: &mut ConnectionReport, names: &mut Option<redact::Names>) {
        c.last_input = locate(&self.inputs, c.input, c.last_packet).0;
        (self.apply_links)(&self.links, &self.incidents, c);
        if let Some(names) = names {
            names.connection(c);
        }
    }

    /// Reads every report of `store` back (a copy of those kept in memory), as this report
    /// shows them (redacted in id order, as `redact` redacts them).
    fn read_stored(
        &self,
        store: &Store,
        mut f: impl FnMut(ConnectionReport) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut names = self.names_before_connections();
        let mut buf = Vec::new();
        for i in 0..store.len() {
            let mut c = store.get(i, &mut buf)?;
            self.as_shown(&mut c, &mut names);
            f(c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) use tests::repeated_fixture_report;
