//! The JSON writer's tests: its layout and numbers against serde_json's, its
//! terminal-safe strings, and the pieces its speed rests on (the escape check, the short
//! copies, the buffer's spare bytes).
use super::escape::byte_needs_escape;
use super::*;
use serde::Serialize;
use std::collections::BTreeMap;

fn ours<T: Serialize + ?Sized>(v: &T) -> String {
    let mut buf = Vec::new();
    write(&mut buf, 0, v).unwrap();
    String::from_utf8(buf).unwrap()
}

#[derive(Serialize)]
enum E {
    Unit,
    Newtype(u8),
    Tuple(u8, &'static str),
    Struct { a: Vec<u8>, b: Option<bool> },
    EmptyTuple(),
    EmptyStruct {},
}

#[derive(Serialize)]
struct Unit;

#[derive(Serialize)]
struct Shapes {
    empty_seq: Vec<u8>,
    empty_map: BTreeMap<String, u8>,
    nested: Vec<Vec<Vec<u8>>>,
    tuple: (u8, i64, f64),
    unit: (),
    unit_struct: Unit,
    variants: Vec<E>,
    by_number: BTreeMap<u32, &'static str>,
    by_flag: BTreeMap<bool, u8>,
    by_char: BTreeMap<char, u8>,
    chars: [char; 3],
    bytes: serde_bytes_like::Bytes,
    extremes: (i8, i128, u128, f32, f64, f64),
    a_field_name_longer_than_thirty_two_bytes: u8,
}

/// `serialize_bytes` without a crate for it.
mod serde_bytes_like {
    pub struct Bytes(pub &'static [u8]);
    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
}

fn shapes() -> Shapes {
    Shapes {
        empty_seq: vec![],
        empty_map: BTreeMap::new(),
        nested: vec![vec![], vec![vec![]], vec![vec![1, 2], vec![]]],
        tuple: (7, -3, 0.5),
        unit: (),
        unit_struct: Unit,
        variants: vec![
            E::Unit,
            E::Newtype(4),
            E::Tuple(5, "x"),
            E::Struct {
                a: vec![1],
                b: None,
            },
            E::EmptyTuple(),
            E::EmptyStruct {},
        ],
        by_number: BTreeMap::from([(1, "one"), (20, "twenty")]),
        by_flag: BTreeMap::from([(false, 0), (true, 1)]),
        by_char: BTreeMap::from([('"', 1), ('é', 2)]),
        chars: ['a', '\n', '"'],
        bytes: serde_bytes_like::Bytes(b"\x00\xff"),
        extremes: (i8::MIN, i128::MIN, u128::MAX, 0.1, f64::NAN, f64::INFINITY),
        a_field_name_longer_than_thirty_two_bytes: 10,
    }
}

/// Every shape serde can ask for is laid out as serde_json's pretty printer lays it
/// out, at the top and nested.
#[test]
fn every_shape_as_serde_json_pretty() {
    let v = shapes();
    assert_eq!(ours(&v), serde_json::to_string_pretty(&v).unwrap());
    for e in &v.variants {
        assert_eq!(ours(e), serde_json::to_string_pretty(e).unwrap());
    }
    assert_eq!(ours(&E::Newtype(1)), "{\n  \"Newtype\": 1\n}");
}

/// A value started deeper than the top is indented from there, as a part of a larger
/// document is.
#[test]
fn a_part_starts_at_its_depth() {
    let mut part = Buffer::default();
    part.push(b'[');
    part.newline(1);
    let mut buf = part.into_bytes();
    write(&mut buf, 1, &vec![vec![1u8]]).unwrap();
    buf.extend_from_slice(b"\n]");
    let whole = serde_json::to_string_pretty(&vec![vec![vec![1u8]]]).unwrap();
    assert_eq!(String::from_utf8(buf).unwrap(), whole);
    // Past the prepared indentation too.
    let deep: serde_json::Value = (0..40).fold(serde_json::json!(1), |v, _| serde_json::json!([v]));
    assert_eq!(ours(&deep), serde_json::to_string_pretty(&deep).unwrap());
}

/// Numbers as serde_json writes them: floats of every scale and arbitrary finite bit
/// patterns (a xorshift walk over them), integers at their edges.
#[test]
fn numbers_written_as_serde_json_writes_them() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut floats = vec![
        0.0,
        -0.0,
        0.000_996,
        1e-7,
        123_456_789.123,
        1e15,
        1e16,
        1e21,
        5e-324,
    ];
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = f64::from_bits(x);
        if f.is_finite() {
            floats.push(f);
        }
        floats.push((x % 100_000_000) as f64 / 1e6);
    }
    for f in floats {
        assert_eq!(ours(&f), serde_json::to_string(&f).unwrap());
    }
    for n in [0u64, 1, 9, 10, 99_999, u64::from(u32::MAX), u64::MAX] {
        assert_eq!(ours(&n), serde_json::to_string(&n).unwrap());
    }
    for n in [i64::MIN, -1, 0, i64::MAX] {
        assert_eq!(ours(&n), serde_json::to_string(&n).unwrap());
    }
}

