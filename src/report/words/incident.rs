//! Incidents in words: the one-line headline every format leads an incident with, and each
//! kind's cause and fix (docs/causes.md, `wsclose explain KIND`).
//!
//! In: an [`Incident`]'s typed fields as the incident stage filled them (its kind, counts,
//! spans, times, the evidence of a stall, partition, slow consumers or crash loop). Out: its
//! `cause` and `fix`, written when the report's incidents are taken in
//! (`diagnose/incidents.rs`), and its headline ([`Incident::headline`]), made when shown,
//! from its `server` and `client` as they are then (their pseudonyms under `--redact`).
//! Addresses appear only in the headline, never in the cause or fix. And a connection's own
//! line of its incident, reconnect, replacement and twin ([`connection_line`]).

use crate::report::ConnectionReport;
use crate::units::clock;
use crate::vocab::{Answered, EndedBy, Incident, IncidentKind, Stated, Timestamp};

/// Seconds for reading: "40 ms", "1.2 s", "95 s".
pub fn seconds(s: f64) -> String {
    crate::units::Rough(s).to_string()
}

fn how(ended_by: EndedBy) -> String {
    match ended_by {
        EndedBy::Fin => "FIN".into(),
        EndedBy::Rst => "RST".into(),
        EndedBy::FinRst => "FIN or RST".into(),
        EndedBy::Mixed => "mixed endings".into(),
        EndedBy::Silence => "silence (data unacknowledged to the end)".into(),
        EndedBy::Refused(s) => format!("a refused upgrade ({s})"),
        EndedBy::Stream { goaway, code } => format!(
            "HTTP/2 {} {}",
            if goaway { "GOAWAY" } else { "RST_STREAM" },
            crate::vocab::h2_error_name(code).map_or_else(|| format!("0x{code:x}"), str::to_string)
        ),
        close @ EndedBy::Close(_) => close.to_string(),
    }
}

impl Incident {
    /// Its cause and fix in words, as the finished report holds them ([`cause_and_fix`]).
    pub fn words(&self) -> (String, String) {
        cause_and_fix(self)
    }

    /// One line: "server 10.0.0.5:8443 restarted at 14:02:31.120; 312 sessions ended by
    /// FIN within 40 ms; 290 reconnected, median 1.2 s; 22 never came back".
    pub fn headline(&self) -> String {
        headline(self)
    }

    /// The headline without the words its members' sides sent (a close reason, a refusal's
    /// words), where the connections' decrypted text is withheld (an annotated capture's
    /// comments on a TLS session).
    pub fn headline_withheld(&self) -> String {
        let mut i = self.clone();
        if let Some(s) = i.facts.said.as_mut() {
            s.reason = None;
            s.words = None;
        }
        i.reconnects.refused_said = None;
        headline(&i)
    }
}

