//! The TLS layer of a connection's stack: TCP bytes in, decrypted bytes up to HTTP/1.1.
//!
//! In: per direction, the TCP layer's bytes and gaps (each piece with its packet and capture
//! time), the secrets known so far ([`KeyLog`]), and each direction's TCP ending. Out: the
//! decrypted application data of each direction handed to the [`Http1`] layer above as a
//! byte stream of its own (offsets count plaintext bytes), every piece tagged with the
//! packet that completed the TLS record carrying it, so evidence names the packet
//! Wireshark shows the decrypted record in; the TLS facts the report shows ([`TlsFacts`]:
//! version, suite, SNI, ALPN, whether it was decrypted and why not, close_notify and
//! alerts). When a direction cannot be followed any more (a TCP gap, a key that does not
//! match), the layer above is told that its stream is lost there, and nothing is guessed.
//! RFC 8446 §6 and RFC 5246 §7.2 (alerts, close_notify); the decryption is [`TlsSession`].

use super::{alert_name, KeyLog, Summary, TlsEvent, TlsSession};
use crate::flow::Event;
use crate::flow::{Side, Sides};
use crate::stack::h2::layer::H2Layer;
use crate::stack::http1::Http1;
use crate::stack::Ctx;
use crate::vocab::{EndKind, Found, Timestamp};
use crate::websocket::session::Session;

/// How many of a direction's last packets a record completed earlier can name for its
/// capture time (client records that waited for the server's hello).
const TIMES: usize = 16;

/// The capture times of a direction's packets after which records waited: the one being
/// fed is known without it, and only a packet that leaves records waiting can be named
/// by a later feed's event. Each is kept while it is among the direction's last [`TIMES`]
/// packets (`fed` counts them). Held in the layer itself (no allocation, no pointer to
/// follow), written only when records wait: most packets leave it out of cache.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct Recent {
    /// Where the next packet goes.
    next: usize,
    /// Slots filled so far (up to [`TIMES`]).
    len: usize,
    /// Each slot: the packet, its time and its place among the direction's packets.
    at: [(u64, Timestamp, u64); TIMES],
}

impl Recent {
    /// Keeps `packet`'s time; `fed`: its place among the direction's packets.
    fn push(&mut self, packet: u64, ts: Timestamp, fed: u64) {
        if let Some(slot) = self.at.get_mut(self.next) {
            *slot = (packet, ts, fed);
        }
        self.next = (self.next + 1) % TIMES;
        self.len = (self.len + 1).min(TIMES);
    }

    /// The time of `packet`, if it was kept and is among the direction's last [`TIMES`]
    /// packets (`fed` of them so far).
    fn find(&self, packet: u64, fed: u64) -> Option<Timestamp> {
        // Newest first: a packet fed twice (a retransmission) is its latest time.
        (1..=self.len)
            .map(|back| (self.next + TIMES - back) % TIMES)
            .filter_map(|i| self.at.get(i))
            .take_while(|(_, _, n)| fed.saturating_sub(*n) < TIMES as u64)
            .find(|(p, _, _)| *p == packet)
            .map(|(_, t, _)| *t)
    }
}

/// An alert, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSeen {
    pub from_client: bool,
    pub fatal: bool,
    pub description: u8,
    pub name: &'static str,
    pub packet: u64,
    pub ts: Timestamp,
}

/// When a close_notify came: its capture time and its delivery order.
pub type NotifyAt = (Timestamp, u64);

/// What the report says of a connection's TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFacts {
    pub summary: Summary,
    /// The packet of each side's close_notify alert (client, server).
    pub close_notify: (Option<u64>, Option<u64>),
    /// When each side's close_notify came: its capture time and its place in the delivery
    /// order (shared with close frames and TCP endings), right after the data before it.
    pub close_notify_at: (Option<NotifyAt>, Option<NotifyAt>),
    /// Every alert other than close_notify, in order.
    pub alerts: Vec<AlertSeen>,
}

/// What runs inside the TLS: HTTP/1.1 (and its upgrade), or HTTP/2 when the decrypted
/// bytes start with its connection preface (ALPN `h2`, RFC 9113 §3.2).
// The TLS layer is boxed already; HTTP/1.1, the usual inner layer, stays inline.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Inner {
    Http1(Http1),
    H2(Box<H2Layer>),
}

