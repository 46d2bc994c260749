//! Causes in words: the one place where what happened is written as sentences.
//!
//! In: a status's [`Cause`]s, in the order [`rank`] gives them. Out: the status's detail
//! ([`detail`]: each cause's sentences, one after the other), its name and the catalog
//! texts its first cause picks ([`head`]), and its fix ([`fix`]: the first cause's, after
//! the hints of the causes that add one, the most specific first). Which function says a
//! kind, and its rank, hint and head, its declaration in `report/cause.rs` states (its
//! facets); the sentences of most kinds are in `cause.rs` (`plain`), the phrases they
//! share with the evidence and the live lines in `phrases.rs`; a proxy's legs, reload or
//! stop and the known timeouts a spell matches are worded in `proxy.rs`, heartbeats and
//! applications in `app.rs`, the path under a session in `delivery.rs`, a close reason's kind
//! in `reason.rs`, TLS's notes, why a TLS connection was not read and what to do in `tls.rs`,
//! a finding from what it found (`vocab::Found`) in `finding.rs`, and the parts of an
//! evidence line in `evidence.rs`.

use crate::close::catalog;
use crate::report::cause::{Cause, Eviction, Head};
use std::borrow::Cow;
use std::fmt::Write as _;

pub mod app;
mod cause;
mod delivery;
pub mod doubt;
pub mod evidence;
mod facets;
pub mod finding;
pub mod h2;
pub mod incident;
pub(crate) use cause::{incident_member, plain};
pub mod ending;
pub mod phrases;
pub mod points;
pub mod proxy;
pub mod reason;
pub mod stated;
pub mod tls;
pub mod trigger;
pub mod views;
pub use delivery::path_evidence;
pub(crate) use delivery::{path_hint, path_words};

/// Where a cause is said in the detail: the status's own cause first, then the quiet spell
/// before a 1006 and what the side that ended reacted to, a close frame that could not be
/// accepted, the reply (or the close that came too late), what TLS shows, the other frames
/// that ended an HTTP/2 stream, an RST after a FIN, what a proxy relayed, and last a note
/// on the proxy in front. Each kind's `rank` facet (`report/cause.rs`).
pub fn rank(c: &Cause) -> u8 {
    c.rank()
}

/// Whether `c` names what happened at the layer where it happened (the path, a proxy, the
/// handshake, TLS, a quiet spell of a timeout, a side's pings that stopped): then the
/// catalog's list of a code's typical sources ("Typical sources: an idle timeout on a
/// proxy …, a server process that crashed …") is not said beside it (issue 69 item 4);
/// causes that only say how the transport ended (no close frame, an RST) keep it. Each
/// kind's `names` facet.
pub fn names_what_happened(c: &Cause) -> bool {
    c.names_what_happened()
}

/// Whether `c` gives the connection's own cause: the reason's words name its kind
/// ([`Cause::ReasonWords`]), a side's last message says why ([`Cause::LastWords`]), the
/// side that ended did so right after the peer's message, unanswered
/// ([`Cause::UnansweredMessage`]: no quiet spell, so no idle timeout to list), the
/// application protocol or a heartbeat gave its verdict, an abrupt ending was read from
/// its evidence ([`Cause::AbruptEnding`], whose words rank what remains when the capture
/// cannot tell), or a close frame in the private
/// ranges (3000-4999) carries the application's own reason (`closed_own`). Then the
/// status's cause says that cause and its fix alone: the code's typical sources and other
/// protocols' codes ("graphql-ws uses … 4408 init timeout …") stay in `wsclose explain
/// CODE` and in a report's "what the statuses mean" (issues 68, 82 item 2, 83 item 5).
/// Each kind's `own` facet.
pub fn states_own_cause(c: &Cause) -> bool {
    c.states_own_cause()
}

/// The `own` facet of [`Cause::Closed`]: a code in the private ranges (3000-4999) with a
/// reason carries the application's own reason.
pub(crate) fn closed_own(c: &Cause) -> bool {
    let Cause::Closed { code, reason, .. } = c else {
        return false;
    };
    (3000..=4999).contains(code) && !reason.is_empty()
}

