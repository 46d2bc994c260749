//! A wss:// session made in memory by rustls (TLS 1.3), its key log captured through
//! rustls' `KeyLog` hook, written as a classic pcap of one TCP connection
//! ([`common::Session`]): the upgrade request for a chosen path, the 101, a close frame
//! from the server with a chosen code and reason, the client's echo, both close_notify,
//! both FINs; or ([`Wss`]) one played step by step.
#![allow(dead_code)]

use crate::common::{self, Session};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use std::io::Write;
use std::sync::{Arc, Mutex};
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::Role::{Client, Server};

/// rustls' key-log hook, writing NSS lines.
#[derive(Debug, Default)]
struct Capture(Mutex<String>);

impl rustls::KeyLog for Capture {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut s = self.0.lock().unwrap();
        s.push_str(&format!("{label} {} {}\n", hex(client_random), hex(secret)));
    }
    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

/// Moves every pending TLS byte between the ends, each flight one TCP segment.
fn pump(c: &mut ClientConnection, s: &mut ServerConnection, tcp: &mut Session) {
    loop {
        let mut moved = false;
        for from_client in [true, false] {
            let mut buf = Vec::new();
            if from_client {
                while c.wants_write() {
                    c.write_tls(&mut buf).unwrap();
                }
            } else {
                while s.wants_write() {
                    s.write_tls(&mut buf).unwrap();
                }
            }
            if buf.is_empty() {
                continue;
            }
            moved = true;
            tcp.send(if from_client { Client } else { Server }, &buf);
            let mut rd = &buf[..];
            while !rd.is_empty() {
                if from_client {
                    s.read_tls(&mut rd).unwrap();
                    s.process_new_packets().unwrap();
                } else {
                    c.read_tls(&mut rd).unwrap();
                    c.process_new_packets().unwrap();
                }
            }
        }
        if !moved {
            break;
        }
    }
}

/// A wss:// session played step by step: TLS 1.3 between rustls ends, each flight one
/// TCP segment of a [`Session`] whose clock the caller may move.
pub struct Wss {
    client: ClientConnection,
    server: ServerConnection,
    pub tcp: Session,
    keylog: Arc<Capture>,
}

impl Wss {
    /// The TCP and TLS handshakes, the upgrade request for `path` and the 101, with
    /// `subprotocol` asked and agreed when given.
    pub fn open(path: &str, subprotocol: Option<&str>) -> Wss {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert_der: CertificateDer<'static> = cert.cert.der().clone();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let keylog = Arc::new(Capture::default());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert_der.clone()).unwrap();
        let mut cc = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        cc.key_log = keylog.clone();
        cc.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut sc = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .unwrap();
        sc.alpn_protocols = vec![b"http/1.1".to_vec()];
        let client =
            ClientConnection::new(Arc::new(cc), ServerName::try_from("localhost").unwrap())
                .unwrap();
        let server = ServerConnection::new(Arc::new(sc)).unwrap();
        let mut tcp = Session::new(50_000, 443);
        tcp.handshake();
        let mut w = Wss {
            client,
            server,
            tcp,
            keylog,
        };
        w.pump();
        let asked =
            subprotocol.map_or_else(String::new, |p| format!("Sec-WebSocket-Protocol: {p}\r\n"));
        let upgrade = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n{asked}\r\n"
        );
        w.send(true, upgrade.as_bytes());
        let mut response = common::response(false);
        response.truncate(response.len() - 2);
        response.extend(asked.as_bytes());
        response.extend(b"\r\n");
        w.send(false, &response);
        w
    }

    /// `bytes` written by the client (`from_client`) or the server, and sent.
    pub fn send(&mut self, from_client: bool, bytes: &[u8]) {
        if from_client {
            self.client.writer().write_all(bytes).unwrap();
        } else {
            self.server.writer().write_all(bytes).unwrap();
        }
        self.pump();
    }

    /// A close_notify from the client (`from_client`) or the server, and sent.
    pub fn close_notify(&mut self, from_client: bool) {
        if from_client {
            self.client.send_close_notify();
        } else {
            self.server.send_close_notify();
        }
        self.pump();
    }

    fn pump(&mut self) {
        pump(&mut self.client, &mut self.server, &mut self.tcp);
    }

    /// The pcap and the key log.
    pub fn finish(self) -> (Vec<u8>, String) {
        let mut w = PcapWriter::new(Vec::new(), self.tcp.link, 262_144).unwrap();
        for p in &self.tcp.pkts {
            w.packet(p.ts, &p.data, p.orig_len).unwrap();
        }
        let log = self.keylog.0.lock().unwrap().clone();
        (w.into_inner(), log)
    }
}

/// The pcap and the key log of a wss:// session whose upgrade asks for `path` and whose
/// server closes with `code` and `reason` (the client echoes it).
pub fn session(path: &str, code: u16, reason: &str) -> (Vec<u8>, String) {
    let mut w = Wss::open(path, None);
    w.send(false, &common::close(Server, code, reason));
    w.send(true, &common::close(Client, code, reason));
    w.server.send_close_notify();
    w.client.send_close_notify();
    w.pump();
    w.tcp.fins(Server);
    w.finish()
}
