//! The client randoms of a capture's ClientHellos, read before the key logs so that only
//! those connections' secrets are kept: a browser's key log holds every connection it
//! ever made (gigabytes after weeks), a capture a few of them.
//!
//! In: capture paths, and the threads that may read a large uncompressed one (its chunks
//! shared, each thread scanning the flows of its shard, as the analysis reads it). Out:
//! the 32-byte client random (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) of every TCP direction
//! whose bytes start like a ClientHello — record type 22, version 3.x, two length bytes
//! (RFC 8446 §5.1), handshake type 1, three length bytes, the client version, then the
//! random: stream bytes 11 to 43, as the TLS layer reads them from a connection's first
//! bytes. A direction whose first segment is shorter is put together from its next
//! segments, in sequence order. Or `None` when an input cannot be read twice (standard
//! input, a pipe, a device): then every secret is kept.
//!
//! A random taken in excess costs its secrets' memory only; a random missed leaves its
//! connection undecrypted, so every segment that starts like a ClientHello counts.

use crate::capture::file::{read_shared, ShardSink};
use crate::capture::shared::Plain;
use crate::capture::shared::SharedFile;
use crate::capture::Packet;
use crate::decode::{Segment, Shards, MAX_GROUPS};
use crate::stack::tls::keylog::{ClientRandom, RANDOM_LEN};
use crate::vocab::{Endpoint, Timestamp};
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};

/// Stream bytes up to the end of the client random: record header (5), handshake header
/// (4), client version (2), random (32).
const HEAD: usize = 5 + 4 + 2 + RANDOM_LEN;
const RANDOM_AT: usize = HEAD - RANDOM_LEN;

/// Directions whose ClientHello start is being put together, at most (a capture of
/// unfinished one-byte starts cannot grow the table without end; past it, a ClientHello
/// cut that small is missed).
const MAX_PENDING: usize = 4096;

/// The client randoms of every ClientHello in `inputs` (rotated files: read in turn, a
/// direction's start carried from one to the next), or `None` if there are none or one of
/// them is standard input or not a regular file. An input that cannot be read adds nothing
/// (the analysis says why). A large uncompressed file is read by `threads` threads, as the
/// analysis reads it (its chunks shared, each thread taking the flows of its shard).
/// Its chunks share the part of `max_memory` the analysis's chunks would (`memory::read_room`).
pub(super) fn of_captures(
    inputs: &[PathBuf],
    threads: usize,
    max_memory: usize,
) -> Option<FxHashSet<ClientRandom>> {
    if inputs.is_empty() {
        return None;
    }
    let mut scan = Scan::default();
    for path in inputs {
        if path.as_os_str() == "-" {
            return None;
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return None,
            Err(_) => continue,
        }
        let shared = (threads > 1 && crate::capture::file::shardable(path).is_some())
            .then(|| {
                let shards = Shards::new(MAX_GROUPS, threads as u64);
                let room = crate::memory::read_room(max_memory);
                let chunk = crate::capture::shared::chunk_for(threads, room);
                SharedFile::open_sized(path, shards, None, chunk).map(|f| (f, shards))
            })
            .flatten();
        match shared {
            Some((file, shards)) => scan.shared(path, &file, shards),
            None => {
                let _ = crate::capture::file::read(path, &mut |pkt| {
                    if let Ok(seg) = crate::decode::decode(pkt) {
                        scan.segment(&seg);
                    }
                });
            }
        }
    }
    Some(scan.found)
}

/// One reader's part of a shared file's scan: the flows of shard `me`.
struct Part {
    scan: Scan,
    shards: Shards,
    me: u64,
}

impl ShardSink for Part {
    fn packet(&mut self, p: &Packet<'_>) {
        // Every reader is handed this packet: it scans the segment if its flow is its own.
        if let Ok(seg) = crate::decode::decode(p) {
            if self.shards.owner(&seg.src, &seg.dst) == self.me {
                self.scan.segment(&seg);
            }
        }
    }

    fn plain(&mut self, p: &Packet<'_>, plain: Plain) {
        if let Some(seg) = crate::decode::decode_plain(p, plain) {
            self.scan.segment(&seg);
        }
    }

    fn elsewhere(&mut self, _: Timestamp) {}

    fn passed(&mut self, _: Timestamp) {}

