//! The words of an abrupt ending read from its evidence ([`Cause::AbruptEnding`], decided
//! in `diagnose::ending`): the verdict with the packets that show it and the causes the
//! capture rules out, then what came after it from the client's host to the server's port
//! (its attempts refused by a RST, RFC 9293 §3.10.7.1, and the session accepted when the
//! server came back: `incident::after`) ([`words`]), and its fix ([`fix`]). Part of
//! `words`, which calls in here for them.

use super::phrases::EndPhrase;
use super::proxy::whole_seconds;
use crate::incident::after::DOWN_SOON_S;
use crate::report::cause::{Cause, EndHow, EndingVerdict, StillUnacked};
use crate::units::Secs;
use crate::vocab::{After, EndKind, Role};
use std::fmt::{self, Formatter};

/// The sentences of an [`Cause::AbruptEnding`] (nothing for any other cause).
pub fn words(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    let Cause::AbruptEnding {
        end, afterwards, ..
    } = c
    else {
        return Ok(());
    };
    reading(c, f)?;
    match afterwards {
        Some(a) => after_words(a, end.by, f),
        None => Ok(()),
    }
}

/// The verdict's sentences (what came after is said by [`after_words`]).
fn reading(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    let Cause::AbruptEnding {
        verdict,
        end,
        quiet_s,
        after_message,
        reset_packet,
        unacknowledged,
        afterwards,
    } = c
    else {
        return Ok(());
    };
    // The client's attempts refused after it: the path carried them (the server host's
    // RSTs), whatever data was left unacknowledged before.
    let path_carried = afterwards.is_some_and(|a| a.refused > 0);
    let (by, peer) = (end.by, end.by.peer());
    let stopped_on_purpose = match by {
        Role::Client => "a browser that navigates away or an application that exits in order sends a close frame first (1001 going away or 1000); a killed or crashed process, or code that drops the socket, does not",
        Role::Server => "a server that stops in order (a deploy, a restart, a drain on SIGTERM) sends a close frame first (1001 going away or 1012 service restart); a killed or crashed process, or a handler that returns or raises without closing, does not",
    };
    match verdict {
        EndingVerdict::ServerProcess | EndingVerdict::ClientProcess => {
            write!(
                f,
                "Read from the capture: the {by}'s own software ended the session (its process stopped, crashed or was killed, or its code closed the socket): {}",
                EndPhrase(end)
            )?;
            match (after_message, quiet_s) {
                (Some(m), _) => write!(
                    f,
                    " right after the {peer}'s message (packet {m}), with nothing sent in reply"
                )?,
                (None, Some(q)) if whole_seconds(*q).is_none() => write!(
                    f,
                    " {} after the last frame, not at an idle boundary (no whole number of seconds, no known timeout)",
                    Secs(*q)
                )?,
                (None, Some(q)) => write!(f, " {} after the last frame", Secs(*q))?,
                (None, None) => {}
            }
            if let Some(r) = reset_packet {
                write!(f, ", and its RST (packet {r}) answered what the {peer} sent after that: its socket was gone, not only shut for sending")?;
            }
            let network = match unacknowledged {
                Some(u) if path_carried => format!("Not the network: the {}'s data from packet {} was left unacknowledged, but the path carried the {peer}'s attempts after the ending, refused by the {by}'s host", u.from, u.packet),
                _ => "Not the network (no data was sent again and left unacknowledged)".to_string(),
            };
            write!(f, ". {network}, and not a frozen {peer} (no heartbeat gave up on it); {stopped_on_purpose}.")
        }
        EndingVerdict::Unknown if unacknowledged.is_some() => {
            let u = unacknowledged.unwrap_or(StillUnacked {
                from: by,
                packet: 0,
                retransmissions: 0,
            });
            write!(
                f,
                "The capture cannot tell who ended the session: when {}, the {}'s data from packet {} was still unacknowledged, sent again {}. First, the path (for: that data never arrived; against: too few retransmissions, over too short a spell, to call the path dead), the session then ended over it by a timeout or a heartbeat; else the {by}'s own software ended it (for: it is the side that ended; against: the data left unacknowledged). Either way, {stopped_on_purpose}.",
                EndPhrase(end),
                u.from,
                u.packet,
                match u.retransmissions {
                    1 => "once".to_string(),
                    n => format!("{n} times"),
                }
            )
        }
        EndingVerdict::Unknown => {
            let how = match end.how {
                EndHow::Tcp(EndKind::Rst) => "RST",
                EndHow::CloseNotify => "close_notify",
                _ => "FIN",
            };
            write!(
                f,
                "The capture cannot tell who ended the session: the {by}'s {how} (packet {}) came after a quiet spell of {}, a whole number of seconds that no known timeout's default matches. Most likely, first, an idle timeout of that length in the {by}'s application or in a middlebox between that ends TCP in the {by}'s name (for: the whole seconds; against: nothing in the capture names one); else the {by}'s own software ended it by chance at that moment (for: it is the side that ended; against: the whole seconds). Not the network (no data was sent again and left unacknowledged) and not a frozen {peer} (no heartbeat gave up on it).",
                end.packet,
                Secs(quiet_s.unwrap_or_default())
            )
        }
    }
}

