//! Record buffers for the records that span packets, kept per thread: a direction whose
//! record is not complete at the end of a feed gathers it in a buffer from here, and the
//! buffer comes back when the record is complete (the connection holds none between
//! records). Every buffer has room for the largest record, so any kept one fits any
//! record: no buffer is grown, and the allocator is not asked again and again for buffers
//! of a record's size (its slow paths, tens of thousands of times in a large capture).
//! The one given back last is taken first: it is the one still in cache.
//!
//! Also the thread's scratch buffer, in which a session gathers and decrypts one feed's
//! records: one buffer per thread, which stays in cache, instead of one per connection.
//!
//! And the thread's backup of a record tried under a key that may not be its own (TLS 1.3's
//! early and handshake phases): a failed open may garble the record, which is put back as
//! it was from here ([`with_backup`]); it holds ciphertext only.
//!
//! In: a record buffer a framer is done with. Out: an empty buffer with room for a record.

use std::cell::{Cell, RefCell};

/// Buffers kept per thread at most (1.1 MiB).
const KEEP: usize = 64;
/// The room of every record buffer: the largest record, header included.
pub(crate) const RECORD_BUF: usize = super::HEADER_LEN + super::MAX_RECORD;

/// Capacity of the scratch buffer kept for the next feed: one feed's records are
/// gathered in it; a larger one (a feed of many records) is freed.
const SCRATCH_KEEP: usize = 64 << 10;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    static BACKUP: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// `f(rec)`, with `rec` put back as it was when `f` fails (`f` may have changed it): a
/// copy kept in the thread's backup buffer (at most one record's room is kept), not a
/// new allocation per try.
pub(crate) fn with_backup<T, E>(
    rec: &mut [u8],
    f: impl FnOnce(&mut [u8]) -> Result<T, E>,
) -> Result<T, E> {
    let mut copy = BACKUP.try_with(Cell::take).unwrap_or_default();
    copy.clear();
    // Exactly a record's room (no doubling past it), so that the buffer is kept.
    copy.reserve_exact(rec.len());
    copy.extend_from_slice(rec);
    let r = f(rec);
    if r.is_err() {
        rec.copy_from_slice(&copy);
    }
    if copy.capacity() <= RECORD_BUF {
        copy.clear();
        // At thread exit (the slot gone) the buffer is simply freed.
        let _ = BACKUP.try_with(|b| b.set(copy));
    }
    r
}

/// The thread's scratch buffer, empty (a new one when it is out: taken and not given
/// back yet).
pub(crate) fn take_scratch() -> Vec<u8> {
    let mut v = SCRATCH.try_with(Cell::take).unwrap_or_default();
    v.clear();
    v
}

/// Gives the scratch buffer back for the next [`take_scratch`] on this thread (any buffer
/// will do: a session may hand back another one it holds); one over [`SCRATCH_KEEP`] is
/// freed.
pub(crate) fn give_scratch(v: Vec<u8>) {
    if v.capacity() == 0 || v.capacity() > SCRATCH_KEEP {
        return;
    }
    // At thread exit (the slot gone) the buffer is simply freed.
    if let Ok(old) = SCRATCH.try_with(|s| s.replace(v)) {
        give(old);
    }
}

/// An empty buffer with room for `cap` bytes: the one kept last if it has that room (a
/// record always fits one), else a new one with room for the largest record.
pub(crate) fn take(cap: usize) -> Vec<u8> {
    let kept = SPARE.with_borrow_mut(|s| {
        if s.last().is_some_and(|v| v.capacity() >= cap) {
            s.pop()
        } else {
            None
        }
    });
    kept.unwrap_or_else(|| Vec::with_capacity(cap.max(RECORD_BUF)))
}

/// Keeps `v` for a later [`take`] on this thread, emptied, if it has room for a record
/// but not for two (a connection holding a kept buffer is charged one record's room a
/// direction by the memory budget), while fewer than [`KEEP`] are kept; else frees it.
pub(crate) fn give(mut v: Vec<u8>) {
    if !(RECORD_BUF..2 * RECORD_BUF).contains(&v.capacity()) {
        return;
    }
    v.clear();
    SPARE.with_borrow_mut(|s| {
        if s.len() < KEEP {
            s.push(v);
        }
    });
}

/// The room of the backup buffer kept on this thread now.
#[cfg(test)]
pub(crate) fn backup_room() -> usize {
    let v = BACKUP.take();
    let room = v.capacity();
    BACKUP.set(v);
    room
}

/// Buffers kept on this thread now.
#[cfg(test)]
pub(crate) fn kept() -> usize {
    SPARE.with_borrow(Vec::len)
}
