/**
 * serve() options: their types, defaults and validation, in one place.
 * Defaults follow docs/security.md: safe for a service that anyone who can reach it may use.
 */
import { DEFAULT_ENDPOINT, parseEndpoint, type Endpoint } from '../endpoint.js';
import { InvalidArgumentError } from '../errors.js';
import { parseCount, parseDuration, parseSize, type Duration, type Size } from '../units.js';

export interface ServeOptions {
  /** URLs to listen on. Default `tcp://127.0.0.1:65432`. Port 0 picks a free port. */
  listen?: string | readonly string[];
  /** Open connections across all listeners; more are accepted and closed at once. Default 10000. */
  maxConnections?: number;
  /** Open connections from one client IP address. Default 256. */
  maxConnectionsPerIp?: number;
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
  /** Certificates for tls://, wss:// and https://. */
  tls?: TlsServeOptions;
  /** ws:// and wss://, and WebSocket upgrades on http:// and https://. */
  websocket?: WebSocketServeOptions;
  /** http:// and https:// request reflection. */
  http?: HttpServeOptions;
  /** udp:// datagram echo. */
  udp?: UdpServeOptions;
}

export interface TlsServeOptions {
  /** PEM certificate (chain). With `key`; or use `selfSigned`. */
  cert?: string | Buffer;
  /** PEM private key. */
  key?: string | Buffer;
  /** Make a throwaway certificate at start (for localhost and the addresses served). Default false. */
  selfSigned?: boolean;
  /** PEM CA certificate(s): turns on mutual TLS; clients without a certificate signed by one are refused. */
  clientCa?: string | Buffer;
  /** Close a connection whose TLS handshake has not finished in this long. Default "10s". */
  handshakeTimeout?: Duration;
}

export interface WebSocketServeOptions {
  /** Largest message; a bigger one closes the connection with 1009. Default "1MiB". */
  maxMessage?: Size;
  /** Offer permessage-deflate. Default false (compression costs memory and CPU per connection). */
  deflate?: boolean;
  /** Accept upgrades only with one of these Origin headers. Default: any origin (and none). */
  origins?: readonly string[];
  /** Ping each client this often and drop those that have not answered the previous ping. Default "30s"; 0 = never. */
  heartbeat?: Duration;
}

export interface HttpServeOptions {
  /** Largest request body reflected; bigger gets 413. Default "1MiB". */
  maxBody?: Size;
  /** Show Authorization, Cookie and Proxy-Authorization values instead of "[redacted]". Default false. */
  revealSecrets?: boolean;
  /** Time to receive a request's headers. Default "10s". */
  headersTimeout?: Duration;
  /** Time to receive a whole request. Default "30s". */
  requestTimeout?: Duration;
  /** Most headers in a request (more get 431). Default 100. */
  maxHeaders?: number;
  /** Most bytes of headers in a request (more get 431). Default "16KiB". */
  maxHeaderSize?: Size;
  /** Cap on the `?delay=` control. Default "10s". */
  maxDelay?: Duration;
}

export interface UdpServeOptions {
  /** Datagrams per second answered for one source address; more are dropped. Default 1000. */
  rate?: number | string;
}

export interface WebSocketSettings {
  readonly maxMessageBytes: number;
  readonly deflate: boolean;
  /** null = any origin. */
  readonly origins: readonly string[] | null;
  readonly heartbeatMs: number;
}

export interface HttpSettings {
  readonly maxBodyBytes: number;
  readonly revealSecrets: boolean;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
  readonly maxDelayMs: number;
}

export interface UdpSettings {
  /** Datagrams per second per source address. */
  readonly ratePerSource: number;
}

/** Transport settings beyond the shared limits, validated. TLS material is loaded by serve(). */
export interface TransportSettings {
  readonly describe: boolean;
  readonly tlsHandshakeTimeoutMs: number;
  readonly websocket: WebSocketSettings;
  readonly http: HttpSettings;
  readonly udp: UdpSettings;
}

export const DEFAULT_SETTINGS: TransportSettings = {
  describe: false,
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
  },
  udp: { ratePerSource: 1000 },
};

/** Schemes that need a certificate to serve. */
export const SECURE_SCHEMES: ReadonlySet<string> = new Set(['tls', 'wss', 'https']);

/** The validated, numeric form of the limits, shared by every transport. */
export interface ServerLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Milliseconds; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Milliseconds; 0 = never. */
  readonly sendStallTimeoutMs: number;
  readonly maxQueuedBytes: number;
  readonly drainTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 10_000,
  maxConnectionsPerIp: 256,
  idleTimeoutMs: 5 * 60_000,
  sendStallTimeoutMs: 30_000,
  maxQueuedBytes: 1024 * 1024,
  drainTimeoutMs: 1000,
};

/** The drain `netecho serve` gives on SIGINT/SIGTERM unless --drain-timeout says otherwise (docs/security.md). */
export const SERVICE_DRAIN_TIMEOUT_MS = 30_000;

