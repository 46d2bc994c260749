//! Every frame type whole, cut at every byte and broken by each rule of RFC 9113 §4-§7.

use super::*;

/// One frame's bytes: header then payload.
pub(crate) fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = Vec::with_capacity(9 + payload.len());
    v.extend_from_slice(&len.to_be_bytes()[1..]);
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn parse(bytes: &[u8]) -> Result<(&[u8], FrameHeader, Frame<'_>), FrameError> {
    parse_frame(bytes, DEFAULT_MAX_FRAME_SIZE)
}

fn valid_frames() -> Vec<Vec<u8>> {
    vec![
        frame(0x0, flags::END_STREAM, 1, b"hello"),
        frame(0x0, flags::PADDED, 3, b"\x02hi\0\0"),
        frame(
            0x1,
            flags::END_HEADERS | flags::PRIORITY,
            1,
            b"\x80\0\0\x03\x0f\x82",
        ),
        frame(0x1, flags::PADDED | flags::END_HEADERS, 5, b"\x01\x82\0"),
        frame(0x2, 0, 7, b"\0\0\0\x01\x10"),
        frame(0x3, 0, 1, &8u32.to_be_bytes()),
        frame(0x4, 0, 0, b"\0\x08\0\0\0\x01\0\x05\0\0\x40\0"),
        frame(0x4, flags::ACK, 0, b""),
        frame(0x5, flags::END_HEADERS, 1, b"\0\0\0\x02\x82"),
        frame(0x6, 0, 0, b"12345678"),
        frame(0x7, 0, 0, b"\0\0\0\x05\0\0\0\x0bcalm down"),
        frame(0x8, 0, 0, &1000u32.to_be_bytes()),
        frame(0x9, flags::END_HEADERS, 1, b"\x84"),
        frame(0xfa, 0, 9, b"whatever"),
    ]
}

#[test]
fn every_prefix_of_a_valid_frame_is_incomplete() {
    for bytes in valid_frames() {
        let whole = parse(&bytes);
        assert!(whole.is_ok(), "{bytes:02x?}: {whole:?}");
        for cut in 0..bytes.len() {
            match parse(&bytes[..cut]) {
                Err(FrameError::Incomplete { needed }) => {
                    assert!(needed > 0, "{bytes:02x?} cut at {cut}");
                    // Once the header is there, `needed` is exact.
                    if cut >= FRAME_HEADER_LEN {
                        assert_eq!(needed, bytes.len() - cut);
                    }
                }
                other => panic!("{bytes:02x?} cut at {cut}: {other:?}"),
            }
            // The streaming header parser agrees.
            let streaming = parse_header(&bytes[..cut]);
            assert_eq!(streaming.is_ok(), cut >= FRAME_HEADER_LEN);
        }
        // Trailing bytes are left for the next frame.
        let mut two = bytes.clone();
        two.extend_from_slice(&bytes);
        let (rest, _, _) = parse(&two).unwrap();
        assert_eq!(rest, &bytes[..]);
    }
}

#[test]
fn header_fields() {
    let bytes = frame(0x1, 0x25, 0x8000_0003, b"\0\0\0\0\0");
    let (rest, h) = parse_header(&bytes).unwrap();
    assert_eq!(rest.len(), 5);
    assert_eq!(
        h,
        FrameHeader {
            len: 5,
            kind: FrameType::HEADERS,
            flags: 0x25,
            stream: 3 // the reserved bit is dropped
        }
    );
    assert!(h.has(flags::END_STREAM) && h.has(flags::END_HEADERS));
    assert!(!h.has(flags::PADDED));
}

