//! The per-connection TLS state machine shared by both versions: framing each direction,
//! holding records that wait, handshake messages, key lookup, delivery of plaintext and
//! alerts (RFC 8446 §4-§6, RFC 5246 §6-§7).
//!
//! In: a direction's bytes with their packet ([`TlsSession::feed`]), TCP gaps and a
//! [`KeyLog`](super::KeyLog). Out: [`Events`] of the feed and a [`Summary`].
//!
//! The state machine, per direction: records are plaintext until keys take effect — in
//! TLS 1.3 every record whose outer type is application_data (23) is protected (RFC 8446
//! §5.2), under the client early key (when `CLIENT_EARLY_TRAFFIC_SECRET` is logged), the
//! handshake key, then after each side's Finished the application key, renewed by each
//! KeyUpdate (§4.6.3, §7.2); in TLS 1.2 a side's keys take effect after its
//! ChangeCipherSpec, and its first protected message is Finished (RFC 5246 §7.1). Client
//! records that need the server's choice (suite, version) wait until the ServerHello is
//! seen; records that need keys wait while the key log has none for the connection (a live
//! capture's key log may be written a moment after the handshake), up to a bound.
//!
//! Early data (0-RTT): the client's protected records wait until the server's
//! EncryptedExtensions tell whether it was accepted (RFC 8446 §4.2.10; never after a
//! HelloRetryRequest). Accepted early data is decrypted when `CLIENT_EARLY_TRAFFIC_SECRET`
//! is logged; early data that was rejected (the server never read it: the client sends it
//! again) or cannot be decrypted (no early secret logged) is found by trial — while early
//! data was offered, a client record that does not open under the handshake key is skipped
//! and counted, not taken as a key mismatch. A record that fails authentication otherwise
//! stops that direction ("this key log does not match this connection") and nothing of it
//! is emitted; a TCP gap stops the direction at that packet: nothing is guessed.
//!
//! This file holds the session, each direction's framing and the records that wait;
//! `deliver` hands on what a readable record carries; `keying` reads the handshake messages
//! and brings keys into effect; `tls13` opens TLS 1.3 records by phase and sets up and
//! renews its keys; `tls12` sets up the key block and opens records after ChangeCipherSpec.

mod deliver;
mod keying;
use keying::Setup;
mod tls12;
mod tls13;

use super::handshake::{
    self, kind, ClientHello, MessageRef, Reassembler, ServerHello, TLS12, TLS13,
};
use super::keylog::ClientRandom;
use super::keylog::{self, Secret};
use super::keys::{self, Bulk, Suite};
use super::record::{
    self, content, FrameError, Framer, OpenError, Record, RecordCipher, RecordHead,
};
use super::summary::{DirectionSummary, Summary};
use super::TlsEvent;
use crate::vocab::{NotDecrypted, Violation};
use std::collections::VecDeque;
use std::fmt;

/// An event of the last feed, its plaintext a range of the session's buffer.
#[derive(Debug, Clone, Copy)]
enum Out {
    Data {
        from_client: bool,
        start: usize,
        end: usize,
        packet: u64,
    },
    Alert(TlsEvent<'static>),
}

/// The events of one feed ([`TlsSession::feed`], [`TlsSession::events`]).
#[derive(Debug, Clone)]
pub struct Events<'a> {
    out: std::slice::Iter<'a, Out>,
    plain: &'a [u8],
}

impl<'a> Iterator for Events<'a> {
    type Item = TlsEvent<'a>;

