//! Rotated capture files (`tcpdump -C`/`-G`/`-W`, `dumpcap -b`, `editcap -c`): which inputs
//! continue each other, and a directory given as input.
//!
//! In: paths (files or directories); for each input, its first packet and, when asked, its
//! first [`PEEK_PACKETS`] packets (read ahead of the analysis: a peek at the start of the
//! file); and what the analysis of the capture before knows of its TCP connections
//! ([`Carried`]). Out: the list of capture files to read, a directory replaced by the
//! captures in it ordered by their first packet's time; and, for each input after the
//! first, whether it continues the capture before it, with a note saying why or why not.
//! A file continues the capture before it when all of these hold:
//!
//! - the same link type;
//! - its first packet no earlier than [`BACKWARDS_TOLERANCE_NS`] before the previous
//!   file's last one (nor before that file's first) and no later than the idle timeout
//!   after it (a quiet spell longer than that ends every connection anyway);
//! - the two file names are those of one set ([`names`]): exactly as one rotation tool
//!   names consecutive files (`cap`, `cap1`, `cap2` from `tcpdump -C`;
//!   `cap_00001_20261125131415.pcapng` from `dumpcap -b` or `editcap -c`), or equal once
//!   their runs of digits are removed (`tcpdump -G`'s strftime names, and also separate
//!   recordings numbered by hand, `python-close-1001.pcap`);
//! - for names of the second kind only, a TCP connection goes on across the boundary: one
//!   of the file's first packets (not a SYN) belongs to a connection the capture before
//!   had open or had just closed.
//!
//! `--join-files` (`Options::force_join`) drops the last two conditions (renamed files),
//! `--separate-files` joins nothing. Inputs that continue each other are analyzed as one
//! capture (`analyze_files_with_progress`): one flow table across them, packets numbered
//! across the files as `mergecap -a` numbers them.

use super::input::{open, Blocks};
use super::stream::{read_from, Stream};
use super::Tally;
use crate::capture::Packet;
use crate::error::Error;
use crate::vocab::{InputSummary, LinkType, Timestamp};
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

