//! The words of a close reason, read for the kind of cause they name, for any library.
//!
//! In: the first valid close frame (RFC 6455 §5.5.1: a code, then a UTF-8 reason the
//! application chose). Out: a [`Cause::ReasonWords`] when its code leaves the why to the
//! application (1000, 1001, 1008, and the 3000-4999 codes registered or private, §7.4.2)
//! and its reason names one of [`KINDS`] by whole words ("ping timed out", "JWT expired",
//! "server overloaded, retry later", "shutting down"; "kicked: rate limit exceeded" is a
//! policy about one client, not the server's capacity). A code that says the why itself
//! (1011 internal error, 1012 restart, 1013 try again later, ...) decides: its reason is
//! not read here. A clause that denies ("no ping timeout", "not expired", "Not busy", "all
//! good") names nothing: the fault did not happen, and in doubt no kind is claimed. Words are runs of letters and digits (a lower-to-upper case change starts
//! a new one: "PingTimeout"), so "auth" inside "OAuth" or "busy" inside "busybox" name
//! nothing.

use crate::close::words;
use crate::report::cause::Cause;
use crate::vocab::CloseFrame;

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
pub(crate) fn reason_decides(code: u16) -> bool {
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

/// Where a reason's clauses end: a clause that [`denies`] is read apart from the others.
pub(crate) const CLAUSE_ENDS: [char; 8] = [',', ';', '.', '!', '?', '|', '\n', '\r'];

/// Whether a clause of text denies or reassures ([`denies`] of its words).
pub(crate) fn clause_denies(clause: &str) -> bool {
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

/// The cause the first close frame's reason names, if its code leaves the why to it.
pub fn cause(first: &CloseFrame) -> Option<Cause> {
    let code = first.code.filter(|&c| reason_decides(c))?;
    let kind = kind(&first.reason)?;
    Some(Cause::ReasonWords {
        from: first.from,
        code,
        names: kind.to_string(),
        reason: first.reason.clone(),
        packet: first.packet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_their_kind_by_whole_words() {
        for (reason, want) in [
            ("ping timed out", Some("keepalive-timeout")),
            ("keepalive ping timeout", Some("keepalive-timeout")),
            ("PongTimeout", Some("keepalive-timeout")),
            ("heartbeat missed", Some("keepalive-timeout")),
            ("keep alive timeout", Some("keepalive-timeout")),
            ("idle timeout", Some("idle-timeout")),
            ("closed for inactivity", Some("idle-timeout")),
            ("token expired", Some("credentials")),
            ("JWT expired", Some("credentials")),
            ("Unauthorized", Some("credentials")),
            ("authentication failed", Some("credentials")),
            ("server overloaded, retry later", Some("overload")),
            ("too many connections", Some("overload")),
            ("rate limited", Some("overload")),
            // One client's limit or a moderation action: a per-client policy (issue 92
            // item 4), not the server's capacity.
            ("kicked: rate limit exceeded", Some("client-policy")),
            ("rate limit exceeded", Some("client-policy")),
            ("message quota exceeded", Some("client-policy")),
            ("banned by moderator", Some("client-policy")),
            ("server over capacity", Some("overload")),
            ("shutting down", Some("shutdown")),
            ("server restart", Some("shutdown")),
            ("normal", None),
            ("bye", None),
            ("OAuth provider down", None),
            ("busybox exited", None),
            ("timeout", None),
            ("session ended by user", None),
            // Negated or reassuring: the fault did not happen (issue 84, item 5).
            ("no ping timeout, all good", None),
            ("session is valid, not expired", None),
            ("Not busy", None),
            ("never throttled", None),
            ("token isn't expired", None),
            ("heartbeat timeout did not happen", None),
            ("ping timeout: all good", None),
            ("closed without errors; idle timeout", Some("idle-timeout")),
            ("token expired, not retrying", Some("credentials")),
            ("OAuth token not expired", None),
            ("notification: ping timeout", Some("keepalive-timeout")),
            // What went missing after "no" is the fault (issue 92 item 5).
            ("No response from ping frame.", Some("keepalive-timeout")),
            ("no pong received", Some("keepalive-timeout")),
            ("no response", None),
            ("", None),
        ] {
            assert_eq!(kind(reason), want, "{reason:?}");
        }
    }

    #[test]
    fn a_code_that_says_the_why_decides_before_the_words() {
        let frame = |code: u16, reason: &str| {
            let mut payload = code.to_be_bytes().to_vec();
            payload.extend_from_slice(reason.as_bytes());
            let len = payload.len() as u64;
            let ts = crate::vocab::Timestamp(0);
            crate::close::parse(crate::vocab::Role::Server, &payload, true, len, 7, ts, 0)
        };
        assert!(cause(&frame(1000, "ping timed out")).is_some());
        assert!(cause(&frame(4001, "token expired")).is_some());
        for code in [1011, 1012, 1013, 1014, 1002, 1009] {
            assert!(cause(&frame(code, "ping timed out")).is_none(), "{code}");
        }
        assert!(cause(&frame(1000, "normal")).is_none());
    }
}
