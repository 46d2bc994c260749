//! The metrics' HTTP side: `GET /metrics` answered on one thread that waits on every
//! connection at once (`poll(2)`), so that no scraper (one that never sends, one that
//! never reads, a slow one, a thousand at once re-opened as they are closed, bytes that
//! are not HTTP) can keep a scrape out, stop the capture or grow memory: whichever
//! connection has sent a whole request is answered, whatever the others do.
//!
//! In: a listening address and the [`Metrics`]. Out: HTTP/1.1 answers, one per
//! connection (`Connection: close`): 200 with the metrics in the format negotiated from
//! `Accept` (as Prometheus's client libraries do: OpenMetrics when the first acceptable
//! type by quality is `application/openmetrics-text`, else the text format 0.0.4), 404 for
//! another path, 405 for another method, 400 for what is not an HTTP request.
//!
//! Bounds: at most [`HELD`] connections are held (past it, a new one takes the place of the
//! one that has waited longest without a whole request, those that sent nothing first),
//! each has [`DEADLINE`] to send its request (at most [`HEAD_MAX`]) and as long again to
//! take its answer, and at most [`WRITING`] answers wait on their readers (past it, the
//! oldest is dropped).
//!
//! Written on `std::net`, `poll(2)` and `httparse` (hyper's request parser, already a
//! dependency) rather than an HTTP server crate: tiny_http, the small one, starts a thread
//! per connection with no time limit, so a thousand scrapers would be a thousand threads and
//! one that never sends would hold its thread for ever. An earlier version answered on two
//! threads, one connection each at a time: twenty idle connections re-opened as they were
//! closed kept every scrape out (issue 104, item 3).

use super::Metrics;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Connections held at most, reading a request or writing its answer.
pub(crate) const HELD: usize = 256;
/// Answers waiting on their readers at most.
pub(crate) const WRITING: usize = 16;
/// A request's head, at most (Prometheus sends about 300 bytes).
pub(crate) const HEAD_MAX: usize = 8 << 10;
/// The time a connection is given to send its request, and then to take the answer.
pub(crate) const DEADLINE: Duration = Duration::from_secs(2);

/// Binds `addr` and starts answering on a thread of its own; the address bound (a port 0
/// becomes the one given). A port in use, or an address that is not this host's, is a
/// usage error (exit 2).
pub(crate) fn start(
    addr: SocketAddr,
    metrics: std::sync::Arc<Metrics>,
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
    listener
        .set_nonblocking(true)
        .map_err(|e| wsclose::error::Error::Usage(format!("--metrics {addr}: {e}")))?;
    std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || serve(&listener, &metrics))
        .map_err(|e| wsclose::error::Error::Usage(format!("--metrics: no thread: {e}")))?;
    Ok(bound)
}

/// A connection held: reading its request, or writing its answer.
struct Conn {
    s: TcpStream,
    /// When it was accepted (reading) or its answer made (writing).
    since: Instant,
    /// The request's head so far.
    head: Vec<u8>,
    /// The answer, and how much of it was written.
    out: Option<(Vec<u8>, usize)>,
}

/// What a connection needs after a step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    Keep,
    Close,
}

impl Conn {
    fn writing(&self) -> bool {
        self.out.is_some()
    }

