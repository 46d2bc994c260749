//! TLS 1.2 sessions built with this module's own sealing (RFC 5246 §6-§7, RFC 5288,
//! RFC 7366 encrypt-then-MAC, RFC 5077 resumption): CBC and GCM, wrong, missing and late
//! keys, gaps.

use super::*;

#[test]
fn tls12_cbc_and_gcm_sessions_decrypt() {
    for (id, etm) in [
        (0xc027, false),
        (0xc027, true),
        (0x002f, false),
        (0xc014, true),
        (0xc028, false),
        (0xc02f, false),
        (0xcca8, false),
    ] {
        let script = tls12_script(id, etm);
        let mut log = KeyLog::new();
        log.add_text("k", script.keys.as_bytes());
        for seed in 1..6 {
            let mut session = TlsSession::new();
            let (events, c, s) = run(&mut session, &script.flights, &log, seed);
            assert_eq!(c, script.client_data, "{id:04x} etm {etm}");
            assert_eq!(s, script.server_data);
            let alerts: Vec<_> = events
                .iter()
                .filter(|e| matches!(e, Ev::Alert { .. }))
                .collect();
            assert_eq!(alerts.len(), 1);
            assert!(matches!(
                alerts[0],
                Ev::Alert {
                    from_client: false,
                    level: 1,
                    description: 0,
                    ..
                }
            ));
            let sum = session.summary();
            assert_eq!(sum.version, Some(TLS12));
            assert_eq!(sum.cipher_suite, Some(id));
            assert!(sum.decrypted);
            assert_eq!(sum.why_not, None, "{id:04x}");
            assert_eq!(sum.client.decrypted_records, 3);
        }
    }
}

/// A resumed session is told by its hellos: TLS 1.2 by the server answering with the
/// session ID the client asked to resume (RFC 5246 §7.3), TLS 1.3 by an accepted
/// pre-shared key only (its session ID echo is for middleboxes, RFC 8446 §4.1.3).
#[test]
fn resumption_is_told_by_the_hellos() {
    // client_hello_body's session ID is 32 bytes of 7.
    let server_hello = |sid: &[u8], exts: &[u8]| {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0x22; 32]);
        b.push(sid.len() as u8);
        b.extend_from_slice(sid);
        b.extend_from_slice(&[0xc0, 0x2f, 0]);
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        b.extend_from_slice(exts);
        b
    };
    let tls13 = ext(43, &[0x03, 0x04]);
    let psk = ext(41, &[0, 0]);
    for (sid, exts, want) in [
        (vec![7u8; 32], vec![], true),  // TLS 1.2, the client's ID echoed
        (vec![8u8; 32], vec![], false), // TLS 1.2, a new session
        (vec![], vec![], false),        // TLS 1.2, no ID
        (vec![7u8; 32], tls13.clone(), false), // TLS 1.3 echoes it always
        (vec![7u8; 32], [tls13, psk].concat(), true), // TLS 1.3 with a PSK
    ] {
        let mut session = TlsSession::new();
        let log = KeyLog::new();
        let ch = client_hello_body([0x11; 32], &[]);
        session.feed(
            true,
            &plain_record(22, &message(kind::CLIENT_HELLO, &ch)),
            1,
            &log,
        );
        let sh = server_hello(&sid, &exts);
        session.feed(
            false,
            &plain_record(22, &message(kind::SERVER_HELLO, &sh)),
            2,
            &log,
        );
        assert_eq!(session.summary().resumed, want, "{sid:?} {exts:?}");
    }
}

#[test]
fn tls12_etm_negotiated_only_when_both_hellos_carry_it() {
    // The server does not echo encrypt_then_mac: MAC-then-encrypt is used.
    let mut script = tls12_script(0xc027, false);
    let mut ch = client_hello_body([0x11; 32], &[ext(22, &[])]);
    script.flights[0].bytes = plain_record(22, &message(kind::CLIENT_HELLO, &ch));
    let mut log = KeyLog::new();
    log.add_text("k", script.keys.as_bytes());
    let mut session = TlsSession::new();
    let (_, c, _) = run(&mut session, &script.flights, &log, 7);
    assert_eq!(c, script.client_data);
    // And with EtM records but a ClientHello without the extension: mismatch.
    let mut script = tls12_script(0xc027, true);
    ch = client_hello_body([0x11; 32], &[]);
    script.flights[0].bytes = plain_record(22, &message(kind::CLIENT_HELLO, &ch));
    let mut session = TlsSession::new();
    let (_, c, _) = run(&mut session, &script.flights, &log, 7);
    assert!(c.is_empty());
    assert_eq!(session.summary().why_not, Some(NotDecrypted::KeyMismatch));
}

