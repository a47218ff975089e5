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
  /** How long close() lets open connections finish before closing them. Default "30s". */
  drainTimeout?: Duration;
}

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
  drainTimeoutMs: 30_000,
};

/** Smallest --max-queued: below one socket read the limit could not be honoured. */
export const MIN_MAX_QUEUED = 1024;

export interface ResolvedServeOptions {
  readonly endpoints: readonly Endpoint[];
  readonly limits: ServerLimits;
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
  return { endpoints, limits };
}

function pick<T, R>(value: T | undefined, fallback: R, parse: (v: T) => R): R {
  return value === undefined ? fallback : parse(value);
}
