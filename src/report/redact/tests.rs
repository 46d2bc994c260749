//! The pseudonyms, the text scrubber, subprotocols, targets, key logs and the key.

use super::*;

const KEY: Key = [7; 32];

/// A pseudonym is `host-` and six hex digits of the value's keyed hash: the same value
/// (an address in any of its spellings, a name in any case) the same name, ports kept.
#[test]
fn same_address_same_name_ports_kept() {
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let a = n.name("10.1.2.3");
    assert!(
        a.starts_with("host-") && a.len() == 11 && a[5..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{a}"
    );
    assert_eq!(n.endpoint("10.1.2.3:5000"), format!("{a}:5000"));
    let b = n.name("fd00::7");
    assert_ne!(a, b);
    assert_eq!(n.endpoint("[fd00::7]:443"), format!("{b}:443"));
    assert_eq!(n.host("[FD00:0::7]:443"), format!("{b}:443"));
    assert_eq!(n.endpoint("10.1.2.3:6000"), format!("{a}:6000"));
    assert_eq!(n.host("10.1.2.3:8080"), format!("{a}:8080"));
    let c = n.host("internal.example.com");
    assert_eq!(n.host("Internal.Example.COM"), c);
    assert!(c != a && c != b);
    assert_eq!(strip_query("/ws?token=secret&x=1"), "/ws?[redacted]");
    assert_eq!(strip_query("/ws"), "/ws");
}

/// A pseudonym depends on the value and the key alone: not on what was named before it
/// (a selection, `--connection 2`, names fewer), and not the same under another key.
#[test]
fn a_pseudonym_does_not_depend_on_the_order_or_what_else_is_named() {
    let values = ["10.0.0.1", "10.0.0.2", "db.internal.example", "fd00::1"];
    let mut forward = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let firsts: Vec<String> = values.iter().map(|v| forward.name(v)).collect();
    let mut backward = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    for (v, first) in values.iter().zip(&firsts).rev() {
        assert_eq!(backward.name(v), *first, "{v}");
    }
    // Alone, as a selection of one connection names it.
    assert_eq!(
        Names::new(Some(KEY), crate::app::decodes_subprotocol).name("10.0.0.2"),
        firsts[1]
    );
    assert_ne!(
        Names::new(Some([8; 32]), crate::app::decodes_subprotocol).name("10.0.0.2"),
        firsts[1]
    );
    // Without a capture's key: a random one, never the same twice.
    assert_ne!(
        Names::new(None, crate::app::decodes_subprotocol).name("10.0.0.2"),
        Names::new(None, crate::app::decodes_subprotocol).name("10.0.0.2")
    );
    // Two values whose six digits met: the later one takes more digits.
    let six = Names::new(Some(KEY), crate::app::decodes_subprotocol).name("10.0.0.2");
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    n.given.insert(six.clone());
    let next = n.name("10.0.0.2");
    assert!(
        next.len() == six.len() + 2 && next.starts_with(&six),
        "{next}"
    );
}

/// The key is the capture's: the same whether one analyzer reads the file or two
/// threads share it (shard 0 then hashes the first packets by a peek), and another
/// capture's differs.
#[test]
fn a_shared_file_gives_the_key_one_analyzer_gives() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let key = |name: &str, threads: usize| {
        let opts = crate::analyzer::Options {
            threads,
            shard_min_bytes: 0,
            ..crate::analyzer::Options::default()
        };
        crate::analyze_files(&[dir.join(name)], opts)
            .unwrap()
            .key
            .expect("a key")
    };
    let one = key("node-close-1000-server.pcap", 1);
    assert_eq!(key("node-close-1000-server.pcap", 2), one);
    assert_eq!(key("node-close-1000-server.pcap", 1), one);
    assert_ne!(key("node-close-1003.pcap", 1), one);
}

