//! Property tests (proptest): the frame header parser against an independent encoder,
//! unmasking against its bytewise reference, incremental UTF-8 against `std::str`, the
//! decoder's independence from segmentation, and the whole pipeline's independence from
//! how TCP cut, reordered and duplicated a session.
//!
//! Case counts are kept modest so the file runs in seconds in a debug build;
//! `PROPTEST_CASES=10000 cargo test --release --test it websocket::properties::` runs them harder.
//! Tests marked `#[ignore = "bug: ..."]` reproduce bugs found by these properties or by the
//! fuzz targets (fuzz/README.md) and pass once the bug is fixed.

use etherparse::PacketBuilder;
use proptest::prelude::*;
use proptest::test_runner::Config;
use wsclose::__internals::analyzer::{Analyzer, Options};
use wsclose::__internals::capture::Packet;
use wsclose::__internals::websocket::decoder::{Decoder, Origin};
use wsclose::__internals::websocket::frame::{parse_header, unmask, unmask_bytewise, LenEncoding};
use wsclose::__internals::websocket::utf8::Utf8Stream;
use wsclose::finding::Findings;
use wsclose::report::ConnectionReport;
use wsclose::vocab::{Kind, LinkType, Role, Timestamp};

/// `cases` unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// A frame encoder of our own (RFC 6455 §5.2), written from the RFC, not from the parser
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Header {
    fin: bool,
    /// RSV1..RSV3 as the low three bits.
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    len: u64,
    encoding: LenEncoding,
}

fn encode_header(h: &Header) -> Vec<u8> {
    let mut out = vec![(u8::from(h.fin) << 7) | ((h.rsv & 7) << 4) | (h.opcode & 0x0F)];
    let m = if h.mask.is_some() { 0x80 } else { 0 };
    match h.encoding {
        LenEncoding::Short => out.push(m | h.len as u8),
        LenEncoding::Extended16 => {
            out.push(m | 126);
            out.extend_from_slice(&(h.len as u16).to_be_bytes());
        }
        LenEncoding::Extended64 => {
            out.push(m | 127);
            out.extend_from_slice(&h.len.to_be_bytes());
        }
    }
    if let Some(k) = h.mask {
        out.extend_from_slice(&k);
    }
    out
}

/// A whole frame with the shortest length encoding; `payload` is masked with `mask`.
fn encode_frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u64;
    let encoding = if len < 126 {
        LenEncoding::Short
    } else if len <= 0xFFFF {
        LenEncoding::Extended16
    } else {
        LenEncoding::Extended64
    };
    let mut out = encode_header(&Header {
        fin,
        rsv,
        opcode,
        mask,
        len,
        encoding,
    });
    match mask {
        Some(k) => out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4])),
        None => out.extend_from_slice(payload),
    }
    out
}

fn header_strategy() -> impl Strategy<Value = Header> {
    let len = prop_oneof![
        (0u64..126).prop_map(|l| (l, LenEncoding::Short)),
        // 16-bit form, minimal or not.
        (0u64..=0xFFFF).prop_map(|l| (l, LenEncoding::Extended16)),
        (126u64..=0xFFFF).prop_map(|l| (l, LenEncoding::Extended16)),
        // 64-bit form: any value, top bit set or not, minimal or not.
        any::<u64>().prop_map(|l| (l, LenEncoding::Extended64)),
        (0x1_0000u64..0x1_0000_0000).prop_map(|l| (l, LenEncoding::Extended64)),
    ];
    (
        any::<bool>(),
        0u8..8,
        0u8..16,
        proptest::option::of(any::<[u8; 4]>()),
        len,
    )
        .prop_map(|(fin, rsv, opcode, mask, (len, encoding))| Header {
            fin,
            rsv,
            opcode,
            mask,
            len,
            encoding,
        })
}

