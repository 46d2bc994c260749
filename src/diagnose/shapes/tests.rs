//! The shape readers on their own inputs: each shape that announces an end, and random
//! bytes through every reader (bounded, no panic).

use super::*;

fn j(s: &str) -> Gist {
    json(&serde_json::from_str(s).unwrap_or_default())
}

#[test]
fn json_events_reasons_and_errors_announce_the_end_at_any_depth() {
    let g = j(r#"{"method":"Session.detached","params":{"reason":"target_gone"}}"#);
    assert_eq!(g.announces, Some(Announces::Reason), "{g:?}");
    assert!(g.words.contains("target_gone"), "{g:?}");
    assert_eq!(
        j(r#"{"type":"room_disposed"}"#).announces,
        Some(Announces::Event)
    );
    assert_eq!(
        j(r#"{"event":"evicted","by":"new login"}"#).announces,
        Some(Announces::Event)
    );
    assert_eq!(
        j(r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"header not found"}}"#)
            .announces,
        Some(Announces::Error)
    );
    assert_eq!(
        j(r#"{"a":{"b":{"c":{"error":"deep"}}}}"#).announces,
        Some(Announces::Error)
    );
    // Said and denied, or a success: nothing announced.
    for quiet in [
        r#"{"type":"update","data":{"text":"hello"}}"#,
        r#"{"error":null,"result":1}"#,
        r#"{"ok":true,"code":200}"#,
        r#"{"type":"pong"}"#,
        r#"{"status":"not closed"}"#,
        r#"{"reason":"none"}"#,
        r#"{"type":"chat","user":"ann","body":"what an error"}"#,
        // A reason of another event than the end.
        r#"{"type":"update","reason":"user_edit","code":7}"#,
        // Someone else left: no ending word of this session.
        r#"{"type":"leave","user":"bob"}"#,
    ] {
        assert_eq!(j(quiet).announces, None, "{quiet}");
    }
}

#[test]
fn xml_errors_and_conditions_of_rfc_6120_announce_the_end() {
    let g = xml("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>")
        .unwrap_or_default();
    assert_eq!(g.announces, Some(Announces::Error), "{g:?}");
    assert!(g.words.contains("not-authorized"));
    let g = xml("<stream:error><host-gone xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text>moved</text></stream:error>")
        .unwrap_or_default();
    assert_eq!(g.announces, Some(Announces::Error), "{g:?}");
    assert!(
        g.words.contains("host-gone") && g.words.contains("moved"),
        "{g:?}"
    );
    assert_eq!(
        xml("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>").map(|g| g.announces),
        Some(Some(Announces::Event))
    );
    assert_eq!(
        xml("<message to='a'><body>hi there</body></message>").map(|g| g.announces),
        Some(None)
    );
    assert_eq!(xml("a < b > c"), None);
    assert_eq!(xml("<unclosed"), None);
}

#[test]
fn protobuf_without_a_schema_gives_its_strings_by_field_number() {
    // field 1 varint 7, field 2 "session revoked", field 3 {1: "bye"}
    let mut m = vec![0x08, 7, 0x12, 15];
    m.extend_from_slice(b"session revoked");
    m.extend_from_slice(&[0x1a, 5, 0x0a, 3]);
    m.extend_from_slice(b"bye");
    let (shown, g) = protobuf(&m).unwrap_or_default();
    assert_eq!(shown, r#"1:7 2:"session revoked" 3:{1:"bye"}"#);
    assert_eq!(g.announces, Some(Announces::Error), "{g:?}");
    // Varint-framed: a length prefix that counts the rest.
    let mut framed = vec![m.len() as u8];
    framed.extend_from_slice(&m);
    assert_eq!(protobuf(&framed).map(|p| p.0), Some(shown));
    // Not protobuf: a bad wire type, a length past the end, no string.
    assert!(protobuf(&[0x0f, 1]).is_none());
    assert!(protobuf(&[0x12, 40, b'a']).is_none());
    assert!(protobuf(&[0x08, 1, 0x10, 2]).is_none());
}

#[test]
fn text_reads_its_last_line_and_sign_offs() {
    let g = text("working\nshift over, logging off\n");
    assert_eq!(
        (g.words.as_str(), g.announces),
        ("shift over, logging off", Some(Announces::SignOff))
    );
    assert_eq!(text("not logging off yet").announces, None);
    assert_eq!(text("hello").announces, None);
    let (s, g) = strings(b"\x00\x01\x02quota exceeded\x00\xffab").unwrap_or_default();
    assert_eq!(
        (s.as_str(), g.announces),
        ("quota exceeded", Some(Announces::Error))
    );
}

#[test]
fn the_byte_prechecks_pass_over_no_sign_off_or_ending() {
    for s in [
        "shift, over",
        "Logging\tOFF",
        "see-you",
        "goodBye",
        "sessionOver",
        "SHUTDOWN now",
        "signoff",
    ] {
        assert!(signs_off(s), "{s}");
    }
    for s in [
        "log-out",
        "LoggedOut",
        "\u{212a}ick",
        "room_disposed",
        "Session.detached",
    ] {
        assert!(names_end(s), "{s}");
    }
    assert!(!signs_off("session update, over the wire"));
    assert!(!signs_off("update"));
    assert!(!names_end("update"));
    // The gist is cut by characters, not bytes.
    let mut g = Gist::default();
    g.put(&"é".repeat(300));
    assert_eq!(g.words.chars().count(), GIST);
    g.put("more");
    assert_eq!(g.words.chars().count(), GIST);
}

/// Every reader on random bytes: no panic, bounded output (a stable stand-in for the
/// fuzz target `fuzz/fuzz_targets/shapes.rs`).
#[test]
fn random_bytes_never_panic_and_stay_bounded() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..20_000 {
        let len = (next() % 257) as usize;
        let alphabet: &[u8] = if round % 3 == 0 {
            b"<>/:ab \"{}[],0189\x08\x12\x1a"
        } else {
            &[]
        };
        let b: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if alphabet.is_empty() {
                    r as u8
                } else {
                    alphabet[(r as usize) % alphabet.len()]
                }
            })
            .collect();
        if let Some((s, g)) = protobuf(&b) {
            assert!(s.len() <= 16 * b.len() + 16 && g.words.chars().count() <= GIST + 2);
        }
        if let Some((_, g)) = strings(&b) {
            assert!(g.words.chars().count() <= GIST + 2);
        }
        let s = String::from_utf8_lossy(&b);
        let _ = xml(&s);
        let _ = text(&s);
        // Where the pre-check says no reader can mark it, reading without looking at the
        // words gives the same (what the report relies on to skip them).
        if !may_announce(&b) {
            assert_eq!(strings_of(&b, false), strings(&b));
        }
        if !may_announce(s.as_bytes()) {
            assert_eq!(text_of(&s, false), text(&s));
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b) {
            let _ = json(&v);
        }
    }
}