    fn next(&mut self) -> Option<TlsEvent<'a>> {
        Some(match *self.out.next()? {
            Out::Data {
                from_client,
                start,
                end,
                packet,
            } => TlsEvent::Data {
                from_client,
                bytes: self.plain.get(start..end).unwrap_or_default(),
                packet,
            },
            Out::Alert(a) => a,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.out.size_hint()
    }
}

/// Records held (per direction) while waiting for the other side's hello or for keys.
const MAX_PENDING_BYTES: usize = 4 << 20;

/// What a waiting record costs in memory: its payload and the record itself, so that a
/// flood of empty records is bounded like a few large ones.
fn held(rec: &Record) -> usize {
    rec.payload.len() + std::mem::size_of::<Record>()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// TLS 1.3 client: early data may come (early key, or skipped).
    Early,
    Handshake,
    Application,
}

/// One direction's state. Its ciphers are boxed (a key schedule is about 600 bytes, and
/// of the five at most two are set at a time): the session's fields that every packet
/// reads stay in a few cache lines. Laid out in the order written (`repr(C)`): first what
/// every record reads or writes (framing, the queue's length, the counters and whether the
/// direction stopped, the cipher in use), then what the handshake alone uses.
#[derive(Debug, Default)]
#[repr(C)]
struct Dir {
    // First what the other direction's packets read too (whether records wait, whether
    // the direction stopped): one line of the direction that is not being fed.
    pending: VecDeque<Record>,
    stats: DirectionSummary,
    framer: Framer,
    app: Option<Box<RecordCipher>>,
    current12: Option<Box<RecordCipher>>,
    phase: Option<Phase>,
    /// Any record framed (a framing error before is "handshake not captured").
    framed_any: bool,
    // Read by the handshake only.
    app_secret: Option<Secret>,
    handshake_opened: bool,
    early_offered: bool,
    /// This side's Finished was read (either version).
    finished: bool,
    hs: Reassembler,
    pending_bytes: usize,
    early: Option<Box<RecordCipher>>,
    handshake: Option<Box<RecordCipher>>,
    next12: Option<Box<RecordCipher>>,
}

impl Dir {
    /// Bytes the direction holds on the heap but its partial record's buffer (that one is
    /// [`TlsSession::partial_bytes`]): waiting records, the handshake's joining buffer, its
    /// ciphers and the words of why it stopped.
    fn heap_bytes(&self) -> usize {
        let pending = self.pending.capacity() * std::mem::size_of::<Record>()
            + self
                .pending
                .iter()
                .map(|r| r.payload.capacity())
                .sum::<usize>();
        let ciphers = [
            &self.app,
            &self.current12,
            &self.early,
            &self.handshake,
            &self.next12,
        ]
        .into_iter()
        .flatten()
        .map(|c| c.heap_bytes())
        .sum::<usize>();
        pending
            + self.hs.held()
            + ciphers
            + self
                .stats
                .stopped
                .as_ref()
                .map_or(0, NotDecrypted::heap_bytes)
    }

    fn stopped(&self) -> bool {
        self.stats.stopped.is_some()
    }

    fn stop(&mut self, why: NotDecrypted) {
        if self.stats.stopped.is_none() {
            self.stats.stopped = Some(why);
        }
        self.pending.clear();
        self.pending_bytes = 0;
        self.framer.clear();
        self.hs.clear();
        self.early = None;
        self.handshake = None;
        self.app = None;
        self.app_secret = None;
        self.next12 = None;
        self.current12 = None;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    /// Before the ServerHello.
    Unknown,
    /// ServerHello seen; no key logged yet.
    Awaiting,
    Ready,
    /// Nothing more will be decrypted (unsupported, mismatch at setup…).
    Failed,
}

/// One TCP connection's TLS state, laid out in the order written (`repr(C)`): first what
/// every packet reads (the feed's buffers, the state that
/// decides whether a record waits, each direction's per-record fields), then what the
/// handshake and the summary use. Of the hundreds of connections whose packets interleave,
/// a packet finds its connection's state out of cache: the fewer lines it reads, the fewer
/// misses.
#[repr(C)]
pub struct TlsSession {
    /// The last feed's events.
    out: Vec<Out>,
    /// The last feed's records: each is gathered at the end, decrypted in place, and cut
    /// back to the end of the last plaintext handed on (`keep`). The thread's scratch
    /// buffer from a feed to [`TlsSession::release`] (`record::spare`).
    plain: Vec<u8>,
    keep: usize,
    /// The negotiated version, once the ServerHello was read (`server_hello`'s, kept here
    /// for the records that read it).
    version: Option<u16>,
    key_state: KeyState,
    /// Whether the server accepted early data: `None` until its EncryptedExtensions.
    early_accepted: Option<bool>,
    /// Whether `client_hello` is set (kept here for the records that read it).
    client_hello_seen: bool,
    /// What the session holds on the heap may have changed since
    /// [`TlsSession::take_heap_changed`] last said so: a handshake or alert record, a
    /// record held or let go, keys set up or dropped.
    heap_changed: bool,
    client: Dir,
    server: Dir,
    // Read by the handshake and the summary only.
    hello_retry_request: bool,
    client_hello: Option<ClientHello>,
    /// The second ClientHello, after a HelloRetryRequest.
    client_hello2: Option<ClientHello>,
    server_hello: Option<ServerHello>,
    /// Some of the connection's secrets are logged, not all that are needed.
    partial_key: bool,
    suite: Option<&'static Suite>,
    alpn_chosen: Option<Vec<u8>>,
    problem: Option<NotDecrypted>,
}

impl fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSession")
            .field("summary", &self.summary())
            .finish_non_exhaustive()
    }
}

