//! The status each application saw, and why.
//!
//! In: a connection's close frames (both directions, in delivery order), how each side's
//! TCP ended, and the handshake outcome. Out: a [`Status`]: the code of the first close frame
//! on the wire (RFC 6455 §7.1.5), 1005 when that frame had no code, 1006 when TCP ended
//! before any close frame (§7.1.5, §7.4.1), or none while the connection was still open at
//! the end of the capture; with the documented cause and fix from the catalog, and the
//! evidence (packet numbers) from this capture. Nothing is guessed: a close frame whose
//! code bytes are missing from the capture gives "unknown", not 1005.
//!
//! Size: over 800 lines because the status, its evidence and the 1006 explanations are one
//! decision, kept in one place; about a quarter is the unit tests of each case.

use super::catalog;
use super::{CloseFrame, Problem};
use crate::capture::Timestamp;
use crate::finding::{Finding, Kind};
use crate::flow::{PerSide, Role};
use crate::stack::tcp::connection::EndKind;
use crate::websocket::decoder::Stats;
use crate::websocket::frame::Opcode;
use crate::websocket::session::StreamEndKind;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt::Write as _;

/// How one side ended its half of what carried the session: the TCP connection, or the
/// HTTP/2 stream of an RFC 8441 WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub by: Role,
    pub how: EndHow,
    pub packet: u64,
    pub ts: Timestamp,
    pub order: u64,
}

/// The ways a session's carrier ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndHow {
    /// TCP's FIN or RST.
    Tcp(EndKind),
    /// An HTTP/2 stream's END_STREAM, RST_STREAM or GOAWAY (RFC 9113 §5.1, §6.4, §6.8).
    Stream { stream: u32, kind: StreamEndKind },
    /// A TLS close_notify alert (RFC 8446 §6.1, RFC 5246 §7.2.1) that came before either
    /// side ended TCP, on a session that saw no close frame: the sender closed on purpose.
    CloseNotify,
}

impl EndHow {
    /// What the ending side did: "ended TCP", "ended HTTP/2 stream 5", "reset HTTP/2
    /// stream 5", "sent GOAWAY ending HTTP/2 stream 5".
    pub fn did(&self) -> String {
        match *self {
            EndHow::Tcp(_) => "ended TCP".into(),
            EndHow::CloseNotify => "closed TLS".into(),
            EndHow::Stream { stream, kind } => match kind {
                StreamEndKind::EndStream => format!("ended HTTP/2 stream {stream}"),
                StreamEndKind::Reset(_) => format!("reset HTTP/2 stream {stream}"),
                StreamEndKind::GoAway { .. } => {
                    format!("sent GOAWAY ending HTTP/2 stream {stream}")
                }
            },
        }
    }

    /// What ended, as a clause: "TCP ended", "HTTP/2 stream 5 ended".
    pub fn ended(&self) -> String {
        match *self {
            EndHow::Tcp(_) => "TCP ended".into(),
            EndHow::CloseNotify => "TLS was closed (close_notify)".into(),
            EndHow::Stream { stream, .. } => format!("HTTP/2 stream {stream} ended"),
        }
    }
}

impl End {
    /// A TCP ending.
    pub fn tcp(by: Role, kind: EndKind, packet: u64, ts: Timestamp, order: u64) -> End {
        End {
            by,
            how: EndHow::Tcp(kind),
            packet,
            ts,
            order,
        }
    }

    /// Whether it cuts both directions at once (an RST, RST_STREAM, a GOAWAY that ends the
    /// stream), not only the sender's (FIN, END_STREAM).
    pub fn both_ways(&self) -> bool {
        match self.how {
            EndHow::Tcp(k) => k == EndKind::Rst,
            EndHow::CloseNotify => false,
            EndHow::Stream { kind, .. } => kind != StreamEndKind::EndStream,
        }
    }
}

/// The status of a connection. In JSON: `code`, `name`, `inferred`, `cause`, `fix`, where
/// `cause` is this capture's `detail` followed by the catalog's typical causes (`general`):
/// kept apart in memory so thousands of reports do not each copy the catalog text. Stored
/// (`serial`), its texts are written as where they come from (`Source`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The status code, or `None` (JSON null) when there is none to report.
    pub code: Option<u16>,
    pub name: Cow<'static, str>,
    /// True for 1005 and 1006, which are never on the wire.
    pub inferred: bool,
    /// What this capture shows, with packet numbers.
    pub detail: String,
    /// The catalog's typical causes of the code (empty when there is no code).
    pub general: &'static str,
    pub fix: Cow<'static, str>,
}

impl Status {
    /// The whole cause: this capture's detail, then the typical causes.
    pub fn cause(&self) -> String {
        if self.general.is_empty() {
            self.detail.clone()
        } else {
            format!("{} {}", self.detail, self.general)
        }
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if !s.is_human_readable() {
            return Stored::of(self)
                .ok_or_else(|| serde::ser::Error::custom("a status text of unknown origin"))?
                .serialize(s);
        }
        let mut st = s.serialize_struct("Status", 5)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("inferred", &self.inferred)?;
        st.serialize_field("cause", &Cause(self))?;
        st.serialize_field("fix", &self.fix)?;
        st.end()
    }
}

/// The stored form of a [`Status`] (`serial`).
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    code: Option<u16>,
    #[serde(borrow)]
    name: Source<'a>,
    inferred: bool,
    #[serde(borrow)]
    detail: Cow<'a, str>,
    #[serde(borrow)]
    general: Source<'a>,
    #[serde(borrow)]
    fix: Source<'a>,
}

/// Where a status text comes from, as a stored status names it.
#[derive(Serialize, Deserialize)]
enum Source<'a> {
    /// This text of the catalog row of the status's code.
    Catalog,
    /// The fix [`refusal`] gives for this HTTP status.
    Refusal(u16),
    /// One of [`FIXED`].
    Fixed(u8),
    /// Made for this connection: the text itself.
    Own(#[serde(borrow)] Cow<'a, str>),
}

/// A catalog row's text: its name, its typical causes or its fix.
type Field = fn(&catalog::Entry) -> &'static str;

const NAME: Field = |e| e.name;
const CAUSES: Field = |e| e.causes;
const FIX: Field = |e| e.fix;

