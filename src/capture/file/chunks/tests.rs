//! The chunk reader's tests: each reader of a shared file is handed every record once, a
//! packet of plain TCP by the reader of its flow alone, and decoding it from the index
//! reads what decoding it whole reads (which takes the decode stage's dealing and decoder:
//! a test's import only, the reader itself imports nothing of decode).

use super::*;
use crate::capture::file::testing::{
    kept, ng_block, ng_file, ng_section_head, read_kept, temp, Body, Seen,
};
use crate::capture::shared::SharedFile;
use crate::vocab::LinkType;

/// A sink for records none of which is plain TCP: every reader is handed every packet,
/// kept here.
#[derive(Default)]
struct Every(Seen);

impl ShardSink for Every {
    fn packet(&mut self, pk: &Packet<'_>) {
        self.0.push(kept(pk))
    }
    fn plain(&mut self, p: &Packet<'_>, _: Plain) {
        panic!("packet {} is plain TCP", p.number)
    }
    fn elsewhere(&mut self, ts: Timestamp) {
        panic!("a packet at {ts:?} went to another reader")
    }
    fn passed(&mut self, ts: Timestamp) {
        panic!("a packet at {ts:?} was passed as holding no TCP")
    }
}

/// `p` read by the streaming reader, then by two threads sharing it, each into a sink
/// `S`: the streaming reader's summary and packets, each thread's summary and sink, and
/// the shared reader (for its chunk count).
fn streaming_and_shared<S: ShardSink + Default + Send>(
    p: &Path,
) -> (InputSummary, Seen, [(InputSummary, S); 2], SharedFile) {
    let (want, one) = read_kept(p);
    let shared = SharedFile::open(p, crate::decode::Shards::even(2), None).unwrap();
    let run = |reader: usize| {
        let mut sink = S::default();
        let s = read_shared(p, &shared, reader, &mut sink, None).unwrap();
        (s, sink)
    };
    let both = std::thread::scope(|sc| {
        let h = sc.spawn(|| run(1));
        [run(0), h.join().unwrap()]
    });
    (want, one, both, shared)
}

