/**
 * TCP echo: the listener. Accepted connections are admitted by the server's limits, then handed to the stream
 * echo loop (stream-echo.ts). Each accepted handle is adopted into a socket that reads with net's `onread`
 * into one scratch buffer per listener, which skips the stream machinery on the hot path; if the handle cannot
 * be adopted (a Node without the internals this relies on), the plain 'data' path is used.
 */
import net from 'node:net';
import type { Endpoint } from '../endpoint.js';
import { listenStream, streamHighWaterMark } from './listen.js';
import { admitSocket } from './admit.js';
import { describeConnection } from './describe.js';
import { ReadBuffers } from './read-buffers.js';
import { admitStream, socketOnRead, socketOnReadDumping, startEcho } from './stream-echo.js';
import type { Listener, Transport, TransportContext } from './transport.js';

/**
 * Move an accepted (paused) connection's handle into a socket that reads with `onread`. Returns null when
 * this Node does not expose the handle as expected; the caller then uses the socket as it is.
 */
function adopt(raw: net.Socket, reads: ReadBuffers, highWaterMark: number, dump: boolean): net.Socket | null {
  const handle = (raw as unknown as { _handle?: { readStart?: unknown } | null })._handle;
  if (handle === null || handle === undefined || typeof handle.readStart !== 'function') return null;
  (raw as unknown as { _handle: unknown })._handle = null;
  raw.destroy(); // with no handle, this only releases the server's count of it
  return new net.Socket({
    handle,
    allowHalfOpen: true,
    writableHighWaterMark: highWaterMark,
    onread: { buffer: reads.next, callback: dump ? socketOnReadDumping : socketOnRead },
  } as net.SocketConstructorOpts);
}

interface ListenerState {
  readonly context: TransportContext;
  /** Said once per listener when the fast path is not available. */
  warned: boolean;
  /** Where onread reads land: one shared buffer, and a few lent to connections reading large chunks. */
  readonly reads: ReadBuffers;
  readonly highWaterMark: number;
}

function onConnection(state: ListenerState, raw: net.Socket): void {
  const { context } = state;
  const admitted = admitSocket(context, 'tcp', raw);
  if (admitted === null) return;
  const preamble = context.settings.describe ? `${JSON.stringify(describeConnection('tcp', raw))}\n` : undefined;
  const adopted = adopt(raw, state.reads, state.highWaterMark, context.settings.dump);
  if (adopted === null && !state.warned) {
    state.warned = true;
    context.warn(new Error(`tcp:// echo: Node ${process.version} does not expose the accepted socket's handle as netecho expects; using the slower stream path`));
  }
  const socket = adopted ?? raw;
  const conn = admitStream(context, { wire: socket, transport: 'tcp', ...admitted });
  if (adopted !== null) conn.reads = state.reads;
  startEcho(conn, { socket, onread: adopted !== null, preamble });
}


/** Listen for TCP echo clients on `endpoint`. */
export const listenTcp: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const highWaterMark = streamHighWaterMark(context);
  const state: ListenerState = { context, warned: false, reads: new ReadBuffers(), highWaterMark };
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true, highWaterMark });
  server.on('connection', (socket: net.Socket) => onConnection(state, socket));
  return listenStream(server, endpoint, context);
};
