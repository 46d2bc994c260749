//! Words for a proxy: a session both of whose legs a proxy ended, or whose end it relayed
//! (and each relayed close frame), a proxy reloaded or stopped, a gateway's own frames, a
//! forward proxy's tunnel, a quiet spell that matches a known timeout, and the legs of a
//! proxied session (which leg, how they were linked).
//!
//! In: [`Cause::ProxyReloadOrStop`](crate::report::Cause::ProxyReloadOrStop)'s and the other
//! proxy causes' legs, the timeouts of `close::timeouts` a quiet spell matched, a
//! connection's [`LegReport`] and [`TunnelReport`]. Out: their sentences, evidence lines and
//! fix. A match is said as a match ("matches the default of …"), never as what happened: a
//! spell of 60 s may as well be the application's own timer.

use crate::close::proxies::TUNNEL_CANDIDATES;
use crate::close::timeouts::Timeout;
use crate::close::timeouts::{self, Kind};
use crate::report::cause::{BothLegs, LegEnding, Relay, RelayHow};
use crate::report::legs::{LegReport, LinkedBy, Side};
use crate::report::tunnel::TunnelReport;
use crate::units::{article, Ms, Secs};
use crate::vocab::{Header, Product, ProxyProduct, Role};
use std::fmt::{self, Display, Formatter, Write as _};

/// "a close frame 1001 (packet 45)".
fn end(e: &LegEnding) -> String {
    format!("{} {} (packet {})", article(&e.name), e.name, e.packet)
}

/// How long before the first ending the last frame came, as a clause.
fn after(l: &BothLegs) -> String {
    match l.last_frame_packet {
        Some(p) => format!(
            "{} after the last frame on either leg (packet {p})",
            Ms(l.quiet_ms)
        ),
        None => format!("{} after the handshake, no frame sent", Ms(l.quiet_ms)),
    }
}

/// Which proxies end their sessions this way, and how to tell.
const WHO: &str = "Proxies end their sessions like this when they are reloaded or stopped: Caddy 2.6 sends 1001 to both sides of every WebSocket it proxies on `caddy reload` and `caddy stop`; nginx closes them when worker_shutdown_timeout runs out after a reload (nginx -s reload) and at once on nginx -s stop; HAProxy when hard-stop-after runs out after a reload, or at once on a hard stop; Envoy at the end of its drain (--drain-time-s, a hot restart or a listener removed). The proxy's logs for that moment say which.";

/// The sentences of a proxy reloaded or stopped.
pub fn reload(
    f: &mut Formatter<'_>,
    l: &BothLegs,
    close_frames: bool,
    apart_ms: f64,
) -> fmt::Result {
    let (head, tail) = if close_frames {
        (
            "The proxy closed both legs itself at the same instant",
            ". Neither application started the close.",
        )
    } else {
        (
            "The proxy ended both legs at the same instant with no close frame from either application",
            ": too soon after it for an idle timeout (none is set below a second); both applications see 1006.",
        )
    };
    write!(
        f,
        "{head}: {} to the client (connection {}) and {} to the backend (connection {}), {} apart, {}{tail}",
        end(&l.front_end),
        l.front,
        end(&l.back_end),
        l.back,
        Ms(apart_ms),
        after(l)
    )?;
    write!(f, " {WHO}")
}

/// The evidence's line for a proxy reloaded or stopped.
pub fn reload_summary(l: &BothLegs, apart_ms: f64) -> String {
    format!(
        "the proxy ended both legs at one instant: {} to the client (connection {}, packet {}), {} to the backend (connection {}, packet {}), {} apart, {} after the last frame: the proxy reloaded or stopped",
        l.front_end.name,
        l.front,
        l.front_end.packet,
        l.back_end.name,
        l.back,
        l.back_end.packet,
        Ms(apart_ms),
        Ms(l.quiet_ms)
    )
}

