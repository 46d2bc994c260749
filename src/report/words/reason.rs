//! A close reason's kind of cause in words: what it means and its fix, for the side that
//! wrote the reason (`diagnose::reason` reads the kind from the reason's words).

/// What a kind of cause is, in words, for the side `from` that wrote the reason.
pub fn meaning(kind: &str, from: &str, peer: &str) -> String {
    match kind {
        "keepalive-timeout" => format!("a keepalive timeout: the {from}'s heartbeat (a ping or an application ping) went unanswered for too long, and it closed the connection"),
        "idle-timeout" => format!("an idle timeout: nothing was sent for longer than the {from} allows"),
        "credentials" => format!("credentials that expired or were refused: the {from} no longer accepts the {peer}'s token or session"),
        "client-policy" => format!("a policy of the {from} about this {peer} alone (kicked, banned, or over its own rate limit or quota), not the {from}'s capacity"),
        "overload" => format!("overload: the {from} shed this connection to keep up (too many connections or messages)"),
        _ => format!("a shutdown or restart of the {from}"),
    }
}

/// The fix for a kind of cause, for the side `from` that wrote the reason.
pub fn fix(kind: &str, from: &str, peer: &str) -> String {
    match kind {
        "keepalive-timeout" => format!("Find why the {peer} did not answer the {from}'s heartbeat in time (an event loop blocked by long work, a paused process, a path that dropped packets), or raise the {from}'s ping timeout."),
        "idle-timeout" => format!("Send messages or pings more often than the {from}'s idle limit, or raise the limit."),
        "credentials" => format!("Renew the {peer}'s token or credentials before they expire, and reconnect with fresh ones when the {from} closes for this reason."),
        "client-policy" => format!("Read the {from}'s logs at that time for the rule this {peer} broke (its rate limit, its quota, a moderation action); slow the {peer} down or lift the action: reconnecting at once will likely be refused again."),
        "overload" => format!("Reconnect with exponential backoff and jitter, and look at the {from}'s load and connection limits at that time."),
        _ => format!("Reconnect after a short delay; a {from} going down should close with 1001 (or 1012 for a restart) so that clients know to come back."),
    }
}

/// Whether a kind of cause is something to fix (a shutdown is an ordinary going away).
pub fn is_problem(kind: &str) -> bool {
    kind != "shutdown"
}
