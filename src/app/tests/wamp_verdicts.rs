//! WAMP's verdicts in every serialization (JSON, MessagePack, CBOR, each alone or batched),
//! from messages built here as the specification writes them; hostile lengths and nesting;
//! messages the capture does not hold whole.

use super::*;

/// A MessagePack string (fixstr or str8).
fn mp_str(s: &str) -> Vec<u8> {
    let mut v = if s.len() < 32 {
        vec![0xa0 | s.len() as u8]
    } else {
        vec![0xd9, s.len() as u8]
    };
    v.extend(s.as_bytes());
    v
}

/// A CBOR text string (length in the header or in one byte after it).
fn cb_str(s: &str) -> Vec<u8> {
    let mut v = if s.len() < 24 {
        vec![0x60 | s.len() as u8]
    } else {
        vec![0x78, s.len() as u8]
    };
    v.extend(s.as_bytes());
    v
}

/// `[kind, {"message": message}, reason]` (ABORT, GOODBYE) in MessagePack and CBOR.
fn closing(kind: u8, message: &str, reason: &str) -> (Vec<u8>, Vec<u8>) {
    let mut mp = vec![0x93, kind, 0x81];
    mp.extend(mp_str("message"));
    mp.extend(mp_str(message));
    mp.extend(mp_str(reason));
    let mut cb = vec![0x83, kind, 0xa1];
    cb.extend(cb_str("message"));
    cb.extend(cb_str(message));
    cb.extend(cb_str(reason));
    (mp, cb)
}

/// `[1, realm, {}]` (HELLO) in MessagePack and CBOR.
fn hello(realm: &str) -> (Vec<u8>, Vec<u8>) {
    let mut mp = vec![0x93, 1];
    mp.extend(mp_str(realm));
    mp.push(0x80);
    let mut cb = vec![0x83, 1];
    cb.extend(cb_str(realm));
    cb.push(0xa0);
    (mp, cb)
}

/// Each message after its 4-byte big-endian length, in one WebSocket message.
fn batch(msgs: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend((m.len() as u32).to_be_bytes());
        out.extend(*m);
    }
    out
}

fn refused(
    subprotocol: &str,
    text: bool,
    hello: &[u8],
    abort: &[u8],
) -> crate::vocab::ApplicationReport {
    let mut s = Script::new(Some(subprotocol), None);
    s.msg(Client, text, hello, 4, 0)
        .msg(Server, text, abort, 5, 1);
    s.t.worded(&closed(Server, Some(1000), "", 6, 2)).unwrap()
}

#[test]
fn an_abort_reads_the_same_in_every_serialization() {
    let (mp_hello, cb_hello) = hello("realm1");
    let (mp_abort, cb_abort) = closing(3, "no such realm here", "wamp.error.no_such_realm");
    let json_hello = r#"[1,"realm1",{}]"#;
    let json_abort = r#"[3,{"message":"no such realm here"},"wamp.error.no_such_realm"]"#;
    let cases: Vec<(&str, bool, Vec<u8>, Vec<u8>)> = vec![
        ("wamp.2.json", true, json_hello.into(), json_abort.into()),
        (
            "wamp.2.json.batched",
            true,
            format!("{json_hello}\x1e").into(),
            format!("{json_abort}\x1e").into(),
        ),
        // Autobahn's separator (its b"\30" is octal: 0x18).
        (
            "wamp.2.json.batched",
            true,
            format!("{json_hello}\x18").into(),
            format!("{json_abort}\x18").into(),
        ),
        ("wamp.2.msgpack", false, mp_hello.clone(), mp_abort.clone()),
        ("wamp.2.cbor", false, cb_hello.clone(), cb_abort.clone()),
        (
            "wamp.2.msgpack.batched",
            false,
            batch(&[&mp_hello]),
            batch(&[&mp_abort]),
        ),
        (
            "wamp.2.cbor.batched",
            false,
            batch(&[&cb_hello]),
            batch(&[&cb_abort]),
        ),
    ];
    for (sp, text, h, a) in cases {
        let r = refused(sp, text, &h, &a);
        assert_eq!(r.protocol, "WAMP", "{sp}");
        assert_eq!(r.cause.as_deref(), Some("wamp.error.no_such_realm"), "{sp}");
        assert_eq!(r.ended_by, Some(Server), "{sp}");
        assert_eq!(r.evidence, vec![4, 5], "{sp}");
        assert_eq!(r.undecodable, 0, "{sp}");
        let summary = r.summary.unwrap();
        for want in [
            "the router refused the session",
            "realm \"realm1\" (packet 4)",
            "the realm does not exist on the router",
            "\"no such realm here\"",
        ] {
            assert!(summary.contains(want), "{sp}: {summary}");
        }
        assert!(r.fix.unwrap().contains("realm"), "{sp}");
    }
    // A message in another serialization than the subprotocol's is not read as WAMP.
    let r = refused("wamp.2.cbor", false, &mp_hello, &mp_abort);
    assert_eq!(r.cause, None);
    assert_eq!(r.undecodable, 2);
}

