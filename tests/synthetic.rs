//! Captures built in code, one scenario per test: every byte of every packet is known, so
//! each test states the exact close frames, packet numbers, status and findings.
//!
//! A [`Session`] plays one TCP connection (client 10.0.0.1, server 10.0.0.2) and tracks
//! both sequence numbers; the WebSocket helpers build RFC 6455 frames (client frames masked,
//! server frames not, unless a test says otherwise). `Session::analyze` writes the packets
//! to a pcap in a temporary directory and runs the library on it.

mod common;

use common::*;
use std::ops::Range;
use std::time::{Duration, Instant};
use wsclose::capture::LinkType;
use wsclose::finding::Kind;
use wsclose::flow::Role::{self, Client, Server};
use wsclose::report::Report;

// ---------------------------------------------------------------------------------------
// 1-4: frames and segments
// ---------------------------------------------------------------------------------------

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
    assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Server)));
    assert_eq!(c.tcp_end_packet, Some(8));
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
    // REASSEMBLY.md rule 9: bytes after the blank line of the request or response are frames.
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

// ---------------------------------------------------------------------------------------
// 6: framing violations
// ---------------------------------------------------------------------------------------

/// Opens a session (with permessage-deflate if `deflate`), sends `bytes` from `from` in
/// one segment (packet 6), then both close frames (packets 7 and 8, from `from` first) and
/// FINs; returns the report.
fn violation(port: u16, deflate: bool, from: Role, bytes: &[u8]) -> Report {
    let mut s = Session::new(port, 8080);
    s.open_with(deflate);
    assert_eq!(s.send(from, bytes), 6);
    s.send(from, &close(from, 1002, "protocol error"));
    s.send(from.peer(), &close(from.peer(), 1002, "protocol error"));
    s.fins(Server);
    s.analyze()
}

/// The findings of a one-violation session.
fn violation_findings(
    port: u16,
    from: Role,
    bytes: &[u8],
) -> Vec<(Kind, Option<Role>, Option<u64>)> {
    findings(only(&violation(port, false, from, bytes)))
}

#[test]
fn masked_server_frame() {
    let bytes = frame(true, 0, OP_TEXT, Some(MASK), b"hi");
    assert_eq!(
        violation_findings(40020, Server, &bytes),
        vec![(Kind::MaskedServerFrame, Some(Server), Some(6))]
    );
}

#[test]
fn unmasked_client_frame() {
    let bytes = frame(true, 0, OP_TEXT, None, b"hi");
    assert_eq!(
        violation_findings(40021, Client, &bytes),
        vec![(Kind::UnmaskedClientFrame, Some(Client), Some(6))]
    );
}

#[test]
fn rsv1_without_deflate_negotiated() {
    let bytes = frame(true, RSV1, OP_TEXT, None, b"hi");
    assert_eq!(
        violation_findings(40022, Server, &bytes),
        vec![(Kind::RsvBitsSet, Some(Server), Some(6))]
    );
}

/// "Hello" compressed with permessage-deflate (RFC 7692 §7.2.3.1).
const DEFLATED_HELLO: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[test]
fn rsv1_with_deflate_is_allowed_on_a_first_fragment_only() {
    // Allowed: RSV1 on a text frame's first fragment, from either side (the client's
    // decoder was created before the 101 response said deflate).
    let first = frame(false, RSV1, OP_TEXT, None, &DEFLATED_HELLO[..3]);
    let rest = frame(true, 0, OP_CONT, None, &DEFLATED_HELLO[3..]);
    let r = violation(40023, true, Server, &[first, rest].concat());
    let c = only(&r);
    assert!(c.handshake.deflate);
    assert_eq!(findings(c), vec![]);
    assert_eq!(c.frames.server.compressed_messages, 1);

    let client_msg = frame(true, RSV1, OP_TEXT, Some(MASK), DEFLATED_HELLO);
    let r = violation(40024, true, Client, &client_msg);
    let c = only(&r);
    assert_eq!(findings(c), vec![]);
    assert_eq!(c.frames.client.compressed_messages, 1);

    // Not allowed: RSV1 on a continuation frame, or on a control frame.
    let first = frame(false, RSV1, OP_TEXT, None, &DEFLATED_HELLO[..3]);
    let rest = frame(true, RSV1, OP_CONT, None, &DEFLATED_HELLO[3..]);
    let c = violation(40025, true, Server, &[first, rest].concat());
    assert_eq!(
        findings(only(&c)),
        vec![(Kind::RsvBitsSet, Some(Server), Some(6))]
    );
    let bad_ping = frame(true, RSV1, OP_PING, None, b"x");
    let c = violation(40026, true, Server, &bad_ping);
    assert_eq!(
        findings(only(&c)),
        vec![(Kind::RsvBitsSet, Some(Server), Some(6))]
    );
}