/// A proxy that closed both legs with close frames of its own, in one line for a report's
/// status cell, when a status has one (ended with FINs or RSTs, the evidence's line says it).
pub fn reload_line(causes: &[crate::report::Cause]) -> Option<String> {
    causes.iter().find_map(|c| match c {
        crate::report::Cause::ProxyReloadOrStop {
            legs,
            close_frames: true,
            apart_ms,
        } => Some(reload_summary(legs, *apart_ms)),
        _ => None,
    })
}

/// The fix of a proxy reloaded or stopped.
pub const RELOAD_FIX: &str = "Let the proxy drain its WebSockets before old workers go: give them time to end on their own (nginx worker_shutdown_timeout, HAProxy hard-stop-after, Envoy --drain-time-s; Caddy versions after 2.6 keep them open across a config reload for reverse_proxy's stream_close_delay), reload outside busy hours, and have clients reconnect with backoff and jitter when they get 1001 or 1006, so that a reload does not become a reconnect storm.";

/// "the default of nginx's proxy_read_timeout (60 s) and of an AWS Application Load
/// Balancer's idle timeout (60 s)": the timeouts a spell matched, named.
pub fn matched(ts: &[&Timeout]) -> String {
    let mut s = String::new();
    for (i, t) in ts.iter().enumerate() {
        if i > 0 {
            s.push_str(if i + 1 == ts.len() { " and " } else { ", " });
        }
        s.push_str(&t.to_string());
    }
    s
}

/// The fix of a gateway's read-idle close ([`Cause::GatewayIdleClose`](crate::report::Cause::GatewayIdleClose)).
pub const GATEWAY_IDLE_FIX: &str = "Keep the client's side of the session busy for the gateway: have the client send a message or a ping more often than lighttpd's server.max-read-idle (60 s by default), or set wstunnel.ping-interval below it so that lighttpd pings the client itself (the client's pongs count as reading), or raise server.max-read-idle.";

/// The words of a gateway's read-idle close.
pub fn gateway_idle(c: &crate::report::Cause, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    let crate::report::Cause::GatewayIdleClose {
        gateway,
        packet,
        quiet_s,
        last_frame_packet,
    } = c
    else {
        return Ok(());
    };
    let since = match last_frame_packet {
        Some(p) => format!(" (the last frame was packet {p})"),
        None => String::new(),
    };
    write!(f, "That empty close frame (packet {packet}) came from the gateway itself, {gateway} (its 101 names it; mod_wstunnel passes only the payloads to its backend over plain TCP, so the backend cannot send a close frame), after {} of quiet on the session{since}: lighttpd ends a session it has read nothing from for server.max-read-idle seconds (60 s by default; it checks once a second, so up to a second later) with an empty close frame, which the client's library reports as 1005.", crate::units::Secs(*quiet_s))
}

/// The words of a gateway's own frames ([`Cause::GatewayFrames`](crate::report::Cause::GatewayFrames)).
pub fn gateway_frames(
    c: &crate::report::Cause,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    let crate::report::Cause::GatewayFrames {
        gateway,
        pings,
        last_ping,
        text_1000_reply,
    } = c
    else {
        return Ok(());
    };
    if let Some(p) = text_1000_reply {
        write!(f, "The server is the gateway {gateway} (its 101 names it), and the close reply at packet {p} is its own: mod_wstunnel answers a client's close with a frame whose payload is the text \"1000\" (read as code 12592, reason \"00\"), which is no valid close, so the client's library reports 1006 although the session ended as the client asked.")?;
    }
    if let (Some(p), true) = (last_ping, *pings > 0) {
        if text_1000_reply.is_some() {
            f.write_str(" ")?;
        }
        let s = if *pings == 1 { "" } else { "s" };
        write!(f, "The server's {pings} ping{s} (the last at packet {p}) are {gateway}'s own (wstunnel.ping-interval; its backend gets only the payloads and cannot ping): the client's pongs count as reading for its server.max-read-idle and keep a quiet session open.")?;
    }
    Ok(())
}

