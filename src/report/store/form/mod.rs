//! The stored form of a finished connection report (`report::store`'s temporary file),
//! written and read field by field: what every report has (endpoints, handshake, close
//! frames, TCP endings, frame and TCP counts, times) by hand, the rest (the status, TLS,
//! findings, the application, ...: a few per report, or none) as `serial`'s postcard form
//! behind a one-byte tag, except the trail of marks (`trail`: up to 512 a connection, each
//! in a fixed 31 bytes). Never shown to anyone, and no RFC applies.
//!
//! In: a [`ConnectionReport`]. Out: its bytes appended to a buffer ([`append`]), and back
//! ([`read`]). Integers are LEB128 varints, times and seconds eight little-endian bytes,
//! texts length-prefixed UTF-8, options a 0/1 tag, lists a count; texts from a fixed table
//! (catalog names, opcode names) are written as the code they come from and read back as
//! the very same statics, and enums (close problems, a FIN or RST, the transport) as their
//! index. The postcard form
//! took about three times the instructions per report, both ways, through serde's generic
//! visitors. Reading returns `None` on bytes that are not exactly one report (a bug or a
//! damaged file), never panics.

use crate::close::catalog;
use crate::report::CloseHandshake;
use crate::report::{ConnectionReport, HandshakeReport, Host, SeenBy};
use crate::vocab::{
    CloseFrame, Counters, EndKind, Endpoint, FrameRecord, LaterRst, Opcode, PerSide, Problem,
    Stats, TcpEnd, TcpEnds, Transport,
};
use std::net::IpAddr;

mod bytes;
mod trail;
use bytes::{Reader, Writer};

/// Appends `r`'s bytes to `out`. On failure (a text that no table holds where one should)
/// `out` is left as it was.
pub fn append(r: &ConnectionReport, out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let done = report(&mut Writer(out), r);
    if done.is_none() {
        out.truncate(start);
    }
    done
}

/// Reads one report written by [`append`]; `None` unless `bytes` hold exactly one. Its
/// trail is read back when `trail` is true, else passed over (checked, not kept).
pub fn read(bytes: &[u8], trail: bool) -> Option<ConnectionReport> {
    let mut out = Vec::with_capacity(1);
    read_onto(bytes, &mut out, trail)?;
    out.pop()
}

/// [`read`], the report put at the end of `out` (decoded into its room rather than moved
/// there through the calls: a report is over a kilobyte); `out` is left as it was when
/// `bytes` are not exactly one report.
pub fn read_onto(bytes: &[u8], out: &mut Vec<ConnectionReport>, trail: bool) -> Option<()> {
    let mut r = Reader(bytes);
    read_report(&mut r, out, trail)?;
    if !r.0.is_empty() {
        out.pop();
        return None;
    }
    Some(())
}

/// A leg and, after it, its CONNECT (which its serde form leaves out).
fn read_leg(r: &mut Reader<'_>) -> Option<Option<crate::report::legs::LegReport>> {
    let mut leg: Option<crate::report::legs::LegReport> = r.opt_serde()?;
    let connect = r.opt_serde()?;
    if let Some(l) = &mut leg {
        l.connect = connect;
    }
    Some(leg)
}

