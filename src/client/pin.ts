/**
 * Certificate pinning: `tls.pin` ("sha256:" and the certificate's SHA-256 fingerprint, as `netecho serve` logs it)
 * trusts exactly that certificate, self-signed or not, instead of the CA store and the host name, as ssh trusts a
 * known host key. Checked right after each handshake, on every client path (sockets, WebSocket, HTTP).
 */
import tls from 'node:tls';
import { TlsError, invalidOption } from '../errors.js';

const PIN = /^sha256:((?:[0-9a-f]{2}:?){31}[0-9a-f]{2})$/i;

/**
 * "sha256:5E:0B:..." (colons optional, any case) in Node's fingerprint256 form, "5E:0B:...".
 * @throws ERR_NETECHO_INVALID_ARGUMENT naming tls.pin
 */
export function parsePin(text: string): string {
  const m = PIN.exec(text.trim());
  if (m === null) throw invalidOption('tls.pin', `"${text}" (expected sha256: and the 64 hex digits of a certificate's SHA-256 fingerprint, as netecho serve logs it)`);
  const hex = (m[1] ?? '').replace(/:/g, '').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}

/** The error for a server whose certificate is not the pinned one, or null when it is. */
export function pinMismatch(socket: tls.TLSSocket, pin: string, target: string): TlsError | null {
  const seen = socket.getPeerCertificate()?.fingerprint256;
  if (seen === pin) return null;
  return new TlsError(`TLS with ${target} failed: the certificate's SHA-256 fingerprint is ${seen ?? 'unknown'}, not the pinned ${pin}`);
}

/** tls.connect, failing the connection (with ERR_NETECHO_TLS) when the certificate is not the pinned one. */
export function connectPinned(options: tls.ConnectionOptions, pin: string | undefined, target: string): tls.TLSSocket {
  const socket = tls.connect(options);
  if (pin !== undefined) {
    socket.prependOnceListener('secureConnect', () => {
      const err = pinMismatch(socket, pin, target);
      if (err !== null) socket.destroy(err);
    });
  }
  return socket;
}