/// The run's own warnings and an incident's words name no address either.
#[test]
fn the_run_s_own_words_name_no_address() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut r = crate::analyze_files(
        &[dir.join("node-close-1000-server.pcap")],
        crate::analyzer::Options::default(),
    )
    .unwrap();
    r.warnings
        .push("a note on 10.1.1.1:80 and [fd00::1]:443".into());
    r.inputs[0]
        .warnings
        .push("packets from 192.0.2.7 were cut (see \"node.pcap\")".into());
    redact(&mut r);
    let json = crate::render::json::render(&r);
    for s in ["10.1.1.1", "fd00::1", "192.0.2.7"] {
        assert!(!json.contains(s), "{s}");
    }
    assert!(json.contains("a note on host-"), "{json}");
    // A file name quoted in the run's words is no host.
    assert!(json.contains("(see \\\"node.pcap\\\")"), "{json}");
}

/// Known subprotocols stay; anything else (a token) is named, and so is the token of a
/// Kubernetes bearer offer, its prefix kept.
#[test]
fn a_subprotocol_no_registry_knows_is_named() {
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    for known in [
        "graphql-transport-ws",
        "MQTT",
        "v12.stomp",
        "chat",
        "wamp.2.json",
        "soap",
    ] {
        assert_eq!(n.subprotocol(known), known);
    }
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    let named = n.subprotocol(jwt);
    assert!(named.starts_with("proto-") && named.len() == 12, "{named}");
    assert_eq!(n.subprotocol(jwt), named);
    let k8s = n.subprotocol("base64url.bearer.authorization.k8s.io.ZXlKaGJHY2lPaUpTVXpJMU5pSjk");
    assert!(
        k8s.starts_with("base64url.bearer.authorization.k8s.io.proto-") && !k8s.contains("ZXlK"),
        "{k8s}"
    );
    assert_eq!(
        n.subprotocols(&format!("v4.channel.k8s.io, {jwt}")),
        format!("v4.channel.k8s.io, {named}")
    );
}

/// Addresses and host names inside kept text are named; wsclose's own words are not
/// taken for names (section numbers, versions, `socket.io` outside quotes).
#[test]
fn addresses_and_names_inside_text_are_named() {
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let (ip, db) = (n.name("10.2.2.2"), n.name("db.internal.example"));
    assert_eq!(
        n.scrub("upstream 10.2.2.2 (db.internal.example) failed", &[]),
        format!("upstream {ip} ({db}) failed")
    );
    assert_eq!(
        n.scrub("to 10.2.2.2:5432, DB.Internal.Example:80.", &[]),
        format!("to {ip}:5432, {db}:80.")
    );
    let v6 = n.name("2001:db8::1");
    assert_eq!(
        n.scrub(
            "via [2001:db8::1]:443 and 2001:db8::1 and fe80::1%eth0",
            &[]
        ),
        format!("via {v6}:443 and {v6} and {}", n.name("fe80::1"))
    );
    // A run's note (`scrub_part`, not wire): an address literal and a name given before
    // are named; a name never given, a version, a time and a section number are words.
    let note = "socket.io at 10.2.2.2 and db.internal.example, not other.example.net (RFC 9293 §3.10.7.1, TLS 1.2) at 13:29:54.289";
    let mut out = String::new();
    n.scrub_part(note, false, &mut out);
    assert_eq!(
        out,
        format!("socket.io at {ip} and {db}, not other.example.net (RFC 9293 §3.10.7.1, TLS 1.2) at 13:29:54.289")
    );
    // A secret subprotocol wherever it appears.
    let secrets = vec![("eyJsecret.token".to_owned(), "proto-abcdef".to_owned())];
    assert_eq!(
        n.scrub("offered \"eyJsecret.token\"", &secrets),
        "offered \"proto-abcdef\""
    );
}

