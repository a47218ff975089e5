/**
 * relay() options: types, defaults and validation in one place. The connection limits, TLS and WebSocket settings
 * are serve()'s (the same names, checked by the same code); the rest is the relay's own.
 */
import { DEFAULT_ENDPOINT_RELAY, parseEndpoint, type Endpoint, type Scheme } from '../endpoint.js';
import { InvalidArgumentError, UnsupportedSchemeError, invalidOption } from '../errors.js';
import { checkShape, type OptionShape } from '../option-shape.js';
import { SERVE_SHAPE, resolveServeOptions, type Count, type ServeOptions } from '../server/options.js';
import type { ServerLimits, TransportSettings } from '../transports/settings.js';
import { parseCount, parseDuration, parseSize, type Duration, type Size } from '../units.js';
import { checkRoomName } from './names.js';

export type SlowConsumerPolicy = 'close' | 'drop';

export interface RelayOptions extends Pick<ServeOptions, 'maxConnections' | 'maxConnectionsPerIp' | 'idleTimeout' | 'sendStallTimeout' | 'drainTimeout' | 'tls' | 'ui'> {
  /** URLs to listen on: ws, wss, tcp, tls, http, https. Default `ws://127.0.0.1:8765`. */
  listen?: string | readonly string[];
  /** WebSocket: origins allowed, heartbeat, deflate (as serve()'s). */
  websocket?: ServeOptions['websocket'];
  /** The room a TCP/TLS client (and a WebSocket client on "/") starts in. Default "lobby". */
  room?: string;
  /** Send each member its own messages too. Default false (a client can ask with ?echo=1). */
  echoSelf?: boolean;
  /** Largest message; bigger closes a WebSocket with 1009, and a TCP client with an error line. Default "64KiB". */
  maxMessage?: Size;
  /** Messages per second one connection may publish (token bucket, bursts of as many); more are dropped. Default 100. */
  rate?: Count;
  /** Rooms one connection may be in. Default 10. */
  maxRoomsPerConnection?: Count;
  /** Members in one room (on this instance). Default 10000. */
  maxMembersPerRoom?: Count;
  /** Rooms in all (on this instance). Default 10000. */
  maxRooms?: Count;
  /** Bytes queued for one member before the slow-consumer policy applies. Default "1MiB". */
  maxQueued?: Size;
  /** At the queue cap: "close" the member (1008 / an error line), or "drop" messages for it and send a gap notice. Default "close". */
  slowConsumer?: SlowConsumerPolicy;
  /** Keep the last N messages of each room for recovery (?since=ID). Default 0 (none). */
  history?: Count;
  /** Forget history messages older than this. Default "1h". */
  historyTtl?: Duration;
  /** Bytes of history in memory across all rooms; the oldest go first. Default "64MiB". */
  historyMaxMemory?: Size;
  /** Require a JWT signed with this secret (HS256). Default: no auth (the relay is open; bound to loopback by default). */
  authSecret?: string;
  /** Share rooms with every instance on this Redis: `redis://host:port/db`, `rediss://`, password in the URL. */
  redis?: string;
  /** Start (and keep running) without Redis when it cannot be reached. Default false: unreachable at start is an error. */
  redisOptional?: boolean;
}

/** The relay's own settings, validated. */
export interface RelaySettings {
  readonly room: string;
  readonly echoSelf: boolean;
  readonly maxMessageBytes: number;
  readonly ratePerSecond: number;
  readonly maxRoomsPerConnection: number;
  readonly maxMembersPerRoom: number;
  readonly maxRooms: number;
  readonly maxQueuedBytes: number;
  readonly slowConsumer: SlowConsumerPolicy;
  readonly history: number;
  readonly historyTtlMs: number;
  readonly historyMaxBytes: number;
  readonly authSecret: string | null;
  readonly redis: string | null;
  readonly redisOptional: boolean;
}

export const RELAY_DEFAULTS = {
  listen: DEFAULT_ENDPOINT_RELAY,
  room: 'lobby',
  maxMessageBytes: 64 * 1024,
  ratePerSecond: 100,
  maxRoomsPerConnection: 10,
  maxMembersPerRoom: 10_000,
  maxRooms: 10_000,
  maxQueuedBytes: 1024 * 1024,
  history: 0,
  historyTtlMs: 3_600_000,
  historyMaxBytes: 64 * 1024 * 1024,
} as const;

/** Schemes a relay listens on. */
export const RELAY_SCHEMES: readonly Scheme[] = ['ws', 'wss', 'tcp', 'tls', 'http', 'https'];

export const RELAY_SHAPE: OptionShape = {
  listen: 'strings',
  maxConnections: 'count',
  maxConnectionsPerIp: 'count',
  idleTimeout: 'duration',
  sendStallTimeout: 'duration',
  drainTimeout: 'duration',
  tls: SERVE_SHAPE.tls as OptionShape,
  websocket: SERVE_SHAPE.websocket as OptionShape,
  ui: 'boolean',
  room: 'string',
  echoSelf: 'boolean',
  maxMessage: 'size',
  rate: 'count',
  maxRoomsPerConnection: 'count',
  maxMembersPerRoom: 'count',
  maxRooms: 'count',
  maxQueued: 'size',
  slowConsumer: 'string',
  history: 'count',
  historyTtl: 'duration',
  historyMaxMemory: 'size',
  authSecret: 'string',
  redis: 'string',
  redisOptional: 'boolean',
};