/// Reading a file once for two threads gives each of them exactly what the streaming
/// reader gives one: the same packets in order and the same summary, warnings
/// included, whole or cut at any of several places, with records larger than a chunk,
/// a damaged length in the middle, and times that go backwards (within chunks and from
/// one to the next, which the indexer's tally of each chunk joins).
#[test]
fn shared_reading_gives_what_the_streaming_reader_gives() {
    use crate::capture::shared::CHUNK;
    use crate::capture::write::PcapWriter;
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 1 << 21).unwrap();
    let mut sizes: Vec<usize> = (0..3000).map(|i| (i * 7919) % 1500 + 14).collect();
    // Records too large for a chunk end the sharing: late in the file, so that the
    // damage and the cuts below fall in the shared part.
    sizes.insert(2800, CHUNK + 10);
    sizes.insert(2900, 3 * CHUNK);
    for (i, &n) in sizes.iter().enumerate() {
        // A step back of 95 s; and from the 1 000th record to the 1 300th, one of a
        // second at each record, so that some fall where a chunk starts.
        let secs = match i {
            1500 => 5,
            1000..1300 => 5000 - i as i64,
            _ => 100 + i as i64,
        };
        let data = vec![i as u8; n];
        w.packet(Timestamp::from_parts(secs, 0), &data, n as u32 + 1)
            .unwrap();
    }
    let whole = w.into_inner();
    let mut damaged = whole.clone();
    // The caplen of the 2 000th record's header, found by walking the records.
    let mut at = 24;
    for _ in 0..2000 {
        at += 16 + u32::from_le_bytes(damaged[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    damaged[at + 8..at + 12].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    let mut inputs = vec![("whole", whole.clone()), ("damaged", damaged)];
    for cut in [30, whole.len() / 3, whole.len() / 2 + 5, whole.len() - 3] {
        inputs.push(("cut", whole[..cut].to_vec()));
    }
    for (k, (what, bytes)) in inputs.into_iter().enumerate() {
        let p = temp(&format!("shared-{k}.pcap"), &bytes);
        let (want, one, [a, b], _) = streaming_and_shared::<Every>(&p);
        assert_eq!(want.truncated, what != "whole", "{what} {k}");
        assert!(want.warnings.iter().any(|w| w.contains("backwards")) || k > 1 && one.len() < 1500);
        assert_eq!(a.0, want, "{what} {k}");
        assert_eq!(b.0, want, "{what} {k}");
        assert!(a.1 .0 == one && b.1 .0 == one, "{what} {k}: other packets");
        std::fs::remove_file(&p).ok();
    }
}

/// Reading a pcapng file once for two threads gives each what the streaming reader
/// gives one, whole, damaged (a block whose trailing length is not its leading one,
/// which the cutter shares and pcap-parser refuses; a length that cannot be; a captured
/// length larger than the block, which is skipped and the rest read) or cut. The shared reader reads enhanced packet blocks
/// itself (`Ng::quick_epb`), the streaming one through pcap-parser.
#[test]
fn shared_reading_of_pcapng_gives_what_the_streaming_reader_gives() {
    let whole = ng_file();
    // The offset of the 1 000th block, found by walking the little-endian section.
    let mut at = 0;
    for _ in 0..1000 {
        at += u32::from_le_bytes(whole[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    let len = u32::from_le_bytes(whole[at + 4..at + 8].try_into().unwrap()) as usize;
    let mut trailing = whole.clone();
    trailing[at + len - 4..at + len].copy_from_slice(&(len as u32 + 4).to_le_bytes());
    let mut leading = whole.clone();
    leading[at + 4..at + 8].copy_from_slice(&7u32.to_le_bytes());
    let mut caplen = whole.clone();
    assert_eq!(
        whole[at..at + 4],
        6u32.to_le_bytes(),
        "an enhanced packet block"
    );
    caplen[at + 20..at + 24].copy_from_slice(&(len as u32 - 31).to_le_bytes());
    let mut inputs = vec![
        ("whole", whole.clone()),
        ("trailing", trailing),
        ("leading", leading),
        ("caplen", caplen),
    ];
    for cut in [30, whole.len() / 3, whole.len() / 2 + 5, whole.len() - 3] {
        inputs.push(("cut", whole[..cut].to_vec()));
    }
    for (k, (what, bytes)) in inputs.into_iter().enumerate() {
        let p = temp(&format!("shared-{k}.pcapng"), &bytes);
        let (want, one, [a, b], shared) = streaming_and_shared::<Every>(&p);
        assert_eq!(want.format, "pcapng");
        assert_eq!(
            want.truncated,
            what != "whole" && what != "caplen",
            "{what} {k}: {:?}",
            want.warnings
        );
        if what == "caplen" {
            assert!(
                want.warnings
                    .iter()
                    .any(|w| w.contains("is damaged: its captured length of")),
                "{:?}",
                want.warnings
            );
            assert_eq!(want.packets, 3312);
        }
        assert!(
            one.len() < 100 || want.warnings.iter().any(|w| w.contains("interface 7")),
            "{what} {k}: {:?}",
            want.warnings
        );
        if what == "whole" {
            assert_eq!(want.link_types, vec![LinkType::ETHERNET, LinkType::RAW]);
            // 3 300 packets, and the 12 custom blocks, which Wireshark numbers as frames.
            assert_eq!(want.packets, 3312);
            assert!(want.warnings.iter().any(|w| w.contains("backwards")));
            // Shared up to the first block larger than a chunk, in the second section.
            let first_large = one.iter().position(|p| p.3.len() > 1514).unwrap();
            assert!(one[first_large].0 > 3000);
            assert!(
                shared.filled() * crate::capture::shared::CHUNK as u64
                    > bytes.len() as u64 * 8 / 10
            );
        }
        assert_eq!(a.0, want, "{what} {k}");
        assert_eq!(b.0, want, "{what} {k}");
        assert!(a.1 .0 == one && b.1 .0 == one, "{what} {k}: other packets");
        std::fs::remove_file(&p).ok();
    }
}

/// Damaged blocks of a big-endian section, framed but refused by pcap-parser: an
/// Interface Description Block too short for its fields still takes its interface's
/// place (the next one is interface 3, as the file numbers it) and its packets are
/// skipped; enhanced packet blocks whose captured length runs past them are skipped,
/// each taking its number; ten are named, the others counted; every packet after them
/// is read. Two threads sharing the file get the same.
#[test]
fn damaged_blocks_are_skipped_in_either_byte_order() {
    let b = || Body(true, Vec::new());
    let epb = |iface: u32, caplen: u32| {
        let e = b().u32(iface).u32(0).u32(1_000_000).u32(caplen).u32(8);
        ng_block(true, 6, &e.bytes(&[7; 8]).1)
    };
    let mut f = ng_section_head(true);
    f.extend(epb(0, 8));
    let idb_at = f.len();
    f.extend(ng_block(true, 1, &b().u32(1).1));
    f.extend(ng_block(true, 1, &b().u16(1).u16(0).u32(0).1));
    f.extend(epb(2, 8));
    f.extend(epb(3, 8));
    let first_bad = f.len();
    for _ in 0..12 {
        f.extend(epb(0, 100));
    }
    f.extend(epb(1, 8));
    let p = temp("damaged-blocks.pcapng", &f);
    let (want, one, [a, b], _) = streaming_and_shared::<Every>(&p);
    std::fs::remove_file(&p).ok();
    let got: Vec<(u64, LinkType)> = one.iter().map(|p| (p.0, p.2)).collect();
    assert_eq!(
        got,
        [
            (1, LinkType::ETHERNET),
            (3, LinkType::ETHERNET),
            (16, LinkType::RAW)
        ]
    );
    assert!(!want.truncated);
    assert_eq!(want.packets, 16);
    let w = &want.warnings;
    // Ten damaged blocks said, one line for the rest, and packet 16 is 0.999 s earlier
    // than packet 3 (the file is out of order).
    assert_eq!(w.len(), 12, "{w:#?}");
    assert!(w[11].starts_with("capture times go backwards: packet 16 is 0.999"));
    assert_eq!(
        w[0],
        format!(
            "the Interface Description Block after packet 1 (at byte {idb_at}) is damaged: \
             its block total length 16 is less than the 20 bytes of its fields; the block \
             was skipped, and so are the packets of its interface 2, and reading went on \
             after it"
        )
    );
    assert_eq!(
        w[1],
        format!(
            "packet 4 (an Enhanced Packet Block at byte {first_bad}) is damaged: its \
             captured length of 100 bytes is more than the 8 bytes its block holds; the \
             packet was skipped, and reading went on after it"
        )
    );
    assert_eq!(
        w[10],
        "3 more damaged pcapng blocks were skipped as the ones above (13 in all)"
    );
    assert_eq!(a.0, want);
    assert_eq!(b.0, want);
    assert!(a.1 .0 == one && b.1 .0 == one, "other packets");
}

/// What one reader of a shared file was handed, packet by packet.
#[derive(Debug)]
enum Call {
    /// A packet to analyze (number, time, bytes, length on the wire, interface), with
    /// where its parts are when it came found plain.
    Packet(
        u64,
        Timestamp,
        Vec<u8>,
        u32,
        Option<crate::capture::Interface>,
        Option<Plain>,
    ),
    /// Another reader's packet: only its time.
    Elsewhere(Timestamp),
    /// A packet with no TCP inside: its time.
    Passed(Timestamp),
}

#[derive(Default)]
struct Calls(Vec<Call>);

impl ShardSink for Calls {
    fn packet(&mut self, p: &Packet<'_>) {
        self.0.push(Call::Packet(
            p.number,
            p.ts,
            p.data.to_vec(),
            p.orig_len,
            p.iface.cloned(),
            None,
        ));
    }
    fn plain(&mut self, p: &Packet<'_>, plain: Plain) {
        self.0.push(Call::Packet(
            p.number,
            p.ts,
            p.data.to_vec(),
            p.orig_len,
            p.iface.cloned(),
            Some(plain),
        ));
    }
    fn elsewhere(&mut self, ts: Timestamp) {
        self.0.push(Call::Elsewhere(ts));
    }
    fn passed(&mut self, ts: Timestamp) {
        self.0.push(Call::Passed(ts));
    }
}

/// The frames of [`two_readers_share_plain_tcp_packets_by_flow`]: plain TCP over IPv4
/// and IPv6 in fifty flows, one in ten UDP, one in 97 cut 10 bytes short (the frame,
/// and how many of its bytes were captured).
fn mixed_frames() -> Vec<(Vec<u8>, usize)> {
    use etherparse::PacketBuilder;
    (0..4000u32)
        .map(|i| {
            let payload = vec![b'x'; (i as usize * 37) % 1400];
            let port = 40000 + (i % 50) as u16;
            let eth = PacketBuilder::ethernet2([1; 6], [2; 6]);
            let mut frame = Vec::new();
            match i % 10 {
                0 => eth
                    .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                    .udp(port, 53)
                    .write(&mut frame, &payload),
                1 => eth
                    .ipv6([1; 16], [2; 16], 64)
                    .tcp(port, 443, i, 1000)
                    .write(&mut frame, &payload),
                _ => eth
                    .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                    .tcp(port, 80, i, 1000)
                    .write(&mut frame, &payload),
            }
            .unwrap();
            let kept = frame.len() - if i % 97 == 0 { 10 } else { 0 };
            (frame, kept)
        })
        .collect()
}

/// The file at `p` read by the streaming reader, then by two readers sharing it: each
/// plain TCP packet goes to the reader of its flow's shard alone, found plain (and the
/// segment read from there is what decoding it gives), the other reader being handed
/// only its time; every other packet goes to both. Returns how many plain packets
/// each reader was handed.
fn two_readers(p: &Path) -> [usize; 2] {
    use crate::decode::{decode, decode_plain, Skip};
    let (want, all, both, shared) = streaming_and_shared::<Calls>(p);
    std::fs::remove_file(p).ok();
    assert!(shared.filled() > 20, "several chunks");
    let (mut plain, mut passed) = ([0, 0], 0);
    for (reader, (summary, Calls(calls))) in both.iter().enumerate() {
        assert_eq!(summary.packets, want.packets);
        assert_eq!(calls.len(), all.len());
        if reader == 0 {
            assert_eq!(*summary, want);
        }
        // Packets come in the same order (one of an undescribed interface, to none).
        for (k, call) in calls.iter().enumerate() {
            let (number, ts, link, data, orig_len, iface) = &all[k];
            let pkt = Packet {
                options: Default::default(),
                number: *number,
                ts: *ts,
                link: *link,
                data,
                orig_len: *orig_len,
                iface: None,
            };
            let found = (*orig_len as usize == data.len())
                .then(|| Plain::find(*link, data))
                .flatten();
            let owner = found.map(|f| {
                let (a, b) = f.ends(data).unwrap();
                crate::decode::Shards::even(2).owner(&a, &b) as usize
            });
            match call {
                Call::Packet(n, t, d, o, i, at) => {
                    assert_eq!((*n, t, d, o), (pkt.number, ts, data, orig_len));
                    // The interface too, whether the reader found the packet plain
                    // (from the chunk's index) or read its block itself.
                    assert_eq!(i, iface, "packet {n}");
                    assert_eq!(*at, found, "packet {n}");
                    assert!(owner.is_none_or(|o| o == reader), "packet {n}");
                    if let Some(at) = at {
                        plain[reader] += 1;
                        let read = format!("{:?}", decode_plain(&pkt, *at).unwrap());
                        assert_eq!(read, format!("{:?}", decode(&pkt).unwrap()));
                    }
                }
                Call::Elsewhere(t) => {
                    assert_eq!(t, ts);
                    assert!(owner.is_some_and(|o| o != reader), "packet {number}");
                }
                Call::Passed(t) => {
                    // Only a packet that decoding calls other than TCP.
                    assert_eq!(t, ts);
                    assert!(owner.is_none(), "packet {number}");
                    assert_eq!(decode(&pkt).err(), Some(Skip::NotTcp), "packet {number}");
                    passed += 1;
                }
            }
        }
    }
    assert!(plain[0] > 500 && plain[1] > 500, "{plain:?}");
    // The UDP packets, one in ten, but those cut short, to each reader.
    assert!(passed > 700, "{passed} passed");
    plain
}

/// The TCP packets of [`mixed_frames`] not cut: those shared out by flow.
fn whole_tcp() -> usize {
    (0..4000).filter(|i| i % 10 != 0 && i % 97 != 0).count()
}

/// Two readers of a classic pcap file of [`mixed_frames`] (see [`two_readers`]).
#[test]
fn two_readers_share_plain_tcp_packets_by_flow() {
    use crate::capture::write::PcapWriter;
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    for (i, (frame, kept)) in mixed_frames().iter().enumerate() {
        let ts = Timestamp::from_parts(1000 + i as i64, 0);
        w.packet(ts, &frame[..*kept], frame.len() as u32).unwrap();
    }
    let plain = two_readers(&temp("two-readers.pcap", &w.into_inner()));
    assert_eq!(plain[0] + plain[1], whole_tcp());
}

/// The same in a big-endian classic pcap file (the index is made for each byte order):
/// the file above with its header's and records' words turned around.
#[test]
fn two_readers_share_plain_tcp_packets_of_a_big_endian_file_by_flow() {
    use crate::capture::write::PcapWriter;
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    for (i, (frame, kept)) in mixed_frames().iter().enumerate() {
        let ts = Timestamp::from_parts(1000 + i as i64, 7);
        w.packet(ts, &frame[..*kept], frame.len() as u32).unwrap();
    }
    let le = w.into_inner();
    let swap = |b: &mut [u8]| b.chunks_exact_mut(4).for_each(|w| w.reverse());
    let mut be = le.clone();
    // The global header: magic, then versions (two 16-bit words), zone, sigfigs, snap
    // length, link type.
    swap(&mut be[..4]);
    be[4..6].reverse();
    be[6..8].reverse();
    swap(&mut be[8..24]);
    let mut at = 24;
    while at < be.len() {
        let caplen = u32::from_le_bytes(le[at + 8..at + 12].try_into().unwrap()) as usize;
        swap(&mut be[at..at + 16]);
        at += 16 + caplen;
    }
    assert_eq!(at, be.len());
    assert_eq!(be[..4], [0xa1, 0xb2, 0xc3, 0xd4], "a big-endian file");
    let plain = two_readers(&temp("two-readers-be.pcap", &be));
    assert_eq!(plain[0] + plain[1], whole_tcp());
}

/// The same as pcapng: two sections (little-endian, then big-endian, see
/// [`ng_section_head`]), the packets of the first half in the first, on the two
/// Ethernet interfaces in turn (`eth0`, and `br0` after the section's raw IP one, then
/// in the second section `br1`), plus now and then a packet of an undescribed
/// interface and a simple packet block, which every reader reads. Each reader names
/// each packet's interface as the streaming reader does, found plain or not.
#[test]
fn two_readers_share_plain_tcp_packets_of_pcapng_by_flow() {
    let frames = mixed_frames();
    let mut f = Vec::new();
    for (section, big) in [(0usize, false), (1, true)] {
        let b = || Body(big, Vec::new());
        f.extend(ng_section_head(big));
        let name = if big { b"br1" } else { b"br0" };
        let idb = b()
            .u16(1)
            .u16(0)
            .u32(0)
            .u16(2)
            .u16(3)
            .bytes(name)
            .bytes(&[0]);
        f.extend(ng_block(big, 1, &idb.u16(0).u16(0).1));
        for (i, (frame, kept)) in frames.iter().enumerate().skip(section * 2000).take(2000) {
            let ts = (1000 + i as u64) * 1_000_000;
            let epb = b()
                .u32(2 * (i as u32 % 2))
                .u32((ts >> 32) as u32)
                .u32(ts as u32);
            let epb = epb.u32(*kept as u32).u32(frame.len() as u32);
            f.extend(ng_block(big, 6, &epb.bytes(&frame[..*kept]).1));
            if i % 500 == 9 {
                let epb = b().u32(7).u32(0).u32(0).u32(*kept as u32).u32(*kept as u32);
                f.extend(ng_block(big, 6, &epb.bytes(&frame[..*kept]).1));
                // Simple packet blocks are read by every reader: a UDP one.
                let udp = &frames[i - i % 10].0;
                let spb = b().u32(udp.len() as u32).bytes(udp);
                f.extend(ng_block(big, 3, &spb.1));
            }
        }
    }
    let p = temp("two-readers.pcapng", &f);
    let (_, all) = read_kept(&p);
    let named = |n: u32, id: u32, name: &str| {
        all.iter()
            .filter(|k| {
                k.5.as_ref()
                    .is_some_and(|i| (i.number, i.id, i.name.as_deref()) == (n, id, Some(name)))
            })
            .count()
    };
    // Interfaces are numbered across the sections, their IDs start again in each (the
    // four simple packet blocks of a section are its first interface's).
    assert_eq!(
        [
            named(0, 0, "eth0"),
            named(2, 2, "br0"),
            named(3, 0, "eth0"),
            named(5, 2, "br1")
        ],
        [1004, 1000, 1004, 1000]
    );
    let plain = two_readers(&p);
    assert_eq!(plain[0] + plain[1], whole_tcp());
}

/// `count` records of 100 bytes, the last one cut 10 bytes short, as a file shared by
/// one reader and removed before it is read: the packets handed over and the summary.
fn read_removed(name: &str, count: u8) -> (usize, InputSummary) {
    use crate::capture::write::PcapWriter;
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    for i in 0..count {
        w.packet(Timestamp::from_parts(i64::from(i), 0), &[i; 100], 100)
            .unwrap();
    }
    let mut bytes = w.into_inner();
    bytes.truncate(bytes.len() - 10);
    let p = temp(name, &bytes);
    let shared = SharedFile::open(&p, crate::decode::Shards::even(1), None).unwrap();
    std::fs::remove_file(&p).unwrap();
    let mut every = Every::default();
    let s = read_shared(&p, &shared, 0, &mut every, None).unwrap();
    (every.0.len(), s)
}

/// A file that goes away while it is read: the packets read are kept and the warning
/// says where reading stopped, instead of the input counting as unreadable; cut inside
/// its first record, it says so plainly (no "packet 0").
#[test]
fn a_file_removed_while_read_keeps_what_was_read_and_says_where() {
    for (count, kept, start, then) in [
        (
            50,
            49,
            "reading stopped at the record after packet 49 (at byte ",
            "; the 49 packets before it were analyzed (run again",
        ),
        (
            1,
            0,
            "reading stopped at the first record (at byte 24): ",
            "; no packet came before it (run again",
        ),
    ] {
        let (n, s) = read_removed(&format!("removed-{count}.pcap"), count);
        assert_eq!((n, s.packets), (kept, kept as u64));
        assert!(s.truncated);
        assert!(
            s.warnings[0].starts_with(start) && s.warnings[0].contains(then),
            "{:?}",
            s.warnings
        );
    }
}

/// A chunk whose index stops early (its records smaller than an index entry: empty ones,
/// among packets) is read on past the index: each of two threads gets what the streaming
/// reader gives one, the same packets and the same summary, with times that go backwards
/// in the indexed records and in those read past them.
#[test]
fn records_read_past_a_short_index_are_what_the_streaming_reader_gives() {
    use crate::capture::write::PcapWriter;
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 1 << 21).unwrap();
    for i in 0..30_000usize {
        let n = if i % 50 < 45 { 0 } else { 60 + i % 7 };
        // Steps back of 50 s, on an empty record and on a packet.
        let secs = match i {
            10_000 | 20_047 => 50,
            _ => 100 + (i / 10) as i64,
        };
        w.packet(Timestamp::from_parts(secs, 0), &vec![i as u8; n], n as u32)
            .unwrap();
    }
    let p = temp("short-index.pcap", &w.into_inner());
    let (want, one, [a, b], _) = streaming_and_shared::<Every>(&p);
    assert_eq!(want.packets, 30_000);
    let back = want
        .warnings
        .iter()
        .find(|w| w.contains("backwards"))
        .unwrap();
    assert!(
        back.contains("packet 10001 ") && back.contains("1 more packets"),
        "{back}"
    );
    assert_eq!(a.0, want);
    assert_eq!(b.0, want);
    assert!(a.1 .0 == one && b.1 .0 == one, "other packets");
    std::fs::remove_file(&p).ok();
}
