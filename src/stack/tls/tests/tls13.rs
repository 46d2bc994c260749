//! TLS 1.3 sessions built with this module's own sealing (RFC 8446 §4.1.4, §4.2.10, §7):
//! early data decrypted, skipped and rejected, HelloRetryRequest, a wrong key.

use super::*;

#[test]
fn tls13_early_data_decrypted_when_logged() {
    let (flights, cr) = tls13_early_script(false, true);
    let log = tls13_log(&cr.clone().try_into().unwrap(), true);
    for seed in 1..8 {
        let mut session = TlsSession::new();
        let (events, c, s) = run(&mut session, &flights, &log, seed);
        assert_eq!(c, b"early GETlate GET");
        assert_eq!(s, b"server hello");
        let sum = session.summary();
        assert_eq!(sum.why_not, None);
        let lines = log.nss_lines(&session.client_random().unwrap()).unwrap();
        assert_eq!(lines.lines().count(), 5);
        assert_eq!(sum.client.early_bytes, 9);
        assert_eq!(sum.early_data_accepted, Some(true));
        assert_eq!(sum.alpn_chosen.as_deref(), Some("h2"));
        assert_eq!(sum.alpn_offered, vec!["h2", "http/1.1"]);
        assert_eq!(sum.sni.as_deref(), Some("example.com"));
        assert_eq!(sum.version_name().as_deref(), Some("TLS 1.3"));
        assert_eq!(
            sum.cipher_suite_name().as_deref(),
            Some("TLS_AES_128_GCM_SHA256")
        );
        assert!(sum.early_data_offered);
        assert!(events.contains(&Ev::Alert {
            from_client: true,
            level: 1,
            description: 0,
            packet: match events.last().unwrap() {
                Ev::Alert { packet, .. } => *packet,
                _ => 0,
            }
        }));
    }
}

#[test]
fn tls13_early_data_skipped_without_its_secret() {
    let (flights, cr) = tls13_early_script(false, true);
    let log = tls13_log(&cr.try_into().unwrap(), false);
    let mut session = TlsSession::new();
    let (_, c, s) = run(&mut session, &flights, &log, 9);
    assert_eq!(c, b"late GET");
    assert_eq!(s, b"server hello");
    let sum = session.summary();
    assert_eq!(sum.why_not, None);
    assert_eq!(sum.client.skipped_early_records, 2);
}

#[test]
fn tls13_hello_retry_request() {
    // After a HelloRetryRequest the early data is rejected; the second ClientHello is
    // plaintext and the rest follows as usual.
    let (flights, cr) = tls13_early_script(true, false);
    // Even with the early secret logged, the rejected early data is not emitted.
    let log = tls13_log(&cr.try_into().unwrap(), true);
    for seed in 1..6 {
        let mut session = TlsSession::new();
        let (_, c, s) = run(&mut session, &flights, &log, seed);
        assert_eq!(c, b"late GET");
        assert_eq!(s, b"server hello");
        let sum = session.summary();
        assert!(sum.hello_retry_request);
        assert_eq!(sum.early_data_accepted, Some(false));
        assert_eq!(sum.client.skipped_early_records, 2);
        assert_eq!(sum.why_not, None);
    }
}

#[test]
fn tls13_rejected_early_data_is_not_emitted() {
    let (flights, cr) = tls13_early_script(false, false);
    let log = tls13_log(&cr.try_into().unwrap(), true);
    for seed in 1..6 {
        let mut session = TlsSession::new();
        let (_, c, _) = run(&mut session, &flights, &log, seed);
        assert_eq!(c, b"late GET", "seed {seed}");
        let sum = session.summary();
        assert_eq!(sum.early_data_accepted, Some(false));
        assert_eq!(sum.client.early_bytes, 0);
        assert_eq!(sum.client.skipped_early_records, 2);
        assert_eq!(sum.why_not, None);
    }
}

#[test]
fn tls13_wrong_key_emits_nothing() {
    let (flights, _) = tls13_early_script(false, true);
    // Secrets logged for this client random, but not the ones used.
    let cr = [0x77u8; 32];
    let mut log = KeyLog::new();
    for l in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        log.add_text("k", nss(l, &cr, &[0x99; 32]).as_bytes());
    }
    let mut session = TlsSession::new();
    let (events, c, s) = run(&mut session, &flights, &log, 2);
    assert!(c.is_empty() && s.is_empty());
    assert!(events.iter().all(|e| !matches!(e, Ev::Data { .. })));
    let sum = session.summary();
    assert_eq!(sum.server.stopped, Some(NotDecrypted::KeyMismatch));
    assert_eq!(sum.client.stopped, Some(NotDecrypted::KeyMismatch));
    assert!(!sum.decrypted);
}
