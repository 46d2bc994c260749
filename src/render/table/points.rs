//! The table's lines of a session seen at two points of its path (issue 103).
//!
//! In: a connection's `points` (`report::points`). Out: its status cell's lines: one, the
//! brief table's (`words::points::brief`), or each of `-v`'s (`words::points::lines`),
//! escaped as all the table's text: a file or interface name is the user's or the
//! capture's.

use crate::report::{words, ConnectionReport};
use crate::sanitize::terminal;
use std::fmt::Write;

/// The brief table: the points in one line, under the status.
pub(super) fn brief(status: &mut String, c: &ConnectionReport) {
    if let Some(p) = &c.points {
        let _ = write!(status, "\n{}", terminal(&words::points::brief(p)));
    }
}

/// `-v`: the points, a line each, after the evidence.
pub(super) fn lines(status: &mut String, c: &ConnectionReport) {
    if let Some(p) = &c.points {
        for line in words::points::lines(p) {
            let _ = write!(status, "\n{}", terminal(&line));
        }
    }
}