    fn elsewhere_run(&mut self, _: crate::capture::shared::Run<'_>, _: Timestamp) {}
}

/// The first bytes of a direction that started like a ClientHello in fewer than
/// [`HEAD`] bytes.
struct Start {
    /// The sequence number of its first byte.
    seq: u32,
    bytes: [u8; HEAD],
    /// How many of `bytes` are known (from `seq` on, without a hole).
    len: usize,
}

#[derive(Default)]
struct Scan {
    found: FxHashSet<ClientRandom>,
    pending: FxHashMap<(Endpoint, Endpoint), Start>,
}

impl Scan {
    /// Scans `file` with a thread per shard of `shards`, each taking the directions still
    /// pending from an earlier file that are its own, then gathers what they found.
    fn shared(&mut self, path: &Path, file: &SharedFile, shards: Shards) {
        let mut parts: Vec<Part> = (0..shards.count())
            .map(|me| Part {
                scan: Scan::default(),
                shards,
                me,
            })
            .collect();
        for (key, start) in self.pending.drain() {
            let owner = shards.owner(&key.0, &key.1) as usize;
            if let Some(part) = parts.get_mut(owner) {
                part.scan.pending.insert(key, start);
            }
        }
        std::thread::scope(|s| {
            let mut rest = parts.iter_mut().enumerate();
            let first = rest.next();
            for (k, part) in rest {
                let spawned = std::thread::Builder::new().spawn_scoped(s, move || {
                    let _ = read_shared(path, file, k, part, None);
                });
                // A thread that cannot be made reads nothing: the others must not wait for
                // it (its flows' randoms are missed, their connections left undecrypted).
                if spawned.is_err() {
                    file.leave(k);
                }
            }
            if let Some((_, part)) = first {
                let _ = read_shared(path, file, 0, part, None);
            }
        });
        for part in parts {
            self.found.extend(part.scan.found);
            self.pending.extend(part.scan.pending);
        }
    }

    fn segment(&mut self, seg: &Segment<'_>) {
        let p = seg.payload;
        let pending = !self.pending.is_empty() && self.extend(seg);
        if p.len() >= HEAD {
            if crate::stack::tls::looks_like_client_hello(p) {
                self.take(p);
            }
        } else if !pending
            && !p.is_empty()
            && starts_like_client_hello(p)
            && self.pending.len() < MAX_PENDING
        {
            let mut bytes = [0; HEAD];
            if let Some(to) = bytes.get_mut(..p.len()) {
                to.copy_from_slice(p);
            }
            self.pending.insert(
                (seg.src, seg.dst),
                Start {
                    seq: seg.seq,
                    bytes,
                    len: p.len(),
                },
            );
        }
    }

    /// Adds `seg`'s bytes to its direction's start, if one is pending (then `true`); a
    /// complete start is taken (if it is a ClientHello's) and forgotten, as is one whose
    /// direction ended.
    fn extend(&mut self, seg: &Segment<'_>) -> bool {
        let key = (seg.src, seg.dst);
        let Some(start) = self.pending.get_mut(&key) else {
            return false;
        };
        let at = seg.seq.wrapping_sub(start.seq) as usize;
        if at <= start.len {
            let new = seg.payload.get(start.len - at..).unwrap_or_default();
            let n = new.len().min(HEAD - start.len);
            if let (Some(to), Some(from)) =
                (start.bytes.get_mut(start.len..start.len + n), new.get(..n))
            {
                to.copy_from_slice(from);
                start.len += n;
            }
        }
        if start.len == HEAD {
            let bytes = start.bytes;
            self.pending.remove(&key);
            if crate::stack::tls::looks_like_client_hello(&bytes) {
                self.take(&bytes);
            }
        } else if seg.fin || seg.rst {
            self.pending.remove(&key);
        }
        true
    }

    fn take(&mut self, head: &[u8]) {
        if let Some(r) = head
            .get(RANDOM_AT..HEAD)
            .and_then(|r| ClientRandom::try_from(r).ok())
        {
            self.found.insert(r);
        }
    }
}

/// Whether `p`, shorter than [`HEAD`], may be the start of a ClientHello (as far as it
/// goes).
fn starts_like_client_hello(p: &[u8]) -> bool {
    p.iter().enumerate().take(6).all(|(i, &b)| match i {
        0 => b == 0x16,
        1 => b == 0x03,
        2 => b <= 0x04,
        5 => b == 0x01,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Timestamp;
    use std::net::{IpAddr, Ipv4Addr};

    fn hello(random: u8) -> Vec<u8> {
        let mut ch = vec![
            0x16, 0x03, 0x01, 0x00, 0x60, 0x01, 0x00, 0x00, 0x5c, 0x03, 0x03,
        ];
        ch.extend_from_slice(&[random; RANDOM_LEN]);
        ch.extend_from_slice(&[0; 20]);
        ch
    }

    fn seg(seq: u32, payload: &[u8]) -> Segment<'_> {
        Segment {
            src: Endpoint::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40000),
            dst: Endpoint::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 443),
            seq,
            ack_flag: true,
            ..Segment::test(payload)
        }
    }

