//! Causes in words: the one place where what happened is written as sentences.
//!
//! In: a status's [`Cause`]s, in the order [`rank`] gives them. Out: the status's detail
//! ([`detail`]: each cause's sentences, one after the other), its name and the catalog
//! texts its first cause picks ([`head`]), and its fix ([`fix`]: the first cause's, after
//! the hints of the causes that add one, the most specific first). The phrases the
//! evidence and the live lines share (an ending, a span of time, a message) are here too;
//! a proxy's reload or stop and the known timeouts a spell matches are worded in
//! `proxy.rs`, heartbeats and applications in `app.rs`, the path under a session in
//! `path.rs`, a close reason's kind in `reason.rs`; the match arms here call them.

use crate::close::timeouts::{self, Kind};
use crate::close::{catalog, problem_names};
use crate::flow::Role;
use crate::report::cause::{
    BothLegs, Cause, End, EndHow, Ending, Eviction, Head, LegEnding, PeerSent, PeerSentWhat, Relay,
    RelayHow,
};
use crate::stack::tcp::connection::EndKind;
pub use crate::units::{article, Ms, Secs, AN_LETTERS};
use crate::websocket::session::StreamEndKind;
use crate::websocket::unanswered::Unanswered;
use std::borrow::Cow;
use std::fmt::{self, Display, Formatter, Write as _};

pub mod app;
mod path;
pub mod proxy;
pub mod reason;
pub use path::path_evidence;
use path::{path_hint, path_words};

/// Where a cause is said in the detail: the status's own cause first, then the quiet spell
/// before a 1006 and what the side that ended reacted to, a close frame that could not be
/// accepted, the reply (or the close that came too late), what TLS shows, the other frames
/// that ended an HTTP/2 stream, an RST after a FIN, what a proxy relayed, and last a note
/// on the proxy in front.
pub fn rank(c: &Cause) -> u8 {
    match c {
        Cause::Closed { .. }
        | Cause::EmptyClose { .. }
        | Cause::CodeNotCaptured { .. }
        | Cause::NoCloseFrame { .. }
        | Cause::StillOpen { .. }
        | Cause::UpgradeRefused { .. }
        | Cause::TunnelRefused { .. }
        | Cause::Evicted { .. }
        | Cause::CaptureCut { .. }
        | Cause::OneDirection { .. }
        | Cause::PacketsDropped { .. }
        | Cause::ProxyIdleTimeout { .. }
        | Cause::ProxyEndedBothLegs { .. }
        | Cause::TunnelIdleTimeout { .. }
        | Cause::ProxyReloadOrStop { .. }
        | Cause::RelayedEnd { .. }
        | Cause::CloseNotRead { .. }
        | Cause::CloseNotDelivered { .. } => 0,
        Cause::Unacknowledged { .. }
        | Cause::ForeignReset { .. }
        | Cause::WindowClosed { .. }
        | Cause::StoppedReading { .. }
        | Cause::MtuBlackHole { .. }
        | Cause::GatewayIdleClose { .. } => 1,
        Cause::QuietSpell { .. } | Cause::UnansweredMessage { .. } => 1,
        Cause::ReasonWords { .. } => 1,
        Cause::IdleTimeout { .. } => 2,
        Cause::InvalidCloseFrame { .. } => 3,
        Cause::CloseReply { .. }
        | Cause::NoCloseReply { .. }
        | Cause::CloseReplyNotCaptured { .. }
        | Cause::LateCloseFrame { .. } => 4,
        Cause::TlsFatalAlert { .. }
        | Cause::TlsCloseNotifyFirst { .. }
        | Cause::TlsClosedCleanly { .. }
        | Cause::TlsNotClosed { .. } => 5,
        Cause::StreamEndings { .. } => 6,
        Cause::RstAfterFin { .. } | Cause::GatewayFrames { .. } => 7,
        Cause::RelayedClose { .. } => 8,
        Cause::BehindTlsProxy { .. } => 9,
        Cause::HeartbeatTimeout { .. } | Cause::Application { .. } | Cause::PingsStopped { .. } => {
            app::rank(c)
        }
    }
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
    causes
        .iter()
        .filter_map(hint)
        .fold(base, |fix, hint| Cow::Owned(format!("{hint} {fix}")))
}

