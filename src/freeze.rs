//! Quiet connections frozen out of memory, so that memory follows the connections with
//! traffic in flight, not every connection the capture left open.
//!
//! In: a [`Connection`] the analyzer has not seen a packet of for a while (a side that
//! sent its FIN and went quiet, an idle WebSocket between heartbeats). Out: a small
//! [`Frozen`] handle, the connection's whole state written in its stored form (`serial`) to an
//! anonymous temporary file; and back, on its next packet, at its idle timeout or at the
//! end of the input, the very same connection, field for field, so the report does not
//! depend on whether a connection was ever frozen (tests/it/freeze.rs checks that on every
//! fixture and on generated captures). A connection that inflates permessage-deflate
//! messages (RFC 7692) is frozen between messages, its inflaters as their history (the
//! last window of inflated bytes, `websocket::deflate::Inflater`); never in the middle of
//! a compressed message, when zlib's state is more than that.
//!
//! The file (`tempfile::tempfile`) has no name and is deleted by the system when wsclose
//! exits. Thawed connections leave their bytes behind as garbage; once the garbage is both
//! over `COMPACT_MIN` and twice the bytes still frozen, the frozen ones are copied to a
//! fresh file, so the disk used stays proportional to what is frozen. If the file cannot
//! be made or written, connections simply stay in memory (within the flow cap), and
//! [`Freezer::note`] says why; it also says where the file went when TMPDIR could not
//! hold it (`scratch::temp_file`).

use crate::scratch::Scratch;
use crate::serial;
use crate::stack::tcp::connection::Connection;
use crate::vocab::Timestamp;
use std::io;

/// Bytes of frozen connections gathered before they are written to the file in one go.
const WRITE_BATCH: usize = 64 << 10;

/// Garbage (bytes of thawed connections) tolerated in the file before compacting.
const COMPACT_MIN: u64 = 64 << 20;

/// What stays in memory of a frozen connection: where its bytes are, and what the
/// analyzer needs to decide without reading them back (its idle time, its report order).
#[derive(Debug, Clone, Copy)]
pub struct Frozen {
    pub active_at: Timestamp,
    pub first_packet: u64,
    at: u64,
    len: u32,
}

/// The temporary file of frozen connections.
#[derive(Debug)]
pub struct Freezer {
    /// Made on first need.
    file: Option<Scratch>,
    /// Bytes of connections still frozen, and of those thawed since.
    live: u64,
    garbage: u64,
    /// The file could not be made or written: nothing more is frozen.
    failed: bool,
    /// What the report should say of the file: why it could not be used, or where it went
    /// when not to TMPDIR's directory.
    pub note: Option<String>,
    /// Connections frozen and thawed so far (for tests and benchmarks).
    pub frozen_count: u64,
    pub thawed_count: u64,
    /// Bytes written for them (for benchmarks).
    pub frozen_bytes: u64,
    buf: Vec<u8>,
    /// [`COMPACT_MIN`], smaller in tests.
    compact_min: u64,
}

impl Default for Freezer {
    fn default() -> Self {
        Freezer::new()
    }
}

impl Freezer {
    pub fn new() -> Freezer {
        Freezer {
            file: None,
            live: 0,
            garbage: 0,
            failed: false,
            note: None,
            frozen_count: 0,
            thawed_count: 0,
            frozen_bytes: 0,
            buf: Vec::new(),
            compact_min: COMPACT_MIN,
        }
    }

    /// Writes `c` out; `None` (the connection stays in memory) when it cannot be frozen
    /// or the file cannot be used.
    pub fn freeze(&mut self, c: &Connection) -> Option<Frozen> {
        if self.failed || !c.can_freeze() {
            return None;
        }
        if self.file.is_none() {
            match Scratch::new(WRITE_BATCH) {
                Ok((f, note)) => {
                    self.file = Some(f);
                    self.note = self.note.take().or(note);
                }
                Err(e) => {
                    self.failed = true;
                    // The same words as the store's, which say it once for both.
                    self.note = Some(e.to_string());
                    return None;
                }
            }
        }
        let file = self.file.as_mut()?;
        let mut written = None;
        let (at, len) = file.append(|out| written = serial::append(c, out))?;
        written?;
        if let Err(e) = file.maybe_flush() {
            // The bytes stay pending, so this one (and the earlier ones) can still be read.
            self.failed = true;
            self.note = Some(format!(
                "the temporary file of quiet connections could not be written ({e}): later ones stay in memory"
            ));
        }
        self.live += u64::from(len);
        self.frozen_count += 1;
        self.frozen_bytes += u64::from(len);
        Some(Frozen {
            active_at: c.active_at,
            first_packet: c.first_packet,
            at,
            len,
        })
    }

