// A minimal WebSocket echo server with ws, as its README shows: each message sent back with its type. Port from argv[2].
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ port: Number(process.argv[2]), host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => console.log('ready'));
