//! The first part of the list of cause kinds (`cause_list!` in `cause/list.rs`, which
//! gives this part the kinds after it): the kinds of a session's own close and status
//! (close frames and their reply, the upgrade, eviction, proxies, incidents, quiet spells
//! and timeouts, TLS, HTTP/2 stream endings, heartbeats, the application's last words), in
//! the order of [`Cause`](super::Cause)'s variants. `c`, `known` and `names` are the names
//! the list's reader gives (`$c`, `$known`, `$names` here, the list's own tokens).

/// The kinds before those of `cause/list.rs`, put before them (`$rest`), then the whole
/// list given to `$m`.
macro_rules! cause_list_first {
    ($m:ident, |$c:ident, $known:ident, $names:ident| $($rest:tt)*) => {
        $m! { |$c, $known, $names|
        /// The first valid close frame on the wire set the status (RFC 6455 §7.1.5).
        "close-frame" => Closed {
            /// The side that sent it.
            from: Role,
            /// Its status code.
            code: u16,
            /// Its reason text.
            reason: String,
            /// The packet that completed it.
            packet: u64,
        }
        facets { rank: 0, names: false, own: w::closed_own($c), explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: redact::reason($c, $names), evidence: None }
        /// The first valid close frame had no status code: the peer's application sees 1005.
        "empty-close-frame" => EmptyClose {
            /// The side that sent it.
            from: Role,
            /// The packet that completed it.
            packet: u64,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The first close frame's code bytes are not in the capture: no code is guessed.
        "close-code-not-captured" => CodeNotCaptured {
            /// The side that sent it.
            from: Role,
            /// The packet that holds its start.
            packet: u64,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// What carried the session ended before any valid close frame: both see 1006
        /// (RFC 6455 §7.1.5, §7.4.1).
        "no-close-frame" => NoCloseFrame {
            /// The first ending (TCP, close_notify, or the HTTP/2 stream).
            end: Ending,
            /// Part of the capture is missing: a close frame may have been sent and lost.
            bytes_missing: bool,
            /// A close frame was sent but could not be accepted (see `invalid-close-frame`).
            invalid_close: bool,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// Nothing ended the connection before the capture did.
        "still-open" => StillOpen {
            /// The upgrade was answered (else the handshake was still pending).
            upgraded: bool,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The server refused the upgrade: no WebSocket was opened.
        "upgrade-refused" => UpgradeRefused {
            /// The response's HTTP status (or `:status` over HTTP/2).
            http_status: u16,
            /// Over HTTP/2 (RFC 8441 extended CONNECT answered with a :status other than 2xx).
            h2: bool,
            /// The response's body as text, cut to 200 bytes (tags of an HTML body left out):
            /// the server's own reason; null when it sent none, or none came with the head.
            body: Option<String>,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c),
            redact: redact::refusal_body($c), evidence: None }
        /// The forward proxy refused the client's CONNECT (RFC 9110 §9.3.6) with a final status
        /// other than 2xx: no tunnel, no WebSocket.
        "tunnel-refused" => TunnelRefused {
            /// The proxy's HTTP status.
            http_status: u16,
            /// The packet of its answer.
            packet: u64,
            /// The proxy product its answer names (as `tunnel.proxy_product`): the rules and
            /// settings the words name are that product's; null when it names none.
            proxy_product: Option<crate::vocab::ProxyProduct>,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// wsclose stopped following a connection still open, at a cap.
        "evicted" => Evicted {
            /// Which cap: `max_flows` or `idle_timeout`.
            why: Eviction,
            /// The last packet of the connection before it was evicted.
            last_packet: u64,
            /// The cap: `--max-flows` connections, `--idle-timeout` seconds, or `--max-memory`
            /// bytes.
            limit: u64,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The first close frame's code leaves the why to its reason (1000, 1001, 1008, 3000-4999),
        /// and the reason's words name a kind of cause (`diagnose::reason`): said as the reason's
        /// own words.
        "reason-words" => ReasonWords {
            /// The side that wrote the reason.
            from: Role,
            /// The close frame's code.
            code: u16,
            /// The kind of cause the words name: `keepalive-timeout`, `idle-timeout`,
            /// `credentials`, `client-policy`, `overload` or `shutdown`.
            names: String,
            /// The reason as sent.
            reason: String,
            /// The packet of the close frame.
            packet: u64,
        }
        facets { rank: 1, names: false, own: true, explains: false,
            words: w::plain, hint: w::hints($c), head: Head::default(), redact: redact::reason($c, $names), evidence: None }
        /// The capture holds the packets of one side only (a capture filter, a SPAN or tap port
        /// that copies one direction): what the other side sent, whether its close frame came
        /// first and the status the captured side saw are unknown; the causes that would rest
        /// on the other direction are withheld.
        "one-direction" => OneDirection {
            /// The side whose packets are in the capture.
            seen: Role,
            /// The captured side's close frame, when it is on the wire and came first: the
            /// captured side's acknowledgements show the other side sent data after it (at least
            /// 2 bytes past what the close frame's segment acknowledged), which an endpoint that
            /// had sent its own close frame does not (RFC 6455 §5.5.1). Its code is then the
            /// status (the close frame's cause follows) and the other side's reply is not
            /// captured. Null otherwise (no close frame, or one that may answer the other
            /// side's): then the status is unknown.
            close_packet: Option<u64>,
        }
        facets { rank: 0, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The capture file stops early, so a connection still open may have closed after it.
        "capture-cut" => CaptureCut {
            /// The upgrade was answered (the status stays "Open"; else "Open (handshake
            /// pending)").
            upgraded: bool,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The proxy ended both legs of a session at once after a quiet spell of whole
        /// seconds: an idle timeout.
        "proxy-idle-timeout" => ProxyIdleTimeout {
            /// Both legs and how the proxy ended each.
            legs: BothLegs,
            /// The proxy product the client's 101 names and the backend's does not (the proxy
            /// added it: nginx's `Server`); null when none does.
            proxy_product: Option<crate::vocab::ProxyProduct>,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// A forward proxy ended a CONNECT tunnel with a FIN on both legs after a quiet spell
        /// of a second or more: its tunnel idle timeout (the product's own setting when its
        /// CONNECT answer names it, else the usual settings as candidates).
        "tunnel-idle-timeout" => TunnelIdleTimeout {
            /// Both legs and how the proxy ended each.
            legs: BothLegs,
            /// The proxy product its CONNECT answer names (as `tunnel.proxy_product`); null
            /// when it names none.
            proxy_product: Option<crate::vocab::ProxyProduct>,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The proxy ended both legs at once after a quiet spell that is not whole seconds: a
        /// timeout set that short, or the proxy stopped or restarted.
        "proxy-ended-both-legs" => ProxyEndedBothLegs {
            /// Both legs and how the proxy ended each.
            legs: BothLegs,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The proxy ended both legs at the same instant with no quiet spell before (close
        /// frames of its own to both applications, or FINs or RSTs): it was reloaded or
        /// stopped.
        "proxy-reload-or-stop" => ProxyReloadOrStop {
            /// Both legs and how the proxy ended each.
            legs: BothLegs,
            /// The proxy sent close frames of its own (`front_end`, `back_end` name them);
            /// else it ended TCP on both legs.
            close_frames: bool,
            /// Milliseconds between the two endings.
            apart_ms: f64,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: w::hints($c), head: w::heads($c), redact: false, evidence: None }
        /// The session is a member of an incident in which its server (or proxy) ended its
        /// sessions at one instant (`server-stop`, `server-restart`, `proxy-reload`) at quiet
        /// spells that differ: that side's process stopped (or the proxy reloaded), not a
        /// timeout, which cuts each session at the same idle age. Said of a member that ended
        /// without a close frame; its own reading follows it (`abrupt-ending` reads that side's
        /// process, a proxy's spell near whole seconds is no idle timeout).
        "incident-member" => IncidentMember {
            /// The incident's id (as `incidents[].id`).
            incident: u32,
            /// The incident's kind.
            incident_kind: crate::vocab::IncidentKind,
            /// How many sessions it holds, this one included.
            members: u64,
            /// Milliseconds from its first member's end to its last's.
            window_ms: f64,
            /// The shortest quiet spell before a member's end, seconds.
            idle_min_s: f64,
            /// The longest.
            idle_max_s: f64,
        }
        facets { rank: 2, names: true, own: false, explains: false,
            words: w::incident_member, hint: None, head: Head::default(),
            redact: false, evidence: None }
        /// One application ended its leg with no close frame; the proxy passed the end on.
        "relayed-end" => RelayedEnd {
            /// Who ended: the client (its leg is the front one) or the backend (a server).
            app: Role,
            /// The application's leg (connection id).
            app_leg: u64,
            /// How the application ended its leg.
            app_end: LegEnding,
            /// How the proxy then ended the other leg.
            proxy_end: LegEnding,
            /// The other leg (connection id).
            other_leg: u64,
            /// Milliseconds from the application's end to the proxy's.
            delay_ms: f64,
            /// The other leg is TLS and the proxy closed it cleanly first: its close_notify's
            /// packet (a TLS terminator such as stunnel ends the TLS in order even for a
            /// backend that crashed).
            close_notify: Option<u64>,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads($c), redact: false, evidence: None }
        /// The quiet spell before a 1006: the last frame either way, and the last ping and pong.
        "quiet-spell" => QuietSpell {
            /// Seconds from the last frame (either way) to the end.
            seconds: f64,
            /// The first ending after the quiet spell.
            end: Ending,
            /// The last frame either way before it, if any.
            last_frame_packet: Option<u64>,
            /// The last ping either way before it, if any.
            last_ping_packet: Option<u64>,
            /// The last pong either way before it, if any.
            last_pong_packet: Option<u64>,
        }
        facets { rank: 1, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// A 1006 right after a message from the peer of the side that ended, with no frame in
        /// reply: that side most likely failed on the message.
        "unanswered-message" => UnansweredMessage {
            /// Seconds from the message to the end.
            seconds: f64,
            /// The ending that followed the message.
            end: Ending,
            /// The peer's message: who sent it, its type and size, its packet.
            message: Message,
            /// The last ping either way before the end, if any.
            last_ping_packet: Option<u64>,
            /// The last pong either way before the end, if any.
            last_pong_packet: Option<u64>,
        }
        facets { rank: 1, names: false, own: true, explains: false,
            words: w::plain, hint: w::hints($c), head: Head::default(), redact: false, evidence: None }
        /// The quiet spell before a 1006 matches the default of a known idle timeout, or the
        /// session's length that of a known maximum lifetime (`close::timeouts`).
        "idle-timeout" => IdleTimeout {
            /// Seconds of quiet before the end (the last frame either way to the first ending).
            seconds: f64,
            /// The side that ended (a proxy, or the application behind it).
            ended_by: Role,
            /// The ids of the timeouts matched ("nginx", "aws-nlb", "gcp-backend-service").
            matches: Vec<String>,
            /// Seconds from the connection's first packet to its end.
            lasted_s: f64,
        }
        facets { rank: 2, names: true, own: false, explains: false,
            words: w::plain, hint: w::hints($c), head: Head::default(), redact: false, evidence: None }
        /// A close frame that breaks a rule (RFC 6455 §5.5, §7.1.6, §7.4): its receiver could
        /// not accept it, so it set no status.
        "invalid-close-frame" => InvalidCloseFrame {
            /// The side that sent it.
            from: Role,
            /// The packet that completed it.
            packet: u64,
            /// The rules it breaks.
            problems: Vec<Problem>,
            /// Its code as sent (10001 for a code outside 0-4999), if it has one.
            code: Option<u16>,
        }
        facets { rank: 3, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// The peer answered the first close frame with its own.
        "close-reply" => CloseReply {
            /// The side that replied.
            from: Role,
            /// Null for an empty close frame.
            code: Option<u16>,
            /// Its reason text.
            reason: String,
            /// The packet that completed it.
            packet: u64,
        }
        facets { rank: 4, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: redact::reason($c, $names), evidence: None }
        /// The peer sent no close frame in reply.
        "no-close-reply" => NoCloseReply {
            /// The side that did not reply.
            from: Role,
        }
        facets { rank: 4, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// Whether the peer replied is not in the capture: its direction lost bytes.
        "close-reply-not-captured" => CloseReplyNotCaptured {
            /// The side whose reply is not in the capture.
            from: Role,
            /// The packet where its frames stop (the gap), when known.
            gap_packet: Option<u64>,
        }
        facets { rank: 4, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// A close frame came only after what carried the session ended.
        "late-close-frame" => LateCloseFrame {
            /// The side that sent it.
            from: Role,
            /// The packet that completed it.
            packet: u64,
        }
        facets { rank: 4, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// Over TLS, a fatal alert ended the connection (RFC 8446 §6).
        "tls-fatal-alert" => TlsFatalAlert {
            /// The side that sent the alert.
            from: Role,
            /// The alert's name (RFC 8446 §6), or its number.
            alert: String,
            /// The packet that carried it.
            packet: u64,
        }
        facets { rank: 5, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// Over TLS, a close_notify came before either side ended TCP: its sender closed on
        /// purpose (RFC 8446 §6.1).
        "tls-close-notify-first" => TlsCloseNotifyFirst {
            /// The side that sent close_notify.
            by: Role,
            /// The packet that carried it.
            packet: u64,
            /// The peer's TCP ending that answered it, when the peer ended TCP first.
            answered: Option<TcpEnding>,
        }
        facets { rank: 5, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// Over TLS, the side that ended TCP first had sent close_notify before.
        "tls-closed-cleanly" => TlsClosedCleanly {
            /// The side that sent close_notify and then ended TCP.
            by: Role,
            /// The packet that carried the close_notify.
            packet: u64,
        }
        facets { rank: 5, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// Over TLS, the side that ended TCP first sent no close_notify before.
        "tls-not-closed" => TlsNotClosed {
            /// The side that ended TCP first.
            by: Role,
        }
        facets { rank: 5, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// The other frames that ended (or announced the end of) an HTTP/2 WebSocket's stream.
        "h2-stream-endings" => StreamEndings {
            /// The HTTP/2 stream of the WebSocket.
            stream: u32,
            /// Every other ending of the stream, in order.
            endings: Vec<Ending>,
        }
        facets { rank: 6, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// A side reset TCP after its own FIN: its application had closed its socket.
        "rst-after-fin" => RstAfterFin {
            /// The side that sent the FIN and then the RST.
            by: Role,
            /// The packet of its FIN.
            fin_packet: u64,
            /// The packet of its RST.
            rst_packet: u64,
            /// The peer's last frame, close_notify or stream ending between the two.
            after: Option<PeerSent>,
        }
        facets { rank: 7, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// Close frames relayed from one leg of a proxied session to the other.
        "relayed-close" => RelayedClose {
            /// Each relayed close frame and what the other leg got.
            relays: Vec<Relay>,
        }
        facets { rank: 8, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// One side pinged, the other sent no pong, and the side that pinged ended the session:
        /// its heartbeat (keepalive) gave up. Or its close reason is the words a library writes
        /// when its keepalive runs out.
        "heartbeat-timeout" => HeartbeatTimeout {
            /// The side that pinged and ended the session.
            by: Role,
            /// The library whose timeout it is, when its close reason or its handshake's
            /// `Server` / `User-Agent` header names it.
            library: Option<crate::vocab::Software>,
            /// The close reason is that library's own words for its keepalive timeout.
            reason_says_so: bool,
            /// The first of its pings the peer left unanswered before the end (null when no
            /// such ping is in the capture).
            ping_packet: Option<u64>,
            /// How many of its last pings went unanswered before the end.
            unanswered: u64,
            /// More may have: only its last few pings are kept, and all of them went unanswered.
            at_least: bool,
            /// The peer's last pong before the end.
            last_pong_packet: Option<u64>,
            /// Milliseconds from the first unanswered ping to the end.
            waited_ms: Option<f64>,
            /// Milliseconds between its pings before the end, when its last ones (at least
            /// three) came at a cadence: the mean of their gaps, each within 10 % (or 50 ms) of
            /// it; null otherwise (one gap is no interval).
            interval_ms: Option<f64>,
            /// Its close frame, or (none) its TCP ending.
            end_packet: u64,
            /// The code of its close frame; null when it ended TCP without one.
            close_code: Option<u16>,
        }
        facets { rank: w::app::rank($c), names: false, own: true, explains: false,
            words: w::app::words, hint: None, head: Head::default(), redact: false, evidence: None }
        /// One side's pings (or its application's heartbeat, the same short data message sent
        /// again and again) came at a regular cadence, then stopped: no frame of that side
        /// came after its last ping, it did not end TCP, and at least two of its pings were
        /// due before the end of the connection (or of the capture): a peer gone silent
        /// (half-open from the other side's point of view).
        "pings-stopped" => PingsStopped {
            /// The side whose pings stopped.
            from: Role,
            /// The cadence: milliseconds between its last pings (their mean).
            interval_ms: f64,
            /// How many of its pings the cadence is read from (the last ones).
            pings: u64,
            /// Its last ping, and its time (RFC 3339).
            last_ping: u64,
            /// That ping's time (RFC 3339).
            at: String,
            /// Seconds from that ping to the first ending (or the end of the capture).
            silent_s: f64,
            /// That first ending, if the connection ended.
            end: Option<Ending>,
            /// Null for WebSocket pings. For an application's heartbeat (a protocol wsclose does
            /// not know, whose side sent the same short data message again and again: its
            /// "pings" above are those messages), that message's length in bytes.
            message_bytes: Option<u64>,
        }
        facets { rank: w::app::rank($c), names: true, own: false, explains: false,
            words: w::app::words, hint: w::hints($c), head: Head::default(),
            redact: false, evidence: None }
        /// The application protocol's own messages say why the session ended (the
        /// connection's `application` object has the rest: summary, heartbeat, messages).
        "application" => Application {
            /// The protocol as its specification names it ("socket.io", "MQTT").
            protocol: String,
            /// Its stable label in the protocol's own words ("ping timeout", "session taken
            /// over").
            cause: AppCause,
            /// Which side's application ended it, when its messages show it.
            ended_by: Option<Role>,
            /// The packets of the messages that decided it.
            evidence: Vec<u64>,
            /// What to change, specific to the protocol and its libraries.
            fix: Option<String>,
        }
        facets { rank: w::app::rank($c), names: false, own: true, explains: false,
            words: w::app::words, hint: None, head: Head::default(),
            redact: redact::app_label($c), evidence: None }
        /// No application protocol gave a verdict, and a side's last data message shortly
        /// before the end announces or explains it (an error: error, denied, expired, quota,
        /// …; a reason or code field; an event named like an ending; a sign-off): the
        /// application said why there (the connection's `last_words` has the messages).
        "last-words" => LastWords {
            /// The side that sent the message.
            from: Role,
            /// The packet that completed it.
            packet: u64,
            /// Seconds from it to the first ending.
            before_s: f64,
            /// How it was read: `text`, `json`, `cbor`, `msgpack` or `hex`.
            encoding: String,
            /// The message for reading, cut to 200 characters ("…" after).
            words: String,
            /// Part of it is missing from the capture.
            truncated: bool,
            /// The kind of cause its words name, as a close reason's would (`reason-words`'s
            /// `names`), if any.
            names: Option<String>,
            /// How it announces the end (`last_words[].announces`: `error`, `reason`, `event`,
            /// `sign-off`).
            announces: Option<String>,
            /// The side that ended first.
            end_by: Role,
            /// How: `close-frame`, `fin` or `rst`; on an HTTP/2 stream whose own frame ended
            /// it first, `end-stream`, `rst-stream` or `goaway`.
            end_how: String,
            /// The close frame's code, for `close-frame`.
            close_code: Option<u16>,
            /// The packet of that ending.
            end_packet: u64,
        }
        facets { rank: w::app::rank($c), names: false, own: true, explains: false,
            words: w::app::words, hint: None, head: Head::default(),
            redact: redact::payload_words($c), evidence: None }
        /// The ending is no clean close, no application protocol gave a verdict and no last
        /// message announced the end, but the side that ended first sent a data message shortly
        /// before (at most 10 s): quoted as that side's account of the moment, claiming no
        /// cause (the connection's `last_words` has it, read by shape).
        "last-message" => LastMessage {
            /// The side that sent it (the side that ended first).
            from: Role,
            /// The packet that completed it.
            packet: u64,
            /// Seconds from it to the ending.
            before_s: f64,
            /// How it was read (`last_words[].encoding`).
            encoding: String,
            /// The message for reading, cut to 200 characters ("…" after).
            words: String,
            /// Part of it is missing from the capture.
            truncated: bool,
            /// How the side ended: `close-frame`, `fin` or `rst`.
            end_how: String,
            /// The close frame's code, for `close-frame`.
            close_code: Option<u16>,
            /// The packet of that ending.
            end_packet: u64,
        }
        facets { rank: w::app::rank($c), names: false, own: false, explains: false,
            words: w::app::words, hint: None, head: Head::default(),
            redact: redact::payload_words($c), evidence: None }
        /// A plaintext WebSocket whose Host names the server of TLS connections not decrypted:
        /// most likely the back leg of a TLS-terminating proxy.
        "behind-tls-proxy" => BehindTlsProxy {
            /// How many such TLS connections.
            candidates: u64,
        }
        facets { rank: 9, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        $($rest)*
        }
    };
}
pub(crate) use cause_list_first;