/// HTTP statuses that pick each of [`refusal`]'s texts.
const REFUSALS: [u16; 9] = [400, 401, 404, 426, 429, 200, 300, 500, 0];

impl<'a> Stored<'a> {
    fn of(st: &'a Status) -> Option<Stored<'a>> {
        let code = st.code;
        Some(Stored {
            code,
            name: Source::of(&st.name, code, NAME),
            inferred: st.inferred,
            detail: Cow::Borrowed(&st.detail),
            general: Source::of_static(st.general, code, CAUSES)?,
            fix: Source::of(&st.fix, code, FIX),
        })
    }

    fn status(self) -> Option<Status> {
        let code = self.code;
        let general = match self.general.text(code, CAUSES)? {
            Cow::Borrowed(s) => s,
            Cow::Owned(_) => return None,
        };
        Some(Status {
            code,
            name: self.name.text(code, NAME)?,
            inferred: self.inferred,
            detail: self.detail.into_owned(),
            general,
            fix: self.fix.text(code, FIX)?,
        })
    }
}

impl<'a> Source<'a> {
    /// Where `text` (a status's `field`) comes from; the text itself if it was made.
    #[allow(clippy::ptr_arg)] // Borrowed or owned is what is asked.
    fn of(text: &'a Cow<'static, str>, code: Option<u16>, field: Field) -> Source<'a> {
        match text {
            Cow::Borrowed(s) => {
                Source::of_static(s, code, field).unwrap_or(Source::Own(Cow::Borrowed(s)))
            }
            Cow::Owned(s) => Source::Own(Cow::Borrowed(s)),
        }
    }

    /// Which table `text` comes from, if any.
    fn of_static(text: &'static str, code: Option<u16>, field: Field) -> Option<Source<'a>> {
        if code.is_some_and(|c| std::ptr::eq(field(catalog::lookup(c)), text)) {
            return Some(Source::Catalog);
        }
        if let Some(i) = FIXED.iter().position(|f| *f == text) {
            return u8::try_from(i).ok().map(Source::Fixed);
        }
        REFUSALS
            .into_iter()
            .find(|&c| refusal(c).1 == text)
            .map(Source::Refusal)
    }

    /// The text back: the very same static for one from a table.
    fn text(self, code: Option<u16>, field: Field) -> Option<Cow<'static, str>> {
        match self {
            Source::Catalog => code.map(|c| Cow::Borrowed(field(catalog::lookup(c)))),
            Source::Refusal(c) => Some(Cow::Borrowed(refusal(c).1)),
            Source::Fixed(i) => FIXED.get(usize::from(i)).map(|s| Cow::Borrowed(*s)),
            Source::Own(s) => Some(Cow::Owned(s.into_owned())),
        }
    }
}

/// The stored form only, as [`Serialize`] writes it for `serial`.
impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
        Stored::deserialize(d)?
            .status()
            .ok_or_else(|| serde::de::Error::custom("a status text that is not in its table"))
    }
}

/// Status texts that come from neither the catalog nor the capture (a stored status refers
/// to them by their index in [`FIXED`]).
const UPGRADE_REFUSED: &str = "Upgrade refused";
const OPEN: &str = "Open";
const OPEN_PENDING: &str = "Open (handshake pending)";
const UNKNOWN_TRUNCATED: &str = "Unknown (close frame truncated)";
const FIX_CAPTURE_TO_CLOSE: &str =
    "Capture until the connection closes (or reproduce the close while capturing).";
const FIX_FULL_SNAPLEN: &str =
    "Capture with a full snaplen (tcpdump -s 0) and without drops to see the code.";

static FIXED: [&str; 7] = [
    "",
    UPGRADE_REFUSED,
    OPEN,
    OPEN_PENDING,
    UNKNOWN_TRUNCATED,
    FIX_CAPTURE_TO_CLOSE,
    FIX_FULL_SNAPLEN,
];

/// [`Status::cause`] written straight into the serializer, without the joined string.
struct Cause<'a>(&'a Status);

impl std::fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.detail)?;
        if !self.0.general.is_empty() {
            f.write_str(" ")?;
            f.write_str(self.0.general)?;
        }
        Ok(())
    }
}

impl Serialize for Cause<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn quoted_reason(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" \"{reason}\"")
    }
}

pub(crate) fn end_phrase(e: &End) -> String {
    let (by, p) = (e.by, e.packet);
    match e.how {
        EndHow::Tcp(EndKind::Fin) => format!("the {by} closed TCP with a FIN (packet {p})"),
        EndHow::Tcp(EndKind::Rst) => format!("the {by} reset TCP with an RST (packet {p})"),
        EndHow::CloseNotify => format!("the {by} closed TLS with close_notify (packet {p})"),
        EndHow::Stream { stream, kind } => match kind {
            StreamEndKind::EndStream => {
                format!("the {by} ended HTTP/2 stream {stream} ({kind}, packet {p})")
            }
            StreamEndKind::Reset(_) => {
                format!("the {by} reset HTTP/2 stream {stream} with {kind} (packet {p})")
            }
            StreamEndKind::GoAway { .. } => {
                format!("the {by} sent {kind}, ending HTTP/2 stream {stream} (packet {p})")
            }
        },
    }
}

/// A side that reset TCP after its own FIN: `fin` is its FIN, `rst` the RST that followed,
/// `after` the peer's last frame captured between the two, if any ("the server's close
/// frame (packet 13)", and when it was captured). Adds to the status's detail what that
/// means, and to the evidence the RST, so that neither says only "FIN" of a side that
/// also reset.
pub fn explain_rst_after_fin(
    status: &mut Status,
    evidence: Option<&mut Evidence>,
    fin: &End,
    rst: &End,
    after: Option<(String, Timestamp)>,
) {
    let (by, p) = (fin.by, rst.packet);
    let when = match after {
        Some((what, at)) => format!(
            ", {} after {what}, which came after that FIN",
            Secs(rst.ts.since(at).max(0.0))
        ),
        None => String::new(),
    };
    if !status.detail.is_empty() && !status.detail.ends_with(' ') {
        status.detail.push(' ');
    }
    let _ = write!(
        status.detail,
        "After its FIN (packet {}), the {by} also reset TCP (RST, packet {p}){when}: a kernel answers with an RST data that reaches a socket its application has closed (or closes with data unread), so by then the {by}'s application had closed its socket, not only shut it for sending, and read nothing more.",
        fin.packet,
    );
    if let Some(ev) = evidence {
        let _ = write!(ev.summary, "; then the {by} reset TCP (RST, packet {p})");
        ev.packets.push(p);
        ev.packets.sort_unstable();
        ev.packets.dedup();
    }
}