proptest! {
    #![proptest_config(config(512))]

    /// (a) Every field round-trips; the parser takes exactly the header; every strict
    /// prefix of the header is Incomplete.
    #[test]
    fn header_round_trips(h in header_strategy(), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
        let enc = encode_header(&h);
        let mut bytes = enc.clone();
        bytes.extend_from_slice(&tail);
        let (rest, p) = parse_header(&bytes).expect("a whole header parses");
        prop_assert_eq!(rest, &tail[..]);
        prop_assert_eq!(p.fin, h.fin);
        prop_assert_eq!(p.rsv, h.rsv);
        prop_assert_eq!(p.opcode.0, h.opcode);
        prop_assert_eq!(p.mask, h.mask);
        prop_assert_eq!(p.payload_len, h.len);
        prop_assert_eq!(p.len_encoding, h.encoding);
        prop_assert_eq!(p.header_len, enc.len());
        prop_assert_eq!(p.header_len, match h.encoding {
            LenEncoding::Short => 2,
            LenEncoding::Extended16 => 4,
            LenEncoding::Extended64 => 10,
        } + if h.mask.is_some() { 4 } else { 0 });
        prop_assert_eq!(p.length_top_bit_set(), h.len >> 63 != 0);
        prop_assert_eq!(p.non_minimal_length(), match h.encoding {
            LenEncoding::Short => false,
            LenEncoding::Extended16 => h.len < 126,
            LenEncoding::Extended64 => h.len <= 0xFFFF,
        });
        for n in 0..enc.len() {
            prop_assert!(
                matches!(parse_header(&enc[..n]), Err(nom::Err::Incomplete(_))),
                "prefix of {} bytes of {:02x?}", n, enc
            );
        }
    }

    /// (b) Word-at-a-time unmasking equals the bytewise reference for any data, key and
    /// start position, and unmasking in two pieces equals unmasking whole.
    #[test]
    fn unmask_matches_bytewise(
        data in proptest::collection::vec(any::<u8>(), 0..80),
        key in any::<[u8; 4]>(),
        pos in prop_oneof![0u64..16, any::<u64>().prop_map(|p| p >> 1)],
        cut in any::<prop::sample::Index>(),
    ) {
        let mut fast = data.clone();
        let mut slow = data.clone();
        unmask(&mut fast, key, pos);
        unmask_bytewise(&mut slow, key, pos);
        prop_assert_eq!(&fast, &slow);
        let c = cut.index(data.len() + 1);
        let mut parts = data.clone();
        let (a, b) = parts.split_at_mut(c);
        unmask(a, key, pos);
        unmask(b, key, pos + c as u64);
        prop_assert_eq!(&parts, &fast);
    }
}

/// (b) at the very end of the position range, against a wrapping reference (2^64 is a
/// multiple of 4, so the key index is the same as with unbounded arithmetic).
#[test]
fn unmask_near_u64_max() {
    let key = [1, 2, 3, 4];
    for back in 0..12u64 {
        let pos = u64::MAX - back;
        let data: Vec<u8> = (0..23).collect();
        let mut fast = data.clone();
        unmask(&mut fast, key, pos);
        let want: Vec<u8> = data
            .iter()
            .enumerate()
            .map(|(j, b)| b ^ key[(pos.wrapping_add(j as u64) % 4) as usize])
            .collect();
        assert_eq!(fast, want, "pos {pos}");
    }
}

/// The bytewise reference adds the index to the position unchecked: within 2^64 of the end
/// it overflows (a panic in debug builds). No real frame gets there; the fast `unmask`,
/// which the decoder uses, is fine (above).
#[test]
fn unmask_bytewise_near_u64_max() {
    let mut b = [0u8; 2];
    unmask_bytewise(&mut b, [1, 2, 3, 4], u64::MAX);
    assert_eq!(b, [4, 1]);
}

// ---------------------------------------------------------------------------------------
// (c) incremental UTF-8
// ---------------------------------------------------------------------------------------

