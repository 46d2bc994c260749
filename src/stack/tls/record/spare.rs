//! Record-sized buffers freed by finished connections, kept for the next ones on the same
//! thread: every TLS connection gathers records of up to 16 KiB, and allocating and
//! freeing such buffers per connection went through the allocator's slow paths (and the
//! kernel's page clearing) tens of thousands of times in a large capture.
//!
//! Also the thread's scratch buffer, in which a session gathers and decrypts one feed's
//! records: one buffer per thread, which stays in cache, instead of one per connection.
//!
//! In: a record buffer a framer is done with. Out: an empty buffer with room for a record.

use std::cell::{Cell, RefCell};

/// Buffers kept per thread at most.
const KEEP: usize = 32;
/// Only buffers of a large record's size are worth keeping: smaller ones come cheap
/// from the allocator, larger ones (many records in one feed) are not kept, and a kept
/// buffer goes to a record of at least half its size (it is held while the connection
/// lives: small records keep small buffers).
const MIN: usize = 8 << 10;
const MAX: usize = super::HEADER_LEN + super::MAX_RECORD;

/// Capacity of the scratch buffer kept for the next feed: one feed's records are
/// gathered in it; a larger one (a feed of many records) is freed.
const SCRATCH_KEEP: usize = 64 << 10;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
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

/// An empty buffer with room for `cap` bytes: the one kept last when `cap` is of a
/// record's size and that one has room (a small record gets a small buffer of its own,
/// not a kept one it would hold on to).
pub(crate) fn take(cap: usize) -> Vec<u8> {
    let kept = if cap >= MIN {
        // The last kept, if it is large enough (growing one would copy it whole).
        SPARE.with_borrow_mut(|s| {
            if s.last().is_some_and(|v| v.capacity() >= cap) {
                s.pop()
            } else {
                None
            }
        })
    } else {
        None
    };
    kept.unwrap_or_else(|| Vec::with_capacity(cap))
}

/// Keeps `v` for a later [`take`] on this thread, emptied, if it is of a record's size
/// and fewer than [`KEEP`] are kept; else frees it.
pub(crate) fn give(mut v: Vec<u8>) {
    if !(MIN..=MAX).contains(&v.capacity()) {
        return;
    }
    v.clear();
    SPARE.with_borrow_mut(|s| {
        if s.len() < KEEP {
            s.push(v);
        }
    });
}

/// Buffers kept on this thread now.
#[cfg(test)]
pub(crate) fn kept() -> usize {
    SPARE.with_borrow(Vec::len)
}
