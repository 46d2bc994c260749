//! The TLS record layer of one direction: framing and decryption.
//!
//! In: the direction's reassembled TCP bytes, in chunks cut anywhere (a record may span
//! chunks, a chunk may hold several records), each chunk tagged with the number of the
//! packet that carried it; and, once the session knows them, the direction's keys.
//! Out: records ([`RecordHead`]: content type, version, and the packet that COMPLETED the
//! record), their payload appended to a buffer the caller reuses ([`Framer::next`]), and
//! their plaintext, decrypted in place, after [`RecordCipher::open`] (a range of the
//! payload: nothing is moved or allocated per record).
//!
//! - Framing: RFC 8446 §5.1 / RFC 5246 §6.2: a 5-byte header (type, version, length); a
//!   length over 2^14 + 2048 is a protocol violation ([`FrameError`]) that ends the direction.
//! - Protection (`cipher`, with `aead` and `cbc_hmac`): TLS 1.3 AEAD (RFC 8446 §5.2-5.3), TLS 1.2
//!   AES-GCM (RFC 5288), ChaCha20-Poly1305 (RFC 7905), AES-CBC with HMAC (RFC 5246 §6.2.3.2,
//!   RFC 7366). `deframer` cuts the records, `spare` keeps their buffers.

mod aead;
mod cbc_hmac;
mod cipher;
mod deframer;
mod open;
pub(crate) mod spare;
#[cfg(test)]
mod tests;

pub use cipher::{OpenError, RecordCipher};
pub use deframer::{FrameError, Framer};

use super::keys;

/// Record content types (RFC 8446 §5.1).
pub mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// Largest record length accepted (TLSCiphertext, RFC 5246 §6.2.3).
pub const MAX_RECORD: usize = (1 << 14) + 2048;

/// Record header length.
pub const HEADER_LEN: usize = 5;

/// One framed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub content_type: u8,
    pub version: u16,
    pub payload: Vec<u8>,
    /// The packet that carried the record's last byte.
    pub packet: u64,
}

/// A record's header fields and the packet that completed it (its payload is elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHead {
    pub content_type: u8,
    pub version: u16,
    /// The packet that carried the record's last byte.
    pub packet: u64,
}

impl RecordHead {
    /// The 5-byte header as sent, for a payload of `len` bytes.
    pub fn header(&self, len: usize) -> [u8; HEADER_LEN] {
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        let [v0, v1] = self.version.to_be_bytes();
        let [l0, l1] = len.to_be_bytes();
        [self.content_type, v0, v1, l0, l1]
    }
}

impl Record {
    pub fn head(&self) -> RecordHead {
        RecordHead {
            content_type: self.content_type,
            version: self.version,
            packet: self.packet,
        }
    }
}
