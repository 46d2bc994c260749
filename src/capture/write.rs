//! Writing captures: classic pcap files (microsecond, little-endian), for tests that build
//! captures in code and for synthetic benchmark captures; and pcapng files (nanosecond,
//! little-endian) that can name their interface and carry TLS secrets in a Decryption
//! Secrets Block, for extracting a connection and for saving a live capture as it is made
//! ([`Saver`], every write checked; [`insert_secrets`] adds the secrets once it ends).
//!
//! In: packets (link type fixed per file, timestamp, bytes, original length), and for
//! pcapng the interface's name and an optional NSS key-log text. Out: a pcap or pcapng
//! stream any tool reads (tcpdump, Wireshark, tshark, wsclose itself).
//!
//! pcapng spec (draft-ietf-opsawg-pcapng): §3.1 (a block is its type, total length, body
//! padded to 32 bits, total length again), §4.1 (Section Header Block), §4.2 (Interface
//! Description Block, options `if_name` and `if_tsresol`), §4.3 (Enhanced Packet Block),
//! §4.6 (Interface Statistics Block: `isb_ifdrop`, `isb_osdrop`, the drops a live capture
//! counted), §4.7 (Decryption Secrets Block: secrets type `TLSK`, length, data; before the
//! packets it decrypts).

use super::{LinkType, PacketOptions, Timestamp};
use crate::sanitize::cut;
use std::io::{self, Read, Write};
use std::path::Path;

/// A classic pcap writer (microsecond timestamps, little-endian).
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

    /// The writer it wrote to.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// A live capture saved as it is made (`live --write FILE`): a pcapng whose interface is
/// named, through `W` (a buffered file), every write checked. The first write that fails is
/// the caller's signal to stop capturing: the file then lacks what was not written, and
/// saying "every packet was saved" would be false.
pub struct Saver<W: Write> {
    out: PcapNgWriter<W>,
    /// Packets handed to the writer without an error (some may still be in its buffer).
    pub packets: u64,
}

impl<W: Write> Saver<W> {
    /// Starts the file: the section header and the interface `name` with `link` and
    /// `snaplen`.
    pub fn new(out: W, link: LinkType, snaplen: u32, name: &str) -> io::Result<Saver<W>> {
        Ok(Saver {
            out: PcapNgWriter::with_interface(out, link, snaplen, Some(name), None)?,
            packets: 0,
        })
    }

    /// One packet, as libpcap gave it.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        self.out.packet(ts, data, orig_len)?;
        self.packets += 1;
        Ok(())
    }

    /// An Interface Statistics Block: the packets lost so far, `if_drop` by the interface
    /// and `os_drop` by the kernel's capture buffer (libpcap's `ps_ifdrop` and `ps_drop`,
    /// totals since the capture began), at `ts`; `wsclose analyze` of the file says them.
    pub fn statistics(&mut self, ts: Timestamp, if_drop: u64, os_drop: u64) -> io::Result<()> {
        self.out.statistics(0, ts, Some(if_drop), Some(os_drop))
    }

    /// Writes out what is still buffered: only then is the file whole.
    pub fn finish(&mut self) -> io::Result<()> {
        self.out.out.flush()
    }
}