#[test]
fn reserved_opcode_0x3() {
    let bytes = frame(true, 0, 0x3, Some(MASK), b"??");
    assert_eq!(
        violation_findings(40027, Client, &bytes),
        vec![(Kind::ReservedOpcode, Some(Client), Some(6))]
    );
}

#[test]
fn ping_with_126_byte_payload_is_too_long() {
    let bytes = ping(Server, &[b'p'; 126]);
    assert_eq!(&bytes[1..4], &[126, 0, 126]);
    assert_eq!(
        violation_findings(40028, Server, &bytes),
        vec![(Kind::ControlFrameTooLong, Some(Server), Some(6))]
    );
}

#[test]
fn ping_without_fin_is_a_fragmented_control_frame() {
    let bytes = frame(false, 0, OP_PING, Some(MASK), b"p");
    assert_eq!(
        violation_findings(40029, Client, &bytes),
        vec![(Kind::FragmentedControlFrame, Some(Client), Some(6))]
    );
}

#[test]
fn continuation_without_start() {
    let bytes = frame(true, 0, OP_CONT, None, b"orphan");
    assert_eq!(
        violation_findings(40030, Server, &bytes),
        vec![(Kind::ContinuationWithoutStart, Some(Server), Some(6))]
    );
}

#[test]
fn new_text_frame_inside_an_open_fragmented_message() {
    let bytes = [
        frame(false, 0, OP_TEXT, Some(MASK), b"part one"),
        frame(true, 0, OP_TEXT, Some(MASK), b"intruder"),
    ]
    .concat();
    assert_eq!(
        violation_findings(40031, Client, &bytes),
        vec![(
            Kind::DataFrameInsideFragmentedMessage,
            Some(Client),
            Some(6)
        )]
    );
}

#[test]
fn length_with_top_bit_set_is_reported_not_allocated() {
    // 82 7F 80.. 05: a 64-bit length of 2^63 + 5. Whatever follows is that frame's payload.
    let mut bytes = vec![0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x05];
    bytes.extend_from_slice(b"some bytes");
    let started = Instant::now();
    let r = violation(40032, false, Server, &bytes);
    assert!(started.elapsed() < Duration::from_secs(5));
    let c = only(&r);
    // The server's FIN comes long before the declared end: that frame never arrived whole.
    assert_eq!(
        findings(c),
        vec![
            (Kind::LengthTopBitSet, Some(Server), Some(6)),
            (Kind::TruncatedMessage, Some(Server), Some(9))
        ]
    );
    // The server's close frame is inside that payload; only the client's is decoded.
    assert_eq!(closes(c), vec![cl(Client, 1002, "protocol error", 8)]);
}

#[test]
fn length_5_in_the_16_bit_form_is_non_minimal() {
    let bytes = frame_len(true, 0, OP_BINARY, None, Len::Force16, b"12345");
    assert_eq!(&bytes[..4], &[0x82, 126, 0, 5]);
    assert_eq!(
        violation_findings(40033, Server, &bytes),
        vec![(Kind::NonMinimalLength, Some(Server), Some(6))]
    );
}

// ---------------------------------------------------------------------------------------
// 7: close frames with problems
// ---------------------------------------------------------------------------------------

/// The client closes with `payload` (packet 6), the server answers 1002 (packet 7).
fn bad_close(port: u16, payload: &[u8]) -> Report {
    let mut s = Session::new(port, 8080);
    s.open();
    assert_eq!(s.send(Client, &close_raw(Client, payload)), 6);
    s.send(Server, &close(Server, 1002, ""));
    s.fins(Server);
    s.analyze()
}

#[test]
fn one_byte_close_payload_has_no_code() {
    let r = bad_close(40040, &[0x03]);
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!((f.from, f.code, f.packet), (Client, None, 6));
    assert_eq!(f.problems, vec!["one-byte-payload"]);
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Client), Some(6))]
    );
    // A close frame that breaks the rules sets no status (no code is made up from the
    // single byte either): the server refused it and failed the connection with 1002.
    assert_eq!((c.status.code, c.status.inferred), (Some(1002), false));
}