/// The detail of a status: its causes' sentences, in order, one space apart.
pub fn detail(causes: &[Cause]) -> String {
    // Room for a few sentences at once (written piece by piece, the text otherwise grows
    // through five or six reallocations), then only what it took is kept.
    let mut s = String::with_capacity(512);
    for c in causes {
        if !s.is_empty() {
            s.push(' ');
        }
        let _ = write!(s, "{c}");
    }
    s.shrink_to_fit();
    s
}

/// The fix of a status: `base` (its first cause's), after the hint of each cause that has
/// one, a later cause's hint before an earlier one's.
pub fn fix(base: Cow<'static, str>, causes: &[Cause]) -> Cow<'static, str> {
    // A hint may yield where the session's own cause is known (how the closing handshake
    // was cut short: that cause's fix stands alone).
    let known = causes
        .iter()
        .any(|c| states_own_cause(c) || names_what_happened(c));
    causes
        .iter()
        .filter_map(|c| c.hint(known))
        .fold(base, |fix, hint| {
            Cow::Owned(if fix.is_empty() {
                hint
            } else {
                format!("{hint} {fix}")
            })
        })
}

/// The head of a status with `causes` (in the order said): its first cause's, but where
/// one direction was captured and that side's close frame is on the wire, the close
/// frame's (its code is the status the other side saw).
pub fn head_of(causes: &[Cause]) -> Head {
    naming(causes).map_or_else(Head::default, head)
}

/// The cause of `causes` (in the order they are said) that gives the status its code, name
/// and fix: the first, or the close frame a one-way close names. What the status is
/// counted under (`ConnectionReport::status_kind`) is decided from it, not from its name.
pub fn naming(causes: &[Cause]) -> Option<&Cause> {
    match causes {
        [Cause::OneDirection {
            close_packet: Some(_),
            ..
        }, close @ (Cause::Closed { .. } | Cause::EmptyClose { .. }), ..] => Some(close),
        [first, ..] => Some(first),
        [] => None,
    }
}

/// The head a status's first cause gives it: its kind's `head` facet.
pub fn head(first: &Cause) -> Head {
    first.head()
}

/// The head of the causes that set a status's code, name or fix of their own (their `head`
/// facet; a kind whose facet is `Head::default()` leaves the status to the causes after it).
pub(crate) fn heads(first: &Cause) -> Head {
    let coded = |code: u16, inferred: bool| {
        let e = catalog::lookup(code);
        Head {
            code: Some(code),
            name: e.name.into(),
            inferred,
            general: e.causes,
            fix: e.fix.into(),
        }
    };
    let none = |name: &'static str, fix: Cow<'static, str>| Head {
        code: None,
        name: name.into(),
        inferred: false,
        general: "",
        fix,
    };
    match first {
        Cause::Closed { code, .. } => coded(*code, false),
        Cause::EmptyClose { .. } => coded(1005, true),
        Cause::CodeNotCaptured { .. } => none(UNKNOWN_TRUNCATED, FIX_FULL_SNAPLEN.into()),
        Cause::OneDirection { .. } => none(UNKNOWN_ONE_DIRECTION, FIX_BOTH_DIRECTIONS.into()),
        Cause::NoCloseFrame { .. }
        | Cause::CloseNotRead { .. }
        | Cause::CloseNotDelivered { .. } => coded(1006, true),
        Cause::AcceptMismatch { .. } => Head {
            fix: FIX_ACCEPT.into(),
            ..coded(1006, true)
        },
        Cause::HandshakeFault { fault, .. } => Head {
            fix: fault_fix(*fault).into(),
            ..coded(1006, true)
        },
        Cause::RelayedEnd { app, app_end, .. } => Head {
            fix: proxy::relayed_end_fix(*app, app_end).into(),
            ..coded(1006, true)
        },
        Cause::ProxyIdleTimeout {
            legs,
            proxy_product: Some(p),
        } => Head {
            fix: proxy::proxy_idle_named_fix(legs, p).into(),
            ..coded(1006, true)
        },
        Cause::ProxyIdleTimeout { legs, .. } | Cause::ProxyEndedBothLegs { legs } => Head {
            fix: proxy::proxy_fix(legs).into(),
            ..coded(1006, true)
        },
        Cause::TunnelIdleTimeout {
            legs,
            proxy_product,
        } => Head {
            fix: proxy::tunnel_idle_fix(legs, proxy_product.as_ref()).into(),
            ..coded(1006, true)
        },
        Cause::ProxyReloadOrStop { .. } => Head {
            fix: proxy::RELOAD_FIX.into(),
            ..coded(1006, true)
        },
        Cause::StillOpen { upgraded } | Cause::CaptureCut { upgraded } => none(
            if *upgraded { OPEN } else { OPEN_PENDING },
            if matches!(first, Cause::CaptureCut { .. }) {
                FIX_CUT.into()
            } else {
                FIX_CAPTURE_TO_CLOSE.into()
            },
        ),
        Cause::PacketsDropped { .. } => none(UNKNOWN_DROPPED, FIX_DROPS.into()),
        Cause::UpgradeRefused {
            http_status, body, ..
        } => none(
            UPGRADE_REFUSED,
            if body.is_some() {
                FIX_REFUSAL_BODY.into()
            } else {
                refusal(*http_status).1.into()
            },
        ),
        Cause::TunnelRefused {
            http_status,
            proxy_product,
            ..
        } => none(
            TUNNEL_REFUSED,
            proxy::tunnel_refusal(*http_status, proxy_product.as_ref())
                .1
                .into(),
        ),
        Cause::Evicted { why, .. } => match why {
            Eviction::MaxFlows => none(EVICTED_MAX_FLOWS, FIX_MAX_FLOWS.into()),
            Eviction::IdleTimeout => none(EVICTED_IDLE, FIX_IDLE_TIMEOUT.into()),
            Eviction::MaxMemory => none(EVICTED_MAX_MEMORY, FIX_MAX_MEMORY.into()),
        },
        _ => Head::default(),
    }
}

/// The advice of the causes whose `hint` facet is this function (an unanswered message,
/// the reason's words, pings that stopped, an idle timeout, a reload that sent close frames).
pub(crate) fn hints(c: &Cause) -> Option<String> {
    match c {
        Cause::UnansweredMessage { message, .. } => {
            let by = message.from.peer();
            Some(format!(
                "Read the {by}'s logs at the time of packet {}. If the message was over its size limit, raise the limit or have the {by} close with 1009 before dropping the connection; if its handler failed, catch the error and close with 1011; either way the {} then learns why instead of seeing 1006.",
                message.packet, message.from
            ))
        }
        Cause::ReasonWords { from, names, .. } => Some(reason::fix(
            names,
            from.as_str(),
            from.peer().as_str(),
        )),
        Cause::PingsStopped { from, message_bytes: Some(_), .. } => Some(format!("Look at the {from}'s side at the time of its last heartbeat: a stalled or killed process, a browser tab in the background (browsers slow the timers of hidden tabs), a device that slept or lost its network. If the {from} was only slow, make the {}'s heartbeat timeout longer than the {from}'s cadence can stretch, or let the {from} answer the {}'s pings (WebSocket pongs come from the library, not the application's timers).", from.peer(), from.peer())),
        Cause::PingsStopped { from, .. } => Some(format!("Look at the {from}'s side at the time of its last ping: a crash or kill, a device that slept or lost its network, a NAT or firewall on the way that dropped the flow. The {} should not wait for TCP to notice: ping the {from} itself, or close it after a few of its pings are missing.", from.peer())),
        Cause::IdleTimeout { .. } => Some(
            "Keep the connection busy: send a ping (or an application heartbeat) well inside the timeout, for example every 20-30 s, or raise the proxy's idle timeout.".into(),
        ),
        // A reload that ended the session with close frames: the status is the frame's
        // code, and this is the fix.
        Cause::ProxyReloadOrStop {
            close_frames: true, ..
        } => Some(proxy::RELOAD_FIX.into()),
        _ => None,
    }
}

/// Status texts that come from neither the catalog nor the capture (a stored status refers
/// to them by their index in [`FIXED`]).
pub const UPGRADE_REFUSED: &str = "Upgrade refused";
/// A CONNECT the forward proxy refused.
pub const TUNNEL_REFUSED: &str = "Tunnel refused";
/// A connection still open at the end of the capture.
pub const OPEN: &str = "Open";
/// Still open, its upgrade never answered.
pub const OPEN_PENDING: &str = "Open (handshake pending)";
/// A close frame whose code bytes are not in the capture.
pub const UNKNOWN_TRUNCATED: &str = "Unknown (close frame truncated)";
/// The status name of a connection of which the capture holds one direction only.
pub const UNKNOWN_ONE_DIRECTION: &str = "Unknown (one direction captured)";
const FIX_BOTH_DIRECTIONS: &str = "Capture both directions: on the host of either end, without a filter on one address or port's source or destination (tcpdump 'tcp port 443', not 'src port 443'), or from a tap or SPAN port that copies both.";
/// Still open at the end of a capture that dropped packets: its end may be in them.
pub const UNKNOWN_DROPPED: &str = "Unknown (packets dropped)";
const FIX_DROPS: &str = "Capture without drops: a larger buffer (`tcpdump -B`, `wsclose live --buffer-size`), a narrower filter, a less busy machine; or capture until the connection closes.";
const FIX_REFUSAL_BODY: &str = "Change the request as the server's reason in the response's body asks (a subprotocol it speaks in Sec-WebSocket-Protocol, credentials, an Origin it allows, a path); the client's library usually reports only the status, so log the body there too.";
/// What a 101 got wrong, as a clause: "has no `Upgrade: websocket`".
pub fn fault_words(fault: crate::vocab::ResponseFault) -> &'static str {
    use crate::vocab::ResponseFault as F;
    match fault {
        F::UpgradeNotWebsocket => "has no \"Upgrade: websocket\" header",
        F::ConnectionNotUpgrade => "has no Connection header listing \"Upgrade\"",
        F::ExtensionNotOffered => {
            "names in Sec-WebSocket-Extensions an extension the client did not offer"
        }
        F::ProtocolNotOffered => {
            "names in Sec-WebSocket-Protocol a subprotocol the client did not offer"
        }
    }
}

