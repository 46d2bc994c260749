//! The proxy product a capture names, and that product's own idle setting (data).
//!
//! In: a header value a proxy sent: a forward proxy's CONNECT answer's `Proxy-agent`
//! (RFC 9110 §9.3.6 leaves its fields free; tinyproxy sends `Proxy-agent: tinyproxy/1.11.1`,
//! Apache httpd's mod_proxy_connect `Proxy-agent: Apache/2.4.71 (Debian)`), or a `Server`
//! or `Via` (RFC 9110 §10.2.4, §7.6.3: `1.1 host (squid/5.7)`) on any answer, or a
//! proxy's mark on a request it passed on (Varnish's `X-Varnish`, its transaction ids,
//! which it puts on a piped upgrade's request to the backend, not on the 101). Out:
//! [`ProxyProduct`] when a product token names one of [`Product`] (its version, digits and
//! dots only, at most 16 bytes, and which header named it); nothing else of the value is
//! kept, so nothing free-form from the wire reaches a report, and a product token is no
//! secret (`--redact` keeps it, as it keeps the library a `Server` header names). A proxy
//! that names no product gets none: the words then say "the proxy's idle timeout" and list
//! the usual settings as candidates ([`TUNNEL_CANDIDATES`]).
//!
//! Each product's tunnel idle setting is an entry of the timeouts catalog
//! ([`Product::tunnel_idle`]); a product without one is named without a setting.

use super::timeouts::{self, Timeout};
use crate::vocab::{Header, Product, ProxyProduct};

/// The product names, as a product token starts (compared without case), longest first
/// where one is a prefix of another.
const NAMES: &[(&[u8], Product)] = &[
    (b"tinyproxy", Product::Tinyproxy),
    (b"squid", Product::Squid),
    (b"apache", Product::ApacheHttpd),
    (b"nginx", Product::Nginx),
    (b"haproxy", Product::Haproxy),
    (b"varnish", Product::Varnish),
    (b"caddy", Product::Caddy),
    (b"envoy", Product::Envoy),
    (b"nghttpx", Product::Nghttpx),
];

impl Product {
    /// The catalog entry of the setting with which it ends a CONNECT tunnel that carried
    /// nothing either way, when it is a forward proxy wsclose knows.
    pub fn tunnel_idle(self) -> Option<&'static Timeout> {
        match self {
            Product::Squid => timeouts::by_id("squid-read"),
            Product::Tinyproxy => timeouts::by_id("tinyproxy"),
            Product::ApacheHttpd => timeouts::by_id("apache"),
            _ => None,
        }
    }

    /// The catalog entry of the setting with which it ends a proxied WebSocket (a reverse
    /// proxy's session, or a tunnel) that carried nothing for that long, when wsclose knows
    /// one.
    pub fn proxy_idle(self) -> Option<&'static Timeout> {
        match self {
            Product::Nginx => timeouts::by_id("nginx"),
            Product::ApacheHttpd => timeouts::by_id("apache"),
            Product::Varnish => timeouts::by_id("varnish-pipe"),
            Product::Envoy => timeouts::by_id("envoy-stream-idle"),
            Product::Caddy => timeouts::by_id("caddy"),
            Product::Nghttpx => timeouts::by_id("nghttpx-backend-read"),
            Product::Squid | Product::Tinyproxy => self.tunnel_idle(),
            Product::Haproxy => None,
        }
    }

    /// How its idle timer runs, when that makes a spell longer than the setting.
    pub fn timer_note(self) -> Option<&'static str> {
        match self {
            Product::Squid => Some("Squid checks its timeouts about once a second, so the spell runs up to a second past the setting"),
            _ => None,
        }
    }

    /// What its log says of a tunnel it ended for being idle, when that is known.
    pub fn idle_log(self) -> Option<&'static str> {
        match self {
            Product::Squid => Some("Squid logs each tunnel's end with its duration"),
            Product::Tinyproxy => {
                Some("tinyproxy logs \"Idle Timeout (after poll)\" at LogLevel Info")
            }
            Product::ApacheHttpd => {
                Some("Apache httpd logs \"AH10224: tunnel timed out\" in its error log")
            }
            _ => None,
        }
    }
}

impl ProxyProduct {
    /// The product `value`, the value of `header`, names, if one wsclose knows: the first
    /// product token (`name` or `name/version`; in a `Via`, also one in parentheses, its
    /// comment) whose name is one of [`Product`]'s. A value that is not UTF-8 names none.
    pub fn of(header: Header, value: &[u8]) -> Option<ProxyProduct> {
        if header == Header::XVarnish {
            return varnish_xids(value).then_some(ProxyProduct {
                product: Product::Varnish,
                version: None,
                header,
            });
        }
        let found = value
            .split(|&b| b.is_ascii_whitespace() || b == b',')
            .map(|t| t.strip_prefix(b"(").unwrap_or(t))
            .map(|t| t.strip_suffix(b")").unwrap_or(t))
            .find_map(product)?;
        std::str::from_utf8(value).ok()?;
        Some(ProxyProduct {
            product: found.0,
            version: found.1,
            header,
        })
    }

