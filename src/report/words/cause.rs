//! The sentences of the causes whose `words` facet is [`plain`] (the close frames, the
//! endings, the handshake, the proxy's legs, the closing handshake, TLS...), one arm per
//! kind, calling the phrases (`phrases.rs`) and the words of a proxy (`proxy.rs`); the
//! `Display` of [`Cause`] is generated from each kind's declaration (`report/cause/list.rs`).

use super::finding::problem_names;
use super::phrases::{words, Did, EndPhrase, Ended, PingPong, Quoted, Sent, StreamFrames};
use super::proxy::{self, leg_names, whole_seconds, LegEnd, ProxyEnded};
use super::{reason, refusal};
use crate::close::catalog;
use crate::close::timeouts::{self, Kind};
use crate::report::cause::{Cause, Eviction};
use crate::units::{Ms, Secs};
use crate::vocab::{Role, Unanswered};
use std::fmt::{self, Display, Formatter};

/// The sentences of the causes said here, one arm per kind (nothing for a kind whose
/// `words` facet names another function: its declaration in `report/cause/list.rs` says which).
pub(crate) fn plain(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    match c {
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
            Cause::OneDirection {
                seen,
                close_packet: Some(p),
            } => write!(
                f,
                "Only the {seen}'s packets are in the capture (a capture filter on one direction, or a SPAN or tap port that copies one): what the {peer} sent is unknown from here, but the {seen}'s close frame (packet {p}) is on the wire and came first: the {seen}'s acknowledgements show the {peer} sent data after it, which an endpoint that had sent its own close frame does not (RFC 6455 §5.5.1). Its code is the status, the one the {peer}'s application saw; the {peer}'s reply, and so the status the {seen}'s application saw, are not in the capture.",
                peer = seen.peer()
            ),
            Cause::OneDirection { seen, .. } => write!(
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
            Cause::AcceptMismatch { packet } => write!(f, "The server's 101 (packet {packet}) carried a Sec-WebSocket-Accept that does not match the client's Sec-WebSocket-Key, and the client sent no frame after it: a conforming client fails the connection on that (RFC 6455 §4.1), without a close frame, and its library reports 1006 or a handshake error, so this is why it ended."),
            Cause::HandshakeFault { fault, packet } => write!(f, "The server's 101 (packet {packet}) {}, and the client sent no frame after it: a conforming client fails the connection on that (RFC 6455 §4.1), without a close frame, and its library reports 1006 or a handshake error, so this is why it ended.", super::fault_words(*fault)),
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
                proxy_product,
            } => write!(f, "The forward proxy answered the client's CONNECT with HTTP {http_status} (packet {packet}) instead of a 2xx, so no tunnel was opened and no WebSocket with it: no close code applies (the client's library reports a proxy error, not a close). {}", proxy::tunnel_refusal(*http_status, proxy_product.as_ref()).0),
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
            Cause::ProxyIdleTimeout {
                legs,
                proxy_product: Some(p),
            } => proxy::proxy_idle_named(f, legs, p),
            // Said of an incident's member only (a spell that is not whole seconds is
            // read as below): the proxy ended its other sessions at that instant at other
            // idle ages, which the incident's cause says after this.
            Cause::ProxyEndedBothLegs { legs }
                if whole_seconds(legs.quiet_ms / 1000.0).is_some() =>
            {
                write!(f, "{} Its quiet spell, {}, is near whole seconds by chance: as the next sentence shows, no idle timeout ended it.", ProxyEnded(legs), Secs(legs.quiet_ms / 1000.0))
            }
            Cause::ProxyIdleTimeout { legs, .. } | Cause::ProxyEndedBothLegs { legs } => {
                write!(f, "{}", ProxyEnded(legs))?;
                match whole_seconds(legs.quiet_ms / 1000.0) {
                    Some(n) => {
                        write!(f, " A proxy that drops both sides at once after a quiet spell is the signature of an idle timeout of that length ({n} s): nginx proxy_read_timeout / proxy_send_timeout, HAProxy timeout tunnel, Apache httpd Timeout / ProxyTimeout, Varnish pipe_timeout (a WebSocket it pipes), an AWS ALB idle timeout.")?;
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
            Cause::TunnelIdleTimeout {
                legs,
                proxy_product,
            } => proxy::tunnel_idle(f, legs, proxy_product.as_ref()),
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
                code,
            } => {
                // A code no endpoint may send is said as sent (RFC 6455 §7.4.2).
                let sent = match code {
                    Some(c) if problems.contains(&crate::vocab::Problem::CodeInvalid) => {
                        format!(": it carried the code {c}, which no endpoint may send, as RFC 6455 §7.4.2 allows only 1000-2999 as registered and 3000-4999")
                    }
                    _ => String::new(),
                };
                write!(
                    f,
                    "The {from}'s close frame at packet {packet} was not a valid close ({}{sent}), so the {} could not accept it.",
                    problem_names(problems),
                    from.peer()
                )
            }
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
                        t.kind.name(),
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
            Cause::BehindTlsProxy { candidates } => {
                let which = if *candidates == 1 {
                    "the server of a TLS connection of this capture that was not decrypted (under \"Encrypted connections\"): this is most likely the back leg of a session through a TLS-terminating proxy, its client the proxy, and that connection the client's leg"
                } else {
                    "the server of TLS connections of this capture that were not decrypted (under \"Encrypted connections\"): this is most likely the back leg of a session through a TLS-terminating proxy, its client the proxy, and one of those connections the client's leg"
                };
                write!(f, "Its Host header names {which}; with the client's key log (--keylog) it would be read and the two legs linked.")
            }
            _ => Ok(()),
        }
}

/// The words of [`Cause::IncidentMember`] (nothing for any other cause).
pub(crate) fn incident_member(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    let Cause::IncidentMember {
        incident,
        incident_kind: kind,
        members,
        window_ms,
        idle_min_s,
        idle_max_s,
    } = c
    else {
        return Ok(());
    };
    let (who, what) = match kind {
        crate::vocab::IncidentKind::ProxyReload => {
            ("proxy", "the proxy was reloaded, stopped or restarted")
        }
        _ => (
            "server",
            "the server's process stopped (or was stopped or killed)",
        ),
    };
    let others = members.saturating_sub(1);
    write!(
        f,
        "The {who} ended {others} other session{} in the same {} as this one (incident {incident}, {}), after quiet spells from {} to {}: {what} and ended them all at once; not an idle timeout, which cuts each session at the same idle age.",
        if others == 1 { "" } else { "s" },
        Ms(*window_ms),
        kind.name(),
        Secs(*idle_min_s),
        Secs(*idle_max_s)
    )
}
