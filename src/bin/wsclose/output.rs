//! The capture files the binary writes (`extract -w`, `annotate -w`, `analyze --annotate`),
//! opened before the analysis so that a target that cannot be written fails at once.
//!
//! A regular file, existing or not, is written to a temporary file beside it and renamed
//! over it once complete (never seen half written; on failure it is left as it was). A
//! pipe, FIFO or device is written in place, and so is standard output, whichever way it is
//! named: `-`, `/dev/stdout`, `/proc/self/fd/1`, or the path of the file it was redirected
//! to (renaming a file over that path would replace another file than the one named). A
//! new file's mode is 0666 less the umask, as with any tool; a file that carries TLS
//! secrets is readable by its owner only (0600). A temporary file is registered with
//! `signals` while it exists: a run that SIGINT, SIGTERM or SIGHUP ends leaves no
//! temporary file and its targets as they were.
//!
//! Two outputs, or an output and an input, are the same file when they are one existing
//! file (device and inode), or, not there yet, the same name in the same directory once
//! the directory is resolved (`r.json`, `./r.json`, `sub/../r.json`).

use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use wsclose::error::Error;
use wsclose::sanitize::terminal;

use crate::signals::{Registered, Temps};

/// Where a capture is written.
pub(crate) enum OutputFile {
    /// Standard output, in place.
    Stdout,
    /// An existing file that is not a regular file (a device such as /dev/null, a FIFO):
    /// written in place, as nothing in it can be lost.
    Direct(File),
    /// A regular file, existing or not: written to `temp`, in the same directory, renamed
    /// over `target` once it is complete.
    Replace {
        temp: tempfile::NamedTempFile,
        /// The temporary file's entry in the registry of those a signal removes.
        registered: Registered,
        target: PathBuf,
        /// The mode the file gets: an existing file's own, a new one's 0666 less the umask.
        mode: u32,
    },
}

/// The metadata of the file standard output is.
fn stdout_meta() -> Option<Metadata> {
    use std::os::fd::AsFd;
    let fd = io::stdout().as_fd().try_clone_to_owned().ok()?;
    File::from(fd).metadata().ok()
}

/// The metadata of the file `path` names, `-` naming standard output's: to refuse an
/// output that is one of the inputs, whichever way it is named.
pub(crate) fn target_meta(path: &Path) -> Option<Metadata> {
    if path.as_os_str() == "-" {
        stdout_meta()
    } else {
        std::fs::metadata(path).ok()
    }
}

/// Whether `a` and `b` name the same file (one existing file; the same name in the same
/// resolved directory if neither is there yet: `r.json` and `./r.json`), `-` naming
/// standard output's.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (target_meta(a), target_meta(b)) {
        (Some(a), Some(b)) => a.dev() == b.dev() && a.ino() == b.ino() && !is_null(&a),
        (None, None) => a == b || resolved(a).is_some_and(|r| resolved(b) == Some(r)),
        _ => false,
    }
}

/// The file a path that is not there yet names: its directory resolved (links, `.` and
/// `..` followed) and its name; none when the directory cannot be resolved or the path
/// ends in `..`.
fn resolved(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(name))
}

/// The input or key log (`files`, `keys`) that `out` names, whichever way it is named:
/// an output that would replace what is read.
pub(crate) fn an_input(
    out: &Path,
    files: &[PathBuf],
    keys: &crate::cli::KeyArgs,
) -> Option<PathBuf> {
    let sources = keys.sources();
    let Some(meta) = target_meta(out) else {
        // Not there yet: one that is not there either, under the same name.
        return files
            .iter()
            .chain(sources.files.iter())
            .chain(sources.env.iter())
            .find(|f| same_file(out, f))
            .cloned();
    };
    let same = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    };
    files
        .iter()
        .chain(sources.files.iter())
        .chain(sources.env.iter())
        .find(|f| same(f))
        .cloned()
}

/// Whether `meta` is the null device (writing both a report and a capture there loses
/// nothing that was wanted).
fn is_null(meta: &Metadata) -> bool {
    meta.file_type().is_char_device()
        && std::fs::metadata("/dev/null").is_ok_and(|n| n.rdev() == meta.rdev())
}

/// Whether `path` names standard output: `-`, or a path of the file standard output is
/// (`/dev/stdout`, or the file it was redirected to), the null device aside.
pub(crate) fn is_stdout(path: &Path) -> bool {
    if path.as_os_str() == "-" {
        return true;
    }
    let (Ok(meta), Some(out)) = (std::fs::metadata(path), stdout_meta()) else {
        return false;
    };
    meta.dev() == out.dev() && meta.ino() == out.ino() && !is_null(&meta)
}

