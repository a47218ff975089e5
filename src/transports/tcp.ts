/**
 * TCP echo: every byte a peer sends is written back, in order, until the peer half-closes.
 *
 * The echo loop is a direct 'data' -> write(), with no pipe() machinery and no closure per connection:
 * the listeners below are module-level functions that find their state on the socket (as ws does).
 * Backpressure: when more than maxQueued bytes wait for a peer that is not reading, stop reading from it
 * until its queue drains; if the queue makes no progress for sendStallTimeout, close the connection.
 */
import net from 'node:net';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromListenError } from '../errors.js';
import type { CloseReason, ConnectionHandle, Listener, Transport, TransportContext } from './transport.js';

const kConn = Symbol('netecho.tcp.connection');

/** Node's default writable high-water mark for sockets; lower when maxQueued is smaller, so 'drain' still fires. */
const DEFAULT_HIGH_WATER_MARK = 16 * 1024;

interface EchoSocket extends net.Socket {
  [kConn]: TcpConnection;
}

class TcpConnection implements ConnectionHandle {
  readonly socket: EchoSocket;
  readonly context: TransportContext;
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly openedAt: number;
  reason: CloseReason | null = null;
  paused = false;
  finishing = false;
  stallTimer: NodeJS.Timeout | null = null;
  stallMark = 0;

  constructor(socket: EchoSocket, context: TransportContext, id: number, remoteAddress: string, remotePort: number) {
    this.socket = socket;
    this.context = context;
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.openedAt = Date.now();
  }

  get transport(): string {
    return 'tcp';
  }

  finish(): void {
    if (this.finishing) return;
    this.finishing = true;
    this.reason ??= 'drain-deadline';
    const socket = this.socket;
    // Keep reading but discard: closing with unread input would send RST and could destroy echoes in flight.
    socket.removeListener('data', socketOnData);
    socket.on('data', discard);
    if (!socket.writableEnded) socket.end();
    if (this.paused) {
      this.paused = false;
      socket.resume();
    }
  }

  destroy(reason: CloseReason): void {
    this.reason ??= reason;
    this.socket.destroy();
  }
}

function discard(): void {}

function socketOnData(this: EchoSocket, chunk: Buffer): void {
  if (!this.write(chunk) && this.writableLength >= this[kConn].context.limits.maxQueuedBytes) {
    pauseForPeer(this[kConn]);
  }
}

function pauseForPeer(conn: TcpConnection): void {
  conn.paused = true;
  conn.socket.pause();
  const stallMs = conn.context.limits.sendStallTimeoutMs;
  if (stallMs > 0 && conn.stallTimer === null) {
    conn.stallMark = conn.socket.writableLength;
    conn.stallTimer = setTimeout(checkStall, stallMs, conn);
  }
}

function checkStall(conn: TcpConnection): void {
  conn.stallTimer = null;
  const queued = conn.socket.writableLength;
  if (queued === 0 || !conn.paused) return;
  if (queued < conn.stallMark) {
    // The peer is reading, slowly: progress resets the clock.
    conn.stallMark = queued;
    conn.stallTimer = setTimeout(checkStall, conn.context.limits.sendStallTimeoutMs, conn);
    return;
  }
  conn.destroy('send-stall');
}

function socketOnDrain(this: EchoSocket): void {
  const conn = this[kConn];
  if (!conn.paused || conn.finishing) return;
  conn.paused = false;
  if (conn.stallTimer !== null) {
    clearTimeout(conn.stallTimer);
    conn.stallTimer = null;
  }
  this.resume();
}

function socketOnEnd(this: EchoSocket): void {
  // The peer half-closed: everything it sent has been written to our queue; end() flushes it, then sends FIN.
  if (!this.writableEnded) this.end();
}

function socketOnTimeout(this: EchoSocket): void {
  this[kConn].destroy('idle-timeout');
}

function socketOnError(this: EchoSocket, err: NodeJS.ErrnoException): void {
  const conn = this[kConn];
  conn.reason ??= err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'client-reset' : 'error';
}

function socketOnClose(this: EchoSocket): void {
  const conn = this[kConn];
  if (conn.stallTimer !== null) {
    clearTimeout(conn.stallTimer);
    conn.stallTimer = null;
  }
  conn.context.closed(conn, {
    id: conn.id,
    transport: 'tcp',
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    reason: conn.reason ?? 'client-closed',
    bytesIn: this.bytesRead,
    bytesOut: this.bytesWritten,
    durationMs: Date.now() - conn.openedAt,
  });
}

function onConnection(context: TransportContext, socket: net.Socket): void {
  const remoteAddress = socket.remoteAddress;
  if (remoteAddress === undefined) {
    // Reset before we could look at it.
    socket.destroy();
    return;
  }
  const remotePort = socket.remotePort ?? 0;
  const id = context.admit('tcp', remoteAddress, remotePort);
  if (id === null) {
    // Refused by a limit: reset at once so the client knows, rather than a silent empty echo.
    socket.resetAndDestroy();
    return;
  }
  const s = socket as EchoSocket;
  const conn = new TcpConnection(s, context, id, remoteAddress, remotePort);
  s[kConn] = conn;
  s.on('data', socketOnData);
  s.on('drain', socketOnDrain);
  s.on('end', socketOnEnd);
  s.on('error', socketOnError);
  s.on('close', socketOnClose);
  if (context.limits.idleTimeoutMs > 0) {
    s.setTimeout(context.limits.idleTimeoutMs);
    s.on('timeout', socketOnTimeout);
  }
  context.opened(conn, conn);
}

/** Listen for TCP echo clients on `endpoint`. */
export const listenTcp: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const target = formatEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const server = net.createServer({
      allowHalfOpen: true,
      noDelay: true,
      highWaterMark: Math.min(DEFAULT_HIGH_WATER_MARK, context.limits.maxQueuedBytes),
    });
    server.on('connection', (socket: net.Socket) => onConnection(context, socket));
    const onStartError = (err: Error): void => reject(fromListenError(err, target));
    server.once('error', onStartError);
    server.listen({ host: endpoint.host, port: endpoint.port }, () => {
      server.removeListener('error', onStartError);
      // After start, accept errors (EMFILE) are reported, not fatal: the listener keeps serving.
      server.on('error', (err) => context.warn(err));
      const address = server.address() as net.AddressInfo;
      const url = formatEndpoint({ scheme: 'tcp', host: address.address, port: address.port, path: '' });
      resolve({
        url,
        close: () =>
          new Promise<void>((done) => {
            // close() stops accepting now; its callback waits for connections, which the server drains itself.
            if (!server.listening) return done();
            server.close();
            done();
          }),
      });
    });
  });
};
