//! The pcapng reader's tests: sections, interfaces, options, damaged and cut blocks.

use super::*;
use crate::capture::file::testing::{ng_file, read_all, temp};
use crate::capture::Interface as Named;

/// Each packet names its interface: numbered across the file's sections, its ID in its
/// section, its `if_name` or else its `if_description` (escaped); a packet of an
/// interface the section does not describe is skipped.
#[test]
fn packets_name_their_interfaces() {
    let (_, seen) = read_all(&temp("named.pcapng", &ng_file()));
    let mut named: Vec<Named> = Vec::new();
    for p in &seen {
        let i =
            p.5.clone()
                .expect("every packet of a pcapng file has its interface");
        if !named.contains(&i) {
            named.push(i);
        }
    }
    named.sort_by_key(|i| i.number);
    let want = |number, id, name: &str| Named {
        number,
        id,
        name: Some(name.into()),
    };
    assert_eq!(
        named,
        [
            want(0, 0, "eth0"),
            want(1, 1, "tun\\x1b[m"),
            want(2, 0, "eth0"),
            want(3, 1, "tun\\x1b[m")
        ]
    );
}

/// A section of one interface names none (its every packet is on it), nor does a Linux
/// cooked v1 interface (`any`) beside others; a second interface described after a
/// packet names both from then on.
#[test]
fn one_interface_or_any_names_no_place() {
    use crate::capture::file::testing::{ng_block, ng_shb, read_all, temp, Body};
    let b = || Body(false, Vec::new());
    let idb = |link: u16, name: &[u8; 4]| {
        let idb = b().u16(link).u16(0).u32(0).u16(2).u16(4).bytes(name);
        ng_block(false, 1, &idb.u16(0).u16(0).1)
    };
    let epb = |id: u32| {
        ng_block(
            false,
            6,
            &b().u32(id).u32(0).u32(1).u32(4).u32(4).bytes(b"abcd").1,
        )
    };
    let mut f = ng_shb(false);
    f.extend(idb(1, b"eth0"));
    f.extend(epb(0));
    f.extend(idb(113, b"any\0"));
    f.extend([epb(0), epb(1)].concat());
    let (_, seen) = read_all(&temp("one-iface.pcapng", &f));
    let names: Vec<Option<String>> = seen
        .iter()
        .map(|p| {
            p.5.as_ref()
                .and_then(|i| i.name.as_deref().map(String::from))
        })
        .collect();
    assert_eq!(names, [None, Some("eth0".into()), None]);
}