#[test]
fn payloads() {
    let f = valid_frames();
    let frames: Vec<Frame<'_>> = f.iter().map(|b| parse(b).unwrap().2).collect();
    assert_eq!(
        frames[0],
        Frame::Data {
            data: b"hello",
            end_stream: true
        }
    );
    assert_eq!(
        frames[1],
        Frame::Data {
            data: b"hi",
            end_stream: false
        }
    );
    assert_eq!(
        frames[2],
        Frame::Headers {
            priority: Some(Priority {
                exclusive: true,
                depends_on: 3,
                weight: 15
            }),
            fragment: b"\x82",
            end_stream: false,
            end_headers: true
        }
    );
    assert_eq!(
        frames[3],
        Frame::Headers {
            priority: None,
            fragment: b"\x82",
            end_stream: false,
            end_headers: true
        }
    );
    assert!(matches!(
        frames[4],
        Frame::Priority(Priority {
            depends_on: 1,
            weight: 16,
            ..
        })
    ));
    assert_eq!(frames[5], Frame::RstStream(ErrorCode::CANCEL));
    assert_eq!(
        frames[6],
        Frame::Settings {
            ack: false,
            settings: Settings {
                enable_connect_protocol: Some(true),
                max_frame_size: Some(16384),
                ..Settings::default()
            }
        }
    );
    assert_eq!(
        frames[7],
        Frame::Settings {
            ack: true,
            settings: Settings::default()
        }
    );
    assert_eq!(
        frames[8],
        Frame::PushPromise {
            promised: 2,
            fragment: b"\x82",
            end_headers: true
        }
    );
    assert_eq!(
        frames[9],
        Frame::Ping {
            ack: false,
            data: *b"12345678"
        }
    );
    assert_eq!(
        frames[10],
        Frame::GoAway {
            last_stream: 5,
            code: ErrorCode::ENHANCE_YOUR_CALM,
            debug: b"calm down"
        }
    );
    assert_eq!(frames[11], Frame::WindowUpdate { increment: 1000 });
    assert_eq!(
        frames[12],
        Frame::Continuation {
            fragment: b"\x84",
            end_headers: true
        }
    );
    assert_eq!(frames[13], Frame::Unknown(FrameType(0xfa)));
}

#[test]
fn bad_padding() {
    // Pad length equal to the rest of the payload leaves no data: allowed.
    let ok = frame(0x0, flags::PADDED, 1, b"\x03abc");
    assert!(matches!(
        parse(&ok).unwrap().2,
        Frame::Data { data: b"", .. }
    ));
    // One more is not.
    let bad = frame(0x0, flags::PADDED, 1, b"\x04abc");
    let err = parse(&bad).unwrap_err();
    assert_eq!(
        err,
        FrameError::Padding {
            kind: FrameType::DATA,
            pad_len: 4,
            len: 4
        }
    );
    assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    let said = crate::report::words::h2::broke(&err.broke());
    assert!(said.contains("padding"), "{said}");
    // PADDED with an empty payload has no pad length byte.
    let empty = frame(0x0, flags::PADDED, 1, b"");
    assert_eq!(
        parse(&empty).unwrap_err(),
        FrameError::PadLengthMissing {
            kind: FrameType::DATA
        }
    );
    // HEADERS: padding leaving no room for the priority fields.
    let h = frame(0x1, flags::PADDED | flags::PRIORITY, 1, b"\x03\0\0\0\0\0");
    assert!(matches!(parse(&h).unwrap_err(), FrameError::Padding { .. }));
    let h = frame(0x1, flags::PADDED, 1, b"\xff\x82");
    assert!(matches!(
        parse(&h).unwrap_err(),
        FrameError::Padding { pad_len: 255, .. }
    ));
    let p = frame(0x5, flags::PADDED, 1, b"\x01\0\0\0\x02");
    assert!(matches!(parse(&p).unwrap_err(), FrameError::Padding { .. }));
}

#[test]
fn oversized() {
    // Only the header is needed to know a frame is too large.
    let mut bytes = frame(0x0, 0, 1, &[]);
    bytes[..3].copy_from_slice(&[0x00, 0x40, 0x01]); // 16385
    assert_eq!(
        parse(&bytes).unwrap_err(),
        FrameError::TooLarge {
            kind: FrameType::DATA,
            len: 16385,
            limit: 16384
        }
    );
    assert_eq!(
        parse(&bytes).unwrap_err().code(),
        ErrorCode::FRAME_SIZE_ERROR
    );
    // The largest length a header can say, against the largest limit: incomplete.
    bytes[..3].copy_from_slice(&[0xff, 0xff, 0xff]);
    assert_eq!(
        parse_frame(&bytes, MAX_MAX_FRAME_SIZE).unwrap_err(),
        FrameError::Incomplete {
            needed: MAX_MAX_FRAME_SIZE as usize
        }
    );
}