/// The head a status's first cause gives it.
pub fn head(first: &Cause) -> Head {
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
        Cause::RelayedEnd { app, app_end, .. } => Head {
            fix: relayed_end_fix(*app, app_end).into(),
            ..coded(1006, true)
        },
        Cause::ProxyIdleTimeout { legs } | Cause::ProxyEndedBothLegs { legs } => Head {
            fix: proxy_fix(legs).into(),
            ..coded(1006, true)
        },
        Cause::TunnelIdleTimeout { legs } => Head {
            fix: proxy::tunnel_idle_fix(legs).into(),
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
        Cause::TunnelRefused { http_status, .. } => {
            none(TUNNEL_REFUSED, proxy::tunnel_refusal(*http_status).1.into())
        }
        Cause::Evicted { why, .. } => match why {
            Eviction::MaxFlows => none(EVICTED_MAX_FLOWS, FIX_MAX_FLOWS.into()),
            Eviction::IdleTimeout => none(EVICTED_IDLE, FIX_IDLE_TIMEOUT.into()),
            Eviction::MaxMemory => none(EVICTED_MAX_MEMORY, FIX_MAX_MEMORY.into()),
        },
        _ => Head::default(),
    }
}

/// The advice a cause adds before the fix, if any.
fn hint(c: &Cause) -> Option<String> {
    match c {
        Cause::UnansweredMessage { message, .. } => {
            let by = message.from.peer();
            Some(format!(
                "Read the {by}'s logs at the time of packet {}. If the message was over its size limit, raise the limit or have the {by} close with 1009 before dropping the connection; if its handler failed, catch the error and close with 1011; either way the {} then learns why instead of seeing 1006.",
                message.packet, message.from
            ))
        }
        Cause::Unacknowledged { .. }
        | Cause::ForeignReset { .. }
        | Cause::WindowClosed { .. }
        | Cause::StoppedReading { .. }
        | Cause::MtuBlackHole { .. } => Some(path_hint(c)),
        Cause::GatewayIdleClose { .. } => Some(proxy::GATEWAY_IDLE_FIX.into()),
        Cause::ReasonWords { from, names, .. } => Some(reason::fix(
            names,
            from.as_str(),
            from.peer().as_str(),
        )),
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

/// The words of one cause (without a space before or after).
impl Display for Cause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Closed {
                from,
                code,
                reason,
                packet,
            } => {
                // The most common sentences, in pieces rather than through `write!` (a few
                // percent of a report of many short connections).
                let mut n = itoa::Buffer::new();
                words(f, &["The ", from.as_str(), " closed with ", n.format(*code)])?;
                words(f, &[" (", catalog::lookup(*code).name, ")"])?;
                Quoted(reason).fmt(f)?;
                words(f, &[" at packet ", n.format(*packet), "."])
            }
            Cause::EmptyClose { from, packet } => write!(
                f,
                "The {from} sent a close frame with no status code (packet {packet}), so the {}'s application sees 1005.",
                from.peer()
            ),
            Cause::ReasonWords {
                from,
                names,
                reason,
                ..
            } => {
                let said = reason::meaning(names, from.as_str(), from.peer().as_str());
                f.write_str("Its reason's words,")?;
                Quoted(reason).fmt(f)?;
                write!(f, ", name {said}.")
            }
            Cause::OneDirection { seen } => write!(
                f,
                "Only the {seen}'s packets are in the capture (a capture filter on one direction, or a SPAN or tap port that copies one): what the {} sent, whether its close frame came first, and the status the {seen}'s application saw are unknown from here; what the {seen} sent follows.",
                seen.peer()
            ),
            Cause::CodeNotCaptured { from, packet } => write!(
                f,
                "The {from} sent a close frame (packet {packet}) but its status code is not in the capture (bytes missing); no code is guessed."
            ),
            Cause::NoCloseFrame {
                end,
                bytes_missing,
                invalid_close,
            } => {
                let valid = if *invalid_close { "valid " } else { "" };
                let end = EndPhrase(end);
                if *bytes_missing {
                    write!(f, "No {valid}close frame was seen before {end}, as far as the capture shows: part of the stream is missing from it (see the gap findings), so one may have been sent and lost; without it both applications see 1006.")
                } else {
                    write!(f, "No {valid}close frame was sent before {end}; both applications see 1006.")
                }
            }
            Cause::StillOpen { upgraded } => f.write_str(if *upgraded {
                "The connection was still open when the capture ended: no close frame, FIN or RST was captured."
            } else {
                "The upgrade request was captured but no reply, close frame, FIN or RST followed before the capture ended."
            }),
            Cause::UpgradeRefused { http_status, h2, body } => {
                let code = *http_status;
                if *h2 {
                    write!(f, "The server answered the extended CONNECT (RFC 8441) with :status {code} instead of a 2xx")?;
                } else {
                    write!(f, "The server answered the WebSocket upgrade with HTTP {code} instead of 101")?;
                }
                f.write_str(", so no WebSocket connection was opened and no close code applies (a browser reports it as a failed connection, often with close code 1006). ")?;
                match body {
                    // The server said why: its words, not a guess from the code.
                    Some(b) => write!(f, "The response's body gives the server's reason: \"{b}\"."),
                    None => f.write_str(refusal(code).0),
                }
            }
            Cause::TunnelRefused {
                http_status,
                packet,
            } => write!(f, "The forward proxy answered the client's CONNECT with HTTP {http_status} (packet {packet}) instead of a 2xx, so no tunnel was opened and no WebSocket with it: no close code applies (the client's library reports a proxy error, not a close). {}", proxy::tunnel_refusal(*http_status).0),
            Cause::Evicted {
                why,
                last_packet,
                limit,
            } => match why {
                Eviction::MaxFlows => write!(f, "wsclose stopped following this connection after packet {last_packet}: more than --max-flows ({limit}) TCP connections were open at once, and it was the least recently active. How it ended is not in this report (packets after that on the same addresses and ports start another connection); no close code is guessed."),
                Eviction::IdleTimeout => write!(f, "No packet of this connection came for more than --idle-timeout ({limit} s of capture time) after packet {last_packet}, so wsclose finished it there. How it ended is not in this report (packets after that on the same addresses and ports start another connection); no close code is guessed."),
                Eviction::MaxMemory => write!(f, "wsclose stopped following this connection after packet {last_packet}: the state of the TCP connections open at once reached --max-memory ({} MiB), and it was among the least recently active. How it ended is not in this report (packets after that on the same addresses and ports start another connection); no close code is guessed.", limit >> 20),
            },
            Cause::PacketsDropped { dropped, .. } => write!(f, "The capture dropped {dropped} packet{} (see the input's warning) and this connection was still open at its end: whatever ended it may be among them, so no close code is guessed.", if *dropped == 1 { "" } else { "s" }),
            Cause::CaptureCut { .. } => f.write_str("The capture file stops early (it is truncated or damaged; see the input's warning), so whatever ended this connection is not in it; no close code is guessed."),
            Cause::ProxyIdleTimeout { legs } | Cause::ProxyEndedBothLegs { legs } => {
                write!(f, "{}", ProxyEnded(legs))?;
                match whole_seconds(legs.quiet_ms / 1000.0) {
                    Some(n) => {
                        write!(f, " A proxy that drops both sides at once after a quiet spell is the signature of an idle timeout of that length ({n} s): nginx proxy_read_timeout / proxy_send_timeout, HAProxy timeout tunnel, Varnish pipe_timeout (a WebSocket it pipes), an AWS ALB idle timeout.")?;
                        let known = timeouts::matching(Kind::Idle, legs.quiet_ms / 1000.0);
                        if known.is_empty() {
                            Ok(())
                        } else {
                            write!(f, " It matches the default of {}.", proxy::matched(&known))
                        }
                    }
                    None => write!(f, " A proxy drops both sides at once when its idle timeout expires, but {} is not a whole number of seconds, as configured timeouts usually are: either the timeout is set that short (nginx proxy_read_timeout, HAProxy timeout tunnel and load balancers take milliseconds too), or the proxy was stopped, reloaded or restarted at that moment (nginx -s stop, an HAProxy hard stop, a deploy); the proxy's logs for that moment say which.", Secs(legs.quiet_ms / 1000.0)),
                }
            }
            Cause::ProxyReloadOrStop {
                legs,
                close_frames,
                apart_ms,
            } => proxy::reload(f, legs, *close_frames, *apart_ms),
            Cause::TunnelIdleTimeout { legs } => proxy::tunnel_idle(f, legs),
            Cause::RelayedEnd {
                app,
                app_leg,
                app_end,
                proxy_end,
                other_leg,
                delay_ms,
                close_notify,
            } => {
                let (who, peer) = leg_names(*app);
                let clean = close_notify
                    .map(|n| format!("a TLS close_notify (packet {n}), then "))
                    .unwrap_or_default();
                write!(
                    f,
                    "The {who} ended its leg (connection {app_leg}) with {} and no close frame; the proxy passed that on {} later, closing the {peer}'s leg (connection {other_leg}) with {clean}{}. Neither application sent a close frame, so both see 1006; the proxy only relayed the end.",
                    LegEnd(app_end),
                    Ms(*delay_ms),
                    LegEnd(proxy_end)
                )?;
                if close_notify.is_some() {
                    write!(f, " The proxy ended the TLS of the {peer}'s leg in order, as a TLS terminator (stunnel, a load balancer) does whatever ended its other side: a clean close_notify there says nothing of how the {who} ended.")?;
                }
                if *app == Role::Server {
                    f.write_str(" A backend that drops its connections without a close frame crashed, was killed (SIGKILL, the OOM killer) or restarted.")?;
                }
                Ok(())
            }
            Cause::QuietSpell {
                seconds,
                end,
                last_frame_packet,
                last_ping_packet,
                last_pong_packet,
            } => {
                match last_frame_packet {
                    Some(p) => write!(
                        f,
                        "The last WebSocket frame was at packet {p}, {} before {}",
                        Secs(*seconds),
                        Ended(&end.how)
                    )?,
                    None => write!(
                        f,
                        "No WebSocket frame was seen; {} {} after the handshake",
                        Ended(&end.how),
                        Secs(*seconds)
                    )?,
                }
                write!(f, "{}", PingPong(*last_ping_packet, *last_pong_packet))
            }
            Cause::UnansweredMessage {
                seconds,
                end,
                message,
                last_ping_packet,
                last_pong_packet,
            } => {
                let u = Unanswered {
                    from: message.from,
                    opcode: message.opcode.0,
                    size: message.size,
                    packet: message.packet,
                };
                let by = message.from.peer();
                write!(
                    f,
                    "The last WebSocket frame was {}, {} before the {by} {} with no frame in reply{}",
                    u.phrase(),
                    Secs(*seconds),
                    Did(&end.how),
                    PingPong(*last_ping_packet, *last_pong_packet)
                )?;
                write!(f, " The {by} reacted to that message: an endpoint that drops the connection right after one usually failed on it (a message over its size limit dropped without a 1009 close frame, a handler that raised, a message it could not parse), or its application chose to leave without closing; the {by}'s logs for that moment say which.")
            }
            Cause::IdleTimeout {
                seconds,
                ended_by,
                matches,
                lasted_s,
            } => {
                // Without the proxy's other leg in the capture, the side that ended TCP may
                // be a proxy as well as the application: say so rather than assert either.
                let peer = match ended_by {
                    Role::Client => "the peer (a proxy or the client)",
                    Role::Server => "the peer (a proxy or the server)",
                };
                let of = |kind: Kind| -> Vec<_> {
                    matches
                        .iter()
                        .filter_map(|id| timeouts::by_id(id))
                        .filter(|t| t.kind == kind)
                        .collect()
                };
                let (idle, life) = (of(Kind::Idle), of(Kind::Lifetime));
                if !idle.is_empty() {
                    write!(
                        f,
                        "That quiet spell ({}) matches the default of {}: {peer} may have closed the idle connection on such a timeout.",
                        Secs(*seconds),
                        proxy::matched(&idle)
                    )?;
                }
                if !life.is_empty() {
                    let sp = if idle.is_empty() { "" } else { " " };
                    write!(
                        f,
                        "{sp}The connection lasted {}, which matches {}: {peer} may have ended it at that limit, busy or not.",
                        Secs(*lasted_s),
                        proxy::matched(&life)
                    )?;
                }
                Ok(())
            }
            Cause::InvalidCloseFrame {
                from,
                packet,
                problems,
            } => write!(
                f,
                "The {from}'s close frame at packet {packet} was not a valid close ({}), so the {} could not accept it.",
                problem_names(problems),
                from.peer()
            ),
            Cause::CloseReply {
                from,
                code: Some(code),
                reason,
                packet,
            } => {
                let mut n = itoa::Buffer::new();
                words(f, &["The ", from.as_str(), " replied ", n.format(*code)])?;
                Quoted(reason).fmt(f)?;
                words(f, &[" (packet ", n.format(*packet), ")."])
            }
            Cause::CloseReply {
                from,
                code: None,
                packet,
                ..
            } => write!(
                f,
                "The {from} replied with an empty close frame (packet {packet})."
            ),
            Cause::NoCloseReply { from } => {
                words(f, &["The ", from.as_str(), " sent no close frame in reply."])
            }
            Cause::CloseReplyNotCaptured { from, gap_packet } => {
                let at = gap_packet
                    .map(|p| format!(" found at packet {p}"))
                    .unwrap_or_default();
                write!(f, "Whether the {from} replied is not in the capture: its frames stop at the gap{at} (see the gap findings), so its close frame may be among the missing bytes.")
            }
            Cause::LateCloseFrame { from, packet } => write!(
                f,
                "A close frame from the {from} came only later (packet {packet})."
            ),
            Cause::TlsFatalAlert {
                from,
                alert,
                packet,
            } => write!(
                f,
                "Over TLS, the {from} sent a fatal alert, {alert} (packet {packet}): TLS ended there, and a browser's WebSocket reports 1006 for it."
            ),
            Cause::TlsCloseNotifyFirst {
                by,
                packet,
                answered,
            } => {
                let then = match answered {
                    Some(t) => format!(
                        "; the {} answered by ending TCP ({}, packet {}), before the {by} did",
                        t.by,
                        kind_name(t.kind),
                        t.packet
                    ),
                    None => String::new(),
                };
                write!(f, "Over TLS, the {by} closed TLS cleanly (close_notify at packet {packet}) before ending TCP{then}: the {by}'s side shut the connection on purpose, only without a WebSocket close frame.")
            }
            Cause::TlsClosedCleanly { by, packet } => write!(
                f,
                "Over TLS, the {by} closed TLS cleanly (close_notify at packet {packet}) before ending TCP: its side shut the connection on purpose, only without a WebSocket close frame."
            ),
            Cause::TlsNotClosed { by } => write!(
                f,
                "Over TLS, the {by} ended TCP with no close_notify before it: TLS was not closed cleanly either (a process that exited or was killed, a proxy or load balancer dropping the connection, or a TLS stack or application that skips it, such as a tokio-rustls stream dropped without shutdown())."
            ),
            Cause::StreamEndings { stream, endings } => {
                write!(f, "On {}.", StreamFrames(*stream, endings))
            }
            Cause::RstAfterFin {
                by,
                fin_packet,
                rst_packet,
                after,
            } => {
                write!(f, "After its FIN (packet {fin_packet}), the {by} also reset TCP (RST, packet {rst_packet})")?;
                if let Some(a) = after {
                    write!(
                        f,
                        ", {} after {}, which came after that FIN",
                        Secs(a.seconds),
                        Sent(by.peer(), a)
                    )?;
                }
                write!(f, ": a kernel answers with an RST data that reaches a socket its application has closed (or closes with data unread), so by then the {by}'s application had closed its socket, not only shut it for sending, and read nothing more.")
            }
            Cause::RelayedClose { relays } => {
                f.write_str("Through the proxy: ")?;
                for (i, r) in relays.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{r}")?;
                }
                f.write_str(".")
            }
            Cause::HeartbeatTimeout { .. }
            | Cause::Application { .. }
            | Cause::PingsStopped { .. } => app::words(self, f),
            Cause::CloseNotRead { .. }
            | Cause::CloseNotDelivered { .. }
            | Cause::Unacknowledged { .. }
            | Cause::ForeignReset { .. }
            | Cause::WindowClosed { .. }
            | Cause::StoppedReading { .. }
            | Cause::MtuBlackHole { .. } => path_words(self, f),
            Cause::GatewayIdleClose { .. } => proxy::gateway_idle(self, f),
            Cause::GatewayFrames { .. } => proxy::gateway_frames(self, f),
            Cause::BehindTlsProxy { candidates } => {
                let which = if *candidates == 1 {
                    "the server of a TLS connection of this capture that was not decrypted (under \"Encrypted connections\"): this is most likely the back leg of a session through a TLS-terminating proxy, its client the proxy, and that connection the client's leg"
                } else {
                    "the server of TLS connections of this capture that were not decrypted (under \"Encrypted connections\"): this is most likely the back leg of a session through a TLS-terminating proxy, its client the proxy, and one of those connections the client's leg"
                };
                write!(f, "Its Host header names {which}; with the client's key log (--keylog) it would be read and the two legs linked.")
            }
        }
    }
}