/// The headline: what, where, when; how many ended how and within what; who came back.
fn headline(i: &Incident) -> String {
    let at = clock(i.start);
    let server = i.server.as_deref().unwrap_or("several servers");
    let client = i.client.as_deref().unwrap_or("several clients");
    let what = match i.kind {
        IncidentKind::ServerRestart | IncidentKind::ServerStop if i.facts.server_dark > 0 => {
            server_dark_what(i, server)
        }
        // "Down" only where shown: attempts refused while it was; else what is known.
        IncidentKind::ServerRestart => match (i.down_s, i.reconnects.refused > 0) {
            (Some(d), true) => format!("server {server} restarted at {at} (down {})", seconds(d)),
            (Some(d), false) => format!(
                "server {server} restarted at {at} (the next session was accepted {} later)",
                seconds(d)
            ),
            // Said restarting (1012), its clients back at another port of its host: it
            // moved there.
            (None, _) if i.facts.came_back_on_its_host > 0 => format!(
                "server {server} restarted at {at} and moved to {}",
                i.reconnects
                    .elsewhere_server
                    .as_deref()
                    .unwrap_or("another address")
            ),
            (None, _) => format!("server {server} restarted at {at}"),
        },
        IncidentKind::ServerStop => format!("server {server} stopped at {at}"),
        IncidentKind::ProxyReload => format!("proxy {server} reloaded or restarted at {at}"),
        IncidentKind::IdleTimeoutCohort => format!(
            "sessions to {server} cut at the same idle age, {}",
            seconds(i.idle_s.unwrap_or(0.0))
        ),
        IncidentKind::ClientDrop if i.facts.dark > 0 => dark_what(i, server, client),
        IncidentKind::ClientDrop => match i.ended_by {
            EndedBy::Fin | EndedBy::Rst | EndedBy::FinRst => format!(
                "client host {client} dropped its sessions at {at}: its kernel ended them, no close frame (its client processes ended)"
            ),
            EndedBy::Silence => format!(
                "client host {client} dropped its sessions at {at}: it fell silent (its network went)"
            ),
            _ => format!("client host {client} dropped its sessions at {at}"),
        },
        IncidentKind::OverloadShedding => format!("server {server} shed load from {at}"),
        IncidentKind::RejectionLoop => {
            format!("server {server} refused client {client} again and again from {at}")
        }
        IncidentKind::MassRejection => format!("server {server} rejected many clients at {at}"),
        IncidentKind::ServerStall => stall_what(i, server),
        IncidentKind::CrashLoop => crash_loop_what(i, server),
        IncidentKind::MiddleboxReset => format!(
            "resets made between the peers (not by the side they name) ended sessions to {server} from {at}"
        ),
        IncidentKind::BackendStop => {
            format!("backend {server} behind a proxy or load balancer stopped at {at}")
        }
        IncidentKind::Partition => partition_what(i, server, client),
        IncidentKind::TlsRejectedRestart => format!(
            "server {server} restarted at {at} with a certificate its clients reject{}",
            i.down_s
                .map_or(String::new(), |d| format!(" (answering TLS again about {} later)", seconds(d)))
        ),
        IncidentKind::SlowConsumers => slow_what(i, server),
        IncidentKind::StatedDecision => decision_what(i, server, client),
    };
    // A stated decision's says its members, code and words itself.
    let mut out = if i.kind == IncidentKind::StatedDecision {
        what
    } else {
        let said = i.facts.said.as_ref();
        let mut out = format!(
            "{what}; {} sessions ended by {}{} within {}",
            i.members,
            how(i.ended_by),
            said_words(said),
            seconds(i.window_s)
        );
        if let Some(a) = said.and_then(|s| s.answered.as_ref()) {
            out.push_str(&format!(", {}", answered_words(a, i.members)));
        }
        out
    };
    let r = &i.reconnects;
    // Linked by host alone while other clients of that host arrived: which new sessions
    // were the members' own, the capture does not say.
    let unsure = r.same_host > 0 && r.others_after > 0;
    if r.came_back > 0 {
        out.push_str(&format!(
            "; {} reconnected{}",
            r.came_back,
            if unsure { " at most" } else { "" }
        ));
        if let Some(m) = r.median_s {
            out.push_str(&format!(", median {}", seconds(m)));
        }
        if let (Some(s), true) = (r.slowest_s, r.came_back > 1) {
            out.push_str(&format!(", slowest {}", seconds(s)));
        }
        match r.herd {
            Some(true) => out.push_str(" (in a herd)"),
            Some(false) => out.push_str(" (spread)"),
            None => {}
        }
        if unsure {
            out.push_str(&format!(
                "; {} of them new sessions of a host with several clients the capture cannot tell apart, which began {} more that replaced no session: some of the {} may be other clients' first",
                r.same_host, r.others_after, r.same_host
            ));
        } else if r.same_host > 0 {
            out.push_str(&format!(
                "; {} of them new sessions of a host with several clients (not surely the same clients)",
                r.same_host
            ));
        }
        if r.other_path > 0 {
            out.push_str(&format!(
                "; {} of them to the same server on another path (their hosts' new sessions: not surely the same clients)",
                r.other_path
            ));
        }
    }
    if r.refused > 0 && i.kind == IncidentKind::Partition {
        out.push_str(&format!(
            "; {} connection attempts got no answer while the path was cut",
            r.refused
        ));
    } else if r.refused > 0 {
        out.push_str(&refused_words(r));
    }
    if r.refused_tls > 0 {
        out.push_str(&format!(
            "; refused at TLS: {}, the clients rejected the new certificate (their alert after its Certificate, or their close)",
            r.refused_tls
        ));
    }
    if r.elsewhere > 0 {
        out.push_str(&format!(
            "; {} came back elsewhere, to {} (their hosts' new sessions on the same path)",
            r.elsewhere,
            r.elsewhere_server.as_deref().unwrap_or("another server")
        ));
    }
    if r.never > 0 {
        out.push_str(&format!("; {} never came back", r.never));
    }
    out
}

