//! One connection's facts as every report shows them: built once here, worded by no renderer.
//!
//! In: a [`ConnectionReport`], the inputs (to place its packets in rotated files) and the
//! fix its status group shares (so that a connection's section says only its own). Out:
//! labelled [`Fact`]s, each of a [`FactKind`], in the order the reports show them (the
//! application's verdict, what the capture shows, the evidence, the connection's own fix;
//! then proxy leg, the points of its path, tunnel, TLS, what each application saw, time,
//! handshake, TCP and HTTP/2 stream endings, the quiet spell, the Wireshark filter), each
//! made of [`Piece`]s that say which text is the tool's, which came from the wire, which is
//! a filter or a warning, and the packets it cites; a status cell's lead line
//! ([`lead_line`]); a close code's name and gist ([`code_name`], [`code_gist`]) for the
//! lines of a live capture; who closed it and the codes sent ([`closed_by`], [`codes`]),
//! the one rule for every report. Markdown's and HTML's connection sections, the table's
//! status cells, live lines and the annotated capture's comments render these: no renderer
//! looks up the close-code catalog or the diagnosis itself.

use super::ConnectionReport;
use crate::close::catalog;
use crate::units::Secs;
use crate::vocab::{EndKind, InputSummary, Role, TcpEndName};

/// A piece of a fact's text.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// The tool's own words.
    Text(String),
    /// Text from the wire (a header value): escaped, and marked as such where a format can.
    Wire(String),
    /// A display filter to copy.
    Code(String),
    /// A warning: the sign, then the words.
    Warn(String),
    /// The other leg of a proxied connection: its id (a link where the format has them).
    Leg(u64),
}

/// Where a fact stands in a connection's section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Above everything: what the application and the capture say.
    Headline,
    /// Under the headline: the evidence and the connection's own fix.
    Lead,
    /// A row of the connection's list of facts.
    Row,
}

/// What a fact states: a reader (the annotated capture's comments) picks facts by their
/// kind, never by comparing their labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactKind {
    /// The application protocol's verdict.
    Application,
    /// A side's last message before the end.
    LastWords,
    /// What the capture shows: the diagnosis, on the packet it rests on ([`decisive`]).
    Shows,
    /// The evidence for the status, on its own packets.
    Evidence,
    /// The incident and reconnect the connection belongs to.
    Incident,
    /// The connection's own fix.
    Fix,
    /// The forward proxy's CONNECT tunnel it went through.
    ForwardProxy,
    /// A leg of a proxied session.
    Proxied,
    /// The points of its path it was captured at (issue 103), and where its packets were.
    Points,
    /// The tunnel (encapsulation) it was carried in.
    Tunnel,
    /// Its TLS layer (wss://).
    Tls,
    /// The codes each application saw.
    SeenBy,
    /// Its time span and packets.
    Time,
    /// The opening handshake.
    Handshake,
    /// How TCP ended.
    TcpEnded,
    /// How its HTTP/2 stream ended.
    StreamEnded,
    /// The quiet spell before the end.
    Quiet,
    /// Its Wireshark display filter.
    Wireshark,
}

impl FactKind {
    /// The label a fact of this kind has, in the tool's words (an HTTP/2 stream's names its
    /// stream: [`facts`] words it).
    pub fn label(self) -> &'static str {
        match self {
            FactKind::Application => "Application",
            FactKind::LastWords => "Last words",
            FactKind::Shows => SHOWS,
            FactKind::Evidence => "Evidence",
            FactKind::Incident => "Incident",
            FactKind::Fix => "Fix for this connection",
            FactKind::ForwardProxy => "Forward proxy",
            FactKind::Proxied => "Proxied",
            FactKind::Points => "Seen at two points",
            FactKind::Tunnel => "Tunnel",
            FactKind::Tls => "TLS (wss://)",
            FactKind::SeenBy => "Seen by the applications",
            FactKind::Time => "Time",
            FactKind::Handshake => "Handshake",
            FactKind::TcpEnded => "TCP ended",
            FactKind::StreamEnded => "HTTP/2 stream ended",
            FactKind::Quiet => "Quiet before the end",
            FactKind::Wireshark => "Wireshark",
        }
    }

    /// Where a fact of this kind stands in a connection's section.
    pub fn place(self) -> Place {
        match self {
            FactKind::Application | FactKind::LastWords | FactKind::Shows => Place::Headline,
            FactKind::Evidence | FactKind::Incident | FactKind::Fix => Place::Lead,
            _ => Place::Row,
        }
    }
}

