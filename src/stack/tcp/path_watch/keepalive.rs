//! TCP keepalive probes of one direction (RFC 9293 §3.8.4; RFC 1122 §4.2.3.6): after an
//! idle spell, a segment one byte below the sender's next sequence number, with no data
//! (Linux) or one byte already acknowledged (BSD, Windows), that the peer answers with a
//! bare ACK when it is there. Probes repeat at a steady interval while unanswered; after
//! the last (Linux: `TCP_KEEPCNT`, 9 by default) the sender's kernel resets the connection
//! and the socket's error is `ETIMEDOUT`.
//!
//! In: this direction's segments that look like probes (at the peer's acknowledged point
//! less one, at most one byte, no SYN, FIN or RST, while the peer's window is open and no
//! data of this direction waits for an acknowledgement) and the peer's packets. Out: the
//! last run of probes with no packet of the peer between them ([`Run`]): how many, the
//! first and last, the shortest and longest interval, how many probes the peer answered
//! before, and whether the last went unanswered to the end. Constant memory: a few numbers.

use crate::vocab::Timestamp;

/// The last run of probes (packet 0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Keep {
    first_packet: u64,
    first_ts: Timestamp,
    last_packet: u64,
    last_ts: Timestamp,
    /// The peer's packet that last answered a probe (0: none).
    answer_packet: u64,
    /// Probes in the run.
    count: u32,
    /// Probes the peer answered.
    answered: u32,
    /// The shortest and longest time between two probes of the run, in microseconds
    /// (saturating at 71 minutes).
    min_gap_us: u32,
    max_gap_us: u32,
    /// The last probe got no packet of the peer yet.
    pending: bool,
    /// The payload bytes of the last probe (0 or 1).
    bytes: u8,
}

/// The last run of a direction's keepalive probes (see the module header).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// Probes in the run: no packet of the peer came between them.
    pub probes: u64,
    pub first_packet: u64,
    pub first_ts: Timestamp,
    pub last_packet: u64,
    pub last_ts: Timestamp,
    /// The shortest and longest time between two probes of the run, in seconds (0 for a
    /// run of one probe).
    pub min_gap_s: f64,
    pub max_gap_s: f64,
    /// Probes the peer answered (it was there then: for a run unanswered, all before the
    /// run), and the peer's last answer to one.
    pub answered: u64,
    pub last_answer: Option<u64>,
    /// No packet of the peer came after the run's last probe, to the end.
    pub unanswered: bool,
    /// The payload bytes of the last probe: 0 (Linux) or 1 (BSD, Windows).
    pub bytes: u8,
}

impl Keep {
    /// A probe of this direction, packet `packet` at `ts`.
    pub(super) fn probe(&mut self, packet: u64, ts: Timestamp, bytes: u8) {
        if self.pending && self.count > 0 {
            let gap = ts.since(self.last_ts).max(0.0) * 1e6;
            let gap = if gap < f64::from(u32::MAX) {
                gap as u32
            } else {
                u32::MAX
            };
            if self.count == 1 {
                (self.min_gap_us, self.max_gap_us) = (gap, gap);
            } else {
                self.min_gap_us = self.min_gap_us.min(gap);
                self.max_gap_us = self.max_gap_us.max(gap);
            }
            self.count = self.count.saturating_add(1);
        } else {
            self.first_packet = packet;
            self.first_ts = ts;
            self.count = 1;
            (self.min_gap_us, self.max_gap_us) = (0, 0);
        }
        self.last_packet = packet;
        self.last_ts = ts;
        self.pending = true;
        self.bytes = bytes;
    }

    /// A packet of the peer: it answers the last probe, if one waits; the run is over.
    #[inline]
    pub(super) fn peer(&mut self, packet: u64) {
        if self.pending {
            self.pending = false;
            self.answered = self.answered.saturating_add(self.count);
            self.answer_packet = packet;
        }
    }

    /// The last run, if this direction sent a probe.
    pub(super) fn run(&self) -> Option<Run> {
        (self.count > 0).then_some(Run {
            probes: u64::from(self.count),
            first_packet: self.first_packet,
            first_ts: self.first_ts,
            last_packet: self.last_packet,
            last_ts: self.last_ts,
            min_gap_s: f64::from(self.min_gap_us) / 1e6,
            max_gap_s: f64::from(self.max_gap_us) / 1e6,
            answered: u64::from(self.answered),
            last_answer: (self.answer_packet != 0).then_some(self.answer_packet),
            unanswered: self.pending,
            bytes: self.bytes,
        })
    }
}
