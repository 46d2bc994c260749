//! Session tests: synthetic handshakes built with this module's own record sealing (TLS 1.2
//! CBC, early data, gaps, missing keys), and real TLS 1.2 / 1.3 sessions made in memory
//! by rustls with its key log captured (`real`). `tls12` and `tls13` hold each version's
//! synthetic sessions; this module the builders they share and the tests of both.

use super::handshake::tests::{client_hello_body, full_client_hello, message};
use super::handshake::{kind, HELLO_RETRY_REQUEST_RANDOM, TLS12, TLS13};
use super::keylog::hex_lower;
use super::keys::{suite, tls12_keys, tls13_traffic_keys};
use super::record::RecordCipher;
use super::*;
use crate::vocab::NotDecrypted;

mod real;
mod tls12;
mod tls13;

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

use crate::Rng;

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
        crate::report::words::tls::not_decrypted(&session.summary().why_not.unwrap()),
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
        crate::report::words::tls::not_decrypted(&sum.why_not.unwrap()),
        "unsupported cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_CCM"
    );
    // TLS 1.1.
    let mut session = TlsSession::new();
    session.feed_owned(true, &plain_record(22, &message(1, &ch)), 1, &log);
    let mut sh = server_hello_body([0x22; 32], 0x002f, &[]);
    sh[1] = 2;
    session.feed_owned(false, &plain_record(22, &message(2, &sh)), 2, &log);
    assert_eq!(
        crate::report::words::tls::not_decrypted(&session.summary().why_not.unwrap()),
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
        Some(NotDecrypted::ProtocolViolation(crate::vocab::Violation::RecordTooLong {
            len,
            packet,
            ..
        })) => assert_eq!((len, packet), (65535, 3)),
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

/// Every packet of a TLS connection reads its layer's state: the ciphers (about 600 bytes
/// each, five per direction, most of them unset) are boxed so that the layer stays a few
/// KiB (inline, they would make it about 8 KiB) and its per-packet fields share fewer cache
/// lines.
#[test]
fn tls_state_stays_small() {
    let session = std::mem::size_of::<TlsSession>();
    let layer = std::mem::size_of::<layer::TlsLayer>();
    assert!(session <= 1536, "TlsSession is {session} bytes");
    assert!(layer <= 3072, "TlsLayer is {layer} bytes");
}
