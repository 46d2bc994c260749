//! Scenarios 9-11: what the capture did to the bytes: reordering, duplicates and the
//! sequence wrap (RFC 9293 §3.4) through the whole pipeline, holes, snaplen cuts. No close
//! code is invented where bytes are missing.

use super::*;
use wsclose::vocab::Problem;
use wsclose::vocab::TcpEndName;

/// One session in three flights (client: request and a text frame; server: 101, frames and
/// its close; client: its close), each split into small segments, then the FINs. Returns
/// the session and the ranges (indices into `pkts`) of the three flights.
fn flights(client_isn: u32) -> (Session, [Range<usize>; 3]) {
    let mut s = Session::new(40060, 8080).isns(client_isn, client_isn.wrapping_sub(37));
    s.handshake();
    let a = s.pkts.len();
    s.send_chunks(
        Client,
        &[request(), text(Client, "hello from the client")].concat(),
        17,
    );
    let b = s.pkts.len();
    let server = [
        response(false),
        text(Server, "hi"),
        binary(Server, &pattern(300)),
        close(Server, 1000, "bye"),
    ]
    .concat();
    s.send_chunks(Server, &server, 16);
    let c = s.pkts.len();
    s.send_chunks(Client, &close(Client, 1000, "bye"), 3);
    let d = s.pkts.len();
    s.fins(Server);
    (s, [a..b, b..c, c..d])
}

/// What must not change when the capture is reordered: closes (with the packet numbers of
/// the segments that carried their last byte), status, TCP ending, frame counts, no gap.
fn summary(r: &Report, renumber: &dyn Fn(u64) -> u64) -> String {
    let c = only(r);
    let cls: Vec<_> = c
        .close_frames
        .iter()
        .map(|f| (f.from, f.code, f.reason.clone(), renumber(f.packet)))
        .collect();
    format!(
        "closes {cls:?} status {:?} end {} {:?} frames {}/{} messages {}/{} gaps {}/{} findings {:?}",
        c.status.code,
        c.tcp_end(),
        c.tcp_end_by(),
        c.frames.client.frames,
        c.frames.server.frames,
        c.frames.client.messages,
        c.frames.server.messages,
        c.tcp.client.gaps,
        c.tcp.server.gaps,
        findings(c)
    )
}

/// The packets of `s` delivered differently: each flight reversed or shuffled, with or
/// without extra copies of some of its segments; or every packet captured twice in a row
/// (as on a loopback interface that shows both directions).
fn reorder(variant: &str, s: &Session, ranges: &[Range<usize>; 3], rng: &mut Rng) -> Vec<Pkt> {
    let mut pkts = s.pkts.clone();
    if variant == "every packet twice" {
        return pkts.iter().flat_map(|p| [p.clone(), p.clone()]).collect();
    }
    for range in ranges.iter().cloned() {
        match variant {
            "reversed" => pkts[range].reverse(),
            _ => rng.shuffle(&mut pkts[range]),
        }
    }
    if variant == "shuffled with duplicates" {
        // Copy about a third of each flight's segments to random places in that flight
        // (last flight first, so the earlier ranges stay valid).
        for range in ranges.iter().rev() {
            let mut flight: Vec<Pkt> = pkts[range.clone()].to_vec();
            for p in &pkts[range.clone()] {
                if rng.below(3) == 0 {
                    let at = rng.below(flight.len() + 1);
                    flight.insert(at, p.clone());
                }
            }
            pkts.splice(range.clone(), flight);
        }
    }
    pkts
}