/// The attempts refused, by what refused them: "; 80 reconnect attempts refused with 401
/// (the page: 'token expired')", "; 368 reconnect attempts refused: 101 in TCP, 267 with
/// 503", and those refused in the server's name after it was back, said as not surely its.
fn refused_words(r: &crate::vocab::Reconnects) -> String {
    let mut out = format!("; {} reconnect attempts refused", r.refused);
    let page = r
        .refused_said
        .as_ref()
        .and_then(|s| s.words.as_deref())
        .map_or(String::new(), |w| format!(" (the page: {})", quoted(w)));
    let with = match r.refused_status {
        Some(s) => format!("with {s}{page}"),
        None => "with an HTTP status".to_string(),
    };
    let tcp = r.refused.saturating_sub(r.refused_http);
    if r.refused_http > 0 && tcp == 0 {
        out.push_str(&format!(" {with}"));
    } else if r.refused_http > 0 {
        out.push_str(&format!(": {tcp} in TCP, {} {with}", r.refused_http));
    }
    if r.refused_between > 0 {
        // The refusing RSTs' TTL unlike the server's own packets': made between (issue 102).
        let ttls = match r.server_ttls {
            Some((lo, hi)) if lo == hi => lo.to_string(),
            Some((lo, hi)) => format!("{lo} to {hi}"),
            None => "others".to_string(),
        };
        let ttl = r
            .refused_between_ttl
            .map_or(String::new(), |t| format!("TTL {t}"));
        let id = r
            .refused_between_ip_id
            .map_or(String::new(), |i| format!(", IP ID {i}"));
        out.push_str(&format!(
            "; {} of them refused by something between the clients and the server, not by its host (their RSTs' {ttl}{id} where the server's packets arrive with {ttls})",
            r.refused_between
        ));
        if r.refused_after_back > 0 {
            out.push_str(&format!(
                "; {} of the refused after the server accepted sessions again, until its clients were back",
                r.refused_after_back
            ));
        }
    } else if r.refused_after_back > 0 {
        out.push_str(&format!(
            " ({} of them in TCP after the server accepted sessions again, until its clients were back: refused in its name, by it or by a box on the path such as a rate limiter; the capture's counts do not say which)",
            r.refused_after_back
        ));
    }
    out
}

/// Bytes of wire words a headline quotes (a close reason is at most 123).
const QUOTED: usize = 123;

/// Words from the wire (a close reason, a refusal's words) quoted for reading: cut to
/// [`QUOTED`] bytes, every character that could act on a terminal or hide from a reader
/// made visible (`sanitize::terminal`); each format escapes its markup on top.
fn quoted(t: &str) -> String {
    format!(
        "'{}'",
        crate::sanitize::terminal(crate::sanitize::cut(t, QUOTED))
    )
}

/// What the members said beyond their code, to follow it: " 'plan changed'", " (the page:
/// 'Forbidden')", " and the TLS alert bad_certificate"; empty when nothing.
pub(crate) fn said_words(s: Option<&Stated>) -> String {
    let Some(s) = s else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(r) = &s.reason {
        out.push_str(&format!(" {}", quoted(r)));
    }
    if let Some(w) = &s.words {
        out.push_str(&format!(" (its words: {})", quoted(w)));
    }
    if let Some(a) = &s.tls_alert {
        out.push_str(&format!(
            " and the TLS alert {}",
            crate::sanitize::terminal(a)
        ));
    }
    out
}

/// The peer's message the members' closes answered: "each right after the server's 16-byte
/// text message (0.04 to 11.7 ms after it; those messages sent within 2.3 ms)".
pub(crate) fn answered_words(a: &Answered, members: u64) -> String {
    let who = if a.closes >= members {
        "each".to_string()
    } else {
        format!("{} of them", a.closes)
    };
    // Milliseconds to the figures that tell them apart: a close 0.04 ms after a message.
    let ms = |x: f64| match x {
        x if x < 1.0 => format!("{x:.2} ms"),
        x if x < 10.0 => format!("{x:.1} ms"),
        x if x < 1000.0 => format!("{x:.0} ms"),
        x => seconds(x / 1e3),
    };
    let after = if ms(a.after_ms_min) == ms(a.after_ms_max) {
        ms(a.after_ms_max)
    } else {
        format!("{} to {}", ms(a.after_ms_min), ms(a.after_ms_max))
    };
    // A close long after the message (a 1009 read from a library's queue) answered it
    // still, but not "right after".
    let right = if a.after_ms_max <= crate::report::answer::REACTION_S * 1e3 {
        "right after"
    } else {
        "answering"
    };
    format!(
        "{who} {right} the {}'s {}-byte {} message ({after} after it; those messages sent within {})",
        a.from,
        a.size,
        a.opcode,
        ms(a.sent_within_ms)
    )
}

/// The code the members closed with, for a headline: "4002 (Private Use)", "1008 (Policy
/// Violation)", "HTTP/2 GOAWAY NO_ERROR"; a private code's name left out when a reason says
/// what it means.
fn code_words(i: &Incident) -> String {
    let reason = i.facts.said.as_ref().is_some_and(|s| s.reason.is_some());
    match (i.ended_by, i.code) {
        (EndedBy::Stream { .. }, _) => how(i.ended_by),
        (_, Some(c)) if reason && (4000..=4999).contains(&c) => c.to_string(),
        (_, Some(c)) => format!("{c} ({})", crate::close::catalog::lookup(c).name),
        (_, None) => "an empty close frame".to_string(),
    }
}