/// `closes` and `ends` in any order; they are ordered here by delivery order.
/// The likely cause and fix of an HTTP status that refused an upgrade.
fn refusal(code: u16) -> (&'static str, &'static str) {
    match code {
        400 => (
            "400 usually means the request's upgrade headers were missing or wrong (Sec-WebSocket-Key, Sec-WebSocket-Version, Connection: Upgrade), often stripped by a proxy.",
            "Compare the request headers with RFC 6455 §4.1; if a proxy sits in between, make it forward Upgrade and Connection (nginx: proxy_http_version 1.1 and proxy_set_header Upgrade/Connection).",
        ),
        401 | 403 => (
            "401/403 mean the server refused the client: missing or expired credentials, or an Origin it does not allow.",
            "Send the credentials the endpoint expects (cookie, token in the query or header) and check the server's allowed Origins.",
        ),
        404 => (
            "404 means nothing serves WebSockets at that path on that host.",
            "Check the URL path and the server's route, and any path rewriting in a proxy.",
        ),
        426 => (
            "426 means the server wants another protocol version (often Sec-WebSocket-Version 13).",
            "Send Sec-WebSocket-Version: 13; read the server's Sec-WebSocket-Version header for what it accepts.",
        ),
        429 | 503 => (
            "429/503 mean the server or a proxy is overloaded or rate-limiting connections.",
            "Reconnect with exponential backoff and jitter; check rate limits and server capacity.",
        ),
        200 => (
            "200 means the server (or a proxy) treated the upgrade as a plain HTTP request: WebSocket support is off there, or a proxy dropped the Upgrade header.",
            "Enable WebSocket support on that route, and make proxies forward Upgrade and Connection.",
        ),
        300..=399 => (
            "A redirect: WebSocket clients do not follow redirects on the upgrade.",
            "Connect to the final URL directly (often ws:// → wss:// or a trailing slash).",
        ),
        500..=599 => (
            "A 5xx means the server or a gateway failed while handling the upgrade.",
            "Read the server's (or gateway's) error log for the time of the request.",
        ),
        _ => (
            "The status says why the server declined.",
            "Read the HTTP response body and headers in the capture for the server's reason.",
        ),
    }
}

/// Which directions' frames could not be followed to their end: bytes were missing where a
/// frame header (or the end of the handshake) was expected, so nothing after them was
/// decoded and a close frame of that direction may be among what is not in the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Missing {
    pub lost: PerSide<bool>,
    /// The packet where a lost direction's frames stop (its gap), when known.
    pub stops: PerSide<Option<u64>>,
    /// Bytes of either direction are missing somewhere, even where decoding kept in step
    /// (a gap inside a payload can hold what explains a code, or be what a 1006 lost).
    pub gaps: bool,
}

impl Missing {
    /// The frames `role` sent may not all be in the report.
    pub fn of(&self, role: Role) -> bool {
        *self.lost.of(role)
    }

    /// Part of the capture is missing, in step or not.
    pub fn any(&self) -> bool {
        self.gaps || self.lost.client || self.lost.server
    }
}

/// The status of an upgrade the server refused with `code`: over HTTP/1.1 a status other
/// than 101, over HTTP/2 (`h2`, RFC 8441 §5) a `:status` other than 2xx answering the
/// extended CONNECT.
pub fn refused(code: u16, h2: bool) -> Status {
    let (likely, fix) = refusal(code);
    let answered = if h2 {
        format!("The server answered the extended CONNECT (RFC 8441) with :status {code} instead of a 2xx")
    } else {
        format!("The server answered the WebSocket upgrade with HTTP {code} instead of 101")
    };
    Status {
        code: None,
        name: UPGRADE_REFUSED.into(),
        inferred: false,
        detail: format!(
            "{answered}, so no WebSocket connection was opened and no close code applies (a browser reports it as a failed connection, often with close code 1006). {likely}"
        ),
        general: "",
        fix: fix.into(),
    }
}

/// `missing` says which directions the capture lacks part of (a gap, or a direction out of
/// sync), so that a close frame may have been sent without being seen.
pub fn status(
    closes: &[&CloseFrame],
    ends: &[End],
    http_status: Option<u16>,
    upgraded: bool,
    missing: Missing,
) -> Status {
    if let Some(code) = http_status.filter(|&c| c != 101) {
        return refused(code, false);
    }
    // A close frame that breaks the rules is refused by its receiver (which then fails the
    // connection with a code of its own): it sets no status, it is evidence.
    let rejected: Vec<&CloseFrame> = closes.iter().copied().filter(|c| c.rejected()).collect();
    let valid: Vec<&CloseFrame> = closes.iter().copied().filter(|c| !c.rejected()).collect();
    let closes = valid.as_slice();
    let first_close = closes.iter().min_by_key(|c| c.order);
    let first_end = ends.iter().min_by_key(|e| e.order);
    let mut status = status_from(
        first_close.copied(),
        first_end,
        closes,
        missing,
        upgraded,
        !rejected.is_empty(),
    );
    if let Some(bad) = rejected.first() {
        let note = format!(
            " The {}'s close frame at packet {} was not a valid close ({}), so the {} could not accept it.",
            bad.from,
            bad.packet,
            bad.problem_names(),
            bad.from.peer()
        );
        let at = status
            .detail
            .find(". ")
            .map_or(status.detail.len(), |i| i + 1);
        status.detail.insert_str(at, &note);
    }
    status
}

