/** The result of a relay bench run: the shape of `bench --relay --json` and of benchRelay()'s promise. */
import { formatEndpoint } from '../../endpoint.js';
import { percentileCurve, summarize, type LatencySummary } from '../histogram.js';
import type { FanoutOutcome } from './fanout.js';
import type { RelayBenchConfig } from './options.js';

export interface RelayBenchResult {
  url: string;
  /** Where subscribers connected: the URL, then each subscribe URL. */
  subscribeUrls: string[];
  rooms: number;
  /** Per room. */
  publishers: number;
  subscribers: number;
  /** Messages per second per publisher. */
  rate: number;
  size: number;
  warmupMs: number;
  durationMs: number;
  /** Messages published in the measured window, and the deliveries they should make. */
  published: number;
  expectedDeliveries: number;
  delivered: number;
  deliveriesPerSec: number;
  /** Not delivered within the timeout after the window. */
  lost: number;
  duplicated: number;
  reordered: number;
  /** Delivered with bytes other than those sent. */
  mismatched: number;
  /** Members the relay closed during the run. */
  closed: number;
  /** From each message's scheduled publish time to its arrival at each subscriber, microseconds. */
  latencyUs: LatencySummary | null;
  /** The same at percentiles from 0 to 100, dense in the tail (as bench's). */
  latencyCurve: Array<{ percentile: number; us: number }> | null;
  connections: number;
  /** Client CPU over the window, in percent of one core. */
  clientCpuPercent: number;
  /** lost + duplicated + reordered + mismatched + closed: non-zero fails the run. */
  errors: number;
}

export function buildRelayResult(c: RelayBenchConfig, o: FanoutOutcome): RelayBenchResult {
  const k = o.ledger.counters;
  const seconds = o.windowMs / 1000;
  return {
    url: c.url,
    subscribeUrls: c.subscribeEndpoints.map(formatEndpoint),
    rooms: c.rooms,
    publishers: c.publishers,
    subscribers: c.subscribers,
    rate: c.rate,
    size: c.size,
    warmupMs: c.warmupMs,
    durationMs: Math.round(o.windowMs),
    published: k.published,
    expectedDeliveries: k.expected,
    delivered: k.delivered,
    deliveriesPerSec: seconds > 0 ? Math.round(k.delivered / seconds) : 0,
    lost: k.lost,
    duplicated: k.duplicated,
    reordered: k.reordered,
    mismatched: k.mismatched,
    closed: o.closed,
    latencyUs: summarize(o.ledger.histogram),
    latencyCurve: percentileCurve(o.ledger.histogram),
    connections: o.connections,
    clientCpuPercent: o.windowMs > 0 ? Math.round((o.cpuMicros / 1000 / o.windowMs) * 1000) / 10 : 0,
    errors: k.lost + k.duplicated + k.reordered + k.mismatched + o.closed,
  };
}
