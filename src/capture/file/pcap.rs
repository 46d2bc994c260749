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

use crate::capture::Packet;
use crate::vocab::{LinkType, Timestamp};
use pcap_parser::LegacyPcapBlock;

/// The file header's LinkType field (draft-ietf-opsawg-pcap §4; libpcap's `LT_FCS_*`
/// macros): the link type in its low 16 bits; bits 16-25 and 27 reserved (ignored); when
/// the P bit (26, 0x04000000) is set, its top 4 bits give the length of the Frame Check
/// Sequence every record ends with, in 16-bit words. Returns the link type and that FCS
/// length in bytes (0 when none or unknown).
pub(in crate::capture) fn link_and_fcs(field: u32) -> (LinkType, u8) {
    let fcs = if field & 0x0400_0000 != 0 {
        (field >> 28) as u8 * 2
    } else {
        0
    };
    (LinkType(field & 0xFFFF), fcs)
}

/// A classic pcap record as a packet: times in nanoseconds (a fraction past its unit's
/// second is clamped), the captured bytes no longer than the record holds, and without
/// the `fcs` bytes of Frame Check Sequence the file says each frame ends with (of the
/// captured bytes as far as they reach it, and of the length on the wire).
pub(super) fn legacy_packet<'a>(
    b: &LegacyPcapBlock<'a>,
    number: u64,
    link: LinkType,
    nanos: bool,
    fcs: u8,
) -> Packet<'a> {
    let caplen = (b.caplen as usize).min(b.data.len());
    let orig_len = b.origlen.max(caplen as u32).saturating_sub(u32::from(fcs));
    let keep = caplen.min(orig_len as usize);
    Packet {
        options: Default::default(),
        number,
        ts: record_time(b.ts_sec, b.ts_usec, nanos),
        link,
        data: b.data.get(..keep).unwrap_or(b.data),
        orig_len,
        iface: None,
    }
}

/// A classic pcap record's time from its header's two words, in nanoseconds (a fraction
/// past its unit's second is clamped).
pub(in crate::capture) fn record_time(secs: u32, fraction: u32, nanos: bool) -> Timestamp {
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

    /// A little-endian microsecond pcap of link field `link` whose records are `frames`,
    /// each (captured bytes, length on the wire).
    fn pcap_with(link: u32, frames: &[(Vec<u8>, u32)]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&link.to_le_bytes());
        for (i, (data, orig)) in frames.iter().enumerate() {
            for v in [100 + i as u32, 5, data.len() as u32, *orig] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(data);
        }
        b
    }

    /// The link type field's upper bits (draft-ietf-opsawg-pcap §4, libpcap's
    /// `LT_FCS_*`): the link type is its low 16 bits; with the P bit (0x04000000) set,
    /// each record ends with an FCS of as many 16-bit words as its top 4 bits say, which
    /// is taken off (of the captured bytes, as far as they reach it, and of the length on
    /// the wire); without it the FCS length is unknown and nothing is taken off.
    #[test]
    fn fcs_bits_of_the_link_type_field() {
        let frame = |n: u8, len: usize| (0..len).map(|i| n ^ i as u8).collect::<Vec<u8>>();
        let plain = [
            (frame(1, 60), 60),
            (frame(2, 90), 90),
            (frame(3, 40), 1500), // cut by the snaplen, far from its FCS
        ];
        let (s, want) = read_all(&temp("fcs-none.pcap", &pcap_with(1, &plain)));
        assert_eq!(s.link_types, vec![LinkType::ETHERNET]);
        assert_eq!(want.len(), 3);
        for (field, fcs) in [(0x2400_0001u32, 4usize), (0x4400_0001, 8), (0x1400_0001, 2)] {
            let with: Vec<(Vec<u8>, u32)> = plain
                .iter()
                .map(|(d, orig)| {
                    let mut d = d.clone();
                    let whole = d.len() as u32 == *orig;
                    if whole {
                        d.extend((0..fcs).map(|i| 0xF0 | i as u8));
                    }
                    (d, orig + fcs as u32)
                })
                .collect();
            let name = format!("fcs-{field:x}.pcap");
            let (s, seen) = read_all(&temp(&name, &pcap_with(field, &with)));
            assert_eq!(s.link_types, vec![LinkType::ETHERNET], "{field:#x}");
            assert_eq!(seen, want, "{field:#x}");
        }
        // A record cut inside its FCS keeps no FCS byte.
        let cut = [(frame(4, 62), 68)];
        let (_, seen) = read_all(&temp("fcs-cut.pcap", &pcap_with(0x4400_0001, &cut)));
        assert_eq!((seen[0].3.clone(), seen[0].4), (frame(4, 60), 60));
        // The reserved bit and an FCS length without the P bit: the link type alone.
        for field in [0x4800_0001u32, 0x2000_0001, 0x0001_0001] {
            let name = format!("fcs-unknown-{field:x}.pcap");
            let (s, seen) = read_all(&temp(&name, &pcap_with(field, &plain)));
            assert_eq!(s.link_types, vec![LinkType::ETHERNET], "{field:#x}");
            assert_eq!(seen, want, "{field:#x}");
        }
    }
}
