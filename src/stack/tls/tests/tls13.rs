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

/// A client record that waited (early data, for the server's EncryptedExtensions) is
/// handed on by a server packet's feed with the time of the client packet that completed
/// it, also after 15 other client packets; the time of one fed 16 client packets before is
/// no longer known (the packet's own is taken then).
#[test]
fn a_waiting_record_keeps_the_time_of_its_packet() {
    use crate::flow::Event;
    use crate::flow::Side;
    use crate::stack::tls::layer::TlsLayer;
    use crate::stack::Ctx;
    use crate::vocab::Timestamp;
    let cr = [0x77u8; 32];
    let log = tls13_log(&cr, true);
    let z = [0u8; 16];
    let (mut early, mut shs) = (cipher13(&S13.early), cipher13(&S13.shs));
    let sv = ext(43, &[3, 4]);
    let sh = message(
        kind::SERVER_HELLO,
        &server_hello_body([0x88; 32], 0x1301, &sv),
    );
    let ee_exts = [ext(16, &[0, 3, 2, b'h', b'2']), ext(42, &[])].concat();
    let ee = message(
        kind::ENCRYPTED_EXTENSIONS,
        &[(ee_exts.len() as u16).to_be_bytes().to_vec(), ee_exts].concat(),
    );
    let hello = [
        plain_record(22, &message(kind::CLIENT_HELLO, &full_client_hello(cr))),
        plain_record(20, &[1]),
    ]
    .concat();
    let notify = early.seal(21, &[1, 0], z); // close_notify as early data: it waits
    let server = [
        plain_record(22, &sh),
        plain_record(20, &[1]),
        shs.seal(22, &[ee, message(kind::FINISHED, &[0xf5; 32])].concat(), z),
    ]
    .concat();
    // `between` client packets of early data after the close_notify's, each a record of
    // its own (they wait too), then the server's flight in one packet.
    for (between, expect) in [(0u64, 2i64), (15, 2), (16, 1000)] {
        let mut ctx = Ctx {
            client: Some(Side::A),
            findings: Default::default(),
            order: 0,
            partial: Default::default(),
            frame_log: (0, false),
            app: false,
        };
        let mut layer = TlsLayer::new(Side::A);
        let feed = |layer: &mut TlsLayer, ctx: &mut Ctx, s: Side, bytes: &[u8], packet: u64| {
            let ev = Event::Data {
                offset: 0,
                bytes,
                packet,
                ts: Timestamp(i64::try_from(packet).unwrap()),
            };
            layer.on_event(ctx, s, ev, &log);
        };
        feed(&mut layer, &mut ctx, Side::A, &hello, 1);
        feed(&mut layer, &mut ctx, Side::A, &notify, 2);
        for p in 0..between {
            let more = early.seal(23, b"x", z);
            feed(&mut layer, &mut ctx, Side::A, &more, 3 + p);
        }
        feed(&mut layer, &mut ctx, Side::B, &server, 1000);
        let facts = layer.facts();
        assert_eq!(facts.close_notify.0, Some(2), "{between}");
        assert_eq!(
            facts.close_notify_at.0.map(|(ts, _)| ts),
            Some(Timestamp(expect)),
            "{between} client packets after it"
        );
    }
}

/// What a session holds on the heap is counted again only after a feed that may have
/// changed it: the handshake (keys set up, the early and handshake keys dropped). A whole
/// application-data record changes nothing and is not counted again, so the memory
/// budget's look costs the packets in between nothing; a record begun and not finished is
/// its direction's partial record (a buffer for all of it), read on its own.
#[test]
fn the_heap_is_counted_again_where_it_changes() {
    let (flights, cr) = tls13_early_script(false, true);
    let log = tls13_log(&cr.try_into().unwrap(), true);
    let mut s = TlsSession::new();
    // As the layer feeds: the feed's buffer goes back to the thread after each.
    let feed = |s: &mut TlsSession, from_client: bool, bytes: &[u8], packet: u64| {
        let ev = s.feed_owned(from_client, bytes, packet, &log);
        s.release();
        ev
    };
    for (n, f) in flights.iter().enumerate() {
        feed(&mut s, f.from_client, &f.bytes, n as u64 + 1);
        assert!(s.take_heap_changed(), "flight {n}");
    }
    assert!(!s.take_heap_changed(), "said once");
    let settled = s.heap_bytes();
    let cipher = std::mem::size_of::<RecordCipher>();
    // Each side's application cipher; the early and handshake ones are gone.
    assert!(settled >= 2 * cipher, "{settled}");
    assert!(settled < 3 * cipher + 4096, "{settled}");
    // The server's next records (its cipher has sealed a ticket and one record so far).
    let mut sap = cipher13(&S13.sap);
    let z = [0u8; 16];
    sap.seal(22, &message(kind::NEW_SESSION_TICKET, &[0; 20]), z);
    sap.seal(23, b"server hello", z);
    let whole = sap.seal(23, b"a whole record", z);
    let big = sap.seal(23, &[0x42; 12_000], z);
    let ev = feed(&mut s, false, &whole, 10);
    assert_eq!(ev.len(), 1);
    assert!(!s.take_heap_changed(), "a whole record changes nothing");
    assert_eq!(s.heap_bytes(), settled);
    // A record in three parts: its buffer is the direction's partial record while it is
    // held (read from the direction after each of its packets), and the rest is unchanged.
    let (a, rest) = big.split_at(3);
    let (b, c) = rest.split_at(5_000);
    assert_eq!(s.partial_bytes(false), 0);
    assert!(feed(&mut s, false, a, 11).is_empty());
    assert!(feed(&mut s, false, b, 12).is_empty());
    assert!(
        s.partial_bytes(false) >= big.len(),
        "{}",
        s.partial_bytes(false)
    );
    assert_eq!(s.partial_bytes(true), 0);
    assert!(!s.take_heap_changed());
    assert_eq!(s.heap_bytes(), settled);
    let ev = feed(&mut s, false, c, 13);
    assert!(matches!(&ev[..], [Ev::Data { bytes, .. }] if bytes.len() == 12_000));
    assert_eq!(s.partial_bytes(false), 0, "the record's buffer went back");
    assert_eq!(s.heap_bytes(), settled);
}
