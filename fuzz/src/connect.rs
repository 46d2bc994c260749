//! Fuzz target `connect_head`: a forward proxy's CONNECT layer (`stack::connect`) and the
//! framing of a refusal's body (`stack::http1::body`), fed whole and cut anywhere.
//!
//! Input: byte 0 the number of cut points (mod 17), two big-endian bytes per cut point, then
//! messages `[head][len u16 BE][bytes]` (head bit 0: the proxy sends it, else the client).
//! The first message is the client's, and starts with `CONNECT ` (the harness puts it there
//! when the input does not), so the stack always picks the CONNECT layer.
//!
//! Checked: no panic; each message fed in one piece and cut at every cut point (taken
//! modulo its length; every piece with the message's packet number) leaves the same
//! tunnel (target, status, reason, body, earlier answers: its `Debug`), the same choice
//! of layer (still the CONNECT layer, or the tunnel opened / the bytes handed to HTTP/1.1),
//! and, while the CONNECT layer stays, the same number of refused WebSocket sessions; the
//! tunnel's target and reason are bounded; the proxy's bytes read as a chunked body, whole
//! and cut, give the same content, length used, end and error.

use wsclose::vocab::Timestamp;
use wsclose::__internals::flow::Side;
use wsclose::__internals::stack::connect::MAX_TARGET;
use wsclose::__internals::stack::http1::body::Body;
use wsclose::__internals::stack::http1::parse::MAX_REASON;
use wsclose::__internals::flow::Event;
use wsclose::__internals::stack::tls::keylog::KeyLog;
use wsclose::__internals::stack::{Layer, Stack};

/// A parsed input: the cut points and the messages (side, bytes).
struct Case {
    cuts: Vec<usize>,
    messages: Vec<(Side, Vec<u8>)>,
}

fn parse(data: &[u8]) -> Option<Case> {
    let (&n, mut rest) = data.split_first()?;
    let mut cuts = Vec::new();
    for _ in 0..n % 17 {
        let (c, r) = rest.split_first_chunk::<2>()?;
        cuts.push(u16::from_be_bytes(*c) as usize);
        rest = r;
    }
    let mut messages = Vec::new();
    while let Some((&head, r)) = rest.split_first() {
        let Some((len, r)) = r.split_first_chunk::<2>() else {
            break;
        };
        let len = (u16::from_be_bytes(*len) as usize).min(r.len());
        let side = if head & 1 == 0 { Side::A } else { Side::B };
        messages.push((side, r[..len].to_vec()));
        rest = &r[len..];
    }
    match messages.first_mut() {
        Some((Side::A, m)) if m.starts_with(b"CONNECT ") => {}
        Some((Side::A, m)) => m.splice(0..0, b"CONNECT ".iter().copied()).for_each(drop),
        _ => messages.insert(0, (Side::A, b"CONNECT ".to_vec())),
    }
    Some(Case { cuts, messages })
}

/// What must not depend on where the messages were cut. (Not the layer when no CONNECT was
/// read: a head that is no HTTP is told at once when its bad byte comes with the first
/// bytes, at the next line end otherwise, and bytes that end before it stay unjudged: no
/// session either way. Not what ran in an opened tunnel: the held bytes are replayed as
/// they came, and the layers above judge their first piece.)
#[derive(Debug, PartialEq)]
struct Outcome {
    tunnel: String,
    /// With a tunnel asked for: whether it opened, and while not, the refused sessions.
    state: Option<(bool, usize)>,
}

