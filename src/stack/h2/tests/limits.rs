//! Gaps, frame sizes (RFC 9113 §4.2, §6.5.2), padding (§6.1), memory bounds and hostile
//! bytes: the reader stays bounded and never panics.

use super::*;

#[test]
fn gap_loses_the_direction_once() {
    let bytes = client_stream();
    let (first, second) = bytes.split_at(60);
    let mut conn = H2Conn::new();
    let mut evs = Vec::new();
    conn.feed(true, first, 1, Timestamp(0), &mut |e| evs.push(own(e)));
    conn.gap(true, Some(2), &mut |e| evs.push(own(e)));
    conn.feed(true, second, 3, Timestamp(0), &mut |e| evs.push(own(e)));
    conn.gap(true, None, &mut |e| evs.push(own(e)));
    assert_eq!(
        evs,
        vec![
            Ev::Settings {
                from_client: true,
                ecp: None
            },
            Ev::Lost {
                from_client: true,
                reason: LostReason::Gap
            }
        ]
    );
    assert!(conn.is_lost(true) && !conn.is_lost(false));
    // The other direction goes on.
    let mut server = Vec::new();
    conn.feed(
        false,
        &settings_frame(&[(0x8, 1)]),
        4,
        Timestamp(0),
        &mut |e| server.push(own(e)),
    );
    assert_eq!(server.len(), 1);
}

#[test]
fn frame_size_follows_the_receivers_settings() {
    let big = frame(0x0, flags::END_STREAM, 1, &[7u8; 20_000]);
    // Over the default 16384: a FRAME_SIZE_ERROR.
    let (_, lost) = lost_events(true, &client_with(std::slice::from_ref(&big)));
    assert_eq!(
        lost,
        Some(LostReason::Frame(FrameError::TooLarge {
            kind: FrameType::DATA,
            len: 20_000,
            limit: 16384
        }))
    );
    // Once the server allows 65536, fine.
    let mut conn = H2Conn::new();
    let mut evs = Vec::new();
    conn.feed(
        false,
        &settings_frame(&[(0x5, 65536)]),
        1,
        Timestamp(0),
        &mut |e| evs.push(own(e)),
    );
    conn.feed(true, &client_with(&[big]), 2, Timestamp(0), &mut |e| {
        evs.push(own(e))
    });
    let evs = merge(evs);
    assert!(matches!(
        evs.last(),
        Some(Ev::Data { bytes, end_stream: true, .. }) if bytes.len() == 20_000
    ));
}

#[test]
fn data_is_never_buffered() {
    let max = (1u32 << 24) - 1;
    let mut conn = H2Conn::new();
    conn.feed(
        false,
        &settings_frame(&[(0x5, max)]),
        1,
        Timestamp(0),
        &mut |_| {},
    );
    // A PADDED DATA frame of the largest size: header and pad length first...
    let mut head = client_with(&[frame(0x0, flags::PADDED | flags::END_STREAM, 1, &[])]);
    let n = head.len();
    head[n - 9..n - 6].copy_from_slice(&max.to_be_bytes()[1..]);
    head.push(100);
    conn.feed(true, &head, 2, Timestamp(0), &mut |_| {});
    // ...then the rest trickles in, and goes straight out.
    let rest = vec![1u8; max as usize - 1];
    let (mut got, mut ended) = (0usize, false);
    for (i, chunk) in rest.chunks(65536).enumerate() {
        conn.feed(true, chunk, 3 + i as u64, Timestamp(0), &mut |e| {
            if let H2Event::Data {
                bytes, end_stream, ..
            } = e
            {
                assert!(!ended);
                got += bytes.len();
                ended = end_stream;
            }
        });
        assert!(conn.buffered_bytes() < 1024);
    }
    assert_eq!(got, max as usize - 1 - 100);
    assert!(ended && !conn.is_lost(true));
}

#[test]
fn padded_data_split_everywhere_and_bad_padding() {
    let f = frame(
        0x0,
        flags::PADDED | flags::END_STREAM,
        7,
        b"\x03payload\0\0\0",
    );
    let bytes = client_with(&[f]);
    let want = Ev::Data {
        stream: 7,
        from_client: true,
        bytes: b"payload".to_vec(),
        end_stream: true,
    };
    for cut in 0..=bytes.len() {
        let evs = read(true, &[&bytes[..cut], &bytes[cut..]]).0;
        assert_eq!(evs.last(), Some(&want), "cut {cut}");
        assert_eq!(evs.len(), 2);
    }
    // Padding only, with END_STREAM: one empty piece that ends the stream.
    let f = frame(0x0, flags::PADDED | flags::END_STREAM, 7, b"\x02\0\0");
    let evs = read_whole(true, &client_with(&[f]));
    assert_eq!(
        evs.last(),
        Some(&Ev::Data {
            stream: 7,
            from_client: true,
            bytes: vec![],
            end_stream: true
        })
    );
    // Padding longer than the frame: lost, whether split or not.
    let f = frame(0x0, flags::PADDED, 7, b"\x09abc");
    let bytes = client_with(&[f, frame(0x3, 0, 7, &[0; 4])]);
    for cut in 0..=bytes.len() {
        let evs = read(true, &[&bytes[..cut], &bytes[cut..]]).0;
        assert_eq!(
            evs.last(),
            Some(&Ev::Lost {
                from_client: true,
                reason: LostReason::Frame(FrameError::Padding {
                    kind: FrameType::DATA,
                    pad_len: 9,
                    len: 4
                })
            }),
            "cut {cut}"
        );
    }
    // PADDED with no room for the pad length.
    let (_, lost) = lost_events(true, &client_with(&[frame(0x0, flags::PADDED, 7, b"")]));
    assert_eq!(
        lost,
        Some(LostReason::Frame(FrameError::PadLengthMissing {
            kind: FrameType::DATA
        }))
    );
}

