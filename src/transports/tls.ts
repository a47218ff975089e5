/**
 * TLS echo: the TCP echo loop inside TLS (minimum TLS 1.2). Connections are admitted by the server's limits at
 * TCP accept, before any handshake work, then wrapped in a server-side TLSSocket. A handshake that does not
 * finish within tls.handshakeTimeout is closed; with mutual TLS, a client whose certificate does not verify
 * against the client CA is refused (no certificate at all fails inside the handshake itself).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../endpoint.js';
import { describeConnection } from './describe.js';
import { startEcho, type StreamConnection } from './stream-echo.js';
import { listenStream, streamHighWaterMark } from './tcp.js';
import { serverTlsOptions, type TlsMaterial } from './tls-material.js';
import type { Listener, Transport, TransportContext } from './transport.js';

function ignore(): void {}

function onConnection(context: TransportContext, material: TlsMaterial, raw: net.Socket): void {
  const remoteAddress = raw.remoteAddress;
  if (remoteAddress === undefined) {
    raw.destroy();
    return;
  }
  const remotePort = raw.remotePort ?? 0;
  const id = context.admit('tls', remoteAddress, remotePort);
  if (id === null) {
    raw.resetAndDestroy();
    return;
  }
  raw.on('error', ignore); // reported through the TLS socket
  const secure = new tls.TLSSocket(raw, serverTlsOptions(material));
  let handshaken = false;
  // Registered before the echo loop's own listener, so the reason names the handshake.
  secure.once('error', () => {
    if (!handshaken) conn.reason ??= 'handshake-failed';
  });
  const conn: StreamConnection = startEcho(context, {
    socket: secure,
    wire: raw,
    transport: 'tls',
    id,
    remoteAddress,
    remotePort,
    onread: false,
  });
  const timeoutMs = context.settings.tlsHandshakeTimeoutMs;
  const timer = timeoutMs > 0 ? setTimeout(() => conn.destroy('handshake-timeout'), timeoutMs) : null;
  secure.once('close', () => {
    if (timer !== null) clearTimeout(timer);
  });
  secure.once('secure', () => {
    handshaken = true;
    if (timer !== null) clearTimeout(timer);
    if (material.requireClientCert && !secure.authorized) {
      conn.destroy('handshake-failed');
      return;
    }
    if (context.settings.describe) {
      const line = `${JSON.stringify(describeConnection('tls', raw, secure))}\n`;
      conn.bytesOut += Buffer.byteLength(line);
      secure.write(line);
    }
  });
}

/** Listen for TLS echo clients on `endpoint`. Needs the server's TLS material. */
export const listenTls: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const material = context.tls;
  if (material === null) throw new Error('listenTls: no TLS material'); // serve() loads it for secure schemes
  const highWaterMark = streamHighWaterMark(context);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark });
  server.on('connection', (socket: net.Socket) => onConnection(context, material, socket));
  return listenStream(server, endpoint, context);
};
