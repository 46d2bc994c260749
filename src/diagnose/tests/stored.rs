//! Causes survive the stored form (`serial`, postcard) and are written in JSON by kind.

use crate::report::cause::EndHow;
use crate::report::cause::{
    BothLegs, Cause, Ending, LegEnding, Message, OpcodeName, PeerSent, PeerSentWhat, Relay,
    RelayHow, StreamFrame, TcpEnding,
};
use crate::report::Eviction;
use crate::report::Status;
use crate::vocab::{EndKind, Opcode, Problem, Role, StreamEndKind};

/// One cause of every kind, with every nested type in it.
pub(crate) fn one_of_each() -> Vec<Cause> {
    let fin = Ending {
        by: Role::Server,
        how: EndHow::Tcp(EndKind::Fin),
        packet: 9,
    };
    let reset = Ending {
        by: Role::Client,
        how: EndHow::Stream {
            stream: 5,
            kind: StreamEndKind::Reset(8),
        },
        packet: 27,
    };
    let leg_end = |by, name: &str, packet| LegEnding {
        by,
        name: name.into(),
        packet,
        h2_stream: None,
    };
    let legs = BothLegs {
        front: 1,
        front_end: leg_end(Role::Server, "FIN", 22),
        back: 2,
        back_end: leg_end(Role::Client, "RST_STREAM CANCEL on h2 stream 5", 21),
        quiet_ms: 60_027.983,
        last_frame_packet: Some(18),
    };
    let message = Message {
        from: Role::Client,
        opcode: OpcodeName(Opcode::TEXT),
        size: 100,
        packet: 8,
    };
    vec![
        Cause::Closed {
            from: Role::Client,
            code: 4001,
            reason: "bye. ✓".into(),
            packet: 14,
        },
        Cause::EmptyClose {
            from: Role::Server,
            packet: 3,
        },
        Cause::CodeNotCaptured {
            from: Role::Server,
            packet: 3,
        },
        Cause::NoCloseFrame {
            end: fin,
            bytes_missing: true,
            invalid_close: false,
        },
        Cause::StillOpen { upgraded: false },
        Cause::UpgradeRefused {
            http_status: 403,
            h2: true,
            body: Some("Forbidden: origin not allowed".into()),
        },
        Cause::TunnelRefused {
            http_status: 407,
            packet: 6,
            proxy_product: None,
        },
        Cause::Evicted {
            why: Eviction::IdleTimeout,
            last_packet: 40,
            limit: 600,
        },
        Cause::ReasonWords {
            from: Role::Server,
            code: 1000,
            names: "keepalive-timeout".into(),
            reason: "ping timed out".into(),
            packet: 12,
        },
        Cause::OneDirection {
            seen: Role::Client,
            close_packet: Some(9),
        },
        Cause::CaptureCut { upgraded: true },
        Cause::ProxyIdleTimeout {
            legs: legs.clone(),
            proxy_product: Some(crate::vocab::ProxyProduct {
                product: crate::vocab::Product::Nginx,
                version: Some("1.22.1".into()),
                header: crate::vocab::Header::Server,
            }),
        },
        Cause::TunnelIdleTimeout {
            legs: legs.clone(),
            proxy_product: Some(crate::vocab::ProxyProduct {
                product: crate::vocab::Product::Tinyproxy,
                version: Some("1.11.1".into()),
                header: crate::vocab::Header::ProxyAgent,
            }),
        },
        Cause::ProxyEndedBothLegs { legs: legs.clone() },
        Cause::ProxyReloadOrStop {
            legs,
            close_frames: true,
            apart_ms: 0.25,
        },
        Cause::IncidentMember {
            incident: 1,
            incident_kind: crate::vocab::IncidentKind::ServerRestart,
            members: 80,
            window_ms: 6.8,
            idle_min_s: 0.18,
            idle_max_s: 2.9,
        },
        Cause::RelayedEnd {
            app: Role::Server,
            app_leg: 2,
            app_end: leg_end(Role::Server, "FIN", 30),
            proxy_end: leg_end(Role::Server, "RST_STREAM CANCEL on h2 stream 5", 31),
            other_leg: 1,
            delay_ms: 0.4,
            close_notify: Some(29),
        },
        Cause::QuietSpell {
            seconds: 60.02,
            end: reset,
            last_frame_packet: None,
            last_ping_packet: Some(4),
            last_pong_packet: None,
        },
        Cause::UnansweredMessage {
            seconds: 0.004,
            end: fin,
            message,
            last_ping_packet: None,
            last_pong_packet: Some(6),
        },
        Cause::IdleTimeout {
            seconds: 100.4,
            ended_by: Role::Client,
            matches: vec!["cloudflare".into()],
            lasted_s: 130.5,
        },
        Cause::InvalidCloseFrame {
            from: Role::Client,
            packet: 7,
            problems: vec![Problem::TooLong, Problem::ReasonNotUtf8],
            code: Some(1000),
        },
        Cause::CloseReply {
            from: Role::Server,
            code: None,
            reason: String::new(),
            packet: 15,
        },
        Cause::NoCloseReply { from: Role::Server },
        Cause::CloseReplyNotCaptured {
            from: Role::Client,
            gap_packet: Some(4),
        },
        Cause::LateCloseFrame {
            from: Role::Server,
            packet: 12,
        },
        Cause::TlsFatalAlert {
            from: Role::Server,
            alert: "handshake_failure".into(),
            packet: 5,
        },
        Cause::TlsCloseNotifyFirst {
            by: Role::Server,
            packet: 102,
            answered: Some(TcpEnding {
                by: Role::Client,
                kind: EndKind::Rst,
                packet: 104,
            }),
        },
        Cause::TlsClosedCleanly {
            by: Role::Server,
            packet: 31,
        },
        Cause::TlsNotClosed { by: Role::Client },
        Cause::StreamEndings {
            stream: 5,
            endings: vec![
                reset,
                Ending {
                    by: Role::Server,
                    how: EndHow::Stream {
                        stream: 5,
                        kind: StreamEndKind::GoAway {
                            last_stream: 7,
                            code: 0,
                        },
                    },
                    packet: 28,
                },
            ],
        },
        Cause::RstAfterFin {
            by: Role::Server,
            fin_packet: 17,
            rst_packet: 20,
            after: Some(PeerSent {
                what: PeerSentWhat::StreamEnd {
                    frame: StreamFrame(StreamEndKind::EndStream),
                },
                packet: 19,
                seconds: 0.000_013,
            }),
        },
        Cause::RstAfterFin {
            by: Role::Client,
            fin_packet: 17,
            rst_packet: 20,
            after: Some(PeerSent {
                what: PeerSentWhat::Message {
                    opcode: OpcodeName(Opcode::BINARY),
                    size: 3,
                },
                packet: 19,
                seconds: 1.5,
            }),
        },
        Cause::RelayedClose {
            relays: vec![
                Relay {
                    how: RelayHow::Changed,
                    role: Role::Server,
                    code: Some(4001),
                    connection: 2,
                    packet: 18,
                    to_connection: 1,
                    to_code: Some(1001),
                    to_packet: Some(20),
                    gap_packet: None,
                },
                Relay {
                    how: RelayHow::Unknown,
                    role: Role::Client,
                    code: Some(1001),
                    connection: 1,
                    packet: 21,
                    to_connection: 2,
                    to_code: None,
                    to_packet: None,
                    gap_packet: Some(22),
                },
                Relay {
                    how: RelayHow::OriginUnknown,
                    role: Role::Server,
                    code: None,
                    connection: 2,
                    packet: 23,
                    to_connection: 1,
                    to_code: None,
                    to_packet: None,
                    gap_packet: None,
                },
            ],
        },
        Cause::HeartbeatTimeout {
            by: Role::Server,
            library: Some(crate::vocab::Software {
                library: crate::vocab::Library::PythonWebsockets,
                version: Some("17.4".into()),
            }),
            reason_says_so: true,
            ping_packet: Some(13),
            unanswered: 1,
            at_least: false,
            last_pong_packet: Some(11),
            waited_ms: Some(501.0),
            interval_ms: Some(500.0),
            end_packet: 15,
            close_code: Some(1011),
        },
        Cause::PingsStopped {
            from: Role::Client,
            interval_ms: 1002.749,
            pings: 4,
            last_ping: 20,
            at: "2026-11-26T18:57:10.197938000Z".into(),
            silent_s: 5.705,
            end: Some(Ending {
                by: Role::Server,
                how: EndHow::Tcp(EndKind::Fin),
                packet: 30,
            }),
            message_bytes: Some(15),
        },
        Cause::Application {
            protocol: "socket.io".into(),
            cause: "ping timeout".into(),
            ended_by: Some(Role::Client),
            evidence: vec![12, 20],
            fix: Some("Raise pingTimeout.".into()),
        },
        Cause::LastWords {
            from: Role::Server,
            packet: 9,
            before_s: 0.05,
            encoding: "json".into(),
            words: r#"{"error":"expired"}"#.into(),
            truncated: false,
            names: Some("credentials".into()),
            announces: Some("error".into()),
            end_by: Role::Server,
            end_how: "fin".into(),
            close_code: None,
            end_packet: 11,
        },
        Cause::LastMessage {
            from: Role::Server,
            packet: 33,
            before_s: 0.3,
            encoding: "json".into(),
            words: r#"{"type":"tick"}"#.into(),
            truncated: false,
            end_how: "fin".into(),
            close_code: None,
            end_packet: 35,
        },
        Cause::BehindTlsProxy { candidates: 2 },
        Cause::CloseNotRead {
            from: Role::Server,
            code: Some(1001),
            packet: 43,
            rst_packet: 45,
        },
        Cause::CloseNotDelivered {
            from: Role::Client,
            code: Some(1000),
            packet: 33,
            retransmissions: 4,
        },
        Cause::Unacknowledged {
            from: Role::Client,
            first_packet: 33,
            at: "2026-11-25T21:03:39.953788000Z".into(),
            what: Some(crate::report::cause::Unacked::Message {
                opcode: OpcodeName(Opcode::TEXT),
                size: 5,
            }),
            retransmissions: 4,
            seconds: 1.696,
            last_packet: 41,
            peer_next: None,
            peer_silent_s: 9.216,
            gave_up: Some(Ending {
                by: Role::Client,
                how: EndHow::Tcp(EndKind::Rst),
                packet: 42,
            }),
            gave_up_s: Some(9.1),
        },
        Cause::MtuBlackHole {
            from: Role::Server,
            first_packet: 11,
            at: "2026-11-26T18:47:58.599284000Z".into(),
            segment_bytes: 1448,
            largest_acked: 204,
            retransmissions: 4,
            seconds: 3.224,
            last_packet: 29,
            small_ack: 26,
            sacked: Some(27),
        },
        Cause::MtuBlackHoleReceiver {
            from: Role::Server,
            packet: 11,
            at: "2026-11-27T09:20:10.626391000Z".into(),
            missing_bytes: 2896,
            after_bytes: 108,
            largest_received: 204,
            small_ack: 14,
            last_ack: 15,
            last_packet: 16,
            seconds: 1.511,
        },
        Cause::WindowClosed {
            reader: Role::Client,
            first_packet: 9,
            probes: 5,
            seconds: 12.4,
            last_packet: 19,
        },
        Cause::StoppedReading {
            reader: Role::Client,
            zero_packet: 74,
            at: "2026-11-26T18:29:37.031047000Z".into(),
            seconds: 7.273,
            probes: 5,
            first_probe: Some(75),
            last_probe: Some(82),
            answers: 4,
            reopened: Some(84),
            end: Some(Ending {
                by: Role::Server,
                how: EndHow::Tcp(EndKind::Fin),
                packet: 109,
            }),
            end_after_s: Some(0.000472),
            end_into_s: None,
            close_packet: Some(109),
            close_code: Some(1011),
        },
        Cause::Keepalive {
            by: Role::Server,
            probes: 3,
            first_packet: 15,
            at: "2026-11-27T07:32:20.931616000Z".into(),
            last_packet: 17,
            interval_s: 1.024,
            min_interval_s: 1.024,
            max_interval_s: 1.024,
            probe_bytes: 0,
            answered: 2,
            last_answer: Some(14),
            rst_packet: Some(18),
            then_s: 1.024,
        },
        Cause::GatewayIdleClose {
            gateway: crate::vocab::Software {
                library: crate::vocab::Library::Lighttpd,
                version: Some("1.4.69".into()),
            },
            packet: 18,
            quiet_s: 3.03,
            last_frame_packet: Some(16),
        },
        Cause::GatewayFrames {
            gateway: crate::vocab::Software {
                library: crate::vocab::Library::Lighttpd,
                version: Some("1.4.69".into()),
            },
            pings: 2,
            last_ping: Some(24),
            text_1000_reply: Some(25),
        },
        Cause::ForeignReset {
            by: Role::Server,
            packet: 129,
            ttl: 57,
            ttl_low: 63,
            ttl_high: 64,
            ip_id: Some(0x4242),
            id_before: None,
        },
        Cause::PacketsDropped {
            upgraded: true,
            dropped: 17,
        },
        Cause::AcceptMismatch { packet: 6 },
        Cause::HandshakeFault {
            fault: crate::vocab::ResponseFault::ProtocolNotOffered,
            packet: 6,
        },
        Cause::AbruptEnding {
            verdict: crate::report::cause::EndingVerdict::ServerProcess,
            end: Ending {
                by: Role::Server,
                how: EndHow::Tcp(EndKind::Fin),
                packet: 11,
            },
            quiet_s: Some(4.844),
            after_message: None,
            reset_packet: Some(14),
            unacknowledged: Some(crate::report::cause::StillUnacked {
                from: Role::Server,
                packet: 12,
                retransmissions: 2,
            }),
            afterwards: Some(crate::vocab::After {
                refused: 3,
                first_refused: Some(18),
                first_refused_s: Some(0.4),
                last_refused: Some(30),
                last_refused_s: Some(1.2),
                accepted: Some(crate::vocab::Accepted {
                    connection: 2,
                    packet: 33,
                    after_s: 1.9,
                    reconnect: true,
                }),
            }),
        },
        Cause::ClosingCutShort {
            from: Role::Server,
            close_packet: 9,
            end: Ending {
                by: Role::Server,
                how: EndHow::Tcp(EndKind::Fin),
                packet: 10,
            },
            after_s: 0.001,
            reply_packet: Some(11),
            reply_reset: Some(12),
        },
        Cause::HttpResponseInStream {
            from: Role::Server,
            packet: 9,
            after_close: false,
            http_status: Some(500),
            status_line: "HTTP/1.1 500 INTERNAL SERVER ERROR".into(),
            title: Some("500 Internal Server Error".into()),
            message: Some(message),
        },
        Cause::CloseAnswersMessage {
            by: Role::Server,
            code: Some(1011),
            close_packet: 9,
            seconds: 0.002,
            message,
            words: Some("boom".into()),
        },
        Cause::HeartbeatAnswersStopped {
            from: Role::Server,
            message_bytes: 1,
            answer_bytes: 1,
            period_ms: 500.0,
            last_answered: Some(18),
            answer_packet: 19,
            first_unanswered: Some(21),
            unanswered: 3,
            at_least: false,
            waited_s: 1.5,
            end_by: Role::Server,
            end_packet: 27,
            close: true,
            close_code: Some(4001),
        },
        Cause::UnpromptedClose {
            by: Role::Server,
            code: None,
            close_packet: 8,
            own_end: Some("rst".into()),
            own_end_packet: Some(11),
            quiet_s: Some(6.5),
            afterwards: Some(crate::vocab::After {
                refused: 4,
                first_refused: Some(12),
                first_refused_s: Some(0.2),
                last_refused: Some(18),
                last_refused_s: Some(0.8),
                accepted: None,
            }),
        },
        Cause::OneDirectionResent {
            from: Role::Server,
            retransmissions: 5,
            last_packet: 16,
            after_s: 1.486,
        },
        Cause::SeenAt {
            host: Role::Server,
            own_ttl: 64,
            peer_ttl: 63,
            unacknowledged: Role::Server,
            packet: 21,
            peer_silent: Some(crate::report::cause::PeerSilent {
                last_frame: 19,
                data: true,
                before_end_s: 6.49,
                sent_since: 4,
            }),
        },
        Cause::SeenBeforeBreak {
            from: Role::Server,
            packet: 21,
            retransmissions: 5,
            seconds: 3.346,
            peer_silent: Some(crate::report::cause::PeerSilent {
                last_frame: 19,
                data: false,
                before_end_s: 4.347,
                sent_since: 6,
            }),
        },
        Cause::BetweenPoints {
            verdict: crate::report::cause::PointsVerdict::MadeBetween,
            end_by: Role::Server,
            end_kind: crate::report::points::MadeKind::Rst,
            end_packet: 24,
            ttl: 64,
            side_ttl: Some(63),
            ip_id: 0,
            peer_made: 1,
            peer_made_packet: Some(22),
            peer_made_at: Some(1),
            peer_made_ttl: Some(64),
            peer_made_side_ttl: Some(63),
            lost_from: Some(Role::Client),
            lost_packets: 1,
            lost_bytes: 16,
            lost_smallest: 16,
            lost_largest: 16,
            lost_seen_at: 0,
            lost_first_packet: 23,
            lost_last_packet: 23,
            lost_from_s: 6.045,
            lost_to_s: 6.045,
            lost_pings: 0,
            crossed_largest: None,
            translated: None,
            first_file: "client.pcap".into(),
            second_file: "server.pcap".into(),
        },
    ]
}

