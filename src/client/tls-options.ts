/** Client-side TLS settings shared by send, bench and get: trust, client certificate, server name. */
import { isIP } from 'node:net';
import tls from 'node:tls';

export interface ClientTlsOptions {
  /** PEM CA certificate(s) to trust instead of the system's. */
  ca?: string | Buffer;
  /** PEM client certificate, for mutual TLS (with `key`). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip certificate verification. Never the default; for throwaway test servers only. */
  insecure?: boolean;
  /** The name to send (SNI) and verify the certificate against. Default: the URL's host. */
  servername?: string;
}

/** tls.connect() options from ClientTlsOptions, for a connection to `host`. Minimum TLS 1.2. */
export function clientTlsOptions(host: string, options: ClientTlsOptions = {}): tls.ConnectionOptions {
  const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
  return {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: !options.insecure,
    ...(servername !== undefined && { servername }),
    // An explicit --servername is also the name the certificate must carry, even when connecting by IP.
    ...(options.servername !== undefined && {
      checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(options.servername as string, cert),
    }),
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.cert !== undefined && { cert: options.cert }),
    ...(options.key !== undefined && { key: options.key }),
  };
}