/// Strings: every control character and the JSON specials escaped as serde_json
/// escapes them; the characters only this writer escapes (DEL, C1, bidirectional
/// overrides) as `\uXXXX`; anything else, non-ASCII letters included, as it is; and
/// the same through `collect_str`, whose text comes in pieces.
#[test]
fn strings_are_terminal_safe_and_still_the_same_json() {
    let controls: String = (0u8..0x20).map(char::from).collect();
    for text in [
        controls.as_str(),
        "tab\there \"quoted\" back\\slash",
        "plain ASCII ~ text",
        "ünïcödé ✓ 𝄞",
    ] {
        assert_eq!(ours(text), serde_json::to_string(text).unwrap(), "{text:?}");
        assert_eq!(ours(&format_args!("{text}")), ours(text));
    }
    let hostile = "a\u{9b}b\u{1b}c\u{2066}d\u{7f}e\u{85}f\u{61c}g\u{202e}h ✓";
    let text = ours(hostile);
    assert_eq!(
        text,
        "\"a\\u009bb\\u001bc\\u2066d\\u007fe\\u0085f\\u061cg\\u202eh ✓\""
    );
    assert!(!text.chars().any(is_unsafe), "{text}");
    let back: String = serde_json::from_str(&text).unwrap();
    assert_eq!(back, hostile);
    assert_eq!(ours(&format_args!("{hostile}")), text);
    // Invisible characters too; a tag character (beyond the BMP) as a surrogate pair.
    let hidden = "a\u{200b}b\u{feff}c\u{2028}d\u{3164}e\u{e0041}f";
    let text = ours(hidden);
    assert_eq!(text, "\"a\\u200bb\\ufeffc\\u2028d\\u3164e\\udb40\\udc41f\"");
    assert!(!text.chars().any(is_unsafe), "{text}");
    assert_eq!(serde_json::from_str::<String>(&text).unwrap(), hidden);
}

/// The check that lets a string be copied as it is lets nothing through that needs
/// an escape, and stops nothing that needs none: every byte, at every place in strings
/// of every length up to past its word, block and vector sizes.
#[test]
fn the_fast_check_lets_nothing_through_that_needs_an_escape() {
    assert!(!needs_escape(b"plain ASCII ~ text"));
    assert!(!needs_escape(b""));
    for b in 0..=u8::MAX {
        let expected = !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\';
        assert_eq!(byte_needs_escape(b), expected, "{b:#x}");
        for len in 1..=150usize {
            for at in [0, 1, len / 2, len.saturating_sub(9), len - 1] {
                let mut s = vec![b'x'; len];
                s[at.min(len - 1)] = b;
                assert_eq!(needs_escape(&s), expected, "{b:#x} at {at} of {len}");
                if let Some(k) = next_to_look_at(&s) {
                    assert_eq!(k, at.min(len - 1));
                } else {
                    assert!(!expected);
                }
            }
        }
    }
    // Next to bytes that borrow or carry in a word: 0x00, 0x7f, 0xff beside plain ones.
    for pair in [
        [0x00, b' '],
        [b' ', 0x00],
        [0xff, b'~'],
        [b'~', 0xff],
        [0x7f, b'!'],
    ] {
        let mut s = b"abcdefgh".to_vec();
        s[3..5].copy_from_slice(&pair);
        assert!(needs_escape(&s));
    }
}

/// A short string is copied as overlapping pieces of constant size: every length, to
/// the byte, and nothing written past it.
#[test]
fn short_copies_are_exact() {
    let src: Vec<u8> = (0..40u8).map(|i| b'A' + i).collect();
    for n in 0..=40 {
        let mut room = vec![b'.'; 50];
        assert_eq!(put(&mut room, 3, &src[..n]), 3 + n);
        assert_eq!(&room[..3], b"...");
        assert_eq!(&room[3..3 + n], &src[..n]);
        assert!(room[3 + n..].iter().all(|&b| b == b'.'), "{n}");
    }
}

/// Values written one after the other into one buffer, past its spare bytes many times
/// over: the same bytes as each written alone, and nothing of the spare bytes left.
#[test]
fn a_buffer_holds_what_is_written_and_no_more() {
    let v = shapes();
    let one = ours(&v);
    let mut buf = Buffer::with_capacity(0);
    for i in 0..3 * SLACK / one.len() + 2 {
        buf.push(if i == 0 { b'[' } else { b',' });
        buf.newline(1);
        buf.write(1, &v).unwrap();
    }
    buf.newline(0);
    buf.push(b']');
    let text = String::from_utf8(buf.into_bytes()).unwrap();
    let back: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let n = back.len();
    let all: Vec<&Shapes> = std::iter::repeat_n(&v, n).collect();
    assert_eq!(text, serde_json::to_string_pretty(&all).unwrap());
}

/// The compact layout is serde_json's compact one, byte for byte, on every shape, and
/// its strings are as terminal-safe as the pretty layout's: what a live capture prints.
#[test]
fn compact_as_serde_json_compact_and_terminal_safe() {
    let v = shapes();
    assert_eq!(compact(&v).unwrap(), serde_json::to_string(&v).unwrap());
    let nested = serde_json::json!({"a": [1, {"b": []}], "c": {}, "d": "x"});
    assert_eq!(
        compact(&nested).unwrap(),
        serde_json::to_string(&nested).unwrap()
    );
    let hostile = serde_json::json!({"r": "a\u{9b}b\u{1b}c\u{2066}"});
    let safe = compact(&hostile).unwrap();
    assert!(!safe.contains('\n'));
    assert!(!safe.chars().any(is_unsafe));
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    assert_eq!(back["r"], "a\u{9b}b\u{1b}c\u{2066}");
}

/// A map whose keys cannot be JSON strings is an error, not a panic or bad JSON.
#[test]
fn a_map_with_keys_that_are_not_strings_is_an_error() {
    let m = BTreeMap::from([(vec![1u8], 1u8)]);
    let mut buf = Vec::new();
    assert!(write(&mut buf, 0, &m).is_err());
    assert!(serde_json::to_string(&m).is_err());
}
