//! A request target's query (RFC 3986 §3.4, as servers split it): the value of one key.
//! Read by the engine.io long-polling reader (`engineio`) and by the application layer,
//! which tells socket.io, Phoenix and the like by their targets.

/// The value of `key` in a request target's query (after the first `?`, pairs split at
/// `&`, each at its first `=`; the first pair named `key`).
pub fn query_value<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    // Byte by byte: a target is short and this runs a few times for every session. The
    // separators are ASCII, so every cut falls between characters.
    let b = target.as_bytes();
    let mut at = b.iter().position(|&c| c == b'?')? + 1;
    loop {
        let rest = b.get(at..)?;
        let end = rest.iter().position(|&c| c == b'&').unwrap_or(rest.len());
        let pair = rest.get(..end)?;
        if let Some(eq) = pair.iter().position(|&c| c == b'=') {
            if pair.get(..eq) == Some(key.as_bytes()) {
                return target.get(at + eq + 1..at + end);
            }
        }
        if end == rest.len() {
            return None;
        }
        at += end + 1;
    }
}

#[cfg(test)]
mod query_tests {
    use super::query_value;

    #[test]
    fn a_querys_value_is_its_first_pair_named_so() {
        let t = "/socket.io/?EIO=4&transport=websocket&sid=a=b&&x&EIO=3";
        assert_eq!(query_value(t, "EIO"), Some("4"));
        assert_eq!(query_value(t, "transport"), Some("websocket"));
        assert_eq!(query_value(t, "sid"), Some("a=b"));
        assert_eq!(query_value(t, "x"), None);
        assert_eq!(query_value(t, "vsn"), None);
        assert_eq!(query_value("/ws", "EIO"), None);
        assert_eq!(query_value("/ws?", "EIO"), None);
        assert_eq!(query_value("/é?vsn=2.0.0?x", "vsn"), Some("2.0.0?x"));
        assert_eq!(query_value("/?EIO=", "EIO"), Some(""));
        assert_eq!(query_value("/?a=1&EIO", "EIO"), None);
    }
}
