//! A plain ws:// peer on **tokio-tungstenite** for issue 91's fleet recordings (slow
//! consumers cut by the server, a client host's processes killed, and their controls:
//! `fixtures/record/incident/record_fleet.sh`, fixtures/README.md). Not part of wsclose.
//!
//! usage: fleet_peer server ADDR EVERY_MS BYTES WRITE_TIMEOUT_S [reset]
//!        fleet_peer client URL PAUSE_AT_S PAUSE_FOR_S CLOSE_AT_S [SESSIONS]
//!
//! The server sends a binary message of BYTES every EVERY_MS to each client, each send
//! (tungstenite's write and flush) bounded by WRITE_TIMEOUT_S (0: none); when one takes
//! longer it logs it and drops the connection without a close frame: its socket is closed
//! (a FIN queued behind the bytes the client has not taken), or with `reset` aborted
//! (SO_LINGER 0: an RST at once, the queued bytes dropped). It reads each client (their
//! close frames, answered by tungstenite).
//!
//! The client opens SESSIONS sessions (default 1) to URL (`?id=…` names each: URL's own
//! query, then `-k` for the k-th after the first). Each reads; from PAUSE_AT_S it stops
//! reading for PAUSE_FOR_S (its receive buffer fills and its window goes to zero), then
//! reads again until the session ends; at CLOSE_AT_S it closes with 1000 "done" (0:
//! never). Each side logs what its application saw to stderr, with the wall clock.

use futures_util::{SinkExt, StreamExt};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

fn log(what: &str) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    eprintln!("{now:.6} {what}");
}

fn secs(s: &str) -> Duration {
    Duration::from_secs_f64(s.parse::<f64>().unwrap_or(0.0).max(0.0))
}

/// Sets SO_LINGER to 0 on `fd`: its close then sends an RST and drops what was queued.
fn abort_on_close(fd: i32) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `fd` is the open socket of a stream this task still owns; the option's value
    // is a `linger` of the size given.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

// tungstenite's handshake callback returns its own `ErrorResponse` (an HTTP response) as
// its error: its size is tungstenite's.
#[allow(clippy::result_large_err)]
async fn serve(stream: TcpStream, every: Duration, size: usize, limit: Duration, reset: bool) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let fd = stream.as_raw_fd();
    let mut path = String::new();
    let ws = tokio_tungstenite::accept_hdr_async(stream, |r: &Request, resp: Response| {
        path = r.uri().to_string();
        Ok(resp)
    })
    .await;
    let Ok(ws) = ws else {
        log(&format!("server: {peer}: handshake failed"));
        return;
    };
    let who = format!("{peer} {path}");
    log(&format!("server: {who} upgraded"));
    let (mut tx, mut rx) = ws.split();
    let (done_tx, mut done) = tokio::sync::oneshot::channel::<String>();
    let reader = tokio::spawn(async move {
        let mut why = "the connection ended".to_string();
        while let Some(m) = rx.next().await {
            match m {
                Ok(Message::Close(f)) => {
                    why = format!("the client closed: {f:?}");
                }
                Ok(_) => {}
                Err(e) => {
                    why = format!("read error: {e}");
                    break;
                }
            }
        }
        let _ = done_tx.send(why);
    });
    let msg = vec![0x5au8; size];
    let mut n = 0u64;
    loop {
        tokio::select! {
            why = &mut done => {
                log(&format!("server: {who}: {} ({n} messages sent)", why.unwrap_or_default()));
                return;
            }
            _ = tokio::time::sleep(every) => {}
        }
        let send = tx.send(Message::Binary(msg.clone().into()));
        let sent = if limit.is_zero() {
            Ok(send.await)
        } else {
            tokio::time::timeout(limit, send).await
        };
        match sent {
            Ok(Ok(())) => n += 1,
            Ok(Err(e)) => {
                log(&format!("server: {who}: send {n} failed: {e}"));
                return;
            }
            Err(_) => {
                // The reader's half holds the socket too: ended first, so that dropping the
                // writer's closes it.
                reader.abort();
                let _ = reader.await;
                if reset {
                    abort_on_close(fd);
                }
                log(&format!(
                    "server: {who}: send {n} not done in {limit:?}: dropping the connection ({})",
                    if reset {
                        "SO_LINGER 0: RST"
                    } else {
                        "close: FIN queued"
                    }
                ));
                return;
            }
        }
    }
}

