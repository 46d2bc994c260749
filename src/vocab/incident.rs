//! Closes of several connections that belong together: an [`Incident`] of an
//! [`IncidentKind`] (JSON `incidents[]`), who came back after it (`reconnects.rs`, [`Bin`]),
//! and per connection its [`Reconnect`] and what came [`After`] its abrupt ending
//! ([`Accepted`]).
//!
//! In: nothing of the project. Out: the values the `incident` stage fills (its thresholds,
//! `incident::RECONNECT_MAX_S` and the like, and its words stay there).

use super::ended_by::{EndedBy, Enders};
use super::endpoint::Endpoint;
use super::reconnects::Reconnects;
use super::stated::Stated;
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The kinds of incident, one row each: its name (as JSON and `wsclose explain` spell it),
/// the evidence its name needs ([`Needs`], over the facts computed once for every group of
/// endings, [`IncidentFacts`]), and its words (what it is, what to change). The incident stage
/// names a group a kind only where that row holds of its facts (`incident::detect`'s gate);
/// a new kind is one row here, its headline (`report::words::incident`) and its detector.
macro_rules! incident_kinds {
    ($(
        $(#[$doc:meta])*
        $name:literal => $variant:ident {
            needs: { $($needs:tt)* },
            cause: $cause:literal,
            fix: $fix:literal $(,)?
        }
    )*) => {
        /// What kind of incident.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        #[serde(rename_all = "kebab-case")]
        pub enum IncidentKind {
            $( $(#[$doc])* $variant, )*
        }

        impl IncidentKind {
            /// Its name, as JSON and `wsclose explain` spell it.
            pub fn name(self) -> &'static str {
                match self {
                    $( IncidentKind::$variant => $name, )*
                }
            }

            /// Every kind, in the table's order.
            pub const ALL: &'static [IncidentKind] = &[$( IncidentKind::$variant, )*];

            /// The evidence its name needs.
            pub fn needs(self) -> Needs {
                match self {
                    $( IncidentKind::$variant => Needs { $($needs)* }, )*
                }
            }

            /// What it is, in words (`wsclose explain KIND`, an incident's cause).
            pub fn cause_words(self) -> &'static str {
                match self {
                    $( IncidentKind::$variant => $cause, )*
                }
            }

            /// What to change, in words.
            pub fn fix_words(self) -> &'static str {
                match self {
                    $( IncidentKind::$variant => $fix, )*
                }
            }
        }
    };
}

