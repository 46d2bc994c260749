//! The stages inside the crate, public only for this package's own tests, examples, benches
//! and fuzz targets, which drive them one by one (`wsclose::__internals::stack::tls`, ...):
//! hidden from the docs and **outside the semver promise**: anything here may change or go in
//! any release. Not for library users, whose API is what the crate's docs show. No feature
//! changes what is public. Inside the crate the stages are reached at its root
//! (`crate::capture`, ...).

#[path = "analyzer/mod.rs"]
pub mod analyzer;
#[path = "capture/mod.rs"]
pub mod capture;
#[path = "decode/mod.rs"]
pub mod decode;
#[path = "flow.rs"]
pub mod flow;
#[path = "freeze.rs"]
pub mod freeze;
/// The JSON writer of [`render::json`](crate::render::json).
#[path = "render/pretty/mod.rs"]
pub mod pretty;
#[path = "scratch.rs"]
pub mod scratch;
#[path = "serial.rs"]
pub mod serial;
#[path = "stack/mod.rs"]
pub mod stack;
#[path = "websocket/mod.rs"]
pub mod websocket;