/// One labelled fact of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// What it states.
    pub kind: FactKind,
    /// The label, in the tool's words ([`FactKind::label`], an HTTP/2 stream's with its
    /// number).
    pub label: String,
    /// Text from the wire the label names ("Application (socket.io)").
    pub label_of: Option<String>,
    /// Where it stands in a connection's section.
    pub place: Place,
    /// Its text.
    pub line: Vec<Piece>,
    /// Lines under it (a warning about the TLS layer, a narrower filter).
    pub more: Vec<Vec<Piece>>,
    /// The packets it cites.
    pub packets: Vec<u64>,
}

impl Fact {
    fn new(kind: FactKind, line: Vec<Piece>) -> Fact {
        Fact {
            kind,
            label: kind.label().to_string(),
            label_of: None,
            place: kind.place(),
            line,
            more: Vec::new(),
            packets: Vec::new(),
        }
    }

    /// The fact as plain text, in one line ("Handshake: request at packet 4: …"), its wire
    /// text as it is (a caller that prints it escapes it).
    pub fn plain(&self) -> String {
        let mut s = self.label.clone();
        if let Some(of) = &self.label_of {
            s.push_str(&format!(" ({of})"));
        }
        s.push_str(": ");
        s.push_str(&plain(&self.line));
        for m in &self.more {
            s.push_str("; ");
            s.push_str(&plain(m));
        }
        s
    }
}

/// Pieces as plain text.
pub fn plain(pieces: &[Piece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) | Piece::Wire(t) | Piece::Code(t) => s.push_str(t),
            Piece::Warn(t) => {
                s.push_str("⚠ ");
                s.push_str(t);
            }
            Piece::Leg(id) => s.push_str(&format!(" (the other leg: connection {id})")),
        }
    }
    s
}

fn text(t: impl Into<String>) -> Piece {
    Piece::Text(t.into())
}

/// A header value from the wire, "—" when there is none.
fn wire(v: &Option<String>) -> Piece {
    match v {
        Some(v) => Piece::Wire(v.clone()),
        None => text("—"),
    }
}

/// The application's cause in one line ("socket.io: ping timeout (ended by the client)"),
/// when its messages said why.
pub fn app_line(a: &crate::vocab::ApplicationReport) -> Option<String> {
    let cause = a.cause.as_deref()?;
    Some(match a.ended_by {
        Some(by) => format!("{}: {cause} (ended by the {by})", a.protocol),
        None => format!("{}: {cause}", a.protocol),
    })
}

/// A refused upgrade's status and the server's reason from the response's body ("HTTP 400:
/// \"Failed to open a WebSocket connection: missing subprotocol.\""), when it gave one.
pub fn refusal_line(c: &ConnectionReport) -> Option<String> {
    c.status.causes.iter().find_map(|cause| match cause {
        crate::report::Cause::UpgradeRefused {
            http_status,
            body: Some(body),
            ..
        } => Some(format!("HTTP {http_status} refusal: \"{body}\"")),
        _ => None,
    })
}

/// What the report says of the application: how it was recognized, and its cause with the
/// summary and fix when its messages said why.
pub fn app_text(a: &crate::vocab::ApplicationReport) -> String {
    let mut s = match &a.version {
        Some(v) => format!("{v}, recognized by {}", a.recognized_by),
        None => format!("recognized by {}", a.recognized_by),
    };
    match (&a.cause, &a.summary) {
        (Some(c), Some(sum)) => s.push_str(&format!(". {c}: {sum}")),
        (Some(c), None) => s.push_str(&format!(". {c}")),
        (None, Some(sum)) => s.push_str(&format!(
            ". Its messages do not say why the session ended: {sum}"
        )),
        (None, None) => s.push_str(". Its messages do not say why the session ended"),
    }
    if let Some(fix) = &a.fix {
        s.push_str(&format!(". Fix: {fix}"));
    }
    s
}

