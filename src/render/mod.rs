//! One renderer per format, each a function of the finished [`Report`](crate::report::Report).
//!
//! In: a report (connections in memory or in its store), or for [`events`] one live
//! [`CloseEvent`](crate::CloseEvent), or for [`explain`] close codes. Out: text, written as
//! it is made: [`table`] (the terminal), [`json`] (the stable contract), [`markdown`] (a
//! ticket), [`csv`] (spreadsheets), [`events`] (live lines), [`explain`] (the catalog).
//! Every string from the wire goes through `sanitize` for the medium it lands in.
//!
//! No renderer imports another; what several share sits below them: `statuses` (each
//! status explained once per report: the connections grouped by status), `text` (pieces
//! each renderer words itself), [`wireshark`] (a connection's display filter, also a field
//! of the JSON) and `pretty` (the JSON writer).

pub mod csv;
pub mod events;
pub mod explain;
pub mod json;
pub mod markdown;
// Public (hidden) with `internals` only, for benches/json_writer.rs, which weighs it
// against serde_json.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod pretty;
#[cfg(not(feature = "internals"))]
mod pretty;
mod statuses;
pub mod table;
mod text;
pub mod wireshark;

/// The application's cause in one line ("socket.io: ping timeout (ended by the client)"),
/// when its messages said why.
pub fn app_line(a: &crate::app::ApplicationReport) -> Option<String> {
    let cause = a.cause.as_deref()?;
    Some(match a.ended_by {
        Some(by) => format!("{}: {cause} (ended by the {by})", a.protocol),
        None => format!("{}: {cause}", a.protocol),
    })
}

/// What the report says of the application: how it was recognized, and its cause with the
/// summary and fix when its messages said why.
pub fn app_text(a: &crate::app::ApplicationReport) -> String {
    let mut s = match &a.version {
        Some(v) => format!("{v}, recognized by {}", a.recognized_by),
        None => format!("recognized by {}", a.recognized_by),
    };
    match (&a.cause, &a.summary) {
        (Some(c), Some(sum)) => s.push_str(&format!(". {c}: {sum}")),
        (Some(c), None) => s.push_str(&format!(". {c}")),
        (None, _) => s.push_str(". Its messages do not say why the session ended"),
    }
    if let Some(fix) = &a.fix {
        s.push_str(&format!(". Fix: {fix}"));
    }
    s
}
