//! The `pcapng_writer` target: arbitrary packets, packet options of an input and comments
//! through the pcapng writer of `wsclose annotate` (`capture::write::NotedWriter`), the
//! output read back by pcap-parser.
//!
//! Input: byte 0 flags (bit 0: a Decryption Secrets Block; bit 1: the packets' own options
//! come from a big-endian section), then records `[link][comments n][data len u16 LE][own
//! options len][data][own options][n × ([len][comment bytes])]`, comments read as lossy
//! UTF-8. Checked: no panic; every block parses (little-endian, one section); one Enhanced
//! Packet Block per record, on an interface of the record's link type, with its time,
//! bytes and original length; its options are the kept own options
//! (`capture::write::copy_options` on the same bytes) followed by the comments, each
//! whole; the section header carries the header comments; the secrets block, when asked
//! for, comes before the first packet and holds the secrets.

use pcap_parser::pcapng::{parse_block_le, Block};
use wsclose::__internals::capture::write::{copy_options, NotedWriter};
use wsclose::__internals::capture::PacketOptions;
use wsclose::vocab::{LinkType, Timestamp};

struct Record<'a> {
    link: u16,
    data: &'a [u8],
    own: &'a [u8],
    comments: Vec<String>,
}

fn records(mut data: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    while let [link, n, lo, hi, own_len, rest @ ..] = data {
        let len = usize::from(u16::from_le_bytes([*lo, *hi])) % 4096;
        let own_len = usize::from(*own_len);
        let Some((bytes, rest)) = rest.split_at_checked(len) else {
            break;
        };
        let Some((own, mut rest)) = rest.split_at_checked(own_len) else {
            break;
        };
        let mut comments = Vec::new();
        for _ in 0..n % 5 {
            let Some((&l, r)) = rest.split_first() else {
                break;
            };
            let (c, r) = r.split_at(usize::from(l).min(r.len()));
            comments.push(String::from_utf8_lossy(c).into_owned());
            rest = r;
        }
        out.push(Record {
            link: u16::from(*link % 8),
            data: bytes,
            own,
            comments,
        });
        data = rest;
    }
    out
}

/// Options (code, value) of an options area as `copy_options` writes it (little-endian).
fn options_of(mut area: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while let [c0, c1, l0, l1, rest @ ..] = area {
        let (code, len) = (
            u16::from_le_bytes([*c0, *c1]),
            usize::from(u16::from_le_bytes([*l0, *l1])),
        );
        let value = rest.get(..len).expect("an option within its area").to_vec();
        out.push((code, value));
        area = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    out
}

pub fn pcapng_writer(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let recs = records(rest);
    let secrets: &[u8] = b"CLIENT_RANDOM 00 11\n";
    let header = ["wsclose fuzz", "by status: none"];
    let mut w = NotedWriter::new(Vec::new(), &header, (flags & 1 == 1).then_some(secrets))
        .expect("writes to memory");
    let mut ids = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        let id = w
            .interface(LinkType(u32::from(r.link)), 262_144, Some("fuzz"))
            .expect("writes to memory");
        ids.push(id);
        let own = PacketOptions {
            bytes: r.own,
            big_endian: flags & 2 == 2,
        };
        let ts = Timestamp::from_parts(1_700_000_000 + i as i64, 0);
        w.packet(id, ts, r.data, r.data.len() as u32 + 3, own, &r.comments)
            .expect("writes to memory");
    }
    let bytes = w.finish().expect("writes to memory");

    let mut rest = &bytes[..];
    let mut packets = 0;
    let mut secrets_seen = false;
    let mut first = true;
    while !rest.is_empty() {
        let (r, block) = parse_block_le(rest).expect("every block parses");
        rest = r;
        match block {
            Block::SectionHeader(shb) => {
                assert!(first, "one section header, first");
                let comments: Vec<&[u8]> = shb
                    .options
                    .iter()
                    .filter(|o| o.code.0 == 1)
                    .map(|o| o.as_bytes().expect("a comment"))
                    .collect();
                let want: Vec<&[u8]> = header.iter().map(|h| h.as_bytes()).collect();
                assert_eq!(comments, want);
            }
            Block::InterfaceDescription(idb) => {
                assert!(idb.linktype.0 < 8);
            }
            Block::DecryptionSecrets(dsb) => {
                assert_eq!(packets, 0, "the secrets before the first packet");
                assert_eq!(dsb.data.get(..secrets.len()), Some(secrets));
                secrets_seen = true;
            }
            Block::EnhancedPacket(epb) => {
                let r = recs.get(packets).expect("no more packets than records");
                assert_eq!(epb.if_id, ids[packets]);
                assert_eq!(epb.caplen as usize, r.data.len());
                assert_eq!(epb.origlen as usize, r.data.len() + 3);
                assert_eq!(epb.data.get(..r.data.len()), Some(r.data));
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                assert_eq!(units, (1_700_000_000 + packets as u64) * 1_000_000_000);
                let got: Vec<(u16, Vec<u8>)> = epb
                    .options
                    .iter()
                    .filter(|o| o.code.0 != 0)
                    .map(|o| (o.code.0, o.as_bytes().expect("an option").to_vec()))
                    .collect();
                let mut kept = Vec::new();
                copy_options(
                    &mut kept,
                    PacketOptions {
                        bytes: r.own,
                        big_endian: flags & 2 == 2,
                    },
                );
                let mut want = options_of(&kept);
                want.extend(r.comments.iter().map(|c| (1, c.as_bytes().to_vec())));
                assert_eq!(got, want, "packet {packets}");
                packets += 1;
            }
            other => panic!("a block wsclose does not write: {other:?}"),
        }
        first = false;
    }
    assert_eq!(packets, recs.len());
    assert_eq!(secrets_seen, flags & 1 == 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds, and each cut short and with bytes changed at many places, round-trip.
    #[test]
    fn seeds_and_their_mutants_round_trip() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let seeds = crate::seeds::all(&dir).unwrap();
        let mut n = 0;
        for s in seeds.iter().filter(|s| s.target == "pcapng_writer") {
            pcapng_writer(&s.data);
            let mut x = 0x9e37_79b9_u64;
            for _ in 0..300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut m = s.data.clone();
                let at = (x as usize) % m.len();
                m[at] = (x >> 32) as u8;
                m.truncate(m.len() - (x >> 40) as usize % m.len().min(64));
                pcapng_writer(&m);
                n += 1;
            }
        }
        assert!(n >= 1_200, "{n}");
    }
}
