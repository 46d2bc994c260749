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
