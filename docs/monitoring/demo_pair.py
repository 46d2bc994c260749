#!/usr/bin/env python3
"""A real WebSocket app pair to watch in Prometheus (README's monitoring recipe).

A python-websockets server on 127.0.0.1:8765 and its clients, one session at a time, each
ending one of four ways, in turn:

    /chat   the client says "hello", gets it back, and closes 1000 "bye"
    /fail   the server's handler raises on the client's message: the server closes 1011
    /kick   the server closes 4001 "kicked" after the first message (its own policy)
    /drop   the client's connection is aborted after its message: the server sees 1006

Usage: demo_pair.py [--sessions N] [--every SECONDS] [--port PORT]
(default: forever, one every 0.5 s, on 8765; --port 0 takes a free port and prints it)
Needs `pip install websockets` (version 13 or later). Prints one line per session ended.
"""

import argparse
import asyncio
import logging

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

PORT = 8765
PATHS = ["/chat", "/fail", "/kick", "/drop"]


async def handler(ws):
    path = ws.request.path
    try:
        async for message in ws:
            if path == "/fail":
                raise RuntimeError("the handler failed on " + repr(message))
            if path == "/kick":
                await ws.close(4001, "kicked")
                return
            await ws.send(message)
    except ConnectionClosed:
        pass  # /drop: the client went away without a close frame


async def session(port, path):
    async with connect(f"ws://127.0.0.1:{port}{path}", compression=None) as ws:
        await ws.send("hello")
        if path == "/drop":
            await asyncio.sleep(0.05)
            ws.transport.abort()
            return "aborted"
        try:
            await ws.recv()
            await ws.close(1000, "bye")
        except ConnectionClosed:
            pass
        return f"closed {ws.close_code}"


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=0, help="stop after N (0: never)")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between sessions")
    parser.add_argument("--port", type=int, default=PORT, help="the server's port (0: any free one)")
    args = parser.parse_args()
    # The /fail handler raises on purpose; websockets would log its traceback each time.
    logging.getLogger("websockets.server").setLevel(logging.CRITICAL)
    async with serve(handler, "127.0.0.1", args.port, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print("serving on 127.0.0.1:%d" % port, flush=True)
        n = 0
        while args.sessions == 0 or n < args.sessions:
            path = PATHS[n % len(PATHS)]
            try:
                print(path, await session(port, path), flush=True)
            except (OSError, ConnectionClosed) as e:
                print(path, "failed:", e, flush=True)
            n += 1
            await asyncio.sleep(args.every)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
