//! Session tests: synthetic handshakes built with this module's own record sealing (TLS 1.2
//! CBC, early data, gaps, missing keys), and real TLS 1.2 / 1.3 sessions made in memory
//! by rustls with its key log captured.

use super::handshake::tests::{client_hello_body, full_client_hello, message};
use super::handshake::{kind, HELLO_RETRY_REQUEST_RANDOM, TLS12, TLS13};
use super::keylog::hex_lower;
use super::keys::{suite, tls12_keys, tls13_traffic_keys};
use super::record::RecordCipher;
use super::*;

/// An event kept past the session's next feed (a [`TlsEvent`] borrows the session).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Data {
        from_client: bool,
        bytes: Vec<u8>,
        packet: u64,
    },
    Alert {
        from_client: bool,
        level: u8,
        description: u8,
        packet: u64,
    },
}

impl TlsSession {
    /// [`TlsSession::feed`], its events copied out.
    fn feed_owned(
        &mut self,
        from_client: bool,
        bytes: &[u8],
        packet: u64,
        keys: &KeyLog,
    ) -> Vec<Ev> {
        self.feed(from_client, bytes, packet, keys)
            .map(|e| match e {
                TlsEvent::Data {
                    from_client,
                    bytes,
                    packet,
                } => Ev::Data {
                    from_client,
                    bytes: bytes.to_vec(),
                    packet,
                },
                TlsEvent::Alert {
                    from_client,
                    level,
                    description,
                    packet,
                } => Ev::Alert {
                    from_client,
                    level,
                    description,
                    packet,
                },
            })
            .collect()
    }
}

/// Deterministic xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn plain_record(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![ty, 3, 3];
    r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r
}

/// One direction's bytes as the TCP layer would deliver them.
#[derive(Default, Clone)]
struct Flight {
    from_client: bool,
    bytes: Vec<u8>,
}

/// Feeds the flights in order, each cut into random chunks; packet numbers count up.
/// Returns every event and the concatenated data per direction.
fn run(
    session: &mut TlsSession,
    flights: &[Flight],
    keys: &KeyLog,
    seed: u64,
) -> (Vec<Ev>, Vec<u8>, Vec<u8>) {
    let mut rng = Rng(seed | 1);
    let mut packet = 0u64;
    let mut events = Vec::new();
    for f in flights {
        let mut rest = &f.bytes[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len().min(3000));
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            packet += 1;
            events.extend(session.feed_owned(f.from_client, chunk, packet, keys));
        }
    }
    let (mut c, mut s) = (Vec::new(), Vec::new());
    for e in &events {
        if let Ev::Data {
            from_client, bytes, ..
        } = e
        {
            if *from_client {
                c.extend_from_slice(bytes)
            } else {
                s.extend_from_slice(bytes)
            }
        }
    }
    (events, c, s)
}

fn nss(label: &str, random: &[u8], secret: &[u8]) -> String {
    format!("{label} {} {}\n", hex_lower(random), hex_lower(secret))
}

#[test]
fn client_hello_detection() {
    let ch = plain_record(
        22,
        &message(kind::CLIENT_HELLO, &full_client_hello([1; 32])),
    );
    assert!(looks_like_client_hello(&ch));
    assert!(looks_like_client_hello(&[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01
    ]));
    assert!(!looks_like_client_hello(&[0x16, 0x03, 0x01, 0x02, 0x00])); // too short
    assert!(!looks_like_client_hello(&[
        0x16, 0x03, 0x05, 0x02, 0x00, 0x01
    ]));
    assert!(!looks_like_client_hello(&[
        0x16, 0x03, 0x03, 0x02, 0x00, 0x02
    ])); // ServerHello
    assert!(!looks_like_client_hello(b"GET / HTTP/1.1\r\n"));
    assert!(!looks_like_client_hello(&[
        0x17, 0x03, 0x03, 0x00, 0x10, 0x01
    ]));
}

#[test]
fn debug_output_holds_no_key_material() {
    let (flights, cr) = tls13_early_script(false, true);
    let log = tls13_log(&cr.try_into().unwrap(), true);
    let mut session = TlsSession::new();
    run(&mut session, &flights, &log, 1);
    let text = format!("{session:?} {log:?}");
    // The secrets are runs of one byte: e0, c1, 51, ca, 5a (as hex or decimal).
    for needle in [
        "e0e0", "c1c1", "5151", "caca", "5a5a", "224, 224", "193, 193",
    ] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn alert_names() {
    assert_eq!(alert_name(0), "close_notify");
    assert_eq!(alert_name(40), "handshake_failure");
    assert_eq!(alert_name(120), "no_application_protocol");
    assert_eq!(alert_name(255), "unknown_alert");
    assert_eq!(alert_level_name(2), "fatal");
}

// ---------------------------------------------------------------- synthetic TLS 1.2

fn server_hello_body(random: [u8; 32], suite: u16, exts: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&random);
    b.push(0);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend_from_slice(exts);
    b
}

