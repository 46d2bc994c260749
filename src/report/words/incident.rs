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
use crate::vocab::{EndedBy, Incident, IncidentKind};

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
}

/// The headline: what, where, when; how many ended how and within what; who came back.
fn headline(i: &Incident) -> String {
    let at = clock(i.start);
    let server = i.server.as_deref().unwrap_or("several servers");
    let client = i.client.as_deref().unwrap_or("several clients");
    let what = match i.kind {
        IncidentKind::ServerRestart => match i.down_s {
            Some(d) => format!("server {server} restarted at {at} (down {})", seconds(d)),
            None => format!("server {server} restarted at {at}"),
        },
        IncidentKind::ServerStop => format!("server {server} stopped at {at}"),
        IncidentKind::ProxyReload => format!("proxy {server} reloaded or restarted at {at}"),
        IncidentKind::IdleTimeoutCohort => format!(
            "sessions to {server} cut at the same idle age, {}",
            seconds(i.idle_s.unwrap_or(0.0))
        ),
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
    };
    let mut out = format!(
        "{what}; {} sessions ended by {} within {}",
        i.members,
        how(i.ended_by),
        seconds(i.window_s)
    );
    let r = &i.reconnects;
    if r.came_back > 0 {
        out.push_str(&format!("; {} reconnected", r.came_back));
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
        if r.same_host > 0 {
            out.push_str(&format!(
                "; {} of them new sessions of a host with several clients (not surely the same clients)",
                r.same_host
            ));
        }
    }
    if r.refused > 0 && i.kind == IncidentKind::Partition {
        out.push_str(&format!(
            "; {} connection attempts got no answer while the path was cut",
            r.refused
        ));
    } else if r.refused > 0 {
        out.push_str(&format!("; {} reconnect attempts refused", r.refused));
    }
    if r.refused_tls > 0 {
        out.push_str(&format!(
            "; refused at TLS: {}, the clients rejected the new certificate (their alert after its Certificate, or their close)",
            r.refused_tls
        ));
    }
    if r.never > 0 {
        out.push_str(&format!("; {} never came back", r.never));
    }
    out
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
        return format!("the path between {client} and {server} was cut and healed");
    };
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

/// Each kind's cause, in general terms (for `wsclose explain`).
pub fn kind_cause(kind: IncidentKind) -> &'static str {
    match kind {
        IncidentKind::ServerRestart => "The server ended the sessions open to it within moments of each other, each the same way, and accepted new sessions afterwards: its process was stopped and started again (a deploy, a restart, a crash under a supervisor). Each connection's close may look clean; together they are one stop.",
        IncidentKind::ServerStop => "The server ended the sessions open to it within moments of each other, each the same way, and accepted no new session in the rest of the capture: its process stopped (or its port closed).",
        IncidentKind::ProxyReload => "A proxy in front of the servers ended the sessions through it within moments of each other: a reload or restart of the proxy (nginx, HAProxy, Envoy end or hand over their upgraded connections when their workers are replaced).",
        IncidentKind::IdleTimeoutCohort => "Sessions to one server ended after the same quiet spell, whenever each went quiet: a timeout set on the server, on a proxy or load balancer in front, or in the client, cuts sessions idle that long.",
        IncidentKind::ClientDrop => "All the sessions of one client host ended at once, from the client's side, without close frames. Ended by its kernel's FIN or RST: the client processes that held them ended at once (killed, crashed, or exited without closing) while the host and its network stayed up; fallen silent (no FIN or RST, the server's data unacknowledged): the host went away (it slept, or its network changed: an interface went down, a VPN or Wi-Fi changed).",
        IncidentKind::OverloadShedding => "The server closed many sessions with 1013 (Try Again Later) or 1014, or refused upgrades with 503 or 429: it is shedding load.",
        IncidentKind::RejectionLoop => "The server refused one client with the same code again and again, and the client kept retrying: what it sends (its credentials, its subscription, its message) is refused every time.",
        IncidentKind::MassRejection => "The server refused many clients with the same code at once: a policy or credentials check that fails for all of them (a rotated signing key, an expired certificate, a changed origin rule).",
        IncidentKind::ServerStall => "The server's process stopped answering while its host went on: its TCP acknowledged what the clients sent (their pings, their close frames, new connections in its listen queue), but from one moment no pong, no frame and no upgrade came from it on any of these sessions, and the clients' own heartbeats gave up and ended them. A process stopped (SIGSTOP, a debugger), blocked (a long synchronous call on its event loop, a lock, swap) or paused (a garbage collector's stop-the-world) does this. Not an idle timeout: the sessions were not quiet, the server was; not the network: the server's TCP answered.",
        IncidentKind::CrashLoop => "The server stopped again and again, each time soon after it came back: its process exits (crashes, or is killed for memory or by a failing health check) shortly after it starts, and its supervisor starts it again; each stop ended the sessions that had come back.",
        IncidentKind::MiddleboxReset => "Many sessions ended by TCP resets that the side they name never sent: each reset's TTL is unlike that side's own packets before it, so it was made on the path between the two (a firewall rule, a NAT or load balancer that lost its flow state, an IDS). Neither the server nor the clients went down.",
        IncidentKind::BackendStop => "A backend behind a proxy or load balancer ended its sessions (the proxy's back legs) within moments of each other: it was stopped or drained. The proxy ended the clients' sessions through it; those that came back through the front were sent to another backend.",
        IncidentKind::TlsRejectedRestart => "The server stopped and came back, answering TLS handshakes again, but its clients refused every one after its hello: each read the server's certificate and answered with a fatal alert (bad_certificate, unknown_ca, certificate_expired: TLS 1.3 protects it, so without the key log only its size and the client's close show it) and closed. The certificate it came back with is one they do not trust: another issuer, an expired or self-signed certificate, a name that does not match. No session came back.",
        IncidentKind::Partition => "The network path between the clients and the server was cut and then carried packets again: on every session it crossed, both sides sent their data again and again and nothing was acknowledged, then a packet got through. A session died where a side's heartbeat or timeout was shorter than the silence: it gave up during it (its close frame or FIN waited in its kernel behind the unacknowledged data and crossed at the heal, or its socket was gone and the peer's next packet met a reset). Sessions whose timeouts were longer lived on. Neither the server nor the clients stopped: not an idle timeout, not a stalled server (its TCP went silent too), not a client drop.",
        IncidentKind::SlowConsumers => "The server ended sessions whose clients had stopped reading: each client's receive window was zero (its application took nothing; its kernel answered the server's zero-window probes with a zero window, so the client's host and the network were up) while the server's data piled up, and the server gave up on it (a write timeout, a limit on what a session may queue, a heartbeat the client never read) and closed it: a close frame or FIN that waits behind the unread bytes and reaches the client only if it reads again, or an RST that drops them. The server's other sessions went on: it was not stopped.",
    }
}