/// The first packets of the capture at `path`, read from its start (decompressed) and
/// handed to `f` until it returns true or `limit` packets were read; the number of
/// packets handed. Nothing for a stream (standard input, a pipe: it cannot be read twice,
/// [`is_stream`](super::is_stream)), a file that cannot be read or holds no packet. Reading
/// stops after the buffer that held the last packet wanted.
pub fn peek(path: &Path, limit: u64, f: &mut dyn FnMut(&Packet<'_>) -> bool) -> u64 {
    if super::is_stream(path) || limit == 0 {
        return 0;
    }
    let Ok(opened) = open(path, None, false) else {
        return 0;
    };
    let (compression, bytes, damage) = (opened.compression, opened.size, opened.damage);
    let reader: Box<dyn Read + Send> = if compression.is_some() {
        Box::new(Blocks::new(opened.reader, false, true))
    } else {
        opened.reader
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
    let mut handed = 0;
    let _ = read_from(
        path,
        stream,
        &mut summary,
        &mut Tally::default(),
        &mut |p| {
            if handed < limit && !stop.load(Ordering::Relaxed) {
                handed += 1;
                if f(p) || handed == limit {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        },
    );
    handed
}

/// The first packet of the capture at `path` (see [`peek`]): `None` for a stream, a
/// file that cannot be read or holds no packet.
pub fn first_packet(path: &Path) -> Option<FirstPacket> {
    let mut first = None;
    peek(path, 1, &mut |p| {
        first = Some(FirstPacket {
            ts: p.ts,
            link: p.link,
        });
        true
    });
    first
}

/// How many of a file's first packets are looked through for a TCP connection that goes
/// on from the file before it (names that need one, see [`continues`]).
pub const PEEK_PACKETS: u64 = 10_000;

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

/// How two file names relate (see [`names`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Exactly as this tool names a file and a later one of the same run.
    Tool(&'static str),
    /// Equal once their runs of digits are removed, but not as a tool names its files:
    /// `tcpdump -G`'s strftime names (`cap-131415.pcap`, `cap-131515.pcap`), and separate
    /// recordings numbered by hand (`python-close-1001.pcap`, `python-close-1002.pcap`).
    Digits,
    /// They differ in more than their digits: not one set's.
    Unrelated,
}

/// Suffixes of compressed files, left out before names are compared (`tcpdump -z gzip`
/// compresses each file but the one it is writing: `cap.gz`, `cap1.gz`, `cap2`).
const COMPRESSED: [&str; 5] = [".gz", ".zst", ".xz", ".bz2", ".lz4"];

fn uncompressed(name: &str) -> &str {
    COMPRESSED
        .iter()
        .find_map(|c| name.strip_suffix(c))
        .unwrap_or(name)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `name` cut into runs that are all digits or have none.
fn runs(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = name;
    while let Some(c) = rest.chars().next() {
        let digit = c.is_ascii_digit();
        let end = rest
            .find(|x: char| x.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        out.push(run);
        rest = tail;
    }
    out
}

/// `s` cut before the digits it ends with.
fn trailing_number(s: &str) -> (&str, &str) {
    s.split_at(s.trim_end_matches(|c: char| c.is_ascii_digit()).len())
}

/// `tcpdump -C` (and `-W`): the `-w` name, then the same with a number after it, one more
/// each file (`cap`, `cap1`, `cap2`; padded and back to 0 in a `-W` ring: `cap00`, `cap01`).
fn tcpdump(a: &str, b: &str) -> bool {
    tcpdump_numbers(a, b).is_some_and(|(x, y, padded_alike)| {
        // The `-w` name alone is any number's predecessor (number 0).
        padded_alike.is_none() || y == x + 1 || y == 0
    })
}

/// The numbers of two names as `tcpdump -C` numbers its files: the `-w` name alone (0,
/// then `None`), or the same name before two trailing numbers (then whether they are padded
/// alike: the same width, or neither with a leading zero, as one ring's are).
fn tcpdump_numbers(a: &str, b: &str) -> Option<(u64, u64, Option<bool>)> {
    if let Some(n) = b.strip_prefix(a).filter(|n| digits(n)) {
        return Some((0, n.parse().unwrap_or(u64::MAX), None));
    }
    let ((pa, na), (pb, nb)) = (trailing_number(a), trailing_number(b));
    if pa.is_empty() || pa != pb {
        return None;
    }
    let padded = na.len() == nb.len() || !(na.starts_with('0') || nb.starts_with('0'));
    Some((na.parse().ok()?, nb.parse().ok()?, Some(padded)))
}

/// Two runs of digits as dumpcap's file number (five digits or more) and time (14), in
/// either order: (number, time).
fn number_and_time<'a>(n: &'a str, t: &'a str) -> Option<(&'a str, &'a str)> {
    let (n, t) = if n.len() == 14 && t.len() != 14 {
        (t, n)
    } else {
        (n, t)
    };
    (digits(n) && n.len() >= 5 && digits(t) && t.len() == 14).then_some((n, t))
}

/// `dumpcap -b` (also Wireshark's and tshark's ring buffers) and `editcap -c`/`-i`: the
/// `-w` name with `_NNNNN_YYYYmmddHHMMSS` before its extension (a file number of at least
/// five digits, one more each file, and the time; `dumpcap -b nametimenum:2` puts the time
/// first), the rest of the names the same.
fn dumpcap(a: &[&str], b: &[&str]) -> bool {
    dumpcap_numbers(a, b).is_some_and(|(x, y, forward)| y > x && forward)
}

/// The file numbers of two names (cut into runs) as dumpcap names its files, and whether
/// the second's time is no earlier: the last place where the names have `name_`, a number,
/// `_` and a time (or the time first) and are the same elsewhere.
fn dumpcap_numbers(a: &[&str], b: &[&str]) -> Option<(u64, u64, bool)> {
    if a.len() != b.len() {
        return None;
    }
    a.windows(4)
        .zip(b.windows(4))
        .enumerate()
        .rev()
        .find_map(|(at, (wa, wb))| {
            let (&[pa, na, sa, ta], &[_, nb, sb, tb]) = (wa, wb) else {
                return None;
            };
            let ((na, ta), (nb, tb)) = (number_and_time(na, ta)?, number_and_time(nb, tb)?);
            // The number and the time are the runs at `at + 1` and `at + 3`.
            let same_rest = a
                .iter()
                .zip(b)
                .enumerate()
                .all(|(i, (x, y))| i == at + 1 || i == at + 3 || x == y);
            (pa.ends_with('_') && sa == "_" && sb == "_" && same_rest)
                .then(|| Some((na.parse().ok()?, nb.parse().ok()?, tb >= ta)))
                .flatten()
        })
}

/// How the file name `next` relates to `prev`, the name of the file before it (compression
/// suffixes left out).
pub fn names(prev: &str, next: &str) -> Names {
    let (a, b) = (uncompressed(prev), uncompressed(next));
    let (ra, rb) = (runs(a), runs(b));
    let skeleton = |r: &[&str]| r.iter().filter(|t| !digits(t)).copied().collect::<String>();
    if skeleton(&ra) != skeleton(&rb) {
        Names::Unrelated
    } else if tcpdump(a, b) {
        Names::Tool("tcpdump -C")
    } else if dumpcap(&ra, &rb) {
        Names::Tool("dumpcap -b or editcap -c")
    } else {
        Names::Digits
    }
}

/// The ring numbers of two file names of one rotation tool's set, `(prev, next)`: the
/// number `tcpdump -C`/`-W` puts after the `-w` name (`cap`, `cap1`; padded in a `-W` ring:
/// `cap00`), or the file number `dumpcap -b` and `editcap -c` put before the time
/// (`cap_00007_20261125131415`). `None` for names that are not two files of one such set
/// (however far apart their numbers), and for `tcpdump -G`'s times and names numbered by
/// hand, whose digits say nothing of what lies between them. A trailing number is read as
/// `tcpdump -C`'s only by a caller that has seen the ring number its files one apart
/// ([`RingNumbers::trailing`]): `tcpdump -G cap-%H%M%S` ends its names in digits too.
pub fn ring_numbers(prev: &str, next: &str) -> Option<RingNumbers> {
    let (a, b) = (uncompressed(prev), uncompressed(next));
    if let Some((prev, next, _)) = dumpcap_numbers(&runs(a), &runs(b)) {
        return Some(RingNumbers {
            prev,
            next,
            trailing: false,
        });
    }
    match tcpdump_numbers(a, b)? {
        (prev, next, None | Some(true)) => Some(RingNumbers {
            prev,
            next,
            trailing: true,
        }),
        (_, _, Some(false)) => None,
    }
}

/// Two ring files' numbers ([`ring_numbers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingNumbers {
    /// The number of the file before.
    pub prev: u64,
    /// The number of the next file.
    pub next: u64,
    /// A trailing number (`tcpdump -C`'s place), not dumpcap's number beside a time.
    pub trailing: bool,
}

impl RingNumbers {
    /// The files whose numbers lie between the two (none when the next is one more, or
    /// when the numbers start over, as a `-W` ring's do at 0).
    pub fn between(&self) -> u64 {
        self.next.saturating_sub(self.prev).saturating_sub(1)
    }
}

/// What the analysis of the capture before knows of the TCP connections that could go on
/// into the next file (asked only when the names need it, see [`continues`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carried {
    /// Connections it was following at its end, in memory or frozen (closed ones not).
    pub open: usize,
    /// The first of the next file's packets (its own number) that belongs to a connection
    /// it had open or had just closed, and is not a SYN.
    pub found: Option<u64>,
    /// How many of the next file's packets were looked through.
    pub looked: u64,
}

/// Whether an input named `next_path` whose first packet is `next` continues `run`: `Ok`
/// with a note saying so, `Err` with why not. `max_gap_s`: the longest quiet spell between
/// two files of one capture (the idle timeout). `force` (`--join-files`): the names and the
/// connections do not matter. `carried`: asked for what goes on from `run` into the file
/// when the names alone do not make it one set's (see the module's rule).
pub fn continues(
    run: &Run,
    next_path: &str,
    next: &FirstPacket,
    max_gap_s: u64,
    force: bool,
    carried: impl FnOnce() -> Carried,
) -> Result<String, String> {
    let prev = file_name(&run.path);
    let name = file_name(next_path);
    let names = names(&prev, &name);
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
    // Separate recordings named apart: why they are apart needs no times.
    let unrelated = || {
        format!(
            "not joined to {prev}: the names differ in more than their digits, so the files are separate recordings (those of one tcpdump -C/-G/-W, dumpcap -b or editcap -c run differ only in numbers); --join-files joins them anyway"
        )
    };
    if !force && names == Names::Unrelated {
        return Err(unrelated());
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
    let joined = |why: String| {
        Ok(format!(
            "continues {prev} ({why}same link type, starts {:.6} s after it ends): read as one capture with it, packets numbered on from {}",
            gap as f64 / 1e9,
            run.packets + 1
        ))
    };
    if force {
        return joined("--join-files; ".into());
    }
    match names {
        Names::Tool(tool) => joined(format!("named as {tool} names a set's files; ")),
        Names::Unrelated => Err(unrelated()),
        Names::Digits => {
            let c = carried();
            match c.found {
                Some(k) => joined(format!(
                    "names alike but for their digits, and its packet {k} is of a TCP connection that goes on from {prev}; "
                )),
                None => {
                    let looked = match c.looked {
                        n if n < PEEK_PACKETS => format!("none of this file's {n} packets"),
                        n => format!("none of this file's first {n} packets"),
                    };
                    let none = match c.open {
                        0 => format!("{prev} left none open, and {looked} belongs to one it had just closed"),
                        1 => format!("{looked} belongs to the connection {prev} left open or had just closed"),
                        n => format!("{looked} belongs to the {n} connections {prev} left open or had just closed"),
                    };
                    Err(format!(
                        "not joined to {prev}: the names differ only in their digits (as tcpdump -G's files do, but also separate recordings numbered by hand) and no TCP connection goes on from {prev} into it ({none}), so each file keeps its own packet numbers; --join-files joins them anyway"
                    ))
                }
            }
        }
    }
}

/// The file name of `path` (the whole path if it has none), for notes.
pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Whether the file at `path` starts like a capture: a pcap or pcapng magic number, or gzip,
/// zstd or lz4 data (whose content is checked when it is read, as the reader reads any
/// input); the error when it cannot be opened or
/// read (a file shorter than a magic number is no capture).
pub fn looks_like_capture(path: &Path) -> std::io::Result<bool> {
    let mut f = std::fs::File::open(path)?;
    let mut magic = [0u8; 4];
    match f.read_exact(&mut magic) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    Ok(matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    ) || super::Compression::sniff(&magic).is_some())
}

/// The inputs to read: each path as given, but a directory replaced by the capture files
/// in it (not its subdirectories; files recognised by their first bytes, whatever their
/// names, so `tcpdump -C`'s `cap.pcap1`, `cap.pcap2` too), ordered by their first packet's
/// time (files with no packet last, by name), then the files in it that could not be
/// opened or read to tell (each then an input that fails with its own error, as a file
/// given by name would: whether it held a capture is unknown). Also notes for standard
/// error: what each directory held, and why a file could not be read. A directory with
/// no capture in it, and no file that could not be read, is an error. A file named twice,
/// however (a directory and a file in it, a link), is read once, with a note.
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
        let mut found: Vec<(Option<Timestamp>, PathBuf)> = Vec::new();
        let mut unreadable: Vec<(PathBuf, std::io::Error)> = Vec::new();
        for p in files {
            match looks_like_capture(&p) {
                Ok(true) => found.push((first_packet(&p).map(|f| f.ts), p)),
                Ok(false) => {}
                Err(e) => unreadable.push((p, e)),
            }
        }
        if found.is_empty() && unreadable.is_empty() {
            return Err(Error::Io {
                path: path.clone(),
                source: std::io::Error::other(format!(
                    "is a directory with no pcap or pcapng capture in it ({})",
                    files_counted(total, "other file")
                )),
            });
        }
        // Files with no packet after the others, each group by name (sorted above).
        found.sort_by_key(|(ts, _)| (ts.is_none(), *ts));
        let skipped = total - found.len() - unreadable.len();
        let name = |p: &PathBuf| file_name(&p.display().to_string());
        let mut note = if found.is_empty() {
            format!("{}: no capture file could be read", path.display())
        } else {
            format!(
                "{}: {}, read in the order of their first packets ({} to {})",
                path.display(),
                files_counted(found.len(), "capture file"),
                found.first().map_or(String::new(), |(_, p)| name(p)),
                found.last().map_or(String::new(), |(_, p)| name(p)),
            )
        };
        if skipped > 0 {
            note.push_str(&format!(
                "; {} left out (not captures)",
                files_counted(skipped, "other file")
            ));
        }
        if !unreadable.is_empty() {
            const NAMED: usize = 3;
            let mut why: Vec<String> = unreadable
                .iter()
                .take(NAMED)
                .map(|(p, e)| format!("{} ({e})", name(p)))
                .collect();
            if unreadable.len() > NAMED {
                why.push(format!("{} more", unreadable.len() - NAMED));
            }
            note.push_str(&format!(
                "; {} could not be read, so whether {} captures is unknown: {}",
                if unreadable.len() == 1 {
                    "1 file".to_string()
                } else {
                    format!("{} files", unreadable.len())
                },
                if unreadable.len() == 1 {
                    "it holds"
                } else {
                    "they hold"
                },
                why.join(", ")
            ));
        }
        notes.push(note);
        out.extend(found.into_iter().map(|(_, p)| p));
        out.extend(unreadable.into_iter().map(|(p, _)| p));
    }
    once_each(&mut out, &mut notes);
    Ok((out, notes))
}

/// Keeps the first of the inputs that name one file (by device and inode: `a a`, `./a`, a
/// link to it, a directory and a file in it), with a note for each left out: a capture read
/// twice would count every connection twice. Standard input (`-`) and paths that cannot be
/// looked at stay (their own error comes when they are read).
fn once_each(inputs: &mut Vec<PathBuf>, notes: &mut Vec<String>) {
    use std::os::unix::fs::MetadataExt;
    let mut seen: std::collections::HashMap<(u64, u64), PathBuf> = Default::default();
    inputs.retain(|p| {
        if p.as_os_str() == "-" {
            return true;
        }
        let Ok(meta) = std::fs::metadata(p) else {
            return true;
        };
        match seen.entry((meta.dev(), meta.ino())) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let same = if first.get() == p {
                    "given twice".to_string()
                } else {
                    format!("the same file as {}", first.get().display())
                };
                notes.push(format!("{}: {same}, read once", p.display()));
                false
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(p.clone());
                true
            }
        }
    });
}

