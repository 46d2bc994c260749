//! One capture followed as it is written (`wsclose analyze --follow`), as `tail -f` follows
//! a file: standard input, a FIFO or a pipe read as its bytes come, or a regular file read
//! to its current end and then again each time it grows, until the input ends (a stream's
//! writer closes it) or [`Stop`] is set (the binary sets it on SIGINT or SIGTERM).
//!
//! A regular file is looked at again every [`POLL`] when it has nothing more (no busy
//! wait): a record half written is waited for, not taken for the file's end. A file that
//! shrinks while it is followed (truncated, as logrotate's `copytruncate` does) stops the
//! following there, with a warning on the input; a file renamed away (`tcpdump -C`/`-G`,
//! logrotate's default) goes on being read under its new name, as `tail -f` (not `-F`)
//! does. A file truncated and written again grown past the bytes read is told too: its
//! first bytes are read again after each read ([`HEAD`]). A ring's file (`RingFile`) ends
//! once a newer one is there, and says when it was rewritten before it was read to its end.
//! A compressed regular file cannot be followed (its decompressor would take the file's
//! current end for the end of its data): refused. A stream is read on a thread of
//! its own into a small queue ([`QUEUE`] chunks of [`CHUNK`] bytes), so that a stop is
//! seen within [`POLL`] even while its writer is silent, or while no writer has opened a
//! FIFO yet (opened without waiting, it is waited on by that thread).
//!
//! In: a path, a stop flag. Out: each packet to a callback as its record is whole, and the
//! input's [`InputSummary`].

use super::input::{io_error, open_raw};
use crate::capture::Packet;
use crate::error::Error;
use crate::vocab::InputSummary;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Set to stop following: the bytes already there are read, then the input ends.
pub type Stop = Arc<AtomicBool>;

/// How long a followed input that has nothing more is left before it is looked at again.
pub const POLL: Duration = Duration::from_millis(150);

/// Bytes one read of a followed stream hands over at most.
const CHUNK: usize = 64 << 10;

/// Chunks of a followed stream read ahead at most (the reading thread then waits).
const QUEUE: usize = 4;

/// A regular file shrank under its reader: its size then, and the bytes read before.
type Shrank = Arc<Mutex<Option<(u64, u64)>>>;

/// Reads every packet of `path` as it is written, calling `sink` for each, until the input
/// ends or `stop` is set; with `hash`, its bytes are hashed as they are read.
pub fn read_follow(
    path: &Path,
    sink: &mut dyn FnMut(&Packet<'_>),
    stop: &Stop,
    hash: bool,
) -> Result<InputSummary, Error> {
    read_follow_until(path, sink, stop, hash, None)
}

/// Where the writer of a ring's file followed is now ([`RingState`]), asked each time the
/// file has nothing more.
pub type Superseded = Arc<RingFile>;

/// A ring's file followed: where its writer is, asked of its directory; and whether it was
/// found rewritten under its reader (then the packets it held past those read are lost).
pub struct RingFile {
    state: Box<dyn Fn() -> RingState + Send + Sync>,
    /// Found rewritten: its size then, and the bytes read before.
    rewritten: Mutex<Option<(u64, u64)>>,
}

impl RingFile {
    /// A ring's file whose writer's state `state` tells.
    pub fn new(state: impl Fn() -> RingState + Send + Sync + 'static) -> Superseded {
        Arc::new(RingFile {
            state: Box::new(state),
            rewritten: Mutex::new(None),
        })
    }

    /// Where its writer is now.
    pub fn state(&self) -> RingState {
        (self.state)()
    }

    /// Whether its reader found it rewritten before it was read to its end.
    pub fn rewritten(&self) -> bool {
        self.rewritten_at().is_some()
    }

    /// Found rewritten before it was read to its end: the warning that says so.
    pub fn rewritten_words(&self) -> Option<String> {
        self.rewritten_at()
            .map(|(size, read)| ring_rewritten_words(size, read))
    }

    fn rewritten_at(&self) -> Option<(u64, u64)> {
        self.rewritten.lock().ok().and_then(|r| *r)
    }
}

/// The warning of a ring's file rewritten under its reader (`size` bytes now, `read` read).
fn ring_rewritten_words(size: u64, read: u64) -> String {
    format!(
        "the capture ring's writer opened this file again and rewrote it (tcpdump -W reuses \
         its file names) before it was read to its end: {read} bytes were read (now {size}); \
         the packets it held after those are missing, so the connections open then are not \
         followed on into the ring's next file; a larger ring (-W, -C) keeps more"
    )
}

/// A ring's file followed, as its directory shows it when the file has nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingState {
    /// Still the newest: more may come.
    Current,
    /// A newer file of its ring has appeared (its writer moved on): its end, once read, is
    /// its end.
    Superseded,
    /// Its name holds another capture now (`tcpdump -W` opens a ring's oldest name again,
    /// truncating it, on the same inode): the bytes past those read are the new capture's,
    /// and what the old one held past them is lost.
    Rewritten,
}

