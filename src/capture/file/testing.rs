//! What the unit tests of the reader's rooms share: captures written to temporary files and
//! read back, and pcapng blocks and files built in code (draft-ietf-opsawg-pcapng §3.1,
//! §4.1-4.4) in either byte order.
//!
//! In: bytes, or the shape of a pcapng file. Out: a file's summary and packets as the
//! streaming reader gives them; the bytes of blocks, of a section's head and of a whole
//! file of two sections.

use super::read;
use crate::capture::Interface;
use crate::vocab::{InputSummary, LinkType, Timestamp};
use std::path::{Path, PathBuf};

pub(super) fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("wsclose-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Packets as a sink was handed them: number, time, link type, bytes, length on the wire,
/// interface.
pub(super) type Seen = Vec<(u64, Timestamp, LinkType, Vec<u8>, u32, Option<Interface>)>;

/// What a sink keeps of a packet.
pub(super) fn kept(
    pk: &crate::capture::Packet<'_>,
) -> (u64, Timestamp, LinkType, Vec<u8>, u32, Option<Interface>) {
    (
        pk.number,
        pk.ts,
        pk.link,
        pk.data.to_vec(),
        pk.orig_len,
        pk.iface.cloned(),
    )
}

/// `p` read by the streaming reader: its summary and packets.
pub(super) fn read_kept(p: &Path) -> (InputSummary, Seen) {
    let mut seen = Vec::new();
    let s = read(p, &mut |pk| seen.push(kept(pk))).unwrap();
    (s, seen)
}

pub(super) fn read_all(p: &Path) -> (InputSummary, Seen) {
    let kept = read_kept(p);
    std::fs::remove_file(p).ok();
    kept
}

/// A pcapng block in either byte order: type, total length, body padded to 32 bits,
/// total length.
pub(super) fn ng_block(big: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let w = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    [&w(kind)[..], &w(len), &body, &w(len)].concat()
}

/// The body fields of a pcapng block, in its byte order.
pub(super) struct Body(pub(super) bool, pub(super) Vec<u8>);
impl Body {
    pub(super) fn u16(mut self, v: u16) -> Body {
        let b = if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.1.extend_from_slice(&b);
        self
    }
    pub(super) fn u32(mut self, v: u32) -> Body {
        let b = if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.1.extend_from_slice(&b);
        self
    }
    pub(super) fn bytes(mut self, b: &[u8]) -> Body {
        self.1.extend_from_slice(b);
        self
    }
}

/// A pcapng section header block in either byte order: version 1.0, section length
/// unspecified, no options.
pub(super) fn ng_shb(big: bool) -> Vec<u8> {
    let shb = Body(big, Vec::new())
        .u32(0x1A2B_3C4D)
        .u16(1)
        .u16(0)
        .u32(u32::MAX)
        .u32(u32::MAX);
    ng_block(big, 0x0A0D_0D0A, &shb.1)
}

/// A pcapng section's header block in either byte order, then its two interfaces:
/// Ethernet at the default resolution (microseconds), named `eth0` (`if_name`), and raw IP
/// at nanoseconds, described as `tun` and an escape sequence (`if_description`).
pub(super) fn ng_section_head(big: bool) -> Vec<u8> {
    let b = || Body(big, Vec::new());
    let mut f = ng_shb(big);
    // Ethernet, if_name (option 2) "eth0", then the end of options.
    let idb = b().u16(1).u16(0).u32(0).u16(2).u16(4).bytes(b"eth0");
    f.extend(ng_block(big, 1, &idb.u16(0).u16(0).1));
    // Raw IP, if_description (option 3), nanosecond timestamps (if_tsresol 9), then the
    // end of options.
    let idb = b()
        .u16(101)
        .u16(0)
        .u32(0)
        .u16(3)
        .u16(6)
        .bytes(b"tun\x1b[m\0\0")
        .u16(9)
        .u16(1)
        .bytes(&[9, 0, 0, 0]);
    f.extend(ng_block(big, 1, &idb.u16(0).u16(0).1));
    f
}

/// A pcapng file of two sections (little-endian, then big-endian) with interfaces of
/// two link types and resolutions, enhanced and simple packets of sizes up to several
/// chunks, other blocks, a packet of an interface that was not described, and times
/// that go backwards: as the streaming reader must read it, so must the shared one.
pub(super) fn ng_file() -> Vec<u8> {
    use crate::capture::shared::CHUNK;
    let mut f = Vec::new();
    for (section, big) in [(0u32, false), (1, true)] {
        let b = || Body(big, Vec::new());
        f.extend(ng_section_head(big));
        let packets = if section == 0 { 2500 } else { 800 };
        for i in 0..packets {
            let n = (i * 7919) % 1500 + 14;
            // Blocks too large for a chunk end the sharing: late, so that the damage and
            // the cuts below fall in the shared part, the big-endian section too.
            let n = match (section, i) {
                (1, 600) => CHUNK + 10,
                (1, 700) => 3 * CHUNK,
                _ => n,
            };
            let data = vec![i as u8; n];
            let ts: u64 = if i == 1200 { 5 } else { 100 + i as u64 } * 1_000_000;
            let iface = match i % 97 {
                0 => 7,
                k => k as u32 % 2,
            };
            if i % 50 == 3 {
                f.extend(ng_block(big, 3, &b().u32(n as u32 + 2).bytes(&data).1));
            } else {
                let epb = b().u32(iface).u32((ts >> 32) as u32).u32(ts as u32);
                let mut epb = epb.u32(n as u32).u32(n as u32 + 1).bytes(&data);
                if i % 40 == 7 {
                    // Options after the padded data: epb_flags, then the end of options.
                    let pad = vec![0; n.next_multiple_of(4) - n];
                    epb = epb.bytes(&pad).u16(2).u16(4).u32(1).u16(0).u16(0);
                }
                f.extend(ng_block(big, 6, &epb.1));
            }
            if i % 300 == 5 {
                // A custom block and an interface statistics block, skipped.
                f.extend(ng_block(big, 0x0000_0BAD, &b().u32(32473).bytes(b"x").1));
                f.extend(ng_block(big, 5, &b().u32(0).u32(0).u32(0).1));
            }
        }
    }
    f
}
