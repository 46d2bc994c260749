//! Real TLS 1.2 and 1.3 sessions made in memory by rustls (RFC 8446, RFC 5246), its key log
//! captured through its `KeyLog` hook, read back by [`TlsSession`]: every AEAD suite,
//! KeyUpdate both ways, 0-RTT, TLS 1.2 resumption, a gap, tiny chunks.

use super::*;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// rustls' key-log hook, writing NSS lines.
#[derive(Debug, Default)]
struct Capture(Mutex<String>);
impl rustls::KeyLog for Capture {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push_str(&nss(label, client_random, secret));
    }
    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

struct Transcript {
    flights: Vec<Flight>,
    keylog: String,
    client_sent: Vec<u8>,
    server_sent: Vec<u8>,
    suite: u16,
}

fn provider(suite: rustls::SupportedCipherSuite) -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![suite],
        ..rustls::crypto::ring::default_provider()
    })
}

/// Moves every pending TLS byte between the two ends, recording each direction.
fn pump(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
    flights: &mut Vec<Flight>,
    got: &mut [Vec<u8>; 2],
) {
    loop {
        let mut moved = false;
        for from_client in [true, false] {
            let mut buf = Vec::new();
            if from_client {
                while c.wants_write() {
                    c.write_tls(&mut buf).unwrap();
                }
            } else {
                while s.wants_write() {
                    s.write_tls(&mut buf).unwrap();
                }
            }
            if buf.is_empty() {
                continue;
            }
            moved = true;
            let mut rd = &buf[..];
            while !rd.is_empty() {
                if from_client {
                    s.read_tls(&mut rd).unwrap();
                    s.process_new_packets().unwrap();
                    got[0].extend(read_all(&mut s.reader()));
                } else {
                    c.read_tls(&mut rd).unwrap();
                    c.process_new_packets().unwrap();
                    got[1].extend(read_all(&mut c.reader()));
                }
            }
            flights.push(Flight {
                from_client,
                bytes: buf,
            });
        }
        if !moved {
            break;
        }
    }
}

fn read_all(r: &mut dyn Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    out
}

