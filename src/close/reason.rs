//! The words of a close reason (RFC 6455 §5.5.1: the UTF-8 text after the code, chosen by
//! the application), read for the kind of cause they name, for any library: one reading
//! for the connection's diagnosis (`diagnose::reason`, `diagnose::lastwords`) and for the
//! words of an incident whose members closed with that reason (`report::words::incident`).
//!
//! In: a reason, a close code. Out: the kind of cause the reason names by whole words
//! ([`KINDS`]), whether a code leaves the why to its reason ([`reason_decides`]), whether a
//! clause denies what it says ([`clause_denies`]). Words are runs of letters and digits (a
//! lower-to-upper case change starts a new one: "PingTimeout"), so "auth" inside "OAuth" or
//! "busy" inside "busybox" name nothing.

use super::words;

/// The kinds of cause a reason's words can name, by stable name (the cause's `kind`).
pub const KINDS: [&str; 6] = [
    "keepalive-timeout",
    "idle-timeout",
    "credentials",
    "client-policy",
    "overload",
    "shutdown",
];

/// Whether a close code leaves the why to the reason: 1000, 1001, 1008 and 3000-4999.
pub fn reason_decides(code: u16) -> bool {
    matches!(code, 1000 | 1001 | 1008 | 3000..=4999)
}

/// Whether `p` is the two words `a` and `b`.
fn pair(p: &[&str], a: &str, b: &str) -> bool {
    matches!(p, [x, y] if x.eq_ignore_ascii_case(a) && y.eq_ignore_ascii_case(b))
}

/// Words that deny what their clause says ("no ping timeout", "not expired", "never
/// throttled", "without errors", "nothing failed"): a clause holding one names no kind,
/// whichever side of the fault word it stands ("timeout did not happen"). The second
/// halves of contractions ("isn't", "didn't": "isn", "t") are read from the word before.
const NEGATORS: [&str; 11] = [
    "no", "not", "never", "without", "none", "nor", "non", "nothing", "neither", "false", "nobody",
];

/// First halves of English negative contractions ("isn't" is the words "isn" and "t").
const CONTRACTED: [&str; 13] = [
    "isn", "wasn", "aren", "weren", "didn", "doesn", "don", "won", "hasn", "haven", "hadn",
    "shouldn", "wouldn",
];

/// Where a reason's clauses end: a clause that `denies` is read apart from the others.
pub const CLAUSE_ENDS: [char; 8] = [',', ';', '.', '!', '?', '|', '\n', '\r'];

/// Whether a clause of text denies or reassures (`denies` of its words).
pub fn clause_denies(clause: &str) -> bool {
    let (all, k) = words(clause);
    denies(all.get(..k).unwrap_or_default())
}

/// Whether a clause's words deny or reassure: a negation ([`NEGATORS`], "n't") or "all
/// good", "all fine", "all ok", "everything fine"/"ok"/"good".
fn denies(w: &[&str]) -> bool {
    let is = |x: &str, set: &[&str]| set.iter().any(|y| x.eq_ignore_ascii_case(y));
    w.iter()
        .enumerate()
        .any(|(i, x)| is(x, &NEGATORS) && !missing_answer(w.get(i + 1..).unwrap_or_default()))
        || w.windows(2).any(|p| match p {
            [a, b] => {
                (is(a, &CONTRACTED) && b.eq_ignore_ascii_case("t"))
                    || (is(a, &["all", "everything"])
                        && is(b, &["good", "fine", "ok", "okay", "well"]))
            }
            _ => false,
        })
}

/// Words that, after "no", state what went missing ("No response from ping frame", "no pong
/// received"): a fault, not a denial.
const ANSWERS: [&str; 6] = ["response", "reply", "answer", "pong", "pongs", "ack"];

/// Whether `after`, the words after a negator, start with what went missing ([`ANSWERS`]).
fn missing_answer(after: &[&str]) -> bool {
    after
        .first()
        .is_some_and(|x| ANSWERS.iter().any(|y| x.eq_ignore_ascii_case(y)))
}

