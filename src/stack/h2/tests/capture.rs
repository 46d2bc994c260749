//! A real capture: `fixtures/node-h2-websockets.pcap` (recorded by
//! `fixtures/record/h2/record.sh`: Node 20's `http2` with `ws` framing RFC 6455 over
//! three extended CONNECT streams of one h2c connection). The TCP payloads are taken from
//! the capture with the crate's capture reader and decoder (no analyzer), checked to be
//! in order, and fed to [`H2Conn`] packet by packet.

use super::*;
use crate::capture::file;
use crate::decode;
use crate::websocket::frame as ws;

const SERVER_PORT: u16 = 9050;

/// Every event of the capture, in order, with the packet it came from.
fn read_capture() -> Vec<(u64, Ev)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("node-h2-websockets.pcap");
    let mut conn = H2Conn::new();
    let mut events = Vec::new();
    // Next expected sequence number per direction (client, server), from the SYNs.
    let mut next_seq: [Option<u32>; 2] = [None, None];
    let mut first_client_payload = true;
    file::read(&path, &mut |pkt| {
        let seg = decode::decode(pkt).unwrap();
        let from_client = seg.dst.port == SERVER_PORT;
        let slot = &mut next_seq[usize::from(!from_client)];
        if seg.syn {
            *slot = Some(seg.seq.wrapping_add(1));
            return;
        }
        if seg.payload.is_empty() {
            return;
        }
        // Loopback: no loss, no reordering; the test relies on it.
        assert_eq!(Some(seg.seq), *slot, "packet {} out of order", pkt.number);
        *slot = Some(seg.seq.wrapping_add(seg.payload.len() as u32));
        if from_client && first_client_payload {
            first_client_payload = false;
            assert!(looks_like_preface(seg.payload));
        }
        conn.feed(from_client, seg.payload, pkt.number, pkt.ts, &mut |e| {
            events.push((pkt.number, own(e)))
        });
    })
    .unwrap();
    assert!(!conn.is_lost(true) && !conn.is_lost(false));
    events
}

/// The WebSocket frames in one stream's bytes: (opcode, unmasked payload, masked).
fn ws_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>, bool)> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let (rest, h) = ws::parse_header(bytes).unwrap();
        let len = h.payload_len as usize;
        let mut payload = rest[..len].to_vec();
        if let Some(key) = h.mask {
            ws::unmask(&mut payload, key, 0);
        }
        frames.push((h.opcode.0, payload, h.masked()));
        bytes = &rest[len..];
    }
    frames
}