/// What came after the ending from the same client host to the same server endpoint, said
/// after the verdict: its refused attempts (nothing listened on the port) and the next
/// session accepted.
pub(crate) fn after_words(a: &After, by: Role, f: &mut Formatter<'_>) -> fmt::Result {
    if let (Some(first), Some(fs)) = (a.first_refused, a.first_refused_s) {
        let times = match a.refused {
            1 => "once".to_string(),
            n => format!("{n} times"),
        };
        write!(
            f,
            " Afterwards new connections of the client's host to the server's port were refused {times}: the first SYN, {} after the ending (packet {first}), was answered by a RST, as a host answers for a port nothing listens on (RFC 9293 §3.10.7.1)",
            Secs(fs)
        )?;
        if let (Some(last), Some(ls)) = (a.last_refused, a.last_refused_s) {
            if a.refused > 1 {
                write!(f, ", the last {} after it (packet {last})", Secs(ls))?;
            }
        }
        f.write_str(": the server was down")?;
        if by == Role::Server && fs <= DOWN_SOON_S {
            f.write_str(", so its process had stopped, not only this session")?;
        }
        f.write_str(".")?;
    }
    let Some(n) = a.accepted else {
        return Ok(());
    };
    let which = if n.reconnect {
        "the client's reconnect"
    } else {
        "a new session of the client's host"
    };
    match (by, a.last_refused_s) {
        (Role::Server, Some(down)) => write!(
            f,
            " The server came back (restarted): down between {} and {} after the ending; {which} {} after it was accepted (packet {}), as connection {}.",
            Secs(down),
            Secs(n.after_s),
            Secs(n.after_s),
            n.packet,
            n.connection
        ),
        // Not linked (`incident::after`): a session accepted alone says nothing of it.
        (Role::Server, None) => Ok(()),
        (Role::Client, _) if n.reconnect => write!(
            f,
            " The client came back {} after the ending: its reconnect was accepted (packet {}), as connection {}, as a restarted process or its retry does.",
            Secs(n.after_s),
            n.packet,
            n.connection
        ),
        // Another client of the same host says nothing of this one's process.
        (Role::Client, _) => Ok(()),
    }
}

