//! The words of GraphQL over WebSocket's verdicts ([`Why`]): a subprotocol not
//! acceptable, the two protocols mixed, connection_error, connection_terminate, the close
//! codes graphql-transport-ws defines ([`CloseCode`]), a normal end, missed keep-alives.

use super::said::{ms, quote, Words};
use crate::vocab::said::graphql::{CloseCode, Context, Why};

/// The words of GraphQL's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::NotAcceptable {
            modern,
            offer,
            packet,
        } => {
            let legacy = if *modern {
                ""
            } else {
                " (graphql-ws is the legacy subscriptions-transport-ws protocol)"
            };
            Words::new(
                "subprotocol not acceptable",
                format!(
                    "the client offered Sec-WebSocket-Protocol {}{legacy} and the server's 101 selected none; the server then closed with 4406 (subprotocol not acceptable) at packet {packet}{}",
                    quote(offer),
                    if offer.contains("graphql-transport-ws") {
                        ""
                    } else {
                        ": it speaks graphql-transport-ws, which the client did not offer"
                    }
                ),
                "The client and server speak different GraphQL-over-WebSocket protocols: use a graphql-ws client (graphql-transport-ws) with this server, or enable the legacy graphql-ws protocol on the server.",
            )
        }
        Why::Mismatch {
            modern,
            who,
            kind,
            packet,
        } => {
            let (spoke, agreed) = if *modern {
                (
                    "the legacy graphql-ws (subscriptions-transport-ws)",
                    "graphql-transport-ws",
                )
            } else {
                (
                    "graphql-transport-ws (the graphql-ws library)",
                    "the legacy graphql-ws",
                )
            };
            Words::new(
                "protocol mismatch",
                format!("the handshake agreed on {agreed}, but the {who} sent {} at packet {packet}, a message of {spoke}", quote(kind)),
                "Use the same GraphQL-over-WebSocket protocol on both sides: graphql-ws clients with graphql-ws servers (graphql-transport-ws), subscriptions-transport-ws with subscriptions-transport-ws (graphql-ws).",
            )
        }
        Why::ConnectionError { message, packet } => Words::new(
            "connection error",
            format!("the server answered connection_init with connection_error {} at packet {packet}", quote(message)),
            "The server's onConnect refused the connection (often its credentials in connectionParams): fix what the message names.",
        ),
        Why::Terminate { packet } => Words::new(
            "connection terminate",
            format!("the client sent connection_terminate at packet {packet}"),
            "The client closed the connection on purpose (client.close()); nothing failed.",
        ),
        Why::Closed {
            who,
            code,
            meaning,
            packet,
            context,
        } => {
            let (name, fix) = close_code(*meaning);
            let context = match context {
                Context::NoInit => " and the client had sent no connection_init".to_string(),
                Context::InitNotAcked(i) => format!(" although the client sent connection_init at packet {i} (it was not acknowledged in time)"),
                Context::Duplicate(id, dp) => format!(" after the client subscribed again with the running id {} at packet {dp}", quote(id)),
                Context::Inits(n) => format!(" after {n} connection_init messages"),
                Context::EarlySubscribe(sp) => format!(" after a subscribe at packet {sp} before any connection_ack"),
                Context::Nothing => String::new(),
            };
            Words::new(
                name,
                format!("the {who} closed with {code} ({name}) at packet {packet}{context}"),
                fix,
            )
        }
        Why::Completed {
            completes,
            from,
            last,
            who,
            packet,
        } => Words::new(
            "completed",
            format!(
                "{completes} complete message{} (the last from the {from} at packet {last}) ended every subscription; the {who} then closed with 1000 at packet {packet}: a normal end",
                if *completes == 1 { "" } else { "s" }
            ),
            "",
        ),
        Why::KeepAliveMissed {
            every_ms,
            last,
            quiet_ms,
            end_packet,
        } => Words::new(
            "keep-alive missed",
            format!("the server's keep-alives (ka, every {}) stopped after packet {last}; the client closed {} later at packet {end_packet}", ms(*every_ms), ms(*quiet_ms)),
            "The server stopped sending ka: it was blocked or gone, or the path dropped; the client's timeout option (30 s by default in subscriptions-transport-ws) decides how long it waits.",
        ),
    }
}

/// What `graphql-transport-ws` calls a close code, with the fix.
fn close_code(code: CloseCode) -> (&'static str, &'static str) {
    match code {
        CloseCode::BadRequest => ("bad request", "One side sent a message the protocol does not allow (an unknown type, a missing id, invalid JSON): check both libraries' versions."),
        CloseCode::Unauthorized => ("unauthorized", "The client subscribed before the server acknowledged connection_init: wait for connection_ack."),
        CloseCode::Forbidden => ("forbidden", "The server's onConnect refused the connection_init (often its credentials in connectionParams)."),
        CloseCode::SubprotocolNotAcceptable => ("subprotocol not acceptable", "The client did not offer graphql-transport-ws: use a graphql-ws client, or a server that speaks the legacy protocol."),
        CloseCode::InitTimeout => ("connection initialisation timeout", "The client must send connection_init within the server's connectionInitWaitTimeout (3 s by default in graphql-ws): send it at once, or raise the timeout."),
        CloseCode::SubscriberExists => ("subscriber already exists", "The client reused the id of a subscription that is still running: give each subscribe a unique id."),
        CloseCode::TooManyInits => ("too many initialisation requests", "The client sent connection_init more than once on the same socket: send it once."),
        CloseCode::InternalError => ("internal error", "The server failed while handling a message: see its log at that time."),
        CloseCode::Terminated => ("terminated", "The client terminated the socket itself (client.terminate()): nothing failed on the wire."),
        CloseCode::AckTimeout => ("connection acknowledgement timeout", "The server did not answer connection_init within the client's connectionAckWaitTimeout: check the server's onConnect and its load."),
    }
}
