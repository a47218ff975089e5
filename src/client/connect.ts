/**
 * Open a client connection to an endpoint, with a connect timeout and errors that say what happened.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { formatEndpoint, parseEndpoint, type Endpoint, type Scheme } from '../endpoint.js';
import { AbortedError, TimeoutError, UnsupportedSchemeError, fromConnectError } from '../errors.js';
import { clientTlsOptions, pinOf, type ClientTlsOptions } from './tls-options.js';
import { pinMismatch } from './pin.js';
import type { WebSocketClientSettings } from './websocket-options.js';

export interface ConnectOptions {
  /** Milliseconds to wait for the connection (and the TLS handshake). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** For tls://: trust, client certificate and server name. */
  tls?: ClientTlsOptions | undefined;
  /** For ws:// and wss://: headers, origin, subprotocols (already checked). */
  websocket?: WebSocketClientSettings | undefined;
}

/** Parse a URL for connecting (port 0 refused) and check the operation speaks its scheme. */
export function clientEndpoint(url: string | Endpoint, schemes: readonly Scheme[] = ['tcp', 'tls'], operation = 'sending'): Endpoint {
  const endpoint = typeof url === 'string' ? parseEndpoint(url, { allowPortZero: false }) : url;
  if (!schemes.includes(endpoint.scheme)) {
    throw new UnsupportedSchemeError(`${operation} over ${endpoint.scheme}:// is not supported (supported: ${schemes.join(', ')})`);
  }
  return endpoint;
}

/**
 * Resolve the endpoint's host to one address (an IP address resolves to itself).
 * @throws ERR_NETECHO_HOST_NOT_FOUND when the name does not resolve
 */
export async function resolveHost(endpoint: Endpoint): Promise<{ address: string; family: 4 | 6 }> {
  const family = net.isIP(endpoint.host);
  if (family !== 0) return { address: endpoint.host, family: family as 4 | 6 };
  try {
    const found = await lookup(endpoint.host);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (err) {
    throw fromConnectError(err, formatEndpoint(endpoint));
  }
}

/** What bench adds when it dials: a local address to connect from, and onread for its shared read buffer. */
export interface DialOptions extends ConnectOptions {
  localAddress?: string | undefined;
  onread?: { buffer: Buffer; callback: (bytes: number, buffer: Uint8Array) => boolean } | undefined;
}

/**
 * Connect over TCP (noDelay on: echo traffic is request/response).
 * @throws ERR_NETECHO_CONNECT_REFUSED, ERR_NETECHO_HOST_NOT_FOUND, ERR_NETECHO_HOST_UNREACHABLE, ERR_NETECHO_TIMEOUT,
 *   ERR_NETECHO_ABORTED
 */
export function dialTcp(endpoint: Endpoint, options: DialOptions): Promise<net.Socket> {
  if (options.signal?.aborted) return Promise.reject(new AbortedError());
  const socket = net.connect({
    host: endpoint.host,
    port: endpoint.port,
    noDelay: true,
    allowHalfOpen: true,
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    ...(options.onread !== undefined && { onread: options.onread }),
  });
  return whenConnected(socket, 'connect', options, formatEndpoint(endpoint), null);
}

/**
 * Connect over TLS; resolves after the handshake (and the pin check, with tls.pin).
 * @throws the errors of dialTcp(), and ERR_NETECHO_TLS (certificate not trusted or not the pinned one, mutual TLS refused)
 */
export function dialTls(endpoint: Endpoint, options: DialOptions): Promise<tls.TLSSocket> {
  if (options.signal?.aborted) return Promise.reject(new AbortedError());
  const target = formatEndpoint(endpoint);
  const socket = tls.connect({
    host: endpoint.host,
    port: endpoint.port,
    allowHalfOpen: true,
    ...clientTlsOptions(endpoint.host, options.tls),
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
  } as tls.ConnectionOptions);
  socket.setNoDelay(true);
  const pin = pinOf(options.tls);
  return whenConnected(socket, 'secureConnect', options, target, pin === undefined ? null : () => pinMismatch(socket, pin, target));
}

/** Connect over TCP, or TLS for tls://. */
export function connectStream(endpoint: Endpoint, options: DialOptions): Promise<net.Socket> {
  return endpoint.scheme === 'tls' ? dialTls(endpoint, options) : dialTcp(endpoint, options);
}

/** Resolve with `socket` once `event` fires (and `check` finds nothing wrong), within the connect timeout. */
function whenConnected<T extends net.Socket>(socket: T, event: string, options: ConnectOptions, target: string, check: (() => Error | null) | null): Promise<T> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    const cleanup = (): void => {
      if (timer !== null) clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener(event, onConnect);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(fromConnectError(err, target));
    };
    const onConnect = (): void => {
      const problem = check?.() ?? null;
      if (problem !== null) return onError(problem);
      cleanup();
      resolve(socket);
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(new AbortedError());
    };
    socket.once('error', onError);
    socket.once(event, onConnect);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs > 0) {
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new TimeoutError(`timed out after ${options.timeoutMs} ms connecting to ${target}`));
      }, options.timeoutMs);
    }
  });
}
