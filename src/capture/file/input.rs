//! Opening an input: a path, or standard input (`-`); compression undone when the data
//! starts with its magic number, whatever the file's name (as Wireshark reads them): gzip
//! (RFC 1952 §2.3.1: ID1 ID2 = 1f 8b; the members of a multi-member file, §2.2, read as one
//! stream), zstd (RFC 8878 §3.1.1: 28 b5 2f fd; every frame of the file in turn, skippable
//! frames skipped, §3.1.2, and each frame's content checksum checked) and LZ4 frames (lz4
//! frame format: 04 22 4d 18; concatenated frames in turn). Decompressed by flate2
//! (zlib-rs), ruzstd and lz4_flex, all pure Rust.
//!
//! In: a path, and a [`Progress`] counter when a progress bar wants one. Out: the
//! (decompressed) byte stream, its [`Compression`], the file's size on disk (none for a
//! stream: standard input, a FIFO, a `/dev/fd` pipe, see [`is_stream`], opened once), a
//! stream's SHA-256 computed as it is read when asked ([`Digest`]), and where a
//! damaged compressed stream stopped ([`Damage`]): a decompression error ends the stream
//! instead of failing the input, so the packets before it are still read. A compressed input
//! is then read a block of [`BLOCK`] decompressed bytes at a time ([`Blocks`]), decompressed
//! by the reading thread or, when asked, by a thread of its own a few blocks ahead. No
//! capture format is read here: the bytes go to `stream`, whose first record is the
//! capture's header.

use super::Progress;
use crate::error::Error;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};

/// Counts the bytes read from the file itself (before any decompression).
pub(super) struct Counted<R> {
    pub(super) inner: R,
    pub(super) progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened input.
pub(super) struct Opened {
    /// Its (decompressed) bytes.
    pub(super) reader: Box<dyn Read + Send>,
    pub(super) compression: Option<Compression>,
    /// The file's size on disk; none for a stream.
    pub(super) size: Option<u64>,
    /// Where a damaged compressed stream will say it stopped.
    pub(super) damage: Damage,
    /// Read as a stream ([`is_stream`]): once, from its start.
    pub(super) stream: bool,
    /// The SHA-256 of a stream's bytes as they are read, when asked for.
    pub(super) digest: Option<Digest>,
}

/// Is `path` read as a stream: standard input (`-`), or anything else that is neither a
/// regular file nor a directory (a FIFO, a shell's process substitution `<(...)`, which is
/// a `/dev/fd` path of a pipe, a character device)? Such an input is opened once and read
/// once from its start: nothing opens it beforehand to peek at its first bytes or packet,
/// nor again to hash it or to share it among threads (a second open would wait for a writer
/// that is gone, or take bytes away from the reading). Decided by the path's metadata,
/// which opens nothing.
pub fn is_stream(path: &Path) -> bool {
    path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The SHA-256 of an input's bytes (before decompression) as they are read, and whether
/// they were read to their end: a stream cannot be read again to hash it.
#[derive(Clone, Default)]
pub(super) struct Digest(Arc<Mutex<(sha2::Sha256, bool)>>);

impl Digest {
    /// The hex digest if the bytes were read to their end, or why there is none.
    pub(super) fn finish(&self) -> Result<String, String> {
        use sha2::Digest as _;
        let Ok(d) = self.0.lock() else {
            return Err("not computed".into());
        };
        if !d.1 {
            return Err("reading stopped before the end of the stream".into());
        }
        Ok(d.0
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }
}

/// Adds the bytes read through it to a [`Digest`], and marks the end when it is reached.
struct Hashing<R> {
    inner: R,
    digest: Digest,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use sha2::Digest as _;
        let n = self.inner.read(buf)?;
        if let Ok(mut d) = self.digest.0.lock() {
            if n == 0 && !buf.is_empty() {
                d.1 = true;
            }
            d.0.update(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// How a capture file is compressed, found by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
    /// LZ4 frames.
    Lz4,
}

impl Compression {
    /// "gzip", "zstd" or "lz4", as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
        }
    }

    /// The compression whose magic number `head` starts with.
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            Some(Compression::Lz4)
        } else {
            None
        }
    }
}

/// Every zstd frame of a stream in turn (ruzstd's `StreamingDecoder` reads one): skippable
/// frames skipped, each frame's content checksum checked when it has one.
struct Zstd<R> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    /// A frame was started (its header read).
    in_frame: bool,
}