#[test]
fn frames_too_large_to_keep() {
    let mut conn = H2Conn::new();
    let mut evs = Vec::new();
    conn.feed(
        false,
        &settings_frame(&[(0x5, 1 << 20)]),
        1,
        Timestamp(0),
        &mut |_| {},
    );
    let bytes = client_with(&[frame(0x7, 0, 0, &vec![0; 300_000])]);
    conn.feed(true, &bytes, 2, Timestamp(0), &mut |e| evs.push(own(e)));
    assert_eq!(
        evs.last(),
        Some(&Ev::Lost {
            from_client: true,
            reason: LostReason::FrameTooLargeToKeep {
                kind: FrameType::GOAWAY,
                len: 300_000
            }
        })
    );
    // An unknown type that large is skipped, not kept.
    let mut conn = H2Conn::new();
    let mut evs = Vec::new();
    conn.feed(
        false,
        &settings_frame(&[(0x5, 1 << 20)]),
        1,
        Timestamp(0),
        &mut |_| {},
    );
    let bytes = client_with(&[
        frame(0x42, 0, 0, &vec![0; 300_000]),
        frame(0x3, 0, 1, &8u32.to_be_bytes()),
    ]);
    for (i, c) in bytes.chunks(4096).enumerate() {
        conn.feed(true, c, i as u64, Timestamp(0), &mut |e| evs.push(own(e)));
        assert!(conn.buffered_bytes() <= 9);
    }
    assert!(matches!(
        evs.last(),
        Some(Ev::Rst {
            code: ErrorCode::CANCEL,
            ..
        })
    ));
}

#[test]
fn a_million_streams_do_not_grow_memory() {
    let mut conn = H2Conn::new();
    let mut count = 0u32;
    let mut out = |e: H2Event<'_>| {
        if matches!(
            e,
            H2Event::Request { .. } | H2Event::Data { .. } | H2Event::RstStream { .. }
        ) {
            count += 1;
        }
    };
    conn.feed(true, &client_with(&[]), 0, Timestamp(0), &mut out);
    let mut batch = Vec::new();
    let mut stream = 1u32;
    for round in 0..1000u64 {
        batch.clear();
        for i in 0..1000 {
            // Every tenth stream has a head (:method GET, :scheme http, :path / from the
            // static table), each a RST_STREAM; a million frames is the time a debug
            // build can spare.
            if i % 10 == 0 {
                batch.extend(frame(0x1, flags::END_HEADERS, stream, b"\x82\x86\x84"));
            }
            batch.extend(frame(0x3, 0, stream, &8u32.to_be_bytes()));
            stream += 2;
        }
        // Cut mid-frame to keep a partial header around.
        let (a, b) = batch.split_at(batch.len() - 7);
        conn.feed(true, a, round * 2 + 1, Timestamp(0), &mut out);
        conn.feed(true, b, round * 2 + 2, Timestamp(0), &mut out);
        assert!(conn.buffered_bytes() < 1024);
    }
    assert_eq!(count, 1_100_000);
    assert!(!conn.is_lost(true));
}

#[test]
fn hostile_bytes_never_panic() {
    let mut seed = 0x2545_f491u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..300 {
        let mut bytes = client_with(&[]);
        for _ in 0..20 {
            let kind = (next() % 11) as u8;
            let len = (next() % 40) as usize;
            let payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            bytes.extend(frame(kind, next() as u8, next() % 8, &payload));
        }
        let cut = (next() as usize) % bytes.len();
        let mut conn = H2Conn::new();
        for (from_client, part) in [
            (true, &bytes[..cut]),
            (true, &bytes[cut..]),
            (false, &bytes[24..]),
        ] {
            conn.feed(from_client, part, 1, Timestamp(0), &mut |e| {
                let _ = format!("{e:?}");
            });
        }
    }
}

#[test]
fn conn_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<H2Conn>();
}
