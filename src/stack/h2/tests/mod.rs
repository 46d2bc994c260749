//! Tests of the connection reader on hand-made byte streams, by subject; `e2e` has the ones
//! on bytes written by the `h2` crate, `capture` on a real capture, `layer` the HTTP/2 layer
//! in a connection's stack. This module holds the helpers they share.

use super::frame::{flags, ErrorCode, FrameError, FrameType};
use super::*;

mod capture;
mod conversation;
mod e2e;
mod header_blocks;
mod layer;
mod limits;
mod preface;

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
