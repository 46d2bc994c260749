//! Fuzz target `keylog`: the body is `wsclose_fuzz::keylog` (fuzz/src/keylog.rs), which says what
//! the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::keylog(data);
});
