//! Malformed application messages are findings, never panics: every decoder is fed random
//! bytes and its own messages cut short, mutated, damaged or announced longer than kept,
//! from both sides and between pings and pongs, frozen and thawed part way, and then asked
//! for its verdict under each kind of ending (a bounded proptest, no nightly fuzzer).

use super::tests::Worded;
use super::*;
use crate::vocab::Role::{Client, Server};
use proptest::prelude::*;

/// Each protocol as a session names it: (subprotocol, request target).
const SESSIONS: [(Option<&str>, Option<&str>); 16] = [
    (None, Some("/socket.io/?EIO=4&transport=websocket")),
    (None, Some("/socket.io/?EIO=3&transport=websocket&sid=abc")),
    (Some("graphql-transport-ws"), None),
    (Some("graphql-ws"), None),
    (Some("mqtt"), None),
    (Some("v12.stomp"), None),
    // SignalR: known by its first message, which a script may or may not send.
    (None, Some("/hub?id=x")),
    (None, Some("/socket/websocket?vsn=2.0.0")),
    (None, Some("/socket/websocket?vsn=1.0.0")),
    (Some("actioncable-v1-json"), None),
    (Some("ocpp1.6"), None),
    (Some("wamp.2.json"), None),
    // SockJS: known once the server's first message is `o`.
    (None, Some("/echo/123/a1b2c3d4/websocket")),
    (Some("wamp.2.json.batched"), None),
    (Some("wamp.2.msgpack.batched"), None),
    (Some("wamp.2.cbor"), None),
];

/// Messages the protocols send, as their documents write them: the seeds that get cut and
/// mutated.
const SEEDS: &[&[u8]] = &[
    b"0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000}",
    b"2",
    b"3",
    b"2probe",
    b"5",
    b"40",
    b"40{\"sid\":\"x\"}",
    b"41",
    b"44{\"message\":\"not authorized\"}",
    b"42[\"event\",{\"a\":1}]",
    b"1",
    b"{\"type\":\"connection_init\"}",
    b"{\"type\":\"connection_ack\"}",
    b"{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":\"subscription{a}\"}}",
    b"{\"type\":\"start\",\"id\":\"1\",\"payload\":{}}",
    b"{\"type\":\"ka\"}",
    b"o",
    b"h",
    b"a[\"x\",\"y\"]",
    b"m\"x\"",
    b"c[3000,\"Go away!\"]",
    b"c[4001,\"kicked\"]",
    b"[\"hello\"]",
    b"{\"type\":\"connection_error\",\"payload\":{\"message\":\"x\"}}",
    b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04abcd",
    b"\x10\x13\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x04abcd",
    b"\x20\x02\x00\x00",
    b"\x20\x03\x00\x87\x00",
    b"\x20\x0e\x00\x00\x0b\x22\x00\x0a\x27\x00\x00\x00\x64\x21\x00\x14",
    b"\x30\x12\x00\x0csensors/blob\x00xxxx",
    b"\xc0\x00",
    b"\xd0\x00",
    b"\xe0\x00",
    b"\xe0\x02\x8e\x00",
    b"\xe0\x01\x8d",
    b"CONNECT\naccept-version:1.2\nheart-beat:100,100\n\n\x00",
    b"CONNECTED\nversion:1.2\nheart-beat:100,100\n\n\x00",
    b"ERROR\nmessage:bad frame\ncontent-length:4\n\nbody\x00",
    b"DISCONNECT\nreceipt:7\n\n\x00",
    b"\n",
    b"{\"protocol\":\"json\",\"version\":1}\x1e",
    b"{}\x1e",
    b"{\"error\":\"no such protocol\"}\x1e",
    b"{\"type\":6}\x1e",
    b"{\"type\":7,\"error\":\"boom\",\"allowReconnect\":true}\x1e",
    b"[\"1\",\"1\",\"phoenix\",\"heartbeat\",{}]",
    b"[null,\"1\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
    b"[\"1\",null,\"room:1\",\"phx_error\",{}]",
    b"{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"1\"}",
    b"{\"type\":\"welcome\"}",
    b"{\"type\":\"ping\",\"message\":1700000000}",
    b"{\"type\":\"disconnect\",\"reason\":\"unauthorized\",\"reconnect\":false}",
    b"[2,\"1\",\"BootNotification\",{}]",
    b"[3,\"1\",{\"status\":\"Rejected\"}]",
    b"[4,\"1\",\"GenericError\",\"x\",{}]",
    b"[3,{},\"wamp.close.goodbye\"]",
    b"[6,{},\"wamp.error.system_shutdown\"]",
    b"[8,48,7,{},\"wamp.error.no_such_procedure\"]\x18[2,1,{}]\x1e",
    // MessagePack: ABORT [3, {"message": "m"}, "wamp.error.no_such_realm"], batched.
    b"\x00\x00\x00\x26\x93\x03\x81\xa7message\xa1m\xb8wamp.error.no_such_realm",
    // CBOR: GOODBYE [6, {}, "wamp.close.system_shutdown"], HELLO [1, "realm1", {}] with
    // an indefinite map.
    b"\x83\x06\xa0\x78\x1awamp.close.system_shutdown",
    b"\x83\x01\x66realm1\xbf\xff",
    b"",
];

