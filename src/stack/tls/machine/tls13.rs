//! The TLS 1.3 part of the session (RFC 8446 §4.2.10, §5.2, §7.1-§7.3, §4.6.3): the
//! traffic keys from the logged secrets, records opened under the early, handshake or
//! application key by phase (early data tried and skipped when it does not open), and
//! KeyUpdate.
//!
//! In: the suite and the connection's logged secrets; a protected record; a KeyUpdate.
//! Out: both directions' ciphers; the record's plaintext delivered, or the direction stopped.

use super::super::handshake;
use super::super::keylog::{self, ConnectionSecrets, Label, Secret};
use super::super::keys::{self, Suite};
use super::super::record::{spare, OpenError, RecordCipher, RecordHead};
use super::{Phase, Setup, TlsSession};
use crate::vocab::{NotDecrypted, Violation};

/// Undecryptable early-data records skipped before the key is taken as wrong.
const MAX_SKIPPED_EARLY: u32 = 1024;

impl TlsSession {
    /// A TLS 1.3 protected record: under the early, handshake or application key, by phase.
    /// Its payload is `self.plain[start..]`.
    pub(super) fn open13(
        &mut self,
        from_client: bool,
        head: RecordHead,
        start: usize,
        keys: &keylog::KeyLog,
    ) {
        let packet = head.packet;
        let early_rejected = self.early_accepted == Some(false);
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        let rec = self.plain.get_mut(start..).unwrap_or_default();
        let Some(phase) = d.phase else {
            // Keys not set (cannot happen once the state is Ready).
            return;
        };
        // A failed open may garble the record: a trial puts it back from the thread's
        // backup when it fails. (Only the few records of the early and handshake phases
        // are tried; application data opens in place.)
        let try_open = |c: &mut Option<Box<RecordCipher>>, rec: &mut [u8]| match c.as_mut() {
            Some(c) => spare::with_backup(rec, |rec| c.open(head, rec)),
            None => Err(OpenError::Auth),
        };
        let open_in_place = |c: &mut Option<Box<RecordCipher>>, rec: &mut [u8]| match c.as_mut() {
            Some(c) => c.open(head, rec),
            None => Err(OpenError::Auth),
        };
        let opened = match phase {
            Phase::Early => {
                // Rejected early data is not emitted even when its key is logged: the
                // server never read it (the client sends it again after the handshake).
                let as_early = if early_rejected {
                    Err(OpenError::Auth)
                } else {
                    try_open(&mut d.early, rec)
                };
                match as_early {
                    Ok(ty) => Ok((ty, true)),
                    Err(_) => try_open(&mut d.handshake, rec).map(|ty| {
                        d.phase = Some(Phase::Handshake);
                        d.handshake_opened = true;
                        (ty, false)
                    }),
                }
            }
            Phase::Handshake => match try_open(&mut d.handshake, rec) {
                Ok(ty) => {
                    d.handshake_opened = true;
                    Ok((ty, false))
                }
                Err(e) => {
                    if d.early_offered && !d.handshake_opened {
                        Err(e)
                    } else {
                        // The handshake may have ended unseen (e.g. its Finished was in a
                        // record we could not read): try the application key.
                        match try_open(&mut d.app, rec) {
                            Ok(ty) => {
                                d.phase = Some(Phase::Application);
                                Ok((ty, false))
                            }
                            Err(e2) => Err(if e == OpenError::Malformed { e } else { e2 }),
                        }
                    }
                }
            },
            Phase::Application => open_in_place(&mut d.app, rec).map(|ty| (ty, false)),
        };
        match opened {
            Ok(((ty, plain), early)) => {
                d.stats.decrypted_records += 1;
                let (a, b) = (start + plain.start, start + plain.end);
                self.deliver(from_client, ty, a, b, packet, early, keys);
            }
            Err(_)
                if self.partial_key && self.dir_ref(from_client).app.is_none() && {
                    let d = self.dir_ref(from_client);
                    d.phase == Some(Phase::Application) || d.handshake_opened
                } =>
            {
                // Past the handshake with no application key logged: not a mismatch.
                self.heap_changed = true;
                self.dir(from_client).stop(NotDecrypted::PartialKey);
            }
            Err(e) => {
                // Undecryptable early data is skipped, unless the server's records already
                // showed that the key log does not fit this connection.
                let server_mismatch = self.server.stats.stopped == Some(NotDecrypted::KeyMismatch);
                let d = self.dir(from_client);
                let skippable = from_client
                    && !server_mismatch
                    && d.early_offered
                    && !d.handshake_opened
                    && phase != Phase::Application;
                if skippable && d.stats.skipped_early_records < MAX_SKIPPED_EARLY {
                    d.stats.skipped_early_records += 1;
                } else {
                    self.open_failed(from_client, e, packet);
                }
            }
        }
    }