/// The words of `reason` that may name a cause: those of its clauses (cut at `,` `;` `.`
/// `!` `?` `|` and line ends) that deny nothing ([`denies`]), at most 32 in all.
fn affirmed(reason: &str) -> ([&str; 32], usize) {
    let mut out = [""; 32];
    let mut n = 0;
    for clause in reason.split(CLAUSE_ENDS) {
        let (all, k) = words(clause);
        let w = all.get(..k).unwrap_or_default();
        if denies(w) {
            continue;
        }
        for x in w {
            if let Some(slot) = out.get_mut(n) {
                *slot = x;
                n += 1;
            }
        }
    }
    (out, n)
}

/// The kind of cause `reason` names, if its words name one: read clause by clause, a
/// clause that denies (`denies`: "no ping timeout", "not expired", "Not busy", "all
/// good") names nothing, so that a reason that says a fault did not happen names no fault.
pub fn kind(reason: &str) -> Option<&'static str> {
    if reason.is_empty() {
        return None;
    }
    let (all, n) = affirmed(reason);
    let w = all.get(..n).unwrap_or_default();
    let has = |set: &[&str]| {
        w.iter()
            .any(|x| set.iter().any(|y| x.eq_ignore_ascii_case(y)))
    };
    let pairs = |set: &[(&str, &str)]| w.windows(2).any(|p| set.iter().any(|(a, b)| pair(p, a, b)));
    // "timed out", "time out" and "timeout" alike.
    let timed_out =
        has(&["timeout", "timedout", "timeouts"]) || pairs(&[("timed", "out"), ("time", "out")]);
    let expired = has(&[
        "expired", "expiry", "expire", "expires", "invalid", "revoked", "rejected",
    ]);
    let beat = has(&[
        "ping",
        "pong",
        "pings",
        "pongs",
        "heartbeat",
        "heartbeats",
        "keepalive",
    ]) || pairs(&[("keep", "alive")]);
    let no_answer = w
        .windows(2)
        .any(|p| matches!(p, [n, x] if n.eq_ignore_ascii_case("no") && missing_answer(&[x])));
    if beat && (timed_out || no_answer || has(&["missed", "unanswered", "lost", "expired"])) {
        return Some("keepalive-timeout");
    }
    if has(&["idle", "inactivity", "inactive"]) && (timed_out || w.len() <= 3) {
        return Some("idle-timeout");
    }
    let credential = has(&[
        "token",
        "jwt",
        "credential",
        "credentials",
        "session",
        "ticket",
        "auth",
        "authentication",
        "login",
        "password",
    ]);
    if has(&[
        "unauthorized",
        "unauthorised",
        "unauthenticated",
        "forbidden",
    ]) || (credential && (expired || has(&["failed", "denied", "refused"])))
    {
        return Some("credentials");
    }
    // A rule about this one peer ("kicked", "banned", over its own rate limit or quota):
    // a per-client policy, not the server's capacity.
    let exceeded = has(&["exceeded", "exceeding", "exceeds", "over"]);
    if has(&[
        "kicked",
        "kick",
        "banned",
        "ban",
        "blocked",
        "blacklisted",
        "spam",
        "flooding",
    ]) || (exceeded && (pairs(&[("rate", "limit")]) || has(&["quota", "ratelimit"])))
    {
        return Some("client-policy");
    }
    if has(&[
        "overloaded",
        "overload",
        "capacity",
        "busy",
        "throttled",
        "throttling",
    ]) || pairs(&[
        ("too", "many"),
        ("rate", "limit"),
        ("rate", "limited"),
        ("retry", "later"),
        ("try", "again"),
    ]) {
        return Some("overload");
    }
    if has(&[
        "shutdown",
        "shutting",
        "restart",
        "restarting",
        "maintenance",
        "draining",
        "redeploy",
        "deploying",
        "terminating",
    ]) || pairs(&[("going", "down")])
    {
        return Some("shutdown");
    }
    None
}
