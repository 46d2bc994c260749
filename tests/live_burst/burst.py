#!/usr/bin/env python3
"""A burst of real WebSocket sessions on loopback (python `websockets`), for tests/it/capture/live/mod.rs.

Usage: burst.py PORT SESSIONS [--tls CERT KEY KEYLOG]. Serves on 127.0.0.1:PORT, then
opens SESSIONS client sessions at once; each sends three short text messages and one of
64 kB, and the server closes session i with code 4000+i (reason "burst i"). Prints "done N"
with the number of sessions whose client saw its close code, and exits 0 when that is all
of them. With --tls: wss://, the server with that certificate, the clients writing their TLS
secrets to KEYLOG (NSS key log format, as SSLKEYLOGFILE).
"""
import asyncio
import ssl
import sys

import websockets

PORT, SESSIONS = int(sys.argv[1]), int(sys.argv[2])
SERVER_TLS = CLIENT_TLS = None
if sys.argv[3:4] == ["--tls"]:
    cert, key, keylog = sys.argv[4:7]
    SERVER_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    SERVER_TLS.load_cert_chain(cert, key)
    CLIENT_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    CLIENT_TLS.check_hostname = False
    CLIENT_TLS.verify_mode = ssl.CERT_NONE
    CLIENT_TLS.keylog_filename = keylog
SCHEME = "wss" if CLIENT_TLS else "ws"


async def handler(ws):
    # websockets 14+ (ws.request), or the legacy implementation (ws.path).
    path = ws.request.path if getattr(ws, "request", None) else ws.path
    i = int(path.rsplit("/", 1)[1])
    for _ in range(4):
        await ws.recv()
    await ws.close(4000 + i, f"burst {i}")


async def session(i):
    async with websockets.connect(
        f"{SCHEME}://127.0.0.1:{PORT}/s/{i}",
        max_size=None,
        compression=None,
        ssl=CLIENT_TLS,
    ) as ws:
        for m in ("hello", "short two", "three"):
            await ws.send(m)
        await ws.send("x" * 65536)
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass
    return ws.close_code == 4000 + i


async def main():
    async with websockets.serve(
        handler,
        "127.0.0.1",
        PORT,
        max_size=None,
        compression=None,
        backlog=1024,
        ssl=SERVER_TLS,
    ):
        ok = await asyncio.gather(*(session(i) for i in range(SESSIONS)))
    print("done", sum(ok), flush=True)
    sys.exit(0 if all(ok) else 1)


asyncio.run(main())