/// The line a status cell starts with: what set the ending off (a framework's HTTP response
/// in the stream, the message a close frame answered: `words::trigger`); else the
/// application's own words, when its protocol said
/// why; else a heartbeat that gave up; else a refused upgrade's reason from its body; else a
/// proxy that closed both legs itself (reloaded or stopped), which the close frames alone
/// would show as an ordinary close.
pub fn lead_line(c: &ConnectionReport) -> Option<String> {
    crate::report::words::trigger::trigger_line(&c.status.causes)
        .or_else(|| crate::report::words::stated::own_line(&c.status.causes))
        .or_else(|| c.application.as_ref().and_then(app_line))
        .or_else(|| crate::report::words::app::last_words_line(&c.status.causes))
        .or_else(|| crate::report::words::app::heartbeat_line(&c.status.causes))
        .or_else(|| refusal_line(c))
        .or_else(|| crate::report::words::proxy::reload_line(&c.status.causes))
}

/// A clean close code: 1000 (Normal Closure) or 1001 (Going Away). The one test of the
/// code that [`clean_close`], [`clean_key`] and a status group's cleanness rest on.
pub fn clean_code(code: Option<u16>) -> bool {
    matches!(code, Some(1000 | 1001))
}

/// A status key of `summary.by_status` ("1000", "1006", "open") that names a clean close
/// code: the keys of [`clean_code`]'s codes.
pub fn clean_key(key: &str) -> bool {
    matches!(key, "1000" | "1001")
}

/// A clean close: 1000 or 1001 without a protocol violation, that each application got as
/// a clean close too, and whose reason names nothing to fix. Every report decides it here:
/// the order of the tables and sections (problems first), the colours, `--problems`.
pub fn clean_close(c: &ConnectionReport) -> bool {
    clean_code(c.status.code)
        && !c.findings.iter().any(|f| f.kind.is_violation())
        // A clean code that an application did not get: the peer's reply was no valid
        // close frame (lighttpd's "1000" as text, read as 12592), so its library saw 1006.
        && [c.seen_by.client, c.seen_by.server]
            .into_iter()
            .flatten()
            .all(|s| matches!(s, 1000 | 1001 | 1005))
        // A clean code whose reason's words name something to fix ("ping timed out").
        && !c.status.causes.iter().any(|k| {
            matches!(k, crate::report::Cause::ReasonWords { names, .. }
                if crate::report::words::reason::is_problem(names))
        })
        // A clean code right after a last message that reads as an error.
        && !c
            .status
            .causes
            .iter()
            .any(|k| matches!(k, crate::report::Cause::LastWords { .. }))
        // A close that answered the peer's message: its handler failed on it or rejected it.
        && !c
            .status
            .causes
            .iter()
            .any(|k| matches!(k, crate::report::Cause::CloseAnswersMessage { .. }))
}

/// Why a side's close frame is not in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoClose {
    /// The side's packets were not captured.
    NotCaptured,
    /// Its frames were read to the end: it sent none.
    NotSent,
    /// Its frames stop at a gap: one may have been sent there or after it.
    BytesMissing,
}

impl NoClose {
    /// In words, after the side's name ("server: no close frame"): the one wording of every
    /// row that says it.
    pub fn words(self) -> &'static str {
        match self {
            NoClose::NotCaptured => "packets not captured",
            NoClose::NotSent => "no close frame",
            NoClose::BytesMissing => "none seen (bytes missing)",
        }
    }
}

/// Why `side` sent no close frame the report shows (asked of a side that has none).
pub fn no_close(c: &ConnectionReport, side: Role) -> NoClose {
    if c.not_captured(side) {
        NoClose::NotCaptured
    } else if *c.decoded_to_end.of(side) {
        NoClose::NotSent
    } else {
        NoClose::BytesMissing
    }
}

/// A close code's name ("Going Away"; "Private Use" and the like for unassigned ranges).
pub fn code_name(code: u16) -> &'static str {
    catalog::lookup(code).name
}

