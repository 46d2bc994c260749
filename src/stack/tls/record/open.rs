//! Why a protected record did not open: the error every cipher (AEAD, CBC with HMAC)
//! returns (RFC 8446 §5.2, RFC 5246 §6.2.3).

/// Why a record did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Authentication failed (AEAD tag, HMAC or CBC padding): the key does not fit.
    Auth,
    /// Too short for the cipher, or (TLS 1.3) all padding: not a record this cipher made.
    Malformed,
}