#[test]
fn a_goodbye_answered_is_a_clean_end_and_one_unanswered_says_so() {
    let (mp_bye, _) = closing(6, "maintenance", "wamp.close.system_shutdown");
    let (mp_out, _) = closing(6, "", "wamp.close.goodbye_and_out");
    // Two messages batched in one WebSocket message, then the answer.
    let mut s = Script::new(Some("wamp.2.msgpack.batched"), None);
    let event = [0x94, 36, 1, 2, 0x80];
    s.bin(Server, &batch(&[&event, &mp_bye]), 8, 0)
        .bin(Client, &batch(&[&mp_out]), 9, 1);
    let r = s.t.worded(&closed(Client, Some(1000), "", 10, 2)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("wamp.close.system_shutdown"));
    assert_eq!(r.ended_by, Some(Server));
    assert_eq!(r.evidence, vec![8, 9]);
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("a clean end of the WAMP session"),
        "{summary}"
    );
    assert!(summary.contains("the router is shutting down"), "{summary}");
    assert!(summary.contains("\"maintenance\""), "{summary}");
    // Unanswered: the router's FIN came first.
    let mut s = Script::new(Some("wamp.2.json"), None);
    s.text(Client, r#"[6,{},"wamp.close.close_realm"]"#, 8, 0);
    let r = s.t.worded(&tcp_end(Server, false, 9, 5)).unwrap();
    assert_eq!(r.ended_by, Some(Client));
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("the router sent no GOODBYE in answer before the router ended the connection at packet 9"),
        "{summary}"
    );
    assert!(!summary.contains("clean"), "{summary}");
}