incident_kinds! {
    /// The server ended its sessions at once and accepted new ones later, or said it was
    /// restarting (1012) and its clients came back at another port of its host.
    "server-restart" => ServerRestart {
        needs: { all: &[Fact::ByServer, Fact::ServerGone], any: &[Fact::AcceptedAfter, Fact::RestartedOnAnotherPort], none: &[Fact::LostBetween] },
        cause: "The server ended the sessions open to it within moments of each other, each the same way, and accepted new sessions afterwards: its process was stopped and started again (a deploy, a restart, a crash under a supervisor). Each connection's close may look clean; together they are one stop.",
        fix: "Before stopping the server, drain it: send each session a close frame with 1001 (Going Away) or 1012 (Service Restart) and a reason, and stagger those closes; let clients reconnect with jittered exponential backoff so they do not come back in a herd.",
    }
    /// The server ended its sessions at once and accepted none after (in the capture).
    "server-stop" => ServerStop {
        needs: { all: &[Fact::ByServer, Fact::ServerGone], any: &[], none: &[Fact::AcceptedAfter, Fact::RestartedOnAnotherPort, Fact::LostBetween] },
        cause: "The server ended the sessions open to it within moments of each other, each the same way, and accepted no new session in the rest of the capture: its process stopped (or its port closed).",
        fix: "Before stopping the server, drain it: send each session a close frame with 1001 (Going Away) or 1012 (Service Restart) and a reason, and stagger those closes; let clients reconnect with jittered exponential backoff so they do not come back in a herd.",
    }
    /// A proxy in front ended its sessions at once (a reload or restart).
    "proxy-reload" => ProxyReload {
        needs: { all: &[], any: &[Fact::Proxied, Fact::BackLegs], none: &[] },
        cause: "A proxy in front of the servers ended the sessions through it within moments of each other: a reload or restart of the proxy (nginx, HAProxy, Envoy end or hand over their upgraded connections when their workers are replaced).",
        fix: "Let the proxy's old workers keep upgraded connections while they drain (nginx worker_shutdown_timeout, HAProxy hard-stop-after, Envoy drain time), or close them with 1001 and a reason; clients should reconnect with jittered backoff.",
    }
    /// Many sessions ended at the same idle age: a timeout.
    "idle-timeout-cohort" => IdleTimeoutCohort {
        needs: { all: &[Fact::SameIdleAge], any: &[], none: &[] },
        cause: "Sessions to one server ended after the same quiet spell, whenever each went quiet: a timeout set on the server, on a proxy or load balancer in front, or in the client, cuts sessions idle that long.",
        fix: "Raise the timeout on whichever hop cuts quiet sessions, or cover it: send a ping (or an application heartbeat) more often than the shortest idle timeout on the path.",
    }
    /// All the sessions of one client host ended at once: its process exited or its
    /// network changed (or went dark and came back: `host-dark`).
    "client-drop" => ClientDrop {
        needs: { all: &[Fact::OneClientHost, Fact::ByTcp], any: &[Fact::ByClient, Fact::HostDark], none: &[Fact::LostBetween] },
        cause: "All the sessions of one client host ended at once without close frames, for a reason on the client's side. Ended by its kernel's FIN or RST: the client processes that held them ended at once (killed, crashed, or exited without closing) while the host and its network stayed up; fallen silent (no FIN or RST, the server's data unacknowledged): the host went away (it slept, or its network changed: an interface went down, a VPN or Wi-Fi changed); gone dark and back (the server's data unacknowledged and nothing from the host, then each session ended by TCP when it returned, by whichever side's RST: a socket closed in the dark meets the other side's first packet): its network went and came back.",
        fix: "Nothing on the server to change: the client host went away. Clients should reconnect with jittered backoff when their network returns; the server should notice dead sessions with pings.",
    }
    /// The server closed many sessions with 1013 or 1014 (or refused upgrades with 503 or
    /// 429) while it served others: it is shedding load. Overload is the server taking some
    /// while it turns others away: 1013 (Try Again Later, RFC 6455 §7.4.1's registry) and
    /// 429 (Too Many Requests, RFC 6585 §4) say so themselves; 503 (RFC 9110 §15.6.4: a
    /// temporary overload *or scheduled maintenance*) and 1014 do not, so they need the
    /// server shown serving other sessions meanwhile (accepted during the refusals, or kept
    /// open through them). A 503 to every upgrade while nothing is served is the server
    /// unavailable: it belongs to whatever made it so.
    "overload-shedding" => OverloadShedding {
        needs: { all: &[Fact::ByServer, Fact::Shedding], any: &[Fact::OverloadCode, Fact::ServedOthers], none: &[] },
        cause: "The server closed many sessions with 1013 (Try Again Later) or 1014, or refused upgrades with 503 or 429, while it went on serving other sessions: it is shedding load.",
        fix: "Add capacity or lower the load; clients told 1013 must back off with jitter before retrying, or the shedding feeds itself.",
    }
    /// One client refused again and again with the same code as it retries.
    "rejection-loop" => RejectionLoop {
        needs: { all: &[Fact::ByServer, Fact::OneClientHost, Fact::OneCode, Fact::Rejected], any: &[], none: &[] },
        cause: "The server refused one client with the same code again and again, and the client kept retrying: what it sends (its credentials, its subscription, its message) is refused every time.",
        fix: "Fix what is refused (the credentials, the token, the request) before retrying: a client should not retry a policy or authentication refusal unchanged, or should back off and stop.",
    }
    /// Many clients refused with the same code at once.
    "mass-rejection" => MassRejection {
        needs: { all: &[Fact::ByServer, Fact::OneCode, Fact::Rejected], any: &[], none: &[] },
        cause: "The server refused many clients with the same code at once: a policy or credentials check that fails for all of them (a rotated signing key, an expired certificate, a changed origin rule).",
        fix: "Find what changed for all of them at that moment (keys, certificates, configuration) and fix it there; clients should not retry a refusal unchanged.",
    }
    /// The server's process stopped answering while its host's TCP went on: the clients'
    /// pings went unanswered (acknowledged in TCP) and they ended their sessions.
    "server-stall" => ServerStall {
        needs: { all: &[Fact::Stalled], any: &[], none: &[Fact::LostBetween] },
        cause: "The server's process stopped answering while its host went on: its TCP acknowledged what the clients sent (their pings, their close frames, new connections in its listen queue), but from one moment no pong, no frame and no upgrade came from it on any of these sessions, and the clients' own heartbeats gave up and ended them. A process stopped (SIGSTOP, a debugger), blocked (a long synchronous call on its event loop, a lock, swap) or paused (a garbage collector's stop-the-world) does this. Not an idle timeout: the sessions were not quiet, the server was; not the network: the server's TCP answered.",
        fix: "Find what held the server's process at that moment (its logs and event-loop lag, a thread dump, the garbage collector's pauses, CPU throttling, swap); keep blocking work off the event loop; have its health check send a WebSocket ping (not only open a TCP connection, which the kernel accepts for a stopped process) so that a process that stops answering is replaced.",
    }
    /// One server stopped again and again within moments of coming back.
    "crash-loop" => CrashLoop {
        needs: { all: &[Fact::Repeated], any: &[], none: &[Fact::LostBetween] },
        cause: "The server stopped again and again, each time soon after it came back: its process exits (crashes, or is killed for memory or by a failing health check) shortly after it starts, and its supervisor starts it again; each stop ended the sessions that had come back.",
        fix: "Read the server's logs at the first stop for why it exits (a crash, an out-of-memory kill, a failing health check) and fix that; until then, clients must back off with jitter and growing delays, so that each restart is not met by all of them at once.",
    }
    /// Many sessions ended by resets their named sender never sent (a TTL unlike that
    /// side's own packets): a box between the two (a firewall, NAT, load balancer or IDS)
    /// reset them.
    "middlebox-reset" => MiddleboxReset {
        needs: { all: &[Fact::Forged], any: &[], none: &[] },
        cause: "Many sessions ended by TCP resets that the side they name never sent: each reset's TTL is unlike that side's own packets before it, so it was made on the path between the two (a firewall rule, a NAT or load balancer that lost its flow state, an IDS). Neither the server nor the clients went down.",
        fix: "Find the box on the path that resets connections in the peers' names (a capture on the server's own host shows it never sent those resets): its rules, its flow table's idle timeout or size. Nothing to change on the server; clients should reconnect with jittered backoff.",
    }
    /// A backend behind a proxy or load balancer ended its sessions at once (stopped or
    /// drained); the clients' sessions through the front ended with them.
    "backend-stop" => BackendStop {
        needs: { all: &[], any: &[Fact::BackLegs, Fact::Proxied], none: &[] },
        cause: "A backend behind a proxy or load balancer ended its sessions (the proxy's back legs) within moments of each other: it was stopped or drained. The proxy ended the clients' sessions through it; those that came back through the front were sent to a backend it chose (another one, or the same once it was back).",
        fix: "Take the backend out of the load balancer before stopping it (drain: mark it down, let sessions end, or close them with 1001 and a reason), and let clients reconnect with jittered backoff; the front sends them to the backends still up.",
    }
    /// The path between clients and a server was cut and healed: both sides' data went
    /// unacknowledged at once, then got through; the sessions whose side gave up during the
    /// silence (a timeout shorter than it) died, the others lived on. Seen at two points of
    /// the path, more directly: one side's packets left one point and never reached the
    /// other (`LostBetween`), while each session's end was its sender's host's own, seen at
    /// both (so both hosts were up: what TCP's unacknowledged data alone only suggests).
    "partition" => Partition {
        needs: { all: &[], any: &[Fact::Outage, Fact::HealedFirst, Fact::LostBetween], none: &[] },
        cause: "The network path between the clients and the server was cut and then carried packets again: on every session it crossed, data was sent again and again and nothing was acknowledged (both sides' where the capture sees both; seen from one side, that side's, with nothing from the other), then a packet got through. A session died where a side's heartbeat or timeout was shorter than the silence: it gave up during it (its close frame or FIN waited in its kernel behind the unacknowledged data and crossed at the heal, or its socket was gone and the peer's next packet met a reset). Sessions whose timeouts were longer lived on. Neither the server nor the clients stopped: not an idle timeout, not a stalled server (its TCP went silent too), not a client drop.",
        fix: "Find what cut the path at that moment (a router, firewall, link or failover between the two; both ends stayed up). To ride out such cuts, make heartbeat timeouts longer than the outages the network has (the survivors' were); to notice them sooner, keep them short and reconnect with jittered backoff once the path is back.",
    }
    /// The server stopped and answered again, but its clients refused every TLS handshake
    /// after its hello (their alert after its Certificate, or their close): they reject the
    /// certificate it came back with.
    "tls-rejected-restart" => TlsRejectedRestart {
        needs: { all: &[Fact::TlsRefused], any: &[], none: &[] },
        cause: "The server stopped and came back, answering TLS handshakes again, but its clients refused every one after its hello: each read the server's certificate and answered with a fatal alert (bad_certificate, unknown_ca, certificate_expired: TLS 1.3 protects it, so without the key log only its size and the client's close show it) and closed. The certificate it came back with is one they do not trust: another issuer, an expired or self-signed certificate, a name that does not match. No session came back.",
        fix: "Check the certificate the server was started with (its issuer, dates and names) against the clients' trust store, and put back one they accept; deploy certificates with a check that a client of the fleet completes a handshake before the old server stops.",
    }
    /// The server ended several sessions whose clients had stopped reading (their receive
    /// window zero while its data piled up), while its other sessions went on: slow
    /// consumers cut.
    "slow-consumers" => SlowConsumers {
        needs: { all: &[Fact::ByServer, Fact::ZeroWindows], any: &[], none: &[] },
        cause: "The server ended sessions whose clients had stopped reading: each client's receive window was zero (its application took nothing; its kernel answered the server's zero-window probes with a zero window, so the client's host and the network were up) while the server's data piled up, and the server gave up on it (a write timeout, a limit on what a session may queue, a heartbeat the client never read) and closed it: a close frame or FIN that waits behind the unread bytes and reaches the client only if it reads again, or an RST that drops them. The server's other sessions went on: it was not stopped.",
        fix: "Find why those clients stopped reading (a blocked event loop or UI thread, a handler slower than the feed, a paused or suspended device) and let them keep up: send them less (conflate or drop stale updates) or let them ask for what they can take. On the server, keep the limit on what a session may queue, and log which session it cut and why: its close frame cannot pass the bytes queued before it, so the client learns nothing until it reads them.",
    }
    /// The members ended by one side's close frames (or HTTP/2 RST_STREAMs or GOAWAYs), all
    /// with one code, within moments, and no other row holds: the incident is that side's stated decision, headlined by it.
    "stated-decision" => StatedDecision {
        needs: { all: &[Fact::OneSide, Fact::Said, Fact::OneCode], any: &[], none: &[] },
        cause: "One side closed these sessions within moments of each other, each with the same close code: its application's stated decision, which the code (and the reason, where one was sent) says. Nothing in the capture shows a process stopped, a proxy reloaded or the network failed: the sessions ended because that side chose to end them.",
        fix: "Read what the code means for that application (its documentation, the subprotocol named in the handshake) and the reason sent with it; if the clients should not have been closed, fix the decision there. Clients that come back should back off with jitter, not all at once.",
    }
}