/// An interface's `if_tsresol` with the top bit set counts 2^-n s.
#[test]
fn power_of_two_resolutions_are_read() {
    assert_eq!(resolution(0x94), Some(1 << 20));
    assert_eq!(resolution(0x80), Some(1));
    assert_eq!(resolution(0x80 | 63), Some(1 << 63));
    assert_eq!(resolution(0x80 | 64), None);
    assert_eq!(resolution(6), Some(1_000_000));
    assert_eq!(resolution(19), Some(10_000_000_000_000_000_000));
    assert_eq!(resolution(20), None);
    // A file whose interface counts 2^-20 s: 1 700 000 000.5 s is that, not 2029.
    let body = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let block = |kind: u32, b: Vec<u8>| {
        let len = 12 + b.len() as u32;
        let mut out = body(&[kind, len]);
        out.extend(b);
        out.extend(len.to_le_bytes());
        out
    };
    let mut f = block(0x0A0D_0D0A, {
        let mut b = body(&[0x1A2B_3C4D, 1]);
        b.extend(body(&[u32::MAX, u32::MAX]));
        b
    });
    // Raw IP, snaplen 0, if_tsresol (9, length 1) = 0x94, end of options.
    let mut idb = body(&[101, 0]);
    idb.extend([9, 0, 1, 0, 0x94, 0, 0, 0, 0, 0, 0, 0]);
    f.extend(block(1, idb));
    let units = (1_700_000_000u64 << 20) + (1 << 19);
    let pkt = [
        0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let mut epb = body(&[0, (units >> 32) as u32, units as u32, 20, 20]);
    epb.extend(pkt);
    f.extend(block(6, epb));
    let (summary, packets) = read_all(&temp("tsresol-2-20.pcapng", &f));
    assert_eq!(packets.len(), 1, "{summary:?}");
    assert_eq!(
        packets[0].1,
        Timestamp::from_parts(1_700_000_000, 500_000_000)
    );
}

/// pcapng times in any resolution: the same as exact 128-bit arithmetic, including
/// resolutions finer than a nanosecond and the largest timestamps.
#[test]
fn ng_timestamps_in_any_resolution() {
    for res in [
        1,
        10,
        1_000_000,
        1 << 20,
        1_000_000_000,
        1 << 40,
        1_000_000_000_000,
        u64::MAX,
    ] {
        let iface = Interface {
            link: LinkType::ETHERNET,
            resolution: res,
            offset: 3,
            snaplen: 0,
            lost: false,
        };
        for units in [
            0u64,
            1,
            999_999_999,
            1_700_000_000_123_456,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let u = u128::from(units);
            let r = u128::from(res);
            let want = Timestamp::from_parts(
                ((u / r) as i64).saturating_add(3),
                ((u % r) * 1_000_000_000 / r) as u32,
            );
            let got = ng_timestamp((units >> 32) as u32, units as u32, iface);
            assert_eq!(got, want, "{units} units of 1/{res} s");
        }
    }
}

/// `Ng::quick_epb` against pcap-parser, block by block through a file of two sections
/// (either byte order), every enhanced packet block whole and, for some, with a length
/// field changed: it reads every whole one and exactly the changed ones that still
/// agree, and whatever it reads, pcap-parser reads as the same packet with the same
/// bytes after it.
#[test]
fn quick_epb_reads_what_pcap_parser_reads() {
    let file = ng_file();
    let mut ng = Ng::default();
    let (mut at, mut read, mut changed) = (0, 0, 0);
    while at < file.len() {
        let data = &file[at..];
        if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            ng.big_endian = data[8..12] == [0x1a, 0x2b, 0x3c, 0x4d];
        }
        let be = ng.big_endian;
        let len = word(data, 4, be).unwrap() as usize;
        let is_epb = word(data, 0, be) == Some(EPB);
        // The block and the next one's first bytes, whole and with one field changed,
        // and whether the change leaves a block whose lengths agree.
        let block = &data[..(len + 8).min(data.len())];
        let put = |at: usize, x: u32| {
            let mut v = block.to_vec();
            let b = if be { x.to_be_bytes() } else { x.to_le_bytes() };
            v[at..at + 4].copy_from_slice(&b);
            v
        };
        let mut variants = vec![(block.to_vec(), is_epb)];
        if is_epb && (at / 4) % 7 == 0 {
            let caplen = word(data, 20, be).unwrap();
            let n = len as u32;
            changed += 1;
            variants.extend([
                // Captured lengths: past the block with its padding, within it, huge,
                // one more (within the padding unless there was none).
                (put(20, n - 31), false),
                (put(20, n - 35), true),
                (put(20, u32::MAX - 3), false),
                (put(20, caplen + 1), !caplen.is_multiple_of(4)),
                // Total lengths: one the trailer does not repeat, too small, past the
                // block; and a trailer that differs.
                (put(4, n - 4), false),
                (put(4, 28), false),
                (put(4, n + 4), false),
                (put(len - 4, n + 4), false),
            ]);
        }
        for (k, (v, agrees)) in variants.iter().enumerate() {
            let quick = ng.quick_epb(v);
            assert_eq!(quick.is_some(), *agrees, "block at {at}, variant {k}");
            let Some((epb, rest)) = quick else { continue };
            read += 1;
            let Ok((prest, Block::EnhancedPacket(b))) = ng.parse(v) else {
                panic!("block at {at}, variant {k}: pcap-parser refuses what quick_epb read");
            };
            assert_eq!(
                (epb.if_id, epb.ts_high, epb.ts_low, epb.caplen, epb.origlen),
                (b.if_id, b.ts_high, b.ts_low, b.caplen, b.origlen),
                "block at {at}, variant {k}"
            );
            assert_eq!(epb.data, &b.data[..b.caplen as usize], "block at {at}, {k}");
            assert_eq!(rest.len(), prest.len(), "block at {at}, variant {k}");
        }
        at += len;
    }
    assert!(
        read > 3000 && changed > 400,
        "{read} blocks read, {changed} changed"
    );
}