fn report(w: &mut Writer<'_>, r: &ConnectionReport) -> Option<()> {
    // Every field, named: a field added to the report and not here does not compile.
    let ConnectionReport {
        id,
        input,
        last_input,
        client,
        server,
        tls,
        handshake,
        close_frames,
        tcp_ends,
        transport,
        h2_stream,
        stream_ends,
        status,
        evidence,
        evicted,
        seen_by,
        close_handshake,
        decoded_to_end,
        findings,
        findings_dropped,
        idle_before_end_s,
        first_packet,
        last_packet,
        start,
        end,
        duration_s,
        frames,
        tcp,
        timeline,
        recent_frames,
        frames_not_logged,
        endpoints,
        ws_key,
        other_leg,
        leg,
        application,
        last_words,
        message_heartbeats,
        not_frames,
        encapsulation,
        tunnel,
        // Given when the report is shown (`incident::Links`), never stored.
        incident: _,
        reconnect: _,
        replaces: _,
        replaces_same_host: _,
        seen_at_two_points: _,
        scope,
        outage,
        trail,
        points,
    } = r;
    w.u64(*id);
    w.u64(*input as u64);
    w.u64(*last_input as u64);
    host(w, client);
    host(w, server);
    w.opt_serde(tls)?;
    handshake_report(w, handshake)?;
    w.u64(close_frames.len() as u64);
    for f in close_frames {
        close_frame(w, f)?;
    }
    w.u64(tcp_ends.len() as u64);
    for e in tcp_ends.iter() {
        tcp_end_report(w, e);
    }
    w.bool(*transport == Transport::H2);
    w.opt(h2_stream, |w, &s| w.u64(u64::from(s)));
    w.vec_serde(stream_ends)?;
    w.serde(status)?;
    w.opt_serde(evidence)?;
    w.opt_serde(evicted)?;
    w.opt(&seen_by.client, |w, &c| w.u64(u64::from(c)));
    w.opt(&seen_by.server, |w, &c| w.u64(u64::from(c)));
    w.opt(close_handshake, closing);
    w.bool(decoded_to_end.client);
    w.bool(decoded_to_end.server);
    w.vec_serde(findings)?;
    w.u64(*findings_dropped);
    w.opt(idle_before_end_s, |w, &s| w.f64(s));
    w.u64(*first_packet);
    w.u64(*last_packet);
    w.time(*start);
    w.time(*end);
    w.f64(*duration_s);
    stats(w, &frames.client);
    stats(w, &frames.server);
    counters(w, &tcp.client);
    counters(w, &tcp.server);
    match timeline {
        None => w.0.push(0),
        Some(t) => {
            w.0.push(1);
            frame_records(w, t)?;
        }
    }
    frame_records(w, recent_frames)?;
    w.u64(*frames_not_logged);
    endpoint(w, &endpoints.0);
    endpoint(w, &endpoints.1);
    w.opt_str(ws_key);
    w.opt_u64(*other_leg);
    w.opt_serde(leg)?;
    w.opt_serde(&leg.as_ref().and_then(|l| l.connect.clone()))?;
    w.opt_serde(application)?;
    w.vec_serde(last_words)?;
    w.vec_serde(message_heartbeats)?;
    w.vec_serde(not_frames)?;
    w.opt_serde(encapsulation)?;
    w.opt_serde(tunnel)?;
    w.u64(u64::from(*scope));
    w.opt_serde(outage)?;
    w.opt(trail, |w, t| trail::write(w, t));
    w.opt_serde(points)?;
    Some(())
}

/// Reads a report onto the end of `out` (pushed as it is made, not moved out of an
/// `Option` first).
fn read_report(
    r: &mut Reader<'_>,
    out: &mut Vec<ConnectionReport>,
    keep_trail: bool,
) -> Option<()> {
    out.push(ConnectionReport {
        id: r.u64()?,
        input: r.usize()?,
        last_input: r.usize()?,
        client: read_host(r)?,
        server: read_host(r)?,
        tls: r.opt_serde()?,
        handshake: read_handshake(r)?,
        close_frames: r.vec(read_close_frame)?,
        tcp_ends: TcpEnds::new(r.vec(read_tcp_end)?),
        transport: Transport::of(r.bool()?),
        h2_stream: r.opt(Reader::u32)?,
        stream_ends: r.vec_serde()?,
        status: r.serde()?,
        evidence: r.opt_serde()?,
        evicted: r.opt_serde()?,
        seen_by: SeenBy {
            client: r.opt_u16()?,
            server: r.opt_u16()?,
        },
        close_handshake: r.opt(read_closing)?,
        decoded_to_end: PerSide {
            client: r.bool()?,
            server: r.bool()?,
        },
        findings: r.vec_serde()?,
        findings_dropped: r.u64()?,
        idle_before_end_s: r.opt(Reader::f64)?,
        first_packet: r.u64()?,
        last_packet: r.u64()?,
        start: r.time()?,
        end: r.time()?,
        duration_s: r.f64()?,
        frames: PerSide {
            client: read_stats(r)?,
            server: read_stats(r)?,
        },
        tcp: PerSide {
            client: read_counters(r)?,
            server: read_counters(r)?,
        },
        timeline: r.opt(|r| r.vec(read_frame_record))?,
        recent_frames: r.vec(read_frame_record)?,
        frames_not_logged: r.u64()?,
        endpoints: (read_endpoint(r)?, read_endpoint(r)?),
        ws_key: r.opt_string()?,
        other_leg: r.opt_u64()?,
        leg: read_leg(r)?,
        application: r.opt_serde()?,
        last_words: r.vec_serde()?,
        message_heartbeats: r.vec_serde()?,
        not_frames: r.vec_serde()?,
        encapsulation: r.opt_serde()?,
        tunnel: r.opt_serde()?,
        incident: None,
        reconnect: None,
        replaces: None,
        replaces_same_host: false,
        seen_at_two_points: None,
        scope: r.u64()? as u32,
        outage: r.opt_serde()?,
        trail: if keep_trail {
            r.opt(trail::read)?
        } else {
            r.opt(trail::skip)?;
            None
        },
        points: r.opt_serde()?,
    });
    Some(())
}

