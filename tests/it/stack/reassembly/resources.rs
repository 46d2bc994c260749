//! Scenarios 25-28 of docs/reassembly.md: memory, time and segment size: a flood of far-ahead
//! segments is capped, idle timeouts and the capture end flush in order, clocks that step
//! back or skew between merged captures, offloaded segments of 64 and 200 KiB.

use super::*;
use wsclose::vocab::TcpEndName;

/// The server's 200 000-byte binary frame and close, its first 100 payload bytes lost and
/// the rest in 150-byte segments that all wait behind the hole until a cap forces a gap.
/// Returns the report and the packet numbers of the flood.
fn flood(opts: Options) -> (Report, Vec<u64>, usize) {
    let mut s = Session::new(41025, 8080);
    s.open();
    let f = [
        binary(Server, &pattern(200_000)),
        close(Server, 1000, "after the flood"),
    ]
    .concat();
    assert_eq!(s.send(Server, &f[..10]), 6);
    s.lose(Server, &f[10..110]);
    let pkts = s.send_chunks(Server, &f[110..], 150);
    s.send(Client, &close(Client, 1000, "after the flood"));
    s.fins(Server);
    (analyze_timed(LinkType::RAW, &s.pkts, opts), pkts, f.len())
}

#[test]
fn s25_flood_of_far_ahead_segments_is_capped_and_forces_a_gap() {
    // The assembler alone: far-ahead segments, 10 bytes each with holes between them,
    // never filling the hole at 2; at most 8 may wait.
    let mut h = Half::syn(u32::MAX - 9);
    h.limits = Limits {
        max_pending_bytes: 1000,
        max_pending_ranges: 8,
    };
    h.seg(0, b"ab");
    let at = |i: u64| 1_000_000 + i * 20;
    for i in 0..100u64 {
        h.seg(at(i), &[i as u8; 10]);
        let waiting = (0..=i).filter(|&j| at(j) >= h.h.frontier()).count();
        assert!(waiting <= 8, "{waiting} segments wait after segment {i}");
    }
    assert!(h.h.cap_hit);
    h.flush();
    assert_eq!(h.out.bytes.len() as u64, at(99) + 10);
    assert_eq!(h.out.gaps.len(), 100);
    assert_eq!(h.out.gaps[0], (2, at(0) - 2));
    for i in 0..100u64 {
        assert_eq!(h.out.bytes[at(i) as usize], Some(i as u8));
    }

    // The pipeline, at the default range cap (1024 waiting segments) and with a 64 KiB cap.
    let small = Options {
        limits: Limits {
            max_pending_bytes: 64 << 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    for (opts, held) in [(Options::default(), 1025), (small, 437)] {
        let (r, pkts, len) = flood(opts);
        let c = only(&r);
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(pkts[held as usize - 1])),
                (
                    Kind::TruncatedMessage,
                    Some(Server),
                    Some(pkts[held as usize - 1])
                ),
                (Kind::BufferCapHit, None, Some(pkts[held as usize - 1]))
            ],
            "cap at {held}"
        );
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "after the flood", *pkts.last().unwrap()),
                cl(Client, 1000, "after the flood", *pkts.last().unwrap() + 1)
            ]
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: held,
                gaps: 1,
                missing_bytes: 100,
                ..clean(response(false).len() + len - 100)
            }
        );
    }
}

