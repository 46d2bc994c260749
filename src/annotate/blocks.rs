//! A pcapng input's blocks that carry no packet, for the annotated copy to keep beside its
//! packets (draft-ietf-opsawg-pcapng §4.5 Name Resolution, §4.6 Interface Statistics,
//! §4.8 Custom Blocks that may be copied).
//!
//! In: an input's bytes (decompressed), read once more, block by block. Out: the blocks
//! kept, each with the number of frames before it (Enhanced, Simple and obsolete Packet
//! Blocks and the blocks Wireshark numbers as frames: `capture::file::takes_frame_number`),
//! so that the copy writes it where it stood; an Interface Statistics Block with its
//! interface as the file numbers interfaces (across sections), to be written with the
//! copy's own ID. Only little-endian sections' blocks are kept (the copy is little-endian,
//! and these blocks' fields cannot be turned around without knowing them all); Decryption
//! Secrets Blocks never (`--with-secrets` writes the commented connections' secrets), nor
//! Custom Blocks marked not to be copied (0x40000BAD), nor any block once those kept reach
//! `limit` bytes: what is left out is counted.

use crate::capture::file::takes_frame_number;
use std::io::{self, Read};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const NRB: u32 = 4;
const ISB: u32 = 5;
const DSB: u32 = 0x0000_000A;
const CUSTOM_COPY: u32 = 0x0000_0BAD;
/// The largest block read; a longer one ends the walk (the reader says why).
const MAX_BLOCK: u32 = 16 << 20;

/// A block to write beside the packets.
#[derive(Debug, PartialEq, Eq)]
pub struct Extra {
    /// Frames of the input before it.
    pub after: u64,
    /// The whole block, little-endian, as the input held it.
    pub bytes: Vec<u8>,
    /// An Interface Statistics Block's interface: its Interface Description Block's place
    /// in the file (`capture::Interface::number`).
    pub interface: Option<u32>,
}

/// The blocks kept and the number left out.
#[derive(Debug, Default)]
pub struct Extras {
    pub kept: Vec<Extra>,
    pub left_out: u64,
}

/// The blocks of `input` to keep, at most `limit` bytes of them. A classic pcap, a damaged
/// or cut-short pcapng ends the walk with what was found (the copy of its packets says the
/// rest).
pub fn extras(mut input: impl Read, limit: usize) -> io::Result<Extras> {
    let mut out = Extras::default();
    let mut held = 0usize;
    let mut frames = 0u64;
    let mut big_endian = false;
    // The file-wide number of each interface of the current section, by its ID.
    let mut section: Vec<u32> = Vec::new();
    let mut described = 0u32;
    let mut first = true;
    loop {
        let mut head = [0u8; 8];
        match input.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(out),
            Err(e) => return Err(e),
        }
        let word = |b: [u8; 4], be: bool| {
            if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let kind_raw = [head[0], head[1], head[2], head[3]];
        let is_shb = u32::from_le_bytes(kind_raw) == SHB;
        if first && !is_shb {
            return Ok(out);
        }
        first = false;
        let body_len = [head[4], head[5], head[6], head[7]];
        if is_shb {
            // The byte order is the section header's own: its magic follows the length.
            let mut magic = [0u8; 4];
            if input.read_exact(&mut magic).is_err() {
                return Ok(out);
            }
            big_endian = u32::from_be_bytes(magic) == 0x1A2B_3C4D;
            section.clear();
            let len = word(body_len, big_endian);
            if !(28..=MAX_BLOCK).contains(&len) || len % 4 != 0 {
                return Ok(out);
            }
            if skip(&mut input, u64::from(len) - 12).is_err() {
                return Ok(out);
            }
            continue;
        }
        let kind = word(kind_raw, big_endian);
        let len = word(body_len, big_endian);
        if !(12..=MAX_BLOCK).contains(&len) || len % 4 != 0 {
            return Ok(out);
        }
        let wanted = !big_endian && matches!(kind, NRB | ISB | CUSTOM_COPY);
        if kind == IDB {
            section.push(described);
            described += 1;
        }
        if takes_frame_number(kind) {
            frames += 1;
        }
        if !wanted {
            if kind == DSB || kind == NRB || kind == ISB || kind == 0x4000_0BAD {
                out.left_out += 1;
            }
            if skip(&mut input, u64::from(len) - 8).is_err() {
                return Ok(out);
            }
            continue;
        }
        if held + len as usize > limit {
            out.left_out += 1;
            if skip(&mut input, u64::from(len) - 8).is_err() {
                return Ok(out);
            }
            continue;
        }
        let mut bytes = Vec::with_capacity(len as usize);
        bytes.extend_from_slice(&head);
        if (&mut input)
            .take(u64::from(len) - 8)
            .read_to_end(&mut bytes)
            .is_err()
            || bytes.len() != len as usize
        {
            return Ok(out);
        }
        let interface = match kind {
            ISB => {
                let id = bytes.get(8..12).and_then(|b| <[u8; 4]>::try_from(b).ok());
                match id.and_then(|b| section.get(u32::from_le_bytes(b) as usize)) {
                    Some(&n) => Some(n),
                    None => {
                        out.left_out += 1;
                        continue;
                    }
                }
            }
            _ => None,
        };
        // A custom block is a frame itself: it stands before its own number.
        let after = if kind == CUSTOM_COPY {
            frames - 1
        } else {
            frames
        };
        held += bytes.len();
        out.kept.push(Extra {
            after,
            bytes,
            interface,
        });
    }
}

/// Reads and drops `n` bytes.
fn skip(input: &mut impl Read, n: u64) -> io::Result<()> {
    let got = io::copy(&mut input.take(n), &mut io::sink())?;
    if got == n {
        Ok(())
    } else {
        Err(io::ErrorKind::UnexpectedEof.into())
    }
}