    /// The header's name as sent on the wire: "Proxy-agent", "Server" or "Via".
    pub fn header_name(&self) -> &'static str {
        match self.header {
            Header::ProxyAgent => "Proxy-agent",
            Header::Server => "Server",
            Header::Via => "Via",
            Header::XVarnish => "X-Varnish",
        }
    }
}

/// `value` is what Varnish writes in `X-Varnish`: one transaction id, or two (the request's
/// and the cached object's), decimal, space-separated (Varnish's vcl(7), `req.xid`). Any
/// other value names nothing: the header's name alone is no proof.
fn varnish_xids(value: &[u8]) -> bool {
    let mut ids = 0;
    for t in value.split(|&b| b == b' ').filter(|t| !t.is_empty()) {
        ids += 1;
        if ids > 2 || t.len() > 20 || !t.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    ids > 0
}

/// The product one token names: its name is the token up to its first `/` (or all of it).
fn product(token: &[u8]) -> Option<(Product, Option<String>)> {
    let name_len = token.iter().position(|&b| b == b'/').unwrap_or(token.len());
    let name = token.get(..name_len)?;
    let &(_, p) = NAMES.iter().find(|(n, _)| name.eq_ignore_ascii_case(n))?;
    let version = token
        .get(name_len + 1..)
        .filter(|v| {
            !v.is_empty() && v.len() <= 16 && v.iter().all(|&b| b.is_ascii_digit() || b == b'.')
        })
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_string);
    Some((p, version))
}

/// The usual forward proxies, whose tunnel idle settings are the candidates when the
/// capture names no product: Squid, tinyproxy, Apache httpd.
pub const TUNNEL_CANDIDATES: &[Product] =
    &[Product::Squid, Product::Tinyproxy, Product::ApacheHttpd];

#[cfg(test)]
mod tests {
    use super::*;

    fn of(h: Header, v: &str) -> Option<String> {
        ProxyProduct::of(h, v.as_bytes()).map(|p| p.to_string())
    }

    #[test]
    fn headers_name_their_proxy() {
        let pa = Header::ProxyAgent;
        assert_eq!(
            of(pa, "tinyproxy/1.11.1").as_deref(),
            Some("tinyproxy 1.11.1")
        );
        assert_eq!(
            of(pa, "Apache/2.4.71 (Debian)").as_deref(),
            Some("Apache httpd 2.4.71")
        );
        assert_eq!(
            of(Header::Server, "squid/5.7").as_deref(),
            Some("Squid 5.7")
        );
        assert_eq!(of(Header::Server, "envoy").as_deref(), Some("Envoy"));
        assert_eq!(of(Header::Server, "nghttpx").as_deref(), Some("nghttpx"));
        // A Via names the product in its comment; the received-by host is passed over.
        assert_eq!(
            of(Header::Via, "1.1 vm (squid/5.7)").as_deref(),
            Some("Squid 5.7")
        );
        assert_eq!(
            of(Header::Via, "1.1 a.example, 1.1 b (Varnish/7.1)").as_deref(),
            Some("Varnish 7.1")
        );
        // Unknown products, look-alikes and a value that is not UTF-8 name none.
        assert_eq!(of(pa, "Python/3.11 websockets/17.4"), None);
        assert_eq!(of(pa, "squidproxy/1 apache2 nginxx"), None);
        assert_eq!(ProxyProduct::of(pa, b"\xff tinyproxy/1"), None);
        assert_eq!(of(pa, ""), None);
        // A version that is not digits and dots, or too long, is not kept.
        assert_eq!(of(pa, "tinyproxy/<b>x").as_deref(), Some("tinyproxy"));
        assert_eq!(
            of(pa, "tinyproxy/11111111111111111").as_deref(),
            Some("tinyproxy")
        );
        assert_eq!(of(pa, "TinyProxy/").as_deref(), Some("tinyproxy"));
        // X-Varnish names Varnish by its transaction ids, one or two decimal numbers;
        // anything else in it names nothing.
        let xv = Header::XVarnish;
        assert_eq!(of(xv, "2").as_deref(), Some("Varnish"));
        assert_eq!(of(xv, "32770 3").as_deref(), Some("Varnish"));
        for bad in [
            "",
            " ",
            "1 2 3",
            "varnish",
            "12a",
            "1\t2",
            "123456789012345678901",
        ] {
            assert_eq!(of(xv, bad), None, "{bad:?}");
        }
        let p = ProxyProduct::of(Header::Via, b"1.1 h (squid/5.7)").unwrap();
        assert_eq!((p.product, p.header_name()), (Product::Squid, "Via"));
    }

    #[test]
    fn forward_proxies_have_their_tunnel_setting_in_the_catalog() {
        for p in TUNNEL_CANDIDATES {
            let t = p.tunnel_idle().unwrap();
            assert!(t.default_s.is_some(), "{p:?}");
            assert!(p.idle_log().is_some());
        }
        assert_eq!(Product::Nginx.tunnel_idle(), None);
        assert_eq!(
            Product::Tinyproxy.tunnel_idle().unwrap().default_s,
            Some(600)
        );
    }
}
