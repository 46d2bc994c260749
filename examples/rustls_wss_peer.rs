//! A wss:// peer on **rustls**: tokio-tungstenite over tokio-rustls (rustls 0.23 with its
//! `ring` provider), used to record the fixtures `fixtures/tls/rustls-*` and
//! `fixtures/tls/python-rustls-*` (`fixtures/record/tls/record.sh`; the rustls section of
//! fixtures/README.md): a TLS stack none of the other fixtures has. Not part of wsclose.
//!
//! usage: rustls_wss_peer server SCENARIO PORT [HOST]
//!        rustls_wss_peer client SCENARIO PORT [HOST] [CLIENT_PORT]
//!
//! Environment:
//! - `SSLKEYLOGFILE`: the client appends its TLS secrets there (`rustls::KeyLogFile`, the
//!   NSS key log format); the server writes none.
//! - `TLS_CERT`, `TLS_KEY`: the server's certificate and key (PEM). The client accepts
//!   exactly that certificate for the name "localhost" (pinned: the test certificate is
//!   self-signed with CA:TRUE, which webpki refuses as an end-entity certificate) and checks
//!   the handshake signatures with the provider's algorithms. SNI "localhost", no ALPN.
//!
//! TLS: rustls' defaults unless the scenario says otherwise: TLS 1.3 and 1.2 on both sides,
//! the ring provider's suite order (TLS 1.3: AES-256-GCM, AES-128-GCM, ChaCha20-Poly1305),
//! the server following the client's order; the server sends rustls' default two TLS 1.3
//! session tickets and keeps sessions in memory, the client caches them in memory.
//!
//! Closing, as a careful tokio-rustls application does it: tungstenite answers a close
//! frame with the same code and reason; once the close handshake is done the server shuts
//! its TLS stream down (`AsyncWriteExt::shutdown`: close_notify, then a TCP FIN), and the
//! client, having read the server's close_notify, does the same. Each side prints to stderr
//! the negotiated version and suite and what its application saw (messages, the close
//! frame received, read errors).
//!
//! Scenarios (the client always sends "hello" first, the server echoes text messages):
//! - `tls13-aes256gcm-close-1000`: the client closes 1000 "bye" after the echo.
//! - `tls12-chacha20-close-1008`: the client allows only TLS 1.2 and
//!   TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256; the server closes 1008 "token expired" on
//!   the first message.
//! - `tls13-aes256gcm-drop`: after the echo and 0.3 s the server drops its connection: no
//!   close frame, no close_notify, a FIN (RFC 6455 status 1006 for both).
//! - `tls13-keyupdate-close-4000`: after the first echo the client calls
//!   `refresh_traffic_keys` (a KeyUpdate with update_requested, RFC 8446 §4.6.3; the
//!   server answers with its own KeyUpdate before its next record), sends "after key
//!   update", and closes 4000 "rekeyed" after its echo.
//! - `tls13-resume-close-1001`: two connections one after the other from the same client
//!   configuration (client ports CLIENT_PORT and CLIENT_PORT + 1); the second resumes the
//!   first's session (PSK, RFC 8446 §2.2); each is closed by the client 1001 "going away".
//! - `echo` (server only): echoes until the client closes; for clients of other stacks.