#[test]
fn code_1005_on_the_wire_is_never_sent() {
    let r = bad_close(40041, &close_payload(1005, ""));
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!(f.code, Some(1005));
    assert_eq!(f.problems, vec!["code-never-sent"]);
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Client), Some(6))]
    );
    // 1005 may never be sent: the server refused that frame and failed with 1002.
    assert_eq!((c.status.code, c.status.inferred), (Some(1002), false));
}

#[test]
fn codes_999_and_5000_are_invalid() {
    for (port, code) in [(40042, 999), (40043, 5000)] {
        let r = bad_close(port, &close_payload(code, "odd"));
        let c = only(&r);
        let f = &c.close_frames[0];
        assert_eq!((f.code, f.reason.as_str()), (Some(code), "odd"));
        assert_eq!(f.problems, vec!["code-invalid"], "code {code}");
        assert_eq!(
            findings(c),
            vec![(Kind::MalformedClose, Some(Client), Some(6))]
        );
    }
}

#[test]
fn close_reason_not_utf8() {
    let mut payload = close_payload(1000, "ok");
    payload.extend_from_slice(&[0xFF, 0xFE]);
    let r = bad_close(40044, &payload);
    let c = only(&r);
    let f = &c.close_frames[0];
    assert_eq!(f.code, Some(1000));
    assert_eq!(f.problems, vec!["reason-not-utf8"]);
    assert_eq!(f.reason, "ok\u{FFFD}\u{FFFD}");
    assert_eq!(
        findings(c),
        vec![(Kind::MalformedClose, Some(Client), Some(6))]
    );
}

#[test]
fn text_frame_after_close_is_a_finding() {
    let mut s = Session::new(40045, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, "done"));
    s.send(Client, &text(Client, "one more thing"));
    s.send(Server, &close(Server, 1000, "done"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![(Kind::FrameAfterClose, Some(Client), Some(7))]
    );
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "done", 6), cl(Server, 1000, "done", 8)]
    );
    assert_eq!(c.status.code, Some(1000));
}

#[test]
fn oversized_close_fully_captured_is_too_long_not_truncated() {
    let mut s = Session::new(40046, 8080);
    s.open();
    let reason = "too long ".repeat(560);
    let pkts = s.send_chunks(Server, &close(Server, 1000, &reason), 1400);
    s.send(Client, &close(Client, 1002, ""));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        findings(c),
        vec![
            (Kind::ControlFrameTooLong, Some(Server), Some(pkts[0])),
            (
                Kind::MalformedClose,
                Some(Server),
                Some(*pkts.last().unwrap())
            )
        ]
    );
    assert_eq!(c.tcp.server.gaps, 0);
    // Every byte is in the capture: the only problem is the sender's.
    assert_eq!(c.close_frames[0].problems, vec!["too-long"]);
}

/// A close frame that breaks the rules, then TCP ends with no other close: the receiver
/// could not accept it, so the status is 1006, and the report says a close frame was sent
/// (not "no close frame"), with its packet in the evidence.
#[test]
fn refused_close_then_fin_is_1006_with_the_refused_frame_as_evidence() {
    let mut s = Session::new(40047, 8080);
    s.open();
    let reason = "C".repeat(200);
    let close_pkt = s.send(Server, &close(Server, 1000, &reason));
    let fin = s.fin(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.close_frames[0].problems, vec!["too-long"]);
    assert_eq!(c.status.code, Some(1006));
    assert!(
        c.status
            .detail
            .starts_with("No valid close frame was sent before the client closed TCP with a FIN"),
        "{}",
        c.status.detail
    );
    assert!(c.status.detail.contains(&format!(
        "The server's close frame at packet {close_pkt} was not a valid close (too-long)"
    )));
    let e = c.evidence.as_ref().unwrap();
    assert_eq!(e.packets, vec![close_pkt, fin]);
    assert!(e.summary.starts_with(&format!(
        "the server's close frame (packet {close_pkt}) could not be accepted (too-long); then the client closed TCP"
    )));
    // The table shows the start of the 202-byte reason and its length, not all of it.
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(
        table.contains(&format!("\"{}\u{2026}\"", "C".repeat(80))),
        "{table}"
    );
    assert!(table.contains("(200 bytes)"), "{table}");
    assert!(!table.contains(&"C".repeat(81)));
}