/// Byte strings rich in UTF-8 edge cases: valid text of every width, and the classic
/// invalid sequences (lone continuation, overlong, surrogate, above U+10FFFF, cut short).
fn utf8ish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => any::<String>().prop_map(String::into_bytes),
        2 => "[a-zä€𝄞✓]{0,8}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..4),
        1 => prop::sample::select(vec![
            &b"\x80"[..], b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
            b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\xe2\x82", b"\xf0\x9d\x84",
            b"\xc3", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf",
        ]).prop_map(<[u8]>::to_vec),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// `b` cut at `cuts` (indices taken modulo `b.len() + 1`, sorted).
fn pieces<'a>(b: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(b.len() + 1)).collect();
    at.sort_unstable();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in at.into_iter().chain(std::iter::once(b.len())) {
        out.push(&b[prev..c]);
        prev = c;
    }
    out
}

proptest! {
    #![proptest_config(config(1024))]

    /// (c) Any split gives `std::str::from_utf8`'s verdict on the whole, and the error is at
    /// the first byte `std` does not accept.
    #[test]
    fn utf8_stream_any_split(
        b in utf8ish(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let want = std::str::from_utf8(&b)
            .map(|_| ())
            .map_err(|e| e.valid_up_to() as u64);
        let mut s = Utf8Stream::new();
        let mut got = Ok(());
        for p in pieces(&b, &cuts) {
            got = s.push(p);
            if got.is_err() {
                break;
            }
        }
        let got = got.and_then(|_| s.finish());
        prop_assert_eq!(got, want, "{:02x?}", b);
    }
}

// ---------------------------------------------------------------------------------------
// (e) the decoder: segmentation does not matter
// ---------------------------------------------------------------------------------------

type CloseKey = (Role, Option<u16>, String, Vec<&'static str>);

fn decode(pieces: &[&[u8]], deflate: bool) -> (Vec<CloseKey>, Vec<Kind>) {
    let mut d = Decoder::new(Role::Client, deflate);
    if deflate {
        d.set_inflater(wsclose::__internals::websocket::deflate::Inflater::new(
            false,
            wsclose::__internals::websocket::deflate::DEFAULT_CAP,
        ));
    }
    let mut f = Findings::default();
    for (i, p) in pieces.iter().enumerate() {
        let at = Origin {
            packet: i as u64 + 1,
            ts: Timestamp(i as i64),
            order: i as u64 + 1,
        };
        d.data(p, at, &mut f);
    }
    let closes = d
        .closes
        .iter()
        .map(|c| {
            (
                c.from,
                c.code,
                c.reason.clone(),
                c.problems.iter().map(|p| p.as_str()).collect(),
            )
        })
        .collect();
    (closes, f.items.iter().map(|f| f.kind).collect())
}

/// A client stream: well-formed frames (masked or not, any opcode, RSV bits, fragments,
/// close frames with any payload) mixed with raw bytes.
fn client_stream() -> impl Strategy<Value = Vec<u8>> {
    let payload = prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..20),
        2 => utf8ish(),
        1 => (any::<u16>(), "[a-z ✓]{0,10}").prop_map(|(c, r)| {
            let mut p = c.to_be_bytes().to_vec();
            p.extend_from_slice(r.as_bytes());
            p
        }),
        1 => proptest::collection::vec(any::<u8>(), 120..300),
    ];
    let frame = (
        any::<bool>(),
        prop_oneof![6 => Just(0u8), 1 => 0u8..8],
        prop_oneof![
            Just(0u8),
            Just(1),
            Just(2),
            Just(8),
            Just(8),
            Just(9),
            Just(10),
            0u8..16
        ],
        proptest::option::weighted(0.8, any::<[u8; 4]>()),
        payload,
    )
        .prop_map(|(fin, rsv, op, mask, p)| encode_frame(fin, rsv, op, mask, &p));
    let item = prop_oneof![
        8 => frame,
        1 => proptest::collection::vec(any::<u8>(), 0..6),
    ];
    proptest::collection::vec(item, 0..10).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(512))]

    /// (e) Fed in any segmentation, a client stream gives the same close frames and the same
    /// findings, in the same order, as fed whole.
    #[test]
    fn decoder_ignores_segmentation(
        b in prop_oneof![3 => client_stream(), 1 => proptest::collection::vec(any::<u8>(), 0..200)],
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let whole = decode(&[&b], false);
        let cut = decode(&pieces(&b, &cuts), false);
        prop_assert_eq!(cut, whole, "{:02x?}", b);
    }
}

