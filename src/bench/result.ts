/** The result of a bench run: the shape of `--json` and of bench()'s promise. */
import type { Histogram } from 'hdr-histogram-js';
import { errorTotal, statusErrors, type Counters } from './recorder.js';
import { percentileCurve, summarize, type LatencySummary } from './histogram.js';
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
    /** Connections the server reset as they opened, before any echo: a server capping connections. */
    resetAtOpen: number;
    /** http(s):// only: replies whose status was not 2xx (the connection went on); by class in `httpStatuses`. */
    httpStatus: number;
  };
  /** http(s):// only: replies by status class other than 2xx (2xx replies are the round trips). */
  httpStatuses: { '3xx': number; '4xx': number; '5xx': number } | null;
  /** udp:// only: datagrams lost (no echo within the timeout) and echoes that came out of order. */
  datagrams: { lost: number; reordered: number; lossPercent: number } | null;
  /** Client CPU over the window, in percent of one core. */
  clientCpuPercent: number;
  /** Latency at percentiles from 0 to 100 (HDR-style: dense in the tail), µs; null when latencyUs is. */
  latencyCurve: Array<{ percentile: number; us: number }> | null;
  /** Once a second from the start of the load (warm-up included): the rate and the errors so far. */
  timeline: TimelinePoint[];
}

export interface TimelinePoint {
  /** Seconds since the load started. */
  t: number;
  phase: 'warmup' | 'measure';
  roundTripsPerSec: number;
  errors: number;
}

export function buildResult(
  config: BenchConfig,
  counters: Counters,
  histogram: Histogram,
  windowMs: number,
  connected: number,
  cpuMicros: number,
  timeline: TimelinePoint[] = [],
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
      resetAtOpen: counters.resetAtOpen,
      httpStatus: statusErrors(counters),
    },
    httpStatuses:
      config.endpoint.scheme === 'http' || config.endpoint.scheme === 'https' ? { '3xx': counters.status3xx, '4xx': counters.status4xx, '5xx': counters.status5xx } : null,
    datagrams:
      config.endpoint.scheme === 'udp'
        ? {
            lost: counters.lost,
            reordered: counters.reordered,
            lossPercent: counters.lost + counters.roundTrips > 0 ? Math.round((counters.lost / (counters.lost + counters.roundTrips)) * 10000) / 100 : 0,
          }
        : null,
    clientCpuPercent: windowMs > 0 ? Math.round((cpuMicros / 1000 / windowMs) * 1000) / 10 : 0,
    latencyCurve: config.mode === 'stream' ? null : percentileCurve(histogram),
    timeline,
  };
}