impl Drop for TlsSession {
    fn drop(&mut self) {
        self.release();
    }
}

impl Default for TlsSession {
    fn default() -> Self {
        TlsSession::new()
    }
}

impl TlsSession {
    pub fn new() -> TlsSession {
        TlsSession {
            out: Vec::new(),
            plain: Vec::new(),
            keep: 0,
            version: None,
            key_state: KeyState::Unknown,
            early_accepted: None,
            client_hello_seen: false,
            heap_changed: false,
            client: Dir::default(),
            server: Dir::default(),
            hello_retry_request: false,
            client_hello: None,
            client_hello2: None,
            server_hello: None,
            partial_key: false,
            suite: None,
            alpn_chosen: None,
            problem: None,
        }
    }

    /// For tests: whether either side still holds an early or handshake key, and the bytes
    /// of the buffers that join handshake messages.
    #[cfg(test)]
    pub(crate) fn handshake_held(&self) -> (bool, usize) {
        let keys = |d: &Dir| d.early.is_some() || d.handshake.is_some();
        (
            keys(&self.client) || keys(&self.server),
            self.client.hs.held() + self.server.hs.held(),
        )
    }

    fn dir(&mut self, from_client: bool) -> &mut Dir {
        if from_client {
            &mut self.client
        } else {
            &mut self.server
        }
    }

    fn dir_ref(&self, from_client: bool) -> &Dir {
        if from_client {
            &self.client
        } else {
            &self.server
        }
    }

