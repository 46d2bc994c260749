//! The same session seen at two points (issue 91 item 4): a capture that holds both sides of
//! a NAT shows each session twice, with one endpoint's address translated. They are one
//! session: linked, counted once by the incidents, and what each point saw of the ends is
//! compared, so that a reset one side received and the other side never sent is said to
//! have been made between the points (by the NAT, or a box beside it).
//!
//! In: the endings ([`Ending::key`]: the upgrade request's `Sec-WebSocket-Key` whole, the
//! 16 random bytes of each handshake, RFC 6455 §4.1, which a NAT leaves as it is; and the
//! [`Ending::route`] of its request, path and subprotocol). Out: the pairs, and per
//! connection its [`Twin`]. (Captures of the same traffic read together are joined into one
//! session before this stage, `diagnose::points`; this pairs what is left.)
//!
//! Two connections are one session at two points when they are the only two that carry
//! their key, compared whole, never by a hash of it (a birthday search finds two keys
//! whose 32-bit hashes are one in a second), and ask for the same route (a client that
//! sends a constant key makes many: none is paired), both over
//! HTTP/1.1 and no leg of a proxied session (a proxy's two legs, linked by `report::legs`,
//! are two TCP connections, not one seen twice), they began within [`TWIN_S`] of each
//! other, and exactly one endpoint differs: the client's address (a source NAT,
//! masquerade) or the server's endpoint (a destination NAT), the other the same at both
//! points. A proxy with an address on each side changes both; a client running two
//! sessions changes neither address.
//!
//! A reset that one point saw in a side's name is that side's when the other point saw the
//! same side reset the session within [`TWIN_S`] of it (the first ending at each point is
//! compared, [`Ending::how`]); otherwise that side never sent it past the other point: it
//! was made between them.
//!
//! Work and memory: one vector of 32 bytes per ending with a key and a map of the keys;
//! those that two endings or more carry sorted once, each group of one key looked at once.

use super::{Ending, How, NO_KEY, TWIN_S};
use crate::vocab::{Role, Twin};

/// The pairs of indexes of `e` that are one session seen at two points (see the module's
/// header), the earlier start first; `steps` counts the endings looked at.
pub fn pairs(e: &[Ending], steps: &mut u64) -> Vec<(u32, u32)> {
    let mut keyed: Vec<(super::Key, i64, u32)> = e
        .iter()
        .enumerate()
        .filter(|(_, x)| x.key != NO_KEY && x.stream == 0 && !x.proxied)
        .map(|(i, x)| (x.key, x.start, i as u32))
        .collect();
    if keyed.len() < 2 {
        return Vec::new();
    }
    // A key one ending carries (most) pairs nothing: looked at once here, not sorted.
    let mut twice: rustc_hash::FxHashMap<super::Key, bool> = rustc_hash::FxHashMap::default();
    twice.reserve(keyed.len());
    for (k, ..) in &keyed {
        twice.entry(*k).and_modify(|t| *t = true).or_insert(false);
    }
    let all = keyed.len();
    keyed.retain(|(k, ..)| twice.get(k).copied().unwrap_or(false));
    *steps += (all - keyed.len()) as u64;
    keyed.sort_unstable();
    let within = (TWIN_S * 1e9) as i64;
    let mut out = Vec::new();
    for group in keyed.chunk_by(|a, b| a.0 == b.0) {
        *steps += group.len() as u64;
        let [(_, sa, a), (_, sb, b)] = group else {
            continue;
        };
        let (Some(x), Some(y)) = (e.get(*a as usize), e.get(*b as usize)) else {
            continue;
        };
        if sb.saturating_sub(*sa) <= within && x.route == y.route && translated(x, y).is_some() {
            out.push((*a, *b));
        }
    }
    out
}

/// Which endpoint two views of one session show translated: the client's address (the
/// server's endpoint the same), or the server's endpoint (the client's the same); `None`
/// when both or neither differ.
fn translated(x: &Ending, y: &Ending) -> Option<Role> {
    let client = x.client.ip() != y.client.ip();
    let server = x.server != y.server;
    match (client, server) {
        (true, false) => Some(Role::Client),
        (false, true) if x.client == y.client => Some(Role::Server),
        _ => None,
    }
}

/// What `x` (one point's view) shows against `y` (the other's): a reset `x` saw in a side's
/// name that `y` never saw that side send, and its packet.
fn made_between(x: &Ending, y: &Ending) -> Option<(Role, u64)> {
    let side = x.by.filter(|_| x.how == How::Rst)?;
    let within = (TWIN_S * 1e9) as i64;
    let sent = y.how == How::Rst && y.by == Some(side) && (y.end - x.end).abs() <= within;
    (!sent).then_some((side, x.packet))
}

