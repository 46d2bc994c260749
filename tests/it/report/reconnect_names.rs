//! Sure reconnects among several clients of one host (issue 91 item 3), on generated
//! captures: two clients of 10.0.0.1 each reset by the server, the second's new session
//! first. Where each client names itself in its `Cookie` or an offered
//! `Sec-WebSocket-Protocol` token, each ended session is linked to its own client's new one,
//! surely; the controls (no name, or one name both share) link the host's sessions in order
//! as "a new session from the same host".

use crate::common::*;
use serde_json::Value;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    LinkType,
    Role::{Client, Server},
    Timestamp,
};

const MS: i64 = 1_000_000;
const S: i64 = 1_000 * MS;

fn at(ns: i64) -> Timestamp {
    Timestamp(T0.0 + ns)
}

/// A session from `port` opened at `open` with `header` (a whole header line, or none)
/// in its upgrade request, that says hello.
fn opened(port: u16, open: i64, header: &str) -> Session {
    let mut s = Session::new(port, 8443).isns(u32::from(port) * 7919, 1_000_000 + u32::from(port));
    s.clock = at(open);
    s.handshake();
    let mut req = request();
    req.truncate(req.len() - 2);
    req.extend_from_slice(header.as_bytes());
    req.extend_from_slice(b"\r\n");
    s.send(Client, &req);
    s.send(Server, &response(false));
    s.send(Client, &text(Client, "hello"));
    s
}

/// The two clients' links, from the JSON report of a capture where client A (its
/// sessions' `a`) and client B (`b`) are reset at 10 s and come back B first: per ended
/// session (A = 1, B = 2), its reconnect's id and `same_host`.
fn links(a: &str, b: &str) -> [(u64, bool); 2] {
    let mut pkts = Vec::new();
    for (k, h) in [a, b].into_iter().enumerate() {
        let mut s = opened(20_000 + k as u16, k as i64 * 10 * MS, h);
        s.clock = at(10 * S + k as i64 * MS);
        s.rst(Server);
        pkts.extend(s.pkts);
    }
    // B's new session at 11 s (connection 3), A's at 12 s (connection 4).
    for (k, h) in [b, a].into_iter().enumerate() {
        pkts.extend(opened(30_000 + k as u16, (11 + k as i64) * S, h).pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    let dir = tempfile::tempdir().unwrap();
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let path = dir.path().join("two-clients.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    let (out, err, _) =
        crate::common::run::wsclose(&["analyze", "--format", "json", path.to_str().unwrap()]);
    let r: Value = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let cs = r["connections"].as_array().unwrap();
    assert_eq!(cs.len(), 4);
    [0, 1].map(|i| {
        let l = &cs[i]["reconnect"];
        (
            l["connection"].as_u64().unwrap(),
            l["same_host"].as_bool().unwrap(),
        )
    })
}

#[test]
fn a_clients_own_cookie_makes_its_reconnect_sure() {
    assert_eq!(
        links(
            "Cookie: sid=a1b2; lang=en\r\n",
            "Cookie: sid=c3d4; lang=en\r\n"
        ),
        [(4, false), (3, false)]
    );
}

#[test]
fn a_clients_own_subprotocol_token_makes_its_reconnect_sure() {
    assert_eq!(
        links(
            "Sec-WebSocket-Protocol: feed, token.a1b2\r\n",
            "Sec-WebSocket-Protocol: feed, token.c3d4\r\n"
        ),
        [(4, false), (3, false)]
    );
}

/// Controls: no name, one cookie both clients carry, one subprotocol both offer: the host's
/// sessions in order, as the same host's only (never "reconnected as connection 3").
#[test]
fn no_name_or_a_shared_one_is_the_same_host_only() {
    let unsure = [(3, true), (4, true)];
    assert_eq!(links("", ""), unsure);
    assert_eq!(
        links("Cookie: tenant=acme\r\n", "Cookie: tenant=acme\r\n"),
        unsure
    );
    assert_eq!(
        links(
            "Sec-WebSocket-Protocol: feed\r\n",
            "Sec-WebSocket-Protocol: feed\r\n"
        ),
        unsure
    );
}
