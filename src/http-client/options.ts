/** get() options: types, defaults and validation in one place. */
import type { ClientTlsOptions } from '../client/tls-options.js';
import { InvalidArgumentError, invalidOption, InvalidUrlError } from '../errors.js';
import { checkShape, type OptionShape } from '../option-shape.js';
import { HTTP_TOKEN, parseHeaders, type HeaderLines } from '../headers.js';
import { CLIENT_TLS_SHAPE, validateClientTls } from '../client/tls-options.js';
import { parseCount, parseDuration, parseSize, type Duration, type Size } from '../units.js';

export interface GetOptions {
  /** HTTP method. Default GET (POST when a body is given). */
  method?: string;
  /** Extra request headers: an object, or lines like "Name: value". */
  headers?: HeaderLines;
  /** A request body, sent as is. */
  data?: string | Uint8Array;
  /** A value sent as JSON (Content-Type: application/json). Conflicts with `data`. */
  json?: unknown;
  /** Connect timeout, and the limit for each attempt as a whole. Default "30s". */
  timeout?: Duration;
  /** Redirects to follow; the response after the last one allowed is returned as it is. Default 5. */
  maxRedirects?: number | string;
  /** Retries for idempotent requests on connection errors, 429 and 5xx, with backoff and jitter. Default 0. */
  retry?: number | string;
  /** Longest wait between retries, also for Retry-After. Default "30s". */
  retryMaxDelay?: Duration;
  /** Largest body read into memory (decoded). Default "256MiB". */
  maxBody?: Size;
  /**
   * Keep the body as it came. Default false: get() asks for gzip, deflate and br (Accept-Encoding) and decodes a
   * body sent with one of them.
   */
  raw?: boolean;
  /**
   * HTTP/2. To https:// it is offered (ALPN) and the server may still answer in HTTP/1.1; to http:// it is spoken
   * from the first byte (h2c with prior knowledge, as `curl --http2-prior-knowledge`), so the server must speak it.
   * Default false.
   */
  http2?: boolean;
  /** Write the final response's body here as it arrives instead of keeping it (no size limit); not ended. */
  output?: NodeJS.WritableStream;
  /** TLS for https://: trust, client certificate, server name. */
  tls?: ClientTlsOptions;
  /**
   * Proxy: a URL, null for none, or undefined to follow HTTP_PROXY / HTTPS_PROXY / NO_PROXY in `env`.
   */
  proxy?: string | null;
  /** Environment for the proxy variables. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Called before each retry, with the attempt that failed and the wait. */
  onRetry?: (info: RetryInfo) => void;
  signal?: AbortSignal;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  /** The status that caused it, or the error code. */
  reason: string;
}

export interface GetConfig {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeoutMs: number;
  maxRedirects: number;
  retry: number;
  retryMaxDelayMs: number;
  maxBodyBytes: number;
  raw: boolean;
  http2: boolean;
  tls: ClientTlsOptions | undefined;
  proxy: string | null;
}

/** get()'s options, for checkShape(). */
export const GET_SHAPE: OptionShape = {
  method: 'string',
  headers: 'headers',
  data: 'bytes',
  json: 'any',
  timeout: 'duration',
  maxRedirects: 'count',
  retry: 'count',
  retryMaxDelay: 'duration',
  maxBody: 'size',
  raw: 'boolean',
  http2: 'boolean',
  output: 'writable',
  tls: CLIENT_TLS_SHAPE,
  proxy: 'any',
  env: 'any',
  onRetry: 'function',
  signal: 'signal',
};

export const GET_DEFAULTS = { timeoutMs: 30_000, maxRedirects: 5, retry: 0, retryMaxDelayMs: 30_000, maxBodyBytes: 256 * 1024 * 1024 } as const;


/** Parse an http(s) URL; the message quotes the text. */
export function httpUrl(text: string | URL): URL {
  if (text instanceof URL) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidUrlError(`invalid URL "${text}": expected http://host[:port]/path or https://…`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidUrlError(`invalid URL "${text}": get speaks http:// and https:// (not ${url.protocol}//)`);
  }
  return url;
}

/** @throws ERR_NETECHO_INVALID_URL, ERR_NETECHO_INVALID_ARGUMENT naming the option */
export function resolveGetOptions(urlText: string | URL, options: GetOptions = {}): GetConfig {
  checkShape(options, GET_SHAPE, 'get');
  validateClientTls(options.tls);
  const url = httpUrl(urlText);
  const headers = parseHeaders(options.headers);
  if (options.data !== undefined && options.json !== undefined) throw new InvalidArgumentError(['data', 'json'], (d, j) => `conflicting options: ${d} and ${j} (give one body)`);
  let body: Buffer | null = null;
  if (options.data !== undefined) body = typeof options.data === 'string' ? Buffer.from(options.data) : Buffer.from(options.data);
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json));
    headers['content-type'] ??= 'application/json';
    headers.accept ??= 'application/json, */*;q=0.5';
  }
  const method = (options.method ?? (body !== null ? 'POST' : 'GET')).toUpperCase();
  if (!HTTP_TOKEN.test(method)) throw invalidOption('method', `"${options.method}"`);
  const timeoutMs = options.timeout === undefined ? GET_DEFAULTS.timeoutMs : parseDuration(options.timeout, 'timeout');
  const maxRedirects = options.maxRedirects === undefined ? GET_DEFAULTS.maxRedirects : parseCount(options.maxRedirects, 'maxRedirects', 0);
  const retry = options.retry === undefined ? GET_DEFAULTS.retry : parseCount(options.retry, 'retry', 0);
  if (retry > 20) throw invalidOption('retry', `${retry} (at most 20)`);
  const retryMaxDelayMs = options.retryMaxDelay === undefined ? GET_DEFAULTS.retryMaxDelayMs : parseDuration(options.retryMaxDelay, 'retryMaxDelay');
  const maxBodyBytes = options.maxBody === undefined ? GET_DEFAULTS.maxBodyBytes : parseSize(options.maxBody, 'maxBody');
  const proxy = options.proxy !== undefined ? options.proxy : proxyFromEnv(url, options.env ?? process.env);
  if (proxy !== null) httpUrl(proxy);
  if (options.http2 && url.protocol === 'http:' && proxy !== null) {
    throw new InvalidArgumentError(['http2'], (n) => `${n} to an http:// URL (h2c) cannot go through a proxy (${proxy})`);
  }
  return { url, method, headers, body, timeoutMs, maxRedirects, retry, retryMaxDelayMs, maxBodyBytes, raw: Boolean(options.raw), http2: Boolean(options.http2), tls: options.tls, proxy };
}

/** The proxy for `url` from HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case), as curl reads them; null for none. */
export function proxyFromEnv(url: URL, env: Record<string, string | undefined>): string | null {
  const get = (name: string): string | undefined => env[name.toLowerCase()] ?? env[name.toUpperCase()];
  const proxy = url.protocol === 'https:' ? get('https_proxy') : get('http_proxy');
  if (proxy === undefined || proxy.trim() === '') return null;
  const noProxy = (get('no_proxy') ?? '').split(/[\s,]+/).filter(Boolean);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const entry of noProxy) {
    if (entry === '*') return null;
    const [h = '', p] = entry.toLowerCase().replace(/^\[|\](?=:|$)/g, '').split(/:(?=\d+$)/);
    if (p !== undefined && p !== port) continue;
    const bare = h.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return null;
  }
  return proxy.trim();
}
