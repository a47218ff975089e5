/**
 * A byte channel to an echo server over any stream-like transport: TCP and TLS sockets as they are, WebSocket
 * as a duplex stream where each write is one message (text for strings, binary for bytes) and each message
 * received is one chunk. send(), ping() and sendStream() work on this one interface.
 */
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { AbortedError, ProtocolError, TimeoutError, fromConnectError } from '../errors.js';
import { connectStream, type ConnectOptions } from './connect.js';
import type tls from 'node:tls';
import { clientTlsOptions, pinOf } from './tls-options.js';
import { connectPinned } from './pin.js';

/** The schemes a channel speaks. */
export const CHANNEL_SCHEMES = ['tcp', 'tls', 'ws', 'wss'] as const;

export function isWebSocket(scheme: string): boolean {
  return scheme === 'ws' || scheme === 'wss';
}

/** Close codes that say something went wrong (not a normal close, going away, or none given). */
const CLOSE_CODE_NAMES: Record<number, string> = {
  1002: 'protocol error',
  1003: 'unsupported data',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'internal error',
};

function ignore(): void {}

/** Open a channel. Resolves once the connection (and any TLS or WebSocket handshake) is done. */
export function openChannel(endpoint: Endpoint, options: ConnectOptions): Promise<Duplex> {
  if (endpoint.scheme === 'ws' || endpoint.scheme === 'wss') return openWebSocket(endpoint, options);
  return connectStream(endpoint, options);
}

/** The WebSocket URL for an endpoint: ws(s)://host:port/path. */
export function webSocketUrl(endpoint: Endpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.scheme === 'https' || endpoint.scheme === 'wss' ? 'wss' : 'ws'}://${host}:${endpoint.port}${endpoint.path || '/'}`;
}

/**
 * Connect a WebSocket client (permessage-deflate off, as on the server by default). It comes back paused: what the
 * server sent with its upgrade response would otherwise be emitted before the caller could listen. Listen, then resume().
 * @throws the connect errors, ERR_NETECHO_TLS, ERR_NETECHO_PROTOCOL when the upgrade is refused
 */
export function connectWebSocket(endpoint: Endpoint, options: ConnectOptions & { maxPayload?: number }): Promise<WebSocket> {
  const target = formatEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new AbortedError());
    const secure = endpoint.scheme === 'wss' || endpoint.scheme === 'https';
    const w = options.websocket;
    const wsOptions = {
      perMessageDeflate: false,
      ...(w !== undefined && Object.keys(w.headers).length > 0 && { headers: w.headers }),
      ...(w?.origin !== undefined && { origin: w.origin }),
      maxPayload: options.maxPayload ?? 256 * 1024 * 1024,
      ...(options.timeoutMs > 0 && { handshakeTimeout: options.timeoutMs }),
      ...(secure && clientTlsOptions(endpoint.host, options.tls)),
    } as WebSocket.ClientOptions;
    // A pinned certificate is checked as the TLS connection comes up, before the upgrade is sent.
    if (secure && options.tls?.pin !== undefined) {
      const pin = pinOf(options.tls);
      (wsOptions as { createConnection?: unknown }).createConnection = (o: tls.ConnectionOptions) => connectPinned(o, pin, target);
    }
    const ws = new WebSocket(webSocketUrl(endpoint), w?.protocols ?? [], wsOptions);
    const cleanup = (): void => {
      ws.removeListener('open', onOpen);
      ws.removeListener('error', onError);
      // terminate() on a connecting socket reports an error of its own: nothing to tell anyone.
      ws.on('error', ignore);
      ws.removeListener('unexpected-response', onUnexpected);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onOpen = (): void => {
      cleanup();
      ws.removeListener('error', ignore);
      ws.pause();
      resolve(ws);
    };
    const onError = (err: Error): void => {
      cleanup();
      ws.terminate();
      if (/handshake has timed out/i.test(err.message)) reject(new TimeoutError(`timed out after ${options.timeoutMs} ms opening a WebSocket to ${target}`));
      else reject(fromConnectError(err, target));
    };
    const onUnexpected = (_req: unknown, res: import('node:http').IncomingMessage): void => {
      cleanup();
      res.resume();
      ws.terminate();
      reject(new ProtocolError(`${target} refused the WebSocket upgrade: HTTP ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trim()));
    };
    const onAbort = (): void => {
      cleanup();
      ws.terminate();
      reject(new AbortedError());
    };
    ws.once('open', onOpen);
    ws.once('error', onError);
    ws.once('unexpected-response', onUnexpected);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function openWebSocket(endpoint: Endpoint, options: ConnectOptions): Promise<Duplex> {
  const target = formatEndpoint(endpoint);
  const ws = await connectWebSocket(endpoint, options);
  let duplex: Duplex | null = null;
  // Before the stream's own 'close' listener: an error close becomes an error, not a quiet end.
  ws.on('close', (code: number, reason: Buffer) => {
    const name = CLOSE_CODE_NAMES[code];
    if (name !== undefined && duplex !== null && !duplex.destroyed) {
      const why = reason.length > 0 ? `: ${reason.toString('utf8').slice(0, 120)}` : '';
      duplex.destroy(new ProtocolError(`${target} closed the WebSocket with ${code} (${name})${why}`));
    }
  });
  duplex = createWebSocketStream(ws, { decodeStrings: false, allowHalfOpen: true });
  ws.resume();
  return duplex;
}
