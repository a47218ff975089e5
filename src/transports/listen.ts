/**
 * Listening for connection-based transports (tcp, tls, and the web listeners): start, report, stop accepting; and
 * the high-water mark of their sockets.
 */
import type net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromListenError } from '../errors.js';
import type { Listener, ListenerContext } from './transport.js';

/**
 * Listen with `server`, resolving with the Listener once it listens. Shared by TCP, TLS and the web listeners;
 * `onClose` runs when the listener closes (or fails to start).
 */
export function listenStream(
  server: net.Server,
  endpoint: Endpoint,
  context: ListenerContext,
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

/** The echo's writable high-water mark (Node 20's default for sockets; Node 22 raised its default to 64 KiB). */
const ECHO_HIGH_WATER_MARK = 16 * 1024;

/** The writable high-water mark of an echo socket: lower when maxQueued is smaller, so 'drain' still fires. */
export function streamHighWaterMark(context: ListenerContext): number {
  return Math.min(ECHO_HIGH_WATER_MARK, context.limits.maxQueuedBytes);
}

/**
 * The high-water mark for an HTTP server's sockets when maxQueued is below Node's default (Node stops parsing the
 * next pipelined request once this much of the replies waits for the client), else undefined: Node's own.
 */
export function httpHighWaterMark(context: ListenerContext): number | undefined {
  const max = context.limits.maxQueuedBytes;
  return max < getDefaultHighWaterMark(false) ? max : undefined;
}
