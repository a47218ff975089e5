/**
 * Open a client connection to an endpoint, with a connect timeout and errors that say what happened.
 */
import net from 'node:net';
import { formatEndpoint, parseEndpoint, type Endpoint } from '../endpoint.js';
import { AbortedError, TimeoutError, UnsupportedSchemeError, fromConnectError } from '../errors.js';

export interface ConnectOptions {
  /** Milliseconds to wait for the connection. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Parse a URL for connecting (port 0 refused) and check netecho's client speaks its scheme. */
export function clientEndpoint(url: string | Endpoint): Endpoint {
  const endpoint = typeof url === 'string' ? parseEndpoint(url, { allowPortZero: false }) : url;
  if (endpoint.scheme !== 'tcp') {
    throw new UnsupportedSchemeError(`sending over ${endpoint.scheme}:// is not supported yet (supported: tcp)`);
  }
  return endpoint;
}

/**
 * Connect over TCP. Resolves with the socket once connected (noDelay on: echo traffic is request/response).
 * @throws ERR_NETECHO_CONNECT_REFUSED, ERR_NETECHO_HOST_NOT_FOUND, ERR_NETECHO_HOST_UNREACHABLE,
 *   ERR_NETECHO_TIMEOUT, ERR_NETECHO_ABORTED
 */
export function connectTcp(endpoint: Endpoint, options: ConnectOptions): Promise<net.Socket> {
  const target = formatEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new AbortedError());
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true, allowHalfOpen: true });
    let timer: NodeJS.Timeout | null = null;
    const cleanup = (): void => {
      if (timer !== null) clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener('connect', onConnect);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(fromConnectError(err, target));
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(new AbortedError());
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
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
