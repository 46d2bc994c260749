//! Regressions found by the mutation runs, each a capture built in code.

use super::run::sharded;
use super::*;

/// One WebSocket connection (client 10.0.0.1:`port`, server 10.0.0.2:8080), quiet for 700 s
/// (past the 600 s idle timeout), during which the capture holds one UDP packet of other
/// traffic; then the server closes with 1000, the client echoes, both FIN. Raw IPv4 pcap.
fn idle_then_udp_then_close(port: u16) -> Vec<u8> {
    use etherparse::PacketBuilder;
    use wsclose::__internals::capture::write::PcapWriter;
    let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut seq = [1_000u32, 5_000u32];
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65535).unwrap();
    let mut t = 1_700_000_000i64;
    let mut tcp = |w: &mut PcapWriter<Vec<u8>>, t: i64, from: usize, flags: &str, p: &[u8]| {
        let (src, dst, sp, dp) = if from == 0 {
            (c, s, port, 8080)
        } else {
            (s, c, 8080, port)
        };
        let mut b = PacketBuilder::ipv4(src, dst, 64).tcp(sp, dp, seq[from], 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        if !(flags.contains('S') && from == 0) {
            b = b.ack(seq[1 - from]);
        }
        let mut out = Vec::new();
        b.write(&mut out, p).unwrap();
        w.packet(Timestamp::from_parts(t, 0), &out, out.len() as u32)
            .unwrap();
        let adv = p.len() as u32 + u32::from(flags.contains('S') || flags.contains('F'));
        seq[from] = seq[from].wrapping_add(adv);
    };
    tcp(&mut w, t, 0, "S", b"");
    tcp(&mut w, t, 1, "S", b"");
    tcp(&mut w, t, 0, "", b"");
    tcp(
        &mut w,
        t,
        0,
        "",
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    tcp(
        &mut w,
        t,
        1,
        "",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
    t += 700;
    let udp = {
        let b = PacketBuilder::ipv4([10, 0, 0, 9], [10, 0, 0, 10], 64).udp(53, 53);
        let mut out = Vec::new();
        b.write(&mut out, b"dns?").unwrap();
        out
    };
    w.packet(Timestamp::from_parts(t, 0), &udp, udp.len() as u32)
        .unwrap();
    // Server close 1000 "idle"; the client's echo, masked with the zero key.
    tcp(&mut w, t, 1, "", b"\x88\x06\x03\xe8idle");
    tcp(&mut w, t, 0, "", b"\x88\x86\0\0\0\0\x03\xe8idle");
    tcp(&mut w, t, 1, "F", b"");
    tcp(&mut w, t, 0, "F", b"");
    w.into_inner()
}

/// Found by `mutants_100k`'s sharded comparison (237 of 100 000 mutants, e.g. a reported
/// close frame, whole connections, `tcp_end`, `first_packet`, `evicted_flows` differing).
/// In a sharded run, shards other than 0 call `maybe_sweep` on every packet, shard 0 (and
/// a single analyzer) only after a TCP packet: a non-TCP packet that moves the clock past
/// the idle timeout makes the other shards sweep before the flow's next packet is seen, so
/// a quiet connection of those shards is evicted and split in two, while one thread keeps
/// it whole. With sweeps after TCP packets only in every shard, all 237 mutants agree.
#[test]
fn sharded_report_equals_one_thread_after_idle_gap() {
    let dir = tempfile::tempdir().unwrap();
    for port in 40_000..40_006u16 {
        let path = dir.path().join(format!("idle-{port}.pcap"));
        std::fs::write(&path, idle_then_udp_then_close(port)).unwrap();
        let one = wsclose::analyze_files(std::slice::from_ref(&path), Options::default()).unwrap();
        assert_eq!(one.connections.len(), 1, "port {port}");
        assert_eq!(one.connections[0].status.code, Some(1000), "port {port}");
        let two = wsclose::analyze_files(std::slice::from_ref(&path), sharded()).unwrap();
        let statuses = |r: &Report| -> Vec<Option<u16>> {
            r.connections.iter().map(|c| c.status.code).collect()
        };
        assert_eq!(
            statuses(&two),
            statuses(&one),
            "client port {port}: statuses of the connections, two threads vs one"
        );
        let (a, b) = (
            wsclose::render::json::render(&one),
            wsclose::render::json::render(&two),
        );
        let diff = a.lines().zip(b.lines()).find(|(x, y)| x != y);
        assert!(
            diff.is_none(),
            "client port {port}: one thread / two: {diff:?}"
        );
    }
}
