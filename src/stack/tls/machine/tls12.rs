//! The TLS 1.2 part of the session (RFC 5246 §6.3, §7.1; RFC 7366): the key block from
//! the master secret and both randoms, and records opened under the key a side's
//! ChangeCipherSpec put in effect.
//!
//! In: the suite, the logged master secret, the hellos' randoms; a protected record.
//! Out: both directions' pending ciphers; the record's plaintext delivered.

use super::super::keylog::{self, ConnectionSecrets};
use super::super::keys::{self, Suite};
use super::super::record::{RecordCipher, RecordHead};
use super::{Setup, TlsSession};

impl TlsSession {
    /// A TLS 1.2 protected record, under the cipher its side's ChangeCipherSpec put in
    /// effect. Its payload is `self.plain[start..]`.
    pub(super) fn open12(
        &mut self,
        from_client: bool,
        head: RecordHead,
        start: usize,
        keys: &keylog::KeyLog,
    ) {
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        let Some(cipher) = d.current12.as_mut() else {
            return;
        };
        match cipher.open(head, self.plain.get_mut(start..).unwrap_or_default()) {
            Ok((ty, plain)) => {
                d.stats.decrypted_records += 1;
                let (a, b) = (start + plain.start, start + plain.end);
                self.deliver(from_client, ty, a, b, head.packet, false, keys);
            }
            Err(e) => self.open_failed(from_client, e, head.packet),
        }
    }

    pub(super) fn setup12(
        &mut self,
        suite: &Suite,
        s: &ConnectionSecrets,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        etm: bool,
    ) -> Setup {
        let Some(master) = s.master_secret() else {
            return Setup::Missing;
        };
        let Ok(k) = keys::tls12_keys(suite, master, client_random, server_random) else {
            return Setup::Mismatch;
        };
        let (Some(c), Some(sv)) = (
            RecordCipher::tls12(suite, &k.client, etm),
            RecordCipher::tls12(suite, &k.server, etm),
        ) else {
            return Setup::Mismatch;
        };
        self.client.next12 = Some(Box::new(c));
        self.server.next12 = Some(Box::new(sv));
        Setup::Ready
    }
}