fn session(suite: rustls::SupportedCipherSuite, tls13: bool, key_update: bool) -> Transcript {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der: CertificateDer<'static> = cert.cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let capture = Arc::new(Capture::default());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der.clone()).unwrap();
    let mut client_config = ClientConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_config.key_log = capture.clone();
    client_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut server_config = ServerConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .unwrap();
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut client = ClientConnection::new(
        Arc::new(client_config),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
    let mut flights = Vec::new();
    let mut got = [Vec::new(), Vec::new()];
    pump(&mut client, &mut server, &mut flights, &mut got);
    assert!(!client.is_handshaking() && !server.is_handshaking());

    let upgrade = b"GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                    Sec-WebSocket-Version: 13\r\n\r\n";
    let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let mut client_sent = upgrade.to_vec();
    let mut server_sent = response.to_vec();
    client.writer().write_all(upgrade).unwrap();
    pump(&mut client, &mut server, &mut flights, &mut got);
    server.writer().write_all(response).unwrap();
    // A large message: several full-size records.
    let big: Vec<u8> = (0..40_000u32).map(|i| (i * 7) as u8).collect();
    server.writer().write_all(&big).unwrap();
    server_sent.extend_from_slice(&big);
    pump(&mut client, &mut server, &mut flights, &mut got);
    if key_update {
        client.refresh_traffic_keys().unwrap();
        server.refresh_traffic_keys().unwrap();
        client.writer().write_all(b"after update").unwrap();
        client_sent.extend_from_slice(b"after update");
        pump(&mut client, &mut server, &mut flights, &mut got);
    }
    // WebSocket close frames each way (masked from the client), then close_notify.
    let close_c = [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2];
    client.writer().write_all(&close_c).unwrap();
    client_sent.extend_from_slice(&close_c);
    pump(&mut client, &mut server, &mut flights, &mut got);
    server
        .writer()
        .write_all(&[0x88, 0x02, 0x03, 0xe8])
        .unwrap();
    server_sent.extend_from_slice(&[0x88, 0x02, 0x03, 0xe8]);
    server.send_close_notify();
    client.send_close_notify();
    pump(&mut client, &mut server, &mut flights, &mut got);
    assert_eq!(got[0], client_sent);
    assert_eq!(got[1], server_sent);
    let keylog = capture.0.lock().unwrap().clone();
    Transcript {
        flights,
        keylog,
        client_sent,
        server_sent,
        suite: u16::from(suite.suite()),
    }
}

fn check(t: &Transcript, tls13: bool) {
    let mut log = KeyLog::new();
    assert!(log.add_text("rustls", t.keylog.as_bytes()).is_empty());
    for seed in [1u64, 2, 3, 0xdead_beef] {
        let mut session = TlsSession::new();
        let (events, c, s) = run(&mut session, &t.flights, &log, seed);
        let sum = session.summary();
        assert_eq!(sum.why_not, None, "suite {:04x} seed {seed}", t.suite);
        assert_eq!(c, t.client_sent, "suite {:04x}", t.suite);
        assert_eq!(s, t.server_sent);
        assert_eq!(sum.version, Some(if tls13 { TLS13 } else { TLS12 }));
        assert_eq!(sum.cipher_suite, Some(t.suite));
        assert_eq!(sum.sni.as_deref(), Some("localhost"));
        assert_eq!(sum.alpn_offered, vec!["http/1.1"]);
        assert_eq!(sum.alpn_chosen.as_deref(), Some("http/1.1"));
        // Past each side's Finished its handshake keys (TLS 1.3) and the buffer that
        // joined its messages (both versions) are given back (rustls's tickets come after
        // and are read all the same).
        assert_eq!(session.handshake_held(), (false, 0), "seed {seed}");
        let close_notify = |from: bool| {
            events.iter().any(|e| {
                matches!(e, Ev::Alert { from_client, level: 1, description: 0, .. }
                    if *from_client == from)
            })
        };
        assert!(close_notify(true) && close_notify(false));
        // Every data event's packet is one that was fed, in order per direction.
        let mut last = 0;
        for e in events.iter().filter(|e| {
            matches!(
                e,
                Ev::Data {
                    from_client: false,
                    ..
                }
            )
        }) {
            if let Ev::Data { packet, .. } = e {
                assert!(*packet >= last);
                last = *packet;
            }
        }
    }
    // No key.
    let mut session = TlsSession::new();
    let (_, c, s) = run(&mut session, &t.flights, &KeyLog::new(), 5);
    assert!(c.is_empty() && s.is_empty());
    assert_eq!(session.summary().why_not, Some(NotDecrypted::NoKey));
    // Wrong key: the same lines with every secret's first byte changed.
    let mut wrong = KeyLog::new();
    for line in t.keylog.lines() {
        let mut fields: Vec<String> = line.split(' ').map(str::to_owned).collect();
        let first = u8::from_str_radix(&fields[2][..2], 16).unwrap() ^ 0x80;
        fields[2].replace_range(..2, &format!("{first:02x}"));
        wrong.add_text("wrong", fields.join(" ").as_bytes());
    }
    let mut session = TlsSession::new();
    let (events, c, s) = run(&mut session, &t.flights, &wrong, 5);
    assert!(c.is_empty() && s.is_empty());
    assert!(events.iter().all(|e| !matches!(e, Ev::Data { .. })));
    let sum = session.summary();
    assert_eq!(sum.why_not, Some(NotDecrypted::KeyMismatch));
    assert!(!sum.decrypted);
}

#[test]
fn rustls_tls13_aes128gcm() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        true,
        false,
    );
    check(&t, true);
}

#[test]
fn rustls_tls13_aes256gcm() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
        true,
        false,
    );
    check(&t, true);
}

#[test]
fn rustls_tls13_chacha20() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        true,
        false,
    );
    check(&t, true);
}

#[test]
fn rustls_tls13_key_update_both_ways() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        true,
        true,
    );
    check(&t, true);
    let mut log = KeyLog::new();
    log.add_text("rustls", t.keylog.as_bytes());
    let mut s = TlsSession::new();
    run(&mut s, &t.flights, &log, 1);
    let sum = s.summary();
    assert!(sum.client.key_updates >= 1 && sum.server.key_updates >= 1);
}

