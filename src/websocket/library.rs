//! The WebSocket library an endpoint names in its handshake: the request's `User-Agent`
//! and the response's `Server` header (RFC 9110 §10.1.5, §10.2.4), as the libraries whose
//! heartbeats wsclose explains send them by default.
//!
//! In: a header value. Out: [`Software`] when it names one of those libraries (its
//! version, digits and dots only, at most 16); nothing else of the value is kept.

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
}

impl Library {
    /// Its name as its project writes it.
    pub fn name(self) -> &'static str {
        match self {
            Library::PythonWebsockets => "Python websockets",
            Library::Aiohttp => "aiohttp",
            Library::Uvicorn => "uvicorn",
            Library::Lighttpd => "lighttpd",
        }
    }
}

/// A library and the version its header gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Software {
    pub library: Library,
    pub version: Option<String>,
}

impl Software {
    /// The library a `User-Agent` or `Server` value names, if one wsclose knows.
    pub fn of(value: &[u8]) -> Option<Software> {
        // Byte by byte, the names compared in place: a browser's User-Agent has a dozen
        // products, and this runs for every handshake.
        let found = value.split(u8::is_ascii_whitespace).find_map(|product| {
            let mut parts = product.splitn(2, |&b| b == b'/');
            let (name, version) = (parts.next().unwrap_or_default(), parts.next());
            let library = match name.len() {
                10 if name.eq_ignore_ascii_case(b"websockets") => Library::PythonWebsockets,
                7 if name.eq_ignore_ascii_case(b"aiohttp") => Library::Aiohttp,
                7 if name.eq_ignore_ascii_case(b"uvicorn") => Library::Uvicorn,
                8 if name.eq_ignore_ascii_case(b"lighttpd") => Library::Lighttpd,
                _ => return None,
            };
            let version = version
                .filter(|v| {
                    !v.is_empty()
                        && v.len() <= 16
                        && v.iter().all(|&b| b.is_ascii_digit() || b == b'.')
                })
                .map(|v| v.iter().map(|&b| char::from(b)).collect());
            Some(Software { library, version })
        })?;
        // A value that is not UTF-8 names nothing (as before: the whole value is text).
        std::str::from_utf8(value).ok()?;
        Some(found)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_their_library() {
        let s = |v: &str| Software::of(v.as_bytes()).map(|s| s.to_string());
        assert_eq!(
            s("Python/3.11 websockets/17.4").as_deref(),
            Some("Python websockets 17.4")
        );
        assert_eq!(
            s("Python/3.11 aiohttp/3.14.5").as_deref(),
            Some("aiohttp 3.14.5")
        );
        assert_eq!(s("uvicorn").as_deref(), Some("uvicorn"));
        assert_eq!(s("nginx/1.22.1"), None);
        // A version that is not digits and dots is not kept.
        assert_eq!(s("websockets/<b>").as_deref(), Some("Python websockets"));
        assert_eq!(Software::of(b"\xff websockets/1"), None);
    }
}