/// The first sentence of what a close code means: a short cause.
pub fn code_gist(code: u16) -> &'static str {
    let meaning = catalog::lookup(code).meaning;
    match meaning.find(". ") {
        Some(i) => &meaning[..=i],
        None => meaning,
    }
}

/// How a connection's TCP connection ended first, in words ("FIN from the server (packet
/// 12), then RST from the server (packet 13)"), and the packets that says.
pub fn tcp_ended(c: &ConnectionReport, open: &str) -> (String, Vec<u64>) {
    match c.tcp_ends.first() {
        None => (
            c.evicted.map_or(open, |e| e.short()).to_string(),
            Vec::new(),
        ),
        Some(e) => {
            let (by, packet) = (e.by, e.packet);
            let kind = e.kind.name();
            let mut t = format!("{kind} from the {by} (packet {packet})");
            let mut packets = vec![packet];
            // The same side's RST after its FIN.
            if let Some(r) = e.rst_after_fin {
                t.push_str(&format!(", then RST from the {by} (packet {})", r.packet));
                packets.push(r.packet);
            }
            (t, packets)
        }
    }
}

/// The points a session was captured at: a line each (`words::points::lines`), on the
/// first point's packets it cites (those lost or made between the points there).
fn points(p: &super::points::PointsReport) -> Fact {
    let mut lines = super::words::points::lines(p)
        .into_iter()
        .map(|l| vec![text(l)]);
    let mut f = Fact::new(FactKind::Points, lines.next().unwrap_or_default());
    f.more = lines.collect();
    f.packets = p
        .lost_between
        .iter()
        .filter(|l| l.seen_at == 0)
        .flat_map(|l| [l.first_packet, l.last_packet])
        .chain(
            p.made_between
                .iter()
                .filter(|m| m.seen_at == 0)
                .map(|m| m.packet),
        )
        .collect();
    f.packets.dedup();
    f
}

/// The handshake's request and response, as the reports say them.
fn handshake(c: &ConnectionReport) -> Fact {
    let hs = &c.handshake;
    let mut line = Vec::new();
    if hs.seen {
        line.push(text(format!(
            "request at packet {}: {} ",
            hs.request_packet.unwrap_or(0),
            if c.h2_stream.is_some() {
                "extended CONNECT (:protocol websocket)"
            } else {
                "GET"
            }
        )));
        line.push(wire(&hs.path));
        line.push(text(", Host "));
        line.push(wire(&hs.host));
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
        line.push(text(format!(
            "request {how}{at}: the connection was found by its frames after it"
        )));
    } else if !c.decoded_to_end.client
        && !c
            .findings
            .iter()
            .any(|f| f.kind == crate::vocab::Kind::HandshakeNotCaptured)
    {
        // The request's end is among bytes the capture lacks (a snaplen, a drop).
        line.push(text(
            "request incomplete: bytes of it are missing from the capture (see the gap findings)",
        ));
    } else {
        line.push(text(
            "request not captured (the capture starts after the handshake)",
        ));
    }
    line.push(text("; "));
    match hs.status {
        Some(s) => {
            line.push(text(format!(
                "response at packet {}: HTTP {s}, ",
                hs.response_packet.unwrap_or(0)
            )));
            line.push(match hs.accept_valid {
                Some(true) => text("Sec-WebSocket-Accept valid"),
                Some(false) => Piece::Warn("Sec-WebSocket-Accept does not match the key".into()),
                None => text("no accept check"),
            });
        }
        None => line.push(text("response not captured")),
    }
    if hs.subprotocol.is_some() {
        line.push(text("; subprotocol "));
        line.push(wire(&hs.subprotocol));
    }
    if hs.extensions.is_some() {
        line.push(text("; extensions "));
        line.push(wire(&hs.extensions));
    }
    let mut f = Fact::new(FactKind::Handshake, line);
    f.packets = [hs.request_packet, hs.response_packet]
        .into_iter()
        .flatten()
        .collect();
    f
}

/// The label of the fact that states the diagnosis, on the packet it rests on
/// ([`decisive`]).
pub const SHOWS: &str = "What the capture shows";