/// The evidence's clause of a refused CONNECT that the client's other tunnel shows was a
/// WebSocket's (`analyzer::tunnels`): that tunnel's CONNECT at `packet`.
pub fn other_tunnel_clause(packet: u64) -> String {
    format!("the same client host's CONNECT to the same target through this proxy (packet {packet}) carried a WebSocket")
}

/// The likely cause and fix of a status with which a forward proxy refused a CONNECT: the
/// rules of the product its answer names (`product`), else the usual products' as
/// candidates; no product's rule is said as this proxy's without its answer naming it.
pub fn tunnel_refusal(code: u16, product: Option<&ProxyProduct>) -> (String, String) {
    let named = product.map(|p| p.product);
    let (cause, fix) = match (code, named) {
        (403, Some(Product::Squid)) => (
            "403 means the proxy's access rules deny this target (Squid: an http_access deny rule; its default configuration allows CONNECT only to port 443, SSL_ports).",
            "Allow CONNECT to the target's host and port in the proxy (Squid: acl SSL_ports port N, and an http_access allow rule before the deny), or serve the WebSocket on a port the proxy allows (443).",
        ),
        (403, Some(Product::Tinyproxy)) => (
            "403 means the proxy's access rules deny this target: tinyproxy refuses a CONNECT to a port that no ConnectPort line lists (with none, it allows every port) and a client that no Allow line admits.",
            "Add a ConnectPort line for the target's port to tinyproxy's configuration (or an Allow line for the client), or serve the WebSocket on a port it allows.",
        ),
        (403, Some(Product::ApacheHttpd)) => (
            "403 means the proxy's access rules deny this target: Apache httpd's mod_proxy_connect allows CONNECT only to the ports AllowCONNECT lists (443 and 563 by default), and its Require rules may deny the client.",
            "Add the target's port to AllowCONNECT in httpd's configuration (or allow the client in the proxy's Require rules), or serve the WebSocket on a port it allows (443).",
        ),
        (403, _) => (
            "403 means the proxy's access rules deny this target; its page and its log say which rule. The capture does not name a forward proxy whose rules wsclose knows; the usual ones, candidates: Squid's http_access rules (its default configuration allows CONNECT only to port 443, SSL_ports), tinyproxy's ConnectPort and Allow lines, Apache httpd's AllowCONNECT (443 and 563 by default).",
            "Allow CONNECT to the target's host and port in the proxy (in Squid: acl SSL_ports port N and an http_access allow rule before the deny; tinyproxy: ConnectPort N; Apache httpd: AllowCONNECT), or serve the WebSocket on a port the proxy allows (443).",
        ),
        (407, _) => (
            "407 means the proxy wants credentials (its Proxy-Authenticate field names the scheme) and the CONNECT carried none that it accepted.",
            "Give the client the proxy's credentials (Proxy-Authorization; in most clients a proxy URL of the form http://user:password@proxy:port).",
        ),
        (502..=504, None | Some(Product::Squid)) => (
            "502, 503 and 504 mean the proxy could not reach the target: nothing listening there, no route, a name it could not resolve, or a connection that timed out (Squid answers 503 when its connection to the target fails).",
            "Check that the target listens on that address and port and that the proxy can reach it (its error page and its log name the failure).",
        ),
        (502..=504, _) => (
            "502, 503 and 504 mean the proxy could not reach the target: nothing listening there, no route, a name it could not resolve, or a connection that timed out.",
            "Check that the target listens on that address and port and that the proxy can reach it (its error page and its log name the failure).",
        ),
        _ => (
            "The proxy's answer body, when it sent one, says why.",
            "Read the proxy's answer and its log for this CONNECT.",
        ),
    };
    let mut cause = cause.to_string();
    if let Some(p) = product {
        let _ = write!(cause, " Its answer's {} names it: {p}.", p.header_name());
    }
    (cause, fix.to_string())
}

