//! The `h2` target: an [`H2Conn`] fed both directions of a connection, cut and interleaved
//! as the input says.
//!
//! Input: byte 0 flags; then operations (see [`crate::script`]) of these kinds:
//!
//! | kind | operation | bytes |
//! |---|---|---|
//! | 0 | raw | `[len: u16][len bytes]` |
//! | 1 | fill | `[len: u16][byte]`: `len` copies of `byte` |
//! | 2 | frame | `[type][flags][stream: u32][len: u24][have: u16][have bytes]`: a frame header saying `len` (up to 2^24 - 1), then `len` payload bytes: the `have` given, then zeros (as far as [`MAX_FED`] allows): huge frames, padding longer than the frame, stream ids in any order from a few input bytes |
//! | 3 | gap | `H2Conn::gap` of the direction |
//! | 4 | repeat | `[count: u16]`: the previous operation's bytes again, `count` times (many streams, many frames) |
//!
//! Flags: bit 0 the client's bytes start with the connection preface (so that mutations
//! are not spent on it); bit 4 the run is repeated with every chunk cut in two (same packet
//! number) and must give the same events (DATA joined per stream: only how it is cut into
//! pieces may change).
//!
//! Checked: no panic; after every chunk `buffered_bytes()` is at most
//! [`MAX_BUFFERED`] (the design's caps: a partial frame of up to
//! [`MAX_BUFFERED_FRAME`](wsclose::__internals::stack::h2::MAX_BUFFERED_FRAME) and a header block of up
//! to [`MAX_HEADER_BLOCK`](wsclose::__internals::stack::h2::MAX_HEADER_BLOCK) per direction, with room
//! for a `Vec`'s doubling) and at most 4 × the bytes fed + 64; events come from the
//! direction that was fed (requests from the client, responses from the server); a
//! direction's framing is lost at most once, and nothing of it is reported after that;
//! its HPACK state is lost at most once, and no head of it is decoded after that (only
//! `Unreadable`); `is_lost` and `hpack_lost_at` agree with the events; DATA bytes never
//! exceed the bytes fed; field values are at most
//! [`MAX_FIELD_LEN`](wsclose::__internals::stack::h2::hpack::MAX_FIELD_LEN) bytes; and the memory the
//! connection holds stays under [`MAX_MEMORY`] whatever the input's length.

use crate::mem;
use crate::script::{self, Digest, OpHeader, Reader, Streams};
use wsclose::vocab::Timestamp;
use wsclose::__internals::stack::h2::hpack::MAX_FIELD_LEN;
use wsclose::__internals::stack::h2::{
    H2Conn, H2Event, MAX_BUFFERED_FRAME, MAX_HEADER_BLOCK, PREFACE,
};

/// Operation kinds.
pub mod op {
    pub const RAW: u8 = 0;
    pub const FILL: u8 = 1;
    pub const FRAME: u8 = 2;
    pub const GAP: u8 = 3;
    pub const REPEAT: u8 = 4;
}

/// With `WSCLOSE_FUZZ_STRICT=0`, the most bytes one input may produce (once needed for slow
/// HPACK decoding, `hpack_huffman_block_decodes_whole` in `fuzz/src/lib.rs`, now fixed).
pub const RELAXED_MAX_FED: usize = 64 << 10;

/// The most bytes one input may produce (both directions): 2 MiB, over every cap of the
/// reader (a 256 KiB header block, a 1 MiB dynamic table, the partial-frame buffer), where
/// the other targets allow [`script::MAX_FED`] (8 MiB). Under libFuzzer's instrumentation
/// the harness's own checks (the events' Debug form hashed, everything fed twice) made
/// 8 MiB of small header blocks cost over its 10 s timeout, while wsclose's release build
/// reads such an input in about 0.2 s.
pub const MAX_FED: usize = 2 << 20;

/// Flag bits (byte 0).
pub mod flag {
    pub const PREFACE: u8 = 1;
    pub const SPLIT: u8 = 16;
}

