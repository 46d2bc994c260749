//! Pieces of text more than one renderer needs, worded by each renderer itself.
//!
//! In: a connection's report, or a renderer's `write`. Out: how its TCP connection ended
//! first, as a value each renderer words ([`TcpEnding`]); the handshake's request and
//! response in words ([`handshake_words`]); a written report as a string ([`string_of`]).

use crate::flow::Role;
use crate::report::ConnectionReport;

/// What `write` writes, as a string (a renderer's `render`: tests, small reports).
pub(crate) fn string_of(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    let _ = write(&mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// How a connection's TCP connection ended first.
pub(crate) enum TcpEnding {
    /// Neither side ended it: still open at the end of the capture (`None`), or the reason
    /// wsclose stopped following it early.
    Open(Option<&'static str>),
    /// "FIN" or "RST" from `by` at `packet`; `rst`: the packet of the same side's RST
    /// after its FIN.
    By {
        kind: String,
        by: Role,
        packet: u64,
        rst: Option<u64>,
    },
    /// An ending whose side or packet is not known: its name.
    Unplaced(&'static str),
}

impl TcpEnding {
    pub fn of(c: &ConnectionReport) -> TcpEnding {
        match (c.tcp_end, c.tcp_end_by, c.tcp_end_packet) {
            ("open", ..) => TcpEnding::Open(c.evicted.map(|e| e.short())),
            (kind, Some(by), Some(packet)) => TcpEnding::By {
                kind: kind.to_uppercase(),
                by,
                packet,
                rst: c
                    .tcp_ends
                    .first()
                    .and_then(|e| e.rst_after_fin)
                    .map(|r| r.packet),
            },
            (kind, ..) => TcpEnding::Unplaced(kind),
        }
    }
}

/// The handshake's request and response as the reports say them; `wire` escapes (and may
/// mark) a header value from the wire ("—" for none), `warn` is the sign before an accept
/// that does not match its key.
pub(crate) fn handshake_words(
    c: &ConnectionReport,
    wire: &dyn Fn(&Option<String>) -> String,
    warn: &str,
) -> (String, String) {
    let hs = &c.handshake;
    let request = if hs.seen {
        format!(
            "request at packet {}: {} {}, Host {}",
            hs.request_packet.unwrap_or(0),
            if c.h2_stream.is_some() {
                "extended CONNECT (:protocol websocket)"
            } else {
                "GET"
            },
            wire(&hs.path),
            wire(&hs.host)
        )
    } else if let Some(cut) = &hs.cut {
        let how = if cut == "snaplen" {
            "cut by the capture's snap length"
        } else {
            "partly missing from the capture"
        };
        let at = hs
            .request_packet
            .map(|p| format!(" (packet {p})"))
            .unwrap_or_default();
        format!("request {how}{at}: the connection was found by its frames after it")
    } else if !c.decoded_to_end.client
        && !c
            .findings
            .iter()
            .any(|f| f.kind == crate::finding::Kind::HandshakeNotCaptured)
    {
        // The request's end is among bytes the capture lacks (a snaplen, a drop).
        "request incomplete: bytes of it are missing from the capture (see the gap findings)"
            .to_string()
    } else {
        "request not captured (the capture starts after the handshake)".to_string()
    };
    let response = match hs.status {
        Some(s) => {
            let accept = match hs.accept_valid {
                Some(true) => "Sec-WebSocket-Accept valid".to_string(),
                Some(false) => format!("{warn} Sec-WebSocket-Accept does not match the key"),
                None => "no accept check".to_string(),
            };
            format!(
                "response at packet {}: HTTP {s}, {accept}",
                hs.response_packet.unwrap_or(0)
            )
        }
        None => "response not captured".to_string(),
    };
    (request, response)
}

/// The first sentence of a catalog text (up to its first ". "): a short cause.
pub(crate) fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// `text` filled to `width` columns of display width (a wide character counts two), its
/// first line after `first`, the others after `hanging`; words are never broken or
/// hyphenated (a word longer than a line stands on a line of its own). No line end after.
pub(crate) fn fill(text: &str, first: &str, hanging: &str, width: usize) -> String {
    let opts = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(hanging)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::fill(text, opts)
}