// ---------------------------------------------------------------------------------------
// 8: status rules
// ---------------------------------------------------------------------------------------

#[test]
fn empty_close_from_the_client_is_1005_inferred() {
    let mut s = Session::new(40050, 8080);
    s.open();
    s.send(Client, &close_raw(Client, &[]));
    s.send(Server, &close_raw(Server, &[]));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            (Client, None, String::new(), 6),
            (Server, None, String::new(), 7)
        ]
    );
    assert_eq!((c.status.code, c.status.inferred), (Some(1005), true));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1005), Some(1005))
    );
    assert_eq!(findings(c), vec![]);
}

#[test]
fn server_rst_without_close_is_1006() {
    let mut s = Session::new(40051, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    let rst = s.rst(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![]);
    assert_eq!((c.status.code, c.status.inferred), (Some(1006), true));
    assert_eq!((c.tcp_end, c.tcp_end_by), ("rst", Some(Server)));
    assert_eq!(c.tcp_end_packet, Some(rst));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1006), Some(1006))
    );
}

#[test]
fn server_fin_before_the_clients_close_is_1006() {
    let mut s = Session::new(40052, 8080);
    s.open();
    let fin = s.fin(Server);
    let late = s.send(Client, &close(Client, 1000, "late"));
    s.fin(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![cl(Client, 1000, "late", late)]);
    assert_eq!((c.status.code, c.status.inferred), (Some(1006), true));
    assert_eq!(
        (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
        ("fin", Some(Server), Some(fin))
    );
    assert_eq!(c.seen_by.client, Some(1006));
}

#[test]
fn close_and_fin_in_one_segment_is_the_close_code() {
    let mut s = Session::new(40053, 8080);
    s.open();
    let p = s.send_fin(Server, &close(Server, 1011, "oops"));
    let reply = s.send(Client, &close(Client, 1011, "oops"));
    s.fin(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Server, 1011, "oops", p), cl(Client, 1011, "oops", reply)]
    );
    assert_eq!((c.status.code, c.status.inferred), (Some(1011), false));
    assert_eq!(
        (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
        ("fin", Some(Server), Some(p))
    );
    assert_eq!(c.seen_by.client, Some(1011));
}

#[test]
fn capture_ending_open_has_no_status() {
    let mut s = Session::new(40054, 8080);
    s.open();
    s.send(Client, &text(Client, "still here"));
    s.send(Server, &text(Server, "me too"));
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(closes(c), vec![]);
    assert_eq!(c.status.code, None);
    assert_eq!(c.status.name, "Open");
    assert_eq!((c.tcp_end, c.tcp_end_by), ("open", None));
    assert_eq!((c.seen_by.client, c.seen_by.server), (None, None));
    assert_eq!(r.summary.by_status.get("open"), Some(&1));
}

// ---------------------------------------------------------------------------------------
// 9: reordering, duplicates and the sequence wrap through the whole pipeline
// ---------------------------------------------------------------------------------------

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
        c.tcp_end,
        c.tcp_end_by,
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
    assert_eq!((c.tcp_end, c.tcp_end_by), ("fin", Some(Server)));
    assert!(
        c.tcp_end_packet == Some(fin) || c.tcp_end_packet == Some(ack),
        "{:?}",
        c.tcp_end_packet
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
    assert!(f.problems.contains(&"truncated"), "{:?}", f.problems);
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
    assert!(f.problems.contains(&"truncated"), "{:?}", f.problems);
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
    assert_eq!(f.problems, vec!["truncated"]);
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

// ---------------------------------------------------------------------------------------
// 12: port reuse
// ---------------------------------------------------------------------------------------

#[test]
fn port_reuse_with_a_new_isn_is_a_second_connection() {
    let mut s = Session::new(40090, 8080);
    s.open();
    let first = s.send(Server, &close(Server, 1000, "first"));
    s.send(Client, &close(Client, 1000, "first"));
    s.fins(Server);
    let second_syn = s.pkts.len() as u64 + 1;
    s.reconnect(777_777, 9_999_999);
    s.handshake();
    s.send(Client, &request());
    s.send(Server, &response(false));
    let second = s.send(Client, &close(Client, 4000, "second"));
    s.send(Server, &close(Server, 4000, "second"));
    s.rst(Client);
    let r = s.analyze();
    assert_eq!(r.connections.len(), 2, "{:#?}", r.connections);
    let (a, b) = (&r.connections[0], &r.connections[1]);
    assert_eq!((a.first_packet, b.first_packet), (1, second_syn));
    assert_eq!(a.last_packet, second_syn - 1);
    assert_eq!(
        closes(a),
        vec![
            cl(Server, 1000, "first", first),
            cl(Client, 1000, "first", first + 1)
        ]
    );
    assert_eq!((a.status.code, a.tcp_end), (Some(1000), "fin"));
    assert_eq!(
        closes(b),
        vec![
            cl(Client, 4000, "second", second),
            cl(Server, 4000, "second", second + 1)
        ]
    );
    assert_eq!((b.status.code, b.tcp_end), (Some(4000), "rst"));
    assert_eq!(findings(a), vec![]);
    assert_eq!(findings(b), vec![]);
}

#[test]
fn retransmitted_syn_with_the_same_isn_is_one_connection() {
    let mut s = Session::new(40091, 8080);
    s.syn();
    s.syn();
    s.syn_ack();
    s.syn_ack();
    s.ack(Client);
    s.send(Client, &request());
    s.send(Server, &response(false));
    let p = s.send(Client, &close(Client, 1000, "once"));
    s.send(Server, &close(Server, 1000, "once"));
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.first_packet, 1);
    assert_eq!(
        closes(c),
        vec![cl(Client, 1000, "once", p), cl(Server, 1000, "once", p + 1)]
    );
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(r.seen.tcp_connections, 1);
}

