//! HTTP/2 bytes for captures built in code: frames (RFC 9113 §4.1) and header blocks of
//! literal fields (RFC 7541 §6.2.2), as the h2 and application tests write RFC 8441
//! WebSockets.

/// An HTTP/2 frame (RFC 9113 §4.1).
pub fn h2_frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    out.extend(&(payload.len() as u32).to_be_bytes()[1..]);
    out.extend([kind, flags]);
    out.extend(stream.to_be_bytes());
    out.extend(payload);
}

/// A header block of literal fields without indexing, no Huffman coding (RFC 7541 §6.2.2).
pub fn literal_block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (name, value) in fields {
        v.push(0);
        v.push(name.len() as u8);
        v.extend(name.as_bytes());
        v.push(value.len() as u8);
        v.extend(value.as_bytes());
    }
    v
}

/// On a fresh [`super::Session`]: the TCP handshake, then an h2c connection (prior
/// knowledge, RFC 9113 §3.3) whose server allows extended CONNECT (RFC 8441 §3), and one
/// WebSocket on stream 1 to `path`, with `subprotocol` asked and agreed when given: the
/// client's CONNECT (packet 6) and the server's 200 (packet 7).
pub fn h2c_websocket(s: &mut super::Session, path: &str, subprotocol: Option<&str>) {
    use wsclose::vocab::Role::{Client, Server};
    s.handshake();
    let mut hello = wsclose::__internals::stack::h2::PREFACE.to_vec();
    h2_frame(&mut hello, 0x4, 0, 0, &[]);
    s.send(Client, &hello);
    let mut settings = Vec::new();
    h2_frame(&mut settings, 0x4, 0, 0, &[0, 8, 0, 0, 0, 1]);
    h2_frame(&mut settings, 0x4, 1, 0, &[]);
    s.send(Server, &settings);
    let mut connect = Vec::new();
    h2_frame(&mut connect, 0x4, 1, 0, &[]);
    let mut fields = vec![
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "http"),
        (":path", path),
        (":authority", "example.org"),
        ("sec-websocket-version", "13"),
    ];
    fields.extend(subprotocol.map(|p| ("sec-websocket-protocol", p)));
    h2_frame(&mut connect, 0x1, 0x4, 1, &literal_block(&fields));
    s.send(Client, &connect);
    let mut answer = vec![(":status", "200")];
    answer.extend(subprotocol.map(|p| ("sec-websocket-protocol", p)));
    let mut head = Vec::new();
    h2_frame(&mut head, 0x1, 0x4, 1, &literal_block(&answer));
    s.send(Server, &head);
}