/// The words of a forward proxy's tunnel idle timeout (`tunnel-idle-timeout`): the
/// product's own setting when its CONNECT answer names it (`product`), else the usual
/// forward proxies' settings as candidates.
pub fn tunnel_idle(
    f: &mut Formatter<'_>,
    legs: &BothLegs,
    product: Option<&ProxyProduct>,
) -> fmt::Result {
    let secs = legs.quiet_ms / 1000.0;
    write!(
        f,
        "The forward proxy ended the CONNECT tunnel with {} to the client (connection {}, packet {}) and {} to the backend (connection {}, packet {}) after {} of quiet on both legs: most likely ",
        legs.front_end.name,
        legs.front,
        legs.front_end.packet,
        legs.back_end.name,
        legs.back,
        legs.back_end.packet,
        Secs(secs),
    )?;
    let setting = match product {
        Some(p) => {
            write!(
                f,
                "its tunnel idle timeout. The proxy names itself in its CONNECT answer's {}: {p}",
                p.header_name()
            )?;
            match p.product.tunnel_idle() {
                Some(t) => {
                    write!(f, ", whose setting for that is {}", t.setting_name())?;
                    if let Some(d) = t.default_text() {
                        write!(f, " (default {d})")?;
                    }
                    t.setting_name()
                }
                None => {
                    f.write_str(
                        "; wsclose knows no tunnel idle setting of its own for it, so its configuration says which one this is",
                    )?;
                    "timeout"
                }
            }
        }
        None => {
            f.write_str(
                "the proxy's tunnel idle timeout. The capture does not name the proxy's product; the usual settings, candidates, are ",
            )?;
            for (i, p) in TUNNEL_CANDIDATES.iter().enumerate() {
                if i > 0 {
                    f.write_str(if i + 1 == TUNNEL_CANDIDATES.len() {
                        " and "
                    } else {
                        ", "
                    })?;
                }
                candidate(f, *p)?;
            }
            "timeout"
        }
    };
    if let Some(note) = product.and_then(|p| p.product.timer_note()) {
        write!(f, " ({note})")?;
    }
    // The whole seconds the spell fits: the setting is at most the spell, and more than
    // the spell less the second of the proxy's timer.
    let whole = secs.floor();
    if whole >= 1.0 {
        write!(f, ": this spell fits a {setting} of {whole:.0} s")?;
    }
    f.write_str(".")?;
    let known = timeouts::matching(Kind::Idle, secs);
    if !known.is_empty() {
        write!(f, " It matches the default of {}.", matched(&known))?;
    }
    match product.and_then(|p| p.product.idle_log()) {
        Some(log) => write!(f, " If the proxy was stopped at that moment instead, its log says so ({log})."),
        None => f.write_str(" If the proxy was stopped at that moment instead, its log says so (Squid, for one, logs each tunnel's end with its duration)."),
    }
}

/// "Squid's read_timeout (default 15 min; Squid checks its timeouts about once a second,
/// so the spell runs up to a second past the setting)": a candidate setting.
fn candidate(f: &mut Formatter<'_>, p: Product) -> fmt::Result {
    let Some(t) = p.tunnel_idle() else {
        return Ok(());
    };
    write!(f, "{}'s {}", p.name(), t.setting_name())?;
    let notes: Vec<String> = t
        .default_text()
        .map(|d| format!("default {d}"))
        .into_iter()
        .chain(p.timer_note().map(str::to_string))
        .collect();
    if !notes.is_empty() {
        write!(f, " ({})", notes.join("; "))?;
    }
    Ok(())
}