// ---------------------------------------------------------------------------------------
// A FIN, then an RST from the same side
// ---------------------------------------------------------------------------------------

/// An application closes its socket without a close frame (FIN), the server sends one more
/// message, and the client's kernel refuses it with an RST. The TCP ending keeps the FIN as
/// how the client ended first and the RST beside it, in every format; the 1006 says what the
/// RST means, after the message that came after the FIN.
#[test]
fn a_fin_then_an_rst_from_the_same_side_keeps_both() {
    let mut s = Session::new(40101, 8080);
    s.open();
    let fin = s.fin(Client);
    let msg = s.send(Server, &text(Server, "tick"));
    let rst = s.rst(Client);
    assert_eq!((fin, msg, rst), (6, 7, 8));
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(
        (c.status.code, c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
        (Some(1006), "fin", Some(Client), Some(fin))
    );
    assert_eq!(c.tcp_ends.len(), 1, "one side ended: the client");
    let later = c.tcp_ends[0].rst_after_fin.expect("the RST is kept");
    assert_eq!(later.packet, rst);
    assert!(
        c.status.detail.contains(
            "After its FIN (packet 6), the client also reset TCP (RST, packet 8), 0.001 s after the server's 4-byte text message (packet 7), which came after that FIN: a kernel answers with an RST data that reaches a socket its application has closed"
        ),
        "{}",
        c.status.detail
    );
    let ev = c.evidence.as_ref().expect("evidence");
    assert!(
        ev.summary
            .ends_with("; then the client reset TCP (RST, packet 8)"),
        "{}",
        ev.summary
    );
    assert!(ev.packets.contains(&fin) && ev.packets.contains(&rst));
    // What each application saw is what the FIN gave: the RST changes neither.
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1006), Some(1006))
    );

    let json = serde_json::to_value(&r).expect("json");
    let end = &json["connections"][0]["tcp_ends"][0];
    assert_eq!(
        (&end["by"], &end["kind"], &end["packet"]),
        (&"client".into(), &"fin".into(), &fin.into())
    );
    assert_eq!(end["rst_after_fin"]["packet"], rst);
    assert_eq!(json["connections"][0]["tcp_end"], "fin");

    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(
        table.contains("tcp: FIN by client [pkt\u{a0}6], then RST [pkt\u{a0}8]"),
        "{table}"
    );
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(
        md.contains("- **TCP ended:** FIN from the client (packet 6), then RST from the client (packet 8)\n"),
        "{md}"
    );
    assert!(md.contains("    C--)S: pkt 6 +"), "{md}");
    assert!(md.contains("    C-xS: pkt 8 +"), "{md}");
    let csv = wsclose::render::csv::render(&r);
    let mut rows = ::csv::Reader::from_reader(csv.as_bytes());
    let headers = rows.headers().expect("header").clone();
    let row = rows.records().next().expect("a row").expect("read");
    let col = |name: &str| row[headers.iter().position(|h| h == name).expect(name)].to_string();
    assert_eq!(
        (col("tcp_end"), col("tcp_end_by"), col("tcp_rst_after_fin")),
        ("fin".into(), "client".into(), "8".into())
    );
}