/// Each kind's fix.
pub fn kind_fix(kind: IncidentKind) -> &'static str {
    match kind {
        IncidentKind::ServerRestart | IncidentKind::ServerStop => "Before stopping the server, drain it: send each session a close frame with 1001 (Going Away) or 1012 (Service Restart) and a reason, and stagger those closes; let clients reconnect with jittered exponential backoff so they do not come back in a herd.",
        IncidentKind::ProxyReload => "Let the proxy's old workers keep upgraded connections while they drain (nginx worker_shutdown_timeout, HAProxy hard-stop-after, Envoy drain time), or close them with 1001 and a reason; clients should reconnect with jittered backoff.",
        IncidentKind::IdleTimeoutCohort => "Raise the timeout on whichever hop cuts quiet sessions, or cover it: send a ping (or an application heartbeat) more often than the shortest idle timeout on the path.",
        IncidentKind::ClientDrop => "Nothing on the server to change: the client host went away. Clients should reconnect with jittered backoff when their network returns; the server should notice dead sessions with pings.",
        IncidentKind::OverloadShedding => "Add capacity or lower the load; clients told 1013 must back off with jitter before retrying, or the shedding feeds itself.",
        IncidentKind::RejectionLoop => "Fix what is refused (the credentials, the token, the request) before retrying: a client should not retry a policy or authentication refusal unchanged, or should back off and stop.",
        IncidentKind::MassRejection => "Find what changed for all of them at that moment (keys, certificates, configuration) and fix it there; clients should not retry a refusal unchanged.",
        IncidentKind::ServerStall => "Find what held the server's process at that moment (its logs and event-loop lag, a thread dump, the garbage collector's pauses, CPU throttling, swap); keep blocking work off the event loop; have its health check send a WebSocket ping (not only open a TCP connection, which the kernel accepts for a stopped process) so that a process that stops answering is replaced.",
        IncidentKind::CrashLoop => "Read the server's logs at the first stop for why it exits (a crash, an out-of-memory kill, a failing health check) and fix that; until then, clients must back off with jitter and growing delays, so that each restart is not met by all of them at once.",
        IncidentKind::MiddleboxReset => "Find the box on the path that resets connections in the peers' names (a capture on the server's own host shows it never sent those resets): its rules, its flow table's idle timeout or size. Nothing to change on the server; clients should reconnect with jittered backoff.",
        IncidentKind::BackendStop => "Take the backend out of the load balancer before stopping it (drain: mark it down, let sessions end, or close them with 1001 and a reason), and let clients reconnect with jittered backoff; the front sends them to the backends still up.",
        IncidentKind::TlsRejectedRestart => "Check the certificate the server was started with (its issuer, dates and names) against the clients' trust store, and put back one they accept; deploy certificates with a check that a client of the fleet completes a handshake before the old server stops.",
        IncidentKind::Partition => "Find what cut the path at that moment (a router, firewall, link or failover between the two; both ends stayed up). To ride out such cuts, make heartbeat timeouts longer than the outages the network has (the survivors' were); to notice them sooner, keep them short and reconnect with jittered backoff once the path is back.",
        IncidentKind::SlowConsumers => "Find why those clients stopped reading (a blocked event loop or UI thread, a handler slower than the feed, a paused or suspended device) and let them keep up: send them less (conflate or drop stale updates) or let them ask for what they can take. On the server, keep the limit on what a session may queue, and log which session it cut and why: its close frame cannot pass the bytes queued before it, so the client learns nothing until it reads them.",
    }
}

/// The incident's cause and fix: its kind's, with what the capture shows of this one.
pub fn cause_and_fix(i: &Incident) -> (String, String) {
    let mut cause = kind_cause(i.kind).to_string();
    if matches!(
        i.kind,
        IncidentKind::ServerRestart | IncidentKind::ServerStop
    ) && matches!(i.code, Some(1001 | 1012))
    {
        cause.push_str(" The server said so in its close frames: the sessions were drained.");
    }
    if i.kind == IncidentKind::ClientDrop && i.ended_by == EndedBy::Silence {
        // No FIN or RST came: an exiting process's kernel would have sent one.
        cause.push_str(" Here the host sent nothing more, not even a FIN or RST, while the server's data went unacknowledged: its network went, not its process.");
    }
    if i.kind == IncidentKind::ClientDrop && i.ended_by.by_tcp() {
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
    if i.kind == IncidentKind::ClientDrop && i.ended_by.by_tcp() {
        fix = "Nothing on the server to change: find on the client host why its processes ended at once (the kernel's log for an out-of-memory kill, a deploy or supervisor that killed them, their crash logs); processes started again should reconnect with jittered backoff.".into();
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
