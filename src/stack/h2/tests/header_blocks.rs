//! Header blocks (RFC 9113 §4.3, §6.2, §6.6, §6.10; RFC 7541): CONTINUATION order, empty
//! fragments, the size cap, HPACK failures, PUSH_PROMISE.

use super::*;

#[test]
fn continuation_out_of_place() {
    let mut enc = loona_hpack::Encoder::new();
    let block = hpack_block(&mut enc, WS_REQUEST);
    let after = frame(0x3, 0, 1, &8u32.to_be_bytes());
    // CONTINUATION with no open block.
    let (evs, lost) = lost_events(
        true,
        &client_with(&[frame(0x9, flags::END_HEADERS, 1, &block), after.clone()]),
    );
    assert_eq!(
        lost,
        Some(LostReason::Frame(FrameError::UnexpectedContinuation {
            stream: 1
        }))
    );
    assert_eq!(evs.len(), 2, "nothing after the error: {evs:?}");
    // DATA inside an open block.
    let (evs, lost) = lost_events(
        true,
        &client_with(&[
            frame(0x1, 0, 1, &block),
            frame(0x0, 0, 1, b"x"),
            after.clone(),
        ]),
    );
    assert_eq!(
        lost,
        Some(LostReason::Frame(FrameError::ExpectedContinuation {
            open: 1,
            kind: FrameType::DATA,
            stream: 1
        }))
    );
    assert_eq!(evs.len(), 2, "{evs:?}");
    // CONTINUATION of another stream.
    let (_, lost) = lost_events(
        true,
        &client_with(&[
            frame(0x1, 0, 1, &block),
            frame(0x9, flags::END_HEADERS, 3, b""),
        ]),
    );
    assert_eq!(
        lost,
        Some(LostReason::Frame(FrameError::ExpectedContinuation {
            open: 1,
            kind: FrameType::CONTINUATION,
            stream: 3
        }))
    );
    // An unknown frame type inside a block is out of place too (§6.10).
    let (_, lost) = lost_events(
        true,
        &client_with(&[frame(0x1, 0, 1, &block), frame(0xee, 0, 1, b"")]),
    );
    assert!(matches!(
        lost,
        Some(LostReason::Frame(FrameError::ExpectedContinuation { .. }))
    ));
    let stop = LostReason::Frame(FrameError::UnexpectedContinuation { stream: 1 }).stop();
    let text = crate::report::words::h2::stopped(crate::vocab::Role::Client, &stop);
    assert!(
        text.contains("§6.10") && text.contains("PROTOCOL_ERROR"),
        "{text}"
    );
}

#[test]
fn hpack_across_continuation_with_empty_fragments() {
    let mut enc = loona_hpack::Encoder::new();
    let block = hpack_block(&mut enc, WS_REQUEST);
    let mut frames = vec![frame(0x1, flags::END_STREAM, 5, b"")];
    for byte in &block {
        frames.push(frame(0x9, 0, 5, &[*byte]));
        frames.push(frame(0x9, 0, 5, b""));
    }
    frames.push(frame(0x9, flags::END_HEADERS, 5, b""));
    let evs = read_whole(true, &client_with(&frames));
    assert!(
        matches!(
            evs.get(1),
            Some(Ev::Request { stream: 5, end_stream: true, protocol: Some(p), .. }) if p == "websocket"
        ),
        "{evs:?}"
    );
}

#[test]
fn header_block_over_the_cap_is_lost() {
    // 17 CONTINUATION frames of 16 KiB: past 256 KiB.
    let mut frames = vec![frame(0x1, 0, 1, &[0x82; 16384])];
    for _ in 0..16 {
        frames.push(frame(0x9, 0, 1, &[0x82; 16384]));
    }
    frames.push(frame(0x9, flags::END_HEADERS, 1, b"\x82"));
    let bytes = client_with(&frames);
    let (evs, lost) = lost_events(true, &bytes);
    assert_eq!(lost, Some(LostReason::HeaderBlockTooLarge { stream: 1 }));
    assert_eq!(evs.len(), 2);
    let (_, conn) = read(true, &bytes.chunks(1000).collect::<Vec<_>>());
    assert!(conn.is_lost(true));
    assert_eq!(
        conn.buffered_bytes(),
        0,
        "buffers are freed when a direction is lost"
    );
}