/// A stated decision's headline, from its facts: the decision first (who closed how many,
/// with what code and words, within what, answering what), then that the server went on,
/// as far as the capture shows.
fn decision_what(i: &Incident, server: &str, client: &str) -> String {
    let who = match i.side {
        crate::vocab::Enders::Server => format!("server {server}"),
        crate::vocab::Enders::Client if i.client.is_some() => {
            format!("the clients of {server} (client host {client})")
        }
        crate::vocab::Enders::Client => format!("the clients of {server}"),
        crate::vocab::Enders::Both => format!("both sides of {server}"),
    };
    let said = i.facts.said.as_ref();
    let mut out = format!(
        "{who} closed {} sessions with {}{} within {} at {}",
        i.members,
        code_words(i),
        said_words(said),
        seconds(i.window_s),
        clock(i.start)
    );
    if let Some(a) = said.and_then(|s| s.answered.as_ref()) {
        out.push_str(&format!(", {}", answered_words(a, i.members)));
    }
    let after = i.facts.accepted_after_s;
    if let Some(s) = refused_until_back(i) {
        // Every upgrade it answered from then refused until it accepted again: what it did.
        out.push_str(&format!(", then refused upgrades with {s}"));
        if let Some(d) = after {
            out.push_str(&format!(
                " and accepted sessions again {} later",
                seconds(d)
            ));
        }
    } else if let (crate::vocab::Enders::Server, Some(d)) = (i.side, after) {
        out.push_str(&format!(
            " and went on accepting (the next session {} later)",
            seconds(d)
        ));
    }
    if i.facts.refused_after > 0 {
        out.push_str(&format!(
            "; {} connection attempts to it refused in TCP after",
            i.facts.refused_after
        ));
    }
    out
}

/// The one HTTP status a server's stated decision refused its members' reconnects with,
/// where it is a server error (5xx, RFC 9110 §15.6: the server says it cannot serve; a 4xx
/// refuses what the client sent, RFC 9110 §15.5, while the server goes on) and it accepted
/// no session from its last close until after the last of them (none accepted at all, or
/// the next one later): the refusals are what it did next.
fn refused_until_back(i: &Incident) -> Option<u16> {
    let r = &i.reconnects;
    let to = r.refused_http_to_s?;
    let server = i.side == crate::vocab::Enders::Server;
    (server && r.refused_http > 0 && i.facts.accepted_after_s.is_none_or(|a| a > to))
        .then_some(r.refused_status)
        .flatten()
        .filter(|s| (500..=599).contains(s))
}

/// A server's stated decision's fix where its close reason names no kind the reason
/// reader knows (`close::reason::kind`) and its code is one of RFC 6455's (1000-2999), whose
/// catalog fix is about one connection: said from what it said (issue 102 item 3), the
/// code, the reason and the refusals that followed, and what the shape shows: every
/// session closed at once, none answering a message of its client's, so one condition of
/// the server's, not one message's failure. None otherwise.
fn said_fix(i: &Incident, reason: &str) -> Option<String> {
    let EndedBy::Close(Some(c)) = i.ended_by else {
        return None;
    };
    let answered = i.facts.said.as_ref().is_some_and(|s| s.answered.is_some());
    if i.side != crate::vocab::Enders::Server || !(1000..=2999).contains(&c) || answered {
        return None;
    }
    let r = &i.reconnects;
    let refusals = match (r.refused_http, r.refused_status) {
        (0, _) | (_, None) => String::new(),
        (n, Some(s)) => {
            let page = r
                .refused_said
                .as_ref()
                .and_then(|s| s.words.as_deref())
                .map_or(String::new(), |w| format!(" (the page: {})", quoted(w)));
            format!(", then refused {n} upgrades with {s}{page}")
        }
    };
    Some(format!(
        "Restore what the server's reason names, {} (look for it in the server's logs at the first close): the server said it to every session at once with {c} ({}){refusals}. One condition on the server's side ended all {} sessions, not one message's failure (no close answered a message of its clients). Clients should reconnect with jittered backoff, not at once.",
        quoted(reason),
        crate::close::catalog::lookup(c).name,
        i.members
    ))
}

/// A stalled server's headline, from its evidence: when its process fell silent, what its
/// TCP still did, and the handshakes it left unanswered.
fn stall_what(i: &Incident, server: &str) -> String {
    let Some(st) = i.stall else {
        return format!("server {server} stopped answering");
    };
    let mut out = format!(
        "server {server} stopped answering between {} and {} while its TCP went on: it acknowledged the clients' pings and sent no pong nor any frame on {} sessions",
        clock(st.silent_after),
        clock(st.first_unanswered),
        st.pings_unanswered
    );
    if st.upgrades_unanswered > 0 {
        out.push_str(&format!(
            ", and left {} new connections it accepted in TCP without an answer to their upgrade until their clients gave up",
            st.upgrades_unanswered
        ));
    }
    out.push_str("; the clients' heartbeats gave up");
    out
}

