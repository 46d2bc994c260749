//! The close-code catalog: one row per WebSocket close code, or per range of codes.
//!
//! In: a `u16` close status code, as read from the first two bytes of a close
//! frame's payload (or a local status such as 1005/1006/1015 that a library
//! reports when no usable code was received).
//!
//! Out: the catalog row ([`Entry`]) for that code: its registry name, whether it
//! may appear on the wire, what it means, typical causes in real systems, and
//! what to check or change. [`lookup`] never fails: codes without a row of their
//! own fall into a range row, and the rows together cover `0..=65535`.
//! [`PAIRS`] holds comparisons of codes that are often confused.
//!
//! Sources: RFC 6455 §7.4 (defined codes and ranges, §7.4.1 and §7.4.2, with
//! §5.2, §7.1.5 and §8.1 where noted), RFC 7692 (permessage-deflate) and the
//! IANA "WebSocket Close Code Number Registry" (1012-1014 and the registered
//! 3000-range codes 3000, 3003 and 3008). All texts are the project's own words,
//! written for a developer debugging a real connection; none is quoted from
//! those documents or from other catalogs.

use serde::Serialize;

/// May this code appear in a close frame on the wire?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnWire {
    /// An endpoint may send it.
    Allowed,
    /// Reserved for a local status; RFC 6455 §7.4.1 says it MUST NOT be sent (1005, 1006, 1015).
    Never,
    /// Not assigned/reserved (1004, 1016-2999, 0-999, >=5000): a frame carrying it is a protocol
    /// error.
    Invalid,
}

/// Which part of the code space a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Defined by RFC 6455 or a later RFC/IANA registration in 1000-2999.
    Standard,
    /// Registered with IANA in 3000-3999.
    Registered,
    /// Range entry: unregistered 3000-3999 code (library/framework use).
    Unregistered,
    /// Range entry: 4000-4999 private use.
    Private,
    /// Range entry or reserved code that is not valid in a close frame.
    Invalid,
}

/// One catalog row: a single code or a contiguous range of codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// First and last code this row covers (equal for a single code).
    pub first: u16,
    /// The last code this row covers.
    pub last: u16,
    /// Short name as the registry gives it, e.g. "Normal Closure"; for ranges e.g. "Private Use".
    pub name: &'static str,
    /// Which part of the code space it is in: standard, registered, private use, ...
    pub kind: Kind,
    /// Whether an endpoint may send it in a close frame.
    pub on_wire: OnWire,
    /// What the code means (1-3 sentences).
    pub meaning: &'static str,
    /// When you see it: typical causes in real systems (2-4 sentences).
    pub causes: &'static str,
    /// How to fix it / what to check next (2-4 sentences).
    pub fix: &'static str,
    /// Where the fact comes from, e.g. "RFC 6455 §7.4.1", "RFC 6455 §7.4.1; IANA registry", "IANA
    /// registry (3000)".
    pub reference: &'static str,
}

// Shared texts of the three range rows that fill the unregistered gaps of
// 3000-3999 around the IANA-registered codes.
const UNREGISTERED_NAME: &str = "Unregistered (library/framework use)";
const UNREGISTERED_MEANING: &str = "Part of the 3000-3999 block that RFC 6455 sets aside for libraries, frameworks and applications, with codes registered at IANA first come first served. This number has no registration, so it means whatever the sending software defines.";
const UNREGISTERED_CAUSES: &str = "A framework or hosted service using its own code without registering it, or an application that chose a 3xxx value instead of the 4000-4999 private range. Only the reason text and the sending software's documentation can say what it means.";
const UNREGISTERED_FIX: &str = "Identify the sending library or service (from the Server or User-Agent header in the handshake, or the negotiated subprotocol) and look the code up in its documentation. If the code is yours, register it with IANA or move it into 4000-4999.";
const UNREGISTERED_REFERENCE: &str = "RFC 6455 §7.4.2; IANA registry";

/// The last row (5000-65535): also what [`lookup`] falls back to.
const OUT_OF_RANGE: Entry = Entry {
    first: 5000,
    last: 65535,
    name: "Out of Range",
    kind: Kind::Invalid,
    on_wire: OnWire::Invalid,
    meaning: "RFC 6455 defines no range above 4999, so these values mean nothing and are not valid in a close frame, even though the two-byte field can hold them.",
    causes: "Most often a byte-order bug: a sender that writes the code little-endian turns 1000 into 59395 and 1001 into 59651. Other sources are an application error number pushed past 4999, or a capture parser reading the wrong two bytes as the status.",
    fix: "Swap the two status bytes by hand: if that gives a sensible code, fix the sender to write network (big-endian) byte order. Otherwise change the application to use a code in 4000-4999. Receivers that follow RFC 6455 fail the connection on these values, usually answering 1002.",
    reference: "RFC 6455 §7.4.2",
};

