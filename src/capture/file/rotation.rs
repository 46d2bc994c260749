//! Rotated capture files (`tcpdump -C`/`-G`/`-W`, `dumpcap -b`, `editcap -c`): which inputs
//! continue each other, and a directory given as input.
//!
//! In: paths (files or directories) and, for each input, its first packet (read ahead of the
//! analysis: a peek at the start of the file). Out: the list of capture files to read, a
//! directory replaced by the captures in it ordered by their first packet's time; and, for
//! each input after the first, whether it continues the capture before it: the same link
//! type, its first packet no earlier than [`BACKWARDS_TOLERANCE_NS`] before the previous
//! file's last one (nor before that file's first) and no later than the idle timeout after it (a quiet spell longer than
//! that ends every connection anyway). Inputs that continue each other are analyzed as one
//! capture (`analyze_files_with_progress`): one flow table across them, packets numbered
//! across the files as `mergecap -a` numbers them.

use super::input::{open, Blocks};
use super::stream::{read_from, Stream};
use super::{InputSummary, Tally};
use crate::capture::{LinkType, Timestamp};
use crate::error::Error;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The first packet of an input: its capture time and link type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstPacket {
    pub ts: Timestamp,
    pub link: LinkType,
}

/// A reader that ends (EOF) once `stop` is set: the peek at a file's first packet stops
/// reading after the buffer that held it.
struct StopAfter {
    inner: Box<dyn Read + Send>,
    stop: Arc<AtomicBool>,
}

impl Read for StopAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