impl<R: BufRead> Zstd<R> {
    fn new(source: R) -> Zstd<R> {
        Zstd {
            source,
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }

    /// Starts the next frame; `false` at the end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => {
                    self.in_frame = true;
                    return Ok(true);
                }
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a skippable zstd frame is cut short",
                        ));
                    }
                }
                Err(FrameDecoderError::WindowSizeTooBig { requested, max }) => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        window_too_big(requested, max),
                    ))
                }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
    }
}

/// What starts the error of a zstd frame whose window is over what is decompressed in
/// memory (`zstd --long=28` and more): not damage, and `stream` says so.
pub(super) const ZSTD_WINDOW: &str = "zstd window ";

/// "zstd window of 256 MiB (--long=28) is over the 128 MiB ...".
fn window_too_big(requested: u64, max: u64) -> String {
    format!(
        "{ZSTD_WINDOW}of {} MiB (compressed with zstd --long={}) is over the {} MiB that wsclose \
         decompresses in memory",
        requested >> 20,
        63 - requested.max(1).leading_zeros(),
        max >> 20
    )
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let d = &mut self.decoder;
            if self.in_frame {
                while d.can_collect() == 0 && !d.is_finished() {
                    d.decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(io::Error::other)?;
                }
                let n = d.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if let (Some(want), Some(got)) =
                    (d.get_checksum_from_data(), d.get_calculated_checksum())
                {
                    if want != got {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "a zstd frame's content checksum does not match its content",
                        ));
                    }
                }
                self.in_frame = false;
            }
            if !self.next_frame()? {
                return Ok(0);
            }
        }
    }
}

/// Set when the decompressed stream ended in an error: (bytes delivered before, why).
pub(super) type Damage = Arc<Mutex<Option<(u64, String)>>>;

/// A gzip stream that ends at its first error instead of failing the whole input: what was
/// decompressed before the damage is still analyzed, and the damage becomes a warning.
struct Tolerant<R> {
    inner: R,
    delivered: u64,
    damage: Damage,
}

impl<R: Read> Read for Tolerant<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.delivered += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                if let Ok(mut d) = self.damage.lock() {
                    d.get_or_insert((self.delivered, e.to_string()));
                }
                Ok(0)
            }
        }
    }
}

/// Decompressed bytes per block of a gzip input.
const BLOCK: usize = 256 << 10;

/// Blocks decompressed ahead of the reader, when a thread decompresses (memory: this
/// many blocks, plus the one being filled and the one being read).
const AHEAD_BLOCKS: usize = 2;