/// The fix of a tunnel the forward proxy ended for being idle: raise the named product's
/// setting, or one of the candidates'.
pub fn tunnel_idle_fix(legs: &BothLegs, product: Option<&ProxyProduct>) -> String {
    let secs = legs.quiet_ms / 1000.0;
    let setting = match product.and_then(|p| Some((p, p.product.tunnel_idle()?))) {
        Some((p, t)) => format!("{}'s {}", p.product.name(), t.setting_name()),
        None if product.is_some() => "the proxy's tunnel idle timeout".to_string(),
        None => {
            let names: Vec<String> = TUNNEL_CANDIDATES
                .iter()
                .filter_map(|p| Some(format!("{}: {}", p.name(), p.tunnel_idle()?.setting_name())))
                .collect();
            format!("the proxy's tunnel idle timeout (in {})", names.join("; "))
        }
    };
    format!(
        "Keep the tunnel busy for the proxy: send a WebSocket ping (or an application heartbeat) from either end well inside its idle timeout (every {} s, say; any byte either way counts), or raise {setting} above the longest quiet spell the application needs. Clients should reconnect with backoff.",
        heartbeat(secs)
    )
}

/// The evidence's line for a tunnel the forward proxy ended for being idle, with the
/// product's setting when its CONNECT answer names it.
pub fn tunnel_idle_summary(l: &BothLegs, product: Option<&ProxyProduct>) -> String {
    let named = match product {
        Some(p) => match p.product.tunnel_idle() {
            Some(t) => format!(" ({p}: {})", t.setting_name()),
            None => format!(" ({p})"),
        },
        None => String::new(),
    };
    format!(
        "the forward proxy closed both legs of the tunnel: {} to the client (connection {}, packet {}), {} to the backend (connection {}, packet {}), after {:.0} ms of quiet on both legs: its tunnel idle timeout{named}",
        l.front_end.name, l.front, l.front_end.packet, l.back_end.name, l.back, l.back_end.packet, l.quiet_ms,
    )
}

/// A heartbeat interval well inside a timeout of `secs` seconds: about half, in whole
/// seconds (at least 1).
pub fn heartbeat(secs: f64) -> u64 {
    ((secs / 2.0).floor() as u64).max(1)
}

/// The fix of a session whose proxy ended both legs.
pub(super) fn proxy_fix(legs: &BothLegs) -> String {
    let secs = legs.quiet_ms / 1000.0;
    match whole_seconds(secs) {
        Some(n) => format!(
            "Keep the session busy for the proxy: send a ping (or an application heartbeat) from either end well inside {n} s (every {} s, say; a proxy counts any frame as activity), or raise the proxy's idle timeout (nginx proxy_read_timeout, HAProxy timeout tunnel, Apache httpd ProxyTimeout, the load balancer's idle timeout) above the longest quiet spell the application needs. Clients should reconnect with backoff.",
            heartbeat(secs)
        ),
        None => "If the proxy's idle timeout is that short, send pings (or application heartbeats) more often or raise it (nginx proxy_read_timeout, HAProxy timeout tunnel); if the proxy was stopped or restarted, drain it gracefully (nginx -s quit with worker_shutdown_timeout, HAProxy hard-stop-after, a load balancer's deregistration delay) and have clients reconnect with backoff.".to_string(),
    }
}

/// The fix of a session one application ended, the proxy relaying it.
pub(super) fn relayed_end_fix(app: Role, app_end: &LegEnding) -> String {
    if app == Role::Server {
        format!("Read the backend's logs (and the system's: OOM killer, restarts) at the time of packet {}. On shutdown have it close its WebSockets with 1001, and with 1011 on errors, so that the proxy relays a code instead of a bare end. Clients should reconnect with backoff.", app_end.packet)
    } else {
        "The client left without a close frame (a closed tab, a killed process, a lost network): have it close with 1000 or 1001 when it can; the backend should treat a bare end as a normal disconnect.".to_string()
    }
}

/// The first sentence of the proxy's ending of both legs.
pub(super) struct ProxyEnded<'a>(pub(super) &'a BothLegs);

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
    let ends = proxy_ends(l);
    match whole_seconds(l.quiet_ms / 1000.0) {
        Some(n) => format!("{ends}: an idle timeout of {n} s"),
        None => format!("{ends}: an idle timeout that short, or the proxy stopped or restarted"),
    }
}