/// The facts of `c`, in the order the reports show them. `shared_fix`: the fix its status
/// group states once for all its connections (a section then says only what is its own).
pub fn facts(c: &ConnectionReport, inputs: &[InputSummary], shared_fix: Option<&str>) -> Vec<Fact> {
    let mut out = Vec::new();
    if let Some(a) = &c.application {
        let mut f = Fact::new(FactKind::Application, vec![text(app_text(a))]);
        f.label_of = Some(a.protocol.clone());
        f.packets = a.evidence.clone();
        out.push(f);
    }
    // The last words that give the cause: quoted, on their packet.
    let said = c.status.causes.iter().find_map(|k| match k {
        crate::report::Cause::LastWords { from, packet, .. } => Some((*from, *packet)),
        _ => None,
    });
    // And, where a last message is part of the story (a `last-words` cause, or the ending
    // side's account, `last-message`: no plain clean close), each side's last message
    // shortly before the end: the evidence of what the applications said last.
    let told = c.status.causes.iter().any(|k| {
        matches!(
            k,
            crate::report::Cause::LastWords { .. } | crate::report::Cause::LastMessage { .. }
        )
    });
    for w in c.last_words.iter().filter(|w| {
        said == Some((w.from, w.packet))
            || (told
                && w.before_end_s
                    .is_some_and(|b| b <= super::lastwords::BEFORE_S))
    }) {
        let cut = if w.truncated { ", truncated" } else { "" };
        let before = match w.before_end_s {
            Some(b) => format!(", {} before the end", Secs(b)),
            None => String::new(),
        };
        let mut f = Fact::new(
            FactKind::LastWords,
            vec![
                text(format!(
                    "the {}'s last message (packet {}{before}, {} bytes, {}{cut}): ",
                    w.from, w.packet, w.length, w.encoding
                )),
                Piece::Wire(w.text.clone()),
            ],
        );
        f.packets = vec![w.packet];
        out.push(f);
    }
    let mut shows = Fact::new(FactKind::Shows, self::shows(c));
    shows.packets = decisive(c).into_iter().collect();
    out.push(shows);
    if let Some(e) = &c.evidence {
        let mut line = Vec::new();
        if !e.consistent {
            line.push(Piece::Warn("the code and the capture disagree: ".into()));
        }
        line.push(text(e.summary.clone()));
        let mut f = Fact::new(FactKind::Evidence, line);
        f.packets = e.packets.clone();
        out.push(f);
    }
    if let Some(line) = super::words::incident::connection_line(c) {
        let mut f = Fact::new(FactKind::Incident, vec![text(line)]);
        f.packets = decisive(c).into_iter().collect();
        out.push(f);
    }
    let fix: &str = &c.status.fix;
    match shared_fix {
        Some(shared) if shared == fix => {}
        Some(shared) if fix.ends_with(shared) => {
            let own = fix.strip_suffix(shared).unwrap_or(fix).trim_end();
            out.push(Fact::new(
                FactKind::Fix,
                vec![text(format!("{own} (then the status's fix above)"))],
            ));
        }
        _ => out.push(Fact::new(FactKind::Fix, vec![text(fix)])),
    }
    if let Some(t) = &c.tunnel {
        // The phrase holds wire text (the target, a refusal's page), escaped as all text.
        let mut f = Fact::new(
            FactKind::ForwardProxy,
            vec![text(t.phrase(super::tunnel::BODY_TEXT))],
        );
        f.packets = std::iter::once(t.request_packet)
            .chain(t.response_packet)
            .collect();
        out.push(f);
    }
    if let Some(leg) = &c.leg {
        out.push(Fact::new(
            FactKind::Proxied,
            vec![
                text(super::words::proxy::leg_description(leg)),
                Piece::Leg(leg.other_leg),
            ],
        ));
    }
    if let Some(p) = &c.points {
        out.push(points(p));
    }
    if let Some(e) = &c.encapsulation {
        out.push(Fact::new(FactKind::Tunnel, vec![text(e.to_string())]));
    }
    if let Some(tls) = &c.tls {
        let notify = |p: Option<u64>| {
            p.map_or("no close_notify".to_owned(), |p| {
                format!("close_notify at packet {p}")
            })
        };
        let mut line = vec![
            Piece::Wire(super::words::tls::parts(tls).join(", ")),
            text(format!(
                "; client {}, server {}",
                notify(tls.close_notify.client),
                notify(tls.close_notify.server)
            )),
        ];
        let mut packets: Vec<u64> = [tls.close_notify.client, tls.close_notify.server]
            .into_iter()
            .flatten()
            .collect();
        for a in &tls.alerts {
            line.push(text(format!("; {} alert ", a.from)));
            line.push(Piece::Wire(format!("{} {}", a.level, a.description)));
            line.push(text(format!(" at packet {}", a.packet)));
            packets.push(a.packet);
        }
        let mut f = Fact::new(FactKind::Tls, line);
        if let Some(why) = &tls.not_decrypted {
            f.more
                .push(vec![Piece::Warn(format!("not decrypted in full: {why}"))]);
        }
        f.packets = packets;
        out.push(f);
    }
    let seen = |v: Option<u16>| v.map_or("—".into(), |v| v.to_string());
    out.push(Fact::new(
        FactKind::SeenBy,
        vec![text(format!(
            "client {}, server {}",
            seen(c.seen_by.client),
            seen(c.seen_by.server)
        ))],
    ));
    // Rotated files read as one capture number packets on across them: which file and
    // packet that is.
    let files = if inputs.iter().any(|i| i.continues_previous) {
        format!(
            " ({} to {})",
            super::place(inputs, c.input, c.first_packet),
            super::place(inputs, c.input, c.last_packet)
        )
    } else {
        String::new()
    };
    out.push(Fact::new(
        FactKind::Time,
        vec![text(format!(
            "{} to {} ({:.3} s), packets {} to {}{files}",
            c.start.rfc3339(),
            c.end.rfc3339(),
            c.duration_s,
            c.first_packet,
            c.last_packet
        ))],
    ));
    out.push(handshake(c));
    let (tcp, packets) = tcp_ended(c, "still open at the end of the capture");
    let mut f = Fact::new(FactKind::TcpEnded, vec![text(tcp)]);
    f.packets = packets;
    out.push(f);
    if let Some(n) = c.h2_stream {
        let ends = c.stream_ends_text("packet").unwrap_or_else(|| {
            if c.tcp_end() == TcpEndName::Open {
                "still open at the end of the capture".into()
            } else {
                "no frame of its own: it ended with its TCP connection".into()
            }
        });
        let mut f = Fact::new(FactKind::StreamEnded, vec![text(ends)]);
        f.label = format!("HTTP/2 stream {n} ended");
        f.packets = c.stream_ends.iter().map(|e| e.packet).collect();
        out.push(f);
    }
    if let Some(idle) = c.idle_before_end_s {
        // As the diagnosis texts write it: milliseconds under 10 s, tenths above.
        out.push(Fact::new(
            FactKind::Quiet,
            vec![text(format!("{} since the last frame", Secs(idle)))],
        ));
    }
    if let Some(filter) = super::wireshark::filter(c) {
        let mut f = Fact::new(FactKind::Wireshark, vec![Piece::Code(filter)]);
        if let Some(s) = super::wireshark::stream_filter(c) {
            f.more
                .push(vec![text("its HTTP/2 stream only: "), Piece::Code(s)]);
        }
        if let Some(d) = super::wireshark::decode_as_tls(c) {
            f.more.push(vec![
                text("TLS on a port Wireshark does not decode as TLS: "),
                text(d),
            ]);
        }
        out.push(f);
    }
    out
}

