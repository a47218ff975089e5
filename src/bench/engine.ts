/**
 * The load engine: opens connections, runs the warm-up and the measured window, drives the load (closed loop,
 * pipeline, fixed rate, stream), times messages out, and emits events ('tick' each second, 'done'). It never
 * prints: display code listens (as autocannon does). What each connection does with its echo is in
 * connections/; what is counted is in recorder.ts.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { fromConnectError, type NetechoError } from '../errors.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { Connection } from './connections/connection.js';
import { DatagramConnection } from './connections/datagram.js';
import { EchoConnection } from './connections/echo.js';
import { StreamConnection } from './connections/stream.js';
import { dialLink } from './links/dial.js';
import type { BenchConfig, BenchMode } from './options.js';
import { RateSchedule } from './rate-schedule.js';
import { Recorder, errorTotal, isReset, type Counters } from './recorder.js';

export type { Counters } from './recorder.js';

export interface TickInfo {
  /** Since load started, warm-up included. */
  elapsedMs: number;
  phase: 'warmup' | 'measure';
  /** Round trips in the last tick, per second. */
  ratePerSec: number;
  /** Echo bytes in the last tick, per second. */
  bytesPerSec: number;
  roundTrips: number;
  errors: number;
  connections: number;
}

export interface EngineResult {
  counters: Counters;
  histogram: Histogram;
  /** The measured window in ms (shorter than asked if stopped early). */
  windowMs: number;
  connected: number;
  /** User+system CPU of this process over the window, in microseconds. */
  cpuMicros: number;
}

export interface EngineEvents {
  connected: [count: number];
  start: [];
  measuring: [];
  /** The measured window ended; connections are closing. */
  stopped: [];
  tick: [info: TickInfo];
  done: [result: EngineResult];
}

/** This engine's share of the run (with worker threads, each has its own). */
export interface EngineShare {
  connections: number;
  /** Messages per second for this share (rate mode). */
  rate: number;
  /** Global index of this share's first connection: payloads and sources differ per connection. */
  firstIndex: number;
}

const PARALLEL_CONNECTS = 256;
const TICK_MS = 1000;
const CHECK_MS = 50;

export class BenchEngine extends TypedEmitter<EngineEvents> {
  readonly config: BenchConfig;
  readonly share: EngineShare;
  readonly mode: BenchMode;
  readonly rec = new Recorder();
  readonly #connections: Connection[] = [];
  /**
   * One read buffer for every connection (net's `onread`): reads skip the stream machinery and allocate
   * nothing; each read is verified before the next one can overwrite it.
   */
  readonly #readBuffer = Buffer.allocUnsafe(64 * 1024);
  /** Why the first connection that failed to open failed (reported when none opened). */
  firstConnectError: NetechoError | null = null;
  #windowEnd = 0;
  #timers: NodeJS.Timeout[] = [];
  #schedule: RateSchedule | null = null;
  #stopResolve: (() => void) | null = null;
  #cpuStart: NodeJS.CpuUsage | null = null;
  #cpuEnd: NodeJS.CpuUsage | null = null;

  constructor(config: BenchConfig, share?: EngineShare) {
    super();
    this.config = config;
    this.mode = config.mode;
    this.share = share ?? { connections: config.connections, rate: config.rate, firstIndex: 0 };
  }

  get counters(): Counters {
    return this.rec.counters;
  }

