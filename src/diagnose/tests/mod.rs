//! Unit tests of the diagnosis: the status decision and the quiet spell (`status`), what
//! TLS adds (`tls`), and the proxy's timeouts (`legs`).

mod legs;
mod status;
mod tls;