impl IncidentKind {
    /// The kind named `name` (`wsclose explain server-restart`).
    pub fn named(name: &str) -> Option<IncidentKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// One fact of a group of endings that a kind's name may need ([`Needs`]), read from its
/// [`IncidentFacts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Fact {
    /// The server ended every member.
    ByServer,
    /// The clients ended every member.
    ByClient,
    /// One side ended every member.
    OneSide,
    /// Every member came from one client host.
    OneClientHost,
    /// Every member ended by TCP (FIN or RST) or fell silent: no close frame.
    ByTcp,
    /// Every member ended by its side's stated end: a close frame, or an HTTP/2 RST_STREAM
    /// or GOAWAY with its error code.
    Said,
    /// Every member ended with one close code (or one HTTP status refusing the upgrade).
    OneCode,
    /// The server shown gone: connection attempts to it refused in TCP (a SYN answered by
    /// a RST or by nothing) or TLS handshakes refused after it, a going-away it stated
    /// (1001, 1012), or its host, back from a silence, resetting every member as its
    /// first packet on it (it held none of them: `reset_after_dark`).
    ServerGone,
    /// The server accepted a session after the last member's end.
    AcceptedAfter,
    /// Every member was closed with 1012 (Service Restart: the service is restarting, its
    /// clients may reconnect; the IANA WebSocket close code registry) and some of their
    /// clients came back at another port of the server's host: it restarted there. (Back
    /// at another host only, the server stopped and its clients moved: `server-stop`.)
    RestartedOnAnotherPort,
    /// More than half the members went through a proxy.
    Proxied,
    /// More than half the members are a proxy's back legs.
    BackLegs,
    /// More than half the members ended by resets their named sender never sent.
    Forged,
    /// The members ended at one idle age (a timeout).
    SameIdleAge,
    /// Every member's code sheds load (1013, 1014; 503 or 429 refusing the upgrade).
    Shedding,
    /// Every member's code says overload by itself: 1013 Try Again Later (a close), 429 Too
    /// Many Requests (a refused upgrade).
    OverloadCode,
    /// The server served other sessions while it ended or refused the members: sessions it
    /// had accepted (not members) open at some moment between the first member's end and
    /// the last.
    ServedOthers,
    /// Every member was refused: its upgrade refused, or closed within moments of its start.
    Rejected,
    /// The server's TCP answered while its application did not (unanswered pings).
    Stalled,
    /// The members' path went silent both ways and healed.
    Outage,
    /// The members' clients had stopped reading (zero windows).
    ZeroWindows,
    /// The server stopped again and again.
    Repeated,
    /// The clients refused the TLS handshakes after the server came back.
    TlsRefused,
    /// Every member's client host was dark over one moment they all share, to its end: the
    /// server's data to it unacknowledged and nothing from it (its network, or the path to
    /// it, gone), and its first packet back, or the server's answer to it, ended the
    /// session.
    HostDark,
    /// The members' client host was dark and its new connections reached the server while
    /// the members were still dark: the path carried packets again before they ended (their
    /// sockets had died during the cut).
    HealedFirst,
    /// More than half the members were seen at two points of their path, and their packets
    /// of one side left one point and never reached the other before their end (the points'
    /// verdict `lost-between`): the path between the points lost them.
    LostBetween,
}

