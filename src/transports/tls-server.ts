/**
 * What the tls:// and https:// (and wss://) listeners share: the TLS server options (minimum TLS 1.2, the
 * handshake timeout, mutual TLS with a client CA), and how a connection that ended before its handshake is
 * reported.
 */
import { constants } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import type { TlsMaterial } from './tls-material.js';
import { MIN_TLS_VERSION } from './tls-material.js';
import type { TransportSettings } from './settings.js';
import type { CloseReason } from './transport.js';

/**
 * The server's cipher preference: Node's default list with TLS 1.3's AES-128-GCM moved first, as Go's crypto/tls,
 * BoringSSL and browsers order them on CPUs with AES instructions (Node's default, AES-256-GCM first and the
 * client's order honoured, costs about a fifth more CPU per byte of cipher work for no practical gain: openssl speed,
 * 2.88 against 2.42 GB/s here), unless the client puts
 * ChaCha20-Poly1305 first (a client without AES instructions), which it then gets.
 */
const SERVER_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  ...tls.DEFAULT_CIPHERS.split(':').filter((c) => c !== 'TLS_AES_128_GCM_SHA256'),
].join(':');

/** tls.Server options for `material`, with the transport's own additions (ALPN, half-open, buffers). */
export function tlsServerOptions(material: TlsMaterial, settings: TransportSettings, extra: tls.TlsOptions = {}): tls.TlsOptions {
  return {
    cert: material.certPem,
    key: material.keyPem,
    minVersion: MIN_TLS_VERSION,
    ciphers: SERVER_CIPHERS,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_PRIORITIZE_CHACHA,
    handshakeTimeout: settings.tlsHandshakeTimeoutMs,
    ...(material.clientCaPem !== undefined && { ca: material.clientCaPem, requestCert: true, rejectUnauthorized: true }),
    ...extra,
  };
}

/**
 * Why a connection ended before its handshake was done. Node reports a client that went away and a client
 * refused after the handshake (mutual TLS, unauthorized) alike, as ECONNRESET; one that sent nothing at all (a
 * TCP health check, ncat -z) left, anything else failed its handshake.
 */
export function handshakeCloseReason(err: NodeJS.ErrnoException, wire: net.Socket): CloseReason {
  if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshake-timeout';
  if (err.code === 'ECONNRESET' && wire.bytesRead === 0) return 'client-closed';
  return 'handshake-failed';
}

/**
 * A 'tlsClientError' listener: set the connection's close reason (found from its TCP socket by `find`) and close
 * it; Node reports a failed or timed-out handshake there but leaves the socket open.
 */
export function onTlsClientError(find: (wire: net.Socket) => { reason: CloseReason | null } | undefined, wireOf: (s: tls.TLSSocket) => net.Socket) {
  return (err: NodeJS.ErrnoException, socket: tls.TLSSocket): void => {
    const wire = wireOf(socket);
    const conn = find(wire);
    if (conn !== undefined) conn.reason ??= handshakeCloseReason(err, wire);
    socket.destroy();
  };
}
