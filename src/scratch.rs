//! An append-only anonymous temporary file for state the analyzer keeps out of memory:
//! finished reports beyond the store's budget (`report::store`) and frozen connections
//! (`freeze`). No RFC applies.
//!
//! In: encoded records, appended at the end. Out: the bytes of any record back, by its
//! offset and length, whether still in the in-memory batch or already written. The file
//! (`tempfile::tempfile_in`) has no name and is deleted by the system when the last handle
//! to it closes. It goes to TMPDIR's directory (`std::env::temp_dir`); where that cannot hold
//! one, to the system's own temporary directories, /tmp then /var/tmp, with a note that
//! says so ([`temp_file`]). A write that fails leaves its bytes pending, so everything
//! appended so far stays readable.

use std::fs::File;
#[cfg(not(unix))]
use std::io::Read;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;
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
    /// A new temporary file ([`temp_file`]) that writes appended bytes `batch` at a time,
    /// and the note of [`temp_file`] when it is not in TMPDIR's directory.
    pub fn new(batch: usize) -> io::Result<(Scratch, Option<String>)> {
        let (file, note) = temp_file()?;
        let scratch = Scratch {
            file: Arc::new(file),
            written: 0,
            pending: Vec::new(),
            batch,
        };
        Ok((scratch, note))
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

/// An anonymous temporary file in the first of `temp_dirs` that can hold one; with a note
/// when that is not the first (which one could not, why, and where the file went), or an
/// error that names every directory tried and why each failed.
pub fn temp_file() -> io::Result<(File, Option<String>)> {
    temp_file_in(&temp_dirs())
}

/// Where temporary files may go, each with how a message names it: TMPDIR's directory
/// (`std::env::temp_dir`: TMPDIR when set, else the system's), then on Unix the system's
/// own temporary directories, /tmp and /var/tmp (those not already named).
fn temp_dirs() -> Vec<(PathBuf, String)> {
    let first = std::env::temp_dir();
    let label = match std::env::var_os("TMPDIR") {
        Some(_) => format!("TMPDIR ({})", first.display()),
        None => first.display().to_string(),
    };
    let mut dirs = vec![(first, label)];
    if cfg!(unix) {
        for d in ["/tmp", "/var/tmp"] {
            let d = PathBuf::from(d);
            if !dirs.iter().any(|(p, _)| *p == d) {
                dirs.push((d.clone(), d.display().to_string()));
            }
        }
    }
    dirs
}

/// [`temp_file`] over `dirs` (each with its name for messages).
fn temp_file_in(dirs: &[(PathBuf, String)]) -> io::Result<(File, Option<String>)> {
    let mut failed: Vec<String> = Vec::new();
    for (dir, label) in dirs {
        match tempfile::tempfile_in(dir) {
            Ok(f) => {
                let note = (!failed.is_empty()).then(|| {
                    format!(
                        "{}: temporary files went to {} instead (set TMPDIR to a writable directory with free space to choose)",
                        failed.join("; "),
                        dir.display()
                    )
                });
                return Ok((f, note));
            }
            Err(e) => failed.push(format!("{label} cannot hold a temporary file ({e})")),
        }
    }
    Err(io::Error::other(format!(
        "no temporary file could be made: {} (set TMPDIR to a writable directory with free space)",
        failed.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first directory that can hold a temporary file takes it, and a note says which
    /// could not and why; when none can, the error names each.
    #[test]
    fn an_unusable_directory_is_passed_over_and_said() {
        let good = tempfile::tempdir().unwrap();
        let missing = good.path().join("no-such-dir");
        let dirs = |list: &[&std::path::Path]| -> Vec<(PathBuf, String)> {
            list.iter()
                .map(|p| (p.to_path_buf(), format!("[{}]", p.display())))
                .collect()
        };
        let (_, note) = temp_file_in(&dirs(&[good.path()])).unwrap();
        assert_eq!(note, None);
        let (_, note) = temp_file_in(&dirs(&[&missing, good.path()])).unwrap();
        let note = note.unwrap();
        assert!(
            note.starts_with(&format!(
                "[{}] cannot hold a temporary file (",
                missing.display()
            )),
            "{note}"
        );
        assert!(
            note.contains(&format!("went to {} instead", good.path().display())),
            "{note}"
        );
        let e = temp_file_in(&dirs(&[&missing, &missing.join("deeper")])).unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with("no temporary file could be made: ["), "{e}");
        assert_eq!(e.matches("cannot hold a temporary file").count(), 2, "{e}");
        assert!(e.contains("set TMPDIR"), "{e}");
    }
}