/// A finding's words are wsclose's, not scrubbed; the wire text they quote (a bad key or
/// version as sent, a reason phrase, a header's name, what the inflater said, an
/// HTTP2-Settings value) is redacted by its quote, as a close reason is.
#[test]
fn a_findings_quotes_of_the_wire_are_redacted_field_by_field() {
    use crate::vocab::{ControlByteHeader, ControlBytes, Found, HandshakeProblem, Invalid};
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let (ip, db) = (n.name("10.9.9.9"), n.name("db.internal.example"));
    let leaky = "10.9.9.9 db.internal.example";
    let named = format!("{ip} {db}");
    let rule = |problem| {
        Found::HandshakeInvalid(Invalid::Rule {
            response: false,
            problem,
        })
    };
    let found = [
        rule(HandshakeProblem::KeyNot16(leaky.into())),
        rule(HandshakeProblem::Version(leaky.into())),
        Found::UpgradeRefused {
            status: 403,
            reason: Some(leaky.into()),
            stream: None,
        },
        Found::InflateFailed { why: leaky.into() },
        Found::HandshakeInvalid(Invalid::ControlBytes {
            response: false,
            bytes: ControlBytes {
                headers: vec![ControlByteHeader {
                    name: leaky.into(),
                    bytes: vec![1],
                    in_name: true,
                }],
                more: 0,
            },
        }),
        Found::HandshakeInvalid(Invalid::H2cSettings {
            switched_at: 4,
            problem: crate::vocab::H2cSettings::NotBase64(leaky.into()),
        }),
    ];
    for found in found {
        let mut f = crate::report::words::finding::finding(None, Some(3), found);
        assert!(f.detail.contains(leaky), "{}", f.detail);
        let plain = f.detail.clone();
        n.quotes(&mut f, &[]);
        assert_eq!(f.detail, plain.replace(leaky, &named), "{plain}");
    }
}

/// An absolute-form target's host gets the pseudonym its Host header gets; anything in
/// which a host cannot be told from a path is left out whole.
#[test]
fn an_absolute_form_target_has_its_host_named() {
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let h1 = n.name("leaky.internal.corp");
    let (h2, h3) = (n.name("fd00::9"), n.name("other.corp"));
    assert_eq!(n.host("leaky.internal.corp:8080"), format!("{h1}:8080"));
    assert_eq!(
        n.target("ws://leaky.internal.corp:8080/chat?token=s3cret"),
        format!("ws://{h1}:8080/chat?[redacted]")
    );
    assert_eq!(
        n.target("HTTP://leaky.internal.corp"),
        format!("HTTP://{h1}")
    );
    assert_eq!(
        n.target("wss://user:pw@[fd00::9]:443/x"),
        format!("wss://[redacted]@{h2}:443/x")
    );
    assert_eq!(
        n.target("ws://other.corp?q=1"),
        format!("ws://{h3}?[redacted]")
    );
    assert_eq!(n.target("/chat?q=1"), "/chat?[redacted]");
    assert_eq!(n.target("*"), "*");
    assert_eq!(n.target("leaky.internal.corp:8080/chat"), "[redacted]");
    assert_eq!(n.target("1ws://leaky.internal.corp/"), "[redacted]");
    assert_eq!(n.target(""), "");
}

#[test]
fn key_log_paths_are_cut_and_quoted_client_randoms_left_out() {
    use crate::vocab::KeyLogName;
    // Each source's path is cut by the field that holds it, its kind's words kept.
    let cut = |k: KeyLogName| k.file_name_only().to_string();
    assert_eq!(
        cut(KeyLogName::File("/home/me/keys.log".into())),
        "keys.log"
    );
    assert_eq!(
        cut(KeyLogName::Env("/tmp/x/sslkeys.txt".into())),
        "SSLKEYLOGFILE (sslkeys.txt)"
    );
    assert_eq!(
        cut(KeyLogName::Pcapng("/data/cap.pcapng".into())),
        "pcapng secrets in cap.pcapng"
    );
    // A path whose own name reads as another kind's words stays what it is.
    assert_eq!(
        cut(KeyLogName::File("/k/SSLKEYLOGFILE (x)/a.log".into())),
        "a.log"
    );
    let paths = vec![("/home/me/keys.log".to_owned(), "keys.log".to_owned())];
    // A secret logged twice, differently: the warning names the line, never the client
    // random (it finds the connection's lines in the key log), so nothing is cut but the
    // path.
    let random = "0a1b2c3d".repeat(8);
    let text = format!(
        "CLIENT_RANDOM {random} {}\nCLIENT_RANDOM {random} {}\n",
        "11".repeat(48),
        "22".repeat(48)
    );
    let mut keys = crate::stack::tls::keylog::KeyLog::default();
    let warnings = keys.add_text("/home/me/keys.log", text.as_bytes());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let said = cut_paths(&warnings[0].to_string(), &paths);
    assert!(said.starts_with("key log keys.log line 2: "), "{said}");
    assert!(!said.to_ascii_lowercase().contains("0a1b2c3d"), "{said}");
}

