//! What the GraphQL-over-WebSocket messages said ended a session ([`Why`]): the close codes
//! graphql-transport-ws defines ([`CloseCode`]) and what the messages show beside one
//! ([`Context`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::graphql` gives (its words:
//! `report::words::app::graphql`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// The close codes `graphql-transport-ws` defines (its PROTOCOL.md), by the names it
/// gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CloseCode {
    /// 4400 Bad Request.
    BadRequest,
    /// 4401 Unauthorized.
    Unauthorized,
    /// 4403 Forbidden.
    Forbidden,
    /// 4406 Subprotocol not acceptable.
    SubprotocolNotAcceptable,
    /// 4408 Connection initialisation timeout.
    InitTimeout,
    /// 4409 Subscriber for an id already exists.
    SubscriberExists,
    /// 4429 Too many initialisation requests.
    TooManyInits,
    /// 4500 Internal Server Error.
    InternalError,
    /// 4499 Terminated (the client's own `terminate()`).
    Terminated,
    /// 4504 Connection acknowledgement timeout.
    AckTimeout,
}

impl CloseCode {
    /// The code's meaning, when the protocol defines it.
    pub fn of(code: u16) -> Option<CloseCode> {
        Some(match code {
            4400 => CloseCode::BadRequest,
            4401 => CloseCode::Unauthorized,
            4403 => CloseCode::Forbidden,
            4406 => CloseCode::SubprotocolNotAcceptable,
            4408 => CloseCode::InitTimeout,
            4409 => CloseCode::SubscriberExists,
            4429 => CloseCode::TooManyInits,
            4500 => CloseCode::InternalError,
            4499 => CloseCode::Terminated,
            4504 => CloseCode::AckTimeout,
            _ => return None,
        })
    }
}

/// What the GraphQL-over-WebSocket messages say ended a session (its words:
/// `report::words::app::graphql`). `modern`: the session agreed on graphql-transport-ws
/// (else the legacy graphql-ws).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The client offered `offer`, the response selected none, and the server closed 4406
    /// at `packet`.
    NotAcceptable {
        modern: bool,
        offer: String,
        packet: u64,
    },
    /// `who` sent a message of the other GraphQL protocol (its `kind`) at `packet`.
    Mismatch {
        modern: bool,
        who: Role,
        kind: String,
        packet: u64,
    },
    /// The server answered connection_init with connection_error `message` at `packet`.
    ConnectionError { message: String, packet: u64 },
    /// The client sent connection_terminate at `packet`.
    Terminate { packet: u64 },
    /// `who` closed with `code`, one graphql-transport-ws defines, at `packet`.
    Closed {
        who: Role,
        code: u16,
        meaning: CloseCode,
        packet: u64,
        context: Context,
    },
    /// `completes` complete messages (the last from `from` at `last`) ended every
    /// subscription; `who` then closed with 1000 at `packet`.
    Completed {
        completes: u32,
        from: Role,
        last: u64,
        who: Role,
        packet: u64,
    },
    /// The server's keep-alives (every `every_ms`) stopped after `last`; the client closed
    /// `quiet_ms` later at `end_packet`.
    KeepAliveMissed {
        every_ms: u64,
        last: u64,
        quiet_ms: u64,
        end_packet: u64,
    },
}

/// What the messages show beside a graphql-transport-ws close code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Context {
    /// 4408 and no connection_init sent.
    NoInit,
    /// 4408 although connection_init was sent at this packet.
    InitNotAcked(u64),
    /// 4409 after a subscribe with this running id at this packet.
    Duplicate(String, u64),
    /// 4429 after this many connection_init messages.
    Inits(u32),
    /// 4401 after a subscribe at this packet before any connection_ack.
    EarlySubscribe(u64),
    /// Nothing more.
    Nothing,
}
