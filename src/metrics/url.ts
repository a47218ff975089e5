/** The metrics endpoint's URL: checked up front, before anything listens (no prom-client needed for that). */
import { invalidOption } from '../errors.js';

export const DEFAULT_METRICS_URL = 'http://127.0.0.1:9464/metrics';

/**
 * Parse a metrics URL: http only, a host and a port (0 for any free one), a path (default /metrics).
 * @throws ERR_NETECHO_INVALID_ARGUMENT naming the option `metrics`
 */
export function parseMetricsUrl(text: string): { host: string; port: number; path: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw invalidOption('metrics', `"${text}" is not a URL (use http://HOST:PORT/PATH, e.g. ${DEFAULT_METRICS_URL})`);
  }
  if (u.protocol !== 'http:') throw invalidOption('metrics', `"${text}": only http:// is served (put TLS in front of it if needed)`);
  if (u.port === '' && !/:\d+/.test(u.host)) throw invalidOption('metrics', `"${text}" needs a port (e.g. ${DEFAULT_METRICS_URL})`);
  if (u.search !== '' || u.hash !== '' || u.username !== '') throw invalidOption('metrics', `"${text}": no query, fragment or credentials`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(u.port || 80), path: u.pathname === '' || u.pathname === '/' ? '/metrics' : u.pathname };
}
