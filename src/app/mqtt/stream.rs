//! One direction of MQTT over WebSocket as the byte stream it is (MQTT 3.1.1 §6, MQTT 5 §6:
//! a binary message may carry several control packets, or part of one): the fixed header of
//! the packet in progress, the first [`BODY_CAP`] bytes of the bodies that decide an ending
//! (CONNECT, CONNACK, DISCONNECT), and a count of every other byte (a PUBLISH payload is
//! counted, never kept). Memory per direction is constant: at most 5 + [`BODY_CAP`] bytes.
//!
//! A message the capture does not hold whole (a gap, bytes past what the tap keeps, a
//! message that does not inflate) or bytes that are not MQTT put the direction out of sync
//! for the rest of the session: where the next packet starts is then unknown, and nothing
//! read after it is trusted.

use serde::{Deserialize, Serialize};

/// Body bytes kept of a CONNECT (up to its client id), CONNACK or DISCONNECT (with their
/// properties); the rest of a longer body is counted.
pub(super) const BODY_CAP: usize = 1024;

/// What the stream gave while reading a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    /// A packet's fixed header is whole: its first byte and its whole size.
    Header { first: u8, size: u64 },
    /// A packet is whole: its first byte, its remaining length, and the first bytes of its
    /// body (all of it for the types kept, up to [`BODY_CAP`]; none for the others).
    Packet {
        first: u8,
        len: usize,
        body: Vec<u8>,
    },
}

/// One direction's parser.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct Stream {
    /// The fixed header of the packet in progress, until its remaining length is whole.
    head: Vec<u8>,
    /// The packet in progress once its header is whole: first byte, remaining length.
    packet: Option<(u8, usize)>,
    /// Its body's first bytes (types that decide an ending only).
    body: Vec<u8>,
    /// Body bytes read so far, kept or not.
    read: usize,
    /// The packet of the message at which the stream went out of sync.
    pub(super) lost: Option<u64>,
}

/// Bytes of a body of type `kind` worth keeping.
fn keep(kind: u8) -> usize {
    match kind {
        1 | 2 | 14 => BODY_CAP,
        _ => 0,
    }
}

/// Whether a fixed header's first byte can start a packet (§2.1.3: the flags each type
/// must carry; AUTH is MQTT 5's only; `v5` is None while the level is unknown).
fn valid(first: u8, v5: Option<bool>) -> bool {
    let (kind, flags) = (first >> 4, first & 0x0f);
    match kind {
        0 => false,
        3 => flags & 0x06 != 0x06,
        6 | 8 | 10 => flags == 0x02,
        15 => flags == 0 && v5 != Some(false),
        _ => flags == 0,
    }
}

/// Whether a remaining length fits its packet type where the specification fixes it.
fn fits(kind: u8, len: usize, v5: Option<bool>) -> bool {
    match (kind, v5) {
        (12 | 13, _) => len == 0,
        (2, Some(false)) => len == 2,
        (2, _) => len >= 2,
        (14, Some(false)) => len == 0,
        _ => true,
    }
}

impl Stream {
    /// Whether the stream is out of sync.
    pub(super) fn is_lost(&self) -> bool {
        self.lost.is_some()
    }

    /// Puts the stream out of sync at `packet` (the first time only).
    pub(super) fn lose(&mut self, packet: u64) {
        self.lost.get_or_insert(packet);
        self.head = Vec::new();
        self.body = Vec::new();
        self.packet = None;
        self.read = 0;
    }

    /// Reads the next bytes of the stream, then `missing` bytes that were not kept (a
    /// message longer than the tap keeps), from a message completed at `packet`; `v5`:
    /// whether the session speaks MQTT 5, when known. Returns false (and the stream is out
    /// of sync) when the bytes are not MQTT or the missing ones were needed.
    #[cfg(test)]
    pub(super) fn feed(
        &mut self,
        mut b: &[u8],
        missing: u64,
        v5: Option<bool>,
        packet: u64,
        out: &mut Vec<Event>,
    ) -> bool {
        while !b.is_empty() {
            let Some(used) = self.feed_packet(b, v5, packet, out) else {
                return false;
            };
            b = b.get(used..).unwrap_or_default();
        }
        self.absorb(missing, packet, out)
    }

