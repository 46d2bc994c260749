//! Unit tests of the diagnosis: the status decision and the quiet spell (`status`), what
//! TLS adds (`tls`), the proxy's timeouts (`proxied`), and the causes stored and in JSON
//! (`stored`).

mod proxied;
mod status;
pub(crate) mod stored;
mod tls;