#[test]
fn reordered_and_duplicated_segments_give_the_in_order_result_across_the_wrap() {
    for isn in [0, 1, u32::MAX, u32::MAX - 9] {
        let (s, ranges) = flights(isn);
        let in_order = s.analyze();
        let c = only(&in_order);
        let server_last = ranges[1].end as u64;
        let client_last = ranges[2].end as u64;
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "bye", server_last),
                cl(Client, 1000, "bye", client_last)
            ],
            "isn {isn}"
        );
        assert_eq!(c.status.code, Some(1000));
        assert_eq!((c.frames.client.frames, c.frames.server.frames), (2, 3));
        assert_eq!(findings(c), vec![]);
        let expected = summary(&in_order, &|p| p);

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(isn));
        for variant in [
            "reversed",
            "shuffled",
            "shuffled with duplicates",
            "every packet twice",
        ] {
            let pkts = reorder(variant, &s, &ranges, &mut rng);
            let r = analyze(LinkType::RAW, &pkts);
            // Report packet numbers mapped back to the packets as first built.
            let back = |n: u64| pkts[n as usize - 1].id;
            assert_eq!(summary(&r, &back), expected, "isn {isn}, {variant}");
            // A close is in the first copy of the segment that carried its last byte.
            let first_copy = |id: u64| pkts.iter().position(|p| p.id == id).unwrap() as u64 + 1;
            let c = only(&r);
            assert_eq!(
                c.close_frames.iter().map(|f| f.packet).collect::<Vec<_>>(),
                vec![first_copy(server_last), first_copy(client_last)],
                "isn {isn}, {variant}"
            );
            let (tc, ts) = (c.tcp.client, c.tcp.server);
            if variant == "every packet twice" {
                assert_eq!((tc.out_of_order, ts.out_of_order), (0, 0));
            } else {
                assert!(tc.out_of_order > 0 && ts.out_of_order > 0, "{variant}");
            }
            if variant.contains("twice") || variant.contains("duplicates") {
                assert!(ts.retransmissions > 0, "isn {isn} {variant}: {ts:?}");
            }
            assert_eq!((tc.inconsistencies, ts.inconsistencies), (0, 0));
        }
    }
}

// ---------------------------------------------------------------------------------------
// 10: holes in the capture
// ---------------------------------------------------------------------------------------

#[test]
fn hole_over_a_frame_header_puts_the_direction_out_of_sync() {
    let mut s = Session::new(40070, 8080);
    s.open();
    s.send(Server, &text(Server, "before"));
    // A binary frame whose 8-byte payload looks like two close frames with code 4000;
    // its 2-byte header is in a segment the capture missed.
    let decoy = [0x88, 0x02, 0x0F, 0xA0, 0x88, 0x02, 0x0F, 0xA0];
    let fake = binary(Server, &decoy);
    s.lose(Server, &fake[..2]);
    s.send(Server, &fake[2..]);
    s.send(Server, &close(Server, 1000, "real"));
    // The client acknowledges everything: the hole will never be filled.
    let reply = s.send(Client, &close(Client, 1000, "real"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Server), Some(9)),
            (Kind::OutOfSync, Some(Server), Some(9))
        ]
    );
    // Nothing after the hole on the server's side is reported, least of all a 4000.
    assert_eq!(closes(c), vec![cl(Client, 1000, "real", reply)]);
    assert!(c.close_frames.iter().all(|f| f.from == Client));
    assert_ne!(c.status.code, Some(4000));
    assert_eq!(c.tcp.server.gaps, 1);
    assert_eq!(c.tcp.server.missing_bytes, 2);
}

#[test]
fn hole_inside_a_payload_of_known_length_keeps_the_decoder_in_sync() {
    let mut s = Session::new(40071, 8080);
    s.open();
    let big = binary(Server, &pattern(4000));
    assert_eq!(&big[..4], &[0x82, 126, 0x0F, 0xA0]);
    s.send(Server, &big[..1004]);
    s.lose(Server, &big[1004..2004]);
    s.send(Server, &big[2004..3004]);
    s.send(Server, &big[3004..]);
    let close_pkt = s.send(Server, &close(Server, 1000, "after the hole"));
    let reply = s.send(Client, &close(Client, 1000, "after the hole"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "after the hole", close_pkt),
            cl(Client, 1000, "after the hole", reply)
        ]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Server), Some(10)),
            (Kind::TruncatedMessage, Some(Server), Some(10))
        ]
    );
    assert_eq!(c.tcp.server.missing_bytes, 1000);
}

#[test]
fn hole_just_before_a_fin_still_ends_that_side_at_its_fin() {
    let mut s = Session::new(40072, 8080);
    s.open();
    s.send(Server, &text(Server, "last words"));
    // The server's close frame is not in the capture; its FIN is, and the client ACKs both.
    s.lose(Server, &close(Server, 1000, "lost"));
    let fin = s.fin(Server);
    let ack = s.ack(Client);
    s.fin(Client);
    s.ack(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Server), Some(8)),
            (Kind::OutOfSync, Some(Server), Some(8))
        ]
    );
    // The server ended TCP first: its FIN, proved complete by the client's ACK.
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by()),
        (TcpEndName::Fin, Some(Server))
    );
    assert!(
        c.tcp_end_packet() == Some(fin) || c.tcp_end_packet() == Some(ack),
        "{:?}",
        c.tcp_end_packet()
    );
}

