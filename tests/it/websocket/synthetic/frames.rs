//! Scenarios 1-5: frames and TCP segments (many frames in one segment, one message over
//! fifty, headers one byte per segment, the handshake sharing a segment with the first frame),
//! fragmentation and UTF-8 across fragments (RFC 6455 §5.2, §5.4, §8.1).

use super::*;
use wsclose::vocab::TcpEndName;

#[test]
fn many_frames_in_one_segment_are_all_decoded() {
    let mut s = Session::new(40001, 8080).ethernet();
    s.open();
    let burst = [
        text(Server, "hello"),
        ping(Server, b"p"),
        binary(Server, &[1, 2, 3, 4]),
        close(Server, 1000, "bye"),
    ]
    .concat();
    assert_eq!(s.send(Server, &burst), 6);
    assert_eq!(s.send(Client, &close(Client, 1000, "bye")), 7);
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1000, "bye", 6), cl(Client, 1000, "bye", 7)]
    );
    assert_eq!((c.status.code, c.status.inferred), (Some(1000), false));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1000), Some(1000))
    );
    let f = c.frames.server;
    assert_eq!(f.frames, 4);
    assert_eq!(f.messages, 2);
    assert_eq!((f.text_messages, f.binary_messages), (1, 1));
    assert_eq!((f.pings, f.pongs), (1, 0));
    assert_eq!(f.payload_bytes, 5 + 1 + 4 + 5);
    assert_eq!(f.largest_message, Some((5, 6)));
    assert_eq!((c.frames.client.frames, c.frames.client.messages), (1, 0));
    assert_eq!(
        (c.tcp_end(), c.tcp_end_by()),
        (TcpEndName::Fin, Some(Server))
    );
    assert_eq!(c.tcp_end_packet(), Some(8));
    assert_eq!(findings(c), vec![]);
    assert_eq!(c.handshake.accept_valid, Some(true));
    assert_eq!(
        (c.handshake.request_packet, c.handshake.response_packet),
        (Some(4), Some(5))
    );
}

#[test]
fn message_spanning_fifty_segments_then_close_4000() {
    let mut s = Session::new(40002, 8080);
    s.open();
    let big = binary(Client, &pattern(70_000));
    assert_eq!(&big[1..10], &[0xFF, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    let pkts = s.send_chunks(Client, &big, 1401);
    assert_eq!(pkts.len(), 50);
    let last = *pkts.last().unwrap();
    let close_pkt = s.send(Client, &close(Client, 4000, "big"));
    let reply = s.send(Server, &close(Server, 4000, "big"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Client, 4000, "big", close_pkt),
            cl(Server, 4000, "big", reply)
        ]
    );
    assert_eq!(c.status.code, Some(4000));
    let f = c.frames.client;
    assert_eq!(f.largest_message, Some((70_000, last)));
    assert_eq!((f.frames, f.messages, f.binary_messages), (2, 1, 1));
    assert_eq!(f.payload_bytes, 70_000 + 5);
    assert_eq!(c.tcp.client.gaps, 0);
    assert_eq!(findings(c), vec![]);
}

#[test]
fn frame_headers_and_close_split_one_byte_per_segment() {
    let mut s = Session::new(40003, 8080);
    s.open();
    // 16-bit length, masked: an 8-byte header, one byte per segment, then the payload.
    let f16 = binary(Client, &pattern(300));
    assert_eq!(&f16[1..4], &[0x80 | 126, 0x01, 0x2C]);
    s.send_chunks(Client, &f16[..8], 1);
    s.send(Client, &f16[8..]);
    // 64-bit length, masked: a 14-byte header, one byte per segment.
    let f64 = binary(Client, &pattern(66_000));
    assert_eq!(f64[1], 0x80 | 127);
    s.send_chunks(Client, &f64[..14], 1);
    let big_end = *s.send_chunks(Client, &f64[14..], 1400).last().unwrap();
    // The close frame itself, every byte its own segment.
    let close_bytes = close(Client, 4001, "split close");
    let pkts = s.send_chunks(Client, &close_bytes, 1);
    assert_eq!(pkts.len(), 6 + 13);
    // The server's (unmasked) reply, one byte per segment too.
    let reply = close(Server, 4001, "split close");
    let reply_pkts = s.send_chunks(Server, &reply, 1);
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            cl(Client, 4001, "split close", *pkts.last().unwrap()),
            cl(Server, 4001, "split close", *reply_pkts.last().unwrap())
        ]
    );
    assert_eq!(c.status.code, Some(4001));
    let f = c.frames.client;
    assert_eq!((f.frames, f.binary_messages), (3, 2));
    assert_eq!(f.largest_message, Some((66_000, big_end)));
    assert_eq!(findings(c), vec![]);
}

