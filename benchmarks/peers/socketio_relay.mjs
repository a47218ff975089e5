// Socket.IO rooms as the Socket.IO docs show them: a client joins the room named in its handshake query, and each
// "m" event goes to the room's other members (socket.to(room).emit). WebSocket transport only, no compression.
// With REDIS_URL, @socket.io/redis-adapter shares rooms between instances. Usage: node socketio_relay.mjs PORT
import { Server } from 'socket.io';

const io = new Server(Number(process.argv[2]), { serveClient: false, transports: ['websocket'], perMessageDeflate: false });
if (process.env.REDIS_URL) {
  const { Redis } = await import('ioredis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const pub = new Redis(process.env.REDIS_URL);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
}
io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room ?? 'lobby');
  socket.join(room);
  socket.on('m', (data) => socket.to(room).emit('m', data));
});
