//! Unit tests of the key-log parser: labels, client randoms, secrets, conflicts, bounds.

use super::*;

const CR1: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const CR2: &str = "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB";

fn s(byte: u8, len: usize) -> String {
    hex_lower(&vec![byte; len])
}

fn cr(hex: &str) -> ClientRandom {
    decode_hex(hex).unwrap().try_into().unwrap()
}

#[test]
fn parses_every_label_comments_blank_and_crlf() {
    let text = format!(
        "# comment\r\n\r\nCLIENT_RANDOM {CR1} {ms}\r\n\
         CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {a}\n\
         SERVER_HANDSHAKE_TRAFFIC_SECRET {CR2} {b}\n\
         CLIENT_TRAFFIC_SECRET_0 {CR2} {c}\n\
         SERVER_TRAFFIC_SECRET_0 {CR2} {d}\n\
         EXPORTER_SECRET {CR2} {e}\n\
         CLIENT_EARLY_TRAFFIC_SECRET {CR2} {f}\n   \n",
        ms = s(0x11, 48),
        a = s(0xa1, 32),
        b = s(0xb1, 32),
        c = s(0xc1, 48),
        d = s(0xd1, 48),
        e = s(0xe1, 32),
        f = s(0xf1, 32),
    );
    let mut log = KeyLog::new();
    let w = log.add_text("keys.txt", text.as_bytes());
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(log.len(), 2);
    let one = log.get(&cr(CR1)).unwrap();
    assert_eq!(one.master_secret(), Some(&[0x11; 48][..]));
    assert!(!one.has_tls13());
    let two = log.get(&cr(CR2)).unwrap();
    assert_eq!(
        two.get(Label::ClientHandshakeTrafficSecret),
        Some(&[0xa1; 32][..])
    );
    assert_eq!(
        two.get(Label::ServerHandshakeTrafficSecret),
        Some(&[0xb1; 32][..])
    );
    assert_eq!(two.get(Label::ClientTrafficSecret0), Some(&[0xc1; 48][..]));
    assert_eq!(two.get(Label::ServerTrafficSecret0), Some(&[0xd1; 48][..]));
    assert_eq!(two.get(Label::ExporterSecret), Some(&[0xe1; 32][..]));
    assert_eq!(
        two.get(Label::ClientEarlyTrafficSecret),
        Some(&[0xf1; 32][..])
    );
    assert!(two.master_secret().is_none());
    assert!(two.has_tls13());
}

#[test]
fn hex_is_case_insensitive() {
    let mut log = KeyLog::new();
    let lower = CR2.to_lowercase();
    let w = log.add_text(
        "k",
        format!("CLIENT_RANDOM {lower} {}\n", "Ab".repeat(48)).as_bytes(),
    );
    assert!(w.is_empty());
    assert_eq!(
        log.get(&cr(CR2)).unwrap().master_secret(),
        Some(&[0xab; 48][..])
    );
}

#[test]
fn unknown_labels_are_skipped_silently() {
    let mut log = KeyLog::new();
    let w = log.add_text(
        "k",
        format!(
            "RSA 0011223344556677 {}\nEARLY_EXPORTER_SECRET {CR1} {}\n",
            s(1, 48),
            s(2, 32)
        )
        .as_bytes(),
    );
    assert!(w.is_empty());
    assert!(log.is_empty());
}

