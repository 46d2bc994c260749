//! Connections that stay encrypted: without a key log or with a wrong one each is listed
//! as encrypted with its SNI and says why, no close code is made up, and the advice fits
//! the reason (how to log keys, how to make Wireshark decode TLS on another port).

use super::*;
use wsclose::report::tls::Reason;
use wsclose::vocab::TcpEndName;

#[test]
fn without_a_key_the_connection_is_listed_as_encrypted_with_its_sni() {
    let r = analyze("python-tls13-aes128gcm-close-1000.pcap", &[]);
    assert!(r.connections.is_empty(), "no WebSocket can be read");
    assert_eq!(r.summary.encrypted_connections, 1);
    let e = &r.seen.encrypted[0];
    assert_eq!(e.tls.sni.as_deref(), Some("localhost"));
    assert_eq!(e.tls.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(e.tls.alpn_offered, vec!["http/1.1".to_string()]);
    assert!(!e.tls.decrypted);
    assert_eq!(
        e.tls.not_decrypted.as_deref(),
        Some("no key for this connection")
    );
    assert_eq!(
        (e.tcp_end(), e.tcp_end_packet()),
        (TcpEndName::Fin, Some(19))
    );
}

#[test]
fn the_table_header_counts_encrypted_connections() {
    let head = |r: &Report| {
        let t = wsclose::render::table::render(r, Some(200), false);
        t.lines().next().unwrap_or_default().to_string()
    };
    let r = analyze("python-tls13-aes128gcm-close-1000.pcap", &[]);
    let line = head(&r);
    assert!(
        line.ends_with(
            ", 0 WebSocket connections, 1 encrypted connection without a readable WebSocket"
        ),
        "{line}"
    );
    // Decrypted: the WebSocket is counted, nothing encrypted is.
    let r = analyze(
        "python-tls13-aes128gcm-close-1000.pcap",
        &["python-tls13-aes128gcm-close-1000.keylog"],
    );
    let line = head(&r);
    assert!(line.ends_with(", 1 WebSocket connection"), "{line}");
}

/// A connection that was not decrypted is not called a WebSocket: nothing of what it carried
/// was read. Its TLS is named as such, in the table as in Markdown; a decrypted session is
/// headed "wss:" (a WebSocket was read inside it).
#[test]
fn an_encrypted_connection_is_not_labelled_wss() {
    let r = analyze("python-tls13-aes128gcm-close-1000.pcap", &[]);
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(!table.contains("wss"), "{table}");
    assert!(
        table.contains("TLS 1.3, TLS_AES_128_GCM_SHA256, SNI localhost"),
        "{table}"
    );
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(!md.contains("wss"), "{md}");
    assert!(
        md.contains(
            "| TLS 1.3, TLS\\_AES\\_128\\_GCM\\_SHA256, SNI localhost, ALPN offered http/1.1 |"
        ),
        "{md}"
    );
    let r = analyze(
        "python-tls13-aes128gcm-close-1000.pcap",
        &["python-tls13-aes128gcm-close-1000.keylog"],
    );
    let table = wsclose::render::table::render(&r, Some(200), false);
    assert!(
        table.contains("wss: TLS 1.3 TLS_AES_128_GCM_SHA256, SNI localhost"),
        "{table}"
    );
}

#[test]
fn a_wrong_key_log_decodes_nothing_and_says_it_does_not_match() {
    for (capture, keylog) in [
        (
            "python-tls13-aes128gcm-close-1000.pcap",
            "python-tls13-aes128gcm-close-1000-wrong.keylog",
        ),
        (
            "python-tls12-aes128-sha-no-etm-close-1000.pcap",
            "python-tls12-aes128-sha-no-etm-close-1000-wrong.keylog",
        ),
    ] {
        let r = analyze(capture, &[keylog]);
        assert!(r.connections.is_empty(), "{capture}: nothing decoded");
        let e = &r.seen.encrypted[0];
        assert!(!e.tls.decrypted, "{capture}");
        assert_eq!(
            e.tls.not_decrypted.as_deref(),
            Some("this key log does not match this connection"),
            "{capture}"
        );
    }
}

/// The key-log advice under the encrypted connections agrees in number with them.
#[test]
fn the_key_log_advice_says_it_or_them() {
    let table = |capture: &str| {
        let r = analyze(capture, &[]);
        wsclose::render::table::render(&r, Some(200), false)
    };
    let one = table("go-tls13-rst.pcap");
    assert!(
        one.contains("\nTo decrypt it: capture again with a key log"),
        "{one}"
    );
    let two = table("go-tls13-resume-close-4000.pcap");
    assert!(
        two.contains("\nTo decrypt them: capture again with a key log"),
        "{two}"
    );
}

/// Wireshark decodes TLS by itself only on its TLS ports (443): opened with the report's
/// filter, a wss:// connection on another port shows bare TCP even with the key log, as
/// tshark does for these fixtures without `-d tcp.port==P,tls`. The report says how.
#[test]
fn the_markdown_says_how_to_make_wireshark_decode_tls_on_another_port() {
    let r = analyze(
        "go-tls12-chacha20-abrupt-close.pcap",
        &["go-tls12-chacha20-abrupt-close.keylog"],
    );
    let md = wsclose::render::markdown::render(&r, &[None]);
    assert!(
        md.contains("Decode As… TCP port 18463 → TLS")
            && md.contains("-d tcp.port==18463,tls -d tls.port==18463,http"),
        "{md}"
    );
    // Plaintext: no such line.
    let plain =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/python-close-1000-client.pcap");
    let mut p = wsclose::analyze_files_with_progress(
        &[plain],
        Options::default(),
        &KeySources::default(),
        None,
    )
    .expect("read");
    p.load().expect("in memory");
    assert!(!wsclose::render::markdown::render(&p, &[None]).contains("Decode As"));
}

/// `capture` without the packets numbered in `drop` (a classic pcap, read and written
/// record by record), in a file of the test's own.
fn without_packets(capture: &str, drop: &[u64]) -> tempfile::TempPath {
    let bytes = std::fs::read(fixture(capture)).expect("fixture");
    let mut out = bytes[..24].to_vec();
    let (mut at, mut n) = (24, 0);
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        n += 1;
        if !drop.contains(&n) {
            out.extend_from_slice(&bytes[at..at + 16 + len]);
        }
        at += 16 + len;
    }
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut f, &out).expect("written");
    f.into_temp_path()
}