fn endpoint(w: &mut Writer<'_>, ep: &Endpoint) {
    match ep.ip() {
        IpAddr::V4(a) => {
            w.0.push(4);
            w.0.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            w.0.push(6);
            w.0.extend_from_slice(&a.octets());
        }
    }
    w.0.extend_from_slice(&ep.port.to_le_bytes());
}

fn read_endpoint(r: &mut Reader<'_>) -> Option<Endpoint> {
    let ep = match r.byte()? {
        4 => {
            let (a, rest) = r.0.split_first_chunk::<4>()?;
            r.0 = rest;
            (u32::from_be_bytes(*a), None)
        }
        6 => {
            let (a, rest) = r.0.split_first_chunk::<16>()?;
            r.0 = rest;
            (0, Some(u128::from_be_bytes(*a)))
        }
        _ => return None,
    };
    let (p, rest) = r.0.split_first_chunk::<2>()?;
    r.0 = rest;
    let port = u16::from_le_bytes(*p);
    Some(match ep {
        (v4, None) => Endpoint::v4(v4, port),
        (_, Some(v6)) => Endpoint::v6(v6, port),
    })
}

fn host(w: &mut Writer<'_>, h: &Host) {
    match h {
        Host::Addr(ep) => {
            w.0.push(0);
            endpoint(w, ep);
        }
        Host::Named(name) => {
            w.0.push(1);
            w.str(name);
        }
    }
}

fn read_host(r: &mut Reader<'_>) -> Option<Host> {
    match r.byte()? {
        0 => read_endpoint(r).map(Host::Addr),
        1 => r.string().map(Host::Named),
        _ => None,
    }
}

fn handshake_report(w: &mut Writer<'_>, h: &HandshakeReport) -> Option<()> {
    let HandshakeReport {
        seen,
        host,
        path,
        status,
        subprotocol,
        extensions,
        accept_valid,
        request_packet,
        response_packet,
        deflate,
        cut,
        proxy_product,
        request_proxy_product,
        client_mark,
    } = h;
    w.bool(*seen);
    w.opt_str(host);
    w.opt_str(path);
    w.opt(status, |w, &s| w.u64(u64::from(s)));
    w.opt_str(subprotocol);
    w.opt_str(extensions);
    w.opt(accept_valid, |w, &b| w.bool(b));
    w.opt_u64(*request_packet);
    w.opt_u64(*response_packet);
    w.bool(*deflate);
    w.opt_str(cut);
    w.opt_serde(proxy_product)?;
    w.opt_serde(request_proxy_product)?;
    w.u64(u64::from(*client_mark));
    Some(())
}

fn read_handshake(r: &mut Reader<'_>) -> Option<HandshakeReport> {
    Some(HandshakeReport {
        seen: r.bool()?,
        host: r.opt_string()?,
        path: r.opt_string()?,
        status: r.opt_u16()?,
        subprotocol: r.opt_string()?,
        extensions: r.opt_string()?,
        accept_valid: r.opt(Reader::bool)?,
        request_packet: r.opt_u64()?,
        response_packet: r.opt_u64()?,
        deflate: r.bool()?,
        cut: r.opt_string()?,
        proxy_product: r.opt_serde()?,
        request_proxy_product: r.opt_serde()?,
        client_mark: r.u64()? as u32,
    })
}