#[test]
fn node_h2_websockets_capture() {
    let events = read_capture();
    let pick = |from_client: bool| -> Vec<Ev> {
        events
            .iter()
            .map(|(_, e)| e.clone())
            .filter(|e| match e {
                Ev::Settings { from_client: c, .. }
                | Ev::Trailers { from_client: c, .. }
                | Ev::Unreadable { from_client: c, .. }
                | Ev::Data { from_client: c, .. }
                | Ev::Rst { from_client: c, .. }
                | Ev::GoAway { from_client: c, .. }
                | Ev::Lost { from_client: c, .. } => *c == from_client,
                Ev::Request { .. } => from_client,
                Ev::Response { .. } => !from_client,
            })
            .collect()
    };
    let (client, server) = (pick(true), pick(false));
    assert!(!events.iter().any(|(_, e)| matches!(
        e,
        Ev::Lost { .. } | Ev::Unreadable { .. } | Ev::Trailers { .. }
    )));

    // The server allows extended CONNECT (RFC 8441 §3) in its first SETTINGS.
    assert_eq!(
        client.first(),
        Some(&Ev::Settings {
            from_client: true,
            ecp: None
        })
    );
    assert!(events.contains(&(
        6,
        Ev::Settings {
            from_client: false,
            ecp: Some(true)
        }
    )));

    let request = |stream: u32, method: &str, path: &str, ws: bool, end_stream: bool| Ev::Request {
        stream,
        method: Some(method.into()),
        protocol: ws.then(|| "websocket".into()),
        scheme: Some("http".into()),
        authority: Some("127.0.0.1:9050".into()),
        path: Some(path.into()),
        ws: [ws.then(|| "13".into()), None, None],
        end_stream,
    };
    let response = |stream: u32| Ev::Response {
        stream,
        status: Some(200),
        ws_protocol: None,
        end_stream: false,
    };
    let rst = |stream: u32, from_client: bool, code: ErrorCode| Ev::Rst {
        stream,
        from_client,
        code,
    };
    let text = |s: &str| (0x1u8, s.as_bytes().to_vec());
    let close =
        |code: u16, reason: &str| (0x8u8, [&code.to_be_bytes()[..], reason.as_bytes()].concat());
    // Opcode and payload of each WebSocket frame; all masked from the client, none from
    // the server (RFC 6455 §5.1).
    let frames = |bytes: &[u8], masked: bool| -> Vec<(u8, Vec<u8>)> {
        ws_frames(bytes)
            .into_iter()
            .map(|(op, payload, m)| {
                assert_eq!(m, masked);
                (op, payload)
            })
            .collect()
    };

    // Stream 1: a plain GET in the same connection.
    let (heads, data, ended) = stream_view(&client, 1);
    assert_eq!(
        (heads, data.is_empty()),
        (vec![request(1, "GET", "/", false, true)], true)
    );
    assert!(!ended);
    let (heads, data, ended) = stream_view(&server, 1);
    assert_eq!(
        (heads, data, ended),
        (vec![response(1)], b"ok".to_vec(), true)
    );

    // Stream 3, /close: the close handshake (the server's 1000 "done", echoed), the
    // client's END_STREAM; Node's server then resets with NO_ERROR (RFC 9113 §8.1), and the
    // client answers in kind.
    let (heads, data, ended) = stream_view(&client, 3);
    assert_eq!(
        heads,
        vec![
            request(3, "CONNECT", "/close", true, false),
            rst(3, true, ErrorCode::NO_ERROR)
        ]
    );
    assert_eq!(
        frames(&data, true),
        vec![text("hello"), close(1000, "done")]
    );
    assert!(ended);
    let (heads, data, ended) = stream_view(&server, 3);
    assert_eq!(heads, vec![response(3), rst(3, false, ErrorCode::NO_ERROR)]);
    assert_eq!(
        frames(&data, false),
        vec![text("hello"), close(1000, "done")]
    );
    assert!(!ended);

    // Stream 5, /rst: no close frame; the client ends its side and resets with CANCEL.
    let (heads, data, ended) = stream_view(&client, 5);
    assert_eq!(
        heads,
        vec![
            request(5, "CONNECT", "/rst", true, false),
            rst(5, true, ErrorCode::CANCEL)
        ]
    );
    assert_eq!((frames(&data, true), ended), (vec![text("hello")], true));
    let (heads, data, ended) = stream_view(&server, 5);
    assert_eq!(heads, vec![response(5)]);
    assert_eq!((frames(&data, false), ended), (vec![text("hello")], false));

    // Stream 7, /goaway: no close frame, no END_STREAM, no RST_STREAM: the server's GOAWAY
    // (last stream 7, NO_ERROR) at packet 33, then the TCP connection closes.
    let (heads, data, ended) = stream_view(&client, 7);
    assert_eq!(heads, vec![request(7, "CONNECT", "/goaway", true, false)]);
    assert_eq!((frames(&data, true), ended), (vec![text("hello")], false));
    let (heads, data, ended) = stream_view(&server, 7);
    assert_eq!(heads, vec![response(7)]);
    assert_eq!((frames(&data, false), ended), (vec![text("hello")], false));
    let goaway = Ev::GoAway {
        from_client: false,
        last_stream: 7,
        code: ErrorCode::NO_ERROR,
        debug: vec![],
    };
    assert_eq!(
        events.iter().find(|(_, e)| matches!(e, Ev::GoAway { .. })),
        Some(&(33, goaway))
    );
}
