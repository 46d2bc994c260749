//! The list of every kind of cause (`cause_list!`), each with its fields and its facets:
//! the one place a kind is declared (read by `cause.rs` and `report/words/facets.rs`).

/// The list of every kind of cause, each with its fields and its facets, read twice: by
/// `causes!` (`cause/declare.rs`), here, which declares [`Cause`] and its JSON view, and by
/// `facets!` (`report/words/facets.rs`), which makes each facet one exhaustive match.
/// A facet's names are those of `report/words` (`w::...`) and `report/redact` (`redact::...`),
/// where the facets are made.
macro_rules! cause_list {
    ($m:ident) => {
        $crate::report::cause::cause_list_first! { $m, |c, known, names|
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
            /// The peer's first duplicate acknowledgement at the segment's start whose SACK
            /// blocks (RFC 2018 §4) held bytes that side sent after the segment: they reached
            /// the peer, the segment did not (null: the peer sent no such block).
            sacked: Option<u64>,
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
            /// Its status line; redacted, its version and code only
            /// (`HTTP/1.1 502 [redacted]`).
            status_line: String,
            /// Its page's `<title>` when captured; `[redacted]` when redacted.
            title: Option<String>,
            /// The peer's message it answered (within 50 ms, nothing between), if any.
            message: Option<Message>,
        }
        facets { rank: 0, names: true, own: true, explains: true, words: w::trigger::words,
            hint: w::trigger::hint(c), head: Head::default(), redact: redact::response_words(c),
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
        /// A first close frame before any frame of the peer's (or after its long quiet): its sender's own decision.
        "unprompted-close" => UnpromptedClose {
            #[doc = "The side that closed."] by: Role,
            #[doc = "Its close frame's code (null: empty)."] code: Option<u16>,
            #[doc = "Its close frame's packet."] close_packet: u64,
            #[doc = "Its own TCP ending after it: `rst`, or `fin` before the peer's reply."] own_end: Option<String>,
            #[doc = "That ending's packet."] own_end_packet: Option<u64>,
            #[doc = "Seconds since the peer's last frame, when it had sent some: a close after that long a quiet answered nothing (null: the peer had sent no frame)."] quiet_s: Option<f64>, #[doc = "What came after it from the client's host to the server's port (a server's close, the server's FIN or RST after it): its new connections refused, with their packets; null when none."] afterwards: Option<crate::vocab::After>,
        }
        facets { rank: 1, names: false, own: true, explains: false, words: w::stated::words,
            hint: w::stated::hint(c), head: Head::default(), redact: false, evidence: None }
        #[doc = "Beside `one-direction`: its side's bytes sent again; the path's verdict withheld (it rests on the other direction)."] "one-direction-resent" => OneDirectionResent { #[doc = "The side whose packets are in the capture."] from: Role, #[doc = "Its segments that repeated bytes it had sent before (TCP retransmissions)."] retransmissions: u64,
            #[doc = "Its last segment with data (or a FIN)."] last_packet: u64, #[doc = "Seconds from that segment to its last packet in the capture (0: it was the last)."] after_s: f64, } facets { rank: 1, names: false, own: false, explains: false, words: w::views::words, hint: None, head: Head::default(), redact: false, evidence: None }
        #[doc = "Data never acknowledged, and the capture's host named from the TTLs: whether the data left it or reached it."] "seen-at" => SeenAt { #[doc = "The side at whose host the capture was taken (its packets carry an initial TTL, the peer's one lower per router)."] host: Role, #[doc = "Its packets' TTL."] own_ttl: u8,
            #[doc = "The peer's packets' TTL as they arrived."] peer_ttl: u8, #[doc = "The side whose data was never acknowledged."] unacknowledged: Role, #[doc = "Its first segment never acknowledged."] packet: u64,
            #[doc = "Where the data left the capture's host: the peer's last frame, how long before the end, and the host's segments since, when nothing of the peer's came after the data's first segment (its data stopped arriving); null otherwise."] peer_silent: Option<PeerSilent>, } facets { rank: 3, names: false, own: false, explains: false, words: w::views::words, hint: None, head: Head::default(), redact: false, evidence: None }
        #[doc = "Data never acknowledged where the TTLs name no host: the sender's segment and its retransmissions reached the capture point and nothing of the peer's did after it, so the capture was taken on the sender's side of whatever broke; which host is not said."] "seen-before-break" => SeenBeforeBreak { #[doc = "The side whose data was never acknowledged."] from: Role, #[doc = "Its first segment never acknowledged."] packet: u64, #[doc = "Its retransmissions of that data, seen at the capture point."] retransmissions: u64,
            #[doc = "Seconds from that segment to its last retransmission."] seconds: f64, #[doc = "The peer's last frame, how long before the end, and the sender's segments since, when the peer had sent a frame; null otherwise."] peer_silent: Option<PeerSilent>, } facets { rank: 3, names: false, own: false, explains: false, words: w::views::words, hint: None, head: Head::default(), redact: false, evidence: w::views::evidence(c) }
        /// A session seen at two points of its path (issue 103): what the two points show
        /// of its ending together (`points`): a reset or FIN made between the points (its
        /// sender's point never saw it sent), one side's packets lost between them before
        /// the end, segments of a size that never crossed (a path MTU black hole between
        /// them), both points showing an endpoint's own ending, or why they cannot tell.
        "between-points" => BetweenPoints {
            /// What the two points show.
            verdict: PointsVerdict,
            /// The side in whose name the session's first TCP ending came.
            end_by: Role,
            /// That ending: `rst` or `fin`.
            end_kind: crate::report::points::MadeKind,
            /// Its packet (its number in the first point's input).
            end_packet: u64,
            /// Its TTL (or hop limit) where it was seen.
            ttl: u8,
            /// The TTL of that side's packets at the same point before it; null when none.
            side_ttl: Option<u8>,
            /// Its IPv4 identification.
            ip_id: u16,
            /// Resets and FINs made between the points in the other side's name (which that
            /// side's point never saw sent).
            peer_made: u64,
            /// The first of them: its packet (its number in the input of the point that saw
            /// it), null when none.
            peer_made_packet: Option<u64>,
            /// The point that saw it (0: the first, 1: the second), null when none.
            peer_made_at: Option<usize>,
            /// Its TTL, null when none.
            peer_made_ttl: Option<u8>,
            /// The TTL of the other side's packets at that point before it, null when none
            /// or none seen.
            peer_made_side_ttl: Option<u8>,
            /// The side whose packets were lost between the points before the end (the
            /// direction the verdict rests on, or the loss beside a packet made between);
            /// null when none.
            lost_from: Option<Role>,
            /// How many of its packets were lost between the points.
            lost_packets: u64,
            /// Their payload bytes.
            lost_bytes: u64,
            /// The smallest of their payloads.
            lost_smallest: u32,
            /// The largest of their payloads.
            lost_largest: u32,
            /// The point that saw them (0: the first, 1: the second).
            lost_seen_at: usize,
            /// The first of them (its number in that point's input).
            lost_first_packet: u64,
            /// The last of them (its number in that point's input).
            lost_last_packet: u64,
            /// Seconds from the session's first packet to the first of them (the first
            /// point's clock).
            lost_from_s: f64,
            /// Seconds from the session's first packet to the last of them.
            lost_to_s: f64,
            /// Pings among them (ping frames completed in them, as far as the frames kept
            /// at the first point tell; 0 when they were at the second point).
            lost_pings: u64,
            /// The largest payload of that side's that reached the other point (from the
            /// MTU black hole a point's own view found), null when not known.
            crossed_largest: Option<u64>,
            /// The endpoint a box between the points translated (a NAT), null when none.
            translated: Option<Role>,
            /// The first point's file.
            first_file: String,
            /// The second point's file.
            second_file: String,
        }
        facets { rank: 1, names: true, own: true, explains: false,
            words: w::points::words, hint: w::points::hint(c), head: Head::default(),
            redact: false, evidence: None }
    }
    };
}
pub(crate) use cause_list;
