// Socket.IO rooms as the Socket.IO docs show them: a client joins the room named in its handshake query, and each
// "m" event goes to the room's other members (socket.to(room).emit). WebSocket transport only, no compression.
// With REDIS_URL, @socket.io/redis-adapter shares rooms between instances; the port opens once both Redis
// connections are ready (clients joining before that can miss the adapter's subscriptions).
// Usage: node socketio_relay.mjs PORT
import { once } from 'node:events';
import { Server } from 'socket.io';

const io = new Server({ serveClient: false, transports: ['websocket'], perMessageDeflate: false });
if (process.env.REDIS_URL) {
  const { Redis } = await import('ioredis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const pub = new Redis(process.env.REDIS_URL);
  const sub = pub.duplicate();
  await Promise.all([once(pub, 'ready'), once(sub, 'ready')]);
  io.adapter(createAdapter(pub, sub));
  // Let the adapter's own subscriptions go out first.
  await pub.ping();
  await sub.ping().catch(() => {});
}
io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room ?? 'lobby');
  socket.join(room);
  socket.on('m', (data) => socket.to(room).emit('m', data));
});
io.listen(Number(process.argv[2]));