#[test]
fn rustls_tls12_aes128gcm() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        false,
        false,
    );
    check(&t, false);
}

#[test]
fn rustls_tls12_aes256gcm() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        false,
        false,
    );
    check(&t, false);
}

#[test]
fn rustls_tls12_chacha20() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        false,
        false,
    );
    check(&t, false);
}

#[test]
fn rustls_tls13_gap_in_server_direction() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        true,
        false,
    );
    let mut log = KeyLog::new();
    log.add_text("rustls", t.keylog.as_bytes());
    let mut session = TlsSession::new();
    let mut client = Vec::new();
    let mut server_events = 0;
    let mut gapped = false;
    for (i, f) in t.flights.iter().enumerate() {
        let packet = i as u64 + 1;
        // Lose the server's flight that carries the 101 response.
        if !f.from_client && i > 3 && !gapped {
            session.gap(false, Some(packet));
            gapped = true;
            continue;
        }
        for e in session.feed_owned(f.from_client, &f.bytes, packet, &log) {
            match e {
                Ev::Data {
                    from_client: true,
                    bytes,
                    ..
                } => client.extend(bytes),
                Ev::Data { .. } => server_events += 1,
                _ => {}
            }
        }
    }
    assert!(gapped);
    assert_eq!(client, t.client_sent, "the other direction goes on");
    assert_eq!(server_events, 0);
    assert!(matches!(
        session.summary().server.stopped,
        Some(NotDecrypted::Gap { packet: Some(_) })
    ));
}

/// A resumed TLS 1.3 connection whose client sends 0-RTT data that the server accepts.
/// Returns its flights, its key-log lines, and the early and later client bytes.
fn zero_rtt() -> (Vec<Flight>, String, Vec<u8>, Vec<u8>) {
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der: CertificateDer<'static> = cert.cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let capture = Arc::new(Capture::default());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der.clone()).unwrap();
    let mut cc = ClientConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cc.key_log = capture.clone();
    cc.enable_early_data = true;
    let cc = Arc::new(cc);
    let mut sc = ServerConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .unwrap();
    sc.max_early_data_size = 16384;
    let sc = Arc::new(sc);
    let name = || ServerName::try_from("localhost").unwrap();
    // First connection: full handshake; the client keeps the server's tickets.
    {
        let mut c = ClientConnection::new(cc.clone(), name()).unwrap();
        let mut s = ServerConnection::new(sc.clone()).unwrap();
        let (mut f, mut got) = (Vec::new(), [Vec::new(), Vec::new()]);
        pump(&mut c, &mut s, &mut f, &mut got);
        c.writer().write_all(b"one").unwrap();
        s.writer().write_all(b"two").unwrap();
        pump(&mut c, &mut s, &mut f, &mut got);
    }
    capture.0.lock().unwrap().clear();
    // Second connection: resumption with early data.
    let early = b"GET /early HTTP/1.1\r\nUpgrade: websocket\r\n\r\n".to_vec();
    let later = b"\x88\x82\x01\x02\x03\x04\x02\xea".to_vec();
    let mut c = ClientConnection::new(cc, name()).unwrap();
    c.early_data()
        .expect("a ticket allowing early data")
        .write_all(&early)
        .unwrap();
    let mut s = ServerConnection::new(sc).unwrap();
    let (mut flights, mut got) = (Vec::new(), [Vec::new(), Vec::new()]);
    pump(&mut c, &mut s, &mut flights, &mut got);
    assert!(c.is_early_data_accepted());
    c.writer().write_all(&later).unwrap();
    pump(&mut c, &mut s, &mut flights, &mut got);
    let keylog = capture.0.lock().unwrap().clone();
    assert!(keylog.contains("CLIENT_EARLY_TRAFFIC_SECRET"));
    (flights, keylog, early, later)
}