/// What the capture shows: the text of the fact of kind [`FactKind::Shows`], every cause
/// of the status in its words (the CSV's `detail` too).
pub fn shows(c: &ConnectionReport) -> Vec<Piece> {
    vec![text(c.status.detail.clone())]
}

/// The packet the status rests on: the first close frame, else the first ending of the
/// HTTP/2 stream or of TCP.
pub fn decisive(c: &ConnectionReport) -> Option<u64> {
    c.close_frames
        .first()
        .map(|f| f.packet)
        .or_else(|| c.stream_ends.first().map(|e| e.packet))
        .or_else(|| c.tcp_ends.first().map(|e| e.packet))
}

/// A side in the reports' words.
pub fn side(r: Role) -> &'static str {
    r.as_str()
}

/// A close frame's problems in words ("too-long, reason-not-utf8"): the one list
/// (`report::words::finding::problem_names`).
pub fn problem_names(problems: &[crate::vocab::Problem]) -> String {
    super::words::finding::problem_names(problems)
}

/// Who closed a connection: the one rule behind every report's "Closed by" (table rows,
/// Markdown, HTML, ECS) and the CSV's `initiator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedBy {
    /// The side that sent the first close frame: the closing handshake's initiator (RFC
    /// 6455 §7.1.2).
    Frame(Role),
    /// No close frame: the side whose frame ended the HTTP/2 stream first (RFC 8441, RFC
    /// 9113 §5.1), and that frame's name (`RST_STREAM`).
    Stream {
        /// The side whose frame ended the stream.
        by: Role,
        /// That frame's name (`END_STREAM`, `RST_STREAM`).
        frame: &'static str,
    },
    /// Neither: the side that ended TCP first, and how (`fin`, `rst`).
    Tcp {
        /// The side that ended TCP first.
        by: Role,
        /// How: FIN or RST.
        kind: EndKind,
    },
    /// Nothing in the capture ended it (still open), or who ended it is not known.
    Unknown,
}

