/**
 * The HTTP reflection: any method and path gets a JSON document describing the request. Replies are always
 * application/json with nosniff, and `<`, `>` and `&` are written as \u escapes, so no reflected text can run
 * as HTML in a browser. Secrets in headers are redacted unless asked for.
 *
 * Per-request controls in the query string: ?status=503 (reply status), ?delay=200ms (capped by
 * http.maxDelay), ?body=TEXT (reply with TEXT instead of the reflection: as is when it is JSON, else as a JSON
 * string).
 */
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import type net from 'node:net';
import { HTTP_TOKEN } from '../headers.js';
import { parseDuration } from '../units.js';
import { describeSocket, type ConnectionDescription } from './describe.js';
import type { HttpSettings } from './settings.js';

export interface Reflection extends ConnectionDescription {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  /** The path, as sent (percent-encoding kept). */
  path: string;
  /** Query parameters, decoded; a repeated name gives an array. */
  query: Record<string, string | string[]>;
  httpVersion: string;
  /** Header names in lower case; repeated headers joined as Node joins them. */
  headers: Record<string, string | string[]>;
  /** The body as text when it is UTF-8, else base64; null when there was none. */
  body: string | null;
  bodyEncoding: 'utf8' | 'base64' | null;
  bodyBytes: number;
  timing: { receivedAt: string; bodyMs: number; delayMs: number };
}

export const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);
export const REDACTED = '[redacted]';

/** Headers HTTP/2 forbids. */
const CONNECTION_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'upgrade', 'transfer-encoding', 'proxy-connection']);

const MIN_STATUS = 200;
const MAX_STATUS = 599;

const UNSAFE = /[<>&\u2028\u2029]/;
const UNSAFE_ALL = /[<>&\u2028\u2029]/g;

/** Serialize for an HTML-proof reply: same JSON value, with <, > and & escaped. */
export function safeJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2);
  return `${UNSAFE.test(json) ? json.replace(UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json}\n`;
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = safeJson(value);
  // setHeader rather than writeHead's object: the access log reads Content-Length back.
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extra,
  };
  // HTTP/2 has no connection-level headers (RFC 9113 8.2.2): the stream ends, the connection stays.
  const h2 = res.req.httpVersionMajor >= 2;
  for (const [name, value] of Object.entries(headers)) if (!(h2 && CONNECTION_HEADERS.has(name.toLowerCase()))) res.setHeader(name, value);
  // ?header= may have asked for a name set above; ours win.
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.writeHead(status);
  res.end(res.req.method === 'HEAD' || status === 204 || status === 304 ? undefined : body);
}

/**
 * Answer on a bare socket (no response object: a parser error, a refused upgrade) in the same shape as every
 * reply: JSON, nosniff, no-store, then close.
 */
