//! A counting global allocator, so that the targets can check that memory stays bounded.
//!
//! Every allocation, reallocation and free goes to the system allocator and is added to
//! (or taken from) a per-thread count of live bytes; [`peak_during`] gives the most that
//! count rose above its starting point while a closure ran. The count is per thread (the
//! targets that use it are single-threaded; `cargo test` runs tests on several threads), so
//! memory freed by another thread than the one that allocated it skews both threads' counts
//! (never the case inside the measured closures). The counters are `const`-initialized
//! thread-locals of plain integers: touching them never allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(n);
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping only reads the
// layout and the result.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes live now on this thread (relative to an arbitrary zero).
pub fn live() -> isize {
    LIVE.try_with(Cell::get).unwrap_or(0)
}

/// Runs `f`; returns its result and the most this thread's live bytes rose above their
/// level at the start while it ran.
pub fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = live();
    let outer = PEAK.try_with(|p| p.replace(start)).unwrap_or(0);
    let r = f();
    let peak = PEAK.try_with(Cell::get).unwrap_or(start);
    // Restore an enclosing measurement's peak.
    let _ = PEAK.try_with(|p| p.set(outer.max(peak)));
    (r, usize::try_from(peak - start).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_a_closure_holds_at_its_peak() {
        let (_, peak) = peak_during(|| {
            let a = vec![0u8; 1 << 20];
            drop(a);
            let b = vec![0u8; 1000];
            b.len()
        });
        assert!((1 << 20..(1 << 20) + 4096).contains(&peak), "{peak}");
        let (kept, peak) = peak_during(|| {
            let (_, inner) = peak_during(|| vec![1u8; 5000]);
            assert!(inner >= 5000);
            vec![0u8; 100]
        });
        assert!(peak >= 5000, "{peak}");
        drop(kept);
    }
}