/// The evidence a kind's name needs, over a group's [`IncidentFacts`]: every fact of `all`,
/// one of `any` (when any is listed), none of `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// Facts that must all hold.
    pub all: &'static [Fact],
    /// Facts of which one must hold (none listed: no such need).
    pub any: &'static [Fact],
    /// Facts none of which may hold.
    pub none: &'static [Fact],
}

impl Needs {
    /// `Ok` when `facts` hold it; else the first fact missing (or present, from `none`).
    pub fn check(&self, facts: &IncidentFacts) -> Result<(), Fact> {
        if let Some(f) = self.all.iter().find(|f| !facts.holds(**f)) {
            return Err(*f);
        }
        if let Some(first) = self.any.first() {
            if !self.any.iter().any(|f| facts.holds(*f)) {
                return Err(*first);
            }
        }
        match self.none.iter().find(|f| facts.holds(**f)) {
            Some(f) => Err(*f),
            None => Ok(()),
        }
    }
}

/// What every group of endings is named from, computed once for it: who ended its members
/// and how, what they said, and what the server, the path and the clients showed around it
/// (JSON `facts` of an incident: a reader sees why it was named).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentFacts {
    /// Members the server ended.
    pub by_server: u64,
    /// Members their clients ended.
    pub by_client: u64,
    /// Client hosts the members came from.
    pub hosts: u64,
    /// Sessions to the server open at the first member's end (the members among them).
    pub open: u64,
    /// Members ended by a close frame.
    pub close_frames: u64,
    /// Members whose HTTP/2 stream its side ended with an RST_STREAM or a GOAWAY.
    #[serde(default)]
    pub h2_ends: u64,
    /// Members ended by a FIN, a RST, or silence (no close frame).
    pub by_tcp: u64,
    /// Members whose upgrade was refused (an HTTP status).
    pub refused_upgrades: u64,
    /// Every member ended the same way with one code (a close code or an HTTP status).
    pub one_code: bool,
    /// That code is a load shedder's (1013, 1014, 503, 429).
    pub shedding: bool,
    /// That code says overload by itself (1013, 429). Absent when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overload_code: bool,
    /// Sessions of the server it had accepted, not members, open at some moment between
    /// the first member's end and the last: it went on serving them. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub served_others: u64,
    /// Members whose own side sent a close frame only after the peer's FIN or RST (RFC 6455
    /// §7.1.5: the connection was already closed, 1006): counted as the peer's TCP end, the
    /// frame kept here as a fact (a library's reaction to the closed connection, not a
    /// decision). Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub closes_after_peer_end: u64,
    /// The code a side stated as going away (1001 Going Away, 1012 Service Restart, an
    /// HTTP/2 GOAWAY).
    pub going_away: bool,
    /// Every member was closed with 1012 (Service Restart): the server stated a restart.
    /// Absent when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart_stated: bool,
    /// Of the members counted come back elsewhere (`reconnects.elsewhere`), those back at
    /// another port of the server's own host. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub came_back_on_its_host: u64,
    /// The longest a member lived, from its start to its end, seconds.
    pub lived_max_s: f64,
    /// Members through a proxy (front legs, or a response naming a proxy).
    pub proxied: u64,
    /// Members that are a proxy's back legs (their client the proxy).
    pub back_legs: u64,
    /// Members ended by resets their named sender never sent.
    pub forged_resets: u64,
    /// Of the back legs whose client came back through the front: those whose new back leg
    /// went to the stopped backend again. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub back_same_backend: u64,
    /// And those whose new back leg went to another backend. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub back_other_backend: u64,
    /// Of those, the members seen at two points of their path whose reset the point nearer
    /// its named sender never saw sent: made between the points (whatever its TTL).
    #[serde(default)]
    pub made_between_points: u64,
    /// Members seen at two points of their path whose packets of one side left one point
    /// and never reached the other before their end (the points' verdict `lost-between`):
    /// the path between the points lost them, then the sender's host ended the session.
    #[serde(default)]
    pub lost_between_points: u64,
    /// Seconds from when the first of those members' packets lost between the points left
    /// to the incident's `start` (its first member's end); absent when none lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_between_from_s: Option<f64>,
    /// Seconds from when the last of them left to the incident's `start` (negative: after
    /// it); absent when none lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_between_to_s: Option<f64>,
    /// The side whose packets those were, when the same for every such member (null: none
    /// lost, or both sides').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_between_sent_by: Option<super::Role>,
    /// The members ended at one idle age.
    pub same_idle_age: bool,
    /// Connection attempts to the server refused in TCP (a SYN answered by a RST or by
    /// nothing) from the first member's end to the next session it accepted (or the end).
    pub refused_after: u64,
    /// TLS handshakes to the server its clients refused after its hello, as long.
    pub refused_tls_after: u64,
    /// Seconds from the last member's end to the next session the server accepted (null:
    /// none in the capture).
    pub accepted_after_s: Option<f64>,
    /// Unanswered pings while the server's TCP answered.
    pub stalled: bool,
    /// The path went silent both ways and healed.
    pub outage: bool,
    /// The clients had stopped reading.
    pub zero_windows: bool,
    /// The server's stops in it (more than one: again and again).
    pub stops: u64,
    /// Members whose client host was dark over one moment they all share, to their ends:
    /// the server's data to it unacknowledged and nothing from it on their connections.
    #[serde(default)]
    pub dark: u64,
    /// Seconds of that shared moment: from the latest member's first segment never
    /// acknowledged to the host's return (its first new connection through, or the first
    /// member's end, whichever came first; null: not dark).
    #[serde(default)]
    pub dark_s: Option<f64>,
    /// The dark host's new connections reached the server during that moment, before the
    /// members ended: the path had healed (their sockets had died during the cut).
    #[serde(default)]
    pub healed_first: bool,
    /// Sessions of other client hosts to the server open across that whole moment and never
    /// dark (a lower bound): the server and its side of the network went on.
    #[serde(default)]
    pub others_went_on: u64,
    /// Members whose server host was dark over one moment they all share: their clients'
    /// data to it unacknowledged and nothing from it on their connections, each then ended
    /// by the server host's packet at its return (a host back without its sessions resets
    /// each as its client's next segment arrives).
    #[serde(default)]
    pub server_dark: u64,
    /// Seconds from the server host's going dark (the earliest member's first client
    /// segment never acknowledged: when it was last heard) to the first member's end (null:
    /// not dark).
    #[serde(default)]
    pub server_dark_s: Option<f64>,
    /// Of those, members whose server host, back, sent a RST from its own address (not
    /// forged) as its first packet on the session since: it answered the client's stale
    /// segment as one for a connection it did not hold (RFC 9293 §3.10.7.1), where a host
    /// back with the session acknowledges it. Every member so: the host lost them all (a new
    /// process or host), the server shown gone. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reset_after_dark: u64,
    /// The kind the group's shape first suggested, when its row did not hold (null: named
    /// as first found), and the fact that was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_shown: Option<NotShown>,
    /// What the members' ending side said beyond the code: the words every member sent (a
    /// close reason, the words refusing the upgrade, a TLS alert), and the peer's message
    /// most of their closes answered. Absent when neither is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said: Option<Stated>,
}

