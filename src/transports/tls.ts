/**
 * TLS echo: the TCP echo loop inside TLS (minimum TLS 1.2), on Node's tls.Server. Connections are admitted by
 * the server's limits at TCP accept, before any handshake work; the echo starts once the handshake is done.
 * Handshakes that take longer than tls.handshakeTimeout are closed; with mutual TLS, OpenSSL refuses a client
 * without a certificate, and Node closes one whose certificate does not verify against the client CA.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../endpoint.js';
import { admitSocket } from './admit.js';
import { describeSocket, tcpSocketOf } from './describe.js';
import { admitStream, startEcho, type StreamConnection } from './stream-echo.js';
import { listenStream, streamHighWaterMark } from './tcp.js';
import { MIN_TLS_VERSION } from './tls-material.js';
import type { Listener, Transport, TransportContext } from './transport.js';

const kTls = Symbol('netecho.tls.connection');
type Wire = net.Socket & { [kTls]?: StreamConnection };

function wireOf(socket: tls.TLSSocket): Wire {
  return tcpSocketOf<Wire>(socket);
}

/** Listen for TLS echo clients on `endpoint`. Needs the server's TLS material. */
export const listenTls: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const material = context.tls;
  if (material === null) throw new Error('listenTls: no TLS material'); // serve() loads it for secure schemes
  const server = tls.createServer({
    cert: material.certPem,
    key: material.keyPem,
    minVersion: MIN_TLS_VERSION,
    allowHalfOpen: true,
    noDelay: true,
    highWaterMark: streamHighWaterMark(context),
    handshakeTimeout: context.settings.tlsHandshakeTimeoutMs || 120_000,
    ...(material.clientCaPem !== undefined && { ca: material.clientCaPem, requestCert: true, rejectUnauthorized: true }),
  } as tls.TlsOptions);

  server.on('connection', (raw: Wire) => {
    const admitted = admitSocket(context, 'tls', raw);
    if (admitted === null) return;
    const conn = admitStream(context, { wire: raw, transport: 'tls', ...admitted });
    raw[kTls] = conn;
    // A connection that closes before its echo started failed its handshake (or was refused by mutual TLS).
    raw.prependOnceListener('close', () => {
      if (!conn.started) conn.reason ??= 'handshake-failed';
    });
  });

  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    const conn = wireOf(socket)[kTls];
    if (conn !== undefined) conn.reason ??= err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'handshake-timeout' : 'handshake-failed';
    // Node reports a failed or timed-out handshake here but leaves the socket open.
    socket.destroy();
  });

  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const wire = wireOf(socket);
    const conn = wire[kTls];
    if (conn === undefined) {
      socket.destroy();
      return;
    }
    const preamble = context.settings.describe ? `${JSON.stringify(describeSocket('tls', socket))}\n` : undefined;
    startEcho(conn, { socket, onread: false, preamble });
  });

  return listenStream(server, endpoint, context);
};
