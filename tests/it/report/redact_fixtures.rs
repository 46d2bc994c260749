//! `--redact` over every fixture (issue 105 item 1): each capture of `fixtures/` (with its
//! key log beside it), analysed once, redacted and written in every format (the table brief
//! and in full, JSON, JSON Lines, ECS, Markdown and HTML without their limits, the CSV and
//! its timeline), holds none of the capture's addresses, host names or secrets: the IP
//! literals its plain report says anywhere, the host names of its Host headers, SNIs and
//! CONNECT targets (those with a dot: a one-label name is a word), the subprotocols
//! `--redact` names and the TLS client randoms. wsclose's own sentences are not scrubbed
//! for addresses (the redaction works field by field), so this is what proves that none of
//! them carries one.

use super::redact::unescaped;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use wsclose::render::{table, Format, Options};

/// Every capture under `fixtures/`, sorted.
fn captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if [".pcap", ".pcapng", ".pcap.gz"]
                    .iter()
                    .any(|x| name.ends_with(x))
                {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut out,
    );
    out.sort();
    out
}

/// The key log beside `cap` (same stem, `.keylog`), as `scripts/same-reports` finds it.
fn keylog(cap: &Path) -> Option<PathBuf> {
    let s = cap.to_string_lossy();
    let stem = s
        .trim_end_matches(".gz")
        .trim_end_matches(".pcapng")
        .trim_end_matches(".pcap");
    let k = PathBuf::from(format!("{stem}.keylog"));
    k.exists().then_some(k)
}

/// The IP literals in `text` (IPv4 dotted quads, IPv6 with two colons or more), canonical;
/// not a section number (`RFC 9293 §3.10.7.1`).
fn addresses(text: &str, out: &mut BTreeSet<String>) {
    let is = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    let mut sections = text.split('§');
    let first = sections.next().into_iter();
    // After a `§`, the section number is not looked at.
    let rest = sections.map(|s| s.trim_start_matches(is));
    for token in first
        .chain(rest)
        .flat_map(|s| s.split(move |c: char| !is(c)))
    {
        let t = token.trim_matches(['.', ':']);
        if let Ok(ip) = t.parse::<std::net::Ipv4Addr>() {
            out.insert(ip.to_string());
            continue;
        }
        // `1.2.3.4:80`.
        if let Some((h, _)) = t.rsplit_once(':') {
            if let Ok(ip) = h.parse::<std::net::Ipv4Addr>() {
                out.insert(ip.to_string());
                continue;
            }
        }
        if t.matches(':').count() >= 2 {
            if let Ok(ip) = t.parse::<std::net::Ipv6Addr>() {
                out.insert(ip.to_string());
            }
        }
    }
}

/// The host part of a Host header, SNI or target (`name:port`, `[v6]:port`).
fn host_part(v: &str) -> &str {
    let v = v.trim();
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match v.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => v,
    }
}

/// What a capture's plain report holds that no redacted output may: `(what, value)`.
fn secrets(plain: &Value, redacted: &Value) -> BTreeSet<(String, String)> {
    let mut ips = BTreeSet::new();
    let mut out = BTreeSet::new();
    fn strings<'a>(v: &'a Value, key: &str, f: &mut dyn FnMut(&str, &'a str)) {
        match v {
            Value::String(s) => f(key, s),
            Value::Array(a) => a.iter().for_each(|x| strings(x, key, f)),
            Value::Object(o) => o.iter().for_each(|(k, x)| strings(x, k, f)),
            _ => {}
        }
    }
    strings(plain, "", &mut |key, s| {
        addresses(s, &mut ips);
        let named = matches!(key, "host" | "sni" | "target" | "server_name");
        let h = host_part(s);
        if named && h.contains('.') && h.parse::<std::net::IpAddr>().is_err() {
            out.insert(("host name".to_owned(), h.to_ascii_lowercase()));
        }
        if key == "client_random" {
            out.insert(("client random".to_owned(), s.to_owned()));
        }
    });
    for ip in ips {
        out.insert(("address".to_owned(), ip));
    }
    // The subprotocols `--redact` names: those the redacted report does not keep.
    let conns = |v: &Value| v["connections"].as_array().cloned().unwrap_or_default();
    for (p, r) in conns(plain).iter().zip(conns(redacted).iter()) {
        let (Some(p), Some(r)) = (
            p["handshake"]["subprotocol"].as_str(),
            r["handshake"]["subprotocol"].as_str(),
        ) else {
            continue;
        };
        for (item, shown) in p.split(',').zip(r.split(", ")) {
            let item = item.trim();
            if item != shown && item.len() >= 4 {
                let token = item.rsplit('.').next().unwrap_or(item);
                out.insert(("subprotocol".to_owned(), token.to_owned()));
            }
        }
    }
    out
}

