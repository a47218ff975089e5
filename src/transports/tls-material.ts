/**
 * Certificates for tls://, wss:// and https://: loaded from PEM, or made at start with --self-signed.
 * Minimum TLS 1.2 whatever Node's default; with a client CA, mutual TLS (unverified clients refused).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../endpoint.js';
import { InvalidArgumentError, invalidOption } from '../errors.js';

export interface TlsMaterial {
  /** Mutual TLS: ask for a client certificate and refuse clients without a valid one. */
  readonly requireClientCert: boolean;
  /** The server certificate in PEM, and its SHA-256 fingerprint (AA:BB:...). */
  readonly certPem: string;
  readonly keyPem: string;
  /** The client CA for mutual TLS, or undefined. */
  readonly clientCaPem: string | undefined;
  readonly fingerprint256: string;
  readonly selfSigned: boolean;
}

export const MIN_TLS_VERSION = 'TLSv1.2';

/** Where the server's certificate comes from (serve()'s `tls` option). */
export interface TlsSource {
  cert?: string | Uint8Array | undefined;
  key?: string | Uint8Array | undefined;
  selfSigned?: boolean | undefined;
  clientCa?: string | Uint8Array | undefined;
}

/**
 * @throws InvalidArgumentError (ERR_NETECHO_INVALID_ARGUMENT) when the PEM data does not load or the key does not
 *   match the certificate.
 */
export async function loadTlsMaterial(options: TlsSource, endpoints: readonly Endpoint[]): Promise<TlsMaterial> {
  let cert: string;
  let key: string;
  if (options.selfSigned) {
    ({ cert, key } = await makeSelfSigned(endpoints));
  } else {
    cert = pemText(options.cert);
    key = pemText(options.key);
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw invalidOption('tls.cert', 'not a PEM certificate');
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new InvalidArgumentError(['tls.key', 'tls.cert'], (k, c) => `invalid ${k}: it does not match ${c}`);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw invalidOption('tls.key', 'not a PEM private key (or it is encrypted)');
  }
  const ca = options.clientCa === undefined ? undefined : pemText(options.clientCa);
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch {
      throw invalidOption('tls.clientCa', 'not a PEM certificate');
    }
  }
  // Load it once as the servers will, so a problem shows here, before anything listens.
  try {
    tls.createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION, ...(ca !== undefined && { ca }) });
  } catch (err) {
    throw new InvalidArgumentError(['tls.cert', 'tls.key'], (c, k) => `invalid ${c}/${k}: ${(err as Error).message}`);
  }
  return {
    requireClientCert: ca !== undefined,
    certPem: cert,
    keyPem: key,
    clientCaPem: ca,
    fingerprint256: x509.fingerprint256,
    selfSigned: Boolean(options.selfSigned),
  };
}

async function makeSelfSigned(endpoints: readonly Endpoint[]): Promise<{ cert: string; key: string }> {
  const { generate } = await import('selfsigned');
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  for (const e of endpoints) if (e.host !== '0.0.0.0' && e.host !== '::') names.add(e.host);
  const altNames = [...names].map((n) => (isIP(n) === 0 ? { type: 2 as const, value: n } : { type: 7 as const, ip: n }));
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'netecho self-signed' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

function pemText(pem: string | Uint8Array | undefined): string {
  if (pem === undefined) return '';
  return typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('utf8');
}