#[test]
fn s26_idle_timeout_and_capture_end_flush_pending_data_in_order_with_gaps() {
    let flight = [
        binary(Server, &pattern(3000)),
        text(Server, "tail"),
        close(Server, 1000, "flushed"),
    ]
    .concat();
    // Two holes (200 and 100 bytes inside the binary payload); nothing acknowledges them.
    let holes = |s: &mut Session| {
        s.send(Server, &flight[..500]);
        s.lose(Server, &flight[500..700]);
        s.send(Server, &flight[700..1500]);
        s.lose(Server, &flight[1500..1600]);
    };
    // A: packets 1-8, then nothing. B: starts 1 s later; its last packet comes 120 s
    // later, past A's idle timeout, and the capture ends with B's holes pending.
    let mut a = Session::new(41026, 8080);
    a.open();
    holes(&mut a);
    assert_eq!(a.send(Server, &flight[1600..]), 8);
    let mut b = Session::new(41126, 8080);
    b.clock = Timestamp(T0.0 + 1_000_000_000);
    b.open();
    holes(&mut b);
    b.clock = Timestamp(b.clock.0 + 120_000_000_000);
    b.send(Server, &flight[1600..]);
    let pkts = [a.pkts, b.pkts].concat();
    let opts = Options {
        idle_timeout_s: 60,
        ..Options::default()
    };
    let r = analyze_timed(LinkType::RAW, &pkts, opts);
    assert_eq!(r.connections.len(), 2, "{:#?}", r.connections);
    assert_eq!(r.seen.evicted_flows, 1);
    for (c, close_pkt) in r.connections.iter().zip([8, 16]) {
        assert_eq!(closes(c), vec![cl(Server, 1000, "flushed", close_pkt)]);
        assert_eq!(c.status.code, Some(1000));
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), None),
                (Kind::TruncatedMessage, Some(Server), None),
                (Kind::Gap, Some(Server), None),
                (Kind::TruncatedMessage, Some(Server), None)
            ]
        );
        let f = c.frames.server;
        assert_eq!(
            (f.frames, f.text_messages),
            (3, 1),
            "the text after the holes"
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 2,
                missing_bytes: 300,
                ..clean(response(false).len() + flight.len() - 300)
            }
        );
    }
    assert_eq!(r.connections[0].last_packet, 8);
}

/// A full session: the upgrade, a text each way, close `code` each way, FINs (11 packets).
fn full_session(port: u16, code: u16, clock: Timestamp) -> Session {
    let mut s = Session::new(port, 8080);
    s.clock = clock;
    s.open();
    s.send(Server, &text(Server, "hello"));
    s.send(Client, &close(Client, code, "merged"));
    s.send(Server, &close(Server, code, "merged"));
    s.fins(Client);
    s
}

#[test]
fn s27_clock_stepping_back_inside_one_flow_keeps_it_whole() {
    let mut s = Session::new(41027, 8080);
    s.open();
    s.clock = Timestamp(T0.0 + 3_600_000_000_000);
    s.send(Server, &text(Server, "from an hour ahead"));
    s.clock = Timestamp(T0.0 + 10_000_000);
    s.send(Client, &close(Client, 1000, "back"));
    s.send(Server, &close(Server, 1000, "back"));
    s.fins(Client);
    let r = analyze_timed(LinkType::RAW, &s.pkts, Options::default());
    let c = only(&r);
    assert!(c.handshake.seen);
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "back", 7), cl(Server, 1000, "back", 8)]
    );
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by()),
        (TcpEndName::Fin, Some(Client))
    );
    assert_eq!(findings(c), vec![]);
    assert_eq!(r.seen.evicted_flows, 0);
}

#[test]
fn s27_merged_captures_with_skewed_clocks_keep_active_flows() {
    // Two captures merged packet by packet once A's upgrade is done; B's clock is an hour
    // ahead, so every other packet goes back in time.
    merged_captures(T0, Timestamp(T0.0 + 3_600_000_000_000));
    // The same with A's clock an hour ahead: the clock starts an hour ahead and B's
    // packets, all an hour behind it, keep B active.
    merged_captures(Timestamp(T0.0 + 3_600_000_000_000), T0);
}

/// Sessions A (from `a_clock`) and B (from `b_clock`), a packet every 2 s (so the
/// analyzer sweeps for idle flows between packets), merged packet by packet once A's
/// upgrade is done: both are reported whole, neither is evicted.
fn merged_captures(a_clock: Timestamp, b_clock: Timestamp) {
    let mut a = full_session(41027, 1000, a_clock);
    let mut b = full_session(41127, 4000, b_clock);
    for (s, start) in [(&mut a, a_clock), (&mut b, b_clock)] {
        for (i, p) in s.pkts.iter_mut().enumerate() {
            p.ts = Timestamp(start.0 + i as i64 * 2_000_000_000);
        }
    }
    let mut pkts: Vec<Pkt> = a.pkts[..5].to_vec();
    for (x, y) in a.pkts[5..].iter().zip(&b.pkts) {
        pkts.extend([x.clone(), y.clone()]);
    }
    pkts.extend_from_slice(&b.pkts[a.pkts.len() - 5..]);
    // Where packet `id` of the session on `port` went in the merged capture.
    let at = |port: u16, id: u64| -> u64 {
        let s = if port == 41027 { &a } else { &b };
        let data = &s.pkts[id as usize - 1].data;
        pkts.iter().position(|p| &p.data == data).unwrap() as u64 + 1
    };
    let r = analyze_timed(LinkType::RAW, &pkts, Options::default());
    assert_eq!(r.connections.len(), 2, "{:#?}", r.connections);
    assert_eq!((r.seen.tcp_connections, r.seen.evicted_flows), (2, 0));
    for (c, (port, code)) in r.connections.iter().zip([(41027, 1000), (41127, 4000)]) {
        assert_eq!(c.client, format!("10.0.0.1:{port}"));
        assert_eq!(c.first_packet, at(port, 1));
        assert!(c.handshake.seen);
        assert_eq!(
            closes(c),
            vec![
                cl(Client, code, "merged", at(port, 7)),
                cl(Server, code, "merged", at(port, 8))
            ]
        );
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by()),
            (TcpEndName::Fin, Some(Client))
        );
        assert_eq!(findings(c), vec![]);
    }
}