/// The advice under the encrypted connections fits why each was not read: no key log at
/// all, a key log that holds only other connections' secrets, one whose secrets for this
/// connection do not decrypt it, one that lacks the traffic secrets, a TCP gap. The same
/// words in the JSON (`reason`, `advice`), the table and Markdown.
#[test]
fn the_advice_fits_why_the_connection_was_not_read() {
    use wsclose::report::words::tls::KEYLOG_HOWTO;
    let capture = "python-tls13-aes128gcm-close-1000.pcap";
    let encrypted = |r: &Report| {
        assert_eq!(r.seen.encrypted.len(), 1);
        let e = &r.seen.encrypted[0];
        (e.reason, e.advice.clone().unwrap_or_default())
    };
    // No key log at all: how to get one.
    let (reason, advice) = encrypted(&analyze(capture, &[]));
    assert_eq!((reason, advice.as_str()), (Reason::NoKey, KEYLOG_HOWTO));

    // A key log whose lines are this connection's but whose secrets do not decrypt it.
    for (capture, keylog) in [
        (capture, "python-tls13-aes128gcm-close-1000-wrong.keylog"),
        (
            "python-tls12-aes128-sha-no-etm-close-1000.pcap",
            "python-tls12-aes128-sha-no-etm-close-1000-wrong.keylog",
        ),
    ] {
        let r = analyze(capture, &[keylog]);
        let (reason, advice) = encrypted(&r);
        assert_eq!(reason, Reason::KeyMismatch, "{capture}");
        assert!(
            advice.starts_with("pass the key log, unedited, that the client wrote while this capture was recorded (the same SSLKEYLOGFILE session): the one given has lines for this connection's client random, but their secrets fail authentication"),
            "{advice}"
        );
        assert!(!advice.contains("capture again"), "{advice}");
        // The advice is wrapped to the table's width, its lines after the first indented.
        let table = wsclose::render::table::render(&r, Some(200), false).replace("\n  ", " ");
        assert!(
            table.contains(&format!("\nTo decrypt it: {advice}.\n")),
            "{table}"
        );
        assert!(!table.contains("capture again with a key log"), "{table}");
        let md = wsclose::render::markdown::render(&r, &[None]);
        assert!(
            md.contains("\n\nTo decrypt it: pass the key log, unedited, that the client wrote"),
            "{md}"
        );
        assert!(!md.contains("capture again with a key log"), "{md}");
        let json = serde_json::to_value(&r).expect("json");
        let item = &json["seen"]["encrypted"][0];
        assert_eq!(item["reason"], "key-mismatch");
        assert_eq!(item["advice"], advice.as_str());
    }

    // A key log of another connection: it holds nothing for this one.
    let (reason, advice) = encrypted(&analyze(capture, &["go-tls13-rst.keylog"]));
    assert_eq!(reason, Reason::NoKey);
    assert!(
        advice.starts_with("pass the key log that the client wrote while this capture was recorded: the key log given holds no secrets for the connection's client random (only those of 1 other TLS connection), so it was written during another capture or run, or by another program or process; or the client never got far enough into this handshake to log any"),
        "{advice}"
    );

    // Chromium's spare connection: its handshake secrets were logged, never its traffic
    // secrets (its handshake did not complete).
    let r = analyze("chromium-go-live.pcap", &["chromium-go-live.keylog"]);
    let (reason, advice) = encrypted(&r);
    assert_eq!(reason, Reason::PartialKey);
    assert!(
        advice.starts_with("nothing more can be decrypted if its handshake never completed"),
        "{advice}"
    );

    // The ServerHello's packet lost: a gap, which no key log bridges.
    let cut = without_packets(capture, &[6]);
    let keys = KeySources {
        files: vec![fixture("python-tls13-aes128gcm-close-1000.keylog")],
        env: None,
    };
    let mut r =
        wsclose::analyze_files_with_progress(&[cut.to_path_buf()], Options::default(), &keys, None)
            .expect("read");
    r.load().expect("in memory");
    let (reason, advice) = encrypted(&r);
    assert_eq!(reason, Reason::Gap);
    assert_eq!(
        r.seen.encrypted[0].tls.not_decrypted.as_deref(),
        Some("TCP gap at packet 6: cannot continue")
    );
    assert!(
        advice.starts_with("capture again without losing packets: decryption stops at a TCP gap and no key log bridges it"),
        "{advice}"
    );
}