export function sendRawJson(socket: net.Socket, status: number, error: string, extra: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = safeJson({ error });
  const headers = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extra,
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`);
}

/**
 * The path of a request target as sent (percent-encoding kept): origin-form "/a/b?q" gives "/a/b"; absolute-form
 * "http://host:81/a?q" (sent to proxies) gives "/a" too, the whole target staying in `url`.
 */
export function targetPath(target: string): string {
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const rest = absolute === null ? target : target.slice(absolute[0].length);
  const path = rest.replace(/[?#].*$/s, '');
  return path === '' ? '/' : path;
}

interface Controls {
  status: number;
  delayMs: number;
  body: string | null;
  /** Headers asked for with ?header=Name:Value. */
  headers: Record<string, string>;
}

/**
 * Headers ?header= may not set: what keeps the reply JSON that cannot be sniffed as anything else, and what
 * frames the message (a reflection must not become an injection point, as httpbin's /response-headers did).
 */
const FIXED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'x-content-type-options',
  'connection',
  'keep-alive',
  'upgrade',
  'trailer',
  'te',
  'proxy-connection',
]);

function controls(query: URLSearchParams, settings: HttpSettings): Controls | string {
  let status = 200;
  const s = query.get('status');
  if (s !== null) {
    status = /^\d{3}$/.test(s) ? Number(s) : NaN;
    if (!(status >= MIN_STATUS && status <= MAX_STATUS)) return `invalid status: "${s}" (from ${MIN_STATUS} to ${MAX_STATUS})`;
  }
  let delayMs = 0;
  const d = query.get('delay');
  if (d !== null) {
    try {
      delayMs = Math.min(parseDuration(d, 'delay'), settings.maxDelayMs);
    } catch (err) {
      return (err as Error).message;
    }
  }
  const headers: Record<string, string> = {};
  for (const h of query.getAll('header')) {
    const colon = h.indexOf(':');
    const name = colon > 0 ? h.slice(0, colon).trim() : '';
    const value = colon > 0 ? h.slice(colon + 1).trim() : '';
    if (!HTTP_TOKEN.test(name)) return `invalid header: "${h}" (expected ?header=Name:Value)`;
    if (/[\r\n\0]/.test(value)) return `invalid header: the value of ${name} contains a line break`;
    if (FIXED_HEADERS.has(name.toLowerCase())) return `invalid header: ${name} cannot be set (the reply stays JSON)`;
    headers[name] = value;
  }
  return { status, delayMs, body: query.get('body'), headers };
}

function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of query) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function headerObject(req: http.IncomingMessage, reveal: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // HTTP/2's pseudo-headers are the request line; only :authority stands for a header (Host).
    if (v === undefined || (k.startsWith(':') && k !== ':authority')) continue;
    const name = k === ':authority' ? 'host' : k;
    if (name === 'host' && out.host !== undefined) continue;
    out[name] = !reveal && SECRET_HEADERS.has(name) ? REDACTED : v;
  }
  return out;
}

/** Text when the bytes are valid UTF-8 (a leading byte-order mark kept: it is part of the body), else base64. */
function decodeBody(body: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  return isUtf8(body) ? { body: body.toString('utf8'), bodyEncoding: 'utf8' } : { body: body.toString('base64'), bodyEncoding: 'base64' };
}

/**
 * Handle one request: read the body (up to http.maxBody, else 413 and close), apply the controls, reply.
 * `transport` is the listener's scheme; `done` is called once the reply is written or abandoned.
 */
export function reflect(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  transport: string,
  settings: HttpSettings,
  done: () => void,
  onBody?: (body: Buffer) => void,
): void {
  const receivedAt = new Date();
  const t0 = performance.now();
  res.once('close', done);
  let parsed: URL;
  try {
    parsed = new URL(req.url ?? '/', 'http://netecho.invalid');
  } catch {
    sendJson(res, 400, { error: 'invalid request target' });
    return;
  }
  const ctl = controls(parsed.searchParams, settings);
  if (typeof ctl === 'string') {
    req.resume();
    sendJson(res, 400, { error: ctl });
    return;
  }
  let rawHeaders = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (!(req.rawHeaders[i] ?? '').startsWith(':')) rawHeaders++;
  if (rawHeaders > settings.maxHeaders) {
    req.resume();
    sendJson(res, 431, { error: `too many headers: ${rawHeaders} (at most ${settings.maxHeaders})` }, { Connection: 'close' });
    return;
  }
  const max = settings.maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    sendJson(res, 413, { error: `body too large: ${declared} bytes (at most ${max})` }, { Connection: 'close' });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > max) {
      refused = true;
      sendJson(res, 413, { error: `body too large: more than ${max} bytes` }, { Connection: 'close' });
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    const bodyMs = performance.now() - t0;
    const bytes = Buffer.concat(chunks);
    if (bytes.length > 0) onBody?.(bytes);
    const description = describeSocket(transport, req.socket);
    const reflection: Reflection = {
      transport,
      method: req.method ?? '',
      url: req.url ?? '',
      path: targetPath(req.url ?? ''),
      query: queryObject(parsed.searchParams),
      httpVersion: req.httpVersion,
      headers: headerObject(req, settings.revealSecrets),
      ...(bytes.length > 0 ? decodeBody(bytes) : { body: null, bodyEncoding: null }),
      bodyBytes: bytes.length,
      client: description.client,
      server: description.server,
      tls: description.tls,
      timing: { receivedAt: receivedAt.toISOString(), bodyMs: Math.round(bodyMs * 1000) / 1000, delayMs: ctl.delayMs },
    };
    const reply = (): void => {
      if (res.destroyed) return;
      sendJson(res, ctl.status, ctl.body === null ? reflection : parseOrText(ctl.body), ctl.headers);
    };
    if (ctl.delayMs > 0) {
      const timer = setTimeout(reply, ctl.delayMs);
      res.once('close', () => clearTimeout(timer));
    } else reply();
  });
}

/** ?body= as a JSON value: parsed when it is JSON, else the text as a JSON string. Re-serialized HTML-proof. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
