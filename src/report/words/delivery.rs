//! The words of the causes the path under a session shows (`diagnose::delivery`): a close
//! frame that a host without the connection answered, data never acknowledged, an RST
//! that its sender's address did not send; their hints and evidence clauses.

use super::phrases::EndPhrase;
use crate::close::catalog;
use crate::report::cause::{Cause, EndHow, Ending, Unacked};
use crate::units::{article, Ms, Secs};
use crate::vocab::EndKind;
use std::fmt::{self, Formatter};

/// The words of the causes the path under the session shows: a close frame a host without
/// the connection answered, data never acknowledged, an RST its sender did not send.
pub(crate) fn path_words(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    match c {
        Cause::CloseNotRead {
            from,
            code,
            packet,
            rst_packet,
        } => {
            let peer = from.peer();
            let code = match code {
                Some(c) => format!(" {c} ({})", catalog::lookup(*c).name),
                None => String::new(),
            };
            write!(f, "The {from}'s close frame{code} (packet {packet}) reached a {peer} that no longer had the connection: its kernel answered with an RST without ACK (packet {rst_packet}), as a host does for a segment of no connection it knows (RFC 9293 §3.10.7.1), so the {peer}'s application never read it; both applications saw 1006.")
        }
        Cause::CloseNotDelivered {
            from,
            code,
            packet,
            retransmissions,
        } => {
            let peer = from.peer();
            let code = match code {
                Some(c) => format!(" {c} ({})", catalog::lookup(*c).name),
                None => String::new(),
            };
            let s = if *retransmissions == 1 { "" } else { "s" };
            write!(f, "The {from}'s close frame{code} (packet {packet}) was never acknowledged, though its data was sent again {retransmissions} time{s}: it never reached the {peer}, whose application did not see it; both applications saw 1006.")
        }
        Cause::Unacknowledged {
            from,
            first_packet,
            at,
            what,
            retransmissions,
            seconds,
            last_packet,
            peer_next,
            peer_silent_s,
            gave_up,
            gave_up_s,
        } => {
            let peer = from.peer();
            write!(
                f,
                "The path between the {from} and the {peer} died at {at}: the {from}'s "
            )?;
            match what {
                Some(Unacked::Ping) => write!(f, "ping (packet {first_packet})")?,
                Some(Unacked::CloseFrame) => write!(f, "close frame (packet {first_packet})")?,
                Some(Unacked::Message { opcode, size }) => write!(
                    f,
                    "{} message of {size} bytes (packet {first_packet})",
                    opcode.0.name()
                )?,
                None => write!(f, "data (packet {first_packet})")?,
            }
            let s = if *retransmissions == 1 { "" } else { "s" };
            write!(f, " and {retransmissions} retransmission{s} over {} (the last at packet {last_packet}) were never acknowledged", Secs(*seconds))?;
            match peer_next {
                Some(p) => write!(
                    f,
                    "; nothing came from the {peer} for {}, until packet {p}",
                    Secs(*peer_silent_s)
                )?,
                None => write!(
                    f,
                    "; nothing came from the {peer} after it ({} to the end of the capture)",
                    Secs(*peer_silent_s)
                )?,
            }
            match (gave_up, gave_up_s) {
                (Some(e), Some(s)) => write!(
                    f,
                    ". The {from} kept sending into a {peer} that was gone, then gave up: {} {} after the first of that data (its own timeout: a heartbeat, a write deadline or its kernel's retransmission limit), a half-open connection seen from the side that still had it.",
                    EndPhrase(e),
                    Secs(*s)
                ),
                _ => f.write_str("."),
            }
        }
        Cause::WindowClosed {
            reader,
            first_packet,
            probes,
            seconds,
            last_packet,
        } => {
            let sender = reader.peer();
            write!(f, "The {reader} read nothing more: its receive window stayed closed to the end. The {sender}'s zero-window probes from packet {first_packet} to packet {last_packet} ({} over {}) kept being answered with a zero window, so the {reader} was alive and reachable and its application did not read (a slow or stuck reader); the path did not die.", probes + 1, Secs(*seconds))
        }
        Cause::MtuBlackHole {
            from,
            first_packet,
            at,
            segment_bytes,
            largest_acked,
            retransmissions,
            seconds,
            last_packet,
            small_ack,
            sacked,
        } => {
            let peer = from.peer();
            let s = if *retransmissions == 1 { "" } else { "s" };
            write!(f, "Only the {from}'s large segments died, from {at}: its segment of {segment_bytes} bytes (packet {first_packet}) and {retransmissions} retransmission{s} of it over {} (the last at packet {last_packet}) were never acknowledged, while its smaller packets got through: the largest of its segments the {peer} had acknowledged carried {largest_acked} bytes, and its packet {small_ack}, an acknowledgement of the {peer}'s later bytes, reached the {peer} (it did not send them again).", Secs(*seconds))?;
            if let Some(p) = sacked {
                write!(f, " The {peer}'s duplicate acknowledgement (packet {p}) stayed at that segment's start while its SACK blocks (RFC 2018) held bytes the {from} sent after it: they reached the {peer}, the segment did not.")?;
            }
            write!(f, " This is a path MTU black hole (RFC 2923 §2.1): a link between them carries packets smaller than the {from}'s full-size segments, and the ICMP \"fragmentation needed\" (ICMPv6 \"packet too big\") that would have told the {from} to send smaller ones did not reach it; everything the {from} sent after that segment (a ping, a close frame) waited behind it.")
        }
        Cause::MtuBlackHoleReceiver {
            from,
            packet,
            at,
            missing_bytes,
            after_bytes,
            largest_received,
            small_ack,
            last_ack,
            last_packet,
            seconds,
        } => {
            let peer = from.peer();
            let after = if *after_bytes == 0 {
                "acknowledgement without data, whose sequence number was past them,".to_string()
            } else {
                format!("{after_bytes}-byte segment after them")
            };
            write!(f, "The {from}'s large segments never reached the {peer}, from {at}: {missing_bytes} bytes of the {from}'s never arrived, while its {after} did (packet {packet}); the {peer}'s acknowledgements stayed at their start to its last packet ({last_ack}), so the {peer} never had them, and none of the {from}'s segments that reached it carried more than {largest_received} bytes. The {from} was there: its packet {small_ack}, an acknowledgement of the {peer}'s later bytes, got through, and its packets kept coming for {} (to packet {last_packet}), time for its kernel to send the missing bytes again, and none of that reached the {peer}. Seen from the receiver, this is a path MTU black hole (RFC 2923 §2.1): a link between them carries packets smaller than the {from}'s full-size segments, and the ICMP \"fragmentation needed\" (ICMPv6 \"packet too big\") that would have told the {from} to send smaller ones did not reach it; a capture on the {from}'s side shows the retransmissions.", Secs(*seconds))
        }
        Cause::StoppedReading {
            reader,
            zero_packet,
            at,
            seconds,
            probes,
            first_probe,
            last_probe,
            answers,
            reopened,
            end,
            end_after_s,
            end_into_s,
            close_packet,
            close_code,
        } => {
            let sender = reader.peer();
            write!(f, "The {reader} stopped reading at {at}: from packet {zero_packet} its receive window was zero for {} (its receive buffer full, its application reading nothing; RFC 9293 §3.8.6)", Secs(*seconds))?;
            let s = if *probes == 1 { "" } else { "s" };
            match (first_probe, last_probe) {
                (Some(a), Some(b)) if a != b => write!(
                    f,
                    "; the {sender} sent {probes} zero-window probe{s} (packets {a} to {b})"
                )?,
                (Some(a), _) => write!(f, "; the {sender} sent a zero-window probe (packet {a})")?,
                _ => {}
            }
            if *answers > 0 {
                let s = if *answers == 1 { "" } else { "s" };
                write!(f, ", answered {answers} time{s} with a zero window")?;
            }
            f.write_str(".")?;
            match (end, reopened, end_after_s, end_into_s) {
                (Some(e), Some(r), Some(after), _) => {
                    let how = end_how(e);
                    write!(f, " When the {reader} read again (its window update, packet {r}), what the {sender} had queued came at once")?;
                    if let Some(p) = close_packet {
                        match close_code {
                            Some(code) => write!(
                                f,
                                ", with its close frame {code} ({}) at packet {p}",
                                catalog::lookup(*code).name
                            )?,
                            None => write!(f, ", with its close frame at packet {p}")?,
                        }
                    }
                    write!(f, ", and its {how} (packet {}) {} after the update: the {sender} had ended the connection while the {reader} was not reading (its own limit on a reader that takes nothing: a ping timeout, a write deadline, a send-buffer limit; its close code or its log says which).", e.packet, Ms(*after * 1000.0))
                }
                (Some(e), _, _, Some(into)) if e.by == sender => {
                    let how = end_how(e);
                    write!(f, " The {sender} ended the connection with {} {how} (packet {}) {} after the window closed, while the {reader} still read nothing: it gave up on the {reader} (its own ping timeout, write deadline or send-buffer limit).", article(how), e.packet, Secs(*into))
                }
                (Some(e), _, _, Some(into)) => {
                    let how = end_how(e);
                    write!(f, " The {reader} then ended the connection itself with {} {how} (packet {}) {} after its window closed, without reading what the {sender} had queued.", article(how), e.packet, Secs(*into))
                }
                _ => write!(f, " Its window was still closed when the capture ended."),
            }
        }
        Cause::Keepalive {
            by,
            probes,
            first_packet,
            at,
            last_packet,
            interval_s,
            probe_bytes,
            answered,
            last_answer,
            rst_packet,
            then_s,
            ..
        } => {
            let peer = by.peer();
            let what = if *probe_bytes == 0 {
                "a segment with no data"
            } else {
                "a segment with one byte already acknowledged"
            };
            write!(f, "The {by}'s TCP keepalive found the {peer} gone: from {at} it sent {probes} keepalive probes (packets {first_packet} to {last_packet}; each {what}, one byte below its next sequence number), {} apart, and none was answered", Secs(*interval_s))?;
            match (answered, last_answer) {
                (0, _) => {}
                (n, Some(p)) => {
                    let s = if *n == 1 { "" } else { "s" };
                    write!(f, " (the {peer} had answered the {by}'s {n} probe{s} before, the last at packet {p}: it was there then)")?;
                }
                (n, None) => {
                    let s = if *n == 1 { "" } else { "s" };
                    write!(
                        f,
                        " (the {peer} had answered the {by}'s {n} probe{s} before)"
                    )?;
                }
            }
            // The kernel's RST comes one interval after the last probe (Linux: after
            // TCP_KEEPCNT probes); a later one is the application's own.
            match rst_packet {
                Some(r) if *then_s <= interval_s * 1.5 => write!(f, "; {} after the last, one interval on, the {by}'s kernel gave up and reset the connection (RST, packet {r}), as Linux does after TCP_KEEPCNT probes unanswered; the {by}'s application sees the connection fail (ETIMEDOUT).", Secs(*then_s))?,
                Some(r) => write!(f, "; the {by} reset the connection (RST, packet {r}) {} after the last.", Secs(*then_s))?,
                None => write!(f, "; nothing came from the {peer} in the {} to the end of the capture.", Secs(*then_s))?,
            }
            write!(f, " The {peer} vanished without a FIN or RST, or the path to it did (a host that crashed, slept or lost its network, a NAT or firewall that forgot the flow); a capture at either end shows the same, the probes and no answer.")
        }
        Cause::ForeignReset {
            by,
            packet,
            ttl,
            ttl_low,
            ttl_high,
            ip_id,
            id_before,
        } => {
            let usual = ttl_range(*ttl_low, *ttl_high, " to ");
            write!(f, "The RST at packet {packet} claims to come from the {by}, but its TTL is {ttl} and the {by}'s packets before it carry {usual}: it took another way here, so something on the path most likely made it up (a firewall, a load balancer or NAT that lost the flow, an IDS)")?;
            if let (Some(id), Some(before)) = (ip_id, id_before) {
                write!(
                    f,
                    "; its IPv4 ID is {id}, the {by}'s packet before it had {before}"
                )?;
            }
            write!(
                f,
                ". The {by}'s application most likely never ended the connection."
            )
        }
        _ => Ok(()),
    }
}

