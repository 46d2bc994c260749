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
