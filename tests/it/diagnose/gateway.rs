//! Gateways that end or keep a WebSocket themselves, on recorded captures
//! (fixtures/record/proxy/record_gateway.sh): lighttpd 1.4.69's mod_wstunnel (its
//! backend gets only the payloads, over plain TCP) closing with an empty close frame at
//! its server.max-read-idle, keeping a session alive with its own pings and answering a
//! client's close with the malformed text "1000"; Varnish 7.1 piping a WebSocket and
//! ending both legs at its pipe_timeout.

use serde_json::Value;
use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::Options;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn connections(name: &str) -> Vec<Value> {
    let r = wsclose::analyze_files(&[fixture(name)], Options::default()).unwrap();
    r.connections
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

fn kinds(c: &Value) -> Vec<&str> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect()
}

fn cause<'a>(c: &'a Value, kind: &str) -> &'a Value {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {c}"))
}

/// The TCP payload of packet `n` (1-based) of an Ethernet/IPv4 fixture, and its source port.
fn payload(name: &str, n: usize) -> (u16, Vec<u8>) {
    let mut pkts = Vec::new();
    wsclose::__internals::capture::file::read(&fixture(name), &mut |p| pkts.push(p.data.to_vec()))
        .unwrap();
    let d = &pkts[n - 1];
    let ihl = usize::from(d[14] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([d[16], d[17]]));
    let t = 14 + ihl;
    let header = usize::from(d[t + 12] >> 4) * 4;
    (
        u16::from_be_bytes([d[t], d[t + 1]]),
        d[t + header..14 + total].to_vec(),
    )
}

/// lighttpd with server.max-read-idle = 2: "hello" echoed, then quiet; lighttpd sends an
/// empty close frame 3.03 s later (it checks once a second) and FINs both sides. The
/// client logged 1005. The report names lighttpd's read-idle timeout, with the spell.
#[test]
fn lighttpd_read_idle_close_is_named() {
    let name = "proxy/lighttpd-idle.pcap";
    let c = &connections(name)[0];
    assert_eq!(c["status"]["code"], 1005);
    assert_eq!(kinds(c)[0], "empty-close-frame");
    let g = cause(c, "gateway-idle-close");
    assert_eq!(g["gateway"]["library"], "lighttpd");
    assert_eq!(g["gateway"]["version"], "1.4.69");
    assert_eq!(
        (&g["packet"], &g["last_frame_packet"], &g["quiet_s"]),
        (&18.into(), &16.into(), &3.03.into())
    );
    // Packet 18 is lighttpd's (port 18841) close frame with no payload.
    assert_eq!(payload(name, 18), (18841, vec![0x88, 0x00]));
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("came from the gateway itself, lighttpd 1.4.69")
            && words.contains("after 3.030 s of quiet")
            && words.contains("server.max-read-idle"),
        "{words}"
    );
    assert_eq!(c["seen_by"]["client"], 1005);
    // No ping, no close reply of its own: nothing more is said of lighttpd's frames.
    assert!(!kinds(c).contains(&"gateway-frames"), "{c}");
}

/// lighttpd with server.max-read-idle = 2 and wstunnel.ping-interval = 1: its pings
/// (answered by the client) keep the session past 2 s of quiet; the client's 1000 is
/// answered with the text "1000" (read as code 12592), so the client's library saw 1006:
/// the report says so and names no idle close.
#[test]
fn lighttpd_pings_keep_a_session_and_its_close_reply_is_malformed() {
    let name = "proxy/lighttpd-ping.pcap";
    let c = &connections(name)[0];
    assert_eq!(c["frames"]["server"]["pings"], 2);
    assert_eq!(c["frames"]["client"]["pongs"], 2);
    assert!(!kinds(c).contains(&"gateway-idle-close"), "{c}");
    let closes = c["close_frames"].as_array().unwrap();
    assert_eq!(
        (&closes[0]["from"], &closes[0]["code"], &closes[0]["packet"]),
        (&"client".into(), &1000.into(), &22.into())
    );
    assert_eq!(
        (&closes[1]["from"], &closes[1]["code"], &closes[1]["packet"]),
        (&"server".into(), &12592.into(), &25.into())
    );
    assert_eq!(closes[1]["problems"], serde_json::json!(["code-invalid"]));
    // Its payload is the text "1000".
    assert_eq!(payload(name, 25), (18842, b"\x88\x041000".to_vec()));
    assert_eq!(c["seen_by"]["client"], 1006);
    // Both are lighttpd's own frames, and the report says so.
    let g = cause(c, "gateway-frames");
    assert_eq!(
        (&g["pings"], &g["last_ping"], &g["text_1000_reply"]),
        (&2.into(), &24.into(), &25.into())
    );
    assert_eq!(g["gateway"]["library"], "lighttpd");
    let words = c["status"]["cause"].as_str().unwrap();
    assert!(
        words.contains("whose payload is the text \"1000\"")
            && words.contains("so the client's library reports 1006")
            && words
                .contains("The server's 2 pings (the last at packet 24) are lighttpd 1.4.69's own"),
        "{words}"
    );
}