    /// Reads a frozen connection back; `None` if its bytes cannot be read (an I/O error on
    /// the temporary file) or decoded (a bug).
    pub fn thaw(&mut self, f: &Frozen) -> Option<Box<Connection>> {
        let mut buf = std::mem::take(&mut self.buf);
        let c = self
            .read(f, &mut buf)
            .ok()
            .and_then(|()| serial::read::<Connection>(&buf));
        self.buf = buf;
        self.live = self.live.saturating_sub(u64::from(f.len));
        self.garbage += u64::from(f.len);
        self.thawed_count += 1;
        c.map(|mut c| {
            c.thaws = c.thaws.saturating_add(1);
            Box::new(c)
        })
    }

    /// Whether enough of the file is garbage to be worth a [`Freezer::compact`].
    pub fn wants_compaction(&self) -> bool {
        self.garbage > self.compact_min && self.garbage > 2 * self.live
    }

    /// Copies the connections still frozen (`all` of them) to a fresh file and drops the
    /// old one. On failure the old file is kept, as it is.
    pub fn compact<'a>(&mut self, all: impl Iterator<Item = &'a mut Frozen>) {
        let Ok((mut next, note)) = Scratch::new(WRITE_BATCH) else {
            return;
        };
        self.note = self.note.take().or(note);
        let mut buf = std::mem::take(&mut self.buf);
        let mut moved: Vec<(&'a mut Frozen, u64)> = Vec::new();
        let mut copy = |f: &'a mut Frozen, buf: &mut Vec<u8>| -> io::Result<()> {
            self.read(f, buf)?;
            let (at, _) = next
                .append(|out| out.extend_from_slice(buf))
                .ok_or_else(|| io::Error::other("a record of 4 GiB or more"))?;
            moved.push((f, at));
            next.maybe_flush()
        };
        let ok = all.into_iter().all(|f| copy(f, &mut buf).is_ok());
        self.buf = buf;
        if !ok || next.flush().is_err() {
            return;
        }
        self.live = moved.iter().map(|(f, _)| u64::from(f.len)).sum();
        self.garbage = 0;
        for (f, at) in moved {
            f.at = at;
        }
        self.file = Some(next);
    }

    fn read(&self, f: &Frozen, buf: &mut Vec<u8>) -> io::Result<()> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("no file of frozen connections"))?
            .read(f.at, f.len, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Endpoint;

    fn connection(i: u64) -> Connection {
        let ep = |port: u16| {
            Endpoint::new(
                std::net::Ipv4Addr::new(10, 0, (i >> 8) as u8, i as u8).into(),
                port,
            )
        };
        let mut c = Connection::new(ep(40_000), ep(8765), 0, i, Timestamp(i as i64 * 1000));
        c.packets = i * 7;
        c
    }

    /// `connection(i)` as it comes back from the file: the same, woken once more.
    fn woken(i: u64) -> Connection {
        let mut c = connection(i);
        c.thaws += 1;
        c
    }

    fn bytes(c: &Connection) -> Vec<u8> {
        serial::to_vec(c).unwrap()
    }

    #[test]
    fn thawed_connections_are_the_frozen_ones_across_batches_and_compaction() {
        let mut fz = Freezer::new();
        fz.compact_min = 0;
        // Enough connections to fill several write batches, so most are read from the file.
        let n = 4000u64;
        let mut frozen: Vec<(u64, Frozen)> = (0..n)
            .map(|i| (i, fz.freeze(&connection(i)).expect("frozen")))
            .collect();
        assert!(
            fz.file.as_ref().unwrap().written() > 0,
            "batches were written to the file"
        );
        // Thaw three quarters: their bytes become garbage.
        let keep = frozen.split_off(frozen.len() * 3 / 4);
        for (i, f) in &frozen {
            let c = fz.thaw(f).expect("thawed");
            assert_eq!(bytes(&c), bytes(&woken(*i)));
        }
        let mut keep = keep;
        assert!(fz.wants_compaction());
        let before = fz.file.as_ref().unwrap().end();
        fz.compact(keep.iter_mut().map(|(_, f)| f));
        let after = fz.file.as_ref().unwrap().end();
        assert!(
            after < before / 2,
            "{after} bytes after compaction, {before} before"
        );
        assert!(!fz.wants_compaction());
        for (i, f) in &keep {
            let c = fz.thaw(f).expect("thawed after compaction");
            assert_eq!(bytes(&c), bytes(&woken(*i)));
            assert_eq!(f.first_packet, *i);
        }
        assert_eq!(fz.frozen_count, n);
        assert_eq!(fz.thawed_count, n);
    }
}
