//! The JSON contract as a JSON Schema (draft 2020-12), generated from the report model.
//!
//! In: the report types, which derive `schemars::JsonSchema` beside their serde derives
//! (the types whose JSON form is written by hand, `Status`, `Host`, `Timestamp` and the
//! JSON views `ConnectionReportJson`, `StatsJson`, `FrameRecordJson`, get their schema here
//! or from those views). Out: [`report`], the schema of `wsclose analyze --format json`,
//! as `wsclose schema` prints it and `schema/report.schema.json` keeps it.
//!
//! The schema describes what is written (schemars' serialize contract): a field left out
//! when empty (`skip_serializing_if`) is optional, every other one required, `null` where
//! the field is an `Option`. Every object is closed (`additionalProperties: false`), so that
//! a field added to the report but not to the schema fails tests/it/report/schema.rs.

use super::Report;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// The schema of the JSON report, with every object closed.
pub fn report() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(RecursiveTransform(close_object))
        .into_generator()
        .into_root_schema_for::<Report>()
}

/// The schema as the committed file holds it: pretty JSON and a newline.
pub fn report_text() -> String {
    let mut text = serde_json::to_string_pretty(&report()).unwrap_or_default();
    text.push('\n');
    text
}

/// The schema of the records (`--format jsonl`; the event lines of `--follow` and
/// `live`): any of a connection, an event or a summary record (`report::record`), every
/// object closed as in [`report`].
pub fn records() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(RecursiveTransform(close_object))
        .into_generator()
        .into_root_schema_for::<super::record::Record<'static>>()
}

/// The records' schema as the committed file (schema/records.schema.json) holds it.
pub fn records_text() -> String {
    let mut text = serde_json::to_string_pretty(&records()).unwrap_or_default();
    text.push('\n');
    text
}

/// `additionalProperties: false` on an object schema with named properties (maps, whose
/// keys are data, keep their `additionalProperties` schema).
fn close_object(schema: &mut Schema) {
    if let Some(obj) = schema.as_object_mut() {
        if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".into(), false.into());
        }
    }
}

/// `impl JsonSchema for $ty` by the schema of `$view`, the type whose serde derive writes
/// `$ty`'s JSON (a `#[serde(remote)]` view).
macro_rules! schema_as {
    ($ty:ty => $view:ty) => {
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <$view as schemars::JsonSchema>::schema_name()
            }

            fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <$view as schemars::JsonSchema>::json_schema(g)
            }
        }
    };
}

schema_as!(super::ConnectionReport => super::ConnectionReportJson);
schema_as!(super::tls::EncryptedReport => super::tls::EncryptedReportJson);
schema_as!(super::encapsulation::EncapsulationReport => super::encapsulation::EncapsulationReportJson);

/// An endpoint's text (`10.0.0.1:41008`, `[::1]:443`) or its `--redact` pseudonym.
impl JsonSchema for super::Host {
    fn schema_name() -> Cow<'static, str> {
        "Host".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An endpoint, `address:port` (`[address]:port` for IPv6), or the pseudonym `--redact` gave it (`host-3f2a9c:41008`).",
            "type": "string"
        })
    }
}

/// A connection's status as `Status`'s `Serialize` writes it (the cause joined from the
/// capture's detail and the catalog's text, and the causes typed).
impl JsonSchema for crate::report::Status {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The status: the close code each side should act on (null when there is none), its name, whether it was inferred (1005, 1006: never on the wire), the cause seen in this capture followed by the code's typical causes, the fix, and the causes seen in this capture, typed (each with its stable `kind`, in the order the cause says them).",
            "type": "object",
            "properties": {
                "code": g.subschema_for::<Option<u16>>(),
                "name": g.subschema_for::<String>(),
                "inferred": g.subschema_for::<bool>(),
                "cause": g.subschema_for::<String>(),
                "fix": g.subschema_for::<String>(),
                "causes": g.subschema_for::<Vec<crate::report::Cause>>(),
            },
            "required": ["code", "name", "inferred", "cause", "fix", "causes"]
        })
    }
}

/// `#[schemars(schema_with)]` for a name taken from a fixed list: a string, one of `names`.
fn one_of(names: &[&str]) -> Schema {
    json_schema!({ "type": "string", "enum": names })
}

/// `ConnectionReport::tcp_end` (and `EncryptedReport::tcp_end`): how TCP ended first.
pub(super) fn tcp_end(_: &mut SchemaGenerator) -> Schema {
    one_of(&crate::vocab::TcpEndName::ALL.map(|n| n.as_str()))
}

/// `EncryptedReport::reason`: why a TLS connection is listed as encrypted.
pub(super) fn encrypted_reason(_: &mut SchemaGenerator) -> Schema {
    one_of(&super::tls::Reason::ALL.map(|r| r.as_str()))
}

/// `ConnectionReport::transport`: what carried the handshake and frames.
pub(super) fn transport(_: &mut SchemaGenerator) -> Schema {
    one_of(&crate::vocab::Transport::ALL.map(|t| t.as_str()))
}
