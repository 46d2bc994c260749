//! Scenario 6: framing violations (RFC 6455 §5.1-§5.5; RFC 7692 §6 for RSV1), each one
//! finding with its packet.

use super::*;

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
