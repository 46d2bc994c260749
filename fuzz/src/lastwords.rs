//! The `last_words` target: a message's first bytes read for a person
//! (`wsclose::diagnose::lastwords::read`: UTF-8 text, JSON, XML, CBOR or MessagePack with
//! bounded depth, protobuf without a schema, printable strings, else hex).
//!
//! Byte 0's bit 0 says text (else binary), bit 1 whole (else cut); the rest is the message.
//! Invariants: no panic; what is shown is bounded (the message's first 256 characters, a few bytes of
//! JSON-like punctuation over it for a map or array, "…" after); CBOR or MessagePack only
//! for a whole binary message that is a map or array; a cut message is never read as CBOR,
//! MessagePack, JSON, XML or protobuf.

use wsclose::diagnose::lastwords::{cbor, msgpack, read, SHOWN};

pub fn last_words(data: &[u8]) {
    let Some((&flags, msg)) = data.split_first() else {
        return;
    };
    let msg = &msg[..msg
        .len()
        .min(wsclose::__internals::websocket::lastwords::LAST_WORDS)];
    let (text, whole) = (flags & 1 == 1, flags & 2 == 2);
    let (encoding, shown) = read(msg, text, whole);
    assert!(
        ["text", "json", "xml", "cbor", "msgpack", "protobuf", "strings", "hex"]
            .contains(&encoding),
        "{encoding}"
    );
    // Characters: the first SHOWN, "…", and the hex of at most 64 bytes.
    assert!(
        shown.chars().count() <= SHOWN + 1,
        "{} chars",
        shown.chars().count()
    );
    if !whole {
        assert!(
            matches!(encoding, "text" | "strings" | "hex"),
            "{encoding} of a cut message"
        );
    }
    if matches!(encoding, "cbor" | "msgpack") {
        assert!(!text && whole);
        let direct = if encoding == "cbor" {
            cbor(msg)
        } else {
            msgpack(msg)
        };
        assert!(direct.is_some_and(|d| d.starts_with('{') || d.starts_with('[')));
    }
    // Both readers alone, on any bytes: no panic, and nothing from a lone scalar.
    for d in [cbor(msg), msgpack(msg)].into_iter().flatten() {
        assert!(d.starts_with('{') || d.starts_with('['), "{d}");
    }
}

/// Seeds: the fixtures' binary last words (CBOR and MessagePack from two libraries each),
/// written here as the recordings carry them, whole and cut, and a few texts.
pub fn seeds() -> Vec<crate::seed::Seed> {
    let msgs: [(&str, u8, &[u8]); 6] = [
        (
            "msgpack-map",
            2,
            b"\x82\xa5error\xacrate limited\xabretry_after\x1e",
        ),
        (
            "cbor-map",
            2,
            b"\xa2\x65error\x6cunauthorized\x66detail\x6dtoken revoked",
        ),
        (
            "cbor-map-16",
            2,
            b"\xb9\x00\x02\x65error\x6cunauthorized\x66detail\x6dtoken revoked",
        ),
        ("cbor-deep", 2, &[0x81; 40]),
        ("json", 3, br#"{"type":"error","code":"SESSION_EXPIRED"}"#),
        ("text-cut", 1, "ERROR quota é".as_bytes()),
    ];
    let mut out = Vec::new();
    for (name, flags, m) in msgs {
        for (cut, n) in [("", m.len()), ("-cut", m.len() / 2)] {
            let mut data = vec![if cut.is_empty() { flags } else { flags & 1 }];
            data.extend_from_slice(&m[..n]);
            out.push(crate::seed::Seed {
                target: "last_words",
                name: format!("{name}{cut}"),
                data,
            });
        }
    }
    out
}
