/** bench() options: types, defaults and validation in one place. */
import { cpus } from 'node:os';
import { isIP } from 'node:net';
import { formatEndpoint, type Endpoint, type Scheme } from '../endpoint.js';

/** The schemes bench speaks. */
export const BENCH_SCHEMES: readonly Scheme[] = ['tcp', 'tls', 'ws', 'wss', 'udp', 'http', 'https'];
import { clientEndpoint } from '../client/connect.js';
import type { ClientTlsOptions } from '../client/tls-options.js';
import { MAX_DATAGRAM } from '../client/udp.js';
import { InvalidArgumentError, invalidOption } from '../errors.js';
import { checkShape, type OptionShape } from '../option-shape.js';
import { CLIENT_TLS_SHAPE, validateClientTls } from '../client/tls-options.js';
import { parseCount, parseDuration, parseSize, type Duration, type Size } from '../units.js';

/** bench()'s options, for checkShape(). */
export const BENCH_SHAPE: OptionShape = {
  connections: 'count',
  size: 'size',
  duration: 'duration',
  warmup: 'duration',
  pipeline: 'count',
  rate: 'count',
  stream: 'boolean',
  workers: 'count',
  connectRate: 'count',
  source: 'strings',
  timeout: 'duration',
  tls: CLIENT_TLS_SHAPE,
  signal: 'signal',
};

export type BenchMode = 'closed' | 'pipeline' | 'rate' | 'stream';

export interface BenchOptions {
  /** Concurrent connections. Default 50. */
  connections?: number | string;
  /** Message size. Default "1KiB". In stream mode, the size of each write. */
  size?: Size;
  /** How long to measure, after the warm-up. Default "10s". */
  duration?: Duration;
  /** Load before measuring, not recorded. Default "1s". */
  warmup?: Duration;
  /** Messages in flight per connection (closed loop is 1). Default 1. */
  pipeline?: number | string;
  /** Open loop at this many messages per second in total; latency from each message's scheduled send time. */
  rate?: number | string;
  /** Each connection writes continuously and reads the echo concurrently; reports bandwidth. Default false. */
  stream?: boolean;
  /** Worker threads, each with its own share of the connections. Default 1 (the calling thread). */
  workers?: number | string;
  /** New connections per second while connecting. Default: as fast as 256 parallel attempts go. */
  connectRate?: number | string;
  /** Local source addresses to spread connections over (past ~28k connections to one port). */
  source?: string | readonly string[];
  /** Connect timeout, and the longest a message may wait for its echo before it counts as a timeout (a loss over UDP). Default "5s". */
  timeout?: Duration;
  /** For tls:// and wss://: trust, client certificate, server name. */
  tls?: ClientTlsOptions;
  signal?: AbortSignal;
}

export interface BenchConfig {
  endpoint: Endpoint;
  url: string;
  mode: BenchMode;
  connections: number;
  size: number;
  durationMs: number;
  warmupMs: number;
  pipeline: number;
  /** Messages per second in total, 0 unless mode is rate. */
  rate: number;
  workers: number;
  /** 0 = no pacing. */
  connectRate: number;
  sources: string[];
  timeoutMs: number;
  tls: ClientTlsOptions | undefined;
}

export const BENCH_DEFAULTS = {
  connections: 50,
  size: 1024,
  durationMs: 10_000,
  warmupMs: 1000,
  pipeline: 1,
  timeoutMs: 5000,
} as const;

const MAX_SIZE = 64 * 1024 * 1024;

/**
 * @throws ERR_NETECHO_INVALID_ARGUMENT naming the option; ERR_NETECHO_INVALID_URL; ERR_NETECHO_UNSUPPORTED_SCHEME
 */
export function resolveBenchOptions(url: string | Endpoint, options: BenchOptions = {}): BenchConfig {
  checkShape(options, BENCH_SHAPE, 'bench');
  validateClientTls(options.tls);
  const endpoint = clientEndpoint(url, BENCH_SCHEMES, 'benchmarking');
  const connections = options.connections === undefined ? BENCH_DEFAULTS.connections : parseCount(options.connections, 'connections', 1);
  const size = options.size === undefined ? BENCH_DEFAULTS.size : parseSize(options.size, 'size');
  if (size < 1 || size > MAX_SIZE) throw invalidOption('size', `${size} bytes (from 1 byte to 64MiB)`);
  const durationMs = options.duration === undefined ? BENCH_DEFAULTS.durationMs : parseDuration(options.duration, 'duration');
  if (durationMs <= 0) throw invalidOption('duration', 'must be greater than 0');
  const warmupMs = options.warmup === undefined ? BENCH_DEFAULTS.warmupMs : parseDuration(options.warmup, 'warmup');
  const pipeline = options.pipeline === undefined ? 1 : parseCount(options.pipeline, 'pipeline', 1);
  const rate = options.rate === undefined ? 0 : parseCount(options.rate, 'rate', 1);
  const stream = Boolean(options.stream);
  if ((endpoint.scheme === 'http' || endpoint.scheme === 'https') && stream) {
    throw new InvalidArgumentError(['stream', 'pipeline', 'rate'], (st, p, r) => `invalid ${st}: ${endpoint.scheme}:// carries requests, not a stream (use the closed loop, ${p} or ${r})`);
  }
  if (endpoint.scheme === 'udp') {
    if (stream) throw new InvalidArgumentError(['stream', 'rate'], (st, r) => `invalid ${st}: udp:// carries datagrams, not a stream (use ${r} or the closed loop)`);
    if (size < 4 || size > MAX_DATAGRAM) throw invalidOption('size', `${size} bytes (udp:// takes 4 to ${MAX_DATAGRAM})`);
  }
  const picked = [options.pipeline !== undefined && pipeline > 1, rate > 0, stream].filter(Boolean).length;
  if (picked > 1) throw new InvalidArgumentError(['pipeline', 'rate', 'stream'], (p, r, st) => `conflicting options: choose one of ${p}, ${r} and ${st}`);
  const mode: BenchMode = stream ? 'stream' : rate > 0 ? 'rate' : pipeline > 1 ? 'pipeline' : 'closed';
  const workers = options.workers === undefined ? 1 : parseCount(options.workers, 'workers', 1);
  if (workers > Math.max(64, cpus().length * 4)) throw invalidOption('workers', `${workers} is more than this machine can use`);
  if (workers > connections) throw invalidOption('workers', `${workers} workers need at least as many connections`);
  const connectRate = options.connectRate === undefined ? 0 : parseCount(options.connectRate, 'connectRate', 1);
  const sourceList = options.source === undefined ? [] : typeof options.source === 'string' ? options.source.split(',') : [...options.source];
  const sources = sourceList.map((s) => s.trim()).filter((s) => s !== '');
  for (const s of sources) {
    if (isIP(s) === 0) throw invalidOption('source', `"${s}" is not an IP address`);
  }
  if (sources.length > 0 && endpoint.scheme !== 'tcp' && endpoint.scheme !== 'tls') {
    throw invalidOption('source', `source addresses are for tcp:// and tls:// (not ${endpoint.scheme}://)`);
  }
  const timeoutMs = options.timeout === undefined ? BENCH_DEFAULTS.timeoutMs : parseDuration(options.timeout, 'timeout');
  if (timeoutMs <= 0) throw invalidOption('timeout', 'must be greater than 0');
  return {
    endpoint,
    url: formatEndpoint(endpoint),
    mode,
    connections,
    size,
    durationMs,
    warmupMs,
    pipeline: mode === 'pipeline' ? pipeline : 1,
    rate,
    workers,
    connectRate,
    sources,
    timeoutMs,
    tls: options.tls,
  };
}
