//! The inputs of an analysis in the order they are read, as one iterator: the paths given
//! (a directory already expanded, `rotation::expand`), or a capture ring followed (a
//! directory that `tcpdump -C`/`-G` with `-W` or `dumpcap -b` keeps writing): its capture
//! files in turn, oldest first, as they appear, until the stop.
//!
//! In: the paths, or the ring's directory and the [`Stop`]. Out: [`Next`] items: each file
//! to read with its first packet (what decides whether it continues the capture before it,
//! `rotation::continues`) and, in a ring, what says when it is done (a newer file is
//! there); and a ring's file removed before it was read (its packets are missing).
//!
//! A ring's directory is listed at each step (not watched): when no file is new it is
//! listed again every [`POLL`]. A name is not a capture: a `tcpdump -W` ring opens its
//! oldest name again (truncated, same inode), so each capture is its name and its first
//! packet's time, read once. Files lost before they were read are given as [`Lost`]:
//! listed then gone, listed then rewritten, or skipped by the ring's numbering
//! (`rotation::ring_numbers`). Only the captures still listed are remembered, so memory
//! does not grow with the files a ring has turned over.

use super::rotation::{self, FirstPacket};
use super::{RingFile, RingState, Stop, Superseded, POLL};
use crate::vocab::Timestamp;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// What the sequence gives next.
pub enum Next {
    /// A file to read: its path, its first packet (none for an empty or unreadable file,
    /// or a stream) and, for a ring's file, where its writer is now (a newer file there:
    /// its end, once read, is its end; its name rewritten: what follows is not its).
    File {
        /// The file.
        path: PathBuf,
        /// Its first packet (`rotation::first_packet`).
        first: Option<FirstPacket>,
        /// A ring's file: where its writer is ([`RingState`]).
        superseded: Option<Superseded>,
    },
    /// Files of a ring lost before they were read: their packets (and the closes in them)
    /// are missing, and the file after them does not continue the one before.
    Lost(Lost),
}

/// Files of a capture ring lost before they were read ([`Next::Lost`]). Names are without
/// the directory (the directory is the user's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// Listed once, gone before it was read (`dumpcap -b files:N` removes its oldest).
    Removed(String),
    /// Listed once, then holding another capture before it was read (a `tcpdump -W`
    /// ring opens its oldest name again).
    Rewritten(String),
    /// Never listed: the ring's numbering skips `missing` files between the file read last
    /// and the next one (both named), removed between two listings.
    Skipped {
        after: String,
        next: String,
        missing: u64,
    },
}

impl Lost {
    /// How many files this is.
    pub fn files(&self) -> u64 {
        match self {
            Lost::Removed(_) | Lost::Rewritten(_) => 1,
            Lost::Skipped { missing, .. } => *missing,
        }
    }
}

/// The inputs in the order they are read ([`Next`]).
pub enum Sequence {
    /// The paths given, in order.
    Given(std::vec::IntoIter<PathBuf>),
    /// A capture ring followed.
    Ring(Ring),
}

/// One capture a ring's file name holds: its path and its first packet's time. A
/// `tcpdump -W` ring writes several captures under one name in turn (truncating it on the
/// same inode), so a name alone is no capture.
type Capture = (PathBuf, Timestamp);

/// A capture ring followed: its state between two steps.
pub struct Ring {
    dir: PathBuf,
    stop: Stop,
    /// The captures read, and those listed, of those still in the directory.
    read: HashSet<Capture>,
    listed: HashSet<Capture>,
    /// The name of the file given last, and whether the ring's names have shown a
    /// trailing number one more from one file to the next (`tcpdump -C`'s numbering,
    /// trusted from then on to tell files skipped).
    last: Option<String>,
    numbered: bool,
    /// What is found but not given yet (the lost files before the next file).
    queue: VecDeque<Next>,
    /// A file was just given: the stop, if set while it was read, ends the ring.
    after_file: bool,
    /// Nothing new at the last listing: wait a [`POLL`] before the next.
    idle: bool,
    done: bool,
    /// What was read of the directory's files, shared with the file being followed.
    peeks: Arc<Peeks>,
}

impl Sequence {
    /// The paths given, each read in turn.
    pub fn given(paths: Vec<PathBuf>) -> Sequence {
        Sequence::Given(paths.into_iter())
    }

    /// The capture files of `dir`, read in turn as they appear until `stop` is set.
    pub fn ring(dir: &Path, stop: Stop) -> Sequence {
        Sequence::Ring(Ring {
            dir: dir.to_path_buf(),
            stop,
            read: HashSet::new(),
            listed: HashSet::new(),
            last: None,
            numbered: false,
            queue: VecDeque::new(),
            after_file: false,
            idle: false,
            done: false,
            peeks: Arc::default(),
        })
    }
}

