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

/// A proxy 10.0.0.9:80 in front of the backend 10.0.0.5:8443, which ends its 12 back legs
/// (FIN) at once; the proxy ends each front leg 1 ms later. Each client tries again through
/// the front 0.4, 0.8 and 1.2 s later, each upgrade refused by the front with `refused`
/// (when some), and is accepted 2 s after its end, its new back leg to `again`.
fn behind_front(refused: Option<u16>, again: Endpoint) -> Outcome {
    let proxy = ep(9, 0);
    let front = ep(9, 80);
    let mut v: Vec<Ending> = Vec::new();
    let mut legs = Vec::new();
    for k in 0..12u16 {
        let host = k as u8 + 20;
        let end = 30 * S + i64::from(k) * MS / 10;
        let (f, b) = proxied_legs(k, true);
        let at = v.len() as u32;
        v.extend([f, b]);
        legs.push((at, at + 1));
        for (n, code) in refused
            .into_iter()
            .flat_map(|c| [(1i64, c), (2, c), (3, c)])
        {
            let t = end + n * 400 * MS;
            let mut r = ending(
                host,
                12_000 + k * 4 + n as u16,
                t,
                t + MS,
                How::Refused(code),
                Some(Role::Server),
            );
            r.server = front;
            r.proxied = true;
            v.push(r);
        }
        let mut f2 = ending(host, 11_000 + k, end + 2 * S, 0, How::Open, None);
        f2.server = front;
        f2.proxied = true;
        let mut b2 = ending(9, 31_000 + k, end + 2 * S + MS / 2, 0, How::Open, None);
        b2.client = Endpoint::new(proxy.ip(), 31_000 + k);
        b2.server = again;
        b2.proxied = true;
        let at = v.len() as u32;
        v.extend([f2, b2]);
        legs.push((at, at + 1));
    }
    for (p, e) in v.iter_mut().enumerate() {
        e.pos = p as u32;
        e.order = p as u64;
        e.packet = p as u64 * 10 + 1;
    }
    let mut out = detect(v, &legs);
    gate(&mut out);
    out
}

/// Issue 102 (incident5 `nghttpx-backend-killed`): while the only backend was down the
/// front answered the clients' upgrades 502 Bad Gateway (RFC 9110 §15.6.3: a gateway that
/// got no valid answer from upstream): those 36 are the backend stop's refusals (before: 0,
/// the back legs' own chains walked); and its clients came back to the same backend once it
/// was back, which the cause says (before: "sent to another backend", invented). The
/// control: no refusal, the clients sent to another backend: 0 refused, "another backend".
#[test]
fn a_fronts_502s_while_its_backend_is_down_are_the_backend_stops_refusals() {
    let out = behind_front(Some(502), ep(5, 8443));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::BackendStop);
    assert_eq!(i.server.as_deref(), Some("10.0.0.5:8443"));
    assert_eq!(i.reconnects.came_back, 12);
    assert_eq!(i.reconnects.refused, 36, "{:#?}", i.reconnects);
    assert_eq!(i.reconnects.refused_http, 36);
    assert_eq!(i.reconnects.refused_status, Some(502));
    let (cause, _) = crate::report::words::incident::cause_and_fix(i);
    assert!(
        cause.contains("went to the same backend once it was back"),
        "{cause}"
    );
    assert!(!cause.contains("sent to another backend"), "{cause}");
    assert!(
        i.headline()
            .contains("36 reconnect attempts refused with 502"),
        "{}",
        i.headline()
    );
    // The control.
    let out = behind_front(None, ep(6, 8443));
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::BackendStop);
    assert_eq!(i.reconnects.refused, 0);
    let (cause, _) = crate::report::words::incident::cause_and_fix(i);
    assert!(cause.contains("were sent to another backend"), "{cause}");
    assert!(!cause.contains("same backend"), "{cause}");
}