fn close_frame(w: &mut Writer<'_>, f: &CloseFrame) -> Option<()> {
    let CloseFrame {
        from,
        code,
        name,
        reason,
        payload_len,
        packet,
        time,
        problems,
        order,
        mask_key,
    } = f;
    w.role(*from);
    w.opt(code, |w, &c| w.u64(u64::from(c)));
    // The name as the first code of its catalog row (usually the frame's own code's).
    let row = match name {
        None => None,
        Some(n) => match code
            .map(catalog::lookup)
            .filter(|e| std::ptr::eq(e.name, *n))
        {
            Some(e) => Some(e.first),
            None => Some(
                catalog::ENTRIES
                    .iter()
                    .find(|e| std::ptr::eq(e.name, *n))?
                    .first,
            ),
        },
    };
    w.opt(&row, |w, &c| w.u64(u64::from(c)));
    w.str(reason);
    w.u64(*packet);
    w.time(*time);
    w.u64(problems.len() as u64);
    for p in problems {
        let i = Problem::ALL.iter().position(|x| x == p)?;
        w.u64(i as u64);
    }
    w.opt(mask_key, |w, k| w.u64(u64::from(u32::from_be_bytes(*k))));
    w.u64(*payload_len);
    w.u64(*order);
    Some(())
}

fn read_close_frame(r: &mut Reader<'_>) -> Option<CloseFrame> {
    Some(CloseFrame {
        from: r.role()?,
        code: r.opt_u16()?,
        name: r.opt_u16()?.map(|c| catalog::lookup(c).name),
        reason: r.string()?,
        packet: r.u64()?,
        time: r.time()?,
        problems: r.vec(|r| Problem::ALL.get(r.usize()?).copied())?,
        mask_key: r
            .opt(|r| u32::try_from(r.u64()?).ok())?
            .map(u32::to_be_bytes),
        payload_len: r.u64()?,
        order: r.u64()?,
    })
}

fn tcp_end_report(w: &mut Writer<'_>, e: &TcpEnd) {
    let TcpEnd {
        by,
        kind,
        packet,
        time,
        rst_after_fin,
    } = e;
    w.role(*by);
    w.bool(*kind == EndKind::Rst);
    w.u64(*packet);
    w.time(*time);
    w.opt(rst_after_fin, |w, l| {
        w.u64(l.packet);
        w.time(l.time);
    });
}

fn read_tcp_end(r: &mut Reader<'_>) -> Option<TcpEnd> {
    let by = r.role()?;
    let kind = if r.bool()? {
        EndKind::Rst
    } else {
        EndKind::Fin
    };
    let (packet, time) = (r.u64()?, r.time()?);
    let later = r.opt(|r| Some(LaterRst::new(r.u64()?, r.time()?)))?;
    Some(TcpEnd::new(by, kind, packet, time, later))
}

fn closing(w: &mut Writer<'_>, h: &CloseHandshake) {
    let CloseHandshake {
        initiator,
        reply,
        reply_code,
        reply_may_be_missing,
        echoed,
        reply_after_s,
        tcp_closed_first_by,
    } = h;
    w.role(*initiator);
    w.bool(*reply);
    w.opt(reply_code, |w, &c| w.u64(u64::from(c)));
    w.bool(*reply_may_be_missing);
    w.bool(*echoed);
    w.opt(reply_after_s, |w, &s| w.f64(s));
    w.opt(tcp_closed_first_by, |w, &r| w.role(r));
}

fn read_closing(r: &mut Reader<'_>) -> Option<CloseHandshake> {
    Some(CloseHandshake {
        initiator: r.role()?,
        reply: r.bool()?,
        reply_code: r.opt_u16()?,
        reply_may_be_missing: r.bool()?,
        echoed: r.bool()?,
        reply_after_s: r.opt(Reader::f64)?,
        tcp_closed_first_by: r.opt(Reader::role)?,
    })
}

