//! Tests of the connection reader on hand-made byte streams; `e2e` has the ones on bytes
//! written by the `h2` crate.

use super::frame::{flags, ErrorCode, FrameError, FrameType};
use super::*;

mod capture;
mod e2e;
mod layer;

/// One frame's bytes: header then payload.
pub(super) fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = Vec::with_capacity(9 + payload.len());
    v.extend_from_slice(&len.to_be_bytes()[1..]);
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// An owned event, packet and time left out, so reads of the same bytes in different
/// chunks compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ev {
    Settings {
        from_client: bool,
        ecp: Option<bool>,
    },
    Request {
        stream: u32,
        method: Option<String>,
        protocol: Option<String>,
        scheme: Option<String>,
        authority: Option<String>,
        path: Option<String>,
        ws: [Option<String>; 3],
        end_stream: bool,
    },
    Response {
        stream: u32,
        status: Option<u16>,
        ws_protocol: Option<String>,
        end_stream: bool,
    },
    Trailers {
        stream: u32,
        from_client: bool,
        end_stream: bool,
    },
    Unreadable {
        stream: u32,
        from_client: bool,
        end_stream: bool,
        lost_at: Option<u64>,
    },
    Data {
        stream: u32,
        from_client: bool,
        bytes: Vec<u8>,
        end_stream: bool,
    },
    Rst {
        stream: u32,
        from_client: bool,
        code: ErrorCode,
    },
    GoAway {
        from_client: bool,
        last_stream: u32,
        code: ErrorCode,
        debug: Vec<u8>,
    },
    Lost {
        from_client: bool,
        reason: LostReason,
    },
}

fn s(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

pub(super) fn own(ev: H2Event<'_>) -> Ev {
    match ev {
        H2Event::Settings {
            from_client,
            enable_connect_protocol,
            ..
        } => Ev::Settings {
            from_client,
            ecp: enable_connect_protocol,
        },
        H2Event::Request {
            stream,
            method,
            protocol,
            scheme,
            authority,
            path,
            ws_version,
            ws_protocols,
            ws_extensions,
            end_stream,
            ..
        } => Ev::Request {
            stream,
            method: s(method),
            protocol: s(protocol),
            scheme: s(scheme),
            authority: s(authority),
            path: s(path),
            ws: [s(ws_version), s(ws_protocols), s(ws_extensions)],
            end_stream,
        },
        H2Event::Response {
            stream,
            status,
            ws_protocol,
            end_stream,
            ..
        } => Ev::Response {
            stream,
            status,
            ws_protocol: s(ws_protocol),
            end_stream,
        },
        H2Event::Trailers {
            stream,
            from_client,
            end_stream,
            ..
        } => Ev::Trailers {
            stream,
            from_client,
            end_stream,
        },
        H2Event::Unreadable {
            stream,
            from_client,
            end_stream,
            lost_at,
            ..
        } => Ev::Unreadable {
            stream,
            from_client,
            end_stream,
            lost_at,
        },
        H2Event::Data {
            stream,
            from_client,
            bytes,
            end_stream,
            ..
        } => Ev::Data {
            stream,
            from_client,
            bytes: bytes.to_vec(),
            end_stream,
        },
        H2Event::RstStream {
            stream,
            from_client,
            code,
            ..
        } => Ev::Rst {
            stream,
            from_client,
            code,
        },
        H2Event::GoAway {
            from_client,
            last_stream,
            code,
            debug,
            ..
        } => Ev::GoAway {
            from_client,
            last_stream,
            code,
            debug: debug.to_vec(),
        },
        H2Event::Lost {
            from_client,
            reason,
            ..
        } => Ev::Lost {
            from_client,
            reason,
        },
    }
}

/// Join DATA pieces of one stream that follow each other (a frame read in pieces).
pub(super) fn merge(events: Vec<Ev>) -> Vec<Ev> {
    let mut out: Vec<Ev> = Vec::new();
    for ev in events {
        if let (
            Some(Ev::Data {
                stream: s0,
                from_client: c0,
                bytes: b0,
                end_stream: false,
            }),
            Ev::Data {
                stream,
                from_client,
                bytes,
                end_stream,
            },
        ) = (out.last_mut(), &ev)
        {
            if *s0 == *stream && *c0 == *from_client {
                b0.extend_from_slice(bytes);
                if *end_stream {
                    let last = out.len() - 1;
                    if let Some(Ev::Data { end_stream: e, .. }) = out.get_mut(last) {
                        *e = true;
                    }
                }
                continue;
            }
        }
        out.push(ev);
    }
    out
}

/// Everything one stream of one direction said: heads, all its DATA joined, whether the
/// last DATA piece ended the stream, and resets.
pub(super) fn stream_view(events: &[Ev], stream: u32) -> (Vec<Ev>, Vec<u8>, bool) {
    let mut other = Vec::new();
    let mut data = Vec::new();
    let mut ended = false;
    for e in events {
        match e {
            Ev::Data {
                stream: s,
                bytes,
                end_stream,
                ..
            } if *s == stream => {
                assert!(!ended, "DATA after END_STREAM on {stream}");
                data.extend_from_slice(bytes);
                ended = *end_stream;
            }
            Ev::Request { stream: s, .. }
            | Ev::Response { stream: s, .. }
            | Ev::Trailers { stream: s, .. }
            | Ev::Unreadable { stream: s, .. }
            | Ev::Rst { stream: s, .. }
                if *s == stream =>
            {
                other.push(e.clone())
            }
            _ => {}
        }
    }
    (other, data, ended)
}

/// Feed one direction's bytes in the given chunks (packet numbers 1, 2, ...).
fn read(from_client: bool, chunks: &[&[u8]]) -> (Vec<Ev>, H2Conn) {
    let mut conn = H2Conn::new();
    let mut evs = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        conn.feed(from_client, c, i as u64 + 1, Timestamp(0), &mut |e| {
            evs.push(own(e))
        });
    }
    (merge(evs), conn)
}