/// The fix of a session whose proxy ended both legs.
fn proxy_fix(legs: &BothLegs) -> String {
    let secs = legs.quiet_ms / 1000.0;
    match whole_seconds(secs) {
        Some(n) => format!(
            "Keep the session busy for the proxy: send a ping (or an application heartbeat) from either end well inside {n} s (every {} s, say; a proxy counts any frame as activity), or raise the proxy's idle timeout (nginx proxy_read_timeout, HAProxy timeout tunnel, the load balancer's idle timeout) above the longest quiet spell the application needs. Clients should reconnect with backoff.",
            proxy::heartbeat(secs)
        ),
        None => "If the proxy's idle timeout is that short, send pings (or application heartbeats) more often or raise it (nginx proxy_read_timeout, HAProxy timeout tunnel); if the proxy was stopped or restarted, drain it gracefully (nginx -s quit with worker_shutdown_timeout, HAProxy hard-stop-after, a load balancer's deregistration delay) and have clients reconnect with backoff.".to_string(),
    }
}

/// The fix of a session one application ended, the proxy relaying it.
fn relayed_end_fix(app: Role, app_end: &LegEnding) -> String {
    if app == Role::Server {
        format!("Read the backend's logs (and the system's: OOM killer, restarts) at the time of packet {}. On shutdown have it close its WebSockets with 1001, and with 1011 on errors, so that the proxy relays a code instead of a bare end. Clients should reconnect with backoff.", app_end.packet)
    } else {
        "The client left without a close frame (a closed tab, a killed process, a lost network): have it close with 1000 or 1001 when it can; the backend should treat a bare end as a normal disconnect.".to_string()
    }
}

