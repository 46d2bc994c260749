//! WebSockets through a forward proxy's CONNECT tunnel (issue 60), on the captures recorded
//! through Squid 5.7 (fixtures/connect/, fixtures/record/connect/) with two client
//! implementations that open the tunnel themselves (Python websockets 17.4's proxy support,
//! Node 20's http.request CONNECT under ws 8.23): the client's leg is reported with the
//! tunnel's target (ws:// inside, and wss:// read with the client's key log), linked to the
//! proxy's leg to that target; a refused CONNECT is a refusal with the proxy's status and
//! page, no close code; a tunnel the proxy ended for being idle is named so, with the
//! spell's length, and Squid's read_timeout only as a candidate (its answer names no
//! product). Through tinyproxy 1.11.1 and Apache httpd 2.4.71 (mod_proxy_connect), whose
//! answers name them (`Proxy-agent`), the product and its own setting are named.

use crate::common;
use crate::common::run;

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/connect")
        .join(name)
}

/// `wsclose analyze` of `name`.pcap (with its key log when there is one), in `format`.
fn analyze(name: &str, format: &str) -> Vec<u8> {
    let keylog = fixture(&format!("{name}.keylog"));
    let mut cmd = Command::cargo_bin("wsclose").unwrap();
    cmd.args(["analyze", "--format", format]);
    if keylog.exists() {
        cmd.arg("--keylog").arg(keylog);
    }
    let out = cmd.arg(fixture(&format!("{name}.pcap"))).output().unwrap();
    run::stdout_of(out)
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&analyze(name, "json")).unwrap()
}

