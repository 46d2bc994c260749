//! Making strings from the wire safe for where they are shown.
//!
//! In: text that came off the wire (close reasons, paths, header values, SNI). Out: the
//! same text with everything that could act on a terminal, break the layout or hide from a
//! reader made visible as an escape: C0 and C1 control characters (ESC, CSI, BEL, CR, LF,
//! ...), DEL, every format character (General_Category Cf: the bidirectional overrides that
//! reorder what a reader sees, zero-width spaces and joiners, the soft hyphen, the byte order
//! mark, interlinear annotation marks, the tag characters of U+E0000 that smuggle ASCII
//! past a reader), the unassigned code points Unicode reserves as default-ignorable (the
//! rest of U+E0000..U+E0FFF, U+2065, U+FFF0..U+FFF8), the line and paragraph separators
//! U+2028/U+2029 (Zl, Zp), and the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0: letters
//! by category, blank when drawn).
//! Printable text, including non-ASCII letters, passes unchanged and without allocation.
//! The categories are Unicode's own (`unicode-general-category`), not a list kept here.

use std::borrow::Cow;
use std::fmt::Write;
use unicode_general_category::{get_general_category, GeneralCategory};

/// `text` cut to at most `max` bytes, at a character boundary (never in a UTF-8 sequence).
pub fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// Characters that never reach a terminal raw (see the module header).
///
/// ```
/// use wsclose::sanitize::is_unsafe;
///
/// for c in ['\x1b', '\u{9b}', '\u{202e}', '\u{200b}', '\u{ad}', '\u{feff}', '\u{2028}', '\u{3164}', '\u{e0041}'] {
///     assert!(is_unsafe(c), "{c:?}");
/// }
/// for c in ['a', ' ', 'é', 'ß', '✓', '中', '🦀'] {
///     assert!(!is_unsafe(c), "{c:?}");
/// }
/// ```
pub fn is_unsafe(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control()
        || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
        || match get_general_category(c) {
            GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator => true,
            // Unassigned code points that Unicode reserves as default-ignorable
            // (DerivedCoreProperties.txt): a renderer draws nothing for them, and a later
            // version may make them format characters (as it did the tags).
            GeneralCategory::Unassigned => matches!(
                c,
                '\u{2060}'..='\u{206F}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}'
            ),
            _ => false,
        }
}