/// The first sentence of the proxy's ending of both legs.
struct ProxyEnded<'a>(&'a BothLegs);

impl Display for ProxyEnded<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let l = self.0;
        let last = match l.last_frame_packet {
            Some(p) => format!("the last frame on either leg was packet {p}"),
            None => "no frame was sent on either leg".to_string(),
        };
        write!(
            f,
            "The proxy ended both legs of this session with no close frame from either application: it closed the client's leg (connection {}) with {} and the backend's leg (connection {}) with {}, after {:.0} ms of quiet on both legs ({last}); both applications see 1006.",
            l.front,
            LegEnd(&l.front_end),
            l.back,
            LegEnd(&l.back_end),
            l.quiet_ms
        )
    }
}

/// The evidence's line for a proxy that ended both legs.
pub fn proxy_summary(l: &BothLegs) -> String {
    let ends = format!(
        "the proxy closed both legs: {} to the client (connection {}, packet {}), {} to the backend (connection {}, packet {}), after {:.0} ms of quiet on both legs",
        l.front_end.name, l.front, l.front_end.packet, l.back_end.name, l.back, l.back_end.packet, l.quiet_ms,
    );
    match whole_seconds(l.quiet_ms / 1000.0) {
        Some(n) => format!("{ends}: an idle timeout of {n} s"),
        None => format!("{ends}: an idle timeout that short, or the proxy stopped or restarted"),
    }
}

