//! TLS for the generator's wss:// connections (`Config::tls`, `gen_capture --tls SHARE`).
//!
//! A WebSocket connection drawn for TLS gets one of three flavours — TLS 1.3
//! AES-128-GCM, TLS 1.3 ChaCha20-Poly1305, TLS 1.2 ECDHE-RSA AES-128-GCM — random secrets,
//! and the NSS key-log lines that name them by the ClientHello's random. No key exchange
//! really happens (the key shares and signatures are random bytes): the key log is the
//! only way in, as it is for a capture of real traffic.
//!
//! The handshake is well-formed for wsclose and Wireshark:
//! - TLS 1.3 (RFC 8446): ClientHello (random, 32-byte session id, SNI, ALPN `http/1.1`,
//!   or `h2, http/1.1` answered `h2` for HTTP/2, supported_versions, an x25519
//!   key_share), ServerHello (suite, supported_versions,
//!   key_share), sometimes the middlebox-compatibility ChangeCipherSpec (§D.4), then under
//!   the server's handshake key EncryptedExtensions (ALPN), an empty Certificate, a
//!   CertificateVerify with a random signature and Finished (HMAC of the transcript,
//!   §4.4.4), in one record or one record each; the client's Finished under its
//!   handshake key, with the first application data in the same segment; sometimes a
//!   NewSessionTicket under the server's application key.
//! - TLS 1.2 (RFC 5246, RFC 8422, RFC 5288): ServerHello (ALPN), an empty Certificate, an
//!   x25519 ServerKeyExchange with a random signature, ServerHelloDone; ClientKeyExchange,
//!   ChangeCipherSpec and Finished (PRF over the transcript, §7.4.9) from the client, then
//!   ChangeCipherSpec and Finished from the server; GCM records carry their sequence
//!   number as the 8-byte explicit nonce.
//!
//! Keys and IVs come from wsclose's own key schedule (`wsclose::__internals::stack::tls::keys`:
//! `tls13_traffic_keys`, `tls12_keys`, `prf`, tested against RFC 8448 and published PRF
//! vectors); records are sealed with ring, the AEAD wsclose opens them with.
//!
//! Application data: every write of the WebSocket layer becomes one record per 16 KiB, and
//! about one write in five is cut in two records at a random byte (a frame across records);
//! TCP then cuts records across segments and puts several in one. [`Tls::close_notify`]
//! makes a side's close_notify alert.

use super::Rng;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, CHACHA20_POLY1305};
use std::fmt::Write as _;
use wsclose::__internals::stack::tls::keys::{self, HashAlg};

const CT_CHANGE_CIPHER_SPEC: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APPLICATION_DATA: u8 = 23;

const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;
const HS_NEW_SESSION_TICKET: u8 = 4;
const HS_ENCRYPTED_EXTENSIONS: u8 = 8;
const HS_CERTIFICATE: u8 = 11;
const HS_SERVER_KEY_EXCHANGE: u8 = 12;
const HS_SERVER_HELLO_DONE: u8 = 14;
const HS_CERTIFICATE_VERIFY: u8 = 15;
const HS_CLIENT_KEY_EXCHANGE: u8 = 16;
const HS_FINISHED: u8 = 20;

/// Plaintext bytes per record at most (RFC 8446 §5.1).
const MAX_PLAIN: usize = 1 << 14;
const TAG_LEN: usize = 16;
const X25519: u16 = 0x001d;
const RSA_PSS_RSAE_SHA256: u16 = 0x0804;

/// A connection's TLS version and cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Tls13Aes128Gcm,
    Tls13ChaCha20,
    Tls12Aes128Gcm,
}

impl Flavor {
    pub fn suite_id(self) -> u16 {
        match self {
            Flavor::Tls13Aes128Gcm => 0x1301,
            Flavor::Tls13ChaCha20 => 0x1303,
            Flavor::Tls12Aes128Gcm => 0xc02f,
        }
    }

