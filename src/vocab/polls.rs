//! The engine.io long-polling connections of one analysis, by session id ([`Polls`]): what
//! the analyzer keeps of each finished polling connection (its first packet, requests, last
//! response, the OPEN packet its handshake response carried) until the report links them to
//! the socket.io sessions that moved to a WebSocket (`app::polls::link`). Not in JSON: the
//! sessions' `application.related[].polling[]` ([`PollingConnection`]) is what shows.
//!
//! In: each finished polling connection, as [`PollingFacts`] (the stack's engine.io reader
//! gives them). Out: the connections kept, at most [`Polls::CAP`], by sid.

use super::app::PollingConnection;
use super::time::Timestamp;
use std::collections::BTreeMap;

/// One polling connection, as the analyzer keeps it until the report is linked.
#[derive(Debug, Clone)]
pub struct Polled {
    /// Its input.
    pub input: usize,
    /// What the report lists of it.
    pub conn: PollingConnection,
    /// The OPEN's pingInterval and pingTimeout (ms).
    pub open: (Option<u64>, Option<u64>),
    /// The OPEN's packet and time.
    pub open_at: Option<(u64, Timestamp)>,
}

/// What an engine.io OPEN packet announced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Open {
    /// The packet that completed the response carrying it.
    pub packet: u64,
    /// That packet's time.
    pub ts: Timestamp,
    /// The `pingInterval` it announced (ms).
    pub ping_interval: Option<u64>,
    /// The `pingTimeout` it announced (ms).
    pub ping_timeout: Option<u64>,
}

/// What a finished engine.io long-polling connection showed, as the polling reader
/// (`stack::http1::engineio`) gives it.
pub trait PollingFacts {
    /// Its session id: a request's `sid`, or the OPEN packet's.
    fn sid(&self) -> Option<&String>;
    /// The packet that completed the last response read, and its time.
    fn last_response(&self) -> Option<(u64, Timestamp)>;
    /// Requests read.
    fn requests(&self) -> u32;
    /// The OPEN packet its handshake response carried.
    fn open(&self) -> Option<Open>;
}

/// The polling connections of one analysis, by sid.
#[derive(Debug, Default, Clone)]
pub struct Polls {
    pub(crate) by_sid: BTreeMap<String, Vec<Polled>>,
    kept: usize,
    /// Polling connections not kept, past [`Polls::CAP`].
    pub not_kept: u64,
}

impl Polls {
    /// Polling connections kept at most (about 100 bytes each).
    pub const CAP: usize = 10_000;

    /// What the connections kept hold, about (100 bytes each).
    pub fn held_bytes(&self) -> usize {
        self.kept * 100
    }

    /// Keeps a finished polling connection of input `input`.
    pub fn add(&mut self, input: usize, p: &impl PollingFacts, first_packet: u64) {
        let Some(sid) = p.sid() else {
            return;
        };
        if self.kept >= Self::CAP {
            self.not_kept += 1;
            return;
        }
        self.kept += 1;
        self.by_sid.entry(sid.clone()).or_default().push(Polled {
            input,
            conn: PollingConnection {
                first_packet,
                last_response: p.last_response().map(|l| l.0),
                requests: p.requests(),
                open_packet: p.open().map(|o| o.packet),
            },
            open: p
                .open()
                .map_or((None, None), |o| (o.ping_interval, o.ping_timeout)),
            open_at: p.open().map(|o| (o.packet, o.ts)),
        });
    }

    /// Takes in another analyzer's (the threads of one file).
    pub fn append(&mut self, other: Polls) {
        for (sid, list) in other.by_sid {
            for p in list {
                if self.kept >= Self::CAP {
                    self.not_kept += 1;
                    continue;
                }
                self.kept += 1;
                self.by_sid.entry(sid.clone()).or_default().push(p);
            }
        }
        self.not_kept += other.not_kept;
    }

    /// Whether no polling connection with a sid was kept.
    pub fn is_empty(&self) -> bool {
        self.by_sid.is_empty()
    }

    /// The sids of the polling connections kept.
    pub fn sids(&self) -> impl Iterator<Item = &str> {
        self.by_sid.keys().map(String::as_str)
    }

    /// The polling connections kept with session id `sid`.
    pub fn of(&self, sid: &str) -> Option<&[Polled]> {
        self.by_sid.get(sid).map(Vec::as_slice)
    }
}
