/** Latency histograms: HDR (hdr-histogram-js) at microsecond resolution, mergeable across worker threads. */
import type { Histogram } from 'hdr-histogram-js';
import { requireOnFirstUse } from '../require-on-first-use.js';

/** hdr-histogram-js, loaded on first use: a serve process never loads it. */
const lib = requireOnFirstUse<typeof import('hdr-histogram-js')>('hdr-histogram-js');

export interface LatencySummary {
  /** Microseconds. */
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  stddev: number;
  count: number;
}

/** 1 µs to 1 hour, 3 significant digits. */
export function createHistogram(): Histogram {
  return lib().build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export function summarize(h: Histogram): LatencySummary | null {
  if (h.totalCount === 0) return null;
  return {
    min: h.minNonZeroValue,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: Math.round(h.mean * 10) / 10,
    stddev: Math.round(h.stdDeviation * 10) / 10,
    count: h.totalCount,
  };
}

/** Percentiles for a curve, dense in the tail (as HDR plots are): 0 to 99.999, then 100. */
const CURVE = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.975, 99.99, 99.995, 99.999, 100];

export function percentileCurve(h: Histogram): Array<{ percentile: number; us: number }> | null {
  if (h.totalCount === 0) return null;
  // HDR gives the highest value equivalent to a bucket, which can pass the exact max: clamp to it.
  return CURVE.map((percentile) => ({ percentile, us: percentile === 0 ? h.minNonZeroValue : Math.min(h.maxValue, h.getValueAtPercentile(percentile)) }));
}

export function encodeHistogram(h: Histogram): string {
  return lib().encodeIntoCompressedBase64(h);
}

export function decodeHistogram(data: string): Histogram {
  return lib().decodeFromCompressedBase64(data);
}