    fn suite(self) -> &'static keys::Suite {
        keys::suite(self.suite_id()).expect("wsclose decrypts the generator's suites")
    }

    /// The suite's IANA name, as wsclose reports it.
    pub fn suite_name(self) -> &'static str {
        self.suite().name
    }

    pub fn tls13(self) -> bool {
        self != Flavor::Tls12Aes128Gcm
    }

    /// "TLS 1.3" or "TLS 1.2", as wsclose reports it.
    pub fn version(self) -> &'static str {
        if self.tls13() {
            "TLS 1.3"
        } else {
            "TLS 1.2"
        }
    }
}

/// One direction's record protection under one key, with its sequence number.
struct Sealer {
    key: LessSafeKey,
    /// The 12-byte IV (TLS 1.3), or the 4-byte GCM salt then zeros (TLS 1.2).
    iv: [u8; 12],
    seq: u64,
    tls13: bool,
}

impl Sealer {
    fn new(flavor: Flavor, k: &keys::TrafficKeys) -> Sealer {
        let alg = match flavor {
            Flavor::Tls13ChaCha20 => &CHACHA20_POLY1305,
            _ => &AES_128_GCM,
        };
        let key = UnboundKey::new(alg, &k.key).expect("the suite's key length");
        let mut iv = [0; 12];
        iv[..k.iv.len()].copy_from_slice(&k.iv);
        Sealer {
            key: LessSafeKey::new(key),
            iv,
            seq: 0,
            tls13: flavor.tls13(),
        }
    }

    /// Appends one protected record of content type `ty` holding `plain` (at most 16 KiB)
    /// to `out`; TLS 1.3 adds `pad` zero bytes after the inner content type (§5.4).
    fn seal(&mut self, ty: u8, plain: &[u8], pad: usize, out: &mut Vec<u8>) {
        let seq = self.seq;
        self.seq += 1;
        let mut nonce = self.iv;
        // The additional data: the record header (TLS 1.3, RFC 8446 §5.2), or
        // seq || type || version || plaintext length (TLS 1.2, RFC 5246 §6.2.3.3).
        let mut aad = [0u8; 13];
        let aad_len;
        if self.tls13 {
            // Outer type application_data; the inner type follows the content.
            let len = (plain.len() + 1 + pad + TAG_LEN) as u16;
            aad[..3].copy_from_slice(&[CT_APPLICATION_DATA, 3, 3]);
            aad[3..5].copy_from_slice(&len.to_be_bytes());
            aad_len = 5;
            out.extend_from_slice(&aad[..5]);
            for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *n ^= s;
            }
        } else {
            // RFC 5288 §3: nonce = salt || explicit nonce, here the sequence number.
            let len = (8 + plain.len() + TAG_LEN) as u16;
            out.extend_from_slice(&[ty, 3, 3]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&seq.to_be_bytes());
            nonce[4..].copy_from_slice(&seq.to_be_bytes());
            aad[..8].copy_from_slice(&seq.to_be_bytes());
            aad[8..11].copy_from_slice(&[ty, 3, 3]);
            aad[11..].copy_from_slice(&(plain.len() as u16).to_be_bytes());
            aad_len = 13;
        }
        let body = out.len();
        out.extend_from_slice(plain);
        if self.tls13 {
            out.push(ty);
            out.resize(out.len() + pad, 0);
        }
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..aad_len]),
                &mut out[body..],
            )
            .expect("a record is far below the AEAD's limit");
        out.extend_from_slice(tag.as_ref());
    }
}

/// A connection's TLS: its flavour, each side's application-data protection, and the
/// key-log lines not yet written.
pub struct Tls {
    pub flavor: Flavor,
    /// [client, server].
    app: [Sealer; 2],
    /// NSS key-log lines of this connection, taken by [`Tls::take_keylog`].
    keylog: String,
    /// Whether each side sent its close_notify.
    pub notified: [bool; 2],
}