/// The evidence's line for an application's end relayed by the proxy.
pub fn relayed_end_summary(
    app: Role,
    app_leg: u64,
    app_end: &LegEnding,
    proxy_end: &LegEnding,
    other_leg: u64,
    delay_ms: f64,
) -> String {
    let (who, peer) = leg_names(app);
    format!(
        "the {who} ended its leg (connection {app_leg}) with {} and no close frame; the proxy relayed it {} later to the {peer}'s leg (connection {other_leg}) with {}",
        LegEnd(app_end),
        Ms(delay_ms),
        LegEnd(proxy_end)
    )
}

/// The application of a proxied session's leg where `role` is, and the one on the other
/// leg: ("backend", "client") for a server.
fn leg_names(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Server => ("backend", "client"),
        Role::Client => ("client", "backend"),
    }
}

/// "a FIN (packet 21)", "an RST_STREAM CANCEL on h2 stream 5 (packet 350)".
struct LegEnd<'a>(&'a LegEnding);

impl Display for LegEnd<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let e = self.0;
        write!(f, "{} {} (packet {})", article(&e.name), e.name, e.packet)
    }
}

/// A quiet spell of `secs` as a configured timeout's length: its whole seconds when it is
/// within 2 % (or 50 ms) of them, as a timer that fires on time is.
pub fn whole_seconds(secs: f64) -> Option<u64> {
    let whole = secs.round();
    (whole >= 1.0 && (secs - whole).abs() <= (0.02 * secs).max(0.05)).then_some(whole as u64)
}

