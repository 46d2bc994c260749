//! An append-only anonymous temporary file for state the analyzer keeps out of memory:
//! finished reports beyond the store's budget (`report::store`) and frozen connections
//! (`freeze`). No RFC applies.
//!
//! In: encoded records, appended at the end. Out: the bytes of any record back, by its
//! offset and length, whether still in the in-memory batch or already written. The file
//! (`tempfile::tempfile`) has no name and is deleted by the system when the last handle to
//! it closes. A write that fails leaves its bytes pending, so everything appended so far
//! stays readable.

use std::fs::File;
#[cfg(not(unix))]
use std::io::Read;
use std::io::{self, Seek, SeekFrom, Write};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Scratch {
    file: Arc<File>,
    /// Bytes written to the file; `pending` follows them.
    written: u64,
    pending: Vec<u8>,
    /// Pending bytes gathered before they are written in one go.
    batch: usize,
}

impl Scratch {
    /// A new temporary file that writes appended bytes `batch` at a time.
    pub fn new(batch: usize) -> io::Result<Scratch> {
        Ok(Scratch {
            file: Arc::new(tempfile::tempfile()?),
            written: 0,
            pending: Vec::new(),
            batch,
        })
    }

    /// Appends what `encode` writes at the end of its vector; returns where it went (offset
    /// and length), or `None` (nothing appended) when it is 4 GiB or more.
    pub fn append(&mut self, encode: impl FnOnce(&mut Vec<u8>)) -> Option<(u64, u32)> {
        let at = self.end();
        let start = self.pending.len();
        encode(&mut self.pending);
        match u32::try_from(self.pending.len() - start) {
            Ok(len) => Some((at, len)),
            Err(_) => {
                self.pending.truncate(start);
                None
            }
        }
    }

    /// Writes the pending bytes once a batch has gathered.
    pub fn maybe_flush(&mut self) -> io::Result<()> {
        if self.pending.len() >= self.batch {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the pending bytes at the end of the file. On failure they stay pending.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut f = &*self.file;
        f.seek(SeekFrom::Start(self.written))?;
        f.write_all(&self.pending)?;
        self.written += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// The offset the next record will have: every byte appended so far.
    pub fn end(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    /// Bytes written to the file itself (the rest is pending).
    #[cfg(any(test, feature = "internals"))]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Reads the record at `at` of `len` bytes into `buf` (replacing its contents).
    pub fn read(&self, at: u64, len: u32, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        let len = len as usize;
        if at >= self.written {
            let from = usize::try_from(at - self.written).map_err(io::Error::other)?;
            let bytes = self
                .pending
                .get(from..from.saturating_add(len))
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a record lies beyond the temporary file's end",
                    )
                })?;
            buf.extend_from_slice(bytes);
            return Ok(());
        }
        buf.resize(len, 0);
        read_at(&self.file, at, buf)
    }
}

/// Reads `buf.len()` bytes at `at`: one system call where the platform has positioned
/// reads (the report phase reads back thousands of records).
#[cfg(unix)]
fn read_at(f: &File, at: u64, buf: &mut [u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(not(unix))]
fn read_at(mut f: &File, at: u64, buf: &mut [u8]) -> io::Result<()> {
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}
