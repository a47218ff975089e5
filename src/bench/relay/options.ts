/** benchRelay() options: types, defaults and validation in one place. */
import { clientEndpoint } from '../../client/connect.js';
import { CLIENT_TLS_SHAPE, validateClientTls, type ClientTlsOptions } from '../../client/tls-options.js';
import { formatEndpoint, type Endpoint, type Scheme } from '../../endpoint.js';
import { invalidOption } from '../../errors.js';
import { checkShape, type OptionShape } from '../../option-shape.js';
import { parseCount, parseDuration, parseSize, type Duration, type Size } from '../../units.js';

/** What a relay bench speaks: WebSocket (the room in the path), or lines (/join ROOM). */
export const RELAY_BENCH_SCHEMES: readonly Scheme[] = ['ws', 'wss', 'tcp', 'tls'];

export interface RelayBenchOptions {
  /** Rooms, each with its own publishers and subscribers. Default 1. */
  rooms?: number | string;
  /** Publishers per room. Default 1. */
  publishers?: number | string;
  /** Subscribers per room. Default 10. */
  subscribers?: number | string;
  /** Messages per second, per publisher. Default 10. */
  rate?: number | string;
  /** Message size (at least 32 bytes: each carries its publisher and sequence number). Default 64. */
  size?: Size;
  /** How long to measure, after the warm-up. Default "10s". */
  duration?: Duration;
  /** Publishing before measuring, not recorded. Default "1s". */
  warmup?: Duration;
  /** Other instances of the relay: subscribers are spread over the URL and these, round-robin. */
  subscribeUrls?: string | readonly string[];
  /** Prefix of the room names (ROOM0, ROOM1...). Default "bench". */
  roomPrefix?: string;
  /** Connect timeout, and how long a message may take to reach every subscriber before it counts as lost. Default "5s". */
  timeout?: Duration;
  /** New connections per second while connecting. Default: as fast as 256 parallel attempts go. */
  connectRate?: number | string;
  tls?: ClientTlsOptions;
  signal?: AbortSignal;
}

export const RELAY_BENCH_SHAPE: OptionShape = {
  rooms: 'count',
  publishers: 'count',
  subscribers: 'count',
  rate: 'count',
  size: 'size',
  duration: 'duration',
  warmup: 'duration',
  subscribeUrls: 'strings',
  roomPrefix: 'string',
  timeout: 'duration',
  connectRate: 'count',
  tls: CLIENT_TLS_SHAPE,
  signal: 'signal',
};

export interface RelayBenchConfig {
  readonly endpoint: Endpoint;
  readonly url: string;
  /** Where subscribers connect: the URL, then each --subscribe-url. */
  readonly subscribeEndpoints: readonly Endpoint[];
  readonly rooms: number;
  readonly publishers: number;
  readonly subscribers: number;
  readonly rate: number;
  readonly size: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly roomPrefix: string;
  readonly timeoutMs: number;
  readonly connectRate: number;
  readonly tls: ClientTlsOptions | undefined;
}

/** The smallest message: "P<publisher>:<seq>:" and room to spare. */
export const MIN_RELAY_MESSAGE = 32;
/** Connections one run may open (each is a socket and a file descriptor here). */
export const MAX_RELAY_CONNECTIONS = 100_000;

export function resolveRelayBenchOptions(url: string | Endpoint, options: RelayBenchOptions): RelayBenchConfig {
  checkShape(options, RELAY_BENCH_SHAPE, 'benchRelay');
  validateClientTls(options.tls);
  const endpoint = clientEndpoint(url, RELAY_BENCH_SCHEMES, 'benchmarking a relay');
  const others = options.subscribeUrls === undefined ? [] : typeof options.subscribeUrls === 'string' ? [options.subscribeUrls] : [...options.subscribeUrls];
  const subscribeEndpoints = [endpoint, ...others.map((u) => clientEndpoint(u, RELAY_BENCH_SCHEMES, 'benchmarking a relay'))];
  const count = (v: number | string | undefined, name: string, fallback: number, min = 1): number => {
    const n = v === undefined ? fallback : parseCount(v, name);
    if (n < min) throw invalidOption(name, `${n} (at least ${min})`);
    return n;
  };
  const rooms = count(options.rooms, 'rooms', 1);
  const publishers = count(options.publishers, 'publishers', 1);
  const subscribers = count(options.subscribers, 'subscribers', 10, 0);
  if (rooms * (publishers + subscribers) > MAX_RELAY_CONNECTIONS) {
    throw invalidOption('subscribers', `${rooms} room(s) x (${publishers} + ${subscribers}) connections is more than ${MAX_RELAY_CONNECTIONS}`);
  }
  const size = options.size === undefined ? 64 : parseSize(options.size, 'size');
  if (size < MIN_RELAY_MESSAGE) throw invalidOption('size', `${size} (at least ${MIN_RELAY_MESSAGE} bytes: each message carries its publisher and number)`);
  const roomPrefix = options.roomPrefix ?? 'bench';
  if (!/^[A-Za-z0-9._~-]{1,40}$/.test(roomPrefix)) throw invalidOption('roomPrefix', `"${roomPrefix}" (letters, digits and . _ ~ - only)`);
  const timeoutMs = options.timeout === undefined ? 5000 : parseDuration(options.timeout, 'timeout');
  if (timeoutMs === 0) throw invalidOption('timeout', '0 (a wait needs a limit above zero)');
  return {
    endpoint,
    url: formatEndpoint(endpoint),
    subscribeEndpoints,
    rooms,
    publishers,
    subscribers,
    rate: count(options.rate, 'rate', 10),
    size,
    durationMs: options.duration === undefined ? 10_000 : parseDuration(options.duration, 'duration'),
    warmupMs: options.warmup === undefined ? 1000 : parseDuration(options.warmup, 'warmup'),
    roomPrefix,
    timeoutMs,
    connectRate: options.connectRate === undefined ? 0 : count(options.connectRate, 'connectRate', 0),
    tls: options.tls,
  };
}