/// The evidence's line for a proxy that ended both legs as one of an incident's members
/// (`proxy-reload`): ended at one instant with its other sessions, after other spells.
pub fn proxy_reload_member_summary(l: &BothLegs) -> String {
    format!(
        "{}: the proxy reloaded or stopped (its other sessions ended at the same instant, after other quiet spells)",
        proxy_ends(l)
    )
}

/// "the proxy closed both legs: FIN to the client (connection 1, packet 9), ...".
fn proxy_ends(l: &BothLegs) -> String {
    format!(
        "the proxy closed both legs: {} to the client (connection {}, packet {}), {} to the backend (connection {}, packet {}), after {:.0} ms of quiet on both legs",
        l.front_end.name, l.front, l.front_end.packet, l.back_end.name, l.back, l.back_end.packet, l.quiet_ms,
    )
}

/// What follows a leg's ending's name when it ended an HTTP/2 stream ("RST_STREAM CANCEL
/// on h2 stream 5"): written by `diagnose::proxied` (the words tell an HTTP/2 leg by its
/// `h2_stream`).
pub const ON_H2_STREAM: &str = " on h2 stream ";

/// The words of a proxy's idle timeout whose product the client's 101 names (a header the
/// back leg's 101 does not carry: the proxy added it): the product and its own setting.
pub fn proxy_idle_named(f: &mut Formatter<'_>, l: &BothLegs, p: &ProxyProduct) -> fmt::Result {
    let secs = l.quiet_ms / 1000.0;
    write!(
        f,
        "{} A proxy that drops both sides at once after a quiet spell is the signature of an idle timeout of that length",
        ProxyEnded(l)
    )?;
    if let Some(n) = whole_seconds(secs) {
        write!(f, " ({n} s)")?;
    }
    if p.header == Header::XVarnish {
        // Read on requests only: the back leg's, which the proxy sent.
        write!(
            f,
            ". The proxy names itself in the request it sent the backend (its {}, which the client's request does not carry): {p}",
            p.header_name()
        )?;
    } else {
        // Over HTTP/2 the client's leg was opened by an extended CONNECT (RFC 8441 §4),
        // answered with a 200, not a 101 (the leg's ending names its stream).
        let answer = if l.front_end.h2_stream.is_some() {
            "its HTTP/2 answer to the client's extended CONNECT"
        } else {
            "the client's 101"
        };
        write!(
            f,
            ". The proxy names itself in {answer} (its {}, which the backend's 101 does not carry): {p}",
            p.header_name()
        )?;
    }
    match p.product.proxy_idle() {
        Some(t) => {
            write!(f, ", whose setting for that is {}", t.setting_name())?;
            match t.default_text() {
                Some(d) => write!(f, " (default {d})")?,
                None => f.write_str(" (off unless set)")?,
            }
        }
        None => f.write_str("; wsclose knows no idle setting of its own for it, so its configuration says which one this is")?,
    }
    f.write_str(".")?;
    let known = timeouts::matching(Kind::Idle, secs);
    if !known.is_empty() {
        write!(f, " It matches the default of {}.", matched(&known))?;
    }
    Ok(())
}

/// The fix of a proxy's idle timeout whose product the client's 101 names.
pub fn proxy_idle_named_fix(l: &BothLegs, p: &ProxyProduct) -> String {
    let secs = l.quiet_ms / 1000.0;
    let setting = match p.product.proxy_idle() {
        Some(t) => format!("{}'s {}", p.product.name(), t.setting_name()),
        None => format!("{}'s idle timeout", p.product.name()),
    };
    let inside = whole_seconds(secs).map_or("its idle timeout".to_string(), |n| format!("{n} s"));
    format!(
        "Keep the session busy for the proxy: send a ping (or an application heartbeat) from either end well inside {inside} (every {} s, say; a proxy counts any frame as activity), or raise {setting} above the longest quiet spell the application needs. Clients should reconnect with backoff.",
        heartbeat(secs)
    )
}

