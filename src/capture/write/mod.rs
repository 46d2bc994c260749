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

mod pcap;
mod secrets;

use super::PacketOptions;
use crate::sanitize::cut;
use crate::vocab::{LinkType, Timestamp};
pub use pcap::PcapWriter;
pub use secrets::insert_secrets;
use secrets::secrets_block;
use std::io::{self, Read, Write};
use std::path::Path;

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
/// stop at the first whose length runs past the area. A comment is escaped as wire text is
/// (`sanitize::terminal`: format and control characters written as `\u{200b}`, invalid
/// UTF-8 as U+FFFD); one that then reads as wsclose's prefix (`wsclose #`, in any case,
/// behind spaces or escapes, with any space before the `#`: [`passes_for_ours`]) is kept
/// after `input: `, so that neither a filter on that prefix nor a reader of the packet list
/// takes it for the copy's own.
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
        if code == 1 {
            let text = String::from_utf8_lossy(value);
            let safe = crate::sanitize::terminal(&text);
            let marked = if passes_for_ours(&safe) {
                format!("input: {safe}")
            } else {
                safe.into_owned()
            };
            // An option's length is 16 bits: cut at a character.
            let cut = crate::sanitize::cut(&marked, usize::from(u16::MAX));
            option(out, code, cut.as_bytes());
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

/// Whether an input's comment, escaped, reads as the prefix of wsclose's own comments
/// (`wsclose #`, in any case): after any white space (the no-break spaces too) and escapes
/// (`\u{200b}`, `\x1b`, `\n`) that stand before it, and with any white space or none
/// between `wsclose` and the `#` (a no-break space where a space should be; a full-width
/// `＃`).
pub fn passes_for_ours(escaped: &str) -> bool {
    let mut rest = escaped.trim_start();
    loop {
        rest = if let Some(after) = rest.strip_prefix("\\u{") {
            after.split_once('}').map_or("", |(_, r)| r)
        } else if let Some(after) = rest.strip_prefix("\\x") {
            after.get(2..).unwrap_or_default()
        } else if let Some(after) = ["\\n", "\\r", "\\t"]
            .iter()
            .find_map(|e| rest.strip_prefix(e))
        {
            after
        } else {
            break;
        }
        .trim_start();
    }
    rest.get(..7)
        .is_some_and(|w| w.eq_ignore_ascii_case("wsclose"))
        && rest
            .get(7..)
            .unwrap_or_default()
            .trim_start()
            .starts_with(['#', '\u{ff03}', '\u{fe5f}'])
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
mod tests;
