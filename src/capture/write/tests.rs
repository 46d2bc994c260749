//! The writers' tests: what they write reads back, through wsclose's own readers.

use super::*;

#[test]
fn round_trip_through_the_reader() {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65535).unwrap();
    w.packet(
        Timestamp::from_parts(1_700_000_000, 123_456_000),
        b"\x45abc",
        60,
    )
    .unwrap();
    let bytes = w.into_inner();
    let dir = std::env::temp_dir().join(format!("wsclose-write-{}", std::process::id()));
    std::fs::write(&dir, &bytes).unwrap();
    let mut seen = Vec::new();
    let s = crate::capture::file::read(&dir, &mut |p| {
        seen.push((p.number, p.ts, p.link, p.data.to_vec(), p.orig_len))
    })
    .unwrap();
    std::fs::remove_file(&dir).ok();
    assert_eq!(s.packets, 1);
    assert_eq!(
        seen,
        vec![(
            1,
            Timestamp::from_parts(1_700_000_000, 123_456_000),
            LinkType::RAW,
            b"\x45abc".to_vec(),
            60
        )]
    );
}

#[test]
fn pcapng_round_trip_with_secrets() {
    let keys = b"CLIENT_HANDSHAKE_TRAFFIC_SECRET 00 11\n";
    let mut w = PcapNgWriter::new(Vec::new(), LinkType::ETHERNET, 65535, Some(keys)).unwrap();
    let times = [
        Timestamp::from_parts(1_700_000_000, 123_456_789),
        Timestamp::from_parts(1_700_000_001, 1),
    ];
    w.packet(times[0], b"\x45abcde", 60).unwrap();
    w.packet(times[1], b"\x45abcdefgh", 0).unwrap();
    let bytes = w.into_inner();
    assert_eq!(bytes.len() % 4, 0);
    let path = std::env::temp_dir().join(format!("wsclose-write-ng-{}", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let mut seen = Vec::new();
    let s = crate::capture::file::read(&path, &mut |p| {
        seen.push((p.number, p.ts, p.link, p.data.to_vec(), p.orig_len))
    })
    .unwrap();
    let secrets = crate::capture::secrets::leading_tls_secrets(&path);
    std::fs::remove_file(&path).ok();
    assert_eq!(s.packets, 2);
    assert_eq!(
        seen,
        vec![
            (1, times[0], LinkType::ETHERNET, b"\x45abcde".to_vec(), 60),
            (2, times[1], LinkType::ETHERNET, b"\x45abcdefgh".to_vec(), 9),
        ]
    );
    assert_eq!(secrets, vec![keys.to_vec()]);
}

/// Writes up to `room` bytes, then fails as a full disk does.
struct Full {
    room: usize,
    kept: Vec<u8>,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.kept.len() + buf.len() > self.room {
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        self.kept.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A saver whose file fills up says so at the packet that no longer fits (and at the
/// header, when even that does not), and through a buffer at the flush at the latest:
/// never a silent loss.
#[test]
fn a_saver_reports_the_write_that_fails() {
    let ts = Timestamp::from_parts(1_700_000_000, 0);
    let full = |room| Full {
        room,
        kept: Vec::new(),
    };
    // Room for the header and one 100-byte packet (an Enhanced Packet Block of 28 + 100
    // + 4 bytes).
    let header = Saver::new(Vec::new(), LinkType::RAW, 65535, "lo")
        .unwrap()
        .out
        .into_inner()
        .len();
    let mut s = Saver::new(full(header + 132), LinkType::RAW, 65535, "lo").unwrap();
    s.packet(ts, &[0x45; 100], 100).unwrap();
    let e = s.packet(ts, &[0x45; 100], 100).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::StorageFull);
    assert_eq!(s.packets, 1);
    assert!(Saver::new(full(10), LinkType::RAW, 65535, "lo").is_err());
    // Buffered, the same failure comes at the latest when the buffer is written out.
    let mut s = Saver::new(io::BufWriter::new(full(header)), LinkType::RAW, 65535, "lo").unwrap();
    s.packet(ts, &[0x45; 100], 100).unwrap();
    assert_eq!(s.finish().unwrap_err().kind(), io::ErrorKind::StorageFull);
    let mut ok = Saver::new(
        io::BufWriter::new(full(1 << 20)),
        LinkType::RAW,
        65535,
        "lo",
    )
    .unwrap();
    ok.packet(ts, &[0x45; 100], 100).unwrap();
    ok.finish().unwrap();
    assert_eq!(ok.packets, 1);
}

/// The blocks of a little-endian pcapng: (type, body).
fn blocks(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = word(at + 4) as usize;
        assert_eq!(word(at + len - 4) as usize, len);
        out.push((word(at), bytes[at + 8..at + len - 4].to_vec()));
        at += len;
    }
    out
}

/// A live capture's file: a pcapng whose interface block names the interface
/// (`if_name`, option 2, before `if_tsresol`), its packets read back as written; then
/// the secrets added before the first packet, the packets unchanged, the file readable
/// by its owner only, and the secrets found where tools look for them.
#[test]
fn a_saved_live_capture_names_its_interface_and_takes_its_secrets_before_the_packets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.pcapng");
    let times = [
        Timestamp::from_parts(1_700_000_000, 123_456_000),
        Timestamp::from_parts(1_700_000_001, 7_000),
    ];
    let file = std::fs::File::create(&path).unwrap();
    let mut s = Saver::new(io::BufWriter::new(file), LinkType::ETHERNET, 262_144, "lo").unwrap();
    s.packet(times[0], b"\x45abcde", 60).unwrap();
    s.packet(times[1], b"\x45abcdefgh", 9).unwrap();
    s.finish().unwrap();
    drop(s);
    let read = |path: &Path| {
        let mut seen = Vec::new();
        crate::capture::file::read(path, &mut |p| {
            seen.push((p.number, p.ts, p.link, p.data.to_vec(), p.orig_len))
        })
        .unwrap();
        seen
    };
    let packets = read(&path);
    assert_eq!(
        packets,
        vec![
            (1, times[0], LinkType::ETHERNET, b"\x45abcde".to_vec(), 60),
            (2, times[1], LinkType::ETHERNET, b"\x45abcdefgh".to_vec(), 9),
        ]
    );
    let before = std::fs::read(&path).unwrap();
    let b = blocks(&before);
    assert_eq!(
        b.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![SHB, IDB, EPB, EPB]
    );
    // The interface block's options: if_name "lo", then if_tsresol.
    assert_eq!(b[1].1[8..16], [2, 0, 2, 0, b'l', b'o', 0, 0]);
    assert_eq!(b[1].1[16..20], [9, 0, 1, 0]);

    let keys = b"CLIENT_HANDSHAKE_TRAFFIC_SECRET 00 11\n";
    insert_secrets(&path, keys).unwrap();
    let after = std::fs::read(&path).unwrap();
    let a = blocks(&after);
    assert_eq!(
        a.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![SHB, IDB, DSB, EPB, EPB]
    );
    assert_eq!((&a[..2], &a[3..]), (&b[..2], &b[2..]));
    assert_eq!(read(&path), packets);
    assert_eq!(
        crate::capture::secrets::leading_tls_secrets(&path),
        vec![keys.to_vec()]
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Nothing else was left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// A live capture's drops go into its file as Interface Statistics Blocks (§4.6: the
/// interface, the time, `isb_ifdrop` and `isb_osdrop` as 64-bit totals), which the
/// reader sums per interface, the highest block of each: the saved file says what the
/// live capture lost.
#[test]
fn a_saved_live_capture_says_its_drops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.pcapng");
    let ts = Timestamp::from_parts(1_700_000_000, 5);
    let file = std::fs::File::create(&path).unwrap();
    let mut s = Saver::new(io::BufWriter::new(file), LinkType::RAW, 65535, "lo").unwrap();
    s.packet(ts, b"\x45abcde", 60).unwrap();
    s.statistics(ts, 0, 3).unwrap();
    s.packet(ts, b"\x45abcde", 60).unwrap();
    s.statistics(Timestamp::from_parts(1_700_000_001, 0), 2, 5)
        .unwrap();
    s.finish().unwrap();
    drop(s);
    let bytes = std::fs::read(&path).unwrap();
    let b = blocks(&bytes);
    assert_eq!(
        b.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![SHB, IDB, EPB, ISB, EPB, ISB]
    );
    let last = &b[5].1;
    let units = 1_700_000_001u64 * 1_000_000_000;
    let mut want = Vec::new();
    want.extend_from_slice(&0u32.to_le_bytes());
    want.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
    want.extend_from_slice(&(units as u32).to_le_bytes());
    want.extend_from_slice(&[5, 0, 8, 0]);
    want.extend_from_slice(&2u64.to_le_bytes());
    want.extend_from_slice(&[7, 0, 8, 0]);
    want.extend_from_slice(&5u64.to_le_bytes());
    want.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(last, &want);
    let mut packets = 0;
    let summary = crate::capture::file::read(&path, &mut |_| packets += 1).unwrap();
    assert_eq!((packets, summary.packets, summary.dropped), (2, 2, 7));
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
}

/// A file that is not a pcapng as wsclose writes it, or not a regular file, is left as
/// it was, and nothing is left beside it.
#[test]
fn secrets_are_never_added_to_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("old.pcap");
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65535).unwrap();
    w.packet(Timestamp::from_parts(1, 0), b"\x45", 1).unwrap();
    let bytes = w.into_inner();
    std::fs::write(&pcap, &bytes).unwrap();
    assert!(insert_secrets(&pcap, b"CLIENT_RANDOM 00 11\n").is_err());
    assert_eq!(std::fs::read(&pcap).unwrap(), bytes);
    assert!(insert_secrets(dir.path(), b"x").is_err());
    let link = dir.path().join("link.pcapng");
    std::os::unix::fs::symlink(&pcap, &link).unwrap();
    assert!(insert_secrets(&link, b"x").is_err());
    assert_eq!(std::fs::read(&pcap).unwrap(), bytes);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn pcapng_without_secrets_has_no_secrets_block() {
    let mut w = PcapNgWriter::new(Vec::new(), LinkType::RAW, 65535, None).unwrap();
    w.packet(Timestamp::from_parts(1, 0), b"\x45", 1).unwrap();
    let bytes = w.into_inner();
    // Walk the blocks: SHB, IDB, EPB.
    let mut kinds = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        kinds.push(word(at));
        let len = word(at + 4) as usize;
        assert_eq!(word(at + len - 4) as usize, len);
        at += len;
    }
    assert_eq!(kinds, vec![SHB, IDB, EPB]);
}