/// "1 capture file", "2 capture files", "no other file".
fn files_counted(n: usize, what: &str) -> String {
    match n {
        0 => format!("no {what}"),
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(last: i64) -> Run {
        Run {
            path: "/tmp/a/cap_00000_20261125131300.pcap".into(),
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

    const CARRIED: Carried = Carried {
        open: 1,
        found: Some(1),
        looked: 1,
    };

    fn cont(r: &Run, n: &FirstPacket) -> Result<String, String> {
        continues(
            r,
            "/tmp/a/cap_00001_20261125131415.pcap",
            n,
            600,
            false,
            || CARRIED,
        )
    }

    /// A file continues the capture when it starts after it ended (or a little before,
    /// packets of several CPUs), within the idle timeout, on the same link type.
    #[test]
    fn continuation_needs_the_same_link_and_a_start_near_the_end() {
        let s = 1_000_000_000i64;
        let r = run(100 * s);
        let ok = cont(&r, &next(100 * s + 5, LinkType::ETHERNET)).unwrap();
        assert!(
            ok.starts_with("continues cap_00000_20261125131300.pcap"),
            "{ok}"
        );
        assert!(ok.contains("numbered on from 11"), "{ok}");
        assert!(cont(&r, &next(100 * s - s / 2, LinkType::ETHERNET)).is_ok());
        // Never before the previous file's own first packet, however close to its end.
        let short = Run {
            last_file_first: Timestamp(100 * s - s / 4),
            ..run(100 * s)
        };
        assert!(cont(&short, &next(100 * s - s / 2, LinkType::ETHERNET)).is_err());
        assert!(cont(&r, &next(700 * s, LinkType::ETHERNET)).is_ok());
        let late = cont(&r, &next(701 * s, LinkType::ETHERNET)).unwrap_err();
        assert!(late.contains("601.000 s after"), "{late}");
        let early = cont(&r, &next(98 * s, LinkType::ETHERNET)).unwrap_err();
        assert!(early.contains("2.000 s before"), "{early}");
        let other = cont(&r, &next(100 * s, LinkType::LINUX_SLL)).unwrap_err();
        assert!(other.contains("link type (LINUX_SLL)"), "{other}");
    }

    /// The names of the files of one rotation tool's run are that tool's; names alike but
    /// for their digits are a family; others are unrelated.
    #[test]
    fn names_of_one_set() {
        let tool = |a, b| matches!(names(a, b), Names::Tool(_));
        // tcpdump -C: the -w name, then numbers after it (also after an extension).
        assert!(tool("cap", "cap1"));
        assert!(tool("cap1", "cap2"));
        assert!(tool("cap.pcap", "cap.pcap1"));
        assert!(tool("cap.pcap9", "cap.pcap10"));
        // -W: padded, and back to 0 when the ring starts over; -z gzip.
        assert!(tool("cap07", "cap08"));
        assert!(tool("cap9", "cap0"));
        assert!(tool("cap.gz", "cap1.gz"));
        assert!(tool("cap1.gz", "cap2"));
        // dumpcap -b, editcap -c (number and time, either order), compressed or not.
        assert!(tool(
            "cap_00001_20261125131415.pcapng",
            "cap_00002_20261125131515.pcapng"
        ));
        assert!(tool(
            "out_00000_20261125131415.pcap",
            "out_00001_20261125131415.pcap"
        ));
        assert!(tool(
            "run-2_20261125131415_00009.pcapng.gz",
            "run-2_20261125131520_00010.pcapng.gz"
        ));
        assert!(tool(
            "cap_99999_20261125131415",
            "cap_100000_20261125131416"
        ));
        // Not a tool's: a number not one more (or going back), digits before an
        // extension, a dumpcap name going back in time.
        assert_eq!(names("cap3", "cap5"), Names::Digits);
        assert_eq!(names("cap3", "cap2"), Names::Digits);
        assert_eq!(
            names("python-close-1001.pcap", "python-close-1002.pcap"),
            Names::Digits
        );
        assert_eq!(names("cap-131415.pcap", "cap-131515.pcap"), Names::Digits);
        assert_eq!(
            names(
                "cap_00002_20261125131415.pcapng",
                "cap_00003_20261125131414.pcapng"
            ),
            Names::Digits
        );
        // Unrelated: more than digits differ.
        for (a, b) in [
            (
                "rustls-tls13-aes256gcm-close-1000.pcap",
                "rustls-tls13-aes256gcm-drop.pcap",
            ),
            (
                "cap_00001_20261125131415.pcapng",
                "dog_00002_20261125131515.pcapng",
            ),
            ("cap.pcap", "cap.pcapng"),
            ("a.pcap", "b.pcap"),
        ] {
            assert_eq!(names(a, b), Names::Unrelated, "{a} {b}");
        }
    }

    /// A ring's numbers are read only from a tool's names: the gap between two of them is
    /// the files that lay between.
    #[test]
    fn ring_numbers_of_a_tools_names() {
        let n = |a, b| ring_numbers(a, b).map(|r| (r.prev, r.next, r.trailing, r.between()));
        assert_eq!(n("cap", "cap1"), Some((0, 1, true, 0)));
        assert_eq!(n("cap1", "cap4"), Some((1, 4, true, 2)));
        assert_eq!(n("cap07", "cap10"), Some((7, 10, true, 2)));
        assert_eq!(n("cap1.gz", "cap3"), Some((1, 3, true, 1)));
        // A -W ring starting over: nothing between.
        assert_eq!(n("cap9", "cap0"), Some((9, 0, true, 0)));
        assert_eq!(
            n(
                "cap_00001_20261125131415.pcapng",
                "cap_00030_20261125131416.pcapng"
            ),
            Some((1, 30, false, 28))
        );
        assert_eq!(
            n(
                "run_20261125131415_00009.pcapng",
                "run_20261125131520_00012.pcapng"
            ),
            Some((9, 12, false, 2))
        );
        // Not one set's, or digits that are not a ring's number.
        assert_eq!(ring_numbers("cap1", "dog4"), None);
        assert_eq!(
            ring_numbers("python-close-1001.pcap", "python-close-1006.pcap"),
            None
        );
        assert_eq!(ring_numbers("cap-131415.pcap", "cap-131515.pcap"), None);
        assert_eq!(
            ring_numbers(
                "cap_00001_20261125131415.pcapng",
                "dog_00003_20261125131415.pcapng"
            ),
            None
        );
    }

    /// Names alike but for their digits need a TCP connection that goes on; a tool's do
    /// not; unrelated names are never joined; --join-files joins whatever the names.
    #[test]
    fn what_the_names_need() {
        let s = 1_000_000_000i64;
        let r = Run {
            path: "/tmp/a/python-close-1001.pcap".into(),
            ..run(100 * s)
        };
        let n = next(100 * s + s, LinkType::ETHERNET);
        let none = || Carried {
            open: 0,
            found: None,
            looked: 15,
        };
        let asked = std::cell::Cell::new(false);
        let why = continues(&r, "python-close-1002.pcap", &n, 600, false, || {
            asked.set(true);
            none()
        })
        .unwrap_err();
        assert!(asked.get());
        assert!(why.contains("differ only in their digits"), "{why}");
        assert!(
            why.contains(
                "python-close-1001.pcap left none open, and none of this file's 15 packets"
            ),
            "{why}"
        );
        assert!(why.contains("--join-files"), "{why}");
        let ok = continues(&r, "python-close-1002.pcap", &n, 600, false, || CARRIED).unwrap();
        assert!(ok.contains("its packet 1 is of a TCP connection"), "{ok}");
        let other = continues(&r, "python-deflate.pcap", &n, 600, false, || CARRIED).unwrap_err();
        assert!(
            other.contains("differ in more than their digits"),
            "{other}"
        );
        let forced = continues(&r, "python-deflate.pcap", &n, 600, true, none).unwrap();
        assert!(forced.contains("--join-files"), "{forced}");
        // A tool's names need no connection going on (it is not even asked).
        let t = Run {
            path: "/tmp/cap".into(),
            ..run(100 * s)
        };
        let ok = continues(&t, "/tmp/cap1", &n, 600, false, || unreachable!()).unwrap();
        assert!(ok.contains("tcpdump -C"), "{ok}");
        // Forcing still needs the times and the link type to fit.
        assert!(continues(
            &r,
            "x.pcap",
            &next(800 * s, LinkType::ETHERNET),
            600,
            true,
            none
        )
        .is_err());
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