#[test]
fn rustls_tls13_zero_rtt_with_and_without_the_early_secret() {
    let (flights, keylog, early, later) = zero_rtt();
    let mut log = KeyLog::new();
    assert!(log.add_text("rustls", keylog.as_bytes()).is_empty());
    let mut session = TlsSession::new();
    let (_, c, _) = run(&mut session, &flights, &log, 3);
    let sum = session.summary();
    assert_eq!(sum.why_not, None);
    assert!(sum.early_data_offered);
    assert_eq!(c, [early.clone(), later.clone()].concat());
    assert_eq!(sum.client.early_bytes, early.len() as u64);
    // Without CLIENT_EARLY_TRAFFIC_SECRET: the early records are skipped, the rest
    // decrypts.
    let mut log = KeyLog::new();
    let without: String = keylog
        .lines()
        .filter(|l| !l.starts_with("CLIENT_EARLY_TRAFFIC_SECRET"))
        .map(|l| format!("{l}\n"))
        .collect();
    log.add_text("rustls", without.as_bytes());
    let mut session = TlsSession::new();
    let (_, c, _) = run(&mut session, &flights, &log, 4);
    let sum = session.summary();
    assert_eq!(sum.why_not, None);
    assert_eq!(c, later);
    assert!(sum.client.skipped_early_records >= 1);
}

/// TLS 1.2 session resumption (abbreviated handshake: the server's ChangeCipherSpec and
/// Finished come first).
#[test]
fn rustls_tls12_resumed_session() {
    let suite = rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der: CertificateDer<'static> = cert.cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let capture = Arc::new(Capture::default());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der.clone()).unwrap();
    let mut cc = ClientConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cc.key_log = capture.clone();
    let cc = Arc::new(cc);
    let sc = Arc::new(
        ServerConfig::builder_with_provider(provider(suite))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .unwrap(),
    );
    let name = || ServerName::try_from("localhost").unwrap();
    let mut transcripts = Vec::new();
    for _ in 0..2 {
        capture.0.lock().unwrap().clear();
        let mut c = ClientConnection::new(cc.clone(), name()).unwrap();
        let mut s = ServerConnection::new(sc.clone()).unwrap();
        let (mut flights, mut got) = (Vec::new(), [Vec::new(), Vec::new()]);
        pump(&mut c, &mut s, &mut flights, &mut got);
        c.writer().write_all(b"client bytes").unwrap();
        s.writer().write_all(b"server bytes").unwrap();
        pump(&mut c, &mut s, &mut flights, &mut got);
        transcripts.push((flights, capture.0.lock().unwrap().clone()));
    }
    let (flights, keylog) = &transcripts[1];
    // Abbreviated: the server's second flight is ChangeCipherSpec + Finished, before the
    // client's.
    assert!(flights.iter().any(|f| !f.from_client
        && f.bytes.first() == Some(&22)
        && f.bytes.windows(6).any(|w| w == [20, 3, 3, 0, 1, 1])));
    let mut log = KeyLog::new();
    log.add_text("rustls", keylog.as_bytes());
    for seed in 1..4 {
        let mut session = TlsSession::new();
        let (_, c, s) = run(&mut session, flights, &log, seed);
        assert_eq!(session.summary().why_not, None);
        assert_eq!(c, b"client bytes");
        assert_eq!(s, b"server bytes");
    }
}

#[test]
fn rustls_tls13_tiny_chunks() {
    let t = session(
        rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        true,
        true,
    );
    let mut log = KeyLog::new();
    log.add_text("rustls", t.keylog.as_bytes());
    let mut session = TlsSession::new();
    let mut rng = Rng(17);
    let (mut c, mut s) = (Vec::new(), Vec::new());
    let mut packet = 0;
    for f in &t.flights {
        let mut rest = &f.bytes[..];
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at((1 + rng.below(7)).min(rest.len()));
            rest = tail;
            packet += 1;
            for e in session.feed_owned(f.from_client, chunk, packet, &log) {
                if let Ev::Data {
                    from_client, bytes, ..
                } = e
                {
                    if from_client {
                        c.extend(bytes)
                    } else {
                        s.extend(bytes)
                    }
                }
            }
        }
    }
    assert_eq!(session.summary().why_not, None);
    assert_eq!(c, t.client_sent);
    assert_eq!(s, t.server_sent);
}