/// [`read_follow`] of one file of a capture ring: a regular file ends too once it has
/// nothing more and `superseded` says a newer file is there (read to its size then).
pub fn read_follow_until(
    path: &Path,
    sink: &mut dyn FnMut(&Packet<'_>),
    stop: &Stop,
    hash: bool,
    superseded: Option<Superseded>,
) -> Result<InputSummary, Error> {
    let map_err = |e| io_error(path, e);
    let shrank: Shrank = Arc::default();
    let superseded_given = superseded.is_some();
    let (raw, regular): (Box<dyn Read + Send>, bool) = if path.as_os_str() == "-" {
        (Box::new(Pumped::start(io::stdin(), stop)), false)
    } else if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
        // A FIFO's open waits for a writer, as any reader of one does; a stop would not be
        // seen there. Opened without waiting (`O_NONBLOCK`: one that cannot be read fails
        // at once), and read on the reading thread, which waits in `poll` for a writer's
        // bytes or its going ([`Fifo`]).
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(map_err)?;
        (Box::new(Pumped::start(Fifo(f), stop)), false)
    } else {
        let f = File::open(path).map_err(map_err)?;
        let meta = f.metadata().map_err(map_err)?;
        if meta.is_dir() {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::other("is a directory, not a capture file"),
            });
        }
        if meta.is_file() {
            (Box::new(Tail::new(f, stop, &shrank, superseded)), true)
        } else {
            (Box::new(Pumped::start(f, stop)), false)
        }
    };
    // Followed, a file is read as a stream: its size on disk is not its size.
    let opened = open_raw(path, raw, None, None, hash)?;
    if let (true, Some(kind)) = (regular, opened.compression) {
        return Err(Error::Usage(format!(
            "--follow cannot follow {} as it grows: it is {} compressed, and a decompressor \
             takes the file's current end for the end of its data; run `wsclose analyze {0}` \
             to read it as it is, or follow the uncompressed capture as it is written",
            crate::sanitize::terminal(&path.display().to_string()),
            kind.name()
        )));
    }
    // Read as a stream (no size on disk), a compressed pipe is decompressed in turn.
    let (mut summary, tally) = super::read_opened(path, opened, false, sink)?;
    if let Some((size, read)) = shrank.lock().ok().and_then(|s| *s) {
        summary.truncated = true;
        summary.warnings.push(if superseded_given {
            ring_rewritten_words(size, read)
        } else if size < read {
            format!(
                "the file shrank from {read} to {size} bytes while it was followed (truncated, \
                 as logrotate's copytruncate does): following stopped there, and the report \
                 covers the {} packets read before; follow the new capture with a new run",
                summary.packets
            )
        } else {
            format!(
                "the file was rewritten from its start while it was followed (truncated and \
                 written again, {size} bytes now; {read} were read): following stopped there, \
                 and the report covers the {} packets read before; follow the new capture \
                 with a new run",
                summary.packets
            )
        });
    }
    Ok(tally.finish(summary))
}

