//! Each cause kind's facets, made from the one list of kinds (`cause_list!` in
//! `report/cause/list.rs`) as exhaustive matches: a kind with a facet left out does not compile.
//!
//! In: the list, each kind's `facets { ... }` stating, in this order, with no default:
//! - `rank`: where it is said in the detail (`u8`, lower first; `words::rank`);
//! - `names`: whether it names what happened at the layer where it happened
//!   (`words::names_what_happened`);
//! - `own`: whether it gives the connection's own cause (`words::states_own_cause`);
//! - `explains`: whether it explains a 1006 in its own way without being a path fault or
//!   the application's words, so an abrupt ending is not read beside it (`diagnose::ending`);
//! - `words`: the function in `report/words/` that writes its sentences (the `Display`);
//! - `hint`: the advice it adds before the fix (`Option<String>`; `words::fix`);
//! - `head`: the status's code, name and fix when it is the first cause (`words::head`);
//! - `redact`: what `--redact` takes out of its wire texts, and whether it did
//!   (`report::redact`; `false`: it carries none that names a person or carries their data);
//! - `evidence`: the clause it adds to the evidence line, with its packets
//!   (`diagnose::diagnosis`; none where the deciding code writes the evidence itself).
//!
//! A facet is an expression in the names the list binds (`|c, known, names|`: the cause, for
//! `hint` whether the connection's own cause is known, and for `redact` the pseudonyms
//! given so far, `redact::Names`), read here (`w` is `report::words`,
//! `redact` is `report::redact`), or for `words` a path. Out: `Cause`'s facet methods and its
//! `Display`.

use crate::report::cause::{cause_list, Cause, Head};
use crate::report::redact;
use crate::report::words as w;

/// Makes the facet methods and the `Display` of `Cause` from the list.
macro_rules! facets {
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
        impl Cause {
            /// Where it is said in the detail, lower first (its `rank` facet).
            pub fn rank(&self) -> u8 {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $rank, )*
                }
            }

            /// Whether it names what happened at the layer where it happened (its `names`
            /// facet).
            pub fn names_what_happened(&self) -> bool {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $names, )*
                }
            }

            /// Whether it gives the connection's own cause (its `own` facet).
            pub fn states_own_cause(&self) -> bool {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $own, )*
                }
            }

            /// Whether it explains a 1006 in its own way (its `explains` facet).
            pub fn explains_1006(&self) -> bool {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $explains, )*
                }
            }

            /// The advice it adds before the fix, if any (its `hint` facet); `known`: the
            /// connection's own cause is known (a cause states it or names what happened).
            pub fn hint(&self, $known: bool) -> Option<String> {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $hint, )*
                }
            }

            /// The clause it adds to the evidence line, and its packets (its `evidence`
            /// facet): none for a kind whose evidence the deciding code writes itself.
            pub fn evidence(&self) -> Option<(String, Vec<u64>)> {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $evidence, )*
                }
            }

            /// Takes out of it what came from the wire and may name a person or carry
            /// their data (its `redact` facet, `--redact`); whether it changed.
            pub(crate) fn redact(&mut self, $pseudonyms: &mut redact::Names) -> bool {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $redact, )*
                }
            }

            /// The head it gives a status as its first cause (its `head` facet).
            pub fn head(&self) -> Head {
                let $c = self;
                match $c {
                    $( Cause::$variant { .. } => $head, )*
                }
            }
        }

        /// The words of one cause (without a space before or after): its `words` facet.
        impl std::fmt::Display for Cause {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $( Cause::$variant { .. } => $words(self, f), )*
                }
            }
        }
    };
}

cause_list!(facets);