/// All rows, ordered by `first`, non-overlapping, together covering 0..=65535 with no hole.
pub static ENTRIES: &[Entry] = &[
    Entry {
        first: 0,
        last: 999,
        name: "Not Used",
        kind: Kind::Invalid,
        on_wire: OnWire::Invalid,
        meaning: "RFC 6455 leaves every code below 1000 unused, so none of them means anything. A close frame that carries one is malformed.",
        causes: "Almost always a bug in the sending application: an HTTP status such as 401, 403 or 500, or an internal error number, passed to a server library's close call as if it were a close code. It can also mean that a capture parser lost its place and read the wrong two bytes as the status.",
        fix: "Find the close call on the sending side and give it a real close code: 1000, one of 1001-1014 that fits, or an application code from 4000-4999 (4401 and 4403 are popular stand-ins for the HTTP statuses). A receiver that follows RFC 6455 strictly fails the connection on these values, usually answering 1002, so the intended reason is lost.",
        reference: "RFC 6455 §7.4.2",
    },
    Entry {
        first: 1000,
        last: 1000,
        name: "Normal Closure",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The closing side is finished with the connection and nothing went wrong: whatever the socket was opened for is complete. Apart from the 3000-4999 application range it is the only code the browser close() method accepts.",
        causes: "A deliberate close(1000) from either side, for example on logout, after a one-off exchange finishes, or when a single-page app unmounts the component that owned the socket. Some server libraries also send 1000 on their own when the connection handler function returns.",
        fix: "The protocol is fine. If the close was unwanted, use the capture to see which side sent the first close frame, then search that side for the code path that closes: a handler that returns early, a cleanup hook, a logout flow. Passing a short reason string with every close makes this trivial next time.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1001,
        last: 1001,
        name: "Going Away",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The side that sent it is leaving: a server is going down, or the browser page that owned the socket is being unloaded. It does not accuse the peer of anything.",
        causes: "Browsers send it when the user closes the tab, reloads, or navigates to another page. Servers send it during a graceful shutdown: SIGTERM during a rolling deploy, a Kubernetes pod being drained, an autoscaler removing an instance, or a maintenance restart that does not use 1012.",
        fix: "From a browser it is normally harmless, so log it at a low level. From a server, reconnect after a short random delay so a fleet-wide restart does not turn into a reconnect storm, and let the server drain connections before it exits. If servers send it outside deploy windows, line the close time up with orchestration events such as scale-in or node drains.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1002,
        last: 1002,
        name: "Protocol error",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The sender saw bytes that break the WebSocket framing rules and refused to continue. The fault is in how frames are built, not in what the application put inside them.",
        causes: "Usual triggers: a client frame that is not masked or a server frame that is, RSV bits set without a negotiated extension (such as a compressed frame when permessage-deflate was not agreed, or RSV1 on a control frame or continuation, which RFC 7692 forbids), an unknown opcode, a control frame that is fragmented or longer than 125 bytes, a continuation with no message in progress, or a close frame whose code is invalid or only one byte long.",
        fix: "Decode the last few frames before the close and find the one that breaks a rule; its direction tells you whose code to fix. Hand-written framing is the usual culprit, so prefer a maintained library. If both ends use standard libraries, look for a proxy, VPN or security appliance that rewrites traffic, and confirm both sides agree on the extensions listed in the 101 response.",
        reference: "RFC 6455 §7.4.1, §5.2; RFC 7692 §6.1; IANA registry",
    },
    Entry {
        first: 1003,
        last: 1003,
        name: "Unsupported Data",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The receiver got a kind of message it has no handler for, for instance binary where it only processes text, and closed rather than guess. It is about the message type (the opcode), not about whether the bytes inside are valid.",
        causes: "A browser client sending an ArrayBuffer or Blob to a server that only reads text, or JSON sent as text to an endpoint that speaks a binary format such as protobuf or MessagePack. It also appears after a library upgrade changes how a value is sent (a buffer that now goes out as a binary frame) or when two versions of a protocol meet.",
        fix: "Compare the opcode of the last data frame before the close (0x1 text, 0x2 binary) with what the receiving handler accepts. Either send the type the peer expects (in a browser, a string goes out as text and an ArrayBuffer as binary) or teach the receiver to handle the other type. Write the message type into the subprotocol's documentation so both sides check it the same way.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1004,
        last: 1004,
        name: "Reserved",
        kind: Kind::Invalid,
        on_wire: OnWire::Invalid,
        meaning: "RFC 6455 set this value aside without a meaning, and no later registration has given it one. It is not a valid code for a close frame.",
        causes: "Pre-RFC drafts of the protocol used 1004 for a frame that was too large, and some old tables and libraries still carry that label, so code written from them may send it. Otherwise it is a typo for 1009 or 1014, or a bug that computes the code.",
        fix: "Change the sender to use 1009 if it means a message was too big, or whichever defined code fits. A strict receiver answers a close frame carrying 1004 as a protocol error (often with 1002), so the reason the sender intended never arrives.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1005,
        last: 1005,
        name: "No Status Rcvd",
        kind: Kind::Standard,
        on_wire: OnWire::Never,
        meaning: "A local status, not a wire code: a library reports 1005 when a close frame arrived with an empty body, so the peer closed cleanly but said nothing about why. RFC 6455 forbids putting 1005 in a close frame.",
        causes: "The peer closed without giving a code. In browsers this is ws.close() called with no arguments, which sends a close frame with no payload; many client and server libraries do the same when close is called with defaults. An empty close frame is perfectly legal.",
        fix: "Treat it as a clean close whose intent is unknown. If you need to know why connections end, make the closing side pass an explicit code and a short reason, for example close(1000, \"logout\") or a documented 4000-4999 code. If a capture shows 1005 written inside a close frame, the sender is buggy and should be fixed.",
        reference: "RFC 6455 §7.4.1, §7.1.5; IANA registry",
    },
    Entry {
        first: 1006,
        last: 1006,
        name: "Abnormal Closure",
        kind: Kind::Standard,
        on_wire: OnWire::Never,
        meaning: "A local status, not a wire code: the connection ended without a close frame being received, so the library uses 1006 to say the transport simply went away. It never appears in a close frame and carries no reason text.",
        causes: "The most common close in production. Typical sources: an idle timeout on a proxy or load balancer (nginx proxy_read_timeout defaults to 60 s, the AWS ALB idle timeout to 60 s, Cloudflare drops idle WebSockets after about 100 s), a server process that crashed or was killed (OOM killer, SIGKILL), a server that reset the socket before its close frame went out, a network drop or mobile handover, a laptop going to sleep, or a failed TLS or upgrade handshake in a browser.",
        fix: "In the capture, see how TCP ended and which address ended it. A FIN or RST from a proxy after a quiet spell of a round number of seconds means an idle timeout: send pings or application heartbeats more often than the shortest timeout, or raise it (proxy_read_timeout, ALB idle timeout). A RST from the server with no close frame points to a crash, so read the server logs for that moment. Clients should always reconnect with backoff.",
        reference: "RFC 6455 §7.4.1, §7.1.5; IANA registry",
    },
    Entry {
        first: 1007,
        last: 1007,
        name: "Invalid frame payload data",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The message type was acceptable but the bytes inside it were not, most often a text message that is not valid UTF-8. RFC 6455 requires an endpoint to give up on the connection when text fails UTF-8 decoding, and this is the code for that.",
        causes: "A sender that puts raw bytes, Latin-1 or Windows-1252 text, or a string cut in the middle of a multi-byte character into a text frame. Other sources: a close reason that is not valid UTF-8, a receiver that wrongly validates each fragment on its own, and permessage-deflate data that fails to inflate (RFC 7692 only says to fail the connection; the Node ws library uses 1007 for it).",
        fix: "Take the last text message before the close and decode it as UTF-8; the first invalid offset shows the broken character. Encode strings as UTF-8 before sending, never truncate by byte count inside a character, and send arbitrary bytes as binary frames or base64. If compression is on, check that both sides agree on window bits and context takeover.",
        reference: "RFC 6455 §7.4.1, §8.1; RFC 7692; IANA registry",
    },
    Entry {
        first: 1008,
        last: 1008,
        name: "Policy Violation",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "A catch-all for \"you broke one of my rules\": the receiver refused something that no more specific code describes, or preferred not to say which rule. The reason text, when present, is the best clue.",
        causes: "Authentication that fails or expires after the upgrade (a JWT that runs out mid-session), an Origin the server does not allow, a rate limit or flood guard that tripped, a message that fails schema validation, or a subscription to a channel the user may not read.",
        fix: "Read the close reason and the server's log entry for that connection. Compare token lifetime with session length and refresh credentials before they expire, check the handshake's Origin header against the server's allow-list, and count how many messages the client sent just before the close. If you own the server, a documented 4000-4999 code per rule lets clients react precisely.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1009,
        last: 1009,
        name: "Message Too Big",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The receiver got, or would have had to buffer, a message larger than it is configured to take, and closed. The limit applies to the whole message after reassembly (and after decompression when compression is on), not to one frame or TCP segment.",
        causes: "Hitting a library limit: Python websockets defaults max_size to 1 MiB, Node ws defaults maxPayload to 100 MiB, Rust tungstenite caps messages at 64 MiB, Tomcat buffers 8 KiB for whole-message handlers, and ASP.NET Core SignalR accepts 32 KB by default. Large JSON snapshots, base64 file uploads and unbounded history replays are the usual offenders.",
        fix: "Compare the size of the last message in the capture with the receiver's limit. Raise the limit on the receiving side (max_size, maxPayload, setMaxTextMessageBufferSize, MaximumReceiveMessageSize) to a value the server can afford, or split the payload into chunks, paginate it, or hand out a URL and fetch the data over HTTP. Keep some limit: it protects the server's memory.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1010,
        last: 1010,
        name: "Mandatory Ext.",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "Sent only by a client: it asked for one or more extensions it cannot work without, and the server's handshake response did not accept them. The reason text should name the missing extensions.",
        causes: "A client set to require permessage-deflate or a custom extension, talking to a server that does not implement it or to a proxy that strips Sec-WebSocket-Extensions from the handshake, which produces this even when the origin server supports compression. A server never needs this code, because it can simply refuse the handshake.",
        fix: "Compare Sec-WebSocket-Extensions in the client's upgrade request with the value in the server's 101 response. Enable the extension on the server, make the proxy pass the header through, or configure the client to treat the extension as optional. A server that sends 1010 is misusing the code.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1011,
        last: 1011,
        name: "Internal Error",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The sender hit an unexpected failure on its own side and could not carry on with the connection. RFC 6455 words it as a server code, though clients and libraries send it as well.",
        causes: "An unhandled exception in the server's message or connection handler (many frameworks catch it and close with 1011 rather than crash the process), a database or downstream call that failed without being caught, a serialization error, or a broken invariant in per-connection state. The reason text often holds the exception name.",
        fix: "Search the server's logs and error tracker at the close timestamp for a stack trace; the last client message before the close is often the input that triggered it. Catch errors per message so one bad request produces an error reply instead of ending the session, and add a test for that payload. Clients should reconnect with backoff, not in a tight loop.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1012,
        last: 1012,
        name: "Service Restart",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The server is closing because it is restarting and expects to be back shortly. Clients may reconnect, ideally after a short random delay.",
        causes: "Planned restarts: a rolling deploy, a configuration reload, a process manager recycling a worker, or a platform moving the instance. Servers that shut down politely send it to every client before exiting so clients know the gap is brief and intended.",
        fix: "Reconnect automatically after a randomised delay of a few seconds (for example 1 to 5 s plus jitter) so clients do not all return at once, and restore subscriptions after reconnecting. If 1012 shows up often outside deploy windows, look for a worker that keeps crashing and being respawned.",
        reference: "IANA registry (1012)",
    },
    Entry {
        first: 1013,
        last: 1013,
        name: "Try Again Later",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "The server cannot serve this connection right now, usually because it is overloaded or at capacity, and asks the client to come back later. It plays the role HTTP 503 plays for ordinary requests.",
        causes: "Connection caps or admission control (too many clients on one instance), load shedding under CPU or memory pressure, a backend the server depends on being unavailable, or a per-user quota. A hot instance often closes many clients with 1013 at the same moment.",
        fix: "Back off before reconnecting: exponential delays with jitter and a cap (for example starting at 1 s and doubling up to 60 s), honouring any delay hint in the reason text. On the server, check connection counts and capacity metrics at the close time, and add instances or raise limits if it happens under normal load.",
        reference: "IANA registry (1013)",
    },
    Entry {
        first: 1014,
        last: 1014,
        name: "Bad Gateway",
        kind: Kind::Standard,
        on_wire: OnWire::Allowed,
        meaning: "A server acting as a gateway or proxy ended the connection because the upstream server behind it failed or answered with something invalid. It mirrors HTTP 502.",
        causes: "A WebSocket-aware proxy or API gateway whose connection to the backend broke or never completed its own handshake, a backend that crashed mid-session behind a proxy that terminates WebSockets itself, or a service mesh sidecar that lost its upstream.",
        fix: "Look behind the proxy: check its logs for upstream errors at the close time, then the backend's health and logs. A capture taken between the proxy and the backend shows whether the upstream side ended first. Clients should reconnect with backoff; the real fix is in the backend or in the proxy's upstream settings.",
        reference: "IANA registry (1014)",
    },
    Entry {
        first: 1015,
        last: 1015,
        name: "TLS handshake",
        kind: Kind::Standard,
        on_wire: OnWire::Never,
        meaning: "A local status, not a wire code: a library reports 1015 when the connection failed because the TLS handshake could not be completed, so no WebSocket traffic was ever exchanged. RFC 6455 forbids sending it in a close frame.",
        causes: "A server certificate that is expired, self-signed, issued for another host name or missing an intermediate; a client that does not trust the issuing CA (common behind corporate TLS inspection); no shared TLS version or cipher; or a wss:// URL that points at a port speaking plain HTTP. Browsers usually hide the detail and report 1006, while other clients may report 1015.",
        fix: "Test the endpoint with openssl s_client -connect host:443 -servername host, or curl -v https://host/, and read the error. Renew or complete the certificate chain, make sure SNI and the host name match, and align TLS versions. In a capture, look for a TLS alert right after the ClientHello or ServerHello where an HTTP upgrade should have followed.",
        reference: "RFC 6455 §7.4.1; IANA registry",
    },
    Entry {
        first: 1016,
        last: 2999,
        name: "Reserved for Future Use",
        kind: Kind::Invalid,
        on_wire: OnWire::Invalid,
        meaning: "RFC 6455 keeps 1000-2999 for the protocol itself, its revisions and extensions published as open specifications. Nothing above 1015 has been assigned, so a close frame carrying one of these codes is invalid today.",
        causes: "Application code that picked an arbitrary number such as 1100 or 2000 instead of using the 4000-4999 private range, a library written for a draft or a proprietary extension, or an internal error number passed straight to close.",
        fix: "Move application-specific codes into 4000-4999, or register one in 3000-3999. Receivers that follow RFC 6455 strictly (the Autobahn test suite expects this) fail the connection when they see these codes, usually answering 1002, so the intended reason never reaches the peer.",
        reference: "RFC 6455 §7.4.2; IANA registry",
    },
    Entry {
        first: 3000,
        last: 3000,
        name: "Unauthorized",
        kind: Kind::Registered,
        on_wire: OnWire::Allowed,
        meaning: "Registered with IANA for closing a connection whose client has not authenticated or whose credentials were rejected, in the spirit of HTTP 401. It tells the client to authenticate again before reconnecting.",
        causes: "A missing, invalid or expired token in the first message or the query string, a session cookie that expired while the socket was open, or a server that re-checks credentials periodically and found them revoked. Browsers cannot read the status of a refused upgrade, so servers often accept the upgrade and then close with 3000.",
        fix: "Refresh or re-acquire credentials before reconnecting instead of retrying the same token in a loop. Check the token's expiry against the server clock and how it is passed (query parameter, cookie or first message). On the server, log which check failed so the close can be traced.",
        reference: "IANA registry (3000)",
    },
    Entry {
        first: 3001,
        last: 3002,
        name: UNREGISTERED_NAME,
        kind: Kind::Unregistered,
        on_wire: OnWire::Allowed,
        meaning: UNREGISTERED_MEANING,
        causes: UNREGISTERED_CAUSES,
        fix: UNREGISTERED_FIX,
        reference: UNREGISTERED_REFERENCE,
    },
    Entry {
        first: 3003,
        last: 3003,
        name: "Forbidden",
        kind: Kind::Registered,
        on_wire: OnWire::Allowed,
        meaning: "Registered with IANA for closing a connection whose client is known but not allowed to do what it asked, in the spirit of HTTP 403. Unlike 3000, new credentials for the same identity will not help.",
        causes: "A user subscribing to a channel, room or document without permission, an account that was suspended or lost a role mid-session, or a tenant or Origin the server refuses.",
        fix: "Do not retry automatically with the same identity. Check the user's roles against the resource the last message asked for, and show an access error instead of reconnecting. On the server, name the denied resource in the close reason or the logs.",
        reference: "IANA registry (3003)",
    },
    Entry {
        first: 3004,
        last: 3007,
        name: UNREGISTERED_NAME,
        kind: Kind::Unregistered,
        on_wire: OnWire::Allowed,
        meaning: UNREGISTERED_MEANING,
        causes: UNREGISTERED_CAUSES,
        fix: UNREGISTERED_FIX,
        reference: UNREGISTERED_REFERENCE,
    },
    Entry {
        first: 3008,
        last: 3008,
        name: "Timeout",
        kind: Kind::Registered,
        on_wire: OnWire::Allowed,
        meaning: "Registered with IANA for closing a connection because something took too long, in the spirit of HTTP 408: typically the client did not authenticate, answer a heartbeat or send an expected message in time.",
        causes: "A client that opens the socket but sends its init or auth message too late, a heartbeat or pong that missed the server's deadline (browsers throttle timers in background tabs, which is a frequent reason), or a session that exceeded a maximum idle time.",
        fix: "Measure the client's timing in the capture against the server's deadlines: time from the 101 response to the first message, and the gaps between heartbeats. Send the first message as soon as the socket opens, keep heartbeat intervals well below the deadline, and reconnect when it happens.",
        reference: "IANA registry (3008)",
    },
    Entry {
        first: 3009,
        last: 3999,
        name: UNREGISTERED_NAME,
        kind: Kind::Unregistered,
        on_wire: OnWire::Allowed,
        meaning: UNREGISTERED_MEANING,
        causes: UNREGISTERED_CAUSES,
        fix: UNREGISTERED_FIX,
        reference: UNREGISTERED_REFERENCE,
    },
    Entry {
        first: 4000,
        last: 4999,
        name: "Private Use",
        kind: Kind::Private,
        on_wire: OnWire::Allowed,
        meaning: "Kept for private agreements between the two applications: these codes cannot be registered and mean only what the application or its subprotocol says. Many protocols map HTTP-like statuses here, such as 4401 or 4403.",
        causes: "A decision by the peer application, not a protocol failure. For example, GraphQL over WebSocket (graphql-ws) uses 4400 bad request, 4401 unauthorized, 4403 forbidden, 4408 init timeout, 4409 duplicate subscriber and 4429 too many init requests, and Discord's gateway uses 4000-4014 for its own errors.",
        fix: "Look the code up in the documentation of the subprotocol named in the handshake (Sec-WebSocket-Protocol) or of the service you connect to, and read the reason text. If you design your own codes, document them and keep their meanings stable across versions.",
        reference: "RFC 6455 §7.4.2",
    },
    OUT_OF_RANGE,
];