/// A regular file read as `tail -f` reads it: at its end, looked at again every [`POLL`]
/// until it grows, shrinks (the end, said in `shrank`) or `stop` is set (the end once the
/// bytes the file held then are read).
struct Tail {
    file: File,
    /// Bytes read so far.
    read: u64,
    stop: Stop,
    /// The file's size when `stop` was seen: read up to there, then the end.
    until: Option<u64>,
    shrank: Shrank,
    /// A ring's file: ends once a newer one is there and this one has nothing more.
    superseded: Option<Superseded>,
    /// The file's first bytes as read (at most [`HEAD`]): read again after each read, a
    /// file truncated and written again under its reader (a `tcpdump -W` ring's name
    /// opened again, `copytruncate` then new packets) is told from one that only grew, even
    /// when it grew past the bytes read before it was looked at.
    head: Vec<u8>,
}

/// How many of a followed file's first bytes are kept to tell it rewritten: a pcap's file
/// header and first record header (its time), a pcapng's section and interface blocks as
/// capture tools write them and, mostly, its first packet's time.
const HEAD: usize = 512;

impl Tail {
    fn new(file: File, stop: &Stop, shrank: &Shrank, superseded: Option<Superseded>) -> Tail {
        Tail {
            file,
            read: 0,
            stop: Arc::clone(stop),
            until: None,
            shrank: Arc::clone(shrank),
            superseded,
            head: Vec::new(),
        }
    }

    /// The end: the file holds another capture now (`size` bytes), said in `shrank`.
    fn rewritten(&mut self, size: u64) -> io::Result<usize> {
        if let Ok(mut s) = self.shrank.lock() {
            *s = Some((size, self.read));
        }
        if let Some(mut r) = self
            .superseded
            .as_ref()
            .and_then(|r| r.rewritten.lock().ok())
        {
            *r = Some((size, self.read));
        }
        Ok(0)
    }

    /// Whether the file's first bytes are still those read first (one `pread` of at most
    /// [`HEAD`] bytes), after `fresh` more were read from `at`.
    fn same_head(&mut self, fresh: &[u8], at: u64) -> io::Result<bool> {
        use std::os::unix::fs::FileExt;
        if let Some(more) = usize::try_from(at)
            .ok()
            .filter(|&a| a < HEAD)
            .map(|a| fresh.get(..(HEAD - a).min(fresh.len())).unwrap_or_default())
        {
            self.head.extend_from_slice(more);
        }
        let mut now = vec![0; self.head.len()];
        let mut got = 0;
        while got < now.len() {
            match self
                .file
                .read_at(now.get_mut(got..).unwrap_or_default(), got as u64)
            {
                Ok(0) => return Ok(false),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(now == self.head)
    }
}

impl Read for Tail {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.until.is_none() && self.stop.load(Ordering::Relaxed) {
                self.until = Some(self.file.metadata()?.len());
            }
            let room = match self.until {
                Some(end) => usize::try_from(end.saturating_sub(self.read))
                    .unwrap_or(usize::MAX)
                    .min(buf.len()),
                None => buf.len(),
            };
            if room == 0 {
                return Ok(0);
            }
            let n = match self.file.read(buf.get_mut(..room).unwrap_or_default()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            if n > 0 {
                // Truncated and written again since the bytes before were read: these are
                // another capture's, dropped.
                let at = self.read;
                if !self.same_head(buf.get(..n).unwrap_or_default(), at)? {
                    let size = self.file.metadata()?.len();
                    return self.rewritten(size);
                }
                self.read += n as u64;
                return Ok(n);
            }
            if self.until.is_some() {
                return Ok(0);
            }
            let size = self.file.metadata()?.len();
            if size < self.read {
                return self.rewritten(size);
            }
            match self.superseded.as_ref().map(|f| f.state()) {
                // A newer file of the ring: the writer has moved on; what this one holds
                // now (its last bytes may have come since the read above) is all it will
                // hold.
                Some(RingState::Superseded) => {
                    self.until = Some(self.file.metadata()?.len());
                    continue;
                }
                // Opened again and rewritten from its start: what follows is not this
                // capture's (said as a file that shrank).
                Some(RingState::Rewritten) => return self.rewritten(size),
                Some(RingState::Current) | None => {}
            }
            std::thread::sleep(POLL);
        }
    }
}

/// A FIFO opened with `O_NONBLOCK`, read as if it had been opened the usual way: a read
/// waits in `poll` until there are bytes or a writer that came has gone (Linux reports no
/// hang-up before a first writer has opened it), then reads what there is (nothing: the
/// end). Opened so, it never lets a writer waiting in its own open go on without a reader
/// (which a probe opened and closed would: the writer's next write fails).
struct Fifo(File);

impl Read for Fifo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        loop {
            let mut fd = libc::pollfd {
                fd: self.0.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, for the length given.
            if unsafe { libc::poll(&mut fd, 1, -1) } < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            match self.0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return r,
            }
        }
    }
}