    /// Reads the next bytes of the stream up to the end of the first packet they finish
    /// (so that the caller can learn the session's level from a CONNECT before the bytes
    /// after it are read), from a message completed at `packet`; `v5`: whether the session
    /// speaks MQTT 5, when known. Returns the bytes read, or None (and the stream is out of
    /// sync) when they are not MQTT.
    pub(super) fn feed_packet(
        &mut self,
        mut b: &[u8],
        v5: Option<bool>,
        packet: u64,
        out: &mut Vec<Event>,
    ) -> Option<usize> {
        if self.is_lost() {
            return None;
        }
        let total = b.len();
        while !b.is_empty() {
            let Some((first, len)) = self.packet else {
                let (&byte, rest) = match b.split_first() {
                    Some(x) => x,
                    None => break,
                };
                b = rest;
                if !self.header(byte, v5, out) {
                    self.lose(packet);
                    return None;
                }
                if self.packet.is_none() && self.head.is_empty() {
                    break; // a packet with no body ended with its header
                }
                continue;
            };
            let take = (len - self.read).min(b.len());
            let room = keep(first >> 4).min(len).saturating_sub(self.body.len());
            let (now, rest) = b.split_at(take);
            self.body
                .extend_from_slice(now.get(..room.min(now.len())).unwrap_or_default());
            self.read += take;
            b = rest;
            if self.finish(out) {
                break;
            }
        }
        Some(total - b.len())
    }

    /// `missing` bytes of the message that the tap did not keep, after all it kept: only a
    /// body being counted may absorb them. False (and the stream is out of sync) when they
    /// were needed.
    pub(super) fn absorb(&mut self, missing: u64, packet: u64, out: &mut Vec<Event>) -> bool {
        if self.is_lost() {
            return false;
        }
        if missing == 0 {
            return true;
        }
        let ok = self.packet.is_some_and(|(first, len)| {
            self.body.len() >= keep(first >> 4).min(len) && (len - self.read) as u64 >= missing
        });
        if !ok {
            self.lose(packet);
            return false;
        }
        // `missing` fits in the body, so in usize.
        self.read += usize::try_from(missing).unwrap_or(usize::MAX);
        self.finish(out);
        true
    }

    /// One byte of a fixed header; false when it cannot be one.
    fn header(&mut self, byte: u8, v5: Option<bool>, out: &mut Vec<Event>) -> bool {
        self.head.push(byte);
        let Some(&first) = self.head.first() else {
            return false;
        };
        if self.head.len() == 1 {
            return valid(first, v5);
        }
        if byte & 0x80 != 0 {
            // The remaining length goes on, in at most four bytes (§1.5.5).
            return self.head.len() < 5;
        }
        let len = self
            .head
            .iter()
            .skip(1)
            .enumerate()
            .fold(0usize, |v, (i, b)| v | usize::from(b & 0x7f) << (7 * i));
        if !fits(first >> 4, len, v5) {
            return false;
        }
        out.push(Event::Header {
            first,
            size: (self.head.len() + len) as u64,
        });
        self.head.clear();
        self.packet = Some((first, len));
        self.read = 0;
        self.body.clear();
        self.finish(out);
        true
    }

    /// Hands over the packet in progress when its body is whole; true when it did.
    fn finish(&mut self, out: &mut Vec<Event>) -> bool {
        let Some((first, len)) = self.packet.filter(|&(_, len)| self.read >= len) else {
            return false;
        };
        out.push(Event::Packet {
            first,
            len,
            body: std::mem::take(&mut self.body),
        });
        self.packet = None;
        self.read = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_payload_is_counted_and_a_long_connect_kept_up_to_the_cap() {
        let mut s = Stream::default();
        let mut out = Vec::new();
        // A PUBLISH of 1 MB in 1 000 messages: nothing of its payload is kept.
        let len: usize = 1 << 20;
        let mut head = vec![0x30];
        let (mut l, mut b) = (len, Vec::new());
        while l > 0x7f {
            b.push((l & 0x7f) as u8 | 0x80);
            l >>= 7;
        }
        b.push(l as u8);
        head.extend(b);
        assert!(s.feed(&head, 0, Some(false), 1, &mut out));
        let chunk = vec![b'x'; len / 1000];
        for i in 0..1000 {
            assert!(s.feed(&chunk, 0, Some(false), 2 + i, &mut out));
            assert!(s.body.capacity() == 0 && s.head.len() <= 5);
        }
        assert!(s.feed(&vec![b'x'; len % 1000], 0, Some(false), 2000, &mut out));
        assert!(
            matches!(out.last(), Some(Event::Packet { first: 0x30, body, .. }) if body.is_empty())
        );
        // A CONNECT of 64 KB (a long password): its first BODY_CAP bytes only.
        let mut c = vec![0x10, 0x80, 0x80, 0x04];
        c.extend(vec![0u8; 0x10000]);
        assert!(s.feed(&c, 0, None, 2001, &mut out));
        match out.last() {
            Some(Event::Packet {
                first: 0x10,
                len,
                body,
            }) => {
                assert_eq!((*len, body.len()), (0x10000, BODY_CAP));
            }
            e => panic!("{e:?}"),
        }
        // Bytes past what the tap kept, where a header was due: out of sync.
        assert!(!s.feed(&[0xc0, 0], 3, None, 2002, &mut out));
        assert_eq!(s.lost, Some(2002));
        assert!(!s.feed(&[0xc0, 0], 0, None, 2003, &mut out));
        assert_eq!(s.lost, Some(2002));
    }
}
