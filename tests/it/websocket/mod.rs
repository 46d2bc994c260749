//! RFC 6455 (`src/websocket`): sessions built in code frame by frame, property tests of the
//! frame parser, the rule-breaking peers' fixtures, and tshark's reading of close frames.

mod properties;
mod rules;
mod synthetic;
mod tshark;
