//! Firefox through a TLS-terminating HAProxy: the client leg (TLS, HTTP/2 extended CONNECT,
//! RFC 8441) and the back leg (plain WebSocket) linked, what the page saw, relayed endings,
//! and a back leg whose client leg stays encrypted.

use super::*;
use wsclose::vocab::Transport;

/// One leg of a Firefox session through HAProxy, as `record/tls/record_firefox.sh`
/// recorded it (fixtures/README.md has each packet).
struct FirefoxLeg {
    client_port: u16,
    closes: Vec<(String, Option<u16>, String, u64)>,
    /// (by, FIN or RST, packet), in order.
    tcp_ends: Vec<(&'static str, &'static str, u64)>,
}

/// A Firefox session: the front leg (TLS, HTTP/2 stream `stream` or HTTP/1.1) and the
/// plaintext back leg, the status of both (the page's close event gave the same code), how
/// the front stream ended, each side's close_notify, how the legs were linked and who ended
/// the session.
struct FirefoxCase {
    name: &'static str,
    path: &'static str,
    stream: Option<u32>,
    front: FirefoxLeg,
    back: FirefoxLeg,
    status: u16,
    stream_ends: Vec<(&'static str, &'static str, Option<&'static str>, u64)>,
    close_notify: (u64, u64),
    linked_by: &'static str,
    ended_by: &'static str,
}

fn firefox_cases() -> Vec<FirefoxCase> {
    let (c, s) = ("client", "server");
    let h2_end = |packet| {
        vec![
            (s, "END_STREAM", None, packet),
            (s, "RST_STREAM", Some("CANCEL"), packet),
        ]
    };
    vec![
        // The page closes 1000 "bye" on the echo; page: 1000 "bye" wasClean true.
        FirefoxCase {
            name: "firefox-haproxy-h2-close-1000",
            path: "/echo",
            stream: Some(5),
            front: FirefoxLeg {
                client_port: 35596,
                closes: vec![close(c, 1000, "bye", 36), close(s, 1000, "bye", 40)],
                tcp_ends: vec![(c, "Fin", 59), (s, "Fin", 60)],
            },
            back: FirefoxLeg {
                client_port: 47620,
                closes: vec![close(c, 1000, "bye", 38), close(s, 1000, "bye", 39)],
                tcp_ends: vec![(s, "Fin", 42), (c, "Fin", 43)],
            },
            status: 1000,
            stream_ends: h2_end(45),
            close_notify: (58, 57),
            linked_by: "path_and_timing",
            ended_by: "client",
        },
        // The backend closes 4001 "bye"; page: 4001 "bye" wasClean true.
        FirefoxCase {
            name: "firefox-haproxy-h2-backend-close-4001",
            path: "/close",
            stream: Some(5),
            front: FirefoxLeg {
                client_port: 41922,
                closes: vec![close(s, 4001, "bye", 39), close(c, 4001, "bye", 41)],
                tcp_ends: vec![(s, "Fin", 63)],
            },
            back: FirefoxLeg {
                client_port: 38200,
                closes: vec![close(s, 4001, "bye", 37), close(c, 4001, "bye", 43)],
                tcp_ends: vec![(s, "Fin", 44), (c, "Fin", 45)],
            },
            status: 4001,
            stream_ends: h2_end(47),
            close_notify: (64, 60),
            linked_by: "path_and_timing",
            ended_by: "backend",
        },
        // The backend kills itself (SIGKILL) after the echo: its kernel's FIN, no close
        // frame; HAProxy ends the stream. Page: 1006 "" wasClean false.
        FirefoxCase {
            name: "firefox-haproxy-h2-backend-kill",
            path: "/kill",
            stream: Some(5),
            front: FirefoxLeg {
                client_port: 45054,
                closes: vec![],
                tcp_ends: vec![(c, "Fin", 56)],
            },
            back: FirefoxLeg {
                client_port: 42702,
                closes: vec![],
                tcp_ends: vec![(s, "Fin", 38), (c, "Fin", 39)],
            },
            status: 1006,
            stream_ends: h2_end(41),
            close_notify: (55, 57),
            linked_by: "path_and_timing",
            ended_by: "backend",
        },
        // HTTP/1.1 only (HAProxy offers ALPN http/1.1): the WebSocket on its own TLS
        // connection, beside the page's. Page: 1000 "bye" wasClean true.
        FirefoxCase {
            name: "firefox-haproxy-http1-close-1000",
            path: "/echo",
            stream: None,
            front: FirefoxLeg {
                client_port: 52718,
                closes: vec![close(c, 1000, "bye", 37), close(s, 1000, "bye", 40)],
                tcp_ends: vec![(c, "Fin", 45), (s, "Fin", 46)],
            },
            back: FirefoxLeg {
                client_port: 41794,
                closes: vec![close(c, 1000, "bye", 38), close(s, 1000, "bye", 39)],
                tcp_ends: vec![(s, "Fin", 41), (c, "Fin", 48)],
            },
            status: 1000,
            stream_ends: vec![],
            close_notify: (44, 42),
            linked_by: "sec_websocket_key",
            ended_by: "client",
        },
    ]
}

fn client_port(c: &ConnectionReport) -> u16 {
    c.client
        .to_string()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn tcp_ends(c: &ConnectionReport) -> Vec<(String, String, u64)> {
    c.tcp_ends
        .iter()
        .map(|e| (e.by.to_string(), format!("{:?}", e.kind), e.packet))
        .collect()
}

/// Firefox ESR 153 → HAProxy 2.6 (TLS, ALPN h2 or http/1.1) → a plaintext websockets
/// backend, both legs in one capture: with Firefox's key log, each leg's close frames,
/// packets and status are those tshark shows (the h2 ones in the DATA frames it
/// decrypts), the status each application saw is what the page's close event gave, the
/// legs are linked to each other, and nothing is left encrypted.
#[test]
fn firefox_through_a_tls_terminating_haproxy_gives_what_the_page_saw() {
    for case in firefox_cases() {
        let name = case.name;
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        assert_eq!(r.connections.len(), 2, "{name}: two legs");
        assert!(
            r.seen.encrypted.is_empty(),
            "{name}: every TLS connection read"
        );
        let leg = |port: u16| {
            r.connections
                .iter()
                .find(|c| client_port(c) == port)
                .unwrap_or_else(|| panic!("{name}: no connection from port {port}"))
        };
        let (front, back) = (leg(case.front.client_port), leg(case.back.client_port));
        for (c, want) in [(front, &case.front), (back, &case.back)] {
            assert_eq!(closes(c), want.closes, "{name} {}", c.client);
            let ends: Vec<(String, String, u64)> = want
                .tcp_ends
                .iter()
                .map(|&(by, kind, p)| (by.to_string(), kind.to_string(), p))
                .collect();
            assert_eq!(tcp_ends(c), ends, "{name} {}", c.client);
            assert_eq!(c.status.code, Some(case.status), "{name} {}", c.client);
            assert_eq!(c.status.inferred, case.status == 1006, "{name}");
            // What each application saw: the page logged this code from its close event.
            assert_eq!(
                (c.seen_by.client, c.seen_by.server),
                (Some(case.status), Some(case.status)),
                "{name} {}",
                c.client
            );
            assert_eq!(c.handshake.path.as_deref(), Some(case.path), "{name}");
        }
        // The front leg: TLS 1.3 from Firefox (no SNI for an address), HTTP/2 or not.
        let tls = front.tls.as_ref().expect("the front leg is TLS");
        assert!(tls.decrypted, "{name}");
        assert_eq!(
            (tls.version.as_deref(), tls.cipher_suite.as_deref()),
            (Some("TLS 1.3"), Some("TLS_AES_256_GCM_SHA384")),
            "{name}"
        );
        assert_eq!(tls.sni, None, "{name}");
        assert_eq!(tls.alpn_offered, ["h2", "http/1.1"], "{name}");
        let alpn = if case.stream.is_some() {
            "h2"
        } else {
            "http/1.1"
        };
        assert_eq!(tls.alpn.as_deref(), Some(alpn), "{name}");
        assert_eq!(
            (tls.close_notify.client, tls.close_notify.server),
            (Some(case.close_notify.0), Some(case.close_notify.1)),
            "{name}"
        );
        assert!(back.tls.is_none(), "{name}: the back leg is plaintext");
        assert_eq!(front.h2_stream, case.stream, "{name}");
        assert_eq!(front.transport.as_str(), alpn, "{name}");
        assert_eq!(back.transport, Transport::Http1, "{name}");
        let stream_ends: Vec<_> = front
            .stream_ends
            .iter()
            .map(|e| {
                (
                    e.by.to_string(),
                    e.kind.frame(),
                    e.error_code.clone(),
                    e.packet,
                )
            })
            .collect();
        let want: Vec<_> = case
            .stream_ends
            .iter()
            .map(|&(by, kind, code, p)| (by.to_string(), kind, code.map(String::from), p))
            .collect();
        assert_eq!(stream_ends, want, "{name}");
        // The two legs, linked both ways, through HAProxy's front port.
        assert_eq!(front.other_leg, Some(back.id), "{name}");
        assert_eq!(back.other_leg, Some(front.id), "{name}");
        for c in [front, back] {
            let l = c.leg.as_ref().expect("a leg");
            assert_eq!(l.proxy.to_string(), front.server.to_string(), "{name}");
            assert_eq!(l.linked_by, case.linked_by, "{name}");
            assert_eq!(l.ended_by.as_deref(), Some(case.ended_by), "{name}");
            assert!(!l.proxy_changed_close, "{name}");
            assert_eq!(l.relayed.len(), case.front.closes.len(), "{name}");
        }
    }
}

/// Without their key log, or with the key log of another Firefox session (its client
/// randoms are not these), each Firefox capture lists its TLS connections as encrypted
/// (no SNI: Firefox sends none for an address) and reports only the plaintext back leg,
/// with the same close frames as with the key log, linked to nothing.
#[test]
fn firefox_captures_without_their_key_log_leave_the_back_leg_alone() {
    let cases = firefox_cases();
    for (k, case) in cases.iter().enumerate() {
        let name = case.name;
        let other = cases[(k + 1) % cases.len()].name;
        for keylogs in [vec![], vec![format!("{other}.keylog")]] {
            let keylogs: Vec<&str> = keylogs.iter().map(String::as_str).collect();
            let r = analyze(&format!("{name}.pcap"), &keylogs);
            let encrypted: Vec<u16> = r
                .seen
                .encrypted
                .iter()
                .map(|e| {
                    e.client
                        .to_string()
                        .rsplit(':')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                })
                .collect();
            // HTTP/1.1: the page's connection and the WebSocket's; h2: one for both.
            let want: Vec<u16> = match case.stream {
                Some(_) => vec![case.front.client_port],
                None => vec![52708, case.front.client_port],
            };
            assert_eq!(encrypted, want, "{name} with {keylogs:?}");
            for e in &r.seen.encrypted {
                assert!(!e.tls.decrypted);
                assert_eq!(e.tls.sni, None);
                assert_eq!(
                    e.tls.not_decrypted.as_deref(),
                    Some("no key for this connection"),
                    "{name} with {keylogs:?}"
                );
            }
            let c = only(&r);
            assert_eq!(client_port(c), case.back.client_port, "{name}");
            assert_eq!(closes(c), case.back.closes, "{name} with {keylogs:?}");
            assert_eq!(c.status.code, Some(case.status), "{name}");
            assert!(c.leg.is_none() && c.other_leg.is_none(), "{name}");
        }
    }
}

/// HAProxy ends the h2 stream of a session whose backend was killed with an empty
/// END_STREAM DATA frame and an RST_STREAM CANCEL in one packet (#41): the 1006's cause
/// and evidence name both, not the END_STREAM alone (which reads as a graceful end).
#[test]
fn a_relayed_end_names_every_frame_the_proxy_ended_the_stream_with() {
    let name = "firefox-haproxy-h2-backend-kill";
    let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
    for c in &r.connections {
        let relayed = "the proxy passed that on 0.3 ms later, closing the client's leg (connection 1) with an END_STREAM and an RST_STREAM CANCEL on h2 stream 5 (packet 41).";
        assert!(c.status.detail.contains(relayed), "{}", c.status.detail);
        let e = c.evidence.as_ref().expect("evidence");
        assert!(
            e.summary.ends_with(
                "with an END_STREAM and an RST_STREAM CANCEL on h2 stream 5 (packet 41)"
            ),
            "{}",
            e.summary
        );
        assert_eq!(e.packets, [38, 41]);
    }
}

/// The Markdown's "Proxied" line of a leg linked by path and timing says how it was linked
/// once, with the evidence, not a short "(linked by path and timing, not by key)" right
/// before the whole sentence saying it again.
#[test]
fn the_markdown_says_once_how_an_h2_leg_was_linked() {
    let name = "firefox-haproxy-h2-backend-close-4001";
    let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
    let md = wsclose::render::markdown::render(&r, &[None]);
    let proxied: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("- **Proxied:**"))
        .collect();
    assert_eq!(proxied.len(), 2, "{md}");
    for line in proxied {
        assert_eq!(line.matches("not by").count(), 1, "{line}");
        assert!(
            line.contains("linked by path, host and timing, not by a key"),
            "{line}"
        );
    }
    assert!(md.contains("- **Proxied:** leg of connection 2 through 127.0.0.1:18472 (the client's leg, to the proxy); ended by the backend;"), "{md}");
}

/// Without the client's key log, a TLS-terminating proxy's back leg is a plaintext
/// WebSocket whose Host names the proxy: the server of connections left encrypted. Its
/// cause (and the table) say it is most likely a back leg, its "client" the proxy, and that
/// the key log would link the legs; with the key log, linked, they say nothing of it; a
/// back leg of a plaintext proxy, or a connection to the address its Host names, neither.
#[test]
fn a_back_leg_whose_client_leg_is_encrypted_says_so() {
    let note = "most likely the back leg of a session through a TLS-terminating proxy, its client the proxy";
    for (name, n) in [
        ("firefox-haproxy-h2-close-1000", 1),
        ("firefox-haproxy-h2-backend-kill", 1),
        ("firefox-haproxy-http1-close-1000", 2),
    ] {
        let r = analyze(&format!("{name}.pcap"), &[]);
        let c = only(&r);
        assert!(
            c.status.detail.contains(note),
            "{name}: {}",
            c.status.detail
        );
        assert!(
            c.status.detail.contains(
                "with the client's key log (--keylog) it would be read and the two legs linked"
            ),
            "{}",
            c.status.detail
        );
        assert_eq!(
            wsclose::diagnose::proxied::encrypted_fronts(c, &r.seen.encrypted),
            n,
            "{name}"
        );
        // The table's brief cell says the cause in its words (no other part of it does).
        let brief = |r: &wsclose::report::Report| {
            let mut out = Vec::new();
            wsclose::render::table::write_detail(
                r,
                Some(250),
                false,
                wsclose::render::table::Detail::Brief,
                &mut out,
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let table = brief(&r);
        assert!(
            table.contains("┆ Its Host header names the server of"),
            "{table}"
        );
        let r = analyze(&format!("{name}.pcap"), &[&format!("{name}.keylog")]);
        for c in &r.connections {
            assert!(
                !c.status.detail.contains(note),
                "{name}: {}",
                c.status.detail
            );
        }
        let table = brief(&r);
        assert!(!table.contains("Its Host header names"), "{table}");
    }
    // Plaintext proxies (legs linked by key, or a lone front leg) and direct wss://.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for f in [
        root.join("proxy/haproxy-backend-close.pcap"),
        root.join("proxy/nginx-idle-60s-front-only.pcap"),
        root.join("tls/chromium-nginx-tls13-close-1000.pcap"),
    ] {
        let mut r = wsclose::analyze_files_with_progress(
            std::slice::from_ref(&f),
            Options::default(),
            &KeySources::default(),
            None,
        )
        .unwrap();
        r.load().unwrap();
        for c in &r.connections {
            assert!(!c.status.detail.contains(note), "{}", f.display());
        }
    }
}
