//! Scenarios 8-12 of docs/reassembly.md: where streams start and who is the client: captures
//! starting mid-stream, a lost SYN, data before the SYN, ISNs at the 2^32 wrap (RFC 9293
//! §3.4), a stream longer than 4 GiB.

use super::*;
use wsclose::vocab::TcpEndName;

#[test]
fn s08_capture_starting_mid_stream_is_partial_and_found_by_probe() {
    let before = [request().len(), response(false).len()];
    for (ci, si) in isn_pairs(before[0], before[1]) {
        let mut h = Half::midstream(si.wrapping_add(1000));
        h.seg(0, b"mid");
        h.seg(3, b"stream");
        assert!(h.h.partial);
        assert_eq!(h.text(), "midstream");
        assert!(h.out.gaps.is_empty());

        let mut s = Session::new(41008, 8080).isns(ci, si);
        s.open();
        let st = text(Server, "mid");
        let ct = text(Client, "stream");
        let cc = close(Client, 1001, "away");
        let sc = close(Server, 1001, "away");
        for (from, bytes) in [(Server, &st), (Client, &ct), (Client, &cc), (Server, &sc)] {
            s.send(from, bytes);
        }
        s.fins(Server);
        // The capture starts after the upgrade: no SYN, no handshake.
        let r = analyze(LinkType::RAW, &s.pkts[5..]);
        let c = only(&r);
        let ctx = format!("isns {ci}/{si}");
        assert_eq!(c.client, "10.0.0.1:41008", "{ctx}");
        assert!(!c.handshake.seen);
        assert_eq!(
            findings(c),
            vec![(Kind::HandshakeNotCaptured, None, Some(1))],
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1001, "away", 3), cl(Server, 1001, "away", 4)],
            "{ctx}"
        );
        assert_eq!(c.status.code, Some(1001));
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by()),
            (TcpEndName::Fin, Some(Server))
        );
        assert_eq!(tcp(c.tcp.client), clean(ct.len() + cc.len()), "{ctx}");
        assert_eq!(tcp(c.tcp.server), clean(st.len() + sc.len()), "{ctx}");
        assert_eq!(
            (c.frames.client.text_messages, c.frames.server.text_messages),
            (1, 1)
        );
    }
}

#[test]
fn s08_capture_starting_mid_stream_with_its_first_segments_reordered_loses_nothing() {
    let before = [request().len(), response(false).len()];
    for (ci, si) in isn_pairs(before[0], before[1]) {
        let mut s = Session::new(41008, 8080).isns(ci, si);
        s.open();
        let st = text(Server, "mid");
        let ct = text(Client, "stream");
        let cc = close(Client, 1001, "away");
        let sc = close(Server, 1001, "away");
        for (from, bytes) in [(Server, &st), (Client, &ct), (Client, &cc), (Server, &sc)] {
            s.send(from, bytes);
        }
        s.fins(Server);
        // No SYN, no handshake, and the client's close is captured before its text: the
        // close may not fix the start of the client's stream, or the text is lost.
        let order = [6, 8, 7, 9, 10, 11, 12];
        let ctx = format!("isns {ci}/{si}");
        let r = reordered(&s, &order);
        let c = only(&r);
        assert_eq!(c.client, "10.0.0.1:41008", "{ctx}");
        assert!(!c.handshake.seen);
        assert_eq!(
            findings(c),
            vec![(Kind::HandshakeNotCaptured, None, Some(1))],
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1001, "away", 2), cl(Server, 1001, "away", 4)],
            "{ctx}"
        );
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by()),
            (TcpEndName::Fin, Some(Server))
        );
        assert_eq!(
            tcp(c.tcp.client),
            Counters {
                out_of_order: 1,
                ..clean(ct.len() + cc.len())
            },
            "{ctx}"
        );
        assert_eq!(tcp(c.tcp.server), clean(st.len() + sc.len()), "{ctx}");
        assert_eq!(
            (c.frames.client.text_messages, c.frames.server.text_messages),
            (1, 1),
            "{ctx}"
        );
    }
}

/// A session whose client uses the lower port (so "the higher port is the client" would be
/// wrong): the upgrade, a close 1000 from each side, FINs.
fn low_port_client(ci: u32, si: u32) -> Session {
    let mut s = Session::new(1025, 40009).isns(ci, si);
    s.open();
    s.send(Client, &close(Client, 1000, "roles"));
    s.send(Server, &close(Server, 1000, "roles"));
    s.fins(Client);
    s
}