/// pcapng block types.
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const ISB: u32 = 5;
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
        out: W,
        link: LinkType,
        snaplen: u32,
        tls_key_log: Option<&[u8]>,
    ) -> io::Result<PcapNgWriter<W>> {
        PcapNgWriter::with_interface(out, link, snaplen, None, tls_key_log)
    }

    /// [`PcapNgWriter::new`], the interface named `if_name` (§4.2, option 2) when given.
    pub fn with_interface(
        mut out: W,
        link: LinkType,
        snaplen: u32,
        if_name: Option<&str>,
        tls_key_log: Option<&[u8]>,
    ) -> io::Result<PcapNgWriter<W>> {
        section_header(&mut out, &[])?;
        interface_block(&mut out, link, snaplen, if_name)?;
        if let Some(text) = tls_key_log {
            secrets_block(&mut out, text)?;
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
        epb(
            &mut self.out,
            0,
            ts,
            data,
            orig_len,
            PacketOptions::default(),
            comment.as_slice(),
        )
    }

    /// An Interface Statistics Block (§4.6) for interface `iface` at `ts`, with
    /// `isb_ifdrop` (option 5) and `isb_osdrop` (option 7) when given: packets the interface
    /// and the operating system dropped, totals since the capture began.
    pub fn statistics(
        &mut self,
        iface: u32,
        ts: Timestamp,
        if_drop: Option<u64>,
        os_drop: Option<u64>,
    ) -> io::Result<()> {
        let units = u64::try_from(ts.0).unwrap_or(0);
        let mut isb = Vec::with_capacity(44);
        isb.extend_from_slice(&iface.to_le_bytes());
        isb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        isb.extend_from_slice(&(units as u32).to_le_bytes());
        for (code, value) in [(5, if_drop), (7, os_drop)] {
            if let Some(v) = value {
                option(&mut isb, code, &v.to_le_bytes());
            }
        }
        if isb.len() > 12 {
            option(&mut isb, 0, &[]);
        }
        block(&mut self.out, ISB, &isb)
    }

    /// The writer it wrote to.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// A Section Header Block (§4.1): byte-order magic, version 1.0, section length unknown
/// (-1), an `opt_comment` per comment, and `shb_userappl` (option 4) naming the writer.
fn section_header<W: Write>(out: &mut W, comments: &[&str]) -> io::Result<()> {
    let mut shb = Vec::with_capacity(48);
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    for c in comments {
        option(&mut shb, 1, cut(c, u16::MAX as usize - 3).as_bytes());
    }
    option(
        &mut shb,
        4,
        concat!("wsclose ", env!("CARGO_PKG_VERSION")).as_bytes(),
    );
    option(&mut shb, 0, &[]);
    block(out, SHB, &shb)
}

/// An Interface Description Block (§4.2): link type, reserved, snaplen, `if_name` (option
/// 2) when given, `if_tsresol` (option 9) = 9 (10^-9 s).
fn interface_block<W: Write>(
    out: &mut W,
    link: LinkType,
    snaplen: u32,
    name: Option<&str>,
) -> io::Result<()> {
    let mut idb = Vec::with_capacity(20);
    idb.extend_from_slice(&u16::try_from(link.0).unwrap_or(u16::MAX).to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&snaplen.to_le_bytes());
    if let Some(name) = name {
        option(&mut idb, 2, cut(name, u16::MAX as usize - 3).as_bytes());
    }
    option(&mut idb, 9, &[9]);
    option(&mut idb, 0, &[]);
    block(out, IDB, &idb)
}

/// An Enhanced Packet Block (§4.3) on interface `iface`, with the input's own options
/// (`kept`, see [`copy_options`]) and then an `opt_comment` (option 1: UTF-8 text, each cut
/// to an option's 16-bit length at a character) per comment.
fn epb<W: Write, S: AsRef<str>>(
    out: &mut W,
    iface: u32,
    ts: Timestamp,
    data: &[u8],
    orig_len: u32,
    kept: PacketOptions<'_>,
    comments: &[S],
) -> io::Result<()> {
    let caplen = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
    let units = u64::try_from(ts.0).unwrap_or(0);
    let mut options = Vec::new();
    copy_options(&mut options, kept);
    for text in comments {
        option(
            &mut options,
            1,
            cut(text.as_ref(), u16::MAX as usize - 3).as_bytes(),
        );
    }
    if !options.is_empty() {
        option(&mut options, 0, &[]);
    }
    let body_len = 20 + padded(data.len()) + options.len();
    let total = u32::try_from(body_len + 12)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
    let mut h = [0u8; 28];
    let fields = [
        EPB,
        total,
        iface,
        (units >> 32) as u32,
        units as u32,
        caplen,
        orig_len.max(caplen),
    ];
    for (chunk, v) in h.chunks_exact_mut(4).zip(fields) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    out.write_all(&h)?;
    out.write_all(data)?;
    let zeros = [0u8; 3];
    out.write_all(zeros.get(..padded(data.len()) - data.len()).unwrap_or(&[]))?;
    out.write_all(&options)?;
    out.write_all(&total.to_le_bytes())
}

/// Appends an Enhanced Packet Block's options as an input held them (`opt_comment` and
/// every other), written little-endian, without their end of options: a little-endian
/// section's as they are; a big-endian section's options of known layout turned around
/// (§4.3: `opt_comment` and the custom options' text as they are, the custom options' PEN,
/// `epb_flags`, `epb_dropcount`, `epb_packetid`, `epb_queue` as numbers; `epb_hash` and
/// `epb_verdict` as bytes), others left out (their byte order is unknown). The options
/// stop at the first whose length runs past the area. A comment that starts with
/// `wsclose #` (in any case), the prefix of the comments `wsclose annotate` adds, is kept
/// after `input: `, so that a filter on that prefix finds only the copy's own.
pub fn copy_options(out: &mut Vec<u8>, kept: PacketOptions<'_>) {
    let be = kept.big_endian;
    let mut rest = kept.bytes;
    let num = |b: [u8; 2]| -> u16 {
        if be {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    };
    while let (Some(&[c0, c1]), Some(&[l0, l1])) = (rest.get(0..2), rest.get(2..4)) {
        let (code, len) = (num([c0, c1]), usize::from(num([l0, l1])));
        let Some(value) = rest.get(4..4 + len) else {
            break;
        };
        rest = rest.get(4 + len.next_multiple_of(4)..).unwrap_or_default();
        if code == 0 {
            break;
        }
        if code == 1
            && value
                .get(..9)
                .is_some_and(|v| v.eq_ignore_ascii_case(b"wsclose #"))
        {
            let mut v = b"input: ".to_vec();
            v.extend_from_slice(
                value
                    .get(..value.len().min(usize::from(u16::MAX) - 7))
                    .unwrap_or(value),
            );
            option(out, code, &v);
            continue;
        }
        if !be {
            option(out, code, value);
            continue;
        }
        let mut v = value.to_vec();
        let turned = match code {
            // opt_comment, epb_hash, epb_verdict: text and bytes.
            1 | 3 | 7 => true,
            // epb_flags, epb_queue: 32 bits; epb_dropcount, epb_packetid: 64 bits.
            2 | 6 if v.len() == 4 => {
                v.reverse();
                true
            }
            4 | 5 if v.len() == 8 => {
                v.reverse();
                true
            }
            // Custom options: a 32-bit PEN, then the data as it is.
            2988 | 2989 | 19372 | 19373 if v.len() >= 4 => {
                if let Some(pen) = v.get_mut(..4) {
                    pen.reverse();
                }
                true
            }
            _ => false,
        };
        if turned {
            option(out, code, &v);
        }
    }
}

/// A pcapng of one section (nanosecond times) whose interfaces are added as the packets
/// name them, each of its own link type and name, with comments on the section header
/// (§4.1, `opt_comment`) and on packets (`wsclose annotate`), and TLS secrets in a
/// Decryption Secrets Block before the first packet when given.
pub struct NotedWriter<W: Write> {
    out: W,
    interfaces: u32,
    secrets: Option<Vec<u8>>,
}

impl<W: Write> NotedWriter<W> {
    /// Writes the section header with `comments` (each its own option).
    pub fn new(
        mut out: W,
        comments: &[&str],
        tls_key_log: Option<&[u8]>,
    ) -> io::Result<NotedWriter<W>> {
        section_header(&mut out, comments)?;
        Ok(NotedWriter {
            out,
            interfaces: 0,
            secrets: tls_key_log.map(<[u8]>::to_vec),
        })
    }

    /// Adds an interface (§4.2: link type, snaplen, `if_name` when given, nanosecond
    /// `if_tsresol`); returns its ID for [`NotedWriter::packet`].
    pub fn interface(
        &mut self,
        link: LinkType,
        snaplen: u32,
        name: Option<&str>,
    ) -> io::Result<u32> {
        interface_block(&mut self.out, link, snaplen, name)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// One packet on interface `iface`, with the input's own options (`kept`, see
    /// [`copy_options`]) and then a comment option per comment.
    pub fn packet<S: AsRef<str>>(
        &mut self,
        iface: u32,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
        kept: PacketOptions<'_>,
        comments: &[S],
    ) -> io::Result<()> {
        if let Some(text) = self.secrets.take() {
            secrets_block(&mut self.out, &text)?;
        }
        epb(&mut self.out, iface, ts, data, orig_len, kept, comments)
    }

    /// A whole block as an input held it (little-endian, its lengths checked by the
    /// caller), with its interface ID (bytes 8 to 12: an Interface Statistics Block's) set
    /// to `iface` when given.
    pub fn raw_block(&mut self, bytes: &[u8], iface: Option<u32>) -> io::Result<()> {
        match (iface, bytes.get(..8), bytes.get(12..)) {
            (Some(id), Some(head), Some(rest)) => {
                self.out.write_all(head)?;
                self.out.write_all(&id.to_le_bytes())?;
                self.out.write_all(rest)
            }
            _ => self.out.write_all(bytes),
        }
    }

    /// The writer it wrote to (the secrets, if no packet came, written first).
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(text) = self.secrets.take() {
            secrets_block(&mut self.out, &text)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A Decryption Secrets Block holding an NSS key-log text.
fn secrets_block<W: Write>(out: &mut W, text: &[u8]) -> io::Result<()> {
    let len = u32::try_from(text.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "key log too large"))?;
    let mut dsb = Vec::with_capacity(text.len() + 12);
    dsb.extend_from_slice(&SECRETS_TLS_KEY_LOG.to_le_bytes());
    dsb.extend_from_slice(&len.to_le_bytes());
    dsb.extend_from_slice(text);
    pad(&mut dsb);
    block(out, DSB, &dsb)
}

/// Adds a Decryption Secrets Block holding `tls_key_log` to the pcapng file at `path`, a
/// live capture's that this process wrote: after its section header and interface
/// blocks, before its first packet (where tools read secrets from, wsclose included).
/// The file is written anew beside it (a new file that replaces no other, readable by its
/// owner only: it holds secrets) and renamed over `path`; on any error `path` is left as it
/// was. Only a regular pcapng file of one section is rewritten.
pub fn insert_secrets(path: &Path, tls_key_log: &[u8]) -> io::Result<()> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Err(invalid("not a regular file"));
    }
    let mut input = io::BufReader::new(std::fs::File::open(path)?);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        // The leading blocks (section header, interfaces) as they are, then the secrets,
        // then the rest from the first other block on.
        let mut first = true;
        let mut next = None;
        loop {
            let mut head = [0u8; 8];
            match input.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !first => break,
                Err(e) => return Err(e),
            }
            let kind = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
            if (first && kind != SHB) || len < 12 || len % 4 != 0 {
                return Err(invalid("not a pcapng file as wsclose writes it"));
            }
            if !first && kind != IDB {
                next = Some(head);
                break;
            }
            first = false;
            out.write_all(&head)?;
            if io::copy(&mut (&mut input).take(len - 8), &mut out)? != len - 8 {
                return Err(invalid("a block is cut short"));
            }
        }
        secrets_block(&mut out, tls_key_log)?;
        if let Some(head) = next {
            out.write_all(&head)?;
        }
        io::copy(&mut input, &mut out)?;
        out.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
        let mut s =
            Saver::new(io::BufWriter::new(full(header)), LinkType::RAW, 65535, "lo").unwrap();
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
        let mut s =
            Saver::new(io::BufWriter::new(file), LinkType::ETHERNET, 262_144, "lo").unwrap();
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
}
