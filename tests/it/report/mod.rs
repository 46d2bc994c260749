//! The report (`src/report`): typed causes, incidents, redaction over every output, reports
//! kept on disk beyond a budget, and the JSON Schema of the contract.

mod causes;
mod doubts;
mod heldout_set;
mod incident_1009;
mod incident_corpus;
mod incident_fleet;
mod incident_heldout;
mod incident_heldout4;
mod incident_heldout5;
mod incident_heldout6;
mod incident_heldout7;
mod incident_nat;
mod incident_partition;
mod incident_path;
mod incident_recordings;
mod incident_screen;
mod incident_second;
mod incident_stall;
mod incident_streams;
mod incident_table;
mod incident_tls_restart;
mod incidents;
mod outage_reset;
mod reconnect_names;
mod redact;
mod redact_fixtures;
mod schema;
mod spill;