#[test]
fn s09_syn_lost_or_syn_ack_before_syn_gives_the_right_roles() {
    for (ci, si) in isn_pairs(0, 0) {
        let ctx = format!("isns {ci}/{si}");
        // The SYN is not in the capture.
        let s = low_port_client(ci, si);
        let r = analyze(LinkType::RAW, &s.pkts[1..]);
        let c = only(&r);
        assert_eq!(
            (c.client.to_string(), c.server.to_string()),
            ("10.0.0.1:1025".to_string(), "10.0.0.2:40009".to_string()),
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "roles", 5), cl(Server, 1000, "roles", 6)],
            "{ctx}"
        );
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by()),
            (TcpEndName::Fin, Some(Client))
        );
        assert_eq!(findings(c), vec![], "{ctx}");
        assert!(c.handshake.seen);

        // The SYN/ACK is captured before the SYN.
        let mut pkts = s.pkts.clone();
        pkts.swap(0, 1);
        let r = analyze(LinkType::RAW, &pkts);
        assert_eq!(r.seen.tcp_connections, 1, "{ctx}: no port reuse");
        let c = only(&r);
        assert_eq!(c.first_packet, 1);
        assert_eq!(
            (c.client.to_string(), c.server.to_string()),
            ("10.0.0.1:1025".to_string(), "10.0.0.2:40009".to_string()),
            "{ctx}"
        );
        assert_eq!(
            closes(c),
            vec![cl(Client, 1000, "roles", 6), cl(Server, 1000, "roles", 7)],
            "{ctx}"
        );
        assert_eq!(findings(c), vec![], "{ctx}");
        assert_eq!((tcp(c.tcp.client).gaps, tcp(c.tcp.server).gaps), (0, 0));
    }
}

/// A session whose request is sent in two segments (packets 4 and 5); the 101 is packet 6,
/// the closes 7 (client, 4000) and 8.
fn split_request_session(ci: u32, si: u32) -> Session {
    let mut s = Session::new(41010, 8080).isns(ci, si);
    s.handshake();
    s.send_split(Client, &request(), &[30]);
    s.send(Server, &response(false));
    s.send(Client, &close(Client, 4000, "early data"));
    s.send(Server, &close(Server, 4000, "early data"));
    s.fins(Client);
    s
}

/// What a reordered [`split_request_session`] must still report: the handshake, both
/// closes (at `closes_at`, their packet numbers in the reordered capture), nothing missing.
fn check_early_data(r: &Report, request_packet: u64, closes_at: [u64; 2], ctx: &str) {
    assert_eq!(r.seen.tcp_connections, 1, "{ctx}");
    let c = only(r);
    assert!(c.handshake.seen, "{ctx}");
    assert_eq!(c.handshake.request_packet, Some(request_packet), "{ctx}");
    assert_eq!(c.handshake.status, Some(101));
    assert_eq!(
        closes(c),
        vec![
            cl(Client, 4000, "early data", closes_at[0]),
            cl(Server, 4000, "early data", closes_at[1])
        ],
        "{ctx}"
    );
    assert_eq!(findings(c), vec![], "{ctx}");
    assert_eq!(tcp(c.tcp.client).gaps, 0);
    assert_eq!(
        c.tcp.client.bytes as usize,
        request().len() + close(Client, 4000, "early data").len()
    );
}

#[test]
fn s10_whole_request_before_the_syn_is_kept() {
    for (ci, si) in isn_pairs(0, 0) {
        let s = split_request_session(ci, si);
        // Both request segments first, then SYN, SYN/ACK, ACK, the rest.
        let order = [4, 5, 1, 2, 3, 6, 7, 8, 9, 10, 11];
        let r = reordered(&s, &order);
        check_early_data(&r, 2, [7, 8], &format!("isns {ci}/{si}"));
    }
}

#[test]
fn s10_data_before_the_syn_is_buffered_and_released() {
    for (ci, si) in isn_pairs(0, 0) {
        let ctx = format!("isns {ci}/{si}");
        let mut h = Half::midstream(ci.wrapping_add(4));
        h.seg(0, b"defg");
        h.h.syn(ci);
        h.base = ci.wrapping_add(1);
        h.seg(0, b"abc");
        assert_eq!(h.text(), "abcdefg", "{ctx}");

        let s = split_request_session(ci, si);
        // The request's second segment first, then SYN, SYN/ACK, ACK, its first segment.
        let order = [5, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11];
        let r = reordered(&s, &order);
        check_early_data(&r, 1, [7, 8], &ctx);
    }
}

