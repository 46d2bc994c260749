//! The list of every kind of cause (`cause_list!`), each with its fields and its facets:
//! the one place a kind is declared (read by `cause.rs` and `report/words/facets.rs`).

/// The list of every kind of cause, each with its fields and its facets, read twice: by
/// `causes!` (`cause/declare.rs`), here, which declares [`Cause`] and its JSON view, and by
/// `facets!` (`report/words/facets.rs`), which makes each facet one exhaustive match.
/// A facet's names are those of `report/words` (`w::...`) and `report/redact` (`redact::...`),
/// where the facets are made.
macro_rules! cause_list {
    ($m:ident) => {
        $m! { |c, known, names|
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
        facets { rank: 0, names: false, own: w::closed_own(c), explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: redact::reason(c, names), evidence: None }
        /// The first valid close frame had no status code: the peer's application sees 1005.
        "empty-close-frame" => EmptyClose {
            /// The side that sent it.
            from: Role,
            /// The packet that completed it.
            packet: u64,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// The first close frame's code bytes are not in the capture: no code is guessed.
        "close-code-not-captured" => CodeNotCaptured {
            /// The side that sent it.
            from: Role,
            /// The packet that holds its start.
            packet: u64,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// Nothing ended the connection before the capture did.
        "still-open" => StillOpen {
            /// The upgrade was answered (else the handshake was still pending).
            upgraded: bool,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c),
            redact: redact::refusal_body(c), evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: w::hints(c), head: Head::default(), redact: redact::reason(c, names), evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// The capture file stops early, so a connection still open may have closed after it.
        "capture-cut" => CaptureCut {
            /// The upgrade was answered (the status stays "Open"; else "Open (handshake
            /// pending)").
            upgraded: bool,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// The proxy ended both legs at once after a quiet spell that is not whole seconds: a
        /// timeout set that short, or the proxy stopped or restarted.
        "proxy-ended-both-legs" => ProxyEndedBothLegs {
            /// Both legs and how the proxy ended each.
            legs: BothLegs,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: w::hints(c), head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
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
            words: w::plain, hint: w::hints(c), head: Head::default(), redact: false, evidence: None }
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
            words: w::plain, hint: w::hints(c), head: Head::default(), redact: false, evidence: None }
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
            words: w::plain, hint: None, head: Head::default(), redact: redact::reason(c, names), evidence: None }
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
        facets { rank: w::app::rank(c), names: false, own: true, explains: false,
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
        facets { rank: w::app::rank(c), names: true, own: false, explains: false,
            words: w::app::words, hint: w::hints(c), head: Head::default(),
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
        facets { rank: w::app::rank(c), names: false, own: true, explains: false,
            words: w::app::words, hint: None, head: Head::default(),
            redact: redact::app_label(c), evidence: None }
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
        facets { rank: w::app::rank(c), names: false, own: true, explains: false,
            words: w::app::words, hint: None, head: Head::default(),
            redact: redact::payload_words(c), evidence: None }
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
        facets { rank: w::app::rank(c), names: false, own: false, explains: false,
            words: w::app::words, hint: None, head: Head::default(),
            redact: redact::payload_words(c), evidence: None }
        /// A plaintext WebSocket whose Host names the server of TLS connections not decrypted:
        /// most likely the back leg of a TLS-terminating proxy.
        "behind-tls-proxy" => BehindTlsProxy {
            /// How many such TLS connections.
            candidates: u64,
        }
        facets { rank: 9, names: false, own: false, explains: true,
            words: w::plain, hint: None, head: Head::default(), redact: false, evidence: None }
        /// The first close frame reached a host that no longer had the connection: its kernel
        /// answered with an RST without ACK (RFC 9293 §3.10.7.1), so the peer's application
        /// never read it and both applications saw 1006.
        "close-frame-not-read" => CloseNotRead {
            /// The side that sent it.
            from: Role,
            /// Null for an empty close frame.
            code: Option<u16>,
            /// The packet that completed it.
            packet: u64,
            /// The peer's RST that answered it.
            rst_packet: u64,
        }
        facets { rank: 0, names: false, own: false, explains: true,
            words: w::path_words, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// The first close frame was never acknowledged (its sender sent it again and again):
        /// it never reached the peer, whose application did not see it; both saw 1006.
        "close-frame-not-delivered" => CloseNotDelivered {
            /// The side that sent it.
            from: Role,
            /// Null for an empty close frame.
            code: Option<u16>,
            /// The packet that completed it.
            packet: u64,
            /// Retransmissions of the sender's data, from the first never acknowledged on.
            retransmissions: u64,
        }
        facets { rank: 0, names: false, own: false, explains: true,
            words: w::path_words, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// Data of one side was never acknowledged: its segments and their retransmissions
        /// (backing off, RFC 6298 §5) got no ACK until the end: the path between the two died
        /// (a NAT or firewall that forgot the flow, a link that went down, a peer that vanished).
        "unacknowledged-data" => Unacknowledged {
            /// The side whose data went unacknowledged.
            from: Role,
            /// The first segment never acknowledged, and when it was captured (RFC 3339).
            first_packet: u64,
            /// When the first segment never acknowledged was captured (RFC 3339).
            at: String,
            /// What it carried, when the frames tell.
            what: Option<Unacked>,
            /// Retransmissions of that data.
            retransmissions: u64,
            /// Seconds from the first segment to the last retransmission.
            seconds: f64,
            /// The last retransmission.
            last_packet: u64,
            /// The first packet the peer sent after it, if any, and how long after.
            peer_next: Option<u64>,
            /// Seconds from the first segment to the peer's next packet (or to the end of the capture
            /// when it sent none).
            peer_silent_s: f64,
            /// The sender's own ending after its last retransmission, with nothing from the
            /// peer between (it gave up: its application's timeout, or its kernel's), if any.
            gave_up: Option<Ending>,
            /// Seconds from the first segment never acknowledged to that ending.
            gave_up_s: Option<f64>,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// Only one side's large segments died: its data never acknowledged began with a
        /// segment larger than any of its segments the peer had acknowledged, and a smaller
        /// packet of that side after it acknowledged the peer's bytes, which the peer did not
        /// send again (smaller packets still got through): a path MTU black hole (RFC 2923 §2.1; RFC 1191 §3, RFC 8201
        /// §4: the ICMP that would have told the sender to send smaller packets was lost).
        "mtu-black-hole" => MtuBlackHole {
            /// The side whose large segments died.
            from: Role,
            /// The first segment never acknowledged, and its time (RFC 3339).
            first_packet: u64,
            /// Its time (RFC 3339).
            at: String,
            /// Its payload bytes (the smallest that died: each retransmission carried as much).
            segment_bytes: u64,
            /// The payload bytes of the largest of that side's segments the peer acknowledged.
            largest_acked: u64,
            /// Retransmissions of that data, over how many seconds, and the last.
            retransmissions: u64,
            /// Over how many seconds.
            seconds: f64,
            /// The last retransmission.
            last_packet: u64,
            /// A smaller packet of that side during the stall that acknowledged new bytes of
            /// the peer's, which the peer did not send again (it got through).
            small_ack: u64,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// The same black hole seen from the receiver's capture: bytes of one side (at least
        /// 1 000) never reached the other, whose acknowledgements stayed at their start to the
        /// end, while that side's packets after them arrived (a smaller segment, or an
        /// acknowledgement without data whose sequence number was past them), none of its
        /// segments that arrived carried as many bytes as are missing, and it was there for a
        /// second and more after (a packet of its acknowledged the other's later bytes): its
        /// full-size segments, and its kernel's retransmissions of them, died on the path
        /// (RFC 2923 §2.1).
        "mtu-black-hole-receiver" => MtuBlackHoleReceiver {
            /// The side whose bytes never arrived.
            from: Role,
            /// Its segment that arrived beyond them (with data, or an acknowledgement
            /// without data whose sequence number was past them).
            packet: u64,
            /// Its time (RFC 3339).
            at: String,
            /// The bytes that never arrived (from the other side's last acknowledgement to that
            /// segment).
            missing_bytes: u64,
            /// The payload bytes of that segment (0: an acknowledgement without data).
            after_bytes: u64,
            /// The payload bytes of the largest of that side's segments that arrived.
            largest_received: u64,
            /// That side's first packet after them that acknowledged the other side's new
            /// bytes (it got through).
            small_ack: u64,
            /// The other side's last packet, its acknowledgement still at the missing bytes'
            /// start.
            last_ack: u64,
            /// That side's last packet, and seconds from `packet` to it.
            last_packet: u64,
            /// Seconds from `packet` to `last_packet`.
            seconds: f64,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// One side's receive window stayed closed to the end: the other side's zero-window
        /// probes (RFC 9293 §3.8.6.1) kept being answered with a zero window (fewer than three
        /// unanswered after the last answer). The reader is alive and its application reads
        /// nothing (a slow or stuck reader), not a dead path.
        "receive-window-closed" => WindowClosed {
            /// The side whose window was closed (its application did not read).
            reader: Role,
            /// The first probe after the reader's last acknowledgement that moved forward.
            first_packet: u64,
            /// Probes sent again after the first, each answered with a zero window.
            probes: u64,
            /// Seconds from the first probe to the last.
            seconds: f64,
            /// The last probe.
            last_packet: u64,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// One side stopped reading: it advertised a zero window (its receive buffer full, RFC
        /// 9293 §3.8.6) and kept it closed while the other side sent zero-window probes
        /// (§3.8.6.1), and the connection ended while it was closed, or at once when it opened
        /// again (the other side's end had been queued behind it).
        "reader-stopped" => StoppedReading {
            /// The side that stopped reading (its window was zero).
            reader: Role,
            /// The reader's first acknowledgement that advertised a zero window.
            zero_packet: u64,
            /// Its time (RFC 3339).
            at: String,
            /// Seconds the window stayed zero: to the window update, or to the first ending (or
            /// the end of the capture) while it was still zero.
            seconds: f64,
            /// The other side's zero-window probes while it was zero.
            probes: u64,
            /// The first and last of them.
            first_probe: Option<u64>,
            /// The last probe.
            last_probe: Option<u64>,
            /// The reader's acknowledgements with a zero window after its first.
            answers: u64,
            /// The reader's window update (it read again), if one came.
            reopened: Option<u64>,
            /// The first ending of the connection, if it ended: during the spell, or the
            /// sender's, at once after the window update.
            end: Option<Ending>,
            /// Seconds from the window update to that ending, when it came after it.
            end_after_s: Option<f64>,
            /// Seconds from the zero window to that ending, when it came during the spell.
            end_into_s: Option<f64>,
            /// The other side's close frame that came with its queued bytes, and its code.
            close_packet: Option<u64>,
            /// Its code.
            close_code: Option<u16>,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// One side's TCP keepalive found the other gone: after an idle spell it sent keepalive
        /// probes (RFC 9293 §3.8.4: a segment one byte below its next sequence number, with no
        /// data or one byte) at a steady interval, none answered to the end, and (most often)
        /// its kernel then reset the connection (Linux: after `TCP_KEEPCNT` probes, the
        /// socket's error `ETIMEDOUT`). The peer vanished without a FIN or RST, or the path to
        /// it did. A capture at either end shows the same: the probes, and no answer.
        "tcp-keepalive" => Keepalive {
            /// The side whose keepalive probed (it found the other gone).
            by: Role,
            /// Its probes that went unanswered, one after another.
            probes: u64,
            /// The first of them.
            first_packet: u64,
            /// Its time (RFC 3339).
            at: String,
            /// The last of them.
            last_packet: u64,
            /// Seconds between two probes, on average (from the first to the last, over the
            /// probes less one).
            interval_s: f64,
            /// The shortest time between two of them.
            min_interval_s: f64,
            /// The longest time between two of them.
            max_interval_s: f64,
            /// Payload bytes of each probe: 0 (Linux) or 1 (BSD, Windows).
            probe_bytes: u64,
            /// Probes of the same side the other answered before (it was there then), and its
            /// last answer.
            answered: u64,
            /// The other side's last answer to a probe.
            last_answer: Option<u64>,
            /// The prober's RST after the last probe (its kernel gave up), if any.
            rst_packet: Option<u64>,
            /// Seconds from the last probe to that RST (or to the end of the capture).
            then_s: f64,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// A gateway that speaks WebSocket to the client and only passes payloads to its
        /// backend (lighttpd's mod_wstunnel: its 101 names it) sent the first close frame, an
        /// empty one, after a quiet spell: its own read-idle timeout (lighttpd's
        /// server.max-read-idle), not the backend, ended the session.
        "gateway-idle-close" => GatewayIdleClose {
            /// The gateway, as its `Server` header names it.
            gateway: crate::vocab::Software,
            /// Its close frame.
            packet: u64,
            /// Seconds of quiet before it (from the last other frame either way).
            quiet_s: f64,
            /// The last frame before the quiet spell, if any.
            last_frame_packet: Option<u64>,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::proxy::gateway_idle, hint: Some(w::proxy::GATEWAY_IDLE_FIX.into()), head: Head::default(),
            redact: false, evidence: None }
        /// Frames a gateway sent on its own (lighttpd's mod_wstunnel, named by its 101: its
        /// backend gets only payloads, so every control frame the server side sent is
        /// lighttpd's): its pings (wstunnel.ping-interval), and its reply to a close frame
        /// whose payload is the text "1000" (read as code 12592), which no library accepts.
        "gateway-frames" => GatewayFrames {
            /// The gateway, as its `Server` header names it.
            gateway: crate::vocab::Software,
            /// Its pings, and the last.
            pings: u64,
            /// The last of its pings.
            last_ping: Option<u64>,
            /// Its close reply whose payload is the text "1000", if any.
            text_1000_reply: Option<u64>,
        }
        facets { rank: 7, names: false, own: false, explains: true,
            words: w::proxy::gateway_frames, hint: None, head: Head::default(),
            redact: false, evidence: None }
        /// An RST whose TTL (hop limit) matches none of the packets its sender's address sent
        /// before: most likely made up on the path (a firewall, load balancer, NAT or IDS).
        "reset-not-from-peer" => ForeignReset {
            /// The side the RST claims to come from.
            by: Role,
            /// The RST's packet.
            packet: u64,
            /// The RST's TTL (or hop limit).
            ttl: u8,
            /// The TTLs of that side's packets before it (lowest, highest).
            ttl_low: u8,
            /// The highest TTL of that side's packets before it.
            ttl_high: u8,
            /// The RST's IPv4 identification and that of the side's packet before it.
            ip_id: Option<u16>,
            /// The IPv4 identification of that side's packet before it.
            id_before: Option<u16>,
        }
        facets { rank: 1, names: true, own: false, explains: false,
            words: w::path_words, hint: Some(w::path_hint(c)), head: Head::default(),
            redact: false, evidence: w::path_evidence(c) }
        /// The capture says packets were lost before they were written (a pcapng's Interface
        /// Statistics Blocks; a live capture's drops while the connection was open), so a
        /// connection still open at its end may have closed in them: its ending is unknown.
        "packets-dropped" => PacketsDropped {
            /// The upgrade was answered.
            upgraded: bool,
            /// Packets the capture says were dropped.
            dropped: u64,
        }
        facets { rank: 0, names: false, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// The server's 101 carried a Sec-WebSocket-Accept that is not the one the client's
        /// Sec-WebSocket-Key asks for (RFC 6455 §4.2.2), and the client sent no frame after it:
        /// a conforming client fails the connection there (§4.1: "the client MUST _Fail the
        /// WebSocket Connection_"), so without a close frame (§7.1.7), and its library reports
        /// 1006 or a handshake error. Said before the ending it explains.
        "accept-mismatch" => AcceptMismatch {
            /// The response's packet.
            packet: u64,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// The server's 101 broke another rule on which RFC 6455 §4.1 says the client "MUST
        /// _Fail the WebSocket Connection_" (no `Upgrade: websocket`, no `Connection: Upgrade`,
        /// an extension or a subprotocol the client did not offer), and the client sent no frame
        /// after it: a conforming client failed the connection there, without a close frame,
        /// and its library reports 1006 or a handshake error. Said before the ending it
        /// explains, as `accept-mismatch`.
        "handshake-fault" => HandshakeFault {
            /// What the 101 got wrong.
            fault: ResponseFault,
            /// The response's packet.
            packet: u64,
        }
        facets { rank: 0, names: true, own: false, explains: false,
            words: w::plain, hint: None, head: w::heads(c), redact: false, evidence: None }
        /// A session that ended without a close frame, read from what the capture holds
        /// (`diagnose::ending`): whose software ended it and the packets that show it, or that
        /// the capture cannot tell, with what remains ranked. Only where no other cause already
        /// names what happened (a path fault, a proxy, a known timeout, a heartbeat, the
        /// application's words).
        "abrupt-ending" => AbruptEnding {
            /// `server-process`, `client-process` (that side's own software ended it: a stop,
            /// crash or kill, or its code closing the socket) or `unknown` (a quiet spell of
            /// whole seconds no known timeout matches: a timeout of that length, or that side's
            /// process). A peer that froze is `heartbeat-timeout`'s (or `pings-stopped`'s).
            verdict: EndingVerdict,
            /// The first ending.
            end: Ending,
            /// Seconds from the last frame (either way) to that ending; null when a frame came
            /// after it (the peer's data after a FIN), so the spell before it is not known.
            quiet_s: Option<f64>,
            /// The peer's message the side that ended had just received, with nothing sent in
            /// reply (the packet where it ended), if any.
            after_message: Option<u64>,
            /// The RST the side that ended sent after its FIN, answering what the peer sent
            /// after that FIN (its socket was gone, not half-closed), if any.
            reset_packet: Option<u64>,
            /// Data still unacknowledged at the end though sent again (too few times, or over
            /// too short a spell, for `unacknowledged-data`): the network is then not ruled out
            /// and the verdict is `unknown`; null when none.
            unacknowledged: Option<StillUnacked>,
            /// What came after the ending from the same client host to the same server
            /// endpoint: its new connections refused (SYN answered by RST: nothing listened on
            /// the port) and the next new session the server accepted, with their packets;
            /// null when the capture holds neither.
            afterwards: Option<crate::vocab::After>,
        }
        facets { rank: 2, names: false, own: true, explains: false,
            words: w::ending::words, hint: None, head: Head::default(), redact: false, evidence: None }
        /// A closing handshake cut short (`diagnose::closing`): after the first close frame,
        /// TCP ended before the peer's close frame in reply (RFC 6455 §7.1.1 closes TCP only
        /// once both are sent): its sender ended TCP without waiting (an RST, or a FIN whose
        /// socket then reset the reply), or the peer ended TCP without replying.
        "closing-cut-short" => ClosingCutShort {
            /// The side that sent the first close frame.
            from: Role,
            /// Its packet.
            close_packet: u64,
            /// The first TCP ending after it, before any reply.
            end: Ending,
            /// Seconds from the close frame to that ending.
            after_s: f64,
            /// The peer's close frame in reply, when one came after that ending.
            reply_packet: Option<u64>,
            /// The close frame's sender's RST that answered that reply (its socket was gone),
            /// if any.
            reply_reset: Option<u64>,
        }
        facets { rank: 4, names: false, own: false, explains: false,
            words: w::ending::closing, hint: w::ending::closing_fix(c, known), head: Head::default(),
            redact: false, evidence: None }
        /// A side's framework answered the upgraded connection with an HTTP response written
        /// into the WebSocket stream (`not_frames` has it): an error page (400 or more) when
        /// its handler raised; another status after its close frame when the handler returned
        /// and the framework answered the request it had taken the connection for.
        "http-response-in-stream" => HttpResponseInStream {
            /// The side that wrote it.
            from: Role,
            /// The packet of its first byte.
            packet: u64,
            /// It came after that side's close frame.
            after_close: bool,
            /// Its status code.
            http_status: Option<u16>,
            /// Its status line.
            status_line: String,
            /// Its page's `<title>` when captured.
            title: Option<String>,
            /// The peer's message it answered (within 50 ms, nothing between), if any.
            message: Option<Message>,
        }
        facets { rank: 0, names: true, own: true, explains: true, words: w::trigger::words,
            hint: w::trigger::hint(c), head: Head::default(), redact: redact::response_words(c, names),
            evidence: None }
        /// The first close frame came right after the peer's data message (within 50 ms, no
        /// frame between): its sender reacted to that message (its handler failed or
        /// rejected it), whatever the code says.
        "close-answers-message" => CloseAnswersMessage {
            /// The closing side.
            by: Role,
            /// Its close frame's code (null: empty).
            code: Option<u16>,
            /// Its close frame's packet.
            close_packet: u64,
            /// Seconds from the message to the close frame.
            seconds: f64,
            /// The message.
            message: Message,
            /// The message's first words for reading (cut to 200 characters; null when not
            /// kept; `[redacted]` under `--redact`).
            words: Option<String>,
        }
        facets { rank: 1, names: false, own: true, explains: false, words: w::trigger::words,
            hint: w::trigger::hint(c), head: Head::default(), redact: redact::answered_words(c),
            evidence: None }
        /// A heartbeat carried as messages (any protocol) whose answers stopped before the end.
        "heartbeat-answers-stopped" => HeartbeatAnswersStopped {
            #[doc = "The side whose beats went unanswered."] from: Role,
            #[doc = "Its beat's length in bytes."] message_bytes: u64,
            #[doc = "The peer's answer's length in bytes."] answer_bytes: u64,
            #[doc = "The beats' period (the mean of their last intervals), in ms."] period_ms: f64,
            #[doc = "Its last beat answered (null: not among the last few kept)."] last_answered: Option<u64>,
            #[doc = "The peer's last answer."] answer_packet: u64,
            #[doc = "Its first beat after that answer (null with `at_least`)."] first_unanswered: Option<u64>,
            #[doc = "Its beats after the last answer, before the end."] unanswered: u64,
            #[doc = "More may have: only its last few beats are kept."] at_least: bool,
            #[doc = "Seconds from the first unanswered beat kept to the end."] waited_s: f64,
            #[doc = "The side that ended first."] end_by: Role,
            #[doc = "That ending's packet (a close frame, or a TCP or stream ending)."] end_packet: u64,
            #[doc = "That ending was a close frame."] close: bool,
            #[doc = "Its code (null when empty, or not a close frame)."] close_code: Option<u16>,
        }
        facets { rank: 1, names: true, own: true, explains: true, words: w::stated::words,
            hint: w::stated::hint(c), head: Head::default(), redact: false, evidence: None }
        /// A first close frame before any frame of the peer's: its sender's own decision.
        "unprompted-close" => UnpromptedClose {
            #[doc = "The side that closed."] by: Role,
            #[doc = "Its close frame's code (null: empty)."] code: Option<u16>,
            #[doc = "Its close frame's packet."] close_packet: u64,
            #[doc = "Its own TCP ending after it: `rst`, or `fin` before the peer's reply."] own_end: Option<String>,
            #[doc = "That ending's packet."] own_end_packet: Option<u64>,
        }
        facets { rank: 1, names: false, own: true, explains: false, words: w::stated::words,
            hint: w::stated::hint(c), head: Head::default(), redact: false, evidence: None }
    }
    };
}
pub(crate) use cause_list;
