//! Fuzz target `tls_session`: the body is `wsclose_fuzz::tls_session` (fuzz/src/tls.rs), which says what
//! the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::tls_session(data);
});
