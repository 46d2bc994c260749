//! Bytes that arrived ahead of a hole, held until the frontier reaches them (docs/reassembly.md
//! rules 4-5, RFC 9293 §3.10.7.4: segments out of order are held for later processing).
//!
//! In: a range of stream offsets and its bytes. Out: the held ranges, lowest first, each
//! taken once the frontier reaches it; how many bytes and ranges are held (for the caps);
//! whether an insert overlapped held bytes and how many overlaps differed.
//!
//! Invariant (owned by [`Ranges`]): the held ranges never overlap, and `bytes` is the sum of
//! their lengths. Bytes already held win over a later copy of the same offsets (rule 5).

use crate::vocab::Timestamp;
use std::collections::BTreeMap;

/// One held range: its bytes and the packet and time that carried them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Held {
    #[serde(with = "serde_bytes")]
    pub(super) data: Vec<u8>,
    pub(super) packet: u64,
    pub(super) ts: Timestamp,
}

/// What an insert found among the held bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Overlap {
    /// Part of the inserted range was held already.
    pub(super) overlapped: bool,
    /// Held ranges whose bytes differ from the inserted ones where they overlap.
    pub(super) inconsistencies: u64,
}

/// The held ranges, keyed by their first offset. Its serde form is the map, then the byte
/// count.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Ranges {
    held: BTreeMap<u64, Held>,
    bytes: usize,
}

impl Ranges {
    /// The first offset of the lowest held range.
    pub(super) fn first_start(&self) -> Option<u64> {
        self.held.first_key_value().map(|(&start, _)| start)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Held ranges.
    pub(super) fn count(&self) -> usize {
        self.held.len()
    }

    /// Held bytes.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Takes the lowest held range if it starts at or before `next`: its first offset and
    /// its bytes (the caller skips those below `next`).
    pub(super) fn pop_reached(&mut self, next: u64) -> Option<(u64, Held)> {
        let entry = self.held.first_entry()?;
        let start = *entry.key();
        if start > next {
            return None;
        }
        let held = entry.remove();
        self.bytes -= held.data.len();
        Some((start, held))
    }

    /// Holds the parts of `data` (starting at offset `start`) that no held range covers;
    /// where one does, the held bytes stay and are compared with `data`.
    pub(super) fn insert(
        &mut self,
        start: u64,
        data: &[u8],
        packet: u64,
        ts: Timestamp,
    ) -> Overlap {
        let mut found = Overlap::default();
        let end = start + data.len() as u64;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut cur = start;
        let from = self
            .held
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        let mut overlapped = false;
        for (&k, held) in self.held.range(from..end) {
            let kend = k + held.data.len() as u64;
            if kend <= cur {
                continue;
            }
            if k > cur {
                pieces.push((cur, k));
            }
            // Compare the overlap [max(k, cur), min(kend, end)).
            let lo = k.max(cur);
            let hi = kend.min(end);
            overlapped = true;
            let old = held.data.get((lo - k) as usize..(hi - k) as usize);
            let new = data.get((lo - start) as usize..(hi - start) as usize);
            if old != new {
                found.inconsistencies += 1;
            }
            cur = kend;
            if cur >= end {
                break;
            }
        }
        if cur < end {
            pieces.push((cur, end));
        }
        found.overlapped = overlapped;
        for (s, e) in pieces {
            let Some(bytes) = data.get((s - start) as usize..(e - start) as usize) else {
                continue;
            };
            let bytes = bytes.to_vec();
            self.bytes += bytes.len();
            self.held.insert(
                s,
                Held {
                    data: bytes,
                    packet,
                    ts,
                },
            );
        }
        found
    }
}
