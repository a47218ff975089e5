/**
 * bench(): measure any echo server. Every echoed byte is verified; latency goes into an HDR histogram.
 */
import type { Endpoint } from '../endpoint.js';
import { BenchEngine, type TickInfo } from './engine.js';
import { resolveHost } from '../client/connect.js';
import { resolveBenchOptions, type BenchOptions } from './options.js';
import { buildResult, type BenchResult, type TimelinePoint } from './result.js';
import { runInWorkers } from './workers.js';

export interface BenchHooks {
  /** Once a second while running. */
  onTick?: (info: TickInfo) => void;
  /** When every connection has been tried, with how many opened. */
  onConnected?: (count: number) => void;
  /** The warm-up is over: the measured window starts (single-thread runs). */
  onMeasuring?: () => void;
  /** The measured window is over (single-thread runs). */
  onStopped?: () => void;
}

/**
 * Run a benchmark against the echo server at `url`. Resolves to the same object `--json` prints; check
 * `result.errors.total` (mismatches, short reads, resets, timeouts, failed connects).
 * @throws ERR_NETECHO_INVALID_ARGUMENT / ERR_NETECHO_INVALID_URL / ERR_NETECHO_UNSUPPORTED_SCHEME for bad options;
 *   ERR_NETECHO_HOST_NOT_FOUND; when not one connection opens, the first one's error (ERR_NETECHO_CONNECT_REFUSED,
 *   ERR_NETECHO_TLS, ERR_NETECHO_TIMEOUT...)
 */
export async function bench(url: string | Endpoint, options: BenchOptions = {}, hooks: BenchHooks = {}): Promise<BenchResult> {
  const config = resolveBenchOptions(url, options);
  // Once, up front: a name that does not resolve is one error, not a failed connect per connection.
  await resolveHost(config.endpoint);
  // The rate over time, for reports: one point a tick.
  const timeline: TimelinePoint[] = [];
  const onTick = (t: TickInfo): void => {
    timeline.push({ t: Math.round(t.elapsedMs / 100) / 10, phase: t.phase, roundTripsPerSec: t.ratePerSec, errors: t.errors });
    hooks.onTick?.(t);
  };
  if (config.workers > 1) {
    const r = await runInWorkers(config, { ...hooks, onTick, signal: options.signal });
    return buildResult(config, r.counters, r.histogram, r.windowMs, r.connected, r.cpuMicros, timeline);
  }
  const engine = new BenchEngine(config);
  engine.on('tick', onTick);
  if (hooks.onMeasuring) engine.on('measuring', hooks.onMeasuring);
  if (hooks.onStopped) engine.on('stopped', hooks.onStopped);
  const connected = await engine.connect(options.signal);
  // Not one connection: say why the first one failed (refused, TLS, timeout...) rather than measure nothing.
  if (connected === 0 && engine.firstConnectError !== null && !options.signal?.aborted) throw engine.firstConnectError;
  hooks.onConnected?.(connected);
  const r = await engine.run(options.signal);
  return buildResult(config, r.counters, r.histogram, r.windowMs, r.connected, r.cpuMicros, timeline);
}
