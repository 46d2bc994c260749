//! The comments of an annotated copy, sorted by packet within a bounded memory: made
//! connection by connection, handed back in the order the copy passes the packets.
//!
//! In: comments, each with its run and packet number, in the order they are made (by
//! connection). Out: each packet's comments in that same order, packet after packet
//! ([`Merge::take`]). At most `limit` bytes of comments are held while they are made: each
//! time that many have gathered they are sorted (stably) and written, as one chunk, to an
//! anonymous temporary file (`scratch`); the copy then merges the chunks, reading each a
//! few KiB at a time, ties going to the earlier chunk, so the order is that of an in-memory
//! sort. No RFC applies.

use crate::scratch::Scratch;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;

/// One comment: its run (input group), its packet, its text.
#[derive(Debug)]
struct Entry {
    run: u64,
    packet: u64,
    text: String,
}

/// Bytes an entry is charged: its text, its numbers and the string and vector around it.
fn cost(text: &str) -> usize {
    text.len() + 48
}

/// How much of a chunk a reader of it holds at once: at most this, and together no more
/// than the comments' share of memory (at least 1 KiB each: a comment is at most 239
/// bytes, and a longer one is read whole).
const READ: usize = 16 << 10;

/// Comments gathered, the oldest already sorted into chunks of the temporary file.
#[derive(Debug)]
pub struct Sorted {
    held: Vec<Entry>,
    bytes: usize,
    limit: usize,
    scratch: Option<Scratch>,
    /// Each chunk's place in the scratch file (offset, length).
    chunks: Vec<(u64, u32)>,
}

impl Sorted {
    /// Holds at most `limit` bytes of comments (at least 64 KiB) before writing them out.
    pub fn new(limit: usize) -> Sorted {
        Sorted {
            held: Vec::new(),
            bytes: 0,
            limit: limit.max(64 << 10),
            scratch: None,
            chunks: Vec::new(),
        }
    }

    /// A comment on packet `packet` of run `run`.
    pub fn push(&mut self, run: usize, packet: u64, text: String) -> io::Result<()> {
        self.bytes += cost(&text);
        self.held.push(Entry {
            run: run as u64,
            packet,
            text,
        });
        if self.bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// The held comments, sorted, as a chunk of the temporary file.
    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_by_key(|e| (e.run, e.packet));
        let scratch = match &mut self.scratch {
            Some(s) => s,
            None => self.scratch.insert(Scratch::new(1 << 20)?.0),
        };
        let held = std::mem::take(&mut self.held);
        let place = scratch
            .append(|buf| {
                for e in &held {
                    buf.extend_from_slice(&e.run.to_le_bytes());
                    buf.extend_from_slice(&e.packet.to_le_bytes());
                    buf.extend_from_slice(&(e.text.len() as u32).to_le_bytes());
                    buf.extend_from_slice(e.text.as_bytes());
                }
            })
            .ok_or_else(|| io::Error::other("a chunk of comments of 4 GiB or more"))?;
        scratch.flush()?;
        self.chunks.push(place);
        self.bytes = 0;
        Ok(())
    }

    /// The comments, to be taken packet by packet.
    pub fn into_merge(mut self) -> io::Result<Merge> {
        self.held.sort_by_key(|e| (e.run, e.packet));
        let mut sources: Vec<Source> = self
            .chunks
            .iter()
            .map(|&(at, len)| Source::Chunk {
                at,
                end: at + u64::from(len),
                buf: Vec::new(),
                pos: 0,
            })
            .collect();
        sources.push(Source::Held(std::mem::take(&mut self.held).into_iter()));
        let read = (self.limit / sources.len().max(1)).clamp(1 << 10, READ);
        let mut m = Merge {
            read,
            scratch: self.scratch,
            heads: Vec::with_capacity(sources.len()),
            sources,
            heap: BinaryHeap::new(),
        };
        for i in 0..m.sources.len() {
            let head = m.next_of(i)?;
            if let Some(e) = &head {
                m.heap.push(Reverse((e.run, e.packet, i)));
            }
            m.heads.push(head);
        }
        Ok(m)
    }
}

/// Where a chunk's comments come from.
#[derive(Debug)]
enum Source {
    /// A chunk of the temporary file: the part not yet read starts at `at`; `buf[pos..]`
    /// holds bytes read but not yet taken.
    Chunk {
        at: u64,
        end: u64,
        buf: Vec<u8>,
        pos: usize,
    },
    /// The last comments, never written out.
    Held(std::vec::IntoIter<Entry>),
}