    #[test]
    fn a_whole_client_hello_start_gives_its_random() {
        let mut s = Scan::default();
        s.segment(&seg(1, &hello(7)));
        s.segment(&seg(
            1,
            b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n1234567890",
        ));
        assert_eq!(s.found.into_iter().collect::<Vec<_>>(), vec![[7; 32]]);
    }

    /// A ClientHello cut into segments of one to twelve bytes (retransmitted pieces among
    /// them) is put together in sequence order.
    #[test]
    fn a_client_hello_in_small_pieces_is_put_together() {
        let ch = hello(0x16); // bytes of the random that look like a start
        for size in 1..=12 {
            let mut s = Scan::default();
            let mut at = 0;
            while at < ch.len() {
                let end = (at + size).min(ch.len());
                s.segment(&seg(1000 + at as u32, &ch[at..end]));
                // The piece before again: a retransmission adds nothing.
                let back = at.saturating_sub(size);
                s.segment(&seg(1000 + back as u32, &ch[back..at.max(back)]));
                at = end;
            }
            assert_eq!(s.found.len(), 1, "pieces of {size}");
            assert!(s.found.contains(&[0x16; 32]), "pieces of {size}");
        }
    }

    /// Packets of 600 TLS connections (a ClientHello each, one in five cut into three
    /// segments, with another connection's packets between them) and data that is none,
    /// written as two rotated files cut where some ClientHellos are half read: read by one
    /// thread or shared by three or eight, the same randoms, every one of them.
    #[test]
    fn a_shared_scan_finds_what_one_reader_finds() {
        use crate::capture::write::PcapWriter;
        use crate::vocab::LinkType;
        let packet = |i: u32, seq: u32, payload: &[u8]| {
            let mut out = Vec::new();
            etherparse::PacketBuilder::ethernet2([2; 6], [4; 6])
                .ipv4([10, 0, (i >> 8) as u8, i as u8], [10, 1, 0, 1], 64)
                .tcp(40000 + (i % 20000) as u16, 443, seq, 65535)
                .write(&mut out, payload)
                .expect("a packet");
            out
        };
        let mut packets = Vec::new();
        for i in 0..600u32 {
            let ch = hello((i % 250) as u8);
            let mut ch = ch;
            // Each its own random: the last four bytes of it.
            ch[RANDOM_AT + 28..HEAD].copy_from_slice(&i.to_be_bytes());
            if i % 5 == 0 {
                packets.push(packet(i, 1, &ch[..4]));
                packets.push(packet(i + 1000, 1, b"GET / HTTP/1.1\r\n\r\n"));
                packets.push(packet(i, 5, &ch[4..20]));
                packets.push(packet(i, 21, &ch[20..]));
            } else {
                packets.push(packet(i, 1, &ch));
            }
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cut = packets.len() / 2 + 1;
        let files: Vec<PathBuf> = [&packets[..cut], &packets[cut..]]
            .iter()
            .enumerate()
            .map(|(k, part)| {
                let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
                for (n, p) in part.iter().enumerate() {
                    let ts = Timestamp::from_parts(1_000 + (k * 10_000 + n) as i64, 0);
                    w.packet(ts, p, p.len() as u32).unwrap();
                }
                let path = dir.path().join(format!("part{k}.pcap"));
                std::fs::write(&path, w.into_inner()).unwrap();
                path
            })
            .collect();
        let want: FxHashSet<ClientRandom> = (0..600u32)
            .map(|i| {
                let mut r = [(i % 250) as u8; RANDOM_LEN];
                r[28..].copy_from_slice(&i.to_be_bytes());
                r
            })
            .collect();
        for threads in [1, 3, 8] {
            let found =
                of_captures(&files, threads, crate::memory::MIN_MAX_MEMORY).expect("regular files");
            assert_eq!(found.len(), want.len(), "{threads} threads");
            assert!(found == want, "{threads} threads");
        }
    }

    #[test]
    fn what_is_not_a_client_hello_gives_nothing() {
        let mut s = Scan::default();
        let mut not = hello(1);
        not[5] = 0x02; // a ServerHello
        s.segment(&seg(1, &not));
        s.segment(&seg(1, &[0x16, 0x03]));
        s.segment(&seg(3, &[0x01, 0x00, 0x10, 0x02])); // a ServerHello again, in pieces
        s.segment(&seg(7, &[0; 40]));
        s.segment(&seg(50, b"\x16")); // starts like one, then the direction ends
        let mut fin = seg(51, b"");
        fin.fin = true;
        s.segment(&fin);
        assert!(s.found.is_empty());
        assert!(s.pending.is_empty());
    }
}