/// `bytes` from `from` in one segment whose IPv4 total length is 0, as GRO/TSO hands a
/// segment larger than 64 KiB to a loopback capture.
fn send_gro(s: &mut Session, from: Role, bytes: &[u8]) -> u64 {
    let seq = s.next[side(from)];
    let ip = if s.link == LinkType::ETHERNET { 14 } else { 0 };
    let n = s.emit(from, 0, seq, &[], None);
    let p = &mut s.pkts[n as usize - 1];
    p.data[ip + 2..ip + 4].copy_from_slice(&[0, 0]);
    p.data.extend_from_slice(bytes);
    p.orig_len = p.data.len() as u32;
    s.next[side(from)] = seq.wrapping_add(bytes.len() as u32);
    n
}

#[test]
fn s28_offloaded_64_kib_and_200_kib_segments_are_not_truncated() {
    // 65 495 bytes: the most an IPv4 total length of 65 535 carries after two headers.
    let mut s = Session::new(41028, 8080).ethernet();
    s.open();
    let sb = binary(Server, &pattern(200_000));
    let cb = binary(Client, &pattern(100_000));
    let spk = s.send_chunks(Server, &sb, 65_495);
    let cpk = s.send_chunks(Client, &cb, 65_495);
    let sc = s.send(Server, &close(Server, 1000, "big"));
    s.send(Client, &close(Client, 1000, "big"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1000, "big", sc), cl(Client, 1000, "big", sc + 1)]
    );
    assert_eq!(
        c.frames.server.largest_message,
        Some((200_000, *spk.last().unwrap()))
    );
    assert_eq!(
        c.frames.client.largest_message,
        Some((100_000, *cpk.last().unwrap()))
    );
    assert_eq!(findings(c), vec![]);
    let close_len = close(Server, 1000, "big").len();
    assert_eq!(
        tcp(c.tcp.server),
        clean(response(false).len() + sb.len() + close_len)
    );

    // 200 KiB segments with IPv4 total length 0 (GRO on loopback).
    let mut s = Session::new(41028, 8080).ethernet();
    s.open();
    let sb = binary(Server, &pattern(600_000));
    let spk: Vec<u64> = sb
        .chunks(200 << 10)
        .map(|b| send_gro(&mut s, Server, b))
        .collect();
    assert_eq!(spk.len(), 3);
    assert!(s.pkts[spk[0] as usize - 1].data.len() > 200 << 10);
    let cb = binary(Client, &pattern(300_000));
    let cpk = send_gro(&mut s, Client, &cb);
    let sc = send_gro(&mut s, Server, &close(Server, 1000, "gro"));
    s.send(Client, &close(Client, 1000, "gro"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1000, "gro", sc), cl(Client, 1000, "gro", sc + 1)]
    );
    assert_eq!(c.frames.server.largest_message, Some((600_000, spk[2])));
    assert_eq!(c.frames.client.largest_message, Some((300_000, cpk)));
    assert_eq!(findings(c), vec![]);
    for t in [c.tcp.client, c.tcp.server] {
        assert_eq!((t.gaps, t.missing_bytes), (0, 0));
    }
    assert_eq!(
        c.tcp.server.bytes as usize,
        response(false).len() + sb.len() + close(Server, 1000, "gro").len()
    );
}
