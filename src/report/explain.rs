//! `wsclose explain CODE [CODE]` and `wsclose codes`: the catalog as text or JSON.
//!
//! In: one or two close codes, or none (the whole catalog). Out: each code's entry (name,
//! whether it may be sent, meaning, when you see it, how to fix it, reference), and for two
//! codes the catalog's comparison of them when it has one.

use crate::close::catalog::{self, Entry, OnWire};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use std::fmt::Write;

fn label(e: &Entry, code: u16) -> String {
    if e.first == e.last {
        format!("{code} {}", e.name)
    } else {
        format!("{code} ({}, {}-{})", e.name, e.first, e.last)
    }
}

fn on_wire(e: &Entry) -> &'static str {
    match e.on_wire {
        OnWire::Allowed => "yes, an endpoint may send it",
        OnWire::Never => {
            "never: a local status only (RFC 6455 §7.4.1); seeing it in a frame is a protocol error"
        }
        OnWire::Invalid => {
            "no: not assigned; a close frame carrying it is a protocol error (RFC 6455 §7.4.2)"
        }
    }
}

pub fn explain(codes: &[u16]) -> String {
    let mut out = String::new();
    for &code in codes {
        let e = catalog::lookup(code);
        let _ = writeln!(out, "{}", label(e, code));
        let _ = writeln!(out, "  On the wire:      {}", on_wire(e));
        let _ = writeln!(out, "  Meaning:          {}", e.meaning);
        let _ = writeln!(out, "  When you see it:  {}", e.causes);
        let _ = writeln!(out, "  How to fix it:    {}", e.fix);
        let _ = writeln!(out, "  Reference:        {}", e.reference);
        out.push('\n');
    }
    if let [a, b] = codes {
        match catalog::pair(*a, *b) {
            Some(p) => {
                let _ = writeln!(out, "{a} vs {b}");
                let _ = writeln!(out, "  Key difference:   {}", p.difference);
                let _ = writeln!(out, "  Which to use:     {}", p.which);
            }
            None => {
                let (ea, eb) = (catalog::lookup(*a), catalog::lookup(*b));
                let _ = writeln!(out, "{a} vs {b}");
                let _ = writeln!(
                    out,
                    "  The catalog has no written comparison of these two; compare their meanings above: {} / {}.",
                    ea.name, eb.name
                );
            }
        }
    }
    out
}

pub fn explain_json(codes: &[u16]) -> String {
    let entries: Vec<_> = codes
        .iter()
        .map(|&c| serde_json::json!({"code": c, "entry": catalog::lookup(c)}))
        .collect();
    let pair = match codes {
        [a, b] => catalog::pair(*a, *b),
        _ => None,
    };
    let v = serde_json::json!({"codes": entries, "comparison": pair});
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

pub fn codes(width: Option<u16>) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["Code", "Name", "Sent on the wire?", "Meaning"]);
    t.set_width(width.unwrap_or(160));
    for e in catalog::ENTRIES {
        let code = if e.first == e.last {
            e.first.to_string()
        } else {
            format!("{}-{}", e.first, e.last)
        };
        let wire = match e.on_wire {
            OnWire::Allowed => "yes",
            OnWire::Never => "never",
            OnWire::Invalid => "invalid",
        };
        t.add_row(vec![
            code,
            e.name.to_string(),
            wire.to_string(),
            e.meaning.to_string(),
        ]);
    }
    format!("{t}\n")
}

pub fn codes_json() -> String {
    serde_json::to_string_pretty(&catalog::ENTRIES).unwrap_or_default() + "\n"
}
