//! `--format html`: the report a browser opens.
//!
//! The report of real fixtures is drawn by headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it, and these tests skip with a message where it is missing) into a PNG that
//! must not be blank, in light and in dark mode; a page with nothing on it must fail the
//! same check. Hostile wire text (close reasons, a path, a Host header, a subprotocol, a
//! message's preview) made to open tags, end the SVG or add event handlers comes out as
//! text: the document holds only the tags and attributes the renderer writes, and the DOM
//! Chromium builds from it has no element the wire asked for. A capture of 50 WebSocket
//! connections (the benchmark generator's) gives a report under 2 MB with every
//! connection's pictures in it.

use crate::common::skip;

use crate::common;

use crate::gen;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    Role::{Client, Server},
    Timestamp,
};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The report of `args` (after `analyze --format html`) from the binary.
fn html_report(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .current_dir(MANIFEST)
        .args(["analyze", "--format", "html"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------
// Chromium
// ---------------------------------------------------------------------------------------

/// Chromium's binary, if one is installed.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `page` with `args` (a screenshot, a DOM dump) and returns
/// its standard output; `None` (and a message) when Chromium is not installed.
fn headless(page: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let Some(bin) = chromium() else {
        skip::skipped(format_args!(
            "skipped: no chromium in PATH (Debian: apt-get install chromium; .ci/run installs it)"
        ));
        return None;
    };
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium {args:?}: {status}");
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(reader.join().unwrap().unwrap())
}

/// A screenshot of `page`, 1200 × `height` pixels, as RGB rows; `dark`: with the page's
/// dark colour scheme.
fn screenshot(page: &Path, height: u32, dark: bool) -> Option<(u32, u32, Vec<[u8; 3]>)> {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("shot.png");
    let shot = format!("--screenshot={}", png.display());
    let size = format!("--window-size=1200,{height}");
    let mut args = vec![shot.as_str(), size.as_str()];
    if dark {
        // Blink's preferred colour scheme: 0 is dark.
        args.push("--blink-settings=preferredColorScheme=0");
    }
    headless(page, &args)?;
    let file = std::io::BufReader::new(std::fs::File::open(&png).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    Some((info.width, info.height, pixels))
}

/// How a screenshot looks: its distinct colours, the share of pixels that differ from
/// the background (the most common colour), and the background.
fn looks(pixels: &[[u8; 3]]) -> (usize, f64, [u8; 3]) {
    let mut counts = std::collections::HashMap::new();
    for p in pixels {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let (bg, n) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    let drawn = 1.0 - *n as f64 / pixels.len() as f64;
    (counts.len(), drawn, *bg)
}

/// Drawn, not blank: many colours (text, status colours, the pictures' lines and bars) and
/// a fair share of the page covered.
fn not_blank(name: &str, pixels: &[[u8; 3]]) -> bool {
    let (colours, drawn, _) = looks(pixels);
    eprintln!("{name}: {colours} colours, {:.1} % drawn", drawn * 100.0);
    colours >= 64 && drawn >= 0.04
}

/// The fixtures whose report is drawn: a proxy's idle timeout (both legs), a hostile
/// close reason, WebSockets over HTTP/2, a reset, and a backend killed behind a TLS proxy.
const DRAWN: [&str; 5] = [
    "fixtures/proxy/nginx-idle-60s.pcap",
    "fixtures/node-close-hostile-reason.pcap",
    "fixtures/node-h2-websockets.pcap",
    "fixtures/python-no-close-rst.pcap",
    "fixtures/tls/firefox-haproxy-h2-backend-kill.pcap",
];

#[test]
#[ignore = "long: run by .ci/run"]
fn chromium_draws_the_report_of_real_fixtures() {
    let mut args = vec![
        "--keylog",
        "fixtures/tls/firefox-haproxy-h2-backend-kill.keylog",
    ];
    args.extend(DRAWN);
    let html = html_report(&args);
    assert_eq!(
        html.matches("<svg class=\"seq\"").count(),
        9,
        "a picture each"
    );
    assert_eq!(
        html.matches("<svg class=\"tl\"").count(),
        9,
        "a timeline each"
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    let Some((w, hgt, light)) = screenshot(&page, 2000, false) else {
        return;
    };
    assert_eq!((w, hgt), (1200, 2000));
    assert!(not_blank("light", &light), "the light page looks blank");
    let (_, _, bg) = looks(&light);
    assert!(bg.iter().all(|&v| v > 240), "light background {bg:?}");

    let (_, _, dark) = screenshot(&page, 2000, true).unwrap();
    assert!(not_blank("dark", &dark), "the dark page looks blank");
    let (_, _, bg) = looks(&dark);
    assert!(bg.iter().all(|&v| v < 40), "dark background {bg:?}");

    // The check can fail: a page with nothing on it.
    let empty = dir.path().join("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let (_, _, blank) = screenshot(&empty, 600, false).unwrap();
    assert!(!not_blank("empty", &blank), "an empty page passed");

    // Further down the page, the pictures of the later connections are drawn too.
    let (_, _, long) = screenshot(&page, 9000, false).unwrap();
    let bottom = &long[long.len() / 2..];
    assert!(
        not_blank("lower half", bottom),
        "the lower half looks blank"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile wire text
// ---------------------------------------------------------------------------------------

/// Close reasons (each at most 123 bytes, RFC 6455 §5.5) made to become markup in an HTML
/// document, an SVG text or an attribute.
const REASONS: [&str; 6] = [
    "<script>alert(1)</script>",
    "</text></svg><img src=x onerror=alert(2)>",
    "\"><iframe src=javascript:alert(3)>",
    "' onmouseover='alert(4)' x='",
    "&lt;b&gt;not bold&lt;/b&gt; <!-- <style>*{display:none}</style>",
    "]]><![CDATA[<svg onload=alert(5)>",
];
const PATH: &str = "/chat?<script>alert(6)</script>";
const HOST: &str = "x\"><img src=y onerror=alert(7)>";
const PROTOCOL: &str = "<svg/onload=alert(8)>";
const MESSAGE: &str = "<img src=z onerror=alert(9)>";

/// A capture whose connections carry [`REASONS`], and whose first one a hostile path,
/// Host, subprotocol and message.
fn hostile_capture(dir: &Path) -> PathBuf {
    let mut pkts = Vec::new();
    for (i, reason) in REASONS.iter().enumerate() {
        let mut s = Session::new(41_000 + i as u16, 8080);
        s.handshake();
        let mut request = String::from_utf8(request()).unwrap();
        let mut response = String::from_utf8(response(false)).unwrap();
        if i == 0 {
            request = request
                .replacen("GET /chat ", &format!("GET {PATH} "), 1)
                .replacen("Host: example.test", &format!("Host: {HOST}"), 1)
                .replacen(
                    "\r\n\r\n",
                    &format!("\r\nSec-WebSocket-Protocol: {PROTOCOL}\r\n\r\n"),
                    1,
                );
            response = response.replacen(
                "\r\n\r\n",
                &format!("\r\nSec-WebSocket-Protocol: {PROTOCOL}\r\n\r\n"),
                1,
            );
        }
        s.send(Client, request.as_bytes());
        s.send(Server, response.as_bytes());
        s.send(Client, &text(Client, MESSAGE));
        s.send(Server, &close(Server, 4000 + i as u16, reason));
        s.send(Client, &close(Client, 4000 + i as u16, reason));
        s.fins(Server);
        pkts.extend(s.pkts);
    }
    let mut w = PcapWriter::new(Vec::new(), wsclose::vocab::LinkType::RAW, 262_144).unwrap();
    for (i, p) in pkts.iter().enumerate() {
        w.packet(Timestamp(T0.0 + i as i64 * 1_000_000), &p.data, p.orig_len)
            .unwrap();
    }
    let path = dir.join("hostile-markup.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    path
}

/// The tags the renderer writes.
const TAGS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "dl",
    "dt",
    "dd",
    "section",
    "div",
    "span",
    "strong",
    "small",
    "code",
    "a",
    "br",
    "wbr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "figcaption",
    "svg",
    "g",
    "rect",
    "line",
    "path",
    "circle",
    "text",
];

/// The attributes the renderer writes.
const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "class",
    "id",
    "href",
    "viewbox",
    "width",
    "height",
    "role",
    "aria-labelledby",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "rx",
    "cx",
    "cy",
    "r",
    "d",
    "stroke-width",
    "text-anchor",
];

/// Every tag of `html` with its attributes, read as a browser's tokenizer would (outside
/// `<style>`, whose CSS is the renderer's own); panics on a tag or attribute the renderer
/// does not write, or on markup it cannot read.
fn check_markup(name: &str, html: &str) {
    let rest = html
        .strip_prefix("<!DOCTYPE html>\n")
        .unwrap_or_else(|| panic!("{name}: no doctype"));
    let mut at = 0;
    let bytes = rest.as_bytes();
    while let Some(lt) = rest[at..].find('<').map(|i| at + i) {
        let mut i = lt + 1;
        if bytes.get(i) == Some(&b'/') {
            i += 1;
        }
        let tag_end = rest[i..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(rest.len(), |e| i + e);
        let tag = rest[i..tag_end].to_ascii_lowercase();
        assert!(
            TAGS.contains(&tag.as_str()),
            "{name}: tag {tag:?} at {}",
            &rest[lt..(lt + 80).min(rest.len())]
        );
        // Attributes: name="value", values without '<' or a raw quote inside.
        let close = rest[tag_end..]
            .find('>')
            .map(|e| tag_end + e)
            .unwrap_or_else(|| panic!("{name}: unclosed tag {tag}"));
        let mut attrs = &rest[tag_end..close];
        loop {
            attrs = attrs.trim_start().trim_start_matches('/');
            if attrs.is_empty() {
                break;
            }
            let eq = attrs
                .find('=')
                .unwrap_or_else(|| panic!("{name}: attribute without value in <{tag}{attrs}>"));
            let attr = attrs[..eq].to_ascii_lowercase();
            assert!(
                ATTRIBUTES.contains(&attr.as_str()),
                "{name}: attribute {attr:?} in <{tag}>"
            );
            let value = attrs[eq + 1..]
                .strip_prefix('"')
                .unwrap_or_else(|| panic!("{name}: unquoted {attr} in <{tag}>"));
            let end = value.find('"').unwrap();
            assert!(!value[..end].contains('<'), "{name}: '<' in {attr}");
            attrs = &value[end + 1..];
        }
        at = close + 1;
        if tag == "style" && bytes.get(lt + 1) != Some(&b'/') {
            at = rest[at..].find("</style>").map(|e| at + e).unwrap();
        }
    }
}

#[test]
fn hostile_wire_text_never_becomes_markup() {
    let dir = tempfile::tempdir().unwrap();
    let capture = hostile_capture(dir.path());
    let capture = capture.to_str().unwrap();
    let others = [
        "fixtures/node-close-hostile-reason.pcap",
        "fixtures/python-rule-close-reason-utf8.pcap",
        "fixtures/node-close-4001-utf8.pcap",
    ];
    let mut runs: Vec<(&str, Vec<&str>)> = vec![
        ("plain", vec![capture]),
        // With every frame's preview (the message's text) and the frame tables.
        ("timeline", vec!["--timeline", capture]),
        ("redacted", vec!["--redact", capture]),
        ("full", vec!["--full", capture]),
    ];
    runs.push(("fixtures", others.to_vec()));
    for (name, args) in &runs {
        let html = html_report(args);
        check_markup(name, &html);
        for bad in REASONS.iter().chain([&PATH, &HOST, &PROTOCOL, &MESSAGE]) {
            assert!(!html.contains(bad), "{name}: raw {bad:?}");
        }
        for c in html.chars() {
            assert!(
                !wsclose::sanitize::is_unsafe(c) || c == '\n',
                "{name}: raw {c:?}"
            );
        }
        assert!(!html.contains("<b>"), "{name}");
    }
    // The reasons are there as text, each once escaped.
    let html = html_report(&["--timeline", capture]);
    for reason in REASONS {
        assert!(
            html.contains(&wsclose::sanitize::html(reason)),
            "{reason:?} not shown"
        );
    }
    assert!(html.contains(&wsclose::sanitize::html(MESSAGE)), "preview");
    assert!(
        html.contains(&wsclose::sanitize::html(PROTOCOL)),
        "subprotocol"
    );
    assert!(html.contains(&wsclose::sanitize::html(HOST)), "Host");
    let fixtures = html_report(&others);
    assert!(
        fixtures.contains("\\x1b[31mred\\x1b[0m | `tick` &lt;b&gt;x&lt;/b&gt;\\nsecond line"),
        "the hostile fixture's reason"
    );

    // What a browser makes of it: no element the wire asked for.
    let page = dir.path().join("hostile.html");
    std::fs::write(&page, &html).unwrap();
    let Some(dom) = headless(&page, &["--dump-dom"]) else {
        return;
    };
    let dom = String::from_utf8(dom).unwrap();
    assert!(
        dom.contains("<svg class=\"seq\""),
        "no DOM: {}",
        &dom[..200]
    );
    // Text is serialized with '<' escaped: any of these would be an element or attribute.
    for made in [
        "<script",
        "<img",
        "<iframe",
        "<b>",
        "<style>*",
        "onerror=\"",
        "onload=\"",
        "onmouseover=\"",
    ] {
        assert!(!dom.contains(made), "{made} in the DOM");
    }
    assert_eq!(dom.matches("<svg class=\"seq\"").count(), REASONS.len());
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "reason as text"
    );
}

// ---------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------

/// The benchmark generator's capture with at least 50 WebSocket connections.
fn fifty_connections(dir: &Path) -> PathBuf {
    let pcap = dir.join("fifty.pcap");
    let cfg = gen::Config::new(60, 3_000_000, 7);
    let mut w = gen::pcap_file(&pcap).unwrap();
    let summary = gen::generate(&cfg, &mut w, std::io::sink()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    assert!(summary.websocket >= 50, "{summary:?}");
    pcap
}

#[test]
fn fifty_connections_stay_under_two_megabytes_with_every_picture() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = fifty_connections(&dir.path().join(""));
    let pcap = pcap.to_str().unwrap();
    for args in [vec![pcap], vec!["--timeline", pcap]] {
        let html = html_report(&args);
        let n: usize = html
            .split("<h1>wsclose: ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(n >= 50, "{n} connections");
        eprintln!("{args:?}: {n} connections, {} bytes", html.len());
        assert!(html.len() < 2_000_000, "{args:?}: {} bytes", html.len());
        assert_eq!(
            html.matches("<section class=\"conn ").count(),
            n,
            "{args:?}"
        );
        assert_eq!(html.matches("<svg class=\"seq\"").count(), n);
        assert_eq!(html.matches("<svg class=\"tl\"").count(), n);
        assert!(!html.contains("Left out to fit"), "{args:?}");
    }
}

/// Within a limit the report keeps problems before clean closes and says what it left
/// out; `--full` (no limit) shows every section.
#[test]
fn a_limit_leaves_out_clean_closes_first_and_says_so() {
    let files: Vec<PathBuf> = fixtures()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    let opts = wsclose::__internals::analyzer::Options {
        frame_log: wsclose::render::html::FRAME_LOG,
        ..Default::default()
    };
    let report = wsclose::analyze_files(&files, opts).unwrap();
    let n = report.connections.len();
    let full = wsclose::render::html::render_with(&report, &[], None);
    assert_eq!(full.matches("<section class=\"conn ").count(), n);
    let limit = full.len() / 3;
    let cut = wsclose::render::html::render_with(&report, &[], Some(limit));
    assert!(cut.len() <= limit, "{} > {limit}", cut.len());
    assert!(cut.contains("Left out to fit"), "no note");
    assert!(cut.ends_with("</html>\n"));
    let shown: Vec<&str> = cut
        .split("<section class=\"conn ")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert!(
        shown.len() >= 5 && shown.len() < n,
        "{} of {n}",
        shown.len()
    );
    // Every problem is shown before any clean close is.
    let problems = report
        .connections
        .iter()
        .filter(|c| {
            !(matches!(c.status.code, Some(1000 | 1001))
                && c.findings.iter().all(|f| !f.kind.is_violation()))
        })
        .count();
    let clean_shown = shown.iter().filter(|t| **t == "ok").count();
    if clean_shown > 0 {
        assert_eq!(shown.len() - clean_shown, problems, "{shown:?}");
    }
    // The overview lists the rows it kept in id order, as every other format does.
    let ids: Vec<u64> = cut
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tbody>")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("<tr class=\""))
        .map(|l| {
            let cell = l.split("<td class=\"n\">").nth(1).unwrap();
            let cell = cell.trim_start_matches(|ch: char| !ch.is_ascii_digit());
            cell[..cell.find(|ch: char| !ch.is_ascii_digit()).unwrap()]
                .parse()
                .unwrap()
        })
        .collect();
    assert!(ids.len() >= 5, "{ids:?}");
    assert!(cut.contains("<th>Client → server</th>"));
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

// ---------------------------------------------------------------------------------------
// The pictures
// ---------------------------------------------------------------------------------------

/// A session through nginx that its idle timeout ended: each leg's picture has three
/// parties, the other leg's rows, the quiet spell before the first FIN, and the proxy's FIN
/// to each side; its timeline shades the 60 s.
#[test]
fn a_proxied_session_is_drawn_with_both_legs_and_the_quiet_spell() {
    let html = html_report(&["fixtures/proxy/nginx-idle-60s.pcap"]);
    let sections: Vec<&str> = html.split("<section class=\"conn ").skip(1).collect();
    assert_eq!(sections.len(), 2);
    for (k, s) in sections.iter().enumerate() {
        let seq = &s[s.find("<svg class=\"seq\"").unwrap()..];
        let seq = &seq[..seq.find("</svg>").unwrap()];
        for party in ["p-client", "p-proxy", "p-server"] {
            assert!(seq.contains(party), "{k}: {party}");
        }
        let other = if k == 0 { 2 } else { 1 };
        assert!(
            seq.contains(&format!(" · conn {other}")),
            "{k}: the other leg"
        );
        let quiet = seq.find(">quiet for 60.0 s<").expect("the quiet note");
        let first_fin = seq.find(">FIN<").unwrap();
        assert!(
            quiet < first_fin,
            "{k}: the quiet spell comes before the FINs"
        );
        assert_eq!(seq.matches(">FIN<").count(), 4, "{k}: two FINs per leg");
        let tl = &s[s.find("<svg class=\"tl\"").unwrap()..];
        assert!(
            tl.contains(">quiet 60.0 s<"),
            "{k}: the timeline's quiet spell"
        );
    }
}

/// Without `--timeline` a connection of many frames shows its last ones and says that
/// `--timeline` draws every frame; with it, every frame is drawn.
#[test]
fn the_timeline_says_what_it_draws() {
    let mut s = Session::new(42_000, 8080);
    s.open();
    for i in 0..150 {
        s.send(Client, &text(Client, &format!("message {i}")));
        s.send(Server, &text(Server, &"x".repeat(i * 10)));
        if i % 30 == 0 {
            s.send(Client, &ping(Client, b"hb"));
            s.send(Server, &pong_frame());
        }
    }
    s.send(Server, &close(Server, 1001, "going away"));
    s.send(Client, &close(Client, 1001, ""));
    s.fins(Server);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.pcap");
    let mut w = PcapWriter::new(Vec::new(), wsclose::vocab::LinkType::RAW, 262_144).unwrap();
    for p in &s.pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    std::fs::write(&path, w.into_inner()).unwrap();
    let path = path.to_str().unwrap();

    let html = html_report(&[path]);
    assert!(
        html.contains("<code>--timeline</code> draws every frame"),
        "note"
    );
    assert!(
        html.contains("earlier frames not drawn"),
        "the unlogged span"
    );
    let every = html_report(&["--timeline", path]);
    assert!(!every.contains("draws every frame"));
    assert!(!every.contains("earlier frames not drawn"));
    // Pings answered by pongs: their round trips.
    assert!(every.contains("Round trips (5)"), "round trips");
    assert!(every.contains("class=\"rtt\""));
}

/// A pong frame from the server (unmasked), answering a ping.
fn pong_frame() -> Vec<u8> {
    frame(true, 0, 0xA, None, b"hb")
}

/// A quiet spell is shaded only where the frame log holds every frame of both directions:
/// the client's long pause, while the server sent frames the log no longer holds, is no
/// quiet spell.
#[test]
fn no_quiet_spell_where_the_log_lost_frames() {
    let mut s = Session::new(42_001, 8080);
    s.open();
    for i in 0..70 {
        s.send(Client, &text(Client, &format!("early {i}")));
    }
    // The server streams for 5 s while the client says nothing: 200 frames, 25 ms apart;
    // the log keeps the server's last 64.
    for i in 0..200 {
        s.clock = Timestamp(s.clock.0 + 25_000_000);
        s.send(Server, &text(Server, &format!("tick {i}")));
    }
    s.send(Client, &text(Client, "late"));
    s.send(Server, &close(Server, 1000, "bye"));
    s.send(Client, &close(Client, 1000, "bye"));
    s.fins(Server);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream.pcap");
    let mut w = PcapWriter::new(Vec::new(), wsclose::vocab::LinkType::RAW, 262_144).unwrap();
    for p in &s.pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    std::fs::write(&path, w.into_inner()).unwrap();
    let path = path.to_str().unwrap();

    let tl = |html: &str| {
        let s = &html[html.find("<svg class=\"tl\"").unwrap()..];
        s[..s.find("</svg>").unwrap()].to_string()
    };
    let html = tl(&html_report(&[path]));
    assert!(html.contains("earlier frames not drawn"), "{html}");
    assert!(!html.contains("class=\"quiet\""), "a quiet spell: {html}");
    // With every frame, the server's stream fills the client's pause: no quiet spell either.
    let every = tl(&html_report(&["--timeline", path]));
    assert!(!every.contains("class=\"quiet\""), "a quiet spell: {every}");
}

/// The overview names each connection's request target (Host and path, escaped, a break
/// allowed between them and in the path, never inside the Host's port: issue 93 item 17),
/// keeps each endpoint whole (an IPv4 one never broken, an IPv6 one only at its colons,
/// never inside a number), and a permessage-deflate message's preview is its inflated
/// text.
#[test]
fn the_overview_has_the_target_whole_endpoints_and_decompressed_previews() {
    let page = html_report(&["fixtures/node-many.pcap.gz", "fixtures/node-ipv6.pcap"]);
    let overview = &page[page.find("<table class=\"overview\">").unwrap()..];
    let overview = &overview[..overview.find("</table>").unwrap()];
    assert!(overview.contains("<th>Client → server</th><th>Host / path</th>"));
    assert!(
        overview.contains(
            "<td class=\"eps\"><span class=\"ep\">127.0.0.1:31020</span> → <span class=\"ep\">127.0.0.1:9020</span></td><td class=\"tgt\">127.0.0.1:9020<wbr>/many</td>"
        ),
        "{overview}"
    );
    assert!(
        overview.contains("<span class=\"ep6\">[:<wbr>:<wbr>1]:<wbr>31015</span>"),
        "{overview}"
    );
    // No endpoint in a cell that breaks anywhere.
    assert!(
        !overview.contains("<td class=\"wire\">127.0.0.1:31"),
        "{overview}"
    );
    assert!(page.contains(".ep{white-space:nowrap}"));
    // The target's cell breaks a piece only when it alone is wider than the column:
    // `anywhere` would let the table squeeze it and break inside the port.
    assert!(page.contains("td.tgt{white-space:pre-wrap;overflow-wrap:break-word}"));
    assert!(
        !overview.contains("<td class=\"wire\">127.0.0.1:"),
        "{overview}"
    );
    let deflate = html_report(&["--timeline", "fixtures/python-deflate.pcap"]);
    assert!(deflate.contains("(decompressed)"), "no inflated preview");
    assert!(
        !deflate.contains("(compressed)"),
        "a preview still says (compressed)"
    );
}