fn status_from(
    first_close: Option<&CloseFrame>,
    first_end: Option<&End>,
    closes: &[&CloseFrame],
    missing: Missing,
    upgraded: bool,
    any_rejected: bool,
) -> Status {
    match (first_close, first_end) {
        (Some(c), e) if e.is_none_or(|e| c.order < e.order) => close_status(c, closes, missing),
        (_, Some(e)) => {
            let entry = catalog::lookup(1006);
            let late = first_close
                .map(|c| {
                    format!(
                        " A close frame from the {} came only later (packet {}).",
                        c.from, c.packet
                    )
                })
                .unwrap_or_default();
            // A refused close frame is named by the note `status` adds: "no close frame"
            // alone would deny it was sent.
            let valid = if any_rejected { "valid " } else { "" };
            let seen = if missing.any() {
                "No {valid}close frame was seen before {end}, as far as the capture shows: part of the stream is missing from it (see the gap findings), so one may have been sent and lost; without it both applications see 1006."
            } else {
                "No {valid}close frame was sent before {end}; both applications see 1006."
            };
            Status {
                code: Some(1006),
                name: entry.name.into(),
                inferred: true,
                detail: format!(
                    "{}{late}",
                    seen.replace("{valid}", valid)
                        .replace("{end}", &end_phrase(e))
                ),
                general: entry.causes,
                fix: entry.fix.into(),
            }
        }
        (_, None) => {
            let (name, cause) = if upgraded {
                (
                    OPEN,
                    "The connection was still open when the capture ended: no close frame, FIN or RST was captured.",
                )
            } else {
                (
                    OPEN_PENDING,
                    "The upgrade request was captured but no reply, close frame, FIN or RST followed before the capture ended.",
                )
            };
            Status {
                code: None,
                name: name.into(),
                inferred: false,
                detail: cause.into(),
                general: "",
                fix: FIX_CAPTURE_TO_CLOSE.into(),
            }
        }
    }
}

/// The status a close frame sets. When the peer's direction lost bytes, its reply, if any,
/// may not be in the capture.
fn close_status(c: &CloseFrame, closes: &[&CloseFrame], missing: Missing) -> Status {
    let reply = closes
        .iter()
        .filter(|r| r.from != c.from)
        .min_by_key(|r| r.order)
        .map(|r| match r.code {
            Some(code) => format!(
                " The {} replied {code}{} (packet {}).",
                r.from,
                quoted_reason(&r.reason),
                r.packet
            ),
            None => format!(
                " The {} replied with an empty close frame (packet {}).",
                r.from, r.packet
            ),
        })
        .unwrap_or_else(|| {
            let peer = c.from.peer();
            if missing.of(peer) {
                // The packet where the gap was found, which may come after the bytes it
                // lost: no claim about which close came first.
                let at = missing
                    .stops
                    .of(peer)
                    .map(|p| format!(" found at packet {p}"))
                    .unwrap_or_default();
                format!(
                    " Whether the {peer} replied is not in the capture: its frames stop at the gap{at} (see the gap findings), so its close frame may be among the missing bytes."
                )
            } else {
                format!(" The {peer} sent no close frame in reply.")
            }
        });
    match c.received_status() {
        Some(1005) if c.code.is_none() => {
            let entry = catalog::lookup(1005);
            Status {
                code: Some(1005),
                name: entry.name.into(),
                inferred: true,
                detail: format!(
                    "The {} sent a close frame with no status code (packet {}), so the {}'s application sees 1005.{reply}",
                    c.from,
                    c.packet,
                    c.from.peer(),
                ),
                general: entry.causes,
                fix: entry.fix.into(),
            }
        }
        Some(code) => {
            let entry = catalog::lookup(code);
            Status {
                code: Some(code),
                name: entry.name.into(),
                inferred: false,
                detail: format!(
                    "The {} closed with {code} ({}){} at packet {}.{reply}",
                    c.from,
                    entry.name,
                    quoted_reason(&c.reason),
                    c.packet,
                ),
                general: entry.causes,
                fix: entry.fix.into(),
            }
        }
        None => Status {
            code: None,
            name: UNKNOWN_TRUNCATED.into(),
            inferred: false,
            detail: format!(
                "The {} sent a close frame (packet {}) but its status code is not in the capture (bytes missing); no code is guessed.",
                c.from, c.packet
            ),
            general: "",
            fix: FIX_FULL_SNAPLEN.into(),
        },
    }
}

/// A span of capture time as the texts give it: to the millisecond under 10 s (so that a
/// reaction 4 ms after a message is not "0.0 s"), to the tenth of a second above.
#[derive(Debug, Clone, Copy)]
pub struct Secs(pub f64);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < 10.0 {
            write!(f, "{:.3} s", self.0)
        } else {
            write!(f, "{:.1} s", self.0)
        }
    }
}

/// If a quiet spell before a 1006 matches a well-known proxy idle timeout, which one.
pub fn idle_timeout_match(idle_s: f64) -> Option<&'static str> {
    if (57.0..=63.0).contains(&idle_s) {
        Some("about 60 s, the default idle timeout of nginx (proxy_read_timeout) and of AWS load balancers")
    } else if (97.0..=103.0).contains(&idle_s) {
        Some("about 100 s, Cloudflare's idle timeout for proxied WebSockets")
    } else {
        None
    }
}