/// The handshake as TLS records, flight by flight.
pub struct Handshake {
    /// The ClientHello.
    pub client_hello: Vec<u8>,
    /// ServerHello to Finished (TLS 1.3) or to ServerHelloDone (TLS 1.2).
    pub server_flight: Vec<u8>,
    /// The client's last flight: (ChangeCipherSpec,) Finished in TLS 1.3;
    /// ClientKeyExchange, ChangeCipherSpec, Finished in TLS 1.2.
    pub client_finish: Vec<u8>,
    /// TLS 1.2: the server's ChangeCipherSpec and Finished. TLS 1.3: a NewSessionTicket
    /// or nothing.
    pub server_finish: Vec<u8>,
}

impl Tls {
    /// Draws a flavour (`only`, when given, is used instead), randoms and secrets; returns
    /// the connection's TLS and its handshake, for server name `sni`; with `h2` the client offers ALPN `h2` before
    /// `http/1.1` and the server picks `h2` (the same draws either way).
    pub fn new(rng: &mut Rng, sni: &str, h2: bool, only: Option<Flavor>) -> (Tls, Handshake) {
        let drawn = match rng.weighted(&[45, 20, 35]) {
            0 => Flavor::Tls13Aes128Gcm,
            1 => Flavor::Tls13ChaCha20,
            _ => Flavor::Tls12Aes128Gcm,
        };
        let flavor = only.unwrap_or(drawn);
        let client_random: [u8; 32] = rng.bytes(32).try_into().expect("32 bytes");
        let server_random: [u8; 32] = rng.bytes(32).try_into().expect("32 bytes");
        if flavor.tls13() {
            tls13(rng, flavor, sni, h2, client_random, server_random)
        } else {
            tls12(rng, flavor, sni, h2, client_random, server_random)
        }
    }

    /// Side `d`'s `plain` bytes (one write of the layer above) as application-data
    /// records, and where each record ends: (end of its plaintext in `plain`, end of the
    /// record in the output), in order.
    pub fn seal_app(
        &mut self,
        rng: &mut Rng,
        d: usize,
        plain: &[u8],
    ) -> (Vec<u8>, Vec<(usize, usize)>) {
        let mut out = Vec::with_capacity(plain.len() + 64 + plain.len() / MAX_PLAIN * 40);
        let cut = if plain.len() > 1 && rng.chance(0.2) {
            rng.range(1, plain.len() as u64 - 1) as usize
        } else {
            plain.len()
        };
        let pad = if self.flavor.tls13() && rng.chance(0.05) {
            rng.range(1, 32) as usize
        } else {
            0
        };
        let mut ends = Vec::new();
        let mut done = 0;
        for part in [&plain[..cut], &plain[cut..]] {
            for chunk in part.chunks(MAX_PLAIN) {
                self.app[d].seal(CT_APPLICATION_DATA, chunk, pad, &mut out);
                done += chunk.len();
                ends.push((done, out.len()));
            }
        }
        (out, ends)
    }

    /// Side `d`'s close_notify alert (RFC 8446 §6.1), as a protected record.
    pub fn close_notify(&mut self, d: usize) -> Vec<u8> {
        self.notified[d] = true;
        let mut out = Vec::with_capacity(40);
        self.app[d].seal(CT_ALERT, &[1, 0], 0, &mut out);
        out
    }

    /// The key-log lines not yet taken (empty after the first call).
    pub fn take_keylog(&mut self) -> String {
        std::mem::take(&mut self.keylog)
    }
}

