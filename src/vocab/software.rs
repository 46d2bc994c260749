//! The WebSocket library an endpoint names in its handshake ([`Software`]: a [`Library`]
//! wsclose knows and the version its header gave); JSON `client_software`,
//! `server_software`.
//!
//! In: nothing of the project. Out: the values `websocket::library` reads from a
//! `User-Agent` or `Server` header.

use serde::{Deserialize, Serialize};

/// A library whose heartbeat and close reasons wsclose knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Library {
    /// Python `websockets` ("Python/3.11 websockets/17.4").
    PythonWebsockets,
    /// aiohttp ("Python/3.11 aiohttp/3.14.5").
    Aiohttp,
    /// uvicorn (`server: uvicorn`).
    Uvicorn,
    /// lighttpd (`Server: lighttpd/1.4.69`): a gateway whose mod_wstunnel ends the
    /// WebSocket itself (its backend gets only the payloads).
    Lighttpd,
    /// Ktor (JetBrains' Kotlin framework, server and client): its WebSockets plugin's
    /// pinger, named by its close reason (no header of its names it by default).
    Ktor,
}

impl Library {
    /// A client of this library speaks nothing but WebSocket, so a request whose
    /// `User-Agent` names it asks for a WebSocket (a refused CONNECT's, whose tunnel
    /// carried nothing to tell: `stack::connect`). Python websockets is a WebSocket
    /// library only, and its client sends `User-Agent: Python/x.y websockets/z` unless told
    /// otherwise; aiohttp's and Ktor's clients are HTTP clients too, uvicorn and lighttpd
    /// are servers.
    pub fn speaks_only_websocket(self) -> bool {
        match self {
            Library::PythonWebsockets => true,
            Library::Aiohttp | Library::Uvicorn | Library::Lighttpd | Library::Ktor => false,
        }
    }

    /// Its name as its project writes it.
    pub fn name(self) -> &'static str {
        match self {
            Library::PythonWebsockets => "Python websockets",
            Library::Aiohttp => "aiohttp",
            Library::Uvicorn => "uvicorn",
            Library::Lighttpd => "lighttpd",
            Library::Ktor => "Ktor",
        }
    }
}

/// A library and the version its header gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Software {
    /// The library its header names.
    pub library: Library,
    /// The version the header gave with it, if any.
    pub version: Option<String>,
}

impl std::fmt::Display for Software {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.library.name())?;
        if let Some(v) = &self.version {
            write!(f, " {v}")?;
        }
        Ok(())
    }
}