    /// Feeds `bytes` of one direction's stream, carried by `packet`; returns the events
    /// they (and any records that were waiting) produced, in order per direction (also
    /// [`TlsSession::events`] until the next feed or [`TlsSession::release`]).
    pub fn feed(
        &mut self,
        from_client: bool,
        mut bytes: &[u8],
        packet: u64,
        keys: &keylog::KeyLog,
    ) -> Events<'_> {
        self.out.clear();
        if self.plain.capacity() == 0 {
            self.plain = record::spare::take_scratch();
        }
        self.plain.clear();
        self.keep = 0;
        let events_room = self.out.capacity();
        while !self.dir_ref(from_client).stopped() {
            let d = if from_client {
                &mut self.client
            } else {
                &mut self.server
            };
            match d.framer.next(&mut bytes, packet, &mut self.plain) {
                Ok(Some((head, start))) => {
                    d.framed_any = true;
                    self.record(from_client, head, start, keys);
                    self.plain.truncate(self.keep);
                }
                Ok(None) => break,
                Err(e) => {
                    self.frame_error(from_client, e);
                    break;
                }
            }
        }
        self.settle(keys);
        self.heap_changed |= self.out.capacity() != events_room;
        self.events()
    }

    /// Whether records of one direction wait (for the other side's hello, for keys, or
    /// for the server's word on early data): their events come with a later feed, tagged
    /// with the packet that completed them.
    pub fn holds_records(&self, from_client: bool) -> bool {
        !self.dir_ref(from_client).pending.is_empty()
    }

    /// Whether what [`TlsSession::heap_bytes`] counts may have changed since this was last
    /// asked. (A direction's partial record changes with most packets of a record that
    /// spans several: [`TlsSession::partial_bytes`], read from the direction fed.)
    pub fn take_heap_changed(&mut self) -> bool {
        std::mem::take(&mut self.heap_changed)
    }

    /// Bytes one direction's partial record takes (the buffer that gathers a record begun
    /// and not finished, with room for all of it).
    pub fn partial_bytes(&self, from_client: bool) -> usize {
        self.dir_ref(from_client).framer.held()
    }

    /// Bytes the session holds on the heap between feeds but its partial records (its
    /// capacities: what the memory budget charges): both directions' ([`Dir::heap_bytes`]),
    /// the feed's event buffer, the hellos' names and offers, the chosen ALPN and the words
    /// of a problem. The feed's record buffer is the thread's, handed back after each feed.
    pub fn heap_bytes(&self) -> usize {
        let hello = |ch: &Option<ClientHello>| {
            ch.as_ref().map_or(0, |c| {
                c.cipher_suites.capacity() * 2
                    + c.supported_versions.capacity() * 2
                    + c.sni.as_ref().map_or(0, String::capacity)
                    + c.alpn.capacity() * std::mem::size_of::<Vec<u8>>()
                    + c.alpn.iter().map(Vec::capacity).sum::<usize>()
            })
        };
        self.client.heap_bytes()
            + self.server.heap_bytes()
            + self.out.capacity() * std::mem::size_of::<Out>()
            + self.plain.capacity()
            + hello(&self.client_hello)
            + hello(&self.client_hello2)
            + self
                .server_hello
                .as_ref()
                .and_then(|s| s.alpn.as_ref())
                .map_or(0, Vec::capacity)
            + self.alpn_chosen.as_ref().map_or(0, Vec::capacity)
            + self.problem.as_ref().map_or(0, NotDecrypted::heap_bytes)
    }

    /// Whether the last [`TlsSession::feed`] produced any event (none after
    /// [`TlsSession::release`]).
    pub fn has_events(&self) -> bool {
        !self.out.is_empty()
    }

    /// The events of the last [`TlsSession::feed`] (none after [`TlsSession::release`]).
    pub fn events(&self) -> Events<'_> {
        Events {
            out: self.out.iter(),
            plain: &self.plain,
        }
    }

    /// Done with the last feed's events: their buffer goes back to the thread, for the
    /// next feed of any connection (whose records are then gathered and decrypted in
    /// memory that is in cache, not in a buffer of each connection's own).
    pub fn release(&mut self) {
        self.out.clear();
        self.keep = 0;
        record::spare::give_scratch(std::mem::take(&mut self.plain));
    }

    /// Bytes of one direction are missing (`packet` showed it, if known): that direction
    /// stops there. If that direction's hello had not been read yet, the other direction
    /// cannot be decrypted either (its keys need both hellos).
    pub fn gap(&mut self, from_client: bool, packet: Option<u64>) {
        self.heap_changed = true;
        let why = NotDecrypted::Gap { packet };
        self.dir(from_client).stop(why.clone());
        let own_hello_known = if from_client {
            self.client_hello.is_some()
        } else {
            self.server_hello.is_some()
        };
        if !own_hello_known {
            self.dir(!from_client).stop(why);
        }
    }

    /// The client random that names this connection in key logs (the first ClientHello's),
    /// once seen: with [`KeyLog::nss_lines`] it gives the lines to store with an extracted
    /// capture of this connection.
    pub fn client_random(&self) -> Option<ClientRandom> {
        self.client_hello.as_ref().map(|c| c.random)
    }

    /// Why one direction stopped decrypting, if it did (what [`TlsSession::summary`]
    /// says of it, without building the rest).
    pub fn stopped(&self, from_client: bool) -> Option<&NotDecrypted> {
        self.dir_ref(from_client).stats.stopped.as_ref()
    }

    /// The protocol the server chose by ALPN (RFC 7301), once its hello (TLS 1.2) or
    /// EncryptedExtensions (TLS 1.3) was read.
    pub fn alpn_chosen(&self) -> Option<&[u8]> {
        self.alpn_chosen.as_deref()
    }

    /// What the session knows so far.
    pub fn summary(&self) -> Summary {
        let ch = self.client_hello.as_ref();
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let decrypted =
            self.client.stats.decrypted_records + self.server.stats.decrypted_records > 0;
        let why_not = self
            .problem
            .clone()
            .or_else(|| (self.key_state == KeyState::Awaiting).then(|| self.no_key()))
            .or_else(|| {
                // Records still waiting for the other side's hello.
                (self.client_hello.is_some()
                    && self.server_hello.is_none()
                    && !self.client.pending.is_empty())
                .then_some(NotDecrypted::HandshakeNotCaptured)
            })
            .or_else(|| self.client.stats.stopped.clone())
            .or_else(|| self.server.stats.stopped.clone())
            .or_else(|| {
                // Records, but never a ClientHello.
                (self.client_hello.is_none()
                    && self.client.stats.records + self.server.stats.records > 0)
                    .then_some(NotDecrypted::HandshakeNotCaptured)
            })
            // Its handshake read with the handshake secrets alone: what it carried after,
            // if anything, was not.
            .or_else(|| self.partial_key.then_some(NotDecrypted::PartialKey));
        Summary {
            client_random: ch.map(|c| c.random),
            version: self
                .server_hello
                .as_ref()
                .map(ServerHello::version)
                .or(self.hello_retry_request.then_some(TLS13)),
            cipher_suite: self.server_hello.as_ref().map(|s| s.cipher_suite),
            sni: ch.and_then(|c| c.sni.clone()),
            alpn_offered: ch
                .map(|c| c.alpn.iter().map(|a| lossy(a)).collect())
                .unwrap_or_default(),
            alpn_chosen: self.alpn_chosen.as_deref().map(lossy),
            hello_retry_request: self.hello_retry_request,
            resumed: self.server_hello.as_ref().is_some_and(|sh| {
                if sh.version() == TLS13 {
                    sh.pre_shared_key
                } else {
                    ch.is_some_and(|c| !c.session_id.is_empty() && c.session_id == sh.session_id)
                }
            }),
            early_data_offered: ch.is_some_and(|c| c.early_data),
            early_data_accepted: self.early_accepted,
            decrypted,
            why_not,
            client: self.client.stats.clone(),
            server: self.server.stats.clone(),
        }
    }

    /// Stops both directions for a reason that concerns the whole connection.
    fn fail(&mut self, why: NotDecrypted) {
        self.heap_changed = true;
        if self.problem.is_none() {
            self.problem = Some(why.clone());
        }
        self.key_state = KeyState::Failed;
        self.client.stop(why.clone());
        self.server.stop(why);
    }

    fn frame_error(&mut self, from_client: bool, e: FrameError) {
        self.heap_changed = true;
        let started = self.dir_ref(from_client).framed_any;
        if !started && (from_client || self.server_hello.is_none()) {
            self.fail(NotDecrypted::HandshakeNotCaptured);
        } else {
            self.dir(from_client)
                .stop(NotDecrypted::ProtocolViolation(match e {
                    FrameError::TooLong { len, packet } => Violation::RecordTooLong {
                        len: u32::try_from(len).unwrap_or(u32::MAX),
                        packet,
                        max: record::MAX_RECORD as u32,
                    },
                    FrameError::NotTls { packet } => Violation::NotRecordHeader { packet },
                }));
        }
    }

    /// Whether a record of `content_type` must wait (for the other side's hello, or for keys).
    fn blocked(&self, from_client: bool, content_type: u8) -> bool {
        if from_client {
            if !self.client_hello_seen {
                return false;
            }
            if self.version.is_none() {
                // Plaintext handshake and alerts go on (a second ClientHello after a
                // HelloRetryRequest); protected records wait for the server's choice.
                return !matches!(content_type, content::HANDSHAKE | content::ALERT);
            }
        } else if !self.client_hello_seen {
            return true;
        }
        if from_client
            && self.client.phase == Some(Phase::Early)
            && self.early_accepted.is_none()
            && !self.server.stopped()
            && content_type == content::APPLICATION_DATA
        {
            // Early data: wait for the server's word on it (EncryptedExtensions).
            return true;
        }
        if self.key_state != KeyState::Awaiting {
            return false;
        }
        match self.version {
            Some(TLS13) => content_type == content::APPLICATION_DATA,
            _ => {
                content_type == content::CHANGE_CIPHER_SPEC
                    || self.dir_ref(from_client).current12.is_some()
            }
        }
    }

    /// A record framed from this feed's bytes: its payload is `self.plain[start..]`.
    fn record(&mut self, from_client: bool, head: RecordHead, start: usize, keys: &keylog::KeyLog) {
        let len = u16::try_from(self.plain.len().saturating_sub(start)).unwrap_or(u16::MAX);
        let d = self.dir(from_client);
        if d.stopped() {
            return;
        }
        d.stats.records += 1;
        d.stats.last_type = head.content_type;
        d.stats.last_len = len;
        d.stats.protected = d
            .stats
            .protected
            .saturating_add(u8::from(head.content_type == 23));
        if !d.pending.is_empty() || self.blocked(from_client, head.content_type) {
            let rec = Record {
                content_type: head.content_type,
                version: head.version,
                payload: self.plain.get(start..).unwrap_or_default().to_vec(),
                packet: head.packet,
            };
            self.heap_changed = true;
            let d = self.dir(from_client);
            d.pending_bytes = d.pending_bytes.saturating_add(held(&rec));
            d.pending.push_back(rec);
            if d.pending_bytes > MAX_PENDING_BYTES {
                let why = if self.key_state == KeyState::Awaiting {
                    self.no_key()
                } else {
                    NotDecrypted::HandshakeNotCaptured
                };
                self.fail(why);
            }
            return;
        }
        self.process(from_client, head, start, keys);
    }

    /// Lets waiting records go once what they waited for has come, and looks the keys up
    /// again while they are missing.
    fn settle(&mut self, keys: &keylog::KeyLog) {
        loop {
            if self.key_state == KeyState::Awaiting {
                self.resolve_keys(keys);
                self.heap_changed = true;
            }
            let mut progressed = false;
            for from_client in [true, false] {
                loop {
                    let d = self.dir_ref(from_client);
                    let Some(front) = d.pending.front() else {
                        break;
                    };
                    if d.stopped() || self.blocked(from_client, front.content_type) {
                        break;
                    }
                    let d = self.dir(from_client);
                    let Some(rec) = d.pending.pop_front() else {
                        break;
                    };
                    d.pending_bytes = d.pending_bytes.saturating_sub(held(&rec));
                    self.heap_changed = true;
                    let start = self.plain.len();
                    self.plain.extend_from_slice(&rec.payload);
                    self.process(from_client, rec.head(), start, keys);
                    self.plain.truncate(self.keep);
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// One record, not blocked; its payload is `self.plain[start..]`.
    fn process(
        &mut self,
        from_client: bool,
        head: RecordHead,
        start: usize,
        keys: &keylog::KeyLog,
    ) {
        if self.dir_ref(from_client).stopped() {
            return;
        }
        let version = self.version;
        let protected = match version {
            Some(TLS13) => head.content_type == content::APPLICATION_DATA,
            Some(_) => self.dir_ref(from_client).current12.is_some(),
            None => false,
        };
        if !protected {
            self.plaintext(from_client, head, start, keys);
            return;
        }
        if version == Some(TLS13) {
            self.open13(from_client, head, start, keys);
            return;
        }
        self.open12(from_client, head, start, keys);
    }
}

#[cfg(test)]
mod scratch_tests {
    use super::*;

    /// A feed gathers its records in the thread's scratch buffer and [`TlsSession::release`]
    /// hands it back: the next connection's feed uses the same allocation (not one buffer
    /// per connection), and the released session has no events left.
    #[test]
    fn feeds_share_the_threads_scratch_buffer() {
        let keys = keylog::KeyLog::new();
        let alert = [content::ALERT, 3, 3, 0, 2, 1, 0]; // warning close_notify
        let mut a = TlsSession::new();
        assert_eq!(a.feed(true, &alert, 1, &keys).count(), 1);
        let ptr = a.plain.as_ptr();
        assert!(a.plain.capacity() > 0);
        a.release();
        assert_eq!(a.events().count(), 0, "nothing after release");
        let mut b = TlsSession::new();
        assert_eq!(b.feed(true, &alert, 2, &keys).count(), 1);
        assert_eq!(b.plain.as_ptr(), ptr, "the thread's buffer, not a new one");
        // Not released: the session holds it, and the next session gets another.
        let mut c = TlsSession::new();
        assert_eq!(c.feed(true, &alert, 3, &keys).count(), 1);
        assert_ne!(c.plain.as_ptr(), ptr);
        drop(b); // gives it back
        c.release();
    }
}

#[cfg(test)]
mod hello_tests {
    use super::*;
    use crate::stack::tls::handshake::tests::{full_client_hello, message};

    /// The session keeps of a ClientHello what it reads later (random, SNI, ALPN, early
    /// data), not the offered suites and versions, which nothing reads after the parse.
    #[test]
    fn kept_client_hello_has_no_offered_lists() {
        let keys = keylog::KeyLog::new();
        let m = message(kind::CLIENT_HELLO, &full_client_hello([3; 32]));
        let mut rec = vec![content::HANDSHAKE, 3, 1];
        rec.extend_from_slice(&u16::try_from(m.len()).expect("short").to_be_bytes());
        rec.extend_from_slice(&m);
        let mut s = TlsSession::new();
        assert_eq!(s.feed(true, &rec, 1, &keys).count(), 0);
        s.release();
        let ch = s.client_hello.as_ref().expect("the ClientHello was read");
        assert_eq!(ch.random, [3; 32]);
        assert_eq!(ch.sni.as_deref(), Some("example.com"));
        assert!(ch.early_data && s.client.early_offered);
        assert_eq!(ch.cipher_suites.capacity(), 0);
        assert_eq!(ch.supported_versions.capacity(), 0);
        let summary = s.summary();
        assert_eq!(summary.alpn_offered, ["h2", "http/1.1"]);
        assert_eq!(summary.client_random, Some([3; 32]));
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// The fields every record reads lie together at the session's start: the feed's
    /// buffers and the state that decides whether a record waits (64 bytes), each
    /// direction's per-record fields (under 150 bytes), the other direction's queue and
    /// whether it stopped at its start; what only the handshake reads comes after them.
    #[test]
    fn per_record_fields_lead_the_session() {
        let header = [
            offset_of!(TlsSession, out) + size_of::<Vec<Out>>(),
            offset_of!(TlsSession, plain) + size_of::<Vec<u8>>(),
            offset_of!(TlsSession, keep) + size_of::<usize>(),
            offset_of!(TlsSession, version) + size_of::<Option<u16>>(),
            offset_of!(TlsSession, key_state) + 1,
            offset_of!(TlsSession, early_accepted) + 1,
            offset_of!(TlsSession, client_hello_seen) + 1,
        ];
        assert!(header.iter().all(|&end| end <= 64), "{header:?}");
        // A direction's per-record fields, up to `framed_any`, then the handshake's.
        let hot_end = offset_of!(Dir, framed_any) + 1;
        for at in [
            offset_of!(Dir, pending),
            offset_of!(Dir, stats) + offset_of!(DirectionSummary, app_bytes),
            offset_of!(Dir, framer),
            offset_of!(Dir, app),
            offset_of!(Dir, current12),
            offset_of!(Dir, phase),
        ] {
            assert!(at < hot_end, "{at} >= {hot_end}");
        }
        for cold in [
            offset_of!(Dir, hs),
            offset_of!(Dir, early),
            offset_of!(Dir, handshake),
            offset_of!(Dir, next12),
            offset_of!(Dir, app_secret),
        ] {
            assert!(cold >= hot_end, "{cold} < {hot_end}");
        }
        assert!(hot_end <= 150, "{hot_end}");
        assert_eq!(offset_of!(TlsSession, client), 64);
        let server = offset_of!(TlsSession, server);
        assert_eq!(offset_of!(Dir, pending), 0);
        let stopped_end = offset_of!(Dir, stats)
            + offset_of!(DirectionSummary, stopped)
            + size_of::<Option<NotDecrypted>>();
        assert!(stopped_end <= 64, "{stopped_end}");
        // The hellos, the ALPN and the problem come after both directions.
        for cold in [
            offset_of!(TlsSession, client_hello),
            offset_of!(TlsSession, server_hello),
            offset_of!(TlsSession, alpn_chosen),
            offset_of!(TlsSession, problem),
        ] {
            assert!(cold >= server + size_of::<Dir>());
        }
        assert!(size_of::<Dir>() <= 256, "Dir is {} bytes", size_of::<Dir>());
    }
}
