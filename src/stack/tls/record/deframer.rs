//! Cuts one direction's bytes into TLS records (RFC 8446 §5.1, RFC 5246 §6.2).
//!
//! In: the direction's reassembled TCP bytes in chunks cut anywhere, each tagged with the
//! packet that carried it. Out: each record's [`RecordHead`] (the packet is the one that
//! COMPLETED it) and its payload appended to the caller's buffer; or a [`FrameError`] when
//! a header is not TLS or a length is over 2^14 + 2048 (RFC 5246 §6.2.3), which ends the
//! direction.

use super::{content, spare, RecordHead, HEADER_LEN, MAX_RECORD};
use std::fmt;

/// Why framing stopped: the bytes are not (or no longer) TLS records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A record longer than [`MAX_RECORD`].
    TooLong { len: usize, packet: u64 },
    /// A header whose content type or version is not TLS.
    NotTls { packet: u64 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong { len, packet } => write!(
                f,
                "TLS record of {len} bytes at packet {packet} (more than {MAX_RECORD})"
            ),
            FrameError::NotTls { packet } => {
                write!(
                    f,
                    "bytes that are not a TLS record header at packet {packet}"
                )
            }
        }
    }
}

/// Cuts one direction's stream into records, without an allocation per record: each
/// record's payload is appended to a buffer the caller reuses (the payload of a record
/// that spanned chunks is handed over in the buffer it was gathered in when the caller's
/// is empty, so it is not copied twice).
#[derive(Debug, Default)]
pub struct Framer {
    /// Bytes of a record not complete yet (header included).
    pub(super) partial: Vec<u8>,
}

fn parse_header(h: &[u8], packet: u64) -> Result<Option<(u8, u16, usize)>, FrameError> {
    let (Some(&ty), Some(&v0), Some(&v1), Some(&l0), Some(&l1)) =
        (h.first(), h.get(1), h.get(2), h.get(3), h.get(4))
    else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if !(content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(&ty) || v0 != 3 || v1 > 4 {
        return Err(FrameError::NotTls { packet });
    }
    if len > MAX_RECORD {
        return Err(FrameError::TooLong { len, packet });
    }
    Ok(Some((ty, u16::from_be_bytes([v0, v1]), len)))
}

impl Framer {
    /// The next record completed by `bytes` (a chunk carried by `packet`), which is
    /// advanced past what was used. The record's payload is appended to `buf`, and its
    /// start in `buf` returned with its head (`buf[start..]` is the payload). `None`: the
    /// chunk is used up, a record's first part kept for the next chunk.
    pub fn next(
        &mut self,
        bytes: &mut &[u8],
        packet: u64,
        buf: &mut Vec<u8>,
    ) -> Result<Option<(RecordHead, usize)>, FrameError> {
        if !self.partial.is_empty() {
            // Finish a record started by earlier chunks.
            if self.partial.len() < HEADER_LEN {
                let need = HEADER_LEN - self.partial.len();
                let (head, tail) = bytes.split_at(need.min(bytes.len()));
                self.partial.extend_from_slice(head);
                *bytes = tail;
            }
            let Some((content_type, version, len)) = parse_header(&self.partial, packet)? else {
                return Ok(None);
            };
            let have = self.partial.len().saturating_sub(HEADER_LEN);
            let need = len.saturating_sub(have);
            // The whole record at once, not by doubling (one allocation, no copies).
            self.reserve(need);
            let (head, tail) = bytes.split_at(need.min(bytes.len()));
            self.partial.extend_from_slice(head);
            *bytes = tail;
            if head.len() < need {
                return Ok(None);
            }
            // The gathering buffer goes back to the thread either way: the direction
            // holds none between records.
            let start = if buf.is_empty() {
                spare::give(std::mem::replace(buf, std::mem::take(&mut self.partial)));
                HEADER_LEN
            } else {
                let start = buf.len();
                buf.extend_from_slice(self.partial.get(HEADER_LEN..).unwrap_or_default());
                spare::give(std::mem::take(&mut self.partial));
                start
            };
            let head = RecordHead {
                content_type,
                version,
                packet,
            };
            return Ok(Some((head, start)));
        }
        // A whole record straight from the chunk, or the start of one to keep (with room
        // for the whole record).
        if let Some((content_type, version, len)) = parse_header(bytes, packet)? {
            if let Some(payload) = bytes.get(HEADER_LEN..HEADER_LEN + len) {
                let start = buf.len();
                buf.extend_from_slice(payload);
                *bytes = bytes.get(HEADER_LEN + len..).unwrap_or_default();
                let head = RecordHead {
                    content_type,
                    version,
                    packet,
                };
                return Ok(Some((head, start)));
            }
            self.reserve(HEADER_LEN + len);
        }
        self.partial.extend_from_slice(bytes);
        *bytes = &[];
        Ok(None)
    }

    /// Bytes the partial record's buffer takes (its capacity: room for the whole record).
    pub fn held(&self) -> usize {
        self.partial.capacity()
    }

    /// Whether part of a record is waiting for more bytes.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Forgets a partial record.
    pub fn clear(&mut self) {
        spare::give(std::mem::take(&mut self.partial));
    }

    /// Room for `more` bytes in the partial record: when its buffer is too small (none
    /// yet, or the few bytes of a header), one of the thread's record buffers, the bytes
    /// so far copied over.
    fn reserve(&mut self, more: usize) {
        let need = self.partial.len().saturating_add(more);
        if self.partial.capacity() >= need {
            return;
        }
        let mut v = spare::take(need);
        v.extend_from_slice(&self.partial);
        spare::give(std::mem::replace(&mut self.partial, v));
    }
}

impl Drop for Framer {
    fn drop(&mut self) {
        self.clear();
    }
}