/// Varnish (return (pipe), pipe_timeout = 2), with a Python websockets client and backend
/// and with Node ws ones: both legs linked, ended by Varnish after 2.0 s of quiet, as its
/// idle timeout. Varnish names itself only on the request it sends the backend (its
/// `X-Varnish`, a transaction id; the 101 it pipes back is the backend's, `Server:
/// Python/3.11 websockets/17.4` or none), so that is where the product is read: Varnish
/// and its pipe_timeout, no other product's setting.
#[test]
fn varnish_pipe_timeout_ends_both_legs() {
    for name in ["proxy/varnish-pipe.pcap", "proxy/varnish-pipe-node.pcap"] {
        let cs = connections(name);
        assert_eq!(cs.len(), 2);
        for c in &cs {
            assert_eq!(c["status"]["code"], 1006);
            let t = cause(c, "proxy-idle-timeout");
            let quiet = t["legs"]["quiet_ms"].as_f64().unwrap();
            assert!((2000.0..2010.0).contains(&quiet), "{quiet}");
            assert_eq!(
                t["proxy_product"],
                serde_json::json!({"product": "varnish", "version": null, "header": "x-varnish"}),
                "{name}"
            );
            assert!(c["handshake"].get("proxy_product").is_none(), "{c}");
            let words = c["status"]["cause"].as_str().unwrap();
            for said in [
                "an idle timeout of that length (2 s)",
                "The proxy names itself in the request it sent the backend (its X-Varnish, which the client's request does not carry): Varnish, whose setting for that is pipe_timeout (default 60 s)",
            ] {
                assert!(words.contains(said), "{name}: {said}: {words}");
            }
            // Its own setting in the fix, not the usual proxies' list.
            let fix = c["status"]["fix"].as_str().unwrap();
            assert!(fix.contains("raise Varnish's pipe_timeout"), "{fix}");
            assert!(!fix.contains("HAProxy timeout tunnel"), "{fix}");
        }
        // The mark is on the back leg's request only (the backend's port is 18943, 18944).
        let marked: Vec<&str> = cs
            .iter()
            .filter(|c| c["handshake"]["request_proxy_product"]["product"] == "varnish")
            .map(|c| c["server"].as_str().unwrap())
            .collect();
        assert_eq!(marked.len(), 1, "{name}");
        assert!(
            marked[0].ends_with(":18943") || marked[0].ends_with(":18944"),
            "{marked:?}"
        );
    }
}

/// The lighttpd rules hold for lighttpd only, and say so (issue 105 item 6): its idle
/// close and its own frames are mod_wstunnel's behaviour, which no other server is known
/// to share. The same two captures with the 101's `Server: lighttpd` made another name
/// (as long) name no gateway: the empty close frame and the text "1000" are then said as
/// what they are, with no product's setting.
#[test]
fn the_gateway_rules_are_lighttpds_and_need_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["proxy/lighttpd-idle.pcap", "proxy/lighttpd-ping.pcap"] {
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        let at = bytes
            .windows(16)
            .position(|w| w == b"Server: lighttpd")
            .unwrap();
        bytes[at + 8..at + 16].copy_from_slice(b"otherweb");
        let path = dir.path().join("renamed.pcap");
        std::fs::write(&path, bytes).unwrap();
        let r = wsclose::analyze_files(&[path], Options::default()).unwrap();
        let c = serde_json::to_value(&r.connections[0]).unwrap();
        let k = kinds(&c);
        assert!(
            !k.contains(&"gateway-idle-close") && !k.contains(&"gateway-frames"),
            "{name}: {k:?}"
        );
        let words = format!("{} {}", c["status"]["cause"], c["status"]["fix"]);
        assert!(
            !words.contains("lighttpd") && !words.contains("mod_wstunnel"),
            "{name}: {words}"
        );
        // The named capture's words name lighttpd, the product they were read from.
        let named = &connections(name)[0];
        let words = format!("{} {}", named["status"]["cause"], named["status"]["fix"]);
        assert!(words.contains("lighttpd"), "{name}: {words}");
    }
}