/// (e) with permessage-deflate. A compressed text message whose payload `6a 1b 93` inflates
/// to the byte `86` (invalid UTF-8: a lone continuation byte) and then hits an invalid
/// literal/length code. Fed whole, the only finding is inflate-failed; cut after `6a 1b`,
/// invalid-utf8-text comes first. The inflater (`deflate::Inflater::chunk`) returns the
/// error of a `decompress` call without passing on the bytes that call had already
/// inflated, so what is UTF-8 checked depends on where TCP (or the decoder's 4 KiB unmask
/// pieces) cut the payload. Found by the `tcp_stream` fuzz target.
#[test]
fn deflate_findings_ignore_segmentation() {
    // FIN + RSV1 + text, masked with the zero key, payload 6a 1b 93.
    let b = encode_frame(true, 0b100, 1, Some([0; 4]), &[0x6a, 0x1b, 0x93]);
    assert_eq!(b, [0xc1, 0x83, 0, 0, 0, 0, 0x6a, 0x1b, 0x93]);
    let whole = decode(&[&b], true);
    let cut = decode(&[&b[..8], &b[8..]], true);
    assert_eq!(
        cut.1,
        [Kind::InvalidUtf8Text, Kind::InflateFailed],
        "the inflated byte 86 is not UTF-8"
    );
    assert_eq!(whole, cut);
}

// ---------------------------------------------------------------------------------------
// (d) the whole pipeline: TCP segmentation, reordering and duplication do not matter
// ---------------------------------------------------------------------------------------

const CLIENT: usize = 0;
const SERVER: usize = 1;

fn role(s: usize) -> Role {
    if s == CLIENT {
        Role::Client
    } else {
        Role::Server
    }
}

/// SplitMix64: the network's choices (cuts, order, duplicates) from one seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Debug, Clone)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Step {
    from: usize,
    msg: Msg,
    /// Data messages: cut into this many fragments (1 = unfragmented), with a ping from the
    /// same side between the first two when `ping_inside`.
    fragments: usize,
    ping_inside: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Both sides FIN after their close frames (the peer echoes).
    BothFin,
    /// Only the initiator FINs; the peer neither echoes nor ends.
    InitiatorFin,
    /// Both FIN, then the given side resets.
    FinThenRst(usize),
    /// Nothing after the close frames.
    Open,
}

#[derive(Debug, Clone)]
struct SessionSpec {
    steps: Vec<Step>,
    initiator: usize,
    code: u16,
    reason: String,
    /// The peer's echo (same code, its own reason) unless the ending is `InitiatorFin`.
    echo_reason: String,
    ending: Ending,
    isn: [u32; 2],
}

fn valid_code() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![
            1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014
        ]),
        3000u16..5000,
    ]
}

/// A reason of at most 123 bytes of UTF-8.
fn reason() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 äé€✓𝄞]{0,30}".prop_map(|s| {
        let mut s = s;
        while s.len() > 123 {
            s.pop();
        }
        s
    })
}

fn step() -> impl Strategy<Value = Step> {
    let msg = prop_oneof![
        4 => "\\PC{0,40}".prop_map(Msg::Text),
        2 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Msg::Binary),
        1 => proptest::collection::vec(any::<u8>(), 126..2000).prop_map(Msg::Binary),
        1 => (0usize..3).prop_map(|k| Msg::Binary(vec![0x5a; [70_000, 65_535, 65_536][k]])),
        1 => proptest::collection::vec(any::<u8>(), 0..125).prop_map(Msg::Ping),
        1 => proptest::collection::vec(any::<u8>(), 0..125).prop_map(Msg::Pong),
    ];
    (0usize..2, msg, 1usize..4, any::<bool>()).prop_map(|(from, msg, fragments, ping_inside)| {
        Step {
            from,
            msg,
            fragments,
            ping_inside,
        }
    })
}