/// The evidence's line for a proxy's idle timeout, with the product when the client's 101
/// names it.
pub fn proxy_idle_summary(l: &BothLegs, p: Option<&ProxyProduct>) -> String {
    let s = proxy_summary(l);
    match p {
        Some(p) => match p.product.proxy_idle() {
            Some(t) => format!("{s} ({p}: {})", t.setting_name()),
            None => format!("{s} ({p})"),
        },
        None => s,
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
pub(super) fn leg_names(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Server => ("backend", "client"),
        Role::Client => ("client", "backend"),
    }
}

/// "a FIN (packet 21)", "an RST_STREAM CANCEL on h2 stream 5 (packet 350)".
pub(super) struct LegEnd<'a>(pub(super) &'a LegEnding);

impl Display for LegEnd<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let e = self.0;
        write!(f, "{} {} (packet {})", article(&e.name), e.name, e.packet)
    }
}

/// A quiet spell of `secs` as a configured timeout's length: its whole seconds when it is
/// within 2 % (or 50 ms) of them, as a timer that fires on time is, or up to 2 % (or
/// `close::timeouts::LATE_S`) after them, as a timer on a loaded host fires late (a 2 s
/// timeout measured 2.162 s); never more than 50 ms (or 2 %) early.
pub fn whole_seconds(secs: f64) -> Option<u64> {
    let below = secs.floor();
    let late = (0.02 * below).max(crate::close::timeouts::LATE_S);
    if below >= 1.0 && secs - below <= late {
        return Some(below as u64);
    }
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
            RelayHow::Unknown => write!(
                f,
                "the {who}'s close frame {sent} (connection {from}, packet {p}): whether it was relayed to connection {to} is unknown from here ({})",
                Missing(leg_names(self.role).1, to, self.gap_packet)
            ),
            RelayHow::OriginUnknown => write!(
                f,
                "the proxy's close frame {sent} to the {who} (connection {from}, packet {p}): whether it was its own or the {}'s relayed is unknown from here ({})",
                leg_names(self.role).1,
                Missing(leg_names(self.role).1, to, self.gap_packet)
            ),
        }
    }
}

/// "bytes missing on the backend's leg, connection 2, at packet 50": where the frames that
/// would decide a relay stop, on the leg named after `app`; with no packet (the capture
/// ends first, or the gap's finding was dropped at the cap), "the backend's leg, connection
/// 2, is not in the capture that far".
struct Missing(&'static str, u64, Option<u64>);

impl Display for Missing {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            Missing(app, leg, Some(p)) => write!(
                f,
                "bytes missing on the {app}'s leg, connection {leg}, at packet {p}"
            ),
            Missing(app, leg, None) => write!(
                f,
                "the {app}'s leg, connection {leg}, is not in the capture that far"
            ),
        }
    }
}

impl LinkedBy {
    /// How the link was made, for a report: the key's certainty, or the evidence and how
    /// much weaker it is.
    pub fn text(&self) -> String {
        match self {
            LinkedBy::Key => "linked by the Sec-WebSocket-Key both upgrade requests carry".into(),
            LinkedBy::KeyAndConnect { connect, target } => format!(
                "linked by the Sec-WebSocket-Key both upgrade requests carry and by the client's CONNECT (packet {connect}): the back leg goes to its target, {target}, and starts after it"
            ),
            LinkedBy::KeyAndHandshakes {
                request,
                upgrade,
                upgrade_answer,
                answer,
            } => format!(
                "linked by the Sec-WebSocket-Key both upgrade requests carry, which no other connection of the capture does, and by their handshakes: the back leg's upgrade request (packet {upgrade}) and its 101 (packet {upgrade_answer}) came between the client's request (packet {request}) and its 101 (packet {answer}); the back leg leaves from another address than the one the client reached the proxy at"
            ),
            LinkedBy::KeyAtTwoPoints {
                request,
                upgrade,
                upgrade_answer,
                answer,
                front_file,
                back_file,
            } => format!(
                "linked by the Sec-WebSocket-Key both upgrade requests carry, which no other connection of the captures does, each leg captured at its own point (the client's leg in {front_file}, the proxy's leg to the backend in {back_file}), and by their handshakes: the back leg's upgrade request (packet {upgrade} of {back_file}) and its 101 (packet {upgrade_answer}) came between the client's request (packet {request} of {front_file}) and its 101 (packet {answer}) by the two captures' clocks"
            ),
            LinkedBy::PathAndTiming {
                host,
                connect,
                upgrade,
                answer,
                closes_ms,
            } => {
                let closes = match closes_ms {
                    Some(ms) => format!("the two legs began to close {} apart", Ms(*ms)),
                    None => "both legs were still open at the end of the capture".into(),
                };
                format!(
                    "linked by path{} and timing, not by a key (HTTP/2 carries no Sec-WebSocket-Key): the same path{}, the back leg's upgrade request (packet {upgrade}) sent between the stream's CONNECT (packet {connect}) and its 200 (packet {answer}), and {closes}; no other connection of the capture fits either leg, but this is weaker evidence than a shared key",
                    if *host { ", host" } else { "" },
                    if *host { " and host" } else { "" },
                )
            }
        }
    }
}