/// The row for `code`: its own row if it has one, else the range row that covers it. Never fails.
///
/// ```
/// use wsclose::close::catalog::{lookup, OnWire};
///
/// let e = lookup(1006);
/// assert_eq!(e.name, "Abnormal Closure");
/// assert_eq!(e.on_wire, OnWire::Never); // a local status: never in a close frame
/// // A private code falls in the 4000-4999 range's row.
/// assert_eq!((lookup(4321).first, lookup(4321).last), (4000, 4999));
/// ```
pub fn lookup(code: u16) -> &'static Entry {
    // ENTRIES is sorted and covers 0..=65535, so the first row whose `last`
    // is not below `code` always exists and contains it.
    let idx = ENTRIES.partition_point(|e| e.last < code);
    ENTRIES.get(idx).unwrap_or(&OUT_OF_RANGE)
}

/// `#[serde(with)]` for an optional catalog name (a row's `name`, as [`lookup`] gives it):
/// in JSON (a human-readable serializer) the name, in the stored form (`serial`) the first
/// code of its row, read back as that row's name, the very same static.
pub mod name_serde {
    use super::{lookup, ENTRIES};
    use serde::{ser::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    /// The name in JSON, the row's first code in the stored form.
    pub fn serialize<S: Serializer>(name: &Option<&'static str>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return name.serialize(s);
        }
        let code = match name {
            None => None,
            Some(n) => match ENTRIES.iter().find(|e| std::ptr::eq(e.name, *n)) {
                Some(e) => Some(e.first),
                None => return Err(S::Error::custom("not a catalog name")),
            },
        };
        code.serialize(s)
    }

