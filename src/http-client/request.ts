/**
 * get(): the tutorial's `requests.get(url).json()`, as a client for diagnosing an API: redirects (with the
 * chain kept), retries with backoff for idempotent requests, TLS options, proxies from the environment, and a
 * timing breakdown measured from the connection's own events. Built on undici.
 */
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import type { Dispatcher, ProxyAgent } from 'undici';
import { fromUndiciError, loadUndici, type Undici } from './undici.js';
import { clientTlsOptions, pinOf } from '../client/tls-options.js';
import { AbortedError, InvalidArgumentError, NetechoError, ProtocolError, TimeoutError } from '../errors.js';
import { resolveGetOptions, type GetConfig, type GetOptions } from './options.js';
import { IDEMPOTENT, RETRY_CODES, RETRY_STATUSES, retryDelay } from './retry.js';
import { phases, timedConnector, type ConnectionMarks, type Timing } from './timing.js';

export type Headers = Record<string, string | string[]>;

/** One response passed on the way (a redirect). */
export interface Hop {
  url: string;
  status: number;
  statusText: string;
  httpVersion: string;
  headers: Headers;
}

export interface GetResponse extends Hop {
  /** The redirects followed, in order (the final response is not in it). */
  redirects: Hop[];
  /** The body; empty when it went to `options.output`. */
  body: Buffer;
  /** Bytes of body received. */
  bodyBytes: number;
  /** Attempts made for the final request (1 + retries used). */
  attempts: number;
  timing: Timing;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. @throws ERR_NETECHO_PROTOCOL when it is not JSON */
  json(): unknown;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = `netecho/${(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version}`;

function statusText(status: number): string {
  return STATUS_CODES[status] ?? '';
}

/**
 * The tutorial's `requests.get(url)`: request() with GET, or POST when a body is given (as `method` may say
 * otherwise). The same errors.
 */
export function get(url: string | URL, options: GetOptions = {}): Promise<GetResponse> {
  return request(url, options);
}

/**
 * Make a request (any method) and read the whole response: redirects, retries, timing.
 * Options are get()'s (the name GetOptions is kept for it).
 * @throws ERR_NETECHO_INVALID_URL, ERR_NETECHO_INVALID_ARGUMENT (before any connection);
 *   ERR_NETECHO_CONNECT_REFUSED, ERR_NETECHO_HOST_NOT_FOUND, ERR_NETECHO_TIMEOUT, ERR_NETECHO_TLS,
 *   ERR_NETECHO_CONNECTION_RESET, ERR_NETECHO_PROTOCOL (a body over maxBody, a redirect without Location),
 *   ERR_NETECHO_ABORTED. An HTTP error status is not an error: check `status`.
 */
export async function request(url: string | URL, options: GetOptions = {}): Promise<GetResponse> {
  const config = resolveGetOptions(url, options);
  const sink: { current: ConnectionMarks | null; last: net.Socket | null } = { current: null, last: null };
  const undici = loadUndici();
  const dispatcher = makeDispatcher(undici, config, sink);
  try {
    const redirects: Hop[] = [];
    let target = config.url;
    let method = config.method;
    let body = config.body;
    const headers = { ...config.headers };
    const output = options.output ?? null;
    for (;;) {
      // Only the response that will be returned writes to `output`: not a redirect about to be followed.
      const followed = (status: number, h: Headers): boolean => REDIRECTS.has(status) && h.location !== undefined && redirects.length < config.maxRedirects;
      const res = await withRetries(
        config,
        method,
        (last) => attempt(undici, config, dispatcher, sink, target, method, headers, body, options.signal, output === null ? null : (status, h) => (last(status) && !followed(status, h) ? output : null)),
        options,
      );
      res.redirects = [...redirects];
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || location === undefined || redirects.length >= config.maxRedirects) return res;
      const next = new URL(Array.isArray(location) ? (location[0] ?? '') : location, target);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new ProtocolError(`${target.href} redirected to ${next.protocol}// (only http and https are followed)`);
      }
      redirects.push({ url: res.url, status: res.status, statusText: res.statusText, httpVersion: res.httpVersion, headers: res.headers });
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = null;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      // Credentials are for the origin they were given for.
      if (next.origin !== target.origin) {
        delete headers.authorization;
        delete headers.cookie;
      }
      target = next;
    }
  } finally {
    await dispatcher.close();
  }
}

function makeDispatcher(undici: Undici, config: GetConfig, sink: { current: ConnectionMarks | null; last: net.Socket | null }): Dispatcher {
  const tls = clientTlsOptions(config.url.hostname.replace(/^\[|\]$/g, ''), config.tls);
  // Unless the user named one, each connection sends its own host as SNI (a redirect may go to another host).
  if (config.tls?.servername === undefined) delete tls.servername;
  if (config.proxy !== null) {
    if (config.tls?.pin !== undefined) throw new InvalidArgumentError(['tls.pin'], (p) => `${p} is not supported through a proxy (${config.proxy})`);
    return new undici.ProxyAgent({ uri: config.proxy, requestTls: tls, connectTimeout: config.timeoutMs || undefined } as ProxyAgent.Options);
  }
  return new undici.Agent({
    // useH2c applies to plain sockets only: HTTP/2 from the first byte to http://, ALPN as ever to https://.
    connect: timedConnector(undici, { ...tls, timeout: config.timeoutMs || null, allowH2: config.http2, useH2c: config.http2 } as Parameters<typeof timedConnector>[1], sink, pinOf(config.tls)),
    connections: 1,
    ...(config.http2 && { allowH2: true }),
  });
}