/// The fix of a 101 that got `fault` wrong.
fn fault_fix(fault: crate::vocab::ResponseFault) -> &'static str {
    use crate::vocab::ResponseFault as F;
    match fault {
        F::UpgradeNotWebsocket | F::ConnectionNotUpgrade => "Make whatever answers the upgrade send \"Upgrade: websocket\" and \"Connection: Upgrade\" with its 101 (RFC 6455 §4.2.2). A hand-written handshake, or a proxy that drops or rewrites hop-by-hop headers (Connection and Upgrade are hop-by-hop: a proxy must set them again on its own 101), are the usual culprits; compare the 101 with the request in the capture.",
        F::ExtensionNotOffered => "Make the server agree only to extensions the request offered in Sec-WebSocket-Extensions (RFC 6455 §9.1): a server configured to always compress (permessage-deflate), or a proxy that rewrote the request's extensions, are the usual culprits; or let the client offer the extension.",
        F::ProtocolNotOffered => "Make the server answer with a subprotocol the request offered in Sec-WebSocket-Protocol, or with none when the request offered none (RFC 6455 §4.2.2); or have the client offer the subprotocol the server speaks.",
    }
}

/// The fix of a 101 whose Sec-WebSocket-Accept the client could not take.
const FIX_ACCEPT: &str = "Make whatever answers the upgrade compute Sec-WebSocket-Accept from this request's Sec-WebSocket-Key: base64 of the SHA-1 of the key followed by 258EAFA5-E914-47DA-95CA-C5AB0DC85B11 (RFC 6455 §4.2.2). A hand-written handshake, a key a proxy rewrote or a response cached and replayed by a proxy or CDN are the usual culprits; compare the two headers in the capture.";
const FIX_CAPTURE_TO_CLOSE: &str =
    "Capture until the connection closes (or reproduce the close while capturing).";
