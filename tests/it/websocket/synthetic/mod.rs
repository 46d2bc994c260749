//! Captures built in code, one scenario per test: every byte of every packet is known, so
//! each test states the exact close frames, packet numbers, status and findings. One module
//! per group of scenarios.
//!
//! A [`Session`] plays one TCP connection (client 10.0.0.1, server 10.0.0.2) and tracks
//! both sequence numbers; the WebSocket helpers build RFC 6455 frames (client frames masked,
//! server frames not, unless a test says otherwise). `Session::analyze` writes the packets
//! to a pcap in a temporary directory and runs the library on it.

use crate::common;

use common::*;
use std::ops::Range;
use std::time::{Duration, Instant};
use wsclose::report::Report;
use wsclose::vocab::{
    Kind, LinkType,
    Role::{self, Client, Server},
};

mod closes;
mod endings;
mod faults;
mod fragments;
mod frames;
mod mqtt;
mod targets;
mod violations;