/// Reads `inner` into `buf` until it holds [`BLOCK`] bytes or `inner` ends. The same reads,
/// whichever thread makes them: a damaged gzip stream gives the same bytes before its
/// damage (how much a decoder hands over before an error depends on the reads), so the
/// report is the same with or without the decompressing thread.
fn fill_block(inner: &mut dyn Read, buf: &mut Vec<u8>) {
    buf.resize(BLOCK, 0);
    let mut have = 0;
    while have < BLOCK {
        match inner.read(buf.get_mut(have..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // `Tolerant` already turned a gzip error into an end and a recorded damage.
            Err(_) => break,
        }
    }
    buf.truncate(have);
}

/// Where a gzip input's decompressed blocks come from.
enum Source {
    /// This thread decompresses each block when the reader needs it.
    Here(Box<dyn Read + Send>),
    /// A thread of its own decompresses up to [`AHEAD_BLOCKS`] blocks ahead; emptied
    /// blocks go back to it to be filled again. Dropping the reader ends the thread after
    /// the block it is filling, and waits for that when the input is a file (`thread`),
    /// so that no thread outlives the analysis of a file; not for standard input, where
    /// the block may wait for bytes that never come.
    Ahead {
        blocks: mpsc::Receiver<Vec<u8>>,
        spent: mpsc::SyncSender<Vec<u8>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

impl Drop for Blocks {
    fn drop(&mut self) {
        let source = std::mem::replace(&mut self.source, Source::Here(Box::new(io::empty())));
        if let Source::Ahead {
            blocks,
            spent,
            thread,
        } = source
        {
            // With the channels gone, the thread's next send fails and it ends.
            drop((blocks, spent));
            if let Some(t) = thread {
                let _ = t.join();
            }
        }
    }
}

/// A gzip input read a block at a time (see [`fill_block`]).
pub(super) struct Blocks {
    source: Source,
    current: Vec<u8>,
    pos: usize,
}

impl Blocks {
    /// `wait`: the input is a file, whose reads end (see [`Source::Ahead`]).
    pub(super) fn new(inner: Box<dyn Read + Send>, ahead: bool, wait: bool) -> Blocks {
        let source = if ahead {
            Self::ahead(inner, wait)
        } else {
            Source::Here(inner)
        };
        Blocks {
            source,
            current: Vec::new(),
            pos: 0,
        }
    }
}

impl Blocks {
    /// The decompressing thread, handed `inner` once it runs; if no thread can be made,
    /// this thread keeps `inner` and decompresses itself.
    fn ahead(inner: Box<dyn Read + Send>, wait: bool) -> Source {
        let (full, blocks) = mpsc::sync_channel::<Vec<u8>>(AHEAD_BLOCKS);
        let (spent, empty) = mpsc::sync_channel::<Vec<u8>>(AHEAD_BLOCKS + 2);
        let (hand, take) = mpsc::sync_channel::<Box<dyn Read + Send>>(1);
        let spawned = std::thread::Builder::new()
            .name("wsclose-gunzip".into())
            .spawn(move || {
                let Ok(mut inner) = take.recv() else { return };
                loop {
                    let mut buf = empty.try_recv().unwrap_or_default();
                    fill_block(&mut *inner, &mut buf);
                    let end = buf.is_empty();
                    // An empty block is the end; a failed send, a reader that is gone.
                    if full.send(buf).is_err() || end {
                        break;
                    }
                }
            });
        let Ok(thread) = spawned else {
            return Source::Here(inner);
        };
        match hand.send(inner) {
            Ok(()) => Source::Ahead {
                blocks,
                spent,
                thread: wait.then_some(thread),
            },
            Err(mpsc::SendError(inner)) => Source::Here(inner),
        }
    }
}

impl Read for Blocks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.current.len() {
            match &mut self.source {
                Source::Here(inner) => fill_block(&mut **inner, &mut self.current),
                Source::Ahead { blocks, spent, .. } => {
                    let next = blocks.recv().unwrap_or_default();
                    let done = std::mem::replace(&mut self.current, next);
                    // The thread reuses the buffer; if it is gone, the buffer is dropped.
                    let _ = spent.try_send(done);
                }
            }
            self.pos = 0;
            if self.current.is_empty() {
                return Ok(0);
            }
        }
        let rest = self.current.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        self.pos += n;
        Ok(n)
    }
}

/// An error opening or reading `path`, as the user is told it.
pub(super) fn io_error(path: &Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            path: path.to_path_buf(),
        },
        _ => Error::Io {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

/// Opens `path` ("-" for standard input), undoing gzip, zstd or lz4 when the data starts
/// with its magic; with `hash`, a stream's bytes are hashed as they are read.
pub(super) fn open(path: &Path, progress: Option<Progress>, hash: bool) -> Result<Opened, Error> {
    let map_err = |e| io_error(path, e);
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(io::stdin()), None)
    } else {
        // A FIFO's open waits for a writer, as any reader of one does.
        let f = File::open(path).map_err(map_err)?;
        let meta = f.metadata().map_err(map_err)?;
        if meta.is_dir() {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::other("is a directory, not a capture file"),
            });
        }
        (Box::new(f), meta.is_file().then_some(meta.len()))
    };
    open_raw(path, raw, size, progress, hash)
}

