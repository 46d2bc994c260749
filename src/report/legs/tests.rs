//! What the index of legs keeps of a session.

use super::*;

/// What the index keeps per session stays small: it is the one part of linking that
/// grows with the sessions of a capture.
#[test]
fn an_index_entry_is_at_most_88_bytes() {
    assert_eq!(std::mem::size_of::<Leg>(), 88);
    assert_eq!(std::mem::size_of::<Candidate>(), 72);
}

#[test]
fn keys_too_long_or_empty_are_not_indexed() {
    assert!(fixed("").is_none());
    assert!(fixed(&"k".repeat(KEY_MAX + 1)).is_none());
    assert_eq!(fixed(" abc ").unwrap()[..3], *b"abc");
}