/// What a capture written to standard output needs: that the report does not go there too
/// (`report_too`), and that it is not a terminal. `flag` is the option as typed (`-w`,
/// `--annotate`), `what` the capture ("the annotated capture").
pub(crate) fn check_stdout(
    flag: &str,
    path: &Path,
    what: &str,
    report_too: bool,
) -> Result<(), Error> {
    use std::io::IsTerminal;
    let name = terminal(&path.display().to_string()).into_owned();
    if report_too {
        return Err(Error::Usage(format!(
            "{flag} {name} is standard output, where the report goes: the capture and the \
             report would be mixed in one stream. Write {what} to a file of its own \
             (`{flag} out.pcapng`)"
        )));
    }
    if io::stdout().is_terminal() {
        return Err(Error::Usage(format!(
            "{flag} {name} writes {what}, a binary capture, to standard output, which is a \
             terminal: redirect it (`> out.pcapng`) or pipe it (`| wireshark -k -i -`)"
        )));
    }
    Ok(())
}

impl OutputFile {
    /// Opens where `path` says, before anything is written: standard output (see
    /// [`is_stdout`]; the caller checks it with [`check_stdout`] first), a non-regular
    /// file in place, or a temporary file beside a regular one. `secrets`: the capture may
    /// carry TLS secrets, so the temporary file is owner-only from the start
    /// ([`OutputFile::finish`] gives it its mode).
    pub(crate) fn open(path: &Path, secrets: bool) -> Result<OutputFile, Error> {
        let fail = |e: io::Error| Error::Write {
            path: path.to_path_buf(),
            source: e,
        };
        if is_stdout(path) {
            return Ok(OutputFile::Stdout);
        }
        let existing = match std::fs::metadata(path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail(e)),
        };
        if let Some(meta) = &existing {
            if meta.is_dir() {
                return Err(fail(io::Error::other("it is a directory")));
            }
            if !meta.is_file() {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(fail)?;
                return Ok(OutputFile::Direct(file));
            }
        }
        // Through a symbolic link: the file it names is the one replaced, the link stays;
        // a link to no file yet makes that file, as `>` does.
        let target = match &existing {
            Some(_) => std::fs::canonicalize(path).map_err(fail)?,
            None => dangling_target(path).map_err(fail)?,
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // A new file: created 0666, which the system lessens by the umask. Registered
        // under the same lock: a signal finds it.
        let mut held = Temps::lock();
        let temp = tempfile::Builder::new()
            .prefix(".wsclose-extract-")
            .suffix(".part")
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(&dir)
            .map_err(|e| fail(os_error(e)))?;
        let registered = held.register(temp.path());
        drop(held);
        let mode = match &existing {
            Some(meta) => meta.permissions().mode(),
            None => temp
                .as_file()
                .metadata()
                .map_err(fail)?
                .permissions()
                .mode(),
        } & 0o7777;
        let start = if secrets { mode & 0o600 } else { mode };
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(start))
            .map_err(fail)?;
        Ok(OutputFile::Replace {
            temp,
            registered,
            target,
            mode,
        })
    }

    /// A buffered writer to it: a handle on the file already open, never the path opened
    /// again (the temporary file may already have a mode without the owner's write bit:
    /// that of a read-only file it replaces, or 0666 less a umask of 0222).
    pub(crate) fn writer(&self) -> io::Result<Box<dyn Write>> {
        Ok(match self {
            OutputFile::Stdout => Box::new(io::BufWriter::new(io::stdout().lock())),
            OutputFile::Direct(file) => Box::new(io::BufWriter::new(file.try_clone()?)),
            OutputFile::Replace { temp, .. } => {
                Box::new(io::BufWriter::new(temp.as_file().try_clone()?))
            }
        })
    }

    /// Once the whole capture is written (and its writer flushed): a regular file gets its
    /// mode, owner-only when `secrets` were written into it, and takes the target's place
    /// (one rename). On failure the temporary file is removed and the target untouched.
    pub(crate) fn finish(self, secrets: bool) -> io::Result<()> {
        match self {
            OutputFile::Stdout => io::stdout().flush(),
            OutputFile::Direct(_) => Ok(()),
            OutputFile::Replace {
                temp,
                registered,
                target,
                mode,
            } => {
                let mode = if secrets { mode & 0o600 } else { mode };
                temp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(mode))?;
                // Renamed under the lock: a signal now waits for the rename, and then
                // finds the file no longer registered (it is the target).
                let mut held = Temps::lock();
                let renamed = temp.persist(&target).map(|_| ()).map_err(|e| e.error);
                held.forget(registered);
                renamed
            }
        }
    }
}

/// Where a file not there yet is made: `path`, or the path its symbolic links lead to when
/// it is a link to nothing (the link stays, as with a shell's `>`).
fn dangling_target(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    // Linux's own limit on links followed (a loop fails before, as ELOOP, in `metadata`).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let to = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// The error of creating the temporary file, without the temporary file's name: tempfile
/// says `<the OS error> at path "DIR/.wsclose-extract-XXXX.part"`, and the user named only
/// the output (which the error names).
fn os_error(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((os, _)) => io::Error::new(e.kind(), os.to_string()),
        None => e,
    }
}
