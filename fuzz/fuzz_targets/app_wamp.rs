//! Fuzz target `app_wamp`: the body is `wsclose_fuzz::app_wamp` (fuzz/src/app.rs), which says what the
//! input means and which invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsclose_fuzz::app_wamp(data);
});