/// "FIN" or "RST": a TCP ending.
fn end_how(e: &Ending) -> &'static str {
    match e.how {
        EndHow::Tcp(EndKind::Rst) => "RST",
        _ => "FIN",
    }
}

/// "64", or "52 to 64" (`sep` between): the TTLs a side's packets carried.
fn ttl_range(low: u8, high: u8, sep: &str) -> String {
    if low == high {
        low.to_string()
    } else {
        format!("{low}{sep}{high}")
    }
}

/// The advice of a path cause.
pub(crate) fn path_hint(c: &Cause) -> String {
    match c {
        Cause::WindowClosed { reader, .. } => format!("Find why the {reader}'s application stopped reading the connection: a blocked or busy event loop, a handler that never returns, back-pressure it never released, or a consumer slower than what the other side sends; the other side should bound what it queues for a slow {reader} (a send buffer limit, dropping or closing with 1008 or 1013)."),
        Cause::StoppedReading { reader, .. } => format!("Find why the {reader}'s application stopped reading: a blocked or busy event loop, a handler that never returns, a pause (GC, a debugger, a suspended device), or a consumer slower than what the other side sends. If the {reader} is only slow, let it catch up before the other side's ping timeout or write deadline runs out; else have the other side bound what it queues for it and close with 1008 or 1013 instead of dropping it."),
        Cause::MtuBlackHole { from, .. } | Cause::MtuBlackHoleReceiver { from, .. } => format!("Let ICMP \"fragmentation needed\" (IPv4 type 3 code 4) and ICMPv6 \"packet too big\" (type 2) through every firewall on the path, or clamp the TCP MSS on the router before the narrow link (nftables: tcp flags syn tcp option maxseg size set rt mtu; iptables: TCPMSS --clamp-mss-to-pmtu), or lower the MTU of the {from}'s interface to the path's; Linux can also find the path's MTU without ICMP (net.ipv4.tcp_mtu_probing=1, RFC 4821)."),
        Cause::Keepalive { by, last_answer, .. } => {
            let peer = by.peer();
            let when = match last_answer {
                Some(p) => format!("after its last answer (packet {p})"),
                None => "after its last packet".into(),
            };
            format!("Look at the {peer}'s side {when}: a crash or kill, a device that slept or lost its network, a NAT or firewall on the way that dropped the flow. The {by}'s keepalive did its job; to find a vanished {peer} sooner, lower TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT (or set TCP_USER_TIMEOUT), or ping at the WebSocket level and close after a missed pong.")
        }
        Cause::ForeignReset { by, .. } => format!("Find the box between the two that resets connections in the {by}'s name: firewall or IDS rules, a NAT or load balancer whose flow table dropped the connection (an idle timeout there); a capture on the {by}'s own host shows it never sent that RST."),
        _ => "Nothing the peers sent was wrong: the path between them broke. Look at what sits between them (NAT, firewall, load balancer, Wi-Fi or mobile link) at that time, send pings often enough to notice a dead path quickly, and reconnect with backoff.".into(),
    }
}