/// "leg of connection N through ADDR:PORT".
fn leg_of(l: &LegReport) -> String {
    format!("leg of connection {} through {}", l.other_leg, l.proxy)
}

/// "leg of connection N through ADDR:PORT", for the table, with "(linked by path and
/// timing, not by key)" when that is so.
pub fn leg_phrase(l: &LegReport) -> String {
    let weaker = if l.linked_by
        != (LinkedBy::PathAndTiming {
            host: false,
            connect: 0,
            upgrade: 0,
            answer: 0,
            closes_ms: None,
        })
        .name()
    {
        ""
    } else {
        " (linked by path and timing, not by key)"
    };
    format!("{}{weaker}", leg_of(l))
}

/// The whole part of a leg, for Markdown: which leg of which connection, which end it is,
/// what was relayed, and (when it was not a key) what linked the legs, said once.
pub fn leg_description(l: &LegReport) -> String {
    let mut s = format!(
        "{} ({})",
        leg_of(l),
        match l.side {
            Side::Front => "the client's leg, to the proxy",
            Side::Back => "the proxy's leg, to the backend",
        }
    );
    if let Some(who) = &l.ended_by {
        let _ = write!(s, "; ended by the {who}");
    }
    for r in &l.relayed {
        let _ = write!(s, "; {r}");
    }
    if l.proxy_changed_close {
        s.push_str(" (the proxy changed a close in transit)");
    }
    if l.linked_by != LinkedBy::Key.name() {
        let _ = write!(s, "; {}", l.link_evidence);
    }
    s
}

impl TunnelReport {
    /// "through the forward proxy P to T" (opened), "CONNECT to T refused by the forward
    /// proxy P: HTTP 403 Forbidden: «body»", or "CONNECT to T through P, no answer
    /// captured", the body cut at `body_max` bytes; wire text as sent (the renderer escapes
    /// it).
    pub fn phrase(&self, body_max: usize) -> String {
        let mut s = match self.status {
            Some(_) if self.opened() => format!(
                "through the forward proxy {} to {} (CONNECT)",
                self.proxy, self.target
            ),
            Some(code) => format!(
                "CONNECT to {} refused by the forward proxy {}: HTTP {code} {}",
                self.target,
                self.proxy,
                self.reason.as_deref().unwrap_or_default()
            ),
            None => format!(
                "CONNECT to {} through the forward proxy {}: no answer captured",
                self.target, self.proxy
            ),
        };
        if !self.opened() {
            if let Some(body) = &self.body {
                let short = crate::sanitize::cut(body, body_max);
                let more = if short.len() < body.len() && !short.ends_with('…') {
                    "…"
                } else {
                    ""
                };
                s.push_str(&format!("; its page: \"{short}{more}\""));
            }
        }
        for e in &self.earlier {
            s.push_str(&format!(
                "; an earlier CONNECT was answered {} (packet {})",
                e.status, e.packet
            ));
        }
        s
    }
}
