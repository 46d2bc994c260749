//! An application's verdict over TLS rests on the nearest layer's ending (ARCHITECTURE): a
//! close_notify before the TCP connection's FIN is where the session ended.

use crate::common::wss::Wss;
use crate::common::T0;
use wsclose::__internals::analyzer::Options;
use wsclose::keys::KeySources;
use wsclose::vocab::{
    Role::{Client, Server},
    Timestamp,
};

/// MQTT 3.1.1 over wss:// (subprotocol `mqtt`), keep alive 2 s: the client's CONNECT and
/// the broker's CONNACK, then the client falls silent; 3.1 s later the broker sends its
/// close_notify with no close frame (the client answers with its own), and its FIN comes
/// only 40 s in. The broker's keep alive timeout is said at the close_notify, 3.1 s after
/// the client's last packet, not at the FIN 40 s later.
#[test]
fn an_mqtt_verdict_over_tls_rests_on_the_close_notify() {
    let at = |ms: i64| Timestamp(T0.0 + ms * 1_000_000);
    let mut w = Wss::open("/mqtt", Some("mqtt"));
    let mut connect = vec![0x10, 17, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 2, 0, 5];
    connect.extend(b"dev-9");
    w.tcp.clock = at(100);
    w.send(true, &crate::common::binary(Client, &connect));
    w.send(false, &crate::common::binary(Server, &[0x20, 2, 0, 0]));
    w.tcp.clock = at(3_200);
    let notify = w.tcp.pkts.len() as u64 + 1;
    w.close_notify(false);
    w.close_notify(true);
    w.tcp.clock = at(40_000);
    w.tcp.fins(Server);
    let (pcap, keylog) = w.finish();
    let dir = tempfile::tempdir().unwrap();
    let (input, keys) = (dir.path().join("mqtt.pcap"), dir.path().join("mqtt.keylog"));
    std::fs::write(&input, &pcap).unwrap();
    std::fs::write(&keys, &keylog).unwrap();
    let sources = KeySources {
        files: vec![keys],
        env: None,
    };
    let mut r = wsclose::analyze_files_with_progress(&[input], Options::default(), &sources, None)
        .expect("the capture is read");
    r.load().expect("reports in memory");
    let c = super::only(&r);
    let a = c.application.clone().expect("MQTT");
    assert_eq!(
        (a.cause.as_deref(), a.ended_by, a.evidence.last()),
        (Some("keep alive timeout"), Some(Server), Some(&notify)),
        "{a:?}"
    );
    let summary = a.summary.unwrap_or_default();
    assert!(
        summary.contains(&format!(
            "the broker closed 3.1 s later at packet {notify} with a TLS close_notify (no close frame)"
        )),
        "{summary}"
    );
}