impl Iterator for Sequence {
    type Item = Next;

    fn next(&mut self) -> Option<Next> {
        match self {
            Sequence::Given(paths) => {
                let path = paths.next()?;
                // Does this file continue the capture before it? Its first packet says (a
                // peek; a stream is not peeked at).
                let first = rotation::first_packet(&path);
                Some(Next::File {
                    path,
                    first,
                    superseded: None,
                })
            }
            Sequence::Ring(r) => r.step(),
        }
    }
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

impl Ring {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The next item: what is queued, else what a new listing of the directory shows.
    fn step(&mut self) -> Option<Next> {
        loop {
            if let Some(n) = self.queue.pop_front() {
                return Some(n);
            }
            if self.done {
                return None;
            }
            if std::mem::take(&mut self.after_file) && self.stopped() {
                self.done = true;
                continue;
            }
            if std::mem::take(&mut self.idle) {
                std::thread::sleep(POLL);
                if self.stopped() {
                    self.done = true;
                    continue;
                }
            }
            self.list();
        }
    }

    /// Lists the directory: the captures gone unread queued as lost (removed, or their
    /// name rewritten), then the oldest capture not read yet, after the files its ring
    /// number says were skipped (or, with none, the ring ends if stopped, else waits). A
    /// file with no packet yet (just opened) is not given until it has one.
    fn list(&mut self) {
        let now = ring_files(&self.peeks, &self.dir);
        let present: HashSet<Capture> = now
            .iter()
            .filter_map(|(p, ts)| Some((p.clone(), (*ts)?)))
            .collect();
        let names: HashSet<&PathBuf> = now.iter().map(|(p, _)| p).collect();
        let mut gone: Vec<&Capture> = self
            .listed
            .iter()
            .filter(|c| !self.read.contains(*c) && !present.contains(*c))
            .collect();
        gone.sort();
        let mut lost_names = Vec::new();
        for (p, _) in gone {
            let name = name_of(p);
            lost_names.push(name.clone());
            self.queue.push_back(Next::Lost(if names.contains(p) {
                Lost::Rewritten(name)
            } else {
                Lost::Removed(name)
            }));
        }
        // Only the captures still there are kept.
        self.read.retain(|c| present.contains(c));
        let next = now.iter().find_map(|(p, ts)| {
            let c = (p.clone(), (*ts)?);
            (!self.read.contains(&c)).then_some(c)
        });
        self.listed = present;
        match next {
            Some((p, ts)) => {
                let name = name_of(&p);
                if let Some(skipped) = self.skipped(&name, &lost_names) {
                    self.queue.push_back(Next::Lost(skipped));
                }
                self.last = Some(name);
                self.read.insert((p.clone(), ts));
                let superseded = superseded(
                    &self.dir,
                    self.read.clone(),
                    (p.clone(), ts),
                    Arc::clone(&self.peeks),
                );
                let first = rotation::first_packet(&p);
                self.queue.push_back(Next::File {
                    path: p,
                    first,
                    superseded: Some(superseded),
                });
                self.after_file = true;
            }
            None if self.stopped() => self.done = true,
            None => self.idle = true,
        }
    }

