//! Wire text as markup (THREATS kind 8), checked on a whole run (with [`super::run`] and
//! [`super::pcapng`]).

/// Wire text as markup (THREATS kind 8): `wsclose analyze -v` in every text format, and
/// `wsclose annotate`'s packet comments, carry no terminal escape (ESC, BEL) or bidi
/// override raw, and neither Markdown nor HTML carries `<` raw from `markup`; `visible`
/// (wire text as the formats escape it, or HTML's `&lt;` form of it) is quoted by the
/// table, Markdown and HTML (the CSV has no column for an application's words).
pub fn formats_carry_no_raw_markup(path: &str, visible: &str, markup: &[&str]) {
    let raw = |s: &str| s.contains(['\u{1b}', '\u{7}', '\u{202e}']);
    for format in ["table", "markdown", "html", "csv", "jsonl"] {
        let (out, err, code) = super::run::wsclose(&["analyze", path, "-v", "--format", format]);
        assert_eq!(code, Some(0), "{format}: {err}");
        let out = String::from_utf8(out).unwrap();
        assert!(!raw(&out), "{format}: a raw escape or bidi override");
        if matches!(format, "table" | "markdown" | "html") {
            let html = visible.replace('<', "&lt;").replace('>', "&gt;");
            assert!(
                out.contains(visible) || out.contains(&html),
                "{format}: {out}"
            );
        }
        if matches!(format, "markdown" | "html") {
            for m in markup {
                assert!(!out.contains(m), "{format}: {m} raw");
            }
        }
    }
    let annotated = format!("{path}.annotated.pcapng");
    let (_, err, code) = super::run::wsclose(&["annotate", path, "-w", &annotated]);
    assert_eq!(code, Some(0), "{err}");
    let (_, packets) = super::pcapng::packet_comments(&std::fs::read(&annotated).unwrap());
    let comments: Vec<String> = packets.into_iter().flatten().collect();
    assert!(comments.iter().any(|c| c.contains(visible)), "{comments:?}");
    assert!(!comments.iter().any(|c| raw(c)), "{comments:?}");
}