impl Inner {
    /// Side `s`'s decrypted bytes or gap. The first bytes choose HTTP/2 when the server
    /// chose it by ALPN (`h2`, the TLS client being `alpn_h2`'s side), else when they look
    /// like its preface (a record may hold only part of it: ALPN decides then).
    fn on_event(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>, alpn_h2: Option<Side>) {
        if let (Inner::Http1(h), Event::Data { bytes, .. }) = (&*self, ev) {
            if h.untouched(Side::A) && h.untouched(Side::B) {
                if let Some(client) = alpn_h2.or_else(|| crate::stack::h2_client(ctx, s, bytes)) {
                    *self = Inner::H2(Box::new(H2Layer::new(client, true)));
                }
            }
        }
        match self {
            Inner::Http1(h) => h.on_event(ctx, s, ev),
            Inner::H2(h) => h.on_event(ctx, s, ev),
        }
    }

    fn lost(&mut self, ctx: &mut Ctx, s: Side, offset: u64, packet: Option<u64>) {
        match self {
            Inner::Http1(h) => h.lost(ctx, s, offset, packet),
            Inner::H2(h) => h.lost(ctx, s, packet),
        }
    }

    fn on_end(&mut self, ctx: &mut Ctx, s: Side, how: EndKind, packet: u64) {
        match self {
            Inner::Http1(h) => h.on_end(ctx, s, how, packet),
            Inner::H2(h) => h.on_end(ctx, s, how, packet),
        }
    }

    /// Nothing of side `s` has been decrypted and handed up yet.
    pub(crate) fn untouched(&self, s: Side) -> bool {
        match self {
            Inner::Http1(h) => h.untouched(s),
            Inner::H2(h) => h.untouched(s),
        }
    }

    /// The session of HTTP/1.1, or the HTTP/2 layer holding many.
    pub(crate) fn app_drain(&mut self) {
        match self {
            Inner::Http1(h) => h.app_drain(),
            Inner::H2(h) => h.app_drain(),
        }
    }

    pub(crate) fn parts(&self) -> (Option<&Session>, Option<&H2Layer>) {
        match self {
            Inner::Http1(h) => (h.session(), None),
            Inner::H2(h) => (None, Some(h)),
        }
    }
}