/// Adds what the capture shows about the quiet spell before a 1006 to its cause and fix.
pub fn explain_idle(status: &mut Status, idle: &Idle) {
    if status.code != Some(1006) {
        return;
    }
    let mut s = match (&idle.unanswered, idle.last_frame_packet) {
        (Some(u), _) => format!(
            " The last WebSocket frame was {}, {} before the {} {} with no frame in reply",
            u.phrase(),
            Secs(idle.seconds),
            u.from.peer(),
            idle.how.did()
        ),
        (None, Some(p)) => format!(
            " The last WebSocket frame was at packet {p}, {} before {}",
            Secs(idle.seconds),
            idle.how.ended()
        ),
        (None, None) => format!(
            " No WebSocket frame was seen; {} {} after the handshake",
            idle.how.ended(),
            Secs(idle.seconds)
        ),
    };
    match (idle.last_ping_packet, idle.last_pong_packet) {
        (None, None) => s.push_str("; no ping or pong was sent at all."),
        (ping, pong) => {
            let f = |p: Option<u64>| p.map_or("none".to_string(), |p| format!("packet {p}"));
            let _ = write!(s, "; last ping: {}, last pong: {}.", f(ping), f(pong));
        }
    }
    if let Some(u) = &idle.unanswered {
        let by = u.from.peer();
        let _ = write!(s, " The {by} reacted to that message: an endpoint that drops the connection right after one usually failed on it (a message over its size limit dropped without a 1009 close frame, a handler that raised, a message it could not parse), or its application chose to leave without closing; the {by}'s logs for that moment say which."
        );
        status.fix = format!(
            "Read the {by}'s logs at the time of packet {}. If the message was over its size limit, raise the limit or have the {by} close with 1009 before dropping the connection; if its handler failed, catch the error and close with 1011; either way the {} then learns why instead of seeing 1006. {}",
            u.packet,
            u.from,
            status.fix
        )
        .into();
    }
    if let Some(m) = idle_timeout_match(idle.seconds) {
        // Without the proxy's other leg in the capture, the side that ended TCP may be a
        // proxy as well as the application: say so rather than assert either.
        let peer = match idle.ended_by {
            Some(Role::Client) => "the peer (a proxy or the client)",
            _ => "the peer (a proxy or the server)",
        };
        let _ = write!(
            s,
            " That quiet spell is {m}: {peer} most likely closed the idle connection on a timeout."
        );
        status.fix = format!(
            "Keep the connection busy: send a ping (or an application heartbeat) well inside the timeout, for example every 20-30 s, or raise the proxy's idle timeout. {}",
            status.fix
        )
        .into();
    }
    let at = status
        .detail
        .find("see 1006.")
        .map_or(0, |i| i + "see 1006.".len());
    status.detail.insert_str(at, &s);
}

/// The quiet spell before a connection ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Idle {
    pub seconds: f64,
    /// What ended: TCP, or the session's HTTP/2 stream.
    pub how: EndHow,
    pub last_frame_packet: Option<u64>,
    pub last_ping_packet: Option<u64>,
    pub last_pong_packet: Option<u64>,
    /// The side that ended TCP first.
    pub ended_by: Option<Role>,
    /// The message the side that ended TCP had just received, when it ended TCP soon after
    /// and sent no frame in between.
    pub unanswered: Option<Unanswered>,
}

/// How soon after a message a TCP end counts as the receiver's reaction to it.
pub const REACTION_S: f64 = 1.0;

/// The last frame of a connection: a complete data message from one side, after which the
/// other side ended TCP within [`REACTION_S`] without a frame of its own. What a server (or
/// client) that fails on a message looks like on the wire: a message over its size limit
/// dropped without a 1009, a handler that raised, a parse error treated as fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unanswered {
    /// Who sent the message (the peer of the side that ended TCP).
    pub from: Role,
    pub opcode: Opcode,
    /// Its payload bytes.
    pub size: u64,
    /// The packet where it ended.
    pub packet: u64,
}

impl Unanswered {
    /// The message `by` (the side that ended TCP at packet `end`, time `at`) left
    /// unanswered, from what each side `sent`.
    pub fn find(by: Role, sent: PerSide<&Stats>, end: u64, at: Timestamp) -> Option<Unanswered> {
        let (theirs, mine) = (*sent.of(by.peer()), *sent.of(by));
        let (opcode, size, packet) = theirs.last_message?;
        // The peer's last frame ended that message, and `by` sent nothing after it.
        let (last, sent_at) = theirs.last_frame?;
        let nothing_after = mine.last_frame.is_none_or(|(p, _)| p < packet);
        let soon = at.since(sent_at) <= REACTION_S;
        (last == packet && nothing_after && packet < end && soon).then_some(Unanswered {
            from: by.peer(),
            opcode,
            size,
            packet,
        })
    }

    /// "the client's 100-byte text message (packet 8)"
    pub fn phrase(&self) -> String {
        format!(
            "the {}'s {}-byte {} message (packet {})",
            self.from,
            self.size,
            self.opcode.name(),
            self.packet
        )
    }
}

/// What the capture shows that explains (or contradicts) the status, with packet numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Evidence {
    /// One line, for the table.
    pub summary: String,
    /// The packets that show it.
    pub packets: Vec<u64>,
    /// False when the code and the capture disagree (e.g. a 1002 with no violation visible).
    pub consistent: bool,
}

/// Facts about a connection that evidence is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The first close frame on the wire that its receiver could accept, if any.
    pub first_close: Option<&'a CloseFrame>,
    /// The first close frame its receiver had to refuse (it breaks a rule), if any.
    pub refused_close: Option<&'a CloseFrame>,
    pub findings: &'a [Finding],
    /// Frame statistics of what each side sent.
    pub sent: PerSide<&'a Stats>,
    pub first_end: Option<End>,
    pub idle: Option<Idle>,
    /// Part of a stream is missing from the capture.
    pub missing: bool,
}

