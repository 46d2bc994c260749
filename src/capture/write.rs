//! Writing captures: classic pcap files (microsecond, little-endian), for tests that build
//! captures in code, for synthetic benchmark captures, and for saving a live capture as it
//! is made ([`Saver`], every write checked); and
//! pcapng files (nanosecond, little-endian) that can carry a connection's TLS secrets in a
//! Decryption Secrets Block, for extracting a TLS connection.
//!
//! In: packets (link type fixed per file, timestamp, bytes, original length), and for
//! pcapng an optional NSS key-log text. Out: a pcap or pcapng stream any tool reads
//! (tcpdump, Wireshark, tshark, wsclose itself).
//!
//! pcapng spec (draft-ietf-opsawg-pcapng): §3.1 (a block is its type, total length, body
//! padded to 32 bits, total length again), §4.1 (Section Header Block), §4.2 (Interface
//! Description Block, option `if_tsresol`), §4.3 (Enhanced Packet Block), §4.7 (Decryption
//! Secrets Block: secrets type `TLSK`, length, data; before the packets it decrypts).

use super::{LinkType, Timestamp};
use std::io::{self, Write};

pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte global header.
    pub fn new(mut out: W, link: LinkType, snaplen: u32) -> io::Result<PcapWriter<W>> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&link.0.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out })
    }

    /// One record. `orig_len` may exceed `data.len()` to model a snaplen cut.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(ts.secs() as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(ts.subsec_nanos() / 1000).to_le_bytes());
        h[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// A live capture saved as it is made (`live --write FILE`): a classic pcap through `W`
/// (a buffered file), every write checked. The first write that fails is the caller's
/// signal to stop capturing: the file then lacks what was not written, and saying "every
/// packet was saved" would be false.
pub struct Saver<W: Write> {
    out: PcapWriter<W>,
    /// Packets handed to the writer without an error (some may still be in its buffer).
    pub packets: u64,
}

impl<W: Write> Saver<W> {
    /// Starts the file: the global header for `link` and `snaplen`.
    pub fn new(out: W, link: LinkType, snaplen: u32) -> io::Result<Saver<W>> {
        Ok(Saver {
            out: PcapWriter::new(out, link, snaplen)?,
            packets: 0,
        })
    }

    /// One packet, as libpcap gave it.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        self.out.packet(ts, data, orig_len)?;
        self.packets += 1;
        Ok(())
    }

    /// Writes out what is still buffered: only then is the file whole.
    pub fn finish(&mut self) -> io::Result<()> {
        self.out.out.flush()
    }
}

/// pcapng block types.
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;
const DSB: u32 = 0x0000_000A;
/// A Decryption Secrets Block's secrets type for an NSS key log ("TLSK").
pub const SECRETS_TLS_KEY_LOG: u32 = 0x544C_534B;

