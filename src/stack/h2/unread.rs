//! What the client of an HTTP/2 connection sent after wsclose let the connection go (evicted
//! under a cap, its HPACK tables and streams with it): its frames counted, never decoded.
//!
//! In: the client's bytes in order, from where the reading stopped (inside a frame's
//! header or payload). Out: how many streams they opened: HEADERS frames on a stream id
//! above every one the client used before (RFC 9113 §4.1, the frame header; §5.1.1, a
//! client's new streams take increasing odd ids). Whether each was a WebSocket (an extended
//! CONNECT, RFC 8441 §4) is in its header block, which cannot be decoded without the
//! HPACK state: the count is of streams opened, WebSockets or not.

/// The frame header's length (RFC 9113 §4.1).
const HEADER_LEN: usize = 9;
/// The HEADERS frame type (RFC 9113 §6.2).
const HEADERS: u8 = 0x1;

/// The client's framing, followed past the end of the reading.
#[derive(Debug, Clone, Copy)]
pub struct Frames {
    hdr: [u8; HEADER_LEN],
    hdr_len: u8,
    /// Payload bytes of the current frame still to come.
    left: u32,
    /// The highest stream id the client opened so far.
    max_id: u32,
}

impl Frames {
    /// From inside a frame: `hdr` the part of its header seen (fewer than nine bytes), or
    /// `left` payload bytes still to come; `max_id` the highest stream the client opened.
    pub fn new(hdr: &[u8], left: u32, max_id: u32) -> Frames {
        let mut f = Frames {
            hdr: [0; HEADER_LEN],
            hdr_len: 0,
            left,
            max_id,
        };
        let n = hdr.len().min(HEADER_LEN - 1);
        if let (Some(dst), Some(src)) = (f.hdr.get_mut(..n), hdr.get(..n)) {
            dst.copy_from_slice(src);
            f.hdr_len = n as u8;
        }
        f
    }

    /// The client's next bytes, in order: the streams they opened.
    pub fn read(&mut self, mut bytes: &[u8]) -> u64 {
        let mut opened = 0;
        while !bytes.is_empty() {
            if self.left > 0 {
                let n = bytes.len().min(self.left as usize);
                self.left -= n as u32;
                bytes = bytes.get(n..).unwrap_or_default();
                continue;
            }
            let have = usize::from(self.hdr_len);
            let n = bytes.len().min(HEADER_LEN - have);
            let (part, rest) = bytes.split_at(n);
            if let Some(dst) = self.hdr.get_mut(have..have + n) {
                dst.copy_from_slice(part);
            }
            bytes = rest;
            if have + n < HEADER_LEN {
                self.hdr_len = (have + n) as u8;
                continue;
            }
            self.hdr_len = 0;
            let h = self.hdr;
            self.left = u32::from_be_bytes([0, h[0], h[1], h[2]]);
            let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
            if h[3] == HEADERS && id % 2 == 1 && id > self.max_id {
                self.max_id = id;
                opened += 1;
            }
        }
        opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        f.extend([kind, 0x4]);
        f.extend(stream.to_be_bytes());
        f.extend(payload);
        f
    }

    /// New streams are the client's HEADERS on ids above those it used; trailers on an old
    /// stream, DATA and other frames are not; frames split at every byte read the same, and
    /// a reading that starts inside a frame's payload or header finds the next frame.
    #[test]
    fn headers_on_new_ids_are_counted_across_any_split() {
        let mut bytes = frame(0x0, 5, b"hello");
        bytes.extend(frame(HEADERS, 7, &[0x82; 40]));
        bytes.extend(frame(HEADERS, 5, b"trailers"));
        bytes.extend(frame(0x8, 0, &[0, 0, 1, 0]));
        bytes.extend(frame(HEADERS, 9, &[0x82; 3]));
        bytes.extend(frame(HEADERS, 9, b""));
        let whole = Frames::new(&[], 0, 5).read(&bytes);
        assert_eq!(whole, 2);
        let mut f = Frames::new(&[], 0, 5);
        assert_eq!(bytes.iter().map(|b| f.read(&[*b])).sum::<u64>(), 2);
        // Three payload bytes of the frame before still to come; then four bytes of a
        // header seen (the rest of it here).
        let mut late = vec![1, 2, 3];
        late.extend(&bytes);
        assert_eq!(Frames::new(&[], 3, 5).read(&late), 2);
        assert_eq!(Frames::new(&bytes[..4], 0, 5).read(&bytes[4..]), 2);
    }
}