use futures_util::{SinkExt, StreamExt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Error = Box<dyn std::error::Error>;

/// What the server does once the client's "hello" is in.
#[derive(Clone, Copy)]
enum ServerEnd {
    /// Echo every text message until the client's close frame.
    Echo,
    /// Close with this code and reason on the first message.
    Close(u16, &'static str),
    /// Echo the first message, wait 0.3 s, drop the connection.
    Drop,
}

/// What the client does after its "hello".
#[derive(Clone, Copy)]
enum ClientEnd {
    /// Read the echo, then close with this code and reason.
    Close(u16, &'static str),
    /// Read until the server ends the connection.
    Wait,
}

struct Scenario {
    name: &'static str,
    /// The only suite the client offers, TLS 1.2 only; `None`: rustls' defaults.
    tls12_suite: Option<rustls::SupportedCipherSuite>,
    /// Connections the client makes, one after the other.
    conns: u16,
    /// The client sends a KeyUpdate after the first echo.
    key_update: bool,
    server: ServerEnd,
    client: ClientEnd,
}

fn scenario(name: &str) -> Option<Scenario> {
    let base = |name, server, client| Scenario {
        name,
        tls12_suite: None,
        conns: 1,
        key_update: false,
        server,
        client,
    };
    Some(match name {
        "tls13-aes256gcm-close-1000" => base(
            "tls13-aes256gcm-close-1000",
            ServerEnd::Echo,
            ClientEnd::Close(1000, "bye"),
        ),
        "tls12-chacha20-close-1008" => Scenario {
            tls12_suite: Some(ring::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
            ..base(
                "tls12-chacha20-close-1008",
                ServerEnd::Close(1008, "token expired"),
                ClientEnd::Wait,
            )
        },
        "tls13-aes256gcm-drop" => base("tls13-aes256gcm-drop", ServerEnd::Drop, ClientEnd::Wait),
        "tls13-keyupdate-close-4000" => Scenario {
            key_update: true,
            ..base(
                "tls13-keyupdate-close-4000",
                ServerEnd::Echo,
                ClientEnd::Close(4000, "rekeyed"),
            )
        },
        "tls13-resume-close-1001" => Scenario {
            conns: 2,
            ..base(
                "tls13-resume-close-1001",
                ServerEnd::Echo,
                ClientEnd::Close(1001, "going away"),
            )
        },
        "echo" => base("echo", ServerEnd::Echo, ClientEnd::Wait),
        _ => return None,
    })
}

fn log(what: &str) {
    eprintln!("[rustls 0.23 tokio-tungstenite 0.28] {what}");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: rustls_wss_peer server|client SCENARIO PORT [HOST] [CLIENT_PORT]";
    let (Some(role), Some(sc), Some(port)) = (
        args.get(1).map(String::as_str),
        args.get(2).and_then(|s| scenario(s)),
        args.get(3).and_then(|p| p.parse::<u16>().ok()),
    ) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let host = args.get(4).map_or("127.0.0.1", String::as_str);
    let client_port = args.get(5).and_then(|p| p.parse::<u16>().ok()).unwrap_or(0);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log(&format!("no runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result = match role {
        "server" => rt.block_on(serve(&sc, host, port)),
        "client" if sc.name != "echo" => rt.block_on(connect_all(&sc, host, port, client_port)),
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log(&format!("{role} failed: {e}"));
            ExitCode::FAILURE
        }
    }
}

fn env_path(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        format!(
            "{}/fixtures/record/tls/{default}",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

fn provider(tls12_suite: Option<rustls::SupportedCipherSuite>) -> Arc<CryptoProvider> {
    let mut p = ring::default_provider();
    if let Some(s) = tls12_suite {
        p.cipher_suites = vec![s];
    }
    Arc::new(p)
}

// ------------------------------------------------------------------------------- server

async fn serve(sc: &Scenario, host: &str, port: u16) -> Result<(), Error> {
    let certs = CertificateDer::pem_file_iter(env_path("TLS_CERT", "cert.pem"))?
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(env_path("TLS_KEY", "key.pem"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider(None))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((host, port)).await?;
    log(&format!(
        "server {} listening on {host} port {port}",
        sc.name
    ));
    for _ in 0..sc.conns {
        let (tcp, peer) = listener.accept().await?;
        log(&format!("server: connection from {peer}"));
        let tls = acceptor.accept(tcp).await?;
        let (_, conn) = tls.get_ref();
        log(&format!(
            "server: {:?} {:?} {:?}",
            conn.protocol_version(),
            conn.negotiated_cipher_suite().map(|s| s.suite()),
            conn.handshake_kind()
        ));
        let ws = tokio_tungstenite::accept_async(tls).await?;
        serve_one(sc.server, ws).await?;
    }
    log("server done");
    Ok(())
}

async fn serve_one<S: AsyncRead + AsyncWrite + Unpin>(
    end: ServerEnd,
    mut ws: WebSocketStream<S>,
) -> Result<(), Error> {
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Text(t)) => {
                log(&format!("server got text {:?}", t.as_str()));
                match end {
                    ServerEnd::Close(code, reason) => {
                        ws.close(Some(close_frame(code, reason))).await?;
                    }
                    ServerEnd::Drop => {
                        ws.send(Message::Text(t)).await?;
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        log("server: dropping the connection: no close frame, no close_notify");
                        drop(ws);
                        return Ok(());
                    }
                    ServerEnd::Echo => ws.send(Message::Text(t)).await?,
                }
            }
            Ok(Message::Close(f)) => log(&format!("server: close frame received: {}", show(&f))),
            Ok(other) => log(&format!("server got {other:?}")),
            Err(e) => {
                log(&format!("server: read error: {e}"));
                return Ok(());
            }
        }
    }
    log("server: close handshake done; close_notify and FIN");
    finish(ws.into_inner(), "server").await;
    Ok(())
}

// ------------------------------------------------------------------------------- client

/// Accepts exactly one certificate (the test certificate) for "localhost".
#[derive(Debug)]
struct Pinned {
    cert: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let localhost = matches!(server_name, ServerName::DnsName(n) if n.as_ref() == "localhost");
        if localhost && end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn connect_all(sc: &Scenario, host: &str, port: u16, client_port: u16) -> Result<(), Error> {
    let provider = provider(sc.tls12_suite);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone());
    let builder = if sc.tls12_suite.is_some() {
        builder.with_protocol_versions(&[&rustls::version::TLS12])?
    } else {
        builder.with_safe_default_protocol_versions()?
    };
    let cert = CertificateDer::from_pem_file(env_path("TLS_CERT", "cert.pem"))?;
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { cert, provider }))
        .with_no_client_auth();
    config.key_log = Arc::new(rustls::KeyLogFile::new());
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    for i in 0..sc.conns {
        let cport = if client_port == 0 { 0 } else { client_port + i };
        connect_one(sc, &connector, host, port, cport).await?;
    }
    log("client done");
    Ok(())
}

async fn connect_one(
    sc: &Scenario,
    connector: &tokio_rustls::TlsConnector,
    host: &str,
    port: u16,
    client_port: u16,
) -> Result<(), Error> {
    let server: SocketAddr = format!("{host}:{port}").parse()?;
    let socket = if server.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::new(server.ip(), client_port))?;
    let tcp = socket.connect(server).await?;
    let tls = connector
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let (_, conn) = tls.get_ref();
    log(&format!(
        "client: {:?} {:?} {:?}",
        conn.protocol_version(),
        conn.negotiated_cipher_suite().map(|s| s.suite()),
        conn.handshake_kind()
    ));
    let url = format!("wss://localhost:{port}/{}", sc.name);
    let (mut ws, response) = tokio_tungstenite::client_async(url.as_str(), tls).await?;
    log(&format!("client: upgraded, HTTP {}", response.status()));
    ws.send(Message::text("hello")).await?;
    let mut sent_close = false;
    let mut messages = 0;
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Text(t)) => {
                log(&format!("client got text {:?}", t.as_str()));
                messages += 1;
                if sc.key_update && messages == 1 {
                    ws.get_mut().get_mut().1.refresh_traffic_keys()?;
                    ws.get_mut().flush().await?;
                    log("client: KeyUpdate sent (update_requested)");
                    ws.send(Message::text("after key update")).await?;
                } else if let (ClientEnd::Close(code, reason), false) = (sc.client, sent_close) {
                    ws.close(Some(close_frame(code, reason))).await?;
                    sent_close = true;
                }
            }
            Ok(Message::Close(f)) => log(&format!("client: close frame received: {}", show(&f))),
            Ok(other) => log(&format!("client got {other:?}")),
            Err(e) => {
                log(&format!(
                    "client: read error: {e} (no close frame: 1006 to the application)"
                ));
                return Ok(());
            }
        }
    }
    log("client: close handshake done; waiting for the server's close_notify");
    finish(ws.into_inner(), "client").await;
    Ok(())
}

