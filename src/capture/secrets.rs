//! TLS secrets carried inside a pcapng file: its Decryption Secrets Blocks (pcapng draft,
//! §4.7), as `editcap --inject-secrets tls,keys.log` and Wireshark's "Inject TLS secrets"
//! write them.
//!
//! In: a capture path (pcapng, gzip-compressed or not; classic pcap carries none, and
//! standard input or a pipe is not read here). Out: the key-log texts (NSS format, secrets
//! type `TLSK`) of the blocks that come before the file's first packet, where those tools
//! put them, in file order.
//! Reading stops at the first packet block, so the cost is a few blocks whatever the
//! file's size; a block of another secrets type (WireGuard) is skipped. The texts are
//! handed to the key log and never printed.

use super::file::{framed_block, takes_frame_number};
use pcap_parser::pcapng::{Block, SecretsType};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, PcapNGReader};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// A leading block larger than this is not read (the reader's buffer grows up to it).
const MAX_BLOCK: usize = 16 << 20;

/// At most this many leading blocks are examined before the first packet.
const MAX_LEADING_BLOCKS: usize = 4096;

/// The TLS key-log texts of the Decryption Secrets Blocks before `path`'s first packet;
/// empty for anything that is not a readable pcapng file (the capture reader says why), and
/// for a stream (standard input, a pipe), which is read once, by the capture reader.
pub fn leading_tls_secrets(path: &Path) -> Vec<Vec<u8>> {
    if crate::capture::file::is_stream(path) {
        return Vec::new();
    }
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    let mut magic = [0u8; 2];
    let gz = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    if gz {
        secrets_of(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        secrets_of(file)
    }
}

/// [`leading_tls_secrets`] of an open stream.
fn secrets_of<R: Read>(input: R) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Ok(mut reader) = PcapNGReader::new(1 << 16, input) else {
        return out;
    };
    let mut size = 1 << 16;
    let mut blocks = 0;
    let mut big_endian = false;
    /// What to do about a block pcap-parser refused.
    enum Refused {
        Refill,
        Grow,
        Stop,
    }
    while blocks < MAX_LEADING_BLOCKS {
        let refused = match reader.next() {
            Ok((offset, block)) => {
                blocks += 1;
                let done = match block {
                    PcapBlockOwned::NG(Block::DecryptionSecrets(dsb)) => {
                        if dsb.secrets_type == SecretsType::TlsKeyLog {
                            let len = usize::try_from(dsb.secrets_len).unwrap_or(usize::MAX);
                            out.push(dsb.data.get(..len).unwrap_or(dsb.data).to_vec());
                        }
                        false
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                        big_endian = shb.big_endian();
                        false
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(_) | Block::SimplePacket(_)) => true,
                    PcapBlockOwned::Legacy(_) | PcapBlockOwned::LegacyHeader(_) => true,
                    PcapBlockOwned::NG(_) => false,
                };
                reader.consume(offset);
                if done {
                    break;
                }
                continue;
            }
            Err(PcapError::Incomplete(_)) => Refused::Refill,
            Err(PcapError::BufferTooSmall) => Refused::Grow,
            Err(_) => Refused::Stop,
        };
        // A whole, well-framed block that does not parse (a length inside it runs past its
        // end) is skipped, as the capture reader skips it; a packet block ends the leading
        // blocks all the same.
        if let Some((kind, len)) = framed_block(reader.data(), big_endian) {
            if takes_frame_number(kind) {
                break;
            }
            blocks += 1;
            reader.consume(len);
            continue;
        }
        match refused {
            Refused::Refill => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Refused::Grow => {
                size *= 4;
                if size > MAX_BLOCK || !reader.grow(size) {
                    break;
                }
            }
            Refused::Stop => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian pcapng: section header, interface, a TLSK secrets block and one
    /// packet block, then another secrets block that must not be read.
    fn pcapng(secrets: &[u8]) -> Vec<u8> {
        fn block(kind: u32, body: &[u8]) -> Vec<u8> {
            let len = (12 + body.len()) as u32;
            let mut b = kind.to_le_bytes().to_vec();
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(body);
            b.extend_from_slice(&len.to_le_bytes());
            b
        }
        fn dsb(secrets: &[u8]) -> Vec<u8> {
            let mut body = 0x544c_534bu32.to_le_bytes().to_vec();
            body.extend_from_slice(&(secrets.len() as u32).to_le_bytes());
            body.extend_from_slice(secrets);
            while !body.len().is_multiple_of(4) {
                body.push(0);
            }
            block(0x0000_000A, &body)
        }
        let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        let mut idb = 1u16.to_le_bytes().to_vec(); // Ethernet
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        let mut epb = Vec::new();
        for v in [0u32, 0, 0, 4, 4] {
            epb.extend_from_slice(&v.to_le_bytes());
        }
        epb.extend_from_slice(&[1, 2, 3, 4]);
        let mut f = block(0x0A0D_0D0A, &shb);
        f.extend(block(1, &idb));
        f.extend(dsb(secrets));
        f.extend(block(6, &epb));
        f.extend(dsb(b"CLIENT_RANDOM late"));
        f
    }

    #[test]
    fn reads_the_secrets_before_the_first_packet_only() {
        let text = b"CLIENT_RANDOM 00 11\n";
        let got = secrets_of(&pcapng(text)[..]);
        assert_eq!(got, vec![text.to_vec()]);
    }

    /// A leading Decryption Secrets Block whose secrets length runs past its end is
    /// skipped: the good one after it is still read (and nothing after the first packet).
    #[test]
    fn a_damaged_secrets_block_is_skipped() {
        let text = b"CLIENT_RANDOM 00 11\n";
        let mut file = pcapng(text);
        // After the section header (28 bytes) and the interface (20): 4 bytes of secrets
        // in a block that says 1000.
        let mut bad = 0x0000_000Au32.to_le_bytes().to_vec();
        bad.extend_from_slice(&24u32.to_le_bytes());
        bad.extend_from_slice(&0x544c_534bu32.to_le_bytes());
        bad.extend_from_slice(&1000u32.to_le_bytes());
        bad.extend_from_slice(b"junk");
        bad.extend_from_slice(&24u32.to_le_bytes());
        file.splice(48..48, bad);
        assert_eq!(secrets_of(&file[..]), vec![text.to_vec()]);
    }

    #[test]
    fn a_classic_pcap_or_garbage_has_none() {
        assert!(secrets_of(&[0xd4u8, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0][..]).is_empty());
        assert!(secrets_of(&b"not a capture at all"[..]).is_empty());
        assert!(secrets_of(&[][..]).is_empty());
    }
}