/// Feeds the messages of `case`, each cut at `cuts` (modulo its length).
fn outcome(case: &Case, cuts: &[usize]) -> Outcome {
    let keys = KeyLog::new();
    let mut st = Stack::default();
    for (k, (side, m)) in case.messages.iter().enumerate() {
        let mut at: Vec<usize> = cuts
            .iter()
            .filter(|_| !m.is_empty())
            .map(|c| c % m.len())
            .filter(|&c| c > 0)
            .collect();
        at.sort_unstable();
        at.dedup();
        let mut from = 0;
        for to in at.into_iter().chain([m.len()]) {
            st.on_event(
                *side,
                Event::Data {
                    offset: 0,
                    bytes: &m[from..to],
                    packet: k as u64 + 1,
                    ts: Timestamp(k as i64),
                },
                &keys,
            );
            from = to;
        }
    }
    if let Some(t) = st.tunnel() {
        assert!(
            t.target.len() <= MAX_TARGET,
            "target of {} bytes",
            t.target.len()
        );
        assert!(
            t.reason.len() <= MAX_REASON + '…'.len_utf8(),
            "{}",
            t.reason
        );
        let _ = (
            t.body_text(300),
            t.target_port(),
            t.target_ip(),
            t.refused(),
        );
    }
    let connect = st.layer() == Layer::Connect;
    Outcome {
        tunnel: format!("{:?}", st.tunnel()),
        state: st.tunnel().map(|_| {
            let refused = if connect { st.sessions().count() } else { 0 };
            (connect, refused)
        }),
    }
}

/// The proxy's bytes as a chunked body, cut at `cuts`: content, bytes used (to the bad
/// byte, when broken), ended, broken.
fn chunked(bytes: &[u8], cuts: &[usize]) -> (Vec<u8>, usize, bool, bool) {
    let mut body = Body::of(407, Some("1"), true, true);
    let mut at: Vec<usize> = cuts
        .iter()
        .filter(|_| !bytes.is_empty())
        .map(|c| c % bytes.len())
        .collect();
    at.sort_unstable();
    at.dedup();
    let (mut content, mut used, mut from) = (Vec::new(), 0, 0);
    for to in at.into_iter().chain([bytes.len()]) {
        if body.done() || to < from {
            continue;
        }
        match body.read(&bytes[from..to], |b| content.extend_from_slice(b)) {
            Ok(n) => {
                assert!(n <= to - from);
                used += n;
            }
            Err(bad) => return (content, used + bad.at, false, true),
        }
        from = to;
    }
    (content, used, body.done(), false)
}

pub fn connect_head(data: &[u8]) {
    let Some(case) = parse(data) else {
        return;
    };
    let whole = outcome(&case, &[]);
    let cut = outcome(&case, &case.cuts);
    let shown: Vec<(Side, String)> = case
        .messages
        .iter()
        .map(|(s, m)| (*s, String::from_utf8_lossy(m).into_owned()))
        .collect();
    assert_eq!(whole, cut, "cut at {:?}: {shown:?}", case.cuts);
    // Every message cut at each byte, for short inputs.
    if case.messages.iter().map(|(_, m)| m.len()).sum::<usize>() <= 256 {
        let longest = case
            .messages
            .iter()
            .map(|(_, m)| m.len())
            .max()
            .unwrap_or(0);
        for c in 1..longest {
            assert_eq!(whole, outcome(&case, &[c]), "cut at {c}");
        }
    }
    for (side, m) in &case.messages {
        if *side == Side::B {
            let one = chunked(m, &[]);
            assert_eq!(
                one,
                chunked(m, &case.cuts),
                "chunked, cut at {:?}",
                case.cuts
            );
            assert!(one.0.len() <= m.len() && one.1 <= m.len());
        }
    }
}

/// An input of messages `(proxy sends, bytes)` cut at `cuts`.
pub fn encode(cuts: &[u16], messages: &[(bool, &[u8])]) -> Vec<u8> {
    let mut data = vec![cuts.len() as u8];
    for c in cuts {
        data.extend(c.to_be_bytes());
    }
    for (proxy, m) in messages {
        data.push(u8::from(*proxy));
        data.extend((m.len() as u16).to_be_bytes());
        data.extend_from_slice(m);
    }
    data
}

