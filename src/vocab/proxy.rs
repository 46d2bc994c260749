//! The proxy product a capture names ([`ProxyProduct`]: a [`Product`], its version and the
//! [`Header`] that named it); JSON `tunnel.proxy_product`.
//!
//! In: nothing of the project. Out: the values `close::proxies` reads from a header; its
//! settings (each product's idle timeout) stay with the timeouts catalog there.

use serde::{Deserialize, Serialize};

/// A proxy product wsclose can name from a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Product {
    /// Squid (`squid/5.7` in `Server` and `Via`; its CONNECT answer names nothing).
    Squid,
    /// tinyproxy (`Proxy-agent: tinyproxy/1.11.1`).
    Tinyproxy,
    /// Apache httpd (`Apache/2.4.71 (Debian)`, its server banner).
    ApacheHttpd,
    /// nginx (`nginx/1.22.1`).
    Nginx,
    /// HAProxy.
    Haproxy,
    /// Varnish (`Varnish/7.1` in `Via`).
    Varnish,
    /// Caddy.
    Caddy,
    /// Envoy (`server: envoy`).
    Envoy,
    /// nghttpx, nghttp2's proxy (`server: nghttpx` and `via: 1.1 nghttpx` on the HTTP/2
    /// answer to an extended CONNECT it passes to an HTTP/1.1 backend, nghttp2 1.52).
    Nghttpx,
}

/// The header that named the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Header {
    /// `Proxy-agent`, as forward proxies send it in a CONNECT answer.
    ProxyAgent,
    /// `Server`.
    Server,
    /// `Via`.
    Via,
    /// `X-Varnish`: Varnish's transaction ids, on every request it sends a backend (a
    /// piped WebSocket upgrade's too); read on requests only.
    XVarnish,
}

/// A proxy product a header named, its version and the header (JSON
/// `tunnel.proxy_product`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProxyProduct {
    /// The product.
    pub product: Product,
    /// Its version as the header gave it (digits and dots only, at most 16 bytes); null
    /// when it gave none.
    pub version: Option<String>,
    /// The header that named it.
    pub header: Header,
}

impl Product {
    /// Its name as its project writes it.
    pub fn name(self) -> &'static str {
        match self {
            Product::Squid => "Squid",
            Product::Tinyproxy => "tinyproxy",
            Product::ApacheHttpd => "Apache httpd",
            Product::Nginx => "nginx",
            Product::Haproxy => "HAProxy",
            Product::Varnish => "Varnish",
            Product::Caddy => "Caddy",
            Product::Envoy => "Envoy",
            Product::Nghttpx => "nghttpx",
        }
    }
}

/// "tinyproxy 1.11.1", "Squid".
impl std::fmt::Display for ProxyProduct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.product.name())?;
        if let Some(v) = &self.version {
            write!(f, " {v}")?;
        }
        Ok(())
    }
}