#[test]
fn hpack_failure_loses_the_table_not_the_framing() {
    let mut enc = loona_hpack::Encoder::new();
    let good = hpack_block(&mut enc, WS_REQUEST);
    let frames = [
        frame(0x1, flags::END_HEADERS, 1, &good),
        // Index 99 is not in the (one-entry-deep) dynamic table.
        frame(0x1, flags::END_HEADERS, 3, b"\x82\xe3"),
        frame(0x0, 0, 1, b"still here"),
        frame(0x1, flags::END_HEADERS | flags::END_STREAM, 5, b"\x82"),
        frame(0x3, 0, 1, &0u32.to_be_bytes()),
    ];
    let bytes = client_with(&frames);
    let mut conn = H2Conn::new();
    let mut evs = Vec::new();
    // Frame by frame, each its own packet: the preface and SETTINGS are packet 1.
    let mut packets: Vec<Vec<u8>> = vec![client_with(&[])];
    packets.extend(frames.iter().cloned());
    for (i, p) in packets.iter().enumerate() {
        conn.feed(true, p, i as u64 + 1, Timestamp(0), &mut |e| {
            evs.push(own(e))
        });
    }
    assert_eq!(read_whole(true, &bytes).len(), evs.len());
    let evs = merge(evs);
    assert!(matches!(evs.get(1), Some(Ev::Request { stream: 1, .. })));
    assert!(matches!(
        evs.get(2),
        Some(Ev::Lost {
            from_client: true,
            reason: LostReason::Hpack { stream: 3, .. }
        })
    ));
    assert_eq!(
        evs.get(3..),
        Some(
            &[
                Ev::Unreadable {
                    stream: 3,
                    from_client: true,
                    end_stream: false,
                    lost_at: Some(3)
                },
                Ev::Data {
                    stream: 1,
                    from_client: true,
                    bytes: b"still here".to_vec(),
                    end_stream: false
                },
                // A block that would decode on its own is not guessed at.
                Ev::Unreadable {
                    stream: 5,
                    from_client: true,
                    end_stream: true,
                    lost_at: Some(3)
                },
                Ev::Rst {
                    stream: 1,
                    from_client: true,
                    code: ErrorCode::NO_ERROR
                }
            ][..]
        )
    );
    assert_eq!(conn.hpack_lost_at(true), Some(Some(3)));
    assert_eq!(conn.hpack_lost_at(false), None);
    assert!(!conn.is_lost(true));
    let text = match evs.get(2) {
        Some(Ev::Lost { reason, .. }) => {
            crate::report::words::h2::stopped(crate::vocab::Role::Client, &reason.stop())
        }
        _ => String::new(),
    };
    assert!(
        text.contains("stream 3") && text.contains("HPACK"),
        "{text}"
    );
}

#[test]
fn push_promise_is_decoded_for_the_table_and_not_from_clients() {
    let mut enc = loona_hpack::Encoder::new();
    let mut v = settings_frame(&[]);
    let promised = hpack_block(
        &mut enc,
        &[
            (":method", "GET"),
            (":path", "/style.css"),
            ("x-long-name", "v"),
        ],
    );
    // PADDED: pad length 2, promised stream 2, the first 3 bytes of the block, padding.
    let payload = [&[2u8, 0, 0, 0, 2][..], &promised[..3], &[0, 0]].concat();
    v.extend(frame(0x5, flags::PADDED, 1, &payload));
    v.extend(frame(0x9, flags::END_HEADERS, 1, &promised[3..]));
    // Uses the entry the promise added.
    let resp = hpack_block(&mut enc, &[(":status", "200"), ("x-long-name", "v")]);
    v.extend(frame(0x1, flags::END_HEADERS, 2, &resp));
    let evs = read_whole(false, &v);
    assert_eq!(
        evs.get(1),
        Some(&Ev::Response {
            stream: 2,
            status: Some(200),
            ws_protocol: None,
            end_stream: false
        }),
        "{evs:?}"
    );
    let (_, lost) = lost_events(
        true,
        &client_with(&[frame(0x5, flags::END_HEADERS, 1, b"\0\0\0\x02\x82")]),
    );
    assert_eq!(lost, Some(LostReason::Frame(FrameError::PushFromClient)));
}
