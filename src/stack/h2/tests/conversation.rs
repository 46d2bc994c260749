//! A short conversation of each side (preface, SETTINGS, extended CONNECT over HEADERS and
//! CONTINUATION, padded DATA, HPACK table reuse, RST_STREAM, GOAWAY; RFC 9113 §6, RFC 8441),
//! read whole and split at every byte.

use super::*;

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