// ------------------------------------------------------------------------------- both

fn close_frame(code: u16, reason: &'static str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }
}

fn show(f: &Option<CloseFrame>) -> String {
    match f {
        Some(f) => format!("code {} reason {:?}", u16::from(f.code), f.reason.as_str()),
        None => "no code (1005)".to_string(),
    }
}

/// The end of a TLS stream once the WebSocket is closed: the server sends close_notify and
/// FIN first (RFC 6455 §7.1.1), then reads until the client's end; the client reads until
/// the server's close_notify, then sends its own and FIN.
async fn finish<S: AsyncRead + AsyncWrite + Unpin>(mut tls: S, who: &str) {
    if who == "server" {
        if let Err(e) = tls.shutdown().await {
            log(&format!("{who}: shutdown: {e}"));
        }
    }
    let mut buf = [0u8; 256];
    loop {
        match tls.read(&mut buf).await {
            Ok(0) => {
                log(&format!("{who}: the peer ended TLS (close_notify)"));
                break;
            }
            Ok(n) => log(&format!("{who}: {n} more bytes after the close")),
            Err(e) => {
                log(&format!("{who}: read after the close: {e}"));
                break;
            }
        }
    }
    if who == "client" {
        if let Err(e) = tls.shutdown().await {
            log(&format!("{who}: shutdown: {e}"));
        }
    }
}
