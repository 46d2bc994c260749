//! Scenarios 29-32 of docs/reassembly.md: WebSocket framing (RFC 6455 §5.2) over TCP segments:
//! handshake and first frame in one segment, headers one byte per segment with a 64-bit
//! length, a frame declaring 2^63 bytes, snaplen-cut bytes as a gap.

use super::*;

#[test]
fn s29_handshake_and_first_frame_in_one_segment() {
    for isn in ISNS {
        let req = [request(), text(Client, "early")].concat();
        let resp = [
            response(false),
            text(Server, "welcome"),
            close(Server, 1001, "bye"),
        ]
        .concat();
        let reply = close(Client, 1001, "bye");

        let mut s = Session::new(41029, 8080).isns(isn, isn);
        s.handshake();
        assert_eq!(s.send(Client, &req), 4);
        assert_eq!(s.send(Server, &resp), 5);
        assert_eq!(s.send(Client, &reply), 6);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        let h = &c.handshake;
        assert_eq!(
            (h.request_packet, h.response_packet, h.status),
            (Some(4), Some(5), Some(101))
        );
        assert_eq!(
            closes(c),
            vec![cl(Server, 1001, "bye", 5), cl(Client, 1001, "bye", 6)],
            "isn {isn}"
        );
        assert_eq!(
            (c.frames.client.frames, c.frames.client.largest_message),
            (2, Some((5, 4)))
        );
        assert_eq!(
            (c.frames.server.frames, c.frames.server.largest_message),
            (2, Some((7, 5)))
        );
        assert_eq!(findings(c), vec![]);

        // Each of those segments split in two, the second half captured first: the request
        // with 3 bytes of the frame, and the response without its last CRLF.
        let mut s = Session::new(41029, 8080).isns(isn, isn);
        s.handshake();
        let cp = send_pieces(&mut s, Client, &req, &[request().len() + 3], &[1, 0]);
        let sp = send_pieces(&mut s, Server, &resp, &[response(false).len() - 2], &[1, 0]);
        assert_eq!((cp, sp.clone()), (vec![5, 4], vec![7, 6]));
        assert_eq!(s.send(Client, &reply), 8);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        let h = &c.handshake;
        assert_eq!(
            (h.request_packet, h.response_packet, h.status),
            (Some(5), Some(6), Some(101))
        );
        assert_eq!(
            closes(c),
            vec![cl(Server, 1001, "bye", 6), cl(Client, 1001, "bye", 8)],
            "isn {isn}"
        );
        assert_eq!(c.frames.client.largest_message, Some((5, 4)));
        assert_eq!(c.frames.server.largest_message, Some((7, 6)));
        assert_eq!(findings(c), vec![]);
    }
}

#[test]
fn s30_frame_headers_split_one_byte_per_segment_with_a_64_bit_length() {
    let one_byte_cuts = |n: usize| -> Vec<usize> { (1..n).collect() };
    for isn in ISNS {
        for reversed in [false, true] {
            let ctx = format!("isn {isn} reversed {reversed}");
            let order = |n: usize| -> Vec<usize> {
                if reversed {
                    (0..n).rev().collect()
                } else {
                    (0..n).collect()
                }
            };
            let mut s = Session::new(41030, 8080).isns(isn, isn);
            s.open();
            // A masked binary frame with a 64-bit length: 14 header bytes, one per segment.
            let big = binary(Client, &pattern(70_000));
            assert_eq!(big[1], 0x80 | 127);
            send_pieces(&mut s, Client, &big[..14], &one_byte_cuts(14), &order(14));
            let big_end = *s.send_chunks(Client, &big[14..], 1400).last().unwrap();
            // Both close frames, one byte per segment.
            let cc = close(Client, 4002, "bytewise");
            let cpk = send_pieces(
                &mut s,
                Client,
                &cc,
                &one_byte_cuts(cc.len()),
                &order(cc.len()),
            );
            let sc = close(Server, 4002, "bytewise");
            let spk = send_pieces(
                &mut s,
                Server,
                &sc,
                &one_byte_cuts(sc.len()),
                &order(sc.len()),
            );
            s.fins(Server);
            let r = s.analyze();
            let c = only(&r);
            assert_eq!(
                closes(c),
                vec![
                    cl(Client, 4002, "bytewise", *cpk.last().unwrap()),
                    cl(Server, 4002, "bytewise", *spk.last().unwrap())
                ],
                "{ctx}"
            );
            assert_eq!(c.status.code, Some(4002));
            assert_eq!(
                c.frames.client.largest_message,
                Some((70_000, big_end)),
                "{ctx}"
            );
            assert_eq!(findings(c), vec![], "{ctx}");
            let held = if reversed {
                13 + cc.len() as u64 - 1
            } else {
                0
            };
            assert_eq!(
                tcp(c.tcp.client),
                Counters {
                    out_of_order: held,
                    ..clean(request().len() + big.len() + cc.len())
                },
                "{ctx}"
            );
        }
    }
}

