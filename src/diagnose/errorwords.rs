//! Whether a message's words read as an error: the words ([`ERROR_WORDS`]), matched by
//! whole words in one pass (an Aho-Corasick automaton), clause by clause, a clause that
//! denies ("no errors", "not expired") naming none. Shared by the last words
//! (`lastwords`) and the readers of their shapes (`shapes`).
//!
//! In: a message's text. Out: whether it reads as an error ([`error_like`]), and whether a
//! line of text states one rather than mentions one ([`states_error`]).

/// Characters of a message read for its words, and shown at most in a cause.
pub const CAUSE_SHOWN: usize = 200;

/// Words that make a message read as an error (matched without regard to ASCII case).
pub const ERROR_WORDS: [&str; 27] = [
    "error",
    "errors",
    "err",
    "denied",
    "expired",
    "unauthorized",
    "unauthorised",
    "unauthenticated",
    "forbidden",
    "invalid",
    "exceeded",
    "quota",
    "limit",
    "limited",
    "revoked",
    "failed",
    "failure",
    "refused",
    "rejected",
    "kicked",
    "banned",
    "timeout",
    "fatal",
    "exception",
    "violation",
    "throttled",
    "overloaded",
];

/// [`ERROR_WORDS`] as one automaton, built once: the leftmost occurrence from a place on in
/// text lower-cased first (so that its SIMD prefilter, which is case-sensitive, skips the
/// bytes where none can start), then checked for whole-word edges on the text itself.
/// (`None` never happens: the words are fixed and few.)
fn error_words() -> Option<&'static aho_corasick::AhoCorasick> {
    static WORDS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    WORDS
        .get_or_init(|| {
            aho_corasick::AhoCorasick::builder()
                // No DFA to build: the prefilter skips most bytes.
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(ERROR_WORDS)
                .ok()
        })
        .as_ref()
}

/// A byte inside a word: ASCII letters and digits, and any byte of a non-ASCII character
/// (so that no word is cut out of a longer one).
#[inline]
fn in_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// Whether a word starts at `i` of `b`: the byte before is no word byte, or a lower-case
/// letter before an upper-case one (`authError`, as in `close::words`).
#[inline]
fn edge(b: &[u8], i: usize) -> bool {
    match (i.checked_sub(1).and_then(|j| b.get(j)), b.get(i)) {
        (None, _) | (_, None) => true,
        (Some(&p), Some(&c)) => {
            !in_word(p) || !in_word(c) || (p.is_ascii_lowercase() && c.is_ascii_uppercase())
        }
    }
}

/// Whether a message's words read as an error: one of [`ERROR_WORDS`], by whole words (runs
/// of ASCII letters and digits, any other byte of UTF-8 text counted as a letter so that
/// no word is cut out of a longer one; a lower-to-upper change starts a new word, as in
/// `close::words`). Only its first [`CAUSE_SHOWN`] bytes are read (what the cause quotes).
/// A clause that denies ("no errors", "not expired", "all good": `reason::clause_denies`)
/// makes no error of the words in it.
pub fn error_like(text: &str) -> bool {
    let b = text.as_bytes();
    let b = b.get(..CAUSE_SHOWN).unwrap_or(b);
    b.split(|c| crate::close::reason::CLAUSE_ENDS.contains(&char::from(*c)))
        .any(|clause| {
            error_like_bytes(clause) && {
                // The last clause may be cut inside a character by the first bytes read.
                let s = match std::str::from_utf8(clause) {
                    Ok(s) => s,
                    Err(e) => clause
                        .get(..e.valid_up_to())
                        .and_then(|c| std::str::from_utf8(c).ok())
                        .unwrap_or_default(),
                };
                !crate::close::reason::clause_denies(s)
            }
        })
}

/// Whether a line of text states an error rather than mentions one: a status line whose
/// first word is one of [`ERROR_WORDS`] ("ERROR quota exceeded", "Denied: …"), or whose
/// head before a `:` reads as an error ("auth error: token expired"); never a question. A
/// sentence that merely mentions an error ("did you see the timeout error yesterday?",
/// "auth failed lol") states none.
pub fn states_error(line: &str) -> bool {
    let line = line.trim();
    if line.ends_with('?') {
        return false;
    }
    let (w, n) = crate::close::words(line);
    let first = w.get(..n).and_then(|w| w.first());
    if first.is_some_and(|f| ERROR_WORDS.iter().any(|e| f.eq_ignore_ascii_case(e))) {
        return error_like(line);
    }
    // A head of a few words before a colon: a label, not a sentence.
    line.split_once(':')
        .is_some_and(|(head, _)| crate::close::words(head).1 <= 4 && error_like(head))
}

fn error_like_bytes(b: &[u8]) -> bool {
    let b = b.get(..CAUSE_SHOWN).unwrap_or(b);
    let Some(words) = error_words() else {
        return false;
    };
    let mut low = [0u8; CAUSE_SHOWN];
    let low = low.get_mut(..b.len()).unwrap_or_default();
    for (l, c) in low.iter_mut().zip(b) {
        *l = c.to_ascii_lowercase();
    }
    let low = &*low;
    let mut at = 0;
    while let Some(m) = words.find(aho_corasick::Input::new(low).span(at..low.len())) {
        let s = m.start();
        // Any word of the list that starts there (err, error, errors) and ends a word.
        if edge(b, s)
            && ERROR_WORDS.iter().any(|w| {
                low.get(s..s + w.len())
                    .is_some_and(|x| x == w.as_bytes() && edge(b, s + w.len()))
            })
        {
            return true;
        }
        at = s + 1;
    }
    false
}