/// The most `buffered_bytes()` may say: per direction, a partial frame's buffer and a
/// header block's, each at most twice its cap (a `Vec` grown by doubling).
pub const MAX_BUFFERED: usize = 2 * (2 * MAX_BUFFERED_FRAME as usize + 2 * MAX_HEADER_BLOCK);

/// The most memory the connection may reach (what its `feed` calls allocated and did not
/// free, and the most they held while running; the harness's own buffers are not counted):
/// the buffers above, two HPACK tables of up to 1 MiB (plus their per-entry overhead), one
/// header block being decoded.
pub const MAX_MEMORY: usize = 16 << 20;

/// Operation encoders, for seeds and tests.
pub mod encode {
    use super::op;
    use crate::script::OpHeader;

    fn head(out: &mut Vec<u8>, from_client: bool, hold: bool, kind: u8) {
        out.push(
            OpHeader {
                from_client,
                hold,
                kind,
            }
            .byte(),
        );
    }

    pub fn raw(out: &mut Vec<u8>, from_client: bool, bytes: &[u8]) {
        for c in bytes.chunks(0xFFFF) {
            head(out, from_client, false, op::RAW);
            out.extend_from_slice(&(c.len() as u16).to_be_bytes());
            out.extend_from_slice(c);
        }
    }

    /// A frame whose payload is `payload` whole (at most 65 535 bytes).
    pub fn frame(
        out: &mut Vec<u8>,
        from_client: bool,
        hold: bool,
        ty: u8,
        flags: u8,
        stream: u32,
        payload: &[u8],
    ) {
        head(out, from_client, hold, op::FRAME);
        frame_body(out, ty, flags, stream, payload.len() as u32, payload);
    }

    fn frame_body(out: &mut Vec<u8>, ty: u8, flags: u8, stream: u32, len: u32, have: &[u8]) {
        let have = &have[..have.len().min(0xFFFF)];
        out.push(ty);
        out.push(flags);
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes()[1..]);
        out.extend_from_slice(&(have.len() as u16).to_be_bytes());
        out.extend_from_slice(have);
    }

    /// A frame header saying `len`, with only `have` payload bytes given (the harness adds
    /// zeros up to `len`).
    pub fn frame_claiming(
        out: &mut Vec<u8>,
        from_client: bool,
        ty: u8,
        flags: u8,
        stream: u32,
        len: u32,
        have: &[u8],
    ) {
        head(out, from_client, false, op::FRAME);
        frame_body(out, ty, flags, stream, len, have);
    }

    pub fn repeat(out: &mut Vec<u8>, from_client: bool, count: u16) {
        head(out, from_client, false, op::REPEAT);
        out.extend_from_slice(&count.to_be_bytes());
    }

    pub fn gap(out: &mut Vec<u8>, from_client: bool) {
        head(out, from_client, false, op::GAP);
    }
}

/// What a run produced, compared with its cut-again repetition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub digest: Digest,
    pub events: u64,
    pub requests: u64,
    pub responses: u64,
    pub data_bytes: [u64; 2],
    pub lost: [bool; 2],
    pub hpack_lost: [bool; 2],
}

/// DATA pieces of one stream and direction, joined until another event comes.
#[derive(Debug, Clone, Copy)]
struct DataRun {
    from_client: bool,
    stream: u32,
    first_packet: u64,
    last_packet: u64,
    len: u64,
    bytes: Digest,
}

struct Run {
    split: bool,
    conn: H2Conn,
    st: State,
}

/// What the harness keeps of a run (apart from the connection).
struct State {
    packet: u64,
    fed: usize,
    out: Outcome,
    run: Option<DataRun>,
    field_problem: Option<String>,
    /// The connection's memory: what its `feed` calls allocated and did not free, now and
    /// at most (inside a feed too).
    kept: isize,
    peak: isize,
}

