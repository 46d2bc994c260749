//! The `causes!` macro: from the list of kinds (`cause_list!` in `cause/list.rs`: each kind's
//! kebab-case name, fields and facets) it declares [`Cause`](super::Cause), its JSON view,
//! `Cause::kind` and `Cause::KINDS`. The same list is read a second time by `facets!`
//! (`report/words/facets.rs`), which makes every facet one exhaustive match, so that a kind
//! with a facet left out does not compile; the facets are described there. Two readings of
//! one list, so that `cause.rs` names no function of `words` (which reads `Cause`).

/// Declares [`Cause`](super::Cause) (stored form: every field, variant by index), its JSON
/// view `CauseJson` (internally tagged by `kind`), `Cause::kind` and `Cause::KINDS`, from the
/// list (its facets are read by `facets!`, not here).
macro_rules! causes {
    (|$c:ident, $known:ident, $pseudonyms:ident| $(
        $(#[doc = $doc:literal])*
        $kind:literal => $variant:ident {
            $( $(#[doc = $fdoc:literal])* $field:ident : $fty:ty ),* $(,)?
        }
        facets {
            rank: $rank:expr, names: $names:expr, own: $own:expr, explains: $explains:expr,
            words: $words:path, hint: $hint:expr, head: $head:expr, redact: $redact:expr,
            evidence: $evidence:expr $(,)?
        }
    )*) => {
        /// One thing that happened, with its numbers and packets. A status holds its
        /// causes in the order they are said (`text::detail`); the first decides the code.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(remote = "Self")]
        #[non_exhaustive]
        pub enum Cause {
            $( $(#[doc = $doc])* $variant { $( $(#[doc = $fdoc])* $field: $fty ),* }, )*
        }

        /// The JSON view of a [`Cause`]: `{"kind": "...", fields...}`.
        #[derive(Serialize, schemars::JsonSchema)]
        #[serde(remote = "Cause", tag = "kind", rename = "Cause")]
        #[schemars(description = "One cause of the status, by its stable kind, with its numbers and packets.")]
        pub(crate) enum CauseJson {
            $( $(#[doc = $doc])* #[serde(rename = $kind)] $variant { $( $(#[doc = $fdoc])* $field: $fty ),* }, )*
        }

        impl Cause {
            /// Its stable name (JSON `kind`).
            pub fn kind(&self) -> &'static str {
                match self {
                    $( Cause::$variant { .. } => $kind, )*
                }
            }

            /// Every kind, in declaration order.
            pub const KINDS: &'static [&'static str] = &[$($kind),*];
        }
    };
}
pub(super) use causes;