#[test]
fn sni_is_named_like_a_host_header_and_the_client_random_dropped() {
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let h = n.name("example.com");
    assert_eq!(n.host("example.com:443"), format!("{h}:443"));
    let mut t = TlsReport {
        client_random: Some("ab".repeat(32)),
        version: Some("TLS 1.3".into()),
        cipher_suite: Some("TLS_AES_128_GCM_SHA256".into()),
        sni: Some("example.com".into()),
        alpn_offered: vec!["http/1.1".into()],
        ..TlsReport::default()
    };
    n.tls(&mut t);
    assert_eq!(t.sni.as_deref(), Some(h.as_str()));
    assert_eq!(t.client_random, None);
    assert_eq!(t.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(t.alpn_offered, ["http/1.1"]);
}

/// A finding's quotes are treated by their range and kind: a payload left out, a
/// subprotocol named, wsclose's words kept; a range the detail no longer holds takes the
/// whole detail with it.
#[test]
fn a_findings_quotes_are_redacted_by_their_range() {
    use crate::vocab::{Detail, Finding, Kind, Quoted};
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let detail = Detail::default()
        .say("first bytes: \"")
        .quote(Quoted::Payload, "token=abc")
        .say("\", offered \"")
        .quote(Quoted::Subprotocols, "mqtt, s3cr3t-tok3n")
        .say("\"");
    let mut f = Finding::quoting(Kind::NotFrames, None, Some(7), detail);
    n.quotes(&mut f, &[]);
    assert!(f.quotes.is_empty());
    assert!(
        f.detail
            .starts_with("first bytes: \"[redacted]\", offered \"mqtt, proto-"),
        "{}",
        f.detail
    );
    assert!(!f.detail.contains("abc") && !f.detail.contains("s3cr3t"));
    let detail = Detail::default()
        .say("x \"")
        .quote(Quoted::Payload, "secret-bytes");
    let mut f = Finding::quoting(Kind::NotFrames, None, Some(7), detail);
    f.detail.truncate(5);
    n.quotes(&mut f, &[]);
    assert_eq!(f.detail, "[redacted]");
}

/// In a close reason (and any text quoted from the wire), a URL loses its userinfo and its
/// query (as a request target does: `?[redacted]`), a path its query, and a mail address's
/// local part becomes a pseudonym of its own (`user-…`, the same for the same name in any
/// case), its domain named as a host; a `?` or `@` that is no such thing is a word.
#[test]
fn a_reason_s_url_query_and_mailbox_are_redacted() {
    let mut n = Names::new(Some(KEY), crate::app::decodes_subprotocol);
    let db = n.name("db.internal.example");
    let alice = n.pseudonym(Kind::User, "alice");
    assert!(
        alice.starts_with("user-")
            && alice.len() == 11
            && alice != Names::new(Some(KEY), |_| false).name("alice"),
        "{alice}"
    );
    assert_eq!(
        n.scrub(
            "see wss://bob:pw@db.internal.example:8443/q?k=SECRET-URL-7 (Alice@db.internal.example).",
            &[]
        ),
        format!("see wss://[redacted]@{db}:8443/q?[redacted] ({alice}@{db}).")
    );
    assert_eq!(
        n.scrub(
            "<https://db.internal.example?token=t0k#x>, /chat?user=alice failed",
            &[]
        ),
        format!("<https://{db}?[redacted]>, /chat?[redacted] failed")
    );
    assert_eq!(
        n.scrub("mailto:alice@10.2.2.2", &[]),
        format!("mailto:{alice}@{}", n.name("10.2.2.2"))
    );
    for words in ["why? who@ @home, 3@4 a@b", "ok?", "x?y"] {
        assert_eq!(n.scrub(words, &[]), words);
    }
    // A reason as a followed run's lines give it.
    assert_eq!(
        n.scrub(
            "closed with 1008 \"ask alice@db.internal.example\" at 10:00",
            &[]
        ),
        format!("closed with 1008 \"ask {alice}@{db}\" at 10:00")
    );
    assert_eq!(
        reason_scrubbed(
            Some(KEY),
            "ws://db.internal.example/a?b alice@db.internal.example"
        ),
        format!("ws://{db}/a?[redacted] {alice}@{db}")
    );
}

/// An HTTP response a framework wrote into the stream: its status line keeps its version
/// and code only, its page's title is left out, in `not_frames` and in the cause that
/// quotes them alike; a status line that is not one is left out whole.
#[test]
fn an_error_page_s_words_are_left_out() {
    assert_eq!(
        status_line("HTTP/1.1 502 upstream 10.2.2.2 failed"),
        "HTTP/1.1 502 [redacted]"
    );
    assert_eq!(status_line("HTTP/1.0 200"), "HTTP/1.0 200");
    assert_eq!(status_line("HTTP/1.1 5x2 Bad"), "[redacted]");
    assert_eq!(status_line("HTTP/1.1 502Bad"), "[redacted]");
    assert_eq!(status_line(""), "");
    let mut c = Cause::HttpResponseInStream {
        from: crate::vocab::Role::Server,
        packet: 9,
        after_close: false,
        http_status: Some(502),
        status_line: "HTTP/1.1 502 upstream 10.2.2.2 failed".into(),
        title: Some("502 from db.internal.example".into()),
        message: None,
    };
    assert!(response_words(&mut c));
    let Cause::HttpResponseInStream {
        status_line,
        title,
        http_status,
        ..
    } = &c
    else {
        unreachable!()
    };
    assert_eq!(status_line, "HTTP/1.1 502 [redacted]");
    assert_eq!(title.as_deref(), Some("[redacted]"));
    assert_eq!(*http_status, Some(502));
}

/// What an incident's members said (issue 102 item 1) is redacted as their own reasons are:
/// the reason kept with its addresses and host names named, in its JSON and in its words
/// made again; a refusal's words left out.
#[test]
fn what_an_incident_s_members_said_is_redacted_as_their_reasons() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut r = crate::analyze_files(
        &[dir.join("incident2/starlette-plan-4002.pcap.gz")],
        crate::analyzer::Options::default(),
    )
    .unwrap();
    let said = r.incidents[0].facts.said.as_mut().expect("said");
    assert_eq!(said.reason.as_deref(), Some("plan changed"));
    said.reason = Some("moved to 10.9.8.7 and db.internal.example".into());
    said.words = Some("Forbidden for alice".into());
    redact(&mut r);
    let json = crate::render::json::render(&r);
    for s in ["10.9.8.7", "db.internal.example", "alice"] {
        assert!(!json.contains(s), "{s}");
    }
    let said = r.incidents[0].facts.said.as_ref().expect("said");
    assert!(
        said.reason
            .as_deref()
            .is_some_and(|x| x.starts_with("moved to host-")),
        "{said:?}"
    );
    assert_eq!(said.words.as_deref(), Some("[redacted]"));
    assert!(!r.incidents[0].headline().contains("10.9.8.7"));
    assert!(
        r.incidents[0].cause.contains("'moved to host-"),
        "{}",
        r.incidents[0].cause
    );
}
