/**
 * CORS for the HTTP reflection (serve --cors [ORIGIN]): a page on another origin may read the reflection. Every
 * reply gets Access-Control-Allow-Origin (the origin given, or * for any); a preflight (OPTIONS with
 * Access-Control-Request-Method) is answered 204 with the method and headers asked for. Off by default: a browser
 * then keeps other origins' pages from reading what the reflection shows about their requests.
 */
import type http from 'node:http';
import { HTTP_TOKEN } from '../headers.js';

/** How long a browser may cache a preflight's answer. */
const MAX_AGE_SECONDS = 600;

/**
 * Add the CORS headers to `res` for `req`. Returns true when this was a preflight, answered here (204).
 * `allowed` is '*' or one origin.
 */
export function applyCors(req: http.IncomingMessage, res: http.ServerResponse, allowed: string): boolean {
  const origin = req.headers.origin;
  if (allowed === '*') res.setHeader('Access-Control-Allow-Origin', '*');
  else {
    res.setHeader('Vary', 'Origin');
    if (origin === allowed) res.setHeader('Access-Control-Allow-Origin', allowed);
  }
  res.setHeader('Access-Control-Expose-Headers', '*');
  const method = req.headers['access-control-request-method'];
  if (req.method !== 'OPTIONS' || method === undefined) return false;
  if (HTTP_TOKEN.test(method)) res.setHeader('Access-Control-Allow-Methods', method);
  const headers = req.headers['access-control-request-headers'];
  if (headers !== undefined && headers.split(',').every((h) => HTTP_TOKEN.test(h.trim()))) res.setHeader('Access-Control-Allow-Headers', headers);
  res.setHeader('Access-Control-Max-Age', String(MAX_AGE_SECONDS));
  res.setHeader('Content-Length', '0');
  res.writeHead(204);
  res.end();
  return true;
}
