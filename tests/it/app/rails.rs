//! Action Cable on a real Rails server (fixtures/app/actioncable-rails-*, recorded by
//! fixtures/record/app/record.sh, section `rails`; what the consumer and Rails logged is in
//! the .log beside each capture): Debian's ruby-actioncable 6.1.7 on puma 5.6 with the
//! @rails/actioncable 8.1.400 consumer, beside the script server of `actioncable-*.pcap`.

use crate::common::app as fixture;
use fixture::json;
use serde_json::{json, Value};

/// (status code, ended_by, cause, evidence, undecodable) of connection `i`.
fn report(r: &Value, i: usize) -> Value {
    let c = &r["connections"][i];
    let a = &c["application"];
    json!([
        c["status"]["code"],
        a["ended_by"],
        a["cause"],
        a["evidence"],
        a["undecodable"]
    ])
}

#[test]
fn each_rails_session_reads_as_rails_and_the_consumer_logged_it() {
    let cases = [
        // Rails: "An unauthorized connection attempt was rejected"; consumer: "Disconnecting.
        // Reason: unauthorized".
        (
            "actioncable-rails-unauthorized.pcap",
            0,
            json!([1000, "server", "unauthorized", [24], 0]),
        ),
        // Rails: "ChatChannel is transmitting the subscription rejection"; the consumer's
        // rejected() calls disconnect().
        (
            "actioncable-rails-reject-subscription.pcap",
            0,
            json!([1005, "client", "subscription rejected", [31, 33], 0]),
        ),
        // ActionCable.server.restart: disconnect "server_restart", reconnect true; the
        // consumer reconnects (connection 2), then the run disconnects it.
        (
            "actioncable-rails-server-restart.pcap",
            0,
            json!([1000, "server", "server_restart", [39], 0]),
        ),
        (
            "actioncable-rails-server-restart.pcap",
            1,
            json!([1005, "client", "consumer disconnected", [79], 0]),
        ),
        (
            "actioncable-rails-consumer-disconnect.pcap",
            0,
            json!([1005, "client", "consumer disconnected", [32], 0]),
        ),
    ];
    for (name, i, want) in cases {
        let r = json(name, &[]);
        assert_eq!(report(&r, i), want, "{name} connection {i}");
    }
    let r = json("actioncable-rails-reject-subscription.pcap", &[]);
    let s = r["connections"][0]["application"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        s.contains("the server rejected the subscription \"{\"channel\":\"ChatChannel\",\"room\":\"secret\"}\" at packet 31"),
        "{s}"
    );
}
