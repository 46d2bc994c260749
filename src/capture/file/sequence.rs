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
//! listed again every [`POLL`]. Only the names still listed are remembered, so memory
//! does not grow with the files a ring has turned over.

use super::rotation::{self, FirstPacket};
use super::{Stop, Superseded, POLL};
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the sequence gives next.
pub enum Next {
    /// A file to read: its path, its first packet (none for an empty or unreadable file,
    /// or a stream) and, for a ring's file, whether a newer one has appeared since (then
    /// its end, once read, is its end).
    File {
        /// The file.
        path: PathBuf,
        /// Its first packet (`rotation::first_packet`).
        first: Option<FirstPacket>,
        /// A ring's file: true once a newer capture file is in the directory.
        superseded: Option<Superseded>,
    },
    /// A ring's file listed once and gone before it was read (the ring removed it): its
    /// name, without the directory (the directory is the user's).
    Removed(String),
}

/// The inputs in the order they are read ([`Next`]).
pub enum Sequence {
    /// The paths given, in order.
    Given(std::vec::IntoIter<PathBuf>),
    /// A capture ring followed.
    Ring(Ring),
}

/// A capture ring followed: its state between two steps.
pub struct Ring {
    dir: PathBuf,
    stop: Stop,
    /// The files read, and those listed, of those still in the directory.
    read: HashSet<PathBuf>,
    listed: HashSet<PathBuf>,
    /// What is found but not given yet (the removed files before the next file).
    queue: VecDeque<Next>,
    /// A file was just given: the stop, if set while it was read, ends the ring.
    after_file: bool,
    /// Nothing new at the last listing: wait a [`POLL`] before the next.
    idle: bool,
    done: bool,
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
            queue: VecDeque::new(),
            after_file: false,
            idle: false,
            done: false,
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

    /// Lists the directory: the files gone unread queued as removed, then the oldest file
    /// not read yet (or, with none, the ring ends if stopped, else waits).
    fn list(&mut self) {
        let now = ring_files(&self.dir);
        let mut gone: Vec<&PathBuf> = self
            .listed
            .iter()
            .filter(|p| !self.read.contains(*p) && !now.contains(p))
            .collect();
        gone.sort();
        for p in gone {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            self.queue.push_back(Next::Removed(name.into_owned()));
        }
        self.listed = now.iter().cloned().collect();
        // Only the names still there are kept.
        let listed = &self.listed;
        self.read.retain(|p| listed.contains(p));
        match now.into_iter().find(|p| !self.read.contains(p)) {
            Some(p) => {
                self.read.insert(p.clone());
                let known = self.read.clone();
                let d = self.dir.clone();
                // Only a name not read yet is opened (to see that it is a capture).
                let superseded: Superseded = Arc::new(move || {
                    std::fs::read_dir(&d).is_ok_and(|mut entries| {
                        entries.any(|e| {
                            e.ok().is_some_and(|e| {
                                let p = e.path();
                                !known.contains(&p)
                                    && p.is_file()
                                    && matches!(rotation::looks_like_capture(&p), Ok(true))
                            })
                        })
                    })
                });
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
}

/// The capture files of a ring's directory now (those whose first bytes are a pcap's or
/// pcapng's: a file just created, still empty, is not one yet), oldest first: by first
/// packet (as rotated files are ordered offline; tcpdump's `file10` sorts before `file2` by
/// name, and `-W` reuses names), those with none yet last, by name.
fn ring_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = ring_names(dir);
    let mut keyed: Vec<_> = files
        .drain(..)
        .map(|p| (rotation::first_packet(&p).map(|f| f.ts), p))
        .collect();
    keyed.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// The capture files of a ring's directory now, by name.
fn ring_names(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && matches!(rotation::looks_like_capture(p), Ok(true)))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

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
            Next::Removed(name) => panic!("removed {name}, not a file"),
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
        assert!(s());
        // The ring turns over a-mid before it is read.
        std::fs::remove_file(dir.path().join("a-mid")).unwrap();
        match ring.next().unwrap() {
            Next::Removed(name) => assert_eq!(name, "a-mid"),
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
        assert!(!s());
        std::fs::write(dir.path().join("d-newer"), pcap(Some(40))).unwrap();
        assert!(s());
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
}
