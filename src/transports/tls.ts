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
import { listenStream, streamHighWaterMark } from './listen.js';
import { onTlsClientError, tlsServerOptions } from './tls-server.js';
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
  const server = tls.createServer(
    tlsServerOptions(material, context.settings, {
      // Half-open only once the handshake is done (secureConnection): before it, a client that closes (a health
      // check, ncat -z, a client rejecting the certificate) must free its slot at once, not at the handshake timeout.
      allowHalfOpen: false,
      noDelay: true,
      highWaterMark: streamHighWaterMark(context),
    } as tls.TlsOptions),
  );

  server.on('connection', (raw: Wire) => {
    const admitted = admitSocket(context, 'tls', raw);
    if (admitted === null) return;
    const conn = admitStream(context, { wire: raw, transport: 'tls', ...admitted });
    raw[kTls] = conn;
  });

  server.on('tlsClientError', onTlsClientError((wire) => (wire as Wire)[kTls], wireOf));

  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const wire = wireOf(socket);
    const conn = wire[kTls];
    if (conn === undefined) {
      socket.destroy();
      return;
    }
    socket.allowHalfOpen = true; // a client that half-closes gets the rest of its echo
    const preamble = context.settings.describe ? `${JSON.stringify(describeSocket('tls', socket))}\n` : undefined;
    startEcho(conn, { socket, onread: false, preamble });
  });

  return listenStream(server, endpoint, context);
};