/// Every kind is in the list above, and each is a kebab-case name of its own.
#[test]
fn the_list_has_every_kind_once() {
    let mut kinds: Vec<&str> = one_of_each().iter().map(Cause::kind).collect();
    kinds.dedup();
    assert_eq!(kinds, Cause::KINDS);
    for k in Cause::KINDS {
        assert!(
            k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{k}"
        );
    }
}

/// Every kind is said: the function its `words` facet names writes a sentence for it (a
/// group function such as `words::plain` says nothing of a kind it has no arm for, which
/// the compiler cannot see), ending with a full stop.
#[test]
fn every_kind_is_said() {
    for c in one_of_each() {
        let said = c.to_string();
        assert!(said.ends_with('.'), "{}: {said:?}", c.kind());
    }
}

/// A stored status reads back with its causes, and its texts as they were.
#[test]
fn causes_survive_the_stored_form() {
    let causes = one_of_each();
    let bytes = crate::serial::to_vec(&causes).unwrap();
    let back: Vec<Cause> = crate::serial::read(&bytes).unwrap();
    assert_eq!(back, causes);
    for c in causes {
        let status = Status::new(vec![c]);
        let bytes = crate::serial::to_vec(&status).unwrap();
        let back: Status = crate::serial::read(&bytes).unwrap();
        assert_eq!(back, status);
        assert!(std::ptr::eq(back.general, status.general));
    }
}