export interface ResolvedRelayOptions {
  readonly endpoints: readonly Endpoint[];
  readonly limits: ServerLimits;
  readonly settings: TransportSettings;
  readonly relay: RelaySettings;
}

/**
 * Validate up front; every message names the option.
 * @throws ERR_NETECHO_INVALID_ARGUMENT, ERR_NETECHO_INVALID_URL, ERR_NETECHO_UNSUPPORTED_SCHEME
 */
export function resolveRelayOptions(options: RelayOptions = {}): ResolvedRelayOptions {
  checkShape(options, RELAY_SHAPE, 'relay');
  const listen = options.listen === undefined ? [RELAY_DEFAULTS.listen] : typeof options.listen === 'string' ? [options.listen] : [...options.listen];
  for (const url of listen) {
    const e = parseEndpoint(url, { allowPortZero: true });
    if (!RELAY_SCHEMES.includes(e.scheme)) {
      throw new UnsupportedSchemeError(`relaying over ${e.scheme}:// is not supported (supported: ${RELAY_SCHEMES.join(', ')})`);
    }
  }
  // The shared options (limits, TLS, WebSocket) are serve()'s: the same checks, the same defaults.
  const { endpoints, limits, settings } = resolveServeOptions({
    listen,
    maxConnections: options.maxConnections,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    idleTimeout: options.idleTimeout,
    sendStallTimeout: options.sendStallTimeout,
    drainTimeout: options.drainTimeout,
    tls: options.tls,
    websocket: options.websocket,
    ui: options.ui,
  });
  const pick = <T, R>(value: T | undefined, fallback: R, parse: (v: T) => R): R => (value === undefined ? fallback : parse(value));
  const D = RELAY_DEFAULTS;
  const room = options.room ?? D.room;
  const roomProblem = checkRoomName(room);
  if (roomProblem !== null) throw invalidOption('room', `"${room}" ${roomProblem}`);
  const slowConsumer = options.slowConsumer ?? 'close';
  if (slowConsumer !== 'close' && slowConsumer !== 'drop') throw invalidOption('slowConsumer', `"${String(slowConsumer)}" (use close or drop)`);
  if (options.authSecret !== undefined && Buffer.byteLength(options.authSecret) < 16) {
    throw invalidOption('authSecret', 'shorter than 16 bytes (an HS256 secret should be at least 32 random bytes)');
  }
  if (options.redis !== undefined && !/^rediss?:\/\//i.test(options.redis)) {
    throw invalidOption('redis', `"${options.redis}" (expected redis://host:port[/db] or rediss://...)`);
  }
  if (options.redisOptional && options.redis === undefined) {
    throw new InvalidArgumentError(['redisOptional', 'redis'], (o, r) => `${o} needs ${r}`);
  }
  const relay: RelaySettings = {
    room,
    echoSelf: Boolean(options.echoSelf),
    maxMessageBytes: pick(options.maxMessage, D.maxMessageBytes, (v) => parseSize(v, 'maxMessage')),
    ratePerSecond: pick(options.rate, D.ratePerSecond, (v) => parseCount(v, 'rate', 1)),
    maxRoomsPerConnection: pick(options.maxRoomsPerConnection, D.maxRoomsPerConnection, (v) => parseCount(v, 'maxRoomsPerConnection', 1)),
    maxMembersPerRoom: pick(options.maxMembersPerRoom, D.maxMembersPerRoom, (v) => parseCount(v, 'maxMembersPerRoom', 1)),
    maxRooms: pick(options.maxRooms, D.maxRooms, (v) => parseCount(v, 'maxRooms', 1)),
    maxQueuedBytes: pick(options.maxQueued, D.maxQueuedBytes, (v) => parseSize(v, 'maxQueued')),
    slowConsumer,
    history: pick(options.history, D.history, (v) => parseCount(v, 'history', 0)),
    historyTtlMs: pick(options.historyTtl, D.historyTtlMs, (v) => parseDuration(v, 'historyTtl')),
    historyMaxBytes: pick(options.historyMaxMemory, D.historyMaxBytes, (v) => parseSize(v, 'historyMaxMemory')),
    authSecret: options.authSecret ?? null,
    redis: options.redis ?? null,
    redisOptional: Boolean(options.redisOptional),
  };
  if (relay.maxMessageBytes < 1) throw invalidOption('maxMessage', 'at least 1 byte');
  if (relay.maxQueuedBytes < relay.maxMessageBytes) {
    throw new InvalidArgumentError(['maxQueued', 'maxMessage'], (q, m) => `invalid ${q}: smaller than ${m} (one message must fit)`);
  }
  return { endpoints, limits, settings, relay };
}
