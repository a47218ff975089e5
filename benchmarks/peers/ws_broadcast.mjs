// A minimal ws broadcast server (the "chat" pattern from the ws README): the room is the URL path; each message
// goes to the room's other clients as it came. Usage: node ws_broadcast.mjs PORT
import { WebSocketServer, WebSocket } from 'ws';

const rooms = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const room = req.url ?? '/';
  let members = rooms.get(room);
  if (members === undefined) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('close', () => members.delete(ws));
  ws.on('message', (data, isBinary) => {
    for (const client of members) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
  });
});