/// A partition's headline: the silence, and who lived through it.
fn partition_what(i: &Incident, server: &str, client: &str) -> String {
    let Some(p) = &i.partition else {
        if let Some((from, to)) = lost_window(i) {
            let (left, never) = lost_ends(i);
            return format!(
                "the path between {client} and {server} lost the sessions' packets between two points of it: from about {} to about {} they left {left} and never reached {never}",
                about(from),
                about(to)
            );
        }
        return format!("the path between {client} and {server} was cut and healed");
    };
    if i.facts.dark > 0 {
        // Seen from one side: the server's data retransmitted unanswered, nothing from the
        // host, then its new connections through while the old sessions still waited.
        return format!(
            "the path between {client} and {server} was cut (silent from {} at the latest) and carried packets again by {} ({} of silence: the server's data to the host retransmitted unanswered, nothing from it; then its new connections got through); the {} sessions' sockets had died during the cut: each ended by TCP when the server's next retransmission reached the host",
            clock(p.silent_from),
            clock(p.healed),
            seconds(p.silence_s),
            i.members
        );
    }
    let mut out = format!(
        "the path between {client} and {server} was cut from {} to {} ({} of silence: both sides' data retransmitted unanswered, then through)",
        clock(p.silent_from),
        clock(p.healed),
        seconds(p.silence_s)
    );
    out.push_str(&format!(
        "; {} of the {} sessions it crossed died (a side gave up within the silence: a timeout shorter than {}), {} survived (longer timeouts, or none)",
        i.members,
        p.crossed,
        seconds(p.silence_s),
        p.survived
    ));
    out
}

/// Where the packets lost between the points left and where they never arrived: the host
/// of the side that sent them and its peer's ("one point", "the other" where both sides').
fn lost_ends(i: &Incident) -> (&'static str, &'static str) {
    match i.facts.lost_between_sent_by {
        Some(crate::vocab::Role::Client) => {
            ("the point nearer the client", "the one nearer the server")
        }
        Some(crate::vocab::Role::Server) => {
            ("the point nearer the server", "the one nearer the client")
        }
        None => ("one point", "the other"),
    }
}

/// When the first and the last of an incident's packets lost between the points left
/// (`facts.lost_between_from_s`, `lost_between_to_s`, before its start).
fn lost_window(i: &Incident) -> Option<(Timestamp, Timestamp)> {
    let at = |s: f64| Timestamp(i.start.0.saturating_sub((s * 1e9) as i64));
    Some((
        at(i.facts.lost_between_from_s?),
        at(i.facts.lost_between_to_s?),
    ))
}

/// "14:02:31": a time of day to the second, for the times an ending keeps to within
/// 4.4 % of its distance from the end (`facts.lost_between_from_s`, `lost_between_to_s`).
fn about(t: Timestamp) -> String {
    let c = clock(t);
    c.get(..8).unwrap_or(&c).to_string()
}

/// What the points show of an incident's members whose packets were lost between them
/// (`facts.lost_between_points`): how many, which way, when; for a `partition`, whose fault.
fn lost_between_words(i: &Incident) -> String {
    let f = &i.facts;
    let (left, never) = lost_ends(i);
    let when = lost_window(i).map_or(String::new(), |(a, b)| {
        format!(" between about {} and about {}", about(a), about(b))
    });
    let n = f.lost_between_points;
    let mut out = format!(
        " Here {n} of the {} sessions {} seen at two points of their path with packets that left {left} and never reached {never}{when} (lost between the points)",
        i.members,
        if n == 1 { "was" } else { "were" }
    );
    if i.kind == IncidentKind::Partition {
        out.push_str("; then each was ended by its own host's FIN or RST, seen at both points, its packets unanswered: the path between the points, not either endpoint, lost them.");
    } else {
        out.push('.');
    }
    out
}

/// A server host gone dark (`facts.server_dark`): when it went silent, how it came back
/// without its sessions, and, for a restart, when it accepted again ("down" only where
/// attempts were refused meanwhile).
fn server_dark_what(i: &Incident, server: &str) -> String {
    let f = &i.facts;
    let dark = f.server_dark_s.unwrap_or(0.0);
    let gone = Timestamp(i.start.0.saturating_sub((dark * 1e9) as i64));
    let mut out = format!(
        "server {server}'s host went silent at {}: for {} nothing came from it while its clients' data on its {} sessions went unacknowledged; back without them, it reset each as its client next sent, from {}",
        clock(gone),
        seconds(dark),
        i.members,
        clock(i.start)
    );
    match (i.kind, i.down_s) {
        (IncidentKind::ServerRestart, Some(d)) if i.reconnects.refused > 0 => {
            out.push_str(&format!("; restarted (down {})", seconds(d)));
        }
        (IncidentKind::ServerRestart, Some(d)) => out.push_str(&format!(
            "; restarted (the next session was accepted {} after it went silent)",
            seconds(d)
        )),
        _ => out.push_str("; the server accepted no session after it in the capture"),
    }
    out
}