/// The same capture with its `X-Varnish` made something Varnish never writes there (not a
/// transaction id), or with the client's own request carrying one too (a Varnish before
/// this proxy: the mark was passed on, not added): no product is named, only the spell and
/// the candidates.
#[test]
fn an_x_varnish_that_is_no_transaction_id_or_was_passed_on_names_no_product() {
    let bytes = std::fs::read(fixture("proxy/varnish-pipe.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let find = |b: &[u8], what: &[u8]| b.windows(what.len()).position(|w| w == what).unwrap();
    // Not a transaction id.
    let mut odd = bytes.clone();
    let at = find(&odd, b"X-Varnish: 2\r\n");
    odd[at + 11] = b'<';
    // The client's request (the first with a User-Agent) carrying an X-Varnish too, in
    // place of the same number of bytes of its User-Agent line.
    let mut passed = bytes.clone();
    let ua = b"User-Agent: Python/3.11 websock";
    let at = find(&passed, ua);
    let mut with = b"X-Varnish: 7\r\nX-A: ".to_vec();
    with.resize(ua.len(), b'P');
    passed[at..at + ua.len()].copy_from_slice(&with);
    for (name, pcap) in [("odd.pcap", odd), ("passed.pcap", passed)] {
        let path = dir.path().join(name);
        std::fs::write(&path, pcap).unwrap();
        let r = wsclose::analyze_files(&[path], Options::default()).unwrap();
        assert_eq!(r.connections.len(), 2, "{name}");
        for c in &r.connections {
            let c = serde_json::to_value(c).unwrap();
            let t = cause(&c, "proxy-idle-timeout");
            assert!(t["proxy_product"].is_null(), "{name}: {t}");
            let words = c["status"]["cause"].as_str().unwrap();
            assert!(!words.contains("names itself"), "{name}: {words}");
            assert!(words.contains("an idle timeout of that length (2 s)"));
            let fix = c["status"]["fix"].as_str().unwrap();
            assert!(fix.contains("HAProxy timeout tunnel"), "{fix}");
        }
    }
}

/// stunnel 5.68 terminating TLS in front of a plaintext backend killed with SIGKILL
/// (record_stunnel.sh): the backend's leg ends with a bare FIN, and stunnel closes the
/// client's TLS in order (close_notify) before its FIN, so the client's TLS library sees
/// a clean end while its WebSocket sees 1006. The relayed end names that close_notify and
/// says it tells nothing of how the backend ended (issue 60: "stunnel turns a backend crash
/// into a clean TLS close_notify").
#[test]
fn stunnel_closes_tls_in_order_for_a_backend_that_was_killed() {
    let name = "proxy/stunnel-backend-kill";
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json", "--keylog"])
        .arg(fixture(&format!("{name}.keylog")))
        .arg(fixture(&format!("{name}.pcap")))
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    let front = conns
        .iter()
        .find(|c| c["tls"].is_object())
        .expect("the client's leg is TLS");
    let notify = front["tls"]["close_notify"]["server"]
        .as_u64()
        .expect("stunnel sent close_notify");
    for c in conns {
        assert_eq!(c["status"]["code"], 1006, "{c}");
        assert_eq!(kinds(c), ["relayed-end"], "{c}");
        let k = cause(c, "relayed-end");
        assert_eq!(k["app"], "server");
        assert_eq!(k["close_notify"], notify, "{k}");
        let text = c["status"]["cause"].as_str().unwrap();
        assert!(
            text.contains(&format!(
                "with a TLS close_notify (packet {notify}), then a FIN"
            )) && text.contains("says nothing of how the backend ended"),
            "{text}"
        );
    }
}
