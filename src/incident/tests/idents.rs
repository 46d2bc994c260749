//! The incident stage's tests of issue 91 item 3: a reconnect among several clients of one
//! host is sure where the new session names the same client as the ended one, and no other
//! session of the host at the time (its cookies, its offered subprotocols, its query:
//! [`Ending::ident`]; a client id in the path is in its route). The helpers are the parent
//! module's.

use super::*;

/// One host runs two clients of one server at once, each ended by the server; the second's
/// new session comes first. `old` and `new` name each client's sessions (0: unnamed),
/// `routes` each client's route. The links: per ended session, its reconnect's id and
/// whether it is only the same host's.
fn two_clients(old: [u32; 2], new: [u32; 2], routes: [u32; 2]) -> [(u64, bool); 2] {
    let mut v = Vec::new();
    for k in 0..2usize {
        let mut e = ending(
            20,
            10_000 + k as u16,
            k as i64 * MS,
            10 * S,
            How::Rst,
            Some(Role::Server),
        );
        e.ident = old[k];
        e.route = routes[k];
        v.push(e);
    }
    // Client 1's new session first, then client 0's.
    for (n, k) in [1usize, 0].into_iter().enumerate() {
        let start = 11 * S + n as i64 * S;
        let mut e = ending(20, 11_000 + n as u16, start, 0, How::Open, None);
        e.ident = new[k];
        e.route = routes[k];
        v.push(e);
    }
    // Positions: 0 = client 0, 1 = client 1, 2 = client 1's new, 3 = client 0's new.
    let out = detect_(numbered(v));
    [0, 1].map(|p| {
        let r = out.links.get(p).and_then(|l| l.reconnect).unwrap();
        // The new session's side of the link says the same (its row's words).
        let back = out.links.get(r.connection as u32 - 1).unwrap();
        assert_eq!(back.replaces, Some(u64::from(p) + 1));
        assert_eq!(back.replaces_same_host, r.same_host);
        (r.connection, r.same_host)
    })
}

/// Each client's cookies (or offered token) name it: each session linked to its own new
/// one, surely. Control: different cookies on the new sessions than on the old (a cookie
/// set again): no match, the host's sessions linked in order, as the same host's only.
#[test]
fn a_cookie_or_token_of_one_client_makes_its_reconnect_sure() {
    assert_eq!(
        two_clients([11, 22], [11, 22], [7, 7]),
        [(4, false), (3, false)]
    );
    assert_eq!(
        two_clients([11, 22], [33, 44], [7, 7]),
        [(3, true), (4, true)]
    );
}

/// Control: a name both clients carry at once (a subprotocol every client offers, a cookie
/// they share) names neither: the links are the same host's only, though it matches.
#[test]
fn a_name_two_clients_share_makes_nothing_sure() {
    assert_eq!(
        two_clients([55, 55], [55, 55], [7, 7]),
        [(3, true), (4, true)]
    );
}

/// A client id in the path: each client's sessions have a route of their own, so the host
/// runs one client per route and each reconnect is sure without any other name.
#[test]
fn a_client_id_in_the_path_makes_its_reconnect_sure() {
    assert_eq!(
        two_clients([0, 0], [0, 0], [7, 8]),
        [(4, false), (3, false)]
    );
    // Control: the same path for both: unsure.
    assert_eq!(two_clients([0, 0], [0, 0], [7, 7]), [(3, true), (4, true)]);
}
