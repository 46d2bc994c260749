//! The vocabulary: the value types the JSON contract (docs/json.md, `schema/`) is made of.
//!
//! In: nothing of the project. This module imports only `std`, `serde`, `schemars` and
//! small crates (`itoa`), the role smoltcp's `wire` module plays: every stage builds these
//! values (`stack` its TCP endings, `websocket` its frames, `capture` its timestamps),
//! `report` assembles them into a connection's report, and renderers read them. Out: plain
//! values with their serde names, schemas and words (`Display`, `name`); nobody re-exports
//! them, each user names them here. Behaviour that needs a stage stays in that stage as an
//! inherent `impl` (reading a `ResponseFault` or a `ProxyProduct` from headers, an
//! `InputSummary` filled as a file is read).
//!
//! - `side`: [`Role`], [`PerSide`]; `endpoint`: [`Endpoint`]; `time`: [`Timestamp`];
//! - `input`: [`InputSummary`], [`LiveDrops`], [`KeySource`]; `link_type`: [`LinkType`];
//! - `tcp`: [`EndKind`], [`CloseEvent`], [`EventWhat`], [`Counters`] (RFC 9293);
//! - `frames`: [`Opcode`], [`FrameRecord`], [`Stats`], [`Unanswered`], [`StreamEndKind`],
//!   [`ResponseFault`] (RFC 6455 §4.1, §5.2; RFC 9113); `close`: [`CloseFrame`], [`Problem`] (RFC 6455 §5.5.1, §7.4);
//!   `notframes`: [`NotFrames`], [`NotFramesWhat`] (bytes that are no frames, §5.5.1);
//! - `finding`: [`Finding`], [`Kind`] (its quotes of the wire: [`Quote`], [`Quoted`],
//!   [`Detail`]; what it found, one variant per kind made a value: `found`, [`Found`]);
//!   `tunnel`: [`Tunnel`]; `software`: [`Software`],
//!   [`Library`]; `proxy`: [`ProxyProduct`], [`Product`], [`Header`];
//! - `app`: [`ApplicationReport`] (its cause label: `appcause`, [`AppCause`]; what its
//!   messages said, typed: `said`, [`AppSaid`]), [`Identity`], [`PingFacts`], [`HeartbeatReport`], [`SideBeat`],
//!   [`PollingConnection`]; `polls`: [`Polls`], [`Polled`], [`PollingFacts`], [`Open`] (the
//!   long-polling connections an analysis keeps until they are linked; not in JSON);
//! - `incident`: [`Incident`], [`IncidentKind`], [`Bin`], [`Reconnect`],
//!   [`After`], [`Accepted`]; `reconnects`: [`Reconnects`] (who came back after an incident);
//!   `stated`: [`Stated`], [`Answered`] (what a group's members said as they ended);
//!   `twin`: [`Twin`] (the same session at a second point); `ended_by`: [`EndedBy`],
//!   [`Enders`] (how and by whom its sessions ended);
//! - `ending`: [`TcpEnd`], [`TcpEnds`], [`TcpEndName`], [`LaterRst`] (a connection's FINs and
//!   RSTs, one record); `transport`: [`Transport`];
//! - `trail`: [`trail::Trail`], [`trail::Mark`] (what one capture point saw of a
//!   connection's packets, for two points laid side by side; not in JSON).

mod app;
mod appcause;
mod close;
mod ended_by;
mod ending;
mod endpoint;
mod evidence;
mod finding;
mod found;
mod frames;
mod h2;
mod incident;
mod input;
mod link_type;
mod notframes;
mod polls;
mod proxy;
mod reconnects;
// Each verdict's variant names its fields in its doc's sentence (`packet`, `end_packet`,
// `who`): a doc comment on every field would only repeat it.
#[allow(missing_docs)]
pub mod said;
mod side;
mod software;
mod stated;
mod tcp;
mod time;
mod tls;
pub mod trail;
mod transport;
mod tunnel;
mod twin;

pub use app::{
    ApplicationReport, HeartbeatReport, Identity, PingFacts, PollingConnection, SideBeat,
};
pub use appcause::AppCause;
pub use close::{CloseFrame, CloseFrameJson, Problem};
pub use ended_by::{EndedBy, Enders};
pub use ending::{LaterRst, TcpEnd, TcpEndName, TcpEnds};
pub use endpoint::Endpoint;
pub use evidence::{NotSeen, Unseen};
pub use finding::{Detail, Finding, Kind, Quote, Quoted};
pub use found::{CapHit, Found, Gap, GapWhy, H2Lost, HandshakeProblem, Invalid, Truncated};
pub use found::{ControlByteHeader, ControlBytes, H2cSettings};
pub use frames::{
    h2_error_code, h2_error_name, FrameRecord, FrameRecordJson, Opcode, ResponseFault, Stats,
    StatsJson, StreamEndKind, Unanswered,
};
pub use h2::{h2_frame_name, H2Broke, H2Stop, HpackProblem};
pub use incident::{Accepted, After, Bin, Incident, IncidentKind, Reconnect};
pub use incident::{Doubt, DoubtReason, LoopStop, Partition, Slow, Stall};
pub use incident::{Fact, IncidentFacts, Needs, NotShown, REJECTED_S};
pub use input::{InputSummary, KeyLogName, KeySource, LiveDrops};
pub use link_type::LinkType;
pub use notframes::{NotFrames, NotFramesWhat};
pub use polls::{Open, Polled, PollingFacts, Polls};
pub use proxy::{Header, Product, ProxyProduct};
pub use reconnects::Reconnects;
pub use said::AppSaid;
pub use side::{PerSide, Role};
pub use software::{Library, Software};
pub use stated::{Answered, Stated};
pub use tcp::{CloseEvent, Counters, EndKind, EventWhat};
pub use time::Timestamp;
pub use tls::{tls_other_suite_name, tls_version_name, NotDecrypted, Violation};
pub use transport::Transport;
pub use tunnel::Tunnel;
pub use twin::Twin;

/// The schema of each type whose JSON is a string made from its words (its `Serialize`
/// writes its `Display` or name): a string's.
macro_rules! string_schema {
    ($($t:ty),+) => {$(
        impl schemars::JsonSchema for $t {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }

            fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(g)
            }
        }
    )+};
}

string_schema!(AppCause, KeyLogName, EndedBy, Enders);