/// The first packet of the capture at `path`, read from its start (one buffer of it,
/// decompressed): `None` for standard input (it cannot be read twice), a file that cannot be read
/// or holds no packet.
pub fn first_packet(path: &Path) -> Option<FirstPacket> {
    if path.as_os_str() == "-" {
        return None;
    }
    let (reader, compression, bytes, damage) = open(path, None).ok()?;
    let reader: Box<dyn Read + Send> = if compression.is_some() {
        Box::new(Blocks::new(reader, false, true))
    } else {
        reader
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stream = Stream {
        reader: Box::new(StopAfter {
            inner: reader,
            stop: Arc::clone(&stop),
        }),
        damage,
        base: 0,
        number: 0,
        delivered: 0,
        warned_bad_if: false,
    };
    let mut summary = InputSummary::empty(path, compression, bytes);
    let mut first = None;
    let _ = read_from(
        path,
        stream,
        &mut summary,
        &mut Tally::default(),
        &mut |p| {
            if first.is_none() {
                first = Some(FirstPacket {
                    ts: p.ts,
                    link: p.link,
                });
                stop.store(true, Ordering::Relaxed);
            }
        },
    );
    first
}

/// How far back of the previous file's last packet the next file's first may be and still
/// continue it: captures on several CPUs write packets a little out of time order.
pub const BACKWARDS_TOLERANCE_NS: i64 = 1_000_000_000;

/// The capture that the inputs read so far make up (the last of them that had packets, and
/// those it continues): what the next input must continue to be joined to it.
#[derive(Debug, Clone)]
pub struct Run {
    /// The last input of it that had packets (its path, for notes).
    pub path: String,
    /// Its link types (all of the run's files).
    pub links: Vec<LinkType>,
    /// Its last packet's time.
    pub last: Timestamp,
    /// The first packet's time of its last file: a file that continues it starts later.
    pub last_file_first: Timestamp,
    /// Packets in the run so far: the packet offset of the next input, if joined.
    pub packets: u64,
}

/// Whether an input whose first packet is `next` continues `run`: `Ok` with a note saying
/// so, `Err` with why not. `max_gap_s`: the longest quiet spell between two files of one
/// capture (the idle timeout).
pub fn continues(run: &Run, next: &FirstPacket, max_gap_s: u64) -> Result<String, String> {
    let prev = file_name(&run.path);
    if !run.links.contains(&next.link) {
        return Err(format!(
            "not joined to {prev}: its link type ({}) differs from {prev}'s ({})",
            next.link.name(),
            run.links
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let gap = next.ts.0.saturating_sub(run.last.0);
    let max_gap = i64::try_from(max_gap_s)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000_000);
    if gap < -BACKWARDS_TOLERANCE_NS || next.ts < run.last_file_first {
        return Err(format!(
            "not joined to {prev}: it starts {:.3} s before {prev} ends (not a continuation of it; a rotated capture's files are given in time order, or as their directory)",
            -gap as f64 / 1e9
        ));
    }
    if gap > max_gap {
        return Err(format!(
            "not joined to {prev}: it starts {:.3} s after {prev} ends, more than the idle timeout ({max_gap_s} s, --idle-timeout), which would have ended every connection anyway",
            gap as f64 / 1e9
        ));
    }
    Ok(format!(
        "continues {prev} (same link type, starts {:.6} s after it ends): read as one capture with it, packets numbered on from {}",
        gap as f64 / 1e9,
        run.packets + 1
    ))
}

/// The file name of `path` (the whole path if it has none), for notes.
pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Whether the file at `path` starts like a capture: a pcap or pcapng magic number, or gzip
/// data (whose content is checked when it is read).
fn looks_like_capture(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 4];
    if f.read_exact(&mut magic).is_err() {
        return false;
    }
    matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    ) || magic.starts_with(&[0x1f, 0x8b])
}

/// The inputs to read: each path as given, but a directory replaced by the capture files
/// in it (not its subdirectories; files recognised by their first bytes, whatever their
/// names, so `tcpdump -C`'s `cap.pcap1`, `cap.pcap2` too), ordered by their first packet's
/// time (files with no packet last, by name). Also notes for standard error: what each
/// directory held. A directory with no capture in it is an error.
pub fn expand(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<String>), Error> {
    let mut out = Vec::with_capacity(paths.len());
    let mut notes = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" || !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let total = files.len();
        let mut found: Vec<(Option<Timestamp>, PathBuf)> = files
            .into_iter()
            .filter(|p| looks_like_capture(p))
            .map(|p| (first_packet(&p).map(|f| f.ts), p))
            .collect();
        if found.is_empty() {
            return Err(Error::Io {
                path: path.clone(),
                source: std::io::Error::other(format!(
                    "is a directory with no pcap or pcapng capture in it ({total} other files)"
                )),
            });
        }
        // Files with no packet after the others, each group by name (sorted above).
        found.sort_by_key(|(ts, _)| (ts.is_none(), *ts));
        let skipped = total - found.len();
        notes.push(format!(
            "{}: {} capture files, read in the order of their first packets ({} to {}){}",
            path.display(),
            found.len(),
            found
                .first()
                .map_or(String::new(), |(_, p)| file_name(&p.display().to_string())),
            found
                .last()
                .map_or(String::new(), |(_, p)| file_name(&p.display().to_string())),
            if skipped > 0 {
                format!("; {skipped} other files left out (not captures)")
            } else {
                String::new()
            }
        ));
        out.extend(found.into_iter().map(|(_, p)| p));
    }
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(last: i64) -> Run {
        Run {
            path: "/tmp/a/cap_0.pcap".into(),
            links: vec![LinkType::ETHERNET],
            last: Timestamp(last),
            last_file_first: Timestamp(last - 5_000_000_000),
            packets: 10,
        }
    }

    fn next(ts: i64, link: LinkType) -> FirstPacket {
        FirstPacket {
            ts: Timestamp(ts),
            link,
        }
    }

    /// A file continues the capture when it starts after it ended (or a little before,
    /// packets of several CPUs), within the idle timeout, on the same link type.
    #[test]
    fn continuation_needs_the_same_link_and_a_start_near_the_end() {
        let s = 1_000_000_000i64;
        let r = run(100 * s);
        let ok = continues(&r, &next(100 * s + 5, LinkType::ETHERNET), 600).unwrap();
        assert!(ok.starts_with("continues cap_0.pcap"), "{ok}");
        assert!(ok.contains("numbered on from 11"), "{ok}");
        assert!(continues(&r, &next(100 * s - s / 2, LinkType::ETHERNET), 600).is_ok());
        // Never before the previous file's own first packet, however close to its end.
        let short = Run {
            last_file_first: Timestamp(100 * s - s / 4),
            ..run(100 * s)
        };
        assert!(continues(&short, &next(100 * s - s / 2, LinkType::ETHERNET), 600).is_err());
        assert!(continues(&r, &next(700 * s, LinkType::ETHERNET), 600).is_ok());
        let late = continues(&r, &next(701 * s, LinkType::ETHERNET), 600).unwrap_err();
        assert!(late.contains("601.000 s after"), "{late}");
        let early = continues(&r, &next(98 * s, LinkType::ETHERNET), 600).unwrap_err();
        assert!(early.contains("2.000 s before"), "{early}");
        let other = continues(&r, &next(100 * s, LinkType::LINUX_SLL), 600).unwrap_err();
        assert!(other.contains("link type (LINUX_SLL)"), "{other}");
    }

    /// The peek finds a fixture's first packet, and nothing in a file that is no capture.
    #[test]
    fn the_first_packet_of_a_fixture() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let path = dir.join("python-close-1001.pcap");
        let f = first_packet(&path).expect("a first packet");
        let mut times = Vec::new();
        crate::capture::file::read(&path, &mut |p| times.push((p.ts, p.link))).unwrap();
        assert_eq!((f.ts, f.link), times[0]);
        assert_eq!(first_packet(&dir.join("README.md")), None);
        assert_eq!(first_packet(Path::new("-")), None);
    }
}
