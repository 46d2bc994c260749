//! What MQTT's packets said ended a session ([`Why`]): how the side that ended did so
//! ([`How`]), what a close before any CONNACK says of the refusal ([`Refusal`]), what
//! followed a silence the broker did not enforce ([`Then`]); and a session taken over by
//! another connection with its client id, which the connections show together.
//!
//! In: nothing of the project. Out: the typed verdict `app::mqtt` gives (its words:
//! `report::words::app::mqtt`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// What MQTT's packets say ended a session (its words: `report::words::app::mqtt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// Withheld: `side`'s byte stream is unknown from packet `from`.
    Unknown { side: Role, from: u64 },
    /// The broker refused CONNECT with CONNACK `code` (`name`, the specification's) at
    /// `packet`, with its Reason String if any.
    Refused {
        code: u8,
        name: String,
        packet: u64,
        reason_text: Option<String>,
    },
    /// `who` sent DISCONNECT with reason `code` (`name`) at `packet`, with its Reason
    /// String if any.
    Disconnect {
        who: Role,
        code: u8,
        name: String,
        packet: u64,
        reason_text: Option<String>,
    },
    /// The client's packet (`packet_name`) at `packet` was `size` bytes, over the Maximum
    /// Packet Size `max` the broker gave in CONNACK at `at`; the broker closed at
    /// `end_packet`.
    TooLarge {
        packet_name: String,
        size: u64,
        max: u32,
        at: u64,
        packet: u64,
        end_packet: u64,
    },
    /// The client's CONNECT at `at` (MQTT `level`, with credentials when `creds`) got no
    /// CONNACK; the broker closed at `end_packet` (with its close frame's code and reason,
    /// or else `how`); what that says of the refusal.
    NoConnack {
        level: Option<String>,
        creds: bool,
        at: u64,
        end_packet: u64,
        server_close: Option<(Option<u16>, String)>,
        how: How,
        refusal: Refusal,
    },
    /// The client's last packet was at `last`; the broker closed `quiet_ms` later at
    /// `end_packet` (`how`), past 1.5 × the keep alive `keep_ms` (the broker's Server Keep
    /// Alive when `server_keep_alive`).
    KeepAliveTimeout {
        last: u64,
        quiet_ms: u64,
        end_packet: u64,
        how: How,
        keep_ms: u64,
        server_keep_alive: bool,
        client_id: String,
    },
    /// The client's PINGREQ at `packet` got no PINGRESP; it closed `quiet_ms` later at
    /// `end_packet`.
    PingUnanswered {
        packet: u64,
        quiet_ms: u64,
        end_packet: u64,
    },
    /// The client sent nothing for `spell_ms` after packet `from`, past 1.5 × its keep
    /// alive `keep_ms`, and the broker (which accepted the session at `accepted`) did not
    /// close; what came `then`.
    NotEnforced {
        client_id: String,
        from: u64,
        spell_ms: u64,
        keep_ms: u64,
        server_keep_alive: bool,
        accepted: u64,
        then: Then,
    },
    /// The broker closed the session it had accepted at `accepted` at `end_packet` with no
    /// MQTT packet saying why (`v5`: although MQTT 5 has reason codes for it).
    NoReason {
        accepted: u64,
        end_packet: u64,
        v5: bool,
    },
    /// Connection `other_id`, with the same client id `client_id`, connected (its first
    /// packet `other_packet`) and the broker then closed this one at `end_packet`: a
    /// takeover (MQTT 3.1.1 §3.1.4, MQTT 5 §3.1.4-3), which only the connections together
    /// show (`diagnose::app`).
    TakenOver {
        other_id: u64,
        client_id: String,
        other_packet: u64,
        end_packet: u64,
    },
}

/// How the side that ended at a packet ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum How {
    /// With a close frame: its code (none: empty) and reason.
    Frame { code: Option<u16>, reason: String },
    /// With no close frame: the transport's ending, as a phrase ("a bare FIN").
    Transport(String),
    /// Not known at that packet.
    Unknown,
}

/// What a broker's close before any CONNACK says of the refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Close code 1011: the broker failed on the CONNECT (`v5`: an MQTT 5 CONNECT).
    Failed { v5: bool },
    /// Close code 1013: the broker was too busy.
    Busy,
    /// A reason naming a refused login, the CONNECT with credentials.
    Login,
    /// Nothing said why.
    Unsaid,
}

/// What followed a client's silence the broker did not enforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Then {
    /// The client's next packet at `next`; the client then ended at `end_packet` (`how`).
    NextThenEnded {
        next: u64,
        end_packet: u64,
        how: How,
    },
    /// The client's next packet at `next`; the connection open at the capture's end.
    NextThenOpen { next: u64 },
    /// The client ended at `end_packet` (`how`), with no DISCONNECT.
    Ended { end_packet: u64, how: How },
    /// Still open when the capture ended.
    Open,
}
