//! Findings in words: the one place a finding recorded as a value is said.
//!
//! In: a finding's side and what it found ([`Found`]). Out: its `detail` ([`Detail`]: the
//! sentence, with the ranges that quote the wire for `--redact`), made when the stage
//! records it and again when `diagnose` adds to it ([`reword`]); a close frame's problems
//! as a list ([`problem_names`]), the one comma-join of them.

use crate::vocab::{Detail, Finding, Found, Gap, GapWhy, Problem, Role};

/// The words of what a finding found, `from` the side it is about.
pub fn detail(from: Option<Role>, found: &Found) -> Detail {
    Detail::default().say(&match found {
        Found::Gap(g) => gap(from, g),
        Found::MalformedClose { problems } => {
            format!("close frame problems: {}", problem_names(problems))
        }
    })
}

/// `f`'s detail made again from what it found (after `diagnose` added to it); a finding
/// that holds no value keeps its words.
pub fn reword(f: &mut Finding) {
    if let Some(found) = &f.found {
        let d = detail(f.from, found);
        f.detail = d.text;
        f.quotes = d.quotes;
    }
}

/// A close frame's problems, comma-separated ("too-long, reason-not-utf8").
pub fn problem_names(problems: &[Problem]) -> String {
    let names: Vec<&str> = problems.iter().map(|p| p.as_str()).collect();
    names.join(", ")
}

/// A gap's note: how many bytes of whose stream, where, and why they are missing.
fn gap(from: Option<Role>, g: &Gap) -> String {
    let Gap { len, offset, why } = *g;
    let from = from.map_or("", Role::as_str);
    let lead = format!("{len} bytes of the {from}'s stream at offset {offset}");
    match why {
        GapWhy::SnapLength => format!(
            "{lead} are not in the capture (cut off by the capture's snap length); nothing is guessed across them"
        ),
        GapWhy::NotCaptured => format!(
            "{lead} are not in the capture ({NOT_CAPTURED}); nothing is guessed across them"
        ),
        GapWhy::NeverReached {
            peer,
            later,
            sacked,
            black_hole,
        } => {
            // Its SACK blocks held the later bytes (RFC 2018 §4): the sure sign.
            let sacked = sacked
                .map(|p| format!(", its SACK blocks holding later bytes (packet {p})"))
                .unwrap_or_default();
            if black_hole {
                format!("{lead} never reached the {peer}: its acknowledgements stayed at their start (the path MTU black hole of the cause){sacked}, so no capture on its side holds them; nothing is guessed across them")
            } else {
                format!("{lead} never reached the {peer}: its acknowledgements stayed at their start while the {from}'s later segment (packet {later}) arrived{sacked}, so they were lost on the path, not by the capture, and no capture on the {peer}'s side holds them; nothing is guessed across them")
            }
        }
    }
}

/// Why a gap's bytes are missing when nothing in the capture explains them.
const NOT_CAPTURED: &str = "dropped or cut by the snaplen";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_says_its_bytes_and_why() {
        let g = |why| {
            Found::Gap(Gap {
                len: 120,
                offset: 300,
                why,
            })
        };
        let said = |why| detail(Some(Role::Server), &g(why)).text;
        assert_eq!(
            said(GapWhy::NotCaptured),
            "120 bytes of the server's stream at offset 300 are not in the capture (dropped or cut by the snaplen); nothing is guessed across them"
        );
        assert!(said(GapWhy::SnapLength).contains("(cut off by the capture's snap length)"));
        let lost = said(GapWhy::NeverReached {
            peer: Role::Client,
            later: 9,
            sacked: Some(11),
            black_hole: false,
        });
        assert!(lost.starts_with(
            "120 bytes of the server's stream at offset 300 never reached the client: "
        ));
        assert!(lost.contains(
            "later segment (packet 9) arrived, its SACK blocks holding later bytes (packet 11)"
        ));
    }

    #[test]
    fn a_malformed_close_lists_its_problems() {
        let f = Found::MalformedClose {
            problems: vec![Problem::TooLong, Problem::ReasonNotUtf8],
        };
        assert_eq!(
            detail(Some(Role::Client), &f).text,
            "close frame problems: too-long, reason-not-utf8"
        );
    }
}