    /// Reads the stored form back as the row's name.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
        Ok(Option::<u16>::deserialize(d)?.map(|code| lookup(code).name))
    }
}

/// A comparison of two codes that users often confuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Pair {
    /// One code.
    pub a: u16,
    /// The code it is confused with.
    pub b: u16,
    /// The key difference in one or two sentences.
    pub difference: &'static str,
    /// When to send (or expect) which, in one or two sentences.
    pub which: &'static str,
}

/// Comparisons, each stored once with `a < b`, ordered by `(a, b)`. A range is
/// represented by its first code (4000 stands for any 4000-4999 code).
pub static PAIRS: &[Pair] = &[
    Pair {
        a: 1000,
        b: 1001,
        difference: "1000 says the work is done; 1001 says the endpoint itself is leaving (a page unloading, a server shutting down) whether or not the work was finished.",
        which: "Send 1000 when the application has finished with the connection and 1001 from a server that is shutting down. Clients usually reconnect after 1001 but not after 1000.",
    },
    Pair {
        a: 1000,
        b: 1005,
        difference: "1000 is carried in the close frame; 1005 is what a library reports when the close frame had no code at all. Both are clean closes.",
        which: "Seeing 1005 means the peer called close() without a code. Have it pass 1000 plus a short reason so your logs show the intent.",
    },
    Pair {
        a: 1000,
        b: 1006,
        difference: "1000 comes from a completed closing handshake with an explicit code; 1006 means no close frame arrived and the transport simply ended.",
        which: "1000 needs no action. 1006 calls for a look at proxy timeouts, crashes and the network path.",
    },
    Pair {
        a: 1001,
        b: 1006,
        difference: "1001 is a close frame the departing side sent on purpose; 1006 means it left without one, for example a killed process, a lost network or an idle proxy.",
        which: "Servers should send 1001 during a graceful shutdown. A deploy that yields 1006 instead means the process exits before it closes its sockets.",
    },
    Pair {
        a: 1001,
        b: 1012,
        difference: "Both come from a server going down, but 1012 promises a restart and a quick return, while 1001 only says the endpoint is leaving.",
        which: "Send 1012 for restarts and deploys where clients should come straight back, and 1001 for a permanent shutdown or a browser page being unloaded.",
    },
    Pair {
        a: 1002,
        b: 1007,
        difference: "1002 is about frame structure (masking, opcodes, RSV bits, control-frame rules); 1007 is about the content of a well-formed message, usually text that is not valid UTF-8.",
        which: "Expect 1002 when a frame cannot be parsed under the rules and 1007 when it parses but its payload does not fit its type.",
    },
    Pair {
        a: 1002,
        b: 1008,
        difference: "1002 means the WebSocket rules were broken; 1008 means the application's own rules were broken by a message that was valid WebSocket.",
        which: "Protocol stacks send 1002 on their own; applications send 1008 for authentication, rate limits and content rules.",
    },
    Pair {
        a: 1003,
        b: 1007,
        difference: "1003 rejects the message type (text versus binary); 1007 accepts the type but rejects the bytes inside.",
        which: "Send 1003 when there is no handler for that opcode, and 1007 when a text message is not valid UTF-8 or otherwise does not match its type.",
    },
    Pair {
        a: 1003,
        b: 1008,
        difference: "1003 is the specific code for a message type the endpoint does not handle; 1008 is the general refusal used when nothing more specific fits.",
        which: "Prefer 1003 for text/binary mismatches and 1008 for application rules such as authentication, quotas or forbidden content.",
    },
    Pair {
        a: 1005,
        b: 1006,
        difference: "Both are local statuses that never travel on the wire. 1005 means a close frame arrived without a code; 1006 means no close frame arrived at all.",
        which: "1005 is a clean but unexplained close by the peer. 1006 points to the network, a proxy timeout or a crash and is worth investigating.",
    },
    Pair {
        a: 1006,
        b: 1011,
        difference: "1011 is a deliberate close frame from an endpoint that hit an internal error; 1006 means nobody sent a close frame, often because the process died first.",
        which: "A server error that is caught yields 1011, ideally with a reason. An uncaught crash or a killed process shows up at the client as 1006.",
    },
    Pair {
        a: 1006,
        b: 1015,
        difference: "Both are local statuses. 1015 means TLS never completed, so no WebSocket traffic happened; 1006 means the connection ended without a close frame, possibly after a long session.",
        which: "Suspect certificates and TLS settings for 1015, and for a browser 1006 that happens at connect time. Suspect timeouts, proxies and crashes for 1006 on an established session.",
    },
    Pair {
        a: 1007,
        b: 1008,
        difference: "1007 is a data-format failure found by the protocol layer, typically bad UTF-8; 1008 is a rule decision by the application about data that was well formed.",
        which: "Fix the sender's encoding after 1007. After 1008, check authentication, limits and content rules on the receiving side.",
    },
    Pair {
        a: 1008,
        b: 1009,
        difference: "1009 is the specific code for a message above the receiver's size limit; 1008 covers other rule violations.",
        which: "Send 1009 for size limits so clients know to shrink or split messages, and 1008 for anything else the application refuses.",
    },
    Pair {
        a: 1008,
        b: 1011,
        difference: "1008 blames the peer, whose message or behaviour was refused; 1011 blames the sender itself, which failed internally.",
        which: "Send 1008 when the client did something it may not, and 1011 when the server could not handle a valid request. Retrying the same thing after 1008 will fail again; after 1011 it may work.",
    },
    Pair {
        a: 1008,
        b: 3000,
        difference: "1008 is a generic refusal; 3000 is the registered code that says specifically that authentication is missing or was rejected.",
        which: "Use 3000 (or a documented 4000-4999 code) when the client should authenticate again, and 1008 when the reason must stay hidden.",
    },
    Pair {
        a: 1008,
        b: 4000,
        difference: "1008 is a standard code every WebSocket stack understands but it carries little detail; 4000-4999 codes are private and mean exactly what the application defines.",
        which: "Use a 4000-4999 code when clients must react differently per cause (authenticate again, stop, back off), and 1008 when the peer may be a generic client or details must stay hidden.",
    },
    Pair {
        a: 1011,
        b: 1012,
        difference: "1011 reports an unexpected failure; 1012 reports a planned restart.",
        which: "Clients can reconnect promptly, with jitter, after 1012. After 1011 they should back off, and the server team should read the logs.",
    },
    Pair {
        a: 1012,
        b: 1013,
        difference: "1012 means the server is restarting; 1013 means it is running but overloaded or out of capacity.",
        which: "After 1012 reconnect within a few seconds. After 1013 use exponential backoff, because reconnecting quickly adds to the overload.",
    },
    Pair {
        a: 1013,
        b: 1014,
        difference: "1013 comes from a server that is too busy; 1014 comes from a gateway whose upstream server failed.",
        which: "For 1013, check the server's capacity. For 1014, check the backend behind the proxy and the proxy's upstream logs.",
    },
    Pair {
        a: 3000,
        b: 3003,
        difference: "3000 means the client is not, or no longer, authenticated; 3003 means it is authenticated but not allowed to do what it asked.",
        which: "After 3000 obtain fresh credentials and retry. After 3003 do not retry; show an access error instead.",
    },
];

