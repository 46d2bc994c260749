//! Backends behind a proxy or load balancer: a server's stop whose members are the back
//! legs of proxied sessions (their client the proxy) is a backend stopped or drained, and
//! its members came back when their front leg's client opened a new session through the
//! same front, to whichever backend the front chose.
//!
//! In: the working state's members of a stop, and the front leg of each back leg. Out: the
//! kind of the stop, and per member the front leg whose reconnect stands for its own.

use super::*;

/// Whether most of a server stop's `members` are back legs: the server is a backend behind
/// a proxy (the front ended the clients' sessions after it, relaying its ending).
pub(super) fn behind_proxy(w: &Work, members: &[u32]) -> bool {
    let backs = members.iter().filter(|&&m| w.is_back(m)).count();
    backs * 2 > members.len()
}

/// The session that stands for `i` when its client comes back: its front leg, when `i` is
/// a back leg (the client reconnects to the front, never to the backend), else `i`.
pub(super) fn client_side(w: &Work, i: u32) -> u32 {
    w.front_of.get(i as usize).copied().flatten().unwrap_or(i)
}
