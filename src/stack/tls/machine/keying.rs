//! The handshake messages a session reads and the keys they bring into effect: the
//! ClientHello's random and offers, the ServerHello's choice (suite, version), the
//! EncryptedExtensions' answer to early data, each side's Finished; the keys looked up in
//! the key log and set up for each version (`tls12`, `tls13`), or why none are (RFC 8446
//! §4.1-§4.4, §7; RFC 5246 §7.4).

use super::*;

impl TlsSession {
    pub(super) fn message(
        &mut self,
        from_client: bool,
        m: MessageRef<'_>,
        early: bool,
        keys: &keylog::KeyLog,
    ) {
        if from_client {
            self.client_message(m, early)
        } else {
            self.server_message(m, keys)
        }
    }

    pub(super) fn client_message(&mut self, m: MessageRef<'_>, early: bool) {
        if self.client_hello.is_none() {
            if m.kind != kind::CLIENT_HELLO {
                self.fail(NotDecrypted::HandshakeNotCaptured);
                return;
            }
            match handshake::parse_client_hello_lean(m.body) {
                Some(ch) => {
                    self.client.early_offered = ch.early_data;
                    self.client_hello = Some(ch);
                    self.client_hello_seen = true;
                }
                None => self.fail(NotDecrypted::ProtocolViolation(
                    Violation::MalformedClientHello,
                )),
            }
            return;
        }
        match m.kind {
            kind::CLIENT_HELLO if self.hello_retry_request && self.client_hello2.is_none() => {
                self.client_hello2 = handshake::parse_client_hello_lean(m.body);
            }
            kind::END_OF_EARLY_DATA if early => self.client.phase = Some(Phase::Handshake),
            kind::FINISHED => self.finished(true),
            kind::KEY_UPDATE => self.key_update(true, m.body),
            _ => {}
        }
    }

    pub(super) fn server_message(&mut self, m: MessageRef<'_>, keys: &keylog::KeyLog) {
        if self.server_hello.is_none() {
            if m.kind != kind::SERVER_HELLO {
                self.fail(NotDecrypted::HandshakeNotCaptured);
                return;
            }
            let Some(sh) = handshake::parse_server_hello(m.body) else {
                self.fail(NotDecrypted::ProtocolViolation(
                    Violation::MalformedServerHello,
                ));
                return;
            };
            if sh.hello_retry_request {
                self.hello_retry_request = true;
                self.early_accepted = Some(false); // RFC 8446 §4.2.10
                return;
            }
            self.server_hello_received(sh, keys);
            return;
        }
        match m.kind {
            kind::ENCRYPTED_EXTENSIONS => {
                if let Some(ee) = handshake::parse_encrypted_extensions(m.body) {
                    if ee.alpn.is_some() {
                        self.alpn_chosen = ee.alpn;
                    }
                    if self.early_accepted.is_none() {
                        self.early_accepted = Some(ee.early_data);
                    }
                }
            }
            kind::FINISHED => self.finished(false),
            kind::KEY_UPDATE => self.key_update(false, m.body),
            _ => {} // Certificate…, NewSessionTicket: nothing to decrypt with
        }
    }

    pub(super) fn server_hello_received(&mut self, sh: ServerHello, keys: &keylog::KeyLog) {
        let version = sh.version();
        if sh.alpn.is_some() {
            self.alpn_chosen = sh.alpn.clone();
        }
        let suite_id = sh.cipher_suite;
        self.server_hello = Some(sh);
        self.version = Some(version);
        if version != TLS12 && version != TLS13 {
            self.fail(NotDecrypted::UnsupportedVersion(version));
            return;
        }
        let Some(suite) = keys::suite(suite_id) else {
            self.fail(NotDecrypted::UnsupportedSuite(suite_id));
            return;
        };
        if suite.tls13 != (version == TLS13) {
            self.fail(NotDecrypted::ProtocolViolation(
                Violation::SuiteForOtherVersion {
                    suite: suite.name.into(),
                    version,
                },
            ));
            return;
        }
        self.suite = Some(suite);
        self.key_state = KeyState::Awaiting;
        self.resolve_keys(keys);
    }

    /// Looks the connection up in the key log and sets the directions' keys.
    pub(super) fn resolve_keys(&mut self, keys: &keylog::KeyLog) {
        let (Some(suite), Some(ch), Some(sh)) = (
            self.suite,
            self.client_hello.as_ref(),
            self.server_hello.as_ref(),
        ) else {
            return;
        };
        let randoms = [
            Some(ch.random),
            self.client_hello2.as_ref().map(|c| c.random),
        ];
        let Some(secrets) = randoms.iter().flatten().find_map(|r| keys.get(r)) else {
            if keys.is_complete() {
                // Nothing will come: hold no record for it.
                self.fail(NotDecrypted::NoKey);
            }
            return; // else stays Awaiting: the log may grow
        };
        let result = if suite.tls13 {
            let early_offered = ch.early_data;
            self.setup13(suite, secrets, early_offered, keys.is_complete())
        } else {
            let etm = ch.encrypt_then_mac
                && sh.encrypt_then_mac
                && matches!(suite.bulk, Bulk::Cbc { .. });
            let (cr, sr) = (ch.random, sh.random);
            self.setup12(suite, secrets, &cr, &sr, etm)
        };
        match result {
            Setup::Ready => self.key_state = KeyState::Ready,
            Setup::Missing => self.partial_key = true,
            Setup::Mismatch => self.fail(NotDecrypted::KeyMismatch),
        }
    }

    /// Why there is no key yet: none logged, or not all of them.
    pub(super) fn no_key(&self) -> NotDecrypted {
        if self.partial_key {
            NotDecrypted::PartialKey
        } else {
            NotDecrypted::NoKey
        }
    }

    /// A Finished message: in TLS 1.3 that side's application keys follow.
    pub(super) fn finished(&mut self, from_client: bool) {
        if !from_client && self.early_accepted.is_none() {
            // No readable EncryptedExtensions came before: take early data as rejected
            // rather than hold the client's records.
            self.early_accepted = Some(false);
        }
        let d = self.dir(from_client);
        d.finished = true;
        if d.phase == Some(Phase::Handshake) {
            d.phase = Some(Phase::Application);
            // This side's early and handshake keys are done with (RFC 8446 §7.3: its next
            // record is under the application key): freed now, while they are in cache,
            // instead of held to the connection's end.
            d.early = None;
            d.handshake = None;
        }
    }
}

/// Whether a version's keys could be set up from the key log (`tls12`, `tls13`).
pub(super) enum Setup {
    Ready,
    Missing,
    Mismatch,
}
