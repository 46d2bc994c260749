//! The words of a close reason, read for the kind of cause they name, for any library.
//!
//! In: the first valid close frame (RFC 6455 §5.5.1: a code, then a UTF-8 reason the
//! application chose). Out: a [`Cause::ReasonWords`] when its code leaves the why to the
//! application (1000, 1001, 1008, and the 3000-4999 codes registered or private, §7.4.2)
//! and its reason names one of [`KINDS`](crate::close::reason::KINDS) by whole words ("ping timed out", "JWT expired",
//! "server overloaded, retry later", "shutting down"; "kicked: rate limit exceeded" is a
//! policy about one client, not the server's capacity). A code that says the why itself
//! (1011 internal error, 1012 restart, 1013 try again later, ...) decides: its reason is
//! not read here. A clause that denies ("no ping timeout", "not expired", "Not busy", "all
//! good") names nothing: the fault did not happen, and in doubt no kind is claimed. Words are runs of letters and digits (a lower-to-upper case change starts
//! a new one: "PingTimeout"), so "auth" inside "OAuth" or "busy" inside "busybox" name
//! nothing.

use crate::close::reason::{kind, reason_decides};
use crate::report::cause::Cause;
use crate::vocab::CloseFrame;

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