/// A kind a group's shape suggested whose row did not hold ([`IncidentFacts::not_shown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotShown {
    /// The kind.
    pub kind: IncidentKind,
    /// The fact its row needs that the group's facts do not show (or show, for one it
    /// must not have).
    pub missing: Fact,
}

impl IncidentFacts {
    /// Whether `fact` holds of the group of `members` these facts describe.
    pub fn holds(&self, fact: Fact) -> bool {
        let members = self.by_server + self.by_client;
        let most = |n: u64| n * 2 > members.max(1);
        match fact {
            Fact::ByServer => self.by_client == 0 && self.by_server > 0,
            Fact::ByClient => self.by_server == 0 && self.by_client > 0,
            Fact::OneSide => (self.by_server == 0) != (self.by_client == 0),
            Fact::OneClientHost => self.hosts == 1,
            Fact::ByTcp => self.close_frames == 0 && self.refused_upgrades == 0,
            Fact::Said => {
                let said = self.close_frames + self.h2_ends;
                said > 0 && said == members
            }
            Fact::OneCode => self.one_code,
            Fact::ServerGone => {
                self.refused_after > 0
                    || self.refused_tls_after > 0
                    || self.going_away
                    || (self.reset_after_dark > 0 && self.reset_after_dark == members)
            }
            Fact::AcceptedAfter => self.accepted_after_s.is_some(),
            Fact::RestartedOnAnotherPort => self.restart_stated && self.came_back_on_its_host > 0,
            Fact::Proxied => most(self.proxied),
            Fact::BackLegs => most(self.back_legs),
            Fact::Forged => most(self.forged_resets),
            Fact::SameIdleAge => self.same_idle_age,
            Fact::Shedding => self.shedding,
            Fact::OverloadCode => self.overload_code,
            Fact::ServedOthers => self.served_others > 0,
            Fact::Rejected => self.refused_upgrades == members || self.lived_max_s <= REJECTED_S,
            Fact::Stalled => self.stalled,
            Fact::Outage => self.outage,
            Fact::ZeroWindows => self.zero_windows,
            Fact::Repeated => self.stops > 1,
            Fact::TlsRefused => self.refused_tls_after > 0,
            Fact::HostDark => self.dark > 0 && self.dark == members,
            Fact::HealedFirst => self.dark > 0 && self.dark == members && self.healed_first,
            Fact::LostBetween => most(self.lost_between_points),
        }
    }
}

