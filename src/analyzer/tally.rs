//! What a followed or live capture has read and holds so far, for a metrics endpoint read
//! on another thread (`wsclose live --metrics`, `analyze --follow --metrics`).
//!
//! In: the packets as the follow or live loop hands them to the analyzer (a count, their
//! bytes, the capture time of the latest), the WebSocket connections as the analyzer sees
//! them begin and end, the refused attempts. Out: relaxed atomics, read whenever a scrape
//! comes. Only `analyze --follow` and `live` set one ([`Taps`]); a file read offline has
//! none, and its per-packet path is unchanged.

use super::{OnEvent, OnNote, OnRefused, OnReport, OnSession};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// The counters of one followed or live capture, updated by its reading thread.
#[derive(Debug, Default)]
pub struct Tally {
    /// Packets handed to the analysis.
    pub packets: AtomicU64,
    /// Their captured bytes.
    pub bytes: AtomicU64,
    /// The capture time (ns since the epoch) of the latest packet analysed; 0 before the
    /// first.
    pub last_packet_ns: AtomicI64,
    /// The wall clock less that capture time, in ns, measured every
    /// [`Tally::LAG_EVERY`] packets: how far behind the wire the analysis was then.
    pub lag_ns: AtomicI64,
    /// WebSocket connections seen to begin (their handshake or first frame read).
    pub websockets_begun: AtomicU64,
    /// WebSocket connections finished (reported: closed, evicted, or open at the end).
    pub websockets_finished: AtomicU64,
    /// Connection attempts the server refused in TCP (a SYN answered by RST or by
    /// nothing: the report's `refused` counts).
    pub refused: AtomicU64,
    /// Files of a capture ring followed that were lost before they were read (whole or in
    /// part): removed, rewritten under their name, or skipped by the ring's numbering.
    pub ring_files_removed: AtomicU64,
    /// The analysis' estimate of the memory it holds (`--max-memory` is charged this).
    pub charged_bytes: AtomicU64,
}

impl Tally {
    /// The lag and the memory estimate are measured once per this many packets.
    pub const LAG_EVERY: u64 = 1024;

    /// One packet of `len` bytes captured at `ts_ns`, handed to the analysis: two counter
    /// increments and a store; every [`Tally::LAG_EVERY`] packets, the lag measured too
    /// (true: the caller then also sets [`Tally::charged_bytes`]).
    #[inline]
    pub fn packet(&self, len: usize, ts_ns: i64) -> bool {
        let n = self.packets.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
        self.last_packet_ns.store(ts_ns, Ordering::Relaxed);
        if n.is_multiple_of(Self::LAG_EVERY) {
            self.measure_lag();
            return true;
        }
        false
    }

    /// The wall clock less the latest packet's capture time, stored in [`Tally::lag_ns`].
    pub fn measure_lag(&self) {
        let last = self.last_packet_ns.load(Ordering::Relaxed);
        if last == 0 {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        self.lag_ns
            .store(now.saturating_sub(last).max(0), Ordering::Relaxed);
    }

    /// WebSocket connections open now: begun and not finished.
    pub fn websockets_open(&self) -> u64 {
        self.websockets_begun
            .load(Ordering::Relaxed)
            .saturating_sub(self.websockets_finished.load(Ordering::Relaxed))
    }
}

/// What a followed or live analysis tells as it goes: each close as it happens, each
/// connection's report as it is made, and the [`Tally`] of what it read.
pub struct Taps {
    /// Each close frame and TCP ending, as the packet that carries it is read.
    pub on_event: OnEvent,
    /// Each WebSocket session's report as soon as its connection finishes (reports are then
    /// made at once rather than a few at a time).
    pub on_report: Option<OnReport>,
    /// The counters, shared with whoever reads them.
    pub tally: Option<Arc<Tally>>,
    /// A warning about the input as it happens (a capture ring's files lost).
    pub on_note: Option<OnNote>,
    /// Each WebSocket connection as it is seen to begin and as it finishes (the sessions
    /// open to each server, for the incident watch: `incident::Watch::session`).
    pub on_session: Option<OnSession>,
    /// Each connection attempt refused in TCP or TLS, as its connection finishes (for the
    /// incident watch: a server shown gone, `incident::Watch::refused`).
    pub on_refused: Option<OnRefused>,
    /// Bytes of `--max-memory` the caller holds beside the analysis (the metrics' label
    /// sets: [`crate::metrics_room`]): taken from the flows' part.
    pub beside: usize,
}

impl Taps {
    /// Only the closes as they happen.
    pub fn new(on_event: OnEvent) -> Taps {
        Taps {
            on_event,
            on_report: None,
            tally: None,
            on_note: None,
            on_session: None,
            on_refused: None,
            beside: 0,
        }
    }
}

/// A WebSocket connection seen to begin (its handshake or first frame read) or to finish
/// (reported), as a followed or live analysis reads it ([`Taps::on_session`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMark {
    /// When the connection's first packet was captured (the report's `start`, a close
    /// event's `start`).
    pub start: crate::vocab::Timestamp,
    /// The client's endpoint.
    pub client: crate::vocab::Endpoint,
    /// The server's endpoint.
    pub server: crate::vocab::Endpoint,
    /// Where its 4-tuple lives (its VLANs and tunnels; 0 for none), as a close event's.
    pub scope: u32,
    /// True when it begins, false when it finishes.
    pub begun: bool,
}

/// The [`SessionMark`] of `c` (begun or finished).
pub(super) fn mark(c: &crate::stack::tcp::connection::Connection, begun: bool) -> SessionMark {
    let client = c.client_side();
    SessionMark {
        start: c.first_ts,
        client: c.ep[client],
        server: c.ep[client.other()],
        scope: c.scope,
        begun,
    }
}