/// The sorted chunks, merged.
#[derive(Debug)]
pub struct Merge {
    /// Bytes each chunk's reader takes at a time.
    read: usize,
    scratch: Option<Scratch>,
    sources: Vec<Source>,
    /// Each source's next comment.
    heads: Vec<Option<Entry>>,
    /// The sources with a next comment, by (run, packet, source): the earliest first.
    heap: BinaryHeap<Reverse<(u64, u64, usize)>>,
}

impl Merge {
    /// Source `i`'s next comment.
    fn next_of(&mut self, i: usize) -> io::Result<Option<Entry>> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "a damaged chunk of comments");
        let scratch = self.scratch.as_ref();
        let read = self.read;
        let Some(source) = self.sources.get_mut(i) else {
            return Ok(None);
        };
        match source {
            Source::Held(it) => Ok(it.next()),
            Source::Chunk { at, end, buf, pos } => {
                let scratch = scratch.ok_or_else(bad)?;
                loop {
                    // A header (run, packet, the text's length), then the text.
                    let avail = buf.get(*pos..).unwrap_or_default();
                    let u64_at = |i: usize| {
                        avail
                            .get(i..i + 8)
                            .and_then(|s| <[u8; 8]>::try_from(s).ok())
                            .map(u64::from_le_bytes)
                    };
                    let len = avail
                        .get(16..20)
                        .and_then(|s| <[u8; 4]>::try_from(s).ok())
                        .map(|b| u32::from_le_bytes(b) as usize);
                    let need = len.map_or(20, |l| 20 + l);
                    if let (Some(run), Some(packet), Some(text)) = (
                        u64_at(0),
                        u64_at(8),
                        avail.get(20..need).filter(|_| len.is_some()),
                    ) {
                        let text = String::from_utf8(text.to_vec()).map_err(|_| bad())?;
                        *pos += need;
                        return Ok(Some(Entry { run, packet, text }));
                    }
                    if *at >= *end {
                        return if avail.is_empty() {
                            Ok(None)
                        } else {
                            Err(bad())
                        };
                    }
                    // Keep what is left, read the next piece after it.
                    buf.drain(..*pos);
                    *pos = 0;
                    let take = (*end - *at).min(read.max(need) as u64) as u32;
                    let mut piece = Vec::new();
                    scratch.read(*at, take, &mut piece)?;
                    *at += u64::from(take);
                    buf.extend_from_slice(&piece);
                }
            }
        }
    }

    /// Appends the comments of packet `packet` of run `run` to `out`, each text once, in the
    /// order they were made; comments on earlier packets (never copied) are passed over.
    /// The packets must be asked for in order.
    pub fn take(&mut self, run: usize, packet: u64, out: &mut Vec<String>) -> io::Result<()> {
        let key = (run as u64, packet);
        while let Some(&Reverse((r, p, i))) = self.heap.peek() {
            if (r, p) > key {
                break;
            }
            self.heap.pop();
            let head = self.heads.get_mut(i).and_then(Option::take);
            if let Some(e) = head {
                if (r, p) == key && !out.contains(&e.text) {
                    out.push(e.text);
                }
            }
            let next = self.next_of(i)?;
            if let Some(e) = &next {
                self.heap.push(Reverse((e.run, e.packet, i)));
            }
            if let Some(h) = self.heads.get_mut(i) {
                *h = next;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks of every size give each packet its comments in the order they were made,
    /// duplicates once, as one in-memory list does.
    #[test]
    fn chunks_merge_as_one_sort() {
        let mut made = Vec::new();
        let mut x = 7u64;
        for k in 0..3000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let run = (x >> 60) as usize % 2;
            let packet = (x >> 33) % 500;
            let text = format!("comment {} {}", k % 700, "x".repeat((x % 300) as usize));
            made.push((run, packet, text));
        }
        let mut want: std::collections::BTreeMap<(usize, u64), Vec<String>> = Default::default();
        for (r, p, t) in &made {
            let list = want.entry((*r, *p)).or_default();
            if !list.contains(t) {
                list.push(t.clone());
            }
        }
        for limit in [0, 100_000, 1 << 30] {
            let mut s = Sorted::new(limit);
            for (r, p, t) in &made {
                s.push(*r, *p, t.clone()).unwrap();
            }
            assert_eq!(s.chunks.is_empty(), limit == 1 << 30);
            let mut m = s.into_merge().unwrap();
            for run in 0..2 {
                for packet in 0..500 {
                    let mut got = Vec::new();
                    m.take(run, packet, &mut got).unwrap();
                    let w = want.get(&(run, packet)).cloned().unwrap_or_default();
                    assert_eq!(got, w, "limit {limit}, run {run}, packet {packet}");
                }
            }
        }
    }
}