/// Seconds from its start within which a session closed is a rejection (its upgrade
/// answered, then closed before anything else could happen: a check of what it sent).
pub const REJECTED_S: f64 = 2.0;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Closes that belong together (JSON `incidents[]`; one row of type `incident` per
/// incident in JSON Lines).
// Its field docs are the schema's descriptions (schema/, kept as they were): they name
// the incident stage's thresholds, which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Incident {
    /// Its number, from 1, in the order of its first end; connections name it (`incident`).
    pub id: u32,
    /// What kind of incident.
    pub kind: IncidentKind,
    /// The first member's end.
    pub start: Timestamp,
    /// The last member's end.
    pub end: Timestamp,
    /// Seconds from `start` to `end`.
    pub window_s: f64,
    /// The server (or proxy) it concerns, when one: its address and port (a pseudonym when
    /// redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The client host it concerns, when one: its address (a pseudonym when redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// How the members ended: "fin", "rst", "fin/rst", "close 1000", "close", "refused 503",
    /// "silence" (no close frame, FIN or RST: data unacknowledged to the end), "mixed".
    pub ended_by: EndedBy,
    /// Who ended them: "server", "client" or "both".
    pub side: Enders,
    /// The close code (or HTTP status of a refused upgrade) they share, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// For an idle cohort: the idle age they share (the first member's), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_s: Option<f64>,
    /// For a restart: seconds from the last member's end (a server host gone dark: from its
    /// going dark) to the next session the server accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_s: Option<f64>,
    /// How many connections it holds.
    pub members: u64,
    /// The first [`LISTED`] of their ids.
    pub connections: Vec<u64>,
    /// The first member's deciding packet (its close frame, FIN or RST): where to look.
    pub first_packet: u64,
    /// How its members' clients came back.
    pub reconnects: Reconnects,
    /// The width of each of `bins`, seconds (0.1, 0.25, 0.5, 1, 2, 5, 10, 30 or 60: the
    /// least that spans the members' ends and their reconnects in [`MAX_BINS`] bars).
    pub bin_s: f64,
    /// From `start`, per `bin_s`: members that ended and reconnects accepted (the picture
    /// of the HTML report).
    pub bins: Vec<Bin>,
    /// What happened, in words.
    pub cause: String,
    /// What to change.
    pub fix: String,
    /// The least and greatest quiet spell before their ends of the members whose spell is
    /// known, milliseconds (not in JSON: the members' own causes say it,
    /// `incident-member`).
    #[serde(skip)]
    pub idle_range_ms: Option<(u32, u32)>,
    /// The server's endpoint, when one (not in JSON: `server` says it, or its pseudonym).
    #[serde(skip)]
    pub server_ep: Option<Endpoint>,
    /// The client host's address, when one (not in JSON: `client` says it, or its
    /// pseudonym).
    #[serde(skip)]
    pub client_ip: Option<std::net::IpAddr>,
    /// For a client host gone dark (`facts.dark`): when it was back, nanoseconds (its first
    /// new connection through, or the first member's end, whichever came first): its
    /// clients' reconnect delays are counted from then (not in JSON: `facts.dark_s`).
    #[serde(skip)]
    pub back_at: Option<i64>,
    /// For a `server-stall`: what showed the server's process silent while its TCP went on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<Stall>,
    /// For a `crash-loop`: each stop of the server in it, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stops: Vec<LoopStop>,
    /// For a `partition`: the silence, and who lived through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// For `slow-consumers`: how long the members' clients had read nothing, and the
    /// server's sessions that went on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<Slow>,
    /// What it was named from: the facts its kind's row needs, computed once for it.
    #[serde(default)]
    pub facts: IncidentFacts,
}

