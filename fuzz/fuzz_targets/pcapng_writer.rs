//! Fuzz target `pcapng_writer`: the body is `wsclose_fuzz::pcapng_writer`
//! (fuzz/src/pcapng_writer.rs), which says what the input means and which invariants are
//! checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::pcapng_writer(data);
});