fn session_spec() -> impl Strategy<Value = SessionSpec> {
    (
        proptest::collection::vec(step(), 0..8),
        0usize..2,
        valid_code(),
        reason(),
        reason(),
        prop_oneof![
            3 => Just(Ending::BothFin),
            1 => Just(Ending::InitiatorFin),
            1 => (0usize..2).prop_map(Ending::FinThenRst),
            1 => Just(Ending::Open),
        ],
        prop_oneof![
            Just([1_000u32, 5_000_000u32]),
            Just([u32::MAX - 200, u32::MAX - 3000]),
            any::<[u32; 2]>(),
        ],
    )
        .prop_map(
            |(steps, initiator, code, reason, echo_reason, ending, isn)| SessionSpec {
                steps,
                initiator,
                code,
                reason,
                echo_reason,
                ending,
                isn,
            },
        )
}

const REQUEST: &[u8] = b"GET /prop HTTP/1.1\r\nHost: prop.test\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// Frames of side `s` (client frames masked with a key from `rng`).
fn frame_from(s: usize, rng: &mut Rng, fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = (s == CLIENT).then(|| (rng.next() as u32).to_be_bytes());
    encode_frame(fin, 0, opcode, mask, payload)
}

/// One unit the network may cut and reorder: `bytes` of side `from`'s stream, or an ending.
#[derive(Debug, Clone)]
enum Unit {
    /// Bytes of one side, in stream order, as the application wrote them.
    Data(usize, Vec<u8>),
    Fin(usize),
    Rst(usize),
}

/// The session as the applications wrote it, in time order.
fn units(spec: &SessionSpec, rng: &mut Rng) -> Vec<Unit> {
    let mut out = vec![
        Unit::Data(CLIENT, REQUEST.to_vec()),
        Unit::Data(SERVER, RESPONSE.to_vec()),
    ];
    for st in &spec.steps {
        let s = st.from;
        let mut bytes = Vec::new();
        match &st.msg {
            Msg::Ping(p) => bytes = frame_from(s, rng, true, 9, p),
            Msg::Pong(p) => bytes = frame_from(s, rng, true, 10, p),
            Msg::Text(_) | Msg::Binary(_) => {
                let (op, payload) = match &st.msg {
                    Msg::Text(t) => (1, t.as_bytes().to_vec()),
                    Msg::Binary(b) => (2, b.clone()),
                    _ => unreachable!(),
                };
                // Fragments cut anywhere (even inside a UTF-8 character).
                let n = st.fragments.min(payload.len().max(1));
                let mut cuts: Vec<usize> = (1..n)
                    .map(|_| rng.below(payload.len() as u64 + 1) as usize)
                    .collect();
                cuts.sort_unstable();
                let mut prev = 0;
                for (i, c) in cuts
                    .iter()
                    .copied()
                    .chain(std::iter::once(payload.len()))
                    .enumerate()
                {
                    let fin = i + 1 == n;
                    bytes.extend(frame_from(
                        s,
                        rng,
                        fin,
                        if i == 0 { op } else { 0 },
                        &payload[prev..c],
                    ));
                    if i == 0 && st.ping_inside && !fin {
                        bytes.extend(frame_from(s, rng, true, 9, b"inside"));
                    }
                    prev = c;
                }
            }
        }
        out.push(Unit::Data(s, bytes));
    }
    let close = |code: u16, reason: &str| {
        let mut p = code.to_be_bytes().to_vec();
        p.extend_from_slice(reason.as_bytes());
        p
    };
    let (i, peer) = (spec.initiator, 1 - spec.initiator);
    out.push(Unit::Data(
        i,
        frame_from(i, rng, true, 8, &close(spec.code, &spec.reason)),
    ));
    if spec.ending != Ending::InitiatorFin {
        out.push(Unit::Data(
            peer,
            frame_from(peer, rng, true, 8, &close(spec.code, &spec.echo_reason)),
        ));
    }
    match spec.ending {
        Ending::BothFin => {
            out.push(Unit::Fin(i));
            out.push(Unit::Fin(peer));
        }
        Ending::InitiatorFin => out.push(Unit::Fin(i)),
        Ending::FinThenRst(r) => {
            out.push(Unit::Fin(peer));
            out.push(Unit::Fin(i));
            out.push(Unit::Rst(r));
        }
        Ending::Open => {}
    }
    out
}

