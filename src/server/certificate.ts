/**
 * The certificate a serve() configuration will use, loaded (or made, with tls.selfSigned) once, before anything
 * listens: `serve --workers` makes it in the primary so that every worker serves the same one.
 */
import { loadTlsMaterial } from '../transports/tls-material.js';
import { SECURE_SCHEMES, resolveServeOptions, type ServeOptions } from './options.js';

export interface ServedCertificate {
  certPem: string;
  keyPem: string;
  fingerprint256: string;
  selfSigned: boolean;
}

/**
 * Null when no tls://, wss:// or https:// URL is served.
 * @throws the option errors of serve() (ERR_NETECHO_INVALID_ARGUMENT, ERR_NETECHO_INVALID_URL)
 */
export async function certificateFor(options: ServeOptions): Promise<ServedCertificate | null> {
  const { endpoints } = resolveServeOptions(options);
  if (!endpoints.some((e) => SECURE_SCHEMES.has(e.scheme))) return null;
  const m = await loadTlsMaterial(options.tls ?? {}, endpoints);
  return { certPem: m.certPem, keyPem: m.keyPem, fingerprint256: m.fingerprint256, selfSigned: m.selfSigned };
}