/// Connections not read for different reasons each get their own advice, named by reason.
#[test]
fn each_reason_gets_its_own_advice() {
    let keys = KeySources {
        files: vec![fixture("python-tls13-aes128gcm-close-1000-wrong.keylog")],
        env: None,
    };
    let mut r = wsclose::analyze_files_with_progress(
        &[
            fixture("python-tls13-aes128gcm-close-1000.pcap"),
            fixture("go-tls13-resume-close-4000.pcap"),
        ],
        Options::default(),
        &keys,
        None,
    )
    .expect("read");
    r.load().expect("in memory");
    let reasons: Vec<Reason> = r.seen.encrypted.iter().map(|e| e.reason).collect();
    assert_eq!(reasons, [Reason::KeyMismatch, Reason::NoKey, Reason::NoKey]);
    // Each advice wrapped to the table's width, its lines after the first indented.
    let table = wsclose::render::table::render(&r, Some(200), false).replace("\n  ", " ");
    let advice: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("To decrypt"))
        .collect();
    assert_eq!(advice.len(), 2, "{table}");
    assert!(
        advice[0].starts_with(
            "To decrypt the one with a key log that does not match: pass the key log, unedited,"
        ),
        "{}",
        advice[0]
    );
    assert!(
        advice[1].starts_with("To decrypt the 2 with no key: pass the key log that the client wrote while this capture was recorded: the key log given holds no secrets"),
        "{}",
        advice[1]
    );
}

/// An encrypted connection whose ClientHello named no server (Firefox to an IP address)
/// says "no SNI" in the list, where the SNI is what names it; one with an SNI does not.
#[test]
fn an_encrypted_connection_without_sni_says_so() {
    for (capture, without) in [
        ("firefox-haproxy-h2-close-1000.pcap", true),
        ("python-tls13-aes128gcm-close-1000.pcap", false),
    ] {
        let r = analyze(capture, &[]);
        assert!(!r.seen.encrypted.is_empty(), "{capture}");
        assert_eq!(r.seen.encrypted[0].without_sni(), without, "{capture}");
        let table = wsclose::render::table::render(&r, Some(200), false);
        let md = wsclose::render::markdown::render(&r, &[None]);
        assert_eq!(table.contains(", no SNI"), without, "{table}");
        assert_eq!(md.contains(", no SNI"), without, "{md}");
    }
}
