//! wss:// captures recorded from real TLS stacks (fixtures/tls, see fixtures/README.md):
//! with the key log their library wrote, each gives the close frames, packets and TLS
//! facts tshark shows with the same key log; without it, or with a wrong one, the
//! connection is listed as encrypted and says why, and no close code is made up.

use std::path::PathBuf;
use wsclose::analyzer::Options;
use wsclose::flow::Role;
use wsclose::keys::KeySources;
use wsclose::report::{ConnectionReport, Report};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name)
}

/// The report of `capture` read with the key logs `keylogs` (and nothing from the
/// environment).
fn analyze(capture: &str, keylogs: &[&str]) -> Report {
    let keys = KeySources {
        files: keylogs.iter().map(|k| fixture(k)).collect(),
        env: None,
    };
    let mut r =
        wsclose::analyze_files_with_progress(&[fixture(capture)], Options::default(), &keys, None)
            .expect("the capture is read");
    r.load().expect("reports in memory");
    r
}

fn only(r: &Report) -> &ConnectionReport {
    assert_eq!(r.connections.len(), 1, "one WebSocket session");
    &r.connections[0]
}

/// (from, code, reason, packet) of every close frame, in order.
fn closes(c: &ConnectionReport) -> Vec<(String, Option<u16>, String, u64)> {
    c.close_frames
        .iter()
        .map(|f| (f.from.to_string(), f.code, f.reason.clone(), f.packet))
        .collect()
}

fn close(from: &str, code: u16, reason: &str, packet: u64) -> (String, Option<u16>, String, u64) {
    (from.to_string(), Some(code), reason.to_string(), packet)
}

/// Each capture: its key log, the TLS version and suite, the close frames (as tshark
/// decodes them with the key log), the status, and each side's close_notify packet.
#[test]
fn every_decrypted_capture_gives_its_close_frames_and_tls_facts() {
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Vec<(String, Option<u16>, String, u64)>,
        u16,
        (Option<u64>, Option<u64>),
    );
    let cases: Vec<Case> = vec![
        (
            "python-tls13-aes128gcm-close-1000",
            "TLS 1.3",
            "TLS_AES_128_GCM_SHA256",
            vec![
                close("client", 1000, "bye", 14),
                close("server", 1000, "bye", 15),
            ],
            1000,
            (Some(18), Some(16)),
        ),
        (
            "python-tls13-aes256gcm-close-1008",
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
            vec![
                close("server", 1008, "policy", 13),
                close("client", 1008, "policy", 14),
            ],
            1008,
            (Some(16), Some(15)),
        ),
        (
            "node-tls13-chacha20-close-4001-utf8",
            "TLS 1.3",
            "TLS_CHACHA20_POLY1305_SHA256",
            vec![
                close("server", 4001, "zu spät — ärger ✓", 11),
                close("client", 4001, "zu spät — ärger ✓", 12),
            ],
            4001,
            (Some(14), Some(13)),
        ),
        (
            "python-tls12-aes128gcm-close-1001",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            vec![
                close("client", 1001, "going away", 14),
                close("server", 1001, "going away", 15),
            ],
            1001,
            (Some(18), Some(16)),
        ),
        (
            "python-tls12-aes256gcm-close-1000",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            vec![
                close("client", 1000, "bye", 14),
                close("server", 1000, "bye", 15),
            ],
            1000,
            (Some(18), Some(16)),
        ),
        (
            "node-tls12-chacha20-close-1011",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            vec![
                close("server", 1011, "internal error", 13),
                close("client", 1011, "internal error", 14),
            ],
            1011,
            (Some(17), Some(15)),
        ),
        (
            "python-tls12-aes128-sha-etm-close-1000",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            vec![
                close("client", 1000, "bye", 14),
                close("server", 1000, "bye", 15),
            ],
            1000,
            (Some(18), Some(16)),
        ),
        (
            "python-tls12-aes128-sha-no-etm-close-1000",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            vec![
                close("server", 1000, "done", 13),
                close("client", 1000, "done", 14),
            ],
            1000,
            (Some(16), Some(15)),
        ),
        (
            "python-tls12-aes128-sha256-no-etm-close-4000",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            vec![
                close("server", 4000, "cbc no etm", 13),
                close("client", 4000, "cbc no etm", 14),
            ],
            4000,
            (Some(16), Some(15)),
        ),
        (
            "python-tls12-aes256-sha384-close-1011",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            vec![close("server", 1011, "", 13), close("client", 1011, "", 14)],
            1011,
            (Some(16), Some(15)),
        ),
        // Go 1.19 crypto/tls + gorilla/websocket 1.5.0 (record/tls/go_wss.go): gorilla
        // answers a close frame with the same code and no reason, as its endpoints logged.
        (
            "go-tls13-aes128gcm-close-1000",
            "TLS 1.3",
            "TLS_AES_128_GCM_SHA256",
            vec![
                close("client", 1000, "bye", 14),
                close("server", 1000, "", 15),
            ],
            1000,
            (Some(19), Some(16)),
        ),
        (
            "go-tls13-chacha20-close-4001-utf8",
            "TLS 1.3",
            "TLS_CHACHA20_POLY1305_SHA256",
            vec![
                close("server", 4001, "zu spät — ärger ✓", 15),
                close("client", 4001, "", 17),
            ],
            4001,
            (Some(18), Some(19)),
        ),
        (
            "go-tls12-aes128gcm-close-1001",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            vec![
                close("server", 1001, "server restart", 15),
                close("client", 1001, "", 17),
            ],
            1001,
            (Some(18), Some(21)),
        ),
        // A HelloRetryRequest (#6): the second ServerHello is #13.
        (
            "go-tls13-hrr-close-1000",
            "TLS 1.3",
            "TLS_AES_128_GCM_SHA256",
            vec![
                close("client", 1000, "bye", 20),
                close("server", 1000, "", 21),
            ],
            1000,
            (Some(25), Some(22)),
        ),
        // rustls 0.23 through tokio-tungstenite 0.28 (examples/rustls_wss_peer.rs): rustls'
        // default suite order picks AES-256-GCM for TLS 1.3; tungstenite echoes a close
        // frame's code and reason, as both endpoints logged. In TLS 1.3 the server's
        // close_notify rides in the packet of its FIN (tokio-rustls shutdown()).
        (
            "rustls-tls13-aes256gcm-close-1000",
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
            vec![
                close("client", 1000, "bye", 14),
                close("server", 1000, "bye", 15),
            ],
            1000,
            (Some(18), Some(16)),
        ),
        (
            "rustls-tls12-chacha20-close-1008",
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            vec![
                close("server", 1008, "token expired", 13),
                close("client", 1008, "token expired", 14),
            ],
            1008,
            (Some(17), Some(15)),
        ),
        // The client's KeyUpdate with update_requested (#14) and the server's answer, in
        // the packet of its next message (#18): both directions change keys mid-session.
        (
            "rustls-tls13-keyupdate-close-4000",
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
            vec![
                close("client", 4000, "rekeyed", 19),
                close("server", 4000, "rekeyed", 20),
            ],
            4000,
            (Some(23), Some(21)),
        ),
        // A rustls server with the Python (OpenSSL) client, whose key log it is.
        (
            "python-rustls-tls13-aes128gcm-close-1000",
            "TLS 1.3",
            "TLS_AES_128_GCM_SHA256",
            vec![
                close("client", 1000, "bye", 14),
                close("server", 1000, "bye", 15),
            ],
            1000,
            (Some(18), Some(16)),
        ),
        (
            "openssl-tls13-keyupdate",
            "TLS 1.3",
            "TLS_AES_128_GCM_SHA256",
            vec![
                close("client", 1000, "bye", 27),
                close("server", 1000, "bye", 28),
            ],
            1000,
            (Some(32), Some(30)),
        ),
    ];
    for (name, version, suite, want, status, notify) in cases {
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        let c = only(&r);
        assert_eq!(closes(c), want, "{name}");
        assert_eq!(c.status.code, Some(status), "{name}");
        let tls = c.tls.as_ref().expect("a tls object");
        assert_eq!(tls.version.as_deref(), Some(version), "{name}");
        assert_eq!(tls.cipher_suite.as_deref(), Some(suite), "{name}");
        assert!(tls.decrypted, "{name}");
        assert_eq!(tls.not_decrypted, None, "{name}");
        assert_eq!(
            (tls.close_notify.client, tls.close_notify.server),
            notify,
            "{name}"
        );
        assert_eq!(tls.sni.as_deref(), Some("localhost"), "{name}");
        assert!(r.seen.encrypted.is_empty(), "{name}");
        assert_eq!(r.key_logs.len(), 1, "{name}");
        assert_eq!(r.key_logs[0].connections, 1, "{name}");
    }
}