fn ext(ty: u16, body: &[u8]) -> Vec<u8> {
    let mut e = ty.to_be_bytes().to_vec();
    e.extend_from_slice(&(body.len() as u16).to_be_bytes());
    e.extend_from_slice(body);
    e
}

struct Tls12Script {
    flights: Vec<Flight>,
    keys: String,
    client_data: Vec<u8>,
    server_data: Vec<u8>,
}

/// A whole TLS 1.2 connection with `suite_id`, encrypt_then_mac as given.
fn tls12_script(suite_id: u16, etm: bool) -> Tls12Script {
    let (cr, sr) = ([0x11u8; 32], [0x22u8; 32]);
    let master = [0x33u8; 48];
    let s = suite(suite_id).unwrap();
    let k = tls12_keys(s, &master, &cr, &sr).unwrap();
    let mut client = RecordCipher::tls12(s, &k.client, etm).unwrap();
    let mut server = RecordCipher::tls12(s, &k.server, etm).unwrap();
    let etm_ext = if etm { ext(22, &[]) } else { Vec::new() };
    let ch = client_hello_body(cr, std::slice::from_ref(&etm_ext));
    let sh = server_hello_body(sr, suite_id, &etm_ext);
    let client_data = b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n".to_vec();
    let server_data = b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x88\x02\x03\xe8".to_vec();
    let flights = vec![
        Flight {
            from_client: true,
            bytes: plain_record(22, &message(kind::CLIENT_HELLO, &ch)),
        },
        Flight {
            from_client: false,
            bytes: [
                plain_record(22, &message(kind::SERVER_HELLO, &sh)),
                plain_record(22, &message(kind::SERVER_HELLO_DONE, &[])),
            ]
            .concat(),
        },
        Flight {
            from_client: true,
            bytes: [
                plain_record(22, &message(kind::CLIENT_KEY_EXCHANGE, &[1, 2, 3])),
                plain_record(20, &[1]),
                client.seal(22, &message(kind::FINISHED, &[0xf1; 12]), [1; 16]),
            ]
            .concat(),
        },
        Flight {
            from_client: false,
            bytes: [
                plain_record(20, &[1]),
                server.seal(22, &message(kind::FINISHED, &[0xf2; 12]), [2; 16]),
            ]
            .concat(),
        },
        Flight {
            from_client: true,
            bytes: [
                client.seal(23, &client_data[..10], [3; 16]),
                client.seal(23, &client_data[10..], [4; 16]),
            ]
            .concat(),
        },
        Flight {
            from_client: false,
            bytes: [
                server.seal(23, &server_data, [5; 16]),
                server.seal(21, &[1, 0], [6; 16]),
            ]
            .concat(),
        },
    ];
    Tls12Script {
        flights,
        keys: nss("CLIENT_RANDOM", &cr, &master),
        client_data,
        server_data,
    }
}

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
        (vec![7u8; 32], vec![], true),             // TLS 1.2, the client's ID echoed
        (vec![8u8; 32], vec![], false),            // TLS 1.2, a new session
        (vec![], vec![], false),                   // TLS 1.2, no ID
        (vec![7u8; 32], tls13.clone(), false),     // TLS 1.3 echoes it always
        (vec![7u8; 32], [tls13, psk].concat(), true), // TLS 1.3 with a PSK
    ] {
        let mut session = TlsSession::new();
        let log = KeyLog::new();
        let ch = client_hello_body([0x11; 32], &[]);
        session.feed(true, &plain_record(22, &message(kind::CLIENT_HELLO, &ch)), 1, &log);
        let sh = server_hello(&sid, &exts);
        session.feed(false, &plain_record(22, &message(kind::SERVER_HELLO, &sh)), 2, &log);
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
        sum.why_not.unwrap().to_string(),
        "this key log does not match this connection"
    );
    assert!(!sum.decrypted);
    // No key at all.
    let mut session = TlsSession::new();
    let (_, c, _) = run(&mut session, &script.flights, &KeyLog::new(), 3);
    assert!(c.is_empty());
    assert_eq!(session.summary().why_not, Some(NotDecrypted::NoKey));
    assert_eq!(
        NotDecrypted::NoKey.to_string(),
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
        sum.why_not.unwrap().to_string(),
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

#[test]
fn handshake_not_captured_and_unsupported() {
    let script = tls12_script(0xc02f, false);
    let mut log = KeyLog::new();
    log.add_text("k", script.keys.as_bytes());
    // The capture starts after the hellos.
    let mut session = TlsSession::new();
    let (_, c, s) = run(&mut session, &script.flights[2..], &log, 5);
    assert!(c.is_empty() && s.is_empty());
    assert_eq!(
        session.summary().why_not,
        Some(NotDecrypted::HandshakeNotCaptured)
    );
    // The capture starts mid-record.
    let mut session = TlsSession::new();
    session.feed_owned(true, &script.flights[4].bytes[3..], 1, &log);
    assert_eq!(
        session.summary().why_not.unwrap().to_string(),
        "handshake not captured"
    );
    // An unsupported suite (AES-CCM).
    let mut session = TlsSession::new();
    let ch = client_hello_body([0x11; 32], &[]);
    session.feed_owned(true, &plain_record(22, &message(1, &ch)), 1, &log);
    let sh = server_hello_body([0x22; 32], 0xc0ac, &[]);
    session.feed_owned(false, &plain_record(22, &message(2, &sh)), 2, &log);
    let sum = session.summary();
    assert_eq!(sum.why_not, Some(NotDecrypted::UnsupportedSuite(0xc0ac)));
    assert_eq!(
        sum.why_not.unwrap().to_string(),
        "unsupported cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_CCM"
    );
    // TLS 1.1.
    let mut session = TlsSession::new();
    session.feed_owned(true, &plain_record(22, &message(1, &ch)), 1, &log);
    let mut sh = server_hello_body([0x22; 32], 0x002f, &[]);
    sh[1] = 2;
    session.feed_owned(false, &plain_record(22, &message(2, &sh)), 2, &log);
    assert_eq!(
        session.summary().why_not.unwrap().to_string(),
        "unsupported TLS version TLS 1.1"
    );
    // A plaintext fatal alert instead of a ServerHello.
    let mut session = TlsSession::new();
    session.feed_owned(true, &plain_record(22, &message(1, &ch)), 1, &log);
    let ev = session.feed_owned(false, &plain_record(21, &[2, 40]), 2, &log);
    assert_eq!(
        ev,
        vec![Ev::Alert {
            from_client: false,
            level: 2,
            description: 40,
            packet: 2
        }]
    );
}

#[test]
fn oversized_record_is_a_protocol_violation() {
    let script = tls12_script(0xc02f, false);
    let mut log = KeyLog::new();
    log.add_text("k", script.keys.as_bytes());
    let mut session = TlsSession::new();
    session.feed_owned(true, &script.flights[0].bytes, 1, &log);
    session.feed_owned(false, &script.flights[1].bytes, 2, &log);
    session.feed_owned(true, &[23, 3, 3, 0xff, 0xff], 3, &log);
    let sum = session.summary();
    match sum.client.stopped {
        Some(NotDecrypted::ProtocolViolation(text)) => {
            assert!(
                text.contains("65535") && text.contains("packet 3"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sum.server.stopped, None);
}

// ---------------------------------------------------------------- synthetic TLS 1.3

struct Tls13Secrets {
    early: [u8; 32],
    chs: [u8; 32],
    shs: [u8; 32],
    cap: [u8; 32],
    sap: [u8; 32],
}

const S13: Tls13Secrets = Tls13Secrets {
    early: [0xe0; 32],
    chs: [0xc1; 32],
    shs: [0x51; 32],
    cap: [0xca; 32],
    sap: [0x5a; 32],
};

fn cipher13(secret: &[u8; 32]) -> RecordCipher {
    let s = suite(0x1301).unwrap();
    RecordCipher::tls13(s, &tls13_traffic_keys(s, secret).unwrap()).unwrap()
}

fn tls13_log(cr: &[u8; 32], with_early: bool) -> KeyLog {
    let mut text = [
        nss("CLIENT_HANDSHAKE_TRAFFIC_SECRET", cr, &S13.chs),
        nss("SERVER_HANDSHAKE_TRAFFIC_SECRET", cr, &S13.shs),
        nss("CLIENT_TRAFFIC_SECRET_0", cr, &S13.cap),
        nss("SERVER_TRAFFIC_SECRET_0", cr, &S13.sap),
    ]
    .concat();
    if with_early {
        text.push_str(&nss("CLIENT_EARLY_TRAFFIC_SECRET", cr, &S13.early));
    }
    let mut log = KeyLog::new();
    assert!(log.add_text("k", text.as_bytes()).is_empty());
    log
}

/// A TLS 1.3 connection with 0-RTT data, accepted by the server or not, and optionally a
/// HelloRetryRequest (which rejects it).
fn tls13_early_script(hrr: bool, accept_early: bool) -> (Vec<Flight>, Vec<u8>) {
    let accept_early = accept_early && !hrr;
    let cr = [0x77u8; 32];
    let mut early = cipher13(&S13.early);
    let mut chs = cipher13(&S13.chs);
    let mut shs = cipher13(&S13.shs);
    let mut cap = cipher13(&S13.cap);
    let mut sap = cipher13(&S13.sap);
    let ch = message(kind::CLIENT_HELLO, &full_client_hello(cr));
    let sv = ext(43, &[3, 4]);
    let sh = message(
        kind::SERVER_HELLO,
        &server_hello_body([0x88; 32], 0x1301, &sv),
    );
    let z = [0u8; 16];
    let mut flights = vec![Flight {
        from_client: true,
        bytes: [
            plain_record(22, &ch),
            plain_record(20, &[1]),
            early.seal(23, b"early GET", z),
            early.seal(22, &message(kind::END_OF_EARLY_DATA, &[]), z),
        ]
        .concat(),
    }];
    if hrr {
        let hrr_msg = message(
            kind::SERVER_HELLO,
            &server_hello_body(HELLO_RETRY_REQUEST_RANDOM, 0x1301, &sv),
        );
        flights.push(Flight {
            from_client: false,
            bytes: plain_record(22, &hrr_msg),
        });
        flights.push(Flight {
            from_client: true,
            bytes: plain_record(22, &ch),
        });
    }
    let mut ee_exts = ext(16, &[0, 3, 2, b'h', b'2']);
    if accept_early {
        ee_exts.extend(ext(42, &[]));
    }
    let ee = message(
        kind::ENCRYPTED_EXTENSIONS,
        &[(ee_exts.len() as u16).to_be_bytes().to_vec(), ee_exts].concat(),
    );
    flights.push(Flight {
        from_client: false,
        bytes: [
            plain_record(22, &sh),
            plain_record(20, &[1]),
            shs.seal(22, &[ee, message(kind::FINISHED, &[0xf5; 32])].concat(), z),
            sap.seal(22, &message(kind::NEW_SESSION_TICKET, &[0; 20]), z),
            sap.seal(23, b"server hello", z),
        ]
        .concat(),
    });
    flights.push(Flight {
        from_client: true,
        bytes: [
            chs.seal(22, &message(kind::FINISHED, &[0xfc; 32]), z),
            cap.seal(23, b"late GET", z),
            cap.seal(21, &[1, 0], z),
        ]
        .concat(),
    });
    (flights, cr.to_vec())
}

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

#[test]
fn hostile_streams_do_not_panic() {
    let log = tls13_log(&[0x77; 32], true);
    let (flights, _) = tls13_early_script(true, false);
    let mut rng = Rng(99);
    for round in 0..300 {
        let mut session = TlsSession::new();
        for f in &flights {
            let mut bytes = f.bytes.clone();
            // Flip a few bytes.
            for _ in 0..(round % 4) {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            let cut = rng.below(bytes.len() + 1);
            session.feed_owned(f.from_client, &bytes[..cut], 1, &log);
            if rng.below(5) == 0 {
                session.gap(f.from_client, Some(2));
            }
            session.feed_owned(f.from_client, &bytes[cut..], 3, &log);
        }
        let _ = session.summary();
    }
    // Random bytes.
    for _ in 0..200 {
        let mut session = TlsSession::new();
        let len = rng.below(400);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.below(2) == 0 && bytes.len() > 6 {
            bytes[..6].copy_from_slice(&[22, 3, 1, 0, 200, 1]);
        }
        session.feed_owned(true, &bytes, 1, &log);
        session.feed_owned(false, &bytes, 2, &log);
    }
}

// ---------------------------------------------------------------- rustls end to end

mod real {
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
}