/// The fix of an [`Cause::AbruptEnding`]: the status's own, in place of the code's.
pub fn fix(c: &Cause) -> Option<String> {
    let Cause::AbruptEnding {
        verdict,
        end,
        quiet_s,
        after_message,
        unacknowledged,
        ..
    } = c
    else {
        return None;
    };
    let p = end.packet;
    // Where the side ended right after a message, the message's hint already sends the
    // reader to its logs at that packet.
    let read = |who: &str, what: &str| match after_message {
        Some(_) => String::new(),
        None => format!("Read the {who}'s logs at the time of packet {p}{what}. "),
    };
    Some(match verdict {
        EndingVerdict::ServerProcess => format!("{}Have the server close its sessions with 1001 or 1012 and a reason before it exits (catch SIGTERM and drain), and close with 1011 on a handler's error; have clients reconnect with jittered backoff.", read("server", ", and its supervisor's (systemd, Kubernetes events, the kernel's OOM killer in dmesg), for a stop, a crash, a kill or a handler that returned or raised")),
        EndingVerdict::ClientProcess => format!("{}Have the client close with 1000 or 1001 before it exits or navigates away, so that the server learns it left on purpose.", read("client", ": an application or tab that was closed, killed or crashed, or code that dropped the socket")),
        EndingVerdict::Unknown if unacknowledged.is_some() => format!("Look at the path between the two for what drops packets (an MTU too small with ICMP blocked, a firewall or NAT that lost the flow, a link that went down), and at the {}'s logs at the time of packet {p}; a capture on the other end shows whether the data arrived.", end.by),
        EndingVerdict::Unknown => format!("Look for an idle timeout of {} in the {}'s application and in anything between the two (load balancer, proxy, NAT, firewall): if one matches, send pings or heartbeats more often than it, or raise it; else read the {}'s logs at the time of packet {p}.", Secs(quiet_s.unwrap_or_default()), end.by, end.by),
    })
}

/// The sentences of a [`Cause::ClosingCutShort`] (nothing for any other cause).
pub fn closing(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    let Cause::ClosingCutShort {
        from,
        close_packet,
        end,
        after_s,
        reply_packet,
        reply_reset,
    } = c
    else {
        return Ok(());
    };
    let (from, peer) = (*from, from.peer());
    let after = Secs(*after_s);
    if end.by == peer {
        write!(
            f,
            "The closing handshake was cut short by the {peer}: {} {after} after the {from}'s close frame (packet {close_packet}), without a close frame in reply (RFC 6455 §7.1.1 has it send one before it closes TCP): its library dropped the connection instead of completing the closing handshake, or its process ended",
            EndPhrase(end)
        )?;
        if let Some(r) = reply_packet {
            write!(f, "; its close frame (packet {r}) came only after that")?;
        }
        return f.write_str(".");
    }
    match (end.how, reply_packet, reply_reset) {
        (EndHow::Tcp(EndKind::Rst), _, _) => write!(
            f,
            "The closing handshake was cut short by the {from}: {} {after} after its own close frame (packet {close_packet}), without waiting for the {peer}'s reply (RFC 6455 §7.1.1: an endpoint closes TCP once it has both sent and received a close frame). An RST flushes what the {peer} had not yet read (RFC 9293 §3.10.7.4): unless its library had read the close frame before the RST came, the {peer}'s application saw 1006, not the code.",
            EndPhrase(end)
        ),
        (_, Some(r), Some(rst)) => write!(
            f,
            "The closing handshake was cut short by the {from}: {} {after} after its own close frame (packet {close_packet}), without waiting for the {peer}'s reply, which its RST (packet {rst}) then met (packet {r}): the {from} closed its socket, or its process ended, before the reply came, and never read it.",
            EndPhrase(end)
        ),
        // Not decided (`diagnose::closing`): a FIN whose socket reset no reply.
        _ => Ok(()),
    }
}

/// The fix of a [`Cause::ClosingCutShort`], said before the code's; none where the
/// session's own cause is `known` (that cause's fix stands alone).
pub fn closing_fix(c: &Cause, known: bool) -> Option<String> {
    let (false, Cause::ClosingCutShort { from, end, .. }) = (known, c) else {
        return None;
    };
    let peer = from.peer();
    Some(match (end.by == peer, end.how) {
        (true, _) => format!("Have the {peer} answer a close frame with its own before it closes the socket (its library does so while its read loop runs: a handler that stopped reading, or that closes the socket itself, never answers)."),
        (false, EndHow::Tcp(EndKind::Rst)) => format!("Have the {from} wait for the {peer}'s close frame, with a close timeout of a few seconds, before it closes the socket, and close it in order (a FIN), not with an abortive RST (SO_LINGER 0), which can discard its close frame unread."),
        (false, _) => format!("Have the {from} wait for the {peer}'s close frame, with a close timeout of a few seconds, before it closes the socket (or exits)."),
    })
}
