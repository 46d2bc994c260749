//! What carried a WebSocket session: HTTP/1.1's upgrade (RFC 6455 §4) or an HTTP/2 stream
//! opened by an extended CONNECT (RFC 8441).
//!
//! In: whether the session ran on an HTTP/2 stream. Out: a report's `transport`, "http/1.1"
//! or "h2" in JSON; stored (`serial`), whether it is HTTP/2.

use serde::{Deserialize, Serialize};

/// What carried the WebSocket handshake and frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Transport {
    /// HTTP/1.1's Upgrade (RFC 6455 §4).
    #[serde(rename = "http/1.1")]
    Http1,
    /// An HTTP/2 stream, by extended CONNECT (RFC 8441).
    #[serde(rename = "h2")]
    H2,
}

impl Transport {
    /// Every transport, in the order the schema lists them.
    pub const ALL: [Transport; 2] = [Transport::Http1, Transport::H2];

    /// HTTP/2 when `h2`, else HTTP/1.1.
    pub fn of(h2: bool) -> Transport {
        if h2 {
            Transport::H2
        } else {
            Transport::Http1
        }
    }

    /// Its name in reports: "http/1.1", "h2".
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http1 => "http/1.1",
            Transport::H2 => "h2",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Transport;

    #[test]
    fn names_are_the_json_s() {
        for t in Transport::ALL {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<Transport>(&json).unwrap(), t);
        }
        assert_eq!(Transport::of(true).as_str(), "h2");
        assert_eq!(Transport::of(false).as_str(), "http/1.1");
    }
}