/// One thing a side sends: a data message (seed or random bytes, changed) or a control.
#[derive(Debug, Clone)]
enum Step {
    Message {
        from_client: bool,
        text: bool,
        bytes: Vec<u8>,
        /// Announced longer than kept (the rest cut off by [`KEEP`]).
        extra: u64,
        damaged: bool,
    },
    Control {
        from_client: bool,
        pong: bool,
    },
    /// A message's bytes sent as two messages, cut at `at` (MQTT is a byte stream).
    Split {
        from_client: bool,
        bytes: Vec<u8>,
        at: usize,
    },
    /// The WebSocket decoding of a side stopped at a gap.
    Lost {
        from_client: bool,
    },
    /// Freeze and thaw the tracker here (quiet connections go to disk).
    Freeze,
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        (
            0..SEEDS.len(),
            any::<usize>(),
            any::<usize>(),
            any::<u8>(),
            0u8..4
        )
            .prop_map(|(i, cut, at, byte, how)| {
                let mut m = SEEDS.get(i).copied().unwrap_or_default().to_vec();
                match how {
                    0 => {}
                    1 => m.truncate(cut % (m.len() + 1)),
                    2 => {
                        if !m.is_empty() {
                            let n = at % m.len();
                            if let Some(b) = m.get_mut(n) {
                                *b = byte;
                            }
                        }
                    }
                    _ => {
                        let n = at % (m.len() + 1);
                        m.insert(n, byte);
                    }
                }
                m
            }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (any::<bool>(), any::<bool>(), message(), prop_oneof![3 => Just(0u64), 1 => 1u64..u64::MAX / 2], proptest::bool::weighted(0.1))
            .prop_map(|(from_client, text, bytes, extra, damaged)| Step::Message { from_client, text, bytes, extra, damaged }),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(from_client, pong)| Step::Control { from_client, pong }),
        2 => (any::<bool>(), message(), any::<usize>()).prop_map(|(from_client, bytes, at)| Step::Split { from_client, bytes, at }),
        1 => any::<bool>().prop_map(|from_client| Step::Lost { from_client }),
        1 => Just(Step::Freeze),
    ]
}

fn role(client: bool) -> Role {
    if client {
        Client
    } else {
        Server
    }
}

