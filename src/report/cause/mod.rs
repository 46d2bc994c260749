//! What happened, typed: the [`Cause`]s a status is made of.
//!
//! In: nothing but the numbers and packets the deciding code (`status`, `idle`, `tls`,
//! `legs`) found. Out: [`Cause`], one variant per thing that happened, each with a stable
//! kebab-case `kind` (JSON `status.causes[].kind`) and the numbers and packets that show it.
//! Each kind's entry states its facets too (rank, whether it names what happened or the
//! connection's own cause, the function of `report/words/` that says it, its hint, head,
//! redaction and evidence; made in `report/words/facets.rs`), so that a kind with one left
//! out does not compile; the words themselves are written in `report/words/`, and nowhere
//! else.
//!
//! Stored (`serial`, postcard), a cause is its variant and fields in order; in JSON, an
//! object with its `kind` first and its fields by name.

use crate::vocab::{AppCause, Problem, ResponseFault, Role};
use serde::{Deserialize, Serialize};

mod parts;
pub use parts::*;

mod declare;
use declare::causes;

mod list;
mod list_first;
pub(crate) use list::cause_list;
pub(crate) use list_first::cause_list_first;

cause_list!(causes);

impl Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            CauseJson::serialize(self, s)
        } else {
            Cause::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for Cause {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cause, D::Error> {
        Cause::deserialize(d)
    }
}

impl schemars::JsonSchema for Cause {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <CauseJson as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <CauseJson as schemars::JsonSchema>::json_schema(g)
    }
}
