//! Fuzz target `connect_head`: the body is `wsclose_fuzz::connect_head` (fuzz/src/connect.rs),
//! which says what the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::connect_head(data);
});