#[test]
fn handshake_and_first_frame_share_a_segment() {
    // reassembly rule 9: bytes after the blank line of the request or response are frames.
    let mut s = Session::new(40004, 8080);
    s.handshake();
    let req = [request(), text(Client, "early")].concat();
    assert_eq!(s.send(Client, &req), 4);
    let resp = [response(false), close(Server, 1001, "going away")].concat();
    assert_eq!(s.send(Server, &resp), 5);
    assert_eq!(s.send(Client, &close(Client, 1001, "going away")), 6);
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.handshake.status, Some(101));
    assert_eq!(
        (c.handshake.request_packet, c.handshake.response_packet),
        (Some(4), Some(5))
    );
    assert_eq!(
        closes(c),
        vec![
            cl(Server, 1001, "going away", 5),
            cl(Client, 1001, "going away", 6)
        ]
    );
    assert_eq!((c.status.code, c.status.inferred), (Some(1001), false));
    assert_eq!(
        (c.frames.client.frames, c.frames.client.text_messages),
        (2, 1)
    );
    assert_eq!(c.frames.server.frames, 1);
    assert_eq!(findings(c), vec![]);
}

#[test]
fn response_split_with_the_frame_in_its_last_segment() {
    let mut s = Session::new(40005, 8080);
    s.handshake();
    s.send(Client, &request());
    let resp = [response(false), close(Server, 1001, "bye")].concat();
    // The headers end in the second segment, which also carries the whole close frame.
    let pkts = s.send_split(Server, &resp, &[40]);
    assert_eq!(pkts, vec![5, 6]);
    s.send(Client, &close(Client, 1001, "bye"));
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.handshake.response_packet, Some(6));
    assert_eq!(
        closes(c),
        vec![cl(Server, 1001, "bye", 6), cl(Client, 1001, "bye", 7)]
    );
    assert_eq!(c.status.code, Some(1001));
}

// ---------------------------------------------------------------------------------------
// 5: fragmentation and UTF-8
// ---------------------------------------------------------------------------------------

/// Opens a session, sends each of `segments` from the client, closes cleanly (1000) and
/// returns the report.
fn client_segments(port: u16, segments: &[Vec<u8>]) -> Report {
    let mut s = Session::new(port, 8080);
    s.open();
    for seg in segments {
        s.send(Client, seg);
    }
    s.send(Client, &close(Client, 1000, ""));
    s.send(Server, &close(Server, 1000, ""));
    s.fins(Server);
    s.analyze()
}

#[test]
fn fragmented_text_with_a_ping_between_fragments_is_clean() {
    let r = client_segments(
        40010,
        &[
            frame(false, 0, OP_TEXT, Some(MASK), b"Hel"),
            ping(Client, b"are you there"),
            frame(true, 0, OP_CONT, Some(MASK), b"lo"),
        ],
    );
    let c = only(&r);
    assert_eq!(findings(c), vec![]);
    let f = c.frames.client;
    assert_eq!(
        (f.frames, f.messages, f.text_messages, f.pings),
        (4, 1, 1, 1)
    );
    assert_eq!(f.largest_message, Some((5, 8)));
    assert_eq!(c.status.code, Some(1000));
}

#[test]
fn utf8_character_split_across_fragments_is_valid() {
    // "é" is C3 A9: the first fragment ends after C3, the continuation starts with A9.
    let r = client_segments(
        40011,
        &[
            frame(false, 0, OP_TEXT, Some(MASK), b"caf\xC3"),
            frame(true, 0, OP_CONT, Some(MASK), b"\xA9!"),
        ],
    );
    let c = only(&r);
    assert_eq!(findings(c), vec![]);
    assert_eq!(c.frames.client.text_messages, 1);
}

#[test]
fn invalid_utf8_split_across_fragments_is_one_finding() {
    // C3 then '(' : the sequence is broken in the second fragment (packet 7).
    let r = client_segments(
        40012,
        &[
            frame(false, 0, OP_TEXT, Some(MASK), b"caf\xC3"),
            frame(false, 0, OP_CONT, Some(MASK), b"(\xC3"),
            frame(true, 0, OP_CONT, Some(MASK), b"("),
        ],
    );
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::InvalidUtf8Text, Some(Client), Some(7))]
    );
    assert_eq!(c.frames.client.text_messages, 1);
}

#[test]
fn text_message_ending_inside_a_character_is_invalid_at_its_last_frame() {
    let r = client_segments(
        40013,
        &[
            frame(false, 0, OP_TEXT, Some(MASK), b"ok"),
            frame(true, 0, OP_CONT, Some(MASK), b"\xE2\x82"),
        ],
    );
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::InvalidUtf8Text, Some(Client), Some(7))]
    );
}