/// The clause a path cause adds to the evidence line, and its packets.
pub fn path_evidence(c: &Cause) -> Option<(String, Vec<u64>)> {
    match c {
        Cause::Unacknowledged {
            from,
            first_packet,
            retransmissions,
            last_packet,
            ..
        } => Some((
            format!("the {from}'s data from packet {first_packet} and {retransmissions} retransmissions (to packet {last_packet}) were never acknowledged"),
            vec![*first_packet, *last_packet],
        )),
        Cause::WindowClosed {
            reader,
            first_packet,
            last_packet,
            ..
        } => Some((
            format!("the {}'s zero-window probes from packet {first_packet} to packet {last_packet} kept being answered with a zero window: the {reader} read nothing", reader.peer()),
            vec![*first_packet, *last_packet],
        )),
        Cause::MtuBlackHole {
            from,
            first_packet,
            segment_bytes,
            largest_acked,
            last_packet,
            sacked,
            ..
        } => {
            let mut said = format!("the {from}'s {segment_bytes}-byte segment (packet {first_packet}) and its retransmissions (to packet {last_packet}) were never acknowledged; its segments up to {largest_acked} bytes were");
            let mut packets = vec![*first_packet, *last_packet];
            if let Some(p) = sacked {
                said.push_str(&format!("; the {}'s SACK blocks (packet {p}) held its later bytes", from.peer()));
                packets.push(*p);
            }
            Some((said, packets))
        }
        Cause::MtuBlackHoleReceiver {
            from,
            packet,
            missing_bytes,
            largest_received,
            last_ack,
            ..
        } => Some((
            format!("{missing_bytes} bytes of the {from}'s before packet {packet} never reached the {}, its acknowledgements at their start to packet {last_ack}; its segments up to {largest_received} bytes did", from.peer()),
            vec![*packet, *last_ack],
        )),
        Cause::StoppedReading {
            reader,
            zero_packet,
            probes,
            last_probe,
            reopened,
            end,
            ..
        } => {
            let mut clause = format!("the {reader}'s zero window from packet {zero_packet}");
            let mut packets = vec![*zero_packet];
            if let Some(l) = last_probe {
                let s = if *probes == 1 { "" } else { "s" };
                clause.push_str(&format!(", {probes} probe{s} to packet {l}"));
                packets.push(*l);
            }
            if let Some(r) = reopened {
                clause.push_str(&format!(", its window update at packet {r}"));
                packets.push(*r);
            }
            if let Some(e) = end {
                clause.push_str(&format!(", the {}'s {} at packet {}", e.by, end_how(e), e.packet));
                packets.push(e.packet);
            }
            Some((clause, packets))
        }
        Cause::Keepalive {
            by,
            probes,
            first_packet,
            last_packet,
            interval_s,
            rst_packet,
            ..
        } => {
            let mut clause = format!("the {by}'s {probes} keepalive probes (packets {first_packet} to {last_packet}, {} apart) got no answer", Secs(*interval_s));
            let mut packets = vec![*first_packet, *last_packet];
            if let Some(r) = rst_packet {
                clause.push_str(&format!(", then its RST (packet {r})"));
                packets.push(*r);
            }
            Some((clause, packets))
        }
        Cause::ForeignReset {
            by,
            packet,
            ttl,
            ttl_low,
            ttl_high,
            ..
        } => {
            let usual = ttl_range(*ttl_low, *ttl_high, "-");
            Some((
                format!("the RST (packet {packet}) has TTL {ttl}; the {by}'s packets carry {usual}: not sent by the {by}"),
                vec![*packet],
            ))
        }
        _ => None,
    }
}
