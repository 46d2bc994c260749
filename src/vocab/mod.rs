//! The vocabulary: the value types the JSON contract (docs/json.md, `schema/`) is made of.
//!
//! In: nothing of the project. This module imports only `std`, `serde` and `schemars`, the
//! role smoltcp's `wire` module plays: every stage builds these values (`stack` its TCP
//! endings, `websocket` its frames, `capture` its timestamps), `report` assembles them into a
//! connection's report, and renderers read them. Out: plain values with their serde names;
//! nobody re-exports them, each user names them here.

mod close;
mod endpoint;
mod finding;
mod frames;
mod input;
mod link_type;
mod proxy;
mod side;
mod software;
mod tcp;
mod time;
mod tunnel;

pub use close::Problem;
pub use endpoint::Endpoint;
pub use finding::{Finding, Kind};
pub use frames::{
    FrameRecord, FrameRecordJson, Opcode, ResponseFault, Stats, StatsJson, StreamEndKind,
    Unanswered,
};
pub use input::{InputSummary, KeySource, LiveDrops};
pub use link_type::LinkType;
pub use proxy::{Header, Product, ProxyProduct};
pub use side::{PerSide, Role};
pub use software::{Library, Software};
pub use tcp::{CloseEvent, Counters, EndKind, EventWhat};
pub use time::Timestamp;
pub use tunnel::Tunnel;