    /// Reads what it sent (answering once it is a whole request), or writes what it can
    /// of its answer; never blocks.
    fn step(&mut self, metrics: &Metrics) -> Next {
        if self.out.is_none() {
            let mut buf = [0u8; 2048];
            loop {
                let room = HEAD_MAX.saturating_sub(self.head.len()).min(buf.len());
                let Some(into) = buf.get_mut(..room.max(1)) else {
                    return Next::Close;
                };
                match self.s.read(into) {
                    Ok(0) => return Next::Close,
                    Ok(n) => self
                        .head
                        .extend_from_slice(into.get(..n).unwrap_or_default()),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Keep,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => return Next::Close,
                }
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut req = httparse::Request::new(&mut headers);
                let reply = match req.parse(&self.head) {
                    Ok(httparse::Status::Complete(_)) => respond(&req, metrics),
                    Ok(httparse::Status::Partial) if self.head.len() < HEAD_MAX => continue,
                    // Too long, or not HTTP.
                    _ => plain(400, "Bad Request", "not an HTTP request\n"),
                };
                self.head = Vec::new();
                self.out = Some((reply, 0));
                self.since = Instant::now();
                break;
            }
        }
        let Some((out, done)) = &mut self.out else {
            return Next::Keep;
        };
        while let Some(rest) = out.get(*done..).filter(|r| !r.is_empty()) {
            match self.s.write(rest) {
                Ok(0) => return Next::Close,
                Ok(n) => *done += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Keep,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
        let _ = self.s.shutdown(std::net::Shutdown::Both);
        Next::Close
    }
}

/// The index of the connection to close to make room in `conns`: among those whose
/// `writing` is as asked, one that sent nothing yet before one that sent part of a request,
/// the oldest first.
fn displaced(conns: &[Conn], writing: bool) -> Option<usize> {
    conns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.writing() == writing)
        .min_by_key(|(_, c)| (!c.head.is_empty(), c.since))
        .map(|(i, _)| i)
}

/// Waits on the listener and every connection held; answers each as its request is whole.
fn serve(listener: &TcpListener, metrics: &Metrics) {
    let mut conns: Vec<Conn> = Vec::with_capacity(HELD);
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(HELD + 1);
    loop {
        let now = Instant::now();
        conns.retain(|c| now.saturating_duration_since(c.since) < DEADLINE);
        fds.clear();
        fds.push(libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        fds.extend(conns.iter().map(|c| libc::pollfd {
            fd: c.s.as_raw_fd(),
            events: if c.writing() {
                libc::POLLOUT
            } else {
                libc::POLLIN
            },
            revents: 0,
        }));
        // Until the first deadline, a second at most.
        let wait = conns
            .iter()
            .map(|c| DEADLINE.saturating_sub(now.saturating_duration_since(c.since)))
            .min()
            .unwrap_or(Duration::from_secs(1));
        let ms = i32::try_from(wait.as_millis())
            .unwrap_or(1000)
            .clamp(1, 1000);
        let n = libc::nfds_t::try_from(fds.len()).unwrap_or(libc::nfds_t::MAX);
        // SAFETY: `fds` is a live, initialised array of `n` pollfd records that poll only
        // writes `revents` of; its descriptors are the listener's and the held streams'.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), n, ms) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
                std::thread::sleep(Duration::from_millis(10));
            }
            continue;
        }
        // The connections held first: a whole request is answered before new ones come in.
        let mut closed = vec![false; conns.len()];
        for (k, c) in conns.iter_mut().enumerate() {
            let woke = fds.get(k + 1).is_some_and(|f| f.revents != 0);
            if woke && c.step(metrics) == Next::Close {
                if let Some(x) = closed.get_mut(k) {
                    *x = true;
                }
            }
        }
        let mut k = 0;
        conns.retain(|_| {
            k += 1;
            !closed.get(k - 1).copied().unwrap_or(false)
        });
        if fds.first().is_some_and(|f| f.revents != 0) {
            accept(listener, &mut conns, metrics);
        }
        // Answers that wait on readers past WRITING: the oldest dropped.
        while conns.iter().filter(|c| c.writing()).count() > WRITING {
            match displaced(&conns, true) {
                Some(i) => drop(conns.swap_remove(i)),
                None => break,
            }
        }
    }
}

/// Takes the connections waiting (at most [`HELD`] at a time, so that a flood of them
/// cannot keep those held from being answered), each read at once: a scraper's request
/// is there already. Past [`HELD`], each takes the place of one that has no whole request.
fn accept(listener: &TcpListener, conns: &mut Vec<Conn>, metrics: &Metrics) {
    for _ in 0..HELD {
        let s = match listener.accept() {
            Ok((s, _)) => s,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // Out of file descriptors or the like: a pause, not a busy loop.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                return;
            }
        };
        if s.set_nonblocking(true).is_err() {
            continue;
        }
        let mut c = Conn {
            s,
            since: Instant::now(),
            head: Vec::new(),
            out: None,
        };
        if c.step(metrics) == Next::Close {
            continue;
        }
        if conns.len() >= HELD {
            match displaced(conns, false) {
                Some(i) => drop(conns.swap_remove(i)),
                None => continue,
            }
        }
        conns.push(c);
    }
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
