//! End to end: a real HTTP/2 conversation written by the `h2` crate (client and server,
//! RFC 8441 extended CONNECT enabled) over an in-memory duplex pipe, both directions
//! recorded, then read back by [`H2Conn`] in random chunk sizes.
//!
//! The conversation: the server enables SETTINGS_ENABLE_CONNECT_PROTOCOL; the client opens
//! two WebSockets (`:method CONNECT`, `:protocol websocket`, `/chat` and `/feed`) and a
//! plain GET. On `/chat` both sides send a WebSocket close frame and end the stream
//! (END_STREAM both ways); on `/feed` each side sends bulk data (several DATA frames), then
//! the client resets it with CANCEL; the GET gets "ok". Then the server sends GOAWAY.

use super::*;
use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Chunks in the order the client side saw them: `(from_client, bytes)`. The server's
/// bytes are logged as the client reads them, so the log keeps cause before effect.
type Log = Arc<Mutex<Vec<(bool, Vec<u8>)>>>;

struct Recording<T> {
    inner: T,
    log: Log,
}

impl<T: AsyncRead + Unpin> AsyncRead for Recording<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                self.log.lock().unwrap().push((false, new.to_vec()));
            }
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Recording<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = poll {
            if n > 0 {
                self.log.lock().unwrap().push((true, data[..n].to_vec()));
            }
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A masked client close frame (1000, "bye") and the server's unmasked one.
const CLIENT_CLOSE: &[u8] = b"\x88\x85\x01\x02\x03\x04\x02\xea\x7a\x7d\x64";
const SERVER_CLOSE: &[u8] = b"\x88\x05\x03\xe8bye";
const CLIENT_BULK: usize = 10_000;
const SERVER_BULK: usize = 40_000;

async fn read_body(body: &mut h2::RecvStream) -> (Vec<u8>, Option<h2::Error>) {
    let mut got = Vec::new();
    while let Some(chunk) = body.data().await {
        match chunk {
            Ok(bytes) => {
                let _ = body.flow_control().release_capacity(bytes.len());
                got.extend_from_slice(&bytes);
            }
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

async fn server(io: tokio::io::DuplexStream) {
    let mut conn = h2::server::Builder::new()
        .enable_connect_protocol()
        .handshake::<_, Bytes>(io)
        .await
        .unwrap();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut handled = 0;
    loop {
        tokio::select! {
            accepted = conn.accept() => {
                let (req, mut respond) = accepted.unwrap().unwrap();
                let done = done_tx.clone();
                tokio::spawn(async move {
                    let path = req.uri().path().to_owned();
                    let protocol = req.extensions().get::<h2::ext::Protocol>().map(|p| p.as_str().to_owned());
                    let mut body = req.into_body();
                    match (path.as_str(), protocol.as_deref()) {
                        ("/chat", Some("websocket")) => {
                            let resp = http::Response::builder()
                                .status(200)
                                .header("sec-websocket-protocol", "chat")
                                .body(())
                                .unwrap();
                            let mut send = respond.send_response(resp, false).unwrap();
                            // Wait for the client's close frame, answer with ours and end.
                            let mut got = Vec::new();
                            while got.len() < CLIENT_CLOSE.len() {
                                let bytes = body.data().await.unwrap().unwrap();
                                got.extend_from_slice(&bytes);
                            }
                            send.send_data(Bytes::from_static(SERVER_CLOSE), true).unwrap();
                            let (rest, err) = read_body(&mut body).await;
                            assert!(rest.is_empty() && err.is_none());
                        }
                        ("/feed", Some("websocket")) => {
                            let resp = http::Response::builder().status(200).body(()).unwrap();
                            let mut send = respond.send_response(resp, false).unwrap();
                            let mut got = 0;
                            while got < CLIENT_BULK {
                                let bytes = body.data().await.unwrap().unwrap();
                                let _ = body.flow_control().release_capacity(bytes.len());
                                got += bytes.len();
                            }
                            send.send_data(Bytes::from(vec![b's'; SERVER_BULK]), false).unwrap();
                            // The client resets the stream.
                            let (_, err) = read_body(&mut body).await;
                            assert_eq!(err.and_then(|e| e.reason()), Some(h2::Reason::CANCEL));
                        }
                        ("/", None) => {
                            let resp = http::Response::builder().status(200).body(()).unwrap();
                            let mut send = respond.send_response(resp, false).unwrap();
                            send.send_data(Bytes::from_static(b"ok"), true).unwrap();
                        }
                        other => panic!("unexpected request {other:?}"),
                    }
                    done.send(()).unwrap();
                });
            }
            Some(()) = done_rx.recv() => {
                handled += 1;
                if handled == 3 {
                    break;
                }
            }
        }
    }
    conn.abrupt_shutdown(h2::Reason::NO_ERROR);
    while let Some(r) = conn.accept().await {
        r.unwrap();
    }
}

fn ws_request(path: &str, protocol: &str) -> http::Request<()> {
    let mut req = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("https://example.org{path}"))
        .header("sec-websocket-version", "13")
        .header("sec-websocket-protocol", protocol)
        .body(())
        .unwrap();
    req.extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    req
}

async fn client(io: Recording<tokio::io::DuplexStream>) {
    let (client, conn) = h2::client::handshake(io).await.unwrap();
    let conn_task = tokio::spawn(conn);
    let mut client = client.ready().await.unwrap();
    // The server's SETTINGS must have arrived before an extended CONNECT (RFC 8441 §4).
    while !client.is_extended_connect_protocol_enabled() {
        tokio::task::yield_now().await;
        client = client.ready().await.unwrap();
    }
    let (chat_resp, mut chat) = client
        .send_request(ws_request("/chat", "chat"), false)
        .unwrap();
    let mut client = client.ready().await.unwrap();
    let (feed_resp, mut feed) = client
        .send_request(ws_request("/feed", "feed.v1"), false)
        .unwrap();
    let mut client = client.ready().await.unwrap();
    let get = http::Request::builder()
        .uri("https://example.org/")
        .body(())
        .unwrap();
    let (get_resp, _) = client.send_request(get, true).unwrap();

    let chat_resp = chat_resp.await.unwrap();
    assert_eq!(chat_resp.status(), 200);
    chat.send_data(Bytes::from_static(CLIENT_CLOSE), false)
        .unwrap();
    let (got, err) = read_body(&mut chat_resp.into_body()).await;
    assert_eq!((got.as_slice(), err.is_none()), (SERVER_CLOSE, true));
    chat.send_data(Bytes::new(), true).unwrap();

    let feed_resp = feed_resp.await.unwrap();
    assert_eq!(feed_resp.status(), 200);
    feed.send_data(Bytes::from(vec![b'c'; CLIENT_BULK]), false)
        .unwrap();
    let mut body = feed_resp.into_body();
    let mut got = 0;
    while got < SERVER_BULK {
        let bytes = body.data().await.unwrap().unwrap();
        let _ = body.flow_control().release_capacity(bytes.len());
        got += bytes.len();
    }
    feed.send_reset(h2::Reason::CANCEL);

    let get_resp = get_resp.await.unwrap();
    let (got, _) = read_body(&mut get_resp.into_body()).await;
    assert_eq!(got, b"ok");
    drop(client);
    // The connection ends with the server's GOAWAY.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), conn_task).await;
}

/// Run the conversation; the log of both directions.
fn record() -> Vec<(bool, Vec<u8>)> {
    let log: Log = Arc::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let recording = Recording {
        inner: client_io,
        log: Arc::clone(&log),
    };
    rt.block_on(async move {
        let server = tokio::spawn(server(server_io));
        tokio::time::timeout(std::time::Duration::from_secs(20), client(recording))
            .await
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(20), server)
            .await
            .unwrap()
            .unwrap();
    });
    let log = log.lock().unwrap().clone();
    log
}

/// Feed the log in its order, each entry cut at random places; the events of each
/// direction, DATA pieces joined.
fn read_log(log: &[(bool, Vec<u8>)], seed: u32) -> (Vec<Ev>, Vec<Ev>) {
    let mut seed = seed.max(1);
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut conn = H2Conn::new();
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let mut packet = 0;
    for (from_client, bytes) in log {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            // Mostly small pieces, sometimes large.
            let max = if next() % 4 == 0 { 20_000 } else { 40 };
            let n = (1 + next() as usize % max).min(rest.len());
            let (piece, after) = rest.split_at(n);
            rest = after;
            packet += 1;
            conn.feed(
                *from_client,
                piece,
                packet,
                Timestamp(packet as i64),
                &mut |e| {
                    if let H2Event::Data { from_client: c, .. } = e {
                        assert_eq!(c, *from_client);
                    }
                    let own = own(e);
                    if *from_client {
                        client.push(own)
                    } else {
                        server.push(own)
                    }
                },
            );
        }
    }
    assert!(!conn.is_lost(true) && !conn.is_lost(false));
    assert_eq!(conn.hpack_lost_at(true), None);
    (merge(client), merge(server))
}

#[test]
fn h2_crate_conversation_read_back_in_random_chunks() {
    let log = record();
    let client_bytes: Vec<u8> = log
        .iter()
        .filter(|(c, _)| *c)
        .flat_map(|(_, b)| b.clone())
        .collect();
    assert!(looks_like_preface(&client_bytes));
    let (client, server) = read_log(&log, 1);

    // Connection level: SETTINGS both ways, the server's enabling extended CONNECT; the
    // server's GOAWAY names the last stream it processed (the GET, stream 5).
    assert!(matches!(
        client.first(),
        Some(Ev::Settings {
            from_client: true,
            ..
        })
    ));
    assert_eq!(
        server.first(),
        Some(&Ev::Settings {
            from_client: false,
            ecp: Some(true)
        })
    );
    assert_eq!(
        server.last(),
        Some(&Ev::GoAway {
            from_client: false,
            last_stream: 5,
            code: ErrorCode::NO_ERROR,
            debug: vec![]
        })
    );

    let request = |stream: u32,
                   method: &str,
                   protocol: Option<&str>,
                   path: &str,
                   wsp: Option<&str>,
                   end_stream: bool| Ev::Request {
        stream,
        method: Some(method.into()),
        protocol: protocol.map(Into::into),
        scheme: Some("https".into()),
        authority: Some("example.org".into()),
        path: Some(path.into()),
        ws: [wsp.map(|_| "13".into()), wsp.map(Into::into), None],
        end_stream,
    };
    let response = |stream: u32, ws_protocol: Option<&str>| Ev::Response {
        stream,
        status: Some(200),
        ws_protocol: ws_protocol.map(Into::into),
        end_stream: false,
    };

    // Stream 1, /chat: close frames both ways, END_STREAM both ways.
    let (heads, data, ended) = stream_view(&client, 1);
    assert_eq!(
        heads,
        vec![request(
            1,
            "CONNECT",
            Some("websocket"),
            "/chat",
            Some("chat"),
            false
        )]
    );
    assert_eq!((data.as_slice(), ended), (CLIENT_CLOSE, true));
    let (heads, data, ended) = stream_view(&server, 1);
    assert_eq!(heads, vec![response(1, Some("chat"))]);
    assert_eq!((data.as_slice(), ended), (SERVER_CLOSE, true));

    // Stream 3, /feed: bulk data over several frames, then RST_STREAM(CANCEL) by the client.
    let (heads, data, ended) = stream_view(&client, 3);
    assert_eq!(
        heads,
        vec![
            request(
                3,
                "CONNECT",
                Some("websocket"),
                "/feed",
                Some("feed.v1"),
                false
            ),
            Ev::Rst {
                stream: 3,
                from_client: true,
                code: ErrorCode::CANCEL
            }
        ]
    );
    assert_eq!((data, ended), (vec![b'c'; CLIENT_BULK], false));
    let (heads, data, ended) = stream_view(&server, 3);
    assert_eq!(heads, vec![response(3, None)]);
    assert_eq!((data, ended), (vec![b's'; SERVER_BULK], false));

    // Stream 5: the GET, ended by its HEADERS; "ok" back.
    let (heads, data, _) = stream_view(&client, 5);
    assert_eq!(heads, vec![request(5, "GET", None, "/", None, true)]);
    assert!(data.is_empty());
    let (heads, data, ended) = stream_view(&server, 5);
    assert_eq!(heads, vec![response(5, None)]);
    assert_eq!((data.as_slice(), ended), (&b"ok"[..], true));

    // Any chunking gives the same events.
    for seed in 2..40 {
        assert_eq!(
            read_log(&log, seed * 7919),
            (client.clone(), server.clone()),
            "seed {seed}"
        );
    }

    // Directions read one after the other (no SETTINGS here depends on the order).
    let server_bytes: Vec<u8> = log
        .iter()
        .filter(|(c, _)| !*c)
        .flat_map(|(_, b)| b.clone())
        .collect();
    let whole: Vec<(bool, Vec<u8>)> = vec![(true, client_bytes), (false, server_bytes)];
    assert_eq!(read_log(&whole, 99), (client, server));
}