/// A client host gone dark (`client-drop` with `facts.dark`): how long nothing came from
/// it while the server's data to it went unacknowledged, and the server's other sessions
/// that went on.
fn dark_what(i: &Incident, server: &str, client: &str) -> String {
    let f = &i.facts;
    let mut out = format!(
        "client host {client} went dark: for {} nothing came from it while {server}'s data to its {} sessions went unacknowledged (its network, or the path to it, was down); when it was back, each session ended by TCP, from {}",
        seconds(f.dark_s.unwrap_or(0.0)),
        i.members,
        clock(i.start)
    );
    if f.others_went_on > 0 {
        out.push_str(&format!(
            " (the server's {} sessions with other hosts went on: not the server)",
            f.others_went_on
        ));
    }
    out
}

/// Slow consumers' headline: whom the server cut, how long they had read nothing, and how
/// many of its other sessions went on.
fn slow_what(i: &Incident, server: &str) -> String {
    let Some(sl) = i.slow else {
        return format!("server {server} cut clients that had stopped reading");
    };
    let (lo, hi) = (seconds(sl.zero_window_min_s), seconds(sl.zero_window_max_s));
    let spell = if lo == hi {
        format!("for {lo}")
    } else {
        format!("for {lo} to {hi}")
    };
    format!(
        "server {server} cut {} clients that had stopped reading (their receive windows zero {spell}) from {}, while {} other sessions went on",
        i.members,
        clock(i.start),
        sl.stayed
    )
}

/// A crash loop's headline: how many stops in how long, and each one's downtime and refused
/// attempts.
fn crash_loop_what(i: &Incident, server: &str) -> String {
    let mut out = format!(
        "server {server} stopped {} times in {} from {} (a crash loop)",
        i.stops.len(),
        seconds(i.window_s),
        clock(i.start)
    );
    let each: Vec<String> = i
        .stops
        .iter()
        .map(|s| {
            let down = s
                .down_s
                .map_or("not back".to_string(), |d| format!("down {}", seconds(d)));
            format!(
                "at {} {} sessions, {down}, {} attempts refused",
                clock(s.start),
                s.members,
                s.refused
            )
        })
        .collect();
    if !each.is_empty() {
        out.push_str(&format!(" ({})", each.join("; ")));
    }
    out
}

/// A fact a kind needs that a group does not show, in words ("nothing shows the server
/// gone: no attempt refused, no going-away stated").
pub fn fact_missing(f: crate::vocab::Fact) -> &'static str {
    use crate::vocab::Fact as F;
    match f {
        F::ByServer => "not every session was ended by the server",
        F::ByClient => "not every session was ended by its client",
        F::OneSide => "both sides ended some of them",
        F::OneClientHost => "they came from more than one client host",
        F::ByTcp => "some ended with a close frame (a stated decision, not a host's going)",
        F::Said => "not every session ended with a close frame (or an HTTP/2 RST_STREAM or GOAWAY)",
        F::OneCode => "they ended with different codes",
        F::ServerGone => "nothing shows the server gone: no connection attempt to it was refused or went unanswered, it stated no going-away (1001, 1012), and its host did not come back from a silence resetting every one of them",
        F::AcceptedAfter => "the server accepted no session after them in the capture",
        F::RestartedOnAnotherPort => "they were not closed with 1012 (Service Restart) with clients that came back at another port of the server's host",
        F::Proxied => "most of them did not go through a proxy",
        F::BackLegs => "most of them are not a proxy's back legs",
        F::Forged => "most of their resets came from the side they name",
        F::SameIdleAge => "they did not end at one idle age",
        F::Shedding => "their code is not one that sheds load (1013, 1014, 503, 429)",
        F::OverloadCode => "their code does not say overload by itself (1013, 429)",
        F::ServedOthers => "the server served no other session meanwhile: it was unavailable, not shedding load",
        F::Rejected => "they were not refused: they lived longer than a rejection takes",
        F::Stalled => "no ping went unanswered while the server's TCP answered",
        F::Outage => "their path did not go silent both ways and heal",
        F::ZeroWindows => "their clients had not stopped reading",
        F::Repeated => "the server did not stop again and again",
        F::TlsRefused => "no TLS handshake was refused after the server came back",
        F::HostDark => "their client host was not shown dark (the server's data to it unacknowledged, nothing from it) over one moment to their ends",
        F::HealedFirst => "the path was not shown healed before they ended (no new connection of their host got through while they were dark)",
        F::LostBetween => "two points of their path show most of their packets lost between them (they left one point and never reached the other): the path's doing, not an endpoint's",
    }
}

/// What `kind` is, in words (its row of the kinds' table).
pub fn kind_cause(kind: IncidentKind) -> &'static str {
    kind.cause_words()
}

