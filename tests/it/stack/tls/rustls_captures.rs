//! Captures of rustls sessions (TLS 1.2 and 1.3) with the key log rustls wrote: what the
//! endpoints logged, resumption, a dropped stream without close_notify (1006), and the same
//! captures without a key.

use super::*;
use wsclose::vocab::TcpEndName;

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
            (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
            (TcpEndName::Fin, Some(Role::Server), Some(fin_server)),
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
        (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
        (TcpEndName::Fin, Some(Role::Server), Some(15))
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
    // The advice is wrapped to the table's width, its lines after the first indented.
    let none = wsclose::render::table::render(&r, Some(400), false).replace("\n  ", " ");
    assert!(
        none.contains("key_log = Arc::new(rustls::KeyLogFile::new())"),
        "{none}"
    );
}
