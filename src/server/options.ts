/**
 * serve() options: their types, defaults and validation, in one place.
 * Defaults follow docs/security.md: safe for a service that anyone who can reach it may use.
 */
import { DEFAULT_ENDPOINT, parseEndpoint, type Endpoint } from '../endpoint.js';
import { InvalidArgumentError, invalidOption } from '../errors.js';
import { checkShape, type OptionShape } from '../option-shape.js';
import type { HttpSettings, ServerLimits, TransportSettings, WebSocketSettings } from '../transports/settings.js';
import type { TlsSource } from '../transports/tls-material.js';
import { parseCount, parseDuration, parseSize, type Duration, type Size } from '../units.js';

export type { ServerLimits, TransportSettings } from '../transports/settings.js';

/** A whole number: a number, or its digits as a string (as a flag gives it). */
export type Count = number | string;

export interface ServeOptions {
  /** URLs to listen on. Default `tcp://127.0.0.1:65432`. Port 0 picks a free port. */
  listen?: string | readonly string[];
  /** Open connections across all listeners; more are accepted and closed at once. Default 10000. */
  maxConnections?: Count;
  /**
   * Open connections from one client IP address. Default 256, for clients on other machines only: loopback
   * clients (this machine's own, such as a local `netecho bench -c 1000`) are capped per IP only when this is given.
   */
  maxConnectionsPerIp?: Count;
  /** Close a connection with no byte in either direction for this long. Default "5m"; 0 disables. */
  idleTimeout?: Duration;
  /** Close a connection whose peer stops reading for this long while echoes are queued. Default "30s"; 0 disables. */
  sendStallTimeout?: Duration;
  /** Bytes queued for one peer before netecho stops reading from it until it drains. Default "1MiB". */
  maxQueued?: Size;
  /**
   * How long close() lets open connections go on before closing them. Default "1s": short, so a test suite's
   * `await server.close()` never waits long for a client it left open (the CLI's default is 30 s).
   */
  drainTimeout?: Duration;
  /** Stream transports (tcp, tls, ws) first send one line of JSON about the connection. Default false. */
  describe?: boolean;
  /** Emit a 'data' event for everything received (stream bytes, WebSocket messages, datagrams, request bodies). Default false. */
  dump?: boolean;
  /** The page at /.netecho/ on http(s) listeners (WebSocket tester, dashboard). Default true. */
  ui?: boolean;
  /** Certificates for tls://, wss:// and https://. */
  tls?: TlsServeOptions;
  /** ws:// and wss://, and WebSocket upgrades on http:// and https://. */
  websocket?: WebSocketServeOptions;
  /** http:// and https:// request reflection. */
  http?: HttpServeOptions;
  /** udp:// datagram echo. */
  udp?: UdpServeOptions;
}

export interface TlsServeOptions extends TlsSource {
  /** PEM certificate (chain). With `key`; or use `selfSigned`. */
  cert?: string | Uint8Array;
  /** PEM private key. */
  key?: string | Uint8Array;
  /** Make a throwaway certificate at start (for localhost and the addresses served). Default false. */
  selfSigned?: boolean;
  /** PEM CA certificate(s): turns on mutual TLS; clients without a certificate signed by one are refused. */
  clientCa?: string | Uint8Array;
  /** Close a connection whose TLS handshake has not finished in this long. Default "10s"; 0 is refused. */
  handshakeTimeout?: Duration;
}

export interface WebSocketServeOptions {
  /** Largest message; a bigger one closes the connection with 1009. Default "1MiB". */
  maxMessage?: Size;
  /** Offer permessage-deflate. Default false (compression costs memory and CPU per connection). */
  deflate?: boolean;
  /** Accept upgrades only with one of these Origin headers. Default: any origin (and none). */
  origins?: string | readonly string[];
  /** Ping each client this often and drop those that have not answered the previous ping. Default "30s"; 0 = never. */
  heartbeat?: Duration;
}

export interface HttpServeOptions {
  /** Largest request body reflected; bigger gets 413. Default "1MiB". */
  maxBody?: Size;
  /** Show Authorization, Cookie and Proxy-Authorization values instead of "[redacted]". Default false. */
  revealSecrets?: boolean;
  /** Time to receive a request's headers. Default "10s"; 0 is refused (it would switch off the slow-header defence). */
  headersTimeout?: Duration;
  /** Time to receive a whole request. Default "30s"; 0 is refused. */
  requestTimeout?: Duration;
  /** Most headers in a request (more get 431). Default 100. */
  maxHeaders?: Count;
  /** Most bytes of headers in a request (more get 431). Default "16KiB". */
  maxHeaderSize?: Size;
  /** Cap on the `?delay=` control. Default "10s". */
  maxDelay?: Duration;
  /**
   * Let pages on other origins read the reflection: true (or "*") for any origin, or one origin such as
   * "https://app.example". Preflights are answered. Default off.
   */
  cors?: boolean | string;
}