#[test]
fn wrong_lengths_and_streams() {
    let cases: Vec<(Vec<u8>, FrameError)> = vec![
        (
            frame(0x3, 0, 1, b"\0\0\0"),
            FrameError::BadLength {
                kind: FrameType::RST_STREAM,
                len: 3,
            },
        ),
        (
            frame(0x6, 0, 0, b"1234567"),
            FrameError::BadLength {
                kind: FrameType::PING,
                len: 7,
            },
        ),
        (
            frame(0x7, 0, 0, b"1234567"),
            FrameError::BadLength {
                kind: FrameType::GOAWAY,
                len: 7,
            },
        ),
        (
            frame(0x8, 0, 1, b"12345"),
            FrameError::BadLength {
                kind: FrameType::WINDOW_UPDATE,
                len: 5,
            },
        ),
        (
            frame(0x2, 0, 1, b"1234"),
            FrameError::BadLength {
                kind: FrameType::PRIORITY,
                len: 4,
            },
        ),
        (
            frame(0x4, 0, 0, b"12345"),
            FrameError::BadLength {
                kind: FrameType::SETTINGS,
                len: 5,
            },
        ),
        (
            frame(0x4, flags::ACK, 0, b"\0\x01\0\0\0\0"),
            FrameError::SettingsAckWithPayload { len: 6 },
        ),
        (
            frame(0x0, 0, 0, b"x"),
            FrameError::StreamZero {
                kind: FrameType::DATA,
            },
        ),
        (
            frame(0x1, flags::END_HEADERS, 0, b"\x82"),
            FrameError::StreamZero {
                kind: FrameType::HEADERS,
            },
        ),
        (
            frame(0x3, 0, 0, b"\0\0\0\0"),
            FrameError::StreamZero {
                kind: FrameType::RST_STREAM,
            },
        ),
        (
            frame(0x9, 0, 0, b""),
            FrameError::StreamZero {
                kind: FrameType::CONTINUATION,
            },
        ),
        (
            frame(0x4, 0, 1, b""),
            FrameError::NotStreamZero {
                kind: FrameType::SETTINGS,
                stream: 1,
            },
        ),
        (
            frame(0x6, 0, 3, b"12345678"),
            FrameError::NotStreamZero {
                kind: FrameType::PING,
                stream: 3,
            },
        ),
        (
            frame(0x7, 0, 3, b"\0\0\0\0\0\0\0\0"),
            FrameError::NotStreamZero {
                kind: FrameType::GOAWAY,
                stream: 3,
            },
        ),
        (
            frame(0x4, 0, 0, b"\0\x08\0\0\0\x02"),
            FrameError::BadSetting { id: 8, value: 2 },
        ),
        (
            frame(0x4, 0, 0, b"\0\x02\0\0\0\x05"),
            FrameError::BadSetting { id: 2, value: 5 },
        ),
        (
            frame(0x4, 0, 0, b"\0\x05\0\0\x10\0"),
            FrameError::BadSetting { id: 5, value: 4096 },
        ),
        (
            frame(0x4, 0, 0, b"\0\x04\x80\0\0\0"),
            FrameError::BadSetting {
                id: 4,
                value: 0x8000_0000,
            },
        ),
    ];
    for (bytes, want) in cases {
        let got = parse(&bytes).unwrap_err();
        assert_eq!(got, want, "{bytes:02x?}");
        assert!(!crate::report::words::h2::broke(&got.broke()).is_empty());
    }
    assert_eq!(
        FrameError::BadSetting {
            id: 4,
            value: 0x8000_0000
        }
        .code(),
        ErrorCode::FLOW_CONTROL_ERROR
    );
}

#[test]
fn settings_last_value_wins_and_unknown_ignored() {
    let bytes = frame(
        0x4,
        0,
        0,
        b"\0\x08\0\0\0\x01\0\x08\0\0\0\0\x0a\x0a\0\0\0\x07\0\x01\0\0\x10\x00",
    );
    let Frame::Settings { settings, .. } = parse(&bytes).unwrap().2 else {
        panic!()
    };
    assert_eq!(settings.enable_connect_protocol, Some(false));
    assert_eq!(settings.header_table_size, Some(4096));
    assert_eq!(settings.max_frame_size, None);
}

#[test]
fn error_code_names() {
    let names = [
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    ];
    for (code, name) in names.iter().enumerate() {
        assert_eq!(ErrorCode(code as u32).to_string(), *name);
    }
    assert_eq!(ErrorCode(0xe).to_string(), "0xe");
    assert_eq!(ErrorCode(0xdead_beef).to_string(), "0xdeadbeef");
    assert_eq!(FrameType(0x9).to_string(), "CONTINUATION");
    assert_eq!(FrameType(0x10).to_string(), "unknown type 0x10");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Every short input of a few shapes, with every flag combination.
    let mut seed = 0x1234_5678u32;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let len = (seed % 24) as usize;
        let mut bytes = frame((seed >> 8) as u8 % 12, (seed >> 16) as u8, seed >> 20, &[]);
        bytes[..3].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
        for k in 0..len {
            bytes.push((seed >> (k % 24)) as u8);
        }
        let _ = parse(&bytes);
    }
}
