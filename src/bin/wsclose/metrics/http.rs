//! The metrics' HTTP side: `GET /metrics` answered on a fixed number of threads, each
//! request bounded in size and time, so that no scraper (one that never reads, a slow one,
//! a thousand at once, bytes that are not HTTP) can stop the capture or grow memory.
//!
//! In: a listening address and the [`Metrics`]. Out: HTTP/1.1 answers, one per
//! connection (`Connection: close`): 200 with the metrics in the format negotiated from
//! `Accept` (as Prometheus's client libraries do: OpenMetrics when the first acceptable
//! type by quality is `application/openmetrics-text`, else the text format 0.0.4), 404 for
//! another path, 405 for another method, 400 for what is not an HTTP request.
//!
//! Written on `std::net` with `httparse` (hyper's request parser, already a dependency)
//! rather than an HTTP server crate: tiny_http, the small one, starts a thread per
//! connection with no time limit, so a thousand scrapers would be a thousand threads and
//! one that never sends would hold its thread for ever.

use super::Metrics;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Threads answering requests.
pub(crate) const WORKERS: usize = 2;
/// Connections accepted and waiting for a worker at most; past it, one is closed at once.
pub(crate) const WAITING: usize = 16;
/// A request's head, at most (Prometheus sends about 300 bytes).
pub(crate) const HEAD_MAX: usize = 8 << 10;
/// The time a connection is given to send its request, and to take the answer.
pub(crate) const DEADLINE: Duration = Duration::from_secs(2);

/// Binds `addr` and starts answering on threads of their own; the address bound (a port 0
/// becomes the one given). A port in use, or an address that is not this host's, is a
/// usage error (exit 2).
pub(crate) fn start(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
) -> Result<SocketAddr, wsclose::error::Error> {
    let listener = TcpListener::bind(addr).map_err(|e| {
        wsclose::error::Error::Usage(match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "--metrics {addr}: the port is in use (another wsclose, or another exporter?): \
                 choose another port"
            ),
            _ => format!("--metrics {addr}: cannot listen there: {e}"),
        })
    })?;
    let bound = listener.local_addr().unwrap_or(addr);
    let (tx, rx) = sync_channel::<TcpStream>(WAITING);
    let rx = Arc::new(Mutex::new(rx));
    for k in 0..WORKERS {
        let (rx, metrics) = (Arc::clone(&rx), Arc::clone(&metrics));
        std::thread::Builder::new()
            .name(format!("metrics-{k}"))
            .spawn(move || work(&rx, &metrics))
            .map_err(|e| wsclose::error::Error::Usage(format!("--metrics: no thread: {e}")))?;
    }
    std::thread::Builder::new()
        .name("metrics-accept".into())
        .spawn(move || {
            for conn in listener.incoming() {
                match conn {
                    Ok(s) => match tx.try_send(s) {
                        // Too many waiting: this one is closed (dropped) at once.
                        Err(TrySendError::Full(_)) => {}
                        Err(TrySendError::Disconnected(_)) => return,
                        Ok(()) => {}
                    },
                    // Out of file descriptors or the like: a pause, not a busy loop.
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        })
        .map_err(|e| wsclose::error::Error::Usage(format!("--metrics: no thread: {e}")))?;
    Ok(bound)
}

/// A worker: one connection at a time, until the accepting thread is gone.
fn work(rx: &Mutex<Receiver<TcpStream>>, metrics: &Metrics) {
    loop {
        let next = rx.lock().map(|r| r.recv());
        match next {
            Ok(Ok(s)) => answer(s, metrics),
            _ => return,
        }
    }
}

/// Reads one request (within [`DEADLINE`] and [`HEAD_MAX`]) and answers it.
fn answer(mut s: TcpStream, metrics: &Metrics) {
    let started = Instant::now();
    let _ = s.set_write_timeout(Some(DEADLINE));
    let mut head = [0u8; HEAD_MAX];
    let mut len = 0;
    let reply = loop {
        let left = DEADLINE.saturating_sub(started.elapsed());
        if left.is_zero() || s.set_read_timeout(Some(left)).is_err() {
            return;
        }
        let n = match s.read(&mut head[len..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        len += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&head[..len]) {
            Ok(httparse::Status::Complete(_)) => break respond(&req, metrics),
            Ok(httparse::Status::Partial) if len < HEAD_MAX => continue,
            // Too long, or not HTTP.
            _ => break plain(400, "Bad Request", "not an HTTP request\n"),
        }
    };
    let _ = s.write_all(&reply).and_then(|()| s.flush());
    let _ = s.shutdown(std::net::Shutdown::Both);
}

/// The answer to a complete request.
fn respond(req: &httparse::Request<'_, '_>, metrics: &Metrics) -> Vec<u8> {
    if req.method != Some("GET") && req.method != Some("HEAD") {
        return plain(405, "Method Not Allowed", "only GET /metrics\n");
    }
    let path = req.path.unwrap_or("");
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if path != "/metrics" {
        return plain(404, "Not Found", "the metrics are at /metrics\n");
    }
    let accept = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("accept"))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .collect::<Vec<_>>()
        .join(",");
    let open_metrics = wants_open_metrics(&accept);
    let body = metrics.encode(open_metrics);
    let kind = if open_metrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        prometheus_client::encoding::prometheus_text::CONTENT_TYPE
    };
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if req.method == Some("GET") {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

fn plain(code: u16, why: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {code} {why}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Whether `accept` asks for OpenMetrics before the text format: its media ranges by
/// quality (highest first, in order among equals), the first this server can give decides
/// (`application/openmetrics-text` → OpenMetrics; `text/plain`, `text/*`, `*/*` → text).
/// Prometheus asks `application/openmetrics-text;version=1.0.0;q=0.5,…,text/plain;
/// version=0.0.4;q=0.3,*/*;q=0.2`.
pub(crate) fn wants_open_metrics(accept: &str) -> bool {
    let mut ranges: Vec<(f32, usize, bool)> = Vec::new();
    for (i, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let om = match media.as_str() {
            "application/openmetrics-text" => true,
            "text/plain" | "text/*" | "*/*" => false,
            _ => continue,
        };
        if q > 0.0 {
            ranges.push((q, i, om));
        }
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.first().is_some_and(|r| r.2)
}

#[cfg(test)]
mod tests {
    use super::wants_open_metrics;

    #[test]
    fn negotiates_as_prometheus_asks() {
        // Prometheus 2.x's scrape Accept header.
        assert!(wants_open_metrics(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(!wants_open_metrics("text/plain;version=0.0.4"));
        assert!(!wants_open_metrics(""));
        assert!(!wants_open_metrics("*/*"));
        // Text preferred by quality though OpenMetrics comes first.
        assert!(!wants_open_metrics(
            "application/openmetrics-text;q=0.2,text/plain;q=0.9"
        ));
        assert!(!wants_open_metrics("application/openmetrics-text;q=0"));
        assert!(!wants_open_metrics("application/json"));
    }
}
