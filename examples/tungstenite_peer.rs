//! A Rust `tungstenite` WebSocket server used to record fixtures (`fixtures/record/record.sh`),
//! so that the captures come from a third real implementation beside Python `websockets`
//! and Node `ws`. Not part of wsclose.
//!
//! usage: tungstenite_peer server SCENARIO PORT [HOST]
//!
//! The server accepts exactly one connection, plays SCENARIO, and exits once that
//! connection's TCP connection is gone (record.sh waits for it). Scenarios:
//!
//! - `close-1013`: echoes one message, then closes with 1013 "overloaded, retry in 5 s"
//!   and waits for the client's reply (Try Again Later, RFC 6455 §7.4 via the IANA
//!   registry); used with `py_ws.py client close-1001`, which sends "hello" and waits.
//! - `max-size-64`: a message size limit of 64 bytes (`WebSocketConfig::max_message_size`);
//!   when the client sends more, tungstenite's read fails with a capacity error and the
//!   application drops the socket without a close frame, as a handler that returns on the
//!   error does; used with `py_ws.py client close-1009`, which sends 100 bytes.

use std::net::TcpListener;
use std::process::ExitCode;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::Error;

fn log(what: &str) {
    eprintln!("[tungstenite 0.28] {what}");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some("server"), Some(scenario), Some(port)) = (
        args.get(1).map(String::as_str),
        args.get(2).map(String::as_str),
        args.get(3).and_then(|p| p.parse::<u16>().ok()),
    ) else {
        eprintln!("usage: tungstenite_peer server close-1013|max-size-64 PORT [HOST]");
        return ExitCode::from(2);
    };
    let host = args.get(4).map_or("127.0.0.1", String::as_str);
    match serve(scenario, host, port) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log(&format!("server failed: {e}"));
            ExitCode::FAILURE
        }
    }
}

fn serve(scenario: &str, host: &str, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let config = match scenario {
        "close-1013" => WebSocketConfig::default(),
        "max-size-64" => WebSocketConfig::default().max_message_size(Some(64)),
        other => return Err(format!("unknown scenario {other}").into()),
    };
    let listener = TcpListener::bind((host, port))?;
    let (stream, peer) = listener.accept()?;
    log(&format!("server: connection from {peer}"));
    let mut ws = tungstenite::accept_with_config(stream, Some(config))?;
    match scenario {
        "close-1013" => {
            let msg = ws.read()?;
            log(&format!("server got {msg:?}"));
            ws.send(msg)?;
            ws.close(Some(CloseFrame {
                code: CloseCode::Again,
                reason: "overloaded, retry in 5 s".into(),
            }))?;
            // Read until the client's close frame has come back and the close handshake
            // is done (tungstenite then reports ConnectionClosed).
            loop {
                match ws.read() {
                    Ok(m) => log(&format!("server got {m:?} while closing")),
                    Err(Error::ConnectionClosed) => break,
                    Err(e) => return Err(e.into()),
                }
            }
            log("server: close handshake done");
        }
        _ => match ws.read() {
            Err(Error::Capacity(e)) => {
                // What a handler that returns on an error does: the socket is dropped
                // with the rest of the message unread, and no close frame is sent.
                log(&format!(
                    "server: read failed ({e}); dropping the connection"
                ));
            }
            other => return Err(format!("expected a capacity error, got {other:?}").into()),
        },
    }
    drop(ws);
    Ok(())
}