#[test]
fn bad_lines_warn_with_source_and_line_and_no_secret() {
    let secret = "deadbeef".repeat(12); // 48 bytes
    let text = format!(
        "CLIENT_RANDOM {CR1}\n\
         CLIENT_RANDOM 0102 {secret}\n\
         CLIENT_RANDOM {CR1} {secret}zz\n\
         CLIENT_RANDOM {CR1} {short}\n\
         CLIENT_TRAFFIC_SECRET_0 {CR1} {odd}\n\
         CLIENT_RANDOM {CR1} {secret}\n",
        short = "deadbeef".repeat(4),
        odd = "deadbeef".repeat(5),
    );
    let mut log = KeyLog::new();
    let w = log.add_text("my.keys", text.as_bytes());
    let kinds: Vec<_> = w.iter().map(|w| (w.line, w.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (1, WarningKind::Malformed),
            (2, WarningKind::BadClientRandom),
            (
                3,
                WarningKind::BadSecretHex {
                    label: Label::ClientRandom
                }
            ),
            (
                4,
                WarningKind::BadSecretLength {
                    label: Label::ClientRandom,
                    len: 16
                }
            ),
            (
                5,
                WarningKind::BadSecretLength {
                    label: Label::ClientTrafficSecret0,
                    len: 20
                }
            ),
        ]
    );
    let extra = format!("CLIENT_RANDOM {CR1} {secret} extra\n");
    let more = KeyLog::new().add_text("my.keys", extra.as_bytes());
    assert_eq!(more[0].kind, WarningKind::Malformed);
    let w: Vec<_> = w.into_iter().chain(more).collect();
    for w in &w {
        let text = w.to_string();
        assert!(text.starts_with(&format!("key log my.keys line {}: ", w.line)));
        assert!(!text.contains("deadbeef"), "{text}");
    }
    // The good line 6 was still taken.
    assert!(log.get(&cr(CR1)).unwrap().master_secret().is_some());
    // Non-UTF-8 line.
    let w = log.add_text("bin", b"CLIENT_RANDOM \xff\xfe x\n");
    assert_eq!(w[0].kind, WarningKind::NotText);
}

#[test]
fn duplicates_and_conflicts_keep_the_first() {
    let a = s(0xaa, 48);
    let b = s(0xbb, 48);
    let mut log = KeyLog::new();
    let w = log.add_text(
        "k1",
        format!("CLIENT_RANDOM {CR1} {a}\nCLIENT_RANDOM {CR1} {a}\n").as_bytes(),
    );
    assert!(w.is_empty(), "same value twice is fine");
    let w = log.add_text("k2", format!("\nCLIENT_RANDOM {CR1} {b}\n").as_bytes());
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].source, "k2");
    assert_eq!(w[0].line, 2);
    let text = w[0].to_string();
    // The label and the line, never the secrets nor the client random (a report carries
    // the warning; the random finds the connection's lines in the key log).
    assert!(
        text.contains("CLIENT_RANDOM") && text.contains("line 2"),
        "{text}"
    );
    assert!(!text.contains("aaaa") && !text.contains("bbbb"), "{text}");
    assert!(!text.contains("01010101"), "{text}");
    assert_eq!(
        log.get(&cr(CR1)).unwrap().master_secret(),
        Some(&[0xaa; 48][..])
    );
}

#[test]
fn incremental_appends_wait_for_the_end_of_a_line() {
    let line = format!("CLIENT_RANDOM {CR1} {}\n", s(0x42, 48));
    let bad = "garbage\n";
    let all = format!("{bad}{line}{line}{bad}");
    for split in 1..all.len() {
        let mut log = KeyLog::new();
        let (a, b) = all.as_bytes().split_at(split);
        let mut w = log.append("live", a);
        w.extend(log.append("live", b));
        w.extend(log.finish("live"));
        assert_eq!(
            w.iter().map(|w| w.line).collect::<Vec<_>>(),
            vec![1, 4],
            "split at {split}"
        );
        assert!(log.get(&cr(CR1)).is_some());
    }
    // An unterminated line is parsed only at finish().
    let mut log = KeyLog::new();
    let w = log.append("live", line.trim_end().as_bytes());
    assert!(w.is_empty() && log.is_empty());
    assert!(log.finish("live").is_empty());
    assert!(log.get(&cr(CR1)).is_some());
}