impl Run {
    fn feed(&mut self, from_client: bool, chunk: &[u8]) {
        self.st.packet += 1;
        if self.split {
            let at = script::split_point(chunk.len(), self.st.packet);
            let (a, b) = chunk.split_at(at);
            self.feed_once(from_client, a);
            self.feed_once(from_client, b);
        } else {
            self.feed_once(from_client, chunk);
        }
    }

    fn feed_once(&mut self, from_client: bool, bytes: &[u8]) {
        let Run { conn, st, .. } = self;
        st.fed += bytes.len();
        let packet = st.packet;
        let ts = Timestamp(1_700_000_000_000_000_000 + packet as i64 * 1_000_000);
        let before = mem::live();
        let ((), peak) = mem::peak_during(|| {
            conn.feed(from_client, bytes, packet, ts, &mut |ev| {
                st.on_event(from_client, packet, &ev)
            })
        });
        st.peak = st.peak.max(st.kept + peak as isize);
        st.kept += mem::live() - before;
        st.peak = st.peak.max(st.kept);
        let buffered = conn.buffered_bytes();
        assert!(
            buffered <= MAX_BUFFERED,
            "buffered_bytes() = {buffered}, more than {MAX_BUFFERED}"
        );
        assert!(
            buffered <= 4 * st.fed + 64,
            "buffered_bytes() = {buffered} after {} bytes fed",
            st.fed
        );
        let d = usize::from(from_client);
        assert_eq!(
            conn.is_lost(from_client),
            st.out.lost[d],
            "is_lost disagrees with the Lost events"
        );
        assert_eq!(
            conn.hpack_lost_at(from_client).is_some(),
            st.out.hpack_lost[d],
            "hpack_lost_at disagrees with the Lost events"
        );
    }
}

impl State {
    fn flush(&mut self) {
        if let Some(r) = self.run.take() {
            let g = &mut self.out.digest;
            g.u64(1);
            g.u64(u64::from(r.from_client));
            g.u64(u64::from(r.stream));
            g.u64(r.first_packet);
            g.u64(r.last_packet);
            g.u64(r.len);
            g.u64(r.bytes.0);
        }
    }

    /// One event, while the connection is being fed `from_client`'s bytes of `packet`.
    fn on_event(&mut self, from_client: bool, packet: u64, ev: &H2Event<'_>) {
        if self.field_problem.is_none() {
            self.field_problem = check_fields(ev);
        }
        let e = Ev::of(ev);
        assert_eq!(
            e.from_client, from_client,
            "an event of the other direction while feeding this one: {e:?}"
        );
        assert!(
            e.packet.is_none_or(|p| p == packet),
            "an event tagged with packet {:?} while feeding {packet}",
            e.packet
        );
        let data = match ev {
            H2Event::Data { bytes, .. } => Some(*bytes),
            _ => None,
        };
        self.event(e, data);
    }

    fn event(&mut self, ev: Ev, data: Option<&[u8]>) {
        let d = usize::from(ev.from_client);
        assert!(
            !self.out.lost[d],
            "an event after the direction's framing was lost: {ev:?}"
        );
        if let Kind::Data {
            stream,
            len,
            end_stream,
        } = ev.kind
        {
            let bytes = data.unwrap_or_default();
            self.out.data_bytes[d] += len;
            let packet = ev.packet.unwrap_or(0);
            match &mut self.run {
                Some(r) if r.from_client == ev.from_client && r.stream == stream => {
                    r.last_packet = packet;
                    r.len += len;
                    r.bytes.bytes(bytes);
                }
                _ => {
                    self.flush();
                    let mut b = Digest::default();
                    b.bytes(bytes);
                    self.run = Some(DataRun {
                        from_client: ev.from_client,
                        stream,
                        first_packet: packet,
                        last_packet: packet,
                        len,
                        bytes: b,
                    });
                }
            }
            if end_stream {
                // The end of a stream's data is an event of its own.
                self.flush();
                self.out.digest.u64(2);
                self.out.digest.u64(u64::from(stream));
            }
            return;
        }
        self.flush();
        self.out.events += 1;
        self.out.digest.u64(ev.hash.0);
        match ev.kind {
            Kind::Request => {
                assert!(ev.from_client, "a request from the server");
                assert!(
                    !self.out.hpack_lost[d],
                    "a head decoded after HPACK was lost"
                );
                self.out.requests += 1;
            }
            Kind::Response => {
                assert!(!ev.from_client, "a response from the client");
                assert!(
                    !self.out.hpack_lost[d],
                    "a head decoded after HPACK was lost"
                );
                self.out.responses += 1;
            }
            Kind::Trailers => {
                assert!(
                    !self.out.hpack_lost[d],
                    "a head decoded after HPACK was lost"
                );
            }
            Kind::Lost { framing } => {
                if framing {
                    self.out.lost[d] = true;
                } else {
                    assert!(!self.out.hpack_lost[d], "HPACK lost twice");
                    self.out.hpack_lost[d] = true;
                }
            }
            Kind::Data { .. } | Kind::Other => {}
        }
    }
}

