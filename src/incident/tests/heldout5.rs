//! Second shapes of the third held-out set's misses (issue 102, fixtures/incident5/): a
//! restart the server stated (1012) whose clients came back at another address of the
//! service, each with its control (the helpers are the parent module's).

use super::*;

/// 12 sessions to 10.0.0.5:8443 closed by their server with `how` within 12 ms; 10 of
/// their clients open a new session on the same path to `to` 400 ms later, 2 never;
/// nothing more reaches 8443. Through the stage and the gate.
fn moved(how: How, to: Endpoint) -> Outcome {
    let mut v = Vec::new();
    for k in 0..12u16 {
        let end = 10 * S + i64::from(k) * MS;
        v.push(ending(
            k as u8 + 1,
            10_000 + k,
            0,
            end,
            how,
            Some(Role::Server),
        ));
        if k < 10 {
            let mut b = ending(k as u8 + 1, 11_000 + k, end + 400 * MS, 0, How::Open, None);
            b.server = to;
            v.push(b);
        }
    }
    let mut out = detect_(numbered(v));
    gate(&mut out);
    out
}

/// Issue 102 (incident5 `bun-1012-moved-port`): 1012 is Service Restart (the IANA
/// WebSocket close code registry: the service is restarting, a client may reconnect); its
/// members' clients back at another port of the service show where it restarted: a
/// `server-restart` that says it moved there (before: a `server-stop`, "accepted no new
/// session": nothing came back to 8443). The controls stay the moved service's
/// `server-stop`, its clients back elsewhere: the same with 1001 (Going Away, no restart
/// stated), and 1012 with the clients back at another host (10.0.0.6:8443: this server
/// stopped, the service went on elsewhere; `report::incident_table`'s uvicorn shape).
#[test]
fn a_restart_stated_with_1012_whose_clients_came_back_elsewhere_is_a_restart() {
    let out = moved(How::Close(Some(1012)), ep(5, 9443));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::ServerRestart, "{:#?}", i.facts);
    assert!(i.kind.needs().check(&i.facts).is_ok());
    assert!(i.facts.holds(Fact::RestartedOnAnotherPort));
    assert_eq!(i.reconnects.elsewhere, 10);
    assert_eq!(i.reconnects.never, 2);
    assert_eq!(i.down_s, None);
    let h = i.headline();
    assert!(
        h.starts_with("server 10.0.0.5:8443 restarted at ")
            && h.contains("and moved to 10.0.0.5:9443;"),
        "{h}"
    );
    assert!(!h.contains("down"), "{h}");
    let (cause, _) = crate::report::words::incident::cause_and_fix(i);
    assert!(cause.contains("came back at 10.0.0.5:9443"), "{cause}");
    assert!(
        !cause.contains("accepted new sessions afterwards"),
        "{cause}"
    );
    // The controls: a going-away that states no restart; a restart stated whose clients
    // came back at another host.
    for (how, to) in [
        (How::Close(Some(1001)), ep(5, 9443)),
        (How::Close(Some(1012)), ep(6, 8443)),
    ] {
        let out = moved(how, to);
        assert_eq!(out.incidents.len(), 1, "{:#?}", out);
        let i = &out.incidents[0];
        assert_eq!(i.kind, IncidentKind::ServerStop, "{how:?} {to}");
        assert!(!i.facts.holds(Fact::RestartedOnAnotherPort));
        assert_eq!(i.reconnects.elsewhere, 10);
    }
}