/// What to change for `kind`, in words (its row of the kinds' table).
pub fn kind_fix(kind: IncidentKind) -> &'static str {
    kind.fix_words()
}

/// A stated decision's cause and fix, from what its members said (issue 102 item 3): the
/// row's cause, then the code's meaning (the close-code catalog, `close::catalog`) and what
/// its reason names (`diagnose::reason`); the fix the reason's kind's where it names one,
/// else the code's own (an HTTP/2 error code's: the row's), never another kind's.
fn decision_cause_and_fix(i: &Incident) -> (String, String) {
    let (from, peer) = match i.side {
        crate::vocab::Enders::Client => ("client", "server"),
        _ => ("server", "client"),
    };
    let said = i.facts.said.as_ref();
    let reason = said.and_then(|s| s.reason.as_deref());
    let mut cause = kind_cause(i.kind).to_string();
    let mut fix = kind_fix(i.kind).to_string();
    if let (EndedBy::Close(Some(c)), Some(_)) = (i.ended_by, i.code) {
        let entry = crate::close::catalog::lookup(c);
        cause.push_str(&format!(
            " Here the {from} closed them with {c} ({}){}: {}",
            entry.name,
            reason.map_or(String::new(), |r| format!(" and the reason {}", quoted(r))),
            entry.meaning
        ));
        fix = entry.fix.to_string();
        let kind = reason
            .filter(|_| crate::close::reason::reason_decides(c))
            .and_then(crate::close::reason::kind);
        if let Some(k) = kind {
            cause.push_str(&format!(
                " Its reason's words name {}.",
                super::reason::meaning(k, from, peer)
            ));
            fix = super::reason::fix(k, from, peer);
        } else if let Some(f) = reason.and_then(|r| said_fix(i, r)) {
            fix = f;
        }
    }
    if let Some(a) = said.and_then(|s| s.answered.as_ref()) {
        cause.push_str(&format!(
            " The {from}s reacted to the {peer}'s message: {}.",
            answered_words(a, i.members)
        ));
    }
    if i.reconnects.herd == Some(true) {
        fix.push_str(" Here the clients came back in a herd: add jitter to their backoff.");
    }
    (cause, fix)
}