/// What showed the path cut and healed (a `partition`): on each connection it crossed, both
/// sides sent their data again and again, unacknowledged, at once, until a packet got through.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Partition {
    /// When both sides of every connection it crossed were retransmitting (the latest
    /// such moment of them): the silence had begun by then.
    pub silent_from: Timestamp,
    /// The first packet that crossed again on any of them: the path healed by then.
    pub healed: Timestamp,
    /// Seconds from `silent_from` to `healed`.
    pub silence_s: f64,
    /// Connections it crossed (members and survivors).
    pub crossed: u64,
    /// Of those, sessions that lived on past it: whatever timeout they have is longer than
    /// the silence (or they had none).
    pub survived: u64,
    /// The first of the survivors' ids (up to the incident's listing limit).
    pub survivors: Vec<u64>,
}

/// What showed slow consumers cut (`slow-consumers`): each member's client had stopped
/// reading (its receive window zero, the server's zero-window probes answered with a zero
/// window) when the server ended its session, and the server's other sessions open at the
/// first member's end went on past the last.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Slow {
    /// The shortest of the members' zero-window spells before the server's end, seconds
    /// (kept within 4.4 %: to the tenth of a second up to 12.7 s).
    pub zero_window_min_s: f64,
    /// The longest of them.
    pub zero_window_max_s: f64,
    /// The server's other sessions open at the first member's end that were still open
    /// after the last (its fast clients, which it went on serving).
    pub stayed: u64,
}

/// What showed a server's process silent (a `server-stall`): its members' clients pinged,
/// the server's TCP acknowledged the pings and its application answered none, from a moment
/// that fits every member.
// Its field docs are the schema's descriptions: they name the incident stage's thresholds,
// which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Stall {
    /// The server's last frame on any member before it fell silent: the stall began after
    /// it (the latest of the members' last frames from the server).
    pub silent_after: Timestamp,
    /// The first ping any member's client sent that went unanswered: the stall had begun by
    /// then (within [`STALL_SLACK_S`]).
    pub first_unanswered: Timestamp,
    /// Members whose client's pings went unanswered while the server's TCP acknowledged them.
    pub pings_unanswered: u64,
    /// New connections to the server accepted in TCP during the stall whose client gave up
    /// before the server answered its upgrade request (a listen queue the process did not
    /// read): a lower bound, counted from the server's last frame on the members up to the
    /// first new connection it did upgrade (one still waiting when it answered again), at
    /// most [`RECONNECT_MAX_S`] past the last member's end. Linked to the incident
    /// (`incident`), not among its members.
    pub upgrades_unanswered: u64,
}