#[test]
fn a_1006_over_tls_says_whether_tls_closed_cleanly() {
    let clean = analyze(
        "python-tls13-no-close-notify.pcap",
        &["python-tls13-no-close-notify.keylog"],
    );
    let c = only(&clean);
    assert_eq!(c.status.code, Some(1006));
    assert!(c.close_frames.is_empty());
    assert!(
        c.status
            .detail
            .contains("closed TLS cleanly (close_notify at packet 15)"),
        "{}",
        c.status.detail
    );
    let abrupt = analyze(
        "python-tls13-no-close-no-notify.pcap",
        &["python-tls13-no-close-no-notify.keylog"],
    );
    let c = only(&abrupt);
    assert_eq!(c.status.code, Some(1006));
    let tls = c.tls.as_ref().expect("a tls object");
    assert_eq!(
        (tls.close_notify.client, tls.close_notify.server),
        (None, None)
    );
    assert!(
        c.status.detail.contains("ended TCP with no close_notify"),
        "{}",
        c.status.detail
    );
}

#[test]
fn the_secrets_inside_a_pcapng_need_no_flag() {
    let r = analyze("python-tls13-aes128gcm-close-1000-secrets.pcapng", &[]);
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            close("client", 1000, "bye", 14),
            close("server", 1000, "bye", 15)
        ]
    );
    assert!(r
        .key_logs
        .iter()
        .any(|k| k.source.starts_with("pcapng secrets in")));
}

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
    assert_eq!((e.tcp_end, e.tcp_end_packet), ("fin", Some(19)));
}

