//! What a record carries once it is readable (sent before protection, or opened), handed
//! on: handshake messages to the reassembler and then to the handshake's reading
//! (`keying`), alerts and application data as events of the feed (RFC 8446 §5-§6,
//! RFC 5246 §6.2, §7.2); and a record that does not open stopping its direction.

use super::*;

impl TlsSession {
    pub(super) fn open_failed(&mut self, from_client: bool, e: OpenError, packet: u64) {
        self.heap_changed = true;
        let why = match e {
            OpenError::Auth => NotDecrypted::KeyMismatch,
            OpenError::Malformed => {
                NotDecrypted::ProtocolViolation(Violation::MalformedRecord { packet })
            }
        };
        self.dir(from_client).stop(why);
    }

    /// A record before protection (or TLS 1.3's plaintext records).
    /// Its payload is `self.plain[start..]`.
    pub(super) fn plaintext(
        &mut self,
        from_client: bool,
        head: RecordHead,
        start: usize,
        keys: &keylog::KeyLog,
    ) {
        // Hellos, alerts, a ChangeCipherSpec: what the session holds may change.
        self.heap_changed = true;
        let first = self.dir_ref(from_client).stats.records == 1;
        let end = self.plain.len();
        match head.content_type {
            ty @ (content::HANDSHAKE | content::ALERT) => {
                self.deliver(from_client, ty, start, end, head.packet, false, keys)
            }
            content::CHANGE_CIPHER_SPEC => {
                if first && from_client {
                    self.fail(NotDecrypted::HandshakeNotCaptured);
                    return;
                }
                let version = self.version;
                if version != Some(TLS12) {
                    return; // TLS 1.3 middlebox compatibility (RFC 8446 §D.4): ignored
                }
                let d = self.dir(from_client);
                match d.next12.take() {
                    Some(c) => d.current12 = Some(c),
                    None => {
                        if self.key_state == KeyState::Ready {
                            self.dir(from_client).stop(NotDecrypted::Renegotiation);
                        }
                    }
                }
            }
            _ => {
                if first && (from_client || self.version.is_none()) {
                    self.fail(NotDecrypted::HandshakeNotCaptured);
                }
                // Plaintext application data or heartbeats: not ours to emit.
            }
        }
    }

    /// Plaintext of content type `ty` from one direction: `self.plain[start..end]`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver(
        &mut self,
        from_client: bool,
        ty: u8,
        start: usize,
        end: usize,
        packet: u64,
        early: bool,
        keys: &keylog::KeyLog,
    ) {
        if ty != content::APPLICATION_DATA {
            // A handshake message (keys set up or dropped, names kept) or an alert.
            self.heap_changed = true;
        }
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        let bytes = self.plain.get(start..end).unwrap_or_default();
        match ty {
            content::APPLICATION_DATA => {
                if bytes.is_empty() {
                    return;
                }
                let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                d.stats.app_bytes = d.stats.app_bytes.saturating_add(n);
                if early {
                    d.stats.early_bytes = d.stats.early_bytes.saturating_add(n);
                }
                self.out.push(Out::Data {
                    from_client,
                    start,
                    end,
                    packet,
                });
                self.keep = end;
            }
            content::ALERT => {
                for pair in bytes.chunks_exact(2) {
                    if let [level, description] = *pair {
                        self.out.push(Out::Alert(TlsEvent::Alert {
                            from_client,
                            level,
                            description,
                            packet,
                        }));
                    }
                }
            }
            content::HANDSHAKE => {
                // The messages are read in the record's plaintext (or where they were
                // joined, when one spans records), the reassembler and the feed's buffer
                // taken out of the session meanwhile (its messages change the session;
                // none of them reads the buffer).
                let mut hs = std::mem::take(&mut d.hs);
                let plain = std::mem::take(&mut self.plain);
                let joined = hs.drain_from(plain.get(start..end).unwrap_or_default(), |m| {
                    if self.dir_ref(from_client).stopped() {
                        return false;
                    }
                    self.message(from_client, m, early, keys);
                    true
                });
                self.plain = plain;
                if self.dir_ref(from_client).stopped() {
                    hs.clear(); // as stopping the direction does
                }
                // Past this side's Finished (TLS 1.3: its application phase), the buffer
                // that joined its flight is given back while it is in cache (a later
                // message, a ticket, gets a new one).
                let d = self.dir_ref(from_client);
                if d.finished || d.phase == Some(Phase::Application) {
                    hs.release_if_empty();
                }
                self.dir(from_client).hs = hs;
                if let Err(handshake::ReassemblyError::TooLong { kind, len }) = joined {
                    self.dir(from_client).stop(NotDecrypted::ProtocolViolation(
                        Violation::HandshakeMessageTooLong {
                            kind,
                            len: len as u64,
                        },
                    ));
                }
            }
            _ => {}
        }
    }
}
