//! The WebSocket library an endpoint names in its handshake: the request's `User-Agent`
//! and the response's `Server` header (RFC 9110 §10.1.5, §10.2.4), as the libraries whose
//! heartbeats wsclose explains send them by default.
//!
//! In: a header value. Out: [`Software`] when it names one of those libraries (its
//! version, digits and dots only, at most 16); nothing else of the value is kept.

use crate::vocab::{Library, Software};

impl Software {
    /// The library a `User-Agent` or `Server` value names, if one wsclose knows.
    pub fn of(value: &[u8]) -> Option<Software> {
        // The products (runs of bytes other than ASCII whitespace) are only measured until
        // one could be `name` or `name/version` for a name of a library's length: a
        // browser's User-Agent has a dozen products, and this runs for every handshake.
        let found = value
            .split(u8::is_ascii_whitespace)
            .find_map(Self::product)?;
        // A value that is not UTF-8 names nothing (as before: the whole value is text).
        std::str::from_utf8(value).ok()?;
        Some(found)
    }

    /// The library one product (`name` or `name/version`, split at its first `/`) names.
    fn product(product: &[u8]) -> Option<Software> {
        // The name is the product up to its first `/`; a name of length `n` is the first
        // `n` bytes of a product that ends there or has its first `/` there (a `/` before
        // it is in no library's name, so such a prefix names none).
        let named = |n: usize| product.len() == n || product.get(n) == Some(&b'/');
        let name = |n: usize| product.get(..n).unwrap_or_default();
        let (library, n) = if named(10) && name(10).eq_ignore_ascii_case(b"websockets") {
            (Library::PythonWebsockets, 10)
        } else if named(7) && name(7).eq_ignore_ascii_case(b"aiohttp") {
            (Library::Aiohttp, 7)
        } else if named(7) && name(7).eq_ignore_ascii_case(b"uvicorn") {
            (Library::Uvicorn, 7)
        } else if named(8) && name(8).eq_ignore_ascii_case(b"lighttpd") {
            (Library::Lighttpd, 8)
        } else {
            return None;
        };
        let version = product
            .get(n + 1..)
            .filter(|v| {
                !v.is_empty() && v.len() <= 16 && v.iter().all(|&b| b.is_ascii_digit() || b == b'.')
            })
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_string);
        Some(Software { library, version })
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
        // The name ends at the first `/`; products are split at any ASCII whitespace.
        assert_eq!(s("WebSockets/1/2").as_deref(), Some("Python websockets"));
        assert_eq!(s("x/websockets/1 lighttpd").as_deref(), Some("lighttpd"));
        assert_eq!(s("websockets2/1 aiohttp/").as_deref(), Some("aiohttp"));
        assert_eq!(s("a\tUVICORN\r\x0cb").as_deref(), Some("uvicorn"));
        assert_eq!(s("uvicorn/1.2 aiohttp/3").as_deref(), Some("uvicorn 1.2"));
        assert_eq!(s("aiohttpx/1 websocket/1 lighttp"), None);
    }
}