/// Who closed `c`: the side of the first close frame, else the side whose frame ended its
/// HTTP/2 stream (a stream ends before its TCP connection does, if it ends first), else
/// the side that ended TCP first.
pub fn closed_by(c: &ConnectionReport) -> ClosedBy {
    if let Some(f) = c.close_frames.first() {
        return ClosedBy::Frame(f.from);
    }
    if let Some(e) = c.stream_ends.iter().find(|e| e.ends_stream) {
        return ClosedBy::Stream {
            by: e.by,
            frame: e.kind.frame(),
        };
    }
    match c.tcp_ends.first() {
        None => ClosedBy::Unknown,
        Some(e) => ClosedBy::Tcp {
            by: e.by,
            kind: e.kind,
        },
    }
}

impl ClosedBy {
    /// The closing handshake's initiator: the side of the first close frame, none without
    /// one (the CSV's `initiator`).
    pub fn initiator(self) -> Option<Role> {
        match self {
            ClosedBy::Frame(r) => Some(r),
            _ => None,
        }
    }
}

/// "client", "server (RST_STREAM)", "server (FIN)", "—".
impl std::fmt::Display for ClosedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClosedBy::Frame(r) => write!(f, "{r}"),
            ClosedBy::Stream { by, frame } => write!(f, "{by} ({frame})"),
            ClosedBy::Tcp { by, kind } => {
                write!(f, "{by} ({})", kind.name())
            }
            ClosedBy::Unknown => f.write_str("—"),
        }
    }
}