/// For a terminal (table output): unsafe characters become `\n`, `\t`, `\x1b`, `\u{202e}`,
/// `\u{e0041}`.
///
/// ```
/// use wsclose::sanitize::terminal;
///
/// // A close reason that would clear the screen and reverse the text after it.
/// assert_eq!(terminal("bye\x1b[2J\u{202e}olleh"), "bye\\x1b[2J\\u{202e}olleh");
/// assert_eq!(terminal("gel\u{f6}scht"), "gel\u{f6}scht"); // printable text is kept, unallocated
/// ```
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// For CSV already quoted by the csv crate: control characters other than the line breaks
/// inside quoted fields become visible escapes (a quoted CR/LF is legal CSV and stays).
pub fn csv(s: &str) -> String {
    if !s.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\r') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if is_unsafe(c) && c != '\n' && c != '\r' {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// For one CSV cell, before quoting: a cell a spreadsheet would read as a formula (one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return, as OWASP's "CSV injection"
/// lists them) gets a `'` in front: LibreOffice 7.4 imports such a cell as text, the `'`
/// shown, nothing evaluated (tests/it/render/spreadsheet.rs). A lone `-` (standard input's name) is
/// no formula and stays.
pub fn spreadsheet(cell: String) -> String {
    match cell.chars().next() {
        Some('-') if cell.len() == 1 => cell,
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

/// For the text of a Mermaid diagram (a message, a note, a participant's name), at most
/// `max` characters of it (then `…`): control characters made visible as for a terminal,
/// then every character but letters, digits, spaces and ``. , : / _ ( ) ! ? ' = + * @ - ``
/// written as a Mermaid entity code (`#59;` for `;`), so that nothing can end the statement
/// (`;`, a line break), start an entity, comment or arrow (`#`, `%`, `>`, `<`), close the
/// code fence (a backtick) or bring HTML in; the reader still sees every character.
pub fn mermaid(s: &str, max: usize) -> String {
    let t = terminal(s);
    let mut out = String::with_capacity(t.len() + 8);
    for (i, c) in t.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        let plain = c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '.'
                    | ','
                    | ':'
                    | '/'
                    | '_'
                    | '('
                    | ')'
                    | '!'
                    | '?'
                    | '\''
                    | '='
                    | '+'
                    | '*'
                    | '@'
                    | '-'
            );
        if plain {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

/// For HTML: the HTML report's text, attributes and SVG, and text inside an HTML element of
/// a Markdown document (a `<summary>`, where Markdown's backslash escapes are not read):
/// control characters made visible as for a terminal, then `&`, `<`, `>` and quotes as
/// character references.
pub fn html(s: &str) -> String {
    let t = terminal(s);
    let mut out = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// For Markdown (CommonMark/GFM), inline or in a table cell: control characters made
/// visible as for a terminal, then every character with a Markdown or HTML meaning escaped
/// (`|` cannot end a table cell, a backtick cannot open code, `<` cannot open a tag), and
/// what GitHub's and GitLab's extended autolinks start from broken by a backslash escape
/// (CommonMark §2.4: the escaped character is shown as itself, and a renderer sees no
/// autolink through it): the `:` of `scheme://`, the `.` of `www.`, every `@` (e-mail,
/// `mailto:` and `xmpp:` autolinks). A URL from the wire reads the same and links nowhere.
pub fn markdown(s: &str) -> String {
    let t = terminal(s);
    let mut out = String::with_capacity(t.len() + 8);
    for (i, c) in t.char_indices() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '@' => {
                out.push('\\');
                out.push(c);
            }
            ':' if t.get(i + 1..).is_some_and(|r| r.starts_with("//")) => out.push_str("\\:"),
            '.' if out
                .get(out.len().saturating_sub(3)..)
                .is_some_and(|w| w.eq_ignore_ascii_case("www")) =>
            {
                out.push_str("\\.")
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_keeps_text() {
        assert!(matches!(terminal("zu spät ✓"), Cow::Borrowed(_)));
        assert_eq!(terminal("a\x1b[31mred\x07\nb"), "a\\x1b[31mred\\x07\\nb");
        assert_eq!(terminal("x\u{9b}y\u{202e}z"), "x\\x9by\\u{202e}z");
    }

    /// Characters a reader cannot see (zero-width, soft hyphen, byte order mark, line and
    /// paragraph separators, interlinear annotation, Hangul fillers, tag characters) come
    /// out as escapes; visible text beside them, emoji and combining marks included, stays.
    #[test]
    fn invisible_characters_become_visible() {
        for (c, shown) in [
            ('\u{200b}', "\\u{200b}"),
            ('\u{200d}', "\\u{200d}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{ad}', "\\xad"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{fff9}', "\\u{fff9}"),
            ('\u{115f}', "\\u{115f}"),
            ('\u{1160}', "\\u{1160}"),
            ('\u{3164}', "\\u{3164}"),
            ('\u{ffa0}', "\\u{ffa0}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{e0001}', "\\u{e0001}"),
            ('\u{e0041}', "\\u{e0041}"),
            ('\u{e007f}', "\\u{e007f}"),
        ] {
            assert!(is_unsafe(c), "{c:?}");
            assert_eq!(terminal(&format!("a{c}b")), format!("a{shown}b"));
            assert!(!csv(&format!("a{c}b")).contains(c));
            assert!(!markdown(&format!("a{c}b")).contains(c));
        }
        // Every code point of the tag block (U+E0000..U+E007F: ASCII smuggled as invisible
        // text), assigned or not.
        for c in '\u{e0000}'..='\u{e007f}' {
            assert!(is_unsafe(c), "{c:?}");
        }
        let text = "zu spät ✓ 🦀 e\u{301} 中文 \u{fe0f}";
        assert!(matches!(terminal(text), Cow::Borrowed(_)), "{text}");
    }

    /// Nothing from the wire can end a Mermaid statement, start a comment or an arrow,
    /// close the code fence or open HTML: every `#` starts an entity code `#NNN;` and every
    /// `;` ends one; no line break, `>`, `<`, `%`, backtick is left; letters pass.
    #[test]
    fn mermaid_text_cannot_inject_statements() {
        let hostile = "bye; C->>S: forged\n%% comment\r\nNote over C,S: x #35; --> end\u{1b}[31m `\u{60}\u{60} <b>&amp;</b> \u{202e} zu spät ✓ [x]{y}|\"q\"";
        let m = mermaid(hostile, 1000);
        for bad in [
            '\n', '\r', '>', '<', '%', '`', '\u{1b}', '\u{202e}', '"', '|', '{', '[', '&',
        ] {
            assert!(!m.contains(bad), "{bad:?} in {m}");
        }
        // Every '#' opens an entity code of digits closed by ';', and no other ';' is left.
        let mut rest = m.as_str();
        let mut entities = 0;
        while let Some(at) = rest.find(['#', ';']) {
            assert_eq!(&rest[at..at + 1], "#", "a bare ';' in {m}");
            let digits: String = rest[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            assert!(!digits.is_empty(), "{m}");
            assert_eq!(
                &rest[at + 1 + digits.len()..at + 2 + digits.len()],
                ";",
                "{m}"
            );
            rest = &rest[at + 2 + digits.len()..];
            entities += 1;
        }
        assert!(entities > 20, "{entities} in {m}");
        assert!(m.contains("zu spät #10003;"), "{m}");
        assert!(m.contains("bye#59; C-#62;#62;S: forged"), "{m}");
        // Cut at `max` characters.
        assert_eq!(mermaid("abcdef", 3), "abc…");
    }

    #[test]
    fn html_text_cannot_open_a_tag() {
        assert_eq!(
            html("<b>\"a\" & 'b'</b>\n"),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;\\n"
        );
    }

    #[test]
    fn spreadsheet_formulas_become_text() {
        for formula in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(spreadsheet(formula.into()), format!("'{formula}"));
        }
        for text in ["normal", "1000", "", "-", " =1", "a=b", "'quoted"] {
            assert_eq!(spreadsheet(text.into()), text);
        }
    }

    #[test]
    fn markdown_breaks_autolinks() {
        assert_eq!(
            markdown("see http://a.example/x, WWW.b.example and c@d.example; 1000: ok"),
            "see http\\://a.example/x, WWW\\.b.example and c\\@d.example; 1000: ok"
        );
        // The break is a backslash escape: no character a reader cannot see.
        assert_eq!(markdown("ws://h"), "ws\\://h");
        assert_eq!(markdown("mailto:a@b"), "mailto:a\\@b");
    }

    #[test]
    fn markdown_cannot_break_a_table_or_open_html() {
        let m = markdown("a|b `code` <script>\x1b[2J\nnext");
        assert!(!m.contains("<script>") && !m.contains('\n') && !m.contains('\x1b'));
        assert_eq!(m.matches('|').count(), m.matches("\\|").count());
        assert_eq!(m.matches('`').count(), m.matches("\\`").count());
        assert!(m.contains("&lt;script&gt;"));
    }
}