/// The comparison for two codes in either order, if the catalog has one.
///
/// Each code is first mapped to the first code of its catalog row, so any
/// private-use code (4000-4999) finds the comparisons stored under 4000.
pub fn pair(a: u16, b: u16) -> Option<&'static Pair> {
    let a = lookup(a).first;
    let b = lookup(b).first;
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    PAIRS.iter().find(|p| p.a == lo && p.b == hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stock sentences from the seed pages; no catalog text may contain them.
    const SEED_PHRASES: &[&str] = &[
        "An endpoint received a type of data it cannot accept",
        "is terminating the connection because it received a message that violates its policy",
        "payload data that is inconsistent with the message type",
        "This commonly happens when binary data is accidentally sent as a text frame",
        "Both endpoints agree the session is complete",
        "violates the WebSocket protocol specification",
        "This is a generic code when none of the other codes",
        "Review the server's documented policies and constraints",
        "Verify the message type (text vs binary) matches what the server expects",
        "Ensure text frames contain only valid UTF-8 encoded data",
        "Check that both client and server strictly follow RFC 6455 framing rules",
        "Inspect intermediary proxies that may be corrupting WebSocket frames",
        "The receiver does not know how to process this data type",
        "No fix needed",
        "closed gracefully after both sides finished exchanging data",
        "indicates that an endpoint is terminating the connection",
    ];

    fn check_text(what: &str, text: &str) {
        assert!(!text.trim().is_empty(), "{what}: empty");
        assert_eq!(text, text.trim(), "{what}: surrounding whitespace");
        assert!(
            text.ends_with('.'),
            "{what}: must end with a period: {text}"
        );
        assert!(text.chars().count() <= 600, "{what}: longer than 600 chars");
        assert!(
            !text.chars().any(char::is_control),
            "{what}: contains a control character"
        );
        assert!(!text.contains("  "), "{what}: double space");
        let lower = text.to_lowercase();
        for phrase in SEED_PHRASES {
            assert!(
                !lower.contains(&phrase.to_lowercase()),
                "{what}: contains seed phrasing {phrase:?}"
            );
        }
    }

    #[test]
    fn entries_sorted_contiguous_and_cover_u16() {
        assert!(!ENTRIES.is_empty());
        assert_eq!(ENTRIES[0].first, 0);
        assert_eq!(ENTRIES[ENTRIES.len() - 1].last, u16::MAX);
        for e in ENTRIES {
            assert!(e.first <= e.last, "row {}-{} inverted", e.first, e.last);
        }
        for w in ENTRIES.windows(2) {
            assert_eq!(
                u32::from(w[0].last) + 1,
                u32::from(w[1].first),
                "gap or overlap between {}-{} and {}-{}",
                w[0].first,
                w[0].last,
                w[1].first,
                w[1].last
            );
        }
        for code in 0..=u16::MAX {
            let e = lookup(code);
            assert!(
                e.first <= code && code <= e.last,
                "lookup({code}) wrong row"
            );
        }
    }

    #[test]
    fn entries_are_complete() {
        for e in ENTRIES {
            let id = format!("{}-{}", e.first, e.last);
            assert!(!e.name.trim().is_empty(), "{id}: empty name");
            assert!(
                !e.name.chars().any(char::is_control),
                "{id}: control char in name"
            );
            assert!(!e.reference.trim().is_empty(), "{id}: empty reference");
            assert!(
                !e.reference.chars().any(char::is_control),
                "{id}: control char in reference"
            );
            check_text(&format!("{id} meaning"), e.meaning);
            check_text(&format!("{id} causes"), e.causes);
            check_text(&format!("{id} fix"), e.fix);
        }
    }

    #[test]
    fn registered_codes_have_own_rows_with_registry_names() {
        let expected: &[(u16, &str)] = &[
            (1000, "Normal Closure"),
            (1001, "Going Away"),
            (1002, "Protocol error"),
            (1003, "Unsupported Data"),
            (1004, "Reserved"),
            (1005, "No Status Rcvd"),
            (1006, "Abnormal Closure"),
            (1007, "Invalid frame payload data"),
            (1008, "Policy Violation"),
            (1009, "Message Too Big"),
            (1010, "Mandatory Ext."),
            (1011, "Internal Error"),
            (1012, "Service Restart"),
            (1013, "Try Again Later"),
            (1014, "Bad Gateway"),
            (1015, "TLS handshake"),
            (3000, "Unauthorized"),
            (3003, "Forbidden"),
            (3008, "Timeout"),
        ];
        for &(code, name) in expected {
            let e = lookup(code);
            assert_eq!((e.first, e.last), (code, code), "{code} has no own row");
            assert_eq!(e.name, name, "{code} name");
        }
        for code in [3000, 3003, 3008] {
            assert_eq!(lookup(code).kind, Kind::Registered);
        }
        for code in 1000..=1015 {
            let want = if code == 1004 {
                Kind::Invalid
            } else {
                Kind::Standard
            };
            assert_eq!(lookup(code).kind, want, "{code} kind");
        }
    }

    #[test]
    fn single_rows_are_only_the_registered_codes() {
        for e in ENTRIES.iter().filter(|e| e.first == e.last) {
            assert!(
                (1000..=1015).contains(&e.first) || [3000, 3003, 3008].contains(&e.first),
                "unexpected single row {}",
                e.first
            );
        }
    }

    #[test]
    fn on_wire_rules() {
        for code in [1005, 1006, 1015] {
            assert_eq!(lookup(code).on_wire, OnWire::Never, "{code}");
        }
        for code in [0, 999, 1004, 1016, 2999, 5000, 65535] {
            assert_eq!(lookup(code).on_wire, OnWire::Invalid, "{code}");
        }
        for code in [1000, 3000, 3500, 4000, 4999] {
            assert_eq!(lookup(code).on_wire, OnWire::Allowed, "{code}");
        }
        assert_eq!(lookup(3500).kind, Kind::Unregistered);
        assert_eq!(lookup(3001).kind, Kind::Unregistered);
        assert_eq!(lookup(3999).kind, Kind::Unregistered);
        assert_eq!(lookup(4321).kind, Kind::Private);
        assert_eq!(lookup(12).kind, Kind::Invalid);
        assert_eq!(lookup(2000).kind, Kind::Invalid);
        assert_eq!(lookup(40000).kind, Kind::Invalid);
        for e in ENTRIES {
            let consistent = match e.kind {
                Kind::Invalid => e.on_wire == OnWire::Invalid,
                Kind::Standard => e.on_wire != OnWire::Invalid,
                Kind::Registered | Kind::Unregistered | Kind::Private => {
                    e.on_wire == OnWire::Allowed
                }
            };
            assert!(consistent, "{}-{}: kind/on_wire mismatch", e.first, e.last);
        }
    }

    #[test]
    fn pairs_are_well_formed() {
        let required: &[(u16, u16)] = &[
            (1000, 1001),
            (1001, 1006),
            (1002, 1007),
            (1003, 1007),
            (1005, 1006),
            (1006, 1011),
            (1007, 1008),
            (1008, 1009),
            (1008, 1011),
            (1011, 1012),
            (1012, 1013),
            (1013, 1014),
            (1000, 1005),
            (1002, 1008),
            (1003, 1008),
            (1008, 4000),
            (1006, 1015),
        ];
        for &(a, b) in required {
            assert!(pair(a, b).is_some(), "missing pair {a}/{b}");
        }
        for w in PAIRS.windows(2) {
            assert!((w[0].a, w[0].b) < (w[1].a, w[1].b), "PAIRS not sorted");
        }
        for p in PAIRS {
            let id = format!("pair {}/{}", p.a, p.b);
            assert!(p.a < p.b, "{id}: a must be < b");
            for code in [p.a, p.b] {
                let e = lookup(code);
                let own_row = e.first == code && e.last == code;
                let range_row = e.first == code && e.kind != Kind::Invalid;
                assert!(own_row || range_row, "{id}: {code} is not a catalog code");
            }
            check_text(&format!("{id} difference"), p.difference);
            check_text(&format!("{id} which"), p.which);
            assert_eq!(pair(p.a, p.b), Some(p));
            assert_eq!(pair(p.b, p.a), pair(p.a, p.b));
        }
    }

    #[test]
    fn pair_lookup_is_symmetric_and_maps_ranges() {
        assert_eq!(pair(1001, 1000), pair(1000, 1001));
        assert_eq!(pair(4123, 1008).map(|p| (p.a, p.b)), Some((1008, 4000)));
        assert!(pair(1000, 1000).is_none());
        assert!(pair(1, 65535).is_none());
    }

    #[test]
    fn serializes_enums_kebab_case() {
        assert_eq!(serde_json::to_string(&OnWire::Never).unwrap(), "\"never\"");
        assert_eq!(
            serde_json::to_string(&Kind::Unregistered).unwrap(),
            "\"unregistered\""
        );
        let v = serde_json::to_value(lookup(1006)).unwrap();
        assert_eq!(v["first"], 1006);
        assert_eq!(v["name"], "Abnormal Closure");
        assert_eq!(v["on_wire"], "never");
        assert_eq!(v["kind"], "standard");
    }
}
