//! Generates a synthetic benchmark capture and its ground truth.
//!
//! ```sh
//! cargo run --release --features tools --example gen_capture -- --connections 20000 --size 1G --seed 7 out.pcap
//! ```
//!
//! Writes `out.pcap` (classic pcap, Ethernet) and `out.pcap.truth.json` (every WebSocket
//! connection's close frames with their packet numbers and its expected status). The same
//! arguments give the same bytes. See `examples/gen/mod.rs` for what the capture holds.
//!
//! With `--tls SHARE`, that share of the WebSocket connections runs over TLS (wss://), and
//! their secrets go to `out.pcap.keylog` (NSS key-log format) for
//! `wsclose analyze --keylog out.pcap.keylog out.pcap` or `tshark -o tls.keylog_file:…`.
//!
//! With `--h2 SHARE`, that share of the WebSocket connections runs over HTTP/2 (RFC 8441,
//! one extended CONNECT stream per TCP connection): h2c with prior knowledge, or h2 inside
//! TLS (ALPN `h2`) for those that are also wss://.
//!
//! With `--app socketio`, every WebSocket connection is a socket.io session (engine.io 4
//! over the WebSocket transport: OPEN, namespace connect, events, the server's pings and
//! the client's pongs, a DISCONNECT or CLOSE before some endings), and the truth gives
//! each one's expected `application` cause (`app`). See `examples/gen/socketio.rs`.

#[path = "gen/mod.rs"]
mod gen;

use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Generate a synthetic WebSocket capture and its ground truth")]
struct Args {
    /// TCP connections (about 87% WebSocket, 10% plain HTTP, 3% TLS-looking).
    #[arg(long, default_value_t = 20_000)]
    connections: u64,
    /// Target file size: 10M, 200M, 1G (decimal) or 512Mi (binary).
    #[arg(long, default_value = "100M", value_parser = gen::parse_size)]
    size: u64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Connections in flight at once [default: connections/10, between 1 and 256].
    #[arg(long)]
    concurrency: Option<usize>,
    /// Capture time advances as on a link of this many Mbit/s.
    #[arg(long, default_value_t = 200)]
    rate_mbps: u64,
    /// Share of WebSocket connections (0 to 1) that negotiate permessage-deflate and
    /// compress their messages; 0 makes the same bytes as earlier versions for a seed.
    #[arg(long, default_value_t = 0.0)]
    deflate: f64,
    /// Share of WebSocket connections (0 to 1) that run over TLS (TLS 1.3 AES-128-GCM or
    /// ChaCha20-Poly1305, TLS 1.2 ECDHE AES-128-GCM); 0 makes the same bytes as earlier
    /// versions for a seed.
    #[arg(long, default_value_t = 0.0)]
    tls: f64,
    /// The one TLS version and cipher suite of every wss:// connection: `aes128gcm` (TLS 1.3
    /// AES-128-GCM), `chacha20` (TLS 1.3 ChaCha20-Poly1305) or `tls12` (TLS 1.2 ECDHE
    /// AES-128-GCM); drawn per connection by default. The rest of the capture is the same.
    #[arg(long, value_parser = ["aes128gcm", "chacha20", "tls12"])]
    tls_suite: Option<String>,
    /// Share of WebSocket connections (0 to 1) that run over HTTP/2 (RFC 8441): h2c, or h2
    /// inside TLS for those also drawn for --tls; 0 makes the same bytes as earlier
    /// versions for a seed.
    #[arg(long, default_value_t = 0.0)]
    h2: f64,
    /// Where the NSS key log of the TLS connections goes [default: OUT.keylog, written
    /// when --tls is above 0].
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// The application protocol every WebSocket connection carries: `socketio` (engine.io 4
    /// over the WebSocket transport; not with --h2); none by default.
    #[arg(long, value_parser = ["socketio"])]
    app: Option<String>,
    /// Where the truth goes [default: OUT.truth.json].
    #[arg(long)]
    truth: Option<PathBuf>,
    /// The capture to write.
    out: PathBuf,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut cfg = gen::Config::new(args.connections, args.size, args.seed);
    if let Some(c) = args.concurrency {
        cfg.concurrency = c.max(1);
    }
    cfg.rate_mbps = args.rate_mbps.max(1);
    cfg.deflate = args.deflate.clamp(0.0, 1.0);
    cfg.tls = args.tls.clamp(0.0, 1.0);
    cfg.tls_suite = args.tls_suite.as_deref().map(|s| match s {
        "aes128gcm" => gen::tls::Flavor::Tls13Aes128Gcm,
        "chacha20" => gen::tls::Flavor::Tls13ChaCha20,
        _ => gen::tls::Flavor::Tls12Aes128Gcm,
    });
    cfg.h2 = args.h2.clamp(0.0, 1.0);
    cfg.socketio = args.app.as_deref() == Some("socketio");
    if cfg.socketio && cfg.h2 > 0.0 {
        eprintln!("gen_capture: --app socketio runs over HTTP/1.1 only: leave out --h2");
        std::process::exit(2);
    }
    let beside = |suffix: &str| {
        let mut p = args.out.clone().into_os_string();
        p.push(suffix);
        PathBuf::from(p)
    };
    let truth_path = args.truth.clone().unwrap_or_else(|| beside(".truth.json"));
    let keylog_path = args
        .keylog
        .clone()
        .or_else(|| (cfg.tls > 0.0).then(|| beside(".keylog")));
    let started = Instant::now();
    let mut pcap = gen::pcap_file(&args.out)?;
    let truth = std::io::BufWriter::new(std::fs::File::create(&truth_path)?);
    let s = match &keylog_path {
        Some(p) => {
            let keylog = std::io::BufWriter::new(std::fs::File::create(p)?);
            gen::generate_with_keylog(&cfg, &mut pcap, truth, keylog)?
        }
        None => gen::generate(&cfg, &mut pcap, truth)?,
    };
    use std::io::Write as _;
    pcap.into_inner().flush()?;
    eprintln!(
        "{}: {} packets, {} bytes, {} WebSocket ({} over TLS, {} over HTTP/2) + {} other TCP connections, {} UDP packets, in {:.1} s",
        args.out.display(),
        s.packets,
        s.bytes,
        s.websocket,
        s.tls,
        s.h2,
        s.other_tcp,
        s.udp_packets,
        started.elapsed().as_secs_f64()
    );
    eprintln!(
        "{}: expected status per WebSocket connection {:?}",
        truth_path.display(),
        s.by_status
    );
    if let Some(p) = &keylog_path {
        eprintln!("{}: the TLS connections' secrets", p.display());
    }
    Ok(())
}
