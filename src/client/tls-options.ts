/** Client-side TLS settings shared by send, bench and get: trust, client certificate, server name. */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { InvalidArgumentError, invalidOption } from '../errors.js';
import type { OptionShape } from '../option-shape.js';
import { parsePin } from './pin.js';

export interface ClientTlsOptions {
  /** PEM CA certificate(s) to trust instead of the system's. */
  ca?: string | Uint8Array;
  /** PEM client certificate, for mutual TLS (with `key`). */
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  /** Skip certificate verification. Never the default; for throwaway test servers only. */
  insecure?: boolean;
  /** The name to send (SNI) and verify the certificate against. Default: the URL's host. */
  servername?: string;
  /**
   * Trust exactly this certificate: "sha256:" and its SHA-256 fingerprint (as `netecho serve --self-signed` logs
   * it). Replaces CA and host-name checks, as an ssh known host does.
   */
  pin?: string;
}

/** ClientTlsOptions, for checkShape(). */
export const CLIENT_TLS_SHAPE: OptionShape = { ca: 'pem', cert: 'pem', key: 'pem', insecure: 'boolean', servername: 'string', pin: 'string' };

/**
 * Check client TLS options up front (after checkShape): a certificate needs its key, a server name is not empty.
 * @throws ERR_NETECHO_INVALID_ARGUMENT naming the option
 */
export function validateClientTls(options: ClientTlsOptions | undefined): void {
  if (options === undefined) return;
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw options.cert === undefined
      ? new InvalidArgumentError(['tls.key', 'tls.cert'], (k, c) => `${k} needs ${c}`)
      : new InvalidArgumentError(['tls.cert', 'tls.key'], (c, k) => `${c} needs ${k}`);
  }
  if (options.servername !== undefined && options.servername.trim() === '') throw invalidOption('tls.servername', 'empty');
  if (options.pin !== undefined) {
    parsePin(options.pin);
    if (options.insecure) throw new InvalidArgumentError(['tls.pin', 'tls.insecure'], (p, i) => `conflicting options: ${p} and ${i} (a pin is checked; insecure checks nothing)`);
  }
}

/** The pin in Node's fingerprint form, or undefined. */
export function pinOf(options: ClientTlsOptions | undefined): string | undefined {
  return options?.pin === undefined ? undefined : parsePin(options.pin);
}

/** tls.connect() options from ClientTlsOptions, for a connection to `host`. Minimum TLS 1.2. */
export function clientTlsOptions(host: string, options: ClientTlsOptions = {}): tls.ConnectionOptions {
  const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
  // With a pin, the CA store and the name do not matter: the certificate is checked against the pin instead.
  const pinned = options.pin !== undefined;
  return {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: !options.insecure && !pinned,
    ...(servername !== undefined && { servername }),
    // An explicit servername is also the name the certificate must carry, even when connecting by IP.
    ...(options.servername !== undefined && !pinned && {
      checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(options.servername as string, cert),
    }),
    ...(options.ca !== undefined && { ca: pem(options.ca) }),
    ...(options.cert !== undefined && { cert: pem(options.cert) }),
    ...(options.key !== undefined && { key: pem(options.key) }),
  };
}

function pem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
