//! Fuzz target `h2_streams`: the body is `wsclose_fuzz::h2_streams` (fuzz/src/h2_streams.rs), which says what the
//! input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::h2_streams(data);
});