    /// The files the ring's numbering says lay between the file given last and `next`,
    /// less those said lost by name (`lost`): removed before any listing saw them.
    fn skipped(&mut self, next: &str, lost: &[String]) -> Option<Lost> {
        let after = self.last.as_deref()?;
        let n = rotation::ring_numbers(after, next)?;
        if n.trailing && n.next == n.prev + 1 {
            self.numbered = true;
        }
        if n.trailing && !self.numbered {
            return None;
        }
        let said = lost
            .iter()
            .filter_map(|l| rotation::ring_numbers(after, l))
            .filter(|m| m.next > n.prev && m.next < n.next)
            .count() as u64;
        let missing = n.between().saturating_sub(said);
        (missing > 0).then(|| Lost::Skipped {
            after: after.to_string(),
            next: next.to_string(),
            missing,
        })
    }
}

/// Where the writer of the ring's capture `reading` is ([`RingState`]), from the
/// directory: rewritten when its name holds another capture now; superseded when a capture
/// not in `known` (those read) has appeared.
fn superseded(
    dir: &Path,
    known: HashSet<Capture>,
    reading: Capture,
    peeks: Arc<Peeks>,
) -> Superseded {
    let d = dir.to_path_buf();
    RingFile::new(move || {
        let mut state = RingState::Current;
        for (p, first) in peeks.captures(&d) {
            let Some(ts) = first else { continue };
            if p == reading.0 && ts != reading.1 {
                return RingState::Rewritten;
            }
            if !known.contains(&(p, ts)) {
                state = RingState::Superseded;
            }
        }
        state
    })
}

/// The capture files of a ring's directory now (those whose first bytes are a pcap's or
/// pcapng's) with their first packet's time, oldest first: by first packet (as rotated
/// files are ordered offline; tcpdump's `file10` sorts before `file2` by name, and `-W`
/// reuses names), those with none yet (just opened) last, by name.
fn ring_files(peeks: &Peeks, dir: &Path) -> Vec<(PathBuf, Option<Timestamp>)> {
    let mut keyed = peeks.captures(dir);
    keyed.sort_by(|a, b| (a.1.is_none(), a.1, &a.0).cmp(&(b.1.is_none(), b.1, &b.0)));
    keyed
}

/// A file as its directory entry shows it: inode, size, last change. Writing to a file,
/// truncating it or putting another in its place changes it.
type Stamp = (u64, u64, Option<std::time::SystemTime>);

/// What was read of each file of a ring's directory (a capture or not, its first packet's
/// time), kept while its [`Stamp`] is: the directory, listed every [`POLL`] while a file is
/// followed or none is new, opens only the files that changed since (the one being written),
/// not every file of a large ring. Only the names still there are kept.
#[derive(Default)]
struct Peeks(Mutex<HashMap<PathBuf, (Stamp, Peeked)>>);

/// What was read of a file: not a capture (`None`), or a capture and its first packet's
/// time (none yet).
type Peeked = Option<Option<Timestamp>>;

impl Peeks {
    /// The capture files of `dir` now, each with its first packet's time (none yet: just
    /// opened), by name.
    fn captures(&self, dir: &Path) -> Vec<(PathBuf, Option<Timestamp>)> {
        use std::os::unix::fs::MetadataExt;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let Ok(mut seen) = self.0.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut here = HashSet::new();
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let stamp = (meta.ino(), meta.len(), meta.modified().ok());
            let read = match seen.get(&p) {
                Some((s, read)) if *s == stamp => *read,
                _ => {
                    let read = matches!(rotation::looks_like_capture(&p), Ok(true))
                        .then(|| rotation::first_packet(&p).map(|f| f.ts));
                    seen.insert(p.clone(), (stamp, read));
                    read
                }
            };
            here.insert(p.clone());
            if let Some(first) = read {
                out.push((p, first));
            }
        }
        seen.retain(|p, _| here.contains(p));
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// A pcap file (Ethernet) with one empty-bodied packet at second `ts`, or none.
    fn pcap(ts: Option<u32>) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        if let Some(ts) = ts {
            let frame = [0u8; 14];
            b.extend_from_slice(&ts.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            b.extend_from_slice(&frame);
        }
        b
    }

    fn file(n: &Next) -> (String, Option<i64>) {
        match n {
            Next::File { path, first, .. } => (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                first.as_ref().map(|f| f.ts.0 / 1_000_000_000),
            ),
            Next::Lost(l) => panic!("lost {l:?}, not a file"),
        }
    }

