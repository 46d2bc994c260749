//! The same session seen at a second point of the capture: a connection's [`Twin`] (JSON
//! `seen_at_two_points`), filled by the incident stage (`incident::twins`).
//!
//! In: nothing of the project. Out: the value.

use serde::{Deserialize, Serialize};

/// The same session seen at a second point of the capture: a NAT's two sides (issue 91
/// item 4), linked by the upgrade request's `Sec-WebSocket-Key` (RFC 6455 §4.1: 16 random
/// bytes per handshake) carried by exactly two connections that began together, one
/// endpoint the same at both points and the other translated (JSON `seen_at_two_points`).
// Its field docs are the schema's descriptions: they name the incident stage's thresholds,
// which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Twin {
    /// The id of the connection that is this session at the other point.
    pub connection: u64,
    /// The endpoint the two points show with different addresses: `client` (a source NAT,
    /// masquerade) or `server` (a destination NAT, a port forward).
    pub translated: super::side::Role,
    /// A reset this point saw in that side's name that the other point never saw that side
    /// send (no RST of it there within [`TWIN_S`]): made between the two points, by a box
    /// between them; null when none.
    pub reset_made_between: Option<super::side::Role>,
    /// That reset's packet; null when none.
    pub reset_packet: Option<u64>,
}
