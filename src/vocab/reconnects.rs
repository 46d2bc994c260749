//! Who came back after an incident ([`Reconnects`], JSON `incidents[].reconnects`): its
//! members' reconnects, and the attempts refused meanwhile, by what refused them (an HTTP
//! status and its page's words, or TCP: the refusing reset's TTL beside the server's own).
//!
//! In: nothing of the project. Out: the values the `incident` stage fills (`incident::detect`'s
//! `come_back`, `incident::refused::count`); their words are `report::words::incident`'s.

use super::stated::Stated;
use serde::Serialize;

/// Who came back after an incident.
// Its field docs are the schema's descriptions (schema/, kept as they were): they name
// the incident stage's thresholds, which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Reconnects {
    /// Members whose client opened a new session to the same server and path (or
    /// subprotocol) within [`RECONNECT_MAX_S`] of the end, and was accepted.
    pub came_back: u64,
    /// Members with no accepted new session in the capture.
    pub never: u64,
    /// Median seconds from a member's end to its accepted new session.
    pub median_s: Option<f64>,
    /// The slowest of those.
    pub slowest_s: Option<f64>,
    /// New sessions that replaced a member and were refused: their upgrade was (not 101),
    /// or they were ended again as members of the same incident; and for a server stop or
    /// restart, the attempts refused in TCP while it was down (a SYN answered by a RST or
    /// not at all, from the first end to the next session accepted: [`refused::count`]).
    pub refused: u64,
    /// Seconds between the 10th and 90th percentile of the delays (with 3 or more).
    pub spread_s: Option<f64>,
    /// The delays spread over less than a tenth of their median (or 0.02 s): the clients
    /// came back in a herd, with no jitter (`incident::herd`).
    pub herd: Option<bool>,
    /// `herd` is null because some returns were paired with their ends by order, not each
    /// with its own client (`same_host`, `other_path`), which narrows the delays' spread
    /// (here under a herd's), and neither the ends' spread nor the returns' own tells
    /// whether they shared one delay (`incident::herd_by_order`). Absent when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub herd_undecided: bool,
    /// Of `came_back`, members whose new session came from a client host that had several
    /// sessions to the server open at once: that host came back, not surely that client.
    #[serde(default)]
    pub same_host: u64,
    /// For a stop or restart: the TLS handshakes to its server its clients refused after the
    /// server's hello (their fatal alert, or in TLS 1.3 an alert-sized record and close), from
    /// the first end to the next session accepted: they rejected its certificate. Absent
    /// when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_tls: u64,
    /// Of the members that did not come back to this server: those whose client host opened
    /// a new session on the same path (or subprotocol) to another server within
    /// [`RECONNECT_MAX_S`] of the end, not itself a reconnect of another session: the
    /// service moved. Not in `came_back`, and out of `never`. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub elsewhere: u64,
    /// Where most of them went (address and port; a pseudonym when redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elsewhere_server: Option<String>,
    /// Of `came_back`: members whose client host opened a new session to the same server on
    /// another path (or subprotocol) within [`RECONNECT_MAX_S`], no reconnect of another,
    /// where none came back on their own path (a game's new room, a new process's path);
    /// delays pair ends and starts in order. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_path: u64,
    /// Where `same_host` counts: sessions those hosts opened to the same server and path
    /// after the last end, within [`RECONNECT_MAX_S`], replacing none: other clients arriving
    /// (so `came_back` is at most, `never` at least, what they say). Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub others_after: u64,
    /// Of `refused`: the upgrades refused with an HTTP status (the rest were refused in
    /// TCP). Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_http: u64,
    /// The HTTP status every one of those upgrades was refused with, when all share one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_status: Option<u16>,
    /// What the page that refused every one of them said, when all share it: its `words`
    /// (its body's first line; `[redacted]` under `--redact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_said: Option<Stated>,
    /// Of `refused`: connection attempts refused in TCP after the server had accepted a
    /// session again, until the members came back: refused in its name, by it or by a box
    /// on the path (a rate limiter), which the counts do not tell apart. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_after_back: u64,
    /// Seconds from the last member's end to the start of the last attempt refused with an
    /// HTTP status (of `refused_http`): with `facts.accepted_after_s`, whether the server
    /// accepted sessions while it refused them, or only after. Absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_http_to_s: Option<f64>,
    /// Of `refused`: connection attempts refused in TCP by a RST whose TTL lies outside the
    /// TTLs the server's own packets arrived with (`server_ttls`): refused by something
    /// between the client and the server (a router's rate limiter, a firewall), not by the
    /// server's host. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_between: u64,
    /// The TTL most of those RSTs carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_between_ttl: Option<u8>,
    /// Their IPv4 identification, when all of them carried one and the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_between_ip_id: Option<u16>,
    /// The lowest and highest TTL the server's own packets (its accepted sessions') arrived
    /// with, where `refused_between` counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_ttls: Option<(u8, u8)>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