fn tls13(
    rng: &mut Rng,
    flavor: Flavor,
    sni: &str,
    h2: bool,
    client_random: [u8; 32],
    server_random: [u8; 32],
) -> (Tls, Handshake) {
    let suite = flavor.suite();
    // CLIENT_HANDSHAKE, SERVER_HANDSHAKE, CLIENT_TRAFFIC_0, SERVER_TRAFFIC_0.
    let secrets: [Vec<u8>; 4] = std::array::from_fn(|_| rng.bytes(32));
    let sealer = |s: &[u8]| {
        Sealer::new(
            flavor,
            &keys::tls13_traffic_keys(suite, s).expect("a 32-byte secret"),
        )
    };
    let mut hs_client = sealer(&secrets[0]);
    let mut hs_server = sealer(&secrets[1]);
    let mut app = [sealer(&secrets[2]), sealer(&secrets[3])];
    let labels = [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ];
    let mut keylog = String::new();
    for (label, secret) in labels.iter().zip(&secrets) {
        let _ = writeln!(keylog, "{label} {} {}", hex(&client_random), hex(secret));
    }

    let session_id = rng.bytes(32);
    let ch = client_hello(rng, &client_random, &session_id, sni, true, h2);
    let mut sh_exts = Vec::new();
    ext(&mut sh_exts, 43, &0x0304u16.to_be_bytes());
    let mut share = X25519.to_be_bytes().to_vec();
    vec16(&mut share, &rng.bytes(32));
    ext(&mut sh_exts, 51, &share);
    let sh = server_hello(&server_random, &session_id, flavor.suite_id(), &sh_exts);
    let mut ee_exts = Vec::new();
    ext(&mut ee_exts, 16, &alpn(&[picked(h2)]));
    let mut ee_body = Vec::new();
    vec16(&mut ee_body, &ee_exts);
    let ee = message(HS_ENCRYPTED_EXTENSIONS, &ee_body);
    // An empty certificate_request_context and an empty certificate_list.
    let cert = message(HS_CERTIFICATE, &[0, 0, 0, 0]);
    let mut cv_body = RSA_PSS_RSAE_SHA256.to_be_bytes().to_vec();
    vec16(&mut cv_body, &rng.bytes(256));
    let cv = message(HS_CERTIFICATE_VERIFY, &cv_body);
    let mut transcript = [&ch, &sh, &ee, &cert, &cv].map(|m| m.as_slice()).concat();
    let server_fin = message(HS_FINISHED, &finished13(&secrets[1], &transcript));
    transcript.extend_from_slice(&server_fin);
    let client_fin = message(HS_FINISHED, &finished13(&secrets[0], &transcript));

    let client_hello = plain_records(CT_HANDSHAKE, &ch);
    let mut server_flight = plain_records(CT_HANDSHAKE, &sh);
    let compat = rng.chance(0.7);
    if compat {
        server_flight.extend_from_slice(&change_cipher_spec());
    }
    if rng.chance(0.5) {
        let flight = [&ee, &cert, &cv, &server_fin]
            .map(|m| m.as_slice())
            .concat();
        hs_server.seal(CT_HANDSHAKE, &flight, 0, &mut server_flight);
    } else {
        for m in [&ee, &cert, &cv, &server_fin] {
            hs_server.seal(CT_HANDSHAKE, m, 0, &mut server_flight);
        }
    }
    let mut client_finish = if compat {
        change_cipher_spec()
    } else {
        Vec::new()
    };
    hs_client.seal(CT_HANDSHAKE, &client_fin, 0, &mut client_finish);
    let mut server_finish = Vec::new();
    if rng.chance(0.5) {
        let mut nst = Vec::new();
        nst.extend_from_slice(&(7_200u32).to_be_bytes()); // ticket_lifetime
        nst.extend_from_slice(&(rng.next_u64() as u32).to_be_bytes()); // ticket_age_add
        vec8(&mut nst, &rng.bytes(8)); // ticket_nonce
        let n = rng.range(100, 240) as usize;
        vec16(&mut nst, &rng.bytes(n)); // ticket
        vec16(&mut nst, &[]); // extensions
        app[1].seal(
            CT_HANDSHAKE,
            &message(HS_NEW_SESSION_TICKET, &nst),
            0,
            &mut server_finish,
        );
    }
    (
        Tls {
            flavor,
            app,
            keylog,
            notified: [false; 2],
        },
        Handshake {
            client_hello,
            server_flight,
            client_finish,
            server_finish,
        },
    )
}