/// One relayed close frame, as the leg's `relayed` list and the detail say it.
impl Display for Relay {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let code = |c: Option<u16>, none: &str| c.map_or(none.to_string(), |c| c.to_string());
        let who = leg_names(self.role).0;
        let (from, p, to) = (self.connection, self.packet, self.to_connection);
        let sent = code(self.code, "with no code");
        match self.how {
            RelayHow::Unchanged => write!(
                f,
                "the {who}'s close frame {sent} (connection {from}, packet {p}) was relayed unchanged to connection {to} (packet {})",
                self.to_packet.unwrap_or_default()
            ),
            RelayHow::Changed => {
                write!(
                    f,
                    "the {who}'s close frame {sent} (connection {from}, packet {p}) was changed in transit by the proxy: connection {to} got {} (packet {})",
                    code(self.to_code, "no code"),
                    self.to_packet.unwrap_or_default()
                )?;
                if self.to_code == self.code {
                    f.write_str(" with another reason")?;
                }
                Ok(())
            }
            RelayHow::NotPassedOn | RelayHow::AnsweredByProxy => {
                write!(
                    f,
                    "the {who}'s close frame {sent} (connection {from}, packet {p}) was not passed on to connection {to}"
                )?;
                if self.how == RelayHow::AnsweredByProxy {
                    f.write_str(": the proxy answered it itself")?;
                }
                Ok(())
            }
            RelayHow::ProxyOwn => write!(
                f,
                "the proxy sent its own close frame {sent} to the {who} (connection {from}, packet {p}): neither application started the close"
            ),
            RelayHow::AnswersProxy => write!(
                f,
                "the {who}'s close frame {sent} (connection {from}, packet {p}) answered the proxy's own (packet {}) and was not relayed",
                self.to_packet.unwrap_or_default()
            ),
        }
    }
}

