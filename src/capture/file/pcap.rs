//! Classic pcap, the libpcap file format (pcap-savefile(5), draft-ietf-opsawg-pcap): a
//! 24-byte file header (a magic number that gives the byte order and whether times are in
//! µs or ns, the snaplen, the link type), then records, each a 16-byte header (seconds,
//! fraction, captured length, original length) and the captured bytes.
//!
//! In: a record pcap-parser parsed (`stream`), or a record header's two time words (the
//! shared file's index, `capture::shared`). Out: a [`Packet`] with its time in nanoseconds
//! and no more captured bytes than the record holds. Also [`open_at`]: a plain file
//! reopened at a record in its middle, behind its header, for a reader of a shared file
//! that goes on alone from there (`chunks`).

use crate::capture::{LinkType, Packet, Timestamp};
use pcap_parser::LegacyPcapBlock;

/// A classic pcap record as a packet: times in nanoseconds (a fraction past its unit's
/// second is clamped), the captured bytes no longer than the record holds.
pub(super) fn legacy_packet<'a>(
    b: &LegacyPcapBlock<'a>,
    number: u64,
    link: LinkType,
    nanos: bool,
) -> Packet<'a> {
    let caplen = (b.caplen as usize).min(b.data.len());
    Packet {
        options: Default::default(),
        number,
        ts: record_time(b.ts_sec, b.ts_usec, nanos),
        link,
        data: b.data.get(..caplen).unwrap_or(b.data),
        orig_len: b.origlen.max(caplen as u32),
        iface: None,
    }
}

/// A classic pcap record's time from its header's two words, in nanoseconds (a fraction
/// past its unit's second is clamped).
pub(in crate::__internals::capture) fn record_time(
    secs: u32,
    fraction: u32,
    nanos: bool,
) -> Timestamp {
    let frac = if nanos {
        fraction.min(999_999_999)
    } else {
        fraction.min(999_999).saturating_mul(1000)
    };
    Timestamp::from_parts(i64::from(secs), frac)
}

/// The classic pcap global header's length.
pub(super) const HEADER_LEN: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::file::testing::{read_all, temp};

    #[test]
    fn big_endian_nanosecond_pcap() {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
        b.extend_from_slice(&2u16.to_be_bytes());
        b.extend_from_slice(&4u16.to_be_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_be_bytes());
        b.extend_from_slice(&101u32.to_be_bytes());
        for v in [7u32, 999_999_999, 3, 10] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(b"abc");
        let (s, seen) = read_all(&temp("be.pcap", &b));
        assert_eq!(s.format, "pcap");
        assert_eq!(s.link_types, vec![LinkType::RAW]);
        assert_eq!(
            seen,
            vec![(
                1,
                Timestamp::from_parts(7, 999_999_999),
                LinkType::RAW,
                b"abc".to_vec(),
                10,
                None
            )]
        );
    }
}