/// [`open`] from the raw bytes of `path` and its size on disk (none for a stream).
pub(super) fn open_raw(
    path: &Path,
    raw: Box<dyn Read + Send>,
    size: Option<u64>,
    progress: Option<Progress>,
    hash: bool,
) -> Result<Opened, Error> {
    let map_err = |e| io_error(path, e);
    // Anything but a regular file is read as a stream (`is_stream`, here from the file
    // opened).
    let stream = size.is_none();
    let digest = (hash && stream).then(Digest::default);
    let raw: Box<dyn Read + Send> = match &digest {
        Some(digest) => Box::new(Hashing {
            inner: raw,
            digest: digest.clone(),
        }),
        None => raw,
    };
    let raw: Box<dyn Read + Send> = match progress {
        Some(progress) => Box::new(Counted {
            inner: raw,
            progress,
        }),
        None => raw,
    };
    let mut buf = BufReader::with_capacity(64 * 1024, raw);
    let head = buf.fill_buf().map_err(map_err)?;
    let damage: Damage = Arc::default();
    let compression = Compression::sniff(head);
    let opened = |reader, compression| Opened {
        reader,
        compression,
        size,
        damage: Arc::clone(&damage),
        stream,
        digest: digest.clone(),
    };
    let inner: Box<dyn Read + Send> = match compression {
        None => return Ok(opened(Box::new(buf), None)),
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(buf)),
        Some(Compression::Zstd) => Box::new(Zstd::new(buf)),
        Some(Compression::Lz4) => Box::new(lz4_flex::frame::FrameDecoder::new(buf)),
    };
    let tolerant = Tolerant {
        inner,
        delivered: 0,
        damage: Arc::clone(&damage),
    };
    Ok(opened(Box::new(tolerant), compression))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::file::testing::temp;
    use crate::capture::file::{read, read_counted_ahead};
    use crate::vocab::{LinkType, Timestamp};

    /// Dropping a gzip file's reader before its end waits for the decompressing thread,
    /// which has dropped the input by then: no thread outlives the analysis of a file.
    #[test]
    fn dropping_the_read_ahead_ends_its_thread() {
        use std::sync::atomic::{AtomicBool, Ordering};
        /// An endless input whose reads take a while, that says when it is dropped.
        struct Slow(Arc<AtomicBool>);
        impl Read for Slow {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                std::thread::sleep(std::time::Duration::from_millis(20));
                out.fill(7);
                Ok(out.len())
            }
        }
        impl Drop for Slow {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let mut blocks = Blocks::new(Box::new(Slow(Arc::clone(&dropped))), true, true);
        let mut first = [0u8; 100];
        blocks.read_exact(&mut first).unwrap();
        assert_eq!(first, [7; 100]);
        drop(blocks);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the thread still holds the input"
        );
    }

    /// A gzip input decompressed on a thread of its own gives what the plain reading gives:
    /// the same packets and summary, warnings included, whole, cut short, and with damaged
    /// compressed bytes in the middle; more than a block of decompressed bytes each.
    #[test]
    fn gzip_read_ahead_gives_what_the_plain_reading_gives() {
        use crate::capture::write::PcapWriter;
        use std::io::Write;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
        for i in 0..4000u32 {
            let n = (i as usize * 7919) % 1500 + 14;
            let data: Vec<u8> = (0..n).map(|k| (k as u32 * 31 + i) as u8).collect();
            w.packet(Timestamp::from_parts(i64::from(i), 0), &data, n as u32)
                .unwrap();
        }
        let pcap = w.into_inner();
        assert!(pcap.len() > 3 * BLOCK);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&pcap).unwrap();
        let whole = gz.finish().unwrap();
        let mut damaged = whole.clone();
        let mid = damaged.len() / 2;
        for b in &mut damaged[mid..mid + 64] {
            *b = !*b;
        }
        let inputs = [
            ("whole", whole.clone()),
            ("cut", whole[..whole.len() * 2 / 3].to_vec()),
            ("damaged", damaged),
        ];
        for (what, bytes) in inputs {
            let p = temp(&format!("ahead-{what}.pcap.gz"), &bytes);
            let mut plain = Vec::new();
            let want = read(&p, &mut |pk| {
                plain.push((pk.number, pk.ts, pk.data.to_vec()))
            })
            .unwrap();
            let mut ahead = Vec::new();
            let got = read_counted_ahead(
                &p,
                &mut |pk| ahead.push((pk.number, pk.ts, pk.data.to_vec())),
                None,
                true,
                false,
            )
            .unwrap();
            assert!(want.gzip);
            assert_eq!(
                want.truncated,
                what != "whole",
                "{what}: {:?}",
                want.warnings
            );
            assert_eq!(got, want, "{what}");
            assert!(ahead == plain, "{what}: other packets");
            assert!(what != "whole" || plain.len() == 4000);
            std::fs::remove_file(&p).ok();
        }
    }

    /// zstd and lz4 inputs read like gzip ones: the same packets and summary as the plain
    /// file (bar the compression's name), with or without the decompressing thread; a zstd
    /// file of several frames with a skippable frame between them reads as one stream; cut
    /// short or with a checksum that does not match, the packets before are read and the
    /// input is marked truncated, never a panic.
    #[test]
    fn zstd_and_lz4_read_like_gzip() {
        use crate::capture::write::PcapWriter;
        use std::io::Write;
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
        for i in 0..3000u32 {
            let n = (i as usize * 7919) % 1500 + 14;
            let data: Vec<u8> = (0..n).map(|k| (k as u32 * 31 + i) as u8).collect();
            w.packet(Timestamp::from_parts(i64::from(i), 0), &data, n as u32)
                .unwrap();
        }
        let pcap = w.into_inner();
        assert!(pcap.len() > 3 * BLOCK);
        let zstd = |bytes: &[u8]| {
            ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
        };
        let lz4 = |bytes: &[u8]| {
            // Blocks of 64 KiB (the lz4 tool's are 4 MiB: a cut loses up to that much).
            let info =
                lz4_flex::frame::FrameInfo::new().block_size(lz4_flex::frame::BlockSize::Max64KB);
            let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        };
        let plain = temp("plain-for-zstd.pcap", &pcap);
        let mut want_packets = Vec::new();
        let want = read(&plain, &mut |pk| {
            want_packets.push((pk.number, pk.ts, pk.data.to_vec()))
        })
        .unwrap();
        std::fs::remove_file(&plain).ok();
        assert_eq!(want.packets, 3000);
        // Two zstd frames with a skippable frame (magic 0x184D2A50, 5 bytes) between.
        let half = pcap.len() / 2;
        let mut frames = zstd(&pcap[..half]);
        frames.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
        frames.extend_from_slice(&5u32.to_le_bytes());
        frames.extend_from_slice(b"skip!");
        frames.extend_from_slice(&zstd(&pcap[half..]));
        let whole = [("zstd", zstd(&pcap)), ("zstd", frames), ("lz4", lz4(&pcap))];
        for (i, (kind, bytes)) in whole.iter().enumerate() {
            assert_eq!(
                Compression::sniff(bytes).map(Compression::name),
                Some(*kind)
            );
            let p = temp(&format!("whole-{i}.pcap.{kind}"), bytes);
            for ahead in [false, true] {
                let mut got_packets = Vec::new();
                let got = read_counted_ahead(
                    &p,
                    &mut |pk| got_packets.push((pk.number, pk.ts, pk.data.to_vec())),
                    None,
                    ahead,
                    false,
                )
                .unwrap();
                assert_eq!(got.compression, Some(*kind));
                assert!(!got.gzip && !got.truncated, "{kind}: {:?}", got.warnings);
                assert_eq!(got.packets, want.packets, "{kind}");
                assert_eq!(got.bytes, Some(bytes.len() as u64));
                assert!(got_packets == want_packets, "{kind} {i}: other packets");
            }
            std::fs::remove_file(&p).ok();
            // Cut short: the packets before the cut, and the input says it was cut.
            let cut = &bytes[..bytes.len() * 2 / 3];
            let p = temp(&format!("cut-{i}.pcap.{kind}"), cut);
            let mut n = 0u64;
            let got = read(&p, &mut |_| n += 1).unwrap();
            std::fs::remove_file(&p).ok();
            assert!(got.truncated, "{kind} {i}");
            assert!(n > 500 && n < 3000, "{kind} {i}: {n}");
            assert!(
                got.warnings.iter().any(|w| w.contains(kind)),
                "{kind}: {:?}",
                got.warnings
            );
        }
        // A zstd frame whose checksum (its last 4 bytes) does not match.
        let mut bad = zstd(&pcap);
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let p = temp("bad-checksum.pcap.zstd", &bad);
        let got = read(&p, &mut |_| {}).unwrap();
        std::fs::remove_file(&p).ok();
        assert!(got.truncated);
        assert!(
            got.warnings.iter().any(|w| w.contains("checksum")),
            "{:?}",
            got.warnings
        );
    }
}
