/**
 * Running the engine in N worker threads: each gets its share of connections and rate; the parent starts them
 * together once all are connected, relays their ticks, and merges counters and histograms.
 */
import { Worker } from 'node:worker_threads';
import type { Histogram } from 'hdr-histogram-js';
import type { EngineShare, TickInfo } from './engine.js';
import { newCounters, type Counters } from './recorder.js';
import { createHistogram, decodeHistogram } from './histogram.js';
import type { BenchConfig } from './options.js';

export type ToWorker = { type: 'run' } | { type: 'stop' };
export type FromWorker =
  | { type: 'connected'; count: number }
  | { type: 'measuring' }
  | { type: 'tick'; info: TickInfo }
  | { type: 'done'; counters: Counters; histogram: string; windowMs: number; connected: number };

export interface MergedResult {
  counters: Counters;
  histogram: Histogram;
  windowMs: number;
  connected: number;
  cpuMicros: number;
}

/** Split `total` into `parts` whole shares that differ by at most one. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export async function runInWorkers(
  config: BenchConfig,
  hooks: { onTick?: (info: TickInfo) => void; onConnected?: (n: number) => void; signal?: AbortSignal | undefined },
): Promise<MergedResult> {
  const shares = split(config.connections, config.workers);
  let first = 0;
  const workers = shares.map((connections) => {
    const share: EngineShare = { connections, rate: (config.rate * connections) / config.connections, firstIndex: first };
    first += connections;
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: { config: { ...config, workers: 1 }, share } });
  });
  const counters = newCounters();
  const histogram = createHistogram();
  let connected = 0;
  let ready = 0;
  let windowMs = 0;
  let cpuStart: NodeJS.CpuUsage | null = null;
  let cpuMicros = 0;
  const ticks = new Map<number, TickInfo>();

  await new Promise<void>((resolve, reject) => {
    let done = 0;
    const onAbort = (): void => {
      for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToWorker);
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    workers.forEach((w, index) => {
      w.on('error', reject);
      w.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'connected':
            connected += m.count;
            if (++ready === workers.length) {
              hooks.onConnected?.(connected);
              for (const x of workers) x.postMessage({ type: 'run' } satisfies ToWorker);
            }
            break;
          case 'measuring':
            cpuStart ??= process.cpuUsage();
            break;
          case 'tick': {
            // Sum the latest tick of every worker into one.
            ticks.set(index, m.info);
            if (ticks.size === workers.length) {
              const all = [...ticks.values()];
              hooks.onTick?.({
                elapsedMs: Math.max(...all.map((t) => t.elapsedMs)),
                phase: all.every((t) => t.phase === 'measure') ? 'measure' : 'warmup',
                ratePerSec: all.reduce((s, t) => s + t.ratePerSec, 0),
                bytesPerSec: all.reduce((s, t) => s + t.bytesPerSec, 0),
                roundTrips: all.reduce((s, t) => s + t.roundTrips, 0),
                errors: all.reduce((s, t) => s + t.errors, 0),
                connections: all.reduce((s, t) => s + t.connections, 0),
              });
              ticks.clear();
            }
            break;
          }
          case 'done':
            for (const key of Object.keys(counters) as Array<keyof Counters>) counters[key] += m.counters[key];
            histogram.add(decodeHistogram(m.histogram));
            windowMs = Math.max(windowMs, m.windowMs);
            if (++done === workers.length) {
              if (cpuStart !== null) {
                const used = process.cpuUsage(cpuStart);
                cpuMicros = used.user + used.system;
              }
              hooks.signal?.removeEventListener('abort', onAbort);
              resolve();
            }
            break;
        }
      });
    });
  });
  await Promise.all(workers.map((w) => w.terminate()));
  return { counters, histogram, windowMs, connected, cpuMicros };
}