fn read_whole(from_client: bool, bytes: &[u8]) -> Vec<Ev> {
    read(from_client, &[bytes]).0
}

fn settings_frame(params: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in params {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    frame(0x4, 0, 0, &p)
}

fn hpack_block(enc: &mut loona_hpack::Encoder<'_>, fields: &[(&str, &str)]) -> Vec<u8> {
    enc.encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
}

const WS_REQUEST: &[(&str, &str)] = &[
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":path", "/chat?room=1"),
    (":authority", "example.org"),
    ("sec-websocket-version", "13"),
    ("sec-websocket-protocol", "chat"),
];

/// The client's side of a short conversation: preface, SETTINGS, an extended CONNECT on
/// stream 1 split over HEADERS and two CONTINUATION frames, a padded DATA frame, a GET on
/// stream 3 that reuses the dynamic table, an unknown frame, RST_STREAM and GOAWAY.
fn client_stream() -> Vec<u8> {
    let mut enc = loona_hpack::Encoder::new();
    let mut v = PREFACE.to_vec();
    v.extend(settings_frame(&[(0x2, 0), (0x4, 1 << 20)]));
    v.extend(frame(0x8, 0, 0, &1000u32.to_be_bytes()));
    let block = hpack_block(&mut enc, WS_REQUEST);
    let (a, rest) = block.split_at(block.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    v.extend(frame(
        0x1,
        flags::PRIORITY,
        1,
        &[b"\0\0\0\0\x10", a].concat(),
    ));
    v.extend(frame(0x9, 0, 1, b));
    v.extend(frame(0x9, flags::END_HEADERS, 1, c));
    v.extend(frame(
        0x0,
        flags::PADDED,
        1,
        &[b"\x05".as_slice(), b"\x88\x82\x03\xe8", b"\0\0\0\0\0"].concat(),
    ));
    v.extend(frame(0xbb, 0, 1, b"ignored frame"));
    let block = hpack_block(
        &mut enc,
        &[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/"),
            (":authority", "example.org"),
        ],
    );
    v.extend(frame(
        0x1,
        flags::END_HEADERS | flags::END_STREAM,
        3,
        &block,
    ));
    v.extend(frame(0x6, 0, 0, b"pingpong"));
    v.extend(frame(0x3, 0, 1, &8u32.to_be_bytes()));
    v.extend(frame(0x7, 0, 0, b"\0\0\0\x03\0\0\0\0bye"));
    v
}

fn client_events() -> Vec<Ev> {
    vec![
        Ev::Settings {
            from_client: true,
            ecp: None,
        },
        Ev::Request {
            stream: 1,
            method: Some("CONNECT".into()),
            protocol: Some("websocket".into()),
            scheme: Some("https".into()),
            authority: Some("example.org".into()),
            path: Some("/chat?room=1".into()),
            ws: [Some("13".into()), Some("chat".into()), None],
            end_stream: false,
        },
        Ev::Data {
            stream: 1,
            from_client: true,
            bytes: b"\x88\x82\x03\xe8".to_vec(),
            end_stream: false,
        },
        Ev::Request {
            stream: 3,
            method: Some("GET".into()),
            protocol: None,
            scheme: Some("https".into()),
            authority: Some("example.org".into()),
            path: Some("/".into()),
            ws: [None, None, None],
            end_stream: true,
        },
        Ev::Rst {
            stream: 1,
            from_client: true,
            code: ErrorCode::CANCEL,
        },
        Ev::GoAway {
            from_client: true,
            last_stream: 3,
            code: ErrorCode::NO_ERROR,
            debug: b"bye".to_vec(),
        },
    ]
}

#[test]
fn client_stream_whole() {
    assert_eq!(read_whole(true, &client_stream()), client_events());
}

#[test]
fn client_stream_split_at_every_byte() {
    // Covers the preface split at every byte, headers and payloads split, CONTINUATION
    // reassembled from pieces, padded DATA split in its pad length, data and padding.
    let bytes = client_stream();
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        let (evs, conn) = read(true, &[a, b]);
        assert_eq!(evs, client_events(), "cut at {cut}");
        assert!(!conn.is_lost(true));
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(read(true, &singles).0, client_events());
}

#[test]
fn preface_split_at_every_byte() {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings_frame(&[(0x8, 1)]));
    for cut in 0..=PREFACE.len() {
        for cut2 in cut..=PREFACE.len() {
            let (evs, _) = read(true, &[&bytes[..cut], &bytes[cut..cut2], &bytes[cut2..]]);
            assert_eq!(
                evs,
                vec![Ev::Settings {
                    from_client: true,
                    ecp: Some(true)
                }],
                "cuts {cut} {cut2}"
            );
        }
    }
}

