//! The pipeline as a whole (`src/analyzer`): hostile inputs built to exhaust time or memory,
//! and the same report on one thread or several.

mod adversarial;
mod points;
mod points_cohort;
mod points_crafted;
mod points_culprit;
mod points_cut;
mod points_lost;
mod points_proxy;
mod threads;