/// The evidence for `status`: for 1002 the violations that preceded it, for 1007 the
/// offending message, for 1009 the largest message, for 1003 the message type before it,
/// for 1005 the empty close frame, for 1006 how TCP ended and the quiet spell before it.
pub fn evidence(status: &Status, f: &Facts<'_>) -> Option<Evidence> {
    let code = status.code?;
    if code == 1006 {
        let e = f.first_end?;
        let mut summary = String::new();
        let mut packets = Vec::new();
        // A close frame its receiver refused came before TCP ended: it is why no close
        // handshake took place, so it leads the evidence.
        if let Some(bad) = f.refused_close.filter(|c| c.order < e.order) {
            let _ = write!(
                summary,
                "the {}'s close frame (packet {}) could not be accepted ({}); then ",
                bad.from,
                bad.packet,
                bad.problem_names()
            );
            packets.push(bad.packet);
        }
        summary.push_str(&end_phrase(&e));
        match f.idle {
            Some(Idle {
                seconds,
                unanswered: Some(u),
                ..
            }) => {
                let _ = write!(
                    summary,
                    ", {} after {}, unanswered",
                    Secs(seconds),
                    u.phrase()
                );
                packets.push(u.packet);
            }
            Some(idle) => {
                let _ = write!(summary, ", {} after the last frame", Secs(idle.seconds));
                if idle_timeout_match(idle.seconds).is_some() {
                    summary.push_str(" (an idle timeout of the peer, a proxy or the ");
                    summary.push_str(e.by.as_str());
                    summary.push_str("?)");
                }
            }
            None => {}
        }
        packets.push(e.packet);
        packets.sort_unstable();
        return Some(Evidence {
            summary,
            packets,
            consistent: true,
        });
    }
    let close = f.first_close?;
    let peer = close.from.peer();
    let before = |x: &&Finding| x.from == Some(peer) && x.packet.is_none_or(|p| p <= close.packet);
    let unseen = |what: &str| {
        let why = if f.missing {
            "part of the capture is missing, so it may be there"
        } else {
            "the code and the capture disagree"
        };
        Evidence {
            summary: format!(
                "no {what} from the {peer} is visible before the close (packet {}): {why}",
                close.packet
            ),
            packets: vec![close.packet],
            consistent: f.missing,
        }
    };
    let listed = |items: Vec<&Finding>| {
        let mut packets: Vec<u64> = items.iter().filter_map(|x| x.packet).collect();
        packets.dedup();
        let mut kinds: Vec<&str> = items.iter().map(|x| x.kind.as_str()).collect();
        kinds.dedup();
        Evidence {
            summary: format!(
                "the {peer} broke the protocol first: {} (packet{} {})",
                kinds.join(", "),
                if packets.len() == 1 { "" } else { "s" },
                packets
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            packets,
            consistent: true,
        }
    };
    match code {
        1002 => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| x.kind.is_violation() && x.kind != Kind::InvalidUtf8Text)
                .collect();
            Some(if v.is_empty() { unseen("protocol violation") } else { listed(v) })
        }
        1007 => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| {
                    matches!(x.kind, Kind::InvalidUtf8Text | Kind::InflateFailed)
                        || (x.kind == Kind::MalformedClose && x.detail.contains(Problem::ReasonNotUtf8.as_str()))
                })
                .collect();
            Some(match v.first() {
                None => unseen("invalid UTF-8 text or undecodable compressed message"),
                Some(x) => Evidence {
                    summary: format!("the {peer}'s message at packet {}: {}", x.packet.unwrap_or(0), x.detail),
                    packets: x.packet.into_iter().collect(),
                    consistent: true,
                },
            })
        }
        1009 => {
            let sent = *f.sent.of(peer);
            let (what, size, packet) = match (sent.largest_message, sent.largest_frame) {
                (Some((size, packet)), _) => ("message".to_string(), size, packet),
                (None, Some((size, packet, op))) => (format!("frame ({op})"), size, packet),
                (None, None) => return Some(unseen("message")),
            };
            Some(Evidence {
                summary: format!(
                    "the largest {what} from the {peer} was {size} bytes (packet {packet}); the {} closed because it is over its limit",
                    close.from
                ),
                packets: vec![packet],
                consistent: true,
            })
        }
        1003 => f.sent.of(peer).last_message.map(|(op, size, packet)| Evidence {
            summary: format!("the {peer}'s last message before the close was {op} ({size} bytes, packet {packet})"),
            packets: vec![packet],
            consistent: true,
        }),
        1005 => Some(Evidence {
            summary: format!(
                "the {} sent a close frame with no status code (packet {}): close() was called without a code",
                close.from, close.packet
            ),
            packets: vec![close.packet],
            consistent: true,
        }),
        _ => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| x.kind.is_violation())
                .collect();
            (!v.is_empty()).then(|| listed(v))
        }
    }
}

/// The closing handshake (RFC 6455 §5.5.1, §7.1.1-§7.1.4): who started it, how the peer
/// answered, and who closed TCP first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct CloseHandshake {
    pub initiator: Role,
    /// The peer's close frame, if it sent one: its code (null for an empty one).
    pub reply: bool,
    pub reply_code: Option<u16>,
    /// No reply was seen, but bytes of the peer's direction are missing: it may have sent
    /// one that is not in the capture.
    pub reply_may_be_missing: bool,
    /// The reply carried the same code as the initiator's frame (the usual, polite answer).
    pub echoed: bool,
    /// Seconds from the initiator's close frame to the reply.
    pub reply_after_s: Option<f64>,
    /// Who ended TCP first after the close frames (RFC 6455 §7.1.1: the server should).
    /// For a WebSocket on an HTTP/2 stream (RFC 8441), who ended the stream first
    /// (END_STREAM, RST_STREAM, or a GOAWAY that covers it), or the TCP connection if
    /// that came first: the field keeps its name for the contract's sake.
    pub tcp_closed_first_by: Option<Role>,
}

pub fn close_handshake(
    closes: &[&CloseFrame],
    ends: &[End],
    missing: Missing,
) -> Option<CloseHandshake> {
    let first = closes.iter().min_by_key(|c| c.order)?;
    let reply = closes
        .iter()
        .filter(|c| c.from != first.from)
        .min_by_key(|c| c.order);
    let first_end = ends.iter().min_by_key(|e| e.order);
    Some(CloseHandshake {
        initiator: first.from,
        reply: reply.is_some(),
        reply_code: reply.and_then(|r| r.code),
        reply_may_be_missing: reply.is_none() && missing.of(first.from.peer()),
        echoed: reply.is_some_and(|r| r.code == first.code),
        // A reply stamped before the close it answers (capture times out of order) has
        // no delay that can be told: none rather than a negative one.
        reply_after_s: reply
            .filter(|r| r.ts >= first.ts)
            .map(|r| (r.ts.since(first.ts) * 1e6).round() / 1e6),
        tcp_closed_first_by: first_end.filter(|e| e.order > first.order).map(|e| e.by),
    })
}