  /** Open this share's connections. Resolves with how many connected; failures are counted, not thrown. */
  async connect(signal?: AbortSignal): Promise<number> {
    const { connections, firstIndex } = this.share;
    const { connectRate } = this.config;
    let next = 0;
    const start = performance.now();
    const one = async (): Promise<void> => {
      while (next < connections && !signal?.aborted) {
        const index = firstIndex + next++;
        if (connectRate > 0) {
          const wait = start + ((index - firstIndex) * 1000) / connectRate - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        try {
          this.#connections.push(await this.#open(index));
        } catch (err) {
          if (isReset(err)) this.rec.counters.resetAtOpen++;
          else this.rec.counters.connectErrors++;
          this.firstConnectError ??= fromConnectError(err, this.config.url);
        }
      }
    };
    const parallel = connectRate > 0 ? Math.min(connections, Math.max(1, Math.ceil(connectRate / 10))) : Math.min(connections, PARALLEL_CONNECTS);
    await Promise.all(Array.from({ length: parallel }, one));
    this.emit('connected', this.#connections.length);
    return this.#connections.length;
  }

  /** Dial connection `index` and wrap it in the connection kind for this scheme and mode. */
  async #open(index: number): Promise<Connection> {
    const { endpoint, sources, timeoutMs, size, tls } = this.config;
    const payload = Buffer.allocUnsafe(size);
    randomFillSync(payload);
    const refill = this.mode !== 'rate';
    const slot: { echo: EchoConnection | StreamConnection | null; datagram: DatagramConnection | null } = { echo: null, datagram: null };
    const link = await dialLink({
      endpoint,
      localAddress: sources.length > 0 ? sources[index % sources.length] : undefined,
      timeoutMs,
      tls,
      buffer: this.#readBuffer,
      onEcho: (buf, len) => slot.echo?.onData(buf, len),
      onDatagram: (msg, seq) => slot.datagram?.onDatagram(msg, seq),
      onStatus: (status) => slot.echo?.onStatus(status),
    });
    if (endpoint.scheme === 'udp') return (slot.datagram = new DatagramConnection(this.rec, link, payload, refill));
    slot.echo = this.mode === 'stream' ? new StreamConnection(this.rec, link, payload) : new EchoConnection(this.rec, link, payload, refill);
    return slot.echo;
  }

  /** Warm up, measure, stop. Resolves with the counters and histogram of the measured window. */
  run(signal?: AbortSignal): Promise<EngineResult> {
    const { warmupMs, durationMs, pipeline } = this.config;
    const rec = this.rec;
    rec.running = true;
    const t0 = performance.now();
    this.#windowEnd = t0 + warmupMs + durationMs;
    const stopped = new Promise<void>((resolve) => {
      this.#stopResolve = resolve;
    });
    signal?.addEventListener('abort', () => this.#finish(), { once: true });
    this.emit('start');

    const beginWindow = (): void => {
      rec.openWindow();
      this.#windowEnd = rec.windowStart + durationMs;
      this.#cpuStart = process.cpuUsage();
      this.emit('measuring');
    };
    if (warmupMs > 0) this.#timers.push(setTimeout(beginWindow, warmupMs));
    else beginWindow();
    // (this may fire a little before windowEnd if the warm-up timer ran late: #finish clamps it)
    this.#timers.push(setTimeout(() => this.#finish(), warmupMs + durationMs));
    this.#timers.push(setInterval(this.#ticker(t0), CHECK_MS));

    const now = performance.now();
    if (this.mode === 'rate') {
      this.#schedule = new RateSchedule(this.#connections, this.share.rate);
      this.#schedule.start(now);
    } else {
      for (const c of this.#connections) c.start(now, pipeline);
    }
    return stopped.then(() => this.#result());
  }

  /** Stop early (the result covers what was measured so far). */
  stop(): void {
    this.#finish();
  }

  /** Every CHECK_MS: time messages out; every TICK_MS: the live rate. */
  #ticker(t0: number): () => void {
    let lastTick = t0;
    let lastCompleted = 0;
    let lastReceived = 0;
    return () => {
      const now = performance.now();
      const rec = this.rec;
      const before = now - this.config.timeoutMs;
      for (const c of this.#connections) if (c.alive) c.expire(before, now);
      if (now - lastTick < TICK_MS) return;
      const dt = (now - lastTick) / 1000;
      this.emit('tick', {
        elapsedMs: now - t0,
        phase: rec.recording ? 'measure' : 'warmup',
        ratePerSec: (rec.completed - lastCompleted) / dt,
        bytesPerSec: (rec.received - lastReceived) / dt,
        roundTrips: rec.counters.roundTrips,
        errors: errorTotal(rec.counters),
        connections: this.#connections.filter((c) => c.alive).length,
      });
      lastTick = now;
      lastCompleted = rec.completed;
      lastReceived = rec.received;
    };
  }

  #finish(): void {
    const rec = this.rec;
    if (!rec.running) return;
    const end = performance.now();
    rec.running = false;
    rec.stopped = true;
    rec.recording = false;
    this.#windowEnd = Math.min(this.#windowEnd, end);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.#schedule?.stop();
    this.#cpuEnd = process.cpuUsage(this.#cpuStart ?? undefined);
    this.emit('stopped');
    void this.#closeAll().then(() => this.#stopResolve?.());
  }

  async #closeAll(): Promise<void> {
    await Promise.all(
      this.#connections.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.alive = false;
            const s = c.link;
            if (s.destroyed) return resolve();
            s.once('close', () => resolve());
            s.on('error', () => {});
            // Half-close so the server sees a clean end; a peer that does not answer is cut off.
            s.end();
            s.resume();
            setTimeout(() => s.destroy(), 1000).unref();
          }),
      ),
    );
  }

  #result(): EngineResult {
    const windowMs = Math.max(0, this.#windowEnd - this.rec.windowStart);
    const cpu = this.#cpuStart !== null && this.#cpuEnd !== null ? this.#cpuEnd.user + this.#cpuEnd.system : 0;
    const result: EngineResult = { counters: this.rec.counters, histogram: this.rec.histogram, windowMs, connected: this.#connections.length, cpuMicros: cpu };
    this.emit('done', result);
    return result;
  }
}