#[test]
fn an_error_is_shown_with_its_uri_and_names_no_cause() {
    let mut s = Script::new(Some("wamp.2.json"), None);
    s.text(Client, r#"[1,"realm1",{}]"#, 4, 0)
        .text(Server, r#"[2,123,{}]"#, 5, 1)
        .text(Client, r#"[48,7,{},"com.example.f",[1]]"#, 6, 2)
        .text(
            Server,
            r#"[8,48,7,{"message":"nobody"},"wamp.error.no_such_procedure",["x"]]"#,
            7,
            3,
        );
    let r = s.t.worded(&closed(Client, Some(1000), "", 8, 4)).unwrap();
    assert_eq!(r.cause, None);
    assert_eq!(r.ended_by, None);
    assert_eq!(r.evidence, vec![5, 7]);
    let summary = r.summary.unwrap();
    for want in [
        "established (WELCOME at packet 5)",
        "neither side sent GOODBYE or ABORT before the client ended the connection at packet 8",
        "the router answered CALL request 7 with ERROR \"wamp.error.no_such_procedure\" at packet 7",
        "\"nobody\"",
    ] {
        assert!(summary.contains(want), "{summary}");
    }
}

#[test]
fn hostile_lengths_and_nesting_are_undecodable_and_cost_nothing() {
    let mut deep_mp = vec![0x93, 3];
    deep_mp.extend(std::iter::repeat_n(0x91, 100_000));
    let mut deep_cb = vec![0x83, 3];
    deep_cb.extend(std::iter::repeat_n(0x81, 100_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // An array of 2^32-1 elements, a string of 2^32-1 bytes, a map of 2^32-1 entries.
        ("wamp.2.msgpack", vec![0xdd, 0xff, 0xff, 0xff, 0xff, 3]),
        (
            "wamp.2.msgpack",
            vec![0x93, 3, 0x80, 0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
        ),
        (
            "wamp.2.msgpack",
            vec![0x93, 3, 0xdf, 0xff, 0xff, 0xff, 0xff],
        ),
        ("wamp.2.msgpack", deep_mp),
        // An array of 2^64-1 elements, a text of 2^64-1 bytes, an unterminated indefinite map.
        (
            "wamp.2.cbor",
            vec![0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3],
        ),
        (
            "wamp.2.cbor",
            vec![
                0x83, 3, 0xa0, 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        ),
        ("wamp.2.cbor", vec![0x83, 3, 0xbf, 0x61, b'a']),
        ("wamp.2.cbor", deep_cb),
        // A batch whose length runs past the message.
        ("wamp.2.cbor.batched", vec![0xff, 0xff, 0xff, 0xff, 0x83, 3]),
    ];
    for (sp, bytes) in cases {
        let mut s = Script::new(Some(sp), None);
        s.bin(Server, &bytes, 5, 0);
        let r = s.t.worded(&closed(Server, Some(1000), "", 6, 1)).unwrap();
        assert_eq!(
            (r.undecodable, r.cause),
            (1, None),
            "{sp} {:x?}",
            &bytes[..6]
        );
    }
}

#[test]
fn indefinite_cbor_and_tags_are_read_through() {
    // [3, {_ "message": (_ "no ", "realm")}, 55799("wamp.error.no_such_realm")], the array
    // itself of indefinite length.
    let mut cb = vec![0x9f, 3, 0xbf];
    cb.extend(cb_str("message"));
    cb.push(0x7f);
    cb.extend(cb_str("no "));
    cb.extend(cb_str("realm"));
    cb.extend([0xff, 0xff]);
    cb.extend([0xd9, 0xd9, 0xf7]);
    cb.extend(cb_str("wamp.error.no_such_realm"));
    cb.push(0xff);
    let r = refused("wamp.2.cbor", false, &hello("r").1, &cb);
    assert_eq!(r.cause.as_deref(), Some("wamp.error.no_such_realm"));
    assert_eq!(r.undecodable, 0);
    // The chunked message is not joined: nothing of it is shown.
    let summary = r.summary.unwrap();
    assert!(summary.contains("realm \"r\""), "{summary}");
    assert!(!summary.contains("no realm"), "{summary}");
}

#[test]
fn a_message_not_held_whole_is_read_only_as_far_as_its_type() {
    // An EVENT longer than what is kept is still an EVENT; a GOODBYE cut is undecodable.
    let mut s = Script::new(Some("wamp.2.json"), None);
    s.t.message(&Message {
        from: Server,
        text: true,
        bytes: br#"[36,1,2,{},["xxxxxxxx"#,
        len: 10_000,
        damaged: false,
        packet: 5,
        ts: ts(0),
    });
    s.t.message(&Message {
        from: Server,
        text: true,
        bytes: br#"[6,{"message":"a long"#,
        len: 10_000,
        damaged: false,
        packet: 6,
        ts: ts(1),
    });
    let r = s.t.worded(&closed(Server, Some(1000), "", 7, 2));
    let r = r.unwrap();
    assert_eq!((r.messages, r.undecodable, r.cause), (2, 1, None));
}

#[test]
fn a_lost_direction_withholds_what_it_may_have_said() {
    let mut s = Script::new(Some("wamp.2.cbor"), None);
    let (_, cb_hello) = hello("realm1");
    s.bin(Client, &cb_hello, 4, 0);
    s.t.tapped(Server, Tapped::Lost { packet: 5 });
    let r = s.t.worded(&tcp_end(Server, false, 7, 3)).unwrap();
    assert_eq!(r.cause, None);
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("the router's messages are not all in the capture from packet 5"),
        "{summary}"
    );
    assert!(
        summary.contains("no GOODBYE or ABORT is in the capture"),
        "{summary}"
    );
}