/// A little-endian pcapng writer of one section and one interface, with timestamps in
/// nanoseconds (`if_tsresol` 9).
pub struct PcapNgWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapNgWriter<W> {
    /// Writes the section header, the interface and, when `tls_key_log` is given, a
    /// Decryption Secrets Block holding it (an NSS key-log text), so that it comes before
    /// every packet.
    pub fn new(
        mut out: W,
        link: LinkType,
        snaplen: u32,
        tls_key_log: Option<&[u8]>,
    ) -> io::Result<PcapNgWriter<W>> {
        // Section header: byte-order magic, version 1.0, section length unknown (-1), and
        // shb_userappl (option 4) naming the writer.
        let mut shb = Vec::with_capacity(48);
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        option(
            &mut shb,
            4,
            concat!("wsclose ", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        option(&mut shb, 0, &[]);
        block(&mut out, SHB, &shb)?;
        // Interface: link type, reserved, snaplen, if_tsresol (option 9) = 9 (10^-9 s).
        let mut idb = Vec::with_capacity(20);
        idb.extend_from_slice(&u16::try_from(link.0).unwrap_or(u16::MAX).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        option(&mut idb, 9, &[9]);
        option(&mut idb, 0, &[]);
        block(&mut out, IDB, &idb)?;
        if let Some(text) = tls_key_log {
            let len = u32::try_from(text.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "key log too large"))?;
            let mut dsb = Vec::with_capacity(text.len() + 12);
            dsb.extend_from_slice(&SECRETS_TLS_KEY_LOG.to_le_bytes());
            dsb.extend_from_slice(&len.to_le_bytes());
            dsb.extend_from_slice(text);
            pad(&mut dsb);
            block(&mut out, DSB, &dsb)?;
        }
        Ok(PcapNgWriter { out })
    }

    /// One Enhanced Packet Block on the interface. `orig_len` may exceed `data.len()` to
    /// model a snaplen cut. A time before 1970 is written as 1970.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        self.packet_with_comment(ts, data, orig_len, None)
    }

    /// [`PcapNgWriter::packet`] with an `opt_comment` (§4.3, option 1: UTF-8 text), which
    /// Wireshark shows as the packet's comment (`frame.comment` in a display filter).
    pub fn packet_with_comment(
        &mut self,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let caplen = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let units = u64::try_from(ts.0).unwrap_or(0);
        let mut options = Vec::new();
        if let Some(text) = comment {
            // An option's length is 16 bits: a longer comment is cut at a character.
            let mut end = text.len().min(u16::MAX as usize - 3);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            option(
                &mut options,
                1,
                text.as_bytes().get(..end).unwrap_or_default(),
            );
            option(&mut options, 0, &[]);
        }
        let body_len = 20 + padded(data.len()) + options.len();
        let total = u32::try_from(body_len + 12)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let mut h = [0u8; 28];
        let fields = [
            EPB,
            total,
            0,
            (units >> 32) as u32,
            units as u32,
            caplen,
            orig_len.max(caplen),
        ];
        for (chunk, v) in h.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        self.out.write_all(&h)?;
        self.out.write_all(data)?;
        let zeros = [0u8; 3];
        self.out
            .write_all(zeros.get(..padded(data.len()) - data.len()).unwrap_or(&[]))?;
        self.out.write_all(&options)?;
        self.out.write_all(&total.to_le_bytes())
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// `len` rounded up to 32 bits.
fn padded(len: usize) -> usize {
    len.div_ceil(4) * 4
}

/// Zeroes to the next 32-bit boundary.
fn pad(body: &mut Vec<u8>) {
    body.resize(padded(body.len()), 0);
}

/// An option: code, length, value padded to 32 bits.
fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    pad(body);
}

/// A block of `body` (already padded): type, total length, body, total length.
fn block<W: Write>(out: &mut W, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = u32::try_from(body.len() + 12)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "block too large"))?;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
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
        // Room for the header and one 100-byte packet (16 + 100 bytes).
        let mut s = Saver::new(full(24 + 116), LinkType::RAW, 65535).unwrap();
        s.packet(ts, &[0x45; 100], 100).unwrap();
        let e = s.packet(ts, &[0x45; 100], 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert_eq!(s.packets, 1);
        assert!(Saver::new(full(10), LinkType::RAW, 65535).is_err());
        // Buffered, the same failure comes at the latest when the buffer is written out.
        let mut s = Saver::new(io::BufWriter::new(full(24)), LinkType::RAW, 65535).unwrap();
        s.packet(ts, &[0x45; 100], 100).unwrap();
        assert_eq!(s.finish().unwrap_err().kind(), io::ErrorKind::StorageFull);
        let mut ok = Saver::new(io::BufWriter::new(full(1 << 20)), LinkType::RAW, 65535).unwrap();
        ok.packet(ts, &[0x45; 100], 100).unwrap();
        ok.finish().unwrap();
        assert_eq!(ok.packets, 1);
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
}
