//! What a direction's first bytes look like before they are a whole head: the start of a
//! request or of a response; and the status of a response cut short by the snap length.

/// Does this look like the start of an HTTP request (so this side is the client)?
pub fn looks_like_request(b: &[u8]) -> bool {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    // An upgrade's `GET` first.
    b.starts_with(b"GET ") || METHODS.iter().any(|m| agrees(b, m))
}

/// Does this look like the start of an HTTP response?
pub fn looks_like_response(b: &[u8]) -> bool {
    agrees(b, b"HTTP/")
}

/// The status code of a response whose start is all the capture holds (cut by the snap
/// length): `HTTP/1.x` and three digits, then a space or the end of the line; `None` when
/// the cut falls before them.
pub fn status_of_cut_response(b: &[u8]) -> Option<u16> {
    let rest = b.strip_prefix(b"HTTP/1.")?.get(1..)?.strip_prefix(b" ")?;
    match rest {
        [a, b, c, b' ' | b'\r', ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
    .filter(|s| (100..=599).contains(s))
}

/// `b` is not empty and, as far as both go, equals `m`: one is a prefix of the other.
fn agrees(b: &[u8], m: &[u8]) -> bool {
    !b.is_empty() && (b.starts_with(m) || m.starts_with(b))
}