/// A count of bytes in a `u32` (saturating: 4 GiB is past any budget).
fn clamp(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// TLS under HTTP/1.1 or HTTP/2 for one TCP connection, laid out in the order written
/// (`repr(C)`): what every packet reads here, then the session, whose hot fields lead, so
/// that a packet of a connection out of cache reads one stretch of a few lines.
#[derive(Debug)]
#[repr(C)]
pub struct TlsLayer {
    /// The side that sent the ClientHello (a packet's first read).
    client: Side,
    /// The layer above was told this side's stream is lost.
    lost: Sides<bool>,
    /// What the layer holds on the heap beside its box (saturating): `held` and both
    /// sides' `partial`, as last counted.
    heap: u32,
    /// [`TlsLayer::heap_bytes`] when last counted: again only after a packet that may have
    /// changed it.
    held: u32,
    /// Each side's partial record ([`TlsSession::partial_bytes`]), read after each of its
    /// packets.
    partial: Sides<u32>,
    /// Plaintext bytes handed up so far, per side.
    offset: Sides<u64>,
    /// Packets fed so far, per side (the current one included).
    fed: Sides<u64>,
    /// Its hot fields first (`TlsSession`'s header and directions), right after these.
    tls: TlsSession,
    times: Sides<Recent>,
    pub(crate) inner: Inner,
    close_notify: Sides<Option<u64>>,
    close_notify_at: Sides<Option<NotifyAt>>,
    alerts: Vec<AlertSeen>,
}

impl TlsLayer {
    /// A TLS layer whose client is `client` (the sender of the ClientHello).
    pub fn new(client: Side) -> TlsLayer {
        let mut inner = Http1::default();
        inner.session.transport.tls = true;
        TlsLayer {
            client,
            lost: Sides::default(),
            heap: 0,
            held: 0,
            partial: Sides::default(),
            offset: Sides::default(),
            fed: Sides::default(),
            tls: TlsSession::new(),
            times: Sides::default(),
            inner: Inner::Http1(inner),
            close_notify: Sides::default(),
            close_notify_at: Sides::default(),
            alerts: Vec::new(),
        }
    }

    fn side(&self, from_client: bool) -> Side {
        if from_client {
            self.client
        } else {
            self.client.other()
        }
    }

    /// The capture time of `packet` of side `s`: `now` for the packet being fed
    /// (`current`, its side and number), else as far as it is remembered (`now` when it is
    /// not).
    fn time_of(&self, s: Side, packet: u64, now: Timestamp, current: (Side, u64)) -> Timestamp {
        if current == (s, packet) {
            return now;
        }
        self.times[s].find(packet, self.fed[s]).unwrap_or(now)
    }

    /// Side `s`'s TCP bytes or gap. Returns whether the number of HTTP/2 streams inside
    /// changed (the memory budget charges each). The layer above is not read when nothing
    /// reaches it, as on most packets of a record that spans several: its state stays out
    /// of cache.
    pub fn on_event(&mut self, ctx: &mut Ctx, s: Side, ev: Event<'_>, keys: &KeyLog) -> bool {
        let from_client = s == self.client;
        let mut changed = false;
        match ev {
            Event::Data {
                bytes, packet, ts, ..
            } => {
                self.fed[s] = self.fed[s].saturating_add(1);
                self.tls.feed(from_client, bytes, packet, keys);
                if self.tls.holds_records(from_client) {
                    // A record this packet completed may be handed on by a later feed.
                    self.times[s].push(packet, ts, self.fed[s]);
                }
                // Counted again after a packet that may have changed what the layer holds:
                // the session says so for its own (an alert record among them, which adds
                // to `alerts` here); HTTP/2 starting inside is seen here.
                let mut recount = false;
                if self.tls.has_events() {
                    let h2 = self.inner_is_h2();
                    let before = self.stream_bytes();
                    self.hand_up(ctx, ts, (s, packet));
                    changed = self.stream_bytes() != before;
                    recount = self.inner_is_h2() != h2;
                }
                self.tls.release();
                if self.tls.take_heap_changed() || recount {
                    self.count_heap();
                } else {
                    self.partial[s] = clamp(self.tls.partial_bytes(from_client));
                    self.sum_heap();
                }
            }
            Event::Gap { packet, .. } => {
                self.tls.gap(from_client, packet);
                if self.tls.take_heap_changed() {
                    self.count_heap();
                }
            }
        }
        self.check_lost(ctx) || changed
    }

    /// What the layer holds on the heap beside itself (its box) and its partial records:
    /// the session's buffers, records, ciphers and names ([`TlsSession::heap_bytes`]), its
    /// alerts, and an HTTP/2 layer inside (its tables: `memory::H2_BYTES`; its streams are
    /// charged apart). The HTTP/1.1 layer inside is charged as a plaintext connection's is,
    /// with its heads.
    pub fn heap_bytes(&self) -> usize {
        let h2 = if self.inner_is_h2() {
            crate::memory::H2_BYTES
        } else {
            0
        };
        self.tls.heap_bytes() + self.alerts.capacity() * std::mem::size_of::<AlertSeen>() + h2
    }

    /// What the layer holds on the heap beside its box, as counted after its last packet:
    /// [`TlsLayer::heap_bytes`] and both sides' partial records.
    pub fn heap(&self) -> usize {
        self.heap as usize
    }

    /// Everything counted again (a stop may have dropped the other side's partial record).
    fn count_heap(&mut self) {
        self.held = clamp(self.heap_bytes());
        for (side, from_client) in [(self.client, true), (self.client.other(), false)] {
            self.partial[side] = clamp(self.tls.partial_bytes(from_client));
        }
        self.sum_heap();
    }

    fn sum_heap(&mut self) {
        self.heap = self
            .held
            .saturating_add(self.partial[Side::A])
            .saturating_add(self.partial[Side::B]);
    }

    fn inner_is_h2(&self) -> bool {
        matches!(self.inner, Inner::H2(_))
    }

    /// The HTTP/2 WebSocket streams inside (none with HTTP/1.1).
    pub(crate) fn streams(&self) -> usize {
        match &self.inner {
            Inner::H2(h) => h.stream_count(),
            Inner::Http1(_) => 0,
        }
    }

    /// What those streams are charged to the memory budget (`H2Layer::stream_bytes`).
    pub(crate) fn stream_bytes(&self) -> usize {
        match &self.inner {
            Inner::H2(h) => h.stream_bytes(),
            Inner::Http1(_) => 0,
        }
    }

    /// Hands the last feed's decrypted data up and notes its alerts; `now` is the time of
    /// the packet being fed, `current` its side and number.
    fn hand_up(&mut self, ctx: &mut Ctx, now: Timestamp, current: (Side, u64)) {
        // ALPN is read only while the inner layer has not chosen yet (its first bytes).
        let fresh = self.inner.untouched(Side::A) && self.inner.untouched(Side::B);
        let alpn_h2 = (fresh && self.tls.alpn_chosen() == Some(&b"h2"[..])).then_some(self.client);
        for ev in self.tls.events() {
            match ev {
                TlsEvent::Data {
                    from_client,
                    bytes,
                    packet,
                } => {
                    let side = self.side(from_client);
                    if self.lost[side] {
                        continue;
                    }
                    let ts = self.time_of(side, packet, now, current);
                    let offset = self.offset[side];
                    self.offset[side] = offset.saturating_add(bytes.len() as u64);
                    self.inner.on_event(
                        ctx,
                        side,
                        Event::Data {
                            offset,
                            bytes,
                            packet,
                            ts,
                        },
                        alpn_h2,
                    );
                }
                TlsEvent::Alert {
                    from_client,
                    level,
                    description,
                    packet,
                } => {
                    let side = self.side(from_client);
                    if description == 0 {
                        if self.close_notify[side].is_none() {
                            // An event of its own in the delivery order, after the data
                            // before it (close frames, TCP endings compare with it).
                            ctx.order += 1;
                            self.close_notify[side] = Some(packet);
                            self.close_notify_at[side] =
                                Some((self.time_of(side, packet, now, current), ctx.order));
                        }
                        continue;
                    }
                    let ts = self.time_of(side, packet, now, current);
                    let alert = AlertSeen {
                        from_client,
                        fatal: level == 2,
                        description,
                        name: alert_name(description),
                        packet,
                        ts,
                    };
                    let from = ctx.role(side);
                    let found = Found::TlsAlert {
                        fatal: alert.fatal,
                        description,
                        name: alert.name.to_string(),
                    };
                    ctx.findings.found(Some(from), Some(packet), found);
                    self.alerts.push(alert);
                }
            }
        }
    }

    /// A direction that stopped decrypting (a gap, a key that does not match, a protocol
    /// violation) is lost to the layer above from where its plaintext stopped.
    /// Returns whether the number of HTTP/2 streams inside changed.
    fn check_lost(&mut self, ctx: &mut Ctx) -> bool {
        let mut changed = false;
        for from_client in [true, false] {
            let side = self.side(from_client);
            if self.lost[side] {
                continue;
            }
            if let Some(why) = self.tls.stopped(from_client).cloned() {
                self.lost[side] = true;
                let from = ctx.role(side);
                let at = match why {
                    crate::vocab::NotDecrypted::Gap { packet } => packet,
                    _ => None,
                };
                let found = crate::vocab::Found::TlsStopped { why };
                ctx.findings.found(Some(from), at, found);
                let before = self.stream_bytes();
                self.inner.lost(ctx, side, self.offset[side], at);
                changed |= self.stream_bytes() != before;
            }
        }
        changed
    }

    /// Side `s` ended TCP (`how`) at `packet`.
    pub fn on_end(&mut self, ctx: &mut Ctx, s: Side, how: EndKind, packet: u64) {
        self.inner.on_end(ctx, s, how, packet);
    }

    /// The TLS facts for the report.
    pub fn facts(&self) -> TlsFacts {
        TlsFacts {
            summary: self.tls.summary(),
            close_notify: (
                self.close_notify[self.client],
                self.close_notify[self.client.other()],
            ),
            close_notify_at: (
                self.close_notify_at[self.client],
                self.close_notify_at[self.client.other()],
            ),
            alerts: self.alerts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What every packet reads of the layer itself leads it, right before the session
    /// (whose hot fields lead it): one stretch of a few lines.
    #[test]
    fn layer_hot_fields_lead() {
        use std::mem::offset_of;
        assert_eq!(offset_of!(TlsLayer, client), 0);
        assert!(offset_of!(TlsLayer, lost) < 4);
        // What the memory budget reads and writes after each packet.
        assert_eq!(offset_of!(TlsLayer, heap), 4);
        assert_eq!(offset_of!(TlsLayer, held), 8);
        assert_eq!(offset_of!(TlsLayer, partial), 12);
        assert_eq!(offset_of!(TlsLayer, offset), 24);
        assert_eq!(offset_of!(TlsLayer, fed), 40);
        assert_eq!(offset_of!(TlsLayer, tls), 56);
    }

    /// The ring keeps the packets pushed while they are among the direction's last
    /// [`TIMES`] packets (`fed`), newest first, and forgets older ones.
    #[test]
    fn recent_times_keep_the_last_packets() {
        let mut r = Recent::default();
        assert_eq!(r.find(0, 0), None, "nothing pushed: not even packet 0");
        for p in 1..=40u64 {
            r.push(p, Timestamp(i64::try_from(p).expect("small") * 10), p);
        }
        assert_eq!(r.find(40, 40), Some(Timestamp(400)));
        assert_eq!(r.find(25, 40), Some(Timestamp(250)));
        assert_eq!(r.find(24, 40), None, "older than the last 16");
        r.push(40, Timestamp(999), 41); // fed again: the newest time wins
        assert_eq!(r.find(40, 41), Some(Timestamp(999)));
        let mut one = Recent::default();
        one.push(0, Timestamp(5), 1);
        assert_eq!(one.find(0, 1), Some(Timestamp(5)));
        // Pushed, then 15 more packets of the direction not pushed: still kept; 16: not.
        let mut few = Recent::default();
        few.push(7, Timestamp(70), 3);
        assert_eq!(few.find(7, 18), Some(Timestamp(70)));
        assert_eq!(few.find(7, 19), None, "16 packets later");
    }
}
