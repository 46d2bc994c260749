// A burst of real WebSocket sessions on loopback (node `ws`), for tests/it/capture/live/mod.rs.
//
// Usage: node burst.js PORT SESSIONS (with `ws` on NODE_PATH). The same sessions as
// burst.py: each client sends three short text messages and one of 64 kB; the server
// closes session i with code 4000+i (reason "burst i"). Prints "done N" with the number of
// sessions whose client saw its close code, and exits 0 when that is all of them.
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2]);
const sessions = Number(process.argv[3]);

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, backlog: 1024 });
wss.on('connection', (ws, req) => {
  const i = Number(req.url.split('/').pop());
  let n = 0;
  ws.on('message', () => {
    n += 1;
    if (n === 4) ws.close(4000 + i, `burst ${i}`);
  });
});

function session(i) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/s/${i}`, { perMessageDeflate: false });
    ws.on('open', () => {
      for (const m of ['hello', 'short two', 'three']) ws.send(m);
      ws.send('x'.repeat(65536));
    });
    ws.on('close', (code) => resolve(code === 4000 + i));
    ws.on('error', () => resolve(false));
  });
}

wss.on('listening', async () => {
  const ok = await Promise.all(Array.from({ length: sessions }, (_, i) => session(i)));
  const done = ok.filter(Boolean).length;
  console.log(`done ${done}`);
  wss.close();
  process.exit(done === sessions ? 0 : 1);
});
