//! The `shapes` target: a message of any shape read for what it says of the end
//! (`wsclose::diagnose::shapes`: JSON fields at any depth, XML names and text, the last line
//! of text, protobuf without a schema whole or varint-framed, printable strings).
//!
//! The input is the message (at most `websocket::lastwords::LAST_WORDS` bytes, what wsclose
//! keeps of one). Invariants: no panic; the gist at most 240 characters; protobuf read only
//! when every byte is a field, its text bounded by the message's length; strings only of
//! printable ASCII runs of four characters or more; a JSON value nested beyond the depth
//! bound read without a panic.

use wsclose::diagnose::shapes::{json_text, protobuf, strings, text, xml};

/// The most characters a gist holds (`shapes::GIST`) and the "; " joins after it.
const GIST: usize = 240;

pub fn shapes(data: &[u8]) {
    let msg = &data[..data
        .len()
        .min(wsclose::__internals::websocket::lastwords::LAST_WORDS)];
    if let Some((shown, g)) = protobuf(msg) {
        assert!(g.words.chars().count() <= GIST + 2, "{g:?}");
        // Each byte becomes at most a few characters: field numbers, hex, quotes.
        assert!(
            shown.len() <= 16 * msg.len() + 16,
            "{} of {}",
            shown.len(),
            msg.len()
        );
    }
    if let Some((shown, g)) = strings(msg) {
        assert!(g.words.chars().count() <= GIST + 2, "{g:?}");
        assert!(
            shown
                .split(" | ")
                .all(|s| s.len() >= 4 && s.bytes().all(|c| (0x20..0x7f).contains(&c))),
            "{shown:?}"
        );
    }
    let s = String::from_utf8_lossy(msg);
    if let Some(g) = xml(&s) {
        assert!(g.words.chars().count() <= GIST + 2, "{g:?}");
    }
    assert!(text(&s).words.chars().count() <= GIST + 2);
    if let Some(g) = json_text(&s) {
        assert!(g.words.chars().count() <= GIST + 2, "{g:?}");
    }
}

/// Seeds: the any-shape fixtures' server messages as the recordings carry them, by name
/// (`seeds.rs` makes them seeds of this target; nothing here imports it, so the two modules
/// make no import circle).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut proto = vec![0x23, 0x08, 3, 0x12, 0x1d];
    proto.extend_from_slice(b"document deleted by its owner");
    proto.extend_from_slice(&[0x18, 17]);
    let msgs: [(&str, &[u8]); 5] = [
        ("protobuf-framed", &proto),
        ("xml-stream-error", b"<stream:error><host-gone xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text>chat.example.net was retired</text></stream:error>"),
        ("xml-sasl", b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"),
        ("json-event", br#"{"method":"Session.detached","params":{"reason":"target_gone"}}"#),
        ("text-signoff", b"batch 7 stored\nshift over, logging off"),
    ];
    msgs.into_iter()
        .map(|(name, m)| (name.to_string(), m.to_vec()))
        .collect()
}
