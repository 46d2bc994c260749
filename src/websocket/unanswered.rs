//! A message one side sent that the other side answered only by ending the connection.
//!
//! In: nothing (plain data). Out: [`Unanswered`], which `diagnose` finds (a reaction within
//! a second, `diagnose::unanswered`) and says in words, and the live close events carry.

use crate::vocab::Role;
use crate::websocket::frame::Opcode;

/// The last frame of a connection: a complete data message from one side, after which the
/// other side ended TCP soon, without a frame of its own. What a server (or client) that
/// fails on a message looks like on the wire: a message over its size limit dropped without
/// a 1009, a handler that raised, a parse error treated as fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unanswered {
    /// Who sent the message (the peer of the side that ended TCP).
    pub from: Role,
    pub opcode: Opcode,
    /// Its payload bytes.
    pub size: u64,
    /// The packet where it ended.
    pub packet: u64,
}