    pub(super) fn setup13(
        &mut self,
        suite: &Suite,
        s: &ConnectionSecrets,
        early_offered: bool,
        complete: bool,
    ) -> Setup {
        let (Some(chts), Some(shts)) = (
            s.get(Label::ClientHandshakeTrafficSecret),
            s.get(Label::ServerHandshakeTrafficSecret),
        ) else {
            return Setup::Missing;
        };
        let cipher = |secret: &[u8]| {
            keys::tls13_traffic_keys(suite, secret)
                .ok()
                .and_then(|k| RecordCipher::tls13(suite, &k))
                .map(Box::new)
        };
        let (Some(ch), Some(sh)) = (cipher(chts), cipher(shts)) else {
            return Setup::Mismatch; // a secret of the wrong length for this suite's hash
        };
        // The application secrets a client logs only once its handshake completes: without
        // them the handshake's records are still read (the server's Certificate, the
        // client's alert refusing it, RFC 8446 §6), and its application data is not. Only
        // from a key log that is complete: a live capture's may log them in a moment, and
        // until then the records wait (`KeyState::Awaiting`).
        let (cts, sts) = (
            s.get(Label::ClientTrafficSecret0),
            s.get(Label::ServerTrafficSecret0),
        );
        let (ca, sa) = match (cts, sts) {
            (Some(c), Some(s)) => match (cipher(c), cipher(s)) {
                (Some(ca), Some(sa)) => (Some(ca), Some(sa)),
                _ => return Setup::Mismatch,
            },
            _ if complete => {
                self.partial_key = true;
                (None, None)
            }
            _ => return Setup::Missing,
        };
        // The early key only when the client offered early data (else it is never read).
        let early = s
            .get(Label::ClientEarlyTrafficSecret)
            .filter(|_| early_offered)
            .and_then(cipher);
        self.client.early_offered = early_offered;
        self.client.early = early;
        self.client.handshake = Some(ch);
        self.client.app = ca;
        self.client.app_secret = cts.and_then(Secret::new);
        self.client.phase = Some(if early_offered {
            Phase::Early
        } else {
            Phase::Handshake
        });
        self.server.handshake = Some(sh);
        self.server.app = sa;
        self.server.app_secret = sts.and_then(Secret::new);
        self.server.phase = Some(Phase::Handshake);
        Setup::Ready
    }

    pub(super) fn key_update(&mut self, from_client: bool, body: &[u8]) {
        let Some(suite) = self.suite else {
            return;
        };
        if !suite.tls13 {
            return;
        }
        if handshake::parse_key_update(body).is_none() {
            self.dir(from_client).stop(NotDecrypted::ProtocolViolation(
                Violation::MalformedKeyUpdate,
            ));
            return;
        }
        let d = self.dir(from_client);
        if d.phase != Some(Phase::Application) {
            return;
        }
        let Some(secret) = d.app_secret.as_ref() else {
            return;
        };
        let next = keys::tls13_next_secret(suite, secret.as_bytes()).ok();
        let cipher = next.as_deref().and_then(|n| {
            keys::tls13_traffic_keys(suite, n)
                .ok()
                .and_then(|k| RecordCipher::tls13(suite, &k))
        });
        match (next, cipher) {
            (Some(n), Some(c)) => {
                d.app_secret = Secret::new(&n);
                d.app = Some(Box::new(c));
                d.stats.key_updates += 1;
            }
            _ => d.stop(NotDecrypted::KeyMismatch),
        }
    }
}