export interface UdpServeOptions {
  /** Datagrams per second answered for one source address; more are dropped. Default 1000. */
  rate?: Count;
}

export const DEFAULT_SETTINGS: TransportSettings = {
  describe: false,
  dump: false,
  ui: true,
  tlsHandshakeTimeoutMs: 10_000,
  websocket: { maxMessageBytes: 1024 * 1024, deflate: false, origins: null, heartbeatMs: 30_000 },
  http: {
    maxBodyBytes: 1024 * 1024,
    revealSecrets: false,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxHeaders: 100,
    maxHeaderBytes: 16 * 1024,
    maxDelayMs: 10_000,
    cors: null,
  },
  udp: { ratePerSource: 1000 },
};

/** Schemes that need a certificate to serve. */
export const SECURE_SCHEMES: ReadonlySet<string> = new Set(['tls', 'wss', 'https']);

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 10_000,
  maxConnectionsPerIp: 256,
  capLoopbackPerIp: false,
  idleTimeoutMs: 5 * 60_000,
  sendStallTimeoutMs: 30_000,
  maxQueuedBytes: 1024 * 1024,
  drainTimeoutMs: 1000,
};

/** The drain `netecho serve` gives on SIGINT/SIGTERM unless --drain-timeout says otherwise (docs/security.md). */
export const SERVICE_DRAIN_TIMEOUT_MS = 30_000;

const DURATION = 'duration';
/** serve()'s options, for checkShape(): names and types. */
export const SERVE_SHAPE: OptionShape = {
  listen: 'strings',
  maxConnections: 'count',
  maxConnectionsPerIp: 'count',
  idleTimeout: DURATION,
  sendStallTimeout: DURATION,
  maxQueued: 'size',
  drainTimeout: DURATION,
  describe: 'boolean',
  dump: 'boolean',
  ui: 'boolean',
  tls: { cert: 'pem', key: 'pem', selfSigned: 'boolean', clientCa: 'pem', handshakeTimeout: DURATION },
  websocket: { maxMessage: 'size', deflate: 'boolean', origins: 'strings', heartbeat: DURATION },
  http: {
    maxBody: 'size',
    revealSecrets: 'boolean',
    headersTimeout: DURATION,
    requestTimeout: DURATION,
    maxHeaders: 'count',
    maxHeaderSize: 'size',
    maxDelay: DURATION,
    cors: 'any',
  },
  udp: { rate: 'count' },
};

/** Smallest maxQueued: below one socket read the limit could not be honoured. */
export const MIN_MAX_QUEUED = 1024;

export interface ResolvedServeOptions {
  readonly endpoints: readonly Endpoint[];
  readonly limits: ServerLimits;
  readonly settings: TransportSettings;
}

/**
 * Validate options up front; every message names the option.
 * @throws InvalidArgumentError (ERR_NETECHO_INVALID_ARGUMENT), InvalidUrlError (ERR_NETECHO_INVALID_URL)
 */
export function resolveServeOptions(options: ServeOptions = {}): ResolvedServeOptions {
  checkShape(options, SERVE_SHAPE, 'serve');
  const listen = options.listen === undefined ? [DEFAULT_ENDPOINT] : typeof options.listen === 'string' ? [options.listen] : [...options.listen];
  if (listen.length === 0) throw invalidOption('listen', 'give at least one URL');
  const endpoints = listen.map((url) => parseEndpoint(url, { allowPortZero: true }));

  const limits: ServerLimits = {
    maxConnections: pick(options.maxConnections, DEFAULT_LIMITS.maxConnections, (v) => parseCount(v, 'maxConnections', 1)),
    maxConnectionsPerIp: pick(options.maxConnectionsPerIp, DEFAULT_LIMITS.maxConnectionsPerIp, (v) =>
      parseCount(v, 'maxConnectionsPerIp', 1),
    ),
    capLoopbackPerIp: options.maxConnectionsPerIp !== undefined,
    idleTimeoutMs: pick(options.idleTimeout, DEFAULT_LIMITS.idleTimeoutMs, (v) => parseDuration(v, 'idleTimeout')),
    sendStallTimeoutMs: pick(options.sendStallTimeout, DEFAULT_LIMITS.sendStallTimeoutMs, (v) =>
      parseDuration(v, 'sendStallTimeout'),
    ),
    maxQueuedBytes: pick(options.maxQueued, DEFAULT_LIMITS.maxQueuedBytes, (v) => parseSize(v, 'maxQueued')),
    drainTimeoutMs: pick(options.drainTimeout, DEFAULT_LIMITS.drainTimeoutMs, (v) => parseDuration(v, 'drainTimeout')),
  };
  if (limits.maxQueuedBytes < MIN_MAX_QUEUED) {
    throw invalidOption('maxQueued', `${limits.maxQueuedBytes} bytes (at least ${MIN_MAX_QUEUED})`);
  }
  return { endpoints, limits, settings: resolveSettings(options, endpoints) };
}