#[test]
fn tls12_wrong_key_no_key_and_late_key() {
    let script = tls12_script(0xc02f, false);
    // Wrong master secret.
    let mut wrong = KeyLog::new();
    wrong.add_text(
        "k",
        nss("CLIENT_RANDOM", &[0x11; 32], &[0x44; 48]).as_bytes(),
    );
    let mut session = TlsSession::new();
    let (events, c, s) = run(&mut session, &script.flights, &wrong, 3);
    assert!(c.is_empty() && s.is_empty());
    assert!(events.iter().all(|e| !matches!(e, Ev::Data { .. })));
    let sum = session.summary();
    assert_eq!(sum.why_not, Some(NotDecrypted::KeyMismatch));
    assert_eq!(
        crate::report::words::tls::not_decrypted(&sum.why_not.unwrap()),
        "this key log does not match this connection"
    );
    assert!(!sum.decrypted);
    // No key at all.
    let mut session = TlsSession::new();
    let (_, c, _) = run(&mut session, &script.flights, &KeyLog::new(), 3);
    assert!(c.is_empty());
    assert_eq!(session.summary().why_not, Some(NotDecrypted::NoKey));
    assert_eq!(
        crate::report::words::tls::not_decrypted(&NotDecrypted::NoKey),
        "no key for this connection"
    );
    // The key arrives after the records (a live capture's key log written late): the
    // waiting records are decrypted on the next feed.
    let mut log = KeyLog::new();
    log.add_text("k", script.keys.as_bytes());
    let mut session = TlsSession::new();
    let mut data = Vec::new();
    for (i, f) in script.flights.iter().enumerate() {
        for e in session.feed_owned(f.from_client, &f.bytes, i as u64 + 1, &KeyLog::new()) {
            assert!(!matches!(e, Ev::Data { .. }));
        }
    }
    for e in session.feed_owned(true, &[], 99, &log) {
        if let Ev::Data {
            from_client: true,
            bytes,
            packet,
        } = e
        {
            assert_eq!(packet, 5, "the packet that completed the record");
            data.extend(bytes);
        }
    }
    assert_eq!(data, script.client_data);
    assert_eq!(session.summary().why_not, None);
}

#[test]
fn tls12_gap_stops_one_direction_at_its_packet() {
    let script = tls12_script(0xc02f, false);
    let mut log = KeyLog::new();
    log.add_text("k", script.keys.as_bytes());
    let mut session = TlsSession::new();
    let mut client_data = Vec::new();
    let mut server_data = Vec::new();
    for (i, f) in script.flights.iter().enumerate() {
        if i == 4 {
            session.gap(true, Some(42));
        }
        for e in session.feed_owned(f.from_client, &f.bytes, i as u64 + 1, &log) {
            if let Ev::Data {
                from_client, bytes, ..
            } = e
            {
                if from_client {
                    client_data.extend(bytes)
                } else {
                    server_data.extend(bytes)
                }
            }
        }
    }
    assert!(client_data.is_empty());
    assert_eq!(server_data, script.server_data);
    let sum = session.summary();
    assert_eq!(
        sum.client.stopped,
        Some(NotDecrypted::Gap { packet: Some(42) })
    );
    assert_eq!(sum.server.stopped, None);
    assert_eq!(
        crate::report::words::tls::not_decrypted(&sum.why_not.unwrap()),
        "TCP gap at packet 42: cannot continue"
    );
    // A gap in the server's stream before its ServerHello stops both directions.
    let mut session = TlsSession::new();
    session.feed_owned(true, &script.flights[0].bytes, 1, &log);
    session.gap(false, None);
    let sum = session.summary();
    assert_eq!(sum.client.stopped, Some(NotDecrypted::Gap { packet: None }));
    assert_eq!(sum.server.stopped, Some(NotDecrypted::Gap { packet: None }));
    // A gap in the client's stream after its ClientHello stops only the client's side.
    let mut session = TlsSession::new();
    session.feed_owned(true, &script.flights[0].bytes, 1, &log);
    session.gap(true, Some(2));
    let mut server_data = Vec::new();
    for (i, f) in script.flights.iter().enumerate().skip(1) {
        for e in session.feed_owned(f.from_client, &f.bytes, i as u64 + 3, &log) {
            if let Ev::Data { bytes, .. } = e {
                server_data.extend(bytes);
            }
        }
    }
    assert_eq!(server_data, script.server_data);
    let sum = session.summary();
    assert_eq!(
        sum.client.stopped,
        Some(NotDecrypted::Gap { packet: Some(2) })
    );
    assert_eq!(sum.server.stopped, None);
}
