//! Fuzz target `last_words`: the body is `wsclose_fuzz::last_words` (fuzz/src/lastwords.rs),
//! which says what the input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::last_words(data);
});