async fn server(addr: &str, every: Duration, size: usize, limit: Duration, reset: bool) {
    let Ok(listener) = TcpListener::bind(addr).await else {
        log(&format!("server: cannot listen on {addr}"));
        return;
    };
    log(&format!("server: listening on {addr}"));
    while let Ok((s, _)) = listener.accept().await {
        tokio::spawn(serve(s, every, size, limit, reset));
    }
}

async fn session(url: String, pause_at: Duration, pause_for: Duration, close_at: Duration) {
    let Some(hostport) = url
        .strip_prefix("ws://")
        .and_then(|r| r.split('/').next())
        .map(str::to_string)
    else {
        log(&format!("client {url}: not a ws:// URL"));
        return;
    };
    let t0 = Instant::now();
    let ws = match TcpStream::connect(&hostport).await {
        Ok(s) => tokio_tungstenite::client_async(url.as_str(), s).await,
        Err(e) => {
            log(&format!("client {url}: connect: {e}"));
            return;
        }
    };
    let mut ws = match ws {
        Ok((ws, _)) => ws,
        Err(e) => {
            log(&format!("client {url}: handshake: {e}"));
            return;
        }
    };
    log(&format!("client {url}: connected"));
    let (mut got, mut paused, mut closing) = (0usize, false, false);
    loop {
        if !pause_for.is_zero() && !paused && t0.elapsed() >= pause_at {
            paused = true;
            log(&format!(
                "client {url}: stops reading for {pause_for:?} ({got} bytes read)"
            ));
            tokio::time::sleep(pause_for).await;
            log(&format!("client {url}: reads again"));
        }
        let close_in = if close_at.is_zero() || closing {
            Duration::from_secs(3600)
        } else {
            close_at.saturating_sub(t0.elapsed())
        };
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(Message::Close(f))) => log(&format!("client {url}: close frame {f:?} after {got} bytes")),
                Some(Ok(m)) => got += m.len(),
                Some(Err(e)) => {
                    log(&format!("client {url}: ended after {got} bytes: {e}"));
                    return;
                }
                None => {
                    log(&format!("client {url}: ended after {got} bytes"));
                    return;
                }
            },
            _ = tokio::time::sleep(close_in) => {
                closing = true;
                log(&format!("client {url}: closing 1000"));
                let f = CloseFrame { code: CloseCode::Normal, reason: "done".into() };
                let _ = ws.close(Some(f)).await;
            }
        }
    }
}

fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize| a.get(i).map_or("", String::as_str);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return ExitCode::FAILURE;
    };
    match arg(1) {
        "server" => rt.block_on(server(
            arg(2),
            Duration::from_millis(arg(3).parse().unwrap_or(50)),
            arg(4).parse().unwrap_or(1000),
            secs(arg(5)),
            arg(6) == "reset",
        )),
        "client" => {
            let n: usize = arg(6).parse().unwrap_or(1);
            let (url, at, pause, close) = (arg(2), secs(arg(3)), secs(arg(4)), secs(arg(5)));
            rt.block_on(async {
                let all: Vec<_> = (0..n)
                    .map(|k| {
                        let u = if k == 0 {
                            url.to_string()
                        } else {
                            format!("{url}-{k}")
                        };
                        tokio::spawn(session(u, at, pause, close))
                    })
                    .collect();
                for t in all {
                    let _ = t.await;
                }
            })
        }
        _ => {
            eprintln!("usage: fleet_peer server ADDR EVERY_MS BYTES WRITE_TIMEOUT_S [reset]\n       fleet_peer client URL PAUSE_AT_S PAUSE_FOR_S CLOSE_AT_S [SESSIONS]");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