fn tls12(
    rng: &mut Rng,
    flavor: Flavor,
    sni: &str,
    h2: bool,
    client_random: [u8; 32],
    server_random: [u8; 32],
) -> (Tls, Handshake) {
    let suite = flavor.suite();
    let master = rng.bytes(48);
    let k = keys::tls12_keys(suite, &master, &client_random, &server_random)
        .expect("a 48-byte master secret");
    let mut app = [
        Sealer::new(flavor, &k.client),
        Sealer::new(flavor, &k.server),
    ];
    let keylog = format!("CLIENT_RANDOM {} {}\n", hex(&client_random), hex(&master));

    let ch = client_hello(rng, &client_random, &[], sni, false, h2);
    let mut sh_exts = Vec::new();
    ext(&mut sh_exts, 0xff01, &[0]); // renegotiation_info, empty
    ext(&mut sh_exts, 11, &[1, 0]); // ec_point_formats: uncompressed
    ext(&mut sh_exts, 16, &alpn(&[picked(h2)]));
    let sh = server_hello(&server_random, &rng.bytes(32), flavor.suite_id(), &sh_exts);
    let cert = message(HS_CERTIFICATE, &[0, 0, 0]); // an empty certificate_list
    let mut ske_body = vec![3]; // named_curve
    ske_body.extend_from_slice(&X25519.to_be_bytes());
    vec8(&mut ske_body, &rng.bytes(32));
    ske_body.extend_from_slice(&RSA_PSS_RSAE_SHA256.to_be_bytes());
    vec16(&mut ske_body, &rng.bytes(256));
    let ske = message(HS_SERVER_KEY_EXCHANGE, &ske_body);
    let shd = message(HS_SERVER_HELLO_DONE, &[]);
    let mut cke_body = Vec::new();
    vec8(&mut cke_body, &rng.bytes(32));
    let cke = message(HS_CLIENT_KEY_EXCHANGE, &cke_body);
    let mut transcript = [&ch, &sh, &cert, &ske, &shd, &cke]
        .map(|m| m.as_slice())
        .concat();
    let client_fin = message(
        HS_FINISHED,
        &finished12(&master, b"client finished", &transcript),
    );
    transcript.extend_from_slice(&client_fin);
    let server_fin = message(
        HS_FINISHED,
        &finished12(&master, b"server finished", &transcript),
    );

    let client_hello = plain_records(CT_HANDSHAKE, &ch);
    let server_flight = if rng.chance(0.5) {
        plain_records(
            CT_HANDSHAKE,
            &[&sh, &cert, &ske, &shd].map(|m| m.as_slice()).concat(),
        )
    } else {
        [&sh, &cert, &ske, &shd]
            .map(|m| plain_records(CT_HANDSHAKE, m))
            .concat()
    };
    let mut client_finish = plain_records(CT_HANDSHAKE, &cke);
    client_finish.extend_from_slice(&change_cipher_spec());
    app[0].seal(CT_HANDSHAKE, &client_fin, 0, &mut client_finish);
    let mut server_finish = change_cipher_spec();
    app[1].seal(CT_HANDSHAKE, &server_fin, 0, &mut server_finish);
    (
        Tls {
            flavor,
            app,
            keylog,
            notified: [false; 2],
        },
        Handshake {
            client_hello,
            server_flight,
            client_finish,
            server_finish,
        },
    )
}