fn stats(w: &mut Writer<'_>, s: &Stats) {
    let Stats {
        frames,
        messages,
        text_messages,
        binary_messages,
        compressed_messages,
        pings,
        pongs,
        payload_bytes,
        largest_message,
        last_frame,
        last_non_close,
        last_ping,
        last_pong,
        largest_frame,
        last_message,
        prev_frame,
    } = s;
    for v in [
        frames,
        messages,
        text_messages,
        binary_messages,
        compressed_messages,
        pings,
        pongs,
        payload_bytes,
    ] {
        w.u64(*v);
    }
    w.opt(largest_message, |w, &(a, b)| {
        w.u64(a);
        w.u64(b);
    });
    for mark in [last_frame, last_non_close, last_ping, last_pong, prev_frame] {
        w.opt(mark, |w, &(p, t)| {
            w.u64(p);
            w.time(t);
        });
    }
    w.opt(largest_frame, |w, &(a, b, op)| {
        w.u64(a);
        w.u64(b);
        w.0.push(op.0);
    });
    w.opt(last_message, |w, &(op, a, b)| {
        w.0.push(op.0);
        w.u64(a);
        w.u64(b);
    });
}

fn read_stats(r: &mut Reader<'_>) -> Option<Stats> {
    let mark = |r: &mut Reader<'_>| r.opt(|r| Some((r.u64()?, r.time()?)));
    Some(Stats {
        frames: r.u64()?,
        messages: r.u64()?,
        text_messages: r.u64()?,
        binary_messages: r.u64()?,
        compressed_messages: r.u64()?,
        pings: r.u64()?,
        pongs: r.u64()?,
        payload_bytes: r.u64()?,
        largest_message: r.opt(|r| Some((r.u64()?, r.u64()?)))?,
        last_frame: mark(r)?,
        last_non_close: mark(r)?,
        last_ping: mark(r)?,
        last_pong: mark(r)?,
        prev_frame: mark(r)?,
        largest_frame: r.opt(|r| Some((r.u64()?, r.u64()?, Opcode(r.byte()?))))?,
        last_message: r.opt(|r| Some((Opcode(r.byte()?), r.u64()?, r.u64()?)))?,
    })
}

fn counters(w: &mut Writer<'_>, c: &Counters) {
    let Counters {
        bytes,
        segments,
        retransmissions,
        out_of_order,
        gaps,
        missing_bytes,
        inconsistencies,
        after_fin,
        implausible,
    } = c;
    for v in [
        bytes,
        segments,
        retransmissions,
        out_of_order,
        gaps,
        missing_bytes,
        inconsistencies,
        after_fin,
        implausible,
    ] {
        w.u64(*v);
    }
}

fn read_counters(r: &mut Reader<'_>) -> Option<Counters> {
    Some(Counters {
        bytes: r.u64()?,
        segments: r.u64()?,
        retransmissions: r.u64()?,
        out_of_order: r.u64()?,
        gaps: r.u64()?,
        missing_bytes: r.u64()?,
        inconsistencies: r.u64()?,
        after_fin: r.u64()?,
        implausible: r.u64()?,
    })
}

fn frame_records(w: &mut Writer<'_>, frames: &[FrameRecord]) -> Option<()> {
    w.u64(frames.len() as u64);
    for f in frames {
        let FrameRecord {
            packet,
            ts,
            order,
            from,
            opcode,
            fin,
            rsv,
            masked,
            len,
            detail,
        } = f;
        w.u64(*packet);
        w.time(*ts);
        w.u64(*order);
        w.role(*from);
        w.0.push(opcode.0);
        w.bool(*fin);
        w.0.push(*rsv);
        w.bool(*masked);
        w.u64(*len);
        w.opt_str(detail);
    }
    Some(())
}

fn read_frame_record(r: &mut Reader<'_>) -> Option<FrameRecord> {
    Some(FrameRecord {
        packet: r.u64()?,
        ts: r.time()?,
        order: r.u64()?,
        from: r.role()?,
        opcode: match r.byte()? {
            b @ 0..16 => Opcode(b),
            _ => return None,
        },
        fin: r.bool()?,
        rsv: r.byte()?,
        masked: r.bool()?,
        len: r.u64()?,
        detail: r.opt_string()?,
    })
}

#[cfg(test)]
mod tests;