function resolveSettings(options: ServeOptions, endpoints: readonly Endpoint[]): TransportSettings {
  const D = DEFAULT_SETTINGS;
  const t = options.tls ?? {};
  const secure = endpoints.find((e) => SECURE_SCHEMES.has(e.scheme));
  if ((t.cert === undefined) !== (t.key === undefined)) {
    throw t.cert === undefined
      ? new InvalidArgumentError(['tls.key', 'tls.cert'], (k, c) => `${k} needs ${c}`)
      : new InvalidArgumentError(['tls.cert', 'tls.key'], (c, k) => `${c} needs ${k}`);
  }
  const hasPair = t.cert !== undefined && t.key !== undefined;
  if (hasPair && t.selfSigned) {
    throw new InvalidArgumentError(['tls.selfSigned', 'tls.cert', 'tls.key'], (s, c, k) => `conflicting options: ${s} with ${c} and ${k}`);
  }
  if (secure !== undefined && !hasPair && !t.selfSigned) {
    throw new InvalidArgumentError(['tls.cert', 'tls.key', 'tls.selfSigned'], (c, k, s) => `${secure.scheme}:// needs a certificate: give ${c} and ${k}, or ${s}`);
  }
  const w = options.websocket ?? {};
  const h = options.http ?? {};
  const u = options.udp ?? {};
  const origins = w.origins === undefined ? null : typeof w.origins === 'string' ? [w.origins] : [...w.origins];
  if (origins !== null) {
    for (const o of origins) {
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(o)) throw invalidOption('websocket.origins', `"${o}" is not an origin like https://example.com`);
    }
  }
  const websocket: WebSocketSettings = {
    maxMessageBytes: pick(w.maxMessage, D.websocket.maxMessageBytes, (v) => parseSize(v, 'websocket.maxMessage')),
    deflate: Boolean(w.deflate),
    origins,
    heartbeatMs: pick(w.heartbeat, D.websocket.heartbeatMs, (v) => parseDuration(v, 'websocket.heartbeat')),
  };
  if (websocket.maxMessageBytes < 1) throw invalidOption('websocket.maxMessage', 'at least 1 byte');
  const http: HttpSettings = {
    maxBodyBytes: pick(h.maxBody, D.http.maxBodyBytes, (v) => parseSize(v, 'http.maxBody')),
    revealSecrets: Boolean(h.revealSecrets),
    headersTimeoutMs: pick(h.headersTimeout, D.http.headersTimeoutMs, (v) => positiveDuration(v, 'http.headersTimeout', 'the slow-header defence')),
    requestTimeoutMs: pick(h.requestTimeout, D.http.requestTimeoutMs, (v) => positiveDuration(v, 'http.requestTimeout', 'the slow-request defence')),
    maxHeaders: pick(h.maxHeaders, D.http.maxHeaders, (v) => parseCount(v, 'http.maxHeaders', 1)),
    maxHeaderBytes: pick(h.maxHeaderSize, D.http.maxHeaderBytes, (v) => parseSize(v, 'http.maxHeaderSize')),
    maxDelayMs: pick(h.maxDelay, D.http.maxDelayMs, (v) => parseDuration(v, 'http.maxDelay')),
    cors: resolveCors(h.cors),
  };
  if (http.maxHeaderBytes < 1024) throw invalidOption('http.maxHeaderSize', 'at least 1KiB');
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    throw new InvalidArgumentError(['http.headersTimeout', 'http.requestTimeout'], (a, b) => `invalid ${a}: longer than ${b}`);
  }
  return {
    describe: Boolean(options.describe),
    dump: Boolean(options.dump),
    ui: options.ui ?? true,
    tlsHandshakeTimeoutMs: pick(t.handshakeTimeout, D.tlsHandshakeTimeoutMs, (v) =>
      positiveDuration(v, 'tls.handshakeTimeout', 'the bound on handshakes that never finish'),
    ),
    websocket,
    http,
    udp: { ratePerSource: pick(u.rate, D.udp.ratePerSource, (v) => parseCount(v, 'udp.rate', 1)) },
  };
}

function resolveCors(value: boolean | string | undefined): string | null {
  if (value === undefined || value === false) return null;
  if (value === true || value === '*') return '*';
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(value)) {
    throw invalidOption('http.cors', `${JSON.stringify(value)} ("*" for any origin, or one origin like https://app.example)`);
  }
  return value;
}

/** A timeout that is a defence: 0 ("never") is refused rather than silently switching the defence off. */
function positiveDuration(value: Duration, name: string, defence: string): number {
  const ms = parseDuration(value, name);
  if (ms === 0) throw invalidOption(name, `0 would switch off ${defence} (give a duration above 0)`);
  return ms;
}

function pick<T, R>(value: T | undefined, fallback: R, parse: (v: T) => R): R {
  return value === undefined ? fallback : parse(value);
}