/** Smallest --max-queued: below one socket read the limit could not be honoured. */
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
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('invalid serve options: expected an object');
  }
  const listen = options.listen === undefined ? [DEFAULT_ENDPOINT] : typeof options.listen === 'string' ? [options.listen] : [...options.listen];
  if (listen.length === 0) throw new InvalidArgumentError('invalid listen: give at least one URL');
  const endpoints = listen.map((url) => parseEndpoint(url, { allowPortZero: true }));

  const limits: ServerLimits = {
    maxConnections: pick(options.maxConnections, DEFAULT_LIMITS.maxConnections, (v) => parseCount(v, 'maxConnections', 1)),
    maxConnectionsPerIp: pick(options.maxConnectionsPerIp, DEFAULT_LIMITS.maxConnectionsPerIp, (v) =>
      parseCount(v, 'maxConnectionsPerIp', 1),
    ),
    idleTimeoutMs: pick(options.idleTimeout, DEFAULT_LIMITS.idleTimeoutMs, (v) => parseDuration(v, 'idleTimeout')),
    sendStallTimeoutMs: pick(options.sendStallTimeout, DEFAULT_LIMITS.sendStallTimeoutMs, (v) =>
      parseDuration(v, 'sendStallTimeout'),
    ),
    maxQueuedBytes: pick(options.maxQueued, DEFAULT_LIMITS.maxQueuedBytes, (v) => parseSize(v, 'maxQueued')),
    drainTimeoutMs: pick(options.drainTimeout, DEFAULT_LIMITS.drainTimeoutMs, (v) => parseDuration(v, 'drainTimeout')),
  };
  if (limits.maxQueuedBytes < MIN_MAX_QUEUED) {
    throw new InvalidArgumentError(`invalid maxQueued: ${limits.maxQueuedBytes} bytes (at least ${MIN_MAX_QUEUED})`);
  }
  return { endpoints, limits, settings: resolveSettings(options, endpoints) };
}

function resolveSettings(options: ServeOptions, endpoints: readonly Endpoint[]): TransportSettings {
  const D = DEFAULT_SETTINGS;
  const t = options.tls ?? {};
  const secure = endpoints.find((e) => SECURE_SCHEMES.has(e.scheme));
  if (secure !== undefined) {
    const hasPair = t.cert !== undefined && t.key !== undefined;
    if (!hasPair && !t.selfSigned) {
      throw new InvalidArgumentError(`${secure.scheme}:// needs a certificate: give tls.cert and tls.key, or tls.selfSigned`);
    }
    if (hasPair && t.selfSigned) throw new InvalidArgumentError('conflicting options: tls.selfSigned with tls.cert and tls.key');
  }
  if ((t.cert === undefined) !== (t.key === undefined)) {
    throw new InvalidArgumentError(`invalid tls: ${t.cert === undefined ? 'tls.key needs tls.cert' : 'tls.cert needs tls.key'}`);
  }
  const w = options.websocket ?? {};
  const h = options.http ?? {};
  const u = options.udp ?? {};
  const origins = w.origins === undefined ? null : [...w.origins];
  if (origins !== null) {
    for (const o of origins) {
      if (typeof o !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(o)) {
        throw new InvalidArgumentError(`invalid websocket.origins: "${String(o)}" is not an origin like https://example.com`);
      }
    }
  }
  const websocket: WebSocketSettings = {
    maxMessageBytes: pick(w.maxMessage, D.websocket.maxMessageBytes, (v) => parseSize(v, 'websocket.maxMessage')),
    deflate: Boolean(w.deflate),
    origins,
    heartbeatMs: pick(w.heartbeat, D.websocket.heartbeatMs, (v) => parseDuration(v, 'websocket.heartbeat')),
  };
  if (websocket.maxMessageBytes < 1) throw new InvalidArgumentError('invalid websocket.maxMessage: at least 1 byte');
  const http: HttpSettings = {
    maxBodyBytes: pick(h.maxBody, D.http.maxBodyBytes, (v) => parseSize(v, 'http.maxBody')),
    revealSecrets: Boolean(h.revealSecrets),
    headersTimeoutMs: pick(h.headersTimeout, D.http.headersTimeoutMs, (v) => parseDuration(v, 'http.headersTimeout')),
    requestTimeoutMs: pick(h.requestTimeout, D.http.requestTimeoutMs, (v) => parseDuration(v, 'http.requestTimeout')),
    maxHeaders: pick(h.maxHeaders, D.http.maxHeaders, (v) => parseCount(v, 'http.maxHeaders', 1)),
    maxHeaderBytes: pick(h.maxHeaderSize, D.http.maxHeaderBytes, (v) => parseSize(v, 'http.maxHeaderSize')),
    maxDelayMs: pick(h.maxDelay, D.http.maxDelayMs, (v) => parseDuration(v, 'http.maxDelay')),
  };
  if (http.maxHeaderBytes < 1024) throw new InvalidArgumentError('invalid http.maxHeaderSize: at least 1KiB');
  if (http.requestTimeoutMs > 0 && http.headersTimeoutMs > http.requestTimeoutMs) {
    throw new InvalidArgumentError('invalid http.headersTimeout: longer than http.requestTimeout');
  }
  return {
    describe: Boolean(options.describe),
    tlsHandshakeTimeoutMs: pick(t.handshakeTimeout, D.tlsHandshakeTimeoutMs, (v) => parseDuration(v, 'tls.handshakeTimeout')),
    websocket,
    http,
    udp: { ratePerSource: pick(u.rate, D.udp.ratePerSource, (v) => parseCount(v, 'udp.rate', 1)) },
  };
}

function pick<T, R>(value: T | undefined, fallback: R, parse: (v: T) => R): R {
  return value === undefined ? fallback : parse(value);
}
