/**
 * TCP echo: the listener. Accepted connections are admitted by the server's limits, then handed to the stream
 * echo loop (stream-echo.ts). Each accepted handle is adopted into a socket that reads with net's `onread`
 * into one scratch buffer per listener, which skips the stream machinery on the hot path; if the handle cannot
 * be adopted (a Node without the internals this relies on), the plain 'data' path is used.
 */
import net from 'node:net';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromListenError } from '../errors.js';
import { admitSocket } from './admit.js';
import { describeConnection } from './describe.js';
import { admitStream, socketOnRead, socketOnReadDumping, startEcho } from './stream-echo.js';
import type { Listener, Transport, TransportContext } from './transport.js';

/** Node's default writable high-water mark for sockets; lower when maxQueued is smaller, so 'drain' still fires. */
const DEFAULT_HIGH_WATER_MARK = 16 * 1024;
/** libuv reads at most this much per callback. */
const READ_BUFFER_SIZE = 64 * 1024;

/**
 * Move an accepted (paused) connection's handle into a socket that reads with `onread`. Returns null when
 * this Node does not expose the handle as expected; the caller then uses the socket as it is.
 */
function adopt(raw: net.Socket, scratch: Buffer, highWaterMark: number, dump: boolean): net.Socket | null {
  const handle = (raw as unknown as { _handle?: { readStart?: unknown } | null })._handle;
  if (handle === null || handle === undefined || typeof handle.readStart !== 'function') return null;
  (raw as unknown as { _handle: unknown })._handle = null;
  raw.destroy(); // with no handle, this only releases the server's count of it
  return new net.Socket({
    handle,
    allowHalfOpen: true,
    writableHighWaterMark: highWaterMark,
    onread: { buffer: scratch, callback: dump ? socketOnReadDumping : socketOnRead },
  } as net.SocketConstructorOpts);
}

interface ListenerState {
  readonly context: TransportContext;
  /** Said once per listener when the fast path is not available. */
  warned: boolean;
  /** Scratch space for onread; shared by this listener's connections, never kept past a callback. */
  readonly scratch: Buffer;
  readonly highWaterMark: number;
}

function onConnection(state: ListenerState, raw: net.Socket): void {
  const { context } = state;
  const admitted = admitSocket(context, 'tcp', raw);
  if (admitted === null) return;
  const preamble = context.settings.describe ? `${JSON.stringify(describeConnection('tcp', raw))}\n` : undefined;
  const adopted = adopt(raw, state.scratch, state.highWaterMark, context.settings.dump);
  if (adopted === null && !state.warned) {
    state.warned = true;
    context.warn(new Error(`tcp:// echo: Node ${process.version} does not expose the accepted socket's handle as netecho expects; using the slower stream path`));
  }
  const socket = adopted ?? raw;
  const conn = admitStream(context, { wire: socket, transport: 'tcp', ...admitted });
  startEcho(conn, { socket, onread: adopted !== null, preamble });
}

/**
 * Listen with `server`, resolving with the Listener once it listens. Shared by TCP, TLS and the web listeners;
 * `onClose` runs when the listener closes (or fails to start).
 */
export function listenStream(
  server: net.Server,
  endpoint: Endpoint,
  context: TransportContext,
  onClose?: () => void,
): Promise<Listener> {
  const target = formatEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const onStartError = (err: Error): void => {
      onClose?.();
      reject(fromListenError(err, target));
    };
    server.once('error', onStartError);
    server.listen({ host: endpoint.host, port: endpoint.port }, () => {
      server.removeListener('error', onStartError);
      // After start, accept errors (EMFILE) are reported, not fatal: the listener keeps serving.
      server.on('error', (err) => context.warn(err));
      const address = server.address() as net.AddressInfo;
      resolve({
        url: formatEndpoint({ scheme: endpoint.scheme, host: address.address, port: address.port, path: '' }),
        close: () =>
          new Promise<void>((done) => {
            // close() stops accepting now; its callback waits for connections, which the server drains itself.
            onClose?.();
            if (server.listening) server.close();
            done();
          }),
      });
    });
  });
}

export function streamHighWaterMark(context: TransportContext): number {
  return Math.min(DEFAULT_HIGH_WATER_MARK, context.limits.maxQueuedBytes);
}

/** Listen for TCP echo clients on `endpoint`. */
export const listenTcp: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const highWaterMark = streamHighWaterMark(context);
  const state: ListenerState = { context, warned: false, scratch: Buffer.allocUnsafeSlow(READ_BUFFER_SIZE), highWaterMark };
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true, highWaterMark });
  server.on('connection', (socket: net.Socket) => onConnection(state, socket));
  return listenStream(server, endpoint, context);
};