/// Past the first [`WARNINGS_SHOWN`] bad lines of a source, one warning counts the
/// rest, whether the text is read whole or appended in pieces.
#[test]
fn bad_lines_past_the_first_few_are_counted() {
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(if i % 2 == 0 { "bad\n" } else { "# fine\n" });
    }
    text.push_str("last bad"); // line 21, unterminated
    let mut whole = KeyLog::new();
    let w = whole.add_text("k", text.as_bytes());
    let mut pieces = KeyLog::new();
    let mut p = Vec::new();
    for chunk in text.as_bytes().chunks(7) {
        p.extend(pieces.append("k", chunk));
    }
    p.extend(pieces.finish("k"));
    assert_eq!(w, p);
    let lines: Vec<u64> = w.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![1, 3, 5, 7, 9, 21]);
    assert_eq!(w[5].kind, WarningKind::More { lines: 6 });
    assert_eq!(
        w[5].to_string(),
        "key log k: … and 6 more lines that could not be used (the last: line 21)"
    );
    // Five or fewer: no count.
    assert_eq!(KeyLog::new().add_text("k", b"a\nb\nc\nd\ne\n").len(), 5);
    // A source still being read says how many were not listed so far.
    let mut live = KeyLog::new();
    assert_eq!(live.append("live", "bad\n".repeat(8).as_bytes()).len(), 5);
    let more = live.more_warnings("live").expect("a count");
    assert_eq!((more.line, more.kind), (8, WarningKind::More { lines: 3 }));
    assert!(KeyLog::new().more_warnings("live").is_none());
}

/// With [`KeyLog::keep_only`], the lines of other connections are checked (their
/// warnings given) and counted, not kept.
#[test]
fn only_the_wanted_connections_are_kept() {
    let mut log = KeyLog::new();
    log.add_text(
        "k",
        format!("CLIENT_RANDOM {CR2} {}\n", s(1, 48)).as_bytes(),
    );
    log.keep_only([cr(CR1)].into_iter().collect());
    assert!(
        log.is_empty(),
        "what was kept before and is not wanted goes"
    );
    let w = log.add_text(
        "k",
        format!(
            "CLIENT_RANDOM {CR1} {a}\nCLIENT_RANDOM {CR2} {a}\nCLIENT_RANDOM {CR2} {b}\n\
             CLIENT_RANDOM {CR2} {short}\n",
            a = s(1, 48),
            b = s(2, 48),
            short = s(3, 8)
        )
        .as_bytes(),
    );
    assert_eq!(
        w.iter().map(|w| (w.line, w.kind.clone())).collect::<Vec<_>>(),
        vec![(
            4,
            WarningKind::BadSecretLength {
                label: Label::ClientRandom,
                len: 8
            }
        )],
        "a bad line warns even for a connection not kept; a second secret of one not kept is no conflict"
    );
    assert_eq!(log.len(), 1);
    assert!(log.get(&cr(CR1)).is_some());
    assert_eq!(log.skipped_lines(), 2);
}

/// Lines passed over (a live capture's backlog) are counted in the line numbers.
#[test]
fn lines_passed_over_count_in_line_numbers() {
    let mut log = KeyLog::new();
    log.pass_over("live", 41);
    let w = log.append("live", b"bad\n");
    assert_eq!(w[0].line, 42);
}

#[test]
fn an_overlong_partial_line_is_dropped() {
    let mut log = KeyLog::new();
    let w = log.append("live", &vec![b'A'; MAX_LINE + 10]);
    assert!(w.is_empty());
    let w = log.append(
        "live",
        format!("AAAA\nCLIENT_RANDOM {CR1} {}\n", s(1, 48)).as_bytes(),
    );
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, WarningKind::TooLong);
    assert_eq!(w[0].line, 1);
    assert!(log.get(&cr(CR1)).is_some());
}