/// Each view's [`Twin`]: the other's id (position plus one), what was translated, and a
/// reset it saw that was made between the points.
pub fn twins(x: &Ending, y: &Ending) -> Option<(Twin, Twin)> {
    let translated = translated(x, y)?;
    let of = |a: &Ending, b: &Ending| {
        let made = made_between(a, b);
        Twin {
            connection: u64::from(b.pos) + 1,
            translated,
            reset_made_between: made.map(|m| m.0),
            reset_packet: made.map(|m| m.1),
        }
    };
    Some((of(x, y), of(y, x)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Endpoint;

    const S: i64 = 1_000_000_000;

    fn ep(a: [u8; 4], port: u16) -> Endpoint {
        Endpoint::new(std::net::IpAddr::from(a), port)
    }

    /// A session of the client 10.0.0.2 (or, behind the NAT, 10.0.1.1) to 10.0.1.2:80.
    fn view(pos: u32, client: [u8; 4], key: u8, start: i64, how: How, by: Role) -> Ending {
        Ending {
            order: u64::from(pos),
            stream: 0,
            pos,
            client: ep(client, 40_000),
            server: ep([10, 0, 1, 2], 80),
            route: 0,
            start,
            end: start + 5 * S,
            packet: u64::from(pos) * 100 + 7,
            how,
            by: Some(by),
            idle_ms: u32::MAX,
            proxied: false,
            signs: Default::default(),
            forged: false,
            between: false,
            lost_from: 0,
            lost_to: 0,
            lost_by: None,
            ident: 0,
            said: 0,
            answered_us: u32::MAX,
            answered_size: 0,
            answered_op: 0,
            closed_after_peer: 0,
            dark: 0,
            server_dark: 0,
            key: if key == 0 { NO_KEY } else { [key; 16] },
        }
    }

    const INSIDE: [u8; 4] = [10, 0, 0, 2];
    const NAT: [u8; 4] = [10, 0, 1, 1];

    /// The client's view reset in the server's name, the server's view not: the reset was
    /// made between the points. Both reset by the server: its own, nothing said.
    #[test]
    fn a_reset_the_other_point_never_saw_sent_was_made_between() {
        let e = vec![
            view(0, INSIDE, 7, 0, How::Rst, Role::Server),
            view(1, NAT, 7, 1_000, How::Fin, Role::Server),
        ];
        let p = pairs(&e, &mut 0);
        assert_eq!(p, vec![(0, 1)]);
        let (a, b) = twins(&e[0], &e[1]).unwrap();
        assert_eq!((a.connection, a.translated), (2, Role::Client));
        assert_eq!(
            (a.reset_made_between, a.reset_packet),
            (Some(Role::Server), Some(7))
        );
        assert_eq!((b.connection, b.reset_made_between), (1, None));

        let both = [
            view(0, INSIDE, 7, 0, How::Rst, Role::Server),
            view(1, NAT, 7, 1_000, How::Rst, Role::Server),
        ];
        let (a, b) = twins(&both[0], &both[1]).unwrap();
        assert_eq!((a.reset_made_between, b.reset_made_between), (None, None));
    }

    /// Controls: normal ends at both points link and say nothing of a box; a key that three
    /// connections carry (a constant key), two views that began seconds apart, two sessions
    /// of one client host (no address translated) and a proxy's two legs (both endpoints
    /// differ) are no twins.
    #[test]
    fn only_one_session_seen_twice_is_a_twin() {
        let close = How::Close(Some(1000));
        let e = vec![
            view(0, INSIDE, 7, 0, close, Role::Client),
            view(1, NAT, 7, 1_000, close, Role::Client),
        ];
        assert_eq!(pairs(&e, &mut 0), vec![(0, 1)]);
        let (a, b) = twins(&e[0], &e[1]).unwrap();
        assert_eq!((a.reset_made_between, b.reset_made_between), (None, None));

        let three = vec![
            view(0, INSIDE, 7, 0, close, Role::Client),
            view(1, NAT, 7, 1_000, close, Role::Client),
            view(2, [10, 0, 0, 3], 7, 2_000, close, Role::Client),
        ];
        assert!(pairs(&three, &mut 0).is_empty());
        let late = vec![
            view(0, INSIDE, 7, 0, close, Role::Client),
            view(1, NAT, 7, 3 * S, close, Role::Client),
        ];
        assert!(pairs(&late, &mut 0).is_empty());
        let mut same_host = vec![
            view(0, INSIDE, 7, 0, close, Role::Client),
            view(1, INSIDE, 7, 1_000, close, Role::Client),
        ];
        same_host[1].client = ep(INSIDE, 40_001);
        assert!(pairs(&same_host, &mut 0).is_empty());
        let mut legs = vec![
            view(0, INSIDE, 7, 0, close, Role::Client),
            view(1, NAT, 7, 1_000, close, Role::Client),
        ];
        legs[1].server = ep([10, 0, 2, 2], 8080);
        assert!(pairs(&legs, &mut 0).is_empty());
        let mut proxied = e.clone();
        proxied[1].proxied = true;
        assert!(pairs(&proxied, &mut 0).is_empty());
        let none = vec![
            view(0, INSIDE, 0, 0, close, Role::Client),
            view(1, NAT, 0, 1_000, close, Role::Client),
        ];
        assert!(pairs(&none, &mut 0).is_empty());
    }

    /// A destination NAT (a port forward): the client the same, the server's endpoint
    /// translated.
    #[test]
    fn a_port_forward_translates_the_server() {
        let mut e = vec![
            view(0, INSIDE, 9, 0, How::Rst, Role::Client),
            view(1, INSIDE, 9, 1_000, How::Rst, Role::Client),
        ];
        e[1].server = ep([192, 168, 0, 5], 8080);
        assert_eq!(pairs(&e, &mut 0), vec![(0, 1)]);
        let (a, _) = twins(&e[0], &e[1]).unwrap();
        assert_eq!((a.translated, a.reset_made_between), (Role::Server, None));
    }
}
