//! Fuzz target `http_handshake`: the body is `wsclose_fuzz::http_handshake` (fuzz/src/lib.rs), which says what
//! the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::http_handshake(data);
});