/// Without an RST, nothing is added: no `rst_after_fin` in JSON, no "then RST" anywhere.
/// An RST from the other side stays that side's own ending.
#[test]
fn an_rst_from_the_peer_after_a_fin_is_the_peers_ending() {
    let mut s = Session::new(40102, 8080);
    s.open();
    let fin = s.fin(Client);
    let rst = s.rst(Server);
    let r = s.analyze();
    let c = only(&r);
    let ends: Vec<_> = c
        .tcp_ends
        .iter()
        .map(|e| (e.by, e.packet, e.rst_after_fin.is_some()))
        .collect();
    assert_eq!(ends, [(Client, fin, false), (Server, rst, false)]);
    let json = wsclose::render::json::render(&r);
    assert!(!json.contains("rst_after_fin"), "{json}");
    assert!(!c.status.detail.contains("also reset TCP"));
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(!table.contains("then RST"), "{table}");
}

/// A clean close whose closer's kernel then refuses a frame sent after the close: the
/// status stays the close frame's code, and the RST is said.
#[test]
fn an_rst_after_a_clean_close_keeps_the_code() {
    let mut s = Session::new(40103, 8080);
    s.open();
    let first = s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    let fin = s.fin(Client);
    s.send(Server, &text(Server, "late"));
    let rst = s.rst(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.status.code, Some(1000));
    assert_eq!(c.close_frames[0].packet, first);
    assert_eq!(c.tcp_ends[0].packet, fin);
    assert_eq!(c.tcp_ends[0].rst_after_fin.map(|r| r.packet), Some(rst));
    assert!(
        c.status.detail.contains(&format!(
            "After its FIN (packet {fin}), the client also reset TCP (RST, packet {rst})"
        )),
        "{}",
        c.status.detail
    );
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1000), Some(1000))
    );
}