/// A stream read on a thread of its own, its bytes handed over through a bounded queue, so
/// that its reader sees `stop` within [`POLL`] even while the writer sends nothing. Once
/// stopped, what the queue holds is read, then the end (the thread, waiting on its input,
/// ends with the process).
struct Pumped {
    queue: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    stop: Stop,
    ended: bool,
}

impl Pumped {
    fn start<R: Read + Send + 'static>(mut input: R, stop: &Stop) -> Pumped {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("follow".into())
            .spawn(move || loop {
                let mut chunk = vec![0; CHUNK];
                match input.read(&mut chunk) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() || n == 0 {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            });
        let (queue, ended) = match spawned {
            Ok(_) => (rx, false),
            // No thread: an empty input (the error below says why).
            Err(_) => (rx, true),
        };
        Pumped {
            queue,
            chunk: Vec::new(),
            at: 0,
            stop: Arc::clone(stop),
            ended,
        }
    }
}

impl Read for Pumped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            if self.ended || buf.is_empty() {
                return Ok(0);
            }
            let next = if self.stop.load(Ordering::Relaxed) {
                match self.queue.try_recv() {
                    Ok(c) => c,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                        self.ended = true;
                        return Ok(0);
                    }
                }
            } else {
                match self.queue.recv_timeout(POLL) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => {
                        self.ended = true;
                        return Ok(0);
                    }
                }
            };
            self.chunk = next?;
            self.at = 0;
            if self.chunk.is_empty() {
                self.ended = true;
                return Ok(0);
            }
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    /// A file read to its end waits for more: bytes appended later are read, a read
    /// in between answers nothing only once stopped.
    #[test]
    fn a_file_is_read_as_it_grows_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grows");
        let mut w = File::create(&path).unwrap();
        w.write_all(b"abc").unwrap();
        let stop: Stop = Arc::default();
        let mut tail = Tail::new(File::open(&path).unwrap(), &stop, &Arc::default(), None);
        let mut buf = [0u8; 16];
        assert_eq!(tail.read(&mut buf).unwrap(), 3);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            w.write_all(b"de").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            w.write_all(b"f").unwrap();
            stop.store(true, Ordering::Relaxed);
        });
        let started = Instant::now();
        assert_eq!(tail.read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"de");
        assert!(started.elapsed() >= Duration::from_millis(250));
        let mut rest = Vec::new();
        tail.read_to_end(&mut rest).unwrap();
        // The byte written before the stop is read; then the end.
        assert_eq!(rest, b"f");
        writer.join().unwrap();
    }

    /// A ring's file ends once a newer one is there: the bytes it holds then are read (a
    /// last write after the newer one appeared too), then the end, without a stop.
    #[test]
    fn a_rings_file_ends_once_superseded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap_00001");
        let mut w = File::create(&path).unwrap();
        w.write_all(b"abc").unwrap();
        let newer = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&newer);
        let ring = RingFile::new(move || {
            if seen.load(Ordering::Relaxed) {
                RingState::Superseded
            } else {
                RingState::Current
            }
        });
        let mut tail = Tail::new(
            File::open(&path).unwrap(),
            &Arc::default(),
            &Arc::default(),
            Some(ring),
        );
        let mut buf = [0u8; 16];
        assert_eq!(tail.read(&mut buf).unwrap(), 3);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            w.write_all(b"de").unwrap();
            newer.store(true, Ordering::Relaxed);
        });
        let mut rest = Vec::new();
        tail.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"de");
        writer.join().unwrap();
    }

    /// A file that shrinks under its reader ends the reading, and says so.
    #[test]
    fn a_file_that_shrinks_ends_the_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinks");
        std::fs::write(&path, b"abcdef").unwrap();
        let shrank: Shrank = Arc::default();
        let mut tail = Tail::new(File::open(&path).unwrap(), &Arc::default(), &shrank, None);
        let mut buf = [0u8; 16];
        assert_eq!(tail.read(&mut buf).unwrap(), 6);
        std::fs::write(&path, b"ab").unwrap();
        assert_eq!(tail.read(&mut buf).unwrap(), 0);
        assert_eq!(*shrank.lock().unwrap(), Some((2, 6)));
    }

    /// A file truncated and written again under its reader, grown past the bytes read
    /// before it is looked at (a `tcpdump -W` ring's name opened again while its reader was
    /// held up): the other capture's bytes are not read as this one's; a ring's file says
    /// it was rewritten.
    #[test]
    fn a_file_rewritten_past_the_bytes_read_ends_the_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap0");
        std::fs::write(&path, b"pcap-header first-capture").unwrap();
        let shrank: Shrank = Arc::default();
        let ring = RingFile::new(|| RingState::Current);
        let mut tail = Tail::new(
            File::open(&path).unwrap(),
            &Arc::default(),
            &shrank,
            Some(Arc::clone(&ring)),
        );
        let mut buf = [0u8; 64];
        assert_eq!(tail.read(&mut buf).unwrap(), 25);
        assert!(!ring.rewritten());
        // Same inode, truncated, then more bytes than were read.
        std::fs::write(&path, b"pcap-header second-capture, and a good deal more").unwrap();
        assert_eq!(tail.read(&mut buf).unwrap(), 0);
        assert!(ring.rewritten());
        assert_eq!(*shrank.lock().unwrap(), Some((48, 25)));
        // Only grown: read on.
        let path = dir.path().join("grows");
        std::fs::write(&path, b"pcap-header first").unwrap();
        let mut tail = Tail::new(
            File::open(&path).unwrap(),
            &Arc::default(),
            &Arc::default(),
            None,
        );
        assert_eq!(tail.read(&mut buf).unwrap(), 17);
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b" more").unwrap();
        assert_eq!(tail.read(&mut buf).unwrap(), 5);
    }

    /// A silent stream is left within a poll of the stop, what came before it read.
    #[test]
    fn a_silent_stream_ends_soon_after_the_stop() {
        /// Gives its bytes once, then blocks for ever (a writer that keeps the pipe open).
        struct Silent(Option<Vec<u8>>);
        impl Read for Silent {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.take() {
                    Some(b) => {
                        buf[..b.len()].copy_from_slice(&b);
                        Ok(b.len())
                    }
                    None => loop {
                        std::thread::sleep(Duration::from_secs(3600));
                    },
                }
            }
        }
        let stop: Stop = Arc::default();
        let mut p = Pumped::start(Silent(Some(b"xyz".to_vec())), &stop);
        let mut buf = [0u8; 8];
        assert_eq!(p.read(&mut buf).unwrap(), 3);
        let flag = Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, Ordering::Relaxed);
        });
        let started = Instant::now();
        assert_eq!(p.read(&mut buf).unwrap(), 0);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "{took:?}");
    }
}
