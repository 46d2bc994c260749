#!/usr/bin/env python3
"""A real server restart on loopback (python websockets), for tests/it/cli/metrics/alert.rs.

Usage: restart.py PORT CLIENTS. Starts a websockets echo server on 127.0.0.1:PORT in a
process of its own, opens CLIENTS sessions to it that each send a message every 0.2 s,
kills the server after 3 s (SIGKILL: its kernel ends every session by FIN), and starts it
again 1 s later; each client reconnects 0.3 s after its session ended, again every 0.2 s
while refused, keeps its new session 1 s and closes it with 1000. Prints "back N" with the
number of clients whose new session opened, and exits 0 when that is all of them.
"""
import asyncio
import subprocess
import sys
import time

import websockets

PORT = int(sys.argv[1] if sys.argv[1] != "--serve" else sys.argv[2])


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def serve():
    async with websockets.serve(echo, "127.0.0.1", PORT, compression=None):
        await asyncio.Future()


def start_server():
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(PORT)])
    for _ in range(100):
        try:
            import socket

            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server never listened")


async def client(i):
    url = f"ws://127.0.0.1:{PORT}/feed"
    async with websockets.connect(url, compression=None) as ws:
        try:
            while True:
                await ws.send(f"tick {i}")
                await ws.recv()
                await asyncio.sleep(0.2)
        except websockets.ConnectionClosed:
            pass
    await asyncio.sleep(0.3)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            async with websockets.connect(url, compression=None) as ws:
                await ws.send(f"back {i}")
                await ws.recv()
                await asyncio.sleep(1)
                await ws.close(1000, "bye")
                return True
        except (OSError, websockets.InvalidHandshake):
            await asyncio.sleep(0.2)
    return False


async def main(clients):
    server = start_server()
    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.sleep(3)
    server.kill()
    server.wait()
    await asyncio.sleep(1)
    server = start_server()
    back = sum(await asyncio.gather(*tasks))
    server.kill()
    server.wait()
    print(f"back {back}", flush=True)
    return back == clients


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        asyncio.run(serve())
    else:
        sys.exit(0 if asyncio.run(main(int(sys.argv[2]))) else 1)