/// One stop of a server in a `crash-loop`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LoopStop {
    /// Its first member's end.
    pub start: Timestamp,
    /// Its last member's end.
    pub end: Timestamp,
    /// Sessions it ended.
    pub members: u64,
    /// Seconds from its last end to the next session the server accepted (null: none in the
    /// capture).
    pub down_s: Option<f64>,
    /// Connection attempts to the server refused in TCP (a SYN answered by a RST or by
    /// nothing) from its first end to the next session accepted (or the capture's end).
    pub refused: u64,
}

/// One bar of an incident's picture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Bin {
    /// Members that ended in it.
    pub ends: u32,
    /// Members' reconnects accepted in it.
    pub reconnects: u32,
}

/// A connection's reconnect: the session that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Reconnect {
    /// The id of the new session.
    pub connection: u64,
    /// Seconds from this one's end to its start.
    pub after_s: f64,
    /// Whether the new session's upgrade was refused.
    pub refused: bool,
    /// The client host had several sessions to the server and route open at once (a NAT,
    /// a proxy, a machine running several clients): the new session is one of that host's,
    /// not surely this client's own reconnect.
    #[serde(default)]
    pub same_host: bool,
}

/// What came after a connection's abrupt ending from its client host to its server.
// Its field docs are the schema's descriptions (schema/, kept as they were): they name
// the incident stage's thresholds, which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct After {
    /// New connections of the client host to the server's port refused (SYN answered by
    /// RST) after the ending and before the next session accepted.
    pub refused: u64,
    /// The first refused SYN's packet, if any.
    pub first_refused: Option<u64>,
    /// Seconds from the ending to it.
    pub first_refused_s: Option<f64>,
    /// The last refused SYN's packet, if any.
    pub last_refused: Option<u64>,
    /// Seconds from the ending to it.
    pub last_refused_s: Option<f64>,
    /// The next session of the client host the server accepted, if one came within
    /// [`RECONNECT_MAX_S`].
    pub accepted: Option<Accepted>,
}

/// A new session the server accepted after an ending.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Accepted {
    /// Its connection id.
    pub connection: u64,
    /// Its first packet.
    pub packet: u64,
    /// Seconds from the ending to its start.
    pub after_s: f64,
    /// It is this connection's own reconnect (its `reconnect`: the same client and path),
    /// not only a session of the same client host.
    pub reconnect: bool,
}

/// Endings that cluster with no incident named (issue 91 item 7): at least three sessions
/// of one server that ended within moments, far faster than its usual pace, whose evidence
/// fits no kind or is too weak for one: what they show and why no kind is named (JSON
/// `doubts[]`). Never an incident: its sessions name none.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Doubt {
    /// Its first member's end.
    pub start: Timestamp,
    /// Its last member's end.
    pub end: Timestamp,
    /// Seconds from the first end to the last.
    pub window_s: f64,
    /// The server (address:port) whose sessions ended.
    pub server: String,
    /// The server's endpoint (not in JSON: `server` says it, or its pseudonym).
    #[serde(skip)]
    pub server_ep: Option<Endpoint>,
    /// Sessions that ended in it.
    pub members: u64,
    /// Their ids (at most 100).
    pub connections: Vec<u64>,
    /// Of them, those the server ended.
    pub by_server: u64,
    /// Those their clients ended.
    pub by_client: u64,
    /// How they ended: "fin", "rst", "fin/rst", "close CODE", "close", "silence" when all
    /// alike; else "mixed".
    pub ended_by: EndedBy,
    /// The different ways they ended (a close code, FIN, RST, silence each one).
    pub ways: u64,
    /// The client hosts they came from.
    pub hosts: u64,
    /// Sessions to the server open at its first end (its members among them).
    pub open: u64,
    /// When all came from one client host: that host's sessions to the server open then
    /// (its members among them); else null.
    pub host_open: Option<u64>,
    /// Why no kind is named, by a stable name.
    pub reason: DoubtReason,
    /// The same in words, with its figures.
    pub why: String,
    /// For a group first found as an incident whose kind was not shown: its facts (null
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<IncidentFacts>,
}

/// Why a cluster of endings names no incident kind ([`Doubt::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DoubtReason {
    /// Both sides ended members: no one party ended them all, so neither a stop of the
    /// server nor a client host's drop.
    BothSides,
    /// They ended in different ways, and no shared code or reset names a cause.
    MixedWays,
    /// The server ended them, but few of the sessions open to it (under three quarters): a
    /// stop ends nearly all, and the others ran on.
    FewOfOpen,
    /// Their clients ended them, from several hosts, and nothing of the server's shows.
    ClientsOfHosts,
    /// Their client host ended them, but not all its sessions open then (a host's drop
    /// ends them all): one of its clients did, not the host.
    FewOfHost,
    /// One party and one way, yet too weak for a kind.
    Weak,
    /// Its shape suggested a kind whose row the facts do not hold (the server shown gone
    /// for a restart, one client host for a drop): named by none (`facts.not_shown` says
    /// which kind and which fact).
    NotShown,
}