const FIX_FULL_SNAPLEN: &str =
    "Capture with a full snaplen (tcpdump -s 0) and without drops to see the code.";

/// The [`Status`](super::Status) texts a stored status names by their index here.
pub static FIXED: [&str; 11] = [
    "",
    UPGRADE_REFUSED,
    OPEN,
    OPEN_PENDING,
    UNKNOWN_TRUNCATED,
    FIX_CAPTURE_TO_CLOSE,
    FIX_FULL_SNAPLEN,
    FIX_REFUSAL_BODY,
    TUNNEL_REFUSED,
    UNKNOWN_DROPPED,
    FIX_DROPS,
];

/// The status name of an evicted connection that was still open, over `--max-flows`.
pub const EVICTED_MAX_FLOWS: &str = "Evicted (flow cap)";
/// The status name of a connection evicted for being idle longer than `--idle-timeout`.
pub const EVICTED_IDLE: &str = "Evicted (idle timeout)";
/// The status name of a connection evicted to keep within `--max-memory`.
pub const EVICTED_MAX_MEMORY: &str = "Evicted (memory budget)";
const FIX_MAX_MEMORY: &str = "Run again with a larger --max-memory to follow every connection to its end (the state of the connections open at once, their out-of-order bytes above all, reached it).";
const FIX_MAX_FLOWS: &str = "Run again with a larger --max-flows to follow every connection to its end (each one costs memory only while it is open).";
const FIX_IDLE_TIMEOUT: &str = "If the connection was only quiet (long-lived with rare messages and no pings), run again with a larger --idle-timeout.";
const FIX_CUT: &str = "Get the whole capture file (re-copy or re-download it; check that tcpdump was stopped cleanly), or capture again until the connection closes.";