fn port(addr: &Value) -> u16 {
    addr.as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The two legs of the one session of a tunnel capture, front first, checked: the front
/// leg's tunnel goes through its server (the proxy, `proxy`) to the back leg's server
/// (`target`), which is what the CONNECT named, and the two are linked by key and CONNECT.
fn legs(r: &Value, proxy: u16, target: u16) -> (Value, Value) {
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2, "{conns:#?}");
    let front = conns
        .iter()
        .find(|c| c["tunnel"].is_object())
        .expect("the client's leg");
    let back = conns
        .iter()
        .find(|c| c["tunnel"].is_null())
        .expect("the proxy's leg");
    let t = &front["tunnel"];
    assert_eq!(t["status"], 200);
    // Squid's and tinyproxy's phrase; Apache httpd capitalises it.
    assert!(
        t["reason"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("Connection established"),
        "{t}"
    );
    assert_eq!(t["target"], format!("127.0.0.1:{target}"));
    assert_eq!(t["proxy"], front["server"]);
    assert_eq!(port(&front["server"]), proxy);
    assert_eq!(port(&back["server"]), target);
    assert!(t["request_packet"].as_u64() < t["response_packet"].as_u64());
    // The tunnel's bytes were read: the WebSocket's upgrade came after the 200.
    assert!(front["handshake"]["request_packet"].as_u64() > t["response_packet"].as_u64());
    for (leg, side, other) in [(front, "front", back), (back, "back", front)] {
        assert_eq!(leg["other_leg"], other["id"]);
        assert_eq!(leg["leg"]["side"], side);
        assert_eq!(
            leg["leg"]["linked_by"],
            "sec_websocket_key_and_connect_target"
        );
        assert_eq!(leg["leg"]["proxy"], front["server"]);
    }
    let evidence = front["leg"]["link_evidence"].as_str().unwrap();
    assert!(
        evidence.contains(&format!("127.0.0.1:{target}")),
        "{evidence}"
    );
    (front.clone(), back.clone())
}

fn close_codes(c: &Value) -> Vec<(String, u64)> {
    c["close_frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_string(),
                f["code"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn plaintext_websocket_inside_a_tunnel_python() {
    let r = json("squid-connect-ws-py");
    let (front, back) = legs(&r, 18960, 18970);
    for leg in [&front, &back] {
        assert_eq!(
            close_codes(leg),
            [("client".to_string(), 1000), ("server".to_string(), 1000)]
        );
        assert_eq!(leg["status"]["code"], 1000);
        assert_eq!(leg["handshake"]["path"], "/ws-close");
    }
    assert!(front["tls"].is_null());
}

#[test]
fn wss_inside_a_tunnel_read_with_the_key_log_node_and_python() {
    for (name, proxy, target) in [
        ("squid-connect-wss-node", 18961, 18971),
        ("squid-connect-wss-py", 18962, 18972),
    ] {
        let r = json(name);
        let (front, back) = legs(&r, proxy, target);
        for leg in [&front, &back] {
            assert_eq!(leg["tls"]["decrypted"], true, "{name}");
            assert_eq!(leg["tls"]["sni"], "localhost", "{name}");
            assert_eq!(leg["status"]["code"], 4001, "{name}");
            assert_eq!(close_codes(leg)[0], ("server".to_string(), 4001), "{name}");
        }
    }
}

#[test]
fn a_refused_connect_is_a_refusal_with_the_proxys_status_and_page() {
    // Python websockets names itself in the CONNECT's User-Agent: a refused WebSocket.
    let (name, status, reason, words) = (
        "squid-connect-refused-503-py",
        503,
        "Service Unavailable",
        "Connection to 127.0.0.1 failed. The system returned: (111) Connection refused",
    );
    let r = json(name);
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{name}");
    let c = &conns[0];
    let t = &c["tunnel"];
    assert_eq!(t["status"], status, "{name}");
    assert_eq!(t["reason"], reason, "{name}");
    let body = t["body"].as_str().unwrap();
    assert!(body.contains(words), "{name}: {body}");
    assert!(!body.contains('<'), "{name}: tags left in {body}");
    assert!(body.len() <= 300 + '…'.len_utf8(), "{name}");
    // No close code: a refusal, counted as one.
    assert!(c["status"]["code"].is_null(), "{name}");
    assert_eq!(c["status"]["name"], "Tunnel refused", "{name}");
    let cause = &c["status"]["causes"][0];
    assert_eq!(cause["kind"], "tunnel-refused", "{name}");
    assert_eq!(cause["http_status"], status, "{name}");
    assert_eq!(cause["packet"], t["response_packet"], "{name}");
    assert!(c["close_frames"].as_array().unwrap().is_empty());
    assert!(c["seen_by"]["client"].is_null() && c["seen_by"]["server"].is_null());
    assert_eq!(r["summary"]["by_status"]["refused"], 1, "{name}");
    // The table says it too, with the page's words.
    let table = String::from_utf8(analyze(name, "markdown")).unwrap();
    assert!(table.contains("refused by the forward proxy"), "{table}");
    assert!(
        table.contains(&format!("HTTP {status} {reason}")),
        "{table}"
    );
    // Node's CONNECT (no User-Agent, nothing sent before the answer) shows nothing of a
    // WebSocket: its refusal is counted apart, not reported as a refused WebSocket.
    let pcap = fixture("squid-connect-refused-403-node.pcap");
    let (out, err, code) = run::wsclose(&["analyze", "--format", "json", pcap.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert!(r["connections"].as_array().unwrap().is_empty());
    assert_eq!(r["seen"]["refused_tunnels"], 1);
    assert!(
        err.contains("1 CONNECT tunnel refused by a forward proxy"),
        "{err}"
    );
}

#[test]
fn a_tunnel_the_proxy_ended_for_being_idle_names_the_spell_and_squid_only_as_a_candidate() {
    for (name, proxy, target) in [
        ("squid-connect-idle-py", 18965, 18975),
        ("squid-connect-idle-node", 18966, 18976),
    ] {
        let r = json(name);
        let (front, back) = legs(&r, proxy, target);
        for leg in [&front, &back] {
            assert_eq!(leg["status"]["code"], 1006, "{name}");
            let cause = &leg["status"]["causes"][0];
            assert_eq!(cause["kind"], "tunnel-idle-timeout", "{name}");
            // read_timeout 3 seconds; Squid's timer runs once a second.
            let quiet = cause["legs"]["quiet_ms"].as_f64().unwrap();
            assert!((3000.0..4100.0).contains(&quiet), "{name}: {quiet}");
            assert_eq!(cause["legs"]["front_end"]["name"], "FIN");
            assert_eq!(cause["legs"]["back_end"]["name"], "FIN");
            let words = leg["status"]["cause"].as_str().unwrap();
            // Squid's answer names no product (no Server, Via or Proxy-agent): the
            // timeout is the proxy's, Squid's setting only a candidate (issue 69 item 1).
            assert!(
                words.contains("the proxy's tunnel idle timeout"),
                "{name}: {words}"
            );
            assert!(
                words.contains("does not name the proxy's product"),
                "{name}: {words}"
            );
            assert!(!words.contains("Squid ends"), "{name}: {words}");
            assert!(words.contains("Squid's read_timeout"), "{name}: {words}");
            assert!(words.contains("fits a timeout of 3 s"), "{name}: {words}");
            // The other usual forward proxies' settings are candidates too.
            assert!(words.contains("tinyproxy's Timeout"), "{name}: {words}");
            assert!(cause["proxy_product"].is_null(), "{name}");
        }
        assert!(front["tunnel"]["proxy_product"].is_null(), "{name}");
        // The proxy ended both legs: the client's by its server side, the backend's by
        // its client side.
        assert_eq!(front["tcp_ends"][0]["by"], "server");
        assert_eq!(back["tcp_ends"][0]["by"], "client");
    }
}

#[test]
fn a_tunnel_ended_by_a_proxy_that_names_itself_names_its_product_and_setting() {
    // tinyproxy 1.11.1 and Apache httpd 2.4.71's mod_proxy_connect answer a CONNECT with
    // Proxy-agent; each ran with its idle timeout (Timeout) at 3 s (issue 69 item 1).
    for (name, proxy, target, product, version, setting) in [
        (
            "tinyproxy-connect-idle-py",
            18967,
            18977,
            "tinyproxy",
            "1.11.1",
            "Timeout",
        ),
        (
            "tinyproxy-connect-idle-node",
            18968,
            18978,
            "tinyproxy",
            "1.11.1",
            "Timeout",
        ),
        (
            "apache-connect-idle-py",
            18969,
            18979,
            "apache-httpd",
            "2.4.71",
            "Timeout / ProxyTimeout",
        ),
        (
            "apache-connect-idle-node",
            18957,
            18987,
            "apache-httpd",
            "2.4.71",
            "Timeout / ProxyTimeout",
        ),
    ] {
        let r = json(name);
        let (front, back) = legs(&r, proxy, target);
        let named = &front["tunnel"]["proxy_product"];
        assert_eq!(named["product"], product, "{name}");
        assert_eq!(named["version"], version, "{name}");
        assert_eq!(named["header"], "proxy-agent", "{name}");
        let shown = if product == "tinyproxy" {
            "tinyproxy 1.11.1"
        } else {
            "Apache httpd 2.4.71"
        };
        for leg in [&front, &back] {
            assert_eq!(leg["status"]["code"], 1006, "{name}");
            let cause = &leg["status"]["causes"][0];
            assert_eq!(cause["kind"], "tunnel-idle-timeout", "{name}");
            assert_eq!(&cause["proxy_product"], named, "{name}");
            let quiet = cause["legs"]["quiet_ms"].as_f64().unwrap();
            assert!((3000.0..4100.0).contains(&quiet), "{name}: {quiet}");
            let words = leg["status"]["cause"].as_str().unwrap();
            assert!(
                words.contains(&format!(
                    "names itself in its CONNECT answer's Proxy-agent: {shown}, whose setting for that is {setting}"
                )),
                "{name}: {words}"
            );
            assert!(
                words.contains(&format!("fits a {setting} of 3 s")),
                "{name}: {words}"
            );
            // Named, it is no candidate among others: no other product's setting.
            assert!(!words.contains("does not name"), "{name}: {words}");
            assert!(!words.contains("Squid's read_timeout"), "{name}: {words}");
            assert!(!words.contains("Squid"), "{name}: {words}");
            let fix = leg["status"]["fix"].as_str().unwrap();
            let owner = shown.rsplit_once(' ').unwrap().0;
            assert!(
                fix.contains(&format!("raise {owner}'s {setting}")),
                "{name}: {fix}"
            );
            assert!(!fix.contains("Squid"), "{name}: {fix}");
        }
        let ev = front["evidence"]["summary"].as_str().unwrap();
        assert!(
            ev.ends_with(&format!("({shown}: {setting})")),
            "{name}: {ev}"
        );
    }
}

/// The report of one tunnel whose 200 carries `headers` (sent split at `cuts`), with a
/// WebSocket closed 1000 inside.
fn tunnel_answered(headers: &str, cuts: &[usize]) -> wsclose::report::Report {
    use common::Session;
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(42021, 8888);
    s.handshake();
    s.send(Client, &connect_request(false));
    let answer = format!("HTTP/1.0 200 Connection established\r\n{headers}\r\n");
    s.send_split(Server, answer.as_bytes(), cuts);
    s.send(Client, &common::request());
    s.send(Server, &common::response(false));
    s.send(Client, &common::close(Client, 1000, "bye"));
    s.send(Server, &common::close(Server, 1000, "bye"));
    s.fins(Client);
    s.analyze()
}

/// The product, version and header the one tunnel of `r` names, as JSON writes them.
fn named(r: &wsclose::report::Report) -> Option<(String, Option<String>, String)> {
    assert_eq!(r.connections.len(), 1, "{:#?}", r.connections);
    let t = r.connections[0].tunnel.as_ref().expect("its tunnel");
    assert_eq!(t.status, Some(200));
    let p = serde_json::to_value(t.proxy_product.as_ref()?).unwrap();
    Some((
        p["product"].as_str()?.to_string(),
        p["version"].as_str().map(str::to_string),
        p["header"].as_str()?.to_string(),
    ))
}

#[test]
fn the_connect_answers_product_is_read_however_the_segments_cut_it() {
    let headers = "Via: 1.1 gw (squid/5.7)\r\nProxy-agent: tinyproxy/1.11.1\r\nServer: nginx\r\n";
    let want = Some((
        "tinyproxy".into(),
        Some("1.11.1".into()),
        "proxy-agent".into(),
    ));
    let len = "HTTP/1.0 200 Connection established\r\n".len() + headers.len() + 2;
    // Proxy-agent names it before Server and Via, whatever their order; at every cut.
    for cut in 1..len {
        assert_eq!(
            named(&tunnel_answered(headers, &[cut])),
            want,
            "cut at {cut}"
        );
    }
    let every: Vec<usize> = (1..len).collect();
    assert_eq!(named(&tunnel_answered(headers, &every)), want);
    // Without Proxy-agent, Server before Via; without either, Via's comment.
    assert_eq!(
        named(&tunnel_answered(
            "Via: 1.1 gw (squid/5.7)\r\nServer: Apache/2.4.71 (Debian)\r\n",
            &[]
        )),
        Some((
            "apache-httpd".into(),
            Some("2.4.71".into()),
            "server".into()
        ))
    );
    assert_eq!(
        named(&tunnel_answered("Via: 1.1 gw (squid/5.7)\r\n", &[])),
        Some(("squid".into(), Some("5.7".into()), "via".into()))
    );
    // A product wsclose does not know, or none: nothing named (Squid's own 200).
    assert_eq!(
        named(&tunnel_answered("Proxy-agent: MyProxy/2.0\r\n", &[])),
        None
    );
    assert_eq!(named(&tunnel_answered("", &[])), None);
}

#[test]
fn a_hostile_proxy_agent_keeps_only_the_product() {
    let hostile =
        "Proxy-agent: tinyproxy/1.11<script>alert(1)</script>\x1b[2J\u{202e}secret-token\r\n";
    let r = tunnel_answered(hostile, &[]);
    assert_eq!(
        named(&r),
        Some(("tinyproxy".into(), None, "proxy-agent".into()))
    );
    let json = serde_json::to_string(&r.connections[0].tunnel).unwrap();
    for wire in ["script", "secret-token", "\\u001b", "1.11"] {
        assert!(!json.contains(wire), "{wire} in {json}");
    }
}

#[test]
fn the_clients_leg_alone_is_reported_with_its_tunnel() {
    // What a capture on the client's machine holds: before the CONNECT layer, nothing.
    let r = json("squid-connect-idle-py-front-only");
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1);
    let c = &conns[0];
    assert_eq!(c["tunnel"]["target"], "127.0.0.1:18975");
    assert_eq!(c["tunnel"]["status"], 200);
    assert_eq!(port(&c["server"]), 18965);
    assert_eq!(c["handshake"]["path"], "/idle");
    assert!(c["other_leg"].is_null());
    assert_eq!(c["status"]["code"], 1006);
    assert_eq!(c["tcp_ends"][0]["by"], "server");
    let quiet = c["idle_before_end_s"].as_f64().unwrap();
    assert!((3.0..4.1).contains(&quiet), "{quiet}");
}

#[test]
fn the_table_names_the_forward_proxy_and_the_target() {
    let table = String::from_utf8(analyze("squid-connect-ws-py", "markdown")).unwrap();
    assert!(
        table.contains("through the forward proxy 127.0.0.1:18960 to 127.0.0.1:18970 (CONNECT)"),
        "{table}"
    );
}

/// A control byte, or a character that reorders text, left raw.
fn raw_control(c: char) -> bool {
    c.is_control() && c != '\n' || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn a_hostile_target_and_refusal_page_are_shown_inert() {
    use common::Session;
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(42010, 3128);
    s.handshake();
    s.send(
        Client,
        "CONNECT evil\u{202e}gnp.example:443 HTTP/1.1\r\nHost: x\r\nUser-Agent: websockets/17.4\r\n\r\n"
            .as_bytes(),
    );
    let page = "denied \x1b]0;pwned\x07 \u{202e}gnp.exe";
    let answer = format!(
        "HTTP/1.1 403 Forbidden\u{202e}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{page}",
        page.len()
    );
    s.send(Server, answer.as_bytes());
    s.fins(Client);
    let r = s.analyze();
    let c = common::only(&r);
    // httparse refuses control bytes in a request line or a reason phrase (RFC 9112
    // §3, §4): those come from the wire only in the body and in UTF-8 text.
    let t = c.tunnel.as_ref().expect("its tunnel");
    assert_eq!(t.status, Some(403));
    assert!(t.target.contains('\u{202e}'), "kept as sent in the model");
    assert!(t.body.as_deref().is_some_and(|b| b.contains('\x1b')));
    for (name, out) in [
        (
            "table",
            wsclose::render::table::render(&r, Some(100), false),
        ),
        ("markdown", wsclose::render::markdown::render(&r, &[None])),
    ] {
        let raw: Vec<char> = out.chars().filter(|&c| raw_control(c)).collect();
        assert!(raw.is_empty(), "{name}: raw {raw:?} in\n{out}");
        assert!(out.contains("Tunnel refused"), "{name}:\n{out}");
        assert!(out.contains("x1b"), "{name}: the escape shown:\n{out}");
    }
}

/// A CONNECT (with credentials when `auth`) from the client of `s`.
fn connect_request(auth: bool) -> Vec<u8> {
    let creds = if auth {
        "Proxy-Authorization: Basic dTpw\r\n"
    } else {
        ""
    };
    format!("CONNECT 10.9.9.9:8080 HTTP/1.1\r\nHost: 10.9.9.9:8080\r\n{creds}\r\n").into_bytes()
}

/// A `407` whose body is chunked (RFC 9112 §7.1: extensions, a trailer), keep-alive.
const CHUNKED_407: &[u8] = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n7;lang=en\r\nlog in \r\nB\r\nfirst, 0\r\n\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n";

/// A tunnel refused by `refusal` (sent split at `cuts`), asked again with credentials and
/// opened, carrying a WebSocket closed 1000 by its client.
fn tunnel_after(refusal: &[u8], cuts: &[usize]) -> wsclose::report::Report {
    use common::Session;
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(42020, 3128);
    s.handshake();
    s.send(Client, &connect_request(false));
    s.send_split(Server, refusal, cuts);
    s.send(Client, &connect_request(true));
    s.send(Server, b"HTTP/1.1 200 Connection established\r\n\r\n");
    s.send(Client, &common::request());
    s.send(Server, &common::response(false));
    s.send(Client, &common::close(Client, 1000, "bye"));
    s.send(Server, &common::close(Server, 1000, "bye"));
    s.fins(Client);
    s.analyze()
}

/// The report of [`tunnel_after`]: one WebSocket through the tunnel, the 407 before it.
fn assert_opened_after_407(r: &wsclose::report::Report, what: &str) {
    assert_eq!(r.connections.len(), 1, "{what}: {:#?}", r.connections);
    let c = &r.connections[0];
    let t = c.tunnel.as_ref().expect("its tunnel");
    assert_eq!(t.status, Some(200), "{what}");
    assert_eq!(t.target, "10.9.9.9:8080", "{what}");
    assert_eq!(t.earlier.len(), 1, "{what}");
    assert_eq!(t.earlier[0].status, 407, "{what}");
    assert_eq!(c.status.code, Some(1000), "{what}");
    assert_eq!(c.close_frames.len(), 2, "{what}");
}

#[test]
fn a_chunked_407_then_an_accepted_retry_opens_the_tunnel() {
    // In one segment, then split across segments at every byte of the answer.
    assert_opened_after_407(&tunnel_after(CHUNKED_407, &[]), "whole");
    for i in 1..CHUNKED_407.len() {
        assert_opened_after_407(&tunnel_after(CHUNKED_407, &[i]), &format!("cut at {i}"));
    }
    let every: Vec<usize> = (1..CHUNKED_407.len()).collect();
    assert_opened_after_407(&tunnel_after(CHUNKED_407, &every), "a byte per segment");
    // Transfer-Encoding wins over a Content-Length that would end the body too early.
    let both = String::from_utf8(CHUNKED_407.to_vec())
        .unwrap()
        .replace("Connection:", "Content-Length: 3\r\nConnection:");
    assert_opened_after_407(&tunnel_after(both.as_bytes(), &[200]), "both fields");
    // A Content-Length body, as before.
    let page = "log in first";
    let framed = format!(
        "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: {}\r\n\r\n{page}",
        page.len()
    );
    assert_opened_after_407(&tunnel_after(framed.as_bytes(), &[60]), "content-length");
}

/// `pkts` written as a pcap (1 ms apart, in order) in a fresh temporary directory.
fn pcap_of(pkts: &[common::Pkt]) -> (tempfile::TempDir, PathBuf) {
    use wsclose::__internals::capture::write::PcapWriter;
    use wsclose::vocab::{LinkType, Timestamp};
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for (i, p) in pkts.iter().enumerate() {
        let ts = Timestamp(common::T0.0 + i as i64 * 1_000_000);
        w.packet(ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("connects.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    (dir, path)
}

/// A CONNECT to `target` from client port `port`, with `agent` as its User-Agent and
/// `ahead` sent before the answer, refused `403` by the proxy; both close.
fn denied(port: u16, target: &str, agent: &str, ahead: &[u8]) -> Vec<common::Pkt> {
    use common::Session;
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(port, 3128);
    s.handshake();
    s.send(
        Client,
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {agent}\r\n\r\n")
            .as_bytes(),
    );
    if !ahead.is_empty() {
        s.send(Client, ahead);
    }
    s.send(
        Server,
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\ndenied",
    );
    s.fins(Client);
    s.pkts
}

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[test]
fn denied_connects_that_show_no_websocket_are_counted_apart() {
    let mut pkts = Vec::new();
    for k in 0..20 {
        pkts.extend(denied(
            41000 + k,
            &format!("site{k}.example:443"),
            BROWSER,
            b"",
        ));
    }
    let (_dir, browsers) = pcap_of(&pkts);
    let browsers = browsers.to_str().unwrap();
    // Nothing there is a WebSocket: none reported, none refused, --fail-on does not fire.
    let (out, err, code) = run::wsclose(&[
        "analyze",
        "--format",
        "json",
        "--fail-on",
        "refused",
        browsers,
    ]);
    assert_eq!(code, Some(1), "{err}");
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["connections"].as_array().unwrap().len(), 0);
    assert!(r["summary"]["by_status"].get("refused").is_none(), "{r:#}");
    assert_eq!(r["seen"]["refused_tunnels"], 20);
    assert!(
        err.contains("20 CONNECT tunnels refused by a forward proxy"),
        "{err}"
    );
    // A WebSocket client's CONNECT (its User-Agent names the library), and one whose
    // client sent its upgrade before the answer, are refused WebSockets; the others stay
    // apart.
    pkts.extend(denied(
        42000,
        "ws.example:443",
        "Python/3.11 websockets/17.4",
        b"",
    ));
    let upgrade = b"GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    pkts.extend(denied(42001, "ws.example:80", BROWSER, upgrade));
    let (_dir, mixed) = pcap_of(&pkts);
    let mixed = mixed.to_str().unwrap();
    let (out, err, code) =
        run::wsclose(&["analyze", "--format", "json", "--fail-on", "refused", mixed]);
    assert_eq!(code, Some(5), "{err}");
    let r: Value = serde_json::from_slice(&out).unwrap();
    let conns = r["connections"].as_array().unwrap();
    let targets: Vec<&str> = conns
        .iter()
        .map(|c| c["tunnel"]["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["ws.example:443", "ws.example:80"]);
    assert_eq!(r["summary"]["by_status"]["refused"], 2);
    assert_eq!(r["seen"]["refused_tunnels"], 20);
    // The table and Markdown say what was left apart.
    for format in ["table", "markdown"] {
        let (out, err, code) = run::wsclose(&["analyze", "--format", format, mixed]);
        assert_eq!(code, Some(0), "{err}");
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("2 WebSocket connections"), "{format}: {out}");
        assert!(
            out.contains("20 CONNECT tunnels refused, not WebSocket"),
            "{format}: {out}"
        );
    }
}

#[test]
fn redaction_names_the_connect_target_in_the_link_evidence_too() {
    // Every address of the capture is 127.0.0.1: none may be left, in any format, and the
    // evidence names the target by the tunnel's pseudonym.
    for name in ["squid-connect-ws-py", "squid-connect-wss-node"] {
        let pcap = fixture(&format!("{name}.pcap"));
        let keylog = fixture(&format!("{name}.keylog"));
        let mut outs = Vec::new();
        for format in ["json", "markdown", "html", "table", "csv"] {
            let mut args = vec!["analyze", "--redact", "--format", format];
            if keylog.exists() {
                args.extend(["--keylog", keylog.to_str().unwrap()]);
            }
            args.push(pcap.to_str().unwrap());
            let (out, err, code) = run::wsclose(&args);
            assert_eq!(code, Some(0), "{name} {format}: {err}");
            let out = String::from_utf8(out).unwrap();
            assert!(!out.contains("127.0.0.1"), "{name} {format}: {out}");
            if format != "csv" {
                assert!(out.contains("CONNECT"), "{name} {format}: {out}");
            }
            outs.push(out);
        }
        let r: Value = serde_json::from_str(&outs[0]).unwrap();
        let front = r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["tunnel"].is_object())
            .expect("the front leg");
        let target = front["tunnel"]["target"].as_str().unwrap();
        assert!(target.starts_with("host-"), "{name}: {target}");
        for c in r["connections"].as_array().unwrap() {
            let evidence = c["leg"]["link_evidence"].as_str().unwrap();
            assert!(
                evidence.contains(&format!("its target, {target},")),
                "{name}: {evidence}"
            );
        }
        // Markdown and HTML say the evidence with that name.
        for out in &outs[1..3] {
            assert!(out.contains(&format!("its target, {target},")), "{name}");
        }
    }
}

#[test]
fn a_proxys_long_reason_phrase_is_cut_as_other_wire_text() {
    use common::Session;
    use wsclose::vocab::Role::{Client, Server};
    let refusal = |reason: &str| {
        let mut s = Session::new(42030, 3128);
        s.handshake();
        s.send(
            Client,
            b"CONNECT ws.example:443 HTTP/1.1\r\nHost: ws.example:443\r\nUser-Agent: websockets/17.4\r\n\r\n",
        );
        s.send(
            Server,
            format!("HTTP/1.1 403 {reason}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        );
        s.fins(Client);
        let (_dir, pcap) = pcap_of(&s.pkts);
        let table = |format: &str| {
            let (out, err, code) =
                run::wsclose(&["analyze", "--format", format, pcap.to_str().unwrap()]);
            assert_eq!(code, Some(0), "{err}");
            String::from_utf8(out).unwrap()
        };
        let r: Value = serde_json::from_str(&table("json")).unwrap();
        let reason = r["connections"][0]["tunnel"]["reason"]
            .as_str()
            .unwrap()
            .to_string();
        (reason, table("table").lines().count(), table("markdown"))
    };
    let (short, short_lines, _) = refusal("Forbidden");
    assert_eq!(short, "Forbidden");
    let long = format!("Forbidden {}", "by policy ".repeat(300));
    let (cut, lines, markdown) = refusal(&long);
    assert!(
        cut.len() <= 128 + '…'.len_utf8(),
        "{} bytes kept",
        cut.len()
    );
    assert!(
        cut.starts_with("Forbidden by policy") && cut.ends_with('…'),
        "{cut}"
    );
    assert!(
        lines <= short_lines + 3,
        "{lines} table lines against {short_lines}"
    );
    assert!(!markdown.contains(&long[..200]), "kept whole in Markdown");
}

/// The cause and fix words of the one connection of `r`.
fn words_of(r: &Value) -> (String, String) {
    let c = &r["connections"][0];
    assert_eq!(c["status"]["causes"][0]["kind"], "tunnel-refused", "{c}");
    (
        c["status"]["cause"].as_str().unwrap().to_string(),
        c["status"]["fix"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_refusal_names_only_the_rules_of_the_product_its_answer_names() {
    // tinyproxy 1.11.1 and Apache httpd 2.4.71 refuse a CONNECT to a port they do not
    // allow (ConnectPort, AllowCONNECT) with a 403 whose Server names them (issue 69 item
    // 1): their own rules, not Squid's.
    for (name, product, rule, shown) in [
        (
            "tinyproxy-connect-refused-403-py",
            "tinyproxy",
            "ConnectPort",
            "tinyproxy 1.11.1",
        ),
        (
            "apache-connect-refused-403-py",
            "apache-httpd",
            "AllowCONNECT",
            "Apache httpd 2.4.71",
        ),
    ] {
        let r = json(name);
        let c = &r["connections"][0];
        assert_eq!(c["tunnel"]["status"], 403, "{name}");
        assert_eq!(c["tunnel"]["proxy_product"]["product"], product, "{name}");
        assert_eq!(c["tunnel"]["proxy_product"]["header"], "server", "{name}");
        assert_eq!(
            c["status"]["causes"][0]["proxy_product"],
            c["tunnel"]["proxy_product"]
        );
        let (cause, fix) = words_of(&r);
        assert!(
            cause.contains(rule) && fix.contains(rule),
            "{name}: {cause} / {fix}"
        );
        assert!(
            cause.contains(&format!("Its answer's Server names it: {shown}.")),
            "{cause}"
        );
        for other in ["Squid", "http_access", "SSL_ports"] {
            assert!(
                !cause.contains(other) && !fix.contains(other),
                "{name}: {cause} / {fix}"
            );
        }
    }
    // Squid's 503 names Squid (Server: squid/5.7): its own words.
    let (cause, _) = words_of(&json("squid-connect-refused-503-py"));
    assert!(
        cause.contains("Squid answers 503") && cause.contains("names it: Squid 5.7"),
        "{cause}"
    );
    // A 403 that names no product: the usual products' rules as candidates, none said as
    // this proxy's.
    let (_dir, path) = pcap_of(&denied(
        41100,
        "10.9.9.9:8080",
        "Python/3.11 websockets/17.4",
        b"",
    ));
    let (out, _, _) = run::wsclose(&["analyze", "--format", "json", path.to_str().unwrap()]);
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert!(r["connections"][0]["tunnel"]["proxy_product"].is_null());
    let (cause, fix) = words_of(&r);
    assert!(cause.contains("does not name a forward proxy"), "{cause}");
    assert!(
        cause.contains("candidates: Squid's http_access rules"),
        "{cause}"
    );
    assert!(
        !cause.contains("(Squid: an http_access deny rule"),
        "{cause}"
    );
    assert!(
        fix.contains("in Squid:") && fix.contains("tinyproxy: ConnectPort"),
        "{fix}"
    );
}

/// A WebSocket through a CONNECT tunnel to `target` from client `ip`, port `port`, its
/// CONNECT naming no library (`BROWSER`): 200, the upgrade, 101, a close each way.
fn tunnelled(ip: [u8; 4], port: u16, target: &str) -> Vec<common::Pkt> {
    use common::Session;
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(port, 3128).client_ip(ip);
    s.handshake();
    s.send(
        Client,
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {BROWSER}\r\n\r\n")
            .as_bytes(),
    );
    s.send(Server, b"HTTP/1.1 200 Connection established\r\n\r\n");
    s.send(Client, b"GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    s.send(Server, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    s.send(Client, b"\x88\x82\0\0\0\0\x03\xe8");
    s.send(Server, b"\x88\x02\x03\xe8");
    s.fins(Server);
    s.pkts
}

/// `denied`, from client `ip`.
fn denied_from(ip: [u8; 4], port: u16, target: &str) -> Vec<common::Pkt> {
    let mut pkts = denied(port, target, BROWSER, b"");
    for p in &mut pkts {
        // The raw IPv4 header's source (client's packets) or destination (the proxy's),
        // and its checksum (RFC 791: the one's complement sum of its 16-bit words).
        let at = if p.from == wsclose::vocab::Role::Client {
            12
        } else {
            16
        };
        p.data[at..at + 4].copy_from_slice(&ip);
        p.data[10..12].fill(0);
        let sum = p.data[..20]
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = (sum & 0xffff) + (sum >> 16);
        let sum = (sum & 0xffff) + (sum >> 16);
        p.data[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    }
    pkts
}

#[test]
fn a_refused_connect_is_a_websockets_when_the_clients_other_tunnel_to_its_target_carried_one() {
    const HOST: [u8; 4] = [10, 0, 0, 1];
    let mut pkts = tunnelled(HOST, 43000, "ws.example:443");
    let ws_connect = 4;
    pkts.extend(denied_from(HOST, 43001, "ws.example:443"));
    // Controls: another target from the same host, the same target from another host.
    pkts.extend(denied_from(HOST, 43002, "ws.example:8443"));
    pkts.extend(denied_from([10, 0, 0, 7], 43003, "ws.example:443"));
    // The pcap's packets are numbered in order: each session's from where it starts.
    let (_dir, pcap) = pcap_of(&pkts);
    // With one thread, and with the connections on several (the tunnels settled together).
    for threads in ["1", "4"] {
        let args = ["analyze", "--format", "json", "--threads", threads];
        let (out, err, _) = run::wsclose(&[&args[..], &[pcap.to_str().unwrap()]].concat());
        let r: Value = serde_json::from_slice(&out).unwrap();
        refused_websocket_and_controls(&r, &err, ws_connect);
    }
}

/// The report of a WebSocket's tunnel, its client host's refused CONNECT to the same
/// target (reported, with the other tunnel's CONNECT at `ws_connect` as evidence) and two
/// controls (counted).
fn refused_websocket_and_controls(r: &Value, err: &str, ws_connect: u64) {
    const HOST: [u8; 4] = [10, 0, 0, 1];
    let conns = r["connections"].as_array().unwrap();
    let tunnels: Vec<(u64, u64)> = conns
        .iter()
        .map(|c| {
            (
                c["tunnel"]["status"].as_u64().unwrap(),
                c["first_packet"].as_u64().unwrap(),
            )
        })
        .collect();
    let refused_first = tunnelled(HOST, 43000, "ws.example:443").len() as u64 + 1;
    assert_eq!(tunnels, [(200, 1), (403, refused_first)], "{err}\n{r:#}");
    let refused = &conns[1];
    assert_eq!(refused["tunnel"]["target"], "ws.example:443");
    assert_eq!(refused["status"]["causes"][0]["kind"], "tunnel-refused");
    // Its evidence says why it is a WebSocket's: the other tunnel, by its packet.
    let evidence = &refused["evidence"];
    let summary = evidence["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!(
            "the same client host's CONNECT to the same target through this proxy (packet {ws_connect}) carried a WebSocket"
        )),
        "{summary}"
    );
    assert!(
        evidence["packets"]
            .as_array()
            .unwrap()
            .contains(&Value::from(ws_connect)),
        "{evidence}"
    );
    // The controls stay counted apart.
    assert_eq!(r["seen"]["refused_tunnels"], 2, "{r:#}");
    assert_eq!(r["summary"]["by_status"]["refused"], 1, "{r:#}");
}