#[test]
fn s11_isn_near_wrap_with_out_of_order_segment_past_it() {
    let before = response(false).len();
    for (ci, si) in isn_pairs(0, before + 700) {
        // Offset of the server's flight at which its sequence numbers wrap, if inside it.
        let flight = [
            binary(Server, &pattern(2000)),
            close(Server, 1000, "wrapped"),
        ]
        .concat();
        let first = si.wrapping_add(1 + before as u32);
        let w = 0u32.wrapping_sub(first) as usize;
        let w = if (300..flight.len() - 300).contains(&w) {
            w
        } else {
            1000
        };
        // A segment ending at the wrap, then one crossing it; the piece after each first.
        for cuts in [[w - 200, w, w + 200], [w - 200, w + 100, w + 250]] {
            let order = [0, 2, 1, 3];
            let ctx = format!("isns {ci}/{si} cuts {cuts:?}");

            let mut h = Half::syn(si);
            h.seg(0, &flight[..cuts[0]]);
            h.seg(cuts[1] as u64, &flight[cuts[1]..cuts[2]]);
            assert_eq!(h.out.bytes.len(), cuts[0], "{ctx}");
            h.seg(cuts[0] as u64, &flight[cuts[0]..cuts[1]]);
            h.seg(cuts[2] as u64, &flight[cuts[2]..]);
            assert_eq!(h.bytes(), flight, "{ctx}");

            let mut s = Session::new(41011, 8080).isns(ci, si);
            s.open();
            let pkts = send_pieces(&mut s, Server, &flight, &cuts, &order);
            let reply = s.send(Client, &close(Client, 1000, "wrapped"));
            s.fins(Server);
            let r = s.analyze();
            let c = only(&r);
            assert_eq!(
                closes(c),
                vec![
                    cl(Server, 1000, "wrapped", pkts[3]),
                    cl(Client, 1000, "wrapped", reply)
                ],
                "{ctx}"
            );
            assert_eq!(c.frames.server.largest_message, Some((2000, pkts[3])));
            assert_eq!(findings(c), vec![], "{ctx}");
            assert_eq!(
                tcp(c.tcp.server),
                Counters {
                    out_of_order: 1,
                    ..clean(before + flight.len())
                },
                "{ctx}"
            );
        }
    }
}