#[test]
fn the_table_header_counts_encrypted_connections() {
    let head = |r: &Report| {
        let t = wsclose::report::table::render(r, Some(200), false);
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
    let table = wsclose::report::table::render(&r, Some(200), false);
    assert!(!table.contains("wss"), "{table}");
    assert!(
        table.contains("TLS 1.3 TLS_AES_128_GCM_SHA256, SNI localhost"),
        "{table}"
    );
    let md = wsclose::report::markdown::render(&r, &[None]);
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
    let table = wsclose::report::table::render(&r, Some(200), false);
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

#[test]
fn a_browser_through_a_tls_proxy_is_read_like_plaintext() {
    let r = analyze(
        "chromium-nginx-tls13-close-1000.pcap",
        &["chromium-nginx-tls13-close-1000.keylog"],
    );
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![
            close("client", 1000, "bye", 41),
            close("server", 1000, "bye", 42)
        ]
    );
    // The page's other requests were decrypted too: not WebSockets, not "encrypted".
    assert!(r.seen.encrypted.is_empty());
}

/// Go's client resumes its first session on the second connection (TLS 1.3 PSK): both are
/// decrypted with the one key log, each with the close the endpoints logged.
#[test]
fn a_resumed_go_session_is_decrypted_like_the_first() {
    let r = analyze(
        "go-tls13-resume-close-4000.pcap",
        &["go-tls13-resume-close-4000.keylog"],
    );
    assert_eq!(r.connections.len(), 2);
    assert!(r.seen.encrypted.is_empty());
    assert_eq!(r.key_logs[0].connections, 2);
    for (c, (first, reply)) in r.connections.iter().zip([(14, 15), (34, 35)]) {
        assert_eq!(
            closes(c),
            vec![
                close("client", 4000, "again", first),
                close("server", 4000, "", reply)
            ]
        );
        assert_eq!(
            (c.seen_by.client, c.seen_by.server),
            (Some(4000), Some(4000))
        );
    }
}

/// gorilla's `Conn.Close()` without a close frame: Go sends close_notify (#15), then FIN
/// (#17); the gorilla client logged "close 1006 (abnormal closure): unexpected EOF". A
/// server that resets TCP (SO_LINGER 0, #15) sends no close_notify at all.
#[test]
fn go_endings_without_a_close_frame_say_how_tls_ended() {
    let r = analyze(
        "go-tls12-chacha20-abrupt-close.pcap",
        &["go-tls12-chacha20-abrupt-close.keylog"],
    );
    let c = only(&r);
    assert!(c.close_frames.is_empty());
    assert_eq!(c.status.code, Some(1006));
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1006), Some(1006))
    );
    let d = &c.status.detail;
    assert!(
        d.starts_with(
            "No close frame was sent before the server closed TLS with close_notify (packet 15)"
        ),
        "{d}"
    );
    assert!(
        d.contains("closed TLS cleanly (close_notify at packet 15)"),
        "{d}"
    );
    let r = analyze("go-tls13-rst.pcap", &["go-tls13-rst.keylog"]);
    let c = only(&r);
    assert_eq!(c.status.code, Some(1006));
    assert_eq!(
        (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
        ("rst", Some(Role::Server), Some(15))
    );
    assert!(
        c.status.detail.contains("ended TCP with no close_notify"),
        "{}",
        c.status.detail
    );
}

/// Chromium 156 opens three wss:// WebSockets to a Go server (`record/tls/record_live.sh`,
/// the capture `live --write` saved while live decoded it). What the page logged for each
/// close event: /ws/echo 1000 "" clean (the page closed 1000 "done"; gorilla echoed 1000
/// without reason), /ws/close 4002 "server bye" clean, /ws/drop 1006 not clean (the server
/// closed TLS, close_notify #106, with no close frame; Chromium and the server then FIN).
#[test]
fn a_browser_to_a_go_server_gives_what_the_page_logged() {
    let r = analyze("chromium-go-live.pcap", &["chromium-go-live.keylog"]);
    let by_path = |p: &str| {
        r.connections
            .iter()
            .find(|c| c.handshake.path.as_deref() == Some(p))
            .unwrap_or_else(|| panic!("{p}"))
    };
    let echo = by_path("/ws/echo");
    assert_eq!(
        closes(echo),
        vec![
            close("client", 1000, "done", 67),
            close("server", 1000, "", 68)
        ]
    );
    assert_eq!(echo.seen_by.client, Some(1000));
    let closed = by_path("/ws/close");
    assert_eq!(
        closes(closed),
        vec![
            close("server", 4002, "server bye", 96),
            close("client", 4002, "server bye", 98)
        ]
    );
    assert_eq!(closed.seen_by.client, Some(4002));
    let drop = by_path("/ws/drop");
    assert!(drop.close_frames.is_empty());
    assert_eq!(drop.seen_by.client, Some(1006));
    assert!(
        drop.status.detail.starts_with(
            "No close frame was sent before the server closed TLS with close_notify (packet 106)"
        ),
        "{}",
        drop.status.detail
    );
    // Chromium's spare connection, closed before its handshake finished.
    assert_eq!(r.summary.encrypted_connections, 1);
    assert_eq!(r.connections.len(), 3);
}