/// A ClientHello message offering TLS 1.3 and 1.2 (`tls13`) or TLS 1.2 alone.
fn client_hello(
    rng: &mut Rng,
    random: &[u8; 32],
    session_id: &[u8],
    sni: &str,
    tls13: bool,
    h2: bool,
) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(random);
    vec8(&mut b, session_id);
    let suites: &[u16] = if tls13 {
        &[
            0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030,
        ]
    } else {
        &[
            0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
        ]
    };
    vec16(
        &mut b,
        &suites
            .iter()
            .flat_map(|s| s.to_be_bytes())
            .collect::<Vec<_>>(),
    );
    vec8(&mut b, &[0]); // null compression
    let mut exts = Vec::new();
    let mut names = vec![0]; // host_name
    vec16(&mut names, sni.as_bytes());
    let mut sni_ext = Vec::new();
    vec16(&mut sni_ext, &names);
    ext(&mut exts, 0, &sni_ext);
    ext(&mut exts, 11, &[1, 0]); // ec_point_formats
    ext(&mut exts, 10, &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]); // supported_groups
    let offer: &[&str] = if h2 {
        &["h2", "http/1.1"]
    } else {
        &["http/1.1"]
    };
    ext(&mut exts, 16, &alpn(offer));
    let mut sigs = Vec::new();
    vec16(
        &mut sigs,
        &[
            0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01,
        ],
    );
    ext(&mut exts, 13, &sigs); // signature_algorithms
    if tls13 {
        let mut share = X25519.to_be_bytes().to_vec();
        vec16(&mut share, &rng.bytes(32));
        let mut shares = Vec::new();
        vec16(&mut shares, &share);
        ext(&mut exts, 51, &shares); // key_share
        ext(&mut exts, 45, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        ext(&mut exts, 43, &[4, 3, 4, 3, 3]); // supported_versions: 1.3, 1.2
    }
    vec16(&mut b, &exts);
    message(HS_CLIENT_HELLO, &b)
}

fn server_hello(random: &[u8; 32], session_id: &[u8], suite: u16, exts: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(random);
    vec8(&mut b, session_id);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    vec16(&mut b, exts);
    message(HS_SERVER_HELLO, &b)
}

/// TLS 1.3 Finished: HMAC(finished_key, Transcript-Hash) (RFC 8446 §4.4.4).
fn finished13(handshake_secret: &[u8], transcript: &[u8]) -> Vec<u8> {
    use hmac::Mac as _;
    use sha2::Digest as _;
    let key = keys::hkdf_expand_label(HashAlg::Sha256, handshake_secret, b"finished", b"", 32)
        .expect("a 32-byte secret");
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    m.update(&sha2::Sha256::digest(transcript));
    m.finalize().into_bytes().to_vec()
}

/// TLS 1.2 Finished: PRF(master_secret, label, Hash(handshake_messages))[..12]
/// (RFC 5246 §7.4.9).
fn finished12(master: &[u8], label: &[u8], transcript: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    keys::prf(
        HashAlg::Sha256,
        master,
        label,
        &sha2::Sha256::digest(transcript),
        12,
    )
}

/// A handshake message: type, 3-byte length, body.
fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// Plaintext records of type `ty` holding `payload` (TLS 1.2 record version).
fn plain_records(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    for chunk in payload.chunks(MAX_PLAIN) {
        // The ClientHello's record says TLS 1.0, as browsers' do (RFC 8446 §5.1).
        let minor = if ty == CT_HANDSHAKE && chunk.first() == Some(&HS_CLIENT_HELLO) {
            1
        } else {
            3
        };
        out.extend_from_slice(&[ty, 3, minor]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn change_cipher_spec() -> Vec<u8> {
    vec![CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]
}

/// The ALPN extension's body offering or choosing `http/1.1`.
/// The ALPN extension's body naming `protocols` (RFC 7301 §3.1): the client's offer, or
/// the one the server picked.
fn alpn(protocols: &[&str]) -> Vec<u8> {
    let mut list = Vec::new();
    for p in protocols {
        vec8(&mut list, p.as_bytes());
    }
    let mut body = Vec::new();
    vec16(&mut body, &list);
    body
}

/// The protocol the server picks.
fn picked(h2: bool) -> &'static str {
    if h2 {
        "h2"
    } else {
        "http/1.1"
    }
}

fn ext(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    out.extend_from_slice(&ty.to_be_bytes());
    vec16(out, body);
}

fn vec8(out: &mut Vec<u8>, body: &[u8]) {
    out.push(body.len() as u8);
    out.extend_from_slice(body);
}

fn vec16(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