/// The status the application on side `role` saw: the code in the peer's close frame (1005
/// if it had none) when it arrived before the peer's direction ended (a FIN from the peer,
/// or an RST from either side); else none when bytes of the peer's direction are missing
/// (its close frame may be among them: no 1006 is guessed); else 1006 if TCP ended; else
/// none (still open).
pub fn seen_by(role: Role, closes: &[&CloseFrame], ends: &[End], missing: Missing) -> Option<u16> {
    let from_peer = closes
        .iter()
        .filter(|c| c.from == role.peer() && !c.rejected())
        .min_by_key(|c| c.order);
    let cut_off = ends
        .iter()
        .filter(|e| e.by == role.peer() || e.both_ways())
        .map(|e| e.order)
        .min();
    match from_peer {
        Some(c) if cut_off.is_none_or(|e| c.order < e) => c.received_status(),
        None if missing.of(role.peer()) => None,
        _ if !ends.is_empty() => Some(1006),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    /// Under 10 s a span keeps its milliseconds (a 4 ms reaction is not "0.0 s"); above,
    /// a tenth of a second is enough and matches the proxies' timeouts as people say them.
    #[test]
    fn spans_of_time_keep_the_digits_that_matter() {
        assert_eq!(Secs(0.0042).to_string(), "0.004 s");
        assert_eq!(Secs(0.0).to_string(), "0.000 s");
        assert_eq!(Secs(9.9994).to_string(), "9.999 s");
        assert_eq!(Secs(10.0).to_string(), "10.0 s");
        assert_eq!(Secs(60.04).to_string(), "60.0 s");
    }

    use super::*;

    const NONE: Missing = Missing {
        lost: PerSide {
            client: false,
            server: false,
        },
        stops: PerSide {
            client: None,
            server: None,
        },
        gaps: false,
    };
    const BOTH: Missing = Missing {
        lost: PerSide {
            client: true,
            server: true,
        },
        gaps: true,
        ..NONE
    };

    fn close(from: Role, payload: &[u8], order: u64) -> CloseFrame {
        CloseFrame::parse(
            from,
            payload,
            true,
            payload.len() as u64,
            order,
            Timestamp(0),
            order,
        )
    }

    fn end(by: Role, kind: EndKind, order: u64) -> End {
        End::tcp(by, kind, order, Timestamp(0), order)
    }

    #[test]
    fn initiator_code_wins() {
        let a = close(Role::Server, b"\x03\xf0policy", 5);
        let b = close(Role::Client, b"\x03\xe8", 7);
        let s = status(
            &[&b, &a],
            &[end(Role::Server, EndKind::Fin, 9)],
            Some(101),
            true,
            NONE,
        );
        assert_eq!((s.code, s.inferred), (Some(1008), false));
        assert!(
            s.cause().contains("server closed with 1008"),
            "{}",
            s.cause()
        );
        assert!(s.cause().contains("client replied 1000"), "{}", s.cause());
        assert_eq!(seen_by(Role::Client, &[&a, &b], &[], NONE), Some(1008));
        assert_eq!(seen_by(Role::Server, &[&a, &b], &[], NONE), Some(1000));
    }

    #[test]
    fn empty_close_is_1005_inferred() {
        let a = close(Role::Client, b"", 3);
        let s = status(&[&a], &[], Some(101), true, NONE);
        assert_eq!((s.code, s.inferred), (Some(1005), true));
    }

    #[test]
    fn tcp_end_before_close_is_1006() {
        let s = status(
            &[],
            &[end(Role::Client, EndKind::Rst, 4)],
            Some(101),
            true,
            NONE,
        );
        assert_eq!((s.code, s.inferred), (Some(1006), true));
        assert!(
            s.cause()
                .contains("client reset TCP with an RST (packet 4)"),
            "{}",
            s.cause()
        );
        let late = close(Role::Server, b"\x03\xe8", 9);
        let s = status(
            &[&late],
            &[end(Role::Client, EndKind::Fin, 4)],
            Some(101),
            true,
            NONE,
        );
        assert_eq!(s.code, Some(1006));
        let lost = status(
            &[],
            &[end(Role::Client, EndKind::Fin, 4)],
            Some(101),
            true,
            BOTH,
        );
        assert!(
            lost.cause().contains("may have been sent and lost"),
            "{}",
            lost.cause()
        );
        assert_eq!(
            seen_by(
                Role::Server,
                &[&late],
                &[end(Role::Client, EndKind::Fin, 4)],
                NONE
            ),
            Some(1006)
        );
        // The initiator half-closed first; the reply still reaches it.
        let first = close(Role::Server, b"\x03\xea", 2);
        let reply = close(Role::Client, b"\x03\xea", 6);
        let ends = [end(Role::Server, EndKind::Fin, 4)];
        assert_eq!(
            seen_by(Role::Server, &[&first, &reply], &ends, NONE),
            Some(1002)
        );
        assert_eq!(
            seen_by(Role::Client, &[&first, &reply], &ends, NONE),
            Some(1002)
        );
    }

    /// The status of an upgraded connection that the server ended with a FIN at `packet`,
    /// with no close frame.
    fn server_fin_status(packet: u64) -> Status {
        status(
            &[],
            &[end(Role::Server, EndKind::Fin, packet)],
            Some(101),
            true,
            NONE,
        )
    }

    #[test]
    fn idle_sixty_seconds_points_at_a_proxy() {
        let mut s = server_fin_status(4);
        let idle = Idle {
            seconds: 60.02,
            how: EndHow::Tcp(EndKind::Fin),
            last_frame_packet: Some(7),
            last_ping_packet: None,
            last_pong_packet: None,
            ended_by: Some(Role::Server),
            unanswered: None,
        };
        explain_idle(&mut s, &idle);
        assert!(
            s.cause().contains("packet 7, 60.0 s before TCP ended"),
            "{}",
            s.cause()
        );
        assert!(s.cause().contains("no ping or pong"), "{}", s.cause());
        assert!(s.cause().contains("nginx"), "{}", s.cause());
        // Only one leg is known: the side that ended it may be a proxy or the server.
        assert!(
            s.cause()
                .contains("the peer (a proxy or the server) most likely closed"),
            "{}",
            s.cause()
        );
        assert!(s.fix.starts_with("Keep the connection busy"), "{}", s.fix);
        let mut s = server_fin_status(4);
        explain_idle(
            &mut s,
            &Idle {
                seconds: 12.0,
                how: EndHow::Tcp(EndKind::Fin),
                ..idle
            },
        );
        assert!(
            !s.cause().contains("That quiet spell") && !s.fix.starts_with("Keep"),
            "{}",
            s.cause()
        );
        assert!(s.cause().contains("packet 7, 12.0 s before TCP ended"));
        // A short quiet spell keeps its milliseconds.
        let mut s = server_fin_status(4);
        explain_idle(
            &mut s,
            &Idle {
                seconds: 0.25,
                how: EndHow::Tcp(EndKind::Fin),
                ..idle
            },
        );
        assert!(
            s.cause().contains("packet 7, 0.250 s before TCP ended"),
            "{}",
            s.cause()
        );
        assert!(idle_timeout_match(100.4).is_some_and(|m| m.contains("Cloudflare")));
    }

    #[test]
    fn an_end_right_after_a_message_is_a_reaction_to_it() {
        let t = |ms: u32| Timestamp::from_parts(0, ms * 1_000_000);
        let client = Stats {
            last_message: Some((Opcode::TEXT, 100, 8)),
            last_frame: Some((8, t(2))),
            ..Stats::default()
        };
        let server = Stats {
            last_frame: Some((6, t(1))),
            ..Stats::default()
        };
        let sent = |client, server| PerSide { client, server };
        let u = Unanswered::find(Role::Server, sent(&client, &server), 9, t(6)).unwrap();
        assert_eq!((u.from, u.size, u.packet), (Role::Client, 100, 8));
        assert_eq!(u.phrase(), "the client's 100-byte text message (packet 8)");
        // Too long after it to be a reaction; or the end came from the message's sender.
        assert!(Unanswered::find(Role::Server, sent(&client, &server), 9, t(1502)).is_none());
        assert!(Unanswered::find(Role::Client, sent(&client, &server), 9, t(6)).is_none());
        // The server answered (a frame of its own after the message).
        let answered = Stats {
            last_frame: Some((9, t(3))),
            ..server
        };
        assert!(Unanswered::find(Role::Server, sent(&client, &answered), 10, t(6)).is_none());
        // The client's last frame was a ping after the message, not the message itself.
        let pinged = Stats {
            last_frame: Some((9, t(3))),
            ..client
        };
        assert!(Unanswered::find(Role::Server, sent(&pinged, &server), 10, t(6)).is_none());
        // The explanation names the message and who reacted to it.
        let mut st = server_fin_status(9);
        explain_idle(
            &mut st,
            &Idle {
                seconds: 0.004,
                how: EndHow::Tcp(EndKind::Fin),
                last_frame_packet: Some(8),
                last_ping_packet: None,
                last_pong_packet: None,
                ended_by: Some(Role::Server),
                unanswered: Some(u),
            },
        );
        assert!(
            st.cause().contains("The last WebSocket frame was the client's 100-byte text message (packet 8), 0.004 s before the server ended TCP with no frame in reply")
                && st.cause().contains("The server reacted to that message"),
            "{}",
            st.cause()
        );
        assert!(
            st.fix
                .starts_with("Read the server's logs at the time of packet 8.")
                && st.fix.contains("the client then learns why"),
            "{}",
            st.fix
        );
    }

    #[test]
    fn closing_handshake() {
        let a = close(Role::Client, b"\x03\xe8bye", 3);
        let b = close(Role::Server, b"\x03\xe9", 5);
        let h = close_handshake(&[&b, &a], &[end(Role::Client, EndKind::Fin, 7)], NONE).unwrap();
        assert_eq!(h.initiator, Role::Client);
        assert_eq!((h.reply, h.reply_code, h.echoed), (true, Some(1001), false));
        assert_eq!(h.tcp_closed_first_by, Some(Role::Client));
        let h = close_handshake(&[&a], &[], NONE).unwrap();
        assert!(!h.reply && h.tcp_closed_first_by.is_none());
        assert!(close_handshake(&[], &[], NONE).is_none());
    }

    /// Bytes of the client's direction are missing: that it did not reply, and that the
    /// server saw 1006, are not claimed; the server's own close still sets the status.
    #[test]
    fn no_reply_is_not_claimed_when_the_peer_lost_bytes() {
        let first = close(Role::Server, b"\x03\xf0token expired", 9);
        let ends = [end(Role::Client, EndKind::Fin, 11)];
        let client_lost = Missing {
            lost: PerSide {
                client: true,
                server: false,
            },
            stops: PerSide {
                client: Some(4),
                server: None,
            },
            gaps: true,
        };
        let s = status(&[&first], &ends, Some(101), true, client_lost);
        assert_eq!((s.code, s.inferred), (Some(1008), false));
        assert!(
            s.cause()
                .contains("Whether the client replied is not in the capture")
                && !s.cause().contains("sent no close frame"),
            "{}",
            s.cause()
        );
        assert!(
            s.cause()
                .contains("its frames stop at the gap found at packet 4"),
            "{}",
            s.cause()
        );
        assert_eq!(seen_by(Role::Server, &[&first], &ends, client_lost), None);
        assert_eq!(
            seen_by(Role::Client, &[&first], &ends, client_lost),
            Some(1008)
        );
        let h = close_handshake(&[&first], &ends, client_lost).unwrap();
        assert!(!h.reply && h.reply_may_be_missing);
        // The same with every byte there: no reply, and the server saw 1006.
        let s = status(&[&first], &ends, Some(101), true, NONE);
        assert!(s
            .cause()
            .contains("The client sent no close frame in reply."));
        assert_eq!(seen_by(Role::Server, &[&first], &ends, NONE), Some(1006));
        assert!(
            !close_handshake(&[&first], &ends, NONE)
                .unwrap()
                .reply_may_be_missing
        );
        // Only the initiator's own direction lost bytes: the missing reply is still a fact.
        let server_lost = Missing {
            lost: PerSide {
                client: false,
                server: true,
            },
            ..NONE
        };
        assert_eq!(
            seen_by(Role::Server, &[&first], &ends, server_lost),
            Some(1006)
        );
    }

    #[test]
    fn open_and_refused() {
        let s = status(&[], &[], Some(101), true, NONE);
        assert_eq!(s.code, None);
        assert_eq!(s.name, "Open");
        let s = status(&[], &[], Some(403), false, NONE);
        assert_eq!((s.code, &*s.name), (None, "Upgrade refused"));
        assert!(
            s.cause().contains("HTTP 403") && s.cause().contains("Origin"),
            "{}",
            s.cause()
        );
    }

    #[test]
    fn truncated_close_is_unknown() {
        let c = CloseFrame::parse(Role::Client, b"", false, 2, 8, Timestamp(0), 8);
        let s = status(&[&c], &[], Some(101), true, NONE);
        assert_eq!(s.code, None);
        assert!(s.name.starts_with("Unknown"));
    }
}