/// What the peer sent between a FIN and the RST after it: "the server's close frame
/// (packet 13)".
struct Sent<'a>(Role, &'a PeerSent);

impl Display for Sent<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (peer, p) = (self.0, self.1.packet);
        match self.1.what {
            PeerSentWhat::CloseFrame => write!(f, "the {peer}'s close frame (packet {p})"),
            PeerSentWhat::Message { opcode, size } => write!(
                f,
                "the {peer}'s {size}-byte {} message (packet {p})",
                opcode.0.name()
            ),
            PeerSentWhat::Frame => write!(f, "a frame from the {peer} (packet {p})"),
            PeerSentWhat::CloseNotify => write!(f, "the {peer}'s TLS close_notify (packet {p})"),
            PeerSentWhat::StreamEnd { frame } => write!(f, "the {peer}'s {} (packet {p})", frame.0),
        }
    }
}

/// "HTTP/2 stream 5, also client END_STREAM (packet 26), client RST_STREAM CANCEL (packet
/// 27)": every frame that ended (or announced the end of) an HTTP/2 stream but the one a
/// status already names.
pub struct StreamFrames<'a>(pub u32, pub &'a [Ending]);

impl Display for StreamFrames<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP/2 stream {}, also ", self.0)?;
        for (i, e) in self.1.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let kind = match e.how {
                EndHow::Stream { kind, .. } => kind.to_string(),
                other => Ended(&other).to_string(),
            };
            write!(f, "{} {kind} (packet {})", e.by, e.packet)?;
        }
        Ok(())
    }
}