/// The quiet spell before the end is told only when no frame came after that end: only each
/// side's last frame is known, so a frame after the FIN hides the last one before it (it
/// read "0.000 s since the last frame"). Without such a frame the spell is measured.
#[test]
fn no_quiet_spell_is_claimed_when_a_frame_came_after_the_end() {
    let mut s = Session::new(40103, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    let fin = s.fin(Client);
    s.send(Server, &text(Server, "late"));
    s.fin(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.tcp_end_packet, Some(fin));
    assert_eq!(c.idle_before_end_s, None, "a frame came after the FIN");
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(!md.contains("Quiet before the end"), "{md}");

    let mut s = Session::new(40104, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.fin(Client);
    s.fin(Server);
    let r = s.analyze();
    assert!(
        only(&r).idle_before_end_s.is_some(),
        "no frame after the FIN"
    );
}

// ---------------------------------------------------------------------------------------
// Request targets and header bytes the report must cope with
// ---------------------------------------------------------------------------------------

/// Every format of `r` (table, Markdown, JSON, CSV), named.
fn every_format(r: &Report) -> [(&'static str, String); 4] {
    [
        ("table", wsclose::render::table::render(r, Some(200), false)),
        ("markdown", wsclose::render::markdown::render(r, &[None])),
        ("json", wsclose::render::json::render(r)),
        ("csv", wsclose::render::csv::render(r)),
    ]
}

/// A request target in the absolute form (RFC 9112 §3.2.2) names a host as the Host header
/// does: `--redact` gives it the Host header's pseudonym (port kept) and drops its query,
/// in every format.
#[test]
fn redact_names_the_host_of_an_absolute_form_target() {
    let mut s = Session::new(40105, 8080);
    s.handshake();
    let request = b"GET ws://leaky.internal.corp:8080/chat?token=s3cret HTTP/1.1\r\n\
        Host: leaky.internal.corp:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    s.send(Client, request);
    s.send(Server, &response(false));
    s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    let mut r = s.analyze();
    assert_eq!(
        only(&r).handshake.path.as_deref(),
        Some("ws://leaky.internal.corp:8080/chat?token=s3cret")
    );
    wsclose::report::redact::redact(&mut r);
    let h = &only(&r).handshake;
    let host = h.host.as_deref().unwrap();
    let name = host.strip_suffix(":8080").unwrap();
    assert!(name.starts_with("host-"), "{host}");
    assert_eq!(
        h.path.as_deref(),
        Some(format!("ws://{name}:8080/chat?[redacted]").as_str())
    );
    for (format, out) in every_format(&r) {
        assert!(!out.contains("leaky"), "{format}:\n{out}");
        assert!(!out.contains("s3cret"), "{format}:\n{out}");
    }
}

/// The upgrade of [`request`] and [`response`] with `X-Evil: a<ESC>b` added to the
/// request, the response or both.
fn with_evil_header(msg: Vec<u8>, evil: bool) -> Vec<u8> {
    if !evil {
        return msg;
    }
    let mut m = msg[..msg.len() - 2].to_vec();
    m.extend_from_slice(b"X-Evil: a\x1bb\r\n\r\n");
    m
}

/// A control byte in a header value (RFC 9110 §5.5 allows none but HTAB; httparse refuses
/// it) hides no WebSocket: on the request, the response or both, the handshake is read
/// leniently, a `handshake-invalid` finding names the header, the byte and the packet, and
/// the session is decoded to its close frames.
#[test]
fn a_control_byte_in_a_header_is_reported_not_fatal() {
    for (in_request, in_response) in [(true, true), (true, false), (false, true)] {
        let what = format!("request {in_request}, response {in_response}");
        let mut s = Session::new(40106, 8080);
        s.handshake();
        let req = s.send(Client, &with_evil_header(request(), in_request));
        let resp = s.send(Server, &with_evil_header(response(false), in_response));
        let server_close = s.send(Server, &close(Server, 4000, "bye"));
        let client_close = s.send(Client, &close(Client, 4000, "bye"));
        s.fins(Server);
        let r = s.analyze();
        assert_eq!(r.connections.len(), 1, "{what}: {:#?}", r.seen);
        let c = only(&r);
        assert_eq!(c.handshake.host.as_deref(), Some("example.test"), "{what}");
        assert_eq!(c.handshake.path.as_deref(), Some("/chat"), "{what}");
        assert_eq!(c.handshake.status, Some(101), "{what}");
        assert_eq!(
            closes(c),
            vec![
                cl(Server, 4000, "bye", server_close),
                cl(Client, 4000, "bye", client_close)
            ],
            "{what}"
        );
        let mut want = Vec::new();
        if in_request {
            want.push((Kind::HandshakeInvalid, Some(Client), Some(req)));
        }
        if in_response {
            want.push((Kind::HandshakeInvalid, Some(Server), Some(resp)));
        }
        assert_eq!(findings(c), want, "{what}: {:#?}", c.findings);
        for f in &c.findings {
            assert!(
                f.detail.contains("X-Evil") && f.detail.contains("0x1b"),
                "{what}: {}",
                f.detail
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The timeline's frame log
// ---------------------------------------------------------------------------------------

/// A timeline whose frame log (`Options::frame_log` each way; `--timeline` keeps 100 000)
/// lost its earlier frames says so in every format that shows it: the table and Markdown
/// in a line, JSON in `timeline_frames_left_out` (0 when nothing was lost).
#[test]
fn a_timeline_that_lost_frames_says_how_many() {
    let mut s = Session::new(40107, 8080);
    s.open();
    for i in 0..10 {
        s.send(Server, &text(Server, &format!("m{i}")));
    }
    s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    for (log, lost) in [(4u64, 7u64), (100, 0)] {
        let opts = wsclose::analyzer::Options {
            frame_log: log as usize,
            previews: true,
            ..wsclose::analyzer::Options::default()
        };
        let r = analyze_timed(s.link, &s.pkts, opts);
        let c = only(&r);
        assert_eq!(c.timeline.as_ref().map(Vec::len), Some(12 - lost as usize));
        assert_eq!(c.timeline_frames_left_out(), Some(lost));
        let [(_, table), (_, md), (_, json), _] = every_format(&r);
        let said = format!("({lost} earlier frames fell out of the frame log and are not listed)");
        assert_eq!(table.contains(&said), lost > 0, "{table}");
        assert_eq!(md.contains(&said), lost > 0, "{md}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["connections"][0]["timeline_frames_left_out"], lost);
    }
    // Without a timeline, no such field.
    let v: serde_json::Value =
        serde_json::from_str(&wsclose::render::json::render(&s.analyze())).unwrap();
    assert!(v["connections"][0]
        .get("timeline_frames_left_out")
        .is_none());
}
