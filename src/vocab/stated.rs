//! What the members of a group of endings said as their side ended them ([`Stated`], JSON
//! `incidents[].facts.said`, `incidents[].reconnects.refused_said`): a close reason, a
//! refusal's words, a TLS alert, and the peer's messages their closes answered ([`Answered`]).
//!
//! In: nothing of the project. Out: values the `incident` stage fills (`incident::said`,
//! `incident::detect`'s `stated`); their words are `report::words::incident`'s.

use serde::{Deserialize, Serialize};

/// What the members of a group said as their side ended them, beyond the code
/// ([`IncidentFacts::said`]): that side's stated decision, as the wire carried it. Each
/// field absent when not shown.
// Its docs are the schema's descriptions (kept as they were): they name `IncidentFacts`,
// which this file does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stated {
    /// The close reason every member's close frame carried (RFC 6455 §5.5.1), as sent; under
    /// `--redact` its addresses and host names are named as in the connections' reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The words of the response that refused every member's upgrade (its body's first
    /// line, at most 80 bytes); `[redacted]` under `--redact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
    /// The fatal TLS alert (RFC 8446 §6) every member's ending side sent, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_alert: Option<String>,
    /// The peer's data messages the members' closes answered (each close came right after
    /// one, nothing between: `close-answers-message`'s reading), when more than half did,
    /// all of one kind and size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<Answered>,
}

/// The peer's messages a group's closes answered, one per member, all of one kind and size
/// ([`Stated::answered`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Answered {
    /// The side that sent the messages (the closer's peer).
    pub from: super::Role,
    /// Their opcode: "text" or "binary".
    pub opcode: String,
    /// Their payload bytes.
    pub size: u64,
    /// Members whose close answered such a message (more than half of them).
    pub closes: u64,
    /// The least milliseconds from a member's message to its close.
    pub after_ms_min: f64,
    /// The most.
    pub after_ms_max: f64,
    /// Milliseconds from the first of those messages to the last (one message sent to
    /// every session at once: a few).
    pub sent_within_ms: f64,
}