/// The close codes in the order they were sent: "server 1000, client 1000" ("client
/// (empty)" for a close frame without a code), "—" without a close frame.
pub fn codes(c: &ConnectionReport) -> String {
    if c.close_frames.is_empty() {
        return "—".into();
    }
    c.close_frames
        .iter()
        .map(|f| match f.code {
            Some(code) => format!("{} {code}", f.from),
            None => format!("{} (empty)", f.from),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the reports state of one input beside its own summary, counted once for every
/// format's header: the WebSocket connections read from it (all, whatever a selection
/// shows), the encrypted
/// connections without a readable WebSocket, and how it was taken after the input before.
pub(crate) struct InputFacts<'a> {
    /// Its summary: path, packets, size, format, times, what went wrong reading it.
    pub input: &'a InputSummary,
    /// WebSocket connections that start in it, before any selection.
    pub connections: u64,
    /// Encrypted connections of it that carried no WebSocket the report could read: those
    /// listed, and with a single input those counted beyond the list too.
    pub encrypted: u64,
    pub continuity: Continuity<'a>,
}

/// How an input after the first was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Continuity<'a> {
    /// Joined to the input before (rotated files): one capture with it, its packets
    /// numbered `first` to `last` in the report; `why` it was joined.
    Continues { first: u64, last: u64, why: &'a str },
    /// Read as a capture of its own, and why; not said of one named unlike the input before
    /// (a separate recording given with it, never news) nor of one without packets.
    Apart(&'a str),
    /// The first input, or one nothing is said of.
    Unsaid,
}

/// Each input's [`InputFacts`], in order.
pub(crate) fn inputs(report: &super::Report) -> Vec<InputFacts<'_>> {
    // The capture's connections, not the selection's (which the header says apart).
    let per_input = report
        .found_per_input
        .clone()
        .unwrap_or_else(|| report.per_input());
    let seen = &report.seen;
    report
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let listed = seen.encrypted.iter().filter(|e| e.input == i).count() as u64;
            let encrypted = if report.inputs.len() == 1 {
                listed + seen.encrypted_not_listed
            } else {
                listed
            };
            // A joined input always has packets: it is joined by its first one.
            let continuity = match &input.continuity {
                Some(why) if input.continues_previous && input.packets > 0 => {
                    Continuity::Continues {
                        first: input.packet_offset + 1,
                        last: input.packet_offset + input.packets,
                        why,
                    }
                }
                Some(why) if input.packets > 0 && !input.unrelated => Continuity::Apart(why),
                _ => Continuity::Unsaid,
            };
            InputFacts {
                input,
                connections: per_input.get(i).copied().unwrap_or(0),
                encrypted,
                continuity,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Who closed: the first close frame's side, which is the JSON's closing-handshake
    /// initiator; without one the HTTP/2 stream's or TCP's ending side. The fixtures hold
    /// each of the three.
    #[test]
    fn who_closed_follows_one_rule() {
        let report = crate::report::repeated_fixture_report(0);
        let (mut frame, mut stream, mut tcp) = (0, 0, 0);
        for c in &report.connections {
            let by = closed_by(c);
            assert_eq!(
                by.initiator(),
                c.close_handshake.as_ref().map(|h| h.initiator),
                "{}",
                c.id
            );
            match by {
                ClosedBy::Frame(r) => {
                    frame += 1;
                    assert_eq!(by.to_string(), r.as_str());
                }
                ClosedBy::Stream { by: r, frame } => {
                    stream += 1;
                    assert!(c.close_frames.is_empty());
                    assert_eq!(by.to_string(), format!("{r} ({frame})"));
                }
                ClosedBy::Tcp { by: r, kind } => {
                    tcp += 1;
                    assert!(c.close_frames.is_empty() && c.tcp_end_by() == Some(r));
                    let name = c.tcp_end().as_str().to_uppercase();
                    assert_eq!(
                        (kind, by.to_string()),
                        (c.tcp_ends[0].kind, format!("{r} ({name})"))
                    );
                }
                ClosedBy::Unknown => assert_eq!(by.to_string(), "—"),
            }
        }
        assert!(frame > 0 && stream > 0 && tcp > 0, "{frame} {stream} {tcp}");
    }

    /// A fact's kind gives its label and its place: a reader that picks facts by kind picks
    /// the ones the reports label so.
    #[test]
    fn a_facts_kind_gives_its_label_and_place() {
        let report = crate::report::repeated_fixture_report(0);
        let mut kinds = Vec::new();
        for c in &report.connections {
            for f in facts(c, &report.inputs, None) {
                assert_eq!(f.place, f.kind.place(), "{}", f.label);
                match f.kind {
                    FactKind::StreamEnded => {
                        assert!(
                            f.label.starts_with("HTTP/2 stream ") && f.label.ends_with(" ended")
                        )
                    }
                    kind => assert_eq!(f.label, kind.label()),
                }
                if !kinds.contains(&f.kind) {
                    kinds.push(f.kind);
                }
            }
        }
        for k in [
            FactKind::Shows,
            FactKind::Evidence,
            FactKind::Fix,
            FactKind::Handshake,
        ] {
            assert!(kinds.contains(&k), "{k:?}");
        }
    }
}