/// Whether `text` holds `value` as a whole token: no letter, digit, dot or colon (or, for
/// a host name, hyphen) right before or after it.
fn holds(text: &str, value: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_');
    let lower = text.to_ascii_lowercase();
    let value = value.to_ascii_lowercase();
    lower.match_indices(&value).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + value.len()..].chars().next();
        // A trailing dot ends a sentence, and a colon after an IPv4 address or a host
        // name starts its port.
        let after_ok = match after {
            Some('.') => lower[at + value.len() + 1..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric()),
            Some(':') => !value.contains(':'),
            Some(c) => !part(c),
            None => true,
        };
        before.is_none_or(|c| !part(c)) && after_ok
    })
}

/// Each output of `report` (redacted) by name.
fn outputs(report: &wsclose::report::Report) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for format in Format::ALL {
        let mut variants = vec![(format.to_string(), Options::default())];
        match format {
            Format::Table => {
                let o = Options {
                    detail: table::Detail::Brief,
                    ..Options::default()
                };
                variants.push(("table brief".to_owned(), o));
            }
            Format::Csv => {
                let o = Options {
                    timeline: true,
                    ..Options::default()
                };
                variants.push(("csv timeline".to_owned(), o));
            }
            _ => {}
        }
        for (name, mut o) in variants {
            o.full = true;
            let mut out = Vec::new();
            format.write(report, &mut out, &o).unwrap();
            all.push((name, String::from_utf8_lossy(&out).into_owned()));
        }
    }
    all
}

/// The leaks of one capture: `what value in output`.
fn leaks(cap: &Path) -> Vec<String> {
    let opts = wsclose::Options {
        frame_log: 64,
        ..wsclose::Options::default()
    };
    let keys = wsclose::keys::KeySources {
        files: keylog(cap).into_iter().collect(),
        env: None,
    };
    let Ok(mut plain) = wsclose::analyze_files_with_progress(&[cap.to_owned()], opts, &keys, None)
    else {
        return Vec::new();
    };
    plain.load().unwrap();
    let mut redacted = plain.clone();
    wsclose::report::redact::redact(&mut redacted);
    let json = |r: &wsclose::report::Report| {
        let mut out = Vec::new();
        Format::Json
            .write(r, &mut out, &Options::default())
            .unwrap();
        serde_json::from_slice::<Value>(&out).unwrap()
    };
    let secrets = secrets(&json(&plain), &json(&redacted));
    let mut found = Vec::new();
    for (name, text) in outputs(&redacted) {
        let text = unescaped(&text);
        for (what, value) in &secrets {
            if holds(&text, value) {
                let at = text.to_ascii_lowercase().find(&value.to_ascii_lowercase());
                let line = at.map_or("", |at| {
                    let s = text[..at].rfind('\n').map_or(0, |n| n + 1);
                    let e = text[at..].find('\n').map_or(text.len(), |n| at + n);
                    &text[s..e]
                });
                let line: String = line.chars().take(300).collect();
                found.push(format!("{what} {value:?} in {name}: {line}"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// No redacted report of any fixture, in any format, holds an address, host name or
/// secret of its capture.
#[test]
#[ignore = "long: run by .ci/run"]
fn no_fixture_leaks_an_address_host_or_secret_under_redact() {
    let caps = captures();
    assert!(caps.len() > 400, "{} captures", caps.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let all = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(cap) = caps.get(i) else { break };
                let rel = cap
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(cap)
                    .display()
                    .to_string();
                for l in leaks(cap) {
                    all.lock().unwrap().push(format!("{rel}: {l}"));
                }
            });
        }
    });
    let mut all = all.into_inner().unwrap();
    all.sort();
    assert!(all.is_empty(), "{} leaks:\n{}", all.len(), all.join("\n"));
}

/// The check can fail: an address, a dotted host name and a named subprotocol are found as
/// whole tokens, and a longer address or a pseudonym is not taken for them.
#[test]
fn the_leak_check_finds_what_it_looks_for() {
    assert!(holds("from 10.0.0.1:5000 to", "10.0.0.1"));
    assert!(holds("Host: api.example.com.", "api.example.com"));
    assert!(!holds("from 10.0.0.12 to", "10.0.0.1"));
    assert!(!holds("host-3f2a9c:80", "3f2a9c"));
    let plain = serde_json::json!({"connections": [{"client": "10.1.2.3:5000",
        "handshake": {"host": "db.internal:80", "subprotocol": "chat, secrettoken"}}]});
    let redacted = serde_json::json!({"connections": [{"client": "host-aaaaaa:5000",
        "handshake": {"host": "host-bbbbbb:80", "subprotocol": "chat, proto-cccccc"}}]});
    let s = secrets(&plain, &redacted);
    for v in ["10.1.2.3", "db.internal", "secrettoken"] {
        assert!(s.iter().any(|(_, x)| x == v), "{v} in {s:?}");
    }
}
