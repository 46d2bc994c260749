//! Captures from Go and browser TLS stacks read with the key log their library wrote
//! (RFC 8446, RFC 5246): close frames, packets and TLS facts as tshark shows them with the
//! same key log; how TLS ended (close_notify, RFC 8446 §6.1) when no close frame came;
//! resumption, retries and key updates.

use super::*;
use wsclose::vocab::TcpEndName;

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
    assert!(r.key_logs.iter().any(
        |k| matches!(k.source, wsclose::vocab::KeyLogName::Pcapng(_))
            && k.source.to_string().starts_with("pcapng secrets in")
    ));
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
        (c.tcp_end(), c.tcp_end_by(), c.tcp_end_packet()),
        (TcpEndName::Rst, Some(Role::Server), Some(15))
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
        let table = wsclose::render::table::render(&r, Some(400), false);
        let md = wsclose::render::markdown::render(&r, &[None]);
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
    let md = wsclose::render::markdown::render(&r, &[None]);
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