#[test]
fn s12_stream_longer_than_4_gib_keeps_offsets_growing() {
    // 66 080 segments of 65 000 bytes: 4 295 200 000 bytes, past 2^32. One payload buffer
    // is reused for every segment; nothing is written to disk.
    const CHUNK: usize = 65_000;
    const N: u64 = 66_080;
    const LEN: u64 = N * CHUNK as u64;
    const _: () = assert!(LEN > 1 << 32);
    let payload = pattern(CHUNK);

    // The assembler alone, the last two segments swapped (held and released past 4 GiB).
    for isn in ISNS {
        let mut h = HalfStream::new();
        h.syn(isn);
        let base = isn.wrapping_add(1);
        let limits = Limits::default();
        let (mut delivered, mut gaps, mut tail_checked) = (0u64, 0u64, 0);
        let mut out = |e: Event<'_>| match e {
            Event::Data { offset, bytes, .. } => {
                assert_eq!(offset, delivered, "isn {isn}");
                assert_eq!(offset % CHUNK as u64, 0);
                if offset >= LEN - 3 * CHUNK as u64 {
                    assert_eq!(bytes, &payload[..]);
                    tail_checked += 1;
                }
                delivered += bytes.len() as u64;
            }
            Event::Gap { .. } => gaps += 1,
        };
        for k in 0..N {
            let piece = match k {
                k if k == N - 2 => N - 1,
                k if k == N - 1 => N - 2,
                k => k,
            };
            let seq = base.wrapping_add((piece * CHUNK as u64) as u32);
            h.segment(
                seq,
                &payload,
                0,
                false,
                k + 1,
                Timestamp(0),
                &limits,
                &mut out,
            );
            if k == N - 2 {
                assert_eq!(h.frontier(), (N - 2) * CHUNK as u64, "isn {isn}: held");
            }
        }
        assert_eq!((delivered, gaps, tail_checked), (LEN, 0, 3), "isn {isn}");
        assert_eq!(h.frontier(), LEN);
        assert_eq!(h.counters.out_of_order, 1);
    }

    // The pipeline: one binary frame of LEN bytes, then a close frame, from the server.
    let mut s = Session::new(41012, 8080).isns(1, u32::MAX - 9);
    s.open();
    let mut header = vec![0x82, 127];
    header.extend_from_slice(&LEN.to_be_bytes());
    assert_eq!(s.send(Server, &header), 6);
    let seq0 = s.next[1];
    let mut tpl = Vec::new();
    etherparse::PacketBuilder::ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64)
        .tcp(8080, 41012, seq0, 65535)
        .ack(s.next[0])
        .write(&mut tpl, &payload)
        .unwrap();
    // Raw IPv4 without options: the TCP sequence number is at bytes 24..28.
    assert_eq!(tpl[24..28], seq0.to_be_bytes());

    let mut a = Analyzer::new(Options::default());
    let mut number = 0u64;
    let mut feed = |a: &mut Analyzer, data: &[u8], ts: Timestamp| {
        number += 1;
        a.packet(&Packet {
            options: Default::default(),
            number,
            ts,
            link: LinkType::RAW,
            data,
            orig_len: data.len() as u32,
            iface: None,
        });
        number
    };
    for p in &s.pkts {
        feed(&mut a, &p.data, p.ts);
    }
    let mut last_payload = 0;
    for k in 0..N {
        let seq = seq0.wrapping_add((k * CHUNK as u64) as u32);
        tpl[24..28].copy_from_slice(&seq.to_be_bytes());
        last_payload = feed(&mut a, &tpl, Timestamp(s.clock.0 + k as i64 * 10_000));
    }
    s.clock = Timestamp(s.clock.0 + N as i64 * 10_000);
    s.next[1] = seq0.wrapping_add(LEN as u32);
    let after = s.pkts.len();
    let sc = close(Server, 1000, "after 4 GiB");
    s.send(Server, &sc);
    s.send(Client, &close(Client, 1000, "after 4 GiB"));
    s.fins(Server);
    for p in &s.pkts[after..] {
        feed(&mut a, &p.data, p.ts);
    }
    let (conns, seen) = a.finish_input().unwrap();
    let r = Report::new(Vec::new(), conns, seen);
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "after 4 GiB", last_payload + 1),
            cl(Client, 1000, "after 4 GiB", last_payload + 2)
        ]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(findings(c), vec![]);
    let f = c.frames.server;
    assert_eq!(f.largest_message, Some((LEN, last_payload)));
    assert_eq!(f.payload_bytes, LEN + 2 + "after 4 GiB".len() as u64);
    assert_eq!(
        tcp(c.tcp.server),
        clean(response(false).len() + header.len() + LEN as usize + sc.len())
    );
}

/// THREATS kind 6 on issue 69 item 1's `X-Varnish` (the mark Varnish puts on the request it
/// passes a backend): the request head cut in two at every byte, and sent one byte per
/// segment, names Varnish as the whole head does; a head cut inside its `X-Varnish` value
/// (no blank line) names nothing.
#[test]
fn an_x_varnish_split_at_every_byte_names_varnish() {
    let mut req = request();
    req.truncate(req.len() - 2);
    req.extend_from_slice(b"X-Varnish: 32770\r\n\r\n");
    let product = |s: &Session| {
        let r = s.analyze();
        let c = serde_json::to_value(only(&r)).unwrap();
        c["handshake"]["request_proxy_product"]["product"].clone()
    };
    let session = |cuts: &[usize]| {
        let mut s = Session::new(41033, 8080);
        s.handshake();
        s.send_split(Client, &req, cuts);
        s.send(Server, &response(false));
        s.send(Client, &close(Client, 1000, ""));
        s.send(Server, &close(Server, 1000, ""));
        s
    };
    assert_eq!(product(&session(&[])), "varnish");
    for k in 1..req.len() {
        assert_eq!(product(&session(&[k])), "varnish", "cut at {k}");
    }
    let bytes: Vec<usize> = (1..req.len()).collect();
    assert_eq!(product(&session(&bytes)), "varnish", "one byte per segment");
    // Cut off inside the header's value, the 101 then sent: the head is not whole, so no
    // product is named from it.
    let mut s = Session::new(41034, 8080);
    s.handshake();
    s.send(Client, &req[..req.len() - 6]);
    s.send(Server, &response(false));
    let r = s.analyze();
    for c in &r.connections {
        let c = serde_json::to_value(c).unwrap();
        assert!(c["handshake"]["request_proxy_product"].is_null(), "{c}");
    }
}