/// A segment on the wire: side, stream offset of its first byte, payload, FIN, RST.
#[derive(Debug, Clone)]
struct Seg {
    from: usize,
    off: u64,
    payload: Vec<u8>,
    fin: bool,
    rst: bool,
}

/// How the network treats the session.
#[derive(Debug, Clone, Copy)]
struct Net {
    seed: u64,
    /// Segment sizes are drawn from 1..=max_seg.
    max_seg: usize,
    /// Percent of a direction's segments that are moved elsewhere among its slots.
    reorder: u64,
    /// Percent of segments duplicated at a later position.
    duplicate: u64,
}

/// The segments of the session: clean (one per unit, in order) or cut, reordered within
/// each direction, and partly duplicated. RSTs stay last; without an echo the peer's
/// side never ends, so no TCP ending can come before the initiator's close frame.
fn segments(units: &[Unit], net: Option<Net>) -> Vec<Seg> {
    let mut off = [0u64; 2];
    let mut segs = Vec::new();
    let mut rng = Rng(net.map_or(0, |n| n.seed));
    // At most about 400 segments per direction, well under the assembler's 1024 held
    // ranges (past which it would rightly declare a gap).
    let total: usize = units
        .iter()
        .map(|u| match u {
            Unit::Data(_, b) => b.len(),
            _ => 0,
        })
        .sum();
    let min_seg = (total / 400).max(1);
    for u in units {
        match u {
            Unit::Data(s, b) => {
                let mut at = 0;
                while at < b.len() {
                    let n = match net {
                        None => b.len(),
                        Some(n) => min_seg.max(1 + rng.below(n.max_seg as u64) as usize),
                    }
                    .min(b.len() - at)
                    .min(60_000);
                    segs.push(Seg {
                        from: *s,
                        off: off[*s],
                        payload: b[at..at + n].to_vec(),
                        fin: false,
                        rst: false,
                    });
                    off[*s] += n as u64;
                    at += n;
                }
            }
            Unit::Fin(s) => segs.push(Seg {
                from: *s,
                off: off[*s],
                payload: Vec::new(),
                fin: true,
                rst: false,
            }),
            Unit::Rst(s) => segs.push(Seg {
                from: *s,
                off: off[*s] + 1,
                payload: Vec::new(),
                fin: false,
                rst: true,
            }),
        }
    }
    let Some(net) = net else {
        return segs;
    };
    // Reorder within each direction: the slots a direction's segments occupy stay, the
    // segments in them are shuffled (a chosen fraction of them, to any of its slots).
    let (tail, body): (Vec<Seg>, Vec<Seg>) = segs.into_iter().partition(|s| s.rst);
    let mut body = body;
    for d in [CLIENT, SERVER] {
        let slots: Vec<usize> = (0..body.len()).filter(|&i| body[i].from == d).collect();
        for k in 0..slots.len() {
            if rng.chance(net.reorder) {
                let j = rng.below(slots.len() as u64) as usize;
                body.swap(slots[k], slots[j]);
            }
        }
    }
    // Duplicates: a copy later in the capture (after the segment at index `at`).
    let mut dups: Vec<(usize, Seg)> = Vec::new();
    for (i, s) in body.iter().enumerate() {
        if rng.chance(net.duplicate) {
            let at = i + rng.below((body.len() - i) as u64) as usize;
            dups.push((at, s.clone()));
        }
    }
    let mut out = Vec::with_capacity(body.len() + dups.len() + tail.len());
    for (i, s) in body.into_iter().enumerate() {
        out.push(s);
        out.extend(
            dups.iter()
                .filter(|(at, _)| *at == i)
                .map(|(_, d)| d.clone()),
        );
    }
    out.extend(tail);
    out
}