/// In JSON a cause is an object: its `kind` first, then its fields by name; endings, opcodes
/// and HTTP/2 frames by their names.
#[test]
fn causes_in_json_are_objects_by_kind() {
    let v = serde_json::to_value(one_of_each()).unwrap();
    let by_kind = |k: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_kind("unanswered-message")["message"],
        serde_json::json!({"from": "client", "opcode": "text", "size": 100, "packet": 8})
    );
    assert_eq!(
        by_kind("quiet-spell")["end"],
        serde_json::json!({"by": "client", "how": "h2-stream", "stream": 5, "frame": "RST_STREAM CANCEL", "packet": 27})
    );
    assert_eq!(
        by_kind("rst-after-fin")["after"]["what"],
        serde_json::json!({"stream-end": {"frame": "END_STREAM"}})
    );
    assert_eq!(
        by_kind("invalid-close-frame")["problems"],
        serde_json::json!(["too-long", "reason-not-utf8"])
    );
    let text = serde_json::to_string(&Cause::CaptureCut { upgraded: true }).unwrap();
    assert_eq!(text, r#"{"kind":"capture-cut","upgraded":true}"#);
}

/// A relay not known from the capture says so, with the packet where the frames that would
/// decide stop when it is known, and names no packet when it is not (its finding dropped
/// at the cap, or the direction not captured).
#[test]
fn unknown_relays_say_unknown_from_here() {
    let Cause::RelayedClose { relays } = one_of_each()
        .into_iter()
        .find(|c| c.kind() == "relayed-close")
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(
        relays[1].to_string(),
        "the client's close frame 1001 (connection 1, packet 21): whether it was relayed to connection 2 is unknown from here (bytes missing on the backend's leg, connection 2, at packet 22)"
    );
    assert_eq!(
        relays[2].to_string(),
        "the proxy's close frame with no code to the backend (connection 2, packet 23): whether it was its own or the client's relayed is unknown from here (the client's leg, connection 1, is not in the capture that far)"
    );
    let json = serde_json::to_value(&relays).unwrap();
    assert_eq!(json[1]["how"], "unknown");
    assert_eq!(json[1]["gap_packet"], 22);
    assert_eq!(json[2]["how"], "origin-unknown");
    assert!(json[2]["gap_packet"].is_null());
}
