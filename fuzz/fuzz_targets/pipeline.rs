//! Fuzz target `pipeline`: the body is `wsclose_fuzz::pipeline` (fuzz/src/lib.rs), which says what
//! the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::pipeline(data);
});