/// An event reduced to what the checks need (the events borrow the connection's buffers).
#[derive(Debug, Clone, Copy)]
struct Ev {
    from_client: bool,
    packet: Option<u64>,
    kind: Kind,
    hash: Digest,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Request,
    Response,
    Trailers,
    Data {
        stream: u32,
        len: u64,
        end_stream: bool,
    },
    Lost {
        framing: bool,
    },
    Other,
}

impl Ev {
    fn of(ev: &H2Event<'_>) -> Ev {
        let mut hash = Digest::default();
        // The Debug form covers every field; DATA is hashed by its bytes instead.
        if !matches!(ev, H2Event::Data { .. }) {
            let _ = std::fmt::Write::write_fmt(&mut hash, format_args!("{ev:?}"));
        }
        let (from_client, packet, kind) = match ev {
            H2Event::Settings {
                from_client,
                packet,
                ..
            } => (*from_client, Some(*packet), Kind::Other),
            H2Event::Request { packet, .. } => (true, Some(*packet), Kind::Request),
            H2Event::Response { packet, .. } => (false, Some(*packet), Kind::Response),
            H2Event::Trailers {
                from_client,
                packet,
                ..
            } => (*from_client, Some(*packet), Kind::Trailers),
            H2Event::Unreadable {
                from_client,
                packet,
                ..
            } => (*from_client, Some(*packet), Kind::Other),
            H2Event::Data {
                stream,
                from_client,
                bytes,
                end_stream,
                packet,
                ..
            } => {
                let kind = Kind::Data {
                    stream: *stream,
                    len: bytes.len() as u64,
                    end_stream: *end_stream,
                };
                (*from_client, Some(*packet), kind)
            }
            H2Event::RstStream {
                from_client,
                packet,
                ..
            }
            | H2Event::GoAway {
                from_client,
                packet,
                ..
            } => (*from_client, Some(*packet), Kind::Other),
            H2Event::Lost {
                from_client,
                reason,
                packet,
            } => (
                *from_client,
                *packet,
                Kind::Lost {
                    framing: reason.framing_lost(),
                },
            ),
        };
        Ev {
            from_client,
            packet,
            kind,
            hash,
        }
    }
}

/// Field values are cut at `MAX_FIELD_LEN` bytes.
fn check_fields(ev: &H2Event<'_>) -> Option<String> {
    let fields: Vec<Option<&str>> = match ev {
        H2Event::Request {
            method,
            protocol,
            scheme,
            authority,
            path,
            ws_version,
            ws_protocols,
            ws_extensions,
            ..
        } => vec![
            *method,
            *protocol,
            *scheme,
            *authority,
            *path,
            *ws_version,
            *ws_protocols,
            *ws_extensions,
        ],
        H2Event::Response {
            ws_protocol,
            ws_extensions,
            ..
        } => vec![*ws_protocol, *ws_extensions],
        _ => Vec::new(),
    };
    fields
        .into_iter()
        .flatten()
        .find(|f| f.len() > MAX_FIELD_LEN)
        .map(|f| format!("a field value of {} bytes", f.len()))
}

