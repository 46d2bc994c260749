//! SignalR's verdicts: recognized by its handshake, Close records (JSON and MessagePack)
//! from either side, a short server timeout from the server's cadence.

use super::*;

#[test]
fn signalr_by_its_handshake_only() {
    let mut s = Script::new(None, Some("/chathub?id=abc"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Server, "{\"type\":6}\x1e", 6, 15_000)
        .text(
            Server,
            "{\"type\":7,\"error\":\"Server shut down\",\"allowReconnect\":true}\x1e",
            8,
            16_000,
        );
    let r =
        s.t.worded(&closed(Server, Some(1000), "", 9, 16_001))
            .unwrap();
    assert_eq!(r.protocol, "SignalR");
    assert_eq!(r.recognized_by, "first message: the SignalR handshake");
    assert_eq!(r.cause.as_deref(), Some("closed with error"));
    assert!(r.summary.unwrap().contains("reconnect allowed"));
    // A first message that only looks like JSON is not a handshake.
    let mut s = Script::new(None, Some("/chathub"));
    s.text(Client, "{\"protocol\":\"json\"}", 4, 0);
    assert!(s.t.worded(&closed(Server, Some(1000), "", 9, 1)).is_none());
}

/// The JavaScript client's stop() sends its own Close record before closing: the client
/// ended it, not the server.
#[test]
fn signalr_a_close_record_from_the_client_is_the_clients() {
    let mut s = Script::new(None, Some("/hub?id=t"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Client, "{\"type\":7}\x1e", 7, 200);
    let r = s.t.worded(&closed(Client, None, "", 8, 201)).unwrap();
    assert_eq!(r.ended_by, Some(Client));
    assert_eq!(r.cause.as_deref(), Some("client closed"));
    assert_eq!(r.evidence, [7]);
}

/// A serverTimeoutInMilliseconds shorter than the default: read from the server's cadence
/// (pings every 500 ms, then silence for twice that), only when the client closed without
/// its own Close record.
#[test]
fn signalr_a_short_server_timeout_from_the_servers_cadence() {
    let script = || {
        let mut s = Script::new(None, Some("/hub"));
        s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
            .text(Server, "{}\x1e", 5, 1)
            .text(Server, "{\"type\":6}\x1e", 6, 501)
            .text(Server, "{\"type\":6}\x1e", 7, 1001)
            .text(Server, "{\"type\":6}\x1e", 8, 1501);
        s
    };
    let s = script();
    let r = s.t.worded(&closed(Client, None, "", 10, 3501)).unwrap();
    assert_eq!(r.ended_by, Some(Client));
    assert_eq!(r.cause.as_deref(), Some("server timeout"));
    assert_eq!(r.evidence, [8, 10]);
    let summary = r.summary.unwrap();
    assert!(summary.contains("at least every 500 ms"), "{summary}");
    assert!(
        summary.contains("nothing for 2 s after packet 8"),
        "{summary}"
    );
    // Less than twice the cadence: nothing is claimed.
    let r = script()
        .t
        .worded(&closed(Client, None, "", 10, 2300))
        .unwrap();
    assert_eq!(r.cause, None);
    // One ping is no cadence.
    let mut s = Script::new(None, Some("/hub"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Server, "{\"type\":6}\x1e", 6, 501);
    let r = s.t.worded(&closed(Client, None, "", 10, 5000)).unwrap();
    assert_eq!(r.cause, None);
    // The server closing after the client's silence is not read by cadence.
    let mut s = script();
    s.text(Client, "{\"type\":6}\x1e", 9, 1600);
    s.text(Client, "{\"type\":6}\x1e", 11, 2100);
    let r = s.t.worded(&closed(Server, None, "", 12, 9000)).unwrap();
    assert_eq!(r.cause, None);
}

/// MessagePack Close records: [7, error, allowReconnect], the error a str 8 or str 16 (the
/// length prefix before each record is 7 bits a byte).
#[test]
fn signalr_messagepack_close_reads_error_and_allow_reconnect() {
    let close = |payload: &[u8]| {
        let mut s = Script::new(None, Some("/hub?id=t"));
        s.text(
            Client,
            "{\"protocol\":\"messagepack\",\"version\":1}\x1e",
            4,
            0,
        )
        .bin(Server, b"{}\x1e", 5, 1);
        let mut rec = Vec::new();
        let mut n = payload.len();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            rec.push(if n > 0 { b | 0x80 } else { b });
            if n == 0 {
                break;
            }
        }
        rec.extend_from_slice(payload);
        s.bin(Server, &rec, 6, 2);
        s.t.worded(&closed(Client, None, "", 7, 3)).unwrap()
    };
    let mut str8 = vec![0x93, 7, 0xd9, 5];
    str8.extend_from_slice(b"boom!");
    str8.push(0xc3);
    let r = close(&str8);
    assert_eq!(r.cause.as_deref(), Some("closed with error"));
    let summary = r.summary.unwrap();
    assert!(
        summary.contains("\"boom!\" at packet 6, reconnect allowed"),
        "{summary}"
    );
    let long = "x".repeat(300);
    let mut str16 = vec![0x93, 7, 0xda, 0x01, 0x2c];
    str16.extend_from_slice(long.as_bytes());
    str16.push(0xc2);
    let r = close(&str16);
    assert_eq!(r.cause.as_deref(), Some("closed with error"));
    assert!(r.summary.unwrap().ends_with(", no reconnect"));
    // nil error, allowReconnect left out.
    let r = close(&[0x92, 7, 0xc0]);
    assert_eq!(r.cause.as_deref(), Some("server closed"));
    assert!(r.summary.unwrap().ends_with("without an error at packet 6"));
    // An error item that is not a string: undecodable, nothing claimed.
    let r = close(&[0x92, 7, 0x01]);
    assert_eq!(r.cause, None);
    assert_eq!(r.undecodable, 1);
}

/// Issue 84 item 6, for SignalR's short server timeout: a handshake answer and two pings
/// 10 ms apart give one long gap and one short, which agree on no cadence; the client's
/// close without a Close record 1.1 s later is not read as the server falling silent.
#[test]
fn signalr_one_gap_is_no_cadence() {
    let mut s = Script::new(None, Some("/hub"));
    s.text(Client, "{\"protocol\":\"json\",\"version\":1}\x1e", 4, 0)
        .text(Server, "{}\x1e", 5, 1)
        .text(Server, "{\"type\":6}\x1e", 6, 501)
        .text(Server, "{\"type\":6}\x1e", 7, 511);
    let r = s.t.worded(&closed(Client, None, "", 10, 1600)).unwrap();
    assert_eq!(r.cause, None, "{:?}", r.summary);
}
