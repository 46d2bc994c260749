//! Fuzz target `shapes`: the body is `wsclose_fuzz::shapes` (fuzz/src/shapes.rs), which
//! says what the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::shapes(data);
});