/// The outcome of one input, as the target computes it (for tests).
pub fn outcome(data: &[u8]) -> Outcome {
    let (&flags, ops) = data.split_first().unwrap_or((&0, &[]));
    run_case(flags, ops, false).0
}

fn run_case(flags: u8, ops: &[u8], split: bool) -> (Outcome, usize) {
    let mut run = Run {
        split,
        conn: H2Conn::new(),
        st: State {
            packet: 0,
            fed: 0,
            out: Outcome::default(),
            run: None,
            field_problem: None,
            kept: 0,
            peak: 0,
        },
    };
    let mut s = if crate::strict() {
        Streams::with_cap(MAX_FED)
    } else {
        // A smaller script, as once needed for HPACK decoding at about 14 µs per
        // Huffman-coded string (fixed: `hpack_huffman_block_decodes_whole`).
        Streams::with_cap(RELAXED_MAX_FED)
    };
    if flags & flag::PREFACE != 0 {
        let chunk = s.push(true, true, PREFACE);
        debug_assert!(chunk.is_empty());
    }
    let mut r = Reader::new(ops);
    while !r.is_empty() && !s.exhausted() {
        let h = OpHeader::parse(r.u8());
        let bytes = match h.kind {
            op::FILL => {
                let n = r.u16();
                script::fill(n, r.u8())
            }
            op::FRAME => {
                let ty = r.u8();
                let fl = r.u8();
                let stream = r.u32();
                let len = r.u24();
                let mut b = len.to_be_bytes()[1..].to_vec();
                b.push(ty);
                b.push(fl);
                b.extend_from_slice(&stream.to_be_bytes());
                let n = usize::from(r.u16());
                let have = r.take(n);
                let room = s.room();
                let len = (len as usize).min(room);
                b.extend_from_slice(&have[..have.len().min(len)]);
                b.resize(b.len() + len.saturating_sub(have.len()), 0);
                b
            }
            op::GAP => {
                run.st.packet += 1;
                let mut lost = Vec::new();
                run.conn.gap(h.from_client, Some(run.st.packet), &mut |ev| {
                    lost.push(Ev::of(&ev))
                });
                for ev in lost {
                    assert!(
                        matches!(ev.kind, Kind::Lost { framing: true }),
                        "a gap reported {ev:?}"
                    );
                    run.st.event(ev, None);
                }
                continue;
            }
            op::REPEAT => {
                let n = r.u16();
                script::repeat(&s.last, n, s.room())
            }
            _ => {
                let n = usize::from(r.u16());
                r.take(n).to_vec()
            }
        };
        let chunk = s.push(h.from_client, h.hold, &bytes);
        if !chunk.is_empty() {
            run.feed(h.from_client, &chunk);
        }
    }
    let [c, sv] = s.drain();
    for (from_client, chunk) in [(true, c), (false, sv)] {
        if !chunk.is_empty() {
            run.feed(from_client, &chunk);
        }
    }
    let mut st = run.st;
    st.flush();
    if let Some(p) = st.field_problem {
        panic!("{p}");
    }
    for d in [0, 1] {
        assert!(
            st.out.data_bytes[d] <= s.fed_dir[d] as u64,
            "more DATA bytes than bytes fed"
        );
    }
    (st.out, usize::try_from(st.peak).unwrap_or(0))
}

/// Runs one input (see the module header for what it means and what is checked).
pub fn h2(data: &[u8]) {
    let Some((&flags, ops)) = data.split_first() else {
        return;
    };
    let (o, peak) = run_case(flags, ops, false);
    assert!(
        peak <= MAX_MEMORY,
        "an HTTP/2 connection took {} MiB (more than {} MiB)",
        peak >> 20,
        MAX_MEMORY >> 20
    );
    if flags & flag::SPLIT != 0 {
        let (again, _) = run_case(flags, ops, true);
        assert_eq!(o, again, "cutting every chunk in two changed the events");
    }
}