/// The likely cause and fix of an HTTP status that refused an upgrade.
pub fn refusal(code: u16) -> (&'static str, &'static str) {
    match code {
        400 => (
            "400 usually means the request's upgrade headers were missing or wrong (Sec-WebSocket-Key, Sec-WebSocket-Version, Connection: Upgrade), often stripped by a proxy.",
            "Compare the request headers with RFC 6455 §4.1; if a proxy sits in between, make it forward Upgrade and Connection (nginx: proxy_http_version 1.1 and proxy_set_header Upgrade/Connection).",
        ),
        401 | 403 => (
            "401/403 mean the server refused the client: missing or expired credentials, or an Origin it does not allow.",
            "Send the credentials the endpoint expects (cookie, token in the query or header) and check the server's allowed Origins.",
        ),
        404 => (
            "404 means nothing serves WebSockets at that path on that host.",
            "Check the URL path and the server's route, and any path rewriting in a proxy.",
        ),
        426 => (
            "426 means the server wants another protocol version (often Sec-WebSocket-Version 13).",
            "Send Sec-WebSocket-Version: 13; read the server's Sec-WebSocket-Version header for what it accepts.",
        ),
        429 | 503 => (
            "429/503 mean the server or a proxy is overloaded or rate-limiting connections.",
            "Reconnect with exponential backoff and jitter; check rate limits and server capacity.",
        ),
        200 => (
            "200 means the server (or a proxy) treated the upgrade as a plain HTTP request: WebSocket support is off there, or a proxy dropped the Upgrade header.",
            "Enable WebSocket support on that route, and make proxies forward Upgrade and Connection.",
        ),
        300..=399 => (
            "A redirect: WebSocket clients do not follow redirects on the upgrade.",
            "Connect to the final URL directly (often ws:// → wss:// or a trailing slash).",
        ),
        500..=599 => (
            "A 5xx means the server or a gateway failed while handling the upgrade.",
            "Read the server's (or gateway's) error log for the time of the request.",
        ),
        _ => (
            "The status says why the server declined.",
            "Read the HTTP response body and headers in the capture for the server's reason.",
        ),
    }
}
