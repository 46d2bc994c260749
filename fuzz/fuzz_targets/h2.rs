//! Fuzz target `h2`: the body is `wsclose_fuzz::h2` (fuzz/src/h2.rs), which says what
//! the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::h2(data);
});