/// Raw IPv4 packets for `segs` after a SYN, SYN/ACK, ACK. Each segment acknowledges what
/// the capture has shown of the other direction so far, contiguously (never past a hole,
/// so no gap is ever implied), the peer's FIN included once reached.
fn packets(segs: &[Seg], isn: [u32; 2]) -> Vec<Vec<u8>> {
    let ips = [[10, 0, 0, 1], [10, 0, 0, 2]];
    let ports = [40000u16, 8080];
    let mut have: [Vec<(u64, u64)>; 2] = [Vec::new(), Vec::new()];
    let mut fin_at: [Option<u64>; 2] = [None, None];
    let frontier = |have: &Vec<(u64, u64)>| {
        let mut v = have.clone();
        v.sort_unstable();
        let mut f = 0;
        for (a, b) in v {
            if a <= f {
                f = f.max(b);
            }
        }
        f
    };
    let build =
        |s: usize, seq: u32, ack: Option<u32>, syn: bool, fin: bool, rst: bool, p: &[u8]| {
            let mut b =
                PacketBuilder::ipv4(ips[s], ips[1 - s], 64).tcp(ports[s], ports[1 - s], seq, 65535);
            if syn {
                b = b.syn();
            }
            if fin {
                b = b.fin();
            }
            if rst {
                b = b.rst();
            }
            if let Some(a) = ack {
                b = b.ack(a);
            }
            let mut out = Vec::with_capacity(b.size(p.len()));
            b.write(&mut out, p).unwrap();
            out
        };
    let data_seq = |s: usize, off: u64| isn[s].wrapping_add(1).wrapping_add(off as u32);
    let mut out = vec![
        build(CLIENT, isn[0], None, true, false, false, &[]),
        build(
            SERVER,
            isn[1],
            Some(isn[0].wrapping_add(1)),
            true,
            false,
            false,
            &[],
        ),
        build(
            CLIENT,
            isn[0].wrapping_add(1),
            Some(isn[1].wrapping_add(1)),
            false,
            false,
            false,
            &[],
        ),
    ];
    for sg in segs {
        let s = sg.from;
        let peer = 1 - s;
        let f = frontier(&have[peer]);
        let ack = f + u64::from(fin_at[peer] == Some(f));
        out.push(build(
            s,
            data_seq(s, sg.off),
            Some(data_seq(peer, ack)),
            false,
            sg.fin,
            sg.rst,
            &sg.payload,
        ));
        if !sg.payload.is_empty() {
            have[s].push((sg.off, sg.off + sg.payload.len() as u64));
        }
        if sg.fin {
            fin_at[s] = Some(sg.off);
        }
    }
    out
}

fn run_analyzer(pkts: &[Vec<u8>]) -> Vec<ConnectionReport> {
    let mut a = Analyzer::new(Options::default());
    a.begin_input(0);
    for (i, p) in pkts.iter().enumerate() {
        a.packet(&Packet {
            options: Default::default(),
            number: i as u64 + 1,
            ts: Timestamp(1_700_000_000_000_000_000 + i as i64 * 1_000_000),
            link: LinkType::RAW,
            data: p,
            orig_len: p.len() as u32,
            iface: None,
        });
    }
    a.finish_input().unwrap().0
}

/// What the network must not change: close frames per side (in each side's order), the
/// status, and the multiset of finding kinds.
type Verdict = (
    Vec<(Role, Option<u16>, String)>,
    (Option<u16>, String, bool),
    Vec<Kind>,
);

