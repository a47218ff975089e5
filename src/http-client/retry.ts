/** When and how long to wait before retrying a request. */

/** Methods safe to send twice (RFC 9110 idempotent methods). */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Statuses worth a retry: too many requests, and server errors that are usually temporary. */
export const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Connection failures worth a retry (the request may not have reached the server, or it went away). */
export const RETRY_CODES = new Set([
  'ERR_NETECHO_CONNECT_REFUSED',
  'ERR_NETECHO_CONNECTION_RESET',
  'ERR_NETECHO_CONNECTION_CLOSED',
  'ERR_NETECHO_TIMEOUT',
  'ERR_NETECHO_HOST_UNREACHABLE',
]);

const BASE_MS = 250;

/**
 * Exponential backoff with jitter: attempt n (from 1) waits a random time in [d/2, d] with d = 250 ms x 2^(n-1),
 * at most `maxMs`. A Retry-After header (seconds or an HTTP date) is used instead when present, also at most `maxMs`.
 */
export function retryDelay(attempt: number, maxMs: number, retryAfter: string | undefined, now = Date.now(), random = Math.random): number {
  const after = parseRetryAfter(retryAfter, now);
  if (after !== null) return Math.min(after, maxMs);
  const d = Math.min(maxMs, BASE_MS * 2 ** (attempt - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