/// Seeds: a tunnel opened with a WebSocket inside, a chunked 407 then the retry opened,
/// a refusal with a `Content-Length` page, one whose body runs to the end.
pub fn seeds() -> Vec<crate::seed::Seed> {
    const CONNECT: &[u8] = b"CONNECT ws.example:443 HTTP/1.1\r\nHost: ws.example:443\r\nUser-Agent: Python/3.11 websockets/17.4\r\n\r\n";
    const OK: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";
    const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const CHUNKED: &[u8] = b"HTTP/1.1 407 Proxy Authentication Required\r\nTransfer-Encoding: chunked\r\n\r\n7;a=b\r\nlog in \r\n5\r\nfirst\r\n0\r\nX-T: 1\r\n\r\n";
    const PAGE: &[u8] = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 30\r\n\r\n<html><b>denied</b> &lt;</html>";
    const TO_CLOSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\r\nno route to host";
    let seed = |name: &str, cuts: &[u16], m: &[(bool, &[u8])]| crate::seed::Seed {
        target: "connect_head",
        name: name.into(),
        data: encode(cuts, m),
    };
    vec![
        seed(
            "opened",
            &[3, 40],
            &[(false, CONNECT), (true, OK), (false, UPGRADE)],
        ),
        seed(
            "chunked-407-retry",
            &[1, 90, 101, 120],
            &[
                (false, CONNECT),
                (true, CHUNKED),
                (false, CONNECT),
                (true, OK),
            ],
        ),
        seed("refused-page", &[25, 70], &[(false, CONNECT), (true, PAGE)]),
        seed(
            "refused-to-close",
            &[8],
            &[(false, CONNECT), (true, TO_CLOSE)],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds run clean and reach what they are for: the tunnel opens, the 407's retry
    /// opens after a chunked page, the pages are kept.
    #[test]
    fn seeds_reach_the_connect_layer() {
        for s in seeds() {
            connect_head(&s.data);
            let case = parse(&s.data).unwrap();
            let o = outcome(&case, &case.cuts);
            let opened = o.state.is_some_and(|(connect, _)| !connect);
            assert_eq!(
                opened,
                s.name.starts_with("opened") || s.name.contains("retry"),
                "{}: {o:?}",
                s.name
            );
        }
    }

    /// Short random inputs, and random bytes after a CONNECT, never break the invariants.
    #[test]
    fn random_inputs() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"HTTP/1.1 200 407 CONNECT \r\n:;0123456789abcdefTransfer-Encoding: chunked\r\nContent-Length: 5\r\n";
        for _ in 0..3000 {
            let len = (next() % 200) as usize;
            let data: Vec<u8> = (0..len)
                .map(|i| match next() % 4 {
                    0 => next() as u8,
                    _ => alphabet[(next() as usize + i) % alphabet.len()],
                })
                .collect();
            connect_head(&data);
        }
        // Made of the pieces of real answers: a CONNECT, then answers and bodies mixed.
        let pieces: [&[u8]; 12] = [
            b"HTTP/1.1 407 Auth\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"Transfer-Encoding: chunked\r\n",
            b"Content-Length: 3\r\n",
            b"\r\n",
            b"3;x=y\r\nabc\r\n",
            b"0\r\n",
            b"T: 1\r\n",
            b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
            b"\x16\x03\x01\x00\x05",
        ];
        let mut opened = 0;
        for _ in 0..2000 {
            let mut messages: Vec<(bool, Vec<u8>)> = vec![(false, pieces[9].to_vec())];
            for _ in 0..(next() % 5) {
                let m: Vec<u8> = (0..(next() % 6))
                    .flat_map(|_| pieces[(next() % 12) as usize].to_vec())
                    .collect();
                messages.push((next() % 3 != 0, m));
            }
            let cuts: Vec<u16> = (0..(next() % 6)).map(|_| next() as u16).collect();
            let refs: Vec<(bool, &[u8])> = messages.iter().map(|(p, m)| (*p, &m[..])).collect();
            let data = encode(&cuts, &refs);
            connect_head(&data);
            let case = parse(&data).unwrap();
            opened += usize::from(outcome(&case, &[]).state.is_some_and(|(c, _)| !c));
        }
        assert!(opened > 5, "{opened} tunnels opened");
    }
}