/** `once(last)`: one attempt; `last(status)` says whether a reply with that status would be kept (not retried). */
async function withRetries(
  config: GetConfig,
  method: string,
  once: (last: (status: number) => boolean) => Promise<GetResponse>,
  options: GetOptions,
): Promise<GetResponse> {
  const retries = IDEMPOTENT.has(method) ? config.retry : 0;
  for (let n = 1; ; n++) {
    let res: GetResponse | null = null;
    let reason: string;
    let retryAfter: string | undefined;
    try {
      res = await once((status) => !RETRY_STATUSES.has(status) || n > retries);
      if (!RETRY_STATUSES.has(res.status) || n > retries) {
        res.attempts = n;
        return res;
      }
      reason = `HTTP ${res.status}`;
      const ra = res.headers['retry-after'];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
    } catch (err) {
      if (!(err instanceof NetechoError) || !RETRY_CODES.has(err.code) || n > retries) throw err;
      reason = err.code;
    }
    const delayMs = retryDelay(n, config.retryMaxDelayMs, retryAfter);
    options.onRetry?.({ attempt: n, delayMs, reason });
    await sleep(delayMs, options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function attempt(
  undici: Undici,
  config: GetConfig,
  dispatcher: Dispatcher,
  sink: { current: ConnectionMarks | null; last: net.Socket | null },
  target: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | null,
  signal: AbortSignal | undefined,
  outputFor: ((status: number, headers: Headers) => NodeJS.WritableStream | null) | null,
): Promise<GetResponse> {
  const where = target.href;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer =
    config.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, config.timeoutMs)
      : null;
  sink.current = null;
  const start = performance.now();
  try {
    const res = await undici.request(target, {
      dispatcher,
      method: method as Dispatcher.HttpMethod,
      headers: { 'user-agent': USER_AGENT, ...(!config.raw && { 'accept-encoding': ACCEPT_ENCODING }), ...headers },
      body,
      signal: controller.signal,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
    });
    const headersAt = performance.now();
    const marks = sink.current as ConnectionMarks | null;
    const chunks: Buffer[] = [];
    let size = 0;
    const out = outputFor?.(res.statusCode, res.headers as Headers) ?? null;
    const coding = config.raw ? null : contentCoding(res.headers['content-encoding']);
    const decoder = coding === null ? null : decoderFor(coding);
    const stream = decoder === null ? res.body : res.body.pipe(decoder);
    if (decoder !== null) res.body.on('error', (err) => decoder.destroy(err));
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (out !== null) {
        // Streamed to the caller's writable, with its backpressure; no size limit here.
        if (!out.write(chunk as Buffer)) await new Promise((resolve) => out.once('drain', resolve));
        continue;
      }
      if (size > config.maxBodyBytes) {
        controller.abort();
        decoder?.destroy();
        throw new ProtocolError({ options: ['maxBody'], render: (n) => `${where}: body larger than ${config.maxBodyBytes} bytes${coding !== null ? ` once decoded (${coding})` : ''} (raise ${n})` });
      }
      chunks.push(chunk as Buffer);
    }
    const endAt = performance.now();
    const bodyBytes = Buffer.concat(chunks);
    const socket = marks?.socket ?? sink.last;
    const response: GetResponse = {
      url: target.href,
      status: res.statusCode,
      statusText: statusText(res.statusCode),
      httpVersion: (socket as { alpnProtocol?: string | false } | null)?.alpnProtocol === 'h2' ? '2' : '1.1',
      headers: res.headers as Headers,
      redirects: [],
      body: bodyBytes,
      bodyBytes: size,
      attempts: 1,
      timing: phases(start, marks, headersAt, endAt, socket, config.proxy),
      text: () => bodyBytes.toString('utf8'),
      json: () => {
        try {
          return JSON.parse(bodyBytes.toString('utf8')) as unknown;
        } catch {
          throw new ProtocolError(`${where}: the body is not JSON`);
        }
      },
    };
    return response;
  } catch (err) {
    if (err instanceof NetechoError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new ProtocolError(`${where}: the body does not decode as its Content-Encoding says (${(err as Error).message})`, err);
    }
    if (timedOut) throw new TimeoutError(`timed out after ${config.timeoutMs} ms waiting for ${where}`);
    if (signal?.aborted) throw new AbortedError();
    throw fromUndiciError(err, where, config.http2 && target.protocol === 'http:');
  } finally {
    if (timer !== null) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The one coding get() decodes, from a Content-Encoding header; null for identity, none, or one it does not know. */
function contentCoding(header: string | string[] | undefined): 'gzip' | 'deflate' | 'br' | null {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  if (value === 'br') return 'br';
  return null;
}

function decoderFor(coding: 'gzip' | 'deflate' | 'br'): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress {
  if (coding === 'gzip') return zlib.createGunzip();
  if (coding === 'deflate') return zlib.createInflate();
  return zlib.createBrotliDecompress();
}

/** What get() asks for, and decodes, unless raw. */
const ACCEPT_ENCODING = 'gzip, deflate, br';