#[test]
fn several_sources_merge() {
    let mut log = KeyLog::new();
    log.add_text(
        "file",
        format!("CLIENT_RANDOM {CR1} {}\n", s(1, 48)).as_bytes(),
    );
    log.add_text(
        "capture.pcapng: Decryption Secrets Block 1",
        format!("SERVER_TRAFFIC_SECRET_0 {CR1} {}\n", s(2, 32)).as_bytes(),
    );
    let secrets = log.get(&cr(CR1)).unwrap();
    assert!(secrets.master_secret().is_some());
    assert!(secrets.get(Label::ServerTrafficSecret0).is_some());
}

#[test]
fn debug_never_prints_secret_bytes() {
    let mut log = KeyLog::new();
    log.add_text(
        "k",
        format!("CLIENT_RANDOM {CR1} {}\n", s(0x5a, 48)).as_bytes(),
    );
    let secrets = log.get(&cr(CR1)).unwrap();
    for text in [
        format!("{log:?}"),
        format!("{secrets:?}"),
        format!("{:?}", Secret::new(&[0x5a; 48]).unwrap()),
    ] {
        assert!(!text.contains("5a") && !text.contains("90"), "{text}");
    }
    assert!(format!("{secrets:?}").contains("48 bytes, redacted"));
}

#[test]
fn nss_lines_round_trip() {
    let text = format!(
        "SERVER_TRAFFIC_SECRET_0 {CR2} {}\nCLIENT_TRAFFIC_SECRET_0 {CR2} {}\nCLIENT_RANDOM {CR1} {}\n",
        s(2, 32),
        s(1, 32),
        s(3, 48)
    );
    let mut log = KeyLog::new();
    log.add_text("k", text.as_bytes());
    let lines = log.nss_lines(&cr(CR2)).unwrap();
    assert_eq!(
        lines,
        format!(
            "CLIENT_TRAFFIC_SECRET_0 {r} {}\nSERVER_TRAFFIC_SECRET_0 {r} {}\n",
            s(1, 32),
            s(2, 32),
            r = CR2.to_lowercase()
        )
    );
    let mut again = KeyLog::new();
    assert!(again.add_text("x", lines.as_bytes()).is_empty());
    assert_eq!(again.get(&cr(CR2)), log.get(&cr(CR2)));
    assert!(log.nss_lines(&[9; 32]).is_none());
}

#[test]
fn hostile_input_does_not_panic() {
    let mut log = KeyLog::new();
    for text in [
        &b"\n\n\n"[..],
        b"CLIENT_RANDOM",
        b"CLIENT_RANDOM  \t ",
        b"\xff\xff\xff\n\x00\x00",
        b"CLIENT_RANDOM \xe2\x82 ab\n",
    ] {
        log.add_text("h", text);
        log.append("h", text);
    }
    log.finish("h");
}

