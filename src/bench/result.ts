/** The result of a bench run: the shape of `--json` and of bench()'s promise, and its text table. */
import type { Histogram } from 'hdr-histogram-js';
import { formatSize } from '../units.js';
import { errorTotal, type Counters } from './engine.js';
import { summarize, type LatencySummary } from './histogram.js';
import type { BenchConfig, BenchMode } from './options.js';

export interface BenchResult {
  url: string;
  mode: BenchMode;
  connections: number;
  /** Connections that opened. */
  connected: number;
  /** Bytes per message (per write in stream mode). */
  size: number;
  pipeline: number;
  /** Target messages per second (rate mode), else 0. */
  rate: number;
  workers: number;
  warmupMs: number;
  /** The measured window. */
  durationMs: number;
  roundTrips: number;
  roundTripsPerSec: number;
  bytesSent: number;
  bytesReceived: number;
  /** Echo bytes received per second. */
  bandwidthBytesPerSec: number;
  /** Round-trip latency in microseconds; null in stream mode or when nothing completed. */
  latencyUs: LatencySummary | null;
  errors: {
    total: number;
    /** Echo bytes that differ from what was sent (or more bytes than were sent). */
    mismatches: number;
    /** The server ended the connection with bytes of a message still missing. */
    shortReads: number;
    /** The server closed a connection during the run. */
    closed: number;
    resets: number;
    /** A message whose echo did not come within the timeout. */
    timeouts: number;
    connect: number;
  };
  /** udp:// only: datagrams lost (no echo within the timeout) and echoes that came out of order. */
  datagrams: { lost: number; reordered: number; lossPercent: number } | null;
  /** Client CPU over the window, in percent of one core. */
  clientCpuPercent: number;
}

export function buildResult(
  config: BenchConfig,
  counters: Counters,
  histogram: Histogram,
  windowMs: number,
  connected: number,
  cpuMicros: number,
): BenchResult {
  const seconds = windowMs / 1000;
  return {
    url: config.url,
    mode: config.mode,
    connections: config.connections,
    connected,
    size: config.size,
    pipeline: config.pipeline,
    rate: config.rate,
    workers: config.workers,
    warmupMs: config.warmupMs,
    durationMs: Math.round(windowMs),
    roundTrips: counters.roundTrips,
    roundTripsPerSec: seconds > 0 ? Math.round(counters.roundTrips / seconds) : 0,
    bytesSent: counters.bytesSent,
    bytesReceived: counters.bytesReceived,
    bandwidthBytesPerSec: seconds > 0 ? Math.round(counters.bytesReceived / seconds) : 0,
    latencyUs: config.mode === 'stream' ? null : summarize(histogram),
    errors: {
      total: errorTotal(counters),
      mismatches: counters.mismatches,
      shortReads: counters.shortReads,
      closed: counters.closed,
      resets: counters.resets,
      timeouts: counters.timeouts,
      connect: counters.connectErrors,
    },
    datagrams:
      config.endpoint.scheme === 'udp'
        ? {
            lost: counters.lost,
            reordered: counters.reordered,
            lossPercent: counters.lost + counters.roundTrips > 0 ? Math.round((counters.lost / (counters.lost + counters.roundTrips)) * 10000) / 100 : 0,
          }
        : null,
    clientCpuPercent: windowMs > 0 ? Math.round((cpuMicros / 1000 / windowMs) * 1000) / 10 : 0,
  };
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const us = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x} µs`);

/** The human table printed on stdout. */
export function formatResult(r: BenchResult): string {
  const mode =
    r.mode === 'closed'
      ? 'closed loop'
      : r.mode === 'pipeline'
        ? `pipeline ${r.pipeline}`
        : r.mode === 'rate'
          ? `fixed rate ${n(r.rate)}/s`
          : 'streaming';
  const lines = [
    `netecho bench ${r.url}: ${mode}, ${n(r.connections)} connection(s), ${formatSize(r.size)} ${r.mode === 'stream' ? 'writes' : 'messages'}, ` +
      `${(r.durationMs / 1000).toFixed(1)} s measured${r.warmupMs > 0 ? ` after ${(r.warmupMs / 1000).toFixed(1)} s warm-up` : ''}` +
      `${r.workers > 1 ? `, ${r.workers} workers` : ''}`,
    '',
  ];
  if (r.mode !== 'stream') lines.push(`  round trips   ${n(r.roundTrips)} (${n(r.roundTripsPerSec)}/s)`);
  lines.push(`  bandwidth     ${formatSize(r.bandwidthBytesPerSec)}/s echoed (${formatSize(r.bytesReceived)} in all)`);
  if (r.latencyUs !== null) {
    const l = r.latencyUs;
    lines.push(`  latency       p50 ${us(l.p50)}  p90 ${us(l.p90)}  p99 ${us(l.p99)}  p99.9 ${us(l.p999)}  max ${us(l.max)}`);
  }
  const e = r.errors;
  lines.push(
    `  errors        ${e.total}` +
      (e.total > 0
        ? ` (mismatches ${e.mismatches}, short reads ${e.shortReads}, closed ${e.closed}, resets ${e.resets}, timeouts ${e.timeouts}, connect ${e.connect})`
        : ''),
  );
  if (r.datagrams !== null) {
    lines.push(`  datagrams     ${n(r.datagrams.lost)} lost (${r.datagrams.lossPercent}%), ${n(r.datagrams.reordered)} reordered`);
  }
  lines.push(`  connections   ${n(r.connected)} of ${n(r.connections)} opened`);
  lines.push(`  client CPU    ${r.clientCpuPercent}% of one core`);
  return `${lines.join('\n')}\n`;
}
