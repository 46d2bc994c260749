//! The small words every text of the diagnosis and every renderer uses: spans of time in seconds and
//! milliseconds as the reports write them, a time of day, and "a" or "an" before a frame's name.

use crate::vocab::Timestamp;
use std::fmt::{self, Display, Formatter};

/// "14:02:31.120": a time of day (UTC), to the millisecond.
pub fn clock(t: Timestamp) -> String {
    let s = t.to_string();
    // 2024-05-01T14:02:31.123456789Z
    match s.split_once('T') {
        Some((_, rest)) => rest.get(..12).unwrap_or(rest).to_string(),
        None => s,
    }
}

/// The first letters that take "an" before a frame name: END_STREAM, RST_STREAM (said
/// "ar-es-tee"), …
pub const AN_LETTERS: [char; 6] = ['R', 'E', 'A', 'I', 'O', 'U'];

/// "a" or "an" before `name`.
pub fn article(name: &str) -> &'static str {
    if name.starts_with(AN_LETTERS) {
        "an"
    } else {
        "a"
    }
}

/// A span of capture time as the texts give it: to the millisecond under 10 s (so that a
/// reaction 4 ms after a message is not "0.0 s"), to the tenth of a second above.
#[derive(Debug, Clone, Copy)]
pub struct Secs(pub f64);

impl Display for Secs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0 < 10.0 {
            write!(f, "{:.3} s", self.0)
        } else {
            write!(f, "{:.1} s", self.0)
        }
    }
}

/// A span of time for reading at a glance (an incident's window, a reconnect's delay):
/// "40 ms" under a second, "1.2 s" under ten, "95 s" above; "?" when not a number.
#[derive(Debug, Clone, Copy)]
pub struct Rough(pub f64);

impl Display for Rough {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if !s.is_finite() {
            f.write_str("?")
        } else if s < 1.0 {
            write!(f, "{} ms", (s * 1000.0).round() as i64)
        } else if s < 10.0 {
            write!(f, "{s:.1} s")
        } else {
            write!(f, "{} s", s.round() as i64)
        }
    }
}

/// Milliseconds as a report writes them: whole ones, or tenths below 10 ms.
pub struct Ms(pub f64);

impl Display for Ms {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0 < 10.0 {
            write!(f, "{:.1} ms", self.0)
        } else {
            write!(f, "{:.0} ms", self.0)
        }
    }
}
