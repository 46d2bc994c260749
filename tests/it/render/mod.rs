//! The output formats (`src/render`): snapshots of what a user sees, HTML in a browser, the
//! table and CSV at scale, JSON Lines, ECS and the records in DuckDB.

mod duckdb;
mod ecs;
mod formats;
mod html;
mod jsonl;
pub(crate) mod points;
mod spreadsheet;
mod table;