#[test]
fn looks_like_preface_cases() {
    assert!(looks_like_preface(PREFACE));
    assert!(looks_like_preface(b"PRI * HT"));
    assert!(looks_like_preface(
        &[PREFACE.as_slice(), b"\0\0\0\x04"].concat()
    ));
    assert!(!looks_like_preface(b""));
    assert!(!looks_like_preface(b"GET / HTTP/1.1\r\n"));
    assert!(!looks_like_preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r"));
}

#[test]
fn wrong_preface_is_lost() {
    for (i, bad) in [&b"GET / HTTP/1.1\r\n\r\n"[..], b"PRI * HTTP/2.0\r\n\r\nXX"]
        .iter()
        .enumerate()
    {
        let (evs, conn) = read(true, &[bad, &settings_frame(&[])]);
        assert_eq!(
            evs,
            vec![Ev::Lost {
                from_client: true,
                reason: LostReason::NoPreface
            }],
            "{i}"
        );
        assert!(conn.is_lost(true));
        assert!(!conn.is_lost(false));
    }
}

#[test]
fn first_frame_must_be_settings() {
    let bytes = [PREFACE.as_slice(), &frame(0x6, 0, 0, b"12345678")].concat();
    assert_eq!(
        read_whole(true, &bytes),
        vec![Ev::Lost {
            from_client: true,
            reason: LostReason::Frame(FrameError::FirstNotSettings {
                kind: FrameType::PING
            })
        }]
    );
    // The server has no preface: SETTINGS first.
    let ok = [settings_frame(&[(0x8, 1)]), frame(0x6, 0, 0, b"12345678")].concat();
    assert_eq!(
        read_whole(false, &ok),
        vec![Ev::Settings {
            from_client: false,
            ecp: Some(true)
        }]
    );
}

/// The server's side: SETTINGS, two responses sharing the table, DATA, trailers.
#[test]
fn server_responses_and_trailers() {
    let mut enc = loona_hpack::Encoder::new();
    let mut v = settings_frame(&[(0x8, 1), (0x3, 100)]);
    v.extend(frame(0x4, flags::ACK, 0, b""));
    let b = hpack_block(
        &mut enc,
        &[(":status", "200"), ("sec-websocket-protocol", "chat")],
    );
    v.extend(frame(0x1, flags::END_HEADERS, 1, &b));
    let b = hpack_block(&mut enc, &[(":status", "200"), ("x-a", "1")]);
    v.extend(frame(0x1, flags::END_HEADERS, 3, &b));
    v.extend(frame(0x0, flags::END_STREAM, 3, b""));
    v.extend(frame(0x0, 0, 1, b"\x88\x02\x03\xe8"));
    let b = hpack_block(&mut enc, &[("x-a", "1")]);
    v.extend(frame(0x1, flags::END_HEADERS | flags::END_STREAM, 1, &b));
    let want = vec![
        Ev::Settings {
            from_client: false,
            ecp: Some(true),
        },
        Ev::Response {
            stream: 1,
            status: Some(200),
            ws_protocol: Some("chat".into()),
            end_stream: false,
        },
        Ev::Response {
            stream: 3,
            status: Some(200),
            ws_protocol: None,
            end_stream: false,
        },
        Ev::Data {
            stream: 3,
            from_client: false,
            bytes: vec![],
            end_stream: true,
        },
        Ev::Data {
            stream: 1,
            from_client: false,
            bytes: b"\x88\x02\x03\xe8".to_vec(),
            end_stream: false,
        },
        Ev::Trailers {
            stream: 1,
            from_client: false,
            end_stream: true,
        },
    ];
    for cut in 0..=v.len() {
        assert_eq!(read(false, &[&v[..cut], &v[cut..]]).0, want, "cut {cut}");
    }
}

fn client_with(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut v = PREFACE.to_vec();
    v.extend(settings_frame(&[]));
    for f in frames {
        v.extend_from_slice(f);
    }
    v
}

fn lost_events(from_client: bool, bytes: &[u8]) -> (Vec<Ev>, Option<LostReason>) {
    let evs = read_whole(from_client, bytes);
    let lost = evs.iter().find_map(|e| match e {
        Ev::Lost { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    (evs, lost)
}

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
    let text = LostReason::Frame(FrameError::UnexpectedContinuation { stream: 1 }).to_string();
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
        Some(Ev::Lost { reason, .. }) => reason.to_string(),
        _ => String::new(),
    };
    assert!(
        text.contains("stream 3") && text.contains("HPACK"),
        "{text}"
    );
}

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