/// The incident's cause and fix: its kind's, with what the capture shows of this one.
pub fn cause_and_fix(i: &Incident) -> (String, String) {
    if i.kind == IncidentKind::StatedDecision {
        return decision_cause_and_fix(i);
    }
    let mut cause = kind_cause(i.kind).to_string();
    let stop = matches!(
        i.kind,
        IncidentKind::ServerRestart | IncidentKind::ServerStop
    );
    if stop && i.facts.server_dark > 0 {
        // Its sessions' ends are spread by the clients' back-off: not "within moments".
        cause = format!(
            "The server's host went silent: for {} nothing came from it, not even a FIN or RST, while its clients' data went unacknowledged; it came back knowing none of its sessions (a host that lost its TCP state answers a stale segment with a reset, RFC 9293 §3.10.7.1), so each ended only when its client next sent, spread over their backed-off retransmissions. The host itself went and came back (a reboot, a VM or container replaced), not its process alone.",
            seconds(i.facts.server_dark_s.unwrap_or(0.0))
        );
    }
    if i.kind == IncidentKind::ServerRestart
        && i.facts.accepted_after_s.is_none()
        && i.facts.came_back_on_its_host > 0
    {
        // Nothing accepted at this address after: the restart is shown by what the server
        // said and where its clients went, not by a process started again here.
        cause = format!(
            "The server ended the sessions open to it within moments of each other, each with 1012 (Service Restart: the service is restarting, its clients may reconnect), and accepted no session at this address after; {} of its clients came back at {}: the service restarted there, on another port of its host.",
            i.facts.came_back_on_its_host,
            i.reconnects
                .elsewhere_server
                .as_deref()
                .unwrap_or("another address of the service")
        );
    }
    if stop && matches!(i.code, Some(1001 | 1012)) {
        cause.push_str(" The server said so in its close frames: the sessions were drained.");
    }
    if i.kind == IncidentKind::BackendStop {
        // Where the clients' new back legs went, as captured: never "another backend"
        // unless one was.
        let f = &i.facts;
        match (f.back_other_backend, f.back_same_backend) {
            (0, 0) => {}
            (0, n) => cause.push_str(&format!(
                " Here the {n} that came back through the front went to the same backend once it was back."
            )),
            (o, 0) => cause.push_str(&format!(
                " Here the {o} that came back through the front were sent to another backend."
            )),
            (o, n) => cause.push_str(&format!(
                " Here of those that came back through the front, {o} were sent to another backend and {n} to the same one once it was back."
            )),
        }
    }
    if i.kind == IncidentKind::MiddleboxReset && i.facts.made_between_points > 0 {
        // The points saw it, whatever the TTLs say.
        cause.push_str(&format!(
            " Here {} of the {} sessions were seen at two points of their path, and the point nearer the side each reset names never saw that side send it: made between the points, whatever its TTL (each session's cause says where it was seen).",
            i.facts.made_between_points, i.members
        ));
    }
    if i.facts.lost_between_points > 0 {
        cause.push_str(&lost_between_words(i));
    }
    if i.kind == IncidentKind::ClientDrop && i.ended_by == EndedBy::Silence {
        // No FIN or RST came: an exiting process's kernel would have sent one.
        cause.push_str(" Here the host sent nothing more, not even a FIN or RST, while the server's data went unacknowledged: its network went, not its process.");
    }
    if i.kind == IncidentKind::ClientDrop && i.facts.dark > 0 {
        cause.push_str(&format!(
            " Here the host sent nothing for {} while the server's data to it was retransmitted unacknowledged: its network went (an interface down, a link or the path to it cut), not its processes. When it was back, each session ended by TCP: a socket gone on one side answered the other's first packet with a reset.",
            seconds(i.facts.dark_s.unwrap_or(0.0))
        ));
    }
    if i.kind == IncidentKind::Partition && i.facts.dark > 0 {
        cause.push_str(" Here the capture shows one side of the cut: the server's data retransmitted unanswered and nothing from the client host, until the host's new connections got through; the old sessions' sockets had died during the cut, and each ended when the server's next, backed-off retransmission met the host's reset.");
    }
    if i.kind == IncidentKind::ClientDrop && i.ended_by.by_tcp() && i.facts.dark == 0 {
        // An interface that goes down sends nothing; a kernel closes a socket (FIN, or RST
        // with unread data) when the process that held it ends.
        cause.push_str(&format!(
            " Here the host's kernel ended each session itself, with a {} and no close frame, within {}: the processes that held them ended at once (a kill such as SIGKILL or an out-of-memory kill, a crash, or an exit without closing); the host and its network were up.",
            how(i.ended_by),
            seconds(i.window_s)
        ));
        if i.reconnects.came_back > 0 {
            cause.push_str(" Its clients came back afterwards: the processes were started again.");
        }
    }
    let mut fix = kind_fix(i.kind).to_string();
    if matches!(i.code, Some(1001 | 1012))
        && matches!(
            i.kind,
            IncidentKind::ServerRestart | IncidentKind::ServerStop
        )
    {
        fix = "The server already drained with a close code; stagger the closes and let clients reconnect with jittered backoff.".into();
    }
    if i.kind == IncidentKind::ClientDrop && i.ended_by.by_tcp() && i.facts.dark > 0 {
        fix = "Nothing on the server to change: the client host's network went. Find what took it down (its interface, its link, the path to it); keep pings frequent enough to notice a dead session, and let clients reconnect with jittered backoff when their network returns.".into();
    } else if i.kind == IncidentKind::ClientDrop && i.ended_by.by_tcp() {
        fix = "Nothing on the server to change: find on the client host why its processes ended at once (the kernel's log for an out-of-memory kill, a deploy or supervisor that killed them, their crash logs); processes started again should reconnect with jittered backoff.".into();
    }
    if i.kind == IncidentKind::Partition && i.facts.lost_between_points > 0 {
        fix.push_str(" Here the cut lies between the two capture points: look at the routers, firewalls and links between them.");
    }
    if i.reconnects.herd == Some(true) {
        fix.push_str(" Here the clients came back in a herd: add jitter to their backoff.");
    }
    (cause, fix)
}

/// A connection's incident and reconnect in words: "one of the closes of incident 1 (see
/// the incidents); reconnected after 1.2 s as connection 14; replaces connection 3".
pub fn connection_line(c: &ConnectionReport) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(n) = c.incident {
        parts.push(format!(
            "one of the closes of incident {n}, which belong together (see the incidents)"
        ));
    }
    if let Some(r) = &c.reconnect {
        let refused = if r.refused { ", refused" } else { "" };
        parts.push(if r.same_host {
            // Several clients of one host: which one came back, the capture does not say.
            format!(
                "a new session from the same host {} later (connection {}{refused}; the host runs several clients: not surely this one)",
                seconds(r.after_s),
                r.connection
            )
        } else {
            format!(
                "reconnected after {} as connection {}{refused}",
                seconds(r.after_s),
                r.connection
            )
        });
    }
    if let Some(p) = c.replaces {
        parts.push(if c.replaces_same_host {
            // The other half of the link above: one of several clients of the host.
            format!("a new session from the host of connection {p} (not surely its client)")
        } else {
            format!("replaces connection {p}")
        });
    }
    if let Some(t) = &c.seen_at_two_points {
        parts.push(format!(
            "the same session as connection {} at another point of the capture (the {}'s address translated){}",
            t.connection,
            t.translated,
            match t.reset_made_between {
                Some(by) => format!("; the {by}'s reset here was made between the points"),
                None => String::new(),
            }
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}