/// The table decoder against a digit-at-a-time reading, on every byte pair and on
/// odd, overlong and non-hex input.
#[test]
fn hex_table_matches_digit_reading() {
    fn digit(c: u8) -> Option<u8> {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    for h in 0..=255u8 {
        for l in 0..=255u8 {
            let want = digit(h).zip(digit(l)).map(|(h, l)| h << 4 | l);
            let mut out = [0u8; 1];
            let got = decode_hex_into(&[h, l], &mut out).map(|_| out[0]);
            assert_eq!(got, want, "{h:#04x} {l:#04x}");
        }
    }
    let mut out = [0u8; 2];
    assert_eq!(decode_hex_into(b"abc", &mut out), None); // odd
    assert_eq!(decode_hex_into(b"abcdef", &mut out), None); // longer than out
    assert_eq!(decode_hex_into(b"AbCd", &mut out), Some(2));
    assert_eq!(out, [0xab, 0xcd]);
    assert_eq!(decode_hex_into(b"", &mut out), Some(0));
    assert_eq!(decode_hex("0g"), None);
    assert_eq!(Secret::new(&[1; MAX_SECRET + 1]), None);
}

/// The quick read of a plain line takes only lines the general parse reads the same way:
/// for each line below and each cut of it, it gives nothing or exactly what the general
/// parse gives; and the usual lines (LF, CRLF, either case of hex) take the quick read.
#[test]
fn the_quick_line_read_agrees_with_the_general_one() {
    let secret32 = s(0x5a, 32);
    let secret48 = s(0xc3, 48);
    let lines = [
        format!("CLIENT_TRAFFIC_SECRET_0 {CR1} {secret32}"),
        format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {CR2} {secret48}\r"),
        format!("CLIENT_RANDOM {CR1} {secret48}"),
        format!("CLIENT_RANDOM {CR1} {secret32}"),
        format!("CLIENT_RANDOM  {CR1} {secret48}"),
        format!("CLIENT_RANDOM\t{CR1} {secret48}"),
        format!(" CLIENT_RANDOM {CR1} {secret48}"),
        format!("CLIENT_RANDOM {CR1} {secret48} "),
        format!("CLIENT_RANDOM {CR1}  {secret48}"),
        format!("CLIENT_RANDOM {CR1} {secret48} extra"),
        format!("client_random {CR1} {secret48}"),
        format!("EXPORTER_SECRET {CR1} {secret32}x"),
        format!("EXPORTER_SECRET {CR1}0 {secret32}"),
        format!("EXPORTER_SECRET {CR1} {secret32}\r\r"),
        format!("NEW_LABEL {CR1} {secret32}"),
        format!("# CLIENT_RANDOM {CR1} {secret48}"),
        format!("EXPORTER_SECRET {} {secret32}", "é".repeat(32)),
        String::new(),
    ];
    let mut quick = 0;
    for line in &lines {
        for cut in 0..=line.len() {
            let Some(part) = line.as_bytes().get(..cut) else {
                continue;
            };
            if let Some(q) = plain_line(part) {
                assert_eq!(Ok(&q), fields(part).as_ref(), "{part:?}");
                quick += usize::from(cut == line.len());
            }
        }
    }
    assert_eq!(quick, 3, "the three usual lines are read quickly");
}

/// Parts of one log joined: a connection's labels from two parts are put together, the
/// same secret twice is no conflict, a different one is; a log with nothing yet takes the
/// other's table as it is, and one made with room keeps its own (a table freed here would
/// raise glibc's memory-map threshold for the rest of the run).
#[test]
fn absorbing_a_part_joins_its_secrets_and_keeps_the_larger_table() {
    let part = |text: String| {
        let mut log = KeyLog::new();
        assert!(log.add_text("part", text.as_bytes()).is_empty());
        log
    };
    let first = part(format!(
        "CLIENT_RANDOM {CR1} {}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {}\n",
        s(0x11, 48),
        s(0xa1, 32)
    ));
    let second = || {
        part(format!(
            "CLIENT_RANDOM {CR1} {}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {CR2} {}\n",
            s(0x11, 48),
            s(0xb1, 32)
        ))
    };
    let mut all = KeyLog::new();
    all.reserve_for(22_000_000);
    let room = all.connections.capacity();
    assert!(all.absorb(first));
    assert_eq!(all.connections.capacity(), room);
    assert!(all.absorb(second()));
    assert_eq!((all.len(), all.usable_lines()), (2, 4));
    let both = all.get(&cr(CR2)).unwrap();
    assert_eq!(
        both.get(Label::ClientHandshakeTrafficSecret),
        Some(&[0xa1; 32][..])
    );
    assert_eq!(
        both.get(Label::ServerHandshakeTrafficSecret),
        Some(&[0xb1; 32][..])
    );
    let mut empty = KeyLog::new();
    assert!(empty.absorb(all));
    assert_eq!(empty.connections.capacity(), room);
    let differs = part(format!("CLIENT_RANDOM {CR1} {}\n", s(0x12, 48)));
    assert!(!empty.absorb(differs));
    assert!(empty.absorb(second()));
}
