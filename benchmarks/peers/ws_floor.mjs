// The least a WebSocket broadcast server can do per delivery: each message framed once (RFC 6455, unmasked) and the
// same bytes written to each other client's socket, nothing else (no limits, no ids, no checks). A floor to read
// the others against, not a server to use. Usage: node ws_floor.mjs PORT
import { Buffer } from 'node:buffer';
import { WebSocketServer } from 'ws';

const rooms = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false });

function frame(data, binary) {
  const n = data.length;
  const h = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const f = Buffer.allocUnsafe(h + n);
  f[0] = 0x80 | (binary ? 2 : 1);
  if (n < 126) f[1] = n;
  else if (n < 65536) {
    f[1] = 126;
    f.writeUInt16BE(n, 2);
  } else {
    f[1] = 127;
    f.writeBigUInt64BE(BigInt(n), 2);
  }
  data.copy(f, h);
  return f;
}

wss.on('connection', (ws, req) => {
  const room = req.url ?? '/';
  let members = rooms.get(room);
  if (members === undefined) rooms.set(room, (members = new Map()));
  members.set(ws, ws._socket);
  ws.on('close', () => members.delete(ws));
  ws.on('message', (data, isBinary) => {
    const f = frame(data, isBinary);
    for (const [client, socket] of members) if (client !== ws && client.readyState === 1) socket.write(f);
  });
});
