//! Writing classic pcap files (microsecond, little-endian), for tests that build captures
//! in code, for synthetic benchmark captures, and for extracting connections.
//!
//! In: packets (link type fixed per file, timestamp, bytes, original length). Out: a pcap
//! stream any tool reads (tcpdump, Wireshark, wsclose itself).

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
}
