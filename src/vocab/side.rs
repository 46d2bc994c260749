//! The two sides of a connection by role: [`Role`] (client or server) and [`PerSide`], one
//! value for each (frame statistics, TCP counters, what is missing).
//!
//! In: nothing of the project. Out: values every stage and report names ("client",
//! "server" in JSON).

use serde::{Deserialize, Serialize};

/// Who sent something: the side that opened the connection, or the side that accepted it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The side that opened the connection (sent the SYN, or the upgrade request).
    Client,
    /// The side that accepted it.
    Server,
}

/// One value for each role (frame statistics, TCP counters, what is missing), picked by
/// [`PerSide::of`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "PerSide_{T}")]
pub struct PerSide<T> {
    /// The client's.
    pub client: T,
    /// The server's.
    pub server: T,
}

impl<T> PerSide<T> {
    /// The value of `role`.
    pub fn of(&self, role: Role) -> &T {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }
}

impl Role {
    /// "client" or "server".
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }

    /// The other side.
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