/// The key-log advice under the encrypted connections agrees in number with them.
#[test]
fn the_key_log_advice_says_it_or_them() {
    let table = |capture: &str| {
        let r = analyze(capture, &[]);
        wsclose::report::table::render(&r, Some(200), false)
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
    let md = wsclose::report::markdown::render(&r, &[None]);
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
    assert!(!wsclose::report::markdown::render(&p, &[None]).contains("Decode As"));
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
    use wsclose::report::tls::KEYLOG_HOWTO;
    let capture = "python-tls13-aes128gcm-close-1000.pcap";
    let encrypted = |r: &Report| {
        assert_eq!(r.seen.encrypted.len(), 1);
        let e = &r.seen.encrypted[0];
        (e.reason, e.advice.clone().unwrap_or_default())
    };
    // No key log at all: how to get one.
    let (reason, advice) = encrypted(&analyze(capture, &[]));
    assert_eq!((reason, advice.as_str()), ("no-key", KEYLOG_HOWTO));

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
        assert_eq!(reason, "key-mismatch", "{capture}");
        assert!(
            advice.starts_with("pass the key log, unedited, that the client wrote while this capture was recorded (the same SSLKEYLOGFILE session): the one given has lines for this connection's client random, but their secrets fail authentication"),
            "{advice}"
        );
        assert!(!advice.contains("capture again"), "{advice}");
        let table = wsclose::report::table::render(&r, Some(200), false);
        assert!(
            table.contains(&format!("\nTo decrypt it: {advice}.\n")),
            "{table}"
        );
        assert!(!table.contains("capture again with a key log"), "{table}");
        let md = wsclose::report::markdown::render(&r, &[None]);
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
    assert_eq!(reason, "no-key");
    assert!(
        advice.starts_with("pass the key log that the client wrote while this capture was recorded: the key log given holds no secrets for the connection's client random (only those of 1 other TLS connection), so it was written during another capture or run, or by another program or process; or the client never got far enough into this handshake to log any"),
        "{advice}"
    );

    // Chromium's spare connection: its handshake secrets were logged, never its traffic
    // secrets (its handshake did not complete).
    let r = analyze("chromium-go-live.pcap", &["chromium-go-live.keylog"]);
    let (reason, advice) = encrypted(&r);
    assert_eq!(reason, "partial-key");
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
    assert_eq!(reason, "gap");
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
    let reasons: Vec<&str> = r.seen.encrypted.iter().map(|e| e.reason).collect();
    assert_eq!(reasons, ["key-mismatch", "no-key", "no-key"]);
    let table = wsclose::report::table::render(&r, Some(200), false);
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

/// rustls through tokio-tungstenite: what each endpoint logged (tungstenite echoes the
/// close frame, so each side saw the other's code) and how TLS and TCP ended. tokio-rustls'
/// shutdown() puts the server's close_notify in the same TCP segment as its FIN in TLS 1.3
/// (#16), in a segment of its own before it in TLS 1.2 (#15, FIN #16).
#[test]
fn rustls_sessions_give_what_the_endpoints_logged() {
    for (name, status, notify_server, fin_server) in [
        ("rustls-tls13-aes256gcm-close-1000", 1000, 16, 16),
        ("rustls-tls12-chacha20-close-1008", 1008, 15, 16),
        ("python-rustls-tls13-aes128gcm-close-1000", 1000, 16, 16),
    ] {
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        let c = only(&r);
        assert_eq!(
            (c.seen_by.client, c.seen_by.server),
            (Some(status), Some(status)),
            "{name}"
        );
        assert!(!c.status.inferred, "{name}");
        let tls = c.tls.as_ref().expect("a tls object");
        assert_eq!(tls.close_notify.server, Some(notify_server), "{name}");
        assert!(
            tls.alerts.is_empty(),
            "{name}: close_notify is no other alert"
        );
        assert_eq!(
            (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
            ("fin", Some(Role::Server), Some(fin_server)),
            "{name}"
        );
        assert_eq!(
            (c.decoded_to_end.client, c.decoded_to_end.server),
            (true, true),
            "{name}"
        );
    }
    // rustls offers no ALPN; the Python client offers http/1.1, which the rustls server
    // (no ALPN configured) does not choose.
    let r = analyze(
        "python-rustls-tls13-aes128gcm-close-1000.pcap",
        &["python-rustls-tls13-aes128gcm-close-1000.keylog"],
    );
    let tls = only(&r).tls.as_ref().expect("a tls object");
    assert_eq!(tls.alpn_offered, vec!["http/1.1".to_string()]);
    assert_eq!(tls.alpn, None);
}

/// The rustls client resumes its first session on the second connection (TLS 1.3 PSK,
/// `pre_shared_key` in the ServerHello #26; both ends logged "Resumed"): the rustls key log
/// has five secrets for each, and both are decrypted.
#[test]
fn a_resumed_rustls_session_is_decrypted_like_the_first() {
    let r = analyze(
        "rustls-tls13-resume-close-1001.pcap",
        &["rustls-tls13-resume-close-1001.keylog"],
    );
    assert_eq!(r.connections.len(), 2);
    assert!(r.seen.encrypted.is_empty());
    assert_eq!(r.key_logs[0].connections, 2);
    for (c, (first, reply, notify)) in r.connections.iter().zip([(14, 15, 16), (34, 35, 36)]) {
        assert_eq!(
            closes(c),
            vec![
                close("client", 1001, "going away", first),
                close("server", 1001, "going away", reply)
            ]
        );
        assert_eq!(c.status.code, Some(1001));
        let tls = c.tls.as_ref().expect("a tls object");
        assert_eq!(tls.cipher_suite.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        assert_eq!(tls.close_notify.server, Some(notify));
    }
}

/// A tokio-rustls server that drops its stream without a close frame and without
/// shutdown(): no close_notify, a FIN (#15); the rustls client read "peer closed connection
/// without sending TLS close_notify", no close frame: 1006 on both sides.
#[test]
fn a_dropped_rustls_stream_is_1006_without_close_notify() {
    let r = analyze(
        "rustls-tls13-aes256gcm-drop.pcap",
        &["rustls-tls13-aes256gcm-drop.keylog"],
    );
    let c = only(&r);
    assert!(c.close_frames.is_empty());
    assert_eq!(c.status.code, Some(1006));
    assert!(c.status.inferred);
    assert_eq!(
        (c.seen_by.client, c.seen_by.server),
        (Some(1006), Some(1006))
    );
    let tls = c.tls.as_ref().expect("a tls object");
    assert!(tls.decrypted);
    assert_eq!(
        (tls.close_notify.client, tls.close_notify.server),
        (None, None)
    );
    assert_eq!(
        (c.tcp_end, c.tcp_end_by, c.tcp_end_packet),
        ("fin", Some(Role::Server), Some(15))
    );
    let d = &c.status.detail;
    assert!(
        d.starts_with(
            "No close frame was sent before the server closed TCP with a FIN (packet 15)"
        ),
        "{d}"
    );
    assert!(d.contains("ended TCP with no close_notify"), "{d}");
    assert!(
        d.contains("tokio-rustls stream dropped without shutdown()"),
        "{d}"
    );
}

/// Without its key log, each rustls capture is one encrypted connection (two for the
/// resumed pair) with its version, suite and SNI, and no close code.
#[test]
fn rustls_captures_without_a_key_are_listed_as_encrypted() {
    for (name, conns, version, suite) in [
        (
            "rustls-tls13-aes256gcm-close-1000",
            1,
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
        ),
        (
            "rustls-tls12-chacha20-close-1008",
            1,
            "TLS 1.2",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
        (
            "rustls-tls13-resume-close-1001",
            2,
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
        ),
        (
            "rustls-tls13-aes256gcm-drop",
            1,
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
        ),
        (
            "rustls-tls13-keyupdate-close-4000",
            1,
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
        ),
        (
            "python-rustls-tls13-aes128gcm-close-1000",
            1,
            "TLS 1.3",
            "TLS_AES_128_GCM_SHA256",
        ),
    ] {
        let r = analyze(&format!("{name}.pcap"), &[]);
        assert!(r.connections.is_empty(), "{name}");
        assert_eq!(r.summary.encrypted_connections, conns, "{name}");
        for e in &r.seen.encrypted {
            assert_eq!(e.tls.sni.as_deref(), Some("localhost"), "{name}");
            assert_eq!(e.tls.version.as_deref(), Some(version), "{name}");
            assert_eq!(e.tls.cipher_suite.as_deref(), Some(suite), "{name}");
            assert_eq!(
                e.tls.not_decrypted.as_deref(),
                Some("no key for this connection"),
                "{name}"
            );
        }
    }
}

/// The advice for rustls says what a rustls application must do (it logs nothing until
/// its config's key_log is set).
#[test]
fn the_key_log_advice_fits_rustls() {
    let r = analyze("rustls-tls13-aes256gcm-close-1000.pcap", &[]);
    let none = wsclose::report::table::render(&r, Some(400), false);
    assert!(
        none.contains("key_log = Arc::new(rustls::KeyLogFile::new())"),
        "{none}"
    );
}

/// One leg of a Firefox session through HAProxy, as `record/tls/record_firefox.sh`
/// recorded it (fixtures/README.md has each packet).
struct FirefoxLeg {
    client_port: u16,
    closes: Vec<(String, Option<u16>, String, u64)>,
    /// (by, FIN or RST, packet), in order.
    tcp_ends: Vec<(&'static str, &'static str, u64)>,
}

/// A Firefox session: the front leg (TLS, HTTP/2 stream `stream` or HTTP/1.1) and the
/// plaintext back leg, the status of both (the page's close event gave the same code), how
/// the front stream ended, each side's close_notify, how the legs were linked and who ended
/// the session.
struct FirefoxCase {
    name: &'static str,
    path: &'static str,
    stream: Option<u32>,
    front: FirefoxLeg,
    back: FirefoxLeg,
    status: u16,
    stream_ends: Vec<(&'static str, &'static str, Option<&'static str>, u64)>,
    close_notify: (u64, u64),
    linked_by: &'static str,
    ended_by: &'static str,
}

fn firefox_cases() -> Vec<FirefoxCase> {
    let (c, s) = ("client", "server");
    let h2_end = |packet| {
        vec![
            (s, "END_STREAM", None, packet),
            (s, "RST_STREAM", Some("CANCEL"), packet),
        ]
    };
    vec![
        // The page closes 1000 "bye" on the echo; page: 1000 "bye" wasClean true.
        FirefoxCase {
            name: "firefox-haproxy-h2-close-1000",
            path: "/echo",
            stream: Some(5),
            front: FirefoxLeg {
                client_port: 35596,
                closes: vec![close(c, 1000, "bye", 36), close(s, 1000, "bye", 40)],
                tcp_ends: vec![(c, "Fin", 59), (s, "Fin", 60)],
            },
            back: FirefoxLeg {
                client_port: 47620,
                closes: vec![close(c, 1000, "bye", 38), close(s, 1000, "bye", 39)],
                tcp_ends: vec![(s, "Fin", 42), (c, "Fin", 43)],
            },
            status: 1000,
            stream_ends: h2_end(45),
            close_notify: (58, 57),
            linked_by: "path_and_timing",
            ended_by: "client",
        },
        // The backend closes 4001 "bye"; page: 4001 "bye" wasClean true.
        FirefoxCase {
            name: "firefox-haproxy-h2-backend-close-4001",
            path: "/close",
            stream: Some(5),
            front: FirefoxLeg {
                client_port: 41922,
                closes: vec![close(s, 4001, "bye", 39), close(c, 4001, "bye", 41)],
                tcp_ends: vec![(s, "Fin", 63)],
            },
            back: FirefoxLeg {
                client_port: 38200,
                closes: vec![close(s, 4001, "bye", 37), close(c, 4001, "bye", 43)],
                tcp_ends: vec![(s, "Fin", 44), (c, "Fin", 45)],
            },
            status: 4001,
            stream_ends: h2_end(47),
            close_notify: (64, 60),
            linked_by: "path_and_timing",
            ended_by: "backend",
        },
        // The backend kills itself (SIGKILL) after the echo: its kernel's FIN, no close
        // frame; HAProxy ends the stream. Page: 1006 "" wasClean false.
        FirefoxCase {
            name: "firefox-haproxy-h2-backend-kill",
            path: "/kill",
            stream: Some(5),
            front: FirefoxLeg {
                client_port: 45054,
                closes: vec![],
                tcp_ends: vec![(c, "Fin", 56)],
            },
            back: FirefoxLeg {
                client_port: 42702,
                closes: vec![],
                tcp_ends: vec![(s, "Fin", 38), (c, "Fin", 39)],
            },
            status: 1006,
            stream_ends: h2_end(41),
            close_notify: (55, 57),
            linked_by: "path_and_timing",
            ended_by: "backend",
        },
        // HTTP/1.1 only (HAProxy offers ALPN http/1.1): the WebSocket on its own TLS
        // connection, beside the page's. Page: 1000 "bye" wasClean true.
        FirefoxCase {
            name: "firefox-haproxy-http1-close-1000",
            path: "/echo",
            stream: None,
            front: FirefoxLeg {
                client_port: 52718,
                closes: vec![close(c, 1000, "bye", 37), close(s, 1000, "bye", 40)],
                tcp_ends: vec![(c, "Fin", 45), (s, "Fin", 46)],
            },
            back: FirefoxLeg {
                client_port: 41794,
                closes: vec![close(c, 1000, "bye", 38), close(s, 1000, "bye", 39)],
                tcp_ends: vec![(s, "Fin", 41), (c, "Fin", 48)],
            },
            status: 1000,
            stream_ends: vec![],
            close_notify: (44, 42),
            linked_by: "sec_websocket_key",
            ended_by: "client",
        },
    ]
}

fn client_port(c: &ConnectionReport) -> u16 {
    c.client
        .to_string()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn tcp_ends(c: &ConnectionReport) -> Vec<(String, String, u64)> {
    c.tcp_ends
        .iter()
        .map(|e| (e.by.to_string(), format!("{:?}", e.kind), e.packet))
        .collect()
}

/// Firefox ESR 153 → HAProxy 2.6 (TLS, ALPN h2 or http/1.1) → a plaintext websockets
/// backend, both legs in one capture: with Firefox's key log, each leg's close frames,
/// packets and status are those tshark shows (the h2 ones in the DATA frames it
/// decrypts), the status each application saw is what the page's close event gave, the
/// legs are linked to each other, and nothing is left encrypted.
#[test]
fn firefox_through_a_tls_terminating_haproxy_gives_what_the_page_saw() {
    for case in firefox_cases() {
        let name = case.name;
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        assert_eq!(r.connections.len(), 2, "{name}: two legs");
        assert!(
            r.seen.encrypted.is_empty(),
            "{name}: every TLS connection read"
        );
        let leg = |port: u16| {
            r.connections
                .iter()
                .find(|c| client_port(c) == port)
                .unwrap_or_else(|| panic!("{name}: no connection from port {port}"))
        };
        let (front, back) = (leg(case.front.client_port), leg(case.back.client_port));
        for (c, want) in [(front, &case.front), (back, &case.back)] {
            assert_eq!(closes(c), want.closes, "{name} {}", c.client);
            let ends: Vec<(String, String, u64)> = want
                .tcp_ends
                .iter()
                .map(|&(by, kind, p)| (by.to_string(), kind.to_string(), p))
                .collect();
            assert_eq!(tcp_ends(c), ends, "{name} {}", c.client);
            assert_eq!(c.status.code, Some(case.status), "{name} {}", c.client);
            assert_eq!(c.status.inferred, case.status == 1006, "{name}");
            // What each application saw: the page logged this code from its close event.
            assert_eq!(
                (c.seen_by.client, c.seen_by.server),
                (Some(case.status), Some(case.status)),
                "{name} {}",
                c.client
            );
            assert_eq!(c.handshake.path.as_deref(), Some(case.path), "{name}");
        }
        // The front leg: TLS 1.3 from Firefox (no SNI for an address), HTTP/2 or not.
        let tls = front.tls.as_ref().expect("the front leg is TLS");
        assert!(tls.decrypted, "{name}");
        assert_eq!(
            (tls.version.as_deref(), tls.cipher_suite.as_deref()),
            (Some("TLS 1.3"), Some("TLS_AES_256_GCM_SHA384")),
            "{name}"
        );
        assert_eq!(tls.sni, None, "{name}");
        assert_eq!(tls.alpn_offered, ["h2", "http/1.1"], "{name}");
        let alpn = if case.stream.is_some() {
            "h2"
        } else {
            "http/1.1"
        };
        assert_eq!(tls.alpn.as_deref(), Some(alpn), "{name}");
        assert_eq!(
            (tls.close_notify.client, tls.close_notify.server),
            (Some(case.close_notify.0), Some(case.close_notify.1)),
            "{name}"
        );
        assert!(back.tls.is_none(), "{name}: the back leg is plaintext");
        assert_eq!(front.h2_stream, case.stream, "{name}");
        assert_eq!(front.transport, alpn, "{name}");
        assert_eq!(back.transport, "http/1.1", "{name}");
        let stream_ends: Vec<_> = front
            .stream_ends
            .iter()
            .map(|e| {
                (
                    e.by.to_string(),
                    e.kind.frame(),
                    e.error_code.clone(),
                    e.packet,
                )
            })
            .collect();
        let want: Vec<_> = case
            .stream_ends
            .iter()
            .map(|&(by, kind, code, p)| (by.to_string(), kind, code.map(String::from), p))
            .collect();
        assert_eq!(stream_ends, want, "{name}");
        // The two legs, linked both ways, through HAProxy's front port.
        assert_eq!(front.other_leg, Some(back.id), "{name}");
        assert_eq!(back.other_leg, Some(front.id), "{name}");
        for c in [front, back] {
            let l = c.leg.as_ref().expect("a leg");
            assert_eq!(l.proxy.to_string(), front.server.to_string(), "{name}");
            assert_eq!(l.linked_by, case.linked_by, "{name}");
            assert_eq!(l.ended_by.as_deref(), Some(case.ended_by), "{name}");
            assert!(!l.proxy_changed_close, "{name}");
            assert_eq!(l.relayed.len(), case.front.closes.len(), "{name}");
        }
    }
}

/// Without their key log, or with the key log of another Firefox session (its client
/// randoms are not these), each Firefox capture lists its TLS connections as encrypted
/// (no SNI: Firefox sends none for an address) and reports only the plaintext back leg,
/// with the same close frames as with the key log, linked to nothing.
#[test]
fn firefox_captures_without_their_key_log_leave_the_back_leg_alone() {
    let cases = firefox_cases();
    for (k, case) in cases.iter().enumerate() {
        let name = case.name;
        let other = cases[(k + 1) % cases.len()].name;
        for keylogs in [vec![], vec![format!("{other}.keylog")]] {
            let keylogs: Vec<&str> = keylogs.iter().map(String::as_str).collect();
            let r = analyze(&format!("{name}.pcap"), &keylogs);
            let encrypted: Vec<u16> = r
                .seen
                .encrypted
                .iter()
                .map(|e| {
                    e.client
                        .to_string()
                        .rsplit(':')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                })
                .collect();
            // HTTP/1.1: the page's connection and the WebSocket's; h2: one for both.
            let want: Vec<u16> = match case.stream {
                Some(_) => vec![case.front.client_port],
                None => vec![52708, case.front.client_port],
            };
            assert_eq!(encrypted, want, "{name} with {keylogs:?}");
            for e in &r.seen.encrypted {
                assert!(!e.tls.decrypted);
                assert_eq!(e.tls.sni, None);
                assert_eq!(
                    e.tls.not_decrypted.as_deref(),
                    Some("no key for this connection"),
                    "{name} with {keylogs:?}"
                );
            }
            let c = only(&r);
            assert_eq!(client_port(c), case.back.client_port, "{name}");
            assert_eq!(closes(c), case.back.closes, "{name} with {keylogs:?}");
            assert_eq!(c.status.code, Some(case.status), "{name}");
            assert!(c.leg.is_none() && c.other_leg.is_none(), "{name}");
        }
    }
}

/// HAProxy ends the h2 stream of a session whose backend was killed with an empty
/// END_STREAM DATA frame and an RST_STREAM CANCEL in one packet (#41): the 1006's cause
/// and evidence name both, not the END_STREAM alone (which reads as a graceful end).
#[test]
fn a_relayed_end_names_every_frame_the_proxy_ended_the_stream_with() {
    let name = "firefox-haproxy-h2-backend-kill";
    let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
    for c in &r.connections {
        let relayed = "the proxy passed that on 0.3 ms later, closing the client's leg (connection 1) with an END_STREAM and an RST_STREAM CANCEL on h2 stream 5 (packet 41).";
        assert!(c.status.detail.contains(relayed), "{}", c.status.detail);
        let e = c.evidence.as_ref().expect("evidence");
        assert!(
            e.summary.ends_with(
                "with an END_STREAM and an RST_STREAM CANCEL on h2 stream 5 (packet 41)"
            ),
            "{}",
            e.summary
        );
        assert_eq!(e.packets, [38, 41]);
    }
}

/// The Markdown's "Proxied" line of a leg linked by path and timing says how it was linked
/// once, with the evidence, not a short "(linked by path and timing, not by key)" right
/// before the whole sentence saying it again.
#[test]
fn the_markdown_says_once_how_an_h2_leg_was_linked() {
    let name = "firefox-haproxy-h2-backend-close-4001";
    let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
    let md = wsclose::report::markdown::render(&r, &[None]);
    let proxied: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("- **Proxied:**"))
        .collect();
    assert_eq!(proxied.len(), 2, "{md}");
    for line in proxied {
        assert_eq!(line.matches("not by").count(), 1, "{line}");
        assert!(
            line.contains("linked by path, host and timing, not by a key"),
            "{line}"
        );
    }
    assert!(md.contains("- **Proxied:** leg of connection 2 through 127.0.0.1:18472 (the client's leg, to the proxy); ended by the backend;"), "{md}");
}

/// Without the client's key log, a TLS-terminating proxy's back leg is a plaintext
/// WebSocket whose Host names the proxy: the server of connections left encrypted. Its
/// cause (and the table) say it is most likely a back leg, its "client" the proxy, and that
/// the key log would link the legs; with the key log, linked, they say nothing of it; a
/// back leg of a plaintext proxy, or a connection to the address its Host names, neither.
#[test]
fn a_back_leg_whose_client_leg_is_encrypted_says_so() {
    let note = "most likely the back leg of a session through a TLS-terminating proxy, its client the proxy";
    for (name, n) in [
        ("firefox-haproxy-h2-close-1000", 1),
        ("firefox-haproxy-h2-backend-kill", 1),
        ("firefox-haproxy-http1-close-1000", 2),
    ] {
        let r = analyze(&format!("{name}.pcap"), &[]);
        let c = only(&r);
        assert!(
            c.status.detail.contains(note),
            "{name}: {}",
            c.status.detail
        );
        assert!(
            c.status.detail.contains(
                "with the client's key log (--keylog) it would be read and the two legs linked"
            ),
            "{}",
            c.status.detail
        );
        assert_eq!(
            wsclose::report::legs::encrypted_fronts(c, &r.seen.encrypted),
            n,
            "{name}"
        );
        let table = wsclose::report::table::render(&r, Some(250), false);
        assert!(table.contains("a TLS proxy's back leg?"), "{table}");
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        for c in &r.connections {
            assert!(
                !c.status.detail.contains(note),
                "{name}: {}",
                c.status.detail
            );
        }
        let table = wsclose::report::table::render(&r, Some(250), false);
        assert!(!table.contains("back leg?"), "{table}");
    }
    // Plaintext proxies (legs linked by key, or a lone front leg) and direct wss://.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for f in [
        root.join("proxy/haproxy-backend-close.pcap"),
        root.join("proxy/nginx-idle-60s-front-only.pcap"),
        root.join("tls/chromium-nginx-tls13-close-1000.pcap"),
    ] {
        let mut r = wsclose::analyze_files_with_progress(
            std::slice::from_ref(&f),
            Options::default(),
            &KeySources::default(),
            None,
        )
        .unwrap();
        r.load().unwrap();
        for c in &r.connections {
            assert!(!c.status.detail.contains(note), "{}", f.display());
        }
    }
}

/// What the handshake and session did beyond a full handshake: a HelloRetryRequest, a
/// resumption by PSK, KeyUpdates per side (counted as the decryption followed them). In
/// JSON (`hello_retry_request`, `resumed`, `early_data`, `key_updates`), and in the
/// table's and Markdown's TLS line.
#[test]
fn the_tls_report_names_retries_resumptions_and_key_updates() {
    /// Per session: HelloRetryRequest, resumed, KeyUpdates by the client, by the server.
    type Session = (bool, bool, u64, u64);
    let cases: [(&str, &[Session]); 6] = [
        ("go-tls13-hrr-close-1000", &[(true, false, 0, 0)]),
        (
            "go-tls13-resume-close-4000",
            &[(false, false, 0, 0), (false, true, 0, 0)],
        ),
        (
            "rustls-tls13-resume-close-1001",
            &[(false, false, 0, 0), (false, true, 0, 0)],
        ),
        ("rustls-tls13-keyupdate-close-4000", &[(false, false, 1, 1)]),
        ("openssl-tls13-keyupdate", &[(false, false, 2, 1)]),
        ("python-tls13-aes128gcm-close-1000", &[(false, false, 0, 0)]),
    ];
    for (name, want) in cases {
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        let got: Vec<_> = r
            .connections
            .iter()
            .map(|c| {
                let t = c.tls.as_ref().expect("a TLS session");
                assert_eq!(t.early_data, None, "{name}: no early data offered");
                (
                    t.hello_retry_request,
                    t.resumed,
                    t.key_updates.client,
                    t.key_updates.server,
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        let table = wsclose::report::table::render(&r, Some(400), false);
        let md = wsclose::report::markdown::render(&r, &[None]);
        for (hrr, resumed, kc, ks) in want {
            for (text, what) in [(&table, "table"), (&md, "markdown")] {
                assert_eq!(text.contains("HelloRetryRequest"), *hrr, "{name} {what}");
                assert_eq!(
                    text.contains("resumed (PSK)"),
                    *resumed || want.iter().any(|w| w.1),
                    "{name} {what}"
                );
                if kc + ks > 0 {
                    assert!(
                        text.contains(&format!("KeyUpdate: client {kc}, server {ks}")),
                        "{name} {what}: {text}"
                    );
                }
            }
        }
    }
}

/// The Markdown sequence diagram shows each side's close_notify in its packet, before the
/// FIN that shares it (rustls 1.3 puts the server's close_notify and FIN in one segment).
#[test]
fn the_sequence_diagram_shows_close_notify() {
    let name = "rustls-tls13-aes256gcm-close-1000";
    let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
    let md = wsclose::report::markdown::render(&r, &[None]);
    let diagram: Vec<&str> = md
        .lines()
        .skip_while(|l| *l != "sequenceDiagram")
        .take_while(|l| *l != "```")
        .collect();
    let at = |needle: &str| {
        diagram
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in\n{}", diagram.join("\n")))
    };
    let server_notify = at("S--)C: pkt 16 TLS close_notify");
    let client_notify = at("C--)S: pkt 18 TLS close_notify");
    let server_fin = at("S--)C: pkt 16 +");
    assert!(server_notify < server_fin, "{}", diagram.join("\n"));
    assert!(server_fin < client_notify, "{}", diagram.join("\n"));
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
        let table = wsclose::report::table::render(&r, Some(200), false);
        let md = wsclose::report::markdown::render(&r, &[None]);
        assert_eq!(table.contains(", no SNI"), without, "{table}");
        assert_eq!(md.contains(", no SNI"), without, "{md}");
    }
}

/// `wsclose analyze --format json` of a plaintext fixture with `args` and `env`, killed
/// (and so failed, not hung) after `secs` seconds: its exit code, stderr and report.
fn run_cli(
    args: &[&str],
    env: &[(&str, &std::path::Path)],
    secs: u64,
) -> (Option<i32>, String, serde_json::Value) {
    let plain =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/python-close-1000-client.pcap");
    let mut cmd = assert_cmd::Command::cargo_bin("wsclose").expect("the binary");
    cmd.env_remove("SSLKEYLOGFILE")
        .args(["analyze", "--format", "json"])
        .args(args)
        .arg(&plain)
        .timeout(std::time::Duration::from_secs(secs));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let out = cmd.output().expect("it runs");
    assert!(
        out.status.code().is_some(),
        "still running after {:?}: killed",
        started.elapsed()
    );
    let json = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    )
}

/// 200 000 malformed key-log lines: five warnings with their line numbers and one that
/// counts the rest, on standard error and in the JSON alike (not 200 000 of each).
#[test]
fn malformed_key_log_lines_are_shown_five_and_counted() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let keylog = dir.path().join("bad.keylog");
    std::fs::write(&keylog, "not a key log line\n".repeat(200_000)).expect("written");
    let (code, err, json) = run_cli(&["--keylog", keylog.to_str().expect("utf-8")], &[], 120);
    assert_eq!(code, Some(0), "{err}");
    let name = keylog.display();
    let mut want: Vec<String> = (1..=5)
        .map(|n| {
            format!(
                "key log {name} line {n}: not a key-log line (expected LABEL CLIENT_RANDOM SECRET)"
            )
        })
        .collect();
    want.push(format!(
        "key log {name}: … and 199995 more lines that could not be used (the last: line 200000)"
    ));
    let printed: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("wsclose: warning: key log"))
        .collect();
    assert_eq!(printed.len(), 6, "{err}");
    for (p, w) in printed.iter().zip(&want) {
        assert_eq!(format!("key log{p}"), *w);
    }
    assert_eq!(json["key_log_warnings"], serde_json::json!(want));
}

/// A key log that never ends (`/dev/zero`) is read up to 64 MiB, with a warning: the
/// analysis ends.
#[test]
fn an_endless_key_log_ends() {
    let (code, err, json) = run_cli(&["--keylog", "/dev/zero"], &[], 120);
    assert_eq!(code, Some(0), "{err}");
    let stopped =
        "key log /dev/zero: not a regular file, and still going after 64 MiB: read no further";
    assert!(err.contains(stopped), "{err}");
    assert!(json["key_log_warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w == stopped));
    assert_eq!(json["connections"][0]["status"]["code"], 1000);
}

/// A FIFO that no process writes to, as `--keylog` and as `SSLKEYLOGFILE`: read as empty,
/// at once (opening it used to wait for a writer for ever).
#[test]
fn a_key_log_fifo_without_a_writer_does_not_hang() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fifo = dir.path().join("keys.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo could not make a FIFO here");
        return;
    }
    let as_flag = ["--keylog", fifo.to_str().expect("utf-8")];
    for (args, env) in [
        (&as_flag[..], &[][..]),
        (&[][..], &[("SSLKEYLOGFILE", fifo.as_path())][..]),
    ] {
        let started = std::time::Instant::now();
        let (code, err, json) = run_cli(args, env, 30);
        assert_eq!(code, Some(0), "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(!err.contains("warning"), "{err}");
        assert_eq!(json["key_logs"][0]["connections"], 0);
        assert!(json["key_logs"][0].get("error").is_none(), "{json}");
    }
}