#[test]
fn close_reason_is_never_spliced_across_a_hole() {
    let mut s = Session::new(40073, 8080);
    s.open();
    let bytes = close(Client, 4000, "abcdef");
    // Header (6 bytes), code, "ab" | "cd" not captured | "ef".
    let first = s.send(Client, &bytes[..10]);
    s.lose(Client, &bytes[10..12]);
    s.send(Client, &bytes[12..]);
    s.send(Server, &close(Server, 4000, ""));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!((f.from, f.code), (Client, Some(4000)));
    assert!(f.problems.contains(&Problem::Truncated), "{:?}", f.problems);
    assert!(f.packet >= first);
    // "abef" was never sent: the bytes after the hole must not be glued to those before.
    assert!(!f.reason.contains("abef"), "{:?}", f.reason);
}

// ---------------------------------------------------------------------------------------
// 11: snaplen
// ---------------------------------------------------------------------------------------

#[test]
fn snaplen_cut_inside_a_payload_keeps_the_next_close_exact() {
    let mut s = Session::new(40080, 8080);
    s.open();
    let big = binary(Server, &pattern(3000));
    s.send(Server, &big[..1004]);
    // On the wire 1000 payload bytes, in the capture only 100.
    s.send_cut(Server, &big[1004..2004], 100);
    s.send(Server, &big[2004..]);
    let close_pkt = s.send(Server, &close(Server, 1000, "after the cut"));
    let reply = s.send(Client, &close(Client, 1000, "after the cut"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1000, "after the cut", close_pkt),
            cl(Client, 1000, "after the cut", reply)
        ]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Server), Some(7)),
            (Kind::TruncatedMessage, Some(Server), Some(7))
        ]
    );
    assert_eq!(c.tcp.server.missing_bytes, 900);
}

/// The server's close frame 1000 "bye" in a packet the snaplen cut after the frame header.
fn cut_close(port: u16) -> Report {
    let mut s = Session::new(port, 8080);
    s.open();
    let bytes = close(Server, 1000, "bye");
    assert_eq!(s.send_cut(Server, &bytes, 2), 6);
    s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    s.analyze()
}

#[test]
fn snaplen_cut_close_code_is_not_invented() {
    let r = cut_close(40081);
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!((f.from, f.code, f.packet), (Server, None, 6));
    assert!(f.problems.contains(&Problem::Truncated), "{:?}", f.problems);
    // The server's close came first and its code is not in the capture: no status code,
    // neither 1005 nor the client's reply.
    assert_eq!(c.status.code, None);
    assert!(c.status.name.starts_with("Unknown"), "{}", c.status.name);
    assert_eq!(c.seen_by.client, None);
    assert_eq!(c.close_frames[1].code, Some(1000));
}

#[test]
fn snaplen_cut_in_the_reason_keeps_the_code() {
    let mut s = Session::new(40083, 8080);
    s.open();
    // "zu spät" cut inside the "ä" (C3 A4): the code and "zu sp\xC3" are captured.
    let bytes = close(Server, 1000, "zu sp\u{e4}t");
    let p = s.send_cut(Server, &bytes, 2 + 2 + 6);
    let reply = s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!((f.from, f.code, f.packet), (Server, Some(1000), p));
    // Only "truncated": a reason cut mid-character is not judged as bad UTF-8.
    assert_eq!(f.problems, vec![Problem::Truncated]);
    assert!(f.reason.starts_with("zu sp"), "{}", f.reason);
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(c.close_frames[1].packet, reply);
}

#[test]
fn snaplen_cut_close_is_a_capture_note_not_a_violation() {
    let r = cut_close(40082);
    let c = only(&r);
    let violations: Vec<_> = c
        .findings
        .iter()
        .filter(|f| f.kind.is_violation())
        .map(|f| (f.kind, f.from, f.packet, f.detail.clone()))
        .collect();
    assert_eq!(violations, vec![]);
}