    #[test]
    fn given_paths_come_in_order_with_their_first_packet() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("b"),
            dir.path().join("a"),
            dir.path().join("c"),
        );
        std::fs::write(&a, pcap(Some(20))).unwrap();
        std::fs::write(&b, pcap(Some(10))).unwrap();
        std::fs::write(&c, pcap(None)).unwrap();
        let got: Vec<_> = Sequence::given(vec![a, b, c]).map(|n| file(&n)).collect();
        // As given, not by time: joining them is the analyzer's decision.
        assert_eq!(
            got,
            [
                ("b".to_string(), Some(20)),
                ("a".to_string(), Some(10)),
                ("c".to_string(), None)
            ]
        );
    }

    /// A ring's files come oldest first by first packet (not by name), one removed before
    /// it was read is said by name, and the stop ends the ring after the file being read.
    #[test]
    fn a_ring_gives_its_files_by_first_packet_and_says_a_removed_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b-old"), pcap(Some(10))).unwrap();
        std::fs::write(dir.path().join("a-mid"), pcap(Some(20))).unwrap();
        std::fs::write(dir.path().join("c-new"), pcap(Some(30))).unwrap();
        // Not a capture (no magic): never given.
        std::fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
        let stop: Stop = Arc::new(AtomicBool::new(false));
        let mut ring = Sequence::ring(dir.path(), Arc::clone(&stop));
        let first = ring.next().unwrap();
        assert_eq!(file(&first), ("b-old".to_string(), Some(10)));
        // Newer files are there: the one read is done once read.
        let Next::File {
            superseded: Some(s),
            ..
        } = &first
        else {
            panic!("a ring's file says when it is superseded");
        };
        assert_eq!(s.state(), RingState::Superseded);
        // The ring turns over a-mid before it is read.
        std::fs::remove_file(dir.path().join("a-mid")).unwrap();
        match ring.next().unwrap() {
            Next::Lost(Lost::Removed(name)) => assert_eq!(name, "a-mid"),
            n => panic!("expected a-mid removed, got {:?}", file(&n)),
        }
        let third = ring.next().unwrap();
        assert_eq!(file(&third), ("c-new".to_string(), Some(30)));
        let Next::File {
            superseded: Some(s),
            ..
        } = &third
        else {
            panic!("a ring's file says when it is superseded");
        };
        // No newer file: not superseded until one appears.
        assert_eq!(s.state(), RingState::Current);
        std::fs::write(dir.path().join("d-newer"), pcap(Some(40))).unwrap();
        assert_eq!(s.state(), RingState::Superseded);
        // Stopped while c-new was read: the ring ends, d-newer unread; a read file removed
        // afterwards is no loss.
        stop.store(true, Ordering::SeqCst);
        std::fs::remove_file(dir.path().join("b-old")).unwrap();
        assert!(ring.next().is_none());
        assert!(ring.next().is_none());
    }

    /// With nothing new, the ring waits and lists again; the stop ends it.
    #[test]
    fn an_idle_ring_waits_for_a_new_file_until_the_stop() {
        let dir = tempfile::tempdir().unwrap();
        let stop: Stop = Arc::new(AtomicBool::new(false));
        let mut ring = Sequence::ring(dir.path(), Arc::clone(&stop));
        let writer = {
            let d = dir.path().to_path_buf();
            std::thread::spawn(move || {
                std::thread::sleep(POLL * 2);
                std::fs::write(d.join("late"), pcap(Some(5))).unwrap();
            })
        };
        assert_eq!(file(&ring.next().unwrap()), ("late".to_string(), Some(5)));
        writer.join().unwrap();
        let stopper = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                std::thread::sleep(POLL * 2);
                stop.store(true, Ordering::SeqCst);
            })
        };
        assert!(ring.next().is_none());
        stopper.join().unwrap();
    }

    /// A `tcpdump -C -W 2` ring: its names are opened again, truncated on the same inode,
    /// each holding a new capture. Each capture is read once, in time order; the name being
    /// read rewritten is said; a capture rewritten before it was read is said lost.
    #[test]
    fn a_rings_names_rewritten_in_place_are_read_again() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let (c0, c1) = (dir.path().join("cap0"), dir.path().join("cap1"));
        // In place: the same inode, as tcpdump's fopen(name, "w") keeps it.
        let rewrite = |p: &Path, ts| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(p)
                .unwrap();
            f.write_all(&pcap(Some(ts))).unwrap();
        };
        rewrite(&c0, 10);
        let stop: Stop = Arc::new(AtomicBool::new(false));
        let mut ring = Sequence::ring(dir.path(), Arc::clone(&stop));
        let n = ring.next().unwrap();
        assert_eq!(file(&n), ("cap0".to_string(), Some(10)));
        let Next::File {
            superseded: Some(s0),
            ..
        } = n
        else {
            panic!("a ring's file");
        };
        assert_eq!(s0.state(), RingState::Current);
        rewrite(&c1, 20);
        assert_eq!(s0.state(), RingState::Superseded);
        assert_eq!(file(&ring.next().unwrap()), ("cap1".to_string(), Some(20)));
        // The ring wraps: cap0 holds a new capture, read as the next file.
        rewrite(&c0, 30);
        let n = ring.next().unwrap();
        assert_eq!(file(&n), ("cap0".to_string(), Some(30)));
        let Next::File {
            superseded: Some(s2),
            ..
        } = n
        else {
            panic!("a ring's file");
        };
        // cap1 rewritten (newer than the capture read now): the writer moved on.
        rewrite(&c1, 40);
        assert_eq!(s2.state(), RingState::Superseded);
        // The name being read rewritten under its reader.
        rewrite(&c0, 50);
        assert_eq!(s2.state(), RingState::Rewritten);
        // cap1's capture of 40 comes first, then cap0's of 50; then cap1 listed at 60 is
        // rewritten (70) before it was read: lost, and 70 read.
        assert_eq!(file(&ring.next().unwrap()), ("cap1".to_string(), Some(40)));
        assert_eq!(file(&ring.next().unwrap()), ("cap0".to_string(), Some(50)));
        // Two captures unread at one listing: cap1's 60 is given, cap0's 70 listed; cap0
        // rewritten (80) before it was read: its 70 is lost, said, and 80 given.
        rewrite(&c1, 60);
        rewrite(&c0, 70);
        assert_eq!(file(&ring.next().unwrap()), ("cap1".to_string(), Some(60)));
        rewrite(&c0, 80);
        match ring.next().unwrap() {
            Next::Lost(Lost::Rewritten(name)) => assert_eq!(name, "cap0"),
            n => panic!("expected cap0 rewritten, got {:?}", file(&n)),
        }
        assert_eq!(file(&ring.next().unwrap()), ("cap0".to_string(), Some(80)));
        stop.store(true, Ordering::SeqCst);
        assert!(ring.next().is_none());
    }

    /// Files a ring removed before any listing saw them are told by its numbering: said
    /// with how many, once (not again for a file said removed by name).
    #[test]
    fn files_skipped_by_the_numbering_are_said_lost() {
        let dir = tempfile::tempdir().unwrap();
        let name = |n: u32| format!("cap_{n:05}_20261125131415.pcap");
        std::fs::write(dir.path().join(name(1)), pcap(Some(10))).unwrap();
        let stop: Stop = Arc::new(AtomicBool::new(false));
        let mut ring = Sequence::ring(dir.path(), Arc::clone(&stop));
        assert_eq!(file(&ring.next().unwrap()).0, name(1));
        std::fs::write(dir.path().join(name(2)), pcap(Some(20))).unwrap();
        assert_eq!(file(&ring.next().unwrap()).0, name(2));
        // 3 and 4 came and went unseen; 5 is there.
        std::fs::write(dir.path().join(name(5)), pcap(Some(50))).unwrap();
        match ring.next().unwrap() {
            Next::Lost(l @ Lost::Skipped { .. }) => {
                assert_eq!(l.files(), 2);
                assert_eq!(
                    l,
                    Lost::Skipped {
                        after: name(2),
                        next: name(5),
                        missing: 2
                    }
                );
            }
            n => panic!("expected files skipped, got {:?}", file(&n)),
        }
        assert_eq!(file(&ring.next().unwrap()).0, name(5));
        // 6 listed, then removed with 7 unseen: 6 by name, 7 by number, each once.
        std::fs::write(dir.path().join(name(6)), pcap(Some(60))).unwrap();
        let Sequence::Ring(r) = &mut ring else {
            panic!("a ring")
        };
        // A listing that gives 6 (read next), then a copy of it seen unread: simulate by
        // listing 6 without reading it.
        r.listed.insert((
            dir.path().join(name(6)),
            crate::vocab::Timestamp(60_000_000_000),
        ));
        std::fs::remove_file(dir.path().join(name(6))).unwrap();
        std::fs::write(dir.path().join(name(8)), pcap(Some(80))).unwrap();
        r.list();
        let got: Vec<String> = r
            .queue
            .drain(..)
            .map(|n| match n {
                Next::Lost(Lost::Removed(n)) => format!("removed {n}"),
                Next::Lost(Lost::Skipped { missing, .. }) => format!("skipped {missing}"),
                n => format!("file {}", file(&n).0),
            })
            .collect();
        assert_eq!(
            got,
            [
                format!("removed {}", name(6)),
                "skipped 1".to_string(),
                format!("file {}", name(8))
            ]
        );
        // tcpdump -C names: a trailing number is trusted once two files were one apart.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cap"), pcap(Some(10))).unwrap();
        let mut ring = Sequence::ring(dir.path(), Arc::clone(&stop));
        assert_eq!(file(&ring.next().unwrap()).0, "cap");
        std::fs::write(dir.path().join("cap1"), pcap(Some(20))).unwrap();
        assert_eq!(file(&ring.next().unwrap()).0, "cap1");
        std::fs::write(dir.path().join("cap4"), pcap(Some(40))).unwrap();
        match ring.next().unwrap() {
            Next::Lost(l) => assert_eq!(l.files(), 2),
            n => panic!("expected files skipped, got {:?}", file(&n)),
        }
        // tcpdump -G's time-named files: never read as numbered.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cap-131415"), pcap(Some(10))).unwrap();
        let mut ring = Sequence::ring(dir.path(), Arc::clone(&stop));
        assert_eq!(file(&ring.next().unwrap()).0, "cap-131415");
        std::fs::write(dir.path().join("cap-131515"), pcap(Some(20))).unwrap();
        assert_eq!(file(&ring.next().unwrap()).0, "cap-131515");
    }
}