/// The endings a verdict is asked under, the session's last packet being `p` at `ms`.
fn endings(p: u64, ms: i64) -> Vec<Ending> {
    let t = |ms: i64| Timestamp(ms * 1_000_000);
    vec![
        Ending::default(),
        Ending {
            close: Some((Server, Some(1000), String::new(), p + 1, t(ms + 1))),
            transport: Some(TransportEnd {
                by: Server,
                how: EndHow::Fin,
                packet: p + 2,
                ts: t(ms + 2),
            }),
            last_ts: Some(t(ms + 2)),
        },
        Ending {
            close: Some((Client, None, "\u{1b}[31m".into(), p + 1, t(ms + 1))),
            transport: None,
            last_ts: Some(t(ms + 1)),
        },
        Ending {
            close: None,
            transport: Some(TransportEnd {
                by: Client,
                how: EndHow::Rst,
                packet: p + 1,
                ts: t(ms + 5000),
            }),
            last_ts: Some(t(ms + 5000)),
        },
        // An HTTP/2 stream reset by the server, its TCP connection running on.
        Ending {
            close: None,
            transport: Some(TransportEnd {
                by: Server,
                how: EndHow::Stream {
                    frame: "RST_STREAM CANCEL".into(),
                    abrupt: true,
                },
                packet: p + 1,
                ts: t(ms + 3100),
            }),
            last_ts: Some(t(ms + 40_000)),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_decoder_panics_on_what_the_wire_brings(
        which in 0..SESSIONS.len(),
        steps in proptest::collection::vec(step(), 0..24),
    ) {
        let (sp, target) = SESSIONS.get(which).copied().unwrap_or_default();
        let mut t = Tracker::new(sp, target);
        let (mut packet, mut ms) = (4u64, 0i64);
        for s in &steps {
            packet += 1;
            ms += 37;
            let ts = Timestamp(ms * 1_000_000);
            match s {
                Step::Message { from_client, text, bytes, extra, damaged } => {
                    let kept = bytes.get(..KEEP.min(bytes.len())).unwrap_or_default();
                    t.message(&Message {
                        from: role(*from_client),
                        text: *text,
                        bytes: kept,
                        len: bytes.len() as u64 + extra,
                        damaged: *damaged,
                        packet,
                        ts,
                    });
                }
                Step::Control { from_client, pong } => t.control(role(*from_client), *pong, packet, ts),
                Step::Split { from_client, bytes, at } => {
                    let (a, b) = bytes.split_at(at % (bytes.len() + 1));
                    for part in [a, b] {
                        packet += 1;
                        t.message(&Message {
                            from: role(*from_client),
                            text: false,
                            bytes: part,
                            len: part.len() as u64,
                            damaged: false,
                            packet,
                            ts,
                        });
                    }
                }
                Step::Lost { from_client } => t.tapped(role(*from_client), Tapped::Lost { packet }),
                Step::Freeze => {
                    let bytes = crate::serial::to_vec(&t).unwrap();
                    t = crate::serial::read(&bytes).unwrap();
                }
            }
        }
        for end in endings(packet, ms) {
            let r = t.worded(&end);
            if let Some(r) = r {
                prop_assert!(r.undecodable <= r.messages, "{r:?}");
                prop_assert!(r.evidence.iter().all(|&p| p <= packet + 2), "{r:?}");
            } else {
                // Only a session whose protocol was never recognized reports none, or a
                // SockJS-shaped one whose server has not opened with `o`.
                prop_assert!(matches!(t.protocol(), None | Some(Protocol::SockJs)));
            }
        }
    }
}

/// Every protocol counts a message it cannot read as undecodable, and claims no cause from
/// garbage alone.
#[test]
fn garbage_is_undecodable_and_claims_nothing() {
    for (sp, target) in SESSIONS {
        let mut t = Tracker::new(sp, target);
        let Some(p) = t.protocol() else {
            continue; // SignalR: garbage never names it
        };
        for (i, m) in [&b"\xff\xfe\x00garbage"[..], b"{\"type\":", b"[1,"]
            .iter()
            .enumerate()
        {
            t.message(&Message {
                from: if i % 2 == 0 { Client } else { Server },
                text: true,
                bytes: m,
                len: m.len() as u64,
                damaged: false,
                packet: 5 + i as u64,
                ts: Timestamp(i as i64),
            });
        }
        let Some(r) = t.worded(&Ending::default()) else {
            // SockJS: a server whose first message is not `o` is not SockJS.
            assert_eq!((p, t.protocol()), (Protocol::SockJs, None));
            continue;
        };
        assert!(r.undecodable >= 1, "{p:?}: {r:?}");
        assert_eq!(r.cause, None, "{p:?}: {r:?}");
    }
}