/// The ping and pong clause of a quiet spell, with its full stop.
struct PingPong(Option<u64>, Option<u64>);

impl Display for PingPong {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (None, None) => f.write_str("; no ping or pong was sent at all."),
            (ping, pong) => {
                let p = |p: Option<u64>| p.map_or("none".to_string(), |p| format!("packet {p}"));
                write!(f, "; last ping: {}, last pong: {}.", p(ping), p(pong))
            }
        }
    }
}

/// A close reason in quotes after a space, or nothing for none.
struct Quoted<'a>(&'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            words(f, &[" \"", self.0, "\""])
        }
    }
}

/// Writes `pieces` one after the other: a sentence of plain pieces without the formatting
/// machinery's work per argument.
fn words(f: &mut Formatter<'_>, pieces: &[&str]) -> fmt::Result {
    pieces.iter().try_for_each(|p| f.write_str(p))
}

/// "FIN" or "RST".
pub fn kind_name(k: EndKind) -> &'static str {
    match k {
        EndKind::Fin => "FIN",
        EndKind::Rst => "RST",
    }
}

/// What the ending side did: "ended TCP", "ended HTTP/2 stream 5", "reset HTTP/2 stream
/// 5", "sent GOAWAY ending HTTP/2 stream 5".
struct Did<'a>(&'a EndHow);

impl Display for Did<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self.0 {
            EndHow::Tcp(_) => f.write_str("ended TCP"),
            EndHow::CloseNotify => f.write_str("closed TLS"),
            EndHow::Stream { stream, kind } => match kind {
                StreamEndKind::EndStream => write!(f, "ended HTTP/2 stream {stream}"),
                StreamEndKind::Reset(_) => write!(f, "reset HTTP/2 stream {stream}"),
                StreamEndKind::GoAway { .. } => {
                    write!(f, "sent GOAWAY ending HTTP/2 stream {stream}")
                }
            },
        }
    }
}

/// What ended, as a clause: "TCP ended", "HTTP/2 stream 5 ended".
struct Ended<'a>(&'a EndHow);

impl Display for Ended<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self.0 {
            EndHow::Tcp(_) => f.write_str("TCP ended"),
            EndHow::CloseNotify => f.write_str("TLS was closed (close_notify)"),
            EndHow::Stream { stream, .. } => write!(f, "HTTP/2 stream {stream} ended"),
        }
    }
}

/// "the server closed TCP with a FIN (packet 9)": who ended what carried a session, how.
pub struct EndPhrase<'a>(pub &'a Ending);

impl Display for EndPhrase<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (by, p) = (self.0.by, self.0.packet);
        match self.0.how {
            EndHow::Tcp(EndKind::Fin) => write!(f, "the {by} closed TCP with a FIN (packet {p})"),
            EndHow::Tcp(EndKind::Rst) => write!(f, "the {by} reset TCP with an RST (packet {p})"),
            EndHow::CloseNotify => write!(f, "the {by} closed TLS with close_notify (packet {p})"),
            EndHow::Stream { stream, kind } => match kind {
                StreamEndKind::EndStream => {
                    write!(
                        f,
                        "the {by} ended HTTP/2 stream {stream} ({kind}, packet {p})"
                    )
                }
                StreamEndKind::Reset(_) => {
                    write!(
                        f,
                        "the {by} reset HTTP/2 stream {stream} with {kind} (packet {p})"
                    )
                }
                StreamEndKind::GoAway { .. } => {
                    write!(
                        f,
                        "the {by} sent {kind}, ending HTTP/2 stream {stream} (packet {p})"
                    )
                }
            },
        }
    }
}

/// [`EndPhrase`] of an [`End`].
pub fn end_phrase(e: &End) -> String {
    EndPhrase(&e.ending()).to_string()
}

impl Unanswered {
    /// "the client's 100-byte text message (packet 8)"
    pub fn phrase(&self) -> String {
        format!(
            "the {}'s {}-byte {} message (packet {})",
            self.from,
            self.size,
            self.opcode.name(),
            self.packet
        )
    }
}