fn verdict(c: &ConnectionReport) -> Verdict {
    let mut closes: Vec<(Role, Option<u16>, String)> = c
        .close_frames
        .iter()
        .map(|f| (f.from, f.code, f.reason.clone()))
        .collect();
    closes.sort_by_key(|c| c.0);
    let mut kinds: Vec<Kind> = c.findings.iter().map(|f| f.kind).collect();
    kinds.sort();
    (
        closes,
        (c.status.code, c.status.name.to_string(), c.status.inferred),
        kinds,
    )
}

fn net() -> impl Strategy<Value = Net> {
    (
        any::<u64>(),
        prop_oneof![1usize..8, 8usize..200, 200usize..1500],
        0u64..60,
        0u64..30,
    )
        .prop_map(|(seed, max_seg, reorder, duplicate)| Net {
            seed,
            max_seg,
            reorder,
            duplicate,
        })
}

proptest! {
    #![proptest_config(config(96))]

    /// (d) A session cut into random segments, reordered within each direction and partly
    /// duplicated gives the same close frames, status and findings as the clean session;
    /// and the clean session gives what was sent.
    ///
    /// The sessions are built so that the expected result really is invariant: reordering
    /// within a direction can change which side's close frame is delivered first, and
    /// whether a FIN of one side is delivered before the other side's close frame. So the
    /// peer echoes the initiator's code (its reason may differ), each side's FIN follows its
    /// own close frame in its own stream (a FIN is reached only after every byte before it),
    /// without an echo the peer never ends TCP, and an RST comes last. Every segment's ACK
    /// covers only what the capture has shown of the other direction, so no hole is implied.
    #[test]
    fn pipeline_ignores_segmentation_reordering_duplication(spec in session_spec(), net in net()) {
        let mut rng = Rng(net.seed ^ 0x5555);
        let units = units(&spec, &mut rng);
        let clean = run_analyzer(&packets(&segments(&units, None), spec.isn));
        prop_assert_eq!(clean.len(), 1);
        let want = verdict(&clean[0]);
        // The clean session reports exactly what was sent.
        let i = role(spec.initiator);
        let mut sent = vec![(i, Some(spec.code), spec.reason.clone())];
        if spec.ending != Ending::InitiatorFin {
            sent.push((i.peer(), Some(spec.code), spec.echo_reason.clone()));
        }
        sent.sort_by_key(|c| c.0);
        prop_assert_eq!(&want.0, &sent);
        prop_assert_eq!(want.1.0, Some(spec.code));
        prop_assert!(want.2.is_empty(), "findings in a clean session: {:?}", want.2);

        let segs = segments(&units, Some(net));
        let got = run_analyzer(&packets(&segs, spec.isn));
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(verdict(&got[0]), want);
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// The JSON writer's strings: any text (ASCII with quotes, backslashes and controls,
    /// non-ASCII letters, the bidirectional and other controls a terminal must not get raw)
    /// reads back as itself, carries no character a terminal must not get, and is byte for
    /// byte serde_json's string when the text has none of those.
    #[test]
    fn json_strings_read_back_and_stay_terminal_safe(
        text in proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range(' ', '~'),
                2 => proptest::sample::select(vec!['"', '\\', '\n', '\t', '\r', '\u{8}', '\u{c}', '\0', '\u{1b}', '\u{7f}']),
                1 => proptest::sample::select(vec!['\u{85}', '\u{9b}', '\u{61c}', '\u{200e}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{ad}', '\u{feff}', '\u{2028}', '\u{3164}', '\u{e0041}']),
                2 => any::<char>(),
            ],
            0..48,
        ).prop_map(|cs| cs.into_iter().collect::<String>())
    ) {
        let ours = wsclose::render::json::line(&text);
        let back: String = serde_json::from_str(&ours).expect("our string is JSON");
        prop_assert_eq!(&back, &text);
        prop_assert!(!ours.chars().any(wsclose::sanitize::is_unsafe), "{}", ours);
        if !text.chars().any(|c| wsclose::sanitize::is_unsafe(c) && !c.is_ascii()) && !text.contains('\u{7f}') {
            prop_assert_eq!(ours, serde_json::to_string(&text).unwrap());
        }
    }
}