#[test]
fn s31_frame_declaring_2_pow_63_bytes_is_skipped_with_bounded_memory() {
    let started = Instant::now();
    let top = (1u64 << 63).to_be_bytes();

    // From the server: 4 MiB of "payload" follows, with a close frame 4000 inside it.
    let mut s = Session::new(41031, 8080);
    s.open();
    let header = [&[0x82, 0x7F][..], &top].concat();
    assert_eq!(s.send(Server, &header), 6);
    let mut junk = pattern(4 << 20);
    let inside = close(Server, 4000, "inside");
    junk[1000..1000 + inside.len()].copy_from_slice(&inside);
    s.send_chunks(Server, &junk, 65_000);
    let p = s.send(Client, &close(Client, 1009, "too big"));
    s.rst(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::LengthTopBitSet, Some(Server), Some(6))]
    );
    assert_eq!(closes(c), vec![cl(Client, 1009, "too big", p)]);
    assert_eq!(c.status.code, Some(1009));
    let f = c.frames.server;
    assert_eq!(
        (f.frames, f.payload_bytes, f.largest_message),
        (0, 4 << 20, None)
    );

    // From the client: a masked text frame; 1 MiB of valid UTF-8 follows.
    let mut s = Session::new(41031, 8080);
    s.open();
    let header = [&[0x81, 0xFF][..], &top, &MASK].concat();
    assert_eq!(s.send(Client, &header), 6);
    let masked: Vec<u8> = (0..1 << 20).map(|i| b'a' ^ MASK[i % 4]).collect();
    s.send_chunks(Client, &masked, 65_000);
    let p = s.send(Server, &close(Server, 1009, "too big"));
    s.rst(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::LengthTopBitSet, Some(Client), Some(6))]
    );
    assert_eq!(closes(c), vec![cl(Server, 1009, "too big", p)]);
    let f = c.frames.client;
    assert_eq!((f.frames, f.payload_bytes), (0, 1 << 20));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn s32_snaplen_cut_bytes_are_a_gap_not_zeros() {
    for isn in ISNS {
        // A cut segment captured before the segment in front of it.
        let mut s = Session::new(41032, 8080).isns(isn, isn);
        s.open();
        let f = [
            binary(Server, &pattern(3000)),
            close(Server, 1000, "after the cut"),
        ]
        .concat();
        let x = s.next[1];
        assert_eq!(
            s.emit(Server, 0, x.wrapping_add(1004), &f[1004..2004], Some(100)),
            6
        );
        assert_eq!(send_at(&mut s, Server, x, &f[..1004]), 7);
        assert_eq!(send_at(&mut s, Server, x.wrapping_add(2004), &f[2004..]), 8);
        assert_eq!(s.send(Client, &close(Client, 1000, "after the cut")), 9);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 1000, "after the cut", 8),
                cl(Client, 1000, "after the cut", 9)
            ],
            "isn {isn}"
        );
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(9)),
                (Kind::TruncatedMessage, Some(Server), Some(9))
            ],
            "isn {isn}"
        );
        assert_eq!(
            tcp(c.tcp.server),
            Counters {
                out_of_order: 2,
                gaps: 1,
                missing_bytes: 900,
                ..clean(response(false).len() + f.len() - 900)
            },
            "isn {isn}"
        );

        // A cut through the next frame's header: zeros would read as frames (an empty
        // close, continuations); a gap puts the direction out of sync.
        let mut s = Session::new(41032, 8080).isns(isn, isn);
        s.open();
        let seg = [text(Server, "hello"), close(Server, 4000, "cut")].concat();
        assert_eq!(s.send_cut(Server, &seg, 8), 6);
        assert_eq!(s.send(Client, &close(Client, 1000, "cut")), 7);
        s.fins(Server);
        let r = s.analyze();
        let c = only(&r);
        assert_eq!(
            findings(c),
            vec![
                (Kind::Gap, Some(Server), Some(6)),
                (Kind::OutOfSync, Some(Server), Some(6))
            ],
            "isn {isn}"
        );
        assert_eq!(closes(c), vec![cl(Client, 1000, "cut", 7)]);
        assert_eq!(c.frames.server.text_messages, 1);
        assert_eq!((c.tcp.server.gaps, c.tcp.server.missing_bytes), (1, 6));
    }
}
